#!/bin/bash
# End-to-end test of the egress direction.  tlsfp runs on a veth inside a
# network namespace while real TLS clients and servers talk across the
# pair.  Every expected JA3 and JA3S comes from tshark on a tcpdump capture
# of the same traffic, and every expected PID from the shell that started
# the client.  Rounds, each with its own tlsfp:
#
#   egress   --direction out --json on the client veth: curl, openssl
#            s_client and Python ssl over IPv4 and IPv6 show their JA3,
#            direction "out" and the PID, name, uid and cgroup of the client;
#            a socket connected before tlsfp started shows process null
#   text     --direction both, text lines: proc=NAME[PID], proc=unknown,
#            ja3s= and server=
#   ja3s     --direction both --json on the client veth: JA3S, server
#            version and cipher suite of openssl s_server and gnutls-serv in
#            several configurations, HelloRetryRequests, and a ServerHello
#            that comes after the 2 s wait and gets a line of its own
#   both     --direction both --json on the server veth while each
#            namespace runs clients to the other's servers: every
#            ClientHello is reported once, in the direction it travelled
#   block    --direction out -b LIST on the client veth with curl's JA3
#            listed: curl's ClientHello never reaches the server's veth,
#            openssl s_client still connects
#
# Needs root.  Usage: tests/e2e/test_egress.sh   (TLSFP=path overrides
# .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

SUMMARY_PRINTED=0

# The random value that marks a ServerHello as a HelloRetryRequest
# (RFC 8446, section 4.1.3), as tshark prints tls.handshake.random.
HRR_RANDOM=cf21ad74e59a6111be1d8c021e65b891c2a211167abb8c5e079e09e2c8a8339c

# Every TCP port that a TLS server of the test listens on.
TLS_PORTS=(443 4431 4432 4433 4434 4435 4436 4437 4441 4442 4443
    5001 5002 5003 5004 6001 6002 6003 6004)

# Seconds a client may run before it is killed and counted as failed.
CLIENT_SECONDS=10
# Seconds the late server of the ja3s round waits before its ServerHello,
# longer than the 2 s that tlsfp waits for a ServerHello before it prints
# the client's line.
LATE_SERVER_DELAY=3
# Seconds that curl may take: in every round, and in the block round,
# where it waits for a ServerHello that never comes.
CURL_SECONDS=5
BLOCKED_CURL_SECONDS=2

# cgroup v2 of this script: mount point, path below it and id.  The id of
# a cgroup v2 is the inode number of its directory.
CGROUP_ROOT=""
CGROUP_PATH=""
CGROUP_ID=""
# A cgroup that one client of the egress round is started in.  on_exit
# removes it.
CHILD_CGROUP=""

# Clients started in the current round, one entry per client in start
# order: label, server port, PID, expected process name (the comm: the
# executable's base name cut to 15 bytes, or "null" for a socket that
# connected before tlsfp), uid, cgroup path and cgroup id, and exit status.
L_LABEL=()
L_PORT=()
L_PID=()
L_COMM=()
L_UID=()
L_CGROUP=()
L_CGROUP_ID=()
L_STATUS=()

# Settings of the next `launch` only, reset by it: the expected process
# name, uid and cgroup, the cgroup directory to start the client in, and
# the client's standard input.
NEXT_COMM=""
NEXT_UID=""
NEXT_CGROUP_DIR=""
NEXT_STDIN=/dev/null

# The command that client_command builds.
CMD=()

# Python client that connects, prints "connected", and starts its TLS
# handshake only once the file GO exists: its socket connects before tlsfp
# starts.  Arguments: ADDRESS PORT SERVER_NAME GO.
PREOPENED_CLIENT='
import os
import socket
import ssl
import sys
import time

address, port, server_name, go = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
sock = socket.create_connection((address, port), timeout=5)
print("connected", flush=True)
deadline = time.monotonic() + 10
while not os.path.exists(go):
    if time.monotonic() > deadline:
        sys.exit("timed out waiting for " + go)
    time.sleep(0.02)
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
with context.wrap_socket(sock, server_hostname=server_name) as tls:
    print(tls.version(), tls.cipher()[0])
'

# TLS server that waits DELAY seconds after accepting a connection before
# its handshake, so that its ServerHello comes late.  Arguments: ADDRESS
# PORT CERT KEY DELAY.
LATE_SERVER='
import socket
import ssl
import sys
import time

address, port, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4]
delay = float(sys.argv[5])
context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
context.load_cert_chain(cert, key)
listener = socket.socket()
listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
listener.bind((address, port))
listener.listen()
while True:
    conn, _ = listener.accept()
    time.sleep(delay)
    try:
        with context.wrap_socket(conn, server_side=True):
            pass
    except (OSError, ssl.SSLError):
        pass
'

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
    if [[ -n $CHILD_CGROUP ]]; then
        rmdir "$CHILD_CGROUP" 2>/dev/null || true
    fi
    if ((SUMMARY_PRINTED == 0)); then
        report_not_ok "test script" "stopped early with exit status $status"
        report_summary || true
        exit 1
    fi
}

report_skip() {
    printf 'skip - %s\n' "$1"
}

# Find the cgroup v2 mount and this script's cgroup in it.
find_cgroup() {
    CGROUP_ROOT=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/mounts)
    CGROUP_PATH=$(sed -n 's/^0:://p' /proc/self/cgroup)
    if [[ -n $CGROUP_ROOT && -n $CGROUP_PATH ]]; then
        CGROUP_ID=$(stat -c %i "$CGROUP_ROOT$CGROUP_PATH")
    fi
}

# Wait until a TCP socket listens on port PORT, any address, in namespace
# NS.
wait_port_any() {
    local ns=$1 port=$2 i
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if ip netns exec "$ns" ss -Hltn | awk '{ print $4 }' |
            grep -q ":$port\$"; then
            return 0
        fi
        sleep 0.1
    done
    testbed_log "timed out waiting for a listener on port $port in $ns"
    return 1
}

# start_openssl_server NS ADDRESS PORT [OPTION...]: openssl s_server -www
# on ADDRESS (an IPv6 address in brackets) and PORT.  s_server serves one
# connection at a time, so a client that stalls holds up the next one on
# the same port.
start_openssl_server() {
    local ns=$1 addr=$2 port=$3
    shift 3
    ip netns exec "$ns" openssl s_server -www -accept "$addr:$port" \
        -cert "$TB_DIR/cert.pem" -key "$TB_DIR/key.pem" "$@" \
        </dev/null >>"$TB_DIR/servers.log" 2>&1 &
    TB_PIDS+=("$!")
    testbed_wait_port "$ns" "$addr:$port"
}

# start_gnutls_server PORT [OPTION...]: gnutls-serv --http in the server
# namespace, on every address.
start_gnutls_server() {
    local port=$1
    shift
    ip netns exec "$TB_NS_SERVER" gnutls-serv --http -p "$port" \
        --x509keyfile "$TB_DIR/key.pem" --x509certfile "$TB_DIR/cert.pem" \
        "$@" </dev/null >>"$TB_DIR/servers.log" 2>&1 &
    TB_PIDS+=("$!")
    wait_port_any "$TB_NS_SERVER" "$port"
}

start_late_server() {
    local port=$1
    ip netns exec "$TB_NS_SERVER" /usr/bin/python3 -c "$LATE_SERVER" \
        "$TB_ADDR4_SERVER" "$port" "$TB_DIR/cert.pem" "$TB_DIR/key.pem" \
        "$LATE_SERVER_DELAY" </dev/null >>"$TB_DIR/servers.log" 2>&1 &
    TB_PIDS+=("$!")
    testbed_wait_port "$TB_NS_SERVER" "$TB_ADDR4_SERVER:$port"
}

# start_tlsfp NS DEV OUT ERR [OPTION...]: start tlsfp -v on DEV in NS and
# wait for its "fingerprinting" line, which it prints once every program
# is attached.  Sets TLSFP_PID.  Returns 1 if tlsfp exits first or takes
# too long.
start_tlsfp() {
    local ns=$1 dev=$2 out=$3 err=$4 i
    shift 4
    : >>"$err"
    ip netns exec "$ns" "${TB_DEFAULT_SIGINT[@]}" "$TLSFP" -v "$@" "$dev" \
        >>"$out" 2>>"$err" &
    TLSFP_PID=$!
    TB_PIDS+=("$TLSFP_PID")
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if grep -q 'fingerprinting TLS clients' "$err"; then
            return 0
        fi
        if ! kill -0 "$TLSFP_PID" 2>/dev/null; then
            testbed_log "tlsfp exited before attaching to $dev in $ns"
            return 1
        fi
        sleep 0.1
    done
    testbed_log "timed out waiting for tlsfp to attach to $dev in $ns"
    return 1
}

# stop_tlsfp ROUND ERR: SIGINT, then check the exit status.
stop_tlsfp() {
    local round=$1 err=$2
    if testbed_stop "$TLSFP_PID" INT 5; then
        report_equal "$round tlsfp exit status after SIGINT" 0 "$TB_EXIT_STATUS"
    else
        report_not_ok "$round tlsfp exit status after SIGINT" \
            "still running 5 s after SIGINT, killed"
    fi
    if [[ $TB_EXIT_STATUS != 0 ]]; then
        report_file_tail "$err"
    fi
}

# start_capture NS DEV FILE: tcpdump on DEV in NS.  Sets CAPTURE_PID.
start_capture() {
    local ns=$1 dev=$2 file=$3 err="$3.log" i
    : >"$err"
    ip netns exec "$ns" "${TB_DEFAULT_SIGINT[@]}" tcpdump -i "$dev" \
        -w "$file" --immediate-mode -U -n tcp >/dev/null 2>"$err" &
    CAPTURE_PID=$!
    TB_PIDS+=("$CAPTURE_PID")
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if grep -q '^tcpdump: listening on' "$err"; then
            return 0
        fi
        if ! kill -0 "$CAPTURE_PID" 2>/dev/null; then
            testbed_log "tcpdump exited: $(cat "$err")"
            return 1
        fi
        sleep 0.1
    done
    testbed_log "timed out waiting for tcpdump to start"
    return 1
}

stop_capture() {
    local round=$1
    if ! testbed_stop "$CAPTURE_PID" INT 5; then
        report_not_ok "$round tcpdump stops" "still running 5 s after SIGINT, killed"
    fi
}

# Wait at most SECONDS for FILE to have COUNT lines.
wait_for_lines() {
    local file=$1 count=$2 seconds=$3 i
    for ((i = 0; i < seconds * 10; i++)); do
        if (($(wc -l <"$file") >= count)); then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

# client_command KIND ADDRESS PORT: set CMD to the command line of a TLS
# client of KIND (curl, openssl, python or gnutls-cli) that connects to
# ADDRESS (without brackets) and PORT with SNI test.example, skipping
# certificate checks.  No `timeout` wrapper, because its PID would stand in
# for the client's, and wait_client kills a client that hangs.
client_command() {
    local kind=$1 addr=$2 port=$3 host=$2
    if [[ $addr == *:* ]]; then
        host="[$addr]"
    fi
    case $kind in
        curl)
            CMD=(curl --silent --show-error --insecure --max-time "$CURL_SECONDS"
                --output /dev/null --resolve "$TB_SERVER_NAME:$port:$host"
                "https://$TB_SERVER_NAME:$port/")
            ;;
        openssl)
            CMD=(openssl s_client -connect "$host:$port"
                -servername "$TB_SERVER_NAME")
            ;;
        python)
            CMD=(/usr/bin/python3 -c "$TB_PYTHON_CLIENT" "$addr" "$port"
                "$TB_SERVER_NAME")
            ;;
        gnutls-cli)
            CMD=(gnutls-cli --insecure -p "$port"
                --sni-hostname "$TB_SERVER_NAME" "$addr")
            ;;
        *)
            testbed_log "unknown client kind '$kind'"
            return 1
            ;;
    esac
}

reset_launches() {
    L_LABEL=()
    L_PORT=()
    L_PID=()
    L_COMM=()
    L_UID=()
    L_CGROUP=()
    L_CGROUP_ID=()
    L_STATUS=()
}

# launch LABEL NS PORT COMMAND...: start COMMAND in namespace NS in the
# background and record it.  `ip netns exec` execs COMMAND, and so does
# the subshell that moves a client into NEXT_CGROUP_DIR, so $! is the PID
# of the client itself.
launch() {
    local label=$1 ns=$2 port=$3 pid comm
    shift 3
    comm=${NEXT_COMM:-$(basename "$1")}
    if [[ -n $NEXT_CGROUP_DIR ]]; then
        (
            echo "$BASHPID" >"$NEXT_CGROUP_DIR/cgroup.procs"
            exec ip netns exec "$ns" "$@"
        ) <"$NEXT_STDIN" >>"$TB_DIR/client.log" 2>&1 &
        pid=$!
        L_CGROUP+=("/${NEXT_CGROUP_DIR##*/}")
        L_CGROUP_ID+=("$(stat -c %i "$NEXT_CGROUP_DIR")")
    else
        ip netns exec "$ns" "$@" <"$NEXT_STDIN" >>"$TB_DIR/client.log" 2>&1 &
        pid=$!
        L_CGROUP+=("$CGROUP_PATH")
        L_CGROUP_ID+=("$CGROUP_ID")
    fi
    TB_PIDS+=("$pid")
    printf '=== %s pid %s: %s\n' "$label" "$pid" "$*" >>"$TB_DIR/client.log"
    L_LABEL+=("$label")
    L_PORT+=("$port")
    L_PID+=("$pid")
    L_COMM+=("${comm:0:15}")
    L_UID+=("${NEXT_UID:-$EUID}")
    L_STATUS+=("")
    NEXT_COMM=""
    NEXT_UID=""
    NEXT_CGROUP_DIR=""
    NEXT_STDIN=/dev/null
}

# launch_client LABEL NS KIND ADDRESS PORT
launch_client() {
    local label=$1 ns=$2 kind=$3 addr=$4 port=$5
    client_command "$kind" "$addr" "$port"
    launch "$label" "$ns" "$port" "${CMD[@]}"
}

# Wait for client I of the current round and set L_STATUS[I] to its exit
# status, 124 if it ran for more than CLIENT_SECONDS and was killed.
wait_client() {
    local i=$1 pid=${L_PID[$1]} n status=0
    if [[ -n ${L_STATUS[i]} ]]; then
        return 0
    fi
    for ((n = 0; n < CLIENT_SECONDS * 50; n++)); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.02
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -s KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        status=124
    else
        wait "$pid" 2>/dev/null || status=$?
    fi
    testbed_forget_pid "$pid"
    L_STATUS[i]=$status
}

# Run client I to its end and report whether it exited 0.
finish_client() {
    local round=$1 i=$2
    wait_client "$i"
    if [[ ${L_STATUS[i]} == 0 ]]; then
        report_ok "$round ${L_LABEL[i]} connects"
    else
        report_not_ok "$round ${L_LABEL[i]} connects" "exit status ${L_STATUS[i]}"
        report_file_tail "$TB_DIR/client.log"
    fi
}

# run_client ROUND LABEL NS KIND ADDRESS PORT: start a client and wait for
# it.
run_client() {
    local round=$1
    shift
    launch_client "$@"
    finish_client "$round" $((${#L_PID[@]} - 1))
}

# tshark_tls CAPTURE FILTER [OPTION...]: tshark on CAPTURE with TLS
# decoded on every server port of the test.  tshark picks dissectors by
# port, and would read ports 6000 to 6063 as X11.
tshark_tls() {
    local capture=$1 filter=$2 port args=()
    shift 2
    for port in "${TLS_PORTS[@]}"; do
        args+=(-d "tcp.port==$port,tls")
    done
    tshark -r "$capture" -Y "$filter" "${args[@]}" \
        -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
        "$@" 2>/dev/null
}

# tshark_first CAPTURE FILTER FIELD...: the first packet of each TCP stream
# that FILTER matches, its stream index and FIELDs joined by '|'.  JA3
# strings contain commas, so ',' cannot be the separator.
tshark_first() {
    local capture=$1 filter=$2 field args=()
    shift 2
    for field in tcp.stream "$@"; do
        args+=(-e "$field")
    done
    tshark_tls "$capture" "$filter" -T fields -E separator='|' "${args[@]}" |
        awk -F'|' '!seen[$1]++'
}

# One line per ClientHello: stream|src4|src6|sport|dport|ja3|ja3_full.
tshark_client_hellos() {
    tshark_first "$1" 'tls.handshake.type == 1' ip.src ipv6.src tcp.srcport \
        tcp.dstport tls.handshake.ja3 tls.handshake.ja3_full
}

# Read the first ServerHello of each stream of CAPTURE into the SH_*
# arrays, indexed by stream.
read_server_hellos() {
    local capture=$1 stream ja3s full legacy selected cipher random
    SH_JA3S=()
    SH_FULL=()
    SH_VERSION=()
    SH_CIPHER=()
    SH_HRR=()
    while IFS='|' read -r stream ja3s full legacy selected cipher random; do
        SH_JA3S[stream]=$ja3s
        SH_FULL[stream]=$full
        SH_VERSION[stream]=$(version_name "${selected:-$legacy}")
        SH_CIPHER[stream]=$cipher
        if [[ $random == "$HRR_RANDOM" ]]; then
            SH_HRR[stream]=true
        else
            SH_HRR[stream]=absent
        fi
    done < <(tshark_first "$capture" 'tls.handshake.type == 2' \
        tls.handshake.ja3s tls.handshake.ja3s_full tls.handshake.version \
        tls.handshake.extensions.supported_version tls.handshake.ciphersuite \
        tls.handshake.random)
}

# A TLS version as tlsfp names it, from tshark's 0x0303 form.
version_name() {
    case $1 in
        0x0300) echo "SSL 3.0" ;;
        0x0301) echo "TLS 1.0" ;;
        0x0302) echo "TLS 1.1" ;;
        0x0303) echo "TLS 1.2" ;;
        0x0304) echo "TLS 1.3" ;;
        *) echo "$1" ;;
    esac
}

# Keep the JSON lines of tlsfp's output in EVENTS, and report a line that
# is not JSON.
read_events() {
    local round=$1 out=$2 events=$3
    jq -cR 'fromjson? // empty' "$out" >"$events"
    report_equal "$round all tlsfp lines are JSON" "$(wc -l <"$out")" \
        "$(wc -l <"$events")"
}

# Print the events of EVENTS for the client flow SRC_IP:SRC_PORT: client
# events (a ClientHello, with or without a JA3S), or with "server" the
# lines of ServerHellos that came after the client's line was printed.
events_for() {
    local events=$1 kind=$2 ip=$3 port=$4
    jq -c --arg ip "$ip" --argjson port "$port" --arg kind "$kind" '
        select(.src_ip == $ip and .src_port == $port) |
        select((.tls.version == null and .tls.truncated == null) ==
               ($kind == "server"))' "$events"
}

# Print the fields that the checks compare, joined by the ASCII unit
# separator (0x1f) because several may be empty.
jq_event_fields() {
    jq -r '[.direction, .in_iface,
            .tls.ja3.hash // "", .tls.ja3.string // "",
            (if has("process") then
                (if .process == null then "null" else "object" end)
             else "absent" end),
            .process.pid // "", .process.name // "", .process.uid // "",
            .process.cgroup_id // "", .process.cgroup // "",
            .tls.ja3s.hash // "", .tls.ja3s.string // "",
            .tls.server_version // "", .tls.cipher_suite // "",
            (if .tls | has("hello_retry_request") then
                (.tls.hello_retry_request | tostring)
             else "absent" end),
            .action // "", .blocklist.entry // ""]
           | map(tostring) | join("\u001f")'
}

# Split EVENT into the E_* variables.
split_event() {
    IFS=$'\x1f' read -r E_DIR E_IFACE E_JA3 E_JA3_FULL E_PROCESS E_PID \
        E_NAME E_UID E_CGROUP_ID E_CGROUP E_JA3S E_JA3S_FULL \
        E_SERVER_VERSION E_CIPHER E_HRR E_ACTION E_ENTRY \
        < <(jq_event_fields <<<"$1")
}

# Print the index of the client of the current round that connected to
# PORT as the Nth of those clients, counting from 0.
launch_index() {
    local port=$1 nth=$2 i seen=0
    for i in "${!L_PORT[@]}"; do
        if [[ ${L_PORT[i]} == "$port" ]]; then
            if ((seen == nth)); then
                echo "$i"
                return 0
            fi
            seen=$((seen + 1))
        fi
    done
    return 1
}

# Check the process of an outbound event against client I.
check_process() {
    local name=$1 i=$2
    if [[ ${L_COMM[i]} == null ]]; then
        report_equal "$name process" null "$E_PROCESS"
        return
    fi
    report_equal "$name process" object "$E_PROCESS"
    report_equal "$name process.pid" "${L_PID[i]}" "$E_PID"
    report_equal "$name process.name" "${L_COMM[i]}" "$E_NAME"
    report_equal "$name process.uid" "${L_UID[i]}" "$E_UID"
    if [[ -n ${L_CGROUP_ID[i]} ]]; then
        report_equal "$name process.cgroup_id" "${L_CGROUP_ID[i]}" "$E_CGROUP_ID"
        report_equal "$name process.cgroup" "${L_CGROUP[i]}" "$E_CGROUP"
    fi
}

# Check the JA3S fields of an event against the first ServerHello of
# tshark's stream STREAM.
check_server() {
    local name=$1 stream=$2
    if [[ -z ${SH_JA3S[stream]:-} ]]; then
        report_not_ok "$name ServerHello in capture" "none in stream $stream"
        return
    fi
    report_equal "$name ja3s hash" "${SH_JA3S[stream]}" "$E_JA3S"
    report_equal "$name ja3s string" "${SH_FULL[stream]}" "$E_JA3S_FULL"
    report_equal "$name server_version" "${SH_VERSION[stream]}" "$E_SERVER_VERSION"
    report_equal "$name cipher_suite" "${SH_CIPHER[stream]}" "$E_CIPHER"
    report_equal "$name hello_retry_request" "${SH_HRR[stream]}" "$E_HRR"
}

# compare_round ROUND DIR DEV [ja3s]: match each ClientHello of the
# capture with one client of the round (by server port and start order)
# and one outbound tlsfp event, and check the event.  With "ja3s", also
# check its JA3S fields, or, for the client of the late server, that its
# ServerHello has a line of its own.
compare_round() {
    local round=$1 dir=$2 dev=$3 with_ja3s=${4:-}
    local events="$dir/events.json" hellos="$dir/hellos.txt"
    local stream src4 src6 sport dport ja3 ja3_full src i name event count
    local -A nth=()
    local matched=0

    read_events "$round" "$dir/tlsfp.out" "$events"
    tshark_client_hellos "$dir/capture.pcap" >"$hellos"
    report_equal "$round one ClientHello per client in capture" \
        "${#L_PID[@]}" "$(wc -l <"$hellos")"
    if [[ -n $with_ja3s ]]; then
        read_server_hellos "$dir/capture.pcap"
    fi

    while IFS='|' read -r stream src4 src6 sport dport ja3 ja3_full; do
        src=${src4:-$src6}
        if ! i=$(launch_index "$dport" "${nth[$dport]:-0}"); then
            report_not_ok "$round hello from port $sport" \
                "no client of this round connected to port $dport"
            continue
        fi
        nth[$dport]=$((${nth[$dport]:-0} + 1))
        name="$round ${L_LABEL[i]}"
        event=$(events_for "$events" client "$src" "$sport")
        count=$(grep -c . <<<"$event" || true)
        if ((count != 1)); then
            report_not_ok "$name one tlsfp line" \
                "$count lines for $src port $sport, expected 1"
            continue
        fi
        report_ok "$name one tlsfp line"
        matched=$((matched + 1))
        split_event "$event"
        report_equal "$name direction" out "$E_DIR"
        report_equal "$name in_iface" "$dev" "$E_IFACE"
        report_equal "$name ja3 hash" "$ja3" "$E_JA3"
        report_equal "$name ja3 string" "$ja3_full" "$E_JA3_FULL"
        check_process "$name" "$i"
        if [[ -z $with_ja3s ]]; then
            continue
        fi
        if [[ ${L_LABEL[i]} == late* ]]; then
            check_late "$name" "$events" "$src" "$sport" "$stream"
        else
            check_server "$name" "$stream"
        fi
    done <"$hellos"

    report_equal "$round client lines" "$matched" \
        "$(jq -c 'select(.tls.version != null)' "$events" | grep -c . || true)"
}

# The client of the late server: its line has no JA3S, and the
# ServerHello gets a line of its own on the client's flow.
check_late() {
    local name=$1 events=$2 src=$3 sport=$4 stream=$5 event count
    report_equal "$name no ja3s on the client line" "" "$E_JA3S"
    event=$(events_for "$events" server "$src" "$sport")
    count=$(grep -c . <<<"$event" || true)
    if ((count != 1)); then
        report_not_ok "$name ServerHello line" \
            "$count ServerHello lines for $src port $sport, expected 1"
        return
    fi
    report_ok "$name ServerHello line"
    split_event "$event"
    report_equal "$name ServerHello line has no ja3" "" "$E_JA3"
    check_server "$name ServerHello line" "$stream"
}

# Start the preopened Python client: it connects to ADDRESS:PORT at once
# and sends its ClientHello once GO exists.  Returns once it has connected.
launch_preopened() {
    local label=$1 addr=$2 port=$3 go=$4 i
    NEXT_COMM=null
    launch "$label" "$TB_NS_CLIENT" "$port" /usr/bin/python3 -c \
        "$PREOPENED_CLIENT" "$addr" "$port" "$TB_SERVER_NAME" "$go"
    PREOPENED=$((${#L_PID[@]} - 1))
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if ip netns exec "$TB_NS_CLIENT" ss -Htn state established \
            "dport = :$port" | grep -q .; then
            return 0
        fi
        sleep 0.1
    done
    testbed_log "the preopened client did not connect to port $port"
    return 1
}

# Round egress: outbound clients only, with their processes.
round_egress() {
    local round=egress dir="$TB_DIR/egress" go i comm
    local link=$TB_DIR/bin/egress-client-long-name
    mkdir -p "$dir" "$TB_DIR/bin"
    ln -s /usr/bin/python3 "$link"
    reset_launches
    go="$dir/go"

    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4443
    if ! start_capture "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    if ! launch_preopened "python preopened" "$TB_ADDR4_SERVER" 4443 "$go"; then
        report_not_ok "$round preopened client connects" "see the message above"
        return
    fi
    # The check below guards the PID checks: it fails if $! were the PID
    # of a wrapper instead of the client.
    comm=$(cat "/proc/${L_PID[PREOPENED]}/comm" 2>/dev/null || true)
    report_equal "$round \$! is the client's PID" python3 "$comm"

    if ! start_tlsfp "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/tlsfp.out" \
        "$dir/tlsfp.err" --direction out --json; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        return
    fi
    report_ok "$round tlsfp attaches"

    run_client "$round" "curl ipv4" "$TB_NS_CLIENT" curl "$TB_ADDR4_SERVER" 443
    run_client "$round" "curl ipv6" "$TB_NS_CLIENT" curl "$TB_ADDR6_SERVER" 443
    run_client "$round" "openssl ipv4" "$TB_NS_CLIENT" openssl "$TB_ADDR4_SERVER" 443
    run_client "$round" "openssl ipv6" "$TB_NS_CLIENT" openssl "$TB_ADDR6_SERVER" 443
    run_client "$round" "python ipv4" "$TB_NS_CLIENT" python "$TB_ADDR4_SERVER" 443
    run_client "$round" "python ipv6" "$TB_NS_CLIENT" python "$TB_ADDR6_SERVER" 443
    # An IPv6 socket that connects to an IPv4-mapped address runs the
    # connect6 hook, but its packets on the wire are IPv4.
    run_client "$round" "python ipv4-mapped" "$TB_NS_CLIENT" python \
        "::ffff:$TB_ADDR4_SERVER" 443

    # The comm of a program run through a symbolic link is the link's
    # name, cut to 15 bytes.
    client_command python "$TB_ADDR4_SERVER" 443
    CMD[0]=$link
    launch "python long name" "$TB_NS_CLIENT" 443 "${CMD[@]}"
    finish_client "$round" $((${#L_PID[@]} - 1))

    client_command curl "$TB_ADDR4_SERVER" 443
    NEXT_COMM=curl
    NEXT_UID=65534
    launch "curl uid 65534" "$TB_NS_CLIENT" 443 setpriv --reuid=65534 \
        --regid=65534 --clear-groups "${CMD[@]}"
    finish_client "$round" $((${#L_PID[@]} - 1))

    CHILD_CGROUP="$CGROUP_ROOT/tlsfp-egress-$$"
    if [[ -n $CGROUP_ROOT ]] && mkdir "$CHILD_CGROUP" 2>/dev/null; then
        client_command openssl "$TB_ADDR4_SERVER" 443
        NEXT_CGROUP_DIR=$CHILD_CGROUP
        launch "openssl child cgroup" "$TB_NS_CLIENT" 443 "${CMD[@]}"
        finish_client "$round" $((${#L_PID[@]} - 1))
    else
        CHILD_CGROUP=""
        report_skip "$round openssl child cgroup: cannot create a cgroup under '$CGROUP_ROOT'"
    fi

    touch "$go"
    finish_client "$round" "$PREOPENED"

    # Without the ingress hook no ServerHello can come, so tlsfp prints
    # each line at once instead of holding it for 2 s.
    if wait_for_lines "$dir/tlsfp.out" "${#L_PID[@]}" 1; then
        report_ok "$round lines printed within 1 s"
    else
        report_not_ok "$round lines printed within 1 s" \
            "$(wc -l <"$dir/tlsfp.out") of ${#L_PID[@]} lines after 1 s"
        wait_for_lines "$dir/tlsfp.out" "${#L_PID[@]}" 3 || true
    fi
    stop_tlsfp "$round" "$dir/tlsfp.err"
    stop_capture "$round"
    compare_round "$round" "$dir" "$TB_DEV_CLIENT"

    # curl's JA3 for the block round, as tshark computed it.
    CURL_JA3=$(awk -F'|' -v port=443 '$5 == port { print $6; exit }' "$dir/hellos.txt")
}

# Round text: the text line of an outbound client with its JA3S and of a
# socket whose process is unknown.
round_text() {
    local round=text dir="$TB_DIR/text" go line stream sport ja3 i curl
    local src4 src6 dport ja3_full pattern
    mkdir -p "$dir"
    reset_launches
    go="$dir/go"

    if ! start_capture "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    if ! launch_preopened "python preopened" "$TB_ADDR4_SERVER" 4443 "$go"; then
        report_not_ok "$round preopened client connects" "see the message above"
        return
    fi
    if ! start_tlsfp "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/tlsfp.out" \
        "$dir/tlsfp.err" --direction both; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        return
    fi
    report_ok "$round tlsfp attaches"
    run_client "$round" "curl ipv4" "$TB_NS_CLIENT" curl "$TB_ADDR4_SERVER" 443
    curl=$((${#L_PID[@]} - 1))
    touch "$go"
    finish_client "$round" "$PREOPENED"
    wait_for_lines "$dir/tlsfp.out" 2 4 || true
    stop_tlsfp "$round" "$dir/tlsfp.err"
    stop_capture "$round"

    read_server_hellos "$dir/capture.pcap"
    report_equal "$round one line per client" 2 "$(wc -l <"$dir/tlsfp.out")"
    while IFS='|' read -r stream src4 src6 sport dport ja3 ja3_full; do
        if [[ $dport == 4443 ]]; then
            i=$PREOPENED
            pattern="proc=unknown"
        else
            i=$curl
            pattern="proc=curl\\[${L_PID[i]}\\]"
        fi
        line=$(grep -E "^[0-9:.]+ out $src4:$sport -> $TB_ADDR4_SERVER:$dport " \
            "$dir/tlsfp.out" || true)
        if [[ -z $line ]]; then
            report_not_ok "$round ${L_LABEL[i]} line" "no line for port $sport"
            report_file_tail "$dir/tlsfp.out"
            continue
        fi
        report_ok "$round ${L_LABEL[i]} line"
        pattern="$pattern sni=$TB_SERVER_NAME ja3=$ja3 ja4=[^ ]+"
        pattern="$pattern ja3s=${SH_JA3S[stream]:-missing} server=${SH_VERSION[stream]:-missing}/${SH_CIPHER[stream]:-missing}( |\$)"
        if [[ $line =~ $pattern ]]; then
            report_ok "$round ${L_LABEL[i]} proc, ja3, ja3s and server"
        else
            report_not_ok "$round ${L_LABEL[i]} proc, ja3, ja3s and server" \
                "line '${line:0:300}' does not match '$pattern'"
        fi
    done < <(tshark_client_hellos "$dir/capture.pcap")
}

# Round ja3s: servers of several kinds reply to openssl s_client, curl and
# gnutls-cli, and tlsfp watches both directions on the client veth.
round_ja3s() {
    local round=ja3s dir="$TB_DIR/ja3s" port kind late i
    local -A servers=(
        [4431]="openssl s_server"
        [4432]="openssl s_server -tls1_2"
        [4433]="openssl s_server -groups P-256"
        [4434]="gnutls-serv"
        [4435]="gnutls-serv TLS 1.2 ChaCha20"
        [4436]="gnutls-serv SECP384R1 only"
    )
    mkdir -p "$dir"
    reset_launches

    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4431
    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4432 -tls1_2
    # A TLS 1.3 client that sends an X25519 key share gets a
    # HelloRetryRequest for P-256.
    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4433 -groups P-256
    start_gnutls_server 4434
    start_gnutls_server 4435 --priority \
        'NORMAL:-VERS-ALL:+VERS-TLS1.2:-CIPHER-ALL:+CHACHA20-POLY1305'
    # No client sends a SECP384R1 key share: a HelloRetryRequest each.
    start_gnutls_server 4436 --priority 'NORMAL:-GROUP-ALL:+GROUP-SECP384R1'
    start_late_server 4437

    if ! start_capture "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    if ! start_tlsfp "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/tlsfp.out" \
        "$dir/tlsfp.err" --direction both --json; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        return
    fi
    report_ok "$round tlsfp attaches"

    # The late server's client waits in the background meanwhile.
    launch_client "late server openssl" "$TB_NS_CLIENT" openssl \
        "$TB_ADDR4_SERVER" 4437
    late=$((${#L_PID[@]} - 1))

    for port in 4431 4432 4433 4434 4435 4436; do
        for kind in openssl curl gnutls-cli; do
            run_client "$round" "${servers[$port]} $kind" "$TB_NS_CLIENT" \
                "$kind" "$TB_ADDR4_SERVER" "$port"
        done
    done

    # A resumed session: its HelloRetryRequest has no pre_shared_key
    # extension but the ServerHello after it has, so the two JA3S differ.
    # The first connection sends a request and reads to the end, which
    # brings the session ticket.
    printf 'GET / HTTP/1.0\r\n\r\n' >"$dir/request"
    client_command openssl "$TB_ADDR4_SERVER" 4433
    NEXT_STDIN="$dir/request"
    launch "${servers[4433]} openssl ticket" "$TB_NS_CLIENT" 4433 "${CMD[@]}" \
        -ign_eof -sess_out "$dir/session.pem"
    finish_client "$round" $((${#L_PID[@]} - 1))
    client_command openssl "$TB_ADDR4_SERVER" 4433
    launch "${servers[4433]} openssl resumed" "$TB_NS_CLIENT" 4433 "${CMD[@]}" \
        -sess_in "$dir/session.pem"
    finish_client "$round" $((${#L_PID[@]} - 1))

    # The late server closes without a reply, so its client's exit status
    # is not checked.
    wait_client "$late"
    wait_for_lines "$dir/tlsfp.out" $((${#L_PID[@]} + 1)) 4 || true
    stop_tlsfp "$round" "$dir/tlsfp.err"
    stop_capture "$round"
    compare_round "$round" "$dir" "$TB_DEV_CLIENT" ja3s
    report_equal "$round ServerHello lines" 1 \
        "$(jq -c 'select(.tls.version == null and .tls.ja3s != null)' \
            "$dir/events.json" | grep -c . || true)"
    check_resumed "$round" "$dir"
}

# The resumed connection must be a HelloRetryRequest followed by a
# ServerHello with another JA3S, or it proves nothing about which of the
# two tlsfp reports.
check_resumed() {
    local round=$1 dir=$2 stream count
    stream=$(awk -F'|' '$5 == 4433 { s = $1 } END { print s }' "$dir/hellos.txt")
    count=$(tshark_tls "$dir/capture.pcap" \
        "tcp.stream == $stream && tls.handshake.type == 2" \
        -T fields -e tls.handshake.ja3s | sort -u | grep -c . || true)
    report_equal "$round resumed session has two JA3S in capture" 2 "$count"
}

# Round both: clients in each namespace connect to servers in the other,
# all at once.  tlsfp on the server veth gets the client namespace's
# hellos on ingress and the server namespace's own on egress.
round_both() {
    local round=both dir="$TB_DIR/both" events hellos i name event count
    local stream src4 src6 sport dport ja3 ja3_full src want_dir
    local kinds=(curl openssl python gnutls-cli) n in_addr out_addr
    mkdir -p "$dir"
    reset_launches
    events="$dir/events.json"
    hellos="$dir/hellos.txt"

    # A server port per client, so that the port names the client.  The
    # client namespace's servers speak TLS 1.2 only, so that a JA3S joined
    # to a hello of the wrong direction shows.
    for n in 0 1 2 3; do
        if ((n % 2)); then
            start_openssl_server "$TB_NS_SERVER" "[$TB_ADDR6_SERVER]" $((5001 + n))
            start_openssl_server "$TB_NS_CLIENT" "$TB_ADDR4_CLIENT" $((6001 + n)) -tls1_2
        else
            start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" $((5001 + n))
            start_openssl_server "$TB_NS_CLIENT" "[$TB_ADDR6_CLIENT]" $((6001 + n)) -tls1_2
        fi
    done
    if ! testbed_start_capture "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    CAPTURE_PID=$TB_CAPTURE_PID
    if ! start_tlsfp "$TB_NS_SERVER" "$TB_DEV_SERVER" "$dir/tlsfp.out" \
        "$dir/tlsfp.err" --direction both --json; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        return
    fi
    report_ok "$round tlsfp attaches"

    for n in 0 1 2 3; do
        if ((n % 2)); then
            in_addr=$TB_ADDR6_SERVER
            out_addr=$TB_ADDR4_CLIENT
        else
            in_addr=$TB_ADDR4_SERVER
            out_addr=$TB_ADDR6_CLIENT
        fi
        launch_client "in ${kinds[n]}" "$TB_NS_CLIENT" "${kinds[n]}" \
            "$in_addr" $((5001 + n))
        launch_client "out ${kinds[n]}" "$TB_NS_SERVER" "${kinds[n]}" \
            "$out_addr" $((6001 + n))
    done
    for i in "${!L_PID[@]}"; do
        finish_client "$round" "$i"
    done
    wait_for_lines "$dir/tlsfp.out" "${#L_PID[@]}" 4 || true
    stop_tlsfp "$round" "$dir/tlsfp.err"
    stop_capture "$round"

    read_events "$round" "$dir/tlsfp.out" "$events"
    tshark_client_hellos "$dir/capture.pcap" >"$hellos"
    read_server_hellos "$dir/capture.pcap"
    report_equal "$round one ClientHello per client in capture" \
        "${#L_PID[@]}" "$(wc -l <"$hellos")"
    while IFS='|' read -r stream src4 src6 sport dport ja3 ja3_full; do
        src=${src4:-$src6}
        if ! i=$(launch_index "$dport" 0); then
            report_not_ok "$round hello to port $dport" "no client of this round"
            continue
        fi
        name="$round ${L_LABEL[i]}"
        event=$(events_for "$events" client "$src" "$sport")
        count=$(grep -c . <<<"$event" || true)
        if ((count != 1)); then
            report_not_ok "$name reported once" \
                "$count lines for $src port $sport, expected 1"
            continue
        fi
        report_ok "$name reported once"
        split_event "$event"
        want_dir=${L_LABEL[i]%% *}
        report_equal "$name direction" "$want_dir" "$E_DIR"
        report_equal "$name ja3 hash" "$ja3" "$E_JA3"
        if [[ $want_dir == out ]]; then
            check_process "$name" "$i"
        else
            report_equal "$name no process field" absent "$E_PROCESS"
        fi
        check_server "$name" "$stream"
    done <"$hellos"
    report_equal "$round tlsfp lines" "${#L_PID[@]}" "$(wc -l <"$events")"
}

# Round block: curl's JA3, from tshark in the egress round, is listed.
round_block() {
    local round=block dir="$TB_DIR/block" capture count
    mkdir -p "$dir"
    reset_launches
    capture="$dir/capture.pcap"
    if [[ -z $CURL_JA3 ]]; then
        report_not_ok "$round curl JA3 known" "the egress round found no curl ClientHello"
        return
    fi
    printf '%s # curl\n' "$CURL_JA3" >"$dir/list.txt"

    # A port each, because the blocked connection keeps its server busy
    # until it ends.
    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4441
    start_openssl_server "$TB_NS_SERVER" "$TB_ADDR4_SERVER" 4442
    # The capture runs on the server's veth, so it contains only what left
    # the client namespace.
    if ! testbed_start_capture "$capture"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    CAPTURE_PID=$TB_CAPTURE_PID
    if ! start_tlsfp "$TB_NS_CLIENT" "$TB_DEV_CLIENT" "$dir/tlsfp.out" \
        "$dir/tlsfp.err" --direction out --json -b "$dir/list.txt"; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        return
    fi
    report_ok "$round tlsfp attaches"

    CURL_SECONDS=$BLOCKED_CURL_SECONDS
    client_command curl "$TB_ADDR4_SERVER" 4441
    CURL_SECONDS=5
    launch "curl" "$TB_NS_CLIENT" 4441 "${CMD[@]}"
    wait_client 0
    if [[ ${L_STATUS[0]} != 0 ]]; then
        report_ok "$round curl fails"
    else
        report_not_ok "$round curl fails" "curl exited 0"
    fi
    run_client "$round" "openssl" "$TB_NS_CLIENT" openssl "$TB_ADDR4_SERVER" 4442
    wait_for_lines "$dir/tlsfp.out" 2 3 || true
    # The capture stops first.  curl's socket outlives curl for a few
    # retransmissions of its ClientHello, and one sent after tlsfp detached
    # reaches the server.
    stop_capture "$round"
    stop_tlsfp "$round" "$dir/tlsfp.err"

    # One line per packet to the servers: port, SYN and ACK flags, payload
    # length and handshake types.
    tshark_tls "$capture" 'tcp.dstport == 4441 || tcp.dstport == 4442' \
        -T fields -E separator='|' -e tcp.dstport -e tcp.flags.syn \
        -e tcp.flags.ack -e tcp.len -e tls.handshake.type >"$dir/packets.txt"
    count=$(awk -F'|' '$1 == 4441 && $2 == 1 && $3 == 0' "$dir/packets.txt" |
        grep -c . || true)
    if ((count > 0)); then
        report_ok "$round curl's SYN reached the server"
    else
        report_not_ok "$round curl's SYN reached the server" "no SYN to port 4441 in the capture"
    fi
    report_equal "$round no ClientHello from curl reached the server" 0 \
        "$(awk -F'|' '$1 == 4441 && $5 ~ /(^|,)1(,|$)/' "$dir/packets.txt" |
            grep -c . || true)"
    report_equal "$round no payload from curl reached the server" 0 \
        "$(awk -F'|' '$1 == 4441 && $4 > 0' "$dir/packets.txt" | grep -c . || true)"
    report_equal "$round openssl's ClientHello reached the server" 1 \
        "$(awk -F'|' '$1 == 4442 && $5 ~ /(^|,)1(,|$)/' "$dir/packets.txt" |
            grep -c . || true)"

    read_events "$round" "$dir/tlsfp.out" "$dir/events.json"
    check_block_event "$round curl" "$dir/events.json" 4441 0 blocked "$CURL_JA3"
    check_block_event "$round openssl" "$dir/events.json" 4442 1 allowed ""
}

check_block_event() {
    local name=$1 events=$2 port=$3 i=$4 action=$5 entry=$6 event count
    event=$(jq -c --argjson port "$port" 'select(.dest_port == $port)' "$events")
    count=$(grep -c . <<<"$event" || true)
    if ((count != 1)); then
        report_not_ok "$name one tlsfp line" "$count lines for port $port, expected 1"
        return
    fi
    report_ok "$name one tlsfp line"
    split_event "$event"
    report_equal "$name direction" out "$E_DIR"
    report_equal "$name action" "$action" "$E_ACTION"
    report_equal "$name blocklist entry" "$entry" "$E_ENTRY"
    report_equal "$name process.pid" "${L_PID[i]}" "$E_PID"
}

main() {
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl curl gnutls-cli \
        gnutls-serv tcpdump tshark jq setpriv /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi

    find_cgroup
    testbed_up
    testbed_start_server 443
    round_egress
    round_text
    round_ja3s
    round_both
    round_block
    testbed_down
    exit_with_summary
}

main "$@"
