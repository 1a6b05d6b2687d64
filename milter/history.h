/*
 * history.h: the milter's HistoryFile: one record per evaluated message,
 * from the outcome hook, as OpenDMARC writes it (RecordAllMessages,
 * IgnoreMailTo); what it wrote and lost is counted on /metrics.
 */
#ifndef DM_MILTER_HISTORY_H
#define DM_MILTER_HISTORY_H

#include "config/config.h"
#include "metrics/metrics.h"
#include "milter/milter_cb.h"

struct mh_history;

/* The history of cf's HistoryFile; NULL when none is set (or no memory:
   logged). Opened as the user the daemon runs as, inside its root. */
struct mh_history *mh_open(const struct dm_config *cf, struct cs_store *cs);

/* The outcome hook (an mc_outcome_fn; arg is the history). */
void mh_outcome(const struct msg_outcome *out,
                const struct mc_message_view *mv, void *arg);

/* After SIGHUP: the next record goes to a new file (logrotate). */
void mh_reopen(struct mh_history *h);

void mh_close(struct mh_history *h);

#endif
