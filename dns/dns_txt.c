/*
 * dns_txt.c: the parser of TXT answers (untrusted bytes, so it is
 * bounded and careful) and the names of lookup outcomes. The lookups
 * themselves go through dns_query.c.
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <resolv.h>
#include <string.h>

#include "dns/dns_txt.h"

const char *
dns_status_name(enum dns_status st)
{
    switch (st) {
    case DNS_OK:       return "ok";
    case DNS_NXDOMAIN: return "nxdomain";
    case DNS_NODATA:   return "nodata";
    case DNS_TEMPFAIL: return "tempfail";
    case DNS_PERMFAIL: return "permfail";
    }
    return "unknown";
}

enum dns_status
dns_txt_parse_answer(const unsigned char *pkt, int len,
                     struct dns_txt_answer *ans)
{
    ns_msg msg;
    ns_rr rr;
    int n;

    ans->count = 0;
    if (len <= 0 || ns_initparse(pkt, len, &msg) < 0)
        return DNS_PERMFAIL;
    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:  break;
    case ns_r_nxdomain: return DNS_NXDOMAIN;
    case ns_r_servfail: return DNS_TEMPFAIL;
    default:            return DNS_PERMFAIL;
    }
    n = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < n; i++) {
        const unsigned char *rd, *end;
        size_t out = 0;

        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            goto malformed;
        /* CNAMEs the resolver followed come first; only TXT counts. */
        if (ns_rr_type(rr) != ns_t_txt || ns_rr_class(rr) != ns_c_in)
            continue;
        if (ans->count == DNS_TXT_MAX_RECORDS)
            break;
        rd = ns_rr_rdata(rr);
        end = rd + ns_rr_rdlen(rr);
        /* RFC 7489 6.6.3: the strings of one record are concatenated. */
        while (rd < end) {
            size_t slen = *rd++;

            if (slen > (size_t)(end - rd))
                goto malformed;
            if (out + slen > DNS_TXT_MAX_LEN) {
                out = DNS_TXT_MAX_LEN + 1;   /* marks it as too long */
                break;
            }
            memcpy(ans->rr[ans->count].data + out, rd, slen);
            out += slen;
            rd += slen;
        }
        /* An over-long record cannot be a DMARC record we would trust. */
        if (out > DNS_TXT_MAX_LEN)
            continue;
        ans->rr[ans->count].data[out] = '\0';
        ans->rr[ans->count].len = out;
        ans->count++;
    }
    return ans->count ? DNS_OK : DNS_NODATA;

malformed:
    /* Half an answer is no answer: nothing of it may be used. */
    ans->count = 0;
    return DNS_PERMFAIL;
}
