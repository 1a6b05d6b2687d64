/*
 * rp_keys.c: the reporting keys and their defaults (rp_keys.h). The
 * milter reads the history keys (reloadable); dmarc-reports reads them
 * all at each run.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/destination.h"
#include "report/rp_keys.h"

#define RP_STR(n, f, d) CF_KEY_STR(n, struct rp_settings, f, d)
#define RP_FN(n, fn, f) \
    CF_KEY(n, CF_SCALAR, false, fn, struct rp_settings, f, 0, 0, NULL)
#define RP_BOOL(n, f) CF_KEY_BOOL(n, struct rp_settings, f, "false")

/* Store a copy of val into the string field of k; false when short of
   memory. */
static bool
rp_store(struct cf_ctx *c, void *base, const struct cf_key *k,
         const char *val, size_t n)
{
    char *copy = malloc(n + 1);
    char **field = (char **)(void *)((char *)base + k->off);

    if (copy == NULL) {
        cf_bad(c, k, "", "memory to hold it");
        return false;
    }
    memcpy(copy, val, n);
    copy[n] = '\0';
    free(*field);
    *field = copy;
    return true;
}

/* FailureReportsBcc: one plain address (<> allowed), held to the same
   characters as a ruf address, since it goes into a header too. */
static bool
rp_set_address(struct cf_ctx *c, void *base, const struct cf_key *k,
               const char *val, bool replace)
{
    char uri[DEST_ADDR_MAX + 16];
    size_t n = strlen(val);
    struct dest d;

    (void)replace;
    if (n >= 2 && val[0] == '<' && val[n - 1] == '>') {
        val++;
        n -= 2;
    }
    snprintf(uri, sizeof(uri), "mailto:%.*s", (int)n, val);
    if (n >= DEST_ADDR_MAX || !dest_parse(uri, &d) || d.limit != 0 ||
        strcmp(d.addr, uri + 7) != 0) {
        cf_bad(c, k, val, "an address, user@example.com");
        return false;
    }
    return rp_store(c, base, k, d.addr, strlen(d.addr));
}

/* FailureReportsSentBy: the From: field's value as OpenDMARC takes it,
   "address" or "Name <address>": printable ASCII with an "@". */
static bool
rp_set_from(struct cf_ctx *c, void *base, const struct cf_key *k,
            const char *val, bool replace)
{
    size_t n = strlen(val);

    (void)replace;
    for (size_t i = 0; i < n; i++) {
        if ((unsigned char)val[i] < 0x20 || (unsigned char)val[i] > 0x7e)
            n = 0;
    }
    if (n == 0 || n > 256 || strchr(val, '@') == NULL) {
        cf_bad(c, k, val, "an address, or a name and <address>");
        return false;
    }
    return rp_store(c, base, k, val, n);
}

static const struct cf_key rp_keys[] = {
    RP_STR("HistoryFile", history_file, NULL),
    CF_KEY_BOOL("RecordAllMessages", struct rp_settings, record_all,
                "false"),
    RP_STR("IgnoreMailTo", ignore_mail_to, NULL),
    RP_STR("ReportCommand", report_command, "/usr/sbin/sendmail -t"),
    CF_KEY_FILE("NoReportsList", struct rp_settings, no_reports_list),
    RP_STR("ReportOrgName", org_name, NULL),
    RP_STR("ReportContact", contact, NULL),
    RP_STR("ReportContactInfo", contact_info, NULL),
    RP_STR("ReportSubmitter", submitter, NULL),
    CF_KEY_INT("ReportInterval", struct rp_settings, interval, 3600, 604800,
               "86400"),
    RP_STR("ReportStateDirectory", state_dir,
           "/var/lib/dmarc-milter/reports"),
    CF_KEY_INT("ReportRetryDays", struct rp_settings, retry_days, 0, 60,
               "3"),
    RP_STR("ReportStatsFile", stats_file, NULL),
    RP_BOOL("FailureReports", failure_reports),
    RP_FN("FailureReportsBcc", rp_set_address, failure_bcc),
    RP_BOOL("FailureReportsOnNone", failure_on_none),
    RP_FN("FailureReportsSentBy", rp_set_from, failure_sent_by),
    CF_KEY_INT("FailureReportsRateLimit", struct rp_settings, failure_rate,
               1, 10000, "10"),
    /* OpenDMARC's names before 1.3.0: the same fields */
    RP_BOOL("ForensicReports", failure_reports),
    RP_FN("ForensicReportsBcc", rp_set_address, failure_bcc),
    RP_BOOL("ForensicReportsOnNone", failure_on_none),
    RP_FN("ForensicReportsSentBy", rp_set_from, failure_sent_by),
};

static void
rp_keys_free(void *settings)
{
    struct rp_settings *s = settings;

    free(s->history_file);
    free(s->ignore_mail_to);
    free(s->report_command);
    free(s->no_reports_list);
    free(s->org_name);
    free(s->contact);
    free(s->contact_info);
    free(s->submitter);
    free(s->state_dir);
    free(s->stats_file);
    free(s->failure_bcc);
    free(s->failure_sent_by);
}

const struct cf_section rp_section = {
    "report", sizeof(struct rp_settings), rp_keys, CF_NKEYS(rp_keys),
    rp_keys_free, NULL,
};

const struct rp_settings *
rp_settings(const struct dm_config *cf)
{
    return cf_settings(cf, &rp_section);
}
