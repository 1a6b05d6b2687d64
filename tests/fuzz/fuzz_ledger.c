/*
 * fuzz_ledger.c: libFuzzer target for the files of dmarc-reports' state
 * directory (report/ledger.c): anyone who can write there, or a crash,
 * chooses their bytes.
 *
 * An odd first byte: the rest is DIR/state, read by lg_open(); what it
 * kept is committed and must read back the same. An even one: the rest
 * is an outbox report of a committed generation; a report lg_load()
 * accepts is written back by lg_update() and must load again unchanged.
 * The directory lives in /dev/shm (or /tmp) as long as the process.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char fz_dir[64], fz_state[128], fz_report[160];

/* What lg_open() and lg_commit() leave: the lock, the directories. */
static void
fz_cleanup(void)
{
    char p[160];

    unlink(fz_state);
    unlink(fz_report);
    snprintf(p, sizeof(p), "%s/lock", fz_dir);
    unlink(p);
    snprintf(p, sizeof(p), "%s/outbox", fz_dir);
    rmdir(p);
    rmdir(fz_dir);
}

static void
fz_setup(void)
{
    const char *base = access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp";

    snprintf(fz_dir, sizeof(fz_dir), "%s/fuzz_ledger.XXXXXX", base);
    if (mkdtemp(fz_dir) == NULL)
        abort();
    snprintf(fz_state, sizeof(fz_state), "%s/state", fz_dir);
    snprintf(fz_report, sizeof(fz_report), "%s/outbox", fz_dir);
    if (mkdir(fz_report, 0700) != 0)
        abort();
    strcat(fz_report, "/1-fuzz.report");
    atexit(fz_cleanup);
}

static void
fz_write(const char *path, const void *data, size_t size)
{
    FILE *fp = fopen(path, "w");

    if (fp == NULL || fwrite(data, 1, size, fp) != size || fclose(fp) != 0)
        abort();
}

static void
fz_open(struct ledger *lg)
{
    char err[256];

    if (!lg_open(lg, fz_dir, err, sizeof(err)))
        abort();
}

/* The state file: what was kept survives a commit unchanged. */
static void
fz_state_file(const uint8_t *data, size_t size)
{
    struct ledger lg, back;
    unsigned long long gen;
    struct lg_file *kept;
    size_t n;
    char err[256];

    fz_write(fz_state, data, size);
    fz_open(&lg);
    for (size_t i = 0; i < lg.n_files; i++)
        if (lg.files[i].done < 0 || lg.files[i].seen < lg.files[i].done)
            abort();
    if (!lg_commit(&lg, err, sizeof(err)))
        abort();
    /* the lock is the directory's: let go of it before reading again */
    gen = lg.gen;
    n = lg.n_files;
    kept = lg.files;
    lg.files = NULL;
    lg_close(&lg);
    fz_open(&back);
    if (back.gen != gen || back.n_files != n ||
        (n > 0 && memcmp(back.files, kept, n * sizeof(*kept)) != 0))
        abort();
    free(kept);
    lg_close(&back);
}

static bool
fz_same(const struct lg_report *a, const struct lg_report *b)
{
    if (strcmp(a->id, b->id) != 0 || strcmp(a->domain, b->domain) != 0 ||
        a->begin != b->begin || a->end != b->end ||
        a->created != b->created || a->n_dest != b->n_dest)
        return false;
    for (size_t i = 0; i < a->n_dest; i++)
        if (strcmp(a->dest[i], b->dest[i]) != 0)
            return false;
    return true;
}

/* An outbox report: one that loads, written back, loads the same. */
static void
fz_outbox_file(const uint8_t *data, size_t size)
{
    struct lg_report r, back;
    struct ledger lg;
    char **names, *gz, *gz2;
    size_t n, len, len2;

    fz_write(fz_state, "generation 1\n", 13);
    fz_write(fz_report, data, size);
    fz_open(&lg);
    n = lg_outbox(&lg, &names);
    if (n != 1 || strcmp(names[0], "1-fuzz") != 0)
        abort();
    if (lg_load(&lg, names[0], &r, &gz, &len)) {
        if (r.id[0] == '\0' || r.domain[0] == '\0' || r.n_dest > LG_DEST_MAX)
            abort();
        for (size_t i = 0; i < r.n_dest; i++)
            if (strchr(r.dest[i], '\n') != NULL)
                abort();
        if (r.n_dest > 0) {
            if (!lg_update(&lg, &r) ||
                !lg_load(&lg, names[0], &back, &gz2, &len2))
                abort();
            if (!fz_same(&r, &back) || len != len2 ||
                (len > 0 && memcmp(gz, gz2, len) != 0))
                abort();
            lg_report_free(&back);
            free(gz2);
        }
        free(gz);
    }
    /* a refused report may hold destinations read before its damage */
    lg_report_free(&r);
    free(names[0]);
    free(names);
    unlink(fz_report);
    lg_close(&lg);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (fz_dir[0] == '\0')
        fz_setup();
    if (size == 0 || size > 65536)
        return 0;
    if (data[0] & 1)
        fz_state_file(data + 1, size - 1);
    else
        fz_outbox_file(data + 1, size - 1);
    unlink(fz_state);
    return 0;
}
