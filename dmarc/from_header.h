/*
 * from_header.h: the RFC 5322 From field, down to its domains.
 */
#ifndef DM_FROM_HEADER_H
#define DM_FROM_HEADER_H

#include <stddef.h>
#include "dmarc/verdict.h"

#define FH_MAX_ADDRS 8

enum fh_status {
    FH_OK = 0,          /* at least one address; see count */
    FH_EMPTY,           /* no address at all (empty field, empty group) */
    FH_SYNTAX,          /* cannot be parsed as an address list */
    FH_NO_DOMAIN,       /* an address without a usable domain (local part only,
                           address literal, invalid name) */
    FH_TOO_MANY         /* more than FH_MAX_ADDRS addresses */
};

struct fh_result {
    size_t count;                         /* addresses found */
    char domain[FH_MAX_ADDRS][DM_DOMAIN_MAX]; /* normalised (dn_normalize) */
};

/*
 * Parse the value of a From field (unfolded or folded, any bytes, len
 * bytes, not NUL-terminated). Understands display names, quoted strings,
 * quoted pairs, comments (nested), groups ("g: a@b, c@d;"), angle
 * addresses, RFC 2047 encoded words in display names, obsolete routes
 * (<@a,@b:u@d>) and trailing dots. Domains are normalised with
 * dn_normalize(). On anything but FH_OK, res->count may still be
 * non-zero (the addresses parsed so far) but must not be trusted.
 * When several apply, FH_SYNTAX wins over FH_NO_DOMAIN, which wins over
 * FH_TOO_MANY. "<>" and "<user>" are FH_NO_DOMAIN; NUL bytes, bare
 * control characters and anything left over after an address
 * ("<a@x>y.example", "a@x>") are FH_SYNTAX.
 */
enum fh_status fh_parse(const char *value, size_t len, struct fh_result *res);

const char *fh_strerror(enum fh_status st);

#endif
