/*
 * history_file.c: the milter's HistoryFile appender: one write(2) of a
 * whole record per message with O_APPEND, no fsync in the mail path,
 * reopened after SIGHUP (logrotate). A file that cannot be opened or
 * written never holds mail up: the error is counted, logged at most once
 * a minute, and the open is tried again a second later.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "report/history_file.h"
#include "util/util.h"

#define HF_LOG_EVERY   60.0     /* seconds between two error lines */
#define HF_RETRY_EVERY 1.0      /* seconds between two failed opens */

struct hf_file {
    pthread_mutex_t lock;
    char *path;
    int fd;
    atomic_int reopen;          /* set by hf_reopen(), from a handler */
    hf_error_fn on_error;
    void *arg;
    double last_log, last_try;
    unsigned long long lost;    /* records lost since the last error line */
};

/* Count one lost record; log (with the count) at most once a minute. */
static void
hf_fail(struct hf_file *f, const char *what, int err)
{
    double now = clk_seconds();

    f->lost++;
    if (f->on_error != NULL)
        f->on_error(f->arg);
    if (f->last_log != 0 && now - f->last_log < HF_LOG_EVERY)
        return;
    dm_log(LOG_ERR, "HistoryFile %s: %s: %s; %llu record(s) not written "
           "(mail is not affected)", f->path, what, strerror(err), f->lost);
    f->last_log = now;
    f->lost = 0;
}

/* Open the file unless it is open; false when it cannot be. */
static bool
hf_ensure_open(struct hf_file *f)
{
    double now;

    if (atomic_exchange(&f->reopen, 0) && f->fd >= 0) {
        (void)fsync(f->fd);     /* rotated: what we wrote is on disk */
        close(f->fd);
        f->fd = -1;
        f->last_try = 0;
    }
    if (f->fd >= 0)
        return true;
    now = clk_seconds();
    if (f->last_try != 0 && now - f->last_try < HF_RETRY_EVERY) {
        hf_fail(f, "cannot open", EAGAIN);
        return false;
    }
    f->last_try = now;
    f->fd = open(f->path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC, 0640);
    if (f->fd < 0) {
        hf_fail(f, "cannot open", errno);
        return false;
    }
    return true;
}

struct hf_file *
hf_open(const char *path, hf_error_fn on_error, void *arg)
{
    struct hf_file *f = calloc(1, sizeof(*f));

    if (f == NULL || (f->path = strdup(path)) == NULL) {
        free(f);
        return NULL;
    }
    pthread_mutex_init(&f->lock, NULL);
    f->fd = -1;
    /* An early error line, not a refusal, and no record lost yet. */
    (void)hf_ensure_open(f);
    f->lost = 0;
    f->on_error = on_error;
    f->arg = arg;
    return f;
}

bool
hf_append(struct hf_file *f, const struct hist_record *r)
{
    char buf[HIST_RECORD_MAX];
    int len = hist_format(r, buf, sizeof(buf));
    ssize_t n = -1;

    if (len < 0)
        return false;           /* cannot happen: the buffer always fits */
    pthread_mutex_lock(&f->lock);
    if (hf_ensure_open(f)) {
        do {
            n = write(f->fd, buf, (size_t)len);
        } while (n < 0 && errno == EINTR);
        if (n != len) {
            /* a short write leaves a broken record the reader skips */
            hf_fail(f, "cannot write", n < 0 ? errno : ENOSPC);
            if (n < 0 && errno != ENOSPC && errno != EDQUOT) {
                close(f->fd);
                f->fd = -1;
            }
        }
    }
    pthread_mutex_unlock(&f->lock);
    return n == len;
}

void
hf_reopen(struct hf_file *f)
{
    atomic_store(&f->reopen, 1);
}

void
hf_close(struct hf_file *f)
{
    if (f == NULL)
        return;
    if (f->fd >= 0) {
        (void)fsync(f->fd);
        close(f->fd);
    }
    pthread_mutex_destroy(&f->lock);
    free(f->path);
    free(f);
}
