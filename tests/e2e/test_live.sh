#!/bin/bash
# End-to-end test of live mode.  tlsfp --json runs on the server side of a
# veth pair while real TLS clients connect over IPv4 and IPv6 to ports 443
# and 8443.  Every ClientHello's fingerprint is compared with the one tshark
# computes from a tcpdump capture of the same traffic.  Needs root.
#
# Usage: tests/e2e/test_live.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

PORTS=(443 8443)
CLIENTS=("${TB_CLIENTS[@]}" openssl-no-sni)
SUMMARY_PRINTED=0

# Fields that tshark prints for each ClientHello, joined by '|'.  ja3_full
# is the JA3 string, whose fields are joined by commas, so ',' cannot be the
# separator.
TSHARK_FIELDS=(
    tcp.stream frame.time_epoch ip.src ipv6.src tcp.srcport
    tls.handshake.ja3 tls.handshake.ja3_full
    tls.handshake.extensions_server_name tls.handshake.version
    tls.handshake.extensions.supported_version
    tls.handshake.extensions_alpn_str
)

# Print the summary line and exit 1 if any check failed.
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

# Print one line per ClientHello in CAPTURE, the first of each TCP stream
# only, so that a retransmitted hello counts once.
extract_hellos() {
    local capture=$1 field args=()
    for field in "${TSHARK_FIELDS[@]}"; do
        args+=(-e "$field")
    done
    tshark -r "$capture" -Y 'tls.handshake.type == 1' -T fields \
        -E separator='|' "${args[@]}" \
        -o tls.desegment_ssl_records:TRUE -o tcp.desegment_tcp_streams:TRUE \
        2>/dev/null | awk -F'|' '!seen[$1]++'
}

# Print the highest TLS version that a ClientHello offers, named as tlsfp
# names it: the largest non-GREASE entry of supported_versions, else
# legacy_version.
offered_version() {
    local legacy=$1 supported=$2 best=0 value
    local -a values
    IFS=, read -r -a values <<<"$supported"
    for value in "${values[@]}"; do
        # GREASE values (RFC 8701) have the form 0x?a?a.
        if [[ $value =~ ^0x[0-9a-f]a[0-9a-f]a$ ]]; then
            continue
        fi
        if ((value > best)); then
            best=$((value))
        fi
    done
    if ((best == 0)); then
        best=$((legacy))
    fi
    case $best in
        $((0x0301))) echo "TLS 1.0" ;;
        $((0x0302))) echo "TLS 1.1" ;;
        $((0x0303))) echo "TLS 1.2" ;;
        $((0x0304))) echo "TLS 1.3" ;;
        *) printf '0x%04x\n' "$best" ;;
    esac
}

# Print the fields of a tlsfp JSON event that the checks compare, joined by
# the ASCII unit separator (0x1f) because several may be empty.
jq_event_fields() {
    jq -r '[.tls.ja3.hash // "", .tls.ja3.string // "",
            .tls.sni // "(absent)", .tls.version // "",
            ((.tls.client_alpns // []) | join(",")),
            "event_type=\(.event_type) proto=\(.proto)" +
            " dest=\(.dest_ip) port=\(.dest_port) in_iface=\(.in_iface)",
            .timestamp // ""] | map(tostring) | join("\u001f")'
}

# Check one tlsfp event against tshark's view of the same ClientHello.
check_event() {
    local name=$1 event=$2 server_addr=$3 port=$4
    local epoch=$5 ja3=$6 ja3_full=$7 sni=$8 version=$9 alpn=${10}
    local e_hash e_string e_sni e_version e_alpn e_header e_time e_epoch
    IFS=$'\x1f' read -r e_hash e_string e_sni e_version e_alpn e_header e_time \
        < <(jq_event_fields <<<"$event")

    report_equal "$name ja3 hash" "$ja3" "$e_hash"
    report_equal "$name ja3 string" "$ja3_full" "$e_string"
    report_equal "$name sni" "${sni:-(absent)}" "$e_sni"
    report_equal "$name version" "$version" "$e_version"
    report_equal "$name alpn" "$alpn" "$e_alpn"
    report_equal "$name header fields" \
        "event_type=tls proto=TCP dest=$server_addr port=$port in_iface=$TB_DEV_SERVER" \
        "$e_header"

    local iso='^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}[+-][0-9]{4}$'
    if [[ ! $e_time =~ $iso ]]; then
        report_not_ok "$name timestamp" "'$e_time' is not YYYY-MM-DDTHH:MM:SS.ffffff+zzzz"
        return
    fi
    e_epoch=$(date -d "$e_time" +%s.%N)
    # The XDP hook and the capture see the same packet, so their clocks
    # agree to well under a second unless the time conversion is wrong.
    if awk -v a="$e_epoch" -v b="$epoch" 'BEGIN { d = a - b; exit !(d < 1 && d > -1) }'; then
        report_ok "$name timestamp"
    else
        report_not_ok "$name timestamp" "tlsfp $e_time ($e_epoch), capture $epoch"
    fi
}

# Compare every ClientHello in the capture with tlsfp's events.  Clients run
# one after another, so the Nth hello in the capture is the Nth client's.
compare_round() {
    local round=$1 server_addr=$2 port=$3 dir=$4
    local events="$dir/events.json" hellos="$dir/hellos.txt"
    local n=0 matched=0 total client name count event src
    local stream epoch src4 src6 sport ja3 ja3_full sni legacy supported alpn

    jq -cR 'fromjson? // empty' "$dir/tlsfp.out" >"$events"
    total=$(wc -l <"$dir/tlsfp.out")
    report_equal "$round all tlsfp lines are JSON" "$total" "$(wc -l <"$events")"

    extract_hellos "$dir/capture.pcap" >"$hellos"
    report_equal "$round one ClientHello per client in capture" \
        "${#CLIENTS[@]}" "$(wc -l <"$hellos")"

    while IFS='|' read -r stream epoch src4 src6 sport ja3 ja3_full sni legacy \
        supported alpn; do
        client=${CLIENTS[n]:-extra-stream-$stream}
        n=$((n + 1))
        name="$round $client"
        src=${src4:-$src6}
        event=$(jq -c --arg ip "$src" --argjson port "$sport" \
            'select(.src_ip == $ip and .src_port == $port)' "$events")
        count=$(grep -c . <<<"$event" || true)
        if ((count != 1)); then
            report_not_ok "$name one tlsfp line" \
                "$count lines for $src port $sport, expected 1"
            continue
        fi
        report_ok "$name one tlsfp line"
        matched=$((matched + 1))
        check_event "$name" "$event" "$server_addr" "$port" "$epoch" "$ja3" \
            "$ja3_full" "$sni" "$(offered_version "$legacy" "$supported")" "$alpn"
    done <"$hellos"

    if ((matched == total)); then
        report_ok "$round every tlsfp line matches a hello"
    else
        report_not_ok "$round every tlsfp line matches a hello" \
            "$total lines, of which $matched match exactly one ClientHello in the capture"
    fi
}

# Wait at most 3 s for FILE to have COUNT lines, because tlsfp prints an
# event a little after the packet passed.
wait_for_lines() {
    local file=$1 count=$2 i lines
    for ((i = 0; i < 30; i++)); do
        lines=$(wc -l <"$file") || return 1
        if ((lines >= count)); then
            return 0
        fi
        sleep 0.1
    done
    return 1
}

check_detached() {
    local round=$1
    if testbed_xdp_attached; then
        report_not_ok "$round xdp detached (ip link)" \
            "$(ip -n "$TB_NS_SERVER" link show dev "$TB_DEV_SERVER" | grep -o 'prog/xdp.*')"
    else
        report_ok "$round xdp detached (ip link)"
    fi
    report_equal "$round xdp detached (bpftool net)" 0 "$(testbed_bpftool_xdp_count)"
}

run_clients() {
    local round=$1 server_addr=$2 port=$3 client status
    for client in "${CLIENTS[@]}"; do
        status=0
        testbed_run_client "$client" "$server_addr" "$port" || status=$?
        if ((status == 0)); then
            report_ok "$round $client connects"
        else
            report_not_ok "$round $client connects" "exit status $status"
            report_file_tail "$TB_DIR/client.log"
        fi
    done
}

# Run one round: capture and tlsfp on the server veth, every client once, then
# stop both and compare.
run_round() {
    local family=$1 port=$2 server_addr round dir
    if [[ $family == ipv4 ]]; then
        server_addr=$TB_ADDR4_SERVER
    else
        server_addr=$TB_ADDR6_SERVER
    fi
    round="$family/$port"
    dir="$TB_DIR/$family-$port"
    mkdir -p "$dir"

    if ! testbed_start_capture "$dir/capture.pcap"; then
        report_not_ok "$round tcpdump starts" "see the message above"
        return
    fi
    if ! testbed_start_tlsfp "$TLSFP" "$dir/tlsfp.out" "$dir/tlsfp.err" --json; then
        report_not_ok "$round tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        testbed_stop "$TB_CAPTURE_PID" INT 5 || true
        return
    fi
    report_ok "$round tlsfp attaches"

    run_clients "$round" "$server_addr" "$port"
    wait_for_lines "$dir/tlsfp.out" "${#CLIENTS[@]}" || true

    if testbed_stop "$TB_TLSFP_PID" INT 5; then
        report_equal "$round tlsfp exit status after SIGINT" 0 "$TB_EXIT_STATUS"
    else
        report_not_ok "$round tlsfp exit status after SIGINT" \
            "still running 5 s after SIGINT, killed"
    fi
    if [[ $TB_EXIT_STATUS != 0 ]]; then
        report_file_tail "$dir/tlsfp.err"
    fi
    check_detached "$round"

    if ! testbed_stop "$TB_CAPTURE_PID" INT 5; then
        report_not_ok "$round tcpdump stops" "still running 5 s after SIGINT, killed"
    fi
    compare_round "$round" "$server_addr" "$port" "$dir"
}

main() {
    local family port
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl curl gnutls-cli tcpdump \
        tshark jq bpftool /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi

    testbed_up
    for port in "${PORTS[@]}"; do
        testbed_start_server "$port"
    done
    for family in ipv4 ipv6; do
        for port in "${PORTS[@]}"; do
            run_round "$family" "$port"
        done
    done
    testbed_down
    exit_with_summary
}

main "$@"
