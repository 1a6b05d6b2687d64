/*
 * failure.c: which failing messages are reported, to which ruf= URIs, and
 * the report's mail (failure.h). Everything here is pure: the sender
 * (fr_sender.c) does the DNS, the limits and the command.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <time.h>
#include "report/failure.h"

#define FR_LINE_MAX 998         /* RFC 5322 2.1.1, without CRLF */
#define FR_VALUE_MAX 900        /* a field value we write */
#define FR_SUBJECT_MAX 200

bool
fr_wanted(unsigned fo, bool spf_aligned_pass, bool dkim_aligned_pass,
          bool any_dkim_fail, bool spf_fail)
{
    if (fo == 0)
        fo = FR_FO_0;
    if ((fo & FR_FO_0) && !spf_aligned_pass && !dkim_aligned_pass)
        return true;
    if ((fo & FR_FO_1) && (!spf_aligned_pass || !dkim_aligned_pass))
        return true;
    if ((fo & FR_FO_D) && any_dkim_fail)
        return true;
    return (fo & FR_FO_S) && spf_fail;
}

bool
fr_due(const struct rp_settings *rp, const struct hist_record *r,
       const char *ruf)
{
    bool dkim_fail = false;

    if (rp == NULL || !rp->failure_reports)
        return false;
    if ((ruf == NULL || ruf[0] == '\0') && rp->failure_bcc == NULL)
        return false;
    /* OpenDMARC's gate: a failure under reject or quarantine, or under
       none with FailureReportsOnNone; a pass or no record is never */
    if (r->policy != HIST_POLICY_REJECT &&
        r->policy != HIST_POLICY_QUARANTINE &&
        !(r->policy == HIST_POLICY_NONE && rp->failure_on_none))
        return false;
    for (size_t i = 0; i < r->n_dkim && i < HIST_DKIM_MAX; i++)
        if (r->dkim[i].result == DM_AUTH_FAIL)
            dkim_fail = true;
    return fr_wanted(r->fo, r->align_spf == HIST_ALIGN_PASS,
                     r->align_dkim == HIST_ALIGN_PASS, dkim_fail,
                     r->spf_evaluated && r->spf == DM_AUTH_FAIL);
}

size_t
fr_ruf_parse(const char *ruf, struct dest *out, size_t max)
{
    char uri[HIST_URI_MAX + 8];
    size_t n = 0, len;

    while (ruf != NULL && *ruf != '\0' && n < max) {
        len = strcspn(ruf, ",");
        if (len < sizeof(uri)) {
            memcpy(uri, ruf, len);
            uri[len] = '\0';
            if (dest_parse(uri, &out[n])) {
                bool dup = false;
                out[n].limit = 0;
                for (size_t i = 0; i < n; i++)
                    dup = dup || strcasecmp(out[i].addr, out[n].addr) == 0;
                n += !dup;
            }
        }
        ruf += len + (ruf[len] == ',');
    }
    return n;
}

void
fr_date(long long t, char out[32])
{
    static const char day[7][4] = {
        "Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat" };
    static const char mon[12][4] = {
        "Jan", "Feb", "Mar", "Apr", "May", "Jun",
        "Jul", "Aug", "Sep", "Oct", "Nov", "Dec" };
    time_t tt = (time_t)t;
    struct tm tm;

    /* the names by hand: strftime's would follow the locale */
    if (gmtime_r(&tt, &tm) == NULL)
        memset(&tm, 0, sizeof(tm));
    snprintf(out, 32, "%.3s, %02u %.3s %04u %02u:%02u:%02u +0000",
             day[(unsigned)tm.tm_wday % 7], (unsigned)tm.tm_mday % 32,
             mon[(unsigned)tm.tm_mon % 12],
             (unsigned)(tm.tm_year + 1900) % 10000,
             (unsigned)tm.tm_hour % 24, (unsigned)tm.tm_min % 60,
             (unsigned)tm.tm_sec % 61);
}

/* s (len bytes) as one field value: white space controls as spaces,
   other bytes outside printable ASCII as '?', at most max bytes. */
static void
fr_clean(struct rbuf *b, const char *s, size_t len, size_t max)
{
    char ch;

    for (size_t i = 0; i < len && i < max; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '\r' || c == '\n' || c == '\t')
            ch = ' ';
        else if (c < 0x20 || c > 0x7e)
            ch = '?';
        else
            ch = (char)c;
        rb_add(b, &ch, 1);
    }
}

/* "Name: " then the cleaned value and CRLF. */
static void
fr_field(struct rbuf *b, const char *name, const char *value)
{
    rb_str(b, name);
    RB_LIT(b, ": ");
    fr_clean(b, value, strlen(value), FR_VALUE_MAX);
    RB_LIT(b, "\r\n");
}

/* "Name: <address>" for Original-Mail-From and Original-Rcpt-To. */
static void
fr_path(struct rbuf *b, const char *name, const char *addr)
{
    size_t n = strlen(addr);

    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>') {
        addr++;
        n -= 2;
    }
    rb_str(b, name);
    RB_LIT(b, ": <");
    /* an address has no '<' '>' of its own: they would end the path */
    for (size_t i = 0; i < n && i < FR_VALUE_MAX; i++)
        fr_clean(b, strchr("<>", addr[i]) ? "?" : addr + i, 1, 1);
    RB_LIT(b, ">\r\n");
}

/* The original Subject's value, unfolded and cleaned, into out; "" when
   the block has none. */
static void
fr_subject(const char *h, size_t len, struct rbuf *out)
{
    size_t i = 0, end;

    while (i + 8 <= len) {
        if (strncasecmp(h + i, "Subject:", 8) == 0) {
            i += 8;
            while (i < len && (h[i] == ' ' || h[i] == '\t'))
                i++;
            /* to the first line end not followed by white space */
            for (end = i; end < len; end++) {
                size_t next = end + 1;
                if (h[end] != '\r' && h[end] != '\n')
                    continue;
                if (h[end] == '\r' && next < len && h[next] == '\n')
                    next++;
                if (next >= len || (h[next] != ' ' && h[next] != '\t'))
                    break;
                end = next;
            }
            fr_clean(out, h + i, end - i, FR_SUBJECT_MAX);
            return;
        }
        /* to the next line */
        while (i < len && h[i] != '\r' && h[i] != '\n')
            i++;
        while (i < len && (h[i] == '\r' || h[i] == '\n'))
            i++;
    }
}

/* The header block as text/rfc822-headers: CRLF line ends (a lone CR or
   LF is one too), no empty line, lines folded at FR_LINE_MAX, bytes
   outside printable ASCII and HT as '?', at most FR_HEADERS_MAX bytes. */
static void
fr_headers(const char *h, size_t len, struct rbuf *b)
{
    size_t col = 0, start = b->len;
    char ch;

    for (size_t i = 0; i < len && b->len - start < FR_HEADERS_MAX; i++) {
        unsigned char c = (unsigned char)h[i];
        if (c == '\r' || c == '\n') {
            if (c == '\r' && i + 1 < len && h[i + 1] == '\n')
                i++;
            if (col > 0)
                RB_LIT(b, "\r\n");
            col = 0;
            continue;
        }
        if (col == FR_LINE_MAX) {
            RB_LIT(b, "\r\n ");
            col = 1;
        }
        ch = (c == '\t' || (c >= 0x20 && c < 0x7f)) ? (char)c : '?';
        rb_add(b, &ch, 1);
        col++;
    }
    if (col > 0)
        RB_LIT(b, "\r\n");
}

/* Identity-Alignment: the mechanisms that aligned. */
static const char *
fr_alignment(const struct hist_record *r)
{
    bool d = r->align_dkim == HIST_ALIGN_PASS;
    bool s = r->align_spf == HIST_ALIGN_PASS;

    return d && s ? "dkim, spf" : d ? "dkim" : s ? "spf" : "none";
}

/* What was done with it, in words, for the human-readable part. */
static const char *
fr_done(enum hist_action a)
{
    switch (a) {
    case HIST_ACTION_NONE: return "delivered";
    case HIST_ACTION_QUARANTINE: return "quarantined";
    case HIST_ACTION_REJECT: return "rejected";
    case HIST_ACTION_DISCARD: return "discarded";
    default: return "refused for now";
    }
}

/* Delivery-Result (RFC 5965 3.3) from the disposition applied. */
static const char *
fr_delivery(enum hist_action a)
{
    switch (a) {
    case HIST_ACTION_NONE: return "delivered";
    case HIST_ACTION_QUARANTINE: return "spam";
    case HIST_ACTION_REJECT: return "reject";
    case HIST_ACTION_DISCARD: return "policy";
    default: return "other";
    }
}

/* The failed DKIM signature to name: one of the From domain's (or a
   parent's or child's) first, else the first that failed; NULL: none. */
static const struct hist_dkim *
fr_failed_dkim(const struct hist_record *r)
{
    const struct hist_dkim *any = NULL;

    for (size_t i = 0; i < r->n_dkim && i < HIST_DKIM_MAX; i++) {
        const struct hist_dkim *k = &r->dkim[i];
        if (k->result != DM_AUTH_FAIL)
            continue;
        if (dn_is_subdomain(r->from, k->domain) ||
            dn_is_subdomain(k->domain, r->from))
            return k;
        if (any == NULL)
            any = k;
    }
    return any;
}

/* The message/feedback-report part's fields. */
static void
fr_feedback(const struct fr_message *m, struct rbuf *b)
{
    const struct hist_record *r = m->rec;
    const struct hist_dkim *k = fr_failed_dkim(r);
    char date[32];

    RB_LIT(b, "Feedback-Type: auth-failure\r\nVersion: 1\r\n"
           "User-Agent: " PACKAGE_NAME "/" PACKAGE_VERSION "\r\n"
           "Auth-Failure: dmarc\r\n");
    if (m->ar_value != NULL && m->ar_value[0] != '\0') {
        fr_field(b, "Authentication-Results", m->ar_value);
    } else {
        RB_LIT(b, "Authentication-Results: ");
        fr_clean(b, r->reporter, strlen(r->reporter), FR_VALUE_MAX);
        RB_LIT(b, "; dmarc=fail header.from=");
        fr_clean(b, r->from, strlen(r->from), FR_VALUE_MAX);
        RB_LIT(b, "\r\n");
    }
    if (r->job[0] != '\0')
        fr_field(b, "Original-Envelope-Id", r->job);
    if (m->mail_from != NULL)
        fr_path(b, "Original-Mail-From", m->mail_from);
    if (m->rcpt != NULL && m->rcpt[0] != '\0')
        fr_path(b, "Original-Rcpt-To", m->rcpt);
    fr_date(r->received, date);
    fr_field(b, "Arrival-Date", date);
    fr_field(b, "Source-IP", r->ipaddr);
    fr_field(b, "Reported-Domain", r->from);
    fr_field(b, "Identity-Alignment", fr_alignment(r));
    fr_field(b, "Delivery-Result", fr_delivery(r->action));
    if (k != NULL) {
        fr_field(b, "DKIM-Domain", k->domain);
        if (k->selector[0] != '\0')
            fr_field(b, "DKIM-Selector", k->selector);
    }
}

/* The human-readable part, OpenDMARC's sentence and what was decided. */
static void
fr_text(const struct fr_message *m, struct rbuf *b)
{
    const struct hist_record *r = m->rec;
    char date[32];

    fr_date(r->received, date);
    RB_LIT(b, "This is an authentication failure report for an email "
           "message received\r\nfrom IP ");
    fr_clean(b, r->ipaddr, strlen(r->ipaddr), FR_VALUE_MAX);
    rb_printf(b, " on %s.\r\n\r\nIts From domain, ", date);
    fr_clean(b, r->from, strlen(r->from), FR_VALUE_MAX);
    RB_LIT(b, ", failed DMARC (policy domain ");
    fr_clean(b, r->pdomain, strlen(r->pdomain), FR_VALUE_MAX);
    rb_printf(b, "); the message was %s.\r\n", fr_done(r->action));
}

void
fr_boundary(const char *seed, const struct rbuf *parts, size_t n,
            char out[48])
{
    uint64_t h = 14695981039346656037ULL;
    bool clash;

    for (; *seed != '\0'; seed++)
        h = (h ^ (unsigned char)*seed) * 1099511628211ULL;
    for (unsigned k = 0;; k++) {
        snprintf(out, 48, "=_dmarc_failure_%016llx_%u",
                 (unsigned long long)h, k);
        clash = false;
        for (size_t i = 0; i < n && !clash; i++)
            clash = parts[i].len > 0 && strstr(parts[i].p, out) != NULL;
        if (!clash)
            return;
    }
}

/* From, To, Bcc, Date, Subject and the MIME fields of the report. */
static void
fr_envelope(const struct fr_mail *f, const char *boundary, struct rbuf *b)
{
    const struct fr_message *m = f->m;
    struct rbuf subj = { 0 };
    char date[32];

    fr_field(b, "From", f->from);
    fr_field(b, "To", f->to);
    if (f->bcc != NULL)
        fr_field(b, "Bcc", f->bcc);
    fr_date(f->now, date);
    fr_field(b, "Date", date);
    fr_subject(m->headers, m->headers != NULL ? m->headers_len : 0, &subj);
    /* OpenDMARC's two forms */
    if (subj.len > 0) {
        rb_printf(b, "Subject: FW: %s\r\n", subj.p);
    } else {
        bool job = m->rec->job[0] != '\0';
        const char *s = job ? m->rec->job : m->rec->from;
        rb_str(b, job ? "Subject: DMARC failure report for job "
                      : "Subject: DMARC failure report for ");
        fr_clean(b, s, strlen(s), FR_VALUE_MAX);
        RB_LIT(b, "\r\n");
    }
    rb_free(&subj);
    rb_printf(b, "MIME-Version: 1.0\r\nAuto-Submitted: auto-generated\r\n"
              "Content-Type: multipart/report;\r\n"
              "\treport-type=feedback-report;\r\n"
              "\tboundary=\"%s\"\r\n\r\n", boundary);
}

bool
fr_format(const struct fr_mail *f, struct rbuf *out)
{
    struct rbuf part[3] = { { 0 }, { 0 }, { 0 } };
    static const char *const type[3] = {
        "text/plain; charset=us-ascii", "message/feedback-report",
        "text/rfc822-headers" };
    char boundary[48], seed[HIST_JOB_MAX + HIST_IP_MAX + 32];
    bool ok;

    fr_text(f->m, &part[0]);
    fr_feedback(f->m, &part[1]);
    if (f->m->headers != NULL)
        fr_headers(f->m->headers, f->m->headers_len, &part[2]);
    snprintf(seed, sizeof(seed), "%s|%lld|%s", f->m->rec->job,
             f->m->rec->received, f->m->rec->ipaddr);
    fr_boundary(seed, part, 3, boundary);
    fr_envelope(f, boundary, out);
    RB_LIT(out, "This is a MIME-formatted message.\r\n\r\n");
    for (size_t i = 0; i < 3; i++) {
        rb_printf(out, "--%s\r\nContent-Type: %s\r\n\r\n", boundary,
                  type[i]);
        rb_add(out, part[i].p != NULL ? part[i].p : "", part[i].len);
        RB_LIT(out, "\r\n");
    }
    rb_printf(out, "--%s--\r\n", boundary);
    ok = !out->oom && !part[0].oom && !part[1].oom && !part[2].oom;
    for (size_t i = 0; i < 3; i++)
        rb_free(&part[i]);
    return ok;
}
