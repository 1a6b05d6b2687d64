#!/bin/bash
# t-reports-milter.sh: aggregate reports from mail the milter judged. A
# known mix goes through the lab's Postfix and dmarc-milter (SPF checked
# here, RejectFailures on): for three p=reject domains, mail from each
# one's authorised address (a pass) and spoofs (rejected). The milter
# writes its HistoryFile; dmarc-reports mails the reports through Postfix
# into the lab's Maildir; tests/report/reports_check.py, which shares no
# code with ours, checks each mail and its XML against the schema and
# adds up the counts per domain, disposition and result. They must equal
# the mix sent and the milter's own /metrics counters: one verdict, one
# count. The domain whose rua is not authorized gets nothing, a second
# run sends nothing, and a HistoryFile that cannot be written holds no
# mail up: it is counted on /metrics.
set -eu

. "$(dirname "$0")/../lab/lab.sh"
# shellcheck source=tests/report/reports.sh
. "$(dirname "$0")/reports.sh"
[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
for tool in python3 xmllint curl swaks; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
REPORTS=$top_builddir/dmarc-reports
[ -x "$REPORTS" ] || tap_skip_all "no $REPORTS (make builds it)"
CHECK="python3 $top_srcdir/tests/report/reports_check.py"
XSD=$top_srcdir/tests/report/rfc9990.xsd
URL=http://127.0.0.1:9489/metrics
lab_enter "$@"
rp_lab_start
HIST=$LAB/history/mx
mkdir -p "$LAB/history"

lab_snmpd_start
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"MetricsListen 127.0.0.1:9489" "HistoryFile $HIST" \
	"FailureReports true" "FailureReportsRateLimit 2" \
	"AgentX true" "AgentXSocket $LAB/snmp/agentx.sock" "AgentXPingInterval 1"

# send DOMAIN IP N NAME: N messages From DOMAIN, MAIL FROM DOMAIN, from IP
send() {
	local i
	for i in $(seq 1 "$3"); do
		lab_send "$4$i" --from "news@$1" --xclient-addr "$2" \
			--header "From: News <news@$1>" --header "Subject: $4 $i"
	done
}
send d0.rpt-in.test 192.0.2.70 3 inpass
send d0.rpt-in.test 192.0.2.99 2 inspoof
send d0.rpt-ext.test 192.0.2.71 2 extpass
send d0.rpt-ext.test 192.0.2.99 3 extspoof
send d0.rpt-bad.test 192.0.2.72 1 badpass
send d0.rpt-bad.test 192.0.2.99 1 badspoof
like "$(lab_reply inpass1)" '^250 ' "an authorised sender's mail is accepted"
like "$(lab_reply inspoof1)" '^550 5\.7\.1 ' "a spoof is rejected"

# metric NAME{LABELS}: one series' value at /metrics (0 when absent)
metric() {
	curl -sS --max-time 10 "$URL" | awk -v s="$1" '$1 == s { v = $2 } END { print v + 0 }'
}
is "$(metric 'dmarc_milter_history_records_total{outcome="written"}')" 12 \
	"/metrics: twelve history records written"
is "$(metric 'dmarc_milter_history_records_total{outcome="failed"}')" 0 \
	"/metrics: none lost"
is "$(grep -c '^job ' "$HIST")" 12 "the HistoryFile holds twelve records"
like "$(grep -A40 "^job " "$HIST" | grep -m1 '^ruf\|^fo ')" '^fo 2$' \
	"the record keeps the published fo=1"

# The mix, as the history says it and as /metrics counts it: the same.
want=$($CHECK expect "$HIST")
is "$want" "d0.rpt-bad.test pass fail pass 1
d0.rpt-bad.test reject fail fail 1
d0.rpt-ext.test pass fail pass 2
d0.rpt-ext.test reject fail fail 3
d0.rpt-in.test pass fail pass 3
d0.rpt-in.test reject fail fail 2" "the history holds the mix sent"
from_metrics() {
	local d
	for d in d0.rpt-bad.test d0.rpt-ext.test d0.rpt-in.test; do
		printf '%s pass %s\n' "$d" \
			"$(metric "dmarc_milter_messages_total{domain=\"$d\",policy=\"reject\",result=\"pass\"}")"
		printf '%s reject %s\n' "$d" \
			"$(metric "dmarc_milter_dispositions_total{domain=\"$d\",policy=\"reject\",disposition=\"reject\"}")"
	done
}
by_disposition() {
	awk '{ n[$1 " " $2] += $5 } END { for (k in n) print k, n[k] }' | sort
}
metrics_view=$(from_metrics | sort)
is "$(printf '%s\n' "$want" | by_disposition)" "$metrics_view" \
	"per domain and disposition, the history equals /metrics"

# --- failure reports: d0.rpt-in.test asks for them (ruf, fo=1) ---------------
# failure_mails: the failure reports delivered so far
failure_mails() {
	grep -l 'report-type=feedback-report' \
		"$INBOX"/new/* 2>/dev/null || true
}
fr_metric() {
	metric "dmarc_milter_failure_reports_total{outcome=\"$1\"}"
}
i=0
while [ "$(failure_mails | wc -l)" -lt 2 ] && [ "$i" -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
sleep 0.5
is "$(failure_mails | wc -l)" 2 "two failure reports, one per spoof of d0.rpt-in.test"
is "$(failure_mails | xargs -r grep -h '^Delivered-To:' | sort -u)" \
	"Delivered-To: ruf@reports.rpt-in.test" "... both to its ruf address"
fr_check=$(failure_mails | head -n 1 | xargs -r python3 -c '
import email, email.policy, sys
m = email.message_from_binary_file(open(sys.argv[1], "rb"), policy=email.policy.default)
# (Python reads the feedback-report part as a message with a text/plain body)
parts = [p.get_content_type() for p in m.walk()]
fb = [p for p in m.walk() if p.get_content_type() == "message/feedback-report"]
hd = [p for p in m.walk() if p.get_content_type() == "text/rfc822-headers"]
fields = {}
if fb:
    raw = fb[0].get_payload()
    raw = raw[0].as_string() if isinstance(raw, list) else raw
    for line in str(raw).splitlines():
        k, _, v = line.partition(":")
        fields.setdefault(k.strip().lower(), v.strip())
orig = hd[0].get_payload(decode=True).decode() if hd else ""
print(" ".join(parts))
print(fields.get("feedback-type"), fields.get("auth-failure"),
      fields.get("reported-domain"), fields.get("source-ip"))
print("subject-kept" if "Subject: inspoof" in orig else "subject-missing")
')
is "$fr_check" "multipart/report text/plain message/feedback-report text/plain text/rfc822-headers
auth-failure dmarc d0.rpt-in.test 192.0.2.99
subject-kept" "an RFC 6591 report: the three parts, auth-failure dmarc, the domain, the source, the original header"
is "$(fr_metric sent)" 2 "/metrics: two failure reports sent"
is "$(fr_metric refused)" 1 "/metrics: d0.rpt-bad.test's unverified ruf at rua-no.test refused"
unlike "$(failure_mails | xargs -r grep -h '^Delivered-To:')" 'rua-no' \
	"nothing for the unverified destination"
send d0.rpt-in.test 192.0.2.99 1 thirdspoof
sleep 1
is "$(fr_metric rate_limited)" 1 "a third spoof within the hour: over FailureReportsRateLimit 2"
is "$(failure_mails | wc -l)" 2 "... and no third report"
is "$(metric 'dmarc_milter_history_records_total{outcome="written"}')" 13 \
	"the third spoof is recorded all the same"
want=$($CHECK expect "$HIST")
metrics_view=$(from_metrics | sort)
# snmp_total N: dmarcTotals.N through snmpd (the subagent's)
snmp_total() {
	snmpget -v2c -c public -Oqv -t 2 -r 1 "$LAB_SNMP_AGENT" "$LAB_SNMP_TOTALS.$1.0" 2>&1
}
is "$(snmp_total 14) $(snmp_total 15) $(snmp_total 16)" "13 0 2" \
	"SNMP: dmarcHistoryRecords, dmarcHistoryFailures, dmarcFailureReports as /metrics has them"

# --- the reports ---------------------------------------------------------------
rp_write_conf "$LAB/reports.conf"
END=$(( ($(date +%s) / 86400 + 1) * 86400 ))
run_reports() {
	"$REPORTS" -v -c "$LAB/reports.conf" --history "$HIST" --end "$END" \
		>"$LAB/out/run.out" 2>"$LAB/out/run.log"
}
report_mails() {
	find "$INBOX/new" "$INBOX/cur" -type f \
		-exec grep -l '^Subject: Report Domain:' {} + 2>/dev/null | wc -l
}
wait_reports() {
	rp_wait report_mails "$1"
}
st=0
run_reports || st=$?
is "$st" 0 "dmarc-reports exits 0"
wait_reports 2 || diag "delivered: $(report_mails); $(cat "$LAB/out/run.log")"
is "$(report_mails)" 2 "two reports delivered through Postfix"
like "$(cat "$LAB/out/run.log")" 'for d0\.rpt-bad\.test: not sent to dmarc@rua-no\.test' \
	"the unauthorized destination is named and skipped"
# the reports alone (the lab's inbox holds the mix's accepted mail too)
mkdir -p "$LAB/reports/new"
find "$INBOX/new" -type f -exec grep -q '^Subject: Report Domain:' {} \; \
	-exec cp {} "$LAB/reports/new/" \;
mails=$($CHECK mails "$LAB/reports" "$XSD" mx.test)
unlike "$mails" '^bad ' "each report passes the checks (schema, subject, name)"
unlike "$mails" 'rua-no\.test' "nothing for the unverified rua-no.test"
is "$($CHECK counts "$LAB/reports" "$XSD" mx.test)" \
	"$(printf '%s\n' "$want" | grep -v '^d0\.rpt-bad\.test ')" \
	"the reports count the mix sent, per domain, disposition, DKIM and SPF"
got=$($CHECK counts "$LAB/reports" "$XSD" mx.test | by_disposition)
is "$got" "$(printf '%s\n' "$metrics_view" | grep -v '^d0\.rpt-bad\.test ')" \
	"the reports equal /metrics, per domain and disposition"
st=0
run_reports || st=$?
sleep 1
is "$(report_mails)" 2 "a second run sends nothing"

# --- IgnoreMailTo: a message to listed recipients only is not recorded -------
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"MetricsListen 127.0.0.1:9489" "HistoryFile $HIST" \
	"IgnoreMailTo postmaster@elsewhere.test, recipient.test"
before=$(grep -c '^job ' "$HIST")
send d0.rpt-in.test 192.0.2.70 1 ignored
like "$(lab_reply ignored1)" '^250 ' "IgnoreMailTo: the mail is accepted"
is "$(grep -c '^job ' "$HIST")" "$before" \
	"IgnoreMailTo recipient.test: a message to it alone is not recorded"
lab_send alsoelse --from news@d0.rpt-in.test --xclient-addr 192.0.2.70 \
	--header "From: News <news@d0.rpt-in.test>" \
	--to "alsoelse@recipient.test,someone@rua-ok.test"
like "$(lab_reply alsoelse)" '^250 ' "a message to a listed and an unlisted recipient"
is "$(grep -c '^job ' "$HIST")" "$((before + 1))" "... is recorded"

# --- logrotate: the file renamed, SIGHUP, the next record in a new file ------
mv "$HIST" "$HIST.1"
kill -HUP "$(cat "$LAB/run/dmarc-milter.pid")"
sleep 1
lab_send rotated --from news@d0.rpt-in.test --xclient-addr 192.0.2.70 \
	--header "From: News <news@d0.rpt-in.test>" --to rotated@rua-ok.test
like "$(lab_reply rotated)" '^250 ' "after logrotate's rename and SIGHUP, mail flows"
is "$(grep -c '^job ' "$HIST" 2>/dev/null)" 1 "... and its record starts a new HistoryFile"
is "$(grep -c '^job ' "$HIST.1")" "$((before + 1))" "the rotated file keeps what it had"

# --- a HistoryFile that cannot be written holds no mail up -------------------
rm -rf "$LAB/history"     # logrotate's mistake: no directory to reopen in
kill -HUP "$(cat "$LAB/run/dmarc-milter.pid")"
sleep 1
# to an address IgnoreMailTo does not list, so that it is to be recorded
lab_send lost --from news@d0.rpt-in.test --xclient-addr 192.0.2.70 \
	--header "From: News <news@d0.rpt-in.test>" --to lost@rua-ok.test
like "$(lab_reply lost)" '^250 ' "history gone: the mail is still accepted"
is "$(metric 'dmarc_milter_history_records_total{outcome="failed"}')" 1 \
	"/metrics counts the lost record"
like "$(lab_milter_log)" 'HistoryFile .*: cannot open: .*record\(s\) not written \(mail is not affected\)' \
	"the log says so"

tap_done
