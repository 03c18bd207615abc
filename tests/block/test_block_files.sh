#!/bin/bash
# Blocklist files through the command line: `tlsfp -r CAPTURE -b FILE`.
# Each blocklist format (plain list, abuse.ch SSLBL JA3 CSV, Suricata rules)
# must block the flows it lists and no other, invalid files must fail with
# exit status 1 and the exact message, and --skip-invalid, --block-max and
# --dry-run must act as documented.  A generated capture of Chromium-like
# hellos, whose extension order changes per connection, checks that one JA4
# entry blocks every connection while each JA3 differs.
#
# The fingerprints in the lists come from tests/vectors/expected.tsv, from
# tshark and from tests/vectors/ref/ja4.py, never from tlsfp.  Needs root,
# as -r does, plus jq, mergecap and tshark.
#
# Usage: tests/block/test_block_files.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
VECTORS=$REPO_ROOT/tests/vectors
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

WORK_DIR=""
# Output, messages and exit status of the last run_tlsfp.  HELLOS contains
# the lines of OUT that report a ClientHello.  OUT may also contain lines
# that report only a ServerHello (JA3S): a capture still holds the server's
# reply to a hello that tlsfp blocks, and tlsfp prints that reply on a line
# of its own.
OUT=""
HELLOS=""
ERR=""
STATUS=0

# The four flows of the merged capture, each from one of these captures.
# Their client ports are the keys of the checks.
OPENSSL=openssl-tls13
CURL=curl-tls13-h2
GNUTLS=gnutls-cli-tls13
PYTHON=python-ssl
declare -A PORT JA3 JA4

on_exit() {
    if [[ -n $WORK_DIR ]]; then
        rm -rf -- "$WORK_DIR"
    fi
}

# Print COLUMN (sport, ja3_md5 or ja4) of the row of local/NAME.pcap in
# tests/vectors/expected.tsv.
expected() {
    local name=$1 column=$2
    awk -F'\t' -v file="local/$name.pcap" -v column="$column" '
        NR == 1 { for (i = 1; i <= NF; i++) index_of[$i] = i; next }
        $1 == file { print $index_of[column]; exit }
    ' "$VECTORS/expected.tsv"
}

# Merge the four captures into one, so that a run shows which flows a list
# blocks and which it leaves alone.
make_merged_capture() {
    local name
    local -a files=()
    for name in "$OPENSSL" "$CURL" "$GNUTLS" "$PYTHON"; do
        files+=("$VECTORS/local/$name.pcap")
        PORT[$name]=$(expected "$name" sport)
        JA3[$name]=$(expected "$name" ja3_md5)
        JA4[$name]=$(expected "$name" ja4)
    done
    mergecap -F pcap -w "$WORK_DIR/merged.pcap" "${files[@]}"
}

# run_tlsfp CAPTURE ARG...: run tlsfp -r CAPTURE --json ARG...  It runs in
# WORK_DIR, so messages name the lists by their short relative paths.
run_tlsfp() {
    local capture=$1
    shift
    OUT="$WORK_DIR/out.json"
    HELLOS="$WORK_DIR/hellos.json"
    ERR="$WORK_DIR/err.txt"
    STATUS=0
    "$TLSFP" -r "$capture" --json "$@" >"$OUT" 2>"$ERR" || STATUS=$?
    jq -c 'select(.tls | has("ja3") or has("ja3_error") or has("truncated"))' \
        "$OUT" >"$HELLOS" 2>/dev/null || true
}

# Print FILTER applied to the event of the flow of capture NAME.
event_field() {
    local name=$1 filter=$2
    jq -r --argjson port "${PORT[$name]}" \
        "select(.src_port == \$port) | $filter" "$HELLOS"
}

# check_flow TEST NAME ACTION [KIND SOURCE REASON]: check the action of the
# flow of capture NAME and, given KIND, the blocklist entry that matched.
check_flow() {
    local test=$1 name=$2 action=$3 kind=${4:-} source=${5:-} reason=${6:-}
    report_equal "$test $name action" "$action" "$(event_field "$name" .action)"
    if [[ -z $kind ]]; then
        report_equal "$test $name has no entry" null \
            "$(event_field "$name" .blocklist)"
        return
    fi
    local fp
    if [[ $kind == ja3 ]]; then
        fp=${JA3[$name]}
    else
        fp=${JA4[$name]}
    fi
    report_equal "$test $name entry kind" "$kind" \
        "$(event_field "$name" .blocklist.fingerprint)"
    report_equal "$test $name entry" "$fp" "$(event_field "$name" .blocklist.entry)"
    report_equal "$test $name entry source" "$source" \
        "$(event_field "$name" .blocklist.source)"
    report_equal "$test $name entry reason" "$reason" \
        "$(event_field "$name" '.blocklist.reason // ""')"
    if [[ $kind == ja4 ]]; then
        report_equal "$test $name hello_passed" true \
            "$(event_field "$name" .blocklist.hello_passed)"
    fi
}

# Check that the last run exited 0, printed only JSON lines and reported
# one ClientHello per flow.
check_run_ok() {
    local test=$1 hellos=${2:-4}
    report_equal "$test exit status" 0 "$STATUS"
    if ((STATUS != 0)); then
        report_file_tail "$ERR"
    fi
    report_equal "$test output is JSON lines" "$(wc -l <"$OUT")" \
        "$(jq -cR 'fromjson? // empty' "$OUT" | wc -l)"
    report_equal "$test ClientHellos" "$hellos" "$(wc -l <"$HELLOS")"
}

# Print tlsfp's messages of the last run, without the summary line printed
# at exit.
messages() {
    grep -v 'ClientHellos\? reported' "$ERR" || true
}

test_plain_list() {
    printf '%s\n' "# tlsfp test list" \
        "${JA3[$OPENSSL]}  # openssl s_client, plain list" \
        "${JA4[$PYTHON]} # Python ssl, by JA4" >plain.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b plain.txt
    check_run_ok plain
    report_equal "plain no messages" "" "$(messages)"
    check_flow plain "$OPENSSL" blocked ja3 plain.txt:2 "openssl s_client, plain list"
    check_flow plain "$PYTHON" blocked ja4 plain.txt:3 "Python ssl, by JA4"
    check_flow plain "$CURL" allowed
    check_flow plain "$GNUTLS" allowed
}

# The same list with CRLF line ends, as saved on Windows, loads unchanged.
test_crlf_list() {
    sed 's/$/\r/' plain.txt >crlf.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b crlf.txt
    check_run_ok crlf
    report_equal "crlf no messages" "" "$(messages)"
    check_flow crlf "$OPENSSL" blocked ja3 crlf.txt:2 "openssl s_client, plain list"
    check_flow crlf "$PYTHON" blocked ja4 crlf.txt:3 "Python ssl, by JA4"
    check_flow crlf "$CURL" allowed
}

test_sslbl_csv() {
    printf '%s\n' "# ja3_md5,Firstseen,Lastseen,Listingreason" \
        "${JA3[$CURL]},2026-01-01 00:00:00,2026-01-02 00:00:00,curl, test feed" \
        >sslbl.csv
    run_tlsfp "$WORK_DIR/merged.pcap" -b sslbl.csv
    check_run_ok sslbl
    report_equal "sslbl no messages" "" "$(messages)"
    # The reason is the rest of the line, commas included.
    check_flow sslbl "$CURL" blocked ja3 sslbl.csv:2 "curl, test feed"
    check_flow sslbl "$OPENSSL" allowed
    check_flow sslbl "$GNUTLS" allowed
    check_flow sslbl "$PYTHON" allowed
}

test_suricata_rules() {
    printf '%s\n' "# Suricata rules for the tlsfp tests" \
        "alert tls any any -> any any (msg:\"gnutls-cli by JA3\"; ja3.hash; content:\"${JA3[$GNUTLS]}\"; sid:1000001; rev:1;)" \
        "drop tls any any -> any any (msg:\"openssl by JA4\"; \\" \
        "    ja4.hash; content:\"${JA4[$OPENSSL]}\"; sid:1000002;)" \
        "alert http any any -> any any (msg:\"no hash\"; content:\"x\"; sid:1000003;)" \
        >test.rules
    run_tlsfp "$WORK_DIR/merged.pcap" -b test.rules
    check_run_ok rules
    report_equal "rules ignored rule reported once" \
        "tlsfp: warning: test.rules:5: rule ignored: no ja3.hash or ja4.hash content" \
        "$(messages)"
    check_flow rules "$GNUTLS" blocked ja3 test.rules:2 "gnutls-cli by JA3 (sid 1000001)"
    # A rule continued over two lines is named by its first line.
    check_flow rules "$OPENSSL" blocked ja4 test.rules:3 "openssl by JA4 (sid 1000002)"
    check_flow rules "$CURL" allowed
    check_flow rules "$PYTHON" allowed
}

test_several_files() {
    run_tlsfp "$WORK_DIR/merged.pcap" -b plain.txt -b sslbl.csv -b test.rules
    check_run_ok "several files"
    check_flow "several files" "$OPENSSL" blocked ja3 plain.txt:2 \
        "openssl s_client, plain list"
    check_flow "several files" "$CURL" blocked ja3 sslbl.csv:2 "curl, test feed"
    check_flow "several files" "$GNUTLS" blocked ja3 test.rules:2 \
        "gnutls-cli by JA3 (sid 1000001)"
    check_flow "several files" "$PYTHON" blocked ja4 plain.txt:3 "Python ssl, by JA4"
}

test_dry_run() {
    run_tlsfp "$WORK_DIR/merged.pcap" -b plain.txt --dry-run
    check_run_ok "dry-run"
    check_flow "dry-run" "$OPENSSL" would-block ja3 plain.txt:2 \
        "openssl s_client, plain list"
    check_flow "dry-run" "$PYTHON" would-block ja4 plain.txt:3 "Python ssl, by JA4"
    check_flow "dry-run" "$CURL" allowed
}

# check_invalid NAME FILE EXPECTED_STDERR [OPTION...]: tlsfp must exit 1
# with exactly EXPECTED_STDERR and print no event.
check_invalid() {
    local name=$1 file=$2 expected=$3
    shift 3
    run_tlsfp "$WORK_DIR/merged.pcap" -b "$file" "$@"
    report_equal "$name exit status" 1 "$STATUS"
    report_equal "$name message" "$expected" "$(cat "$ERR")"
    report_equal "$name no events" 0 "$(wc -l <"$OUT")"
}

test_invalid_files() {
    local good=${JA3[$OPENSSL]} ja4=${JA4[$OPENSSL]}

    # Each file has a valid line first: one invalid line fails the file.
    printf '%s\n' "$good" "f146948b4a599d4d7ddf071b7469698g" >bad_hex.txt
    check_invalid "bad hex" bad_hex.txt \
        "tlsfp: bad_hex.txt:2: 'f146948b4a599d4d7ddf071b7469698g' is not a JA3 hash: 'g' is not a hex digit (want 32 hex digits)
tlsfp: bad_hex.txt: 1 invalid line, no entries loaded"

    printf '%s\n' "$good" "${good:0:31}" >short.txt
    check_invalid "JA3 too short" short.txt \
        "tlsfp: short.txt:2: '${good:0:31}' is not a JA3 hash: 31 hex digits (want 32)
tlsfp: short.txt: 1 invalid line, no entries loaded"

    printf '%s\n' "$good" "${good}0" >long.txt
    check_invalid "JA3 too long" long.txt \
        "tlsfp: long.txt:2: '${good}0' is not a JA3 hash: 33 hex digits (want 32)
tlsfp: long.txt: 1 invalid line, no entries loaded"

    printf '%s\n' "$good" "${ja4:0:35}" >ja4_short.txt
    check_invalid "JA4 too short" ja4_short.txt \
        "tlsfp: ja4_short.txt:2: '${ja4:0:35}' is not a JA4 fingerprint: 35 characters (want 36, like t13d1516h2_8daaf6152771_e5627efa2ab1)
tlsfp: ja4_short.txt: 1 invalid line, no entries loaded"

    printf '%s\n' "# ja3_md5,Firstseen,Lastseen,Listingreason" \
        "$good,2026-01-01 00:00:00,2026-01-02 00:00:00,valid row" \
        "$good,2026-01-01 00:00:00,x" >columns.csv
    check_invalid "CSV missing column" columns.csv \
        "tlsfp: columns.csv:3: '$good,2026-01-01 00:00:00,x' has 3 columns (want 4: ja3_md5,Firstseen,Lastseen,Listingreason)
tlsfp: columns.csv: 1 invalid line, no entries loaded"

    printf '%s\n' "$good,2026-01-01 00:00:00,yesterday,bad time" >time.csv
    check_invalid "CSV bad time" time.csv \
        "tlsfp: time.csv:1: Lastseen 'yesterday' is not a time (want YYYY-MM-DD HH:MM:SS)
tlsfp: time.csv: 1 invalid line, no entries loaded"

    printf '%s\n' "alert tls any any -> any any (msg:\"short\"; ja3.hash; content:\"${good:0:31}\"; sid:1;)" \
        >short.rules
    check_invalid "rule with short JA3" short.rules \
        "tlsfp: short.rules:1: '${good:0:31}' is not a JA3 hash: 31 hex digits (want 32)
tlsfp: short.rules: 1 invalid line, no entries loaded"

    printf '%s\n89dfc51e72bd\0cb94e4ba4622588002b1\n' "$good" >nul.txt
    check_invalid "NUL byte" nul.txt \
        "tlsfp: nul.txt:2: NUL byte at column 13 (want a text file)
tlsfp: nul.txt: 1 invalid line, no entries loaded"

    check_invalid "missing file" missing.txt \
        "tlsfp: missing.txt: cannot open: No such file or directory"

    # A file without entries is a warning, not an error.
    : >empty.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b empty.txt
    check_run_ok "empty file"
    report_equal "empty file warned once" "tlsfp: warning: empty.txt: no entries" \
        "$(messages)"
    check_flow "empty file" "$OPENSSL" allowed
}

test_skip_invalid() {
    printf '%s\n' "${JA3[$OPENSSL]} # valid" "not-a-hash" "${JA3[$CURL]} # also valid" \
        >mixed.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b mixed.txt --skip-invalid
    check_run_ok "skip-invalid"
    report_equal "skip-invalid warned once" \
        "tlsfp: warning: mixed.txt:2: 'not-a-hash' is not a fingerprint (want a JA3 hash of 32 hex digits or a JA4 like t13d1516h2_8daaf6152771_e5627efa2ab1)" \
        "$(messages)"
    check_flow "skip-invalid" "$OPENSSL" blocked ja3 mixed.txt:1 valid
    check_flow "skip-invalid" "$CURL" blocked ja3 mixed.txt:3 "also valid"
    check_flow "skip-invalid" "$GNUTLS" allowed
}

test_block_max() {
    printf '%s\n' "${JA3[$OPENSSL]}" "${JA3[$CURL]}" >two_ja3.txt
    check_invalid "block-max 1 with 2 JA3" two_ja3.txt \
        "tlsfp: blocklists contain 2 JA3 hashes, more than the block map size (1); raise --block-max" \
        --block-max 1

    # Only JA3 hashes go into the block map.
    printf '%s\n' "${JA3[$OPENSSL]}" "${JA4[$CURL]}" >ja3_ja4.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b ja3_ja4.txt --block-max 1
    check_run_ok "block-max 1 with a JA3 and a JA4"
    check_flow "block-max 1 with a JA3 and a JA4" "$OPENSSL" blocked ja3 ja3_ja4.txt:1 ""
    check_flow "block-max 1 with a JA3 and a JA4" "$CURL" blocked ja4 ja3_ja4.txt:2 ""

    # A repeated hash takes one slot.
    printf '%s\n' "${JA3[$OPENSSL]}" "${JA3[$OPENSSL]^^}" >repeat.txt
    run_tlsfp "$WORK_DIR/merged.pcap" -b repeat.txt --block-max 1
    check_run_ok "block-max 1 with a repeated JA3"
    check_flow "block-max 1 with a repeated JA3" "$OPENSSL" blocked ja3 repeat.txt:1 ""
}

# Chromium-like hellos whose extension order differs per connection.
test_chromium() {
    local capture="$WORK_DIR/chromium.pcap" flows=5 ref_ja4 n
    local -a tshark_ja3 ref_rows
    /usr/bin/python3 "$REPO_ROOT/tests/block/gen_chromium.py" --flows "$flows" "$capture"
    /usr/bin/python3 "$REPO_ROOT/tests/block/gen_chromium.py" --flows "$flows" \
        "$WORK_DIR/chromium-again.pcap"
    if cmp -s "$capture" "$WORK_DIR/chromium-again.pcap"; then
        report_ok "chromium capture is deterministic"
    else
        report_not_ok "chromium capture is deterministic" "two runs wrote different files"
    fi

    mapfile -t tshark_ja3 < <(tshark -r "$capture" -Y 'tls.handshake.type == 1' \
        -T fields -e tcp.srcport -e tls.handshake.ja3 2>/dev/null)
    report_equal "chromium tshark hellos" "$flows" "${#tshark_ja3[@]}"
    n=$(printf '%s\n' "${tshark_ja3[@]}" | cut -f 2 | sort -u | wc -l)
    report_equal "chromium JA3 differs per flow" "$flows" "$n"

    mapfile -t ref_rows < <(/usr/bin/python3 "$VECTORS/ref/ja4.py" --no-header \
        "$capture" | cut -f 4,7)
    report_equal "chromium reference JA4 rows" "$flows" "${#ref_rows[@]}"
    n=$(printf '%s\n' "${ref_rows[@]}" | cut -f 2 | sort -u | wc -l)
    report_equal "chromium reference JA4 same for all" 1 "$n"
    ref_ja4=$(printf '%s\n' "${ref_rows[@]}" | cut -f 2 | head -n 1)

    run_tlsfp "$capture"
    check_run_ok "chromium" "$flows"
    report_equal "chromium tlsfp JA3 per flow" \
        "$(printf '%s\n' "${tshark_ja3[@]}" | sort)" \
        "$(jq -r '"\(.src_port)\t\(.tls.ja3.hash)"' "$HELLOS" | sort)"
    report_equal "chromium tlsfp JA4 per flow" \
        "$(printf '%s\n' "${ref_rows[@]}" | sort)" \
        "$(jq -r '"\(.src_port)\t\(.tls.ja4)"' "$HELLOS" | sort)"

    printf '%s # Chromium-like client\n' "$ref_ja4" >chromium.txt
    run_tlsfp "$capture" -b chromium.txt
    check_run_ok "chromium JA4 entry" "$flows"
    n=$(jq -c --arg ja4 "$ref_ja4" 'select(.action == "blocked" and
        .blocklist.fingerprint == "ja4" and .blocklist.entry == $ja4)' "$HELLOS" |
        wc -l)
    report_equal "chromium JA4 entry blocks every flow" "$flows" "$n"

    # A JA3 entry catches only the connection whose order it was taken from.
    printf '%s\n' "${tshark_ja3[0]#*$'\t'}" >chromium_ja3.txt
    run_tlsfp "$capture" -b chromium_ja3.txt
    check_run_ok "chromium JA3 entry" "$flows"
    report_equal "chromium JA3 entry blocks the first flow" blocked \
        "$(jq -r --argjson port "${tshark_ja3[0]%%$'\t'*}" \
            'select(.src_port == $port) | .action' "$HELLOS")"
    report_equal "chromium JA3 entry allows the other flows" $((flows - 1)) \
        "$(jq -c 'select(.action == "allowed")' "$HELLOS" | wc -l)"
}

main() {
    report_skip_unless_root
    if ! report_require_programs jq mergecap tshark /usr/bin/python3; then
        report_summary || true
        exit 1
    fi
    if [[ ! -x $TLSFP ]]; then
        report_not_ok "tlsfp binary" "$TLSFP not found or not executable; run make"
        report_summary || true
        exit 1
    fi
    if [[ $TLSFP != /* ]]; then
        TLSFP=$PWD/$TLSFP
    fi
    trap on_exit EXIT
    WORK_DIR=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-block-files.XXXXXX")
    # The lists are written here and named by relative paths.
    cd "$WORK_DIR"
    make_merged_capture

    test_plain_list
    test_crlf_list
    test_sslbl_csv
    test_suricata_rules
    test_several_files
    test_dry_run
    test_invalid_files
    test_skip_invalid
    test_block_max
    test_chromium
    report_summary
}

main "$@"
