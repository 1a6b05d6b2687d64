/*
 * log.h: where the daemon's log lines go: syslog, or stderr in the
 * foreground. The sink is process-wide state, set once at start.
 */
#ifndef DM_LOG_H
#define DM_LOG_H

#include <stdbool.h>
#include <syslog.h>

/* Log to syslog with facility when use_syslog, else to stderr. */
void dm_log_open(const char *ident, bool use_syslog, int facility);

/* Pass LOG_DEBUG lines too (-v). */
void dm_log_debug(bool on);

/* Also copy lines to stderr (foreground with Syslog true). */
void dm_log_stderr(bool on);

void dm_log(int prio, const char *fmt, ...)
    __attribute__((format(printf, 2, 3)));

#endif
