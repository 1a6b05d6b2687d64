#!/bin/bash
# make-signed-corpus.sh: the benchmark's corpus of signed mail, made anew
# for each run: keys made here, messages signed for real by opendkim in
# signing mode (driven through miltc, as Postfix would drive it), and the
# DNS records that go with them.
#
#   usage: tests/bench/make-signed-corpus.sh OUTDIR [COUNT]
#
# Writes OUTDIR/corpus/NNN-KIND.eml (COUNT messages, default 100, 2-10 KB
# each), OUTDIR/zone.extra (SPF, DMARC and DKIM key records for the lab's
# root zone: tests/lab/lab.sh's LAB_ZONE_EXTRA) and OUTDIR/keys/. Needs
# opendkim, opendkim-genkey and miltc (MILTC, or top_builddir's). No DNS is
# needed to sign: it runs inside or outside the lab.
#
# Three messages in four carry a DKIM-Signature, rsa-sha256 with a
# 2048-bit key, relaxed/relaxed. All come from one client, 192.0.2.81 (the
# sending MTA: bench.sh passes it to miltc), and every twenty are:
#   10 signed and sent direct (DMARC pass): bank.example (p=reject, SPF
#      pass), shop.example (p=quarantine, SPF pass), news.example (p=none; its
#      SPF names another host, so DKIM alone passes);
#    3 signed, then forwarded by a list (lists.example, SPF pass for it) that
#      changed the subject, the body or both: the signature breaks and
#      DMARC fails for the author's domain;
#    2 spoofs signed by attacker.example (its SPF passes) with a From of
#      bank.example or shop.example: valid but not aligned, DMARC fails;
#    3 unsigned spoofs of paypal.com (p=reject) from spoof.example (no SPF);
#    2 unsigned messages from shop.example (SPF pass, aligned).
# The names are under .example, not .test: opendkim's resolver
# (libunbound) answers for test. itself, as RFC 6761 allows.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
: "${MILTC:=$top_builddir/tests/tools/miltc}"

out=${1:?usage: make-signed-corpus.sh OUTDIR [COUNT]}
count=${2:-100}
case $count in '' | *[!0-9]* | 0) echo "COUNT must be a number above 0" >&2; exit 2 ;; esac
for tool in opendkim opendkim-genkey "$MILTC"; do
	command -v "$tool" >/dev/null 2>&1 || {
		echo "make-signed-corpus.sh: $tool not found" >&2
		exit 1
	}
done
SELECTOR=s2026
SIGNERS="bank.example shop.example news.example attacker.example"
mkdir -p "$out/corpus" "$out/keys" "$out/run"
rm -f "$out"/corpus/*.eml
_pids=""
stop_signers() {
	local p
	for p in $_pids; do
		kill "$p" 2>/dev/null
	done
}
trap stop_signers EXIT

# genkey DOMAIN: a 2048-bit key under keys/DOMAIN; prints its key record
genkey() {
	mkdir -p "$out/keys/$1"
	opendkim-genkey -b 2048 -h sha256 -d "$1" -s "$SELECTOR" -D "$out/keys/$1"
	printf '%s._domainkey.%s.\tTXT\t(%s)\n' "$SELECTOR" "$1" \
		"$(tr -d '\n' <"$out/keys/$1/$SELECTOR.txt" | sed 's/^[^(]*(\(.*\)).*$/\1/')"
}

# start_signer DOMAIN: opendkim signing every message with DOMAIN's key on
# run/DOMAIN.sock
start_signer() {
	local conf=$out/run/$1.conf sock=$out/run/$1.sock i=0
	# a signing table that matches every author: d= is DOMAIN whatever the
	# From (the signed spoofs)
	echo "k $1:$SELECTOR:$out/keys/$1/$SELECTOR.private" >"$out/run/$1.keys"
	echo "* k" >"$out/run/$1.signers"
	printf '%s\n' "Mode s" "KeyTable file:$out/run/$1.keys" \
		"SigningTable refile:$out/run/$1.signers" \
		"Canonicalization relaxed/relaxed" "SignatureAlgorithm rsa-sha256" \
		"SignHeaders From,To,Subject,Date,Message-ID,MIME-Version,Content-Type,Content-Transfer-Encoding" \
		"Socket local:$sock" "Background no" "Syslog no" "UserID root" \
		"RequireSafeKeys no" >"$conf"
	rm -f "$sock"
	opendkim -f -x "$conf" >>"$out/run/opendkim.log" 2>&1 &
	_pids="$_pids $!"
	while [ ! -S "$sock" ]; do
		i=$((i + 1))
		[ "$i" -lt 100 ] || { echo "opendkim for $1 did not start" >&2; exit 1; }
		sleep 0.1
	done
}

{
	echo "; the signed corpus (tests/bench/make-signed-corpus.sh); its"
	echo "; sending MTA is 192.0.2.81"
	printf '%s\n' \
		'bank.example.		TXT	"v=spf1 ip4:192.0.2.81 -all"' \
		'_dmarc.bank.example.	TXT	"v=DMARC1; p=reject"' \
		'shop.example.		TXT	"v=spf1 ip4:192.0.2.81 -all"' \
		'_dmarc.shop.example.	TXT	"v=DMARC1; p=quarantine"' \
		'news.example.		TXT	"v=spf1 ip4:192.0.2.91 -all"' \
		'_dmarc.news.example.	TXT	"v=DMARC1; p=none"' \
		'lists.example.		TXT	"v=spf1 ip4:192.0.2.81 -all"' \
		'attacker.example.		TXT	"v=spf1 ip4:192.0.2.81 -all"' \
		'spoof.example.		A	192.0.2.66'
	for d in $SIGNERS; do
		genkey "$d"
	done
} >"$out/zone.extra.new" 2>"$out/run/genkey.log"
mv "$out/zone.extra.new" "$out/zone.extra"
for d in $SIGNERS; do
	start_signer "$d"
done

# body SEED BYTES: about BYTES of plain text, the same for the same SEED
body() {
	awk -v seed="$1" -v want="$2" 'BEGIN {
		srand(seed)
		n = split("the report for this quarter shows that our figures " \
			"are in line with what we planned and the team will " \
			"meet on monday to review orders invoices shipping " \
			"customers accounts payments and the new schedule", w, " ")
		while (size < want) {
			line = ""
			while (length(line) < 60)
				line = line (line == "" ? "" : " ") w[int(rand() * n) + 1]
			printf "%s\r\n", line
			size += length(line) + 2
			if (rand() < 0.12) { printf "\r\n"; size += 2 }
		}
	}'
}

# author FROM SUBJECT ID: the author's header fields
author() {
	printf '%s\r\n' \
		"Received: from mail.${1#*@} (mail.${1#*@} [192.0.2.81])" \
		"	by relay.${1#*@} with ESMTPS id $3; Sun, 22 Nov 2026 09:00:00 +0000" \
		"From: Sender <$1>" "To: Customer <you@recipient.test>" \
		"Subject: $2" "Date: Sun, 22 Nov 2026 09:00:00 +0000" \
		"Message-ID: <$3@${1#*@}>" "MIME-Version: 1.0" \
		"Content-Type: text/plain; charset=utf-8" \
		"Content-Transfer-Encoding: 8bit"
}

# sign DOMAIN FILE: FILE with DOMAIN's DKIM-Signature on top
sign() {
	local hdr
	hdr=$("$MILTC" -s "unix:$out/run/$1.sock" -c 127.0.0.1 \
		-f "<bounce@$1>" -r '<you@recipient.test>' "$2" |
		sed -n 's/^INSHEADER [0-9]* DKIM-Signature: //p')
	[ -n "$hdr" ] || {
		echo "opendkim did not sign $2 for $1 (see $out/run/opendkim.log)" >&2
		exit 1
	}
	printf 'DKIM-Signature: %s\r\n' "${hdr//\\n/$'\r\n'}"
	cat "$2"
}

# message I: the corpus's message number I (from 1), written to corpus/
message() {
	local i=$1 k=$(( ($1 - 1) % 20 + 1 )) id size tmp=$out/run/msg.tmp
	local kind from signer rpath subject f
	id=$(printf 'b%05d' "$i")
	size=$(( 1450 + (i * 5761) % 7350 ))
	case $k in
	1 | 6 | 12 | 18) kind=direct from=billing@bank.example signer=bank.example ;;
	2 | 9 | 14) kind=direct from=orders@shop.example signer=shop.example ;;
	4 | 10 | 16) kind=direct from=letter@news.example signer=news.example ;;
	5) kind=fwd-subject from=billing@bank.example signer=bank.example ;;
	11) kind=fwd-body from=orders@shop.example signer=shop.example ;;
	17) kind=fwd-both from=letter@news.example signer=news.example ;;
	8) kind=spoof-signed from=security@bank.example signer=attacker.example ;;
	20) kind=spoof-signed from=orders@shop.example signer=attacker.example ;;
	7 | 13 | 19) kind=spoof from=service@paypal.com signer= ;;
	*) kind=unsigned from=orders@shop.example signer= ;;
	esac
	subject="Your statement $id"
	{ author "$from" "$subject" "$id"; printf '\r\n'; body "$i" "$size"; } >"$tmp"
	case $kind in
	spoof*) rpath=alert@${signer:-spoof.example} ;;
	fwd*) rpath=team-bounces@lists.example ;;
	*) rpath=$from ;;
	esac
	f=$out/corpus/$(printf '%03d' "$i")-$kind.eml
	{
		printf 'Return-Path: <%s>\r\n' "$rpath"
		case $kind in
		fwd*)
			printf '%s\r\n' \
				"Received: from relay.lists.example (relay.lists.example [192.0.2.81])" \
				"	by mx.lists.example; Sun, 22 Nov 2026 09:00:05 +0000" \
				"List-Id: Team <team.lists.example>" "Sender: team-bounces@lists.example"
			;;
		esac
		if [ -n "$signer" ]; then sign "$signer" "$tmp"; else cat "$tmp"; fi
	} >"$f"
	# what the list changed after the author signed
	case $kind in fwd-subject | fwd-both)
		sed -i 's/^Subject: /Subject: [team] /' "$f" ;;
	esac
	case $kind in fwd-body | fwd-both)
		printf '%s\r\n' "-- " "team mailing list: https://lists.example/team" >>"$f" ;;
	esac
}

for i in $(seq 1 "$count"); do
	message "$i"
done
rm -f "$out/run/msg.tmp"
echo "$count messages in $out/corpus," \
	"$(grep -l '^DKIM-Signature:' "$out"/corpus/*.eml | wc -l) signed"
