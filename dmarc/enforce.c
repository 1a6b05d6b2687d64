/*
 * enforce.c: the action for a verdict (see enforce.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "dmarc/enforce.h"

const char *
enf_action_name(enum enf_action a)
{
    switch (a) {
    case ENF_ACCEPT:     return "accept";
    case ENF_QUARANTINE: return "quarantine";
    case ENF_REJECT:     return "reject";
    case ENF_TEMPFAIL:   return "tempfail";
    }
    return "unknown";
}

void
enf_decide(const struct enf_options *opt, struct dm_verdict *v,
           struct enf_decision *d)
{
    memset(d, 0, sizeof(*d));
    d->action = ENF_ACCEPT;
    if (v->result == DM_RESULT_TEMPERROR) {
        v->disposition = DM_DISP_NONE;
        if (opt->tempfail_temperror) {
            d->action = ENF_TEMPFAIL;
            d->rcode = "451";
            d->xcode = "4.7.1";
            snprintf(d->text, sizeof(d->text),
                     "DMARC policy for %s temporarily unavailable, "
                     "try again later", v->from_domain);
        }
        return;
    }
    /* OpenDMARC's texts, which operators grep their logs for. */
    if (v->disposition == DM_DISP_REJECT && opt->reject_failures) {
        d->action = ENF_REJECT;
        d->rcode = "550";
        d->xcode = "5.7.1";
        snprintf(d->text, sizeof(d->text), "rejected by DMARC policy for %s",
                 v->policy_domain);
        return;
    }
    if (v->disposition == DM_DISP_QUARANTINE && opt->reject_failures &&
        opt->hold_quarantined) {
        d->action = ENF_QUARANTINE;
        snprintf(d->text, sizeof(d->text),
                 "quarantined by DMARC policy for %s", v->policy_domain);
        return;
    }
    v->disposition = DM_DISP_NONE;
    d->unenforced = v->result == DM_RESULT_FAIL &&
        (v->policy == DM_POLICY_QUARANTINE || v->policy == DM_POLICY_REJECT);
}
