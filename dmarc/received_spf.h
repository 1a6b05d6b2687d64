/*
 * received_spf.h: read a Received-SPF field (RFC 7208 section 9.1) and
 * judge whether it speaks about this SMTP session.
 *
 * Parsing and matching are apart: rs_parse() says what the bytes claim,
 * rs_match() whether the claim is about the connecting client and the
 * message's own SPF identity. Which field to read (the topmost one, the
 * one a policy service at this hop prepended) is the caller's choice.
 */
#ifndef DM_RECEIVED_SPF_H
#define DM_RECEIVED_SPF_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "dmarc/verdict.h"
#include "dmarc/dmarc_eval.h"

#define RS_VALUE_MAX   512   /* a key's value, unquoted, plus NUL */
#define RS_ADDR_TEXT   46    /* INET6_ADDRSTRLEN */

/* Why rs_parse() refused a field; nothing in a refused field counts. */
enum rs_status {
    RS_OK = 0,
    RS_EMPTY,          /* nothing but white space and comments */
    RS_NUL,            /* a NUL byte */
    RS_BAD_RESULT,     /* not one of RFC 7208's seven result words */
    RS_BAD_COMMENT,    /* unterminated or too deeply nested comment */
    RS_BAD_SYNTAX,     /* not a key=value list */
    RS_BAD_VALUE,      /* control character, unterminated quote, or an
                          unquoted value glued to a comment */
    RS_TOO_LONG,       /* a key or value longer than we keep */
    RS_DUPLICATE,      /* a key we read given twice */
    RS_BAD_IP,         /* client-ip is not an IPv4 or IPv6 address */
    RS_STATUS__COUNT
};

/* The identity= key. */
enum rs_identity {
    RS_IDENTITY_ABSENT = 0,
    RS_IDENTITY_MAILFROM,
    RS_IDENTITY_HELO,
    RS_IDENTITY_OTHER,         /* e.g. Sender ID's "pra": never ours */
    RS_IDENTITY__COUNT
};

/* Bits of rs_field.keys: which keys the field carried. */
#define RS_KEY_CLIENT_IP     0x01u
#define RS_KEY_ENVELOPE_FROM 0x02u
#define RS_KEY_HELO          0x04u
#define RS_KEY_IDENTITY      0x08u
#define RS_KEY_RECEIVER      0x10u
#define RS_KEY_PROBLEM       0x20u
#define RS_KEY_MECHANISM     0x40u

/* An address in binary; an IPv4-mapped IPv6 address is held as IPv4. */
struct rs_addr {
    int family;                    /* AF_INET, AF_INET6, or 0: none */
    unsigned char bytes[16];
};

struct rs_field {
    enum dm_auth result;           /* never DM_AUTH_POLICY */
    unsigned keys;                 /* RS_KEY_* */
    struct rs_addr client;         /* client-ip */
    char client_ip[RS_ADDR_TEXT];  /* client-ip as inet_ntop writes it */
    enum rs_identity identity;
    char envelope_from[RS_VALUE_MAX];  /* unquoted, as written */
    bool envelope_null;            /* envelope-from is "<>" or "" */
    char envelope_domain[DM_DOMAIN_MAX]; /* normalised; "" if none/unusable */
    char helo[RS_VALUE_MAX];
    char helo_domain[DM_DOMAIN_MAX];   /* normalised; "" if not a name */
    char receiver[RS_VALUE_MAX];
    char problem[RS_VALUE_MAX];
    char mechanism[RS_VALUE_MAX];
};

/*
 * Parse one field value: len bytes, untrusted, may be folded, need not be
 * NUL-terminated. Fills *out (zeroed first) and returns RS_OK, or says
 * why the field is unusable. Keys are case-insensitive; keys other than
 * the seven above are checked for syntax and skipped.
 */
enum rs_status rs_parse(const char *value, size_t len, struct rs_field *out);

/* What we know of the SMTP session the field must describe. */
struct rs_session {
    const char *client_ip;         /* the connecting client, text; NULL or
                                      "" when unknown */
    bool null_sender;              /* MAIL FROM:<> */
    const char *mailfrom_domain;   /* normalised MAIL FROM domain; "" when
                                      null or unusable */
    const char *helo_domain;       /* normalised HELO name; "" if unusable */
};

/* Why rs_match() does not believe a parsed field. */
enum rs_match {
    RS_MATCH = 0,
    RS_NO_CLIENT_IP,       /* the field names no client-ip */
    RS_CLIENT_UNKNOWN,     /* we do not know the client's address */
    RS_CLIENT_MISMATCH,    /* another client's result */
    RS_NO_IDENTITY,        /* identity absent or neither mailfrom nor helo */
    RS_NO_SPF_IDENTITY,    /* the session has neither a usable MAIL FROM
                              domain nor, for the null sender, a HELO name */
    RS_ENVFROM_MISMATCH,   /* envelope-from is not the session's MAIL FROM */
    RS_HELO_MISMATCH,      /* helo is not the session's HELO name */
    RS_NOT_MAILFROM,       /* identity=helo for a message with a MAIL FROM:
                              it says nothing about the MAIL FROM domain */
    RS_MATCH__COUNT
};

/*
 * Whether field f describes session s. On RS_MATCH, *out is the SPF
 * result for DMARC (RFC 7489 section 4.2): the MAIL FROM domain, or the
 * HELO name for the null sender, with f's result and no selector.
 */
enum rs_match rs_match(const struct rs_field *f, const struct rs_session *s,
                       struct dm_auth_id *out);

/* Parse an address, text of len bytes; false when it is not one. */
bool rs_addr_parse(const char *text, size_t len, struct rs_addr *out);

/* Short English texts for logs. */
const char *rs_status_name(enum rs_status st);
const char *rs_match_name(enum rs_match m);
const char *rs_identity_name(enum rs_identity id);

#endif
