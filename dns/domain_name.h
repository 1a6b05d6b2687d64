/*
 * domain_name.h: normalise and check DNS domain names taken from mail.
 *
 * Every domain that reaches a DNS query, a comparison or a written header
 * goes through dn_normalize() first.
 */
#ifndef DM_DOMAIN_NAME_H
#define DM_DOMAIN_NAME_H

#include <stdbool.h>
#include <stddef.h>

#define DM_DOMAIN_MAX 254   /* 253 octets of name plus NUL */

enum dn_status {
    DN_OK = 0,
    DN_EMPTY,        /* nothing left after trimming */
    DN_TOO_LONG,     /* over 253 octets, or a label over 63 */
    DN_BAD_LABEL,    /* empty label, bad hyphen, bad character */
    DN_BAD_IDN,      /* non-ASCII that IDNA2008/UTS#46 refuses */
    DN_LITERAL       /* an address literal such as [192.0.2.1] */
};

/*
 * Normalise the len bytes at in (not NUL-terminated, may be UTF-8) into out
 * (outsz bytes, at least DM_DOMAIN_MAX): lower case, one trailing dot
 * removed, U-labels converted to A-labels (libidn2, UTS#46 non-transitional),
 * and the result checked to be a hostname of letters, digits, hyphens and
 * underscores (underscore: _dmarc and DKIM d= names carry it).
 * On failure out is set to "" and the status says why.
 */
enum dn_status dn_normalize(const char *in, size_t len, char *out, size_t outsz);

/* A short English text for a status, for logs. */
const char *dn_strerror(enum dn_status st);

/* True when a normalised name is sub equal to or below parent. */
bool dn_is_subdomain(const char *sub, const char *parent);

#endif
