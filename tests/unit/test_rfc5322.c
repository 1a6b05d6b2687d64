/*
 * test_rfc5322.c: where comments, quoted strings, domain literals and
 * CFWS end (dmarc/rfc5322.c), at the edges the header parsers rely on.
 */
#include <config.h>

#include <string.h>

#include "dmarc/rfc5322.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

/* A literal with its exact length, so that embedded NULs count. */
#define LIT(s) (s), (sizeof(s) - 1)

typedef bool skip_fn(const char *, size_t, size_t *);

/* Skip from start: the position reached, or -1 when refused. A refusal
 * must leave the position alone. */
static long
end_of(skip_fn *skip, const char *s, size_t len, size_t start)
{
    size_t pos = start;

    if (skip(s, len, &pos))
        return (long)pos;
    return pos == start ? -1 : -2;
}

static void
test_comment(void)
{
    char buf[128];

    is_int(end_of(r5_skip_comment, LIT("() x"), 0), 2, "empty comment");
    is_int(end_of(r5_skip_comment, LIT("(a (b) c) x"), 0), 9, "nested");
    is_int(end_of(r5_skip_comment, LIT("x (c) y"), 2), 5, "from an offset");
    is_int(end_of(r5_skip_comment, LIT("(a\\) b) x"), 0), 7,
           "a quoted \")\" does not close");
    is_int(end_of(r5_skip_comment, LIT("(a\\( b) x"), 0), 7,
           "a quoted \"(\" does not nest");
    is_int(end_of(r5_skip_comment, LIT("(\"a)\" x"), 0), 4,
           "quotes mean nothing inside a comment");
    is_int(end_of(r5_skip_comment, buf,
                  fx_nested(buf, R5_COMMENT_DEPTH_MAX), 0),
           2 * R5_COMMENT_DEPTH_MAX, "32 levels");
    is_int(end_of(r5_skip_comment, buf,
                  fx_nested(buf, R5_COMMENT_DEPTH_MAX + 1), 0), -1,
           "33 levels refused");
    is_int(end_of(r5_skip_comment, LIT("(a (b) c"), 0), -1, "unterminated");
    is_int(end_of(r5_skip_comment, "(a) b", 2, 0), -1,
           "the closing \")\" beyond len is not read");
    is_int(end_of(r5_skip_comment, LIT("(a\0b) x"), 0), -1, "a NUL refused");
    is_int(end_of(r5_skip_comment, LIT("(a\\"), 0), -1,
           "a backslash at the end refused");
    is_int(end_of(r5_skip_comment, LIT("(a\\\0) x"), 0), -1,
           "a backslash before a NUL refused");
    is_int(end_of(r5_skip_comment, LIT("x (c)"), 0), -1, "not at \"(\"");
    is_int(end_of(r5_skip_comment, "(", 1, 1), -1, "at the end");
}

static void
test_quoted_and_literal(void)
{
    is_int(end_of(r5_skip_quoted, LIT("\"a b\" x"), 0), 5, "quoted string");
    is_int(end_of(r5_skip_quoted, LIT("\"a\\\"b\" x"), 0), 6,
           "a quoted pair holds a quote");
    is_int(end_of(r5_skip_quoted, LIT("\"a\\\\\" x"), 0), 5,
           "an escaped backslash before the closing quote");
    is_int(end_of(r5_skip_quoted, LIT("\"a (b\" x"), 0), 6,
           "a \"(\" inside quotes opens no comment");
    is_int(end_of(r5_skip_quoted, LIT("\"abc"), 0), -1, "unterminated");
    is_int(end_of(r5_skip_quoted, LIT("\"a\0\" x"), 0), -1, "a NUL refused");
    is_int(end_of(r5_skip_quoted, LIT("\"a\\"), 0), -1,
           "a backslash at the end refused");
    is_int(end_of(r5_skip_quoted, LIT("a\""), 0), -1, "not at a quote");

    is_int(end_of(r5_skip_literal, LIT("[192.0.2.1]>"), 0), 11,
           "domain literal");
    is_int(end_of(r5_skip_literal, LIT("[a\\]b]>"), 0), 6,
           "obs-dtext: a quoted \"]\"");
    is_int(end_of(r5_skip_literal, LIT("[a[b]>"), 0), -1,
           "a \"[\" inside refused");
    is_int(end_of(r5_skip_literal, LIT("[a\0]"), 0), -1, "a NUL refused");
    is_int(end_of(r5_skip_literal, LIT("[abc"), 0), -1, "unterminated");
}

static void
test_cfws(void)
{
    size_t pos = 0;

    is_int(end_of(r5_skip_cfws, LIT(" \t\r\n(a) (b (c))x"), 0), 15,
           "white space, folds and comments");
    is_int(end_of(r5_skip_cfws, LIT("x (a)"), 0), 0, "nothing to skip");
    is_int(end_of(r5_skip_cfws, LIT("x (a)"), 1), 5, "up to the end");
    is_int(end_of(r5_skip_cfws, "", 0, 0), 0, "empty");
    ok(!r5_skip_cfws(LIT("  (a (b) x"), &pos) && pos == 2,
       "an unterminated comment: false, at its \"(\"");
}

int
main(void)
{
    test_comment();
    test_quoted_and_literal();
    test_cfws();
    return done_testing();
}
