#!/bin/bash
# t-soak.sh: the daemon under a bounded soak, in the lab (root, nsd, a
# private snmpd; the MTA side is miltc's load mode). Rounds of a mixed
# corpus over 200 concurrent connections (50 per class: SPF-aligned pass,
# p=reject spoof, p=quarantine spoof, a domain without DMARC) run for
# DM_SOAK_SECONDS (default 50; `make soak` runs 600), half before and
# half after a restart, with a SIGHUP in the middle of the first half,
# while curl scrapes /metrics as Prometheus does and snmpwalk reads the
# totals through the AgentX subagent. Asserted:
#   - every message got its class's answer, none failed or was lost;
#   - the counters, summed over /metrics and over SNMP, equal the
#     messages sent, across the restart (MetricsStateFile);
#   - RSS after warm-up stays flat within a generous margin (not under
#     ASan, whose quarantine keeps freed memory); descriptors and threads
#     return to their idle counts.
# Figures (rates, RSS, descriptors, threads) are TAP comments, not
# assertions.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's metrics and subagent"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it)"
for tool in curl snmpd snmpwalk snmpget; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done

SECONDS_TOTAL=${DM_SOAK_SECONDS:-50}
PER_CLASS=${DM_SOAK_ROUND:-250}      # messages per class and round
HALF=$((SECONDS_TOTAL / 2))
URL=http://127.0.0.1:9489/metrics
TOTALS=$LAB_SNMP_TOTALS
PROM_ACCEPT='application/openmetrics-text;version=1.0.0,text/plain;version=0.0.4;q=0.5'
ASAN=0
ldd "$DM_MILTER" 2>/dev/null | grep -q libasan && ASAN=1

lab_init
lab_nsd_start
lab_snmpd_start
STATE=$LAB/run/metrics.state
CONF=("SPFSelfValidate true" "RejectFailures true" "MetricsListen 127.0.0.1:9489"
	"MetricsStateFile $STATE" "MetricsStateInterval 5" "AgentX true"
	"AgentXSocket $LAB/snmp/agentx.sock" "AgentXPingInterval 1")

status_of() {
	awk -v k="$1:" '$1 == k { print $2 }' "/proc/$pid/status"
}
fds() {
	find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l
}
# least COMMAND...: the least of three readings 0.2 s apart (a state save
# or an AgentX ping may hold a descriptor for a moment)
least() {
	local a b c
	a=$("$@"); sleep 0.2; b=$("$@"); sleep 0.2; c=$("$@")
	printf '%s\n' "$a" "$b" "$c" | sort -n | head -n 1
}

# watchers: curl and snmpwalk in loops until the stop file appears (and
# at most 3,000 times, so they end whatever happens)
watchers_start() {
	rm -f "$LAB/run/stop-watch"
	(for _ in $(seq 3000); do
		[ -e "$LAB/run/stop-watch" ] && break
		curl -sS -o /dev/null -w '%{http_code}\n' --max-time 10 \
			-H "Accept: $PROM_ACCEPT" "$URL" 2>/dev/null || echo fail
		sleep 0.2
	done >>"$LAB/out/scrapes") &
	_scraper=$!
	(for _ in $(seq 3000); do
		[ -e "$LAB/run/stop-watch" ] && break
		if [ -n "$(lab_snmp_total)" ]; then echo ok; else echo fail; fi
		sleep 0.5
	done >>"$LAB/out/walks") &
	_walker=$!
}
watchers_stop() {
	touch "$LAB/run/stop-watch"
	wait "$_scraper" "$_walker" 2>/dev/null || true
}

# round R [hup]: one round, four classes at once, 50 connections each;
# with "hup", a SIGHUP while it runs
round() {
	local r=$1 pids=""
	lab_load "r$r-pass" "$PER_CLASS" 50 192.0.2.10 paypal.com &
	pids="$pids $!"
	lab_load "r$r-reject" "$PER_CLASS" 50 192.0.2.66 paypal.com &
	pids="$pids $!"
	lab_load "r$r-quar" "$PER_CLASS" 50 192.0.2.66 quarantine.test &
	pids="$pids $!"
	lab_load "r$r-none" "$PER_CLASS" 50 192.0.2.40 nodmarc.test &
	pids="$pids $!"
	if [ "${2:-}" = hup ]; then
		sleep 0.3
		kill -HUP "$pid"
	fi
	# shellcheck disable=SC2086
	wait $pids
}

# phase NAME SECONDS: rounds until SECONDS have passed; VmRSS after each
# round into $LAB/out/NAME.rss; a SIGHUP in the round that crosses the
# middle when NAME is "a"
phase() {
	local name=$1 end=$(($(date +%s) + $2)) mid=$(($(date +%s) + $2 / 2))
	local hup=""
	[ "$name" = a ] && hup=pending
	while :; do
		rounds=$((rounds + 1))
		if [ "$hup" = pending ] && [ "$(date +%s)" -ge "$mid" ]; then
			round "$rounds" hup
			hup="done"
		else
			round "$rounds"
		fi
		status_of VmRSS >>"$LAB/out/$name.rss"
		[ "$(date +%s)" -lt "$end" ] || break
	done
	# a phase too short for its middle still gets its SIGHUP
	if [ "$hup" = pending ]; then
		rounds=$((rounds + 1))
		round "$rounds" hup
	fi
}

# idle_back NAME FDS THREADS: wait until the idle daemon is back to FDS
# descriptors and THREADS threads (connections close asynchronously)
idle_back() {
	_lab_wait idle 15 sh -c "[ \$(ls /proc/$pid/fd | wc -l) -le $2 ] &&
		[ \$(awk '/^Threads:/ { print \$2 }' /proc/$pid/status) -le $3 ]" || true
	is "$(least fds)" "$2" "$1: descriptors back to the idle count"
	is "$(least status_of Threads)" "$3" "$1: threads back to the idle count"
}

# rss_flat NAME: the last RSS sample against the one after the first
# round (warm-up): at most 25 % + 8 MB more
rss_flat() {
	local f=$LAB/out/$1.rss warm last
	warm=$(sed -n 1p "$f")
	last=$(tail -n 1 "$f")
	diag "$1: VmRSS after each round (kB): $(tr '\n' ' ' <"$f")"
	if [ "$ASAN" = 1 ]; then
		tap_skip "$1: RSS flat after warm-up" \
			"ASan's quarantine holds freed memory"
		return
	fi
	tap_result "$([ "$last" -le $((warm + warm / 4 + 8192)) ] && echo 0 || echo 1)" \
		"$1: RSS flat after warm-up ($warm kB after the first round, $last kB at the end)" \
		"$(cat "$f")"
}

rounds=0
started=$(date +%s)

# --- the first half, with a SIGHUP in its middle -------------------------------
lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
# shellcheck disable=SC2016 # the inner sh expands $(snmpwalk ...)
_lab_wait subagent 15 sh -c '[ -n "$(snmpwalk -v2c -c public -On -t 1 -r 0 '"$LAB_SNMP_AGENT $TOTALS"' 2>/dev/null | grep Counter64)" ]' ||
	lab_die "the subagent did not register with snmpd"
fd_idle=$(least fds)
thr_idle=$(least status_of Threads)
diag "first start, idle: $fd_idle descriptors, $thr_idle threads, VmRSS $(status_of VmRSS) kB"
watchers_start
phase a "$HALF"
watchers_stop
like "$(lab_milter_log)" 'configuration reloaded from' "SIGHUP in the middle: reloaded"
idle_back "before the restart" "$fd_idle" "$thr_idle"
rss_flat a
sent_a=$(cat "$LAB"/out/r*.load | awk '/^LOAD/ { sub(/^LOAD messages=/, ""); s += $1 } END { print s }')
is "$(lab_metrics_total "$URL")" "$sent_a" "before the restart: the counters add up to the $sent_a messages sent"

# --- a restart: the state file carries the counters ---------------------------------
lab_milter_stop
lab_milter_start "${CONF[@]}"
pid=$_lab_milter_pid
like "$(lab_milter_log)" "MetricsStateFile $STATE: restored" "the restart restores the counters"
# shellcheck disable=SC2016 # the inner sh expands $(snmpwalk ...)
_lab_wait subagent 15 sh -c '[ -n "$(snmpwalk -v2c -c public -On -t 1 -r 0 '"$LAB_SNMP_AGENT $TOTALS"' 2>/dev/null | grep Counter64)" ]' ||
	lab_die "the subagent did not register again after the restart"
fd_idle=$(least fds)
thr_idle=$(least status_of Threads)
diag "after the restart, idle: $fd_idle descriptors, $thr_idle threads, VmRSS $(status_of VmRSS) kB"

# --- the second half ------------------------------------------------------------------
watchers_start
phase b "$((SECONDS_TOTAL - HALF))"
watchers_stop
elapsed=$(($(date +%s) - started))
idle_back "at the end" "$fd_idle" "$thr_idle"
rss_flat b

# --- every message answered as its class says ---------------------------------------
# tally CLASS FIELD: FIELD summed over the class's LOAD lines
tally() {
	cat "$LAB"/out/r*-"$1".load | awk -v f="$2" '
		/^LOAD/ { for (i = 1; i <= NF; i++) { split($i, kv, "=");
			if (kv[1] == f) s += kv[2] } }
		END { print s + 0 }'
}
per=$((rounds * PER_CLASS))
for class in pass reject quar none; do
	is "$(tally "$class" messages) $(tally "$class" errors)" "$per 0" \
		"$class: $per messages over $rounds rounds, no error"
done
is "$(tally pass accept)" "$per" "every aligned message passed (none failed that should pass)"
is "$(tally reject replycode)" "$per" "every p=reject spoof got its 550"
is "$(tally quar accept)" "$per" "every p=quarantine spoof was accepted into the hold"
is "$(tally none accept)" "$per" "every message without DMARC was accepted"
sent=$((4 * per))

# --- the counters: exact, across the restart ----------------------------------------
BODY=$(curl -sS --max-time 10 "$URL")
series() {
	printf '%s\n' "$BODY" | awk -v k="$1" '$1 == k { print $2 }'
}
is "$(printf '%s\n' "$BODY" | awk '/^dmarc_milter_messages_total\{/ { s += $2 } END { print s + 0 }')" \
	"$sent" "the sum of dmarc_milter_messages_total is the $sent messages sent"
is "$(series 'dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="pass"}') $(series 'dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="fail"}') $(series 'dmarc_milter_messages_total{domain="quarantine.test",policy="quarantine",result="fail"}') $(series 'dmarc_milter_messages_total{domain="nodmarc.test",policy="absent",result="none"}')" \
	"$per $per $per $per" "per class: pass, reject, quarantine and none rows each count $per"
is "$(lab_snmp_total)" "$sent" "the SNMP totals add up to the same $sent"

# --- the watchers ---------------------------------------------------------------------
scrapes=$(wc -l <"$LAB/out/scrapes")
is "$(grep -vc '^200$' "$LAB/out/scrapes" || true)" 0 "all $scrapes scrapes during the load got a 200"
walks=$(wc -l <"$LAB/out/walks")
walks_ok=$(grep -c '^ok$' "$LAB/out/walks" || true)
tap_result "$([ "$walks_ok" -gt 0 ] && echo 0 || echo 1)" \
	"snmpwalk read the totals during the load ($walks_ok of $walks walks)"
diag "soak: $sent messages in $elapsed s over $rounds rounds of $((4 * PER_CLASS)) (200 connections), $scrapes scrapes, $walks walks ($walks_ok complete)"

# --- a clean exit ----------------------------------------------------------------------
kill -TERM "$pid"
st=0; wait "$pid" || st=$?
_lab_milter_pid=
is "$st" 0 "the daemon exits 0 at the end"
unlike "$(lab_milter_log)" 'Sanitizer|runtime error|Segmentation' \
	"the milter log shows no sanitizer report (leaks included)"

tap_done
