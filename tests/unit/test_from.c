/* test_from.c: the From field parser against RFC 5322 and hostile input. */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dmarc/from_header.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* A literal with its exact length, so that embedded NULs count. */
#define LIT(s) (s), (sizeof(s) - 1)
#define TXT(s) (s), 0

struct fcase {
    const char *name;
    const char *in;
    size_t len;             /* 0: strlen(in) */
    enum fh_status st;
    size_t count;           /* checked for FH_OK and FH_EMPTY only */
    const char *dom[4];
};

static const struct fcase cases[] = {
    /* The basic forms. */
    { "bare addr-spec", TXT("user@example.com"), FH_OK, 1, { "example.com" } },
    { "name-addr", TXT("Name <u@example.com>"), FH_OK, 1, { "example.com" } },
    { "angle-addr alone", TXT("<u@example.com>"), FH_OK, 1, { "example.com" } },
    { "quoted display name with comma",
      TXT("\"Quoted, Name\" <u@example.com>"), FH_OK, 1, { "example.com" } },
    { "quoted pairs in display name",
      TXT("\"Joe \\\"Q\\\" Public\" <u@example.com>"), FH_OK, 1, { "example.com" } },
    { "escaped backslash before closing quote",
      TXT("\"a\\\\\" <u@d.example>"), FH_OK, 1, { "d.example" } },
    { "quoted display name holding an address",
      TXT("\"a@good.example\" <b@evil.example>"), FH_OK, 1, { "evil.example" } },
    { "comments everywhere",
      TXT("(c1) Name (c2) <(c3) u (c4) @ (c5) example.com (c6)> (c7)"),
      FH_OK, 1, { "example.com" } },
    { "nested comment", TXT("Name (a (b) c) <u@example.com>"), FH_OK, 1,
      { "example.com" } },
    { "comment after addr-spec", TXT("u@example.com (comment)"), FH_OK, 1,
      { "example.com" } },
    { "comment holding brackets and at",
      TXT("u@good.example (<x@evil.example>)"), FH_OK, 1, { "good.example" } },
    { "group", TXT("Undisclosed: a@x.example, b@y.example;"), FH_OK, 2,
      { "x.example", "y.example" } },
    { "empty group", TXT("undisclosed-recipients:;"), FH_EMPTY, 0, { NULL } },
    { "empty group then an address",
      TXT("undisclosed-recipients:;, a@b.example"), FH_OK, 1, { "b.example" } },
    { "address then group",
      TXT("a@x.example, g: b@y.example;"), FH_OK, 2, { "x.example", "y.example" } },
    { "obs-route", TXT("<@a.example,@b.example:u@d.example>"), FH_OK, 1,
      { "d.example" } },
    { "obs-route with empty elements",
      TXT("Name <,@a.example,,@b.example:u@d.example>"), FH_OK, 1, { "d.example" } },
    { "folded display name", TXT("Name\r\n <u@example.com>"), FH_OK, 1,
      { "example.com" } },
    { "fold inside quoted string", TXT("\"Long\r\n\tName\" <u@d.example>"),
      FH_OK, 1, { "d.example" } },
    { "LF-only fold", TXT("Name\n\t<u@x.example>"), FH_OK, 1, { "x.example" } },
    { "encoded word B hiding an address",
      TXT("=?utf-8?B?Zm9vQGV2aWwuZXhhbXBsZQ==?= <u@good.example>"), FH_OK, 1,
      { "good.example" } },
    { "encoded word Q with =40",
      TXT("=?iso-8859-1?Q?a=40b?= <u@d.example>"), FH_OK, 1, { "d.example" } },
    { "two encoded words",
      TXT("=?utf-8?Q?J=C3=B6rg?= =?utf-8?Q?_M=C3=BCller?= <j@m.example>"),
      FH_OK, 1, { "m.example" } },
    { "quoted local part", TXT("\"a b\"@d.example"), FH_OK, 1, { "d.example" } },
    { "quoted word in obs-local-part", TXT("\"a\".b@c.example"), FH_OK, 1,
      { "c.example" } },
    { "dotted local part", TXT("a.b.c@sub.example.com"), FH_OK, 1,
      { "sub.example.com" } },
    { "obs-local-part with CFWS", TXT("john . q @ example.com"), FH_OK, 1,
      { "example.com" } },
    { "trailing dot in local part (docomo)", TXT("foo.@docomo.ne.jp"), FH_OK, 1,
      { "docomo.ne.jp" } },
    { "obs-phrase with dot", TXT("J. Doe <j@x.example>"), FH_OK, 1, { "x.example" } },
    { "upper case domain", TXT("U@EXAMPLE.COM"), FH_OK, 1, { "example.com" } },
    { "trailing dot in domain", TXT("u@example.com."), FH_OK, 1, { "example.com" } },
    { "UTF-8 domain to A-label", TXT("u@b\xc3\xbc" "cher.example"), FH_OK, 1,
      { "xn--bcher-kva.example" } },
    { "UTF-8 display name", TXT("\xc3\xa9milie <e@x.example>"), FH_OK, 1,
      { "x.example" } },
    { "control character inside quotes (obs-qtext)",
      TXT("\"a\x01" "b\" <u@x.example>"), FH_OK, 1, { "x.example" } },
    { "several addresses in order, duplicates kept",
      TXT("a@one.example, b@two.example, c@One.example"), FH_OK, 3,
      { "one.example", "two.example", "one.example" } },
    { "empty elements (obs-addr-list)", TXT(", a@x.example,, ,b@y.example,"),
      FH_OK, 2, { "x.example", "y.example" } },

    /* RFC 5322 Appendix A. */
    { "A.1.1 From", TXT("John Doe <jdoe@machine.example>"), FH_OK, 1,
      { "machine.example" } },
    { "A.1.1 Sender", TXT("Michael Jones <mjones@machine.example>"), FH_OK, 1,
      { "machine.example" } },
    { "A.1.2 From", TXT("\"Joe Q. Public\" <john.q.public@example.com>"), FH_OK, 1,
      { "example.com" } },
    { "A.1.2 To",
      TXT("Mary Smith <mary@x.test>, jdoe@example.org, Who? <one@y.test>"),
      FH_OK, 3, { "x.test", "example.org", "y.test" } },
    { "A.1.2 Cc",
      TXT("<boss@nil.test>, \"Giant; \\\"Big\\\" Box\" <sysservices@example.net>"),
      FH_OK, 2, { "nil.test", "example.net" } },
    { "A.1.3 group",
      TXT("A Group:Ed Jones <c@a.test>,joe@where.test,John <jdoe@one.test>;"),
      FH_OK, 3, { "a.test", "where.test", "one.test" } },
    { "A.1.3 empty group", TXT("Undisclosed recipients:;"), FH_EMPTY, 0, { NULL } },
    { "A.5 From",
      TXT("Pete(A nice \\) chap) <pete(his account)@silly.test(his host)>"),
      FH_OK, 1, { "silly.test" } },
    { "A.5 To",
      TXT("A Group(Some people)\r\n     :Chris Jones <c@(Chris's host.)public.example>,"
          "\r\n         joe@example.org,\r\n  John <jdoe@one.test> (my dear friend);"
          " (the end of the group)"),
      FH_OK, 3, { "public.example", "example.org", "one.test" } },
    { "A.5 Cc",
      TXT("(Empty list)(start)Hidden recipients  :(nobody(that I know))  ;"),
      FH_EMPTY, 0, { NULL } },
    { "A.6.1 From", TXT("Joe Q. Public <john.q.public@example.com>"), FH_OK, 1,
      { "example.com" } },
    { "A.6.1 To",
      TXT("Mary Smith <@node.test:mary@example.net>, , jdoe@test  . example"),
      FH_OK, 2, { "example.net", "test.example" } },
    { "A.6.3 From", TXT("John Doe <jdoe@machine(comment).  example>"), FH_OK, 1,
      { "machine.example" } },
    { "A.6.3 To", TXT("Mary Smith\r\n  \r\n <mary@example.net>"), FH_OK, 1,
      { "example.net" } },

    /* Empty fields. */
    { "empty", TXT(""), FH_EMPTY, 0, { NULL } },
    { "only white space", TXT("   \r\n\t "), FH_EMPTY, 0, { NULL } },
    { "only a comment", TXT(" (nobody) "), FH_EMPTY, 0, { NULL } },
    { "only commas", TXT(" , ,"), FH_EMPTY, 0, { NULL } },

    /* No usable domain. */
    { "domain literal", TXT("u@[192.0.2.1]"), FH_NO_DOMAIN, 0, { NULL } },
    { "IPv6 literal in angle",
      TXT("Name <u@[IPv6:2001:db8::1]>"), FH_NO_DOMAIN, 0, { NULL } },
    { "no at sign", TXT("user"), FH_NO_DOMAIN, 0, { NULL } },
    { "no at sign in angle", TXT("Name <user>"), FH_NO_DOMAIN, 0, { NULL } },
    { "null address", TXT("<>"), FH_NO_DOMAIN, 0, { NULL } },
    { "encoded word alone", TXT("=?utf-8?B?Zm9vQGV2aWwuZXhhbXBsZQ==?="),
      FH_NO_DOMAIN, 0, { NULL } },
    { "unquoted comma in display name", TXT("Doe, John <j@x.example>"),
      FH_NO_DOMAIN, 0, { NULL } },
    { "good address and a domain-less one",
      TXT("a@good.example, user"), FH_NO_DOMAIN, 0, { NULL } },
    { "group member without domain", TXT("g: user;"), FH_NO_DOMAIN, 0, { NULL } },
    { "bad characters in domain", TXT("u@exa!mple.com"), FH_NO_DOMAIN, 0, { NULL } },
    { "leading hyphen in label", TXT("u@-bad.example"), FH_NO_DOMAIN, 0, { NULL } },
    { "empty label", TXT("u@a..example"), FH_NO_DOMAIN, 0, { NULL } },
    { "leading dot", TXT("u@.example"), FH_NO_DOMAIN, 0, { NULL } },
    { "two trailing dots", TXT("u@example.com.."), FH_NO_DOMAIN, 0, { NULL } },
    { "invalid UTF-8 in domain", TXT("u@\xff\xfe.example"), FH_NO_DOMAIN, 0,
      { NULL } },

    /* Syntax errors: never a domain. */
    { "trailing garbage", TXT("u@example.com garbage"), FH_SYNTAX, 0, { NULL } },
    { "garbage after angle", TXT("Name <u@example.com> garbage"), FH_SYNTAX, 0,
      { NULL } },
    { "unclosed angle", TXT("Name <u@example.com"), FH_SYNTAX, 0, { NULL } },
    { "unopened angle", TXT("Name u@example.com>"), FH_SYNTAX, 0, { NULL } },
    { "stray > after addr-spec", TXT("u@example.com>"), FH_SYNTAX, 0, { NULL } },
    { "leading >", TXT(">a@x.example"), FH_SYNTAX, 0, { NULL } },
    { "double >", TXT("<a@evil.example>>"), FH_SYNTAX, 0, { NULL } },
    { "double <", TXT("Name <<u@x.example>>"), FH_SYNTAX, 0, { NULL } },
    { "stray > then angle", TXT("a@x.example>, <b@y.example>"), FH_SYNTAX, 0,
      { NULL } },
    { "CVE-2019-16378: two domains, both reported",
      TXT("a@good.example, b@evil.example"), FH_OK, 2,
      { "good.example", "evil.example" } },
    { "CVE-2019-16378: domain after angle",
      TXT("<a@evil.example>good.example"), FH_SYNTAX, 0, { NULL } },
    { "CVE-2019-16378: addr-spec as display name",
      TXT("a@good.example <b@evil.example>"), FH_SYNTAX, 0, { NULL } },
    { "unclosed quote", TXT("\"Name <u@example.com>"), FH_SYNTAX, 0, { NULL } },
    { "quote opened in name", TXT("Name\" <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "quote ending in backslash", TXT("\"Name\\"), FH_SYNTAX, 0, { NULL } },
    { "unclosed comment", TXT("Name (comment <u@example.com>"), FH_SYNTAX, 0,
      { NULL } },
    { "unclosed nested comment", TXT("(a (b) <u@x.example>"), FH_SYNTAX, 0,
      { NULL } },
    { "unopened comment", TXT("Name ) <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "raw at in Q encoded word",
      TXT("=?utf-8?Q?a@evil.example?= <u@good.example>"), FH_SYNTAX, 0, { NULL } },
    { "missing domain", TXT("u@"), FH_SYNTAX, 0, { NULL } },
    { "missing domain in angle", TXT("<u@>"), FH_SYNTAX, 0, { NULL } },
    { "missing local part", TXT("@example.com"), FH_SYNTAX, 0, { NULL } },
    { "double at", TXT("u@@example.com"), FH_SYNTAX, 0, { NULL } },
    { "two at signs", TXT("u@a.example@b.example"), FH_SYNTAX, 0, { NULL } },
    { "space inside domain", TXT("u@good.example evil.example"), FH_SYNTAX, 0,
      { NULL } },
    { "unquoted space in local part", TXT("John Smith@example.com"), FH_SYNTAX, 0,
      { NULL } },
    { "quoted domain", TXT("u@\"example.com\""), FH_SYNTAX, 0, { NULL } },
    { "display name starting with a dot", TXT(".Name <u@x.example>"), FH_SYNTAX, 0,
      { NULL } },
    { "bracket in display name", TXT("[bot] <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "unterminated literal", TXT("u@[192.0.2.1"), FH_SYNTAX, 0, { NULL } },
    { "bracket inside literal", TXT("u@[1[2]"), FH_SYNTAX, 0, { NULL } },
    { "backslash outside quotes", TXT("u@ex\\ample.com"), FH_SYNTAX, 0, { NULL } },
    { "semicolon outside a group", TXT("Name <u@example.com>; x"), FH_SYNTAX, 0,
      { NULL } },
    { "colon after addr-spec", TXT("u@example.com:"), FH_SYNTAX, 0, { NULL } },
    { "group without semicolon", TXT("g: a@b.example"), FH_SYNTAX, 0, { NULL } },
    { "nested group", TXT("a: b: c@d.example;;"), FH_SYNTAX, 0, { NULL } },
    { "group without name", TXT(": a@b.example;"), FH_SYNTAX, 0, { NULL } },
    { "route without colon", TXT("<@a.example u@d.example>"), FH_SYNTAX, 0, { NULL } },
    { "route without address", TXT("<@a.example:>"), FH_SYNTAX, 0, { NULL } },
    { "control character", TXT("Na\x01me <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "DEL character", TXT("u@x.example\x7f"), FH_SYNTAX, 0, { NULL } },

    /* NUL bytes: never a string terminator here. */
    { "NUL in domain", LIT("u@exa\0mple.com"), FH_SYNTAX, 0, { NULL } },
    { "NUL after the address", LIT("u@example.com\0@evil.example"), FH_SYNTAX, 0,
      { NULL } },
    { "NUL in display name", LIT("Name\0 <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "NUL in quoted string", LIT("\"a\0\" <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "quoted NUL", LIT("\"a\\\0\" <u@x.example>"), FH_SYNTAX, 0, { NULL } },
    { "NUL in comment", LIT("(a\0) u@x.example"), FH_SYNTAX, 0, { NULL } },
};

static void
run_case(const struct fcase *c)
{
    struct fh_result res;
    size_t len = c->len ? c->len : strlen(c->in);
    enum fh_status st = fh_parse(c->in, len, &res);

    is_int(st, c->st, "%s: status %s", c->name, fh_strerror(c->st));
    if (c->st != FH_OK && c->st != FH_EMPTY)
        return;
    is_int(res.count, c->count, "%s: count", c->name);
    for (size_t i = 0; i < c->count && i < 4; i++)
        is_str(res.domain[i], c->dom[i], "%s: domain %zu", c->name, i);
}

/* Only the input length counts: the bytes after it must not be read. */
static void
test_length(void)
{
    struct fh_result res;
    const char *s = "u@example.com>garbage";

    is_int(fh_parse(s, 13, &res), FH_OK, "length bounds the parse");
    is_str(res.domain[0], "example.com", "length bounds the domain");
    is_int(fh_parse(s, 5, &res), FH_OK, "a prefix is parsed as itself");
    is_str(res.domain[0], "exa", "prefix domain");
    is_int(fh_parse(NULL, 0, &res), FH_EMPTY, "NULL with length 0");
    is_int(fh_parse("(a", 1, &res), FH_SYNTAX, "comment cut by length");
}

static void
test_many(void)
{
    struct fh_result res;
    char buf[512];
    size_t n = 0;

    for (int i = 0; i < FH_MAX_ADDRS; i++)
        n += (size_t)snprintf(buf + n, sizeof(buf) - n, "%su%d@d%d.example",
                              i ? ", " : "", i, i);
    is_int(fh_parse(buf, n, &res), FH_OK, "FH_MAX_ADDRS addresses");
    is_int(res.count, FH_MAX_ADDRS, "all of them kept");
    is_str(res.domain[FH_MAX_ADDRS - 1], "d7.example", "the last one");

    n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", extra@d8.example");
    is_int(fh_parse(buf, n, &res), FH_TOO_MANY, "one more is too many");
    is_int(res.count, FH_MAX_ADDRS, "the first ones are still reported");
    is_str(res.domain[0], "d0.example", "first kept in order");

    n += (size_t)snprintf(buf + n, sizeof(buf) - n, ", nodomain");
    is_int(fh_parse(buf, n, &res), FH_NO_DOMAIN, "no domain outranks too many");
    n += (size_t)snprintf(buf + n, sizeof(buf) - n, " >");
    is_int(fh_parse(buf, n, &res), FH_SYNTAX, "syntax outranks everything");
}

static void
test_nesting(void)
{
    struct fh_result res;
    char buf[256];
    size_t n;

    /* 32 levels are fine, 33 are refused. */
    n = fx_nested(buf, 32);
    memcpy(buf + n, " u@x.example", 12);
    n += 12;
    is_int(fh_parse(buf, n, &res), FH_OK, "32 nested comments");
    is_str(res.domain[0], "x.example", "domain after deep comment");

    n = fx_nested(buf, 33);
    memcpy(buf + n, " u@x.example", 12);
    n += 12;
    is_int(fh_parse(buf, n, &res), FH_SYNTAX, "33 nested comments refused");

    /* Escaped parentheses do not nest. */
    n = 0;
    buf[n++] = '(';
    for (int i = 0; i < 100; i++) {
        buf[n++] = '\\';
        buf[n++] = '(';
    }
    buf[n++] = ')';
    memcpy(buf + n, " u@x.example", 12);
    n += 12;
    is_int(fh_parse(buf, n, &res), FH_OK, "quoted parentheses do not count");
}

static void
test_big(void)
{
    struct fh_result res;
    size_t sz = 8192, n;
    char *buf = malloc(sz + 64);

    if (buf == NULL)
        exit(99);

    /* An 8 KiB display name. */
    n = 0;
    while (n < sz) {
        buf[n++] = 'a';
        buf[n++] = ' ';
    }
    n += (size_t)sprintf(buf + n, "<u@example.com>");
    is_int(fh_parse(buf, n, &res), FH_OK, "8 KiB display name");
    is_str(res.domain[0], "example.com", "8 KiB display name: domain");

    /* An 8 KiB comment. */
    buf[0] = '(';
    memset(buf + 1, 'c', sz);
    n = sz + 1;
    n += (size_t)sprintf(buf + n, ") u@example.org");
    is_int(fh_parse(buf, n, &res), FH_OK, "8 KiB comment");
    is_str(res.domain[0], "example.org", "8 KiB comment: domain");

    /* 8 KiB of empty list elements. */
    memset(buf, ',', sz);
    n = sz + (size_t)sprintf(buf + sz, "u@example.net,");
    is_int(fh_parse(buf, n, &res), FH_OK, "8 KiB of commas");
    is_str(res.domain[0], "example.net", "8 KiB of commas: domain");

    /* An 8 KiB domain: no domain, and nothing read past the buffer. */
    memcpy(buf, "u@", 2);
    memset(buf + 2, 'a', sz);
    is_int(fh_parse(buf, sz + 2, &res), FH_NO_DOMAIN, "8 KiB domain");

    /* A 64-octet label. */
    memcpy(buf, "u@", 2);
    memset(buf + 2, 'a', 64);
    memcpy(buf + 66, ".example", 8);
    is_int(fh_parse(buf, 74, &res), FH_NO_DOMAIN, "64-octet label");
    is_int(fh_parse(buf + 1, 73, &res), FH_SYNTAX, "no local part");

    /* 8 KiB of unclosed quote. */
    buf[0] = '"';
    memset(buf + 1, 'q', sz);
    is_int(fh_parse(buf, sz + 1, &res), FH_SYNTAX, "8 KiB unclosed quote");

    /* 8 KiB of white space. */
    memset(buf, ' ', sz);
    is_int(fh_parse(buf, sz, &res), FH_EMPTY, "8 KiB of white space");
    free(buf);
}

int
main(void)
{
    for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
        run_case(&cases[i]);
    test_length();
    test_many();
    test_nesting();
    test_big();
    is_str(fh_strerror(FH_SYNTAX), "not an RFC 5322 address list", "fh_strerror");
    is_str(fh_strerror((enum fh_status)99), "unknown", "fh_strerror out of range");
    return done_testing();
}
