/*
 * ledger.c: the state directory of dmarc-reports (ledger.h). The state
 * file and every change to a committed report are written to a temporary
 * name, synced, renamed and their directory synced, so that after a crash
 * each file is either old or new. A run's new reports need no such care:
 * until the commit they belong to a generation that the next start
 * removes, so they are written plainly and made durable together, by one
 * syncfs(2) before the commit, rather than by four fsyncs each.
 *
 *   DIR/state              "generation G" and one "file" line per
 *                          history file: dev ino done seen seen_end
 *   DIR/outbox/G-ID.report a report: id, domain, begin, end, created,
 *                          one "dest URI" line per destination left,
 *                          "gzip LEN", then its XML gzip'ed as it is
 *                          mailed (one file: one rename changes both)
 */
#include <config.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>
#include "report/ledger.h"
#include "report/mail.h"
#include "report/rbuf.h"
#include "util/util.h"

/* dir/name (+ suffix) into out. */
static void
lg_path(const struct ledger *lg, char *out, size_t outsz, const char *name,
        const char *suffix)
{
    snprintf(out, outsz, "%s/%s%s", lg->dir, name, suffix);
}

static bool
lg_sync_dir(const char *dir)
{
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    bool ok = fd >= 0 && fsync(fd) == 0;

    if (fd >= 0)
        close(fd);
    return ok;
}

/* Write data to path through path.tmp: synced, renamed, dir synced. */
static bool
lg_write_atomic(const char *path, const char *dir, const void *data,
                size_t len)
{
    char tmp[4200];
    int fd;
    bool ok;

    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    if ((fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640)) < 0)
        return false;
    ok = (size_t)write(fd, data, len) == len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    if (!ok || rename(tmp, path) != 0) {
        unlink(tmp);
        return false;
    }
    return lg_sync_dir(dir);
}

/* A new file of an uncommitted generation: written, synced only by
   lg_sync_staged() (where there is no syncfs, synced here). */
static bool
lg_write_staged(const char *path, const char *dir, const void *data,
                size_t len)
{
#ifdef __linux__
    int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0640);
    bool ok;

    (void)dir;
    if (fd < 0)
        return false;
    ok = (size_t)write(fd, data, len) == len;
    ok = close(fd) == 0 && ok;
    if (!ok)
        unlink(path);
    return ok;
#else
    return lg_write_atomic(path, dir, data, len);
#endif
}

/* Everything staged, on disk: the file system synced once (its write
   errors are reported since Linux 5.8). */
static bool
lg_sync_staged(const struct ledger *lg)
{
#ifdef __linux__
    char path[4200];
    int fd;
    bool ok;

    lg_path(lg, path, sizeof(path), "outbox", "");
    if ((fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0)
        return false;
    ok = syncfs(fd) == 0;
    close(fd);
    return ok;
#else
    (void)lg;
    return true;
#endif
}

static bool
lg_parse_state(struct ledger *lg, FILE *fp)
{
    char line[256];
    unsigned long long dev, ino;
    long long done, seen, end;

    while (fgets(line, sizeof(line), fp) != NULL) {
        struct lg_file *f;
        if (sscanf(line, "generation %llu", &lg->gen) == 1)
            continue;
        if (sscanf(line, "file %llu %llu %lld %lld %lld", &dev, &ino, &done,
                   &seen, &end) != 5 || done < 0 || seen < done)
            continue;
        f = realloc(lg->files, (lg->n_files + 1) * sizeof(*f));
        if (f == NULL)
            return false;
        lg->files = f;
        f = &lg->files[lg->n_files++];
        memset(f, 0, sizeof(*f));
        f->dev = (dev_t)dev;
        f->ino = (ino_t)ino;
        f->done = (off_t)done;
        f->seen = (off_t)seen;
        f->seen_end = end;
    }
    return !ferror(fp);
}

/* Remove what an uncommitted generation left, and temporary files. */
static void
lg_clean_outbox(struct ledger *lg)
{
    char path[4200];
    DIR *d;
    struct dirent *e;

    lg_path(lg, path, sizeof(path), "outbox", "");
    if ((d = opendir(path)) == NULL)
        return;
    while ((e = readdir(d)) != NULL) {
        unsigned long long g;
        size_t n = strlen(e->d_name);
        bool tmp = n > 4 && strcmp(e->d_name + n - 4, ".tmp") == 0;
        if (e->d_name[0] == '.' ||
            (!tmp && (sscanf(e->d_name, "%llu-", &g) != 1 || g <= lg->gen)))
            continue;
        snprintf(path, sizeof(path), "%s/outbox/%s", lg->dir, e->d_name);
        unlink(path);
    }
    closedir(d);
}

bool
lg_open(struct ledger *lg, const char *dir, char *err, size_t errsz)
{
    char path[4200];
    FILE *fp;

    memset(lg, 0, sizeof(*lg));
    lg->lock_fd = -1;
    if ((lg->dir = strdup(dir)) == NULL)
        return snprintf(err, errsz, "out of memory"), false;
    lg_path(lg, path, sizeof(path), "outbox", "");
    if ((mkdir(dir, 0750) != 0 && errno != EEXIST) ||
        (mkdir(path, 0750) != 0 && errno != EEXIST)) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return false;
    }
    lg_path(lg, path, sizeof(path), "lock", "");
    lg->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0640);
    if (lg->lock_fd < 0 || flock(lg->lock_fd, LOCK_EX | LOCK_NB) != 0) {
        snprintf(err, errsz, "%s: %s", path, errno == EWOULDBLOCK ?
                 "another dmarc-reports run holds it" : strerror(errno));
        return false;
    }
    lg_path(lg, path, sizeof(path), "state", "");
    if ((fp = fopen(path, "r")) == NULL && errno != ENOENT) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        return false;
    }
    if (fp != NULL) {
        bool ok = lg_parse_state(lg, fp);
        fclose(fp);
        if (!ok)
            return snprintf(err, errsz, "%s: cannot read", path), false;
    }
    lg_clean_outbox(lg);
    return true;
}

void
lg_close(struct ledger *lg)
{
    if (lg->lock_fd >= 0)
        close(lg->lock_fd);
    free(lg->files);
    free(lg->dir);
    memset(lg, 0, sizeof(*lg));
    lg->lock_fd = -1;
}

struct lg_file *
lg_file(struct ledger *lg, const struct stat *st)
{
    struct lg_file *f;

    for (size_t i = 0; i < lg->n_files; i++) {
        f = &lg->files[i];
        if (f->dev == st->st_dev && f->ino == st->st_ino) {
            f->used = true;
            return f;
        }
    }
    f = realloc(lg->files, (lg->n_files + 1) * sizeof(*f));
    if (f == NULL)
        return NULL;
    lg->files = f;
    f = &lg->files[lg->n_files++];
    memset(f, 0, sizeof(*f));
    f->dev = st->st_dev;
    f->ino = st->st_ino;
    f->used = true;
    return f;
}

void
lg_new_id(long long begin, char out[LG_ID_MAX])
{
    uint64_t r = 0;

    if (getrandom(&r, sizeof(r), 0) != (ssize_t)sizeof(r))
        r = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32);
    snprintf(out, LG_ID_MAX, "%lld%016" PRIx64, begin, r);
}

/* The head of an outbox file, up to its "gzip LEN" line. */
static void
lg_head(const struct lg_report *r, size_t gz_len, struct rbuf *b)
{
    rb_printf(b, "id %s\ndomain %s\nbegin %lld\nend %lld\ncreated %lld\n",
              r->id, r->domain, r->begin, r->end, r->created);
    for (size_t i = 0; i < r->n_dest; i++)
        rb_printf(b, "dest %s\n", r->dest[i]);
    rb_printf(b, "gzip %zu\n", gz_len);
}

/* One line of the head into r. */
static void
lg_field(struct lg_report *r, const char *line)
{
    if (strncmp(line, "dest ", 5) == 0) {
        if (r->n_dest < LG_DEST_MAX &&
            (r->dest[r->n_dest] = strdup(line + 5)) != NULL)
            r->n_dest++;
    } else if (sscanf(line, "id %63s", r->id) != 1 &&
               sscanf(line, "domain %255s", r->domain) != 1 &&
               sscanf(line, "begin %lld", &r->begin) != 1 &&
               sscanf(line, "end %lld", &r->end) != 1) {
        sscanf(line, "created %lld", &r->created);
    }
}

/* An outbox file's len bytes at buf: the head into r, *gz at the
   report; false when it is damaged (cut short, no id or domain). */
static bool
lg_parse(char *buf, size_t len, struct lg_report *r, char **gz,
         size_t *gz_len)
{
    char *p = buf, *end = buf + len, *nl;
    unsigned long long n;

    while (p < end && (nl = memchr(p, '\n', (size_t)(end - p))) != NULL) {
        *nl = '\0';
        if (sscanf(p, "gzip %llu", &n) == 1) {
            *gz = nl + 1;
            *gz_len = (size_t)(end - *gz);
            return n == *gz_len && r->id[0] != '\0' && r->domain[0] != '\0';
        }
        lg_field(r, p);
        p = nl + 1;
    }
    return false;
}

bool
lg_stage(struct ledger *lg, struct lg_report *r, const char *xml,
         size_t len, char *err, size_t errsz)
{
    char path[4200], outbox[4000];
    struct rbuf file = { 0 }, gz = { 0 };
    bool ok;

    snprintf(r->name, sizeof(r->name), "%llu-%s", lg->gen + 1, r->id);
    lg_path(lg, outbox, sizeof(outbox), "outbox", "");
    snprintf(path, sizeof(path), "%s/%s.report", outbox, r->name);
    if (!mail_gzip(xml, len, &gz)) {
        snprintf(err, errsz, "%s: cannot compress (out of memory)", path);
        rb_free(&gz);
        return false;
    }
    lg_head(r, gz.len, &file);
    rb_add(&file, gz.p, gz.len);
    ok = !file.oom && lg_write_staged(path, outbox, file.p, file.len);
    if (!ok)
        snprintf(err, errsz, "%s: %s", path,
                 file.oom ? "out of memory" : strerror(errno));
    rb_free(&file);
    rb_free(&gz);
    return ok;
}

bool
lg_commit(struct ledger *lg, char *err, size_t errsz)
{
    char path[4200];
    struct rbuf b = { 0 };
    bool ok;

    rb_printf(&b, "# dmarc-reports state: do not edit while it runs\n"
              "generation %llu\n", lg->gen + 1);
    for (size_t i = 0; i < lg->n_files; i++) {
        const struct lg_file *f = &lg->files[i];
        rb_printf(&b, "file %llu %llu %lld %lld %lld\n",
                  (unsigned long long)f->dev, (unsigned long long)f->ino,
                  (long long)f->done, (long long)f->seen, f->seen_end);
    }
    lg_path(lg, path, sizeof(path), "state", "");
    ok = !b.oom && lg_sync_staged(lg) &&
         lg_write_atomic(path, lg->dir, b.p, b.len);
    if (ok)
        lg->gen++;
    else
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
    rb_free(&b);
    return ok;
}

static int
lg_cmp_names(const void *a, const void *b)
{
    unsigned long long x = strtoull(*(char *const *)a, NULL, 10);
    unsigned long long y = strtoull(*(char *const *)b, NULL, 10);

    return x != y ? (x < y ? -1 : 1)
                  : strcmp(*(char *const *)a, *(char *const *)b);
}

size_t
lg_outbox(struct ledger *lg, char ***names)
{
    char path[4200];
    DIR *d;
    struct dirent *e;
    size_t n = 0;

    *names = NULL;
    lg_path(lg, path, sizeof(path), "outbox", "");
    if ((d = opendir(path)) == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char **grown;
        if (len < 8 || strcmp(e->d_name + len - 7, ".report") != 0 ||
            (grown = realloc(*names, (n + 1) * sizeof(*grown))) == NULL)
            continue;
        *names = grown;
        if ((grown[n] = strndup(e->d_name, len - 7)) != NULL)
            n++;
    }
    closedir(d);
    if (n > 1)
        qsort(*names, n, sizeof(**names), lg_cmp_names);
    return n;
}

/* The whole file at path, malloc'ed; NULL on error. */
static char *
lg_slurp(const char *path, size_t *len)
{
    FILE *fp = fopen(path, "r");
    struct rbuf b = { 0 };
    char chunk[8192];
    size_t n;

    if (fp == NULL)
        return NULL;
    while ((n = fread(chunk, 1, sizeof(chunk), fp)) > 0)
        rb_add(&b, chunk, n);
    if (ferror(fp) || b.oom || b.len == 0) {
        fclose(fp);
        rb_free(&b);
        return NULL;
    }
    fclose(fp);
    *len = b.len;
    return b.p;
}

bool
lg_load(struct ledger *lg, const char *name, struct lg_report *r,
        char **gz, size_t *len)
{
    char path[4200], *buf, *at;
    size_t n;

    memset(r, 0, sizeof(*r));
    *gz = NULL;
    snprintf(r->name, sizeof(r->name), "%s", name);
    snprintf(path, sizeof(path), "%s/outbox/%s.report", lg->dir, name);
    if ((buf = lg_slurp(path, &n)) == NULL)
        return false;
    if (!lg_parse(buf, n, r, &at, len)) {
        free(buf);
        return false;
    }
    memmove(buf, at, *len);     /* the caller frees the report */
    *gz = buf;
    return true;
}

bool
lg_update(struct ledger *lg, const struct lg_report *r)
{
    char path[4200], outbox[4000], *buf, *gz;
    struct lg_report old = { 0 };
    struct rbuf file = { 0 };
    size_t n, gz_len;
    bool ok;

    lg_path(lg, outbox, sizeof(outbox), "outbox", "");
    snprintf(path, sizeof(path), "%s/%s.report", outbox, r->name);
    if (r->n_dest == 0)
        return unlink(path) == 0 && lg_sync_dir(outbox);
    /* the same report, with the destinations left */
    if ((buf = lg_slurp(path, &n)) == NULL)
        return false;
    ok = lg_parse(buf, n, &old, &gz, &gz_len);
    if (ok) {
        lg_head(r, gz_len, &file);
        rb_add(&file, gz, gz_len);
        ok = !file.oom && lg_write_atomic(path, outbox, file.p, file.len);
    }
    lg_report_free(&old);
    rb_free(&file);
    free(buf);
    return ok;
}

void
lg_report_free(struct lg_report *r)
{
    for (size_t i = 0; i < r->n_dest; i++)
        free(r->dest[i]);
    r->n_dest = 0;
}
