#!/bin/bash
# t-nofrom.sh: a message without a From field through the lab's Postfix.
#
# Root only (see lab.sh). Postfix adds a missing From field, built from
# MAIL FROM, before its milters see the message, but only for clients that
# local_header_rewrite_clients names or with always_add_missing_headers =
# yes; otherwise the message reaches the milter and the recipient with no
# From field at all. t-sendmail.sh has the Sendmail side (which adds it
# after the milters). Either way the milter judges such a message by its
# MAIL FROM domain, which stands in for the missing From domain (issue 20).
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
	like "$(lab_ar plain-ok)" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com \\(no usable From field; the MAIL FROM domain stands in\\)\$" \
		"... and from paypal.com's authorised address it carries our dmarc=pass, saying MAIL FROM's domain stood in"
else
	tap_result 1 "always_add_missing_headers = no: the message is delivered with no From field" \
		"not delivered: $(lab_reply plain-ok)"
	tap_result 1 "... and from paypal.com's authorised address it carries our dmarc=pass, saying MAIL FROM's domain stood in" \
		"not delivered"
fi
nofrom plain-spoof $SPOOFER
is "$(lab_reply plain-spoof)" "$REJECT_PAYPAL" \
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
