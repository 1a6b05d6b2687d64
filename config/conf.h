/*
 * conf.h: the configuration file, with OpenDMARC's key names and
 * syntax so that an operator's opendmarc.conf works unchanged.
 *
 * A loaded configuration is immutable; a reload builds a new one and the
 * milter swaps it in (see milter/runtime.h), so readers never lock.
 *
 * The keys of the milter itself are fields of struct dm_config. A
 * subsystem with keys of its own declares them beside its code, as a
 * section (struct cf_section, below), and main() registers the section
 * before the first cf_load(): metrics/mx_keys.c, agentx/ax_keys.c and
 * report/rp_keys.c are the models.
 *
 * Adding a key then touches one folder (and the documentation: the man
 * page and the sample file must name every key; tests/unit/test_config
 * checks that).
 */
#ifndef DM_CONF_H
#define DM_CONF_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include "dns/dns.h"
#include "config/ip_list.h"
#include "dmarc/dmarc.h"

#define CF_DEFAULT_FILE SYSCONFDIR "/dmarc-milter.conf"
#define CF_SECTIONS_MAX 8      /* subsystems with keys of their own */

enum cf_temperror_action { CF_TEMPERROR_ACCEPT = 0, CF_TEMPERROR_TEMPFAIL };

/* A list of normalised domain names (DomainWhitelist, DomainWhitelistFile). */
struct cf_domains {
    char **v;
    size_t n;
};
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
    char *chroot_dir;              /* ChangeRootDirectory, absolute */
    bool enable_coredumps;         /* EnableCoredumps: dumpable after the
                                      privilege drop */

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
    bool authserv_jobid;           /* AuthservIDWithJobID: "id/jobid" */

    /* what to evaluate */
    struct ipl *ignore_hosts;      /* IgnoreHosts; default 127.0.0.1, ::1 */
    bool ignore_auth_clients;      /* IgnoreAuthenticatedClients */
    char **ignore_mailfrom;        /* IgnoreMailFrom, normalised domains */
    size_t n_ignore_mailfrom;
    bool required_headers;         /* RequiredHeaders */
    bool required_from;            /* RequiredFrom: no usable From domain
                                      is refused (else MAIL FROM's stands
                                      in) */
    struct cf_domains arc_sealers;      /* DomainWhitelist */
    struct cf_domains arc_sealers_file; /* DomainWhitelistFile's */
    enum cf_multi_from multi_from; /* RejectMultiValueFrom true: REJECT */

    /* inputs */
    bool spf_self_validate;        /* SPFSelfValidate */
    bool spf_ignore_results;       /* SPFIgnoreResults */
    bool trust_received_spf;       /* TrustReceivedSPF: the topmost
                                      Received-SPF field, when it describes
                                      this session */
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
    char *reject_string;           /* RejectString, checked; NULL: the
                                      default, which names the policy
                                      domain */
    char *copy_failures_to;        /* CopyFailuresTo: an address */

    /* each registered section's settings (see below): cf_settings() */
    size_t n_sections;
    void *sections[CF_SECTIONS_MAX];
};

/* ------------------------------------------------------------------ */
/* reading a file */

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

/* ------------------------------------------------------------------ */
/* sections: keys declared beside their subsystem */

struct cf_ctx;      /* the line being applied, for the diagnostics */
struct cf_key;

/*
 * Store the value val of key k into the field k->off bytes into base (the
 * section's settings, or struct dm_config); false after reporting why.
 * replace is false for the second and later lines of a CF_LIST key.
 */
typedef bool (*cf_set_fn)(struct cf_ctx *c, void *base,
                          const struct cf_key *k, const char *val,
                          bool replace);

enum cf_kind {
    CF_SCALAR,  /* given twice: the later value wins, with a warning */
    CF_LIST,    /* given twice: the entries add up */
    CF_UNIMPL   /* an OpenDMARC key we accept with a warning */
};

/* One key: one row of a table. The default is the only one there is. */
struct cf_key {
    const char *name;
    enum cf_kind kind;
    bool required;          /* a file without it is refused */
    cf_set_fn set;
    size_t off;             /* the field the setter stores into */
    int min, max;           /* cf_set_int's range */
    const char *def;        /* default as written in the file; NULL: unset */
};

#define CF_KEY(name, kind, req, set, type, field, lo, hi, def) \
    { name, kind, req, set, offsetof(type, field), lo, hi, def }
/* A non-empty string (char *field; NULL while unset). */
#define CF_KEY_STR(name, type, field, def) \
    CF_KEY(name, CF_SCALAR, false, cf_set_str, type, field, 0, 0, def)
/* true/false, yes/no, on/off, 1/0 (bool field). */
#define CF_KEY_BOOL(name, type, field, def) \
    CF_KEY(name, CF_SCALAR, false, cf_set_bool, type, field, 0, 0, def)
/* A decimal integer from lo to hi (int field). */
#define CF_KEY_INT(name, type, field, lo, hi, def) \
    CF_KEY(name, CF_SCALAR, false, cf_set_int, type, field, lo, hi, def)
/* A file that must be readable at load time (char *field). */
#define CF_KEY_FILE(name, type, field) \
    CF_KEY(name, CF_SCALAR, false, cf_set_readable, type, field, 0, 0, NULL)
#define CF_NKEYS(rows) (sizeof(rows) / sizeof((rows)[0]))

bool cf_set_str(struct cf_ctx *c, void *base, const struct cf_key *k,
                const char *val, bool replace);
bool cf_set_bool(struct cf_ctx *c, void *base, const struct cf_key *k,
                 const char *val, bool replace);
bool cf_set_int(struct cf_ctx *c, void *base, const struct cf_key *k,
                const char *val, bool replace);
bool cf_set_readable(struct cf_ctx *c, void *base, const struct cf_key *k,
                     const char *val, bool replace);

/* For a section's own setter: "FILE:LINE: bad value 'V' for K: expected E". */
void cf_bad(struct cf_ctx *c, const struct cf_key *k, const char *val,
            const char *expected);

struct cf_section {
    const char *name;              /* "metrics": names it to a programmer */
    size_t size;                   /* of its settings struct */
    const struct cf_key *keys;     /* offsets into the settings struct */
    size_t n_keys;
    void (*free)(void *settings);  /* what the settings own (not the struct
                                      itself); NULL: nothing */
    /* On a reload, with the running and the new settings: log what takes
       effect only at the next restart. NULL: nothing to say. */
    void (*reload)(const void *running, const void *loaded);
};

/*
 * Add a section's keys to the reader, before the first cf_load(); at
 * start, while one thread runs. Registering a section again does nothing.
 * -1 when CF_SECTIONS_MAX are registered or a key name is already taken.
 */
int cf_register(const struct cf_section *s);

/* cf's settings of section s; NULL when s was registered after cf's load. */
const void *cf_settings(const struct dm_config *cf,
                        const struct cf_section *s);

/* A reload: each section compares the running settings with the new. */
void cf_reload_warn(const struct dm_config *running,
                    const struct dm_config *loaded);

/* ------------------------------------------------------------------ */
/* what the milter asks of its settings */

/* True when domain (normalised) is listed in IgnoreMailFrom. */
bool cf_ignore_mailfrom(const struct dm_config *cf, const char *domain);

/* True when domain (normalised) is listed in DomainWhitelist(File). */
bool cf_arc_sealer(const struct dm_config *cf, const char *domain);

/* True when id (an A-R authserv-id) is ours or trusted; case-insensitive. */
bool cf_trusted_id(const struct dm_config *cf, const char *own_id,
                   const char *id);

/*
 * A configuration that leaves no SPF source at all (no SPFSelfValidate,
 * no trusted A-R id, no TrustReceivedSPF, or SPFIgnoreResults without
 * SPFSelfValidate) is valid but makes mail that only SPF aligns fail:
 * report a warning that names the line to add, and return true. Such a
 * file loads silently in OpenDMARC, which believes any Received-SPF.
 */
bool cf_warn_spf_source(const struct dm_config *cf, cf_report_fn report,
                        void *arg);

#endif
