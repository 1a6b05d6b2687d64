/*
 * metrics.h: what the daemon's main() calls to run the metrics: the
 * counter store, the state file and the HTTP endpoint, wired to the
 * milter's verdict hook and the runtime's resolver.
 *
 * The store lives for the whole process, outside the reloadable runtime:
 * a reload never resets a counter, and the Metrics* keys (mx_keys.h, a
 * section of the configuration) take effect at the next restart (a reload
 * that changes them logs a warning).
 *
 *   mx_open()   before forking and dropping privileges: builds the store,
 *               reads MetricsDomains, the TLS and password files, binds
 *               MetricsListen (a port in use fails here); main() then
 *               points the verdict hook and the resolver decorator at
 *               mx_store()
 *   mx_start()  after: restores MetricsStateFile, starts the saver thread
 *               and the HTTP server
 *   mx_stop()   after the milter drained: stops the HTTP server, saves the
 *               state file one last time, frees everything
 */
#ifndef DM_METRICS_H
#define DM_METRICS_H

#include <stddef.h>

#include "metrics/counter_store.h"
#include "metrics/dns_counting.h"
#include "metrics/mx_keys.h"

struct mx_metrics;

struct mx_metrics *mx_open(const struct mx_settings *s, char *err,
                           size_t errsz);
int mx_start(struct mx_metrics *m, char *err, size_t errsz);
void mx_stop(struct mx_metrics *m);

/* The store, for other readers (AgentX). */
struct cs_store *mx_store(struct mx_metrics *m);

/* dmarc-milter -n: check the Metrics* settings and files, bind nothing. */
int mx_check(const struct mx_settings *s, char *err, size_t errsz);

#endif
