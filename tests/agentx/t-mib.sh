#!/bin/bash
# t-mib.sh: agentx/DMARC-MILTER-MIB.txt lints clean with smilint -l 6,
# resolves with snmptranslate, and its root is the subagent's AX_ROOT_OID.
# The SMIv2 base modules come from `npm pack net-snmp` (basemibs.sh).
set -eu

: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"
. "$top_srcdir/tests/agentx/basemibs.sh"
MIB=$top_srcdir/agentx/DMARC-MILTER-MIB.txt
ROOT=.1.3.6.1.4.1.8072.9999.9999.7489


for tool in smilint snmptranslate npm tar; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
[ -f "$AX_NETSNMP_MIBS/NET-SNMP-MIB.txt" ] ||
	tap_skip_all "no $AX_NETSNMP_MIBS/NET-SNMP-MIB.txt (libsnmp-base)"
T=$(mktemp -d /tmp/dm-mib.XXXXXX)
trap 'rm -rf "$T"' EXIT
BASE=$(ax_fetch_basemibs "$T") ||
	tap_skip_all "npm pack net-snmp failed: no SMIv2 base modules (offline?)"
mkdir "$T/mibs"
cp "$MIB" "$T/mibs/"

# smilint exits 0 even on errors: its output must be empty.
lint() {
	SMIPATH=$BASE:$AX_NETSNMP_MIBS smilint -l 6 -s "$1" 2>&1 || true
}
translate() {
	snmptranslate -M "$BASE:$AX_NETSNMP_MIBS:$T/mibs" -m DMARC-MILTER-MIB \
		"$@" 2>&1 || true
}

is "$(lint "$MIB")" "" "smilint -l 6: no error, no warning"

# The lint can fail: a broken copy is reported.
sed 's/^    SYNTAX      Counter64$/    SYNTAX      Counter65/' "$MIB" \
	>"$T/DMARC-MILTER-MIB.txt"
out=$(lint "$T/DMARC-MILTER-MIB.txt")
case $out in *Counter65*) st=0 ;; *) st=1 ;; esac
tap_result $st "smilint reports a broken copy" "$out"
sed '/^        dmarcDomainReject$/d; s/^        dmarcDomainQuarantine,$/        dmarcDomainQuarantine/' \
	"$MIB" >"$T/DMARC-MILTER-MIB.txt"
out=$(lint "$T/DMARC-MILTER-MIB.txt")
case $out in *dmarcDomainReject*) st=0 ;; *) st=1 ;; esac
tap_result $st "smilint reports an object left out of the groups" "$out"

is "$(translate -On DMARC-MILTER-MIB::dmarcMilterMIB)" "$ROOT" \
	"snmptranslate: dmarcMilterMIB is $ROOT"

# The root in one place: the MIB's and the subagent's agree.
c_root=$(sed -n 's/^#define AX_ROOT_OID \(.*\)$/\1/p' "$top_srcdir/agentx/ax_mib.h" |
	tr -d ' ' | tr ',' '.')
is ".$c_root" "$ROOT" "AX_ROOT_OID in agentx/ax_mib.h is the MIB's root"

# Every object where the subagent serves it.
got=""
for o in dmarcDomainTable:1.1 dmarcDomainEntry:1.1.1 \
	dmarcDomainName:1.1.1.2 dmarcDomainPolicy:1.1.1.3 \
	dmarcDomainPass:1.1.1.4 dmarcDomainFail:1.1.1.5 dmarcDomainNone:1.1.1.6 \
	dmarcDomainTempError:1.1.1.7 dmarcDomainPermError:1.1.1.8 \
	dmarcDomainQuarantine:1.1.1.9 dmarcDomainReject:1.1.1.10 \
	dmarcTotalPass:1.2.1 dmarcTotalFail:1.2.2 dmarcTotalNone:1.2.3 \
	dmarcTotalTempError:1.2.4 dmarcTotalPermError:1.2.5 \
	dmarcTotalDispositionNone:1.2.6 dmarcTotalQuarantine:1.2.7 \
	dmarcTotalReject:1.2.8 dmarcIgnoredMessages:1.2.9 \
	dmarcTrackedDomains:1.2.10 dmarcOverflowMessages:1.2.11 \
	dmarcLocalOverrides:1.2.12 dmarcFromStandins:1.2.13 \
	dmarcHistoryRecords:1.2.14 dmarcHistoryFailures:1.2.15 \
	dmarcFailureReports:1.2.16 \
	dmarcMilterStartTime:1.3.1 dmarcMilterVersion:1.3.2 \
	dmarcMilterCompliance:2.1.1 dmarcDomainGroup:2.2.1 \
	dmarcTotalsGroup:2.2.2 dmarcDaemonGroup:2.2.3; do
	want="$ROOT.${o#*:}"
	have=$(translate -On "DMARC-MILTER-MIB::${o%%:*}")
	[ "$have" = "$want" ] || got="$got ${o%%:*}=$have"
done
is "$got" "" "all 33 objects resolve to the OIDs the subagent serves"

out=$(translate -Td DMARC-MILTER-MIB::dmarcDomainReject)
case $out in *"SYNTAX	Counter64"*"MAX-ACCESS	read-only"*) st=0 ;; *) st=1 ;; esac
tap_result $st "dmarcDomainReject is a read-only Counter64" "$out"
out=$(translate -Tp DMARC-MILTER-MIB::dmarcDomainEntry)
case $out in *"Index: dmarcDomainIndex"*) st=0 ;; *) st=1 ;; esac
tap_result $st "dmarcDomainEntry is indexed by the integer dmarcDomainIndex" "$out"
out=$(translate -Td DMARC-MILTER-MIB::dmarcDomainPolicy)
case $out in *"none(1), quarantine(2), reject(3), absent(4)"*) st=0 ;; *) st=1 ;; esac
tap_result $st "dmarcDomainPolicy: none(1), quarantine(2), reject(3), absent(4)" "$out"

# The base modules are fetched, never part of the tree.
out=$(find "$top_srcdir" -path "$top_srcdir/_build" -prune -o \
	\( -name 'SNMPv2-SMI*' -o -name 'SNMPv2-TC*' -o -name 'SNMPv2-CONF*' \) \
	-print 2>/dev/null | grep -v '/node_modules/' || true)
is "$out" "" "no SMIv2 base module in the source tree"

tap_done
