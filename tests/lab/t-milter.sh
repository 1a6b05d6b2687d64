#!/bin/bash
# t-milter.sh: dmarc-milter behind a real Postfix, end to end.
#
# Root only: the script re-executes itself in private mount, network and PID
# namespaces (see lab.sh), runs nsd with the test root zone (root.zone),
# Postfix on 127.0.0.1:2525 (with the shipped etc/postfix/header_checks) and
# 127.0.0.1:2526 (without), and the milter ($DM_MILTER, default
# $top_builddir/dmarc-milter). Messages go in with swaks; XCLIENT sets the
# client address. The tests read the SMTP replies, the delivered messages,
# the hold queue and the logs. LAB_KEEP=1 keeps the lab directory.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"

lab_init
lab_nsd_start
# policy.test's A-R (spf=fail) is PREPENDed to the spoofer's messages
# shellcheck disable=SC2034 # read by lab_postfix_start
LAB_POLICY_PREPEND=1
lab_postfix_start policy.test opendkim.test

REJECT_PAYPAL='550 5.7.1 rejected by DMARC policy for paypal.com'
AR='^Authentication-Results: mx\.test;'
SPOOFER=192.0.2.66

echo 192.0.2.99 >"$LAB/run/ignore.hosts"
BASE_CONFIG=(
	"SPFSelfValidate true"
	"RejectFailures true"
	"RequiredHeaders true"
	"IgnoreHosts $LAB/run/ignore.hosts"
	"IgnoreAuthenticatedClients true"
	"IgnoreMailFrom skipme.test"
	"TrustedAuthservIDs policy.test,opendkim.test"
)

# reply_is NAME EXPECTED DESCRIPTION: the reply to the end of DATA
reply_is() {
	local got
	got=$(lab_reply "$1")
	if [ "$got" = "$2" ]; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$got
expected: $2
$(lab_transcript "$1" | tail -n 8)"
	fi
}

# reply_like NAME ERE DESCRIPTION
reply_like() {
	local got
	got=$(lab_reply "$1")
	if printf '%s\n' "$got" | grep -Eq -- "$2"; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$got
expected a match for: $2
$(lab_transcript "$1" | tail -n 8)"
	fi
}

# delivered_ar NAME ERE DESCRIPTION: NAME was delivered, and one of its
# A-R headers matches
delivered_ar() {
	if ! lab_wait_delivered "$1" >/dev/null; then
		tap_result 1 "$3" "not delivered; reply: $(lab_reply "$1")"
		return 0
	fi
	like "$(lab_ar "$1")" "$2" "$3"
}

# held_header NAME: the header of NAME's message in the queue
held_header() {
	local id
	id=$(lab_queue_id "$1")
	[ -n "$id" ] && postcat -h -q "$id" 2>/dev/null | tr -d '\r'
}

# --- the shipped header_checks rule, as Postfix reads it ---------------------
# hc_is HEADER EXPECTED DESCRIPTION: what the lab's header_checks table
# (the shipped rule, once per trusted id) says about HEADER
hc_is() {
	is "$(postmap -q "$1" regexp:/etc/postfix/header_checks 2>&1)" "$2" "$3"
}
hc_is 'Authentication-Results: policy.test; spf=pass smtp.mailfrom=paypal.com' IGNORE \
	"header_checks: strips an A-R of a trusted id"
hc_is 'authentication-results:OPENDKIM.TEST;dkim=pass header.d=paypal.com' IGNORE \
	"header_checks: any case, no spaces"
hc_is 'Authentication-Results: (by our MX) "policy.test" 1; spf=pass' IGNORE \
	"header_checks: a comment, a quoted id and a version"
hc_is "Authentication-Results:
	policy.test;
	spf=pass smtp.mailfrom=paypal.com" IGNORE "header_checks: a folded header"
hc_is 'Authentication-Results: notpolicy.test; spf=pass' '' \
	"header_checks: keeps another id that ends like a trusted one"
hc_is 'Authentication-Results: policy.test.example; spf=pass' '' \
	"header_checks: keeps another id that starts like a trusted one"
hc_is 'X-Authentication-Results: policy.test; spf=pass' '' \
	"header_checks: keeps other header names"

# --- the main configuration: self-validated SPF, enforcement on -----------
lab_milter_start "${BASE_CONFIG[@]}"

# The classic spoof: a p=reject domain from an address its SPF does not
# authorise, no DKIM.
lab_send spoof --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: PayPal <service@paypal.com>'
reply_is spoof "$REJECT_PAYPAL" "spoof of a p=reject domain: 550 with OpenDMARC's text"
like "$(lab_maillog_grep 'milter-reject: END-OF-MESSAGE')" \
	"milter-reject: END-OF-MESSAGE from [^ ]*\\[$SPOOFER\\]: 5\\.7\\.1 rejected by DMARC policy for paypal\\.com; from=<help@paypal\\.com> to=<spoof@recipient\\.test>" \
	"Postfix logs the milter's reject of the spoof"

lab_send subdom --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: <alerts@x.paypal.com>'
reply_is subdom "$REJECT_PAYPAL" "From x.paypal.com: the reply names the policy domain paypal.com"

# The same sender from its SPF-authorised address.
lab_send legit --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: PayPal <service@paypal.com>'
reply_like legit '^250 2\.0\.0 Ok: queued as ' "paypal.com from its authorised address is accepted"
delivered_ar legit "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"... and delivered with dmarc=pass"
like "$(lab_ar legit)" "$AR spf=pass smtp\\.mailfrom=paypal\\.com\$" \
	"... with our own spf=pass smtp.mailfrom=paypal.com result"
qid=$(lab_queue_id legit)
like "$(lab_milter_log)" "${qid:-no-queue-id}.*paypal\\.com.*pass" \
	"the milter logs the message with its queue id, From domain and result"

lab_send quar --from info@quarantine.test --xclient-addr $SPOOFER \
	--header 'From: <info@quarantine.test>'
reply_like quar '^250 2\.0\.0 Ok: queued as ' "p=quarantine failure is accepted at SMTP"
if lab_wait_hold quar; then tap_result 0 "... and sits in the hold queue"; else
	tap_result 1 "... and sits in the hold queue" "postqueue -j: $(lab_queue quar)"; fi
like "$(held_header quar)" \
	"$AR dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=quarantine\\.test\$" \
	"... with dis=quarantine in its header"
like "$(lab_maillog_grep 'milter-hold')" "milter-hold: END-OF-MESSAGE.*to=<quar@recipient\\.test>" \
	"Postfix logs the milter's hold"

lab_send subquar --from info@example.org --xclient-addr $SPOOFER \
	--header 'From: <info@x.example.org>'
if lab_wait_hold subquar; then tap_result 0 "subdomain of p=reject sp=quarantine: held"; else
	tap_result 1 "subdomain of p=reject sp=quarantine: held" "reply: $(lab_reply subquar); postqueue -j: $(lab_queue subquar)"; fi
like "$(held_header subquar)" \
	"$AR dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=x\\.example\\.org\$" \
	"... and its header shows the sp policy"
lab_send suborg --from info@example.org --xclient-addr $SPOOFER \
	--header 'From: <info@example.org>'
reply_is suborg '550 5.7.1 rejected by DMARC policy for example.org' \
	"the organisational domain itself gets p=reject"

lab_send pnone --from news@none.test --xclient-addr $SPOOFER \
	--header 'From: <news@none.test>'
delivered_ar pnone "$AR dmarc=fail \\(p=none dis=none\\) header\\.from=none\\.test\$" \
	"p=none failure: delivered with dmarc=fail (p=none dis=none)"

lab_send norec --from news@nodmarc.test --xclient-addr $SPOOFER \
	--header 'From: <news@nodmarc.test>'
delivered_ar norec "$AR dmarc=none \\(p=none dis=none\\) header\\.from=nodmarc\\.test\$" \
	"no DMARC record: delivered with dmarc=none"

# RequiredHeaders
msg=$(lab_message twofrom "From: <a@none.test>" "From: <b@none.test>" \
	"To: <twofrom@recipient.test>" "Date: $(date -R)" "Subject: two From")
lab_send twofrom --from a@none.test --xclient-addr 192.0.2.30 --data "$msg"
reply_like twofrom '^550 5\.7\.1 .*From' "RequiredHeaders: two From fields: 550 5.7.1 with a reason naming From"
msg=$(lab_message nodate "From: <a@none.test>" "To: <nodate@recipient.test>" \
	"Subject: no Date")
lab_send nodate --from a@none.test --xclient-addr 192.0.2.30 --data "$msg"
reply_like nodate '^550 5\.7\.1 .*Date' "RequiredHeaders: no Date: 550 5.7.1 with a reason naming Date"

# Skips: the spoof passes untouched
lab_send ignhost --from help@paypal.com --xclient-addr 192.0.2.99 \
	--header 'From: <service@paypal.com>'
reply_like ignhost '^250 ' "IgnoreHosts: a spoof from an ignored host is accepted"
if lab_wait_delivered ignhost >/dev/null; then
	unlike "$(lab_ar ignhost)" "$AR" "... delivered, without our A-R header"
else
	tap_result 1 "... delivered, without our A-R header" "not delivered"
fi

# XCLIENT LOGIN= makes the session SMTP-authenticated for smtpd, which
# then passes {auth_authen} to milters as for AUTH (Received: says ESMTPA).
lab_send authed --from help@paypal.com --xclient-addr $SPOOFER \
	--xclient-login alice --header 'From: <service@paypal.com>'
reply_like authed '^250 ' "IgnoreAuthenticatedClients: an authenticated client's spoof is accepted"
if lab_wait_delivered authed >/dev/null; then
	unlike "$(lab_ar authed)" "$AR" "... delivered, without our A-R header"
else
	tap_result 1 "... delivered, without our A-R header" "not delivered"
fi

lab_send skipfrom --from a@skipme.test --xclient-addr $SPOOFER \
	--header 'From: <a@skipme.test>'
reply_like skipfrom '^250 ' "IgnoreMailFrom: a p=reject failure from a skipped domain is accepted"

# Forged Authentication-Results. On port 2525 the shipped header_checks
# strip A-R headers of the trusted ids before the milter sees them.
FORGED_SPF='Authentication-Results: policy.test; spf=pass smtp.mailfrom=paypal.com'
FORGED_DKIM='Authentication-Results: opendkim.test; dkim=pass header.d=paypal.com'
lab_send forged --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: <service@paypal.com>' \
	--add-header "$FORGED_SPF" --add-header "$FORGED_DKIM"
reply_is forged "$REJECT_PAYPAL" "forged trusted spf=pass and dkim=pass (shipped header_checks): still rejected"

lab_send forgedok --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: <service@paypal.com>' \
	--add-header "$FORGED_SPF" --add-header "$FORGED_DKIM" \
	--add-header 'Authentication-Results: (note) "opendkim.test" 1; dkim=pass header.d=paypal.com'
lab_wait_delivered forgedok >/dev/null || true
unlike "$(lab_ar forgedok)" 'policy\.test|opendkim\.test' \
	"the shipped header_checks rule removed every A-R header of a trusted id"

# Port 2526: no header_checks; the milter's own defences must hold.
lab_send ownid --port 2526 --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: <service@paypal.com>' \
	--add-header 'Authentication-Results: mx.test; spf=pass smtp.mailfrom=paypal.com' \
	--add-header 'Authentication-Results: mx.test; dkim=pass header.d=paypal.com; dmarc=pass header.from=paypal.com'
reply_is ownid "$REJECT_PAYPAL" "no header_checks: a forged A-R with our own AuthservID does not pass a spoof"

# The policy service's real spf=fail is PREPENDed above the sender's forged
# spf=pass of the same id (LAB_POLICY_PREPEND); only the topmost counts.
lab_send belowreal --port 2526 --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: <service@paypal.com>' --add-header "$FORGED_SPF"
reply_is belowreal "$REJECT_PAYPAL" \
	"no header_checks: a forged trusted spf=pass below the real spf=fail does not pass a spoof"

lab_send ownidok --port 2526 --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: <service@paypal.com>' \
	--add-header 'Authentication-Results: mx.test; dmarc=fail (p=reject dis=none) header.from=forged.test'
delivered_ar ownidok "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"no header_checks: a legitimate message carrying a forged own-id A-R is delivered with dmarc=pass"
unlike "$(lab_ar ownidok)" 'forged\.test' "... and the forged own-id A-R header was removed"

# A broken DNS server (SERVFAIL): temperror, accepted by default.
lab_send dnsfail --from info@broken.test --xclient-addr $SPOOFER \
	--header 'From: <info@broken.test>'
delivered_ar dnsfail "$AR dmarc=temperror( \\([^)]*\\))? header\\.from=broken\\.test\$" \
	"DNS SERVFAIL: delivered with dmarc=temperror (TempErrorAction accept, the default)"

# --- DMARCSpec rfc7489: pct sampling, as OpenDMARC ----------------------------
lab_milter_start "${BASE_CONFIG[@]}" "DMARCSpec rfc7489"
lab_send pct0 --from news@pctzero.test --xclient-addr $SPOOFER \
	--header 'From: <news@pctzero.test>'
delivered_ar pct0 "$AR dmarc=fail \\(p=quarantine dis=none\\) header\\.from=pctzero\\.test\$" \
	"p=quarantine pct=0: outside the sample, delivered with dis=none"

lab_send pct0r --from news@pctreject.test --xclient-addr $SPOOFER \
	--header 'From: <news@pctreject.test>'
reply_like pct0r '^250 ' "p=reject pct=0: not rejected"
if lab_wait_hold pct0r; then tap_result 0 "... but quarantined, the next weaker policy (RFC 7489 6.6.4)"; else
	tap_result 1 "... but quarantined, the next weaker policy (RFC 7489 6.6.4)" "postqueue -j: $(lab_queue pct0r); A-R: $(lab_ar pct0r)"; fi

# --- DMARCSpec rfc9989, the default: pct is not read, t=y is ----------------
if ! lab_milter_is_opendmarc; then
	lab_milter_start "${BASE_CONFIG[@]}"
	lab_send pct0bis --from news@pctreject.test --xclient-addr $SPOOFER \
		--header 'From: <news@pctreject.test>'
	reply_is pct0bis '550 5.7.1 rejected by DMARC policy for pctreject.test' \
		"RFC 9989: p=reject pct=0 rejects (pct is not read)"
	lab_send tbis --from news@testing.test --xclient-addr $SPOOFER \
		--header 'From: <news@testing.test>'
	reply_like tbis '^250 ' "RFC 9989: p=reject t=y: not rejected"
	if lab_wait_hold tbis; then tap_result 0 "... but held, the next less severe policy"; else
		tap_result 1 "... but held, the next less severe policy" "postqueue -j: $(lab_queue tbis); A-R: $(lab_ar tbis)"; fi
	like "$(held_header tbis)" \
		"$AR dmarc=fail \\(p=reject dis=quarantine\\) header\\.from=testing\\.test\$" \
		"... with dis=quarantine in its header"
fi

# --- TempErrorAction tempfail ---------------------------------------------
lab_milter_start "${BASE_CONFIG[@]}" "TempErrorAction tempfail"
lab_send dnstemp --from info@broken.test --xclient-addr $SPOOFER \
	--header 'From: <info@broken.test>'
reply_like dnstemp '^451 4\.7\.[0-9]+ ' "TempErrorAction tempfail: DNS SERVFAIL gives 451 4.7.x, the sender retries"
if [ -z "$(lab_queue dnstemp)" ] && ! lab_wait_delivered dnstemp 2 >/dev/null; then
	tap_result 0 "... and Postfix neither queued nor delivered it: it stays with the sender"
else
	tap_result 1 "... and Postfix neither queued nor delivered it: it stays with the sender" \
		"postqueue -j: $(lab_queue dnstemp); A-R: $(lab_ar dnstemp)"
fi
lab_send dnstempok --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: <service@paypal.com>'
reply_like dnstempok '^250 ' "TempErrorAction tempfail: working DNS still accepts"

# --- RejectFailures false: header only --------------------------------------
cfg=()
for line in "${BASE_CONFIG[@]}"; do
	case $line in RejectFailures*) ;; *) cfg+=("$line") ;; esac
done
lab_milter_start "${cfg[@]}" "RejectFailures false"
lab_send noenf --from help@paypal.com --xclient-addr $SPOOFER \
	--header 'From: <service@paypal.com>'
delivered_ar noenf "$AR dmarc=fail \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"RejectFailures false: the spoof is delivered with dmarc=fail (p=reject dis=none)"
lab_send noenfq --from info@quarantine.test --xclient-addr $SPOOFER \
	--header 'From: <info@quarantine.test>'
delivered_ar noenfq "$AR dmarc=fail \\(p=quarantine dis=none\\) header\\.from=quarantine\\.test\$" \
	"RejectFailures false: a p=quarantine failure is delivered, not held"

lab_milter_stop
# a milter that is gone: Postfix's milter_default_action (tempfail here)
lab_send nomilter --from help@paypal.com --xclient-addr 192.0.2.10 \
	--header 'From: <service@paypal.com>'
reply_like nomilter '^4[0-9][0-9] ' "with the milter stopped, the lab's Postfix temp-fails (no silent delivery)"

tap_done
