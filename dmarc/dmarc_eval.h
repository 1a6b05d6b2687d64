/*
 * dmarc_eval.h: the DMARC engine. Pure: parsed inputs and a resolver in,
 * a verdict out. No milter, no configuration, no logging.
 */
#ifndef DM_DMARC_EVAL_H
#define DM_DMARC_EVAL_H

#include <stddef.h>
#include "dmarc/verdict.h"
#include "dns/dns.h"
#include "dmarc/org_domain.h"
#include "dmarc/dmarc_record.h"

#define DM_SELECTOR_MAX 128

/* One authenticated identifier: an SPF check or a DKIM signature. */
struct dm_auth_id {
    enum dm_auth result;
    char domain[DM_DOMAIN_MAX];       /* normalised; SPF: MAIL FROM or HELO */
    char selector[DM_SELECTOR_MAX];   /* DKIM only, "" if unknown */
};

/*
 * A DKIM verifier plugs in here: anything that yields dm_auth_id values
 * (trusted A-R headers today, libopendkim self-verification later) fills
 * dkim[]. SPF likewise: at most one result counts, the MAIL FROM identity
 * (RFC 7489 section 4.2), so spf is a single optional value.
 */
struct dm_eval_input {
    const char *from_domain;           /* normalised RFC5322.From domain */
    const struct dm_auth_id *spf;      /* NULL when no SPF result */
    const struct dm_auth_id *dkim;
    size_t n_dkim;
    unsigned sample;                   /* 0..99, compared against pct */
    enum dm_spec spec;                 /* 0 (zeroed input): RFC 7489 */
};

/*
 * Evaluate one From domain. Fills every field of *v except skip; the
 * disposition is what the policy asks after pct sampling (RFC 7489) or
 * t=y (RFC 9989), before the operator's enforcement settings. Under
 * RFC 9989 the public suffix list is not used (psl may be NULL).
 */
void dmarc_eval(const struct dm_eval_input *in,
                const struct dns_txt_resolver *dns,
                const struct od_list *psl,
                struct dm_verdict *v);

/*
 * The same, and the record that applied into *rec (may be NULL): it is
 * written when one applied (v->policy is then not DM_POLICY_ABSENT), for
 * the reports, which tell what was published.
 */
void dmarc_eval_record(const struct dm_eval_input *in,
                       const struct dns_txt_resolver *dns,
                       const struct od_list *psl, struct dm_verdict *v,
                       struct dmarc_record *rec);

/*
 * Of two verdicts for the several From domains of one message, true when
 * a is stricter than b (it is the one to apply).
 */
bool dmarc_verdict_stricter(const struct dm_verdict *a,
                            const struct dm_verdict *b);

#endif
