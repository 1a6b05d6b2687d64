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

/* A decimal in [lo, hi]. The usual value, a few digits, is read here;
   anything else (a sign, spaces, many digits) as strtoll reads it. */
static bool
hr_num(const char *s, long long lo, long long hi, long long *out)
{
    const char *d = s + (*s == '-');
    char *end;
    long long v = 0;
    size_t n = 0;

    while (d[n] >= '0' && d[n] <= '9' && n < 18)
        v = v * 10 + (d[n++] - '0');
    if (n > 0 && d[n] == '\0') {
        v = *s == '-' ? -v : v;
    } else {
        if (*s == '\0')
            return false;
        errno = 0;
        v = strtoll(s, &end, 10);
        if (errno != 0 || *end != '\0')
            return false;
    }
    if (v < lo || v > hi)
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

/* An IPv4 address in dotted decimal: what inet_ntop writes, without
   the sprintf it costs for each of a million records. */
static void
hr_ip4_text(const unsigned char a[4], char *out)
{
    for (int i = 0; i < 4; i++) {
        if (a[i] >= 100)
            *out++ = (char)('0' + a[i] / 100);
        if (a[i] >= 10)
            *out++ = (char)('0' + a[i] / 10 % 10);
        *out++ = (char)('0' + a[i] % 10);
        *out++ = i < 3 ? '.' : '\0';
    }
}

/* An address, rewritten in its canonical text form. */
static bool
hr_ip(const char *s, char *out)
{
    unsigned char a[16];

    if (inet_pton(AF_INET, s, a) == 1) {
        hr_ip4_text(a, out);
        return true;
    }
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

enum hr_key {
    HK_UNKNOWN, HK_REPORTER, HK_RECEIVED, HK_IPADDR, HK_FROM, HK_MFROM,
    HK_PDOMAIN, HK_SPF_DOMAIN, HK_DKIM, HK_SPF, HK_SPF_SCOPE, HK_RUA,
    HK_REASON, HK_DISCOVERY, HK_ARC, HK_ARC_POLICY, HK_POLICY, HK_PCT,
    HK_ADKIM, HK_ASPF, HK_P, HK_SP, HK_NP, HK_T, HK_FO, HK_ALIGN_DKIM,
    HK_ALIGN_SPF, HK_ACTION
};

/* The keys by their length: a line's key is compared with a few names,
   not with all of them (a million records are 25 million lines). */
static const struct hr_name {
    const char *name;
    enum hr_key key;
} hr_names[17][4] = {
    [1] = { { "p", HK_P }, { "t", HK_T } },
    [2] = { { "sp", HK_SP }, { "np", HK_NP }, { "fo", HK_FO } },
    [3] = { { "spf", HK_SPF }, { "rua", HK_RUA }, { "arc", HK_ARC },
            { "pct", HK_PCT } },
    [4] = { { "from", HK_FROM }, { "dkim", HK_DKIM }, { "aspf", HK_ASPF } },
    [5] = { { "mfrom", HK_MFROM }, { "adkim", HK_ADKIM } },
    [6] = { { "ipaddr", HK_IPADDR }, { "reason", HK_REASON },
            { "policy", HK_POLICY }, { "action", HK_ACTION } },
    [7] = { { "pdomain", HK_PDOMAIN } },
    [8] = { { "reporter", HK_REPORTER }, { "received", HK_RECEIVED } },
    [9] = { { "spf_scope", HK_SPF_SCOPE }, { "align_spf", HK_ALIGN_SPF } },
    [10] = { { "spf_domain", HK_SPF_DOMAIN }, { "arc_policy", HK_ARC_POLICY },
             { "align_dkim", HK_ALIGN_DKIM } },
    [16] = { { "discovery_method", HK_DISCOVERY } },
};

static enum hr_key
hr_key(const char *k, size_t len)
{
    if (len >= sizeof(hr_names) / sizeof(hr_names[0]))
        return HK_UNKNOWN;
    for (size_t i = 0; i < 4 && hr_names[len][i].name != NULL; i++)
        if (hr_names[len][i].name[0] == k[0] &&
            memcmp(hr_names[len][i].name, k, len) == 0)
            return hr_names[len][i].key;
    return HK_UNKNOWN;
}

static const int hr_policies[] = { 14, 15, 16, 17, 18 };
static const int hr_actions[] = { 0, 1, 2, 3, 4 };
static const int hr_aligns[] = { 0, 4, 5 };

/* The keys that carry policy, alignment and the action. */
static int
hr_apply_policy(struct hist_record *r, enum hr_key k, const char *v)
{
    long long n;
    int e;

    switch (k) {
    case HK_POLICY:
        if (!hr_enum(v, hr_policies, 5, &e))
            return 0;
        r->policy = (enum hist_policy)e;
        return 1;
    case HK_PCT:
        if (!hr_num(v, 0, 100, &n))
            return 0;
        r->pct = (int)n;
        return 1;
    case HK_ADKIM: return hr_letter(v, "rs", &r->adkim);
    case HK_ASPF: return hr_letter(v, "rs", &r->aspf);
    case HK_P: return hr_letter(v, "nqr", &r->p);
    case HK_SP: return hr_letter(v, "nqr", &r->sp);
    case HK_NP: return hr_letter(v, "nqr", &r->np);
    case HK_T: return hr_letter(v, "yn", &r->t);
    case HK_FO:
        if (!hr_num(v, 0, 15, &n))
            return 0;
        r->fo = (unsigned)n;
        return 1;
    case HK_ALIGN_DKIM:
    case HK_ALIGN_SPF:
        if (!hr_enum(v, hr_aligns, 3, &e))
            return 0;
        *(k == HK_ALIGN_DKIM ? &r->align_dkim : &r->align_spf) =
            (enum hist_align)e;
        return 1;
    case HK_ACTION:
        if (!hr_enum(v, hr_actions, 5, &e))
            return 0;
        r->action = (enum hist_action)e;
        return 1;
    default:
        return -1;
    }
}

/* The other keys. 1 applied, 0 bad value, -1 unknown key. */
static int
hr_apply_other(struct hist_record *r, enum hr_key k, char *v)
{
    long long n;

    switch (k) {
    case HK_REPORTER: hr_copy(r->reporter, sizeof(r->reporter), v); break;
    case HK_RECEIVED:
        if (!hr_num(v, 0, 1LL << 40, &n))
            return 0;
        r->received = n;
        break;
    case HK_IPADDR: return hr_ip(v, r->ipaddr);
    case HK_FROM: return hr_domain(v, r->from, false);
    case HK_MFROM:
        return *v == '\0' ? (r->mfrom[0] = '\0', 1)
                          : hr_domain(v, r->mfrom, true);
    case HK_PDOMAIN: return hr_domain(v, r->pdomain, true);
    case HK_SPF_DOMAIN: return hr_domain(v, r->spf_domain, true);
    case HK_DKIM: return hr_dkim(r, v);
    case HK_SPF: return hr_spf(r, v);
    case HK_SPF_SCOPE:
        if (!hr_num(v, -1, 2, &n))
            return 0;
        r->spf_scope = n == 1 ? HIST_SCOPE_MFROM : n == 2 ? HIST_SCOPE_HELO
                                                          : HIST_SCOPE_UNKNOWN;
        break;
    case HK_RUA: return hr_rua(r, v);
    case HK_REASON: return hr_reason(r, v);
    case HK_DISCOVERY:
        r->discovery = strcmp(v, "psl") == 0 ? HIST_DISCOVERY_PSL :
            strcmp(v, "treewalk") == 0 ? HIST_DISCOVERY_TREEWALK
                                       : HIST_DISCOVERY_UNKNOWN;
        break;
    case HK_ARC: r->arc_pass = strcmp(v, "0") == 0; break;
    case HK_ARC_POLICY: break;
    default: return hr_apply_policy(r, k, v);
    }
    return 1;
}

/* One "key value" line of the open record. */
static void
hr_apply(struct hist_reader *h, char *line, size_t len)
{
    struct hist_record *r = &h->rec[h->cur];
    char *v = memchr(line, ' ', len);
    enum hr_key k = hr_key(line, v != NULL ? (size_t)(v - line) : len);
    int st;

    if (v != NULL)
        *v++ = '\0';
    else
        v = line + len;
    st = hr_apply_other(r, k, v);
    if (st < 0) {
        h->st.unknown++;
        return;
    }
    if (st == 0)
        h->bad = true;
    h->have |= k == HK_RECEIVED ? H_RECEIVED : k == HK_IPADDR ? H_IP :
               k == HK_FROM ? H_FROM : k == HK_ACTION ? H_ACTION : 0;
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
        if (h->lr.len >= 4 && memcmp(h->lr.line, "job ", 4) == 0) {
            bool got = h->open && hr_finish(h, r, at);
            hr_begin(h, h->lr.line + 4, line_at);
            h->done = line_at;
            if (got)
                return 1;
        } else if (!h->open) {
            h->st.bad_lines++;      /* outside any record */
            h->done = h->start + (off_t)h->lr.total;
        } else {
            hr_apply(h, h->lr.line, h->lr.len);
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
