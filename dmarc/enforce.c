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

bool
enf_reject_string_ok(const char *text, const char **why)
{
    size_t n = strlen(text);
    bool have_s = false;

    *why = NULL;
    if (n == 0 || n > ENF_REJECT_STRING_MAX)
        *why = n == 0 ? "it is empty" : "it is longer than 200 bytes";
    for (const char *p = text; *why == NULL && *p != '\0'; p++) {
        unsigned char ch = (unsigned char)*p;

        if (ch < 0x20 || ch > 0x7e)
            *why = "a reply line holds printable ASCII only (no line "
                "break, control or 8-bit byte)";
        else if (ch == '%' && p[1] != 's')
            *why = "a '%' other than %s";
        else if (ch == '%' && have_s)
            *why = "more than one %s";
        else if (ch == '%')
            have_s = true;
    }
    return *why == NULL;
}

/*
 * OpenDMARC's text names the domain whose record applied (the
 * organizational domain for a subdomain); a RejectString's %s is the
 * From domain, as OpenDMARC's develop branch documents it.
 */
static void
enf_reject_text(const struct enf_options *opt, const struct dm_verdict *v,
                char *out, size_t outsz)
{
    const char *rs = opt->reject_string, *why, *pct;

    if (rs == NULL || !enf_reject_string_ok(rs, &why)) {
        snprintf(out, outsz, "rejected by DMARC policy for %s",
                 v->policy_domain);
        return;
    }
    pct = strstr(rs, "%s");
    if (pct == NULL)
        snprintf(out, outsz, "%s", rs);
    else
        snprintf(out, outsz, "%.*s%s%s", (int)(pct - rs), rs,
                 v->from_domain, pct + 2);
}

void
enf_decide(const struct enf_options *opt, struct dm_verdict *v,
           struct enf_decision *d)
{
    bool failed;

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
    failed = v->result == DM_RESULT_FAIL &&
        (v->policy == DM_POLICY_QUARANTINE || v->policy == DM_POLICY_REJECT);
    /* OpenDMARC copies a failure whether or not it is enforced. */
    d->copy = opt->copy_failures && failed;
    if (v->override != DM_OVERRIDE_NONE) {
        v->disposition = DM_DISP_NONE;
        return;
    }
    /* OpenDMARC's texts, which operators grep their logs for. */
    if (v->disposition == DM_DISP_REJECT && opt->reject_failures) {
        d->action = ENF_REJECT;
        d->rcode = "550";
        d->xcode = "5.7.1";
        d->copy = false;        /* a refused message is delivered nowhere */
        enf_reject_text(opt, v, d->text, sizeof(d->text));
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
    d->unenforced = failed;
}
