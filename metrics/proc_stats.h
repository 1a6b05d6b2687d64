/*
 * proc_stats.h: the standard process_* metrics, read from /proc/self at
 * each scrape (Linux only; a value that cannot be read is left out rather
 * than exported as a guess).
 */
#ifndef DM_PROC_STATS_H
#define DM_PROC_STATS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ps_stats {
    bool have_stat;             /* the fields below from /proc/self/stat */
    double cpu_seconds;         /* user + system */
    double start_time;          /* seconds since the epoch (needs btime) */
    bool have_start;
    uint64_t virtual_bytes;
    uint64_t resident_bytes;
    uint64_t threads;
    bool have_fds;
    uint64_t open_fds;
    bool have_max_fds;
    uint64_t max_fds;
};

/* Fill *out for the calling process. */
void ps_read(struct ps_stats *out);

/*
 * Parse the len bytes of a /proc/PID/stat line (not NUL-terminated) with
 * the clock tick rate, page size and boot time (btime of /proc/stat, 0:
 * unknown). False when the line does not have the expected shape.
 */
bool ps_parse_stat(const char *buf, size_t len, long ticks, long page,
                   uint64_t btime, struct ps_stats *out);

#endif
