# reports.sh: what the report tests share (t-reports.sh, t-reports-milter.sh):
# the lab's set-up, dmarc-reports' configuration in it, and a wait for
# mail through the lab's Postfix. Sourced after tests/lab/lab.sh.
# shellcheck shell=bash

# rp_lab_start: the lab's DNS and Postfix, with the report destinations'
# domains as mailboxes of the lab, rua-no.test's too (a report sent there
# by mistake must arrive to be seen); sets INBOX, the Maildir
rp_lab_start() {
	lab_init
	lab_nsd_start
	lab_postfix_start
	postconf -e "virtual_mailbox_domains = recipient.test reports.rpt-in.test rua-ok.test rua-no.test"
	postfix reload >>"$LAB/log/postfix-start.log" 2>&1
	# shellcheck disable=SC2034 # read by the scripts that source this
	INBOX=$LAB/mail/inbox
}

# rp_write_conf FILE: dmarc-reports' configuration, mailing through the
# lab's Postfix, its state and counters under $LAB
rp_write_conf() {
	cat >"$1" <<EOF2
Socket unix:$LAB/run/unused.sock
PublicSuffixList $LAB_PSL
ReportContact dmarc-reports@mx.test
ReportOrgName The lab
ReportCommand /usr/sbin/sendmail -t
ReportStateDirectory $LAB/state
ReportStatsFile $LAB/reports.prom
Syslog false
EOF2
}

# rp_wait COUNT N: until the command COUNT prints at least N and Postfix's
# queue is empty, then half a second for anything more; true when COUNT
# then prints N exactly (30 s at most)
rp_wait() {
	local i=0
	while [ "$("$1")" -lt "$2" ] || ! postqueue -p | grep -q 'Mail queue is empty'; do
		i=$((i + 1))
		[ "$i" -lt 300 ] || return 1
		sleep 0.1
	done
	sleep 0.5       # and nothing more comes
	[ "$("$1")" -eq "$2" ]
}
