/*
 * exposition.c: rendering the scrape body (see exposition.h).
 *
 * A scrape of MetricsMaxDomains domains times four policies is some
 * 320,000 samples, so the per-row path avoids printf: each row's label
 * prefix is built once, numbers are formatted by hand, and the buffer
 * grows geometrically. Messages and dispositions of a row come from one
 * snapshot of the row, written into two buffers joined at the end.
 */
#include <config.h>

#include <inttypes.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/mman.h>

#include "metrics/exposition.h"
#include "util/util.h"


struct ex_buf {
    char *p;
    size_t len, cap;
    bool oom;
};

#define EX_HUGE (2u << 20)

/*
 * A fresh big buffer in transparent huge pages where the kernel offers
 * them: a full scrape writes tens of megabytes, and faulting that in 4 KiB
 * pages costs more than writing it.
 */
static char *
ex_alloc(size_t cap)
{
    void *p = NULL;

    if (cap < 2 * EX_HUGE)
        return malloc(cap);
    cap = (cap + EX_HUGE - 1) & ~(size_t)(EX_HUGE - 1);
    if (posix_memalign(&p, EX_HUGE, cap) != 0)
        return NULL;
    (void)madvise(p, cap, MADV_HUGEPAGE);
    return p;
}

/* Room for more bytes and a NUL; the first buffer as ex_alloc makes it. */
static bool
ex_reserve(struct ex_buf *b, size_t more)
{
    if (b->p == NULL && !b->oom) {
        size_t cap = 65536;

        while (cap <= more)
            cap *= 2;
        if ((b->p = ex_alloc(cap)) == NULL) {
            b->oom = true;
            return false;
        }
        b->cap = cap;
    }
    return grow_to(&b->p, &b->cap, b->len + more + 1, 65536, &b->oom);
}

/* Unchecked appends: callers reserve first. */
static inline void
ex_put(struct ex_buf *b, const char *s, size_t n)
{
    memcpy(b->p + b->len, s, n);
    b->len += n;
}

#define EX_PUTS(b, lit) ex_put((b), (lit), sizeof(lit) - 1)

static inline void
ex_put_u64(struct ex_buf *b, uint64_t v)
{
    char tmp[24];
    size_t i = sizeof(tmp);

    do {
        tmp[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    ex_put(b, tmp + i, sizeof(tmp) - i);
}

/*
 * Checked append of formatted text, for the few lines outside rows. Each
 * is ours (metric names, help texts, numbers, checked label values), so
 * one longer than a line buffer is a bug: the scrape fails rather than
 * showing half a line.
 */
static void __attribute__((format(printf, 2, 3)))
ex_printf(struct ex_buf *b, const char *fmt, ...)
{
    char line[1024];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof(line)) {
        b->oom = true;
        return;
    }
    if (ex_reserve(b, (size_t)n))
        ex_put(b, line, (size_t)n);
}

size_t
ex_escape(char *out, size_t outsz, const char *in)
{
    size_t o = 0;

    for (; *in != '\0'; in++) {
        const char *rep = NULL;

        switch (*in) {
        case '\\': rep = "\\\\"; break;
        case '"':  rep = "\\\""; break;
        case '\n': rep = "\\n"; break;
        }
        if (o + (rep != NULL ? 2 : 1) >= outsz)
            return (size_t)-1;
        if (rep != NULL) {
            out[o++] = rep[0];
            out[o++] = rep[1];
        } else {
            out[o++] = *in;
        }
    }
    if (o >= outsz)
        return (size_t)-1;
    out[o] = '\0';
    return o;
}

/* ---- negotiation ---- */

/* A q value (0 .. 1000); -1 when malformed. */
static int
ex_qvalue(const char *s, size_t n)
{
    int q = 0, scale = 1000;
    size_t i = 0;

    if (n == 0 || (s[0] != '0' && s[0] != '1'))
        return -1;
    q = (s[0] - '0') * 1000;
    if (++i < n) {
        if (s[i++] != '.')
            return -1;
        for (; i < n; i++) {
            if (s[i] < '0' || s[i] > '9' || scale == 1)
                return -1;
            scale /= 10;
            q += (s[i] - '0') * scale;
        }
    }
    return q > 1000 ? 1000 : q;
}

static bool
ex_word_is(const char *s, size_t n, const char *word)
{
    return strlen(word) == n && strncasecmp(s, word, n) == 0;
}

static void
ex_trim(const char **s, size_t *n)
{
    while (*n > 0 && (**s == ' ' || **s == '\t')) {
        (*s)++;
        (*n)--;
    }
    while (*n > 0 && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

/*
 * The parameters of a range or coding, from its first ";" (NULL: none)
 * to end: its weight q (1000 when absent) and its version (NULL when
 * absent). False when q is malformed: the element is then ignored.
 */
static bool
ex_params(const char *p, const char *end, int *q, const char **version,
          size_t *vn)
{
    *q = 1000;
    *version = NULL;
    *vn = 0;
    while (p != NULL && p < end) {
        const char *start = p + 1, *next, *eq;
        size_t pn, kn, valn;

        next = memchr(start, ';', (size_t)(end - start));
        pn = (size_t)((next != NULL ? next : end) - start);
        eq = memchr(start, '=', pn);
        if (eq != NULL) {
            const char *k = start, *v = eq + 1;

            kn = (size_t)(eq - start);
            valn = pn - kn - 1;
            ex_trim(&k, &kn);
            ex_trim(&v, &valn);
            if (valn >= 2 && v[0] == '"' && v[valn - 1] == '"') {
                v++;
                valn -= 2;
            }
            if (ex_word_is(k, kn, "q")) {
                *q = ex_qvalue(v, valn);
                if (*q < 0)
                    return false;
            } else if (ex_word_is(k, kn, "version")) {
                *version = v;
                *vn = valn;
            }
        }
        p = next;
    }
    return true;
}

/*
 * Split an element of a list header at its first ";": the token, trimmed,
 * in *tok and *tn; its parameters' weight and version as ex_params().
 */
static bool
ex_element(const char *s, size_t n, const char **tok, size_t *tn, int *q,
           const char **version, size_t *vn)
{
    const char *semi = memchr(s, ';', n);

    *tok = s;
    *tn = semi != NULL ? (size_t)(semi - s) : n;
    /* ex_trim moves the token: the element still ends where it did. */
    ex_trim(tok, tn);
    return ex_params(semi, s + n, q, version, vn);
}

/* Call fn for each element of a comma-separated header. */
static void
ex_each(const char *list, void (*fn)(const char *s, size_t n, void *arg),
        void *arg)
{
    const char *s = list;

    while (*s != '\0') {
        const char *comma = strchr(s, ',');
        size_t n = comma != NULL ? (size_t)(comma - s) : strlen(s);

        fn(s, n, arg);
        s += n;
        if (*s == ',')
            s++;
    }
}

/* The best weights an Accept header gives each format. */
struct ex_weights {
    int om, text;
};

/* One media range of an Accept header: which format and its weight. */
static void
ex_range(const char *s, size_t n, void *arg)
{
    struct ex_weights *w = arg;
    const char *t, *version;
    size_t tn, vn;
    int q;

    if (!ex_element(s, n, &t, &tn, &q, &version, &vn))
        return;
    if (ex_word_is(t, tn, "application/openmetrics-text")) {
        if ((version == NULL || ex_word_is(version, vn, "1.0.0") ||
             ex_word_is(version, vn, "0.0.1")) && q > w->om)
            w->om = q;
    } else if (ex_word_is(t, tn, "text/plain")) {
        if ((version == NULL || ex_word_is(version, vn, "0.0.4")) &&
            q > w->text)
            w->text = q;
    } else if (ex_word_is(t, tn, "*/*") || ex_word_is(t, tn, "text/*")) {
        if (q > w->text)
            w->text = q;
    }
}

enum ex_format
ex_negotiate(const char *accept)
{
    struct ex_weights w = { 0, 0 };

    if (accept == NULL)
        return EX_TEXT;
    ex_each(accept, ex_range, &w);
    return w.om > 0 && w.om >= w.text ? EX_OPENMETRICS : EX_TEXT;
}

/* The weights an Accept-Encoding header gives gzip and "*" (-1: unnamed). */
struct ex_gzip_weights {
    int gzip, any;
};

static void
ex_coding(const char *s, size_t n, void *arg)
{
    struct ex_gzip_weights *w = arg;
    const char *t, *version;
    size_t tn, vn;
    int q;

    if (!ex_element(s, n, &t, &tn, &q, &version, &vn))
        return;
    if (ex_word_is(t, tn, "gzip") || ex_word_is(t, tn, "x-gzip")) {
        if (q > w->gzip)
            w->gzip = q;
    } else if (ex_word_is(t, tn, "*")) {
        if (q > w->any)
            w->any = q;
    }
}

bool
ex_accepts_gzip(const char *accept_encoding)
{
    struct ex_gzip_weights w = { -1, -1 };

    if (accept_encoding == NULL)
        return false;
    ex_each(accept_encoding, ex_coding, &w);
    /* RFC 9110 12.5.3: "*" stands for the codings not named. */
    return w.gzip >= 0 ? w.gzip > 0 : w.any > 0;
}

const char *
ex_content_type(enum ex_format f)
{
    return f == EX_OPENMETRICS ? EX_CT_OPENMETRICS : EX_CT_TEXT;
}

/* ---- families ---- */

/*
 * HELP and TYPE of a family. name is the 0.0.4 name; for OpenMetrics a
 * counter's "_total" is dropped from the family name.
 */
static void
ex_family(struct ex_buf *b, enum ex_format f, const char *name,
          const char *type, const char *help)
{
    size_t n = strlen(name);

    if (f == EX_OPENMETRICS && strcmp(type, "counter") == 0 && n > 6 &&
        strcmp(name + n - 6, "_total") == 0)
        n -= 6;
    if (f == EX_OPENMETRICS && strcmp(type, "info") == 0 && n > 5 &&
        strcmp(name + n - 5, "_info") == 0)
        n -= 5;
    if (f == EX_TEXT && strcmp(type, "info") == 0)
        type = "gauge";
    ex_printf(b, "# HELP %.*s %s\n# TYPE %.*s %s\n", (int)n, name, help,
              (int)n, name, type);
}

static const char *const ex_result_labels[DM_RESULT__COUNT] = {
    [DM_RESULT_NONE] = "result=\"none\"} ",
    [DM_RESULT_PASS] = "result=\"pass\"} ",
    [DM_RESULT_FAIL] = "result=\"fail\"} ",
    [DM_RESULT_TEMPERROR] = "result=\"temperror\"} ",
    [DM_RESULT_PERMERROR] = "result=\"permerror\"} ",
};
static const char *const ex_disp_labels[DM_DISP__COUNT] = {
    [DM_DISP_NONE] = "disposition=\"none\"} ",
    [DM_DISP_QUARANTINE] = "disposition=\"quarantine\"} ",
    [DM_DISP_REJECT] = "disposition=\"reject\"} ",
};
/* The order rows are written in: the order, failures early. */
static const enum dm_result ex_result_order[DM_RESULT__COUNT] = {
    DM_RESULT_PASS, DM_RESULT_FAIL, DM_RESULT_NONE, DM_RESULT_TEMPERROR,
    DM_RESULT_PERMERROR
};

/* One snapshot of every row, so both families agree row by row. */
struct ex_snap {
    struct cs_row_view *v;
    size_t n, cap;
    size_t bytes;              /* upper bound of the rows' lines */
    bool oom;
};

static bool
ex_snap_row(const struct cs_row_view *r, void *arg)
{
    struct ex_snap *s = arg;

    if (s->n == s->cap) {
        size_t cap = s->cap != 0 ? s->cap * 2 : 1024;
        struct cs_row_view *v = realloc(s->v, cap * sizeof(*v));

        if (v == NULL) {
            s->oom = true;
            return false;
        }
        s->v = v;
        s->cap = cap;
    }
    s->v[s->n++] = *r;
    /* 8 lines: name, prefix, label, 20 digits, newline; escaping doubles */
    s->bytes += 8 * (32 + 2 * strlen(r->domain) + 32 + 40 + 21);
    return true;
}

/* {domain="...",policy="...", for a row; its length. */
static size_t
ex_prefix(char *prefix, const struct cs_row_view *r)
{
    char esc[2 * DM_DOMAIN_MAX];
    const char *pol = dm_policy_name(r->policy);
    size_t en = ex_escape(esc, sizeof(esc), r->domain), pl = strlen(pol);
    size_t pn = 0;

    if (en == (size_t)-1)               /* cannot happen: names are short */
        en = 0;
    memcpy(prefix, "{domain=\"", 9);
    pn += 9;
    memcpy(prefix + pn, esc, en);
    pn += en;
    memcpy(prefix + pn, "\",policy=\"", 10);
    pn += 10;
    memcpy(prefix + pn, pol, pl);
    pn += pl;
    memcpy(prefix + pn, "\",", 2);
    return pn + 2;
}

/* The rows' samples of one family; the caller reserved s->bytes. */
static void
ex_rows(struct ex_buf *b, const struct ex_snap *s, bool messages)
{
    static const char mname[] = "dmarc_milter_messages_total";
    static const char dname[] = "dmarc_milter_dispositions_total";
    char prefix[2 * DM_DOMAIN_MAX + 64];
    size_t ll[DM_RESULT__COUNT], dl[DM_DISP__COUNT];

    for (int i = 0; i < DM_RESULT__COUNT; i++)
        ll[i] = strlen(ex_result_labels[ex_result_order[i]]);
    for (int i = 0; i < DM_DISP__COUNT; i++)
        dl[i] = strlen(ex_disp_labels[i]);
    for (size_t k = 0; k < s->n; k++) {
        const struct cs_row_view *r = &s->v[k];
        size_t pn = ex_prefix(prefix, r);

        if (messages) {
            for (int i = 0; i < DM_RESULT__COUNT; i++) {
                enum dm_result res = ex_result_order[i];

                ex_put(b, mname, sizeof(mname) - 1);
                ex_put(b, prefix, pn);
                ex_put(b, ex_result_labels[res], ll[i]);
                ex_put_u64(b, r->result[res]);
                EX_PUTS(b, "\n");
            }
        } else {
            for (int d = 0; d < DM_DISP__COUNT; d++) {
                ex_put(b, dname, sizeof(dname) - 1);
                ex_put(b, prefix, pn);
                ex_put(b, ex_disp_labels[d], dl[d]);
                ex_put_u64(b, r->disp[d]);
                EX_PUTS(b, "\n");
            }
        }
    }
}

static void
ex_histogram(struct ex_buf *b, enum ex_format f, const struct cs_totals *t)
{
    uint64_t cum = 0;

    ex_family(b, f, "dmarc_milter_evaluation_seconds", "histogram",
              "Time from the start of a message's DMARC evaluation to its "
              "verdict, DNS lookups included.");
    for (int i = 0; i <= CS_EVAL_BUCKETS; i++) {
        cum += t->eval_bucket[i];
        ex_printf(b, "dmarc_milter_evaluation_seconds_bucket{le=\"%s\"} %"
                  PRIu64 "\n", i < CS_EVAL_BUCKETS ? cs_eval_bound_names[i] :
                  "+Inf", cum);
    }
    ex_printf(b, "dmarc_milter_evaluation_seconds_sum %" PRIu64 ".%09" PRIu64
              "\n", t->eval_sum_ns / 1000000000u,
              t->eval_sum_ns % 1000000000u);
    ex_printf(b, "dmarc_milter_evaluation_seconds_count %" PRIu64 "\n", cum);
}

static void
ex_process(struct ex_buf *b, enum ex_format f, const struct ps_stats *ps)
{
    if (ps->have_stat) {
        ex_family(b, f, "process_cpu_seconds_total", "counter",
                  "Total user and system CPU time spent in seconds.");
        ex_printf(b, "process_cpu_seconds_total %.2f\n", ps->cpu_seconds);
        if (ps->have_start) {
            ex_family(b, f, "process_start_time_seconds", "gauge",
                      "Start time of the process since unix epoch in "
                      "seconds.");
            ex_printf(b, "process_start_time_seconds %.2f\n",
                      ps->start_time);
        }
        ex_family(b, f, "process_virtual_memory_bytes", "gauge",
                  "Virtual memory size in bytes.");
        ex_printf(b, "process_virtual_memory_bytes %" PRIu64 "\n",
                  ps->virtual_bytes);
        ex_family(b, f, "process_resident_memory_bytes", "gauge",
                  "Resident memory size in bytes.");
        ex_printf(b, "process_resident_memory_bytes %" PRIu64 "\n",
                  ps->resident_bytes);
        ex_family(b, f, "process_threads", "gauge",
                  "Number of OS threads in the process.");
        ex_printf(b, "process_threads %" PRIu64 "\n", ps->threads);
    }
    if (ps->have_fds) {
        ex_family(b, f, "process_open_fds", "gauge",
                  "Number of open file descriptors.");
        ex_printf(b, "process_open_fds %" PRIu64 "\n", ps->open_fds);
    }
    if (ps->have_max_fds) {
        ex_family(b, f, "process_max_fds", "gauge",
                  "Maximum number of open file descriptors.");
        ex_printf(b, "process_max_fds %" PRIu64 "\n", ps->max_fds);
    }
}

/* The message totals that are not per domain. */
static void
ex_totals(struct ex_buf *b, enum ex_format f, const struct cs_totals *t)
{
    ex_family(b, f, "dmarc_milter_ignored_total", "counter",
              "Messages not evaluated, by reason.");
    for (int i = DM_SKIP_NONE + 1; i < DM_SKIP__COUNT; i++)
        ex_printf(b, "dmarc_milter_ignored_total{reason=\"%s\"} %" PRIu64
                  "\n", dm_skip_name((enum dm_skip)i), t->skipped[i]);
    ex_family(b, f, "dmarc_milter_local_overrides_total", "counter",
              "Evaluated messages accepted although their DMARC policy "
              "asked to reject or quarantine them, by local policy: arc "
              "(DomainWhitelist).");
    for (int i = DM_OVERRIDE_NONE + 1; i < DM_OVERRIDE__COUNT; i++)
        ex_printf(b, "dmarc_milter_local_overrides_total{reason=\"%s\"} %"
                  PRIu64 "\n", dm_override_name((enum dm_override)i),
                  t->overrides[i]);
    ex_family(b, f, "dmarc_milter_from_standins_total", "counter",
              "Evaluated messages without a usable From domain, judged by "
              "the MAIL FROM domain (the HELO name for a null sender).");
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        ex_printf(b, "dmarc_milter_from_standins_total{source=\"%s\"} %"
                  PRIu64 "\n", cs_standin_name(i), t->standins[i]);
    ex_family(b, f, "dmarc_milter_tracked_domains", "gauge",
              "From domains with counters of their own (at most "
              "MetricsMaxDomains).");
    ex_printf(b, "dmarc_milter_tracked_domains %zu\n", t->tracked_domains);
    ex_family(b, f, "dmarc_milter_domain_overflow_total", "counter",
              "Messages counted under the domain __other__: "
              "MetricsMaxDomains reached, or not listed in MetricsDomains.");
    ex_printf(b, "dmarc_milter_domain_overflow_total %" PRIu64 "\n",
              t->overflow);
}

/* The history and the failure reports: what reporting did. */
static void
ex_reporting(struct ex_buf *b, enum ex_format f, const struct cs_totals *t)
{
    static const char *const fr[] = { "sent", "failed", "dropped",
                                      "rate_limited", "refused" };

    ex_family(b, f, "dmarc_milter_history_records_total", "counter",
              "HistoryFile records, by outcome: written, or failed (the "
              "file could not be opened or written; mail kept flowing).");
    ex_printf(b, "dmarc_milter_history_records_total{outcome=\"written\"} %"
              PRIu64 "\n", t->events[CS_EV_HISTORY_WRITTEN]);
    ex_printf(b, "dmarc_milter_history_records_total{outcome=\"failed\"} %"
              PRIu64 "\n", t->events[CS_EV_HISTORY_FAILED]);
    ex_family(b, f, "dmarc_milter_failure_reports_total", "counter",
              "Failure reports (FailureReports), by outcome: sent, failed "
              "(ReportCommand failed), dropped (queue full), rate_limited "
              "and refused (per destination: over the hourly limit; not "
              "verified, or in NoReportsList).");
    for (int i = 0; i < 5; i++)
        ex_printf(b, "dmarc_milter_failure_reports_total{outcome=\"%s\"} %"
                  PRIu64 "\n", fr[i], t->events[CS_EV_FAILURE_SENT + i]);
}

/* The resolver's lookups and cache hits, by record type. */
static void
ex_dns(struct ex_buf *b, enum ex_format f, const struct cs_totals *t)
{
    ex_family(b, f, "dmarc_milter_dns_queries_total", "counter",
              "Lookups through the filter's resolver (DMARC records, SPF, "
              "DKIM keys; cache hits included), by record type and "
              "outcome.");
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++)
        for (int i = 0; i < CS_DNS_STATUS_COUNT; i++)
            ex_printf(b, "dmarc_milter_dns_queries_total{type=\"%s\","
                      "outcome=\"%s\"} %" PRIu64 "\n", cs_dns_type_name(k),
                      dns_status_name((enum dns_status)i), t->dns[k][i]);
    ex_family(b, f, "dmarc_milter_dns_cache_hits_total", "counter",
              "Of those lookups, the ones the DNS cache answered without "
              "a query, by record type.");
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++)
        ex_printf(b, "dmarc_milter_dns_cache_hits_total{type=\"%s\"} %"
                  PRIu64 "\n", cs_dns_type_name(k), t->dns_cached[k]);
}

static void
ex_build_info(struct ex_buf *b, enum ex_format f)
{
    char version[128];

    ex_family(b, f, "dmarc_milter_build_info", "info",
              "The dmarc-milter version, always 1.");
    if (ex_escape(version, sizeof(version), PACKAGE_VERSION) == (size_t)-1)
        snprintf(version, sizeof(version), "unknown");
    ex_printf(b, "dmarc_milter_build_info{version=\"%s\"} 1\n", version);
}

char *
ex_render(const struct cs_store *cs, enum ex_format f,
          const struct ps_stats *ps, size_t *len)
{
    struct ex_buf b = { 0 };
    struct ex_snap snap = { 0 };
    struct cs_totals t;

    cs_foreach_row(cs, ex_snap_row, &snap);
    cs_totals(cs, &t);
    /* One allocation: pages past what is written are never touched. */
    if (snap.oom || !ex_reserve(&b, 65536 + snap.bytes))
        goto oom;
    ex_family(&b, f, "dmarc_milter_messages_total", "counter",
              "Messages evaluated, by From domain, the DMARC policy that "
              "applied (absent: no record) and the DMARC result.");
    ex_rows(&b, &snap, true);
    ex_family(&b, f, "dmarc_milter_dispositions_total", "counter",
              "Messages evaluated, by From domain, the DMARC policy that "
              "applied and the action taken.");
    ex_rows(&b, &snap, false);
    free(snap.v);
    snap.v = NULL;

    ex_totals(&b, f, &t);
    ex_histogram(&b, f, &t);
    ex_dns(&b, f, &t);
    ex_reporting(&b, f, &t);
    ex_build_info(&b, f);
    if (ps != NULL)
        ex_process(&b, f, ps);
    if (f == EX_OPENMETRICS)
        ex_printf(&b, "# EOF\n");
    if (!ex_reserve(&b, 1))
        goto oom;
    b.p[b.len] = '\0';
    *len = b.len;
    return b.p;
oom:
    free(b.p);
    free(snap.v);
    return NULL;
}
