#!/bin/bash
# t-sandbox.sh: the daemon and dmarc-reports do nothing their shipped
# systemd unit forbids. Our machines have no systemd as PID 1, so the units
# cannot be started; instead the lab runs each program the way its unit
# does (its user's rights only: setpriv drops every capability, sets
# no_new_privs and the unit's UMask) under `strace -f`, through the
# scenarios of a working day:
#
#   - dmarc-milter -n (ExecStartPre), then the daemon (ExecStart): a spoof
#     and a genuine message through Postfix, a /metrics scrape, an AgentX
#     walk through snmpd, SIGHUP through /bin/kill (ExecReload), a state
#     save (MetricsStateFile), history records (HistoryFile), SIGTERM;
#   - dmarc-reports with --outdir, and as ExecStart runs it, handing its
#     reports to Postfix's real sendmail and postdrop with the unit's
#     SupplementaryGroups instead of postdrop's setgid bit.
#
# Each strace log is then checked against the directives read from the
# shipped unit file, so that the unit and this proof cannot drift apart:
#
#   - every system call is in SystemCallFilter as `systemd-analyze
#     syscall-filter` expands its groups, minus the ~ lines;
#   - every socket() and socketpair() is of a family in
#     RestrictAddressFamilies;
#   - every file opened for writing, created, renamed, removed, linked,
#     chmod'ed or bound as a socket is inside a path the unit leaves
#     writable under ProtectSystem=strict: ReadWritePaths, /run/X for
#     RuntimeDirectory=X, /var/lib/X for StateDirectory=X (LogsDirectory,
#     CacheDirectory likewise), /tmp and /var/tmp with PrivateTmp, the
#     pseudo devices with PrivateDevices. Opening an existing FIFO or
#     socket for writing is no write to the file system (the kernel allows
#     it on a read-only mount): Postfix's postdrop wakes pickup that way.
#
# The lab's directories stand for the unit's; the map is explicit:
#   $LAB/rt                      = /run/dmarc-milter   (RuntimeDirectory)
#   $LAB/state                   = /var/lib/dmarc-milter (StateDirectory)
#   $LAB/postfix/queue/maildrop  = /var/spool/postfix/maildrop (ReadWritePaths)
# A write anywhere else in the lab is a violation too. The lab runs as
# nobody:postfix where the unit runs as dmarc-milter:dmarc-milter with
# postfix in that group: Postfix reaches the socket through its group.
# Not covered: syslog (/dev/log; the lab has no syslog daemon, the milter
# logs to stderr), an inet milter socket.
#
# The checker is tested first on a planted log: a forbidden system call,
# address family and write must each be caught.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own units"
# A sanitizer's runtime makes system calls of its own (and needs
# writable-executable memory); the proof is for the program as shipped.
if grep -q -- '-fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
	tap_skip_all "a sanitizer build (the sandbox is proved on the plain build)"
fi
REPORTS=$top_builddir/dmarc-reports
GEN=$top_builddir/tests/bench/gen_history
for tool in strace systemd-analyze setpriv snmpd snmpwalk curl; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
[ -x "$REPORTS" ] || tap_skip_all "no $REPORTS (make builds it)"
[ -x "$GEN" ] || tap_skip_all "no $GEN (make check builds it)"
getent group postdrop >/dev/null || tap_skip_all "no group postdrop (Postfix)"

MILTER_UNIT=$top_srcdir/etc/dmarc-milter.service
REPORTS_UNIT=$top_srcdir/etc/dmarc-reports.service

# --- the unit's directives ------------------------------------------------

# unit_get UNIT KEY: the values of KEY= in UNIT's [Service] section, one
# per line, in order (an empty assignment gives an empty line: a reset)
unit_get() {
	awk -v k="$2" '
		/^\[/ { svc = ($0 == "[Service]"); next }
		svc && index($0, k "=") == 1 { print substr($0, length(k) + 2) }' "$1"
}

# unit_words UNIT KEY: the words of KEY's values since its last reset
unit_words() {
	unit_get "$1" "$2" | awk '
		NF == 0 { n = 0; next }
		{ for (i = 1; i <= NF; i++) w[++n] = $i }
		END { for (i = 1; i <= n; i++) print w[i] }'
}

# unit_bool UNIT KEY: true when KEY's last value is true or yes
unit_bool() {
	case $(unit_get "$1" "$2" | tail -n 1) in
	true | yes | on | 1) return 0 ;;
	esac
	return 1
}

# sc_expand NAME-OR-@GROUP...: system call names, groups expanded by
# systemd-analyze, recursively (an ":errno" suffix is dropped)
sc_expand() {
	local item members
	for item in "$@"; do
		item=${item%%:*}
		case $item in
		@*)
			members=$(systemd-analyze syscall-filter "$item" |
				awk 'NR > 1 && $1 !~ /^#/ { print $1 }') || return 1
			[ -n "$members" ] || return 1
			# shellcheck disable=SC2086 # one name per word
			sc_expand $members || return 1
			;;
		*) echo "$item" ;;
		esac
	done
}

# sc_allowed UNIT: the system calls its SystemCallFilter lets through,
# sorted; fails when the filter is not an allow list (the first line of
# a deny-list filter starts with ~)
sc_allowed() {
	local line allow="" deny="" mode=""
	while IFS= read -r line; do
		case $line in
		"") allow="" deny="" mode="" ;;
		"~"*)
			[ -n "$mode" ] || return 1
			deny="$deny ${line#\~}"
			;;
		*)
			mode=allow
			allow="$allow $line"
			;;
		esac
	done < <(unit_get "$1" SystemCallFilter)
	[ -n "$allow" ] || return 1
	# shellcheck disable=SC2086
	sc_expand $allow | sort -u >"$LAB/sc.allow" || return 1
	# shellcheck disable=SC2086
	sc_expand $deny | sort -u >"$LAB/sc.deny" || return 1
	comm -23 "$LAB/sc.allow" "$LAB/sc.deny"
}

# writable UNIT: the paths a ProtectSystem=strict unit may write, one a
# line; fails for a unit without ProtectSystem=strict
writable() {
	local d
	[ "$(unit_get "$1" ProtectSystem | tail -n 1)" = strict ] || return 1
	for d in $(unit_words "$1" RuntimeDirectory); do echo "/run/$d"; done
	for d in $(unit_words "$1" StateDirectory); do echo "/var/lib/$d"; done
	for d in $(unit_words "$1" CacheDirectory); do echo "/var/cache/$d"; done
	for d in $(unit_words "$1" LogsDirectory); do echo "/var/log/$d"; done
	for d in $(unit_words "$1" ReadWritePaths); do
		d=${d#-}
		echo "${d#+}"
	done
	if unit_bool "$1" PrivateTmp; then
		printf '%s\n' /tmp /var/tmp
	fi
	if unit_bool "$1" PrivateDevices; then
		printf '%s\n' /dev/null /dev/zero /dev/full /dev/random \
			/dev/urandom /dev/tty /dev/ptmx /dev/pts /dev/shm
	fi
}

# families UNIT: RestrictAddressFamilies as one line; fails for a deny list
families() {
	local w
	w=$(unit_words "$1" RestrictAddressFamilies | tr '\n' ' ')
	case $w in "" | "~"*) return 1 ;; esac
	echo "$w"
}

# --- the checker --------------------------------------------------------------

# sbx_check UNIT LOG BINARY MAP: the violations in strace LOG (strace -f
# -y -s 4096) of the unit's rules, one a line; nothing when there is none.
# Lines before BINARY's successful execve are setpriv's and not checked.
# MAP: "LAB-PATH UNIT-PATH" lines; the cwd at the start is /, as under
# systemd.
sbx_check() {
	local unit=$1 log=$2 bin=$3 map=$4 fam
	sc_allowed "$unit" >"$LAB/sc.ok" || { echo "unit: SystemCallFilter is no allow list"; return 0; }
	writable "$unit" >"$LAB/rw.ok" || { echo "unit: no ProtectSystem=strict"; return 0; }
	fam=$(families "$unit") || { echo "unit: RestrictAddressFamilies is no allow list"; return 0; }
	awk -v okfile="$LAB/sc.ok" -v rwfile="$LAB/rw.ok" -v mapfile="$map" \
		-v fams=" $fam " -v bin="$bin" -v lab="$LAB" -f "$LAB/check.awk" "$log" ||
		echo "checker: awk failed on $log"
}

# The checker proper, in awk: one pass over the log.
cat_check_awk() {
	cat <<'EOF'
BEGIN {
	while ((getline l < okfile) > 0) ok[l] = 1
	while ((getline l < rwfile) > 0) rw[++nrw] = l
	while ((getline l < mapfile) > 0) { split(l, m, " "); mfrom[++nmap] = m[1]; mto[nmap] = m[2] }
	# name -> "DIRFD-ARG:PATH-ARG ..." (0-based; -1: no dirfd; a path
	# argument of -1: the fd itself is the file)
	split("open:-1:0 creat:-1:0 openat:0:1 openat2:0:1 mkdir:-1:0 mkdirat:0:1 " \
	    "rmdir:-1:0 unlink:-1:0 unlinkat:0:1 rename:-1:0,-1:1 " \
	    "renameat:0:1,2:3 renameat2:0:1,2:3 link:-1:1 linkat:2:3 " \
	    "symlink:-1:1 symlinkat:1:2 chmod:-1:0 fchmodat:0:1 chown:-1:0 " \
	    "lchown:-1:0 fchownat:0:1 truncate:-1:0 mknod:-1:0 mknodat:0:1 " \
	    "utime:-1:0 utimes:-1:0 utimensat:0:1 futimesat:0:1 " \
	    "setxattr:-1:0 lsetxattr:-1:0 removexattr:-1:0 lremovexattr:-1:0 " \
	    "fchmod:0:-1 fchown:0:-1 fsetxattr:0:-1 fremovexattr:0:-1", t, " ")
	for (i in t) { split(t[i], kv, ":"); spec[kv[1]] = substr(t[i], length(kv[1]) + 2) }
	started = (bin == "")
}
function trim(s) { sub(/^[ \t]+/, "", s); sub(/[ \t]+$/, "", s); return s }
# the top-level arguments of the call in s (from after its "(")
function split_args(s, a,    n, i, c, depth, q, esc, cur) {
	n = 0; depth = 0; q = 0; esc = 0; cur = ""
	for (i = 1; i <= length(s); i++) {
		c = substr(s, i, 1)
		if (q) {
			cur = cur c
			if (esc) esc = 0; else if (c == "\\") esc = 1; else if (c == "\"") q = 0
			continue
		}
		if (c == "\"") { q = 1; cur = cur c; continue }
		if (c == "(" || c == "[" || c == "{") depth++
		else if (c == ")" || c == "]" || c == "}") { if (depth == 0) break; depth-- }
		else if (c == "," && depth == 0) { a[n++] = trim(cur); cur = ""; continue }
		cur = cur c
	}
	a[n++] = trim(cur)
	return n
}
# an fd argument as strace -y shows it, 3</path> or AT_FDCWD</cwd>: the
# path, else ""
function fd_path(s) {
	if (s ~ /^(AT_FDCWD|[0-9]+)<\/.*>$/) { sub(/^[^<]*</, "", s); sub(/>$/, "", s); return s }
	return ""
}
function unquote(s) {
	if (s !~ /^".*"$/) return ""
	return substr(s, 2, length(s) - 2)
}
function join(dir, p) {
	if (p ~ /^\//) return p
	if (dir == "") return ""
	return dir "/" p
}
# p with its lab prefix replaced by the unit's path
function mapped(p,    i) {
	for (i = 1; i <= nmap; i++)
		if (p == mfrom[i] || index(p, mfrom[i] "/") == 1)
			return mto[i] substr(p, length(mfrom[i]) + 1)
	return p
}
function may_write(p,    i) {
	if (p == lab || index(p, lab "/") == 1) return 0
	for (i = 1; i <= nrw; i++)
		if (p == rw[i] || index(p, rw[i] "/") == 1) return 1
	return 0
}
function bad(what) { print what "   [" $0 "]"; nbad++ }
function check_write(name, labpath, creates,    p) {
	if (labpath == "") { bad("write: " name " on a path not known"); return }
	# an existing FIFO or socket opened for writing writes nothing to the
	# file system
	if (!creates && system("test -p '" labpath "' -o -S '" labpath "'") == 0) return
	p = mapped(labpath)
	if (!may_write(p)) bad("write outside the writable paths: " name " " labpath \
	    (p != labpath ? " (in the unit: " p ")" : ""))
}
{
	pid = $1
	rest = $0
	sub(/^[0-9]+ +/, "", rest)
	sub(/ *<unfinished \.\.\.>$/, "", rest)
	if (rest ~ /^(---|\+\+\+)/) next
	if (rest ~ /^<\.\.\. [a-z0-9_]+ resumed>/) {
		name = rest; sub(/^<\.\.\. /, "", name); sub(/ resumed>.*/, "", name)
		resumed = 1
	} else if (match(rest, /^[a-z0-9_?]+\(/)) {
		name = substr(rest, 1, RLENGTH - 1)
		resumed = 0
	} else next
	if (!started) {
		if (name == "execve" && index(rest, "execve(\"" bin "\"") == 1 && rest ~ /= 0$/) {
			started = 1
			cwd[pid] = "/"
		} else next
	}
	if (!(name in ok)) bad("system call outside SystemCallFilter: " name)
	# children inherit the working directory
	if (name ~ /^(clone|clone3|fork|vfork)$/ && match(rest, /= [0-9]+$/)) {
		cwd[substr(rest, RSTART + 2)] = (pid in cwd) ? cwd[pid] : "/"
	}
	if (resumed) next
	args = substr(rest, length(name) + 2)
	if (name == "socket" || name == "socketpair") {
		split(args, f, ",")
		if (index(fams, " " f[1] " ") == 0) bad("address family outside RestrictAddressFamilies: " f[1])
		next
	}
	if (name == "chdir" && rest ~ /= 0$/) {
		split_args(args, a)
		cwd[pid] = join((pid in cwd) ? cwd[pid] : "/", unquote(a[0]))
		next
	}
	if (name == "fchdir" && rest ~ /= 0$/) {
		split_args(args, a)
		cwd[pid] = fd_path(a[0])
		next
	}
	if (name == "bind") {
		if (match(args, /sun_path="[^"@][^"]*"/)) {
			p = substr(args, RSTART + 10, RLENGTH - 11)
			check_write(name, join((pid in cwd) ? cwd[pid] : "/", p), 1)
		}
		next
	}
	if (!(name in spec)) next
	n = split_args(args, a)
	if (name ~ /^(open|openat|openat2)$/) {
		flags = (name == "open") ? a[1] : a[2]
		if (flags !~ /O_WRONLY|O_RDWR|O_CREAT|O_TRUNC/) next
		creates = (flags ~ /O_CREAT|O_TRUNC/)
	} else creates = 1
	np = split(spec[name], pairs, ",")
	for (j = 1; j <= np; j++) {
		split(pairs[j], dp, ":")
		dirfd = dp[1] + 0; pa = dp[2] + 0
		if (pa < 0) { check_write(name, fd_path(a[dirfd]), creates); continue }
		p = unquote(a[pa])
		if (p == "" && a[pa] == "NULL" && dirfd >= 0) { check_write(name, fd_path(a[dirfd]), creates); continue }
		if (p !~ /^\//) {
			if (dirfd >= 0 && a[dirfd] != "AT_FDCWD") base = fd_path(a[dirfd])
			else base = (pid in cwd) ? cwd[pid] : "/"
			p = join(base, p)
		}
		check_write(name, p, creates)
	}
}
EOF
}

lab_init
cat_check_awk >"$LAB/check.awk"
RT=$LAB/rt
STATE=$LAB/state
MAILDROP=$LAB/postfix/queue/maildrop
printf '%s\n' "$RT /run/dmarc-milter" "$STATE /var/lib/dmarc-milter" \
	"$MAILDROP /var/spool/postfix/maildrop" >"$LAB/map"

# --- the checker catches what it must ------------------------------------------
is "$(unit_words "$MILTER_UNIT" RuntimeDirectory) $(unit_words "$MILTER_UNIT" StateDirectory)" \
	"dmarc-milter dmarc-milter" "the unit's RuntimeDirectory and StateDirectory are the map's"
like "$(sc_allowed "$MILTER_UNIT")" '^sendmsg$' "the unit's filter expands to names (sendmsg among them)"
unlike "$(sc_allowed "$MILTER_UNIT")" '^(setuid|setrlimit|reboot|mount)$' \
	"... without its ~ groups' (setuid, setrlimit) nor what @system-service leaves out"
cat >"$LAB/planted.log" <<EOF
100 execve("/usr/bin/setpriv", ["setpriv"], 0x7ffd /* 1 var */) = 0
100 setresuid(65534, 65534, 65534)      = 0
100 execve("/usr/sbin/dmarc-milter", ["dmarc-milter"], 0x7ffd /* 1 var */) = 0
100 openat(AT_FDCWD, "/etc/dmarc-milter.conf", O_RDONLY) = 3</etc/dmarc-milter.conf>
100 openat(AT_FDCWD, "$STATE/metrics.state.tmp", O_WRONLY|O_CREAT|O_TRUNC, 0640) = 4<$STATE/metrics.state.tmp>
100 rename("$STATE/metrics.state.tmp", "$STATE/metrics.state") = 0
100 bind(5<socket:[1]>, {sa_family=AF_UNIX, sun_path="$RT/dmarc-milter.sock"}, 110) = 0
100 socket(AF_INET, SOCK_DGRAM|SOCK_CLOEXEC, IPPROTO_IP) = 6<UDP:[2]>
100 clone3({flags=CLONE_VM, exit_signal=0}, 88 <unfinished ...>
101 openat(AT_FDCWD, "/dev/null", O_RDWR) = 7</dev/null>
100 <... clone3 resumed>) = 101
EOF
is "$(sbx_check "$MILTER_UNIT" "$LAB/planted.log" /usr/sbin/dmarc-milter "$LAB/map")" "" \
	"a clean log: no violation (setpriv's setresuid before the execve is not the daemon's)"
cat >>"$LAB/planted.log" <<EOF
100 reboot(LINUX_REBOOT_MAGIC1, LINUX_REBOOT_MAGIC2, LINUX_REBOOT_CMD_RESTART) = -1 EPERM
100 socket(AF_NETLINK, SOCK_RAW|SOCK_CLOEXEC, NETLINK_ROUTE) = 8<NETLINK:[3]>
100 openat(AT_FDCWD, "/etc/passwd", O_WRONLY|O_APPEND) = 9</etc/passwd>
100 renameat2(AT_FDCWD, "$STATE/h", AT_FDCWD, "/usr/h", RENAME_NOREPLACE) = 0
100 chdir("$LAB") = 0
100 openat(AT_FDCWD, "stray", O_WRONLY|O_CREAT, 0600) = 10<$LAB/stray>
EOF
got=$(sbx_check "$MILTER_UNIT" "$LAB/planted.log" /usr/sbin/dmarc-milter "$LAB/map")
like "$got" '^system call outside SystemCallFilter: reboot ' "planted: a forbidden system call is caught"
like "$got" '^address family outside RestrictAddressFamilies: AF_NETLINK ' "planted: a forbidden address family is caught"
like "$got" '^write outside the writable paths: openat /etc/passwd ' "planted: a write to /etc is caught"
like "$got" '^write outside the writable paths: renameat2 /usr/h ' "planted: a rename out of the state directory is caught"
like "$got" "^write outside the writable paths: openat $LAB/stray " \
	"planted: a relative path in an unmapped lab directory is caught (chdir followed)"
is "$(printf '%s\n' "$got" | grep -c .)" 5 "... and nothing else" "$got"

# --- the lab ------------------------------------------------------------------
lab_nsd_start
LAB_SOCK=$RT/dmarc-milter.sock
mkdir -p "$RT" "$STATE" "$LAB/snmp"
chown nobody:postfix "$RT" "$STATE"
chmod 0750 "$RT" "$STATE"
# snmpd's master socket for group postfix, as the README asks for group
# dmarc-milter (agentXPerms 0660 0750 root GROUP)
printf '%s\n' "agentAddress udp:$LAB_SNMP_AGENT" "master agentx" \
	"agentXSocket $LAB/snmp/agentx.sock" "agentXPerms 0660 0750 root postfix" \
	"rocommunity public 127.0.0.1" >"$LAB/snmp/snmpd.conf"
SNMP_PERSISTENT_DIR=$LAB/snmp/persist MIBS='' snmpd -f -Lo -C \
	-c "$LAB/snmp/snmpd.conf" -I -smux >>"$LAB/log/snmpd.log" 2>&1 &
_lab_pids="$_lab_pids $!"
_lab_wait snmpd 10 _lab_snmpd_up || lab_die "snmpd does not answer on $LAB_SNMP_AGENT"
# shellcheck disable=SC2119 # no trusted A-R ids
lab_postfix_start
postconf -e "virtual_mailbox_domains = recipient.test reports.rpt-in.test"
postfix reload >>"$LAB/log/postfix-start.log" 2>&1

UMASK=$(unit_get "$MILTER_UNIT" UMask | tail -n 1)
CONF=$LAB/milter.conf
cat >"$CONF" <<EOF
Socket unix:$LAB_SOCK
PidFile $RT/dmarc-milter.pid
AuthservID $LAB_AUTHSERV
Background false
Syslog false
PublicSuffixList $LAB_PSL
SPFSelfValidate true
RejectFailures true
MetricsListen 127.0.0.1:9489
MetricsStateFile $STATE/metrics.state
MetricsStateInterval 1
AgentX true
AgentXSocket $LAB/snmp/agentx.sock
AgentXPingInterval 1
HistoryFile $STATE/history
EOF

# as_unit LOG COMMAND...: COMMAND under strace as the unit runs it: user
# nobody, group postfix (SBX_GROUPS: supplementary ones), no capabilities,
# no_new_privs, the unit's UMask, from /
as_unit() {
	local log=$1 groups=--clear-groups
	shift
	[ -z "${SBX_GROUPS:-}" ] || groups=--groups=$SBX_GROUPS
	(cd / && umask "$UMASK" &&
		exec strace -f -qq -y -s 4096 -o "$log" setpriv --reuid=nobody \
			--regid=postfix "$groups" --no-new-privs --inh-caps=-all \
			--bounding-set=-all -- "$@")
}

# ExecStartPre
st=0
as_unit "$LAB/pre.strace" "$DM_MILTER" -n -c "$CONF" >"$LAB/out/pre.out" 2>&1 || st=$?
is "$st" 0 "ExecStartPre (dmarc-milter -n) in the sandbox: exit 0" "$(cat "$LAB/out/pre.out")"

# ExecStart
as_unit "$LAB/milter.strace" "$DM_MILTER" -f -c "$CONF" >>"$LAB/log/milter.log" 2>&1 &
_lab_milter_pid=$!
_lab_wait socket 15 test -S "$LAB_SOCK" || lab_die "no socket: $(tail -n 5 "$LAB/log/milter.log")"
_lab_wait pidfile 5 test -s "$RT/dmarc-milter.pid" || lab_die "no PidFile"
pid=$(cat "$RT/dmarc-milter.pid")
is "$(stat -c '%U:%G %a' "$LAB_SOCK")" "nobody:postfix 770" \
	"the socket is group-writable under UMask $UMASK (the daemon's chmod)"

lab_send spoof --from help@paypal.com --xclient-addr 192.0.2.66 \
	--header 'From: PayPal <service@paypal.com>' --header 'Subject: sandbox spoof'
like "$(lab_reply spoof)" '^550 5\.7\.1 ' "through Postfix: a spoof is refused (550)"
lab_send genuine --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: PayPal <service@paypal.com>' --header 'Subject: sandbox genuine'
like "$(lab_ar genuine)" '^Authentication-Results: mx\.test; dmarc=pass ' \
	"through Postfix: the genuine message passes"
is "$(lab_metrics_total http://127.0.0.1:9489/metrics)" 2 "a /metrics scrape counts both"
_lab_wait agentx 10 test -n "$(lab_snmp_total)" || true
is "$(lab_snmp_total)" 2 "an AgentX walk through snmpd counts both"

# ExecReload: /bin/kill -HUP $MAINPID
st=0
as_unit "$LAB/reload.strace" /bin/kill -HUP "$pid" || st=$?
is "$st" 0 "ExecReload (/bin/kill -HUP) in the sandbox: exit 0"
_lab_wait reload 10 grep -q 'configuration reloaded' "$LAB/log/milter.log" || true
like "$(lab_milter_log)" 'configuration reloaded' "the daemon reloads"
lab_send after --from help@paypal.com --xclient-addr 192.0.2.66 \
	--header 'From: PayPal <service@paypal.com>' --header 'Subject: sandbox after reload'
like "$(lab_reply after)" '^550 5\.7\.1 ' "after the reload, a spoof is still refused"
_lab_wait state 10 test -s "$STATE/metrics.state" || true
ok=0; [ -s "$STATE/metrics.state" ] || ok=1
tap_result $ok "MetricsStateFile saved in the state directory"
kill -TERM "$pid"
st=0; wait "$_lab_milter_pid" || st=$?
_lab_milter_pid=
is "$st" 0 "SIGTERM: the daemon exits 0"
ok=0; [ -s "$STATE/history" ] || ok=1
tap_result $ok "HistoryFile records written in the state directory"

logs=("$LAB/pre.strace" "$LAB/milter.strace")
# in_log ERE DESCRIPTION: the daemon's log has a line matching ERE
in_log() {
	local ok=0
	grep -Eq -- "$1" "$LAB/milter.strace" || ok=1
	tap_result $ok "$2" "no line matching $1 in $LAB/milter.strace"
}
in_log 'sin_port=htons\(53\)' "the daemon's strace log is real: DNS queries,"
in_log "connect\\(.*$LAB/snmp/agentx.sock" "... its AgentX connection,"
in_log 'bind\(.*sin_port=htons\(9489\)' "... the metrics port,"
in_log 'rename\(.*metrics\.state' "... a state save,"
in_log "open.*$STATE/history\".*O_WRONLY" "... and the history file"
for log in "${logs[@]}"; do
	got=$(sbx_check "$MILTER_UNIT" "$log" "$DM_MILTER" "$LAB/map")
	is "$got" "" "${log##*/}: nothing dmarc-milter.service forbids"
done
got=$(sbx_check "$MILTER_UNIT" "$LAB/reload.strace" /bin/kill "$LAB/map")
is "$got" "" "reload.strace: nothing dmarc-milter.service forbids"

# --- dmarc-reports -----------------------------------------------------------------
UMASK=$(unit_get "$REPORTS_UNIT" UMask | tail -n 1)
SBX_GROUPS=$(unit_words "$REPORTS_UNIT" SupplementaryGroups | tr '\n' ',')
SBX_GROUPS=${SBX_GROUPS%,}
is "$SBX_GROUPS" postdrop "dmarc-reports.service: SupplementaryGroups=postdrop"
DAY=1732233600
"$GEN" 40 $DAY 86400 2 5 reports.rpt-in.test rpt-in.test >"$STATE/gen.history"
mkdir -p "$STATE/out"
chown nobody:postfix "$STATE/gen.history" "$STATE/out"
rconf() {
	cat <<EOF
Socket unix:$LAB_SOCK
PublicSuffixList $LAB_PSL
ReportContact dmarc-reports@mx.test
ReportOrgName The lab
ReportCommand /usr/sbin/sendmail -t
ReportStateDirectory $STATE/$1
Syslog false
EOF
}
rconf reports-outdir >"$LAB/outdir.conf"
rconf reports-mail >"$LAB/mail.conf"
st=0
as_unit "$LAB/reports-outdir.strace" "$REPORTS" -c "$LAB/outdir.conf" \
	--history "$STATE/gen.history" --end $((DAY + 86400)) --outdir "$STATE/out" \
	>"$LAB/out/reports-outdir.log" 2>&1 || st=$?
is "$st" 0 "dmarc-reports --outdir in the sandbox: exit 0" "$(cat "$LAB/out/reports-outdir.log")"
is "$(find "$STATE/out" -type f | wc -l)" 2 "... two reports written"
st=0
as_unit "$LAB/reports-mail.strace" "$REPORTS" -c "$LAB/mail.conf" \
	--history "$STATE/gen.history" --end $((DAY + 86400)) \
	>"$LAB/out/reports-mail.log" 2>&1 || st=$?
is "$st" 0 "dmarc-reports through sendmail -t, group postdrop, no setgid: exit 0" \
	"$(cat "$LAB/out/reports-mail.log")"
n=0
for _ in $(seq 150); do
	n=$(grep -l -r -F 'Delivered-To: dmarc@reports.rpt-in.test' "$LAB/mail/inbox/new" 2>/dev/null | wc -l)
	[ "$n" -lt 2 ] || break
	sleep 0.1
done
is "$n" 2 "... and Postfix delivers its two reports"
like "$(cat "$LAB/reports-mail.strace")" 'execve\("/usr/sbin/postdrop"' "... by postdrop, traced too"
for log in "$LAB/reports-outdir.strace" "$LAB/reports-mail.strace"; do
	got=$(sbx_check "$REPORTS_UNIT" "$log" "$REPORTS" "$LAB/map")
	is "$got" "" "${log##*/}: nothing dmarc-reports.service forbids"
done

tap_done
