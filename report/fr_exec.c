/*
 * fr_exec.c: run ReportCommand for one failure report (fr_sender.h): no
 * shell, the report down a pipe on its standard input, the child always
 * reaped, and killed at a deadline so that a hung sendmail cannot hold
 * the sender (nor the daemon's stop) for ever.
 */
#include <config.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "report/fr_sender.h"
#include "util/util.h"

#define FR_ARGS_MAX 32
#define FR_TICK_MS 20           /* how often a waiting child is looked at */

extern char **environ;

/* Split command on white space into argv (in buf); the word count, 0 when
   none or too many. */
static size_t
fr_words(const char *command, char *buf, size_t bufsz, char **argv)
{
    size_t n = 0;
    char *save = NULL;

    if (snprintf(buf, bufsz, "%s", command) >= (int)bufsz)
        return 0;
    for (char *w = strtok_r(buf, " \t", &save); w != NULL;
         w = strtok_r(NULL, " \t", &save)) {
        if (n == FR_ARGS_MAX - 1)
            return 0;
        argv[n++] = w;
    }
    argv[n] = NULL;
    return n;
}

/* Too late: the deadline passed or the sender is told to give up. */
static bool
fr_late(long long deadline, atomic_bool *abandon)
{
    return clk_millis() >= deadline ||
           (abandon != NULL && atomic_load(abandon));
}

/* Write all of msg to the non-blocking fd before the deadline. The
   worker blocks SIGPIPE: a reader gone gives EPIPE, and the signal left
   pending is taken here. */
static bool
fr_feed(int fd, const char *msg, size_t len, long long deadline,
        atomic_bool *abandon)
{
    struct pollfd p = { .fd = fd, .events = POLLOUT };
    struct timespec zero = { 0, 0 };
    sigset_t pipe_set;
    ssize_t w;

    while (len > 0 && !fr_late(deadline, abandon)) {
        if (poll(&p, 1, FR_TICK_MS) < 0 && errno != EINTR)
            return false;
        w = write(fd, msg, len);
        if (w < 0 && errno != EAGAIN && errno != EINTR) {
            sigemptyset(&pipe_set);
            sigaddset(&pipe_set, SIGPIPE);
            if (errno == EPIPE)
                sigtimedwait(&pipe_set, NULL, &zero);
            return false;
        }
        if (w > 0) {
            msg += w;
            len -= (size_t)w;
        }
    }
    return len == 0;
}

/* Wait for pid until the deadline, then kill it; its status in *status.
   False when it had to be killed. */
static bool
fr_reap(pid_t pid, long long deadline, atomic_bool *abandon, int *status)
{
    struct timespec tick = { 0, FR_TICK_MS * 1000000L };
    pid_t r;

    for (;;) {
        r = waitpid(pid, status, WNOHANG);
        if (r == pid)
            return true;
        if (r < 0 && errno != EINTR) {
            *status = 0;        /* reaped elsewhere (SIGCHLD ignored) */
            return true;
        }
        if (fr_late(deadline, abandon))
            break;
        nanosleep(&tick, NULL);
    }
    /* its process group: what sendmail started goes too */
    kill(-pid, SIGKILL);
    kill(pid, SIGKILL);
    while (waitpid(pid, status, 0) < 0 && errno == EINTR)
        ;
    return false;
}

/* Start argv with fd as its standard input and no other descriptor of
   ours, the signal mask and SIGPIPE as a fresh process has them (the
   worker blocks every signal), in a process group of its own, to be
   killed whole. */
static int
fr_spawn(char **argv, int fd, pid_t *pid)
{
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, pipe_set;
    int rc;

    sigemptyset(&none);
    sigemptyset(&pipe_set);
    sigaddset(&pipe_set, SIGPIPE);
    if ((rc = posix_spawn_file_actions_init(&fa)) != 0)
        return rc;
    if ((rc = posix_spawnattr_init(&at)) != 0) {
        posix_spawn_file_actions_destroy(&fa);
        return rc;
    }
    rc = posix_spawn_file_actions_adddup2(&fa, fd, STDIN_FILENO);
    /* Nothing of the daemon's (its milter, metrics and AgentX sockets,
       whether close-on-exec or not) reaches the command. */
    if (rc == 0)
        rc = posix_spawn_file_actions_addclosefrom_np(&fa, STDERR_FILENO + 1);
    if (rc == 0)
        rc = posix_spawnattr_setsigmask(&at, &none);
    if (rc == 0)
        rc = posix_spawnattr_setsigdefault(&at, &pipe_set);
    if (rc == 0)
        rc = posix_spawnattr_setpgroup(&at, 0);
    if (rc == 0)
        rc = posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK |
                                      POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    if (rc == 0)
        rc = posix_spawnp(pid, argv[0], &fa, &at, argv, environ);
    posix_spawnattr_destroy(&at);
    posix_spawn_file_actions_destroy(&fa);
    return rc;
}

int
fr_exec(const char *command, const char *msg, size_t len, int timeout_ms,
        atomic_bool *abandon, char *err, size_t errsz)
{
    char buf[1024], *argv[FR_ARGS_MAX];
    long long deadline = clk_millis() + timeout_ms;
    int fds[2], rc, status = 0;
    bool wrote, in_time;
    pid_t pid;

    if (fr_words(command, buf, sizeof(buf), argv) == 0) {
        snprintf(err, errsz, "ReportCommand is empty or too long");
        return -1;
    }
    if (pipe2(fds, O_CLOEXEC) != 0) {
        snprintf(err, errsz, "pipe: %s", strerror(errno));
        return -1;
    }
    if ((rc = fr_spawn(argv, fds[0], &pid)) != 0) {
        snprintf(err, errsz, "%s: %s", argv[0], strerror(rc));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    close(fds[0]);
    fcntl(fds[1], F_SETFL, O_NONBLOCK);
    wrote = fr_feed(fds[1], msg, len, deadline, abandon);
    close(fds[1]);
    in_time = fr_reap(pid, deadline, abandon, &status);
    if (!in_time && abandon != NULL && atomic_load(abandon))
        snprintf(err, errsz, "%s killed: failure reports stopping", argv[0]);
    else if (!in_time)
        snprintf(err, errsz, "%s killed after %d ms", argv[0], timeout_ms);
    else if (WIFSIGNALED(status))
        snprintf(err, errsz, "%s killed by signal %d", argv[0],
                 WTERMSIG(status));
    else if (WEXITSTATUS(status) != 0)
        snprintf(err, errsz, "%s exited with status %d%s", argv[0],
                 WEXITSTATUS(status),
                 WEXITSTATUS(status) == 127 ? " (not found?)" : "");
    else if (!wrote)
        snprintf(err, errsz, "%s did not read the whole report", argv[0]);
    return in_time && WIFEXITED(status) && WEXITSTATUS(status) == 0 &&
           wrote ? 0 : -1;
}
