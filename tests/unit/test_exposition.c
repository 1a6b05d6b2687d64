/*
 * test_exposition.c: the scrape body (metrics/exposition.c), content
 * negotiation, the process_* parser and the counting DNS decorator.
 */
#include <config.h>

#include <arpa/nameser.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/counter_store.h"
#include "metrics/dns_counting.h"
#include "metrics/exposition.h"
#include "metrics/proc_stats.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

static bool
has_line(const char *body, const char *line)
{
    size_t n = strlen(line);
    const char *s = body;

    while ((s = strstr(s, line)) != NULL) {
        if ((s == body || s[-1] == '\n') && s[n] == '\n')
            return true;
        s++;
    }
    return false;
}

static int
count_prefix(const char *body, const char *prefix)
{
    size_t n = strlen(prefix);
    int c = 0;

    for (const char *s = body; *s != '\0';) {
        const char *nl = strchr(s, '\n');

        if (strncmp(s, prefix, n) == 0)
            c++;
        if (nl == NULL)
            break;
        s = nl + 1;
    }
    return c;
}

static void
test_negotiate(void)
{
    is_int(ex_negotiate(NULL), EX_TEXT, "no Accept: text");
    is_int(ex_negotiate(""), EX_TEXT, "empty Accept: text");
    is_int(ex_negotiate("*/*"), EX_TEXT, "curl: text");
    is_int(ex_negotiate("text/plain"), EX_TEXT, "text/plain: text");
    is_int(ex_negotiate("application/openmetrics-text"), EX_OPENMETRICS,
           "bare openmetrics");
    /* Prometheus 2.42 */
    is_int(ex_negotiate("application/openmetrics-text;version=1.0.0,"
                        "application/openmetrics-text;version=0.0.1;q=0.75,"
                        "text/plain;version=0.0.4;q=0.5,*/*;q=0.1"),
           EX_OPENMETRICS, "Prometheus 2 header");
    /* Prometheus 3 */
    is_int(ex_negotiate("application/openmetrics-text;version=1.0.0;"
                        "escaping=allow-utf-8;q=0.5,application/openmetrics-"
                        "text;version=0.0.1;q=0.4,text/plain;version=1.0.0;"
                        "escaping=allow-utf-8;q=0.3,text/plain;version=0.0.4;"
                        "q=0.2,*/*;q=0.1"), EX_OPENMETRICS,
           "Prometheus 3 header");
    is_int(ex_negotiate("text/plain;version=0.0.4;q=0.9,"
                        "application/openmetrics-text;q=0.5"), EX_TEXT,
           "text weighted higher wins");
    is_int(ex_negotiate("application/openmetrics-text; version=1.0.0; q=0"),
           EX_TEXT, "q=0 refuses");
    is_int(ex_negotiate("application/openmetrics-text;version=2.0.0"),
           EX_TEXT, "OpenMetrics 2.0 is not served: fall back");
    is_int(ex_negotiate("APPLICATION/OpenMetrics-Text ; Version=\"1.0.0\""),
           EX_OPENMETRICS, "case and quotes");
    is_int(ex_negotiate("application/openmetrics-text;q=abc"), EX_TEXT,
           "bad q: range ignored");
    is_int(ex_negotiate("application/openmetrics-text;q=1.0001"), EX_TEXT,
           "q with four decimals: ignored");
    is_int(ex_negotiate(",,,;;;==,application/openmetrics-text"),
           EX_OPENMETRICS, "junk ranges skipped");
    is_int(ex_negotiate("application/json"), EX_TEXT, "unknown: text");
    is_str(ex_content_type(EX_TEXT), "text/plain; version=0.0.4; "
           "charset=utf-8", "text content type");
    is_str(ex_content_type(EX_OPENMETRICS), "application/openmetrics-text; "
           "version=1.0.0; charset=utf-8", "OpenMetrics content type");
}

static void
test_gzip_accepted(void)
{
    ok(!ex_accepts_gzip(NULL), "no Accept-Encoding: identity");
    ok(!ex_accepts_gzip(""), "empty: identity");
    ok(ex_accepts_gzip("gzip"), "gzip");
    ok(ex_accepts_gzip("deflate, gzip"), "gzip second");
    /* What Prometheus' scraper sends. */
    ok(ex_accepts_gzip("gzip"), "Prometheus");
    ok(ex_accepts_gzip("br;q=1.0, gzip;q=0.8, *;q=0.1"), "weighted lower");
    ok(ex_accepts_gzip("X-GZIP"), "x-gzip, any case");
    ok(ex_accepts_gzip(" gzip ; q=0.5 "), "spaces around");
    ok(!ex_accepts_gzip("gzip;q=0"), "gzip;q=0 refuses");
    ok(!ex_accepts_gzip("gzip;q=0.000"), "gzip;q=0.000 refuses");
    ok(!ex_accepts_gzip("deflate, br"), "others only");
    ok(!ex_accepts_gzip("identity"), "identity only");
    ok(ex_accepts_gzip("*"), "* stands for gzip");
    ok(!ex_accepts_gzip("*;q=0"), "*;q=0 refuses everything");
    ok(!ex_accepts_gzip("gzip;q=0, *"), "named gzip;q=0 beats *");
    ok(ex_accepts_gzip("*;q=0, gzip"), "named gzip beats *;q=0");
    ok(!ex_accepts_gzip("gzip;q=abc"), "bad q: ignored");
    ok(ex_accepts_gzip("gzip;q=abc, gzip"), "then a good one");
    ok(!ex_accepts_gzip("gzipped"), "a longer word is not gzip");
    ok(ex_accepts_gzip(",,;=,gzip"), "junk skipped");
}

static void
test_escape(void)
{
    char out[64];

    is_int(ex_escape(out, sizeof(out), "a\\b\"c\nd"), 10, "escape length");
    is_str(out, "a\\\\b\\\"c\\nd", "backslash, quote, newline escaped");
    is_int(ex_escape(out, sizeof(out), ""), 0, "empty");
    is_int(ex_escape(out, 4, "abcd"), (long long)(size_t)-1, "too small");
    is_int(ex_escape(out, 5, "abcd"), 4, "exactly fits");
    is_int(ex_escape(out, 5, "abc\""), (long long)(size_t)-1,
           "escape does not fit");
}

static void
test_empty(void)
{
    struct cs_store *cs = fx_store(10);
    size_t len;
    char *body = ex_render(cs, EX_TEXT, NULL, &len);

    ok(body != NULL, "empty store renders");
    is_int(strlen(body), len, "length matches");
    ok(has_line(body, "# TYPE dmarc_milter_messages_total counter"),
       "messages TYPE");
    ok(has_line(body, "# HELP dmarc_milter_messages_total Messages "
                "evaluated, by From domain, the DMARC policy that applied "
                "(absent: no record) and the DMARC result."),
       "messages HELP");
    ok(has_line(body, "# TYPE dmarc_milter_dispositions_total counter"),
       "dispositions TYPE");
    is_int(count_prefix(body, "dmarc_milter_messages_total{"), 0,
           "no message samples");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"ignored_host\"} 0"),
       "ignored_host at 0");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"authenticated\"} 0"),
       "authenticated at 0");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"ignored_mailfrom\"}"
                " 0"), "ignored_mailfrom at 0");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"no_from\"} 0"),
       "no_from at 0");
    is_int(count_prefix(body, "dmarc_milter_ignored_total{"), 4,
           "four reasons");
    ok(has_line(body, "dmarc_milter_tracked_domains 0"), "tracked 0");
    ok(has_line(body, "# TYPE dmarc_milter_tracked_domains gauge"),
       "tracked is a gauge");
    ok(has_line(body, "dmarc_milter_domain_overflow_total 0"), "overflow 0");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"+Inf\"} 0"),
       "+Inf bucket");
    is_int(count_prefix(body, "dmarc_milter_evaluation_seconds_bucket{"),
           CS_EVAL_BUCKETS + 1, "13 buckets");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_sum 0.000000000"),
       "sum 0");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_count 0"), "count 0");
    is_int(count_prefix(body, "dmarc_milter_dns_queries_total{type=\"txt\","),
           5, "five DNS outcomes");
    is_int(count_prefix(body, "dmarc_milter_dns_queries_total{"),
           5 * 6, "five outcomes for each of six types");
    is_int(count_prefix(body, "dmarc_milter_dns_cache_hits_total{"), 6,
           "cache hits for six types");
    ok(has_line(body, "dmarc_milter_dns_cache_hits_total{type=\"ptr\"} 0"),
       "ptr cache hits at 0");
    ok(has_line(body, "# TYPE dmarc_milter_dns_cache_hits_total counter"),
       "cache hits are a counter");
    ok(has_line(body, "dmarc_milter_dns_queries_total{type=\"txt\","
                "outcome=\"tempfail\"} 0"), "tempfail at 0");
    ok(has_line(body, "# TYPE dmarc_milter_build_info gauge"),
       "build_info is a gauge in 0.0.4");
    ok(has_line(body, "dmarc_milter_build_info{version=\"" PACKAGE_VERSION
                "\"} 1"), "build_info carries the version");
    ok(strstr(body, "# EOF") == NULL, "no # EOF in 0.0.4");
    ok(len > 0 && body[len - 1] == '\n', "ends with a newline");
    ok(strchr(body, '\r') == NULL, "no CR");
    is_int(count_prefix(body, "process_"), 0, "no process_* without stats");
    free(body);
    cs_free(cs);
}

static void
test_rows(void)
{
    struct cs_store *cs = fx_store(10);
    size_t len;
    char *body;

    cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
             DM_DISP_REJECT);
    cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
             DM_DISP_REJECT);
    cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_PASS,
             DM_DISP_NONE);
    cs_count(cs, "other.org", DM_POLICY_ABSENT, DM_RESULT_NONE, DM_DISP_NONE);
    cs_count_skip(cs, DM_SKIP_AUTHENTICATED);
    cs_observe_eval(cs, 0.003);
    cs_observe_eval(cs, 1.5);
    cs_count_dns(cs, ns_t_txt, DNS_NXDOMAIN, false);
    cs_count_dns(cs, ns_t_aaaa, DNS_OK, true);
    body = ex_render(cs, EX_TEXT, NULL, &len);
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"reject\",result=\"fail\"} 2"), "fail 2");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"reject\",result=\"pass\"} 1"), "pass 1");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"reject\",result=\"none\"} 0"), "none at 0");
    ok(has_line(body, "dmarc_milter_dns_queries_total{type=\"txt\","
                "outcome=\"nxdomain\"} 1"), "a txt lookup by outcome");
    ok(has_line(body, "dmarc_milter_dns_queries_total{type=\"aaaa\","
                "outcome=\"ok\"} 1"), "an aaaa lookup by outcome");
    ok(has_line(body, "dmarc_milter_dns_cache_hits_total{type=\"aaaa\"} 1"),
       "its cache hit");
    ok(has_line(body, "dmarc_milter_dns_cache_hits_total{type=\"txt\"} 0"),
       "no txt cache hit");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"reject\",result=\"temperror\"} 0"),
       "temperror at 0");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"reject\",result=\"permerror\"} 0"),
       "permerror at 0");
    ok(has_line(body, "dmarc_milter_dispositions_total{domain=\"example.com\""
                ",policy=\"reject\",disposition=\"reject\"} 2"),
       "disposition reject 2");
    ok(has_line(body, "dmarc_milter_dispositions_total{domain=\"example.com\""
                ",policy=\"reject\",disposition=\"quarantine\"} 0"),
       "disposition quarantine at 0");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"other.org\","
                "policy=\"absent\",result=\"none\"} 1"), "absent policy row");
    is_int(count_prefix(body, "dmarc_milter_messages_total{"), 10,
           "5 results x 2 rows");
    is_int(count_prefix(body, "dmarc_milter_dispositions_total{"), 6,
           "3 dispositions x 2 rows");
    ok(strstr(body, "dmarc_milter_messages_total{domain=\"example.com\"") <
       strstr(body, "# HELP dmarc_milter_dispositions_total"),
       "messages come before the dispositions family");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"authenticated\"} 1"),
       "skip counted");
    ok(has_line(body, "dmarc_milter_tracked_domains 2"), "tracked 2");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"0.001\"} 0"),
       "bucket 0.001");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"0.005\"} 1"),
       "bucket 0.005 cumulative");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"1.0\"} 1"),
       "bucket 1");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"2.5\"} 2"),
       "bucket 2.5");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_bucket{le=\"+Inf\"} 2"),
       "bucket +Inf");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_sum 1.503000000"),
       "sum exact");
    ok(has_line(body, "dmarc_milter_evaluation_seconds_count 2"), "count");
    ok(has_line(body, "dmarc_milter_dns_queries_total{type=\"txt\","
                "outcome=\"nxdomain\"} 1"), "dns nxdomain 1");
    free(body);

    /* Overflow shows as __other__ rows and the overflow counter. */
    {
        struct cs_store *small = fx_store(1);

        cs_count(small, "a.example", DM_POLICY_NONE, DM_RESULT_PASS,
                 DM_DISP_NONE);
        cs_count(small, "b.example", DM_POLICY_NONE, DM_RESULT_FAIL,
                 DM_DISP_NONE);
        body = ex_render(small, EX_TEXT, NULL, &len);
        ok(has_line(body, "dmarc_milter_messages_total{domain=\"__other__\","
                    "policy=\"none\",result=\"fail\"} 1"), "__other__ row");
        ok(has_line(body, "dmarc_milter_domain_overflow_total 1"),
           "overflow 1");
        ok(has_line(body, "dmarc_milter_tracked_domains 1"), "tracked 1");
        free(body);
        cs_free(small);
    }
    cs_free(cs);
}

/*
 * The ARC override and the stand-in author domain, counted through the
 * verdict hook as the milter publishes them: each also in its row.
 */
static void
test_local_overrides(void)
{
    struct cs_store *cs = fx_store(10);
    struct dm_verdict v;
    struct cs_totals t;
    size_t len;
    char *body = ex_render(cs, EX_TEXT, NULL, &len);

    ok(has_line(body, "dmarc_milter_local_overrides_total{reason=\"arc\"} "
                "0"), "overrides: arc at 0 from the start");
    is_int(count_prefix(body, "dmarc_milter_local_overrides_total{"), 1,
           "one reason, none for \"none\"");
    ok(has_line(body, "dmarc_milter_from_standins_total{source=\"mailfrom\"}"
                " 0") && has_line(body, "dmarc_milter_from_standins_total{"
                "source=\"helo\"} 0"), "stand-ins at 0 from the start");
    ok(has_line(body, "# TYPE dmarc_milter_local_overrides_total counter"),
       "overrides are a counter");
    free(body);

    v = fx_verdict(DM_RESULT_FAIL, DM_POLICY_REJECT, DM_DISP_NONE,
                   "paypal.example");
    v.override = DM_OVERRIDE_ARC;
    cs_verdict_hook(&v, cs);
    v.override = DM_OVERRIDE_NONE;
    v.from_standin = true;
    cs_verdict_hook(&v, cs);
    v.standin_helo = true;
    cs_verdict_hook(&v, cs);
    v.skip = DM_SKIP_NO_FROM;          /* a skip is not evaluated */
    v.override = DM_OVERRIDE_ARC;
    cs_verdict_hook(&v, cs);
    cs_totals(cs, &t);
    is_int(t.overrides[DM_OVERRIDE_ARC], 1, "one ARC override");
    is_int(t.overrides[DM_OVERRIDE_NONE], 0, "\"none\" is never counted");
    is_int(t.standins[CS_STANDIN_MAILFROM], 1, "one MAIL FROM stand-in");
    is_int(t.standins[CS_STANDIN_HELO], 1, "one HELO stand-in");
    body = ex_render(cs, EX_TEXT, NULL, &len);
    ok(has_line(body, "dmarc_milter_local_overrides_total{reason=\"arc\"} "
                "1"), "rendered: arc 1");
    ok(has_line(body, "dmarc_milter_from_standins_total{source=\"helo\"} 1"),
       "rendered: helo 1");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"paypal.example\""
                ",policy=\"reject\",result=\"fail\"} 3"),
       "all three counted in their row too");
    ok(has_line(body, "dmarc_milter_ignored_total{reason=\"no_from\"} 1"),
       "the skip counted as a skip only");
    free(body);
    body = ex_render(cs, EX_OPENMETRICS, NULL, &len);
    ok(has_line(body, "# TYPE dmarc_milter_local_overrides counter"),
       "OpenMetrics: family without _total");
    ok(has_line(body, "dmarc_milter_local_overrides_total{reason=\"arc\"} "
                "1"), "OpenMetrics: sample with _total");
    free(body);
    cs_clear(cs);
    cs_totals(cs, &t);
    ok(t.overrides[DM_OVERRIDE_ARC] == 0 && t.standins[CS_STANDIN_HELO] == 0,
       "cs_clear forgets them");
    cs_free(cs);
}

static void
test_openmetrics(void)
{
    struct cs_store *cs = fx_store(10);
    struct ps_stats ps;
    size_t len;
    char *body;

    cs_count(cs, "example.com", DM_POLICY_QUARANTINE, DM_RESULT_FAIL,
             DM_DISP_QUARANTINE);
    ps_read(&ps);
    body = ex_render(cs, EX_OPENMETRICS, &ps, &len);
    ok(body != NULL, "OpenMetrics renders");
    ok(has_line(body, "# TYPE dmarc_milter_messages counter"),
       "counter family without _total");
    ok(has_line(body, "# HELP dmarc_milter_messages Messages evaluated, by "
                "From domain, the DMARC policy that applied (absent: no "
                "record) and the DMARC result."), "HELP uses the family name");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"example.com\","
                "policy=\"quarantine\",result=\"fail\"} 1"),
       "samples keep _total");
    ok(has_line(body, "# TYPE dmarc_milter_dispositions counter"),
       "dispositions family");
    ok(has_line(body, "# TYPE dmarc_milter_ignored counter"),
       "ignored family");
    ok(has_line(body, "# TYPE dmarc_milter_domain_overflow counter"),
       "overflow family");
    ok(has_line(body, "# TYPE dmarc_milter_dns_queries counter"),
       "dns family");
    ok(has_line(body, "# TYPE dmarc_milter_tracked_domains gauge"),
       "gauge unchanged");
    ok(has_line(body, "# TYPE dmarc_milter_evaluation_seconds histogram"),
       "histogram unchanged");
    ok(has_line(body, "# TYPE dmarc_milter_build info"), "build is info");
    ok(has_line(body, "dmarc_milter_build_info{version=\"" PACKAGE_VERSION
                "\"} 1"), "info sample");
    ok(has_line(body, "# TYPE process_cpu_seconds counter"),
       "process_cpu_seconds family");
    ok(strstr(body, "\nprocess_cpu_seconds_total ") != NULL,
       "process_cpu_seconds_total sample");
    ok(has_line(body, "# TYPE process_open_fds gauge"), "open fds");
    ok(strstr(body, "\nprocess_resident_memory_bytes ") != NULL, "rss");
    ok(strstr(body, "\nprocess_start_time_seconds ") != NULL, "start time");
    ok(strstr(body, "\nprocess_threads 1\n") != NULL, "one thread here");
    ok(len >= 6 && strcmp(body + len - 6, "# EOF\n") == 0, "ends with # EOF");
    is_int(count_prefix(body, "# EOF"), 1, "one # EOF");
    ok(strstr(body, "_total counter") == NULL,
       "no TYPE line names a _total family");
    free(body);

    body = ex_render(cs, EX_TEXT, &ps, &len);
    ok(has_line(body, "# TYPE process_cpu_seconds_total counter"),
       "0.0.4 process_cpu_seconds_total family");
    ok(has_line(body, "# TYPE dmarc_milter_messages_total counter"),
       "0.0.4 keeps _total in the family");
    free(body);
    cs_free(cs);
}

static void
test_proc_parse(void)
{
    static const char line[] =
        "1234 (a (b) c) S 1 1234 1234 0 -1 4194560 100 0 0 0 "
        "250 150 0 0 20 0 7 0 5000 104857600 2560 18446744073709551615 "
        "1 1 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0\n";
    struct ps_stats ps;

    memset(&ps, 0, sizeof(ps));
    ok(ps_parse_stat(line, strlen(line), 100, 4096, 1700000000, &ps),
       "a stat line with ')' in comm parses");
    ok(ps.cpu_seconds > 3.99 && ps.cpu_seconds < 4.01, "cpu 4 s");
    is_int(ps.threads, 7, "threads");
    is_int(ps.virtual_bytes, 104857600, "vsize");
    is_int(ps.resident_bytes, 2560LL * 4096, "rss in bytes");
    ok(ps.have_start && ps.start_time > 1700000049.99 &&
       ps.start_time < 1700000050.01, "start time = btime + 5000 ticks");
    memset(&ps, 0, sizeof(ps));
    ok(ps_parse_stat(line, strlen(line), 100, 4096, 0, &ps) && !ps.have_start,
       "no btime: no start time");
    ok(!ps_parse_stat(line, 60, 100, 4096, 0, &ps), "truncated line refused");
    ok(!ps_parse_stat("1234 no parens", 14, 100, 4096, 0, &ps),
       "no comm refused");
    ok(!ps_parse_stat("1 (x) S 1 2 x 4", 15, 100, 4096, 0, &ps),
       "a letter in a number refused");
    ok(!ps_parse_stat(line, strlen(line), 0, 4096, 0, &ps), "zero ticks");
    ok(!ps_parse_stat("", 0, 100, 4096, 0, &ps), "empty refused");
    ps_read(&ps);
    ok(ps.have_stat, "own /proc/self/stat read");
    ok(ps.have_fds && ps.open_fds >= 3, "open fds counted");
    ok(ps.resident_bytes > 0, "own rss > 0");
}

/* ---- the counting decorator ---- */

static enum dns_status fake_status;
static bool fake_cached;
static int fake_calls;

static enum dns_status
fake_query(void *arg, const char *qname, int type, struct dns_reply *rep)
{
    (void)qname;
    (void)type;
    fake_calls++;
    rep->len = 0;
    rep->cached = fake_cached;
    *(int *)arg += 1;
    return fake_status;
}

static void
test_dns_counting(void)
{
    struct cs_store *cs = fx_store(10);
    unsigned char pkt[512];
    struct dns_reply rep = { .pkt = pkt, .size = sizeof(pkt) };
    struct dns_resolver r;
    struct cs_totals t;
    int inner_arg = 0;
    void *state;

    r.query = fake_query;
    r.arg = &inner_arg;
    state = dc_wrap(&r, cs);
    ok(state != NULL, "wrap works");
    ok(r.query != fake_query, "the query is replaced");
    fake_status = DNS_NXDOMAIN;
    is_int(r.query(r.arg, "_dmarc.example.com", ns_t_txt, &rep), DNS_NXDOMAIN,
           "the answer passes through");
    fake_status = DNS_OK;
    r.query(r.arg, "_dmarc.example.com", ns_t_txt, &rep);
    fake_cached = true;
    r.query(r.arg, "_dmarc.example.com", ns_t_txt, &rep);
    ok(rep.cached, "the cache flag passes through");
    r.query(r.arg, "mail.example.com", ns_t_a, &rep);
    fake_cached = false;
    r.query(r.arg, "mail.example.com", ns_t_aaaa, &rep);
    ok(!rep.cached, "and so does its absence");
    fake_status = DNS_TEMPFAIL;
    r.query(r.arg, "_dmarc.example.com", ns_t_txt, &rep);
    r.query(r.arg, "1.2.0.192.in-addr.arpa", ns_t_ptr, &rep);
    is_int(fake_calls, 7, "every query reaches the inner resolver");
    is_int(inner_arg, 7, "with the inner resolver's argument");
    cs_totals(cs, &t);
    is_int(t.dns[CS_DNS_TXT][DNS_OK], 2, "txt ok counted");
    is_int(t.dns[CS_DNS_TXT][DNS_NXDOMAIN], 1, "txt nxdomain counted");
    is_int(t.dns[CS_DNS_TXT][DNS_TEMPFAIL], 1, "txt tempfail counted");
    is_int(t.dns[CS_DNS_TXT][DNS_PERMFAIL], 0, "txt permfail not");
    is_int(t.dns_cached[CS_DNS_TXT], 1, "one txt cache hit");
    is_int(t.dns[CS_DNS_A][DNS_OK], 1, "a ok counted");
    is_int(t.dns_cached[CS_DNS_A], 1, "a cache hit counted");
    is_int(t.dns[CS_DNS_AAAA][DNS_OK], 1, "aaaa ok counted");
    is_int(t.dns_cached[CS_DNS_AAAA], 0, "aaaa not a cache hit");
    is_int(t.dns[CS_DNS_PTR][DNS_TEMPFAIL], 1, "ptr tempfail counted");
    dc_unwrap(state);
    cs_free(cs);
}

/* A full-size store renders completely and stays consistent. */
static void
test_big(void)
{
    struct cs_store *cs = fx_store(1000);
    char name[64];
    size_t len;
    char *body;

    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "d%d.example", i);
        for (int p = 0; p < DM_POLICY__COUNT; p++)
            cs_count(cs, name, (enum dm_policy)p, DM_RESULT_PASS,
                     DM_DISP_NONE);
    }
    body = ex_render(cs, EX_OPENMETRICS, NULL, &len);
    ok(body != NULL, "4000 rows render");
    is_int(count_prefix(body, "dmarc_milter_messages_total{"), 20000,
           "20000 message samples");
    is_int(count_prefix(body, "dmarc_milter_dispositions_total{"), 12000,
           "12000 disposition samples");
    ok(has_line(body, "dmarc_milter_messages_total{domain=\"d999.example\","
                "policy=\"reject\",result=\"pass\"} 1"), "the last row");
    ok(strcmp(body + len - 6, "# EOF\n") == 0, "still ends with # EOF");
    free(body);
    cs_free(cs);
}

static long
rss_kb(void)
{
    long pages = 0, rss = 0;
    FILE *fp = fopen("/proc/self/statm", "r");

    if (fp == NULL)
        return -1;
    if (fscanf(fp, "%ld %ld", &pages, &rss) != 2)
        rss = -1;
    fclose(fp);
    return rss < 0 ? -1 : rss * (sysconf(_SC_PAGESIZE) / 1024);
}

/*
 * The bound: 100,000 distinct From domains into MetricsMaxDomains 1000.
 * Memory and the scrape stop growing after the first thousand.
 */
static void
test_bound_100k(void)
{
    struct cs_store *cs = fx_store(1000);
    struct cs_totals t;
    char name[64], *body;
    size_t len1, len2;
    long rss1, rss2;

    for (int i = 0; i < 1000; i++) {
        snprintf(name, sizeof(name), "sender-%d.example", i);
        cs_count(cs, name, (enum dm_policy)(i % 4), DM_RESULT_FAIL,
                 DM_DISP_NONE);
    }
    /* every policy's __other__ row exists from here on */
    for (int i = 0; i < 4; i++)
        cs_count(cs, "x.over.example", (enum dm_policy)i, DM_RESULT_FAIL,
                 DM_DISP_NONE);
    body = ex_render(cs, EX_TEXT, NULL, &len1);
    free(body);
    rss1 = rss_kb();
    for (int i = 1000; i < 100000; i++) {
        snprintf(name, sizeof(name), "sender-%d.example", i);
        cs_count(cs, name, (enum dm_policy)(i % 4), DM_RESULT_FAIL,
                 DM_DISP_NONE);
    }
    /* Before rendering again: ASan keeps freed buffers in quarantine. */
    rss2 = rss_kb();
    body = ex_render(cs, EX_TEXT, NULL, &len2);
    free(body);
    cs_totals(cs, &t);
    is_int(t.tracked_domains, 1000, "100k domains: 1000 tracked");
    is_int(t.overflow, 99000 + 4, "100k domains: the rest overflowed");
    is_int(t.rows, 1004, "100k domains: 1000 rows + 4 __other__");
    ok(len2 >= len1 && len2 - len1 < 64,
       "100k domains: /metrics did not grow (%zu -> %zu bytes)", len1, len2);
    ok(rss1 > 0 && rss2 - rss1 < 1024,
       "100k domains: RSS flat after the first thousand (%ld -> %ld KiB)",
       rss1, rss2);
    cs_free(cs);
}

int
main(void)
{
    test_negotiate();
    test_gzip_accepted();
    test_escape();
    test_empty();
    test_rows();
    test_local_overrides();
    test_openmetrics();
    test_proc_parse();
    test_dns_counting();
    test_big();
    test_bound_100k();
    return done_testing();
}
