/* test_store.c: the metrics counter store (metrics/counter_store.c). */
#include <config.h>

#include <arpa/nameser.h>

#include <math.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "metrics/counter_store.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* The index of (domain, policy), 0 when there is no such row. */
struct find { const char *domain; enum dm_policy policy; struct cs_row_view v;
              int found; };

static bool
find_fn(const struct cs_row_view *r, void *arg)
{
    struct find *f = arg;

    if (strcmp(r->domain, f->domain) == 0 && r->policy == f->policy) {
        f->v = *r;
        f->found++;
    }
    return true;
}

static struct cs_row_view
row_of(struct cs_store *cs, const char *domain, enum dm_policy p)
{
    struct find f = { domain, p, { 0 }, 0 };

    cs_foreach_row(cs, find_fn, &f);
    if (f.found != 1)
        memset(&f.v, 0, sizeof(f.v));
    return f.v;
}

static uint64_t
sum_results(const struct cs_row_view *v)
{
    uint64_t s = 0;

    for (int i = 0; i < DM_RESULT__COUNT; i++)
        s += v->result[i];
    return s;
}

static uint64_t
sum_disp(const struct cs_row_view *v)
{
    uint64_t s = 0;

    for (int i = 0; i < DM_DISP__COUNT; i++)
        s += v->disp[i];
    return s;
}

static bool
stop_fn(const struct cs_row_view *r, void *arg)
{
    (void)r;
    (*(int *)arg)++;
    return false;
}

static void
test_new(void)
{
    char err[256];
    struct cs_store *cs;

    ok(cs_new(0, err, sizeof(err)) == NULL, "0 domains refused");
    ok(strstr(err, "MetricsMaxDomains") != NULL, "the reason names the key");
    ok(cs_new(CS_MAX_DOMAINS_LIMIT + 1, err, sizeof(err)) == NULL,
       "above the limit refused");
    cs = cs_new(CS_MAX_DOMAINS_LIMIT, err, sizeof(err));
    ok(cs != NULL, "the limit itself is accepted");
    cs_free(cs);
    cs_free(NULL);
    ok(1, "cs_free(NULL) is harmless");
}

static void
test_basic(void)
{
    struct cs_store *cs = fx_store(10);
    struct cs_row_view v;
    struct cs_totals t;
    int n = 0;

    ok(cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_PASS,
                DM_DISP_NONE), "count pass");
    ok(cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
                DM_DISP_REJECT), "count fail");
    ok(cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
                DM_DISP_REJECT), "count fail again");
    ok(cs_count(cs, "other.org", DM_POLICY_NONE, DM_RESULT_FAIL, DM_DISP_NONE),
       "second domain");
    ok(cs_count(cs, "example.com", DM_POLICY_ABSENT, DM_RESULT_NONE,
                DM_DISP_NONE), "same domain, other policy");

    ok(cs_row_at(cs, 1, &v), "row 1 exists");
    is_str(v.domain, "example.com", "row 1 domain");
    is_int(v.policy, DM_POLICY_REJECT, "row 1 policy");
    is_int(v.index, 1, "row 1 index");
    is_int(v.result[DM_RESULT_PASS], 1, "row 1 pass");
    is_int(v.result[DM_RESULT_FAIL], 2, "row 1 fail");
    is_int(v.result[DM_RESULT_NONE], 0, "row 1 none");
    is_int(v.disp[DM_DISP_NONE], 1, "row 1 disposition none");
    is_int(v.disp[DM_DISP_REJECT], 2, "row 1 disposition reject");
    is_int(v.disp[DM_DISP_QUARANTINE], 0, "row 1 disposition quarantine");
    ok(cs_row_at(cs, 2, &v), "row 2 exists");
    is_str(v.domain, "other.org", "row 2 is the second row made");
    ok(cs_row_at(cs, 3, &v), "row 3 exists");
    is_str(v.domain, "example.com", "row 3 domain");
    is_int(v.policy, DM_POLICY_ABSENT, "row 3 policy absent");
    ok(!cs_row_at(cs, 4, &v), "no row 4");
    ok(!cs_row_at(cs, 0, &v), "no row 0");
    ok(!cs_row_at(cs, 1000000, &v), "no row far away");
    is_int(fx_store_rows(cs), 3, "three rows");
    cs_foreach_row(cs, stop_fn, &n);
    is_int(n, 1, "foreach stops when told");

    is_int(cs_next_index(cs, 0), 1, "next after 0");
    is_int(cs_next_index(cs, 1), 2, "next after 1");
    is_int(cs_next_index(cs, 3), 0, "nothing after the last");
    is_int(cs_next_index(cs, UINT32_MAX), 0, "nothing after UINT32_MAX");

    cs_totals(cs, &t);
    is_int(t.tracked_domains, 2, "two domains tracked");
    is_int(t.rows, 3, "three rows in totals");
    is_int(t.overflow, 0, "no overflow");
    is_int(t.max_domains, 10, "max domains reported");

    /* Out-of-range values count nothing. */
    ok(!cs_count(cs, "example.com", DM_POLICY__COUNT, DM_RESULT_PASS,
                 DM_DISP_NONE), "bad policy refused");
    ok(!cs_count(cs, "example.com", DM_POLICY_NONE, (enum dm_result)99,
                 DM_DISP_NONE), "bad result refused");
    ok(!cs_count(cs, "example.com", DM_POLICY_NONE, DM_RESULT_PASS,
                 (enum dm_disposition)-1), "bad disposition refused");
    is_int(fx_store_rows(cs), 3, "refused counts make no row");
    cs_free(cs);
}

static void
test_names(void)
{
    struct cs_store *cs = fx_store(10);
    struct cs_row_view v;
    struct cs_totals t;
    char longname[300];

    cs_count(cs, "Example.COM", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "example.com", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    v = row_of(cs, "example.com", DM_POLICY_NONE);
    is_int(v.result[DM_RESULT_PASS], 2, "case folds into one row");
    is_int(fx_store_rows(cs), 1, "one row for both spellings");

    cs_count(cs, "", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, NULL, DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "bad\"name", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "new\nline.com", DM_POLICY_NONE, DM_RESULT_PASS,
             DM_DISP_NONE);
    cs_count(cs, "__other__", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "__OTHER__", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "\xc3\xa9.com", DM_POLICY_NONE, DM_RESULT_PASS,
             DM_DISP_NONE);
    memset(longname, 'a', sizeof(longname) - 1);
    longname[sizeof(longname) - 1] = '\0';
    cs_count(cs, longname, DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    v = row_of(cs, CS_OTHER_DOMAIN, DM_POLICY_NONE);
    is_int(v.result[DM_RESULT_PASS], 8, "odd names count under __other__");
    cs_totals(cs, &t);
    is_int(t.overflow, 8, "overflow counts them");
    is_int(t.tracked_domains, 1, "__other__ is not a tracked domain");
    is_int(fx_store_rows(cs), 2, "example.com and __other__ rows");

    memset(longname, 'a', 253);
    longname[253] = '\0';
    cs_count(cs, longname, DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    v = row_of(cs, longname, DM_POLICY_NONE);
    is_int(v.result[DM_RESULT_PASS], 1, "a 253-octet name gets its row");
    cs_count(cs, "_dmarc.x-y.example", DM_POLICY_NONE, DM_RESULT_PASS,
             DM_DISP_NONE);
    v = row_of(cs, "_dmarc.x-y.example", DM_POLICY_NONE);
    is_int(v.result[DM_RESULT_PASS], 1, "underscore and hyphen are fine");

    ok(cs_domain_ok("example.com"), "domain_ok: plain");
    ok(cs_domain_ok(CS_OTHER_DOMAIN), "domain_ok: __other__");
    ok(!cs_domain_ok(""), "domain_ok: empty");
    ok(!cs_domain_ok("Example.com"), "domain_ok: upper case");
    ok(!cs_domain_ok("a b"), "domain_ok: space");
    ok(!cs_domain_ok("a\\b"), "domain_ok: backslash");
    memset(longname, 'a', 254);
    longname[254] = '\0';
    ok(!cs_domain_ok(longname), "domain_ok: 254 octets");
    cs_free(cs);
}

static void
test_bound(void)
{
    struct cs_store *cs = fx_store(3);
    struct cs_row_view v;
    struct cs_totals t;
    char name[64];

    for (int i = 0; i < 10; i++) {
        snprintf(name, sizeof(name), "d%d.example", i);
        cs_count(cs, name, DM_POLICY_REJECT, DM_RESULT_FAIL, DM_DISP_REJECT);
    }
    cs_totals(cs, &t);
    is_int(t.tracked_domains, 3, "three domains tracked");
    is_int(t.overflow, 7, "seven messages overflowed");
    v = row_of(cs, CS_OTHER_DOMAIN, DM_POLICY_REJECT);
    is_int(v.result[DM_RESULT_FAIL], 7, "__other__ reject row holds them");
    is_int(v.disp[DM_DISP_REJECT], 7, "and their dispositions");
    v = row_of(cs, "d2.example", DM_POLICY_REJECT);
    is_int(v.result[DM_RESULT_FAIL], 1, "the third domain has its row");
    v = row_of(cs, "d3.example", DM_POLICY_REJECT);
    is_int(v.index, 0, "the fourth has none");

    /* A tracked domain still gets rows for new policies. */
    cs_count(cs, "d0.example", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    v = row_of(cs, "d0.example", DM_POLICY_NONE);
    is_int(v.result[DM_RESULT_PASS], 1, "tracked domain, new policy row");
    cs_count(cs, "d9.example", DM_POLICY_QUARANTINE, DM_RESULT_FAIL,
             DM_DISP_QUARANTINE);
    v = row_of(cs, CS_OTHER_DOMAIN, DM_POLICY_QUARANTINE);
    is_int(v.result[DM_RESULT_FAIL], 1, "__other__ has a row per policy");
    cs_totals(cs, &t);
    is_int(t.overflow, 8, "overflow sums every __other__ row");
    is_int(t.rows, 6, "3 + 1 + 2 rows");
    cs_free(cs);
}

static void
test_totals(void)
{
    struct cs_store *cs = fx_store(10);
    struct cs_totals t;
    struct dm_verdict vd;

    cs_count_skip(cs, DM_SKIP_IGNORED_HOST);
    cs_count_skip(cs, DM_SKIP_IGNORED_HOST);
    cs_count_skip(cs, DM_SKIP_AUTHENTICATED);
    cs_count_skip(cs, DM_SKIP_NONE);
    cs_count_skip(cs, DM_SKIP__COUNT);
    cs_count_skip(cs, (enum dm_skip)-3);

    cs_observe_eval(cs, 0.001);       /* le is inclusive: first bucket */
    cs_observe_eval(cs, 0.0010001);   /* second */
    cs_observe_eval(cs, 10);          /* last finite */
    cs_observe_eval(cs, 10.5);        /* +Inf */
    cs_observe_eval(cs, -1);          /* first, counts 0 s */
    cs_observe_eval(cs, NAN);         /* first, counts 0 s */
    cs_observe_eval(cs, 0.25);

    cs_count_dns(cs, ns_t_txt, DNS_OK, false);
    cs_count_dns(cs, ns_t_txt, DNS_OK, true);
    cs_count_dns(cs, ns_t_txt, DNS_TEMPFAIL, false);
    cs_count_dns(cs, ns_t_txt, (enum dns_status)42, false);
    cs_count_dns(cs, ns_t_aaaa, DNS_NODATA, true);
    cs_count_dns(cs, ns_t_mx, DNS_OK, false);
    cs_count_dns(cs, ns_t_ptr, DNS_NXDOMAIN, false);
    cs_count_dns(cs, ns_t_a, DNS_OK, false);
    cs_count_dns(cs, 99 /* SPF RR */, DNS_NODATA, false);
    cs_count_dns(cs, -1, DNS_PERMFAIL, true);

    cs_totals(cs, &t);
    is_int(t.skipped[DM_SKIP_IGNORED_HOST], 2, "skipped ignored_host");
    is_int(t.skipped[DM_SKIP_AUTHENTICATED], 1, "skipped authenticated");
    is_int(t.skipped[DM_SKIP_NONE], 0, "DM_SKIP_NONE not counted");
    is_int(t.skipped[DM_SKIP_NO_FROM], 0, "no_from untouched");
    is_int(t.eval_bucket[0], 3, "bucket 0.001: 0.001, -1, NaN");
    is_int(t.eval_bucket[1], 1, "bucket 0.005");
    is_int(t.eval_bucket[6], 1, "bucket 0.25");
    is_int(t.eval_bucket[CS_EVAL_BUCKETS - 1], 1, "bucket 10");
    is_int(t.eval_bucket[CS_EVAL_BUCKETS], 1, "bucket +Inf");
    is_int(t.eval_count, 7, "histogram count");
    is_int(t.eval_sum_ns, 1000000 + 1000100 + 10000000000LL +
           10500000000LL + 250000000, "histogram sum in ns");
    is_int(t.dns[CS_DNS_TXT][DNS_OK], 2, "dns txt ok");
    is_int(t.dns[CS_DNS_TXT][DNS_TEMPFAIL], 1, "dns txt tempfail");
    is_int(t.dns[CS_DNS_TXT][DNS_NXDOMAIN], 0, "dns txt nxdomain");
    is_int(t.dns_cached[CS_DNS_TXT], 1, "one txt cache hit");
    is_int(t.dns[CS_DNS_AAAA][DNS_NODATA], 1, "aaaa nodata");
    is_int(t.dns_cached[CS_DNS_AAAA], 1, "a cached aaaa absence");
    is_int(t.dns[CS_DNS_MX][DNS_OK], 1, "mx ok");
    is_int(t.dns[CS_DNS_PTR][DNS_NXDOMAIN], 1, "ptr nxdomain");
    is_int(t.dns[CS_DNS_A][DNS_OK], 1, "a ok");
    is_int(t.dns_cached[CS_DNS_A], 0, "no a cache hit");
    is_int(t.dns[CS_DNS_OTHER][DNS_NODATA], 1, "type 99 is other");
    is_int(t.dns[CS_DNS_OTHER][DNS_PERMFAIL], 1, "type -1 is other");
    is_int(t.dns_cached[CS_DNS_OTHER], 1, "other's cache hit");
    is_int(cs_dns_type_of(ns_t_txt), CS_DNS_TXT, "txt's index");
    is_int(cs_dns_type_of(ns_t_ns), CS_DNS_OTHER, "ns is other");
    is_str(cs_dns_type_name(CS_DNS_AAAA), "aaaa", "aaaa's name");
    is_str(cs_dns_type_name(CS_DNS_OTHER), "other", "other's name");
    ok(cs_dns_type_name(CS_DNS_TYPE_COUNT) == NULL, "no name past the end");
    ok(cs_dns_type_name(-1) == NULL, "no name before the start");

    memset(&vd, 0, sizeof(vd));
    vd.skip = DM_SKIP_NO_FROM;
    cs_verdict_hook(&vd, cs);
    vd = fx_verdict(DM_RESULT_FAIL, DM_POLICY_QUARANTINE, DM_DISP_QUARANTINE,
                    "hook.example");
    vd.eval_seconds = 0.02;
    cs_verdict_hook(&vd, cs);
    vd.result = (enum dm_result)77;
    cs_verdict_hook(&vd, cs);
    cs_totals(cs, &t);
    is_int(t.skipped[DM_SKIP_NO_FROM], 1, "hook counts a skip");
    is_int(t.eval_count, 8, "hook observes the evaluation time once");
    is_int(t.eval_bucket[3], 1, "0.02 s in bucket 0.025");
    is_int(row_of(cs, "hook.example", DM_POLICY_QUARANTINE)
           .result[DM_RESULT_FAIL], 1, "hook counts the row");
    is_int(row_of(cs, "hook.example", DM_POLICY_QUARANTINE)
           .disp[DM_DISP_QUARANTINE], 1, "hook counts the disposition");
    cs_free(cs);
}

static void
test_restrict(void)
{
    struct cs_store *cs = fx_store(3);
    char err[256];
    const char *p;
    struct cs_totals t;

    p = fx_write("domains", "# partners\n  Example.COM  # ours\n\n"
                 "partner.org\nb\xc3\xbc" "cher.de\npartner.org\n");
    is_int(cs_restrict_domains(cs, p, err, sizeof(err)), 0,
           "allow list loads");
    cs_count(cs, "example.com", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count(cs, "xn--bcher-kva.de", DM_POLICY_NONE, DM_RESULT_PASS,
             DM_DISP_NONE);
    cs_count(cs, "stranger.net", DM_POLICY_NONE, DM_RESULT_PASS,
             DM_DISP_NONE);
    is_int(row_of(cs, "example.com", DM_POLICY_NONE).result[DM_RESULT_PASS],
           1, "listed domain (case folded) has its row");
    is_int(row_of(cs, "xn--bcher-kva.de", DM_POLICY_NONE)
           .result[DM_RESULT_PASS], 1, "listed U-label matches its A-label");
    is_int(row_of(cs, "stranger.net", DM_POLICY_NONE).index, 0,
           "unlisted domain has none");
    cs_totals(cs, &t);
    is_int(t.overflow, 1, "unlisted counts as overflow");
    is_int(t.tracked_domains, 2, "tracked: listed domains seen");
    cs_free(cs);

    cs = fx_store(2);
    p = fx_write("domains", "a.example\nb.example\nc.example\n");
    is_int(cs_restrict_domains(cs, p, err, sizeof(err)), -1,
           "more listed than MetricsMaxDomains refused");
    ok(strstr(err, ":3:") != NULL, "the error names line 3");
    p = fx_write("domains", "a.example\nnot a domain\n");
    is_int(cs_restrict_domains(cs, p, err, sizeof(err)), -1,
           "two words refused");
    ok(strstr(err, ":2:") != NULL, "the error names line 2");
    p = fx_write("domains", "a..example\n");
    is_int(cs_restrict_domains(cs, p, err, sizeof(err)), -1,
           "empty label refused");
    p = fx_write("domains", "__other__\n");
    is_int(cs_restrict_domains(cs, p, err, sizeof(err)), -1,
           "__other__ refused");
    is_int(cs_restrict_domains(cs, "/nonexistent/x", err, sizeof(err)), -1,
           "missing file refused");
    ok(strstr(err, "/nonexistent/x") != NULL, "the error names the file");
    /* A refused list leaves the store open to every domain. */
    cs_count(cs, "free.example", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    is_int(row_of(cs, "free.example", DM_POLICY_NONE).result[DM_RESULT_PASS],
           1, "a refused list changes nothing");
    cs_free(cs);
}

static void
test_restore(void)
{
    struct cs_store *cs = fx_store(3);
    uint64_t res[DM_RESULT__COUNT] = { 1, 2, 3, 4, 5 };
    uint64_t dis[DM_DISP__COUNT] = { 6, 5, 4 };
    struct cs_row_view v;
    struct cs_totals t, in;

    is_int(cs_restore_row(cs, 2, "a.example", DM_POLICY_REJECT, res, dis),
           CS_RESTORED, "restore a row at index 2");
    is_int(cs_restore_row(cs, 5, "b.example", DM_POLICY_NONE, res, dis),
           CS_RESTORED, "restore a row at index 5");
    is_int(cs_restore_row(cs, 7, "a.example", DM_POLICY_REJECT, res, dis),
           CS_REFUSED, "a row saved twice is refused");
    is_int(cs_restore_row(cs, 0, "c.example", DM_POLICY_NONE, res, dis),
           CS_REFUSED, "index 0 refused");
    is_int(cs_restore_row(cs, 8, "C.example", DM_POLICY_NONE, res, dis),
           CS_REFUSED, "upper case refused");
    is_int(cs_restore_row(cs, 8, "c.example", DM_POLICY__COUNT, res, dis),
           CS_REFUSED, "bad policy refused");
    is_int(cs_restore_row(cs, 9, "c.example", DM_POLICY_NONE, res, dis),
           CS_RESTORED, "third domain");
    is_int(cs_restore_row(cs, 10, "d.example", DM_POLICY_NONE, res, dis),
           CS_FOLDED, "a fourth domain folds into __other__");
    is_int(cs_restore_row(cs, 11, CS_OTHER_DOMAIN, DM_POLICY_NONE, res, dis),
           CS_RENUMBERED, "__other__'s own row merges with the fold");
    is_int(cs_restore_row(cs, 12, CS_OTHER_DOMAIN, DM_POLICY_NONE, res, dis),
           CS_REFUSED, "__other__ saved twice is refused");
    is_int(cs_restore_row(cs, 13, CS_OTHER_DOMAIN, DM_POLICY_REJECT, res, dis),
           CS_RESTORED, "__other__ reject row keeps its index");
    ok(cs_row_at(cs, 2, &v), "row 2 is there");
    is_str(v.domain, "a.example", "row 2 domain");
    is_int(v.result[DM_RESULT_TEMPERROR], 4, "row 2 counters restored");
    is_int(v.disp[DM_DISP_NONE], 6, "row 2 dispositions restored");
    ok(!cs_row_at(cs, 1, &v), "index 1 stays a hole");
    ok(cs_row_at(cs, 10, &v), "the fold took the next free index");
    is_str(v.domain, CS_OTHER_DOMAIN, "row 10 is __other__ none");
    is_int(v.result[DM_RESULT_PASS], 4, "fold plus own row summed");
    is_int(cs_next_index(cs, 2), 5, "next after 2 skips holes");

    memset(&in, 0, sizeof(in));
    in.skipped[DM_SKIP_IGNORED_HOST] = 5;
    in.skipped[DM_SKIP_NONE] = 99;
    in.eval_bucket[0] = 3;
    in.eval_bucket[CS_EVAL_BUCKETS] = 1;
    in.eval_sum_ns = 123456789;
    in.dns[CS_DNS_TXT][DNS_NXDOMAIN] = 8;
    in.dns[CS_DNS_PTR][DNS_OK] = 3;
    in.dns_cached[CS_DNS_PTR] = 2;
    cs_restore_totals(cs, &in);
    cs_totals(cs, &t);
    is_int(t.skipped[DM_SKIP_IGNORED_HOST], 5, "skips restored");
    is_int(t.skipped[DM_SKIP_NONE], 0, "DM_SKIP_NONE never restored");
    is_int(t.eval_count, 4, "histogram restored");
    is_int(t.eval_sum_ns, 123456789, "histogram sum restored");
    is_int(t.dns[CS_DNS_TXT][DNS_NXDOMAIN], 8, "dns restored");
    is_int(t.dns[CS_DNS_PTR][DNS_OK], 3, "another type's restored");
    is_int(t.dns_cached[CS_DNS_PTR], 2, "cache hits restored");
    is_int(t.tracked_domains, 3, "three tracked after restore");
    is_int(t.overflow, 45, "overflow = the __other__ rows' results");

    /* New rows continue after the highest index. */
    cs_count(cs, "c.example", DM_POLICY_REJECT, DM_RESULT_PASS, DM_DISP_NONE);
    is_int(row_of(cs, "c.example", DM_POLICY_REJECT).index, 14,
           "a new row gets the next index");

    cs_clear(cs);
    is_int(fx_store_rows(cs), 0, "clear: no rows");
    cs_totals(cs, &t);
    is_int(t.tracked_domains, 0, "clear: no domains");
    is_int(t.eval_count, 0, "clear: no histogram");
    is_int(t.skipped[DM_SKIP_IGNORED_HOST], 0, "clear: no skips");
    cs_count(cs, "z.example", DM_POLICY_REJECT, DM_RESULT_PASS, DM_DISP_NONE);
    is_int(row_of(cs, "z.example", DM_POLICY_REJECT).index, 1,
           "after clear indexes start at 1");
    is_int(row_of(cs, "a.example", DM_POLICY_REJECT).index, 0,
           "and old rows are gone");
    cs_free(cs);

    /* Holes past the capacity: a new row takes the lowest free index. */
    cs = fx_store(1);      /* 8 rows */
    is_int(cs_restore_row(cs, 8, "a.example", DM_POLICY_NONE, res, dis),
           CS_RESTORED, "restore at the last index");
    is_int(cs_restore_row(cs, 9, "a.example", DM_POLICY_REJECT, res, dis),
           CS_RENUMBERED, "an index past the capacity is renumbered");
    ok(cs_row_at(cs, 1, &v) && v.policy == DM_POLICY_REJECT,
       "to the lowest free index");
    cs_free(cs);
}

/* ---- concurrency ---- */

#define NTHREADS 16
#define PER_THREAD 100000
#define NDOMAINS 40

struct worker { struct cs_store *cs; int id; };

static void *
worker_run(void *arg)
{
    struct worker *w = arg;
    char name[64];

    for (int i = 0; i < PER_THREAD; i++) {
        int k = (i * 7 + w->id) % NDOMAINS;

        snprintf(name, sizeof(name), "d%d.example", k);
        cs_count(w->cs, name, (enum dm_policy)(k % DM_POLICY__COUNT),
                 (enum dm_result)(i % DM_RESULT__COUNT),
                 (enum dm_disposition)(i % DM_DISP__COUNT));
        if (i % 1000 == 0)
            cs_count_skip(w->cs, DM_SKIP_AUTHENTICATED);
        cs_observe_eval(w->cs, 0.002);
    }
    return NULL;
}

static atomic_bool reader_stop;
static atomic_int reader_bad;

static bool
reader_fn(const struct cs_row_view *r, void *arg)
{
    (void)arg;
    if (sum_results(r) < sum_disp(r))
        atomic_fetch_add(&reader_bad, 1);
    return true;
}

static void *
reader_run(void *arg)
{
    struct cs_store *cs = arg;
    struct cs_totals t;

    while (!atomic_load(&reader_stop)) {
        cs_foreach_row(cs, reader_fn, NULL);
        cs_totals(cs, &t);
    }
    return NULL;
}

static void
test_concurrency(void)
{
    struct cs_store *cs = fx_store(NDOMAINS);   /* exactly full */
    struct worker w[NTHREADS];
    pthread_t tid[NTHREADS], rd;
    uint64_t want_res[NDOMAINS][DM_RESULT__COUNT];
    uint64_t want_dis[NDOMAINS][DM_DISP__COUNT];
    struct cs_totals t;
    int bad = 0, rows_ok = 0;
    uint64_t total = 0;
    char name[64];

    memset(want_res, 0, sizeof(want_res));
    memset(want_dis, 0, sizeof(want_dis));
    for (int id = 0; id < NTHREADS; id++)
        for (int i = 0; i < PER_THREAD; i++) {
            int k = (i * 7 + id) % NDOMAINS;

            want_res[k][i % DM_RESULT__COUNT]++;
            want_dis[k][i % DM_DISP__COUNT]++;
        }
    atomic_store(&reader_stop, false);
    pthread_create(&rd, NULL, reader_run, cs);
    for (int id = 0; id < NTHREADS; id++) {
        w[id] = (struct worker){ cs, id };
        pthread_create(&tid[id], NULL, worker_run, &w[id]);
    }
    for (int id = 0; id < NTHREADS; id++)
        pthread_join(tid[id], NULL);
    atomic_store(&reader_stop, true);
    pthread_join(rd, NULL);

    for (int k = 0; k < NDOMAINS; k++) {
        struct cs_row_view v;
        bool same = true;

        snprintf(name, sizeof(name), "d%d.example", k);
        v = row_of(cs, name, (enum dm_policy)(k % DM_POLICY__COUNT));
        for (int i = 0; i < DM_RESULT__COUNT; i++)
            same &= v.result[i] == want_res[k][i];
        for (int i = 0; i < DM_DISP__COUNT; i++)
            same &= v.disp[i] == want_dis[k][i];
        if (same)
            rows_ok++;
        else
            bad++;
        total += sum_results(&v);
    }
    is_int(rows_ok, NDOMAINS, "%d threads x %d: every row exact",
           NTHREADS, PER_THREAD);
    is_int(bad, 0, "no row off");
    is_int(total, (long long)NTHREADS * PER_THREAD, "total exact");
    is_int(fx_store_rows(cs), NDOMAINS, "one row per domain, none duplicated");
    cs_totals(cs, &t);
    is_int(t.skipped[DM_SKIP_AUTHENTICATED], NTHREADS * (PER_THREAD / 1000),
           "skips exact");
    is_int(t.eval_count, (long long)NTHREADS * PER_THREAD,
           "histogram count exact");
    is_int(t.eval_bucket[1], (long long)NTHREADS * PER_THREAD,
           "histogram bucket exact");
    is_int(t.eval_sum_ns, (long long)NTHREADS * PER_THREAD * 2000000LL,
           "histogram sum exact");
    is_int(t.overflow, 0, "no overflow at exactly the bound");
    is_int(atomic_load(&reader_bad), 0,
           "a concurrent reader never saw more dispositions than results");
    cs_free(cs);
}

/* Many threads, each inserting its own new domains past the bound. */
#define FLOOD_THREADS 8
#define FLOOD_PER 20000
#define FLOOD_MAX 1000

static void *
flood_run(void *arg)
{
    struct worker *w = arg;
    char name[64];

    for (int i = 0; i < FLOOD_PER; i++) {
        snprintf(name, sizeof(name), "t%d-%d.example", w->id, i);
        cs_count(w->cs, name, DM_POLICY_REJECT, DM_RESULT_FAIL,
                 DM_DISP_REJECT);
    }
    return NULL;
}

static bool
flood_fn(const struct cs_row_view *r, void *arg)
{
    uint64_t *sum = arg;

    sum[0] += sum_results(r);
    sum[1]++;
    if (strcmp(r->domain, CS_OTHER_DOMAIN) != 0 && sum_results(r) != 1)
        sum[2]++;
    return true;
}

static void
test_flood(void)
{
    struct cs_store *cs = fx_store(FLOOD_MAX);
    struct worker w[FLOOD_THREADS];
    pthread_t tid[FLOOD_THREADS];
    struct cs_totals t;
    uint64_t sum[3] = { 0, 0, 0 };

    for (int id = 0; id < FLOOD_THREADS; id++) {
        w[id] = (struct worker){ cs, id };
        pthread_create(&tid[id], NULL, flood_run, &w[id]);
    }
    for (int id = 0; id < FLOOD_THREADS; id++)
        pthread_join(tid[id], NULL);
    cs_foreach_row(cs, flood_fn, sum);
    cs_totals(cs, &t);
    is_int(t.tracked_domains, FLOOD_MAX, "flood: exactly the bound tracked");
    is_int(sum[1], FLOOD_MAX + 1, "flood: bound rows plus __other__");
    is_int(sum[0], FLOOD_THREADS * FLOOD_PER, "flood: every message counted");
    is_int(t.overflow, FLOOD_THREADS * FLOOD_PER - FLOOD_MAX,
           "flood: overflow is the rest");
    is_int(sum[2], 0, "flood: each own row counted its one message");
    cs_free(cs);
}

int
main(void)
{
    test_new();
    test_basic();
    test_names();
    test_bound();
    test_totals();
    test_restrict();
    test_restore();
    test_concurrency();
    test_flood();
    return done_testing();
}
