# shellcheck shell=bash
# Several TB_ variables are only read by the scripts that source this file.
# shellcheck disable=SC2034

# Test bed for tlsfp: two network namespaces joined by a veth pair, a TLS
# server (openssl s_server) in the server namespace and TLS clients run from
# the client namespace.  Source this file, call testbed_up, and call
# testbed_down from one EXIT trap.  Needs root, iproute2, ethtool and openssl.
# The client runners also need curl, gnutls-cli and /usr/bin/python3, and the
# XDP checks need bpftool and jq.
#
#   client namespace  vc0 198.18.0.1/24 2001:db8::1/64
#   server namespace  vs0 198.18.0.2/24 2001:db8::2/64   (tlsfp attaches here)
#
# The addresses are from the benchmarking range 198.18.0.0/15 and the
# documentation prefix 2001:db8::/32, so no traffic leaves the namespaces.

TB_NS_CLIENT="tfc-$$"
TB_NS_SERVER="tfs-$$"
TB_DEV_CLIENT=vc0
TB_DEV_SERVER=vs0
TB_ADDR4_CLIENT=198.18.0.1
TB_ADDR4_SERVER=198.18.0.2
TB_ADDR6_CLIENT=2001:db8::1
TB_ADDR6_SERVER=2001:db8::2
TB_SERVER_NAME=test.example

# Clients run by the tests and the demo, in this order.  testbed_run_client
# also accepts openssl-no-sni, an s_client that sends no server_name.
TB_CLIENTS=(curl-tls1.2 curl-tls1.3 openssl-s_client gnutls-cli python-ssl)

TB_DIR=""           # temporary directory: certificate, logs, captures
# Background processes that testbed_down stops.  Each is started as a plain
# command (`ip netns exec NS PROGRAM ... &`, never through a shell function)
# so that $! is the PID of PROGRAM itself: ip and env exec their command.
TB_PIDS=()
TB_NS_CREATED=()    # namespaces that testbed_down deletes

# Maximum time, in tenths of a second, that a wait for a port, a capture or
# an XDP attachment polls before it gives up.
TB_WAIT_TENTHS=100

# Bash starts background commands of a script with SIGINT ignored, and some
# programs (tcpdump among them) keep a signal ignored that they inherit
# ignored.  Commands started through this prefix get the default SIGINT
# action back, as they would have when started from a terminal.
TB_DEFAULT_SIGINT=(env --default-signal=INT)

testbed_log() {
    printf '%s\n' "$*" >&2
}

testbed_in_server() {
    ip netns exec "$TB_NS_SERVER" "$@"
}

testbed_in_client() {
    ip netns exec "$TB_NS_CLIENT" "$@"
}

# Set up the namespaces, the veth pair and the certificate.
testbed_up() {
    TB_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-test.XXXXXX")
    testbed_create_namespaces
    testbed_create_link
    testbed_disable_offloads "$TB_NS_CLIENT" "$TB_DEV_CLIENT"
    testbed_disable_offloads "$TB_NS_SERVER" "$TB_DEV_SERVER"
    testbed_make_certificate
}

testbed_create_namespaces() {
    local ns
    for ns in "$TB_NS_CLIENT" "$TB_NS_SERVER"; do
        ip netns add "$ns"
        TB_NS_CREATED+=("$ns")
        ip -n "$ns" link set lo up
    done
}

# Create the veth pair with each end directly in its namespace, so the fixed
# device names cannot clash with devices of the host or of another run.
testbed_create_link() {
    ip link add "$TB_DEV_CLIENT" netns "$TB_NS_CLIENT" type veth \
        peer name "$TB_DEV_SERVER" netns "$TB_NS_SERVER"

    ip -n "$TB_NS_CLIENT" addr add "$TB_ADDR4_CLIENT/24" dev "$TB_DEV_CLIENT"
    ip -n "$TB_NS_CLIENT" addr add "$TB_ADDR6_CLIENT/64" dev "$TB_DEV_CLIENT" nodad
    ip -n "$TB_NS_SERVER" addr add "$TB_ADDR4_SERVER/24" dev "$TB_DEV_SERVER"
    ip -n "$TB_NS_SERVER" addr add "$TB_ADDR6_SERVER/64" dev "$TB_DEV_SERVER" nodad

    ip -n "$TB_NS_CLIENT" link set "$TB_DEV_CLIENT" up
    ip -n "$TB_NS_SERVER" link set "$TB_DEV_SERVER" up
}

# Turn off segmentation, receive and checksum offloads so that every packet
# on the wire, in a capture and at the XDP hook has its real size.
testbed_disable_offloads() {
    local ns=$1 dev=$2
    ip netns exec "$ns" ethtool -K "$dev" tso off gso off gro off tx off rx off \
        >/dev/null
}

testbed_make_certificate() {
    local san="DNS:$TB_SERVER_NAME,IP:$TB_ADDR4_SERVER,IP:$TB_ADDR6_SERVER"
    if ! openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
        -days 1 -subj "/CN=$TB_SERVER_NAME" -addext "subjectAltName=$san" \
        -keyout "$TB_DIR/key.pem" -out "$TB_DIR/cert.pem" \
        >"$TB_DIR/openssl-req.log" 2>&1; then
        testbed_log "testbed: certificate generation failed:"
        cat "$TB_DIR/openssl-req.log" >&2
        return 1
    fi
}

# Start `openssl s_server -www` on PORT for IPv4 and for IPv6 and wait until
# both listen.  OpenSSL 3.0 s_server sets IPV6_V6ONLY on an IPv6 listener, so
# a server on [::] does not accept IPv4 and each family gets its own server.
testbed_start_server() {
    local port=$1 addr log="$TB_DIR/s_server-$1.log"
    for addr in "$TB_ADDR4_SERVER" "[$TB_ADDR6_SERVER]"; do
        ip netns exec "$TB_NS_SERVER" openssl s_server -www -accept "$addr:$port" \
            -cert "$TB_DIR/cert.pem" -key "$TB_DIR/key.pem" \
            </dev/null >>"$log" 2>&1 &
        TB_PIDS+=("$!")
        if ! testbed_wait_port "$TB_NS_SERVER" "$addr:$port"; then
            cat "$log" >&2
            return 1
        fi
    done
}

# Wait until a TCP socket listens on LOCAL (address:port as ss prints it,
# with brackets around an IPv6 address) in namespace NS.
testbed_wait_port() {
    local ns=$1 local_addr=$2 i
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if ip netns exec "$ns" ss -Hltn | awk '{ print $4 }' |
            grep -qxF -- "$local_addr"; then
            return 0
        fi
        sleep 0.1
    done
    testbed_log "testbed: timed out waiting for a listener on $local_addr in $ns"
    return 1
}

# Print the id of the XDP program attached to the server-side veth, or
# nothing.  ip prints it as "prog/xdp id N" for a single program, or as
# prog/xdpgeneric, prog/xdpdrv or prog/xdpoffload when several modes have one.
testbed_xdp_prog_id() {
    ip -n "$TB_NS_SERVER" -d link show dev "$TB_DEV_SERVER" |
        sed -n 's|.*prog/xdp[a-z]* id \([0-9]*\).*|\1|p' | head -n 1
}

# Return 0 if an XDP program is attached to the server-side veth.
testbed_xdp_attached() {
    [[ -n $(testbed_xdp_prog_id) ]]
}

# Print the number of XDP programs that bpftool lists on the server-side veth.
testbed_bpftool_xdp_count() {
    testbed_in_server bpftool -j net show dev "$TB_DEV_SERVER" |
        jq '[.[].xdp[]] | length'
}

# Wait until the server-side veth has no XDP program.  Returns 1 after the
# bound of about SECONDS seconds.
testbed_wait_xdp_detached() {
    local seconds=$1 i
    for ((i = 0; i < seconds * 10; i++)); do
        testbed_xdp_attached || return 0
        sleep 0.1
    done
    return 1
}

# Start tlsfp on the server-side veth: testbed_start_tlsfp BINARY STDOUT
# STDERR [OPTION...].  Sets TB_TLSFP_PID and returns once an XDP program other
# than the one attached before the start, if any, is attached.  Returns 1 if
# tlsfp exits first or attaching takes too long; the caller then finds
# tlsfp's messages in STDERR.  STDOUT and STDERR are opened for appending, so
# /dev/stdout and /dev/stderr pass the caller's streams through untruncated.
testbed_start_tlsfp() {
    local binary=$1 out=$2 err=$3 i id old_id
    shift 3
    old_id=$(testbed_xdp_prog_id)
    ip netns exec "$TB_NS_SERVER" "${TB_DEFAULT_SIGINT[@]}" "$binary" "$@" \
        "$TB_DEV_SERVER" >>"$out" 2>>"$err" &
    TB_TLSFP_PID=$!
    TB_PIDS+=("$TB_TLSFP_PID")
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        id=$(testbed_xdp_prog_id)
        if [[ -n $id && $id != "$old_id" ]]; then
            return 0
        fi
        if ! kill -0 "$TB_TLSFP_PID" 2>/dev/null; then
            testbed_log "testbed: tlsfp exited before attaching to $TB_DEV_SERVER"
            return 1
        fi
        sleep 0.1
    done
    testbed_log "testbed: timed out waiting for tlsfp to attach to $TB_DEV_SERVER"
    return 1
}

# Start tcpdump on the server-side veth writing FILE, and wait until it has
# opened the device.  Sets TB_CAPTURE_PID.  --immediate-mode hands every
# packet to tcpdump at once, so a SIGINT soon after the last packet does not
# lose the packets still waiting in the kernel's capture buffer.
testbed_start_capture() {
    local file=$1 err="$1.log" i
    # Created first: the loop below may read it before tcpdump writes it.
    : >"$err"
    ip netns exec "$TB_NS_SERVER" "${TB_DEFAULT_SIGINT[@]}" tcpdump \
        -i "$TB_DEV_SERVER" -w "$file" --immediate-mode -U -n tcp \
        >/dev/null 2>"$err" &
    TB_CAPTURE_PID=$!
    TB_PIDS+=("$TB_CAPTURE_PID")
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if grep -q '^tcpdump: listening on' "$err"; then
            return 0
        fi
        if ! kill -0 "$TB_CAPTURE_PID" 2>/dev/null; then
            testbed_log "testbed: tcpdump exited: $(cat "$err")"
            return 1
        fi
        sleep 0.1
    done
    testbed_log "testbed: timed out waiting for tcpdump to start"
    return 1
}

# Send SIGNAL to PID, a child of this shell, and wait at most SECONDS for it
# to exit.  Sets TB_EXIT_STATUS to its exit status.  Returns 1, after killing
# it with SIGKILL, if it does not exit in time.
testbed_stop() {
    local pid=$1 signal=$2 seconds=$3 i
    TB_EXIT_STATUS=""
    kill -s "$signal" "$pid" 2>/dev/null || true
    for ((i = 0; i < seconds * 10; i++)); do
        if ! kill -0 "$pid" 2>/dev/null; then
            break
        fi
        sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -s KILL "$pid" 2>/dev/null || true
        wait "$pid" 2>/dev/null || true
        testbed_forget_pid "$pid"
        return 1
    fi
    TB_EXIT_STATUS=0
    wait "$pid" 2>/dev/null || TB_EXIT_STATUS=$?
    testbed_forget_pid "$pid"
}

testbed_forget_pid() {
    local pid=$1 i
    for i in "${!TB_PIDS[@]}"; do
        if [[ ${TB_PIDS[i]} == "$pid" ]]; then
            unset 'TB_PIDS[i]'
        fi
    done
}

# Run one TLS client against the server: testbed_run_client CLIENT ADDRESS
# PORT, with CLIENT one of TB_CLIENTS or openssl-no-sni and ADDRESS an IPv4
# or IPv6 address without brackets.  Each client but openssl-no-sni sends
# SNI test.example.  All skip certificate verification and are killed after
# 10 s.  Their output is appended to $TB_DIR/client.log.  Returns the
# client's exit status, or 2 for an unknown CLIENT.
testbed_run_client() {
    local client=$1 addr=$2 port=$3 host=$2
    case $client in
        curl-tls1.2 | curl-tls1.3 | openssl-s_client | openssl-no-sni | \
            gnutls-cli | python-ssl) ;;
        *)
            testbed_log "testbed: unknown client '$client'"
            return 2
            ;;
    esac
    if [[ $addr == *:* ]]; then
        host="[$addr]"
    fi
    # A subshell, not a { } group: a trap that runs when a signal arrives
    # during the client would otherwise write to the client log too.
    (
        printf '\n=== %s %s port %s\n' "$client" "$addr" "$port"
        case $client in
            curl-tls1.2) testbed_curl "$host" "$port" --tlsv1.2 --tls-max 1.2 ;;
            curl-tls1.3) testbed_curl "$host" "$port" --tlsv1.3 ;;
            openssl-s_client)
                testbed_in_client timeout 10 openssl s_client \
                    -connect "$host:$port" -servername "$TB_SERVER_NAME" </dev/null
                ;;
            openssl-no-sni)
                testbed_in_client timeout 10 openssl s_client \
                    -connect "$host:$port" -noservername </dev/null
                ;;
            gnutls-cli)
                testbed_in_client timeout 10 gnutls-cli --insecure -p "$port" \
                    --sni-hostname "$TB_SERVER_NAME" "$addr" </dev/null
                ;;
            python-ssl) testbed_python_client "$addr" "$port" ;;
        esac
    ) >>"$TB_DIR/client.log" 2>&1
}

testbed_curl() {
    local host=$1 port=$2
    shift 2
    testbed_in_client timeout 10 curl --silent --show-error --insecure \
        --output /dev/null --resolve "$TB_SERVER_NAME:$port:$host" "$@" \
        "https://$TB_SERVER_NAME:$port/"
}

# The Python client keeps the ssl module's default settings, apart from
# certificate verification.
TB_PYTHON_CLIENT='
import socket
import ssl
import sys

address, port, server_name = sys.argv[1], int(sys.argv[2]), sys.argv[3]
context = ssl.create_default_context()
context.check_hostname = False
context.verify_mode = ssl.CERT_NONE
with socket.create_connection((address, port), timeout=5) as sock:
    with context.wrap_socket(sock, server_hostname=server_name) as tls:
        print(tls.version(), tls.cipher()[0])
'

testbed_python_client() {
    local addr=$1 port=$2
    testbed_in_client timeout 10 /usr/bin/python3 -c "$TB_PYTHON_CLIENT" \
        "$addr" "$port" "$TB_SERVER_NAME" </dev/null
}

# Stop every process the test bed started, delete the namespaces and the
# temporary directory.  Safe to call more than once.
testbed_down() {
    local pid ns
    for pid in "${TB_PIDS[@]}"; do
        kill -s TERM "$pid" 2>/dev/null || true
    done
    for pid in "${TB_PIDS[@]}"; do
        testbed_stop "$pid" TERM 2 || true
    done
    TB_PIDS=()
    for ns in "${TB_NS_CREATED[@]}"; do
        ip netns delete "$ns" 2>/dev/null || true
    done
    TB_NS_CREATED=()
    if [[ -n $TB_DIR && -d $TB_DIR ]]; then
        rm -rf -- "$TB_DIR"
    fi
    TB_DIR=""
}

# Test result lines, read by tests/run.sh: "ok - NAME" or "not ok - NAME:
# REASON" per check, and "N passed, N failed" as the last line.
TB_PASSED=0
TB_FAILED=0

report_ok() {
    printf 'ok - %s\n' "$1"
    TB_PASSED=$((TB_PASSED + 1))
}

report_not_ok() {
    printf 'not ok - %s: %s\n' "$1" "$2"
    TB_FAILED=$((TB_FAILED + 1))
}

# report_equal NAME EXPECTED ACTUAL
report_equal() {
    if [[ $2 == "$3" ]]; then
        report_ok "$1"
    else
        report_not_ok "$1" "expected '$2', got '$3'"
    fi
}

# Print FILE's last lines as diagnostics ("# " lines) under a failed check.
report_file_tail() {
    local file=$1
    if [[ -s $file ]]; then
        tail -n 5 -- "$file" | sed 's/^/#   /'
    fi
}

# Print the summary line and return the script's exit status: 1 if any
# check failed.
report_summary() {
    printf '%d passed, %d failed\n' "$TB_PASSED" "$TB_FAILED"
    ((TB_FAILED == 0))
}

# Exit 0 with a skip line unless running as root, which network namespaces
# and XDP need.
report_skip_unless_root() {
    if ((EUID != 0)); then
        printf 'skip - not root\n'
        printf '0 passed, 0 failed\n'
        exit 0
    fi
}

# Report a check that fails for each program in the arguments that is not
# installed.  Returns 1 if any is missing.
report_require_programs() {
    local program missing=0
    for program in "$@"; do
        if ! command -v "$program" >/dev/null; then
            report_not_ok "$program installed" \
                "not found in PATH. Install the test dependencies with tests/deps.sh"
            missing=1
        fi
    done
    return "$missing"
}
