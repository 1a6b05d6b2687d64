/*
 * spf_check.c: SPF through libspf2, one SPF server per thread, asking
 * the daemon's resolver through our DNS layer (spf_dns.c).
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syslog.h>
#include <spf2/spf.h>

#include "util/util.h"
#include "dns/dns.h"
#include "auth/spf_check.h"
#include "auth/spf_dns.h"
#include "auth/spf_cache.h"

static pthread_key_t spf_key;
static pthread_once_t spf_key_once = PTHREAD_ONCE_INIT;

static void
spf_server_destroy(void *p)
{
    SPF_server_free(p);
}

static void
spf_key_create(void)
{
    (void)pthread_key_create(&spf_key, spf_server_destroy);
}

static void
spf_log_warning(const char *file, int line, const char *msg)
{
    (void)file;
    (void)line;
    dm_log(LOG_DEBUG, "libspf2: %s", msg);
}

const char *
spf_version(void)
{
    static char v[32];

    snprintf(v, sizeof(v), "%d.%d.%d", SPF_LIB_VERSION_MAJOR,
             SPF_LIB_VERSION_MINOR, SPF_LIB_VERSION_PATCH);
    return v;
}

void
spf_init(void)
{
    SPF_warning_handler = spf_log_warning;
    SPF_info_handler = spf_log_warning;
    SPF_debug_handler = spf_log_warning;
}

/*
 * libspf2's server holds resolver state that is not shared safely between
 * threads; each milter thread gets its own, freed when the thread ends.
 */
static SPF_server_t *
spf_server(void)
{
    SPF_server_t *s;

    (void)pthread_once(&spf_key_once, spf_key_create);
    s = pthread_getspecific(spf_key);
    if (s == NULL) {
        SPF_dns_server_t *layer = sd_new();

        if (layer == NULL)
            return NULL;
        s = SPF_server_new_dns(layer, 0);
        if (s == NULL) {
            SPF_dns_free(layer);
            return NULL;
        }
        /*
         * SPF_server_new_dns leaves a caller's layer to the caller; hand it
         * to the server, so SPF_server_free at thread exit frees it too.
         */
        s->destroy_resolver = 1;
        if (pthread_setspecific(spf_key, s) != 0) {
            SPF_server_free(s);
            s = NULL;
        }
    }
    return s;
}

static enum dm_auth
spf_map(SPF_result_t r)
{
    switch (r) {
    case SPF_RESULT_PASS:      return DM_AUTH_PASS;
    case SPF_RESULT_FAIL:      return DM_AUTH_FAIL;
    case SPF_RESULT_SOFTFAIL:  return DM_AUTH_SOFTFAIL;
    case SPF_RESULT_NEUTRAL:   return DM_AUTH_NEUTRAL;
    case SPF_RESULT_NONE:      return DM_AUTH_NONE;
    case SPF_RESULT_TEMPERROR: return DM_AUTH_TEMPERROR;
    default:                   return DM_AUTH_PERMERROR;
    }
}

static bool
spf_set_client(SPF_request_t *req, const struct sockaddr *client)
{
    if (client == NULL)
        return false;
    if (client->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)client;

        return SPF_request_set_ipv4(req, in->sin_addr) == SPF_E_SUCCESS;
    }
    if (client->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)client;

        /* Postfix may hand over IPv4 clients in mapped form. */
        if (IN6_IS_ADDR_V4MAPPED(&in6->sin6_addr)) {
            struct in_addr a;

            memcpy(&a, &in6->sin6_addr.s6_addr[12], sizeof(a));
            return SPF_request_set_ipv4(req, a) == SPF_E_SUCCESS;
        }
        return SPF_request_set_ipv6(req, in6->sin6_addr) == SPF_E_SUCCESS;
    }
    return false;
}

/*
 * The identity to check into identity (idsz bytes) and out->domain: the
 * MAIL FROM address, or postmaster@HELO for a null sender (RFC 7208
 * section 2.4). False when there is none.
 */
static bool
spf_identity(const char *helo_dom, const char *sender, char *identity,
             size_t idsz, struct spf_outcome *out)
{
    const char *at;

    if (sender != NULL && *sender != '\0') {
        at = strrchr(sender, '@');
        if (at == NULL || dn_normalize(at + 1, strlen(at + 1), out->domain,
                                       sizeof(out->domain)) != DN_OK ||
            strlen(sender) >= idsz)
            return false;
        strcpy(identity, sender);
        return true;
    }
    if (*helo_dom == '\0')
        return false;
    out->helo = true;
    strcpy(out->domain, helo_dom);
    snprintf(identity, idsz, "postmaster@%s", helo_dom);
    return true;
}

/* The client as 16 bytes (IPv4 mapped), the cache's view of it. */
static bool
spf_addr16(const struct sockaddr *client, unsigned char addr[16])
{
    if (client == NULL)
        return false;
    if (client->sa_family == AF_INET) {
        const struct sockaddr_in *in = (const void *)client;

        memset(addr, 0, 10);
        addr[10] = addr[11] = 0xff;
        memcpy(addr + 12, &in->sin_addr, 4);
        return true;
    }
    if (client->sa_family == AF_INET6) {
        const struct sockaddr_in6 *in6 = (const void *)client;

        memcpy(addr, &in6->sin6_addr, 16);
        return true;
    }
    return false;
}

/* libspf2's verdict on identity; false: the client cannot be given. */
static bool
spf_evaluate(SPF_server_t *srv, const struct sockaddr *client,
             const char *helo_dom, const char *identity,
             struct spf_outcome *out)
{
    SPF_request_t *req;
    SPF_response_t *resp = NULL;

    if ((req = SPF_request_new(srv)) == NULL) {
        out->result = DM_AUTH_TEMPERROR;
        return true;
    }
    if (!spf_set_client(req, client)) {
        SPF_request_free(req);
        return false;
    }
    if (*helo_dom != '\0')
        (void)SPF_request_set_helo_dom(req, helo_dom);
    if (SPF_request_set_env_from(req, identity) != 0) {
        out->result = DM_AUTH_PERMERROR;
        SPF_request_free(req);
        return true;
    }
    (void)SPF_request_query_mailfrom(req, &resp);
    out->result = resp != NULL ? spf_map(SPF_response_result(resp))
                               : DM_AUTH_TEMPERROR;
    if (resp != NULL) {
        SPF_errcode_t e = SPF_response_errcode(resp);

        /*
         * libspf2 1.2.10 calls a failed lookup (SERVFAIL, timeout) a
         * permerror; RFC 7208 section 4.4 says temperror. Our layer saw it.
         */
        if (out->result == DM_AUTH_PERMERROR && sd_tempfailed(srv->resolver))
            out->result = DM_AUTH_TEMPERROR;
        if (e != SPF_E_SUCCESS)
            dm_log(LOG_DEBUG, "SPF %s: %s", identity, SPF_strerror(e));
        SPF_response_free(resp);
    }
    SPF_request_free(req);
    return true;
}

bool
spf_check(const struct dns_resolver *dns, const struct sockaddr *client,
          const char *helo, const char *sender, struct spf_outcome *out)
{
    SPF_server_t *srv;
    char helo_dom[DM_DOMAIN_MAX] = "", identity[DM_DOMAIN_MAX + 80];
    unsigned char addr[16], key[SC_KEY_MAX];
    size_t klen;

    memset(out, 0, sizeof(*out));
    if (helo == NULL ||
        dn_normalize(helo, strlen(helo), helo_dom, sizeof(helo_dom)) != DN_OK)
        helo_dom[0] = '\0';
    if (!spf_identity(helo_dom, sender, identity, sizeof(identity), out) ||
        !spf_addr16(client, addr))
        return false;
    klen = sc_key(key, addr, identity, helo_dom);
    if (klen > 0 && sc_get(dns, key, klen, out))
        return true;
    srv = spf_server();
    if (srv == NULL) {
        out->result = DM_AUTH_TEMPERROR;
        return true;
    }
    sd_use(srv->resolver, dns);
    if (!spf_evaluate(srv, client, helo_dom, identity, out))
        return false;
    sc_put(dns, key, klen, out, sd_ttl(srv->resolver));
    return true;
}
