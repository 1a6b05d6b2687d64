/*
 * rfc5322.c: where a comment, quoted string, domain literal or run of
 * CFWS of RFC 5322 header text ends (section 3.2). The From parser and the
 * Authentication-Results parser both skip them here, so that the two can
 * never disagree on what is inside a comment and what follows it.
 */
#include <config.h>

#include <stddef.h>

#include "dmarc/rfc5322.h"

/*
 * One byte of a delimited piece: the byte at *p, and *p past it. A quoted
 * pair is stepped over whole and returned as '\\', so that it is never
 * taken for a delimiter. -1, *p unchanged, on a NUL (code downstream
 * would stop at it while we read on) or a backslash with nothing after it.
 */
static int
r5_step(const char **p, const char *end)
{
    const char *s = *p;

    if (*s == '\0')
        return -1;
    if (*s == '\\') {
        if (end - s < 2 || s[1] == '\0')
            return -1;
        *p = s + 2;
        return '\\';
    }
    *p = s + 1;
    return (unsigned char)*s;
}

/* Past the piece at *pos: *pos moved there, or false and left alone. */
static bool
r5_moved(const char *s, const char *past, size_t *pos)
{
    if (past == NULL)
        return false;
    *pos = (size_t)(past - s);
    return true;
}

/* At "(": past the ")" that closes it, or NULL. */
static const char *
r5_comment_end(const char *p, const char *end)
{
    unsigned depth = 0;

    if (p >= end || *p != '(')
        return NULL;
    while (p < end) {
        int c = r5_step(&p, end);

        if (c < 0)
            return NULL;
        if (c == '(') {
            if (++depth > R5_COMMENT_DEPTH_MAX)
                return NULL;
        } else if (c == ')') {
            if (--depth == 0)
                return p;
        }
    }
    return NULL;
}

/* At open: past close, or NULL; forbidden ('\0' for none) may not stand inside. */
static const char *
r5_delimited_end(const char *p, const char *end, char open, char close,
                 char forbidden)
{
    if (p >= end || *p != open)
        return NULL;
    for (p++; p < end;) {
        int c;

        if (forbidden != '\0' && *p == forbidden)
            return NULL;
        if ((c = r5_step(&p, end)) < 0)
            return NULL;
        if (c == close)
            return p;
    }
    return NULL;
}

bool
r5_skip_comment(const char *s, size_t len, size_t *pos)
{
    return r5_moved(s, r5_comment_end(s + *pos, s + len), pos);
}

bool
r5_skip_quoted(const char *s, size_t len, size_t *pos)
{
    return r5_moved(s, r5_delimited_end(s + *pos, s + len, '"', '"', '\0'),
                    pos);
}

bool
r5_skip_literal(const char *s, size_t len, size_t *pos)
{
    return r5_moved(s, r5_delimited_end(s + *pos, s + len, '[', ']', '['),
                    pos);
}

bool
r5_skip_cfws(const char *s, size_t len, size_t *pos)
{
    while (*pos < len) {
        char c = s[*pos];

        if (c == ' ' || c == '\t' || c == '\r' || c == '\n')
            (*pos)++;
        else if (c != '(')
            break;
        else if (!r5_skip_comment(s, len, pos))
            return false;
    }
    return true;
}
