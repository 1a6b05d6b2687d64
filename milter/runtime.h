/*
 * runtime.h: the running configuration and what is built from it (the
 * public suffix list, resolver settings), swapped whole on a reload.
 *
 * A connection holds a reference for its lifetime, so a reload never
 * changes the rules in the middle of a message and never waits for one.
 */
#ifndef DM_RUNTIME_H
#define DM_RUNTIME_H

#include <stdatomic.h>
#include <stddef.h>

#include "dm_config.h"
#include "dns_txt.h"
#include "org_domain.h"

struct dm_runtime {
    atomic_int refs;
    struct dm_config *cf;
    struct od_list *psl;
    struct dns_system_opts dns_opts;
    struct dns_txt_resolver dns;
};

/* Build a runtime that owns cf; NULL with a reason when the PSL fails. */
struct dm_runtime *rt_build(struct dm_config *cf, char *err, size_t errsz);

/* Make rt the current runtime; the previous one goes when unused. */
void rt_install(struct dm_runtime *rt);

/* A reference to the current runtime (never NULL after rt_install). */
struct dm_runtime *rt_acquire(void);

void rt_release(struct dm_runtime *rt);

#endif
