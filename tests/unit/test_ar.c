/* test_ar.c: the Authentication-Results parser, RFC 8601 and real writers. */
#include <config.h>

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/ar_parse.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* About 100 KB: on the heap, as callers do. */
static struct ar_header *h;

static bool
parse(const char *s)
{
    return ar_parse(s, strlen(s), h);
}

static const char *
prop(size_t i, const char *ptype, const char *name)
{
    if (i >= h->nresults)
        return NULL;
    return ar_prop_get(&h->results[i], ptype, name);
}

/* One result: method, result word and the property most tests look at. */
static void
is_result(size_t i, const char *method, const char *word, const char *what)
{
    if (!ok(i < h->nresults, "%s: result %zu exists", what, i))
        return;
    is_str(h->results[i].method, method, "%s: method %zu", what, i);
    is_str(h->results[i].result_word, word, "%s: result word %zu", what, i);
}

static void
test_rfc8601(void)
{
    /* B.2: service provided, no authentication done. */
    ok(parse("example.org 1; none"), "B.2 parses");
    is_str(h->authserv_id, "example.org", "B.2 authserv-id");
    is_int(h->version, 1, "B.2 version");
    is_int(h->nresults, 0, "B.2 no result");

    /* B.3 */
    ok(parse("example.com;\r\n          spf=pass smtp.mailfrom=example.net"),
       "B.3 parses");
    is_str(h->authserv_id, "example.com", "B.3 authserv-id");
    is_int(h->nresults, 1, "B.3 one result");
    is_result(0, "spf", "pass", "B.3");
    is_int(h->results[0].result, DM_AUTH_PASS, "B.3 enum");
    ok(h->results[0].known_result, "B.3 known result");
    is_str(prop(0, "smtp", "mailfrom"), "example.net", "B.3 smtp.mailfrom");

    /* B.4, first field. */
    ok(parse("example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.net;"
             "\r\n          spf=pass smtp.mailfrom=example.net"), "B.4a parses");
    is_int(h->nresults, 2, "B.4a two results");
    is_result(0, "auth", "pass", "B.4a");
    is_str(prop(0, "smtp", "auth"), "sender@example.net", "B.4a smtp.auth");
    is_result(1, "spf", "pass", "B.4a");
    is_str(prop(1, "smtp", "mailfrom"), "example.net", "B.4a smtp.mailfrom");

    /* B.4, second field. */
    ok(parse("example.com; iprev=pass\r\n          policy.iprev=192.0.2.200"),
       "B.4b parses");
    is_result(0, "iprev", "pass", "B.4b");
    is_str(prop(0, "policy", "iprev"), "192.0.2.200", "B.4b policy.iprev");

    /* B.5 */
    ok(parse("example.com;\r\n          dkim=pass (good signature) header.d=example.com"),
       "B.5a parses");
    is_result(0, "dkim", "pass", "B.5a");
    is_str(prop(0, "header", "d"), "example.com", "B.5a header.d");
    ok(parse("example.com;\r\n          auth=pass (cram-md5) smtp.auth=sender@example.com;"
             "\r\n          spf=fail smtp.mailfrom=example.com"), "B.5b parses");
    is_int(h->nresults, 2, "B.5b two results");
    is_result(1, "spf", "fail", "B.5b");
    is_int(h->results[1].result, DM_AUTH_FAIL, "B.5b enum fail");

    /* B.6 */
    ok(parse("example.com;\r\n      dkim=pass reason=\"good signature\"\r\n"
             "        header.i=@mail-router.example.net;\r\n"
             "      dkim=fail reason=\"bad signature\"\r\n"
             "        header.i=@newyork.example.com"), "B.6a parses");
    is_int(h->nresults, 2, "B.6a two results");
    is_result(0, "dkim", "pass", "B.6a");
    is_str(prop(0, "header", "i"), "@mail-router.example.net", "B.6a header.i 0");
    is_int(h->results[0].nprops, 1, "B.6a reason is not a property");
    is_result(1, "dkim", "fail", "B.6a");
    is_str(prop(1, "header", "i"), "@newyork.example.com", "B.6a header.i 1");
    ok(parse("example.net;\r\n      dkim=pass (good signature) header.i=@newyork.example.com"),
       "B.6b parses");
    is_str(prop(0, "header", "i"), "@newyork.example.com", "B.6b header.i");

    /* B.7: a comment between every two items. */
    ok(parse("foo.example.net (foobar) 1 (baz);\r\n"
             "    dkim (Because I like it) / 1 (One yay) = (wait for it) fail\r\n"
             "      policy (A dot can go here) . (like that) expired\r\n"
             "      (this surprised me) = (as I wasn't expecting it) 1362471462"),
       "B.7 parses");
    is_str(h->authserv_id, "foo.example.net", "B.7 authserv-id");
    is_int(h->version, 1, "B.7 version");
    is_int(h->nresults, 1, "B.7 one result");
    is_result(0, "dkim", "fail", "B.7");
    is_str(prop(0, "policy", "expired"), "1362471462", "B.7 policy.expired");
}

static void
test_writers(void)
{
    /* opendkim */
    ok(parse("mx.example.net; dkim=pass (2048-bit key; unprotected) "
             "header.d=example.com header.i=@example.com header.b=\"AbCdEf12\""),
       "opendkim parses");
    is_int(h->nresults, 1, "opendkim: the comment's ';' does not split");
    is_result(0, "dkim", "pass", "opendkim");
    is_int(h->results[0].nprops, 3, "opendkim: three properties");
    is_str(prop(0, "header", "d"), "example.com", "opendkim header.d");
    is_str(prop(0, "header", "i"), "@example.com", "opendkim header.i");
    is_str(prop(0, "header", "b"), "AbCdEf12", "opendkim header.b unquoted");

    /* postfix-policyd-spf-python */
    ok(parse("mx.test; spf=pass (sender SPF authorized) smtp.mailfrom=paypal.com "
             "(client-ip=192.0.2.10; helo=vm; envelope-from=help@paypal.com; "
             "receiver=recipient.test)"), "policyd-spf parses");
    is_int(h->nresults, 1, "policyd-spf: one result");
    is_result(0, "spf", "pass", "policyd-spf");
    is_int(h->results[0].nprops, 1, "policyd-spf: one property");
    is_str(prop(0, "smtp", "mailfrom"), "paypal.com", "policyd-spf smtp.mailfrom");

    /* OpenDMARC 1.4.2 */
    ok(parse("mx.test; dmarc=fail (p=reject dis=none) header.from=paypal.com"),
       "OpenDMARC parses");
    is_result(0, "dmarc", "fail", "OpenDMARC");
    is_str(prop(0, "header", "from"), "paypal.com", "OpenDMARC header.from");

    /* A full address as the value. */
    ok(parse("mx.test; spf=pass smtp.mailfrom=user@paypal.com"), "address value parses");
    is_str(prop(0, "smtp", "mailfrom"), "user@paypal.com", "full address kept whole");

    /* Gmail style: several methods, unquoted base64 with "/" and "+". */
    ok(parse("mx.google.com;\r\n       dkim=pass header.i=@example.com "
             "header.s=20230601 header.b=gfT/i2H+;\r\n       spf=pass "
             "(google.com: domain of x@example.com designates 192.0.2.1 as "
             "permitted sender) smtp.mailfrom=x@example.com;\r\n       dmarc=pass "
             "(p=NONE sp=NONE dis=NONE) header.from=example.com"), "Gmail parses");
    is_int(h->nresults, 3, "Gmail: three results");
    is_str(prop(0, "header", "b"), "gfT/i2H+", "unquoted base64 header.b");
    is_result(2, "dmarc", "pass", "Gmail");

    /* OpenDMARC 1.4.2 with AuthservIDWithJobID, unquoted, and develop's. */
    ok(parse("mx.example.com/4Q1x2; dmarc=pass header.from=a.example"),
       "unquoted job id parses");
    is_str(h->authserv_id, "mx.example.com/4Q1x2", "unquoted job id kept");
    ok(parse("\"mx.example.com/123\"; dmarc=pass header.from=a.example"),
       "quoted authserv-id parses");
    is_str(h->authserv_id, "mx.example.com/123", "quotes removed from authserv-id");

    /* OpenARC's FinalReceiver: an IPv6 address and the sealers, ':' apart. */
    ok(parse("lists.example.org; arc=pass smtp.remote-ip=2001:db8::25 "
             "arc.chain=example.com:lists.example.net"), "OpenARC parses");
    is_result(0, "arc", "pass", "OpenARC");
    is_str(prop(0, "smtp", "remote-ip"), "2001:db8::25", "unquoted IPv6");
    is_str(prop(0, "arc", "chain"), "example.com:lists.example.net",
           "arc.chain kept whole");
    ok(parse("lists.example.org; arc=pass smtp.remote-ip="
             "\"2a01:111:f403:2414::612\" arc.chain=microsoft.com"),
       "OpenARC with a quoted address parses");
    is_str(prop(0, "arc", "chain"), "microsoft.com", "one sealer");
    ok(parse("mx; spf=pass smtp.mailfrom=user@host:25; dkim=pass header.d=a.example"),
       "a ':' after an address domain");
    is_int(h->nresults, 1, "that result dropped, the next one kept");
    is_result(0, "dkim", "pass", "after a ':' in an address");

    /* SRS and VERP senders hold "=". */
    ok(parse("mx; spf=pass smtp.mailfrom=SRS0=HhH=TT=example.com=user@fwd.example"),
       "SRS sender parses");
    is_str(prop(0, "smtp", "mailfrom"), "SRS0=HhH=TT=example.com=user@fwd.example",
           "SRS sender kept");

    /* Office 365 writes no authserv-id: refused. */
    ok(!parse("spf=pass (sender IP is 192.0.2.1) smtp.mailfrom=example.com; "
              "dkim=pass (signature was verified) header.d=example.com;"
              "dmarc=pass action=none header.from=example.com;compauth=pass reason=100"),
       "Office 365 without authserv-id refused");
    is_str(h->authserv_id, "", "refused: no authserv-id left");
    is_int(h->nresults, 0, "refused: no result left");
}

static void
test_syntax(void)
{
    ok(parse("x; none"), "x; none");
    is_str(h->authserv_id, "x", "x; none: authserv-id");
    is_int(h->nresults, 0, "x; none: no results");

    ok(parse("  (leading) mx.example.net(c) 1(c);(c)none(c)"), "none with comments");
    is_str(h->authserv_id, "mx.example.net", "authserv-id before comment");

    ok(parse("MX.Example.COM; SPF=PASS SMTP.MailFrom=User@Example.COM"), "mixed case");
    is_str(h->authserv_id, "MX.Example.COM", "authserv-id case kept");
    is_result(0, "spf", "pass", "mixed case lowered");
    is_str(h->results[0].props[0].ptype, "smtp", "ptype lowered");
    is_str(h->results[0].props[0].name, "mailfrom", "property lowered");
    is_str(h->results[0].props[0].value, "User@Example.COM", "value case kept");

    ok(parse("mx.example.net;\r\n\tspf=pass smtp.mailfrom=a.example;\r\n\tdkim=pass\r\n"
             "\t header.d=b.example\r\n\t header.s=sel"), "folded CRLF");
    is_int(h->nresults, 2, "folded: two results");
    is_str(prop(1, "header", "d"), "b.example", "folded: header.d");
    is_str(prop(1, "header", "s"), "sel", "folded: header.s");
    ok(parse("mx;\n\tdkim=pass\n\theader.d=c.example"), "folded LF only");
    is_str(prop(0, "header", "d"), "c.example", "LF fold: header.d");
    ok(parse("mx; dkim=pass header.b=\"ab\r\n cd\""), "fold inside quotes");
    is_str(prop(0, "header", "b"), "ab cd", "fold removed from quoted value");

    ok(parse("mx; dkim/1=pass header.d=a.example"), "method version");
    is_result(0, "dkim", "pass", "method version dropped from name");
    ok(parse("mx; dkim/x=pass header.d=a.example; spf=pass smtp.mailfrom=b.example"),
       "bad method version");
    is_int(h->nresults, 1, "bad method version: result dropped");
    is_result(0, "spf", "pass", "bad method version: next kept");

    ok(parse("mx 2; spf=pass smtp.mailfrom=a.example"), "version 2");
    is_int(h->version, 2, "version 2 reported");
    ok(!parse("mx 1234567890; none"), "absurd version refused");

    ok(parse("mx; x-custom=ok header.x=1"), "unknown method");
    is_result(0, "x-custom", "ok", "unknown method kept");
    ok(!h->results[0].known_result, "unknown result word");
    is_int(h->results[0].result, DM_AUTH_NONE, "unknown result word is NONE");

    ok(parse("mx; spf=hardfail; spf=softfail; spf=neutral; spf=temperror; "
             "spf=permerror; dkim=policy; dkim=none; spf=tempfail"), "result words");
    is_int(h->nresults, 8, "result words: eight results");
    is_int(h->results[0].result, DM_AUTH_FAIL, "hardfail is fail");
    is_int(h->results[1].result, DM_AUTH_SOFTFAIL, "softfail");
    is_int(h->results[2].result, DM_AUTH_NEUTRAL, "neutral");
    is_int(h->results[3].result, DM_AUTH_TEMPERROR, "temperror");
    is_int(h->results[4].result, DM_AUTH_PERMERROR, "permerror");
    is_int(h->results[5].result, DM_AUTH_POLICY, "policy");
    is_int(h->results[6].result, DM_AUTH_NONE, "none");
    ok(h->results[6].known_result, "none is known");
    is_int(h->results[7].result, DM_AUTH_TEMPERROR, "tempfail is temperror");
    is_str(h->results[0].result_word, "hardfail", "result word as written");

    ok(parse("mx; dkim=none"), "result without properties");
    is_int(h->results[0].nprops, 0, "no properties");
    ok(parse("mx; spf=pass smtp.mailfrom=a.example;"), "trailing semicolon");
    is_int(h->nresults, 1, "trailing semicolon: one result");
    ok(parse("mx; ; ;spf=pass smtp.mailfrom=a.example"), "empty results");
    is_int(h->nresults, 1, "empty results skipped");

    ok(parse("mx; dkim=pass header . d = a.example"), "CFWS around dot and equals");
    is_str(prop(0, "header", "d"), "a.example", "CFWS around dot: value");
    ok(parse("mx; dkim=pass header.b=\"a\\\"b\\\\\""), "quoted pairs in value");
    is_str(prop(0, "header", "b"), "a\"b\\", "quoted pairs removed");
    ok(parse("mx; spf=pass smtp.mailfrom=\"john doe\"@example.com"), "quoted local part");
    is_str(prop(0, "smtp", "mailfrom"), "john doe@example.com", "quoted local part value");
    ok(parse("mx; dkim=pass header.i=Pel\xc3\xa9@example.com"), "UTF-8 value");
    is_str(prop(0, "header", "i"), "Pel\xc3\xa9@example.com", "UTF-8 value kept");
    ok(parse("mx; dkim=pass header.d=a.example reason=\"late\""), "reason after props");
    is_int(h->results[0].nprops, 1, "late reason not a property");
    ok(parse("mx; dmarc=pass reason=100 header.from=a.example"), "unquoted reason");
    is_str(prop(0, "header", "from"), "a.example", "unquoted reason: property");

    /* Semicolons inside quotes and comments never split results. */
    ok(parse("mx; dkim=pass reason=\"a; b\" header.d=a.example (c; d); "
             "spf=pass smtp.mailfrom=b.example"), "semicolons in quotes and comments");
    is_int(h->nresults, 2, "semicolons in quotes: two results");
    is_str(prop(0, "header", "d"), "a.example", "semicolons in quotes: header.d");
}

static void
test_drop(void)
{
    /* Bad results are dropped; parsing goes on after the next ";". */
    ok(parse("mx; dmarc=pass action=none header.from=a.example; "
             "spf=pass smtp.mailfrom=b.example"), "Microsoft-style action=");
    is_int(h->nresults, 1, "action= drops its result");
    is_result(0, "spf", "pass", "action=: next kept");
    ok(parse("mx; @@@; spf=pass smtp.mailfrom=a.example"), "garbage result");
    is_int(h->nresults, 1, "garbage result dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=a@b@c.example"), "two at signs");
    is_int(h->nresults, 0, "two at signs dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=a@b/c"), "bad domain after at");
    is_int(h->nresults, 0, "bad domain dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=a@"), "empty domain after at");
    is_int(h->nresults, 0, "empty domain dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=\"a\"@"), "empty domain after quoted");
    is_int(h->nresults, 0, "empty domain after quoted dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=<a@b.example>"), "angle brackets");
    is_int(h->nresults, 0, "angle brackets dropped");
    ok(parse("mx; spf=pass smtp.mailfrom=a\x01" "b"), "control character");
    is_int(h->nresults, 0, "control character dropped");
    ok(parse("mx; dkim=pass header.b=\"a\x1b" "b\"; spf=pass smtp.mailfrom=a.example"),
       "control character in quoted value");
    is_int(h->nresults, 1, "control character in quotes: result dropped");
    is_result(0, "spf", "pass", "control character in quotes: next kept");
    ok(parse("mx; dkim=pass header.b=\"a\\\r" "b\""), "quoted CR");
    is_int(h->nresults, 0, "quoted CR dropped");
    ok(parse("mx; dkim=pass header.d=\"a\"\"b\""), "two quoted strings");
    is_int(h->nresults, 0, "two quoted strings dropped");
    ok(parse("mx; spf pass"), "no equals");
    is_int(h->nresults, 0, "no equals dropped");
    ok(parse("mx; dkim=pass header=a.example"), "property without ptype");
    is_int(h->nresults, 0, "property without ptype dropped");
    ok(parse("mx; dkim=pass header.d="), "empty value");
    is_int(h->nresults, 0, "empty value dropped");

    /* CVE-2020-12272: a value glued to a comment is not the value. */
    ok(parse("mx; dkim=pass header.d=example.net(.example.com"),
       "CVE-2020-12272 unterminated");
    is_int(h->nresults, 0, "CVE-2020-12272 unterminated: dropped");
    ok(parse("mx; dkim=pass header.d=example.net(.example.com)"),
       "CVE-2020-12272 terminated");
    is_int(h->nresults, 0, "CVE-2020-12272 terminated: dropped");
    ok(parse("mx; dkim=pass header.d=example.net(.example.com); "
             "spf=pass smtp.mailfrom=example.com"), "CVE-2020-12272 then more");
    is_int(h->nresults, 1, "CVE-2020-12272: only the next result");
    is_result(0, "spf", "pass", "CVE-2020-12272: next kept");
    ok(parse("mx; dkim=pass header.d=@example.net(.example.com)"),
       "CVE-2020-12272 with at");
    is_int(h->nresults, 0, "CVE-2020-12272 with at: dropped");
    ok(parse("mx; dkim=pass header.i=\"u\"@example.net(.example.com)"),
       "CVE-2020-12272 after quoted local part");
    is_int(h->nresults, 0, "CVE-2020-12272 after quoted local part: dropped");
    ok(parse("mx; dkim=pass header.d=example.net (a comment)"), "spaced comment");
    is_str(prop(0, "header", "d"), "example.net", "spaced comment: value");
    ok(parse("mx; dkim=pass header.d=\"example.net(.example.com\""), "quoted parenthesis");
    is_str(prop(0, "header", "d"), "example.net(.example.com",
           "quoted parenthesis kept as written");

    /* Unterminated quotes and comments end the parse where they start. */
    ok(parse("mx; spf=pass smtp.mailfrom=a.example; dkim=pass header.d=\"evil.example"),
       "unterminated quote in value");
    is_int(h->nresults, 1, "unterminated quote: earlier result kept");
    is_result(0, "spf", "pass", "unterminated quote: the spf result");
    ok(parse("mx; dkim=pass (x header.d=a.example; spf=pass smtp.mailfrom=b.example"),
       "unterminated comment swallows the rest");
    is_int(h->nresults, 0, "unterminated comment: nothing");
    ok(parse("mx; spf=pass smtp.mailfrom=a\"b; dkim=pass header.d=victim.example\""),
       "quote glued to a value");
    is_int(h->nresults, 0, "quote glued: the quoted text is not a result");
    ok(parse("mx; dkim=pass header.d=a.example;  (open"), "unterminated comment at end");
    is_int(h->nresults, 1, "unterminated comment at end: result kept");
    ok(!parse("\"mx.example.com; spf=pass"), "unterminated quoted authserv-id");
    ok(!parse("mx (comment; spf=pass"), "unterminated comment after authserv-id");
    ok(!parse("mx \\"), "backslash after authserv-id");
}

static void
test_refused(void)
{
    ok(!parse(""), "empty");
    ok(!parse("  \r\n\t"), "white space only");
    ok(!parse("(only a comment)"), "comment only");
    ok(!parse(";;;"), "no authserv-id");
    ok(!parse("; spf=pass"), "missing authserv-id");
    ok(!parse("mx.example.com"), "authserv-id alone");
    ok(!parse("mx.example.com spf=pass"), "missing semicolon");
    ok(!parse("!!!"), "token alone");
    ok(!parse("\x01\x02"), "control characters");
    ok(!parse("\"\"; none"), "empty quoted authserv-id");
    ok(!parse("<mx>; none"), "authserv-id in brackets");
    ok(!parse("\"m\x01x\"; none"), "control character in quoted authserv-id");
    ok(!ar_parse(NULL, 0, h), "NULL value");
    ok(parse("mx(comment); none"), "comment glued to authserv-id is fine");

    /* NUL bytes refuse the field: downstream C strings would stop there. */
    ok(!ar_parse("mx; spf=pass\0 smtp.mailfrom=x", 29, h), "NUL in result");
    ok(!ar_parse("m\0x; none", 9, h), "NUL in authserv-id");
    ok(!ar_parse("mx; dkim=pass header.b=\"a\0b\"", 28, h), "NUL in quoted value");
    ok(!ar_parse("mx; none\0", 9, h), "trailing NUL");
    ok(ar_parse("mx; none\0garbage", 8, h), "bytes past len are not read");
}

static void
test_bounds(void)
{
    char buf[8192 + 256];
    size_t n;

    /* 33 results: the first AR_MAX_RESULTS are kept. */
    n = (size_t)snprintf(buf, sizeof(buf), "mx");
    for (int i = 0; i < 33; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n,
                              "; dkim=pass header.d=d%d.example", i);
    ok(ar_parse(buf, n, h), "33 results parse");
    is_int(h->nresults, AR_MAX_RESULTS, "33 results: 32 kept");
    is_str(prop(0, "header", "d"), "d0.example", "33 results: first");
    is_str(prop(31, "header", "d"), "d31.example", "33 results: 32nd");

    /* A too-long token or value drops the result; one less fits. */
    n = (size_t)snprintf(buf, sizeof(buf), "mx; ");
    memset(buf + n, 'm', AR_TOKEN_MAX - 1);
    n += AR_TOKEN_MAX - 1;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "=pass");
    ok(ar_parse(buf, n, h) && h->nresults == 1, "63-byte method kept");
    is_int(strlen(h->results[0].method), AR_TOKEN_MAX - 1, "63-byte method whole");
    n = (size_t)snprintf(buf, sizeof(buf), "mx; ");
    memset(buf + n, 'm', AR_TOKEN_MAX);
    n += AR_TOKEN_MAX;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "=pass; spf=pass");
    ok(ar_parse(buf, n, h), "64-byte method parses");
    is_int(h->nresults, 1, "64-byte method dropped");
    is_result(0, "spf", "pass", "64-byte method: next kept");

    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass header.d=");
    memset(buf + n, 'a', AR_VALUE_MAX - 1);
    n += AR_VALUE_MAX - 1;
    ok(ar_parse(buf, n, h) && h->nresults == 1, "255-byte value kept");
    is_int(strlen(prop(0, "header", "d")), AR_VALUE_MAX - 1, "255-byte value whole");
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass header.d=");
    memset(buf + n, 'a', AR_VALUE_MAX);
    n += AR_VALUE_MAX;
    ok(ar_parse(buf, n, h), "256-byte value parses");
    is_int(h->nresults, 0, "256-byte value drops the result, never truncates");
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass header.b=\"");
    memset(buf + n, 'b', AR_VALUE_MAX);
    n += AR_VALUE_MAX;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "\" header.d=a.example");
    ok(ar_parse(buf, n, h), "256-byte quoted value parses");
    is_int(h->nresults, 0, "256-byte quoted value drops the result");
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass header.");
    memset(buf + n, 'p', AR_TOKEN_MAX);
    n += AR_TOKEN_MAX;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, "=x");
    ok(ar_parse(buf, n, h), "64-byte property name parses");
    is_int(h->nresults, 0, "64-byte property name drops the result");

    memset(buf, 'i', AR_ID_MAX - 1);
    n = AR_ID_MAX - 1 + (size_t)snprintf(buf + AR_ID_MAX - 1, 16, "; none");
    ok(ar_parse(buf, n, h), "255-byte authserv-id");
    memset(buf, 'i', AR_ID_MAX);
    n = AR_ID_MAX + (size_t)snprintf(buf + AR_ID_MAX, 16, "; none");
    ok(!ar_parse(buf, n, h), "256-byte authserv-id refused");

    /* Properties beyond AR_MAX_PROPS are dropped, the result kept. */
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass");
    for (int i = 0; i <= AR_MAX_PROPS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, " header.p%d=v%d", i, i);
    ok(ar_parse(buf, n, h) && h->nresults == 1, "9 properties: result kept");
    is_int(h->results[0].nprops, AR_MAX_PROPS, "9 properties: 8 kept");
    is_str(prop(0, "header", "p7"), "v7", "8th property");
    ok(prop(0, "header", "p8") == NULL, "9th property dropped");

    /* ar_prop_get: first match, case-insensitive, NULL when absent. */
    ok(parse("mx; dkim=pass header.d=first.example header.d=second.example"),
       "repeated property");
    is_str(prop(0, "header", "d"), "first.example", "first match wins");
    is_str(prop(0, "HEADER", "D"), "first.example", "lookup ignores case");
    ok(prop(0, "header", "i") == NULL, "absent property");
    ok(prop(0, "smtp", "d") == NULL, "absent ptype");

    /* Comment nesting: 32 levels, not 33. */
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass ");
    n += fx_nested(buf + n, 32);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, " header.d=a.example");
    ok(ar_parse(buf, n, h) && h->nresults == 1, "32 nested comments");
    n = (size_t)snprintf(buf, sizeof(buf), "mx; dkim=pass ");
    n += fx_nested(buf + n, 33);
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, " header.d=a.example");
    ok(ar_parse(buf, n, h), "33 nested comments: field parses");
    is_int(h->nresults, 0, "33 nested comments: result dropped");

    /* An 8 KiB comment. */
    n = (size_t)snprintf(buf, sizeof(buf), "mx; spf=pass (");
    memset(buf + n, 'c', 8192);
    n += 8192;
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, ") smtp.mailfrom=a.example");
    ok(ar_parse(buf, n, h) && h->nresults == 1, "8 KiB comment");
    is_str(prop(0, "smtp", "mailfrom"), "a.example", "after 8 KiB comment");

    /* Reuse: a second, smaller field leaves nothing of the first. */
    ok(parse("mx; spf=pass smtp.mailfrom=a.example; dkim=pass header.d=b.example"),
       "reuse: first");
    ok(parse("other; none"), "reuse: second");
    is_int(h->nresults, 0, "reuse: results cleared");
    is_str(h->results[0].method, "", "reuse: old result wiped");
}

int
main(void)
{
    h = malloc(sizeof(*h));
    if (h == NULL)
        return 99;
    test_rfc8601();
    test_writers();
    test_syntax();
    test_drop();
    test_refused();
    test_bounds();
    free(h);
    return done_testing();
}
