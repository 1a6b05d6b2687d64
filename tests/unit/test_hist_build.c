/*
 * test_hist_build.c: the HistoryFile record of an evaluated message
 * (report/hist_build.c), from the engine's own outcome over a table of
 * DNS answers: the published policy (rua, ruf, fo, np, t), the results
 * that counted with their selectors, the action and the reasons, and
 * the record read back by the reader dmarc-reports uses.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "report/report.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

static const struct zone_rr zone[] = {
    { "_dmarc.bank.example", DNS_OK,
      { "v=DMARC1; p=reject; sp=quarantine; adkim=s; pct=100; "
        "rua=mailto:agg@bank.example!10m, bad uri ,mailto:x@ext.example; "
        "ruf=mailto:f@bank.example; fo=1:d:x" } },
    { "_dmarc.test.example", DNS_OK, { "v=DMARC1; p=reject; t=y; np=none; "
                                       "rua=mailto:a@test.example" } },
    { "_dmarc.none.example", DNS_OK, { "v=DMARC1; p=none" } },
    { "_dmarc.tf.example", DNS_TEMPFAIL, { NULL } },
};

/* Our own SPF check, answering what the case gives. */
static bool
own_spf(void *arg, struct msg_spf *out)
{
    const struct dm_auth_id *spf = arg;

    memset(out, 0, sizeof(*out));
    out->result = spf->result;
    snprintf(out->domain, sizeof(out->domain), "%s", spf->domain);
    return true;
}

static struct od_list *psl;

struct run {
    struct msg_outcome out;
    struct hist_record rec;
};

/* Screen and evaluate From domain from, with these results. */
static void
evaluate(const char *from, enum dm_spec spec, const struct dm_auth_id *spf,
         const struct dm_auth_id *dkim, size_t n_dkim, bool enforce,
         struct run *r)
{
    struct zone_table t = ZONE_TABLE(zone);
    const struct dns_txt_resolver dns = { zone_table_lookup, &t };
    struct msg_options opt;
    struct msg_input in;
    struct hist_session s = { "4XyZ", "mx.example", "192.0.2.7",
                              "list.example", 1765000000LL, false };
    char field[300];
    const char *fields[1] = { field };

    snprintf(field, sizeof(field), "Someone <a@%s>", from);
    memset(&opt, 0, sizeof(opt));
    memset(&in, 0, sizeof(in));
    opt.spec = spec;
    opt.enf.reject_failures = enforce;
    opt.enf.hold_quarantined = true;
    in.from = fields;
    in.n_from = 1;
    rh_count(&in.counts, "From");
    rh_count(&in.counts, "Date");
    in.mailfrom_domain = "list.example";
    in.helo_domain = "mx.list.example";
    in.dkim_self = true;
    in.dkim = dkim;
    in.n_dkim = n_dkim;
    in.dns = &dns;
    in.psl = psl;
    if (spf != NULL) {
        opt.spf_self_validate = true;
        in.own_spf = own_spf;
        in.own_spf_arg = (void *)spf;
    }
    memset(&r->out, 0, sizeof(r->out));
    if (msg_screen(&in, &opt, &r->out) == MSG_EVALUATE)
        msg_evaluate(&in, &opt, &r->out);
    hb_build(&r->out, &s, &r->rec);
}

static struct dm_auth_id
auth(enum dm_auth res, const char *domain, const char *selector)
{
    struct dm_auth_id a;

    memset(&a, 0, sizeof(a));
    a.result = res;
    snprintf(a.domain, sizeof(a.domain), "%s", domain);
    snprintf(a.selector, sizeof(a.selector), "%s", selector);
    return a;
}

static void
test_published(void)
{
    struct dm_auth_id dkim[2] = {
        auth(DM_AUTH_FAIL, "bank.example", "s2024"),
        auth(DM_AUTH_PASS, "list.example", "lists"),
    };
    struct run r;

    evaluate("bank.example", DM_SPEC_RFC7489, NULL, dkim, 2, true, &r);
    ok(hb_wanted(&r.out, false), "a record applied: recorded");
    is_str(r.rec.job, "4XyZ", "job");
    is_str(r.rec.reporter, "mx.example", "reporter");
    is_str(r.rec.ipaddr, "192.0.2.7", "ipaddr");
    is_str(r.rec.from, "bank.example", "from");
    is_str(r.rec.mfrom, "list.example", "mfrom");
    is_str(r.rec.pdomain, "bank.example", "pdomain");
    is_int(r.rec.policy, HIST_POLICY_REJECT, "policy: reject");
    is_int(r.rec.action, HIST_ACTION_REJECT, "action: reject");
    is_int((int)r.rec.n_rua, 2, "two valid rua URIs, the bad one left out");
    is_str(r.rec.rua[0], "mailto:agg@bank.example!10m", "rua 1, size kept");
    is_str(r.rec.rua[1], "mailto:x@ext.example", "rua 2");
    is_int(r.rec.p, 'r', "p");
    is_int(r.rec.sp, 'q', "sp given");
    is_int(r.rec.np, 0, "np not given");
    is_int(r.rec.adkim, 's', "adkim");
    is_int(r.rec.aspf, 'r', "aspf default");
    is_int(r.rec.pct, 100, "pct");
    is_int((int)r.rec.fo, 2 | 4, "fo=1:d (x ignored)");
    is_int(r.rec.t, 0, "t not given");
    is_int((int)r.rec.n_dkim, 2, "both signatures");
    is_str(r.rec.dkim[0].selector, "s2024", "selector kept");
    is_int(r.rec.dkim[0].result, DM_AUTH_FAIL, "its result");
    is_int(r.rec.align_dkim, HIST_ALIGN_FAIL, "dkim not aligned");
    is_int(r.rec.align_spf, HIST_ALIGN_FAIL, "spf not aligned");
    ok(!r.rec.spf_evaluated, "no SPF result: spf -1");
    is_int(r.rec.discovery, HIST_DISCOVERY_PSL, "RFC 7489: the PSL");
    is_int((int)r.rec.n_reasons, 0, "enforced: no reason");
    is_str(r.out.record.ruf, "mailto:f@bank.example", "ruf for failure "
           "reports");
}

static void
test_reasons(void)
{
    struct dm_auth_id spf = auth(DM_AUTH_PASS, "list.example", "");
    struct run r;

    evaluate("bank.example", DM_SPEC_RFC7489, NULL, NULL, 0, false, &r);
    is_int(r.rec.action, HIST_ACTION_NONE, "RejectFailures false: accepted");
    is_int(r.rec.policy, HIST_POLICY_REJECT, "the policy still asks reject");
    is_int((int)r.rec.n_reasons, 1, "one reason");
    is_int(r.rec.reasons[0].type, HIST_REASON_LOCAL_POLICY, "local_policy");

    evaluate("test.example", DM_SPEC_RFC9989, NULL, NULL, 0, true, &r);
    is_int(r.rec.t, 'y', "t=y");
    is_int(r.rec.np, 'n', "np given");
    is_int(r.rec.discovery, HIST_DISCOVERY_TREEWALK, "RFC 9989: tree walk");
    ok(r.rec.n_reasons >= 1 &&
       r.rec.reasons[0].type == HIST_REASON_POLICY_TEST_MODE,
       "t=y: policy_test_mode");
    ok(r.rec.action != HIST_ACTION_REJECT, "t=y: not rejected");

    evaluate("none.example", DM_SPEC_RFC7489, &spf, NULL, 0, true, &r);
    is_int(r.rec.policy, HIST_POLICY_NONE, "p=none failing: none");
    is_int((int)r.rec.n_rua, 0, "no rua");
    is_int(r.rec.pct, 100, "pct default");
    ok(r.rec.spf_evaluated && r.rec.spf == DM_AUTH_PASS, "spf kept");
    is_str(r.rec.spf_domain, "list.example", "spf domain");
    is_int(r.rec.spf_scope, HIST_SCOPE_MFROM, "spf scope mfrom");
}

static void
test_wanted(void)
{
    struct run r;

    evaluate("nothing.example", DM_SPEC_RFC7489, NULL, NULL, 0, true, &r);
    ok(!hb_wanted(&r.out, false), "no record: not recorded");
    ok(hb_wanted(&r.out, true), "no record, RecordAllMessages: recorded");
    is_int(r.rec.policy, HIST_POLICY_UNKNOWN, "no record: policy 14");
    is_int(r.rec.pct, 0, "no record: pct 0");
    is_int(r.rec.adkim, 0, "no record: adkim 0");
    is_int(r.rec.align_dkim, HIST_ALIGN_UNKNOWN, "no record: align 0");

    evaluate("tf.example", DM_SPEC_RFC7489, NULL, NULL, 0, true, &r);
    ok(hb_wanted(&r.out, false), "DNS temporary error: recorded (OpenDMARC)");

    memset(&r.out, 0, sizeof(r.out));
    r.out.stage = MSG_SKIP;
    ok(!hb_wanted(&r.out, true), "skipped: never recorded");
}

/* Formatted and read back, the record is what dmarc-reports counts. */
static void
test_round_trip(void)
{
    struct dm_auth_id dkim[1] = { auth(DM_AUTH_PASS, "bank.example", "k1") };
    struct run r;
    char buf[HIST_RECORD_MAX];
    int len;
    FILE *fp;
    struct hist_reader *h;
    const struct hist_record *back = NULL;
    off_t at;

    evaluate("bank.example", DM_SPEC_RFC9989, NULL, dkim, 1, true, &r);
    len = hist_format(&r.rec, buf, sizeof(buf));
    ok(len > 0, "formatted");
    fp = fmemopen(buf, (size_t)len, "r");
    h = hist_open_stream(fp, 0, len);
    is_int(hist_next(h, &back, &at), 1, "read back");
    if (back != NULL) {
        ok(memcmp(back, &r.rec, sizeof(r.rec)) == 0 ||
           (strcmp(back->from, r.rec.from) == 0 &&
            back->policy == r.rec.policy && back->action == r.rec.action &&
            back->n_rua == r.rec.n_rua && back->fo == r.rec.fo &&
            back->align_dkim == r.rec.align_dkim &&
            strcmp(back->dkim[0].selector, "k1") == 0),
           "the same record");
        is_int(back->align_dkim, HIST_ALIGN_PASS, "aligned pass read back");
        is_int(back->action, HIST_ACTION_NONE, "accepted");
        is_int(back->policy, HIST_POLICY_PASS, "policy 15: pass");
    }
    hist_close(h);
}

/* rua and ruf keep whole URIs only: one cut short would send elsewhere. */
static void
test_record_lists(void)
{
    char txt[2048], uri[300];
    struct dmarc_record rec;
    size_t len = (size_t)snprintf(txt, sizeof(txt), "v=DMARC1; p=none; rua=");

    for (int i = 0; i < 5; i++) {
        snprintf(uri, sizeof(uri), "%smailto:r%d@%0200d.example",
                 i ? "," : "", i, 0);
        len += (size_t)snprintf(txt + len, sizeof(txt) - len, "%s", uri);
    }
    is_int(dmarc_record_parse(txt, strlen(txt), &rec, NULL), DMARC_RECORD_OK,
           "long rua list parses");
    ok(rec.has_rua, "it has a valid rua");
    ok(strlen(rec.rua) < DMARC_URI_LIST_MAX, "kept within the room");
    ok(strstr(rec.rua, "mailto:r0@") == rec.rua &&
       strstr(rec.rua, "mailto:r1@") != NULL &&
       strstr(rec.rua, "mailto:r2@") == NULL, "the first two, whole");
    ok(rec.rua[strlen(rec.rua) - 1] == 'e', "ends with a whole name");
    is_int(dmarc_record_parse("v=DMARC1; p=none; fo=", 21, &rec, NULL),
           DMARC_RECORD_OK, "empty fo");
    is_int((int)rec.fo, DMARC_FO_0, "empty fo: the default 0");
    is_str(rec.ruf, "", "no ruf");
}

int
main(void)
{
    char err[256];

    /* The system's list, as the daemon loads it by default. */
    if ((psl = od_open(NULL, err, sizeof(err))) == NULL) {
        printf("Bail out! PSL: %s\n", err);
        return 1;
    }
    test_record_lists();
    test_published();
    test_reasons();
    test_wanted();
    test_round_trip();
    od_close(psl);
    return done_testing();
}
