/*
 * fixtures_store.c: the metrics tests' counter-store helpers (see
 * fixtures.h), apart from fixtures.c so that the engine's tests need not
 * link the metrics library.
 */
#include <config.h>

#include <stdio.h>

#include "metrics/counter_store.h"
#include "tests/unit/fixtures.h"

struct cs_store *
fx_store(size_t max_domains)
{
    char err[256];
    struct cs_store *cs = cs_new(max_domains, err, sizeof(err));

    if (cs == NULL)
        fx_bail("cs_new: %s", err);
    return cs;
}

static bool
fx_count_row(const struct cs_row_view *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return true;
}

int
fx_store_rows(const struct cs_store *cs)
{
    int n = 0;

    cs_foreach_row(cs, fx_count_row, &n);
    return n;
}
