#!/bin/bash
# t-nofrom.sh: a message without a From field through the lab's Postfix.
#
# Root only (see lab.sh). Postfix adds a missing From field, built from
# MAIL FROM, before its milters see the message, but only for clients that
# local_header_rewrite_clients names or with always_add_missing_headers =
# yes; otherwise the message reaches the milter and the recipient with no
# From field at all. t-sendmail.sh has the Sendmail side (which adds it
# after the milters). The cases that wait for the milter change of issue
# 20 (MAIL FROM's domain standing in for a missing From domain) are TAP
# TODO; an unexpected pass (XPASS) fails the suite, to remove the mark.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's handling of a missing From"

lab_init
lab_nsd_start
# no trusted ids: nothing here relies on another filter's A-R
# shellcheck disable=SC2119
lab_postfix_start
lab_milter_start "SPFSelfValidate true" "RejectFailures true"

REJECT_PAYPAL='550 5.7.1 rejected by DMARC policy for paypal.com'
AR='^Authentication-Results: mx\.test;'
SPOOFER=192.0.2.66
TODO_WHY='milter change pending (issue 20)'

# todo_is GOT EXPECTED DESCRIPTION, todo_like TEXT ERE DESCRIPTION: is and
# like for a case that waits for the milter change, reported as TODO
# either way (lab.sh's counter, not its failure count)
todo_is() {
	if [ "$1" = "$2" ]; then _todo 0 "$3"; else _todo 1 "$3" "$1
expected: $2"; fi
}

todo_like() {
	if printf '%s\n' "$1" | grep -Eq -- "$2"; then _todo 0 "$3"; else
		_todo 1 "$3" "$1
expected a line matching: $2"; fi
}

_todo() {
	_tap_n=$((_tap_n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $_tap_n - $2 # TODO $TODO_WHY"
	else
		echo "not ok $_tap_n - $2 # TODO $TODO_WHY"
		printf '%s\n' "${3:-(nothing)}" | sed 's/^/# got: /'
	fi
}

# nofrom NAME CLIENT: a message with no From field from help@paypal.com
nofrom() {
	lab_send "$1" --from help@paypal.com --xclient-addr "$2" --data "$(lab_message "$1" \
		"To: <$1@recipient.test>" "Date: $(date -R)" "Subject: no From" \
		"Message-ID: <$1@lab.test>")"
}

# --- the lab's settings: no missing header is added ---------------------------------
nofrom plain-ok 192.0.2.10
if lab_wait_delivered plain-ok >/dev/null; then
	unlike "$(lab_headers plain-ok)" '^From:' \
		"always_add_missing_headers = no: the message is delivered with no From field"
	todo_like "$(lab_ar plain-ok)" "$AR dmarc=pass" \
		"... and from paypal.com's authorised address it carries our dmarc=pass (MAIL FROM's domain stands in)"
else
	tap_result 1 "always_add_missing_headers = no: the message is delivered with no From field" \
		"not delivered: $(lab_reply plain-ok)"
	_todo 1 "... and from paypal.com's authorised address it carries our dmarc=pass (MAIL FROM's domain stands in)" \
		"not delivered"
fi
nofrom plain-spoof $SPOOFER
todo_is "$(lab_reply plain-spoof)" "$REJECT_PAYPAL" \
	"always_add_missing_headers = no: a spoof with no From field is judged by MAIL FROM's domain, 550"

# --- always_add_missing_headers = yes: Postfix adds From before the milter ----------
postconf -e always_add_missing_headers=yes
postfix reload >>"$LAB/log/postfix-start.log" 2>&1 || lab_die "postfix reload failed"
# the reload reaches cleanup as its processes are replaced: wait until a
# new message shows the setting
i=0
while :; do
	i=$((i + 1))
	nofrom added-ok-$i 192.0.2.10
	lab_headers "added-ok-$i" | grep -q '^From:' && break
	[ "$i" -lt 10 ] || break
	sleep 1
done
like "$(lab_headers "added-ok-$i")" '^From: help@paypal\.com$' \
	"always_add_missing_headers = yes: Postfix adds From: help@paypal.com"
like "$(lab_ar "added-ok-$i")" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"... before the milter, which evaluates paypal.com: dmarc=pass from its authorised address"
nofrom added-spoof $SPOOFER
is "$(lab_reply added-spoof)" "$REJECT_PAYPAL" \
	"always_add_missing_headers = yes: a spoof with no From field gets 550"

tap_done
