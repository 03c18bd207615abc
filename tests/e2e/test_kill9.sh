#!/bin/bash
# End-to-end test of tlsfp killed with SIGKILL: the kernel must detach its
# XDP program when the process dies, traffic must keep flowing, and a new
# tlsfp must attach to the same interface without --force.  Needs root.
#
# Usage: tests/e2e/test_kill9.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

PORT=443
SUMMARY_PRINTED=0

exit_with_summary() {
    SUMMARY_PRINTED=1
    if report_summary; then
        exit 0
    fi
    exit 1
}

on_exit() {
    local status=$?
    testbed_down
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

# report_client NAME CLIENT ADDRESS: run CLIENT against ADDRESS and report
# whether it connected.
report_client() {
    local name=$1 client=$2 addr=$3 status=0
    testbed_run_client "$client" "$addr" "$PORT" || status=$?
    if ((status == 0)); then
        report_ok "$name"
    else
        report_not_ok "$name" "$client to $addr port $PORT exited with status $status"
        report_file_tail "$TB_DIR/client.log"
    fi
}

# Start tlsfp --json and report whether it attached.  Returns 1 if not.
start_tlsfp() {
    local name=$1 out=$2 err=$3
    if testbed_start_tlsfp "$TLSFP" "$out" "$err" --json; then
        report_ok "$name"
        return 0
    fi
    report_not_ok "$name" "$(tail -n 1 "$err")"
    return 1
}

check_killed_detached() {
    local name="xdp detached within 2 s of SIGKILL"
    if testbed_wait_xdp_detached 2; then
        report_ok "$name (ip link)"
    else
        report_not_ok "$name (ip link)" \
            "$(ip -n "$TB_NS_SERVER" link show dev "$TB_DEV_SERVER" | grep -o 'prog/xdp.*')"
    fi
    report_equal "$name (bpftool net)" 0 "$(testbed_bpftool_xdp_count)"
}

main() {
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl curl jq bpftool; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi

    testbed_up
    testbed_start_server "$PORT"

    if ! start_tlsfp "tlsfp attaches" "$TB_DIR/first.out" "$TB_DIR/first.err"; then
        exit_with_summary
    fi
    report_client "curl connects while attached" curl-tls1.3 "$TB_ADDR4_SERVER"

    kill -s KILL "$TB_TLSFP_PID"
    wait "$TB_TLSFP_PID" 2>/dev/null || true
    testbed_forget_pid "$TB_TLSFP_PID"
    check_killed_detached

    report_client "curl over ipv4 after SIGKILL" curl-tls1.3 "$TB_ADDR4_SERVER"
    report_client "curl over ipv6 after SIGKILL" curl-tls1.2 "$TB_ADDR6_SERVER"

    if start_tlsfp "tlsfp attaches again without --force" \
        "$TB_DIR/second.out" "$TB_DIR/second.err"; then
        report_client "curl connects after reattach" curl-tls1.3 "$TB_ADDR4_SERVER"
        if testbed_stop "$TB_TLSFP_PID" INT 5; then
            report_equal "second tlsfp exit status after SIGINT" 0 "$TB_EXIT_STATUS"
        else
            report_not_ok "second tlsfp exit status after SIGINT" \
                "still running 5 s after SIGINT, killed"
        fi
        report_equal "second tlsfp reports one ClientHello" 1 \
            "$(wc -l <"$TB_DIR/second.out")"
    fi

    testbed_down
    exit_with_summary
}

main "$@"
