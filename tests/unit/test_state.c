/* test_state.c: saving and restoring the counters (metrics/state_file.c). */
#include <config.h>

#include <arpa/nameser.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "metrics/counter_store.h"
#include "util/log.h"
#include "metrics/state_file.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* The test directory (fx_tmpdir()) and the state file in it. */
static const char *dir;
static char path[128];

/* How many files named path.bad-* exist. */
static int
count_bad(void)
{
    DIR *d = opendir(dir);
    struct dirent *de;
    int n = 0;

    if (d == NULL)
        return -1;
    while ((de = readdir(d)) != NULL)
        if (strncmp(de->d_name, "state.bad-", 10) == 0)
            n++;
    closedir(d);
    return n;
}

/* The test's own FNV-1a 64, to write files with a valid end line. */
static uint64_t
fnv(const char *s)
{
    uint64_t h = UINT64_C(0xcbf29ce484222325);

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= UINT64_C(0x100000001b3);
    }
    return h;
}

/* A file as version 1 wrote it: no override, standin or event lines. */
static const char head[] =
    "dmarc-milter-state 1\n"
    "saved 1700000000\n"
    "ignored ignored_host 1\n"
    "ignored authenticated 2\n"
    "ignored ignored_mailfrom 3\n"
    "ignored no_from 4\n"
    "eval_bucket 0.001 1\n"
    "eval_bucket 0.005 0\n"
    "eval_bucket 0.01 0\n"
    "eval_bucket 0.025 0\n"
    "eval_bucket 0.05 0\n"
    "eval_bucket 0.1 0\n"
    "eval_bucket 0.25 0\n"
    "eval_bucket 0.5 0\n"
    "eval_bucket 1.0 0\n"
    "eval_bucket 2.5 0\n"
    "eval_bucket 5.0 0\n"
    "eval_bucket 10.0 0\n"
    "eval_bucket +Inf 2\n"
    "eval_sum_ns 30000000000\n"
    "dns txt ok 5\n"
    "dns txt nxdomain 6\n"
    "dns txt nodata 7\n"
    "dns txt tempfail 8\n"
    "dns txt permfail 9\n"
    "dns a ok 10\n"
    "dns_cached txt 3\n"
    "dns_cached a 4\n";

/* head + rows + a correct end line (rows counted by "row " prefixes). */
static void
write_state(const char *rows, const char *extra_after_end)
{
    char body[8192], file[9000];
    int n = 0;

    snprintf(body, sizeof(body), "%s%s", head, rows);
    for (const char *s = rows; (s = strstr(s, "row ")) != NULL; s += 4)
        n++;
    snprintf(file, sizeof(file), "%send %d %016" PRIx64 "\n%s", body, n,
             fnv(body), extra_after_end);
    fx_write_bytes("state", file, strlen(file));
}

static enum sf_load
load_fresh(size_t max, int *rows)
{
    struct cs_store *cs = fx_store(max);
    enum sf_load rc = sf_load(cs, path);

    *rows = fx_store_rows(cs);
    cs_free(cs);
    return rc;
}

static void
test_roundtrip(void)
{
    struct cs_store *a = fx_store(100), *b = fx_store(100);
    struct cs_row_view va, vb;
    struct cs_totals ta, tb;
    char err[256], *text;
    size_t len;
    int same = 1;

    fx_tmpdir_clear();
    for (int i = 0; i < 300; i++) {
        char name[32];

        snprintf(name, sizeof(name), "d%d.example", i % 30);
        cs_count(a, name, (enum dm_policy)(i % DM_POLICY__COUNT),
                 (enum dm_result)(i % DM_RESULT__COUNT),
                 (enum dm_disposition)(i % DM_DISP__COUNT));
    }
    for (int i = 0; i < 5; i++)
        cs_count(a, "Bad Name", DM_POLICY_REJECT, DM_RESULT_FAIL,
                 DM_DISP_REJECT);
    cs_count_skip(a, DM_SKIP_IGNORED_HOST);
    cs_count_skip(a, DM_SKIP_NO_FROM);
    cs_observe_eval(a, 0.3);
    cs_observe_eval(a, 20);
    cs_count_dns(a, ns_t_txt, DNS_NXDOMAIN, false);
    cs_count_dns(a, ns_t_txt, DNS_PERMFAIL, true);
    cs_count_dns(a, ns_t_mx, DNS_OK, true);
    cs_count_dns(a, ns_t_ptr, DNS_TEMPFAIL, false);
    cs_count_dns(a, 255, DNS_NODATA, false);

    is_int(sf_save(a, path, err, sizeof(err)), 0, "save works");
    ok(access(path, F_OK) == 0, "the file exists");
    ok(access(fx_path("state.tmp"), F_OK) != 0, "no temporary file is left");
    text = fx_read(path, &len);
    ok(text != NULL && strncmp(text, "dmarc-milter-state 2\nsaved ", 27) == 0,
       "header line");
    ok(text != NULL && strstr(text, "\nrow 1 d0.example absent ") != NULL,
       "first row line");
    ok(text != NULL && strstr(text, "\nend 61 ") != NULL,
       "end line counts 60 rows plus __other__");
    ok(text != NULL && len > 0 && text[len - 1] == '\n', "ends with newline");
    free(text);

    is_int(sf_load(b, path), SF_LOADED, "load works");
    is_int(fx_store_rows(b), 61, "61 rows restored");
    for (uint32_t i = 1; i <= 61; i++) {
        if (!cs_row_at(a, i, &va) || !cs_row_at(b, i, &vb) ||
            strcmp(va.domain, vb.domain) != 0 || va.policy != vb.policy ||
            memcmp(va.result, vb.result, sizeof(va.result)) != 0 ||
            memcmp(va.disp, vb.disp, sizeof(va.disp)) != 0)
            same = 0;
    }
    ok(same, "every row has the same index, name, policy and counters");
    cs_totals(a, &ta);
    cs_totals(b, &tb);
    ok(memcmp(ta.skipped, tb.skipped, sizeof(ta.skipped)) == 0,
       "skips restored");
    ok(memcmp(ta.eval_bucket, tb.eval_bucket, sizeof(ta.eval_bucket)) == 0,
       "histogram restored");
    is_int(tb.eval_sum_ns, ta.eval_sum_ns, "histogram sum restored");
    ok(memcmp(ta.dns, tb.dns, sizeof(ta.dns)) == 0, "dns restored");
    ok(memcmp(ta.dns_cached, tb.dns_cached, sizeof(ta.dns_cached)) == 0,
       "dns cache hits restored");
    is_int(tb.dns[CS_DNS_MX][DNS_OK], 1, "an mx lookup survives the file");
    is_int(tb.dns[CS_DNS_OTHER][DNS_NODATA], 1, "and an other one");
    is_int(tb.overflow, 5, "overflow restored (derived from __other__)");
    is_int(tb.tracked_domains, 30, "tracked domains restored");

    /* Counting continues from the restored values. */
    cs_count(b, "d0.example", DM_POLICY_ABSENT, DM_RESULT_NONE, DM_DISP_NONE);
    cs_row_at(b, 1, &vb);
    cs_row_at(a, 1, &va);
    is_int(vb.result[DM_RESULT_NONE], va.result[DM_RESULT_NONE] + 1,
           "counting continues after a restore");
    cs_count(b, "new.example", DM_POLICY_NONE, DM_RESULT_NONE, DM_DISP_NONE);
    ok(cs_row_at(b, 62, &vb) && strcmp(vb.domain, "new.example") == 0,
       "a new row takes index 62");
    is_int(count_bad(), 0, "nothing was set aside");
    cs_free(a);
    cs_free(b);
}

static void
test_absent_and_unreadable(void)
{
    struct cs_store *cs = fx_store(10);
    char err[256], sub[160];

    fx_tmpdir_clear();
    is_int(sf_load(cs, path), SF_ABSENT, "no file: absent");
    is_int(fx_store_rows(cs), 0, "absent: empty store");
    snprintf(sub, sizeof(sub), "%s/sub", dir);
    mkdir(sub, 0700);
    is_int(sf_load(cs, sub), SF_UNREADABLE, "a directory: unreadable");
    rmdir(sub);
    is_int(sf_save(cs, "/nonexistent-dir/state", err, sizeof(err)), -1,
           "save into a missing directory fails");
    ok(strstr(err, "/nonexistent-dir/state.tmp") != NULL,
       "the error names the temporary file");
    cs_free(cs);
}

struct bad_case {
    const char *name;
    const char *rows;         /* written with a valid end line */
    const char *after;        /* bytes after the end line */
};

static void
test_bad_files(void)
{
    static const struct bad_case cases[] = {
        { "more dispositions than results",
          "row 1 a.example none 1 0 0 0 0 1 1 0\n", "" },
        { "index 0", "row 0 a.example none 1 0 0 0 0 1 0 0\n", "" },
        { "indexes not increasing",
          "row 2 a.example none 1 0 0 0 0 1 0 0\n"
          "row 2 b.example none 1 0 0 0 0 1 0 0\n", "" },
        { "index beyond any store",
          "row 9999999 a.example none 1 0 0 0 0 1 0 0\n", "" },
        { "the same row twice",
          "row 1 a.example none 1 0 0 0 0 1 0 0\n"
          "row 2 a.example none 1 0 0 0 0 1 0 0\n", "" },
        { "__other__ twice",
          "row 1 __other__ none 1 0 0 0 0 1 0 0\n"
          "row 2 __other__ none 1 0 0 0 0 1 0 0\n", "" },
        { "upper-case domain",
          "row 1 A.example none 1 0 0 0 0 1 0 0\n", "" },
        { "odd byte in domain",
          "row 1 a\"b.example none 1 0 0 0 0 1 0 0\n", "" },
        { "unknown policy",
          "row 1 a.example maybe 1 0 0 0 0 1 0 0\n", "" },
        { "leading zero",
          "row 1 a.example none 01 0 0 0 0 1 0 0\n", "" },
        { "negative count",
          "row 1 a.example none -1 0 0 0 0 0 0 0\n", "" },
        { "count of 2^53",
          "row 1 a.example none 9007199254740992 0 0 0 0 0 0 0\n", "" },
        { "too few fields", "row 1 a.example none 1 0 0 0 0 1 0\n", "" },
        { "too many fields",
          "row 1 a.example none 1 0 0 0 0 1 0 0 0\n", "" },
        { "double space",
          "row 1  a.example none 1 0 0 0 0 1 0 0\n", "" },
        { "trailing space",
          "row 1 a.example none 1 0 0 0 0 1 0 0 \n", "" },
        { "unknown line", "hello 1\n", "" },
        { "empty line", "\n", "" },
        { "data after end", "", "row 1 a.example none 1 0 0 0 0 1 0 0\n" },
        { "CR line ending", "row 1 a.example none 1 0 0 0 0 1 0 0\r\n", "" },
    };
    char big[2000];
    int rows;

    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        fx_tmpdir_clear();
        write_state(cases[i].rows, cases[i].after);
        is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: %s",
               cases[i].name);
        ok(rows == 0 && access(path, F_OK) != 0 && count_bad() == 1,
           "%s: store empty, file set aside", cases[i].name);
    }

    fx_tmpdir_clear();
    fx_write_bytes("state", "", 0);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: empty file");
    fx_tmpdir_clear();
    fx_write_bytes("state", "# Prometheus\nfoo 1\n", 19);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: a foreign file");
    fx_tmpdir_clear();
    fx_write_bytes("state", "dmarc-milter-state 3\n", 21);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: version 3");
    fx_tmpdir_clear();
    fx_write_bytes("state", "dmarc-milter-state 0\n", 21);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: version 0");
    fx_tmpdir_clear();
    fx_write_bytes("state", "dmarc-milter-state 12\n", 22);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: version 12");
    fx_tmpdir_clear();
    fx_write_bytes("state", "dmarc-milter-state 1\nsaved 1\0\n", 30);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: a NUL byte");
    fx_tmpdir_clear();
    memset(big, 'x', sizeof(big));
    big[sizeof(big) - 1] = '\n';
    fx_write_bytes("state", big, sizeof(big));
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: a very long line");

    /* A wrong checksum. */
    fx_tmpdir_clear();
    {
        char file[4096];

        snprintf(file, sizeof(file), "%send 0 0123456789abcdef\n", head);
        fx_write_bytes("state", file, strlen(file));
    }
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: wrong checksum");

    /* Two bad files in one second keep both. */
    fx_tmpdir_clear();
    fx_write_bytes("state", "junk\n", 5);
    load_fresh(10, &rows);
    fx_write_bytes("state", "junk\n", 5);
    load_fresh(10, &rows);
    is_int(count_bad(), 2, "two bad files are both kept");

    /* A well-formed hand-made file loads, holes and all. */
    fx_tmpdir_clear();
    write_state("row 3 a.example reject 1 2 0 0 0 1 0 2\n"
                "row 7 __other__ none 4 0 0 0 0 4 0 0\n", "");
    {
        struct cs_store *cs = fx_store(10);
        struct cs_row_view v;
        struct cs_totals t;

        is_int(sf_load(cs, path), SF_LOADED, "a hand-made file loads");
        ok(cs_row_at(cs, 3, &v) && strcmp(v.domain, "a.example") == 0 &&
           v.result[DM_RESULT_PASS] == 1 && v.result[DM_RESULT_FAIL] == 2 &&
           v.disp[DM_DISP_NONE] == 1 && v.disp[DM_DISP_REJECT] == 2,
           "row 3 as written (pass fail ... / none quarantine reject)");
        cs_totals(cs, &t);
        is_int(t.overflow, 4, "overflow from the __other__ row");
        is_int(t.skipped[DM_SKIP_NO_FROM], 4, "skips as written");
        is_int(t.dns[CS_DNS_TXT][DNS_PERMFAIL], 9, "dns as written");
        is_int(t.dns[CS_DNS_A][DNS_OK], 10, "dns a as written");
        is_int(t.dns_cached[CS_DNS_TXT], 3, "txt cache hits as written");
        is_int(t.dns_cached[CS_DNS_A], 4, "a cache hits as written");
        is_int(t.eval_count, 3, "histogram as written");
        cs_free(cs);
    }

    /* MetricsMaxDomains lowered: the excess folds into __other__. */
    fx_tmpdir_clear();
    write_state("row 1 a.example none 1 0 0 0 0 1 0 0\n"
                "row 2 b.example none 2 0 0 0 0 2 0 0\n"
                "row 3 c.example none 4 0 0 0 0 4 0 0\n", "");
    {
        struct cs_store *cs = fx_store(1);
        struct cs_totals t;

        is_int(sf_load(cs, path), SF_LOADED, "a bigger file loads");
        cs_totals(cs, &t);
        is_int(t.tracked_domains, 1, "one domain kept");
        is_int(t.overflow, 6, "the other two folded into __other__");
        cs_free(cs);
    }
}

/* A whole file from a header text and rows, with a correct end line. */
static void
write_custom(const char *header, const char *rows)
{
    char body[8192], file[9000];
    int n = 0;

    snprintf(body, sizeof(body), "%s%s", header, rows);
    for (const char *s = rows; (s = strstr(s, "row ")) != NULL; s += 4)
        n++;
    snprintf(file, sizeof(file), "%send %d %016" PRIx64 "\n", body, n,
             fnv(body));
    fx_write_bytes("state", file, strlen(file));
}

static const char buckets[] =
    "eval_bucket 0.001 1\neval_bucket 0.005 0\neval_bucket 0.01 0\n"
    "eval_bucket 0.025 0\neval_bucket 0.05 0\neval_bucket 0.1 0\n"
    "eval_bucket 0.25 0\neval_bucket 0.5 0\neval_bucket 1.0 0\n"
    "eval_bucket 2.5 0\neval_bucket 5.0 0\neval_bucket 10.0 0\n"
    "eval_bucket +Inf 2\neval_sum_ns 7\n";

/* Files of other versions: totals in another order, more or fewer. */
static void
test_versions(void)
{
    static const char row[] = "row 1 a.example none 1 0 0 0 0 1 0 0\n";
    char header[4096];
    struct cs_store *cs;
    struct cs_totals t;
    int rows;

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n"
             "dns txt tempfail 4\nignored no_from 3\n%s"
             "ignored greylisted 9\ndns txt servfail 2\ndns mx ok 1\n"
             "dns caa ok 5\ndns_cached caa 1\ndns_cached mx 6\n",
             buckets);
    write_custom(header, row);
    cs = fx_store(10);
    is_int(sf_load(cs, path), SF_LOADED,
           "totals in any order, unknown reasons and outcomes: loads");
    cs_totals(cs, &t);
    is_int(t.skipped[DM_SKIP_NO_FROM], 3, "a known reason is restored");
    is_int(t.skipped[DM_SKIP_IGNORED_HOST], 0, "a missing reason is 0");
    is_int(t.dns[CS_DNS_TXT][DNS_TEMPFAIL], 4, "a known outcome is restored");
    is_int(t.dns[CS_DNS_MX][DNS_OK], 1, "a known type is restored");
    is_int(t.dns[CS_DNS_OTHER][DNS_OK], 0, "an unknown type is skipped");
    is_int(t.dns_cached[CS_DNS_MX], 6, "known cache hits are restored");
    is_int(t.dns_cached[CS_DNS_OTHER], 0, "unknown ones are skipped");
    is_int(t.eval_count, 3, "the histogram is restored");
    is_int(t.eval_sum_ns, 7, "its sum too");
    is_int(fx_store_rows(cs), 1, "and the row");
    cs_free(cs);

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n"
             "ignored no_from 3\nignored no_from 3\n%s", buckets);
    write_custom(header, row);
    is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: a reason twice");

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n%s",
             buckets + strlen("eval_bucket 0.001 1\n"));
    write_custom(header, row);
    is_int(load_fresh(10, &rows), SF_DISCARDED,
           "refused: a histogram bucket missing");

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n%s"
             "eval_bucket 20.0 0\n", buckets);
    write_custom(header, row);
    is_int(load_fresh(10, &rows), SF_DISCARDED,
           "refused: a histogram bucket of another layout");

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n%s",
             buckets);
    write_custom(header, "row 1 a.example none 1 0 0 0 0 1 0 0\n"
                 "ignored no_from 1\n");
    is_int(load_fresh(10, &rows), SF_DISCARDED,
           "refused: a totals line among the rows");

    fx_tmpdir_clear();
    write_custom("dmarc-milter-state 1\nsaved 5\nignored no_from 1\n", "");
    is_int(load_fresh(10, &rows), SF_DISCARDED,
           "refused: no histogram at all");

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 1\nsaved 5\n%s",
             buckets);
    write_custom(header, "");
    is_int(load_fresh(10, &rows), SF_LOADED, "a file without rows loads");
}

/* An event source standing in for the failure-report sender's counters. */
static void
add_events(void *arg, uint64_t *events)
{
    const uint64_t *more = arg;

    for (int i = 0; i < CS_EV__COUNT; i++)
        events[i] += more[i];
}

/* Overrides, stand-ins and events: saved, restored, added to afterwards. */
static void
test_new_totals_roundtrip(void)
{
    static uint64_t sender[CS_EV__COUNT];
    struct cs_store *a = fx_store(10), *b = fx_store(10);
    struct dm_verdict v;
    struct cs_totals ta, tb;
    char err[256], *text;
    size_t len;

    fx_tmpdir_clear();
    v = fx_verdict(DM_RESULT_FAIL, DM_POLICY_REJECT, DM_DISP_NONE,
                   "paypal.example");
    v.override = DM_OVERRIDE_ARC;
    cs_verdict_hook(&v, a);
    cs_verdict_hook(&v, a);
    v.override = DM_OVERRIDE_NONE;
    v.from_standin = true;
    cs_verdict_hook(&v, a);
    v.standin_helo = true;
    for (int i = 0; i < 3; i++)
        cs_verdict_hook(&v, a);
    for (int i = 0; i < 5; i++)
        cs_count_event(a, CS_EV_HISTORY_WRITTEN);
    cs_count_event(a, CS_EV_HISTORY_FAILED);
    sender[CS_EV_FAILURE_SENT] = 4;
    sender[CS_EV_FAILURE_REFUSED] = 1;
    cs_set_event_source(a, add_events, sender);

    is_int(sf_save(a, path, err, sizeof(err)), 0, "save with new totals");
    text = fx_read(path, &len);
    ok(text != NULL && strstr(text, "\noverride arc 2\n") != NULL,
       "override arc line");
    ok(text != NULL && strstr(text, "override none") == NULL,
       "no line for override none");
    ok(text != NULL && strstr(text, "\nstandin mailfrom 1\n") != NULL &&
       strstr(text, "\nstandin helo 3\n") != NULL, "standin lines");
    ok(text != NULL && strstr(text, "\nevent history_written 5\n") != NULL &&
       strstr(text, "\nevent history_failed 1\n") != NULL,
       "history event lines");
    ok(text != NULL &&
       strstr(text, "\nevent failure_report_sent 4\n") != NULL &&
       strstr(text, "\nevent failure_report_refused 1\n") != NULL &&
       strstr(text, "\nevent failure_report_rate_limited 0\n") != NULL,
       "the event source's counts are saved with the store's");
    free(text);

    is_int(sf_load(b, path), SF_LOADED, "the file with new totals loads");
    cs_totals(a, &ta);
    cs_totals(b, &tb);
    ok(memcmp(ta.overrides, tb.overrides, sizeof(ta.overrides)) == 0,
       "overrides restored");
    ok(memcmp(ta.standins, tb.standins, sizeof(ta.standins)) == 0,
       "stand-ins restored");
    ok(memcmp(ta.events, tb.events, sizeof(ta.events)) == 0,
       "events restored, the source's included");
    is_int(tb.overrides[DM_OVERRIDE_ARC], 2, "arc overrides: 2");
    is_int(tb.events[CS_EV_FAILURE_SENT], 4, "failure reports sent: 4");

    /* The next run's sender starts from zero; its counts add on top. */
    sender[CS_EV_FAILURE_SENT] = 3;
    sender[CS_EV_FAILURE_REFUSED] = 0;
    cs_set_event_source(b, add_events, sender);
    cs_count_event(b, CS_EV_HISTORY_WRITTEN);
    cs_verdict_hook(&v, b);
    cs_totals(b, &tb);
    is_int(tb.events[CS_EV_FAILURE_SENT], 7, "saved 4 + the source's 3");
    is_int(tb.events[CS_EV_FAILURE_REFUSED], 1, "saved 1 + the source's 0");
    is_int(tb.events[CS_EV_HISTORY_WRITTEN], 6, "history counting goes on");
    is_int(tb.standins[CS_STANDIN_HELO], 4, "stand-in counting goes on");
    is_int(count_bad(), 0, "nothing was set aside");
    cs_free(a);
    cs_free(b);
}

/* Version 1 files, doubled lines and names of other versions. */
static void
test_new_totals_versions(void)
{
    static const char *const bad[] = {
        "override arc 1\noverride arc 2\n",
        "standin helo 1\nstandin helo 1\n",
        "event history_failed 1\nevent history_failed 0\n",
        "event history_written -1\n",
        "event history_written\n",
        "override arc 1 2\n",
        "standin helo 01\n",
    };
    char header[4096];
    struct cs_store *cs;
    struct cs_totals t;
    uint64_t any = 0;
    int rows;

    fx_tmpdir_clear();
    write_state("row 1 a.example none 1 0 0 0 0 1 0 0\n", "");
    cs = fx_store(10);
    is_int(sf_load(cs, path), SF_LOADED,
           "a version 1 file (no override, standin, event) loads");
    cs_totals(cs, &t);
    for (int i = 0; i < DM_OVERRIDE__COUNT; i++)
        any |= t.overrides[i];
    for (int i = 0; i < CS_STANDIN_COUNT; i++)
        any |= t.standins[i];
    for (int i = 0; i < CS_EV__COUNT; i++)
        any |= t.events[i];
    ok(any == 0 && t.skipped[DM_SKIP_NO_FROM] == 4 && fx_store_rows(cs) == 1,
       "its new totals are 0, the rest as written");
    cs_free(cs);

    fx_tmpdir_clear();
    snprintf(header, sizeof(header), "dmarc-milter-state 2\nsaved 5\n"
             "event failure_report_sent 6\nevent history_lost 9\n%s"
             "override none 3\noverride dkim 2\noverride arc 7\n"
             "standin envelope 1\nstandin helo 4\n", buckets);
    write_custom(header, "");
    cs = fx_store(10);
    is_int(sf_load(cs, path), SF_LOADED,
           "override, standin and event names of another version: loads");
    cs_totals(cs, &t);
    is_int(t.overrides[DM_OVERRIDE_ARC], 7, "a known override is restored");
    is_int(t.overrides[DM_OVERRIDE_NONE], 0, "override none is skipped");
    is_int(t.standins[CS_STANDIN_HELO], 4, "a known stand-in is restored");
    is_int(t.standins[CS_STANDIN_MAILFROM], 0, "a missing one is 0");
    is_int(t.events[CS_EV_FAILURE_SENT], 6, "a known event is restored");
    is_int(t.events[CS_EV_HISTORY_WRITTEN], 0, "a missing event is 0");
    cs_free(cs);

    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        fx_tmpdir_clear();
        snprintf(header, sizeof(header), "dmarc-milter-state 2\nsaved 5\n"
                 "%s%s", buckets, bad[i]);
        write_custom(header, "row 1 a.example none 1 0 0 0 0 1 0 0\n");
        is_int(load_fresh(10, &rows), SF_DISCARDED, "refused: %.*s",
               (int)strcspn(bad[i], "\n"), bad[i]);
        ok(rows == 0 && count_bad() == 1, "store empty, file set aside");
    }
}

/* Every proper prefix and every one-bit change of a good file is refused. */
static void
test_truncation_and_flips(void)
{
    struct cs_store *src = fx_store(10);
    char err[256], *good, *copy;
    size_t len;
    int rows, bad_prefix = 0, bad_flip = 0;
    enum sf_load rc;

    fx_tmpdir_clear();
    cs_count(src, "a.example", DM_POLICY_REJECT, DM_RESULT_FAIL,
             DM_DISP_REJECT);
    cs_count(src, "b.example", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    cs_count_skip(src, DM_SKIP_AUTHENTICATED);
    sf_save(src, path, err, sizeof(err));
    good = fx_read(path, &len);
    if (good == NULL) {
        ok(0, "read back the saved file");
        cs_free(src);
        return;
    }
    for (size_t n = 0; n < len; n++) {
        fx_tmpdir_clear();
        fx_write_bytes("state", good, n);
        if (load_fresh(10, &rows) != SF_DISCARDED || rows != 0)
            bad_prefix++;
    }
    is_int(bad_prefix, 0, "all %zu truncations refused", len);
    copy = malloc(len);
    for (size_t i = 0; i < len; i++) {
        for (int bit = 0; bit < 8; bit++) {
            memcpy(copy, good, len);
            copy[i] = (char)(copy[i] ^ (1 << bit));
            fx_tmpdir_clear();
            fx_write_bytes("state", copy, len);
            rc = load_fresh(10, &rows);
            if (rc != SF_DISCARDED || rows != 0)
                bad_flip++;
        }
    }
    is_int(bad_flip, 0, "all %zu one-bit changes refused", len * 8);
    fx_tmpdir_clear();
    fx_write_bytes("state", good, len);
    is_int(load_fresh(10, &rows), SF_LOADED, "the unchanged file loads");
    is_int(rows, 2, "with its two rows");
    free(copy);
    free(good);
    cs_free(src);
}

static void
test_saver(void)
{
    struct cs_store *cs = fx_store(10), *back;
    struct sf_saver *s;
    struct cs_row_view v;
    char err[256];

    fx_tmpdir_clear();
    s = sf_saver_start(cs, path, 1, err, sizeof(err));
    ok(s != NULL, "saver starts");
    cs_count(cs, "a.example", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    for (int i = 0; i < 40 && access(path, F_OK) != 0; i++)
        usleep(100000);
    ok(access(path, F_OK) == 0, "the saver wrote the file within 4 s");
    cs_count(cs, "a.example", DM_POLICY_NONE, DM_RESULT_PASS, DM_DISP_NONE);
    is_int(sf_saver_stop(s), 0, "the final save works");
    back = fx_store(10);
    is_int(sf_load(back, path), SF_LOADED, "the final file loads");
    ok(cs_row_at(back, 1, &v) && v.result[DM_RESULT_PASS] == 2,
       "the final save holds the last count");
    is_int(sf_saver_stop(NULL), 0, "stopping no saver is harmless");
    cs_free(back);
    cs_free(cs);
}

int
main(void)
{
    dir = fx_tmpdir();
    snprintf(path, sizeof(path), "%s", fx_path("state"));
    /* The loader logs each refusal; keep them out of the TAP stream. */
    dm_log_open("test_state", false, LOG_USER);

    test_roundtrip();
    test_absent_and_unreadable();
    test_bad_files();
    test_versions();
    test_new_totals_roundtrip();
    test_new_totals_versions();
    test_truncation_and_flips();
    test_saver();

    return done_testing();
}
