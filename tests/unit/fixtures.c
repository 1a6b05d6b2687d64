/*
 * fixtures.c: the unit tests' shared helpers that need only libc (see
 * fixtures.h): the temporary directory, its files, engine inputs.
 */
#include <config.h>

#include <ftw.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tests/unit/fixtures.h"

static char fx_dir[64];
static pid_t fx_dir_owner;

void
fx_bail(const char *fmt, ...)
{
    va_list ap;

    fputs("Bail out! ", stdout);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    putchar('\n');
    exit(1);
}

static int
fx_remove_one(const char *path, const struct stat *st, int type,
              struct FTW *ftw)
{
    (void)st;
    (void)type;
    if (ftw->level > 0 && remove(path) != 0)
        printf("# could not remove %s\n", path);
    return 0;
}

void
fx_tmpdir_clear(void)
{
    if (fx_dir[0] != '\0')
        nftw(fx_dir, fx_remove_one, 16, FTW_DEPTH | FTW_PHYS);
}

static void
fx_remove_tmpdir(void)
{
    /* A child that exits must not take its parent's files along. */
    if (getpid() != fx_dir_owner)
        return;
    fx_tmpdir_clear();
    if (rmdir(fx_dir) != 0)
        printf("# could not remove %s\n", fx_dir);
}

const char *
fx_tmpdir(void)
{
    if (fx_dir[0] != '\0')
        return fx_dir;
    snprintf(fx_dir, sizeof(fx_dir), "/tmp/dm-unit.XXXXXX");
    if (mkdtemp(fx_dir) == NULL)
        fx_bail("mkdtemp %s", fx_dir);
    fx_dir_owner = getpid();
    atexit(fx_remove_tmpdir);
    return fx_dir;
}

const char *
fx_path(const char *name)
{
    static char buf[4][256];
    static unsigned next;
    char *b = buf[next++ % 4];

    snprintf(b, sizeof(buf[0]), "%s/%s", fx_tmpdir(), name);
    return b;
}

const char *
fx_write_bytes(const char *name, const void *data, size_t len)
{
    const char *path = fx_path(name);
    FILE *fp = fopen(path, "w");

    if (fp == NULL)
        fx_bail("cannot write %s", path);
    if (fwrite(data, 1, len, fp) != len || fclose(fp) != 0)
        fx_bail("cannot write %s", path);
    return path;
}

const char *
fx_write(const char *name, const char *text)
{
    return fx_write_bytes(name, text, strlen(text));
}

char *
fx_read(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    char *buf = NULL;
    long n;

    if (fp == NULL)
        return NULL;
    if (fseek(fp, 0, SEEK_END) == 0 && (n = ftell(fp)) >= 0 &&
        fseek(fp, 0, SEEK_SET) == 0 && (buf = malloc((size_t)n + 1)) != NULL) {
        *len = fread(buf, 1, (size_t)n, fp);
        buf[*len] = '\0';
    }
    fclose(fp);
    return buf;
}

struct dm_auth_id
fx_auth(enum dm_auth r, const char *domain)
{
    struct dm_auth_id a;

    memset(&a, 0, sizeof(a));
    a.result = r;
    snprintf(a.domain, sizeof(a.domain), "%s", domain);
    return a;
}

struct dm_verdict
fx_verdict(enum dm_result r, enum dm_policy p, enum dm_disposition d,
           const char *from_domain)
{
    struct dm_verdict v;

    memset(&v, 0, sizeof(v));
    v.result = r;
    v.policy = p;
    v.disposition = d;
    snprintf(v.from_domain, sizeof(v.from_domain), "%s", from_domain);
    return v;
}

size_t
fx_nested(char *buf, unsigned depth)
{
    memset(buf, '(', depth);
    memset(buf + depth, ')', depth);
    return 2 * (size_t)depth;
}
