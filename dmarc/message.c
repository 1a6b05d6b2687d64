/*
 * message.c: one message's decision from its gathered inputs (see
 * message.h). The texts are the ones operators and the lab tests grep.
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "dmarc/message.h"

/*
 * Collect the distinct From domains of every field. A field that gives
 * none is reported (the first such status) after the others are read,
 * so that all->count says whether any field gave a domain.
 */
static enum fh_status
msg_from_domains(const struct msg_input *in, struct fh_result *all)
{
    enum fh_status first = FH_OK;

    memset(all, 0, sizeof(*all));
    if (in->n_from == 0)
        return FH_EMPTY;
    /* A From field we did not keep could name the spoofed domain. */
    if (in->from_over)
        return FH_TOO_MANY;
    for (size_t i = 0; i < in->n_from; i++) {
        struct fh_result one;
        enum fh_status st = in->from[i] == NULL ? FH_SYNTAX
            : fh_parse(in->from[i], strlen(in->from[i]), &one);

        if (st == FH_TOO_MANY)
            return st;
        if (st != FH_OK) {
            if (first == FH_OK)
                first = st;
            continue;
        }
        for (size_t k = 0; k < one.count; k++) {
            bool dup = false;

            for (size_t j = 0; j < all->count && !dup; j++)
                dup = strcmp(all->domain[j], one.domain[k]) == 0;
            if (dup)
                continue;
            if (all->count == FH_MAX_ADDRS)
                return FH_TOO_MANY;
            strcpy(all->domain[all->count++], one.domain[k]);
        }
    }
    if (first != FH_OK)
        return first;
    return all->count ? FH_OK : FH_EMPTY;
}

/* Refused before evaluation; out->reason already says why for the log. */
static enum msg_stage
msg_reject(struct msg_outcome *out, const char *reply)
{
    out->stage = MSG_REJECT;
    out->decision.action = ENF_REJECT;
    out->decision.rcode = "550";
    out->decision.xcode = "5.7.1";
    snprintf(out->decision.text, sizeof(out->decision.text), "%s", reply);
    return out->stage;
}

static enum msg_stage
msg_skip(struct msg_outcome *out, enum dm_skip why, const char *detail)
{
    out->stage = MSG_SKIP;
    out->skip = why;
    out->verdict.skip = why;
    snprintf(out->detail, sizeof(out->detail), "%s", detail);
    return out->stage;
}

/* RequiredFrom: every From field must give a domain. */
static enum msg_stage
msg_require_from(const struct msg_input *in, struct msg_outcome *out)
{
    snprintf(out->reason, sizeof(out->reason), "%s (RequiredFrom)",
             in->n_from == 0 ? "no From field" : "From field unusable");
    return msg_reject(out, "a From field with a usable domain is "
                      "required here");
}

/*
 * No From field gives a domain. Sendmail then writes a From of MAIL FROM
 * after the milters (Postfix adds it before them), so the recipient sees
 * that domain: it stands in as the author domain, the HELO name for a
 * null sender. Leaving From out is thus no way around the policy.
 */
static enum msg_stage
msg_standin(const struct msg_input *in, const struct msg_options *opt,
            enum fh_status fst, struct msg_outcome *out)
{
    const char *d = in->mailfrom_domain;
    const char *why = in->n_from == 0 ? "no From field" : fh_strerror(fst);
    bool helo = false;

    if (opt->required_from)
        return msg_require_from(in, out);
    if (d == NULL || *d == '\0') {
        d = in->helo_domain;
        helo = true;
    }
    if (d == NULL || *d == '\0' || strlen(d) >= DM_DOMAIN_MAX)
        return msg_skip(out, DM_SKIP_NO_FROM, why);
    snprintf(out->detail, sizeof(out->detail), "%s", why);
    strcpy(out->from.domain[0], d);
    out->from.count = 1;
    out->from_standin = true;
    out->standin_helo = helo;
    return MSG_EVALUATE;
}

enum msg_stage
msg_screen(const struct msg_input *in, const struct msg_options *opt,
           struct msg_outcome *out)
{
    enum fh_status fst;

    memset(out, 0, sizeof(*out));
    if (opt->required_headers &&
        rh_check(&in->counts, out->reason, sizeof(out->reason)) != NULL)
        return msg_reject(out, out->reason);
    fst = msg_from_domains(in, &out->from);
    if (fst != FH_OK) {
        if (opt->required_headers ||
            (fst == FH_TOO_MANY && opt->enf.reject_failures)) {
            snprintf(out->reason, sizeof(out->reason),
                     "From field unusable: %s", fh_strerror(fst));
            return msg_reject(out, out->reason);
        }
        if (fst == FH_TOO_MANY)
            return msg_skip(out, DM_SKIP_NO_FROM, fh_strerror(fst));
        if (out->from.count == 0) {
            if (msg_standin(in, opt, fst, out) != MSG_EVALUATE)
                return out->stage;
        } else if (opt->required_from) {
            return msg_require_from(in, out);
        }
        /*
         * Otherwise the fields that give a domain are judged: a broken
         * From field beside them must not buy the message a skip.
         */
    }
    for (size_t i = 0; i < out->from.count; i++) {
        if (opt->ignore_mailfrom != NULL &&
            opt->ignore_mailfrom(opt->ignore_arg, out->from.domain[i]))
            return msg_skip(out, DM_SKIP_IGNORED_MAILFROM,
                            out->from.domain[i]);
    }
    if (out->from.count > 1 && opt->reject_multi_from) {
        snprintf(out->reason, sizeof(out->reason), "From has %zu domains",
                 out->from.count);
        return msg_reject(out, "multiple From domains are not accepted here");
    }
    out->stage = MSG_EVALUATE;
    return out->stage;
}

/*
 * TrustReceivedSPF: the topmost field counts when it describes this
 * client and SPF identity. An SMTP-authenticated client may have passed
 * the policy service by (permit_sasl_authenticated comes first), so the
 * field on top is then its own. False leaves out->rspf saying why not.
 */
static bool
msg_received_spf(const struct msg_input *in, struct msg_outcome *out)
{
    struct rs_field f;
    struct dm_auth_id id;

    if (in->received_spf == NULL && !in->received_spf_lost)
        return false;
    if (in->authenticated) {
        out->rspf = MSG_RSPF_AUTHENTICATED;
        return false;
    }
    out->rspf_status = in->received_spf_lost ? RS_TOO_LONG
        : rs_parse(in->received_spf, strlen(in->received_spf), &f);
    if (out->rspf_status != RS_OK) {
        out->rspf = MSG_RSPF_REFUSED;
        return false;
    }
    out->rspf_match = rs_match(&f, &in->session, &id);
    if (out->rspf_match != RS_MATCH) {
        out->rspf = MSG_RSPF_MISMATCH;
        return false;
    }
    out->rspf = MSG_RSPF_USED;
    out->have_spf = true;
    out->spf_received = true;
    out->spf = id;
    return true;
}

/* SPFSelfValidate: run only when its result counts (DNS queries). */
static void
msg_own_spf(const struct msg_input *in, struct msg_outcome *out)
{
    struct msg_spf self;

    if (in->own_spf == NULL || !in->own_spf(in->own_spf_arg, &self))
        return;
    out->have_spf = true;
    out->spf_self = true;
    out->spf_helo = self.helo;
    out->spf.result = self.result;
    memcpy(out->spf.domain, self.domain, sizeof(out->spf.domain));
    out->spf.domain[sizeof(out->spf.domain) - 1] = '\0';
    out->spf.selector[0] = '\0';
}

/*
 * The first source with a result counts (see message.h). SPFIgnoreResults
 * sets aside what others wrote, A-R claims and Received-SPF alike. An
 * unusable Received-SPF field still leaves our own check, which is ours.
 */
static void
msg_choose_spf(const struct msg_input *in, const struct msg_options *opt,
               struct msg_outcome *out)
{
    if (!opt->spf_ignore_results) {
        if (in->claims != NULL && in->claims->have_spf) {
            out->spf = in->claims->spf;
            out->have_spf = true;
            return;
        }
        if (opt->trust_received_spf && msg_received_spf(in, out))
            return;
    }
    if (opt->spf_self_validate)
        msg_own_spf(in, out);
}

/*
 * OpenDMARC's ARC override, which its develop branch applies to
 * quarantine as to reject: a trusted ARC verifier passed the chain and
 * the operator vouches for every sealer, so a failure the policy would
 * refuse or hold is accepted, as mail forwarded by those sealers.
 */
static void
msg_arc_override(const struct msg_input *in, const struct msg_options *opt,
                 struct dm_verdict *v)
{
    if (v->result != DM_RESULT_FAIL || in->claims == NULL ||
        (v->disposition != DM_DISP_QUARANTINE &&
         v->disposition != DM_DISP_REJECT))
        return;
    if (art_arc_sealers_listed(in->claims, opt->arc_sealer, opt->arc_arg))
        v->override = DM_OVERRIDE_ARC;
}

enum msg_stage
msg_evaluate(const struct msg_input *in, const struct msg_options *opt,
             struct msg_outcome *out)
{
    struct dm_eval_input ev;
    struct dm_verdict v;
    struct dmarc_record rec;

    memset(&ev, 0, sizeof(ev));
    msg_choose_spf(in, opt, out);
    ev.spf = out->have_spf ? &out->spf : NULL;
    if (in->dkim_self) {
        ev.dkim = in->dkim;
        ev.n_dkim = in->n_dkim;
    } else if (in->claims != NULL) {
        ev.dkim = in->claims->dkim;
        ev.n_dkim = in->claims->n_dkim;
    }
    out->dkim = ev.dkim;
    out->n_dkim = ev.n_dkim;
    ev.sample = in->sample;
    ev.spec = opt->spec;
    for (size_t i = 0; i < out->from.count; i++) {
        ev.from_domain = out->from.domain[i];
        memset(&v, 0, sizeof(v));
        v.skip = DM_SKIP_NONE;
        dmarc_eval_record(&ev, in->dns, in->psl, &v, &rec);
        if (i == 0 || dmarc_verdict_stricter(&v, &out->verdict)) {
            out->verdict = v;
            if (v.policy != DM_POLICY_ABSENT)
                out->record = rec;
        }
    }
    out->verdict.from_standin = out->from_standin;
    out->verdict.standin_helo = out->standin_helo;
    msg_arc_override(in, opt, &out->verdict);
    enf_decide(&opt->enf, &out->verdict, &out->decision);
    out->stage = MSG_DONE;
    return out->stage;
}
