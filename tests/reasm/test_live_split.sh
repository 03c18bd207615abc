#!/bin/bash
# Live test of real clients whose ClientHello spans several TCP segments.
# tlsfp --json runs on the server side of a veth pair while clients in the
# client namespace connect to openssl s_server:
#
#   IPv6, client MTU 1280: openssl s_client with an ffdhe8192 key share
#   IPv4, client MTU 576:  the same, openssl s_client with 21 ALPN names,
#                          and split_client.py writing its hello one byte
#                          per send() (all of it, or after the first 6
#                          bytes)
#
# Each hello's JA3 and segment count are compared with what tshark finds in
# a tcpdump capture of the same traffic.  Needs root.
#
# Usage: tests/reasm/test_live_split.sh   (TLSFP=path overrides .output/tlsfp)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
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

# ALPN protocol names: h2 and 20 names of 24 bytes, about 500 bytes.
long_alpn_list() {
    local i list=h2
    for ((i = 1; i <= 20; i++)); do
        list+=$(printf ',x-long-protocol-name-%02d' "$i")
    done
    printf '%s\n' "$list"
}

# Run one client: run_client CLIENT ADDRESS.  Output goes to the client log.
run_client() {
    local client=$1 addr=$2 host=$2
    if [[ $addr == *:* ]]; then
        host="[$addr]"
    fi
    (
        printf '\n=== %s %s port %s\n' "$client" "$addr" "$PORT"
        case $client in
            openssl-ffdhe8192)
                # The key share is made for the first group: 1024 bytes.
                testbed_in_client timeout 20 openssl s_client \
                    -connect "$host:$PORT" -servername "$TB_SERVER_NAME" \
                    -groups ffdhe8192:X25519 </dev/null
                ;;
            openssl-long-alpn)
                testbed_in_client timeout 10 openssl s_client \
                    -connect "$host:$PORT" -servername "$TB_SERVER_NAME" \
                    -alpn "$(long_alpn_list)" </dev/null
                ;;
            python-1byte)
                testbed_in_client timeout 20 /usr/bin/python3 \
                    "$HERE/split_client.py" "$addr" "$PORT" \
                    "$TB_SERVER_NAME" </dev/null
                ;;
            python-head6-1byte)
                testbed_in_client timeout 20 /usr/bin/python3 \
                    "$HERE/split_client.py" --head 6 "$addr" "$PORT" \
                    "$TB_SERVER_NAME" </dev/null
                ;;
            *)
                echo "unknown client $client"
                exit 2
                ;;
        esac
    ) >>"$TB_DIR/client.log" 2>&1
}

# Print "stream|src|port|ja3|segments" for the first ClientHello of each
# TCP stream of CAPTURE.  segments is empty for a hello in one segment.
extract_hellos() {
    tshark -r "$1" -Y 'tls.handshake.type == 1' -T fields -E separator='|' \
        -e tcp.stream -e ip.src -e ipv6.src -e tcp.srcport \
        -e tls.handshake.ja3 -e tcp.segment.count \
        -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
        -o tcp.reassemble_out_of_order:TRUE 2>/dev/null |
        awk -F'|' '!seen[$1]++ { print $1 "|" $2 $3 "|" $4 "|" $5 "|" $6 }'
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

# Print the value of counter NAME from tlsfp's -s output in FILE.
counter() {
    awk -v n="$2" '$1 == n && $2 ~ /^[0-9]+$/ { print $2; exit }' "$1"
}

# Compare tlsfp's events with tshark's hellos.  Clients run one after
# another, so the Nth hello in the capture is the Nth client's.
compare_round() {
    local round=$1 dir=$2
    shift 2
    local clients=("$@") n=0 matched=0 total name event count
    local stream src sport ja3 segments e_hash e_segments

    total=$(grep -c . "$dir/tlsfp.out")
    report_equal "$round every tlsfp line is JSON" "$total" \
        "$(jq -cR 'fromjson? // empty' "$dir/tlsfp.out" | grep -c .)"
    extract_hellos "$dir/capture.pcap" >"$dir/hellos.txt"
    report_equal "$round one ClientHello per client in capture" \
        "${#clients[@]}" "$(grep -c . "$dir/hellos.txt")"

    while IFS='|' read -r stream src sport ja3 segments; do
        name="$round ${clients[n]:-extra-stream-$stream}"
        n=$((n + 1))
        if ((${segments:-1} >= 2)); then
            report_ok "$name hello spans segments"
        else
            report_not_ok "$name hello spans segments" \
                "tshark finds the hello in one segment; the check proves nothing"
        fi
        event=$(jq -c --arg ip "$src" --argjson port "$sport" \
            'select(.src_ip == $ip and .src_port == $port)' "$dir/tlsfp.out")
        count=$(grep -c . <<<"$event")
        if ((count != 1)); then
            report_not_ok "$name one tlsfp line" \
                "$count lines for $src port $sport, expected 1 (tshark: JA3 $ja3, ${segments:-1} segments)"
            continue
        fi
        report_ok "$name one tlsfp line"
        matched=$((matched + 1))
        IFS='|' read -r e_hash e_segments < <(jq -r \
            '[.tls.ja3.hash // .tls.ja3_error // "", .tls.segments // ""] |
             map(tostring) | join("|")' <<<"$event")
        report_equal "$name ja3 equals tshark" "$ja3" "$e_hash"
        report_equal "$name segments equal tshark" "${segments:-1}" \
            "$e_segments"
    done <"$dir/hellos.txt"

    report_equal "$round every tlsfp line matches a hello" "$total" "$matched"
    report_equal "$round counter reassembled" "${#clients[@]}" \
        "$(counter "$dir/tlsfp.err" reassembled)"
}

# run_round NAME FAMILY MTU CLIENT...
run_round() {
    local round=$1 family=$2 mtu=$3 dir client status addr
    shift 3
    dir="$TB_DIR/$round"
    mkdir -p "$dir"
    addr=$TB_ADDR4_SERVER
    if [[ $family == ipv6 ]]; then
        addr=$TB_ADDR6_SERVER
    fi
    ip -n "$TB_NS_CLIENT" link set dev "$TB_DEV_CLIENT" mtu "$mtu"

    if ! testbed_start_capture "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    if ! testbed_start_tlsfp "$TLSFP" "$dir/tlsfp.out" "$dir/tlsfp.err" \
        --json -s; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        testbed_stop "$TB_CAPTURE_PID" INT 5 || true
        return
    fi
    report_ok "$round tlsfp attaches"

    for client in "$@"; do
        status=0
        run_client "$client" "$addr" || status=$?
        if ((status == 0)); then
            report_ok "$round $client connects"
        else
            report_not_ok "$round $client connects" "exit status $status"
            report_file_tail "$TB_DIR/client.log"
        fi
    done
    wait_for_lines "$dir/tlsfp.out" "$#" || true

    if testbed_stop "$TB_TLSFP_PID" INT 5; then
        report_equal "$round tlsfp exit status after SIGINT" 0 "$TB_EXIT_STATUS"
    else
        report_not_ok "$round tlsfp exit status after SIGINT" \
            "still running 5 s after SIGINT, killed"
    fi
    if ! testbed_stop "$TB_CAPTURE_PID" INT 5; then
        report_not_ok "$round tcpdump stops" "still running 5 s after SIGINT, killed"
    fi
    compare_round "$round" "$dir" "$@"
}

main() {
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl tcpdump tshark jq \
        /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi

    testbed_up
    testbed_start_server "$PORT"
    # IPv6 needs an MTU of at least 1280 (RFC 8200 5); below that Linux
    # removes the device's IPv6 addresses, so the IPv6 round runs first.
    run_round ipv6-mtu1280 ipv6 1280 openssl-ffdhe8192
    run_round ipv4-mtu576 ipv4 576 openssl-ffdhe8192 openssl-long-alpn \
        python-1byte python-head6-1byte
    testbed_down
    exit_with_summary
}

main "$@"
