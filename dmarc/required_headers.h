/*
 * required_headers.h: the RFC 5322 section 3.6 field counts that
 * RequiredHeaders enforces (as OpenDMARC does).
 */
#ifndef DM_REQUIRED_HEADERS_H
#define DM_REQUIRED_HEADERS_H

#include <stddef.h>

enum rh_field {
    RH_FROM = 0, RH_DATE, RH_SENDER, RH_REPLY_TO, RH_TO, RH_CC, RH_BCC,
    RH_MESSAGE_ID, RH_IN_REPLY_TO, RH_REFERENCES, RH_SUBJECT,
    RH__COUNT
};

struct rh_counts {
    unsigned n[RH__COUNT];
};

/* Count one header field by name (others are ignored). */
void rh_count(struct rh_counts *c, const char *name);

/*
 * NULL when the counts are lawful, else a reason for the reply text such
 * as "message has 2 From fields, RFC 5322 requires exactly one".
 */
const char *rh_check(const struct rh_counts *c, char *buf, size_t bufsz);

#endif
