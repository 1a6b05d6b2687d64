/*
 * dmarc_walk.h: fetching DMARC records, and the RFC 9989 DNS Tree Walk
 * that finds policy records and organizational domains without the
 * public suffix list. Pure: everything goes through the resolver handed in.
 */
#ifndef DM_DMARC_WALK_H
#define DM_DMARC_WALK_H

#include <stdbool.h>
#include <stddef.h>
#include "dmarc/dmarc_record.h"
#include "dns/dns.h"
#include "dmarc/verdict.h"

/* RFC 9989 4.10: no tree walk makes more than eight queries. */
#define DW_MAX_QUERIES 8

/* RFC 1035 2.3.4: the longest name a query carries, in text form. */
#define DW_QNAME_MAX 253

/*
 * True when a query can carry name: DW_QNAME_MAX octets at most and no
 * label over 63. A name that fails this cannot exist in the DNS.
 */
bool dw_name_ok(const char *name);

enum dw_found {
    DW_FOUND,       /* exactly one DMARC record: rec filled */
    DW_NONE,        /* no DMARC record here */
    DW_MULTIPLE,    /* several DMARC records here */
    DW_INVALID,     /* the one record is unusable */
    DW_TEMPFAIL     /* the answer could not be had */
};

/*
 * Query _dmarc.<domain> and keep the records that start with v=DMARC1,
 * parsed under spec. ans is scratch space owned by the caller (it is
 * large). A domain whose _dmarc name would pass 253 octets, or with a
 * label over 63, holds no record: DW_NONE without a query.
 */
enum dw_found dw_fetch(const struct dns_txt_resolver *dns, const char *domain,
                       enum dm_spec spec, struct dns_txt_answer *ans,
                       struct dmarc_record *rec);

/* One name of a walk that held a single valid DMARC record. */
struct dw_hit {
    char domain[DM_DOMAIN_MAX];
    struct dmarc_record rec;
};

/* What one tree walk found, longest name first. */
struct dw_walk {
    struct dw_hit hit[DW_MAX_QUERIES];
    size_t n_hits;
    unsigned queries;           /* DNS queries the walk made */
    bool tempfail;              /* a query failed: the walk is incomplete */
    bool start_invalid;         /* the start held one unusable record */
    size_t next_keep;           /* labels of the next name; 0: done */
};

/*
 * Walk up from start (normalised, no trailing dot): start itself, then
 * its ancestors, skipping labels so that a name of more than eight labels
 * costs no more than eight queries (RFC 9989 4.10 steps 1 to 8). A single
 * valid record with psd=n stops the walk, and so does psd=y above start.
 * Several records at one name are discarded and the walk goes on. Stops
 * at the first temporary failure (w->tempfail). ans is scratch space.
 *
 * With stop_at_start, a valid record at start ends the walk there (policy
 * discovery needs no more); dw_walk_more() later goes on from where it
 * stopped, when the organizational domain turns out to be needed.
 */
void dw_walk(const struct dns_txt_resolver *dns, const char *start,
             bool stop_at_start, struct dns_txt_answer *ans,
             struct dw_walk *w);
void dw_walk_more(const struct dns_txt_resolver *dns, const char *start,
                  struct dns_txt_answer *ans, struct dw_walk *w);

/*
 * The organizational domain of start from its walk (RFC 9989 4.10.2):
 * a psd=n name; else the name one label below a psd=y name above start;
 * else the shortest name with a record; else start itself. Writes it to
 * out (DM_DOMAIN_MAX bytes). Returns the hit it names, or NULL when that
 * name holds no record (the psd=y case, or no record at all).
 */
const struct dw_hit *dw_org_domain(const struct dw_walk *w, const char *start,
                                   char *out);

/* The psd=y hit that ended the walk above start, or NULL. */
const struct dw_hit *dw_psd_hit(const struct dw_walk *w, const char *start);

#endif
