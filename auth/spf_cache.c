/*
 * spf_cache.c: SPF results kept for their DNS answers' lifetime (see
 * spf_cache.h): a fixed table, one slot per key's hash, one lock.
 */
#include <config.h>

#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "auth/spf_cache.h"

#define SC_SLOTS    1024
#define SC_TTL_MAX  3600    /* an hour at most, as negative DNS answers */

struct sc_entry {
    const void *dns;
    size_t len;             /* 0: empty */
    double expires;         /* clk_seconds() */
    struct spf_outcome o;
    unsigned char key[SC_KEY_MAX];
};

static struct sc_entry *sc_table;   /* made at the first result kept */
static pthread_mutex_t sc_lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_ulong sc_hits, sc_stored;

size_t
sc_key(unsigned char *key, const unsigned char addr[16], const char *identity,
       const char *helo)
{
    size_t il = strlen(identity) + 1, hl = strlen(helo) + 1;

    if (16 + il + hl > SC_KEY_MAX)
        return 0;
    memcpy(key, addr, 16);
    memcpy(key + 16, identity, il);
    memcpy(key + 16 + il, helo, hl);
    return 16 + il + hl;
}

/* FNV-1a over the key and the resolver. */
static size_t
sc_slot(const void *dns, const unsigned char *key, size_t len)
{
    uint64_t h = 14695981039346656037u ^ (uint64_t)(uintptr_t)dns;

    for (size_t i = 0; i < len; i++)
        h = (h ^ key[i]) * 1099511628211u;
    return (size_t)(h % SC_SLOTS);
}

bool
sc_get(const void *dns, const unsigned char *key, size_t len,
       struct spf_outcome *out)
{
    const struct sc_entry *e;
    bool found = false;

    pthread_mutex_lock(&sc_lock);
    if (sc_table != NULL) {
        e = &sc_table[sc_slot(dns, key, len)];
        if (e->len == len && e->dns == dns && memcmp(e->key, key, len) == 0
            && e->expires > clk_seconds()) {
            *out = e->o;
            found = true;
        }
    }
    pthread_mutex_unlock(&sc_lock);
    if (found)
        atomic_fetch_add(&sc_hits, 1);
    return found;
}

void
sc_put(const void *dns, const unsigned char *key, size_t len,
       const struct spf_outcome *o, uint32_t ttl)
{
    struct sc_entry *e;

    if (ttl == 0 || len == 0 || len > SC_KEY_MAX ||
        o->result == DM_AUTH_TEMPERROR)
        return;
    if (ttl > SC_TTL_MAX)
        ttl = SC_TTL_MAX;
    pthread_mutex_lock(&sc_lock);
    if (sc_table == NULL)
        sc_table = calloc(SC_SLOTS, sizeof(*sc_table));
    if (sc_table != NULL) {
        e = &sc_table[sc_slot(dns, key, len)];
        e->dns = dns;
        e->len = len;
        e->expires = clk_seconds() + ttl;
        e->o = *o;
        memcpy(e->key, key, len);
        atomic_fetch_add(&sc_stored, 1);
    }
    pthread_mutex_unlock(&sc_lock);
}

void
sc_stats(unsigned long *hits, unsigned long *stored)
{
    *hits = atomic_load(&sc_hits);
    *stored = atomic_load(&sc_stored);
}
