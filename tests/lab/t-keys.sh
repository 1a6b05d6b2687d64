#!/bin/bash
# t-keys.sh: the OpenDMARC keys of issue 19 on the milter protocol:
# RejectString (the reply), CopyFailuresTo (the add-recipient action asked
# for, the recipient added), AuthservIDWithJobID (the quoted "id/jobid" on
# every field we add, and an "id/jobid" field trusted for this job only),
# DomainWhitelist (the ARC override: logged, counted) and RequiredFrom.
# Root only (lab namespace, nsd serving the test zones); the MTA side is
# tests/tools/miltc.
set -eu

. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own replies and counters"
MILTC=$top_builddir/tests/tools/miltc
[ -x "$MILTC" ] || tap_skip_all "no $MILTC (make check builds it)"
command -v curl >/dev/null 2>&1 || tap_skip_all "curl not installed"

lab_init
lab_nsd_start
SPOOFER=192.0.2.66
METRICS=127.0.0.1:9489
REJECT='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'
COPY=dmarc-copies@recipient.test

# msg NAME [HEADER-LINES...]: a paypal.com spoof with these fields on top
msg() {
	local name=$1
	shift
	lab_message "$name" "$@" "From: PayPal <service@x.paypal.com>" \
		"To: you@recipient.test" "Date: Sun, 22 Nov 2026 09:00:00 +0000" \
		"Subject: $name" >/dev/null
}

# send NAME [MILTC-ARGS...]: NAME's message from the spoofer, queue id
# Q<NAME>; miltc's lines in $LAB/out/NAME.out, printed too
send() {
	local name=$1
	shift
	"$MILTC" -s "unix:$LAB_SOCK" -c $SPOOFER -f '<help@paypal.com>' \
		-q "Q$name" "$@" "$LAB/msg/$name.eml" >"$LAB/out/$name.out" 2>&1 || true
	cat "$LAB/out/$name.out"
}

result() {
	grep '^RESULT' "$LAB/out/$1.out" || tail -n 1 "$LAB/out/$1.out"
}

msg plain

# --- RejectString ----------------------------------------------------------------
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	'RejectString "mail claiming %s is refused here (DMARC)"'
send plain >/dev/null
is "$(result plain)" "RESULT replycode 550 5.7.1 mail claiming x.paypal.com is refused here (DMARC)" \
	"RejectString: the reply, %s the From domain (a subdomain here)"
lab_milter_start "SPFSelfValidate true" "RejectFailures true"
send plain >/dev/null
is "$(result plain)" "$REJECT" \
	"unset: OpenDMARC's text with the domain of the record applied"

# --- CopyFailuresTo ------------------------------------------------------------------
like "$(send plain -v)" '^OPTNEG version=6 actions=0x[0-9a-f]+ ' "negotiation"
opt=$(sed -n 's/^OPTNEG version=6 actions=0x\([0-9a-f]*\) .*/\1/p' "$LAB/out/plain.out")
is "$(( 0x${opt:-0} & 0x4 ))" 0 "CopyFailuresTo unset: the add-recipient action is not asked for"
lab_milter_start "SPFSelfValidate true" "RejectFailures false" "CopyFailuresTo <$COPY>"
out=$(send plain -v)
opt=$(sed -n 's/^OPTNEG version=6 actions=0x\([0-9a-f]*\) .*/\1/p' "$LAB/out/plain.out")
is "$(( 0x${opt:-0} & 0x4 ))" 4 "CopyFailuresTo set: SMFIF_ADDRCPT is asked for"
like "$out" "^ADDRCPT <?$COPY>?\$" "an unenforced reject failure is copied to CopyFailuresTo"
like "$out" '^RESULT continue' "... and delivered as before"
like "$(lab_milter_log)" "Qplain: failure copied to $COPY\$" "... which the log says"
msg pass
"$MILTC" -s "unix:$LAB_SOCK" -c 192.0.2.10 -f '<help@paypal.com>' -q Qpass \
	"$LAB/msg/pass.eml" >"$LAB/out/pass.out" 2>&1 || true
unlike "$(cat "$LAB/out/pass.out")" '^ADDRCPT' "a message that passes is not copied"
lab_milter_start "SPFSelfValidate true" "RejectFailures true" "CopyFailuresTo $COPY"
out=$(send plain)
unlike "$out" '^ADDRCPT' "a rejected message is not copied (it goes nowhere)"

# --- AuthservIDWithJobID -----------------------------------------------------------
msg jobmine 'Authentication-Results: "dkim.test/Qjobmine"; dkim=pass header.d=paypal.com header.s=s1'
msg jobother 'Authentication-Results: "dkim.test/Q999"; dkim=pass header.d=paypal.com header.s=s1'
msg jobforged 'Authentication-Results: "mx.test/Qjobforged"; dkim=pass header.d=paypal.com'
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"AuthservIDWithJobID true" "TrustedAuthservIDs dkim.test"
out=$(send jobmine)
like "$out" '^INSHEADER 0 Authentication-Results: "mx\.test/Qjobmine"; dmarc=pass ' \
	"our dmarc= field carries \"id/jobid\", quoted (RFC 8601)"
like "$out" '^INSHEADER 0 Authentication-Results: "mx\.test/Qjobmine"; spf=fail smtp\.mailfrom=paypal\.com$' \
	"... and so does our spf= field"
unlike "$out" 'Authentication-Results: mx\.test[;/]' "no field of ours without the quoted job id"
is "$(result jobmine)" "RESULT accept" "a trusted id's field with this message's job id counts (dkim=pass)"
send jobother >/dev/null
is "$(result jobother)" "RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com" \
	"another job's field is not believed"
out=$(send jobforged)
like "$out" '^CHGHEADER 1 Authentication-Results:$' "a field with our id and a job id is forged: deleted"
is "$(result jobforged)" "$REJECT" "... and not believed"

# --- DomainWhitelist: the ARC override ----------------------------------------------
msg arc 'Authentication-Results: arc.test; arc=pass smtp.remote-ip=192.0.2.66 arc.chain=lists.test:Relay.Test'
msg arcevil 'Authentication-Results: arc.test; arc=pass smtp.remote-ip=192.0.2.66 arc.chain=lists.test:evil.test'
echo "relay.test  # the other sealer" >"$LAB/run/sealers"
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"TrustedAuthservIDs arc.test" "DomainWhitelist lists.test" \
	"DomainWhitelistFile $LAB/run/sealers" "MetricsListen $METRICS"
out=$(send arc)
is "$(result arc)" "RESULT accept" "a trusted arc=pass, every sealer listed: the reject is set aside"
like "$out" '^INSHEADER 0 Authentication-Results: mx\.test; dmarc=fail \(p=reject dis=none\) header\.from=x\.paypal\.com$' \
	"... the message still says dmarc=fail, dis=none"
like "$(lab_milter_log)" 'Qarc: x\.paypal\.com fail \(p=reject dis=none\) .* action=accept .*override=arc$' \
	"... and the log says override=arc"
send arcevil >/dev/null
is "$(result arcevil)" "$REJECT" "a sealer not listed: no override"
like "$(curl -sS --max-time 10 "http://$METRICS/metrics")" \
	'^dmarc_milter_local_overrides_total\{reason="arc"\} 1$' \
	"/metrics: dmarc_milter_local_overrides_total{reason=\"arc\"} 1"
lab_milter_start "SPFSelfValidate true" "RejectFailures true" "DomainWhitelist lists.test relay.test"
send arc >/dev/null
is "$(result arc)" "$REJECT" "the arc= claim of an id not trusted: no override"

# --- RequiredFrom ---------------------------------------------------------------------
lab_message nofrom "To: you@recipient.test" "Subject: no From" \
	"Date: Sun, 22 Nov 2026 09:00:00 +0000" >/dev/null
lab_milter_start "SPFSelfValidate true" "RequiredFrom true"
send nofrom >/dev/null
is "$(result nofrom)" "RESULT replycode 550 5.7.1 a From field with a usable domain is required here" \
	"RequiredFrom: no From field, refused with its own reply"
like "$(lab_milter_log)" 'Qnofrom: rejected: no From field \(RequiredFrom\)$' "... and logged"

tap_done
