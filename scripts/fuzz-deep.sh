#!/bin/sh
# fuzz-deep.sh: the pre-release fuzzing run (`make fuzz-deep`, not CI).
# Each target of tests/fuzz/ is built with ASan and UBSan and run for
# DM_FUZZ_RUNS executions (default 10 million), one target at a time,
# niced; the corpus it grew is merged into tests/fuzz/corpus_<target>/
# (only inputs that reach an edge nothing else does: the tree stays
# small). Then a coverage
# build replays each corpus and the script prints, per target,
# executions, corpus files, and line and branch coverage of that
# target's parser sources alone (llvm-cov).
#
#   sh scripts/fuzz-deep.sh [BUILDDIR]          (default: tests/fuzz-deep)
#   DM_FUZZ_RUNS=100000 DM_FUZZ_TARGETS="from ar" sh scripts/fuzz-deep.sh
#   DM_FUZZ_MAX_TIME=600: stop a target after 600 s even before its runs
#   DM_FUZZ_MERGE=0: leave tests/fuzz/ as it is (a smoke run)
#   DM_FUZZ_JOBS=N: N parallel jobs per target, the runs split among
#   them (default 1; 6 for http, which mostly waits on its socket)
# Fails when a target crashes, leaks or trips a sanitizer; the input is
# left in BUILDDIR as <target>-crash-*, and the other targets still run.
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-tests/fuzz-deep}
runs=${DM_FUZZ_RUNS:-10000000}
max_time=${DM_FUZZ_MAX_TIME:-0}
merge=${DM_FUZZ_MERGE:-1}
mkdir -p "$out/asan" "$out/cov" || exit 1
out=$(cd "$out" && pwd)

if [ -n "${DM_FUZZ_TARGETS:-}" ]; then
    targets=$DM_FUZZ_TARGETS
else
    targets=$(for f in "$top"/tests/fuzz/fuzz_*.c; do
        n=$(basename "$f" .c); echo "${n#fuzz_}"; done)
fi

# The parser sources each target exists for: what its coverage is of.
# A new harness needs its line here.
fd_parser() {
    case $1 in
    ar) echo dmarc/ar_parse.c dmarc/rfc5322.c ;;
    config) echo config/config.c config/cf_diag.c config/cf_set.c \
        config/cf_warn.c \
        config/ip_list.c util/line_reader.c ;;
    dest) echo report/destination.c ;;
    dns) echo dns/dns_txt.c ;;
    from) echo dmarc/from_header.c dmarc/rfc5322.c ;;
    history) echo report/history_read.c report/history.c ;;
    http) echo metrics/http_endpoint.c metrics/exposition.c ;;
    iplist) echo config/ip_list.c ;;
    ledger) echo report/ledger.c ;;
    record) echo dmarc/dmarc_record.c dns/domain_name.c ;;
    rspf) echo dmarc/received_spf.c dmarc/rfc5322.c ;;
    state) echo metrics/state_file.c ;;
    *) return 1 ;;
    esac
}

# Parallel jobs per target (DM_FUZZ_JOBS overrides): http spends most of
# each unit waiting on its socket (a fifth of a CPU each), so six jobs do
# six times the work on the same two cores; the others are CPU-bound.
fd_jobs() {
    if [ -n "${DM_FUZZ_JOBS:-}" ]; then echo "$DM_FUZZ_JOBS"; return; fi
    case $1 in http) echo 6 ;; *) echo 1 ;; esac
}

# One target under ASan+UBSan: run, then merge what it found.
fd_fuzz() {
    t=$1 bin=$out/asan/fuzz_$1 seed=$top/tests/fuzz/corpus_$1 work=$out/work_$1
    rm -rf "$work"
    mkdir -p "$work" "$seed"
    jobs=$(fd_jobs "$t") jobargs=""
    [ "$jobs" -gt 1 ] && jobargs="-jobs=$jobs -workers=$jobs"
    rm -f "$out/$t".job-*.log
    # Several jobs share the work corpus (each reloads what the others
    # found) and split the runs; each writes fuzz-<n>.log where it runs.
    # shellcheck disable=SC2086
    (cd "$out" && rm -f fuzz-*.log &&
     nice -n 19 "$bin" -runs=$(((runs + jobs - 1) / jobs)) \
        -max_total_time="$max_time" $jobargs \
        -max_len=8192 -timeout=10 -print_final_stats=1 \
        -artifact_prefix="$out/$t-" "$work" "$seed") >"$out/$t.log" 2>&1
    rc=$?
    for f in "$out"/fuzz-*.log; do
        [ -e "$f" ] && mv "$f" "$out/$t.job-${f##*/fuzz-}"
    done
    # A job's finding shows in its own log, whatever the parent returned.
    if grep -qE '^==[0-9]+==ERROR|runtime error|^SUMMARY:' \
        "$out/$t.log" "$out/$t".job-*.log 2>/dev/null; then
        [ $rc -ne 0 ] || rc=1
    fi
    # The parent's log repeats each job's at its end: count the jobs'.
    logs=$out/$t.log
    [ "$jobs" -gt 1 ] && logs=$(ls "$out/$t".job-*.log)
    # shellcheck disable=SC2086
    execs=$(cat $logs 2>/dev/null |
        sed -n 's/^stat::number_of_executed_units: *//p' |
        awk '{ n += $1 } END { if (NR) print n }')
    # shellcheck disable=SC2086
    secs=$(cat $logs 2>/dev/null |
        grep -o 'Done [0-9]* runs in [0-9]* second' |
        awk '$5 + 0 > s + 0 { s = $5 } END { if (NR) print s + 0 }')
    # The hand-written seeds stay; what earlier runs added (files named
    # by their SHA-1) is minimized again with this run's finds, on edges
    # alone (hit counts would keep hundreds of files more).
    if [ "$merge" = 1 ]; then
        rm -rf "$work.prev"
        mkdir -p "$work.prev"
        find "$seed" -type f -regextype posix-extended \
            -regex '.*/[0-9a-f]{40}' \
            -exec mv {} "$work.prev/" \;
        nice -n 19 "$bin" -merge=1 -use_counters=0 -max_len=8192 \
            -timeout=10 "$seed" "$work.prev" "$work" \
            >"$out/$t.merge.log" 2>&1 ||
            { echo "$t: merge failed, see $out/$t.merge.log";
              mv "$work.prev"/* "$seed/" 2>/dev/null; }
    fi
    echo "$t ${execs:--} ${secs:--}" >>"$out/execs"
    if [ $rc -ne 0 ]; then
        echo "$t: FINDING (exit $rc), see $out/$t.log:"
        grep -E 'ERROR|runtime error|Test unit written' "$out/$t.log" | head
        return 1
    fi
    echo "$t: ${execs:--} executions in ${secs:--} s"
}

# One target's coverage: replay its corpus, report its parser's files.
fd_cover() {
    t=$1 bin=$out/cov/fuzz_$1 seed=$top/tests/fuzz/corpus_$1
    files=""
    for f in $(fd_parser "$t"); do files="$files $top/$f"; done
    rm -f "$out/cov/$t".*.profraw
    LLVM_PROFILE_FILE="$out/cov/$t.%p.profraw" nice -n 19 "$bin" -runs=0 \
        -max_len=8192 -timeout=10 "$seed" >"$out/cov/$t.log" 2>&1
    llvm-profdata merge -sparse -o "$out/cov/$t.profdata" \
        "$out/cov/$t".*.profraw || return 1
    # shellcheck disable=SC2086
    llvm-cov report "$bin" -instr-profile="$out/cov/$t.profdata" $files \
        >"$out/cov/$t.report" || return 1
    # TOTAL ... Lines Missed Cover Branches Missed Cover
    awk '$1 == "TOTAL" { print $(NF-3), $NF }' "$out/cov/$t.report"
}

failed=0
: >"$out/execs"
for t in $targets; do
    fd_parser "$t" >/dev/null ||
        { echo "$t: no parser sources listed in $0"; exit 1; }
    if ! sh "$top/tests/fuzz/run-fuzzer.sh" "fuzz_$t" 0 "$out/asan" \
        >/dev/null; then
        echo "$t: build failed"; failed=1; continue
    fi
    fd_fuzz "$t" || failed=1
done

cflags="-std=c11 -g -O1 -fsanitize=fuzzer -fprofile-instr-generate"
cflags="$cflags -fcoverage-mapping"
sum=$out/summary.md
{
    echo "| target | executions | seconds | corpus files | lines | branches |"
    echo "|---|---:|---:|---:|---:|---:|"
} >"$sum"
for t in $targets; do
    if ! DM_FUZZ_FLAGS=$cflags sh "$top/tests/fuzz/run-fuzzer.sh" \
        "fuzz_$t" 0 "$out/cov" >/dev/null; then
        echo "$t: coverage build failed" >&2; failed=1; continue
    fi
    cov=$(fd_cover "$t") || { echo "$t: coverage failed" >&2; failed=1; }
    files=$(find "$top/tests/fuzz/corpus_$t" -type f | wc -l)
    # shellcheck disable=SC2046
    set -- $(awk -v t="$t" '$1 == t { print $2, $3 }' "$out/execs") - -
    # shellcheck disable=SC2086
    set -- "$1" "$2" $cov - -
    echo "| $t | $1 | $2 | $files | $3 | $4 |" >>"$sum"
done
echo
cat "$sum"
exit $failed
