#!/bin/sh
# run-fuzzer.sh NAME SECONDS BUILDDIR: build one libFuzzer harness from
# tests/fuzz/NAME.c with the pure core sources, then run it on its seed
# corpus (tests/fuzz/corpus_*/) for SECONDS (0: build only, as `make fuzz`
# does). Fails on any crash, leak or undefined behaviour.
set -eu

name=$1
seconds=$2
out=$3
top=$(cd "$(dirname "$0")/../.." && pwd)
mkdir -p "$out/$name.corpus"
cat >"$out/config.h" <<EOC
#define _GNU_SOURCE 1
#define PACKAGE_NAME "dmarc-milter"
#define PACKAGE_VERSION "fuzz"
#define DM_SYSTEM_PSL_FILE "/usr/share/publicsuffix/public_suffix_list.dat"
EOC
# Every source of the libraries below the daemon, so the list never lags
# behind the tree (libFuzzer brings its own main).
core=""
for f in "$top"/util/*.c "$top"/dns/*.c "$top"/dmarc/*.c "$top"/config/*.c \
    "$top"/auth/*.c; do
    core="$core $f"
done
# What some harnesses need beyond the core.
case $name in
fuzz_config)
    core="$core $top/metrics/mx_keys.c $top/agentx/ax_keys.c"
    core="$core $top/report/rp_keys.c $top/report/destination.c" ;;
fuzz_state) core="$core $top/metrics/counter_store.c $top/metrics/state_file.c" ;;
fuzz_history) core="$core $top/report/history.c $top/report/history_read.c" ;;
fuzz_dest) core="$core $top/report/destination.c" ;;
fuzz_ledger)
    core="$core $top/report/ledger.c $top/report/rbuf.c $top/report/mail.c"
    core="$core $(pkg-config --libs zlib)" ;;
fuzz_http)
    for f in counter_store dns_counting exposition proc_stats http_endpoint; do
        core="$core $top/metrics/$f.c"
    done
    core="$core $(pkg-config --libs libmicrohttpd zlib) -lcrypt -lm" ;;
esac
flags="-std=c11 -g -O1 -fsanitize=fuzzer,address,undefined"
flags="$flags -fno-sanitize-recover=undefined"
# scripts/fuzz-deep.sh builds again for coverage with flags of its own.
flags=${DM_FUZZ_FLAGS:-$flags}
# shellcheck disable=SC2086,SC2046 # flags, core and pkg-config's output are word lists
clang $flags -I"$out" -I"$top" -DSYSCONFDIR='"/etc"' \
    -o "$out/$name" "$top/tests/fuzz/$name.c" $core \
    $(pkg-config --cflags --libs libpsl libidn2 opendkim libcrypto) -lspf2 \
    -lresolv -lpthread
[ "$seconds" -gt 0 ] || { echo "built $out/$name"; exit 0; }
seed="$top/tests/fuzz/corpus_${name#fuzz_}"
[ -d "$seed" ] || seed=""
echo "fuzzing $name for ${seconds}s"
# shellcheck disable=SC2086
"$out/$name" -max_total_time="$seconds" -max_len=8192 -timeout=10 \
    -artifact_prefix="$out/$name-" \
    -print_final_stats=1 "$out/$name.corpus" $seed 2>"$out/$name.log" ||
    { tail -n 40 "$out/$name.log"; exit 1; }
grep -E '^stat::number_of_executed_units' "$out/$name.log" || true
