/*
 * test_bis.c: RFC 9989 (DMARCbis) beside RFC 7489 in the DMARC engine:
 * the DNS Tree Walk with psd=y and psd=n, np for non-existent From
 * domains, t=y, a missing p, duplicate records, and the eight-query cap.
 * Every case runs under both specifications; the RFC 7489 answer is the
 * one OpenDMARC gives. DNS is a table; every lookup is logged.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/dmarc_eval.h"
#include "dmarc/dmarc_walk.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

/* Names not listed are NXDOMAIN. */
static const struct zone_rr zone[] = {
    /* rule 3: the shortest name with a record is the org domain */
    { "_dmarc.dept.corp.example", DNS_OK, { "v=DMARC1; p=quarantine" } },
    { "_dmarc.corp.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "mail.dept.corp.example", DNS_NODATA, { NULL } },

    /* psd=n: the organization ends at dept.psdn.example */
    { "_dmarc.dept.psdn.example", DNS_OK,
      { "v=DMARC1; p=quarantine; psd=n" } },
    { "_dmarc.psdn.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "x.dept.psdn.example", DNS_NODATA, { NULL } },

    /* psd=y: gov.uk is a public suffix that publishes a policy */
    { "_dmarc.gov.uk", DNS_OK,
      { "v=DMARC1; p=quarantine; np=reject; psd=y" } },
    { "agency.gov.uk", DNS_OK, { "v=spf1 -all" } },
    { "mail.agency.gov.uk", DNS_NODATA, { NULL } },
    /* psd=y under a name the PSL does not list */
    { "_dmarc.gov.example", DNS_OK, { "v=DMARC1; p=quarantine; psd=y" } },
    { "agency.gov.example", DNS_NODATA, { NULL } },
    /* psd=y on the From domain itself: its own policy */
    { "_dmarc.selfpsd.example", DNS_OK, { "v=DMARC1; p=reject; psd=y" } },

    /* np: non-existent subdomains */
    { "_dmarc.np.example", DNS_OK,
      { "v=DMARC1; p=none; sp=quarantine; np=reject" } },
    { "real.np.example", DNS_NODATA, { NULL } },
    { "txt.np.example", DNS_OK, { "hello" } },
    { "_dmarc.npdef.example", DNS_OK, { "v=DMARC1; p=reject; sp=none" } },
    { "_dmarc.nxfail.example", DNS_OK, { "v=DMARC1; p=reject; np=none" } },
    { "tf.nxfail.example", DNS_TEMPFAIL, { NULL } },

    /* t=y, and pct which RFC 9989 no longer reads */
    { "_dmarc.testing.example", DNS_OK, { "v=DMARC1; p=reject; t=y" } },
    { "_dmarc.testingq.example", DNS_OK, { "v=DMARC1; p=quarantine; t=y" } },
    { "_dmarc.testingn.example", DNS_OK, { "v=DMARC1; p=reject; t=n" } },
    { "_dmarc.pct0.example", DNS_OK, { "v=DMARC1; p=reject; pct=0" } },
    { "_dmarc.tsp.example", DNS_OK,
      { "v=DMARC1; p=none; sp=reject; t=y" } },
    { "x.tsp.example", DNS_NODATA, { NULL } },

    /* p missing, np invalid */
    { "_dmarc.nop.example", DNS_OK, { "v=DMARC1; sp=reject" } },
    { "x.nop.example", DNS_NODATA, { NULL } },
    { "_dmarc.nopbare.example", DNS_OK, { "v=DMARC1" } },
    { "_dmarc.badp.example", DNS_OK, { "v=DMARC1; p=bogus" } },
    { "_dmarc.badnp.example", DNS_OK, { "v=DMARC1; p=reject; np=bogus" } },
    { "_dmarc.badnprua.example", DNS_OK,
      { "v=DMARC1; p=reject; np=bogus; rua=mailto:r@badnprua.example" } },

    /* two records at one name */
    { "_dmarc.dup.corp2.example", DNS_OK,
      { "v=DMARC1; p=none", "v=DMARC1; p=none" } },
    { "_dmarc.corp2.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "dup.corp2.example", DNS_NODATA, { NULL } },

    /* alignment */
    { "_dmarc.paypal.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.sub.corp3.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.strict.example", DNS_OK, { "v=DMARC1; p=reject; adkim=s" } },

    /* DNS failures */
    { "_dmarc.tf.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.refused.example", DNS_PERMFAIL, { NULL } },

    /* the query cap: a record nine labels up is never asked for */
    { "_dmarc.c.d.e.f.g.h.i.cap.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.cap2.example", DNS_OK, { "v=DMARC1; p=reject" } },
};

static struct zone_table zt = ZONE_TABLE(zone);
static struct dns_txt_resolver dns = { zone_table_lookup, &zt };
static struct od_list *psl;

static struct dm_verdict
eval_spec(enum dm_spec spec, const char *from, const struct dm_auth_id *spf,
          const struct dm_auth_id *dkim, size_t n_dkim)
{
    struct dm_eval_input in;
    struct dm_verdict v;

    memset(&in, 0, sizeof(in));
    in.from_domain = from;
    in.spf = spf;
    in.dkim = dkim;
    in.n_dkim = n_dkim;
    in.sample = 0;
    in.spec = spec;
    memset(&v, 0xa5, sizeof(v));
    v.skip = DM_SKIP_NONE;
    zt.lookups = 0;
    /* RFC 9989 needs no public suffix list: prove it by not passing one. */
    dmarc_eval(&in, &dns, spec == DM_SPEC_RFC9989 ? NULL : psl, &v);
    return v;
}

#define BIS(from, spf, dkim, n) eval_spec(DM_SPEC_RFC9989, from, spf, dkim, n)
#define OLD(from, spf, dkim, n) eval_spec(DM_SPEC_RFC7489, from, spf, dkim, n)

static void
test_walk(void)
{
    struct dm_verdict v;
    struct dm_auth_id dk;

    /* Rule 3: the walk passes dept.corp.example and takes the top. */
    v = BIS("mail.dept.corp.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "corp.example",
               "9989 highest record");
    ok(v.used_sp && !v.used_np, "9989: the From domain exists: sp");
    is_str(dm_spec_name(v.spec), "rfc9989", "verdict names rfc9989");
    is_int(zt.lookups, 5, "9989: four _dmarc queries and one existence query");
    is_str(zt.log[0], "_dmarc.mail.dept.corp.example", "walk starts at From");
    is_str(zt.log[1], "_dmarc.dept.corp.example", "... then its parent");
    is_str(zt.log[2], "_dmarc.corp.example", "... goes on past a record");
    is_str(zt.log[3], "_dmarc.example", "... to the top");
    is_str(zt.log[4], "mail.dept.corp.example", "... then asks if From exists");
    v = OLD("mail.dept.corp.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "corp.example", "7489 PSL org");
    is_str(dm_spec_name(v.spec), "rfc7489", "verdict names rfc7489");
    is_int(zt.lookups, 2, "7489: two queries");

    /* psd=n stops the walk: the organization is dept.psdn.example. */
    v = BIS("x.dept.psdn.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "dept.psdn.example",
               "9989 psd=n");
    is_int(zt.lookups, 3, "9989 psd=n: the walk stops there");
    v = OLD("x.dept.psdn.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "psdn.example",
               "7489 ignores psd=n");

    /* psd=n also draws the alignment boundary. */
    dk = fx_auth(DM_AUTH_PASS, "other.psdn.example");
    v = BIS("x.dept.psdn.example", NULL, &dk, 1);
    verdict_is(v, "fail", "quarantine", "quarantine", "dept.psdn.example",
               "9989 psd=n: a sibling organization does not align");
    v = OLD("x.dept.psdn.example", NULL, &dk, 1);
    verdict_is(v, "pass", "reject", "none", "psdn.example",
               "7489: same PSL org domain aligns");
    ok(v.dkim_aligned, "7489: DKIM aligned");
    dk = fx_auth(DM_AUTH_PASS, "mail.dept.psdn.example");
    v = BIS("x.dept.psdn.example", NULL, &dk, 1);
    verdict_is(v, "pass", "quarantine", "none", "dept.psdn.example",
               "9989 psd=n: inside the organization aligns");
    ok(v.dkim_aligned && !v.spf_aligned, "9989: DKIM aligned");

    /* psd=y: a public suffix's record covers the names below it. */
    v = BIS("agency.gov.uk", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "gov.uk",
               "9989 psd=y, sp");
    ok(v.used_sp && !v.used_np, "9989 psd=y: existing From: sp");
    is_int(zt.lookups, 3, "9989 psd=y: agency.gov.uk, gov.uk, existence");
    v = OLD("agency.gov.uk", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "agency.gov.uk",
               "7489: no walk above the PSL org domain");
    v = BIS("ghost.gov.uk", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "gov.uk", "9989 psd=y, np");
    ok(v.used_np && !v.used_sp, "9989 psd=y: NXDOMAIN From: np");
    v = OLD("ghost.gov.uk", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "ghost.gov.uk",
               "7489 ghost.gov.uk");

    /* psd=y: the org domain is the name just below the suffix. */
    dk = fx_auth(DM_AUTH_PASS, "agency.gov.uk");
    v = BIS("mail.agency.gov.uk", NULL, &dk, 1);
    verdict_is(v, "pass", "quarantine", "none", "gov.uk",
               "9989 psd=y: same org below the suffix aligns");
    dk = fx_auth(DM_AUTH_PASS, "other.gov.example");
    v = BIS("agency.gov.example", NULL, &dk, 1);
    verdict_is(v, "fail", "quarantine", "quarantine", "gov.example",
               "9989 psd=y: a sibling under the suffix does not align");
    v = OLD("agency.gov.example", NULL, &dk, 1);
    verdict_is(v, "pass", "quarantine", "none", "gov.example",
               "7489: the PSL puts both under gov.example");

    /* psd=y on the From domain itself. */
    v = BIS("selfpsd.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "selfpsd.example",
               "9989 own psd=y");
    ok(!v.used_sp && !v.used_np, "9989 own record: p");
    is_int(zt.lookups, 1, "9989 own record: one query");

    /* No record anywhere. */
    v = BIS("a.b.nothing.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "a.b.nothing.example",
               "9989 none");
    is_int(zt.lookups, 4, "9989 none: the whole walk, no existence query");
}

static void
test_np(void)
{
    struct dm_verdict v;

    v = BIS("ghost.np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "np.example",
               "9989 NXDOMAIN: np");
    ok(v.used_np, "9989 used_np");
    v = OLD("ghost.np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "np.example",
               "7489: sp");
    ok(!v.used_np && v.used_sp, "7489 never uses np");

    v = BIS("real.np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "np.example",
               "9989 NODATA: the name exists, sp");
    v = BIS("txt.np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "np.example",
               "9989 name with TXT: sp");
    v = OLD("real.np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "np.example",
               "7489 NODATA");
    v = BIS("np.example", NULL, NULL, 0);
    verdict_is(v, "fail", "none", "none", "np.example",
               "9989 the domain itself: p");

    v = BIS("ghost.npdef.example", NULL, NULL, 0);
    verdict_is(v, "fail", "none", "none", "npdef.example",
               "9989 np defaults to sp");
    v = BIS("tf.nxfail.example", NULL, NULL, 0);
    verdict_is(v, "temperror", "absent", "none", "nxfail.example",
               "9989 existence query SERVFAIL: temperror");
    v = OLD("tf.nxfail.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "nxfail.example",
               "7489 no query");
}

static void
test_testing(void)
{
    struct dm_verdict v;

    v = BIS("testing.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "quarantine", "testing.example",
               "9989 t=y reject: quarantine");
    ok(v.testing && !v.sampled_out, "9989 testing marked");
    v = OLD("testing.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "testing.example",
               "7489 ignores t");
    ok(!v.testing, "7489 not testing");
    v = BIS("testingq.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "none", "testingq.example",
               "9989 t=y quarantine: none");
    v = OLD("testingq.example", NULL, NULL, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "testingq.example",
               "7489 t=y quarantine");
    v = BIS("testingn.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "testingn.example", "9989 t=n");
    ok(!v.testing, "9989 t=n: not testing");
    v = BIS("x.tsp.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "quarantine", "tsp.example",
               "9989 t=y covers sp too");
    v = BIS("pct0.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "pct0.example",
               "9989 pct=0 is not read");
    ok(!v.sampled_out, "9989 never samples");
    v = OLD("pct0.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "quarantine", "pct0.example",
               "7489 pct=0");
    ok(v.sampled_out, "7489 sampled out");
}

static void
test_records(void)
{
    struct dm_verdict v;

    v = BIS("nop.example", NULL, NULL, 0);
    verdict_is(v, "fail", "none", "none", "nop.example",
               "9989 missing p: none");
    v = OLD("nop.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "nop.example",
               "7489 missing p, no rua: no DMARC processing (6.6.3)");
    v = BIS("x.nop.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "nop.example",
               "9989 missing p keeps sp");
    v = BIS("nopbare.example", NULL, NULL, 0);
    verdict_is(v, "fail", "none", "none", "nopbare.example",
               "9989 v=DMARC1 alone");
    v = BIS("badp.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "badp.example",
               "9989 invalid p, no rua: no DMARC processing (4.10.1)");
    v = BIS("badnp.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "badnp.example",
               "9989 invalid np, no rua: no DMARC processing (4.10.1)");
    v = OLD("badnp.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "badnp.example",
               "7489 ignores np");
    v = BIS("badnprua.example", NULL, NULL, 0);
    verdict_is(v, "fail", "none", "none", "badnprua.example",
               "9989 invalid np, valid rua: p=none");

    /* Duplicates are skipped and the walk goes on. */
    v = BIS("dup.corp2.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "corp2.example",
               "9989 two records: skipped, parent applies");
    v = OLD("dup.corp2.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "dup.corp2.example",
               "7489 two records: no policy");
}

static void
test_align(void)
{
    struct dm_verdict v;
    struct dm_auth_id dk, spf;

    dk = fx_auth(DM_AUTH_PASS, "mail.paypal.example");
    v = BIS("paypal.example", NULL, &dk, 1);
    verdict_is(v, "pass", "reject", "none", "paypal.example",
               "9989 relaxed DKIM subdomain");
    is_int(zt.lookups, 5, "9989: From record, From walk on (1), DKIM walk (3)");
    dk = fx_auth(DM_AUTH_PASS, "paypal.example");
    v = BIS("paypal.example", NULL, &dk, 1);
    verdict_is(v, "pass", "reject", "none", "paypal.example",
               "9989 same name");
    is_int(zt.lookups, 1, "9989 same name: no walk for alignment");
    spf = fx_auth(DM_AUTH_PASS, "bounce.paypal.example");
    v = BIS("paypal.example", &spf, NULL, 0);
    verdict_is(v, "pass", "reject", "none", "paypal.example",
               "9989 relaxed SPF subdomain");
    ok(v.spf_aligned && !v.dkim_aligned, "9989 SPF aligned");
    spf = fx_auth(DM_AUTH_FAIL, "paypal.example");
    v = BIS("paypal.example", &spf, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.example",
               "9989 SPF fail");

    /* A From domain with its own record is its own organization when
     * nothing above it publishes one. */
    dk = fx_auth(DM_AUTH_PASS, "corp3.example");
    v = BIS("sub.corp3.example", NULL, &dk, 1);
    verdict_is(v, "fail", "reject", "reject", "sub.corp3.example",
               "9989 parent without a record does not align");
    v = OLD("sub.corp3.example", NULL, &dk, 1);
    verdict_is(v, "pass", "reject", "none", "sub.corp3.example",
               "7489 PSL org corp3.example aligns");

    dk = fx_auth(DM_AUTH_PASS, "mail.strict.example");
    v = BIS("strict.example", NULL, &dk, 1);
    verdict_is(v, "fail", "reject", "reject", "strict.example",
               "9989 adkim=s");
    is_int(zt.lookups, 1, "9989 strict: no walk for alignment");

    /*
     * An identifier outside the From organization cannot align: its walk
     * is not made, and its name servers cannot buy a temperror (the
     * cases where a walk that might align fails are in test_spec.c).
     */
    dk = fx_auth(DM_AUTH_PASS, "x.tf.example");
    v = BIS("paypal.example", NULL, &dk, 1);
    verdict_is(v, "fail", "reject", "reject", "paypal.example",
               "9989 a d= outside the organization, its walk would fail: fail");
    v = OLD("paypal.example", NULL, &dk, 1);
    verdict_is(v, "fail", "reject", "reject", "paypal.example",
               "7489 PSL needs no DNS for alignment");
    {
        struct dm_auth_id two[2];

        two[0] = dk;
        two[1] = fx_auth(DM_AUTH_PASS, "paypal.example");
        v = BIS("paypal.example", NULL, two, 2);
        verdict_is(v, "pass", "reject", "none", "paypal.example",
                   "9989 a failed walk does not hide an aligned signature");
    }
}

static void
test_errors_and_cap(void)
{
    struct dm_verdict v;

    v = BIS("x.tf.example", NULL, NULL, 0);
    verdict_is(v, "temperror", "absent", "none", "x.tf.example",
               "9989 SERVFAIL during the walk");
    v = OLD("x.tf.example", NULL, NULL, 0);
    verdict_is(v, "temperror", "absent", "none", "tf.example",
               "7489 org SERVFAIL");
    v = BIS("refused.example", NULL, NULL, 0);
    verdict_is(v, "temperror", "absent", "none", "refused.example",
               "9989 REFUSED");

    /* Eleven labels: the From domain, then the last seven, six ... one. */
    v = BIS("a.b.c.d.e.f.g.h.i.cap.example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "a.b.c.d.e.f.g.h.i.cap.example",
               "9989 long name: the nine-label record is skipped");
    is_int(zt.lookups, 8, "9989: eight queries at most");
    is_str(zt.log[0], "_dmarc.a.b.c.d.e.f.g.h.i.cap.example", "cap: From");
    is_str(zt.log[1], "_dmarc.e.f.g.h.i.cap.example", "cap: then seven labels");
    is_str(zt.log[2], "_dmarc.f.g.h.i.cap.example", "cap: then six");
    is_str(zt.log[7], "_dmarc.example", "cap: down to one");
    v = OLD("a.b.c.d.e.f.g.h.i.cap.example", NULL, NULL, 0);
    is_int(zt.lookups, 2, "7489: two queries");

    v = BIS("c.d.e.f.g.h.i.cap.example", NULL, NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "c.d.e.f.g.h.i.cap.example",
               "9989: the same record found at the From domain");
    v = BIS("a.b.c.d.e.f.g.h.i.j.k.l.m.n.o.p.q.r.s.t.cap2.example", NULL,
            NULL, 0);
    verdict_is(v, "fail", "reject", "reject", "cap2.example",
               "9989 22 labels: the org record is still found");
    is_int(zt.lookups, 9, "9989 22 labels: eight walk queries, one existence");
    v = BIS("a.b.c.d.cap2.example", NULL, NULL, 0);
    is_int(zt.lookups, 7, "9989 six labels: six walk queries, one existence");
    v = BIS("example", NULL, NULL, 0);
    verdict_is(v, "none", "absent", "none", "example", "9989 one label");
    is_int(zt.lookups, 1, "9989 one label: one query");
}

/* The walk's own answers, without the engine around it. */
static void
test_org_domain(void)
{
    struct dns_txt_answer *ans = malloc(sizeof(*ans));
    struct dw_walk w;
    char org[DM_DOMAIN_MAX];

    if (!ok(ans != NULL, "scratch answer"))
        return;
    zt.lookups = 0;
    dw_walk(&dns, "a.b.dept.psdn.example", false, ans, &w);
    ok(dw_org_domain(&w, "a.b.dept.psdn.example", org) != NULL,
       "psd=n: the org holds a record");
    is_str(org, "dept.psdn.example", "psd=n org domain");
    is_int((int)w.queries, 3, "psd=n: three queries");
    dw_walk(&dns, "x.y.agency.gov.uk", false, ans, &w);
    ok(dw_org_domain(&w, "x.y.agency.gov.uk", org) == NULL,
       "psd=y: the org holds no record");
    is_str(org, "agency.gov.uk", "psd=y: one label below the suffix");
    ok(dw_psd_hit(&w, "x.y.agency.gov.uk") != NULL, "psd=y hit");
    dw_walk(&dns, "gov.uk", false, ans, &w);
    (void)dw_org_domain(&w, "gov.uk", org);
    is_str(org, "gov.uk", "psd=y at the start: the start itself");
    ok(dw_psd_hit(&w, "gov.uk") == NULL, "psd=y at the start is no PSD hit");
    dw_walk(&dns, "q.nothing.example", false, ans, &w);
    ok(dw_org_domain(&w, "q.nothing.example", org) == NULL, "no record");
    is_str(org, "q.nothing.example", "no record: the start");
    dw_walk(&dns, "sub.corp3.example", true, ans, &w);
    is_int((int)w.queries, 1, "stop_at_start: one query");
    dw_walk_more(&dns, "sub.corp3.example", ans, &w);
    is_int((int)w.queries, 3, "walk_more: the rest");
    (void)dw_org_domain(&w, "sub.corp3.example", org);
    is_str(org, "sub.corp3.example", "own record, nothing above");
    free(ans);
}

int
main(void)
{
    char err[256];

    psl = od_open(NULL, err, sizeof(err));
    if (!ok(psl != NULL, "PSL loads"))
        return done_testing();
    test_walk();
    test_np();
    test_testing();
    test_records();
    test_align();
    test_errors_and_cap();
    test_org_domain();
    od_close(psl);
    return done_testing();
}
