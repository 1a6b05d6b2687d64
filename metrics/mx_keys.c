/*
 * mx_keys.c: the Metrics* keys and their defaults (see mx_keys.h). The
 * files they name are read at start by metrics.c, not here.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "util/util.h"
#include "metrics/mx_keys.h"

#define MX_KEY_STR(n, f) CF_KEY_STR(n, struct mx_settings, f, NULL)

static const struct cf_key mx_keys[] = {
    MX_KEY_STR("MetricsListen", listen),
    CF_KEY_INT("MetricsMaxDomains", struct mx_settings, max_domains,
               1, 100000, "10000"),
    MX_KEY_STR("MetricsDomains", domains),
    MX_KEY_STR("MetricsStateFile", state_file),
    CF_KEY_INT("MetricsStateInterval", struct mx_settings, state_interval,
               1, 86400, "60"),
    MX_KEY_STR("MetricsTLSCert", tls_cert),
    MX_KEY_STR("MetricsTLSKey", tls_key),
    MX_KEY_STR("MetricsBasicAuthFile", basic_auth_file),
};

static void
mx_keys_free(void *settings)
{
    struct mx_settings *s = settings;

    free(s->listen);
    free(s->domains);
    free(s->state_file);
    free(s->tls_cert);
    free(s->tls_key);
    free(s->basic_auth_file);
}

static bool
mx_keys_same(const char *a, const char *b)
{
    return (a == NULL && b == NULL) ||
           (a != NULL && b != NULL && strcmp(a, b) == 0);
}

/* A reload keeps the running metrics; a change waits for a restart. */
static void
mx_keys_reload(const void *running, const void *loaded)
{
    const struct mx_settings *old = running, *s = loaded;

    if (!mx_keys_same(old->listen, s->listen) ||
        old->max_domains != s->max_domains ||
        !mx_keys_same(old->domains, s->domains) ||
        !mx_keys_same(old->state_file, s->state_file) ||
        old->state_interval != s->state_interval ||
        !mx_keys_same(old->tls_cert, s->tls_cert) ||
        !mx_keys_same(old->tls_key, s->tls_key) ||
        !mx_keys_same(old->basic_auth_file, s->basic_auth_file))
        dm_log(LOG_WARNING, "reload: Metrics* settings changed; they take "
               "effect at the next restart (counters are kept; "
               "MetricsMaxDomains sizes memory reserved at start)");
}

const struct cf_section mx_section = {
    "metrics", sizeof(struct mx_settings), mx_keys, CF_NKEYS(mx_keys),
    mx_keys_free, mx_keys_reload,
};

const struct mx_settings *
mx_settings(const struct dm_config *cf)
{
    return cf_settings(cf, &mx_section);
}
