#!/bin/bash
# Demonstration of tlsfp on live traffic: two network namespaces joined by a
# veth pair, an openssl s_server in one, and real TLS clients run one by one
# from the other.  tlsfp -v watches the server's end of the veth (inbound
# clients, with JA3S from the server's answer), then the clients' own end
# (outbound clients, with their processes), then blocks one client.
# tlsfp's result lines go to stdout; the narration and tlsfp's own messages
# go to stderr.  Everything is removed at exit, also after Ctrl-C.
#
# Usage: sudo make demo, or sudo demo/demo.sh after make
#        (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../tests/lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

PORT=443
# Maximum time, in tenths of a second, to wait for tlsfp's line after a client.
LINE_WAIT_TENTHS=20

# Client runs: client name (see testbed_run_client), address family, and
# the description printed before the run.
RUNS=(
    "curl-tls1.2      ipv4 curl limited to TLS 1.2 (--tls-max 1.2)"
    "curl-tls1.3      ipv4 curl requiring TLS 1.3 (--tlsv1.3)"
    "openssl-s_client ipv4 openssl s_client"
    "gnutls-cli       ipv4 gnutls-cli"
    "python-ssl       ipv4 Python ssl module with default settings"
    "curl-tls1.3      ipv6 curl requiring TLS 1.3 (--tlsv1.3)"
    "gnutls-cli       ipv6 gnutls-cli"
    "openssl-no-sni   ipv6 openssl s_client without SNI (-noservername)"
)

say() {
    printf 'demo: %s\n' "$*" >&2
}

die() {
    say "$*"
    exit 1
}

check_requirements() {
    local program
    if ((EUID != 0)); then
        die "root is required for network namespaces and XDP. Run: sudo make demo"
    fi
    if [[ ! -x $TLSFP ]]; then
        die "$TLSFP not found or not executable. Run make first"
    fi
    for program in ip ethtool openssl curl gnutls-cli /usr/bin/python3; do
        if ! command -v "$program" >/dev/null; then
            die "$program not found in PATH. Install the dependencies with tests/deps.sh"
        fi
    done
}

set_up() {
    say "creating network namespaces $TB_NS_CLIENT (client) and $TB_NS_SERVER (server)"
    say "  client $TB_DEV_CLIENT $TB_ADDR4_CLIENT $TB_ADDR6_CLIENT" \
        "<-> server $TB_DEV_SERVER $TB_ADDR4_SERVER $TB_ADDR6_SERVER (veth pair)"
    testbed_up
    say "starting openssl s_server on $TB_ADDR4_SERVER:$PORT and" \
        "[$TB_ADDR6_SERVER]:$PORT, self-signed certificate for $TB_SERVER_NAME"
    testbed_start_server "$PORT"
}

# Start tlsfp with its stdout both on the terminal and in a file, so that
# the demo can wait for each client's line before it runs the next client.
# The relaying tee and cat ignore SIGINT, so that after Ctrl-C they still pass
# on tlsfp's last lines and its summary until tlsfp closes its output.
start_tlsfp() {
    TLSFP_OUT="$TB_DIR/tlsfp.out"
    : >"$TLSFP_OUT"
    say "starting tlsfp -v $TB_DEV_SERVER in $TB_NS_SERVER; its results follow on stdout"
    if ! testbed_start_tlsfp "$TLSFP" >(trap '' INT; exec tee -a "$TLSFP_OUT") \
        >(trap '' INT; exec cat >&2) -v; then
        die "tlsfp failed to start (see its messages above)"
    fi
}

# Wait until tlsfp's output has more than COUNT lines.
wait_for_line() {
    local count=$1 i lines
    for ((i = 0; i < LINE_WAIT_TENTHS; i++)); do
        # wc prints nothing when Ctrl-C kills it.
        lines=$(wc -l <"$TLSFP_OUT") || return 1
        if ((lines > count)); then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

run_clients() {
    local run client family description addr lines status n=0
    for run in "${RUNS[@]}"; do
        read -r client family description <<<"$run"
        n=$((n + 1))
        if [[ $family == ipv4 ]]; then
            addr=$TB_ADDR4_SERVER
        else
            addr=$TB_ADDR6_SERVER
        fi
        say "[$n/${#RUNS[@]}] $description -> $addr port $PORT"
        lines=$(wc -l <"$TLSFP_OUT")
        status=0
        testbed_run_client "$client" "$addr" "$PORT" || status=$?
        if ((status != 0)); then
            say "  $client failed with exit status $status; its last output lines:"
            tail -n 5 "$TB_DIR/client.log" | sed 's/^/demo:   /' >&2
        fi
        if ! wait_for_line "$lines"; then
            say "  no line from tlsfp within $((LINE_WAIT_TENTHS / 10)) s"
        fi
    done
}

stop_tlsfp() {
    say "stopping tlsfp with SIGINT; it detaches and prints its summary"
    if ! testbed_stop "$TB_TLSFP_PID" INT 5; then
        say "tlsfp was still running 5 s after SIGINT and was killed"
        return
    fi
    if ((TB_EXIT_STATUS != 0)); then
        say "tlsfp exited with status $TB_EXIT_STATUS"
    fi
}

# Start tlsfp on the client's end of the veth, where its egress program sees
# the client namespace's own ClientHellos and names their processes.
start_tlsfp_client() {
    local i
    : >"$TLSFP_OUT"
    : >"$TB_DIR/tlsfp-client.err"
    say "starting tlsfp -v $TB_DEV_CLIENT in $TB_NS_CLIENT, the clients' own namespace"
    ip netns exec "$TB_NS_CLIENT" "${TB_DEFAULT_SIGINT[@]}" "$TLSFP" -v \
        "$TB_DEV_CLIENT" > >(trap '' INT; exec tee -a "$TLSFP_OUT") \
        2> >(trap '' INT; exec tee -a "$TB_DIR/tlsfp-client.err" >&2) &
    TB_TLSFP_PID=$!
    TB_PIDS+=("$TB_TLSFP_PID")
    for ((i = 0; i < TB_WAIT_TENTHS; i++)); do
        if grep -q 'fingerprinting TLS clients' "$TB_DIR/tlsfp-client.err"; then
            return 0
        fi
        sleep 0.1
    done
    die "tlsfp did not attach to $TB_DEV_CLIENT"
}

# Second part: the same clients seen leaving their own host, with the
# process that sent each ClientHello.
outbound_demo() {
    local client n=0
    local -a clients=(curl-tls1.3 python-ssl openssl-s_client)
    start_tlsfp_client
    for client in "${clients[@]}"; do
        n=$((n + 1))
        say "[$n/${#clients[@]}] $client from $TB_NS_CLIENT: an outbound client (out), with its process"
        testbed_run_client "$client" "$TB_ADDR4_SERVER" "$PORT" || true
        wait_for_line $((n - 1)) || true
    done
    stop_tlsfp
}

# Third part: put curl's TLS 1.3 fingerprint, seen in the first part, on
# a blocklist.  curl's first connection fails, other clients still work.
block_demo() {
    local ja3 list status
    # The outbound part's first client was curl requiring TLS 1.3.
    ja3=$(sed -n '1s/.* ja3=\([0-9a-f]\{32\}\).*/\1/p' "$TLSFP_OUT")
    if [[ -z $ja3 ]]; then
        say "no JA3 for curl in the first part; skipping the blocking part"
        return
    fi
    list=$TB_DIR/blocklist.txt
    printf '%s  # curl with TLS 1.3, blocked by the demo\n' "$ja3" >"$list"
    say "blocking curl's TLS 1.3 JA3 $ja3: tlsfp -b $list"
    : >"$TLSFP_OUT"
    if ! testbed_start_tlsfp "$TLSFP" >(trap '' INT; exec tee -a "$TLSFP_OUT") \
        >(trap '' INT; exec cat >&2) -v -b "$list"; then
        die "tlsfp failed to start (see its messages above)"
    fi
    # openssl s_server serves one connection at a time and would wait on
    # the blocked connection, so the allowed client goes first.
    say "[1/2] openssl s_client, not on the list"
    status=0
    testbed_run_client openssl-s_client "$TB_ADDR4_SERVER" "$PORT" || status=$?
    if ((status == 0)); then
        say "  openssl s_client completed its handshake"
    else
        say "  openssl s_client failed with exit status $status"
    fi
    wait_for_line 0 || true
    say "[2/2] curl requiring TLS 1.3 again: its ClientHello is dropped in the kernel"
    status=0
    testbed_curl "$TB_ADDR4_SERVER" "$PORT" --tlsv1.3 --max-time 3 \
        >>"$TB_DIR/client.log" 2>&1 || status=$?
    if ((status != 0)); then
        say "  curl failed (exit status $status), as expected: no TLS handshake"
    else
        say "  curl succeeded: the block did not work"
    fi
    wait_for_line 1 || true
    stop_tlsfp
}

on_exit() {
    if [[ -n $TB_DIR ]]; then
        say "removing the namespaces and temporary files"
    fi
    testbed_down
}

main() {
    check_requirements
    trap on_exit EXIT
    trap 'exit 130' INT TERM
    set_up
    start_tlsfp
    run_clients
    stop_tlsfp
    outbound_demo
    block_demo
}

main "$@"
