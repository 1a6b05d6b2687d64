/*
 * counter_store.h: the DMARC counters, one store shared by every reader
 * (the /metrics endpoint, the state file, the AgentX subagent, Cacti).
 *
 * A row is (From domain, policy that applied); it holds one counter per
 * DMARC result and one per disposition, and each evaluated message adds
 * exactly one to each kind. Rows get an integer index, 1, 2, ... in the
 * order they appear, which the state file keeps across restarts so that
 * SNMP tables and Cacti graphs stay attached to the same row.
 *
 * Senders choose From domains, so the store is bounded: at most
 * max_domains domains have rows of their own, all memory is allocated by
 * cs_new(), and every other domain is counted under CS_OTHER_DOMAIN.
 *
 * Counting is lock-free for rows that exist (relaxed atomic adds after a
 * lock-free hash lookup); only creating a row takes the store's mutex.
 * Readers never lock: each counter is read atomically, and a row's result
 * counters are read after its disposition counters, so a snapshot never
 * shows more dispositions than results.
 */
#ifndef DM_COUNTER_STORE_H
#define DM_COUNTER_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "dns/dns.h"
#include "dmarc/dmarc.h"

#define CS_OTHER_DOMAIN          "__other__"
#define CS_MAX_DOMAINS_DEFAULT   10000
#define CS_MAX_DOMAINS_LIMIT     100000    /* MetricsMaxDomains upper bound */
/* Rows any store can hold: four policies per domain, plus __other__. */
#define CS_ROWS_LIMIT            (4u * (CS_MAX_DOMAINS_LIMIT + 1u))

/* Upper bounds (seconds) of the evaluation-time histogram; +Inf follows. */
#define CS_EVAL_BUCKETS 12
extern const double cs_eval_bounds[CS_EVAL_BUCKETS];
/* The same bounds as written in the exposition and the state file. */
extern const char *const cs_eval_bound_names[CS_EVAL_BUCKETS];

#define CS_DNS_STATUS_COUNT ((int)DNS_PERMFAIL + 1)

/* The record types the DNS counters tell apart; the rest is "other". */
enum cs_dns_type {
    CS_DNS_TXT, CS_DNS_A, CS_DNS_AAAA, CS_DNS_MX, CS_DNS_PTR, CS_DNS_OTHER,
    CS_DNS_TYPE_COUNT
};

/* A query type (ns_t_*) as a counter index, and an index's name. */
enum cs_dns_type cs_dns_type_of(int qtype);
const char *cs_dns_type_name(int t);

struct cs_store;

/*
 * A store for at most max_domains domains (1 .. CS_MAX_DOMAINS_LIMIT).
 * NULL with a reason in err when the bound is out of range or memory is
 * short.
 */
struct cs_store *cs_new(size_t max_domains, char *err, size_t errsz);
void cs_free(struct cs_store *cs);

/*
 * Give rows of their own only to the domains listed in path (MetricsDomains:
 * one domain per line, '#' starts a comment, U-labels allowed). Call before
 * counting or restoring. -1 with a reason (naming the file and line) when
 * the file cannot be read, a name is not a domain, or it lists more than
 * max_domains domains.
 */
int cs_restrict_domains(struct cs_store *cs, const char *path,
                        char *err, size_t errsz);

/* --- counting (any thread, any time) --- */

/*
 * One evaluated message. domain is a normalised From domain; anything that
 * is not (empty, odd bytes, too long) counts under CS_OTHER_DOMAIN. False,
 * counting nothing, when an enum is out of range.
 */
bool cs_count(struct cs_store *cs, const char *domain, enum dm_policy policy,
              enum dm_result result, enum dm_disposition disp);

/* One message not evaluated, by reason (DM_SKIP_NONE is ignored). */
void cs_count_skip(struct cs_store *cs, enum dm_skip why);

/* The time one evaluation took; negative or NaN counts as 0. */
void cs_observe_eval(struct cs_store *cs, double seconds);

/*
 * One lookup through the daemon's resolver (DMARC, SPF, DKIM): its type
 * (ns_t_*), how it ended, and whether the cache answered it.
 */
void cs_count_dns(struct cs_store *cs, int qtype, enum dns_status st,
                  bool cached);

/* What the reporting side did, counted beside the verdicts. */
enum cs_event {
    CS_EV_HISTORY_WRITTEN = 0,  /* HistoryFile records appended */
    CS_EV_HISTORY_FAILED,       /* records that could not be written */
    CS_EV_FAILURE_SENT,         /* failure reports handed to ReportCommand */
    CS_EV_FAILURE_FAILED,       /* ReportCommand failed */
    CS_EV_FAILURE_DROPPED,      /* the sender's queue was full */
    CS_EV_FAILURE_LIMITED,      /* held back by the per-destination limit */
    CS_EV_FAILURE_REFUSED,      /* destination not verified, or listed in
                                   NoReportsList */
    CS_EV__COUNT
};

/* An event's name in the state file ("history_written", ...); NULL past. */
const char *cs_event_name(int e);

/* One event of enum cs_event; out of range counts nothing. */
void cs_count_event(struct cs_store *cs, enum cs_event ev);

/*
 * Counts kept elsewhere (the failure-report sender's), added to the
 * events at each reading: fn adds its counts into events[CS_EV__COUNT].
 * Set once, before counting starts; fn must be thread-safe.
 */
typedef void (*cs_events_fn)(void *arg, uint64_t *events);
void cs_set_event_source(struct cs_store *cs, cs_events_fn fn, void *arg);

/*
 * The verdict hook (an mc_verdict_fn; arg is the store): a skipped message
 * counts by reason, an evaluated one in its row and in the histogram, and
 * also by its local override and its stand-in author domain, if any.
 */
void cs_verdict_hook(const struct dm_verdict *v, void *arg);

/* --- reading (any thread, never blocks counting) --- */

struct cs_row_view {
    uint32_t index;                      /* 1, 2, ... stable */
    const char *domain;                  /* valid while the store lives */
    enum dm_policy policy;
    uint64_t result[DM_RESULT__COUNT];   /* indexed by enum dm_result */
    uint64_t disp[DM_DISP__COUNT];       /* indexed by enum dm_disposition */
};

/* Every row in index order; fn returns false to stop early. */
typedef bool (*cs_row_fn)(const struct cs_row_view *row, void *arg);
void cs_foreach_row(const struct cs_store *cs, cs_row_fn fn, void *arg);

/* The row with this index; false when there is none. */
bool cs_row_at(const struct cs_store *cs, uint32_t index,
               struct cs_row_view *out);

/* The smallest row index above after (0: start), or 0 when none (GETNEXT). */
uint32_t cs_next_index(const struct cs_store *cs, uint32_t after);

/* How an evaluated message's author domain stood in for a From domain. */
enum cs_standin { CS_STANDIN_MAILFROM = 0, CS_STANDIN_HELO, CS_STANDIN_COUNT };
const char *cs_standin_name(int s);     /* "mailfrom", "helo"; NULL past */

struct cs_totals {
    uint64_t skipped[DM_SKIP__COUNT];         /* [DM_SKIP_NONE] stays 0 */
    /* Evaluated messages whose action a local policy set aside (the ARC
       override), by reason; [DM_OVERRIDE_NONE] stays 0. */
    uint64_t overrides[DM_OVERRIDE__COUNT];
    /* Evaluated messages with no From domain, by stand-in. */
    uint64_t standins[CS_STANDIN_COUNT];
    /* By enum cs_event: the store's own counts plus the event source's. */
    uint64_t events[CS_EV__COUNT];
    uint64_t overflow;       /* messages counted under CS_OTHER_DOMAIN */
    size_t tracked_domains;  /* domains with rows of their own */
    size_t rows;             /* rows, __other__'s included */
    size_t max_domains;
    uint64_t eval_bucket[CS_EVAL_BUCKETS + 1];/* per bucket, last is +Inf */
    uint64_t eval_count;                      /* sum of eval_bucket */
    uint64_t eval_sum_ns;                     /* total time, nanoseconds */
    /* Lookups by enum cs_dns_type and enum dns_status, cache hits included. */
    uint64_t dns[CS_DNS_TYPE_COUNT][CS_DNS_STATUS_COUNT];
    uint64_t dns_cached[CS_DNS_TYPE_COUNT];   /* of those, cache hits */
};

void cs_totals(const struct cs_store *cs, struct cs_totals *t);

/* --- restoring (one thread, before counting starts) --- */

enum cs_restore {
    CS_RESTORED = 0,     /* a row of its own, with the index asked for */
    CS_RENUMBERED,       /* a row of its own, under another index */
    CS_FOLDED,           /* no room or not listed: added to __other__ */
    CS_REFUSED           /* bad arguments: nothing changed */
};

/*
 * Add saved counters to the row (domain, policy), creating it with index
 * when free. Saved rows whose domain no longer fits (MetricsMaxDomains
 * lowered, MetricsDomains changed) fold into __other__.
 */
enum cs_restore cs_restore_row(struct cs_store *cs, uint32_t index,
                               const char *domain, enum dm_policy policy,
                               const uint64_t result[DM_RESULT__COUNT],
                               const uint64_t disp[DM_DISP__COUNT]);

/*
 * Add saved totals: skipped, overrides, stand-ins, events, histogram, DNS
 * (overflow is derived). Saved events go to the store's own counters, so
 * an event source's counts, which start again from zero, add on top.
 */
void cs_restore_totals(struct cs_store *cs, const struct cs_totals *t);

/* Forget every row and counter (a restore that failed half way). */
void cs_clear(struct cs_store *cs);

/* True when name can be a row's domain: CS_OTHER_DOMAIN, or 1-253 octets
   of lower-case letters, digits, '-', '_' and '.'. */
bool cs_domain_ok(const char *name);

#endif
