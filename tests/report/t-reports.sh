#!/bin/bash
# t-reports.sh: dmarc-reports end to end in the lab. Three MXes' history
# files (our writer, through tests/bench/gen_history) hold a known mix for
# five policy domains: two whose rua is inside their organizational
# domain, two whose rua is at rua-ok.test, which authorizes them, and one
# whose rua is at rua-no.test, which does not (tests/lab/root.zone).
# dmarc-reports mails its reports through the lab's Postfix (sendmail -t,
# postdrop, pickup, virtual delivery) into the lab's Maildir, where
# tests/report/reports_check.py, which shares no code with ours, checks
# each mail and its XML (xmllint --schema rfc9990.xsd, then Python's
# parser) and adds up the counts per domain, disposition and DMARC
# result: they must equal the mix in the history files, and the
# ReportStatsFile counter the mails delivered. The unverified destination
# gets nothing, and a second run sends nothing. Then exactly once across
# a crash: dmarc-reports is SIGKILLed by its ReportCommand right after the
# first mail went out, before it could strike that destination off; the
# next run sends every report once, and that one again, the same XML
# under the same report_id.
#
# The history is generated here, for its size and its three MXes;
# tests/report/t-reports-milter.sh sends a mix through Postfix and the
# milter instead, and compares the reports with /metrics too.
set -eu

. "$(dirname "$0")/../lab/lab.sh"
# shellcheck source=tests/report/reports.sh
. "$(dirname "$0")/reports.sh"
[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
for tool in python3 xmllint; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
GEN=$top_builddir/tests/bench/gen_history
REPORTS=$top_builddir/dmarc-reports
[ -x "$GEN" ] || tap_skip_all "no $GEN (make check builds it)"
[ -x "$REPORTS" ] || tap_skip_all "no $REPORTS (make builds it)"
CHECK="python3 $top_srcdir/tests/report/reports_check.py"
XSD=$top_srcdir/tests/report/rfc9990.xsd
lab_enter "$@"
rp_lab_start

# --- the mix: one UTC day, three MXes ---------------------------------------
DAY=1732233600
H=$LAB/history
mkdir -p "$H"
"$GEN" 300 $DAY 86400 2 40 reports.rpt-in.test rpt-in.test >"$H/mx1"
"$GEN" 200 $DAY 86400 2 30 rua-ok.test rpt-ext.test >"$H/mx2"
"$GEN" 100 $DAY 86400 1 20 rua-no.test rpt-bad.test >"$H/mx3"
# mx3 saw rpt-in.test's mail too
"$GEN" 150 $DAY 86400 2 25 reports.rpt-in.test rpt-in.test >>"$H/mx3"

rp_write_conf "$LAB/reports.conf"

# run_reports [CONFIG]: one run over the three files; its log in $LAB/out
run_reports() {
	"$REPORTS" -v -c "${1:-$LAB/reports.conf}" --history "$H/mx1" \
		--history "$H/mx2" --history "$H/mx3" --end $((DAY + 86400)) \
		>"$LAB/out/run.out" 2>"$LAB/out/run.log"
}

# mail_count: messages delivered to the Maildir so far
mail_count() {
	find "$INBOX/new" "$INBOX/cur" -type f 2>/dev/null | wc -l
}

# wait_mail N: until N messages are delivered and the queue is empty
wait_mail() {
	rp_wait mail_count "$1"
}

stat_sent() {
	sed -n 's/^dmarc_reports_sent_total //p' "$LAB/reports.prom" 2>/dev/null
}

# what the reports must say: everything but rpt-bad.test's (unverified)
want=$($CHECK expect "$H"/mx1 "$H"/mx2 "$H"/mx3)
want_sent=$(printf '%s\n' "$want" | grep -v '^d0\.rpt-bad\.test ')
like "$want" '^d0\.rpt-bad\.test ' "the mix has rpt-bad.test's mail too"
is "$(printf '%s\n' "$want" | cut -d' ' -f1 | sort -u | tr '\n' ' ')" \
	"d0.rpt-bad.test d0.rpt-ext.test d0.rpt-in.test d1.rpt-ext.test d1.rpt-in.test " \
	"five policy domains in the mix"

# --- the first run ----------------------------------------------------------
st=0
run_reports || st=$?
is "$st" 0 "dmarc-reports exits 0"
wait_mail 4 || diag "delivered: $(mail_count)"
is "$(mail_count)" 4 "four reports delivered through Postfix"
like "$(cat "$LAB/out/run.log")" \
	'[0-9]+ records, 5 reports built; 4 sent, 0 failed \(retried\), 1 refused' \
	"the log: five reports, four sent, one refused"
like "$(cat "$LAB/out/run.log")" 'for d0\.rpt-bad\.test: not sent to dmarc@rua-no\.test' \
	"the log names the unverified destination"

mails=$($CHECK mails "$INBOX" "$XSD" mx.test)
unlike "$mails" '^bad ' "each mail and its XML pass the checks (schema, subject, name)"
is "$(printf '%s\n' "$mails" | cut -d' ' -f1,2 | sort)" \
	"dmarc@reports.rpt-in.test d0.rpt-in.test
dmarc@reports.rpt-in.test d1.rpt-in.test
dmarc@rua-ok.test d0.rpt-ext.test
dmarc@rua-ok.test d1.rpt-ext.test" \
	"one report per policy domain, each to its destination"
unlike "$mails" 'rua-no\.test' "nothing for the unverified rua-no.test"
is "$($CHECK counts "$INBOX" "$XSD" mx.test)" "$want_sent" \
	"the counts per domain, disposition, DKIM and SPF are the mix sent"
is "$(stat_sent)" 4 "ReportStatsFile: dmarc_reports_sent_total 4"
is "$(find "$LAB/state/outbox" -type f | wc -l)" 0 "the outbox is empty"
ids_first=$(printf '%s\n' "$mails" | cut -d' ' -f3 | sort)

# --- a second run: nothing new ------------------------------------------------
st=0
run_reports || st=$?
is "$st" 0 "a second run exits 0"
sleep 1
is "$(mail_count)" 4 "and sends nothing"
like "$(cat "$LAB/out/run.log")" '0 records, 0 reports built; 0 sent' \
	"it reads no record again"
is "$(stat_sent)" 4 "dmarc_reports_sent_total stays 4"

# --- exactly once across a crash ----------------------------------------------
mkdir -p "$LAB/first"
mv "$INBOX"/new/* "$LAB/first/"
# ReportCommand: deliver, then, the first time only, SIGKILL dmarc-reports
# (the parent) before it can record the delivery
cat >"$LAB/kill-after-first" <<EOF
#!/bin/sh
/usr/sbin/sendmail -t || exit \$?
if mkdir "$LAB/killed" 2>/dev/null; then
	kill -KILL \$PPID
fi
exit 0
EOF
chmod 755 "$LAB/kill-after-first"
sed -e "s|^ReportCommand .*|ReportCommand $LAB/kill-after-first|" \
	-e "s|^ReportStateDirectory .*|ReportStateDirectory $LAB/state2|" \
	-e "s|^ReportStatsFile .*|ReportStatsFile $LAB/reports2.prom|" \
	"$LAB/reports.conf" >"$LAB/crash.conf"
st=0
run_reports "$LAB/crash.conf" || st=$?
is "$st" 137 "dmarc-reports killed (SIGKILL) after its first mail"
wait_mail 1 || true
is "$(mail_count)" 1 "one report went out before the crash"
is "$(grep -la '^domain d[01]\.rpt-\(in\|ext\)\.test$' "$LAB"/state2/outbox/*.report | wc -l)" 4 \
	"the four reports are still in the outbox, the one sent included"
st=0
run_reports "$LAB/crash.conf" || st=$?
is "$st" 0 "the next run exits 0"
wait_mail 5 || diag "delivered: $(mail_count)"
mails=$($CHECK mails "$INBOX" "$XSD" mx.test)
unlike "$mails" '^bad ' "each mail passes the checks; a resent report is the same XML"
is "$(printf '%s\n' "$mails" | cut -d' ' -f3 | sort | uniq -c | awk '{print $1}' | sort | uniq -c | awk '{print $1 "x" $2}' | tr '\n' ' ')" \
	"3x1 1x2 " "every report once, the one in flight twice, with its report_id"
is "$($CHECK counts "$INBOX" "$XSD" mx.test)" "$want_sent" \
	"the counts per report_id are the mix sent"
unlike "$ids_first" "$(printf '%s\n' "$mails" | cut -d' ' -f3 | head -1)" \
	"the new state directory built reports of its own"
is "$(find "$LAB/state2/outbox" -type f | wc -l)" 0 "the outbox is empty again"
st=0
run_reports "$LAB/crash.conf" || st=$?
sleep 1
is "$(mail_count)" 5 "a third run sends nothing"

tap_done
