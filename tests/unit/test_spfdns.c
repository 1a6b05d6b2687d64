/*
 * test_spfdns.c: the libspf2 DNS layer (spf_dns.c) over a scripted
 * resolver: each type becomes libspf2's answer, hostile rdata is skipped,
 * statuses map to h_errno values, and a failure is remembered until the
 * next sd_use(), with no more queries until then.
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <netdb.h>
#include <stdio.h>
#include <string.h>

#include "auth/spf_dns.h"
#include "tests/unit/tap.h"

/* The reply the fake resolver gives: bytes and a status. */
static unsigned char script[1024];
static size_t script_len;
static enum dns_status script_status;
static int asked_type;

static enum dns_status
fake_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    (void)arg;
    (void)qname;
    asked_type = type;
    memcpy(rep->pkt, script, script_len);
    rep->len = script_len;
    rep->ttl = 300;
    rep->cached = false;
    return script_status;
}

static size_t
put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return 2;
}

/* A NOERROR reply to "t.example" whose answers are given as (type, rdata). */
struct rr { int type; const unsigned char *rd; size_t len; };

static void
reply(const struct rr *rrs, int n)
{
    static const unsigned char q[] = "\001t\007example";
    size_t o = 12;

    memset(script, 0, 12);
    script[2] = 0x81;
    script[3] = 0x80;
    put16(script + 4, 1);
    put16(script + 6, (unsigned)n);
    memcpy(script + o, q, sizeof(q));      /* the name and its root byte */
    o += sizeof(q);
    o += put16(script + o, rrs[0].type);
    o += put16(script + o, ns_c_in);
    for (int i = 0; i < n; i++) {
        o += put16(script + o, 0xc00c);
        o += put16(script + o, (unsigned)rrs[i].type);
        o += put16(script + o, ns_c_in);
        o += put16(script + o, 0);
        o += put16(script + o, 300);
        o += put16(script + o, (unsigned)rrs[i].len);
        memcpy(script + o, rrs[i].rd, rrs[i].len);
        o += rrs[i].len;
    }
    script_len = o;
    script_status = DNS_OK;
}

static SPF_dns_rr_t *
look(SPF_dns_server_t *layer, ns_type type)
{
    return SPF_dns_lookup(layer, "t.example", type, 0);
}

int
main(void)
{
    struct dns_resolver dns = { fake_query, NULL };
    SPF_dns_server_t *layer = sd_new();
    SPF_dns_rr_t *r;
    char txt[64];

    ok(layer != NULL, "a layer");
    r = look(layer, ns_t_a);
    is_int(r->herrno, TRY_AGAIN, "no resolver yet: try again");
    SPF_dns_rr_free(r);
    sd_use(layer, &dns);
    ok(!sd_tempfailed(layer), "sd_use forgets earlier failures");

    {
        const unsigned char a1[] = { 192, 0, 2, 1 }, a2[] = { 192, 0, 2, 2 };
        const unsigned char bad[] = { 192, 0, 2 };
        struct rr rrs[] = { { ns_t_a, a1, 4 }, { ns_t_a, bad, 3 },
                            { ns_t_a, a2, 4 } };

        reply(rrs, 3);
        r = look(layer, ns_t_a);
        is_int(asked_type, ns_t_a, "asked for A");
        is_int(r->herrno, NETDB_SUCCESS, "A: success");
        is_int(r->num_rr, 2, "two addresses, the 3-byte one skipped");
        inet_ntop(AF_INET, &r->rr[1]->a, txt, sizeof(txt));
        is_str(txt, "192.0.2.2", "the second address");
        is_int(r->ttl, 300, "the TTL");
        SPF_dns_rr_free(r);
    }
    {
        unsigned char a6[16] = { 0x20, 0x01, 0x0d, 0xb8 };
        struct rr rrs[] = { { ns_t_aaaa, a6, 16 } };

        a6[15] = 1;
        reply(rrs, 1);
        r = look(layer, ns_t_aaaa);
        is_int(r->num_rr, 1, "AAAA");
        inet_ntop(AF_INET6, &r->rr[0]->aaaa, txt, sizeof(txt));
        is_str(txt, "2001:db8::1", "the address");
        SPF_dns_rr_free(r);
    }
    {
        /* MX 10 mx.t.example (a pointer to the question), MX cut short. */
        const unsigned char mx[] = { 0, 10, 2, 'm', 'x', 0xc0, 0x0c };
        const unsigned char cut[] = { 0, 10 };
        const unsigned char loop[] = { 0, 10, 0xc3, 0xff };
        struct rr rrs[] = { { ns_t_mx, mx, sizeof(mx) },
                            { ns_t_mx, cut, sizeof(cut) },
                            { ns_t_mx, loop, sizeof(loop) } };

        reply(rrs, 3);
        r = look(layer, ns_t_mx);
        is_int(r->num_rr, 1, "MX: the good one; short and bad pointers skipped");
        is_str(r->rr[0]->mx, "mx.t.example", "its exchange, decompressed");
        SPF_dns_rr_free(r);
    }
    {
        const unsigned char ptr[] = { 4, 'h', 'o', 's', 't', 0xc0, 0x0c };
        struct rr rrs[] = { { ns_t_ptr, ptr, sizeof(ptr) } };

        reply(rrs, 1);
        r = look(layer, ns_t_ptr);
        is_int(r->num_rr, 1, "PTR");
        is_str(r->rr[0]->ptr, "host.t.example", "its name");
        SPF_dns_rr_free(r);
    }
    {
        const unsigned char two[] = { 7, 'v', '=', 's', 'p', 'f', '1', ' ',
                                      4, '-', 'a', 'l', 'l' };
        const unsigned char over[] = { 9, 'x' };
        const unsigned char empty[] = { 0 };
        struct rr rrs[] = { { ns_t_txt, two, sizeof(two) },
                            { ns_t_txt, over, sizeof(over) },
                            { ns_t_txt, empty, sizeof(empty) },
                            { ns_t_a, (const unsigned char *)"abcd", 4 } };

        reply(rrs, 4);
        r = look(layer, ns_t_txt);
        is_int(r->num_rr, 2, "TXT: a string past rdata skipped, A ignored");
        is_str(r->rr[0]->txt, "v=spf1 -all", "the strings joined");
        is_str(r->rr[1]->txt, "", "an empty string is an empty record");
        SPF_dns_rr_free(r);
    }
    {
        struct rr rrs[] = { { ns_t_cname, (const unsigned char *)"\0", 1 } };

        reply(rrs, 1);
        r = look(layer, ns_t_txt);
        is_int(r->herrno, NO_DATA, "only a CNAME: no data");
        is_int(r->num_rr, 0, "no records");
        SPF_dns_rr_free(r);
    }
    script_len = 5;          /* garbage behind DNS_OK */
    r = look(layer, ns_t_txt);
    is_int(r->herrno, NO_RECOVERY, "an unparsable reply: no recovery");
    SPF_dns_rr_free(r);

    script_status = DNS_NXDOMAIN;
    r = look(layer, ns_t_txt);
    is_int(r->herrno, HOST_NOT_FOUND, "nxdomain: host not found");
    SPF_dns_rr_free(r);
    script_status = DNS_NODATA;
    r = look(layer, ns_t_txt);
    is_int(r->herrno, NO_DATA, "nodata: no data");
    SPF_dns_rr_free(r);
    script_status = DNS_PERMFAIL;
    r = look(layer, ns_t_txt);
    is_int(r->herrno, NO_RECOVERY, "permfail: no recovery");
    SPF_dns_rr_free(r);
    ok(!sd_tempfailed(layer), "none of these is a temporary failure");
    script_status = DNS_TEMPFAIL;
    r = look(layer, ns_t_txt);
    is_int(r->herrno, TRY_AGAIN, "tempfail: try again");
    SPF_dns_rr_free(r);
    ok(sd_tempfailed(layer), "remembered");
    /* RFC 7208 section 5: the check is over (temperror); a dead name
     * server costs one timeout, not one per lookup libspf2 still makes. */
    {
        static const struct { int type; const char *what; } after[] = {
            { ns_t_txt, "TXT" }, { ns_t_a, "A" }, { ns_t_mx, "MX" },
        };

        script_status = DNS_OK;
        for (size_t i = 0; i < sizeof(after) / sizeof(after[0]); i++) {
            asked_type = -1;
            r = look(layer, after[i].type);
            is_int(r->herrno, TRY_AGAIN, "after a failure, %s: try again",
                   after[i].what);
            is_int(asked_type, -1, "... and the resolver is not asked");
            SPF_dns_rr_free(r);
        }
    }
    sd_use(layer, &dns);
    ok(!sd_tempfailed(layer), "until the next check");
    asked_type = -1;
    r = look(layer, ns_t_txt);
    is_int(asked_type, ns_t_txt, "the next check asks again");
    SPF_dns_rr_free(r);

    SPF_dns_free(layer);
    return done_testing();
}
