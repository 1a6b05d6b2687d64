/*
 * history_read.c: stream records out of HistoryFiles, ours or
 * OpenDMARC's, as untrusted bytes: bounded lines, unknown keys skipped,
 * a record with a bad or missing value skipped whole and counted.
 */
#include <config.h>
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include "report/history.h"
#include "report/hist_codes.h"
#include "util/util.h"

/* What a record must have to count. */
enum { H_JOB = 1, H_RECEIVED = 2, H_IP = 4, H_FROM = 8, H_ACTION = 16 };
#define H_REQUIRED (H_JOB | H_RECEIVED | H_IP | H_FROM | H_ACTION)

struct hist_reader {
    FILE *fp;
    struct lr_reader lr;
    off_t start, done;
    struct hist_stats st;
    struct hist_record rec[2];     /* the one returned, the one being read */
    int cur;
    bool open, bad, ended;
    unsigned have;
    off_t cur_at;
};

/* A bounded copy: the reader's lines are at most HIST_LINE_MAX. */
static void
hr_copy(char *out, size_t outsz, const char *s)
{
    size_t n = strnlen(s, outsz - 1);

    memcpy(out, s, n);
    out[n] = '\0';
}

static void
hr_clear(struct hist_record *r)
{
    r->job[0] = r->reporter[0] = r->ipaddr[0] = r->from[0] = '\0';
    r->mfrom[0] = r->spf_domain[0] = r->pdomain[0] = '\0';
    r->received = 0;
    r->n_dkim = r->n_rua = r->n_reasons = 0;
    r->spf_evaluated = false;
    r->spf = DM_AUTH_NONE;
    r->spf_scope = HIST_SCOPE_UNKNOWN;
    r->policy = HIST_POLICY_UNKNOWN;
    r->pct = 100;
    r->adkim = r->aspf = r->p = r->sp = r->np = r->t = 0;
    r->fo = 0;
    r->discovery = HIST_DISCOVERY_UNKNOWN;
    r->align_dkim = r->align_spf = HIST_ALIGN_UNKNOWN;
    r->arc_pass = false;
    r->action = HIST_ACTION_NONE;
}

/* A decimal in [lo, hi]. */
static bool
hr_num(const char *s, long long lo, long long hi, long long *out)
{
    char *end;
    long long v;

    if (*s == '\0')
        return false;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (errno != 0 || *end != '\0' || v < lo || v > hi)
        return false;
    *out = v;
    return true;
}

/* A domain as written by a normalising writer; "-" means none. */
static bool
hr_domain(const char *s, char *out, bool dash_ok)
{
    size_t n = strlen(s);

    if (dash_ok && strcmp(s, "-") == 0) {
        out[0] = '\0';
        return true;
    }
    if (n == 0 || n >= DM_DOMAIN_MAX)
        return false;
    for (size_t i = 0; i < n; i++) {
        unsigned char c = (unsigned char)s[i];
        if (!isalnum(c) && c != '.' && c != '-' && c != '_')
            return false;
        out[i] = (char)tolower(c);
    }
    out[n] = '\0';
    return true;
}

/* An address, rewritten in its canonical text form. */
static bool
hr_ip(const char *s, char *out)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, s, a) == 1)
        return inet_ntop(AF_INET, a, out, HIST_IP_MAX) != NULL;
    if (inet_pton(AF_INET6, s, a) == 1)
        return inet_ntop(AF_INET6, a, out, HIST_IP_MAX) != NULL;
    return false;
}

/* A tag stored as its ASCII code: 0 or one of the letters in ok. */
static bool
hr_letter(const char *s, const char *ok, char *out)
{
    long long v;

    if (!hr_num(s, 0, 255, &v) || (v != 0 && strchr(ok, (int)v) == NULL))
        return false;
    *out = (char)v;
    return true;
}

static bool
hr_dkim(struct hist_record *r, char *v)
{
    char *sel = strchr(v, ' '), *code;
    long long c;
    enum dm_auth a;
    struct hist_dkim *k;

    if (sel == NULL || (code = strchr(sel + 1, ' ')) == NULL)
        return false;
    *sel++ = '\0';
    *code++ = '\0';
    if (!hr_num(code, -1, 99, &c) || !hc_ares_parse((long)c, &a))
        return false;
    if (r->n_dkim == HIST_DKIM_MAX)
        return true;                /* kept: the first ones */
    k = &r->dkim[r->n_dkim];
    if (!hr_domain(v, k->domain, false) || strlen(sel) >= DM_SELECTOR_MAX)
        return false;
    strcpy(k->selector, strcmp(sel, "-") == 0 ? "" : sel);
    k->result = a;
    r->n_dkim++;
    return true;
}

static bool
hr_spf(struct hist_record *r, const char *v)
{
    long long c;

    if (!hr_num(v, -1, 99, &c))
        return false;
    r->spf_evaluated = c != -1;
    return c == -1 || hc_ares_parse((long)c, &r->spf);
}

static bool
hr_rua(struct hist_record *r, const char *v)
{
    if (strcmp(v, "-") == 0 || r->n_rua == HIST_RUA_MAX)
        return true;
    if (strlen(v) >= HIST_URI_MAX)
        return false;
    strcpy(r->rua[r->n_rua++], v);
    return true;
}

static bool
hr_reason(struct hist_record *r, char *v)
{
    char *comment = strchr(v, ' ');
    struct hist_reason *x;

    if (comment != NULL)
        *comment++ = '\0';
    if (r->n_reasons == HIST_REASON_MAX)
        return true;
    x = &r->reasons[r->n_reasons];
    if (!hist_reason_parse(v, &x->type))
        return false;
    snprintf(x->comment, sizeof(x->comment), "%s",
             comment != NULL ? comment : "");
    r->n_reasons++;
    return true;
}

static bool
hr_enum(const char *v, const int *ok, size_t n, int *out)
{
    long long x;

    if (!hr_num(v, -1, 255, &x))
        return false;
    for (size_t i = 0; i < n; i++) {
        if (ok[i] == x) {
            *out = (int)x;
            return true;
        }
    }
    return false;
}

/* Most keys differ in their first byte: test it before the strcmp. */
#define HR_IS(k, name) ((k)[0] == (name)[0] && strcmp((k), (name)) == 0)

static const int hr_policies[] = { 14, 15, 16, 17, 18 };
static const int hr_actions[] = { 0, 1, 2, 3, 4 };
static const int hr_aligns[] = { 0, 4, 5 };

/* The keys that carry policy, alignment and the action. */
static int
hr_apply_policy(struct hist_record *r, const char *k, const char *v)
{
    long long n;
    int e;

    if (HR_IS(k, "policy")) {
        if (!hr_enum(v, hr_policies, 5, &e))
            return 0;
        r->policy = (enum hist_policy)e;
    } else if (HR_IS(k, "pct")) {
        if (!hr_num(v, 0, 100, &n))
            return 0;
        r->pct = (int)n;
    } else if (HR_IS(k, "adkim") || HR_IS(k, "aspf")) {
        return hr_letter(v, "rs", k[1] == 'd' ? &r->adkim : &r->aspf);
    } else if (HR_IS(k, "p") || HR_IS(k, "sp") ||
               HR_IS(k, "np")) {
        return hr_letter(v, "nqr", k[0] == 'p' ? &r->p :
                         k[0] == 's' ? &r->sp : &r->np);
    } else if (HR_IS(k, "t")) {
        return hr_letter(v, "yn", &r->t);
    } else if (HR_IS(k, "fo")) {
        if (!hr_num(v, 0, 15, &n))
            return 0;
        r->fo = (unsigned)n;
    } else if (HR_IS(k, "align_dkim") || HR_IS(k, "align_spf")) {
        if (!hr_enum(v, hr_aligns, 3, &e))
            return 0;
        *(k[6] == 'd' ? &r->align_dkim : &r->align_spf) = (enum hist_align)e;
    } else if (HR_IS(k, "action")) {
        if (!hr_enum(v, hr_actions, 5, &e))
            return 0;
        r->action = (enum hist_action)e;
    } else {
        return -1;
    }
    return 1;
}

/* The other keys. 1 applied, 0 bad value, -1 unknown key. */
static int
hr_apply_other(struct hist_record *r, const char *k, char *v)
{
    long long n;

    if (HR_IS(k, "reporter"))
        hr_copy(r->reporter, sizeof(r->reporter), v);
    else if (HR_IS(k, "received")) {
        if (!hr_num(v, 0, 1LL << 40, &n))
            return 0;
        r->received = n;
    } else if (HR_IS(k, "ipaddr"))
        return hr_ip(v, r->ipaddr);
    else if (HR_IS(k, "from"))
        return hr_domain(v, r->from, false);
    else if (HR_IS(k, "mfrom"))
        return *v == '\0' ? (r->mfrom[0] = '\0', 1)
                          : hr_domain(v, r->mfrom, true);
    else if (HR_IS(k, "pdomain"))
        return hr_domain(v, r->pdomain, true);
    else if (HR_IS(k, "spf_domain"))
        return hr_domain(v, r->spf_domain, true);
    else if (HR_IS(k, "dkim"))
        return hr_dkim(r, v);
    else if (HR_IS(k, "spf"))
        return hr_spf(r, v);
    else if (HR_IS(k, "spf_scope")) {
        if (!hr_num(v, -1, 2, &n))
            return 0;
        r->spf_scope = n == 1 ? HIST_SCOPE_MFROM : n == 2 ? HIST_SCOPE_HELO
                                                          : HIST_SCOPE_UNKNOWN;
    } else if (HR_IS(k, "rua"))
        return hr_rua(r, v);
    else if (HR_IS(k, "reason"))
        return hr_reason(r, v);
    else if (HR_IS(k, "discovery_method"))
        r->discovery = strcmp(v, "psl") == 0 ? HIST_DISCOVERY_PSL :
            strcmp(v, "treewalk") == 0 ? HIST_DISCOVERY_TREEWALK
                                       : HIST_DISCOVERY_UNKNOWN;
    else if (HR_IS(k, "arc"))
        r->arc_pass = strcmp(v, "0") == 0;
    else if (!HR_IS(k, "arc_policy"))
        return hr_apply_policy(r, k, v);
    return 1;
}

/* One "key value" line of the open record. */
static void
hr_apply(struct hist_reader *h, char *line)
{
    struct hist_record *r = &h->rec[h->cur];
    char *v = strchr(line, ' ');
    int st;

    if (v != NULL)
        *v++ = '\0';
    else
        v = line + strlen(line);
    st = hr_apply_other(r, line, v);
    if (st < 0) {
        h->st.unknown++;
        return;
    }
    if (st == 0)
        h->bad = true;
    if (HR_IS(line, "received"))
        h->have |= H_RECEIVED;
    else if (HR_IS(line, "ipaddr"))
        h->have |= H_IP;
    else if (HR_IS(line, "from"))
        h->have |= H_FROM;
    else if (HR_IS(line, "action"))
        h->have |= H_ACTION;
}

/* Start a record at the "job" line at offset at. */
static void
hr_begin(struct hist_reader *h, const char *job, off_t at)
{
    struct hist_record *r = &h->rec[h->cur];

    hr_clear(r);
    hr_copy(r->job, sizeof(r->job), job);
    h->open = true;
    h->bad = false;
    h->have = H_JOB;
    h->cur_at = at;
}

/* Close the open record: true when it is whole and returned. */
static bool
hr_finish(struct hist_reader *h, const struct hist_record **r, off_t *at)
{
    h->open = false;
    if (h->bad || (h->have & H_REQUIRED) != H_REQUIRED) {
        h->st.broken++;
        return false;
    }
    *r = &h->rec[h->cur];
    *at = h->cur_at;
    h->cur ^= 1;
    h->st.records++;
    return true;
}

struct hist_reader *
hist_open_stream(FILE *fp, off_t start, off_t stop)
{
    struct hist_reader *h = calloc(1, sizeof(*h));

    if (h == NULL || lr_init(&h->lr, fp, HIST_LINE_MAX, 0) != 0) {
        free(h);
        fclose(fp);
        errno = ENOMEM;
        return NULL;
    }
    h->fp = fp;
    h->start = h->done = start;
    /* reading stops at the snapshot: LR_BIG past it */
    h->lr.limit = stop > start ? (unsigned long long)(stop - start) : 1;
    h->ended = stop <= start;
    return h;
}

struct hist_reader *
hist_open(const char *path, off_t start, off_t stop)
{
    FILE *fp = fopen(path, "r");

    if (fp == NULL)
        return NULL;
    setvbuf(fp, NULL, _IOFBF, 1 << 16);
    if (fseeko(fp, start, SEEK_SET) != 0) {
        fclose(fp);
        return NULL;
    }
    return hist_open_stream(fp, start, stop);
}

/* The end of the snapshot (or of the file) at offset end: the open
   record counts only when its last line was whole and it holds its
   action; otherwise it is still being written, for the next run. */
static int
hr_end(struct hist_reader *h, off_t end, bool whole,
       const struct hist_record **r, off_t *at)
{
    h->ended = true;
    if (!h->open)
        return 0;
    if (!whole || !(h->have & H_ACTION)) {
        h->open = false;
        return 0;
    }
    h->done = end;
    return hr_finish(h, r, at) ? 1 : 0;
}

int
hist_next(struct hist_reader *h, const struct hist_record **r, off_t *at)
{
    while (!h->ended) {
        off_t line_at = h->start + (off_t)h->lr.total;
        enum lr_status st = lr_next(&h->lr);

        if (st == LR_ERROR)
            return -1;
        if (st == LR_EOF)
            return hr_end(h, h->start + (off_t)h->lr.total, true, r, at);
        if (st == LR_BIG)           /* the line crossing the snapshot */
            return hr_end(h, line_at, true, r, at);
        if (!h->lr.newline)         /* a line being written at the end */
            return hr_end(h, line_at, false, r, at);
        if (st != LR_LINE) {
            h->st.bad_lines++;
            if (h->open)
                h->bad = true;
            else
                h->done = h->start + (off_t)h->lr.total;
            continue;
        }
        if (strncmp(h->lr.line, "job ", 4) == 0) {
            bool got = h->open && hr_finish(h, r, at);
            hr_begin(h, h->lr.line + 4, line_at);
            h->done = line_at;
            if (got)
                return 1;
        } else if (!h->open) {
            h->st.bad_lines++;      /* outside any record */
            h->done = h->start + (off_t)h->lr.total;
        } else {
            hr_apply(h, h->lr.line);
        }
    }
    return 0;
}

off_t
hist_done(const struct hist_reader *h)
{
    return h->done;
}

const struct hist_stats *
hist_stats(const struct hist_reader *h)
{
    return &h->st;
}

void
hist_close(struct hist_reader *h)
{
    if (h == NULL)
        return;
    lr_free(&h->lr);
    fclose(h->fp);
    free(h);
}
