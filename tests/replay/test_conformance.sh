#!/bin/bash
# Compare every ClientHello fingerprint of `tlsfp -r --json` on the test
# captures with tshark's and with tests/vectors/expected.tsv.  Differences
# must be listed in known_differences.tsv; see conformance.py.
#
# Usage: tests/replay/test_conformance.sh
#   TLSFP=PATH selects the binary (default: .output/tlsfp).
# Needs root (tlsfp -r loads the BPF program), tshark and /usr/bin/python3.
set -uo pipefail

here=$(cd "$(dirname "$0")" && pwd)
top=$(cd "$here/../.." && pwd)
tlsfp=${TLSFP:-$top/.output/tlsfp}

if [ "$(id -u)" -ne 0 ]; then
	echo "skip - conformance: tlsfp -r loads the BPF program and needs root"
	echo "0 passed, 0 failed"
	exit 0
fi
if ! command -v tshark >/dev/null; then
	echo "not ok - conformance: tshark not found (apt-get install tshark)"
	echo "0 passed, 1 failed"
	exit 1
fi
if [ ! -x "$tlsfp" ]; then
	echo "not ok - conformance: $tlsfp not found (run make, or set TLSFP)"
	echo "0 passed, 1 failed"
	exit 1
fi
exec /usr/bin/python3 "$here/conformance.py" "$tlsfp"
