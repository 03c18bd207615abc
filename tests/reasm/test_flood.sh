#!/bin/bash
# Flood test of the partial-hello table.  tlsfp runs live with
# --max-partial 256 while tcpreplay sends 2000 clients from 198.19.0.0/16
# that each start a ClientHello and never finish it (gen_flood.py), five
# times over at 2000 packets/s.  Meanwhile real clients connect from the
# client namespace, some with a hello in one segment (curl, openssl) and
# some with a split one (client MTU 576: openssl with an ffdhe8192 key share,
# split_client.py in one-byte segments).  Checks:
#
#   - every real client's JA3 equals tshark's on a capture of the same run
#   - no flood client gets a fingerprint
#   - the partials map never holds more than 256 entries (map_entries.py,
#     sampled twice a second), its max_entries and memlock (bpftool map
#     show) never change
#   - tlsfp -s shows evicted_partial > 0 and 256 partials entries
#
# Takes about 20 s.  Needs root.
#
# Usage: tests/reasm/test_flood.sh   (TLSFP=path overrides .output/tlsfp)
set -uo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
REPO_ROOT=$(cd "$HERE/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

PORT=443
MAX_PARTIAL=256
FLOOD_FLOWS=2000
FLOOD_PPS=2000
FLOOD_LOOPS=5
# Longer than the test, so that flood hellos leave the table only by
# eviction, never by the idle sweep.
REASM_TIMEOUT=120
CLIENT_MTU=576
REAL_CLIENTS=(
    curl-tls1.3 curl-tls1.2 openssl-s_client openssl-ffdhe8192
    python-head6-1byte curl-tls1.3 openssl-ffdhe8192 python-head6-1byte
)
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

run_real_client() {
    local client=$1 addr=$TB_ADDR4_SERVER
    case $client in
        openssl-ffdhe8192)
            # The key share is made for the first group: 1024 bytes.
            (
                printf '\n=== %s\n' "$client"
                testbed_in_client timeout 20 openssl s_client \
                    -connect "$addr:$PORT" -servername "$TB_SERVER_NAME" \
                    -groups ffdhe8192:X25519 </dev/null
            ) >>"$TB_DIR/client.log" 2>&1
            ;;
        python-head6-1byte)
            (
                printf '\n=== %s\n' "$client"
                testbed_in_client timeout 20 /usr/bin/python3 \
                    "$HERE/split_client.py" --head 6 "$addr" "$PORT" \
                    "$TB_SERVER_NAME" </dev/null
            ) >>"$TB_DIR/client.log" 2>&1
            ;;
        *) testbed_run_client "$client" "$addr" "$PORT" ;;
    esac
}

# Print the id of the partials map of the XDP program on the server veth.
partials_map_id() {
    local prog id
    prog=$(testbed_xdp_prog_id)
    [[ -n $prog ]] || return 1
    for id in $(bpftool prog show id "$prog" -j | jq -r '.map_ids[]'); do
        if [[ $(bpftool map show id "$id" -j | jq -r .name) == partials ]]; then
            printf '%s\n' "$id"
            return 0
        fi
    done
    return 1
}

# Print the number of entries of map ID.  map_entries.py reads keys only:
# `bpftool map dump` reads the 10 KiB values too and takes seconds.
map_entries() {
    local id=$1 key_size
    key_size=$(bpftool map show id "$id" -j | jq .bytes_key)
    /usr/bin/python3 "$HERE/map_entries.py" "$id" "$key_size"
}

# Append "entries max_entries memlock" for map ID to FILE twice a second
# while process PID runs.
sample_map() {
    local id=$1 file=$2 pid=$3 entries show
    while kill -0 "$pid" 2>/dev/null; do
        entries=$(map_entries "$id" 2>/dev/null)
        show=$(bpftool map show id "$id" -j 2>/dev/null |
            jq -r '"\(.max_entries) \(.bytes_memlock)"')
        printf '%s %s\n' "${entries:-?}" "${show:-? ?}" >>"$file"
        sleep 0.5
    done
}

# Print the value of counter NAME from tlsfp's -s output in FILE.
counter() {
    awk -v n="$2" '$1 == n && $2 ~ /^-?[0-9]+$/ { print $2; exit }' "$1"
}

check_samples() {
    local file=$1 first_limit first_memlock
    local n max_seen bad_limit bad_memlock
    n=$(grep -c . "$file")
    if ((n < 3)); then
        report_not_ok "partials map sampled during the flood" \
            "$n samples, expected at least 3"
        return
    fi
    report_ok "partials map sampled during the flood"
    printf '#   samples (entries max_entries memlock): %s\n' \
        "$(tr '\n' ';' <"$file")"
    read -r _ first_limit first_memlock < <(head -n 1 "$file")
    max_seen=$(awk '$1 ~ /^[0-9]+$/ && $1 > m { m = $1 } END { print m + 0 }' "$file")
    bad_limit=$(awk -v l="$MAX_PARTIAL" '$2 != l' "$file" | grep -c . || true)
    bad_memlock=$(awk -v m="$first_memlock" '$3 != m' "$file" | grep -c . || true)

    if ((max_seen > 0 && max_seen <= MAX_PARTIAL)); then
        report_ok "partials map holds at most $MAX_PARTIAL entries"
    else
        report_not_ok "partials map holds at most $MAX_PARTIAL entries" \
            "largest sample $max_seen (0 means the flood never showed)"
    fi
    report_equal "partials max_entries is $MAX_PARTIAL in every sample" \
        "$MAX_PARTIAL 0" "$first_limit $bad_limit"
    report_equal "partials memlock the same in every sample" 0 "$bad_memlock"
}

# Compare tlsfp's events with the hellos tshark finds in the capture.
check_events() {
    local dir=$1 src sport ja3 event count got real=0 flood_events
    tshark -r "$dir/capture.pcap" -Y 'tls.handshake.type == 1' -T fields \
        -E separator='|' -e tcp.stream -e ip.src -e tcp.srcport \
        -e tls.handshake.ja3 -o tls.desegment_ssl_records:TRUE \
        -o tcp.desegment_tcp_streams:TRUE \
        -o tcp.reassemble_out_of_order:TRUE 2>/dev/null |
        awk -F'|' '$2 == "'"$TB_ADDR4_CLIENT"'" && !seen[$1]++' \
            >"$dir/hellos.txt"
    report_equal "one ClientHello per real client in capture" \
        "${#REAL_CLIENTS[@]}" "$(grep -c . "$dir/hellos.txt")"

    while IFS='|' read -r _ src sport ja3; do
        real=$((real + 1))
        event=$(jq -c --arg ip "$src" --argjson port "$sport" \
            'select(.src_ip == $ip and .src_port == $port)' "$dir/tlsfp.out")
        count=$(grep -c . <<<"$event")
        got=$(jq -r '.tls.ja3.hash // .tls.ja3_error // "none"' <<<"$event" |
            tr '\n' ' ')
        if ((count == 1)) && [[ $got == "$ja3 " ]]; then
            report_ok "real client $real ($src port $sport) fingerprinted"
        else
            report_not_ok "real client $real ($src port $sport) fingerprinted" \
                "$count events (${got:-none}), tshark JA3 $ja3"
        fi
    done <"$dir/hellos.txt"

    flood_events=$(jq -r 'select(.src_ip | startswith("198.19.")) |
        .tls.ja3.hash // "truncated"' "$dir/tlsfp.out" | sort | uniq -c |
        tr '\n' ' ')
    if jq -e 'select(.src_ip | startswith("198.19.")) | .tls.ja3' \
        "$dir/tlsfp.out" >/dev/null; then
        report_not_ok "no flood client fingerprinted" "$flood_events"
    else
        report_ok "no flood client fingerprinted"
    fi
}

check_counters() {
    local err=$1 evicted created
    evicted=$(counter "$err" evicted_partial)
    created=$(counter "$err" partial_created)
    if [[ $evicted =~ ^[0-9]+$ ]] && ((evicted > 0)); then
        report_ok "evicted_partial > 0"
    else
        report_not_ok "evicted_partial > 0" "evicted_partial is '${evicted:-absent}'"
    fi
    if [[ $created =~ ^[0-9]+$ ]] && ((created >= FLOOD_FLOWS)); then
        report_ok "partial_created >= $FLOOD_FLOWS"
    else
        report_not_ok "partial_created >= $FLOOD_FLOWS" \
            "partial_created is '${created:-absent}'"
    fi
    printf '#   evicted_partial %s, partial_created %s, swept_partial %s\n' \
        "$evicted" "$created" "$(counter "$err" swept_partial)"
    report_equal "tlsfp -s partials entries" "$MAX_PARTIAL" \
        "$(awk '$1 == "partials" && $3 == "entries" { print $2 }' "$err")"
}

main() {
    local dir start client status map_id replay_pid sampler_pid n=0
    report_skip_unless_root
    trap on_exit EXIT
    trap 'exit 130' INT TERM

    if ! report_require_programs ip ethtool openssl curl tcpdump tshark jq \
        bpftool tcpreplay /usr/bin/python3; then
        exit_with_summary
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        exit_with_summary
    fi
    start=$SECONDS

    testbed_up
    dir=$TB_DIR/flood
    mkdir -p "$dir"
    testbed_start_server "$PORT"
    ip -n "$TB_NS_CLIENT" link set dev "$TB_DEV_CLIENT" mtu "$CLIENT_MTU"
    if ! /usr/bin/python3 "$HERE/gen_flood.py" --flows "$FLOOD_FLOWS" \
        "$dir/flood.pcap" >"$dir/gen.log" 2>&1; then
        report_not_ok "gen_flood.py writes the flood" "$(tail -n 1 "$dir/gen.log")"
        exit_with_summary
    fi

    if ! testbed_start_capture "$dir/capture.pcap"; then
        report_not_ok "tcpdump starts" "see the message above"
        exit_with_summary
    fi
    if ! testbed_start_tlsfp "$TLSFP" "$dir/tlsfp.out" "$dir/tlsfp.err" \
        --json -s --max-partial "$MAX_PARTIAL" \
        --reasm-timeout "$REASM_TIMEOUT"; then
        report_not_ok "tlsfp attaches" "$(tail -n 1 "$dir/tlsfp.err")"
        exit_with_summary
    fi
    report_ok "tlsfp attaches"
    if ! map_id=$(partials_map_id); then
        report_not_ok "partials map found" "no map named partials on program $(testbed_xdp_prog_id)"
        exit_with_summary
    fi
    report_ok "partials map found"

    ip netns exec "$TB_NS_CLIENT" tcpreplay -i "$TB_DEV_CLIENT" \
        --pps "$FLOOD_PPS" --loop "$FLOOD_LOOPS" "$dir/flood.pcap" \
        >"$dir/tcpreplay.log" 2>&1 &
    replay_pid=$!
    TB_PIDS+=("$replay_pid")
    sample_map "$map_id" "$dir/samples.txt" "$replay_pid" &
    sampler_pid=$!

    # Let the flood fill the table before the first real client.
    sleep 1
    for client in "${REAL_CLIENTS[@]}"; do
        n=$((n + 1))
        status=0
        run_real_client "$client" || status=$?
        if ((status == 0)); then
            report_ok "real client $n $client connects"
        else
            report_not_ok "real client $n $client connects" "exit status $status"
            report_file_tail "$TB_DIR/client.log"
        fi
    done
    if ! kill -0 "$replay_pid" 2>/dev/null; then
        report_not_ok "flood lasts while the real clients run" \
            "tcpreplay ended before the last client"
    else
        report_ok "flood lasts while the real clients run"
    fi

    status=0
    wait "$replay_pid" || status=$?
    testbed_forget_pid "$replay_pid"
    wait "$sampler_pid" || true
    report_equal "tcpreplay sends every flood frame" "$status 0" \
        "$status $(sed -n 's/^[[:space:]]*Failed packets:[[:space:]]*//p' \
            "$dir/tcpreplay.log")"
    # With the map quiet, both ways of counting must agree.
    report_equal "map_entries.py count equals bpftool map dump" \
        "$(bpftool map dump id "$map_id" -j | jq length)" \
        "$(map_entries "$map_id")"

    if testbed_stop "$TB_TLSFP_PID" INT 5; then
        report_equal "tlsfp exit status after SIGINT" 0 "$TB_EXIT_STATUS"
    else
        report_not_ok "tlsfp exit status after SIGINT" \
            "still running 5 s after SIGINT, killed"
    fi
    testbed_stop "$TB_CAPTURE_PID" INT 5 || true

    check_samples "$dir/samples.txt"
    check_events "$dir"
    check_counters "$dir/tlsfp.err"
    testbed_down
    if ((SECONDS - start <= 60)); then
        report_ok "flood test within 60 s"
    else
        report_not_ok "flood test within 60 s" "took $((SECONDS - start)) s"
    fi
    exit_with_summary
}

main "$@"
