/*
 * spf_dns.h: a libspf2 DNS layer that asks the daemon's resolver, so SPF
 * shares DNSTimeout, Nameservers and the cache with DMARC and DKIM.
 */
#ifndef DM_SPF_DNS_H
#define DM_SPF_DNS_H

#include <stdbool.h>
#include <stdint.h>
#include <spf2/spf.h>

#include "dns/dns.h"

/* A layer with no resolver yet; SPF_server_free() frees it. */
SPF_dns_server_t *sd_new(void);

/* The resolver for the next checks (the connection's runtime's). */
void sd_use(SPF_dns_server_t *layer, const struct dns_resolver *dns);

/*
 * Whether a lookup failed for the network (timeout, SERVFAIL) since the
 * last sd_use(): libspf2 1.2.10 reports a failed record lookup as a
 * permerror, where RFC 7208 section 4.4 says temperror. After such a
 * failure every lookup answers TRY_AGAIN at once, without a query, until
 * the next sd_use(): a name server that never answers costs one timeout.
 */
bool sd_tempfailed(SPF_dns_server_t *layer);

/*
 * How long the last check's answers stay valid: the shortest TTL among
 * them; 0 when none was asked or a lookup failed (nothing to keep).
 */
uint32_t sd_ttl(SPF_dns_server_t *layer);

#endif
