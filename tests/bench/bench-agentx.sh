#!/bin/bash
# bench-agentx.sh: how long snmpd takes to walk dmarcDomainTable with
# ROWS rows served by dmarc-milter's AgentX subagent, and where the CPU
# goes (snmpd, the milter, the SNMP client) during the walk.
#
# Runs as root in the lab namespace: a private snmpd, the milter with its
# counter store restored from a generated state file.
#   usage: tests/bench/bench-agentx.sh [ROWS] [REPETITIONS]
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lab/lab.sh"
lab_enter "$@"

rows=${1:-10000}
reps=${2:-50}
ROOT=.1.3.6.1.4.1.8072.9999.9999.7489

lab_init
STATE=$LAB/run/metrics.state
lab_nsd_start
lab_snmpd_start

CONF=("MetricsListen 127.0.0.1:9489" "MetricsStateFile $STATE"
	"MetricsMaxDomains $((rows > 10000 ? rows : 10000))" "AgentX true"
	"AgentXSocket $LAB/snmp/agentx.sock")
# The milter writes a state file with no rows at its stop; ROWS rows are
# added to it (the format of metrics/state_file.c) and restored at start.
lab_milter_start "${CONF[@]}"
lab_milter_stop
python3 - "$STATE" "$rows" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(path).read().split("\n")
         if l and not l.startswith(("end ", "row "))]
for i in range(1, n + 1):
    lines.append("row %d d%06d.bench.test reject %d 1 0 0 0 0 0 %d" % (i, i, i, i + 1))
h = 0xcbf29ce484222325
for l in lines:
    for c in (l + "\n").encode():
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(path, "w").write("\n".join(lines) + "\nend %d %016x\n" % (n, h))
PY
lab_milter_start "${CONF[@]}"
for _ in $(seq 50); do
	snmpget -v2c -c public -t 1 -r 0 "$LAB_SNMP_AGENT" "$ROOT.1.1.1.2.1" 2>/dev/null |
		grep -q STRING && break
	sleep 0.2
done

# ticks PID: utime + stime of a process, in clock ticks
ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat"
}
hz=$(getconf CLK_TCK)

# walk NAME OID: one timed snmpbulkwalk, CPU per process
walk() {
	local name=$1 oid=$2 s0 m0 s1 m1 t0 t1 c0 c1 n
	s0=$(ticks "$_lab_snmpd_pid"); m0=$(ticks "$_lab_milter_pid")
	c0=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	t0=$(date +%s%N)
	n=$(snmpbulkwalk -v2c -c public -On -Cr"$reps" -t 10 -r 0 \
		"$LAB_SNMP_AGENT" "$oid" 2>&1 | grep -c "^$ROOT" || true)
	t1=$(date +%s%N)
	c1=$(awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat)
	s1=$(ticks "$_lab_snmpd_pid"); m1=$(ticks "$_lab_milter_pid")
	awk -v name="$name" -v n="$n" -v ms=$(((t1 - t0) / 1000000)) \
	    -v s=$((s1 - s0)) -v m=$((m1 - m0)) -v all=$((c1 - c0)) -v hz="$hz" 'BEGIN {
		printf "%-8s values=%-6d wall=%6d ms  us/value=%6.1f  cpu: snmpd %5.2f s, milter %5.2f s, machine %5.2f s\n",
			name, n, ms, n ? ms * 1000 / n : 0, s / hz, m / hz, all / hz
	}'
}

echo "rows=$rows snmpbulkwalk -Cr$reps"
walk column "$ROOT.1.1.1.2"
walk table "$ROOT.1.1"
walk column "$ROOT.1.1.1.2"
walk table "$ROOT.1.1"
# BENCH_PERF=1: where the milter and snmpd spend a column walk (perf).
if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null 2>&1; then
	for who in milter snmpd; do
		pid=$_lab_milter_pid
		[ "$who" = snmpd ] && pid=$_lab_snmpd_pid
		perf record -q -g -p "$pid" -o "$LAB/out/$who.perf" 2>/dev/null &
		perf_pid=$!
		sleep 0.5
		walk "$who" "$ROOT.1.1.1.2"
		kill -INT "$perf_pid"; wait "$perf_pid" 2>/dev/null
		echo "--- perf: $who"
		perf report -q -i "$LAB/out/$who.perf" --no-children --stdio \
			--sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]' | head -n 25
	done
fi
_lab_planned=1
