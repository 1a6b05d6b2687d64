#!/bin/sh
# bench-reports.sh: dmarc-reports over 1,000,000 history records (our
# writer's, through gen_history: 1,000 domains, 50,000 client addresses,
# one UTC day): wall time, CPU time and peak resident memory of one run
# that reads, aggregates and writes every report (--outdir, a fresh state
# directory). The goal: under 10 s and under 200 MB.
#   BENCH_RECORDS=N (1000000), BENCH_DIR (a temporary directory)
set -eu
: "${top_builddir:=.}"
N=${BENCH_RECORDS:-1000000}
dir=${BENCH_DIR:-$(mktemp -d /tmp/bench-reports.XXXXXX)}
gen=$top_builddir/tests/bench/gen_history
prog=$top_builddir/dmarc-reports
[ -x "$gen" ] && [ -x "$prog" ] || { echo "build first: make && make check TESTS="; exit 1; }
command -v /usr/bin/time >/dev/null || { echo "needs GNU time (/usr/bin/time)"; exit 1; }
trap 'rm -rf "$dir"' EXIT
mkdir -p "$dir/out"
cat >"$dir/conf" <<EOC
Socket unix:$dir/sock
ReportContact dmarc-reports@bench.test
PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat
EOC
start=1732233600
"$gen" "$N" "$start" 86400 1000 50000 >"$dir/history"
echo "history: $N records, $(du -m "$dir/history" | cut -f1) MB"
/usr/bin/time -f '%e s wall, %U s user, %S s system, %M KB peak RSS' \
    "$prog" -c "$dir/conf" --history "$dir/history" --end $((start + 86400)) \
    --state-dir "$dir/state" --outdir "$dir/out" 2>"$dir/log" || {
    cat "$dir/log"; exit 1; }
grep -E 'records, .* reports built|wall' "$dir/log"
echo "reports written: $(ls "$dir/out" | wc -l)"
