/*
 * org_domain.h: the organizational domain (RFC 7489 section 3.2) through
 * libpsl's public suffix list.
 */
#ifndef DM_ORG_DOMAIN_H
#define DM_ORG_DOMAIN_H

#include <stdbool.h>
#include <stddef.h>

struct od_list;   /* a loaded public suffix list; read-only, thread-safe */

/*
 * Load the list from path, or the system list when path is NULL (the
 * newest of libpsl's built-in list and the distribution's file).
 * On failure returns NULL and writes a reason into err.
 */
struct od_list *od_open(const char *path, char *err, size_t errsz);
void od_close(struct od_list *l);

/*
 * Write the organizational domain of the normalised name domain into out:
 * the public suffix plus one label. A name that is itself a public suffix
 * (or shorter) is its own organizational domain. Returns false only when
 * out is too small.
 */
bool od_lookup(const struct od_list *l, const char *domain,
               char *out, size_t outsz);

#endif
