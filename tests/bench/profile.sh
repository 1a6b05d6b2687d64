#!/bin/bash
# profile.sh: where dmarc-milter's CPU goes under bench.sh's load, for
# the plain and the signed corpus at each number of messages per
# connection: perf record -g on the daemon while miltc sends, then the
# top entries of perf report (self and by library), and the same for the
# floor (null_filter --floor, or --floor-body for the signed corpus); or
# the daemon under callgrind (exact counts and callers, 50 times slower:
# use a small -n); or strace -c of the daemon and of the floor (the system
# calls each makes per message, which perf attributes to the kernel); or
# perf stat of both (CPU, page faults, context switches and thread
# creations per message: what a thread's exit and a new one's stack cost).
#
#   usage: tests/bench/profile.sh [-n N] [-p "1 50"] [-o DIR] [-t TOOL]
#     -n N        messages per profile (default 6000)      (as root)
#     -p "1 50"   messages per connection, one profile each
#     -o DIR      where perf.data and the reports go (default: the lab's)
#     -t TOOL     perf (default), callgrind, strace or stat
#     --corpus plain|signed|both   (default both)
# Environment: top_builddir, DM_MILTER as for bench.sh.
set -u
here=$(cd "$(dirname "$0")" && pwd)
: "${top_srcdir:=$(cd "$here/../.." && pwd)}"
: "${top_builddir:=$top_srcdir}"
export top_srcdir top_builddir
. "$top_srcdir/tests/lab/lab.sh"
LAB_DEMO=1 lab_enter "$@"
# shellcheck source=tests/bench/peers.sh
. "$here/peers.sh"

messages=6000 per_conns="1 50" outdir='' tool=perf corpora="plain signed"
while [ $# -gt 0 ]; do
	case $1 in
	-n) messages=$2; shift ;;
	-p) per_conns=$2; shift ;;
	-o) outdir=$2; shift ;;
	-t) tool=$2; shift ;;
	--corpus) corpora=${2/both/plain signed}; shift ;;
	*) sed -n '/^#   usage/,/^# Env/s/^# \{0,1\}//p' "$0" >&2; exit 2 ;;
	esac
	shift
done
miltc=$top_builddir/tests/tools/miltc
case $tool in
perf|stat) need=perf ;; callgrind) need=valgrind ;; strace) need=strace ;;
*) echo "profile.sh: -t perf, callgrind, strace or stat" >&2; exit 2 ;;
esac
command -v "$need" >/dev/null || { echo "profile.sh: $need not installed" >&2; exit 1; }

lab_init
: "${outdir:=$LAB/out}"
mkdir -p "$outdir"
MILTC=$miltc "$here/make-signed-corpus.sh" "$LAB/signed" 100 >"$LAB/log/corpus.log" 2>&1 ||
	lab_die "make-signed-corpus.sh failed: $(tail -n 3 "$LAB/log/corpus.log")"
LAB_ZONE_EXTRA=$LAB/signed/zone.extra
lab_nsd_start

# send NAME N PER_CONN: one miltc load against filter NAME
send() {
	"$miltc" -s "unix:${bp_sock[$1]}" -c "${bp_client[$1]}" -L "$2" -C 8 \
		-R "$3" "${bp_corpus[$1]}" 2>/dev/null | grep '^LOAD'
}

# perf_profile NAME PER_CONN: warm up, then perf record over one load
perf_profile() {
	local name=$1 pc=$2 out=$outdir/$1-$2 perf
	send "$name" 500 "$pc" >/dev/null
	perf record -q -g -F 2000 -o "$out.data" -p "${bp_pid[$name]}" 2>/dev/null &
	perf=$!
	sleep 0.5
	send "$name" "$messages" "$pc"
	kill -INT "$perf"
	wait "$perf"
	perf report -i "$out.data" --no-children --sort dso,sym --stdio 2>/dev/null |
		grep -v '^#' | grep -E '^ +[0-9]' | head -n 40 >"$out.self"
	perf report -i "$out.data" --no-children --sort dso --stdio 2>/dev/null |
		grep -v '^#' | grep -E '^ +[0-9]' >"$out.dso"
	echo "== $name, $pc per connection: by library ($(perf report -i "$out.data" \
		--stdio 2>/dev/null | sed -n 's/^# Samples: \([^ ]*\) .*/\1 samples/p' | head -n 1))"
	cat "$out.dso"
	echo "== $name, $pc per connection: top symbols (self)"
	head -n 25 "$out.self"
}

# strace_profile NAME PER_CONN: the system calls per message
strace_profile() {
	local name=$1 pc=$2 out=$outdir/$1-$2.strace st
	send "$name" 500 "$pc" >/dev/null
	strace -f -c -o "$out" -p "${bp_pid[$name]}" 2>/dev/null &
	st=$!
	sleep 0.5
	send "$name" "$messages" "$pc"
	kill -INT "$st"
	wait "$st"
	echo "== $name, $pc per connection: system calls per message"
	awk -v n="$messages" '$1 ~ /^[0-9.]+$/ && NF >= 5 {
		printf "%8.2f  %s\n", $4 / n, $NF }' "$out" | sort -rn | head -n 15
}

# stat_profile NAME PER_CONN: CPU, faults and switches per message
stat_profile() {
	local name=$1 pc=$2 out=$outdir/$1-$2.stat st
	send "$name" 500 "$pc" >/dev/null
	perf stat -x, -e task-clock,page-faults,context-switches,cpu-migrations \
		-e syscalls:sys_enter_clone3,syscalls:sys_enter_madvise \
		-o "$out" -p "${bp_pid[$name]}" 2>/dev/null &
	st=$!
	sleep 0.5
	send "$name" "$messages" "$pc"
	kill -INT "$st"
	wait "$st"
	echo "== $name, $pc per connection: per message (perf stat)"
	awk -F, -v n="$messages" '$1 ~ /^[0-9.]+$/ {
		printf "%12.3f  %s\n", $1 / n, $3 }' "$out"
}

# start NAME CORPUS CLIENT MODE: the daemon (MODE "" or DKIMSelfVerify),
# under callgrind for -t callgrind
start() {
	local keys=("SPFSelfValidate true" "RejectFailures true"
		"MetricsListen 127.0.0.1:9489")
	[ -z "$4" ] || keys+=("DKIMSelfVerify true")
	if [ "$tool" = callgrind ]; then
		printf '#!/bin/sh\nexec valgrind --tool=callgrind --callgrind-out-file=%s "%s" "$@"\n' \
			"$outdir/$1-callgrind.out" "$DM_MILTER" >"$LAB/run/vg-milter"
		chmod +x "$LAB/run/vg-milter"
		bp_milter_start "$1" "$LAB/run/vg-milter" "$2" "$3" "${keys[@]}"
	else
		bp_milter_start "$1" "$DM_MILTER" "$2" "$3" "${keys[@]}"
	fi
}

# one NAME CORPUS CLIENT MODE: each per-connection count
one() {
	local pc
	if [ "$tool" = callgrind ]; then
		for pc in $per_conns; do
			start "$1-$pc" "$2" "$3" "$4"
			send "$1-$pc" "$messages" "$pc"
			bp_stop "$1-$pc"
			echo "== $1, $pc per connection: callgrind (inclusive)"
			callgrind_annotate --inclusive=yes "$outdir/$1-$pc-callgrind.out" 2>/dev/null |
				sed -n '/^Ir/,$p' | head -n 45
		done
		return
	fi
	start "$1" "$2" "$3" "$4"
	for pc in $per_conns; do "${tool}_profile" "$1" "$pc"; done
	# the floor beside it, the same way
	bp_null_start "floor-$1" "--floor${4:+-body}" "$2" "$3"
	for pc in $per_conns; do "${tool}_profile" "floor-$1" "$pc"; done
	bp_stop "floor-$1"
	bp_stop "$1"
}

case " $corpora " in *" plain "*) one plain "$here/corpus" 192.0.2.50 "" ;; esac
case " $corpora " in *" signed "*) one signed "$LAB/signed/corpus" 192.0.2.81 dkim ;; esac
_lab_planned=1
