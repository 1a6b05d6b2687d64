/*
 * hist_build.c: turn one evaluated message into its HistoryFile record
 * (see hist_build.h): the published policy, each result that counted,
 * the disposition taken and, when it differs from the policy, why.
 */
#include <config.h>

#include <string.h>

#include "report/hist_build.h"

static void
hb_copy(char *dst, size_t size, const char *src)
{
    size_t n = src != NULL ? strlen(src) : 0;

    if (n >= size)
        n = size - 1;
    if (n > 0)
        memcpy(dst, src, n);
    dst[n] = '\0';
}

bool
hb_wanted(const struct msg_outcome *o, bool record_all)
{
    if (o->stage != MSG_DONE)
        return false;
    return record_all || o->verdict.policy != DM_POLICY_ABSENT ||
           o->verdict.result == DM_RESULT_TEMPERROR;
}

static char
hb_policy_char(enum dm_policy p)
{
    switch (p) {
    case DM_POLICY_NONE:       return 'n';
    case DM_POLICY_QUARANTINE: return 'q';
    case DM_POLICY_REJECT:     return 'r';
    default:                   return 0;
    }
}

/* OpenDMARC's "policy": pass, or what a failure asks; unknown without. */
static enum hist_policy
hb_policy(const struct dm_verdict *v)
{
    if (v->policy == DM_POLICY_ABSENT)
        return HIST_POLICY_UNKNOWN;
    if (v->result == DM_RESULT_PASS)
        return HIST_POLICY_PASS;
    switch (v->policy) {
    case DM_POLICY_REJECT:     return HIST_POLICY_REJECT;
    case DM_POLICY_QUARANTINE: return HIST_POLICY_QUARANTINE;
    default:                   return HIST_POLICY_NONE;
    }
}

static enum hist_action
hb_action(enum enf_action a)
{
    switch (a) {
    case ENF_REJECT:     return HIST_ACTION_REJECT;
    case ENF_QUARANTINE: return HIST_ACTION_QUARANTINE;
    case ENF_TEMPFAIL:   return HIST_ACTION_TEMPFAIL;
    default:             return HIST_ACTION_NONE;
    }
}

/* The rua URIs, one each, whole: one too long for the record is left out. */
static void
hb_rua(const char *list, struct hist_record *r)
{
    const char *p = list;

    while (*p != '\0' && r->n_rua < HIST_RUA_MAX) {
        size_t n = strcspn(p, ",");

        if (n > 0 && n < HIST_URI_MAX) {
            memcpy(r->rua[r->n_rua], p, n);
            r->rua[r->n_rua++][n] = '\0';
        }
        p += n + (p[n] == ',');
    }
}

static void
hb_published(const struct dmarc_record *rec, struct hist_record *r)
{
    r->pct = rec->pct;
    r->adkim = rec->adkim == DMARC_ALIGN_STRICT ? 's' : 'r';
    r->aspf = rec->aspf == DMARC_ALIGN_STRICT ? 's' : 'r';
    r->p = hb_policy_char(rec->p);
    r->sp = rec->sp_given ? hb_policy_char(rec->sp) : 0;
    r->np = rec->np_given ? hb_policy_char(rec->np) : 0;
    r->fo = rec->fo;
    r->t = rec->t_given ? (rec->testing ? 'y' : 'n') : 0;
    hb_rua(rec->rua, r);
}

static void
hb_reason(struct hist_record *r, enum hist_reason_type t, const char *comment)
{
    if (r->n_reasons >= HIST_REASON_MAX)
        return;
    r->reasons[r->n_reasons].type = t;
    hb_copy(r->reasons[r->n_reasons].comment, HIST_COMMENT_MAX, comment);
    r->n_reasons++;
}

/* Why the disposition is milder than the policy asked (RFC 9990 2.1). */
static void
hb_reasons(const struct msg_outcome *o, struct hist_record *r)
{
    const struct dm_verdict *v = &o->verdict;

    if (v->result != DM_RESULT_FAIL)
        return;
    if (v->sampled_out)
        hb_reason(r, HIST_REASON_SAMPLED_OUT, "");
    if (v->testing)
        hb_reason(r, HIST_REASON_POLICY_TEST_MODE, "");
    if (v->override == DM_OVERRIDE_ARC)
        hb_reason(r, HIST_REASON_LOCAL_POLICY,
                  "arc=pass from listed sealers");
    else if (o->decision.unenforced)
        hb_reason(r, HIST_REASON_LOCAL_POLICY, "not enforced by the receiver");
}

static void
hb_auth(const struct msg_outcome *o, struct hist_record *r)
{
    for (size_t i = 0; i < o->n_dkim && r->n_dkim < HIST_DKIM_MAX; i++) {
        struct hist_dkim *d = &r->dkim[r->n_dkim++];

        hb_copy(d->domain, sizeof(d->domain), o->dkim[i].domain);
        hb_copy(d->selector, sizeof(d->selector), o->dkim[i].selector);
        d->result = o->dkim[i].result;
    }
    r->spf_evaluated = o->have_spf;
    if (o->have_spf) {
        r->spf = o->spf.result;
        r->spf_scope = o->spf_helo ? HIST_SCOPE_HELO : HIST_SCOPE_MFROM;
        hb_copy(r->spf_domain, sizeof(r->spf_domain), o->spf.domain);
    }
}

void
hb_build(const struct msg_outcome *o, const struct hist_session *s,
         struct hist_record *r)
{
    const struct dm_verdict *v = &o->verdict;
    bool have_record = v->policy != DM_POLICY_ABSENT;

    memset(r, 0, sizeof(*r));
    hb_copy(r->job, sizeof(r->job), s->job);
    hb_copy(r->reporter, sizeof(r->reporter), s->reporter);
    r->received = s->received;
    hb_copy(r->ipaddr, sizeof(r->ipaddr),
            s->ipaddr != NULL ? s->ipaddr : "127.0.0.1");
    hb_copy(r->from, sizeof(r->from), v->from_domain);
    hb_copy(r->mfrom, sizeof(r->mfrom), s->mfrom);
    hb_auth(o, r);
    hb_copy(r->pdomain, sizeof(r->pdomain), v->policy_domain);
    r->policy = hb_policy(v);
    if (have_record)
        hb_published(&o->record, r);
    r->discovery = v->spec == DM_SPEC_RFC9989 ? HIST_DISCOVERY_TREEWALK
                                              : HIST_DISCOVERY_PSL;
    r->align_dkim = !have_record ? HIST_ALIGN_UNKNOWN
                    : v->dkim_aligned ? HIST_ALIGN_PASS : HIST_ALIGN_FAIL;
    r->align_spf = !have_record ? HIST_ALIGN_UNKNOWN
                   : v->spf_aligned ? HIST_ALIGN_PASS : HIST_ALIGN_FAIL;
    r->arc_pass = s->arc_pass;
    hb_reasons(o, r);
    r->action = hb_action(o->decision.action);
}
