#!/bin/bash
# bench.sh: speed and memory of dmarc-milter beside Debian's OpenDMARC and a
# do-nothing libmilter filter, measured one after the other in one run, on
# the same corpus (tests/bench/corpus/: pass, reject, no record, subdomain,
# p=none) and the same DNS (the lab's nsd). The machines are small and
# noisy, so only the ratios inside one run mean something.
#
# Runs as root in the lab namespace; the load comes from tests/tools/miltc's
# load mode over the milter socket. dmarc-milter runs with the Prometheus
# endpoint and, when snmpd is installed, the AgentX subagent attached to a
# private snmpd, so their cost is in its figures.
#   usage: tests/bench/bench.sh [MESSAGES] [CONNECTIONS] [PER_CONNECTION]
# For each filter: a warm-up pass (fills the filter's DNS cache), the
# throughput run (MESSAGES over CONNECTIONS, PER_CONNECTION messages on
# each), then a latency run (2,000 messages, one connection at a time, warm
# cache). CPU is the filter process's utime+stime from /proc around the
# throughput run; peak RSS is VmHWM at the end.
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
per_conn=${3:-1}
lat_messages=2000
miltc=$top_builddir/tests/tools/miltc
null=$top_builddir/tests/bench/null_filter
opendmarc=${OPENDMARC:-/usr/sbin/opendmarc}
corpus=$here/corpus
hz=$(getconf CLK_TCK)
# The corpus's senders pass SPF for example.org only.
client=192.0.2.50

lab_init
lab_nsd_start

# cpu_ticks PID: utime+stime; the fields after the command name, which may
# hold spaces, are counted from its closing parenthesis.
cpu_ticks() {
	sed 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# field LINE KEY: KEY=value from a LOAD line
field() {
	printf '%s\n' "$1" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p"
}

# load N C R: one miltc load run; prints its LOAD line
load() {
	"$miltc" -s "unix:$LAB_SOCK" -c "$client" -L "$1" -C "$2" -R "$3" \
		"$corpus" 2>"$LAB/log/miltc.log" | grep '^LOAD'
}

# run NAME PID: warm-up, throughput and latency runs against one filter
run() {
	local name=$1 pid=$2 out lat c0 c1 cpu rss
	load 500 "$conns" "$per_conn" >/dev/null
	c0=$(cpu_ticks "$pid")
	out=$(load "$messages" "$conns" "$per_conn")
	c1=$(cpu_ticks "$pid")
	lat=$(load "$lat_messages" 1 "$per_conn")
	rss=$(awk '/^VmHWM/ { print $2 }' "/proc/$pid/status")
	cpu=$(awk -v t=$((c1 - c0)) -v hz="$hz" -v n="$messages" \
		'BEGIN { printf "%.3f", t / hz / n * 1000 }')
	echo "$name $(field "$out" rate) $(field "$out" p50_ms)" \
		"$(field "$out" p99_ms) $(field "$lat" p50_ms)" \
		"$(field "$lat" p99_ms) $cpu $rss" >>"$LAB/out/figures"
	echo "$name: $out"
	echo "$name (latency run): $lat"
}

common=("SPFSelfValidate true" "RejectFailures true")
mine=("MetricsListen 127.0.0.1:9489")
if command -v snmpd >/dev/null 2>&1; then
	lab_snmpd_start
	mine+=("AgentX true" "AgentXSocket $LAB/snmp/agentx.sock")
else
	echo "snmpd not installed: dmarc-milter runs without AgentX"
fi

lab_milter_start "${common[@]}" "${mine[@]}"
run dmarc-milter "$_lab_milter_pid"
grep -q 'dmarc_milter_dispositions_total' \
	<(curl -s http://127.0.0.1:9489/metrics 2>/dev/null) ||
	echo "warning: the metrics endpoint did not answer"
if [ -n "${_lab_snmpd_pid:-}" ]; then
	echo "AgentX: $(snmpwalk -v2c -c public -On "$LAB_SNMP_AGENT" \
		.1.3.6.1.4.1.8072.9999.9999.7489 2>/dev/null | wc -l) objects under the MIB"
fi
lab_milter_stop

rm -f "$LAB_SOCK"
"$null" "unix:$LAB_SOCK" >"$LAB/log/null.log" 2>&1 &
npid=$!
_lab_wait null_filter 10 test -S "$LAB_SOCK" || lab_die "null_filter did not start"
run null-filter "$npid"
kill "$npid"
wait "$npid" 2>/dev/null

if [ -x "$opendmarc" ]; then
	DM_MILTER=$opendmarc lab_milter_start "${common[@]}"
	run opendmarc "$_lab_milter_pid"
	DM_MILTER=$opendmarc lab_milter_stop
else
	echo "no $opendmarc: OpenDMARC skipped"
fi

echo
echo "messages=$messages connections=$conns per_connection=$per_conn" \
	"corpus=$(ls "$corpus" | wc -l) files; latency run: $lat_messages" \
	"messages over one connection"
awk '
	{ rate[$1] = $2; cpu[$1] = $7; row[NR] = $0 }
	END {
		printf "%-13s %9s %8s %8s %9s %9s %9s %8s\n", "filter", "msg/s",
			"p50_ms", "p99_ms", "warm_p50", "warm_p99", "cpu_s/1k", "rss_kb"
		for (i = 1; i <= NR; i++) {
			split(row[i], f, " ")
			printf "%-13s %9s %8s %8s %9s %9s %9s %8s\n", f[1], f[2], f[3],
				f[4], f[5], f[6], f[7], f[8]
		}
		d = "dmarc-milter"
		if (cpu["null-filter"] > 0)
			printf "dmarc-milter / null filter: CPU %.2fx, rate %.2fx\n",
				cpu[d] / cpu["null-filter"], rate[d] / rate["null-filter"]
		if (cpu["opendmarc"] > 0)
			printf "dmarc-milter / OpenDMARC:   CPU %.2fx, rate %.2fx\n",
				cpu[d] / cpu["opendmarc"], rate[d] / rate["opendmarc"]
	}' "$LAB/out/figures"
_lab_planned=1
