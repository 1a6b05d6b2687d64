/* test_iplist.c: IgnoreHosts address, network and host name lists. */
#include <config.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include "config/ip_list.h"
#include "tests/unit/tap.h"

/* A sockaddr for a textual address, v4 or v6; static storage per call. */
static const struct sockaddr *
sa_of(const char *addr)
{
    static struct sockaddr_storage ss[8];
    static unsigned next;
    struct sockaddr_storage *s = &ss[next++ % 8];

    memset(s, 0, sizeof(*s));
    if (strchr(addr, ':') != NULL) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)s;
        s6->sin6_family = AF_INET6;
        if (inet_pton(AF_INET6, addr, &s6->sin6_addr) != 1)
            abort();
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)s;
        s4->sin_family = AF_INET;
        if (inet_pton(AF_INET, addr, &s4->sin_addr) != 1)
            abort();
    }
    return (const struct sockaddr *)s;
}

/* A list built from a NULL-terminated set of entries that must all parse. */
static struct ipl *
list_of(const char *first, ...)
{
    struct ipl *l = ipl_new();
    char err[128];
    va_list ap;

    va_start(ap, first);
    for (const char *e = first; e != NULL; e = va_arg(ap, const char *))
        if (!ipl_add(l, e, err, sizeof(err))) {
            printf("# list_of: %s: %s\n", e, err);
            abort();
        }
    va_end(ap);
    return l;
}

static bool
m(const struct ipl *l, const char *addr)
{
    return ipl_match(l, sa_of(addr), NULL);
}

/* ipl_add must refuse entry with exactly the reason want. */
static void
refuses(const char *entry, const char *want)
{
    struct ipl *l = ipl_new();
    char err[128] = "";

    ok(!ipl_add(l, entry, err, sizeof(err)), "refuses '%s'", entry);
    is_str(err, want, "reason for '%s'", entry);
    is_int(ipl_count(l), 0, "nothing added for '%s'", entry);
    ipl_free(l);
}

static void
test_v4(void)
{
    struct ipl *l = list_of("192.0.2.1", "198.51.100.0/24", NULL);

    is_int(ipl_count(l), 2, "two entries");
    ok(m(l, "192.0.2.1"), "v4 exact address");
    ok(!m(l, "192.0.2.2"), "v4 neighbour does not match");
    ok(m(l, "198.51.100.0"), "v4 /24 first address");
    ok(m(l, "198.51.100.255"), "v4 /24 last address");
    ok(!m(l, "198.51.101.0"), "v4 /24 next network");
    ok(!m(l, "198.51.99.255"), "v4 /24 previous network");
    ipl_free(l);

    l = list_of("10.0.0.0/8", "172.16.0.0/12", NULL);
    ok(m(l, "10.255.255.255"), "/8 top");
    ok(m(l, "172.31.1.1"), "/12 inside");
    ok(!m(l, "172.32.0.0"), "/12 outside");
    ok(!m(l, "11.0.0.0"), "/8 outside");
    ipl_free(l);

    l = list_of("192.0.2.128/25", NULL);
    ok(m(l, "192.0.2.200"), "/25 upper half");
    ok(!m(l, "192.0.2.127"), "/25 lower half excluded");
    ipl_free(l);

    l = list_of("192.0.2.7/31", NULL);
    ok(m(l, "192.0.2.6"), "/31 with host bits set is masked: .6");
    ok(m(l, "192.0.2.7"), "/31: .7");
    ok(!m(l, "192.0.2.8"), "/31: .8 outside");
    ipl_free(l);
}

static void
test_prefix_edges(void)
{
    struct ipl *l = list_of("0.0.0.0/0", NULL);
    ok(m(l, "203.0.113.9"), "v4 /0 matches any IPv4");
    ok(m(l, "::ffff:203.0.113.9"), "v4 /0 matches a mapped address");
    ok(!m(l, "2001:db8::1"), "v4 /0 does not match native IPv6");
    ipl_free(l);

    l = list_of("192.0.2.55/32", NULL);
    ok(m(l, "192.0.2.55"), "/32 matches its address");
    ok(!m(l, "192.0.2.54"), "/32 only its address");
    ipl_free(l);

    l = list_of("::/0", NULL);
    ok(m(l, "2001:db8::1"), "v6 /0 matches any IPv6");
    ok(!m(l, "192.0.2.1"), "v6 /0 does not match IPv4");
    ok(!m(l, "::ffff:192.0.2.1"), "v6 /0 does not match a mapped IPv4");
    ipl_free(l);

    l = list_of("2001:db8::5/128", NULL);
    ok(m(l, "2001:db8::5"), "/128 matches its address");
    ok(!m(l, "2001:db8::4"), "/128 only its address");
    ipl_free(l);

    l = list_of("10.1.2.3/0", NULL);
    ok(m(l, "8.8.8.8"), "/0 with address bits set is masked to everything");
    ipl_free(l);
}

static void
test_v6(void)
{
    struct ipl *l = list_of("::1", "2001:db8::/32", "2001:DB8:ABCD::/48",
                            "fe80::/10", NULL);

    ok(m(l, "::1"), "v6 loopback");
    ok(!m(l, "::2"), "v6 ::2");
    ok(m(l, "2001:db8:ffff::1"), "/32 inside");
    ok(!m(l, "2001:db9::1"), "/32 outside");
    ok(m(l, "fe80::1"), "/10 inside");
    ok(m(l, "febf:ffff::1"), "/10 upper edge");
    ok(!m(l, "fec0::1"), "/10 outside");
    ipl_free(l);

    l = list_of("2001:db8:1:2:3:4:5:6/127", NULL);
    ok(m(l, "2001:db8:1:2:3:4:5:7"), "/127 partner address");
    ok(!m(l, "2001:db8:1:2:3:4:5:8"), "/127 outside");
    ipl_free(l);
}

static void
test_mapped(void)
{
    struct ipl *l = list_of("127.0.0.1", NULL);
    ok(m(l, "::ffff:127.0.0.1"), "mapped client matches a v4 entry");
    ok(!m(l, "::1"), "v6 loopback is not v4 loopback");
    ipl_free(l);

    l = list_of("::ffff:192.0.2.1", NULL);
    ok(m(l, "192.0.2.1"), "mapped entry matches a v4 client");
    ok(m(l, "::ffff:192.0.2.1"), "mapped entry matches a mapped client");
    ipl_free(l);

    l = list_of("::ffff:192.0.2.0/120", NULL);
    ok(m(l, "192.0.2.77"), "mapped /120 is a v4 /24");
    ok(!m(l, "192.0.3.1"), "mapped /120 outside");
    ipl_free(l);
}

static void
test_exceptions(void)
{
    struct ipl *l = list_of("!192.0.2.5", "192.0.2.0/24", NULL);
    ok(!m(l, "192.0.2.5"), "exception listed first wins");
    ok(m(l, "192.0.2.6"), "rest of the network matches");
    ipl_free(l);

    l = list_of("192.0.2.0/24", "!192.0.2.5", NULL);
    ok(m(l, "192.0.2.5"), "first match wins: a later exception is too late");
    ipl_free(l);

    l = list_of("!2001:db8::/48", "2001:db8::/32", NULL);
    ok(!m(l, "2001:db8:0:1::1"), "v6 exception");
    ok(m(l, "2001:db8:1::1"), "v6 outside the exception");
    ipl_free(l);

    l = list_of("!bad.example.com", ".example.com", NULL);
    ok(!ipl_match(l, NULL, "bad.example.com"), "host exception");
    ok(ipl_match(l, NULL, "good.example.com"), "host suffix after exception");
    ipl_free(l);

    l = list_of("!192.0.2.1", NULL);
    ok(!m(l, "192.0.2.1"), "exception alone does not match");
    ok(!m(l, "192.0.2.2"), "nothing else matches either");
    ipl_free(l);
}

static void
test_hosts(void)
{
    struct ipl *l = list_of("mx.Example.COM", ".example.net", "localhost.",
                            NULL);

    ok(ipl_match(l, NULL, "mx.example.com"), "host exact");
    ok(ipl_match(l, NULL, "MX.EXAMPLE.COM"), "host case-insensitive");
    ok(ipl_match(l, NULL, "mx.example.com."), "client name trailing dot");
    ok(!ipl_match(l, NULL, "a.mx.example.com"), "exact entry: no subdomain");
    ok(!ipl_match(l, NULL, "example.com"), "exact entry: no parent");
    ok(ipl_match(l, NULL, "a.b.Example.Net"), "suffix: name below");
    ok(!ipl_match(l, NULL, "example.net"), "suffix: not the name itself");
    ok(!ipl_match(l, NULL, "badexample.net"), "suffix: label boundary");
    ok(ipl_match(l, NULL, "localhost"), "entry trailing dot removed");
    ok(!ipl_match(l, NULL, NULL), "no host name, no address");
    ok(!ipl_match(l, NULL, ""), "empty host name");
    ok(!ipl_match(l, sa_of("192.0.2.1"), "unknown"), "address only list miss");
    ipl_free(l);

    l = list_of("192.0.2.1", "mail.example.org", NULL);
    ok(ipl_match(l, sa_of("203.0.113.1"), "mail.example.org"),
       "host entry matches when the address does not");
    ok(ipl_match(l, sa_of("192.0.2.1"), NULL), "address without a name");
    ipl_free(l);
}

static void
test_family(void)
{
    struct ipl *l = list_of("0.0.0.0/0", "::/0", NULL);
    struct sockaddr_storage ss;

    memset(&ss, 0, sizeof(ss));
    ss.ss_family = AF_UNIX;
    ok(!ipl_match(l, (struct sockaddr *)&ss, NULL), "AF_UNIX never matches");
    ok(!ipl_match(l, NULL, NULL), "NULL address never matches");
    ok(!ipl_match(NULL, sa_of("192.0.2.1"), "x"), "NULL list never matches");
    is_int(ipl_count(NULL), 0, "count of NULL list");
    ipl_free(l);

    l = ipl_new();
    ok(!m(l, "127.0.0.1"), "empty list matches nothing");
    is_int(ipl_count(l), 0, "empty list count");
    ipl_free(l);
    ipl_free(NULL);
}

static void
test_bad(void)
{
    refuses("", "empty entry");
    refuses("!", "empty entry");
    refuses("192.0.2.0/33", "prefix length must be 0 to 32 for IPv4");
    refuses("2001:db8::/129", "prefix length must be 0 to 128 for IPv6");
    refuses("192.0.2.0/", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/-1", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/+8", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/8x", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/0008", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/ 8", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.0/24/8", "prefix length must be 0 to 32 for IPv4");
    refuses("192.0.2.256", "not a valid IPv4 address");
    refuses("192.0.2", "not a valid IPv4 address");
    refuses("192.0.2.1.5", "not a valid IPv4 address");
    refuses("300.1.1.1/8", "not a valid IPv4 address");
    refuses("/24", "not a valid IPv4 address");
    refuses("2001:db8:::1", "not a valid IPv6 address");
    refuses("2001:db8::g", "not a valid IPv6 address");
    refuses("[::1]", "not a valid IPv6 address");
    refuses("example.com/24", "a prefix length needs an IP address");
    refuses("mx..example.com", "empty label in host name");
    refuses("*.example.com", "not an IP address, network or host name");
    refuses("exa mple.com", "not an IP address, network or host name");
    refuses("m\xc3\xa4il.example", "not an IP address, network or host name");
    refuses(".", "empty host name");
    refuses("..example.com", "empty label in host name");
    refuses("!!192.0.2.1", "not an IP address, network or host name");
    refuses("a234567890123456789012345678901234567890123456789012345678901234"
            ".example", "label in host name longer than 63");

    char big[600];
    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    for (size_t i = 50; i < sizeof(big) - 1; i += 50)
        big[i] = '.';
    refuses(big, "entry too long");
    big[300] = '\0';
    refuses(big, "host name too long");

    /* err may be NULL or tiny */
    struct ipl *l = ipl_new();
    ok(!ipl_add(l, "1.2.3.4/40", NULL, 0), "refuses with no err buffer");
    char tiny[4];
    ok(!ipl_add(l, "1.2.3.4/40", tiny, sizeof(tiny)), "tiny err buffer");
    is_str(tiny, "pre", "tiny err buffer is truncated");
    ok(!ipl_add(NULL, "1.2.3.4", tiny, sizeof(tiny)), "NULL list refused");
    ipl_free(l);
}

static void
test_many(void)
{
    struct ipl *l = ipl_new();
    char e[32];
    int good = 1;

    for (int i = 0; i < 1000; i++) {
        snprintf(e, sizeof(e), "10.%d.%d.0/24", i / 256, i % 256);
        good &= ipl_add(l, e, NULL, 0);
    }
    ok(good, "1000 entries added");
    is_int(ipl_count(l), 1000, "count 1000");
    ok(m(l, "10.3.231.9"), "last entry matches");
    ok(!m(l, "10.3.232.9"), "past the last entry");
    ipl_free(l);
}

int
main(void)
{
    test_v4();
    test_prefix_edges();
    test_v6();
    test_mapped();
    test_exceptions();
    test_hosts();
    test_family();
    test_bad();
    test_many();
    return done_testing();
}
