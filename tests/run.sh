#!/bin/bash
# Run every test suite and end with one line "N passed, N failed".
#
# Usage: tests/run.sh [SUITE...]   (unit, prog, vectors, fuzz, kernels,
# replay, reasm, block, e2e, service; default: all)
#
# A suite is a program that prints "ok - NAME", "not ok - NAME" and
# "skip - NAME: reason" lines.  A suite that exits non-zero without a
# "not ok" line counts as one failure, so a crash is never a pass.
set -uo pipefail

top=$(cd "$(dirname "$0")/.." && pwd)
out=${OUTPUT:-$top/.output}
cd "$top"

passed=0
failed=0
skipped=0

run_suite() {
	local name=$1
	shift
	local log rc npass nfail nskip

	log=$(mktemp)
	echo "# suite $name: $*"
	"$@" >"$log" 2>&1
	rc=$?
	# Per-suite totals would read as the final result; keep them as notes.
	sed -E 's/^([0-9]+ passed, [0-9]+ failed.*)$/# \1/' "$log" |
		sed "s#^\(not ok\|ok\|skip\) - #\1 - $name: #"
	npass=$(grep -c '^ok - ' "$log")
	nfail=$(grep -c '^not ok - ' "$log")
	nskip=$(grep -c '^skip - ' "$log")
	if [ "$rc" -ne 0 ] && [ "$nfail" -eq 0 ]; then
		echo "not ok - $name: exited with status $rc"
		nfail=1
	fi
	passed=$((passed + npass))
	failed=$((failed + nfail))
	skipped=$((skipped + nskip))
	rm -f "$log"
}

want() {
	[ ${#suites[@]} -eq 0 ] && return 0
	local s
	for s in "${suites[@]}"; do
		[ "$s" = "$1" ] && return 0
	done
	return 1
}

suites=("$@")

if want unit; then
	for src in tests/unit/test_*.c; do
		t=$(basename "$src" .c)
		run_suite "unit/$t" "$out/tests/$t"
	done
fi
if want prog; then
	run_suite prog/fixtures "$out/tests/test_fixtures" \
		tests/fixtures/fixtures.tsv tests/fixtures/pcap
	for src in tests/prog/test_*.c; do
		t=$(basename "$src" .c)
		[ "$t" = test_fixtures ] && continue
		run_suite "prog/$t" "$out/tests/$t"
	done
fi
if want vectors; then
	run_suite vectors /usr/bin/python3 tests/vectors/test_vectors.py \
		"$out/tlsfp"
fi
if want fuzz; then
	run_suite fuzz bash tests/fuzz/run_short.sh "$out" \
		"${FUZZ_CHECK_SECONDS:-20}"
fi
if want kernels; then
	run_suite kernels env OUTPUT="$out" bash tests/kernels/run.sh
fi
# Shell suites, by folder: captures through tlsfp -r, and live tests in
# network namespaces.
for group in replay reasm block e2e service; do
	want "$group" || continue
	for t in tests/"$group"/test_*.sh; do
		[ -e "$t" ] || continue
		run_suite "$group/$(basename "$t" .sh)" \
			env TLSFP="$out/tlsfp" bash "$t"
	done
done

if [ "$skipped" -gt 0 ]; then
	echo "$passed passed, $failed failed, $skipped skipped"
else
	echo "$passed passed, $failed failed"
fi
[ "$failed" -eq 0 ]
