/*
 * dns_counting.c: the counting resolver decorator (see dns_counting.h).
 */
#include <config.h>

#include <stdlib.h>

#include "dns_counting.h"

struct dc_state {
    struct dns_txt_resolver inner;
    struct cs_store *cs;
};

static enum dns_status
dc_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    struct dc_state *s = arg;
    enum dns_status st = s->inner.lookup(s->inner.arg, qname, ans);

    cs_count_dns(s->cs, st);
    return st;
}

void *
dc_wrap(struct dns_txt_resolver *r, void *cs)
{
    struct dc_state *s = malloc(sizeof(*s));

    if (s == NULL)
        return NULL;
    s->inner = *r;
    s->cs = cs;
    r->lookup = dc_lookup;
    r->arg = s;
    return s;
}

void
dc_unwrap(void *state)
{
    free(state);
}
