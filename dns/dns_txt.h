/*
 * dns_txt.h: the resolver interface the DMARC engine queries through.
 *
 * The engine never calls the resolver library itself; it is handed a
 * struct dns_txt_resolver, so tests and later DNS back ends plug in.
 */
#ifndef DM_DNS_TXT_H
#define DM_DNS_TXT_H

#include <stddef.h>

#define DNS_TXT_MAX_RECORDS 16      /* more RRs than this: the rest ignored */
#define DNS_TXT_MAX_LEN     4096    /* concatenated strings of one RR */

enum dns_status {
    DNS_OK = 0,        /* answer with zero or more TXT records */
    DNS_NXDOMAIN,      /* name does not exist */
    DNS_NODATA,        /* name exists, no TXT */
    DNS_TEMPFAIL,      /* timeout, SERVFAIL, network: try again later */
    DNS_PERMFAIL       /* malformed answer, REFUSED, FORMERR */
};

struct dns_txt_answer {
    size_t count;
    struct {
        size_t len;
        char data[DNS_TXT_MAX_LEN + 1];   /* NUL-terminated, may hold NULs */
    } rr[DNS_TXT_MAX_RECORDS];
};

struct dns_txt_resolver {
    /* Look up TXT records for qname; fills *ans when DNS_OK. */
    enum dns_status (*lookup)(void *arg, const char *qname,
                              struct dns_txt_answer *ans);
    void *arg;
};

const char *dns_status_name(enum dns_status st);

/* Parse one DNS response packet (untrusted bytes) for TXT answers to qname. */
enum dns_status dns_txt_parse_answer(const unsigned char *pkt, int len,
                                     struct dns_txt_answer *ans);

#endif
