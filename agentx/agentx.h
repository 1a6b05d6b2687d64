/*
 * agentx.h: dmarc-milter as an AgentX subagent of the local snmpd
 * (AgentX true), serving DMARC-MILTER-MIB from the counter store.
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

#include "metrics/metrics.h"
#include "config/config.h"

#define AX_SOCKET_DEFAULT "/var/agentx/master"
#define AX_PING_DEFAULT   15

struct ax_agent;

/* NULL with a reason when memory is short. */
struct ax_agent *ax_open(const struct dm_config *cf, char *err, size_t errsz);

/* -1 with a reason when the thread cannot start; ax NULL: nothing to do. */
int ax_start(struct ax_agent *ax, struct cs_store *cs, char *err,
             size_t errsz);

/* Stop the thread (if started) and free; NULL is fine. */
void ax_stop(struct ax_agent *ax);

#endif
