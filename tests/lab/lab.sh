# lab.sh: a private mail lab for the integration tests (sourced, not run).
#
# A test script sources this file, calls lab_enter "$@" first (it re-executes
# the script as root in its own mount, network and PID namespaces, or prints
# a TAP skip), then lab_init and the lab_*_start functions. Everything lives
# in one directory under /tmp; every daemon is stopped by its PID on exit,
# and whatever survives that dies with the PID namespace.
#
# The lab:
#   - the namespace's own loopback, with /etc/resolv.conf bind-mounted to
#     "nameserver 127.0.0.1";
#   - nsd on 127.0.0.1:53 serving tests/lab/root.zone as the root zone, plus
#     broken.test, a zone whose file is missing (nsd answers SERVFAIL);
#   - Postfix with a lab copy of /etc/postfix bind-mounted over /etc/postfix:
#     smtpd on 127.0.0.1:2525 with the shipped etc/postfix/header_checks,
#     and on 127.0.0.1:2526 without it; virtual delivery into one Maildir,
#     $LAB/mail/inbox, where a test finds its message by Delivered-To;
#   - the milter under test ($DM_MILTER, default $top_builddir/dmarc-milter;
#     Debian's opendmarc takes the same configuration keys).
#
# Variables set for the tests: LAB, LAB_SRC (this directory), DM_MILTER,
# LAB_SOCK (the milter socket), LAB_AUTHSERV (the milter's AuthservID).
# shellcheck shell=bash

LAB_SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
: "${top_srcdir:=$(cd "$LAB_SRC/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${DM_MILTER:=$top_builddir/dmarc-milter}"
LAB_AUTHSERV=mx.test
LAB_PSL=/usr/share/publicsuffix/public_suffix_list.dat

_lab_pids=""

# --- TAP -------------------------------------------------------------------

# tap_result, is, like, unlike, tap_skip, tap_skip_all, diag and tap_done;
# a failed test shows the lab's logs before the plan.
# shellcheck source=tests/tap.sh
. "$LAB_SRC/../tap.sh"
TAP_ON_FAILURE=lab_dump_logs

lab_die() {
	echo "Bail out! $*"
	exit 1
}

# --- the namespace ---------------------------------------------------------

# lab_enter "$@": re-execute the calling script as root in new mount,
# network and PID namespaces; when that is not possible, skip (a TAP
# script) or stop with the reason (LAB_DEMO set: the demo).
lab_enter() {
	if [ "${LAB_IN_NS:-}" = 1 ]; then
		return 0
	fi
	# run-tests.sh sets it for `make distcheck`: the lab ran already
	[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
	[ "$(id -u)" -eq 0 ] || _lab_cannot "needs root (network namespace, nsd on port 53, Postfix)"
	local tool
	for tool in unshare ip nsd postfix postqueue postcat swaks; do
		command -v "$tool" >/dev/null 2>&1 || _lab_cannot "$tool not installed"
	done
	unshare -mnpf --kill-child --mount-proc true 2>/dev/null ||
		_lab_cannot "unshare -mnp failed (no namespaces in this environment)"
	LAB_IN_NS=1 exec unshare -mnpf --kill-child --mount-proc -- "$BASH" "$0" "$@"
}

_lab_cannot() {
	if [ -n "${LAB_DEMO:-}" ]; then
		echo "${0##*/}: cannot run: $1" >&2
		exit 1
	fi
	tap_skip_all "$1"
}

# lab_init: the lab directory, loopback and resolver; installs the cleanup.
lab_init() {
	LAB=$(mktemp -d /tmp/dmlab.XXXXXX)
	# mktemp gives 0700: the postfix user must reach the queue and socket.
	chmod 755 "$LAB"
	mkdir -p "$LAB/log" "$LAB/run" "$LAB/msg" "$LAB/out" "$LAB/nsd"
	chmod 755 "$LAB/run"
	trap lab_cleanup EXIT
	trap 'exit 130' INT TERM

	ip link set lo up
	echo "nameserver 127.0.0.1" >"$LAB/resolv.conf"
	mount --bind "$LAB/resolv.conf" /etc/resolv.conf
	LAB_SOCK=$LAB/run/dmarc-milter.sock
}

lab_cleanup() {
	local status=$?
	set +e
	lab_milter_stop
	if [ -n "${_lab_postfix:-}" ]; then
		postfix stop >/dev/null 2>&1
		_lab_wait_gone "$(cat "$LAB/postfix/queue/pid/master.pid" 2>/dev/null)"
	fi
	local pid
	for pid in $_lab_pids; do
		kill "$pid" 2>/dev/null
		_lab_wait_gone "$pid"
	done
	# A sanitizer build reports at the daemon's exit, after the checks:
	# what it found fails the script (the harness reports an ERROR).
	if [ -n "${LAB:-}" ] && _lab_sanitizer_reports; then
		status=1
	fi
	if [ "$status" -ne 0 ] && [ -z "${_tap_planned:-}${_lab_planned:-}" ]; then
		echo "Bail out! lab script stopped with status $status"
		[ -n "${LAB:-}" ] && lab_dump_logs
	fi
	if [ -n "${LAB:-}" ] && [ -d "$LAB" ]; then
		if [ -n "${LAB_KEEP:-}" ]; then
			echo "# lab kept in $LAB" >&2
		else
			rm -rf "$LAB"
		fi
	fi
	exit "$status"
}

# _lab_sanitizer_reports: print, as TAP comments, what ASan, LSan or
# UBSan said in the logs of our programs (the milter's, dmarc-reports');
# true when they said anything.
_lab_sanitizer_reports() {
	local f found=1
	for f in "$LAB"/log/milter*.log "$LAB"/out/*.log; do
		[ -f "$f" ] || continue
		if grep -qE 'ERROR: (Address|Leak)Sanitizer|runtime error:|SUMMARY: UndefinedBehaviorSanitizer' "$f"; then
			echo "# sanitizer report in $f:"
			grep -E -A 30 'ERROR: (Address|Leak)Sanitizer|runtime error:' "$f" |
				head -n 60 | sed 's/^/#   /'
			found=0
		fi
	done
	return "$found"
}

# _lab_wait_gone PID: up to 5 s for a process to exit, then SIGKILL.
_lab_wait_gone() {
	local pid=$1 i=0
	[ -n "$pid" ] || return 0
	while _lab_alive "$pid"; do
		i=$((i + 1))
		if [ "$i" -gt 50 ]; then
			kill -KILL "$pid" 2>/dev/null
			return 0
		fi
		sleep 0.1
	done
}

# _lab_alive PID: the process runs (an exited child of ours that is not
# reaped yet, a zombie, does not count).
_lab_alive() {
	local state
	kill -0 "$1" 2>/dev/null || return 1
	state=$(sed -n 's/^State:[[:space:]]*\([A-Z]\).*/\1/p' "/proc/$1/status" 2>/dev/null)
	[ "$state" != Z ]
}

# _lab_wait LABEL SECONDS COMMAND...: poll COMMAND every 0.1 s (LABEL
# only says, at the call, what is awaited).
_lab_wait() {
	local tenths=$(($2 * 10))
	shift 2
	while ! "$@" >/dev/null 2>&1; do
		tenths=$((tenths - 1))
		[ "$tenths" -gt 0 ] || return 1
		sleep 0.1
	done
}

lab_dump_logs() {
	local f
	for f in "$LAB"/log/*.log; do
		[ -s "$f" ] || continue
		diag "--- last lines of $f:"
		tail -n 15 "$f" | sed 's/^/#   /'
	done
}

# --- nsd -------------------------------------------------------------------

# lab_nsd_start: nsd with the root zone, plus the records in the file
# LAB_ZONE_EXTRA when set (a test's own, e.g. DKIM keys it made).
lab_nsd_start() {
	cp "$LAB_SRC/root.zone" "$LAB/nsd/root.zone"
	[ -z "${LAB_ZONE_EXTRA:-}" ] || cat "$LAB_ZONE_EXTRA" >>"$LAB/nsd/root.zone"
	cat >"$LAB/nsd/nsd.conf" <<EOF
# The lab's name server: every test domain lives in the root zone.
server:
	ip-address: 127.0.0.1
	port: 53
	do-ip6: no
	username: ""
	chroot: ""
	zonesdir: "$LAB/nsd"
	database: ""
	zonelistfile: "$LAB/nsd/zone.list"
	xfrdfile: "$LAB/nsd/xfrd.state"
	xfrdir: "$LAB/nsd"
	pidfile: "$LAB/nsd/nsd.pid"
	logfile: "$LAB/log/nsd.log"
	server-count: 1
	verbosity: 1
	# the response rate limit drops answers under test load: lookups then
	# stall for the resolver's timeout
	rrl-ratelimit: 0
remote-control:
	control-enable: no
zone:
	name: "."
	zonefile: "$LAB/nsd/root.zone"
zone:
	# no such file: nsd answers SERVFAIL for broken.test and below
	name: "broken.test"
	zonefile: "$LAB/nsd/broken.test.zone-missing"
EOF
	nsd -d -c "$LAB/nsd/nsd.conf" >>"$LAB/log/nsd.log" 2>&1 &
	_lab_nsd_pid=$!
	_lab_pids="$_lab_pids $_lab_nsd_pid"
	_lab_wait nsd 10 getent hosts mx.test ||
		lab_die "nsd does not answer on 127.0.0.1:53 (see $LAB/log/nsd.log)"
}

# --- Postfix ---------------------------------------------------------------

# lab_header_checks TRUSTED_ID...: the shipped header_checks, its rule
# repeated for each trusted id (as the operator is told to do).
lab_header_checks() {
	local shipped=$top_srcdir/etc/postfix/header_checks id rule esc
	[ -f "$shipped" ] || lab_die "missing $shipped"
	grep '^#' "$shipped"
	rule=$(grep -v '^#' "$shipped" | grep 'mx\\\.example\\\.com')
	[ -n "$rule" ] || lab_die "no mx\\.example\\.com rule in $shipped"
	for id in "$@"; do
		esc=${id//./\\.}
		printf '%s\n' "${rule//'mx\.example\.com'/"$esc"}"
	done
}

# lab_postfix_start TRUSTED_ID...: Postfix on 127.0.0.1:2525 (header_checks
# strips A-R headers of the given ids) and 127.0.0.1:2526 (no
# header_checks), both with the milter socket LAB_SOCK.
# shellcheck disable=SC2120 # the trusted ids are optional
lab_postfix_start() {
	local etc=$LAB/postfix/etc
	mkdir -p "$etc" "$LAB/postfix/queue" "$LAB/postfix/data" "$LAB/mail"
	cp -a /etc/postfix/. "$etc/"
	chown postfix "$LAB/postfix/data"
	chown nobody:nogroup "$LAB/mail"

	lab_header_checks "$@" >"$etc/header_checks"
	# With LAB_POLICY_PREPEND=1, an access table plays a policy service at
	# this hop: like postfix-policyd-spf-python, it PREPENDs its A-R header
	# above the sender's own headers. Only for the spoofer's address.
	: >"$etc/policy_prepend"
	if [ "${LAB_POLICY_PREPEND:-}" = 1 ]; then
		cat >"$etc/policy_prepend" <<'EOF'
/^192\.0\.2\.66$/ PREPEND Authentication-Results: policy.test; spf=fail smtp.mailfrom=paypal.com
EOF
	fi
	cat >"$etc/main.cf" <<EOF
# The lab's Postfix: written by tests/lab/lab.sh.
compatibility_level = 3.6
myhostname = mx.test
mydomain = test
myorigin = \$myhostname
mydestination =
inet_interfaces = 127.0.0.1
inet_protocols = ipv4
mynetworks = 127.0.0.0/8
queue_directory = $LAB/postfix/queue
data_directory = $LAB/postfix/data
# no syslog in the namespace
maillog_file = $LAB/log/postfix.log
maillog_file_prefixes = $LAB/log
alias_maps =
alias_database =
biff = no
# nothing leaves the lab: every non-virtual destination bounces locally
default_transport = error:outbound mail is disabled in the lab
relay_transport = \$default_transport
# a message from outside keeps its header as sent: Postfix adds no missing
# Date or Message-ID the milter would then see (XCLIENT does not re-evaluate
# the default, permit_inet_interfaces, for the new client address)
local_header_rewrite_clients =
# tests go fast: no sleep after an error reply
smtpd_error_sleep_time = 0
smtpd_soft_error_limit = 1000
smtpd_hard_error_limit = 1000
# swaks --xclient-addr sets the client address that smtpd, the access
# tables and the milter see
smtpd_authorized_xclient_hosts = 127.0.0.0/8
# XCLIENT LOGIN= sets the SASL login name ({auth_authen} for milters) only
# when SASL is enabled; no mechanism needs to work for that
smtpd_sasl_auth_enable = yes
smtpd_sender_restrictions = check_client_access regexp:/etc/postfix/policy_prepend
header_checks = regexp:/etc/postfix/header_checks
virtual_mailbox_domains = recipient.test
virtual_mailbox_base = $LAB/mail
# one Maildir for all; a test finds its message by the Delivered-To header
virtual_mailbox_maps = static:inbox/
virtual_uid_maps = static:65534
virtual_gid_maps = static:65534
smtpd_milters = unix:$LAB_SOCK
milter_protocol = 6
# Production uses milter_default_action = accept (a broken milter must not
# stop mail). Here tempfail: a milter that crashed or is unreachable turns
# into a visible 451 in the test instead of a silent unfiltered delivery.
milter_default_action = tempfail
milter_connect_timeout = 5s
milter_command_timeout = 20s
milter_content_timeout = 30s
EOF
	cat >"$etc/master.cf" <<'EOF'
# The lab's Postfix services: written by tests/lab/lab.sh. No chroot.
# 2525: the shipped header_checks apply; 2526: the same without them.
127.0.0.1:2525 inet n - n - - smtpd
127.0.0.1:2526 inet n - n - - smtpd -o cleanup_service_name=cleanup-nohc
cleanup-nohc unix n - n - 0 cleanup -o header_checks=
pickup    unix  n       -       n       60      1       pickup
cleanup   unix  n       -       n       -       0       cleanup
qmgr      unix  n       -       n       300     1       qmgr
rewrite   unix  -       -       n       -       -       trivial-rewrite
bounce    unix  -       -       n       -       0       bounce
defer     unix  -       -       n       -       0       bounce
trace     unix  -       -       n       -       0       bounce
verify    unix  -       -       n       -       1       verify
flush     unix  n       -       n       1000?   0       flush
proxymap  unix  -       -       n       -       -       proxymap
proxywrite unix -       -       n       -       1       proxymap
showq     unix  n       -       n       -       -       showq
error     unix  -       -       n       -       -       error
retry     unix  -       -       n       -       -       error
discard   unix  -       -       n       -       -       discard
virtual   unix  -       n       n       -       -       virtual
anvil     unix  -       -       n       -       1       anvil
scache    unix  -       -       n       -       1       scache
postlog   unix-dgram n  -       n       -       1       postlogd
EOF
	# postfix refuses a config directory that the default one does not
	# list: the lab copy takes the place of /etc/postfix instead
	mount --bind "$etc" /etc/postfix
	postfix check >>"$LAB/log/postfix-start.log" 2>&1 ||
		lab_die "postfix check failed: $(cat "$LAB/log/postfix-start.log")"
	postfix start >>"$LAB/log/postfix-start.log" 2>&1 ||
		lab_die "postfix start failed: $(cat "$LAB/log/postfix-start.log")"
	_lab_postfix=1
	postfix status >/dev/null 2>&1 || lab_die "postfix status: not running"
	_lab_wait smtpd 15 _lab_smtp_banner 2525 ||
		lab_die "no SMTP banner on 127.0.0.1:2525 (see $LAB/log/postfix.log)"
}

_lab_smtp_banner() {
	local line
	exec 3<>"/dev/tcp/127.0.0.1/$1" || return 1
	IFS= read -r -t 5 line <&3 || line=
	printf 'QUIT\r\n' >&3
	exec 3<&- 3>&-
	case $line in 220*) return 0 ;; esac
	return 1
}

# --- the milter --------------------------------------------------------------

lab_milter_is_opendmarc() {
	case ${DM_MILTER##*/} in opendmarc*) return 0 ;; esac
	return 1
}

# lab_milter_start 'Key value'...: start the milter with the lab's base
# configuration plus the given lines, wait for its socket.
lab_milter_start() {
	local conf=$LAB/run/milter.conf line key
	lab_milter_stop
	{
		echo "# written by tests/lab/lab.sh"
		echo "Socket unix:$LAB_SOCK"
		echo "AuthservID $LAB_AUTHSERV"
		echo "Background false"
		echo "PidFile $LAB/run/dmarc-milter.pid"
		# the socket must be writable by the postfix user
		echo "UMask 0000"
		echo "Syslog false"
		echo "PublicSuffixList $LAB_PSL"
		for line in "$@"; do
			key=${line%% *}
			if lab_milter_is_opendmarc; then
				# keys opendmarc does not know stop it starting
				case $key in TempErrorAction | DNSTimeout | DMARCSpec) continue ;; esac
			fi
			echo "$line"
		done
		if lab_milter_is_opendmarc; then
			# our default; OpenDMARC 1.4.2's is false
			echo "HoldQuarantinedMessages true"
		fi
	} >"$conf"
	lab_milter_start_file "$conf"
}

# lab_milter_start_file CONFIG: start the milter with a configuration file
# whose Socket is unix:$LAB_SOCK; wait for the socket.
lab_milter_start_file() {
	local conf=$1 i=0
	lab_milter_stop
	rm -f "$LAB_SOCK"
	echo "--- $(date +%T) starting $DM_MILTER -f -c $conf" >>"$LAB/log/milter.log"
	"$DM_MILTER" -f -c "$conf" >>"$LAB/log/milter.log" 2>&1 &
	_lab_milter_pid=$!
	while [ ! -S "$LAB_SOCK" ]; do
		if ! _lab_alive "$_lab_milter_pid"; then
			_lab_milter_pid=
			lab_die "$DM_MILTER exited at start: $(tail -n 5 "$LAB/log/milter.log")"
		fi
		i=$((i + 1))
		[ "$i" -lt 100 ] || lab_die "no milter socket $LAB_SOCK after 10 s"
		sleep 0.1
	done
}

lab_milter_stop() {
	[ -n "${_lab_milter_pid:-}" ] || return 0
	kill "$_lab_milter_pid" 2>/dev/null
	_lab_wait_gone "$_lab_milter_pid"
	wait "$_lab_milter_pid" 2>/dev/null || true
	_lab_milter_pid=
}

# lab_milter_log: what the milter wrote to stderr so far.
lab_milter_log() {
	cat "$LAB/log/milter.log"
}

# --- sending and reading mail -----------------------------------------------

# lab_send NAME [--port P] SWAKS-ARGS...: one message to NAME@recipient.test
# through Postfix; the transcript goes to $LAB/out/NAME.smtp.
# Unless given, the client is 192.0.2.66 and the HELO is client.test.
lab_send() {
	local name=$1 port=2525
	shift
	if [ "${1:-}" = --port ]; then
		port=$2
		shift 2
	fi
	swaks --server "127.0.0.1:$port" --to "$name@recipient.test" \
		--helo client.test --timeout 60 "$@" \
		>"$LAB/out/$name.smtp" 2>&1 || true
}

# lab_reply NAME: the server's reply to the end of DATA (or the first
# error reply, for a message refused before DATA).
lab_reply() {
	awk '
		/^ [-~]> \.$/ { dot = 1; next }
		dot && /^<[-~*]+ / { sub(/^<[-~*]+ +/, ""); print; exit }
		!dot && /^<\*\* / && !err { sub(/^<\*\* +/, ""); err = $0 }
		END { if (!dot && err != "") print err }
	' "$LAB/out/$1.smtp"
}

# lab_transcript NAME: the SMTP transcript (for diagnostics).
lab_transcript() {
	cat "$LAB/out/$1.smtp"
}

# lab_wait_delivered NAME [SECONDS]: wait (15 s by default) for a message to
# NAME@recipient.test in the inbox; print its file name.
lab_wait_delivered() {
	local i=0 f tenths=$((${2:-15} * 10))
	_lab_was_queued "$1" || return 1
	while :; do
		f=$(grep -l -i -F -x "Delivered-To: $1@recipient.test" \
			"$LAB"/mail/inbox/new/* 2>/dev/null | head -n 1) || true
		if [ -n "$f" ]; then
			printf '%s\n' "$f"
			return 0
		fi
		i=$((i + 1))
		[ "$i" -lt "$tenths" ] || return 1
		sleep 0.1
	done
}

# lab_headers NAME: the unfolded header of NAME's delivered message, or
# nothing when none arrived.
lab_headers() {
	local f
	f=$(lab_wait_delivered "$1") || return 0
	awk '
		/^\r?$/ { exit }
		/^[ \t]/ { sub(/^[ \t]+/, " "); line = line $0; next }
		{ if (line != "") print line; line = $0 }
		END { if (line != "") print line }
	' "$f" | tr -d '\r'
}

# lab_ar NAME: the Authentication-Results lines of NAME's delivered message
lab_ar() {
	lab_headers "$1" | grep -i '^Authentication-Results:' || true
}

# lab_queue NAME: the postqueue -j line(s) of messages to NAME.
lab_queue() {
	postqueue -j 2>/dev/null | grep -F "\"$1@recipient.test\"" || true
}

# lab_wait_hold NAME: wait up to 10 s for a message to NAME in the hold queue.
lab_wait_hold() {
	_lab_was_queued "$1" || return 1
	_lab_wait hold 10 _lab_in_hold "$1"
}

# _lab_was_queued NAME: false when the server refused NAME's message (no
# need to wait for it); true when it took it or no transcript exists.
_lab_was_queued() {
	[ -f "$LAB/out/$1.smtp" ] || return 0
	case $(lab_reply "$1") in 250*) return 0 ;; esac
	return 1
}

_lab_in_hold() {
	lab_queue "$1" | grep -q '"queue_name": *"hold"'
}

# lab_queue_id NAME: the queue id from the "queued as" reply.
lab_queue_id() {
	lab_reply "$1" | sed -n 's/.*queued as \([0-9A-Za-z]*\).*/\1/p'
}

# lab_maillog_grep ERE: Postfix log lines that match.
lab_maillog_grep() {
	grep -E -- "$1" "$LAB/log/postfix.log" || true
}

# lab_message NAME HEADER-LINES...: write a message file with the given
# header lines and a short body; print its path (for swaks --data).
lab_message() {
	local name=$1 f
	shift
	f=$LAB/msg/$name.eml
	{
		printf '%s\r\n' "$@"
		printf '\r\n%s\r\n' "A message written by the dmarc-milter lab."
	} >"$f"
	printf '%s\n' "$f"
}

# --- load through miltc ------------------------------------------------------

# lab_load NAME N CONNECTIONS CLIENT-IP FROM-DOMAIN [MILTC-ARGS...]: N copies
# of a message from FROM-DOMAIN over CONNECTIONS connections, 10 messages
# per connection (miltc's load mode); the LOAD line goes to
# $LAB/out/NAME.load
lab_load() {
	local name=$1 n=$2 conns=$3 ip=$4 dom=$5 f
	shift 5
	f=$(lab_message "$name" "From: Someone <someone@$dom>" \
		"To: you@recipient.test" "Date: Sun, 22 Nov 2026 09:00:00 +0000" \
		"Subject: $name" "Message-ID: <$name@lab.test>")
	"${MILTC:-$top_builddir/tests/tools/miltc}" -s "unix:$LAB_SOCK" \
		-c "$ip" -f "<someone@$dom>" -L "$n" -C "$conns" -R 10 "$@" "$f" \
		>"$LAB/out/$name.load" 2>&1 || true
}

# lab_loaded NAME: "MESSAGES ERRORS" from NAME's LOAD line
lab_loaded() {
	sed -n 's/^LOAD messages=\([0-9]*\) .* errors=\([0-9]*\)$/\1 \2/p' \
		"$LAB/out/$1.load"
}

# --- snmpd -------------------------------------------------------------------

# lab_snmpd_start: a private snmpd, master agentx on $LAB/snmp/agentx.sock,
# SNMPv2c community public on LAB_SNMP_AGENT (the soak and fault tests).
LAB_SNMP_AGENT=127.0.0.1:16161
lab_snmpd_start() {
	mkdir -p "$LAB/snmp"
	printf '%s\n' "agentAddress udp:$LAB_SNMP_AGENT" "master agentx" \
		"agentXSocket $LAB/snmp/agentx.sock" "agentXPerms 0660 0700" \
		"rocommunity public 127.0.0.1" >"$LAB/snmp/snmpd.conf"
	SNMP_PERSISTENT_DIR=$LAB/snmp/persist MIBS='' snmpd -f -Lo -C \
		-c "$LAB/snmp/snmpd.conf" -I -smux >>"$LAB/log/snmpd.log" 2>&1 &
	_lab_snmpd_pid=$!
	_lab_pids="$_lab_pids $_lab_snmpd_pid"
	_lab_wait snmpd 10 _lab_snmpd_up ||
		lab_die "snmpd does not answer on $LAB_SNMP_AGENT"
}

_lab_snmpd_up() {
	[ -S "$LAB/snmp/agentx.sock" ] && snmpget -v2c -c public -t 1 -r 0 \
		"$LAB_SNMP_AGENT" .1.3.6.1.2.1.1.1.0 | grep -q STRING
}

# lab_snmp_total: the sum of the MIB's five result totals (dmarcTotals) as
# snmpd serves them, empty when the subagent does not answer
LAB_SNMP_TOTALS=.1.3.6.1.4.1.8072.9999.9999.7489.1.2
lab_snmp_total() {
	snmpwalk -v2c -c public -On -t 2 -r 1 "$LAB_SNMP_AGENT" "$LAB_SNMP_TOTALS" 2>/dev/null |
		awk -F': ' '$1 ~ /\.7489\.1\.2\.[1-5]\.0 = Counter64$/ { s += $2; n++ }
			END { if (n == 5) print s }'
}

# lab_metrics_total URL: the sum of dmarc_milter_messages_total at URL
lab_metrics_total() {
	curl -sS --max-time 10 "$1" |
		awk '/^dmarc_milter_messages_total\{/ { s += $2 } END { print s + 0 }'
}

lab_snmpd_stop() {
	kill "$_lab_snmpd_pid" 2>/dev/null || true
	_lab_wait_gone "$_lab_snmpd_pid"
	wait "$_lab_snmpd_pid" 2>/dev/null || true
}
