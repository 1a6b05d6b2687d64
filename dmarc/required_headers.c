/*
 * required_headers.c: RFC 5322 section 3.6 field counts.
 */
#include <config.h>

#include <stdio.h>
#include <strings.h>

#include "dmarc/required_headers.h"

static const struct {
    const char *name;
    unsigned min, max;
} rh_rules[RH__COUNT] = {
    [RH_FROM]        = { "From", 1, 1 },
    [RH_DATE]        = { "Date", 1, 1 },
    [RH_SENDER]      = { "Sender", 0, 1 },
    [RH_REPLY_TO]    = { "Reply-To", 0, 1 },
    [RH_TO]          = { "To", 0, 1 },
    [RH_CC]          = { "Cc", 0, 1 },
    [RH_BCC]         = { "Bcc", 0, 1 },
    [RH_MESSAGE_ID]  = { "Message-ID", 0, 1 },
    [RH_IN_REPLY_TO] = { "In-Reply-To", 0, 1 },
    [RH_REFERENCES]  = { "References", 0, 1 },
    [RH_SUBJECT]     = { "Subject", 0, 1 },
};

void
rh_count(struct rh_counts *c, const char *name)
{
    for (unsigned i = 0; i < RH__COUNT; i++) {
        if (strcasecmp(name, rh_rules[i].name) == 0) {
            if (c->n[i] < 1000)
                c->n[i]++;
            return;
        }
    }
}

const char *
rh_check(const struct rh_counts *c, char *buf, size_t bufsz)
{
    for (unsigned i = 0; i < RH__COUNT; i++) {
        if (c->n[i] < rh_rules[i].min || c->n[i] > rh_rules[i].max) {
            snprintf(buf, bufsz, "message has %u %s field%s, RFC 5322 "
                     "requires %s", c->n[i], rh_rules[i].name,
                     c->n[i] == 1 ? "" : "s",
                     rh_rules[i].min ? "exactly one" : "at most one");
            return buf;
        }
    }
    return NULL;
}
