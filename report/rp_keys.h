/*
 * rp_keys.h: the reporting keys, a section of the configuration
 * (config.h): OpenDMARC's HistoryFile, RecordAllMessages, IgnoreMailTo,
 * ReportCommand and NoReportsList, the keys of dmarc-reports, and the
 * failure reports' (FailureReports*, with the old Forensic* names).
 */
#ifndef DM_RP_KEYS_H
#define DM_RP_KEYS_H

#include <stdbool.h>
#include "config/conf.h"

struct rp_settings {
    char *history_file;         /* HistoryFile; NULL: none written */
    bool record_all;            /* RecordAllMessages */
    char *ignore_mail_to;       /* IgnoreMailTo: comma-separated */
    char *report_command;       /* ReportCommand */
    char *no_reports_list;      /* NoReportsList FILE */
    char *org_name;             /* ReportOrgName */
    char *contact;              /* ReportContact: email and From: */
    char *contact_info;         /* ReportContactInfo: extra_contact_info */
    char *submitter;            /* ReportSubmitter; NULL: contact's domain */
    int interval;               /* ReportInterval seconds, 3600..604800 */
    char *state_dir;            /* ReportStateDirectory */
    int retry_days;             /* ReportRetryDays */
    char *stats_file;           /* ReportStatsFile: node_exporter textfile */
    /* failure reports (failure.h), OpenDMARC's keys and Forensic* names */
    bool failure_reports;       /* FailureReports */
    char *failure_bcc;          /* FailureReportsBcc: an address */
    bool failure_on_none;       /* FailureReportsOnNone */
    char *failure_sent_by;      /* FailureReportsSentBy; NULL: the default,
                                   dmarc-milter <USER@HOSTNAME> */
    int failure_rate;           /* FailureReportsRateLimit: reports per
                                   destination per hour */
};

extern const struct cf_section rp_section;

/* cf's reporting settings; NULL when rp_section was not registered. */
const struct rp_settings *rp_settings(const struct dm_config *cf);

#endif
