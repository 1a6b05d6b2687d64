#!/bin/bash
# t-hostile.sh: hostile input through the running daemon, with miltc as
# the MTA: header fields of 64 KiB and thousands of fields, thousands of
# From addresses and Authentication-Results fields, NUL, control and
# 8-bit bytes, broken encoded words; duplicate, malformed and huge DMARC
# records from nsd (38 KB: TCP after a truncated reply); and from a
# hostile name server, answers that never come (UDP, or TCP after a
# truncated reply), are cut, carry the wrong id, are refused or garbage;
# control bytes, line breaks and absurd lengths in HELO, MAIL FROM, the
# client's name and the queue id.
# Each gets its exact answer, the daemon lives on, the fields we add hold
# no byte of the message we did not check, and it leaks nothing (the
# ASan build's LeakSanitizer reports at the daemon's exit). Root only.
set -eu

# shellcheck source=tests/lab/lab.sh
. "$(dirname "$0")/lab.sh"
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "tests dmarc-milter's own limits"
: "${MILTC:=$top_builddir/tests/tools/miltc}"
[ -x "$MILTC" ] || tap_skip_all "no miltc at $MILTC (make check builds it)"
command -v python3 >/dev/null || tap_skip_all "python3 not installed"

lab_init

# A 38 KB answer: one DMARC record and ten records of 3.6 KB (a UDP reply
# without EDNS holds 512 bytes: nsd sets TC, the milter asks over TCP),
# and one record over the parser's 4 KiB, which cannot be trusted.
python3 - "$LAB/run/extra.zone" <<'EOF'
import sys
s = '"' + "x" * 255 + '" '
with open(sys.argv[1], "w") as f:
    f.write("; t-hostile.sh: answers too big for UDP\n")
    f.write('_dmarc.huge.test.\tTXT\t"v=DMARC1; p=reject"\n')
    for i in range(10):
        f.write('_dmarc.huge.test.\tTXT\t"filler %d " %s\n' % (i, s * 14))
    f.write('_dmarc.toolong.test.\tTXT\t"v=DMARC1; p=reject; rua=mailto:" %s\n'
            % (s * 17))
EOF
LAB_ZONE_EXTRA=$LAB/run/extra.zone
lab_nsd_start

# The hostile name server on 127.0.0.2 (UDP and TCP), by the label under
# _dmarc.: silent never answers; tcpstall sets TC over UDP, then accepts
# over TCP and says nothing; cut cuts its answer inside the record;
# wrongid answers with another id; refused says REFUSED; garbage sends 3
# bytes; nul has a NUL in its record. Any other name: NXDOMAIN.
python3 - "$LAB/run/hostile.ready" <<'EOF' &
import socket, struct, sys, threading, time

def qname(pkt):
    i, labels = 12, []
    while i < len(pkt) and pkt[i]:
        labels.append(pkt[i + 1:i + 1 + pkt[i]].decode("ascii", "replace"))
        i += 1 + pkt[i]
    return ".".join(labels).lower(), i + 5

def reply(pkt, rcode=0, tc=False, answers=b"", an=0):
    _, end = qname(pkt)
    flags = 0x8400 | rcode | (0x0200 if tc else 0)
    return (pkt[:2] + struct.pack(">HHHHH", flags, 1, an, 0, 0) +
            pkt[12:end] + answers)

def txt(b):
    rd = bytes([len(b)]) + b
    return b"\xc0\x0c" + struct.pack(">HHIH", 16, 1, 300, len(rd)) + rd

def answer(pkt, tcp):
    name, _ = qname(pkt)
    labels = name.split(".")
    kind = labels[1] if len(labels) > 2 and labels[0] == "_dmarc" else ""
    if kind == "silent":
        return None
    if kind == "tcpstall":
        return None if tcp else reply(pkt, tc=True)
    if kind == "cut":
        return reply(pkt, answers=txt(b"v=DMARC1; p=reject"), an=1)[:-10]
    if kind == "wrongid":
        r = reply(pkt)
        return bytes([r[0] ^ 0xff]) + r[1:]
    if kind == "refused":
        return reply(pkt, rcode=5)
    if kind == "garbage":
        return b"\0\0\0"
    if kind == "nul":
        return reply(pkt, answers=txt(b"v=DMARC1; p=reject\0; p=none"), an=1)
    return reply(pkt, rcode=3)

def udp(s):
    while True:
        pkt, peer = s.recvfrom(4096)
        r = answer(pkt, False)
        if r is not None:
            s.sendto(r, peer)

held = []

def tcp_conn(c):
    try:
        while True:
            hdr = c.recv(2)
            if len(hdr) < 2:
                return
            n, pkt = struct.unpack(">H", hdr)[0], b""
            while len(pkt) < n:
                more = c.recv(n - len(pkt))
                if not more:
                    return
                pkt += more
            r = answer(pkt, True)
            if r is None:
                held.append(c)      # open, and silent for good
                return
            c.sendall(struct.pack(">H", len(r)) + r)
    except OSError:
        return

def tcp(s):
    while True:
        c, _ = s.accept()
        threading.Thread(target=tcp_conn, args=(c,), daemon=True).start()

u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
u.bind(("127.0.0.2", 53))
t = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
t.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
t.bind(("127.0.0.2", 53))
t.listen(64)
threading.Thread(target=udp, args=(u,), daemon=True).start()
threading.Thread(target=tcp, args=(t,), daemon=True).start()
open(sys.argv[1], "w").close()
time.sleep(600)     # bounded: the test is over long before
EOF
_lab_pids="$_lab_pids $!"
_lab_wait hostile 10 test -e "$LAB/run/hostile.ready" ||
	lab_die "the hostile name server did not start"

# The hostile messages, written as bytes.
python3 - "$LAB/msg" <<'EOF'
import os, sys
d = sys.argv[1]
def w(name, headers):
    with open(os.path.join(d, name + ".eml"), "wb") as f:
        f.write(b"".join(h + b"\r\n" for h in headers))
        f.write(b"\r\nhostile input\r\n")
base = [b"To: <you@recipient.test>", b"Date: Sun, 22 Nov 2026 09:00:00 +0000"]
spoof = b"From: PayPal <service@paypal.com>"
w("big_subject", [spoof, b"Subject: " + b"S" * 65536] + base)
w("big_folded", [spoof, b"Subject: x" +
                 b"".join(b"\r\n\t" + b"f" * 60 for _ in range(1100))] + base)
w("many_headers", [spoof] + [b"X-Filler-%d: %s" % (i, b"v" * 20)
                             for i in range(5000)] + base)
w("big_from_name", [b'From: "' + b"P" * 65536 + b'" <service@paypal.com>'] + base)
w("big_from_comment", [b"From: service@paypal.com (" + b"c" * 65536 + b")"] + base)
w("many_from_domains", [b"From: " + b", ".join(b"u%d@d%d.test" % (i, i)
                        for i in range(3000)) + b", service@paypal.com"] + base)
w("many_from_same", [b"From: " + b", ".join(b"u%d@paypal.com" % i
                                            for i in range(3000))] + base)
w("many_from_fields", [b"From: <u%d@nodmarc.test>" % i for i in range(20)] +
  [spoof] + base)
w("many_ar_own", [spoof] + [b"Authentication-Results: mx.test; dmarc=pass "
                            b"header.from=paypal.com"] * 3000 + base)
w("ar_hidden", [spoof] + [b"Authentication-Results: v%d.test; none" % i
                          for i in range(100)] +
  [b"Authentication-Results: mx.test; dmarc=pass header.from=paypal.com"] + base)
w("many_ar_other", [spoof] + [b"Authentication-Results: v%d.test; spf=pass "
                              b"smtp.mailfrom=paypal.com; dkim=pass "
                              b"header.d=paypal.com" % i
                              for i in range(3000)] + base)
w("ctrl_name", [b'From: "Pay\x01\x02\x1b[31mPal\x7f" <service@paypal.com>'] + base)
w("ctrl_domain", [b"From: <service@pay\x01pal.com>"] + base)
w("ctrl_cr", [b"From: <service@paypal.com>\rX-Injected: yes"] + base)
w("nul_domain", [b"From: <service@paypal.com\0@nodmarc.test>"] + base)
w("enc_bad_b64", [b"From: =?utf-8?B?####?= <service@paypal.com>"] + base)
w("enc_bad_charset", [b"From: =?x-none?Q?=FF=FE?= <service@paypal.com>"] + base)
w("enc_open", [b"From: =?utf-8?Q?PayPal <service@paypal.com>"] + base)
w("enc_in_addr", [b"From: <=?utf-8?B?c2VydmljZUBwYXlwYWwuY29t?=>"] + base)
w("raw_8bit_name", [b"From: \xff\xfe\xc3\xff <service@paypal.com>"] + base)
w("raw_8bit_domain", [b"From: <service@pay\xffpal.com>"] + base)
w("utf8_domain", [b"From: <service@p\xc3\xa4ypal.com>"] + base)
w("no_from", [b"Subject: no From"] + base)
w("empty_from", [b"From:"] + base)
w("group_only", [b"From: undisclosed:;"] + base)
w("from_beside_broken", [b"From: <service@paypal.com>", b"From: <x@y.test>>"] + base)
for dom in ("dupe", "badp", "nosep", "vlast", "mixed", "huge", "toolong",
            "silent", "tcpstall", "cut", "wrongid", "refused", "garbage", "nul"):
    w("dns_" + dom, [b"From: <someone@%s.test>" % dom.encode()] + base)
EOF

REJECT_PAYPAL='RESULT replycode 550 5.7.1 rejected by DMARC policy for paypal.com'
TOO_MANY='RESULT replycode 550 5.7.1 From field unusable: too many addresses'
# what we may write: nothing of the message but a checked domain
OURS='^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: mx\.test; dmarc=(pass|fail|none|temperror|permerror)( \(p=(none|quarantine|reject) dis=(none|quarantine|reject)\))? header\.from=[a-z0-9.-]+( \(no usable From field; the (MAIL FROM domain|HELO name) stands in\))?$|^(INSHEADER [0-9]+|ADDHEADER) Authentication-Results: mx\.test; spf=(pass|fail|softfail|neutral|none|temperror|permerror) smtp\.(mailfrom|helo)=[a-z0-9.-]+$'

# send NAME [MILTC-ARGS...]: NAME's message from the spoofer's address;
# miltc's lines in $LAB/out/NAME.out
send() {
	local name=$1
	shift
	"$MILTC" -s "unix:$LAB_SOCK" -t 20 -c 192.0.2.66 \
		-f '<bounce@nodmarc.test>' -q "Q$name" "$@" "$LAB/msg/$name.eml" \
		>"$LAB/out/$name.out" 2>&1 || true
}

# result NAME: NAME's RESULT line (or what miltc said instead)
result() {
	grep '^RESULT' "$LAB/out/$1.out" || tail -n 1 "$LAB/out/$1.out"
}

# check NAME EXPECTED DESCRIPTION [MILTC-ARGS...]: send, then assert the
# RESULT line and that the daemon is still there
check() {
	local name=$1 want=$2 what=$3
	shift 3
	send "$name" "$@"
	is "$(result "$name")" "$want" "$name: $what"
	if _lab_alive "$pid"; then tap_result 0 "$name: the daemon lives on"; else
		tap_result 1 "$name: the daemon lives on" "$(tail -n 5 "$LAB/log/milter.log")"; fi
}


# verdict NAME AR-RE DESCRIPTION [MILTC-ARGS...]: accepted with our header
# matching AR-RE
verdict() {
	check "$1" 'RESULT accept' "$3" "${@:4}"
	like "$(cat "$LAB/out/$1.out")" "^INSHEADER 0 Authentication-Results: mx\\.test; $2\$" \
		"$1: our header says $2"
}

lab_milter_start "RejectFailures true" "DNSTimeout 2"
pid=$_lab_milter_pid
fds_before=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)

# stands_in NAME DESCRIPTION: no From field gives a domain, so the MAIL
# FROM domain (nodmarc.test: no record) stands in as the author domain,
# and our header and the log say so
stands_in() {
	verdict "$1" 'dmarc=none \(p=none dis=none\) header\.from=nodmarc\.test \(no usable From field; the MAIL FROM domain stands in\)' "$2"
	like "$(grep "Q$1:" "$LAB/log/milter.log")" 'author=stand-in:mailfrom' \
		"$1: the log says the MAIL FROM domain stood in"
}

# --- big and many ------------------------------------------------------------
check big_subject "$REJECT_PAYPAL" "a 64 KiB Subject: the spoof is still rejected"
check big_folded "$REJECT_PAYPAL" "a 66 KiB Subject folded 1,100 times"
check many_headers "$REJECT_PAYPAL" "5,000 header fields"
check big_from_name "$REJECT_PAYPAL" "a 64 KiB display name in From"
check big_from_comment "$REJECT_PAYPAL" "a 64 KiB comment in From"
check many_from_domains "$TOO_MANY" "3,001 From addresses in 3,001 domains: 550 with the reason"
check many_from_same "$TOO_MANY" "3,000 From addresses of one domain: 550 with the reason"
check many_from_fields "$TOO_MANY" "21 From fields, the spoof in the last: 550, not hidden"
check many_ar_own "$REJECT_PAYPAL" "3,000 forged A-R fields with our id saying dmarc=pass"
is "$(grep -c '^CHGHEADER [0-9]* Authentication-Results:$' "$LAB/out/many_ar_own.out")" 3000 \
	"many_ar_own: every one of the 3,000 forgeries is deleted"
like "$(grep 'Qmany_ar_own:' "$LAB/log/milter.log")" 'removing 2936 more Authentication-Results fields that claim our id mx\.test' \
	"many_ar_own: those beyond the 64 kept are logged in one line"
check ar_hidden "$REJECT_PAYPAL" "a forgery with our id below 100 other A-R fields"
is "$(grep '^CHGHEADER' "$LAB/out/ar_hidden.out")" 'CHGHEADER 101 Authentication-Results:' \
	"ar_hidden: that one forgery, the 101st field, is deleted"
check many_ar_other "$REJECT_PAYPAL" "3,000 untrusted A-R fields claiming spf and dkim pass"

# --- bytes ---------------------------------------------------------------------
check ctrl_name "$REJECT_PAYPAL" "control bytes and ESC in the display name"
stands_in ctrl_domain "a control byte in the domain: no usable From"
stands_in ctrl_cr "a bare CR and a second field in the From value"
# The milter protocol carries C strings: the value ends at the NUL.
stands_in nul_domain "a NUL inside the address"
check enc_bad_b64 "$REJECT_PAYPAL" "an encoded word that is not base64"
check enc_bad_charset "$REJECT_PAYPAL" "an encoded word in an unknown charset"
check enc_open "$REJECT_PAYPAL" "an encoded word that never ends"
stands_in enc_in_addr "an encoded word as the address"
check raw_8bit_name "$REJECT_PAYPAL" "invalid UTF-8 in the display name"
stands_in raw_8bit_domain "invalid UTF-8 in the domain"
verdict utf8_domain 'dmarc=none \(p=none dis=none\) header\.from=xn--pypal-gra\.com' \
	"a UTF-8 domain is checked as its A-label"
stands_in no_from "no From field"
stands_in empty_from "an empty From field"
stands_in group_only "a From field with an empty group"
check from_beside_broken "$REJECT_PAYPAL" \
	"a broken second From field does not hide paypal.com's in the first"

# --- records from nsd ------------------------------------------------------------
verdict dns_dupe 'dmarc=none \(p=none dis=none\) header\.from=dupe\.test' \
	"two DMARC records: no policy"
verdict dns_badp 'dmarc=none \(p=none dis=none\) header\.from=badp\.test' \
	"p=bogus without rua: no DMARC processing"
verdict dns_nosep 'dmarc=none \(p=none dis=none\) header\.from=nosep\.test' \
	"v=DMARC1 without a separator: not a DMARC record"
verdict dns_vlast 'dmarc=none \(p=none dis=none\) header\.from=vlast\.test' \
	"v= not first: not a DMARC record"
check dns_mixed 'RESULT replycode 550 5.7.1 rejected by DMARC policy for mixed.test' \
	"a DMARC record beside an SPF record: the DMARC record applies"
check dns_huge 'RESULT replycode 550 5.7.1 rejected by DMARC policy for huge.test' \
	"a 38 KB answer (truncated over UDP, then TCP): its record applies"
verdict dns_toolong 'dmarc=none \(p=none dis=none\) header\.from=toolong\.test' \
	"a record over 4 KiB is not trusted"

# --- a hostile name server ----------------------------------------------------------
lab_milter_start "RejectFailures true" "DNSTimeout 2" "Nameservers 127.0.0.2"
pid=$_lab_milter_pid
fds_before=$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)
verdict dns_silent 'dmarc=temperror header\.from=silent\.test' \
	"no answer at all: temperror"
verdict dns_tcpstall 'dmarc=temperror header\.from=tcpstall\.test' \
	"truncated, then TCP that never answers: temperror, no hang"
verdict dns_cut 'dmarc=temperror header\.from=cut\.test' \
	"an answer cut inside its record: temperror"
verdict dns_wrongid 'dmarc=temperror header\.from=wrongid\.test' \
	"an answer with the wrong id: ignored, temperror"
verdict dns_refused 'dmarc=temperror header\.from=refused\.test' \
	"REFUSED: temperror"
verdict dns_garbage 'dmarc=temperror header\.from=garbage\.test' \
	"3 bytes of garbage: temperror"
verdict dns_nul 'dmarc=none \(p=none dis=none\) header\.from=nul\.test' \
	"a NUL inside the record: no usable p, no DMARC processing"
# Twenty messages at once, each held by a TCP answer that never comes.
"$MILTC" -s "unix:$LAB_SOCK" -t 20 -c 192.0.2.66 -f '<bounce@nodmarc.test>' \
	-L 20 -C 20 "$LAB/msg/dns_tcpstall.eml" >"$LAB/out/stall20.load" 2>&1 || true
like "$(cat "$LAB/out/stall20.load")" '^LOAD messages=20 .* accept=20 .* errors=0$' \
	"20 connections held by silent TCP at once: all 20 answered"
_lab_wait fds 10 sh -c "[ \$(find /proc/$pid/fd -mindepth 1 -maxdepth 1 | wc -l) -le $fds_before ]" || true
is "$(find "/proc/$pid/fd" -mindepth 1 -maxdepth 1 | wc -l)" "$fds_before" \
	"no descriptor left open by the hostile server's connections"

lab_milter_start "RejectFailures true" "DNSTimeout 2" "Nameservers 127.0.0.2" \
	"TempErrorAction tempfail"
pid=$_lab_milter_pid
check dns_silent 'RESULT replycode 451 4.7.1 DMARC policy for silent.test temporarily unavailable, try again later' \
	"TempErrorAction tempfail: a 451 with the reason"

# --- the envelope: HELO, MAIL FROM, host name, queue id ---------------------------------
lab_milter_start "RejectFailures true" "SPFSelfValidate true" "DNSTimeout 2"
pid=$_lab_milter_pid
cp "$LAB/msg/dns_dupe.eml" "$LAB/msg/env.eml"
sed -i 's/dupe\.test/nodmarc.test/' "$LAB/msg/env.eml"
# envelope NAME DESCRIPTION MILTC-ARGS...: env.eml with those envelope values
envelope() {
	local name=$1 what=$2
	shift 2
	cp "$LAB/msg/env.eml" "$LAB/msg/$name.eml"
	verdict "$name" 'dmarc=none \(p=none dis=none\) header\.from=nodmarc\.test' "$what" "$@"
}
envelope env_ctrl_helo "a control byte in HELO, null sender" -H $'bad\x01helo.test' -f '<>'
envelope env_crlf_helo "CR LF and a field in HELO" -H $'x\r\nX-Injected: yes' -f '<>'
envelope env_semi_helo "a HELO that reads like an A-R result" -H 'nodmarc.test; dmarc=pass' -f '<>'
envelope env_ctrl_sender "a control byte in the MAIL FROM domain" -f $'<a@nodm\x01arc.test>'
envelope env_long_local "a 3,000-byte local part" -f "<$(printf 'a%.0s' $(seq 3000))@nodmarc.test>"
envelope env_long_domain "a 300-byte label" -f "<a@$(printf 'a%.0s' $(seq 300)).test>"
envelope env_ctrl_host "a control byte in the client's host name" -n $'host\x01name'
envelope env_ctrl_qid "a queue id with a control byte and a line break" -q $'Q\x01\nX: y'
unlike "$(lab_milter_log | tr -d '\n' | LC_ALL=C tr -d '\t -~')" . \
	"the milter log holds no control or 8-bit byte"

# --- what we wrote ----------------------------------------------------------------------
ours=$(cat "$LAB"/out/*.out | grep -E '^(INSHEADER|ADDHEADER)' || true)
[ -n "$ours" ] || ours="(no header at all)"
unlike "$ours" '\\x|\\r|\\n' "no control byte in any field we added"
unlike "$(printf '%s\n' "$ours" | grep -Ev -- "$OURS")" . \
	"every field we added is our checked form (id, result, policy, domain)"

# --- a clean exit: LeakSanitizer reports here in the ASan build --------------------------
kill -TERM "$pid"
st=0; wait "$pid" || st=$?
_lab_milter_pid=
is "$st" 0 "the daemon exits 0 after all of it"
unlike "$(lab_milter_log)" 'Sanitizer|runtime error|Segmentation|double free|corrupted' \
	"the milter log shows no sanitizer report (leaks included)"

tap_done
