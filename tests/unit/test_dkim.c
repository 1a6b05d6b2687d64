/*
 * test_dkim.c: DKIM self-verification (auth/dkim_verify.c) against
 * messages signed here by libopendkim, with a scripted resolver.
 */
#include <config.h>

#include <opendkim/dkim.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "auth/auth.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

/* A throwaway 2048-bit RSA key made for this test only. */
static const char test_key_pem[] =
    "-----BEGIN PRIVATE KEY-----\n"
    "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQCfwhHwY9ajPzeU\n"
    "T0MsZKFM3oNVNZijrJ/Hx8glGzHrraZd4dj1+yk1ACEjP60EC0PY+pYpnbZyIKXh\n"
    "+12/J8l1fIJUEorYNUFXEYp+35mooVeeXNmyth0HLpOYCIKoX6QlOaYYLG9gJ5ZS\n"
    "s4aJ32cp+9fRjC+Q1bHabq8NSM5EJ8jW1u/umPMQMvQfZhKTcRcV3X0ExnEkC8Cv\n"
    "vn9Azf0CiIhRM2RP51nroraKrgw6bsD0ibnjdOr+Nz/Fx2U+WyGzQReEQjiQasH3\n"
    "bXLRBRZ+kH3eYqnWMbWVoDrbDwFvaFdE90rgj2OfNXbNud3VRS3WbdR99hRmGkcZ\n"
    "Uunp1CzTAgMBAAECggEAAJgJClngF1UnB4p8AVtp8+uEEYb+l9cAA3V0hogosReR\n"
    "kOaxi95DAydl+CNRodJNWzWfYa7ouNzcjOP3yQxjs5dHVGifaLZLHMZZNEhlI+x0\n"
    "eo7UuDt/iY49ip7x0jLuE9Nn7Du2DfB0E+QON1L+ZZ0D2/H9jTgyuDtMtAkcTxLG\n"
    "isMrwJKcw73QnnH4r4yRg7kGz+ZDFkxKuMJCSJaKJSijI24mT6FQeNUn3UDiNhTX\n"
    "IJ8eJmGxKiZbsovSJoJ6mXPm6aAsT2FtpqyRiHjaCBZM/2lrXic5dEYOCEJo8Pay\n"
    "jdPwuuUxNAeOS7goHZEINNHLCIX0TiJffd7p5yKEYQKBgQDMQkEduWlVLYKSZ0Q5\n"
    "4q8u5wqkaXoa6wCh7WDP+KboBY+Ob065L5EjKuruo0U7vD3omhtuhJmpge9SZ/Fv\n"
    "WjXOvBhR3M90SvBjKv+h3527e7QTF7OUGhVF9oXtCJZRIh5JoV4UJezZ/cwGg55H\n"
    "U5qXxHDHAw9jHG2mpw2t5GlycQKBgQDIOgoY2XHxGIKrXF0+OCGNFu17+br7qFP+\n"
    "V4l5AyMZY131hKvtjo1Jmjrvu98vMJ56Kxkmsu9Onwmr3kv/JqT0SXa/EK0q4E6+\n"
    "pGOCz/mTP0bghnpygJ12yKi9DgV2YvwU8+3UqzmgVaYKw+IPAa0qqApbam6Sz+ls\n"
    "s7agVaztgwKBgCYh/FwbQEHppCXG56LS4hekhIUbN/OMieqxEVDiP+6zExDpUM4b\n"
    "xkHFgmSY0JUNWJVzJ8njMXjGzDIbO6SpN8BntzaZPZWdY/FvlpfW0nCs8HpcA2eT\n"
    "0wLjui79Wmq9LuBaIuEqD2THD+7rZYI1ZngM8W0F8jpzlTj2mQQsz07RAoGAXIHs\n"
    "PlTgftqrLI7tCZ0Xaz9Hk7rqt/Cqdd1tx3o6kjVFqPSWFpiBEJtwVWjAkeXtolYd\n"
    "NbMAO5vg9QYsqILrPW5fraD/0Mp3tz7uNvbtwSlADuYy1ooztji5NTewMGVFQEz+\n"
    "+f3uDvTjVR/xZquInSesOVYwJiZnG3DglK1gyw8CgYEAgDtxhBf0L2qXASWxhBCQ\n"
    "lqF29HgYYTTcHIDWUq3GV0xbpO1qL5PjpjfZXlBQm+3CXe0suy2aZQF9gVB4SETh\n"
    "8DCLPBusT40Rb4Gz68ILdKTSp40P8OmJ9DnPK6l05Vr7z74uU7z52w9ICuypYjZY\n"
    "D+ftN9HdBKDoQaVshBod8/k=\n"
    "-----END PRIVATE KEY-----\n"
    ;
static const char test_key_pub[] =
    "MIIBIjANBgkqhkiG9w0BAQEFAAOCAQ8AMIIBCgKCAQEAn8IR8GPWoz83lE9DLGSh"
    "TN6DVTWYo6yfx8fIJRsx662mXeHY9fspNQAhIz+tBAtD2PqWKZ22ciCl4ftdvyfJ"
    "dXyCVBKK2DVBVxGKft+ZqKFXnlzZsrYdBy6TmAiCqF+kJTmmGCxvYCeWUrOGid9n"
    "KfvX0YwvkNWx2m6vDUjORCfI1tbv7pjzEDL0H2YSk3EXFd19BMZxJAvAr75/QM39"
    "AoiIUTNkT+dZ66K2iq4MOm7A9Im543Tq/jc/xcdlPlshs0EXhEI4kGrB921y0QUW"
    "fpB93mKp1jG1laA62w8Bb2hXRPdK4I9jnzV2zbnd1UUt1m3UffYUZhpHGVLp6dQs"
    "0wIDAQAB"    ;

/* --- the scripted resolver ------------------------------------------- */

static struct zone_rr fake_zone[16];
static size_t fake_n;
static unsigned fake_queries;
static char key_record[2048];
static char big_record[3000];

/* A name whose server never answers: the lookup takes 0.3 s, then fails. */
static const char dead_key[] = "sel._domainkey.dead.test";

static enum dns_status
fake_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    (void)arg;
    fake_queries++;
    if (strcmp(qname, dead_key) == 0) {
        struct timespec ts = { 0, 300 * 1000 * 1000 };

        nanosleep(&ts, NULL);
        ans->count = 0;
        return DNS_TEMPFAIL;
    }
    return zone_answer(fake_zone, fake_n, qname, ans);
}

static void
zone(const char *qname, enum dns_status st, const char *t1, const char *t2)
{
    fake_zone[fake_n].name = qname;
    fake_zone[fake_n].st = st;
    fake_zone[fake_n].txt[0] = t1;
    fake_zone[fake_n].txt[1] = t1 != NULL ? t2 : NULL;
    fake_zone[fake_n].txt[2] = NULL;
    fake_n++;
}

static const struct dns_txt_resolver fake_dns = { fake_lookup, NULL };

/* --- signing ---------------------------------------------------------- */

#define MAX_HDRS 12

struct msg {
    const char *name[MAX_HDRS];
    char *value[MAX_HDRS];      /* as libmilter gives it: no leading space */
    size_t n;
    char body[4096];
};

static DKIM_LIB *sign_lib;

static void
msg_init(struct msg *m, const char *body)
{
    memset(m, 0, sizeof(*m));
    m->name[0] = "From";
    m->value[0] = strdup("Alice <alice@example.com>");
    m->name[1] = "To";
    m->value[1] = strdup("<bob@recipient.test>");
    m->name[2] = "Subject";
    m->value[2] = strdup("a test\n\tfolded");
    m->name[3] = "Date";
    m->value[3] = strdup("Sun, 22 Nov 2026 10:00:00 +0000");
    m->n = 4;
    snprintf(m->body, sizeof(m->body), "%s", body);
}

static void
msg_free(struct msg *m)
{
    for (size_t i = 0; i < m->n; i++)
        free(m->value[i]);
}

/* The header field as it was on the wire (CRLF folds). */
static size_t
wire_header(const char *name, const char *value, char *out, size_t outsz)
{
    size_t o = (size_t)snprintf(out, outsz, "%s: ", name);

    for (const char *p = value; *p != '\0' && o + 2 < outsz; p++) {
        if (*p == '\n')
            out[o++] = '\r';
        out[o++] = *p;
    }
    out[o] = '\0';
    return o;
}

/* A DKIM-Signature field on top of m's header. */
static void
prepend_signature(struct msg *m, const char *value)
{
    memmove(&m->name[1], &m->name[0], m->n * sizeof(m->name[0]));
    memmove(&m->value[1], &m->value[0], m->n * sizeof(m->value[0]));
    m->name[0] = "DKIM-Signature";
    m->value[0] = strdup(value);
    m->n++;
}

/* Sign m's current header and body with key_pem; the signature goes on
   top. */
static void
sign_with(struct msg *m, const char *domain, const char *selector,
          dkim_canon_t hc, dkim_canon_t bc, ssize_t length,
          const char *key_pem)
{
    DKIM_STAT st;
    DKIM *d = dkim_sign(sign_lib, (const unsigned char *)"test", NULL,
                        (dkim_sigkey_t)key_pem,
                        (const unsigned char *)selector,
                        (const unsigned char *)domain, hc, bc,
                        DKIM_SIGN_RSASHA256, length, &st);
    char line[8192];
    unsigned char sig[8192];

    if (d == NULL) {
        printf("Bail out! dkim_sign: %d\n", st);
        exit(1);
    }
    if (length >= 0)
        dkim_setpartial(d, true);
    for (size_t i = 0; i < m->n; i++) {
        size_t len = wire_header(m->name[i], m->value[i], line, sizeof(line));

        dkim_header(d, (u_char *)line, len);
    }
    dkim_eoh(d);
    dkim_body(d, (u_char *)m->body, strlen(m->body));
    st = dkim_eom(d, NULL);
    if (st != DKIM_STAT_OK ||
        dkim_getsighdr(d, sig, sizeof(sig), strlen("DKIM-Signature: "))
        != DKIM_STAT_OK) {
        printf("Bail out! signing failed: %d %s\n", st, dkim_geterror(d));
        exit(1);
    }
    dkim_free(d);
    /* libmilter hands folded fields over with bare LF */
    for (char *r; (r = strchr((char *)sig, '\r')) != NULL;)
        memmove(r, r + 1, strlen(r));
    prepend_signature(m, (char *)sig);
}

static void
sign(struct msg *m, const char *domain, const char *selector,
     dkim_canon_t hc, dkim_canon_t bc, ssize_t length)
{
    sign_with(m, domain, selector, hc, bc, length, test_key_pem);
}

/* --- verifying -------------------------------------------------------- */

static struct dkv_limits lim = { 8, 16 * 1024 * 1024, 5.0 };

/* Verify m (body fed in chunks of csz); returns the verifier. */
static struct dkv_msg *
verify_chunks(const struct msg *m, size_t csz, bool leadspc, bool *wanted)
{
    struct dkv_msg *v = dkv_new(&fake_dns, &lim, "TESTQ");
    size_t blen = strlen(m->body);
    bool more = true;

    if (v == NULL) {
        printf("Bail out! dkv_new\n");
        exit(1);
    }
    for (size_t i = 0; i < m->n; i++) {
        char val[8192];

        snprintf(val, sizeof(val), "%s%s", leadspc ? " " : "", m->value[i]);
        dkv_header(v, m->name[i], val, leadspc);
    }
    dkv_eoh(v);
    for (size_t o = 0; o < blen && more; o += csz) {
        size_t len = blen - o < csz ? blen - o : csz;

        more = dkv_body(v, (const unsigned char *)m->body + o, len);
    }
    if (wanted != NULL)
        *wanted = more;
    dkv_eom(v);
    return v;
}

static struct dkv_msg *
verify(const struct msg *m)
{
    return verify_chunks(m, 65535, false, NULL);
}

static const char *
res(const struct dkv_msg *v, size_t i)
{
    const struct dkv_sig *s = dkv_sig(v, i);

    return s != NULL ? dm_auth_name(s->id.result) : "(none)";
}

static const char *
why(const struct dkv_msg *v, size_t i)
{
    const struct dkv_sig *s = dkv_sig(v, i);

    return s != NULL && s->why != NULL ? s->why : "(null)";
}

/* The first 8 characters of a signature's b= tag, FWS removed. */
static void
b_tag(const char *sig, char *out)
{
    const char *p = sig;
    size_t n = 0;

    out[0] = '\0';
    while (p != NULL && *p != '\0') {
        while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
            p++;
        if (p[0] == 'b' && p[1] == '=') {
            for (p += 2; *p != '\0' && *p != ';' && n < 8; p++) {
                if (*p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
                    out[n++] = *p;
            }
            out[n] = '\0';
            return;
        }
        p = strchr(p, ';');
        if (p != NULL)
            p++;
    }
}

#define BODY "Hello Bob,\r\n\r\nthe numbers are in.\r\n"

static void
test_basic(void)
{
    struct msg m;
    struct dkv_msg *v;
    const struct dkv_sig *s;
    char b8[9];

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_int((int)dkv_count(v), 1, "relaxed/relaxed: one signature");
    is_str(res(v, 0), "pass", "relaxed/relaxed: pass");
    s = dkv_sig(v, 0);
    is_str(s->id.domain, "example.com", "d= is the domain");
    is_str(s->id.selector, "sel", "s= is the selector");
    is_int((int)s->key_bits, 2048, "key size 2048");
    is_str(s->identity, "@example.com", "header.i defaults to @d");
    b_tag(m.value[0], b8);
    is_str(s->b, b8, "header.b: the first 8 characters of b=");
    ok(s->why == NULL, "pass: no reason");
    is_str(s->alg, "rsa-sha256", "header.a rsa-sha256");
    dkv_free(v);

    /* the same message, headers with the leading space kept (LEADSPC) */
    v = verify_chunks(&m, 7, true, NULL);
    is_str(res(v, 0), "pass", "leading space kept, body in 7-byte chunks: pass");
    dkv_free(v);

    /* body changed after signing */
    strcat(m.body, "PS: forged\r\n");
    v = verify(&m);
    is_str(res(v, 0), "fail", "relaxed: body altered: fail");
    is_str(why(v, 0), "body hash did not verify", "... body hash did not verify");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, -1);
    v = verify(&m);
    is_str(res(v, 0), "pass", "simple/simple (a folded Subject): pass");
    dkv_free(v);
    v = verify_chunks(&m, 3, true, NULL);
    is_str(res(v, 0), "pass", "simple/simple, LEADSPC, 3-byte chunks: pass");
    dkv_free(v);
    /* simple canonicalisation notices whitespace that relaxed forgives */
    free(m.value[3]);
    m.value[3] = strdup("a test\n\t folded");
    v = verify(&m);
    is_str(res(v, 0), "fail", "simple: a header's whitespace changed: fail");
    is_str(why(v, 0), "signature verification failed", "... the signature fails");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    free(m.value[3]);
    m.value[3] = strdup("another subject");
    v = verify(&m);
    is_str(res(v, 0), "fail", "Subject changed: fail");
    dkv_free(v);
    msg_free(&m);
}

/*
 * d2i_PUBKEY_bio as OpenSSL's: a BIO holding two keys gives both, then
 * nothing, whether a key comes from the table or is decoded.
 */
static void
test_key_bio(void)
{
    unsigned char der[2048], two[4096];
    size_t b64 = strlen(test_key_pub), pad = 0;
    int len = EVP_DecodeBlock(der, (const unsigned char *)test_key_pub,
                              (int)b64);
    BIO *bio;
    EVP_PKEY *k1, *k2, *k3;

    /* EVP_DecodeBlock counts the padding as bytes of zeros */
    while (pad < 2 && test_key_pub[b64 - 1 - pad] == '=')
        pad++;
    len -= (int)pad;
    memcpy(two, der, (size_t)len);
    memcpy(two + len, der, (size_t)len);
    bio = BIO_new_mem_buf(two, 2 * len);
    k1 = d2i_PUBKEY_bio(bio, NULL);
    k2 = d2i_PUBKEY_bio(bio, NULL);
    k3 = d2i_PUBKEY_bio(bio, NULL);
    ok(k1 != NULL && k2 != NULL, "two keys in one BIO: both read");
    ok(k3 == NULL, "... then nothing");
    ok(k2 != NULL && EVP_PKEY_get_bits(k2) == 2048, "... a 2048-bit key");
    EVP_PKEY_free(k1);
    EVP_PKEY_free(k2);
    BIO_free(bio);
}

/*
 * libopendkim's key decoding is answered by dkim_keys.c: test_basic's
 * eight verifications with one key decoded it once, and a key decoded
 * again from the table still verifies (and still fails a forgery).
 */
static void
test_key_table(void)
{
    struct dkk_stats before, after;
    struct msg m;
    struct dkv_msg *v;

    ok(dkk_bound(), "d2i_PUBKEY_bio is bound to the key table");
    dkk_stats(&before);
    is_int((int)before.decoded, 1, "one key decoded for test_basic's messages");
    ok(before.reused >= 6, "... and reused for the others");
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "pass", "a key from the table: pass");
    dkv_free(v);
    free(m.value[3]);
    m.value[3] = strdup("forged subject");
    v = verify(&m);
    is_str(res(v, 0), "fail", "a key from the table: a forgery fails");
    dkv_free(v);
    msg_free(&m);
    dkk_stats(&after);
    is_int((int)after.decoded, 1, "no key decoded again");
    is_int((int)(after.reused - before.reused), 2, "two more lookups answered");
    test_key_bio();
}

static void
test_length(void)
{
    struct msg m;
    struct dkv_msg *v;
    bool more;

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
         (ssize_t)strlen(BODY));
    ok(strstr(m.value[0], "l=") != NULL, "the signer wrote l=");
    strcat(m.body, "Appended by a mailing list.\r\n");
    v = verify_chunks(&m, 10, false, &more);
    is_str(res(v, 0), "pass", "l=: text appended after the signed part: pass");
    ok(!more, "l=: no more body wanted once l= is reached");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE,
         (ssize_t)strlen(BODY));
    m.body[2] = 'X';
    v = verify(&m);
    is_str(res(v, 0), "fail", "l=: a change inside the signed part: fail");
    dkv_free(v);
    msg_free(&m);

    /* without l= the whole body is wanted */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify_chunks(&m, 10, false, &more);
    ok(more, "no l=: the body is wanted to its end");
    dkv_free(v);

    /* a body over DKIMMaxBodyBytes: not hashed further, result policy */
    lim.max_body = 10;
    v = verify_chunks(&m, 4, false, &more);
    ok(!more, "max_body 10: no more body wanted after 10 bytes");
    is_str(res(v, 0), "policy", "max_body 10: policy");
    is_str(why(v, 0), "body over DKIMMaxBodyBytes", "... body over DKIMMaxBodyBytes");
    dkv_free(v);
    lim.max_body = strlen(BODY);
    v = verify(&m);
    is_str(res(v, 0), "pass", "max_body exactly the body length: pass");
    dkv_free(v);
    lim.max_body = 16 * 1024 * 1024;
    msg_free(&m);
}

static void
test_keys(void)
{
    struct msg m;
    struct dkv_msg *v;
    struct dm_auth_id ids[4];

    /*
     * two signatures: a third party's without a key on top, then the
     * author's; the author's (nearest the From domain) is verified first
     */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "esp.test", "nokey", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_int((int)dkv_count(v), 2, "two signatures, two results");
    is_str(dkv_sig(v, 0)->id.domain, "example.com",
           "first: the From domain's (example.com), though second in the header");
    is_str(res(v, 0), "pass", "example.com: pass");
    is_str(res(v, 1), "permerror", "esp.test: no key: permerror");
    is_str(why(v, 1), "no key", "... no key");
    is_int((int)dkv_auth_ids(v, ids, 4), 2, "dkv_auth_ids: 2");
    is_str(ids[0].domain, "example.com", "dkv_auth_ids: d=");
    is_int(ids[0].result, DM_AUTH_PASS, "dkv_auth_ids: result");
    is_int((int)dkv_auth_ids(v, ids, 1), 1, "dkv_auth_ids: stops at max");
    dkv_free(v);
    msg_free(&m);

    /* SERVFAIL for one key: temperror; the other signature still passes */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "broken.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "pass", "the author's signature passes");
    is_str(res(v, 1), "temperror", "SERVFAIL: temperror");
    is_str(why(v, 1), "key query failed", "... key query failed");
    is_str(dkv_sig(v, 1)->id.domain, "broken.test", "... with its d=");
    dkv_free(v);

    /*
     * the DNS budget spent: no query at all, and no temporary error of a
     * domain nobody asked: "policy"
     */
    lim.dns_budget = 0;
    fake_queries = 0;
    v = verify(&m);
    is_str(res(v, 0), "policy", "DNS budget 0: policy, not temperror");
    is_str(why(v, 0), "key lookups over time", "... key lookups over time");
    is_str(res(v, 1), "policy", "... for every signature");
    is_int((int)fake_queries, 0, "... and no query made");
    lim.dns_budget = 5.0;
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "big.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "permerror", "a 2500-byte key record: permerror");
    is_str(why(v, 0), "key record too large", "... key record too large");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "two.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "permerror", "two key records: permerror");
    is_str(why(v, 0), "several key records", "... several key records");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "garbage.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "permerror", "a key record that is not a key: permerror");
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "revoked.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    ok(dkv_sig(v, 0)->id.result != DM_AUTH_PASS, "a revoked key (p=): not pass (%s)",
       res(v, 0));
    dkv_free(v);
    msg_free(&m);

    msg_init(&m, BODY);
    sign(&m, "refused.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "permerror", "REFUSED: permerror");
    dkv_free(v);
    msg_free(&m);
}

/*
 * A sender's name server that never answers costs one DNS budget, and
 * never the signature of the domain that may align (RFC 7489 6.6.2,
 * RFC 9989 5.3.2: only an aligned identifier's temporary error may
 * hold a message).
 */
static void
test_dead_keys(void)
{
    struct msg m;
    struct dkv_msg *v;
    struct timespec t0, t1;
    double took;

    lim.dns_budget = 0.2;
    /* a dead third party on top: the author's key is asked first */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "dead.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "pass", "dead third party on top: the author's passes");
    is_str(res(v, 1), "temperror", "... the dead one: temperror");
    is_str(dkv_sig(v, 1)->id.domain, "dead.test", "... for d=dead.test");
    dkv_free(v);
    msg_free(&m);

    /* two dead ones and the author's: one timeout, then no more queries */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "dead.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_SIMPLE, -1);
    sign(&m, "dead.test", "sel", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, -1);
    sign(&m, "esp.test", "nokey", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    clock_gettime(CLOCK_MONOTONIC, &t0);
    v = verify(&m);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    took = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    is_str(res(v, 0), "pass", "four signatures: the author's first, pass");
    is_str(res(v, 1), "permerror", "... then in header order: esp.test's");
    is_str(res(v, 2), "temperror", "... the first dead one: temperror");
    is_str(res(v, 3), "policy", "... the second, after the budget: policy");
    ok(took < 0.55, "... in one timeout (0.3 s), not two (took %.2f s)", took);
    dkv_free(v);
    msg_free(&m);

    /*
     * From: two domains, the dead one's signature on top and as near as
     * the other's: it spends the budget, and the other signature is
     * "policy", never a temperror that would hold a spoof of example.com
     */
    msg_init(&m, BODY);
    free(m.value[0]);
    m.value[0] = strdup("a@dead.test, b@example.com");
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "dead.test", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify(&m);
    is_str(res(v, 0), "temperror", "two From domains, the dead d= on top: "
           "temperror for it");
    is_str(dkv_sig(v, 1)->id.domain, "example.com", "... then example.com's");
    is_str(res(v, 1), "policy", "... not asked: policy, not temperror");
    dkv_free(v);
    msg_free(&m);
    lim.dns_budget = 5.0;
}

static void
test_caps(void)
{
    struct msg m;
    struct dkv_msg *v;

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    sign(&m, "example.com", "sel", DKIM_CANON_SIMPLE, DKIM_CANON_SIMPLE, -1);
    sign(&m, "esp.test", "nokey", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    lim.max_sigs = 2;
    fake_queries = 0;
    v = verify(&m);
    is_int((int)dkv_count(v), 2, "DKIMMaxSignatures 2 of 3: two results");
    is_str(res(v, 0), "pass", "... the From domain's first (example.com)");
    is_str(res(v, 1), "pass", "... and its second, not esp.test's on top");
    is_int((int)fake_queries, 1, "... one key lookup for the two");
    dkv_free(v);
    lim.max_sigs = 1;
    v = verify(&m);
    is_int((int)dkv_count(v), 1, "DKIMMaxSignatures 1 of 3: one result");
    is_str(dkv_sig(v, 0)->id.domain, "example.com",
           "... the From domain's, though two signatures stand above it");
    dkv_free(v);
    lim.max_sigs = 8;
    fake_queries = 0;
    v = verify(&m);
    is_int((int)dkv_count(v), 3, "DKIMMaxSignatures 8: three results");

    is_int((int)fake_queries, 2, "... the key of a repeated d=/s= fetched once");
    dkv_free(v);
    msg_free(&m);

    /* unsigned: nothing to report, no body wanted */
    msg_init(&m, BODY);
    {
        bool more = true;

        v = verify_chunks(&m, 10, false, &more);
        is_int((int)dkv_count(v), 0, "unsigned: no result");
        ok(!more, "unsigned: no body wanted");
        dkv_free(v);
    }

    /* broken signature fields: no crash, nothing passes */
    m.name[m.n] = "DKIM-Signature";
    m.value[m.n++] = strdup("v=1; a=rsa-sha256; d=example.com; s=sel; b=");
    m.name[m.n] = "DKIM-Signature";
    m.value[m.n++] = strdup("garbage; ;;= =");
    m.name[m.n] = "DKIM-Signature";
    m.value[m.n++] = strdup("v=1; a=rsa-sha256; d=exa mple..com; s=s e l; "
                            "h=from; bh=AAAA; b=AAAA");
    v = verify(&m);
    for (size_t i = 0; i < dkv_count(v); i++)
        ok(dkv_sig(v, i)->id.result != DM_AUTH_PASS,
           "malformed signature %zu: %s (%s)", i, res(v, i), why(v, i));
    ok(dkv_count(v) <= 3, "malformed signatures: at most one result each");
    dkv_free(v);
    msg_free(&m);

    /* a header over DKV_HEADER_BYTES: given up, no result, no crash */
    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    {
        struct dkv_msg *w = dkv_new(&fake_dns, &lim, "BIG");
        char *huge = malloc(100000);

        memset(huge, 'x', 99999);
        huge[99999] = '\0';
        for (size_t i = 0; i < m.n; i++)
            dkv_header(w, m.name[i], m.value[i], false);
        for (int i = 0; i < 12; i++)
            dkv_header(w, "X-Filler", huge, false);
        dkv_eoh(w);
        ok(!dkv_body(w, (const unsigned char *)m.body, strlen(m.body)),
           "header over 1 MiB: no body wanted");
        dkv_eom(w);
        is_int((int)dkv_count(w), 0, "header over 1 MiB: no result");
        dkv_free(w);
        free(huge);
    }
    msg_free(&m);

    /* dkv_eom without eoh or body, NULL handles */
    v = dkv_new(&fake_dns, &lim, NULL);
    dkv_eom(v);
    is_int((int)dkv_count(v), 0, "an empty message: no result");
    dkv_free(v);
    dkv_free(NULL);
    is_int((int)dkv_count(NULL), 0, "dkv_count(NULL)");
    ok(dkv_sig(NULL, 0) == NULL, "dkv_sig(NULL)");
}

static void
test_format(void)
{
    struct dkv_sig s;
    char out[512];

    memset(&s, 0, sizeof(s));
    s.id.result = DM_AUTH_PASS;
    strcpy(s.id.domain, "example.com");
    strcpy(s.id.selector, "sel");
    strcpy(s.identity, "@example.com");
    strcpy(s.b, "AbC+/dE=");
    s.key_bits = 2048;
    s.alg = "rsa-sha256";
    ok(dkv_format_ar(out, sizeof(out), "mx.test", &s), "format pass");
    is_str(out, "mx.test; dkim=pass (2048-bit key; unprotected) "
           "header.d=example.com header.i=@example.com header.a=rsa-sha256 "
           "header.s=sel header.b=\"AbC+/dE=\"", "pass: opendkim's form, b quoted");
    strcpy(s.b, "AbC+xdE0");
    ok(dkv_format_ar(out, sizeof(out), "mx.test", &s), "format pass, plain b");
    is_str(out, "mx.test; dkim=pass (2048-bit key; unprotected) "
           "header.d=example.com header.i=@example.com header.a=rsa-sha256 "
           "header.s=sel header.b=AbC+xdE0", "a b without '/' or '=': a token");
    strcpy(s.b, "AbC+/dE=");
    s.alg = NULL;

    s.id.result = DM_AUTH_FAIL;
    s.why = "body hash did not verify";
    ok(dkv_format_ar(out, sizeof(out), "mx.test", &s), "format fail");
    is_str(out, "mx.test; dkim=fail reason=\"body hash did not verify\" "
           "(2048-bit key; unprotected) header.d=example.com "
           "header.i=@example.com header.s=sel header.b=\"AbC+/dE=\"",
           "fail: reason, then the key");

    s.id.result = DM_AUTH_TEMPERROR;
    s.why = "key query failed";
    s.key_bits = 0;
    s.identity[0] = '\0';
    s.b[0] = '\0';
    ok(dkv_format_ar(out, sizeof(out), "mx.test", &s), "format temperror");
    is_str(out, "mx.test; dkim=temperror (key query failed) "
           "header.d=example.com header.s=sel", "temperror: the reason as a comment");

    s.id.selector[0] = '\0';
    ok(dkv_format_ar(out, sizeof(out), "mx.test", &s), "no selector");
    is_str(out, "mx.test; dkim=temperror (key query failed) "
           "header.d=example.com", "no selector: no header.s");

    ok(!dkv_format_ar(out, sizeof(out), "mx test", &s), "unsafe authserv-id refused");
    ok(!dkv_format_ar(out, sizeof(out), "", &s), "empty authserv-id refused");
    ok(!dkv_format_ar(out, 20, "mx.test", &s), "small buffer: false");
    ok(!dkv_format_ar(out, 0, "mx.test", &s), "no buffer: false");
    strcpy(s.id.domain, "exa;mple.com");
    ok(!dkv_format_ar(out, sizeof(out), "mx.test", &s), "unsafe domain refused");
    strcpy(s.id.domain, "example.com");
    strcpy(s.id.selector, "s;x");
    ok(!dkv_format_ar(out, sizeof(out), "mx.test", &s), "unsafe selector refused");
    strcpy(s.id.selector, "sel");
    strcpy(s.identity, "a@b c");
    ok(!dkv_format_ar(out, sizeof(out), "mx.test", &s), "unsafe identity refused");
}

/* --- the body hashed here, against libopendkim's signer ---------------- */

/* A random body of CRLF lines: words, runs of SP and HTAB at either end
   of a line, empty and WSP-only lines, trailing empty lines. */
static void
random_body(char *out, size_t outsz, unsigned *seed)
{
    static const char *const bits[] = { "word", " ", "\t", "  \t ", "x",
                                        "=3D", "caf\xc3\xa9", "." };
    size_t o = 0, lines = 1 + (size_t)(rand_r(seed) % 12);

    for (size_t l = 0; l < lines && o + 200 < outsz; l++) {
        size_t parts = (size_t)(rand_r(seed) % 8);

        for (size_t i = 0; i < parts; i++)
            o += (size_t)snprintf(out + o, outsz - o, "%s",
                                  bits[rand_r(seed) % 8]);
        o += (size_t)snprintf(out + o, outsz - o, "\r\n");
    }
    out[o] = '\0';
}

/* Verify with the body in chunks of random sizes (a CR may end one). */
static struct dkv_msg *
verify_random_chunks(const struct msg *m, unsigned *seed, bool *wanted)
{
    return verify_chunks(m, 1 + (size_t)(rand_r(seed) % 9), false, wanted);
}

static void
test_body_random(void)
{
    unsigned seed = 20261206;
    int pass[2] = { 0, 0 }, fail[2] = { 0, 0 }, wsp[2] = { 0, 0 };
    int runs = 300;

    for (int r = 0; r < runs; r++) {
        for (int relaxed = 0; relaxed < 2; relaxed++) {
            dkim_canon_t bc = relaxed ? DKIM_CANON_RELAXED : DKIM_CANON_SIMPLE;
            struct msg m;
            struct dkv_msg *v;
            char body[3000];
            char *p;

            random_body(body, sizeof(body), &seed);
            msg_init(&m, body);
            sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, bc, -1);
            v = verify_random_chunks(&m, &seed, NULL);
            pass[relaxed] += strcmp(res(v, 0), "pass") == 0;
            dkv_free(v);

            /* more empty lines at the end: the same body to both */
            strcat(m.body, "\r\n\r\n");
            v = verify_random_chunks(&m, &seed, NULL);
            pass[relaxed] += strcmp(res(v, 0), "pass") == 0;
            dkv_free(v);
            m.body[strlen(m.body) - 4] = '\0';

            /* WSP added before a line's end: relaxed only ignores it */
            if ((p = strstr(m.body, "\r\n")) != NULL) {
                memmove(p + 2, p, strlen(p) + 1);
                memcpy(p, " \t", 2);
                v = verify_random_chunks(&m, &seed, NULL);
                wsp[relaxed] += strcmp(res(v, 0), relaxed ? "pass" : "fail")
                                == 0;
                dkv_free(v);
                memmove(p, p + 2, strlen(p + 2) + 1);
            }

            /* one letter changed: a body hash mismatch */
            if ((p = strpbrk(m.body, "wx.=")) != NULL) {
                *p = *p == 'Q' ? 'R' : 'Q';
                v = verify_random_chunks(&m, &seed, NULL);
                fail[relaxed] += strcmp(res(v, 0), "fail") == 0 &&
                                 strcmp(why(v, 0), "body hash did not verify")
                                 == 0;
                dkv_free(v);
            } else {
                fail[relaxed]++;    /* an all-blank body: nothing to change */
            }
            msg_free(&m);
        }
    }
    is_int(pass[0], 2 * runs, "simple: %d random bodies signed by "
           "libopendkim pass, trailing empty lines added too", runs);
    is_int(pass[1], 2 * runs, "relaxed: the same");
    is_int(wsp[0], runs, "simple: WSP added at a line's end: fail");
    is_int(wsp[1], runs, "relaxed: WSP added at a line's end: pass");
    is_int(fail[0], runs, "simple: one letter changed: body hash fails");
    is_int(fail[1], runs, "relaxed: one letter changed: body hash fails");
}

/* A header that fails: the body is not asked for at all. */
static void
test_body_not_wanted(void)
{
    struct msg m;
    struct dkv_msg *v;
    bool more = true;

    msg_init(&m, BODY);
    sign(&m, "example.com", "sel", DKIM_CANON_RELAXED, DKIM_CANON_RELAXED, -1);
    v = verify_chunks(&m, 7, false, &more);
    ok(more, "a header that verified: the body is wanted");
    dkv_free(v);
    free(m.value[3]);
    m.value[3] = strdup("a changed subject");
    v = verify_chunks(&m, 7, false, &more);
    ok(!more, "a header that failed: no body wanted");
    is_str(res(v, 0), "fail", "... and the signature fails");
    is_str(why(v, 0), "signature verification failed", "... on its header");
    dkv_free(v);
    msg_free(&m);
}

/*
 * A 768-bit key, under RFC 8301's 1024: policy, whether the body is hashed
 * here (no l=) or by the library (l=).
 */
static void
test_small_key(void)
{
    static char pem[2048], rec[800];
    unsigned char der[512], *dp = der;
    char b64[700];
    EVP_PKEY *k = EVP_RSA_gen(768);
    BIO *b = BIO_new(BIO_s_mem());
    int dlen, n;
    unsigned int small_bits = 512;
    struct msg m;
    struct dkv_msg *v;

    if (k == NULL || b == NULL ||
        !PEM_write_bio_PrivateKey(b, k, NULL, NULL, 0, NULL, NULL) ||
        (n = BIO_read(b, pem, sizeof(pem) - 1)) <= 0 ||
        (dlen = i2d_PUBKEY(k, &dp)) <= 0 || dlen > (int)sizeof(der)) {
        printf("Bail out! a 768-bit key\n");
        exit(1);
    }
    pem[n] = '\0';
    EVP_EncodeBlock((unsigned char *)b64, der, dlen);
    snprintf(rec, sizeof(rec), "v=DKIM1; k=rsa; p=%s", b64);
    zone("small._domainkey.example.com", DNS_OK, rec, NULL);
    /* the signer checks key sizes too: let it sign */
    (void)dkim_options(sign_lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS,
                       &small_bits, sizeof(small_bits));
    for (int with_l = 0; with_l < 2; with_l++) {
        msg_init(&m, BODY);
        sign_with(&m, "example.com", "small", DKIM_CANON_RELAXED,
                  DKIM_CANON_RELAXED, with_l ? (ssize_t)strlen(BODY) : -1,
                  pem);
        v = verify(&m);
        is_str(res(v, 0), "policy", "768-bit key, %s: policy",
               with_l ? "l= (the library hashes)" : "no l= (hashed here)");
        is_str(why(v, 0), "key too small", "... key too small");
        is_int((int)dkv_sig(v, 0)->key_bits, 768, "... 768 bits");
        dkv_free(v);
        msg_free(&m);
    }
    BIO_free(b);
    EVP_PKEY_free(k);
}

/* Broken signatures beside a good one: each keeps its own result. */
static void
test_body_broken_sigs(void)
{
    static const char *const broken[] = {
        "v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/relaxed; "
        "h=from; b=AAAA",                       /* no bh= */
        "v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/bogus; "
        "h=from; bh=AAAA; b=AAAA",              /* unknown body canon */
        "v=1; a=rsa-sha256; d=example.com; s=sel; c=relaxed/relaxed; "
        "h=from; bh=!!!!; b=AAAA",              /* bh= not base64 */
        "v=1; a=rsa-sha256; d=example.com; s=sel; c=simple/simple; "
        "h=from:to:subject:date; bh=frcCV1k9oG9oKj3dpUqdJg1PxRT2RSN/XKdL"
        "CPjaYaY=; b=AAAA",                     /* a wrong b= */
    };

    for (size_t i = 0; i < sizeof(broken) / sizeof(broken[0]); i++) {
        struct msg m;
        struct dkv_msg *v;

        msg_init(&m, BODY);
        sign(&m, "example.com", "sel", DKIM_CANON_RELAXED,
             DKIM_CANON_RELAXED, -1);
        prepend_signature(&m, broken[i]);
        v = verify(&m);
        is_int((int)dkv_count(v), 2, "broken signature %zu on top: two results", i);
        ok(strcmp(res(v, 0), "pass") == 0 || strcmp(res(v, 1), "pass") == 0,
           "... the good one passes");
        ok(strcmp(res(v, 0), "pass") != 0 || strcmp(res(v, 1), "pass") != 0,
           "... the broken one does not");
        dkv_free(v);
        msg_free(&m);
    }
}

int
main(void)
{
    static char two_a[2048], two_b[2048];

    snprintf(key_record, sizeof(key_record), "v=DKIM1; k=rsa; p=%s",
             test_key_pub);
    snprintf(big_record, sizeof(big_record), "v=DKIM1; k=rsa; n=%0*d; p=%s",
             2000, 0, test_key_pub);
    snprintf(two_a, sizeof(two_a), "%s", key_record);
    snprintf(two_b, sizeof(two_b), "v=DKIM1; p=%s", test_key_pub);
    zone("sel._domainkey.example.com", DNS_OK, key_record, NULL);
    zone("sel._domainkey.broken.test", DNS_TEMPFAIL, NULL, NULL);
    zone("sel._domainkey.big.test", DNS_OK, big_record, NULL);
    zone("sel._domainkey.two.test", DNS_OK, two_a, two_b);
    zone("sel._domainkey.garbage.test", DNS_OK, "v=spf1 -all", NULL);
    zone("sel._domainkey.revoked.test", DNS_OK, "v=DKIM1; k=rsa; p=", NULL);
    zone("sel._domainkey.refused.test", DNS_PERMFAIL, NULL, NULL);

    ok(dkv_init(), "dkv_init");
    ok(dkv_init(), "dkv_init again");
    sign_lib = dkim_init(NULL, NULL);
    if (sign_lib == NULL) {
        printf("Bail out! dkim_init\n");
        return 1;
    }
    test_basic();
    test_key_table();
    test_length();
    test_body_random();
    test_body_not_wanted();
    test_small_key();
    test_body_broken_sigs();
    test_keys();
    test_dead_keys();
    test_caps();
    test_format();
    dkim_close(sign_lib);
    return done_testing();
}
