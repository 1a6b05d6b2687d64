/*
 * fuzz_ar.c: libFuzzer target for ar_parse().
 *
 * clang -fsanitize=fuzzer,address,undefined -I. ... dmarc/ar_parse.c
 *   dmarc/verdict.c tests/fuzz/fuzz_ar.c
 * ./fuzz_ar tests/fuzz/corpus_ar
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/ar_parse.h"
#include "tests/fuzz/fuzz.h"

/* Heap, like every caller: the struct is about 100 KB. */
static struct ar_header *fuzz_h;

/* Method, result, ptype and property: non-empty lower-case keywords. */
static void
fuzz_keyword(const char *s, size_t size)
{
    size_t n = fuzz_len(s, size);

    if (n == 0)
        abort();
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_'))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bool ok;

    if (fuzz_h == NULL && (fuzz_h = malloc(sizeof(*fuzz_h))) == NULL)
        abort();
    ok = ar_parse((const char *)data, size, fuzz_h);
    if (!ok) {
        if (fuzz_h->authserv_id[0] != '\0' || fuzz_h->nresults != 0)
            abort();
        return 0;
    }
    if (fuzz_len(fuzz_h->authserv_id, AR_ID_MAX) == 0 ||
        fuzz_h->nresults > AR_MAX_RESULTS)
        abort();
    for (size_t i = 0; i < fuzz_h->nresults; i++) {
        const struct ar_result *r = &fuzz_h->results[i];

        fuzz_keyword(r->method, AR_TOKEN_MAX);
        fuzz_keyword(r->result_word, AR_TOKEN_MAX);
        if (r->nprops > AR_MAX_PROPS || r->result >= DM_AUTH__COUNT)
            abort();
        for (size_t j = 0; j < r->nprops; j++) {
            const struct ar_prop *p = &r->props[j];

            fuzz_keyword(p->ptype, AR_TOKEN_MAX);
            fuzz_keyword(p->name, AR_TOKEN_MAX);
            fuzz_len(p->value, AR_VALUE_MAX);
            if (ar_prop_get(r, p->ptype, p->name) == NULL)
                abort();
        }
    }
    return 0;
}
