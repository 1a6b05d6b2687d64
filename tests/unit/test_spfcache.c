/*
 * test_spfcache.c: SPF results kept for their DNS answers' lifetime
 * (spf_cache.c through spf_check): a second check of the same client,
 * identity and HELO asks nothing; another address, HELO or resolver is
 * checked afresh; answers with no TTL, temporary errors and expired
 * results are not reused.
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <arpa/nameser.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "tests/unit/tap.h"

static unsigned queries;
static uint32_t answer_ttl = 300;
static enum dns_status answer_status = DNS_OK;

/* Any TXT query: "v=spf1 ip4:192.0.2.1 -all", with answer_ttl. */
static enum dns_status
fake_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    static const unsigned char head[] = {
        0, 0, 0x81, 0x80, 0, 1, 0, 1, 0, 0, 0, 0,
        1, 't', 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 0, 0, ns_t_txt, 0, 1,
        0xc0, 0x0c, 0, ns_t_txt, 0, 1, 0, 0, 1, 0x2c,
    };
    static const char txt[] = "v=spf1 ip4:192.0.2.1 -all";
    size_t o = sizeof(head);

    (void)arg;
    (void)qname;
    queries++;
    rep->ttl = answer_ttl;
    rep->len = 0;
    if (answer_status != DNS_OK)
        return answer_status;
    if (type != ns_t_txt)
        return DNS_NODATA;
    memcpy(rep->pkt, head, sizeof(head));
    rep->pkt[o++] = 0;
    rep->pkt[o++] = (unsigned char)(sizeof(txt));     /* rdlength */
    rep->pkt[o++] = (unsigned char)(sizeof(txt) - 1); /* the string */
    memcpy(rep->pkt + o, txt, sizeof(txt) - 1);
    rep->len = o + sizeof(txt) - 1;
    return DNS_OK;
}

static const char *
check(const struct dns_resolver *dns, const char *ip, const char *helo)
{
    struct sockaddr_in sin = { .sin_family = AF_INET };
    struct spf_outcome o;

    inet_pton(AF_INET, ip, &sin.sin_addr);
    if (!spf_check(dns, (struct sockaddr *)&sin, helo, "a@example.org", &o))
        return "(no check)";
    return dm_auth_name(o.result);
}

int
main(void)
{
    struct dns_resolver dns = { fake_query, NULL }, other = { fake_query, NULL };
    unsigned before;

    spf_init();
    is_str(check(&dns, "192.0.2.1", "mx.example.org"), "pass", "pass");
    ok(queries > 0, "asked the resolver");
    before = queries;
    is_str(check(&dns, "192.0.2.1", "mx.example.org"), "pass", "again: pass");
    is_int((int)queries, (int)before, "... from the cache: nothing asked");
    is_str(check(&dns, "192.0.2.9", "mx.example.org"), "fail",
           "another address: fail");
    ok(queries > before, "... checked afresh");
    before = queries;
    is_str(check(&dns, "192.0.2.9", "mx.example.org"), "fail", "again: fail");
    is_int((int)queries, (int)before, "... a fail is kept too");
    check(&dns, "192.0.2.9", "other.example.org");
    ok(queries > before, "another HELO name: checked afresh");
    before = queries;
    check(&other, "192.0.2.9", "mx.example.org");
    ok(queries > before, "another resolver (a reload): checked afresh");

    /* A temporary failure is not kept, and does not hide a later answer. */
    answer_status = DNS_TEMPFAIL;
    is_str(check(&dns, "192.0.2.7", "mx.example.org"), "temperror",
           "SERVFAIL: temperror");
    answer_status = DNS_OK;
    before = queries;
    is_str(check(&dns, "192.0.2.7", "mx.example.org"), "fail",
           "then an answer: fail");
    ok(queries > before, "... the temperror was not kept");

    /* Answers with TTL 0 may not be reused; a TTL of 1 s expires. */
    answer_ttl = 0;
    check(&dns, "192.0.2.6", "mx.example.org");
    before = queries;
    check(&dns, "192.0.2.6", "mx.example.org");
    ok(queries > before, "TTL 0: not kept");
    answer_ttl = 1;
    check(&dns, "192.0.2.5", "mx.example.org");
    before = queries;
    check(&dns, "192.0.2.5", "mx.example.org");
    is_int((int)queries, (int)before, "TTL 1: kept");
    nanosleep(&(struct timespec){ 1, 100 * 1000 * 1000 }, NULL);
    check(&dns, "192.0.2.5", "mx.example.org");
    ok(queries > before, "... and gone after a second");
    return done_testing();
}
