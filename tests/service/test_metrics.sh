#!/bin/bash
# --metrics FILE: tlsfp writes the counters every second while curl
# connects; the file must parse as the Prometheus text format
# (promparse.py), carry interface and direction labels, leave no
# temporary file behind, and its counters must move with the traffic.  A
# metrics file that cannot be written fails the start and leaves no
# program attached.  Needs root.
#
# Usage: tests/service/test_metrics.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
PARSER=$REPO_ROOT/tests/service/promparse.py
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

CLIENTS=5
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

# value_of PARSED SERIES: print the value of SERIES (name and labels, as
# promparse.py prints them) in PARSED, an output of promparse.py, or
# nothing.
value_of() {
    awk -v key="$2" '$1 == key { print $2 }' "$1"
}

# Wait until FILE is newer than the time stamp file STAMP, at most 5 s.
wait_newer() {
    local i
    for ((i = 0; i < 50; i++)); do
        [[ $1 -nt $2 ]] && return 0
        sleep 0.1
    done
    return 1
}

# The parser must reject each of these: no point in trusting it otherwise.
check_parser_rejects() {
    local name=$1 text=$2 file
    file=$(mktemp)
    printf '%b' "$text" >"$file"
    if /usr/bin/python3 "$PARSER" "$file" >/dev/null 2>&1; then
        report_not_ok "parser rejects $name" "accepted: $text"
    else
        report_ok "parser rejects $name"
    fi
    rm -f "$file"
}
GOOD='# HELP a_total A.\n# TYPE a_total counter\n'
check_parser_rejects "sample without TYPE" 'a_total 1\n'
check_parser_rejects "unquoted label" "${GOOD}"'a_total{x=y} 1\n'
check_parser_rejects "bad value" "${GOOD}"'a_total{x="y"} one\n'
check_parser_rejects "repeated series" "${GOOD}"'a_total 1\na_total 2\n'
check_parser_rejects "counter without _total" '# HELP a A.\n# TYPE a counter\na 1\n'
check_parser_rejects "missing last newline" "${GOOD}"'a_total 1'

report_skip_unless_root
trap on_exit EXIT
report_require_programs ip openssl curl
testbed_up
testbed_start_server 443

metrics=$TB_DIR/tlsfp.prom
dir_in='interface="vs0",direction="in"'
# A strict umask, as the unit's UMask=0027: the file must stay readable
# by node_exporter's user all the same.
old_umask=$(umask)
umask 077
started=1
testbed_start_tlsfp "$TLSFP" /dev/null "$TB_DIR/tlsfp.err" \
    --metrics "$metrics" --metrics-interval 1 || started=0
umask "$old_umask"
if ((!started)); then
    report_not_ok "tlsfp starts with --metrics" "$(cat "$TB_DIR/tlsfp.err")"
    SUMMARY_PRINTED=1
    report_summary
    exit 1
fi
report_ok "tlsfp starts with --metrics"
report_equal "metrics file mode" 644 "$(stat -c %a "$metrics")"

if /usr/bin/python3 "$PARSER" "$metrics" >"$TB_DIR/before" \
    2>"$TB_DIR/parse.err"; then
    report_ok "metrics file parses"
else
    report_not_ok "metrics file parses" "$(cat "$TB_DIR/parse.err")"
fi
for family in '# HELP tlsfp_packets_total ' '# TYPE tlsfp_packets_total counter'; do
    if grep -qF -- "$family" "$metrics"; then
        report_ok "has '$family'"
    else
        report_not_ok "has '$family'" "not in $metrics"
    fi
done
dir_out='interface="vs0",direction="out"'
packets0=$(value_of "$TB_DIR/before" "tlsfp_packets_total{$dir_in}")
reported0=$(value_of "$TB_DIR/before" "tlsfp_reported_total{$dir_in}")
report_equal "reported before traffic" 0 "$reported0"

for ((i = 0; i < CLIENTS; i++)); do
    testbed_curl "$TB_ADDR4_SERVER" 443 >>"$TB_DIR/client.log" 2>&1 || true
done
# A line waits up to 2 s for its ServerHello; then one more write.
sleep 2.2
touch "$TB_DIR/stamp"
if ! wait_newer "$metrics" "$TB_DIR/stamp"; then
    report_not_ok "metrics file rewritten" "not written again within 5 s"
fi
/usr/bin/python3 "$PARSER" "$metrics" >"$TB_DIR/after" 2>"$TB_DIR/parse.err" ||
    report_not_ok "metrics file parses after traffic" "$(cat "$TB_DIR/parse.err")"
packets1=$(value_of "$TB_DIR/after" "tlsfp_packets_total{$dir_in}")
packets_out=$(value_of "$TB_DIR/after" "tlsfp_packets_total{$dir_out}")
reported1=$(value_of "$TB_DIR/after" "tlsfp_reported_total{$dir_in}")
if ((packets1 > packets0 + 5 * CLIENTS)); then
    report_ok "inbound packets counter moves"
else
    report_not_ok "inbound packets counter moves" "from $packets0 to $packets1"
fi
# The egress program sees the server's answers on the same veth.
if ((packets_out > 5 * CLIENTS)); then
    report_ok "outbound packets counter moves"
else
    report_not_ok "outbound packets counter moves" "got '$packets_out'"
fi
report_equal "reported counter moves" "$CLIENTS" "$reported1"
report_equal "inbound hellos counter moves" "$CLIENTS" \
    "$(value_of "$TB_DIR/after" "tlsfp_hellos_total{$dir_in}")"
report_equal "outbound hellos stay" 0 \
    "$(value_of "$TB_DIR/after" "tlsfp_hellos_total{$dir_out}")"
report_equal "server hellos counted outbound" "$CLIENTS" \
    "$(value_of "$TB_DIR/after" "tlsfp_server_hellos_total{$dir_out}")"
report_equal "outbound reported stays" 0 \
    "$(value_of "$TB_DIR/after" "tlsfp_reported_total{$dir_out}")"
if [[ -e $metrics.tmp ]]; then
    report_not_ok "no temporary file left" "$metrics.tmp exists"
else
    report_ok "no temporary file left"
fi

if testbed_stop "$TB_TLSFP_PID" INT 10; then
    report_equal "tlsfp exit status" 0 "$TB_EXIT_STATUS"
else
    report_not_ok "tlsfp exit status" "did not exit within 10 s of SIGINT"
fi

# A metrics file in a directory that does not exist: exit 1, detached.
status=0
testbed_in_server "$TLSFP" --metrics "$TB_DIR/missing/tlsfp.prom" \
    "$TB_DEV_SERVER" >/dev/null 2>"$TB_DIR/bad.err" || status=$?
report_equal "unwritable metrics status" 1 "$status"
if grep -qF -- "--metrics: write $TB_DIR/missing/tlsfp.prom.tmp: No such file or directory" \
    "$TB_DIR/bad.err"; then
    report_ok "unwritable metrics message"
else
    report_not_ok "unwritable metrics message" "$(cat "$TB_DIR/bad.err")"
fi
if testbed_xdp_attached; then
    report_not_ok "unwritable metrics detaches" "an XDP program is still on $TB_DEV_SERVER"
else
    report_ok "unwritable metrics detaches"
fi
SUMMARY_PRINTED=1
report_summary
