/*
 * fr_sender.c: the failure-report queue and its worker (fr_sender.h).
 * The milter thread only copies a message into the queue; the worker
 * does the rest, one report at a time, and is the only reader of the
 * rate table and the loaded NoReportsList.
 */
#include <config.h>
#include <errno.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "report/fr_sender.h"
#include "util/util.h"

#define FR_WINDOW 3600          /* seconds of a destination's rate window */

/* A queued report: copies of all it needs. */
struct fr_item {
    struct hist_record rec;
    char *ruf, *headers, *ar_value, *rcpt, *mail_from;
    size_t headers_len;
};

/* One destination's reports in its current window. */
struct fr_rate {
    char addr[DEST_ADDR_MAX];   /* "": a free slot */
    long long since;            /* the window's start */
    int count;
};

struct fr_sender {
    struct fr_hooks hooks;
    pthread_t tid;
    pthread_mutex_t lock;
    pthread_cond_t wake;        /* an item queued, or stop */
    pthread_cond_t done_cv;     /* the worker ended */
    struct fr_item *queue[FR_QUEUE_MAX];
    size_t head, count;
    bool stopping, done;
    bool joined;                /* fr_drain() ended the worker */
    atomic_bool abandon;        /* fr_stop's deadline passed */
    atomic_ullong sent, failed, dropped, rate_limited, refused;
    char from[512];             /* the default FailureReportsSentBy */
    /* the worker's own */
    struct fr_rate rate[FR_RATE_SLOTS];
    struct dest_list *no_reports;
    char no_reports_path[1024];
    struct timespec no_reports_mtime;
};

/* ------------------------------------------------------------------ */
/* the queue */

static void
fr_item_free(struct fr_item *it)
{
    if (it == NULL)
        return;
    free(it->ruf);
    free(it->headers);
    free(it->ar_value);
    free(it->rcpt);
    free(it->mail_from);
    free(it);
}

/* A copy of s (NULL stays NULL); *ok false when memory is short. */
static char *
fr_dup(const char *s, size_t len, bool *ok)
{
    char *d;

    if (s == NULL)
        return NULL;
    if ((d = malloc(len + 1)) == NULL) {
        *ok = false;
        return NULL;
    }
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

static struct fr_item *
fr_item_new(const struct fr_message *m)
{
    struct fr_item *it = malloc(sizeof(*it));
    bool ok = true;
    size_t hl = m->headers_len < FR_HEADERS_MAX ? m->headers_len
                                                : FR_HEADERS_MAX;

    if (it == NULL)
        return NULL;
    it->rec = *m->rec;
    it->ruf = fr_dup(m->ruf, m->ruf ? strlen(m->ruf) : 0, &ok);
    it->headers = fr_dup(m->headers, hl, &ok);
    it->headers_len = m->headers != NULL ? hl : 0;
    it->ar_value = fr_dup(m->ar_value, m->ar_value ? strlen(m->ar_value)
                                                   : 0, &ok);
    it->rcpt = fr_dup(m->rcpt, m->rcpt ? strlen(m->rcpt) : 0, &ok);
    it->mail_from = fr_dup(m->mail_from,
                           m->mail_from ? strlen(m->mail_from) : 0, &ok);
    if (!ok) {
        fr_item_free(it);
        return NULL;
    }
    return it;
}

/* Room in the queue, and not stopping; under the lock. */
static bool
fr_room(const struct fr_sender *s)
{
    return !s->stopping && s->count < FR_QUEUE_MAX;
}

bool
fr_submit(struct fr_sender *s, const struct fr_message *m)
{
    struct fr_item *it;
    bool room;

    if (s == NULL || m == NULL || m->rec == NULL)
        return false;
    /* look first: a spoofing wave should not cost a copy per message */
    pthread_mutex_lock(&s->lock);
    room = fr_room(s);
    pthread_mutex_unlock(&s->lock);
    if (!room || (it = fr_item_new(m)) == NULL) {
        atomic_fetch_add(&s->dropped, 1);
        return false;
    }
    pthread_mutex_lock(&s->lock);
    if ((room = fr_room(s))) {
        s->queue[(s->head + s->count) % FR_QUEUE_MAX] = it;
        s->count++;
        pthread_cond_signal(&s->wake);
    }
    pthread_mutex_unlock(&s->lock);
    if (!room) {
        fr_item_free(it);
        atomic_fetch_add(&s->dropped, 1);
    }
    return room;
}

/* ------------------------------------------------------------------ */
/* the worker's checks */

/* Count one report to addr at now; false when over limit per window, or
   when every slot holds a destination still inside its window. */
static bool
fr_rate_take(struct fr_sender *s, const char *addr, long long now, int limit)
{
    struct fr_rate *free_slot = NULL;

    for (size_t i = 0; i < FR_RATE_SLOTS; i++) {
        struct fr_rate *r = &s->rate[i];
        bool aged = r->addr[0] == '\0' || now - r->since >= FR_WINDOW ||
                    now < r->since;
        if (r->addr[0] != '\0' && strcasecmp(r->addr, addr) == 0) {
            if (aged) {
                r->since = now;
                r->count = 0;
            }
            if (r->count >= limit)
                return false;
            r->count++;
            return true;
        }
        if (aged && free_slot == NULL)
            free_slot = r;
    }
    if (free_slot == NULL || limit < 1)
        return false;
    snprintf(free_slot->addr, sizeof(free_slot->addr), "%s", addr);
    free_slot->since = now;
    free_slot->count = 1;
    return true;
}

/* NoReportsList as the worker holds it: read again when its path or its
   modification time changes. */
static const struct dest_list *
fr_no_reports(struct fr_sender *s, const char *path)
{
    struct stat st;
    char err[256];

    if (path == NULL) {
        dest_list_free(s->no_reports);
        s->no_reports = NULL;
        s->no_reports_path[0] = '\0';
        return NULL;
    }
    if (stat(path, &st) != 0)
        memset(&st, 0, sizeof(st));
    if (s->no_reports != NULL && strcmp(path, s->no_reports_path) == 0 &&
        st.st_mtim.tv_sec == s->no_reports_mtime.tv_sec &&
        st.st_mtim.tv_nsec == s->no_reports_mtime.tv_nsec)
        return s->no_reports;
    dest_list_free(s->no_reports);
    s->no_reports = dest_list_load(path, err, sizeof(err));
    if (s->no_reports == NULL)
        dm_log(LOG_WARNING, "failure reports: %s", err);
    snprintf(s->no_reports_path, sizeof(s->no_reports_path), "%s", path);
    s->no_reports_mtime = st.st_mtim;
    return s->no_reports;
}

/* Whether d may have this report: listed, over-limit and unverified
   destinations are counted and skipped. The limit comes before the DNS
   check, so that a wave costs no more lookups (nor log lines) than it
   could send reports. */
static bool
fr_admit(struct fr_sender *s, const struct fr_env *env,
         const struct dest_list *nr, const char *pdomain,
         const struct dest *d, long long now)
{
    const char *why = "";

    if (dest_list_has(nr, d)) {
        atomic_fetch_add(&s->refused, 1);
        return false;
    }
    if (!fr_rate_take(s, d->addr, now, env->rp->failure_rate)) {
        atomic_fetch_add(&s->rate_limited, 1);
        return false;
    }
    if (dest_verify_tag(env->dns, env->psl, pdomain, d, "ruf", &why) !=
        DEST_OK) {
        dm_log(LOG_INFO, "failure report for %s not sent to %s: %s",
               pdomain, d->addr, why);
        atomic_fetch_add(&s->refused, 1);
        return false;
    }
    return true;
}

/* ------------------------------------------------------------------ */
/* the worker */

/* Format it->rec's report to the addresses in to (and bcc) and run
   ReportCommand; counted either way. */
static void
fr_mail(struct fr_sender *s, const struct fr_env *env,
        const struct fr_item *it, const char *to, const char *bcc,
        long long now)
{
    struct fr_message m = {
        &it->rec, it->ruf, it->headers, it->headers_len, it->ar_value,
        it->rcpt, it->mail_from };
    const char *from = env->rp->failure_sent_by;
    struct fr_mail f = { &m, from ? from : s->from, to, bcc, now };
    struct rbuf out = { 0 };
    char err[256];

    if (!fr_format(&f, &out)) {
        atomic_fetch_add(&s->dropped, 1);
    } else if (fr_exec(env->rp->report_command, out.p, out.len,
                       FR_COMMAND_MS, &s->abandon, err, sizeof(err)) != 0) {
        dm_log(LOG_WARNING, "failure report for %s to %s: %s",
               it->rec.pdomain, to, err);
        atomic_fetch_add(&s->failed, 1);
    } else {
        atomic_fetch_add(&s->sent, 1);
    }
    rb_free(&out);
}

/* One queued report: its destinations checked, then mailed to those
   left, FailureReportsBcc getting a copy (limited like any other). */
static void
fr_deliver(struct fr_sender *s, const struct fr_env *env,
           const struct fr_item *it)
{
    struct dest d[FR_RUF_MAX];
    const struct dest_list *nr = fr_no_reports(s, env->rp->no_reports_list);
    char to[FR_RUF_MAX * (DEST_ADDR_MAX + 2)] = "";
    const char *bcc = env->rp->failure_bcc;
    long long now = (long long)time(NULL);
    size_t n = fr_ruf_parse(it->ruf, d, FR_RUF_MAX), len = 0;

    for (size_t i = 0; i < n; i++) {
        if (!fr_admit(s, env, nr, it->rec.pdomain, &d[i], now))
            continue;
        len += (size_t)snprintf(to + len, sizeof(to) - len, "%s%s",
                                len > 0 ? ", " : "", d[i].addr);
    }
    if (bcc != NULL && !fr_rate_take(s, bcc, now, env->rp->failure_rate)) {
        atomic_fetch_add(&s->rate_limited, 1);
        bcc = NULL;
    }
    /* OpenDMARC: with no ruf left, the Bcc address is the To */
    if (len == 0 && bcc != NULL)
        fr_mail(s, env, it, bcc, NULL, now);
    else if (len > 0)
        fr_mail(s, env, it, to, bcc, now);
}

/* The next item, waiting for one; NULL when stopping and empty. */
static struct fr_item *
fr_next(struct fr_sender *s)
{
    struct fr_item *it = NULL;

    pthread_mutex_lock(&s->lock);
    while (s->count == 0 && !s->stopping)
        pthread_cond_wait(&s->wake, &s->lock);
    if (s->count > 0) {
        it = s->queue[s->head];
        s->head = (s->head + 1) % FR_QUEUE_MAX;
        s->count--;
    }
    pthread_mutex_unlock(&s->lock);
    return it;
}

static void *
fr_worker(void *arg)
{
    struct fr_sender *s = arg;
    struct fr_item *it;
    struct fr_env env;
    sigset_t all;

    /* signals are the main thread's; SIGPIPE stays pending (fr_exec) */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, NULL);
    while ((it = fr_next(s)) != NULL) {
        memset(&env, 0, sizeof(env));
        if (atomic_load(&s->abandon) ||
            !s->hooks.acquire(s->hooks.arg, &env)) {
            atomic_fetch_add(&s->dropped, 1);
        } else {
            fr_deliver(s, &env, it);
            s->hooks.release(s->hooks.arg, &env);
        }
        fr_item_free(it);
    }
    pthread_mutex_lock(&s->lock);
    s->done = true;
    pthread_cond_broadcast(&s->done_cv);
    pthread_mutex_unlock(&s->lock);
    return NULL;
}

/* ------------------------------------------------------------------ */
/* start, stop, counters */

/* OpenDMARC's default From: the product, then user@host of the process. */
static void
fr_default_from(char *out, size_t outsz)
{
    char host[256] = "localhost", pwbuf[1024], user[64] = "dmarc-milter";
    struct passwd pw, *res = NULL;

    if (gethostname(host, sizeof(host) - 1) != 0)
        snprintf(host, sizeof(host), "localhost");
    host[sizeof(host) - 1] = '\0';
    if (getpwuid_r(geteuid(), &pw, pwbuf, sizeof(pwbuf), &res) == 0 &&
        res != NULL)
        snprintf(user, sizeof(user), "%s", pw.pw_name);
    snprintf(out, outsz, "%s <%s@%s>", PACKAGE_NAME, user, host);
    /* a host or user name goes into a header: nothing that breaks it */
    for (char *p = out; *p != '\0'; p++)
        if ((unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e)
            *p = p == out + strlen(PACKAGE_NAME) ? ' ' : '?';
}

struct fr_sender *
fr_start(const struct fr_hooks *hooks, char *err, size_t errsz)
{
    struct fr_sender *s;
    int rc;

    if (hooks == NULL || hooks->acquire == NULL || hooks->release == NULL) {
        snprintf(err, errsz, "failure reports: no configuration hooks");
        return NULL;
    }
    if ((s = calloc(1, sizeof(*s))) == NULL) {
        snprintf(err, errsz, "failure reports: out of memory");
        return NULL;
    }
    s->hooks = *hooks;
    fr_default_from(s->from, sizeof(s->from));
    pthread_mutex_init(&s->lock, NULL);
    pthread_cond_init(&s->wake, NULL);
    pthread_cond_init(&s->done_cv, NULL);
    if ((rc = pthread_create(&s->tid, NULL, fr_worker, s)) != 0) {
        snprintf(err, errsz, "failure reports: thread: %s", strerror(rc));
        pthread_cond_destroy(&s->done_cv);
        pthread_cond_destroy(&s->wake);
        pthread_mutex_destroy(&s->lock);
        free(s);
        return NULL;
    }
    return s;
}

void
fr_stats(const struct fr_sender *s, struct fr_counts *out)
{
    /* C11's atomic_load takes no pointer to const */
    struct fr_sender *w = (struct fr_sender *)(uintptr_t)s;

    memset(out, 0, sizeof(*out));
    if (w == NULL)
        return;
    out->sent = atomic_load(&w->sent);
    out->failed = atomic_load(&w->failed);
    out->dropped = atomic_load(&w->dropped);
    out->rate_limited = atomic_load(&w->rate_limited);
    out->refused = atomic_load(&w->refused);
}

void
fr_drain(struct fr_sender *s, int timeout_ms)
{
    struct timespec until;

    if (s == NULL || s->joined)
        return;
    clock_gettime(CLOCK_REALTIME, &until);
    until.tv_sec += timeout_ms / 1000;
    until.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (until.tv_nsec >= 1000000000L) {
        until.tv_sec++;
        until.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&s->lock);
    s->stopping = true;
    pthread_cond_signal(&s->wake);
    while (!s->done &&
           pthread_cond_timedwait(&s->done_cv, &s->lock, &until) == 0)
        ;
    pthread_mutex_unlock(&s->lock);
    /* past the deadline: the command is killed, the rest dropped */
    atomic_store(&s->abandon, true);
    pthread_join(s->tid, NULL);
    s->joined = true;
}

void
fr_free(struct fr_sender *s)
{
    if (s == NULL)
        return;
    fr_drain(s, 0);
    dest_list_free(s->no_reports);
    pthread_cond_destroy(&s->done_cv);
    pthread_cond_destroy(&s->wake);
    pthread_mutex_destroy(&s->lock);
    free(s);
}

void
fr_stop(struct fr_sender *s, int timeout_ms)
{
    fr_drain(s, timeout_ms);
    fr_free(s);
}
