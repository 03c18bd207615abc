#!/bin/bash
# The long options of "tlsfp --help", of the OPTIONS section of tlsfp(8)
# and of README's options table must be the same set, so that none of the
# three drifts from the others.  The Kubernetes manifest must parse and
# add the capabilities of the systemd unit, less CAP_SETUID and
# CAP_SETGID, which only -Z uses.  No root needed.
#
# Usage: tests/service/test_docs.sh   (TLSFP=path overrides .output/tlsfp)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

long_options() {
    grep -oE -- '--[a-z][a-z-]*[a-z]' | sort -u
}

help_options() {
    "$TLSFP" --help | long_options
}

# The option lines of the man page: the line after each .TP in OPTIONS.
man_options() {
    sed -n '/^\.SH OPTIONS/,/^\.SH /p' "$REPO_ROOT/man/tlsfp.8" |
        awk 'tp { print; tp = 0 } /^\.TP/ { tp = 1 }' |
        sed 's/\\-/-/g' | long_options
}

# The first cell of each row of README's options table.
readme_options() {
    sed -n '/^## Options/,/^## /p' "$REPO_ROOT/README.md" |
        grep '^| `-' | cut -d'|' -f2 | long_options || true
}

# check_same NAME LEFT_LABEL RIGHT_LABEL LEFT RIGHT
check_same() {
    local only_left only_right
    only_left=$(comm -23 <(echo "$4") <(echo "$5") | tr '\n' ' ')
    only_right=$(comm -13 <(echo "$4") <(echo "$5") | tr '\n' ' ')
    if [[ -z $only_left && -z $only_right ]]; then
        report_ok "$1"
    else
        report_not_ok "$1" "only in $2: '$only_left', only in $3: '$only_right'"
    fi
}

help=$(help_options)
man=$(man_options)
readme=$(readme_options)
count=$(echo "$help" | wc -l)
# 27 when this test was written: fewer means the extraction broke.
if ((count >= 27)); then
    report_ok "help lists the long options"
else
    report_not_ok "help lists the long options" "found only $count"
fi
check_same "man page matches help" help man "$help" "$man"
check_same "README matches help" help README "$help" "$readme"
if man_out=$(MANWIDTH=80 man --warnings -l "$REPO_ROOT/man/tlsfp.8" 2>&1 \
        >/dev/null) && [[ -z $man_out ]]; then
    report_ok "man page renders without warnings"
else
    report_not_ok "man page renders without warnings" "$man_out"
fi

unit_caps=$(sed -n 's/^CapabilityBoundingSet=//p' \
    "$REPO_ROOT/systemd/tlsfp@.service.in" | tr ' ' '\n' |
    grep -vxE 'CAP_SETUID|CAP_SETGID' | sed 's/^CAP_//' | sort | tr '\n' ' ')
if pod_caps=$(/usr/bin/python3 -c '
import sys, yaml
for doc in yaml.safe_load_all(open(sys.argv[1])):
    if doc["kind"] == "DaemonSet":
        for c in doc["spec"]["template"]["spec"]["containers"]:
            print(" ".join(sorted(c["securityContext"]["capabilities"]["add"])))
' "$REPO_ROOT/deploy/tlsfp-daemonset.yaml" 2>&1); then
    report_equal "DaemonSet adds the unit's capabilities" "$unit_caps" \
        "$pod_caps "
else
    report_not_ok "DaemonSet adds the unit's capabilities" "$pod_caps"
fi
report_summary
