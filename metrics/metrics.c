/*
 * metrics.c: the metrics' life in the daemon (see metrics.h).
 */
#include <config.h>

#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/util.h"
#include "metrics/dns_counting.h"
#include "metrics/http_endpoint.h"
#include "metrics/metrics.h"
#include "metrics/state_file.h"

struct mx_metrics {
    struct cs_store *cs;
    struct he_server *http;
    char *state_file;
    unsigned state_interval;
    char listen[128];
    struct sf_saver *saver;
};

static void
mx_he_config(const struct dm_config *cf, struct he_config *hc)
{
    memset(hc, 0, sizeof(*hc));
    hc->listen = cf->metrics_listen;
    hc->tls_cert = cf->metrics_tls_cert;
    hc->tls_key = cf->metrics_tls_key;
    hc->auth_file = cf->metrics_basic_auth_file;
}

/* Keys that mean nothing without MetricsListen. */
static void
mx_warn_unused(const struct dm_config *cf)
{
    if (cf->metrics_listen != NULL)
        return;
    if (cf->metrics_tls_cert != NULL || cf->metrics_tls_key != NULL ||
        cf->metrics_basic_auth_file != NULL)
        dm_log(LOG_WARNING, "MetricsTLSCert, MetricsTLSKey and "
               "MetricsBasicAuthFile apply to MetricsListen, which is not "
               "set");
}

int
mx_check(const struct dm_config *cf, char *err, size_t errsz)
{
    struct he_config hc;
    struct cs_store *cs;
    int rc = 0;

    if ((cs = cs_new((size_t)cf->metrics_max_domains, err, errsz)) == NULL)
        return -1;
    if (cf->metrics_domains != NULL &&
        cs_restrict_domains(cs, cf->metrics_domains, err, errsz) != 0)
        rc = -1;
    cs_free(cs);
    mx_he_config(cf, &hc);
    if (rc == 0 && cf->metrics_listen != NULL)
        rc = he_check(&hc, err, errsz);
    return rc;
}

struct mx_metrics *
mx_open(const struct dm_config *cf, char *err, size_t errsz)
{
    struct mx_metrics *m = calloc(1, sizeof(*m));
    struct he_config hc;

    if (m == NULL) {
        snprintf(err, errsz, "metrics: out of memory");
        return NULL;
    }
    m->cs = cs_new((size_t)cf->metrics_max_domains, err, errsz);
    if (m->cs == NULL)
        goto fail;
    if (cf->metrics_domains != NULL &&
        cs_restrict_domains(m->cs, cf->metrics_domains, err, errsz) != 0)
        goto fail;
    if (cf->metrics_state_file != NULL &&
        (m->state_file = strdup(cf->metrics_state_file)) == NULL) {
        snprintf(err, errsz, "metrics: out of memory");
        goto fail;
    }
    m->state_interval = (unsigned)cf->metrics_state_interval;
    mx_warn_unused(cf);
    if (cf->metrics_listen != NULL) {
        snprintf(m->listen, sizeof(m->listen), "%s", cf->metrics_listen);
        mx_he_config(cf, &hc);
        if ((m->http = he_open(&hc, m->cs, err, errsz)) == NULL)
            goto fail;
    }
    return m;
fail:
    he_close(m->http);
    cs_free(m->cs);
    free(m->state_file);
    free(m);
    return NULL;
}

int
mx_start(struct mx_metrics *m, char *err, size_t errsz)
{
    sigset_t all, old;
    int rc = 0;

    if (m->state_file != NULL)
        (void)sf_load(m->cs, m->state_file);   /* logs every outcome */
    /*
     * The threads started here inherit a mask that blocks every signal:
     * main() waits for SIGHUP and SIGTERM in sigtimedwait(), and one of
     * these threads must never take them (SIGHUP would kill the process).
     */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    if (m->state_file != NULL &&
        (m->saver = sf_saver_start(m->cs, m->state_file, m->state_interval,
                                   err, errsz)) == NULL)
        rc = -1;
    if (rc == 0 && m->http != NULL) {
        if (he_start(m->http, err, errsz) != 0)
            rc = -1;
        else
            dm_log(LOG_INFO, "metrics: serving /metrics on %s",
                   m->listen);
    }
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    return rc;
}

void
mx_stop(struct mx_metrics *m)
{
    if (m == NULL)
        return;
    he_close(m->http);
    m->http = NULL;
    (void)sf_saver_stop(m->saver);     /* the last save; logs failures */
    m->saver = NULL;
    /*
     * main() pointed the verdict hook and the resolver decorator at the
     * store: runtimes still referenced may look up, so the store is left
     * to the process exit rather than freed under them.
     */
    free(m->state_file);
    free(m);
}

struct cs_store *
mx_store(struct mx_metrics *m)
{
    return m != NULL ? m->cs : NULL;
}

static bool
mx_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

void
mx_reload_warn(const struct dm_config *old, const struct dm_config *cf)
{
    if (!mx_same(old->metrics_listen, cf->metrics_listen) ||
        old->metrics_max_domains != cf->metrics_max_domains ||
        !mx_same(old->metrics_domains, cf->metrics_domains) ||
        !mx_same(old->metrics_state_file, cf->metrics_state_file) ||
        old->metrics_state_interval != cf->metrics_state_interval ||
        !mx_same(old->metrics_tls_cert, cf->metrics_tls_cert) ||
        !mx_same(old->metrics_tls_key, cf->metrics_tls_key) ||
        !mx_same(old->metrics_basic_auth_file, cf->metrics_basic_auth_file))
        dm_log(LOG_WARNING, "reload: Metrics* settings changed; they take "
               "effect at the next restart (counters are kept; "
               "MetricsMaxDomains sizes memory reserved at start)");
}
