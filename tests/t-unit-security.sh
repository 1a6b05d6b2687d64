#!/bin/sh
# t-unit-security.sh: every systemd service we ship (etc/*.service) is
# rated at most 2.0 by `systemd-analyze security --offline=true`; the
# score is read from its "Overall exposure level" line. A timer starts a
# service and runs nothing itself, so it has no score of its own. A unit
# stripped of its sandbox must rate above 2.0, or the check proves nothing.
# Needs no root; systemd-analyze missing is a failure (scripts/install-deps.sh
# installs systemd), never a skip.
set -u
: "${top_srcdir:=.}"
MAX=2.0
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

if ! command -v systemd-analyze >/dev/null 2>&1; then
    tap_result 1 "systemd-analyze is installed (package systemd)" \
        "no systemd-analyze in PATH"
    tap_done
    exit 1
fi

# score UNIT-FILE: the overall exposure, e.g. 1.2; nothing when the output
# has no such line
score() {
    systemd-analyze security --offline=true "$1" 2>&1 |
        sed -n 's/^→ Overall exposure level for [^:]*: \([0-9][0-9]*\.[0-9]\).*/\1/p'
}

# above SCORE: true when SCORE > MAX
above() {
    awk -v s="$1" -v m="$MAX" 'BEGIN { exit !(s + 0 > m + 0) }'
}

n=0
for unit in "$top_srcdir"/etc/*.service; do
    n=$((n + 1))
    name=${unit##*/}
    s=$(score "$unit")
    if [ -z "$s" ]; then
        tap_result 1 "$name: systemd-analyze gives an exposure level" \
            "$(systemd-analyze security --offline=true "$unit" 2>&1 | tail -n 5)"
    elif above "$s"; then
        tap_result 1 "$name: exposure $s <= $MAX" \
            "$(systemd-analyze security --offline=true "$unit" 2>&1 | grep '^✗')"
    else
        tap_result 0 "$name: exposure $s <= $MAX"
    fi
done
ok=0; [ "$n" -ge 2 ] || ok=1
tap_result $ok "the shipped services are there (dmarc-milter, dmarc-reports)" "$n found"

# The check can fail: the daemon's unit with its sandbox lines dropped
# (everything from the first of them to [Install]) rates above MAX.
sed '/^ProtectSystem=/,/^\[Install\]/{/^\[Install\]/!d;}' \
    "$top_srcdir/etc/dmarc-milter.service" >"$dir/dmarc-milter.service"
s=$(score "$dir/dmarc-milter.service")
if [ -n "$s" ] && above "$s"; then
    tap_result 0 "without its sandbox, the daemon's unit rates $s > $MAX"
else
    tap_result 1 "without its sandbox, the daemon's unit rates above $MAX" "${s:-no score}"
fi

tap_done
