/*
 * milter_cb.h: the libmilter callbacks. They gather a message's inputs,
 * hand them to the engine, and apply the decision; nothing else.
 */
#ifndef DM_MILTER_CB_H
#define DM_MILTER_CB_H

#include <libmilter/mfapi.h>

#include "dmarc/dmarc.h"
#include "config/conf.h"
#include "report/report.h"

/* The filter description handed to smfi_register(). */
extern struct smfiDesc mc_desc;

/* Messages between MAIL FROM and their end; SIGTERM waits for zero. */
int mc_inflight(void);

/*
 * Called with the verdict of every message, evaluated or skipped, after
 * the action was decided (the counters hook in here). Set before
 * smfi_main(); fn must be thread-safe.
 */
typedef void (*mc_verdict_fn)(const struct dm_verdict *v, void *arg);
void mc_set_verdict_hook(mc_verdict_fn fn, void *arg);

/* What the history and the failure reports need of an evaluated message
   beyond its outcome. */
struct mc_message_view {
    const struct dm_config *cf;        /* the connection's configuration */
    struct hist_session session;
    const char *const *rcpt;           /* the recipients, when IgnoreMailTo
                                          asked for them */
    size_t n_rcpt;
    bool rcpt_over;                    /* some recipients are not in rcpt */
    /* For a failure report (FailureReports): */
    const char *mail_from;             /* MAIL FROM, "" for <> */
    const char *headers;               /* the header block; NULL: none */
    size_t headers_len;
    const char *ar_value;              /* our Authentication-Results value */
};

/*
 * Called with the outcome of every evaluated message (msg_evaluate's,
 * after the verdict hook): the HistoryFile hooks in here. Set before
 * smfi_main(); fn must be thread-safe.
 */
typedef void (*mc_outcome_fn)(const struct msg_outcome *out,
                              const struct mc_message_view *mv, void *arg);
void mc_set_outcome_hook(mc_outcome_fn fn, void *arg);

#endif
