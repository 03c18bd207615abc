#!/bin/bash
# Check the datapath's JA3 MD5 on every capture under tests/.  With a
# blocklist loaded, the datapath builds each ClientHello's JA3 string and
# its MD5 to look the hash up in the block map, and tlsfp compares that MD5
# with OpenSSL's.  `tlsfp -r FILE -s` is run on each capture with a
# blocklist of one entry that matches no client, and its counters must show
# md5_mismatch 0 and err_ja3_build 0.  Needs root, as -r does.
#
# Usage: tests/block/test_kernel_md5.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

# A JA3 hash that no capture under tests/ gives.
DUMMY_JA3=00000000000000000000000000000000
WORK_DIR=""

on_exit() {
    if [[ -n $WORK_DIR ]]; then
        rm -rf -- "$WORK_DIR"
    fi
}

# Print the value of counter NAME from tlsfp's -s output in FILE.
counter() {
    awk -v name="$1" '$1 == name { print $2; exit }' "$2"
}

# check_capture FILE: run tlsfp -r on FILE and check its counters.  Adds
# the number of ClientHellos parsed to TOTAL_HELLOS.
check_capture() {
    local file=$1 name=${1#"$REPO_ROOT"/} out="$WORK_DIR/out" err="$WORK_DIR/err"
    local status=0 hellos mismatch build actions
    "$TLSFP" -r "$file" -s --json -b "$WORK_DIR/dummy.txt" >"$out" 2>"$err" ||
        status=$?
    if ((status != 0)); then
        # These captures exist to be rejected by tlsfp -r.
        if [[ $name == */unsupported/* ]]; then
            printf 'skip - %s: tlsfp -r rejects it: %s\n' "$name" "$(head -n 1 "$err")"
            return
        fi
        report_not_ok "$name tlsfp exit status" "$status: $(head -n 1 "$err")"
        return
    fi

    hellos=$(counter hellos "$err")
    mismatch=$(counter md5_mismatch "$err")
    build=$(counter err_ja3_build "$err")
    report_equal "$name md5_mismatch" 0 "$mismatch"
    report_equal "$name err_ja3_build" 0 "$build"
    if grep -q 'differs from OpenSSL' "$err"; then
        report_not_ok "$name no MD5 difference reported" "$(grep -m 1 'differs from OpenSSL' "$err")"
    fi
    # The dummy entry matches nothing.  An event of a truncated ClientHello
    # has no action at all, so only the actions present are compared.
    actions=$(jq -r 'select(.action != null and .action != "allowed") | .action' \
        "$out" | sort -u | tr '\n' ' ')
    if [[ -z $actions ]]; then
        report_ok "$name nothing blocked by the dummy entry"
    else
        report_not_ok "$name nothing blocked by the dummy entry" "actions: $actions"
    fi
    if [[ $hellos =~ ^[0-9]+$ ]]; then
        TOTAL_HELLOS=$((TOTAL_HELLOS + hellos))
    fi
}

main() {
    local file
    local -a captures
    report_skip_unless_root
    if ! report_require_programs jq; then
        report_summary || true
        exit 1
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        report_summary || true
        exit 1
    fi
    trap on_exit EXIT
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-md5.XXXXXX")
    printf '%s # matches no client\n' "$DUMMY_JA3" >"$WORK_DIR/dummy.txt"

    mapfile -t captures < <(find "$REPO_ROOT/tests" -type f \
        \( -name '*.pcap' -o -name '*.pcapng' \) | sort)
    if ((${#captures[@]} == 0)); then
        report_not_ok "captures found" "no .pcap or .pcapng file under tests/"
    fi
    TOTAL_HELLOS=0
    for file in "${captures[@]}"; do
        check_capture "$file"
    done
    # Guard against a run that checked nothing.
    if ((TOTAL_HELLOS > 0)); then
        report_ok "ClientHellos parsed in ${#captures[@]} captures: $TOTAL_HELLOS"
    else
        report_not_ok "ClientHellos parsed" "0 in ${#captures[@]} captures"
    fi
    report_summary
}

main "$@"
