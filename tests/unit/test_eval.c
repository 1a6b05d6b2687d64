/*
 * test_eval.c: the DMARC engine, policy discovery to disposition, on a
 * table of DNS answers (the engine takes any resolver; the integration
 * tests use a real nsd).
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "dmarc/dmarc_eval.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

static const struct zone_rr zone[] = {
    { "_dmarc.paypal.com", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.quar.example", DNS_OK, { "v=DMARC1; p=quarantine" } },
    { "_dmarc.none.example", DNS_OK, { "v=DMARC1; p=none; rua=mailto:a@none.example" } },
    { "_dmarc.sp.example", DNS_OK, { "v=DMARC1; p=reject; sp=quarantine" } },
    { "_dmarc.strict.example", DNS_OK, { "v=DMARC1; p=reject; adkim=s; aspf=s" } },
    { "_dmarc.pct0.example", DNS_OK, { "v=DMARC1; p=reject; pct=0" } },
    { "_dmarc.pct0q.example", DNS_OK, { "v=DMARC1; p=quarantine; pct=0" } },
    { "_dmarc.pct50.example", DNS_OK, { "v=DMARC1; p=reject; pct=50" } },
    { "_dmarc.two.example", DNS_OK, { "v=DMARC1; p=reject", "v=DMARC1; p=none" } },
    { "_dmarc.mixed.example", DNS_OK, { "v=spf1 -all", "v=DMARC1; p=reject", "hello" } },
    { "_dmarc.notfirst.example", DNS_OK, { "p=reject; v=DMARC1" } },
    { "_dmarc.bad.example", DNS_OK, { "v=DMARC1; p=bogus" } },
    { "_dmarc.badrua.example", DNS_OK, { "v=DMARC1; p=bogus; rua=mailto:r@badrua.example" } },
    { "_dmarc.fail.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.sub.subrec.example", DNS_OK, { "v=DMARC1; p=none" } },
    { "_dmarc.subrec.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.orgfail.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.refused.example", DNS_PERMFAIL, { NULL } },
    { "_dmarc.co.uk", DNS_OK, { "v=DMARC1; p=reject" } },
};

static struct zone_table zt = ZONE_TABLE(zone);
static struct dns_txt_resolver dns = { zone_table_lookup, &zt };
static struct od_list *psl;

static struct dm_verdict
eval(const char *from, const struct dm_auth_id *spf,
     const struct dm_auth_id *dkim, size_t n_dkim, unsigned sample)
{
    struct dm_eval_input in = { from, spf, dkim, n_dkim, sample,
                                DM_SPEC_RFC7489 };
    struct dm_verdict v;

    memset(&v, 0xa5, sizeof(v));
    v.skip = DM_SKIP_NONE;
    dmarc_eval(&in, &dns, psl, &v);
    return v;
}

int
main(void)
{
    char err[256];
    struct dm_auth_id spf_pp = fx_auth(DM_AUTH_PASS, "paypal.com");
    struct dm_auth_id spf_fail = fx_auth(DM_AUTH_FAIL, "paypal.com");
    struct dm_auth_id spf_other = fx_auth(DM_AUTH_PASS, "evil.example");
    struct dm_auth_id spf_sub = fx_auth(DM_AUTH_PASS, "bounce.paypal.com");
    struct dm_auth_id dk[3];
    struct dm_verdict v, w;

    psl = od_open(NULL, err, sizeof(err));
    if (!ok(psl != NULL, "PSL loads"))
        return done_testing();

    v = eval("paypal.com", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.com", "spoof, no auth");
    ok(!v.used_sp && !v.sampled_out, "p applied, in sample");
    is_str(v.from_domain, "paypal.com", "from domain kept");

    v = eval("paypal.com", &spf_pp, NULL, 0, 0);
    verdict_is(v, "pass", "reject", "none", "paypal.com", "aligned SPF pass");
    ok(v.spf_aligned && !v.dkim_aligned, "SPF aligned, DKIM not");

    v = eval("paypal.com", &spf_fail, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.com", "SPF fail");

    v = eval("paypal.com", &spf_other, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.com",
               "unaligned SPF pass");

    v = eval("paypal.com", &spf_sub, NULL, 0, 0);
    verdict_is(v, "pass", "reject", "none", "paypal.com",
               "relaxed SPF subdomain");

    dk[0] = fx_auth(DM_AUTH_FAIL, "paypal.com");
    dk[1] = fx_auth(DM_AUTH_PASS, "evil.example");
    dk[2] = fx_auth(DM_AUTH_PASS, "mail.paypal.com");
    v = eval("paypal.com", NULL, dk, 2, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.com",
               "no passing aligned DKIM");
    v = eval("paypal.com", NULL, dk, 3, 0);
    verdict_is(v, "pass", "reject", "none", "paypal.com",
               "third signature aligns");
    ok(v.dkim_aligned && !v.spf_aligned, "DKIM aligned");

    /* Subdomain: record at the org domain, p (no sp) applies. */
    v = eval("x.paypal.com", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "paypal.com",
               "subdomain inherits p");
    ok(v.used_sp, "org-domain record marks the subdomain policy");
    is_str(v.from_domain, "x.paypal.com", "from domain is the subdomain");

    v = eval("x.sp.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "sp.example",
               "sp applies");
    v = eval("sp.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "sp.example",
               "p at the org itself");

    /* A record at the subdomain itself wins over the org's. */
    v = eval("sub.subrec.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "none", "none", "sub.subrec.example", "own record");

    v = eval("quar.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "quarantine", "quarantine", "quar.example",
               "p=quarantine");
    v = eval("none.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "none", "none", "none.example", "p=none");

    /* Strict alignment. */
    dk[0] = fx_auth(DM_AUTH_PASS, "mail.strict.example");
    v = eval("strict.example", NULL, dk, 1, 0);
    verdict_is(v, "fail", "reject", "reject", "strict.example",
               "adkim=s subdomain");
    dk[0] = fx_auth(DM_AUTH_PASS, "strict.example");
    v = eval("strict.example", NULL, dk, 1, 0);
    verdict_is(v, "pass", "reject", "none", "strict.example", "adkim=s exact");
    spf_sub = fx_auth(DM_AUTH_PASS, "b.strict.example");
    v = eval("strict.example", &spf_sub, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "strict.example",
               "aspf=s subdomain");

    /* pct: outside the sample the next weaker policy (RFC 7489 6.6.4). */
    v = eval("pct0.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "quarantine", "pct0.example",
               "pct=0 reject");
    ok(v.sampled_out, "pct=0: sampled out");
    v = eval("pct0q.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "quarantine", "none", "pct0q.example",
               "pct=0 quarantine");
    v = eval("pct50.example", NULL, NULL, 0, 49);
    verdict_is(v, "fail", "reject", "reject", "pct50.example",
               "pct=50, sample 49");
    v = eval("pct50.example", NULL, NULL, 0, 50);
    verdict_is(v, "fail", "reject", "quarantine", "pct50.example",
               "pct=50, sample 50");
    v = eval("paypal.com", NULL, NULL, 0, 99);
    verdict_is(v, "fail", "reject", "reject", "paypal.com",
               "pct=100, sample 99");

    /* Record selection. */
    v = eval("two.example", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "two.example",
               "two records: no policy");
    v = eval("mixed.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "reject", "reject", "mixed.example",
               "non-DMARC TXT ignored");
    v = eval("notfirst.example", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "notfirst.example",
               "v not first: discarded");
    v = eval("bad.example", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "bad.example",
               "invalid p, no rua: no DMARC processing (RFC 7489 6.6.3)");
    v = eval("badrua.example", NULL, NULL, 0, 0);
    verdict_is(v, "fail", "none", "none", "badrua.example",
               "invalid p, valid rua");
    v = eval("nodmarc.example", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "nodmarc.example", "no record");
    zt.lookups = 0;
    v = eval("a.b.nodmarc.example", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "a.b.nodmarc.example",
               "no record, sub");
    is_int(zt.lookups, 2, "subdomain without records: two zt.lookups");
    ok(!v.used_sp, "no policy: sp not marked");

    /* DNS failures are temperror, never "none" (OpenDMARC's mistake). */
    v = eval("fail.example", &spf_pp, NULL, 0, 0);
    verdict_is(v, "temperror", "absent", "none", "fail.example", "SERVFAIL");
    v = eval("x.orgfail.example", NULL, NULL, 0, 0);
    verdict_is(v, "temperror", "absent", "none", "orgfail.example",
               "org SERVFAIL");
    v = eval("refused.example", NULL, NULL, 0, 0);
    verdict_is(v, "temperror", "absent", "none", "refused.example", "REFUSED");

    /* A public suffix's own record does not cover names below it. */
    v = eval("example.co.uk", NULL, NULL, 0, 0);
    verdict_is(v, "none", "absent", "none", "example.co.uk",
               "no walk above the org");

    /* Choosing among several From domains. */
    v = eval("paypal.com", NULL, NULL, 0, 0);
    w = eval("none.example", NULL, NULL, 0, 0);
    ok(dmarc_verdict_stricter(&v, &w), "reject beats none");
    ok(!dmarc_verdict_stricter(&w, &v), "none does not beat reject");
    v = eval("fail.example", NULL, NULL, 0, 0);
    w = eval("nodmarc.example", NULL, NULL, 0, 0);
    ok(dmarc_verdict_stricter(&v, &w), "temperror beats none at equal action");
    v = eval("none.example", NULL, NULL, 0, 0);
    w = eval("paypal.com", &spf_pp, NULL, 0, 0);
    ok(dmarc_verdict_stricter(&v, &w), "fail beats pass at equal action");

    od_close(psl);
    return done_testing();
}
