/*
 * history.h: the milter's HistoryFile: one record per evaluated message,
 * as OpenDMARC writes it (RecordAllMessages, IgnoreMailTo); what it
 * wrote and lost is counted on /metrics.
 */
#ifndef DM_MILTER_HISTORY_H
#define DM_MILTER_HISTORY_H

#include "config/conf.h"
#include "report/report.h"
#include "metrics/metrics.h"
#include "milter/milter_cb.h"

struct mh_history;

/* The history of cf's HistoryFile; NULL when none is set (or no memory:
   logged). Opened as the user the daemon runs as, inside its root. */
struct mh_history *mh_open(const struct dm_config *cf, struct cs_store *cs);

/* True when this evaluated message is to be recorded (h may be NULL). */
bool mh_wanted(const struct mh_history *h, const struct rp_settings *rp,
               const struct msg_outcome *out,
               const struct mc_message_view *mv);

/* Append r; thread-safe, never waits on more than one write(2). */
void mh_write(struct mh_history *h, const struct hist_record *r);

/* After SIGHUP: the next record goes to a new file (logrotate). */
void mh_reopen(struct mh_history *h);

void mh_close(struct mh_history *h);

#endif
