/*
 * spf_dns.c: the libspf2 DNS layer over our resolver. Replies are
 * untrusted bytes: each RR is checked against its rdata length before
 * it becomes one of libspf2's answers.
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <resolv.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "auth/spf_dns.h"

#define SD_TXT_MAX 4096     /* one TXT record's strings, concatenated */

struct sd_state {
    const struct dns_resolver *dns;
    bool tempfailed;
    bool asked;                 /* a query went out since sd_use() */
    uint32_t min_ttl;           /* the shortest TTL of its answers */
};

static void
sd_destroy(SPF_dns_server_t *layer)
{
    free(layer->hook);
    free(layer);
}

/* One RR's rdata as libspf2 wants it in spfrr->rr[idx]; false: skip it. */
static bool
sd_add(SPF_dns_rr_t *spfrr, int idx, const ns_msg *msg, const ns_rr *rr)
{
    const unsigned char *rd = ns_rr_rdata(*rr);
    size_t rdlen = ns_rr_rdlen(*rr);
    char name[NS_MAXDNAME];

    switch (ns_rr_type(*rr)) {
    case ns_t_a:
        if (rdlen != 4 || SPF_dns_rr_buf_realloc(spfrr, idx, 4) != 0)
            return false;
        memcpy(&spfrr->rr[idx]->a, rd, 4);
        return true;
    case ns_t_aaaa:
        if (rdlen != 16 || SPF_dns_rr_buf_realloc(spfrr, idx, 16) != 0)
            return false;
        memcpy(&spfrr->rr[idx]->aaaa, rd, 16);
        return true;
    case ns_t_mx:
    case ns_t_ptr:
        if (ns_rr_type(*rr) == ns_t_mx) {
            if (rdlen < 3)
                return false;
            rd += 2;    /* the preference: libspf2 does not use it */
        }
        if (ns_name_uncompress(ns_msg_base(*msg), ns_msg_end(*msg), rd,
                               name, sizeof(name)) < 0 ||
            SPF_dns_rr_buf_realloc(spfrr, idx, strlen(name) + 1) != 0)
            return false;
        strcpy(spfrr->rr[idx]->ptr, name);
        return true;
    case ns_t_txt:
    case ns_t_spf: {
        const unsigned char *end = rd + rdlen;
        size_t out = 0;

        if (SPF_dns_rr_buf_realloc(spfrr, idx, SD_TXT_MAX + 1) != 0)
            return false;
        /* RFC 7208 section 3.3: the strings of one record are joined. */
        while (rd < end) {
            size_t slen = *rd++;

            if (slen > (size_t)(end - rd) || out + slen > SD_TXT_MAX)
                return false;
            memcpy(spfrr->rr[idx]->txt + out, rd, slen);
            out += slen;
            rd += slen;
        }
        spfrr->rr[idx]->txt[out] = '\0';
        return true;
    }
    default:
        return false;
    }
}

static SPF_dns_rr_t *
sd_answer(SPF_dns_server_t *layer, const char *domain, ns_type type,
          const struct dns_reply *rep)
{
    SPF_dns_rr_t *spfrr;
    ns_msg msg;
    ns_rr rr;
    int n, count = 0;

    if (ns_initparse(rep->pkt, (int)rep->len, &msg) < 0)
        return SPF_dns_rr_new_init(layer, domain, type, 0, NO_RECOVERY);
    spfrr = SPF_dns_rr_new_init(layer, domain, type, (int)rep->ttl,
                                NETDB_SUCCESS);
    if (spfrr == NULL)
        return NULL;
    n = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < n; i++) {
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            break;
        /* CNAMEs the server followed come first; only the type counts. */
        if (ns_rr_type(rr) != type || ns_rr_class(rr) != ns_c_in)
            continue;
        if (sd_add(spfrr, count, &msg, &rr))
            count++;
    }
    spfrr->num_rr = count;
    if (count == 0)
        spfrr->herrno = NO_DATA;
    return spfrr;
}

/* The result of a check lives as long as the shortest-lived answer. */
static void
sd_note_ttl(struct sd_state *s, uint32_t ttl)
{
    if (!s->asked || ttl < s->min_ttl)
        s->min_ttl = ttl;
    s->asked = true;
}

static SPF_dns_rr_t *
sd_lookup(SPF_dns_server_t *layer, const char *domain, ns_type type,
          int should_cache)
{
    struct sd_state *s = layer->hook;
    struct dns_reply rep = { .size = DQ_PACKET_MAX };
    SPF_dns_rr_t *spfrr;
    enum dns_status st = DNS_TEMPFAIL;
    int herrno;

    (void)should_cache;   /* our cache decides by TTL */
    /*
     * RFC 7208 section 5: the first lookup that fails ends the check with
     * temperror. libspf2 stops there too, but whatever it might still ask
     * (an exp= text) gets the same answer at once: one timeout per check.
     */
    if (s->tempfailed)
        return SPF_dns_rr_new_init(layer, domain, type, 0, TRY_AGAIN);
    rep.pkt = malloc(rep.size);
    if (rep.pkt != NULL && s->dns != NULL)
        st = s->dns->query(s->dns->arg, domain, (int)type, &rep);
    switch (st) {
    case DNS_OK:
        sd_note_ttl(s, rep.ttl);
        spfrr = sd_answer(layer, domain, type, &rep);
        free(rep.pkt);
        return spfrr;
    case DNS_NXDOMAIN: herrno = HOST_NOT_FOUND; break;
    case DNS_NODATA:   herrno = NO_DATA; break;
    case DNS_PERMFAIL: herrno = NO_RECOVERY; break;
    case DNS_TEMPFAIL:
    default:
        herrno = TRY_AGAIN;
        s->tempfailed = true;
        break;
    }
    free(rep.pkt);
    sd_note_ttl(s, rep.ttl);
    return SPF_dns_rr_new_init(layer, domain, type, (int)rep.ttl, herrno);
}

SPF_dns_server_t *
sd_new(void)
{
    SPF_dns_server_t *layer = calloc(1, sizeof(*layer));

    if (layer == NULL)
        return NULL;
    layer->hook = calloc(1, sizeof(struct sd_state));
    if (layer->hook == NULL) {
        free(layer);
        return NULL;
    }
    layer->destroy = sd_destroy;
    layer->lookup = sd_lookup;
    layer->name = "dmarc-milter";
    return layer;
}

void
sd_use(SPF_dns_server_t *layer, const struct dns_resolver *dns)
{
    struct sd_state *s = layer->hook;

    s->dns = dns;
    s->tempfailed = false;
    s->asked = false;
    s->min_ttl = 0;
}

uint32_t
sd_ttl(SPF_dns_server_t *layer)
{
    const struct sd_state *s = layer->hook;

    return s->asked && !s->tempfailed ? s->min_ttl : 0;
}

bool
sd_tempfailed(SPF_dns_server_t *layer)
{
    return ((struct sd_state *)layer->hook)->tempfailed;
}
