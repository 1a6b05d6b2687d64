/*
 * exposition.h: the counter store written as a Prometheus scrape body, in
 * the text format 0.0.4 or OpenMetrics 1.0.0.
 *
 * Families (every label combination of a row is written, 0 included):
 *   dmarc_milter_messages_total{domain,policy,result}         counter
 *   dmarc_milter_dispositions_total{domain,policy,disposition} counter
 *   dmarc_milter_ignored_total{reason}                        counter
 *   dmarc_milter_tracked_domains                              gauge
 *   dmarc_milter_domain_overflow_total                        counter
 *   dmarc_milter_evaluation_seconds                           histogram
 *   dmarc_milter_dns_queries_total{type,outcome}              counter
 *   dmarc_milter_build_info{version}                          gauge / info
 *   process_*                                                 (proc_stats.h)
 * In OpenMetrics a counter family is named without "_total" (its samples
 * keep it), build_info is the info family dmarc_milter_build, and the body
 * ends with "# EOF".
 */
#ifndef DM_EXPOSITION_H
#define DM_EXPOSITION_H

#include <stdbool.h>
#include <stddef.h>

#include "metrics/counter_store.h"
#include "metrics/proc_stats.h"

enum ex_format {
    EX_TEXT = 0,          /* text/plain; version=0.0.4 */
    EX_OPENMETRICS        /* application/openmetrics-text; version=1.0.0 */
};

#define EX_CT_TEXT "text/plain; version=0.0.4; charset=utf-8"
#define EX_CT_OPENMETRICS \
    "application/openmetrics-text; version=1.0.0; charset=utf-8"

/*
 * The format for an Accept header (NULL: none): OpenMetrics when it is
 * accepted with a weight at least that of the text format, as Prometheus
 * 2.x and 3.x ask; otherwise text.
 */
enum ex_format ex_negotiate(const char *accept);

const char *ex_content_type(enum ex_format f);

/*
 * True when an Accept-Encoding header (NULL: none) accepts gzip: named
 * with a weight above 0, or unnamed and "*" accepted (RFC 9110 12.5.3).
 */
bool ex_accepts_gzip(const char *accept_encoding);

/*
 * The body, malloc()ed and NUL-terminated, its length in *len; NULL when
 * memory is short. ps may be NULL (no process_* families).
 */
char *ex_render(const struct cs_store *cs, enum ex_format f,
                const struct ps_stats *ps, size_t *len);

/*
 * Escape a label value (backslash, double quote, newline) into out; the
 * length written, or (size_t)-1 when outsz is too small.
 */
size_t ex_escape(char *out, size_t outsz, const char *in);

#endif
