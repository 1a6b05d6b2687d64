#!/bin/sh
# bench-reports.sh: dmarc-reports over 1,000,000 history records (our
# writer's, through gen_history: 1,000 domains, 50,000 client addresses,
# one UTC day): wall time, CPU time and peak resident memory of the
# aggregation alone (--dry-run: read, count, build each report's XML) and
# of one whole run that also stages every report gzip'ed in a fresh state
# directory, commits, and writes each to --outdir. The goal: under 10 s
# and under 200 MB. The load average is printed: on a shared machine,
# other work slows both.
#   BENCH_RECORDS=N (1000000), BENCH_DIR (a temporary directory)
set -eu
: "${top_builddir:=.}"
N=${BENCH_RECORDS:-1000000}
dir=${BENCH_DIR:-$(mktemp -d /tmp/bench-reports.XXXXXX)}
gen=$top_builddir/tests/bench/gen_history
prog=$top_builddir/dmarc-reports
if [ ! -x "$gen" ] || [ ! -x "$prog" ]; then echo "build first: make && make check TESTS="; exit 1; fi
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
fmt='%e s wall, %U s user, %S s system, %M KB peak RSS'
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
/usr/bin/time -f "aggregation alone: $fmt" "$prog" -c "$dir/conf" \
    --history "$dir/history" --end $((start + 86400)) \
    --state-dir "$dir/state-dry" --dry-run >/dev/null 2>"$dir/log" || {
    cat "$dir/log"; exit 1; }
grep -E 'wall' "$dir/log"
/usr/bin/time -f "whole run: $fmt" "$prog" -c "$dir/conf" \
    --history "$dir/history" --end $((start + 86400)) \
    --state-dir "$dir/state" --outdir "$dir/out" 2>"$dir/log" || {
    cat "$dir/log"; exit 1; }
grep -E 'records, .* reports built|wall' "$dir/log"
echo "load average after: $(cut -d' ' -f1-3 /proc/loadavg)"
echo "reports written: $(find "$dir/out" -mindepth 1 -maxdepth 1 | wc -l), $(du -sm "$dir/out" | cut -f1) MB gzip'ed"
