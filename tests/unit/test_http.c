/*
 * test_http.c: the /metrics endpoint (metrics/http_endpoint.c) over real
 * loopback connections: paths, methods, negotiation, limits, a client
 * that stops half way through its request, basic auth, a port in use.
 */
#include <config.h>

#include <arpa/inet.h>
#include <crypt.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>
#include <zlib.h>

#include "metrics/counter_store.h"
#include "util/log.h"
#include "metrics/http_endpoint.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"
#include "util/clock.h"

#define TIMEOUT 2


static int
dial(unsigned port)
{
    struct sockaddr_in sin;
    int fd = socket(AF_INET, SOCK_STREAM, 0);

    memset(&sin, 0, sizeof(sin));
    sin.sin_family = AF_INET;
    sin.sin_port = htons((uint16_t)port);
    sin.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (fd < 0 || connect(fd, (struct sockaddr *)&sin, sizeof(sin)) != 0) {
        if (fd >= 0)
            close(fd);
        return -1;
    }
    return fd;
}

/* Read until the peer closes or wait_s passes; the bytes, NUL-ended. */
static char *
read_all(int fd, double wait_s, size_t *lenp)
{
    size_t len = 0, cap = 65536;
    char *buf = malloc(cap);
    double end = clk_seconds() + wait_s;

    for (;;) {
        struct pollfd p = { fd, POLLIN, 0 };
        int ms = (int)((end - clk_seconds()) * 1000);
        ssize_t n;

        if (ms <= 0 || poll(&p, 1, ms) <= 0)
            break;
        if (len + 4096 >= cap)
            buf = realloc(buf, cap *= 2);
        n = read(fd, buf + len, cap - len - 1);
        if (n <= 0)
            break;
        len += (size_t)n;
    }
    buf[len] = '\0';
    if (lenp != NULL)
        *lenp = len;
    return buf;
}

struct reply {
    int status;
    char *raw;             /* whole response */
    const char *body;      /* after the blank line */
};

static struct reply
request(unsigned port, const char *req)
{
    struct reply r = { 0, NULL, "" };
    int fd = dial(port);
    char *sep;

    if (fd < 0)
        return r;
    if (write(fd, req, strlen(req)) != (ssize_t)strlen(req)) {
        close(fd);
        return r;
    }
    r.raw = read_all(fd, 5, NULL);
    close(fd);
    if (sscanf(r.raw, "HTTP/1.%*d %d", &r.status) != 1)
        r.status = 0;
    sep = strstr(r.raw, "\r\n\r\n");
    r.body = sep != NULL ? sep + 4 : "";
    return r;
}

static bool
has_header(const struct reply *r, const char *line)
{
    char needle[512];

    snprintf(needle, sizeof(needle), "\r\n%s\r\n", line);
    return r->raw != NULL && strcasestr(r->raw, needle) != NULL;
}

static struct reply
get(unsigned port, const char *path, const char *extra)
{
    char req[2048];

    snprintf(req, sizeof(req), "GET %s HTTP/1.1\r\nHost: localhost\r\n"
             "Connection: close\r\n%s\r\n", path, extra);
    return request(port, req);
}

static void
test_parse(void)
{
    struct sockaddr_storage ss;
    socklen_t len;
    char err[256];
    static const char *const bad[] = {
        "127.0.0.1", "127.0.0.1:", "127.0.0.1:65536", "127.0.0.1:-1",
        "127.0.0.1:80x", "localhost:9489", "::1:9489", "[::1]",
        "[127.0.0.1]:80", "[::1:80", ":80", "1.2.3:80", "",
    };

    is_int(he_parse_listen("127.0.0.1:9489", &ss, &len, err, sizeof(err)), 0,
           "IPv4 address parses");
    is_int(ss.ss_family, AF_INET, "IPv4 family");
    is_int(ntohs(((struct sockaddr_in *)&ss)->sin_port), 9489, "IPv4 port");
    is_int(he_parse_listen("[::1]:9489", &ss, &len, err, sizeof(err)), 0,
           "IPv6 address parses");
    is_int(ss.ss_family, AF_INET6, "IPv6 family");
    is_int(len, sizeof(struct sockaddr_in6), "IPv6 length");
    is_int(ntohs(((struct sockaddr_in6 *)&ss)->sin6_port), 9489, "IPv6 port");
    is_int(he_parse_listen("0.0.0.0:0", &ss, &len, err, sizeof(err)), 0,
           "port 0 (any) parses");
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
        is_int(he_parse_listen(bad[i], &ss, &len, err, sizeof(err)), -1,
               "refused: \"%s\"", bad[i]);
    ok(strstr(err, "MetricsListen") != NULL, "the error names the key");
}

static void
test_serve(void)
{
    struct cs_store *cs;
    struct he_server *s, *s2;
    struct he_config c = { "127.0.0.1:0", NULL, NULL, NULL, TIMEOUT };
    char err[256], spec[64];
    struct reply r;
    unsigned port;

    cs = cs_new(10, err, sizeof(err));
    cs_count(cs, "example.com", DM_POLICY_REJECT, DM_RESULT_FAIL,
             DM_DISP_REJECT);
    s = he_open(&c, cs, err, sizeof(err));
    ok(s != NULL, "he_open binds 127.0.0.1:0");
    if (s == NULL) {
        printf("# %s\n", err);
        return;
    }
    port = he_port(s);
    ok(port > 0, "a port was chosen");
    is_int(he_start(s, err, sizeof(err)), 0, "he_start");

    r = get(port, "/metrics", "");
    is_int(r.status, 200, "GET /metrics: 200");
    ok(has_header(&r, "Content-Type: text/plain; version=0.0.4; "
                  "charset=utf-8"), "text content type by default");
    ok(strstr(r.body, "dmarc_milter_messages_total{domain=\"example.com\","
              "policy=\"reject\",result=\"fail\"} 1\n") != NULL,
       "the body has the row");
    ok(strstr(r.body, "\nprocess_open_fds ") != NULL, "process_* included");
    ok(strstr(r.body, "# EOF") == NULL, "no # EOF in 0.0.4");
    free(r.raw);

    r = get(port, "/metrics", "Accept: application/openmetrics-text;"
            "version=1.0.0,application/openmetrics-text;version=0.0.1;"
            "q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1\r\n");
    is_int(r.status, 200, "GET with Prometheus' Accept: 200");
    ok(has_header(&r, "Content-Type: application/openmetrics-text; "
                  "version=1.0.0; charset=utf-8"), "OpenMetrics content type");
    ok(strlen(r.body) > 6 && strcmp(r.body + strlen(r.body) - 6,
                                    "# EOF\n") == 0, "ends with # EOF");
    ok(has_header(&r, "Vary: Accept, Accept-Encoding"), "Vary: Accept, "
       "Accept-Encoding");
    free(r.raw);

    r = get(port, "/metrics", "Accept-Encoding: gzip\r\n");
    is_int(r.status, 200, "GET with Accept-Encoding: gzip: 200");
    ok(has_header(&r, "Content-Encoding: gzip"), "Content-Encoding: gzip");
    {
        /* The body, inflated, is the scrape: gzip magic, then text. */
        const char *cl = r.raw != NULL ? strcasestr(r.raw,
                                                    "\r\nContent-Length: ")
                                       : NULL;
        size_t zlen = cl != NULL ? strtoul(cl + 18, NULL, 10) : 0;
        char *text = calloc(1, 1 << 20);
        z_stream z;

        memset(&z, 0, sizeof(z));
        ok(zlen > 2 && (unsigned char)r.body[0] == 0x1f &&
           (unsigned char)r.body[1] == 0x8b, "the body starts with gzip's magic");
        if (text != NULL && zlen > 0 && inflateInit2(&z, 15 + 16) == Z_OK) {
            z.next_in = (Bytef *)(uintptr_t)r.body;
            z.avail_in = (uInt)zlen;
            z.next_out = (Bytef *)text;
            z.avail_out = (1 << 20) - 1;
            is_int(inflate(&z, Z_FINISH), Z_STREAM_END, "it inflates");
            inflateEnd(&z);
        }
        ok(text != NULL && strstr(text, "dmarc_milter_messages_total{domain="
                                  "\"example.com\",policy=\"reject\","
                                  "result=\"fail\"} 1\n") != NULL,
           "to the scrape with its row");
        ok(text != NULL && zlen < strlen(text) / 3,
           "at most a third of the text's size");
        free(text);
    }
    free(r.raw);

    r = get(port, "/metrics", "Accept-Encoding: gzip;q=0, identity\r\n");
    ok(!has_header(&r, "Content-Encoding: gzip") &&
       strstr(r.body, "dmarc_milter_messages_total{") != NULL,
       "gzip;q=0: plain text");
    free(r.raw);

    r = request(port, "HEAD /metrics HTTP/1.1\r\nHost: x\r\n"
                "Connection: close\r\n\r\n");
    is_int(r.status, 200, "HEAD /metrics: 200");
    is_str(r.body, "", "HEAD: no body");
    ok(r.raw != NULL && strcasestr(r.raw, "\r\nContent-Length: ") != NULL,
       "HEAD: Content-Length");
    free(r.raw);

    r = request(port, "POST /metrics HTTP/1.1\r\nHost: x\r\n"
                "Content-Length: 3\r\nConnection: close\r\n\r\nabc");
    is_int(r.status, 405, "POST /metrics: 405");
    ok(has_header(&r, "Allow: GET, HEAD"), "405 carries Allow: GET, HEAD");
    free(r.raw);
    r = request(port, "DELETE / HTTP/1.1\r\nHost: x\r\n"
                "Connection: close\r\n\r\n");
    is_int(r.status, 405, "DELETE /: 405");
    free(r.raw);

    r = get(port, "/nope", "");
    is_int(r.status, 404, "GET /nope: 404");
    free(r.raw);
    r = get(port, "/metrics/", "");
    is_int(r.status, 404, "GET /metrics/: 404");
    free(r.raw);
    r = get(port, "/metrics?name[]=x", "");
    is_int(r.status, 200, "a query string is ignored");
    free(r.raw);
    r = get(port, "/", "");
    is_int(r.status, 200, "GET /: 200");
    ok(strstr(r.body, "href=\"/metrics\"") != NULL, "the page links /metrics");
    ok(has_header(&r, "Content-Type: text/html; charset=utf-8"), "html");
    free(r.raw);

    /* Junk is refused without harm. */
    r = request(port, "\x01\x02garbage\r\n\r\n");
    ok(r.status == 400 || r.status == 0, "garbage gets 400 or a close");
    free(r.raw);
    {
        char big[40000];

        memset(big, 'a', sizeof(big));
        memcpy(big, "GET /metrics HTTP/1.1\r\nX-Big: ", 31);
        memcpy(big + sizeof(big) - 5, "\r\n\r\n", 5);
        r = request(port, big);
        ok(r.status != 200, "a header beyond the memory limit is refused "
           "(status %d)", r.status);
        free(r.raw);
    }

    /* A client that stops half way through its request. */
    {
        int half = dial(port);
        double t0, t1;
        char *rest;
        size_t n;

        ok(half >= 0 && write(half, "GET /metrics HTTP/1.1\r\nHost: x\r\n",
                              32) == 32, "half a request sent");
        t0 = clk_seconds();
        r = get(port, "/metrics", "");
        is_int(r.status, 200, "a scrape meanwhile works");
        ok(clk_seconds() - t0 < 1.5, "and is not held up (%.2f s)",
           clk_seconds() - t0);
        free(r.raw);
        rest = read_all(half, TIMEOUT + 3, &n);
        t1 = clk_seconds() - t0;
        ok(n == 0 && t1 < TIMEOUT + 2.5 && t1 >= TIMEOUT - 1,
           "the half request is dropped after the %d s timeout "
           "(%.1f s, %zu bytes)", TIMEOUT, t1, n);
        free(rest);
        close(half);
    }

    /* The per-address limit: the ninth idle connection is turned away. */
    {
        int fds[HE_PER_IP_LIMIT + 1], extra;
        char *got;
        size_t n;

        for (int i = 0; i < HE_PER_IP_LIMIT; i++)
            fds[i] = dial(port);
        usleep(200000);
        extra = dial(port);
        got = extra >= 0 ? read_all(extra, 1.5, &n) : NULL;
        ok(extra < 0 || n == 0, "connection %d from one address is closed",
           HE_PER_IP_LIMIT + 1);
        free(got);
        if (extra >= 0)
            close(extra);
        for (int i = 0; i < HE_PER_IP_LIMIT; i++)
            if (fds[i] >= 0)
                close(fds[i]);
        usleep(300000);
        r = get(port, "/metrics", "");
        is_int(r.status, 200, "once they go, scrapes work again");
        free(r.raw);
    }

    /* A port in use fails at open, naming the address. */
    snprintf(spec, sizeof(spec), "127.0.0.1:%u", port);
    c.listen = spec;
    s2 = he_open(&c, cs, err, sizeof(err));
    ok(s2 == NULL, "a second server on the same port is refused");
    ok(strstr(err, spec) != NULL && strstr(err, "in use") != NULL,
       "the error names the address and says it is in use: %s", err);
    he_close(s2);

    he_close(s);
    ok(dial(port) < 0, "after he_close nothing listens");
    cs_free(cs);
}

/* Clients that ask for a big scrape and never read it. */
static void
test_bodies(void)
{
    struct he_config c = { "127.0.0.1:0", NULL, NULL, NULL, TIMEOUT };
    int fds[HE_MAX_BODIES];
    struct he_server *s;
    struct cs_store *cs;
    char err[256], name[64];
    struct reply r;
    unsigned port;

    cs = cs_new(5000, err, sizeof(err));
    for (int i = 0; i < 5000; i++) {
        snprintf(name, sizeof(name), "domain-%d.example.com", i);
        for (int p = 0; p < DM_POLICY__COUNT; p++)
            cs_count(cs, name, (enum dm_policy)p, DM_RESULT_PASS,
                     DM_DISP_NONE);
    }
    s = he_open(&c, cs, err, sizeof(err));
    if (s == NULL || he_start(s, err, sizeof(err)) != 0) {
        ok(0, "server for big scrapes: %s", err);
        cs_free(cs);
        return;
    }
    port = he_port(s);
    for (int i = 0; i < HE_MAX_BODIES; i++) {
        static const char req[] = "GET /metrics HTTP/1.1\r\nHost: x\r\n"
                                  "Connection: close\r\n\r\n";

        fds[i] = dial(port);
        if (fds[i] >= 0 && write(fds[i], req, sizeof(req) - 1) < 0) {
            close(fds[i]);
            fds[i] = -1;
        }
    }
    usleep(800000);
    r = get(port, "/metrics", "");
    is_int(r.status, 503, "%d unread 16 MB scrapes: the next one gets 503",
           HE_MAX_BODIES);
    free(r.raw);
    for (int i = 0; i < HE_MAX_BODIES; i++)
        if (fds[i] >= 0)
            close(fds[i]);
    usleep(800000);
    r = get(port, "/metrics", "");
    is_int(r.status, 200, "once they are gone, scrapes are served again");
    ok(strstr(r.body, "domain-4999.example.com") != NULL,
       "the whole big body arrives");
    free(r.raw);
    he_close(s);
    cs_free(cs);
}

static void
test_auth(void)
{
    struct cs_store *cs;
    struct he_server *s;
    struct he_config c = { "127.0.0.1:0", NULL, NULL, NULL, TIMEOUT };
    char err[256], salt[CRYPT_GENSALT_OUTPUT_SIZE], file[512];
    struct crypt_data cd;
    const char *hash;
    struct reply r;
    unsigned port;

    /* cost 4: the test's speed; operators use 10 or more */
    if (crypt_gensalt_rn("$2b$", 4, NULL, 0, salt, sizeof(salt)) == NULL) {
        ok(0, "crypt_gensalt for bcrypt");
        return;
    }
    memset(&cd, 0, sizeof(cd));
    hash = crypt_r("s3cret", salt, &cd);
    snprintf(file, sizeof(file), "# scrapers\nprometheus:%s\n\n", hash);
    c.auth_file = fx_write("users", file);
    cs = cs_new(10, err, sizeof(err));
    s = he_open(&c, cs, err, sizeof(err));
    ok(s != NULL, "server with basic auth opens");
    if (s == NULL) {
        printf("# %s\n", err);
        cs_free(cs);
        return;
    }
    he_start(s, err, sizeof(err));
    port = he_port(s);

    r = get(port, "/metrics", "");
    is_int(r.status, 401, "no credentials: 401");
    ok(has_header(&r, "WWW-Authenticate: Basic realm=\"dmarc-milter\""),
       "401 asks for basic auth");
    free(r.raw);
    r = get(port, "/nope", "");
    is_int(r.status, 401, "no credentials, unknown path: still 401");
    free(r.raw);
    /* prometheus:s3cret */
    r = get(port, "/metrics", "Authorization: Basic "
            "cHJvbWV0aGV1czpzM2NyZXQ=\r\n");
    is_int(r.status, 200, "right password: 200");
    free(r.raw);
    /* prometheus:wrong */
    r = get(port, "/metrics", "Authorization: Basic "
            "cHJvbWV0aGV1czp3cm9uZw==\r\n");
    is_int(r.status, 401, "wrong password: 401");
    free(r.raw);
    /* other:s3cret */
    r = get(port, "/metrics", "Authorization: Basic b3RoZXI6czNjcmV0\r\n");
    is_int(r.status, 401, "unknown user: 401");
    free(r.raw);
    r = get(port, "/metrics", "Authorization: Basic !!!notbase64\r\n");
    is_int(r.status, 401, "malformed header: 401");
    free(r.raw);
    he_close(s);

    c.auth_file = fx_write("users", "prometheus:$1$abc$def\n");
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "an MD5 hash is refused");
    ok(strstr(err, ":1:") != NULL, "naming line 1: %s", err);
    c.auth_file = fx_write("users", "# nobody\n");
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "a file without users");
    snprintf(file, sizeof(file), "a:%s\na:%s\n", hash, hash);
    c.auth_file = fx_write("users", file);
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "a user twice");
    ok(strstr(err, ":2:") != NULL, "naming line 2: %s", err);
    c.auth_file = "/nonexistent/users";
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "a missing file");
    ok(strstr(err, "MetricsBasicAuthFile /nonexistent/users") != NULL,
       "naming key and file: %s", err);
    is_int(he_check(&c, err, sizeof(err)), -1, "he_check sees it too");
    c.auth_file = NULL;

    /* TLS files are checked at open, before any fork. */
    c.tls_cert = fx_write("cert.pem", "-----BEGIN CERTIFICATE-----\n"
                          "bm90IGEgY2VydA==\n-----END CERTIFICATE-----\n");
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "cert without key");
    ok(strstr(err, "go together") != NULL, "both or neither: %s", err);
    c.tls_key = fx_write("key.pem", "-----BEGIN PRIVATE KEY-----\n"
                         "bm90IGEga2V5\n-----END PRIVATE KEY-----\n");
    ok(he_open(&c, cs, err, sizeof(err)) == NULL, "a bogus PEM pair");
    ok(strstr(err, "not a PEM certificate") != NULL, "says so: %s", err);
    cs_free(cs);
}

int
main(void)
{
    dm_log_open("test_http", false, LOG_USER);
    test_parse();
    test_serve();
    test_bodies();
    test_auth();
    return done_testing();
}
