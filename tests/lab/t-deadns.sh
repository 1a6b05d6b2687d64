#!/bin/bash
# t-deadns.sh: a sender whose name servers never answer, through Postfix
# and dmarc-milter with SPFSelfValidate and DKIMSelfVerify, under both
# DMARCSpec modes. A temporary error is never a failure and never a way
# around the policy (RFC 7489 6.6.2, RFC 9989 5.3.2): when the SPF check
# of an aligned MAIL FROM, or the key lookup of an aligned DKIM d=, times
# out, the result is dmarc=temperror and TempErrorAction decides (accept,
# or 451), never 550; a dead envelope domain or d= that cannot align
# changes nothing, and the spoof is still refused. Time stays bounded:
# one DNSTimeout per kind of lookup (policy, SPF, DKIM key) at most, the
# RFC 9989 tree walk stops at its first timeout, and a message sent
# meanwhile keeps its latency. Root only (see lab.sh).
#
# The milter asks a proxy on 127.0.0.2 (Nameservers): it passes queries
# to nsd and drops those for names under dead.test and bounce.sender.test,
# and for _dmarc.mid.walk.test, logging each.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER (build it, or set DM_MILTER)"
lab_milter_is_opendmarc && tap_skip_all "DKIMSelfVerify and Nameservers are not OpenDMARC keys"
command -v python3 >/dev/null || tap_skip_all "python3 not installed"

lab_init
cat >"$LAB/run/extra.zone" <<'EOF'
; t-deadns.sh: sender.test publishes p=reject and lives, but its subdomain
; bounce.sender.test (the bounce address, a DKIM d=) has dead name servers
_dmarc.sender.test.	TXT	"v=DMARC1; p=reject"
sender.test.		TXT	"v=spf1 ip4:192.0.2.70 -all"
bounce.sender.test.	TXT	"v=spf1 ip4:192.0.2.70 -all"
; a third party whose SPF authorises nobody
other.test.		TXT	"v=spf1 -all"
; live.test: the normal mail sent meanwhile
live.test.		TXT	"v=spf1 ip4:192.0.2.80 -all"
_dmarc.live.test.	TXT	"v=DMARC1; p=reject"
; walk.test: p=reject two labels up from a name whose _dmarc never answers
_dmarc.walk.test.	TXT	"v=DMARC1; p=reject"
EOF
# shellcheck disable=SC2034 # read by lab_nsd_start
LAB_ZONE_EXTRA=$LAB/run/extra.zone
lab_nsd_start
# shellcheck disable=SC2119 # no trusted id: no A-R field to strip
lab_postfix_start

# The proxy: UDP only (every answer here fits), one thread per forwarded
# query so a dropped one holds nothing up; it ends by itself after 15 idle
# minutes at most.
python3 - "$LAB/run/proxy.ready" "$LAB/log/proxy.log" <<'EOF' &
import socket, sys, threading

DEAD = ("dead.test", "bounce.sender.test")
DEAD_EXACT = ("_dmarc.mid.walk.test",)

def question(pkt):
    i, labels = 12, []
    while i < len(pkt) and pkt[i]:
        labels.append(pkt[i + 1:i + 1 + pkt[i]].decode("ascii", "replace"))
        i += 1 + pkt[i]
    qtype = int.from_bytes(pkt[i + 1:i + 3], "big") if i + 3 <= len(pkt) else 0
    return ".".join(labels).lower(), qtype

def dead(name):
    return name in DEAD_EXACT or any(
        name == d or name.endswith("." + d) for d in DEAD)

def forward(u, pkt, peer):
    f = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    f.settimeout(5)
    try:
        f.sendto(pkt, ("127.0.0.1", 53))
        r, _ = f.recvfrom(65535)
        u.sendto(r, peer)
    except OSError:
        pass
    finally:
        f.close()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.2", 53))
u.settimeout(900)
log = open(sys.argv[2], "a", buffering=1)
open(sys.argv[1], "w").close()
while True:
    try:
        pkt, peer = u.recvfrom(65535)
    except socket.timeout:
        break
    name, qtype = question(pkt)
    if dead(name):
        log.write("drop %s %d\n" % (name, qtype))
        continue
    log.write("fwd %s %d\n" % (name, qtype))
    threading.Thread(target=forward, args=(u, pkt, peer), daemon=True).start()
EOF
_lab_pids="$_lab_pids $!"
_lab_wait proxy 10 test -e "$LAB/run/proxy.ready" ||
	lab_die "the DNS proxy did not start"

AR='^Authentication-Results: mx\.test;'
SPOOFER=192.0.2.66
TIMEOUT=2
REJECT='550 5.7.1 rejected by DMARC policy for sender.test'
TEMPFAIL='451 4.7.1 DMARC policy for sender.test temporarily unavailable, try again later'
BASE=(
	"RejectFailures true"
	"SPFSelfValidate true"
	"DKIMSelfVerify true"
	"Nameservers 127.0.0.2"
	"DNSTimeout $TIMEOUT"
)
# Not a signature of anything: a key lookup that never ends is all it needs.
BH=47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=
B=bm90IGEgc2lnbmF0dXJlIGJ1dCB3ZWxsIGZvcm1lZA==
# sig D S: a DKIM-Signature field for d=D, s=S
sig() {
	printf 'DKIM-Signature: v=1; a=rsa-sha256; c=relaxed/relaxed; d=%s; s=%s; h=from:to:subject; bh=%s; b=%s' \
		"$1" "$2" "$BH" "$B"
}

# send NAME MAILFROM CLIENT HEADER...: the message through Postfix; its
# time in seconds goes to $LAB/out/NAME.time, the queries the proxy saw
# meanwhile to $LAB/out/NAME.queries, the dropped ones to NAME.drops
send() {
	local name=$1 from=$2 client=$3 f start before
	shift 3
	f=$(lab_message "$name" "$@" "To: <$name@recipient.test>" \
		"Subject: $name" "Date: $(date -R)" "Message-ID: <$name@client.test>")
	before=$(wc -l <"$LAB/log/proxy.log")
	start=$(date +%s%N)
	lab_send "$name" --from "$from" --xclient-addr "$client" --data "$f"
	awk -v a="$start" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f\n", (b - a) / 1e9 }' \
		>"$LAB/out/$name.time"
	tail -n +"$((before + 1))" "$LAB/log/proxy.log" >"$LAB/out/$name.queries"
	grep '^drop ' "$LAB/out/$name.queries" >"$LAB/out/$name.drops" || true
}

# reply_is NAME EXPECTED DESCRIPTION: the reply to the end of DATA
reply_is() {
	is "$(lab_reply "$1")" "$2" "$3"
}

# below X LIMIT: 0 when X < LIMIT (a TAP status)
below() {
	awk -v x="$1" -v l="$2" 'BEGIN { print (x < l) ? 0 : 1 }'
}

# delivered_ar NAME ERE DESCRIPTION: NAME was delivered, and one of its
# A-R fields matches
delivered_ar() {
	if ! lab_wait_delivered "$1" >/dev/null; then
		tap_result 1 "$3" "not delivered; reply: $(lab_reply "$1")"
		return 0
	fi
	like "$(lab_ar "$1")" "$2" "$3"
}

# drops_of NAME: how many queries the proxy dropped during NAME
drops_of() {
	wc -l <"$LAB/out/$1.drops" | tr -d ' '
}

# cases SPEC: (a) to (d) under one specification, TempErrorAction accept
cases() {
	local S=$1
	# (a) an aligned MAIL FROM whose SPF check times out, no DKIM
	send "a$S" "bounce@bounce.sender.test" $SPOOFER "From: <news@sender.test>"
	reply_like_ok "a$S" "$S (a): an aligned MAIL FROM whose SPF times out: accepted, never 550"
	delivered_ar "a$S" "$AR dmarc=temperror \\(p=reject dis=none\\) header\\.from=sender\\.test\$" \
		"$S (a): ... with dmarc=temperror (p=reject dis=none)"
	like "$(lab_ar "a$S")" "$AR spf=temperror smtp\\.mailfrom=bounce\\.sender\\.test\$" \
		"$S (a): ... and spf=temperror for bounce.sender.test"

	# (b) an aligned DKIM d= whose key lookup times out; SPF fails, unaligned
	send "b$S" "x@other.test" $SPOOFER "$(sig bounce.sender.test sel)" \
		"From: <news@sender.test>"
	reply_like_ok "b$S" "$S (b): an aligned DKIM d= whose key lookup times out: accepted, never 550"
	delivered_ar "b$S" "$AR dkim=temperror \\(key query failed\\) header\\.d=bounce\\.sender\\.test " \
		"$S (b): ... with dkim=temperror for d=bounce.sender.test"
	like "$(lab_ar "b$S")" "$AR dmarc=temperror \\(p=reject dis=none\\) header\\.from=sender\\.test\$" \
		"$S (b): ... and dmarc=temperror"

	# (c) a spoof with a dead envelope domain that cannot align
	send "c$S" "x@dead.test" $SPOOFER "From: <news@sender.test>"
	reply_is "c$S" "$REJECT" "$S (c): a spoof whose MAIL FROM domain never answers: still 550"
	is "$(sed -n 's/^drop \([^ ]*\) .*/\1/p' "$LAB/out/c$S.drops" | sort -u | tr '\n' ' ')" \
		"dead.test " "$S (c): ... after one SPF lookup of dead.test, the only one lost"

	# (d) a dead DKIM d= that cannot align, on top of a bogus aligned one
	send "d$S" "x@other.test" $SPOOFER "$(sig dead.test sel)" \
		"$(sig sender.test nokey)" "From: <news@sender.test>"
	reply_is "d$S" "$REJECT" "$S (d): a spoof with a DKIM d= that never answers: still 550"
	is "$(drops_of "d$S")" 1 "$S (d): ... the aligned signature's key asked first, the dead one once"
}

# reply_like_ok NAME DESCRIPTION: the message was accepted (250)
reply_like_ok() {
	like "$(lab_reply "$1")" '^250 ' "$2"
}

for S in rfc9989 rfc7489; do
	lab_milter_start "${BASE[@]}" "DMARCSpec $S"
	cases $S

	# (f) a From domain whose policy lookup times out halfway up the tree
	send "f$S" "x@live.test" 192.0.2.80 "From: <news@a.b.mid.walk.test>"
	if [ $S = rfc9989 ]; then
		reply_like_ok "f$S" "$S (f): _dmarc.mid.walk.test never answers: accepted"
		delivered_ar "f$S" "$AR dmarc=temperror header\\.from=a\\.b\\.mid\\.walk\\.test\$" \
			"$S (f): ... dmarc=temperror, and no policy named: none was found"
		is "$(grep -c '_dmarc\.' "$LAB/out/f$S.drops")" 1 \
			"$S (f): the tree walk stopped at its first timeout"
		unlike "$(cat "$LAB/out/f$S.queries")" '^fwd _dmarc\.(walk\.)?test ' \
			"$S (f): ... _dmarc.walk.test and _dmarc.test were never asked"
	else
		reply_is "f$S" '550 5.7.1 rejected by DMARC policy for walk.test' \
			"$S (f): the PSL's org domain walk.test: its p=reject applies (no walk)"
	fi

	lab_milter_start "${BASE[@]}" "DMARCSpec $S" "TempErrorAction tempfail"
	send "at$S" "bounce@bounce.sender.test" $SPOOFER "From: <news@sender.test>"
	reply_is "at$S" "$TEMPFAIL" "$S (a) TempErrorAction tempfail: 451, never 550"
	send "bt$S" "x@other.test" $SPOOFER "$(sig bounce.sender.test sel)" \
		"From: <news@sender.test>"
	reply_is "bt$S" "$TEMPFAIL" "$S (b) TempErrorAction tempfail: 451, never 550"
	send "ct$S" "x@dead.test" $SPOOFER "From: <news@sender.test>"
	reply_is "ct$S" "$REJECT" "$S (c) TempErrorAction tempfail: the spoof is still 550"
done

# --- (e) time: one DNSTimeout per kind of lookup ------------------------------
# Everything dead at once: the SPF check, three DKIM keys (one aligned) and
# the RFC 9989 alignment walk of the dead subdomain.
lab_milter_start "${BASE[@]}"
send warm "x@live.test" 192.0.2.80 "From: <news@live.test>"
reply_like_ok warm "(e) a normal message before: accepted"
send heavy "bounce@bounce.sender.test" $SPOOFER "$(sig dead.test sel)" \
	"$(sig other.dead.test sel)" "$(sig bounce.sender.test sel)" \
	"From: <news@sender.test>"
reply_like_ok heavy "(e) everything dead: accepted (temperror), never 550"
is "$(drops_of heavy)" 3 \
	"(e) three lookups lost: one SPF, one DKIM key, one _dmarc ($(tr '\n' ' ' <"$LAB/out/heavy.drops"))"
spent=$(cat "$LAB/out/heavy.time")
tap_result "$(below "$spent" $((3 * TIMEOUT + 2)))" \
	"(e) ... in about three DNSTimeout $TIMEOUT, with 2 s of slack (took $spent s)"

# The same again in the background; a normal message meanwhile.
(send heavy2 "bounce@bounce.sender.test" $SPOOFER "$(sig bounce.sender.test sel)" \
	"From: <news@sender.test>") &
bg=$!
sleep 0.5
send meanwhile "x@live.test" 192.0.2.80 "From: <news@live.test>"
warm=$(cat "$LAB/out/warm.time")
during=$(cat "$LAB/out/meanwhile.time")
reply_like_ok meanwhile "(e) a normal message while a dead one waits: accepted"
delivered_ar meanwhile "$AR dmarc=pass \\(p=reject dis=none\\) header\\.from=live\\.test\$" \
	"(e) ... with dmarc=pass"
tap_result "$(below "$during" 1.5)" \
	"(e) ... keeps its latency: $during s (before: $warm s), not the dead one's"
wait "$bg" || true
tap_result "$(awk -v d="$(cat "$LAB/out/heavy2.time")" -v m="$during" 'BEGIN { print (d > m + 1) ? 0 : 1 }')" \
	"(e) ... while the dead one took its timeouts ($(cat "$LAB/out/heavy2.time") s)"

tap_done
