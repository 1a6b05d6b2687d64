#!/bin/bash
# t-faults.sh: faults around the daemon while mail flows, in the lab
# (root, nsd, a private snmpd; the MTA side is miltc's load mode):
#   - snmpd killed in the middle of a load and started again: mail never
#     waits, the subagent registers again, SNMP equals /metrics;
#   - nsd stopped in the middle: temperror under the configured
#     TempErrorAction (451 with tempfail, a header with accept), logged,
#     no hang; mail is judged again once nsd is back;
#   - the metrics port taken at start: the daemon refuses to start, with
#     a log line that names the address (Postfix's milter_default_action
#     decides meanwhile); once the port is free it starts and filters;
#   - the state file's file system read-only, then full: each logged once,
#     mail flows and is counted; once writable the file is saved again and
#     a restart restores every count.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's metrics and subagent"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it)"
for tool in curl snmpd snmpwalk snmpget python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done

lab_init
lab_nsd_start
lab_snmpd_start
URL=http://127.0.0.1:9489/metrics
TOTALS=$LAB_SNMP_TOTALS
REJECT_PAYPAL='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'
mkdir -p "$LAB/state"
STATE=$LAB/state/metrics.state
CONF=("SPFSelfValidate true" "RejectFailures true" "MetricsListen 127.0.0.1:9489"
	"MetricsStateFile $STATE" "MetricsStateInterval 1" "AgentX true"
	"AgentXSocket $LAB/snmp/agentx.sock" "AgentXPingInterval 1")

# wait_log ERE [SECONDS]: until the milter's log shows a line
wait_log() {
	_lab_wait log "${2:-10}" grep -Eq -- "$1" "$LAB/log/milter.log"
}
# spoof NAME: one paypal.com spoof; its RESULT line
spoof() {
	lab_message "$1" "From: PayPal <service@paypal.com>" "To: <you@recipient.test>" \
		"Subject: $1" >/dev/null
	"$MILTC" -s "unix:$LAB_SOCK" -t 30 -c 192.0.2.66 -f '<service@paypal.com>' \
		"$LAB/msg/$1.eml" 2>&1 | grep '^RESULT' || echo "(no RESULT)"
}
# loaded NAME: "MESSAGES ERRORS" of NAME's load, and its answers
answers() {
	sed -n 's/^LOAD .*results: //p' "$LAB/out/$1.load"
}
alive() {
	if _lab_alive "$pid"; then tap_result 0 "$1"; else
		tap_result 1 "$1" "$(tail -n 5 "$LAB/log/milter.log")"; fi
}

lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
sent=0

# --- snmpd killed and started again in the middle of a load ------------------
_lab_wait subagent 15 sh -c "snmpwalk -v2c -c public -On -t 1 -r 0 $LAB_SNMP_AGENT $TOTALS 2>/dev/null | grep -q Counter64" ||
	lab_die "the subagent did not register with snmpd"
lab_load snmp 3000 8 192.0.2.10 paypal.com &
load=$!
sleep 0.5
lab_snmpd_stop
sleep 1.5
lab_snmpd_start
wait "$load"
sent=$((sent + 3000))
is "$(lab_loaded snmp)" "3000 0" "snmpd killed during a load: all 3000 messages answered, no error"
like "$(answers snmp)" '^accept=3000 ' "... and every one passed"
st=1
_lab_wait reregister 15 sh -c "[ \"\$(snmpwalk -v2c -c public -On -t 1 -r 0 $LAB_SNMP_AGENT $TOTALS 2>/dev/null | grep -c Counter64)\" -ge 5 ]" && st=0
tap_result $st "the subagent registered again with the new snmpd"
like "$(lab_milter_log)" 'agentx: AgentX master disconnected us' "the log says snmpd went away"
is "$(grep -c 'agentx: .*AgentX subagent connected' "$LAB/log/milter.log")" 2 \
	"... and that the subagent connected again"
is "$(lab_snmp_total)" "$(lab_metrics_total "$URL")" "SNMP totals equal /metrics after the snmpd restart"
is "$(lab_metrics_total "$URL")" "$sent" "... and both count the $sent messages sent"
alive "the daemon lived through the snmpd restart"

# --- nsd stopped in the middle -------------------------------------------------------
# No cache: every message asks nsd. TempErrorAction tempfail first.
lab_milter_start "${CONF[@]}" "DNSCacheSize 0" "DNSTimeout 2" "TempErrorAction tempfail"
pid=$_lab_milter_pid
is "$(spoof dns-before)" "$REJECT_PAYPAL" "nsd up: the spoof is rejected"
sent=$((sent + 1))
# 1,000 spoofs over 20 connections; nsd goes away half a second in
lab_load dnsmid 1000 20 192.0.2.66 paypal.com &
load=$!
sleep 0.5
kill "$_lab_nsd_pid"
_lab_wait_gone "$_lab_nsd_pid"
wait "$load"
sent=$((sent + 1000))
is "$(lab_loaded dnsmid)" "1000 0" "nsd stopped during a load of 1000 spoofs: all answered, no error"
like "$(answers dnsmid)" '^accept=0 .* replycode=1000 ' "... each a 550 or a 451, none let through"
is "$(spoof dns-down)" 'RESULT replycode 451 4.7.1 DMARC policy for paypal.com temporarily unavailable, try again later' \
	"nsd stopped: TempErrorAction tempfail gives a 451 with the reason"
sent=$((sent + 1))
like "$(grep 'paypal.com temperror' "$LAB/log/milter.log")" 'action=tempfail' \
	"the log says temperror, action=tempfail"
lab_load dnsdown 200 20 192.0.2.66 paypal.com
sent=$((sent + 200))
is "$(lab_loaded dnsdown)" "200 0" "200 messages over 20 connections while nsd is down: all answered, no hang"
like "$(answers dnsdown)" ' replycode=200 ' "... each with its 451"
lab_milter_start "${CONF[@]}" "DNSCacheSize 0" "DNSTimeout 2" "TempErrorAction accept"
pid=$_lab_milter_pid
lab_message dns-accept "From: PayPal <service@paypal.com>" "To: <you@recipient.test>" \
	"Subject: accept" >/dev/null
out=$("$MILTC" -s "unix:$LAB_SOCK" -t 30 -c 192.0.2.66 -f '<service@paypal.com>' \
	"$LAB/msg/dns-accept.eml" 2>&1 || true)
sent=$((sent + 1))
like "$out" '^INSHEADER 0 Authentication-Results: mx\.test; dmarc=temperror header\.from=paypal\.com$' \
	"TempErrorAction accept: the header says temperror"
like "$out" '^RESULT accept$' "... and the message is accepted, not lost"
lab_nsd_start
is "$(spoof dns-back)" "$REJECT_PAYPAL" "nsd back: the spoof is rejected again"
sent=$((sent + 1))
alive "the daemon lived through the DNS outage"

# --- the metrics port taken at start -----------------------------------------------------
lab_milter_stop
python3 -c '
import socket, sys, time
s = socket.socket()
s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
s.bind(("127.0.0.1", 9489))
s.listen(1)
open(sys.argv[1], "w").close()
time.sleep(60)' "$LAB/run/squatter.ready" &
squatter=$!
_lab_pids="$_lab_pids $squatter"
_lab_wait squatter 10 test -e "$LAB/run/squatter.ready" || lab_die "the port squatter did not start"
st=0
timeout 20 "$DM_MILTER" -f -c "$LAB/run/milter.conf" >"$LAB/out/taken.log" 2>&1 || st=$?
tap_result "$([ "$st" -ne 0 ] && [ "$st" -ne 124 ] && echo 0 || echo 1)" \
	"the metrics port taken: the daemon refuses to start (exit $st)"
like "$(cat "$LAB/out/taken.log")" 'MetricsListen 127\.0\.0\.1:9489: cannot bind: Address already in use' \
	"... with a log line that names the address"
kill "$squatter"
_lab_wait_gone "$squatter"
lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
is "$(spoof port-free)" "$REJECT_PAYPAL" "the port free again: it starts and filters"
sent=$((sent + 1))

# --- the state file's file system read-only, then full ------------------------------------
lab_milter_stop
cp "$STATE" "$LAB/run/state.copy"
mount -t tmpfs -o size=256k tmpfs "$LAB/state"
cp "$LAB/run/state.copy" "$STATE"
lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
like "$(lab_milter_log)" "MetricsStateFile $STATE: restored" "the counters are restored from the small file system"

# a save in progress holds a file open for writing: remount when it is done
_lab_wait remount 10 mount -o remount,ro "$LAB/state" ||
	lab_die "cannot remount $LAB/state read-only"
lab_load ro 500 8 192.0.2.10 paypal.com
sent=$((sent + 500))
is "$(lab_loaded ro)" "500 0" "state file system read-only: 500 messages answered, no error"
wait_log 'MetricsStateFile: cannot save the counters: .*Read-only file system' || true
like "$(lab_milter_log)" 'MetricsStateFile: cannot save the counters: .*Read-only file system' \
	"the failed save is logged with its reason"
sleep 2
is "$(grep -c 'cannot save the counters' "$LAB/log/milter.log")" 1 \
	"... once, not at every interval"
is "$(lab_metrics_total "$URL")" "$sent" "the counters go on meanwhile ($sent)"
mount -o remount,rw "$LAB/state"
wait_log "MetricsStateFile $STATE: saved again" || true
like "$(lab_milter_log)" "MetricsStateFile $STATE: saved again" "writable again: saved, and the log says so"

# full: fill what is left, then send
dd if=/dev/zero of="$LAB/state/filler" bs=4k 2>/dev/null || true
lab_load full 500 8 192.0.2.10 paypal.com
sent=$((sent + 500))
is "$(lab_loaded full)" "500 0" "state file system full: 500 messages answered, no error"
wait_log 'cannot save the counters: .*No space left on device' || true
like "$(lab_milter_log)" 'MetricsStateFile: cannot save the counters: .*No space left on device' \
	"the failed save is logged with its reason"
is "$(lab_metrics_total "$URL")" "$sent" "the counters go on meanwhile ($sent)"
rm -f "$LAB/state/filler"
before=$(grep -c 'saved again' "$LAB/log/milter.log")
_lab_wait saved 10 sh -c "[ \$(grep -c 'saved again' '$LAB/log/milter.log') -gt $before ]" || true
is "$(grep -c 'saved again' "$LAB/log/milter.log")" "$((before + 1))" "space again: saved, and the log says so"
alive "the daemon lived through the read-only and the full file system"

lab_milter_stop
lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
is "$(lab_metrics_total "$URL")" "$sent" "a restart restores every count ($sent): the file was never left damaged"

# --- a clean exit -----------------------------------------------------------------------------
kill -TERM "$pid"
st=0; wait "$pid" || st=$?
_lab_milter_pid=
is "$st" 0 "the daemon exits 0 at the end"
umount "$LAB/state" 2>/dev/null || true
unlike "$(lab_milter_log)" 'Sanitizer|runtime error|Segmentation' \
	"the milter log shows no sanitizer report (leaks included)"

tap_done
