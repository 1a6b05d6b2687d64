/*
 * spf_cache.h: SPF results kept for as long as the DNS answers they came
 * from, so that a sender's next message from the same address is not
 * evaluated again (the DMARC records are kept the same way, by the DNS
 * cache). A result is keyed by everything it depends on: the resolver
 * (a reload starts afresh), the client address, the identity checked and
 * the HELO name. Temporary errors are never kept.
 */
#ifndef DM_AUTH_SPF_CACHE_H
#define DM_AUTH_SPF_CACHE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "auth/spf_check.h"

#define SC_KEY_MAX (16 + 2 * DM_DOMAIN_MAX + 96)

/* A check's key: "addr (16 bytes) identity NUL helo NUL"; 0: none fits. */
size_t sc_key(unsigned char *key, const unsigned char addr[16],
              const char *identity, const char *helo);

/* The kept outcome of key under resolver dns, if it has not expired. */
bool sc_get(const void *dns, const unsigned char *key, size_t len,
            struct spf_outcome *out);

/* Keep an outcome for ttl seconds (0: not kept). */
void sc_put(const void *dns, const unsigned char *key, size_t len,
            const struct spf_outcome *o, uint32_t ttl);

/* Results found and kept so far (for the tests). */
void sc_stats(unsigned long *hits, unsigned long *stored);

#endif
