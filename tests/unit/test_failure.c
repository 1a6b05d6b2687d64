/*
 * test_failure.c: failure reports: the fo= table, which messages are due,
 * ruf= parsing, the report byte by byte and under hostile input, and the
 * sender with a real ReportCommand (a script saving each mail), a zone
 * table as resolver, the rate limit, the Bcc copy and a command that
 * sleeps while the milter side submits.
 */
#include <config.h>
#include <dirent.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "report/report.h"
#include "util/util.h"
#include "fixtures.h"
#include "tap.h"
#include "zone_table.h"

static void
test_wanted(void)
{
    /* spf_aligned_pass, dkim_aligned_pass, any_dkim_fail, spf_fail */
    ok(fr_wanted(0, false, false, false, false), "fo default: none aligned");
    ok(!fr_wanted(0, true, false, false, false), "fo=0: spf aligned: no");
    ok(!fr_wanted(FR_FO_0, false, true, true, true), "fo=0: dkim aligned");
    ok(fr_wanted(FR_FO_0, false, false, true, true), "fo=0: both failed");
    ok(fr_wanted(FR_FO_1, true, false, false, false), "fo=1: dkim not");
    ok(fr_wanted(FR_FO_1, false, true, false, false), "fo=1: spf not");
    ok(!fr_wanted(FR_FO_1, true, true, true, true), "fo=1: both aligned");
    ok(fr_wanted(FR_FO_D, true, true, true, false), "fo=d: a sig failed, "
       "aligned or not");
    ok(!fr_wanted(FR_FO_D, false, false, false, true), "fo=d: no sig failed");
    ok(fr_wanted(FR_FO_S, true, true, false, true), "fo=s: spf failed");
    ok(!fr_wanted(FR_FO_S, false, false, true, false), "fo=s: spf did not");
    ok(fr_wanted(FR_FO_D | FR_FO_S, false, false, false, true),
       "fo=d:s: spf failed");
    ok(!fr_wanted(FR_FO_D | FR_FO_S, false, false, false, false),
       "fo=d:s: neither failed (no signature, spf none)");
    ok(fr_wanted(FR_FO_0 | FR_FO_D, true, false, true, false),
       "fo=0:d: the d wins");
}

/* A failing message of victim.test under p=reject. */
static void
fill_rec(struct hist_record *r)
{
    memset(r, 0, sizeof(*r));
    snprintf(r->job, sizeof(r->job), "4XyZ1abc");
    snprintf(r->reporter, sizeof(r->reporter), "mx.rcv.test");
    r->received = 1700000000;
    snprintf(r->ipaddr, sizeof(r->ipaddr), "192.0.2.7");
    snprintf(r->from, sizeof(r->from), "victim.test");
    snprintf(r->mfrom, sizeof(r->mfrom), "spoof.test");
    r->n_dkim = 2;
    snprintf(r->dkim[0].domain, sizeof(r->dkim[0].domain), "other.test");
    snprintf(r->dkim[0].selector, sizeof(r->dkim[0].selector), "s0");
    r->dkim[0].result = DM_AUTH_FAIL;
    snprintf(r->dkim[1].domain, sizeof(r->dkim[1].domain), "mail.victim.test");
    snprintf(r->dkim[1].selector, sizeof(r->dkim[1].selector), "sel1");
    r->dkim[1].result = DM_AUTH_FAIL;
    r->spf_evaluated = true;
    r->spf = DM_AUTH_FAIL;
    snprintf(r->pdomain, sizeof(r->pdomain), "victim.test");
    r->policy = HIST_POLICY_REJECT;
    r->p = 'r';
    r->fo = FR_FO_0;
    r->align_dkim = HIST_ALIGN_FAIL;
    r->align_spf = HIST_ALIGN_FAIL;
    r->action = HIST_ACTION_REJECT;
}

static void
test_due(void)
{
    struct rp_settings rp;
    struct hist_record r;
    char bcc[] = "bcc@local.test";

    memset(&rp, 0, sizeof(rp));
    fill_rec(&r);
    ok(!fr_due(&rp, &r, "mailto:f@victim.test"), "FailureReports off");
    rp.failure_reports = true;
    ok(fr_due(&rp, &r, "mailto:f@victim.test"), "p=reject, failed: due");
    ok(!fr_due(&rp, &r, ""), "no ruf, no Bcc: not due");
    rp.failure_bcc = bcc;
    ok(fr_due(&rp, &r, NULL), "no ruf but a Bcc: due");
    r.policy = HIST_POLICY_QUARANTINE;
    ok(fr_due(&rp, &r, NULL), "p=quarantine: due");
    r.policy = HIST_POLICY_NONE;
    ok(!fr_due(&rp, &r, NULL), "p=none: not without FailureReportsOnNone");
    rp.failure_on_none = true;
    ok(fr_due(&rp, &r, NULL), "p=none with FailureReportsOnNone: due");
    r.policy = HIST_POLICY_PASS;
    ok(!fr_due(&rp, &r, NULL), "a pass: never, even on none");
    r.policy = HIST_POLICY_UNKNOWN;
    ok(!fr_due(&rp, &r, NULL), "no record: never");
    r.policy = HIST_POLICY_REJECT;
    r.fo = FR_FO_D;
    ok(fr_due(&rp, &r, NULL), "fo=d and a signature failed");
    r.dkim[0].result = r.dkim[1].result = DM_AUTH_PASS;
    ok(!fr_due(&rp, &r, NULL), "fo=d, every signature verified: not due");
    r.fo = FR_FO_S;
    ok(fr_due(&rp, &r, NULL), "fo=s and spf failed");
    r.spf = DM_AUTH_SOFTFAIL;
    ok(!fr_due(&rp, &r, NULL), "fo=s and spf softfail: not due");
}

static void
test_ruf(void)
{
    struct dest d[FR_RUF_MAX];
    size_t n;

    n = fr_ruf_parse("mailto:f@victim.test!10k, https://x.test/r,"
                     "mailto:F@Victim.TEST,mailto:g@ext.test", d, FR_RUF_MAX);
    is_int(n, 2, "two usable, a duplicate and an https URI left out");
    is_str(d[0].addr, "f@victim.test", "the first, !10k cut");
    is_int(d[0].limit, 0, "its size ignored");
    is_str(d[1].addr, "g@ext.test", "the second");
    is_int(fr_ruf_parse("mailto:a@b.test\r\nBcc: x@y.test", d, FR_RUF_MAX), 0,
           "an injection: no destination");
    is_int(fr_ruf_parse(NULL, d, FR_RUF_MAX), 0, "NULL: none");
    is_int(fr_ruf_parse("mailto:a@b.test,mailto:c@d.test", d, 1), 1,
           "at most max");
}

static const char hdrs[] =
    "Received: from spoof.test by mx.rcv.test\r\n"
    "\tid 4XyZ1abc\r\n"
    "From: Boss <boss@victim.test>\r\n"
    "To: you@rcv.test\r\n"
    "Subject: Pay this invoice\r\n"
    "Message-ID: <1@spoof.test>\r\n";

/* The report, checked byte by byte but for the boundary (a hash), which
   is checked to be the one in the Content-Type. */
static void
test_format(void)
{
    struct hist_record r;
    struct fr_message m = { &r, "mailto:f@victim.test", hdrs,
                            sizeof(hdrs) - 1, "mx.rcv.test; dmarc=fail "
                            "(p=reject dis=reject) header.from=victim.test",
                            "you@rcv.test", "x@spoof.test" };
    struct fr_mail f = { &m, "Reports <fr@rcv.test>", "f@victim.test",
                         "bcc@local.test", 1700000100 };
    struct rbuf a = { 0 }, b = { 0 }, want = { 0 };
    char bd[64];
    const char *p;

    fill_rec(&r);
    ok(fr_format(&f, &a), "formatted");
    p = strstr(a.p != NULL ? a.p : "", "boundary=\"");
    ok(p != NULL && sscanf(p, "boundary=\"%63[^\"]\"", bd) == 1 &&
       strncmp(bd, "=_dmarc_failure_", 16) == 0, "a boundary: %s",
       p ? bd : "none");
    rb_printf(&want,
        "From: Reports <fr@rcv.test>\r\nTo: f@victim.test\r\n"
        "Bcc: bcc@local.test\r\nDate: Tue, 14 Nov 2023 22:15:00 +0000\r\n"
        "Subject: FW: Pay this invoice\r\nMIME-Version: 1.0\r\n"
        "Auto-Submitted: auto-generated\r\n"
        "Content-Type: multipart/report;\r\n\treport-type=feedback-report;"
        "\r\n\tboundary=\"%s\"\r\n\r\n"
        "This is a MIME-formatted message.\r\n\r\n"
        "--%s\r\nContent-Type: text/plain; charset=us-ascii\r\n\r\n"
        "This is an authentication failure report for an email message "
        "received\r\nfrom IP 192.0.2.7 on Tue, 14 Nov 2023 22:13:20 +0000."
        "\r\n\r\nIts From domain, victim.test, failed DMARC (policy domain "
        "victim.test); the message was rejected.\r\n\r\n", bd, bd);
    rb_printf(&want,
        "--%s\r\nContent-Type: message/feedback-report\r\n\r\n"
        "Feedback-Type: auth-failure\r\nVersion: 1\r\n"
        "User-Agent: " PACKAGE_NAME "/" PACKAGE_VERSION "\r\n"
        "Auth-Failure: dmarc\r\n"
        "Authentication-Results: mx.rcv.test; dmarc=fail (p=reject "
        "dis=reject) header.from=victim.test\r\n"
        "Original-Envelope-Id: 4XyZ1abc\r\n"
        "Original-Mail-From: <x@spoof.test>\r\n"
        "Original-Rcpt-To: <you@rcv.test>\r\n"
        "Arrival-Date: Tue, 14 Nov 2023 22:13:20 +0000\r\n"
        "Source-IP: 192.0.2.7\r\nReported-Domain: victim.test\r\n"
        "Identity-Alignment: none\r\nDelivery-Result: reject\r\n"
        "DKIM-Domain: mail.victim.test\r\nDKIM-Selector: sel1\r\n\r\n", bd);
    rb_printf(&want,
        "--%s\r\nContent-Type: text/rfc822-headers\r\n\r\n%s\r\n--%s--\r\n",
        bd, hdrs, bd);
    is_str(a.p, want.p, "the report, byte by byte");
    ok(fr_format(&f, &b) && a.len == b.len && memcmp(a.p, b.p, a.len) == 0,
       "the same input, the same bytes");
    rb_free(&a);
    rb_free(&b);
    rb_free(&want);
}

static void
test_format_variants(void)
{
    struct hist_record r;
    struct fr_message m = { &r, NULL, NULL, 0, NULL, NULL, "" };
    struct fr_mail f = { &m, "a@b.test", "bcc@local.test", NULL, 0 };
    struct rbuf a = { 0 };

    fill_rec(&r);
    r.align_spf = HIST_ALIGN_PASS;
    r.align_dkim = HIST_ALIGN_PASS;
    r.action = HIST_ACTION_QUARANTINE;
    r.n_dkim = 0;
    fr_format(&f, &a);
    ok(a.p && strstr(a.p, "\r\nSubject: DMARC failure report for job "
                     "4XyZ1abc\r\n"), "no Subject: the job's (OpenDMARC)");
    ok(a.p && strstr(a.p, "\r\nIdentity-Alignment: dkim, spf\r\n"),
       "both aligned");
    ok(a.p && strstr(a.p, "\r\nDelivery-Result: spam\r\n"),
       "quarantine is spam");
    ok(a.p && strstr(a.p, "\r\nOriginal-Mail-From: <>\r\n"),
       "the null sender");
    ok(a.p && !strstr(a.p, "DKIM-Domain") && !strstr(a.p, "Bcc:") &&
       !strstr(a.p, "Original-Rcpt-To"), "no DKIM, Bcc, Rcpt fields");
    ok(a.p && strstr(a.p, "mx.rcv.test; dmarc=fail header.from=victim.test"),
       "no A-R given: OpenDMARC's");
    rb_free(&a);
    r.job[0] = '\0';
    fr_format(&f, &a);
    ok(a.p && strstr(a.p, "\r\nSubject: DMARC failure report for "
                     "victim.test\r\n"), "no job either: the domain's");
    rb_free(&a);
}

/* Every line ends in CRLF, none longer than 998, no NUL; the top header
   holds only our fields; the body has the boundary exactly 4 times, each
   as a whole line. */
static void
check_structure(const struct rbuf *a, const char *what)
{
    static const char *const names[] = {
        "From:", "To:", "Bcc:", "Date:", "Subject:", "MIME-Version:",
        "Auto-Submitted:", "Content-Type:", "\t" };
    char bd[64], line[80];
    const char *p = strstr(a->p, "boundary=\""), *body, *q;
    bool lines_ok = memchr(a->p, '\0', a->len) == NULL, head_ok = true;
    size_t col = 0, count = 0;

    for (size_t i = 0; i < a->len; i++) {
        if (a->p[i] == '\n' && (i == 0 || a->p[i - 1] != '\r'))
            lines_ok = false;
        if (a->p[i] == '\r' && (i + 1 == a->len || a->p[i + 1] != '\n'))
            lines_ok = false;
        col = a->p[i] == '\n' ? 0 : col + 1;
        lines_ok = lines_ok && col <= 999;
    }
    ok(lines_ok, "%s: CRLF lines of 998 at most, no NUL", what);
    body = strstr(a->p, "\r\n\r\n");
    for (q = a->p; body != NULL && q < body; q = strstr(q, "\r\n") + 2) {
        bool known = false;
        for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
            known = known || strncmp(q, names[i], strlen(names[i])) == 0;
        head_ok = head_ok && known;
    }
    ok(body != NULL && head_ok, "%s: only our fields on top", what);
    if (p == NULL || sscanf(p, "boundary=\"%63[^\"]\"", bd) != 1 ||
        body == NULL) {
        ok(0, "%s: a boundary", what);
        return;
    }
    for (q = strstr(body, bd); q != NULL; q = strstr(q + 1, bd))
        count++;
    snprintf(line, sizeof(line), "\r\n--%s--\r\n", bd);
    is_int(count, 4, "%s: the boundary 3 times and the end", what);
    ok(strstr(body, line) != NULL && strlen(strstr(body, line)) ==
       strlen(line), "%s: the end is the end", what);
}

static void
test_hostile(void)
{
    static const char evil[] =
        "Subject: hi\nBcc: victim@else.test\r\n"
        "X-A: one\0two\r\r\n\r\n"
        "--=_dmarc_failure_0000000000000000_0\r\n"
        "X-B: caf\xc3\xa9 \x7f\x01\r\n";
    char longline[4000], *big;
    const char *bcc;
    struct hist_record r;
    struct fr_message m = { &r, NULL, evil, sizeof(evil) - 1,
                            "a; dmarc=fail\r\nBcc: x@y.test", "a>b\r\nX: y",
                            "<evil\r\nBcc: z@z.test>" };
    struct fr_mail f = { &m, "a@b.test", "c@d.test", NULL, 0 };
    struct rbuf a = { 0 }, parts[2] = { { 0 }, { 0 } };
    char bd[48], bd2[48];

    fill_rec(&r);
    snprintf(r.from, sizeof(r.from), "ev\"il\r\nBcc: v@w.test");
    snprintf(r.job, sizeof(r.job), "j\r\nBcc: q@q.test");
    ok(fr_format(&f, &a), "hostile input formatted");
    check_structure(&a, "hostile");
    /* the one Bcc line is the original's, split at its bare LF */
    bcc = strstr(a.p, "\nBcc:");
    ok(bcc != NULL && strstr(bcc + 1, "\nBcc:") == NULL &&
       bcc > strstr(a.p, "text/rfc822-headers"), "no Bcc: injected but in "
       "the copy of the original header");
    ok(strstr(a.p, "\r\nSubject: FW: hi\r\n") != NULL,
       "the subject stops at a bare LF");
    ok(strstr(a.p, "\r\nX-A: one?two\r\n") != NULL, "a NUL replaced");
    ok(strstr(a.p, "\r\nX-B: caf?? ??\r\n") != NULL,
       "8-bit and controls replaced");
    ok(strstr(a.p, "Reported-Domain: ev\"il  Bcc: v@w.test\r\n") != NULL,
       "a From domain with odd characters stays on its line");
    ok(strstr(a.p, "Original-Mail-From: <evil  Bcc: z@z.test>\r\n") !=
       NULL, "a hostile MAIL FROM stays inside its path");
    ok(strstr(a.p, "Original-Rcpt-To: <a?b  X: y>\r\n") != NULL,
       "a hostile recipient too");
    rb_free(&a);

    memset(longline, 'x', sizeof(longline) - 1);
    longline[sizeof(longline) - 1] = '\0';
    memcpy(longline, "X-Long: ", 8);
    m.headers = longline;
    m.headers_len = strlen(longline);
    fr_format(&f, &a);
    check_structure(&a, "a 4000-byte line");
    ok(strstr(a.p, "\r\n xxx") != NULL, "folded, not cut");
    rb_free(&a);

    big = malloc(3 * FR_HEADERS_MAX);
    memset(big, 'y', 3 * FR_HEADERS_MAX);
    m.headers = big;
    m.headers_len = 3 * FR_HEADERS_MAX;
    fr_format(&f, &a);
    ok(a.len < FR_HEADERS_MAX + 8192, "a huge block is cut (%zu)", a.len);
    check_structure(&a, "huge");
    rb_free(&a);
    free(big);

    /* headers that hold the boundary the hash gives: another one */
    fr_boundary("j|0|192.0.2.7", parts, 0, bd);
    rb_printf(&parts[0], "X-C: 1\r\n--%s\r\nX-D: 2\r\n--%s--\r\n", bd,
              bd);
    fr_boundary("j|0|192.0.2.7", parts, 1, bd2);
    ok(strcmp(bd, bd2) != 0 && strstr(parts[0].p, bd2) == NULL,
       "a part holding the boundary: another is chosen (%s)", bd2);
    snprintf(r.job, sizeof(r.job), "j");
    r.received = 0;
    m.headers = parts[0].p;
    m.headers_len = parts[0].len;
    fr_format(&f, &a);
    check_structure(&a, "a boundary in the headers");
    ok(strstr(a.p, bd2) != NULL, "the report uses it");
    rb_free(&a);
    rb_free(&parts[0]);
    rb_free(&parts[1]);
}

/* ---- the sender, with a real command ---- */

static const struct zone_rr fr_zone[] = {
    { "victim.test._report._dmarc.ext.test", DNS_OK, { "v=DMARC1" } },
    { "victim.test._report._dmarc.bad.test", DNS_OK, { "v=spf1 -all" } },
};

/* The configuration the worker borrows: fixed for the test. */
struct lender {
    struct rp_settings rp;
    struct dns_txt_resolver dns;
    struct od_list *psl;
    int acquired, released;
};

static bool
lend(void *arg, struct fr_env *env)
{
    struct lender *l = arg;

    l->acquired++;
    env->rp = &l->rp;
    env->dns = &l->dns;
    env->psl = l->psl;
    env->ref = l;
    return true;
}

static void
give_back(void *arg, struct fr_env *env)
{
    struct lender *l = arg;

    l->released += env->ref == l;
}

/* Files in dir, each read into out[] (malloc'd; at most max). */
static int
saved_mails(const char *dir, char **out, int max)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    size_t len;
    int n = 0;

    while (d != NULL && (e = readdir(d)) != NULL) {
        if (e->d_name[0] == '.' || n == max)
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        out[n] = fx_read(path, &len);
        n += out[n] != NULL;
    }
    if (d != NULL)
        closedir(d);
    return n;
}

/* Wait up to 10 s for the worker to have sent or failed want mails. */
static void
wait_for(struct fr_sender *s, unsigned long long want)
{
    struct fr_counts c;

    for (int i = 0; i < 1000; i++) {
        fr_stats(s, &c);
        if (c.sent + c.failed + c.dropped >= want)
            return;
        usleep(10000);
    }
}

static void
test_sender(void)
{
    static struct zone_table zt = ZONE_TABLE(fr_zone);
    struct lender l;
    struct fr_hooks hooks = { lend, give_back, &l };
    struct hist_record r;
    struct fr_message m = { &r, "mailto:f@victim.test,mailto:x@ext.test,"
                            "mailto:y@bad.test", hdrs, sizeof(hdrs) - 1,
                            NULL, NULL, "x@spoof.test" };
    char cmd[1024], err[256], bcc[] = "bcc@local.test", *mails[16];
    struct fr_counts c;
    struct fr_sender *s;
    int n;

    memset(&l, 0, sizeof(l));
    fill_rec(&r);
    fx_write("save.sh", "#!/bin/sh\n[ -n \"$2\" ] && sleep \"$2\"\n"
             "cat > \"$1/mail.$$\"\n");
    mkdir(fx_path("out"), 0700);
    snprintf(cmd, sizeof(cmd), "/bin/sh %s %s", fx_path("save.sh"),
             fx_path("out"));
    l.rp.report_command = cmd;
    l.rp.failure_reports = true;
    l.rp.failure_bcc = bcc;
    l.rp.failure_rate = 3;
    l.dns.lookup = zone_table_lookup;
    l.dns.arg = &zt;
    l.psl = od_open(NULL, err, sizeof(err));
    s = fr_start(&hooks, err, sizeof(err));
    ok(s != NULL, "started");
    for (int i = 0; i < 5; i++)
        ok(fr_submit(s, &m), "report %d queued", i + 1);
    wait_for(s, 3);
    usleep(200000);
    fr_stats(s, &c);
    is_int(c.sent, 3, "three mails: the rate limit is 3 an hour");
    is_int(c.rate_limited, 8, "then each of 3 destinations and the Bcc "
           "skipped twice");
    is_int(c.refused, 3, "bad.test, with no v=DMARC1 there, refused "
           "within its limit");
    is_int(c.failed + c.dropped, 0, "nothing failed or dropped");
    is_int(zt.lookups, 6, "one lookup per outside destination and report "
           "within the limit: a wave costs no more DNS");
    is_str(zt.log[0], "victim.test._report._dmarc.ext.test",
           "the outside destination is checked");
    n = saved_mails(fx_path("out"), mails, 16);
    is_int(n, 3, "three mails saved by the command");
    for (int i = 0; i < n; i++) {
        ok(strstr(mails[i], "\r\nTo: f@victim.test, x@ext.test\r\n") &&
           strstr(mails[i], "\r\nBcc: bcc@local.test\r\n") &&
           !strstr(mails[i], "bad.test"), "mail %d: To the two, Bcc", i);
        free(mails[i]);
    }
    is_int(l.acquired, 5, "the configuration borrowed once per report");
    is_int(l.released, 5, "and given back");
    fr_stop(s, 1000);
    od_close(l.psl);
}

/* A command that sleeps: the milter side never waits; a full queue
   drops; fr_stop gives up at its deadline and kills the command. */
static void
test_sender_slow(void)
{
    static struct zone_table zt = ZONE_TABLE(fr_zone);
    struct lender l;
    struct fr_hooks hooks = { lend, give_back, &l };
    struct hist_record r;
    struct fr_message m = { &r, "mailto:f@victim.test", hdrs,
                            sizeof(hdrs) - 1, NULL, NULL, NULL };
    char cmd[1024], err[256];
    struct fr_counts c;
    struct fr_sender *s;
    double t0, slowest = 0, t;
    int queued = 0;

    memset(&l, 0, sizeof(l));
    fill_rec(&r);
    snprintf(cmd, sizeof(cmd), "/bin/sh %s %s 30", fx_path("save.sh"),
             fx_path("out"));
    l.rp.report_command = cmd;
    l.rp.failure_rate = 10000;
    l.dns.lookup = zone_table_lookup;
    l.dns.arg = &zt;
    l.psl = od_open(NULL, err, sizeof(err));
    s = fr_start(&hooks, err, sizeof(err));
    for (int i = 0; i < FR_QUEUE_MAX + 20; i++) {
        t0 = clk_seconds();
        queued += fr_submit(s, &m);
        t = clk_seconds() - t0;
        slowest = t > slowest ? t : slowest;
        if (i == 0)
            usleep(100000);     /* the worker is in the command now */
    }
    ok(slowest < 0.05, "fr_submit never waits on the command (%.4f s)",
       slowest);
    is_int(queued, FR_QUEUE_MAX + 1, "the queue holds %d besides the one "
           "being sent", FR_QUEUE_MAX);
    fr_stats(s, &c);
    is_int(c.dropped, 19, "the rest dropped and counted");
    t0 = clk_seconds();
    fr_stop(s, 300);
    t = clk_seconds() - t0;
    ok(t < 2.0, "fr_stop keeps its deadline, the command killed (%.2f s)",
       t);
    od_close(l.psl);
}

/* A command that fails is counted. */
static void
test_sender_fails(void)
{
    struct lender l;
    struct fr_hooks hooks = { lend, give_back, &l };
    struct hist_record r;
    struct fr_message m = { &r, "mailto:f@victim.test", NULL, 0, NULL,
                            NULL, NULL };
    char err[256], cmd[] = "/bin/false", none[] = "/nonexistent/sendmail -t";
    struct fr_counts c;
    struct fr_sender *s;

    memset(&l, 0, sizeof(l));
    fill_rec(&r);
    l.rp.report_command = cmd;
    l.rp.failure_rate = 10;
    l.psl = od_open(NULL, err, sizeof(err));
    s = fr_start(&hooks, err, sizeof(err));
    fr_submit(s, &m);
    wait_for(s, 1);
    l.rp.report_command = none;
    fr_submit(s, &m);
    wait_for(s, 2);
    fr_stats(s, &c);
    is_int(c.failed, 2, "a command exiting 1 and a missing one: failed");
    is_int(c.sent, 0, "nothing sent");
    fr_stop(s, 1000);
    od_close(l.psl);
    ok(fr_submit(NULL, &m) == false, "no sender: false");
}

/* NoReportsList suppresses a destination, read by the worker. */
static void
test_sender_noreports(void)
{
    static struct zone_table zt = ZONE_TABLE(fr_zone);
    struct lender l;
    struct fr_hooks hooks = { lend, give_back, &l };
    struct hist_record r;
    struct fr_message m = { &r, "mailto:f@victim.test,mailto:x@ext.test",
                            NULL, 0, NULL, NULL, NULL };
    char cmd[1024], err[256], list[1024], *mails[4];
    struct fr_counts c;
    struct fr_sender *s;
    int n;

    memset(&l, 0, sizeof(l));
    fill_rec(&r);
    fx_tmpdir_clear();
    fx_write("save.sh", "#!/bin/sh\ncat > \"$1/mail.$$\"\n");
    mkdir(fx_path("out"), 0700);
    snprintf(cmd, sizeof(cmd), "/bin/sh %s %s", fx_path("save.sh"),
             fx_path("out"));
    snprintf(list, sizeof(list), "%s", fx_write("noreports",
                                                "# who gets none\next.test\n"));
    l.rp.report_command = cmd;
    l.rp.failure_rate = 10;
    l.rp.no_reports_list = list;
    l.dns.lookup = zone_table_lookup;
    l.dns.arg = &zt;
    l.psl = od_open(NULL, err, sizeof(err));
    s = fr_start(&hooks, err, sizeof(err));
    fr_submit(s, &m);
    wait_for(s, 1);
    fr_stats(s, &c);
    is_int(c.refused, 1, "NoReportsList: ext.test refused");
    is_int(zt.lookups, 0, "and not looked up");
    n = saved_mails(fx_path("out"), mails, 4);
    ok(n == 1 && strstr(mails[0], "\r\nTo: f@victim.test\r\n") != NULL,
       "the other destination has it");
    for (int i = 0; i < n; i++)
        free(mails[i]);
    fr_stop(s, 1000);
    od_close(l.psl);
}

int
main(void)
{
    test_wanted();
    test_due();
    test_ruf();
    test_format();
    test_format_variants();
    test_hostile();
    test_sender();
    test_sender_slow();
    test_sender_fails();
    test_sender_noreports();
    return done_testing();
}
