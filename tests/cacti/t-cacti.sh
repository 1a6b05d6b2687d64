#!/bin/bash
# t-cacti.sh: the shipped Cacti templates in a real Cacti 1.2 (Debian's
# cacti package), against the milter's AgentX subagent under a private
# snmpd, in the lab (root, private namespaces, nsd; mail through miltc).
#
# Cacti gets a private MariaDB (its own data directory, the socket at
# /run/mysqld/mysqld.sock on a tmpfs of this mount namespace), a fresh
# database from Cacti's cacti.sql, and private copies of its
# configuration, RRD, log and snmp_queries directories bind-mounted over
# Debian's: the machine's own Cacti, if any, is not touched.
#
#   - the generator reproduces the committed export; hashes and DS names
#     are well-formed; import_template.php exits 0 on broken XML, and
#     install-cacti-templates.sh does not
#   - install-cacti-templates.sh imports every object ([success]), the
#     database holds each by its hash; a second run updates, no copies;
#     DERIVE, min 0, step 300, heartbeat 600
#   - add_device.php with the "DMARC milter" template, SNMP v2c: the data
#     query finds one row per (domain, policy), titled "domain (policy)"
#   - add_graphs.php: a graph per row and the totals graph, titled
#   - Cacti's poller (cmd.php) while mail flows: the RRDs hold the
#     counters snmpd served, and the rates stored are messages sent over
#     the seconds between the poller's samples
#   - the graphs render (Cacti's own rrdtool command line) into PNGs
#   - with re-index method "Index Count Changed", a domain first seen
#     later gets its row at the next poll
#
# Rates need two samples per RRD step; the test's data sources get a
# step of CACTI_STEP (5) seconds instead of 300 once the graphs exist.
# DM_CACTI_ROUNDS (3) poller rounds; DM_CACTI_PNG_DIR: copy the PNGs
# there (how docs/images/cacti-*.png are made).
set -eu

. "$(dirname "$0")/../lab/lab.sh"
[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
[ -z "${DM_SKIP_CACTI:-}" ] ||
	tap_skip_all "DM_SKIP_CACTI is set (the Cacti test runs once, in the normal build)"
CACTI=/usr/share/cacti
for f in "$CACTI/cli/import_template.php" "$CACTI/site/poller.php" \
	"$CACTI/conf_templates/cacti.sql" /etc/cacti/debian.php; do
	[ -f "$f" ] ||
		tap_skip_all "Cacti is not installed: no $f (scripts/install-deps.sh installs it)"
done
for tool in mariadbd mariadb-install-db mysql php rrdtool python3; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
lab_enter "$@"
[ -x "$DM_MILTER" ] || tap_skip_all "no milter at $DM_MILTER"
lab_milter_is_opendmarc && tap_skip_all "OpenDMARC has no AgentX subagent"
MILTC=$top_builddir/tests/tools/miltc
[ -x "$MILTC" ] || tap_skip_all "no $MILTC (make check builds it)"
for tool in snmpd snmpwalk; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done

lab_init
lab_nsd_start

TPL=$top_srcdir/cacti-templates
XML=$TPL/cacti_host_template_dmarc_milter.xml
ROOT=.1.3.6.1.4.1.8072.9999.9999.7489
AGENT=$LAB_SNMP_AGENT
SNMP=$LAB/snmp
STEP=${CACTI_STEP:-5}
ROUNDS=${DM_CACTI_ROUNDS:-3}
C=$LAB/cacti
mkdir -p "$C"

# --- static checks of the shipped files ---------------------------------

out=$(python3 "$TPL/gen-templates.py" | cmp - "$XML" 2>&1) && st=0 || st=1
tap_result "$st" "gen-templates.py reproduces cacti_host_template_dmarc_milter.xml" "$out"
bad=$(grep -o '<hash_[^>]*>' "$XML" | grep -vE '^<hash_[0-9]{2}0103[0-9a-f]{32}>$' || true)
is "$bad" "" "every object is hash_TT0103<32 hex> (Cacti 1.2.19-1.2.24)"
bad=$(sed -n 's/.*<data_source_name>\(.*\)<\/data_source_name>.*/\1/p' "$XML" |
	awk 'length($0) > 19')
is "$bad" "" "DS names fit rrd_name (19 characters)"
# the top-level objects: "TT HASH" (type code, 32 hex digits)
OBJECTS=$(sed -n 's/^\t<hash_\([0-9][0-9]\)0103\([0-9a-f]\{32\}\)>$/\1 \2/p' "$XML")
is "$(echo "$OBJECTS" | awk '{ print $1 }' | sort | uniq -c | awk '{ printf "%s:%s ", $2, $1 }')" \
	"00:2 01:9 02:1 04:1 " \
	"2 graph templates, 9 data templates, a device template, a data query"

# --- a private MariaDB and Cacti ------------------------------------------

# Cacti (debian.php) and the mysql client expect the server's socket at
# /run/mysqld/mysqld.sock: a tmpfs there is this namespace's alone.
mkdir -p /run/mysqld
mount -t tmpfs -o mode=0755 tmpfs /run/mysqld
chown mysql:mysql /run/mysqld
mkdir -p "$C/db" "$C/rra" "$C/log" "$C/queries"
chown mysql:mysql "$C/db"
mariadb-install-db --no-defaults --user=mysql --datadir="$C/db" \
	--auth-root-authentication-method=socket --skip-test-db \
	>"$LAB/log/mariadb-install.log" 2>&1 ||
	lab_die "mariadb-install-db failed (see $LAB/log/mariadb-install.log)"
mariadbd --no-defaults --user=mysql --datadir="$C/db" --skip-networking \
	--socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mariadbd.pid \
	--log-error=/run/mysqld/mariadbd.err \
	--character-set-server=utf8mb4 --collation-server=utf8mb4_unicode_ci \
	--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
	>"$LAB/log/mariadbd.log" 2>&1 &
_lab_pids="$_lab_pids $!"
_lab_wait mariadbd 60 mysql -e 'SELECT 1' ||
	lab_die "mariadbd does not answer: $(cat /run/mysqld/mariadbd.err 2>/dev/null)"

pw=dmlab$RANDOM$RANDOM
ver=$(dpkg-query -f '${Version}' -W cacti 2>/dev/null | sed 's/+ds[0-9]*-.*//; s/~.*//')
mysql -e "CREATE DATABASE cacti CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
	CREATE USER 'cacti'@'localhost' IDENTIFIED BY '$pw';
	GRANT ALL ON cacti.* TO 'cacti'@'localhost';
	GRANT SELECT ON mysql.time_zone_name TO 'cacti'@'localhost';"
mysql cacti <"$CACTI/conf_templates/cacti.sql" >"$LAB/log/cacti-sql.log" 2>&1 ||
	lab_die "loading cacti.sql failed: $(tail -n 3 "$LAB/log/cacti-sql.log")"
# What Debian's postinst does after dbconfig: no web installer pending.
mysql cacti -e "UPDATE version SET cacti='${ver:-1.2.24}';
	REPLACE INTO settings (name, value) VALUES ('rrdtool_version', 'rrd-1.7.x'),
	('poller_enabled', 'on'), ('poller_type', '1'), ('poller_interval', '300'),
	('cron_interval', '300'), ('log_verbosity', '2');"

S_DB=$SECONDS
# Debian's Cacti, pointed at the private database and directories.
sed -e "s/^\(\$database_password *= *\).*/\1'$pw';/" \
	-e "s/^\(\$database_username *= *\).*/\1'cacti';/" \
	-e "s/^\(\$database_default *= *\).*/\1'cacti';/" \
	/etc/cacti/debian.php >"$C/debian.php"
chmod 644 "$C/debian.php"
mount --bind "$C/debian.php" /etc/cacti/debian.php
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

# count of rows in TABLE whose hash is HASH
by_hash() {
	sql "SELECT COUNT(*) FROM $1 WHERE hash = '$2'"
}

# objects_in_db: "TT:COUNT" for each shipped object, by its hash
objects_in_db() {
	local t hash table
	echo "$OBJECTS" | while read -r t hash; do
		case $t in
		00) table=graph_templates ;;
		01) table=data_template ;;
		02) table=host_template ;;
		04) table=snmp_query ;;
		esac
		echo "$t:$(by_hash "$table" "$hash")"
	done | sort | tr '\n' ' '
}

# --- the import -------------------------------------------------------------

# import_template.php's exit status says nothing: a truncated export.
mkdir -p "$C/broken"
cp "$TPL/install-cacti-templates.sh" "$TPL/dmarc_milter_domains.xml" "$C/broken/"
head -c 20000 "$XML" >"$C/broken/cacti_host_template_dmarc_milter.xml"
st=0
php -q "$CACTI/cli/import_template.php" \
	--filename="$C/broken/cacti_host_template_dmarc_milter.xml" \
	>"$LAB/out/import-broken" 2>&1 || st=$?
is "$st $(grep -c '^\[success\]' "$LAB/out/import-broken" || true)" "0 0" \
	"import_template.php exits 0 on a truncated export, importing nothing"
st=0
sh "$C/broken/install-cacti-templates.sh" >"$LAB/out/install-broken" 2>&1 || st=$?
is "$st" 1 "install-cacti-templates.sh reports the failed import (exit 1)"
is "$(sql "SELECT COUNT(*) FROM graph_templates WHERE name LIKE 'DMARC%'")" 0 \
	"and nothing of it is in the database"

st=0
sh "$TPL/install-cacti-templates.sh" >"$LAB/out/install" 2>&1 || st=$?
tap_result "$st" "install-cacti-templates.sh: exit 0" "$(cat "$LAB/out/install")"
is "$(grep -c '^\[success\] .* \[new\]$' "$LAB/out/install" || true)" 13 \
	"13 objects, each [success] [new]"
cmp -s "$TPL/dmarc_milter_domains.xml" "$CACTI/resource/snmp_queries/dmarc_milter_domains.xml" &&
	st=0 || st=1
tap_result "$st" "the data query file is in resource/snmp_queries/"
is "$(objects_in_db)" "00:1 00:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 02:1 04:1 " \
	"every object is in the database, found by its hash"

st=0
sh "$TPL/install-cacti-templates.sh" >"$LAB/out/install2" 2>&1 || st=$?
is "$st $(grep -c '^\[success\] .* \[unchanged\]$' "$LAB/out/install2" || true)" "0 13" \
	"a second run: exit 0, 13 objects [unchanged]"
is "$(objects_in_db)" "00:1 00:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 02:1 04:1 " \
	"still one of each: a re-import updates, it does not duplicate"
# An object changed since (as by an older release): the import puts it
# back in place.
gtq="SELECT g.vertical_label FROM graph_templates_graph g JOIN graph_templates t
	ON t.id = g.graph_template_id WHERE t.name = 'DMARC milter - Domain' AND g.local_graph_id = 0"
sql "UPDATE graph_templates_graph g JOIN graph_templates t ON t.id = g.graph_template_id
	SET g.vertical_label = 'edited' WHERE t.name = 'DMARC milter - Domain' AND g.local_graph_id = 0"
st=0
sh "$TPL/install-cacti-templates.sh" >"$LAB/out/install3" 2>&1 || st=$?
like "$st $(grep '^\[success\] DMARC milter - Domain \[' "$LAB/out/install3" | tr '\n' ' ')" \
	'^0 .*\[updated\]' "a changed graph template: the import says [updated]"
is "$(sql "$gtq")" "messages / second" "and restores it in place"
is "$(objects_in_db)" "00:1 00:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 01:1 02:1 04:1 " \
	"still one of each"
is "$(sql "SELECT COUNT(*) FROM host_template WHERE name = 'DMARC milter'") $(sql "SELECT COUNT(*) FROM data_template WHERE name LIKE 'DMARC milter%'")" \
	"1 9" "one device template \"DMARC milter\", nine data templates by name"

dsq="SELECT r.data_source_name, r.data_source_type_id, r.rrd_minimum,
	r.rrd_maximum, r.rrd_heartbeat, d.rrd_step
	FROM data_template_rrd r JOIN data_template_data d
	ON d.data_template_id = r.data_template_id AND d.local_data_id = r.local_data_id
	JOIN data_template t ON t.id = r.data_template_id
	WHERE t.name LIKE 'DMARC milter%'"
is "$(sql "$dsq AND r.local_data_id = 0" | awk '{ print $2, $3, $4, $5, $6 }' | sort | uniq -c | sed 's/^ *//')" \
	"15 3 0 U 600 300" \
	"the 15 DSes (7 per domain, 8 totals): DERIVE, min 0, heartbeat 600, step 300"

S_IMPORT=$SECONDS
HT=$(sql "SELECT id FROM host_template WHERE name = 'DMARC milter'")
DQ=$(sql "SELECT id FROM snmp_query WHERE name = 'DMARC milter - Domains'")
DQG=$(sql "SELECT id FROM snmp_query_graph WHERE snmp_query_id = '$DQ'")
GT_DOMAIN=$(sql "SELECT id FROM graph_templates WHERE name = 'DMARC milter - Domain'")
GT_TOTAL=$(sql "SELECT id FROM graph_templates WHERE name = 'DMARC milter - All Domains'")
is "$(sql "SELECT COUNT(*) FROM host_template_snmp_query WHERE host_template_id = '$HT' AND snmp_query_id = '$DQ'") $(sql "SELECT COUNT(*) FROM host_template_graph WHERE host_template_id = '$HT' AND graph_template_id = '$GT_TOTAL'")" \
	"1 1" "the device template carries the data query and the totals graph"

# --- snmpd, the milter, mail -----------------------------------------------

lab_snmpd_start
lab_milter_start "SPFSelfValidate true" "RejectFailures true" \
	"AgentX true" "AgentXSocket $SNMP/agentx.sock" "AgentXPingInterval 1"

walk() {
	snmpwalk -v2c -c public -On -t 2 -r 1 "$AGENT" "$@" 2>&1 || true
}

# column N: "INDEX VALUE" per row of dmarcDomainTable's column N
column() {
	walk "$ROOT.1.1.1.$1" | sed -n "s/^$ROOT\.1\.1\.1\.$1\.\([0-9]*\) = [^:]*: \"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1 \2/p"
}

# send ROUND LEGIT SPOOF QUAR NODMARC BROKEN NONE: messages per kind,
# each kind over 2 connections
SENT=0
send() {
	local r=$1 spec n pids="" name
	shift
	set -- "legit:192.0.2.10:paypal.com:$1" "spoof:192.0.2.66:paypal.com:$2" \
		"quar:192.0.2.66:quarantine.test:$3" "nodmarc:192.0.2.40:nodmarc.test:$4" \
		"broken:192.0.2.66:broken.test:$5" "mon:192.0.2.66:none.test:$6"
	for spec in "$@"; do
		n=${spec##*:}
		[ "$n" -gt 0 ] || continue
		IFS=: read -r name ip dom n <<<"$spec"
		lab_load "$name$r" "$n" 2 "$ip" "$dom" &
		pids="$pids $!"
		SENT=$((SENT + n))
	done
	for spec in $pids; do
		wait "$spec" || true
	done
}

# Every kind once, so that all five rows exist before Cacti looks.
send 0 2 2 2 2 2 2
_lab_wait rows 10 sh -c "[ \$(snmpwalk -v2c -c public -On -t 1 -r 0 $AGENT $ROOT.1.1.1.2 | grep -c STRING) -eq 5 ]" || true
ROWS=$(join <(column 2 | sort) <(column 3 | sort) |
	awk '{ p = $3 == 1 ? "none" : $3 == 2 ? "quarantine" : $3 == 3 ? "reject" : $3 == 4 ? "absent" : $3
		print $1, $2 " (" p ")" }' | sort -n)
is "$(echo "$ROWS" | cut -d' ' -f2- | sort)" "broken.test (absent)
nodmarc.test (absent)
none.test (none)
paypal.com (reject)
quarantine.test (quarantine)" "the subagent serves five rows, one per (domain, policy)"

# --- the device, the data query, the graphs --------------------------------

out=$(cacti_cli add_device.php --description=dmarc-lab --ip=127.0.0.1 \
	--template="$HT" --version=2 --community=public --port="${AGENT##*:}" \
	--avail=snmp --timeout=2000)
HOST=$(echo "$out" | sed -n 's/.*Success - new device-id: (\([0-9]*\)).*/\1/p')
like "$HOST" '^[0-9]+$' "add_device.php: device dmarc-lab, template DMARC milter, SNMP v2c" 
[ -n "$HOST" ] || lab_die "add_device.php failed: $out"
is "$(sql "SELECT snmp_version, snmp_port FROM host WHERE id = '$HOST'" | tr '\t' ' ')" \
	"2 ${AGENT##*:}" "the device polls with SNMP v2c on the lab's port"
is "$(sql "SELECT COUNT(*) FROM host_snmp_query WHERE host_id = '$HOST' AND snmp_query_id = '$DQ'")" 1 \
	"the device template attached the data query (and ran it)"

# host_snmp_cache: what the data query found, as "INDEX NAME (POLICY)"
cache_rows() {
	sql "SELECT snmp_index, field_name, field_value FROM host_snmp_cache
		WHERE host_id = '$HOST' AND snmp_query_id = '$DQ'
		AND field_name IN ('dmarcDomainName', 'dmarcDomainPolicy')" |
		awk -F'\t' '$2 == "dmarcDomainName" { n[$1] = $3 }
			$2 == "dmarcDomainPolicy" { p[$1] = $3 }
			END { for (i in n) print i, n[i] " (" p[i] ")" }' | sort -n
}
is "$(cache_rows)" "$ROWS" \
	"the data query finds one row per (domain, policy), named \"domain (policy)\", at the subagent's indexes"
is "$(sql "SELECT COUNT(DISTINCT snmp_index) FROM host_snmp_cache WHERE host_id = '$HOST' AND snmp_query_id = '$DQ' AND field_name = 'dmarcDomainIndex'")" 5 \
	"dmarcDomainIndex: five distinct indexes"

# The device template made the totals graph already; asking again
# must not make a second one.
is "$(sql "SELECT COUNT(*) FROM graph_local WHERE host_id = '$HOST' AND graph_template_id = '$GT_TOTAL'")" 1 \
	"the device template created the totals graph"
out=$(cacti_cli add_graphs.php --host-id="$HOST" --graph-type=cg \
	--graph-template-id="$GT_TOTAL")
like "$out" 'already exists' "add_graphs.php for it again: not duplicated"
GRAPH_TOTAL=$(sql "SELECT id FROM graph_local WHERE host_id = '$HOST' AND graph_template_id = '$GT_TOTAL'")
fails=""
while read -r idx _; do
	out=$(cacti_cli add_graphs.php --host-id="$HOST" --graph-type=ds \
		--graph-template-id="$GT_DOMAIN" --snmp-query-id="$DQ" \
		--snmp-query-type-id="$DQG" --snmp-field=dmarcDomainIndex \
		--snmp-value="$idx")
	case $out in *"Graph Added"*) ;; *) fails="$fails $idx: $out" ;; esac
done <<<"$ROWS"
is "$fails" "" "add_graphs.php: a graph per row"
is "$(sql "SELECT title_cache FROM graph_templates_graph WHERE local_graph_id IN
	(SELECT id FROM graph_local WHERE host_id = '$HOST') ORDER BY title_cache")" \
	"dmarc-lab - DMARC - all domains
dmarc-lab - DMARC - broken.test (absent)
dmarc-lab - DMARC - nodmarc.test (absent)
dmarc-lab - DMARC - none.test (none)
dmarc-lab - DMARC - paypal.com (reject)
dmarc-lab - DMARC - quarantine.test (quarantine)" \
	"six graphs, titled by device and \"domain (policy)\""

is "$(sql "$dsq AND r.local_data_id IN (SELECT id FROM data_local WHERE host_id = '$HOST')" |
	awk '{ print $2, $3, $4, $5, $6 }' | sort | uniq -c | sed 's/^ *//')" \
	"43 3 0 U 600 300" \
	"their data sources: 5 x 7 + 8, DERIVE, min 0, heartbeat 600, step 300"

# Two samples per RRD step in a test that lasts a minute: the lab's data
# sources get a short step (before their RRDs exist; the heartbeat stays).
sql "UPDATE data_template_data SET rrd_step = $STEP WHERE local_data_id IN
	(SELECT id FROM data_local WHERE host_id = '$HOST');
	UPDATE poller_item SET rrd_step = $STEP, rrd_next_step = 0 WHERE host_id = '$HOST'"

# rrd ROW: the RRD file of domain row ROW (by index), or of the totals'
# data source named ROW (total_pass, ...)
rrd() {
	local path
	case $1 in
	total_*) path=$(sql "SELECT d.data_source_path FROM data_template_data d
		JOIN data_template_rrd r ON r.local_data_id = d.local_data_id
		JOIN data_local l ON l.id = d.local_data_id
		WHERE l.host_id = '$HOST' AND r.data_source_name = '$1'") ;;
	*) path=$(sql "SELECT d.data_source_path FROM data_template_data d
		JOIN data_local l ON l.id = d.local_data_id
		WHERE l.host_id = '$HOST' AND l.snmp_index = '$1'") ;;
	esac
	echo "${path/<path_rra>//var/lib/cacti/rra}"
}

poll() {
	php -q "$CACTI/site/poller.php" --force >>"$LAB/log/poller.log" 2>&1 || true
}

# lastupdate FILE: "TIME DS=VALUE ..." as stored by the poller's update
lastupdate() {
	rrdtool lastupdate "$1" | awk 'NR == 1 { for (i = 1; i <= NF; i++) n[i] = $i }
		NF > 1 && NR > 2 { sub(/:$/, "", $1); line = $1
			for (i = 2; i <= NF; i++) line = line " " n[i - 1] "=" $i
			print line }'
}

# The first poll creates the RRDs and stores the first counters.
S_GRAPHS=$SECONDS
poll
PAYPAL=$(echo "$ROWS" | awk '$2 == "paypal.com" { print $1 }')
F=$(rrd "$PAYPAL")
[ -f "$F" ] && st=0 || st=1
tap_result "$st" "poller.php --force: paypal.com's RRD ${F##*/}" "$(tail -n 20 "$C/log/cacti.log")"
n=$(for r in $(echo "$ROWS" | cut -d' ' -f1); do rrd "$r"; done; for t in pass fail none temperror permerror quarantine reject ignored; do rrd "total_$t"; done)
missing=$(for f in $n; do [ -f "$f" ] || echo "$f"; done)
is "$missing" "" "all 13 RRDs exist"
info=$(rrdtool info "$F")
like "$info" "^ds\[dmarc_reject\]\.type = \"DERIVE\"" "dmarc_reject is DERIVE in the RRD"
like "$info" "^ds\[dmarc_pass\]\.minimal_heartbeat = 600" "heartbeat 600"
like "$info" "^ds\[dmarc_fail\]\.min = 0\.0+e\+00" "min 0"

# The counters the poller stored are those snmpd serves.
snmp_counters() {
	local c v=""
	for c in 4 5 6 7 8 9 10; do
		v="$v $(walk "$ROOT.1.1.1.$c.$1" | sed 's/.*Counter64: //')"
	done
	echo "${v# }"
}
stored_counters() {
	lastupdate "$1" | awk '{ split("pass fail none temperror permerror quarantine reject", k, " ")
		for (i = 2; i <= NF; i++) { split($i, kv, "="); v[kv[1]] = kv[2] }
		line = ""; for (i = 1; i <= 7; i++) line = line (i > 1 ? " " : "") v["dmarc_" k[i]]
		print line }'
}
is "$(stored_counters "$F")" "$(snmp_counters "$PAYPAL")" \
	"the RRD holds the counters snmpd serves for paypal.com"

# Rounds of mail, a poll after each, at least two steps apart.
MIXES=("30 10 8 6 0 4" "12 40 20 10 6 0" "45 6 4 16 2 8" "20 25 12 4 0 10")
declare -a T C_PASS C_FAIL C_REJ TOT_PASS
sample() {
	local k=$1 lu
	lu=$(lastupdate "$F")
	T[k]=${lu%% *}
	# shellcheck disable=SC2001 # a field picked out, not a substitution
	C_PASS[k]=$(echo "$lu" | sed 's/.* dmarc_pass=\([0-9]*\).*/\1/')
	# shellcheck disable=SC2001 # a field picked out, not a substitution
	C_FAIL[k]=$(echo "$lu" | sed 's/.* dmarc_fail=\([0-9]*\).*/\1/')
	# shellcheck disable=SC2001 # a field picked out, not a substitution
	C_REJ[k]=$(echo "$lu" | sed 's/.* dmarc_reject=\([0-9]*\).*/\1/')
	TOT_PASS[k]=$(lastupdate "$(rrd total_pass)" | sed 's/.* total_pass=\([0-9]*\).*/\1/')
}
sample 0
T_START=${T[0]}
declare -a SENT_PASS SENT_SPOOF
for k in $(seq 1 "$ROUNDS"); do
	mix=${MIXES[$(((k - 1) % ${#MIXES[@]}))]}
	read -r a b _ <<<"$mix"
	SENT_PASS[k]=$a
	SENT_SPOOF[k]=$b
	# shellcheck disable=SC2086
	send "$k" $mix
	while [ "$(date +%s)" -le $((T[k - 1] + 2 * STEP)) ]; do
		sleep 0.5
	done
	poll
	sample "$k"
done
T_END=${T[$ROUNDS]}

bad=""
for k in $(seq 1 "$ROUNDS"); do
	[ $((C_PASS[k] - C_PASS[k - 1])) -eq "${SENT_PASS[$k]}" ] &&
		[ $((C_FAIL[k] - C_FAIL[k - 1])) -eq "${SENT_SPOOF[$k]}" ] &&
		[ $((C_REJ[k] - C_REJ[k - 1])) -eq "${SENT_SPOOF[$k]}" ] ||
		bad="$bad round $k: pass +$((C_PASS[k] - C_PASS[k - 1]))/${SENT_PASS[$k]} fail +$((C_FAIL[k] - C_FAIL[k - 1]))/${SENT_SPOOF[$k]} reject +$((C_REJ[k] - C_REJ[k - 1]))"
done
is "$bad" "" "$ROUNDS polls: paypal.com's stored counters grow by the messages sent"

# rates DS: "WANT GOT" per RRD step that lies between two samples, where
# WANT = messages sent / seconds between the samples
rates() {
	local ds=$1 file=$2 k from to want
	local -n counts=$3
	for k in $(seq 1 "$ROUNDS"); do
		from=${T[k - 1]}
		to=${T[k]}
		want=$(awk -v d=$((counts[k] - counts[k - 1])) -v s=$((to - from)) \
			'BEGIN { printf "%.6f", d / s }')
		rrdtool fetch "$file" AVERAGE -r "$STEP" -s "$from" -e "$to" |
			awk -v ds="$ds" -v from="$from" -v to="$to" -v step="$STEP" -v want="$want" '
				NR == 1 { for (i = 1; i <= NF; i++) if ($i == ds) col = i + 1 }
				/^[0-9]+:/ { t = $1; sub(/:$/, "", t)
					if (t - step >= from && t <= to)
						printf "%s %.6f\n", want, $col }'
	done
}
# rate_check DS FILE COUNTS: every step's stored rate is the one sent
rate_check() {
	rates "$@" | awk '
		{ n++; if ($1 != $2 && ($1 - $2 > 1e-5 || $2 - $1 > 1e-5)) { bad++; print "want " $1 " got " $2 } }
		END { if (n == 0) print "no complete step between the samples"; else if (!bad) print "ok " n }'
}
out=$(rate_check dmarc_pass "$F" C_PASS)
like "$out" '^ok [0-9]+$' "paypal.com dmarc_pass: each stored rate = messages sent / seconds between polls ($out)"
out=$(rate_check dmarc_reject "$F" C_REJ)
like "$out" '^ok [0-9]+$' "paypal.com dmarc_reject: the same ($out)"
out=$(rate_check total_pass "$(rrd total_pass)" TOT_PASS)
like "$out" '^ok [0-9]+$' "total_pass (a scalar, Get SNMP Data): the same ($out)"
bad=""
for k in $(seq 1 "$ROUNDS"); do
	[ $((TOT_PASS[k] - TOT_PASS[k - 1])) -eq "${SENT_PASS[$k]}" ] ||
		bad="$bad round $k: +$((TOT_PASS[k] - TOT_PASS[k - 1]))/${SENT_PASS[$k]}"
done
is "$bad" "" "total_pass grows by the passing messages sent"
diag "$ROUNDS rounds, $SENT messages; samples at ${T[*]} (step $STEP s)"
S_POLLS=$SECONDS

# --- graphs ------------------------------------------------------------------

GRAPH_PAYPAL=$(sql "SELECT id FROM graph_local WHERE host_id = '$HOST' AND snmp_index = '$PAYPAL'")
render() {
	php -q "$top_srcdir/tests/cacti/render-graph.php" "$1" "$((T_START - STEP))" \
		"$T_END" "$2" 2>&1 | grep -v 'Deprecated:' || true
}
src=$(render "$GRAPH_PAYPAL" "$LAB/out/cacti-domain.png")
head -c 8 "$LAB/out/cacti-domain.png" 2>/dev/null | od -An -c | grep -q 'P   N   G' &&
	st=0 || st=1
tap_result "$st" "Cacti renders paypal.com's graph (PNG)" "$src"
like "$src" "^AREA:a#00FF00FF:'Pass " "a green Pass area"
like "$src" "^AREA:b#FFAB00FF:'Fail +':STACK" "Fail stacked on it"
like "$src" "^AREA:a#00FF0000: " "the dispositions over Fail's bottom: an invisible Pass"
like "$src" "^AREA:f#FF0000FF:'Fail.: rejected +':STACK" "on it the rejected, red"
like "$src" "^AREA:g#B1441EFF:'Fail.: quarantined':STACK" "and the quarantined"
like "$src" "^GPRINT:a:LAST:'Current.:%8.2lf %s'" "legends: current"
like "$src" "^GPRINT:a:AVERAGE:'Average.:%8.2lf %s'" "average"
like "$src" "^GPRINT:a:MAX:'Maximum.:%8.2lf %s.n'" "and maximum"
src=$(render "$GRAPH_TOTAL" "$LAB/out/cacti-totals.png")
head -c 8 "$LAB/out/cacti-totals.png" 2>/dev/null | od -An -c | grep -q 'P   N   G' &&
	st=0 || st=1
tap_result "$st" "Cacti renders the totals graph (PNG)" "$src"
like "$src" "^--vertical-label='messages / second'" "labelled messages / second"
like "$src" "^LINE1:[a-z]+#000000FF:'Not evaluated" "messages not evaluated: a black line"
if [ -n "${DM_CACTI_PNG_DIR:-}" ]; then
	cp "$LAB/out/cacti-domain.png" "$LAB/out/cacti-totals.png" "$DM_CACTI_PNG_DIR/"
	diag "graphs copied to $DM_CACTI_PNG_DIR"
fi

# --- a domain first seen later ----------------------------------------------

# The re-index method the README advises: the poller counts the rows and
# re-runs the data query when the count changes.
sql "UPDATE host_snmp_query SET reindex_method = 2
	WHERE host_id = '$HOST' AND snmp_query_id = '$DQ'"
cacti_cli poller_reindex_hosts.php --id="$HOST" --qid="$DQ" >"$LAB/out/reindex"
is "$(sql "SELECT assert_value, arg1 FROM poller_reindex WHERE host_id = '$HOST' AND data_query_id = '$DQ'" | tr '\t' ' ')" \
	"5 $ROOT.1.1.1.2" "Index Count Changed: the poller watches dmarcDomainName's 5 rows"
cache_names() {
	sql "SELECT COUNT(*) FROM host_snmp_cache WHERE host_id = '$HOST'
		AND snmp_query_id = '$DQ' AND field_name = 'dmarcDomainName'"
}
lab_load late 3 2 192.0.2.66 example.org
poll
# poller.php hands the re-index to poller_commands.php in the background
_lab_wait reindex 30 sh -c "[ \"\$(mysql -N -B cacti -e \"SELECT COUNT(*) FROM host_snmp_cache WHERE host_id = '$HOST' AND snmp_query_id = '$DQ' AND field_name = 'dmarcDomainName'\")\" -eq 6 ]" &&
	st=0 || st=1
tap_result "$st" "example.org, first seen now: the poller re-indexes and finds a sixth row" \
	"$(cache_names) rows; $(tail -n 5 "$C/log/cacti.log")"
like "$(cache_rows)" "^[0-9]+ example\.org \((none|quarantine|reject|absent)\)$" \
	"named \"example.org (policy)\""
diag "seconds: MariaDB and Cacti's database $S_DB, imports $((S_IMPORT - S_DB)), device and graphs $((S_GRAPHS - S_IMPORT)), polls $((S_POLLS - S_GRAPHS)), graphs and re-index $((SECONDS - S_POLLS))"

tap_done
