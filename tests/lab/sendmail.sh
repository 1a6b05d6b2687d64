# sendmail.sh: a real Sendmail 8.17 in the lab (sourced after lab.sh).
#
# Debian's sendmail package would remove Postfix (both provide
# mail-transport-agent), so it is never installed: lab_sendmail_enter
# fetches sendmail-bin, sendmail-base and sendmail-cf with apt-get download
# into a cache outside the source tree (DM_SENDMAIL_CACHE, by default
# /var/cache/dmarc-milter-lab), before the lab's namespace cuts the
# network; lab_sendmail_init unpacks them with dpkg -x into the lab and
# gives the namespace what Sendmail needs:
#   - a private /dev with a syslog socket at /dev/log: Sendmail logs only
#     through syslog(3); a small receiver writes $LAB/log/sendmail.log;
#   - a private /run with /run/dmarc-milter as the shipped systemd unit
#     makes it (RuntimeDirectory, owner and mode), where the milter runs as
#     an unprivileged user (UserID) as under that unit: Sendmail checks
#     every directory on the way to a milter socket;
#   - client addresses on the loopback (Sendmail has no XCLIENT): swaks
#     binds to them with --local-interface.
# lab_sendmail_start builds a .cf from a small .mc with the package's m4
# macros and runs `sendmail -bD` on 127.0.0.1:$LAB_SM_PORT; delivered mail
# lands in $LAB/smail/ through a small local mailer, one file per message.
#
# Variables: LAB_SM (the Sendmail directory), LAB_SM_ROOT (the unpacked
# packages), LAB_SM_VERSION, LAB_SM_CF (the .cf), LAB_SM_PORT, LAB_SM_USER
# (the milter's user); LAB_SOCK becomes /run/dmarc-milter/dmarc-milter.sock.
# shellcheck shell=bash

: "${DM_SENDMAIL_CACHE:=/var/cache/dmarc-milter-lab}"
LAB_SM_PACKAGES="sendmail-bin sendmail-base sendmail-cf"
LAB_SM_PORT=2527
LAB_SM_USER=nobody
LAB_SM_GROUP=nogroup
# Debian 12's DOMAIN(debian-mta) sets this list (sendmail.cf's
# DontBlameSendmail line); the lab runs with it unless a test says otherwise
LAB_SM_DEBIAN_DBS='AssumeSafeChown,ForwardFileInGroupWritableDirPath,GroupWritableForwardFileSafe,GroupWritableIncludeFileSafe,IncludeFileInGroupWritableDirPath,DontWarnForwardFileInUnsafeDirPath,TrustStickyBit,NonRootSafeAddr,GroupWritableIncludeFile,GroupReadableDefaultAuthInfoFile'

# --- the packages --------------------------------------------------------------

# lab_sendmail_enter "$@": fetch the packages (outside the namespace, as
# root), then lab_enter. A fetch that fails skips the script.
lab_sendmail_enter() {
	if [ "${LAB_IN_NS:-}" != 1 ] && [ -z "${DM_SKIP_LAB:-}" ] &&
		[ "$(id -u)" -eq 0 ]; then
		local tool
		for tool in apt-get dpkg m4 python3; do
			command -v "$tool" >/dev/null 2>&1 || tap_skip_all "$tool not installed"
		done
		lab_sendmail_fetch || tap_skip_all "cannot fetch Debian's sendmail packages into $DM_SENDMAIL_CACHE (no mirror?): $(tail -n 1 "$DM_SENDMAIL_CACHE/fetch.log" 2>/dev/null)"
	fi
	lab_enter "$@"
}

# _lab_sm_version: the newest version of which the cache holds all three
# packages, or nothing.
_lab_sm_version() {
	local f v p
	while IFS= read -r f; do
		v=${f##*/sendmail-bin_}
		v=${v%_*.deb}
		for p in $LAB_SM_PACKAGES; do
			[ -n "$(_lab_sm_deb "$p" "$v")" ] || continue 2
		done
		printf '%s\n' "$v"
		return 0
	done < <(printf '%s\n' "$DM_SENDMAIL_CACHE"/sendmail-bin_*.deb | sort -rV)
}

# _lab_sm_deb PACKAGE VERSION: its .deb in the cache, or nothing.
_lab_sm_deb() {
	local f
	for f in "$DM_SENDMAIL_CACHE/${1}_${2}_"*.deb; do
		[ -f "$f" ] && printf '%s\n' "$f" && return 0
	done
}

# lab_sendmail_fetch: the three .debs in the cache (reused between runs).
# APT's sandbox user cannot write there: apt would warn and go on as root,
# which it does here without the warning.
lab_sendmail_fetch() {
	mkdir -p "$DM_SENDMAIL_CACHE" || return 1
	[ -z "$(_lab_sm_version)" ] || return 0
	# shellcheck disable=SC2086 # a list of package names
	(cd "$DM_SENDMAIL_CACHE" && apt-get download -o APT::Sandbox::User=root $LAB_SM_PACKAGES) \
		>"$DM_SENDMAIL_CACHE/fetch.log" 2>&1 || return 1
	[ -n "$(_lab_sm_version)" ]
}

# --- the namespace -------------------------------------------------------------

# lab_sendmail_init: unpack the packages, the private /dev and /run, the
# syslog receiver, the client addresses. After lab_init and before
# lab_nsd_start (nsd is unaffected, but the resolver check runs there).
lab_sendmail_init() {
	local v p lib
	LAB_SM=$LAB/sendmail
	LAB_SM_ROOT=$LAB_SM/root
	mkdir -p "$LAB_SM_ROOT" "$LAB_SM/queue" "$LAB/smail"
	chmod 700 "$LAB_SM/queue"
	v=$(_lab_sm_version)
	[ -n "$v" ] || lab_die "no sendmail packages in $DM_SENDMAIL_CACHE"
	for p in $LAB_SM_PACKAGES; do
		dpkg -x "$(_lab_sm_deb "$p" "$v")" "$LAB_SM_ROOT" || lab_die "dpkg -x ${p}_$v failed"
	done
	LAB_SM_BIN=$LAB_SM_ROOT/usr/libexec/sendmail/sendmail
	# shellcheck disable=SC2034 # for the tests' diagnostics
	LAB_SM_VERSION=$v
	lib=$(ldd "$LAB_SM_BIN" 2>&1 | sed -n 's/^[[:space:]]*\([^ ]*\) => not found.*/\1/p' | tr '\n' ' ')
	[ -z "$lib" ] || tap_skip_all "Sendmail $v needs ${lib}(scripts/install-deps.sh installs them)"
	# the delivered messages: one file each, written by the lab's mailer
	# as an unprivileged user
	chown "$LAB_SM_USER:$LAB_SM_GROUP" "$LAB/smail"
	_lab_sm_deliver >"$LAB_SM/deliver"
	chmod 755 "$LAB_SM/deliver"

	trap _lab_sm_cleanup EXIT
	_lab_sm_private_dev
	_lab_sm_private_run
	_lab_sm_sasl
	# Sendmail wants to qualify the host's name at start, and sleeps a
	# minute when it cannot: the lab's /etc/hosts gives it a full name
	# (not one of the zone's: lab_nsd_start checks nsd with mx.test)
	printf '%s\n' "127.0.0.1 localhost" "127.0.0.1 sendmail.lab.test $(hostname)" >"$LAB_SM/hosts"
	mount --bind "$LAB_SM/hosts" /etc/hosts || lab_die "cannot bind /etc/hosts"
	# an address with a prefix on the loopback makes the whole prefix
	# local (the kernel adds a local route): swaks binds to any 192.0.2.x
	ip addr add 192.0.2.1/24 dev lo
	LAB_SOCK=/run/dmarc-milter/dmarc-milter.sock
}

# Sendmail first (its children write to the lab), then lab_cleanup with
# the script's status.
_lab_sm_cleanup() {
	local status=$?
	set +e
	lab_sendmail_stop
	(exit "$status")
	lab_cleanup
}

# The lab's local mailer: the message on stdin into $LAB/smail/RCPT.N.
_lab_sm_deliver() {
	cat <<EOF
#!/bin/sh
# written by tests/lab/sendmail.sh: Sendmail's local mailer in the lab
umask 022
n=\$(date +%s%N)
cat >"$LAB/smail/.\$1.\$n" && mv "$LAB/smail/.\$1.\$n" "$LAB/smail/\$1.\$n"
EOF
}

# _lab_sm_sasl: SMTP AUTH PLAIN for LAB_SM_AUTH_USER with password
# LAB_SM_AUTH_PASS, from a sasldb of the lab's. Sendmail looks for Cyrus
# SASL's Sendmail.conf in a fixed list of directories: the lab's is bound
# over /usr/lib/sasl2 (libsasl2-2's, empty on Debian).
LAB_SM_AUTH_USER=alice
LAB_SM_AUTH_PASS=secret
_lab_sm_sasl() {
	mkdir -p "$LAB_SM/sasl"
	printf '%s\n' "pwcheck_method: auxprop" "auxprop_plugin: sasldb" \
		"sasldb_path: $LAB_SM/sasldb2" "mech_list: PLAIN LOGIN" \
		>"$LAB_SM/sasl/Sendmail.conf"
	# a sasldb is a Berkeley DB hash of "user NUL realm NUL property";
	# the realm is Sendmail's $j
	perl -MDB_File -MFcntl -e '
		tie(my %db, "DB_File", $ARGV[0], O_RDWR | O_CREAT, 0600, $DB_HASH)
			or die "$ARGV[0]: $!\n";
		$db{"$ARGV[1]\0mx.test\0userPassword"} = $ARGV[2];
		untie %db;' "$LAB_SM/sasldb2" "$LAB_SM_AUTH_USER" "$LAB_SM_AUTH_PASS" ||
		lab_die "cannot write the sasldb (perl's DB_File)"
	[ -d /usr/lib/sasl2 ] || lab_die "no /usr/lib/sasl2 (libsasl2-2) to bind the lab's Sendmail.conf over"
	mount --bind "$LAB_SM/sasl" /usr/lib/sasl2 || lab_die "cannot bind /usr/lib/sasl2"
}

# _lab_sm_private_dev: /dev as a tmpfs with the usual nodes and a syslog
# socket (the host's /dev may have none to bind over, and must not get one).
_lab_sm_private_dev() {
	local node
	mount -t tmpfs -o mode=0755,nosuid lab-dev /dev || lab_die "cannot mount a private /dev"
	for node in null:1:3 zero:1:5 full:1:7 random:1:8 urandom:1:9 tty:5:0; do
		mknod -m 666 "/dev/${node%%:*}" c "$(echo "$node" | cut -d: -f2)" "${node##*:}"
	done
	ln -s /proc/self/fd /dev/fd
	ln -s /proc/self/fd/0 /dev/stdin
	ln -s /proc/self/fd/1 /dev/stdout
	ln -s /proc/self/fd/2 /dev/stderr
	mkdir -m 1777 /dev/shm
	python3 -u -c '
import socket, sys, time
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
s.bind("/dev/log")
print("ready", flush=True)
out = open(sys.argv[1], "a")
while True:
    d = s.recv(65536).decode("utf-8", "replace").rstrip("\n\0")
    # "<PRI>Mmm dd hh:mm:ss tag[pid]: text": keep the time and the rest
    if d.startswith("<"):
        d = d[d.find(">") + 1:]
    out.write(d + "\n")
    out.flush()
' "$LAB/log/sendmail.log" >"$LAB/log/syslogd.out" 2>&1 &
	_lab_pids="$_lab_pids $!"
	_lab_wait syslog 10 test -S /dev/log || lab_die "no syslog socket at /dev/log"
	chmod 666 /dev/log
}

# _lab_sm_private_run: /run as a tmpfs, with /run/dmarc-milter as systemd
# makes it for the shipped unit (RuntimeDirectory=dmarc-milter, mode 0750,
# owned by User and Group); the lab's user stands in for dmarc-milter.
_lab_sm_private_run() {
	local conf
	mount -t tmpfs -o mode=0755,nosuid,nodev lab-run /run || lab_die "cannot mount a private /run"
	install -d -o "$LAB_SM_USER" -g "$LAB_SM_GROUP" -m 0750 /run/dmarc-milter
	# lab_init's resolv.conf: a host that links /etc/resolv.conf into /run
	# (systemd-resolved) lost it with the old /run
	if [ -L /etc/resolv.conf ]; then
		conf=$(readlink -f /etc/resolv.conf)
		mkdir -p "$(dirname "$conf")"
		: >"$conf"
		mount --bind "$LAB/resolv.conf" "$conf" || lab_die "cannot bind $conf"
	fi
}

# --- Sendmail --------------------------------------------------------------------

# lab_sendmail_filter [NAME [SOCKET [FLAGS]]]: an INPUT_MAIL_FILTER line;
# by default dmarc-milter on LAB_SOCK with LAB_SM_FLAGS (F=T and the
# timeouts the README gives); FLAGS "" for none.
LAB_SM_FLAGS='F=T, T=C:10s;S:20s;R:30s;E:60s'
# shellcheck disable=SC2120 # NAME, SOCKET and FLAGS are optional
lab_sendmail_filter() {
	local equates="S=${2:-unix:$LAB_SOCK}" flags=${3-$LAB_SM_FLAGS}
	[ -z "$flags" ] || equates="$equates, $flags"
	printf "INPUT_MAIL_FILTER(\`%s', \`%s')dnl\n" "${1:-dmarc-milter}" "$equates"
}

# lab_sendmail_mc [MC-LINES...]: the lab's .mc on stdout. Settings that
# the tests vary: LAB_SM_FILTERS (the INPUT_MAIL_FILTER lines, in order;
# default lab_sendmail_filter's), LAB_SM_DBS (DontBlameSendmail, default
# Debian's list; "safe" is Sendmail's own default).
lab_sendmail_mc() {
	local tab='	' line
	cat <<EOF
divert(-1)
# written by tests/lab/sendmail.sh: the lab's Sendmail
divert(0)dnl
VERSIONID(\`dmarc-milter lab')dnl
OSTYPE(\`linux')dnl
define(\`confDOMAIN_NAME', \`mx.test')dnl
define(\`confDONT_PROBE_INTERFACES', \`True')dnl
define(\`QUEUE_DIR', \`$LAB_SM/queue')dnl
define(\`confPID_FILE', \`$LAB_SM/sendmail.pid')dnl
define(\`STATUS_FILE', \`$LAB_SM/statistics')dnl
define(\`HELP_FILE', \`$LAB_SM_ROOT/etc/mail/helpfile')dnl
define(\`confSERVICE_SWITCH_FILE', \`$LAB_SM/service.switch')dnl
define(\`confCW_FILE', \`-o $LAB_SM/local-host-names')dnl
define(\`confCT_FILE', \`-o $LAB_SM/trusted-users')dnl
define(\`confDEAD_LETTER_DROP', \`$LAB_SM/dead.letter')dnl
undefine(\`ALIAS_FILE')dnl
define(\`confDONT_BLAME_SENDMAIL', \`${LAB_SM_DBS:-$LAB_SM_DEBIAN_DBS}')dnl
dnl tests go fast: no ident lookup, no pause
define(\`confTO_IDENT', \`0s')dnl
define(\`confLOG_LEVEL', \`${LAB_SM_LOGLEVEL:-12}')dnl
dnl AUTH PLAIN without TLS: the lab's clients log in (_lab_sm_sasl)
define(\`confAUTH_MECHANISMS', \`PLAIN LOGIN')dnl
TRUST_AUTH_MECH(\`PLAIN LOGIN')dnl
FEATURE(\`no_default_msa')dnl
FEATURE(\`accept_unresolvable_domains')dnl
DAEMON_OPTIONS(\`Port=$LAB_SM_PORT, Addr=127.0.0.1, Name=MTA')dnl
RELAY_DOMAIN(\`recipient.test')dnl
${LAB_SM_FILTERS:-$(lab_sendmail_filter)}
EOF
	for line in "$@"; do
		printf '%s\n' "$line"
	done
	cat <<EOF
MAILER(\`local')dnl
MAILER(\`smtp')dnl
MAILER_DEFINITIONS
Mlabbox, P=$LAB_SM/deliver, F=lsDFMnu, S=EnvFromL/HdrFromL, R=EnvToL/HdrToL, T=DNS/RFC822/X-Unix, U=$LAB_SM_USER:$LAB_SM_GROUP, A=deliver \$u
LOCAL_RULE_0
R\$+ < @ recipient.test . >${tab}\$#labbox \$: \$1
EOF
}

# lab_sendmail_start [MC-LINES...]: build the .cf, start the daemon, wait
# for its banner.
# shellcheck disable=SC2120 # the MC lines are optional
lab_sendmail_start() {
	local cf=$LAB_SM/lab.cf
	lab_sendmail_stop
	printf '%s\n' "hosts files dns" "aliases files" >"$LAB_SM/service.switch"
	lab_sendmail_mc "$@" >"$LAB_SM/lab.mc"
	m4 -D_CF_DIR_="$LAB_SM_ROOT/usr/share/sendmail/cf/" \
		"$LAB_SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$LAB_SM/lab.mc" \
		>"$cf" 2>"$LAB/log/sendmail-m4.log" || lab_die "m4 failed: $(cat "$LAB/log/sendmail-m4.log")"
	LAB_SM_CF=$cf
	echo "--- $(date +%T) starting sendmail -bD" >>"$LAB/log/sendmail-daemon.log"
	rm -f "$LAB_SM/sendmail.pid"
	"$LAB_SM_BIN" -C "$cf" -L sm-mta -bD >>"$LAB/log/sendmail-daemon.log" 2>&1 &
	_lab_sm_pid=$!
	# the pid file comes once the port is bound (the banner would not do:
	# with the filter down and F=R, it is no 220)
	_lab_wait sendmail 15 _lab_sm_listening ||
		lab_die "Sendmail does not listen on 127.0.0.1:$LAB_SM_PORT (see $LAB/log/sendmail.log)"
}

_lab_sm_listening() {
	[ "$(head -n 1 "$LAB_SM/sendmail.pid" 2>/dev/null)" = "$_lab_sm_pid" ] ||
		return 1
	_lab_alive "$_lab_sm_pid" || lab_die "sendmail exited at start: $(tail -n 3 "$LAB/log/sendmail-daemon.log")"
}

lab_sendmail_stop() {
	[ -n "${_lab_sm_pid:-}" ] || return 0
	kill "$_lab_sm_pid" 2>/dev/null || true
	_lab_wait_gone "$_lab_sm_pid"
	wait "$_lab_sm_pid" 2>/dev/null || true
	_lab_sm_pid=
}

# lab_sendmail CMD-ARGS...: the lab's sendmail binary with the lab's .cf
# (-bp -qQ lists the quarantine, -bs speaks SMTP on stdin).
lab_sendmail() {
	"$LAB_SM_BIN" -C "$LAB_SM_CF" -L sm-mta "$@"
}

# --- the milter, as the shipped unit runs it -------------------------------------

# lab_sm_milter_start 'Key value'...: the milter with a configuration of
# the lab's plus the given lines, as the systemd unit runs it: its socket
# in /run/dmarc-milter, its own user (UserID; the unit's User=), the
# socket mode from the inherited umask (the unit sets none: systemd's
# 0022); /metrics on LAB_SM_METRICS. Waits for the socket.
LAB_SM_METRICS=127.0.0.1:9489
lab_sm_milter_start() {
	local conf=$LAB/run/sendmail-milter.conf line mask
	{
		echo "# written by tests/lab/sendmail.sh"
		echo "Socket unix:$LAB_SOCK"
		echo "UserID $LAB_SM_USER:$LAB_SM_GROUP"
		echo "AuthservID $LAB_AUTHSERV"
		echo "Background false"
		echo "Syslog false"
		echo "PublicSuffixList $LAB_PSL"
		echo "MetricsListen $LAB_SM_METRICS"
		for line in "$@"; do
			echo "$line"
		done
	} >"$conf"
	mask=$(umask)
	umask 022
	lab_milter_start_file "$conf"
	umask "$mask"
}

# --- sending and reading mail ----------------------------------------------------

# lab_sm_send NAME CLIENT-IP SWAKS-ARGS...: one message to NAME@recipient.test
# through the Sendmail daemon from CLIENT-IP (swaks binds to it); the
# transcript goes to $LAB/out/NAME.smtp, read by lab_reply.
lab_sm_send() {
	local name=$1 ip=$2
	shift 2
	lab_send "$name" --port "$LAB_SM_PORT" --local-interface "$ip" "$@"
}

# lab_sm_bs NAME SWAKS-ARGS...: the same through `sendmail -bs` (SMTP on
# stdin and stdout, no client address), as a local program submits.
lab_sm_bs() {
	local name=$1
	shift
	swaks --pipe "$LAB_SM_BIN -C $LAB_SM_CF -L sm-mta -bs" \
		--to "$name@recipient.test" --helo local.test --timeout 60 "$@" \
		>"$LAB/out/$name.smtp" 2>&1 || true
}

# lab_sm_qid NAME: the queue id of Sendmail's "250 2.0.0 ID Message
# accepted for delivery".
lab_sm_qid() {
	lab_reply "$1" | sed -n 's/^250 2\.0\.0 \([0-9A-Za-z]*\) Message accepted.*/\1/p'
}

# lab_sm_wait_delivered NAME [SECONDS]: wait (15 s by default) for a
# message to NAME@recipient.test in $LAB/smail; print its file name.
lab_sm_wait_delivered() {
	local tenths=$((${2:-15} * 10)) f
	[ ! -f "$LAB/out/$1.smtp" ] || [ -n "$(lab_sm_qid "$1")" ] || return 1
	while :; do
		for f in "$LAB/smail/$1".*; do
			[ -f "$f" ] && printf '%s\n' "$f" && return 0
		done
		tenths=$((tenths - 1))
		[ "$tenths" -gt 0 ] || return 1
		sleep 0.1
	done
}

# lab_sm_headers NAME: the unfolded header of NAME's delivered message,
# or nothing when none arrived.
lab_sm_headers() {
	local f
	f=$(lab_sm_wait_delivered "$1") || return 0
	_lab_sm_unfold <"$f"
}

_lab_sm_unfold() {
	awk '
		/^\r?$/ { exit }
		/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
		{ if (line != "") print line; line = $0 }
		END { if (line != "") print line }
	' | tr -d '\r'
}

# lab_sm_ar NAME: the Authentication-Results lines of NAME's delivered
# message.
lab_sm_ar() {
	lab_sm_headers "$1" | grep -i '^Authentication-Results:' || true
}

# lab_sm_quarantine: the quarantined messages as `mailq -qQ` lists them.
lab_sm_quarantine() {
	lab_sendmail -bp -qQ 2>&1
}

# lab_sm_queue_header QID: the header lines of a queued message, from its
# queue file (qf, or hf while quarantined), as "H??Name: value" lines.
lab_sm_queue_header() {
	cat "$LAB_SM/queue/qf$1" "$LAB_SM/queue/hf$1" 2>/dev/null |
		sed -n 's/^H[^A-Za-z]*//p' | tr -d '\r'
}

# lab_sm_log_grep ERE: Sendmail's log lines that match.
lab_sm_log_grep() {
	grep -E -- "$1" "$LAB/log/sendmail.log" || true
}
