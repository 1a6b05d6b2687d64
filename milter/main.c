/*
 * main.c: dmarc-milter's process: command line, configuration, privileges,
 * the milter thread, and the signals that reload and stop it.
 *
 * libmilter's own signal thread stops the filter on SIGHUP, which made
 * OpenDMARC exit on a reload (its bug #322). Here the main thread owns the
 * signals and smfi_main() runs in a thread of its own: the kernel offers a
 * process signal to the main thread first while it waits in sigwait, so
 * SIGHUP reloads and SIGTERM drains the messages in flight.
 */
#include <config.h>

#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <grp.h>
#include <pthread.h>
#include <pwd.h>
#include <signal.h>
#include <stdatomic.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <netdb.h>
#include <time.h>
#include <unistd.h>

#include <idn2.h>
#include <libpsl.h>
#include <malloc.h>
#include <libmilter/mfapi.h>

#include "agentx/agentx.h"
#include "config/conf.h"
#include "util/util.h"
#include "metrics/metrics.h"
#include "report/report.h"
#include "milter/reporting.h"
#include "milter/milter_cb.h"
#include "milter/runtime.h"
#include "milter/show_settings.h"
#include "auth/auth.h"

#define DM_EX_USAGE    64
#define DM_EX_SOFTWARE 70
#define DM_EX_OSERR    71
#define DM_EX_CONFIG   78
#define DM_CONTINUE    (-1)   /* dm_options(): no answer yet, go on */
#define DM_DRAIN_SECONDS 60
#define DM_MILTER_MAX_DATA (1024 * 1024 - 1)   /* libmilter's largest, 1 MiB */
#define DM_THREAD_STACK (1024 * 1024)          /* dm_tune_memory() */

struct dm_opts {
    const char *conf_path;
    bool foreground;
    bool check_only;
    bool verbose;
};

/* The parts with threads of their own, opened before the fork. */
struct dm_parts {
    struct mx_metrics *mx;
    struct ax_agent *ax;
    struct mr_reporting *rep;
};

/* The reporting, for SIGHUP's reopen of the history in the main thread. */
static struct mr_reporting *dm_rep;

static atomic_bool dm_milter_done;

static void
dm_usage(FILE *fp)
{
    fprintf(fp,
            "usage: dmarc-milter [-c FILE] [-f] [-n] [-v] [-V] [-h]\n"
            "  -c FILE        configuration file (default %s)\n"
            "  -f             stay in the foreground and log to stderr\n"
            "  -n             check the configuration, print the effective\n"
            "                 settings (what is trusted, where SPF and DKIM\n"
            "                 results come from) and exit\n"
            "  -v             log debugging detail\n"
            "  -V, --version  print the version and features, then exit\n"
            "  -h, --help     print this help, then exit\n"
            "See dmarc-milter(8) and dmarc-milter.conf(5).\n",
            CF_DEFAULT_FILE);
}

static void
dm_version(void)
{
    unsigned int mj = 0, mn = 0, pl = 0;

    (void)smfi_version(&mj, &mn, &pl);
    printf("%s %s\n", PACKAGE_NAME, PACKAGE_VERSION);
    printf("  libmilter %u.%u.%u\n", mj, mn, pl);
    printf("  libspf2 %s (SPF self-validation)\n", spf_version());
    printf("  libpsl %s (organizational domains)\n", psl_get_version());
    printf("  libidn2 %s (IDN From domains)\n", idn2_check_version(NULL));
    printf("  features: DMARC (RFC 7489, RFC 9989), SPF self-validation, "
           "DKIM self-verification, trusted Authentication-Results and "
           "Received-SPF, Prometheus /metrics, AgentX subagent "
           "(DMARC-MILTER-MIB), reload on SIGHUP/SIGUSR1\n");
    printf("  configuration: %s (default)\n", CF_DEFAULT_FILE);
}

/* Configuration diagnostics go to stderr before the log is open. */
static void
dm_report(void *arg, bool is_error, const char *msg)
{
    bool *to_log = arg;

    if (*to_log)
        dm_log(is_error ? LOG_ERR : LOG_WARNING, "%s", msg);
    else
        fprintf(stderr, "dmarc-milter: %s: %s\n",
                is_error ? "error" : "warning", msg);
}

static struct dm_runtime *
dm_load(const char *path, bool to_log)
{
    struct dm_config *cf;
    struct dm_runtime *rt;
    char err[512];

    cf = cf_load(path, dm_report, &to_log);
    if (cf == NULL)
        return NULL;
    rt = rt_build(cf, err, sizeof(err));
    if (rt == NULL) {
        dm_report(&to_log, true, err);
        cf_free(cf);
    }
    return rt;
}

/*
 * ChangeRootDirectory, once whatever is read from the real root has been
 * read (the configuration, the public suffix list, IgnoreHosts, the
 * metrics port, UserID's entries) and while root may still chroot.
 */
static int
dm_chroot(const char *dir, bool with_user)
{
    if (dir == NULL)
        return 0;
    if (!with_user)
        dm_log(LOG_WARNING, "ChangeRootDirectory without UserID: the "
               "daemon keeps root's powers, with which a process can leave "
               "a chroot");
    tzset();    /* the time zone file stays outside */
    if (chroot(dir) != 0 || chdir("/") != 0) {
        dm_log(LOG_ERR, "ChangeRootDirectory %s: %s", dir, strerror(errno));
        return -1;
    }
    dm_log(LOG_INFO, "root directory is now %s", dir);
    return 0;
}

/* UserID (with ChangeRootDirectory between the group and the user). */
static int
dm_drop_privileges(const char *spec, const char *root)
{
    char user[256], *colon;
    struct passwd *pw;
    gid_t gid;

    if (spec == NULL || getuid() != 0)
        return dm_chroot(root, spec != NULL);
    snprintf(user, sizeof(user), "%s", spec);
    colon = strchr(user, ':');
    if (colon != NULL)
        *colon++ = '\0';
    if ((pw = getpwnam(user)) == NULL) {
        dm_log(LOG_ERR, "UserID: no such user \"%s\"", user);
        return -1;
    }
    gid = pw->pw_gid;
    if (colon != NULL) {
        struct group *gr = getgrnam(colon);

        if (gr == NULL) {
            dm_log(LOG_ERR, "UserID: no such group \"%s\"", colon);
            return -1;
        }
        gid = gr->gr_gid;
    }
    if (setgid(gid) != 0 || initgroups(pw->pw_name, gid) != 0) {
        dm_log(LOG_ERR, "UserID %s: cannot change group: %s", spec,
               strerror(errno));
        return -1;
    }
    if (dm_chroot(root, true) != 0)
        return -1;
    if (setuid(pw->pw_uid) != 0) {
        dm_log(LOG_ERR, "UserID %s: cannot change identity: %s", spec,
               strerror(errno));
        return -1;
    }
    return 0;
}

static int
dm_daemonize(void)
{
    pid_t pid = fork();
    int fd;

    if (pid < 0)
        return -1;
    if (pid > 0)
        _exit(0);
    if (setsid() < 0)
        return -1;
    fd = open("/dev/null", O_RDWR);
    if (fd >= 0) {
        (void)dup2(fd, STDIN_FILENO);
        (void)dup2(fd, STDOUT_FILENO);
        (void)dup2(fd, STDERR_FILENO);
        if (fd > STDERR_FILENO)
            close(fd);
    }
    return 0;
}

static int
dm_write_pidfile(const char *path)
{
    FILE *fp;

    if (path == NULL)
        return 0;
    fp = fopen(path, "w");
    if (fp == NULL) {
        dm_log(LOG_ERR, "PidFile %s: %s", path, strerror(errno));
        return DM_EX_OSERR;
    }
    fprintf(fp, "%ld\n", (long)getpid());
    if (fclose(fp) != 0) {
        dm_log(LOG_ERR, "PidFile %s: %s", path, strerror(errno));
        return DM_EX_OSERR;
    }
    return 0;
}

static void *
dm_milter_thread(void *arg)
{
    int *status = arg;

    *status = smfi_main();
    atomic_store(&dm_milter_done, true);
    return NULL;
}

/* Two optional strings differ. */
static bool
dm_str_changed(const char *a, const char *b)
{
    return (a == NULL) != (b == NULL) || (a != NULL && strcmp(a, b) != 0);
}

/* The keys a running daemon cannot take over without a restart. */
static void
dm_warn_static(const struct dm_config *old, const struct dm_config *new)
{
    static const struct { const char *key; size_t off; } keys[] = {
        { "Socket", offsetof(struct dm_config, socket) },
        { "UserID", offsetof(struct dm_config, user_id) },
        { "PidFile", offsetof(struct dm_config, pid_file) },
        { "BaseDirectory", offsetof(struct dm_config, base_directory) },
        { "ChangeRootDirectory", offsetof(struct dm_config, chroot_dir) },
    };

    for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++) {
        const char *a = *(char *const *)((const char *)old + keys[i].off);
        const char *b = *(char *const *)((const char *)new + keys[i].off);

        if (dm_str_changed(a, b))
            dm_log(LOG_WARNING, "reload: %s changed; it takes effect at the "
                   "next restart", keys[i].key);
    }
    if (old->umask != new->umask || old->umask_set != new->umask_set ||
        old->syslog != new->syslog ||
        old->syslog_facility != new->syslog_facility)
        dm_log(LOG_WARNING, "reload: UMask or Syslog settings changed; they "
               "take effect at the next restart");
    if (dm_str_changed(rp_settings(old)->history_file,
                       rp_settings(new)->history_file))
        dm_log(LOG_WARNING, "reload: HistoryFile changed; it takes effect "
               "at the next restart");
    if (old->enable_coredumps != new->enable_coredumps)
        dm_log(LOG_WARNING, "reload: EnableCoredumps changed; it takes "
               "effect at the next restart");
}

static void
dm_reload(const char *path)
{
    struct dm_runtime *cur = rt_acquire(), *rt;
    bool to_log = true;

    dm_log(LOG_INFO, "reloading configuration from %s", path);
    rt = dm_load(path, true);
    if (rt == NULL) {
        dm_log(LOG_ERR, "reload failed; keeping the running configuration");
    } else {
        dm_warn_static(cur->cf, rt->cf);
        cf_reload_warn(cur->cf, rt->cf);     /* Metrics*, AgentX* */
        (void)cf_warn_spf_source(rt->cf, dm_report, &to_log);
        rt_install(rt);
        dm_log(LOG_INFO, "configuration reloaded from %s", path);
    }
    rt_release(cur);
}

/* Wait for the messages in flight after the listener has closed. */
static void
dm_drain(void)
{
    for (int i = 0; i < DM_DRAIN_SECONDS * 10 && mc_inflight() > 0; i++) {
        struct timespec ts = { 0, 100000000L };

        nanosleep(&ts, NULL);
    }
    if (mc_inflight() > 0)
        dm_log(LOG_WARNING, "stopping with %d messages unfinished; the MTA "
               "applies milter_default_action to them", mc_inflight());
}

/*
 * smfi_stop() waits for a lock that libmilter's listener holds while it
 * polls (up to 5 s); a connection of our own ends the poll at once.
 */
static void
dm_wake_listener(const char *spec)
{
    struct addrinfo hints, *res = NULL;
    char host[256], *at;
    const char *port;
    int fd;

    if (strncmp(spec, "unix:", 5) == 0 || strncmp(spec, "local:", 6) == 0 ||
        *spec == '/') {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };
        const char *path = *spec == '/' ? spec : strchr(spec, ':') + 1;

        if (strlen(path) >= sizeof(sun.sun_path) ||
            (fd = socket(AF_UNIX, SOCK_STREAM, 0)) < 0)
            return;
        strcpy(sun.sun_path, path);
        (void)connect(fd, (struct sockaddr *)&sun, sizeof(sun));
        close(fd);
        return;
    }
    /* inet:PORT@HOST, inet6:PORT@HOST; no host means every address. */
    if (strncmp(spec, "inet", 4) != 0 || (port = strchr(spec, ':')) == NULL)
        return;
    snprintf(host, sizeof(host), "%s", port + 1);
    at = strchr(host, '@');
    if (at != NULL)
        *at++ = '\0';
    memset(&hints, 0, sizeof(hints));
    hints.ai_socktype = SOCK_STREAM;
    if (at == NULL || *at == '\0' || strcmp(at, "*") == 0 ||
        strcmp(at, "0.0.0.0") == 0)
        at = spec[4] == '6' ? "::1" : "127.0.0.1";
    if (*at == '[') {
        at++;
        at[strcspn(at, "]")] = '\0';
    }
    if (getaddrinfo(at, host, &hints, &res) != 0)
        return;
    if ((fd = socket(res->ai_family, SOCK_STREAM, 0)) >= 0) {
        (void)connect(fd, res->ai_addr, res->ai_addrlen);
        close(fd);
    }
    freeaddrinfo(res);
}

static void *
dm_stop_thread(void *arg)
{
    (void)arg;
    smfi_stop();
    return NULL;
}

static void
dm_stop_milter(const char *sock)
{
    pthread_t tid;
    struct timespec ts = { 0, 50000000L };

    if (pthread_create(&tid, NULL, dm_stop_thread, NULL) != 0) {
        smfi_stop();    /* the slow way still stops */
        return;
    }
    for (int i = 0; i < 200 && !atomic_load(&dm_milter_done); i++) {
        dm_wake_listener(sock);
        nanosleep(&ts, NULL);
    }
    pthread_join(tid, NULL);
}

static int
dm_serve(const char *path, const char *sock)
{
    sigset_t set;
    pthread_t tid;
    int status = MI_FAILURE, sig;
    struct timespec tick = { 1, 0 };

    sigemptyset(&set);
    sigaddset(&set, SIGHUP);
    sigaddset(&set, SIGUSR1);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    if (pthread_create(&tid, NULL, dm_milter_thread, &status) != 0) {
        dm_log(LOG_ERR, "cannot start the milter thread: %s",
               strerror(errno));
        return DM_EX_OSERR;
    }
    dm_log(LOG_INFO, "%s %s started", PACKAGE_NAME, PACKAGE_VERSION);
    while (!atomic_load(&dm_milter_done)) {
        sig = sigtimedwait(&set, NULL, &tick);
        if (sig == SIGHUP || sig == SIGUSR1) {
            mr_reopen(dm_rep);      /* logrotate moved the history */
            dm_reload(path);
        } else if (sig == SIGTERM || sig == SIGINT) {
            dm_log(LOG_INFO, "stopping: %d messages in flight",
                   mc_inflight());
            dm_stop_milter(sock);
            break;
        }
    }
    pthread_join(tid, NULL);
    dm_drain();
    dm_log(LOG_INFO, "stopped");
    return status == MI_SUCCESS ? 0 : DM_EX_OSERR;
}

/*
 * -c, -f, -n, -v; -V and -h answer at once. DM_CONTINUE, or the exit.
 * getopt names a bad option or a missing argument itself ("invalid
 * option -- 'x'"); the usage follows on stderr, exit 64 as in opendkim.
 */
static int
dm_options(int argc, char **argv, struct dm_opts *o)
{
    static const struct option longopts[] = {
        { "help", no_argument, NULL, 'h' },
        { "version", no_argument, NULL, 'V' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    while ((ch = getopt_long(argc, argv, "c:fnvVh", longopts, NULL)) != -1) {
        switch (ch) {
        case 'c': o->conf_path = optarg; break;
        case 'f': o->foreground = true; break;
        case 'n': o->check_only = true; break;
        case 'v': o->verbose = true; break;
        case 'V': dm_version(); return 0;
        case 'h': dm_usage(stdout); return 0;
        default:  dm_usage(stderr); return DM_EX_USAGE;
        }
    }
    if (optind != argc) {
        fprintf(stderr, "dmarc-milter: unexpected argument '%s' (the "
                "configuration file goes after -c)\n", argv[optind]);
        dm_usage(stderr);
        return DM_EX_USAGE;
    }
    return DM_CONTINUE;
}

/* The subsystems' keys (their sections), known before the first load. */
static int
dm_register_keys(void)
{
    if (cf_register(&mx_section) != 0 || cf_register(&ax_section) != 0 ||
        cf_register(&rp_section) != 0) {
        fprintf(stderr, "dmarc-milter: error: a section of configuration "
                "keys is refused (a key named twice?)\n");
        return DM_EX_SOFTWARE;
    }
    return 0;
}

/* ChangeRootDirectory names a directory (not checked at load: see cf_set). */
static int
dm_check_root(const char *dir, char *err, size_t errsz)
{
    struct stat st;

    if (dir == NULL)
        return 0;
    if (stat(dir, &st) != 0)
        snprintf(err, errsz, "ChangeRootDirectory %s: %s", dir,
                 strerror(errno));
    else if (!S_ISDIR(st.st_mode))
        snprintf(err, errsz, "ChangeRootDirectory %s: not a directory", dir);
    else
        return 0;
    return -1;
}

/* dmarc-milter -n: the file, and the files the metrics read; no bind. */
static int
dm_check_only(struct dm_runtime *rt, const char *path)
{
    char err[512];
    bool to_log = false;
    int rc = 0;

    if (dm_check_root(rt->cf->chroot_dir, err, sizeof(err)) != 0 ||
        mx_check(mx_settings(rt->cf), err, sizeof(err)) != 0) {
        fprintf(stderr, "dmarc-milter: error: %s\n", err);
        rc = DM_EX_CONFIG;
    } else {
        (void)cf_warn_spf_source(rt->cf, dm_report, &to_log);
        printf("%s: configuration OK\n", path);
        ss_print(stdout, rt->cf);
    }
    rt_release(rt);
    return rc;
}

/*
 * The process before its parts: the log (where the settings' warnings
 * go once it is open), SPF, UMask, BaseDirectory.
 */
static int
dm_setup(const struct dm_config *cf, const struct dm_opts *o)
{
    bool to_log = true;

    dm_log_open(PACKAGE_NAME, cf->syslog, cf->syslog_facility);
    dm_log_debug(o->verbose);
    if (o->foreground)
        dm_log_stderr(true);
    (void)cf_warn_spf_source(cf, dm_report, &to_log);
    spf_init();
    if (cf->umask_set)
        umask(cf->umask);
    if (cf->base_directory != NULL && chdir(cf->base_directory) != 0) {
        dm_log(LOG_ERR, "BaseDirectory %s: %s", cf->base_directory,
               strerror(errno));
        return DM_EX_CONFIG;
    }
    return 0;
}

/*
 * AgentX is prepared while no thread runs and started after the fork;
 * the metrics read their files and bind their port while still root and
 * attached, so that a problem fails the start where it can be seen.
 */
static int
dm_open_parts(const struct dm_config *cf, struct dm_parts *p)
{
    const struct ax_settings *axs = ax_settings(cf);
    char err[512];

    if (axs != NULL && axs->enabled &&
        (p->ax = ax_open(axs, err, sizeof(err))) == NULL) {
        dm_log(LOG_ERR, "%s", err);
        return DM_EX_OSERR;
    }
    if ((p->mx = mx_open(mx_settings(cf), err, sizeof(err))) == NULL) {
        dm_log(LOG_ERR, "%s", err);
        return DM_EX_OSERR;
    }
    return 0;
}

/*
 * After the drain, so that the last save of the counters is exact: the
 * queued failure reports go out first, and the reporting is freed only
 * when no reader of the counters (scrapes, AgentX, the saver) is left.
 */
static void
dm_close_parts(struct dm_parts *p)
{
    mc_set_outcome_hook(NULL, NULL);
    mr_drain(p->rep);
    ax_stop(p->ax);
    p->ax = NULL;
    mx_stop(p->mx);
    p->mx = NULL;
    mr_close(p->rep);
    p->rep = dm_rep = NULL;
}

/*
 * The one place the parts meet: every verdict goes to the counter store,
 * and every runtime's resolver counts its lookups there. Nothing counts
 * before smfi_main(), after mx_start() restored the saved counts.
 */
static int
dm_wire_metrics(struct dm_runtime *rt, struct cs_store *cs)
{
    mc_set_verdict_hook(cs_verdict_hook, cs);
    rt_set_dns_decorator(dc_wrap, dc_unwrap, cs);
    if (rt_decorate(rt) != 0) {
        dm_log(LOG_ERR, "metrics: out of memory");
        return DM_EX_OSERR;
    }
    return 0;
}

/*
 * ChangeRootDirectory and UserID, then the background (unless -f or
 * Background false). A changed identity makes the kernel refuse core
 * files; EnableCoredumps asks for them again, as OpenDMARC does.
 */
static int
dm_detach(const struct dm_config *cf, const struct dm_opts *o)
{
    if (dm_drop_privileges(cf->user_id, cf->chroot_dir) != 0)
        return DM_EX_CONFIG;
    if (cf->enable_coredumps && prctl(PR_SET_DUMPABLE, 1) != 0)
        dm_log(LOG_WARNING, "EnableCoredumps: %s", strerror(errno));
    if (cf->background && !o->foreground && dm_daemonize() != 0) {
        dm_log(LOG_ERR, "cannot go into the background: %s", strerror(errno));
        return DM_EX_OSERR;
    }
    return 0;
}

/* The parts' threads start after the fork and the privilege drop. */
static int
dm_start_parts(const struct dm_config *cf, struct dm_parts *p)
{
    char err[512];

    /* The history is opened as the daemon's user, inside its root, as it
       is reopened; ReportCommand runs as that user too. Before the
       readers of the counters start: they read its counts. */
    if ((p->rep = dm_rep = mr_open(cf, mx_store(p->mx))) != NULL)
        mc_set_outcome_hook(mr_outcome, p->rep);
    if (mx_start(p->mx, err, sizeof(err)) != 0 ||
        ax_start(p->ax, mx_store(p->mx), err, sizeof(err)) != 0) {
        dm_log(LOG_ERR, "%s", err);
        return DM_EX_OSERR;
    }
    return 0;
}

/*
 * The MTA connects to a unix socket through the daemon's group (postfix
 * is in group dmarc-milter), and connecting needs write permission: the
 * socket is made group-writable whatever the umask, so that the unit's
 * UMask=0027 can keep every other file 0640.
 */
static void
dm_socket_for_group(const char *conn)
{
    const char *path = NULL;
    struct stat st;

    if (strncmp(conn, "unix:", 5) == 0)
        path = conn + 5;
    else if (strncmp(conn, "local:", 6) == 0)
        path = conn + 6;
    else if (conn[0] == '/')
        path = conn;
    if (path == NULL || stat(path, &st) != 0 || !S_ISSOCK(st.st_mode))
        return;
    if (chmod(path, (st.st_mode & 07777) | S_IRGRP | S_IWGRP) != 0)
        dm_log(LOG_WARNING, "socket %s: cannot make it group-writable: %s",
               path, strerror(errno));
}

/* The filter registered and its socket open: one in use fails here. */
static int
dm_open_milter(const struct dm_config *cf)
{
    signal(SIGPIPE, SIG_IGN);
    if (smfi_setconn(cf->socket) != MI_SUCCESS ||
        smfi_register(mc_desc) != MI_SUCCESS) {
        dm_log(LOG_ERR, "cannot register the filter on %s", cf->socket);
        return DM_EX_OSERR;
    }
    if (cf->milter_debug > 0)
        (void)smfi_setdbg(cf->milter_debug);
    /*
     * libmilter drops a connection whose packet exceeds 64 KiB, and
     * Postfix sends a header field of up to header_size_limit (100 KiB)
     * in one packet: the MTA's milter_default_action would then decide.
     */
    (void)smfi_setmaxdatasize(DM_MILTER_MAX_DATA);
    if (smfi_opensocket(true) != MI_SUCCESS) {
        dm_log(LOG_ERR, "cannot open socket %s (is another instance "
               "running, or is its directory missing?)", cf->socket);
        return DM_EX_OSERR;
    }
    dm_socket_for_group(cf->socket);
    return 0;
}

/* Serve until SIGTERM, then stop the parts and remove the PidFile. */
static int
dm_run(const struct dm_opts *o, struct dm_runtime *rt, struct dm_parts *p)
{
    /* A reload frees cf with its runtime; keep what the exit needs. */
    char *pid_file = rt->cf->pid_file != NULL ? strdup(rt->cf->pid_file)
                                              : NULL;
    char *sock = strdup(rt->cf->socket);
    int rc;

    rt_install(rt);
    rc = dm_serve(o->conf_path, sock != NULL ? sock : "");
    free(sock);
    dm_close_parts(p);
    if (pid_file != NULL) {
        (void)unlink(pid_file);
        free(pid_file);
    }
    return rc;
}

/*
 * Memory that libmilter's comings and goings would otherwise fault in
 * again and again (tests/bench/profile.sh -t stat counts the faults):
 *
 * Each message borrows a few 64 KB DNS buffers. By default glibc hands a
 * thread arena's free top back to the kernel past 128 KB, so every
 * message paid madvise and page faults for them again (13% of the CPU in
 * tests/bench); a megabyte kept per arena ends that.
 *
 * libmilter starts a worker thread whenever none is idle and ends one
 * whenever two are, so at one message per connection a new thread comes
 * every third or fourth message. glibc keeps 40 MB of finished threads'
 * stacks for new ones: five of the default 8 MB, fewer than the threads
 * a busy MTA keeps alive, so most new threads got a fresh mapping and
 * faulted in every page they touched. At 1 MB (our deepest call chain
 * uses well under 100 KB) forty are kept.
 */
static void
dm_tune_memory(void)
{
    pthread_attr_t attr;

    mallopt(M_TRIM_THRESHOLD, 1024 * 1024);
    if (pthread_attr_init(&attr) != 0)
        return;
    if (pthread_attr_setstacksize(&attr, DM_THREAD_STACK) == 0)
        (void)pthread_setattr_default_np(&attr);
    (void)pthread_attr_destroy(&attr);
}

/*
 * The steps, in order. Whatever one part gives another (the counter store
 * to the milter, the resolvers and the subagent) is handed over here.
 */
int
main(int argc, char **argv)
{
    struct dm_opts o = { CF_DEFAULT_FILE, false, false, false };
    struct dm_parts parts = { NULL, NULL, NULL };
    struct dm_runtime *rt;
    int rc;

    dm_tune_memory();
    if ((rc = dm_options(argc, argv, &o)) != DM_CONTINUE ||
        (rc = dm_register_keys()) != 0)
        return rc;
    if ((rt = dm_load(o.conf_path, false)) == NULL) {
        fprintf(stderr, "dmarc-milter: %s: configuration not usable\n",
                o.conf_path);
        return DM_EX_CONFIG;
    }
    if (o.check_only)
        return dm_check_only(rt, o.conf_path);
    if ((rc = dm_setup(rt->cf, &o)) != 0)
        return rc;
    if ((rc = dm_open_parts(rt->cf, &parts)) != 0 ||
        (rc = dm_wire_metrics(rt, mx_store(parts.mx))) != 0) {
        dm_close_parts(&parts);     /* a refused start leaks nothing */
        rt_release(rt);
        return rc;
    }
    if ((rc = dm_detach(rt->cf, &o)) != 0 ||
        (rc = dm_start_parts(rt->cf, &parts)) != 0 ||
        (rc = dm_write_pidfile(rt->cf->pid_file)) != 0 ||
        (rc = dm_open_milter(rt->cf)) != 0)
        return rc;
    return dm_run(&o, rt, &parts);
}
