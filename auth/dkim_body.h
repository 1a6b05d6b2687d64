/*
 * dkim_body.h: a DKIM body hash (RFC 6376 3.4.3, 3.4.4 and 3.7), computed
 * a chunk at a time as the body comes.
 *
 * libopendkim canonicalizes the body one byte and one function call at a
 * time, a third of a signed message's CPU; dkim_verify.c hashes the body
 * here instead for the signatures whose header already verified, and lets
 * the library do the rest (see dkim_verify.c for when it falls back).
 */
#ifndef DM_AUTH_DKIM_BODY_H
#define DM_AUTH_DKIM_BODY_H

#include <stdbool.h>
#include <stddef.h>

#define DKB_DIGEST_MAX 32       /* SHA-256 */
#define DKB_STAGE 4096          /* canonical bytes gathered per digest call */

enum dkb_canon { DKB_SIMPLE, DKB_RELAXED };
enum dkb_alg { DKB_SHA1, DKB_SHA256 };

struct dkb_hash {
    enum dkb_canon canon;
    enum dkb_alg alg;
    void *md;                   /* EVP_MD_CTX; NULL: out of memory */
    size_t blanks;              /* empty lines held back: they count only
                                   if a line with text follows */
    size_t line;                /* bytes of the current line so far (for
                                   relaxed, its text, WSP not counted) */
    bool cr;                    /* the last byte was a CR not yet placed */
    bool wsp;                   /* relaxed: WSP since the last text */
    bool wrote;                 /* any canonical byte at all */
    size_t n;
    unsigned char stage[DKB_STAGE];
};

/* False when the digest cannot be set up (out of memory). */
bool dkb_start(struct dkb_hash *h, enum dkb_canon canon, enum dkb_alg alg);
void dkb_update(struct dkb_hash *h, const unsigned char *p, size_t len);
/* The digest into out (DKB_DIGEST_MAX bytes); its length, 0 on failure. */
size_t dkb_finish(struct dkb_hash *h, unsigned char *out);
void dkb_free(struct dkb_hash *h);

/*
 * bh= as the signature carries it (base64, FWS allowed) against digest:
 * true only for the same bytes.
 */
bool dkb_matches(const char *bh, const unsigned char *digest, size_t len);

#endif
