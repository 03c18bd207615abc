#!/bin/bash
# End-to-end test of blocking.  tlsfp runs with a blocklist on the server
# side of a veth pair while curl and openssl s_client connect to openssl
# s_server.  The fingerprints put in the lists come from tshark (JA3) and
# tests/vectors/ref/ja4.py (JA4) on captures of the same clients, never from
# tlsfp.  Runs, each with its own tlsfp:
#
#   ja3       curl's JA3 listed: curl's first connection fails, s_client's
#             works, and -s counts the drops
#   ipv6      the same over IPv6
#   reload    SIGHUP loads a changed list, and a list with an invalid line
#             leaves the previous set active
#   dry-run   the match is reported as would-block and nothing is dropped
#   split     a ClientHello split over several segments (client MTU 576) is
#             blocked as well
#   ja4       a JA4 entry lets the hello pass and drops the rest of the flow
#
# Every client connects to a server port of its own.  openssl s_server
# serves one connection at a time, and a blocked connection keeps it
# waiting for bytes that never come, so a shared port would hang later
# clients.  Needs root.
#
# Usage: tests/block/test_block_live.sh   (TLSFP=path overrides .output/tlsfp)

# The clients run through check_connects and learn_client, which shellcheck
# does not follow.
# shellcheck disable=SC2317
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
REF_JA4=$REPO_ROOT/tests/vectors/ref/ja4.py
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

SUMMARY_PRINTED=0
# The next server port that start_port hands out.
NEXT_PORT=20000
# Seconds a client may take before it counts as failed.  A blocked client
# gets no ServerHello (JA3) or no reply to its request (JA4), so it waits
# for the whole time.
CLIENT_SECONDS=3
# An MTU at which the large ClientHello below needs several TCP segments.
SPLIT_MTU=576
# 40 ALPN names of 16 bytes make openssl s_client's ClientHello 999 bytes
# long (OpenSSL 3.0), more than two segments at MTU 576.
BIG_ALPN=$(printf 'proto-%010d,' $(seq 1 40))
BIG_ALPN=${BIG_ALPN%,}

# Fingerprints learned from captures: JA3 from tshark, JA4 from ref/ja4.py.
CURL_JA3=""
CURL_JA4=""
OPENSSL_JA3=""
OPENSSL_JA4=""
BIG_JA3=""

# Directory, files and server PIDs of the current tlsfp run.
RUN_SERVER_PIDS=()
RUN_DIR=""
RUN_OUT=""
RUN_ERR=""

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

# Start openssl s_server on a new port and set PORT to it.  The servers'
# PIDs are also kept in RUN_SERVER_PIDS, so that stop_run can stop them.
start_port() {
    local first=${#TB_PIDS[@]}
    PORT=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
    testbed_start_server "$PORT"
    RUN_SERVER_PIDS+=("${TB_PIDS[@]:first}")
}

# Stop the servers started since the last call and close every TCP socket
# of the client namespace.  A blocked client's socket lives on after the
# client exits and goes on retransmitting its ClientHello, which the tlsfp
# of the next run would see and count as a new match.  ss -K aborts such
# sockets with a reset.
stop_servers() {
    local pid
    for pid in "${RUN_SERVER_PIDS[@]}"; do
        testbed_stop "$pid" TERM 2 || true
    done
    RUN_SERVER_PIDS=()
    testbed_in_client ss -K -t -n state all >/dev/null
}

# Start a TCP server on a new port that accepts one connection and never
# sends anything, and set PORT to it.  A TLS client connecting to it sends
# its ClientHello and gets no ServerHello.
start_silent_port() {
    PORT=$NEXT_PORT
    NEXT_PORT=$((NEXT_PORT + 1))
    testbed_in_server /usr/bin/python3 -c '
import socket, sys, time
server = socket.create_server((sys.argv[1], int(sys.argv[2])))
connection, _ = server.accept()
time.sleep(60)
' "$TB_ADDR4_SERVER" "$PORT" &
    TB_PIDS+=("$!")
    RUN_SERVER_PIDS+=("$!")
    testbed_wait_port "$TB_NS_SERVER" "$TB_ADDR4_SERVER:$PORT"
}

# Run curl against PORT on ADDRESS (default: the server's IPv4 address).
# Returns curl's exit status: 0 when the page arrived, 28 on a timeout.
run_curl() {
    local port=$1 addr=${2:-$TB_ADDR4_SERVER} host=${2:-$TB_ADDR4_SERVER}
    if [[ $addr == *:* ]]; then
        host="[$addr]"
    fi
    printf '\n=== curl %s port %s\n' "$addr" "$port" >>"$TB_DIR/client.log"
    testbed_in_client curl --silent --show-error --insecure \
        --max-time "$CLIENT_SECONDS" --output /dev/null \
        --resolve "$TB_SERVER_NAME:$port:$host" \
        "https://$TB_SERVER_NAME:$port/" >>"$TB_DIR/client.log" 2>&1
}

# Run openssl s_client against PORT with any extra OPTIONs, send an HTTP
# request REQUEST_DELAY seconds after the start, and return 0 when
# s_server's page arrived.  s_client's exit status alone does not tell: it
# exits 0 when its input ends, whether or not the server replied.  The
# client's output is kept in $TB_DIR/s_client-PORT.log.
REQUEST_DELAY=0
run_openssl() {
    local port=$1 out="$TB_DIR/s_client-$1.log"
    shift
    {
        sleep "$REQUEST_DELAY"
        printf 'GET / HTTP/1.0\r\n\r\n'
    } | testbed_in_client timeout "$CLIENT_SECONDS" openssl s_client \
        -connect "$TB_ADDR4_SERVER:$port" -servername "$TB_SERVER_NAME" \
        -ign_eof "$@" >"$out" 2>&1 || true
    cat "$out" >>"$TB_DIR/client.log"
    grep -q '^HTTP/1.0 200 ok' "$out"
}

# Like run_openssl, but the request leaves 1 s after the start, well after
# the handshake.  tlsfp takes JA4 verdicts in user space, after the
# ClientHello has passed, and a client that sends its request at once can
# get the reply before the flow is blocked.
run_openssl_late_request() {
    REQUEST_DELAY=1 run_openssl "$@"
}

# check_connects NAME EXPECTED(works|fails) COMMAND...
check_connects() {
    local name=$1 expected=$2 status=0
    shift 2
    "$@" || status=$?
    if [[ $expected == works && $status == 0 ]]; then
        report_ok "$name"
    elif [[ $expected == fails && $status != 0 ]]; then
        report_ok "$name"
    elif [[ $expected == works ]]; then
        report_not_ok "$name" "client failed with status $status"
        report_file_tail "$TB_DIR/client.log"
    else
        report_not_ok "$name" "client connected and got the page"
    fi
}

# Print the JA3 hash that tshark finds in the first ClientHello of CAPTURE.
tshark_ja3() {
    tshark -r "$1" -Y 'tls.handshake.type == 1' -T fields \
        -e tls.handshake.ja3 -o tls.desegment_ssl_records:TRUE \
        -o tcp.desegment_tcp_streams:TRUE 2>/dev/null | head -n 1
}

# Print the JA4 that ref/ja4.py computes for the first ClientHello of
# CAPTURE.
reference_ja4() {
    /usr/bin/python3 "$REF_JA4" --no-header "$1" | cut -f 7 | head -n 1
}

# learn_client NAME COMMAND...: capture one connection of the client and
# set NAME_JA3 and NAME_JA4 from it.
learn_client() {
    local name=$1 capture
    shift
    capture="$TB_DIR/learn-$name.pcap"
    testbed_start_capture "$capture"
    "$@" || true
    testbed_stop "$TB_CAPTURE_PID" INT 5 || true
    printf -v "${name}_JA3" '%s' "$(tshark_ja3 "$capture")"
    printf -v "${name}_JA4" '%s' "$(reference_ja4 "$capture")"
}

# Learn the fingerprints of the three clients, before any tlsfp runs.
learn_fingerprints() {
    # learn_client sets it too, but only the JA3 of the large hello is used.
    # shellcheck disable=SC2034
    local BIG_JA4=""
    start_port
    learn_client CURL run_curl "$PORT"
    start_port
    learn_client OPENSSL run_openssl "$PORT"
    start_port
    learn_client BIG run_openssl "$PORT" -alpn "$BIG_ALPN"
    stop_servers

    local md5='^[0-9a-f]{32}$'
    local ja4='^t13d[0-9]{4}[0-9a-z]{2}_[0-9a-f]{12}_[0-9a-f]{12}$'
    [[ $CURL_JA3 =~ $md5 && $OPENSSL_JA3 =~ $md5 && $BIG_JA3 =~ $md5 ]] ||
        return 1
    [[ $CURL_JA4 =~ $ja4 && $OPENSSL_JA4 =~ $ja4 ]] || return 1
    # Each run blocks one client and expects the others through.
    [[ $CURL_JA3 != "$OPENSSL_JA3" && $CURL_JA3 != "$BIG_JA3" &&
        $OPENSSL_JA3 != "$BIG_JA3" && $CURL_JA4 != "$OPENSSL_JA4" ]]
}

# start_run NAME [OPTION...]: start tlsfp --json -s with the options.
start_run() {
    local name=$1
    shift
    RUN_DIR="$TB_DIR/run-$name"
    RUN_OUT="$RUN_DIR/tlsfp.out"
    RUN_ERR="$RUN_DIR/tlsfp.err"
    mkdir -p "$RUN_DIR"
    : >"$RUN_OUT"
    : >"$RUN_ERR"
    if ! testbed_start_tlsfp "$TLSFP" "$RUN_OUT" "$RUN_ERR" --json -s "$@"; then
        report_not_ok "$name tlsfp attaches" "$(tail -n 1 "$RUN_ERR")"
        return 1
    fi
    report_ok "$name tlsfp attaches"
}

# Stop tlsfp with SIGINT and check that it exits 0 and leaves no XDP
# program on the interface.
stop_run() {
    local name=$1
    if testbed_stop "$TB_TLSFP_PID" INT 5; then
        report_equal "$name tlsfp exit status" 0 "$TB_EXIT_STATUS"
    else
        report_not_ok "$name tlsfp exit status" "still running 5 s after SIGINT, killed"
    fi
    if [[ $TB_EXIT_STATUS != 0 ]]; then
        report_file_tail "$RUN_ERR"
    fi
    if testbed_xdp_attached; then
        report_not_ok "$name xdp detached (ip link)" \
            "$(ip -n "$TB_NS_SERVER" link show dev "$TB_DEV_SERVER" | grep -o 'prog/xdp.*')"
    else
        report_ok "$name xdp detached (ip link)"
    fi
    report_equal "$name xdp detached (bpftool net)" 0 "$(testbed_bpftool_xdp_count)"
    stop_servers
}

# Print tlsfp's ClientHello event for the connection to server PORT,
# waiting at most 3 s for it.  Prints nothing if there is none.  A line
# that reports only a ServerHello (JA3S) is skipped.
event_for_port() {
    local port=$1 i event
    for ((i = 0; i < 30; i++)); do
        event=$(jq -c --argjson port "$port" 'select(.dest_port == $port and
            (.tls | has("ja3") or has("ja3_error") or has("truncated")))' \
            "$RUN_OUT" 2>/dev/null | head -n 1)
        if [[ -n $event ]]; then
            printf '%s\n' "$event"
            return 0
        fi
        sleep 0.1
    done
}

# check_event NAME PORT JQ_FILTER EXPECTED: compare one field of the event
# for PORT.
check_event() {
    local name=$1 port=$2 filter=$3 expected=$4 event
    event=$(event_for_port "$port")
    if [[ -z $event ]]; then
        report_not_ok "$name" "no tlsfp event for the connection to port $port"
        return
    fi
    report_equal "$name" "$expected" "$(jq -r "$filter" <<<"$event")"
}

# Print the value of counter NAME from tlsfp's -s output.
counter() {
    awk -v name="$1" '$1 == name { print $2; exit }' "$RUN_ERR"
}

# Print the hits of blocklist entry FP from tlsfp's -s output.
entry_hits() {
    awk -v fp="$1" '$1 == fp { print $2; exit }' "$RUN_ERR"
}

check_counter_positive() {
    local name=$1 counter_name=$2 value
    value=$(counter "$counter_name")
    if [[ $value =~ ^[0-9]+$ ]] && ((value > 0)); then
        report_ok "$name"
    else
        report_not_ok "$name" "$counter_name is '$value', expected more than 0"
    fi
}

# Wait at most 3 s for a line matching the extended regular expression
# PATTERN in tlsfp's stderr.
wait_for_stderr() {
    local pattern=$1 i
    for ((i = 0; i < 30; i++)); do
        if grep -qE -- "$pattern" "$RUN_ERR"; then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# A listed JA3 is dropped from the first connection on.
run_ja3_block() {
    local list="$TB_DIR/ja3.txt" curl_port openssl_port
    printf '%s # curl test client\n' "$CURL_JA3" >"$list"
    start_run ja3 -b "$list" || return 0

    start_port
    curl_port=$PORT
    check_connects "ja3 curl's first connection fails" fails run_curl "$curl_port"
    start_port
    openssl_port=$PORT
    check_connects "ja3 s_client gets the page" works run_openssl "$openssl_port"

    check_event "ja3 curl event action" "$curl_port" .action blocked
    check_event "ja3 curl event fingerprint kind" "$curl_port" \
        .blocklist.fingerprint ja3
    check_event "ja3 curl event entry" "$curl_port" .blocklist.entry "$CURL_JA3"
    check_event "ja3 curl event source" "$curl_port" .blocklist.source "$list:1"
    check_event "ja3 curl event reason" "$curl_port" .blocklist.reason \
        "curl test client"
    check_event "ja3 curl event hash" "$curl_port" .tls.ja3.hash "$CURL_JA3"
    check_event "ja3 s_client event action" "$openssl_port" .action allowed
    check_event "ja3 s_client event has no entry" "$openssl_port" \
        '.blocklist // "none"' none

    stop_run ja3
    report_equal "ja3 stats blocked" 1 "$(counter blocked)"
    check_counter_positive "ja3 stats dropped_later" dropped_later
    report_equal "ja3 stats md5_mismatch" 0 "$(counter md5_mismatch)"
    report_equal "ja3 stats err_ja3_build" 0 "$(counter err_ja3_build)"
    report_equal "ja3 stats would_block" 0 "$(counter would_block)"
    report_equal "ja3 stats entry hits" 1 "$(entry_hits "$CURL_JA3")"
}

# write_list FILE LINE...: replace FILE's content in one rename, as a feed
# updater would, so that a reload never reads half a file.
write_list() {
    local file=$1
    shift
    printf '%s\n' "$@" >"$file.new"
    mv -f -- "$file.new" "$file"
}

# The same JA3 block over IPv6.
run_ipv6() {
    local list="$TB_DIR/ipv6.txt" port
    printf '%s # curl over IPv6\n' "$CURL_JA3" >"$list"
    start_run ipv6 -b "$list" || return 0

    start_port
    port=$PORT
    check_connects "ipv6 curl fails" fails run_curl "$port" "$TB_ADDR6_SERVER"
    check_event "ipv6 curl event action" "$port" .action blocked
    check_event "ipv6 curl event source address" "$port" .src_ip "$TB_ADDR6_CLIENT"
    start_port
    check_connects "ipv6 curl over IPv4 also fails" fails \
        run_curl "$PORT"

    stop_run ipv6
    report_equal "ipv6 stats blocked" 2 "$(counter blocked)"
    check_counter_positive "ipv6 stats dropped_later" dropped_later
    report_equal "ipv6 stats md5_mismatch" 0 "$(counter md5_mismatch)"
}

# SIGHUP loads a changed list.  A list with an invalid line is rejected
# with its file and line named, and the previous set stays active: the
# previous set blocks s_client and not curl, the rejected file would block
# curl and not s_client.
run_reload() {
    local list="$TB_DIR/reload.txt" port reloads
    write_list "$list" "$CURL_JA3 # curl, first set"
    start_run reload -b "$list" || return 0

    start_port
    check_connects "reload curl blocked by the first set" fails run_curl "$PORT"

    write_list "$list" "$OPENSSL_JA3 # s_client, second set"
    kill -s HUP "$TB_TLSFP_PID"
    if wait_for_stderr 'reload: 1 JA3 and 0 JA4 entries now active'; then
        report_ok "reload second set loaded"
    else
        report_not_ok "reload second set loaded" "no reload message in 3 s"
        report_file_tail "$RUN_ERR"
    fi
    start_port
    check_connects "reload curl works after its entry is removed" works \
        run_curl "$PORT"
    start_port
    port=$PORT
    check_connects "reload s_client blocked by the second set" fails \
        run_openssl "$port"
    check_event "reload s_client event source" "$port" .blocklist.source "$list:1"
    check_event "reload s_client event reason" "$port" .blocklist.reason \
        "s_client, second set"

    reloads=$(grep -c 'entries now active' "$RUN_ERR" || true)
    write_list "$list" "$CURL_JA3 # curl, rejected set" "not-a-hash"
    kill -s HUP "$TB_TLSFP_PID"
    if wait_for_stderr 'reload: blocklists unchanged'; then
        report_ok "reload invalid list rejected"
    else
        report_not_ok "reload invalid list rejected" "no 'blocklists unchanged' message in 3 s"
        report_file_tail "$RUN_ERR"
    fi
    if grep -qxF "tlsfp: $list:2: 'not-a-hash' is not a fingerprint (want a JA3 hash of 32 hex digits or a JA4 like t13d1516h2_8daaf6152771_e5627efa2ab1)" "$RUN_ERR"; then
        report_ok "reload error names file and line"
    else
        report_not_ok "reload error names file and line" "no '$list:2: ...' message"
        report_file_tail "$RUN_ERR"
    fi
    report_equal "reload rejected set not announced as active" \
        "$reloads" "$(grep -c 'entries now active' "$RUN_ERR" || true)"
    if kill -0 "$TB_TLSFP_PID" 2>/dev/null; then
        report_ok "reload tlsfp runs on after the invalid list"
    else
        report_not_ok "reload tlsfp runs on after the invalid list" "tlsfp exited"
    fi
    start_port
    check_connects "reload s_client still blocked by the second set" fails \
        run_openssl "$PORT"
    start_port
    check_connects "reload curl not blocked by the rejected set" works \
        run_curl "$PORT"

    stop_run reload
    report_equal "reload stats blocked" 3 "$(counter blocked)"
    report_equal "reload stats md5_mismatch" 0 "$(counter md5_mismatch)"
    report_equal "reload stats s_client entry hits" 2 "$(entry_hits "$OPENSSL_JA3")"
}

# --dry-run reports the match and drops nothing.
run_dry_run() {
    local list="$TB_DIR/dry.txt" port
    printf '%s # curl, dry run\n' "$CURL_JA3" >"$list"
    start_run dry-run -b "$list" --dry-run || return 0

    start_port
    port=$PORT
    check_connects "dry-run curl works" works run_curl "$port"
    check_event "dry-run curl event action" "$port" .action would-block
    check_event "dry-run curl event entry" "$port" .blocklist.entry "$CURL_JA3"
    check_event "dry-run curl event reason" "$port" .blocklist.reason "curl, dry run"

    stop_run dry-run
    report_equal "dry-run stats would_block" 1 "$(counter would_block)"
    report_equal "dry-run stats blocked" 0 "$(counter blocked)"
    report_equal "dry-run stats dropped_later" 0 "$(counter dropped_later)"
    report_equal "dry-run stats md5_mismatch" 0 "$(counter md5_mismatch)"
}

# A ClientHello split over several segments is reassembled and blocked.
run_split() {
    local list="$TB_DIR/split.txt" port
    printf '%s # s_client with a long ALPN list\n' "$BIG_JA3" >"$list"
    ip -n "$TB_NS_CLIENT" link set dev "$TB_DEV_CLIENT" mtu "$SPLIT_MTU"
    start_run split -b "$list" || {
        ip -n "$TB_NS_CLIENT" link set dev "$TB_DEV_CLIENT" mtu 1500
        return 0
    }

    start_port
    port=$PORT
    check_connects "split large hello blocked" fails \
        run_openssl "$port" -alpn "$BIG_ALPN"
    check_event "split large hello event action" "$port" .action blocked
    check_event "split large hello took several segments" "$port" \
        '.tls.segments > 1' true
    check_event "split large hello event hash" "$port" .tls.ja3.hash "$BIG_JA3"
    start_port
    check_connects "split plain s_client works" works run_openssl "$PORT"
    start_port
    check_connects "split curl works" works run_curl "$PORT"

    stop_run split
    ip -n "$TB_NS_CLIENT" link set dev "$TB_DEV_CLIENT" mtu 1500
    report_equal "split stats blocked" 1 "$(counter blocked)"
    check_counter_positive "split stats reassembled" reassembled
    check_counter_positive "split stats dropped_later" dropped_later
    report_equal "split stats md5_mismatch" 0 "$(counter md5_mismatch)"
}

# A JA4 entry is matched by tlsfp in user space: the ClientHello passes,
# then the rest of the flow is dropped.
run_ja4_block() {
    local list="$TB_DIR/ja4.txt" port
    printf '%s # s_client by JA4\n' "$OPENSSL_JA4" >"$list"
    start_run ja4 -b "$list" || return 0

    start_port
    port=$PORT
    check_connects "ja4 s_client gets no page" fails \
        run_openssl_late_request "$port"
    if grep -q '^Server certificate' "$TB_DIR/s_client-$port.log"; then
        report_ok "ja4 s_client hello passed"
    else
        report_not_ok "ja4 s_client hello passed" \
            "s_client got no server certificate, so its ClientHello was dropped"
    fi
    check_event "ja4 s_client event action" "$port" .action blocked
    check_event "ja4 s_client event fingerprint kind" "$port" \
        .blocklist.fingerprint ja4
    check_event "ja4 s_client event entry" "$port" .blocklist.entry "$OPENSSL_JA4"
    check_event "ja4 s_client event hello_passed" "$port" \
        .blocklist.hello_passed true
    check_event "ja4 s_client event reason" "$port" .blocklist.reason \
        "s_client by JA4"
    check_event "ja4 s_client event ja4" "$port" .tls.ja4 "$OPENSSL_JA4"
    start_port
    port=$PORT
    check_connects "ja4 curl works" works run_curl "$port"
    check_event "ja4 curl event action" "$port" .action allowed
    check_ja4_verdict_delay

    stop_run ja4
    # s_client's two connections: to s_server and to the silent server.
    report_equal "ja4 stats ja4_blocked" 2 "$(counter ja4_blocked)"
    report_equal "ja4 stats blocked (JA3 in the datapath)" 0 "$(counter blocked)"
    check_counter_positive "ja4 stats dropped_later" dropped_later
    report_equal "ja4 stats md5_mismatch" 0 "$(counter md5_mismatch)"
    report_equal "ja4 stats entry hits" 2 "$(entry_hits "$OPENSSL_JA4")"
}

# A JA4 verdict must not wait for the server: until tlsfp has taken it,
# the rest of the flow passes.  s_client connects to a server that never
# replies, and the blocked event must appear within 1 s of the start.
check_ja4_verdict_delay() {
    local name="ja4 verdict does not wait for the server" port i start seen=""
    start_silent_port
    port=$PORT
    run_openssl "$port" &
    start=$(date +%s.%N)
    for ((i = 0; i < 50; i++)); do
        if jq -e --argjson port "$port" \
            'select(.dest_port == $port and .action == "blocked")' \
            "$RUN_OUT" >/dev/null 2>&1; then
            seen=$(date +%s.%N)
            break
        fi
        sleep 0.1
    done
    wait "$!" || true
    if [[ -z $seen ]]; then
        report_not_ok "$name" "no blocked event for port $port within 5 s"
    elif awk -v a="$start" -v b="$seen" 'BEGIN { exit !(b - a < 1) }'; then
        report_ok "$name"
    else
        report_not_ok "$name" \
            "blocked event $(awk -v a="$start" -v b="$seen" 'BEGIN { printf "%.1f", b - a }') s after the client started"
    fi
}

main() {
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl curl tcpdump tshark jq \
        bpftool /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi

    testbed_up
    if learn_fingerprints; then
        report_ok "client fingerprints learned and distinct"
    else
        report_not_ok "client fingerprints learned and distinct" \
            "curl $CURL_JA3 $CURL_JA4, s_client $OPENSSL_JA3 $OPENSSL_JA4, large s_client $BIG_JA3"
        exit_with_summary
    fi
    run_ja3_block
    run_ipv6
    run_reload
    run_dry_run
    run_split
    run_ja4_block
    testbed_down
    exit_with_summary
}

main "$@"
