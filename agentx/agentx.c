/*
 * agentx.c: the AgentX subagent's thread (see agentx.h).
 *
 * The thread blocks in agent_check_and_process(), which selects on the
 * AgentX session, Net-SNMP's alarms (the ping that notices a dead master
 * and the retries that reconnect) and a pipe of ours: a byte on it ends
 * the loop, since the thread blocks every signal and select() would never
 * return EINTR.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/library/fd_event_manager.h>

#include "agentx/agentx.h"
#include "agentx/ax_mib.h"
#include "util/util.h"

/* Net-SNMP's application name; with configuration files off, it only
   names the agent in Net-SNMP's messages. */
#define AX_APP "dmarc-milter"

struct ax_agent {
    char *socket;
    int ping;
    time_t started;
    struct cs_store *cs;
    int wake[2];
    pthread_t tid;
    bool running;              /* the thread was created */
    bool stop;                 /* set and read by the thread only */
    bool master_missing;       /* already said so: later retries quietly */
};

struct ax_agent *
ax_open(const struct ax_settings *s, char *err, size_t errsz)
{
    struct ax_agent *ax;

    /* AgentXSocket and AgentXPingInterval have defaults in ax_keys.c */
    if (s == NULL || s->socket == NULL || s->ping_interval <= 0) {
        snprintf(err, errsz, "agentx: no AgentX settings");
        return NULL;
    }
    ax = calloc(1, sizeof(*ax));
    if (ax == NULL || (ax->socket = strdup(s->socket)) == NULL) {
        free(ax);
        snprintf(err, errsz, "agentx: out of memory");
        return NULL;
    }
    ax->ping = s->ping_interval;
    ax->wake[0] = ax->wake[1] = -1;
    /*
     * MIB parsing is slow and not thread-safe, and we serve numeric OIDs
     * only; setenv() is safe here because no other thread runs yet.
     */
    if (setenv("MIBS", "", 1) != 0 || setenv("MIBDIRS", "/dev/null", 1) != 0) {
        snprintf(err, errsz, "agentx: setenv: %s", strerror(errno));
        free(ax->socket);
        free(ax);
        return NULL;
    }
    return ax;
}

/* Net-SNMP's log lines into ours. */
static int
ax_log(int major, int minor, void *serverarg, void *clientarg)
{
    const struct snmp_log_message *lm = serverarg;
    struct ax_agent *ax = clientarg;
    int prio;
    size_t len;

    (void)major;
    (void)minor;
    if (lm == NULL || lm->msg == NULL)
        return 0;
    prio = lm->priority;
    len = strlen(lm->msg);
    while (len > 0 && (lm->msg[len - 1] == '\n' || lm->msg[len - 1] == '\r'))
        len--;
    if (prio < LOG_EMERG || prio > LOG_DEBUG)
        prio = LOG_NOTICE;
    /* An absent master is retried every ping interval: say it once. */
    if (strstr(lm->msg, "Failed to connect to the agentx master") != NULL) {
        if (ax->master_missing)
            prio = LOG_DEBUG;
        ax->master_missing = true;
    } else if (strstr(lm->msg, "subagent connected") != NULL) {
        ax->master_missing = false;
        prio = LOG_INFO;
    }
    dm_log(prio, "agentx: %.*s", (int)len, lm->msg);
    return 0;
}

static void
ax_woken(int fd, void *data)
{
    struct ax_agent *ax = data;
    char buf[16];

    (void)read(fd, buf, sizeof(buf));
    ax->stop = true;
}

static void
ax_setup_library(struct ax_agent *ax)
{
    snmp_disable_log();
    snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
                           ax_log, ax);
    snmp_enable_calllog();
    /* Everything comes from dmarc-milter.conf; the daemon's user writes
       nothing to Net-SNMP's persistent directory. */
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_READ_CONFIGS, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
    netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID,
                           NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
    netsnmp_enable_subagent();
    netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID,
                          NETSNMP_DS_AGENT_X_SOCKET, ax->socket);
}

static void *
ax_thread(void *arg)
{
    struct ax_agent *ax = arg;
    struct ax_mib *mib = NULL;
    char err[256];

    ax_setup_library(ax);
    if (init_agent(AX_APP) != 0) {
        dm_log(LOG_ERR, "agentx: init_agent failed; SNMP is off");
        goto out;
    }
    /* init_agent() has just reset it to 15 s. */
    netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID,
                       NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL, ax->ping);
    if ((mib = ax_mib_register(ax->cs, ax->started, err, sizeof(err)))
            == NULL) {
        dm_log(LOG_ERR, "%s; SNMP is off", err);
        goto out;
    }
    /* Connects, or schedules the retries when the master is not there. */
    init_snmp(AX_APP);
    if (register_readfd(ax->wake[0], ax_woken, ax) != 0) {
        dm_log(LOG_ERR, "agentx: cannot watch the wake-up pipe; SNMP is off");
        goto out;
    }
    dm_log(LOG_INFO, "agentx: subagent for %s (ping every %d s)", ax->socket,
           ax->ping);
    while (!ax->stop)
        (void)agent_check_and_process(1);
    unregister_readfd(ax->wake[0]);
out:
    ax_mib_unregister(mib);
    /* snmp_shutdown() frees the client argument of every callback still
       registered: ours is ax, owned by ax_stop(). */
    snmp_unregister_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING,
                             ax_log, ax, 1);
    snmp_disable_log();
    snmp_shutdown(AX_APP);
    return NULL;
}

int
ax_start(struct ax_agent *ax, struct cs_store *cs, char *err, size_t errsz)
{
    sigset_t all, old;
    int rc;

    if (ax == NULL)
        return 0;
    ax->cs = cs;
    ax->started = time(NULL);
    if (pipe2(ax->wake, O_CLOEXEC | O_NONBLOCK) != 0) {
        snprintf(err, errsz, "agentx: pipe: %s", strerror(errno));
        ax->wake[0] = ax->wake[1] = -1;
        return -1;
    }
    /* Signals belong to main(); the thread must never take one. */
    sigfillset(&all);
    pthread_sigmask(SIG_BLOCK, &all, &old);
    rc = pthread_create(&ax->tid, NULL, ax_thread, ax);
    pthread_sigmask(SIG_SETMASK, &old, NULL);
    if (rc != 0) {
        snprintf(err, errsz, "agentx: cannot start the thread: %s",
                 strerror(rc));
        return -1;
    }
    ax->running = true;
    return 0;
}

void
ax_stop(struct ax_agent *ax)
{
    if (ax == NULL)
        return;
    if (ax->running) {
        /* Non-blocking: a full pipe already holds a wake-up. */
        (void)write(ax->wake[1], "x", 1);
        pthread_join(ax->tid, NULL);
    }
    if (ax->wake[0] >= 0) {
        close(ax->wake[0]);
        close(ax->wake[1]);
    }
    free(ax->socket);
    free(ax);
}
