/*
 * test_report.c: aggregation counts, the XML (validated by xmllint
 * against tests/report/rfc9990.xsd and read back by Python's parser),
 * the RFC 7489 form, the mail's subject and gzip, rua parsing with
 * "!size", the external-destination check, and the ledger's commit.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>
#include "report/report.h"
#include "util/util.h"
#include "tap.h"
#include "zone_table.h"

static void
rec(struct hist_record *r, const char *domain, const char *ip, long long t,
    bool pass)
{
    memset(r, 0, sizeof(*r));
    strcpy(r->job, "Q");
    r->received = t;
    strcpy(r->ipaddr, ip);
    strcpy(r->from, domain);
    strcpy(r->pdomain, domain);
    strcpy(r->mfrom, domain);
    r->spf_evaluated = true;
    r->spf = pass ? DM_AUTH_PASS : DM_AUTH_FAIL;
    r->spf_scope = HIST_SCOPE_MFROM;
    r->n_rua = 1;
    snprintf(r->rua[0], sizeof(r->rua[0]), "mailto:rua@%s", domain);
    r->p = 'r';
    r->pct = 100;
    r->align_spf = pass ? HIST_ALIGN_PASS : HIST_ALIGN_FAIL;
    r->align_dkim = HIST_ALIGN_FAIL;
    r->policy = pass ? HIST_POLICY_PASS : HIST_POLICY_REJECT;
    r->action = pass ? HIST_ACTION_NONE : HIST_ACTION_REJECT;
}

static struct ag_set *
sample(bool rfc9990)
{
    struct ag_set *s = ag_new(86400);
    struct hist_record r;
    bool counted;
    long long day = 1732233600;

    for (int i = 0; i < 3; i++) {
        rec(&r, "a.test", "192.0.2.1", day + i, true);
        ag_add(s, &r, rfc9990, &counted);
    }
    rec(&r, "a.test", "192.0.2.2", day + 5, false);
    strcpy(r.reasons[0].comment, "<&> \"quoted\"");
    r.reasons[0].type = HIST_REASON_LOCAL_POLICY;
    r.n_reasons = 1;
    r.action = HIST_ACTION_NONE;
    ag_add(s, &r, rfc9990, &counted);
    rec(&r, "b.test", "2001:db8::1", day + 7, true);
    ag_add(s, &r, rfc9990, &counted);
    rec(&r, "a.test", "192.0.2.1", day + 86400, true);  /* the next day */
    ag_add(s, &r, rfc9990, &counted);
    rec(&r, "c.test", "192.0.2.3", day, true);
    r.n_rua = 0;                                        /* no rua */
    ag_add(s, &r, rfc9990, &counted);
    ok(!counted, "a record without rua is not reportable");
    ag_finish(s);
    return s;
}

static void
test_aggregate(void)
{
    struct ag_set *s = sample(true);
    const struct ag_report *a;

    is_int(ag_n_reports(s), 3, "reports: a.test twice (two days), b.test");
    a = ag_report(s, 0);
    is_str(ag_str(s, a->domain), "a.test", "sorted by domain");
    is_int(a->begin, 1732233600, "on the UTC day");
    is_int(a->messages, 4, "a.test's first day: four messages");
    is_int(a->n_rows, 2, "in two rows");
    is_int(ag_rows(s)[a->first_row].count, 3, "the first row counts three");
    is_int(ag_report(s, 1)->messages, 1, "a.test's next day: one");
    is_str(ag_str(s, ag_report(s, 2)->domain), "b.test", "b.test");
    ag_free(s);
}

/* Run a shell command; its exit status. */
static int
run(const char *fmt, const char *a, const char *b)
{
    char cmd[2048];

    snprintf(cmd, sizeof(cmd), fmt, a, b);
    return system(cmd);
}

static const char *py_check =
    "python3 -c 'import sys, xml.etree.ElementTree as E\n"
    "t = E.parse(sys.argv[1]).getroot()\n"
    "ns = {\"d\": \"urn:ietf:params:xml:ns:dmarc-2.0\"} if \"}\" in t.tag "
    "else {\"d\": \"\"}\n"
    "p = \"d:\" if ns[\"d\"] else \"\"\n"
    "c = sum(int(x.text) for x in t.iter(\"{%%s}count\" %% ns[\"d\"] if "
    "ns[\"d\"] else \"count\"))\n"
    "r = [x.text for x in t.iter(\"{%%s}comment\" %% ns[\"d\"] if ns[\"d\"] "
    "else \"comment\")]\n"
    "sys.exit(0 if c == 4 and r == [\"<&> \\\"quoted\\\"\"] else 1)' %s%s";

static void
write_file(const char *path, const char *data, size_t len)
{
    FILE *fp = fopen(path, "w");

    fwrite(data, 1, len, fp);
    fclose(fp);
}

static void
test_xml(void)
{
    struct ag_set *s = sample(true);
    struct rbuf x = { 0 };
    struct xml_meta m = { "Org <&>", "dmarc@rep.test", "https://rep.test/",
                          "1732233600abc", "dmarc-milter test", false };
    const char *xsd = getenv("XSD");
    char path[] = "/tmp/test_report.XXXXXX";
    int fd = mkstemp(path);

    close(fd);
    ok(xml_report(s, 0, &m, &x), "RFC 9990 XML written");
    write_file(path, x.p, x.len);
    ok(strstr(x.p, "<org_name>Org &lt;&amp;&gt;</org_name>") != NULL,
       "org_name escaped");
    ok(strstr(x.p, "<disposition>pass</disposition>") != NULL &&
       strstr(x.p, "<disposition>none</disposition>") != NULL,
       "pass for DMARC passes, none for the overridden failure");
    ok(strstr(x.p, "<type>local_policy</type>") != NULL, "its reason");
    is_int(run("xmllint --noout --schema %s %s 2>/dev/null", xsd, path), 0,
           "xmllint --schema rfc9990.xsd: valid");
    is_int(run(py_check, path, ""), 0, "Python's parser: counts sum to 4, "
           "the comment comes back as written");
    rb_free(&x);
    ag_free(s);
    s = sample(false);          /* DMARCSpec rfc7489 counts in its words */
    m.rfc7489 = true;
    ok(xml_report(s, 0, &m, &x), "RFC 7489 XML written");
    write_file(path, x.p, x.len);
    ok(strstr(x.p, "xmlns") == NULL && strstr(x.p, "<version>") == NULL &&
       strstr(x.p, "<pct>100</pct>") != NULL &&
       strstr(x.p, "<disposition>pass") == NULL &&
       strstr(x.p, "<envelope_from>") == NULL,
       "RFC 7489 form: no namespace, version, pass or envelope_from; pct");
    is_int(run(py_check, path, ""), 0, "RFC 7489 form parses, same counts");
    is_int(run("xmllint --noout --schema %s %s 2>/dev/null", xsd, path) != 0,
           1, "and is not taken for the RFC 9990 form");
    rb_free(&x);
    unlink(path);
    ag_free(s);
}

/* gz (gzip, len bytes) inflates to exactly want. */
static bool
gunzips_to(const char *gz, size_t len, const char *want)
{
    char out[256];
    z_stream z;
    bool same;

    memset(&z, 0, sizeof(z));
    if (inflateInit2(&z, 15 + 16) != Z_OK)
        return false;
    z.next_in = (unsigned char *)(uintptr_t)gz;
    z.avail_in = (uInt)len;
    z.next_out = (unsigned char *)out;
    z.avail_out = sizeof(out);
    same = inflate(&z, Z_FINISH) == Z_STREAM_END &&
           z.total_out == strlen(want) && memcmp(out, want, z.total_out) == 0;
    inflateEnd(&z);
    return same;
}

static void
test_mail(void)
{
    static const char xml[] = "<feedback>x</feedback>\n";
    struct mail_report m = { "a.test", "rep.test", "123abc", 100, 199,
                             "dmarc@rep.test", "rua@a.test", NULL, 0,
                             1732233600 };
    struct rbuf b = { 0 }, gz = { 0 };
    char name[256];

    ok(mail_gzip(xml, sizeof(xml) - 1, &gz), "gzip");
    ok(gunzips_to(gz.p, gz.len, xml), "gunzip gives the XML back");
    m.gz = gz.p;
    m.gz_len = gz.len;
    mail_filename(&m, name, sizeof(name));
    is_str(name, "rep.test!a.test!100!199!123abc.xml.gz", "file name");
    ok(mail_build(&m, &b), "mail built");
    ok(strstr(b.p, "\r\nSubject: Report Domain: a.test Submitter: rep.test "
              "Report-ID: <123abc>\r\n") != NULL, "the subject RFC 9990 asks");
    ok(strstr(b.p, "Content-Type: application/gzip") != NULL &&
       strstr(b.p, "filename=\"rep.test!a.test!100!199!123abc.xml.gz\"") !=
       NULL, "gzip attachment, its name");
    rb_free(&b);
    rb_free(&gz);
}

static const struct zone_rr zone[] = {
    { "a.test._report._dmarc.vendor.test", DNS_OK, { "v=DMARC1" } },
    { "b.test._report._dmarc.vendor.test", DNS_OK, { "v=spf1 -all" } },
    { "c.test._report._dmarc.vendor.test", DNS_OK,
      { "v=DMARC1; rua=mailto:x@elsewhere.test" } },
    { "d.test._report._dmarc.vendor.test", DNS_TEMPFAIL, { NULL } },
    { "f.test._report._dmarc.vendor.test", DNS_OK,
      { "v=DMARC1; ruf=mailto:x@elsewhere.test; rua=mailto:r@vendor.test" } },
    { "g.test._report._dmarc.vendor.test", DNS_OK,
      { "v=DMARC1; xruf=mailto:x@elsewhere.test; ruf = mailto:f@vendor.test" } },
};

static enum dns_status
zone_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    (void)arg;
    return zone_answer(zone, sizeof(zone) / sizeof(*zone), qname, ans);
}

static void
test_destinations(void)
{
    struct dns_txt_resolver dns = { zone_lookup, NULL };
    char err[256];
    struct od_list *psl = od_open(NULL, err, sizeof(err));
    struct dest d;
    const char *why;

    ok(dest_parse("mailto:Agg@Example.TEST!10m", &d) && d.limit == 10485760 &&
       strcmp(d.addr, "Agg@example.test") == 0 &&
       strcmp(d.host, "example.test") == 0, "mailto with !10m");
    ok(!dest_parse("https://example.test/rua", &d), "not mailto: refused");
    ok(!dest_parse("mailto:a b@example.test", &d), "a space: refused");
    ok(!dest_parse("mailto:a@example.test\r\nBcc: x@y", &d),
       "header injection: refused");
    ok(!dest_parse("mailto:nobody", &d), "no host: refused");
    dest_parse("mailto:rua@sub.a.test", &d);
    is_int(dest_verify(&dns, psl, "a.test", &d, &why), DEST_OK,
           "same organizational domain: no lookup needed");
    dest_parse("mailto:rua@vendor.test", &d);
    is_int(dest_verify(&dns, psl, "a.test", &d, &why), DEST_OK,
           "outside, v=DMARC1 at a.test._report._dmarc.vendor.test");
    is_int(dest_verify(&dns, psl, "b.test", &d, &why), DEST_REFUSED,
           "outside, the record there is not DMARC1");
    is_int(dest_verify(&dns, psl, "c.test", &d, &why), DEST_REFUSED,
           "outside, its rua names another host: neither");
    is_int(dest_verify(&dns, psl, "d.test", &d, &why), DEST_TEMPFAIL,
           "a DNS failure: retried later");
    is_int(dest_verify(&dns, psl, "e.test", &d, &why), DEST_REFUSED,
           "no record at all: refused");
    /* failure reports look at the record's ruf=, aggregate ones at rua= */
    is_int(dest_verify(&dns, psl, "f.test", &d, &why), DEST_OK,
           "rua keeps the host: verified for aggregate reports");
    is_int(dest_verify_tag(&dns, psl, "f.test", &d, "ruf", &why),
           DEST_REFUSED, "ruf names another host: refused for failure reports");
    is_str(why, "verification record names another host in ruf", "... why");
    is_int(dest_verify_tag(&dns, psl, "g.test", &d, "ruf", &why), DEST_OK,
           "a tag that only ends in ruf is not ruf; the real one keeps the host");
    od_close(psl);
}

static void
test_ledger(void)
{
    char dir[] = "/tmp/test_ledger.XXXXXX", err[256], **names;
    struct ledger lg, other;
    struct lg_report r = { 0 }, back;
    char *xml;
    size_t len, n;

    mkdtemp(dir);
    ok(lg_open(&lg, dir, err, sizeof(err)), "ledger opens");
    ok(!lg_open(&other, dir, err, sizeof(err)), "a second run is refused");
    lg_close(&other);
    strcpy(r.id, "1abc");
    strcpy(r.domain, "a.test");
    r.dest[0] = strdup("mailto:x@a.test");
    r.dest[1] = strdup("mailto:y@a.test");
    r.n_dest = 2;
    ok(lg_stage(&lg, &r, "<x/>", 4, err, sizeof(err)), "staged");
    lg_close(&lg);
    lg_open(&lg, dir, err, sizeof(err));
    is_int(lg_outbox(&lg, &names), 0, "not committed: gone at the next run");
    free(names);
    lg_stage(&lg, &r, "<x/>", 4, err, sizeof(err));
    ok(lg_commit(&lg, err, sizeof(err)), "committed");
    lg_close(&lg);
    lg_open(&lg, dir, err, sizeof(err));
    n = lg_outbox(&lg, &names);
    is_int(n, 1, "committed: in the outbox at the next run");
    ok(n == 1 && lg_load(&lg, names[0], &back, &xml, &len) &&
       back.n_dest == 2 && gunzips_to(xml, len, "<x/>") &&
       strcmp(back.id, "1abc") == 0,
       "with its destinations and XML (kept gzip'ed)");
    free(back.dest[0]);
    back.dest[0] = back.dest[1];
    back.n_dest = 1;
    lg_update(&lg, &back);
    lg_report_free(&back);
    free(xml);
    lg_load(&lg, names[0], &back, &xml, &len);
    is_str(back.n_dest == 1 ? back.dest[0] : "", "mailto:y@a.test",
           "a delivered destination is struck off");
    lg_report_free(&back);
    free(xml);
    lg_update(&lg, &back);
    free(names[0]);
    free(names);
    is_int(lg_outbox(&lg, &names), 0, "none left: the report is gone");
    free(names);
    lg_report_free(&r);
    lg_close(&lg);
    run("rm -rf %s%s", dir, "");
}

int
main(void)
{
    dm_log_open("test_report", false, 0);
    if (getenv("XSD") == NULL)
        setenv("XSD", TOP_SRCDIR "/tests/report/rfc9990.xsd", 1);
    test_aggregate();
    test_xml();
    test_mail();
    test_destinations();
    test_ledger();
    return done_testing();
}
