/*
 * dns_query.c: typed queries through the system resolver (res_nmkquery,
 * res_nsend: glibc does the UDP, the retries, the fallback to TCP on
 * truncation), the name server list of Nameservers, and what a reply says.
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <poll.h>
#include <pthread.h>
#include <resolv.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "dns/dns_query.h"
#include "util/util.h"

/* resolv.conf is read again this often, so a changed resolver is followed. */
#define DQ_REINIT_SECONDS 60

struct dq_thread {
    struct __res_state res;
    time_t inited;
    struct dq_servers applied;       /* what res holds, when count > 0 */
};

static pthread_key_t dq_key;
static pthread_once_t dq_key_once = PTHREAD_ONCE_INIT;

/* ------------------------------------------------------------------ */
/* Nameservers */

static bool
dq_port(const char *s, in_port_t *port)
{
    char *end;
    unsigned long v;

    if (!isdigit((unsigned char)*s))
        return false;
    v = strtoul(s, &end, 10);
    if (*end != '\0' || v == 0 || v > 65535)
        return false;
    *port = htons((in_port_t)v);
    return true;
}

/* One "ADDR", "ADDR:PORT", "[ADDR6]" or "[ADDR6]:PORT". */
static bool
dq_server_parse(char *tok, struct sockaddr_storage *ss)
{
    struct sockaddr_in *in = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
    in_port_t port = htons(53);
    char *host = tok, *colon;

    memset(ss, 0, sizeof(*ss));
    if (*tok == '[') {
        char *close = strchr(tok, ']');

        if (close == NULL)
            return false;
        *close = '\0';
        host = tok + 1;
        if (close[1] == ':') {
            if (!dq_port(close + 2, &port))
                return false;
        } else if (close[1] != '\0') {
            return false;
        }
        in6->sin6_family = AF_INET6;
        in6->sin6_port = port;
        return inet_pton(AF_INET6, host, &in6->sin6_addr) == 1;
    }
    colon = strchr(tok, ':');
    if (colon != NULL && strchr(colon + 1, ':') != NULL) {
        /* Two colons or more: a bare IPv6 address, port 53. */
        in6->sin6_family = AF_INET6;
        in6->sin6_port = port;
        return inet_pton(AF_INET6, tok, &in6->sin6_addr) == 1;
    }
    if (colon != NULL) {
        *colon = '\0';
        if (!dq_port(colon + 1, &port))
            return false;
    }
    in->sin_family = AF_INET;
    in->sin_port = port;
    return inet_pton(AF_INET, host, &in->sin_addr) == 1;
}

bool
dq_servers_parse(const char *s, struct dq_servers *out, char *err,
                 size_t errsz)
{
    char *copy = strdup(s), *save = NULL, *tok;
    bool good = true;

    memset(out, 0, sizeof(*out));
    if (copy == NULL) {
        snprintf(err, errsz, "out of memory");
        return false;
    }
    for (tok = strtok_r(copy, ", \t", &save); tok != NULL;
         tok = strtok_r(NULL, ", \t", &save)) {
        if (out->count == DQ_SERVERS_MAX) {
            snprintf(err, errsz, "more than %d name servers",
                     DQ_SERVERS_MAX);
            good = false;
            break;
        }
        if (!dq_server_parse(tok, &out->addr[out->count])) {
            /* tok may have lost its ']' or ':'; s is quoted instead. */
            snprintf(err, errsz, "not an address or address:port: \"%.80s\"",
                     s);
            good = false;
            break;
        }
        out->count++;
    }
    if (good && out->count == 0) {
        snprintf(err, errsz, "no name server");
        good = false;
    }
    free(copy);
    if (!good)
        memset(out, 0, sizeof(*out));
    return good;
}

/* ------------------------------------------------------------------ */
/* replies */

static uint32_t
dq_min(uint32_t a, uint32_t b)
{
    return a < b ? a : b;
}

/* RFC 2308 section 5: the lower of the SOA's TTL and its MINIMUM field. */
static uint32_t
dq_negative_ttl(ns_msg *msg)
{
    int n = ns_msg_count(*msg, ns_s_ns);
    ns_rr rr;

    for (int i = 0; i < n; i++) {
        if (ns_parserr(msg, ns_s_ns, i, &rr) < 0)
            return 0;
        /* MNAME and RNAME are at least a byte each, then 5 numbers. */
        if (ns_rr_type(rr) != ns_t_soa || ns_rr_rdlen(rr) < 22)
            continue;
        return dq_min(dq_min(ns_rr_ttl(rr),
                             ns_get32(ns_rr_rdata(rr) + ns_rr_rdlen(rr) - 4)),
                      DQ_NEG_TTL_MAX);
    }
    return 0;   /* no SOA: nothing says how long the absence lasts */
}

enum dns_status
dq_reply_status(const unsigned char *pkt, size_t len, int type,
                uint32_t *ttl)
{
    uint32_t low = DQ_POS_TTL_MAX;
    size_t found = 0;
    ns_msg msg;
    ns_rr rr;
    int n;

    *ttl = 0;
    if (len == 0 || len > DQ_PACKET_MAX ||
        ns_initparse(pkt, (int)len, &msg) < 0)
        return DNS_PERMFAIL;
    switch (ns_msg_getflag(msg, ns_f_rcode)) {
    case ns_r_noerror:
        break;
    case ns_r_nxdomain:
        *ttl = dq_negative_ttl(&msg);
        return DNS_NXDOMAIN;
    case ns_r_servfail:
        return DNS_TEMPFAIL;
    default:
        return DNS_PERMFAIL;
    }
    n = ns_msg_count(msg, ns_s_an);
    for (int i = 0; i < n; i++) {
        if (ns_parserr(&msg, ns_s_an, i, &rr) < 0)
            return DNS_PERMFAIL;
        /* A CNAME on the way lives no longer than what it points at. */
        low = dq_min(low, ns_rr_ttl(rr));
        if ((int)ns_rr_type(rr) == type && ns_rr_class(rr) == ns_c_in)
            found++;
    }
    if (found == 0) {
        *ttl = dq_negative_ttl(&msg);
        return DNS_NODATA;
    }
    *ttl = low;
    return DNS_OK;
}

const char *
dq_type_name(int type)
{
    switch (type) {
    case ns_t_txt:  return "txt";
    case ns_t_a:    return "a";
    case ns_t_aaaa: return "aaaa";
    case ns_t_mx:   return "mx";
    case ns_t_ptr:  return "ptr";
    }
    return "other";
}

/* ------------------------------------------------------------------ */
/* the system resolver */

static void
dq_thread_free(void *p)
{
    struct dq_thread *t = p;

    if (t->inited)
        res_nclose(&t->res);
    free(t);
}

static void
dq_key_create(void)
{
    (void)pthread_key_create(&dq_key, dq_thread_free);
}

/*
 * Replace resolv.conf's servers in a fresh state. glibc keeps IPv4
 * servers in nsaddr_list and IPv6 ones in _u._ext.nsaddrs (malloc'd,
 * freed by res_nclose), with nsaddr_list's family 0; res_send copies the
 * rest when _u._ext.nscount is 0. Returns false when out of memory.
 */
static bool
dq_apply(res_state res, const struct dq_servers *sv)
{
    for (int i = 0; i < MAXNS; i++) {
        free(res->_u._ext.nsaddrs[i]);
        res->_u._ext.nsaddrs[i] = NULL;
        res->_u._ext.nssocks[i] = -1;
        memset(&res->nsaddr_list[i], 0, sizeof(res->nsaddr_list[i]));
    }
    res->nscount = 0;
    res->_u._ext.nscount = 0;
    for (size_t i = 0; i < sv->count && i < MAXNS; i++) {
        if (sv->addr[i].ss_family == AF_INET) {
            memcpy(&res->nsaddr_list[i], &sv->addr[i],
                   sizeof(struct sockaddr_in));
        } else {
            struct sockaddr_in6 *sa = malloc(sizeof(*sa));

            if (sa == NULL)
                return false;
            memcpy(sa, &sv->addr[i], sizeof(*sa));
            res->_u._ext.nsaddrs[i] = sa;
        }
        res->nscount = (int)i + 1;
    }
    return true;
}

/* Each milter thread keeps its own resolver state: res_n* are reentrant. */
static struct dq_thread *
dq_thread_get(const struct dq_servers *sv)
{
    struct dq_thread *t;
    time_t now = time(NULL);

    (void)pthread_once(&dq_key_once, dq_key_create);
    t = pthread_getspecific(dq_key);
    if (t == NULL) {
        t = calloc(1, sizeof(*t));
        if (t == NULL)
            return NULL;
        if (pthread_setspecific(dq_key, t) != 0) {
            free(t);
            return NULL;
        }
    }
    /* A reload may have changed the servers; resolv.conf may change too. */
    if (t->inited && (now - t->inited >= DQ_REINIT_SECONDS ||
                      memcmp(&t->applied, sv, sizeof(*sv)) != 0)) {
        res_nclose(&t->res);
        t->inited = 0;
    }
    if (!t->inited) {
        memset(&t->res, 0, sizeof(t->res));
        if (res_ninit(&t->res) != 0)
            return NULL;
        t->inited = now ? now : 1;
        memset(&t->applied, 0, sizeof(t->applied));
        if (sv->count > 0) {
            if (!dq_apply(&t->res, sv)) {
                res_nclose(&t->res);
                t->inited = 0;
                return NULL;
            }
            t->applied = *sv;
        }
    }
    return t;
}

/* Wait for fd to be ready for ev until deadline; false: timeout or error. */
static bool
dq_wait(int fd, short ev, long long deadline)
{
    struct pollfd p = { .fd = fd, .events = ev };
    long long left;
    int n;

    do {
        left = deadline - clk_millis();
        if (left <= 0)
            return false;
        n = poll(&p, 1, (int)(left > 60000 ? 60000 : left));
    } while (n < 0 && errno == EINTR);
    return n > 0 && (p.revents & (ev | POLLHUP | POLLERR)) != 0;
}

/* Move len bytes over fd (send or receive) before deadline. */
static bool
dq_io(int fd, unsigned char *buf, size_t len, bool out, long long deadline)
{
    while (len > 0) {
        ssize_t n;

        if (!dq_wait(fd, out ? POLLOUT : POLLIN, deadline))
            return false;
        n = out ? send(fd, buf, len, MSG_NOSIGNAL) : recv(fd, buf, len, 0);
        if (n < 0 && (errno == EINTR || errno == EAGAIN))
            continue;
        if (n <= 0)
            return false;
        buf += n;
        len -= (size_t)n;
    }
    return true;
}

/* One query over TCP to one server, bounded by deadline; the reply's length or -1. */
static int
dq_tcp_one(const struct sockaddr *sa, const unsigned char *q, int qlen,
           unsigned char *ans, size_t anssz, long long deadline)
{
    socklen_t salen = sa->sa_family == AF_INET6 ? sizeof(struct sockaddr_in6)
                                                : sizeof(struct sockaddr_in);
    unsigned char msg[2 + NS_PACKETSZ], lenb[2];
    int fd, err = 0, rlen = -1;
    socklen_t errlen = sizeof(err);
    size_t n;

    if (qlen < NS_HFIXEDSZ || (size_t)qlen > NS_PACKETSZ)
        return -1;
    fd = socket(sa->sa_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        return -1;
    if (connect(fd, sa, salen) != 0 &&
        (errno != EINPROGRESS || !dq_wait(fd, POLLOUT, deadline) ||
         getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen) != 0 || err != 0))
        goto out;
    msg[0] = (unsigned char)(qlen >> 8);
    msg[1] = (unsigned char)qlen;
    memcpy(msg + 2, q, (size_t)qlen);
    if (!dq_io(fd, msg, (size_t)qlen + 2, true, deadline) ||
        !dq_io(fd, lenb, 2, false, deadline))
        goto out;
    n = (size_t)lenb[0] << 8 | lenb[1];
    if (n < NS_HFIXEDSZ || n > anssz || !dq_io(fd, ans, n, false, deadline))
        goto out;
    /* The answer to our query, not to someone else's. */
    if (memcmp(ans, q, 2) == 0)
        rlen = (int)n;
out:
    close(fd);
    return rlen;
}

/*
 * A truncated UDP reply asks for TCP. glibc's own TCP fallback reads
 * with no time limit, so a server that accepts and never answers would
 * hold the message forever: we ask over TCP ourselves, each server in
 * turn, all before deadline.
 */
static int
dq_tcp(const res_state res, const unsigned char *q, int qlen,
       unsigned char *ans, size_t anssz, long long deadline)
{
    for (int i = 0; i < res->nscount && i < MAXNS; i++) {
        const struct sockaddr *sa = res->nsaddr_list[i].sin_family == AF_INET
            ? (const struct sockaddr *)&res->nsaddr_list[i]
            : (const struct sockaddr *)res->_u._ext.nsaddrs[i];
        int len;

        if (sa == NULL)
            continue;
        len = dq_tcp_one(sa, q, qlen, ans, anssz, deadline);
        if (len >= 0)
            return len;
    }
    return -1;
}

static enum dns_status
dq_system_query(void *arg, const char *qname, int type,
                struct dns_reply *rep)
{
    const struct dq_opts *opts = arg;
    unsigned char q[NS_PACKETSZ];
    struct dq_thread *t;
    int qlen, len, servers;
    long long started;

    rep->len = 0;
    rep->ttl = 0;
    rep->cached = false;
    t = dq_thread_get(&opts->servers);
    if (t == NULL)
        return DNS_TEMPFAIL;
    /* DNSTimeout bounds the whole query: each server gets its share once. */
    servers = t->res.nscount > 0 ? t->res.nscount : 1;
    if (opts->timeout > 0)
        t->res.retrans = opts->timeout / servers > 0 ?
                         opts->timeout / servers : 1;
    t->res.retry = 1;
    t->res.options |= RES_IGNTC;   /* TCP is dq_tcp's, with a time limit */
    qlen = res_nmkquery(&t->res, ns_o_query, qname, ns_c_in, type, NULL, 0,
                        NULL, q, sizeof(q));
    if (qlen < 0)
        return DNS_PERMFAIL;   /* not a name a query can carry */
    started = clk_millis();
    len = res_nsend(&t->res, q, qlen, rep->pkt, (int)rep->size);
    if (len < 0)
        return DNS_TEMPFAIL;   /* timeout, network */
    if (len >= NS_HFIXEDSZ && (rep->pkt[2] & 0x02) != 0) {
        /* Truncated: TCP gets what is left of DNSTimeout, at least 1 s. */
        long long budget = (opts->timeout > 0 ? opts->timeout : 5) * 1000LL
                           - (clk_millis() - started);

        len = dq_tcp(&t->res, q, qlen, rep->pkt, rep->size,
                     clk_millis() + (budget < 1000 ? 1000 : budget));
        if (len < 0)
            return DNS_TEMPFAIL;
    }
    if ((size_t)len > rep->size)
        len = (int)rep->size;
    rep->len = (size_t)len;
    return dq_reply_status(rep->pkt, rep->len, type, &rep->ttl);
}

void
dq_system_resolver(struct dns_resolver *r, const struct dq_opts *opts)
{
    r->query = dq_system_query;
    r->arg = (void *)opts;
}

/* ------------------------------------------------------------------ */
/* the TXT interface over a typed resolver */

static enum dns_status
dq_txt_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    const struct dns_resolver *q = arg;
    struct dns_reply rep = { .size = DQ_PACKET_MAX };
    enum dns_status st;

    ans->count = 0;
    rep.pkt = malloc(rep.size);
    if (rep.pkt == NULL)
        return DNS_TEMPFAIL;
    st = q->query(q->arg, qname, ns_t_txt, &rep);
    if (st == DNS_OK)
        st = dns_txt_parse_answer(rep.pkt, (int)rep.len, ans);
    free(rep.pkt);
    return st;
}

void
dq_txt_adapter(struct dns_txt_resolver *r, const struct dns_resolver *q)
{
    r->lookup = dq_txt_lookup;
    r->arg = (void *)q;
}
