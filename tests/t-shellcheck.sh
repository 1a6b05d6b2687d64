#!/bin/sh
# t-shellcheck.sh: every shell script of the tree passes shellcheck, one
# result per script. The scripts are git's when the tree is a checkout,
# else those found in the tree (make distcheck's tarball has no .git and
# only what EXTRA_DIST ships); build-aux/ is automake's and not checked.
set -u
: "${top_srcdir:=.}"
self=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=tests/tap.sh
. "$self/tap.sh"
# source= directives name paths from the top of the tree
cd "$top_srcdir" || exit 1
top=$(pwd -P)

if ! command -v shellcheck >/dev/null; then
    tap_result 1 "shellcheck is installed" "not found (scripts/install-deps.sh installs it)"
    tap_done
    exit
fi
diag "$(shellcheck --version | grep '^version')"

# scripts: the shell scripts, one a line
scripts() {
    if command -v git >/dev/null &&
        [ "$(git rev-parse --show-toplevel 2>/dev/null)" = "$top" ]; then
        { git ls-files '*.sh'
          git ls-files debian | grep -E '(postinst|postrm|preinst|prerm)$'
          git ls-files .ci/run; } | grep -v '^build-aux/'
    else
        find scripts tests etc cacti-templates -name '*.sh' -type f 2>/dev/null
        find debian -maxdepth 1 -type f \( -name '*.postinst' -o \
            -name '*.postrm' -o -name '*.preinst' -o -name '*.prerm' \) 2>/dev/null
        find .ci -name run -type f 2>/dev/null
    fi | sort -u
}
list=$(scripts)

# A listing gone wrong would check nothing and pass.
like "$list" '^tests/t-shellcheck\.sh$' "the list of scripts holds this one"

# And shellcheck must still see a finding here: an unquoted argument.
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
# shellcheck disable=SC2016 # the $1 is for the script written
printf '#!/bin/sh\nrm $1\n' >"$tmp/bad.sh"
like "$(shellcheck -f gcc "$tmp/bad.sh" 2>&1)" 'SC2086' \
    "shellcheck reports an unquoted argument"

for f in $list; do
    [ -f "$f" ] || continue
    out=$(shellcheck -x -P SCRIPTDIR -f gcc "$f" 2>&1)
    tap_result $? "$f" "$out"
done

tap_done
