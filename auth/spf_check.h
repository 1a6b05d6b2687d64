/*
 * spf_check.h: SPF self-validation with libspf2 (SPFSelfValidate).
 */
#ifndef DM_SPF_CHECK_H
#define DM_SPF_CHECK_H

#include <stdbool.h>
#include <sys/socket.h>
#include "dns/dns.h"
#include "dmarc/dmarc.h"

struct spf_outcome {
    enum dm_auth result;
    char domain[DM_DOMAIN_MAX];   /* the identity checked, normalised */
    bool helo;                    /* true: the HELO identity (null sender) */
};

/* libspf2's version, for -V. */
const char *spf_version(void);

/* Route libspf2's chatter to our log; call once at start. */
void spf_init(void);

/*
 * Check the MAIL FROM identity (sender: the address without <>), or the
 * HELO identity when the sender is null (RFC 7208 section 2.4). client
 * may be IPv4, IPv6 or v4-mapped IPv6. False when there is no identity to
 * check (no client address, a null sender with an address-literal HELO):
 * then there is no SPF result at all. Every lookup goes through dns.
 */
bool spf_check(const struct dns_resolver *dns,
               const struct sockaddr *client, const char *helo,
               const char *sender, struct spf_outcome *out);

#endif
