#!/bin/sh
# Kernel tests of tlsfp, run inside a qemu guest by tests/kernels/run.sh
# and on the running kernel as they are.  POSIX sh, so that busybox runs it.
#
# Usage: guest.sh DIR pass|refuse
#
# DIR contains tlsfp, the test programs test_fixtures and test_md5_kernel,
# fixtures/ (fixtures.tsv and pcap/), captures/*.pcap and cases.tsv (the
# expected JA3 of each capture).  With "refuse", the kernel is below
# tlsfp's floor: tlsfp must exit non-zero and name the missing feature.
# With "pass", it runs:
#   - the BPF_PROG_TEST_RUN fixtures and the in-kernel MD5 test;
#   - tlsfp -r on a capture of a ClientHello split over two segments;
#   - for each XDP mode (native, generic), tlsfp attached to both
#     directions of a veth in a network namespace.  Captured ClientHellos
#     are sent into it and out of it, and one of them is blocked.  The
#     egress program must use tcx on Linux 6.6 and newer, and the clsact
#     qdisc before;
#   - a loader killed with SIGKILL, after which blocked traffic passes.
# Every line is "ok - NAME", "not ok - NAME: detail", "skip - NAME: reason"
# or a "#" note.  Addresses are from 198.18.0.0/15 only.

[ -n "${GUEST_TRACE:-}" ] && set -x
dir=$1
expect=$2
tlsfp=$dir/tlsfp
work=$(mktemp -d /tmp/tlsfp-kernel.XXXXXX)
ns_client=tkc-$$
ns_server=tks-$$
dev_client=tkc0
dev_server=tks0
tlsfp_pid=

# Attaching loads a program of about 600k verified instructions: under
# software emulation, 6.12's verifier took about 15 s on a 2-core machine.
# The limit leaves room for slower machines.
attach_wait_seconds=${ATTACH_WAIT_SECONDS:-600}

# busybox sh runs its own applets before any program on PATH: the guest's
# init sets IPROUTE_DIR so that ip and tc are iproute2's.
# start_tlsfp runs ip_program itself: $! of a shell function run in the
# background is the PID of a subshell, not of tlsfp.
ip_program=ip
if [ -n "${IPROUTE_DIR:-}" ]; then
    ip_program=$IPROUTE_DIR/ip
    ip() {
        "$IPROUTE_DIR/ip" "$@"
    }
    tc() {
        "$IPROUTE_DIR/tc" "$@"
    }
fi

ok() {
    echo "ok - $1"
}

not_ok() {
    echo "not ok - $1: $2"
}

# Print the last lines of a log as notes, so that a failure in a guest
# shows its cause in the host's report.
show_log() {
    tail -n "${2:-40}" "$1" | sed 's/^/#   /'
}

# check NAME DETAIL COMMAND...: ok when COMMAND succeeds.
check() {
    name=$1
    detail=$2
    shift 2
    if "$@"; then
        ok "$name"
        return 0
    fi
    not_ok "$name" "$detail"
    return 1
}

now() {
    cut -d ' ' -f 1 /proc/uptime
}

elapsed() {
    awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1f", b - a }'
}

cleanup() {
    if [ -n "$tlsfp_pid" ]; then
        kill -KILL "$tlsfp_pid" 2>/dev/null
        wait "$tlsfp_pid" 2>/dev/null
    fi
    ip netns del "$ns_client" 2>/dev/null
    ip netns del "$ns_server" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT

# Linux version as one number, 6.6 -> 606.
kernel_number() {
    uname -r | awk -F '[.-]' '{ print $1 * 100 + $2 }'
}

expected_ja3() {
    awk -F '\t' -v name="$1" '$1 == name { print $6 }' "$dir/cases.tsv"
}

run_refuse() {
    start=$(now)
    "$tlsfp" -r "$dir/captures/curl13-whole.pcap" >"$work/out" 2>"$work/err"
    status=$?
    echo "# tlsfp: $(head -n 1 "$work/err")"
    check "below floor: tlsfp exits non-zero" "exit status $status" \
        test "$status" -ne 0
    check "below floor: message names the missing feature" \
        "$(head -n 1 "$work/err")" \
        grep -Eq '(lacks the BPF helper|has no) .*\(Linux [0-9.]+\).*needs Linux 6\.1 or newer' \
        "$work/err"
    check "below floor: no fingerprint printed" "$(head -n 1 "$work/out")" \
        test ! -s "$work/out"
    echo "# time below-floor $(elapsed "$start") s"
}

run_prog_tests() {
    start=$(now)
    "$dir/test_fixtures" "$dir/fixtures/fixtures.tsv" "$dir/fixtures/pcap" \
        >"$work/fixtures" 2>&1
    status=$?
    sed -n 's/^\(ok\|not ok\|skip\) - /&fixtures: /p' "$work/fixtures"
    check "fixtures: exit status" "$status" test "$status" -eq 0
    [ "$status" -eq 0 ] || show_log "$work/fixtures"
    echo "# time fixtures $(elapsed "$start") s"

    start=$(now)
    "$dir/test_md5_kernel" >"$work/md5" 2>&1
    status=$?
    sed -n 's/^\(ok\|not ok\|skip\) - /&md5: /p' "$work/md5"
    check "md5: exit status" "$status" test "$status" -eq 0
    [ "$status" -eq 0 ] || show_log "$work/md5"
    echo "# time md5 $(elapsed "$start") s"

    start=$(now)
    want=$(expected_ja3 big-2seg)
    "$tlsfp" ${GUEST_VERBOSE:+-v} -r "$dir/captures/big-2seg.pcap" >"$work/out" 2>"$work/err"
    status=$?
    check "read: XDP program verified, capture read" "$status" test "$status" -eq 0
    [ "$status" -eq 0 ] || show_log "$work/err" "${GUEST_LOG_LINES:-40}"
    check "read: split ClientHello JA3" "$(cat "$work/out")" \
        grep -q "ja3=$want" "$work/out"
    echo "# time read $(elapsed "$start") s"
}

netns_up() {
    ip netns add "$ns_client" &&
        ip netns add "$ns_server" &&
        ip link add "$dev_client" netns "$ns_client" type veth \
            peer name "$dev_server" netns "$ns_server" &&
        ip -n "$ns_client" addr add 198.18.0.1/24 dev "$dev_client" &&
        ip -n "$ns_server" addr add 198.18.0.2/24 dev "$dev_server" &&
        ip -n "$ns_client" link set "$dev_client" addrgenmode none &&
        ip -n "$ns_server" link set "$dev_server" addrgenmode none &&
        ip -n "$ns_client" link set "$dev_client" up &&
        ip -n "$ns_server" link set "$dev_server" up &&
        ip -n "$ns_client" link set lo up &&
        ip -n "$ns_server" link set lo up
}

# Wait until FILE contains a line matching PATTERN, for at most SECONDS,
# while process PID lives.
wait_for_line() {
    file=$1
    pattern=$2
    seconds=$3
    pid=$4
    tenths=$((seconds * 10))
    while [ "$tenths" -gt 0 ]; do
        grep -q "$pattern" "$file" 2>/dev/null && return 0
        kill -0 "$pid" 2>/dev/null || return 1
        sleep 0.1
        tenths=$((tenths - 1))
    done
    return 1
}

# replay NAMESPACE DEVICE CAPTURE: send the frames of a capture; succeeds
# when the kernel accepted every frame.  The sender prints "sent N refused
# M" into $work/replay: a frame that an egress program drops is refused.
replay() {
    ip netns exec "$1" "$dir/send_pcap" "$2" "$dir/captures/$3.pcap" \
        >"$work/replay" 2>&1 && grep -q ' refused 0$' "$work/replay"
}

# start_tlsfp MODE ARGS...: start tlsfp on the server side, wait until its
# programs are attached.  -v makes tlsfp log each attachment.
start_tlsfp() {
    mode=$1
    shift
    # Empty both files first: the wait must not find the previous run's
    # start message before the new process truncates the file.
    : >"$work/out"
    : >"$work/err"
    "$ip_program" netns exec "$ns_server" "$tlsfp" -v --xdp-mode "$mode" "$@" \
        "$dev_server" >"$work/out" 2>"$work/err" &
    tlsfp_pid=$!
    wait_for_line "$work/err" 'fingerprinting TLS clients' \
        "$attach_wait_seconds" "$tlsfp_pid"
}

# start_checked NAME MODE ARGS...: start_tlsfp, reported as the check
# NAME.  On failure, shows tlsfp's messages and stops it.
start_checked() {
    name=$1
    shift
    if start_tlsfp "$@"; then
        ok "$name"
        return 0
    fi
    not_ok "$name" "no start message"
    show_log "$work/err"
    # sh starts background commands with SIGINT ignored, and tlsfp may not
    # have installed its handler yet: SIGTERM ends it either way.
    stop_tlsfp TERM
    return 1
}

# stop_tlsfp [SIGNAL]: stop tlsfp (default SIGINT) and return its exit
# status.
stop_tlsfp() {
    kill -"${1:-INT}" "$tlsfp_pid"
    wait "$tlsfp_pid"
    status=$?
    tlsfp_pid=
    return "$status"
}

# The egress attachment that this kernel must get.
expected_egress() {
    if [ "$(kernel_number)" -ge 606 ]; then
        echo tcx
    else
        echo clsact
    fi
}

egress_attached() {
    case $1 in
    tcx) grep -q 'egress program attached (tcx link)' "$work/err" ;;
    clsact)
        grep -q 'egress program attached (clsact)' "$work/err" &&
            ip netns exec "$ns_server" tc filter show dev "$dev_server" \
                egress | grep -q 'bpf'
        ;;
    esac
}

egress_filter_gone() {
    ! ip netns exec "$ns_server" tc filter show dev "$dev_server" egress |
        grep -q 'bpf'
}

xdp_attached() {
    case $1 in
    native) ip -n "$ns_server" link show "$dev_server" | grep -q ' xdp ' ;;
    generic) ip -n "$ns_server" link show "$dev_server" | grep -q 'xdpgeneric' ;;
    esac
}

xdp_gone() {
    ! ip -n "$ns_server" link show "$dev_server" | grep -q 'xdp'
}

# has_event DIRECTION JA3 [TEXT]: the text output has a line of that
# direction with that JA3 (and TEXT).
has_event() {
    grep " $1 " "$work/out" | grep "ja3=$2" | grep -q -- "${3:-ja3=}"
}

run_live() {
    mode=$1
    egress=$(expected_egress)
    in_ja3=$(expected_ja3 curl13-whole)
    split_ja3=$(expected_ja3 big-2seg)
    out_ja3=$(expected_ja3 curl12-whole)
    echo "$split_ja3" >"$work/blocklist"

    start=$(now)
    start_checked "$mode: programs verified and attached" "$mode" -d both \
        -b "$work/blocklist" || return
    echo "# time $mode attach $(elapsed "$start") s"
    check "$mode: XDP program attached in $mode mode" \
        "$(ip -n "$ns_server" link show "$dev_server")" xdp_attached "$mode"
    check "$mode: egress program attached with $egress" \
        "$(grep -i egress "$work/err")" egress_attached "$egress"

    check "$mode: replay of a ClientHello in" "$(cat "$work/replay")" \
        replay "$ns_client" "$dev_client" curl13-whole
    check "$mode: replay of a split ClientHello in" \
        "$(cat "$work/replay")" \
        replay "$ns_client" "$dev_client" big-2seg
    check "$mode: replay of a ClientHello out" "$(cat "$work/replay")" \
        replay "$ns_server" "$dev_server" curl12-whole
    sleep 1

    # tlsfp keeps a hello up to 2 s for its ServerHello, which these
    # captures lack, and prints the held ones when it stops.
    check "$mode: exit status after SIGINT" "$(tail -n 3 "$work/err")" \
        stop_tlsfp
    check "$mode: inbound JA3" "$(cat "$work/out")" \
        has_event in "$in_ja3" action=allowed
    check "$mode: inbound split JA3, blocked" "$(cat "$work/out")" \
        has_event in "$split_ja3" action=blocked
    check "$mode: outbound JA3" "$(cat "$work/out")" \
        has_event out "$out_ja3" action=allowed
    check "$mode: XDP program detached" \
        "$(ip -n "$ns_server" link show "$dev_server")" xdp_gone
    check "$mode: egress filter removed" \
        "$(ip netns exec "$ns_server" tc filter show dev "$dev_server" egress)" \
        egress_filter_gone
    echo "# time $mode $(elapsed "$start") s"
}

# A loader killed with SIGKILL must leave nothing that drops traffic: the
# XDP and tcx links go with its file descriptors, and a clsact filter left
# behind stops dropping once the loader's heartbeat is older than 5 s.
# The blocked hello is sent out of the server side, so the egress program
# judges it.  Of the capture's 5 frames, the hello is refused while tlsfp
# runs, and no frame is refused after the kill.
run_kill() {
    start=$(now)
    out_ja3=$(expected_ja3 curl12-whole)
    echo "$out_ja3" >"$work/blocklist"
    start_checked "kill: tlsfp attaches" auto -d out -b "$work/blocklist" || return
    replay "$ns_server" "$dev_server" curl12-whole
    if ! check "kill: blocked hello dropped while tlsfp runs" \
        "$(cat "$work/replay")" grep -q '^sent 4 refused 1$' "$work/replay"; then
        show_log "$work/err"
    fi

    kill -KILL "$tlsfp_pid"
    wait "$tlsfp_pid" 2>/dev/null
    tlsfp_pid=
    if [ "$(expected_egress)" = clsact ]; then
        check "kill: clsact filter left behind" \
            "$(tc -n "$ns_server" filter show dev "$dev_server" egress)" \
            egress_attached clsact
    fi
    sleep "${HEARTBEAT_WAIT_SECONDS:-6}"
    check "kill: blocked hello passes after SIGKILL" "$(cat "$work/replay")" \
        replay "$ns_server" "$dev_server" curl12-whole
    if [ "$(expected_egress)" = clsact ]; then
        # The next start removes the filter left behind.
        if start_tlsfp auto -d out; then
            check "kill: next start removes the old filter" \
                "$(grep -i egress "$work/err")" \
                grep -q 'removing a tlsfp egress filter left by an earlier run' \
                "$work/err"
            check "kill: next run exits after SIGINT" \
                "$(tail -n 3 "$work/err")" stop_tlsfp
            check "kill: no filter after the next run" \
                "$(tc -n "$ns_server" filter show dev "$dev_server" egress)" \
                egress_filter_gone
        else
            not_ok "kill: next start attaches" "no start message"
            show_log "$work/err"
            stop_tlsfp
        fi
    fi
    echo "# time kill $(elapsed "$start") s"
}

no_permission_error() {
    ! grep -qi 'not permitted' "$work/err"
}

# -Z 65534: after the switch tlsfp keeps only CAP_NET_ADMIN.  The
# blocklist reload (map updates) and the counters at exit go through bpf()
# without CAP_BPF, and before 6.6 the clsact filter's removal needs
# CAP_NET_ADMIN; all must work as that uid.  The initramfs has no passwd
# entries: tlsfp takes the numeric uid as it is.
run_user() {
    start=$(now)
    egress=$(expected_egress)
    in_ja3=$(expected_ja3 curl13-whole)
    split_ja3=$(expected_ja3 big-2seg)
    echo "00000000000000000000000000000001" >"$work/blocklist"
    chmod 755 "$work"
    chmod 644 "$work/blocklist"
    start_checked "user: tlsfp attaches" auto -d both -b "$work/blocklist" \
        -Z 65534 || return
    echo "# kernel.unprivileged_bpf_disabled $(cat /proc/sys/kernel/unprivileged_bpf_disabled)"
    check "user: runs as uid 65534" "$(grep Uid "/proc/$tlsfp_pid/status")" \
        grep -q "^Uid:.65534.65534.65534.65534" "/proc/$tlsfp_pid/status"
    check "user: replay of a ClientHello in" "$(cat "$work/replay")" \
        replay "$ns_client" "$dev_client" curl13-whole
    echo "$split_ja3" >>"$work/blocklist"
    kill -HUP "$tlsfp_pid"
    check "user: reload as uid 65534" "$(tail -n 3 "$work/err")" \
        wait_for_line "$work/err" 'reload: 2 JA3 and 0 JA4 entries now active' \
        5 "$tlsfp_pid"
    check "user: replay of a split ClientHello in" "$(cat "$work/replay")" \
        replay "$ns_client" "$dev_client" big-2seg
    sleep 1
    check "user: exit status after SIGINT" "$(tail -n 3 "$work/err")" \
        stop_tlsfp
    check "user: JA3 before the reload allowed" "$(cat "$work/out")" \
        has_event in "$in_ja3" action=allowed
    check "user: JA3 of the reloaded list blocked" "$(cat "$work/out")" \
        has_event in "$split_ja3" action=blocked
    check "user: no permission error" "$(grep -i 'not permitted' "$work/err")" \
        no_permission_error
    check "user: XDP program detached" \
        "$(ip -n "$ns_server" link show "$dev_server")" xdp_gone
    check "user: $egress egress removed" \
        "$(ip netns exec "$ns_server" tc filter show dev "$dev_server" egress)" \
        egress_filter_gone
    echo "# time user $(elapsed "$start") s"
}

if [ ! -x "$tlsfp" ]; then
    not_ok "tlsfp found" "$tlsfp is missing or not executable"
    exit 1
fi
echo "# kernel $(uname -r)"

if [ "$expect" = refuse ]; then
    run_refuse
    exit 0
fi

run_prog_tests
if ! netns_up; then
    not_ok "network namespaces set up" "ip netns or veth failed"
    exit 1
fi
for mode in native generic; do
    run_live "$mode"
done
run_user
run_kill
