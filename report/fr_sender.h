/*
 * fr_sender.h: the failure-report sender: one worker thread behind a
 * bounded queue, so that the milter thread never waits on DNS or on
 * ReportCommand. The worker checks each ruf destination (external ones
 * need their _report._dmarc record; NoReportsList), limits reports per
 * destination per hour, formats the report (failure.h) and pipes it into
 * ReportCommand.
 */
#ifndef DM_FR_SENDER_H
#define DM_FR_SENDER_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include "report/failure.h"

#define FR_QUEUE_MAX 64         /* reports waiting; more are dropped */
#define FR_RATE_SLOTS 256       /* destinations limited at once; beyond,
                                   a new one waits for a slot to age */
#define FR_COMMAND_MS 60000     /* ReportCommand's time for one report */

/* What the worker uses for one report, lent for its duration. */
struct fr_env {
    const struct rp_settings *rp;       /* the keys (ReportCommand, ...) */
    const struct dns_txt_resolver *dns; /* for the _report._dmarc check */
    const struct od_list *psl;          /* organizational domains */
    void *ref;                          /* the lender's, for release */
};

/*
 * How the worker borrows the configuration in force: acquire fills *env
 * (false: none now, the report is dropped), release gives it back. In
 * the milter: rt_acquire() and rt_release() of the runtime, so that a
 * reload never frees what a report is using.
 */
struct fr_hooks {
    bool (*acquire)(void *arg, struct fr_env *env);
    void (*release)(void *arg, struct fr_env *env);
    void *arg;
};

/* The counters, each only growing (for /metrics). */
struct fr_counts {
    unsigned long long sent;         /* mails ReportCommand took */
    unsigned long long failed;       /* mails it failed (logged) */
    unsigned long long dropped;      /* reports lost: queue full, no
                                        memory, stopped */
    unsigned long long rate_limited; /* destinations skipped: over the
                                        FailureReportsRateLimit */
    unsigned long long refused;      /* destinations skipped: external and
                                        not verified, or NoReportsList */
};

struct fr_sender;

/* Start the worker; NULL with a reason in err. */
struct fr_sender *fr_start(const struct fr_hooks *hooks, char *err,
                           size_t errsz);

/*
 * Queue a copy of m (of its strings, headers cut at FR_HEADERS_MAX) for
 * the worker. Never waits: false, counted as dropped, when the queue is
 * full, memory short, the sender stopping or s NULL. The caller checks
 * fr_due() first.
 */
bool fr_submit(struct fr_sender *s, const struct fr_message *m);

void fr_stats(const struct fr_sender *s, struct fr_counts *out);

/*
 * Stop: the worker sends what is queued for up to timeout_ms, then gives
 * up (a running command is killed, the rest counted as dropped); joined
 * and freed. s may be NULL.
 */
void fr_stop(struct fr_sender *s, int timeout_ms);

/* The two halves of fr_stop: after fr_drain() the worker is gone but
   fr_stats() still answers (a last save of the counters reads them);
   fr_free() then frees. Both take NULL. */
void fr_drain(struct fr_sender *s, int timeout_ms);
void fr_free(struct fr_sender *s);

/*
 * Run command (split on white space, looked up in PATH, no shell) with
 * the len bytes of msg on its standard input; killed when timeout_ms pass
 * or *abandon (may be NULL) turns true. 0 when it read everything and
 * exited 0; else -1 with the reason in err. Call it from a thread that
 * blocks SIGPIPE, or with SIGPIPE ignored.
 */
int fr_exec(const char *command, const char *msg, size_t len, int timeout_ms,
            atomic_bool *abandon, char *err, size_t errsz);

#endif
