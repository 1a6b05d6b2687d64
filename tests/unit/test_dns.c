/*
 * test_dns.c: the resolver: replies read for status and TTL, the
 * Nameservers syntax, the reply cache (TTLs, absences, failures, bounds,
 * threads), and the system resolver against a fake server on a random
 * port (IPv4, IPv6, one that never answers).
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <errno.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/conf.h"
#include "dns/dns_cache.h"
#include "dns/dns_query.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* ---- building replies ---- */

struct rr_spec {
    int type;
    uint32_t ttl;
    const char *text;       /* TXT: one string; A: dotted quad */
};

static size_t
put16(unsigned char *p, unsigned v)
{
    p[0] = (unsigned char)(v >> 8);
    p[1] = (unsigned char)v;
    return 2;
}

static size_t
put32(unsigned char *p, uint32_t v)
{
    put16(p, v >> 16);
    put16(p + 2, v & 0xffff);
    return 4;
}

/* A reply to qname/qtype: rcode, answers, and an SOA when soa_ttl > 0. */
static size_t
build(unsigned char *buf, size_t size, const char *qname, int qtype,
      int rcode, const struct rr_spec *an, int nan, uint32_t soa_ttl,
      uint32_t soa_min)
{
    size_t n = 12;
    int len;

    memset(buf, 0, 12);
    put16(buf, 0x1234);
    buf[2] = 0x81;                        /* QR, RD */
    buf[3] = (unsigned char)(0x80 | rcode);
    put16(buf + 4, 1);
    put16(buf + 6, (unsigned)nan);
    put16(buf + 8, soa_ttl > 0 ? 1 : 0);
    len = dn_comp(qname, buf + n, (int)(size - n), NULL, NULL);
    if (len < 0)
        return 0;
    n += (size_t)len;
    n += put16(buf + n, (unsigned)qtype);
    n += put16(buf + n, ns_c_in);
    for (int i = 0; i < nan; i++) {
        n += put16(buf + n, 0xc00c);      /* the question's name */
        n += put16(buf + n, (unsigned)an[i].type);
        n += put16(buf + n, ns_c_in);
        n += put32(buf + n, an[i].ttl);
        if (an[i].type == ns_t_a) {
            n += put16(buf + n, 4);
            inet_pton(AF_INET, an[i].text, buf + n);
            n += 4;
        } else if (an[i].type == ns_t_txt) {
            size_t l = strlen(an[i].text);

            n += put16(buf + n, (unsigned)l + 1);
            buf[n++] = (unsigned char)l;
            memcpy(buf + n, an[i].text, l);
            n += l;
        } else {                          /* CNAME to the root */
            n += put16(buf + n, 1);
            buf[n++] = 0;
        }
    }
    if (soa_ttl > 0) {
        n += put16(buf + n, 0xc00c);
        n += put16(buf + n, ns_t_soa);
        n += put16(buf + n, ns_c_in);
        n += put32(buf + n, soa_ttl);
        n += put16(buf + n, 2 + 20);
        buf[n++] = 0;                     /* MNAME: the root */
        buf[n++] = 0;                     /* RNAME */
        for (int i = 0; i < 4; i++)
            n += put32(buf + n, 1000);
        n += put32(buf + n, soa_min);
    }
    return n;
}

/* ---- dq_reply_status ---- */

static void
test_reply_status(void)
{
    unsigned char b[1024];
    struct rr_spec txt = { ns_t_txt, 300, "v=spf1 -all" };
    struct rr_spec two[] = { { ns_t_cname, 100, "" },
                             { ns_t_txt, 300, "v=spf1 -all" } };
    struct rr_spec big = { ns_t_txt, 10000000, "x" };
    struct rr_spec a = { ns_t_a, 60, "192.0.2.1" };
    uint32_t ttl;
    size_t n;

    n = build(b, sizeof(b), "example.com", ns_t_txt, 0, &txt, 1, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_OK, "TXT: ok");
    is_int(ttl, 300, "its TTL");
    n = build(b, sizeof(b), "example.com", ns_t_txt, 0, two, 2, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_OK, "CNAME, TXT: ok");
    is_int(ttl, 100, "the lowest TTL, the CNAME's");
    n = build(b, sizeof(b), "example.com", ns_t_txt, 0, &big, 1, 0, 0);
    dq_reply_status(b, n, ns_t_txt, &ttl);
    is_int(ttl, DQ_POS_TTL_MAX, "a huge TTL is bounded");
    n = build(b, sizeof(b), "example.com", ns_t_a, 0, &a, 1, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_a, &ttl), DNS_OK, "A: ok");
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_NODATA,
           "an answer of another type only: nodata");
    is_int(ttl, 0, "no SOA: nothing to keep it by");
    n = build(b, sizeof(b), "nx.example.com", ns_t_txt, 3, NULL, 0, 600, 60);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_NXDOMAIN, "nxdomain");
    is_int(ttl, 60, "negative TTL: SOA MINIMUM below the SOA's TTL");
    n = build(b, sizeof(b), "nx.example.com", ns_t_txt, 3, NULL, 0, 30, 300);
    dq_reply_status(b, n, ns_t_txt, &ttl);
    is_int(ttl, 30, "negative TTL: the SOA's TTL below MINIMUM");
    n = build(b, sizeof(b), "nx.example.com", ns_t_txt, 3, NULL, 0, 99999,
              99999);
    dq_reply_status(b, n, ns_t_txt, &ttl);
    is_int(ttl, DQ_NEG_TTL_MAX, "negative TTL bounded");
    n = build(b, sizeof(b), "nx.example.com", ns_t_txt, 3, NULL, 0, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_NXDOMAIN,
           "nxdomain without SOA");
    is_int(ttl, 0, "is not kept");
    n = build(b, sizeof(b), "e.example.com", ns_t_txt, 0, NULL, 0, 120, 900);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_NODATA, "nodata");
    is_int(ttl, 120, "with the SOA's negative TTL");
    n = build(b, sizeof(b), "example.com", ns_t_txt, 2, NULL, 0, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_TEMPFAIL, "servfail");
    is_int(ttl, 0, "a failure has no TTL");
    n = build(b, sizeof(b), "example.com", ns_t_txt, 5, NULL, 0, 0, 0);
    is_int(dq_reply_status(b, n, ns_t_txt, &ttl), DNS_PERMFAIL, "refused");
    n = build(b, sizeof(b), "example.com", ns_t_txt, 0, &txt, 1, 0, 0);
    is_int(dq_reply_status(b, n - 3, ns_t_txt, &ttl), DNS_PERMFAIL,
           "a cut reply");
    is_int(dq_reply_status(b, 0, ns_t_txt, &ttl), DNS_PERMFAIL, "no bytes");
    is_int(dq_reply_status(b, 11, ns_t_txt, &ttl), DNS_PERMFAIL,
           "less than a header");
}

/* ---- Nameservers ---- */

static int
port_of(const struct sockaddr_storage *ss)
{
    if (ss->ss_family == AF_INET)
        return ntohs(((const struct sockaddr_in *)ss)->sin_port);
    return ntohs(((const struct sockaddr_in6 *)ss)->sin6_port);
}

static void
test_servers(void)
{
    struct dq_servers sv;
    char err[160], txt[64];

    ok(dq_servers_parse("127.0.0.1", &sv, err, sizeof(err)), "one IPv4");
    is_int(sv.count, 1, "one server");
    is_int(sv.addr[0].ss_family, AF_INET, "IPv4");
    is_int(port_of(&sv.addr[0]), 53, "port 53 by default");
    ok(dq_servers_parse("127.0.0.1:5353, [::1]:54 2001:db8::1", &sv, err,
                        sizeof(err)), "three, commas and spaces");
    is_int(sv.count, 3, "three servers");
    is_int(port_of(&sv.addr[0]), 5353, "an IPv4 port");
    is_int(sv.addr[1].ss_family, AF_INET6, "[IPv6]:port");
    is_int(port_of(&sv.addr[1]), 54, "its port");
    is_int(sv.addr[2].ss_family, AF_INET6, "a bare IPv6 address");
    is_int(port_of(&sv.addr[2]), 53, "port 53");
    inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&sv.addr[2])->sin6_addr,
              txt, sizeof(txt));
    is_str(txt, "2001:db8::1", "the address");
    ok(dq_servers_parse("[::1]", &sv, err, sizeof(err)), "[IPv6]");
    is_int(port_of(&sv.addr[0]), 53, "port 53");
    ok(!dq_servers_parse("1.1.1.1 2.2.2.2 3.3.3.3 4.4.4.4", &sv, err,
                         sizeof(err)), "four: refused");
    is_str(err, "more than 3 name servers", "why");
    is_int(sv.count, 0, "nothing kept");
    ok(!dq_servers_parse("1.2.3.4:0", &sv, err, sizeof(err)), "port 0");
    ok(!dq_servers_parse("1.2.3.4:65536", &sv, err, sizeof(err)),
       "port 65536");
    ok(!dq_servers_parse("1.2.3.4:", &sv, err, sizeof(err)), "no port");
    ok(!dq_servers_parse("1.2.3.4:-1", &sv, err, sizeof(err)), "port -1");
    ok(!dq_servers_parse(":53", &sv, err, sizeof(err)), "no address");
    ok(!dq_servers_parse("[::1", &sv, err, sizeof(err)), "no ]");
    ok(!dq_servers_parse("[::1]x", &sv, err, sizeof(err)), "junk after ]");
    ok(!dq_servers_parse("[127.0.0.1]:53", &sv, err, sizeof(err)),
       "IPv4 in brackets");
    ok(!dq_servers_parse("dns.example", &sv, err, sizeof(err)), "a name");
    ok(!dq_servers_parse("1.2.3", &sv, err, sizeof(err)), "three octets");
    ok(!dq_servers_parse(" , ", &sv, err, sizeof(err)), "nothing");
    is_str(err, "no name server", "why");
}

/* ---- the configuration keys ---- */

static char diag[512];
static int ndiag;

static void
report(void *arg, bool is_error, const char *msg)
{
    (void)arg;
    (void)is_error;
    ndiag++;
    snprintf(diag, sizeof(diag), "%s", msg);
}

static struct dm_config *
load(const char *text)
{
    ndiag = 0;
    diag[0] = '\0';
    return cf_load(fx_write("dns.conf", text), report, NULL);
}

static void
test_config(void)
{
    struct dm_config *cf = cf_defaults();

    ok(cf != NULL, "defaults");
    is_int(cf->nameservers.count, 0, "Nameservers unset: resolv.conf's");
    is_int(cf->dns_cache_size, 4096, "DNSCacheSize 4096");
    cf_free(cf);
    cf = load("Socket inet:8893@localhost\n"
              "Nameservers 127.0.0.1:5353, [::1]\nDNSCacheSize 0\n");
    ok(cf != NULL, "Nameservers and DNSCacheSize load");
    is_int(ndiag, 0, "without a word");
    if (cf != NULL) {
        is_int(cf->nameservers.count, 2, "two servers");
        is_int(port_of(&cf->nameservers.addr[0]), 5353, "the first's port");
        is_int(cf->nameservers.addr[1].ss_family, AF_INET6, "then IPv6");
        is_int(cf->dns_cache_size, 0, "DNSCacheSize 0: no cache");
        cf_free(cf);
    }
    cf = load("Socket inet:8893@localhost\nNameservers 10.0.0.1:99999\n");
    ok(cf == NULL, "a bad port is an error");
    ok(strstr(diag, "bad value '10.0.0.1:99999' for Nameservers") != NULL,
       "which names the key: %s", diag);
    cf_free(cf);
    cf = load("Socket inet:8893@localhost\nDNSCacheSize -1\n");
    ok(cf == NULL, "DNSCacheSize -1 is an error");
    cf_free(cf);
}

/* ---- the cache, over a fake resolver ---- */

struct fake {
    atomic_int calls;
    enum dns_status status;
    uint32_t ttl;
    size_t pad;             /* extra bytes in the reply */
};

static enum dns_status
fake_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    struct fake *f = arg;
    struct rr_spec txt = { ns_t_txt, f->ttl, qname };

    atomic_fetch_add(&f->calls, 1);
    rep->len = 0;
    if (rep->size < 512)
        return DNS_TEMPFAIL;   /* no room: as the system resolver would */
    rep->len = build(rep->pkt, rep->size, qname, type, 0, &txt, 1, 0, 0);
    if (f->pad > 0 && rep->len + f->pad <= rep->size) {
        memset(rep->pkt + rep->len, 0, f->pad);
        rep->len += f->pad;
    }
    rep->ttl = f->ttl;
    rep->cached = false;
    return f->status;
}

static time_t fake_now = 1000;

static time_t
fake_clock(void *arg)
{
    (void)arg;
    return fake_now;
}

static enum dns_status
ask(const struct dns_resolver *r, const char *name, int type,
    struct dns_reply *rep)
{
    static unsigned char buf[DQ_PACKET_MAX];

    rep->pkt = buf;
    rep->size = sizeof(buf);
    rep->len = 0;
    return r->query(r->arg, name, type, rep);
}

static void
test_cache(void)
{
    struct fake f = { .status = DNS_OK, .ttl = 300 };
    struct dns_resolver inner = { fake_query, &f }, r;
    struct dns_cache *c = dnc_new(64, &inner);
    struct dns_reply rep;
    unsigned char first[512];
    size_t first_len;

    ok(dnc_new(0, &inner) == NULL, "size 0: no cache");
    ok(c != NULL, "a cache of 64");
    dnc_set_clock(c, fake_clock, NULL);
    dnc_resolver(c, &r);

    is_int(ask(&r, "example.com", ns_t_txt, &rep), DNS_OK, "miss: ok");
    ok(!rep.cached, "from the network");
    first_len = rep.len;
    memcpy(first, rep.pkt, rep.len);
    is_int(ask(&r, "example.com", ns_t_txt, &rep), DNS_OK, "hit: ok");
    ok(rep.cached, "from the cache");
    is_int(f.calls, 1, "one query for two lookups");
    ok(rep.len == first_len && memcmp(rep.pkt, first, first_len) == 0,
       "the same reply, byte for byte");
    is_int(rep.ttl, 300, "with its TTL");
    is_int(ask(&r, "EXAMPLE.com.", ns_t_txt, &rep), DNS_OK, "case, dot");
    is_int(f.calls, 1, "the same name for the cache");
    ask(&r, "example.com", ns_t_a, &rep);
    is_int(f.calls, 2, "another type: another query");

    fake_now += 200;
    ask(&r, "example.com", ns_t_txt, &rep);
    ok(rep.cached, "still fresh after 200 s");
    is_int(rep.ttl, 100, "100 s left");
    fake_now += 100;
    ask(&r, "example.com", ns_t_txt, &rep);
    ok(!rep.cached, "expired after 300 s");
    is_int(f.calls, 3, "so asked again");

    f.status = DNS_NXDOMAIN;
    f.ttl = 60;
    is_int(ask(&r, "nx.example.com", ns_t_txt, &rep), DNS_NXDOMAIN,
           "nxdomain");
    is_int(ask(&r, "nx.example.com", ns_t_txt, &rep), DNS_NXDOMAIN,
           "nxdomain again");
    ok(rep.cached, "from the cache");
    is_int(f.calls, 4, "asked once");
    fake_now += 60;
    ask(&r, "nx.example.com", ns_t_txt, &rep);
    is_int(f.calls, 5, "until its negative TTL ran out");

    f.status = DNS_NODATA;
    ask(&r, "nodata.example.com", ns_t_txt, &rep);
    is_int(ask(&r, "nodata.example.com", ns_t_txt, &rep), DNS_NODATA,
           "nodata kept");
    is_int(f.calls, 6, "asked once");

    f.status = DNS_TEMPFAIL;
    ask(&r, "fail.example.com", ns_t_txt, &rep);
    is_int(ask(&r, "fail.example.com", ns_t_txt, &rep), DNS_TEMPFAIL,
           "tempfail");
    ok(!rep.cached, "never from the cache");
    is_int(f.calls, 8, "asked each time");
    f.status = DNS_PERMFAIL;
    ask(&r, "bad.example.com", ns_t_txt, &rep);
    ask(&r, "bad.example.com", ns_t_txt, &rep);
    is_int(f.calls, 10, "permfail is not kept either");

    f.status = DNS_OK;
    f.ttl = 0;
    ask(&r, "zero.example.com", ns_t_txt, &rep);
    ask(&r, "zero.example.com", ns_t_txt, &rep);
    is_int(f.calls, 12, "TTL 0: not kept");

    f.ttl = 300;
    f.pad = DNC_PKT_MAX;
    ask(&r, "big.example.com", ns_t_txt, &rep);
    ask(&r, "big.example.com", ns_t_txt, &rep);
    is_int(f.calls, 14, "a reply over DNC_PKT_MAX: not kept");
    f.pad = 0;

    /* A caller's buffer too small for the kept reply: asked afresh. */
    {
        unsigned char small[8];
        struct dns_reply tiny = { .pkt = small, .size = sizeof(small) };

        ask(&r, "example.com", ns_t_txt, &rep);
        is_int(f.calls, 14, "kept again");
        r.query(r.arg, "example.com", ns_t_txt, &tiny);
        is_int(f.calls, 15, "too small a buffer bypasses the cache");
    }

    /* A name too long for a key goes to the resolver, uncached. */
    {
        char longname[400];

        memset(longname, 'a', sizeof(longname) - 1);
        longname[sizeof(longname) - 1] = '\0';
        f.status = DNS_PERMFAIL;
        r.query(r.arg, longname, ns_t_txt, &rep);
        r.query(r.arg, longname, ns_t_txt, &rep);
        is_int(f.calls, 17, "an over-long name: passed through");
    }
    dnc_free(c);
}

static void
test_bounds(void)
{
    struct fake f = { .status = DNS_OK, .ttl = 300 };
    struct dns_resolver inner = { fake_query, &f }, r;
    struct dns_cache *c = dnc_new(8, &inner);
    struct dns_reply rep;
    char name[64];

    dnc_set_clock(c, fake_clock, NULL);
    dnc_resolver(c, &r);
    for (int i = 0; i < 200; i++) {
        snprintf(name, sizeof(name), "d%d.example", i);
        ask(&r, name, ns_t_txt, &rep);
    }
    is_int(dnc_count(c), 8, "200 names in a cache of 8: 8 kept");
    is_int(f.calls, 200, "each asked once");
    ask(&r, "d0.example", ns_t_txt, &rep);
    ok(!rep.cached, "the oldest went");
    dnc_free(c);

    c = dnc_new(1, &inner);
    dnc_set_clock(c, fake_clock, NULL);
    dnc_resolver(c, &r);
    ask(&r, "a.example", ns_t_txt, &rep);
    ask(&r, "b.example", ns_t_txt, &rep);
    is_int(dnc_count(c), 1, "a cache of 1 holds 1");
    ask(&r, "b.example", ns_t_txt, &rep);
    ok(rep.cached, "the newest stays");
    ask(&r, "a.example", ns_t_txt, &rep);
    ok(!rep.cached, "the older was evicted");
    dnc_free(c);
}

/* ---- threads ---- */

#define T_THREADS 8
#define T_ROUNDS 3000
#define T_NAMES 40

struct worker {
    const struct dns_resolver *r;
    int seed, wrong, hits;
};

static void *
worker_run(void *p)
{
    struct worker *w = p;
    unsigned char buf[DNC_PKT_MAX];
    char name[64];

    for (int i = 0; i < T_ROUNDS; i++) {
        struct dns_reply rep = { .pkt = buf, .size = sizeof(buf) };
        int k = (i * 7 + w->seed) % T_NAMES;
        ns_msg msg;
        ns_rr rr;

        snprintf(name, sizeof(name), "n%d.example", k);
        if (w->r->query(w->r->arg, name, ns_t_txt, &rep) != DNS_OK ||
            ns_initparse(rep.pkt, (int)rep.len, &msg) < 0 ||
            ns_parserr(&msg, ns_s_an, 0, &rr) < 0 ||
            ns_rr_rdlen(rr) != strlen(name) + 1 ||
            memcmp(ns_rr_rdata(rr) + 1, name, strlen(name)) != 0)
            w->wrong++;
        if (rep.cached)
            w->hits++;
    }
    return NULL;
}

static void
test_threads(void)
{
    struct fake f = { .status = DNS_OK, .ttl = 300 };
    struct dns_resolver inner = { fake_query, &f }, r;
    struct dns_cache *c = dnc_new(16, &inner);
    struct worker w[T_THREADS];
    pthread_t th[T_THREADS];
    int wrong = 0, hits = 0;

    dnc_resolver(c, &r);
    for (int i = 0; i < T_THREADS; i++) {
        w[i] = (struct worker){ .r = &r, .seed = i * 5 };
        pthread_create(&th[i], NULL, worker_run, &w[i]);
    }
    for (int i = 0; i < T_THREADS; i++) {
        pthread_join(th[i], NULL);
        wrong += w[i].wrong;
        hits += w[i].hits;
    }
    is_int(wrong, 0, "8 threads, 24000 lookups: every reply is its name's");
    is_int(hits + f.calls, T_THREADS * T_ROUNDS,
           "each lookup a hit or a query");
    ok(dnc_count(c) <= 16, "the bound holds under threads");
    dnc_free(c);
}

/* ---- the system resolver against a fake server ---- */

struct server {
    int fd;
    int port;
    bool silent;
    atomic_int queries;
    atomic_bool stop;
    pthread_t th;
};

static void *
server_run(void *p)
{
    struct server *s = p;
    unsigned char b[1024], r[1024];

    while (!atomic_load(&s->stop)) {
        struct pollfd pfd = { .fd = s->fd, .events = POLLIN };
        struct sockaddr_storage from;
        socklen_t fl = sizeof(from);
        ssize_t n;
        size_t len;
        char qname[NS_MAXDNAME];
        ns_msg msg;
        ns_rr q;

        if (poll(&pfd, 1, 100) <= 0)
            continue;
        n = recvfrom(s->fd, b, sizeof(b), 0, (struct sockaddr *)&from, &fl);
        if (n <= 0)
            continue;
        atomic_fetch_add(&s->queries, 1);
        if (s->silent || ns_initparse(b, (int)n, &msg) < 0 ||
            ns_parserr(&msg, ns_s_qd, 0, &q) < 0)
            continue;
        snprintf(qname, sizeof(qname), "%s", ns_rr_name(q));
        if (strncmp(qname, "nx.", 3) == 0) {
            len = build(r, sizeof(r), qname, ns_rr_type(q), 3, NULL, 0, 300,
                        300);
        } else {
            struct rr_spec txt = { ns_t_txt, 300, "v=test" };

            len = build(r, sizeof(r), qname, ns_rr_type(q), 0, &txt, 1, 0, 0);
        }
        memcpy(r, b, 2);                  /* the query's id */
        sendto(s->fd, r, len, 0, (struct sockaddr *)&from, fl);
    }
    return NULL;
}

static bool
server_start(struct server *s, int family, bool silent)
{
    struct sockaddr_storage ss;
    socklen_t sl;

    memset(s, 0, sizeof(*s));
    memset(&ss, 0, sizeof(ss));
    s->silent = silent;
    s->fd = socket(family, SOCK_DGRAM, 0);
    if (s->fd < 0)
        return false;
    if (family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)&ss;

        in->sin_family = AF_INET;
        in->sin_addr.s_addr = htonl(INADDR_LOOPBACK);
        sl = sizeof(*in);
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)&ss;

        in6->sin6_family = AF_INET6;
        in6->sin6_addr = in6addr_loopback;
        sl = sizeof(*in6);
    }
    if (bind(s->fd, (struct sockaddr *)&ss, sl) != 0 ||
        getsockname(s->fd, (struct sockaddr *)&ss, &sl) != 0) {
        close(s->fd);
        return false;
    }
    s->port = ntohs(family == AF_INET ?
                    ((struct sockaddr_in *)&ss)->sin_port :
                    ((struct sockaddr_in6 *)&ss)->sin6_port);
    pthread_create(&s->th, NULL, server_run, s);
    return true;
}

static void
server_stop(struct server *s)
{
    atomic_store(&s->stop, true);
    pthread_join(s->th, NULL);
    close(s->fd);
}

static double
now_s(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec + ts.tv_nsec / 1e9;
}

static void
test_system(void)
{
    struct server s4, s6, quiet;
    struct dq_opts opts = { .timeout = 2 };
    struct dns_resolver net, cached;
    struct dns_txt_resolver txt;
    static struct dns_txt_answer ans;
    struct dns_cache *c;
    char spec[64], err[160];
    double t0, spent;

    ok(server_start(&s4, AF_INET, false), "fake server on 127.0.0.1");
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", s4.port);
    ok(dq_servers_parse(spec, &opts.servers, err, sizeof(err)), "%s", spec);
    dq_system_resolver(&net, &opts);
    dq_txt_adapter(&txt, &net);
    is_int(txt.lookup(txt.arg, "example.com", &ans), DNS_OK,
           "TXT through Nameservers on another port");
    is_int(ans.count, 1, "one record");
    is_str(ans.rr[0].data, "v=test", "its text");
    is_int(txt.lookup(txt.arg, "nx.example.com", &ans), DNS_NXDOMAIN,
           "nxdomain");
    is_int(s4.queries, 2, "two queries reached the server");

    c = dnc_new(16, &net);
    dnc_resolver(c, &cached);
    dq_txt_adapter(&txt, &cached);
    txt.lookup(txt.arg, "burst.example.com", &ans);
    txt.lookup(txt.arg, "burst.example.com", &ans);
    txt.lookup(txt.arg, "BURST.example.com", &ans);
    is_str(ans.rr[0].data, "v=test", "a cached TXT answer");
    is_int(s4.queries, 3, "three lookups through the cache: one query");
    txt.lookup(txt.arg, "nx.example.com", &ans);
    is_int(txt.lookup(txt.arg, "nx.example.com", &ans), DNS_NXDOMAIN,
           "a cached nxdomain");
    is_int(s4.queries, 4, "asked once");
    dnc_free(c);

    if (server_start(&s6, AF_INET6, false)) {
        snprintf(spec, sizeof(spec), "[::1]:%d", s6.port);
        dq_servers_parse(spec, &opts.servers, err, sizeof(err));
        dq_txt_adapter(&txt, &net);
        is_int(txt.lookup(txt.arg, "six.example.com", &ans), DNS_OK,
               "TXT from [::1] on another port");
        is_int(s6.queries, 1, "the IPv6 server was asked");
        is_int(s4.queries, 4, "the IPv4 one was not: servers follow opts");
        server_stop(&s6);
    } else {
        ok(1, "# SKIP no IPv6 loopback");
        ok(1, "# SKIP no IPv6 loopback");
        ok(1, "# SKIP no IPv6 loopback");
    }

    ok(server_start(&quiet, AF_INET, true), "a server that never answers");
    snprintf(spec, sizeof(spec), "127.0.0.1:%d", quiet.port);
    dq_servers_parse(spec, &opts.servers, err, sizeof(err));
    opts.timeout = 1;
    dq_txt_adapter(&txt, &net);
    t0 = now_s();
    is_int(txt.lookup(txt.arg, "example.com", &ans), DNS_TEMPFAIL,
           "silence: tempfail");
    spent = now_s() - t0;
    ok(spent >= 0.9 && spent < 2.0, "within DNSTimeout 1 (%.2f s)", spent);
    is_int(quiet.queries, 1, "one try");
    server_stop(&quiet);
    server_stop(&s4);
}

int
main(void)
{
    test_reply_status();
    test_servers();
    test_config();
    test_cache();
    test_bounds();
    test_threads();
    test_system();
    return done_testing();
}
