#!/bin/bash
# -Z nobody: tlsfp switches to nobody once attached and keeps only
# CAP_NET_ADMIN.  Fingerprints still arrive, a SIGHUP reload still
# applies a new blocklist (curl's JA3, added after the start, then drops
# curl's next connection), a list that nobody cannot read leaves the old
# set active, and SIGINT still detaches.  Needs root.
#
# Usage: tests/service/test_user.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

# CAP_NET_ADMIN (12), as /proc/PID/status prints it.
KEPT_CAPS=0000000000001000
SUMMARY_PRINTED=0

on_exit() {
    local status=$?
    testbed_down
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

# Wait until FILE has a line matching the extended regex PATTERN, at most
# 5 s.
wait_for_line() {
    local i
    for ((i = 0; i < 50; i++)); do
        grep -qE -- "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# Print field NAME of /proc/PID/status.
status_field() {
    awk -v f="$2:" '$1 == f { $1 = ""; print substr($0, 2) }' "/proc/$1/status"
}

report_skip_unless_root
trap on_exit EXIT
report_require_programs ip openssl curl jq
if ! id nobody >/dev/null 2>&1; then
    report_not_ok "user nobody exists" "getent passwd nobody found nothing"
    SUMMARY_PRINTED=1
    report_summary
    exit 1
fi
testbed_up
testbed_start_server 443
testbed_start_server 444
# The user nobody must read the blocklist in the test bed's directory.
chmod 755 "$TB_DIR"
list=$TB_DIR/blocklist.txt
printf '00000000000000000000000000000001  # placeholder\n' >"$list"
chmod 644 "$list"

out=$TB_DIR/tlsfp.out
err=$TB_DIR/tlsfp.err
if ! testbed_start_tlsfp "$TLSFP" "$out" "$err" --json -b "$list" \
    -Z nobody; then
    report_not_ok "tlsfp starts with -Z nobody" "$(cat "$err")"
    SUMMARY_PRINTED=1
    report_summary
    exit 1
fi
report_ok "tlsfp starts with -Z nobody"
# The switch follows the attach that testbed_start_tlsfp waited for.
for ((i = 0; i < 50; i++)); do
    [[ $(status_field "$TB_TLSFP_PID" Uid) == "$(id -u nobody)"* ]] && break
    sleep 0.1
done

report_equal "runs as nobody" "$(id -u nobody)" \
    "$(status_field "$TB_TLSFP_PID" Uid | awk '{ print $1 "," $2 "," $3 "," $4 }' |
        tr ',' '\n' | sort -u)"
report_equal "effective capabilities" "$KEPT_CAPS" \
    "$(status_field "$TB_TLSFP_PID" CapEff)"
report_equal "permitted capabilities" "$KEPT_CAPS" \
    "$(status_field "$TB_TLSFP_PID" CapPrm)"
report_equal "bounding set" "$KEPT_CAPS" \
    "$(status_field "$TB_TLSFP_PID" CapBnd)"

if testbed_curl "$TB_ADDR4_SERVER" 443 >>"$TB_DIR/client.log" 2>&1; then
    report_ok "curl connects before the reload"
else
    report_not_ok "curl connects before the reload" "see $TB_DIR/client.log"
fi
if wait_for_line "$out" '"action":"allowed"'; then
    report_ok "fingerprint arrives as nobody"
else
    report_not_ok "fingerprint arrives as nobody" "no line in 5 s"
    report_file_tail "$err"
fi
ja3=$(head -n 1 "$out" | jq -r '.tls.ja3.hash // empty')

printf '%s  # curl, added after the start\n' "$ja3" >>"$list"
kill -HUP "$TB_TLSFP_PID"
if wait_for_line "$err" 'reload: 2 JA3 and 0 JA4 entries now active'; then
    report_ok "reload as nobody"
else
    report_not_ok "reload as nobody" "$(tail -n 3 "$err")"
fi

status=0
testbed_in_client curl --silent --insecure --max-time 3 --output /dev/null \
    --resolve "$TB_SERVER_NAME:444:$TB_ADDR4_SERVER" \
    "https://$TB_SERVER_NAME:444/" 2>/dev/null || status=$?
if ((status != 0)); then
    report_ok "reloaded list blocks curl"
else
    report_not_ok "reloaded list blocks curl" "curl completed its request"
fi
if wait_for_line "$out" '"action":"blocked"'; then
    report_ok "blocked line as nobody"
else
    report_not_ok "blocked line as nobody" "no blocked line in 5 s"
fi

# What the user nobody cannot do: read a list that only root may read.
chmod 600 "$list"
kill -HUP "$TB_TLSFP_PID"
if wait_for_line "$err" 'reload: blocklists unchanged \(2 JA3'; then
    report_ok "unreadable list keeps old set"
else
    report_not_ok "unreadable list keeps old set" "$(tail -n 3 "$err")"
fi

if testbed_stop "$TB_TLSFP_PID" INT 10; then
    report_equal "tlsfp exit status" 0 "$TB_EXIT_STATUS"
else
    report_not_ok "tlsfp exit status" "did not exit within 10 s of SIGINT"
fi
if testbed_xdp_attached; then
    report_not_ok "detached as nobody" "an XDP program is still on $TB_DEV_SERVER"
else
    report_ok "detached as nobody"
fi
SUMMARY_PRINTED=1
report_summary
