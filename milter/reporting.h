/*
 * reporting.h: what the milter reports of each evaluated message: its
 * HistoryFile record (history.h) and, when the domain asks and the
 * operator allows, a failure report sent by report/'s worker thread.
 */
#ifndef DM_MILTER_REPORTING_H
#define DM_MILTER_REPORTING_H

#include "config/conf.h"
#include "metrics/metrics.h"
#include "milter/milter_cb.h"

struct mr_reporting;

/*
 * Open the history (when HistoryFile is set) and start the failure-report
 * sender (always: FailureReports may be turned on by a reload); its
 * counts go to cs. NULL when there is nothing to do or no memory (logged).
 */
struct mr_reporting *mr_open(const struct dm_config *cf, struct cs_store *cs);

/* The outcome hook (an mc_outcome_fn; arg is the mr_reporting). */
void mr_outcome(const struct msg_outcome *out,
                const struct mc_message_view *mv, void *arg);

/* SIGHUP: the history is reopened at its next record (logrotate). */
void mr_reopen(struct mr_reporting *r);

/*
 * Stopping, in two steps around the last save of the counters: mr_drain()
 * sends what is queued (a few seconds at most), and its counts stay
 * readable; mr_close(), once nothing reads the counter store any more,
 * closes the history and frees.
 */
void mr_drain(struct mr_reporting *r);
void mr_close(struct mr_reporting *r);

#endif
