/*
 * ax_keys.c: the AgentX keys and their defaults (see ax_keys.h).
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "config/conf.h"
#include "util/util.h"
#include "agentx/ax_keys.h"

static const struct cf_key ax_keys[] = {
    CF_KEY_BOOL("AgentX", struct ax_settings, enabled, "false"),
    CF_KEY_STR("AgentXSocket", struct ax_settings, socket,
               "/var/agentx/master"),
    CF_KEY_INT("AgentXPingInterval", struct ax_settings, ping_interval,
               1, 3600, "15"),
};

static void
ax_keys_free(void *settings)
{
    struct ax_settings *s = settings;

    free(s->socket);
}

/* A reload keeps the running subagent; a change waits for a restart. */
static void
ax_keys_reload(const void *running, const void *loaded)
{
    const struct ax_settings *old = running, *s = loaded;

    /* the row's default makes both strings non-NULL */
    if (strcmp(old->socket, s->socket) != 0)
        dm_log(LOG_WARNING, "reload: AgentXSocket changed; it takes effect "
               "at the next restart");
    if (old->enabled != s->enabled || old->ping_interval != s->ping_interval)
        dm_log(LOG_WARNING, "reload: AgentX settings changed; they take "
               "effect at the next restart");
}

const struct cf_section ax_section = {
    "agentx", sizeof(struct ax_settings), ax_keys, CF_NKEYS(ax_keys),
    ax_keys_free, ax_keys_reload,
};

const struct ax_settings *
ax_settings(const struct dm_config *cf)
{
    return cf_settings(cf, &ax_section);
}
