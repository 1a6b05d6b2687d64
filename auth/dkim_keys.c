/*
 * dkim_keys.c: the DKIM public keys already decoded (see dkim_keys.h):
 * d2i_PUBKEY_bio() for libopendkim, answered from a small table.
 */
#include <config.h>

#include <dlfcn.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/x509.h>

#include "auth/dkim_keys.h"

#define DKK_SLOTS     128       /* keys kept: senders' selectors in use */
#define DKK_MAX_DER   2600      /* the DER of an RSA-8192 key and more */

struct dkk_slot {
    size_t len;                 /* 0: empty */
    unsigned char *der;
    EVP_PKEY *key;              /* one reference, the table's */
};

static struct dkk_slot dkk_table[DKK_SLOTS];
static pthread_mutex_t dkk_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong dkk_decoded, dkk_reused;

typedef EVP_PKEY *dkk_d2i_fn(BIO *, EVP_PKEY **);

void
dkk_stats(struct dkk_stats *out)
{
    out->decoded = atomic_load(&dkk_decoded);
    out->reused = atomic_load(&dkk_reused);
}

int
dkk_bound(void)
{
    return dlsym(RTLD_DEFAULT, "d2i_PUBKEY_bio") == (void *)d2i_PUBKEY_bio;
}

/* FNV-1a: the slot of a key's bytes. */
static size_t
dkk_slot_of(const unsigned char *der, size_t len)
{
    uint32_t h = 2166136261u;

    for (size_t i = 0; i < len; i++)
        h = (h ^ der[i]) * 16777619u;
    return h % DKK_SLOTS;
}

/* The key of these bytes from the table, with a reference for the caller. */
static EVP_PKEY *
dkk_find(size_t slot, const unsigned char *der, size_t len)
{
    struct dkk_slot *s = &dkk_table[slot];
    EVP_PKEY *key = NULL;

    pthread_mutex_lock(&dkk_lock);
    if (s->len == len && memcmp(s->der, der, len) == 0 &&
        EVP_PKEY_up_ref(s->key) == 1)
        key = s->key;
    pthread_mutex_unlock(&dkk_lock);
    return key;
}

/* Keep a decoded key (the table takes a reference of its own). */
static void
dkk_keep(size_t slot, const unsigned char *der, size_t len, EVP_PKEY *key)
{
    struct dkk_slot *s = &dkk_table[slot];
    unsigned char *copy = malloc(len);
    unsigned char *old_der;
    EVP_PKEY *old_key;

    if (copy == NULL || EVP_PKEY_up_ref(key) != 1) {
        free(copy);
        return;     /* not kept: decoded again next time */
    }
    memcpy(copy, der, len);
    pthread_mutex_lock(&dkk_lock);
    old_der = s->der;
    old_key = s->key;
    s->der = copy;
    s->len = len;
    s->key = key;
    pthread_mutex_unlock(&dkk_lock);
    /* Whoever still uses the key it replaces holds a reference of its own. */
    free(old_der);
    EVP_PKEY_free(old_key);
}

/* OpenSSL's own d2i_PUBKEY_bio, for the calls the table does not answer. */
static EVP_PKEY *
dkk_next(BIO *bio, EVP_PKEY **a)
{
    static _Atomic(dkk_d2i_fn *) next;
    dkk_d2i_fn *fn = atomic_load(&next);

    if (fn == NULL) {
        void *p = dlsym(RTLD_NEXT, "d2i_PUBKEY_bio");

        if (p == NULL)
            return NULL;
        memcpy(&fn, &p, sizeof(fn));
        atomic_store(&next, fn);
    }
    return fn(bio, a);
}

/* As OpenSSL's call would, leave the BIO past the key it read. */
static void
dkk_consume(BIO *bio, size_t len)
{
    char sink[256];

    while (len > 0) {
        int n = BIO_read(bio, sink, len < sizeof(sink) ? (int)len
                                                       : (int)sizeof(sink));

        if (n <= 0)
            return;
        len -= (size_t)n;
    }
}

/*
 * libopendkim's call: a memory BIO holding the DER of the p= tag, no
 * object to reuse. Anything else goes to OpenSSL as it is.
 */
EVP_PKEY *
d2i_PUBKEY_bio(BIO *bio, EVP_PKEY **a)
{
    char *data = NULL;
    long got;
    size_t len, slot;
    const unsigned char *p;
    EVP_PKEY *key;

    if (a != NULL || bio == NULL || BIO_method_type(bio) != BIO_TYPE_MEM ||
        (got = BIO_get_mem_data(bio, &data)) <= 0 || got > DKK_MAX_DER)
        return dkk_next(bio, a);
    len = (size_t)got;
    slot = dkk_slot_of((const unsigned char *)data, len);
    if ((key = dkk_find(slot, (const unsigned char *)data, len)) != NULL) {
        atomic_fetch_add(&dkk_reused, 1);
        dkk_consume(bio, len);
        return key;
    }
    p = (const unsigned char *)data;
    if ((key = d2i_PUBKEY(NULL, &p, (long)len)) == NULL)
        return NULL;
    /* Only a buffer that is one whole key is kept (and answered). */
    if (p != (const unsigned char *)data + len) {
        EVP_PKEY_free(key);
        return dkk_next(bio, a);
    }
    atomic_fetch_add(&dkk_decoded, 1);
    dkk_keep(slot, (const unsigned char *)data, len, key);
    dkk_consume(bio, len);
    return key;
}
