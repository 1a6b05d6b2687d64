/* test_domain.c: dn_normalize() and dn_is_subdomain(). */
#include <config.h>

#include <string.h>

#include "tests/unit/tap.h"
#include "dns/domain_name.h"
#include "dmarc/verdict.h"

/* Normalise len bytes and check both the status and the output. */
static void
norm_len(const char *in, size_t len, enum dn_status want, const char *want_out,
         const char *label)
{
    char out[DM_DOMAIN_MAX];

    memset(out, 'X', sizeof(out));
    is_int(dn_normalize(in, len, out, sizeof(out)), want, "%s: status", label);
    is_str(out, want_out, "%s: output", label);
}

/* The input as a printable TAP description: controls become \xNN. */
static const char *
printable(const char *in, char *buf, size_t bufsz)
{
    size_t n = 0;

    for (; *in != '\0' && n + 5 < bufsz; in++) {
        unsigned char c = (unsigned char)*in;
        if (c < 0x20 || c == 0x7f)
            n += (size_t)snprintf(buf + n, bufsz - n, "\\x%02x", c);
        else
            buf[n++] = (char)c;
    }
    buf[n] = '\0';
    return n ? buf : "(empty)";
}

static void
norm(const char *in, enum dn_status want, const char *want_out)
{
    char label[120];

    norm_len(in, strlen(in), want, want_out,
             printable(in, label, sizeof(label)));
}

/* A string of n copies of c, then tail. */
static const char *
rep(char *buf, size_t n, char c, const char *tail)
{
    memset(buf, c, n);
    strcpy(buf + n, tail);
    return buf;
}

static void
test_ascii(void)
{
    norm("example.com", DN_OK, "example.com");
    norm("EXAMPLE.COM", DN_OK, "example.com");
    norm("Mail.Example.Org", DN_OK, "mail.example.org");
    norm("example.com.", DN_OK, "example.com");
    norm("example.com..", DN_BAD_LABEL, "");
    norm("..", DN_BAD_LABEL, "");
    norm(".", DN_EMPTY, "");
    norm("", DN_EMPTY, "");
    norm(".example.com", DN_BAD_LABEL, "");
    norm("a..b", DN_BAD_LABEL, "");
    norm("localhost", DN_OK, "localhost");
    norm("a", DN_OK, "a");
    norm("1.2.3.4", DN_OK, "1.2.3.4");
    norm("x-y.example", DN_OK, "x-y.example");
    norm("-x.example", DN_BAD_LABEL, "");
    norm("x-.example", DN_BAD_LABEL, "");
    norm("x.example-", DN_BAD_LABEL, "");
    norm("a--b.example", DN_OK, "a--b.example");
    norm("_dmarc.example.com", DN_OK, "_dmarc.example.com");
    norm("_DMARC.Example.COM.", DN_OK, "_dmarc.example.com");
    norm("sel._domainkey.example.com", DN_OK, "sel._domainkey.example.com");
    norm("under_score.example", DN_OK, "under_score.example");
    norm("_", DN_OK, "_");
    norm("xn--bcher-kva.example", DN_OK, "xn--bcher-kva.example");
    norm("XN--BCHER-KVA.Example", DN_OK, "xn--bcher-kva.example");
}

static void
test_bad_bytes(void)
{
    norm("exa mple.com", DN_BAD_LABEL, "");
    norm(" example.com", DN_BAD_LABEL, "");
    norm("example.com ", DN_BAD_LABEL, "");
    norm("example.com\t", DN_BAD_LABEL, "");
    norm("exam\rple.com", DN_BAD_LABEL, "");
    norm("example.com\n", DN_BAD_LABEL, "");
    norm("a\x7f" "b.com", DN_BAD_LABEL, "");
    norm("user@example.com", DN_BAD_LABEL, "");
    norm("@example.com", DN_BAD_LABEL, "");
    norm("exa/mple.com", DN_BAD_LABEL, "");
    norm("exa*mple.com", DN_BAD_LABEL, "");
    norm("example.com]", DN_BAD_LABEL, "");
    norm("ex[1]ample.com", DN_BAD_LABEL, "");
    norm("[192.0.2.1]", DN_LITERAL, "");
    norm("[IPv6:2001:db8::1]", DN_LITERAL, "");
    norm_len("exam\0ple.com", 12, DN_BAD_LABEL, "", "NUL in the middle");
    norm_len("example.com\0", 12, DN_BAD_LABEL, "", "NUL at the end");
    norm_len("\0", 1, DN_BAD_LABEL, "", "lone NUL");
    /* Only len bytes count: the rest of the buffer is never read. */
    norm_len("example.com@junk", 11, DN_OK, "example.com", "len stops early");
    norm_len("Example.com", 7, DN_OK, "example", "len inside a name");
}

static void
test_lengths(void)
{
    char buf[600], name[600];

    /* 63-octet label fits, 64 does not. */
    norm(rep(buf, 63, 'a', ".example"), DN_OK, buf);
    norm(rep(buf, 64, 'a', ".example"), DN_TOO_LONG, "");
    norm(rep(buf, 64, 'b', ""), DN_TOO_LONG, "");

    /* 4 labels of 63 plus a 1-octet label: 4*64 - 1 + 2 = 257 > 253. */
    strcpy(name, "");
    for (int i = 0; i < 4; i++) {
        strcat(name, rep(buf, 63, 'c', "."));
    }
    strcat(name, "d");
    norm(name, DN_TOO_LONG, "");

    /* Exactly 253 octets: 3*64 + 61 = 253. */
    strcpy(name, "");
    for (int i = 0; i < 3; i++)
        strcat(name, rep(buf, 63, 'e', "."));
    strcat(name, rep(buf, 61, 'f', ""));
    is_int(strlen(name), 253, "253-octet name built");
    norm(name, DN_OK, name);

    /* 253 octets plus a trailing dot is still fine. */
    strcat(name, ".");
    {
        char want[300];
        memcpy(want, name, 253);
        want[253] = '\0';
        norm_len(name, 254, DN_OK, want, "253 octets plus trailing dot");
    }

    /* 254 octets: too long. */
    strcpy(name, "");
    for (int i = 0; i < 3; i++)
        strcat(name, rep(buf, 63, 'g', "."));
    strcat(name, rep(buf, 62, 'h', ""));
    is_int(strlen(name), 254, "254-octet name built");
    norm(name, DN_TOO_LONG, "");

    /* A huge input is refused without trouble. */
    {
        static char big[100000];
        memset(big, 'a', sizeof(big));
        norm_len(big, sizeof(big), DN_TOO_LONG, "", "100000 octets");
    }

    /* Too small an output buffer is refused, not overrun. */
    {
        char small[8];
        is_int(dn_normalize("example.com", 11, small, sizeof(small)),
               DN_TOO_LONG, "output buffer too small");
        is_str(small, "", "output buffer too small: emptied");
        is_int(dn_normalize("example", 7, small, sizeof(small)), DN_OK,
               "output buffer exactly big enough");
        is_str(small, "example", "output buffer exactly big enough: value");
    }
    is_int(dn_normalize(NULL, 0, NULL, 0), DN_EMPTY, "NULL input");
}

static void
test_idn(void)
{
    norm("Bücher.Example", DN_OK, "xn--bcher-kva.example");
    norm("bücher.example.", DN_OK, "xn--bcher-kva.example");
    norm("_dmarc.bücher.example", DN_OK, "_dmarc.xn--bcher-kva.example");
    norm("ÄÖ.de", DN_OK, "xn--4ca0b.de");
    /* Non-transitional: ß stays ß instead of becoming ss. */
    norm("straße.de", DN_OK, "xn--strae-oqa.de");
    norm("faß.de", DN_OK, "xn--fa-hia.de");
    norm("例え.テスト", DN_OK, "xn--r8jz45g.xn--zckzah");
    /* UTS#46 maps the ideographic full stop and fullwidth letters. */
    norm("bücher\xe3\x80\x82" "example", DN_OK, "xn--bcher-kva.example");
    norm("ｅｘａｍｐｌｅ.ü", DN_OK, "example.xn--tda");
    /* NFC: u + combining diaeresis equals precomposed ü. */
    norm("bu\xcc\x88" "cher.example", DN_OK, "xn--bcher-kva.example");
    norm("☃.example", DN_BAD_IDN, "");
    norm("-bü.example", DN_BAD_IDN, "");
    norm("ü_x.example", DN_BAD_IDN, "");        /* not "üx", see .c */
    norm("\xef\xbc\xbf" "ü.example", DN_BAD_IDN, "");  /* fullwidth _ */
    norm("ü\xef\xbc\x8a" "x.example", DN_BAD_IDN, "");  /* fullwidth * */
    norm("b\xfc" "cher.example", DN_BAD_IDN, "");    /* Latin-1, not UTF-8 */
    norm("\xc3", DN_BAD_IDN, "");                   /* truncated UTF-8 */
    norm("\xed\xa0\x80.example", DN_BAD_IDN, "");   /* UTF-16 surrogate */
    norm("bü cher.example", DN_BAD_LABEL, "");
    norm("[bü]", DN_LITERAL, "");
    {
        /* 40 ü encode to more than 63 octets. */
        char buf[200];
        size_t n = 0;
        for (int i = 0; i < 40; i++) {
            buf[n++] = '\xc3';
            buf[n++] = '\xa4';
            buf[n++] = 'x';
        }
        buf[n] = '\0';
        norm(buf, DN_TOO_LONG, "");
    }
}

static void
test_strerror(void)
{
    is_str(dn_strerror(DN_OK), "ok", "strerror ok");
    is_str(dn_strerror(DN_LITERAL), "address literal, not a domain name",
           "strerror literal");
    is_str(dn_strerror((enum dn_status)99), "unknown domain name error",
           "strerror out of range");
}

static void
test_subdomain(void)
{
    ok(dn_is_subdomain("a.example.com", "example.com"), "child");
    ok(dn_is_subdomain("x.y.example.com", "example.com"), "grandchild");
    ok(dn_is_subdomain("example.com", "example.com"), "equal");
    ok(dn_is_subdomain("Mail.Example.COM", "example.com"), "case ignored");
    ok(!dn_is_subdomain("badexample.com", "example.com"), "no label boundary");
    ok(!dn_is_subdomain("example.com", "a.example.com"), "parent under child");
    ok(!dn_is_subdomain("example.org", "example.com"), "other domain");
    ok(!dn_is_subdomain("com", "example.com"), "shorter");
    ok(dn_is_subdomain("example.com", "com"), "under a TLD");
    ok(!dn_is_subdomain("example.com", ""), "empty parent");
    ok(!dn_is_subdomain("", "example.com"), "empty sub");
    ok(!dn_is_subdomain(NULL, "example.com"), "NULL sub");
    ok(!dn_is_subdomain("example.com", NULL), "NULL parent");
    ok(!dn_is_subdomain(".example.com", "com.example.com"), "mid-name match");
    ok(dn_is_subdomain("_dmarc.example.com", "example.com"), "underscore");
}

int
main(void)
{
    test_ascii();
    test_bad_bytes();
    test_lengths();
    test_idn();
    test_strerror();
    test_subdomain();
    return done_testing();
}
