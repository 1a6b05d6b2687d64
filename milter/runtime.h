/*
 * runtime.h: the running configuration and what is built from it (the
 * public suffix list, resolver settings), swapped whole on a reload.
 *
 * A connection holds a reference for its lifetime, so a reload never
 * changes the rules in the middle of a message and never waits for one.
 */
#ifndef DM_RUNTIME_H
#define DM_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>

#include "config/conf.h"
#include "dns/dns.h"
#include "dmarc/dmarc.h"

/* A decorator of every runtime's resolver (the metrics count lookups). */
typedef void *(*rt_dns_wrap_fn)(struct dns_resolver *query, void *arg);
typedef void (*rt_dns_unwrap_fn)(void *state);

struct dm_runtime {
    atomic_int refs;
    struct dm_config *cf;
    struct od_list *psl;
    struct dq_opts dq_opts;           /* DNSTimeout, Nameservers */
    struct dns_resolver net;          /* the system resolver */
    struct dns_cache *cache;          /* NULL: DNSCacheSize 0 */
    struct dns_resolver query;        /* typed (SPF): the cache, or net */
    struct dns_txt_resolver dns;      /* TXT (DMARC, DKIM) over query */
    void *dns_decoration;             /* the decorator's state, or NULL */
    rt_dns_unwrap_fn dns_unwrap;
};

/* Build a runtime that owns cf; NULL with a reason when the PSL fails. */
struct dm_runtime *rt_build(struct dm_config *cf, char *err, size_t errsz);

/* Make rt the current runtime; the previous one goes when unused. */
void rt_install(struct dm_runtime *rt);

/* A reference to the current runtime (never NULL after rt_install). */
struct dm_runtime *rt_acquire(void);

void rt_release(struct dm_runtime *rt);

/*
 * From now on rt_build() wraps each runtime's typed resolver (above the
 * cache, so DMARC, SPF and DKIM lookups all pass it): wrap replaces *query
 * and returns its state (NULL: out of memory), unwrap frees that state with
 * the runtime. Set once, before the milter starts.
 */
void rt_set_dns_decorator(rt_dns_wrap_fn wrap, rt_dns_unwrap_fn unwrap,
                          void *arg);

/* Apply the decorator to a runtime built before it was set; -1: no memory. */
int rt_decorate(struct dm_runtime *rt);

#endif
