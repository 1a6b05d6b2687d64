/*
 * dns_counting.h: a resolver decorator that counts every lookup made
 * through the runtime's typed resolver (DMARC records, SPF, DKIM keys):
 * its type, its outcome and whether the cache answered it, then returns
 * the wrapped resolver's answer untouched.
 */
#ifndef DM_DNS_COUNTING_H
#define DM_DNS_COUNTING_H

#include "metrics/counter_store.h"
#include "dns/dns.h"

/*
 * Make *r count into cs (a struct cs_store *) and pass each query to the
 * resolver *r was. Returns the decorator's state, which must outlive the
 * last query through *r; NULL (and *r unchanged) when out of memory.
 * The signature fits rt_set_dns_decorator().
 */
void *dc_wrap(struct dns_resolver *r, void *cs);

/* Free the state dc_wrap() returned. */
void dc_unwrap(void *state);

#endif
