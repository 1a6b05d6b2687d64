/*
 * line_reader.c: one bounded line at a time (see line_reader.h), found
 * with memchr in blocks read by fread: a byte at a time through getc was
 * most of the cost of reading a large HistoryFile.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "util/line_reader.h"

#define LR_BLOCK 65536

int
lr_init(struct lr_reader *r, FILE *fp, size_t max, unsigned flags)
{
    memset(r, 0, sizeof(*r));
    r->fp = fp;
    r->max = max;
    r->flags = flags;
    /* room for the line, a "\r" that may yet be dropped, and the NUL */
    r->line = malloc(max + 2);
    r->block = malloc(LR_BLOCK);
    if (r->line == NULL || r->block == NULL) {
        lr_free(r);
        return -1;
    }
    return 0;
}

/* Bytes to look at now: 0 at the end of the file, -1 on a read error,
   -2 when the next byte would pass r->limit. */
static long
lr_avail(struct lr_reader *r)
{
    size_t n;

    if (r->pos == r->end) {
        r->pos = r->end = 0;
        n = fread(r->block, 1, LR_BLOCK, r->fp);
        if (n == 0)
            return ferror(r->fp) ? -1 : 0;
        r->end = n;
        /* one look per block: most lines then need none of their own */
        r->block_nul = memchr(r->block, '\0', n) != NULL;
    }
    n = r->end - r->pos;
    if (r->limit != 0) {
        if (r->total >= r->limit)
            return -2;
        if (n > r->limit - r->total)
            n = (size_t)(r->limit - r->total);
    }
    return (long)n;
}

/* Take the rest of the line, or as much of it as the block holds, into
   r->line (up to max + 1 bytes); true when its "\n" was found. */
static bool
lr_take(struct lr_reader *r, size_t avail, size_t *n, bool *toolong)
{
    const char *p = r->block + r->pos;
    const char *nl = memchr(p, '\n', avail);
    size_t take = nl != NULL ? (size_t)(nl - p) : avail;
    size_t room = r->max + 1 - *n;

    if (take > room) {
        *toolong = true;
        memcpy(r->line + *n, p, room);
        *n += room;
    } else {
        memcpy(r->line + *n, p, take);
        *n += take;
    }
    take += nl != NULL;
    r->pos += take;
    r->total += take;
    return nl != NULL;
}

enum lr_status
lr_next(struct lr_reader *r)
{
    size_t n = 0;
    bool any = false, toolong = false, nul = false;
    long avail;

    r->newline = false;
    while ((avail = lr_avail(r)) > 0) {
        any = true;
        nul = nul || r->block_nul;
        if (lr_take(r, (size_t)avail, &n, &toolong)) {
            r->newline = true;
            break;
        }
    }
    if (avail == -1)
        return LR_ERROR;
    if (avail == -2)
        return LR_BIG;
    if (!any)
        return LR_EOF;
    r->lineno++;
    if ((r->flags & LR_CRLF) && n > 0 && r->line[n - 1] == '\r')
        n--;
    if (toolong || n > r->max)
        return LR_LONG;
    r->line[n] = '\0';
    r->len = n;
    return nul && memchr(r->line, '\0', n) != NULL ? LR_NUL : LR_LINE;
}

void
lr_free(struct lr_reader *r)
{
    if (r->line != NULL)
        explicit_bzero(r->line, r->max + 2);
    if (r->block != NULL)
        explicit_bzero(r->block, LR_BLOCK);
    free(r->line);
    free(r->block);
    r->line = r->block = NULL;
    r->pos = r->end = 0;
}
