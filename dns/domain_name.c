/*
 * domain_name.c: turn a domain taken from mail into the one canonical
 * ASCII spelling used for DNS queries, comparisons and headers.
 *
 * ASCII labels are checked here and never handed to libidn2, which
 * refuses or drops underscores depending on its flags, while _dmarc and
 * DKIM selector names need them. Only labels holding non-ASCII bytes go
 * through libidn2.
 */
#include <config.h>

#include <stdint.h>
#include <string.h>
#include <strings.h>
#include <idn2.h>

#include "dns/domain_name.h"

#define DN_NAME_MAX   253
#define DN_LABEL_MAX  63
/*
 * Longest raw U-label we hand to libidn2. A label that fits in 63 octets
 * once encoded is far shorter than this in UTF-8; anything longer is
 * refused before libidn2 spends time on it.
 */
#define DN_ULABEL_MAX 1024

static bool
dn_ascii_ok(unsigned char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
           (c >= '0' && c <= '9') || c == '-' || c == '_';
}

/* Append n bytes to buf (capacity cap, current length *pos). */
static bool
dn_append(char *buf, size_t cap, size_t *pos, const char *s, size_t n)
{
    if (n > cap - *pos)
        return false;
    memcpy(buf + *pos, s, n);
    *pos += n;
    return true;
}

/*
 * Convert one raw label that holds non-ASCII bytes.
 *
 * STD3 rules are checked on the result rather than requested with
 * IDN2_USE_STD3_ASCII_RULES: libidn2 2.3 silently deletes the refused
 * characters under that flag ("ü_x" becomes "üx"), which would turn a bad
 * name into a different valid one. An underscore has no place in an IDN;
 * it is only accepted in all-ASCII service labels such as _dmarc.
 */
static enum dn_status
dn_ulabel(const char *lab, size_t n, char *buf, size_t cap, size_t *pos)
{
    char tmp[DN_ULABEL_MAX + 1];
    uint8_t *alab = NULL;
    enum dn_status st = DN_OK;
    size_t an;
    int rc;

    if (n > DN_ULABEL_MAX)
        return DN_TOO_LONG;
    memcpy(tmp, lab, n);
    tmp[n] = '\0';

    rc = idn2_lookup_u8((const uint8_t *)tmp, &alab,
                        IDN2_NFC_INPUT | IDN2_NONTRANSITIONAL);
    if (rc == IDN2_TOO_BIG_LABEL || rc == IDN2_TOO_BIG_DOMAIN ||
        rc == IDN2_PUNYCODE_BIG_OUTPUT)
        return DN_TOO_LONG;
    if (rc != IDN2_OK)
        return DN_BAD_IDN;

    an = strlen((char *)alab);
    for (size_t i = 0; i < an && st == DN_OK; i++) {
        unsigned char c = alab[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' ||
              c == '.'))
            st = DN_BAD_IDN;
    }
    if (st == DN_OK && !dn_append(buf, cap, pos, (const char *)alab, an))
        st = DN_TOO_LONG;
    idn2_free(alab);
    return st;
}

/* Check the assembled ASCII name (already lower case, no trailing dot). */
static enum dn_status
dn_check(const char *name, size_t len)
{
    size_t start = 0;

    if (len > DN_NAME_MAX)
        return DN_TOO_LONG;

    while (start <= len) {
        const char *dot = memchr(name + start, '.', len - start);
        size_t end = dot ? (size_t)(dot - name) : len;
        size_t n = end - start;

        if (n == 0)
            return DN_BAD_LABEL;
        if (n > DN_LABEL_MAX)
            return DN_TOO_LONG;
        if (name[start] == '-' || name[end - 1] == '-')
            return DN_BAD_LABEL;
        for (size_t i = start; i < end; i++) {
            unsigned char c = (unsigned char)name[i];
            /* libidn2 output is re-checked too: it must be plain LDH. */
            if (!dn_ascii_ok(c) || (c >= 'A' && c <= 'Z'))
                return DN_BAD_LABEL;
        }
        start = end + 1;
    }
    return DN_OK;
}

enum dn_status
dn_normalize(const char *in, size_t len, char *out, size_t outsz)
{
    /* Room for 253 octets, one trailing dot and slack to detect overflow. */
    char buf[DN_NAME_MAX + 8];
    size_t pos = 0, start = 0;
    enum dn_status st;

    if (out != NULL && outsz > 0)
        out[0] = '\0';
    if (in == NULL || len == 0)
        return DN_EMPTY;
    if (in[0] == '[')
        return DN_LITERAL;

    while (start <= len) {
        size_t end = start;
        bool ascii = true;

        for (; end < len && in[end] != '.'; end++) {
            unsigned char c = (unsigned char)in[end];
            if (c >= 0x80)
                ascii = false;
            else if (!dn_ascii_ok(c))
                return DN_BAD_LABEL;    /* NUL, controls, space, @, [ ... */
        }

        if (ascii) {
            if (end - start > sizeof(buf) - pos)
                return DN_TOO_LONG;
            for (size_t i = start; i < end; i++) {
                unsigned char c = (unsigned char)in[i];
                buf[pos++] = (char)(c >= 'A' && c <= 'Z' ? c + ('a' - 'A') : c);
            }
        } else {
            st = dn_ulabel(in + start, end - start, buf, sizeof(buf), &pos);
            if (st != DN_OK)
                return st;
        }
        if (end < len && !dn_append(buf, sizeof(buf), &pos, ".", 1))
            return DN_TOO_LONG;
        start = end + 1;
    }

    /* Checked after conversion: U+3002 and friends map to a dot too. */
    if (pos > 0 && buf[pos - 1] == '.')
        pos--;
    if (pos == 0)
        return DN_EMPTY;

    st = dn_check(buf, pos);
    if (st != DN_OK)
        return st;
    if (out == NULL || pos >= outsz)
        return DN_TOO_LONG;
    memcpy(out, buf, pos);
    out[pos] = '\0';
    return DN_OK;
}

const char *
dn_strerror(enum dn_status st)
{
    switch (st) {
    case DN_OK:        return "ok";
    case DN_EMPTY:     return "empty domain name";
    case DN_TOO_LONG:  return "domain name or label too long";
    case DN_BAD_LABEL: return "invalid label in domain name";
    case DN_BAD_IDN:   return "invalid internationalised domain name";
    case DN_LITERAL:   return "address literal, not a domain name";
    }
    return "unknown domain name error";
}

bool
dn_is_subdomain(const char *sub, const char *parent)
{
    size_t sl, pl;

    if (sub == NULL || parent == NULL)
        return false;
    sl = strlen(sub);
    pl = strlen(parent);
    /* A normalised name is never empty; "" must not act as the root. */
    if (sl == 0 || pl == 0 || sl < pl)
        return false;
    if (strcasecmp(sub + (sl - pl), parent) != 0)
        return false;
    return sl == pl || sub[sl - pl - 1] == '.';
}
