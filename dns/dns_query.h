/*
 * dns_query.h: typed DNS queries (TXT, A, AAAA, MX, PTR) through one
 * resolver for the whole daemon: the name servers of resolv.conf or of
 * Nameservers, one time limit per query (DNSTimeout), a cache on top
 * (dns_cache.h). DMARC and DKIM see it through the TXT interface of
 * dns_txt.h (dq_txt_adapter), SPF through a libspf2 layer (spf_dns.h).
 */
#ifndef DM_DNS_QUERY_H
#define DM_DNS_QUERY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#include "dns/dns_txt.h"

#define DQ_PACKET_MAX 65536          /* a reply buffer that always fits */
#define DQ_SERVERS_MAX 3             /* glibc's MAXNS */
#define DQ_NEG_TTL_MAX 3600          /* RFC 2308 section 5: bound it */
#define DQ_POS_TTL_MAX 86400

/* One reply: the caller's buffer, and what the resolver made of it. */
struct dns_reply {
    unsigned char *pkt;     /* the caller's buffer */
    size_t size;            /* its size (DQ_PACKET_MAX always fits) */
    size_t len;             /* the reply's bytes, when there is a reply */
    uint32_t ttl;           /* how long it may be reused; 0: not at all */
    bool cached;            /* answered from the cache */
};

struct dns_resolver {
    /*
     * Query qname for type (ns_t_*). DNS_OK: the answer holds at least one
     * RR of that type. rep->pkt holds the reply when rep->len > 0.
     */
    enum dns_status (*query)(void *arg, const char *qname, int type,
                             struct dns_reply *rep);
    void *arg;
};

/* Name servers to ask instead of resolv.conf's. */
struct dq_servers {
    size_t count;                    /* 0: resolv.conf's */
    struct sockaddr_storage addr[DQ_SERVERS_MAX];
};

/* The system resolver's settings; read at each query (a reload swaps it). */
struct dq_opts {
    int timeout;                     /* seconds for one query, all servers */
    struct dq_servers servers;
};

/*
 * Parse "127.0.0.1:5353, [::1]:53, 192.0.2.1" (comma or space separated,
 * port 53 by default) into *out. False with a reason on a bad address, a
 * bad port or more than DQ_SERVERS_MAX servers.
 */
bool dq_servers_parse(const char *s, struct dq_servers *out, char *err,
                      size_t errsz);

/*
 * What a reply (untrusted bytes) says for type: the status, and in *ttl
 * the lowest TTL of the answer (DNS_OK) or the SOA's negative TTL
 * (NXDOMAIN, NODATA; RFC 2308 section 5), bounded; 0 for the rest.
 */
enum dns_status dq_reply_status(const unsigned char *pkt, size_t len,
                                int type, uint32_t *ttl);

/* The system resolver (res_nsend, per-thread state). opts outlives r. */
void dq_system_resolver(struct dns_resolver *r, const struct dq_opts *opts);

/* A TXT resolver (dns_txt.h) over q, which must outlive r. */
void dq_txt_adapter(struct dns_txt_resolver *r, const struct dns_resolver *q);

/* A query type's name for logs and metrics: "txt", "a"...; "other". */
const char *dq_type_name(int type);

#endif
