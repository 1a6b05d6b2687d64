/*
 * bench_metrics.c: what the metrics cost. Prints figures, asserts nothing.
 *
 *   render  a full scrape of DOMAINS domains x 4 policies, both formats
 *   count   cs_verdict_hook() per message: one thread, then THREADS
 *           threads on the same few rows (the contended case)
 *   flood   new domains past MetricsMaxDomains (the __other__ path)
 *
 * usage: bench_metrics [DOMAINS [THREADS]]   (defaults 10000 and 4)
 */
#include <config.h>

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "metrics/counter_store.h"
#include "metrics/exposition.h"
#include "metrics/proc_stats.h"
#include "util/clock.h"

static int
bm_cmp(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

static void
bm_render(struct cs_store *cs, enum ex_format f, const char *name)
{
    double t[21];
    struct ps_stats ps;
    size_t len = 0;

    for (int i = 0; i < 21; i++) {
        double t0 = clk_seconds();
        char *body;

        ps_read(&ps);
        body = ex_render(cs, f, &ps, &len);
        t[i] = clk_seconds() - t0;
        free(body);
    }
    qsort(t, 21, sizeof(t[0]), bm_cmp);
    printf("render %-11s %8.2f ms median, %8.2f ms max, %.1f MB body\n",
           name, t[10] * 1e3, t[20] * 1e3, (double)len / 1e6);
}

struct bm_worker {
    struct cs_store *cs;
    long n;
    int id;
};

static void *
bm_count_run(void *arg)
{
    struct bm_worker *w = arg;
    struct dm_verdict v;

    memset(&v, 0, sizeof(v));
    v.policy = DM_POLICY_REJECT;
    v.eval_seconds = 0.004;
    for (long i = 0; i < w->n; i++) {
        snprintf(v.from_domain, sizeof(v.from_domain), "d%ld.example",
                 (i + w->id) & 7);
        v.result = (enum dm_result)(i % DM_RESULT__COUNT);
        v.disposition = (enum dm_disposition)(i % DM_DISP__COUNT);
        cs_verdict_hook(&v, w->cs);
    }
    return NULL;
}

/* The loop without the hook: what the domain formatting costs alone. */
static void *
bm_base_run(void *arg)
{
    struct bm_worker *w = arg;
    struct dm_verdict v;
    volatile int sink = 0;

    memset(&v, 0, sizeof(v));
    for (long i = 0; i < w->n; i++) {
        snprintf(v.from_domain, sizeof(v.from_domain), "d%ld.example",
                 (i + w->id) & 7);
        sink += v.from_domain[1];
    }
    (void)sink;
    return NULL;
}

static double
bm_threads(struct cs_store *cs, int threads, long n, void *(*fn)(void *))
{
    pthread_t tid[64];
    struct bm_worker w[64];
    double t0 = clk_seconds();

    for (int i = 0; i < threads; i++) {
        w[i] = (struct bm_worker){ cs, n, i };
        pthread_create(&tid[i], NULL, fn, &w[i]);
    }
    for (int i = 0; i < threads; i++)
        pthread_join(tid[i], NULL);
    return clk_seconds() - t0;
}

int
main(int argc, char **argv)
{
    long domains = argc > 1 ? atol(argv[1]) : 10000;
    int threads = argc > 2 ? atoi(argv[2]) : 4;
    const long n = 2000000;
    struct cs_store *cs;
    char err[256], name[64];
    double base, t;

    if (threads < 1 || threads > 64 || domains < 1)
        return 2;
    if ((cs = cs_new((size_t)domains, err, sizeof(err))) == NULL) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    for (long i = 0; i < domains; i++) {
        snprintf(name, sizeof(name), "domain-%ld.example.com", i);
        for (int p = 0; p < DM_POLICY__COUNT; p++)
            cs_count(cs, name, (enum dm_policy)p, DM_RESULT_PASS,
                     DM_DISP_NONE);
    }
    printf("%ld domains x 4 policies = %ld rows\n", domains, domains * 4);
    bm_render(cs, EX_TEXT, "text 0.0.4");
    bm_render(cs, EX_OPENMETRICS, "OpenMetrics");
    cs_free(cs);

    cs = cs_new(10000, err, sizeof(err));
    base = bm_threads(cs, 1, n, bm_base_run);
    t = bm_threads(cs, 1, n, bm_count_run);
    printf("count  1 thread     %8.1f ns per message (hook only)\n",
           (t - base) / (double)n * 1e9);
    base = bm_threads(cs, threads, n, bm_base_run);
    t = bm_threads(cs, threads, n, bm_count_run);
    printf("count  %d threads    %8.1f ns per message per thread, same 8 "
           "rows\n", threads, (t - base) / (double)n * 1e9);
    cs_free(cs);

    cs = cs_new(1000, err, sizeof(err));
    {
        struct dm_verdict v;
        double t0;

        memset(&v, 0, sizeof(v));
        v.policy = DM_POLICY_NONE;
        for (long i = 0; i < 1000; i++) {
            snprintf(v.from_domain, sizeof(v.from_domain), "f%ld.example", i);
            cs_verdict_hook(&v, cs);
        }
        t0 = clk_seconds();
        for (long i = 1000; i < 1000 + n; i++) {
            snprintf(v.from_domain, sizeof(v.from_domain), "f%ld.example", i);
            cs_verdict_hook(&v, cs);
        }
        printf("flood  1 thread     %8.1f ns per message, new domain past "
               "the bound (snprintf included)\n",
               (clk_seconds() - t0) / (double)n * 1e9);
    }
    cs_free(cs);
    return 0;
}
