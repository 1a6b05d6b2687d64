/*
 * http_endpoint.c: serving the counters over HTTP (see http_endpoint.h).
 */
#include <config.h>

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <microhttpd.h>
#include <zlib.h>

#include "util/util.h"
#include "metrics/exposition.h"
#include "metrics/http_endpoint.h"
#include "metrics/proc_stats.h"

/* The handler's return type changed in 0.9.71. */
#if MHD_VERSION >= 0x00097002
typedef enum MHD_Result he_result;
#else
typedef int he_result;
#endif

#define HE_FILE_MAX (1024 * 1024)   /* a PEM file or the password file */
#define HE_LINE_MAX 1024            /* a line of the password file */
#define HE_REALM "dmarc-milter"
#define HE_GZIP_MIN 1024             /* smaller bodies go as they are */
#define HE_TLS_PRIORITIES "NORMAL:-VERS-ALL:+VERS-TLS1.3:+VERS-TLS1.2"

struct he_user {
    char *name;
    char *hash;
};

struct he_server {
    struct cs_store *cs;
    char listen[128];
    struct sockaddr_storage ss;
    socklen_t sslen;
    int fd;
    struct MHD_Daemon *mhd;
    unsigned timeout;
    bool ipv6;
    char *cert, *key;               /* PEM contents, NUL-terminated */
    size_t key_len;
    struct he_user *users;
    size_t n_users;
    atomic_int bodies;              /* scrape bodies not yet sent */
};

/* ---- settings ---- */

int
he_parse_listen(const char *spec, struct sockaddr_storage *ss,
                socklen_t *sslen, char *err, size_t errsz)
{
    char host[INET6_ADDRSTRLEN + 2];
    const char *colon, *port;
    unsigned long p;
    char *end;
    size_t hl;

    memset(ss, 0, sizeof(*ss));
    if (spec == NULL || (colon = strrchr(spec, ':')) == NULL) {
        snprintf(err, errsz, "MetricsListen %s: expected ADDRESS:PORT, "
                 "e.g. 127.0.0.1:9489 or [::1]:9489", spec ? spec : "");
        return -1;
    }
    port = colon + 1;
    errno = 0;
    p = strtoul(port, &end, 10);
    if (*port < '0' || *port > '9' || *end != '\0' || errno != 0 ||
        p > 65535) {
        snprintf(err, errsz, "MetricsListen %s: bad port", spec);
        return -1;
    }
    hl = (size_t)(colon - spec);
    if (hl >= 2 && spec[0] == '[' && spec[hl - 1] == ']') {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

        if (hl - 2 >= sizeof(host))
            goto bad_addr;
        memcpy(host, spec + 1, hl - 2);
        host[hl - 2] = '\0';
        if (inet_pton(AF_INET6, host, &s6->sin6_addr) != 1)
            goto bad_addr;
        s6->sin6_family = AF_INET6;
        s6->sin6_port = htons((uint16_t)p);
        *sslen = sizeof(*s6);
        return 0;
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)ss;

        if (hl >= sizeof(host))
            goto bad_addr;
        memcpy(host, spec, hl);
        host[hl] = '\0';
        if (inet_pton(AF_INET, host, &s4->sin_addr) != 1)
            goto bad_addr;
        s4->sin_family = AF_INET;
        s4->sin_port = htons((uint16_t)p);
        *sslen = sizeof(*s4);
        return 0;
    }
bad_addr:
    snprintf(err, errsz, "MetricsListen %s: the address must be a numeric "
             "IPv4 address or an IPv6 address in brackets", spec);
    return -1;
}

/* A regular file of 1 byte to HE_FILE_MAX, open; -1 with a reason. */
static int
he_open_small(const char *key, const char *path, size_t *sizep, char *err,
              size_t errsz)
{
    struct stat st;
    int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);

    if (fd < 0) {
        snprintf(err, errsz, "%s %s: %s", key, path, strerror(errno));
        return -1;
    }
    if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) ||
        st.st_size > HE_FILE_MAX || st.st_size == 0) {
        snprintf(err, errsz, "%s %s: not a regular file of 1 byte to 1 MiB",
                 key, path);
        close(fd);
        return -1;
    }
    *sizep = (size_t)st.st_size;
    return fd;
}

/* A whole small file, NUL-terminated; NULL with a reason. */
static char *
he_read_file(const char *key, const char *path, size_t *lenp, char *err,
             size_t errsz)
{
    char *buf;
    size_t size, len = 0;
    ssize_t n;
    int fd = he_open_small(key, path, &size, err, errsz);

    if (fd < 0)
        return NULL;
    if ((buf = malloc(size + 1)) == NULL) {
        snprintf(err, errsz, "%s %s: out of memory", key, path);
        close(fd);
        return NULL;
    }
    while (len < size && (n = read(fd, buf + len, size - len)) > 0)
        len += (size_t)n;
    close(fd);
    if (len != size) {
        snprintf(err, errsz, "%s %s: short read", key, path);
        free(buf);
        return NULL;
    }
    buf[len] = '\0';
    if (lenp != NULL)
        *lenp = len;
    return buf;
}

static void
he_free_users(struct he_user *u, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        free(u[i].name);
        if (u[i].hash != NULL)
            explicit_bzero(u[i].hash, strlen(u[i].hash));
        free(u[i].hash);
    }
    free(u);
}

static bool
he_bcrypt_hash(const char *h)
{
    static const char alphabet[] =
        "./ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";

    /* $2a$ / $2b$ / $2y$, two cost digits, '$', 53 characters */
    if (strlen(h) != 60 || h[0] != '$' || h[1] != '2' ||
        (h[2] != 'a' && h[2] != 'b' && h[2] != 'y') || h[3] != '$' ||
        h[4] < '0' || h[4] > '3' || h[5] < '0' || h[5] > '9' || h[6] != '$')
        return false;
    return strspn(h + 7, alphabet) == 53;
}

/* The system crypt must know bcrypt, or nobody could log in. */
static bool
he_crypt_knows_bcrypt(const char *hash)
{
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    const char *h = cd != NULL ? crypt_r("probe", hash, cd) : NULL;
    bool usable = h != NULL && h[0] == '$';

    free(cd);
    return usable;
}

/* The users of MetricsBasicAuthFile, as they are read. */
struct he_users {
    struct he_user *u;
    size_t n;
};

/* One line, "user:hash", blank or a '#' comment; -1 with a reason. */
static int
he_user_line(struct he_users *us, char *line, const char *path,
             size_t lineno, char *err, size_t errsz)
{
    struct he_user *nu;
    char *colon, *e;

    while (*line == ' ' || *line == '\t')
        line++;
    e = line + strlen(line);
    while (e > line && (e[-1] == '\r' || e[-1] == ' ' || e[-1] == '\t'))
        *--e = '\0';
    if (*line == '\0' || *line == '#')
        return 0;
    colon = strchr(line, ':');
    if (colon == NULL || colon == line || !he_bcrypt_hash(colon + 1)) {
        snprintf(err, errsz, "%s:%zu: expected user:BCRYPT-HASH "
                 "($2b$..., 60 characters)", path, lineno);
        return -1;
    }
    *colon = '\0';
    for (size_t i = 0; i < us->n; i++)
        if (strcmp(us->u[i].name, line) == 0) {
            snprintf(err, errsz, "%s:%zu: user %.64s listed twice", path,
                     lineno, line);
            return -1;
        }
    if (us->n == HE_MAX_USERS) {
        snprintf(err, errsz, "%s: more than %d users", path, HE_MAX_USERS);
        return -1;
    }
    if ((nu = realloc(us->u, (us->n + 1) * sizeof(*nu))) == NULL) {
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    us->u = nu;
    nu += us->n++;              /* counted now: he_free_users() frees it */
    nu->name = strdup(line);
    nu->hash = strdup(colon + 1);
    if (nu->name == NULL || nu->hash == NULL) {
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    return 0;
}

/* Every line of fp; -1 with a reason naming the line. */
static int
he_read_users(FILE *fp, struct he_users *us, const char *path, char *err,
              size_t errsz)
{
    struct lr_reader r;
    enum lr_status st;
    int rc = -1;

    if (lr_init(&r, fp, HE_LINE_MAX, LR_CRLF) != 0) {
        snprintf(err, errsz, "%s: out of memory", path);
        return -1;
    }
    while ((st = lr_next(&r)) == LR_LINE)
        if (he_user_line(us, r.line, path, r.lineno, err, errsz) != 0)
            goto out;
    if (st == LR_LONG)
        snprintf(err, errsz, "%s:%zu: line longer than %d bytes", path,
                 r.lineno, HE_LINE_MAX);
    else if (st == LR_NUL)
        snprintf(err, errsz, "%s:%zu: NUL byte in line", path, r.lineno);
    else if (st != LR_EOF)
        snprintf(err, errsz, "%s: read error: %s", path, strerror(errno));
    else
        rc = 0;
out:
    lr_free(&r);
    return rc;
}

/* MetricsBasicAuthFile: "user:hash" lines, '#' comments. */
static int
he_load_users(const char *path, struct he_user **out, size_t *nout,
              char *err, size_t errsz)
{
    struct he_users us = { NULL, 0 };
    char iobuf[4096];   /* ours, so that no copy of the hashes outlives us */
    size_t size;
    FILE *fp;
    int fd, rc;

    fd = he_open_small("MetricsBasicAuthFile", path, &size, err, errsz);
    if (fd < 0)
        return -1;
    if ((fp = fdopen(fd, "r")) == NULL) {
        snprintf(err, errsz, "%s: %s", path, strerror(errno));
        close(fd);
        return -1;
    }
    setvbuf(fp, iobuf, _IOFBF, sizeof(iobuf));
    rc = he_read_users(fp, &us, path, err, errsz);
    fclose(fp);
    explicit_bzero(iobuf, sizeof(iobuf));
    if (rc == 0 && us.n == 0) {
        snprintf(err, errsz, "%s: no users", path);
        rc = -1;
    }
    if (rc == 0 && !he_crypt_knows_bcrypt(us.u[0].hash)) {
        snprintf(err, errsz, "%s: this system's crypt(3) does not "
                 "verify bcrypt hashes", path);
        rc = -1;
    }
    if (rc != 0) {
        he_free_users(us.u, us.n);
        return -1;
    }
    *out = us.u;
    *nout = us.n;
    return 0;
}

static void he_mhd_log(void *cls, const char *fmt, va_list ap);
static he_result he_handle(void *cls, struct MHD_Connection *conn,
                           const char *url, const char *method,
                           const char *version, const char *upload_data,
                           size_t *upload_data_size, void **con_cls);

/*
 * Let GnuTLS (through MHD) read the certificate and key now, while a bad
 * file can still fail the start: the real server starts after the fork.
 * Without a listening socket or an internal thread this starts nothing.
 */
static int
he_try_tls(struct he_server *s, const struct he_config *c, char *err,
           size_t errsz)
{
    struct MHD_Daemon *d;

    d = MHD_start_daemon(MHD_USE_TLS | MHD_USE_NO_LISTEN_SOCKET |
                         MHD_USE_ERROR_LOG, 0, NULL, NULL, he_handle, s,
                         MHD_OPTION_EXTERNAL_LOGGER, he_mhd_log, NULL,
                         MHD_OPTION_HTTPS_MEM_CERT, s->cert,
                         MHD_OPTION_HTTPS_MEM_KEY, s->key,
                         MHD_OPTION_HTTPS_PRIORITIES, HE_TLS_PRIORITIES,
                         MHD_OPTION_END);
    if (d == NULL) {
        snprintf(err, errsz, "MetricsTLSCert %s, MetricsTLSKey %s: not a "
                 "PEM certificate and its private key", c->tls_cert,
                 c->tls_key);
        return -1;
    }
    MHD_stop_daemon(d);
    return 0;
}

/* The parts of he_open() that need no socket. */
static int
he_load(struct he_server *s, const struct he_config *c, char *err,
        size_t errsz)
{
    if (he_parse_listen(c->listen, &s->ss, &s->sslen, err, errsz) != 0)
        return -1;
    s->ipv6 = s->ss.ss_family == AF_INET6;
    snprintf(s->listen, sizeof(s->listen), "%s", c->listen);
    s->timeout = c->timeout != 0 ? c->timeout : HE_TIMEOUT;
    if ((c->tls_cert == NULL) != (c->tls_key == NULL)) {
        snprintf(err, errsz, "MetricsTLSCert and MetricsTLSKey go together");
        return -1;
    }
    if (c->tls_cert != NULL &&
        ((s->cert = he_read_file("MetricsTLSCert", c->tls_cert, NULL, err,
                                 errsz)) == NULL ||
         (s->key = he_read_file("MetricsTLSKey", c->tls_key, &s->key_len,
                                err, errsz)) == NULL))
        return -1;
    if (s->cert != NULL && he_try_tls(s, c, err, errsz) != 0)
        return -1;
    if (c->auth_file != NULL &&
        he_load_users(c->auth_file, &s->users, &s->n_users, err, errsz) != 0)
        return -1;
    return 0;
}

static void
he_free(struct he_server *s)
{
    if (s == NULL)
        return;
    free(s->cert);
    if (s->key != NULL)
        explicit_bzero(s->key, s->key_len);
    free(s->key);
    he_free_users(s->users, s->n_users);
    free(s);
}

int
he_check(const struct he_config *c, char *err, size_t errsz)
{
    struct he_server *s = calloc(1, sizeof(*s));
    int rc;

    if (s == NULL) {
        snprintf(err, errsz, "metrics: out of memory");
        return -1;
    }
    s->fd = -1;
    rc = he_load(s, c, err, errsz);
    he_free(s);
    return rc;
}

struct he_server *
he_open(const struct he_config *c, struct cs_store *cs, char *err,
        size_t errsz)
{
    struct he_server *s = calloc(1, sizeof(*s));
    int one = 1;

    if (s == NULL) {
        snprintf(err, errsz, "metrics: out of memory");
        return NULL;
    }
    s->fd = -1;
    s->cs = cs;
    if (he_load(s, c, err, errsz) != 0)
        goto fail;
    s->fd = socket(s->ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (s->fd < 0) {
        snprintf(err, errsz, "MetricsListen %s: socket: %s", c->listen,
                 strerror(errno));
        goto fail;
    }
    /* A restart must not wait for old connections in TIME_WAIT. */
    (void)setsockopt(s->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (bind(s->fd, (struct sockaddr *)&s->ss, s->sslen) != 0) {
        snprintf(err, errsz, "MetricsListen %s: cannot bind: %s%s",
                 c->listen, strerror(errno), errno == EADDRINUSE ?
                 " (another program, or another dmarc-milter, listens "
                 "there)" : "");
        goto fail;
    }
    if (listen(s->fd, 64) != 0) {
        snprintf(err, errsz, "MetricsListen %s: listen: %s", c->listen,
                 strerror(errno));
        goto fail;
    }
    return s;
fail:
    if (s->fd >= 0)
        close(s->fd);
    he_free(s);
    return NULL;
}

unsigned
he_port(const struct he_server *s)
{
    struct sockaddr_storage ss;
    socklen_t len = sizeof(ss);

    if (s == NULL || getsockname(s->fd, (struct sockaddr *)&ss, &len) != 0)
        return 0;
    if (ss.ss_family == AF_INET6)
        return ntohs(((struct sockaddr_in6 *)&ss)->sin6_port);
    return ntohs(((struct sockaddr_in *)&ss)->sin_port);
}

/* ---- requests ---- */

static bool
he_equal(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    unsigned char d = (unsigned char)(la != lb);

    /* Constant time in the contents: crypt output against the hash. */
    for (size_t i = 0; i < la && i < lb; i++)
        d |= (unsigned char)(a[i] ^ b[i]);
    return d == 0;
}

static bool
he_authorized(const struct he_server *s, struct MHD_Connection *conn)
{
    char *pass = NULL, *user;
    const struct he_user *match = NULL;
    struct crypt_data *cd;
    const char *h;
    bool ok = false;

    user = MHD_basic_auth_get_username_password(conn, &pass);
    if (user == NULL) {
        if (pass != NULL)
            MHD_free(pass);
        return false;
    }
    for (size_t i = 0; i < s->n_users; i++)
        if (strcmp(s->users[i].name, user) == 0)
            match = &s->users[i];
    cd = calloc(1, sizeof(*cd));
    if (cd != NULL && pass != NULL) {
        /* Unknown users cost the same bcrypt round as known ones. */
        h = crypt_r(pass, match != NULL ? match->hash : s->users[0].hash, cd);
        ok = match != NULL && h != NULL && he_equal(h, match->hash);
        explicit_bzero(cd, sizeof(*cd));
    }
    free(cd);
    if (pass != NULL) {
        explicit_bzero(pass, strlen(pass));
        MHD_free(pass);
    }
    MHD_free(user);
    return ok;
}

static he_result
he_reply(struct MHD_Connection *conn, unsigned status, const char *type,
         const char *text, struct he_server *s)
{
    struct MHD_Response *r;
    he_result rc;

    r = MHD_create_response_from_buffer(strlen(text), (void *)text,
                                        MHD_RESPMEM_PERSISTENT);
    if (r == NULL)
        return MHD_NO;
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, type);
    if (status == MHD_HTTP_METHOD_NOT_ALLOWED)
        MHD_add_response_header(r, MHD_HTTP_HEADER_ALLOW, "GET, HEAD");
    if (status == MHD_HTTP_UNAUTHORIZED && s != NULL)
        rc = MHD_queue_basic_auth_fail_response(conn, HE_REALM, r);
    else
        rc = MHD_queue_response(conn, status, r);
    MHD_destroy_response(r);
    return rc;
}

static const char he_landing[] =
    "<!DOCTYPE html>\n<html><head><title>dmarc-milter</title></head>\n"
    "<body><h1>dmarc-milter</h1>\n"
    "<p>DMARC counters per From domain and policy: "
    "<a href=\"/metrics\">/metrics</a></p>\n</body></html>\n";

/*
 * A full scrape is tens of megabytes, held until the client has read it:
 * a few clients that ask and never read must not pile them up.
 */
static void
he_completed(void *cls, struct MHD_Connection *conn, void **con_cls,
             enum MHD_RequestTerminationCode toe)
{
    struct he_server *s = cls;

    (void)conn;
    (void)toe;
    if (*con_cls == &s->bodies) {
        atomic_fetch_sub(&s->bodies, 1);
        *con_cls = NULL;
    }
}

/*
 * The body, gzip-compressed (RFC 1952), in a new buffer; *len is its
 * length then. NULL when memory is short or zlib fails. Level 1: a
 * scrape's text compresses about twentyfold even so, and the endpoint
 * thread is not held long.
 */
static char *
he_gzip(const char *in, size_t *len)
{
    z_stream z;
    uLong cap;
    char *out;
    int rc;

    memset(&z, 0, sizeof(z));
    /* 15 + 16: a 32 KiB window and a gzip header and trailer. */
    if (deflateInit2(&z, 1, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY)
        != Z_OK)
        return NULL;
    cap = deflateBound(&z, (uLong)*len);
    out = malloc(cap);
    if (out == NULL || *len > UINT_MAX || cap > UINT_MAX) {
        deflateEnd(&z);
        free(out);
        return NULL;
    }
    z.next_in = (Bytef *)(uintptr_t)in;
    z.avail_in = (uInt)*len;
    z.next_out = (Bytef *)out;
    z.avail_out = (uInt)cap;
    rc = deflate(&z, Z_FINISH);
    deflateEnd(&z);
    if (rc != Z_STREAM_END) {
        free(out);
        return NULL;
    }
    *len = z.total_out;
    return out;
}

static he_result
he_metrics(struct he_server *s, struct MHD_Connection *conn, void **con_cls)
{
    const char *accept;
    bool gzip;
    enum ex_format f;
    struct ps_stats ps;
    struct MHD_Response *r;
    size_t len;
    char *body;
    he_result rc;

    if (atomic_fetch_add(&s->bodies, 1) >= HE_MAX_BODIES) {
        atomic_fetch_sub(&s->bodies, 1);
        return he_reply(conn, MHD_HTTP_SERVICE_UNAVAILABLE, "text/plain",
                        "too many scrapes in progress; try again\n", NULL);
    }
    *con_cls = &s->bodies;          /* he_completed() gives it back */
    accept = MHD_lookup_connection_value(conn, MHD_HEADER_KIND,
                                         MHD_HTTP_HEADER_ACCEPT);
    f = ex_negotiate(accept);
    gzip = ex_accepts_gzip(MHD_lookup_connection_value(conn,
                               MHD_HEADER_KIND,
                               MHD_HTTP_HEADER_ACCEPT_ENCODING));
    ps_read(&ps);
    body = ex_render(s->cs, f, &ps, &len);
    if (body == NULL)
        return he_reply(conn, MHD_HTTP_INTERNAL_SERVER_ERROR, "text/plain",
                        "out of memory\n", NULL);
    /* Small bodies gain nothing; a failed compression sends the text. */
    if (gzip && len >= HE_GZIP_MIN) {
        char *packed = he_gzip(body, &len);

        if (packed != NULL) {
            free(body);
            body = packed;
        } else {
            gzip = false;
        }
    } else {
        gzip = false;
    }
    r = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (r == NULL) {
        free(body);
        return MHD_NO;
    }
    MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE,
                            ex_content_type(f));
    MHD_add_response_header(r, MHD_HTTP_HEADER_CACHE_CONTROL, "no-store");
    MHD_add_response_header(r, MHD_HTTP_HEADER_VARY,
                            "Accept, Accept-Encoding");
    if (gzip)
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
    rc = MHD_queue_response(conn, MHD_HTTP_OK, r);
    MHD_destroy_response(r);
    return rc;
}

/*
 * Every request is answered at its first call, when the header has
 * arrived: nothing here reads a request body, and MHD closes a connection
 * whose body was not read.
 */
static he_result
he_handle(void *cls, struct MHD_Connection *conn, const char *url,
          const char *method, const char *version, const char *upload_data,
          size_t *upload_data_size, void **con_cls)
{
    struct he_server *s = cls;
    bool get_or_head, metrics, root;

    (void)version;
    (void)upload_data;
    (void)upload_data_size;
    if (s->n_users > 0 && !he_authorized(s, conn))
        return he_reply(conn, MHD_HTTP_UNAUTHORIZED, "text/plain",
                        "authentication required\n", s);
    metrics = strcmp(url, "/metrics") == 0;
    root = strcmp(url, "/") == 0;
    if (!metrics && !root)
        return he_reply(conn, MHD_HTTP_NOT_FOUND, "text/plain",
                        "not found; the counters are at /metrics\n", NULL);
    get_or_head = strcmp(method, MHD_HTTP_METHOD_GET) == 0 ||
                  strcmp(method, MHD_HTTP_METHOD_HEAD) == 0;
    if (!get_or_head)
        return he_reply(conn, MHD_HTTP_METHOD_NOT_ALLOWED, "text/plain",
                        "only GET and HEAD\n", NULL);
    if (root)
        return he_reply(conn, MHD_HTTP_OK, "text/html; charset=utf-8",
                        he_landing, NULL);
    return he_metrics(s, conn, con_cls);
}

static void
he_mhd_log(void *cls, const char *fmt, va_list ap)
{
    char msg[512];
    size_t n;

    (void)cls;
    vsnprintf(msg, sizeof(msg), fmt, ap);
    n = strlen(msg);
    while (n > 0 && msg[n - 1] == '\n')
        msg[--n] = '\0';
    dm_log(LOG_WARNING, "metrics endpoint: %s", msg);
}

int
he_start(struct he_server *s, char *err, size_t errsz)
{
    unsigned flags = MHD_USE_AUTO_INTERNAL_THREAD | MHD_USE_ERROR_LOG;

    if (s->ipv6)
        flags |= MHD_USE_IPv6;
    if (s->cert != NULL)
        flags |= MHD_USE_TLS;
    /* Options differ only by TLS; MHD stops at MHD_OPTION_END. */
    s->mhd = MHD_start_daemon(
        flags, 0, NULL, NULL, he_handle, s,
        MHD_OPTION_EXTERNAL_LOGGER, he_mhd_log, NULL,
        MHD_OPTION_NOTIFY_COMPLETED, he_completed, s,
        MHD_OPTION_LISTEN_SOCKET, s->fd,
        MHD_OPTION_CONNECTION_LIMIT, (unsigned)HE_CONN_LIMIT,
        MHD_OPTION_PER_IP_CONNECTION_LIMIT, (unsigned)HE_PER_IP_LIMIT,
        MHD_OPTION_CONNECTION_TIMEOUT, s->timeout,
        MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)HE_MEMORY_LIMIT,
        MHD_OPTION_STRICT_FOR_CLIENT, (int)1,
        s->cert != NULL ? MHD_OPTION_HTTPS_MEM_CERT : MHD_OPTION_END,
        s->cert, MHD_OPTION_HTTPS_MEM_KEY, s->key,
        MHD_OPTION_HTTPS_PRIORITIES, HE_TLS_PRIORITIES,
        MHD_OPTION_END);
    if (s->mhd == NULL) {
        snprintf(err, errsz, "MetricsListen %s: cannot start the HTTP "
                 "server%s", s->listen, s->cert != NULL ?
                 " (are MetricsTLSCert and MetricsTLSKey a PEM certificate "
                 "and its key?)" : "");
        return -1;
    }
    return 0;
}

void
he_close(struct he_server *s)
{
    if (s == NULL)
        return;
    if (s->mhd != NULL)
        MHD_stop_daemon(s->mhd);       /* closes the listening socket */
    else if (s->fd >= 0)
        close(s->fd);
    he_free(s);
}
