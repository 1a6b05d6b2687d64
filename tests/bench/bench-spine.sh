#!/bin/bash
# bench-spine.sh: Cacti's real poller, spine, against dmarc-milter's AgentX
# subagent with ROWS domains, each graphed by the shipped data query.
#
# Runs as root in the lab namespace (tests/lab/lab.sh): a private snmpd,
# the milter as its subagent with ROWS rows restored from a generated
# state file (as bench-agentx.sh), a private MariaDB and Debian's Cacti
# set up as tests/cacti/t-cacti.sh does, plus Debian's cacti-spine. Then:
#
#   - the templates imported, the device added (template "DMARC milter",
#     SNMP v2c), its data query run (timed: it walks the table);
#   - a graph per row with Cacti's add_graphs.php, all rows in one call
#     (--snmp-value-regex), or BENCH_GRAPH_JOBS calls side by side, each
#     taking the indexes that end in its digits (timed);
#   - Cacti set to spine (poller_type 2), then for each spine setting of
#     SPINE_RUNS, two or more poller.php --force runs: the poll time that
#     Cacti logs (SYSTEM STATS), spine's own time and CPU (a wrapper in
#     its place times it), the GETs and OIDs snmpd received (its
#     snmpInGetRequests, snmpInTotalReqVars), the CPU of snmpd, the milter
#     and MariaDB; poller_output empty afterwards, every RRD updated with
#     the counters the subagent serves (rrdtool lastupdate), a stored rate
#     in every RRD after the second poll (rrdtool fetch), and cacti.log
#     searched for timeouts and errors. The very first poll also creates
#     the RRD files (650 kB each with Cacti's default profile: 6.5 GB for
#     10,000 rows under /tmp): it is reported apart;
#   - snmpbulkwalk of one column (dmarcDomainName, then dmarcDomainReject)
#     over the ROWS rows, timed.
#
# It takes about 20 minutes for 10,000 rows on 2 cores, most of it in
# add_graphs.php (MariaDB-bound).
#
# usage: tests/bench/bench-spine.sh [ROWS]       (default 10000)
# Environment:
#   SPINE_RUNS        spine settings to poll with, each THREADS/DEVICE
#                     THREADS/MAX OIDS PER GET (default "4/4/10 4/4/60":
#                     Cacti's default of 10 OIDs per get, and the most)
#   BENCH_POLLS       poller runs per setting (default 2)
#   BENCH_GRAPH_JOBS  add_graphs.php processes side by side (default 2)
#   BENCH_STEP        the RRD step of the bench's data sources (default
#                     30 s, so two polls a minute apart store a rate; the
#                     work of a poll does not depend on it)
#   DEVICE_TIMEOUT    the device's SNMP timeout in ms (default 500,
#                     Cacti's)
#   BENCH_PERF=1      two more polls: one under perf (the milter's and
#                     snmpd's CPU by symbol), one under strace -c (the
#                     milter's system calls)
#   BENCH_HOLD=1      at the end, keep the lab running until $LAB/hold is
#                     removed (to profile by hand through nsenter)
#   LAB_KEEP=1        keep the lab directory (databases, RRDs, logs)
# Exit status 1 when a check fails (a data source not updated, a timeout
# or error in cacti.log); the goals (poll < 30 s, walk < 1 s) are
# reported, not enforced: the machine's load decides them too.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lab/lab.sh"
CACTI=/usr/share/cacti
SPINE=/usr/sbin/spine
for f in "$CACTI/cli/add_graphs.php" "$CACTI/site/poller.php" \
	"$CACTI/conf_templates/cacti.sql" /etc/cacti/debian.php "$SPINE"; do
	[ -f "$f" ] || {
		echo "bench-spine.sh: no $f (scripts/install-deps.sh installs cacti and cacti-spine)" >&2
		exit 1
	}
done
lab_enter "$@"
# lab_enter skips (TAP) rather than fail: a bench has no plan to print
_lab_planned=1

rows=${1:-10000}
RUNS=${SPINE_RUNS:-4/4/10 4/4/60}
POLLS=${BENCH_POLLS:-2}
JOBS=${BENCH_GRAPH_JOBS:-2}
STEP=${BENCH_STEP:-30}
TIMEOUT=${DEVICE_TIMEOUT:-500}
ROOT=.1.3.6.1.4.1.8072.9999.9999.7489
TPL=$top_srcdir/cacti-templates
FAILED=0

say() {
	printf '%s\n' "$*"
}

check() {
	if [ "$1" = 0 ]; then
		say "ok: $2"
	else
		say "FAILED: $2"
		FAILED=1
	fi
}

now_ms() {
	echo $(($(date +%s%N) / 1000000))
}

secs() {
	awk -v ms="$1" 'BEGIN { printf "%.1f", ms / 1000 }'
}

load() {
	cut -d' ' -f1-3 /proc/loadavg
}

lab_init
lab_nsd_start
lab_snmpd_start
C=$LAB/cacti
mkdir -p "$C"

# --- the subagent with ROWS rows ---------------------------------------------

STATE=$LAB/run/metrics.state
CONF=("MetricsListen 127.0.0.1:9489" "MetricsStateFile $STATE"
	"MetricsMaxDomains $((rows > 10000 ? rows : 10000))" "AgentX true"
	"AgentXSocket $LAB/snmp/agentx.sock")
# The milter writes a state file with no rows at its stop; ROWS rows are
# added to it (the format of metrics/state_file.c) and restored at start.
# Row I: pass I, fail 3, none I % 5, temperror 0, permerror 1;
# dispositions none 0, quarantine 1, reject 2.
lab_milter_start "${CONF[@]}"
lab_milter_stop
python3 - "$STATE" "$rows" <<'PY'
import sys
path, n = sys.argv[1], int(sys.argv[2])
lines = [l for l in open(path).read().split("\n")
         if l and not l.startswith(("end ", "row "))]
for i in range(1, n + 1):
    lines.append("row %d d%06d.bench.test reject %d 3 %d 0 1 0 1 2"
                 % (i, i, i, i % 5))
h = 0xcbf29ce484222325
for l in lines:
    for c in (l + "\n").encode():
        h = ((h ^ c) * 0x100000001b3) & 0xffffffffffffffff
open(path, "w").write("\n".join(lines) + "\nend %d %016x\n" % (n, h))
PY
lab_milter_start "${CONF[@]}"
_lab_wait subagent 15 sh -c "snmpget -v2c -c public -t 1 -r 0 $LAB_SNMP_AGENT $ROOT.1.1.1.2.$rows | grep -q STRING" ||
	lab_die "the subagent does not serve row $rows: $(tail -n 5 "$LAB/log/milter.log")"

# --- a private MariaDB and Cacti (as tests/cacti/t-cacti.sh) ------------------

T0=$(now_ms)
mkdir -p /run/mysqld
mount -t tmpfs -o mode=0755 tmpfs /run/mysqld
chown mysql:mysql /run/mysqld
mkdir -p "$C/db" "$C/rra" "$C/log" "$C/queries"
chown mysql:mysql "$C/db"
mariadb-install-db --no-defaults --user=mysql --datadir="$C/db" \
	--auth-root-authentication-method=socket --skip-test-db \
	>"$LAB/log/mariadb-install.log" 2>&1 ||
	lab_die "mariadb-install-db failed (see $LAB/log/mariadb-install.log)"
# Sized as Cacti's own recommendations say for a large poller: the
# MEMORY table poller_output holds every value of a poll (70,000 of
# 2 kB rows at 10,000 domains), spine holds a connection per thread.
mariadbd --no-defaults --user=mysql --datadir="$C/db" --skip-networking \
	--socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mariadbd.pid \
	--log-error=/run/mysqld/mariadbd.err \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
	--innodb-flush-log-at-trx-commit=2 --innodb-doublewrite=0 \
	--innodb-buffer-pool-size=1G --max-heap-table-size=512M \
	--tmp-table-size=256M --max-connections=200 \
	>"$LAB/log/mariadbd.log" 2>&1 &
_lab_pids="$_lab_pids $!"
_lab_wait mariadbd 60 mysql -e 'SELECT 1' ||
	lab_die "mariadbd does not answer: $(cat /run/mysqld/mariadbd.err 2>/dev/null)"

pw=dmbench$RANDOM$RANDOM
ver=$(dpkg-query -f '${Version}' -W cacti 2>/dev/null | sed 's/+ds[0-9]*-.*//; s/~.*//')
mysql -e "CREATE DATABASE cacti CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	CREATE USER 'cacti'@'localhost' IDENTIFIED BY '$pw';
	GRANT ALL ON cacti.* TO 'cacti'@'localhost';
	GRANT SELECT ON mysql.time_zone_name TO 'cacti'@'localhost';"
mysql cacti <"$CACTI/conf_templates/cacti.sql" >"$LAB/log/cacti-sql.log" 2>&1 ||
	lab_die "loading cacti.sql failed: $(tail -n 3 "$LAB/log/cacti-sql.log")"
mysql cacti -e "UPDATE version SET cacti='${ver:-1.2.24}';
	REPLACE INTO settings (name, value) VALUES ('rrdtool_version', 'rrd-1.7.x'),
	('poller_enabled', 'on'), ('poller_type', '1'), ('poller_interval', '300'),
	('cron_interval', '300'), ('log_verbosity', '2'), ('spine_log_level', '1'),
	('path_spine', '$C/spine'), ('path_spine_config', '/etc/cacti/spine.conf');
	UPDATE automation_networks SET enabled = '';"

sed -e "s/^\(\$database_password *= *\).*/\1'$pw';/" \
	-e "s/^\(\$database_username *= *\).*/\1'cacti';/" \
	-e "s/^\(\$database_default *= *\).*/\1'cacti';/" \
	/etc/cacti/debian.php >"$C/debian.php"
chmod 644 "$C/debian.php"
mount --bind "$C/debian.php" /etc/cacti/debian.php
printf '%s\n' "DB_Host localhost" "DB_Database cacti" "DB_User cacti" \
	"DB_Pass $pw" "DB_Port 3306" >"$C/spine.conf"
[ -f /etc/cacti/spine.conf ] || : >>/etc/cacti/spine.conf
mount --bind "$C/spine.conf" /etc/cacti/spine.conf
# poller.php runs this in spine's place: spine's own time and CPU without
# the per-value log lines that spine writes to say it (log level MEDIUM)
cat >"$C/spine" <<EOF
#!/bin/bash
s=\$(date +%s%N)
$SPINE "\$@"
rc=\$?
echo "\$(((\$(date +%s%N) - s) / 1000000)) \$(cut -d' ' -f16-17 /proc/\$\$/stat) \$*" >>"$C/spine.times"
exit \$rc
EOF
chmod 755 "$C/spine"
mount --bind "$C/rra" /var/lib/cacti/rra
mount --bind "$C/log" /var/log/cacti
cp -a "$CACTI/resource/snmp_queries/." "$C/queries/"
rm -f "$C/queries/dmarc_milter_domains.xml"
mount --bind "$C/queries" "$CACTI/resource/snmp_queries"

sql() {
	mysql -N -B cacti -e "$1"
}

cacti_cli() {
	php -q "$CACTI/cli/$1" "${@:2}" 2>&1 | grep -v 'Deprecated:' || true
}

sh "$TPL/install-cacti-templates.sh" >"$LAB/out/install" 2>&1 ||
	lab_die "install-cacti-templates.sh failed: $(tail -n 5 "$LAB/out/install")"
T_SETUP=$(($(now_ms) - T0))
HT=$(sql "SELECT id FROM host_template WHERE name = 'DMARC milter'")
DQ=$(sql "SELECT id FROM snmp_query WHERE name = 'DMARC milter - Domains'")
DQG=$(sql "SELECT id FROM snmp_query_graph WHERE snmp_query_id = '$DQ'")
GT=$(sql "SELECT id FROM graph_templates WHERE name = 'DMARC milter - Domain'")
say "rows=$rows  load $(load)  setup (MariaDB, Cacti, templates) $(secs "$T_SETUP") s"

# --- the device and its data query -------------------------------------------

T0=$(now_ms)
out=$(cacti_cli add_device.php --description=dmarc-bench --ip=127.0.0.1 \
	--template="$HT" --version=2 --community=public --port="${LAB_SNMP_AGENT##*:}" \
	--avail=snmp --timeout="$TIMEOUT")
T_DEVICE=$(($(now_ms) - T0))
HOST=$(echo "$out" | sed -n 's/.*Success - new device-id: (\([0-9]*\)).*/\1/p')
[ -n "$HOST" ] || lab_die "add_device.php failed: $out"
found=$(sql "SELECT COUNT(*) FROM host_snmp_cache WHERE host_id = '$HOST'
	AND snmp_query_id = '$DQ' AND field_name = 'dmarcDomainName'")
[ "$found" = "$rows" ]
check $? "add_device.php with the data query: $found of $rows rows found in $(secs "$T_DEVICE") s"

# --- a graph per row ---------------------------------------------------------

# add_graphs DIGITS: the graphs of the rows whose index ends in DIGITS
add_graphs() {
	php -q "$CACTI/cli/add_graphs.php" --host-id="$HOST" --graph-type=ds \
		--graph-template-id="$GT" --snmp-query-id="$DQ" \
		--snmp-query-type-id="$DQG" --snmp-field=dmarcDomainIndex \
		--snmp-value-regex="[$1]\$" 2>&1 | grep -v 'Deprecated:'
}
[ "$JOBS" -ge 1 ] && [ "$JOBS" -le 10 ] || JOBS=1
T0=$(now_ms)
L_GRAPHS=$(load)
pids=""
for j in $(seq 0 $((JOBS - 1))); do
	digits=$(seq "$j" "$JOBS" 9 | tr -d '\n')
	add_graphs "$digits" >"$LAB/out/add-graphs.$j" &
	pids="$pids $!"
done
# shellcheck disable=SC2086
wait $pids
T_GRAPHS=$(($(now_ms) - T0))
added=$(cat "$LAB/out"/add-graphs.* | grep -c '^Graph Added' || true)
graphs=$(sql "SELECT COUNT(DISTINCT snmp_index) FROM graph_local
	WHERE host_id = '$HOST' AND graph_template_id = '$GT'")
dup=$(sql "SELECT COUNT(*) FROM graph_local WHERE host_id = '$HOST'
	AND graph_template_id = '$GT'")
[ "$added" = "$rows" ] && [ "$graphs" = "$rows" ] && [ "$dup" = "$rows" ]
check $? "add_graphs.php ($JOBS jobs): $added graphs added, $graphs rows graphed once each, in $(secs "$T_GRAPHS") s (load $L_GRAPHS)"
DS=$(sql "SELECT COUNT(*) FROM data_local WHERE host_id = '$HOST'")
ITEMS=$(sql "SELECT COUNT(*) FROM poller_item WHERE host_id = '$HOST'")
bad=$(sql "SELECT COUNT(*) FROM poller_item p JOIN data_local l ON l.id = p.local_data_id
	WHERE p.host_id = '$HOST' AND l.snmp_query_id = '$DQ'
	AND p.arg1 NOT LIKE CONCAT('$ROOT.1.1.1.%.', l.snmp_index)")
[ "$ITEMS" = $((rows * 7 + 8)) ] && [ "$bad" = 0 ]
check $? "$DS data sources, $ITEMS poller items (7 per row + 8 totals), each OID at its row"

# Two polls a minute apart store a rate: a short step (before the RRDs
# exist; the heartbeat stays 600).
sql "UPDATE data_template_data SET rrd_step = $STEP WHERE local_data_id IN
	(SELECT id FROM data_local WHERE host_id = '$HOST');
	UPDATE poller_item SET rrd_step = $STEP, rrd_next_step = 0 WHERE host_id = '$HOST'"

# "PATH INDEX" of every data source of the device (INDEX "-" for totals)
sql "SELECT REPLACE(d.data_source_path, '<path_rra>', '/var/lib/cacti/rra'),
	IF(l.snmp_index = '', '-', l.snmp_index)
	FROM data_template_data d JOIN data_local l ON l.id = d.local_data_id
	WHERE l.host_id = '$HOST'" >"$LAB/out/rrd-files"

# rrd_check SINCE [FETCH_FROM]: every RRD updated at SINCE or later with
# the counters of its row; with FETCH_FROM, a stored rate since then in
# each. Prints "UPDATED RATED TOTAL" and the first problems.
rrd_check() {
	python3 - "$LAB/out/rrd-files" "$@" <<'PY'
import subprocess, sys
files = [l.split("\t") for l in open(sys.argv[1]).read().splitlines()]
since = int(sys.argv[2])
frm = int(sys.argv[3]) if len(sys.argv) > 3 else None
p = subprocess.Popen(["rrdtool", "-"], stdin=subprocess.PIPE,
                     stdout=subprocess.PIPE, text=True)
cmds = []
for path, _ in files:
    cmds.append("lastupdate " + path)
    if frm:
        cmds.append("fetch %s AVERAGE -s %d -e now" % (path, frm))
out, _ = p.communicate("\n".join(cmds) + "\n")
blocks, cur = [], []
for line in out.splitlines():
    if line.startswith("OK ") or line.startswith("ERROR"):
        blocks.append((cur, line)); cur = []
    else:
        cur.append(line)
want = ["dmarc_pass", "dmarc_fail", "dmarc_none", "dmarc_temperror",
        "dmarc_permerror", "dmarc_quarantine", "dmarc_reject"]
updated = rated = 0
problems = []
k = 0
for path, idx in files:
    lines, status = blocks[k]; k += 1
    ok = status.startswith("OK")
    names = lines[0].split() if ok and lines else []
    vals = lines[-1].split() if ok and lines else []
    t = int(vals[0].rstrip(":")) if vals else 0
    v = dict(zip(names, vals[1:]))
    if idx != "-":
        i = int(idx)
        exp = [i, 3, i % 5, 0, 1, 1, 2]
        ok = ok and all(v.get(n) == str(e) for n, e in zip(want, exp))
    ok = ok and t >= since
    if ok:
        updated += 1
    elif len(problems) < 5:
        problems.append("%s (row %s): %s %s" % (path, idx, status, lines[-1:] ))
    if frm:
        lines, status = blocks[k]; k += 1
        data = [l.split(":", 1)[1].split() for l in lines if ":" in l
                and l.split(":")[0].strip().isdigit()]
        good = [r for r in data if r and all(x.lower() != "nan" for x in r)]
        if status.startswith("OK") and good:
            rated += 1
        elif len(problems) < 5:
            problems.append("%s (row %s): no rate stored" % (path, idx))
print(updated, rated, len(files))
for pr in problems:
    print("  " + pr)
PY
}

# --- spine -------------------------------------------------------------------

# ticks PID: utime + stime of a process, in clock ticks
ticks() {
	awk '{ sub(/.*\) /, ""); print $12 + $13 }' "/proc/$1/stat" 2>/dev/null || echo 0
}
machine_ticks() {
	awk '/^cpu / { print $2 + $3 + $4 + $7 + $8 }' /proc/stat
}
HZ=$(getconf CLK_TCK)
MARIADB_PID=$(cat /run/mysqld/mariadbd.pid)

# snmp_stats: snmpd's "GET-PDUs VARBINDS" received so far (SNMPv2-MIB
# snmpInGetRequests, snmpInTotalReqVars)
snmp_stats() {
	snmpget -v2c -c public -Oqv -t 2 -r 1 "$LAB_SNMP_AGENT" \
		.1.3.6.1.2.1.11.15.0 .1.3.6.1.2.1.11.13.0 2>/dev/null | tr '\n' ' '
}

# poll: one poller.php --force. Sets P_START (s), P_WALL (ms), P_LOAD,
# P_STATS (Cacti's SYSTEM STATS line), P_SPINE (spine's wall time and
# CPU), P_GETS and P_VARS (SNMP GETs and their OIDs that snmpd received),
# P_CPU (CPU seconds of snmpd, the milter, MariaDB, the machine)
poll() {
	local mark t0 s0 m0 d0 c0 g0 v0 g1 v1
	mark=$({ wc -l <"$C/log/cacti.log"; } 2>/dev/null || echo 0)
	: >"$C/spine.times"
	read -r g0 v0 <<<"$(snmp_stats)"
	P_LOAD=$(load)
	P_START=$(date +%s)
	s0=$(ticks "$_lab_snmpd_pid"); m0=$(ticks "$_lab_milter_pid")
	d0=$(ticks "$MARIADB_PID"); c0=$(machine_ticks)
	t0=$(now_ms)
	php -q "$CACTI/site/poller.php" --force >>"$LAB/log/poller.log" 2>&1
	P_WALL=$(($(now_ms) - t0))
	P_CPU=$(awk -v s=$(($(ticks "$_lab_snmpd_pid") - s0)) \
		-v m=$(($(ticks "$_lab_milter_pid") - m0)) \
		-v d=$(($(ticks "$MARIADB_PID") - d0)) -v c=$(($(machine_ticks) - c0)) \
		-v hz="$HZ" 'BEGIN { printf "snmpd %.2f s, milter %.2f s, mariadbd %.2f s, machine %.2f s",
			s / hz, m / hz, d / hz, c / hz }')
	read -r g1 v1 <<<"$(snmp_stats)"
	# less the first snmp_stats GET (two OIDs)
	P_GETS=$((g1 - g0 - 1))
	P_VARS=$((v1 - v0 - 2))
	P_PER_GET=$(awk -v g="$P_GETS" -v v="$P_VARS" 'BEGIN { printf "%.1f", (g > 0 ? v / g : 0) }')
	tail -n +"$((mark + 1))" "$C/log/cacti.log" >"$LAB/out/poll.log"
	P_STATS=$(grep 'SYSTEM STATS' "$LAB/out/poll.log" | tail -n 1 | sed 's/.*SYSTEM STATS: //')
	# poller.php starts a spine for the device and one for "device 0"
	P_SPINE=$(awk -v hz="$HZ" '{ if ($1 > w) w = $1; c += $2 + $3; n++ }
		END { printf "%.1f s, CPU %.2f s (%d processes)", w / 1000, c / hz, n }' \
		"$C/spine.times")
}

sql "UPDATE settings SET value = '2' WHERE name = 'poller_type'"
summary=""
for run in $RUNS; do
	IFS=/ read -r threads dthreads oids <<<"$run"
	sql "UPDATE poller SET processes = 1, threads = $threads WHERE id = 1;
		UPDATE host SET device_threads = $dthreads, max_oids = $oids WHERE id = '$HOST'"
	say "--- spine: $threads threads, $dthreads device threads, $oids OIDs per get"
	first_start=
	for n in $(seq 1 "$POLLS"); do
		if [ -n "$first_start" ]; then
			# a complete step between this poll and the first
			while [ "$(date +%s)" -lt $((first_start + 2 * STEP + 1)) ]; do
				sleep 1
			done
		fi
		poll
		[ -n "$first_start" ] || first_start=$P_START
		# the very first poll also creates every RRD file
		[ -n "${FIRST_POLL:-}" ] ||
			FIRST_POLL="$(echo "$P_STATS" | sed -n 's/^Time:\([0-9.]*\) .*/\1/p') s, load $P_LOAD"
		say "poll $n: poller.php $(secs "$P_WALL") s wall, load $P_LOAD"
		say "  Cacti: $P_STATS"
		say "  spine: $P_SPINE; $P_GETS GETs, $P_VARS OIDs ($P_PER_GET per GET)"
		say "  CPU during the poll: $P_CPU"
		left=$(sql "SELECT COUNT(*) FROM poller_output")
		[ "$left" = 0 ]
		check $? "poller_output is empty ($left left)"
		if [ "$n" -ge 2 ]; then
			res=$(rrd_check "$P_START" "$first_start")
		else
			res=$(rrd_check "$P_START")
		fi
		read -r upd rated total <<<"$(echo "$res" | head -n 1)"
		[ "$upd" = "$total" ] && { [ "$n" -lt 2 ] || [ "$rated" = "$total" ]; }
		check $? "RRDs updated with the served counters: $upd of $total$([ "$n" -ge 2 ] && echo ", with a stored rate: $rated")"
		echo "$res" | tail -n +2
		errs=$(grep -iE 'timeout|timed out|error|warning' "$LAB/out/poll.log" |
			grep -iv 'deprecated' | grep -v 'has a timeout of' | head -n 5)
		[ -z "$errs" ]
		check $? "no timeout, error or warning in cacti.log${errs:+: $errs}"
	done
	t=$(echo "$P_STATS" | sed -n 's/^Time:\([0-9.]*\) .*/\1/p')
	summary="$summary$run (threads/device threads/OIDs per GET), poll $POLLS: Cacti ${t:-?} s, spine $P_SPINE, $P_GETS GETs, load $P_LOAD
"
done

# --- where the poll's time goes ----------------------------------------------

# BENCH_PERF=1: one more poll with the last setting under perf (the
# milter's and snmpd's CPU by symbol), and one under strace -c (the
# milter's system calls, i.e. its AgentX round trips and what each costs)
if [ "${BENCH_PERF:-0}" = 1 ] && command -v perf >/dev/null 2>&1; then
	perf record -q -g -p "$_lab_milter_pid" -o "$LAB/out/milter.perf" 2>/dev/null &
	pm=$!
	perf record -q -g -p "$_lab_snmpd_pid" -o "$LAB/out/snmpd.perf" 2>/dev/null &
	ps=$!
	sleep 0.5
	poll
	kill -INT "$pm" "$ps"
	wait "$pm" "$ps" 2>/dev/null
	say "--- perf during a poll ($P_GETS GETs, $P_VARS OIDs; CPU: $P_CPU)"
	for who in milter snmpd; do
		say "- $who"
		perf report -q -i "$LAB/out/$who.perf" --no-children --stdio \
			--sort dso,symbol 2>/dev/null | grep -E '^ +[0-9]' | head -n 20
	done
	if command -v strace >/dev/null 2>&1; then
		strace -c -f -p "$_lab_milter_pid" -o "$LAB/out/milter.strace" 2>/dev/null &
		st=$!
		sleep 0.5
		poll
		kill -INT "$st"
		wait "$st" 2>/dev/null
		say "--- strace -c of the milter during a poll ($P_GETS GETs)"
		head -n 20 "$LAB/out/milter.strace"
	fi
fi

# --- one column by snmpbulkwalk ----------------------------------------------

# walk COLUMN: one snmpbulkwalk of it; W_MS milliseconds, W_N values
walk() {
	local t0
	t0=$(now_ms)
	W_N=$(snmpbulkwalk -v2c -c public -On -Cr50 -t 10 -r 0 \
		"$LAB_SNMP_AGENT" "$ROOT.1.1.1.$1" 2>&1 | grep -c "^$ROOT" || true)
	W_MS=$(($(now_ms) - t0))
}
W_LOAD=$(load)
walks=""
for col in 2 10 2 10 2 10; do
	walk "$col"
	[ "$W_N" = "$rows" ] || check 1 "snmpbulkwalk of column $col: $W_N values, not $rows"
	walks="$walks $col:$W_MS"
done
best() {
	echo "$walks" | tr ' ' '\n' | awk -F: -v c="$1" '$1 == c { if (m == "" || $2 < m) m = $2 } END { print m }'
}
say "--- snmpbulkwalk -Cr50 of one column, $rows values (load $W_LOAD):$walks (column:ms)"

say "--- summary"
say "rows $rows, graphs created $graphs in $(secs "$T_GRAPHS") s ($JOBS add_graphs.php jobs), data query $(secs "$T_DEVICE") s"
say "first poll, which creates the $DS RRD files: Cacti $FIRST_POLL"
printf '%s' "$summary"
say "one-column walk: dmarcDomainName $(secs "$(best 2)") s, dmarcDomainReject $(secs "$(best 10)") s (best of 3)"
say "load now $(load)"
# BENCH_HOLD=1: keep the lab running (for profiling by hand, through
# nsenter into this script's namespaces) until $LAB/hold is removed
if [ "${BENCH_HOLD:-0}" = 1 ]; then
	: >"$LAB/hold"
	say "holding: rm $LAB/hold to end"
	while [ -e "$LAB/hold" ]; do
		sleep 2
	done
fi
exit "$FAILED"
