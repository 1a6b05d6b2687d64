/*
 * ip_list.c: client address, network and host name lists (IgnoreHosts).
 *
 * IPv4 entries are kept as IPv4 and IPv4-mapped IPv6 clients and entries
 * are folded into IPv4 before use, so "192.0.2.0/24" matches a dual-stack
 * listener's ::ffff:192.0.2.9 and "::/0" does not swallow every IPv4 client.
 */
#include <config.h>
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include "config/ip_list.h"

#define IPL_HOST_MAX 253

enum ipl_kind { IPL_V4, IPL_V6, IPL_HOST };

struct ipl_entry {
    enum ipl_kind kind;
    bool negate;
    bool suffix;            /* host ".example.com": names below it */
    unsigned prefix;        /* bits; 32 or 128 for a single address */
    uint8_t addr[16];       /* masked network, 4 bytes used for IPv4 */
    char *host;             /* lower case, no trailing dot */
};

struct ipl {
    struct ipl_entry *v;
    size_t n, cap;
};

struct ipl *
ipl_new(void)
{
    return calloc(1, sizeof(struct ipl));
}

void
ipl_free(struct ipl *l)
{
    if (l == NULL)
        return;
    for (size_t i = 0; i < l->n; i++)
        free(l->v[i].host);
    free(l->v);
    free(l);
}

size_t
ipl_count(const struct ipl *l)
{
    return l == NULL ? 0 : l->n;
}

static void
ipl_err(char *err, size_t errsz, const char *msg)
{
    if (err != NULL && errsz > 0)
        snprintf(err, errsz, "%s", msg);
}

/* Clear the bits past the prefix so that matching can compare bytes. */
static void
ipl_mask(uint8_t *addr, size_t len, unsigned prefix)
{
    for (size_t i = 0; i < len; i++) {
        unsigned bit0 = (unsigned)i * 8;
        if (prefix >= bit0 + 8)
            continue;
        if (prefix <= bit0)
            addr[i] = 0;
        else
            addr[i] &= (uint8_t)(0xff << (8 - (prefix - bit0)));
    }
}

static bool
ipl_prefix_eq(const uint8_t *a, const uint8_t *b, unsigned prefix)
{
    unsigned whole = prefix / 8, rest = prefix % 8;

    if (memcmp(a, b, whole) != 0)
        return false;
    if (rest == 0)
        return true;
    uint8_t m = (uint8_t)(0xff << (8 - rest));
    return (a[whole] & m) == (b[whole] & m);
}

static bool
ipl_is_mapped(const uint8_t *a)
{
    static const uint8_t pfx[12] = { 0,0,0,0, 0,0,0,0, 0,0,0xff,0xff };
    return memcmp(a, pfx, sizeof(pfx)) == 0;
}

/* "0".."128" in decimal, nothing else. */
static bool
ipl_parse_prefix(const char *s, unsigned max, unsigned *out)
{
    unsigned v = 0;
    size_t n = 0;

    for (; s[n] != '\0'; n++) {
        if (s[n] < '0' || s[n] > '9' || n >= 3)
            return false;
        v = v * 10 + (unsigned)(s[n] - '0');
    }
    if (n == 0 || v > max)
        return false;
    *out = v;
    return true;
}

static bool
ipl_is_hostchar(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/*
 * Check name as a DNS host name (labels of letters, digits, '-', '_') and
 * store it lower-cased without the one optional trailing dot.
 */
static bool
ipl_set_host(struct ipl_entry *e, const char *name, char *err, size_t errsz)
{
    size_t len = strlen(name), label = 0;
    bool only_digits = true;

    if (name[0] == '.') {
        e->suffix = true;
        name++;
        len--;
    }
    if (len > 0 && name[len - 1] == '.')
        len--;
    if (len == 0 || len > IPL_HOST_MAX) {
        ipl_err(err, errsz,
                len == 0 ? "empty host name" : "host name too long");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c == '.') {
            if (label == 0) {
                ipl_err(err, errsz, "empty label in host name");
                return false;
            }
            label = 0;
            continue;
        }
        if (!ipl_is_hostchar(c)) {
            ipl_err(err, errsz, "not an IP address, network or host name");
            return false;
        }
        if (c < '0' || c > '9')
            only_digits = false;
        if (++label > 63) {
            ipl_err(err, errsz, "label in host name longer than 63");
            return false;
        }
    }
    if (only_digits) {
        /* all digits and dots: a mistyped IPv4 address, not a name */
        ipl_err(err, errsz, "not a valid IPv4 address");
        return false;
    }
    e->host = malloc(len + 1);
    if (e->host == NULL) {
        ipl_err(err, errsz, "out of memory");
        return false;
    }
    for (size_t i = 0; i < len; i++) {
        char c = name[i];
        e->host[i] = (c >= 'A' && c <= 'Z') ? (char)(c - 'A' + 'a') : c;
    }
    e->host[len] = '\0';
    e->kind = IPL_HOST;
    return true;
}

static bool
ipl_set_addr(struct ipl_entry *e, const char *a, const char *pfx,
             char *err, size_t errsz)
{
    if (strchr(a, ':') != NULL) {
        if (inet_pton(AF_INET6, a, e->addr) != 1) {
            ipl_err(err, errsz, "not a valid IPv6 address");
            return false;
        }
        e->kind = IPL_V6;
        e->prefix = 128;
        if (pfx != NULL && !ipl_parse_prefix(pfx, 128, &e->prefix)) {
            ipl_err(err, errsz, "prefix length must be 0 to 128 for IPv6");
            return false;
        }
        if (ipl_is_mapped(e->addr) && e->prefix >= 96) {
            memmove(e->addr, e->addr + 12, 4);
            memset(e->addr + 4, 0, 12);
            e->kind = IPL_V4;
            e->prefix -= 96;
        }
    } else {
        if (inet_pton(AF_INET, a, e->addr) != 1) {
            ipl_err(err, errsz, "not a valid IPv4 address");
            return false;
        }
        e->kind = IPL_V4;
        e->prefix = 32;
        if (pfx != NULL && !ipl_parse_prefix(pfx, 32, &e->prefix)) {
            ipl_err(err, errsz, "prefix length must be 0 to 32 for IPv4");
            return false;
        }
    }
    ipl_mask(e->addr, e->kind == IPL_V4 ? 4 : 16, e->prefix);
    return true;
}

/* True when s holds only digits and dots: meant as an IPv4 address. */
static bool
ipl_looks_v4(const char *s)
{
    bool digit = false;

    for (; *s != '\0'; s++) {
        if (*s >= '0' && *s <= '9')
            digit = true;
        else if (*s != '.')
            return false;
    }
    return digit;
}

bool
ipl_add(struct ipl *l, const char *entry, char *err, size_t errsz)
{
    struct ipl_entry e;
    char buf[512];              /* longer than any valid entry */
    char *slash;
    bool okay;

    memset(&e, 0, sizeof(e));
    if (l == NULL || entry == NULL) {
        ipl_err(err, errsz, "no list");
        return false;
    }
    if (*entry == '!') {
        e.negate = true;
        entry++;
    }
    if (*entry == '\0') {
        ipl_err(err, errsz, "empty entry");
        return false;
    }
    if (strlen(entry) >= sizeof(buf)) {
        ipl_err(err, errsz, "entry too long");
        return false;
    }
    strcpy(buf, entry);

    slash = strchr(buf, '/');
    if (slash != NULL) {
        *slash = '\0';
        if (buf[0] != '\0' && strchr(buf, ':') == NULL &&
            !ipl_looks_v4(buf)) {
            ipl_err(err, errsz, "a prefix length needs an IP address");
            return false;
        }
        okay = ipl_set_addr(&e, buf, slash + 1, err, errsz);
    } else if (strchr(buf, ':') != NULL || ipl_looks_v4(buf)) {
        okay = ipl_set_addr(&e, buf, NULL, err, errsz);
    } else {
        okay = ipl_set_host(&e, buf, err, errsz);
    }
    if (!okay)
        return false;

    if (l->n == l->cap) {
        size_t ncap = l->cap ? l->cap * 2 : 8;
        struct ipl_entry *nv = NULL;
        if (ncap <= SIZE_MAX / sizeof(*nv))
            nv = realloc(l->v, ncap * sizeof(*nv));
        if (nv == NULL) {
            free(e.host);
            ipl_err(err, errsz, "out of memory");
            return false;
        }
        l->v = nv;
        l->cap = ncap;
    }
    l->v[l->n++] = e;
    return true;
}

/* Case-insensitive match of a client name against a host entry. */
static bool
ipl_host_eq(const struct ipl_entry *e, const char *name, size_t len)
{
    size_t hl = strlen(e->host);

    if (!e->suffix)
        return len == hl && strncasecmp(name, e->host, len) == 0;
    return len > hl + 1 && name[len - hl - 1] == '.' &&
           strncasecmp(name + len - hl, e->host, hl) == 0;
}

bool
ipl_match(const struct ipl *l, const struct sockaddr *sa, const char *hostname)
{
    enum ipl_kind fam = IPL_HOST;   /* IPL_HOST here: no usable address */
    uint8_t a[16] = { 0 };
    size_t hlen = 0;

    if (l == NULL)
        return false;
    if (sa != NULL && sa->sa_family == AF_INET) {
        const struct sockaddr_in *s4 = (const struct sockaddr_in *)sa;
        memcpy(a, &s4->sin_addr, 4);
        fam = IPL_V4;
    } else if (sa != NULL && sa->sa_family == AF_INET6) {
        const struct sockaddr_in6 *s6 = (const struct sockaddr_in6 *)sa;
        memcpy(a, &s6->sin6_addr, 16);
        fam = IPL_V6;
        if (ipl_is_mapped(a)) {
            memmove(a, a + 12, 4);
            fam = IPL_V4;
        }
    }
    if (hostname != NULL) {
        hlen = strlen(hostname);
        if (hlen > 0 && hostname[hlen - 1] == '.')
            hlen--;
    }

    for (size_t i = 0; i < l->n; i++) {
        const struct ipl_entry *e = &l->v[i];
        bool hit;

        if (e->kind == IPL_HOST)
            hit = hostname != NULL && ipl_host_eq(e, hostname, hlen);
        else
            hit = e->kind == fam && ipl_prefix_eq(a, e->addr, e->prefix);
        if (hit)
            return !e->negate;
    }
    return false;
}
