/*
 * intern.c: the string table (intern.h): the strings end to end in one
 * growing arena, each after its length, found again through an
 * open-addressing index with linear probing, doubled when half full.
 * Each slot holds the id and 32 bits of the string's hash, so that a
 * probe reads the arena only when the hashes agree, and growing hashes
 * nothing again. Written here rather than taken from GLib: it is small,
 * has no per-entry allocation, and keeps report/ free of a dependency
 * that nothing else in the tree uses.
 */
#include <config.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include "report/intern.h"

#define IT_LEN 4                /* the length before each string */

struct it_table {
    char *arena;
    size_t used, cap;
    uint32_t *off;              /* id -> offset of the string */
    uint32_t n, n_cap;
    uint64_t *slot;             /* hash << 32 | (id + 1); 0 is empty */
    size_t mask;                /* at most 32 bits: see it_grow */
};

/* 64-bit multiply-xorshift rounds over 8-byte words (the order of the
   bytes in a word is the machine's: the hashes never leave memory). */
uint64_t
it_hash(const void *p, size_t len)
{
    const unsigned char *b = p;
    uint64_t h = 0x9e3779b97f4a7c15ULL ^ len, w;

    for (; len >= 8; b += 8, len -= 8) {
        memcpy(&w, b, 8);
        h = (h ^ w) * 0xff51afd7ed558ccdULL;
        h ^= h >> 32;
    }
    w = 0;
    memcpy(&w, b, len);
    h = (h ^ w) * 0xc4ceb9fe1a85ec53ULL;
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    return h ^ (h >> 29);
}

struct it_table *
it_new(void)
{
    struct it_table *t = calloc(1, sizeof(*t));

    if (t == NULL)
        return NULL;
    t->mask = 1023;
    t->slot = calloc(t->mask + 1, sizeof(*t->slot));
    if (t->slot == NULL) {
        free(t);
        return NULL;
    }
    return t;
}

void
it_free(struct it_table *t)
{
    if (t == NULL)
        return;
    free(t->arena);
    free(t->off);
    free(t->slot);
    free(t);
}

const char *
it_str(const struct it_table *t, uint32_t id)
{
    return t->arena + t->off[id];
}

/* Double the index and place every id again, by the hash in its slot
   (ids are 32 bits, so the index never needs more bits than that). */
static int
it_grow(struct it_table *t)
{
    size_t mask = t->mask * 2 + 1;
    uint64_t *slot = calloc(mask + 1, sizeof(*slot));

    if (slot == NULL)
        return -1;
    for (size_t i = 0; i <= t->mask; i++) {
        size_t j;
        if (t->slot[i] == 0)
            continue;
        for (j = (t->slot[i] >> 32) & mask; slot[j] != 0; j = (j + 1) & mask)
            ;
        slot[j] = t->slot[i];
    }
    free(t->slot);
    t->slot = slot;
    t->mask = mask;
    return 0;
}

/* Store a new string after its length; its id, or IT_NONE. */
static uint32_t
it_store(struct it_table *t, const char *s, size_t len)
{
    uint32_t n32 = (uint32_t)len;

    if (len > UINT32_MAX / 2)
        return IT_NONE;
    if (t->used + IT_LEN + len + 1 > t->cap) {
        size_t cap = t->cap ? t->cap * 2 : 65536;
        while (cap < t->used + IT_LEN + len + 1)
            cap *= 2;
        if (cap > UINT32_MAX)
            return IT_NONE;     /* offsets are 32 bits */
        char *a = realloc(t->arena, cap);
        if (a == NULL)
            return IT_NONE;
        t->arena = a;
        t->cap = cap;
    }
    if (t->n == t->n_cap) {
        uint32_t n_cap = t->n_cap ? t->n_cap * 2 : 1024;
        uint32_t *off = realloc(t->off, n_cap * sizeof(*off));
        if (off == NULL)
            return IT_NONE;
        t->off = off;
        t->n_cap = n_cap;
    }
    memcpy(t->arena + t->used, &n32, IT_LEN);
    t->used += IT_LEN;
    memcpy(t->arena + t->used, s, len);
    t->arena[t->used + len] = '\0';
    t->off[t->n] = (uint32_t)t->used;
    t->used += len + 1;
    return t->n++;
}

/* Whether id's string is the len bytes at s. */
static bool
it_same(const struct it_table *t, uint32_t id, const char *s, size_t len)
{
    const char *have = it_str(t, id);
    uint32_t n32;

    memcpy(&n32, have - IT_LEN, IT_LEN);
    return n32 == len && memcmp(have, s, len) == 0;
}

uint32_t
it_intern(struct it_table *t, const char *s, size_t len)
{
    uint64_t h = it_hash(s, len) & 0xffffffffULL;
    size_t i = h & t->mask;
    uint32_t id;

    for (; t->slot[i] != 0; i = (i + 1) & t->mask) {
        if (t->slot[i] >> 32 != h)
            continue;
        id = (uint32_t)(t->slot[i] & 0xffffffffULL) - 1;
        if (it_same(t, id, s, len))
            return id;
    }
    if (t->n == UINT32_MAX - 1 || (id = it_store(t, s, len)) == IT_NONE)
        return IT_NONE;
    t->slot[i] = h << 32 | ((uint64_t)id + 1);
    if ((size_t)t->n * 2 > t->mask && it_grow(t) != 0)
        return IT_NONE;
    return id;
}
