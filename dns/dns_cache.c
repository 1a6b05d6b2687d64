/*
 * dns_cache.c: the reply cache (see dns_cache.h). Each shard is a hash
 * table with a least-recently-used list, under its own mutex.
 */
#include <config.h>

#include <ctype.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dns/dns_cache.h"
#include "util/util.h"

#define DNC_SHARDS 16
#define DNC_NAME_MAX 256     /* a presentation name without its last dot */

struct dnc_entry {
    struct dnc_entry *hnext;          /* hash chain */
    struct dnc_entry *prev, *next;    /* LRU list, most recent first */
    uint32_t hash;
    int type;
    enum dns_status status;
    time_t expires;
    size_t len;                       /* bytes of pkt */
    unsigned char *pkt;               /* points into this allocation */
    char name[];                      /* lower case, then the packet */
};

struct dnc_shard {
    pthread_mutex_t lock;
    struct dnc_entry **buckets;
    size_t nbuckets;                  /* a power of two */
    size_t count, cap;
    struct dnc_entry lru;             /* sentinel: lru.next is the newest */
};

struct dns_cache {
    const struct dns_resolver *inner;
    dnc_clock_fn clock;
    void *clock_arg;
    size_t nshards;
    struct dnc_shard shard[DNC_SHARDS];
};

static time_t
dnc_monotonic(void *arg)
{
    (void)arg;
    return (time_t)(clk_millis() / 1000);
}

/* FNV-1a over the name and the type. */
static uint32_t
dnc_hash(const char *name, int type)
{
    uint32_t h = 2166136261u;

    for (const char *p = name; *p != '\0'; p++)
        h = (h ^ (unsigned char)*p) * 16777619u;
    h = (h ^ (uint32_t)type) * 16777619u;
    return h;
}

/* The key: lower case, no final dot. False: too long to be a name. */
static bool
dnc_key(const char *qname, char *out)
{
    size_t n = strlen(qname);

    if (n > 0 && qname[n - 1] == '.')
        n--;
    if (n >= DNC_NAME_MAX)
        return false;
    for (size_t i = 0; i < n; i++)
        out[i] = (char)tolower((unsigned char)qname[i]);
    out[n] = '\0';
    return true;
}

static void
dnc_unlink_lru(struct dnc_entry *e)
{
    e->prev->next = e->next;
    e->next->prev = e->prev;
}

static void
dnc_push_lru(struct dnc_shard *s, struct dnc_entry *e)
{
    e->next = s->lru.next;
    e->prev = &s->lru;
    s->lru.next->prev = e;
    s->lru.next = e;
}

static void
dnc_remove(struct dnc_shard *s, struct dnc_entry *e)
{
    struct dnc_entry **pp = &s->buckets[e->hash & (s->nbuckets - 1)];

    while (*pp != e)
        pp = &(*pp)->hnext;
    *pp = e->hnext;
    dnc_unlink_lru(e);
    s->count--;
    free(e);
}

static struct dnc_entry *
dnc_find(struct dnc_shard *s, uint32_t h, const char *name, int type)
{
    struct dnc_entry *e = s->buckets[h & (s->nbuckets - 1)];

    for (; e != NULL; e = e->hnext)
        if (e->hash == h && e->type == type && strcmp(e->name, name) == 0)
            return e;
    return NULL;
}

static void
dnc_insert(struct dnc_shard *s, uint32_t h, const char *name, int type,
           enum dns_status st, time_t expires, const struct dns_reply *rep)
{
    size_t nlen = strlen(name) + 1;
    struct dnc_entry *e = malloc(sizeof(*e) + nlen + rep->len), *old;

    if (e == NULL)
        return;   /* a cache that cannot grow just misses */
    e->hash = h;
    e->type = type;
    e->status = st;
    e->expires = expires;
    e->len = rep->len;
    memcpy(e->name, name, nlen);
    e->pkt = (unsigned char *)e->name + nlen;
    memcpy(e->pkt, rep->pkt, rep->len);
    pthread_mutex_lock(&s->lock);
    /* Another thread may have asked the same meanwhile: the newer wins. */
    if ((old = dnc_find(s, h, name, type)) != NULL)
        dnc_remove(s, old);
    while (s->count >= s->cap && s->lru.prev != &s->lru)
        dnc_remove(s, s->lru.prev);
    e->hnext = s->buckets[h & (s->nbuckets - 1)];
    s->buckets[h & (s->nbuckets - 1)] = e;
    dnc_push_lru(s, e);
    s->count++;
    pthread_mutex_unlock(&s->lock);
}

static enum dns_status
dnc_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    struct dns_cache *c = arg;
    char name[DNC_NAME_MAX];
    struct dnc_shard *s;
    struct dnc_entry *e;
    enum dns_status st;
    time_t now;
    uint32_t h;

    if (!dnc_key(qname, name))
        return c->inner->query(c->inner->arg, qname, type, rep);
    h = dnc_hash(name, type);
    s = &c->shard[(h >> 16) % c->nshards];
    now = c->clock(c->clock_arg);
    pthread_mutex_lock(&s->lock);
    e = dnc_find(s, h, name, type);
    if (e != NULL && now >= e->expires) {
        dnc_remove(s, e);
        e = NULL;
    }
    if (e != NULL && e->len <= rep->size) {
        dnc_unlink_lru(e);
        dnc_push_lru(s, e);
        memcpy(rep->pkt, e->pkt, e->len);
        rep->len = e->len;
        rep->ttl = (uint32_t)(e->expires - now);
        rep->cached = true;
        st = e->status;
        pthread_mutex_unlock(&s->lock);
        return st;
    }
    pthread_mutex_unlock(&s->lock);

    st = c->inner->query(c->inner->arg, qname, type, rep);
    rep->cached = false;
    /* Failures are not kept: the next message asks again. */
    if ((st == DNS_OK || st == DNS_NXDOMAIN || st == DNS_NODATA) &&
        rep->ttl > 0 && rep->len <= DNC_PKT_MAX)
        dnc_insert(s, h, name, type, st, now + (time_t)rep->ttl, rep);
    return st;
}

struct dns_cache *
dnc_new(size_t entries, const struct dns_resolver *inner)
{
    struct dns_cache *c;

    if (entries == 0 || (c = calloc(1, sizeof(*c))) == NULL)
        return NULL;
    c->inner = inner;
    c->clock = dnc_monotonic;
    c->nshards = entries < DNC_SHARDS ? entries : DNC_SHARDS;
    for (size_t i = 0; i < c->nshards; i++) {
        struct dnc_shard *s = &c->shard[i];

        /* The shards' caps add up to entries exactly. */
        s->cap = entries / c->nshards + (i < entries % c->nshards ? 1 : 0);
        s->nbuckets = 1;
        while (s->nbuckets < s->cap)
            s->nbuckets <<= 1;
        s->buckets = calloc(s->nbuckets, sizeof(*s->buckets));
        s->lru.next = s->lru.prev = &s->lru;
        pthread_mutex_init(&s->lock, NULL);
        if (s->buckets == NULL) {
            c->nshards = i + 1;
            dnc_free(c);
            return NULL;
        }
    }
    return c;
}

void
dnc_set_clock(struct dns_cache *c, dnc_clock_fn fn, void *arg)
{
    c->clock = fn;
    c->clock_arg = arg;
}

void
dnc_free(struct dns_cache *c)
{
    if (c == NULL)
        return;
    for (size_t i = 0; i < c->nshards; i++) {
        struct dnc_shard *s = &c->shard[i];

        while (s->lru.next != &s->lru && s->lru.next != NULL)
            dnc_remove(s, s->lru.next);
        free(s->buckets);
        pthread_mutex_destroy(&s->lock);
    }
    free(c);
}

void
dnc_resolver(struct dns_cache *c, struct dns_resolver *r)
{
    r->query = dnc_query;
    r->arg = c;
}

size_t
dnc_count(struct dns_cache *c)
{
    size_t n = 0;

    for (size_t i = 0; i < c->nshards; i++) {
        pthread_mutex_lock(&c->shard[i].lock);
        n += c->shard[i].count;
        pthread_mutex_unlock(&c->shard[i].lock);
    }
    return n;
}
