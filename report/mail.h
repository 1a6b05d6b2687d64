/*
 * mail.h: an aggregate report as the mail RFC 9990 section 2.5 asks
 * for: gzip, base64, the file name receiver!domain!begin!end!id.xml.gz,
 * "Report Domain: ... Submitter: ... Report-ID: ..." in the subject,
 * handed to ReportCommand through a pipe (no shell).
 */
#ifndef DM_MAIL_H
#define DM_MAIL_H

#include <stdbool.h>
#include <stddef.h>
#include "report/rbuf.h"

struct mail_report {
    const char *domain;         /* the policy domain */
    const char *submitter;      /* the reporting domain (ReportSubmitter) */
    const char *report_id;      /* alphanumeric */
    long long begin, end;       /* as in date_range */
    const char *from;           /* From: address */
    const char *to;             /* the destination address */
    const char *gz;             /* the report's XML, gzip'ed (mail_gzip),
                                   as the outbox keeps it */
    size_t gz_len;
    long long now;              /* Date: */
};

/* The file name: submitter!domain!begin!end!id.xml.gz. */
void mail_filename(const struct mail_report *m, char *out, size_t outsz);

/* gzip the len bytes at data into out (zlib); false on failure. */
bool mail_gzip(const void *data, size_t len, struct rbuf *out);

/* The whole message into out, the report attached as it is (base64);
   false when memory is short. */
bool mail_build(const struct mail_report *m, struct rbuf *out);

/*
 * Run command (split on white space, the first word looked up in PATH)
 * with msg on its standard input. 0 when it exited 0; else -1 with a
 * reason in err.
 */
int mail_send(const char *command, const struct rbuf *msg, char *err,
              size_t errsz);

#endif
