/*
 * fuzz_from.c: libFuzzer target for fh_parse().
 *
 * clang -fsanitize=fuzzer,address,undefined -I. ... dmarc/from_header.c
 *   dns/domain_name.c tests/fuzz/fuzz_from.c -lidn2
 * ./fuzz_from tests/fuzz/corpus_from
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/from_header.h"
#include "tests/fuzz/fuzz.h"

/* Beyond "no crash": what the rest of the milter relies on. */
static void
fuzz_check(enum fh_status st, const struct fh_result *res)
{
    if (res->count > FH_MAX_ADDRS)
        abort();
    if (st == FH_OK && res->count == 0)
        abort();
    if (st == FH_EMPTY && res->count != 0)
        abort();
    for (size_t i = 0; i < res->count; i++) {
        const char *d = res->domain[i];
        size_t n = fuzz_len(d, DM_DOMAIN_MAX);

        if (n == 0)
            abort();
        for (size_t j = 0; j < n; j++) {
            unsigned char c = (unsigned char)d[j];

            /* Normalised: lower-case LDH (and "_") labels, no "@". */
            if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
                  c == '-' || c == '_' || c == '.'))
                abort();
        }
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fh_result res;
    enum fh_status st = fh_parse((const char *)data, size, &res);

    fuzz_check(st, &res);
    return 0;
}
