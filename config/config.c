/*
 * config.c: read the configuration file, OpenDMARC's syntax and keys.
 *
 * Every key is one row of a table: its name, a setter (generic ones store
 * into the field at an offset), and its default written as it would be in
 * the file. The milter's own keys are cf_keys[] below; each registered
 * section (conf.h) brings a table of its own, whose offsets point into
 * its settings struct. cf_defaults() runs every default through the same
 * setters, so a row is the only place a default lives.
 */
#include <config.h>
#include <errno.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/cf_set.h"
#include "config/conf.h"
#include "util/util.h"

#define K_ROW(n, kind, req, fn, f, lo, hi, d) \
    CF_KEY(n, kind, req, fn, struct dm_config, f, lo, hi, d)
#define K_STR(n, f, d) K_ROW(n, CF_SCALAR, false, cf_set_str, f, 0, 0, d)
#define K_BOOL(n, f, d) K_ROW(n, CF_SCALAR, false, cf_set_bool, f, 0, 0, d)
#define K_INT(n, f, lo, hi, d) \
    K_ROW(n, CF_SCALAR, false, cf_set_int, f, lo, hi, d)
#define K_FN(n, fn, f, d) K_ROW(n, CF_SCALAR, false, fn, f, 0, 0, d)
#define K_NEED(n, fn, f) K_ROW(n, CF_SCALAR, true, fn, f, 0, 0, NULL)
#define K_LIST(n, fn, f, d) K_ROW(n, CF_LIST, false, fn, f, 0, 0, d)
#define K_UNIMPL(n) { n, CF_UNIMPL, false, NULL, 0, 0, 0, NULL }
/* def holds what the warning adds: what to do instead */
#define K_UNIMPL_HINT(n, hint) { n, CF_UNIMPL, false, NULL, 0, 0, 0, hint }
#define CF_HINT_RESTART "let the service manager restart it: systemd's " \
    "Restart=on-failure (the shipped unit sets it)"

/* The milter's own keys; metrics/ and agentx/ register theirs. */
static const struct cf_key cf_keys[] = {
    /* milter and process */
    K_NEED("Socket", cf_set_socket, socket),
    K_FN("UserID", cf_set_user, user_id, NULL),
    K_STR("PidFile", pid_file, NULL),
    K_BOOL("Background", background, "true"),
    K_FN("UMask", cf_set_umask, umask, NULL),
    K_STR("BaseDirectory", base_directory, NULL),
    K_INT("MilterDebug", milter_debug, 0, 6, "0"),
    K_FN("ChangeRootDirectory", cf_set_directory, chroot_dir, NULL),
    K_BOOL("EnableCoredumps", enable_coredumps, "false"),

    /* logging */
    K_BOOL("Syslog", syslog, "false"),
    K_FN("SyslogFacility", cf_set_facility, syslog_facility, "mail"),
    K_BOOL("SyslogSuccess", syslog_success, "true"),

    /* identity and trust */
    K_FN("AuthservID", cf_set_authserv, authserv_id, NULL),
    K_LIST("TrustedAuthservIDs", cf_set_trusted, trusted_ids, NULL),
    K_BOOL("AuthservIDWithJobID", authserv_jobid, "false"),

    /* what to evaluate */
    K_LIST("IgnoreHosts", cf_set_hosts, ignore_hosts, "127.0.0.1, ::1"),
    K_BOOL("IgnoreAuthenticatedClients", ignore_auth_clients, "false"),
    K_LIST("IgnoreMailFrom", cf_set_mailfrom, ignore_mailfrom, NULL),
    K_BOOL("RequiredHeaders", required_headers, "false"),
    K_BOOL("RequiredFrom", required_from, "false"),
    K_LIST("DomainWhitelist", cf_set_domains, arc_sealers, NULL),
    K_FN("DomainWhitelistFile", cf_set_domains_file, arc_sealers_file,
         NULL),
    K_FN("RejectMultiValueFrom", cf_set_multifrom, multi_from, "false"),

    /* inputs */
    K_BOOL("SPFSelfValidate", spf_self_validate, "false"),
    K_BOOL("SPFIgnoreResults", spf_ignore_results, "false"),
    K_BOOL("TrustReceivedSPF", trust_received_spf, "false"),
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
    K_FN("RejectString", cf_set_reject_string, reject_string, NULL),
    K_FN("CopyFailuresTo", cf_set_address, copy_failures_to, NULL),

    /* OpenDMARC keys with no counterpart here */
    K_UNIMPL_HINT("AutoRestart", CF_HINT_RESTART),
    K_UNIMPL_HINT("AutoRestartCount", CF_HINT_RESTART),
    K_UNIMPL_HINT("AutoRestartRate", CF_HINT_RESTART),
    K_UNIMPL_HINT("DomainWhitelistSize", "the DomainWhitelist has no "
                  "fixed size here"),
    K_UNIMPL("TestDNSData"),
};


/* The sections, in the order of registration; set at start only. */
static const struct cf_section *cf_sections[CF_SECTIONS_MAX];
static size_t cf_n_sections;

/*
 * Table t of keys: the milter's own (0), then each section's (1, ...);
 * NULL past the last. Counting over the tables in this order gives every
 * key its index, for cf_key_name() and for the lines a key was seen on.
 */
static const struct cf_key *
cf_table(size_t t, size_t *n)
{
    if (t == 0) {
        *n = CF_NKEYS(cf_keys);
        return cf_keys;
    }
    if (t > cf_n_sections)
        return NULL;
    *n = cf_sections[t - 1]->n_keys;
    return cf_sections[t - 1]->keys;
}

/* Where the fields of table t live in cf. */
static void *
cf_base(struct dm_config *cf, size_t t)
{
    return t == 0 ? (void *)cf : cf->sections[t - 1];
}

/* A key found by name: its row, its table and its index over all. */
struct cf_hit {
    const struct cf_key *k;
    size_t t;
    size_t idx;
};

/* name in the first n_tables tables; false when no row has it. */
static bool
cf_find(size_t n_tables, const char *name, struct cf_hit *h)
{
    const struct cf_key *keys;
    size_t n, idx = 0;

    for (size_t t = 0; t < n_tables && (keys = cf_table(t, &n)); t++) {
        for (size_t i = 0; i < n; i++, idx++) {
            if (strcasecmp(keys[i].name, name) == 0) {
                h->k = &keys[i];
                h->t = t;
                h->idx = idx;
                return true;
            }
        }
    }
    return false;
}

/* The keys of the first n_tables tables. */
static size_t
cf_count_keys(size_t n_tables)
{
    size_t n, all = 0;

    for (size_t t = 0; t < n_tables && cf_table(t, &n) != NULL; t++)
        all += n;
    return all;
}

int
cf_register(const struct cf_section *s)
{
    struct cf_hit h;

    for (size_t i = 0; i < cf_n_sections; i++)
        if (cf_sections[i] == s)
            return 0;
    if (cf_n_sections == CF_SECTIONS_MAX)
        return -1;
    /* two rows of one name would leave the second unreachable */
    for (size_t i = 0; i < s->n_keys; i++) {
        if (cf_find(cf_n_sections + 1, s->keys[i].name, &h))
            return -1;
        for (size_t j = 0; j < i; j++)
            if (strcasecmp(s->keys[i].name, s->keys[j].name) == 0)
                return -1;
    }
    cf_sections[cf_n_sections++] = s;
    return 0;
}

const void *
cf_settings(const struct dm_config *cf, const struct cf_section *s)
{
    if (cf == NULL)
        return NULL;
    for (size_t i = 0; i < cf->n_sections; i++)
        if (cf_sections[i] == s)
            return cf->sections[i];
    return NULL;
}

void
cf_reload_warn(const struct dm_config *running,
               const struct dm_config *loaded)
{
    for (size_t i = 0; i < running->n_sections && i < loaded->n_sections;
         i++)
        if (cf_sections[i]->reload != NULL)
            cf_sections[i]->reload(running->sections[i], loaded->sections[i]);
}

const char *
cf_key_name(size_t i, bool *implemented)
{
    const struct cf_key *keys;
    size_t n;

    for (size_t t = 0; (keys = cf_table(t, &n)) != NULL; t++) {
        if (i < n) {
            if (implemented != NULL)
                *implemented = keys[i].kind != CF_UNIMPL;
            return keys[i].name;
        }
        i -= n;
    }
    return NULL;
}

/* ------------------------------------------------------------------ */
/* the file */

/*
 * The key at the start of line s, cut off with a NUL; *rest is what
 * follows it. NULL for a blank line or a comment.
 */
static char *
cf_line_key(char *s, char **rest)
{
    char *p = s, *key;

    while (cf_isws((unsigned char)*p))
        p++;
    if (*p == '\0' || *p == '#')
        return NULL;
    key = p;
    while (*p != '\0' && !cf_isws((unsigned char)*p))
        p++;
    if (*p != '\0')
        *p++ = '\0';
    *rest = p;
    return key;
}

/* A value in double quotes, taken as is; NULL after reporting why not. */
static char *
cf_quoted_value(struct cf_ctx *c, const struct cf_key *k, char *p)
{
    char *val = p + 1, *end = strchr(val, '"');

    if (end == NULL) {
        cf_diag(c, true, c->file, c->line,
                "unterminated quote in value of %s", k->name);
        return NULL;
    }
    *end++ = '\0';
    while (cf_isws((unsigned char)*end))
        end++;
    if (*end != '\0' && *end != '#') {
        cf_diag(c, true, c->file, c->line,
                "text after the closing quote in value of %s", k->name);
        return NULL;
    }
    return val;
}

/*
 * The value after the key: "#" after white space starts a comment, and
 * white space at the end goes; NULL after reporting a missing value.
 */
static char *
cf_value(struct cf_ctx *c, const struct cf_key *k, char *p)
{
    char *val, *end;

    while (cf_isws((unsigned char)*p))
        p++;
    if (*p == '"')
        return cf_quoted_value(c, k, p);
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
        cf_diag(c, true, c->file, c->line, "no value for key '%s'", k->name);
        return NULL;
    }
    return val;
}

/*
 * Apply one line. seen[] holds, per key, the line it was last set on.
 * Syntax: Key, white space, value; "#" at the start of a line or after
 * white space starts a comment; a value in double quotes is taken as is.
 */
static void
cf_apply_line(struct cf_ctx *c, struct dm_config *cf, char *s,
              unsigned *seen)
{
    char show[CF_SHOW_MAX + 4], *key, *rest, *val;
    struct cf_hit h;
    bool replace;

    if ((key = cf_line_key(s, &rest)) == NULL)
        return;
    if (!cf_find(cf->n_sections + 1, key, &h)) {
        cf_diag(c, true, c->file, c->line, "unknown key '%s'",
                cf_show(show, key));
        return;
    }
    if (h.k->kind == CF_UNIMPL) {
        cf_diag(c, false, c->file, c->line,
                "OpenDMARC key '%s' is not implemented by dmarc-milter; "
                "ignored%s%s", h.k->name, h.k->def != NULL ? ": " : "",
                h.k->def != NULL ? h.k->def : "");
        return;
    }
    if ((val = cf_value(c, h.k, rest)) == NULL)
        return;
    if (h.k->kind == CF_LIST) {
        /* the file's first line replaces the default, later ones add */
        replace = seen[h.idx] == 0;
    } else {
        replace = true;
        if (seen[h.idx] != 0)
            cf_diag(c, false, c->file, c->line,
                    "%s was already set on line %u; the value on line %u is "
                    "used", h.k->name, seen[h.idx], c->line);
    }
    seen[h.idx] = c->line;
    h.k->set(c, cf_base(cf, h.t), h.k, val, replace);
}

/* Room for the settings of every section registered now. */
static bool
cf_new_sections(struct dm_config *cf)
{
    for (size_t i = 0; i < cf_n_sections; i++) {
        cf->sections[i] = calloc(1, cf_sections[i]->size);
        if (cf->sections[i] == NULL)
            return false;
        cf->n_sections = i + 1;
    }
    return true;
}

struct dm_config *
cf_defaults(void)
{
    struct cf_ctx c = { .file = "(defaults)" };
    struct dm_config *cf = calloc(1, sizeof(*cf));
    const struct cf_key *keys;
    size_t n;

    if (cf == NULL)
        return NULL;
    if (!cf_new_sections(cf)) {
        cf_free(cf);
        return NULL;
    }
    for (size_t t = 0; t <= cf->n_sections && (keys = cf_table(t, &n));
         t++)
        for (size_t i = 0; i < n; i++)
            if (keys[i].set != NULL && keys[i].def != NULL)
                keys[i].set(&c, cf_base(cf, t), &keys[i], keys[i].def, true);
    if (c.errors != 0) {
        cf_free(cf);
        return NULL;
    }
    return cf;
}

/* Apply every line of the file at c->file; false when it cannot open. */
static bool
cf_read_file(struct cf_ctx *c, struct dm_config *cf, unsigned *seen)
{
    struct lr_reader r;
    FILE *fp = fopen(c->file, "r");

    if (fp == NULL) {
        cf_diag(c, true, c->file, 0, "cannot open: %s", strerror(errno));
        return false;
    }
    if (lr_init(&r, fp, CF_LINE_MAX, LR_CRLF) != 0) {
        fclose(fp);
        return cf_nomem(c);
    }
    r.limit = CF_FILE_MAX;
    (void)cf_reading_start(c, c->file);
    while (cf_next_line(c, &r, c->file)) {
        c->line = (unsigned)r.lineno;
        cf_apply_line(c, cf, r.line, seen);
    }
    lr_free(&r);
    fclose(fp);
    return true;
}

/* Report each required key that no line set. */
static void
cf_check_required(struct cf_ctx *c, const struct dm_config *cf,
                  const unsigned *seen)
{
    const struct cf_key *keys;
    size_t n, idx = 0;

    for (size_t t = 0; t <= cf->n_sections && (keys = cf_table(t, &n)); t++)
        for (size_t i = 0; i < n; i++, idx++)
            if (keys[i].required && seen[idx] == 0)
                cf_diag(c, true, c->file, 0, "%s is not set", keys[i].name);
}

struct dm_config *
cf_load(const char *path, cf_report_fn report, void *arg)
{
    struct cf_ctx c = { .file = path, .report = report, .arg = arg };
    struct dm_config *cf = cf_defaults();
    unsigned *seen = NULL;

    if (cf == NULL || (cf->path = strdup(path)) == NULL ||
        (seen = calloc(cf_count_keys(cf->n_sections + 1),
                       sizeof(*seen))) == NULL) {
        cf_nomem(&c);
        cf_free(cf);
        return NULL;
    }
    /* a required key given with a bad value has had its error already */
    if (cf_read_file(&c, cf, seen))
        cf_check_required(&c, cf, seen);
    free(seen);
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
    free(cf->chroot_dir);
    free(cf->reject_string);
    free(cf->copy_failures_to);
    cf_strv_free(&cf->arc_sealers.v, &cf->arc_sealers.n);
    cf_strv_free(&cf->arc_sealers_file.v, &cf->arc_sealers_file.n);
    free(cf->authserv_id);
    cf_strv_free(&cf->trusted_ids, &cf->n_trusted_ids);
    ipl_free(cf->ignore_hosts);
    cf_strv_free(&cf->ignore_mailfrom, &cf->n_ignore_mailfrom);
    free(cf->public_suffix_list);
    for (size_t i = 0; i < cf->n_sections; i++) {
        if (cf_sections[i]->free != NULL)
            cf_sections[i]->free(cf->sections[i]);
        free(cf->sections[i]);
    }
    free(cf);
}

/* ------------------------------------------------------------------ */
/* what the milter asks of its settings */

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
cf_arc_sealer(const struct dm_config *cf, const char *domain)
{
    const struct cf_domains *lists[2];

    if (cf == NULL || domain == NULL)
        return false;
    lists[0] = &cf->arc_sealers;
    lists[1] = &cf->arc_sealers_file;
    for (size_t l = 0; l < 2; l++)
        for (size_t i = 0; i < lists[l]->n; i++)
            if (strcasecmp(lists[l]->v[i], domain) == 0)
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
