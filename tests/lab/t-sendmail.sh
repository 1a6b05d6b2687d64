#!/bin/bash
# t-sendmail.sh: dmarc-milter behind a real Sendmail 8.17, end to end.
#
# Root only: Debian 12's sendmail packages are fetched once into a cache
# and unpacked into the lab (never installed: that would remove Postfix);
# see sendmail.sh. Sendmail runs as a daemon on 127.0.0.1:2527 with the
# milter on unix:/run/dmarc-milter/dmarc-milter.sock (F=T), the milter
# runs as an unprivileged user as under the shipped systemd unit, clients
# connect from 192.0.2.x on the namespace's loopback. The cases of issue
# 20: a message with no usable From field is judged by its MAIL FROM
# domain (the HELO name for a null sender), which Sendmail writes into the
# From it adds after the milters; a `sendmail -bs` session, which has no
# client address, is a local submission.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
# shellcheck source=tests/lab/sendmail.sh
. "$(dirname "$0")/sendmail.sh"
lab_sendmail_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's Sendmail support and metrics"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
for tool in opendkim opendkim-genkey curl; do
	command -v "$tool" >/dev/null 2>&1 || tap_skip_all "$tool not installed"
done
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it, or set MILTC)"

lab_init
lab_sendmail_init
diag "Debian's sendmail $LAB_SM_VERSION, unpacked from $DM_SENDMAIL_CACHE"

REJECT_PAYPAL='550 5.7.1 rejected by DMARC policy for paypal.com'
AR='^Authentication-Results: mx\.test;'
ACCEPTED='^250 2\.0\.0 [0-9A-Za-z]+ Message accepted for delivery$'
SPOOFER=192.0.2.66
URL=http://$LAB_SM_METRICS/metrics

# --- TAP helpers ------------------------------------------------------------------


# matches TEXT ERE: some line of TEXT matches ERE
matches() {
	printf '%s\n' "$1" | grep -Eq -- "$2"
}

# reply_is NAME EXPECTED DESCRIPTION: the reply to the end of DATA (or the
# first error), with the end of the transcript when it differs
reply_is() {
	local got
	got=$(lab_reply "$1")
	if [ "$got" = "$2" ]; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$got
expected: $2
$(lab_transcript "$1" | tail -n 8)"
	fi
}

reply_like() {
	local got
	got=$(lab_reply "$1")
	if matches "$got" "$2"; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$got
expected a match for: $2
$(lab_transcript "$1" | tail -n 8)"
	fi
}

# delivered_ar NAME ERE DESCRIPTION: NAME was delivered and one of its
# A-R fields matches
delivered_ar() {
	if ! lab_sm_wait_delivered "$1" >/dev/null; then
		tap_result 1 "$3" "not delivered; reply: $(lab_reply "$1")"
		return 0
	fi
	like "$(lab_sm_ar "$1")" "$2" "$3"
}

# metric NAME-AND-LABELS: one sample's value from /metrics (0 when absent)
metric() {
	curl -sS --max-time 10 "$URL" | awk -v k="$1" '$1 == k { v = $2 } END { print v + 0 }'
}

# metric_sum FAMILY: the sum of a family's samples
metric_sum() {
	curl -sS --max-time 10 "$URL" | awk -v f="$1" 'index($1, f "{") == 1 { s += $2 } END { print s + 0 }'
}

# --- DKIM keys and signing ------------------------------------------------------------

# signed.test: p=reject, SPF for 192.0.2.70 only, a DKIM key; its mail
# comes from the spoofer's address, so only DKIM can make it pass.
KEYS=$LAB/keys
mkdir -p "$KEYS"
opendkim-genkey -b 2048 -d signed.test -s sel -D "$KEYS" || lab_die "opendkim-genkey failed"
{
	echo 'signed.test.		TXT	"v=spf1 ip4:192.0.2.70 -all"'
	echo '_dmarc.signed.test.	TXT	"v=DMARC1; p=reject"'
	printf 'sel._domainkey.signed.test.\tTXT\t(%s)\n' \
		"$(tr -d '\n' <"$KEYS/sel.txt" | sed 's/^[^(]*(\(.*\)).*$/\1/')"
} >"$LAB/zone.extra"
# shellcheck disable=SC2034 # read by lab_nsd_start
LAB_ZONE_EXTRA=$LAB/zone.extra
lab_nsd_start

# opendkim_start MODE SOCKET-PATH: opendkim, signing for signed.test (s)
# or verifying as opendkim.test (v); its socket directory is root's, 0755.
opendkim_start() {
	local conf=$LAB/run/opendkim-$1.conf
	mkdir -p "$(dirname "$2")"
	chmod 755 "$(dirname "$2")"
	{
		echo "Mode $1"
		echo "Socket local:$2"
		echo "AuthservID opendkim.test"
		echo "KeyTable file:$LAB/run/odk.keys"
		echo "SigningTable refile:$LAB/run/odk.signers"
		echo "Canonicalization relaxed/simple"
		echo "Background no"
		echo "Syslog no"
		echo "UserID root"
		echo "RequireSafeKeys no"
		# Debian's opendkim resolves with libunbound, which sent no query
		# to the lab's nsd (forward or stub zone alike): the key the zone
		# publishes comes from opendkim's test-key file instead
		echo "TestPublicKeys $LAB/run/odk-public-keys"
	} >"$conf"
	printf 'sel._domainkey.signed.test %s\n' \
		"$(tr -d '\n' <"$KEYS/sel.txt" | sed 's/^[^(]*(\(.*\)).*$/\1/' | tr -d '"\t ' | sed 's/;/; /g')" \
		>"$LAB/run/odk-public-keys"
	echo "k signed.test:sel:$KEYS/sel.private" >"$LAB/run/odk.keys"
	echo "* k" >"$LAB/run/odk.signers"
	rm -f "$2"
	opendkim -f -x "$conf" >>"$LAB/log/opendkim.log" 2>&1 &
	_odk_pid=$!
	_lab_wait opendkim 10 test -S "$2" || lab_die "opendkim did not start (see $LAB/log/opendkim.log)"
}

opendkim_stop() {
	kill "$_odk_pid" 2>/dev/null || true
	wait "$_odk_pid" 2>/dev/null || true
}

# A message from signed.test with opendkim's signature (signing mode,
# driven through miltc as an MTA would).
SIGNED=$LAB/msg/signed.eml
printf '%s\r\n' "From: Sender <news@signed.test>" "To: <rcpt@recipient.test>" \
	"Subject: signed" "Date: $(date -R)" "Message-ID: <signed@signed.test>" "" \
	"The quarterly figures are attached." >"$LAB/msg/unsigned.eml"
opendkim_start s "$LAB/run/odk-sign/odk.sock"
sig=$("$MILTC" -s "unix:$LAB/run/odk-sign/odk.sock" -c 127.0.0.1 -f '<news@signed.test>' \
	-r '<rcpt@recipient.test>' "$LAB/msg/unsigned.eml" |
	sed -n 's/^INSHEADER [0-9]* DKIM-Signature: //p')
opendkim_stop
[ -n "$sig" ] || lab_die "opendkim did not sign (see $LAB/log/opendkim.log)"
{
	printf 'DKIM-Signature: %s\r\n' "${sig//\\n/$'\r\n'}"
	cat "$LAB/msg/unsigned.eml"
} >"$SIGNED"

# --- the main configuration --------------------------------------------------------
BASE=("SPFSelfValidate true" "DKIMSelfVerify true" "RejectFailures true"
	"IgnoreAuthenticatedClients true")
lab_sm_milter_start "${BASE[@]}"
lab_sendmail_start

is "$(stat -c '%a %U' /run/dmarc-milter) $(lab_sm_log_grep 'unsafe' | head -n 1)" \
	"750 $LAB_SM_USER " \
	"the socket directory as the unit makes it (0750, the milter's user) passes Sendmail's checks"

lab_sm_send legit 192.0.2.10 --from help@paypal.com --header 'From: PayPal <service@paypal.com>'
reply_like legit "$ACCEPTED" "paypal.com from its authorised address is accepted"
delivered_ar legit "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"... and delivered with dmarc=pass"
like "$(lab_sm_ar legit)" "$AR spf=pass smtp\\.mailfrom=paypal\\.com\$" "... and our spf=pass"
qid=$(lab_sm_qid legit)
like "$(lab_milter_log)" "^dmarc-milter: info: ${qid:-no-queue-id}: paypal\\.com pass " \
	"the milter's log line carries Sendmail's queue id ($qid)"

lab_sm_send dkim $SPOOFER --from news@signed.test --data "$SIGNED"
reply_like dkim "$ACCEPTED" "a DKIM-signed message from an address SPF does not authorise is accepted"
delivered_ar dkim "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=signed\\.test\$" \
	"... and delivered with dmarc=pass (DKIM aligned)"
like "$(lab_sm_ar dkim)" "$AR dkim=pass .*header\\.d=signed\\.test" "... and our dkim=pass"

lab_sm_send spoof $SPOOFER --from help@paypal.com --header 'From: PayPal <service@paypal.com>'
reply_is spoof "$REJECT_PAYPAL" "spoof of a p=reject domain: 550 with OpenDMARC's text"
like "$(lab_sm_log_grep 'Milter: data, reject=')" \
	"Milter: data, reject=$REJECT_PAYPAL\$" "Sendmail logs the milter's reject"

lab_sm_send quar $SPOOFER --from info@quarantine.test --header 'From: <info@quarantine.test>'
reply_like quar "$ACCEPTED" "p=quarantine failure is accepted at SMTP"
qid=$(lab_sm_qid quar)
like "$(lab_sm_quarantine)" "QUARANTINE: quarantined by DMARC policy for quarantine\\.test" \
	"... and mailq -qQ lists it in quarantine, with the reason"
like "$(cat "$LAB_SM/queue/hf$qid" 2>/dev/null)" '^qquarantined by DMARC policy for quarantine\.test$' \
	"... its queue file is hf$qid with a q line"
like "$(lab_sm_queue_header "$qid")" \
	"^Authentication-Results: mx\\.test; dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=quarantine\\.test\$" \
	"... with dis=quarantine in its header"
# Released: back in the normal queue; the next queue run delivers it.
lab_sendmail -qQ -Q -qI"$qid" >"$LAB/out/release.out" 2>&1 || true
unlike "$(lab_sm_quarantine)" "$qid" "sendmail -qQ -Q -qI$qid releases it from quarantine"
like "$(lab_sendmail -bp 2>&1)" "^$qid " "... into the normal queue"
lab_sendmail -q -qI"$qid" >"$LAB/out/queue-run.out" 2>&1 || true
delivered_ar quar "$AR dmarc=fail \\(p=quarantine dis=quarantine\\)" \
	"... and a queue run delivers it, with our verdict in its header"

msg=$(lab_message twofrom "From: <a@none.test>" "From: <b@paypal.com>" \
	"To: <twofrom@recipient.test>" "Date: $(date -R)" "Subject: two From")
lab_sm_send twofrom 192.0.2.30 --from a@none.test --data "$msg"
reply_is twofrom "$REJECT_PAYPAL" "two From fields (p=none passes, p=reject fails): the strictest, 550"

# A forged A-R with our id, on a p=none failure (delivered)
lab_sm_send forged $SPOOFER --from news@none.test --header 'From: <news@none.test>' \
	--add-header 'Authentication-Results: mx.test; dmarc=pass header.from=none.test'
delivered_ar forged "$AR dmarc=fail \\(p=none dis=none\\) header\\.from=none\\.test\$" \
	"p=none failure with a forged A-R of our id: delivered with our dmarc=fail"
unlike "$(lab_sm_ar forged)" 'dmarc=pass' "... and the forged field is gone"

# SMTP AUTH: Sendmail's default macro lists carry {auth_authen} at MAIL
lab_sm_send authed $SPOOFER --from help@paypal.com --header 'From: <service@paypal.com>' \
	-a PLAIN -au "$LAB_SM_AUTH_USER" -ap "$LAB_SM_AUTH_PASS"
reply_like authed "$ACCEPTED" "IgnoreAuthenticatedClients: an authenticated client's spoof is accepted"
like "$(lab_milter_log)" ": not evaluated: authenticated \\($LAB_SM_AUTH_USER\\)\$" \
	"... not evaluated: {auth_authen} reached the milter"

# The counters of what went through so far: legit, dkim, spoof, quar,
# twofrom (2 domains), forged evaluated; authed ignored.
is "$(metric 'dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="pass"}') $(metric 'dmarc_milter_messages_total{domain="paypal.com",policy="reject",result="fail"}')" \
	"1 2" "/metrics: paypal.com, 1 pass and 2 failures (the spoof, the second From)"
is "$(metric 'dmarc_milter_dispositions_total{domain="quarantine.test",policy="quarantine",disposition="quarantine"}')" \
	1 "/metrics: the quarantined message"
is "$(metric 'dmarc_milter_ignored_total{reason="authenticated"}')" 1 \
	"/metrics: the authenticated client's message, not evaluated"

# --- a message without a From field ----------------------------------------------------
# Sendmail adds a missing From (from MAIL FROM) when it delivers, after the
# milters: from the authorised address, the recipient sees paypal.com
nofrom_msg() {
	lab_message "$1" "To: <$1@recipient.test>" "Date: $(date -R)" "Subject: no From"
}
lab_sm_send nofromok 192.0.2.10 --from help@paypal.com --data "$(nofrom_msg nofromok)"
like "$(lab_sm_headers nofromok)" '^From: help@paypal\.com$' \
	"no From field: Sendmail adds From: help@paypal.com at delivery, after the milters"
like "$(lab_sm_ar nofromok)" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com \\(no usable From field; the MAIL FROM domain stands in\\)\$" \
	"... and from paypal.com's authorised address it carries our dmarc=pass, saying MAIL FROM's domain stood in"

lab_sm_send nofrom $SPOOFER --from help@paypal.com --data "$(nofrom_msg nofrom)"
is "$(lab_reply nofrom)" "$REJECT_PAYPAL" \
	"a spoof with no From field is judged by MAIL FROM's domain: 550"
lab_sm_send nodomain $SPOOFER --from help@paypal.com \
	--data "$(lab_message nodomain "From: undisclosed-recipients:;" "To: <nodomain@recipient.test>" "Date: $(date -R)" "Subject: group")"
is "$(lab_reply nodomain)" "$REJECT_PAYPAL" \
	"a spoof whose From field names no domain (an empty group): 550"
lab_sm_send nullnofrom $SPOOFER --from '<>' --helo paypal.com --data "$(nofrom_msg nullnofrom)"
is "$(lab_reply nullnofrom)" "$REJECT_PAYPAL" \
	"a null sender with no From field is judged by the HELO name: 550"

# --- a `sendmail -bs` session: no client address -----------------------------------
ignored=$(metric_sum dmarc_milter_ignored_total)
evaluated=$(metric_sum dmarc_milter_messages_total)
lab_sm_bs bsspoof --from help@paypal.com --header 'From: <service@paypal.com>'
f=$(lab_reply bsspoof)
like "$(lab_sm_log_grep "relay=root@localhost")" "relay=root@localhost" \
	"sendmail -bs: Sendmail logs the session as relay=root@localhost (no client address)"
like "$f" "$ACCEPTED" "sendmail -bs (no client address) is a local submission: a spoof is accepted"
qid=$(lab_sm_qid bsspoof)
like "$(lab_milter_log | grep -E "^dmarc-milter: info: ${qid:-no-queue-id}: " || true)" \
	"not evaluated: ignored_host \\(local \\(no client address\\)\\)\$" \
	"... logged as not evaluated, a local submission, with its queue id"
is "ignored $(metric_sum dmarc_milter_ignored_total), evaluated $(metric_sum dmarc_milter_messages_total)" \
	"ignored $((ignored + 1)), evaluated $evaluated" "... and counted as ignored, not evaluated"

# --- RequiredHeaders, RequiredFrom ---------------------------------------------------
lab_sm_milter_start "${BASE[@]}" "RequiredHeaders true"
lab_sm_send rhnofrom $SPOOFER --from help@paypal.com --data "$(nofrom_msg rhnofrom)"
reply_like rhnofrom '^550 5\.7\.1 .*From' "RequiredHeaders true: no From field, 550 5.7.1 naming From"

lab_sm_milter_start "${BASE[@]}" "RequiredFrom true"
lab_sm_send rfnofrom 192.0.2.10 --from help@paypal.com --data "$(nofrom_msg rfnofrom)"
like "$(lab_reply rfnofrom)" '^550 5\.7\.1 .*From' \
	"RequiredFrom true: no From field, even from the authorised address: 550 5.7.1, a reply naming From"

# With IgnoreHosts emptied, a -bs session is evaluated like any other
: >"$LAB/run/no-hosts"
lab_sm_milter_start "${BASE[@]}" "IgnoreHosts $LAB/run/no-hosts"
lab_sm_bs bsnoignore --from help@paypal.com --header 'From: <service@paypal.com>'
reply_is bsnoignore "$REJECT_PAYPAL" "IgnoreHosts emptied: a sendmail -bs spoof is evaluated, 550"

# --- opendkim beside it: the INPUT_MAIL_FILTER order --------------------------------
# opendkim verifies and adds its A-R; dmarc-milter trusts its id and does
# not verify DKIM itself. A later filter sees what an earlier one added.
opendkim_start v /run/opendkim/opendkim.sock
lab_sm_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"TrustedAuthservIDs opendkim.test"
LAB_SM_FILTERS="$(lab_sendmail_filter opendkim unix:/run/opendkim/opendkim.sock)
$(lab_sendmail_filter)"
lab_sendmail_start
lab_sm_send odkfirst $SPOOFER --from news@signed.test --data "$SIGNED"
delivered_ar odkfirst "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=signed\\.test\$" \
	"opendkim's filter first: dmarc-milter sees its dkim=pass, dmarc=pass"
like "$(lab_sm_ar odkfirst)" '^Authentication-Results: opendkim\.test; dkim=pass' \
	"... and opendkim's A-R is there"
LAB_SM_FILTERS="$(lab_sendmail_filter)
$(lab_sendmail_filter opendkim unix:/run/opendkim/opendkim.sock)"
lab_sendmail_start
lab_sm_send odklast $SPOOFER --from news@signed.test --data "$SIGNED"
reply_is odklast '550 5.7.1 rejected by DMARC policy for signed.test' \
	"opendkim's filter after dmarc-milter: its result comes too late, 550"
opendkim_stop
LAB_SM_FILTERS=

# --- the socket directory: Sendmail's safe-file checks --------------------------------
lab_sm_milter_start "${BASE[@]}"
lab_sendmail_stop
# sm_refuses MODE DBS ERE DESCRIPTION: with /run/dmarc-milter at MODE and
# DontBlameSendmail DBS, Sendmail will not start (exit 71) and says ERE
sm_refuses() {
	local st=0 out
	chmod "$1" /run/dmarc-milter
	LAB_SM_DBS=$2 lab_sendmail_mc >"$LAB_SM/check.mc"
	m4 -D_CF_DIR_="$LAB_SM_ROOT/usr/share/sendmail/cf/" \
		"$LAB_SM_ROOT/usr/share/sendmail/cf/m4/cf.m4" "$LAB_SM/check.mc" >"$LAB_SM/check.cf"
	out=$(timeout 5 "$LAB_SM_BIN" -C "$LAB_SM/check.cf" -L sm-mta -bD 2>&1) || st=$?
	if [ "$st" = 71 ] && matches "$out" "$3"; then tap_result 0 "$4"; else
		tap_result 1 "$4" "exit $st: $out"; fi
}
sm_refuses 0770 "" 'local socket name /run/dmarc-milter/dmarc-milter\.sock unsafe: Group writable directory$' \
	"socket directory 0770: the Sendmail daemon refuses to start (Group writable directory)"
sm_refuses 0777 "" 'unsafe: World writable directory$' \
	"socket directory 0777: the daemon refuses to start (World writable directory)"
sm_refuses 1777 safe 'unsafe: World writable directory$' \
	"socket directory 1777, Sendmail's default DontBlameSendmail: refused too"
chmod 1777 /run/dmarc-milter
lab_sendmail_start
lab_sm_send sticky 192.0.2.10 --from help@paypal.com --header 'From: <service@paypal.com>'
reply_like sticky "$ACCEPTED" "socket directory 1777 with Debian's DontBlameSendmail (TrustStickyBit): accepted"
chmod 0777 /run/dmarc-milter
lab_sm_send wwlater 192.0.2.10 --from help@paypal.com --header 'From: <service@paypal.com>'
reply_is wwlater '451 4.3.2 Please try again later' \
	"world-writable after the start: the filter is unsafe for each connection, F=T gives 451"
like "$(lab_sm_log_grep 'Milter \(dmarc-milter\): local socket name')" 'local socket name /run/dmarc-milter/dmarc-milter\.sock unsafe$' \
	"... and Sendmail logs the socket as unsafe"
chmod 0750 /run/dmarc-milter

# --- the filter down: F=T, F=R, neither ----------------------------------------------
lab_milter_stop
lab_sm_send downT 192.0.2.10 --from help@paypal.com --header 'From: <service@paypal.com>'
reply_is downT '451 4.3.2 Please try again later' "milter stopped, F=T: 451 4.3.2 at MAIL FROM"
lab_sm_bs downTbs --from help@paypal.com --header 'From: <service@paypal.com>'
reply_is downTbs '451 4.3.2 Please try again later' "... and for sendmail -bs too"
LAB_SM_FILTERS=$(lab_sendmail_filter dmarc-milter "" 'F=R, T=C:10s;S:20s;R:30s;E:60s')
lab_sendmail_start
lab_sm_send downR 192.0.2.10 --from help@paypal.com --header 'From: <service@paypal.com>'
reply_is downR '554 mx.test ESMTP not accepting messages' "milter stopped, F=R: 554 at the greeting"
# shellcheck disable=SC2034 # read by lab_sendmail_start
LAB_SM_FILTERS=$(lab_sendmail_filter dmarc-milter "" 'T=C:10s;S:20s;R:30s;E:60s')
lab_sendmail_start
lab_sm_send downN 192.0.2.10 --from help@paypal.com --header 'From: <service@paypal.com>'
reply_like downN "$ACCEPTED" "milter stopped, no F=: the message is accepted"
if lab_sm_wait_delivered downN >/dev/null; then
	unlike "$(lab_sm_ar downN)" "$AR" "... and delivered unfiltered"
else
	tap_result 1 "... and delivered unfiltered" "not delivered"
fi

tap_done
