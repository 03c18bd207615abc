#!/bin/bash
# Tests of `tlsfp -r FILE`: every link type it converts, pcap and pcapng,
# errors on files it cannot read, standard input, -c, --json, the text
# line, -s, signals and a capture cut short.
#
# Usage: tests/replay/test_replay.sh
#   TLSFP=PATH selects the binary (default: .output/tlsfp).
# Needs root (tlsfp -r loads the BPF program), jq, tshark and
# /usr/bin/python3.  Prints "ok - NAME", "not ok - NAME: why" and
# "skip - NAME: why" lines, then "N passed, N failed"; exits 1 on a
# failure.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tlsfp=${TLSFP:-$top/.output/tlsfp}
captures=$here/captures
vectors=$top/tests/vectors

passed=0
failed=0

pass() {
	echo "ok - $1"
	passed=$((passed + 1))
}

fail() {
	echo "not ok - $1: $2"
	failed=$((failed + 1))
}

skip() {
	echo "skip - $1: $2"
}

finish() {
	echo "$passed passed, $failed failed"
	[ "$failed" -eq 0 ] && exit 0
	exit 1
}

if [ "$(id -u)" -ne 0 ]; then
	skip replay "tlsfp -r loads the BPF program and needs root"
	finish
fi
for tool in jq tshark /usr/bin/python3; do
	if ! command -v "$tool" >/dev/null; then
		fail replay "$tool not found (apt-get install ${tool##*/})"
		finish
	fi
done
if [ ! -x "$tlsfp" ]; then
	fail replay "$tlsfp not found (run make, or set TLSFP)"
	finish
fi

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Run tlsfp with ARGS; stdout goes to $tmp/out, stderr to $tmp/err and
# the exit status to $rc.
run() {
	"$tlsfp" "$@" >"$tmp/out" 2>"$tmp/err"
	rc=$?
}

# Print the first row of tests/vectors/expected.tsv for FILE, a path
# relative to tests/vectors.
expected_row() {
	awk -F'\t' -v f="$1" '$1 == f { print; exit }' "$vectors/expected.tsv"
}

# Print "FRAME<TAB>EPOCH" for every frame of a capture, EPOCH as tshark
# gives it (nanosecond digits).
frame_times() {
	tshark -r "$1" -T fields -e frame.number -e frame.time_epoch \
		2>/dev/null
}

# Convert a JSON timestamp (2026-12-04T10:37:10.650424-0500) to epoch
# seconds with 6 decimals.
iso_to_epoch() {
	date -u -d "$1" +%s.%6N
}

# Cut an epoch with 9 decimals to 6, as tlsfp prints microseconds.
epoch_usec() {
	local sec=${1%.*} frac=${1#*.}
	echo "$sec.${frac:0:6}"
}

# Start tlsfp -r on a FIFO in the background with ARGS after the capture
# name, write CAPTURE into it and keep the FIFO open on fd 3, as a
# `tcpdump -w - | tlsfp -r -` pipeline that has more to come.  Sets $pid
# and $writer.
start_on_fifo() {
	local capture=$1 fifo=$tmp/fifo
	shift

	rm -f "$fifo"
	mkfifo "$fifo"
	# Without job control, bash starts background commands with SIGINT
	# ignored; -m starts them as a shell would from a terminal.
	set -m
	"$tlsfp" -r "$fifo" "$@" >"$tmp/out" 2>"$tmp/err" &
	pid=$!
	set +m
	# A read-write open does not wait for the reader.  The writer runs in
	# the background because tlsfp may exit before reading everything.
	exec 3<>"$fifo"
	cat "$capture" >&3 &
	writer=$!
}

# Wait up to N tenths of a second for tlsfp to print a line.
wait_output() {
	local i

	for i in $(seq "$1"); do
		[ -s "$tmp/out" ] && return 0
		sleep 0.1
	done
	return 1
}

# Wait up to N tenths of a second for $pid to exit.
wait_exit() {
	local i

	for i in $(seq "$1"); do
		kill -0 "$pid" 2>/dev/null || return 0
		sleep 0.1
	done
	return 1
}

# Close the FIFO: tlsfp reads the end of input and exits.  A writer
# still blocked on a full FIFO holds it open, so it is ended first.
stop_fifo() {
	kill "$writer" 2>/dev/null
	wait "$writer" 2>/dev/null
	exec 3>&-
	wait "$pid" 2>/dev/null
}

# ---------------------------------------------------------------------
# Link types: each capture contains one ClientHello, the one of
# local/curl-tls13-h2.pcap or local/curl-tls13-h2-ipv6.pcap.

test_generated_captures() {
	local name="captures match gen_captures.py"
	local output

	output=$(/usr/bin/python3 "$here/gen_captures.py" --check 2>&1)
	if [ $? -ne 0 ]; then
		fail "$name" "$(echo "$output" | head -3 | tr '\n' ' ')"
		return
	fi
	pass "$name"
}

check_link_type() {
	local capture=$1 source=$2
	local name want got lines
	local frame src sport dst dport string md5

	name="link type $(basename "$capture")"
	IFS=$'\t' read -r _ frame src sport dst dport string md5 _ \
		<<<"$(expected_row "$source")"
	run -r "$capture" --json
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	lines=$(wc -l <"$tmp/out")
	if [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stdout, expected 1"
		return
	fi
	got=$(jq -r '[.pcap_cnt, .src_ip, .src_port, .dest_ip, .dest_port,
		      .tls.ja3.hash, .tls.ja3.string] | @tsv' "$tmp/out")
	want=$(printf '%s\t' "$frame" "$src" "$sport" "$dst" "$dport" \
		"$md5" "$string")
	if [ "$got" != "${want%$'\t'}" ]; then
		fail "$name" "got '$got', expected '${want%$'\t'}' (frame, flow, JA3 from expected.tsv $source)"
		return
	fi
	pass "$name"
}

test_link_types() {
	local capture source

	check_link_type "$vectors/local/curl-tls13-h2.pcap" \
		local/curl-tls13-h2.pcap
	check_link_type "$vectors/local/curl-tls13-h2-ipv6.pcap" \
		local/curl-tls13-h2-ipv6.pcap
	for capture in "$captures"/*.pcap "$captures"/*.pcapng; do
		case $(basename "$capture") in
		curl-tls13-h2-ipv6*)
			source=local/curl-tls13-h2-ipv6.pcap ;;
		curl-tls13-h2*)
			source=local/curl-tls13-h2.pcap ;;
		*)
			continue ;;
		esac
		check_link_type "$capture" "$source"
	done
}

# ---------------------------------------------------------------------
# Files tlsfp -r must reject: exit status 1, nothing on stdout, and an
# error on stderr naming the file and, where given, the cause.

check_rejected() {
	local name=$1 path=$2 cause=$3

	run -r "$path"
	if [ "$rc" -ne 1 ]; then
		fail "$name" "exit status $rc, expected 1"
		return
	fi
	if [ -s "$tmp/out" ]; then
		fail "$name" "printed on stdout: $(head -1 "$tmp/out")"
		return
	fi
	if ! grep -qF -- "$path" "$tmp/err"; then
		fail "$name" "error does not name $path: $(head -1 "$tmp/err")"
		return
	fi
	if [ -n "$cause" ] && ! grep -qF -- "$cause" "$tmp/err"; then
		fail "$name" "error does not say '$cause': $(head -1 "$tmp/err")"
		return
	fi
	pass "$name"
}

test_rejected_files() {
	local unsupported=$captures/unsupported

	check_rejected "unsupported link type PPP" \
		"$unsupported/curl-tls13-h2-ppp.pcap" "PPP (9)"
	check_rejected "unsupported link type 802.11" \
		"$unsupported/curl-tls13-h2-ieee80211.pcap" "IEEE802_11 (105)"
	# libpcap reads a pcapng section only if all its interfaces have
	# the same link type, but tshark reads this file.
	check_rejected "pcapng with two link types" \
		"$unsupported/curl-tls13-h2-mixed-link.pcapng" ""
	check_rejected "missing file" "$tmp/no-such-file.pcap" \
		"No such file or directory"
	head -c 4096 /dev/urandom | base64 >"$tmp/random.txt"
	check_rejected "text file" "$tmp/random.txt" ""
	: >"$tmp/empty.pcap"
	check_rejected "empty file" "$tmp/empty.pcap" ""
	head -c 10 "$vectors/local/curl-tls13-h2.pcap" >"$tmp/header-cut.pcap"
	check_rejected "file header cut" "$tmp/header-cut.pcap" ""
	check_rejected "directory" "$tmp" ""
}

test_header_only() {
	local name="pcap with no frames"

	head -c 24 "$vectors/local/curl-tls13-h2.pcap" >"$tmp/no-frames.pcap"
	run -r "$tmp/no-frames.pcap"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	if [ -s "$tmp/out" ]; then
		fail "$name" "printed on stdout: $(head -1 "$tmp/out")"
		return
	fi
	pass "$name"
}

# ---------------------------------------------------------------------
# Standard input: the same output as the file, redirected or piped.

check_stdin() {
	local capture=$1
	local name

	name="stdin $(basename "$capture")"
	run -r "$capture" --json
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/out" ]; then
		fail "$name" "reading the file: exit status $rc, $(wc -l <"$tmp/out") lines"
		return
	fi
	mv "$tmp/out" "$tmp/from-file"
	run -r - --json <"$capture"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "-r - < FILE: exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	if ! cmp -s "$tmp/from-file" "$tmp/out"; then
		fail "$name" "-r - < FILE differs from -r FILE"
		return
	fi
	cat "$capture" | "$tlsfp" -r - --json >"$tmp/out" 2>"$tmp/err"
	rc=${PIPESTATUS[1]}
	if [ "$rc" -ne 0 ]; then
		fail "$name" "cat FILE | -r -: exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	if ! cmp -s "$tmp/from-file" "$tmp/out"; then
		fail "$name" "cat FILE | -r - differs from -r FILE"
		return
	fi
	pass "$name"
}

test_stdin() {
	check_stdin "$vectors/real/latest.pcapng"
	check_stdin "$vectors/real/socks-https-example.pcap"
	check_stdin "$captures/curl-tls13-h2-ipv6-sll2.pcap"
}

# ---------------------------------------------------------------------
# -c N: stop after N fingerprints.  real/latest.pcapng has 5 ClientHellos,
# the first in frame 10.

test_count() {
	local capture=$vectors/real/latest.pcapng
	local name="-c 1 prints one line"
	local lines frame

	run -c 1 -r "$capture" --json
	lines=$(wc -l <"$tmp/out")
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
	elif [ "$lines" -ne 1 ]; then
		fail "$name" "$lines lines on stdout, expected 1"
	elif frame=$(jq -r .pcap_cnt "$tmp/out") && [ "$frame" != 10 ]; then
		fail "$name" "reported frame $frame, expected the first hello, frame 10"
	else
		pass "$name"
	fi

	name="-c 5 on 5 hellos prints 5 lines"
	run -c 5 -r "$capture"
	lines=$(wc -l <"$tmp/out")
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
	elif [ "$lines" -ne 5 ]; then
		fail "$name" "$lines lines on stdout, expected 5"
	else
		pass "$name"
	fi

	# The input stays open: tlsfp must exit after the first hello, not
	# wait for the end of the input.
	name="-c 1 exits before end of input"
	start_on_fifo "$capture" -c 1
	if ! wait_exit 50; then
		fail "$name" "still reading 5 s after the first hello"
	elif [ "$(wc -l <"$tmp/out")" -ne 1 ]; then
		fail "$name" "$(wc -l <"$tmp/out") lines on stdout, expected 1"
	else
		pass "$name"
	fi
	stop_fifo
}

# ---------------------------------------------------------------------
# --json: one valid JSON object per line with Suricata EVE "tls" keys, and
# the timestamp of the capture's frame.

# Conditions every JSON line must meet, one jq filter each.
json_checks=(
	'.timestamp | type == "string"'
	'.event_type == "tls"'
	'.src_ip | type == "string"'
	'.src_port | type == "number"'
	'.dest_ip | type == "string"'
	'.dest_port | type == "number"'
	'.proto == "TCP"'
	'.pcap_cnt | type == "number"'
	'.tls.ja3.hash | test("^[0-9a-f]{32}$")'
	'.tls.ja3.string | test("^[0-9]+,[0-9-]*,[0-9-]*,[0-9-]*,[0-9-]*$")'
	'has("in_iface") | not'
)

check_json_line() {
	local line=$1 check md5

	if ! jq -e . >/dev/null 2>&1 <<<"$line"; then
		echo "not valid JSON: $line"
		return 1
	fi
	for check in "${json_checks[@]}"; do
		if ! jq -e "$check" >/dev/null <<<"$line"; then
			echo "fails '$check': $line"
			return 1
		fi
	done
	md5=$(jq -j .tls.ja3.string <<<"$line" | md5sum | cut -d' ' -f1)
	if [ "$md5" != "$(jq -r .tls.ja3.hash <<<"$line")" ]; then
		echo "ja3.hash is not the MD5 of ja3.string ($md5): $line"
		return 1
	fi
}

check_json() {
	local capture=$1
	local name line why n

	name="json keys $(basename "$capture")"
	run -r "$capture" --json
	n=$(wc -l <"$tmp/out")
	if [ "$rc" -ne 0 ] || [ "$n" -eq 0 ]; then
		fail "$name" "exit status $rc, $n lines: $(head -1 "$tmp/err")"
		return
	fi
	while IFS= read -r line; do
		if ! why=$(check_json_line "$line"); then
			fail "$name" "$why"
			return
		fi
	done <"$tmp/out"
	pass "$name"
}

# The timestamp must be the frame's time (tshark frame.time_epoch) cut to
# microseconds, in the local time zone with its offset.
check_timestamps() {
	local capture=$1 zone=$2
	local name frame ts got want

	name="json timestamp $(basename "$capture") TZ=$zone"
	frame_times "$capture" >"$tmp/times"
	TZ=$zone "$tlsfp" -r "$capture" --json >"$tmp/out" 2>"$tmp/err"
	rc=$?
	if [ "$rc" -ne 0 ] || [ ! -s "$tmp/out" ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	while IFS=$'\t' read -r frame ts; do
		got=$(iso_to_epoch "$ts")
		want=$(awk -F'\t' -v n="$frame" '$1 == n { print $2 }' \
			"$tmp/times")
		want=$(epoch_usec "$want")
		if [ "$got" != "$want" ]; then
			fail "$name" "frame $frame: timestamp $ts is $got, tshark frame.time_epoch gives $want"
			return
		fi
	done < <(jq -r '[.pcap_cnt, .timestamp] | @tsv' "$tmp/out")
	pass "$name"
}

test_json() {
	local capture zone

	for capture in "$vectors/real/latest.pcapng" \
		       "$vectors/real/socks-https-example.pcap" \
		       "$captures/curl-tls13-h2-ipv6-sll.pcap"; do
		check_json "$capture"
	done
	for capture in "$vectors/real/latest.pcapng" \
		       "$captures/curl-tls13-h2-nsec.pcap" \
		       "$captures/curl-tls13-h2-nsec.pcapng"; do
		for zone in UTC America/New_York Asia/Kolkata; do
			check_timestamps "$capture" "$zone"
		done
	done
	# Time 0 is a valid capture time, not "no time given".
	check_timestamps "$captures/curl-tls13-h2-time0.pcap" UTC
}

# ---------------------------------------------------------------------
# Text mode: "HH:MM:SS.uuuuuu DIR SRC -> DST sni=NAME ja3=MD5 ...", where
# DIR is "in" or "out", an IPv6 endpoint is [ADDR]:PORT and a hello
# without JA3 gives "ja3=- (why)".  Other key=value fields may come between
# DST and sni= and after the JA3.  A hello too large to parse has no sni=.

time_re='[0-9]{2}:[0-9]{2}:[0-9]{2}\.[0-9]{6}'
v4_re='[0-9]{1,3}(\.[0-9]{1,3}){3}:[0-9]{1,5}'
v6_re='\[[0-9a-f:.]+\]:[0-9]{1,5}'
endpoint_re="($v4_re|$v6_re)"
ja3_re='ja3=([0-9a-f]{32}|- \([^)]+\))'
fields_re='( [a-z0-9_]+=[^ ]+)*'
text_re="^$time_re (in|out) $endpoint_re -> $endpoint_re$fields_re( sni=[^ ]+)? $ja3_re( .*)?$"

check_text() {
	local capture=$1 want_lines=$2 pattern=${3:-$text_re}
	local name bad n

	name="text line $(basename "$capture")"
	run -r "$capture"
	n=$(wc -l <"$tmp/out")
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	if [ "$n" -ne "$want_lines" ]; then
		fail "$name" "$n lines, expected $want_lines"
		return
	fi
	bad=$(grep -Ev -- "$pattern" "$tmp/out" | head -1)
	if [ -n "$bad" ]; then
		fail "$name" "line does not match $pattern: $bad"
		return
	fi
	pass "$name"
}

# The text line and the JSON object of one hello give the same time.
check_text_time() {
	local capture=$1
	local name text json

	name="text time equals json time"
	text=$(TZ=Asia/Kolkata "$tlsfp" -r "$capture" 2>/dev/null |
		cut -d' ' -f1)
	json=$(TZ=Asia/Kolkata "$tlsfp" -r "$capture" --json 2>/dev/null |
		jq -r '.timestamp | capture("T(?<t>[0-9:.]+)").t')
	if [ -z "$text" ] || [ "$text" != "$json" ]; then
		fail "$name" "text '$text', json '$json'"
		return
	fi
	pass "$name"
}

test_text() {
	local fixtures=$top/tests/fixtures/pcap
	local v6_line="^$time_re in $v6_re -> $v6_re sni=test\.example ja3=[0-9a-f]{32}( .*)?$"
	local noja3="^$time_re in $v4_re -> $v4_re sni=[^ ]+ ja3=- \(257 cipher suites[^)]*\)( .*)?$"

	check_text "$vectors/real/latest.pcapng" 5
	check_text "$captures/curl-tls13-h2-ipv6-raw.pcap" 1 "$v6_line"
	check_text "$captures/frame-sizes.pcap" 4
	check_text "$fixtures/ciphers-257.pcap" 1 "$noja3"
	check_text_time "$vectors/real/latest.pcapng"

	local name="-v adds ja3_string"
	local want
	want=$(expected_row local/curl-tls13-h2.pcap | cut -f7)
	run -v -r "$vectors/local/curl-tls13-h2.pcap"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
	elif ! grep -qF " ja3_string=$want" "$tmp/out"; then
		fail "$name" "no ' ja3_string=$want' in: $(head -1 "$tmp/out")"
	else
		pass "$name"
	fi
}

# ---------------------------------------------------------------------
# -s: the datapath counters go to stderr, stdout does not change.

test_stats() {
	local capture=$vectors/local/curl-tls13-h2.pcap
	local name="-s prints counters to stderr"
	local frames packets hellos

	frames=$(frame_times "$capture" | wc -l)
	run -r "$capture"
	mv "$tmp/out" "$tmp/plain"
	if grep -Eq '^ +packets +[0-9]+' "$tmp/err"; then
		fail "$name" "counters printed without -s"
		return
	fi
	run -s -r "$capture"
	if [ "$rc" -ne 0 ]; then
		fail "$name" "exit status $rc: $(head -1 "$tmp/err")"
		return
	fi
	if ! cmp -s "$tmp/plain" "$tmp/out"; then
		fail "$name" "stdout differs with -s"
		return
	fi
	packets=$(awk '$1 == "packets" { print $2 }' "$tmp/err")
	hellos=$(awk '$1 == "hellos" { print $2 }' "$tmp/err")
	if [ "$packets" != "$frames" ]; then
		fail "$name" "packets counter '$packets', the capture has $frames frames"
		return
	fi
	if [ "$hellos" != 1 ]; then
		fail "$name" "hellos counter '$hellos', expected 1"
		return
	fi
	pass "$name"
}

# ---------------------------------------------------------------------
# A capture cut in the middle of a frame: tlsfp prints the hellos before
# the cut, names the file and the frame on stderr and exits 1 (tcpdump
# also exits 1 here, tshark 2).

check_cut() {
	local capture=$1 cut_at=$2
	local name cut frames want got

	name="cut $(basename "$capture") at byte $cut_at"
	cut=$tmp/cut-$(basename "$capture")
	head -c "$cut_at" "$capture" >"$cut"
	frames=$(frame_times "$cut" | wc -l)
	want=$(tshark -r "$cut" -Y 'tls.handshake.type == 1' -T fields \
		-e frame.number 2>/dev/null | paste -sd' ')
	run -r "$cut" --json
	got=$(jq -r .pcap_cnt "$tmp/out" | paste -sd' ')
	if [ -z "$want" ]; then
		fail "$name" "tshark sees no ClientHello before the cut; cut later"
	elif [ "$got" != "$want" ]; then
		fail "$name" "reported frames '$got', tshark sees hellos in '$want'"
	elif [ "$rc" -ne 1 ]; then
		fail "$name" "exit status $rc, expected 1"
	elif ! grep -qF "$cut" "$tmp/err"; then
		fail "$name" "error does not name the file: $(head -1 "$tmp/err")"
	elif ! grep -q "frame $((frames + 1)):.*truncated" "$tmp/err"; then
		fail "$name" "error does not say 'frame $((frames + 1)): ... truncated': $(head -1 "$tmp/err")"
	else
		pass "$name"
	fi
}

test_cut() {
	local pcap=$vectors/real/socks-https-example.pcap
	local pcapng=$vectors/real/latest.pcapng

	check_cut "$pcap" $(($(stat -c %s "$pcap") / 2))
	check_cut "$pcapng" $(($(stat -c %s "$pcapng") * 2 / 3))
}

# ---------------------------------------------------------------------
# SIGINT and SIGTERM end a replay whose input stays open, as in
# `tcpdump -w - | tlsfp -r -`.

check_signal() {
	local sig=$1
	local name="SIG$sig ends -r -"

	start_on_fifo "$vectors/local/curl-tls13-h2.pcap"
	if ! wait_output 50; then
		fail "$name" "no output 5 s after writing the capture"
	else
		kill -"$sig" "$pid"
		if wait_exit 30; then
			pass "$name"
		else
			fail "$name" "still running 3 s after SIG$sig"
		fi
	fi
	stop_fifo
}

test_signals() {
	check_signal INT
	check_signal TERM
}

test_generated_captures
test_link_types
test_rejected_files
test_header_only
test_stdin
test_count
test_json
test_text
test_stats
test_cut
test_signals
finish
