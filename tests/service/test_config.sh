#!/bin/bash
# --config: every kind of invalid line fails with exit status 2 and names
# FILE:LINE, and a missing file fails with status 1.  Valid files take
# effect, and the command line wins over the file.  These last checks run
# a capture through -r, which needs root, so they are skipped without it.
#
# Usage: tests/service/test_config.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

DIR=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-config.XXXXXX")
trap 'rm -rf -- "$DIR"' EXIT
PCAP=$REPO_ROOT/tests/vectors/local/curl-tls13-h2.pcap
# Three ClientHellos, from three flows.
PCAP3=$REPO_ROOT/tests/vectors/real/socks-https-example.pcap

# check_bad NAME STATUS MESSAGE LINE...: a file of the LINEs makes tlsfp
# exit with STATUS and print MESSAGE (a fixed string) on stderr.
check_bad() {
    local name=$1 want_status=$2 want_msg=$3 status=0
    shift 3
    printf '%s\n' "$@" >"$DIR/bad.conf"
    "$TLSFP" --config "$DIR/bad.conf" lo >"$DIR/out" 2>"$DIR/err" || status=$?
    if ((status != want_status)); then
        report_not_ok "$name" "exit status $status, expected $want_status"
        report_file_tail "$DIR/err"
    elif ! grep -qF -- "$want_msg" "$DIR/err"; then
        report_not_ok "$name" "no '$want_msg' in: $(cat "$DIR/err")"
    else
        report_ok "$name"
    fi
}

check_bad "unknown option" 2 "bad.conf:3: unknown option 'colour'" \
    "# comment" "" "colour red"
check_bad "missing value" 2 "bad.conf:1: option 'max-flows' needs a value" \
    "max-flows"
check_bad "value for a flag" 2 "bad.conf:2: option 'json' takes no value, got 'yes'" \
    "  # indented comment" "json yes"
check_bad "invalid number" 2 "bad.conf:1: --max-flows: invalid value 'lots'" \
    "max-flows lots"
check_bad "invalid direction" 2 "bad.conf:1: --direction: invalid value 'up'" \
    "direction up"
check_bad "config inside config" 2 "bad.conf:1: 'config' is not allowed" \
    "config /etc/tlsfp/other.conf"
check_bad "short option name" 2 "bad.conf:1: unknown option '-j'" "-j"
check_bad "unknown user" 1 "--user: unknown user 'no-such-user-tlsfp'" \
    "user no-such-user-tlsfp"

# getopt_long accepts --conf for --config: the file must be read then too.
printf 'colour red\n' >"$DIR/abbrev.conf"
status=0
"$TLSFP" --conf="$DIR/abbrev.conf" lo >/dev/null 2>"$DIR/err" || status=$?
report_equal "abbreviated --config read" 2 "$status"

status=0
"$TLSFP" --config "$DIR/missing.conf" lo 2>"$DIR/err" || status=$?
report_equal "missing file status" 1 "$status"
if grep -qF -- "--config $DIR/missing.conf: No such file or directory" \
    "$DIR/err"; then
    report_ok "missing file message"
else
    report_not_ok "missing file message" "$(cat "$DIR/err")"
fi

if ((EUID != 0)); then
    printf 'skip - config applied: not root\n'
    report_summary
    exit $?
fi

# json from the file: the capture's line is a JSON object.
printf 'json\n' >"$DIR/json.conf"
line=$("$TLSFP" --config "$DIR/json.conf" -r "$PCAP" 2>"$DIR/err" | head -n 1)
if jq -e '.event_type == "tls"' <<<"$line" >/dev/null 2>&1; then
    report_ok "config option applied"
else
    report_not_ok "config option applied" "got '$line'"
    report_file_tail "$DIR/err"
fi

# count 1 in the file, -c 2 on the command line: two lines.
printf 'count 1\n' >"$DIR/count.conf"
n=$("$TLSFP" --config "$DIR/count.conf" -c 2 -r "$PCAP3" 2>"$DIR/err" |
    wc -l)
report_equal "command line wins over config" 2 "$n"
n=$("$TLSFP" --config="$DIR/count.conf" -r "$PCAP3" 2>"$DIR/err" | wc -l)
report_equal "config value without override" 1 "$n"

# A path with a space, as the rest of the line.
mkdir -p "$DIR/with space"
printf '89dfc51e72bdcb94e4ba4622588002b1\n' >"$DIR/with space/list.txt"
printf 'json\nblock %s\n' "$DIR/with space/list.txt" >"$DIR/block.conf"
action=$("$TLSFP" --config "$DIR/block.conf" -r "$PCAP" 2>"$DIR/err" |
    jq -r .action)
report_equal "value with spaces" blocked "$action"
report_summary
