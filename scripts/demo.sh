#!/bin/bash
# demo.sh: dmarc-milter at work behind a real Postfix, with the shipped
# configuration. Run as root from the top of the built tree:
#
#   sh scripts/demo.sh
#
# It builds a throw-away lab in private namespaces (tests/lab/lab.sh): a DNS
# server that answers for a few test domains, a private Postfix on
# 127.0.0.1:2525 and dmarc-milter started with etc/dmarc-milter.conf, changed
# only where the lab needs it (printed below). It sends a spoof of paypal.com
# and a genuine paypal.com message, shows what happened to each (the SMTP
# replies, the delivered headers, the hold queue, the logs), and tears
# everything down. Nothing outside the namespaces is touched, no mail leaves
# the machine. DM_MILTER overrides the daemon's path, LAB_KEEP=1 keeps the
# lab directory.
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
if [ ! -x "$DM_MILTER" ]; then
	echo "demo.sh: no daemon at $DM_MILTER: build it first (./configure && make)" >&2
	exit 1
fi
lab_enter "$@"

SHIPPED=$top_srcdir/etc/dmarc-milter.conf
[ -f "$SHIPPED" ] || lab_die "missing $SHIPPED"

say() { printf '%s\n' "$@"; }
if [ -t 1 ]; then
	title() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
else
	title() { printf '\n== %s\n' "$*"; }
fi
indent() { sed 's/^/    /'; }

# demo_config OUT: the shipped file with the lab's changes; the changes go
# to OUT.changes as "- old" / "+ new" lines.
demo_config() {
	local out=$1
	awk -v sock="unix:$LAB_SOCK" -v pid="$LAB/run/dmarc-milter.pid" \
		-v changes="$out.changes" '
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

	title "$round.3 The logs"
	say "  dmarc-milter (standard error, as with -f):"
	awk '/^--- / { n = 0; delete l; next } { l[n++] = $0 }
		END { for (i = 0; i < n; i++) print l[i] }' "$LAB/log/milter.log" | indent
	say "  Postfix, about these two messages:"
	ids=$(sed -n 's/.* \([0-9A-F]\{6,\}\): client=.*\[192\.0\.2\.\(66\|10\)\]$/\1/p' \
		"$LAB/log/postfix.log" | tail -n 2 | paste -sd '|' -)
	grep -E "(${ids:-none}): (milter-|to=)" "$LAB/log/postfix.log" |
		sed 's/^.*postfix/postfix/' | indent || true
}

title "dmarc-milter demo"
say "A private DNS server, Postfix and dmarc-milter, in namespaces of their own."
lab_init
lab_nsd_start
say "  DNS (nsd on 127.0.0.1:53) publishes, among others:"
grep -E '^(_dmarc\.)?paypal\.com\.[[:space:]]+TXT' "$top_srcdir/tests/lab/root.zone" |
	awk '{ $2 = $2; print }' | indent
say "  so only 192.0.2.10 may send as paypal.com, and failures are to be rejected."

title "1. The shipped configuration: $SHIPPED"
demo_config "$LAB/run/dmarc-milter.conf"
say "  Changed for the lab:"
cat "$LAB/run/dmarc-milter.conf.changes"
say "  Settings in effect (every other key has its default):"
grep -vE '^[[:space:]]*(#|$)' "$LAB/run/dmarc-milter.conf" | indent
lab_milter_start_file "$LAB/run/dmarc-milter.conf"
# no trusted ids: the shipped file lists none
# shellcheck disable=SC2119
lab_postfix_start
say "  Postfix: smtpd on 127.0.0.1:2525, smtpd_milters = unix:$LAB_SOCK"
demo_round "$LAB/run/dmarc-milter.conf" 1

# The shipped file may leave enforcement or SPF checking off; show what the
# two keys an operator turns on change.
enforce=yes
grep -qiE '^[[:space:]]*RejectFailures[[:space:]]+"?(t|y|on|1)' "$LAB/run/dmarc-milter.conf" || enforce=no
spf=yes
grep -qiE '^[[:space:]]*SPFSelfValidate[[:space:]]+"?(t|y|on|1)' "$LAB/run/dmarc-milter.conf" || spf=no
if [ "$enforce" = no ] || [ "$spf" = no ]; then
	title "2. The same, with enforcement and SPF checking on"
	say "  The shipped configuration has RejectFailures $([ "$enforce" = yes ] && echo true || echo false) and SPFSelfValidate $([ "$spf" = yes ] && echo true || echo false):"
	[ "$enforce" = yes ] || say "  failing mail is only marked dmarc=fail, never rejected or held;"
	[ "$spf" = yes ] || say "  without SPF (or trusted DKIM/SPF results) even genuine mail cannot pass."
	say "  Round 2 appends to the lab copy:"
	{
		grep -viE '^[[:space:]]*(RejectFailures|SPFSelfValidate)[[:space:]]' "$LAB/run/dmarc-milter.conf"
		echo "RejectFailures true"
		echo "SPFSelfValidate true"
	} >"$LAB/run/dmarc-milter-2.conf"
	say "  + RejectFailures true" "  + SPFSelfValidate true"
	demo_round "$LAB/run/dmarc-milter-2.conf" 2
fi

title "Tearing down the lab"
