/*
 * mail.c: build a report's mail (mail.h) and hand it to ReportCommand.
 * The command runs through fork and execvp with its words split here, so
 * no shell sees a domain or an address; the message goes down a pipe.
 */
#include <config.h>
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>
#include "report/mail.h"

#define MAIL_ARGS_MAX 32

void
mail_filename(const struct mail_report *m, char *out, size_t outsz)
{
    snprintf(out, outsz, "%s!%s!%lld!%lld!%s.xml.gz", m->submitter,
             m->domain, m->begin, m->end, m->report_id);
}

bool
mail_gzip(const void *data, size_t len, struct rbuf *out)
{
    z_stream z;
    unsigned char chunk[16384];
    int st;

    memset(&z, 0, sizeof(z));
    /* 15 + 16: a gzip header (no name, no time: the same bytes each run) */
    if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8,
                     Z_DEFAULT_STRATEGY) != Z_OK)
        return false;
    z.next_in = (unsigned char *)(uintptr_t)data;
    z.avail_in = (uInt)len;
    do {
        z.next_out = chunk;
        z.avail_out = sizeof(chunk);
        st = deflate(&z, Z_FINISH);
        if (st == Z_STREAM_ERROR)
            break;
        rb_add(out, chunk, sizeof(chunk) - z.avail_out);
    } while (st != Z_STREAM_END);
    deflateEnd(&z);
    return st == Z_STREAM_END && !out->oom;
}

/* Base64 in lines of 76 (RFC 2045 6.8). */
static void
mail_base64(struct rbuf *b, const unsigned char *p, size_t len)
{
    static const char tab[] =
        "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    char line[80];
    size_t n = 0;

    for (size_t i = 0; i < len; i += 3) {
        unsigned v = (unsigned)p[i] << 16;
        if (i + 1 < len)
            v |= (unsigned)p[i + 1] << 8;
        if (i + 2 < len)
            v |= p[i + 2];
        line[n++] = tab[(v >> 18) & 63];
        line[n++] = tab[(v >> 12) & 63];
        line[n++] = i + 1 < len ? tab[(v >> 6) & 63] : '=';
        line[n++] = i + 2 < len ? tab[v & 63] : '=';
        if (n == 76 || i + 3 >= len) {
            line[n++] = '\r';
            line[n++] = '\n';
            rb_add(b, line, n);
            n = 0;
        }
    }
}

static void
mail_headers(const struct mail_report *m, const char *boundary,
             struct rbuf *b)
{
    char date[64];
    time_t t = (time_t)m->now;
    struct tm tm;

    gmtime_r(&t, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    rb_printf(b, "From: %s\r\nTo: %s\r\nDate: %s\r\n", m->from, m->to,
              date);
    /* RFC 9990 2.5.1: these words, this case */
    rb_printf(b, "Subject: Report Domain: %s Submitter: %s Report-ID: <%s>\r\n",
              m->domain, m->submitter, m->report_id);
    rb_printf(b, "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n"
              "Auto-Submitted: auto-generated\r\n"
              "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n",
              m->report_id, m->submitter, boundary);
}

bool
mail_build(const struct mail_report *m, struct rbuf *out)
{
    char name[1024], boundary[96];

    mail_filename(m, name, sizeof(name));
    snprintf(boundary, sizeof(boundary), "=_dmarc_report_%s",
             m->report_id);
    mail_headers(m, boundary, out);
    rb_printf(out, "This is a MIME message.\r\n\r\n--%s\r\n"
              "Content-Type: text/plain; charset=us-ascii\r\n\r\n"
              "This is an aggregate DMARC report (RFC 9990) for %s,\r\n"
              "from %lld to %lld (Unix time, UTC), sent by %s.\r\n\r\n",
              boundary, m->domain, m->begin, m->end, m->submitter);
    rb_printf(out, "--%s\r\nContent-Type: application/gzip; name=\"%s\"\r\n"
              "Content-Transfer-Encoding: base64\r\n"
              "Content-Disposition: attachment; filename=\"%s\"\r\n\r\n",
              boundary, name, name);
    mail_base64(out, (const unsigned char *)m->gz, m->gz_len);
    rb_printf(out, "\r\n--%s--\r\n", boundary);
    return !out->oom;
}

/* Split command into argv (in buf); the number of words, 0 when none or
   too many. */
static size_t
mail_words(const char *command, char *buf, size_t bufsz, char **argv)
{
    size_t n = 0;
    char *save = NULL, *w;

    snprintf(buf, bufsz, "%s", command);
    for (w = strtok_r(buf, " \t", &save); w != NULL;
         w = strtok_r(NULL, " \t", &save)) {
        if (n + 1 == MAIL_ARGS_MAX)
            return 0;
        argv[n++] = w;
    }
    argv[n] = NULL;
    return n;
}

/* Write all of msg to fd; false on a write error (EPIPE: it exited). */
static bool
mail_write_all(int fd, const struct rbuf *msg)
{
    size_t off = 0;

    while (off < msg->len) {
        ssize_t n = write(fd, msg->p + off, msg->len - off);
        if (n < 0 && errno == EINTR)
            continue;
        if (n <= 0)
            return false;
        off += (size_t)n;
    }
    return true;
}

int
mail_send(const char *command, const struct rbuf *msg, char *err,
          size_t errsz)
{
    char buf[1024], *argv[MAIL_ARGS_MAX];
    int fds[2], status;
    pid_t pid;
    bool wrote;
    void (*old)(int);

    if (mail_words(command, buf, sizeof(buf), argv) == 0) {
        snprintf(err, errsz, "ReportCommand is empty or has too many words");
        return -1;
    }
    if (pipe(fds) != 0) {
        snprintf(err, errsz, "pipe: %s", strerror(errno));
        return -1;
    }
    if ((pid = fork()) < 0) {
        snprintf(err, errsz, "fork: %s", strerror(errno));
        close(fds[0]);
        close(fds[1]);
        return -1;
    }
    if (pid == 0) {
        dup2(fds[0], STDIN_FILENO);
        close(fds[0]);
        close(fds[1]);
        execvp(argv[0], argv);
        _exit(127);
    }
    close(fds[0]);
    old = signal(SIGPIPE, SIG_IGN);
    wrote = mail_write_all(fds[1], msg);
    close(fds[1]);
    signal(SIGPIPE, old);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        ;
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && wrote)
        return 0;
    if (WIFEXITED(status))
        snprintf(err, errsz, "%s exited with status %d%s", argv[0],
                 WEXITSTATUS(status),
                 WEXITSTATUS(status) == 127 ? " (not found?)" : "");
    else
        snprintf(err, errsz, "%s was killed by signal %d", argv[0],
                 WIFSIGNALED(status) ? WTERMSIG(status) : 0);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        snprintf(err, errsz, "%s did not read the whole message", argv[0]);
    return -1;
}
