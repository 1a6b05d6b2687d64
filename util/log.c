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
    /* "ident: level: " for stderr, then the message, formatted once */
    char buf[2048 + 96];
    char *line = buf;
    size_t head = 0, len;
    int n;
    va_list ap;

    if (prio == LOG_DEBUG && !dm_log_sink.debug)
        return;
    if (dm_log_sink.to_stderr) {
        n = snprintf(buf, 96, "%s: %s: ", dm_log_sink.ident,
                     dm_log_level(prio));
        head = n > 0 && n < 96 ? (size_t)n : 0;
        line = buf + head;
    }
    va_start(ap, fmt);
    n = vsnprintf(line, 2048, fmt, ap);
    va_end(ap);
    len = n < 0 ? 0 : n >= 2048 ? 2047 : (size_t)n;
    line[len] = '\0';
    /* Nothing from a message may break a log line into two. */
    for (char *p = line; *p != '\0'; p++) {
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = '?';
    }
    if (dm_log_sink.syslog)
        syslog(prio, "%s", line);
    if (dm_log_sink.to_stderr) {
        line[len] = '\n';
        /* One write per line, so threads' lines do not interleave. */
        fwrite(buf, 1, head + len + 1, stderr);
    }
}
