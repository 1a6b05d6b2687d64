#!/bin/bash
# t-replies.sh: dmarc-milter's reply at each milter stage beside Debian's
# OpenDMARC 1.4.2's, for the same messages under the same configuration
# keys. Both filters get every case through miltc (our protocol client);
# a case's "signature" is what miltc printed of it: the STAGE lines of the
# stages before end of message (every reply other than continue; a stage
# the filter asked not to answer, SMFIP_NR_*, shows nothing either),
# QUARANTINE, RESULT (the end of message, or the stage that ended the
# message), and "dmarc-header" when the filter added its dmarc=
# Authentication-Results field.
#
# Each case states OpenDMARC's signature as a literal, checked against the
# real OpenDMARC (so the facts the comparison rests on stay true), and the
# signature dmarc-milter must give: OpenDMARC's, or, where we differ on
# purpose (a 550 with a reply text instead of a bare reject, every From
# domain evaluated, pct's next weaker policy, TempErrorAction), our own.
# A reply we do not give yet is a TAP TODO: it fails without failing the
# suite, and passes as an XPASS (which fails it) once milter_cb.c gives
# it, so whoever fixes it also drops the TODO.
#
# Root only (see lab.sh). OPENDMARC names OpenDMARC's binary (default
# /usr/sbin/opendmarc); without it only our side is checked. MILTC
# overrides the client's path.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it, or set MILTC)"
: "${OPENDMARC:=/usr/sbin/opendmarc}"
OURS=$DM_MILTER
have_odm=1
[ -x "$OPENDMARC" ] || have_odm=

lab_init
lab_nsd_start

SPOOFER=192.0.2.66
echo 192.0.2.99 >"$LAB/run/ignore.hosts"
COMMON=("SPFSelfValidate true" "IgnoreHosts $LAB/run/ignore.hosts"
	"IgnoreAuthenticatedClients true" "IgnoreMailFrom skipme.test"
	"DMARCSpec rfc7489")

# start BINARY CONFIG: start one filter with one of the configurations.
# Both filters get the same lines (lab.sh drops the keys OpenDMARC does
# not know, and gives it HoldQuarantinedMessages true, our default).
# DMARCSpec rfc7489 is the specification OpenDMARC follows.
start() {
	local bin=$1
	case $2 in
	open) DM_MILTER=$bin lab_milter_start "${COMMON[@]}" ;;
	enforce) DM_MILTER=$bin lab_milter_start "${COMMON[@]}" \
		"RejectFailures true" "TempErrorAction tempfail" ;;
	strict) DM_MILTER=$bin lab_milter_start "${COMMON[@]}" \
		"RejectFailures true" "RequiredHeaders true" "RejectMultiValueFrom true" ;;
	# OpenDMARC's own t-verify-nodata and t-verify-nodata-reject: no SPF
	# or DKIM result at all
	nodata) DM_MILTER=$bin lab_milter_start "DMARCSpec rfc7489" ;;
	nodatarej) DM_MILTER=$bin lab_milter_start "DMARCSpec rfc7489" "RejectFailures true" ;;
	esac
}

# msg NAME HEADER-LINES...: a message with these header lines first, then
# To, Date, Subject and Message-ID unless told "-" (no more).
msg() {
	local name=$1
	shift
	if [ "${!#}" = - ]; then
		lab_message "$name" "${@:1:$#-1}" >/dev/null
	else
		lab_message "$name" "$@" "To: <rcpt@recipient.test>" \
			"Date: $(date -R)" "Subject: $name" \
			"Message-ID: <$name@client.test>" >/dev/null
	fi
}

# mt WHO NAME MILTC-OPTIONS...: send message NAME to the running filter;
# miltc's output goes to $LAB/out/WHO-NAME.mt.
mt() {
	local who=$1 name=$2
	shift 2
	"$MILTC" -s "unix:$LAB_SOCK" -q "Q$name" -r '<rcpt@recipient.test>' -t 20 \
		"$@" "$LAB/msg/$name.eml" >"$LAB/out/$who-$name.mt" 2>&1 || true
}

# sig WHO NAME: the case's signature, one line ("" when it never ran).
sig() {
	local f=$LAB/out/$1-$2.mt
	[ -f "$f" ] || return 0
	{
		grep -E '^(STAGE|QUARANTINE|RESULT) ' "$f" | grep -v '^STAGE eom ' || true
		if grep -Eq '^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: .*dmarc=' "$f"; then
			echo dmarc-header
		fi
		# a protocol error or timeout says so on stderr
		grep -E '^miltc: ' "$f" || true
	} | paste -s -d '|' -
}

# --- the messages ------------------------------------------------------------
msg pass "From: PayPal <service@paypal.com>"
msg norec "From: <news@nodmarc.test>"
msg spoof "From: PayPal <service@paypal.com>"
msg subdom "From: <alerts@x.paypal.com>"
msg quar "From: <info@quarantine.test>"
msg pnone "From: <news@none.test>"
msg pct0q "From: <news@pctzero.test>"
msg pct0r "From: <news@pctreject.test>"
msg temperr "From: <info@broken.test>"
msg permerr "From: <info@badp.test>"
msg nofrom "To: <rcpt@recipient.test>" "Date: $(date -R)" "Subject: no From" -
msg nodomain "From: undisclosed-recipients:;"
msg ignhost "From: PayPal <service@paypal.com>"
msg unspec "From: PayPal <service@paypal.com>"
msg authed "From: PayPal <service@paypal.com>"
msg skipfrom "From: <a@skipme.test>"
msg multi "From: <news@none.test>, <service@paypal.com>"
msg multisame "From: <a@paypal.com>, <b@PayPal.com>"
msg twofrom "From: <news@none.test>" "From: <service@paypal.com>"
msg nodate "From: <news@none.test>" "To: <rcpt@recipient.test>" "Subject: no Date" -

# cases_CONFIG WHO: the cases run under that configuration
cases_open() {
	mt "$1" pass -c 192.0.2.10 -f '<help@paypal.com>'
	mt "$1" norec -c $SPOOFER -f '<news@nodmarc.test>'
	mt "$1" spoof -c $SPOOFER -f '<help@paypal.com>'
	mt "$1" quar -c $SPOOFER -f '<info@quarantine.test>'
	mt "$1" pnone -c $SPOOFER -f '<news@none.test>'
	mt "$1" pct0q -c $SPOOFER -f '<news@pctzero.test>'
	mt "$1" temperr -c $SPOOFER -f '<info@broken.test>'
	mt "$1" permerr -c $SPOOFER -f '<info@badp.test>'
	mt "$1" nofrom -c $SPOOFER -f '<news@none.test>'
	mt "$1" nodomain -c $SPOOFER -f '<news@none.test>'
	mt "$1" ignhost -c 192.0.2.99 -f '<help@paypal.com>'
	mt "$1" authed -c $SPOOFER -a alice -f '<help@paypal.com>'
	mt "$1" unspec -c unknown -f '<help@paypal.com>'
	mt "$1" skipfrom -c $SPOOFER -f '<a@skipme.test>'
	mt "$1" multi -c 192.0.2.30 -f '<news@none.test>'
	mt "$1" multisame -c 192.0.2.10 -f '<help@paypal.com>'
	mt "$1" twofrom -c 192.0.2.30 -f '<news@none.test>'
}
cases_enforce() {
	local w=$1-enf
	mt "$w" pass -c 192.0.2.10 -f '<help@paypal.com>'
	mt "$w" spoof -c $SPOOFER -f '<help@paypal.com>'
	mt "$w" subdom -c $SPOOFER -f '<help@paypal.com>'
	mt "$w" quar -c $SPOOFER -f '<info@quarantine.test>'
	mt "$w" pnone -c $SPOOFER -f '<news@none.test>'
	mt "$w" pct0q -c $SPOOFER -f '<news@pctzero.test>'
	mt "$w" pct0r -c $SPOOFER -f '<news@pctreject.test>'
	mt "$w" temperr -c $SPOOFER -f '<info@broken.test>'
	mt "$w" multi -c 192.0.2.30 -f '<news@none.test>'
	mt "$w" nofrom -c $SPOOFER -f '<help@paypal.com>'
	mt "$w" nofromok -c 192.0.2.10 -f '<help@paypal.com>'
	mt "$w" unspec -c unknown -f '<help@paypal.com>'
}
cases_strict() {
	local w=$1-strict
	mt "$w" nofrom -c $SPOOFER -f '<news@none.test>'
	mt "$w" nodomain -c $SPOOFER -f '<news@none.test>'
	mt "$w" twofrom -c 192.0.2.30 -f '<news@none.test>'
	mt "$w" nodate -c 192.0.2.30 -f '<news@none.test>'
	mt "$w" multi -c 192.0.2.30 -f '<news@none.test>'
}
cases_nodata() {
	mt "$1-nodata" spoof -c $SPOOFER -f '<user@paypal.com>'
}
cases_nodatarej() {
	mt "$1-nodata" spoofrej -c $SPOOFER -f '<user@paypal.com>'
}
cp "$LAB/msg/spoof.eml" "$LAB/msg/spoofrej.eml"
cp "$LAB/msg/nofrom.eml" "$LAB/msg/nofromok.eml"

# run WHO BINARY: every configuration's cases against one filter
run() {
	local who=$1 cfg
	for cfg in open enforce strict nodata nodatarej; do
		start "$2" $cfg
		"cases_$cfg" "$who"
	done
	DM_MILTER=$2 lab_milter_stop
}
[ -z "$have_odm" ] || run odm "$OPENDMARC"
run dm "$OURS"

# --- the comparison ----------------------------------------------------------

# check CASE DESCRIPTION OPENDMARC [OURS]: OpenDMARC gives
# the signature OPENDMARC; we give OURS (by default the same). CASE is
# "suffix/name": the output file is WHO-suffix-name.mt ("-" no suffix).
check() {
	local c=$1 desc=$2 odm=$3 ours=${4:-$3} sfx name
	sfx=${c%/*}
	name=${c#*/}
	if [ "$sfx" = - ]; then sfx=; else sfx=-$sfx; fi
	if [ -n "$have_odm" ]; then
		is "$(sig "odm$sfx" "$name")" "$odm" "OpenDMARC, $desc: $odm"
	else
		echo "ok $((_tap_n += 1)) - OpenDMARC, $desc # SKIP no $OPENDMARC"
	fi
	is "$(sig "dm$sfx" "$name")" "$ours" "dmarc-milter, $desc: $ours"
}

A='RESULT accept'
C='RESULT continue'
H=dmarc-header
REJ_PAYPAL='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'

# RejectFailures false
check -/pass "aligned SPF pass" "$A|$H"
check -/norec "no DMARC record" "$A|$H"
check -/spoof "p=reject failure, RejectFailures false" "$C|$H" "$C|$H"
check -/quar "p=quarantine failure, RejectFailures false" "$C|$H" "$C|$H"
check -/pnone "p=none failure" "$A|$H"
check -/pct0q "p=quarantine pct=0 failure, sampled out" "$C|$H" "$C|$H"
# OpenDMARC reads a DNS failure as no record (dmarc=none); we say
# dmarc=temperror, with OpenDMARC's reply
check -/temperr "DNS SERVFAIL for the policy" "$A|$H"
check -/permerr "unusable record (p=bogus)" "$A|$H"
# On purpose: no From domain, so MAIL FROM's (none.test, p=none) stands in
# as the author domain, as the MTA writes it into the From it adds;
# OpenDMARC accepts such mail unevaluated, a known way around DMARC
check -/nofrom "no From field" "$A" "$A|$H"
check -/nodomain "a From without a domain" "$A" "$A|$H"
# On purpose: IgnoreHosts is checked at MAIL FROM, so that every message
# of an ignored host is counted (dmarc_milter_ignored_total) and connect
# needs no reply (SMFIP_NR_CONN)
check -/ignhost "IgnoreHosts client" "STAGE connect accept|$A" "STAGE mail accept|$A"
check -/authed "IgnoreAuthenticatedClients, {auth_authen} set" "STAGE mail accept|$A"
# On purpose: a session without a client address (sendmail -bs) is a
# local submission, like 127.0.0.1 (IgnoreHosts). OpenDMARC evaluates it
# as if from 127.0.0.1, which libspf2 lets pass SPF: the spoof passes
check -/unspec "no client address (family unknown)" "$A|$H" "STAGE mail accept|$A"
check -/skipfrom "IgnoreMailFrom domain" "$A"
# OpenDMARC leaves several From domains unevaluated; we apply the strictest
# (paypal.com's p=reject, not enforced here)
check -/multi "From none.test and paypal.com, only none.test aligned" "$A" "$C|$H"
check -/multisame "two From addresses of one domain" "$A|$H"
# OpenDMARC reads the first From field only
check -/twofrom "two From fields, none.test (aligned) then paypal.com" "$A|$H" "$C|$H"

# RejectFailures true (and our TempErrorAction tempfail)
check enf/pass "RejectFailures true, aligned SPF pass" "$A|$H"
check enf/spoof "RejectFailures true, p=reject failure" "$REJ_PAYPAL"
check enf/subdom "RejectFailures true, From x.paypal.com" "$REJ_PAYPAL"
check enf/quar "RejectFailures true, p=quarantine failure" \
	"QUARANTINE quarantined by DMARC policy for quarantine.test|$A|$H"
check enf/pnone "RejectFailures true, p=none failure" "$A|$H"
check enf/pct0q "RejectFailures true, p=quarantine pct=0, sampled out" "$C|$H" "$C|$H"
# RFC 7489 6.6.4: the next weaker policy, where OpenDMARC lets it pass
check enf/pct0r "RejectFailures true, p=reject pct=0, sampled out" "$C|$H" \
	"QUARANTINE quarantined by DMARC policy for pctreject.test|$A|$H"
check enf/temperr "TempErrorAction tempfail (ours only), DNS SERVFAIL" "$A|$H" \
	"RESULT replycode 451 4.7.1 DMARC policy for broken.test temporarily unavailable, try again later"
check enf/multi "RejectFailures true, From none.test and paypal.com" "$A" "$REJ_PAYPAL"
# On purpose: MAIL FROM's domain stands in for the missing From domain, so
# leaving From out does not get a paypal.com spoof past the policy
check enf/nofrom "RejectFailures true, no From field, MAIL FROM paypal.com" "$A" "$REJ_PAYPAL"
check enf/nofromok "RejectFailures true, no From field, from paypal.com's server" "$A" "$A|$H"
check enf/unspec "RejectFailures true, no client address" "$A|$H" "STAGE mail accept|$A"

# RequiredHeaders and RejectMultiValueFrom: OpenDMARC's bare reject
# (the MTA's generic text) against our 550 with the reason
check strict/nofrom "RequiredHeaders, no From field" "RESULT reject" \
	"RESULT replycode 550 5.7.1 message has 0 From fields, RFC 5322 requires exactly one"
check strict/nodomain "RequiredHeaders, a From without a domain" "RESULT reject" \
	"RESULT replycode 550 5.7.1 From field unusable: no address"
check strict/twofrom "RequiredHeaders, two From fields" "RESULT reject" \
	"RESULT replycode 550 5.7.1 message has 2 From fields, RFC 5322 requires exactly one"
check strict/nodate "RequiredHeaders, no Date field" "RESULT reject" \
	"RESULT replycode 550 5.7.1 message has 0 Date fields, RFC 5322 requires exactly one"
check strict/multi "RejectMultiValueFrom, From none.test and paypal.com" "RESULT reject" \
	"RESULT replycode 550 5.7.1 multiple From domains are not accepted here"

# OpenDMARC's t-verify-nodata and t-verify-nodata-reject
check nodata/spoof "no SPF or DKIM data, p=reject, RejectFailures false" "$C|$H" "$C|$H"
check nodata/spoofrej "no SPF or DKIM data, p=reject, RejectFailures true" "$REJ_PAYPAL"

tap_done
