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
#include "config/config.h"
#include "dmarc/enforce.h"
#include "dmarc/required_headers.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

static bool trust_own;   /* our id listed in TrustedAuthservIDs */

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
    struct art_input in = { "mx.example", trust_mta, NULL, mailfrom, helo };

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
        struct art_input in = { "mx.example", trust_mta, NULL, "", "" };

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
    test_write();
    test_enforce();
    test_required();
    return done_testing();
}
