/*
 * test_linereader.c: util/line_reader.c on its own: lines, the last one
 * without its newline, CRLF, the length bound with its line numbers, NUL
 * bytes, the file size cap (the HistoryFile's snapshot end), lines across
 * the reader's blocks, a read error, and the byte count.
 */
#include <config.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "util/util.h"
#include "tap.h"

/* A stream over len bytes of text (tmpfile: NUL bytes survive). */
static FILE *
stream(const char *text, size_t len)
{
    FILE *fp = tmpfile();

    if (fp == NULL || fwrite(text, 1, len, fp) != len || fflush(fp) != 0)
        exit(99);
    rewind(fp);
    return fp;
}

#define S(lit) stream(lit, sizeof(lit) - 1)

static void
test_lines(void)
{
    struct lr_reader r;
    FILE *fp = S("one\n\nthree\r\nlast");

    ok(lr_init(&r, fp, 16, 0) == 0, "init");
    is_int(lr_next(&r), LR_LINE, "first line");
    is_str(r.line, "one", "its text");
    ok(r.newline && r.len == 3 && r.lineno == 1, "its newline, length, number");
    is_int(lr_next(&r), LR_LINE, "an empty line");
    ok(r.len == 0 && r.line[0] == '\0' && r.newline, "is empty");
    is_int(lr_next(&r), LR_LINE, "a CRLF line");
    is_str(r.line, "three\r", "keeps its CR without LR_CRLF");
    is_int(lr_next(&r), LR_LINE, "the last line");
    is_str(r.line, "last", "its text");
    ok(!r.newline && r.lineno == 4, "has no newline, is line 4");
    is_int(lr_next(&r), LR_EOF, "then the end");
    is_int(lr_next(&r), LR_EOF, "and the end again");
    is_int(r.total, 16, "every byte counted");
    lr_free(&r);
    ok(r.line == NULL && r.block == NULL, "lr_free frees both buffers");
    lr_free(&r);
    fclose(fp);

    fp = S("");
    lr_init(&r, fp, 16, 0);
    is_int(lr_next(&r), LR_EOF, "an empty file: the end at once");
    lr_free(&r);
    fclose(fp);
}

static void
test_crlf(void)
{
    struct lr_reader r;
    FILE *fp = S("a\r\nb\r\r\n12345678\r\nc\r");

    lr_init(&r, fp, 8, LR_CRLF);
    is_int(lr_next(&r), LR_LINE, "CRLF: a line");
    is_str(r.line, "a", "its CR dropped");
    lr_next(&r);
    is_str(r.line, "b\r", "only the last CR dropped");
    is_int(lr_next(&r), LR_LINE, "max bytes and a CR: not too long");
    is_str(r.line, "12345678", "its text");
    is_int(lr_next(&r), LR_LINE, "a CR at the end of the file");
    is_str(r.line, "c", "is dropped too");
    lr_free(&r);
    fclose(fp);
}

static void
test_bounds(void)
{
    struct lr_reader r;
    FILE *fp = S("12345678\n123456789\nok\nab\0cd\nx\r\n");

    lr_init(&r, fp, 8, 0);
    is_int(lr_next(&r), LR_LINE, "max bytes: a line");
    is_int(lr_next(&r), LR_LONG, "max + 1 bytes: too long");
    is_int(r.lineno, 2, "reported as line 2");
    is_int(lr_next(&r), LR_LINE, "reading goes on");
    is_str(r.line, "ok", "with the next line");
    is_int(lr_next(&r), LR_NUL, "a NUL byte");
    is_int(r.lineno, 4, "on line 4");
    is_int(lr_next(&r), LR_LINE, "then the next line");
    is_str(r.line, "x\r", "a CR kept without LR_CRLF counts");
    lr_free(&r);
    fclose(fp);
}

static void
test_limit(void)
{
    struct lr_reader r;
    FILE *fp = S("abc\ndefghij\nklm\n");

    lr_init(&r, fp, 16, 0);
    r.limit = 12;               /* "abc\n" and "defghij\n" */
    is_int(lr_next(&r), LR_LINE, "limit: a line within");
    is_int(lr_next(&r), LR_LINE, "a line ending at the limit");
    is_str(r.line, "defghij", "whole");
    is_int(lr_next(&r), LR_BIG, "the next byte passes it");
    is_int(r.total, 12, "no byte past it taken");
    lr_free(&r);
    rewind(fp);

    lr_init(&r, fp, 16, 0);
    r.limit = 10;               /* inside "defghij" */
    lr_next(&r);
    is_int(lr_next(&r), LR_BIG, "a line crossing the limit");
    is_int(r.lineno, 1, "is not counted");
    lr_free(&r);
    fclose(fp);

    fp = S("abc\ndefghij");
    lr_init(&r, fp, 16, 0);
    r.limit = 11;               /* the whole file */
    lr_next(&r);
    is_int(lr_next(&r), LR_LINE, "a file as large as the limit");
    ok(!r.newline && strcmp(r.line, "defghij") == 0,
       "its last line, without newline");
    is_int(lr_next(&r), LR_EOF, "then the end");
    lr_free(&r);
    rewind(fp);

    lr_init(&r, fp, 16, 0);
    r.limit = 10;               /* "defghi" ends at it, "j" follows */
    lr_next(&r);
    is_int(lr_next(&r), LR_BIG, "a line without newline at the limit, "
           "with more after it");
    lr_free(&r);
    fclose(fp);

    fp = S("a\n0123456789012345678901234567890123456789");
    lr_init(&r, fp, 4, 0);
    r.limit = 20;
    lr_next(&r);
    is_int(lr_next(&r), LR_BIG, "a long line crossing the limit: LR_BIG");
    lr_free(&r);
    fclose(fp);
}

/* Line i of the big file: i % 1500 bytes of a pattern (over max from
   1025 on), so lines fall across the reader's blocks everywhere. */
static size_t
big_line(size_t i, char *out)
{
    size_t n = i % 1500;

    for (size_t j = 0; j < n; j++)
        out[j] = (char)('a' + (i + j) % 26);
    return n;
}

static void
test_blocks(void)
{
    static char text[1 << 21], want[1500];
    struct lr_reader r;
    size_t len = 0, n_lines, lines = 0, bad = 0, longs = 0, want_longs = 0;
    enum lr_status st;
    FILE *fp;

    for (n_lines = 0; len + 1500 < (1 << 20); n_lines++) {
        len += big_line(n_lines, text + len);
        text[len++] = '\n';
        want_longs += n_lines % 1500 > 1024;
    }
    /* then one line of 300 KB, over several blocks, and a short one */
    memset(text + len, 'z', 300000);
    len += 300000;
    memcpy(text + len, "\nafter\n", 7);
    len += 7;
    fp = stream(text, len);
    lr_init(&r, fp, 1024, 0);
    for (; lines < n_lines && (st = lr_next(&r)) != LR_EOF; lines++) {
        size_t n = big_line(lines, want);
        if (st == LR_LONG && n > 1024)
            longs++;
        else if (st != LR_LINE || r.len != n || memcmp(r.line, want, n) != 0)
            bad++;
    }
    ok(bad == 0 && lines == n_lines, "1 MB of lines across blocks: each as "
       "written (%zu of %zu bad)", bad, lines);
    ok(longs == want_longs && longs > 0, "each line over the bound "
       "reported (%zu of %zu)", longs, want_longs);
    is_int(lr_next(&r), LR_LONG, "a line of 300 KB: too long");
    is_int(r.lineno, n_lines + 1, "with its number");
    is_int(lr_next(&r), LR_LINE, "the line after it");
    is_str(r.line, "after", "whole");
    is_int(lr_next(&r), LR_EOF, "the end");
    is_int(r.total, len, "every byte counted");
    lr_free(&r);
    fclose(fp);
}

static void
test_error(void)
{
    struct lr_reader r;
    FILE *fp = fopen("/", "r");   /* a directory: read(2) fails */

    if (fp == NULL) {
        ok(1, "# SKIP cannot open / for reading");
        return;
    }
    lr_init(&r, fp, 16, 0);
    errno = 0;
    is_int(lr_next(&r), LR_ERROR, "a read error");
    is_int(errno, EISDIR, "errno says which");
    lr_free(&r);
    fclose(fp);
}

int
main(void)
{
    test_lines();
    test_crlf();
    test_bounds();
    test_limit();
    test_blocks();
    test_error();
    return done_testing();
}
