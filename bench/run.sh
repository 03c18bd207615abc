#!/bin/bash
# Measure tlsfp on this machine and write BENCHMARKS.md at the top of the
# repository; `make bench` runs this script after building.  Every figure of
# BENCHMARKS.md comes from one run of it:
#
#   1. bench_prog: BPF_PROG_TEST_RUN time per packet class of tlsfp_xdp and
#      tlsfp_tc against empty programs, the JA3 MD5 on its own, and the
#      verifier's statistics.  perf then samples the hello and non-TLS
#      paths.
#   2. offline: tlsfp -r against tshark on a generated capture.
#   3. live: ClientHellos replayed with tcpreplay onto a veth whose peer,
#      in another namespace, has tlsfp's XDP program, at rising rates.
#   4. memory: tlsfp's resident memory under that load and every BPF map's.
#
# Needs root, tcpreplay, tshark, bpftool, jq, iproute2 and /usr/bin/python3
# (tests/deps.sh installs them); perf is used when present.  The captures
# are written to a temporary folder and removed at exit.
#
# Usage: bench/run.sh   (OUTPUT=DIR: where make put the binaries, default
#                        .output; BENCH_HELLOS=N: ClientHellos of the offline
#                        capture, default 100000)
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
out=${OUTPUT:-.output}
tlsfp=$out/tlsfp
bench_prog=$out/bench/bench_prog
offline_hellos=${BENCH_HELLOS:-100000}
live_hellos=200000
# Rates of the live steps, in ClientHellos per second, with "topspeed" last.
live_rates=(10000 25000 50000 100000 150000 200000 300000 topspeed)
# Seconds of traffic per live step, and the bounds of its hello count.
live_seconds=2
live_min_hellos=20000

# shellcheck source-path=SCRIPTDIR source=../tests/lib/testbed.sh
source "$top/tests/lib/testbed.sh"

work=""
results=""
bpf_stats_old=""
perf_ok=0
# BENCH_KEEP=1 keeps the temporary folder, with the raw results.
keep=${BENCH_KEEP:-0}

log() {
    printf 'bench: %s\n' "$*" >&2
}

die() {
    log "$*"
    exit 1
}

cleanup() {
    testbed_down
    if [[ -n $bpf_stats_old ]]; then
        sysctl -q -w kernel.bpf_stats_enabled="$bpf_stats_old" || true
    fi
    if [[ -n $work && -d $work ]]; then
        if ((keep)); then
            log "results kept in $work"
        else
            rm -rf -- "$work"
        fi
    fi
}

# Append one JSON object to the results: json KEY VALUE [KEY VALUE...].
# Values that look like numbers are written as numbers.
json() {
    jq -cn --args '[$ARGS.positional | _nwise(2) |
        {(.[0]): (.[1] | tonumber? // .)}] | add' "$@" >>"$results"
}

check_environment() {
    local program
    ((EUID == 0)) || die "needs root: BPF_PROG_TEST_RUN, XDP and network namespaces (run sudo make bench)"
    for program in tcpreplay tshark bpftool jq ip ethtool /usr/bin/python3 \
        /usr/bin/time; do
        command -v "$program" >/dev/null ||
            die "$program not found; install the dependencies with tests/deps.sh"
    done
    [[ -x $tlsfp && -x $bench_prog ]] ||
        die "$tlsfp or $bench_prog missing; run make bench"
}

record_machine() {
    local f=$work/machine.txt dirty=""
    git diff --quiet HEAD -- bpf user include 2>/dev/null ||
        dirty=" with uncommitted changes"
    {
        echo "date=$(date -u '+%Y-%m-%d %H:%M UTC')"
        echo "cpu=$(sed -n 's/^model name[[:space:]]*: //p' /proc/cpuinfo |
            head -n 1)"
        echo "cores=$(nproc)"
        echo "memory_mib=$(awk '$1 == "MemTotal:" { print int($2 / 1024) }' \
            /proc/meminfo)"
        echo "kernel=$(uname -r)"
        echo "clang=$(clang --version | head -n 1)"
        echo "libbpf=$(pkg-config --modversion libbpf 2>/dev/null || echo unknown)"
        echo "bpftool=$(bpftool version 2>/dev/null | head -n 1)"
        echo "tshark=$(tshark --version 2>/dev/null | head -n 1)"
        echo "tcpreplay=$(tcpreplay --version 2>&1 | head -n 1)"
        echo "perf=$(perf --version 2>/dev/null || echo none)"
        echo "commit=$(git rev-parse --short HEAD 2>/dev/null)$dirty"
        echo "loadavg_start=$(cut -d' ' -f1-3 /proc/loadavg)"
        echo "hypervisor=$(grep -qw hypervisor /proc/cpuinfo && echo yes || echo no)"
        echo "pmu=$(cd /sys/bus/event_source/devices && echo *)"
    } >"$f"
}

# Part 1: BPF_PROG_TEST_RUN.
run_test_runs() {
    log "BPF_PROG_TEST_RUN per packet class (about a minute)"
    /usr/bin/python3 bench/gen_traffic.py classes "$work/classes" ||
        die "gen_traffic.py classes failed"
    "$bench_prog" "$work/classes" >>"$results" ||
        die "bench_prog failed"
}

# Sample tlsfp_xdp with perf while bench_prog runs CLASS through it.  The
# samples go to $work/perf-CLASS.txt as perf script text.
profile_class() {
    local class=$1 pid i
    "$bench_prog" --profile 4 "$work/classes" "$class" \
        >/dev/null 2>"$work/profile-$class.log" &
    pid=$!
    for ((i = 0; i < 100; i++)); do
        grep -q profiling "$work/profile-$class.log" && break
        sleep 0.1
    done
    perf record -q -o "$work/perf-$class.data" -e cpu-clock -F 10000 -g \
        -p "$pid" -- sleep 3 >/dev/null 2>&1
    wait "$pid"
    perf script -i "$work/perf-$class.data" -F ip,sym \
        >"$work/perf-$class.txt" 2>/dev/null
}

run_profiles() {
    if ! perf record -q -o "$work/perf-probe.data" -e cpu-clock -- true \
        >/dev/null 2>&1; then
        log "perf cannot record here; no profiles"
        return
    fi
    perf_ok=1
    log "perf profiles of tlsfp_xdp"
    profile_class hello_small
    profile_class hello_small_wakeup
    profile_class ack_data
}

# Print wall seconds, CPU seconds and max RSS (KiB) of a command run under
# /usr/bin/time, whose report is in FILE.
time_fields() {
    awk '/^bench-time / { print $2, $3 + $4, $5 }' "$1"
}

# Run a command under /usr/bin/time: timed NAME REPORT COMMAND...  Its
# stdout goes to $work/NAME.out.
timed() {
    local name=$1 report=$2
    shift 2
    /usr/bin/time -o "$report" -f 'bench-time %e %U %S %M' "$@" \
        >"$work/$name.out" 2>"$work/$name.err"
}

# Part 2: tlsfp -r against tshark.
run_offline() {
    local frames i wall cpu rss best best_cpu best_rss lines mode runs
    local command
    log "offline: generating $offline_hellos TLS flows"
    frames=$(/usr/bin/python3 bench/gen_traffic.py offline \
        "$work/offline.pcap" "$offline_hellos") ||
        die "gen_traffic.py offline failed"

    for mode in text json; do
        best=""
        runs=1
        [[ $mode == text ]] && runs=3
        for ((i = 0; i < runs; i++)); do
            log "offline: tlsfp -r ($mode output), run $((i + 1))"
            command=("$tlsfp" -r "$work/offline.pcap")
            [[ $mode == json ]] && command+=(-j)
            timed tlsfp-r "$work/time.txt" "${command[@]}" ||
                die "tlsfp -r failed: $(tail -n 3 "$work/tlsfp-r.err")"
            read -r wall cpu rss < <(time_fields "$work/time.txt")
            if [[ -z $best ]] || awk "BEGIN { exit !($wall < $best) }"; then
                best=$wall best_cpu=$cpu best_rss=$rss
            fi
        done
        lines=$(grep -c . "$work/tlsfp-r.out")
        json kind offline tool "tlsfp -r ($mode)" frames "$frames" \
            runs "$i" wall_s "$best" cpu_s "$best_cpu" rss_kb "$best_rss" \
            fingerprints "$lines"
    done

    if ((perf_ok)); then
        log "offline: tlsfp -r under perf, not timed"
        perf record -q -o "$work/perf-replay.data" -e cpu-clock -F 1000 -g \
            -- "$tlsfp" -r "$work/offline.pcap" >/dev/null 2>&1
        perf report -i "$work/perf-replay.data" --no-children --sort dso \
            --stdio --percent-limit 1 >"$work/perf-replay-dso.txt" 2>/dev/null
        perf report -i "$work/perf-replay.data" --children --sort symbol \
            -g none --stdio --percent-limit 1 \
            >"$work/perf-replay-sym.txt" 2>/dev/null
    fi

    log "offline: tshark (about half a minute)"
    timed tshark "$work/time.txt" tshark -n -r "$work/offline.pcap" -T fields \
        -e tls.handshake.ja3 || die "tshark failed: $(tail -n 3 "$work/tshark.err")"
    read -r wall cpu rss < <(time_fields "$work/time.txt")
    json kind offline tool tshark frames "$frames" runs 1 wall_s "$wall" \
        cpu_s "$cpu" rss_kb "$rss" fingerprints "$(grep -c . "$work/tshark.out")"
    rm -f -- "$work/offline.pcap" "$work"/*.out
}

# Print a field of tcpreplay's report: tcpreplay_field REPORT REGEX.
tcpreplay_field() {
    sed -n "s/^.*$2[^0-9]*\([0-9.]*\).*$/\1/p" "$1" | head -n 1
}

# Print the CPU seconds (user + system) PID has used.
cpu_seconds() {
    awk -v hz="$(getconf CLK_TCK)" '{ print ($14 + $15) / hz }' "/proc/$1/stat"
}

# Print a counter of tlsfp -s from its stderr: counter FILE NAME.
counter() {
    awk -v n="$2" '$1 == n { print $2; exit }' "$1"
}

# Print a link's statistics as JSON: link_stats NAMESPACE DEVICE.
link_stats() {
    ip -n "$1" -j -s link show dev "$2" 2>/dev/null | jq -c '.[0].stats64'
}

# Print the difference of a field between two link_stats outputs.
stats_delta() {
    echo $(($(jq "$3" <<<"$2") - $(jq "$3" <<<"$1")))
}

# Wait until FILE stops growing for a second, for at most 10 seconds.
wait_drained() {
    local file=$1 last=-1 now i
    for ((i = 0; i < 20; i++)); do
        now=$(stat -c %s "$file")
        ((now == last)) && return
        last=$now
        sleep 0.5
    done
}

# Record the memory of tlsfp's maps and programs, found through
# /proc/PID/fdinfo, as bpftool reports it.
record_memory() {
    local pid=$1 fd id
    for fd in /proc/"$pid"/fdinfo/*; do
        id=$(sed -n 's/^map_id:[[:space:]]*//p' "$fd" 2>/dev/null)
        [[ -n $id ]] || continue
        bpftool -j map show id "$id" 2>/dev/null |
            jq -c '{kind: "map", id, name, type, max_entries,
                    bytes_key, bytes_value, bytes_memlock}' >>"$results"
    done
    for fd in /proc/"$pid"/fdinfo/*; do
        id=$(sed -n 's/^prog_id:[[:space:]]*//p' "$fd" 2>/dev/null)
        [[ -n $id ]] || continue
        bpftool -j prog show id "$id" 2>/dev/null |
            jq -c '{kind: "prog_mem", id, name, type, bytes_memlock}' \
                >>"$results"
    done
}

# Try bpftool prog profile on the XDP program, and put its output or its
# error into the results.
try_prog_profile() {
    local id=$1 text
    text=$(timeout 10 bpftool prog profile id "$id" duration 1 cycles \
        instructions 2>&1 | head -n 6 | tr '\n' ' ')
    json kind prog_profile output "$text"
}

# Print tcpreplay's rate options for RATE and the number of hellos its
# step sends, as "LIMIT OPTION...".
replay_options() {
    local rate=$1 limit
    if [[ $rate == topspeed ]]; then
        echo "$live_hellos --topspeed"
        return
    fi
    limit=$((rate * live_seconds))
    ((limit < live_min_hellos)) && limit=$live_min_hellos
    ((limit > live_hellos)) && limit=$live_hellos
    echo "$limit --pps=$rate --pps-multi=10"
}

# Print the XDP attach mode of the server-side veth as ip shows it: xdp
# (native), xdpgeneric or xdpoffload.
xdp_mode() {
    ip -n "$TB_NS_SERVER" link show dev "$TB_DEV_SERVER" 2>/dev/null |
        grep -o 'xdp[a-z]*' | head -n 1
}

# One live step: tlsfp on vs0, RATE hellos per second from vc0.  The
# figures before and after the replay go into the results.
live_step() {
    local rate=$1 limit opt pid cpu0 cpu1 tx0 tx1 rx0 rx1 prog_id stats mode
    local json_out=$work/live.json err=$work/live.err

    read -r limit opt <<<"$(replay_options "$rate")"
    : >"$json_out"
    : >"$err"
    testbed_start_tlsfp "$tlsfp" "$json_out" "$err" -j -s -d in ||
        die "tlsfp did not start: $(tail -n 3 "$err")"
    pid=$TB_TLSFP_PID
    prog_id=$(testbed_xdp_prog_id)
    mode=$(xdp_mode)
    if [[ $rate == "${live_rates[0]}" ]]; then
        record_memory "$pid"
    fi

    tx0=$(link_stats "$TB_NS_CLIENT" "$TB_DEV_CLIENT")
    rx0=$(link_stats "$TB_NS_SERVER" "$TB_DEV_SERVER")
    cpu0=$(cpu_seconds "$pid")
    # shellcheck disable=SC2086 # opt is a list of options
    testbed_in_client tcpreplay -i "$TB_DEV_CLIENT" $opt --limit="$limit" \
        "$work/live.pcap" >"$work/tcpreplay.txt" 2>&1 ||
        die "tcpreplay failed: $(tail -n 3 "$work/tcpreplay.txt")"
    wait_drained "$json_out"
    cpu1=$(cpu_seconds "$pid")
    tx1=$(link_stats "$TB_NS_CLIENT" "$TB_DEV_CLIENT")
    rx1=$(link_stats "$TB_NS_SERVER" "$TB_DEV_SERVER")
    stats=$(bpftool -j prog show id "$prog_id" 2>/dev/null |
        jq -r '"\(.run_time_ns // 0) \(.run_cnt // 0)"')

    if [[ $rate == topspeed ]]; then
        record_rss_detail "$pid"
        try_prog_profile "$prog_id"
    fi
    json kind live_rss rate "$rate" \
        vm_hwm_kb "$(awk '$1 == "VmHWM:" { print $2 }' "/proc/$pid/status")"
    testbed_stop "$pid" INT 10 || log "tlsfp did not stop on SIGINT"
    grep -m 1 'BPF map memory' -A 20 "$err" >"$work/map-table.txt" || true

    json kind live rate "$rate" xdp_mode "$mode" sent \
        "$(tcpreplay_field "$work/tcpreplay.txt" 'Successful packets:')" \
        achieved_pps "$(tcpreplay_field "$work/tcpreplay.txt" 'Mbps,')" \
        xdp_packets "$(counter "$err" packets)" \
        hellos "$(counter "$err" hellos)" \
        ringbuf_full "$(counter "$err" ringbuf_full)" \
        printed "$(grep -c . "$json_out")" \
        veth_tx_dropped "$(stats_delta "$tx0" "$tx1" .tx.dropped)" \
        veth_rx_dropped "$(stats_delta "$rx0" "$rx1" .rx.dropped)" \
        loader_cpu_s "$(awk "BEGIN { print $cpu1 - $cpu0 }")" \
        bpf_run_time_ns "${stats% *}" bpf_run_cnt "${stats#* }"
}

# Record the loader's resident memory counts from /proc/PID/status and
# its largest mappings from /proc/PID/smaps.
record_rss_detail() {
    local pid=$1 kb name
    json kind rss_status pid_status "$(grep -E '^(VmHWM|VmRSS|RssAnon|RssFile|RssShmem)' \
        "/proc/$pid/status" | tr -s ' \t' ' ' | tr '\n' ';')"
    awk '/^[0-9a-f]+-[0-9a-f]+ / { name = ($6 == "" ? "[anonymous]" : $6) }
         /^Rss:/ { rss[name] += $2 }
         END { for (n in rss) print rss[n], n }' "/proc/$pid/smaps" |
        sort -rn | head -n 8 | while read -r kb name; do
            json kind smaps name "$name" rss_kb "$kb"
        done
}

# Sample the loader with perf at a rate it keeps up with.
profile_loader() {
    local pid replay
    ((perf_ok)) || return
    : >"$work/live.json"
    testbed_start_tlsfp "$tlsfp" "$work/live.json" "$work/live.err" -j -d in ||
        return
    pid=$TB_TLSFP_PID
    testbed_in_client tcpreplay -i "$TB_DEV_CLIENT" --pps=10000 \
        --limit=40000 "$work/live.pcap" >/dev/null 2>&1 &
    replay=$!
    perf record -q -o "$work/perf-loader.data" -e cpu-clock -F 1000 \
        --call-graph dwarf,16384 -p "$pid" -- sleep 3 >/dev/null 2>&1
    wait "$replay"
    testbed_stop "$pid" INT 10 || true
    perf report -i "$work/perf-loader.data" --children --sort dso,symbol \
        --stdio -g none --percent-limit 3 >"$work/perf-loader.txt" 2>/dev/null
    json kind loader_profile events "$(grep -c . "$work/live.json")"
}

# Part 3 and 4: live steps, then the loader's profile.  The numeric steps
# stop after two lossy ones, or once tcpreplay falls short of the rate:
# the top-speed step then stands for the faster ones.
run_live() {
    local rate last lossy=0 stop=0
    log "live: generating $live_hellos ClientHellos"
    /usr/bin/python3 bench/gen_traffic.py live "$work/live.pcap" \
        "$live_hellos" >/dev/null || die "gen_traffic.py live failed"
    bpf_stats_old=$(sysctl -n kernel.bpf_stats_enabled)
    sysctl -q -w kernel.bpf_stats_enabled=1
    testbed_up || die "test bed setup failed"
    json kind live_config seconds "$live_seconds" min_hellos \
        "$live_min_hellos" max_hellos "$live_hellos"
    for rate in "${live_rates[@]}"; do
        if ((stop)) && [[ $rate != topspeed ]]; then
            continue
        fi
        log "live: $rate hellos/s"
        live_step "$rate"
        last=$(grep '"kind":"live"' "$results" | tail -n 1)
        if [[ $(jq '.printed < .sent' <<<"$last") == true ]]; then
            lossy=$((lossy + 1))
        fi
        if ((lossy >= 2)) || [[ $rate != topspeed &&
            $(jq ".achieved_pps < 0.9 * $rate" <<<"$last") == true ]]; then
            stop=1
        fi
    done
    log "live: perf profile of the loader"
    profile_loader
    testbed_down
    sysctl -q -w kernel.bpf_stats_enabled="$bpf_stats_old"
    bpf_stats_old=""
}

main() {
    local start=$SECONDS
    check_environment
    trap cleanup EXIT
    work=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-bench.XXXXXX")
    results=$work/results.jsonl
    mkdir -p "$work/classes"
    record_machine
    run_test_runs
    run_profiles
    run_offline
    run_live
    echo "loadavg_end=$(cut -d' ' -f1-3 /proc/loadavg)" >>"$work/machine.txt"
    echo "runtime_s=$((SECONDS - start))" >>"$work/machine.txt"
    if ! /usr/bin/python3 bench/report.py "$work" BENCHMARKS.md; then
        keep=1
        die "report.py failed"
    fi
    cat BENCHMARKS.md
}

main "$@"
