/*
 * fuzz_config.c: libFuzzer target for the configuration reader.
 *
 * cf_load() reads a path, so each input is written to one temporary file
 * that lives as long as the process. Build and run for 60 s:
 *   tests/fuzz/run-fuzzer.sh fuzz_config 60 /tmp/fuzz
 * Files the input names (IgnoreHosts, PublicSuffixList) are opened for
 * real; only regular files are read, so /dev/zero or a FIFO cannot hang it.
 * The Metrics*, AgentX and report sections are registered, as main() does.
 */
#include <config.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include "agentx/agentx.h"
#include "config/conf.h"
#include "metrics/metrics.h"
#include "report/report.h"

/* In /dev/shm when there is one: on a disk, truncating and rewriting the
   file for each input made the kernel's share 44% and halved the rate. */
static char fz_path[64];
static int fz_fd = -1;

static void
fz_cleanup(void)
{
    if (fz_fd >= 0)
        unlink(fz_path);
}

/*
 * Diagnostics must be well formed: a file name first, then ':', and no
 * control bytes. The file is the configuration, or one it names (an
 * IgnoreHosts file or a domain list, which then exists): a diagnostic
 * names the file its line is in.
 */
static void
fz_report(void *arg, bool is_error, const char *msg)
{
    size_t plen = strlen(fz_path);

    (void)arg;
    (void)is_error;
    if (strncmp(msg, fz_path, plen) != 0 || msg[plen] != ':') {
        const char *colon = strchr(msg, ':');
        char named[4096];
        size_t n = colon != NULL ? (size_t)(colon - msg) : 0;

        if (n == 0 || n >= sizeof(named))
            abort();
        memcpy(named, msg, n);
        named[n] = '\0';
        if (access(named, F_OK) != 0)
            abort();
    }
    for (const char *p = msg; *p != '\0'; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const struct mx_settings *mx;
    const struct ax_settings *ax;
    struct dm_config *cf;

    if (fz_fd < 0) {
        if (cf_register(&mx_section) != 0 || cf_register(&ax_section) != 0 ||
            cf_register(&rp_section) != 0)
            abort();
        snprintf(fz_path, sizeof(fz_path), "%s/fuzz_config.XXXXXX",
                 access("/dev/shm", W_OK) == 0 ? "/dev/shm" : "/tmp");
        fz_fd = mkstemp(fz_path);
        if (fz_fd < 0)
            abort();
        atexit(fz_cleanup);
    }
    if (ftruncate(fz_fd, 0) != 0 ||
        pwrite(fz_fd, data, size, 0) != (ssize_t)size)
        abort();

    cf = cf_load(fz_path, fz_report, NULL);
    if (cf != NULL) {
        /* a loaded configuration is complete */
        if (cf->socket == NULL || cf->path == NULL ||
            cf->dns_timeout < 1 || cf->dns_timeout > 60 ||
            cf->milter_debug < 0 || cf->milter_debug > 6 ||
            (cf->umask_set && cf->umask > 0777))
            abort();
        mx = mx_settings(cf);
        ax = ax_settings(cf);
        if (mx == NULL || ax == NULL || ax->socket == NULL ||
            mx->max_domains < 1 || mx->max_domains > 100000 ||
            mx->state_interval < 1 || mx->state_interval > 86400 ||
            ax->ping_interval < 1 || ax->ping_interval > 3600)
            abort();
        (void)cf_trusted_id(cf, "fuzz.example", "FUZZ.example");
        (void)cf_ignore_mailfrom(cf, "example.com");
        if (rp_settings(cf) == NULL)
            abort();
    }
    cf_free(cf);
    return 0;
}
