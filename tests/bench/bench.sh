#!/bin/bash
# bench.sh: throughput and memory of dmarc-milter beside OpenDMARC and a
# do-nothing libmilter filter, measured side by side in one run (the
# machines are small and noisy, so only the ratios mean something).
#
# Runs as root in the lab namespace (nsd serves the test zones); the load
# comes from tests/tools/miltc's load mode over the milter socket.
#   usage: tests/bench/bench.sh [MESSAGES] [CONNECTIONS]
# Environment: top_builddir (default: the source tree), OPENDMARC (default
# /usr/sbin/opendmarc; skipped when missing).
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lab/lab.sh"
lab_enter "$@"

messages=${1:-20000}
conns=${2:-8}
miltc=$top_builddir/tests/tools/miltc
null=$top_builddir/tests/bench/null_filter
opendmarc=${OPENDMARC:-/usr/sbin/opendmarc}

lab_init
lab_nsd_start
cat >"$LAB/msg/bench.eml" <<'EOM'
From: PayPal <service@paypal.com>
To: you@recipient.test
Date: Sun, 22 Nov 2026 09:00:00 +0000
Subject: benchmark
Message-ID: <bench@paypal.com>

A short body.
EOM

# run NAME PID: load the socket, print one result line.
run() {
	local name=$1 pid=$2 out rate rss
	out=$("$miltc" -s "unix:$LAB_SOCK" -c 192.0.2.66 \
		-f '<service@paypal.com>' -L "$messages" -C "$conns" \
		"$LAB/msg/bench.eml" 2>&1 | grep '^LOAD')
	rate=$(printf '%s\n' "$out" | sed -n 's/.* rate=\([0-9.]*\).*/\1/p')
	rss=$(awk '/^VmHWM/ {print $2}' "/proc/$pid/status")
	printf '%-12s rate=%-10s peak_rss_kb=%-8s %s\n' "$name" "$rate" "$rss" "$out"
	eval "rate_$name=\$rate"
}

milter_conf="SPFSelfValidate true
RejectFailures true"

lab_milter_start "SPFSelfValidate true" "RejectFailures true"
run dmarc_milter "$_lab_milter_pid"
lab_milter_stop

rm -f "$LAB_SOCK"
"$null" "unix:$LAB_SOCK" >"$LAB/log/null.log" 2>&1 &
npid=$!
while [ ! -S "$LAB_SOCK" ]; do sleep 0.1; done
run null_filter "$npid"
kill "$npid"; wait "$npid" 2>/dev/null

if [ -x "$opendmarc" ]; then
	DM_MILTER=$opendmarc lab_milter_start "SPFSelfValidate true" "RejectFailures true"
	run opendmarc "$_lab_milter_pid"
	DM_MILTER=$opendmarc lab_milter_stop
fi
unset milter_conf

echo
echo "messages=$messages connections=$conns (side by side, one run)"
awk -v d="${rate_dmarc_milter:-0}" -v n="${rate_null_filter:-0}" \
    -v o="${rate_opendmarc:-0}" 'BEGIN {
	if (n > 0) printf "dmarc-milter / null filter throughput: %.2f\n", d / n
	if (o > 0) printf "dmarc-milter / OpenDMARC throughput:   %.2f\n", d / o
}'
_lab_planned=1
