#!/bin/bash
# demo.sh: dmarc-milter at work behind a real Postfix, with the shipped
# configuration. Run as root from the top of the built tree:
#
#   sh scripts/demo.sh
#
# It builds a throw-away lab in private namespaces (tests/lab/lab.sh): a DNS
# server that answers for a few test domains, a private Postfix on
# 127.0.0.1:2525, a private snmpd (AgentX master) and dmarc-milter started
# with etc/dmarc-milter.conf, changed only where the lab needs it (printed
# below). It sends a spoof of paypal.com, a genuine paypal.com message and
# an example.net newsletter through a forwarder, shows what happened to each
# (the SMTP replies, the delivered headers, the hold queue, the logs), then
# what an operator looks at: the /metrics lines, the SNMP table (snmptable
# with DMARC-MILTER-MIB) and, when the milter keeps a history, the aggregate
# report dmarc-reports would send; the same numbers side by side. Then it
# tears everything down. Nothing outside the namespaces is touched (the
# SMIv2 base MIBs snmptable needs are fetched with npm into a temporary
# directory first, as the tests do), no mail leaves the machine.
# DM_MILTER overrides the daemon's path, LAB_KEEP=1 keeps the lab directory.
if [ -z "${BASH_VERSION:-}" ]; then
	exec bash "$0" "$@"
fi
set -eu

top=$(cd "$(dirname "$0")/.." && pwd)
: "${top_srcdir:=$top}"
: "${top_builddir:=$top}"
export top_srcdir top_builddir
LAB_DEMO=1

# shellcheck source=tests/lab/lab.sh
. "$top_srcdir/tests/lab/lab.sh"
# shellcheck source=tests/agentx/basemibs.sh
. "$top_srcdir/tests/agentx/basemibs.sh"
if [ ! -x "$DM_MILTER" ]; then
	echo "demo.sh: no daemon at $DM_MILTER: build it first (./configure && make)" >&2
	exit 1
fi
# snmptable reads the MIB, which imports the SMIv2 base modules that
# Debian's main archive lacks: npm fetches them (npm's cache and logs in
# the same temporary directory) before the lab's network namespace, which
# has no way out, is entered. Without them the table is read by number.
if [ "${LAB_IN_NS:-}" != 1 ] && [ "$(id -u)" -eq 0 ]; then
	DEMO_MIBTMP=$(mktemp -d /tmp/dm-demomibs.XXXXXX)
	trap 'rm -rf "$DEMO_MIBTMP"' EXIT
	DEMO_BASEMIBS=$(npm_config_cache=$DEMO_MIBTMP/npm \
		npm_config_update_notifier=false \
		ax_fetch_basemibs "$DEMO_MIBTMP") || DEMO_BASEMIBS=
	export DEMO_MIBTMP DEMO_BASEMIBS
fi
lab_enter "$@"
[ -z "${DEMO_MIBTMP:-}" ] || trap 'rm -rf "$DEMO_MIBTMP"' EXIT
DM_REPORTS=${DM_REPORTS:-$top_builddir/dmarc-reports}

SHIPPED=$top_srcdir/etc/dmarc-milter.conf
[ -f "$SHIPPED" ] || lab_die "missing $SHIPPED"

say() { printf '%s\n' "$@"; }
if [ -t 1 ]; then
	title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	title() { printf '\n== %s\n' "$*"; }
fi
indent() { sed 's/^/    /'; }

# demo_config OUT [LINE...]: the shipped file with the lab's changes, and
# the given "Key value" lines added at the end; the changes go to
# OUT.changes as "- old" / "+ new" lines.
demo_config() {
	local out=$1
	shift
	awk -v sock="unix:$LAB_SOCK" -v pid="$LAB/run/dmarc-milter.pid" \
		-v changes="$out.changes" -v extra="$(printf '%s\n' "$@")" '
	function change(old, new) {
		if (old != "") print "  - " old >changes
		if (new != "") { print "  + " new >changes; print new }
	}
	/^[ \t]*#/ || /^[ \t]*$/ { print; next }
	{
		key = tolower($1)
		if (key == "socket") { change($0, "Socket " sock); seen["socket"] = 1; next }
		if (key == "umask") { change($0, "UMask 0000"); seen["umask"] = 1; next }
		if (key == "pidfile") { change($0, "PidFile " pid); next }
		if (key == "syslog") { change($0, "Syslog false"); next }
		if (key == "userid") { change($0, ""); next }
		print
	}
	END {
		if (!seen["socket"]) change("", "Socket " sock)
		if (!seen["umask"]) change("", "UMask 0000")
		n = split(extra, add, "\n")
		for (i = 1; i <= n; i++)
			if (add[i] != "") change("", add[i])
	}' "$SHIPPED" >"$out"
}

# demo_outcome NAME: what became of the message sent as NAME
demo_outcome() {
	local name=$1 reply f i=0
	reply=$(lab_reply "$name")
	say "  Postfix answered the end of the message with:"
	say "$reply" | indent
	case $reply in
	5*)
		say "  => REJECTED during the SMTP session: the message never entered the"
		say "     queue; the sending server has to tell its user."
		return 0 ;;
	4*)
		say "  => TEMPORARILY REFUSED: the sending server keeps it and retries."
		return 0 ;;
	esac
	while :; do
		if _lab_in_hold "$name"; then
			say "  => ACCEPTED, then put on HOLD (quarantine). postqueue -j shows:"
			lab_queue "$name" | indent
			say "     Its headers (postcat -h -q $(lab_queue_id "$name")):"
			postcat -h -q "$(lab_queue_id "$name")" 2>/dev/null |
				grep -iE '^(Authentication-Results|From):' | indent
			return 0
		fi
		if f=$(lab_wait_delivered "$name" 0 2>/dev/null); then
			say "  => DELIVERED to the mailbox, with these headers:"
			sed '/^$/q' "$f" | grep -iE '^(Authentication-Results|From|Subject):' | indent
			return 0
		fi
		i=$((i + 1))
		if [ "$i" -gt 100 ]; then
			say "  => neither delivered nor held after 10 s; see the Postfix log below."
			return 0
		fi
		sleep 0.1
	done
}

# demo_round CONFIG: start the milter with CONFIG, send the two messages,
# show what happened and what was logged.
demo_round() {
	local conf=$1 round=$2 ids
	if ! "$DM_MILTER" -n -c "$conf" >"$LAB/out/check$round.txt" 2>&1; then
		cat "$LAB/out/check$round.txt"
		lab_die "$DM_MILTER -n rejects $conf"
	fi
	say "  Started: $DM_MILTER -f -c $conf"
	lab_milter_start_file "$conf"

	title "$round.1 A spoof: From: PayPal <service@paypal.com>, sent from 192.0.2.66"
	say "  (MAIL FROM:<help@paypal.com>; 192.0.2.66 is not in paypal.com's SPF record)"
	lab_send "spoof$round" --from help@paypal.com --xclient-addr 192.0.2.66 \
		--header 'From: PayPal <service@paypal.com>' \
		--header 'Subject: Your account is limited'
	demo_outcome "spoof$round"

	title "$round.2 The genuine sender: the same message from 192.0.2.10"
	lab_send "genuine$round" --from help@paypal.com --xclient-addr 192.0.2.10 \
		--header 'From: PayPal <service@paypal.com>' \
		--header 'Subject: Your monthly statement'
	demo_outcome "genuine$round"

	title "$round.3 A newsletter of example.net, through a forwarder at 192.0.2.66"
	say "  (example.net publishes p=quarantine and asks for aggregate reports;"
	say "   the forwarder is not in its SPF record and the message is not signed)"
	lab_send "forwarded$round" --from news@example.net --xclient-addr 192.0.2.66 \
		--header 'From: Example News <news@example.net>' \
		--header 'Subject: This week at example.net'
	demo_outcome "forwarded$round"

	title "$round.4 The logs"
	say "  dmarc-milter (standard error, as with -f):"
	awk '/^--- / { n = 0; delete l; next } { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i] }' "$LAB/log/milter.log" | indent
	say "  Postfix, about these three messages:"
	ids=$(sed -n 's/.* \([0-9A-F]\{6,\}\): client=.*\[192\.0\.2\.\(66\|10\)\]$/\1/p' \
		"$LAB/log/postfix.log" | tail -n 3 | paste -sd '|' -)
	grep -E "(${ids:-none}): (milter-|to=)" "$LAB/log/postfix.log" |
		sed 's/^.*postfix/postfix/' | indent || true
}

# --- what an operator looks at -----------------------------------------------

DEMO_DOMAINS="paypal.com example.net"
DEMO_METRICS=http://127.0.0.1:9489/metrics

# demo_metric_rows: "DOMAIN pass fail quarantine reject" per demo domain,
# from /metrics (the policy labels added up)
demo_metric_rows() {
	curl -sS --max-time 10 "$DEMO_METRICS" 2>/dev/null | awk -v doms="$DEMO_DOMAINS" '
		function label(k,   v) {
			if (!match($1, k "=\"[^\"]*\"")) return ""
			return substr($1, RSTART + length(k) + 2, RLENGTH - length(k) - 3)
		}
		/^dmarc_milter_messages_total\{/ { n[label("domain"), label("result")] += $2 }
		/^dmarc_milter_dispositions_total\{/ {
			n[label("domain"), label("disposition")] += $2 }
		END {
			split(doms, d, " ")
			for (i = 1; i in d; i++)
				print d[i], n[d[i], "pass"] + 0, n[d[i], "fail"] + 0,
				    n[d[i], "quarantine"] + 0, n[d[i], "reject"] + 0
		}'
}

# demo_snmp_rows: the same from the subagent, by number (dmarcDomainEntry:
# 2 name, 4 pass, 5 fail, 9 quarantine, 10 reject), whatever MIBs exist
DEMO_ENTRY=.1.3.6.1.4.1.8072.9999.9999.7489.1.1.1
demo_snmp_rows() {
	snmpwalk -v2c -c public -On -Oe -t 2 -r 1 "$LAB_SNMP_AGENT" "$DEMO_ENTRY" 2>/dev/null |
		awk -v p="$DEMO_ENTRY." -v doms="$DEMO_DOMAINS" '
		index($1, p) == 1 {
			split(substr($1, length(p) + 1), a, ".")
			v = $0
			sub(/^[^=]*= [^:]*: /, "", v)
			gsub(/"/, "", v)
			if (a[1] == 2) name[a[2]] = v
			else col[a[2], a[1]] = v
		}
		END {
			for (r in name) {
				dom = name[r]
				for (c = 4; c <= 10; c++) sum[dom, c] += col[r, c]
			}
			split(doms, d, " ")
			for (i = 1; i in d; i++)
				print d[i], sum[d[i], 4] + 0, sum[d[i], 5] + 0,
				    sum[d[i], 9] + 0, sum[d[i], 10] + 0
		}'
}

# demo_report_rows FILE.xml.gz: "DOMAIN pass fail quarantine reject" of one
# aggregate report (a row passes when its DKIM or SPF evaluated pass)
demo_report_rows() {
	zcat "$1" | python3 -c '
import sys, xml.etree.ElementTree as ET
root = ET.parse(sys.stdin).getroot()
def t(e, path):
    x = e.find(path)
    return x.text if x is not None and x.text else ""
for e in root.iter():
    e.tag = e.tag.split("}")[-1]
n = {"pass": 0, "fail": 0, "quarantine": 0, "reject": 0}
for rec in root.findall("record"):
    c = int(t(rec, "row/count") or 0)
    ev = rec.find("row/policy_evaluated")
    ok = "pass" in (t(ev, "dkim"), t(ev, "spf"))
    n["pass" if ok else "fail"] += c
    d = t(ev, "disposition")
    if d in ("quarantine", "reject"):
        n[d] += c
print(t(root, "policy_published/domain"), n["pass"], n["fail"],
      n["quarantine"], n["reject"])'
}

# demo_report_show FILE.xml.gz: the report, short: who, when, what policy,
# one line per row
demo_report_show() {
	zcat "$1" | python3 -c '
import sys, time, xml.etree.ElementTree as ET
root = ET.parse(sys.stdin).getroot()
for e in root.iter():
    e.tag = e.tag.split("}")[-1]
def t(e, path):
    x = e.find(path)
    return x.text if x is not None and x.text else "-"
def day(s):
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(int(s)))
m = root.find("report_metadata")
print("from %s <%s>, report %s" % (t(m, "org_name"), t(m, "email"), t(m, "report_id")))
print("%s to %s UTC, policy published by %s: p=%s" % (
    day(t(m, "date_range/begin")), day(t(m, "date_range/end")),
    t(root, "policy_published/domain"), t(root, "policy_published/p")))
print("%-15s %5s  %-12s %-5s %-5s %s" % ("source_ip", "count", "disposition",
      "dkim", "spf", "envelope_from"))
for r in root.findall("record"):
    print("%-15s %5s  %-12s %-5s %-5s %s" % (t(r, "row/source_ip"),
        t(r, "row/count"), t(r, "row/policy_evaluated/disposition"),
        t(r, "row/policy_evaluated/dkim"), t(r, "row/policy_evaluated/spf"),
        t(r, "identifiers/envelope_from")))'
}

# demo_reports: run dmarc-reports over the lab's history into
# $LAB/reports (today's interval closed by an end time tomorrow); print
# the files it wrote
demo_reports() {
	[ -s "$LAB/run/history.dat" ] || return 0
	mkdir -p "$LAB/reports"
	"$DM_REPORTS" -c "$DEMO_CONF" --outdir "$LAB/reports" \
		--end $(($(date +%s) + 86400)) >"$LAB/log/reports.log" 2>&1 || true
	find "$LAB/reports" -name '*.xml.gz' | sort
}

demo_numbers() {
	local reports f

	title "3. What an operator looks at"
	say "  The counters count since the milter's last start. Everything below is"
	say "  what you would query on a production host, with the shipped settings"
	say "  plus AgentX."

	title "3.1 Prometheus: curl -s $DEMO_METRICS"
	curl -sS --max-time 10 "$DEMO_METRICS" 2>&1 |
		grep -E "^dmarc_milter_(messages|dispositions)_total\\{domain=\"(${DEMO_DOMAINS// /|})\"" |
		grep -v ' 0$' | indent || say "  (no lines: see $LAB/log/milter.log)"

	title "3.2 SNMP: snmptable -v2c -c public -m DMARC-MILTER-MIB $LAB_SNMP_AGENT dmarcDomainTable"
	if [ -n "${DEMO_BASEMIBS:-}" ]; then
		snmptable -v2c -c public -M "$DEMO_BASEMIBS:$AX_NETSNMP_MIBS" \
			-m DMARC-MILTER-MIB -Cb -Ci "$LAB_SNMP_AGENT" \
			DMARC-MILTER-MIB::dmarcDomainTable 2>&1 | indent
	else
		say "  (npm could not fetch the SMIv2 base MIBs snmptable needs: the same"
		say "   table from snmpwalk -On $LAB_SNMP_AGENT $DEMO_ENTRY, by column number)"
		snmpwalk -v2c -c public -On "$LAB_SNMP_AGENT" "$DEMO_ENTRY" 2>&1 |
			awk -v p="$DEMO_ENTRY." '
			index($1, p) == 1 {
				split(substr($1, length(p) + 1), a, ".")
				v = $0
				sub(/^[^=]*= [^:]*: /, "", v)
				gsub(/"/, "", v)
				if (a[1] == 3) v = v == 1 ? "none" : v == 2 ? "quarantine" : \
				    v == 3 ? "reject" : v == 4 ? "absent" : v
				val[a[2], a[1]] = v
				if (a[2] > n) n = a[2]
			}
			END {
				printf "%5s %12s %10s %4s %4s %4s %9s %9s %10s %6s\n", "index",
				    "Name", "Policy", "Pass", "Fail", "None", "TempError",
				    "PermError", "Quarantine", "Reject"
				for (i = 1; i <= n; i++)
					printf "%5s %12s %10s %4s %4s %4s %9s %9s %10s %6s\n", i,
					    val[i, 2], val[i, 3], val[i, 4], val[i, 5], val[i, 6],
					    val[i, 7], val[i, 8], val[i, 9], val[i, 10]
			}' | indent
	fi

	title "3.3 The aggregate report dmarc-reports would send"
	reports=
	if [ ! -x "$DM_REPORTS" ]; then
		say "  (no $DM_REPORTS in this build)"
	else
		reports=$(demo_reports)
		if [ -z "$reports" ]; then
			say "  (no report: this milter wrote no record to its HistoryFile)"
		fi
		for f in $reports; do
			say "  ${f##*/}, decoded:"
			demo_report_show "$f" | indent
		done
		[ -z "$reports" ] || say "  paypal.com asks for no reports (no rua= in its record): none is made."
	fi

	title "3.4 The same numbers, side by side"
	demo_side_by_side "$reports"
}

# demo_side_by_side REPORTS: per demo domain, its counts from /metrics,
# from the subagent and from the reports (when any was made)
demo_side_by_side() {
	local reports=$1 m s r d src rows line agree=yes
	m=$(demo_metric_rows)
	s=$(demo_snmp_rows)
	r=$(for f in $reports; do demo_report_rows "$f"; done)
	printf '  %-12s %-9s %5s %5s %11s %7s\n' domain source pass fail quarantine reject
	for d in $DEMO_DOMAINS; do
		for src in /metrics SNMP report; do
			case $src in
			/metrics) rows=$m ;;
			SNMP) rows=$s ;;
			report) [ -n "$reports" ] || continue; rows=$r ;;
			esac
			line=$(printf '%s\n' "$rows" | awk -v d="$d" '$1 == d { print $2, $3, $4, $5 }')
			if [ -z "$line" ]; then
				printf '  %-12s %-9s %s\n' "$d" "$src" "(none: no rua= in its record)"
				continue
			fi
			# shellcheck disable=SC2086 # the four numbers
			printf '  %-12s %-9s %5s %5s %11s %7s\n' "$d" "$src" $line
			[ "$line" = "$(printf '%s\n' "$m" | awk -v d="$d" '$1 == d { print $2, $3, $4, $5 }')" ] ||
				agree=no
		done
	done
	if [ "$agree" = yes ]; then
		say "  => the same numbers from each source."
	else
		say "  !! the sources disagree: see $LAB/log/milter.log"
	fi
}

# demo_agentx_up: the subagent answers through snmpd
demo_agentx_up() {
	[ -n "$(lab_snmp_total)" ]
}

title "dmarc-milter demo"
say "A private DNS server, Postfix, snmpd and dmarc-milter, in namespaces of their own."
lab_init
if [ -n "${DEMO_BASEMIBS:-}" ]; then
	mkdir -p "$LAB/mibs"
	cp "$DEMO_BASEMIBS"/* "$top_srcdir/agentx/DMARC-MILTER-MIB.txt" "$LAB/mibs/"
	DEMO_BASEMIBS=$LAB/mibs
fi
[ -z "${DEMO_MIBTMP:-}" ] || rm -rf "$DEMO_MIBTMP"
cat >"$LAB/demo.zone" <<'ZONE'
; scripts/demo.sh: a sender that asks for aggregate reports
example.net.		TXT	"v=spf1 ip4:192.0.2.11 -all"
_dmarc.example.net.	TXT	"v=DMARC1; p=quarantine; rua=mailto:dmarc-reports@example.net"
ZONE
LAB_ZONE_EXTRA=$LAB/demo.zone
lab_nsd_start
say "  DNS (nsd on 127.0.0.1:53) publishes, among others:"
{
	grep -E '^(_dmarc\.)?paypal\.com\.[[:space:]]+TXT' "$top_srcdir/tests/lab/root.zone"
	grep -v '^;' "$LAB/demo.zone"
} | awk '{ $2 = $2; print }' | indent
say "  so only 192.0.2.10 may send as paypal.com, and failures are to be rejected;"
say "  only 192.0.2.11 as example.net, and failures are to be quarantined."
lab_snmpd_start
say "  snmpd: a private one on udp:$LAB_SNMP_AGENT, AgentX master on $LAB/snmp/agentx.sock"

title "1. The shipped configuration: $SHIPPED"
# AgentX is off in the shipped file (it needs an snmpd that listens for
# it); the reporting keys only when this build has dmarc-reports.
extra=("AgentX true" "AgentXSocket $LAB/snmp/agentx.sock" "AgentXPingInterval 1")
if [ -x "$DM_REPORTS" ]; then
	extra+=("HistoryFile $LAB/run/history.dat" "ReportContact dmarc-reports@mx.test"
		"ReportOrgName mx.test" "ReportStateDirectory $LAB/run/reports-state")
fi
DEMO_CONF=$LAB/run/dmarc-milter.conf
demo_config "$DEMO_CONF" "${extra[@]}"
say "  Changed for the lab:"
cat "$DEMO_CONF.changes"
say "  Settings in effect (every other key has its default):"
grep -vE '^[[:space:]]*(#|$)' "$DEMO_CONF" | indent
lab_milter_start_file "$DEMO_CONF"
# no trusted ids: the shipped file lists none
# shellcheck disable=SC2119
lab_postfix_start
say "  Postfix: smtpd on 127.0.0.1:2525, smtpd_milters = unix:$LAB_SOCK"
demo_round "$DEMO_CONF" 1

# The shipped file may leave enforcement or SPF checking off; show what the
# two keys an operator turns on change.
enforce=yes
grep -qiE '^[[:space:]]*RejectFailures[[:space:]]+"?(t|y|on|1)' "$DEMO_CONF" || enforce=no
spf=yes
grep -qiE '^[[:space:]]*SPFSelfValidate[[:space:]]+"?(t|y|on|1)' "$DEMO_CONF" || spf=no
if [ "$enforce" = no ] || [ "$spf" = no ]; then
	title "2. The same, with enforcement and SPF checking on"
	say "  The shipped configuration has RejectFailures $([ "$enforce" = yes ] && echo true || echo false) and SPFSelfValidate $([ "$spf" = yes ] && echo true || echo false):"
	[ "$enforce" = yes ] || say "  failing mail is only marked dmarc=fail, never rejected or held;"
	[ "$spf" = yes ] || say "  without SPF (or trusted DKIM/SPF results) even genuine mail cannot pass."
	say "  Round 2 appends to the lab copy:"
	{
		grep -viE '^[[:space:]]*(RejectFailures|SPFSelfValidate)[[:space:]]' "$DEMO_CONF"
		echo "RejectFailures true"
		echo "SPFSelfValidate true"
	} >"$LAB/run/dmarc-milter-2.conf"
	say "  + RejectFailures true" "  + SPFSelfValidate true"
	DEMO_CONF=$LAB/run/dmarc-milter-2.conf
	rm -f "$LAB/run/history.dat"
	demo_round "$DEMO_CONF" 2
fi

# AgentXPingInterval 1: the subagent is registered within a second of start
_lab_wait agentx 10 demo_agentx_up || true
demo_numbers

title "Tearing down the lab"
