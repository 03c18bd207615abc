#!/bin/bash
# -w FILE under logrotate: tlsfp --json -w FILE runs on the server side of
# the test bed while curl connects CLIENTS times, and FILE is renamed and
# tlsfp sent SIGHUP three times in the middle of that traffic.  Every
# connection's line must be in exactly one of the four files, each of
# which must contain only whole JSON lines.  A flow is identified by the
# client's address and port.  SIGHUPs during the start must not end it,
# and a -w file that cannot be opened fails the start.  Needs root.
#
# Usage: tests/service/test_write.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

CLIENTS=60
# Connections between two renames.
ROTATE_EVERY=15
SUMMARY_PRINTED=0

on_exit() {
    local status=$?
    if mountpoint -q "$TB_DIR/full" 2>/dev/null; then
        umount "$TB_DIR/full"
    fi
    testbed_down
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

report_skip_unless_root
trap on_exit EXIT
report_require_programs ip openssl curl jq
testbed_up
testbed_start_server 443

log=$TB_DIR/tls.json
if ! testbed_start_tlsfp "$TLSFP" /dev/null "$TB_DIR/tlsfp.err" \
    --json -w "$log"; then
    report_not_ok "tlsfp starts with -w" "$(cat "$TB_DIR/tlsfp.err")"
    SUMMARY_PRINTED=1
    report_summary
    exit 1
fi
report_ok "tlsfp starts with -w"

failed_clients=0
rotations=0
for ((i = 1; i <= CLIENTS; i++)); do
    testbed_curl "$TB_ADDR4_SERVER" 443 >>"$TB_DIR/client.log" 2>&1 ||
        failed_clients=$((failed_clients + 1))
    if ((i % ROTATE_EVERY == 0 && i < CLIENTS)); then
        rotations=$((rotations + 1))
        mv "$log" "$log.$rotations"
        kill -HUP "$TB_TLSFP_PID"
    fi
done
report_equal "clients completed" 0 "$failed_clients"

# Lines wait up to 2 s for their ServerHello; SIGINT prints the rest.
sleep 0.5
if testbed_stop "$TB_TLSFP_PID" INT 10; then
    report_equal "tlsfp exit status" 0 "$TB_EXIT_STATUS"
else
    report_not_ok "tlsfp exit status" "did not exit within 10 s of SIGINT"
fi

files=("$log")
for ((r = 1; r <= rotations; r++)); do
    files+=("$log.$r")
done
all_json=1
for f in "${files[@]}"; do
    if [[ ! -s $f ]]; then
        report_not_ok "every file has lines" "$f is empty or missing"
        all_json=0
        continue
    fi
    # jq -c re-prints each object, so a split line would not compare equal.
    if ! jq -c . "$f" 2>/dev/null | cmp -s - "$f"; then
        report_not_ok "whole JSON lines" "$f has a line that is not one JSON object"
        report_file_tail "$f"
        all_json=0
    fi
done
if ((all_json)); then
    report_ok "every file has whole JSON lines"
fi

total=$(cat "${files[@]}" | wc -l)
flows=$(cat "${files[@]}" | jq -r '"\(.src_ip):\(.src_port)"' | sort -u | wc -l)
report_equal "one line per connection" "$CLIENTS" "$total"
report_equal "no flow in two files" "$CLIENTS" "$flows"
if grep -q 'reopen' "$TB_DIR/tlsfp.err"; then
    report_not_ok "no reopen error" "$(grep reopen "$TB_DIR/tlsfp.err")"
else
    report_ok "no reopen error"
fi

# SIGHUP all through the start, as from a logrotate run at that moment:
# the load must not fail and tlsfp must not end.
ip netns exec "$TB_NS_SERVER" "$TLSFP" -w "$TB_DIR/start.json" \
    "$TB_DEV_SERVER" >/dev/null 2>"$TB_DIR/start.err" &
pid=$!
TB_PIDS+=("$pid")
sleep 0.2
for ((i = 0; i < 100; i++)); do
    kill -HUP "$pid" 2>/dev/null || break
    testbed_xdp_attached && break
    sleep 0.1
done
if testbed_xdp_attached && kill -0 "$pid" 2>/dev/null; then
    report_ok "SIGHUP during start"
else
    report_not_ok "SIGHUP during start" "not attached after $i signals"
    report_file_tail "$TB_DIR/start.err"
fi
if testbed_stop "$pid" INT 10; then
    report_equal "exit after SIGHUP during start" 0 "$TB_EXIT_STATUS"
else
    report_not_ok "exit after SIGHUP during start" "did not exit within 10 s"
fi

# A -w file whose file system fills up: tlsfp stops with exit status 1
# and names the file, so that a service manager restarts it.
full=$TB_DIR/full
mkdir -p "$full"
if mount -t tmpfs -o size=64k tmpfs "$full"; then
    head -c 60000 /dev/zero >"$full/fill" 2>/dev/null
    if testbed_start_tlsfp "$TLSFP" /dev/null "$TB_DIR/full.err" \
        --json -w "$full/tls.json"; then
        for ((i = 0; i < 60; i++)); do
            kill -0 "$TB_TLSFP_PID" 2>/dev/null || break
            testbed_curl "$TB_ADDR4_SERVER" 443 >>"$TB_DIR/client.log" 2>&1 ||
                true
        done
        if testbed_stop "$TB_TLSFP_PID" INT 10; then
            report_equal "full file system exit status" 1 "$TB_EXIT_STATUS"
        else
            report_not_ok "full file system exit status" "did not exit within 10 s"
        fi
        if grep -qF "write to $full/tls.json failed: No space left on device" \
            "$TB_DIR/full.err"; then
            report_ok "full file system message"
        else
            report_not_ok "full file system message" "$(cat "$TB_DIR/full.err")"
        fi
    else
        report_not_ok "tlsfp starts with -w on a small file system" \
            "$(cat "$TB_DIR/full.err")"
    fi
    umount "$full"
else
    report_not_ok "small file system mounted" "mount -t tmpfs failed"
fi

# A -w file that cannot be opened: exit 1 before anything is loaded.
status=0
testbed_in_server "$TLSFP" -w "$TB_DIR/missing/tls.json" "$TB_DEV_SERVER" \
    >/dev/null 2>"$TB_DIR/bad.err" || status=$?
report_equal "unwritable file status" 1 "$status"
if grep -qF -- "--write $TB_DIR/missing/tls.json: No such file or directory" \
    "$TB_DIR/bad.err"; then
    report_ok "unwritable file message"
else
    report_not_ok "unwritable file message" "$(cat "$TB_DIR/bad.err")"
fi
if testbed_xdp_attached; then
    report_not_ok "unwritable file attaches nothing" "an XDP program is on $TB_DEV_SERVER"
else
    report_ok "unwritable file attaches nothing"
fi
SUMMARY_PRINTED=1
report_summary
