/*
 * test_rspf.c: Received-SPF fields (dmarc/received_spf.c): the forms that
 * postfix-policyd-spf-python 3.0.4 and pyspf 2.0.14 write, RFC 7208's
 * examples, hostile fields, and matching them against the session.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dmarc/received_spf.h"
#include "tests/unit/tap.h"

#define MF RS_IDENTITY_MAILFROM
#define HE RS_IDENTITY_HELO

struct pcase {
    const char *name;
    const char *value;
    size_t len;                  /* 0: strlen(value) */
    enum rs_status st;
    enum dm_auth result;         /* checked when st is RS_OK */
    enum rs_identity identity;
    const char *client_ip;       /* NULL: not checked ("" absent) */
    const char *envelope_domain;
    const char *helo_domain;
    const char *receiver;
};

/* policyd-spf's own forms, from spf_engine/__init__.py: the result word
 * capitalised, "(mailfrom)" or pyspf's explanation, unquoted values,
 * a trailing space. */
static const struct pcase policyd[] = {
    { "policyd pass, mailfrom",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.10; "
      "helo=client.test; envelope-from=help@paypal.com; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PASS, MF, "192.0.2.10",
      "paypal.com", "client.test", "recipient.test" },
    { "policyd fail, mailfrom",
      "Fail (mailfrom) identity=mailfrom; client-ip=192.0.2.66; "
      "helo=client.test; envelope-from=help@paypal.com; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_FAIL, MF, "192.0.2.66",
      "paypal.com", NULL, NULL },
    { "policyd softfail", "Softfail (mailfrom) identity=mailfrom; "
      "client-ip=192.0.2.66; helo=client.test; envelope-from=a@soft.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_SOFTFAIL, MF, NULL,
      "soft.test", NULL, NULL },
    { "policyd neutral", "Neutral (mailfrom) identity=mailfrom; "
      "client-ip=192.0.2.66; helo=client.test; envelope-from=a@n.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_NEUTRAL, MF, NULL, NULL, NULL,
      NULL },
    { "policyd temperror", "Temperror (mailfrom) identity=mailfrom; "
      "client-ip=192.0.2.66; helo=client.test; envelope-from=a@broken.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_TEMPERROR, MF, NULL, NULL,
      NULL, NULL },
    { "policyd permerror", "Permerror (mailfrom) identity=mailfrom; "
      "client-ip=192.0.2.66; helo=client.test; envelope-from=a@perm.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PERMERROR, MF, NULL, NULL,
      NULL, NULL },
    { "policyd none, both identities without a record",
      "None (mailfrom) identity=mailfrom; client-ip=192.0.2.66; "
      "helo=client.test; envelope-from=a@nospf.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_NONE, MF, NULL, "nospf.test",
      NULL, NULL },
    { "policyd Hide_Receiver",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.10; "
      "helo=client.test; envelope-from=help@paypal.com; "
      "receiver=<UNKNOWN> ", 0, RS_OK, DM_AUTH_PASS, MF, "192.0.2.10",
      "paypal.com", NULL, "<UNKNOWN>" },
    { "policyd null sender, helo identity",
      "Pass (sender SPF authorized) identity=helo; client-ip=192.0.2.10; "
      "helo=mx.paypal.com; envelope-from=<>; receiver=recipient.test ", 0,
      RS_OK, DM_AUTH_PASS, HE, "192.0.2.10", "", "mx.paypal.com", NULL },
    { "policyd null sender, no HELO record",
      "None (no SPF record) identity=helo; client-ip=192.0.2.66; "
      "helo=client.test; envelope-from=<>; receiver=recipient.test ", 0,
      RS_OK, DM_AUTH_NONE, HE, NULL, "", "client.test", NULL },
    { "policyd helo result for a sender without SPF",
      "Pass (sender SPF authorized) identity=helo; client-ip=192.0.2.10; "
      "helo=mx.paypal.com; envelope-from=user@nospf.test; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PASS, HE, NULL, "nospf.test",
      "mx.paypal.com", NULL },
    { "policyd HELO fail with Reject_Not_Pass_Domains' text",
      "Fail (Receiver policy for SPF Fail) identity=helo; "
      "client-ip=192.0.2.66; helo=evil.test; envelope-from=<>; "
      "receiver=none ", 0, RS_OK, DM_AUTH_FAIL, HE, NULL, NULL, "evil.test",
      "none" },
    { "policyd IPv6 client",
      "Pass (mailfrom) identity=mailfrom; client-ip=2001:DB8:0:0::10; "
      "helo=client.test; envelope-from=help@paypal.com; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PASS, MF, "2001:db8::10",
      NULL, NULL, NULL },
    { "policyd HELO address literal",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.10; "
      "helo=[192.0.2.10]; envelope-from=help@paypal.com; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PASS, MF, NULL, "paypal.com",
      "", NULL },
    { "policyd VERP-style local part",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.10; "
      "helo=client.test; envelope-from=bounce+user=x.test@paypal.com; "
      "receiver=recipient.test ", 0, RS_OK, DM_AUTH_PASS, MF, NULL, "paypal.com",
      NULL, NULL },
};

/* pyspf's get_header() (its doctests) and RFC 7208 section 9.1. */
static const struct pcase others[] = {
    { "pyspf fail", "Fail (abuse@kitterman.com: domain of email.example.com "
      "does not designate 192.0.2.3 as permitted sender) client-ip=192.0.2.3; "
      "envelope-from=\"strong-bad@email.example.com\"; helo=mx.example.org; "
      "receiver=abuse@kitterman.com; mechanism=-all; identity=mailfrom", 0,
      RS_OK, DM_AUTH_FAIL, MF, "192.0.2.3", "email.example.com", "mx.example.org",
      "abuse@kitterman.com" },
    { "pyspf pass, quoted mechanism", "Pass (abuse@kitterman.com: domain of "
      "email.example.com designates 192.0.2.3 as permitted sender) "
      "client-ip=192.0.2.3; envelope-from=\"strong-bad@email.example.com\"; "
      "helo=mx.example.org; receiver=abuse@kitterman.com; "
      "mechanism=\"ip4:192.0.0.0/8\"; identity=mailfrom", 0, RS_OK, DM_AUTH_PASS,
      MF, NULL, "email.example.com", NULL, NULL },
    { "pyspf PermError, problem=", "PermError (abuse@kitterman.com: permanent "
      "error in processing domain of email.example.com: Unknown mechanism "
      "found) client-ip=192.0.2.3; envelope-from=\"strong-bad@email.example"
      ".com\"; helo=mx.example.org; receiver=abuse@kitterman.com; "
      "problem=moo; identity=mailfrom", 0, RS_OK, DM_AUTH_PERMERROR, MF, NULL, NULL,
      NULL, NULL },
    { "RFC 7208 pass example (no identity)",
      "pass (mybox.example.org: domain of\r\n myname@example.com designates "
      "192.0.2.1 as permitted sender)\r\n    receiver=mybox.example.org; "
      "client-ip=192.0.2.1;\r\n    envelope-from=\"myname@example.com\"; "
      "helo=foo.example.com;", 0, RS_OK, DM_AUTH_PASS, RS_IDENTITY_ABSENT,
      "192.0.2.1", "example.com", "foo.example.com", "mybox.example.org" },
    { "RFC 7208 fail example",
      "fail (mybox.example.org: domain of\r\n               myname@example.com"
      " does not designate\r\n               192.0.2.1 as permitted sender)\r\n"
      "               identity=mailfrom; client-ip=192.0.2.1;\r\n"
      "               envelope-from=\"myname@example.com\";", 0, RS_OK,
      DM_AUTH_FAIL, MF, "192.0.2.1", "example.com", "", NULL },
    { "LF-only folds", "pass\n\tidentity=mailfrom;\n\tclient-ip=192.0.2.1", 0,
      RS_OK, DM_AUTH_PASS, MF, "192.0.2.1", NULL, NULL, NULL },
    { "leading space (SMFIP_HDR_LEADSPC)", " pass identity=helo", 0, RS_OK,
      DM_AUTH_PASS, HE, "", NULL, NULL, NULL },
    { "result only", "none", 0, RS_OK, DM_AUTH_NONE, RS_IDENTITY_ABSENT, "", "",
      "", NULL },
    { "result and comment only", "pass(no keys)", 0, RS_OK, DM_AUTH_PASS,
      RS_IDENTITY_ABSENT, "", NULL, NULL, NULL },
    { "identity=pra", "pass identity=pra; client-ip=192.0.2.1", 0, RS_OK,
      DM_AUTH_PASS, RS_IDENTITY_OTHER, NULL, NULL, NULL, NULL },
    { "unknown keys skipped, even twice", "pass x-a=1; x-a=\"2\"; "
      "identity=mailfrom", 0, RS_OK, DM_AUTH_PASS, MF, NULL, NULL, NULL, NULL },
    { "spaces and comments around =", "pass identity (c) = (d) mailfrom ;"
      " client-ip = 192.0.2.1 (e) ;;", 0, RS_OK, DM_AUTH_PASS, MF, "192.0.2.1",
      NULL, NULL, NULL },
};

/* Wrong case, quoting and escapes, odd but harmless. */
static const struct pcase odd[] = {
    { "PASS", "PASS identity=mailfrom", 0, RS_OK, DM_AUTH_PASS, MF, NULL, NULL,
      NULL, NULL },
    { "pAsS and upper-case keys", "pAsS IDENTITY=MailFrom; Client-IP="
      "192.0.2.1; Envelope-From=a@PayPal.COM.", 0, RS_OK, DM_AUTH_PASS, MF,
      "192.0.2.1", "paypal.com", NULL, NULL },
    { "quoted client-ip", "pass client-ip=\"192.0.2.1\"", 0, RS_OK, DM_AUTH_PASS,
      RS_IDENTITY_ABSENT, "192.0.2.1", NULL, NULL, NULL },
    { "IPv4-mapped client-ip", "pass client-ip=::ffff:192.0.2.1", 0, RS_OK,
      DM_AUTH_PASS, RS_IDENTITY_ABSENT, "192.0.2.1", NULL, NULL, NULL },
    { "escaped quote in a quoted value",
      "pass envelope-from=\"a\\\"b@paypal.com\"", 0, RS_OK, DM_AUTH_PASS,
      RS_IDENTITY_ABSENT, NULL, "paypal.com", NULL, NULL },
    { "escaped letter in a quoted value",
      "pass envelope-from=\"a@pay\\pal.com\"", 0, RS_OK, DM_AUTH_PASS,
      RS_IDENTITY_ABSENT, NULL, "paypal.com", NULL, NULL },
    { "quoted value with a fold", "pass helo=\"mx.\r\n paypal.com\"", 0,
      RS_OK, DM_AUTH_PASS, RS_IDENTITY_ABSENT, NULL, NULL, "", NULL },
    { "UTF-8 envelope domain",
      "pass envelope-from=a@b\xc3\xbc" "cher.example", 0, RS_OK, DM_AUTH_PASS,
      RS_IDENTITY_ABSENT, NULL, "xn--bcher-kva.example", NULL, NULL },
    { "envelope-from without @", "pass envelope-from=paypal.com", 0, RS_OK,
      DM_AUTH_PASS, RS_IDENTITY_ABSENT, NULL, "", NULL, NULL },
    { "envelope-from in angle brackets", "pass envelope-from=<a@paypal.com>",
      0, RS_OK, DM_AUTH_PASS, RS_IDENTITY_ABSENT, NULL, "paypal.com", NULL, NULL },
    { "envelope-from bad domain", "pass envelope-from=a@pay!pal.com", 0,
      RS_OK, DM_AUTH_PASS, RS_IDENTITY_ABSENT, NULL, "", NULL, NULL },
    { "nested comments", "pass (a (b (c) d) e) identity=mailfrom", 0, RS_OK,
      DM_AUTH_PASS, MF, NULL, NULL, NULL, NULL },
    { "escaped parenthesis in a comment", "pass (a \\) b) identity=helo", 0,
      RS_OK, DM_AUTH_PASS, HE, NULL, NULL, NULL, NULL },
};

/* Refused fields: nothing else to check. */
#define NOTHING DM_AUTH_NONE, RS_IDENTITY_ABSENT, NULL, NULL, NULL, NULL
static const struct pcase hostile[] = {
    { "empty", "", 0, RS_EMPTY, NOTHING },
    { "only a comment", "  (pass) ", 0, RS_EMPTY, NOTHING },
    { "NUL after the result", "pass\0 identity=mailfrom",
      sizeof("pass\0 identity=mailfrom") - 1, RS_NUL, NOTHING },
    { "NUL inside a quoted value", "pass helo=\"a\0b\"",
      sizeof("pass helo=\"a\0b\"") - 1, RS_NUL, NOTHING },
    { "hardfail (RFC 8601 only)", "hardfail identity=mailfrom", 0,
      RS_BAD_RESULT, NOTHING },
    { "policy (RFC 8601 only)", "policy identity=mailfrom", 0, RS_BAD_RESULT, NOTHING },
    { "error (pre-RFC)", "error", 0, RS_BAD_RESULT, NOTHING },
    { "unknown (pre-RFC)", "unknown", 0, RS_BAD_RESULT, NOTHING },
    { "passed", "passed identity=mailfrom", 0, RS_BAD_RESULT, NOTHING },
    { "result glued to ;", "pass; identity=mailfrom", 0, RS_BAD_RESULT, NOTHING },
    { "result glued to a key", "pass=1", 0, RS_BAD_RESULT, NOTHING },
    { "no result word", "identity=mailfrom; client-ip=192.0.2.1", 0,
      RS_BAD_RESULT, NOTHING },
    { "digit first", "1pass", 0, RS_BAD_RESULT, NOTHING },
    { "unterminated comment", "pass (a (b c) identity=mailfrom", 0,
      RS_BAD_COMMENT, NOTHING },
    { "escape at the end of a comment", "pass (a \\", 0, RS_BAD_COMMENT, NOTHING },
    { "unterminated comment after a value", "pass identity=helo (x", 0,
      RS_BAD_COMMENT, NOTHING },
    { "key without =", "pass identity mailfrom", 0, RS_BAD_SYNTAX, NOTHING },
    { "key without value", "pass identity=", 0, RS_BAD_SYNTAX, NOTHING },
    { "value missing before ;", "pass identity=; client-ip=192.0.2.1", 0,
      RS_BAD_SYNTAX, NOTHING },
    { "no ; between pairs", "pass identity=mailfrom client-ip=192.0.2.1", 0,
      RS_BAD_SYNTAX, NOTHING },
    { "; before the first pair", "pass ; identity=mailfrom", 0,
      RS_BAD_SYNTAX, NOTHING },
    { "key starting with a digit", "pass 1x=2", 0, RS_BAD_SYNTAX, NOTHING },
    { "unquoted local part with a space",
      "pass identity=mailfrom; envelope-from=a b@paypal.com", 0,
      RS_BAD_SYNTAX, NOTHING },
    { "quoted local part then @", "pass envelope-from=\"a b\"@paypal.com", 0,
      RS_BAD_SYNTAX, NOTHING },
    { "control byte in an unquoted value", "pass identity=mail\x01" "from",
      0, RS_BAD_SYNTAX, NOTHING },
    { "control byte in a quoted value", "pass helo=\"a\x01" "b\"", 0,
      RS_BAD_VALUE, NOTHING },
    { "escaped CR in a quoted value", "pass helo=\"a\\\rb\"", 0,
      RS_BAD_VALUE, NOTHING },
    { "DEL in a quoted value", "pass helo=\"a\x7f" "b\"", 0, RS_BAD_VALUE, NOTHING },
    { "unterminated quote", "pass envelope-from=\"a@paypal.com", 0,
      RS_BAD_VALUE, NOTHING },
    { "escape at the end of a quote", "pass helo=\"a\\", 0, RS_BAD_VALUE, NOTHING },
    { "value glued to a comment (CVE-2020-12272's shape)",
      "pass identity=mailfrom; envelope-from=a@paypal.com(.evil.test)", 0,
      RS_BAD_VALUE, NOTHING },
    { "client-ip glued to a comment", "pass client-ip=192.0.2.1(x)", 0,
      RS_BAD_VALUE, NOTHING },
    { "client-ip with an octet over 255", "pass client-ip=192.0.2.300", 0,
      RS_BAD_IP, NOTHING },
    { "client-ip with a zone", "pass client-ip=fe80::1%eth0", 0, RS_BAD_IP, NOTHING },
    { "client-ip with an IPv6: prefix", "pass client-ip=IPv6:2001:db8::1", 0,
      RS_BAD_IP, NOTHING },
    { "client-ip with a prefix length", "pass client-ip=192.0.2.1/24", 0,
      RS_BAD_IP, NOTHING },
    { "client-ip a host name", "pass client-ip=mx.paypal.com", 0, RS_BAD_IP, NOTHING },
    { "client-ip empty, quoted", "pass client-ip=\"\"", 0, RS_BAD_IP, NOTHING },
    { "client-ip given twice", "pass identity=mailfrom; client-ip=192.0.2.66;"
      " client-ip=192.0.2.10", 0, RS_DUPLICATE, NOTHING },
    { "identity given twice, other case", "pass identity=helo; "
      "IDENTITY=mailfrom", 0, RS_DUPLICATE, NOTHING },
    { "a HELO name that writes more keys",
      "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.66; "
      "helo=x;client-ip=192.0.2.10;envelope-from=a@paypal.com; "
      "envelope-from=evil@evil.test; receiver=recipient.test ", 0,
      RS_DUPLICATE, NOTHING },
    { "a MAIL FROM that writes more keys",
      "Fail (mailfrom) identity=mailfrom; client-ip=192.0.2.66; "
      "helo=client.test; envelope-from=x; client-ip=192.0.2.10@paypal.com; "
      "receiver=recipient.test ", 0, RS_DUPLICATE, NOTHING },
};

static void
run_parse(const char *group, const struct pcase *t, size_t n)
{
    struct rs_field f;

    for (size_t i = 0; i < n; i++) {
        size_t len = t[i].len ? t[i].len : strlen(t[i].value);
        enum rs_status st = rs_parse(t[i].value, len, &f);

        if (!ok(st == t[i].st, "%s: %s: %s", group, t[i].name,
                rs_status_name(t[i].st))) {
            printf("#   got %s\n", rs_status_name(st));
            continue;
        }
        if (st != RS_OK) {
            ok(f.keys == 0 && f.client.family == 0 && f.envelope_from[0] == 0,
               "%s: %s: nothing kept", group, t[i].name);
            continue;
        }
        is_int(f.result, t[i].result, "%s: %s: result", group, t[i].name);
        is_int(f.identity, t[i].identity, "%s: %s: identity", group,
               t[i].name);
        if (t[i].client_ip)
            is_str(f.client_ip, t[i].client_ip, "%s: %s: client-ip", group,
                   t[i].name);
        if (t[i].envelope_domain)
            is_str(f.envelope_domain, t[i].envelope_domain,
                   "%s: %s: envelope domain", group, t[i].name);
        if (t[i].helo_domain)
            is_str(f.helo_domain, t[i].helo_domain, "%s: %s: helo domain",
                   group, t[i].name);
        if (t[i].receiver)
            is_str(f.receiver, t[i].receiver, "%s: %s: receiver", group,
                   t[i].name);
    }
}

/* Long inputs, built at run time. */
static void
test_lengths(void)
{
    char buf[4096], big[RS_VALUE_MAX + 16];
    struct rs_field f;

    memset(big, 'a', sizeof(big) - 1);
    big[sizeof(big) - 1] = '\0';
    snprintf(buf, sizeof(buf), "pass envelope-from=%s@paypal.com", big);
    is_int(rs_parse(buf, strlen(buf), &f), RS_TOO_LONG, "overlong value");
    snprintf(buf, sizeof(buf), "pass helo=\"%s\"", big);
    is_int(rs_parse(buf, strlen(buf), &f), RS_TOO_LONG, "overlong quoted");
    snprintf(buf, sizeof(buf), "pass x-%.*s=1", 100, big);
    is_int(rs_parse(buf, strlen(buf), &f), RS_TOO_LONG, "overlong key");
    snprintf(buf, sizeof(buf), "pass receiver=%.*s", RS_VALUE_MAX - 1, big);
    is_int(rs_parse(buf, strlen(buf), &f), RS_OK, "longest value kept");
    is_int(strlen(f.receiver), RS_VALUE_MAX - 1, "longest value whole");

    /* 32 nested comments are read; the 33rd is an attack on the parser. */
    snprintf(buf, sizeof(buf), "pass %.*s%.*s identity=helo", 32,
             "((((((((((((((((((((((((((((((((((", 32,
             "))))))))))))))))))))))))))))))))))");
    is_int(rs_parse(buf, strlen(buf), &f), RS_OK, "32 nested comments");
    snprintf(buf, sizeof(buf), "pass %.*s%.*s identity=helo", 33,
             "((((((((((((((((((((((((((((((((((", 33,
             "))))))))))))))))))))))))))))))))))");
    is_int(rs_parse(buf, strlen(buf), &f), RS_BAD_COMMENT,
           "33 nested comments");

    /* The length given is the field: bytes after it are not read. */
    is_int(rs_parse("pass identity=helo; client-ip=192.0.2.1", 18, &f), RS_OK,
           "len stops the parse");
    is_int(f.keys, RS_KEY_IDENTITY, "nothing read past len");
    is_int(rs_parse(NULL, 0, &f), RS_NUL, "NULL value");
}

struct mcase {
    const char *name;
    const char *value;
    const char *client;
    bool null_sender;
    const char *mailfrom;
    const char *helo;
    enum rs_match want;
    const char *domain;          /* on RS_MATCH */
};

#define PD_PASS "Pass (mailfrom) identity=mailfrom; client-ip=192.0.2.10; " \
    "helo=client.test; envelope-from=help@paypal.com; receiver=recipient.test "
#define PD_HELO "Pass (sender SPF authorized) identity=helo; " \
    "client-ip=192.0.2.10; helo=mx.paypal.com; envelope-from=<>; " \
    "receiver=recipient.test "

static const struct mcase matches[] = {
    { "policyd pass for this client and MAIL FROM", PD_PASS, "192.0.2.10",
      false, "paypal.com", "client.test", RS_MATCH, "paypal.com" },
    { "HELO differs: not checked for mailfrom", PD_PASS, "192.0.2.10", false,
      "paypal.com", "other.test", RS_MATCH, "paypal.com" },
    { "another client", PD_PASS, "192.0.2.66", false, "paypal.com",
      "client.test", RS_CLIENT_MISMATCH, NULL },
    { "client unknown", PD_PASS, NULL, false, "paypal.com", "client.test",
      RS_CLIENT_UNKNOWN, NULL },
    { "client empty", PD_PASS, "", false, "paypal.com", "client.test",
      RS_CLIENT_UNKNOWN, NULL },
    { "client not an address", PD_PASS, "unknown", false, "paypal.com", "",
      RS_CLIENT_UNKNOWN, NULL },
    { "another MAIL FROM domain", PD_PASS, "192.0.2.10", false, "evil.test",
      "", RS_ENVFROM_MISMATCH, NULL },
    { "a subdomain is another domain", PD_PASS, "192.0.2.10", false,
      "sub.paypal.com", "", RS_ENVFROM_MISMATCH, NULL },
    { "case and trailing dot normalised",
      "pass identity=MAILFROM; client-ip=192.0.2.10; "
      "envelope-from=Help@PayPal.COM.", "192.0.2.10", false, "paypal.com",
      "", RS_MATCH, "paypal.com" },
    { "fail matches too (the result is the caller's)",
      "Fail (mailfrom) identity=mailfrom; client-ip=192.0.2.66; "
      "helo=client.test; envelope-from=help@paypal.com; receiver=r.test ",
      "192.0.2.66", false, "paypal.com", "client.test", RS_MATCH,
      "paypal.com" },
    { "mailfrom claim for the null sender", PD_PASS, "192.0.2.10", true, "",
      "client.test", RS_ENVFROM_MISMATCH, NULL },
    { "session MAIL FROM unusable", PD_PASS, "192.0.2.10", false, "",
      "client.test", RS_NO_SPF_IDENTITY, NULL },
    { "mailfrom without envelope-from",
      "pass identity=mailfrom; client-ip=192.0.2.10", "192.0.2.10", false,
      "paypal.com", "", RS_ENVFROM_MISMATCH, NULL },
    { "envelope-from without a domain",
      "pass identity=mailfrom; client-ip=192.0.2.10; envelope-from=paypal.com",
      "192.0.2.10", false, "paypal.com", "", RS_ENVFROM_MISMATCH, NULL },
    { "null sender, HELO identity", PD_HELO, "192.0.2.10", true, "",
      "mx.paypal.com", RS_MATCH, "mx.paypal.com" },
    { "null sender, another HELO", PD_HELO, "192.0.2.10", true, "",
      "client.test", RS_HELO_MISMATCH, NULL },
    { "null sender, no usable HELO", PD_HELO, "192.0.2.10", true, "", "",
      RS_NO_SPF_IDENTITY, NULL },
    { "helo identity with a MAIL FROM", PD_HELO, "192.0.2.10", false,
      "paypal.com", "mx.paypal.com", RS_NOT_MAILFROM, NULL },
    { "helo identity naming a sender, for the null sender",
      "Pass (sender SPF authorized) identity=helo; client-ip=192.0.2.10; "
      "helo=mx.paypal.com; envelope-from=user@paypal.com; receiver=r.test ",
      "192.0.2.10", true, "", "mx.paypal.com", RS_ENVFROM_MISMATCH, NULL },
    { "helo identity without envelope-from",
      "pass identity=helo; client-ip=192.0.2.10; helo=MX.PayPal.com",
      "192.0.2.10", true, "", "mx.paypal.com", RS_MATCH, "mx.paypal.com" },
    { "helo identity, HELO a literal",
      "pass identity=helo; client-ip=192.0.2.10; helo=[192.0.2.10]",
      "192.0.2.10", true, "", "mx.paypal.com", RS_HELO_MISMATCH, NULL },
    { "no identity (RFC 7208's first example)",
      "pass receiver=mybox.example.org; client-ip=192.0.2.1; "
      "envelope-from=\"myname@example.com\"; helo=foo.example.com;",
      "192.0.2.1", false, "example.com", "foo.example.com", RS_NO_IDENTITY, NULL },
    { "identity=pra", "pass identity=pra; client-ip=192.0.2.1; "
      "envelope-from=a@example.com", "192.0.2.1", false, "example.com", "",
      RS_NO_IDENTITY, NULL },
    { "no client-ip", "pass identity=mailfrom; envelope-from=a@paypal.com",
      "192.0.2.10", false, "paypal.com", "", RS_NO_CLIENT_IP, NULL },
    { "IPv6, written differently", "pass identity=mailfrom; "
      "client-ip=2001:DB8:0::10; envelope-from=a@paypal.com", "2001:db8::10",
      false, "paypal.com", "", RS_MATCH, "paypal.com" },
    { "IPv4-mapped session address", PD_PASS, "::ffff:192.0.2.10", false,
      "paypal.com", "", RS_MATCH, "paypal.com" },
    { "IPv6 field, IPv4 session", "pass identity=mailfrom; "
      "client-ip=::c000:20a; envelope-from=a@paypal.com", "192.0.2.10",
      false, "paypal.com", "", RS_CLIENT_MISMATCH, NULL },
};

static void
test_match(void)
{
    struct rs_field f;
    struct dm_auth_id id;

    for (size_t i = 0; i < sizeof(matches) / sizeof(matches[0]); i++) {
        const struct mcase *t = &matches[i];
        struct rs_session s = { t->client, t->null_sender, t->mailfrom,
                                t->helo };
        enum rs_match m;

        if (!ok(rs_parse(t->value, strlen(t->value), &f) == RS_OK,
                "match: %s: parses", t->name))
            continue;
        memset(&id, 0x5a, sizeof(id));
        m = rs_match(&f, &s, &id);
        if (!ok(m == t->want, "match: %s: %s", t->name, rs_match_name(t->want)))
            printf("#   got %s\n", rs_match_name(m));
        if (m == RS_MATCH && t->want == RS_MATCH) {
            is_str(id.domain, t->domain, "match: %s: domain", t->name);
            is_int(id.result, f.result, "match: %s: result", t->name);
            is_str(id.selector, "", "match: %s: no selector", t->name);
        }
    }
}

static void
test_names(void)
{
    for (int i = 0; i < RS_STATUS__COUNT; i++)
        ok(strcmp(rs_status_name((enum rs_status)i), "?") != 0,
           "status %d has a name", i);
    for (int i = 0; i < RS_MATCH__COUNT; i++)
        ok(strcmp(rs_match_name((enum rs_match)i), "?") != 0,
           "match %d has a name", i);
    is_str(rs_identity_name(RS_IDENTITY_HELO), "helo", "identity name");
    is_str(rs_status_name(RS_STATUS__COUNT), "?", "unknown status");
}

int
main(void)
{
    run_parse("policyd", policyd, sizeof(policyd) / sizeof(policyd[0]));
    run_parse("other writers", others, sizeof(others) / sizeof(others[0]));
    run_parse("odd", odd, sizeof(odd) / sizeof(odd[0]));
    run_parse("hostile", hostile, sizeof(hostile) / sizeof(hostile[0]));
    test_lengths();
    test_match();
    test_names();
    return done_testing();
}
