#!/bin/bash
# t-receivedspf.sh: the Received-SPF field of the real
# postfix-policyd-spf-python (Debian's package, its shipped configuration)
# in front of the milter in the lab's Postfix: what it writes, where, and
# when it refuses mail itself; each field it writes is read back with
# dmarc/received_spf.c (tests/tools/rspf_show) against the session it
# describes. Then the milter under TrustReceivedSPF true: legitimate mail
# without DKIM passes on the field alone, a spoof is refused with the 550
# of the DMARC policy, a forged Pass below the service's own field changes
# nothing, and a client that skips the policy service (SMTP AUTH,
# mynetworks) cannot pass on a field of its own making except, as
# documented, one naming its own address. Last, the default
# (TrustReceivedSPF false, no SPFSelfValidate): the startup log warns, and
# the same legitimate mail is refused. Root only (see lab.sh).
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
# Nothing refused by the milter at first, so that every field can be read
# in the delivered message, beside the milter's verdict.
lab_milter_start "TrustReceivedSPF true"
LEGIT=192.0.2.10
SPOOFER=192.0.2.66
AR='^Authentication-Results: mx\.test;'

# show NAME RSPF-SHOW-ARGS...: rspf_show on NAME's topmost Received-SPF.
show() {
	local name=$1
	shift
	lab_rspf "$name" | head -n 1 | "$RSPF_SHOW" "$@" || true
}

# milter_log_of NAME: the milter's lines about NAME's delivered message.
milter_log_of() {
	local qid
	qid=$(lab_queue_id "$1")
	[ -n "$qid" ] || return 0
	grep -F "$qid: " "$LAB/log/milter.log" || true
}

# policyd-spf's form, with the lab's recipient domain as receiver=.
pd() {
	printf 'Received-SPF: %s identity=%s; client-ip=%s; helo=%s; envelope-from=%s; receiver=recipient.test' "$@"
}

# forged NAME FROM-DOMAIN [CLIENT-IP]: a message whose sender wrote its own
# SPF pass, for the spoofer's address unless told.
forged() {
	lab_message "$1" \
		"Received-SPF: Pass (mailfrom) identity=mailfrom; client-ip=${3:-$SPOOFER}; helo=client.test; envelope-from=help@$2; receiver=recipient.test" \
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
like "$(lab_ar legit)" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"trusted: legitimate mail without DKIM passes DMARC on the field"
like "$(milter_log_of legit)" ' spf=pass\(received-spf\) ' \
	"trusted: the log names the field as the SPF source"

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
like "$(lab_ar soft)" "$AR dmarc=fail \\(p=reject dis=[a-z]+\\) header\\.from=soft\\.test\$" \
	"trusted: the Softfail fails DMARC"

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
like "$(lab_ar forged)" "$AR dmarc=fail \\(p=reject dis=[a-z]+\\) header\\.from=soft\\.test\$" \
	"trusted, forged pass below: the message still fails DMARC"
like "$(milter_log_of forged)" ' spf=softfail\(received-spf\) ' \
	"trusted, forged pass below: the topmost Softfail is the SPF result"

lab_send null --xclient-addr "$LEGIT" --from '<>' --helo helo.test \
	--h-From "Postmaster <postmaster@helo.test>"
is "$(lab_rspf null | sed 's/ *$//')" \
	"$(pd 'Pass (sender SPF authorized)' helo $LEGIT helo.test '<>')" \
	"shipped, null sender: the HELO identity, envelope-from=<>"
like "$(show null -c $LEGIT -n -H helo.test)" \
	'^status=ok result=pass identity=helo .* match="match" domain=helo\.test$' \
	"shipped, null sender: parses and matches the HELO name"
like "$(milter_log_of null)" ' spf=pass\(received-spf\) ' \
	"trusted, null sender: the HELO pass is the SPF result"

# A sender without SPF but a HELO name with it: the field is the HELO's.
lab_send nospf --xclient-addr "$LEGIT" --from help@nodmarc-nospf.test \
	--helo helo.test --h-From "Someone <help@nodmarc-nospf.test>"
is "$(lab_rspf nospf | sed 's/ *$//')" \
	"$(pd 'Pass (sender SPF authorized)' helo $LEGIT helo.test help@nodmarc-nospf.test)" \
	"shipped: no MAIL FROM record, so policyd-spf writes the HELO result"
like "$(show nospf -c $LEGIT -m nodmarc-nospf.test -H helo.test)" \
	'match="identity=helo for a message with a MAIL FROM"' \
	"shipped: which says nothing about the MAIL FROM domain"
like "$(milter_log_of nospf)" ': Received-SPF ignored: identity=helo for a message with a MAIL FROM$' \
	"trusted: the milter ignores it too, and says why"

# The sender writes the MAIL FROM unquoted: a ";" in it adds keys.
lab_send semi --xclient-addr "$LEGIT" \
	--from '"x;client-ip=192.0.2.99"@paypal.com' --h-From "PayPal <help@paypal.com>"
like "$(lab_rspf semi)" 'envelope-from=x;client-ip=192\.0\.2\.99@paypal\.com;' \
	"shipped: a quoted local part is written unquoted"
like "$(show semi -c $LEGIT -m paypal.com)" '^status="a key given twice"$' \
	"shipped: and such a field is refused whole"
like "$(milter_log_of semi)" ': Received-SPF ignored: a key given twice$' \
	"trusted: the milter refuses it whole, and says why"

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
like "$(lab_ar spoof2)" "$AR dmarc=fail \\(p=reject dis=[a-z]+\\) header\\.from=paypal\\.com\$" \
	"trusted, Mail_From_reject False: the spoof fails DMARC"

lab_send forged2 --xclient-addr "$SPOOFER" --from help@paypal.com \
	--data "$(forged forged2 paypal.com)"
like "$(lab_rspf forged2 | head -n 1)" '^Received-SPF: Fail \(mailfrom\)' \
	"Mail_From_reject False, forged pass below: the Fail is the topmost"
like "$(lab_rspf forged2 | sed -n 2p)" '^Received-SPF: Pass \(mailfrom\)' \
	"Mail_From_reject False, forged pass below: the forged Pass is second"
like "$(lab_rspf forged2 | sed -n 2p | "$RSPF_SHOW" -c $SPOOFER -m paypal.com)" \
	'^status=ok result=pass .* match="match"' \
	"Mail_From_reject False: the forged Pass alone would match (only the top may count)"
like "$(lab_ar forged2)" "$AR dmarc=fail \\(p=reject dis=[a-z]+\\) header\\.from=paypal\\.com\$" \
	"trusted, Mail_From_reject False, forged pass below: the spoof still fails DMARC"

lab_send legit2 --xclient-addr "$LEGIT" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(show legit2 -c $LEGIT -m paypal.com)" '^status=ok result=pass .* match="match"' \
	"Mail_From_reject False: legitimate mail keeps its pass"
like "$(lab_ar legit2)" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"trusted, Mail_From_reject False: legitimate mail passes DMARC"

# --- TrustReceivedSPF true, RejectFailures true -----------------------------
lab_milter_start "TrustReceivedSPF true" "RejectFailures true"
REJECT='550 5.7.1 rejected by DMARC policy for'

lab_send legit3 --xclient-addr "$LEGIT" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply legit3)" '^250 ' "enforcing: legitimate mail without DKIM accepted"
like "$(lab_ar legit3)" "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=paypal\\.com\$" \
	"enforcing: ... with dmarc=pass"

lab_send spoof3 --xclient-addr "$SPOOFER" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply spoof3)" "^$REJECT paypal\\.com\$" \
	"enforcing, Mail_From_reject False: the paypal.com spoof is rejected"
lab_send forged3 --xclient-addr "$SPOOFER" --from help@paypal.com \
	--data "$(forged forged3 paypal.com)"
like "$(lab_reply forged3)" "^$REJECT paypal\\.com\$" \
	"enforcing, Mail_From_reject False: and with a forged Pass below the Fail"

lab_policyd_spf_enable
lab_send soft3 --xclient-addr "$SPOOFER" --from help@soft.test \
	--h-From "Soft <help@soft.test>"
like "$(lab_reply soft3)" "^$REJECT soft\\.test\$" \
	"enforcing, shipped: the soft.test spoof is rejected"
lab_send forged4 --xclient-addr "$SPOOFER" --from help@soft.test \
	--data "$(forged forged4 soft.test)"
like "$(lab_reply forged4)" "^$REJECT soft\\.test\$" \
	"enforcing, shipped: and with a forged Pass below the Softfail"

# Clients that skip check_policy_service: only their own field stands.
lab_send auth --xclient-addr "$SPOOFER" --xclient-login alice \
	--from help@paypal.com --data "$(forged auth paypal.com)"
like "$(lab_reply auth)" "^$REJECT paypal\\.com\$" \
	"SMTP AUTH skips the policy service: a forged Pass for its own address is not believed"
like "$(lab_milter_log)" ': Received-SPF ignored: an authenticated client, which may skip the policy service$' \
	"SMTP AUTH: the log says why"
lab_send mynet --xclient-addr 127.0.0.2 --from help@paypal.com \
	--data "$(forged mynet paypal.com)"
like "$(lab_reply mynet)" "^$REJECT paypal\\.com\$" \
	"mynetworks skips the policy service: a forged Pass for another address is not believed"
like "$(lab_milter_log)" ': Received-SPF ignored: client-ip is not the connecting client$' \
	"mynetworks: the log says why"
lab_send mynetown --xclient-addr 127.0.0.2 --from help@paypal.com \
	--data "$(forged mynetown paypal.com 127.0.0.2)"
like "$(lab_reply mynetown)" '^250 ' \
	"mynetworks: a forged Pass for its own address is believed (why mynetworks belongs in IgnoreHosts)"
lab_milter_start "TrustReceivedSPF true" "RejectFailures true" \
	"IgnoreHosts 127.0.0.0/8, ::1"
lab_send mynetign --xclient-addr 127.0.0.2 --from help@paypal.com \
	--data "$(forged mynetign paypal.com 127.0.0.2)"
like "$(lab_reply mynetign)" '^250 ' "mynetworks in IgnoreHosts: accepted ..."
like "$(lab_milter_log)" ': not evaluated: ignored_host \(127\.0\.0\.2\)$' \
	"... unevaluated, its field never read"
unlike "$(lab_milter_log)" 'no SPF source' \
	"TrustReceivedSPF true: no warning at start"

# --- the default: no SPF source ---------------------------------------------
lab_milter_start "RejectFailures true"
like "$(lab_milter_log)" 'dmarc-milter: warning: [^ ]*milter\.conf: add the line "TrustReceivedSPF true" if postfix-policyd-spf-python runs in front of this milter, ' \
	"no SPF source: the startup log names the line to add"
lab_send legit5 --xclient-addr "$LEGIT" --from help@paypal.com \
	--h-From "PayPal <help@paypal.com>"
like "$(lab_reply legit5)" "^$REJECT paypal\\.com\$" \
	"no SPF source: legitimate mail without DKIM is rejected (hence the warning)"

tap_done
