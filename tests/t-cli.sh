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
    "dmarc-milter: warning: FILE:2: OpenDMARC key 'TestDNSData' is not implemented by dmarc-milter; ignored" \
    "$S" "TestDNSData /tmp/dns.data"
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
# HistoryFile is written by the daemon: -n shows where.
check "HistoryFile: shown in the settings" 0 \
    "  HistoryFile                 $dir/h.dat" \
    "$S" "HistoryFile $dir/h.dat"
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

# The first hour: --version and --help as -V and -h, on stdout with exit 0;
# every bad option or argument named on stderr, then the usage, exit 64.
out=$("$DM" --version 2>/dev/null); st=$?
[ $st -eq 0 ] && printf '%s' "$out" | grep -q "^dmarc-milter [0-9]"
tap_result $? "--version prints the version on stdout, exit 0" "$out (status $st)"
out=$("$DM" --help 2>/dev/null); st=$?
[ $st -eq 0 ] && printf '%s\n' "$out" | grep -q '^usage: dmarc-milter' &&
    printf '%s\n' "$out" | grep -q -- '-n .*effective'
tap_result $? "--help prints the usage on stdout, -n's settings included, exit 0" "$out (status $st)"
# usage_error NAME EXPECTED-FIRST-LINE ARGS...
usage_error() {
    name=$1 want=$2
    shift 2
    out=$("$DM" "$@" 2>&1 >/dev/null); st=$?
    [ $st -eq 64 ] && [ "$(printf '%s\n' "$out" | head -n 1)" = "$want" ] &&
        printf '%s\n' "$out" | grep -q '^usage: dmarc-milter'
    tap_result $? "$name" "$out (status $st)"
}
usage_error "an unknown option is named" "$DM: invalid option -- 'x'" -x
usage_error "an unknown long option is named" "$DM: unrecognized option '--bogus'" --bogus
usage_error "-c without its file is named" "$DM: option requires an argument -- 'c'" -c
usage_error "a file given without -c is named" \
    "dmarc-milter: unexpected argument 'my.conf' (the configuration file goes after -c)" my.conf

# -n prints the effective settings after "configuration OK": what is
# trusted and where SPF and DKIM results come from.
# setting_file NAME KEY VALUE FILE: -n's line for KEY reads VALUE
setting_file() {
    name=$1 key=$2 want=$3
    out=$("$DM" -n -c "$4" 2>/dev/null); st=$?
    got=$(printf '%s\n' "$out" | sed -n "s/^  $key  *//p")
    [ $st -eq 0 ] && [ "$got" = "$want" ]
    tap_result $? "$name" "status $st, $key: $got
want: $want
$out"
}
# setting NAME KEY VALUE CONFIG-LINES...: the same for these lines
setting() {
    printf '%s\n' "$@" | tail -n +4 >"$dir/setting.conf"
    setting_file "$1" "$2" "$3" "$dir/setting.conf"
}
setting_file "-n: the sample's SPF comes from its own check" "SPF results come from" \
    "its own check, libspf2 (SPFSelfValidate)" "$top_srcdir/etc/dmarc-milter.conf"
setting "-n: SPF sources in the order they count" "SPF results come from" \
    "Authentication-Results spf= of mx1.example, mx2.example; else the topmost Received-SPF field, when it names this client (TrustReceivedSPF); else its own check, libspf2 (SPFSelfValidate)" \
    "$S" "TrustedAuthservIDs mx1.example, mx2.example" "TrustReceivedSPF true" \
    "SPFSelfValidate true"
setting "-n: SPFIgnoreResults leaves only the own check" "SPF results come from" \
    "its own check, libspf2 (SPFSelfValidate)" \
    "$S" "TrustedAuthservIDs mx1.example" "TrustReceivedSPF true" \
    "SPFSelfValidate true" "SPFIgnoreResults true"
setting "-n: no SPF source said so" "SPF results come from" \
    "nowhere: no message has an SPF result" "$S"
setting "-n: DKIM from the trusted ids" "DKIM results come from" \
    "Authentication-Results dkim= of mx1.example" "$S" "TrustedAuthservIDs mx1.example"
setting "-n: DKIMSelfVerify replaces the claims" "DKIM results come from" \
    "its own verification, libopendkim (DKIMSelfVerify); dkim= claims of Authentication-Results are not read" \
    "$S" "TrustedAuthservIDs mx1.example" "DKIMSelfVerify true"
setting "-n: no DKIM source said so" "DKIM results come from" \
    "nowhere: no signature counts (set DKIMSelfVerify true, or trust your DKIM verifier's id)" "$S"
setting "-n: nothing trusted by default" "TrustedAuthservIDs" \
    "(none: no incoming Authentication-Results field is believed)" "$S"
setting "-n: the defaults are shown too" "DNSTimeout" "5 s per query" "$S"
setting "-n: Nameservers as given" "Nameservers" "127.0.0.1:5353, [::1]:53" \
    "$S" "Nameservers 127.0.0.1:5353, [::1]"
setting_file "-n: the sample serves /metrics on loopback" "MetricsListen" "127.0.0.1:9489" "$top_srcdir/etc/dmarc-milter.conf"

tap_done
