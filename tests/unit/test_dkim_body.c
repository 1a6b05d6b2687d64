/*
 * test_dkim_body.c: DKIM body hashes (auth/dkim_body.c) against RFC 6376's
 * rules, byte by byte; test_dkim checks them against libopendkim's signer.
 */
#include <config.h>

#include <openssl/evp.h>
#include <stdio.h>
#include <string.h>

#include "auth/dkim_body.h"
#include "tests/unit/tap.h"

/* body fed in chunks of csz; its hash in base64 */
static const char *
bh(enum dkb_canon c, enum dkb_alg a, const char *body, size_t csz)
{
    static char out[64];
    struct dkb_hash h;
    unsigned char d[DKB_DIGEST_MAX];
    size_t n, len = strlen(body);

    if (!dkb_start(&h, c, a))
        return "(start failed)";
    for (size_t o = 0; o < len; o += csz)
        dkb_update(&h, (const unsigned char *)body + o,
                   len - o < csz ? len - o : csz);
    n = dkb_finish(&h, d);
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
    return out;
}

/* The hash of canonical bytes written out by hand. */
static const char *
plain(const char *canonical)
{
    static char out[64];
    unsigned char d[EVP_MAX_MD_SIZE];
    unsigned n = 0;

    EVP_Digest(canonical, strlen(canonical), d, &n, EVP_sha256(), NULL);
    EVP_EncodeBlock((unsigned char *)out, d, (int)n);
    return out;
}

#define SIMPLE(b, cs) bh(DKB_SIMPLE, DKB_SHA256, (b), (cs))
#define RELAXED(b, cs) bh(DKB_RELAXED, DKB_SHA256, (b), (cs))

static void
test_vectors(void)
{
    /* RFC 6376 3.4.3, 3.4.4 and errata 3192: the empty body */
    is_str(SIMPLE("", 1), "frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=",
           "simple, empty body: the hash of CRLF");
    is_str(RELAXED("", 1), "47DEQpj8HBSa+/TImW+5JCeuQeRkm5NMpJWZG3hSuFU=",
           "relaxed, empty body: the hash of nothing");
    is_str(SIMPLE("\r\n\r\n", 1), plain("\r\n"), "simple, blank lines only: CRLF");
    is_str(RELAXED(" \t\r\n\r\n", 1), plain(""), "relaxed, WSP lines only: nothing");
    /* RFC 6376 3.4.5's example */
    is_str(RELAXED(" C \r\nD \t E\r\n\r\n\r\n", 1), plain(" C\r\nD E\r\n"),
           "relaxed: RFC 6376 3.4.5's example");
    is_str(SIMPLE(" C \r\nD \t E\r\n\r\n\r\n", 1), plain(" C \r\nD \t E\r\n"),
           "simple: RFC 6376 3.4.5's example");
    for (size_t cs = 1; cs <= 7; cs++) {
        char what[64];

        snprintf(what, sizeof(what), "chunks of %zu", cs);
        is_str(RELAXED("a  b\t\r\n\r\n c\r\n \r\n", cs),
               plain("a b\r\n\r\n c\r\n"), "relaxed, %s", what);
    }
    is_str(RELAXED("a\rb\r\n", 1), plain("a\rb\r\n"), "relaxed: a lone CR is text");
    is_str(SIMPLE("a\nb\r\n", 2), plain("a\nb\r\n"), "simple: a bare LF is text");
    is_str(RELAXED("a\r", 1), plain("a\r\r\n"), "a CR at the very end is text");
    is_str(RELAXED("text", 3), plain("text\r\n"), "relaxed: no CRLF at the end: one added");
    is_str(SIMPLE("text  ", 3), plain("text  \r\n"), "simple: no CRLF at the end: one added");
    is_str(RELAXED("text \t", 3), plain("text\r\n"), "relaxed: trailing WSP without CRLF dropped");
    is_str(bh(DKB_RELAXED, DKB_SHA1, "", 1), "2jmj7l5rSw0yVb/vlWAYkK/YBwk=",
           "sha1 of the empty relaxed body");
}

static void
test_long(void)
{
    static char body[3 * DKB_STAGE + 100], canon[sizeof(body)];
    size_t o = 0, c = 0;

    /* lines that cross the staging buffer's edges */
    while (o + 20 < sizeof(body) - 1) {
        memcpy(body + o, "0123456789  x\t\r\n", 16);
        memcpy(canon + c, "0123456789 x\r\n", 14);
        o += 16;
        c += 14;
    }
    body[o] = canon[c] = '\0';
    is_str(RELAXED(body, 4093), plain(canon), "relaxed, 12 KB across staging flushes");
}

static void
test_matches(void)
{
    unsigned char d[DKB_DIGEST_MAX];
    struct dkb_hash h;
    size_t n;

    ok(dkb_start(&h, DKB_SIMPLE, DKB_SHA256), "start");
    n = dkb_finish(&h, d);
    is_int((int)n, 32, "sha256: 32 bytes");
    ok(dkb_matches("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", d, n), "bh= matches");
    ok(dkb_matches(" frcCV1k9oG9oKj3dpUqd\r\n\tJg1PxRT2RSN/XKdLCPjaYaY= ", d, n),
       "bh= with FWS matches");
    ok(!dkb_matches("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYbY=", d, n),
       "one character off: no match");
    ok(!dkb_matches("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYa", d, n),
       "cut short: no match");
    ok(!dkb_matches("2jmj7l5rSw0yVb/vlWAYkK/YBwk=", d, n), "a SHA-1 length: no match");
    ok(!dkb_matches("", d, n), "empty bh=: no match");
    ok(!dkb_matches(NULL, d, n), "no bh=: no match");
    ok(!dkb_matches("frcC!!!!", d, n), "not base64: no match");
    ok(!dkb_matches("frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdLCPjaYaY=", d, 0),
       "no digest: no match");
}

int
main(void)
{
    test_vectors();
    test_long();
    test_matches();
    return done_testing();
}
