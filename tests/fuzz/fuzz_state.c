/*
 * fuzz_state.c: MetricsStateFile contents (bytes anyone with access to the
 * file, or a crash, may leave) through the loader.
 *
 * The bytes go to a file in a private directory and sf_load() reads it.
 * When the first byte is odd the rest gets a correct end line (row count
 * and checksum) appended, so the fuzzer also reaches past the checksum into
 * the row parser. Checked: a refused file leaves the store empty; a loaded
 * one saves and loads again to the very same rows.
 */
#include <config.h>

#include <dirent.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "metrics/counter_store.h"
#include "util/log.h"
#include "metrics/state_file.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64], fz_path[128], fz_copy[128];

static void
fz_clean(void)
{
    DIR *d = opendir(fz_dir);
    struct dirent *de;
    char p[512];

    if (d == NULL)
        return;
    while ((de = readdir(d)) != NULL) {
        if (de->d_name[0] == '.')
            continue;
        snprintf(p, sizeof(p), "%s/%s", fz_dir, de->d_name);
        unlink(p);
    }
    closedir(d);
}

/* At exit: the directory itself, so runs leave nothing in /dev/shm. */
static void
fz_remove(void)
{
    fz_clean();
    rmdir(fz_dir);
}

static void
fz_setup(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz_state.XXXXXX", base);
    if (mkdtemp(fz_dir) == NULL)
        abort();
    snprintf(fz_path, sizeof(fz_path), "%s/state", fz_dir);
    snprintf(fz_copy, sizeof(fz_copy), "%s/copy", fz_dir);
    atexit(fz_remove);
    /* Syslog: the loader's complaints would drown the fuzzer's output. */
    dm_log_open("fuzz_state", true, LOG_USER);
}

static void
fz_write(const uint8_t *data, size_t size)
{
    FILE *fp = fopen(fz_path, "w");
    uint64_t h = UINT64_C(0xcbf29ce484222325);
    size_t rows = 0;

    if (fp == NULL)
        abort();
    if (size > 0 && (data[0] & 1)) {
        data++;
        size--;
        for (size_t i = 0; i < size; i++) {
            h ^= data[i];
            h *= UINT64_C(0x100000001b3);
            if ((i == 0 || data[i - 1] == '\n') && size - i >= 4 &&
                memcmp(data + i, "row ", 4) == 0)
                rows++;
        }
        fwrite(data, 1, size, fp);
        fprintf(fp, "end %zu %016" PRIx64 "\n", rows, h);
    } else {
        fwrite(data, 1, size, fp);
    }
    if (fclose(fp) != 0)
        abort();
}

struct fz_rows { struct cs_store *other; bool same; size_t n; };

static bool
fz_compare(const struct cs_row_view *r, void *arg)
{
    struct fz_rows *c = arg;
    struct cs_row_view v;

    c->n++;
    if (!cs_row_at(c->other, r->index, &v) ||
        strcmp(v.domain, r->domain) != 0 || v.policy != r->policy ||
        memcmp(v.result, r->result, sizeof(v.result)) != 0 ||
        memcmp(v.disp, r->disp, sizeof(v.disp)) != 0)
        c->same = false;
    return true;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct cs_store *cs, *back;
    struct cs_totals t;
    char err[256];

    if (cs == NULL) {
        fz_setup();
        if ((cs = cs_new(4, err, sizeof(err))) == NULL ||
            (back = cs_new(4, err, sizeof(err))) == NULL)
            abort();
    }
    if (size > 65536)
        return 0;
    fz_write(data, size);
    switch (sf_load(cs, fz_path)) {
    case SF_LOADED:
        if (sf_save(cs, fz_copy, err, sizeof(err)) != 0)
            abort();
        if (sf_load(back, fz_copy) != SF_LOADED)
            abort();
        {
            struct fz_rows c = { back, true, 0 };
            struct cs_totals tb;

            cs_foreach_row(cs, fz_compare, &c);
            cs_totals(cs, &t);
            cs_totals(back, &tb);
            if (!c.same || c.n != tb.rows || t.overflow != tb.overflow ||
                t.eval_sum_ns != tb.eval_sum_ns)
                abort();
        }
        break;
    case SF_DISCARDED:
    case SF_ABSENT:
    case SF_UNREADABLE:
        cs_totals(cs, &t);
        if (t.rows != 0 || t.tracked_domains != 0 || t.eval_count != 0)
            abort();
        break;
    }
    cs_clear(cs);
    cs_clear(back);
    fz_clean();
    return 0;
}
