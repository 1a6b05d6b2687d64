/*
 * miltc.c: a milter protocol (version 6) client that plays the MTA side,
 * the way Postfix does with milter_protocol = 6, so that filter tests need
 * no MTA.  It also drives many connections at once as a load generator.
 *
 * The protocol constants are defined here rather than taken from libmilter's
 * headers: this program is the other end of the wire and must build without
 * libmilter.  Layers, bottom up: timed socket I/O; packets (32-bit length,
 * command byte, data); negotiation and macros; one function per SMTP stage;
 * a message; a connection; single and load modes.
 */
#include <config.h>

#ifndef _POSIX_C_SOURCE
#define _POSIX_C_SOURCE 200809L
#endif

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

/* Commands, MTA to filter. */
#define SMFIC_ABORT     'A'
#define SMFIC_BODY      'B'
#define SMFIC_CONNECT   'C'
#define SMFIC_MACRO     'D'
#define SMFIC_BODYEOB   'E'
#define SMFIC_HELO      'H'
#define SMFIC_HEADER    'L'
#define SMFIC_MAIL      'M'
#define SMFIC_EOH       'N'
#define SMFIC_OPTNEG    'O'
#define SMFIC_QUIT      'Q'
#define SMFIC_RCPT      'R'
#define SMFIC_DATA      'T'

/* Replies and modification requests, filter to MTA. */
#define SMFIR_ADDRCPT     '+'
#define SMFIR_DELRCPT     '-'
#define SMFIR_ADDRCPT_PAR '2'
#define SMFIR_SHUTDOWN    '4'
#define SMFIR_ACCEPT      'a'
#define SMFIR_REPLBODY    'b'
#define SMFIR_CONTINUE    'c'
#define SMFIR_DISCARD     'd'
#define SMFIR_CHGFROM     'e'
#define SMFIR_CONN_FAIL   'f'
#define SMFIR_ADDHEADER   'h'
#define SMFIR_INSHEADER   'i'
#define SMFIR_CHGHEADER   'm'
#define SMFIR_PROGRESS    'p'
#define SMFIR_QUARANTINE  'q'
#define SMFIR_REJECT      'r'
#define SMFIR_SKIP        's'
#define SMFIR_TEMPFAIL    't'
#define SMFIR_REPLYCODE   'y'

/* Actions the filter may take at end of message. */
#define SMFIF_ADDHDRS     0x001u
#define SMFIF_CHGBODY     0x002u
#define SMFIF_ADDRCPT     0x004u
#define SMFIF_DELRCPT     0x008u
#define SMFIF_CHGHDRS     0x010u
#define SMFIF_QUARANTINE  0x020u
#define SMFIF_CHGFROM     0x040u
#define SMFIF_ADDRCPT_PAR 0x080u
#define SMFIF_SETSYMLIST  0x100u
#define MC_ALL_ACTIONS    0x1FFu

/* Protocol steps: NO* = don't send it, NR_* = the filter won't reply. */
#define SMFIP_NOCONNECT   0x000001u
#define SMFIP_NOHELO      0x000002u
#define SMFIP_NOMAIL      0x000004u
#define SMFIP_NORCPT      0x000008u
#define SMFIP_NOBODY      0x000010u
#define SMFIP_NOHDRS      0x000020u
#define SMFIP_NOEOH       0x000040u
#define SMFIP_NR_HDR      0x000080u
#define SMFIP_NOUNKNOWN   0x000100u
#define SMFIP_NODATA      0x000200u
#define SMFIP_SKIP        0x000400u
#define SMFIP_RCPT_REJ    0x000800u
#define SMFIP_NR_CONN     0x001000u
#define SMFIP_NR_HELO     0x002000u
#define SMFIP_NR_MAIL     0x004000u
#define SMFIP_NR_RCPT     0x008000u
#define SMFIP_NR_DATA     0x010000u
#define SMFIP_NR_UNKN     0x020000u
#define SMFIP_NR_EOH      0x040000u
#define SMFIP_NR_BODY     0x080000u
#define SMFIP_HDR_LEADSPC 0x100000u
#define MC_ALL_PROTO      0x1FFFFFu

#define SMFIA_UNKNOWN   'U'
#define SMFIA_INET      '4'
#define SMFIA_INET6     '6'

#define MC_PROTO_VERSION 6
#define MC_CHUNK         65535                  /* body chunk, as Postfix */
#define MC_MAX_PKT       (16u * 1024 * 1024)    /* largest packet accepted */
#define MC_MAX_MSG       (64u * 1024 * 1024)    /* largest message file */
#define MC_CLIENT_PORT   12345
#define MC_MAX_CONC      1024
#define MC_MAX_LOAD_ERRS 10                     /* error lines in load mode */

/* Macro classes, numbered as in the negotiation's symbol lists (SMFIM_*). */
enum mc_stage {
    MC_ST_CONNECT, MC_ST_HELO, MC_ST_MAIL, MC_ST_RCPT, MC_ST_DATA,
    MC_ST_EOM, MC_ST_EOH, MC_ST__COUNT
};
static const char *const mc_stage_names[MC_ST__COUNT] = {
    "connect", "helo", "mail", "rcpt", "data", "eom", "eoh"
};
static const char mc_stage_cmds[MC_ST__COUNT] = {
    SMFIC_CONNECT, SMFIC_HELO, SMFIC_MAIL, SMFIC_RCPT, SMFIC_DATA,
    SMFIC_BODYEOB, SMFIC_EOH
};

/* Message verdicts, in the order of the LOAD summary's counters. */
enum mc_result {
    MC_R_ACCEPT, MC_R_CONTINUE, MC_R_REJECT, MC_R_REPLYCODE, MC_R_TEMPFAIL,
    MC_R_DISCARD, MC_R__COUNT
};
static const char *const mc_result_names[MC_R__COUNT] = {
    "accept", "continue", "reject", "replycode", "tempfail", "discard"
};

struct mc_macro {
    enum mc_stage stage;
    char *name;
    char *value;
};

struct mc_header {
    char *name;
    char *value;            /* after the colon; folds kept as "\n" + WSP */
};

struct mc_msg {
    struct mc_header *hdrs;
    size_t nhdrs;
    char *body;             /* CRLF line endings, as Postfix sends it */
    size_t body_len;
    char *sender;           /* from a leading Return-Path:, or NULL */
};

struct mc_opts {
    const char *socket;
    int timeout;                    /* seconds, per packet */
    char family;                    /* SMFIA_* */
    const char *client_addr;
    const char *client_name;
    const char *helo;               /* "" = no HELO stage */
    char *sender;                   /* with angle brackets */
    bool sender_set;                /* -f given: it beats Return-Path: */
    bool show_optneg;               /* -v: print what the filter asked for */
    char **rcpts;                   /* with angle brackets */
    size_t nrcpts;
    struct mc_macro *macros;
    size_t nmacros;
    unsigned long repeat;           /* messages per connection */
    const char *wait_file;          /* -w: between messages, wait for it */
    unsigned long load_n;           /* 0 = single mode */
    unsigned long load_c;
    struct mc_msg *msgs;            /* the corpus, sent round-robin */
    size_t nmsgs;
};

struct mc_buf {
    unsigned char *p;
    size_t len;
    size_t cap;
};

/* One connection to the filter; nothing here is shared between threads. */
struct mc_sess {
    const struct mc_opts *o;
    FILE *out;                      /* NULL: count verdicts only */
    int fd;
    uint32_t version;
    uint32_t actions;               /* SMFIF_* the filter asked for */
    uint32_t pflags;                /* SMFIP_* the filter asked for */
    char *symlist[MC_ST__COUNT];    /* macro names the filter wants */
    struct mc_buf wbuf;             /* event packet being built */
    struct mc_buf mbuf;             /* macro packet being built */
    unsigned char *rbuf;
    size_t rcap;
    int skip_cmd;                   /* events of this type are skipped */
    size_t replbody;                /* bytes of replacement body received */
    char *reply_text;               /* last SMFIR_REPLYCODE text */
    const char *what;               /* for error messages */
    unsigned long first;            /* corpus index of the first message */
    double *lat;                    /* ms from MAIL to the verdict */
    size_t nlat;
    unsigned long results[MC_R__COUNT];
    char err[512];
};

struct mc_kv {
    const char *name;
    const char *value;
};

/* ---- small utilities ---- */

static void *
mc_xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);

    if (q == NULL) {
        fputs("miltc: out of memory\n", stderr);
        exit(3);
    }
    return q;
}

static char *
mc_xstrdup(const char *s)
{
    size_t n = strlen(s) + 1;

    return memcpy(mc_xrealloc(NULL, n), s, n);
}

static int
mc_fail(struct mc_sess *s, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(s->err, sizeof(s->err), fmt, ap);
    va_end(ap);
    return -1;
}

/* Filter text goes on one output line: control bytes are escaped. */
static void
mc_put_esc(FILE *f, const char *str)
{
    for (const unsigned char *p = (const unsigned char *)str; *p; p++) {
        if (*p == '\n')
            fputs("\\n", f);
        else if (*p == '\r')
            fputs("\\r", f);
        else if ((*p < 0x20 && *p != '\t') || *p == 0x7f)
            fprintf(f, "\\x%02x", *p);
        else
            putc(*p, f);
    }
}

static bool
mc_parse_ulong(const char *str, unsigned long min, unsigned long max,
               unsigned long *out)
{
    char *end;
    unsigned long v;

    if (str[0] < '0' || str[0] > '9')
        return false;
    errno = 0;
    v = strtoul(str, &end, 10);
    if (errno != 0 || *end != '\0' || v < min || v > max)
        return false;
    *out = v;
    return true;
}

/* ---- buffers and packet building ---- */

static void
mc_buf_add(struct mc_buf *b, const void *data, size_t n)
{
    if (b->cap - b->len < n) {
        size_t cap = b->cap ? b->cap : 256;

        while (cap - b->len < n)
            cap *= 2;
        b->p = mc_xrealloc(b->p, cap);
        b->cap = cap;
    }
    if (n > 0)
        memcpy(b->p + b->len, data, n);
    b->len += n;
}

static void
mc_buf_add_str(struct mc_buf *b, const char *str)
{
    mc_buf_add(b, str, strlen(str) + 1);
}

static void
mc_buf_add_u8(struct mc_buf *b, int c)
{
    unsigned char ch = (unsigned char)c;

    mc_buf_add(b, &ch, 1);
}

static void
mc_buf_add_u16(struct mc_buf *b, uint16_t v)
{
    uint16_t n = htons(v);

    mc_buf_add(b, &n, 2);
}

static void
mc_buf_add_u32(struct mc_buf *b, uint32_t v)
{
    uint32_t n = htonl(v);

    mc_buf_add(b, &n, 4);
}

/* Room for the length is kept at the front and filled in at send time. */
static void
mc_pkt_begin(struct mc_buf *b, int cmd)
{
    b->len = 0;
    mc_buf_add_u32(b, 0);
    mc_buf_add_u8(b, cmd);
}

/* ---- timed socket I/O ---- */

static void
mc_deadline(struct timespec *d, int seconds)
{
    clock_gettime(CLOCK_MONOTONIC, d);
    d->tv_sec += seconds;
}

static int
mc_ms_left(const struct timespec *d)
{
    struct timespec now;
    long long ms;

    clock_gettime(CLOCK_MONOTONIC, &now);
    ms = (long long)(d->tv_sec - now.tv_sec) * 1000
        + (d->tv_nsec - now.tv_nsec) / 1000000;
    if (ms < 0)
        return 0;
    return ms > INT_MAX ? INT_MAX : (int)ms;
}

static int
mc_wait(struct mc_sess *s, short events, const struct timespec *d)
{
    for (;;) {
        int ms = mc_ms_left(d);
        struct pollfd pfd = { .fd = s->fd, .events = events };
        int n;

        if (ms == 0)
            return mc_fail(s, "%s: timeout after %d s", s->what,
                           s->o->timeout);
        n = poll(&pfd, 1, ms);
        if (n > 0)
            return 0;
        if (n < 0 && errno != EINTR)
            return mc_fail(s, "%s: poll: %s", s->what, strerror(errno));
    }
}

static int
mc_write_all(struct mc_sess *s, const unsigned char *p, size_t n)
{
    struct timespec d;

    mc_deadline(&d, s->o->timeout);
    while (n > 0) {
        ssize_t w = send(s->fd, p, n, MSG_NOSIGNAL);

        if (w > 0) {
            p += w;
            n -= (size_t)w;
        } else if (w < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
            if (mc_wait(s, POLLOUT, &d) < 0)
                return -1;
        } else if (w < 0 && errno != EINTR) {
            return mc_fail(s, "%s: write: %s", s->what, strerror(errno));
        }
    }
    return 0;
}

static int
mc_read_all(struct mc_sess *s, unsigned char *p, size_t n,
            const struct timespec *d)
{
    while (n > 0) {
        ssize_t r = recv(s->fd, p, n, 0);

        if (r > 0) {
            p += r;
            n -= (size_t)r;
        } else if (r == 0) {
            return mc_fail(s, "%s: connection closed by the filter", s->what);
        } else if (errno == EAGAIN || errno == EWOULDBLOCK) {
            if (mc_wait(s, POLLIN, d) < 0)
                return -1;
        } else if (errno != EINTR) {
            return mc_fail(s, "%s: read: %s", s->what, strerror(errno));
        }
    }
    return 0;
}

static void
mc_pkt_finish(struct mc_buf *b)
{
    uint32_t n = htonl((uint32_t)(b->len - 4));

    memcpy(b->p, &n, 4);
}

static int
mc_pkt_send(struct mc_sess *s, struct mc_buf *b)
{
    mc_pkt_finish(b);
    return mc_write_all(s, b->p, b->len);
}

/* The data stays valid until the next read on this session. */
static int
mc_pkt_read(struct mc_sess *s, int *cmd, const unsigned char **data,
            size_t *len)
{
    struct timespec d;
    unsigned char hdr[4];
    uint32_t n;

    mc_deadline(&d, s->o->timeout);
    if (mc_read_all(s, hdr, 4, &d) < 0)
        return -1;
    memcpy(&n, hdr, 4);
    n = ntohl(n);
    if (n < 1 || n > MC_MAX_PKT)
        return mc_fail(s, "%s: bad packet length %lu", s->what,
                       (unsigned long)n);
    if (s->rcap < n) {
        s->rbuf = mc_xrealloc(s->rbuf, n);
        s->rcap = n;
    }
    if (mc_read_all(s, s->rbuf, n, &d) < 0)
        return -1;
    *cmd = s->rbuf[0];
    *data = s->rbuf + 1;
    *len = n - 1;
    return 0;
}

/* Takes one NUL-terminated string off the front of packet data. */
static int
mc_take_str(const unsigned char **p, size_t *len, const char **out)
{
    const unsigned char *nul = memchr(*p, '\0', *len);

    if (nul == NULL)
        return -1;
    *out = (const char *)*p;
    *len -= (size_t)(nul - *p) + 1;
    *p = nul + 1;
    return 0;
}

static int
mc_take_u32(const unsigned char **p, size_t *len, uint32_t *out)
{
    uint32_t v;

    if (*len < 4)
        return -1;
    memcpy(&v, *p, 4);
    *out = ntohl(v);
    *p += 4;
    *len -= 4;
    return 0;
}

/* ---- connection and negotiation ---- */

static int
mc_connect_addr(struct mc_sess *s, int family, const struct sockaddr *sa,
                socklen_t salen)
{
    struct timeval tv = { .tv_sec = s->o->timeout };
    int fd = socket(family, SOCK_STREAM, 0);

    if (fd < 0)
        return mc_fail(s, "socket: %s", strerror(errno));
    /*
     * A blocking connect bounded by SO_SNDTIMEO: a non-blocking connect to
     * a full AF_UNIX backlog fails with EAGAIN instead of waiting, which
     * would turn load-mode bursts into spurious errors.
     */
    if (setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv)) < 0
        || connect(fd, sa, salen) < 0) {
        int e = errno;

        close(fd);
        return mc_fail(s, "connect to %s: %s", s->o->socket,
                       e == EINPROGRESS || e == EAGAIN
                       ? "timeout" : strerror(e));
    }
    /* An ABORT is not answered: the next command must not wait behind it. */
    if (family != AF_UNIX) {
        int one = 1;

        (void)setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
    }
    if (fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK) < 0) {
        int e = errno;

        close(fd);
        return mc_fail(s, "fcntl: %s", strerror(e));
    }
    s->fd = fd;
    return 0;
}

static int
mc_open(struct mc_sess *s)
{
    const char *spec = s->o->socket;
    const char *path = NULL;
    int family = AF_UNSPEC;

    s->what = "connect";
    if (strncmp(spec, "unix:", 5) == 0)
        path = spec + 5;
    else if (strncmp(spec, "local:", 6) == 0)
        path = spec + 6;
    else if (spec[0] == '/')
        path = spec;
    else if (strncmp(spec, "inet:", 5) == 0)
        family = AF_INET;
    else if (strncmp(spec, "inet6:", 6) == 0)
        family = AF_INET6;
    else
        return mc_fail(s, "unsupported socket %s", spec);

    if (path != NULL) {
        struct sockaddr_un sun = { .sun_family = AF_UNIX };

        if (strlen(path) >= sizeof(sun.sun_path) || path[0] == '\0')
            return mc_fail(s, "bad socket path %s", spec);
        memcpy(sun.sun_path, path, strlen(path) + 1);
        return mc_connect_addr(s, AF_UNIX, (struct sockaddr *)&sun,
                               sizeof(sun));
    }

    /* inet:port@host, host defaulting to the loopback address */
    char port[16], host[256];
    const char *rest = strchr(spec, ':') + 1;
    const char *at = strchr(rest, '@');
    size_t plen = at ? (size_t)(at - rest) : strlen(rest);
    const char *h = at ? at + 1 : (family == AF_INET6 ? "::1" : "127.0.0.1");
    struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_STREAM };
    struct addrinfo *res, *ai;
    int rc;

    if (plen == 0 || plen >= sizeof(port) || strlen(h) >= sizeof(host)
        || h[0] == '\0')
        return mc_fail(s, "bad socket %s (want inet:port@host)", spec);
    memcpy(port, rest, plen);
    port[plen] = '\0';
    snprintf(host, sizeof(host), "%s", h);
    size_t hlen = strlen(host);

    if (hlen >= 2 && host[0] == '[' && host[hlen - 1] == ']') {
        memmove(host, host + 1, hlen - 2);
        host[hlen - 2] = '\0';
    }
    if ((rc = getaddrinfo(host, port, &hints, &res)) != 0)
        return mc_fail(s, "%s: %s", spec, gai_strerror(rc));
    rc = -1;
    for (ai = res; ai != NULL && rc < 0; ai = ai->ai_next)
        rc = mc_connect_addr(s, ai->ai_family, ai->ai_addr, ai->ai_addrlen);
    freeaddrinfo(res);
    return rc;
}

static int
mc_negotiate(struct mc_sess *s)
{
    const unsigned char *p = NULL;
    size_t len = 0;
    int cmd = 0;

    s->what = "option negotiation";
    mc_pkt_begin(&s->wbuf, SMFIC_OPTNEG);
    mc_buf_add_u32(&s->wbuf, MC_PROTO_VERSION);
    mc_buf_add_u32(&s->wbuf, MC_ALL_ACTIONS);
    mc_buf_add_u32(&s->wbuf, MC_ALL_PROTO);
    if (mc_pkt_send(s, &s->wbuf) < 0 || mc_pkt_read(s, &cmd, &p, &len) < 0)
        return -1;
    if (cmd != SMFIC_OPTNEG)
        return mc_fail(s, "option negotiation: unexpected reply '%c'", cmd);
    if (mc_take_u32(&p, &len, &s->version) < 0
        || mc_take_u32(&p, &len, &s->actions) < 0
        || mc_take_u32(&p, &len, &s->pflags) < 0)
        return mc_fail(s, "option negotiation: short reply");
    if (s->version < 2 || s->version > MC_PROTO_VERSION)
        return mc_fail(s, "option negotiation: unsupported version %lu",
                       (unsigned long)s->version);
    if ((s->actions & ~MC_ALL_ACTIONS) != 0)
        return mc_fail(s, "option negotiation: actions 0x%lx not offered",
                       (unsigned long)s->actions);
    /* Bits beyond ours are libmilter-internal (buffer sizes): drop them. */
    s->pflags &= MC_ALL_PROTO;

    /* Version 6 appends lists of the macros the filter wants per stage. */
    while (len > 0) {
        uint32_t idx;
        const char *list;

        if (mc_take_u32(&p, &len, &idx) < 0 || mc_take_str(&p, &len, &list) < 0)
            return mc_fail(s, "option negotiation: malformed macro list");
        if (idx < MC_ST__COUNT) {
            free(s->symlist[idx]);
            s->symlist[idx] = mc_xstrdup(list);
        }
    }
    if (s->out != NULL && s->o->show_optneg)
        fprintf(s->out, "OPTNEG version=%lu actions=0x%lx protocol=0x%lx\n",
                (unsigned long)s->version, (unsigned long)s->actions,
                (unsigned long)s->pflags);
    return 0;
}

/* ---- macros ---- */

/* "{name}" and "name" are the same macro. */
static bool
mc_macro_eq(const char *a, size_t alen, const char *b)
{
    size_t blen = strlen(b);

    if (alen >= 2 && a[0] == '{' && a[alen - 1] == '}') {
        a++;
        alen -= 2;
    }
    if (blen >= 2 && b[0] == '{' && b[blen - 1] == '}') {
        b++;
        blen -= 2;
    }
    return alen == blen && memcmp(a, b, alen) == 0;
}

static bool
mc_macro_wanted(const struct mc_sess *s, enum mc_stage st, const char *name)
{
    const char *p = s->symlist[st];

    if (p == NULL)
        return true;
    while (*p) {
        size_t n = strcspn(p, " ,\t");

        if (n > 0 && mc_macro_eq(p, n, name))
            return true;
        p += n;
        p += strspn(p, " ,\t");
    }
    return false;
}

static bool
mc_macro_user_has(const struct mc_opts *o, enum mc_stage st, const char *name)
{
    for (size_t i = 0; i < o->nmacros; i++)
        if (o->macros[i].stage == st
            && mc_macro_eq(o->macros[i].name, strlen(o->macros[i].name), name))
            return true;
    return false;
}

/*
 * Builds the stage's macro packet in s->mbuf; returns how many macros it
 * holds.  Like Postfix, the macros of a stage are sent even when the filter
 * asked not to get the stage itself; only the filter's own wish list
 * restricts them.  Extra pairs carry per-call values ({rcpt_addr}).
 */
static size_t
mc_build_macros(struct mc_sess *s, enum mc_stage st,
               const struct mc_kv *extra, size_t nextra)
{
    const struct mc_opts *o = s->o;
    size_t count = 0;

    mc_pkt_begin(&s->mbuf, SMFIC_MACRO);
    mc_buf_add_u8(&s->mbuf, mc_stage_cmds[st]);
    for (size_t i = 0; i < o->nmacros; i++) {
        const struct mc_macro *m = &o->macros[i];

        if (m->stage != st || !mc_macro_wanted(s, st, m->name))
            continue;
        mc_buf_add_str(&s->mbuf, m->name);
        mc_buf_add_str(&s->mbuf, m->value);
        count++;
    }
    for (size_t i = 0; i < nextra; i++) {
        if (mc_macro_user_has(o, st, extra[i].name)
            || !mc_macro_wanted(s, st, extra[i].name))
            continue;
        mc_buf_add_str(&s->mbuf, extra[i].name);
        mc_buf_add_str(&s->mbuf, extra[i].value);
        count++;
    }
    mc_pkt_finish(&s->mbuf);
    return count;
}

/* ---- replies ---- */

static void
mc_print_header_line(struct mc_sess *s, const char *tag, const uint32_t *idx,
                     const char *name, const char *value)
{
    fputs(tag, s->out);
    if (idx != NULL)
        fprintf(s->out, " %lu", (unsigned long)*idx);
    putc(' ', s->out);
    mc_put_esc(s->out, name);
    putc(':', s->out);
    if (value[0] != '\0') {
        /* With HDR_LEADSPC the filter supplies its own leading space. */
        if ((s->pflags & SMFIP_HDR_LEADSPC) == 0)
            putc(' ', s->out);
        mc_put_esc(s->out, value);
    }
    putc('\n', s->out);
}

static void
mc_print_addr_line(struct mc_sess *s, const char *tag, const char *addr,
                   const char *args)
{
    fprintf(s->out, "%s ", tag);
    mc_put_esc(s->out, addr);
    if (args != NULL && args[0] != '\0') {
        putc(' ', s->out);
        mc_put_esc(s->out, args);
    }
    putc('\n', s->out);
}

static uint32_t
mc_action_flag(int code)
{
    switch (code) {
    case SMFIR_ADDHEADER:
    case SMFIR_INSHEADER:
        return SMFIF_ADDHDRS;
    case SMFIR_CHGHEADER:
        return SMFIF_CHGHDRS;
    case SMFIR_QUARANTINE:
        return SMFIF_QUARANTINE;
    case SMFIR_ADDRCPT:
        return SMFIF_ADDRCPT;
    case SMFIR_ADDRCPT_PAR:
        return SMFIF_ADDRCPT_PAR;
    case SMFIR_DELRCPT:
        return SMFIF_DELRCPT;
    case SMFIR_CHGFROM:
        return SMFIF_CHGFROM;
    case SMFIR_REPLBODY:
        return SMFIF_CHGBODY;
    default:
        return 0;
    }
}

/* A modification request at end of message: check it, then report it. */
static int
mc_modification(struct mc_sess *s, int code, const unsigned char *p,
                size_t len)
{
    uint32_t flag = mc_action_flag(code);
    uint32_t idx = 0;
    const char *a = NULL, *b = NULL;
    int bad = 0;

    if ((s->actions & flag) == 0)
        return mc_fail(s, "%s: request '%c' without negotiating action 0x%lx",
                       s->what, code, (unsigned long)flag);
    switch (code) {
    case SMFIR_REPLBODY:
        s->replbody += len;
        return 0;
    case SMFIR_INSHEADER:
    case SMFIR_CHGHEADER:
        bad |= mc_take_u32(&p, &len, &idx);
        /* FALLTHROUGH */
    case SMFIR_ADDHEADER:
        bad |= mc_take_str(&p, &len, &a);
        bad |= bad ? 0 : mc_take_str(&p, &len, &b);
        break;
    case SMFIR_ADDRCPT_PAR:
    case SMFIR_CHGFROM:
        bad |= mc_take_str(&p, &len, &a);
        if (!bad && len > 0)
            bad |= mc_take_str(&p, &len, &b);
        break;
    default:                    /* QUARANTINE, ADDRCPT, DELRCPT */
        bad |= mc_take_str(&p, &len, &a);
        break;
    }
    if (bad || len != 0)
        return mc_fail(s, "%s: malformed request '%c'", s->what, code);
    if (s->out == NULL)
        return 0;
    switch (code) {
    case SMFIR_ADDHEADER:
        mc_print_header_line(s, "ADDHEADER", NULL, a, b);
        break;
    case SMFIR_INSHEADER:
        mc_print_header_line(s, "INSHEADER", &idx, a, b);
        break;
    case SMFIR_CHGHEADER:
        mc_print_header_line(s, "CHGHEADER", &idx, a, b);
        break;
    case SMFIR_QUARANTINE:
        mc_print_addr_line(s, "QUARANTINE", a, NULL);
        break;
    case SMFIR_ADDRCPT:
    case SMFIR_ADDRCPT_PAR:
        mc_print_addr_line(s, "ADDRCPT", a, b);
        break;
    case SMFIR_DELRCPT:
        mc_print_addr_line(s, "DELRCPT", a, NULL);
        break;
    case SMFIR_CHGFROM:
        mc_print_addr_line(s, "CHGFROM", a, b);
        break;
    }
    return 0;
}

/* Postfix's test: "4XX " / "5XX-" and so on. */
static bool
mc_replycode_ok(const char *t)
{
    return (t[0] == '4' || t[0] == '5')
        && t[1] >= '0' && t[1] <= '9' && t[2] >= '0' && t[2] <= '9'
        && (t[3] == ' ' || t[3] == '-');
}

static int
mc_read_reply(struct mc_sess *s, int cmd, int *code)
{
    for (;;) {
        const unsigned char *p = NULL;
        size_t len = 0;
        const char *text;
        int rc = 0;

        if (mc_pkt_read(s, &rc, &p, &len) < 0)
            return -1;
        switch (rc) {
        case SMFIR_PROGRESS:
            continue;
        case SMFIR_ACCEPT:
        case SMFIR_CONTINUE:
        case SMFIR_DISCARD:
        case SMFIR_REJECT:
        case SMFIR_TEMPFAIL:
        case SMFIR_SHUTDOWN:
        case SMFIR_CONN_FAIL:
        case SMFIR_SKIP:
            if (rc == SMFIR_SKIP && cmd == SMFIC_BODYEOB)
                return mc_fail(s, "%s: skip is not a final reply", s->what);
            *code = rc;
            return 0;
        case SMFIR_REPLYCODE:
            if (mc_take_str(&p, &len, &text) < 0 || len != 0
                || !mc_replycode_ok(text))
                return mc_fail(s, "%s: malformed reply code", s->what);
            free(s->reply_text);
            s->reply_text = mc_xstrdup(text);
            *code = rc;
            return 0;
        case SMFIR_ADDHEADER:
        case SMFIR_INSHEADER:
        case SMFIR_CHGHEADER:
        case SMFIR_QUARANTINE:
        case SMFIR_ADDRCPT:
        case SMFIR_ADDRCPT_PAR:
        case SMFIR_DELRCPT:
        case SMFIR_CHGFROM:
        case SMFIR_REPLBODY:
            if (cmd != SMFIC_BODYEOB)
                return mc_fail(s, "%s: request '%c' before end of message",
                               s->what, rc);
            if (mc_modification(s, rc, p, len) < 0)
                return -1;
            continue;
        default:
            return mc_fail(s, "%s: unknown reply 0x%02x", s->what, rc);
        }
    }
}

/*
 * Send the event packet built in s->wbuf, after the stage's macros, and
 * collect the reply.  An event the filter declined, or skipped, or one it
 * will not answer, yields "continue".
 */
static int
mc_event(struct mc_sess *s, int cmd, enum mc_stage macro_stage,
         uint32_t no_flag, uint32_t nr_flag,
         const struct mc_kv *extra, size_t nextra, int *code)
{
    *code = SMFIR_CONTINUE;
    if (s->skip_cmd != 0) {
        if (s->skip_cmd == cmd)
            return 0;
        s->skip_cmd = 0;
    }
    /*
     * Macros and event leave in one write, as Postfix does: two small
     * writes waiting on one reply meet Nagle and delayed ACKs over TCP.
     */
    bool send_event = (s->pflags & no_flag) == 0;
    struct mc_buf *out = &s->wbuf;

    mc_pkt_finish(&s->wbuf);
    if (macro_stage < MC_ST__COUNT
        && mc_build_macros(s, macro_stage, extra, nextra) > 0) {
        if (send_event)
            mc_buf_add(&s->mbuf, s->wbuf.p, s->wbuf.len);
        out = &s->mbuf;
    } else if (!send_event) {
        return 0;
    }
    if (mc_write_all(s, out->p, out->len) < 0)
        return -1;
    if (!send_event || (s->pflags & nr_flag) != 0)
        return 0;
    if (mc_read_reply(s, cmd, code) < 0)
        return -1;
    if (*code == SMFIR_SKIP)
        s->skip_cmd = cmd;
    return 0;
}

static enum mc_result
mc_code_result(int code)
{
    switch (code) {
    case SMFIR_ACCEPT:
        return MC_R_ACCEPT;
    case SMFIR_REJECT:
        return MC_R_REJECT;
    case SMFIR_TEMPFAIL:
    case SMFIR_SHUTDOWN:
    case SMFIR_CONN_FAIL:
        return MC_R_TEMPFAIL;
    case SMFIR_DISCARD:
        return MC_R_DISCARD;
    case SMFIR_REPLYCODE:
        return MC_R_REPLYCODE;
    default:
        return MC_R_CONTINUE;
    }
}

static const char *
mc_code_name(int code)
{
    switch (code) {
    case SMFIR_SKIP:
        return "skip";
    case SMFIR_SHUTDOWN:
        return "shutdown";
    case SMFIR_CONN_FAIL:
        return "connfail";
    default:
        return mc_result_names[mc_code_result(code)];
    }
}

/* Reports a non-continue stage reply; true when it ends the message. */
static bool
mc_stage_done(struct mc_sess *s, const char *stage, int code)
{
    if (code == SMFIR_CONTINUE)
        return false;
    if (s->out != NULL) {
        fprintf(s->out, "STAGE %s %s", stage, mc_code_name(code));
        if (code == SMFIR_REPLYCODE) {
            putc(' ', s->out);
            mc_put_esc(s->out, s->reply_text);
        }
        putc('\n', s->out);
    }
    return code != SMFIR_SKIP;
}

static void
mc_result(struct mc_sess *s, int code, const char *text)
{
    enum mc_result r = mc_code_result(code);

    s->results[r]++;
    if (s->out == NULL)
        return;
    if (s->replbody > 0)
        fprintf(s->out, "REPLBODY %zu\n", s->replbody);
    fprintf(s->out, "RESULT %s", mc_result_names[r]);
    if (r == MC_R_REPLYCODE && text != NULL) {
        putc(' ', s->out);
        mc_put_esc(s->out, text);
    }
    putc('\n', s->out);
    fflush(s->out);
}

/* ---- SMTP stages ---- */

static int
mc_stage_connect(struct mc_sess *s, int *code)
{
    const struct mc_opts *o = s->o;
    char bracketed[INET6_ADDRSTRLEN + 3];
    const char *name = o->client_name;

    s->what = "connect";
    /* Postfix's habit: an unknown client name becomes "[address]". */
    if (strcmp(name, "unknown") == 0 && o->family != SMFIA_UNKNOWN) {
        snprintf(bracketed, sizeof(bracketed), "[%s]", o->client_addr);
        name = bracketed;
    }
    mc_pkt_begin(&s->wbuf, SMFIC_CONNECT);
    mc_buf_add_str(&s->wbuf, name);
    mc_buf_add_u8(&s->wbuf, o->family);
    if (o->family != SMFIA_UNKNOWN) {
        mc_buf_add_u16(&s->wbuf, MC_CLIENT_PORT);
        mc_buf_add_str(&s->wbuf, o->client_addr);
    }
    return mc_event(s, SMFIC_CONNECT, MC_ST_CONNECT, SMFIP_NOCONNECT,
                    SMFIP_NR_CONN, NULL, 0, code);
}

static int
mc_stage_helo(struct mc_sess *s, int *code)
{
    s->what = "helo";
    mc_pkt_begin(&s->wbuf, SMFIC_HELO);
    mc_buf_add_str(&s->wbuf, s->o->helo);
    return mc_event(s, SMFIC_HELO, MC_ST_HELO, SMFIP_NOHELO, SMFIP_NR_HELO,
                    NULL, 0, code);
}

static int
mc_stage_mail(struct mc_sess *s, const struct mc_msg *m, int *code)
{
    const char *sender = s->o->sender;
    char addr[1024];
    size_t n;
    struct mc_kv extra = { "{mail_addr}", addr };

    if (!s->o->sender_set && m->sender != NULL)
        sender = m->sender;
    n = strlen(sender);
    snprintf(addr, sizeof(addr), "%.*s", (int)(n - 2), sender + 1);
    s->what = "mail";
    mc_pkt_begin(&s->wbuf, SMFIC_MAIL);
    mc_buf_add_str(&s->wbuf, sender);
    return mc_event(s, SMFIC_MAIL, MC_ST_MAIL, SMFIP_NOMAIL, SMFIP_NR_MAIL,
                    &extra, 1, code);
}

static int
mc_stage_rcpt(struct mc_sess *s, const char *rcpt, int *code)
{
    char addr[1024];
    size_t n = strlen(rcpt);
    struct mc_kv extra = { "{rcpt_addr}", addr };

    s->what = "rcpt";
    /* {rcpt_addr} is the address without its angle brackets. */
    if (n >= 2 && rcpt[0] == '<' && rcpt[n - 1] == '>')
        snprintf(addr, sizeof(addr), "%.*s", (int)(n - 2), rcpt + 1);
    else
        snprintf(addr, sizeof(addr), "%s", rcpt);
    mc_pkt_begin(&s->wbuf, SMFIC_RCPT);
    mc_buf_add_str(&s->wbuf, rcpt);
    return mc_event(s, SMFIC_RCPT, MC_ST_RCPT, SMFIP_NORCPT, SMFIP_NR_RCPT,
                    &extra, 1, code);
}

static int
mc_stage_data(struct mc_sess *s, int *code)
{
    s->what = "data";
    mc_pkt_begin(&s->wbuf, SMFIC_DATA);
    return mc_event(s, SMFIC_DATA, MC_ST_DATA, SMFIP_NODATA, SMFIP_NR_DATA,
                    NULL, 0, code);
}

static int
mc_stage_header(struct mc_sess *s, const struct mc_header *h, int *code)
{
    const char *value = h->value;

    s->what = "header";
    /* Sendmail eats one space (not a tab) after the colon, unless asked. */
    if ((s->pflags & SMFIP_HDR_LEADSPC) == 0 && value[0] == ' ')
        value++;
    mc_pkt_begin(&s->wbuf, SMFIC_HEADER);
    mc_buf_add_str(&s->wbuf, h->name);
    mc_buf_add_str(&s->wbuf, value);
    return mc_event(s, SMFIC_HEADER, MC_ST__COUNT, SMFIP_NOHDRS,
                    SMFIP_NR_HDR, NULL, 0, code);
}

static int
mc_stage_eoh(struct mc_sess *s, int *code)
{
    s->what = "eoh";
    mc_pkt_begin(&s->wbuf, SMFIC_EOH);
    return mc_event(s, SMFIC_EOH, MC_ST_EOH, SMFIP_NOEOH, SMFIP_NR_EOH,
                    NULL, 0, code);
}

static int
mc_stage_body(struct mc_sess *s, const char *chunk, size_t len, int *code)
{
    s->what = "body";
    mc_pkt_begin(&s->wbuf, SMFIC_BODY);
    mc_buf_add(&s->wbuf, chunk, len);
    return mc_event(s, SMFIC_BODY, MC_ST__COUNT, SMFIP_NOBODY, SMFIP_NR_BODY,
                    NULL, 0, code);
}

static int
mc_stage_eom(struct mc_sess *s, int *code)
{
    s->what = "eom";
    mc_pkt_begin(&s->wbuf, SMFIC_BODYEOB);
    return mc_event(s, SMFIC_BODYEOB, MC_ST_EOM, 0, 0, NULL, 0, code);
}

static int
mc_send_simple(struct mc_sess *s, int cmd, const char *what)
{
    s->what = what;
    mc_pkt_begin(&s->wbuf, cmd);
    return mc_pkt_send(s, &s->wbuf);
}

/* ---- a message and a connection ---- */

/*
 * One mail transaction.  *code is the verdict; *early is set when the
 * filter ended the message before the end of the body.
 */
static int
mc_message(struct mc_sess *s, const struct mc_msg *m, int *code, bool *early)
{
    const struct mc_opts *o = s->o;
    size_t accepted = 0;
    int last = SMFIR_CONTINUE;

    s->replbody = 0;
    s->skip_cmd = 0;
    *early = true;
    if (mc_stage_mail(s, m, code) < 0)
        return -1;
    if (mc_stage_done(s, "mail", *code))
        return 0;

    /* A rejected recipient costs only that recipient, as in SMTP. */
    for (size_t i = 0; i < o->nrcpts; i++) {
        if (mc_stage_rcpt(s, o->rcpts[i], code) < 0)
            return -1;
        if (!mc_stage_done(s, "rcpt", *code) || *code == SMFIR_SKIP) {
            accepted++;
        } else if (*code == SMFIR_REJECT || *code == SMFIR_TEMPFAIL
                   || *code == SMFIR_REPLYCODE) {
            last = *code;
        } else {
            return 0;
        }
    }
    if (accepted == 0) {
        *code = last;
        return 0;
    }

    if (mc_stage_data(s, code) < 0)
        return -1;
    if (mc_stage_done(s, "data", *code))
        return 0;
    for (size_t i = 0; i < m->nhdrs; i++) {
        if (mc_stage_header(s, &m->hdrs[i], code) < 0)
            return -1;
        if (mc_stage_done(s, "header", *code))
            return 0;
    }
    if (mc_stage_eoh(s, code) < 0)
        return -1;
    if (mc_stage_done(s, "eoh", *code))
        return 0;
    for (size_t off = 0; off < m->body_len; off += MC_CHUNK) {
        size_t n = m->body_len - off < MC_CHUNK ? m->body_len - off : MC_CHUNK;

        if (mc_stage_body(s, m->body + off, n, code) < 0)
            return -1;
        if (*code == SMFIR_SKIP) {
            mc_stage_done(s, "body", *code);
            break;
        }
        if (mc_stage_done(s, "body", *code))
            return 0;
    }
    *early = false;
    if (mc_stage_eom(s, code) < 0)
        return -1;
    mc_stage_done(s, "eom", *code);
    return 0;
}

static bool
mc_code_ends_connection(int code)
{
    return code == SMFIR_SHUTDOWN || code == SMFIR_CONN_FAIL;
}

/*
 * Runs nmsg messages over one connection.  A verdict at connect or HELO
 * time applies to every message of the connection.
 */
/*
 * Tests that change the filter between two messages of one connection
 * (a reload) hold the connection open here until they are done.
 */
static int
mc_wait_for_file(const char *path, int timeout)
{
    printf("WAIT %s\n", path);
    fflush(stdout);
    for (int i = 0; i < timeout * 10; i++) {
        struct timespec ts = { 0, 100000000L };

        if (access(path, F_OK) == 0)
            return 0;
        nanosleep(&ts, NULL);
    }
    fprintf(stderr, "miltc: %s did not appear within %d s\n", path, timeout);
    return -1;
}

static int
mc_session(struct mc_sess *s, unsigned long nmsg)
{
    int conn = SMFIR_CONTINUE;
    char *conn_text = NULL;
    int rc = -1;

    if (mc_open(s) < 0)
        return -1;
    if (mc_negotiate(s) < 0)
        goto out;
    if (mc_stage_connect(s, &conn) < 0)
        goto out;
    if (!mc_stage_done(s, "connect", conn))
        conn = SMFIR_CONTINUE;
    if (conn == SMFIR_CONTINUE && s->o->helo[0] != '\0') {
        if (mc_stage_helo(s, &conn) < 0)
            goto out;
        if (!mc_stage_done(s, "helo", conn))
            conn = SMFIR_CONTINUE;
    }
    if (conn == SMFIR_REPLYCODE)
        conn_text = mc_xstrdup(s->reply_text);

    for (unsigned long i = 0; i < nmsg; i++) {
        const struct mc_opts *o = s->o;
        int code;
        bool early;
        struct timespec t0, t1;

        if (conn != SMFIR_CONTINUE) {
            mc_result(s, conn, conn_text);
            continue;
        }
        if (i > 0 && s->o->wait_file != NULL &&
            mc_wait_for_file(s->o->wait_file, s->o->timeout) < 0)
            goto out;
        clock_gettime(CLOCK_MONOTONIC, &t0);
        if (mc_message(s, &o->msgs[(s->first + i) % o->nmsgs], &code,
                       &early) < 0)
            goto out;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        if (s->lat != NULL)
            s->lat[s->nlat++] = (double)(t1.tv_sec - t0.tv_sec) * 1e3
                                + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
        mc_result(s, code, s->reply_text);
        if (mc_code_ends_connection(code)) {
            conn = code;
        } else if (early && i + 1 < nmsg) {
            /* As after an SMTP RSET: the filter forgets the message. */
            if (mc_send_simple(s, SMFIC_ABORT, "abort") < 0)
                goto out;
        }
    }
    rc = 0;
    /* The filter may already be gone after a final refusal: no error. */
    if (!mc_code_ends_connection(conn))
        (void)mc_send_simple(s, SMFIC_QUIT, "quit");
out:
    free(conn_text);
    close(s->fd);
    s->fd = -1;
    return rc;
}

static void
mc_sess_init(struct mc_sess *s, const struct mc_opts *o, FILE *out)
{
    memset(s, 0, sizeof(*s));
    s->o = o;
    s->out = out;
    s->fd = -1;
    s->what = "start";
}

static void
mc_sess_free(struct mc_sess *s)
{
    for (int i = 0; i < MC_ST__COUNT; i++)
        free(s->symlist[i]);
    free(s->wbuf.p);
    free(s->mbuf.p);
    free(s->rbuf);
    free(s->reply_text);
    free(s->lat);
    if (s->fd >= 0)
        close(s->fd);
}

/* ---- load mode ---- */

struct mc_load {
    const struct mc_opts *o;
    pthread_mutex_t lock;
    unsigned long next;             /* messages handed out so far */
    unsigned long results[MC_R__COUNT];
    unsigned long errors;           /* messages lost to failures */
    unsigned long errs_printed;
    double *lat;                    /* per-message latencies, ms */
    size_t nlat;
};

static void *
mc_load_worker(void *arg)
{
    struct mc_load *l = arg;
    const struct mc_opts *o = l->o;

    for (;;) {
        struct mc_sess s;
        unsigned long take, first, done = 0;
        int rc;

        pthread_mutex_lock(&l->lock);
        take = o->load_n - l->next;
        if (take > o->repeat)
            take = o->repeat;
        first = l->next;
        l->next += take;
        pthread_mutex_unlock(&l->lock);
        if (take == 0)
            break;

        mc_sess_init(&s, o, NULL);
        s.first = first;
        s.lat = mc_xrealloc(NULL, take * sizeof(*s.lat));
        rc = mc_session(&s, take);
        pthread_mutex_lock(&l->lock);
        memcpy(l->lat + l->nlat, s.lat, s.nlat * sizeof(*s.lat));
        l->nlat += s.nlat;
        for (int i = 0; i < MC_R__COUNT; i++) {
            l->results[i] += s.results[i];
            done += s.results[i];
        }
        if (rc < 0) {
            l->errors += take - done;
            if (l->errs_printed++ < MC_MAX_LOAD_ERRS)
                fprintf(stderr, "miltc: %s\n", s.err);
        }
        pthread_mutex_unlock(&l->lock);
        mc_sess_free(&s);
    }
    return NULL;
}

static int
mc_cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;

    return (x > y) - (x < y);
}

/* The nearest-rank percentile of sorted values, in ms. */
static double
mc_percentile(const double *v, size_t n, double pct)
{
    size_t rank;

    if (n == 0)
        return 0.0;
    rank = (size_t)(pct / 100.0 * (double)n + 0.999999);
    if (rank < 1)
        rank = 1;
    return v[(rank > n ? n : rank) - 1];
}

static int
mc_load(const struct mc_opts *o)
{
    struct mc_load l = { .o = o };
    pthread_t *tids = mc_xrealloc(NULL, o->load_c * sizeof(*tids));
    unsigned long started = 0, done = 0;
    struct timespec t0, t1;
    double secs;

    if (pthread_mutex_init(&l.lock, NULL) != 0) {
        fputs("miltc: pthread_mutex_init failed\n", stderr);
        free(tids);
        return 3;
    }
    l.lat = mc_xrealloc(NULL, o->load_n * sizeof(*l.lat));
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (; started < o->load_c; started++) {
        int e = pthread_create(&tids[started], NULL, mc_load_worker, &l);

        if (e != 0) {
            fprintf(stderr, "miltc: pthread_create: %s\n", strerror(e));
            break;
        }
    }
    for (unsigned long i = 0; i < started; i++)
        pthread_join(tids[i], NULL);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    free(tids);
    pthread_mutex_destroy(&l.lock);
    if (started == 0) {
        free(l.lat);
        return 3;
    }

    for (int i = 0; i < MC_R__COUNT; i++)
        done += l.results[i];
    secs = (double)(t1.tv_sec - t0.tv_sec) + (t1.tv_nsec - t0.tv_nsec) / 1e9;
    /* The latencies go before "results:": scripts read errors= at the end. */
    qsort(l.lat, l.nlat, sizeof(*l.lat), mc_cmp_double);
    printf("LOAD messages=%lu seconds=%.3f rate=%.1f", done, secs,
           secs > 0 ? (double)done / secs : 0.0);
    printf(" p50_ms=%.3f p90_ms=%.3f p99_ms=%.3f max_ms=%.3f results:",
           mc_percentile(l.lat, l.nlat, 50), mc_percentile(l.lat, l.nlat, 90),
           mc_percentile(l.lat, l.nlat, 99),
           l.nlat > 0 ? l.lat[l.nlat - 1] : 0.0);
    free(l.lat);
    for (int i = 0; i < MC_R__COUNT; i++)
        printf(" %s=%lu", mc_result_names[i], l.results[i]);
    printf(" errors=%lu\n", l.errors);
    fflush(stdout);
    return l.errors > 0 || done != o->load_n ? 3 : 0;
}

/* ---- the message file ---- */

/* The length of the field name when the line starts a header, else 0. */
static size_t
mc_header_name_len(const char *line, size_t len)
{
    size_t n = 0, i;

    while (n < len && line[n] > ' ' && line[n] < 0x7f && line[n] != ':')
        n++;
    for (i = n; i < len && (line[i] == ' ' || line[i] == '\t'); i++)
        ;
    return n > 0 && i < len && line[i] == ':' ? n : 0;
}

static char *mc_bracket(const char *addr);

static char *
mc_strndup(const char *p, size_t n)
{
    char *s = mc_xrealloc(NULL, n + 1);

    memcpy(s, p, n);
    s[n] = '\0';
    return s;
}

/*
 * Splits a message into headers and body the way Postfix presents it to
 * filters: lines lose their CR, a folded header keeps its line breaks as
 * "\n" followed by the continuation's whitespace, the first line that is
 * neither a header nor a continuation starts the body (a blank line is
 * consumed), and every body line ends in CRLF.
 */
static void
mc_msg_parse(const char *data, size_t len, struct mc_msg *m)
{
    struct mc_buf body = { 0 };
    bool in_headers = true;
    size_t pos = 0;

    memset(m, 0, sizeof(*m));
    while (pos < len) {
        const char *line = data + pos;
        const char *nl = memchr(line, '\n', len - pos);
        size_t end = nl ? (size_t)(nl - data) : len;
        size_t n = end - pos;

        if (n > 0 && line[n - 1] == '\r')
            n--;
        pos = nl ? end + 1 : len;
        if (in_headers) {
            size_t nlen;

            if (n == 0) {
                in_headers = false;
                continue;
            }
            if ((line[0] == ' ' || line[0] == '\t') && m->nhdrs > 0) {
                struct mc_header *h = &m->hdrs[m->nhdrs - 1];
                size_t old = strlen(h->value);

                h->value = mc_xrealloc(h->value, old + 1 + n + 1);
                h->value[old] = '\n';
                memcpy(h->value + old + 1, line, n);
                h->value[old + 1 + n] = '\0';
                continue;
            }
            if ((nlen = mc_header_name_len(line, n)) > 0) {
                const char *colon = memchr(line, ':', n);
                struct mc_header *h;

                /*
                 * A mailbox file's leading Return-Path: is the envelope
                 * sender; Postfix drops the header, so it is not sent.
                 */
                if (m->nhdrs == 0 && m->sender == NULL && nlen == 11
                    && strncasecmp(line, "Return-Path", 11) == 0) {
                    const char *v = colon + 1, *e = line + n;
                    char *a;

                    while (v < e && (*v == ' ' || *v == '\t'))
                        v++;
                    while (e > v && (e[-1] == ' ' || e[-1] == '\t'))
                        e--;
                    a = mc_strndup(v, (size_t)(e - v));
                    m->sender = mc_bracket(a);
                    free(a);
                    continue;
                }
                m->hdrs = mc_xrealloc(m->hdrs, (m->nhdrs + 1) * sizeof(*h));
                h = &m->hdrs[m->nhdrs++];
                h->name = mc_strndup(line, nlen);
                h->value = mc_strndup(colon + 1, n - (size_t)(colon + 1 - line));
                continue;
            }
            in_headers = false;
        }
        mc_buf_add(&body, line, n);
        mc_buf_add(&body, "\r\n", 2);
    }
    m->body = (char *)body.p;
    m->body_len = body.len;
}

static void
mc_msg_free(struct mc_msg *m)
{
    for (size_t i = 0; i < m->nhdrs; i++) {
        free(m->hdrs[i].name);
        free(m->hdrs[i].value);
    }
    free(m->hdrs);
    free(m->body);
    free(m->sender);
}

static const char mc_default_msg[] =
    "From: Sender <sender@example.com>\n"
    "To: <rcpt@example.net>\n"
    "Subject: miltc test message\n"
    "Date: Mon, 01 Jan 2024 00:00:00 +0000\n"
    "Message-ID: <miltc.1@example.com>\n"
    "\n"
    "Test message.\n";

/* Reads the message; NULL path = the built-in one, "-" = stdin. */
static int
mc_msg_load(const char *path, struct mc_msg *m)
{
    struct mc_buf b = { 0 };
    FILE *f;
    char chunk[65536];
    size_t n;
    int err;

    if (path == NULL) {
        mc_msg_parse(mc_default_msg, sizeof(mc_default_msg) - 1, m);
        return 0;
    }
    f = strcmp(path, "-") == 0 ? stdin : fopen(path, "rb");
    if (f == NULL) {
        fprintf(stderr, "miltc: %s: %s\n", path, strerror(errno));
        return -1;
    }
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0) {
        if (b.len + n > MC_MAX_MSG) {
            fprintf(stderr, "miltc: %s: larger than %u bytes\n", path,
                    MC_MAX_MSG);
            break;
        }
        mc_buf_add(&b, chunk, n);
    }
    err = ferror(f) || n > 0;
    if (ferror(f))
        fprintf(stderr, "miltc: %s: read error\n", path);
    if (f != stdin)
        fclose(f);
    if (!err)
        mc_msg_parse((const char *)b.p, b.len, m);
    free(b.p);
    return err ? -1 : 0;
}

static void
mc_corpus_add(struct mc_opts *o, const struct mc_msg *m)
{
    o->msgs = mc_xrealloc(o->msgs, (o->nmsgs + 1) * sizeof(*o->msgs));
    o->msgs[o->nmsgs++] = *m;
}

/*
 * Reads the corpus: every file named, and the regular files of every
 * directory named (in name order, so runs are repeatable).
 */
static int
mc_corpus_load(struct mc_opts *o, char *const *paths, int npaths)
{
    struct mc_msg m;

    if (npaths == 0) {
        if (mc_msg_load(NULL, &m) < 0)
            return -1;
        mc_corpus_add(o, &m);
        return 0;
    }
    for (int i = 0; i < npaths; i++) {
        struct stat st;
        struct dirent **ents;
        int n, rc = 0;

        if (strcmp(paths[i], "-") == 0 || stat(paths[i], &st) < 0
            || !S_ISDIR(st.st_mode)) {
            if (mc_msg_load(paths[i], &m) < 0)
                return -1;
            mc_corpus_add(o, &m);
            continue;
        }
        if ((n = scandir(paths[i], &ents, NULL, alphasort)) < 0) {
            fprintf(stderr, "miltc: %s: %s\n", paths[i], strerror(errno));
            return -1;
        }
        for (int j = 0; j < n; j++) {
            size_t len = strlen(paths[i]) + strlen(ents[j]->d_name) + 2;
            char *path = mc_xrealloc(NULL, len);

            snprintf(path, len, "%s/%s", paths[i], ents[j]->d_name);
            if (rc == 0 && ents[j]->d_name[0] != '.'
                && stat(path, &st) == 0 && S_ISREG(st.st_mode)) {
                if (mc_msg_load(path, &m) < 0)
                    rc = -1;
                else
                    mc_corpus_add(o, &m);
            }
            free(path);
            free(ents[j]);
        }
        free(ents);
        if (rc < 0)
            return -1;
    }
    if (o->nmsgs == 0) {
        fputs("miltc: the corpus holds no message\n", stderr);
        return -1;
    }
    return 0;
}

/* ---- command line ---- */

static void
mc_usage(void)
{
    fputs(
"usage: miltc -s SOCKET [options] [MESSAGE_FILE|DIRECTORY|-]...\n"
"  SOCKET        unix:/path, local:/path, /path, inet:port@host, inet6:port@host\n"
"  -c IP         client address (default 192.0.2.1; IPv6 ok; 'unknown')\n"
"  -n NAME       client host name (default client.example)\n"
"  -H HELO       HELO name (default client.example; \"\" = no HELO)\n"
"  -f SENDER     envelope sender (default <sender@example.com>)\n"
"  -r RCPT       recipient, repeatable (default <rcpt@example.net>)\n"
"  -M STAGE:NAME=VALUE  macro for connect|helo|mail|rcpt|data|eoh|eom\n"
"  -a USER       same as -M mail:{auth_authen}=USER\n"
"  -q ID         queue id, macro i (default TESTQ1)\n"
"  -T            send SMFIC_QUIT at the end (always done)\n"
"  -R N          send the message N times on one connection\n"
"  -w FILE       with -R: before each message after the first, print\n"
"                \"WAIT FILE\" and wait until FILE exists (up to -t)\n"
"  -t SECONDS    I/O timeout per packet (default 30)\n"
"  -v            print the filter's negotiation reply (OPTNEG line)\n"
"  -L N -C M     load mode: N messages over M concurrent connections\n"
"  Several files or directories form a corpus, sent round-robin.\n",
        stderr);
}

static void
mc_macro_set(struct mc_opts *o, enum mc_stage st, const char *name,
             const char *value)
{
    char *norm;
    size_t n = strlen(name);

    /* Long macro names travel in braces, as the MTA writes them. */
    if (n > 1 && name[0] != '{') {
        norm = mc_xrealloc(NULL, n + 3);
        snprintf(norm, n + 3, "{%s}", name);
    } else {
        norm = mc_xstrdup(name);
    }
    for (size_t i = 0; i < o->nmacros; i++) {
        struct mc_macro *m = &o->macros[i];

        if (m->stage == st && strcmp(m->name, norm) == 0) {
            free(norm);
            free(m->value);
            m->value = mc_xstrdup(value);
            return;
        }
    }
    o->macros = mc_xrealloc(o->macros, (o->nmacros + 1) * sizeof(*o->macros));
    o->macros[o->nmacros++] = (struct mc_macro){ st, norm, mc_xstrdup(value) };
}

static bool
mc_macro_arg(struct mc_opts *o, const char *arg)
{
    const char *colon = strchr(arg, ':');
    const char *eq = colon ? strchr(colon, '=') : NULL;
    char name[256];

    if (colon == NULL || eq == NULL || eq == colon + 1
        || (size_t)(eq - colon - 1) >= sizeof(name))
        return false;
    for (int st = 0; st < MC_ST__COUNT; st++) {
        if (strlen(mc_stage_names[st]) == (size_t)(colon - arg)
            && strncmp(arg, mc_stage_names[st], (size_t)(colon - arg)) == 0) {
            snprintf(name, sizeof(name), "%.*s", (int)(eq - colon - 1),
                     colon + 1);
            mc_macro_set(o, (enum mc_stage)st, name, eq + 1);
            return true;
        }
    }
    return false;
}

static char *
mc_bracket(const char *addr)
{
    size_t n = strlen(addr);
    char *s;

    if (n >= 2 && addr[0] == '<' && addr[n - 1] == '>')
        return mc_xstrdup(addr);
    s = mc_xrealloc(NULL, n + 3);
    snprintf(s, n + 3, "<%s>", addr);
    return s;
}

static void
mc_opts_free(struct mc_opts *o)
{
    free(o->sender);
    for (size_t i = 0; i < o->nrcpts; i++)
        free(o->rcpts[i]);
    free(o->rcpts);
    for (size_t i = 0; i < o->nmacros; i++) {
        free(o->macros[i].name);
        free(o->macros[i].value);
    }
    free(o->macros);
    for (size_t i = 0; i < o->nmsgs; i++)
        mc_msg_free(&o->msgs[i]);
    free(o->msgs);
}

/* Returns 0, or the exit status for a usage error. */
static int
mc_parse_args(int argc, char **argv, struct mc_opts *o)
{
    const char *queue_id = "TESTQ1", *sender = "<sender@example.com>";
    struct mc_macro *user = NULL;
    size_t nuser = 0;
    unsigned long v;
    int c;

    o->timeout = 30;
    o->client_addr = "192.0.2.1";
    o->client_name = "client.example";
    o->helo = "client.example";
    o->repeat = 1;
    o->load_c = 0;

    /* User macros are applied after the defaults, so they override them. */
#define MC_USAGE() do { mc_usage(); goto usage; } while (0)
    while ((c = getopt(argc, argv, "+s:c:n:H:f:r:M:a:q:TR:w:t:L:C:vh")) != -1) {
        switch (c) {
        case 's': o->socket = optarg; break;
        case 'c': o->client_addr = optarg; break;
        case 'n': o->client_name = optarg; break;
        case 'H': o->helo = optarg; break;
        case 'f': sender = optarg; o->sender_set = true; break;
        case 'q': queue_id = optarg; break;
        case 'T': break;
        case 'r':
            o->rcpts = mc_xrealloc(o->rcpts, (o->nrcpts + 1) * sizeof(char *));
            o->rcpts[o->nrcpts++] = mc_bracket(optarg);
            break;
        case 'M':
        case 'a': {
            char buf[1024];
            const char *arg = optarg;

            if (c == 'a') {
                snprintf(buf, sizeof(buf), "mail:{auth_authen}=%s", optarg);
                arg = buf;
            }
            user = mc_xrealloc(user, (nuser + 1) * sizeof(*user));
            user[nuser++] = (struct mc_macro){ 0, mc_xstrdup(arg), NULL };
            break;
        }
        case 'R':
            if (!mc_parse_ulong(optarg, 1, 1000000, &o->repeat))
                MC_USAGE();
            break;
        case 'w': o->wait_file = optarg; break;
        case 'v': o->show_optneg = true; break;
        case 't':
            if (!mc_parse_ulong(optarg, 1, 86400, &v))
                MC_USAGE();
            o->timeout = (int)v;
            break;
        case 'L':
            if (!mc_parse_ulong(optarg, 1, ULONG_MAX / 2, &o->load_n))
                MC_USAGE();
            break;
        case 'C':
            if (!mc_parse_ulong(optarg, 1, MC_MAX_CONC, &o->load_c))
                MC_USAGE();
            break;
        default:
            MC_USAGE();
        }
    }
    if (o->socket == NULL || (o->load_c > 0 && o->load_n == 0))
        MC_USAGE();
    if (o->load_n > 0 && o->load_c == 0)
        o->load_c = 1;

    if (strcmp(o->client_addr, "unknown") == 0) {
        o->family = SMFIA_UNKNOWN;
    } else {
        unsigned char a[sizeof(struct in6_addr)];

        if (inet_pton(AF_INET, o->client_addr, a) == 1)
            o->family = SMFIA_INET;
        else if (inet_pton(AF_INET6, o->client_addr, a) == 1)
            o->family = SMFIA_INET6;
        else {
            fprintf(stderr, "miltc: bad client address %s\n", o->client_addr);
            goto usage;
        }
    }
    o->sender = strcmp(sender, "") == 0 ? mc_xstrdup("<>") : mc_bracket(sender);
    if (o->nrcpts == 0) {
        o->rcpts = mc_xrealloc(NULL, sizeof(char *));
        o->rcpts[o->nrcpts++] = mc_xstrdup("<rcpt@example.net>");
    }

    /*
     * The macros Postfix sends by default, with test values; {mail_addr}
     * follows each message's sender (mc_stage_mail).
     */
    mc_macro_set(o, MC_ST_CONNECT, "j", "mx.test");
    mc_macro_set(o, MC_ST_CONNECT, "{daemon_name}", "mx.test");
    mc_macro_set(o, MC_ST_MAIL, "i", queue_id);
    mc_macro_set(o, MC_ST_DATA, "i", queue_id);
    mc_macro_set(o, MC_ST_EOH, "i", queue_id);
    mc_macro_set(o, MC_ST_EOM, "i", queue_id);
    for (size_t i = 0; i < nuser; i++) {
        if (!mc_macro_arg(o, user[i].name)) {
            fprintf(stderr, "miltc: bad macro %s\n", user[i].name);
            goto usage;
        }
    }
    for (size_t i = 0; i < nuser; i++)
        free(user[i].name);
    free(user);
    return 0;

usage:
#undef MC_USAGE
    for (size_t i = 0; i < nuser; i++)
        free(user[i].name);
    free(user);
    return 2;
}

int
main(int argc, char **argv)
{
    struct mc_opts o = { 0 };
    int rc;

    signal(SIGPIPE, SIG_IGN);
    if ((rc = mc_parse_args(argc, argv, &o)) != 0) {
        mc_opts_free(&o);
        return rc;
    }
    if (mc_corpus_load(&o, argv + optind, argc - optind) < 0) {
        mc_opts_free(&o);
        return 2;
    }
    if (o.load_n > 0) {
        rc = mc_load(&o);
    } else {
        struct mc_sess s;

        mc_sess_init(&s, &o, stdout);
        rc = mc_session(&s, o.repeat) < 0 ? 3 : 0;
        fflush(stdout);
        if (rc != 0)
            fprintf(stderr, "miltc: %s\n", s.err);
        mc_sess_free(&s);
    }
    mc_opts_free(&o);
    return rc;
}
