/*
 * dmarc_eval.c: policy discovery (RFC 7489 section 6.6.3), alignment and
 * the policy to apply, for one From domain.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dmarc_align.h"
#include "dmarc_eval.h"
#include "dmarc_record.h"

#define EVAL_QNAME_MAX (DM_DOMAIN_MAX + 8)

enum eval_found {
    EVAL_FOUND,       /* exactly one DMARC record: rec filled */
    EVAL_NONE,        /* no DMARC record here: try the next name */
    EVAL_MULTIPLE,    /* several: discovery ends, no policy */
    EVAL_INVALID,     /* the one record is unusable: permerror */
    EVAL_TEMPFAIL     /* the answer could not be had: temperror */
};

/*
 * Query _dmarc.<domain> and keep the records that start with v=DMARC1.
 * ans is scratch space owned by the caller (it is large).
 */
static enum eval_found
eval_fetch(const struct dns_txt_resolver *dns, const char *domain,
           struct dns_txt_answer *ans, struct dmarc_record *rec)
{
    char qname[EVAL_QNAME_MAX];
    size_t found = 0, which = 0;
    const char *why;

    strcpy(qname, "_dmarc.");
    strcat(qname, domain);
    switch (dns->lookup(dns->arg, qname, ans)) {
    case DNS_OK:
        break;
    case DNS_NXDOMAIN:
    case DNS_NODATA:
        return EVAL_NONE;
    case DNS_TEMPFAIL:
    case DNS_PERMFAIL:
        /* A broken server is not "no policy": OpenDMARC's fail-open. */
        return EVAL_TEMPFAIL;
    }
    for (size_t i = 0; i < ans->count; i++) {
        if (dmarc_record_is_dmarc(ans->rr[i].data, ans->rr[i].len)) {
            found++;
            which = i;
        }
    }
    if (found == 0)
        return EVAL_NONE;
    if (found > 1)
        return EVAL_MULTIPLE;
    if (dmarc_record_parse(ans->rr[which].data, ans->rr[which].len, rec,
                           &why) != DMARC_RECORD_OK)
        return EVAL_INVALID;
    return EVAL_FOUND;
}

static void
eval_finish(const struct dm_eval_input *in, const struct od_list *psl,
            const struct dmarc_record *rec, struct dm_verdict *v)
{
    const struct dm_auth_id *spf = in->spf;

    v->policy = v->used_sp ? rec->sp : rec->p;
    v->spf_aligned = spf != NULL && spf->result == DM_AUTH_PASS &&
        dmarc_aligned(psl, in->from_domain, spf->domain, rec->aspf);
    for (size_t i = 0; i < in->n_dkim && !v->dkim_aligned; i++) {
        v->dkim_aligned = in->dkim[i].result == DM_AUTH_PASS &&
            dmarc_aligned(psl, in->from_domain, in->dkim[i].domain,
                          rec->adkim);
    }
    if (v->spf_aligned || v->dkim_aligned) {
        v->result = DM_RESULT_PASS;
        v->disposition = DM_DISP_NONE;
        return;
    }
    v->result = DM_RESULT_FAIL;
    switch (v->policy) {
    case DM_POLICY_REJECT:     v->disposition = DM_DISP_REJECT; break;
    case DM_POLICY_QUARANTINE: v->disposition = DM_DISP_QUARANTINE; break;
    default:                   v->disposition = DM_DISP_NONE; break;
    }
    /* RFC 7489 6.6.4: outside the sample, the next weaker policy. */
    if (v->disposition != DM_DISP_NONE && in->sample >= (unsigned)rec->pct) {
        v->sampled_out = true;
        v->disposition = v->disposition == DM_DISP_REJECT ?
            DM_DISP_QUARANTINE : DM_DISP_NONE;
    }
}

void
dmarc_eval(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
           const struct od_list *psl, struct dm_verdict *v)
{
    struct dns_txt_answer *ans;
    struct dmarc_record rec;
    char org[DM_DOMAIN_MAX];
    enum eval_found found;
    enum dm_skip skip = v->skip;

    memset(v, 0, sizeof(*v));
    v->skip = skip;
    v->result = DM_RESULT_NONE;
    v->policy = DM_POLICY_ABSENT;
    v->disposition = DM_DISP_NONE;
    if (strlen(in->from_domain) >= sizeof(v->from_domain)) {
        v->result = DM_RESULT_PERMERROR;
        return;
    }
    strcpy(v->from_domain, in->from_domain);
    ans = malloc(sizeof(*ans));
    if (ans == NULL) {
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
    strcpy(v->policy_domain, in->from_domain);
    found = eval_fetch(dns, in->from_domain, ans, &rec);
    if (found == EVAL_NONE && od_lookup(psl, in->from_domain, org, sizeof(org))
        && strcmp(org, in->from_domain) != 0) {
        strcpy(v->policy_domain, org);
        v->used_sp = true;
        found = eval_fetch(dns, org, ans, &rec);
    }
    free(ans);
    switch (found) {
    case EVAL_FOUND:
        eval_finish(in, psl, &rec, v);
        return;
    case EVAL_NONE:
    case EVAL_MULTIPLE:
        /* No policy applies, so no other domain "decided". */
        strcpy(v->policy_domain, in->from_domain);
        v->used_sp = false;
        v->result = DM_RESULT_NONE;
        return;
    case EVAL_INVALID:
        v->result = DM_RESULT_PERMERROR;
        return;
    case EVAL_TEMPFAIL:
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
}

/* How bad a result is, for choosing among several From domains. */
static int
eval_result_rank(enum dm_result r)
{
    switch (r) {
    case DM_RESULT_FAIL:      return 4;
    case DM_RESULT_TEMPERROR: return 3;
    case DM_RESULT_PERMERROR: return 2;
    case DM_RESULT_NONE:      return 1;
    default:                  return 0;
    }
}

bool
dmarc_verdict_stricter(const struct dm_verdict *a, const struct dm_verdict *b)
{
    if (a->disposition != b->disposition)
        return a->disposition > b->disposition;
    if (a->result != b->result)
        return eval_result_rank(a->result) > eval_result_rank(b->result);
    return a->policy > b->policy;
}
