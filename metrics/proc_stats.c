/*
 * proc_stats.c: process_* values from procfs (see proc_stats.h).
 */
#include <config.h>

#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <unistd.h>

#include "metrics/proc_stats.h"

/* Read up to size - 1 bytes of a procfs file; -1 on error. */
static ssize_t
ps_slurp(const char *path, char *buf, size_t size)
{
    ssize_t n, total = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);

    if (fd < 0)
        return -1;
    while ((size_t)total < size - 1 &&
           (n = read(fd, buf + total, size - 1 - (size_t)total)) > 0)
        total += n;
    close(fd);
    buf[total] = '\0';
    return total;
}

/* The next space-separated unsigned field at *p (bounded by end). */
static bool
ps_field(const char **p, const char *end, uint64_t *out)
{
    const char *s = *p;
    uint64_t v = 0;
    bool any = false;

    while (s < end && *s == ' ')
        s++;
    if (s < end && *s == '-') {        /* signed fields we skip over */
        s++;
    }
    while (s < end && *s >= '0' && *s <= '9') {
        if (v > (UINT64_MAX - 9) / 10)
            return false;
        v = v * 10 + (uint64_t)(*s - '0');
        s++;
        any = true;
    }
    if (!any || (s < end && *s != ' ' && *s != '\n'))
        return false;
    *p = s;
    *out = v;
    return true;
}

bool
ps_parse_stat(const char *buf, size_t len, long ticks, long page,
              uint64_t btime, struct ps_stats *out)
{
    const char *end = buf + len, *p = NULL;
    uint64_t f[25];             /* f[k] is field k of proc(5), from 4 */

    /* comm (field 2) is in parentheses and may hold spaces and ')'. */
    for (size_t i = len; i > 0; i--)
        if (buf[i - 1] == ')') {
            p = buf + i;
            break;
        }
    if (p == NULL || ticks <= 0 || page <= 0)
        return false;
    while (p < end && *p == ' ')
        p++;
    /* field 3, the state letter */
    if (p >= end || *p == ' ')
        return false;
    p++;
    for (int k = 4; k <= 24; k++)
        if (!ps_field(&p, end, &f[k]))
            return false;
    /* utime 14, stime 15, num_threads 20, starttime 22, vsize 23, rss 24 */
    out->cpu_seconds = (double)(f[14] + f[15]) / (double)ticks;
    out->threads = f[20];
    out->virtual_bytes = f[23];
    out->resident_bytes = f[24] * (uint64_t)page;
    out->have_start = btime != 0;
    out->start_time = (double)btime + (double)f[22] / (double)ticks;
    out->have_stat = true;
    return true;
}

static uint64_t
ps_btime(void)
{
    char buf[65536], *s;
    unsigned long long v;

    if (ps_slurp("/proc/stat", buf, sizeof(buf)) <= 0)
        return 0;
    s = strstr(buf, "\nbtime ");
    if (s == NULL || sscanf(s + 7, "%llu", &v) != 1)
        return 0;
    return (uint64_t)v;
}

static bool
ps_count_fds(uint64_t *out)
{
    DIR *d = opendir("/proc/self/fd");
    struct dirent *de;
    uint64_t n = 0;
    char own[16];

    if (d == NULL)
        return false;
    /* Leave out the descriptor this very listing holds. */
    snprintf(own, sizeof(own), "%d", dirfd(d));
    while ((de = readdir(d)) != NULL)
        if (de->d_name[0] != '.' && strcmp(de->d_name, own) != 0)
            n++;
    closedir(d);
    *out = n;
    return true;
}

void
ps_read(struct ps_stats *out)
{
    char buf[1024];
    struct rlimit rl;
    ssize_t n;

    memset(out, 0, sizeof(*out));
    n = ps_slurp("/proc/self/stat", buf, sizeof(buf));
    if (n > 0)
        (void)ps_parse_stat(buf, (size_t)n, sysconf(_SC_CLK_TCK),
                            sysconf(_SC_PAGESIZE), ps_btime(), out);
    out->have_fds = ps_count_fds(&out->open_fds);
    if (getrlimit(RLIMIT_NOFILE, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY) {
        out->have_max_fds = true;
        out->max_fds = (uint64_t)rl.rlim_cur;
    }
}
