#!/bin/bash
# t-agentx.sh: the daemon as the AgentX subagent of a real snmpd, in the
# lab (root, private namespaces, nsd; the MTA side is tests/tools/miltc).
# Each snmpd is private: its own configuration, UDP 127.0.0.1:16161, the
# AgentX socket in the lab directory, no SMUX.
#
#   - registered while the table is empty, rows appear as domains are
#     first seen; after a known mix, snmpwalk -v2c and snmptable show the
#     exact counters, equal to /metrics; the totals and the daemon scalars
#   - SNMPv1 carries no Counter64; SIGTERM stops cleanly (exit 0)
#   - indexes kept across a restart with MetricsStateFile; a counter above
#     2^32 reads exactly
#   - snmpd restarted: back within the ping interval; the milter started
#     before snmpd: attaches when it comes; snmpd absent: mail at full speed
#   - a bulk walk of 10,000 rows (timings as TAP comments)
set -eu

. "$(dirname "$0")/../lab/lab.sh"
. "$(dirname "$0")/basemibs.sh"
[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
# snmptable needs the SMIv2 base MIBs; npm fetches them before the lab's
# network namespace, which has no way out, is entered.
if [ "${LAB_IN_NS:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
	AX_MIBTMP=$(mktemp -d /tmp/dm-axmibs.XXXXXX)
	trap 'rm -rf "$AX_MIBTMP"' EXIT
	AX_BASEMIBS=$(ax_fetch_basemibs "$AX_MIBTMP") || AX_BASEMIBS=
	export AX_MIBTMP AX_BASEMIBS
fi
lab_enter "$@"
# Until lab_init's cleanup takes over (a skip below must not leave it).
[ -z "${AX_MIBTMP:-}" ] || trap 'rm -rf "$AX_MIBTMP"' EXIT
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "OpenDMARC has no AgentX subagent"
MILTC=$top_builddir/tests/tools/miltc
[ -x "$MILTC" ] || tap_skip_all "no $MILTC (make check builds it)"
for tool in snmpd snmpwalk snmpget snmpbulkwalk snmptable curl python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done

lab_init
if [ -n "${AX_BASEMIBS:-}" ]; then
	mkdir -p "$LAB/mibs"
	cp "$AX_BASEMIBS"/* "$top_srcdir/agentx/DMARC-MILTER-MIB.txt" "$LAB/mibs/"
	AX_BASEMIBS=$LAB/mibs
fi
[ -n "${AX_MIBTMP:-}" ] && rm -rf "$AX_MIBTMP"
lab_nsd_start

ROOT=.1.3.6.1.4.1.8072.9999.9999.7489
AGENT=127.0.0.1:16161
SNMP=$LAB/snmp
PING=1
STATE=$LAB/run/metrics.state
METRICS=http://127.0.0.1:9489/metrics
BASE=("SPFSelfValidate true" "RejectFailures true"
	"IgnoreAuthenticatedClients true" "MetricsListen 127.0.0.1:9489"
	"MetricsStateFile $STATE" "AgentX true"
	"AgentXSocket $SNMP/agentx.sock" "AgentXPingInterval $PING")
mkdir -p "$SNMP"

# --- snmpd ---------------------------------------------------------------

snmpd_start() {
	cat >"$SNMP/snmpd.conf" <<EOF
agentAddress udp:$AGENT
master agentx
agentXSocket ${SNMPD_SOCKET:-$SNMP/agentx.sock}
agentXPerms 0660 0700
EOF
	if [ "${SNMPD_COMMUNITY:-1}" = 1 ]; then
		echo "rocommunity public 127.0.0.1" >>"$SNMP/snmpd.conf"
	fi
	if [ -n "${SNMPD_EXTRA:-}" ]; then
		printf '%s\n' "$SNMPD_EXTRA" >>"$SNMP/snmpd.conf"
	fi
	SNMP_PERSISTENT_DIR=$SNMP/persist MIBS='' snmpd -f -Lo -C \
		-c "$SNMP/snmpd.conf" -p "$SNMP/snmpd.pid" -I -smux \
		>>"$LAB/log/snmpd.log" 2>&1 &
	_snmpd_pid=$!
	_lab_pids="$_lab_pids $_snmpd_pid"
	_lab_wait snmpd 10 snmpd_up || lab_die "snmpd does not answer on $AGENT"
}

snmpd_up() {
	case ${SNMPD_SOCKET:-/} in
	/*) [ -S "${SNMPD_SOCKET:-$SNMP/agentx.sock}" ] || return 1 ;;
	esac
	snmpget -v2c -c public -t 1 -r 0 "$AGENT" .1.3.6.1.2.1.1.1.0 |
		grep -q STRING
}

snmpd_stop() {
	kill "$_snmpd_pid" 2>/dev/null || true
	_lab_wait_gone "$_snmpd_pid"
	wait "$_snmpd_pid" 2>/dev/null || true
}

# --- queries ---------------------------------------------------------------

walk() {
	snmpwalk -v2c -c public -On -t 2 -r 1 "$AGENT" "$@" 2>&1 || true
}

# table: "INDEX NAME POLICY PASS FAIL NONE TEMPERROR PERMERROR QUARANTINE
# REJECT" per row, by index, from a walk of dmarcDomainEntry
table() {
	walk "$ROOT.1.1.1" | awk -v p="$ROOT.1.1.1." '
		index($1, p) == 1 {
			split(substr($1, length(p) + 1), a, ".")
			v = $0
			sub(/^[^=]*= [^:]*: /, "", v)
			gsub(/"/, "", v)
			val[a[2], a[1]] = v
			rows[a[2]] = 1
		}
		END {
			for (i in rows) {
				line = i
				for (c = 2; c <= 10; c++)
					line = line " " val[i, c]
				print line
			}
		}' | sort -n
}

# by_name: the table without indexes, sorted by name and policy
by_name() {
	table | cut -d' ' -f2- | sort
}

# metrics_rows: the same lines from /metrics
metrics_rows() {
	curl -sS --max-time 10 "$METRICS" | awk '
		BEGIN { pol["none"] = 1; pol["quarantine"] = 2; pol["reject"] = 3
			pol["absent"] = 4
			col["pass"] = 1; col["fail"] = 2; col["none"] = 3
			col["temperror"] = 4; col["permerror"] = 5
			dcol["quarantine"] = 6; dcol["reject"] = 7 }
		/^dmarc_milter_(messages|dispositions)_total\{domain=/ {
			match($1, /domain="[^"]*"/); d = substr($1, RSTART + 8, RLENGTH - 9)
			match($1, /policy="[^"]*"/); p = substr($1, RSTART + 8, RLENGTH - 9)
			k = d " " pol[p]
			keys[k] = 1
			if ($1 ~ /^dmarc_milter_messages_total/) {
				match($1, /result="[^"]*"/)
				r = substr($1, RSTART + 8, RLENGTH - 9)
				v[k, col[r]] = $2
			} else {
				match($1, /disposition="[^"]*"/)
				r = substr($1, RSTART + 13, RLENGTH - 14)
				if (r in dcol) v[k, dcol[r]] = $2
			}
		}
		END {
			for (k in keys) {
				line = k
				# as read: awk would print large numbers as 5e+09
				for (c = 1; c <= 7; c++)
					line = line " " (((k, c) in v) ? v[k, c] : 0)
				print line
			}
		}' | sort
}

# metric NAME: one series' value from /metrics
metric() {
	curl -sS --max-time 10 "$METRICS" | awk -v k="$1" '$1 == k { print $2 }'
}

# scalars: "N=VALUE ..." for dmarcTotals
scalars() {
	walk "$ROOT.1.2" | awk -v p="$ROOT.1.2." '
		index($1, p) == 1 {
			split(substr($1, length(p) + 1), a, ".")
			printf "%s%s=%s", sep, a[1], $NF; sep = " "
		}
		END { print "" }'
}

connected() {
	grep -c 'agentx: NET-SNMP version .* AgentX subagent connected' \
		"$LAB/log/milter.log" || true
}

# wait_connected N SECONDS: the milter log counts N connections
wait_connected() {
	local i=0
	while [ "$(connected)" -lt "$1" ]; do
		i=$((i + 1))
		[ "$i" -lt $(($2 * 10)) ] || return 1
		sleep 0.1
	done
}

# wait_rows N SECONDS: the walk shows N rows; prints the seconds taken
wait_rows() {
	local t0 t1
	t0=$(date +%s%N)
	while [ "$(table | wc -l)" -ne "$1" ]; do
		t1=$(date +%s%N)
		[ $(((t1 - t0) / 1000000000)) -lt "$2" ] || return 1
		sleep 0.2
	done
	t1=$(date +%s%N)
	echo $(((t1 - t0) / 1000000))
}

# load NAME N CLIENT-IP FROM-DOMAIN [MILTC-ARGS]: N copies over 4
# connections (see lab_load)
load() {
	local name=$1 n=$2
	shift 2
	lab_load "$name" "$n" 4 "$@"
}

loaded() {
	lab_loaded "$@"
}

rate() {
	sed -n 's/^LOAD .* rate=\([0-9.]*\) .*/\1/p' "$LAB/out/$1.load"
}

# milter_term: SIGTERM; the exit status goes to $term_status
milter_term() {
	local pid=$_lab_milter_pid
	term_status=0
	kill "$pid"
	wait "$pid" || term_status=$?
	_lab_milter_pid=
}

# --- registered empty, filled as mail flows --------------------------------

snmpd_start
lab_milter_start "${BASE[@]}"
wait_connected 1 10 && st=0 || st=1
tap_result "$st" "the milter registers with snmpd" "$(lab_milter_log)"
like "$(lab_milter_log)" "agentx: subagent for $SNMP/agentx.sock \(ping every $PING s\)" \
	"the subagent names its master socket"
is "$(table)" "" "the table is empty before any mail"
like "$(walk "$ROOT.1.1")" "No Such (Object|Instance)" \
	"and a walk of it says so"
is "$(scalars)" "1=0 2=0 3=0 4=0 5=0 6=0 7=0 8=0 9=0 10=0 11=0 12=0 13=0 14=0 15=0 16=0" \
	"the totals are zero"
version=$("$DM_MILTER" -V | head -n 1)
like "$(walk "$ROOT.1.3.2")" "= STRING: \"$version\"$" \
	"dmarcMilterVersion: $version"
year=$(date -u +%Y)
like "$(walk "$ROOT.1.3.1")" "= Hex-STRING: $(printf '%02X %02X' $((year >> 8)) $((year & 255))) ([0-9A-F]{2} ){5}00 2B 00 00" \
	"dmarcMilterStartTime: a DateAndTime in UTC, this year"

jobs_pids=""
# name      count client       From domain      expected
load spoof   120 192.0.2.66 paypal.com &       # reject, fail, rejected
jobs_pids="$jobs_pids $!"
load legit    60 192.0.2.10 paypal.com &       # reject, pass, none
jobs_pids="$jobs_pids $!"
load quar     40 192.0.2.66 quarantine.test &  # quarantine, fail, held
jobs_pids="$jobs_pids $!"
load nodmarc  30 192.0.2.40 nodmarc.test &     # absent, none
jobs_pids="$jobs_pids $!"
load broken   10 192.0.2.66 broken.test &      # absent, temperror
jobs_pids="$jobs_pids $!"
load local    20 127.0.0.1 paypal.com &        # IgnoreHosts
jobs_pids="$jobs_pids $!"
load authed   10 192.0.2.66 paypal.com -a bob & # authenticated
jobs_pids="$jobs_pids $!"
for p in $jobs_pids; do
	wait "$p" || true
done
bad=""
for g in spoof:120 legit:60 quar:40 nodmarc:30 broken:10 local:20 authed:10; do
	[ "$(loaded "${g%%:*}")" = "${g#*:} 0" ] ||
		bad="$bad ${g%%:*}:$(loaded "${g%%:*}")"
done
is "$bad" "" "290 messages answered"

EXPECT="broken.test 4 0 0 0 10 0 0 0
nodmarc.test 4 0 0 30 0 0 0 0
paypal.com 3 60 120 0 0 0 0 120
quarantine.test 2 0 40 0 0 0 40 0"
is "$(by_name)" "$EXPECT" \
	"snmpwalk -v2c: rows that appeared after registration, exact counters"
is "$(metrics_rows)" "$EXPECT" "/metrics has the same rows and numbers"
is "$(table | cut -d' ' -f1 | tr '\n' ' ')" "1 2 3 4 " \
	"indexes 1 to 4, one per (domain, policy)"

# A domain first seen now: in the very next walk.
load mon 30 192.0.2.66 none.test
is "$(table | awk '$2 == "none.test"')" "5 none.test 1 0 30 0 0 0 0 0" \
	"none.test, first seen after the others: row 5 at once"
EXPECT="broken.test 4 0 0 0 10 0 0 0
nodmarc.test 4 0 0 30 0 0 0 0
none.test 1 0 30 0 0 0 0 0
paypal.com 3 60 120 0 0 0 0 120
quarantine.test 2 0 40 0 0 0 40 0"
is "$(by_name)" "$EXPECT" "five rows now"
is "$(metrics_rows)" "$EXPECT" "the table still equals /metrics"

is "$(scalars)" "1=60 2=190 3=30 4=10 5=0 6=130 7=40 8=120 9=30 10=5 11=0 12=0 13=0 14=0 15=0 16=0" \
	"totals: per result, per disposition, ignored, domains, overflow"
sum() {
	curl -sS --max-time 10 "$METRICS" |
		awk -v re="$1" '$1 ~ re { s += $2 } END { print s + 0 }'
}
got="$(sum 'result="pass"') $(sum 'result="fail"') $(sum 'disposition="reject"') $(sum '^dmarc_milter_ignored_total') $(metric dmarc_milter_tracked_domains)"
is "$got" "60 190 120 30 5" "the same totals from /metrics"

if [ -n "${AX_BASEMIBS:-}" ]; then
	out=$(snmptable -v2c -c public -M "$AX_BASEMIBS:$AX_NETSNMP_MIBS" \
		-m DMARC-MILTER-MIB -Cf , -Ci -CH "$AGENT" \
		DMARC-MILTER-MIB::dmarcDomainTable 2>&1 || true)
	out=$(printf '%s\n' "$out" | tr -d '"' | awk -F, '
		{ sub(/^index: /, "") } NF == 10 {
			p = $3 == "none" ? 1 : $3 == "quarantine" ? 2 : \
			    $3 == "reject" ? 3 : $3 == "absent" ? 4 : $3
			print $1, $2, p, $4, $5, $6, $7, $8, $9, $10
		}')
	is "$out" "$(table)" "snmptable with the MIB: the same table"
	out=$(snmpget -v2c -c public -M "$AX_BASEMIBS:$AX_NETSNMP_MIBS" \
		-m DMARC-MILTER-MIB "$AGENT" \
		"DMARC-MILTER-MIB::dmarcDomainName.$(table | awk '$2 == "paypal.com" { print $1 }')" \
		DMARC-MILTER-MIB::dmarcDomainPolicy.1 2>&1 || true)
	like "$out" 'dmarcDomainName\.[0-9]+ = STRING: "?paypal\.com"?$' \
		"snmpget by name: dmarcDomainName"
	like "$out" 'dmarcDomainPolicy\.1 = INTEGER: (none|quarantine|reject|absent)\([1-4]\)$' \
		"dmarcDomainPolicy reads as its enumeration"
else
	for d in "snmptable with the MIB: the same table" \
		"snmpget by name: dmarcDomainName" \
		"dmarcDomainPolicy reads as its enumeration"; do
		tap_skip "$d" "npm pack net-snmp failed (no base MIBs)"
	done
fi

out=$(snmpwalk -v1 -c public -On -t 2 -r 1 "$AGENT" "$ROOT.1.1.1" 2>&1 || true)
like "$out" '= STRING: "paypal\.com"' "SNMPv1 walks the names"
unlike "$out" 'Counter64' "but carries no Counter64: Cacti must use v2c or v3"

# The shipped snmpd snippet: Debian's view covers only the system group;
# the snippet's view line opens our subtree.
view=$(grep '^view ' "$top_srcdir/etc/snmpd.conf.d/dmarc-milter.conf")
snmpd_stop
SNMPD_EXTRA="view systemonly included .1.3.6.1.2.1.1
rocommunity public 127.0.0.1 -V systemonly"
SNMPD_COMMUNITY=0
snmpd_start
wait_connected $(($(connected) + 1)) $((PING + 10)) || true
is "$(table)" "" "Debian's view alone: the table is hidden"
snmpd_stop
SNMPD_EXTRA="$SNMPD_EXTRA
$view"
snmpd_start
ms=$(wait_rows 5 $((PING + 10))) && st=0 || st=1
tap_result "$st" "etc/snmpd.conf.d/dmarc-milter.conf's view line shows it" "$view"
snmpd_stop
SNMPD_EXTRA=
SNMPD_COMMUNITY=1
snmpd_start
wait_rows 5 $((PING + 10)) >/dev/null || true

# --- restart with the state file; a counter above 2^32 --------------------

before=$(table | cut -d' ' -f1-3)
milter_term
is "$term_status" 0 "SIGTERM: the daemon exits 0 with the subagent running"
like "$(tail -n 3 "$LAB/log/milter.log")" "stopped|counters saved" \
	"and logs its stop"
# paypal.com's fail and reject counters jump past 2^32 in the saved file.
python3 - "$STATE" <<'EOF'
import sys
path = sys.argv[1]
lines = [l for l in open(path).read().split("\n") if l and not l.startswith("end ")]
out, h = [], 0xcbf29ce484222325
for l in lines:
    f = l.split(" ")
    if f[0] == "row" and f[2] == "paypal.com":
        f[5] = str(int(f[5]) + 5000000000)     # fail
        f[11] = str(int(f[11]) + 5000000000)   # reject
        l = " ".join(f)
    for c in (l + "\n").encode():
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
    out.append(l)
rows = sum(1 for l in out if l.startswith("row "))
open(path, "w").write("\n".join(out) + "\nend %d %016x\n" % (rows, h))
EOF
n=$(connected)
lab_milter_start "${BASE[@]}"
like "$(lab_milter_log)" "MetricsStateFile $STATE: restored 5 rows" \
	"the restart restores the rows"
wait_connected $((n + 1)) 10 || true
is "$(table | cut -d' ' -f1-3)" "$before" \
	"every row keeps its index across the restart"
idx=$(table | awk '$2 == "paypal.com" { print $1 }')
is "$(walk "$ROOT.1.1.1.5.$idx" | sed 's/.*= //')" "Counter64: 5000000120" \
	"dmarcDomainFail above 2^32 reads exactly (5,000,000,120)"
is "$(table | awk '$2 == "paypal.com"' | cut -d' ' -f2-)" \
	"paypal.com 3 60 5000000120 0 0 0 0 5000000120" \
	"the whole paypal.com row"
is "$(by_name)" "$(metrics_rows)" "and /metrics says the same"

# --- snmpd restarts ---------------------------------------------------------

n=$(connected)
snmpd_stop
is "$(table)" "" "snmpd stopped: nothing answers"
load during 50 192.0.2.40 nodmarc.test
is "$(loaded during)" "50 0" "mail flows while snmpd is down"
snmpd_start
ms=$(wait_rows 5 $((PING + 10))) && st=0 || st=1
tap_result "$st" "snmpd restarted: the table is back (${ms:-?} ms, ping interval ${PING} s)"
[ "$st" -eq 0 ] && [ "$ms" -le $(((PING + 4) * 1000)) ] && st=0 || st=1
tap_result "$st" "within the ping interval plus the reconnect (${ms:-?} ms <= $(((PING + 4) * 1000)))"
is "$(table | awk '$2 == "nodmarc.test"' | cut -d' ' -f2-)" \
	"nodmarc.test 4 0 0 80 0 0 0 0" "the messages sent meanwhile are counted"
like "$(lab_milter_log)" "AgentX master disconnected us, reconnecting in $PING" \
	"the log says it lost the master"

# --- the milter before snmpd; snmpd absent -----------------------------------

snmpd_stop
mark=$(($(wc -l <"$LAB/log/milter.log") + 1))
lab_milter_start "${BASE[@]}"
load absent 400 192.0.2.40 nodmarc.test
is "$(loaded absent)" "400 0" "snmpd absent: 400 messages answered"
sleep $((PING * 3))
warn=$(tail -n "+$mark" "$LAB/log/milter.log" |
	grep -c 'agentx: .*Failed to connect to the agentx master' || true)
[ "$warn" -ge 1 ] && [ "$warn" -le 2 ] && st=0 || st=1
tap_result "$st" "an absent master is logged once, not at every retry ($warn lines)"
snmpd_start
ms=$(wait_rows 5 $((PING + 10))) && st=0 || st=1
tap_result "$st" "the milter started first attaches when snmpd comes (${ms:-?} ms)"
is "$(table | awk '$2 == "nodmarc.test"' | cut -d' ' -f2-)" \
	"nodmarc.test 4 0 0 480 0 0 0 0" "with every message counted"

# Mail speed: the same load with AgentX off, with snmpd up, with it
# absent; the best of two runs each, against scheduling noise.
best() {
	awk -v a="$(rate "$1")" -v b="$(rate "$2")" 'BEGIN { print (a > b ? a : b) }'
}
lab_milter_start "${BASE[@]:0:5}" "AgentX false"
load off 400 192.0.2.40 nodmarc.test
load off2 400 192.0.2.40 nodmarc.test
lab_milter_start "${BASE[@]}"
wait_connected $(($(connected) + 1)) 10 || true
load on 400 192.0.2.40 nodmarc.test
load on2 400 192.0.2.40 nodmarc.test
snmpd_stop
lab_milter_start "${BASE[@]}"
load away 400 192.0.2.40 nodmarc.test
load away2 400 192.0.2.40 nodmarc.test
off=$(best off off2)
away=$(best away away2)
# Rates are figures for the notes (tests/bench), not assertions: the
# machines are noisy. What is asserted is that no message waited on the
# absent master long enough to fail (miltc gives up after 20 s).
diag "messages/s over 4 connections, best of two: AgentX off $off, on $(best on on2), snmpd absent $away"
is "$(loaded away) $(loaded away2)" "400 0 400 0" \
	"snmpd absent: every message verdicted, none failed or timed out"

# --- 10,000 rows: a bulk walk ------------------------------------------------

milter_term
is "$term_status" 0 "SIGTERM with snmpd absent: exits 0"
python3 - "$STATE" <<'EOF'
import sys
path = sys.argv[1]
lines = [l for l in open(path).read().split("\n")
         if l and not l.startswith(("end ", "row "))]
for i in range(1, 10001):
    lines.append("row %d d%05d.bench.test reject %d 1 0 0 0 0 0 %d" % (i, i, i, i + 1))
h = 0xcbf29ce484222325
for l in lines:
    for c in (l + "\n").encode():
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(path, "w").write("\n".join(lines) + "\nend 10000 %016x\n" % h)
EOF
snmpd_start
n=$(connected)
lab_milter_start "${BASE[@]}"
wait_connected $((n + 1)) 10 || true
like "$(lab_milter_log)" "restored 10000 rows" "10,000 rows restored"
# snmpd forwards each repetition of a GETBULK to the subagent as one
# AgentX GetNext: a walk costs a round trip per value, whatever -Cr says.
# One column: the best of three runs, against a busy machine.
ms1=
for i in 1 2 3; do
	t0=$(date +%s%N)
	snmpbulkwalk -v2c -c public -On -Cr50 -t 5 -r 1 "$AGENT" "$ROOT.1.1.1.2" \
		>"$LAB/out/bulk1" 2>&1 || true
	t1=$(date +%s%N)
	ms=$(((t1 - t0) / 1000000))
	[ -n "$ms1" ] && [ "$ms1" -le "$ms" ] || ms1=$ms
done
t1=$(date +%s%N)
snmpbulkwalk -v2c -c public -On -Cr50 -t 5 -r 1 "$AGENT" "$ROOT.1.1" \
	>"$LAB/out/bulk" 2>&1 || true
t2=$(date +%s%N)
ms=$(((t2 - t1) / 1000000))
is "$(grep -c "^$ROOT\.1\.1\.1\.2\." "$LAB/out/bulk1")" 10000 \
	"snmpbulkwalk of dmarcDomainName: 10,000 rows"
is "$(grep -c "^$ROOT\.1\.1\.1\." "$LAB/out/bulk")" 90000 \
	"snmpbulkwalk of the table: 10,000 rows x 9 columns"
is "$(grep "^$ROOT\.1\.1\.1\.10\.10000 " "$LAB/out/bulk" | sed 's/.*= //')" \
	"Counter64: 10001" "the last row's last column is exact"
diag "snmpbulkwalk -Cr50, 10,000 rows: one column ${ms1} ms, all 9 columns (90,000 values) ${ms} ms"

# The loopback TCP socket instead of the Unix one.
milter_term
snmpd_stop
SNMPD_SOCKET=tcp:127.0.0.1:17705
snmpd_start
n=$(connected)
lab_milter_start "${BASE[@]}" "AgentXSocket tcp:127.0.0.1:17705"
wait_connected $((n + 1)) 10 && st=0 || st=1
tap_result "$st" "AgentXSocket tcp:127.0.0.1:17705: registers over TCP" \
	"$(tail -n 5 "$LAB/log/milter.log")"
like "$(walk "$ROOT.1.2.10")" '= Gauge32: 10000$' \
	"and serves the counters (10,000 tracked domains)"

milter_term
is "$term_status" 0 "SIGTERM: exits 0"
snmpd_stop

# --- a milter that is not root: agentXPerms with a group ----------------------
# The lab's own passwd and group files, bind-mounted in this mount namespace:
# dmtest is in group dmsnmp, dmother is not. snmpd makes its socket 0660
# root:dmsnmp; the socket's directory is the operator's (snmpd does not
# chown it), here 0755.
cp /etc/passwd "$LAB/run/passwd"
cp /etc/group "$LAB/run/group"
printf '%s\n' "dmtest:x:64101:64101::/nonexistent:/usr/sbin/nologin" \
	"dmother:x:64102:64102::/nonexistent:/usr/sbin/nologin" >>"$LAB/run/passwd"
printf '%s\n' "dmtest:x:64101:" "dmother:x:64102:" "dmsnmp:x:64103:dmtest" \
	>>"$LAB/run/group"
mount --bind "$LAB/run/passwd" /etc/passwd
mount --bind "$LAB/run/group" /etc/group
# The milter, once it is dmtest or dmother, reaches its own files and the
# AgentX socket through the lab directory.
chmod 0711 "$LAB"
chmod 0777 "$LAB/run"
mkdir -m 0755 "$SNMP/x"
SNMPD_SOCKET=$SNMP/x/agentx.sock
SNMPD_EXTRA="agentXPerms 0660 0755 root dmsnmp"
snmpd_start
like "$(stat -c '%A %U %G' "$SNMPD_SOCKET")" '^srw-rw---- root dmsnmp$' \
	"agentXPerms 0660 0755 root dmsnmp: the socket is root:dmsnmp, 0660"
n=$(connected)
lab_milter_start "${BASE[@]}" "AgentXSocket $SNMPD_SOCKET" "UserID dmtest"
wait_connected $((n + 1)) 10 && st=0 || st=1
tap_result "$st" "UserID dmtest (in group dmsnmp): the subagent registers" \
	"$(tail -n 5 "$LAB/log/milter.log")"
is "$(awk '/^Uid:/ { print $2 }' "/proc/$_lab_milter_pid/status")" 64101 \
	"... running as dmtest, not root"
like "$(walk "$ROOT.1.2.10")" '= Gauge32: [0-9]+$' "... and serves the counters"
milter_term
is "$term_status" 0 "SIGTERM as dmtest: exits 0"
lab_milter_start "${BASE[@]}" "AgentXSocket $SNMPD_SOCKET" "UserID dmother"
load nonroot 40 192.0.2.66 paypal.com
like "$(cat "$LAB/out/nonroot.load")" ' replycode=40 .*errors=0$' \
	"UserID dmother (not in dmsnmp): mail is still filtered (40 spoofs rejected)"
# since_start: the milter log since its last start
since_start() {
	awk '/^--- .* starting / { n = NR } { l[NR] = $0 } END { for (i = n; i <= NR; i++) print l[i] }' \
		"$LAB/log/milter.log"
}
i=0
until since_start | grep -q 'agentx: .*Failed to connect' || [ "$i" -ge 50 ]; do
	i=$((i + 1)); sleep 0.1
done
like "$(since_start | grep 'agentx: ')" 'agentx: .*Failed to connect' \
	"... and the log says the subagent cannot reach snmpd"
milter_term
is "$term_status" 0 "SIGTERM as dmother: exits 0"
snmpd_stop

tap_done
