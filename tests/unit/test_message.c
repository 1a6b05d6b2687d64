/*
 * test_message.c: the decisions about one message as a whole
 * (dmarc/message.c): From fields, RequiredHeaders, IgnoreMailFrom,
 * RejectMultiValueFrom, which SPF and DKIM results count (trusted A-R
 * claims, the topmost Received-SPF field under TrustReceivedSPF, our own
 * check), the strictest verdict over several From domains, and the
 * action. A table of cases,
 * each run under every specification it names; DNS is a table.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dmarc/message.h"
#include "tests/unit/tap.h"
#include "tests/unit/zone_table.h"

/* Names not listed are NXDOMAIN. */
static const struct zone_rr zone[] = {
    { "_dmarc.paypal.example", DNS_OK, { "v=DMARC1; p=reject" } },
    { "_dmarc.quar.example", DNS_OK, { "v=DMARC1; p=quarantine" } },
    { "_dmarc.none.example", DNS_OK, { "v=DMARC1; p=none" } },
    { "_dmarc.tf.example", DNS_TEMPFAIL, { NULL } },
    { "_dmarc.pct0.example", DNS_OK, { "v=DMARC1; p=reject; pct=0" } },
    { "_dmarc.pct50.example", DNS_OK, { "v=DMARC1; p=reject; pct=50" } },
    { "sub.paypal.example", DNS_OK, { NULL } },
};

static int lookups;

static enum dns_status
zone_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    (void)arg;
    lookups++;
    return zone_answer(zone, sizeof(zone) / sizeof(zone[0]), qname, ans);
}

static const struct dns_txt_resolver dns = { zone_lookup, NULL };

enum { M7489 = 1, M9989 = 2, BOTH = 3 };

/* One SPF or DKIM result; domain NULL: none. */
struct auth {
    enum dm_auth r;
    const char *domain;
};

struct msg_case {
    const char *name;
    unsigned modes;                /* M7489, M9989 or BOTH */

    /* the header fields */
    const char *from[10];          /* as kept; NULL: too long to keep */
    size_t n_from;
    bool from_over;                /* one more From field, not kept */
    const char *fields;            /* others, space-separated; NULL: Date */

    /* authentication */
    struct auth ar_spf;            /* trusted A-R spf= claim */
    struct auth ar_dkim[3];        /* trusted A-R dkim= claims */
    struct auth self_spf;          /* our SPF check; NULL: no identity */
    bool self_spf_helo;
    bool dkim_self;                /* DKIMSelfVerify */
    struct auth self_dkim[3];
    unsigned sample;

    /* Received-SPF and the session it must describe */
    const char *rspf;              /* the topmost field's value; NULL: none */
    bool rspf_lost;                /* one too long to keep */
    bool authenticated;            /* SMTP AUTH */
    const char *client_ip;         /* NULL: LEGIT; "": unknown */
    bool null_sender;
    const char *mailfrom;          /* NULL: paypal.example */
    const char *helo;              /* NULL: mx.paypal.example */

    /* options */
    bool required_headers, reject_failures, hold, tempfail, multi_reject;
    bool spf_ignore, spf_self, trust_rspf;
    const char *ignore;            /* IgnoreMailFrom, space-separated */
    bool required_from, copy_failures;
    const char *reject_string;     /* RejectString; NULL: the default */
    const char *sealers;           /* DomainWhitelist, space-separated */

    /* the ARC override: a trusted arc= claim, its domain the arc.chain */
    struct auth arc;

    /* expected */
    enum msg_stage stage;
    const char *reason;            /* MSG_REJECT: the log's; MSG_SKIP: detail */
    const char *reply;             /* the reply or quarantine text; "": none */
    enum dm_skip skip;
    const char *verdict;           /* MSG_DONE: "domain result p dis" */
    enum enf_action action;
    const char *spf;               /* MSG_DONE: as logged, "pass(self)" */
    int spf_calls;                 /* times our SPF check ran */
    const char *standin;           /* MSG_DONE: NULL, "mailfrom" or "helo" */
    bool copy;                     /* MSG_DONE: CopyFailuresTo applies */
    bool overridden;               /* MSG_DONE: the ARC override applied */
    enum msg_rspf rspf_fate;       /* MSG_DONE: the Received-SPF field's */
    enum rs_status rspf_status;    /* MSG_RSPF_REFUSED: why */
    enum rs_match rspf_match;      /* MSG_RSPF_MISMATCH: why */
    const char *spf_domain;        /* MSG_RSPF_USED: the SPF domain */
};

#define LEGIT "192.0.2.10"
#define SPOOFER "192.0.2.66"

/* postfix-policyd-spf-python's forms (tests/lab/t-receivedspf.sh). */
#define RSPF(result, comment, ip, from) \
    result " (" comment ") identity=mailfrom; client-ip=" ip \
    "; helo=mx.paypal.example; envelope-from=" from "; receiver=mx.test"
#define RSPF_PASS RSPF("Pass", "mailfrom", LEGIT, "a@paypal.example")
#define RSPF_HELO(ip, helo) "Pass (sender SPF authorized) identity=helo; " \
    "client-ip=" ip "; helo=" helo "; envelope-from=<>; receiver=mx.test"
#define REJECTED "rejected by DMARC policy for paypal.example"

/* The From fields of a case, and how many (NULL entries count). */
#define FROM(...) .from = { __VA_ARGS__ }, \
    .n_from = sizeof((const char *[]){ __VA_ARGS__ }) / sizeof(const char *)

#define PASS(d) { DM_AUTH_PASS, d }
#define FAIL(d) { DM_AUTH_FAIL, d }

static const char NINE[] = "a@d1.example, a@d2.example, a@d3.example, "
    "a@d4.example, a@d5.example, a@d6.example, a@d7.example, "
    "a@d8.example, a@d9.example";

static const struct msg_case cases[] = {
    /* From fields */
    { "no From field, no MAIL FROM or HELO domain", BOTH, .n_from = 0,
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM, .reason = "no From field" },
    { "no From field, RequiredHeaders", BOTH, .n_from = 0,
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "message has 0 From fields, RFC 5322 requires exactly one",
      .reply = "message has 0 From fields, RFC 5322 requires exactly one" },
    { "From without an address", BOTH, FROM("undisclosed:;"),
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM, .reason = "no address" },
    { "unusable From", BOTH, FROM("a@paypal.example>"),
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "not an RFC 5322 address list" },
    { "unusable From, RejectFailures: still skipped", BOTH,
      FROM("a@paypal.example>"), .reject_failures = true,
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "not an RFC 5322 address list" },
    { "unusable From, RequiredHeaders", BOTH, FROM("a@paypal.example>"),
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "From field unusable: not an RFC 5322 address list",
      .reply = "From field unusable: not an RFC 5322 address list" },
    { "From without a domain, RequiredHeaders", BOTH, FROM("<user>"),
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "From field unusable: an address has no usable domain",
      .reply = "From field unusable: an address has no usable domain" },
    { "a From field too long to keep", BOTH, FROM(NULL),
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "not an RFC 5322 address list" },
    { "a From field too long to keep, RequiredHeaders", BOTH, FROM(NULL),
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "From field unusable: not an RFC 5322 address list",
      .reply = "From field unusable: not an RFC 5322 address list" },
    { "a second From field too long, after a good one: the good one is "
      "judged", BOTH, FROM("a@paypal.example", NULL),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "more From fields than kept", BOTH,
      FROM("a@paypal.example", "b@paypal.example"), .from_over = true,
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "too many addresses" },
    { "more From fields than kept, RejectFailures", BOTH,
      FROM("a@paypal.example", "b@paypal.example"), .from_over = true,
      .reject_failures = true, .stage = MSG_REJECT,
      .reason = "From field unusable: too many addresses",
      .reply = "From field unusable: too many addresses" },
    { "more From fields than kept, RequiredHeaders counts them all", BOTH,
      FROM("a@paypal.example", "b@paypal.example"), .from_over = true,
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "message has 3 From fields, RFC 5322 requires exactly one",
      .reply = "message has 3 From fields, RFC 5322 requires exactly one" },
    { "nine addresses in one From field, RejectFailures", BOTH,
      FROM(NINE), .reject_failures = true, .stage = MSG_REJECT,
      .reason = "From field unusable: too many addresses",
      .reply = "From field unusable: too many addresses" },
    { "nine domains over two From fields", BOTH,
      FROM("a@d1.example, a@d2.example, a@d3.example, a@d4.example, "
           "a@d5.example, a@d6.example, a@d7.example, a@d8.example",
           "a@d9.example"),
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "too many addresses" },
    { "one domain named twice counts once", BOTH,
      FROM("a@paypal.example, b@PayPal.example.", "c@paypal.example"),
      .multi_reject = true, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = "rejected by DMARC policy for "
      "paypal.example", .spf = "none" },

    /* no From domain: the MAIL FROM domain (HELO name) stands in */
    { "no From field: the MAIL FROM domain stands in", BOTH, .n_from = 0,
      .mailfrom = "paypal.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = "rejected by DMARC policy for "
      "paypal.example", .spf = "none", .standin = "mailfrom" },
    { "no From field, stand-in passes with its aligned SPF", BOTH,
      .n_from = 0, .mailfrom = "paypal.example",
      .ar_spf = PASS("paypal.example"), .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example pass reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "pass",
      .standin = "mailfrom" },
    { "no From field, null sender: the HELO name stands in", BOTH,
      .n_from = 0, .null_sender = true, .mailfrom = "paypal.example",
      .helo = "quar.example", .reject_failures = true, .hold = true,
      .stage = MSG_DONE, .verdict = "quar.example fail quarantine quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for quar.example",
      .spf = "none", .standin = "helo" },
    { "no From field, null sender, HELO unusable: skipped", BOTH,
      .n_from = 0, .null_sender = true, .stage = MSG_SKIP,
      .skip = DM_SKIP_NO_FROM, .reason = "no From field" },
    { "a From without an address: stand-in", BOTH, FROM("undisclosed:;"),
      .mailfrom = "none.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "none.example fail none none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none",
      .standin = "mailfrom" },
    { "an unusable From: stand-in", BOTH, FROM("a@paypal.example>"),
      .mailfrom = "paypal.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none",
      .standin = "mailfrom" },
    { "a From too long to keep: stand-in", BOTH, FROM(NULL),
      .mailfrom = "norecord.example", .stage = MSG_DONE,
      .verdict = "norecord.example none absent none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none", .standin = "mailfrom" },
    { "a usable From field beside an unusable one: judged, no stand-in",
      BOTH, FROM(NULL, "a@paypal.example"), .mailfrom = "none.example",
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "a broken From field beside paypal's: no skip, RejectFailures false",
      BOTH, FROM("a@paypal.example", "a@x.example>"),
      .mailfrom = "none.example", .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "RequiredFrom: a usable From beside an unusable one is refused", BOTH,
      FROM("a@paypal.example", "undisclosed:;"),
      .mailfrom = "paypal.example", .required_from = true,
      .stage = MSG_REJECT, .reason = "From field unusable (RequiredFrom)",
      .reply = "a From field with a usable domain is required here" },
    { "the stand-in domain listed in IgnoreMailFrom", BOTH, .n_from = 0,
      .mailfrom = "paypal.example", .ignore = "paypal.example",
      .reject_failures = true, .stage = MSG_SKIP,
      .skip = DM_SKIP_IGNORED_MAILFROM, .reason = "paypal.example" },
    { "RequiredFrom: no From field is refused", BOTH, .n_from = 0,
      .mailfrom = "paypal.example", .required_from = true,
      .stage = MSG_REJECT, .reason = "no From field (RequiredFrom)",
      .reply = "a From field with a usable domain is required here" },
    { "RequiredFrom: an unusable From is refused", BOTH,
      FROM("undisclosed:;"), .mailfrom = "paypal.example",
      .required_from = true, .stage = MSG_REJECT,
      .reason = "From field unusable (RequiredFrom)",
      .reply = "a From field with a usable domain is required here" },
    { "RequiredFrom without MAIL FROM or HELO: refused all the same", BOTH,
      .n_from = 0, .null_sender = true, .required_from = true,
      .stage = MSG_REJECT, .reason = "no From field (RequiredFrom)",
      .reply = "a From field with a usable domain is required here" },
    { "RequiredFrom: a usable From is evaluated", BOTH,
      FROM("a@paypal.example"), .mailfrom = "none.example",
      .required_from = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "RequiredFrom: too many addresses is not its refusal", BOTH,
      FROM("a@paypal.example", "b@paypal.example"), .from_over = true,
      .mailfrom = "paypal.example", .required_from = true,
      .stage = MSG_SKIP, .skip = DM_SKIP_NO_FROM,
      .reason = "too many addresses" },
    { "RequiredHeaders comes before RequiredFrom", BOTH, .n_from = 0,
      .mailfrom = "paypal.example", .required_from = true,
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "message has 0 From fields, RFC 5322 requires exactly one",
      .reply = "message has 0 From fields, RFC 5322 requires exactly one" },
    { "RequiredHeaders alone still refuses an unusable From", BOTH,
      FROM("undisclosed:;"), .mailfrom = "paypal.example",
      .required_headers = true, .stage = MSG_REJECT,
      .reason = "From field unusable: no address",
      .reply = "From field unusable: no address" },

    /* several From domains: the strictest verdict */
    { "two From fields, the second domain fails", BOTH,
      FROM("a@none.example", "b@paypal.example"),
      .ar_dkim = { PASS("none.example") }, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "two From fields, the first domain fails", BOTH,
      FROM("b@paypal.example", "a@none.example"),
      .ar_dkim = { PASS("none.example") }, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "two addresses in one field, reject beats quarantine", BOTH,
      FROM("a@quar.example, b@paypal.example"), .reject_failures = true,
      .hold = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "two domains, one passes, the other fails under p=none", BOTH,
      FROM("a@paypal.example", "b@none.example"),
      .ar_dkim = { PASS("paypal.example") }, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "none.example fail none none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none" },
    { "two domains, both pass: the stronger policy is reported", BOTH,
      FROM("a@quar.example", "b@paypal.example"),
      .ar_dkim = { PASS("paypal.example"), PASS("quar.example") },
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "RejectMultiValueFrom: two domains", BOTH,
      FROM("a@none.example", "b@paypal.example"), .multi_reject = true,
      .stage = MSG_REJECT, .reason = "From has 2 domains",
      .reply = "multiple From domains are not accepted here" },
    { "RejectMultiValueFrom: three domains in one field", BOTH,
      FROM("a@none.example, b@paypal.example, c@quar.example"),
      .multi_reject = true, .stage = MSG_REJECT,
      .reason = "From has 3 domains",
      .reply = "multiple From domains are not accepted here" },

    /* IgnoreMailFrom */
    { "IgnoreMailFrom: the From domain", BOTH, FROM("a@paypal.example"),
      .ignore = "other.example paypal.example", .reject_failures = true,
      .stage = MSG_SKIP, .skip = DM_SKIP_IGNORED_MAILFROM,
      .reason = "paypal.example" },
    { "IgnoreMailFrom: the second of two From domains", BOTH,
      FROM("a@paypal.example", "b@none.example"), .ignore = "none.example",
      .reject_failures = true, .stage = MSG_SKIP,
      .skip = DM_SKIP_IGNORED_MAILFROM, .reason = "none.example" },
    { "IgnoreMailFrom before RejectMultiValueFrom", BOTH,
      FROM("a@paypal.example, b@none.example"), .ignore = "none.example",
      .multi_reject = true, .stage = MSG_SKIP,
      .skip = DM_SKIP_IGNORED_MAILFROM, .reason = "none.example" },
    { "IgnoreMailFrom: a parent domain is not listed", BOTH,
      FROM("a@paypal.example"), .ignore = "example", .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },

    /* RequiredHeaders */
    { "RequiredHeaders: no Date", BOTH, FROM("a@paypal.example"),
      .fields = "Subject", .required_headers = true, .stage = MSG_REJECT,
      .reason = "message has 0 Date fields, RFC 5322 requires exactly one",
      .reply = "message has 0 Date fields, RFC 5322 requires exactly one" },
    { "RequiredHeaders: two Subject fields", BOTH, FROM("a@paypal.example"),
      .fields = "Date Subject Subject", .required_headers = true,
      .stage = MSG_REJECT,
      .reason = "message has 2 Subject fields, RFC 5322 requires at most one",
      .reply = "message has 2 Subject fields, RFC 5322 requires at most one" },
    { "RequiredHeaders before IgnoreMailFrom", BOTH,
      FROM("a@paypal.example"), .fields = "Date Date",
      .ignore = "paypal.example", .required_headers = true,
      .stage = MSG_REJECT,
      .reason = "message has 2 Date fields, RFC 5322 requires exactly one",
      .reply = "message has 2 Date fields, RFC 5322 requires exactly one" },
    { "RequiredHeaders off: two Date fields do not matter", BOTH,
      FROM("a@paypal.example"), .fields = "Date Date",
      .ar_spf = PASS("paypal.example"), .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass" },
    { "RequiredHeaders: a lawful message is evaluated", BOTH,
      FROM("a@paypal.example"), .fields = "Date Subject To Message-ID",
      .required_headers = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },

    /* which SPF result counts */
    { "trusted SPF claim: our check is not run", BOTH,
      FROM("a@paypal.example"), .ar_spf = PASS("paypal.example"),
      .self_spf = FAIL("paypal.example"), .spf_self = true,
      .stage = MSG_DONE, .verdict = "paypal.example pass reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "pass", .spf_calls = 0 },
    { "no trusted SPF claim: our check counts", BOTH,
      FROM("a@paypal.example"), .self_spf = PASS("paypal.example"),
      .spf_self = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass(self)", .spf_calls = 1 },
    { "no trusted SPF claim, our check of the HELO identity", BOTH,
      FROM("a@paypal.example"), .self_spf = PASS("mx.paypal.example"),
      .self_spf_helo = true, .spf_self = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass(self)", .spf_calls = 1 },
    { "SPFIgnoreResults: our check replaces the trusted claim", BOTH,
      FROM("a@paypal.example"), .ar_spf = PASS("paypal.example"),
      .self_spf = FAIL("paypal.example"), .spf_self = true,
      .spf_ignore = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "fail(self)", .spf_calls = 1 },
    { "SPFIgnoreResults without SPFSelfValidate: no SPF result", BOTH,
      FROM("a@paypal.example"), .ar_spf = PASS("paypal.example"),
      .self_spf = PASS("paypal.example"), .spf_ignore = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none", .spf_calls = 0 },
    { "no claim, SPFSelfValidate off: no SPF result", BOTH,
      FROM("a@paypal.example"), .self_spf = PASS("paypal.example"),
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none", .spf_calls = 0 },
    { "our check finds no identity: no SPF result", BOTH,
      FROM("a@paypal.example"), .spf_self = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none", .spf_calls = 1 },
    { "unaligned trusted SPF pass", BOTH, FROM("a@paypal.example"),
      .ar_spf = PASS("evil.example"), .spf_self = true,
      .self_spf = PASS("paypal.example"), .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "pass", .spf_calls = 0 },
    { "a message screened out runs no SPF check", BOTH,
      FROM("a@paypal.example"), .ignore = "paypal.example",
      .self_spf = PASS("paypal.example"), .spf_self = true,
      .stage = MSG_SKIP, .skip = DM_SKIP_IGNORED_MAILFROM,
      .reason = "paypal.example", .spf_calls = 0 },

    /* the topmost Received-SPF field (TrustReceivedSPF) */
    { "Received-SPF: a pass about this session counts", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .trust_rspf = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass(received-spf)", .rspf_fate = MSG_RSPF_USED,
      .spf_domain = "paypal.example" },
    { "Received-SPF: a fail on top counts (a forged pass below is never "
      "read)", BOTH, FROM("a@paypal.example"),
      .rspf = RSPF("Fail", "mailfrom", SPOOFER, "a@paypal.example"),
      .client_ip = SPOOFER, .trust_rspf = true, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "fail(received-spf)",
      .rspf_fate = MSG_RSPF_USED, .spf_domain = "paypal.example" },
    { "Received-SPF: a softfail counts as not passing", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF("Softfail", "mailfrom", SPOOFER, "a@paypal.example"),
      .client_ip = SPOOFER, .trust_rspf = true, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED,
      .spf = "softfail(received-spf)", .rspf_fate = MSG_RSPF_USED,
      .spf_domain = "paypal.example" },
    { "Received-SPF: its answer, even None, spares our own check", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF("None", "mailfrom", LEGIT, "a@paypal.example"),
      .trust_rspf = true, .spf_self = true,
      .self_spf = PASS("paypal.example"), .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none(received-spf)", .spf_calls = 0,
      .rspf_fate = MSG_RSPF_USED, .spf_domain = "paypal.example" },
    { "Received-SPF: another client's pass is ignored", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .client_ip = SPOOFER,
      .trust_rspf = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_CLIENT_MISMATCH },
    { "Received-SPF: ignored when the client's address is unknown", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .client_ip = "",
      .trust_rspf = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_CLIENT_UNKNOWN },
    { "Received-SPF: a pass for another MAIL FROM is ignored", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF("Pass", "mailfrom", SPOOFER, "a@paypal.example"),
      .client_ip = SPOOFER, .mailfrom = "evil.example", .trust_rspf = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_ENVFROM_MISMATCH },
    { "Received-SPF: the HELO identity for the null sender", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF_HELO(LEGIT, "mx.paypal.example"), .null_sender = true,
      .trust_rspf = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass(received-spf)", .rspf_fate = MSG_RSPF_USED,
      .spf_domain = "mx.paypal.example" },
    { "Received-SPF: the null sender's pass for another HELO name", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF_HELO(LEGIT, "mx.paypal.example"), .null_sender = true,
      .helo = "client.evil.example", .trust_rspf = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_HELO_MISMATCH },
    { "Received-SPF: a HELO result says nothing of a MAIL FROM", BOTH,
      FROM("a@paypal.example"),
      .rspf = RSPF_HELO(LEGIT, "mx.paypal.example"), .trust_rspf = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_NOT_MAILFROM },
    { "Received-SPF: an unreadable field", BOTH, FROM("a@paypal.example"),
      .rspf = "Maybe (mailfrom) identity=mailfrom; client-ip=" LEGIT,
      .trust_rspf = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_REFUSED,
      .rspf_status = RS_BAD_RESULT },
    { "Received-SPF: a field too long to keep", BOTH,
      FROM("a@paypal.example"), .rspf_lost = true, .trust_rspf = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_REFUSED,
      .rspf_status = RS_TOO_LONG },
    { "Received-SPF: an authenticated client's own field is not believed",
      BOTH, FROM("a@paypal.example"), .rspf = RSPF_PASS,
      .authenticated = true, .trust_rspf = true, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "none",
      .rspf_fate = MSG_RSPF_AUTHENTICATED },
    { "Received-SPF: an ignored field leaves our own check", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .client_ip = SPOOFER,
      .trust_rspf = true, .spf_self = true,
      .self_spf = FAIL("paypal.example"), .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "fail(self)",
      .spf_calls = 1, .rspf_fate = MSG_RSPF_MISMATCH,
      .rspf_match = RS_CLIENT_MISMATCH },
    { "Received-SPF: a believed field spares our own check", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .trust_rspf = true,
      .spf_self = true, .self_spf = FAIL("paypal.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "pass(received-spf)", .spf_calls = 0,
      .rspf_fate = MSG_RSPF_USED, .spf_domain = "paypal.example" },
    { "Received-SPF: a trusted A-R claim comes first", BOTH,
      FROM("a@paypal.example"), .ar_spf = FAIL("paypal.example"),
      .rspf = RSPF_PASS, .trust_rspf = true, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "fail",
      .rspf_fate = MSG_RSPF_UNREAD },
    { "Received-SPF: not read under SPFIgnoreResults", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .trust_rspf = true,
      .spf_ignore = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = REJECTED, .spf = "none", .rspf_fate = MSG_RSPF_UNREAD },
    { "Received-SPF: SPFIgnoreResults leaves our own check", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .trust_rspf = true,
      .spf_ignore = true, .spf_self = true,
      .self_spf = FAIL("paypal.example"), .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "fail(self)",
      .spf_calls = 1, .rspf_fate = MSG_RSPF_UNREAD },
    { "Received-SPF: not read without TrustReceivedSPF", BOTH,
      FROM("a@paypal.example"), .rspf = RSPF_PASS, .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = REJECTED, .spf = "none",
      .rspf_fate = MSG_RSPF_UNREAD },

    /* which DKIM results count */
    { "trusted A-R dkim=pass", BOTH, FROM("a@paypal.example"),
      .ar_dkim = { FAIL("paypal.example"), PASS("paypal.example") },
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "DKIMSelfVerify with no signature replaces an A-R dkim=pass", BOTH,
      FROM("a@paypal.example"), .ar_dkim = { PASS("paypal.example") },
      .dkim_self = true, .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "DKIMSelfVerify pass replaces an A-R dkim=fail", BOTH,
      FROM("a@paypal.example"), .ar_dkim = { FAIL("paypal.example") },
      .dkim_self = true, .self_dkim = { PASS("paypal.example") },
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "DKIMSelfVerify off: our results are not read", BOTH,
      FROM("a@paypal.example"), .self_dkim = { PASS("paypal.example") },
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },

    /* enforcement */
    { "p=reject, RejectFailures: reject", BOTH, FROM("a@paypal.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "p=reject without RejectFailures: accept", BOTH,
      FROM("a@paypal.example"), .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "p=quarantine, held: quarantine", BOTH, FROM("a@quar.example"),
      .reject_failures = true, .hold = true, .stage = MSG_DONE,
      .verdict = "quar.example fail quarantine quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for quar.example",
      .spf = "none" },
    { "p=quarantine, not held: accept", BOTH, FROM("a@quar.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "quar.example fail quarantine none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "p=none: accept", BOTH, FROM("a@none.example"),
      .reject_failures = true, .hold = true, .stage = MSG_DONE,
      .verdict = "none.example fail none none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "temperror, TempErrorAction tempfail", BOTH, FROM("a@tf.example"),
      .reject_failures = true, .tempfail = true, .stage = MSG_DONE,
      .verdict = "tf.example temperror absent none", .action = ENF_TEMPFAIL,
      .reply = "DMARC policy for tf.example temporarily unavailable, "
      "try again later", .spf = "none" },
    { "temperror, TempErrorAction accept", BOTH, FROM("a@tf.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "tf.example temperror absent none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "temperror and a reject: the reject wins", BOTH,
      FROM("a@tf.example", "b@paypal.example"), .reject_failures = true,
      .tempfail = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example",
      .spf = "none" },
    { "no record: accept", BOTH, FROM("a@norecord.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "norecord.example none absent none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },

    /* RejectString: its %s is the From domain; the default names the
       domain of the record */
    { "a subdomain's reject names the record's domain by default", BOTH,
      FROM("a@sub.paypal.example"), .reject_failures = true,
      .stage = MSG_DONE, .verdict = "sub.paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "RejectString: %s is the From domain", BOTH,
      FROM("a@sub.paypal.example"), .reject_failures = true,
      .reject_string = "mail claiming to be from %s is refused (DMARC)",
      .stage = MSG_DONE, .verdict = "sub.paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = "mail claiming to be from "
      "sub.paypal.example is refused (DMARC)", .spf = "none" },
    { "RejectString without %s", BOTH, FROM("a@paypal.example"),
      .reject_failures = true, .reject_string = "go away",
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT, .reply = "go away", .spf = "none" },
    { "RejectString with a second %s is not used", BOTH,
      FROM("a@paypal.example"), .reject_failures = true,
      .reject_string = "%s %s", .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "RejectString does not word a quarantine", BOTH,
      FROM("a@quar.example"), .reject_failures = true, .hold = true,
      .reject_string = "no %s", .stage = MSG_DONE,
      .verdict = "quar.example fail quarantine quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for quar.example",
      .spf = "none" },
    { "RejectString names the stand-in domain", BOTH, .n_from = 0,
      .mailfrom = "sub.paypal.example", .reject_failures = true,
      .reject_string = "no From, and %s may not send", .stage = MSG_DONE,
      .verdict = "sub.paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "no From, and sub.paypal.example may not send",
      .spf = "none", .standin = "mailfrom" },

    /* CopyFailuresTo: a quarantine or reject failure that is kept */
    { "CopyFailuresTo: a reject failure left alone", BOTH,
      FROM("a@paypal.example"), .copy_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none", .copy = true },
    { "CopyFailuresTo: a held quarantine failure", BOTH,
      FROM("a@quar.example"), .copy_failures = true,
      .reject_failures = true, .hold = true, .stage = MSG_DONE,
      .verdict = "quar.example fail quarantine quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for quar.example",
      .spf = "none", .copy = true },
    { "CopyFailuresTo: not for a refused message", BOTH,
      FROM("a@paypal.example"), .copy_failures = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "CopyFailuresTo: not for a p=none failure", BOTH,
      FROM("a@none.example"), .copy_failures = true, .stage = MSG_DONE,
      .verdict = "none.example fail none none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "CopyFailuresTo: not for a pass", BOTH, FROM("a@paypal.example"),
      .ar_dkim = { PASS("paypal.example") }, .copy_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example pass reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none" },
    { "CopyFailuresTo unset: no copy", BOTH, FROM("a@paypal.example"),
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none" },

    /* the ARC override (DomainWhitelist): reject and quarantine */
    { "ARC pass, every sealer listed: a reject is accepted", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example"),
      .sealers = "lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none", .overridden = true },
    { "ARC pass, two sealers, both listed", BOTH, FROM("a@paypal.example"),
      .arc = PASS("lists.example:Relay.Example."),
      .sealers = "relay.example lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none", .overridden = true },
    { "ARC pass, a quarantine is accepted too (OpenDMARC's develop)", BOTH,
      FROM("a@quar.example"), .arc = PASS("lists.example"),
      .sealers = "lists.example", .reject_failures = true, .hold = true,
      .stage = MSG_DONE, .verdict = "quar.example fail quarantine none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none", .overridden = true },
    { "ARC pass, one of two sealers not listed: no override", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example:evil.example"),
      .sealers = "lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "ARC pass with an empty chain: no override", BOTH,
      FROM("a@paypal.example"), .arc = PASS(""), .sealers = "lists.example",
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "ARC pass with a malformed chain: no override", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example::"),
      .sealers = "lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "ARC fail: no override", BOTH, FROM("a@paypal.example"),
      .arc = FAIL("lists.example"), .sealers = "lists.example",
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "ARC pass, nothing listed: no override", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example"),
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for paypal.example", .spf = "none" },
    { "ARC pass on a DMARC pass: nothing to set aside", BOTH,
      FROM("a@paypal.example"), .ar_dkim = { PASS("paypal.example") },
      .arc = PASS("lists.example"), .sealers = "lists.example",
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example pass reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none" },
    { "ARC pass on a p=none failure: nothing to set aside", BOTH,
      FROM("a@none.example"), .arc = PASS("lists.example"),
      .sealers = "lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "none.example fail none none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none" },
    { "ARC override without RejectFailures: accept, not continue", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example"),
      .sealers = "lists.example", .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none", .overridden = true },
    { "ARC override: the failure is still copied", BOTH,
      FROM("a@paypal.example"), .arc = PASS("lists.example"),
      .sealers = "lists.example", .copy_failures = true,
      .reject_failures = true, .stage = MSG_DONE,
      .verdict = "paypal.example fail reject none", .action = ENF_ACCEPT,
      .reply = "", .spf = "none", .overridden = true, .copy = true },
    { "ARC override of a stand-in author domain", BOTH, .n_from = 0,
      .mailfrom = "paypal.example", .arc = PASS("lists.example"),
      .sealers = "lists.example", .reject_failures = true,
      .stage = MSG_DONE, .verdict = "paypal.example fail reject none",
      .action = ENF_ACCEPT, .reply = "", .spf = "none",
      .standin = "mailfrom", .overridden = true },

    /* where the specifications differ, the sample reaches the engine */
    { "RFC 7489: pct=0 sampled out to quarantine", M7489,
      FROM("a@pct0.example"), .reject_failures = true, .hold = true,
      .sample = 0, .stage = MSG_DONE,
      .verdict = "pct0.example fail reject quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for pct0.example",
      .spf = "none" },
    { "RFC 7489: pct=50, sample 49: in", M7489, FROM("a@pct50.example"),
      .reject_failures = true, .hold = true, .sample = 49,
      .stage = MSG_DONE, .verdict = "pct50.example fail reject reject",
      .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for pct50.example", .spf = "none" },
    { "RFC 7489: pct=50, sample 50: out", M7489, FROM("a@pct50.example"),
      .reject_failures = true, .hold = true, .sample = 50,
      .stage = MSG_DONE, .verdict = "pct50.example fail reject quarantine",
      .action = ENF_QUARANTINE,
      .reply = "quarantined by DMARC policy for pct50.example",
      .spf = "none" },
    { "RFC 9989: pct is not read", M9989, FROM("a@pct0.example"),
      .reject_failures = true, .hold = true, .sample = 0, .stage = MSG_DONE,
      .verdict = "pct0.example fail reject reject", .action = ENF_REJECT,
      .reply = "rejected by DMARC policy for pct0.example", .spf = "none" },
};

static struct od_list *psl;
static int spf_calls;

static bool
test_ignored(void *arg, const char *domain)
{
    const char *list = arg;
    size_t len = strlen(domain);

    /* Whole words of the space-separated list, as the reader keeps them. */
    for (const char *p = list; p != NULL && *p != '\0';) {
        size_t n = strcspn(p, " ");

        if (n == len && strncasecmp(p, domain, len) == 0)
            return true;
        p += n + (p[n] == ' ');
    }
    return false;
}

static bool
test_own_spf(void *arg, struct msg_spf *out)
{
    const struct msg_case *c = arg;

    spf_calls++;
    if (c->self_spf.domain == NULL)
        return false;
    out->result = c->self_spf.r;
    snprintf(out->domain, sizeof(out->domain), "%s", c->self_spf.domain);
    out->helo = c->self_spf_helo;
    return true;
}

static size_t
fill_auth(const struct auth *a, size_t max, struct dm_auth_id *out)
{
    size_t n = 0;

    for (; n < max && a[n].domain != NULL; n++) {
        memset(&out[n], 0, sizeof(out[n]));
        out[n].result = a[n].r;
        snprintf(out[n].domain, sizeof(out[n].domain), "%s", a[n].domain);
    }
    return n;
}

/* The counts the milter makes: every From field, then the others. */
static void
fill_counts(const struct msg_case *c, struct rh_counts *counts)
{
    char fields[128], *save = NULL;

    memset(counts, 0, sizeof(*counts));
    for (size_t i = 0; i < c->n_from + c->from_over; i++)
        rh_count(counts, "From");
    snprintf(fields, sizeof(fields), "%s", c->fields ? c->fields : "Date");
    for (char *f = strtok_r(fields, " ", &save); f != NULL;
         f = strtok_r(NULL, " ", &save))
        rh_count(counts, f);
}

static void
fill_options(const struct msg_case *c, enum dm_spec spec,
             struct msg_options *opt)
{
    memset(opt, 0, sizeof(*opt));
    opt->spec = spec;
    opt->required_headers = c->required_headers;
    opt->reject_multi_from = c->multi_reject;
    opt->spf_ignore_results = c->spf_ignore;
    opt->spf_self_validate = c->spf_self;
    opt->trust_received_spf = c->trust_rspf;
    if (c->ignore != NULL) {
        opt->ignore_mailfrom = test_ignored;
        opt->ignore_arg = (void *)c->ignore;
    }
    opt->enf.reject_failures = c->reject_failures;
    opt->enf.hold_quarantined = c->hold;
    opt->enf.tempfail_temperror = c->tempfail;
    opt->required_from = c->required_from;
    opt->enf.reject_string = c->reject_string;
    opt->enf.copy_failures = c->copy_failures;
    if (c->sealers != NULL) {
        opt->arc_sealer = test_ignored;     /* the same word-list test */
        opt->arc_arg = (void *)c->sealers;
    }
}

/* What became of the Received-SPF field, as the milter logs it. */
static void
check_rspf(const struct msg_case *c, const char *what,
           const struct msg_outcome *out)
{
    is_int(out->rspf, c->rspf_fate, "%s: Received-SPF fate", what);
    ok(out->spf_received == (c->rspf_fate == MSG_RSPF_USED),
       "%s: the SPF result is the field's only when used", what);
    if (c->rspf_fate == MSG_RSPF_USED)
        is_str(out->spf.domain, c->spf_domain, "%s: its SPF domain", what);
    if (c->rspf_fate == MSG_RSPF_REFUSED)
        is_str(rs_status_name(out->rspf_status),
               rs_status_name(c->rspf_status), "%s: why refused", what);
    if (c->rspf_fate == MSG_RSPF_MISMATCH)
        is_str(rs_match_name(out->rspf_match), rs_match_name(c->rspf_match),
               "%s: why not this session's", what);
}

static void
check_done(const struct msg_case *c, const char *what, enum dm_spec spec,
           const struct msg_outcome *out)
{
    const struct dm_verdict *v = &out->verdict;
    char got[512];

    snprintf(got, sizeof(got), "%s %s %s %s", v->from_domain,
             dm_result_name(v->result), dm_policy_name(v->policy),
             dm_disposition_name(v->disposition));
    is_str(got, c->verdict, "%s: verdict", what);
    is_int(v->skip, DM_SKIP_NONE, "%s: evaluated", what);
    is_int(v->spec, spec, "%s: the specification applied", what);
    is_str(enf_action_name(out->decision.action),
           enf_action_name(c->action), "%s: action", what);
    snprintf(got, sizeof(got), "%s%s%s",
             out->have_spf ? dm_auth_name(out->spf.result) : "none",
             out->spf_self ? "(self)" : "",
             out->spf_received ? "(received-spf)" : "");
    is_str(got, c->spf, "%s: SPF used", what);
    ok(out->spf_helo == (out->spf_self && c->self_spf_helo),
       "%s: HELO identity flag", what);
    if (out->spf_self)
        is_str(out->spf.domain, c->self_spf.domain, "%s: SPF domain", what);
    check_rspf(c, what, out);
}

/* The Received-SPF field and the session, as the milter gathers them. */
static void
fill_session(const struct msg_case *c, struct msg_input *in)
{
    in->received_spf = c->rspf;
    in->received_spf_lost = c->rspf_lost;
    in->authenticated = c->authenticated;
    in->session.client_ip = c->client_ip ? c->client_ip : LEGIT;
    in->session.null_sender = c->null_sender;
    in->session.mailfrom_domain = c->null_sender ? ""
        : c->mailfrom ? c->mailfrom : "paypal.example";
    in->session.helo_domain = c->helo ? c->helo : "mx.paypal.example";
}

/*
 * The stand-in author domain's sources, read by the screen: only what a
 * case names (fill_session's defaults would make every case without a
 * From field a stand-in).
 */
static void
fill_standin(const struct msg_case *c, struct msg_input *in)
{
    in->mailfrom_domain = c->null_sender || c->mailfrom == NULL
        ? "" : c->mailfrom;
    in->helo_domain = c->helo != NULL ? c->helo : "";
}

/* The stand-in, the ARC override and CopyFailuresTo. */
static void
check_local(const struct msg_case *c, const char *what,
            const struct msg_outcome *out)
{
    const struct dm_verdict *v = &out->verdict;
    const char *standin = !v->from_standin ? NULL
        : v->standin_helo ? "helo" : "mailfrom";

    is_str(standin ? standin : "(none)", c->standin ? c->standin : "(none)",
           "%s: stand-in author domain", what);
    is_str(dm_override_name(v->override),
           c->overridden ? "arc" : "none", "%s: override", what);
    is_int(out->decision.copy, c->copy, "%s: CopyFailuresTo", what);
    if (c->overridden)
        ok(!out->decision.unenforced, "%s: an override is an accept, not a "
           "failure left alone", what);
}

/* Screen, and evaluate when the screen lets it through, as the milter. */
static void
run(const struct msg_case *c, enum dm_spec spec)
{
    struct msg_input in;
    struct msg_options opt;
    struct msg_outcome out;
    struct art_claims claims;
    struct dm_auth_id self_dkim[3];
    char what[256];

    snprintf(what, sizeof(what), "%s [%s]", c->name, dm_spec_name(spec));
    memset(&in, 0, sizeof(in));
    in.from = c->from;
    in.n_from = c->n_from;
    in.from_over = c->from_over;
    fill_counts(c, &in.counts);
    fill_standin(c, &in);
    fill_options(c, spec, &opt);
    lookups = 0;
    spf_calls = 0;
    if (msg_screen(&in, &opt, &out) == MSG_EVALUATE) {
        memset(&claims, 0, sizeof(claims));
        claims.have_spf = c->ar_spf.domain != NULL;
        fill_auth(&c->ar_spf, 1, &claims.spf);
        claims.n_dkim = fill_auth(c->ar_dkim, 3, claims.dkim);
        claims.have_arc = c->arc.domain != NULL;
        claims.arc = c->arc.r;
        snprintf(claims.arc_chain, sizeof(claims.arc_chain), "%s",
                 c->arc.domain ? c->arc.domain : "");
        in.claims = &claims;
        fill_session(c, &in);
        in.own_spf = test_own_spf;
        in.own_spf_arg = (void *)c;
        in.dkim_self = c->dkim_self;
        in.dkim = self_dkim;
        in.n_dkim = fill_auth(c->self_dkim, 3, self_dkim);
        in.sample = c->sample;
        in.dns = &dns;
        in.psl = psl;
        is_int(msg_evaluate(&in, &opt, &out), MSG_DONE, "%s: done", what);
    }
    is_int(out.stage, c->stage, "%s: stage", what);
    is_int(spf_calls, c->spf_calls, "%s: our SPF checks", what);
    if (out.stage == MSG_DONE && c->stage == MSG_DONE) {
        check_done(c, what, spec, &out);
        check_local(c, what, &out);
    }
    if (out.stage != MSG_DONE)
        is_int(lookups, 0, "%s: no DNS query before evaluation", what);
    if (c->stage == MSG_REJECT) {
        is_str(out.reason, c->reason, "%s: log reason", what);
        is_str(out.decision.rcode, "550", "%s: 550", what);
        is_str(out.decision.xcode, "5.7.1", "%s: 5.7.1", what);
        is_int(out.decision.action, ENF_REJECT, "%s: reject", what);
    }
    if (c->stage == MSG_SKIP) {
        is_int(out.skip, c->skip, "%s: skip reason", what);
        is_str(out.detail, c->reason, "%s: skip detail", what);
        ok(out.verdict.skip == c->skip && out.verdict.from_domain[0] == '\0',
           "%s: the skipped verdict names no domain", what);
    }
    if (c->stage != MSG_SKIP)
        is_str(out.decision.text, c->reply, "%s: reply text", what);
}

int
main(void)
{
    char err[256];

    psl = od_open(NULL, err, sizeof(err));
    if (!ok(psl != NULL, "PSL loads: %s", psl ? "yes" : err))
        return done_testing();
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
        if (cases[i].modes & M7489)
            run(&cases[i], DM_SPEC_RFC7489);
        if (cases[i].modes & M9989)
            run(&cases[i], DM_SPEC_RFC9989);
    }
    od_close(psl);
    return done_testing();
}
