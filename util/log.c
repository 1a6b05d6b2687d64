/*
 * log.c: the log sink (see log.h).
 */
#include <config.h>

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

#include "util/log.h"

/* The process's one log sink; written before threads start. */
static struct {
    bool syslog;
    bool to_stderr;
    bool debug;
    const char *ident;
} dm_log_sink = { false, true, false, "dmarc-milter" };

void
dm_log_open(const char *ident, bool use_syslog, int facility)
{
    dm_log_sink.ident = ident;
    if (use_syslog && !dm_log_sink.syslog)
        openlog(ident, LOG_PID | LOG_NDELAY, facility);
    else if (!use_syslog && dm_log_sink.syslog)
        closelog();
    dm_log_sink.syslog = use_syslog;
    dm_log_sink.to_stderr = !use_syslog;
}

void
dm_log_debug(bool on)
{
    dm_log_sink.debug = on;
}

void
dm_log_stderr(bool on)
{
    dm_log_sink.to_stderr = on || !dm_log_sink.syslog;
}

static const char *
dm_log_level(int prio)
{
    switch (prio) {
    case LOG_EMERG: case LOG_ALERT: case LOG_CRIT: return "fatal";
    case LOG_ERR:     return "error";
    case LOG_WARNING: return "warning";
    case LOG_DEBUG:   return "debug";
    default:          return "info";
    }
}

void
dm_log(int prio, const char *fmt, ...)
{
    char line[2048];
    va_list ap;

    if (prio == LOG_DEBUG && !dm_log_sink.debug)
        return;
    va_start(ap, fmt);
    vsnprintf(line, sizeof(line), fmt, ap);
    va_end(ap);
    /* Nothing from a message may break a log line into two. */
    for (char *p = line; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    if (dm_log_sink.syslog)
        syslog(prio, "%s", line);
    if (dm_log_sink.to_stderr) {
        /* One write per line, so threads' lines do not interleave. */
        flockfile(stderr);
        fprintf(stderr, "%s: %s: %s\n", dm_log_sink.ident,
                dm_log_level(prio), line);
        funlockfile(stderr);
    }
}
