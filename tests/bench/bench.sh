#!/bin/bash
# bench.sh: the CPU dmarc-milter spends per message beside the floor (a
# libmilter filter that does no DMARC work but negotiates as a DMARC filter
# should), a plain do-nothing filter, and the filters operators pick
# instead: Debian's OpenDMARC, opendkim in front of it, and rspamd. All are
# measured in one run, on the same corpora and the same DNS (the lab's
# nsd), at each number of messages per connection, several times over, so
# that the noise is stated beside each figure. The machines are small and
# shared: only the ratios inside one run mean something.
#
#   usage: tests/bench/bench.sh [options]      (as root; make check first)
#     -n N          messages per measured run (default 20000)
#     -c N          concurrent connections (default 8)
#     -p "1 50"     messages per connection, one table each
#     -r N          runs of every filter at every -p (default 5): the
#                   figures are medians, [min-max] over the runs
#     -w N          warm-up messages before each run (default 500)
#     --corpus plain|signed|both   (default both); --signed = signed only
#     --peers "opendmarc rspamd"   the other filters (default both)
#     --raw FILE    keep every run's figures (one line each) in FILE
#     --before BIN  also measure BIN, an earlier dmarc-milter, with the same
#                   settings (metrics on port 9490), as "before": a change's
#                   before/after ratio taken in the same run
#
# The plain corpus is tests/bench/corpus/ (pass, reject, no record,
# subdomain, p=none). Against it: dmarc-milter (SPFSelfValidate and
# RejectFailures, the Prometheus endpoint and, when snmpd is installed, the
# AgentX subagent), the floor (null_filter --floor), the plain null filter,
# OpenDMARC and rspamd. The ratios are to the floor.
#
# The signed corpus is made for the run by make-signed-corpus.sh: 2-10 KB
# messages, three in four signed (rsa-sha256, 2048-bit keys published in
# the lab's zone, relaxed/relaxed), with forwarded mail altered after
# signing and spoofs. Against it: dmarc-milter with DKIMSelfVerify (and
# its per-message log line, as shipped), the body-taking floor (null_filter
# --floor-body), the chain (opendkim verifying, then OpenDMARC trusting its
# Authentication-Results: each measured on its own, OpenDMARC on a copy of
# the corpus that carries opendkim's header, and the two CPU figures
# summed) and rspamd. The ratios are to the body-taking floor; "crypto" is
# one RSA-2048 verification and the SHA-256 of each signed message's bytes
# per signed message, from `openssl speed` in the same run; the goal line
# divides dmarc-milter by 1.25 x the floor plus that.
#
# CPU is user+system time from /proc summed over the filter's process tree
# (children that exited included), read around each run; rspamd's work is
# done in its worker processes. rss_kb is the peak RSS summed over the
# tree (shared pages count once per process), pss_kb the proportional set
# at the end of the table. msg/s and p99 come from miltc's load mode (MAIL
# FROM to verdict, under the -c concurrency).
# Environment: top_builddir (default: the source tree), OPENDMARC
# (/usr/sbin/opendmarc), RSPAMD (/usr/bin/rspamd), OPENDKIM.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lab/lab.sh"
LAB_DEMO=1 lab_enter "$@"
# shellcheck source=tests/bench/peers.sh
. "$here/peers.sh"

messages=20000 conns=8 per_conns="1 50" runs=5 warm=500
corpora="plain signed" peers="opendmarc rspamd" raw='' before=''
while [ $# -gt 0 ]; do
	case $1 in
	-n) messages=$2; shift ;;
	-c) conns=$2; shift ;;
	-p) per_conns=$2; shift ;;
	-r) runs=$2; shift ;;
	-w) warm=$2; shift ;;
	--corpus)
		case $2 in
		plain | signed) corpora=$2 ;;
		both) corpora="plain signed" ;;
		*) echo "bench.sh: --corpus plain, signed or both" >&2; exit 2 ;;
		esac
		shift ;;
	--signed) corpora=signed ;;
	--peers) peers=$2; shift ;;
	--raw) raw=$2; shift ;;
	--before) before=$2; shift ;;
	*) sed -n '/^#   usage/,/^#$/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
	shift
done
miltc=$top_builddir/tests/tools/miltc
for f in "$miltc" "$top_builddir/tests/bench/null_filter" "$DM_MILTER" ${before:+"$before"}; do
	[ -x "$f" ] || { echo "bench.sh: no $f (run make check first)" >&2; exit 1; }
done

lab_init
figures=$LAB/out/figures
: >"$figures"
have_peer() { case " $peers " in *" $1 "*) [ -x "$2" ] ;; *) return 1 ;; esac; }
wants() { case " $corpora " in *" $1 "*) return 0 ;; esac; return 1; }
have_peer rspamd "$RSPAMD" && bp_rspamd_start
if wants signed; then
	if command -v "$OPENDKIM" >/dev/null && command -v opendkim-genkey >/dev/null; then
		MILTC=$miltc "$here/make-signed-corpus.sh" "$LAB/signed" 100 >"$LAB/log/corpus.log" 2>&1 ||
			lab_die "make-signed-corpus.sh failed: $(tail -n 3 "$LAB/log/corpus.log")"
		LAB_ZONE_EXTRA=$LAB/signed/zone.extra
	else
		echo "opendkim or opendkim-genkey not installed: no signed corpus"
		corpora=${corpora//signed/}
	fi
fi
lab_nsd_start
snmp=
if command -v snmpd >/dev/null 2>&1; then
	lab_snmpd_start
	snmp=1
else
	echo "snmpd not installed: dmarc-milter runs without AgentX"
fi

# tree_stat ROOT: "TICKS HWM_KB PSS_KB" summed over ROOT and its
# descendants; TICKS is utime+stime+cutime+cstime (clock ticks)
tree_stat() {
	awk -v root="$1" '
		FNR == 1 && FILENAME ~ /\/stat$/ {
			pid = $1 + 0; line = $0; sub(/^.*\) /, "", line)
			split(line, f, " "); up[pid] = f[2]
			t[pid] = f[12] + f[13] + f[14] + f[15]
		}
		END {
			n = 1; tree[1] = root; in_tree[root] = 1
			for (grew = 1; grew; ) {
				grew = 0
				for (p in up)
					if (!(p in in_tree) && (up[p] in in_tree)) {
						in_tree[p] = 1; tree[++n] = p; grew = 1
					}
			}
			for (i = 1; i <= n; i++) {
				ticks += t[tree[i]]
				while ((getline l < ("/proc/" tree[i] "/status")) > 0)
					if (l ~ /^VmHWM:/) { split(l, g, " "); hwm += g[2] }
				close("/proc/" tree[i] "/status")
				while ((getline l < ("/proc/" tree[i] "/smaps_rollup")) > 0)
					if (l ~ /^Pss:/) { split(l, g, " "); pss += g[2] }
				close("/proc/" tree[i] "/smaps_rollup")
			}
			print ticks + 0, hwm + 0, pss + 0
		}' /proc/[0-9]*/stat 2>/dev/null
}

# field LINE KEY: KEY=value from a LOAD line
field() {
	printf '%s\n' "$1" | sed -n "s/.* $2=\([0-9.]*\).*/\1/p"
}

# load NAME N PER_CONN: one miltc load run against filter NAME; prints its
# LOAD line
load() {
	"$miltc" -s "unix:${bp_sock[$1]}" -c "${bp_client[$1]}" -L "$2" \
		-C "$conns" -R "$3" "${bp_corpus[$1]}" 2>>"$LAB/log/miltc.log" | grep '^LOAD'
}

hz=$(getconf CLK_TCK)
# measure TABLE RUN PER_CONN NAME: warm-up, then one measured run; one line
# to the figures: table per_conn run filter cpu_s/1k msg/s p99 errors verdicts
measure() {
	local t=$1 run=$2 pc=$3 name=$4 out s0 s1 cpu verdicts
	load "$name" "$warm" "$pc" >/dev/null
	s0=$(tree_stat "${bp_pid[$name]}")
	out=$(load "$name" "$messages" "$pc")
	s1=$(tree_stat "${bp_pid[$name]}")
	cpu=$(awk -v a="${s0%% *}" -v b="${s1%% *}" -v hz="$hz" -v n="$messages" \
		'BEGIN { printf "%.4f", (b - a) / hz / n * 1000 }')
	verdicts=$(printf '%s\n' "$out" | sed -n 's/.*results: //p' |
		sed 's/ errors=.*//; s/[a-z]*=0 *//g; s/ \{1,\}/,/g; s/,$//')
	echo "$t $pc $run $name $cpu $(field "$out" rate) $(field "$out" p99_ms)" \
		"$(field "$out" errors) ${verdicts:-none}" >>"$figures"
}

# table TABLE FILTER...: every run of every filter at every per-connection
# count, the filters' order turned by one at each run
table() {
	local t=$1 run pc i n first
	shift
	local names=("$@")
	n=${#names[@]}
	for run in $(seq 1 "$runs"); do
		for pc in $per_conns; do
			for i in $(seq 0 $((n - 1))); do
				measure "$t" "$run" "$pc" "${names[$(((i + run) % n))]}"
			done
		done
		echo "$t: run $run of $runs done" >&2
	done
	for i in "${names[@]}"; do
		echo "$t mem $i $(tree_stat "${bp_pid[$i]}" | cut -d' ' -f2-)" >>"$figures"
		first=("${bp_corpus[$i]}"/*)
		echo "$t proto $i $("$miltc" -v -s "unix:${bp_sock[$i]}" \
			-c "${bp_client[$i]}" "${first[0]}" |
			sed -n 's/^OPTNEG .*protocol=//p')" >>"$figures"
	done
}

common=("SPFSelfValidate true" "RejectFailures true")
mine=("MetricsListen 127.0.0.1:9489")
[ -z "$snmp" ] || mine+=("AgentX true" "AgentXSocket $LAB/snmp/agentx.sock")
before_keys=("${mine[@]/9489/9490}")

# before_start CORPUS CLIENT 'Key value'...: the earlier binary, if asked
before_start() {
	[ -n "$before" ] || return 0
	bp_milter_start before "$before" "$@" "${before_keys[@]}"
	names+=(before)
}

if wants plain; then
	names=(dmarc-milter floor null-filter)
	bp_milter_start dmarc-milter "$DM_MILTER" "$here/corpus" 192.0.2.50 \
		"${common[@]}" "${mine[@]}"
	bp_null_start floor --floor "$here/corpus" 192.0.2.50
	bp_null_start null-filter --plain "$here/corpus" 192.0.2.50
	before_start "$here/corpus" 192.0.2.50 "${common[@]}"
	if have_peer opendmarc "$OPENDMARC"; then
		bp_milter_start opendmarc "$OPENDMARC" "$here/corpus" 192.0.2.50 \
			"${common[@]}"
		names+=(opendmarc)
	fi
	[ -z "${bp_pid[rspamd]:-}" ] || { bp_rspamd_use "$here/corpus" 192.0.2.50; names+=(rspamd); }
	table plain "${names[@]}"
	bp_check_metrics
	bp_stop dmarc-milter floor null-filter opendmarc before
fi

if wants signed; then
	sc=$LAB/signed/corpus
	crypto=$(bp_crypto "$sc")
	names=(dmarc-milter floor-body)
	bp_milter_start dmarc-milter "$DM_MILTER" "$sc" 192.0.2.81 \
		"${common[@]}" "${mine[@]}" "DKIMSelfVerify true"
	bp_null_start floor-body --floor-body "$sc" 192.0.2.81
	before_start "$sc" 192.0.2.81 "${common[@]}" "DKIMSelfVerify true"
	if have_peer opendmarc "$OPENDMARC"; then
		bp_opendkim_start opendkim "$sc" 192.0.2.81
		bp_chain_corpus opendkim "$sc" "$LAB/signed/chain"
		bp_milter_start opendmarc "$OPENDMARC" "$LAB/signed/chain" 192.0.2.81 \
			"${common[@]}" "TrustedAuthservIDs $LAB_AUTHSERV"
		names+=(opendkim opendmarc)
	fi
	[ -z "${bp_pid[rspamd]:-}" ] || { bp_rspamd_use "$sc" 192.0.2.81; names+=(rspamd); }
	table signed "${names[@]}"
	# news.example's SPF fails: it passes DMARC only with its signature
	f=$(grep -l '^From: .*@news\.example' "$sc"/*-direct.eml | head -n 1)
	for i in dmarc-milter opendmarc rspamd; do
		bp_expect "$i" "${bp_corpus[$i]:-$sc}/${f##*/}" 'dmarc=pass' \
			"DMARC pass through DKIM alone (${f##*/})"
	done
	crypto="$crypto $(bp_crypto "$sc")"
	echo "signed crypto $crypto" >>"$figures"
	bp_stop dmarc-milter floor-body opendkim opendmarc before
fi
bp_stop rspamd

[ -z "$raw" ] || cp "$figures" "$raw"
echo
echo "messages=$messages per run, connections=$conns, runs=$runs, warm-up=$warm;" \
	"$(nproc) CPUs, load average $(cut -d' ' -f1-3 /proc/loadavg)"
awk -f "$here/bench-table.awk" "$figures"
_lab_planned=1
