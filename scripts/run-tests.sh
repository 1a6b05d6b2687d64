#!/bin/sh
# run-tests.sh: the whole test suite, as CI runs it. Builds with
# -Werror, runs `make check` (unit tests, the milter-protocol tests and
# the Postfix lab), the same under ASan+UBSan, `make distcheck`, and a
# short libFuzzer run of every harness. Ends with "N passed, N failed".
# Run as root from the top of the source tree (the lab tests need
# unshare; without root they skip).
set -u

top=$(cd "$(dirname "$0")/.." && pwd)
cd "$top" || exit 1
jobs=$(nproc 2>/dev/null || echo 2)
passed=0
failed=0
fuzz_seconds=${DM_FUZZ_SECONDS:-30}

step() { printf '\n=== %s\n' "$*"; }

# Adds the PASS/FAIL counts of one test-suite.log to the totals.
count_suite() {
    log=$1
    if [ ! -f "$log" ]; then
        failed=$((failed + 1))
        return
    fi
    p=$(sed -n 's/^# PASS: *//p' "$log" | head -n1)
    f=$(sed -n 's/^# FAIL: *//p' "$log" | head -n1)
    e=$(sed -n 's/^# ERROR: *//p' "$log" | head -n1)
    x=$(sed -n 's/^# XPASS: *//p' "$log" | head -n1)
    passed=$((passed + ${p:-0}))
    failed=$((failed + ${f:-0} + ${e:-0} + ${x:-0}))
}

# TAP assertions are what the suite counts; test-suite.log counts them.
build_and_check() {
    dir=$1; shift
    rm -rf "$dir"
    mkdir -p "$dir"
    (cd "$dir" && "$top/configure" --enable-werror "$@" >configure.out 2>&1) ||
        { cat "$dir/configure.out"; failed=$((failed + 1)); return 1; }
    if ! make -C "$dir" -j"$jobs" >"$dir/make.out" 2>&1; then
        cat "$dir/make.out"
        failed=$((failed + 1))
        return 1
    fi
    # Every TAP line is in the logs; the console gets the totals and,
    # for a failure, the failing script's whole log.
    make -C "$dir" -j1 check >"$dir/check.out" 2>&1 || true
    grep -E '^(FAIL|ERROR|SKIP):|^# (TOTAL|PASS|SKIP|XFAIL|FAIL|XPASS|ERROR):' \
        "$dir/check.out" | sed 's/^/  /'
    count_suite "$dir/test-suite.log"
    if grep -q '^# FAIL: *[1-9]\|^# ERROR: *[1-9]' "$dir/test-suite.log" 2>/dev/null; then
        cat "$dir/test-suite.log"
    fi
}

# The README's first command builds in the source tree, which stops the
# out-of-tree builds below from configuring.
if [ -f config.status ]; then
    step "cleaning the in-tree build (make distclean)"
    make distclean >/dev/null 2>&1 || true
fi

step "autoreconf"
autoreconf -fi || { echo "0 passed, 1 failed"; exit 1; }

step "build with -Wall -Wextra -Werror and run make check"
build_and_check _build

step "ASan+UBSan build and make check"
# The Cacti test (minutes, no C of ours in the poller's path) runs once.
DM_SKIP_CACTI=1 ASAN_OPTIONS=detect_leaks=1:abort_on_error=1 \
LSAN_OPTIONS=suppressions="$top/tests/lsan.supp":print_suppressions=0 \
UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1 \
    build_and_check _build-asan --enable-sanitizers CFLAGS="-O1 -g"

step "make distcheck"
# The lab already ran twice; distcheck proves the tarball builds and the
# unit tests pass from it.
if DM_SKIP_LAB=1 make -C _build distcheck >_build/distcheck.out 2>&1; then
    passed=$((passed + 1))
    echo "distcheck: ok"
else
    tail -n 60 _build/distcheck.out
    failed=$((failed + 1))
fi

step "libFuzzer harnesses, ${fuzz_seconds}s each"
if command -v clang >/dev/null 2>&1; then
    for src in tests/fuzz/fuzz_*.c; do
        name=$(basename "$src" .c)
        if sh tests/fuzz/run-fuzzer.sh "$name" "$fuzz_seconds" _build-fuzz; then
            passed=$((passed + 1))
        else
            failed=$((failed + 1))
        fi
    done
else
    echo "clang not installed: fuzzing skipped"
fi

echo
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
