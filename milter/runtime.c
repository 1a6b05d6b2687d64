/*
 * runtime.c: the current runtime and its reference counts.
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>

#include "milter/runtime.h"

/* The process's current runtime; the mutex guards the pointer only. */
static struct dm_runtime *rt_current;
static pthread_mutex_t rt_lock = PTHREAD_MUTEX_INITIALIZER;

/* The resolver decorator, set once before the milter starts. */
static struct {
    rt_dns_wrap_fn wrap;
    rt_dns_unwrap_fn unwrap;
    void *arg;
} rt_dns_decorator;

void
rt_set_dns_decorator(rt_dns_wrap_fn wrap, rt_dns_unwrap_fn unwrap, void *arg)
{
    rt_dns_decorator.wrap = wrap;
    rt_dns_decorator.unwrap = unwrap;
    rt_dns_decorator.arg = arg;
}

int
rt_decorate(struct dm_runtime *rt)
{
    if (rt_dns_decorator.wrap == NULL || rt->dns_decoration != NULL)
        return 0;
    /* rt->dns reads rt->query at each lookup, so it sees the wrap too. */
    rt->dns_decoration = rt_dns_decorator.wrap(&rt->query,
                                               rt_dns_decorator.arg);
    if (rt->dns_decoration == NULL)
        return -1;
    rt->dns_unwrap = rt_dns_decorator.unwrap;
    return 0;
}

struct dm_runtime *
rt_build(struct dm_config *cf, char *err, size_t errsz)
{
    struct dm_runtime *rt = calloc(1, sizeof(*rt));

    if (rt == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    rt->psl = od_open(cf->public_suffix_list, err, errsz);
    if (rt->psl == NULL) {
        free(rt);
        return NULL;
    }
    atomic_init(&rt->refs, 1);
    rt->cf = cf;
    /* DNSTimeout bounds a query's whole wait, all servers included. */
    rt->dq_opts.timeout = cf->dns_timeout;
    rt->dq_opts.servers = cf->nameservers;
    dq_system_resolver(&rt->net, &rt->dq_opts);
    rt->query = rt->net;
    /* The cache goes with the runtime: a reload starts afresh. */
    if (cf->dns_cache_size > 0) {
        rt->cache = dnc_new((size_t)cf->dns_cache_size, &rt->net);
        if (rt->cache == NULL)
            goto nomem;
        dnc_resolver(rt->cache, &rt->query);
    }
    dq_txt_adapter(&rt->dns, &rt->query);
    if (rt_decorate(rt) != 0)
        goto nomem;
    return rt;

nomem:
    snprintf(err, errsz, "out of memory");
    dnc_free(rt->cache);
    od_close(rt->psl);
    free(rt);
    return NULL;
}

void
rt_install(struct dm_runtime *rt)
{
    struct dm_runtime *old;

    pthread_mutex_lock(&rt_lock);
    old = rt_current;
    rt_current = rt;
    pthread_mutex_unlock(&rt_lock);
    if (old != NULL)
        rt_release(old);
}

struct dm_runtime *
rt_acquire(void)
{
    struct dm_runtime *rt;

    pthread_mutex_lock(&rt_lock);
    rt = rt_current;
    if (rt != NULL)
        atomic_fetch_add(&rt->refs, 1);
    pthread_mutex_unlock(&rt_lock);
    return rt;
}

void
rt_release(struct dm_runtime *rt)
{
    if (rt == NULL || atomic_fetch_sub(&rt->refs, 1) != 1)
        return;
    if (rt->dns_decoration != NULL && rt->dns_unwrap != NULL)
        rt->dns_unwrap(rt->dns_decoration);
    dnc_free(rt->cache);
    od_close(rt->psl);
    cf_free(rt->cf);
    free(rt);
}
