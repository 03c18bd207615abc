#!/bin/bash
# Measure `tlsfp -r` against tshark on one large capture and print
# frames per second for each, their ratio and tlsfp's max RSS.
#
# Usage: tests/replay/bench_offline.sh [HELLOS]
#   HELLOS       ClientHellos in the capture (default 100000); the capture
#                has 3 frames per hello (see gen_bench_capture.py)
#   TLSFP=PATH   the binary (default: .output/tlsfp)
#   BENCH_DIR    where the capture goes (default: /tmp/tlsfp-bench); it is
#                kept for later runs and rebuilt when HELLOS changes
# Needs root, tshark, /usr/bin/time and /usr/bin/python3.  Not part of the
# test suites: it prints numbers and checks only the hello counts.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tlsfp=${TLSFP:-$top/.output/tlsfp}
hellos=${1:-100000}
dir=${BENCH_DIR:-/tmp/tlsfp-bench}
capture=$dir/bench-$hellos.pcap

mkdir -p "$dir"
if [ ! -s "$capture" ]; then
	/usr/bin/python3 "$here/gen_bench_capture.py" "$capture" "$hellos"
fi
frames=$(capinfos -c -M -T -r "$capture" | cut -f2)
echo "capture: $capture, $frames frames, $(du -h "$capture" | cut -f1)"

# Print wall-clock seconds, CPU seconds (user + system) and max RSS in KiB
# from a `/usr/bin/time -v` report.
time_fields() {
	awk -F': ' '
		/Elapsed \(wall clock\)/ {
			n = split($2, t, ":")
			s = t[n] + 60 * t[n - 1] + (n > 2 ? 3600 * t[n - 2] : 0)
		}
		/User time \(seconds\)|System time \(seconds\)/ { cpu += $2 }
		/Maximum resident set size/ { rss = $2 }
		END { print s, cpu, rss }' "$1"
}

# Warm the page cache so that neither run pays for reading the disk.
cat "$capture" >/dev/null
load=$(cut -d' ' -f1-3 /proc/loadavg)

/usr/bin/time -v "$tlsfp" -r "$capture" --json >/dev/null \
	2>"$dir/tlsfp.stderr"
read -r tlsfp_s tlsfp_cpu tlsfp_rss < <(time_fields "$dir/tlsfp.stderr")
reported=$(sed -n 's/^tlsfp: \([0-9]*\) ClientHellos\? reported.*/\1/p' \
	"$dir/tlsfp.stderr")

/usr/bin/time -v tshark -r "$capture" -T fields -e tls.handshake.ja3 \
	>/dev/null 2>"$dir/tshark.stderr"
read -r tshark_s tshark_cpu tshark_rss < <(time_fields "$dir/tshark.stderr")

if [ "$reported" != "$hellos" ]; then
	echo "warning: tlsfp reported $reported ClientHellos, expected $hellos" >&2
fi

# Other processes on the machine slow the wall clock of both tools; the CPU
# time changes less.
awk -v f="$frames" -v a="$tlsfp_s" -v b="$tshark_s" -v ca="$tlsfp_cpu" \
    -v cb="$tshark_cpu" -v ra="$tlsfp_rss" -v rb="$tshark_rss" 'BEGIN {
	printf "%-8s %8s %8s %12s %12s\n", "tool", "wall s", "cpu s",
		"frames/s", "max RSS MiB"
	printf "%-8s %8.2f %8.2f %12.0f %12.1f\n", "tlsfp", a, ca, f / a,
		ra / 1024
	printf "%-8s %8.2f %8.2f %12.0f %12.1f\n", "tshark", b, cb, f / b,
		rb / 1024
	printf "tlsfp: %.1fx the frame rate of tshark (wall clock), %.1fx by CPU time\n",
		b / a, cb / ca
}'
echo "load average before the runs: $load"
