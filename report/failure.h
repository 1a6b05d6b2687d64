/*
 * failure.h: failure reports (RFC 9991; RFC 6591's auth-failure): which
 * messages get one (fo=, FailureReportsOnNone), where they go (ruf=), and
 * the report's mail. fr_sender.h mails them outside the milter thread.
 */
#ifndef DM_FAILURE_H
#define DM_FAILURE_H

#include <stdbool.h>
#include <stddef.h>
#include "report/destination.h"
#include "report/history.h"
#include "report/rbuf.h"
#include "report/rp_keys.h"

/* fo= as a set of bits, as in struct hist_record */
#define FR_FO_0 1u              /* all mechanisms failed to align a pass */
#define FR_FO_1 2u              /* any mechanism failed to */
#define FR_FO_D 4u              /* a DKIM signature failed to verify */
#define FR_FO_S 8u              /* SPF failed */

#define FR_RUF_MAX 8            /* ruf URIs used per message */
#define FR_HEADERS_MAX 65536    /* bytes of the original header block
                                   copied into a report */

/* One message that failed, as the milter hands it over. */
struct fr_message {
    const struct hist_record *rec;
    const char *ruf;            /* the ruf= value as published; NULL, "" */
    const char *headers;        /* the original header block, untrusted:
                                   "Name: value\r\n" lines */
    size_t headers_len;
    const char *ar_value;       /* our Authentication-Results value; NULL:
                                   "REPORTER; dmarc=fail header.from=D" */
    const char *rcpt;           /* an envelope recipient; NULL: none */
    const char *mail_from;      /* the RFC5321.MailFrom address; NULL:
                                   unknown, "": the null sender */
};

/*
 * The fo= table (RFC 9989 and 9991): true when a message whose mechanisms
 * came out so is to be reported under fo (0: the default, "0").
 */
bool fr_wanted(unsigned fo, bool spf_aligned_pass, bool dkim_aligned_pass,
               bool any_dkim_fail, bool spf_fail);

/*
 * Whether the message r records gets a failure report under rp, ruf its
 * published ruf= value: FailureReports is on, there is a ruf= or a
 * FailureReportsBcc, the message failed DMARC (as in OpenDMARC: passing
 * mail is never reported, whatever fo= says), fr_wanted() by its fo=,
 * and its policy is not none unless FailureReportsOnNone. Cheap: the
 * milter thread calls it before fr_submit().
 */
bool fr_due(const struct rp_settings *rp, const struct hist_record *r,
            const char *ruf);

/*
 * The usable destinations of a ruf= value into out[0..max): mailto: URIs
 * only (OpenDMARC's rule), a "!size" ignored (a failure report is small),
 * duplicates dropped. Returns their count.
 */
size_t fr_ruf_parse(const char *ruf, struct dest *out, size_t max);

/* One report's mail: the message and its envelope. */
struct fr_mail {
    const struct fr_message *m;
    const char *from;           /* From: value (FailureReportsSentBy) */
    const char *to;             /* To: addresses, ", " between */
    const char *bcc;            /* Bcc: value; NULL: none */
    long long now;              /* Date: (Unix time) */
};

/*
 * The whole mail into out (CRLF lines): multipart/report with a text
 * part, the message/feedback-report and the original header block as
 * text/rfc822-headers. Nothing the message holds can end a field, start
 * one, or end a MIME part: bytes outside printable ASCII are replaced,
 * line ends normalised, long lines folded, and the boundary is chosen to
 * occur nowhere in the parts. Output depends only on the input. False
 * when memory is short.
 */
bool fr_format(const struct fr_mail *f, struct rbuf *out);

/*
 * A MIME boundary (out, 48 bytes) that none of the n parts holds: a hash
 * of seed (the message's job, time and address), then a counter bumped
 * until no part has it.
 */
void fr_boundary(const char *seed, const struct rbuf *parts, size_t n,
                 char out[48]);

/* "Thu, 01 Jan 1970 00:00:00 +0000": RFC 5322, UTC, in out (32 bytes). */
void fr_date(long long t, char out[32]);

#endif
