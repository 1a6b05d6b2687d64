/*
 * ax_keys.h: the AgentX keys, a section of the configuration file
 * (config.h) that main() registers: AgentX, AgentXSocket,
 * AgentXPingInterval.
 */
#ifndef DM_AX_KEYS_H
#define DM_AX_KEYS_H

#include <stdbool.h>

struct cf_section;
struct dm_config;

/* None is reloadable: the subagent keeps its session. */
struct ax_settings {
    bool enabled;           /* AgentX */
    char *socket;           /* AgentXSocket: snmpd's agentXSocket */
    int ping_interval;      /* AgentXPingInterval, seconds */
};

/* For cf_register(). */
extern const struct cf_section ax_section;

/* cf's AgentX settings; NULL when ax_section was not registered. */
const struct ax_settings *ax_settings(const struct dm_config *cf);

#endif
