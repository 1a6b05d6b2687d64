/*
 * line_reader.h: one line at a time from a file, bounded. A line longer
 * than the limit, or one holding a NUL byte, is reported as such with its
 * number, and reading goes on with the next line; the caller words the
 * message. Every reader of a text file we are given goes through here
 * (the configuration, IgnoreHosts, MetricsDomains, MetricsBasicAuthFile,
 * MetricsStateFile, NoReportsList and the HistoryFile).
 */
#ifndef DM_LINE_READER_H
#define DM_LINE_READER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

/* A "\r" before the "\n" (or before the end of the file) is dropped. */
#define LR_CRLF 0x1

/*
 * The file is read in blocks, ahead of the lines returned: once given to
 * lr_init, fp is read only through lr_next (its position is past the
 * lines returned). r->total counts the bytes of the lines returned.
 */
struct lr_reader {
    FILE *fp;                  /* the caller's; lr_free() leaves it open */
    size_t max;                /* bytes of a line, without its end */
    unsigned flags;
    unsigned long long limit;  /* bytes of the whole file; 0: no bound */
    unsigned long long total;  /* bytes taken so far, line ends included */
    size_t lineno;             /* lines read so far, bad ones included */
    char *line;                /* LR_LINE: the line, NUL-terminated */
    size_t len;
    bool newline;              /* it ended with "\n", not at end of file */
    char *block;               /* bytes read from fp, not yet taken */
    size_t pos, end;
    bool block_nul;            /* the block holds a NUL byte somewhere */
};

enum lr_status {
    LR_LINE,   /* r->line holds the next line */
    LR_EOF,    /* no byte left */
    LR_LONG,   /* line r->lineno is longer than r->max; it is skipped */
    LR_NUL,    /* line r->lineno holds a NUL byte */
    LR_ERROR,  /* a read error; errno says which */
    LR_BIG     /* the file is larger than r->limit; stop reading */
};

/* Read fp in lines of at most max bytes; -1 when memory is short. */
int lr_init(struct lr_reader *r, FILE *fp, size_t max, unsigned flags);

enum lr_status lr_next(struct lr_reader *r);

/* Wipe and free the buffers (a line may have held a password hash). */
void lr_free(struct lr_reader *r);

#endif
