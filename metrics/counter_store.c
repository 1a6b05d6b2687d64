/*
 * counter_store.c: the bounded, lock-free-for-counting DMARC counter store
 * (see counter_store.h).
 *
 * Layout, all allocated by cs_new():
 *   slots    open-addressing hash of domains, at most half full; a slot
 *            holds entry number + 1, published with a release store and
 *            never changed afterwards (domains are never removed);
 *   entries  the domains in insertion order, plus __other__ at the end;
 *            each names its row index per policy (0: no row yet);
 *   rows     rows[i] is the row with index i + 1: its counters.
 * The hash is keyed SipHash-2-4 with a random key: senders choose the
 * names, and a fixed hash would let them build one long probe chain.
 */
#include <config.h>

#include <arpa/nameser.h>
#include <errno.h>
#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "metrics/counter_store.h"
#include "dns/dns.h"
#include "util/util.h"

/* A MetricsDomains line: one domain name, and perhaps a comment. */
#define CS_LINE_MAX 1022

const double cs_eval_bounds[CS_EVAL_BUCKETS] = {
    0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10
};
const char *const cs_eval_bound_names[CS_EVAL_BUCKETS] = {
    "0.001", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5",
    "1.0", "2.5", "5.0", "10.0"
};

struct cs_entry {
    char name[DM_DOMAIN_MAX];
    _Atomic uint32_t row[DM_POLICY__COUNT];   /* row index, 0: none yet */
};

struct cs_row {
    _Atomic uint64_t result[DM_RESULT__COUNT];
    _Atomic uint64_t disp[DM_DISP__COUNT];
    uint32_t entry;                /* set before live */
    uint8_t policy;
    bool from_file;                /* restore only: saved under this name */
    atomic_bool live;
};

/* MetricsDomains: read-only once loaded. */
struct cs_allow {
    size_t mask;
    char **slot;                   /* NULL: empty */
};

struct cs_store {
    size_t max_domains;
    size_t mask;                   /* slots - 1, slots a power of two */
    _Atomic uint32_t *slots;
    struct cs_entry *entries;      /* max_domains + 1; the last: __other__ */
    struct cs_row *rows;
    uint32_t nrows;                /* capacity */
    uint64_t key[2];
    struct cs_allow *allow;        /* NULL: every domain may get a row */

    pthread_mutex_t lock;          /* creating entries and rows only */
    atomic_size_t n_entries;       /* __other__ not included */
    atomic_size_t n_rows;
    _Atomic uint32_t hi_index;     /* highest index in use */
    uint32_t next_index;           /* under lock */

    _Atomic uint64_t skipped[DM_SKIP__COUNT];
    _Atomic uint64_t overrides[DM_OVERRIDE__COUNT];
    _Atomic uint64_t standins[CS_STANDIN_COUNT];
    _Atomic uint64_t events[CS_EV__COUNT];
    cs_events_fn events_fn;        /* more events, kept elsewhere */
    void *events_arg;
    _Atomic uint64_t eval_bucket[CS_EVAL_BUCKETS + 1];
    _Atomic uint64_t eval_sum_ns;
    _Atomic uint64_t dns[CS_DNS_TYPE_COUNT][CS_DNS_STATUS_COUNT];
    _Atomic uint64_t dns_cached[CS_DNS_TYPE_COUNT];
};

/* ---- hashing ---- */

static inline uint64_t
cs_rotl(uint64_t x, int b)
{
    return (x << b) | (x >> (64 - b));
}

#define CS_SIPROUND do {                                                  \
    v0 += v1; v1 = cs_rotl(v1, 13); v1 ^= v0; v0 = cs_rotl(v0, 32);      \
    v2 += v3; v3 = cs_rotl(v3, 16); v3 ^= v2;                            \
    v0 += v3; v3 = cs_rotl(v3, 21); v3 ^= v0;                            \
    v2 += v1; v1 = cs_rotl(v1, 17); v1 ^= v2; v2 = cs_rotl(v2, 32);      \
} while (0)

/* SipHash-2-4 (Aumasson and Bernstein), little-endian message words. */
static uint64_t
cs_siphash(const uint64_t key[2], const char *in, size_t len)
{
    const unsigned char *p = (const unsigned char *)in;
    uint64_t v0 = key[0] ^ 0x736f6d6570736575ULL;
    uint64_t v1 = key[1] ^ 0x646f72616e646f6dULL;
    uint64_t v2 = key[0] ^ 0x6c7967656e657261ULL;
    uint64_t v3 = key[1] ^ 0x7465646279746573ULL;
    uint64_t m, b = (uint64_t)len << 56;
    size_t i, left = len & 7;

    for (i = 0; i + 8 <= len; i += 8) {
        m = 0;
        for (int k = 7; k >= 0; k--)
            m = (m << 8) | p[i + (size_t)k];
        v3 ^= m;
        CS_SIPROUND;
        CS_SIPROUND;
        v0 ^= m;
    }
    for (size_t k = 0; k < left; k++)
        b |= (uint64_t)p[i + k] << (8 * k);
    v3 ^= b;
    CS_SIPROUND;
    CS_SIPROUND;
    v0 ^= b;
    v2 ^= 0xff;
    CS_SIPROUND;
    CS_SIPROUND;
    CS_SIPROUND;
    CS_SIPROUND;
    return v0 ^ v1 ^ v2 ^ v3;
}

static void
cs_random_key(uint64_t key[2])
{
    if (getrandom(key, 2 * sizeof(key[0]), GRND_NONBLOCK) ==
        (ssize_t)(2 * sizeof(key[0])))
        return;
    /* Early boot without entropy: weaker, but the table still works. */
    key[0] = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    key[1] = (uint64_t)(uintptr_t)key ^ (uint64_t)clock();
}

/* ---- names ---- */

static bool
cs_name_char(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
           c == '_' || c == '.';
}

bool
cs_domain_ok(const char *name)
{
    size_t len = strnlen(name, DM_DOMAIN_MAX);

    if (len == 0 || len >= DM_DOMAIN_MAX)
        return false;
    if (strcmp(name, CS_OTHER_DOMAIN) == 0)
        return true;
    for (size_t i = 0; i < len; i++)
        if (!cs_name_char((unsigned char)name[i]))
            return false;
    return true;
}

/*
 * The row key for a verdict's domain: lower-cased, checked. False means
 * __other__: the milter normalises names, so this only catches what would
 * be unsafe as a label value or could pose as the overflow row.
 */
static bool
cs_key(const char *domain, char key[DM_DOMAIN_MAX], size_t *lenp)
{
    size_t len;

    if (domain == NULL)
        return false;
    for (len = 0; len < DM_DOMAIN_MAX - 1 && domain[len] != '\0'; len++) {
        unsigned char c = (unsigned char)domain[len];

        if (c >= 'A' && c <= 'Z')
            c = (unsigned char)(c - 'A' + 'a');
        if (!cs_name_char(c))
            return false;
        key[len] = (char)c;
    }
    if (len == 0 || domain[len] != '\0')
        return false;
    key[len] = '\0';
    if (strcmp(key, CS_OTHER_DOMAIN) == 0)
        return false;
    *lenp = len;
    return true;
}

/* ---- the allow list (MetricsDomains) ---- */

static void
cs_allow_free(struct cs_allow *a)
{
    if (a == NULL)
        return;
    for (size_t i = 0; i <= a->mask; i++)
        free(a->slot[i]);
    free(a->slot);
    free(a);
}

static bool
cs_allowed(const struct cs_store *cs, const char *key, size_t len)
{
    const struct cs_allow *a = cs->allow;
    size_t i;

    if (a == NULL)
        return true;
    for (i = cs_siphash(cs->key, key, len) & a->mask; a->slot[i] != NULL;
         i = (i + 1) & a->mask)
        if (strcmp(a->slot[i], key) == 0)
            return true;
    return false;
}

/* Adds name unless present; 1 added, 0 present, -1 out of memory. */
static int
cs_allow_add(const struct cs_store *cs, struct cs_allow *a, const char *name)
{
    size_t i;

    for (i = cs_siphash(cs->key, name, strlen(name)) & a->mask;
         a->slot[i] != NULL; i = (i + 1) & a->mask)
        if (strcmp(a->slot[i], name) == 0)
            return 0;
    a->slot[i] = strdup(name);
    return a->slot[i] != NULL ? 1 : -1;
}

/* One line of MetricsDomains into a; -1 with a reason naming the line. */
static int
cs_allow_line(const struct cs_store *cs, struct cs_allow *a,
              const struct lr_reader *r, const char *path, size_t *n,
              char *err, size_t errsz)
{
    char name[DM_DOMAIN_MAX], *s = r->line, *e, *hash;
    enum dn_status st;
    int added;

    if ((hash = strchr(s, '#')) != NULL)
        *hash = '\0';
    while (*s == ' ' || *s == '\t')
        s++;
    e = s + strlen(s);
    while (e > s && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    if (*s == '\0')
        return 0;
    if (strpbrk(s, " \t") != NULL) {
        snprintf(err, errsz, "%s:%zu: one domain per line", path, r->lineno);
        return -1;
    }
    st = dn_normalize(s, (size_t)(e - s), name, sizeof(name));
    if (st != DN_OK || !cs_domain_ok(name) ||
        strcmp(name, CS_OTHER_DOMAIN) == 0) {
        snprintf(err, errsz, "%s:%zu: \"%.80s\" is not a domain name%s%s",
                 path, r->lineno, s, st != DN_OK ? ": " : "",
                 st != DN_OK ? dn_strerror(st) : "");
        return -1;
    }
    if ((added = cs_allow_add(cs, a, name)) < 0) {
        snprintf(err, errsz, "MetricsDomains %s: out of memory", path);
        return -1;
    }
    *n += (size_t)added;
    if (*n > cs->max_domains) {
        snprintf(err, errsz, "%s:%zu: more domains than MetricsMaxDomains "
                 "(%zu)", path, r->lineno, cs->max_domains);
        return -1;
    }
    return 0;
}

/* Every line of fp into a; -1 with a reason. */
static int
cs_allow_read(const struct cs_store *cs, struct cs_allow *a, FILE *fp,
              const char *path, char *err, size_t errsz)
{
    struct lr_reader r;
    enum lr_status st;
    size_t n = 0;
    int rc = -1;

    if (lr_init(&r, fp, CS_LINE_MAX, LR_CRLF) != 0) {
        snprintf(err, errsz, "MetricsDomains %s: out of memory", path);
        return -1;
    }
    while ((st = lr_next(&r)) == LR_LINE)
        if (cs_allow_line(cs, a, &r, path, &n, err, errsz) != 0)
            goto out;
    if (st == LR_LONG)
        snprintf(err, errsz, "%s:%zu: line too long", path, r.lineno);
    else if (st == LR_NUL)
        snprintf(err, errsz, "%s:%zu: NUL byte in line", path, r.lineno);
    else if (st != LR_EOF)
        snprintf(err, errsz, "MetricsDomains %s: read error", path);
    else
        rc = 0;
out:
    lr_free(&r);
    return rc;
}

int
cs_restrict_domains(struct cs_store *cs, const char *path, char *err,
                    size_t errsz)
{
    struct cs_allow *a;
    FILE *fp;
    int rc;

    a = calloc(1, sizeof(*a));
    if (a == NULL || (a->slot = calloc(cs->mask + 1, sizeof(char *))) == NULL) {
        free(a);
        snprintf(err, errsz, "MetricsDomains %s: out of memory", path);
        return -1;
    }
    a->mask = cs->mask;
    if ((fp = fopen(path, "r")) == NULL) {
        snprintf(err, errsz, "MetricsDomains %s: %s", path, strerror(errno));
        cs_allow_free(a);
        return -1;
    }
    rc = cs_allow_read(cs, a, fp, path, err, errsz);
    fclose(fp);
    if (rc != 0) {
        cs_allow_free(a);
        return -1;
    }
    cs_allow_free(cs->allow);
    cs->allow = a;
    return 0;
}

/* ---- life ---- */

struct cs_store *
cs_new(size_t max_domains, char *err, size_t errsz)
{
    struct cs_store *cs;
    size_t slots = 16;

    if (max_domains < 1 || max_domains > CS_MAX_DOMAINS_LIMIT) {
        snprintf(err, errsz, "MetricsMaxDomains %zu: not between 1 and %u",
                 max_domains, (unsigned)CS_MAX_DOMAINS_LIMIT);
        return NULL;
    }
    while (slots < 2 * max_domains)
        slots *= 2;
    cs = calloc(1, sizeof(*cs));
    if (cs == NULL)
        goto nomem;
    cs->max_domains = max_domains;
    cs->mask = slots - 1;
    cs->nrows = (uint32_t)(4 * (max_domains + 1));
    /*
     * calloc: the big arrays come from fresh zero pages, so resident memory
     * grows with the rows in use up to the bound, never past it. Zero bytes
     * are the initial value of these lock-free atomics.
     */
    cs->slots = calloc(slots, sizeof(*cs->slots));
    cs->entries = calloc(max_domains + 1, sizeof(*cs->entries));
    cs->rows = calloc(cs->nrows, sizeof(*cs->rows));
    if (cs->slots == NULL || cs->entries == NULL || cs->rows == NULL)
        goto nomem;
    snprintf(cs->entries[max_domains].name, DM_DOMAIN_MAX, "%s",
             CS_OTHER_DOMAIN);
    cs_random_key(cs->key);
    if (pthread_mutex_init(&cs->lock, NULL) != 0)
        goto nomem;
    cs->next_index = 1;
    return cs;
nomem:
    if (cs != NULL) {
        free(cs->slots);
        free(cs->entries);
        free(cs->rows);
        free(cs);
    }
    snprintf(err, errsz, "metrics: out of memory for %zu domains",
             max_domains);
    return NULL;
}

void
cs_free(struct cs_store *cs)
{
    if (cs == NULL)
        return;
    pthread_mutex_destroy(&cs->lock);
    cs_allow_free(cs->allow);
    free(cs->slots);
    free(cs->entries);
    free(cs->rows);
    free(cs);
}

/* ---- finding and creating ---- */

static struct cs_entry *
cs_other(const struct cs_store *cs)
{
    return &cs->entries[cs->max_domains];
}

/* Lock-free: the entry for key, or NULL; *slot gets the empty slot seen. */
static struct cs_entry *
cs_find(const struct cs_store *cs, const char *key, size_t len, uint64_t h,
        size_t *slot)
{
    size_t i = h & cs->mask;
    uint32_t v;

    while ((v = atomic_load_explicit(&cs->slots[i],
                                     memory_order_acquire)) != 0) {
        struct cs_entry *e = &cs->entries[v - 1];

        if (memcmp(e->name, key, len + 1) == 0)
            return e;
        i = (i + 1) & cs->mask;
    }
    *slot = i;
    return NULL;
}

/* The entry for key, created if the bounds allow; else __other__. */
static struct cs_entry *
cs_entry_for(struct cs_store *cs, const char *key, size_t len)
{
    uint64_t h = cs_siphash(cs->key, key, len);
    struct cs_entry *e;
    size_t slot = 0, n;

    if ((e = cs_find(cs, key, len, h, &slot)) != NULL)
        return e;
    /* A flood of new names past the bound never reaches the lock. */
    if (!cs_allowed(cs, key, len) ||
        atomic_load_explicit(&cs->n_entries, memory_order_relaxed) >=
        cs->max_domains)
        return cs_other(cs);
    pthread_mutex_lock(&cs->lock);
    if ((e = cs_find(cs, key, len, h, &slot)) == NULL) {
        n = atomic_load_explicit(&cs->n_entries, memory_order_relaxed);
        if (n >= cs->max_domains) {
            e = cs_other(cs);
        } else {
            e = &cs->entries[n];
            memcpy(e->name, key, len + 1);
            atomic_store_explicit(&cs->slots[slot], (uint32_t)n + 1,
                                  memory_order_release);
            atomic_store_explicit(&cs->n_entries, n + 1,
                                  memory_order_release);
        }
    }
    pthread_mutex_unlock(&cs->lock);
    return e;
}

/* Under the lock: want if free, else the next, else the lowest hole. */
static uint32_t
cs_take_index(struct cs_store *cs, uint32_t want)
{
    uint32_t i;

    if (want >= 1 && want <= cs->nrows &&
        !atomic_load_explicit(&cs->rows[want - 1].live, memory_order_relaxed))
        i = want;
    else if (cs->next_index <= cs->nrows)
        i = cs->next_index;
    else {
        /* Only after a restore left holes: rows never outnumber nrows. */
        for (i = 1; i <= cs->nrows; i++)
            if (!atomic_load_explicit(&cs->rows[i - 1].live,
                                      memory_order_relaxed))
                break;
        if (i > cs->nrows)
            return 0;
    }
    if (i >= cs->next_index)
        cs->next_index = i + 1;
    return i;
}

/* The row of (e, policy), created with index want (0: next) if missing. */
static uint32_t
cs_row_for(struct cs_store *cs, struct cs_entry *e, enum dm_policy p,
           uint32_t want)
{
    struct cs_row *r;
    uint32_t idx;

    idx = atomic_load_explicit(&e->row[p], memory_order_acquire);
    if (idx != 0)
        return idx;
    pthread_mutex_lock(&cs->lock);
    idx = atomic_load_explicit(&e->row[p], memory_order_relaxed);
    if (idx == 0 && (idx = cs_take_index(cs, want)) != 0) {
        r = &cs->rows[idx - 1];
        r->entry = (uint32_t)(e - cs->entries);
        r->policy = (uint8_t)p;
        r->from_file = false;
        atomic_store_explicit(&r->live, true, memory_order_release);
        atomic_store_explicit(&e->row[p], idx, memory_order_release);
        atomic_fetch_add_explicit(&cs->n_rows, 1, memory_order_relaxed);
        if (idx > atomic_load_explicit(&cs->hi_index, memory_order_relaxed))
            atomic_store_explicit(&cs->hi_index, idx, memory_order_release);
    }
    pthread_mutex_unlock(&cs->lock);
    return idx;
}

/* ---- counting ---- */

bool
cs_count(struct cs_store *cs, const char *domain, enum dm_policy policy,
         enum dm_result result, enum dm_disposition disp)
{
    char key[DM_DOMAIN_MAX];
    struct cs_entry *e;
    struct cs_row *r;
    uint32_t idx;
    size_t len;

    if ((unsigned)policy >= DM_POLICY__COUNT ||
        (unsigned)result >= DM_RESULT__COUNT ||
        (unsigned)disp >= DM_DISP__COUNT)
        return false;
    e = cs_key(domain, key, &len) ? cs_entry_for(cs, key, len) : cs_other(cs);
    if ((idx = cs_row_for(cs, e, policy, 0)) == 0)
        return false;
    r = &cs->rows[idx - 1];
    atomic_fetch_add_explicit(&r->result[result], 1, memory_order_relaxed);
    /* Release: a reader that sees this disposition sees its result too. */
    atomic_fetch_add_explicit(&r->disp[disp], 1, memory_order_release);
    return true;
}

void
cs_count_skip(struct cs_store *cs, enum dm_skip why)
{
    if (why > DM_SKIP_NONE && (unsigned)why < DM_SKIP__COUNT)
        atomic_fetch_add_explicit(&cs->skipped[why], 1, memory_order_relaxed);
}

void
cs_observe_eval(struct cs_store *cs, double seconds)
{
    unsigned b = 0;
    uint64_t ns;

    if (!(seconds > 0))          /* NaN and negatives too */
        seconds = 0;
    if (seconds > 1e6)           /* keeps the conversion defined */
        seconds = 1e6;
    while (b < CS_EVAL_BUCKETS && seconds > cs_eval_bounds[b])
        b++;
    ns = (uint64_t)llround(seconds * 1e9);
    atomic_fetch_add_explicit(&cs->eval_sum_ns, ns, memory_order_relaxed);
    atomic_fetch_add_explicit(&cs->eval_bucket[b], 1, memory_order_relaxed);
}

/* Indexed by enum cs_dns_type, CS_DNS_OTHER excepted. */
static const int cs_dns_qtypes[CS_DNS_OTHER] = {
    ns_t_txt, ns_t_a, ns_t_aaaa, ns_t_mx, ns_t_ptr
};

enum cs_dns_type
cs_dns_type_of(int qtype)
{
    for (int i = 0; i < CS_DNS_OTHER; i++)
        if (cs_dns_qtypes[i] == qtype)
            return (enum cs_dns_type)i;
    return CS_DNS_OTHER;
}

const char *
cs_dns_type_name(int t)
{
    if (t < 0 || t >= CS_DNS_TYPE_COUNT)
        return NULL;
    return t == CS_DNS_OTHER ? "other" : dq_type_name(cs_dns_qtypes[t]);
}

void
cs_count_dns(struct cs_store *cs, int qtype, enum dns_status st, bool cached)
{
    enum cs_dns_type t = cs_dns_type_of(qtype);

    if ((unsigned)st >= CS_DNS_STATUS_COUNT)
        return;
    atomic_fetch_add_explicit(&cs->dns[t][st], 1, memory_order_relaxed);
    if (cached)
        atomic_fetch_add_explicit(&cs->dns_cached[t], 1,
                                  memory_order_relaxed);
}

const char *
cs_standin_name(int s)
{
    static const char *const names[CS_STANDIN_COUNT] = { "mailfrom", "helo" };

    return s >= 0 && s < CS_STANDIN_COUNT ? names[s] : NULL;
}

const char *
cs_event_name(int e)
{
    static const char *const names[] = {
        [CS_EV_HISTORY_WRITTEN] = "history_written",
        [CS_EV_HISTORY_FAILED] = "history_failed",
        [CS_EV_FAILURE_SENT] = "failure_report_sent",
        [CS_EV_FAILURE_FAILED] = "failure_report_failed",
        [CS_EV_FAILURE_DROPPED] = "failure_report_dropped",
        [CS_EV_FAILURE_LIMITED] = "failure_report_rate_limited",
        [CS_EV_FAILURE_REFUSED] = "failure_report_refused",
    };
    /* The state file keeps these names: a new event needs one. */
    _Static_assert(sizeof(names) / sizeof(names[0]) == CS_EV__COUNT,
                   "an event without a name");

    return e >= 0 && e < CS_EV__COUNT ? names[e] : NULL;
}

void
cs_verdict_hook(const struct dm_verdict *v, void *arg)
{
    struct cs_store *cs = arg;

    if (v->skip != DM_SKIP_NONE) {
        cs_count_skip(cs, v->skip);
        return;
    }
    if (!cs_count(cs, v->from_domain, v->policy, v->result, v->disposition))
        return;
    cs_observe_eval(cs, v->eval_seconds);
    if (v->override > DM_OVERRIDE_NONE &&
        (unsigned)v->override < DM_OVERRIDE__COUNT)
        atomic_fetch_add_explicit(&cs->overrides[v->override], 1,
                                  memory_order_relaxed);
    if (v->from_standin)
        atomic_fetch_add_explicit(&cs->standins[v->standin_helo ?
                                  CS_STANDIN_HELO : CS_STANDIN_MAILFROM], 1,
                                  memory_order_relaxed);
}

void
cs_count_event(struct cs_store *cs, enum cs_event ev)
{
    if ((unsigned)ev < CS_EV__COUNT)
        atomic_fetch_add_explicit(&cs->events[ev], 1, memory_order_relaxed);
}

void
cs_set_event_source(struct cs_store *cs, cs_events_fn fn, void *arg)
{
    cs->events_fn = fn;
    cs->events_arg = arg;
}

/* ---- reading ---- */

bool
cs_row_at(const struct cs_store *cs, uint32_t index, struct cs_row_view *out)
{
    struct cs_row *r;

    if (index == 0 || index > cs->nrows)
        return false;
    r = &cs->rows[index - 1];
    if (!atomic_load_explicit(&r->live, memory_order_acquire))
        return false;
    out->index = index;
    out->domain = cs->entries[r->entry].name;
    out->policy = (enum dm_policy)r->policy;
    /* Dispositions first (acquire), see cs_count(). */
    for (int i = 0; i < DM_DISP__COUNT; i++)
        out->disp[i] = atomic_load_explicit(&r->disp[i], memory_order_acquire);
    for (int i = 0; i < DM_RESULT__COUNT; i++)
        out->result[i] = atomic_load_explicit(&r->result[i],
                                              memory_order_relaxed);
    return true;
}

void
cs_foreach_row(const struct cs_store *cs, cs_row_fn fn, void *arg)
{
    uint32_t hi = atomic_load_explicit(&cs->hi_index, memory_order_acquire);
    struct cs_row_view v;

    for (uint32_t i = 1; i <= hi; i++)
        if (cs_row_at(cs, i, &v) && !fn(&v, arg))
            return;
}

uint32_t
cs_next_index(const struct cs_store *cs, uint32_t after)
{
    uint32_t hi = atomic_load_explicit(&cs->hi_index, memory_order_acquire);

    for (uint32_t i = after + 1; i >= 1 && i <= hi; i++)
        if (atomic_load_explicit(&cs->rows[i - 1].live, memory_order_acquire))
            return i;
    return 0;
}

void
cs_totals(const struct cs_store *cs, struct cs_totals *t)
{
    const struct cs_entry *o = cs_other(cs);

    memset(t, 0, sizeof(*t));
    for (int i = 0; i < DM_SKIP__COUNT; i++)
        t->skipped[i] = atomic_load_explicit(&cs->skipped[i],
                                             memory_order_relaxed);
    for (int i = 0; i < DM_OVERRIDE__COUNT; i++)
        t->overrides[i] = atomic_load_explicit(&cs->overrides[i],
                                               memory_order_relaxed);
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        t->standins[i] = atomic_load_explicit(&cs->standins[i],
                                              memory_order_relaxed);
    for (int i = 0; i < CS_EV__COUNT; i++)
        t->events[i] = atomic_load_explicit(&cs->events[i],
                                            memory_order_relaxed);
    if (cs->events_fn != NULL)
        cs->events_fn(cs->events_arg, t->events);
    /* Derived, so it always agrees with the __other__ rows. */
    for (int p = 0; p < DM_POLICY__COUNT; p++) {
        uint32_t idx = atomic_load_explicit(&o->row[p], memory_order_acquire);

        if (idx == 0)
            continue;
        for (int i = 0; i < DM_RESULT__COUNT; i++)
            t->overflow += atomic_load_explicit(&cs->rows[idx - 1].result[i],
                                                memory_order_relaxed);
    }
    t->tracked_domains = atomic_load_explicit(&cs->n_entries,
                                              memory_order_acquire);
    t->rows = atomic_load_explicit(&cs->n_rows, memory_order_relaxed);
    t->max_domains = cs->max_domains;
    for (int i = 0; i <= CS_EVAL_BUCKETS; i++) {
        t->eval_bucket[i] = atomic_load_explicit(&cs->eval_bucket[i],
                                                 memory_order_relaxed);
        t->eval_count += t->eval_bucket[i];
    }
    t->eval_sum_ns = atomic_load_explicit(&cs->eval_sum_ns,
                                          memory_order_relaxed);
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++) {
        for (int i = 0; i < CS_DNS_STATUS_COUNT; i++)
            t->dns[k][i] = atomic_load_explicit(&cs->dns[k][i],
                                                memory_order_relaxed);
        t->dns_cached[k] = atomic_load_explicit(&cs->dns_cached[k],
                                                memory_order_relaxed);
    }
}

/* ---- restoring ---- */

enum cs_restore
cs_restore_row(struct cs_store *cs, uint32_t index, const char *domain,
               enum dm_policy policy,
               const uint64_t result[DM_RESULT__COUNT],
               const uint64_t disp[DM_DISP__COUNT])
{
    char key[DM_DOMAIN_MAX];
    struct cs_entry *e;
    struct cs_row *r;
    enum cs_restore rc;
    bool is_other;
    uint32_t idx;
    size_t len;

    if ((unsigned)policy >= DM_POLICY__COUNT || index == 0 ||
        domain == NULL || !cs_domain_ok(domain))
        return CS_REFUSED;
    is_other = strcmp(domain, CS_OTHER_DOMAIN) == 0;
    if (is_other || !cs_key(domain, key, &len))
        e = cs_other(cs);
    else
        e = cs_entry_for(cs, key, len);
    idx = atomic_load_explicit(&e->row[policy], memory_order_relaxed);
    if (idx != 0) {
        r = &cs->rows[idx - 1];
        /* A name saved twice; __other__ may exist from a fold, though. */
        if (e != cs_other(cs) || (is_other && r->from_file))
            return CS_REFUSED;
    } else {
        /* A folded row must not take the index of __other__'s own row. */
        idx = cs_row_for(cs, e, policy,
                         e == cs_other(cs) && !is_other ? 0 : index);
        if (idx == 0)
            return CS_REFUSED;
    }
    r = &cs->rows[idx - 1];
    if (e == cs_other(cs) && !is_other)
        rc = CS_FOLDED;
    else
        rc = idx == index ? CS_RESTORED : CS_RENUMBERED;
    if (is_other || e != cs_other(cs))
        r->from_file = true;
    for (int i = 0; i < DM_RESULT__COUNT; i++)
        atomic_fetch_add_explicit(&r->result[i], result[i],
                                  memory_order_relaxed);
    for (int i = 0; i < DM_DISP__COUNT; i++)
        atomic_fetch_add_explicit(&r->disp[i], disp[i], memory_order_relaxed);
    return rc;
}

void
cs_restore_totals(struct cs_store *cs, const struct cs_totals *t)
{
    for (int i = DM_SKIP_NONE + 1; i < DM_SKIP__COUNT; i++)
        atomic_fetch_add_explicit(&cs->skipped[i], t->skipped[i],
                                  memory_order_relaxed);
    for (int i = 0; i <= CS_EVAL_BUCKETS; i++)
        atomic_fetch_add_explicit(&cs->eval_bucket[i], t->eval_bucket[i],
                                  memory_order_relaxed);
    atomic_fetch_add_explicit(&cs->eval_sum_ns, t->eval_sum_ns,
                              memory_order_relaxed);
    for (int i = DM_OVERRIDE_NONE + 1; i < DM_OVERRIDE__COUNT; i++)
        atomic_fetch_add_explicit(&cs->overrides[i], t->overrides[i],
                                  memory_order_relaxed);
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        atomic_fetch_add_explicit(&cs->standins[i], t->standins[i],
                                  memory_order_relaxed);
    /* Not through events_fn: its counts are this run's, read at each
       cs_totals() and added to these. */
    for (int i = 0; i < CS_EV__COUNT; i++)
        atomic_fetch_add_explicit(&cs->events[i], t->events[i],
                                  memory_order_relaxed);
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++) {
        for (int i = 0; i < CS_DNS_STATUS_COUNT; i++)
            atomic_fetch_add_explicit(&cs->dns[k][i], t->dns[k][i],
                                      memory_order_relaxed);
        atomic_fetch_add_explicit(&cs->dns_cached[k], t->dns_cached[k],
                                  memory_order_relaxed);
    }
}

void
cs_clear(struct cs_store *cs)
{
    uint32_t hi;
    size_t n;

    pthread_mutex_lock(&cs->lock);
    hi = atomic_load_explicit(&cs->hi_index, memory_order_relaxed);
    n = atomic_load_explicit(&cs->n_entries, memory_order_relaxed);
    /* Only what was touched: the rest is still untouched zero pages. */
    memset((void *)cs->slots, 0, (cs->mask + 1) * sizeof(*cs->slots));
    memset(cs->entries, 0, n * sizeof(*cs->entries));
    for (int p = 0; p < DM_POLICY__COUNT; p++)
        atomic_store_explicit(&cs_other(cs)->row[p], 0, memory_order_relaxed);
    memset(cs->rows, 0, (size_t)hi * sizeof(*cs->rows));
    atomic_store(&cs->n_entries, 0);
    atomic_store(&cs->n_rows, 0);
    atomic_store(&cs->hi_index, 0);
    cs->next_index = 1;
    for (int i = 0; i < DM_SKIP__COUNT; i++)
        atomic_store(&cs->skipped[i], 0);
    for (int i = 0; i < DM_OVERRIDE__COUNT; i++)
        atomic_store(&cs->overrides[i], 0);
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        atomic_store(&cs->standins[i], 0);
    for (int i = 0; i < CS_EV__COUNT; i++)
        atomic_store(&cs->events[i], 0);
    for (int i = 0; i <= CS_EVAL_BUCKETS; i++)
        atomic_store(&cs->eval_bucket[i], 0);
    atomic_store(&cs->eval_sum_ns, 0);
    for (int k = 0; k < CS_DNS_TYPE_COUNT; k++) {
        for (int i = 0; i < CS_DNS_STATUS_COUNT; i++)
            atomic_store(&cs->dns[k][i], 0);
        atomic_store(&cs->dns_cached[k], 0);
    }
    pthread_mutex_unlock(&cs->lock);
}
