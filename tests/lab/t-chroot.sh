#!/bin/bash
# t-chroot.sh: the daemon under ChangeRootDirectory, UserID and
# EnableCoredumps: what it opens before the chroot (the configuration, the
# public suffix list, IgnoreHosts, the metrics port) keeps working; what it
# opens after (Socket, PidFile, MetricsStateFile, the file a reload reads)
# is named inside the new root. Root only (lab namespace, nsd serving the
# test zones); the MTA side is tests/tools/miltc.
set -eu

. "$(dirname "$0")/lab.sh"
lab_enter "$@"
# In a sanitizer build: LeakSanitizer reads /proc at exit, which a chroot
# hides, and then aborts; the leak check is the other tests' job.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own chroot"
MILTC=$top_builddir/tests/tools/miltc
[ -x "$MILTC" ] || tap_skip_all "no $MILTC (make check builds it)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"
id nobody >/dev/null 2>&1 || tap_skip_all "no user nobody"

lab_init
lab_nsd_start
ROOT=$LAB/root
# the root: nothing in it but what the daemon writes after the chroot
mkdir -p "$ROOT/run" "$ROOT/state"
chown nobody:nogroup "$ROOT/run" "$ROOT/state"
LAB_SOCK=$ROOT/run/dm.sock          # /run/dm.sock, seen from inside
CONF=$LAB/run/chroot.conf
METRICS=127.0.0.1:9489
echo 192.0.2.99 >"$LAB/run/ignore.hosts"
MSG=$(lab_message spoof "From: PayPal <service@paypal.com>" \
	"To: you@recipient.test" "Date: Sun, 22 Nov 2026 09:00:00 +0000" \
	"Subject: chroot")
REJECT='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'

# write_conf EXTRA-LINES...: the configuration, outside the root
write_conf() {
	{
		echo "Socket unix:/run/dm.sock"
		echo "PidFile /run/dm.pid"
		echo "ChangeRootDirectory $ROOT"
		echo "Background false"
		echo "UMask 0000"
		echo "Syslog false"
		echo "AuthservID $LAB_AUTHSERV"
		echo "PublicSuffixList $LAB_PSL"
		echo "IgnoreHosts $LAB/run/ignore.hosts"
		# no resolv.conf inside the root
		echo "Nameservers 127.0.0.1"
		echo "SPFSelfValidate true"
		echo "RejectFailures true"
		echo "MetricsListen $METRICS"
		echo "MetricsStateFile /state/metrics.state"
		printf '%s\n' "$@"
	} >"$CONF"
}

# send CLIENT [MILTC-ARGS...]: the spoof's message from CLIENT
send() {
	local client=$1
	shift
	"$MILTC" -s "unix:$LAB_SOCK" -c "$client" -f '<service@paypal.com>' \
		"$@" "$MSG" 2>&1
}

# proc_owner PID: the owner of /proc/PID's files: the process's own user
# while it is dumpable, root otherwise (proc(5))
proc_owner() {
	stat -c %U "/proc/$1/status"
}

write_conf "UserID nobody:nogroup" "EnableCoredumps true"
lab_milter_start_file "$CONF"
pid=$_lab_milter_pid

# --- the process -------------------------------------------------------------
is "$(readlink "/proc/$pid/root")" "$ROOT" "the process's root is ChangeRootDirectory"
like "$(lab_milter_log)" "root directory is now $ROOT\$" "the log says so"
is "$(awk '/^Uid:/ { print $2 }' "/proc/$pid/status")" "$(id -u nobody)" \
	"UserID: it runs as nobody after the chroot"
is "$(awk '/^Gid:/ { print $2 }' "/proc/$pid/status")" "$(getent group nogroup | cut -d: -f3)" \
	"... with the group nogroup"
is "$(proc_owner "$pid")" nobody \
	"EnableCoredumps: dumpable again after the identity change"
is "$(cat "$ROOT/run/dm.pid" 2>/dev/null)" "$pid" \
	"PidFile /run/dm.pid is written inside the root"
ok=0; [ -S "$ROOT/run/dm.sock" ] || ok=1
tap_result $ok "Socket unix:/run/dm.sock is made inside the root"

# --- mail: the PSL and IgnoreHosts were read before, DNS works after ---------
is "$(send 192.0.2.66 | tail -n 1)" "$REJECT" "a spoof is rejected from inside the root"
like "$(send 192.0.2.10)" '^INSHEADER 0 Authentication-Results: mx\.test; dmarc=pass ' \
	"paypal.com's own server passes (SPF through Nameservers)"
like "$(send 192.0.2.99 | tail -n 1)" '^RESULT accept' \
	"IgnoreHosts, read from outside the root before the chroot, applies"
like "$(curl -sS --max-time 10 "http://$METRICS/metrics")" \
	'^dmarc_milter_messages_total\{domain="paypal\.com",policy="reject",result="fail"\} 1$' \
	"the metrics port, bound before the chroot, serves the counts"

# --- a reload reads the file at the same path inside the root ---------------
kill -HUP "$pid"
_lab_wait reload 10 grep -q 'reload failed' "$LAB/log/milter.log" || true
like "$(lab_milter_log)" "$CONF: cannot open: No such file or directory" \
	"a reload looks for the configuration inside the root"
like "$(lab_milter_log)" 'reload failed; keeping the running configuration' \
	"... and keeps the running one when it is not there"
is "$(send 192.0.2.66 | tail -n 1)" "$REJECT" "the running configuration still applies"
mkdir -p "$ROOT$(dirname "$CONF")"
sed 's/^RejectFailures true$/RejectFailures false/' "$CONF" >"$ROOT$CONF"
# the public suffix list is read again too: inside the root, it is not
# there, so the copy names none (the built-in list)
sed -i '/^PublicSuffixList /d; /^IgnoreHosts /d' "$ROOT$CONF"
kill -HUP "$pid"
_lab_wait reloaded 10 grep -q 'configuration reloaded from' "$LAB/log/milter.log" || true
like "$(lab_milter_log)" "configuration reloaded from $CONF" \
	"with a copy at that path inside the root, the reload succeeds"
like "$(send 192.0.2.66 | tail -n 1)" '^RESULT continue' \
	"... and its RejectFailures false applies"

# --- stop: the counters are saved inside the root -----------------------------
kill -TERM "$pid"
st=0; wait "$pid" || st=$?
_lab_milter_pid=
is "$st" 0 "the daemon exits 0 after SIGTERM"
like "$(head -n 1 "$ROOT/state/metrics.state" 2>/dev/null)" . \
	"MetricsStateFile /state/metrics.state is saved inside the root"
ok=0; [ ! -e "$ROOT/run/dm.pid" ] || ok=1
tap_result $ok "the PidFile inside the root is removed at exit"

# --- a directory that is not there ---------------------------------------------
sed "s|^ChangeRootDirectory .*|ChangeRootDirectory $LAB/nosuchroot|" "$CONF" >"$LAB/run/noroot.conf"
st=0; out=$("$DM_MILTER" -n -c "$LAB/run/noroot.conf" 2>&1) || st=$?
is "$st $out" "78 dmarc-milter: error: ChangeRootDirectory $LAB/nosuchroot: No such file or directory" \
	"dmarc-milter -n: a ChangeRootDirectory that is not there, exit 78"
st=0; out=$(timeout 10 "$DM_MILTER" -f -c "$LAB/run/noroot.conf" 2>&1) || st=$?
is "$st" 78 "the daemon refuses to start without it"
like "$out" "error: ChangeRootDirectory $LAB/nosuchroot: No such file or directory" \
	"... and says why"

# --- without EnableCoredumps, without UserID ------------------------------------
write_conf "UserID nobody:nogroup"
lab_milter_start_file "$CONF"
is "$(proc_owner "$_lab_milter_pid")" root \
	"EnableCoredumps false: not dumpable after the identity change (the kernel's default)"
lab_milter_stop
write_conf
lab_milter_start_file "$CONF"
like "$(lab_milter_log)" 'warning: ChangeRootDirectory without UserID' \
	"ChangeRootDirectory without UserID: a warning"
is "$(readlink "/proc/$_lab_milter_pid/root")" "$ROOT" "... and the chroot all the same"
is "$(send 192.0.2.66 | tail -n 1)" "$REJECT" "... where it works as well"
lab_milter_stop

tap_done
