/*
 * test_trust.c: which Authentication-Results claims count (ar_trust), the
 * headers we write (ar_write), the action for a verdict (enforce) and the
 * RequiredHeaders counts.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/ar_trust.h"
#include "dmarc/ar_write.h"
#include "config/conf.h"
#include "dmarc/enforce.h"
#include "dmarc/required_headers.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

static bool trust_own;   /* our id listed in TrustedAuthservIDs */
static const char *jobid; /* AuthservIDWithJobID: this message's job */

static bool
trust_mta(void *arg, const char *id)
{
    (void)arg;
    return strcasecmp(id, "mta.example") == 0 ||
        strcasecmp(id, "dkim.example") == 0 ||
        (trust_own && strcasecmp(id, "mx.example") == 0);
}

/* Collect claims from header values, topmost first. */
static void
collect(const char *mailfrom, const char *helo, const char *const *vals,
        size_t n, struct art_claims *out)
{
    struct ar_header *h[8] = { NULL };
    const struct ar_header *ch[8] = { NULL };
    struct art_input in = { "mx.example", trust_mta, NULL, mailfrom, helo,
                            jobid };

    for (size_t i = 0; i < n; i++) {
        h[i] = calloc(1, sizeof(*h[i]));
        if (!ar_parse(vals[i], strlen(vals[i]), h[i])) {
            free(h[i]);
            h[i] = NULL;
        }
        ch[i] = h[i];
    }
    art_collect(&in, ch, n, out);
    for (size_t i = 0; i < n; i++)
        free(h[i]);
}

static void
test_trust(void)
{
    struct art_claims c;
    const char *v1[] = { "mta.example; spf=pass smtp.mailfrom=paypal.com" };
    const char *v2[] = { "mta.example; spf=pass smtp.mailfrom=help@paypal.com" };
    const char *v3[] = { "other.example; spf=pass smtp.mailfrom=paypal.com" };
    const char *v4[] = { "mx.example; spf=pass smtp.mailfrom=paypal.com; "
                         "dkim=pass header.d=paypal.com" };
    const char *v5[] = { "mta.example; spf=pass smtp.mailfrom=evil.example" };
    const char *v6[] = {
        "mta.example; spf=fail smtp.mailfrom=paypal.com",
        "mta.example; spf=pass smtp.mailfrom=paypal.com",
    };
    const char *v7[] = {
        "dkim.example; dkim=pass header.d=paypal.com header.s=s1",
        "mta.example; dkim=fail header.d=paypal.com header.s=s1",
    };
    const char *v8[] = {
        "dkim.example; dkim=pass header.d=paypal.com header.s=s1; "
        "dkim=fail header.d=paypal.com header.s=s1; "
        "dkim=pass header.d=good.example header.s=s2",
    };
    const char *v9[] = { "mta.example; spf=pass smtp.helo=mx.sender.example" };
    const char *v10[] = { "MTA.Example; dkim=pass header.i=@Paypal.COM" };
    const char *v11[] = { "mta.example; dkim=pass header.d=pay!pal.com" };

    collect("paypal.com", "", v1, 1, &c);
    ok(c.have_spf && c.spf.result == DM_AUTH_PASS, "trusted spf=pass counts");
    is_str(c.spf.domain, "paypal.com", "SPF domain");
    collect("paypal.com", "", v2, 1, &c);
    ok(c.have_spf, "smtp.mailfrom as a full address counts (OpenDMARC drops it)");
    collect("paypal.com", "", v3, 1, &c);
    ok(!c.have_spf, "untrusted id ignored");
    collect("paypal.com", "", v4, 1, &c);
    ok(!c.have_spf && c.n_dkim == 0, "our own id is not believed by default");
    {
        struct ar_header h;
        struct art_input in = { "mx.example", trust_mta, NULL, "", "", NULL };

        ok(ar_parse(v4[0], strlen(v4[0]), &h), "own-id header parses");
        ok(art_is_forged_own(&in, &h), "own id, not trusted: a forgery");
        trust_own = true;
        ok(!art_is_forged_own(&in, &h), "own id listed as trusted: kept");
        collect("paypal.com", "", v4, 1, &c);
        ok(c.have_spf && c.n_dkim == 1,
           "own id listed (opendkim shares it): believed, topmost only");
        trust_own = false;
    }
    collect("paypal.com", "", v5, 1, &c);
    ok(!c.have_spf, "SPF claim about another identity ignored");
    collect("paypal.com", "", v6, 2, &c);
    ok(c.have_spf && c.spf.result == DM_AUTH_FAIL,
       "only the topmost header of an id counts (forged pass below)");
    collect("paypal.com", "", v7, 2, &c);
    is_int(c.n_dkim, 0, "contradicting trusted DKIM verdicts: neither");
    is_int(c.n_conflicts, 1, "one conflict counted");
    collect("paypal.com", "", v8, 1, &c);
    is_int(c.n_dkim, 1, "conflict inside one header voids that signature");
    is_str(c.dkim[0].domain, "good.example", "the other signature stays");
    is_str(c.dkim[0].selector, "s2", "selector kept");
    collect("", "mx.sender.example", v9, 1, &c);
    ok(c.have_spf, "null sender: HELO claim counts");
    is_str(c.spf.domain, "mx.sender.example", "HELO identity");
    collect("paypal.com", "mx.sender.example", v9, 1, &c);
    ok(!c.have_spf, "HELO claim ignored when MAIL FROM is not null");
    collect("paypal.com", "", v10, 1, &c);
    ok(c.n_dkim == 1 && strcmp(c.dkim[0].domain, "paypal.com") == 0,
       "header.i domain, case-insensitive id, normalised");
    collect("paypal.com", "", v11, 1, &c);
    is_int(c.n_dkim, 0, "invalid d= ignored, never a crash or tempfail");
}

/* AuthservIDWithJobID: "id/jobid" fields, trusted for this job only. */
static void
test_jobid(void)
{
    struct art_claims c;
    struct ar_header h;
    struct art_input in = { "mx.example", trust_mta, NULL, "paypal.com", "",
                            "Q1" };
    const char *mine[] = {
        "\"mta.example/Q1\"; spf=pass smtp.mailfrom=paypal.com" };
    const char *other_job[] = {
        "mta.example/Q2; spf=pass smtp.mailfrom=paypal.com" };
    const char *above[] = {
        "\"mta.example/Q1\"; spf=fail smtp.mailfrom=paypal.com",
        "mta.example; spf=pass smtp.mailfrom=paypal.com",
    };
    const char *plain_above[] = {
        "mta.example; spf=fail smtp.mailfrom=paypal.com",
        "\"mta.example/Q1\"; spf=pass smtp.mailfrom=paypal.com",
    };

    jobid = "Q1";
    collect("paypal.com", "", mine, 1, &c);
    ok(c.have_spf && c.spf.result == DM_AUTH_PASS,
       "a trusted id with this message's job id counts");
    collect("paypal.com", "", other_job, 1, &c);
    ok(!c.have_spf, "another job's field is not trusted");
    collect("paypal.com", "", above, 2, &c);
    ok(c.have_spf && c.spf.result == DM_AUTH_FAIL,
       "one writer's fields, with and without a job: the topmost counts");
    collect("paypal.com", "", plain_above, 2, &c);
    ok(c.have_spf && c.spf.result == DM_AUTH_FAIL,
       "a plain id above its id/job: still only the topmost");
    jobid = NULL;
    collect("paypal.com", "", mine, 1, &c);
    ok(!c.have_spf, "AuthservIDWithJobID off: \"id/job\" is not the id");
    ok(ar_parse("\"mx.example/Q1\"; none", 21, &h), "quoted id parses");
    ok(art_is_forged_own(&in, &h), "our id with a job id, not trusted: "
       "forged");
    ar_parse("mx.example/Q9; none", 19, &h);
    ok(art_is_forged_own(&in, &h), "our id with another job: forged too");
    trust_own = true;
    ok(!art_is_forged_own(&in, &h), "our id listed: judged, not deleted");
    trust_own = false;
    in.jobid = NULL;
    ok(!art_is_forged_own(&in, &h), "job ids off: \"mx.example/Q9\" is "
       "another id");
}

static bool
sealer_listed(void *arg, const char *domain)
{
    (void)arg;
    return strcmp(domain, "lists.example") == 0 ||
        strcmp(domain, "relay.example") == 0;
}

/* The ARC verifier's arc= claims and the override's sealer test. */
static void
test_arc(void)
{
    struct art_claims c;
    const char *openarc[] = { "mta.example; arc=pass smtp.remote-ip="
        "2001:db8::1 arc.chain=lists.example:Relay.Example" };
    const char *quoted[] = { "mta.example; arc=pass "
        "smtp.remote-ip=\"192.0.2.1\" arc.chain=\"lists.example\"" };
    const char *untrusted[] = {
        "other.example; arc=pass arc.chain=lists.example" };
    const char *disagree[] = {
        "mta.example; arc=pass arc.chain=lists.example",
        "dkim.example; arc=fail arc.chain=lists.example",
    };
    const char *agree[] = {
        "mta.example; arc=pass arc.chain=lists.example",
        "dkim.example; arc=pass arc.chain=lists.example",
    };
    const char *forged_below[] = {
        "mta.example; arc=fail arc.chain=lists.example",
        "mta.example; arc=pass arc.chain=lists.example",
    };
    const char *evil[] = {
        "mta.example; arc=pass arc.chain=lists.example:evil.example" };

    collect("paypal.com", "", openarc, 1, &c);
    ok(c.have_arc && c.arc == DM_AUTH_PASS, "OpenARC's arc=pass is read");
    is_str(c.arc_chain, "lists.example:Relay.Example", "arc.chain with ':'");
    ok(art_arc_sealers_listed(&c, sealer_listed, NULL),
       "every sealer listed (case and dots normalised)");
    ok(!art_arc_sealers_listed(&c, NULL, NULL), "nothing listed: no");
    collect("paypal.com", "", quoted, 1, &c);
    ok(art_arc_sealers_listed(&c, sealer_listed, NULL), "a quoted chain");
    collect("paypal.com", "", untrusted, 1, &c);
    ok(!c.have_arc, "an untrusted id's arc= is not read");
    collect("paypal.com", "", disagree, 2, &c);
    ok(!c.have_arc, "trusted ids that disagree: neither");
    is_int(c.n_conflicts, 1, "counted as a conflict");
    collect("paypal.com", "", agree, 2, &c);
    ok(art_arc_sealers_listed(&c, sealer_listed, NULL),
       "trusted ids that agree");
    collect("paypal.com", "", forged_below, 2, &c);
    ok(c.have_arc && c.arc == DM_AUTH_FAIL && !art_arc_sealers_listed(&c,
       sealer_listed, NULL), "only the topmost field of an id counts");
    collect("paypal.com", "", evil, 1, &c);
    ok(!art_arc_sealers_listed(&c, sealer_listed, NULL),
       "one sealer not listed: no");
    memset(&c, 0, sizeof(c));
    c.have_arc = true;
    c.arc = DM_AUTH_PASS;
    strcpy(c.arc_chain, "lists.example:");
    ok(!art_arc_sealers_listed(&c, sealer_listed, NULL), "empty element");
    strcpy(c.arc_chain, "lists.example:relay..example");
    ok(!art_arc_sealers_listed(&c, sealer_listed, NULL), "bad domain");
}

static void
test_write(void)
{
    char out[512];
    struct dm_verdict v;

    v = fx_verdict(DM_RESULT_FAIL, DM_POLICY_QUARANTINE, DM_DISP_QUARANTINE,
                   "example.net");
    ok(aw_dmarc(out, sizeof(out), "mx.test", &v), "dmarc header written");
    is_str(out, "mx.test; dmarc=fail (p=quarantine dis=quarantine) "
           "header.from=example.net", "OpenDMARC's format");
    v.policy = DM_POLICY_ABSENT;
    v.result = DM_RESULT_NONE;
    v.disposition = DM_DISP_NONE;
    aw_dmarc(out, sizeof(out), "mx.test", &v);
    is_str(out, "mx.test; dmarc=none (p=none dis=none) header.from=example.net",
           "absent policy reads p=none");
    v.result = DM_RESULT_TEMPERROR;
    aw_dmarc(out, sizeof(out), "mx.test", &v);
    is_str(out, "mx.test; dmarc=temperror header.from=example.net",
           "temperror without a record: no policy in the comment");
    ok(!aw_dmarc(out, sizeof(out), "mx test", &v), "id with space refused");
    ok(!aw_dmarc(out, sizeof(out), "mx.test\r\nX-Evil: 1", &v),
       "id with CRLF refused");
    ok(!aw_dmarc(out, sizeof(out), "mx;test", &v), "id with ; refused");
    strcpy(v.from_domain, "a b.example");
    ok(!aw_dmarc(out, sizeof(out), "mx.test", &v), "domain with space refused");
    strcpy(v.from_domain, "ex\nample");
    ok(!aw_dmarc(out, sizeof(out), "mx.test", &v), "domain with LF refused");
    strcpy(v.from_domain, "example.net");
    ok(!aw_dmarc(out, 20, "mx.test", &v), "too small a buffer refused");
    ok(aw_spf(out, sizeof(out), "mx.test", DM_AUTH_PASS, "paypal.com", false),
       "spf header written");
    is_str(out, "mx.test; spf=pass smtp.mailfrom=paypal.com", "spf format");
    aw_spf(out, sizeof(out), "mx.test", DM_AUTH_SOFTFAIL, "mx.example", true);
    is_str(out, "mx.test; spf=softfail smtp.helo=mx.example", "helo format");
    ok(aw_id_ok("mx.example.com/1234"), "id with a job id accepted");

    /* AuthservIDWithJobID: RFC 8601 wants "id/jobid" quoted */
    ok(aw_format_id(out, sizeof(out), "mx.test", "4XyZ.1"), "id and job");
    is_str(out, "\"mx.test/4XyZ.1\"", "quoted id/jobid");
    ok(aw_id_ok(out), "the quoted form is an id we write");
    v.result = DM_RESULT_PASS;
    v.policy = DM_POLICY_REJECT;
    v.disposition = DM_DISP_NONE;
    aw_dmarc(out, sizeof(out), "\"mx.test/4XyZ.1\"", &v);
    is_str(out, "\"mx.test/4XyZ.1\"; dmarc=pass (p=reject dis=none) "
           "header.from=example.net", "dmarc field with the quoted id");
    aw_format_id(out, sizeof(out), "mx.test", NULL);
    is_str(out, "mx.test", "no job: the id alone");
    aw_format_id(out, sizeof(out), "mx.test", "a b\"c");
    is_str(out, "mx.test", "a job id that is not a token is left out");
    aw_format_id(out, sizeof(out), "mx.test", "x/y");
    is_str(out, "mx.test", "a job id with '/' is left out");
    ok(!aw_format_id(out, sizeof(out), "mx test", "Q1"), "bad id refused");
    ok(!aw_id_ok("\"mx.test"), "an unterminated quote is refused");
    ok(!aw_id_ok("\"mx\"test\""), "a quote inside is refused");
    ok(!aw_id_ok("\"\""), "an empty quoted id is refused");

    /* no From domain: the stand-in says so after header.from */
    v.from_standin = true;
    aw_dmarc(out, sizeof(out), "mx.test", &v);
    is_str(out, "mx.test; dmarc=pass (p=reject dis=none) header.from="
           "example.net (no usable From field; the MAIL FROM domain stands "
           "in)", "stand-in: MAIL FROM domain, in a comment");
    v.standin_helo = true;
    aw_dmarc(out, sizeof(out), "mx.test", &v);
    is_str(out, "mx.test; dmarc=pass (p=reject dis=none) header.from="
           "example.net (no usable From field; the HELO name stands in)",
           "stand-in: HELO name");
    {
        struct ar_header h;

        ok(ar_parse(out, strlen(out), &h) && h.nresults == 1 &&
           strcmp(ar_prop_get(&h.results[0], "header", "from"),
                  "example.net") == 0, "our stand-in field reads back");
    }
}

static void
test_enforce(void)
{
    struct enf_options opt = { .hold_quarantined = true };
    struct dm_verdict v;
    struct enf_decision d;

    memset(&v, 0, sizeof(v));
    strcpy(v.from_domain, "x.paypal.com");
    strcpy(v.policy_domain, "paypal.com");
    v.result = DM_RESULT_FAIL;
    v.policy = DM_POLICY_REJECT;

    v.disposition = DM_DISP_REJECT;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_ACCEPT && v.disposition == DM_DISP_NONE,
       "RejectFailures false: header only, dis=none");
    ok(d.unenforced, "a reject failure left alone is unenforced (continue)");
    opt.reject_failures = true;
    v.disposition = DM_DISP_REJECT;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_REJECT && v.disposition == DM_DISP_REJECT, "reject");
    ok(!d.unenforced, "an enforced reject is not unenforced");
    is_str(d.rcode, "550", "550");
    is_str(d.xcode, "5.7.1", "5.7.1");
    is_str(d.text, "rejected by DMARC policy for paypal.com",
           "OpenDMARC's text, policy domain");
    v.disposition = DM_DISP_QUARANTINE;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_QUARANTINE && v.disposition == DM_DISP_QUARANTINE,
       "quarantine held by default (HoldQuarantinedMessages true)");
    is_str(d.text, "quarantined by DMARC policy for paypal.com",
           "quarantine reason");
    opt.hold_quarantined = false;
    v.disposition = DM_DISP_QUARANTINE;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_ACCEPT && v.disposition == DM_DISP_NONE,
       "HoldQuarantinedMessages false: delivered, dis=none");
    ok(d.unenforced, "a quarantine failure delivered is unenforced");
    v.policy = DM_POLICY_NONE;
    v.disposition = DM_DISP_NONE;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_ACCEPT && !d.unenforced,
       "a p=none failure is accepted, not unenforced (OpenDMARC: accept)");
    v.policy = DM_POLICY_REJECT;
    v.result = DM_RESULT_TEMPERROR;
    v.disposition = DM_DISP_NONE;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_ACCEPT, "temperror accepted by default");
    opt.tempfail_temperror = true;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_TEMPFAIL, "TempErrorAction tempfail");
    is_str(d.rcode, "451", "451");
    ok(strncmp(d.xcode, "4.7.", 4) == 0, "4.7.x");
    v.result = DM_RESULT_PASS;
    v.disposition = DM_DISP_NONE;
    enf_decide(&opt, &v, &d);
    ok(d.action == ENF_ACCEPT && !d.unenforced, "pass accepted");
}

/* RejectString: what the configuration may hold, and the reply made. */
static void
test_reject_string(void)
{
    struct enf_options opt = { .reject_failures = true };
    struct dm_verdict v;
    struct enf_decision d;
    const char *why;
    char long_text[ENF_REJECT_STRING_MAX + 2];

    ok(enf_reject_string_ok("rejected by DMARC policy for %s", &why),
       "OpenDMARC's default is a RejectString");
    ok(enf_reject_string_ok("no", &why), "no %%s at all");
    ok(!enf_reject_string_ok("%s and %s", &why), "two %%s refused");
    is_str(why, "more than one %s", "why: two %%s");
    ok(!enf_reject_string_ok("100% spam from %s", &why), "a lone %% refused");
    ok(!enf_reject_string_ok("%d", &why), "another conversion refused");
    ok(!enf_reject_string_ok("a %% b", &why), "%%%% refused");
    ok(!enf_reject_string_ok("bad\r\n250 ok", &why), "CR LF refused");
    ok(!enf_reject_string_ok("tab\there", &why), "a tab refused");
    ok(!enf_reject_string_ok("caf\xc3\xa9 %s", &why), "8-bit refused");
    ok(!enf_reject_string_ok("", &why), "empty refused");
    memset(long_text, 'x', sizeof(long_text) - 1);
    long_text[sizeof(long_text) - 1] = '\0';
    ok(!enf_reject_string_ok(long_text, &why), "201 bytes refused");
    long_text[ENF_REJECT_STRING_MAX] = '\0';
    ok(enf_reject_string_ok(long_text, &why), "200 bytes accepted");

    memset(&v, 0, sizeof(v));
    strcpy(v.from_domain, "x.paypal.com");
    strcpy(v.policy_domain, "paypal.com");
    v.result = DM_RESULT_FAIL;
    v.policy = DM_POLICY_REJECT;
    v.disposition = DM_DISP_REJECT;
    opt.reject_string = "%s: DMARC says no";
    enf_decide(&opt, &v, &d);
    is_str(d.text, "x.paypal.com: DMARC says no", "%%s is the From domain");
    v.disposition = DM_DISP_REJECT;
    opt.reject_string = "100% %s";
    enf_decide(&opt, &v, &d);
    is_str(d.text, "rejected by DMARC policy for paypal.com",
           "an unchecked bad text falls back to OpenDMARC's");
}

static void
test_required(void)
{
    struct rh_counts c;
    char buf[200];
    const char *why;

    memset(&c, 0, sizeof(c));
    rh_count(&c, "From");
    rh_count(&c, "date");
    rh_count(&c, "X-Other");
    rh_count(&c, "Received");
    rh_count(&c, "Received");
    ok(rh_check(&c, buf, sizeof(buf)) == NULL, "one From, one Date: fine");
    rh_count(&c, "FROM");
    why = rh_check(&c, buf, sizeof(buf));
    is_str(why, "message has 2 From fields, RFC 5322 requires exactly one",
           "two From fields");
    memset(&c, 0, sizeof(c));
    rh_count(&c, "From");
    why = rh_check(&c, buf, sizeof(buf));
    is_str(why, "message has 0 Date fields, RFC 5322 requires exactly one",
           "no Date");
    rh_count(&c, "Date");
    rh_count(&c, "Subject");
    rh_count(&c, "Subject");
    why = rh_check(&c, buf, sizeof(buf));
    is_str(why, "message has 2 Subject fields, RFC 5322 requires at most one",
           "two Subjects");
}

int
main(void)
{
    test_trust();
    test_jobid();
    test_arc();
    test_write();
    test_enforce();
    test_reject_string();
    test_required();
    return done_testing();
}
