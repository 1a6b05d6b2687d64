/*
 * fuzz_http.c: libFuzzer target for the metrics endpoint's handling of
 * untrusted requests.
 *
 * The first byte picks the target:
 *   0     ex_negotiate() and ex_accepts_gzip() on the rest, as Accept and
 *         Accept-Encoding header values;
 *   1     he_parse_listen() on the rest, as a MetricsListen value;
 *   other the rest is sent as raw bytes to a real endpoint (he_open on
 *         127.0.0.1, port chosen by the kernel), odd values to one that
 *         asks for Basic credentials (a bcrypt file, cost 4), even ones to
 *         one without; the whole reply is read.
 * So the request line, the URL dispatch, the Accept negotiation and the
 * Authorization check run on hostile bytes the way a scraper sends them,
 * with libmicrohttpd's own parser in front of them.
 *
 * Built by tests/fuzz/run-fuzzer.sh with the metrics sources and
 * libmicrohttpd; seeds in tests/fuzz/corpus_http/.
 */
#include <config.h>

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "metrics/counter_store.h"
#include "metrics/exposition.h"
#include "metrics/http_endpoint.h"

/* The seeds' credentials: user "prom", password "scrape". */
#define FZ_USER "prom"
#define FZ_PASS "scrape"

struct fz_server {
    struct he_server *he;
    unsigned port;
};

static struct cs_store *fz_store;
static struct fz_server fz_open_srv, fz_auth_srv;
static char fz_auth_path[] = "/tmp/fuzz_http.XXXXXX";

static void
fz_die(const char *what, const char *err)
{
    fprintf(stderr, "fuzz_http: %s: %s\n", what, err);
    abort();
}

static void
fz_start(struct fz_server *srv, const char *auth_file)
{
    struct he_config c = { .listen = "127.0.0.1:0", .auth_file = auth_file,
                           .timeout = 2 };
    char err[256];

    if ((srv->he = he_open(&c, fz_store, err, sizeof(err))) == NULL)
        fz_die("he_open", err);
    if (he_start(srv->he, err, sizeof(err)) < 0)
        fz_die("he_start", err);
    srv->port = he_port(srv->he);
}

/* A password file with one bcrypt entry, at the cheapest cost. */
static void
fz_auth_file(void)
{
    char salt[64];
    struct crypt_data *cd = calloc(1, sizeof(*cd));
    const char *h;
    FILE *f;
    int fd;

    if (cd == NULL || crypt_gensalt_rn("$2b$", 4, NULL, 0, salt,
                                       sizeof(salt)) == NULL
        || (h = crypt_r(FZ_PASS, salt, cd)) == NULL || h[0] != '$')
        fz_die("crypt", "no bcrypt in this system's crypt(3)");
    if ((fd = mkstemp(fz_auth_path)) < 0 || (f = fdopen(fd, "w")) == NULL)
        fz_die("mkstemp", fz_auth_path);
    fprintf(f, "%s:%s\n", FZ_USER, h);
    if (fclose(f) != 0)
        fz_die("write", fz_auth_path);
    free(cd);
}

int
LLVMFuzzerInitialize(int *argc, char ***argv)
{
    char err[256];

    (void)argc;
    (void)argv;
    if ((fz_store = cs_new(100, err, sizeof(err))) == NULL)
        fz_die("cs_new", err);
    cs_count(fz_store, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
             DM_DISP_REJECT);
    fz_start(&fz_open_srv, NULL);
    fz_auth_file();
    fz_start(&fz_auth_srv, fz_auth_path);
    /* The servers' files were read at he_open. */
    unlink(fz_auth_path);
    return 0;
}

/* Send the request, read the reply to the end; returns its length. */
static size_t
fz_exchange(unsigned port, const uint8_t *req, size_t len, char *reply,
            size_t replysz)
{
    struct sockaddr_in sin = { .sin_family = AF_INET,
                               .sin_port = htons((uint16_t)port) };
    size_t got = 0;
    int fd;

    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if ((fd = socket(AF_INET, SOCK_STREAM, 0)) < 0)
        fz_die("socket", "failed");
    if (connect(fd, (struct sockaddr *)&sin, sizeof(sin)) < 0) {
        struct pollfd p = { .fd = fd, .events = POLLOUT };
        int e = errno, r = 0;
        socklen_t elen = sizeof(e);

        /*
         * libFuzzer's once-a-second SIGALRM can interrupt connect(); the
         * connection then goes on by itself, and SO_ERROR tells how it
         * ended.
         */
        if (e == EINTR)
            while ((r = poll(&p, 1, 3000)) < 0 && errno == EINTR)
                continue;
        if (e != EINTR || r != 1 ||
            getsockopt(fd, SOL_SOCKET, SO_ERROR, &e, &elen) != 0 || e != 0)
            fz_die("connect", strerror(e));
    }
    /* The server may answer and close before it has read everything. */
    (void)send(fd, req, len, MSG_NOSIGNAL);
    /*
     * libmicrohttpd polls edge-triggered: a FIN that arrives with the
     * request raises no event of its own, and an unfinished request then
     * waits out the idle timeout. A moment between the two lets it see the
     * end of input as its own event, so each unit takes milliseconds.
     */
    {
        struct pollfd p = { .fd = fd, .events = POLLIN };

        (void)poll(&p, 1, 2);
    }
    shutdown(fd, SHUT_WR);
    for (;;) {
        struct pollfd p = { .fd = fd, .events = POLLIN };
        char sink[4096];
        ssize_t n;

        /*
         * Past the server's 2 s idle timeout, or when that end of input
         * was missed after all, a reset ends the connection: waiting on
         * would only pile up connections against the endpoint's limits.
         */
        if (poll(&p, 1, 3000) != 1)
            break;
        n = recv(fd, sink, sizeof(sink), 0);
        if (n <= 0)
            break;
        if (got < replysz) {
            size_t k = (size_t)n < replysz - got ? (size_t)n : replysz - got;

            memcpy(reply + got, sink, k);
            got += k;
        }
    }
    {
        struct linger lg = { .l_onoff = 1, .l_linger = 0 };

        (void)setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(fd);
    return got;
}

/* The header name anywhere in the request, in any case. */
static bool
fz_has_authorization(const uint8_t *p, size_t n)
{
    static const char name[] = "authorization";
    size_t k = sizeof(name) - 1;

    for (size_t i = 0; i + k <= n; i++)
        if (strncasecmp((const char *)p + i, name, k) == 0)
            return true;
    return false;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char *s, reply[256];
    size_t n;

    if (size == 0)
        return 0;
    if (data[0] <= 1) {
        /* The parsers take C strings, as their callers hand them over. */
        if ((s = malloc(size)) == NULL)
            return 0;
        memcpy(s, data + 1, size - 1);
        s[size - 1] = '\0';
        if (data[0] == 0) {
            enum ex_format f = ex_negotiate(s);

            if (f != EX_TEXT && f != EX_OPENMETRICS)
                abort();
            (void)ex_accepts_gzip(s);
        } else {
            struct sockaddr_storage ss;
            socklen_t sslen = 0;
            char err[256];

            if (he_parse_listen(s, &ss, &sslen, err, sizeof(err)) == 0
                && sslen > sizeof(ss))
                abort();
        }
        free(s);
        return 0;
    }
    n = fz_exchange(data[0] & 1 ? fz_auth_srv.port : fz_open_srv.port,
                    data + 1, size - 1, reply, sizeof(reply));
    /* Whatever came in, anything that comes back is an HTTP reply. */
    if (n > 0 && (n < 9 || memcmp(reply, "HTTP/1.", 7) != 0))
        abort();
    /* The password-protected endpoint never serves without credentials. */
    if (data[0] & 1 && n >= 12 && memcmp(reply + 9, "200", 3) == 0
        && !fz_has_authorization(data + 1, size - 1))
        abort();
    return 0;
}
