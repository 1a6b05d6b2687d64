#!/bin/bash
# t-receivedspf.sh: the Received-SPF field of the real
# postfix-policyd-spf-python (Debian's package, its shipped configuration)
# in front of the milter in the lab's Postfix: what it writes, where, and
# when it refuses mail itself; each field it writes is read back with
# dmarc/received_spf.c (tests/tools/rspf_show) against the session it
# describes. Root only (see lab.sh).
#
# Phase A of TrustReceivedSPF: this shows the field reaching the milter.
# The milter does not read it yet, so the messages are only delivered.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
# shellcheck source=tests/lab/policyd.sh
. "$(dirname "$0")/policyd.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
: "${RSPF_SHOW:=$top_builddir/tests/tools/rspf_show}"
[ -x "$RSPF_SHOW" ] || tap_skip_all "no rspf_show at $RSPF_SHOW (make check builds it)"
lab_policyd_spf_ready ||
	tap_skip_all "postfix-policyd-spf-python not installed (scripts/install-deps.sh)"

lab_init
# soft.test ends in ~all: policyd-spf's shipped settings let a Softfail
# through. helo.test authorises the legitimate client as a HELO name.
cat >"$LAB/zone.extra" <<'EOF'
soft.test.		TXT	"v=spf1 ip4:192.0.2.10 ~all"
_dmarc.soft.test.	TXT	"v=DMARC1; p=reject"
helo.test.		TXT	"v=spf1 ip4:192.0.2.10 -all"
EOF
# shellcheck disable=SC2034 # read by lab_nsd_start
LAB_ZONE_EXTRA=$LAB/zone.extra
lab_nsd_start
# shellcheck disable=SC2119 # no A-R ids to strip; the base milter settings
lab_postfix_start
# shellcheck disable=SC2119
lab_milter_start
LEGIT=192.0.2.10
SPOOFER=192.0.2.66

# show NAME RSPF-SHOW-ARGS...: rspf_show on NAME's topmost Received-SPF.
show() {
	local name=$1
	shift
	lab_rspf "$name" | head -n 1 | "$RSPF_SHOW" "$@" || true
}

# policyd-spf's form, with the lab's recipient domain as receiver=.
pd() {
	printf 'Received-SPF: %s identity=%s; client-ip=%s; helo=%s; envelope-from=%s; receiver=recipient.test' "$@"
}

# forged NAME FROM-DOMAIN: a message whose sender wrote its own SPF pass.
forged() {
	lab_message "$1" \
		"Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=$SPOOFER; helo=client.test; envelope-from=help@$2; receiver=recipient.test" \
		"From: PayPal <help@$2>" "To: $1@recipient.test" \
		"Date: Sun, 22 Nov 2026 09:00:00 +0000" "Subject: $1" \
		"Message-ID: <$1@lab.test>"
}

# --- the shipped configuration (Header_Type SPF, Mail_From_reject Fail) ----
lab_policyd_spf_enable

lab_send legit --xclient-addr "$LEGIT" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply legit)" '^250 ' "shipped: legitimate mail accepted"
is "$(lab_rspf legit | sed 's/ *$//')" \
	"$(pd 'Pass (mailfrom)' mailfrom $LEGIT client.test help@paypal.com)" \
	"shipped: one Received-SPF, policyd-spf's exact form"
like "$(lab_headers legit | grep -i -E '^(Received-SPF|Received):' | head -n 1)" \
	'^Received-SPF: Pass' \
	"shipped: the prepended field stands above Postfix's Received"
like "$(show legit -c $LEGIT -m paypal.com -H client.test)" \
	'^status=ok result=pass identity=mailfrom client-ip=192\.0\.2\.10 envelope-domain=paypal\.com helo-domain=client\.test match="match" domain=paypal\.com$' \
	"shipped: the pass parses and matches the session"
like "$(show legit -c $SPOOFER -m paypal.com)" 'match="client-ip is not' \
	"shipped: the pass is for this client only"

lab_send spoof --xclient-addr "$SPOOFER" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply spoof)" \
	'^550 5\.7\.23 <spoof@recipient\.test>: Recipient address rejected: Message rejected due to: SPF fail - not authorized\. Please see http://www\.openspf\.net/Why\?s=mfrom;id=help@paypal\.com;ip=192\.0\.2\.66;r=recipient\.test$' \
	"shipped: an SPF Fail is refused by policyd-spf itself at RCPT"
unlike "$(lab_transcript spoof)" '^ -> DATA' \
	"shipped: so the spoof never reaches the milter"

lab_send soft --xclient-addr "$SPOOFER" --from help@soft.test \
	--h-From "Soft <help@soft.test>"
is "$(lab_rspf soft | sed 's/ *$//')" \
	"$(pd 'Softfail (mailfrom)' mailfrom $SPOOFER client.test help@soft.test)" \
	"shipped: a Softfail is let through with its field"
like "$(show soft -c $SPOOFER -m soft.test -H client.test)" \
	'^status=ok result=softfail identity=mailfrom .* match="match" domain=soft\.test$' \
	"shipped: the softfail parses and matches the session"

lab_send forged --xclient-addr "$SPOOFER" --from help@soft.test \
	--data "$(forged forged soft.test)"
like "$(lab_rspf forged | head -n 1)" '^Received-SPF: Softfail \(mailfrom\)' \
	"shipped, forged pass below: policyd-spf's Softfail is the topmost"
like "$(lab_rspf forged | sed -n 2p)" '^Received-SPF: Pass \(mailfrom\)' \
	"shipped, forged pass below: the sender's Pass comes second"
is "$(lab_rspf forged | wc -l | tr -d ' ')" 2 \
	"shipped, forged pass below: two fields and no more"
like "$(show forged -c $SPOOFER -m soft.test)" '^status=ok result=softfail ' \
	"shipped, forged pass below: the topmost reads softfail"

lab_send null --xclient-addr "$LEGIT" --from '<>' --helo helo.test \
	--h-From "Postmaster <postmaster@helo.test>"
is "$(lab_rspf null | sed 's/ *$//')" \
	"$(pd 'Pass (sender SPF authorized)' helo $LEGIT helo.test '<>')" \
	"shipped, null sender: the HELO identity, envelope-from=<>"
like "$(show null -c $LEGIT -n -H helo.test)" \
	'^status=ok result=pass identity=helo .* match="match" domain=helo\.test$' \
	"shipped, null sender: parses and matches the HELO name"

# A sender without SPF but a HELO name with it: the field is the HELO's.
lab_send nospf --xclient-addr "$LEGIT" --from help@nodmarc-nospf.test \
	--helo helo.test --h-From "Someone <help@nodmarc-nospf.test>"
is "$(lab_rspf nospf | sed 's/ *$//')" \
	"$(pd 'Pass (sender SPF authorized)' helo $LEGIT helo.test help@nodmarc-nospf.test)" \
	"shipped: no MAIL FROM record, so policyd-spf writes the HELO result"
like "$(show nospf -c $LEGIT -m nodmarc-nospf.test -H helo.test)" \
	'match="identity=helo for a message with a MAIL FROM"' \
	"shipped: which says nothing about the MAIL FROM domain"

# The sender writes the MAIL FROM unquoted: a ";" in it adds keys.
lab_send semi --xclient-addr "$LEGIT" \
	--from '"x;client-ip=192.0.2.99"@paypal.com' --h-From "PayPal <help@paypal.com>"
like "$(lab_rspf semi)" 'envelope-from=x;client-ip=192\.0\.2\.99@paypal\.com;' \
	"shipped: a quoted local part is written unquoted"
like "$(show semi -c $LEGIT -m paypal.com)" '^status="a key given twice"$' \
	"shipped: and such a field is refused whole"

# A MAIL FROM domain whose name server fails (SERVFAIL, see lab.sh):
# pyspf 2.0.14 reports None, not Temperror.
lab_send servfail --xclient-addr "$LEGIT" --from help@x.broken.test \
	--h-From "PayPal <help@paypal.com>"
is "$(lab_rspf servfail | sed 's/ *$//')" \
	"$(pd 'None (mailfrom)' mailfrom $LEGIT client.test help@x.broken.test)" \
	"shipped: a SERVFAIL for the MAIL FROM domain is written as None"

# Clients that permit_mynetworks lets through never meet policyd-spf.
lab_send local --xclient-addr 127.0.0.2 --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply local)" '^250 ' "mynetworks: accepted"
is "$(lab_rspf local)" "" "mynetworks: no Received-SPF field at all"

# --- decisions left to DMARC (Mail_From_reject = False) --------------------
lab_policyd_spf_enable "Mail_From_reject = False"

lab_send spoof2 --xclient-addr "$SPOOFER" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply spoof2)" '^250 ' \
	"Mail_From_reject False: the spoof reaches the milter"
is "$(lab_rspf spoof2 | sed 's/ *$//')" \
	"$(pd 'Fail (mailfrom)' mailfrom $SPOOFER client.test help@paypal.com)" \
	"Mail_From_reject False: with policyd-spf's Fail"
like "$(show spoof2 -c $SPOOFER -m paypal.com -H client.test)" \
	'^status=ok result=fail identity=mailfrom .* match="match" domain=paypal\.com$' \
	"Mail_From_reject False: the fail parses and matches the session"

lab_send forged2 --xclient-addr "$SPOOFER" --from help@paypal.com \
	--data "$(forged forged2 paypal.com)"
like "$(lab_rspf forged2 | head -n 1)" '^Received-SPF: Fail \(mailfrom\)' \
	"Mail_From_reject False, forged pass below: the Fail is the topmost"
like "$(lab_rspf forged2 | sed -n 2p)" '^Received-SPF: Pass \(mailfrom\)' \
	"Mail_From_reject False, forged pass below: the forged Pass is second"
like "$(lab_rspf forged2 | sed -n 2p | "$RSPF_SHOW" -c $SPOOFER -m paypal.com)" \
	'^status=ok result=pass .* match="match"' \
	"Mail_From_reject False: the forged Pass alone would match (only the top may count)"

lab_send legit2 --xclient-addr "$LEGIT" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(show legit2 -c $LEGIT -m paypal.com)" '^status=ok result=pass .* match="match"' \
	"Mail_From_reject False: legitimate mail keeps its pass"

tap_done
