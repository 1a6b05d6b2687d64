/*
 * agentx.h: dmarc-milter as an AgentX subagent of the local snmpd
 * (AgentX true), serving DMARC-MILTER-MIB from the counter store. Its
 * keys are a section of the configuration (ax_keys.h).
 *
 * Net-SNMP is not thread-safe, so one thread of ours owns every Net-SNMP
 * call: init_agent, the registrations, the event loop and the shutdown.
 * Milter threads only count in the store. When snmpd is absent or
 * restarts, the thread retries every AgentXPingInterval seconds; mail
 * never waits for it.
 *
 *   ax_open()   before forking, while no thread runs (it sets MIBS in the
 *               environment so that Net-SNMP parses no MIB files)
 *   ax_start()  after the fork and the privilege drop: starts the thread
 *   ax_stop()   wakes the thread through a pipe and waits for it
 */
#ifndef DM_AGENTX_H
#define DM_AGENTX_H

#include <stddef.h>

#include "agentx/ax_keys.h"
#include "metrics/metrics.h"

struct ax_agent;

/* The subagent of s (AgentX true); NULL with a reason when it cannot be. */
struct ax_agent *ax_open(const struct ax_settings *s, char *err,
                         size_t errsz);

/* -1 with a reason when the thread cannot start; ax NULL: nothing to do. */
int ax_start(struct ax_agent *ax, struct cs_store *cs, char *err,
             size_t errsz);

/* Stop the thread (if started) and free; NULL is fine. */
void ax_stop(struct ax_agent *ax);

#endif
