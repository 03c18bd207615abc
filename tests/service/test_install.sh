#!/bin/bash
# make install and make uninstall into a DESTDIR: the files and their
# modes, a reinstall that keeps an edited configuration, and the installed
# unit checked by systemd-analyze verify.  The verify step bind-mounts the
# installed PREFIX over /usr/local in a private mount namespace, so that
# the unit's ExecStart and man page resolve as on a real install without
# touching the real /usr/local.  It needs root and is skipped without.
#
# Usage: tests/service/test_install.sh   (TLSFP=path sets the build output)
set -euo pipefail

REPO_ROOT=$(cd "$(dirname "$0")/../.." && pwd)
TLSFP=${TLSFP:-$REPO_ROOT/.output/tlsfp}
# shellcheck source-path=SCRIPTDIR source=../lib/testbed.sh
source "$REPO_ROOT/tests/lib/testbed.sh"

DEST=$(mktemp -d "${TMPDIR:-/tmp}/tlsfp-install.XXXXXX")
LOG=$(mktemp "${TMPDIR:-/tmp}/tlsfp-install-log.XXXXXX")
trap 'rm -rf -- "$DEST" "$LOG"' EXIT
OUTPUT_DIR=$(dirname "$TLSFP")

run_make() {
    make --no-print-directory -C "$REPO_ROOT" OUTPUT="$OUTPUT_DIR" \
        DESTDIR="$DEST" "$@" >"$LOG" 2>&1
}

# check_file NAME PATH MODE
check_file() {
    local mode
    if [[ ! -f $DEST$2 ]]; then
        report_not_ok "$1" "$DEST$2 is missing"
        return
    fi
    mode=$(stat -c %a "$DEST$2")
    report_equal "$1" "$3" "$mode"
}

if ! run_make install; then
    report_not_ok "make install" "failed: $(tail -n 3 "$LOG")"
    report_summary
    exit 1
fi
report_ok "make install"
check_file "binary installed" /usr/local/sbin/tlsfp 755
check_file "man page installed" /usr/local/share/man/man8/tlsfp.8 644
check_file "unit installed" /usr/local/lib/systemd/system/tlsfp@.service 644
check_file "example config installed" /etc/tlsfp/tlsfp.conf 644
check_file "example blocklist installed" /etc/tlsfp/blocklist.txt 644
check_file "logrotate file installed" /etc/logrotate.d/tlsfp 644

unit=$DEST/usr/local/lib/systemd/system/tlsfp@.service
report_equal "unit runs the installed binary" \
    "ExecStart=/usr/local/sbin/tlsfp --config /etc/tlsfp/%I.conf %I" \
    "$(grep '^ExecStart=' "$unit")"
if grep -q '@[A-Z]*@' "$unit"; then
    report_not_ok "unit placeholders replaced" "$(grep '@[A-Z]*@' "$unit")"
else
    report_ok "unit placeholders replaced"
fi

# The example configuration must be accepted by tlsfp itself: every line
# is checked before the start, and -h exits right after the options.
if out=$("$TLSFP" --config "$DEST/etc/tlsfp/tlsfp.conf" -h 2>&1); then
    report_ok "example config parses"
else
    report_not_ok "example config parses" "$out"
fi

echo "# edited" >>"$DEST/etc/tlsfp/tlsfp.conf"
if run_make install PREFIX=/usr; then
    report_ok "reinstall with PREFIX=/usr"
else
    report_not_ok "reinstall with PREFIX=/usr" "$(tail -n 3 "$LOG")"
fi
report_equal "reinstall keeps edited config" "# edited" \
    "$(tail -n 1 "$DEST/etc/tlsfp/tlsfp.conf")"
report_equal "PREFIX sets the unit's ExecStart" \
    "ExecStart=/usr/sbin/tlsfp --config /etc/tlsfp/%I.conf %I" \
    "$(grep '^ExecStart=' "$DEST/usr/lib/systemd/system/tlsfp@.service")"

if ((EUID != 0)); then
    printf 'skip - systemd-analyze verify: not root\n'
elif ! command -v systemd-analyze >/dev/null; then
    report_not_ok "systemd-analyze verify" \
        "systemd-analyze not found; install systemd (tests/deps.sh)"
else
    # Any message, even a warning about an unknown key, is a failure:
    # systemd-analyze verify exits 0 after warnings.  $1 expands in the
    # inner shell.
    # shellcheck disable=SC2016
    if out=$(unshare -m sh -c 'mount --bind "$1/usr/local" /usr/local &&
            systemd-analyze verify /usr/local/lib/systemd/system/tlsfp@.service' \
            sh "$DEST" 2>&1) && [[ -z $out ]]; then
        report_ok "systemd-analyze verify"
    else
        report_not_ok "systemd-analyze verify" "$out"
    fi
fi

if run_make uninstall; then
    report_ok "make uninstall"
else
    report_not_ok "make uninstall" "$(tail -n 3 "$LOG")"
fi
left=$(cd "$DEST/usr/local" && find . -type f | sort | tr '\n' ' ')
report_equal "uninstall removes installed files" "" "$left"
report_equal "uninstall keeps edited config" "./tlsfp/tlsfp.conf " \
    "$(cd "$DEST/etc" && find . -type f | sort | tr '\n' ' ')"
report_summary
