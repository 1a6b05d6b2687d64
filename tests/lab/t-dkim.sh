#!/bin/bash
# t-dkim.sh: DKIM self-verification (DKIMSelfVerify). Keys are made here
# with opendkim-genkey and published in the lab zone; messages are signed
# by opendkim in signing mode (driven through miltc, as Postfix would);
# the milter verifies them with no opendkim verifier in front, through
# miltc and then through the lab's Postfix. Root only (see lab.sh).
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
lab_milter_is_opendmarc && tap_skip_all "DKIMSelfVerify is not an OpenDMARC key"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it, or set MILTC)"
for tool in opendkim opendkim-genkey; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (Debian: opendkim, opendkim-tools)"
done

lab_init
KEYS=$LAB/keys
mkdir -p "$KEYS"
SPOOFER=192.0.2.66
PASSED='^RESULT (accept|continue)$'
AR='^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: mx\.test;'
REJECT='RESULT replycode 550 5.7.1 rejected by DMARC policy for signed.test'

# genkey DOMAIN SELECTOR: a key pair under $KEYS/DOMAIN; prints its record
# for the root zone (the quoted strings of opendkim-genkey's .txt file).
genkey() {
	mkdir -p "$KEYS/$1"
	opendkim-genkey -b 2048 -d "$1" -s "$2" -D "$KEYS/$1" ||
		lab_die "opendkim-genkey failed for $1"
	printf '%s._domainkey.%s.\tTXT\t(%s)\n' "$2" "$1" \
		"$(tr -d '\n' <"$KEYS/$1/$2.txt" | sed 's/^[^(]*(\(.*\)).*$/\1/')"
}

# The zone: signed.test (p=reject, SPF for 192.0.2.70 only) and a third
# party, both with keys; broken.test's key SERVFAILs (lab.sh); big.test
# publishes signed.test's key padded past what a key record may hold.
{
	echo 'signed.test.		TXT	"v=spf1 ip4:192.0.2.70 -all"'
	echo '_dmarc.signed.test.	TXT	"v=DMARC1; p=reject"'
	genkey signed.test sel
	genkey thirdparty.test tp
	pad=$(head -c 1500 /dev/zero | tr '\0' 'x')
	key=$(sed -n 's/.*"p=\([^"]*\)".*/\1/p' "$KEYS/signed.test/sel.txt" | head -n 1)
	[ -n "$key" ] || lab_die "no p= in $KEYS/signed.test/sel.txt"
	printf 'sel._domainkey.big.test.\tTXT\t("v=DKIM1; k=rsa; n=%s" "%s" "%s" "%s" "%s" "%s" "%s")\n' \
		"${pad:0:200}" "${pad:200:250}" "${pad:450:250}" "${pad:700:250}" \
		"${pad:950:250}" "${pad:1200:250}" "; p=$key"
} >"$LAB/zone.extra"
# shellcheck disable=SC2034 # read by lab_nsd_start
LAB_ZONE_EXTRA=$LAB/zone.extra
lab_nsd_start

# sign IN OUT DOMAIN SELECTOR KEY CANON [l]: OUT is IN with the
# DKIM-Signature opendkim (signing mode) adds; "l" asks for an l= tag.
sign() {
	local in=$1 out=$2 sock=$LAB/run/odk.sock pid hdr
	{
		echo "Mode s"
		echo "KeyTable file:$LAB/run/odk.keys"
		echo "SigningTable refile:$LAB/run/odk.signers"
		echo "Canonicalization $6"
		echo "Socket local:$sock"
		echo "Background no"
		echo "Syslog no"
		echo "UserID root"
		echo "RequireSafeKeys no"
		[ "${7:-}" != l ] || echo "BodyLengthDB refile:$LAB/run/odk.signers"
	} >"$LAB/run/odk.conf"
	echo "k $3:$4:$5" >"$LAB/run/odk.keys"
	echo "* k" >"$LAB/run/odk.signers"
	rm -f "$sock"
	opendkim -f -x "$LAB/run/odk.conf" >>"$LAB/log/opendkim.log" 2>&1 &
	pid=$!
	_lab_wait opendkim 10 test -S "$sock" || lab_die "opendkim did not start"
	hdr=$("$MILTC" -s "unix:$sock" -c 127.0.0.1 -f '<a@signed.test>' \
		-r '<rcpt@recipient.test>' "$in" |
		sed -n 's/^INSHEADER [0-9]* DKIM-Signature: //p')
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	[ -n "$hdr" ] || lab_die "opendkim did not sign $in (see $LAB/log/opendkim.log)"
	{
		printf 'DKIM-Signature: %s\r\n' "${hdr//\\n/$'\r\n'}"
		cat "$in"
	} >"$out"
}

# plain NAME [FROM-DOMAIN]: an unsigned message in $LAB/msg/NAME.eml
plain() {
	printf '%s\r\n' "From: Sender <news@${2:-signed.test}>" \
		"To: <rcpt@recipient.test>" "Subject: $1" \
		"Date: $(date -R)" "Message-ID: <$1@signed.test>" "" \
		"The quarterly figures are attached." "" "-- " "Sender" \
		>"$LAB/msg/$1.eml"
}

# mt FILE: the milter's answer to FILE from the spoofer's address
mt() {
	"$MILTC" -s "unix:$LAB_SOCK" -c "$SPOOFER" -f '<news@signed.test>' \
		-r '<rcpt@recipient.test>' -t 30 "$1" 2>&1 || true
}

# b8 FILE: the first 8 characters of the top signature's b= tag
b8() {
	tr -d '\r\n\t ' <"$1" | sed -n 's/^DKIM-Signature:.*;b=\([^;]*\).*/\1/p' |
		cut -c1-8
}

# result OUTPUT: miltc's verdict line
result() {
	printf '%s\n' "$1" | grep '^RESULT' | tail -n 1
}

DKIM_KEYS=$KEYS/signed.test/sel.private
CONFIG=("DKIMSelfVerify true" "SPFSelfValidate true"
	"TrustedAuthservIDs opendkim.test")
# Monitoring first, so that failing messages carry our header too.
lab_milter_start "${CONFIG[@]}"

# --- canonicalisation ----------------------------------------------------------
plain base
sign "$LAB/msg/base.eml" "$LAB/msg/rr.eml" signed.test sel "$DKIM_KEYS" relaxed/relaxed
out=$(mt "$LAB/msg/rr.eml")
b=$(b8 "$LAB/msg/rr.eml")
b=${b//+/\\+}
[ "${b//[\/=]/}" = "$b" ] || b="\"$b\""
like "$out" "$AR dkim=pass \\(2048-bit key; unprotected\\) header\\.d=signed\\.test header\\.i=@signed\\.test header\\.a=rsa-sha256 header\\.s=sel header\\.b=$b\$" \
	"relaxed/relaxed from an unauthorised address: dkim=pass, opendkim's form"
like "$out" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=signed\\.test\$" \
	"... DMARC passes on DKIM alone"
like "$out" "$AR spf=fail smtp\\.mailfrom=signed\\.test\$" "... (SPF fails)"
like "$out" "$PASSED" "... accepted"

sign "$LAB/msg/base.eml" "$LAB/msg/ss.eml" signed.test sel "$DKIM_KEYS" simple/simple
out=$(mt "$LAB/msg/ss.eml")
like "$out" "$AR dkim=pass .*header\\.d=signed\\.test " "simple/simple: dkim=pass"
like "$out" "$PASSED" "... accepted"

# A header's whitespace changed in transit: simple notices, relaxed does not.
sed 's/^Subject: base/Subject:  base/' "$LAB/msg/ss.eml" >"$LAB/msg/ss-ws.eml"
out=$(mt "$LAB/msg/ss-ws.eml")
like "$out" "$AR dkim=fail reason=\"signature verification failed\" \\(2048-bit key; unprotected\\) header\\.d=signed\\.test " \
	"simple/simple, Subject whitespace changed: dkim=fail"
like "$out" "$AR dmarc=fail " "... dmarc=fail"
sed 's/^Subject: base/Subject:  base/' "$LAB/msg/rr.eml" >"$LAB/msg/rr-ws.eml"
out=$(mt "$LAB/msg/rr-ws.eml")
like "$out" "$AR dkim=pass .*header\\.d=signed\\.test " "relaxed/relaxed, the same change: dkim=pass"

# The body altered after signing.
{ cat "$LAB/msg/rr.eml"; printf 'Wire the money to account 12345.\r\n'; } >"$LAB/msg/rr-body.eml"
out=$(mt "$LAB/msg/rr-body.eml")
like "$out" "$AR dkim=fail reason=\"body hash did not verify\" \\(2048-bit key; unprotected\\) header\\.d=signed\\.test " \
	"body altered: dkim=fail, body hash did not verify"

# l=: what a list appends after the signed part does not count.
sign "$LAB/msg/base.eml" "$LAB/msg/len.eml" signed.test sel "$DKIM_KEYS" relaxed/simple l
like "$(head -n 3 "$LAB/msg/len.eml")" ' l=[0-9]+;' "opendkim signed with l="
{ cat "$LAB/msg/len.eml"; printf 'Sent through a list.\r\n'; } >"$LAB/msg/len-more.eml"
out=$(mt "$LAB/msg/len-more.eml")
like "$out" "$AR dkim=pass .*header\\.d=signed\\.test " "l=: text appended after the signed part: dkim=pass"
like "$out" "$PASSED" "... accepted"
sed 's/quarterly/annual/' "$LAB/msg/len.eml" >"$LAB/msg/len-changed.eml"
out=$(mt "$LAB/msg/len-changed.eml")
like "$out" "$AR dkim=fail .*header\\.d=signed\\.test " "l=: a change inside the signed part: dkim=fail"

# --- several signatures --------------------------------------------------------
sign "$LAB/msg/base.eml" "$LAB/msg/tp.eml" thirdparty.test tp \
	"$KEYS/thirdparty.test/tp.private" relaxed/relaxed
out=$(mt "$LAB/msg/tp.eml")
like "$out" "$AR dkim=pass .*header\\.d=thirdparty\\.test header\\.i=@thirdparty\\.test header\\.a=rsa-sha256 header\\.s=tp " \
	"a third party's signature only: dkim=pass for thirdparty.test"
like "$out" "$AR dmarc=fail " "... but it does not align: dmarc=fail"
sign "$LAB/msg/tp.eml" "$LAB/msg/two.eml" signed.test sel "$DKIM_KEYS" relaxed/relaxed
out=$(mt "$LAB/msg/two.eml")
is "$(printf '%s\n' "$out" | grep -Ec "$AR"' dkim=pass')" 2 "two signatures: two dkim=pass results"
like "$out" "$AR dmarc=pass " "... the aligned one makes DMARC pass"

# --- key lookups that fail -------------------------------------------------------
sign "$LAB/msg/base.eml" "$LAB/msg/brk.eml" broken.test sel "$DKIM_KEYS" relaxed/relaxed
out=$(mt "$LAB/msg/brk.eml")
like "$out" "$AR dkim=temperror \\(key query failed\\) header\\.d=broken\\.test header\\.i=@broken\\.test header\\.a=rsa-sha256 header\\.s=sel " \
	"a key whose name SERVFAILs: dkim=temperror"
like "$out" '^RESULT ' "... the message still gets a verdict"
sign "$LAB/msg/brk.eml" "$LAB/msg/brk2.eml" signed.test sel "$DKIM_KEYS" relaxed/relaxed
out=$(mt "$LAB/msg/brk2.eml")
like "$out" "$AR dkim=temperror .*header\\.d=broken\\.test " "SERVFAIL beside a good signature: temperror for it"
like "$out" "$AR dkim=pass .*header\\.d=signed\\.test " "... pass for the other"
like "$out" "$PASSED" "... accepted"

sign "$LAB/msg/base.eml" "$LAB/msg/big.eml" big.test sel "$DKIM_KEYS" relaxed/relaxed
out=$(mt "$LAB/msg/big.eml")
like "$out" "$AR dkim=permerror \\(key record too large\\) header\\.d=big\\.test " \
	"a key record of 1,500 bytes: dkim=permerror"
out=$(mt "$LAB/msg/rr.eml")
like "$out" "$AR dkim=pass " "... and the milter goes on verifying"

# --- enforcing ------------------------------------------------------------------------
lab_milter_start "${CONFIG[@]}" "RejectFailures true"
is "$(result "$(mt "$LAB/msg/rr-body.eml")")" "$REJECT" "enforcing: body altered: 550"
is "$(result "$(mt "$LAB/msg/ss-ws.eml")")" "$REJECT" "enforcing: simple, header changed: 550"
is "$(result "$(mt "$LAB/msg/tp.eml")")" "$REJECT" "enforcing: only a third party's signature: 550"
like "$(result "$(mt "$LAB/msg/two.eml")")" "$PASSED" "enforcing: the aligned signature of two: accepted"

# A-R claims are not believed: a trusted id's dkim=pass on an unsigned message.
{
	printf 'Authentication-Results: opendkim.test; dkim=pass header.d=signed.test header.s=sel\r\n'
	cat "$LAB/msg/base.eml"
} >"$LAB/msg/claim.eml"
out=$(mt "$LAB/msg/claim.eml")
is "$(result "$out")" "$REJECT" \
	"a trusted A-R claim of dkim=pass, unsigned: ignored, rejected"
lab_milter_start "TrustedAuthservIDs opendkim.test" "SPFSelfValidate true" "RejectFailures true"
like "$(result "$(mt "$LAB/msg/claim.eml")")" "$PASSED" \
	"... (without DKIMSelfVerify the same claim is believed)"
lab_milter_start "${CONFIG[@]}" "RejectFailures true"

# --- opendkim's own verifier names the signature the same way -----------------------
{
	echo "Mode v"
	echo "AuthservID mx.test"
	echo "Socket local:$LAB/run/odkv.sock"
	echo "Background no"
	echo "Syslog no"
	echo "UserID root"
	# its libunbound, pointed at the lab server (localhost is refused by default)
	echo "ResolverConfiguration $LAB/run/unbound.conf"
} >"$LAB/run/odkv.conf"
printf '%s\n' "server:" "	do-not-query-localhost: no" "stub-zone:" \
	'	name: "."' "	stub-addr: 127.0.0.1" >"$LAB/run/unbound.conf"
opendkim -f -x "$LAB/run/odkv.conf" >>"$LAB/log/opendkim.log" 2>&1 &
odkv=$!
_lab_wait opendkim 10 test -S "$LAB/run/odkv.sock" || lab_die "opendkim (verifier) did not start"
theirs=$("$MILTC" -s "unix:$LAB/run/odkv.sock" -c "$SPOOFER" -f '<news@signed.test>' \
	-r '<rcpt@recipient.test>' "$LAB/msg/rr.eml" |
	sed -n 's/^\(INSHEADER [0-9]*\|ADDHEADER\) Authentication-Results: //p' |
	sed 's/\\n/ /g; s/[[:space:]]\+/ /g; s/; dkim-atps=.*//; s/;$//')
kill "$odkv"
wait "$odkv" 2>/dev/null || true
ours=$(mt "$LAB/msg/rr.eml" |
	sed -n 's/^\(INSHEADER [0-9]*\|ADDHEADER\) Authentication-Results: \(.*dkim=.*\)/\2/p')
# Its libunbound does not find the lab's keys (it says "key not found"):
# compare the properties, which name the signature whatever the result.
is "$(printf '%s\n' "${ours//\"/}" | sed 's/.* header\.d=/header.d=/')" \
	"$(printf '%s\n' "$theirs" | sed 's/.* header\.d=/header.d=/')" \
	"our dkim= properties read as opendkim's own verifier writes them"

# --- end to end through Postfix, no verifier in front --------------------------------
lab_postfix_start opendkim.test
lab_send e2e --from news@signed.test --xclient-addr $SPOOFER --data "$LAB/msg/rr.eml"
like "$(lab_reply e2e)" '^250 ' "Postfix: a signed message from an unauthorised address: 250"
ar=$(lab_ar e2e)
like "$ar" '^Authentication-Results: mx\.test; dkim=pass \(2048-bit key; unprotected\) header\.d=signed\.test ' \
	"... delivered with our dkim=pass"
like "$ar" '^Authentication-Results: mx\.test; dmarc=pass \(p=reject dis=none\) header\.from=signed\.test$' \
	"... and dmarc=pass"
lab_send e2e-bad --from news@signed.test --xclient-addr $SPOOFER --data "$LAB/msg/rr-body.eml"
is "$(lab_reply e2e-bad)" '550 5.7.1 rejected by DMARC policy for signed.test' \
	"Postfix: the same message altered: 550 under p=reject"

lab_milter_stop
unlike "$(lab_milter_log)" 'AddressSanitizer|runtime error|Segmentation' "the milter log shows no sanitizer report"
tap_done
