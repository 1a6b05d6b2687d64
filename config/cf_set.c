/*
 * cf_set.c: the setters, each of which checks one value's text and
 * stores it in its field; the small parsers they share; the IgnoreHosts
 * file. A setter reports what is wrong with the value and where.
 */
#include <config.h>
#include <errno.h>
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
#include "config/cf_set.h"
#include "config/conf.h"
#include "dns/dns.h"
#include "dmarc/dmarc.h"

#define CF_ID_MAX 255                    /* an authserv-id */

/* ------------------------------------------------------------------ */
/* small parsers */

bool
cf_isws(int ch)
{
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\v' || ch == '\f';
}

/*
 * The next item of a list separated by commas and/or white space, on line
 * of file; NULL at the end, or once the file has its CF_FILE_ERRORS
 * errors (cf_file_stop). *pp advances past it.
 */
static const char *
cf_next_item(struct cf_ctx *c, const char *file, unsigned line,
             const char **pp, size_t *len)
{
    const char *p = *pp, *start;

    while (*p == ',' || cf_isws((unsigned char)*p))
        p++;
    if (*p == '\0' || cf_file_stop(c, file, line)) {
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

void
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

#define CF_FIELD(base, k, type) ((type *)(void *)((char *)(base) + (k)->off))

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

bool
cf_set_str(struct cf_ctx *c, void *base, const struct cf_key *k,
           const char *val, bool replace)
{
    (void)replace;
    if (val[0] == '\0') {
        cf_bad(c, k, val, "a non-empty value");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

bool
cf_set_bool(struct cf_ctx *c, void *base, const struct cf_key *k,
            const char *val, bool replace)
{
    (void)replace;
    return cf_parse_bool(c, k, val, CF_FIELD(base, k, bool));
}

bool
cf_set_int(struct cf_ctx *c, void *base, const struct cf_key *k,
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
    *CF_FIELD(base, k, int) = (int)v;
    return true;
}

bool
cf_set_socket(struct cf_ctx *c, void *base, const struct cf_key *k,
              const char *val, bool replace)
{
    (void)replace;
    if (!cf_socket_ok(val)) {
        cf_bad(c, k, val, "local:/path, unix:/path, inet:PORT[@HOST], "
               "inet6:PORT[@HOST] or /path");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

bool
cf_set_user(struct cf_ctx *c, void *base, const struct cf_key *k,
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
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

bool
cf_set_umask(struct cf_ctx *c, void *base, const struct cf_key *k,
             const char *val, bool replace)
{
    struct dm_config *cf = base;    /* a core key: UMask sets two fields */
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

bool
cf_set_facility(struct cf_ctx *c, void *base,
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
            *CF_FIELD(base, k, int) = tab[i].fac;
            return true;
        }
    }
    cf_bad(c, k, val, "mail, daemon, user or local0 to local7");
    return false;
}

bool
cf_set_authserv(struct cf_ctx *c, void *base,
                const struct cf_key *k, const char *val, bool replace)
{
    char **field = CF_FIELD(base, k, char *);
    char *id = cf_expand_id(c, k, val, strlen(val));

    (void)replace;
    if (id == NULL)
        return false;
    free(*field);
    *field = id;
    return true;
}

/*
 * One item of a list as it is kept; NULL when it is bad (reported) or
 * memory ran out (reported too, as cf_expand_id does).
 */
typedef char *(*cf_item_fn)(struct cf_ctx *c, const struct cf_key *k,
                            const char *item, size_t len);

/* A list key: the items add up, or replace the list given before. */
static bool
cf_set_list(struct cf_ctx *c, const struct cf_key *k, const char *val,
            bool replace, char ***v, size_t *n, cf_item_fn conv)
{
    const char *p = val, *item;
    size_t len;
    bool good = true;

    if (replace)
        cf_strv_free(v, n);
    while ((item = cf_next_item(c, c->file, c->line, &p, &len)) != NULL) {
        char *s = conv(c, k, item, len);

        if (s == NULL) {
            good = false;
            continue;
        }
        if (!cf_push(v, n, s)) {
            free(s);
            return cf_nomem(c);
        }
    }
    return good;
}

bool
cf_set_trusted(struct cf_ctx *c, void *base,
               const struct cf_key *k, const char *val, bool replace)
{
    struct dm_config *cf = base;    /* a core key: a list and its count */

    return cf_set_list(c, k, val, replace, &cf->trusted_ids,
                       &cf->n_trusted_ids, cf_expand_id);
}

/* An IgnoreMailFrom item: a domain, kept normalised. */
static char *
cf_mailfrom_item(struct cf_ctx *c, const struct cf_key *k, const char *item,
                 size_t len)
{
    char dom[DM_DOMAIN_MAX], want[96];
    enum dn_status st = dn_normalize(item, len, dom, sizeof(dom));
    char *d;

    if (st != DN_OK) {
        char *raw = cf_strndup(item, len);

        if (raw == NULL) {
            cf_nomem(c);
            return NULL;
        }
        snprintf(want, sizeof(want), "a domain name (%s)", dn_strerror(st));
        cf_bad(c, k, raw, want);
        free(raw);
        return NULL;
    }
    if ((d = strdup(dom)) == NULL)
        cf_nomem(c);
    return d;
}

bool
cf_set_mailfrom(struct cf_ctx *c, void *base,
                const struct cf_key *k, const char *val, bool replace)
{
    struct dm_config *cf = base;    /* a core key: a list and its count */

    return cf_set_list(c, k, val, replace, &cf->ignore_mailfrom,
                       &cf->n_ignore_mailfrom, cf_mailfrom_item);
}

bool
cf_set_multifrom(struct cf_ctx *c, void *base,
                 const struct cf_key *k, const char *val, bool replace)
{
    bool b;

    (void)replace;
    if (!cf_parse_bool(c, k, val, &b))
        return false;
    *CF_FIELD(base, k, enum cf_multi_from) =
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
bool
cf_set_readable(struct cf_ctx *c, void *base,
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
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

bool
cf_set_nameservers(struct cf_ctx *c, void *base,
                   const struct cf_key *k, const char *val, bool replace)
{
    char why[160];

    (void)replace;
    if (!dq_servers_parse(val, CF_FIELD(base, k, struct dq_servers), why,
                          sizeof(why))) {
        cf_bad(c, k, val, "1 to 3 of ADDRESS, ADDRESS:PORT, [IPv6]:PORT");
        return false;
    }
    return true;
}

bool
cf_set_temperror(struct cf_ctx *c, void *base,
                 const struct cf_key *k, const char *val, bool replace)
{
    enum cf_temperror_action *field =
        CF_FIELD(base, k, enum cf_temperror_action);

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

bool
cf_set_spec(struct cf_ctx *c, void *base, const struct cf_key *k,
            const char *val, bool replace)
{
    enum dm_spec *field = CF_FIELD(base, k, enum dm_spec);

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
/* RejectString, CopyFailuresTo, ChangeRootDirectory */

/* The text goes into a 550 reply line: checked here, once. */
bool
cf_set_reject_string(struct cf_ctx *c, void *base, const struct cf_key *k,
                     const char *val, bool replace)
{
    char s[CF_SHOW_MAX + 4];
    const char *why;

    (void)replace;
    if (!enf_reject_string_ok(val, &why)) {
        cf_diag(c, true, c->file, c->line, "bad value '%s' for %s: %s",
                cf_show(s, val), k->name, why);
        return false;
    }
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

/* local@domain, as the MTA takes a recipient; <local@domain> too. */
static bool
cf_address_ok(const char *v, size_t n)
{
    const char *at = memrchr(v, '@', n);
    char dom[DM_DOMAIN_MAX];

    if (at == NULL || at == v || n > 254)
        return false;
    for (const char *p = v; p < at; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch <= 0x20 || ch >= 0x7f || strchr("<>()[]\\,;:\"@", ch))
            return false;
    }
    return dn_normalize(at + 1, (size_t)(v + n - at - 1), dom,
                        sizeof(dom)) == DN_OK;
}

bool
cf_set_address(struct cf_ctx *c, void *base, const struct cf_key *k,
               const char *val, bool replace)
{
    size_t n = strlen(val);
    char *d;

    (void)replace;
    if (n >= 2 && val[0] == '<' && val[n - 1] == '>') {
        val++;
        n -= 2;
    }
    if (!cf_address_ok(val, n)) {
        cf_bad(c, k, val, "an address, user@example.com");
        return false;
    }
    if ((d = cf_strndup(val, n)) == NULL)
        return cf_nomem(c);
    free(*CF_FIELD(base, k, char *));
    *CF_FIELD(base, k, char *) = d;
    return true;
}

/*
 * An absolute path. Whether it is a directory is checked at start (and
 * by dmarc-milter -n), not here: a reload inside that very directory
 * reads the same line, and from there the path is not to be seen.
 */
bool
cf_set_directory(struct cf_ctx *c, void *base, const struct cf_key *k,
                 const char *val, bool replace)
{
    (void)replace;
    if (val[0] != '/') {
        cf_bad(c, k, val, "an absolute path");
        return false;
    }
    return cf_replace_str(c, CF_FIELD(base, k, char *), val);
}

/* ------------------------------------------------------------------ */
/* DomainWhitelist, DomainWhitelistFile */

/* Add the domains of one line; a bad one is reported at file:line. */
static bool
cf_domains_items(struct cf_ctx *c, const struct cf_key *k,
                 struct cf_domains *l, const char *text, const char *file,
                 unsigned line)
{
    const char *p = text, *item;
    size_t len;
    bool good = true;

    while ((item = cf_next_item(c, file, line, &p, &len)) != NULL) {
        char dom[DM_DOMAIN_MAX], raw[CF_SHOW_MAX + 1], s[CF_SHOW_MAX + 4];
        enum dn_status st = dn_normalize(item, len, dom, sizeof(dom));
        char *d;

        if (st != DN_OK) {
            snprintf(raw, sizeof(raw), "%.*s", (int)len, item);
            cf_diag(c, true, file, line, "bad domain '%s' in %s: %s",
                    cf_show(s, raw), k->name, dn_strerror(st));
            good = false;
            continue;
        }
        d = strdup(dom);
        if (d == NULL || !cf_push(&l->v, &l->n, d)) {
            free(d);
            return cf_nomem(c);
        }
    }
    return good;
}

bool
cf_set_domains(struct cf_ctx *c, void *base, const struct cf_key *k,
               const char *val, bool replace)
{
    struct cf_domains *l = CF_FIELD(base, k, struct cf_domains);

    if (replace)
        cf_strv_free(&l->v, &l->n);
    return cf_domains_items(c, k, l, val, c->file, c->line);
}

bool
cf_set_domains_file(struct cf_ctx *c, void *base, const struct cf_key *k,
                    const char *val, bool replace)
{
    struct cf_domains *l = CF_FIELD(base, k, struct cf_domains);
    struct lr_reader r;
    struct cf_reading outer;
    char s[CF_SHOW_MAX + 4];
    const char *why;
    unsigned before = c->errors;
    FILE *fp = cf_open_named(val, &why);

    (void)replace;
    cf_strv_free(&l->v, &l->n);
    if (fp == NULL) {
        cf_diag(c, true, c->file, c->line, "cannot read %s file '%s': %s",
                k->name, cf_show(s, val), why);
        return false;
    }
    if (lr_init(&r, fp, CF_LINE_MAX, LR_CRLF) != 0) {
        fclose(fp);
        return cf_nomem(c);
    }
    r.limit = CF_FILE_MAX;
    outer = cf_reading_start(c, val);
    while (cf_next_line(c, &r, val)) {
        char *hash = strchr(r.line, '#');

        if (hash != NULL)
            *hash = '\0';
        cf_domains_items(c, k, l, r.line, val, (unsigned)r.lineno);
    }
    c->reading = outer;
    lr_free(&r);
    fclose(fp);
    return c->errors == before;
}

/* ------------------------------------------------------------------ */
/* IgnoreHosts */

/* Add the entries of one line of IgnoreHosts text. */
static bool
cf_hosts_items(struct cf_ctx *c, struct ipl *l, const char *text,
               const char *file, unsigned line)
{
    char entry[CF_LINE_MAX + 1], err[128], s[CF_SHOW_MAX + 4];
    const char *p = text, *item;
    size_t len;
    bool good = true;

    while ((item = cf_next_item(c, file, line, &p, &len)) != NULL) {
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
    struct lr_reader r;
    struct cf_reading outer;
    char s[CF_SHOW_MAX + 4];
    const char *why;
    unsigned before = c->errors;
    FILE *fp = cf_open_named(path, &why);

    if (fp == NULL) {
        cf_diag(c, true, c->file, c->line,
                "cannot open IgnoreHosts file '%s': %s", cf_show(s, path),
                why);
        return false;
    }
    if (lr_init(&r, fp, CF_LINE_MAX, LR_CRLF) != 0) {
        fclose(fp);
        return cf_nomem(c);
    }
    r.limit = CF_FILE_MAX;
    outer = cf_reading_start(c, path);
    while (cf_next_line(c, &r, path)) {
        /* entries never contain '#', so it starts a comment anywhere */
        char *hash = strchr(r.line, '#');
        if (hash != NULL)
            *hash = '\0';
        cf_hosts_items(c, l, r.line, path, (unsigned)r.lineno);
    }
    c->reading = outer;
    lr_free(&r);
    fclose(fp);
    return c->errors == before;
}

/* A file when it looks like a path; ".example.com" stays a host entry. */
static bool
cf_hosts_is_file(const char *val)
{
    return val[0] == '/' || strncmp(val, "./", 2) == 0 ||
           strncmp(val, "../", 3) == 0;
}

bool
cf_set_hosts(struct cf_ctx *c, void *base, const struct cf_key *k,
             const char *val, bool replace)
{
    struct ipl **field = CF_FIELD(base, k, struct ipl *);

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
