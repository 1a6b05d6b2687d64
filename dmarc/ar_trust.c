/*
 * ar_trust.c: trusted Authentication-Results claims (see ar_trust.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>
#include <strings.h>

#include "dmarc/ar_trust.h"
#include "dns/dns.h"

/*
 * The writer of a field: its id, less a "/job" under AuthservIDWithJobID
 * (whatever the job: the fields of one writer compare equal). *job is
 * the job, "" when none; false when the id does not fit out.
 */
static bool
art_writer(const struct art_input *in, const char *id, char out[AR_ID_MAX],
           const char **job)
{
    const char *slash = in->jobid != NULL ? strchr(id, '/') : NULL;
    size_t n = slash != NULL ? (size_t)(slash - id) : strlen(id);

    *job = slash != NULL ? slash + 1 : "";
    if (n >= AR_ID_MAX)
        return false;
    memcpy(out, id, n);
    out[n] = '\0';
    return true;
}

/* The field's writer is believed: a trusted id, or "trusted/thisjob". */
static bool
art_trusted(const struct art_input *in, const char *id)
{
    char writer[AR_ID_MAX];
    const char *job;

    if (in->trusted(in->trusted_arg, id))
        return true;
    return in->jobid != NULL && art_writer(in, id, writer, &job) &&
        *job != '\0' && strcmp(job, in->jobid) == 0 &&
        in->trusted(in->trusted_arg, writer);
}

static bool
art_same_writer(const struct art_input *in, const char *a, const char *b)
{
    char wa[AR_ID_MAX], wb[AR_ID_MAX];
    const char *job;

    return art_writer(in, a, wa, &job) && art_writer(in, b, wb, &job) &&
        strcasecmp(wa, wb) == 0;
}

bool
art_is_forged_own(const struct art_input *in, const struct ar_header *h)
{
    char writer[AR_ID_MAX];
    const char *job;

    return h != NULL && in->own_id != NULL &&
        art_writer(in, h->authserv_id, writer, &job) &&
        strcasecmp(writer, in->own_id) == 0 &&
        !in->trusted(in->trusted_arg, in->own_id);
}

/* The domain of a property value written as "domain" or "user@domain". */
static bool
art_value_domain(const char *value, char *out)
{
    const char *at = strrchr(value, '@');
    const char *d = at ? at + 1 : value;

    return dn_normalize(d, strlen(d), out, DM_DOMAIN_MAX) == DN_OK;
}

/* Record an SPF claim; a second, different claim voids both. */
static void
art_add_spf(const struct art_input *in, const struct ar_result *r,
            struct art_claims *out, bool *spf_void)
{
    const char *mf = ar_prop_get(r, "smtp", "mailfrom");
    const char *helo = ar_prop_get(r, "smtp", "helo");
    char dom[DM_DOMAIN_MAX];

    /*
     * The claim must be about this message's own SPF identity (the
     * CVE-2019-20790 lesson): MAIL FROM, or HELO for a null sender.
     */
    if (*in->mailfrom_domain != '\0') {
        if (mf == NULL || !art_value_domain(mf, dom) ||
            strcmp(dom, in->mailfrom_domain) != 0)
            return;
    } else {
        if (*in->helo_domain == '\0')
            return;
        if (helo != NULL) {
            if (!art_value_domain(helo, dom) ||
                strcmp(dom, in->helo_domain) != 0)
                return;
        } else if (mf == NULL || !art_value_domain(mf, dom) ||
                   strcmp(dom, in->helo_domain) != 0) {
            return;
        }
    }
    if (!r->known_result || *spf_void)
        return;
    if (out->have_spf) {
        if (out->spf.result != r->result) {
            out->have_spf = false;
            *spf_void = true;
            out->n_conflicts++;
        }
        return;
    }
    out->have_spf = true;
    out->spf.result = r->result;
    strcpy(out->spf.domain, dom);
    out->spf.selector[0] = '\0';
}

static void
art_add_dkim(const struct ar_result *r, struct art_claims *out,
             bool voided[ART_MAX_DKIM])
{
    const char *d = ar_prop_get(r, "header", "d");
    const char *s = ar_prop_get(r, "header", "s");
    const char *i = ar_prop_get(r, "header", "i");
    char dom[DM_DOMAIN_MAX];

    if (!r->known_result)
        return;
    /* opendkim writes header.d; older verifiers only header.i. */
    if (d != NULL) {
        if (dn_normalize(d, strlen(d), dom, sizeof(dom)) != DN_OK)
            return;
    } else if (i == NULL || !art_value_domain(i, dom)) {
        return;
    }
    if (s == NULL || strlen(s) >= DM_SELECTOR_MAX)
        s = "";
    for (size_t k = 0; k < out->n_dkim; k++) {
        struct dm_auth_id *a = &out->dkim[k];

        if (strcmp(a->domain, dom) != 0 || strcmp(a->selector, s) != 0)
            continue;
        if (a->result != r->result && !voided[k]) {
            /* Two trusted verdicts on one signature: believe neither. */
            voided[k] = true;
            out->n_conflicts++;
        }
        return;
    }
    if (out->n_dkim == ART_MAX_DKIM)
        return;
    out->dkim[out->n_dkim].result = r->result;
    strcpy(out->dkim[out->n_dkim].domain, dom);
    strcpy(out->dkim[out->n_dkim].selector, s);
    voided[out->n_dkim] = false;
    out->n_dkim++;
}

/* Record an ARC claim; a second that differs (result or chain) voids it. */
static void
art_add_arc(const struct ar_result *r, struct art_claims *out,
            bool *arc_void)
{
    const char *chain = ar_prop_get(r, "arc", "chain");

    if (!r->known_result || *arc_void)
        return;
    if (chain == NULL)
        chain = "";
    if (out->have_arc) {
        if (out->arc != r->result || strcmp(out->arc_chain, chain) != 0) {
            out->have_arc = false;
            *arc_void = true;
            out->n_conflicts++;
        }
        return;
    }
    out->have_arc = true;
    out->arc = r->result;
    snprintf(out->arc_chain, sizeof(out->arc_chain), "%s", chain);
}

bool
art_arc_sealers_listed(const struct art_claims *c, art_listed_fn listed,
                       void *arg)
{
    const char *p;

    if (!c->have_arc || c->arc != DM_AUTH_PASS || c->arc_chain[0] == '\0' ||
        listed == NULL)
        return false;
    for (p = c->arc_chain;; p++) {
        size_t n = strcspn(p, ":");
        char dom[DM_DOMAIN_MAX];

        if (n == 0 || dn_normalize(p, n, dom, sizeof(dom)) != DN_OK ||
            !listed(arg, dom))
            return false;
        p += n;
        if (*p == '\0')
            return true;
    }
}

void
art_collect(const struct art_input *in, const struct ar_header *const *hdrs,
            size_t n, struct art_claims *out)
{
    bool spf_void = false, arc_void = false, voided[ART_MAX_DKIM];
    size_t kept = 0;

    memset(out, 0, sizeof(*out));
    for (size_t h = 0; h < n; h++) {
        const struct ar_header *a = hdrs[h];
        bool seen_above = false;

        if (a == NULL || !art_trusted(in, a->authserv_id))
            continue;
        /* Only the topmost header of each trusted writer was added here. */
        for (size_t k = 0; k < h && !seen_above; k++) {
            seen_above = hdrs[k] != NULL &&
                art_same_writer(in, hdrs[k]->authserv_id, a->authserv_id);
        }
        if (seen_above)
            continue;
        for (size_t r = 0; r < a->nresults; r++) {
            const struct ar_result *res = &a->results[r];

            if (strcmp(res->method, "spf") == 0)
                art_add_spf(in, res, out, &spf_void);
            else if (strcmp(res->method, "dkim") == 0)
                art_add_dkim(res, out, voided);
            else if (strcmp(res->method, "arc") == 0)
                art_add_arc(res, out, &arc_void);
        }
    }
    /* Drop the signatures whose trusted verdicts disagreed. */
    for (size_t k = 0; k < out->n_dkim; k++) {
        if (!voided[k])
            out->dkim[kept++] = out->dkim[k];
    }
    out->n_dkim = kept;
}
