/*
 * dns_counting.c: the counting resolver decorator (see dns_counting.h).
 */
#include <config.h>

#include <stdlib.h>

#include "metrics/dns_counting.h"

struct dc_state {
    struct dns_resolver inner;
    struct cs_store *cs;
};

static enum dns_status
dc_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    struct dc_state *s = arg;
    enum dns_status st;

    /* The inner resolver sets it only when the cache answers. */
    rep->cached = false;
    st = s->inner.query(s->inner.arg, qname, type, rep);
    cs_count_dns(s->cs, type, st, rep->cached);
    return st;
}

void *
dc_wrap(struct dns_resolver *r, void *cs)
{
    struct dc_state *s = malloc(sizeof(*s));

    if (s == NULL)
        return NULL;
    s->inner = *r;
    s->cs = cs;
    r->query = dc_query;
    r->arg = s;
    return s;
}

void
dc_unwrap(void *state)
{
    free(state);
}
