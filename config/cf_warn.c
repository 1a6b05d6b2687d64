/*
 * cf_warn.c: warnings about settings that load but are likely wrong,
 * given by `dmarc-milter -n` and in the log at start and reload.
 */
#include <config.h>

#include "config/cf_set.h"
#include "config/conf.h"

/*
 * An operator coming from OpenDMARC with postfix-policyd-spf-python in
 * front had SPF from its Received-SPF field without a line of
 * configuration. Here that trust is opt-in (any sender can write the
 * field), so the same file would make SPF-only mail fail DMARC, and with
 * RejectFailures be refused: say so, and which line restores it.
 */
bool
cf_warn_spf_source(const struct dm_config *cf, cf_report_fn report,
                   void *arg)
{
    struct cf_ctx c = {
        .file = cf->path != NULL ? cf->path : "(defaults)",
        .report = report, .arg = arg,
    };

    if (cf->spf_self_validate)
        return false;
    if (cf->spf_ignore_results) {
        cf_diag(&c, false, c.file, 0, "no SPF source: SPFIgnoreResults is "
                "true and SPFSelfValidate is false, so no message has an SPF "
                "result and mail that only SPF aligns fails DMARC");
        cf_diag(&c, false, c.file, 0, "to check SPF here, add the line "
                "\"SPFSelfValidate true\"");
        return true;
    }
    if (cf->n_trusted_ids > 0 || cf->trust_received_spf)
        return false;
    cf_diag(&c, false, c.file, 0, "no SPF source: SPFSelfValidate is false, "
            "TrustedAuthservIDs is empty and TrustReceivedSPF is false, so "
            "no message has an SPF result and mail that only SPF aligns "
            "fails DMARC (OpenDMARC believed any Received-SPF field)");
    cf_diag(&c, false, c.file, 0, "add the line \"TrustReceivedSPF true\" if "
            "postfix-policyd-spf-python runs in front of this milter, "
            "\"TrustedAuthservIDs <id>\" if an upstream writes "
            "Authentication-Results with spf=, else \"SPFSelfValidate "
            "true\"");
    return true;
}
