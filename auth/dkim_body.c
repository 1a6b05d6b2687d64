/*
 * dkim_body.c: DKIM body hashes, simple and relaxed (see dkim_body.h), in
 * one pass over each chunk into a staging buffer that the digest takes
 * 4 KB at a time.
 *
 * A line ends at CRLF. A CR not followed by LF, and a bare LF, are text,
 * as RFC 6376 has it (libopendkim drops such a CR in relaxed mode; an MTA
 * hands milters CRLF lines, so neither occurs in mail through Postfix).
 */
#include <config.h>

#include <openssl/evp.h>
#include <pthread.h>
#include <stddef.h>
#include <string.h>

#include "auth/dkim_body.h"

/* Fetched once: OpenSSL 3 looks a digest up again at each plain init. */
static EVP_MD *dkb_md[2];
static pthread_once_t dkb_once = PTHREAD_ONCE_INIT;

static void
dkb_fetch(void)
{
    dkb_md[DKB_SHA1] = EVP_MD_fetch(NULL, "SHA1", NULL);
    dkb_md[DKB_SHA256] = EVP_MD_fetch(NULL, "SHA256", NULL);
}

bool
dkb_start(struct dkb_hash *h, enum dkb_canon canon, enum dkb_alg alg)
{
    EVP_MD_CTX *ctx;

    pthread_once(&dkb_once, dkb_fetch);
    memset(h, 0, offsetof(struct dkb_hash, stage));
    h->canon = canon;
    h->alg = alg;
    if (dkb_md[alg] == NULL || (ctx = EVP_MD_CTX_new()) == NULL)
        return false;
    if (EVP_DigestInit_ex(ctx, dkb_md[alg], NULL) != 1) {
        EVP_MD_CTX_free(ctx);
        return false;
    }
    h->md = ctx;
    return true;
}

static void
dkb_flush(struct dkb_hash *h)
{
    if (h->n > 0 && h->md != NULL)
        (void)EVP_DigestUpdate(h->md, h->stage, h->n);
    h->n = 0;
}

static inline void
dkb_put(struct dkb_hash *h, unsigned char c)
{
    if (h->n == DKB_STAGE)
        dkb_flush(h);
    h->stage[h->n++] = c;
    h->wrote = true;
}

/* A byte of text: the empty lines held back were not the last ones. */
static inline void
dkb_text(struct dkb_hash *h, unsigned char c)
{
    if (h->line == 0) {
        for (; h->blanks > 0; h->blanks--) {
            dkb_put(h, '\r');
            dkb_put(h, '\n');
        }
    }
    if (h->wsp) {               /* relaxed: a run of WSP is one SP */
        h->wsp = false;
        dkb_put(h, ' ');
    }
    dkb_put(h, c);
    h->line++;
}

static inline void
dkb_eol(struct dkb_hash *h)
{
    if (h->line > 0) {
        dkb_put(h, '\r');
        dkb_put(h, '\n');
    } else {
        h->blanks++;            /* relaxed: WSP alone makes no text */
    }
    h->line = 0;
    h->wsp = false;
}

void
dkb_update(struct dkb_hash *h, const unsigned char *p, size_t len)
{
    bool relaxed = h->canon == DKB_RELAXED;

    for (size_t i = 0; i < len; i++) {
        unsigned char c = p[i];

        if (h->cr) {
            h->cr = false;
            if (c == '\n') {
                dkb_eol(h);
                continue;
            }
            dkb_text(h, '\r');
        }
        if (c == '\r')
            h->cr = true;
        else if (relaxed && (c == ' ' || c == '\t'))
            h->wsp = true;
        else
            dkb_text(h, c);
    }
}

size_t
dkb_finish(struct dkb_hash *h, unsigned char *out)
{
    unsigned int len = 0;

    if (h->cr) {
        h->cr = false;
        dkb_text(h, '\r');
    }
    /* RFC 6376 3.4.3 and 3.4.4: a last line without CRLF gets one; the
       trailing empty lines are dropped; simple makes an empty body CRLF. */
    if (h->line > 0)
        dkb_eol(h);
    if (h->canon == DKB_SIMPLE && !h->wrote) {
        dkb_put(h, '\r');
        dkb_put(h, '\n');
    }
    dkb_flush(h);
    if (h->md == NULL || EVP_DigestFinal_ex(h->md, out, &len) != 1 ||
        len > DKB_DIGEST_MAX)
        len = 0;
    dkb_free(h);
    return len;
}

void
dkb_free(struct dkb_hash *h)
{
    EVP_MD_CTX_free(h->md);
    h->md = NULL;
}

bool
dkb_matches(const char *bh, const unsigned char *digest, size_t len)
{
    unsigned char b64[96], raw[96];
    size_t n = 0, pad = 0;
    int got;

    if (bh == NULL || len == 0)
        return false;
    for (; *bh != '\0'; bh++) {
        if (*bh == ' ' || *bh == '\t' || *bh == '\r' || *bh == '\n')
            continue;
        if (n == sizeof(b64) - 1)
            return false;
        b64[n++] = (unsigned char)*bh;
    }
    if (n == 0 || n % 4 != 0)
        return false;
    pad = (b64[n - 1] == '=') + (b64[n - 2] == '=');
    got = EVP_DecodeBlock(raw, b64, (int)n);
    if (got < 0 || (size_t)got < pad || (size_t)got - pad != len)
        return false;
    return memcmp(raw, digest, len) == 0;
}
