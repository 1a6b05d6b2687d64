# policyd.sh: the real postfix-policyd-spf-python in the lab's Postfix
# (sourced after lab.sh, not run).
#
# Debian's package is used as the operator installs it: the spawn service
# of its README.Debian in master.cf, check_policy_service after
# reject_unauth_destination, and its shipped policyd-spf.conf, to which a
# test may append settings. It runs as the package's policyd-spf user,
# asks the lab's nsd (the namespace's resolv.conf), and answers Postfix
# with a PREPEND of its Received-SPF field or, on an SPF Fail with the
# shipped settings (Mail_From_reject = Fail), a 550 of its own at RCPT.
# shellcheck shell=bash

LAB_POLICYD_CONF_SHIPPED=/etc/postfix-policyd-spf-python/policyd-spf.conf
LAB_POLICYD=/usr/bin/policyd-spf

# lab_policyd_spf_ready: the package is there (else the test skips).
lab_policyd_spf_ready() {
	[ -x "$LAB_POLICYD" ] && [ -r "$LAB_POLICYD_CONF_SHIPPED" ] &&
		id policyd-spf >/dev/null 2>&1
}

# lab_policyd_spf_enable ['Name = value'...]: after lab_postfix_start, put
# policyd-spf in front of the milter with the shipped configuration plus
# the given lines (a later line wins in policyd-spf.conf), and reload
# Postfix. Calling it again replaces the configuration.
lab_policyd_spf_enable() {
	local dir=$LAB/policyd line
	[ -n "${_lab_postfix:-}" ] || lab_die "lab_policyd_spf_enable before lab_postfix_start"
	mkdir -p "$dir"
	chmod 755 "$dir"
	{
		cat "$LAB_POLICYD_CONF_SHIPPED"
		echo "# added by tests/lab/policyd.sh"
		for line in "$@"; do
			echo "$line"
		done
	} >"$dir/policyd-spf.conf"
	chmod 644 "$dir/policyd-spf.conf"
	postconf -M "policyd-spf/unix=policyd-spf unix - n n - 0 spawn user=policyd-spf argv=$LAB_POLICYD $dir/policyd-spf.conf" ||
		lab_die "postconf -M policyd-spf failed"
	postconf -e \
		"smtpd_recipient_restrictions = permit_mynetworks, permit_sasl_authenticated, reject_unauth_destination, check_policy_service unix:private/policyd-spf" \
		"policyd-spf_time_limit = 3600" ||
		lab_die "postconf -e for policyd-spf failed"
	_lab_policyd_reload
}

# lab_policyd_spf_disable: Postfix without the policy service again.
lab_policyd_spf_disable() {
	postconf -X smtpd_recipient_restrictions policyd-spf_time_limit
	postconf -MX policyd-spf/unix
	_lab_policyd_reload
}

# A reload makes the running smtpd processes finish: the next connection
# gets a new one that reads the new main.cf.
_lab_policyd_reload() {
	postfix reload >>"$LAB/log/postfix-start.log" 2>&1 ||
		lab_die "postfix reload failed: $(tail -n 5 "$LAB/log/postfix-start.log")"
	_lab_wait smtpd 15 _lab_smtp_banner 2525 ||
		lab_die "no SMTP banner on 127.0.0.1:2525 after reload"
}

# lab_rspf NAME: the Received-SPF fields of NAME's delivered message,
# unfolded, topmost first.
lab_rspf() {
	lab_headers "$1" | grep -i '^Received-SPF:' || true
}
