/*
 * dmarc_eval.c: policy discovery (RFC 7489 section 6.6.3, or RFC 9989
 * section 4.10 by the DNS Tree Walk), alignment and the policy to apply,
 * for one From domain.
 *
 * A temporary error is never a failure: when no aligned identifier
 * passed and one that would align could not be checked (SPF or a DKIM
 * key lookup ended in a temporary error, or the walk that decides its
 * alignment did), the result is temperror and the policy is not applied
 * (RFC 7489 6.6.2, RFC 9989 5.3.2 "Determine Handling Policy"). An
 * identifier that cannot align changes nothing, so a spoofer gains
 * nothing from a domain of its own whose name servers never answer.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc_align.h"
#include "dmarc/dmarc_eval.h"
#include "dmarc/dmarc_record.h"
#include "dmarc/dmarc_walk.h"

/* Whether an identifier aligns with the From domain. */
enum ev_align {
    EV_NO = 0,
    EV_YES,
    EV_UNKNOWN      /* it might: a lookup that would tell failed */
};

typedef enum ev_align (*ev_align_fn)(void *arg, const char *auth,
                                     enum dmarc_align_mode mode);

static bool
ev_passes(const struct dm_auth_id *id, ev_align_fn aligned, void *arg,
          enum dmarc_align_mode mode, bool *unknown)
{
    enum ev_align a;

    if (id->result != DM_AUTH_PASS)
        return false;
    a = aligned(arg, id->domain, mode);
    *unknown |= a == EV_UNKNOWN;
    return a == EV_YES;
}

/* A temporary error of an identifier that would (or might) align. */
static bool
ev_held_up(const struct dm_auth_id *id, ev_align_fn aligned, void *arg,
           enum dmarc_align_mode mode)
{
    return id->result == DM_AUTH_TEMPERROR &&
        aligned(arg, id->domain, mode) != EV_NO;
}

/*
 * Pass when an aligned identifier passed (RFC 7489 4.2, RFC 9989 4.4);
 * else temperror when one that would align could not be checked; else
 * fail. Fills the alignment flags of *v.
 */
static enum dm_result
ev_identifiers(const struct dm_eval_input *in, const struct dmarc_record *rec,
               ev_align_fn aligned, void *arg, struct dm_verdict *v)
{
    bool unknown = false;

    v->spf_aligned = in->spf != NULL &&
        ev_passes(in->spf, aligned, arg, rec->aspf, &unknown);
    for (size_t i = 0; i < in->n_dkim && !v->dkim_aligned; i++)
        v->dkim_aligned = ev_passes(&in->dkim[i], aligned, arg, rec->adkim,
                                    &unknown);
    if (v->spf_aligned || v->dkim_aligned)
        return DM_RESULT_PASS;
    if (unknown)
        return DM_RESULT_TEMPERROR;
    if (in->spf != NULL && ev_held_up(in->spf, aligned, arg, rec->aspf))
        return DM_RESULT_TEMPERROR;
    for (size_t i = 0; i < in->n_dkim; i++) {
        if (ev_held_up(&in->dkim[i], aligned, arg, rec->adkim))
            return DM_RESULT_TEMPERROR;
    }
    return DM_RESULT_FAIL;
}

/* The policy's disposition for a failure; none for anything else. */
static void
ev_dispose(enum dm_result r, struct dm_verdict *v)
{
    v->result = r;
    v->disposition = DM_DISP_NONE;
    if (r != DM_RESULT_FAIL)
        return;
    if (v->policy == DM_POLICY_REJECT)
        v->disposition = DM_DISP_REJECT;
    else if (v->policy == DM_POLICY_QUARANTINE)
        v->disposition = DM_DISP_QUARANTINE;
}

/* Outside pct (RFC 7489 6.6.4) or under t=y: the next weaker policy. */
static void
ev_weaken(struct dm_verdict *v)
{
    v->disposition = v->disposition == DM_DISP_REJECT ? DM_DISP_QUARANTINE
                                                       : DM_DISP_NONE;
}

/* ---------------------------------------------------------------- */
/* RFC 7489: the public suffix list */

struct eval_old {
    const struct od_list *psl;
    const char *from;
};

static enum ev_align
old_aligned(void *arg, const char *auth, enum dmarc_align_mode mode)
{
    const struct eval_old *o = arg;

    return dmarc_aligned(o->psl, o->from, auth, mode) ? EV_YES : EV_NO;
}

static void
old_finish(const struct dm_eval_input *in, const struct od_list *psl,
           const struct dmarc_record *rec, struct dm_verdict *v)
{
    struct eval_old o = { psl, in->from_domain };

    v->policy = v->used_sp ? rec->sp : rec->p;
    ev_dispose(ev_identifiers(in, rec, old_aligned, &o, v), v);
    if (v->disposition != DM_DISP_NONE && in->sample >= (unsigned)rec->pct) {
        v->sampled_out = true;
        ev_weaken(v);
    }
}

/*
 * RFC 7489 6.6.3: the From domain's record, else (none there at all) its
 * organizational domain's. Several records, or one without a usable p
 * and rua, mean no DMARC processing: none.
 */
static void
eval_old(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
         const struct od_list *psl, struct dns_txt_answer *ans,
         struct dm_verdict *v, struct dmarc_record *rec_out)
{
    struct dmarc_record rec;
    char org[DM_DOMAIN_MAX];
    enum dw_found found;

    found = dw_fetch(dns, in->from_domain, DM_SPEC_RFC7489, ans, &rec);
    if (found == DW_NONE && od_lookup(psl, in->from_domain, org, sizeof(org))
        && strcmp(org, in->from_domain) != 0) {
        strcpy(v->policy_domain, org);
        v->used_sp = true;
        found = dw_fetch(dns, org, DM_SPEC_RFC7489, ans, &rec);
    }
    switch (found) {
    case DW_FOUND:
        old_finish(in, psl, &rec, v);
        if (rec_out != NULL)
            *rec_out = rec;
        return;
    case DW_NONE:
    case DW_MULTIPLE:
    case DW_INVALID:
        /* No policy applies, so no other domain "decided". */
        strcpy(v->policy_domain, in->from_domain);
        v->used_sp = false;
        v->result = DM_RESULT_NONE;
        return;
    case DW_TEMPFAIL:
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
}

/* ---------------------------------------------------------------- */
/* RFC 9989: the DNS Tree Walk */

/* RFC 9989 state for one From domain: walks are made only when needed. */
struct eval_bis {
    const struct dns_txt_resolver *dns;
    struct dns_txt_answer *ans;
    const char *from;
    struct dw_walk from_walk;
    struct dw_walk walk;        /* bis_aligned's: 10 KB kept off the
                                   stack, whose deep pages each new
                                   libmilter thread faults in again */
    char from_org[DM_DOMAIN_MAX];
    bool from_org_known;
    bool tempfail;              /* a walk failed: ask no more this time */
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

/* True when two names end in the same label (the only ones that might). */
static bool
bis_same_top(const char *a, const char *b)
{
    const char *ta = strrchr(a, '.'), *tb = strrchr(b, '.');

    return strcasecmp(ta != NULL ? ta + 1 : a, tb != NULL ? tb + 1 : b) == 0;
}

/*
 * RFC 9989 4.4: relaxed alignment compares tree-walk org domains. An
 * org domain is its name or an ancestor, so an identifier outside the
 * From domain's organization cannot align and is never walked: its
 * name servers, whatever they do, change nothing.
 */
static enum ev_align
bis_aligned(void *arg, const char *auth, enum dmarc_align_mode mode)
{
    struct eval_bis *b = arg;
    char org[DM_DOMAIN_MAX];

    if (*auth == '\0')
        return EV_NO;
    if (strcasecmp(b->from, auth) == 0)
        return EV_YES;
    if (mode == DMARC_ALIGN_STRICT)
        return EV_NO;
    if (!bis_from_org(b))
        return bis_same_top(b->from, auth) ? EV_UNKNOWN : EV_NO;
    if (!dn_is_subdomain(auth, b->from_org))
        return EV_NO;
    if (b->tempfail)
        return EV_UNKNOWN;      /* one timeout per message is enough */
    dw_walk(b->dns, auth, false, b->ans, &b->walk);
    if (b->walk.tempfail) {
        b->tempfail = true;
        return EV_UNKNOWN;
    }
    (void)dw_org_domain(&b->walk, auth, org);
    return strcasecmp(org, b->from_org) == 0 ? EV_YES : EV_NO;
}

/*
 * sp for a From domain that exists, np for one that does not (RFC 9989
 * 4.10.1). False when that cannot be told: temperror.
 */
static bool
bis_sub_policy(struct eval_bis *b, const struct dmarc_record *rec,
               struct dm_verdict *v)
{
    /* A name no query can carry cannot exist: NXDOMAIN, without asking. */
    enum dns_status st = dw_name_ok(b->from) ?
        b->dns->lookup(b->dns->arg, b->from, b->ans) : DNS_NXDOMAIN;

    switch (st) {
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
    /* One record without a usable p or rua: no DMARC processing. */
    if (w->start_invalid)
        return false;
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
    return bis_sub_policy(b, rec, v);
}

static void
eval_bis(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
         struct dns_txt_answer *ans, struct dm_verdict *v,
         struct dmarc_record *rec_out)
{
    /* Not zeroed: each walk (10 KB) is set up by dw_walk, first thing. */
    struct eval_bis *b = malloc(sizeof(*b));
    struct dmarc_record rec;

    if (b == NULL) {
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
    b->from_org[0] = '\0';
    b->from_org_known = false;
    b->tempfail = false;
    b->dns = dns;
    b->ans = ans;
    b->from = in->from_domain;
    if (bis_discover(b, &rec, v)) {
        ev_dispose(ev_identifiers(in, &rec, bis_aligned, b, v), v);
        /* RFC 9989 t=y replaces pct: the next less severe policy. */
        if (v->disposition != DM_DISP_NONE && rec.testing) {
            v->testing = true;
            ev_weaken(v);
        }
        if (rec_out != NULL)
            *rec_out = rec;
    }
    free(b);
}

void
dmarc_eval(const struct dm_eval_input *in, const struct dns_txt_resolver *dns,
           const struct od_list *psl, struct dm_verdict *v)
{
    dmarc_eval_record(in, dns, psl, v, NULL);
}

void
dmarc_eval_record(const struct dm_eval_input *in,
                  const struct dns_txt_resolver *dns,
                  const struct od_list *psl, struct dm_verdict *v,
                  struct dmarc_record *rec)
{
    struct dns_txt_answer *ans;
    enum dm_skip skip = v->skip;

    memset(v, 0, sizeof(*v));
    v->skip = skip;
    v->result = DM_RESULT_NONE;
    v->policy = DM_POLICY_ABSENT;
    v->disposition = DM_DISP_NONE;
    v->spec = in->spec;
    /* Callers pass normalised names: anything longer is not a name. */
    if (strlen(in->from_domain) >= sizeof(v->from_domain)) {
        v->result = DM_RESULT_PERMERROR;
        return;
    }
    strcpy(v->from_domain, in->from_domain);
    strcpy(v->policy_domain, in->from_domain);
    ans = malloc(sizeof(*ans));
    if (ans == NULL) {
        v->result = DM_RESULT_TEMPERROR;
        return;
    }
    if (in->spec == DM_SPEC_RFC9989)
        eval_bis(in, dns, ans, v, rec);
    else
        eval_old(in, dns, psl, ans, v, rec);
    free(ans);
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
