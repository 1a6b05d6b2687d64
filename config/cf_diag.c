/*
 * cf_diag.c: the configuration reader's diagnostics: "file:line: text"
 * for every error and warning, values quoted back without control bytes,
 * and the next usable line of a file with its faults reported.
 *
 * config.c (the reader) and cf_set.c (the setters) both report through
 * these; they live apart so that neither of the two needs the other.
 */
#include <config.h>

#include <errno.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include "config/cf_set.h"
#include "config/conf.h"
#include "util/util.h"

#define CF_DIAG_MAX 1024

void
cf_diag(struct cf_ctx *c, bool is_error, const char *file, unsigned line,
        const char *fmt, ...)
{
    char msg[CF_DIAG_MAX];
    int n;
    va_list ap;

    if (is_error) {
        c->errors++;
        if (file == c->reading.file)
            c->reading.errors++;
    }
    if (c->report == NULL)
        return;
    if (line > 0)
        n = snprintf(msg, sizeof(msg), "%s:%u: ", file, line);
    else
        n = snprintf(msg, sizeof(msg), "%s: ", file);
    if (n < 0)
        n = 0;
    if ((size_t)n < sizeof(msg)) {
        va_start(ap, fmt);
        vsnprintf(msg + n, sizeof(msg) - (size_t)n, fmt, ap);
        va_end(ap);
    }
    /* file names come from the configuration too: no control bytes out */
    for (char *p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    c->report(c->arg, is_error, msg);
}

const char *
cf_show(char out[CF_SHOW_MAX + 4], const char *in)
{
    size_t i;

    for (i = 0; in[i] != '\0' && i < CF_SHOW_MAX; i++) {
        unsigned char ch = (unsigned char)in[i];
        out[i] = (ch < 0x20 || ch == 0x7f) ? '?' : (char)ch;
    }
    if (in[i] != '\0') {
        memcpy(out + i, "...", 3);
        i += 3;
    }
    out[i] = '\0';
    return out;
}

void
cf_bad(struct cf_ctx *c, const struct cf_key *k, const char *val,
       const char *expected)
{
    char s[CF_SHOW_MAX + 4];
    cf_diag(c, true, c->file, c->line, "bad value '%s' for %s: expected %s",
            cf_show(s, val), k->name, expected);
}

bool
cf_nomem(struct cf_ctx *c)
{
    cf_diag(c, true, c->file, c->line, "out of memory");
    return false;
}

struct cf_reading
cf_reading_start(struct cf_ctx *c, const char *path)
{
    struct cf_reading outer = c->reading;

    c->reading.file = path;
    c->reading.errors = 0;
    c->reading.stopped = false;
    return outer;
}

/* The public suffix list named as an IgnoreHosts file gave ten thousand
   errors, a log in which every other message was lost. */
bool
cf_file_stop(struct cf_ctx *c, const char *file, unsigned line)
{
    if (file != c->reading.file || c->reading.errors < CF_FILE_ERRORS)
        return false;
    if (!c->reading.stopped) {
        c->reading.stopped = true;
        cf_diag(c, true, file, line,
                "%d errors; the rest of this file is not read",
                CF_FILE_ERRORS);
    }
    return true;
}

bool
cf_next_line(struct cf_ctx *c, struct lr_reader *r, const char *path)
{
    for (;;) {
        enum lr_status st = lr_next(r);

        if (st != LR_EOF && st != LR_ERROR && st != LR_BIG &&
            cf_file_stop(c, path, (unsigned)r->lineno))
            return false;
        switch (st) {
        case LR_LINE:
            return true;
        case LR_EOF:
            return false;
        case LR_LONG:
            cf_diag(c, true, path, (unsigned)r->lineno,
                    "line longer than %d bytes", CF_LINE_MAX);
            break;
        case LR_NUL:
            cf_diag(c, true, path, (unsigned)r->lineno, "NUL byte in line");
            break;
        case LR_ERROR:
            cf_diag(c, true, path, 0, "read error: %s", strerror(errno));
            return false;
        case LR_BIG:
            cf_diag(c, true, path, 0,
                    "larger than %ld bytes; the rest is not read",
                    CF_FILE_MAX);
            return false;
        }
    }
}
