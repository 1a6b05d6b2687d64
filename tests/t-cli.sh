#!/bin/sh
# t-cli.sh: the command line and configuration errors as an operator sees
# them: `dmarc-milter -n` names the file and line of every problem and
# exits 78; a good file says so and exits 0. Needs no root.
set -u
: "${top_builddir:=.}"
: "${top_srcdir:=.}"
DM=$top_builddir/dmarc-milter
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

# check NAME EXPECTED-STATUS EXPECTED-STDERR-LINE CONFIG-LINES...
check() {
    name=$1 want_st=$2 want=$3
    shift 3
    f=$dir/$name.conf
    printf '%s\n' "$@" >"$f"
    out=$("$DM" -n -c "$f" 2>&1)
    st=$?
    want=$(printf '%s' "$want" | sed "s|FILE|$f|g")
    if [ "$st" -eq "$want_st" ] && printf '%s\n' "$out" | grep -qxF -- "$want"; then
        tap_result 0 "$name"
    else
        tap_result 1 "$name" "status $st (want $want_st), output:
$out
wanted the line: $want"
    fi
}

S="Socket local:$dir/s.sock"

check "good file" 0 "FILE: configuration OK" "$S" "RejectFailures true"
check "unknown key" 78 "dmarc-milter: error: FILE:2: unknown key 'RejectFailure'" \
    "$S" "RejectFailure true"
check "bad boolean" 78 \
    "dmarc-milter: error: FILE:3: bad value 'maybe' for RejectFailures: expected true or false (yes/no, on/off, 1/0)" \
    "$S" "# comment" "RejectFailures maybe"
check "missing Socket" 78 "dmarc-milter: error: FILE: Socket is not set" \
    "RejectFailures true"
check "unimplemented OpenDMARC key warns, still OK" 0 \
    "dmarc-milter: warning: FILE:2: OpenDMARC key 'FailureReports' is not implemented by dmarc-milter; ignored" \
    "$S" "FailureReports false"
check "bad IgnoreHosts entry" 78 \
    "dmarc-milter: error: FILE:2: bad IgnoreHosts entry '192.0.2.0/33': prefix length must be 0 to 32 for IPv4" \
    "$S" "IgnoreHosts 192.0.2.0/33"
check "missing PublicSuffixList" 78 \
    "dmarc-milter: error: FILE:2: cannot read PublicSuffixList file '/nonexistent/psl.dat': No such file or directory" \
    "$S" "PublicSuffixList /nonexistent/psl.dat"
check "bad TempErrorAction" 78 \
    "dmarc-milter: error: FILE:2: bad value 'drop' for TempErrorAction: expected accept or tempfail" \
    "$S" "TempErrorAction drop"

# No SPF source at all: an OpenDMARC file with postfix-policyd-spf-python in
# front would lose its SPF passes silently. -n warns, names the line to add,
# and the file still loads.
check "no SPF source: warns why" 0 \
    "dmarc-milter: warning: FILE: no SPF source: SPFSelfValidate is false, TrustedAuthservIDs is empty and TrustReceivedSPF is false, so no message has an SPF result and mail that only SPF aligns fails DMARC (OpenDMARC believed any Received-SPF field)" \
    "$S" "RejectFailures true"
check "no SPF source: names the line to add" 0 \
    "dmarc-milter: warning: FILE: add the line \"TrustReceivedSPF true\" if postfix-policyd-spf-python runs in front of this milter, \"TrustedAuthservIDs <id>\" if an upstream writes Authentication-Results with spf=, else \"SPFSelfValidate true\"" \
    "$S" "RejectFailures true"
check "no SPF source: still OK" 0 "FILE: configuration OK" "$S"
check "SPFIgnoreResults without SPFSelfValidate: warns why" 0 \
    "dmarc-milter: warning: FILE: no SPF source: SPFIgnoreResults is true and SPFSelfValidate is false, so no message has an SPF result and mail that only SPF aligns fails DMARC" \
    "$S" "TrustReceivedSPF true" "SPFIgnoreResults true"
check "SPFIgnoreResults without SPFSelfValidate: names the line to add" 0 \
    "dmarc-milter: warning: FILE: to check SPF here, add the line \"SPFSelfValidate true\"" \
    "$S" "TrustedAuthservIDs dkim.example" "SPFIgnoreResults true"
# quiet NAME CONFIG-LINES...: -n loads the file without the warning.
quiet() {
    name=$1
    shift
    printf '%s\n' "$@" >"$dir/quiet.conf"
    out=$("$DM" -n -c "$dir/quiet.conf" 2>&1)
    st=$?
    [ "$st" -eq 0 ] && ! printf '%s\n' "$out" | grep -q 'SPF source'
    tap_result $? "$name" "status $st, output:
$out"
}
quiet "TrustReceivedSPF is an SPF source" "$S" "TrustReceivedSPF true"
quiet "TrustedAuthservIDs is an SPF source" "$S" "TrustedAuthservIDs dkim.example"
quiet "SPFSelfValidate is an SPF source" "$S" "SPFSelfValidate true" \
    "SPFIgnoreResults true"
out=$("$DM" -n -c "$top_srcdir/etc/dmarc-milter.conf" 2>&1)
! printf '%s\n' "$out" | grep -q 'SPF source'
tap_result $? "the shipped sample has an SPF source" "$out"

# A missing file.
out=$("$DM" -n -c "$dir/none.conf" 2>&1); st=$?
case $out in
*"$dir/none.conf: cannot open: No such file or directory"*) [ $st -eq 78 ]; tap_result $? "missing file: named, exit 78" "$out" ;;
*) tap_result 1 "missing file: named, exit 78" "$out (status $st)" ;;
esac

# The shipped sample and Debian's opendmarc.conf both load.
out=$("$DM" -n -c "$top_srcdir/etc/dmarc-milter.conf" 2>&1); st=$?
tap_result $st "etc/dmarc-milter.conf loads" "$out"
printf '%s\n' "PidFile /run/opendmarc/opendmarc.pid" \
    "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat" \
    "Socket local:/run/opendmarc/opendmarc.sock" "Syslog true" \
    "UMask 0002" "UserID opendmarc" >"$dir/opendmarc.conf"
out=$("$DM" -n -c "$dir/opendmarc.conf" 2>&1); st=$?
tap_result $st "Debian's opendmarc.conf loads unchanged" "$out"

# Usage and version.
out=$("$DM" -x 2>&1); st=$?
[ $st -eq 64 ] && printf '%s' "$out" | grep -q '^usage: dmarc-milter'
tap_result $? "a bad option prints the usage and exits 64" "$out (status $st)"
out=$("$DM" -V 2>&1); st=$?
[ $st -eq 0 ] && printf '%s' "$out" | grep -q "^dmarc-milter [0-9]" &&
    printf '%s' "$out" | grep -q 'libspf2' && printf '%s' "$out" | grep -q 'libpsl'
tap_result $? "-V prints the version and the libraries" "$out"

tap_done
