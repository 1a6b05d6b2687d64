/*
 * config.c: read the configuration file, OpenDMARC's syntax and keys.
 *
 * Every key is one row of cf_keys[]: its name, a setter (generic ones
 * store into the field at an offset), and its default written as it would
 * be in the file. cf_defaults() runs every default through the same
 * setters, so the table is the only place a default lives.
 */
#include <config.h>
#include <errno.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <syslog.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/stat.h>
#include "config/config.h"
#include "dns/dns.h"
#include "dmarc/dmarc.h"

#define CF_LINE_MAX 4096                 /* bytes of a line, without EOL */
#define CF_FILE_MAX (16L * 1024 * 1024)  /* stop a runaway file or device */
#define CF_SHOW_MAX 80                   /* bytes of a value quoted back */
#define CF_ID_MAX 255                    /* an authserv-id */
#define CF_DIAG_MAX 1024

struct cf_ctx {
    const char *file;       /* where the line being applied comes from */
    unsigned line;
    cf_report_fn report;
    void *arg;
    unsigned errors;
};

struct cf_key;
typedef bool (*cf_set_fn)(struct cf_ctx *c, struct dm_config *cf,
                          const struct cf_key *k, const char *val,
                          bool replace);

enum cf_kind {
    CF_SCALAR,  /* given twice: the later value wins, with a warning */
    CF_LIST,    /* given twice: the entries add up */
    CF_UNIMPL   /* an OpenDMARC key we accept with a warning */
};

struct cf_key {
    const char *name;
    enum cf_kind kind;
    bool required;          /* a file without it is refused */
    cf_set_fn set;
    size_t off;             /* the field the setter stores into */
    int min, max;           /* cf_set_int */
    const char *def;        /* default as written in the file; NULL: unset */
};

static bool cf_set_str(struct cf_ctx *, struct dm_config *,
                       const struct cf_key *, const char *, bool);
static bool cf_set_bool(struct cf_ctx *, struct dm_config *,
                        const struct cf_key *, const char *, bool);
static bool cf_set_int(struct cf_ctx *, struct dm_config *,
                       const struct cf_key *, const char *, bool);
static bool cf_set_socket(struct cf_ctx *, struct dm_config *,
                          const struct cf_key *, const char *, bool);
static bool cf_set_user(struct cf_ctx *, struct dm_config *,
                        const struct cf_key *, const char *, bool);
static bool cf_set_umask(struct cf_ctx *, struct dm_config *,
                         const struct cf_key *, const char *, bool);
static bool cf_set_facility(struct cf_ctx *, struct dm_config *,
                            const struct cf_key *, const char *, bool);
static bool cf_set_authserv(struct cf_ctx *, struct dm_config *,
                            const struct cf_key *, const char *, bool);
static bool cf_set_trusted(struct cf_ctx *, struct dm_config *,
                           const struct cf_key *, const char *, bool);
static bool cf_set_hosts(struct cf_ctx *, struct dm_config *,
                         const struct cf_key *, const char *, bool);
static bool cf_set_mailfrom(struct cf_ctx *, struct dm_config *,
                            const struct cf_key *, const char *, bool);
static bool cf_set_multifrom(struct cf_ctx *, struct dm_config *,
                             const struct cf_key *, const char *, bool);
static bool cf_set_readable(struct cf_ctx *, struct dm_config *,
                            const struct cf_key *, const char *, bool);
static bool cf_set_temperror(struct cf_ctx *, struct dm_config *,
                             const struct cf_key *, const char *, bool);
static bool cf_set_spec(struct cf_ctx *, struct dm_config *,
                        const struct cf_key *, const char *, bool);
static bool cf_set_nameservers(struct cf_ctx *, struct dm_config *,
                               const struct cf_key *, const char *, bool);

#define CF_OFF(f) offsetof(struct dm_config, f)
#define K_ROW(n, kind, req, fn, f, lo, hi, d) \
    { n, kind, req, fn, CF_OFF(f), lo, hi, d }
#define K_STR(n, f, d) K_ROW(n, CF_SCALAR, false, cf_set_str, f, 0, 0, d)
#define K_BOOL(n, f, d) K_ROW(n, CF_SCALAR, false, cf_set_bool, f, 0, 0, d)
#define K_INT(n, f, lo, hi, d) \
    K_ROW(n, CF_SCALAR, false, cf_set_int, f, lo, hi, d)
#define K_FN(n, fn, f, d) K_ROW(n, CF_SCALAR, false, fn, f, 0, 0, d)
#define K_NEED(n, fn, f) K_ROW(n, CF_SCALAR, true, fn, f, 0, 0, NULL)
#define K_LIST(n, fn, f, d) K_ROW(n, CF_LIST, false, fn, f, 0, 0, d)
#define K_UNIMPL(n) { n, CF_UNIMPL, false, NULL, 0, 0, 0, NULL }

static const struct cf_key cf_keys[] = {
    /* milter and process */
    K_NEED("Socket", cf_set_socket, socket),
    K_FN("UserID", cf_set_user, user_id, NULL),
    K_STR("PidFile", pid_file, NULL),
    K_BOOL("Background", background, "true"),
    K_FN("UMask", cf_set_umask, umask, NULL),
    K_STR("BaseDirectory", base_directory, NULL),
    K_INT("MilterDebug", milter_debug, 0, 6, "0"),

    /* logging */
    K_BOOL("Syslog", syslog, "false"),
    K_FN("SyslogFacility", cf_set_facility, syslog_facility, "mail"),
    K_BOOL("SyslogSuccess", syslog_success, "true"),

    /* identity and trust */
    K_FN("AuthservID", cf_set_authserv, authserv_id, NULL),
    K_LIST("TrustedAuthservIDs", cf_set_trusted, trusted_ids, NULL),

    /* what to evaluate */
    K_LIST("IgnoreHosts", cf_set_hosts, ignore_hosts, "127.0.0.1, ::1"),
    K_BOOL("IgnoreAuthenticatedClients", ignore_auth_clients, "false"),
    K_LIST("IgnoreMailFrom", cf_set_mailfrom, ignore_mailfrom, NULL),
    K_BOOL("RequiredHeaders", required_headers, "false"),
    K_FN("RejectMultiValueFrom", cf_set_multifrom, multi_from, "false"),

    /* inputs */
    K_BOOL("SPFSelfValidate", spf_self_validate, "false"),
    K_BOOL("SPFIgnoreResults", spf_ignore_results, "false"),
    K_FN("PublicSuffixList", cf_set_readable, public_suffix_list, NULL),
    K_FN("DMARCSpec", cf_set_spec, dmarc_spec, "rfc9989"),
    K_INT("DNSTimeout", dns_timeout, 1, 60, "5"),
    K_FN("Nameservers", cf_set_nameservers, nameservers, NULL),
    K_INT("DNSCacheSize", dns_cache_size, 0, 1000000, "4096"),
    K_BOOL("DKIMSelfVerify", dkim_self_verify, "false"),
    K_INT("DKIMMaxSignatures", dkim_max_signatures, 1, 64, "8"),
    K_INT("DKIMMaxBodyBytes", dkim_max_body_bytes, 1024, 1073741824,
          "16777216"),

    /* actions */
    K_BOOL("RejectFailures", reject_failures, "false"),
    K_BOOL("HoldQuarantinedMessages", hold_quarantined, "true"),
    K_FN("TempErrorAction", cf_set_temperror, temperror_action, "accept"),
    K_BOOL("SoftwareHeader", software_header, "false"),

    /* metrics: files are read at start, by metrics/ */
    K_STR("MetricsListen", metrics_listen, NULL),
    K_INT("MetricsMaxDomains", metrics_max_domains, 1, 100000, "10000"),
    K_STR("MetricsDomains", metrics_domains, NULL),
    K_STR("MetricsStateFile", metrics_state_file, NULL),
    K_INT("MetricsStateInterval", metrics_state_interval, 1, 86400, "60"),
    K_STR("MetricsTLSCert", metrics_tls_cert, NULL),
    K_STR("MetricsTLSKey", metrics_tls_key, NULL),
    K_STR("MetricsBasicAuthFile", metrics_basic_auth_file, NULL),

    /* the AgentX subagent, started by agentx/ */
    K_BOOL("AgentX", agentx, "false"),
    K_STR("AgentXSocket", agentx_socket, "/var/agentx/master"),
    K_INT("AgentXPingInterval", agentx_ping_interval, 1, 3600, "15"),

    /* OpenDMARC keys with no counterpart here */
    K_UNIMPL("AuthservIDWithJobID"),
    K_UNIMPL("AutoRestart"),
    K_UNIMPL("AutoRestartCount"),
    K_UNIMPL("AutoRestartRate"),
    K_UNIMPL("ChangeRootDirectory"),
    K_UNIMPL("CopyFailuresTo"),
    K_UNIMPL("DomainWhitelist"),
    K_UNIMPL("DomainWhitelistFile"),
    K_UNIMPL("DomainWhitelistSize"),
    K_UNIMPL("EnableCoredumps"),
    K_UNIMPL("FailureReports"),
    K_UNIMPL("FailureReportsBcc"),
    K_UNIMPL("FailureReportsOnNone"),
    K_UNIMPL("FailureReportsSentBy"),
    K_UNIMPL("HistoryFile"),
    K_UNIMPL("RecordAllMessages"),
    K_UNIMPL("ReportCommand"),
    K_UNIMPL("TestDNSData"),
    K_UNIMPL("IgnoreMailTo"),
    K_UNIMPL("NoReportsList"),
    K_UNIMPL("RejectString"),
    K_UNIMPL("RequiredFrom"),
    /* renamed Failure* in OpenDMARC 1.3.0 */
    K_UNIMPL("ForensicReports"),
    K_UNIMPL("ForensicReportsBcc"),
    K_UNIMPL("ForensicReportsOnNone"),
    K_UNIMPL("ForensicReportsSentBy"),
};

#define CF_NKEYS (sizeof(cf_keys) / sizeof(cf_keys[0]))

/* ------------------------------------------------------------------ */
/* diagnostics */

static void
cf_diag(struct cf_ctx *c, bool is_error, const char *file, unsigned line,
        const char *fmt, ...)
{
    char msg[CF_DIAG_MAX];
    int n;
    va_list ap;

    if (is_error)
        c->errors++;
    if (c->report == NULL)
        return;
    if (line > 0)
        n = snprintf(msg, sizeof(msg), "%s:%u: ", file, line);
    else
        n = snprintf(msg, sizeof(msg), "%s: ", file);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof(msg)) {
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    /* file names come from the configuration too: no control bytes out */
    for (char *p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    c->report(c->arg, is_error, msg);
}

/* A copy of untrusted text fit to quote in a log line: no control bytes. */
static const char *
cf_show(char out[CF_SHOW_MAX + 4], const char *in)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i < CF_SHOW_MAX; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (in[i] != '\0') {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

static void
cf_bad(struct cf_ctx *c, const struct cf_key *k, const char *val,
       const char *expected)
{
    char s[CF_SHOW_MAX + 4];
    cf_diag(c, true, c->file, c->line, "bad value '%s' for %s: expected %s",
            cf_show(s, val), k->name, expected);
}

static bool
cf_nomem(struct cf_ctx *c)
{
    cf_diag(c, true, c->file, c->line, "out of memory");
    return false;
}

/* ------------------------------------------------------------------ */
/* small parsers */

static bool
cf_isws(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * The next item of a list separated by commas and/or white space; NULL at
 * the end. *pp advances past it.
 */
static const char *
cf_next_item(const char **pp, size_t *len)
{
    const char *p = *pp, *start;

    while (*p == ',' || cf_isws((unsigned char)*p))
        p++;
    if (*p == '\0') {
        *pp = p;
        return NULL;
    }
    start = p;
    while (*p != '\0' && *p != ',' && !cf_isws((unsigned char)*p))
        p++;
    *len = (size_t)(p - start);
    *pp = p;
    return start;
}

static char *
cf_strndup(const char *s, size_t n)
{
    char *d = malloc(n + 1);
    if (d != NULL) {
        memcpy(d, s, n);
        d[n] = '\0';
    }
    return d;
}

static bool
cf_push(char ***v, size_t *n, char *s)
{
    char **nv = NULL;

    if (*n < SIZE_MAX / sizeof(char *) - 1)
        nv = realloc(*v, (*n + 1) * sizeof(char *));
    if (nv == NULL)
        return false;
    nv[(*n)++] = s;
    *v = nv;
    return true;
}

static void
cf_strv_free(char ***v, size_t *n)
{
    for (size_t i = 0; i < *n; i++)
        free((*v)[i]);
    free(*v);
    *v = NULL;
    *n = 0;
}

/* Decimal integer, optional '-', nothing else. */
static bool
cf_parse_int(const char *s, long lo, long hi, long *out)
{
    bool neg = false;
    long v = 0;

    if (*s == '-') {
        neg = true;
        s++;
    }
    if (*s == '\0')
        return false;
    for (; *s != '\0'; s++) {
        if (*s < '0' || *s > '9')
            return false;
        v = v * 10 + (*s - '0');
        if (v > 2147483647L)    /* INT_MAX: past any range we use */
            return false;
    }
    if (neg)
        v = -v;
    if (v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

static bool
cf_parse_bool(struct cf_ctx *c, const struct cf_key *k, const char *v,
              bool *out)
{
    static const char *const yes[] = { "true", "yes", "on", "1" };
    static const char *const no[] = { "false", "no", "off", "0" };
    char s[CF_SHOW_MAX + 4];

    for (size_t i = 0; i < sizeof(yes) / sizeof(yes[0]); i++) {
        if (strcasecmp(v, yes[i]) == 0) {
            *out = true;
            return true;
        }
        if (strcasecmp(v, no[i]) == 0) {
            *out = false;
            return true;
        }
    }
    /* OpenDMARC reads only the first byte; keep its configs working. */
    if (v[0] != '\0' && strchr("TtYy1FfNn0", v[0]) != NULL) {
        *out = strchr("TtYy1", v[0]) != NULL;
        if (v[1] != '\0')
            cf_diag(c, false, c->file, c->line,
                    "value '%s' for %s is read as %s from its first "
                    "character, as OpenDMARC does; write %s",
                    cf_show(s, v), k->name, *out ? "true" : "false",
                    *out ? "true" : "false");
        return true;
    }
    cf_bad(c, k, v, "true or false (yes/no, on/off, 1/0)");
    return false;
}

/* Letters, digits, '-', '_' and dots: a host name to be resolved later. */
static bool
cf_hostish(const char *s, size_t n)
{
    if (n == 0)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (!((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
              (ch >= '0' && ch <= '9') || ch == '-' || ch == '_' ||
              ch == '.'))
            return false;
    }
    return true;
}

static bool
cf_addr_ok(int af, const char *s, size_t n)
{
    char buf[INET6_ADDRSTRLEN + 1];
    unsigned char bin[sizeof(struct in6_addr)];

    if (n == 0 || n >= sizeof(buf))
        return false;
    memcpy(buf, s, n);
    buf[n] = '\0';
    return inet_pton(af, buf, bin) == 1;
}

/* libmilter's socket forms; it resolves names and services itself. */
static bool
cf_socket_ok(const char *v)
{
    const char *rest, *at, *host;
    bool v6;
    size_t plen, hlen;

    if (v[0] == '/')
        return v[1] != '\0';
    if (strncasecmp(v, "local:", 6) == 0 || strncasecmp(v, "unix:", 5) == 0) {
        rest = strchr(v, ':') + 1;
        return rest[0] == '/' && rest[1] != '\0';
    }
    if (strncasecmp(v, "inet:", 5) == 0) {
        v6 = false;
        rest = v + 5;
    } else if (strncasecmp(v, "inet6:", 6) == 0) {
        v6 = true;
        rest = v + 6;
    } else {
        return false;
    }

    at = strchr(rest, '@');
    plen = at != NULL ? (size_t)(at - rest) : strlen(rest);
    if (plen == 0 || !cf_hostish(rest, plen) || memchr(rest, '.', plen))
        return false;
    if (rest[0] == '-' || rest[0] == '_')
        return false;           /* neither a number nor a service name */
    if (rest[0] >= '0' && rest[0] <= '9') {
        long port;
        char pbuf[8];
        if (plen >= sizeof(pbuf))
            return false;
        memcpy(pbuf, rest, plen);
        pbuf[plen] = '\0';
        if (!cf_parse_int(pbuf, 1, 65535, &port))
            return false;
    }
    if (at == NULL)
        return true;            /* every local address */

    host = at + 1;
    hlen = strlen(host);
    if (v6 && hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']')
        return cf_addr_ok(AF_INET6, host + 1, hlen - 2);
    if (v6 && strchr(host, ':') != NULL)
        return cf_addr_ok(AF_INET6, host, hlen);
    return cf_hostish(host, hlen);
}

/* An authserv-id goes into headers we write: one token, printable. */
static bool
cf_id_ok(const char *s, size_t n)
{
    if (n == 0 || n > CF_ID_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch <= 0x20 || ch >= 0x7f || strchr("\"();\\,", ch) != NULL)
            return false;
    }
    return true;
}

#define CF_ID_EXPECTED \
    "an authserv-id or HOSTNAME (printable ASCII; no spaces, quotes, " \
    "commas, parentheses, backslashes or ';')"

/* The id, with HOSTNAME replaced by this host's name; NULL reported. */
static char *
cf_expand_id(struct cf_ctx *c, const struct cf_key *k, const char *s,
             size_t n)
{
    char host[256];

    if (n == 8 && strncasecmp(s, "HOSTNAME", 8) == 0) {
        if (gethostname(host, sizeof(host)) != 0) {
            cf_diag(c, true, c->file, c->line, "cannot expand HOSTNAME: %s",
                    strerror(errno));
            return NULL;
        }
        host[sizeof(host) - 1] = '\0';
        s = host;
        n = strlen(host);
    } else if (!cf_id_ok(s, n)) {
        char *tmp = cf_strndup(s, n);
        if (tmp == NULL) {
            cf_nomem(c);
            return NULL;
        }
        cf_bad(c, k, tmp, CF_ID_EXPECTED);
        free(tmp);
        return NULL;
    }
    char *d = cf_strndup(s, n);
    if (d == NULL)
        cf_nomem(c);
    return d;
}

/* ------------------------------------------------------------------ */
/* setters */

#define CF_FIELD(cf, k, type) ((type *)(void *)((char *)(cf) + (k)->off))

static bool
cf_replace_str(struct cf_ctx *c, char **field, const char *val)
{
    char *d = strdup(val);
    if (d == NULL)
        return cf_nomem(c);
    free(*field);
    *field = d;
    return true;
}

static bool
cf_set_str(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
           const char *val, bool replace)
{
    (void)replace;
    if (val[0] == '\0') {
        cf_bad(c, k, val, "a non-empty value");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(cf, k, char *), val);
}

static bool
cf_set_bool(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
            const char *val, bool replace)
{
    (void)replace;
    return cf_parse_bool(c, k, val, CF_FIELD(cf, k, bool));
}

static bool
cf_set_int(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
           const char *val, bool replace)
{
    long v;
    char want[64];

    (void)replace;
    if (!cf_parse_int(val, k->min, k->max, &v)) {
        snprintf(want, sizeof(want), "an integer from %d to %d",
                 k->min, k->max);
        cf_bad(c, k, val, want);
        return false;
    }
    *CF_FIELD(cf, k, int) = (int)v;
    return true;
}

static bool
cf_set_socket(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
              const char *val, bool replace)
{
    (void)replace;
    if (!cf_socket_ok(val)) {
        cf_bad(c, k, val, "local:/path, unix:/path, inet:PORT[@HOST], "
               "inet6:PORT[@HOST] or /path");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(cf, k, char *), val);
}

static bool
cf_set_user(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
            const char *val, bool replace)
{
    const char *colon = strchr(val, ':');
    bool good = val[0] != '\0' && val[0] != ':';

    (void)replace;
    for (const char *p = val; good && *p != '\0'; p++)
        if ((unsigned char)*p <= 0x20 || *p == 0x7f)
            good = false;
    if (good && colon != NULL)
        good = colon[1] != '\0' && strchr(colon + 1, ':') == NULL;
    if (!good) {
        cf_bad(c, k, val, "user or user:group");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(cf, k, char *), val);
}

static bool
cf_set_umask(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
             const char *val, bool replace)
{
    unsigned v = 0;
    const char *p = val;

    (void)replace;
    for (; *p >= '0' && *p <= '7' && v <= 0777; p++)
        v = v * 8 + (unsigned)(*p - '0');
    if (p == val || *p != '\0' || v > 0777) {
        cf_bad(c, k, val, "an octal mode from 0 to 0777");
        return false;
    }
    cf->umask = (mode_t)v;
    cf->umask_set = true;
    return true;
}

static bool
cf_set_facility(struct cf_ctx *c, struct dm_config *cf,
                const struct cf_key *k, const char *val, bool replace)
{
    static const struct { const char *name; int fac; } tab[] = {
        { "mail", LOG_MAIL }, { "daemon", LOG_DAEMON }, { "user", LOG_USER },
        { "local0", LOG_LOCAL0 }, { "local1", LOG_LOCAL1 },
        { "local2", LOG_LOCAL2 }, { "local3", LOG_LOCAL3 },
        { "local4", LOG_LOCAL4 }, { "local5", LOG_LOCAL5 },
        { "local6", LOG_LOCAL6 }, { "local7", LOG_LOCAL7 },
    };

    (void)replace;
    for (size_t i = 0; i < sizeof(tab) / sizeof(tab[0]); i++) {
        if (strcasecmp(val, tab[i].name) == 0) {
            *CF_FIELD(cf, k, int) = tab[i].fac;
            return true;
        }
    }
    cf_bad(c, k, val, "mail, daemon, user or local0 to local7");
    return false;
}

static bool
cf_set_authserv(struct cf_ctx *c, struct dm_config *cf,
                const struct cf_key *k, const char *val, bool replace)
{
    char **field = CF_FIELD(cf, k, char *);
    char *id = cf_expand_id(c, k, val, strlen(val));

    (void)replace;
    if (id == NULL)
        return false;
    free(*field);
    *field = id;
    return true;
}

static bool
cf_set_trusted(struct cf_ctx *c, struct dm_config *cf,
               const struct cf_key *k, const char *val, bool replace)
{
    const char *p = val, *item;
    size_t len;
    bool good = true;

    if (replace)
        cf_strv_free(&cf->trusted_ids, &cf->n_trusted_ids);
    while ((item = cf_next_item(&p, &len)) != NULL) {
        char *id = cf_expand_id(c, k, item, len);
        if (id == NULL) {
            good = false;
            continue;
        }
        if (!cf_push(&cf->trusted_ids, &cf->n_trusted_ids, id)) {
            free(id);
            return cf_nomem(c);
        }
    }
    return good;
}

static bool
cf_set_mailfrom(struct cf_ctx *c, struct dm_config *cf,
                const struct cf_key *k, const char *val, bool replace)
{
    const char *p = val, *item;
    size_t len;
    bool good = true;

    if (replace)
        cf_strv_free(&cf->ignore_mailfrom, &cf->n_ignore_mailfrom);
    while ((item = cf_next_item(&p, &len)) != NULL) {
        char dom[DM_DOMAIN_MAX], want[96];
        enum dn_status st = dn_normalize(item, len, dom, sizeof(dom));
        char *d;

        if (st != DN_OK) {
            char *raw = cf_strndup(item, len);
            if (raw == NULL)
                return cf_nomem(c);
            snprintf(want, sizeof(want), "a domain name (%s)",
                     dn_strerror(st));
            cf_bad(c, k, raw, want);
            free(raw);
            good = false;
            continue;
        }
        d = strdup(dom);
        if (d == NULL || !cf_push(&cf->ignore_mailfrom,
                                  &cf->n_ignore_mailfrom, d)) {
            free(d);
            return cf_nomem(c);
        }
    }
    return good;
}

static bool
cf_set_multifrom(struct cf_ctx *c, struct dm_config *cf,
                 const struct cf_key *k, const char *val, bool replace)
{
    bool b;

    (void)replace;
    if (!cf_parse_bool(c, k, val, &b))
        return false;
    *CF_FIELD(cf, k, enum cf_multi_from) =
        b ? CF_MULTI_FROM_REJECT : CF_MULTI_FROM_STRICTEST;
    return true;
}

/*
 * Open a file named in the configuration. Only a regular file: a FIFO or
 * a device could block the load or feed it without end. NULL with *why.
 */
static FILE *
cf_open_named(const char *path, const char **why)
{
    struct stat st;
    FILE *fp;
    int fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC);

    if (fd < 0) {
        *why = strerror(errno);
        return NULL;
    }
    if (fstat(fd, &st) != 0) {
        *why = strerror(errno);
        close(fd);
        return NULL;
    }
    if (!S_ISREG(st.st_mode)) {
        *why = S_ISDIR(st.st_mode) ? strerror(EISDIR) : "not a regular file";
        close(fd);
        return NULL;
    }
    fp = fdopen(fd, "r");
    if (fp == NULL) {
        *why = strerror(errno);
        close(fd);
    }
    return fp;
}

/* A path that must be readable now, so a typo fails at start-up. */
static bool
cf_set_readable(struct cf_ctx *c, struct dm_config *cf,
                const struct cf_key *k, const char *val, bool replace)
{
    char s[CF_SHOW_MAX + 4];
    const char *why;
    FILE *fp;

    (void)replace;
    if (val[0] == '\0') {
        cf_bad(c, k, val, "a file name");
        return false;
    }
    fp = cf_open_named(val, &why);
    if (fp == NULL) {
        cf_diag(c, true, c->file, c->line, "cannot read %s file '%s': %s",
                k->name, cf_show(s, val), why);
        return false;
    }
    fclose(fp);
    return cf_replace_str(c, CF_FIELD(cf, k, char *), val);
}

static bool
cf_set_nameservers(struct cf_ctx *c, struct dm_config *cf,
                   const struct cf_key *k, const char *val, bool replace)
{
    char why[160];

    (void)replace;
    if (!dq_servers_parse(val, CF_FIELD(cf, k, struct dq_servers), why,
                          sizeof(why))) {
        cf_bad(c, k, val, "1 to 3 of ADDRESS, ADDRESS:PORT, [IPv6]:PORT");
        return false;
    }
    return true;
}

static bool
cf_set_temperror(struct cf_ctx *c, struct dm_config *cf,
                 const struct cf_key *k, const char *val, bool replace)
{
    enum cf_temperror_action *field =
        CF_FIELD(cf, k, enum cf_temperror_action);

    (void)replace;
    if (strcasecmp(val, "accept") == 0) {
        *field = CF_TEMPERROR_ACCEPT;
    } else if (strcasecmp(val, "tempfail") == 0) {
        *field = CF_TEMPERROR_TEMPFAIL;
    } else {
        cf_bad(c, k, val, "accept or tempfail");
        return false;
    }
    return true;
}

static bool
cf_set_spec(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
            const char *val, bool replace)
{
    enum dm_spec *field = CF_FIELD(cf, k, enum dm_spec);

    (void)replace;
    if (strcasecmp(val, "rfc9989") == 0) {
        *field = DM_SPEC_RFC9989;
    } else if (strcasecmp(val, "rfc7489") == 0) {
        *field = DM_SPEC_RFC7489;
    } else {
        cf_bad(c, k, val, "rfc9989 or rfc7489");
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* reading files */

struct cf_reader {
    FILE *fp;
    const char *path;
    unsigned line;
    long total;
    size_t len;
    char buf[CF_LINE_MAX + 2];  /* room for a '\r' and the NUL */
};

enum cf_rd { CF_RD_LINE, CF_RD_EOF, CF_RD_LONG, CF_RD_NUL, CF_RD_ERR,
             CF_RD_BIG };

/* One line into r->buf, without its "\n" or "\r\n". */
static enum cf_rd
cf_read_line(struct cf_reader *r)
{
    size_t n = 0;
    bool any = false, nul = false, toolong = false;
    int ch;

    for (;;) {
        ch = getc(r->fp);
        if (ch == EOF) {
            if (ferror(r->fp))
                return CF_RD_ERR;
            if (!any)
                return CF_RD_EOF;
            break;
        }
        any = true;
        if (++r->total > CF_FILE_MAX)
            return CF_RD_BIG;
        if (ch == '\n')
            break;
        if (ch == '\0')
            nul = true;
        if (n < CF_LINE_MAX + 1)
            r->buf[n++] = (char)ch;
        else
            toolong = true;
    }
    r->line++;
    if (n > 0 && r->buf[n - 1] == '\r')
        n--;
    if (toolong || n > CF_LINE_MAX)
        return CF_RD_LONG;
    r->buf[n] = '\0';
    r->len = n;
    return nul ? CF_RD_NUL : CF_RD_LINE;
}

/* The next usable line; problems with the file itself are reported. */
static bool
cf_next_line(struct cf_ctx *c, struct cf_reader *r)
{
    for (;;) {
        switch (cf_read_line(r)) {
        case CF_RD_LINE:
            return true;
        case CF_RD_EOF:
            return false;
        case CF_RD_LONG:
            cf_diag(c, true, r->path, r->line, "line longer than %d bytes",
                    CF_LINE_MAX);
            break;
        case CF_RD_NUL:
            cf_diag(c, true, r->path, r->line, "NUL byte in line");
            break;
        case CF_RD_ERR:
            cf_diag(c, true, r->path, 0, "read error: %s", strerror(errno));
            return false;
        case CF_RD_BIG:
            cf_diag(c, true, r->path, 0,
                    "larger than %ld bytes; the rest is not read",
                    CF_FILE_MAX);
            return false;
        }
    }
}

/* Add the entries of one line of IgnoreHosts text. */
static bool
cf_hosts_items(struct cf_ctx *c, struct ipl *l, const char *text,
               const char *file, unsigned line)
{
    char entry[CF_LINE_MAX + 1], err[128], s[CF_SHOW_MAX + 4];
    const char *p = text, *item;
    size_t len;
    bool good = true;

    while ((item = cf_next_item(&p, &len)) != NULL) {
        memcpy(entry, item, len);
        entry[len] = '\0';
        if (!ipl_add(l, entry, err, sizeof(err))) {
            cf_diag(c, true, file, line, "bad IgnoreHosts entry '%s': %s",
                    cf_show(s, entry), err);
            good = false;
        }
    }
    return good;
}

static bool
cf_hosts_file(struct cf_ctx *c, struct ipl *l, const char *path)
{
    struct cf_reader *r;
    char s[CF_SHOW_MAX + 4];
    const char *why;
    unsigned before = c->errors;

    r = calloc(1, sizeof(*r));
    if (r == NULL)
        return cf_nomem(c);
    r->path = path;
    r->fp = cf_open_named(path, &why);
    if (r->fp == NULL) {
        cf_diag(c, true, c->file, c->line,
                "cannot open IgnoreHosts file '%s': %s", cf_show(s, path),
                why);
        free(r);
        return false;
    }
    while (cf_next_line(c, r)) {
        /* entries never contain '#', so it starts a comment anywhere */
        char *hash = strchr(r->buf, '#');
        if (hash != NULL)
            *hash = '\0';
        cf_hosts_items(c, l, r->buf, path, r->line);
    }
    fclose(r->fp);
    free(r);
    return c->errors == before;
}

/* A file when it looks like a path; ".example.com" stays a host entry. */
static bool
cf_hosts_is_file(const char *val)
{
    return val[0] == '/' || strncmp(val, "./", 2) == 0 ||
           strncmp(val, "../", 3) == 0;
}

static bool
cf_set_hosts(struct cf_ctx *c, struct dm_config *cf, const struct cf_key *k,
             const char *val, bool replace)
{
    struct ipl **field = CF_FIELD(cf, k, struct ipl *);

    if (replace || *field == NULL) {
        struct ipl *l = ipl_new();
        if (l == NULL)
            return cf_nomem(c);
        ipl_free(*field);
        *field = l;
    }
    if (cf_hosts_is_file(val))
        return cf_hosts_file(c, *field, val);
    return cf_hosts_items(c, *field, val, c->file, c->line);
}

/* ------------------------------------------------------------------ */
/* the file */

static const struct cf_key *
cf_find(const char *name)
{
    for (size_t i = 0; i < CF_NKEYS; i++)
        if (strcasecmp(cf_keys[i].name, name) == 0)
            return &cf_keys[i];
    return NULL;
}

/*
 * Apply one line. seen[] holds, per key, the line it was last set on.
 * Syntax: Key, white space, value; "#" at the start of a line or after
 * white space starts a comment; a value in double quotes is taken as is.
 */
static void
cf_apply_line(struct cf_ctx *c, struct dm_config *cf, char *s,
              unsigned seen[CF_NKEYS])
{
    char show[CF_SHOW_MAX + 4];
    const struct cf_key *k;
    char *p = s, *key, *val, *end;
    size_t idx;
    bool replace;

    while (cf_isws((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return;
    key = p;
    while (*p != '\0' && !cf_isws((unsigned char)*p))
        p++;
    if (*p != '\0')
        *p++ = '\0';

    k = cf_find(key);
    if (k == NULL) {
        cf_diag(c, true, c->file, c->line, "unknown key '%s'",
                cf_show(show, key));
        return;
    }
    if (k->kind == CF_UNIMPL) {
        cf_diag(c, false, c->file, c->line,
                "OpenDMARC key '%s' is not implemented by dmarc-milter; "
                "ignored", k->name);
        return;
    }

    while (cf_isws((unsigned char)*p))
        p++;
    if (*p == '"') {
        val = p + 1;
        end = strchr(val, '"');
        if (end == NULL) {
            cf_diag(c, true, c->file, c->line,
                    "unterminated quote in value of %s", k->name);
            return;
        }
        *end++ = '\0';
        while (cf_isws((unsigned char)*end))
            end++;
        if (*end != '\0' && *end != '#') {
            cf_diag(c, true, c->file, c->line,
                    "text after the closing quote in value of %s", k->name);
            return;
        }
    } else {
        val = p;
        for (end = p; *end != '\0'; end++) {
            if (*end == '#' && (end == p || cf_isws((unsigned char)end[-1]))) {
                *end = '\0';
                break;
            }
        }
        while (end > val && cf_isws((unsigned char)end[-1]))
            *--end = '\0';
        if (*val == '\0') {
            cf_diag(c, true, c->file, c->line, "no value for key '%s'",
                    k->name);
            return;
        }
    }

    idx = (size_t)(k - cf_keys);
    if (k->kind == CF_LIST) {
        /* the file's first line replaces the default, later ones add */
        replace = seen[idx] == 0;
    } else {
        replace = true;
        if (seen[idx] != 0)
            cf_diag(c, false, c->file, c->line,
                    "%s was already set on line %u; the value on line %u is "
                    "used", k->name, seen[idx], c->line);
    }
    seen[idx] = c->line;
    k->set(c, cf, k, val, replace);
}

struct dm_config *
cf_defaults(void)
{
    struct cf_ctx c = { .file = "(defaults)" };
    struct dm_config *cf = calloc(1, sizeof(*cf));

    if (cf == NULL)
        return NULL;
    for (size_t i = 0; i < CF_NKEYS; i++) {
        const struct cf_key *k = &cf_keys[i];
        if (k->set != NULL && k->def != NULL)
            k->set(&c, cf, k, k->def, true);
    }
    if (c.errors != 0) {
        cf_free(cf);
        return NULL;
    }
    return cf;
}

struct dm_config *
cf_load(const char *path, cf_report_fn report, void *arg)
{
    struct cf_ctx c = { .file = path, .report = report, .arg = arg };
    unsigned seen[CF_NKEYS] = { 0 };
    struct cf_reader *r;
    struct dm_config *cf;

    r = calloc(1, sizeof(*r));
    cf = cf_defaults();
    if (r == NULL || cf == NULL || (cf->path = strdup(path)) == NULL) {
        cf_nomem(&c);
        free(r);
        cf_free(cf);
        return NULL;
    }
    r->path = path;
    r->fp = fopen(path, "r");
    if (r->fp == NULL) {
        cf_diag(&c, true, path, 0, "cannot open: %s", strerror(errno));
        free(r);
        cf_free(cf);
        return NULL;
    }
    while (cf_next_line(&c, r)) {
        c.line = r->line;
        cf_apply_line(&c, cf, r->buf, seen);
    }
    fclose(r->fp);
    free(r);

    /* a required key given with a bad value has had its error already */
    for (size_t i = 0; i < CF_NKEYS; i++)
        if (cf_keys[i].required && seen[i] == 0)
            cf_diag(&c, true, path, 0, "%s is not set", cf_keys[i].name);
    if (c.errors != 0) {
        cf_free(cf);
        return NULL;
    }
    return cf;
}

void
cf_free(struct dm_config *cf)
{
    if (cf == NULL)
        return;
    free(cf->path);
    free(cf->socket);
    free(cf->user_id);
    free(cf->pid_file);
    free(cf->base_directory);
    free(cf->authserv_id);
    cf_strv_free(&cf->trusted_ids, &cf->n_trusted_ids);
    ipl_free(cf->ignore_hosts);
    cf_strv_free(&cf->ignore_mailfrom, &cf->n_ignore_mailfrom);
    free(cf->public_suffix_list);
    free(cf->metrics_listen);
    free(cf->metrics_domains);
    free(cf->metrics_state_file);
    free(cf->metrics_tls_cert);
    free(cf->metrics_tls_key);
    free(cf->metrics_basic_auth_file);
    free(cf->agentx_socket);
    free(cf);
}

const char *
cf_key_name(size_t i, bool *implemented)
{
    if (i >= CF_NKEYS)
        return NULL;
    if (implemented != NULL)
        *implemented = cf_keys[i].kind != CF_UNIMPL;
    return cf_keys[i].name;
}

bool
cf_ignore_mailfrom(const struct dm_config *cf, const char *domain)
{
    if (cf == NULL || domain == NULL)
        return false;
    for (size_t i = 0; i < cf->n_ignore_mailfrom; i++)
        if (strcasecmp(cf->ignore_mailfrom[i], domain) == 0)
            return true;
    return false;
}

bool
cf_trusted_id(const struct dm_config *cf, const char *own_id, const char *id)
{
    if (id == NULL)
        return false;
    if (own_id != NULL && strcasecmp(own_id, id) == 0)
        return true;
    if (cf == NULL)
        return false;
    for (size_t i = 0; i < cf->n_trusted_ids; i++)
        if (strcasecmp(cf->trusted_ids[i], id) == 0)
            return true;
    return false;
}
