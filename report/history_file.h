/*
 * history_file.h: the HistoryFile as the milter writes it: one append of
 * a whole record per message, reopened after SIGHUP, never a reason to
 * hold mail up (errors are counted and logged once a minute).
 */
#ifndef DM_HISTORY_FILE_H
#define DM_HISTORY_FILE_H

#include "report/history.h"

/* Called once per record that could not be written (a /metrics counter). */
typedef void (*hf_error_fn)(void *arg);

struct hf_file;

/*
 * The appender for path. A file that cannot be opened yet is not an
 * error here: it is logged, and each append tries again (at most once a
 * second). NULL only when memory is short.
 */
struct hf_file *hf_open(const char *path, hf_error_fn on_error, void *arg);

/* Format r and append it with one write(2); thread-safe; no fsync.
   False when it was not written (on_error was called). */
bool hf_append(struct hf_file *f, const struct hist_record *r);

/* The next append reopens the file (logrotate renamed it); async-signal-
   safe, so a SIGHUP handler may call it. */
void hf_reopen(struct hf_file *f);

/* fsync, close and free. */
void hf_close(struct hf_file *f);

#endif
