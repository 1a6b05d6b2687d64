/*
 * aggregate.h: history records counted into aggregate reports: one
 * report per policy domain and interval, one row per distinct (source
 * IP, disposition, DKIM and SPF evaluation, reasons, From, MAIL FROM,
 * authentication results), each with its count.
 */
#ifndef DM_AGGREGATE_H
#define DM_AGGREGATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "report/history.h"
#include "report/intern.h"

/* RFC 9990 disposition words; DISP_PASS only in RFC 9990 form. */
enum ag_disp { AG_DISP_NONE = 0, AG_DISP_PASS, AG_DISP_QUARANTINE,
               AG_DISP_REJECT };

/* One row's key; strings are interned ids (intern.h). */
struct ag_key {
    uint32_t report;            /* index of its report */
    uint32_t ip, header_from, envelope_from, spf_domain;
    uint32_t dkim;              /* "d s result\n" lines, RFC 9990 order */
    uint32_t reasons;           /* "type comment\n" lines; "" none */
    uint8_t disp;               /* enum ag_disp */
    uint8_t dkim_pass, spf_pass;/* DMARC alignment: pass or fail */
    uint8_t spf_result;         /* enum dm_auth */
    uint8_t spf_scope;          /* enum hist_scope */
    uint8_t has_spf, null_sender, pad;
};

struct ag_row {
    struct ag_key key;
    uint64_t count;
};

/* One report: the policy published is the last one seen (RFC 9990 2.1). */
struct ag_report {
    uint32_t domain;            /* policy domain, interned */
    long long begin, end;       /* [begin, end), Unix time */
    long long last_seen;        /* the record the policy was taken from */
    char p, sp, np, adkim, aspf, t;
    int pct;
    unsigned fo;
    enum hist_discovery discovery;
    uint32_t rua;               /* the URIs, "uri\n" each, interned */
    uint64_t messages;
    size_t first_row, n_rows;   /* after ag_finish(): its rows */
};

struct ag_set;

/* interval: seconds, a multiple of 3600 (reports start on hour
   boundaries; 86400 gives whole UTC days). */
struct ag_set *ag_new(long long interval);
void ag_free(struct ag_set *s);

/* The interval [begin, end) that t falls in. */
void ag_interval(const struct ag_set *s, long long t, long long *begin,
                 long long *end);

/*
 * Count one record. Records with no policy record, no policy domain or
 * no rua URI are not reportable and are skipped (*counted false). -1
 * when memory is short.
 */
int ag_add(struct ag_set *s, const struct hist_record *r, bool rfc9990,
           bool *counted);

/* Sort: reports by domain and time, each report's rows by count. */
int ag_finish(struct ag_set *s);

size_t ag_n_reports(const struct ag_set *s);
const struct ag_report *ag_report(const struct ag_set *s, size_t i);
const struct ag_row *ag_rows(const struct ag_set *s);
const char *ag_str(const struct ag_set *s, uint32_t id);
size_t ag_n_rows(const struct ag_set *s);

#endif
