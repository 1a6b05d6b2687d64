#!/bin/bash
# t-resolver.sh: the daemon's one resolver, through miltc: Nameservers
# pointing at a second nsd on port 5353 while resolv.conf names a server
# that never answers; SPF's A, AAAA, MX, PTR and include lookups through
# our libspf2 layer; the cache answering repeated lookups once that nsd is
# gone; a silent server giving temperror within DNSTimeout. Root only.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own resolver"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it)"

lab_init
cat >"$LAB/run/extra.zone" <<'EOF'
; t-resolver.sh: SPF records that need more than TXT
spfmx.test.		TXT	"v=spf1 mx -all"
spfmx.test.		MX	10 mail.spfmx.test.
mail.spfmx.test.	A	192.0.2.70
mail.spfmx.test.	AAAA	2001:db8::70
spfa.test.		TXT	"v=spf1 a:host.spfa.test include:spfinc.test -all"
host.spfa.test.		AAAA	2001:db8::71
spfinc.test.		TXT	"v=spf1 ip4:192.0.2.72 -all"
spfptr.test.		TXT	"v=spf1 ptr -all"
73.2.0.192.in-addr.arpa.	PTR	host.spfptr.test.
host.spfptr.test.	A	192.0.2.73
spfbroken.test.		TXT	"v=spf1 include:broken.test -all"
EOF
LAB_ZONE_EXTRA=$LAB/run/extra.zone
lab_nsd_start

# The same zones from a second nsd on 127.0.0.3, port 5353.
mkdir -p "$LAB/nsd2"
cp "$LAB/nsd/root.zone" "$LAB/nsd2/root.zone"
sed -e "s|ip-address: 127.0.0.1|ip-address: 127.0.0.3|" \
	-e "s|port: 53|port: 5353|" -e "s|$LAB/nsd/|$LAB/nsd2/|g" \
	-e "s|$LAB/log/nsd.log|$LAB/log/nsd2.log|" \
	-e "s|control-enable: no|control-enable: yes\n\tcontrol-interface: $LAB/nsd2/control.sock|" \
	"$LAB/nsd/nsd.conf" >"$LAB/nsd2/nsd.conf"
nsd -d -c "$LAB/nsd2/nsd.conf" >>"$LAB/log/nsd2.log" 2>&1 &
nsd2=$!
_lab_pids="$_lab_pids $nsd2"
_lab_wait nsd2 10 bash -c 'exec 3<>/dev/tcp/127.0.0.3/5353' ||
	lab_die "the second nsd does not listen on 127.0.0.3:5353"

# A name server that never answers, named by resolv.conf: whatever the
# milter resolves, it resolves through Nameservers.
python3 -c '
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.2", 53))
open(sys.argv[1], "w").close()
time.sleep(600)' "$LAB/run/silent.ready" &
_lab_pids="$_lab_pids $!"
_lab_wait silent 10 test -e "$LAB/run/silent.ready" ||
	lab_die "the silent name server did not start"
echo "nameserver 127.0.0.2" >"$LAB/resolv.conf"

AR='^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: mx\.test;'
REJECT_PAYPAL='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'
METRICS=127.0.0.1:9489
TYPES="txt a aaaa mx ptr"

# dns_counts: "queries type:outcome=n ... hits type=n ..." so far, from
# /metrics (zero counts left out)
dns_counts() {
	curl -sS --max-time 10 "http://$METRICS/metrics" | awk '
	/^dmarc_milter_dns_queries_total\{/ && $2 > 0 {
		match($1, /type="[a-z]+"/); t = substr($1, RSTART + 6, RLENGTH - 7)
		match($1, /outcome="[a-z]+"/); o = substr($1, RSTART + 9, RLENGTH - 10)
		q = q " " t ":" o "=" $2 }
	/^dmarc_milter_dns_cache_hits_total\{/ && $2 > 0 {
		match($1, /type="[a-z]+"/); t = substr($1, RSTART + 6, RLENGTH - 7)
		h = h " " t "=" $2 }
	END { print "queries" q " hits" h }'
}

# sent_by_milter: "type=n ..." of the queries that left the milter, per its
# counters: lookups less cache hits
sent_by_milter() {
	curl -sS --max-time 10 "http://$METRICS/metrics" | awk -v types="$TYPES" '
	/^dmarc_milter_dns_queries_total\{/ {
		match($1, /type="[a-z]+"/); n[substr($1, RSTART + 6, RLENGTH - 7)] += $2 }
	/^dmarc_milter_dns_cache_hits_total\{/ {
		match($1, /type="[a-z]+"/); n[substr($1, RSTART + 6, RLENGTH - 7)] -= $2 }
	END { k = split(types, t, " "); for (i = 1; i <= k; i++) printf "%s%s=%d", (i > 1 ? " " : ""), t[i], n[t[i]]; print "" }'
}

# seen_by_nsd2: "type=n ..." of the queries the second nsd answered
seen_by_nsd2() {
	local stats t out=""
	stats=$(nsd-control -c "$LAB/nsd2/nsd.conf" stats_noreset 2>&1)
	for t in $TYPES; do
		T=$(printf '%s' "$t" | tr '[:lower:]' '[:upper:]')
		out="$out $t=$(printf '%s\n' "$stats" | sed -n "s/^num\.type\.$T=//p")"
	done
	printf '%s\n' "${out# }"
}

# mt NAME CLIENT SENDER-DOMAIN: a message From: and MAIL FROM the domain
mt() {
	local name=$1 client=$2 dom=$3
	lab_message "$name" "From: <user@$dom>" "To: <rcpt@recipient.test>" \
		"Date: $(date -R)" "Subject: $name" \
		"Message-ID: <$name@client.test>" >/dev/null
	"$MILTC" -s "unix:$LAB_SOCK" -q "Q$name" -r '<rcpt@recipient.test>' \
		-t 30 -c "$client" -f "<user@$dom>" "$LAB/msg/$name.eml" 2>&1 || true
}

# --- the RFC 9989 tree walk's cap, counted at the name server ---------------
# Twelve labels and no record anywhere: _dmarc at the full name, then at the
# last seven labels and each shorter one down to _dmarc.test: eight queries.
lab_milter_start "SPFSelfValidate false" "Nameservers 127.0.0.3:5353" \
	"DNSCacheSize 0" "MetricsListen $METRICS"
like "$(mt deep 192.0.2.66 a.b.c.d.e.f.g.h.i.j.k.nocap.test)" "$AR dmarc=none" \
	"a twelve-label From domain with no record: dmarc=none"
is "$(seen_by_nsd2)" "txt=8 a=0 aaaa=0 mx=0 ptr=0" \
	"the tree walk sent nsd eight TXT queries, no more (RFC 9989 4.10)"
is "$(dns_counts)" "queries txt:nxdomain=8 hits" \
	"and the counters say the same: eight NXDOMAIN lookups"

# --- Nameservers on another port --------------------------------------------
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"Nameservers 127.0.0.3:5353" "DNSTimeout 2" "MetricsListen $METRICS"
out=$(mt spoof 192.0.2.66 paypal.com)
# a rejected message gets no header: the log says what SPF found
like "$(grep 'Qspoof:' "$LAB/log/milter.log")" 'spf=fail\(self\)' \
	"Nameservers 127.0.0.3:5353: SPF resolves (resolv.conf's server is silent)"
is "$(printf '%s\n' "$out" | grep '^RESULT' | tail -n 1)" "$REJECT_PAYPAL" \
	"... and so does DMARC: p=reject applies"
like "$(mt good 192.0.2.10 paypal.com)" "$AR spf=pass smtp\\.mailfrom=paypal\\.com" \
	"the authorised sender passes SPF"

# --- SPF through our layer: MX, A, AAAA, PTR, include ------------------------
like "$(mt mx4 192.0.2.70 spfmx.test)" "$AR spf=pass smtp\\.mailfrom=spfmx\\.test" \
	"SPF mx: MX then A"
like "$(mt mx6 2001:db8::70 spfmx.test)" "$AR spf=pass smtp\\.mailfrom=spfmx\\.test" \
	"SPF mx from IPv6: MX then AAAA"
like "$(mt mxno 192.0.2.71 spfmx.test)" "$AR spf=fail smtp\\.mailfrom=spfmx\\.test" \
	"SPF mx: another address fails"
like "$(mt a6 2001:db8::71 spfa.test)" "$AR spf=pass smtp\\.mailfrom=spfa\\.test" \
	"SPF a:host: AAAA"
like "$(mt inc 192.0.2.72 spfa.test)" "$AR spf=pass smtp\\.mailfrom=spfa\\.test" \
	"SPF include: the included record's TXT"
like "$(mt ptr 192.0.2.73 spfptr.test)" "$AR spf=pass smtp\\.mailfrom=spfptr\\.test" \
	"SPF ptr: PTR, then A to confirm it"
like "$(mt broken 192.0.2.66 spfbroken.test)" "$AR spf=temperror smtp\\.mailfrom=spfbroken\\.test" \
	"SPF include of a SERVFAIL zone: temperror"

# Deterministic for these messages, one at a time: each name is asked once,
# later lookups of a name come from the cache.
is "$(dns_counts)" "queries txt:ok=12 txt:nxdomain=14 txt:tempfail=1 a:ok=3 a:nodata=1 aaaa:ok=2 mx:ok=3 ptr:ok=1 hits txt=14 a=1 mx=2" \
	"dmarc_milter_dns_queries_total and _cache_hits_total by type: DMARC, SPF's TXT, A, AAAA, MX and PTR"
before=$(seen_by_nsd2)
sent=$(sent_by_milter)
before_txt=${before%% *}
is "$sent" "$(echo "$before" | awk -v b="${before_txt#txt=}" '{ sub(/^txt=[0-9]+/, "txt=" b - 8); print }')" \
	"every query the counters say went out reached nsd, type by type ($sent; nsd: $before less the walk's 8)"

# --- the cache: the same lookups once the server is gone ----------------------
kill "$nsd2"
_lab_wait_gone "$nsd2"
out=$(mt spoof2 192.0.2.66 paypal.com)
like "$(grep 'Qspoof2:' "$LAB/log/milter.log")" 'spf=fail\(self\)' \
	"nsd stopped: SPF still answered, from the cache"
is "$(printf '%s\n' "$out" | grep '^RESULT' | tail -n 1)" "$REJECT_PAYPAL" \
	"... and the DMARC record too"
like "$(mt mx4b 192.0.2.70 spfmx.test)" "$AR spf=pass smtp\\.mailfrom=spfmx\\.test" \
	"the cached MX and A answers too"
like "$(mt unseen 192.0.2.66 quarantine.test)" "$AR spf=temperror" \
	"a name never asked before: temperror, the server is gone"
# The SPF results of spoof2 and mx4b are kept whole (auth/spf_cache.c):
# only their DMARC records are looked up again, from the cache.
is "$(dns_counts)" "queries txt:ok=13 txt:nxdomain=16 txt:tempfail=3 a:ok=3 a:nodata=1 aaaa:ok=2 mx:ok=3 ptr:ok=1 hits txt=17 a=1 mx=2" \
	"with nsd gone: three more lookups from the cache, two failed"
is "$(sent_by_milter)" "$(echo "$sent" | awk '{ split($1, t, "="); $1 = "txt=" t[2] + 2; print }')" \
	"... so only the unseen name's two lookups went out"

# --- a name server that never answers ----------------------------------------
# elapsed START_NS: seconds since START_NS, with two decimals
elapsed() {
	awk -v a="$1" -v b="$(date +%s%N)" 'BEGIN { printf "%.2f", (b - a) / 1e9 }'
}
# below X LIMIT: 0 when X < LIMIT (a TAP status)
below() {
	awk -v x="$1" -v l="$2" 'BEGIN { print (x < l) ? 0 : 1 }'
}
lab_milter_start "RejectFailures true" "Nameservers 127.0.0.2" "DNSTimeout 2"
start=$(date +%s%N)
out=$(mt silent 192.0.2.66 paypal.com)
spent=$(elapsed "$start")
like "$out" "$AR dmarc=temperror" "a silent server: dmarc=temperror"
# A bound, not a benchmark: the lookup gives up at DNSTimeout instead of
# the resolver's 5 s x 2 tries; the slack is for a slow (sanitizer) build.
tap_result "$(below "$spent" 4)" \
	"... within DNSTimeout 2, with 2 s of slack (took $spent s)"
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"Nameservers 127.0.0.2" "DNSTimeout 1"
start=$(date +%s%N)
out=$(mt silent2 192.0.2.66 paypal.com)
spent=$(elapsed "$start")
like "$out" "$AR spf=temperror smtp\\.mailfrom=paypal\\.com" \
	"SPF through a silent server: temperror"
tap_result "$(below "$spent" 4)" \
	"... two lookups of DNSTimeout 1 each, with 2 s of slack (took $spent s)"
echo "nameserver 127.0.0.1" >"$LAB/resolv.conf"

tap_done
