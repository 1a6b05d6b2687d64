/*
 * dmarc_eval.c: policy discovery (RFC 7489 section 6.6.3, or RFC 9989
 * section 4.10 by the DNS Tree Walk), alignment and the policy to apply,
 * for one From domain.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc_align.h"
#include "dmarc/dmarc_eval.h"
#include "dmarc/dmarc_record.h"
#include "dmarc/dmarc_walk.h"

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

/* RFC 9989 state for one From domain: walks are made only when needed. */
struct eval_bis {
    const struct dns_txt_resolver *dns;
    struct dns_txt_answer *ans;
    const char *from;
    struct dw_walk from_walk;
    char from_org[DM_DOMAIN_MAX];
    bool from_org_known;
    bool tempfail;              /* an alignment walk failed */
};

static bool
bis_from_org(struct eval_bis *b)
{
    if (b->from_org_known)
        return true;
    /* Policy discovery stopped at the From domain's own record. */
    dw_walk_more(b->dns, b->from, b->ans, &b->from_walk);
    if (b->from_walk.tempfail) {
        b->tempfail = true;
        return false;
    }
    (void)dw_org_domain(&b->from_walk, b->from, b->from_org);
    b->from_org_known = true;
    return true;
}

/* RFC 9989 4.4: relaxed alignment compares tree-walk org domains. */
static bool
bis_aligned(struct eval_bis *b, const char *auth, enum dmarc_align_mode mode)
{
    struct dw_walk w;
    char org[DM_DOMAIN_MAX];

    if (*auth == '\0')
        return false;
    if (strcasecmp(b->from, auth) == 0)
        return true;
    if (mode == DMARC_ALIGN_STRICT || !bis_from_org(b))
        return false;
    dw_walk(b->dns, auth, false, b->ans, &w);
    if (w.tempfail) {
        b->tempfail = true;
        return false;
    }
    (void)dw_org_domain(&w, auth, org);
    return strcasecmp(org, b->from_org) == 0;
}

/*
 * The record that applies to the From domain (RFC 9989 4.10.1): its own,
 * else its organizational domain's, else its public suffix domain's.
 * Returns false when no policy applies or the verdict is already decided.
 */
static bool
bis_discover(struct eval_bis *b, struct dmarc_record *rec,
             struct dm_verdict *v)
{
    const struct dw_walk *w = &b->from_walk;
    const struct dw_hit *pol;

    dw_walk(b->dns, b->from, true, b->ans, &b->from_walk);
    if (w->tempfail) {
        v->result = DM_RESULT_TEMPERROR;
        return false;
    }
    if (w->start_invalid) {
        v->result = DM_RESULT_PERMERROR;
        return false;
    }
    if (w->n_hits > 0 && strcasecmp(w->hit[0].domain, b->from) == 0) {
        *rec = w->hit[0].rec;
        v->policy = rec->p;
        return true;
    }
    pol = dw_org_domain(w, b->from, b->from_org);
    b->from_org_known = true;
    if (pol == NULL)
        pol = dw_psd_hit(w, b->from);
    if (pol == NULL)
        return false;
    *rec = pol->rec;
    strcpy(v->policy_domain, pol->domain);
    /* sp for a From domain that exists, np for one that does not. */
    switch (b->dns->lookup(b->dns->arg, b->from, b->ans)) {
    case DNS_OK:
    case DNS_NODATA:
        v->used_sp = true;
        v->policy = rec->sp;
        return true;
    case DNS_NXDOMAIN:
        v->used_np = true;
        v->policy = rec->np;
        return true;
    case DNS_TEMPFAIL:
    case DNS_PERMFAIL:
        break;
    }
    v->result = DM_RESULT_TEMPERROR;
    return false;
}

static void
eval_bis(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
         struct dns_txt_answer *ans, struct dm_verdict *v)
{
    struct eval_bis *b = calloc(1, sizeof(*b));
    struct dmarc_record rec;
    const struct dm_auth_id *spf = in->spf;

    if (b == NULL) {
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
    b->dns = dns;
    b->ans = ans;
    b->from = in->from_domain;
    if (!bis_discover(b, &rec, v)) {
        free(b);
        return;
    }
    v->spf_aligned = spf != NULL && spf->result == DM_AUTH_PASS &&
        bis_aligned(b, spf->domain, rec.aspf);
    for (size_t i = 0; i < in->n_dkim && !v->dkim_aligned; i++) {
        v->dkim_aligned = in->dkim[i].result == DM_AUTH_PASS &&
            bis_aligned(b, in->dkim[i].domain, rec.adkim);
    }
    if (v->spf_aligned || v->dkim_aligned) {
        v->result = DM_RESULT_PASS;
    } else if (b->tempfail) {
        /* An identifier might have aligned: not a failure to act on. */
        v->result = DM_RESULT_TEMPERROR;
    } else {
        v->result = DM_RESULT_FAIL;
        switch (v->policy) {
        case DM_POLICY_REJECT:     v->disposition = DM_DISP_REJECT; break;
        case DM_POLICY_QUARANTINE: v->disposition = DM_DISP_QUARANTINE; break;
        default:                   v->disposition = DM_DISP_NONE; break;
        }
        /* RFC 9989 t=y replaces pct: the next less severe policy. */
        if (v->disposition != DM_DISP_NONE && rec.testing) {
            v->testing = true;
            v->disposition = v->disposition == DM_DISP_REJECT ?
                DM_DISP_QUARANTINE : DM_DISP_NONE;
        }
    }
    free(b);
}

void
dmarc_eval(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
           const struct od_list *psl, struct dm_verdict *v)
{
    struct dns_txt_answer *ans;
    struct dmarc_record rec;
    char org[DM_DOMAIN_MAX];
    enum dw_found found;
    enum dm_skip skip = v->skip;

    memset(v, 0, sizeof(*v));
    v->skip = skip;
    v->result = DM_RESULT_NONE;
    v->policy = DM_POLICY_ABSENT;
    v->disposition = DM_DISP_NONE;
    v->spec = in->spec;
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
    if (in->spec == DM_SPEC_RFC9989) {
        eval_bis(in, dns, ans, v);
        free(ans);
        return;
    }
    found = dw_fetch(dns, in->from_domain, DM_SPEC_RFC7489, ans, &rec);
    if (found == DW_NONE && od_lookup(psl, in->from_domain, org, sizeof(org))
        && strcmp(org, in->from_domain) != 0) {
        strcpy(v->policy_domain, org);
        v->used_sp = true;
        found = dw_fetch(dns, org, DM_SPEC_RFC7489, ans, &rec);
    }
    free(ans);
    switch (found) {
    case DW_FOUND:
        eval_finish(in, psl, &rec, v);
        return;
    case DW_NONE:
    case DW_MULTIPLE:
        /* No policy applies, so no other domain "decided". */
        strcpy(v->policy_domain, in->from_domain);
        v->used_sp = false;
        v->result = DM_RESULT_NONE;
        return;
    case DW_INVALID:
        v->result = DM_RESULT_PERMERROR;
        return;
    case DW_TEMPFAIL:
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
