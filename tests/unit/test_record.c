/* test_record.c: dmarc_record_parse() and dmarc_record_is_dmarc(). */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "tests/unit/tap.h"
#include "dmarc/dmarc_record.h"

static struct dmarc_record R;
static const char *W;

static int
parse_len(const char *txt, size_t len)
{
    memset(&R, 0x5a, sizeof(R));    /* every field must be written */
    W = "untouched";
    return dmarc_record_parse(txt, len, &R, &W);
}

static int
parse(const char *txt)
{
    return parse_len(txt, strlen(txt));
}

/* Status, the three policies and the fallback flag in one go. */
static void
policy(const char *txt, enum dmarc_record_status st, enum dm_policy p,
       enum dm_policy sp, enum dm_policy np, bool fallback)
{
    is_int(parse(txt), st, "%s: status", txt);
    is_int(R.p, p, "%s: p", txt);
    is_int(R.sp, sp, "%s: sp", txt);
    is_int(R.np, np, "%s: np", txt);
    is_int(R.p_from_rua_fallback, fallback, "%s: fallback", txt);
}

static void
invalid(const char *txt, size_t len, const char *why)
{
    is_int(parse_len(txt, len), DMARC_RECORD_INVALID, "invalid: %s", why);
    is_str(W, why, "invalid: why is %s", why);
    is_int(R.p, DM_POLICY_NONE, "invalid: record reset (p)");
    is_int(R.pct, 100, "invalid: record reset (pct)");
    is_int(R.has_rua, false, "invalid: record reset (rua)");
}

static void
not_dmarc(const char *txt, size_t len, const char *label)
{
    is_int(parse_len(txt, len), DMARC_RECORD_NOT_DMARC, "not dmarc: %s", label);
    is_str(W, "first tag is not v=DMARC1", "not dmarc why: %s", label);
    is_int(dmarc_record_is_dmarc(txt, len), false, "is_dmarc false: %s", label);
}

static void
test_rfc_examples(void)
{
    const char *a = "v=DMARC1; p=none; rua=mailto:dmarc-feedback@example.com";
    const char *b = "v=DMARC1; p=quarantine; "
                    "rua=mailto:dmarc-feedback@example.com; "
                    "ruf=mailto:auth-reports@thirdparty.example.net; fo=1";
    const char *c = "v=DMARC1; p=quarantine; "
                    "rua=mailto:dmarc-feedback@example.com,"
                    "mailto:tld-test@thirdparty.example.net!10m; pct=25";
    const char *d = "v=DMARC1; p=reject; aspf=r; "
                    "rua=mailto:dmarc-feedback@example.com";

    policy(a, DMARC_RECORD_OK, DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE,
           false);
    is_int(R.has_rua, true, "rfc a: has_rua");
    is_int(R.pct, 100, "rfc a: pct default");
    is_int(R.adkim, DMARC_ALIGN_RELAXED, "rfc a: adkim default");
    is_int(R.aspf, DMARC_ALIGN_RELAXED, "rfc a: aspf default");
    is_int(R.sp_given, false, "rfc a: sp not given");
    is_int(R.np_given, false, "rfc a: np not given");
    is_int(R.t_given, false, "rfc a: t not given");
    is_int(R.testing, false, "rfc a: not testing");
    is_int(R.psd, 'u', "rfc a: psd default");
    ok(W == NULL, "rfc a: why is NULL on success");
    ok(dmarc_record_is_dmarc(a, strlen(a)), "rfc a: is_dmarc");

    policy(b, DMARC_RECORD_OK, DM_POLICY_QUARANTINE, DM_POLICY_QUARANTINE,
           DM_POLICY_QUARANTINE, false);
    is_int(R.has_rua, true, "rfc b: has_rua");

    policy(c, DMARC_RECORD_OK, DM_POLICY_QUARANTINE, DM_POLICY_QUARANTINE,
           DM_POLICY_QUARANTINE, false);
    is_int(R.pct, 25, "rfc c: pct=25");
    is_int(R.has_rua, true, "rfc c: has_rua");

    policy(d, DMARC_RECORD_OK, DM_POLICY_REJECT, DM_POLICY_REJECT,
           DM_POLICY_REJECT, false);
    is_int(R.aspf, DMARC_ALIGN_RELAXED, "rfc d: aspf=r");
}

static void
test_version(void)
{
    not_dmarc("", 0, "empty");
    not_dmarc("p=reject; v=DMARC1", 18, "v not first");
    not_dmarc(";v=DMARC1; p=reject", 19, "empty first tag");
    not_dmarc("v=DMARC2; p=reject", 18, "DMARC2");
    not_dmarc("v=DMARC; p=reject", 17, "DMARC");
    not_dmarc("v=DMARC1p=reject", 16, "no separator");
    not_dmarc("v=DMARC1 p=reject", 17, "space, no semicolon");
    not_dmarc("vv=DMARC1; p=reject", 19, "tag vv");
    not_dmarc("v:DMARC1; p=reject", 18, "colon");
    not_dmarc("v; p=reject", 11, "v without =");
    not_dmarc("v=; p=reject", 12, "empty v");
    not_dmarc("v=spf1 -all", 11, "spf record");
    not_dmarc("v=DMARC1\0; p=reject", 19, "NUL in v value");
    not_dmarc("\0v=DMARC1; p=reject", 19, "leading NUL");
    not_dmarc("v=\"DMARC1\"; p=reject", 20, "quoted value");
    ok(!dmarc_record_is_dmarc(NULL, 0), "is_dmarc NULL");
    is_int(dmarc_record_parse(NULL, 0, &R, &W), DMARC_RECORD_NOT_DMARC,
           "parse NULL");

    /* RFC 7489 6.3: the value "MUST match precisely"; the tag name is
     * an ABNF literal, case-insensitive like the others. */
    not_dmarc("v=dmarc1; p=reject", 18, "v=dmarc1 (lower case)");
    not_dmarc("v=Dmarc1; p=reject", 18, "v=Dmarc1 (mixed case)");
    policy("V=DMARC1; P=Quarantine", DMARC_RECORD_OK, DM_POLICY_QUARANTINE,
           DM_POLICY_QUARANTINE, DM_POLICY_QUARANTINE, false);
    policy("v = DMARC1 ; p = reject ;", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("\tv\t=\tDMARC1\t;\tp=reject\t", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("  v=DMARC1;p=reject", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1;p=none", DMARC_RECORD_OK, DM_POLICY_NONE,
           DM_POLICY_NONE, DM_POLICY_NONE, false);
    ok(dmarc_record_is_dmarc("v=DMARC1", 8), "is_dmarc v alone");
    ok(!dmarc_record_is_dmarc("v=dmarc1;", 9), "is_dmarc: lower case is not");
    ok(dmarc_record_is_dmarc("v=DMARC1; garbage", 17), "is_dmarc garbage");
}

static void
test_p(void)
{
    invalid("v=DMARC1", 8, "missing p tag");
    invalid("v=DMARC1;", 9, "missing p tag");
    invalid("v=DMARC1; sp=reject", 19, "missing p tag");
    invalid("v=DMARC1; p", 11, "missing p tag");
    invalid("v=DMARC1; p=rej", 15, "invalid p value");
    invalid("v=DMARC1; p=rejectx", 19, "invalid p value");
    invalid("v=DMARC1; p=", 12, "invalid p value");
    invalid("v=DMARC1; p=quar", 16, "invalid p value");
    invalid("v=DMARC1; p=re ject", 19, "invalid p value");
    invalid("v=DMARC1; p=\"reject\"", 20, "invalid p value");
    invalid("v=DMARC1; p=reject\0", 19, "invalid p value");
    /* Only SP and HTAB are whitespace: a newline spoils the tag name. */
    invalid("v=DMARC1;\np=reject", 18, "missing p tag");
    /* First occurrence wins, even when it is the invalid one. */
    invalid("v=DMARC1; p=bogus; p=reject", 27, "invalid p value");

    policy("v=DMARC1; p=REJECT", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1; p=reject; p=none", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1;;;p=reject;;", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1; =reject; p=none", DMARC_RECORD_OK, DM_POLICY_NONE,
           DM_POLICY_NONE, DM_POLICY_NONE, false);
    policy("v=DMARC1; reject; p=quarantine", DMARC_RECORD_OK,
           DM_POLICY_QUARANTINE, DM_POLICY_QUARANTINE, DM_POLICY_QUARANTINE,
           false);
    policy("v=DMARC1; p=none; v=DMARC2; foo=bar; x", DMARC_RECORD_OK,
           DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE, false);
    policy("v=DMARC1; p=reject;\0", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1; p=reject; fo=zzz; rf=xyz; ri=-5; ruf=bad",
           DMARC_RECORD_OK, DM_POLICY_REJECT, DM_POLICY_REJECT,
           DM_POLICY_REJECT, false);

    /* len is honoured: bytes after it are not part of the record. */
    is_int(parse_len("v=DMARC1; p=rejectXYZ", 18), DMARC_RECORD_OK,
           "len cuts the value: status");
    is_int(R.p, DM_POLICY_REJECT, "len cuts the value: p");
}

static void
test_sp_np(void)
{
    policy("v=DMARC1; p=reject; sp=none", DMARC_RECORD_OK, DM_POLICY_REJECT,
           DM_POLICY_NONE, DM_POLICY_NONE, false);
    is_int(R.sp_given, true, "sp given");
    policy("v=DMARC1; p=none; sp=Reject", DMARC_RECORD_OK, DM_POLICY_NONE,
           DM_POLICY_REJECT, DM_POLICY_REJECT, false);
    policy("v=DMARC1; p=reject; sp=quarantine; np=none", DMARC_RECORD_OK,
           DM_POLICY_REJECT, DM_POLICY_QUARANTINE, DM_POLICY_NONE, false);
    is_int(R.np_given, true, "np given");
    policy("v=DMARC1; p=reject; np=quarantine", DMARC_RECORD_OK,
           DM_POLICY_REJECT, DM_POLICY_REJECT, DM_POLICY_QUARANTINE, false);
    policy("v=DMARC1; p=reject; sp=none; np=bogus", DMARC_RECORD_OK,
           DM_POLICY_REJECT, DM_POLICY_NONE, DM_POLICY_NONE, false);
    is_int(R.np_given, false, "invalid np ignored");

    invalid("v=DMARC1; p=reject; sp=bogus", 28, "invalid sp value");
    invalid("v=DMARC1; p=reject; sp=", 23, "invalid sp value");

    /* RFC 7489 6.6.3: bad p or sp with a valid rua acts as p=none. */
    policy("v=DMARC1; p=reject; sp=bogus; rua=mailto:a@example.com",
           DMARC_RECORD_OK, DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE,
           true);
    is_int(R.sp_given, false, "fallback: sp not given");
    ok(W == NULL, "fallback: why is NULL");
    policy("v=DMARC1; p=bogus; rua=mailto:a@example.com", DMARC_RECORD_OK,
           DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE, true);
    policy("v=DMARC1; rua=mailto:a@example.com", DMARC_RECORD_OK,
           DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE, true);
    is_int(R.has_rua, true, "fallback: has_rua");
    policy("v=DMARC1; p=rej; sp=reject; np=reject; pct=10; "
           "rua=mailto:a@example.com", DMARC_RECORD_OK,
           DM_POLICY_NONE, DM_POLICY_NONE, DM_POLICY_NONE, true);
    is_int(R.pct, 10, "fallback keeps pct");
    invalid("v=DMARC1; p=bogus; rua=bogus", 28, "invalid p value");
    invalid("v=DMARC1; p=bogus; rua=mailto:nobody", 36, "invalid p value");
    invalid("v=DMARC1; p=reject; sp=x; rua=mailto:@example.com", 50,
            "invalid sp value");
}

static void
test_pct_align(void)
{
    static const struct { const char *v; int want; } pcts[] = {
        { "0", 0 }, { "1", 1 }, { "50", 50 }, { "100", 100 }, { "050", 50 },
        { "000", 0 }, { " 25 ", 25 }, { "101", 100 }, { "-1", 100 },
        { "abc", 100 }, { "", 100 }, { "1000", 100 }, { "0100", 100 },
        { "+5", 100 }, { "5%", 100 }, { "2 5", 100 }, { "999", 100 },
        { "0x10", 100 }, { "25.5", 100 },
    };
    char buf[64];

    for (size_t i = 0; i < sizeof(pcts) / sizeof(pcts[0]); i++) {
        snprintf(buf, sizeof(buf), "v=DMARC1; p=reject; pct=%s", pcts[i].v);
        is_int(parse(buf), DMARC_RECORD_OK, "%s: status", buf);
        is_int(R.pct, pcts[i].want, "%s: pct", buf);
    }
    is_int(parse("v=DMARC1; p=reject; pct=10; pct=20"), DMARC_RECORD_OK,
           "duplicate pct");
    is_int(R.pct, 10, "duplicate pct: first wins");

    parse("v=DMARC1; p=reject; adkim=s; aspf=s");
    is_int(R.adkim, DMARC_ALIGN_STRICT, "adkim=s");
    is_int(R.aspf, DMARC_ALIGN_STRICT, "aspf=s");
    parse("v=DMARC1; p=reject; ADKIM=S; aspf=R");
    is_int(R.adkim, DMARC_ALIGN_STRICT, "ADKIM=S");
    is_int(R.aspf, DMARC_ALIGN_RELAXED, "aspf=R");
    parse("v=DMARC1; p=reject; adkim=x; aspf=strict");
    is_int(R.adkim, DMARC_ALIGN_RELAXED, "adkim=x ignored");
    is_int(R.aspf, DMARC_ALIGN_RELAXED, "aspf=strict ignored");
    is_int(parse("v=DMARC1; p=reject; adkim="), DMARC_RECORD_OK,
           "empty adkim still OK");
    is_int(R.adkim, DMARC_ALIGN_RELAXED, "empty adkim: relaxed");
}

static void
test_bis(void)
{
    parse("v=DMARC1; p=reject; t=y");
    is_int(R.t_given, true, "t=y given");
    is_int(R.testing, true, "t=y testing");
    parse("v=DMARC1; p=reject; t=N");
    is_int(R.t_given, true, "t=N given");
    is_int(R.testing, false, "t=N not testing");
    parse("v=DMARC1; p=reject; t=yes");
    is_int(R.t_given, false, "t=yes ignored");
    is_int(R.testing, false, "t=yes not testing");

    parse("v=DMARC1; p=reject; psd=y");
    is_int(R.psd, 'y', "psd=y");
    parse("v=DMARC1; p=reject; psd=N");
    is_int(R.psd, 'n', "psd=N");
    parse("v=DMARC1; p=reject; psd=u");
    is_int(R.psd, 'u', "psd=u");
    parse("v=DMARC1; p=reject; psd=x");
    is_int(R.psd, 'u', "psd=x ignored");
}

static void
test_rua(void)
{
    static const struct { const char *v; bool valid; } uris[] = {
        { "mailto:a@example.com", true },
        { "MAILTO:a@example.com", true },
        { "mailto:a@example.com!10m", true },
        { "mailto:a@example.com!10", true },
        { "mailto:a@example.com!10K", true },
        { "mailto:a@example.com!0t", true },
        { "mailto:a%40b@example.com", true },
        { "mailto:a@example.com?subject=dmarc", true },
        { "https://example.com/dmarc/report", true },
        { "x-my.scheme+1:opaque", true },
        { " mailto:a@example.com , mailto:b@example.com ", true },
        { "bogus, mailto:a@example.com", true },
        { "mailto:a@example.com,", true },
        { "mailto:a@example.com!10x", false },
        { "mailto:a@example.com!m", false },
        { "mailto:a@example.com!", false },
        { "mailto:a@example.com!10mm", false },
        { "mailto:a@example.com!10m!5", false },
        { "mailto:", false },
        { "mailto:@example.com", false },
        { "mailto:a@", false },
        { "mailto:a@?x=y", false },
        { "mailto:a@b@example.com", false },
        { "mailto:nobody", false },
        { "mailto:a@exa mple.com", false },
        { "mailto:a@example.com%zz", false },
        { "mailto:a@example.com%4", false },
        { "mailto:\xc3\xa9@example.com", false },
        { "mailto:a\"b@example.com", false },
        { "1mailto:a@example.com", false },
        { ":a@example.com", false },
        { "a b:c", false },
        { "https:", false },
        { "example.com", false },
        { "a@example.com", false },
        { "", false },
        { ",", false },
        { " , ", false },
    };
    char buf[200];

    for (size_t i = 0; i < sizeof(uris) / sizeof(uris[0]); i++) {
        snprintf(buf, sizeof(buf), "v=DMARC1; p=none; rua=%s", uris[i].v);
        is_int(parse(buf), DMARC_RECORD_OK, "%s: status", buf);
        is_int(R.has_rua, uris[i].valid, "%s: has_rua", buf);
    }
    is_int(parse_len("v=DMARC1; p=none; rua=mailto:a@example.com\0", 44),
           DMARC_RECORD_OK, "NUL after rua: status");
    is_int(R.has_rua, false, "NUL after rua: not a valid URI");
    is_int(parse("v=DMARC1; p=none; rua=bogus; rua=mailto:a@example.com"),
           DMARC_RECORD_OK, "duplicate rua: status");
    is_int(R.has_rua, false, "duplicate rua: first wins");
    /* ruf never counts as rua. */
    is_int(parse("v=DMARC1; ruf=mailto:a@example.com"), DMARC_RECORD_INVALID,
           "ruf is no rua");
}

static void
test_long_and_null(void)
{
    size_t n = 200000, pos;
    char *big = malloc(n);

    if (big == NULL)
        abort();
    pos = (size_t)snprintf(big, n, "v=DMARC1; p=reject; ");
    while (pos + 4 <= n) {
        memcpy(big + pos, "x=y;", 4);
        pos += 4;
    }
    is_int(parse_len(big, pos), DMARC_RECORD_OK, "200k record: status");
    is_int(R.p, DM_POLICY_REJECT, "200k record: p");

    /* A single huge rua list with a valid URI at the very end. */
    pos = (size_t)snprintf(big, n, "v=DMARC1; rua=");
    while (pos + 2 + 30 <= n) {
        memcpy(big + pos, "x,", 2);
        pos += 2;
    }
    memcpy(big + pos, "mailto:z@example.com", 20);
    pos += 20;
    is_int(parse_len(big, pos), DMARC_RECORD_OK, "huge rua list: status");
    is_int(R.has_rua, true, "huge rua list: valid one found");
    is_int(R.p_from_rua_fallback, true, "huge rua list: fallback");
    free(big);

    is_int(dmarc_record_parse("v=DMARC1; p=reject", 18, NULL, NULL),
           DMARC_RECORD_OK, "NULL rec and why");
    is_int(dmarc_record_parse("v=DMARC1", 8, NULL, NULL),
           DMARC_RECORD_INVALID, "NULL rec and why, invalid");
}

int
main(void)
{
    test_rfc_examples();
    test_version();
    test_p();
    test_sp_np();
    test_pct_align();
    test_bis();
    test_rua();
    test_long_and_null();
    return done_testing();
}
