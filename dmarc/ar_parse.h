/*
 * ar_parse.h: parse an Authentication-Results header field (RFC 8601).
 */
#ifndef DM_AR_PARSE_H
#define DM_AR_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include "dmarc/verdict.h"

#define AR_MAX_RESULTS 32
#define AR_MAX_PROPS   8
#define AR_ID_MAX      256
#define AR_TOKEN_MAX   64
#define AR_VALUE_MAX   256

struct ar_prop {
    char ptype[AR_TOKEN_MAX];     /* "smtp", "header", "body", "policy" */
    char name[AR_TOKEN_MAX];      /* "mailfrom", "d", "from", ... */
    char value[AR_VALUE_MAX];     /* quotes removed, comments dropped */
};

struct ar_result {
    char method[AR_TOKEN_MAX];    /* lower case: "spf", "dkim", "dmarc" */
    char result_word[AR_TOKEN_MAX]; /* lower case, as written */
    enum dm_auth result;          /* DM_AUTH_NONE when the word is unknown */
    bool known_result;
    size_t nprops;
    struct ar_prop props[AR_MAX_PROPS];
};

struct ar_header {
    char authserv_id[AR_ID_MAX];  /* as written (case kept) */
    int version;                  /* 1 unless given */
    size_t nresults;              /* 0 for "id; none" */
    struct ar_result results[AR_MAX_RESULTS];
};

/*
 * Parse one field value (len bytes, any bytes, may be folded). Comments
 * (nested) and CFWS are skipped everywhere RFC 8601 allows. Results beyond
 * AR_MAX_RESULTS and properties beyond AR_MAX_PROPS are dropped; too-long
 * tokens or values make the whole result unusable (it is dropped, never
 * truncated, so a long d= cannot be cut into another domain).
 * Returns false when the field has no valid authserv-id.
 */
bool ar_parse(const char *value, size_t len, struct ar_header *out);

/* The value of property ptype.name in r, or NULL. */
const char *ar_prop_get(const struct ar_result *r, const char *ptype,
                        const char *name);

#endif
