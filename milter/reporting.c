/*
 * reporting.c: the outcome hook (see reporting.h). One record is built
 * per evaluated message that is recorded or reported; the failure report
 * is only queued here, the worker thread does the DNS and the sending.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"
#include "util/util.h"
#include "milter/history.h"
#include "milter/reporting.h"
#include "milter/runtime.h"

#define MR_STOP_MS 5000         /* what stopping gives the queued reports */

struct mr_reporting {
    struct mh_history *hist;
    struct fr_sender *fr;
    struct cs_store *cs;
    char hostname[256];         /* the reporter when the MTA names none */
};

/* The worker borrows the runtime in force, as a connection does. */
static bool
mr_acquire(void *arg, struct fr_env *env)
{
    struct dm_runtime *rt = rt_acquire();

    (void)arg;
    env->rp = rp_settings(rt->cf);
    env->dns = &rt->dns;
    env->psl = rt->psl;
    env->ref = rt;
    if (env->rp == NULL) {
        rt_release(rt);
        return false;
    }
    return true;
}

static void
mr_release(void *arg, struct fr_env *env)
{
    (void)arg;
    rt_release(env->ref);
}

/* The sender's counts, added to /metrics at each reading. */
static void
mr_events(void *arg, uint64_t *events)
{
    struct mr_reporting *r = arg;
    struct fr_counts c;

    fr_stats(r->fr, &c);
    events[CS_EV_FAILURE_SENT] += c.sent;
    events[CS_EV_FAILURE_FAILED] += c.failed;
    events[CS_EV_FAILURE_DROPPED] += c.dropped;
    events[CS_EV_FAILURE_LIMITED] += c.rate_limited;
    events[CS_EV_FAILURE_REFUSED] += c.refused;
}

struct mr_reporting *
mr_open(const struct dm_config *cf, struct cs_store *cs)
{
    static const struct fr_hooks hooks = { mr_acquire, mr_release, NULL };
    struct mr_reporting *r = calloc(1, sizeof(*r));
    char err[256];

    if (r == NULL) {
        dm_log(LOG_ERR, "reporting: out of memory; no history, no failure "
               "reports");
        return NULL;
    }
    r->cs = cs;
    r->hist = mh_open(cf, cs);
    if ((r->fr = fr_start(&hooks, err, sizeof(err))) == NULL)
        dm_log(LOG_ERR, "failure reports: %s; none is sent", err);
    else if (cs != NULL)
        cs_set_event_source(cs, mr_events, r);
    /* OpenDMARC's reporter for a missing j macro. */
    if (gethostname(r->hostname, sizeof(r->hostname) - 1) != 0)
        r->hostname[0] = '\0';
    return r;
}

/* Queue a failure report when the record's policy domain asks for one. */
static void
mr_failure(struct mr_reporting *r, const struct rp_settings *rp,
           const struct msg_outcome *out, const struct mc_message_view *mv,
           const struct hist_record *rec)
{
    struct fr_message m;

    if (!fr_due(rp, rec, out->record.ruf))
        return;
    memset(&m, 0, sizeof(m));
    m.rec = rec;
    m.ruf = out->record.ruf;
    m.headers = mv->headers;
    m.headers_len = mv->headers_len;
    m.ar_value = mv->ar_value;
    m.rcpt = mv->n_rcpt > 0 ? mv->rcpt[0] : NULL;
    m.mail_from = mv->mail_from;
    (void)fr_submit(r->fr, &m);     /* a full queue is counted there */
}

void
mr_outcome(const struct msg_outcome *out, const struct mc_message_view *mv,
           void *arg)
{
    struct mr_reporting *r = arg;
    const struct rp_settings *rp = rp_settings(mv->cf);
    struct hist_session s;
    struct hist_record *rec;
    bool hist, fail;

    if (r == NULL || rp == NULL)
        return;
    hist = mh_wanted(r->hist, rp, out, mv);
    /* fr_due() decides on the record; this spares building one. */
    fail = r->fr != NULL && rp->failure_reports && out->stage == MSG_DONE &&
           out->verdict.result == DM_RESULT_FAIL &&
           out->verdict.policy != DM_POLICY_ABSENT;
    if (!hist && !fail)
        return;
    /* 12 KB: not on a libmilter thread's stack. */
    if ((rec = malloc(sizeof(*rec))) == NULL) {
        if (hist && r->cs != NULL)
            cs_count_event(r->cs, CS_EV_HISTORY_FAILED);
        return;
    }
    s = mv->session;
    if (s.reporter == NULL && r->hostname[0] != '\0')
        s.reporter = r->hostname;
    hb_build(out, &s, rec);
    if (hist)
        mh_write(r->hist, rec);
    if (fail)
        mr_failure(r, rp, out, mv, rec);
    free(rec);
}

void
mr_reopen(struct mr_reporting *r)
{
    if (r != NULL)
        mh_reopen(r->hist);
}

void
mr_drain(struct mr_reporting *r)
{
    if (r != NULL)
        fr_drain(r->fr, MR_STOP_MS);
}

void
mr_close(struct mr_reporting *r)
{
    if (r == NULL)
        return;
    if (r->cs != NULL)              /* no reader left; the store stays */
        cs_set_event_source(r->cs, NULL, NULL);
    fr_free(r->fr);
    mh_close(r->hist);
    free(r);
}
