/*
 * zone_table.h: a table of DNS answers for the engine's unit tests. The
 * engine takes any resolver; the integration tests use a real nsd.
 */
#ifndef DM_ZONE_TABLE_H
#define DM_ZONE_TABLE_H

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dns/dns_txt.h"

#define ZONE_LOG_MAX 32

struct zone_rr {
    const char *name;
    enum dns_status st;
    const char *txt[3];
};

/* The answer the table z[0..n) gives for qname; unknown names: NXDOMAIN. */
static inline enum dns_status
zone_answer(const struct zone_rr *z, size_t n, const char *qname,
            struct dns_txt_answer *ans)
{
    ans->count = 0;
    for (size_t i = 0; i < n; i++) {
        if (strcasecmp(z[i].name, qname) != 0)
            continue;
        for (size_t k = 0; k < 3 && z[i].txt[k] != NULL; k++) {
            ans->rr[k].len = strlen(z[i].txt[k]);
            memcpy(ans->rr[k].data, z[i].txt[k], ans->rr[k].len + 1);
            ans->count++;
        }
        return z[i].st;
    }
    return DNS_NXDOMAIN;
}

/* A table as a resolver (the arg of zone_table_lookup), which counts the
 * lookups and keeps the first ZONE_LOG_MAX names asked, in order. */
struct zone_table {
    const struct zone_rr *rr;
    size_t n;
    int lookups;
    char log[ZONE_LOG_MAX][300];
};

#define ZONE_TABLE(rrs) { (rrs), sizeof(rrs) / sizeof((rrs)[0]), 0, { "" } }

static inline enum dns_status
zone_table_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    struct zone_table *t = arg;

    if (t->lookups < ZONE_LOG_MAX)
        snprintf(t->log[t->lookups], sizeof(t->log[0]), "%s", qname);
    t->lookups++;
    return zone_answer(t->rr, t->n, qname, ans);
}

#endif
