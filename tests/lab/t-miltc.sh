#!/bin/bash
# t-miltc.sh: the milter's verdicts through the protocol test client miltc,
# without Postfix (fast). nsd serves the lab's root zone (root.zone) as in
# t-milter.sh; miltc plays Postfix's side of the milter protocol and prints
# what the milter asked for (INSHEADER, CHGHEADER, QUARANTINE, RESULT ...).
# Root only (see lab.sh). MILTC overrides the client's path.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it, or set MILTC)"

lab_init
lab_nsd_start

SPOOFER=192.0.2.66
HOST=$(hostname)
REJECT_PAYPAL='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'
# our header, inserted or added
AR='^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: mx\.test;'
PASSED='^RESULT (accept|continue)$'

echo 192.0.2.99 >"$LAB/run/ignore.hosts"

# msg NAME FROM-LINE [TOP-HEADER-LINES...]: a message whose first header
# lines are the given ones (what the hops in front of the milter added),
# then FROM-LINE and the usual To, Date, Subject, Message-ID.
msg() {
	local name=$1 from=$2
	shift 2
	lab_message "$name" "$@" "$from" "To: <rcpt@recipient.test>" \
		"Date: $(date -R)" "Subject: $name" "Message-ID: <$name@client.test>" >/dev/null
}

# mt NAME MILTC-OPTIONS...: send message NAME; print miltc's output.
mt() {
	local name=$1
	shift
	"$MILTC" -s "unix:$LAB_SOCK" -q "Q$name" -r '<rcpt@recipient.test>' -t 20 \
		"$@" "$LAB/msg/$name.eml" >"$LAB/out/$name.mt" 2>&1 || true
	cat "$LAB/out/$name.mt"
}

# result_is OUTPUT EXPECTED DESCRIPTION: the last RESULT line
result_is() {
	local got
	got=$(printf '%s\n' "$1" | grep '^RESULT' | tail -n 1)
	if [ "$got" = "$2" ]; then tap_result 0 "$3"; else
		tap_result 1 "$3" "$1
expected: $2"; fi
}

# --- self-validated SPF, enforcement on, trusted ids -----------------------
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"RequiredHeaders true" "IgnoreHosts $LAB/run/ignore.hosts" \
	"IgnoreAuthenticatedClients true" "IgnoreMailFrom skipme.test" \
	"TrustedAuthservIDs policy.test, opendkim.test, HOSTNAME"

msg spoof "From: PayPal <service@paypal.com>"
out=$(mt spoof -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "spoof of a p=reject domain: 550 with OpenDMARC's text"

msg subdom "From: <alerts@x.paypal.com>"
out=$(mt subdom -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "From x.paypal.com: the reply names the policy domain"

msg legit "From: PayPal <service@paypal.com>"
out=$(mt legit -c 192.0.2.10 -f '<help@paypal.com>')
like "$out" "$PASSED" "paypal.com from its authorised address passes"
like "$out" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" "... with dmarc=pass"
like "$out" "$AR spf=pass smtp\\.mailfrom=paypal\\.com\$" "... and spf=pass smtp.mailfrom=paypal.com"

msg quar "From: <info@quarantine.test>"
out=$(mt quar -c $SPOOFER -f '<info@quarantine.test>')
like "$out" '^QUARANTINE quarantined by DMARC policy for quarantine\.test$' "p=quarantine failure: quarantined"
like "$out" "$AR dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=quarantine\\.test\$" \
	"... with dis=quarantine"
like "$out" "$PASSED" "... and accepted (Postfix holds it)"

msg subquar "From: <info@x.example.org>"
out=$(mt subquar -c $SPOOFER -f '<info@example.org>')
like "$out" '^QUARANTINE quarantined by DMARC policy for example\.org$' \
	"subdomain under sp=quarantine: quarantined for the organisational domain"

msg pnone "From: <news@none.test>"
out=$(mt pnone -c $SPOOFER -f '<news@none.test>')
like "$out" "$AR dmarc=fail \\(p=none dis=none\\) header\\.from=none\\.test\$" "p=none failure: dmarc=fail (p=none dis=none)"
unlike "$out" '^QUARANTINE|^RESULT (replycode|reject|tempfail)' "... neither quarantined nor refused"

msg norec "From: <news@nodmarc.test>"
out=$(mt norec -c $SPOOFER -f '<news@nodmarc.test>')
like "$out" "$AR dmarc=none \\(p=none dis=none\\) header\\.from=nodmarc\\.test\$" "no record: dmarc=none"

# RequiredHeaders
lab_message twofrom "From: <a@none.test>" "From: <b@none.test>" "To: <x@recipient.test>" \
	"Date: $(date -R)" "Subject: two From" >/dev/null
out=$(mt twofrom -c 192.0.2.30 -f '<a@none.test>')
like "$out" '^RESULT replycode 550 5\.7\.1 .*From' "RequiredHeaders: two From fields: 550 5.7.1, the reason names From"
lab_message nodate "From: <a@none.test>" "To: <x@recipient.test>" "Subject: no Date" >/dev/null
out=$(mt nodate -c 192.0.2.30 -f '<a@none.test>')
like "$out" '^RESULT replycode 550 5\.7\.1 .*Date' "RequiredHeaders: no Date: 550 5.7.1, the reason names Date"
msg nodomain "From: undisclosed-recipients:;"
out=$(mt nodomain -c 192.0.2.30 -f '<a@none.test>')
like "$out" '^RESULT replycode 550 5\.7\.1 ' "RequiredHeaders: a From without a domain: 550 5.7.1"

# Skips: untouched
msg ignhost "From: <service@paypal.com>"
out=$(mt ignhost -c 192.0.2.99 -f '<help@paypal.com>')
like "$out" '^RESULT accept$' "IgnoreHosts: accepted"
unlike "$out" "$AR" "... without our header"
msg authed "From: <service@paypal.com>"
out=$(mt authed -c $SPOOFER -a alice -f '<help@paypal.com>')
like "$out" '^RESULT accept$' "IgnoreAuthenticatedClients: accepted"
unlike "$out" "$AR" "... without our header"
msg skipfrom "From: <a@skipme.test>"
out=$(mt skipfrom -c $SPOOFER -f '<a@skipme.test>')
like "$out" "$PASSED" "IgnoreMailFrom: a p=reject failure passes"
unlike "$out" "$AR dmarc=" "... without a dmarc result"

# Several From addresses (RFC 7489 6.6.1): the strictest policy applies.
msg multi "From: <news@none.test>, <service@paypal.com>"
out=$(mt multi -c 192.0.2.30 -f '<news@none.test>')
result_is "$out" "$REJECT_PAYPAL" "From none.test and paypal.com, only none.test aligned: rejected for paypal.com"
msg multiq "From: <info@quarantine.test>, <news@none.test>"
out=$(mt multiq -c 192.0.2.30 -f '<news@none.test>')
like "$out" '^QUARANTINE quarantined by DMARC policy for quarantine\.test$' \
	"From quarantine.test and none.test: quarantined for quarantine.test"
msg multisame "From: <a@paypal.com>, <b@PayPal.com>"
out=$(mt multisame -c 192.0.2.10 -f '<help@paypal.com>')
like "$out" "$AR dmarc=pass .*header\\.from=paypal\\.com\$" "two addresses of one domain: evaluated, dmarc=pass"

# Trusted A-R headers (this hop's policy service and opendkim)
msg hostid "From: <service@paypal.com>" \
	"Authentication-Results: $HOST; dkim=pass header.d=paypal.com header.s=sel"
out=$(mt hostid -c $SPOOFER -f '<help@paypal.com>')
like "$out" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"TrustedAuthservIDs HOSTNAME trusts a dkim=pass from '$HOST'"
msg arspf "From: <service@paypal.com>" \
	"Authentication-Results: policy.test; spf=pass smtp.mailfrom=paypal.com"
out=$(mt arspf -c $SPOOFER -f '<help@paypal.com>')
like "$out" "$AR dmarc=pass" "a trusted spf=pass wins over self-validation (SPFIgnoreResults false)"
msg topfail "From: <service@paypal.com>" \
	"Authentication-Results: policy.test; spf=fail smtp.mailfrom=paypal.com" \
	"Authentication-Results: policy.test; spf=pass smtp.mailfrom=paypal.com"
out=$(mt topfail -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "only the topmost A-R of a trusted id counts: a pass below a fail is ignored"
msg ownid "From: <service@paypal.com>" \
	"Authentication-Results: mx.test; spf=pass smtp.mailfrom=paypal.com; dkim=pass header.d=paypal.com"
out=$(mt ownid -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "an A-R with our own AuthservID is not believed"
msg ownidok "From: <service@paypal.com>" "Received: from a by b; $(date -R)" \
	"Authentication-Results: mx.test; dmarc=pass header.from=paypal.com"
out=$(mt ownidok -c 192.0.2.10 -f '<help@paypal.com>')
like "$out" '^CHGHEADER 1 Authentication-Results: ?$' "... and it is deleted"

# DNS SERVFAIL
msg dnsfail "From: <info@broken.test>"
out=$(mt dnsfail -c $SPOOFER -f '<info@broken.test>')
like "$out" "$AR dmarc=temperror( \\([^)]*\\))? header\\.from=broken\\.test\$" "DNS SERVFAIL: dmarc=temperror"
like "$out" "$PASSED" "... accepted by default"
like "$out" "$AR spf=temperror smtp\\.mailfrom=broken\\.test\$" \
	"... and SPF says temperror too (libspf2 alone says permerror)"

# Null sender: SPF checks the HELO identity
msg nullok "From: <service@paypal.com>"
out=$(mt nullok -c 192.0.2.10 -H paypal.com -f '<>')
like "$out" "$AR spf=pass smtp\\.helo=paypal\\.com\$" "null sender: SPF checks the HELO name"
like "$out" "$AR dmarc=pass" "... which aligns with From (dmarc=pass)"
msg nullbad "From: <service@paypal.com>"
out=$(mt nullbad -c $SPOOFER -H paypal.com -f '<>')
result_is "$out" "$REJECT_PAYPAL" "null sender with a HELO the address does not match: rejected"

# Several messages on one connection
out=$(mt spoof -c $SPOOFER -f '<help@paypal.com>' -R 3)
is "$(printf '%s\n' "$out" | grep -c -x -F "$REJECT_PAYPAL")" 3 "three spoofs on one connection: three rejects"
out=$(mt legit -c 192.0.2.10 -f '<help@paypal.com>' -R 3)
is "$(printf '%s\n' "$out" | grep -Ec "$AR dmarc=pass ")" 3 "three good messages on one connection: three dmarc=pass headers"

# --- DMARCSpec: RFC 9989 (the default) beside RFC 7489 ------------------------
# Each case runs under both; RFC 7489 gives OpenDMARC's answer.
for spec in rfc7489 rfc9989; do
	if [ $spec = rfc9989 ] && lab_milter_is_opendmarc; then break; fi
	lab_milter_start "SPFSelfValidate true" "RejectFailures true" "DMARCSpec $spec"
	S=$spec
	if [ $spec = rfc7489 ]; then
		msg pct0 "From: <news@pctzero.test>"
		out=$(mt pct0 -c $SPOOFER -f '<news@pctzero.test>')
		like "$out" "$AR dmarc=fail \\(p=quarantine dis=none\\) header\\.from=pctzero\\.test\$" \
			"p=quarantine pct=0: dis=none"
		unlike "$out" '^QUARANTINE' "... not quarantined"

		msg pct0r "From: <news@pctreject.test>"
		out=$(mt pct0r -c $SPOOFER -f '<news@pctreject.test>')
		like "$out" '^QUARANTINE quarantined by DMARC policy for pctreject\.test$' \
			"p=reject pct=0: quarantined instead (RFC 7489 6.6.4)"
	fi

	msg "psdy$S" "From: <info@agency.gov.uk>"
	out=$(mt "psdy$S" -c $SPOOFER -f '<info@agency.gov.uk>')
	if [ $S = rfc9989 ]; then
		like "$out" '^QUARANTINE quarantined by DMARC policy for gov\.uk$' \
			"$S: psd=y at gov.uk covers agency.gov.uk (sp): quarantined"
	else
		like "$out" "$AR dmarc=none( \\([^)]*\\))? header\\.from=agency\\.gov\\.uk\$" \
			"$S: gov.uk is on the PSL, its record covers nothing: dmarc=none"
	fi

	msg "psdynp$S" "From: <info@ghost.gov.uk>"
	out=$(mt "psdynp$S" -c $SPOOFER -f '<info@ghost.gov.uk>')
	if [ $S = rfc9989 ]; then
		result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for gov.uk' \
			"$S: psd=y, a From domain that does not exist: np=reject"
	else
		like "$out" "$AR dmarc=none( \\([^)]*\\))? header\\.from=ghost\\.gov\\.uk\$" \
			"$S: ghost.gov.uk: dmarc=none"
	fi

	# SPF passes for other.psdn.test; psd=n makes dept.psdn.test its own org
	msg "psdn$S" "From: <info@x.dept.psdn.test>"
	out=$(mt "psdn$S" -c 192.0.2.70 -f '<info@other.psdn.test>')
	if [ $S = rfc9989 ]; then
		like "$out" '^QUARANTINE quarantined by DMARC policy for dept\.psdn\.test$' \
			"$S: psd=n: dept.psdn.test's policy, other.psdn.test does not align"
		like "$out" "$AR dmarc=fail \\(p=quarantine dis=quarantine\\) header\\.from=x\\.dept\\.psdn\\.test\$" \
			"$S: ... dmarc=fail"
	else
		like "$out" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=x\\.dept\\.psdn\\.test\$" \
			"$S: the PSL org psdn.test: other.psdn.test aligns, dmarc=pass"
	fi

	msg "npnx$S" "From: <info@ghost.np.test>"
	out=$(mt "npnx$S" -c $SPOOFER -f '<info@ghost.np.test>')
	if [ $S = rfc9989 ]; then
		result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for np.test' \
			"$S: From NXDOMAIN: np=reject"
	else
		like "$out" '^QUARANTINE quarantined by DMARC policy for np\.test$' \
			"$S: From NXDOMAIN: no np, sp=quarantine"
	fi
	msg "npnodata$S" "From: <info@real.np.test>"
	out=$(mt "npnodata$S" -c $SPOOFER -f '<info@real.np.test>')
	like "$out" '^QUARANTINE quarantined by DMARC policy for np\.test$' \
		"$S: From exists without TXT (NODATA): sp=quarantine"

	msg "testing$S" "From: <news@testing.test>"
	out=$(mt "testing$S" -c $SPOOFER -f '<news@testing.test>')
	if [ $S = rfc9989 ]; then
		like "$out" '^QUARANTINE quarantined by DMARC policy for testing\.test$' \
			"$S: p=reject t=y: quarantined, the next less severe policy"
		like "$out" "$AR dmarc=fail \\(p=reject dis=quarantine\\) header\\.from=testing\\.test\$" \
			"$S: ... dis=quarantine"
	else
		result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for testing.test' \
			"$S: t=y is not read: rejected"
	fi

	msg "pctbis$S" "From: <news@pctreject.test>"
	out=$(mt "pctbis$S" -c $SPOOFER -f '<news@pctreject.test>')
	if [ $S = rfc9989 ]; then
		result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for pctreject.test' \
			"$S: pct=0 is not read: rejected"
	fi

	msg "nop$S" "From: <news@nop.test>"
	out=$(mt "nop$S" -c $SPOOFER -f '<news@nop.test>')
	if [ $S = rfc9989 ]; then
		like "$out" "$AR dmarc=fail \\(p=none dis=none\\) header\\.from=nop\\.test\$" \
			"$S: a record without p is p=none"
	else
		like "$out" "$AR dmarc=none \\(p=none dis=none\\) header\\.from=nop\\.test\$" \
			"$S: a record without p (nor rua): no DMARC processing (6.6.3)"
	fi

	msg "dup$S" "From: <news@dup.corp.test>"
	out=$(mt "dup$S" -c $SPOOFER -f '<news@dup.corp.test>')
	if [ $S = rfc9989 ]; then
		result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for corp.test' \
			"$S: two records at dup.corp.test are skipped: corp.test's p=reject"
	else
		like "$out" "$AR dmarc=none( \\([^)]*\\))? header\\.from=dup\\.corp\\.test\$" \
			"$S: two records at dup.corp.test: no policy"
	fi

	msg "cap$S" "From: <news@a.b.c.d.e.f.g.h.i.j.cap.test>"
	out=$(mt "cap$S" -c $SPOOFER -f '<news@a.b.c.d.e.f.g.h.i.j.cap.test>')
	result_is "$out" 'RESULT replycode 550 5.7.1 rejected by DMARC policy for cap.test' \
		"$S: a twelve-label From domain finds cap.test's policy"

	lab_milter_is_opendmarc ||
		like "$(lab_milter_log)" "Qtesting$S: testing\\.test fail .* spec=$S\$" \
			"$S: the log line names the specification"
done

# --- trusted A-R only, no self-validation ------------------------------------
lab_milter_start "RejectFailures true" "TrustedAuthservIDs policy.test"
msg fulladdr "From: <service@paypal.com>" \
	"Authentication-Results: policy.test; spf=pass smtp.mailfrom=help@paypal.com"
out=$(mt fulladdr -c $SPOOFER -f '<help@paypal.com>')
like "$out" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"trusted spf=pass with smtp.mailfrom=user@domain is accepted as SPF pass"
msg untrusted "From: <service@paypal.com>" \
	"Authentication-Results: evil.test; spf=pass smtp.mailfrom=paypal.com"
out=$(mt untrusted -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "an spf=pass from an untrusted id is ignored"
msg unaligned "From: <service@paypal.com>" \
	"Authentication-Results: policy.test; spf=pass smtp.mailfrom=attacker.test"
out=$(mt unaligned -c $SPOOFER -f '<help@attacker.test>')
result_is "$out" "$REJECT_PAYPAL" "a trusted spf=pass for another domain does not align"

# --- SPFIgnoreResults: self-validation wins -----------------------------------
lab_milter_start "SPFSelfValidate true" "SPFIgnoreResults true" "RejectFailures true" \
	"TrustedAuthservIDs policy.test"
out=$(mt arspf -c $SPOOFER -f '<help@paypal.com>')
result_is "$out" "$REJECT_PAYPAL" "SPFIgnoreResults: a trusted spf=pass does not beat self-validation"
out=$(mt legit -c 192.0.2.10 -f '<help@paypal.com>')
like "$out" "$AR dmarc=pass" "SPFIgnoreResults: self-validated pass still passes"

# --- TempErrorAction tempfail, RejectFailures false ---------------------------
lab_milter_start "SPFSelfValidate true" "RejectFailures true" "TempErrorAction tempfail"
out=$(mt dnsfail -c $SPOOFER -f '<info@broken.test>')
like "$out" '^RESULT replycode 451 4\.7\.[0-9]+ ' "TempErrorAction tempfail: DNS SERVFAIL gives 451 4.7.x"
lab_milter_start "SPFSelfValidate true" "RejectFailures false"
out=$(mt spoof -c $SPOOFER -f '<help@paypal.com>')
like "$out" "$PASSED" "RejectFailures false: the spoof passes"
like "$out" "$AR dmarc=fail \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" "... marked dmarc=fail (p=reject dis=none)"
out=$(mt quar -c $SPOOFER -f '<info@quarantine.test>')
unlike "$out" '^QUARANTINE' "RejectFailures false: a p=quarantine failure is not quarantined"

tap_done
