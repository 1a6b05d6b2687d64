/*
 * state_file.c: saving and restoring the counters (see state_file.h).
 *
 * The loader trusts nothing in the file: every line has a fixed shape,
 * numbers are canonical decimals below 2^53 (the largest integer a
 * Prometheus sample holds exactly), indexes strictly increase, and the
 * checksum and row count of the end line must match. Rows are restored as
 * they are read; any problem clears the store again, so a bad file costs
 * its counts and nothing else.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util/util.h"
#include "metrics/state_file.h"

#define SF_LINE_MAX   1024
#define SF_MAX_TOKENS 16
#define SF_VALUE_MAX  (UINT64_C(1) << 53)
#define SF_FNV_INIT   UINT64_C(0xcbf29ce484222325)
#define SF_FNV_PRIME  UINT64_C(0x100000001b3)

/* The loader keeps a bit per reason, bucket and outcome it has seen. */
_Static_assert(DM_SKIP__COUNT <= 32 && CS_EVAL_BUCKETS + 1 <= 32 &&
               DM_OVERRIDE__COUNT <= 32 && CS_STANDIN_COUNT <= 32 &&
               CS_EV__COUNT <= 32 && CS_DNS_TYPE_COUNT <= 32 &&
               CS_DNS_TYPE_COUNT * CS_DNS_STATUS_COUNT <= 64,
               "seen-bitmaps too small");

static uint64_t
sf_fnv(uint64_t h, const char *p, size_t len)
{
    for (size_t i = 0; i < len; i++) {
        h ^= (unsigned char)p[i];
        h *= SF_FNV_PRIME;
    }
    return h;
}

/* ---- loading ---- */

struct sf_parse {
    struct lr_reader r;
    struct cs_store *cs;
    size_t lineno;
    uint64_t sum;                 /* FNV-1a of the lines read so far */
    char why[200];
    size_t rows, renumbered, folded;
    uint32_t last_index;
    uint64_t saved;
    struct cs_totals totals;
    unsigned seen_skip, seen_bucket, seen_dns_hit;   /* bit per index */
    unsigned seen_override, seen_standin, seen_event;
    uint64_t seen_dns;                     /* bit per (type, outcome) */
    bool seen_sum, in_rows;
    size_t unknown;               /* lines of a newer version, skipped */
};

static int __attribute__((format(printf, 2, 3)))
sf_bad(struct sf_parse *p, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(p->why, sizeof(p->why), fmt, ap);
    va_end(ap);
    /* The reason quotes the file: keep its bytes out of the log. */
    for (char *s = p->why; *s != '\0'; s++)
        if ((unsigned char)*s < 0x20 || (unsigned char)*s >= 0x7f)
            *s = '?';
    return -1;
}

/*
 * The next line, without its newline, into *line. 1: a line; 0: end of
 * file before any byte; -1: bad (p->why says why). We write the file
 * whole, so a CR, a NUL or a last line without its newline is damage.
 */
static int
sf_getline(struct sf_parse *p, char **line)
{
    p->lineno++;
    switch (lr_next(&p->r)) {
    case LR_EOF:
        return 0;
    case LR_LONG:
        return sf_bad(p, "line longer than %zu bytes", p->r.max);
    case LR_NUL:
        return sf_bad(p, "unexpected NUL byte");
    case LR_ERROR:
    case LR_BIG:
        return sf_bad(p, "read error: %s", strerror(errno));
    case LR_LINE:
        break;
    }
    if (memchr(p->r.line, '\r', p->r.len) != NULL)
        return sf_bad(p, "unexpected CR byte");
    if (!p->r.newline)
        return sf_bad(p, "truncated (no newline at the end)");
    *line = p->r.line;
    return 1;
}

/* Split on single spaces; the count, or -1 for empty fields or too many. */
static int
sf_split(char *line, char **tok, int max)
{
    int n = 0;
    char *s = line;

    for (;;) {
        char *sp = strchr(s, ' ');

        if (n == max)
            return -1;
        tok[n++] = s;
        if (sp == NULL)
            break;
        *sp = '\0';
        s = sp + 1;
    }
    for (int i = 0; i < n; i++)
        if (tok[i][0] == '\0')
            return -1;
    return n;
}

/* A canonical decimal below SF_VALUE_MAX. */
static bool
sf_number(const char *s, uint64_t *out)
{
    uint64_t v = 0;
    size_t i;

    if (s[0] == '\0' || (s[0] == '0' && s[1] != '\0'))
        return false;
    for (i = 0; s[i] != '\0'; i++) {
        if (s[i] < '0' || s[i] > '9' || i >= 16)
            return false;
        v = v * 10 + (uint64_t)(s[i] - '0');
    }
    if (v >= SF_VALUE_MAX)
        return false;
    *out = v;
    return true;
}

/* The magic line and the "saved" line, which open every file. */
static int
sf_header(struct sf_parse *p)
{
    char *line, *tok[SF_MAX_TOKENS];
    int n, rc;

    rc = sf_getline(p, &line);
    if (rc <= 0)
        return rc == 0 ? sf_bad(p, "empty file") :
               sf_bad(p, "not a dmarc-milter state file");
    p->sum = sf_fnv(sf_fnv(p->sum, line, strlen(line)), "\n", 1);
    n = sf_split(line, tok, SF_MAX_TOKENS);
    if (n != 2 || strcmp(tok[0], SF_MAGIC) != 0)
        return sf_bad(p, "not a dmarc-milter state file");
    /* Every older version reads as this one with some lines missing. */
    if (strlen(tok[1]) != 1 || tok[1][0] < '1' ||
        tok[1][0] > '0' + SF_VERSION)
        return sf_bad(p, "state file version %.20s, this dmarc-milter reads "
                      "versions 1 to %d", tok[1], SF_VERSION);
    rc = sf_getline(p, &line);
    if (rc <= 0)
        return rc == 0 ? sf_bad(p, "truncated: no \"saved\" line") : -1;
    p->sum = sf_fnv(sf_fnv(p->sum, line, strlen(line)), "\n", 1);
    n = sf_split(line, tok, SF_MAX_TOKENS);
    if (n != 2 || strcmp(tok[0], "saved") != 0 ||
        !sf_number(tok[1], &p->saved))
        return sf_bad(p, "expected \"saved SECONDS\" on line 2");
    return 0;
}

/*
 * The index of name in the n names of fn(0 .. n-1), or -1. The totals
 * name their reasons and outcomes, so a file from a version that knows
 * more of them still loads (those lines are skipped).
 */
static int
sf_find(const char *name, int n, const char *(*fn)(int))
{
    for (int i = 0; i < n; i++)
        if (strcmp(name, fn(i)) == 0)
            return i;
    return -1;
}

static const char *
sf_skip_name(int i)
{
    return i == DM_SKIP_NONE ? "" : dm_skip_name((enum dm_skip)i);
}

static const char *
sf_override_name(int i)
{
    return dm_override_name((enum dm_override)i);
}

static const char *
sf_bound_name(int i)
{
    return i < CS_EVAL_BUCKETS ? cs_eval_bound_names[i] : "+Inf";
}

static const char *
sf_dns_name(int i)
{
    return dns_status_name((enum dns_status)i);
}

static const char *
sf_dns_type_name(int i)
{
    return cs_dns_type_name(i);
}

/*
 * A "KEYWORD NAME COUNT" line: the count goes to out[i] for NAME = fn(i),
 * first <= i < n. A name outside that range is skipped (another version's
 * reason or outcome); one seen before is refused.
 */
static int
sf_named(struct sf_parse *p, char **tok, uint64_t v, int first, int n,
         const char *(*fn)(int), unsigned *seen, uint64_t *out)
{
    int i = sf_find(tok[1], n, fn);

    if (i < first) {
        p->unknown++;
        return 0;
    }
    if (*seen & (1u << i))
        return sf_bad(p, "%s %s appears twice", tok[0], tok[1]);
    *seen |= 1u << i;
    out[i] = v;
    return 0;
}

/* One totals line (before the rows); tok[0] is its keyword. */
static int
sf_total(struct sf_parse *p, char **tok, int n)
{
    uint64_t v;
    int i;

    if (!sf_number(tok[n - 1], &v))
        return sf_bad(p, "\"%.40s\" is not a count (a decimal below 2^53)",
                      tok[n - 1]);
    if (n == 3 && strcmp(tok[0], "ignored") == 0)
        return sf_named(p, tok, v, DM_SKIP_NONE + 1, DM_SKIP__COUNT,
                        sf_skip_name, &p->seen_skip, p->totals.skipped);
    if (n == 3 && strcmp(tok[0], "override") == 0)
        return sf_named(p, tok, v, DM_OVERRIDE_NONE + 1, DM_OVERRIDE__COUNT,
                        sf_override_name, &p->seen_override,
                        p->totals.overrides);
    if (n == 3 && strcmp(tok[0], "standin") == 0)
        return sf_named(p, tok, v, 0, CS_STANDIN_COUNT, cs_standin_name,
                        &p->seen_standin, p->totals.standins);
    if (n == 3 && strcmp(tok[0], "event") == 0)
        return sf_named(p, tok, v, 0, CS_EV__COUNT, cs_event_name,
                        &p->seen_event, p->totals.events);
    if (n == 3 && strcmp(tok[0], "dns_cached") == 0)
        return sf_named(p, tok, v, 0, CS_DNS_TYPE_COUNT, sf_dns_type_name,
                        &p->seen_dns_hit, p->totals.dns_cached);
    if (strcmp(tok[0], "eval_bucket") == 0 && n == 3) {
        i = sf_find(tok[1], CS_EVAL_BUCKETS + 1, sf_bound_name);
        if (i < 0)
            return sf_bad(p, "histogram bucket %.20s is not one of this "
                          "version's", tok[1]);
        if (p->seen_bucket & (1u << i))
            return sf_bad(p, "eval_bucket %s appears twice", tok[1]);
        p->seen_bucket |= 1u << i;
        p->totals.eval_bucket[i] = v;
    } else if (strcmp(tok[0], "eval_sum_ns") == 0 && n == 2) {
        if (p->seen_sum)
            return sf_bad(p, "eval_sum_ns appears twice");
        p->seen_sum = true;
        p->totals.eval_sum_ns = v;
    } else if (strcmp(tok[0], "dns") == 0 && n == 4) {
        /* Types and outcomes of later versions are skipped, not refused. */
        int k = sf_find(tok[1], CS_DNS_TYPE_COUNT, sf_dns_type_name);

        i = k >= 0 ? sf_find(tok[2], CS_DNS_STATUS_COUNT, sf_dns_name) : -1;
        if (i < 0) {
            p->unknown++;
            return 0;
        }
        if (p->seen_dns & (1ull << (k * CS_DNS_STATUS_COUNT + i)))
            return sf_bad(p, "dns %s %s appears twice", tok[1], tok[2]);
        p->seen_dns |= 1ull << (k * CS_DNS_STATUS_COUNT + i);
        p->totals.dns[k][i] = v;
    } else {
        return sf_bad(p, "unexpected \"%.40s\" line", tok[0]);
    }
    return 0;
}

static bool
sf_policy(const char *s, enum dm_policy *out)
{
    for (int i = 0; i < DM_POLICY__COUNT; i++)
        if (strcmp(s, dm_policy_name((enum dm_policy)i)) == 0) {
            *out = (enum dm_policy)i;
            return true;
        }
    return false;
}

/* The file's order of a row's counters (see state_file.h). */
static const enum dm_result sf_result_order[DM_RESULT__COUNT] = {
    DM_RESULT_PASS, DM_RESULT_FAIL, DM_RESULT_NONE, DM_RESULT_TEMPERROR,
    DM_RESULT_PERMERROR
};
static const enum dm_disposition sf_disp_order[DM_DISP__COUNT] = {
    DM_DISP_NONE, DM_DISP_QUARANTINE, DM_DISP_REJECT
};

/* tok[0] is "row". */
static int
sf_row(struct sf_parse *p, char **tok, int n)
{
    uint64_t index, v, sres = 0, sdis = 0;
    uint64_t res[DM_RESULT__COUNT], dis[DM_DISP__COUNT];
    enum dm_policy pol;
    int k = 4;

    if (n != 4 + DM_RESULT__COUNT + DM_DISP__COUNT)
        return sf_bad(p, "a row line has %d fields, not %d", n,
                      4 + DM_RESULT__COUNT + DM_DISP__COUNT);
    if (!sf_number(tok[1], &index) || index == 0 || index > CS_ROWS_LIMIT)
        return sf_bad(p, "bad row index \"%.20s\"", tok[1]);
    if (index <= p->last_index)
        return sf_bad(p, "row index %" PRIu64 " after %" PRIu32, index,
                      p->last_index);
    if (!cs_domain_ok(tok[2]))
        return sf_bad(p, "bad domain \"%.80s\"", tok[2]);
    if (!sf_policy(tok[3], &pol))
        return sf_bad(p, "bad policy \"%.20s\"", tok[3]);
    for (int i = 0; i < DM_RESULT__COUNT; i++, k++) {
        if (!sf_number(tok[k], &v))
            return sf_bad(p, "\"%.40s\" is not a count", tok[k]);
        res[sf_result_order[i]] = v;
        sres += v;
    }
    for (int i = 0; i < DM_DISP__COUNT; i++, k++) {
        if (!sf_number(tok[k], &v))
            return sf_bad(p, "\"%.40s\" is not a count", tok[k]);
        dis[sf_disp_order[i]] = v;
        sdis += v;
    }
    /* Each message counts a result before its disposition. */
    if (sdis > sres)
        return sf_bad(p, "row %" PRIu64 " has more dispositions than "
                      "results", index);
    switch (cs_restore_row(p->cs, (uint32_t)index, tok[2], pol, res, dis)) {
    case CS_RESTORED:
        break;
    case CS_RENUMBERED:
        p->renumbered++;
        break;
    case CS_FOLDED:
        p->folded++;
        break;
    case CS_REFUSED:
        return sf_bad(p, "row %s %s appears twice", tok[2], tok[3]);
    }
    p->last_index = (uint32_t)index;
    p->rows++;
    return 0;
}

/* tok[0] is "end"; sum is the checksum of the lines before it. */
static int
sf_end(struct sf_parse *p, char **tok, int n, uint64_t sum)
{
    uint64_t rows;
    char hex[17];

    if (n != 3)
        return sf_bad(p, "bad end line");
    if (!sf_number(tok[1], &rows) || rows != p->rows)
        return sf_bad(p, "the end line counts %.20s rows, the file has %zu",
                      tok[1], p->rows);
    snprintf(hex, sizeof(hex), "%016" PRIx64, sum);
    if (strcmp(tok[2], hex) != 0)
        return sf_bad(p, "checksum mismatch (damaged or edited)");
    if (lr_next(&p->r) != LR_EOF)
        return sf_bad(p, "data after the end line");
    return 0;
}

static int
sf_parse_all(struct sf_parse *p)
{
    char *line, *tok[SF_MAX_TOKENS];
    uint64_t before;
    int n, rc;

    if (sf_header(p) != 0)
        return -1;
    for (;;) {
        rc = sf_getline(p, &line);
        if (rc == 0)
            return sf_bad(p, "truncated: no end line");
        if (rc < 0)
            return -1;
        before = p->sum;
        p->sum = sf_fnv(sf_fnv(p->sum, line, strlen(line)), "\n", 1);
        n = sf_split(line, tok, SF_MAX_TOKENS);
        if (n < 1)
            return sf_bad(p, "malformed line");
        if (strcmp(tok[0], "row") == 0) {
            /* The histogram cannot be mapped from a different layout. */
            if (p->seen_bucket != (1u << (CS_EVAL_BUCKETS + 1)) - 1 ||
                !p->seen_sum)
                return sf_bad(p, "the histogram lines are incomplete");
            p->in_rows = true;
            if (sf_row(p, tok, n) != 0)
                return -1;
        } else if (strcmp(tok[0], "end") == 0) {
            if (!p->in_rows && (p->seen_bucket !=
                                (1u << (CS_EVAL_BUCKETS + 1)) - 1 ||
                                !p->seen_sum))
                return sf_bad(p, "the histogram lines are incomplete");
            if (sf_end(p, tok, n, before) != 0)
                return -1;
            cs_restore_totals(p->cs, &p->totals);
            return 0;
        } else if (p->in_rows) {
            return sf_bad(p, "unexpected \"%.40s\" line among the rows",
                          tok[0]);
        } else if (sf_total(p, tok, n) != 0) {
            return -1;
        }
    }
}

/* Move a bad file out of the way, keeping it for a post-mortem. */
static void
sf_set_aside(const char *path, char *aside, size_t asidesz)
{
    char stamp[32];
    struct tm tm;
    time_t now = time(NULL);
    struct stat st;

    localtime_r(&now, &tm);
    strftime(stamp, sizeof(stamp), "%Y%m%dT%H%M%S", &tm);
    snprintf(aside, asidesz, "%s.bad-%s", path, stamp);
    for (int i = 1; i < 100 && lstat(aside, &st) == 0; i++)
        snprintf(aside, asidesz, "%s.bad-%s.%d", path, stamp, i);
    if (rename(path, aside) != 0) {
        dm_log(LOG_ERR, "MetricsStateFile %s: cannot rename it to %s: %s",
               path, aside, strerror(errno));
        snprintf(aside, asidesz, "%s", path);
    }
}

/* The state file, open for reading; NULL after logging why (*res: how). */
static FILE *
sf_open(const char *path, enum sf_load *res)
{
    struct stat st;
    FILE *fp;
    int fd;

    *res = SF_UNREADABLE;
    fd = open(path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
    if (fd < 0) {
        if (errno == ENOENT) {
            dm_log(LOG_INFO, "MetricsStateFile %s: no saved counters yet; "
                   "counting starts from zero", path);
            *res = SF_ABSENT;
            return NULL;
        }
        dm_log(LOG_ERR, "MetricsStateFile %s: %s; counting starts from zero",
               path, strerror(errno));
        return NULL;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode)) {
        dm_log(LOG_ERR, "MetricsStateFile %s: not a regular file; counting "
               "starts from zero", path);
        close(fd);
        return NULL;
    }
    if ((fp = fdopen(fd, "r")) == NULL) {
        dm_log(LOG_ERR, "MetricsStateFile %s: %s; counting starts from zero",
               path, strerror(errno));
        close(fd);
    }
    return fp;
}

/* What a load restored, and what it had to adapt. */
static void
sf_log_loaded(const char *path, const struct sf_parse *p)
{
    char when[64];
    struct tm tm;
    time_t t = (time_t)p->saved;

    localtime_r(&t, &tm);
    strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S", &tm);
    dm_log(LOG_INFO, "MetricsStateFile %s: restored %zu rows saved at %s",
           path, p->rows, when);
    if (p->unknown > 0)
        dm_log(LOG_WARNING, "MetricsStateFile %s: %zu lines name reasons or "
               "outcomes this version does not count; skipped", path,
               p->unknown);
    if (p->renumbered > 0 || p->folded > 0)
        dm_log(LOG_WARNING, "MetricsStateFile %s: %zu rows folded into %s "
               "and %zu renumbered (MetricsMaxDomains or MetricsDomains "
               "changed)", path, p->folded, CS_OTHER_DOMAIN, p->renumbered);
}

enum sf_load
sf_load(struct cs_store *cs, const char *path)
{
    struct sf_parse p;
    char aside[4096];
    enum sf_load res;
    FILE *fp = sf_open(path, &res);
    int rc;

    if (fp == NULL)
        return res;
    memset(&p, 0, sizeof(p));
    p.cs = cs;
    p.sum = SF_FNV_INIT;
    if (lr_init(&p.r, fp, SF_LINE_MAX - 1, 0) != 0) {
        dm_log(LOG_ERR, "MetricsStateFile %s: out of memory; counting "
               "starts from zero", path);
        fclose(fp);
        return SF_UNREADABLE;
    }
    rc = sf_parse_all(&p);
    lr_free(&p.r);
    fclose(fp);
    if (rc != 0) {
        cs_clear(cs);
        sf_set_aside(path, aside, sizeof(aside));
        dm_log(LOG_ERR, "MetricsStateFile %s:%zu: %s; file kept as %s, "
               "counting starts from zero", path, p.lineno, p.why, aside);
        return SF_DISCARDED;
    }
    sf_log_loaded(path, &p);
    return SF_LOADED;
}

/* ---- saving ---- */

struct sf_writer {
    FILE *fp;
    uint64_t sum;
    size_t rows;
    bool failed;
};

static void __attribute__((format(printf, 2, 3)))
sf_put(struct sf_writer *w, const char *fmt, ...)
{
    char line[SF_LINE_MAX];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        w->failed = true;
        return;
    }
    w->sum = sf_fnv(w->sum, line, (size_t)n);
    if (fwrite(line, 1, (size_t)n, w->fp) != (size_t)n)
        w->failed = true;
}

static bool
sf_put_row(const struct cs_row_view *r, void *arg)
{
    struct sf_writer *w = arg;
    uint64_t d[DM_DISP__COUNT], s = 0, sd = 0;

    for (int i = 0; i < DM_RESULT__COUNT; i++)
        s += r->result[i];
    for (int i = 0; i < DM_DISP__COUNT; i++)
        sd += d[i] = r->disp[sf_disp_order[i]];
    /* cs_row_at() reads results last, so this never trims; but a file
       the loader refuses would cost every count. */
    for (int i = 0; i < DM_DISP__COUNT && sd > s; i++) {
        uint64_t cut = sd - s < d[i] ? sd - s : d[i];

        d[i] -= cut;
        sd -= cut;
    }
    sf_put(w, "row %" PRIu32 " %s %s %" PRIu64 " %" PRIu64 " %" PRIu64
           " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 " %" PRIu64 "\n",
           r->index, r->domain, dm_policy_name(r->policy),
           r->result[DM_RESULT_PASS], r->result[DM_RESULT_FAIL],
           r->result[DM_RESULT_NONE], r->result[DM_RESULT_TEMPERROR],
           r->result[DM_RESULT_PERMERROR], d[0], d[1], d[2]);
    w->rows++;
    return !w->failed;
}

static void
sf_put_all(struct sf_writer *w, const struct cs_store *cs)
{
    struct cs_totals t;

    cs_totals(cs, &t);
    sf_put(w, "%s %d\n", SF_MAGIC, SF_VERSION);
    sf_put(w, "saved %lld\n", (long long)time(NULL));
    for (int i = DM_SKIP_NONE + 1; i < DM_SKIP__COUNT; i++)
        sf_put(w, "ignored %s %" PRIu64 "\n", dm_skip_name((enum dm_skip)i),
               t.skipped[i]);
    for (int i = 0; i <= CS_EVAL_BUCKETS; i++)
        sf_put(w, "eval_bucket %s %" PRIu64 "\n",
               i < CS_EVAL_BUCKETS ? cs_eval_bound_names[i] : "+Inf",
               t.eval_bucket[i]);
    sf_put(w, "eval_sum_ns %" PRIu64 "\n", t.eval_sum_ns);
    for (int i = DM_OVERRIDE_NONE + 1; i < DM_OVERRIDE__COUNT; i++)
        sf_put(w, "override %s %" PRIu64 "\n",
               dm_override_name((enum dm_override)i), t.overrides[i]);
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        sf_put(w, "standin %s %" PRIu64 "\n", cs_standin_name(i),
               t.standins[i]);
    /* The event source's counts included: the next run starts them at 0. */
    for (int i = 0; i < CS_EV__COUNT; i++)
        sf_put(w, "event %s %" PRIu64 "\n", cs_event_name(i), t.events[i]);
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++) {
        for (int i = 0; i < CS_DNS_STATUS_COUNT; i++)
            sf_put(w, "dns %s %s %" PRIu64 "\n", cs_dns_type_name(k),
                   dns_status_name((enum dns_status)i), t.dns[k][i]);
        sf_put(w, "dns_cached %s %" PRIu64 "\n", cs_dns_type_name(k),
               t.dns_cached[k]);
    }
    cs_foreach_row(cs, sf_put_row, w);
    if (!w->failed) {
        uint64_t sum = w->sum;

        sf_put(w, "end %zu %016" PRIx64 "\n", w->rows, sum);
    }
}

/* fsync the directory holding path, so the rename itself is durable. */
static int
sf_sync_dir(const char *path)
{
    char dir[4096];
    char *slash;
    int fd, rc;

    snprintf(dir, sizeof(dir), "%s", path);
    slash = strrchr(dir, '/');
    if (slash == NULL)
        snprintf(dir, sizeof(dir), ".");
    else if (slash == dir)
        dir[1] = '\0';
    else
        *slash = '\0';
    if ((fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return -1;
    rc = fsync(fd);
    close(fd);
    return rc;
}

int
sf_save(const struct cs_store *cs, const char *path, char *err, size_t errsz)
{
    struct sf_writer w = { NULL, SF_FNV_INIT, 0, false };
    char tmp[4096];
    int fd, saved_errno = 0;

    if ((size_t)snprintf(tmp, sizeof(tmp), "%s.tmp", path) >= sizeof(tmp)) {
        snprintf(err, errsz, "%s: path too long", path);
        return -1;
    }
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_NOFOLLOW | O_CLOEXEC,
              0640);
    if (fd < 0) {
        snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
        return -1;
    }
    if ((w.fp = fdopen(fd, "w")) == NULL) {
        snprintf(err, errsz, "%s: %s", tmp, strerror(errno));
        close(fd);
        unlink(tmp);
        return -1;
    }
    errno = 0;
    sf_put_all(&w, cs);
    if (w.failed || fflush(w.fp) != 0 || fsync(fd) != 0)
        saved_errno = errno != 0 ? errno : EIO;
    if (fclose(w.fp) != 0 && saved_errno == 0)
        saved_errno = errno;
    if (saved_errno != 0) {
        snprintf(err, errsz, "%s: %s", tmp, strerror(saved_errno));
        unlink(tmp);
        return -1;
    }
    if (rename(tmp, path) != 0) {
        snprintf(err, errsz, "rename %s to %s: %s", tmp, path,
                 strerror(errno));
        unlink(tmp);
        return -1;
    }
    if (sf_sync_dir(path) != 0) {
        snprintf(err, errsz, "fsync of the directory of %s: %s", path,
                 strerror(errno));
        return -1;
    }
    return 0;
}

/* ---- the saver thread ---- */

struct sf_saver {
    const struct cs_store *cs;
    char *path;
    unsigned interval;
    pthread_t tid;
    pthread_mutex_t mu;
    pthread_cond_t cv;            /* CLOCK_MONOTONIC */
    bool stop;
    bool failing;                 /* log a failure once, then a recovery */
};

static int
sf_saver_save(struct sf_saver *s)
{
    char err[512];

    if (sf_save(s->cs, s->path, err, sizeof(err)) != 0) {
        if (!s->failing)
            dm_log(LOG_ERR, "MetricsStateFile: cannot save the counters: %s",
                   err);
        s->failing = true;
        return -1;
    }
    if (s->failing)
        dm_log(LOG_INFO, "MetricsStateFile %s: saved again", s->path);
    s->failing = false;
    return 0;
}

static void *
sf_saver_run(void *arg)
{
    struct sf_saver *s = arg;
    struct timespec due;

    pthread_mutex_lock(&s->mu);
    clock_gettime(CLOCK_MONOTONIC, &due);
    while (!s->stop) {
        due.tv_sec += (time_t)s->interval;
        while (!s->stop &&
               pthread_cond_timedwait(&s->cv, &s->mu, &due) != ETIMEDOUT)
            ;
        if (s->stop)
            break;
        pthread_mutex_unlock(&s->mu);
        (void)sf_saver_save(s);
        pthread_mutex_lock(&s->mu);
    }
    pthread_mutex_unlock(&s->mu);
    return NULL;
}

struct sf_saver *
sf_saver_start(const struct cs_store *cs, const char *path, unsigned interval,
               char *err, size_t errsz)
{
    struct sf_saver *s = calloc(1, sizeof(*s));
    pthread_condattr_t ca;
    int rc;

    if (s == NULL || (s->path = strdup(path)) == NULL) {
        free(s);
        snprintf(err, errsz, "MetricsStateFile: out of memory");
        return NULL;
    }
    s->cs = cs;
    s->interval = interval > 0 ? interval : 1;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_mutex_init(&s->mu, NULL);
    pthread_cond_init(&s->cv, &ca);
    pthread_condattr_destroy(&ca);
    if ((rc = pthread_create(&s->tid, NULL, sf_saver_run, s)) != 0) {
        snprintf(err, errsz, "MetricsStateFile: cannot start the saver "
                 "thread: %s", strerror(rc));
        pthread_cond_destroy(&s->cv);
        pthread_mutex_destroy(&s->mu);
        free(s->path);
        free(s);
        return NULL;
    }
    return s;
}

int
sf_saver_stop(struct sf_saver *s)
{
    int rc;

    if (s == NULL)
        return 0;
    pthread_mutex_lock(&s->mu);
    s->stop = true;
    pthread_cond_signal(&s->cv);
    pthread_mutex_unlock(&s->mu);
    pthread_join(s->tid, NULL);
    s->failing = false;           /* the last word is always logged */
    rc = sf_saver_save(s);
    if (rc == 0)
        dm_log(LOG_INFO, "MetricsStateFile %s: counters saved", s->path);
    pthread_cond_destroy(&s->cv);
    pthread_mutex_destroy(&s->mu);
    free(s->path);
    free(s);
    return rc;
}
