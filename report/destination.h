/*
 * destination.h: where a report goes: rua URIs (mailto: with RFC 7489's
 * "!size"), the check that an outside destination agreed to take a
 * domain's reports (RFC 9990 section 4), and NoReportsList.
 */
#ifndef DM_DESTINATION_H
#define DM_DESTINATION_H

#include <stdbool.h>
#include <stddef.h>
#include "dns/dns.h"
#include "dmarc/dmarc.h"

#define DEST_ADDR_MAX 320

struct dest {
    char addr[DEST_ADDR_MAX];   /* local@host, host lower-cased */
    const char *host;           /* into addr */
    unsigned long long limit;   /* "!size" in bytes; 0: none */
};

/* Parse one rua URI; false when it is not a usable mailto: URI. */
bool dest_parse(const char *uri, struct dest *d);

enum dest_verdict {
    DEST_OK = 0,                /* inside the organization, or verified */
    DEST_REFUSED,               /* outside, and not verified: never send */
    DEST_TEMPFAIL               /* DNS failed: try again at the next run */
};

/*
 * RFC 9990 section 4: a destination whose host is outside the
 * organizational domain of domain must publish a v=DMARC1 TXT record at
 * <domain>._report._dmarc.<host>. A record there with rua= of its own
 * must keep the host, or neither is used. why: for the log.
 */
enum dest_verdict dest_verify(const struct dns_txt_resolver *dns,
                              const struct od_list *psl, const char *domain,
                              const struct dest *d, const char **why);

/* The same for a ruf destination (tag "ruf"), or a rua one ("rua"). */
enum dest_verdict dest_verify_tag(const struct dns_txt_resolver *dns,
                                  const struct od_list *psl,
                                  const char *domain, const struct dest *d,
                                  const char *tag, const char **why);

/* NoReportsList: addresses and domains that get no report. */
struct dest_list;
struct dest_list *dest_list_load(const char *path, char *err, size_t errsz);
bool dest_list_has(const struct dest_list *l, const struct dest *d);
void dest_list_free(struct dest_list *l);

#endif
