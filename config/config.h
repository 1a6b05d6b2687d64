/*
 * config.h: the configuration file, with OpenDMARC's key names and
 * syntax so that an operator's opendmarc.conf works unchanged.
 *
 * A loaded configuration is immutable; a reload builds a new one and the
 * milter swaps it in (see cf_* in main.c), so readers never lock.
 */
#ifndef DM_CONFIG_H
#define DM_CONFIG_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "dns/dns.h"
#include "config/ip_list.h"
#include "dmarc/dmarc.h"

#define CF_DEFAULT_FILE SYSCONFDIR "/dmarc-milter.conf"

enum cf_temperror_action { CF_TEMPERROR_ACCEPT = 0, CF_TEMPERROR_TEMPFAIL };
enum cf_multi_from { CF_MULTI_FROM_STRICTEST = 0, CF_MULTI_FROM_REJECT };

struct dm_config {
    char *path;                    /* file it was read from */

    /* milter and process (not reloadable: changes logged and ignored) */
    char *socket;                  /* Socket; required */
    char *user_id;                 /* UserID user[:group] */
    char *pid_file;                /* PidFile */
    bool background;               /* Background, default true */
    mode_t umask;                  /* UMask (octal) */
    bool umask_set;
    char *base_directory;          /* BaseDirectory */
    int milter_debug;              /* MilterDebug */

    /* logging */
    bool syslog;                   /* Syslog, default false */
    int syslog_facility;           /* SyslogFacility, default LOG_MAIL */
    bool syslog_success;           /* SyslogSuccess: log passing mail too
                                      (default true) */

    /* identity and trust */
    char *authserv_id;             /* AuthservID, HOSTNAME expanded; NULL:
                                      the MTA's j macro, else gethostname */
    char **trusted_ids;            /* TrustedAuthservIDs, HOSTNAME expanded */
    size_t n_trusted_ids;

    /* what to evaluate */
    struct ipl *ignore_hosts;      /* IgnoreHosts; default 127.0.0.1, ::1 */
    bool ignore_auth_clients;      /* IgnoreAuthenticatedClients */
    char **ignore_mailfrom;        /* IgnoreMailFrom, normalised domains */
    size_t n_ignore_mailfrom;
    bool required_headers;         /* RequiredHeaders */
    enum cf_multi_from multi_from; /* RejectMultiValueFrom true: REJECT */

    /* inputs */
    bool spf_self_validate;        /* SPFSelfValidate */
    bool spf_ignore_results;       /* SPFIgnoreResults */
    char *public_suffix_list;      /* PublicSuffixList; NULL: system list */
    enum dm_spec dmarc_spec;       /* DMARCSpec, default rfc9989 */
    int dns_timeout;               /* DNSTimeout seconds, default 5 */
    struct dq_servers nameservers; /* Nameservers; count 0: resolv.conf */
    int dns_cache_size;            /* DNSCacheSize replies, 0: no cache */
    bool dkim_self_verify;         /* DKIMSelfVerify */
    int dkim_max_signatures;       /* DKIMMaxSignatures, default 8 */
    int dkim_max_body_bytes;       /* DKIMMaxBodyBytes, default 16 MiB */

    /* actions */
    bool reject_failures;          /* RejectFailures */
    bool hold_quarantined;         /* HoldQuarantinedMessages, default TRUE */
    enum cf_temperror_action temperror_action; /* TempErrorAction */
    bool software_header;          /* SoftwareHeader */

    /* metrics (not reloadable: the counters outlive a reload) */
    char *metrics_listen;          /* MetricsListen ADDRESS:PORT; NULL: off */
    int metrics_max_domains;       /* MetricsMaxDomains, default 10000 */
    char *metrics_domains;         /* MetricsDomains FILE */
    char *metrics_state_file;      /* MetricsStateFile FILE */
    int metrics_state_interval;    /* MetricsStateInterval s, default 60 */
    char *metrics_tls_cert;        /* MetricsTLSCert FILE (PEM) */
    char *metrics_tls_key;         /* MetricsTLSKey FILE (PEM) */
    char *metrics_basic_auth_file; /* MetricsBasicAuthFile FILE */

    /* AgentX subagent (not reloadable) */
    bool agentx;                   /* AgentX, default false */
    char *agentx_socket;           /* AgentXSocket, default snmpd's */
    int agentx_ping_interval;      /* AgentXPingInterval s, default 15 */
};

/*
 * Receives each diagnostic, already formatted as "FILE:LINE: text" (or
 * "FILE: text"). is_error false means a warning.
 */
typedef void (*cf_report_fn)(void *arg, bool is_error, const char *msg);

/*
 * Read and check the file at path. Every problem is reported; returns NULL
 * when any was an error. Unknown keys and bad values are errors; OpenDMARC
 * keys we do not implement are warnings that name the key.
 */
struct dm_config *cf_load(const char *path, cf_report_fn report, void *arg);

/* A configuration with every default (Socket unset), for tests. */
struct dm_config *cf_defaults(void);

void cf_free(struct dm_config *cf);

/*
 * The i-th key of the table (0, 1, ...), NULL past the end. *implemented
 * is false for OpenDMARC keys that are accepted with a warning. For
 * listings and for tests that check the documentation names every key.
 */
const char *cf_key_name(size_t i, bool *implemented);

/* True when domain (normalised) is listed in IgnoreMailFrom. */
bool cf_ignore_mailfrom(const struct dm_config *cf, const char *domain);

/* True when id (an A-R authserv-id) is ours or trusted; case-insensitive. */
bool cf_trusted_id(const struct dm_config *cf, const char *own_id,
                   const char *id);

#endif
