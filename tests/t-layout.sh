#!/bin/sh
# t-layout.sh: the rule of who may include whom (docs/ARCHITECTURE.md),
# checked on every product source: a folder includes only the folders
# below it, another folder only through its public header, and a system
# library's header only in the folder that wraps that library.
set -u
: "${top_srcdir:=.}"
self=$(cd "$(dirname "$0")" && pwd)/$(basename "$0")
cd "$top_srcdir" || exit 1
# shellcheck source=tests/tap.sh
. "$(dirname "$self")/tap.sh"

# none DESCRIPTION PROBLEMS: passed when there is no problem; each one is
# a line of the diagnostics.
none() {
    [ -z "$2" ]
    tap_result $? "$1" "$2"
}

# The layers, bottom first; a folder may include itself and those listed.
below() {
    case $1 in
    util)    echo "" ;;
    dns)     echo "util" ;;
    dmarc)   echo "util dns" ;;
    config)  echo "util dns dmarc" ;;
    auth)    echo "util dns dmarc" ;;
    report)  echo "util dns dmarc config" ;;
    metrics) echo "util dns dmarc config" ;;
    agentx)  echo "util dns dmarc config metrics" ;;
    milter)  echo "util dns dmarc config auth report metrics agentx" ;;
    tools)   echo "util dns dmarc config auth report metrics agentx" ;;
    esac
}

# The one header through which other folders see a folder.
public() {
    case $1 in
    util) echo util/util.h ;;     dns) echo dns/dns.h ;;
    dmarc) echo dmarc/dmarc.h ;;  config) echo config/conf.h ;;
    auth) echo auth/auth.h ;;     report) echo report/report.h ;;
    metrics) echo metrics/metrics.h ;;
    agentx) echo agentx/agentx.h ;;
    milter|tools) echo "" ;;
    esac
}

# A system library's headers belong to the folder that wraps it.
owner_of() {
    case $1 in
    libmilter/*) echo milter ;;
    spf2/*) echo auth ;;
    opendkim/*) echo auth ;;
    net-snmp/*) echo agentx ;;
    microhttpd.h) echo metrics ;;
    *) echo "" ;;
    esac
}

folders="util dns dmarc config auth report metrics agentx milter tools"
for dir in $folders; do
    [ -d "$dir" ] || continue
    bad=""
    allowed=" $dir $(below "$dir") "
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        # "folder/file.h" and <library/file.h>, one per line
        incs=$(sed -n 's/^[[:space:]]*#[[:space:]]*include[[:space:]]*\([<"][^>"]*[>"]\).*/\1/p' "$f")
        for inc in $incs; do
            name=$(printf '%s' "$inc" | tr -d '<>"')
            case $inc in
            \"*)
                top=${name%%/*}
                if [ "$top" = "$name" ]; then
                    [ "$name" = config.h ] && continue
                    bad="$bad
$f: \"$name\" is not folder-qualified"
                    continue
                fi
                case $allowed in
                *" $top "*) ;;
                *) bad="$bad
$f: includes $name, but $dir/ may include only:$allowed"
                   continue ;;
                esac
                if [ "$top" != "$dir" ] && [ "$name" != "$(public "$top")" ]; then
                    bad="$bad
$f: includes $name; outside $top/ include $(public "$top")"
                fi ;;
            *)
                own=$(owner_of "$name")
                if [ -n "$own" ] && [ "$own" != "$dir" ]; then
                    bad="$bad
$f: includes <$name>, which only $own/ may include"
                fi ;;
            esac
        done
    done
    none "$dir/ includes only what lies below it" "${bad#?}"
done

# The rule itself must catch a crossing: a metrics file that reaches into
# the milter is refused.
if [ -z "${DM_LAYOUT_SELFTEST:-}" ]; then
    tmp=$(mktemp -d)
    trap 'rm -rf "$tmp"' EXIT
    mkdir -p "$tmp/metrics"
    printf '/*\n * x.c: a crossing.\n */\n#include "milter/milter_cb.h"\n#include <libmilter/mfapi.h>\n#include "dns/dns_query.h"\n' \
        >"$tmp/metrics/x.c"
    # and a function of 61 lines
    { printf 'int\nx_long(void)\n{\n'; seq 61 | sed 's/.*/    ;/'
      printf '}\n'; } >>"$tmp/metrics/x.c"
    caught=$(top_srcdir=$tmp DM_LAYOUT_SELFTEST=1 sh "$self" 2>&1 |
             grep -c '^# ')
    is "$caught" 4 "a crossing include and a long function are reported"
fi

# Each product file opens by naming itself and its job.
bad=""
for dir in $folders; do
    for f in "$dir"/*.c "$dir"/*.h; do
        [ -f "$f" ] || continue
        b=$(basename "$f")
        head -n 2 "$f" | grep -q "^\(/\*\)\? \?\*\? \?$b: ." ||
            bad="$bad
$f: does not open with \"$b: its job\""
    done
done
[ -n "${DM_LAYOUT_SELFTEST:-}" ] ||
    none "every product file opens with its name and job" "${bad#?}"

# No function longer than a screen: in this tree's style a definition
# names the function at the start of a line and its body opens and closes
# with a brace alone at the start of a line. Tables are data, not bodies.
bad=""
for dir in $folders; do
    for f in "$dir"/*.c; do
        [ -f "$f" ] || continue
        bad="$bad$(awk -v max=60 '
            /^[a-z_][a-z_0-9]*\(/ { name = $0; sub(/\(.*/, "", name) }
            /^\{/ { if (name != "") { start = NR; open = 1 } }
            /^\}/ {
                if (open && NR - start - 1 > max)
                    printf "\n%s:%d: %s() has %d lines (at most %d)",
                        FILENAME, start, name, NR - start - 1, max
                open = 0; name = ""
            }' "$f")"
    done
done
none "no function is longer than 60 lines" "${bad#?}"

tap_done
