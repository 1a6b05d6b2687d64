/*
 * test_history.c: the HistoryFile format: a record written and read back
 * whole, hostile values that must not break a line, OpenDMARC 1.4.2's own
 * records, the reader's bounds (broken records, long lines, a record
 * still being written, the snapshot end), and the milter's appender
 * across a rename (logrotate) and an unwritable path.
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "report/report.h"
#include "util/util.h"
#include "tap.h"

static void
full_record(struct hist_record *r)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->job, "4XyZ1");
    strcpy(r->reporter, "mx1.example.net");
    r->received = 1732233601;
    strcpy(r->ipaddr, "2001:db8::25");
    strcpy(r->from, "example.com");
    strcpy(r->mfrom, "bounce.example.com");
    r->n_dkim = 2;
    strcpy(r->dkim[0].domain, "example.com");
    strcpy(r->dkim[0].selector, "sel1");
    r->dkim[0].result = DM_AUTH_PASS;
    strcpy(r->dkim[1].domain, "esp.example");
    r->dkim[1].result = DM_AUTH_TEMPERROR;
    r->spf_evaluated = true;
    r->spf = DM_AUTH_SOFTFAIL;
    r->spf_scope = HIST_SCOPE_MFROM;
    strcpy(r->spf_domain, "bounce.example.com");
    strcpy(r->pdomain, "example.com");
    r->policy = HIST_POLICY_QUARANTINE;
    r->n_rua = 2;
    strcpy(r->rua[0], "mailto:agg@example.com!10m");
    strcpy(r->rua[1], "mailto:dmarc@vendor.example");
    r->pct = 50;
    r->adkim = 's';
    r->aspf = 'r';
    r->p = 'q';
    r->sp = 'r';
    r->np = 'r';
    r->t = 'y';
    r->fo = 1 | 4;
    r->discovery = HIST_DISCOVERY_TREEWALK;
    r->align_dkim = HIST_ALIGN_PASS;
    r->align_spf = HIST_ALIGN_FAIL;
    r->n_reasons = 1;
    r->reasons[0].type = HIST_REASON_POLICY_TEST_MODE;
    strcpy(r->reasons[0].comment, "t=y in the record");
    r->action = HIST_ACTION_NONE;
}

/* Read every record of text[0..len) between start and stop. */
static size_t
read_all(const char *text, size_t len, off_t start, off_t stop,
         struct hist_record *out, size_t max, struct hist_stats *st,
         off_t *done)
{
    FILE *fp = fmemopen((void *)text, len, "r");
    struct hist_reader *h;
    const struct hist_record *r;
    off_t at;
    size_t n = 0;

    fseeko(fp, start, SEEK_SET);
    h = hist_open_stream(fp, start, stop);
    while (hist_next(h, &r, &at) == 1)
        if (n < max)
            out[n++] = *r;
    *st = *hist_stats(h);
    *done = hist_done(h);
    hist_close(h);
    return n;
}

static void
test_round_trip(void)
{
    static struct hist_record r, back[2];
    static char buf[HIST_RECORD_MAX];
    struct hist_stats st;
    off_t done;
    int len;

    full_record(&r);
    len = hist_format(&r, buf, sizeof(buf));
    ok(len > 0, "a full record formats");
    ok(strncmp(buf, "job 4XyZ1\nreporter mx1.example.net\nreceived "
               "1732233601\nipaddr 2001:db8::25\nfrom example.com\n", 90) == 0,
       "1.4.2's first keys, in 1.4.2's order");
    ok(strstr(buf, "\ndkim example.com sel1 0\ndkim esp.example - 4\n"
              "spf 2\nspf_scope 1\nspf_domain bounce.example.com\n"
              "pdomain example.com\npolicy 17\n") != NULL,
       "dkim lines (unknown selector '-'), spf code, extensions after spf");
    ok(strstr(buf, "\nrua mailto:agg@example.com!10m\nrua mailto:dmarc@"
              "vendor.example\npct 50\nadkim 115\naspf 114\np 113\nsp 114\n"
              "fo 5\nnp 114\nt 121\ndiscovery_method treewalk\n") != NULL,
       "rua lines as published, ASCII codes, fo, np, t");
    ok(strstr(buf, "\narc 7\narc_policy 2 json:[]\nreason policy_test_mode "
              "t=y in the record\naction 2\n") != NULL &&
       buf[len - 1] == '\n' && strstr(buf, "action 2\n") + 9 == buf + len,
       "arc, the reason, and action last");
    is_int(hist_format(&r, buf, 100), -1, "a short buffer is refused");
    len = hist_format(&r, buf, sizeof(buf));
    is_int(read_all(buf, (size_t)len, 0, len, back, 2, &st, &done), 1,
           "read back: one record");
    is_int(st.broken + st.bad_lines + st.unknown, 0, "nothing skipped");
    is_int(done, len, "done at its end");
    is_str(back[0].ipaddr, "2001:db8::25", "ipaddr");
    is_str(back[0].mfrom, "bounce.example.com", "mfrom");
    is_int(back[0].n_dkim, 2, "two signatures");
    is_str(back[0].dkim[1].selector, "", "unknown selector back to \"\"");
    is_int(back[0].dkim[1].result, DM_AUTH_TEMPERROR, "temperror");
    is_int(back[0].spf, DM_AUTH_SOFTFAIL, "spf softfail");
    is_int(back[0].spf_scope, HIST_SCOPE_MFROM, "spf scope");
    is_int(back[0].n_rua, 2, "two rua");
    ok(back[0].p == 'q' && back[0].sp == 'r' && back[0].np == 'r' &&
       back[0].t == 'y' && back[0].adkim == 's' && back[0].pct == 50 &&
       back[0].fo == 5, "policy tags");
    ok(back[0].align_dkim == HIST_ALIGN_PASS &&
       back[0].align_spf == HIST_ALIGN_FAIL &&
       back[0].policy == HIST_POLICY_QUARANTINE &&
       back[0].action == HIST_ACTION_NONE, "alignment, policy, action");
    ok(back[0].n_reasons == 1 &&
       back[0].reasons[0].type == HIST_REASON_POLICY_TEST_MODE &&
       strcmp(back[0].reasons[0].comment, "t=y in the record") == 0,
       "the reason and its comment");
}

static void
test_hostile(void)
{
    static struct hist_record r, back[4];
    static char buf[HIST_RECORD_MAX];
    struct hist_stats st;
    off_t done;
    int len;

    full_record(&r);
    strcpy(r.job, "Q1\njob evil");
    strcpy(r.rua[0], "mailto:a@example.com\nrua mailto:x@evil.test");
    strcpy(r.reasons[0].comment, "two\nlines\r");
    strcpy(r.reporter, "mx one");
    len = hist_format(&r, buf, sizeof(buf));
    ok(strstr(buf, "job Q1?job?evil\n") != NULL, "a queue id cannot start a "
       "line");
    ok(strstr(buf, "evil.test") == NULL, "a URI with a line break is left "
       "out whole");
    ok(strstr(buf, "reporter mx?one\n") != NULL, "a one-word value keeps one "
       "word");
    ok(strstr(buf, "comment") == NULL && strstr(buf, "two?lines?") != NULL,
       "a comment keeps its spaces, loses its line breaks");
    is_int(read_all(buf, (size_t)len, 0, len, back, 4, &st, &done), 1,
           "still exactly one record");
}

static void
test_opendmarc_142(void)
{
    /* written by Debian's opendmarc 1.4.2: no extension keys, rua - */
    static const char text[] =
        "job 4Q2Zx3\nreporter mx.example.org\nreceived 1732240000\n"
        "ipaddr 198.51.100.7\nfrom paypal.com\nmfrom \n"
        "dkim paypal.com pp-dkim1 7\nspf 7\npdomain paypal.com\npolicy 16\n"
        "rua mailto:d@rua.agari.com\npct 100\nadkim 114\naspf 114\np 114\n"
        "sp 114\nalign_dkim 5\nalign_spf 5\narc 7\narc_policy 2 json:[]\n"
        "action 0\n";
    static struct hist_record back[2];
    struct hist_stats st;
    off_t done;

    is_int(read_all(text, sizeof(text) - 1, 0, sizeof(text) - 1, back, 2,
                    &st, &done), 1, "an OpenDMARC 1.4.2 record reads");
    is_str(back[0].mfrom, "", "its null sender");
    is_str(back[0].ipaddr, "198.51.100.7", "its IPv4 address");
    ok(back[0].policy == HIST_POLICY_REJECT &&
       back[0].action == HIST_ACTION_REJECT && back[0].spf == DM_AUTH_FAIL &&
       back[0].spf_scope == HIST_SCOPE_UNKNOWN, "its codes");
}

static void
test_bounds(void)
{
    static struct hist_record r, back[8];
    static char buf[4 * HIST_RECORD_MAX];
    char *p = buf;
    struct hist_stats st;
    off_t done, second;
    size_t n;
    int len;

    full_record(&r);
    len = hist_format(&r, p, HIST_RECORD_MAX);
    p += len;
    /* a broken one: a bad address; then a long line; then an unknown key */
    p += sprintf(p, "job bad\nreceived 1\nipaddr 300.1.1.1\nfrom x.test\n"
                 "action 2\n");
    second = p - buf;
    len = hist_format(&r, p, HIST_RECORD_MAX);
    memmove(p + 4, p, (size_t)len);
    memcpy(p, "x y\n", 4);                   /* a key of the broken one */
    p += len + 4;
    p += sprintf(p, "future_key 1\n");
    memset(p, 'a', 2000);
    p += 2000;
    *p++ = '\n';
    /* a record still being written: no action line yet */
    len = sprintf(p, "job last\nreceived 5\nipaddr 192.0.2.1\nfrom y.test\n");
    p += len;
    n = read_all(buf, (size_t)(p - buf), 0, p - buf, back, 8, &st, &done);
    is_int(n, 1, "one whole record before the broken one ...");
    is_int(st.broken, 2, "... the bad address, and the one broken by the long "
           "line, skipped and counted");
    is_int(st.bad_lines, 1, "the long line is counted");
    is_int(st.unknown, 2, "unknown keys are counted, not fatal");
    is_int(done, p - buf - len, "the record being written is left for the "
           "next run");
    /* the snapshot ends in the middle of the second record's lines */
    n = read_all(buf, (size_t)(p - buf), 0, second + 20, back, 8, &st, &done);
    is_int(n, 1, "a snapshot mid-record: the whole ones only");
    is_int(done, second + 4, "and the next run starts at the cut record");
}

static int hf_errors;
static void count_error(void *arg) { (void)arg; hf_errors++; }

static void
test_appender(void)
{
    char dir[] = "/tmp/test_history.XXXXXX", path[256], rotated[256];
    static struct hist_record r;
    struct hf_file *f;
    struct stat a, b;

    full_record(&r);
    ok(mkdtemp(dir) != NULL, "a scratch directory");
    snprintf(path, sizeof(path), "%s/history", dir);
    snprintf(rotated, sizeof(rotated), "%s/history.1", dir);
    f = hf_open(path, count_error, NULL);
    hf_append(f, &r);
    hf_append(f, &r);
    stat(path, &a);
    rename(path, rotated);              /* logrotate */
    ok(hf_append(f, &r), "a written record says so"); /* the old file */
    hf_reopen(f);
    hf_append(f, &r);
    stat(rotated, &b);
    ok(b.st_size == a.st_size * 3 / 2, "before the reopen: the renamed file");
    stat(path, &a);
    ok(a.st_size * 3 == b.st_size, "after it: a new file");
    hf_close(f);
    hf_errors = 0;
    snprintf(path, sizeof(path), "%s/no/such/dir/history", dir);
    f = hf_open(path, count_error, NULL);
    ok(f != NULL, "an unopenable path is not an error at start");
    hf_append(f, &r);
    hf_append(f, &r);
    ok(!hf_append(f, &r), "an append that is lost says so");
    is_int(hf_errors, 3, "each lost record is counted, and the failed "
           "open at start is not a record");
    hf_close(f);
    unlink(rotated);
    snprintf(path, sizeof(path), "%s/history", dir);
    unlink(path);
    rmdir(dir);
}

int
main(void)
{
    dm_log_open("test_history", false, 0);
    test_round_trip();
    test_hostile();
    test_opendmarc_142();
    test_bounds();
    test_appender();
    return done_testing();
}
