/*
 * line_reader.c: one bounded line at a time (see line_reader.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/line_reader.h"

int
lr_init(struct lr_reader *r, FILE *fp, size_t max, unsigned flags)
{
    memset(r, 0, sizeof(*r));
    r->fp = fp;
    r->max = max;
    r->flags = flags;
    /* room for the line, a "\r" that may yet be dropped, and the NUL */
    r->line = malloc(max + 2);
    return r->line != NULL ? 0 : -1;
}

enum lr_status
lr_next(struct lr_reader *r)
{
    size_t n = 0;
    bool any = false, nul = false, toolong = false;
    int ch;

    r->newline = false;
    while ((ch = getc(r->fp)) != EOF) {
        any = true;
        if (r->limit != 0 && ++r->total > r->limit)
            return LR_BIG;
        if (ch == '\n') {
            r->newline = true;
            break;
        }
        if (ch == '\0')
            nul = true;
        if (n < r->max + 1)
            r->line[n++] = (char)ch;
        else
            toolong = true;
    }
    if (ch == EOF && ferror(r->fp))
        return LR_ERROR;
    if (!any)
        return LR_EOF;
    r->lineno++;
    if ((r->flags & LR_CRLF) && n > 0 && r->line[n - 1] == '\r')
        n--;
    if (toolong || n > r->max)
        return LR_LONG;
    r->line[n] = '\0';
    r->len = n;
    return nul ? LR_NUL : LR_LINE;
}

void
lr_free(struct lr_reader *r)
{
    if (r->line != NULL)
        explicit_bzero(r->line, r->max + 2);
    free(r->line);
    r->line = NULL;
}
