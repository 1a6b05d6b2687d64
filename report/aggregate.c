/*
 * aggregate.c: count history records into reports and rows (see
 * aggregate.h). Rows and reports live in two growing arrays found again
 * through open-addressing indexes over their keys (the same scheme as
 * intern.c); a million distinct rows cost about 60 MB.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/aggregate.h"

/* An index of uint32 positions (+1; 0 is empty) into an array. */
struct ag_index {
    uint32_t *slot;
    size_t mask;
};

struct ag_rkey {                /* a report's key */
    uint32_t domain;
    uint32_t pad;
    long long begin;
};

struct ag_set {
    long long interval;
    struct it_table *strings;
    struct ag_row *rows;
    size_t n_rows, cap_rows;
    struct ag_index row_index;
    struct ag_report *reports;
    size_t n_reports, cap_reports;
    struct ag_index report_index;
    uint32_t empty;             /* the id of "" */
};

static int
ai_init(struct ag_index *x)
{
    x->mask = 4095;
    x->slot = calloc(x->mask + 1, sizeof(*x->slot));
    return x->slot != NULL ? 0 : -1;
}

struct ag_set *
ag_new(long long interval)
{
    struct ag_set *s = calloc(1, sizeof(*s));

    if (s == NULL)
        return NULL;
    s->interval = interval < 3600 ? 3600 : interval - interval % 3600;
    if ((s->strings = it_new()) == NULL || ai_init(&s->row_index) != 0 ||
        ai_init(&s->report_index) != 0 ||
        (s->empty = it_intern(s->strings, "", 0)) == IT_NONE) {
        ag_free(s);
        return NULL;
    }
    return s;
}

void
ag_free(struct ag_set *s)
{
    if (s == NULL)
        return;
    it_free(s->strings);
    free(s->rows);
    free(s->reports);
    free(s->row_index.slot);
    free(s->report_index.slot);
    free(s);
}

void
ag_interval(const struct ag_set *s, long long t, long long *begin,
            long long *end)
{
    *begin = t - ((t % s->interval) + s->interval) % s->interval;
    *end = *begin + s->interval;
}

/* Grow an index when half full; keyf gives the key of position i. */
static int
ai_grow(struct ag_index *x, size_t n, const void *(*keyf)(void *, size_t),
        size_t keylen, void *arg)
{
    size_t mask = x->mask * 2 + 1;
    uint32_t *slot;

    if (n * 2 <= x->mask)
        return 0;
    if ((slot = calloc(mask + 1, sizeof(*slot))) == NULL)
        return -1;
    for (size_t i = 0; i < n; i++) {
        size_t j = it_hash(keyf(arg, i), keylen) & mask;
        while (slot[j] != 0)
            j = (j + 1) & mask;
        slot[j] = (uint32_t)i + 1;
    }
    free(x->slot);
    x->slot = slot;
    x->mask = mask;
    return 0;
}

static const void *
ag_row_key(void *arg, size_t i)
{
    return &((struct ag_set *)arg)->rows[i].key;
}

static const void *
ag_report_key(void *arg, size_t i)
{
    static struct ag_rkey k;    /* one caller at a time: ai_grow */
    const struct ag_report *r = &((struct ag_set *)arg)->reports[i];

    memset(&k, 0, sizeof(k));
    k.domain = r->domain;
    k.begin = r->begin;
    return &k;
}

/* Grow an array of elements of size sz to hold one more. */
static int
ag_reserve(void **arr, size_t *cap, size_t n, size_t sz)
{
    size_t c;
    void *p;

    if (n < *cap)
        return 0;
    c = *cap ? *cap * 2 : 1024;
    if ((p = realloc(*arr, c * sz)) == NULL)
        return -1;
    *arr = p;
    *cap = c;
    return 0;
}

/* The report of (domain, begin), created when new; its index or -1. */
static long
ag_find_report(struct ag_set *s, uint32_t domain, long long begin)
{
    struct ag_rkey k;
    size_t i;
    struct ag_report *r;

    memset(&k, 0, sizeof(k));
    k.domain = domain;
    k.begin = begin;
    i = it_hash(&k, sizeof(k)) & s->report_index.mask;
    for (; s->report_index.slot[i] != 0; i = (i + 1) & s->report_index.mask) {
        r = &s->reports[s->report_index.slot[i] - 1];
        if (r->domain == domain && r->begin == begin)
            return (long)s->report_index.slot[i] - 1;
    }
    if (ag_reserve((void **)&s->reports, &s->cap_reports, s->n_reports,
                   sizeof(*s->reports)) != 0)
        return -1;
    r = &s->reports[s->n_reports];
    memset(r, 0, sizeof(*r));
    r->domain = domain;
    r->begin = begin;
    r->end = begin + s->interval;
    r->last_seen = -1;
    s->report_index.slot[i] = (uint32_t)++s->n_reports;
    if (ai_grow(&s->report_index, s->n_reports, ag_report_key, sizeof(k),
                s) != 0)
        return -1;
    return (long)s->n_reports - 1;
}

/* Count one more for key; -1 when memory is short. */
static int
ag_count(struct ag_set *s, const struct ag_key *key)
{
    size_t i = it_hash(key, sizeof(*key)) & s->row_index.mask;

    for (; s->row_index.slot[i] != 0; i = (i + 1) & s->row_index.mask) {
        struct ag_row *row = &s->rows[s->row_index.slot[i] - 1];
        if (memcmp(&row->key, key, sizeof(*key)) == 0) {
            row->count++;
            return 0;
        }
    }
    if (s->n_rows >= UINT32_MAX - 1 ||
        ag_reserve((void **)&s->rows, &s->cap_rows, s->n_rows,
                   sizeof(*s->rows)) != 0)
        return -1;
    s->rows[s->n_rows].key = *key;
    s->rows[s->n_rows].count = 1;
    s->row_index.slot[i] = (uint32_t)++s->n_rows;
    return ai_grow(&s->row_index, s->n_rows, ag_row_key, sizeof(*key), s);
}

/* RFC 9990 2.1.2's order: strict-aligned passes, relaxed, other
   passes, the rest; the rank of one signature. */
static int
ag_dkim_rank(const struct hist_dkim *k, const char *from)
{
    if (k->result != DM_AUTH_PASS)
        return 3;
    if (strcmp(k->domain, from) == 0)
        return 0;
    return dn_is_subdomain(k->domain, from) ||
           dn_is_subdomain(from, k->domain) ? 1 : 2;
}

/* Append s and sep at buf[len] (sized for the worst case); the length. */
static size_t
ag_cat(char *buf, size_t len, const char *s, char sep)
{
    size_t n = strlen(s);

    memcpy(buf + len, s, n);
    buf[len + n] = sep;
    return len + n + 1;
}

/* The signatures as "domain TAB selector TAB result" lines, interned. */
static uint32_t
ag_dkim_id(struct ag_set *s, const struct hist_record *r)
{
    char buf[HIST_DKIM_MAX * (DM_DOMAIN_MAX + DM_SELECTOR_MAX + 16)];
    size_t len = 0;

    for (int rank = 0; rank < 4; rank++) {
        for (size_t i = 0; i < r->n_dkim; i++) {
            const struct hist_dkim *k = &r->dkim[i];
            if (ag_dkim_rank(k, r->from) != rank)
                continue;
            len = ag_cat(buf, len, k->domain, '\t');
            len = ag_cat(buf, len, k->selector, '\t');
            len = ag_cat(buf, len, dm_auth_name(k->result), '\n');
        }
    }
    return it_intern(s->strings, buf, len);
}

static uint32_t
ag_reasons_id(struct ag_set *s, const struct hist_record *r, bool rfc9990)
{
    char buf[HIST_REASON_MAX * (HIST_COMMENT_MAX + 32)];
    size_t len = 0;

    for (size_t i = 0; i < r->n_reasons; i++) {
        enum hist_reason_type t = r->reasons[i].type;
        /* each form has its own words: map the other form's to theirs */
        if (rfc9990 && (t == HIST_REASON_FORWARDED ||
                        t == HIST_REASON_SAMPLED_OUT))
            t = t == HIST_REASON_FORWARDED ? HIST_REASON_OTHER
                                           : HIST_REASON_LOCAL_POLICY;
        if (!rfc9990 && t == HIST_REASON_POLICY_TEST_MODE)
            t = HIST_REASON_SAMPLED_OUT;
        len += (size_t)snprintf(buf + len, sizeof(buf) - len, "%s\t%s\n",
                                hist_reason_name(t), r->reasons[i].comment);
    }
    return it_intern(s->strings, buf, len);
}

static enum ag_disp
ag_disp_of(const struct hist_record *r, bool rfc9990)
{
    switch (r->action) {
    case HIST_ACTION_REJECT:
    case HIST_ACTION_DISCARD:
        return AG_DISP_REJECT;
    case HIST_ACTION_QUARANTINE:
        return AG_DISP_QUARANTINE;
    default:
        return rfc9990 && r->policy == HIST_POLICY_PASS ? AG_DISP_PASS
                                                        : AG_DISP_NONE;
    }
}

static uint32_t
ag_intern(struct ag_set *s, const char *str)
{
    return it_intern(s->strings, str, strlen(str));
}

/* Fill the key of r's row; false when memory is short. */
static bool
ag_make_key(struct ag_set *s, const struct hist_record *r, bool rfc9990,
            struct ag_key *k)
{
    const char *spf_domain = r->spf_domain[0] ? r->spf_domain : r->mfrom;

    memset(k, 0, sizeof(*k));
    k->ip = ag_intern(s, r->ipaddr);
    k->header_from = ag_intern(s, r->from);
    k->envelope_from = ag_intern(s, r->mfrom);
    k->spf_domain = ag_intern(s, spf_domain);
    k->dkim = ag_dkim_id(s, r);
    k->reasons = ag_reasons_id(s, r, rfc9990);
    k->disp = (uint8_t)ag_disp_of(r, rfc9990);
    k->dkim_pass = r->align_dkim == HIST_ALIGN_PASS;
    k->spf_pass = r->align_spf == HIST_ALIGN_PASS;
    k->has_spf = r->spf_evaluated && spf_domain[0] != '\0';
    k->spf_result = (uint8_t)(k->has_spf ? r->spf : DM_AUTH_NONE);
    k->spf_scope = (uint8_t)(k->has_spf ? r->spf_scope : 0);
    k->null_sender = r->mfrom[0] == '\0';
    return k->ip != IT_NONE && k->header_from != IT_NONE &&
           k->envelope_from != IT_NONE && k->spf_domain != IT_NONE &&
           k->dkim != IT_NONE && k->reasons != IT_NONE;
}

/* The published policy: the newest record's (RFC 9990 2.1). */
static bool
ag_take_policy(struct ag_set *s, struct ag_report *rep,
               const struct hist_record *r)
{
    char buf[HIST_RUA_MAX * (HIST_URI_MAX + 1)];
    size_t len = 0;

    rep->messages++;
    if (r->received < rep->last_seen)
        return true;
    rep->last_seen = r->received;
    rep->p = r->p;
    rep->sp = r->sp;
    rep->np = r->np;
    rep->adkim = r->adkim;
    rep->aspf = r->aspf;
    rep->t = r->t;
    rep->pct = r->pct;
    rep->fo = r->fo;
    rep->discovery = r->discovery;
    for (size_t i = 0; i < r->n_rua && i < HIST_RUA_MAX; i++)
        len = ag_cat(buf, len, r->rua[i], '\n');
    rep->rua = it_intern(s->strings, buf, len);
    return rep->rua != IT_NONE;
}

int
ag_add(struct ag_set *s, const struct hist_record *r, bool rfc9990,
       bool *counted)
{
    struct ag_key k;
    long long begin, end;
    uint32_t domain;
    long ri;

    *counted = false;
    if (r->policy == HIST_POLICY_UNKNOWN || r->pdomain[0] == '\0' ||
        r->n_rua == 0)
        return 0;
    ag_interval(s, r->received, &begin, &end);
    if ((domain = ag_intern(s, r->pdomain)) == IT_NONE ||
        (ri = ag_find_report(s, domain, begin)) < 0 ||
        !ag_make_key(s, r, rfc9990, &k) ||
        !ag_take_policy(s, &s->reports[ri], r))
        return -1;
    k.report = (uint32_t)ri;
    if (ag_count(s, &k) != 0)
        return -1;
    *counted = true;
    return 0;
}

static int
ag_cmp_rows(const void *a, const void *b, void *arg)
{
    const struct ag_row *x = a, *y = b;
    const struct ag_set *s = arg;

    if (x->key.report != y->key.report)
        return x->key.report < y->key.report ? -1 : 1;
    if (x->count != y->count)
        return x->count > y->count ? -1 : 1;
    (void)s;
    return x->key.ip < y->key.ip ? -1 : x->key.ip > y->key.ip;
}

static int
ag_cmp_reports(const void *a, const void *b, void *arg)
{
    const struct ag_report *x = a, *y = b;
    const struct ag_set *s = arg;
    int c = strcmp(it_str(s->strings, x->domain),
                   it_str(s->strings, y->domain));

    return c != 0 ? c : x->begin < y->begin ? -1 : x->begin > y->begin;
}

int
ag_finish(struct ag_set *s)
{
    size_t i, j;
    uint32_t *to = malloc((s->n_reports + 1) * sizeof(*to));

    if (to == NULL)
        return -1;
    /* sort the reports; then renumber the rows' report to the new order */
    for (i = 0; i < s->n_reports; i++)
        s->reports[i].first_row = i;        /* the old index, for now */
    if (s->n_reports > 1)       /* none: reports may still be NULL */
        qsort_r(s->reports, s->n_reports, sizeof(*s->reports),
                ag_cmp_reports, s);
    for (i = 0; i < s->n_reports; i++)
        to[s->reports[i].first_row] = (uint32_t)i;
    for (i = 0; i < s->n_rows; i++)
        s->rows[i].key.report = to[s->rows[i].key.report];
    free(to);
    if (s->n_rows > 1)
        qsort_r(s->rows, s->n_rows, sizeof(*s->rows), ag_cmp_rows, s);
    for (i = 0, j = 0; i < s->n_reports; i++) {
        s->reports[i].first_row = j;
        while (j < s->n_rows && s->rows[j].key.report == i)
            j++;
        s->reports[i].n_rows = j - s->reports[i].first_row;
    }
    /* the indexes point at the old positions: no ag_add() after this */
    free(s->row_index.slot);
    free(s->report_index.slot);
    s->row_index.slot = s->report_index.slot = NULL;
    return 0;
}

size_t ag_n_reports(const struct ag_set *s) { return s->n_reports; }
size_t ag_n_rows(const struct ag_set *s) { return s->n_rows; }
const struct ag_row *ag_rows(const struct ag_set *s) { return s->rows; }

const struct ag_report *
ag_report(const struct ag_set *s, size_t i)
{
    return &s->reports[i];
}

const char *
ag_str(const struct ag_set *s, uint32_t id)
{
    return it_str(s->strings, id);
}
