/*
 * dns_cache.h: a bounded cache of DNS replies in front of a typed
 * resolver, so a burst of mail from one domain asks the network once.
 *
 * Answers live for their lowest TTL, absences (NXDOMAIN, NODATA) for the
 * SOA's negative TTL (RFC 2308), at most DQ_NEG_TTL_MAX; failures are
 * never kept. Past the size, the least recently used reply goes. Sharded
 * locks: threads asking for different names rarely wait for each other.
 */
#ifndef DM_DNS_CACHE_H
#define DM_DNS_CACHE_H

#include <stddef.h>
#include <time.h>

#include "dns/dns_query.h"

#define DNC_PKT_MAX 4096     /* bigger replies are not kept */

struct dns_cache;

/* Seconds on a clock that never goes back; tests bring their own. */
typedef time_t (*dnc_clock_fn)(void *arg);

/*
 * A cache of at most entries replies in front of *inner, which must
 * outlive it (it is read at each miss). NULL when out of memory or when
 * entries is 0.
 */
struct dns_cache *dnc_new(size_t entries, const struct dns_resolver *inner);

/* Use another clock (the default is CLOCK_MONOTONIC); before any query. */
void dnc_set_clock(struct dns_cache *c, dnc_clock_fn fn, void *arg);

void dnc_free(struct dns_cache *c);

/* The resolver that asks the cache first. Thread-safe. */
void dnc_resolver(struct dns_cache *c, struct dns_resolver *r);

/* Replies held now (expired ones included until they are met). */
size_t dnc_count(struct dns_cache *c);

#endif
