/*
 * http_endpoint.h: the /metrics HTTP endpoint (libmicrohttpd).
 *
 * Opened in two steps because the daemon forks and drops privileges in
 * between: he_open() checks the settings, reads the TLS and password files
 * and binds the socket (so a port in use fails the start, with the parent
 * still attached to the terminal or service manager); he_start() starts
 * libmicrohttpd's thread, which must not cross a fork.
 *
 * Served: GET and HEAD of /metrics (text 0.0.4, or OpenMetrics 1.0.0 when
 * the Accept header prefers it) and / (a small page linking /metrics);
 * 404 for other paths, 405 with "Allow: GET, HEAD" for other methods, 401
 * without valid credentials when a password file is set. One polling
 * thread (epoll) serves every connection, with a connection limit, a
 * per-address limit, an idle timeout, a memory limit per connection and
 * at most HE_MAX_BODIES scrape bodies in memory (503 beyond), so a slow or
 * hostile client can neither block scrapes, nor pile up memory, nor touch
 * the milter threads.
 */
#ifndef DM_HTTP_ENDPOINT_H
#define DM_HTTP_ENDPOINT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

#include "metrics/counter_store.h"

#define HE_CONN_LIMIT   32
#define HE_PER_IP_LIMIT 8
#define HE_TIMEOUT      10        /* seconds a connection may sit idle */
#define HE_MEMORY_LIMIT 32768     /* bytes of request state per connection */
#define HE_MAX_USERS    1000
#define HE_MAX_BODIES   4         /* scrape bodies in memory at once */

struct he_config {
    const char *listen;           /* ADDRESS:PORT, [IPv6]:PORT */
    const char *tls_cert;         /* PEM files: both or neither */
    const char *tls_key;
    const char *auth_file;        /* "user:bcrypt-hash" lines, or NULL */
    unsigned timeout;             /* 0: HE_TIMEOUT (tests use less) */
};

/*
 * Parse ADDRESS:PORT: a numeric IPv4 address, or an IPv6 address in
 * brackets; port 0 to 65535 (0: any free port). -1 with a reason.
 */
int he_parse_listen(const char *spec, struct sockaddr_storage *ss,
                    socklen_t *sslen, char *err, size_t errsz);

/* Check c and read its files without binding (dmarc-milter -n). */
int he_check(const struct he_config *c, char *err, size_t errsz);

struct he_server;

/* Check, read the files, bind and listen. NULL with a reason in err. */
struct he_server *he_open(const struct he_config *c, struct cs_store *cs,
                          char *err, size_t errsz);

/* Start serving (after fork and privilege drop). -1 with a reason. */
int he_start(struct he_server *s, char *err, size_t errsz);

/* The port the socket is bound to (port 0 asks the kernel for one). */
unsigned he_port(const struct he_server *s);

/* Stop serving, close the socket and free s. NULL is fine. */
void he_close(struct he_server *s);

#endif
