/*
 * fuzz_record.c: libFuzzer harness for the DMARC record and domain name
 * parsers. Besides "no crash", it checks properties that must hold for
 * any input, so a wrong answer aborts as loudly as a bad read.
 *
 *   clang -fsanitize=fuzzer,address,undefined -I<config.h dir> -Imilter \
 *       tests/fuzz/fuzz_record.c dmarc/dmarc_record.c \
 *       dns/domain_name.c -lidn2 -o fuzz_record
 *   ./fuzz_record -max_total_time=60 tests/fuzz/corpus_record
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_record.h"
#include "dns/domain_name.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void
check_record(const char *txt, size_t len)
{
    struct dmarc_record rec;
    const char *why = NULL;
    enum dmarc_record_status st = dmarc_record_parse(txt, len, &rec, &why);

    if ((st == DMARC_RECORD_NOT_DMARC) == dmarc_record_is_dmarc(txt, len))
        abort();
    if (st == DMARC_RECORD_INVALID && why == NULL)
        abort();
    if (st != DMARC_RECORD_OK)
        return;
    if (rec.pct < 0 || rec.pct > 100)
        abort();
    if (rec.p < DM_POLICY_NONE || rec.p > DM_POLICY_REJECT ||
        rec.sp < DM_POLICY_NONE || rec.sp > DM_POLICY_REJECT ||
        rec.np < DM_POLICY_NONE || rec.np > DM_POLICY_REJECT)
        abort();
    if (rec.psd != 'y' && rec.psd != 'n' && rec.psd != 'u')
        abort();
    if (rec.p_from_rua_fallback &&
        (!rec.has_rua || rec.p != DM_POLICY_NONE || rec.sp != DM_POLICY_NONE))
        abort();
}

static void
check_domain(const char *in, size_t len)
{
    char out[DM_DOMAIN_MAX], again[DM_DOMAIN_MAX];
    enum dn_status st = dn_normalize(in, len, out, sizeof(out));
    size_t n = strlen(out);

    if (st != DN_OK) {
        if (out[0] != '\0')
            abort();
        return;
    }
    if (n == 0 || n > 253)
        abort();
    /* A normalised name is a fixed point. */
    if (dn_normalize(out, n, again, sizeof(again)) != DN_OK ||
        strcmp(out, again) != 0)
        abort();
    if (!dn_is_subdomain(out, out))
        abort();
    for (const char *dot = strchr(out, '.'); dot; dot = strchr(dot + 1, '.')) {
        if (!dn_is_subdomain(out, dot + 1))
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    /* A copy of exactly size bytes, so ASan catches any read past len. */
    char *buf = malloc(size ? size : 1);

    if (buf == NULL)
        return 0;
    if (size > 0)
        memcpy(buf, data, size);
    check_record(buf, size);
    check_domain(buf, size);
    free(buf);
    return 0;
}
