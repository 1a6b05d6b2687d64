/*
 * test_spec.c: verdicts as the specifications word them, one table row
 * per rule and case, each run under RFC 7489 and under RFC 9989 with the
 * answer each gives and the section it comes from: a temporary error
 * is never a failure and never a way around the policy; the v tag is
 * exactly DMARC1; a record without a usable p or rua means no DMARC
 * processing; a name too long to query holds no record; the comment of
 * our Authentication-Results field names only a policy in force; a dead
 * name server costs one timeout. DNS is a table; every lookup is logged.
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/ar_write.h"
#include "dmarc/dmarc_eval.h"
#include "dmarc/dmarc_record.h"
#include "dmarc/dmarc_walk.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

/* Names not listed are NXDOMAIN; TEMPFAIL plays a server that never answers. */
static const struct zone_rr zone[] = {
    { "_dmarc.victim.example", DNS_OK, { "v=DMARC1; p=reject" } },
    /* a subzone of the victim's whose name servers are dead */
    { "_dmarc.dead.victim.example", DNS_TEMPFAIL, { NULL } },
    /* a spoofer's own domain whose name servers never answer */
    { "_dmarc.dead.attacker.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.strict.example", DNS_OK,
      { "v=DMARC1; p=reject; adkim=s; aspf=s" } },
    /* psd=n draws an organization boundary inside victim3.example */
    { "_dmarc.victim3.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.org.victim3.example", DNS_OK, { "v=DMARC1; p=none; psd=n" } },
    { "_dmarc.pnone.example", DNS_OK, { "v=DMARC1; p=none" } },
    { "_dmarc.tf.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.lowerv.example", DNS_OK, { "v=dmarc1; p=reject" } },
    { "_dmarc.mixedv.example", DNS_OK, { "v=Dmarc1; p=reject" } },
    { "_dmarc.upperv.example", DNS_OK, { "V=DMARC1; p=reject" } },
    { "_dmarc.badp.example", DNS_OK, { "v=DMARC1; p=bogus" } },
    { "_dmarc.badprua.example", DNS_OK,
      { "v=DMARC1; p=bogus; rua=mailto:r@badprua.example" } },
    { "_dmarc.nop.example", DNS_OK, { "v=DMARC1; adkim=s" } },
    { "_dmarc.badsp.example", DNS_OK, { "v=DMARC1; p=reject; sp=bogus" } },
    { "_dmarc.long.example", DNS_OK, { "v=DMARC1; p=reject" } },
};

#define LOG_MAX 32
static char qlog[LOG_MAX][300];
static int lookups, tempfails;

/* What res_nmkquery() says of a name: a label over 63, a name over 253. */
static bool
carried(const char *qname)
{
    size_t label = 0;

    for (const char *p = qname; *p != '\0'; p++) {
        label = *p == '.' ? 0 : label + 1;
        if (label > 63)
            return false;
    }
    return strlen(qname) <= 253;
}

static enum dns_status
zone_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    enum dns_status st;

    (void)arg;
    if (lookups < LOG_MAX)
        snprintf(qlog[lookups], sizeof(qlog[0]), "%s", qname);
    lookups++;
    /* As the daemon's resolver answers a name no query can carry. */
    if (!carried(qname))
        return DNS_PERMFAIL;
    st = zone_answer(zone, sizeof(zone) / sizeof(zone[0]), qname, ans);
    tempfails += st == DNS_TEMPFAIL;
    return st;
}

static struct dns_txt_resolver dns = { zone_lookup, NULL };
static struct od_list *psl;

static const char *const spec_label[DM_SPEC__COUNT] = { "7489", "9989" };

/* One identifier of a row; d NULL: none. */
struct id {
    enum dm_auth r;
    const char *d;
};

/* What one specification answers. */
struct want {
    const char *result, *policy, *disposition;
    const char *ar;         /* our A-R field, "mx.test; dmarc=..." */
};

struct row {
    const char *section;
    const char *what;
    const char *from;
    struct id spf;
    struct id dkim[3];
    struct want want[DM_SPEC__COUNT];
};

#define P(d) { DM_AUTH_PASS, d }
#define F(d) { DM_AUTH_FAIL, d }
#define T(d) { DM_AUTH_TEMPERROR, d }
#define NO { DM_AUTH_NONE, NULL }
#define AR(tail) "mx.test; dmarc=" tail
#define BOTH(w) { w, w }

#define W_REJECT(f) { "fail", "reject", "reject", \
                      AR("fail (p=reject dis=reject) header.from=" f) }
#define W_TEMP(pol, f) { "temperror", pol, "none", \
                         AR("temperror (p=" pol " dis=none) header.from=" f) }
#define W_PASS(pol, f) { "pass", pol, "none", \
                         AR("pass (p=" pol " dis=none) header.from=" f) }
#define W_NONE(f) { "none", "absent", "none", \
                    AR("none (p=none dis=none) header.from=" f) }
#define W_PNONE(f) { "fail", "none", "none", \
                     AR("fail (p=none dis=none) header.from=" f) }
#define W_NOREC(f) { "temperror", "absent", "none", \
                     AR("temperror header.from=" f) }

static const struct row rows[] = {
    /* --- a temporary error is never a failure ------------------------ */
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "SPF temperror on an aligned MAIL FROM, no DKIM",
      "victim.example", T("mail.victim.example"), { NO },
      BOTH(W_TEMP("reject", "victim.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "SPF temperror on the From domain itself (or its HELO)",
      "victim.example", T("victim.example"), { NO },
      BOTH(W_TEMP("reject", "victim.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "DKIM key lookup temperror for an aligned d=",
      "victim.example", NO, { T("victim.example") },
      BOTH(W_TEMP("reject", "victim.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "DKIM temperror for an aligned subdomain d=",
      "victim.example", F("victim.example"), { T("mail.victim.example") },
      BOTH(W_TEMP("reject", "victim.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "an aligned temperror beside an unaligned SPF pass",
      "victim.example", P("other.example"), { T("victim.example") },
      BOTH(W_TEMP("reject", "victim.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "temperror under p=none: temperror, p=none",
      "pnone.example", T("pnone.example"), { NO },
      BOTH(W_TEMP("none", "pnone.example")) },
    { "RFC 7489 6.6.2, RFC 9989 5.3.2",
      "an aligned pass wins over an aligned temperror",
      "victim.example", T("victim.example"), { P("victim.example") },
      BOTH(W_PASS("reject", "victim.example")) },
    { "RFC 7489 6.6.3, RFC 9989 4.10.1",
      "no policy record: none, whatever the identifiers",
      "norecord.example", T("norecord.example"), { T("norecord.example") },
      BOTH(W_NONE("norecord.example")) },

    /* --- ... and never a way around the policy ----------------------- */
    { "RFC 7489 3.1, RFC 9989 4.4",
      "spoof: temperror on a dead envelope domain that cannot align",
      "victim.example", T("dead.attacker.example"), { NO },
      BOTH(W_REJECT("victim.example")) },
    { "RFC 7489 3.1, RFC 9989 4.4",
      "spoof: temperror on a dead DKIM d= that cannot align",
      "victim.example", NO, { T("dead.attacker.example"), F("victim.example") },
      BOTH(W_REJECT("victim.example")) },
    { "RFC 7489 3.1.1, RFC 9989 4.4.1",
      "adkim=s: a subdomain d= with a temperror cannot align",
      "strict.example", NO, { T("mail.strict.example") },
      BOTH(W_REJECT("strict.example")) },
    { "RFC 7489 3.1.2, RFC 9989 4.4.2",
      "aspf=s: a subdomain MAIL FROM with a temperror cannot align",
      "strict.example", T("bounce.strict.example"), { NO },
      BOTH(W_REJECT("strict.example")) },
    { "RFC 9989 4.4, 4.10.2",
      "a spoofer's SPF pass whose _dmarc names never answer: not walked",
      "victim.example", P("dead.attacker.example"), { NO },
      BOTH(W_REJECT("victim.example")) },
    { "RFC 9989 4.4, 4.10.2; RFC 7489 3.2",
      "psd=n puts the d= in another organization (9989); the PSL does not",
      "victim3.example", NO, { T("x.org.victim3.example") },
      { W_TEMP("reject", "victim3.example"),
        W_REJECT("victim3.example") } },
    { "RFC 9989 4.4, 4.10.2; RFC 7489 3.2",
      "an aligned SPF pass whose alignment walk times out",
      "victim.example", P("dead.victim.example"), { NO },
      { W_PASS("reject", "victim.example"),
        W_TEMP("reject", "victim.example") } },

    /* --- the v tag is exactly DMARC1 --------------------------------- */
    { "RFC 7489 6.3, RFC 9989 4.7", "v=dmarc1 is not a DMARC record",
      "lowerv.example", NO, { NO }, BOTH(W_NONE("lowerv.example")) },
    { "RFC 7489 6.3, RFC 9989 4.7", "v=Dmarc1 is not a DMARC record",
      "mixedv.example", NO, { NO }, BOTH(W_NONE("mixedv.example")) },
    { "RFC 7489 6.4, RFC 9989 4.8", "the tag name V is an ABNF literal",
      "upperv.example", NO, { NO }, BOTH(W_REJECT("upperv.example")) },

    /* --- no usable p and no rua: no DMARC processing ------------------ */
    { "RFC 7489 6.6.3, RFC 9989 4.10.1", "p=bogus, no rua: none",
      "badp.example", NO, { NO }, BOTH(W_NONE("badp.example")) },
    { "RFC 7489 6.6.3, RFC 9989 4.10.1", "sp=bogus, no rua: none",
      "badsp.example", NO, { NO }, BOTH(W_NONE("badsp.example")) },
    { "RFC 7489 6.6.3, RFC 9989 4.10.1", "p=bogus with a valid rua: p=none",
      "badprua.example", NO, { NO }, BOTH(W_PNONE("badprua.example")) },
    { "RFC 7489 6.6.3; RFC 9989 4.7", "no p, no rua: none (7489); p is "
      "optional, p=none (9989)", "nop.example", NO, { NO },
      { W_NONE("nop.example"), W_PNONE("nop.example") } },

    /* --- a temporary error before any record: no policy in force ----- */
    { "RFC 7489 6.6.3, RFC 9989 4.10", "the policy lookup times out",
      "x.tf.example", NO, { NO }, BOTH(W_NOREC("x.tf.example")) },
};

static struct dm_auth_id
mk(struct id i)
{
    struct dm_auth_id a;

    memset(&a, 0, sizeof(a));
    a.result = i.r;
    if (i.d != NULL)
        snprintf(a.domain, sizeof(a.domain), "%s", i.d);
    return a;
}

static struct dm_verdict
eval(enum dm_spec spec, const char *from, const struct dm_auth_id *spf,
     const struct dm_auth_id *dkim, size_t n_dkim)
{
    struct dm_eval_input in;
    struct dm_verdict v;

    memset(&in, 0, sizeof(in));
    in.from_domain = from;
    in.spf = spf;
    in.dkim = dkim;
    in.n_dkim = n_dkim;
    in.spec = spec;
    memset(&v, 0xa5, sizeof(v));
    v.skip = DM_SKIP_NONE;
    lookups = tempfails = 0;
    /* RFC 9989 needs no public suffix list: prove it by not passing one. */
    dmarc_eval(&in, &dns, spec == DM_SPEC_RFC9989 ? NULL : psl, &v);
    return v;
}

static void
run_row(const struct row *r, enum dm_spec spec)
{
    struct dm_auth_id spf = mk(r->spf), dkim[3];
    const struct want *w = &r->want[spec];
    struct dm_verdict v;
    size_t n = 0;
    char ar[512];

    while (n < 3 && r->dkim[n].d != NULL) {
        dkim[n] = mk(r->dkim[n]);
        n++;
    }
    v = eval(spec, r->from, r->spf.d != NULL ? &spf : NULL, dkim, n);
    is_str(dm_result_name(v.result), w->result, "%s [%s, %s]: result",
           r->what, spec_label[spec], r->section);
    is_str(dm_policy_name(v.policy), w->policy, "%s [%s]: policy", r->what,
           spec_label[spec]);
    is_str(dm_disposition_name(v.disposition), w->disposition,
           "%s [%s]: disposition", r->what, spec_label[spec]);
    ok(aw_dmarc(ar, sizeof(ar), "mx.test", &v), "%s [%s]: A-R written",
       r->what, spec_label[spec]);
    is_str(ar, w->ar, "%s [%s]: A-R field (RFC 8601, OpenDMARC's comment)",
           r->what, spec_label[spec]);
    /* A name server that never answers costs one timeout per message. */
    ok(tempfails <= 1, "%s [%s]: at most one timed-out policy lookup (%d)",
       r->what, spec_label[spec], tempfails);
}

static void
test_table(void)
{
    for (size_t i = 0; i < sizeof(rows) / sizeof(rows[0]); i++) {
        run_row(&rows[i], DM_SPEC_RFC7489);
        run_row(&rows[i], DM_SPEC_RFC9989);
    }
}

/* A spoofer's own dead names are never asked when they cannot align. */
static void
test_unasked(void)
{
    struct dm_auth_id spf = mk((struct id)P("dead.attacker.example"));
    struct dm_auth_id dk[3];

    for (int s = 0; s < DM_SPEC__COUNT; s++) {
        (void)eval((enum dm_spec)s, "victim.example", &spf, NULL, 0);
        is_int(tempfails, 0, "[%s] RFC 9989 4.10.2: the walk of an "
               "identifier outside the From organization is not made",
               spec_label[s]);
    }
    /* Three identifiers in one dead subzone: one timeout, not three. */
    dk[0] = mk((struct id)P("a.dead.victim.example"));
    dk[1] = mk((struct id)T("b.dead.victim.example"));
    dk[2] = mk((struct id)P("c.dead.victim.example"));
    spf = mk((struct id)P("dead.victim.example"));
    (void)eval(DM_SPEC_RFC9989, "victim.example", &spf, dk, 3);
    is_int(tempfails, 1, "[9989] four alignment walks into a dead subzone: "
           "one timeout");
}

/* RFC 9989 4.10: the tree walk stops at its first timeout. */
static void
test_walk_stops(void)
{
    struct dm_verdict v;

    v = eval(DM_SPEC_RFC9989, "a.b.x.tf.example", NULL, NULL, 0);
    is_str(dm_result_name(v.result), "temperror", "[9989] walk: temperror");
    is_int(lookups, 4, "[9989] walk: a.b.x.tf, b.x.tf, x.tf, tf: four "
           "queries, none after the timeout");
    is_str(qlog[3], "_dmarc.tf.example", "[9989] the last one timed out");
    v = eval(DM_SPEC_RFC7489, "a.b.x.tf.example", NULL, NULL, 0);
    is_str(dm_result_name(v.result), "temperror", "[7489] org: temperror");
    is_int(lookups, 2, "[7489] RFC 7489 6.6.3: From, then the org domain");
}

/* "x" * n, then "." and the rest. */
static void
label_of(char *out, size_t n, const char *rest)
{
    memset(out, 'x', n);
    out[n] = '.';
    strcpy(out + n + 1, rest);
}

/*
 * A From domain whose _dmarc name no query can carry holds no record
 * there (RFC 1035 2.3.4): the organizational domain's record, or the
 * walk's next name, applies; never a temporary error.
 */
/* Every query the last evaluation made could be carried. */
static bool
queries_ok(void)
{
    for (int i = 0; i < lookups && i < LOG_MAX; i++) {
        if (!dw_name_ok(qlog[i]))
            return false;
    }
    return true;
}

/*
 * A From domain whose _dmarc name no query can carry holds no record
 * there (RFC 1035 2.3.4): the organizational domain's record, or the
 * walk's next name, applies; never a temporary error.
 */
static void
test_long_names(void)
{
    char from[400], mid[300];
    struct dm_verdict v;

    /* 250 octets: a legal name, but "_dmarc." makes it 257 */
    label_of(mid, 62, "long.example");
    label_of(from, 60, mid);
    label_of(mid, 62, from);
    label_of(from, 250 - strlen(mid) - 1, mid);
    is_int((int)strlen(from), 250, "a From domain of 250 octets");
    for (int s = 0; s < DM_SPEC__COUNT; s++) {
        v = eval((enum dm_spec)s, from, NULL, NULL, 0);
        is_str(dm_result_name(v.result), "fail",
               "[%s] RFC 7489 6.6.3, RFC 9989 4.10: too long to query: "
               "not temperror", spec_label[s]);
        is_str(v.policy_domain, "long.example", "[%s] ... the policy of "
               "long.example applies", spec_label[s]);
        ok(queries_ok(), "[%s] ... and every query could be carried",
           spec_label[s]);
    }
    /* a label of 64 octets */
    label_of(from, 64, "long.example");
    for (int s = 0; s < DM_SPEC__COUNT; s++) {
        v = eval((enum dm_spec)s, from, NULL, NULL, 0);
        is_str(dm_result_name(v.result), "fail",
               "[%s] a 64-octet label: no record there, not temperror",
               spec_label[s]);
        ok(queries_ok(), "[%s] ... no query for it", spec_label[s]);
    }
    ok(dw_name_ok("long.example"), "dw_name_ok: a plain name");
    ok(!dw_name_ok(from), "dw_name_ok: a 64-octet label is not");
}

/* The record parser's side of the same rules, under both specifications. */
static void
test_records(void)
{
    static const struct {
        const char *section, *txt;
        enum dmarc_record_status st[DM_SPEC__COUNT];
    } rec[] = {
        { "RFC 7489 6.3, RFC 9989 4.7", "v=dmarc1; p=reject",
          { DMARC_RECORD_NOT_DMARC, DMARC_RECORD_NOT_DMARC } },
        { "RFC 7489 6.3, RFC 9989 4.7", "v=DMARC1 ; p=reject",
          { DMARC_RECORD_OK, DMARC_RECORD_OK } },
        { "RFC 7489 6.3, RFC 9989 4.7", "v=DMARC1x; p=reject",
          { DMARC_RECORD_NOT_DMARC, DMARC_RECORD_NOT_DMARC } },
        { "RFC 7489 6.4, RFC 9989 4.8", "V=DMARC1; p=reject",
          { DMARC_RECORD_OK, DMARC_RECORD_OK } },
        { "RFC 7489 6.6.3, RFC 9989 4.10.1", "v=DMARC1; p=bogus",
          { DMARC_RECORD_INVALID, DMARC_RECORD_INVALID } },
        { "RFC 7489 6.6.3; RFC 9989 4.7", "v=DMARC1",
          { DMARC_RECORD_INVALID, DMARC_RECORD_OK } },
        { "RFC 9989 4.10.1", "v=DMARC1; p=reject; np=bogus",
          { DMARC_RECORD_OK, DMARC_RECORD_INVALID } },
    };

    for (size_t i = 0; i < sizeof(rec) / sizeof(rec[0]); i++) {
        for (int s = 0; s < DM_SPEC__COUNT; s++)
            is_int(dmarc_record_parse_spec(rec[i].txt, strlen(rec[i].txt),
                                           (enum dm_spec)s, NULL, NULL),
                   rec[i].st[s], "%s [%s, %s]: parse status", rec[i].txt,
                   spec_label[s], rec[i].section);
    }
}

int
main(void)
{
    char err[256];

    psl = od_open(NULL, err, sizeof(err));
    if (!ok(psl != NULL, "PSL loads (%s)", psl != NULL ? "ok" : err))
        return done_testing();
    test_table();
    test_unasked();
    test_walk_stops();
    test_long_names();
    test_records();
    od_close(psl);
    return done_testing();
}
