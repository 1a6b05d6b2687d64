/*
 * rbuf.h: a growing byte buffer for what dmarc-reports writes (XML, mail,
 * state files). An allocation that fails marks the buffer; the writer
 * checks once at the end instead of after every piece.
 */
#ifndef DM_RBUF_H
#define DM_RBUF_H

#include <stdbool.h>
#include <stddef.h>
#include <string.h>

struct rbuf {
    char *p;                    /* NUL-terminated when len > 0 */
    size_t len, cap;
    bool oom;
};

void rb_add_grow(struct rbuf *b, const void *data, size_t len);

/* Append len bytes; inline, since the XML of a large day is a hundred
   million small pieces. After a failed allocation it may still append
   where there is room: the writer checks oom once at the end anyway. */
static inline void
rb_add(struct rbuf *b, const void *data, size_t len)
{
    if (b->len + len < b->cap) {        /* and the NUL */
        memcpy(b->p + b->len, data, len);
        b->len += len;
        b->p[b->len] = '\0';
    } else {
        rb_add_grow(b, data, len);
    }
}

/* A string literal, its length known when compiled. */
#define RB_LIT(b, lit) rb_add((b), (lit), sizeof(lit) - 1)

void rb_str(struct rbuf *b, const char *s);
void rb_printf(struct rbuf *b, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));
void rb_u64(struct rbuf *b, unsigned long long v);
/* s with & < > " ' as XML entities and every byte that XML 1.0 forbids
   (controls, invalid UTF-8) as U+FFFD. */
void rb_xml(struct rbuf *b, const char *s);
void rb_free(struct rbuf *b);

#endif
