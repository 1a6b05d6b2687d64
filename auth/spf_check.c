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

bool
spf_check(const struct dns_resolver *dns, const struct sockaddr *client,
          const char *helo, const char *sender, struct spf_outcome *out)
{
    SPF_server_t *srv;
    SPF_request_t *req;
    SPF_response_t *resp = NULL;
    char helo_dom[DM_DOMAIN_MAX] = "", identity[DM_DOMAIN_MAX + 80];
    bool have_helo;

    memset(out, 0, sizeof(*out));
    have_helo = helo != NULL &&
        dn_normalize(helo, strlen(helo), helo_dom, sizeof(helo_dom)) == DN_OK;
    if (!spf_identity(helo_dom, sender, identity, sizeof(identity), out))
        return false;
    srv = spf_server();
    if (srv == NULL || (req = SPF_request_new(srv)) == NULL) {
        out->result = DM_AUTH_TEMPERROR;
        return true;
    }
    if (!spf_set_client(req, client)) {
        SPF_request_free(req);
        return false;
    }
    if (have_helo)
        (void)SPF_request_set_helo_dom(req, helo_dom);
    sd_use(srv->resolver, dns);
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
