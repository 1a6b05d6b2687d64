#!/bin/bash
# t-daemon.sh: the process around the filter: SIGHUP/SIGUSR1 reloads that
# keep connections, a bad new file that keeps the old configuration, and a
# SIGTERM that lets a message in flight finish. Root only (lab namespace,
# nsd serving the test zones); the MTA side is tests/tools/miltc.
set -eu

. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own signals"
MILTC=$top_builddir/tests/tools/miltc
[ -x "$MILTC" ] || tap_skip_all "no $MILTC (make check builds it)"

lab_init
lab_nsd_start
CONF=$LAB/run/milter.conf
MSG=$(lab_message spoof "From: PayPal <service@paypal.com>" \
	"To: you@recipient.test" "Date: Sun, 22 Nov 2026 09:00:00 +0000" \
	"Subject: spoof")
REJECT='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'

# spoof [MILTC-ARGS...]: the classic spoof from an unauthorised address
spoof() {
	"$MILTC" -s "unix:$LAB_SOCK" -c 192.0.2.66 -f '<service@paypal.com>' \
		"$@" "$MSG" 2>&1
}

# wait_log ERE: up to 10 s for the milter's log to show a line
wait_log() {
	_lab_wait log 10 grep -Eq -- "$1" "$LAB/log/milter.log"
}

# set_reject true|false: rewrite the running milter's file
set_reject() {
	sed -i "/^RejectFailures /d" "$CONF"
	echo "RejectFailures $1" >>"$CONF"
}

lab_milter_start "SPFSelfValidate true" "RejectFailures false"
pid=$_lab_milter_pid

# --- SIGHUP while a connection is open -------------------------------------
spoof -R 2 -w "$LAB/run/go" >"$LAB/out/held.out" &
held=$!
_lab_wait first 10 grep -q '^WAIT' "$LAB/out/held.out"
like "$(cat "$LAB/out/held.out")" '^RESULT continue' \
	"RejectFailures false: the spoof gets a header only (continue, as OpenDMARC)"
set_reject true
kill -HUP "$pid"
wait_log 'configuration reloaded' || true
like "$(lab_milter_log)" 'configuration reloaded from' "SIGHUP reloads"
ok_alive=0; kill -0 "$pid" 2>/dev/null || ok_alive=1
tap_result $ok_alive "the daemon lives on after SIGHUP (OpenDMARC 1.4.2 exited)"
touch "$LAB/run/go"
st=0; wait "$held" || st=$?
is "$st" 0 "the open connection was not dropped by the reload"
is "$(grep -c '^RESULT' "$LAB/out/held.out")" 2 \
	"both messages of the open connection got a verdict"
like "$(tail -n 1 "$LAB/out/held.out")" '^RESULT continue' \
	"the open connection keeps the configuration it started with"
is "$(spoof | tail -n 1)" "$REJECT" "a new connection gets the new configuration"

# --- a bad new file keeps the old configuration ----------------------------
cp "$CONF" "$LAB/run/good.conf"
echo "NoSuchKey yes" >>"$CONF"
bad_line=$(wc -l <"$CONF")
kill -HUP "$pid"
wait_log 'reload failed' || true
like "$(lab_milter_log)" "$CONF:$bad_line: unknown key 'NoSuchKey'" \
	"the bad file's error names file and line"
like "$(lab_milter_log)" 'reload failed; keeping the running configuration' \
	"the log says the old configuration stays"
is "$(spoof | tail -n 1)" "$REJECT" "the running configuration still applies"

# --- SIGUSR1 reloads as in OpenDMARC ---------------------------------------
cp "$LAB/run/good.conf" "$CONF"
set_reject false
before=$(grep -c 'configuration reloaded from' "$LAB/log/milter.log")
kill -USR1 "$pid"
_lab_wait usr1 10 sh -c "[ \$(grep -c 'configuration reloaded from' '$LAB/log/milter.log') -gt $before ]" || true
like "$(spoof | tail -n 1)" '^RESULT continue' "SIGUSR1 reloads too"

# --- SIGTERM lets the message in flight finish -----------------------------
# A name server that never answers keeps the message in its DNS lookup.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
open(sys.argv[1], "w").close()
time.sleep(60)' "$LAB/run/silent.ready" &
_lab_pids="$_lab_pids $!"
_lab_wait silent 10 test -e "$LAB/run/silent.ready" ||
	lab_die "the silent name server did not start"
lab_milter_stop
lab_milter_start "DNSTimeout 3" "RejectFailures true"
pid=$_lab_milter_pid
echo "nameserver 127.0.0.2" >"$LAB/resolv.conf"
spoof >"$LAB/out/inflight.out" &
client=$!
# the lookup takes DNSTimeout (3 s); a second in, the message is in it
sleep 1
kill -TERM "$pid"
st=0; wait "$client" || st=$?
is "$st" 0 "the client's conversation completed"
like "$(cat "$LAB/out/inflight.out")" '^INSHEADER 0 Authentication-Results: mx\.test; dmarc=temperror' \
	"the message in flight was finished (temperror from the dead DNS)"
like "$(cat "$LAB/out/inflight.out")" '^RESULT accept' \
	"and accepted (TempErrorAction accept)"
st=0; wait "$pid" || st=$?
_lab_milter_pid=
is "$st" 0 "the daemon exits 0 after SIGTERM"
like "$(lab_milter_log)" 'stopping: 1 messages in flight' \
	"the log counts the message in flight"
echo "nameserver 127.0.0.1" >"$LAB/resolv.conf"

tap_done
