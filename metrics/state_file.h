/*
 * state_file.h: MetricsStateFile, the counters kept across restarts.
 *
 * A versioned text file: a header line, the totals, one line per row
 * (index, domain, policy, counters) and an end line with the row count and
 * a checksum, so truncation and damage are seen. It is replaced atomically
 * (temporary file in the same directory, fsync, rename, fsync of the
 * directory): a crash leaves either the old or the new file.
 *
 *   dmarc-milter-state 2
 *   saved 1700000000
 *   ignored ignored_host 12                        (one per skip reason)
 *   eval_bucket 0.001 40                           (per bucket, then +Inf)
 *   eval_sum_ns 81234567
 *   override arc 3                                 (one per override reason)
 *   standin mailfrom 2                             (mailfrom, helo)
 *   event history_written 950                      (one per cs_event_name())
 *   dns txt ok 97                                  (one per DNS outcome)
 *   dns_cached txt 40                              (one per DNS type)
 *   row 1 example.com reject 5 2 0 0 0 5 0 2
 *       (results pass fail none temperror permerror,
 *        dispositions none quarantine reject)
 *   end 1 0123456789abcdef                         (rows, FNV-1a 64 of
 *                                                   every byte before)
 *
 * The totals lines may come in any order before the rows. A reason,
 * stand-in, event or DNS outcome this version does not know is skipped
 * with a warning, and one it knows but the file lacks is 0, so a file from
 * another version still loads; histogram buckets must match exactly.
 *
 * The version grows when a new keyword appears, since older readers refuse
 * lines they do not know: they then set the file aside with a message that
 * names its version, rather than an "unexpected" line. A reader reads
 * every version up to its own. Version 2 added override, standin and event.
 */
#ifndef DM_STATE_FILE_H
#define DM_STATE_FILE_H

#include <stddef.h>

#include "metrics/counter_store.h"

#define SF_MAGIC "dmarc-milter-state"
#define SF_VERSION 2      /* the newest this one writes and reads */
#define SF_INTERVAL_DEFAULT 60

enum sf_load {
    SF_LOADED = 0,    /* counts restored */
    SF_ABSENT,        /* no file yet: counting starts at zero */
    SF_UNREADABLE,    /* could not be read (logged); starts at zero */
    SF_DISCARDED      /* damaged or foreign: logged, renamed aside to
                         path.bad-YYYYmmddTHHMMSS, starts at zero */
};

/*
 * Restore path into cs, which must be empty (before counting starts).
 * Every outcome is logged; on any problem cs is left empty. Never fails
 * the caller: a bad file only costs the old counts.
 */
enum sf_load sf_load(struct cs_store *cs, const char *path);

/* Write cs to path atomically; -1 with a reason in err. */
int sf_save(const struct cs_store *cs, const char *path, char *err,
            size_t errsz);

/*
 * A thread that saves every interval seconds (>= 1). sf_saver_stop()
 * wakes it, waits for it and saves one last time: call it after the
 * milter has drained, so the last save holds every message.
 */
struct sf_saver;
struct sf_saver *sf_saver_start(const struct cs_store *cs, const char *path,
                                unsigned interval, char *err, size_t errsz);
/* 0 when the final save worked. */
int sf_saver_stop(struct sf_saver *s);

#endif
