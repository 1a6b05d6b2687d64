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
mx_he_config(const struct mx_settings *s, struct he_config *hc)
{
    memset(hc, 0, sizeof(*hc));
    hc->listen = s->listen;
    hc->tls_cert = s->tls_cert;
    hc->tls_key = s->tls_key;
    hc->auth_file = s->basic_auth_file;
}

/* Keys that mean nothing without MetricsListen. */
static void
mx_warn_unused(const struct mx_settings *s)
{
    if (s->listen != NULL)
        return;
    if (s->tls_cert != NULL || s->tls_key != NULL ||
        s->basic_auth_file != NULL)
        dm_log(LOG_WARNING, "MetricsTLSCert, MetricsTLSKey and "
               "MetricsBasicAuthFile apply to MetricsListen, which is not "
               "set");
}

/* The store, MetricsMaxDomains large, restricted to MetricsDomains. */
static struct cs_store *
mx_new_store(const struct mx_settings *s, char *err, size_t errsz)
{
    struct cs_store *cs = cs_new((size_t)s->max_domains, err, errsz);

    if (cs != NULL && s->domains != NULL &&
        cs_restrict_domains(cs, s->domains, err, errsz) != 0) {
        cs_free(cs);
        return NULL;
    }
    return cs;
}

int
mx_check(const struct mx_settings *s, char *err, size_t errsz)
{
    struct he_config hc;
    struct cs_store *cs;

    if (s == NULL) {
        snprintf(err, errsz, "metrics: no Metrics* settings");
        return -1;
    }
    if ((cs = mx_new_store(s, err, errsz)) == NULL)
        return -1;
    cs_free(cs);
    mx_he_config(s, &hc);
    if (s->listen != NULL)
        return he_check(&hc, err, errsz);
    return 0;
}

struct mx_metrics *
mx_open(const struct mx_settings *s, char *err, size_t errsz)
{
    struct mx_metrics *m = calloc(1, sizeof(*m));
    struct he_config hc;

    if (m == NULL || s == NULL) {
        snprintf(err, errsz, m == NULL ? "metrics: out of memory" :
                 "metrics: no Metrics* settings");
        free(m);
        return NULL;
    }
    if ((m->cs = mx_new_store(s, err, errsz)) == NULL)
        goto fail;
    if (s->state_file != NULL &&
        (m->state_file = strdup(s->state_file)) == NULL) {
        snprintf(err, errsz, "metrics: out of memory");
        goto fail;
    }
    m->state_interval = (unsigned)s->state_interval;
    mx_warn_unused(s);
    if (s->listen != NULL) {
        snprintf(m->listen, sizeof(m->listen), "%s", s->listen);
        mx_he_config(s, &hc);
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
