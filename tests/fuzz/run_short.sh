#!/bin/bash
# A short fuzz run for make check: the parsers must survive SECONDS of
# libFuzzer under ASan and UBSan, starting from the seed corpus.
# Usage: run_short.sh OUTPUT_DIR SECONDS
set -uo pipefail
out=$1
secs=$2
bin=$out/fuzz/fuzz_parse
corpus=$out/fuzz/corpus
log=$(mktemp)
trap 'rm -f "$log"' EXIT

if [ ! -x "$bin" ]; then
	echo "not ok - fuzz_parse: $bin not built (make fuzz-build)"
	echo "0 passed, 1 failed"
	exit 1
fi
# A private copy: the short run must not grow the shared corpus.
work=$(mktemp -d)
trap 'rm -f "$log"; rm -rf "$work"' EXIT
cp -r "$corpus/." "$work/"
if "$bin" -max_total_time="$secs" -max_len=8192 -print_final_stats=1 \
	"$work" >"$log" 2>&1; then
	runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log")
	echo "ok - fuzz_parse: ${runs:-?} inputs in ${secs} s, no crash"
	echo "1 passed, 0 failed"
else
	echo "not ok - fuzz_parse: crash, see below"
	grep -E 'ERROR|SUMMARY|runtime error|Test unit written' "$log" |
		sed 's/^/# /' | head -20
	echo "0 passed, 1 failed"
	exit 1
fi
