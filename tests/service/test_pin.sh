#!/bin/bash
# --pin DIR: tlsfp pins its maps under DIR, on a BPF file system that the
# test mounts itself because ip netns exec hides /sys/fs/bpf.  While tlsfp
# runs, bpftool map dump pinned must show the flows, the counters and the
# block list, and the pins must be gone after the exit.  A second run pinning to the same DIR
# fails without touching the first run's pins, and a DIR not on a BPF file
# system fails the start with nothing attached; a start that fails after
# pinning removes its pins.  Needs root.
#
# Usage: tests/service/test_pin.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

SUMMARY_PRINTED=0
BPFFS=""
MAPS=(flows counters block_a block_b blocked_flows partials conns owners
    scratch events)

on_exit() {
    local status=$?
    if [[ -n $BPFFS ]]; then
        umount "$BPFFS" 2>/dev/null || true
    fi
    testbed_down
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

# Print the number of entries that bpftool lists in the pinned map PATH.
entries() {
    bpftool -j map dump pinned "$1" | jq length
}

report_skip_unless_root
trap on_exit EXIT
report_require_programs ip openssl curl bpftool jq
testbed_up
testbed_start_server 443
BPFFS=$TB_DIR/bpffs
mkdir "$BPFFS"
mount -t bpf bpf "$BPFFS"
pins=$BPFFS/tlsfp
list=$TB_DIR/blocklist.txt
printf '00000000000000000000000000000001  # placeholder\n' >"$list"

if ! testbed_start_tlsfp "$TLSFP" "$TB_DIR/tlsfp.out" "$TB_DIR/tlsfp.err" \
    -b "$list" --pin "$pins"; then
    report_not_ok "tlsfp starts with --pin" "$(cat "$TB_DIR/tlsfp.err")"
    SUMMARY_PRINTED=1
    report_summary
    exit 1
fi
report_ok "tlsfp starts with --pin"
missing=""
for map in "${MAPS[@]}"; do
    [[ -e $pins/$map ]] || missing+=" $map"
done
report_equal "every map pinned" "" "$missing"

testbed_curl "$TB_ADDR4_SERVER" 443 >>"$TB_DIR/client.log" 2>&1 || true
sleep 0.5
report_equal "bpftool shows the flow" 1 "$(entries "$pins/flows")"
packets=$(bpftool -j map dump pinned "$pins/counters" |
    jq '[.[].formatted | select(.key == 0) | .values[].value] | add')
if ((packets > 0)); then
    report_ok "bpftool shows the counters"
else
    report_not_ok "bpftool shows the counters" "packets counter is '$packets'"
fi
report_equal "bpftool shows the block list" 1 \
    "$(($(entries "$pins/block_a") + $(entries "$pins/block_b")))"

# A second run with the same DIR: fails at the first pin, keeps the
# first run's pins.
status=0
testbed_in_server "$TLSFP" -d out --pin "$pins" "$TB_DEV_SERVER" \
    >/dev/null 2>"$TB_DIR/second.err" || status=$?
report_equal "second run on same dir fails" 1 "$status"
if grep -qF -- "--pin $pins: pin $pins/" "$TB_DIR/second.err"; then
    report_ok "second run names the pin"
else
    report_not_ok "second run names the pin" "$(cat "$TB_DIR/second.err")"
fi
report_equal "first run's pins kept" 1 "$(entries "$pins/flows")"

if testbed_stop "$TB_TLSFP_PID" INT 10; then
    report_equal "tlsfp exit status" 0 "$TB_EXIT_STATUS"
else
    report_not_ok "tlsfp exit status" "did not exit within 10 s of SIGINT"
fi
if [[ -e $pins ]]; then
    report_not_ok "pins removed at exit" "$(ls "$pins")"
else
    report_ok "pins removed at exit"
fi

# A failure after the pins were made (here the metrics file) removes them.
status=0
testbed_in_server "$TLSFP" --pin "$BPFFS/failed" \
    --metrics "$TB_DIR/missing/tlsfp.prom" "$TB_DEV_SERVER" \
    >/dev/null 2>"$TB_DIR/failed.err" || status=$?
report_equal "failed start status" 1 "$status"
if [[ -e $BPFFS/failed ]]; then
    report_not_ok "failed start removes pins" "$(ls "$BPFFS/failed")"
else
    report_ok "failed start removes pins"
fi

# Not a BPF file system: exit 1 before anything is loaded.
status=0
testbed_in_server "$TLSFP" --pin "$TB_DIR/pins" "$TB_DEV_SERVER" \
    >/dev/null 2>"$TB_DIR/bad.err" || status=$?
report_equal "non-bpffs dir status" 1 "$status"
if grep -qF -- "--pin $TB_DIR/pins: $TB_DIR is not on a BPF file system" \
    "$TB_DIR/bad.err"; then
    report_ok "non-bpffs dir message"
else
    report_not_ok "non-bpffs dir message" "$(cat "$TB_DIR/bad.err")"
fi
if testbed_xdp_attached; then
    report_not_ok "non-bpffs dir attaches nothing" "an XDP program is on $TB_DEV_SERVER"
else
    report_ok "non-bpffs dir attaches nothing"
fi
SUMMARY_PRINTED=1
report_summary
