/*
 * dns_txt.c: TXT lookups through the system resolver, and the parser
 * of the answers (untrusted bytes, so it is bounded and careful).
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <pthread.h>
#include <resolv.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dns_txt.h"

#define DNS_PACKET_MAX 65536
/* resolv.conf is read again this often, so a changed resolver is followed. */
#define DNS_REINIT_SECONDS 60

struct dns_thread {
    struct __res_state res;
    time_t inited;
    unsigned char pkt[DNS_PACKET_MAX];
};

static pthread_key_t dns_key;
static pthread_once_t dns_key_once = PTHREAD_ONCE_INIT;

static void
dns_thread_free(void *p)
{
    struct dns_thread *t = p;

    if (t->inited)
        res_nclose(&t->res);
    free(t);
}

static void
dns_key_create(void)
{
    (void)pthread_key_create(&dns_key, dns_thread_free);
}

/* Each milter thread keeps its own resolver state: res_n* are reentrant. */
static struct dns_thread *
dns_thread_get(void)
{
    struct dns_thread *t;
    time_t now = time(NULL);

    (void)pthread_once(&dns_key_once, dns_key_create);
    t = pthread_getspecific(dns_key);
    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL)
            return NULL;
        if (pthread_setspecific(dns_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    if (t->inited && now - t->inited >= DNS_REINIT_SECONDS) {
        res_nclose(&t->res);
        t->inited = 0;
    }
    if (!t->inited) {
        memset(&t->res, 0, sizeof(t->res));
        if (res_ninit(&t->res) != 0)
            return NULL;
        t->inited = now ? now : 1;
    }
    return t;
}

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

static enum dns_status
dns_system_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    const struct dns_system_opts *opts = arg;
    struct dns_thread *t = dns_thread_get();
    int len;

    ans->count = 0;
    if (t == NULL)
        return DNS_TEMPFAIL;
    if (opts->timeout > 0)
        t->res.retrans = opts->timeout;
    if (opts->tries > 0)
        t->res.retry = opts->tries;
    len = res_nquery(&t->res, qname, ns_c_in, ns_t_txt, t->pkt,
                     sizeof(t->pkt));
    if (len < 0) {
        switch (t->res.res_h_errno) {
        case HOST_NOT_FOUND: return DNS_NXDOMAIN;
        case NO_DATA:        return DNS_NODATA;
        case NO_RECOVERY:    return DNS_PERMFAIL;
        default:             return DNS_TEMPFAIL;  /* TRY_AGAIN, timeouts */
        }
    }
    if (len > (int)sizeof(t->pkt))
        len = sizeof(t->pkt);
    return dns_txt_parse_answer(t->pkt, len, ans);
}

void
dns_system_resolver(struct dns_txt_resolver *r,
                    const struct dns_system_opts *opts)
{
    r->lookup = dns_system_lookup;
    r->arg = (void *)opts;
}
