/*
 * mx_keys.h: the Metrics* keys, a section of the configuration file
 * (config.h) that main() registers: MetricsListen, MetricsMaxDomains,
 * MetricsDomains, MetricsStateFile, MetricsStateInterval, MetricsTLSCert,
 * MetricsTLSKey, MetricsBasicAuthFile.
 */
#ifndef DM_MX_KEYS_H
#define DM_MX_KEYS_H

struct cf_section;
struct dm_config;

/* None is reloadable: the counters outlive a reload. */
struct mx_settings {
    char *listen;           /* MetricsListen ADDRESS:PORT; NULL: off */
    int max_domains;        /* MetricsMaxDomains */
    char *domains;          /* MetricsDomains FILE */
    char *state_file;       /* MetricsStateFile FILE */
    int state_interval;     /* MetricsStateInterval, seconds */
    char *tls_cert;         /* MetricsTLSCert FILE (PEM) */
    char *tls_key;          /* MetricsTLSKey FILE (PEM) */
    char *basic_auth_file;  /* MetricsBasicAuthFile FILE */
};

/* For cf_register(). */
extern const struct cf_section mx_section;

/* cf's Metrics* settings; NULL when mx_section was not registered. */
const struct mx_settings *mx_settings(const struct dm_config *cf);

#endif
