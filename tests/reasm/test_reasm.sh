#!/bin/bash
# Reassembly tests on the captures of gen_split.py.  Every capture listed in
# cases.tsv goes through `tlsfp -r --json -s`.  Each client flow must give
# the event of its row (a JA3, a truncated report or nothing), and no other
# event may appear.  The row's counter conditions must hold, and every JA3
# must equal tshark's.  Then a test bed (two network namespaces and a veth pair) replays
# a subset of the captures with tcpreplay out of the client-side veth while
# tlsfp runs live on the server side, and the same rows are checked again.
#
# Usage: tests/reasm/test_reasm.sh   (TLSFP=path overrides .output/tlsfp)
# Needs root, tshark, jq, tcpreplay, iproute2, ethtool, openssl and
# /usr/bin/python3 with scapy.  Prints "ok - NAME", "not ok - NAME: why" and
# "skip - NAME: why" lines, then "N passed, N failed"; exits 1 on a failure.
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
CASES=$HERE/cases.tsv
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

# Captures replayed onto the veth.  Each frame fits the veth's 1500-byte
# MTU, and no capture waits longer than a few milliseconds between frames.
LIVE_CAPTURES=(
    big-2seg curl13-1byte big-ooo-reversed big-ooo-middle-last big-dup-each
    big-overlap big-3rec-4seg big-2seg-vlan big-2seg-ipv6 big-connect-2seg
    big-fin-early flows-200
)
TSHARK_PREFS=(
    -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE
    -o tcp.reassemble_out_of_order:TRUE
)
WORK=""
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
    if [[ -n $WORK ]]; then
        rm -rf -- "$WORK"
    fi
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

# Print the result lines of a checker and count them.
tally() {
    local line
    while IFS= read -r line; do
        printf '%s\n' "$line"
        case $line in
            "ok - "*) TB_PASSED=$((TB_PASSED + 1)) ;;
            "not ok - "*) TB_FAILED=$((TB_FAILED + 1)) ;;
        esac
    done
}

# Print the file column of cases.tsv, each capture once, in table order.
capture_files() {
    tail -n +2 "$CASES" | cut -f2 | awk '!seen[$0]++'
}

# Print how many events tlsfp must print for FILE: its rows that are not
# "none".
expected_events() {
    awk -F'\t' -v f="$1" '$2 == f && $5 != "none"' "$CASES" | wc -l
}

# Print the hellos tshark finds in CAPTURE as check_events.py reads them.
tshark_hellos() {
    tshark -r "$1" "${TSHARK_PREFS[@]}" -Y 'tls.handshake.type == 1' \
        -T fields -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
        -e tls.handshake.ja3 2>/dev/null
}

test_generator() {
    local diff
    if diff=$(/usr/bin/python3 "$HERE/gen_split.py" --check 2>&1); then
        report_ok "captures match gen_split.py"
    else
        report_not_ok "captures match gen_split.py" \
            "$(head -n 3 <<<"$diff" | tr '\n' ' ')(run tests/reasm/gen_split.py)"
    fi
}

# Report lines of tlsfp's standard error other than its summary: warnings
# and errors that no check expects.
check_stderr() {
    local name=$1 err=$2 other
    other=$(grep '^tlsfp: ' "$err" |
        grep -v -e '^tlsfp: [0-9]* ClientHellos\? reported' \
            -e '^tlsfp: BPF map memory' || true)
    if [[ -z $other ]]; then
        report_ok "$name no warnings"
    else
        report_not_ok "$name no warnings" "$(head -n 1 <<<"$other")"
    fi
}

# Run tlsfp -r and tshark on one capture, writing their output and tlsfp's
# exit status into DIR.
read_capture() {
    local file=$1 dir=$2 status=0
    "$TLSFP" -r "$HERE/$file" --json -s >"$dir/out" 2>"$dir/err" ||
        status=$?
    printf '%s\n' "$status" >"$dir/status"
    tshark_hellos "$HERE/$file" >"$dir/tshark.tsv"
}

# Run every capture through tlsfp -r and check it against its rows and
# against tshark.
test_replay_files() {
    local file name dir status max_jobs
    # Loading the BPF program and starting tshark take most of the time, so
    # several captures are read at once.
    max_jobs=$(nproc)
    if ((max_jobs > 8)); then
        max_jobs=8
    fi
    while IFS= read -r file; do
        name=$(basename "$file" .pcap)
        mkdir -p "$WORK/r/$name"
        while (($(jobs -rp | wc -l) >= max_jobs)); do
            wait -n
        done
        read_capture "$file" "$WORK/r/$name" &
    done < <(capture_files)
    wait

    while IFS= read -r file; do
        name=$(basename "$file" .pcap)
        dir=$WORK/r/$name
        status=$(cat "$dir/status")
        report_equal "$name tlsfp -r exit status" 0 "$status"
        if ((status != 0)); then
            report_file_tail "$dir/err"
        fi
        check_stderr "$name" "$dir/err"
        tally < <(/usr/bin/python3 "$HERE/check_events.py" \
            --tshark "$dir/tshark.tsv" "$CASES" "$file" "$dir/out" "$dir/err")
    done < <(capture_files)
}

# Wait at most 5 s for FILE to have COUNT lines.
wait_for_lines() {
    local file=$1 count=$2 i
    for ((i = 0; i < 50; i++)); do
        if (($(wc -l <"$file") >= count)); then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# Replay one capture out of the client-side veth while tlsfp runs live on
# the server side, then check tlsfp's events.
replay_live() {
    local name=$1 file="captures/$1.pcap" dir="$WORK/live/$1" status failed
    mkdir -p "$dir"
    : >"$dir/out"
    if ! testbed_start_tlsfp "$TLSFP" "$dir/out" "$dir/err" --json -s; then
        report_not_ok "live $name tlsfp attaches" "$(tail -n 1 "$dir/err")"
        return
    fi

    status=0
    testbed_in_client tcpreplay -q -i "$TB_DEV_CLIENT" "$HERE/$file" \
        >"$dir/tcpreplay.log" 2>&1 || status=$?
    # tcpreplay exits 0 even when the device rejects a frame.
    failed=$(sed -n 's/^[[:space:]]*Failed packets:[[:space:]]*//p' \
        "$dir/tcpreplay.log")
    if ((status != 0)) || [[ $failed != 0 ]]; then
        report_not_ok "live $name tcpreplay sends every frame" \
            "exit status $status, failed packets '$failed': $(grep -m 1 -i 'unable\|error' "$dir/tcpreplay.log")"
    else
        report_ok "live $name tcpreplay sends every frame"
    fi

    # A little longer than the expected events take, to catch extra ones.
    wait_for_lines "$dir/out" "$(expected_events "$file")" || true
    sleep 0.3
    if testbed_stop "$TB_TLSFP_PID" INT 5; then
        report_equal "live $name tlsfp exit status after SIGINT" 0 \
            "$TB_EXIT_STATUS"
    else
        report_not_ok "live $name tlsfp exit status after SIGINT" \
            "still running 5 s after SIGINT, killed"
    fi

    check_stderr "live $name" "$dir/err"
    tally < <(/usr/bin/python3 "$HERE/check_events.py" --prefix "live " \
        "$CASES" "$file" "$dir/out" "$dir/err")
}

test_live() {
    local name
    if ! report_require_programs tcpreplay ethtool; then
        return
    fi
    testbed_up
    for name in "${LIVE_CAPTURES[@]}"; do
        replay_live "$name"
    done
    testbed_down
}

main() {
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs tshark jq ip /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi
    WORK=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-reasm.XXXXXX")

    test_generator
    test_replay_files
    test_live
    exit_with_summary
}

main "$@"
