#!/bin/bash
# t-package.sh: the Debian package as an operator gets it, on this machine
# (root). From the distribution (make distdir, as `make dist` would ship
# it): dpkg-buildpackage -us -uc -b, lintian (no error; each warning left
# is listed in README with its reason), dpkg -i of both packages, then:
#
#   - the system user and group, postfix in the group, the socket and
#     state directories, the conffile, the enabled unit, the timer left
#     off, systemd-analyze verify of the installed units, mandoc -Tlint of
#     the installed pages, `dmarc-milter -n` on the installed configuration
#     as the unit's user;
#   - in the lab's namespaces (a private /run, nsd, Postfix): the daemon
#     started as the unit starts it (its User, Group, UMask,
#     RuntimeDirectory and Exec lines read from the installed unit; not its
#     sandboxing, which needs systemd), with the installed configuration
#     unchanged; a spoof and a genuine message through Postfix, whose smtpd
#     reaches the socket only through group dmarc-milter; /metrics;
#   - dpkg -r keeps the configuration and the user; dpkg --purge removes
#     them, the group and the directories.
#
# It skips where it cannot run or would change what it does not own: not
# root, no debhelper, DM_SKIP_LAB (distcheck, and package builds), a
# sanitizer build tree (the plain build's run makes the package), or a
# machine that already has dmarc-milter's package, user or configuration.
set -u
: "${top_srcdir:=$(cd "$(dirname "$0")/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
# shellcheck source=tests/tap.sh
. "$top_srcdir/tests/tap.sh"

PKGS=(dmarc-milter dmarc-milter-cacti)
UNIT=/lib/systemd/system/dmarc-milter.service
CONF=/etc/dmarc-milter.conf

# --- inside the lab (second run of this script, in the namespaces) ---------

# unit_key KEY: the value of KEY in the installed unit (the last one)
unit_key() {
	sed -n "s/^$1=//p" "$UNIT" | tail -n 1
}

# unit_exec KEY: the command of an Exec line, without systemd's prefixes
unit_exec() {
	unit_key "$1" | sed 's/^[-+!@:]*//'
}

# as_unit COMMAND...: run as the unit would: its user, group (and the
# user's other groups, as systemd sets them) and umask. It execs: call it
# in a subshell, $(...) or with &, so that $! is the daemon itself.
as_unit() {
	umask "$(unit_key UMask)"
	exec setpriv --reuid="$(unit_key User)" --regid="$(unit_key Group)" \
		--init-groups "$@"
}

pkg_in_lab() {
	local user group dir mode sock pre start st out
	# shellcheck source=tests/lab/lab.sh
	. "$top_srcdir/tests/lab/lab.sh"
	_tap_n=$PKG_TAP_N
	lab_init
	lab_nsd_start
	# A /run of our own: the host's is never touched.
	mount -t tmpfs -o mode=0755 tmpfs /run
	user=$(unit_key User) group=$(unit_key Group)
	dir=/run/$(unit_key RuntimeDirectory) mode=$(unit_key RuntimeDirectoryMode)
	install -d -o "$user" -g "$group" -m "$mode" "$dir"
	sock=$(sed -n 's/^Socket[[:space:]]\{1,\}\(local\|unix\)://p' "$CONF")
	is "$(dirname "$sock")" "$dir" "the installed configuration's socket is in the unit's RuntimeDirectory"

	pre=$(unit_exec ExecStartPre) start=$(unit_exec ExecStart)
	# shellcheck disable=SC2086 # the unit's command line, split as systemd does
	out=$(as_unit $pre 2>&1)
	st=$?
	is "$st" 0 "ExecStartPre ($pre) as $user:$group: exit 0"
	# shellcheck disable=SC2086
	as_unit $start >>"$LAB/log/milter.log" 2>&1 &
	_lab_milter_pid=$!
	if ! _lab_wait milter 10 test -S "$sock"; then
		lab_die "no socket $sock from $start: $(tail -n 5 "$LAB/log/milter.log")"
	fi
	is "$(stat -c '%U:%G %a' "$dir")" "$user:$group ${mode#0}" \
		"$dir: $user:$group, mode $mode, as the unit makes it"
	is "$(stat -c '%U:%G %a' "$sock")" "$user:$group 770" \
		"the socket: $user:$group 0770 (the unit's UMask $(unit_key UMask))"

	# Postfix's smtpd runs as postfix; the socket is not world-writable,
	# so the message reaches the milter only through group dmarc-milter.
	LAB_SOCK=$sock
	# shellcheck disable=SC2119
	lab_postfix_start
	lab_send spoof --from help@paypal.com --xclient-addr 192.0.2.66 \
		--header 'From: PayPal <service@paypal.com>' --header 'Subject: pkg spoof'
	like "$(lab_reply spoof)" '^550 5\.7\.1 ' \
		"through Postfix: a spoof of paypal.com is refused with 550 (the installed configuration enforces)"
	lab_send genuine --from help@paypal.com --xclient-addr 192.0.2.10 \
		--header 'From: PayPal <service@paypal.com>' --header 'Subject: pkg genuine'
	like "$(lab_ar genuine)" '^Authentication-Results: mx\.test; dmarc=pass \(p=reject dis=none\) header\.from=paypal\.com$' \
		"through Postfix: the genuine message is delivered with dmarc=pass"
	out=$(curl -sS --max-time 10 http://127.0.0.1:9489/metrics 2>&1 |
		grep '^dmarc_milter_messages_total{domain="paypal.com"' | grep -v ' 0$' | sort)
	is "$out" 'dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="fail"} 1
dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="pass"} 1' \
		"/metrics on 127.0.0.1:9489, on by default: one pass, one fail"

	kill -TERM "$_lab_milter_pid"
	wait "$_lab_milter_pid"
	st=$?
	_lab_milter_pid=
	is "$st" 0 "SIGTERM (the unit's KillSignal): exit 0"
	[ "$_tap_failed" -eq 0 ] || lab_dump_logs
	echo "$_tap_n $_tap_failed" >"$PKG_COUNTS"
	_tap_planned=1
}

if [ "${1:-}" = --in-lab ]; then
	pkg_in_lab
	exit 0
fi

# --- on the machine ---------------------------------------------------------

[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
[ "$(id -u)" -eq 0 ] || tap_skip_all "needs root (dpkg -i, then --purge)"
for tool in dpkg-buildpackage dh dh_autoreconf unshare setpriv postfix nsd swaks curl; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
if grep -q -- '-fsanitize' "$top_builddir/Makefile" 2>/dev/null; then
	tap_skip_all "a sanitizer build: the plain build's run makes the package"
fi
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f '${db:Status-Status}' "$p" 2>/dev/null)
	if [ -n "$st" ] && [ "$st" != not-installed ]; then
		tap_skip_all "package $p is on this machine already"
	fi
done
if getent passwd dmarc-milter >/dev/null || getent group dmarc-milter >/dev/null ||
	[ -e "$CONF" ]; then
	tap_skip_all "this machine has a dmarc-milter user, group or $CONF already"
fi
unshare -mnpf --kill-child --mount-proc true 2>/dev/null ||
	tap_skip_all "unshare -mnp failed (no namespaces in this environment)"

W=$(mktemp -d /tmp/dm-pkg.XXXXXX)
installed=
cleanup() {
	local p
	if [ -n "$installed" ]; then
		for p in "${PKGS[@]}"; do
			dpkg --purge "$p" >>"$W/purge.log" 2>&1
		done
	fi
	rm -rf "$W"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

# pkg_file PATTERN: the one file of $W matching PATTERN
pkg_file() {
	find "$W" -maxdepth 1 -name "$1" | head -n 1
}

# --- build ---
version=$(sed -n 's/^PACKAGE_VERSION = //p' "$top_builddir/Makefile")
src=$W/dmarc-milter-$version
make -C "$top_builddir" distdir distdir="$src" >"$W/distdir.log" 2>&1
tap_result $? "make distdir: the distribution" "$(tail -n 20 "$W/distdir.log")"
[ -f "$src/debian/control" ] && [ -x "$src/debian/rules" ]
tap_result $? "the distribution carries debian/"
t0=$(date +%s)
# The suite has run the unit tests already: nocheck.
(cd "$src" && DEB_BUILD_OPTIONS="nocheck parallel=$(nproc)" \
	dpkg-buildpackage -us -uc -b) >"$W/build.log" 2>&1
st=$?
tap_result $st "dpkg-buildpackage -us -uc -b" "$(tail -n 30 "$W/build.log")"
diag "package build: $(($(date +%s) - t0)) s"
deb=$(pkg_file "dmarc-milter_${version}-*_*.deb")
cacti=$(pkg_file "dmarc-milter-cacti_${version}-*_all.deb")
changes=$(pkg_file "dmarc-milter_${version}-*.changes")
[ -n "$deb" ] && [ -n "$cacti" ] && [ -n "$changes" ]
tap_result $? "it builds dmarc-milter and dmarc-milter-cacti" "$(ls "$W")"
if [ -z "$deb" ] || [ -z "$cacti" ]; then
	echo "Bail out! no package to install"
	exit 1
fi

# --- lintian ---
if command -v lintian >/dev/null 2>&1; then
	lintian "$changes" >"$W/lintian.log" 2>&1
	unlike "$(cat "$W/lintian.log")" '^E: ' "lintian: no error"
	missing=
	while read -r tag; do
		grep -q -- "$tag" "$top_srcdir/README.md" || missing="$missing $tag"
	done < <(sed -n 's/^W: [^ ]*: \([^ ]*\).*/\1/p' "$W/lintian.log" | sort -u)
	is "${missing# }" "" "each lintian warning left is listed in README with its reason"
	diag "lintian: $(grep -c '^W: ' "$W/lintian.log") warnings, $(grep -c '^I: ' "$W/lintian.log") infos"
else
	tap_skip "lintian: no error" "lintian not installed"
	tap_skip "each lintian warning left is listed in README" "lintian not installed"
fi

# --- install ---
installed=1
dpkg -i "$deb" "$cacti" >"$W/install.log" 2>&1
tap_result $? "dpkg -i dmarc-milter dmarc-milter-cacti" "$(tail -n 20 "$W/install.log")"
pw=$(getent passwd dmarc-milter)
uid=$(printf '%s' "$pw" | cut -d: -f3)
[ -n "$uid" ] && [ "$uid" -lt 1000 ] &&
	[ "$(printf '%s' "$pw" | cut -d: -f6,7)" = /var/lib/dmarc-milter:/usr/sbin/nologin ]
tap_result $? "a system user dmarc-milter, home /var/lib/dmarc-milter, no login" "$pw"
if getent passwd postfix >/dev/null; then
	like "$(id -nG postfix)" '(^| )dmarc-milter( |$)' "postfix is in group dmarc-milter"
else
	tap_skip "postfix is in group dmarc-milter" "no postfix user"
fi
is "$(stat -c '%U:%G %a' /var/lib/dmarc-milter 2>&1)" "dmarc-milter:dmarc-milter 750" \
	"/var/lib/dmarc-milter: dmarc-milter:dmarc-milter 0750"
if [ -d /var/spool/postfix ]; then
	is "$(stat -c '%U:%G %a' /var/spool/postfix/dmarc-milter 2>&1)" \
		"dmarc-milter:dmarc-milter 750" \
		"/var/spool/postfix/dmarc-milter (the chroot case): dmarc-milter:dmarc-milter 0750"
else
	tap_skip "/var/spool/postfix/dmarc-milter" "no /var/spool/postfix"
fi
like "$(dpkg-query -W -f '${Conffiles}' dmarc-milter)" "^ $CONF [0-9a-f]{32}\$" \
	"$CONF is a conffile"
missing=
for f in /usr/sbin/dmarc-milter /usr/sbin/dmarc-reports \
	/usr/share/snmp/mibs/DMARC-MILTER-MIB.txt \
	/usr/share/man/man8/dmarc-milter.8.gz /usr/share/man/man5/dmarc-milter.conf.5.gz \
	/usr/share/man/man8/dmarc-reports.8.gz \
	/lib/systemd/system/dmarc-reports.service /lib/systemd/system/dmarc-reports.timer \
	/usr/share/doc/dmarc-milter/examples/snmpd.conf.d/dmarc-milter.conf \
	/usr/share/doc/dmarc-milter/examples/postfix/main.cf.snippet \
	/usr/share/doc/dmarc-milter/README.Debian \
	/usr/share/dmarc-milter/cacti-templates/install-cacti-templates.sh; do
	[ -e "$f" ] || missing="$missing $f"
done
is "${missing# }" "" "programs, MIB, man pages, units, snippets and Cacti templates in place"
[ -L /etc/systemd/system/multi-user.target.wants/dmarc-milter.service ]
tap_result $? "dmarc-milter.service is enabled" "$(ls -l /etc/systemd/system/multi-user.target.wants 2>&1)"
[ ! -e /etc/systemd/system/timers.target.wants/dmarc-reports.timer ]
tap_result $? "dmarc-reports.timer is left off (it needs HistoryFile and ReportContact)"
grep -q '^ExecStart=/usr/sbin/dmarc-reports ' /lib/systemd/system/dmarc-reports.service
tap_result $? "dmarc-reports.service runs /usr/sbin/dmarc-reports" \
	"$(grep Exec /lib/systemd/system/dmarc-reports.service)"
if command -v systemd-analyze >/dev/null 2>&1; then
	out=$(systemd-analyze verify "$UNIT" /lib/systemd/system/dmarc-reports.service \
		/lib/systemd/system/dmarc-reports.timer 2>&1)
	tap_result $? "systemd-analyze verify accepts the installed units" "$out"
else
	tap_skip "systemd-analyze verify" "no systemd-analyze"
fi
if command -v mandoc >/dev/null 2>&1; then
	out=
	for f in /usr/share/man/man8/dmarc-milter.8.gz \
		/usr/share/man/man5/dmarc-milter.conf.5.gz \
		/usr/share/man/man8/dmarc-reports.8.gz; do
		out=$out$(zcat "$f" | mandoc -Tlint -W warning 2>&1 ||
			echo "$f: mandoc -Tlint exit $?")
	done
	is "$out" "" "mandoc -Tlint -W warning: the installed man pages"
else
	tap_skip "mandoc -Tlint: the installed man pages" "mandoc not installed"
fi
out=$(as_unit /usr/sbin/dmarc-milter -n -c "$CONF" 2>&1)
st=$?
[ "$st" -eq 0 ] && printf '%s\n' "$out" | grep -qxF "$CONF: configuration OK"
tap_result $? "dmarc-milter -n accepts the installed configuration (as the unit's user)" "$out"

# --- run it in the lab ---
PKG_COUNTS=$W/lab.counts
export PKG_COUNTS
PKG_TAP_N=$_tap_n LAB_IN_NS=1 unshare -mnpf --kill-child --mount-proc -- \
	"$BASH" "$0" --in-lab
if [ -s "$PKG_COUNTS" ]; then
	read -r n f <"$PKG_COUNTS"
	_tap_n=$n
	_tap_failed=$((_tap_failed + f))
else
	tap_result 1 "the run in the lab finished"
fi

# --- remove, then purge ---
dpkg -r dmarc-milter >"$W/remove.log" 2>&1
tap_result $? "dpkg -r dmarc-milter" "$(cat "$W/remove.log")"
[ -f "$CONF" ] && getent passwd dmarc-milter >/dev/null && [ ! -e /usr/sbin/dmarc-milter ]
tap_result $? "removed: the program is gone, $CONF and the user stay"
dpkg --purge "${PKGS[@]}" >"$W/purge.log" 2>&1
tap_result $? "dpkg --purge" "$(cat "$W/purge.log")"
installed=
left=
[ ! -e "$CONF" ] || left="$left $CONF"
getent passwd dmarc-milter >/dev/null && left="$left user"
getent group dmarc-milter >/dev/null && left="$left group"
for d in /var/lib/dmarc-milter /var/spool/postfix/dmarc-milter \
	/usr/share/dmarc-milter /etc/systemd/system/multi-user.target.wants/dmarc-milter.service; do
	[ ! -e "$d" ] || left="$left $d"
done
is "${left# }" "" "purged: configuration, user, group and directories gone"
tap_done
