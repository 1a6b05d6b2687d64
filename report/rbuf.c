/*
 * rbuf.c: the growing buffer (rbuf.h) and XML escaping.
 */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/rbuf.h"
#include "util/util.h"

static bool
rb_room(struct rbuf *b, size_t more)
{
    return grow_to(&b->p, &b->cap, b->len + more + 1, 4096, &b->oom);
}

void
rb_add_grow(struct rbuf *b, const void *data, size_t len)
{
    if (!rb_room(b, len))
        return;
    memcpy(b->p + b->len, data, len);
    b->len += len;
    b->p[b->len] = '\0';
}

void
rb_str(struct rbuf *b, const char *s)
{
    rb_add(b, s, strlen(s));
}

void
rb_printf(struct rbuf *b, const char *fmt, ...)
{
    va_list ap;
    int n;

    /* format into the room there is; only a longer text formats twice */
    if (!rb_room(b, 128))
        return;
    va_start(ap, fmt);
    n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) {
        b->oom = true;
        return;
    }
    if ((size_t)n >= b->cap - b->len) {
        if (!rb_room(b, (size_t)n))
            return;
        va_start(ap, fmt);
        vsnprintf(b->p + b->len, (size_t)n + 1, fmt, ap);
        va_end(ap);
    }
    b->len += (size_t)n;
}

void
rb_u64(struct rbuf *b, unsigned long long v)
{
    char d[24];
    size_t i = sizeof(d);

    do {
        d[--i] = (char)('0' + v % 10);
        v /= 10;
    } while (v != 0);
    rb_add(b, d + i, sizeof(d) - i);
}

/* Length of the valid UTF-8 sequence at s (1..4), 0 when invalid. */
static size_t
rb_utf8(const unsigned char *s)
{
    size_t n;

    if (s[0] < 0x80)
        return 1;
    n = s[0] >= 0xf0 && s[0] <= 0xf4 ? 4 : s[0] >= 0xe0 ? 3 :
        s[0] >= 0xc2 && s[0] < 0xe0 ? 2 : 0;
    for (size_t i = 1; i < n; i++)
        if ((s[i] & 0xc0) != 0x80)
            return 0;
    return n;
}

/* Bytes written as they are: printable ASCII but the five entities. */
static bool
rb_plain(unsigned char c)
{
    return c >= 0x20 && c < 0x7f && c != '&' && c != '<' && c != '>' &&
           c != '"' && c != '\'';
}

void
rb_xml(struct rbuf *b, const char *s)
{
    const unsigned char *u = (const unsigned char *)s;

    while (*u != '\0') {
        size_t n = 0;
        while (rb_plain(u[n]))
            n++;
        if (n > 0) {                /* the common case: a run at once */
            rb_add(b, u, n);
            u += n;
            continue;
        }
        n = rb_utf8(u);
        switch (*u) {
        case '&': rb_str(b, "&amp;"); break;
        case '<': rb_str(b, "&lt;"); break;
        case '>': rb_str(b, "&gt;"); break;
        case '"': rb_str(b, "&quot;"); break;
        case '\'': rb_str(b, "&apos;"); break;
        default:
            if (n == 0 || (*u < 0x20 && *u != '\t' && *u != '\n')) {
                rb_str(b, "\xef\xbf\xbd");
                n = 1;
            } else {
                rb_add(b, u, n);
            }
            u += n;
            continue;
        }
        u++;
    }
}

void
rb_free(struct rbuf *b)
{
    free(b->p);
    memset(b, 0, sizeof(*b));
}
