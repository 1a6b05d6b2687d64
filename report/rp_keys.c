/*
 * rp_keys.c: the reporting keys and their defaults (rp_keys.h). The
 * milter reads the history keys (reloadable); dmarc-reports reads them
 * all at each run.
 */
#include <config.h>
#include <stdlib.h>
#include "report/rp_keys.h"

#define RP_STR(n, f, d) CF_KEY_STR(n, struct rp_settings, f, d)

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
