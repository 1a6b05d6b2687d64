/*
 * destination.c: rua URIs, the external-destination check and
 * NoReportsList (destination.h). A URI comes from a DNS answer: only a
 * plain address of safe characters is kept, so that nothing it holds
 * reaches a mail header or a command line as anything but an address.
 */
#include <config.h>
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "report/destination.h"
#include "util/util.h"

/* "!10m": bytes; false when s is not a size. */
static bool
dest_size(const char *s, unsigned long long *out)
{
    unsigned long long v = 0, unit = 1;

    if (!isdigit((unsigned char)*s))
        return false;
    for (; isdigit((unsigned char)*s); s++) {
        if (v > 1000000000000ULL)
            return false;
        v = v * 10 + (unsigned)(*s - '0');
    }
    switch (tolower((unsigned char)*s)) {
    case '\0': break;
    case 'k': unit = 1ULL << 10; s++; break;
    case 'm': unit = 1ULL << 20; s++; break;
    case 'g': unit = 1ULL << 30; s++; break;
    case 't': unit = 1ULL << 40; s++; break;
    default: return false;
    }
    if (*s != '\0')
        return false;
    *out = v * unit;
    return true;
}

/* The characters an address may hold here (RFC 5322 atext and "."). */
static bool
dest_addr_char(unsigned char c)
{
    return isalnum(c) || (c != '\0' && strchr("!#$%&'*+/=?^_`{|}~.-", c));
}

bool
dest_parse(const char *uri, struct dest *d)
{
    char *bang, *at;
    size_t n;

    memset(d, 0, sizeof(*d));
    while (*uri == ' ' || *uri == '\t')
        uri++;
    if (strncasecmp(uri, "mailto:", 7) != 0)
        return false;
    n = strlen(uri + 7);
    if (n == 0 || n >= sizeof(d->addr))
        return false;
    memcpy(d->addr, uri + 7, n + 1);
    while (n > 0 && (d->addr[n - 1] == ' ' || d->addr[n - 1] == '\t'))
        d->addr[--n] = '\0';
    /* a size follows the last "!" (an address may hold "!" itself) */
    if ((bang = strrchr(d->addr, '!')) != NULL &&
        dest_size(bang + 1, &d->limit))
        *bang = '\0';
    if ((at = strrchr(d->addr, '@')) == NULL || at == d->addr ||
        at[1] == '\0')
        return false;
    for (char *p = d->addr; *p != '\0'; p++) {
        if (p != at && !dest_addr_char((unsigned char)*p))
            return false;
        if (p > at)
            *p = (char)tolower((unsigned char)*p);
    }
    d->host = at + 1;
    return strchr(d->host, '@') == NULL && d->host[0] != '.';
}

/* The first tag of txt is v=DMARC1 (white space allowed around "="). */
static bool
dest_is_dmarc(const char *txt)
{
    while (*txt == ' ' || *txt == '\t')
        txt++;
    if (*txt++ != 'v')
        return false;
    while (*txt == ' ' || *txt == '\t')
        txt++;
    if (*txt++ != '=')
        return false;
    while (*txt == ' ' || *txt == '\t')
        txt++;
    if (strncmp(txt, "DMARC1", 6) != 0)
        return false;
    txt += 6;
    while (*txt == ' ' || *txt == '\t')
        txt++;
    return *txt == '\0' || *txt == ';';
}

/* A record's own TAG= (rua or ruf; RFC 9990 4): true when absent or when
   one of its URIs keeps the host. */
static bool
dest_tag_keeps_host(const char *txt, const char *tag, const char *host)
{
    size_t tl = strlen(tag);
    const char *p = txt;
    char list[1024], *save = NULL, *u;
    struct dest d;

    /* the tag at a tag start, followed by "=" */
    for (;; p += tl) {
        const char *v;

        if ((p = strstr(p, tag)) == NULL)
            return true;
        if (p != txt && p[-1] != ';' && p[-1] != ' ' && p[-1] != '\t')
            continue;
        for (v = p + tl; *v == ' ' || *v == '\t'; v++)
            ;
        if (*v == '=') {
            p = v + 1;
            break;
        }
    }
    snprintf(list, sizeof(list), "%.*s", (int)strcspn(p, ";"), p);
    for (u = strtok_r(list, ",", &save); u != NULL;
         u = strtok_r(NULL, ",", &save))
        if (dest_parse(u, &d) && strcasecmp(d.host, host) == 0)
            return true;
    return false;
}

/* The verification records at qname: DEST_OK when one says v=DMARC1 and
   none names another host in its own TAG=. */
static enum dest_verdict
dest_check_records(const struct dns_txt_answer *ans, const char *tag,
                   const char *host, const char **why)
{
    bool any = false;

    for (size_t i = 0; i < ans->count; i++) {
        if (strlen(ans->rr[i].data) != ans->rr[i].len ||
            !dest_is_dmarc(ans->rr[i].data))
            continue;
        if (!dest_tag_keeps_host(ans->rr[i].data, tag, host)) {
            *why = strcmp(tag, "ruf") == 0
                ? "verification record names another host in ruf"
                : "verification record names another host in rua";
            return DEST_REFUSED;
        }
        any = true;
    }
    *why = any ? "verified" : "no v=DMARC1 verification record";
    return any ? DEST_OK : DEST_REFUSED;
}

enum dest_verdict
dest_verify_tag(const struct dns_txt_resolver *dns, const struct od_list *psl,
                const char *domain, const struct dest *d, const char *tag,
                const char **why)
{
    char org_a[DM_DOMAIN_MAX], org_b[DM_DOMAIN_MAX], qname[600];
    struct dns_txt_answer *ans;
    enum dest_verdict v;

    od_lookup(psl, domain, org_a, sizeof(org_a));
    od_lookup(psl, d->host, org_b, sizeof(org_b));
    if (strcasecmp(org_a, org_b) == 0) {
        *why = "inside the organizational domain";
        return DEST_OK;
    }
    if ((size_t)snprintf(qname, sizeof(qname), "%s._report._dmarc.%s",
                         domain, d->host) > 253) {
        *why = "verification name longer than 253 octets";
        return DEST_REFUSED;
    }
    if ((ans = malloc(sizeof(*ans))) == NULL) {
        *why = "out of memory, retried at the next run";
        return DEST_TEMPFAIL;
    }
    switch (dns->lookup(dns->arg, qname, ans)) {
    case DNS_OK:
        v = dest_check_records(ans, tag, d->host, why);
        break;
    case DNS_TEMPFAIL:
        *why = "verification lookup failed, retried at the next run";
        v = DEST_TEMPFAIL;
        break;
    default:
        *why = "no verification record";
        v = DEST_REFUSED;
        break;
    }
    free(ans);
    return v;
}

enum dest_verdict
dest_verify(const struct dns_txt_resolver *dns, const struct od_list *psl,
            const char *domain, const struct dest *d, const char **why)
{
    return dest_verify_tag(dns, psl, domain, d, "rua", why);
}

struct dest_list {
    char **entry;               /* lower case: "user@host" or "host" */
    size_t n;
};

struct dest_list *
dest_list_load(const char *path, char *err, size_t errsz)
{
    struct dest_list *l = calloc(1, sizeof(*l));
    FILE *fp = fopen(path, "r");
    struct lr_reader r;
    enum lr_status st;

    if (l == NULL || fp == NULL || lr_init(&r, fp, 512, LR_CRLF) != 0) {
        snprintf(err, errsz, "NoReportsList %s: %s", path, strerror(errno));
        if (fp != NULL)
            fclose(fp);
        free(l);
        return NULL;
    }
    while ((st = lr_next(&r)) != LR_EOF && st != LR_ERROR) {
        char *s = r.line, *e, **grown;
        if (st != LR_LINE)
            continue;
        s += strspn(s, " \t");
        e = s + strcspn(s, " \t#");
        *e = '\0';
        if (*s == '\0' || (grown = realloc(l->entry, (l->n + 1) *
                                           sizeof(*grown))) == NULL)
            continue;
        l->entry = grown;
        for (char *p = s; *p; p++)
            *p = (char)tolower((unsigned char)*p);
        if ((l->entry[l->n] = strdup(s)) != NULL)
            l->n++;
    }
    lr_free(&r);
    fclose(fp);
    return l;
}

bool
dest_list_has(const struct dest_list *l, const struct dest *d)
{
    for (size_t i = 0; l != NULL && i < l->n; i++) {
        const char *e = l->entry[i];
        if (strchr(e, '@') ? strcasecmp(e, d->addr) == 0
                           : dn_is_subdomain(d->host, e))
            return true;
    }
    return false;
}

void
dest_list_free(struct dest_list *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->entry[i]);
    free(l->entry);
    free(l);
}
