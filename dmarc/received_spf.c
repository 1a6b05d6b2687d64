/*
 * received_spf.c: read a Received-SPF field (RFC 7208 section 9.1) and
 * match it against the SMTP session (see received_spf.h).
 *
 * The grammar is result, an optional comment, then "key=value" pairs
 * separated by ";". The field is walked once, left to right, with CFWS
 * skipped between items. Anything that does not fit makes the whole
 * field unusable: it can only be believed whole.
 *
 * Deliberate leniencies, each from a real writer: unquoted values may
 * hold "@", ":", "<" and ">" (postfix-policyd-spf-python writes
 * "envelope-from=user@example.com", "client-ip=2001:db8::1" and
 * "envelope-from=<>" unquoted, where RFC 7208 wants a quoted string);
 * a trailing ";"; any number of comments wherever CFWS may stand.
 *
 * Strictness beyond the grammar: a key we keep may not appear twice (a
 * sender who writes its own MAIL FROM or HELO into the field, unquoted,
 * can only add keys the writer also writes), and an unquoted value glued
 * to a comment is refused, as in ar_parse.c (CVE-2020-12272).
 *
 * Comments are skipped by dmarc/rfc5322.c, as in the From and
 * Authentication-Results parsers, so that all three agree on where a
 * comment ends.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>

#include "dmarc/received_spf.h"
#include "dmarc/rfc5322.h"

#define RS_KEY_MAX 64

struct rs_cursor {
    const char *s;
    size_t len;
    size_t pos;
};

/* The result words of RFC 7208 section 8, in enum dm_auth terms. */
static const struct {
    const char *word;
    enum dm_auth result;
} rs_results[] = {
    { "pass", DM_AUTH_PASS },           { "fail", DM_AUTH_FAIL },
    { "softfail", DM_AUTH_SOFTFAIL },   { "neutral", DM_AUTH_NEUTRAL },
    { "none", DM_AUTH_NONE },           { "temperror", DM_AUTH_TEMPERROR },
    { "permerror", DM_AUTH_PERMERROR },
};

/* The keys we keep, and where their text goes (SIZE_MAX: parsed at once). */
static const struct {
    const char *name;
    unsigned bit;
    size_t offset;
} rs_keys[] = {
    { "client-ip", RS_KEY_CLIENT_IP, SIZE_MAX },
    { "identity", RS_KEY_IDENTITY, SIZE_MAX },
    { "envelope-from", RS_KEY_ENVELOPE_FROM,
      offsetof(struct rs_field, envelope_from) },
    { "helo", RS_KEY_HELO, offsetof(struct rs_field, helo) },
    { "receiver", RS_KEY_RECEIVER, offsetof(struct rs_field, receiver) },
    { "problem", RS_KEY_PROBLEM, offsetof(struct rs_field, problem) },
    { "mechanism", RS_KEY_MECHANISM, offsetof(struct rs_field, mechanism) },
};

static bool
rs_at_end(const struct rs_cursor *c)
{
    return c->pos >= c->len;
}

static unsigned char
rs_peek(const struct rs_cursor *c)
{
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : 0;
}

static bool
rs_is_alpha(unsigned char ch)
{
    return (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z');
}

static bool
rs_is_wsp(unsigned char ch)
{
    /* Bare CR and LF too: milters see LF-only folds. */
    return ch == ' ' || ch == '\t' || ch == '\r' || ch == '\n';
}

/* RFC 7208's name: ALPHA *( ALPHA / DIGIT / "-" / "_" / "." ). */
static bool
rs_is_name(unsigned char ch)
{
    return rs_is_alpha(ch) || (ch >= '0' && ch <= '9') || ch == '-' ||
           ch == '_' || ch == '.';
}

/* An unquoted value: dot-atom text, widened as the file comment says. */
static bool
rs_is_value(unsigned char ch)
{
    return ch > ' ' && ch != 0x7f && strchr(";\"()\\", ch) == NULL;
}

static char
rs_lower(unsigned char ch)
{
    return (char)(ch >= 'A' && ch <= 'Z' ? ch - 'A' + 'a' : ch);
}

static enum rs_status
rs_skip_cfws(struct rs_cursor *c)
{
    while (!rs_at_end(c)) {
        unsigned char ch = rs_peek(c);

        if (rs_is_wsp(ch))
            c->pos++;
        else if (ch == '(') {
            if (!r5_skip_comment(c->s, c->len, &c->pos))
                return RS_BAD_COMMENT;
        } else
            break;
    }
    return RS_OK;
}

/* Append ch to buf (size RS_VALUE_MAX, n used); false when it is full. */
static bool
rs_put(char *buf, size_t *n, char ch)
{
    if (*n + 1 >= RS_VALUE_MAX)
        return false;
    buf[(*n)++] = ch;
    buf[*n] = '\0';
    return true;
}

/* At a quote: the unescaped content, folding line breaks dropped. Other
 * control characters are refused: values end up in logs. */
static enum rs_status
rs_read_quoted(struct rs_cursor *c, char *buf, size_t *n)
{
    c->pos++;
    while (!rs_at_end(c)) {
        unsigned char ch = (unsigned char)c->s[c->pos++];

        if (ch == '"')
            return RS_OK;
        if (ch == '\\') {
            if (rs_at_end(c))
                break;
            ch = (unsigned char)c->s[c->pos++];
        } else if (ch == '\r' || ch == '\n') {
            continue;
        }
        if ((ch < ' ' && ch != '\t') || ch == 0x7f)
            return RS_BAD_VALUE;
        if (!rs_put(buf, n, (char)ch))
            return RS_TOO_LONG;
    }
    return RS_BAD_VALUE;
}

/* A value, quoted or not, into buf (RS_VALUE_MAX bytes). */
static enum rs_status
rs_read_value(struct rs_cursor *c, char *buf)
{
    size_t n = 0, start = c->pos;

    buf[0] = '\0';
    if (rs_peek(c) == '"')
        return rs_read_quoted(c, buf, &n);
    while (!rs_at_end(c) && rs_is_value(rs_peek(c))) {
        if (!rs_put(buf, &n, c->s[c->pos++]))
            return RS_TOO_LONG;
    }
    if (c->pos == start)
        return RS_BAD_SYNTAX;
    return rs_peek(c) == '(' ? RS_BAD_VALUE : RS_OK;
}

/* A key, lower-cased into buf (RS_KEY_MAX bytes). */
static enum rs_status
rs_read_key(struct rs_cursor *c, char *buf)
{
    size_t n = 0;

    if (!rs_is_alpha(rs_peek(c)))
        return RS_BAD_SYNTAX;
    while (!rs_at_end(c) && rs_is_name(rs_peek(c))) {
        if (n + 1 >= RS_KEY_MAX)
            return RS_TOO_LONG;
        buf[n++] = rs_lower((unsigned char)c->s[c->pos++]);
    }
    buf[n] = '\0';
    return RS_OK;
}

static enum rs_identity
rs_identity_of(const char *value)
{
    if (strcasecmp(value, "mailfrom") == 0)
        return RS_IDENTITY_MAILFROM;
    if (strcasecmp(value, "helo") == 0)
        return RS_IDENTITY_HELO;
    return RS_IDENTITY_OTHER;
}

/* Keep one key's value; a key we keep may come only once. */
static enum rs_status
rs_store(struct rs_field *f, const char *key, const char *value)
{
    for (size_t i = 0; i < sizeof(rs_keys) / sizeof(rs_keys[0]); i++) {
        if (strcmp(key, rs_keys[i].name) != 0)
            continue;
        if (f->keys & rs_keys[i].bit)
            return RS_DUPLICATE;
        f->keys |= rs_keys[i].bit;
        if (rs_keys[i].offset != SIZE_MAX) {
            /* Every kept buffer is RS_VALUE_MAX, like value. */
            strcpy((char *)f + rs_keys[i].offset, value);
        } else if (rs_keys[i].bit == RS_KEY_IDENTITY) {
            f->identity = rs_identity_of(value);
        } else {
            if (!rs_addr_parse(value, strlen(value), &f->client) ||
                inet_ntop(f->client.family, f->client.bytes, f->client_ip,
                          sizeof(f->client_ip)) == NULL)
                return RS_BAD_IP;
        }
        return RS_OK;
    }
    return RS_OK;   /* a name we do not read: checked, then skipped */
}

/* The key=value list, up to the end of the field. */
static enum rs_status
rs_parse_pairs(struct rs_cursor *c, struct rs_field *f)
{
    char key[RS_KEY_MAX], value[RS_VALUE_MAX];
    enum rs_status st;

    while (!rs_at_end(c)) {
        if ((st = rs_read_key(c, key)) != RS_OK ||
            (st = rs_skip_cfws(c)) != RS_OK)
            return st;
        if (rs_peek(c) != '=')
            return RS_BAD_SYNTAX;
        c->pos++;
        if ((st = rs_skip_cfws(c)) != RS_OK ||
            (st = rs_read_value(c, value)) != RS_OK ||
            (st = rs_store(f, key, value)) != RS_OK ||
            (st = rs_skip_cfws(c)) != RS_OK)
            return st;
        if (rs_at_end(c))
            break;
        if (rs_peek(c) != ';')
            return RS_BAD_SYNTAX;
        /* Past ";" and any empty pairs: a trailing ";" is common. */
        while (rs_peek(c) == ';') {
            c->pos++;
            if ((st = rs_skip_cfws(c)) != RS_OK)
                return st;
        }
    }
    return RS_OK;
}

/* The result word, which must end at white space, a comment or the end. */
static enum rs_status
rs_parse_result(struct rs_cursor *c, struct rs_field *f)
{
    size_t start = c->pos, n;

    while (!rs_at_end(c) && rs_is_alpha(rs_peek(c)))
        c->pos++;
    n = c->pos - start;
    if (!rs_at_end(c) && !rs_is_wsp(rs_peek(c)) && rs_peek(c) != '(')
        return RS_BAD_RESULT;
    for (size_t i = 0; i < sizeof(rs_results) / sizeof(rs_results[0]); i++) {
        if (strlen(rs_results[i].word) == n &&
            strncasecmp(c->s + start, rs_results[i].word, n) == 0) {
            f->result = rs_results[i].result;
            return RS_OK;
        }
    }
    return RS_BAD_RESULT;
}

/* What the kept text says: the envelope and HELO domains, normalised. */
static void
rs_finish(struct rs_field *f)
{
    const char *e = f->envelope_from, *at;
    size_t elen = strlen(e);

    /* Some writers keep the angle brackets of the SMTP path. */
    if (elen >= 2 && e[0] == '<' && e[elen - 1] == '>') {
        e++;
        elen -= 2;
    }
    f->envelope_null = (f->keys & RS_KEY_ENVELOPE_FROM) && elen == 0;
    at = memrchr(e, '@', elen);
    if (at == NULL ||
        dn_normalize(at + 1, elen - (size_t)(at + 1 - e), f->envelope_domain,
                     sizeof(f->envelope_domain)) != DN_OK)
        f->envelope_domain[0] = '\0';
    if (dn_normalize(f->helo, strlen(f->helo), f->helo_domain,
                     sizeof(f->helo_domain)) != DN_OK)
        f->helo_domain[0] = '\0';
}

enum rs_status
rs_parse(const char *value, size_t len, struct rs_field *out)
{
    struct rs_cursor c = { value, len, 0 };
    enum rs_status st;

    memset(out, 0, sizeof(*out));
    /* A NUL cannot come from a well-formed field; downstream code would
     * stop at it while we read on. */
    if (value == NULL || memchr(value, '\0', len) != NULL)
        return RS_NUL;
    if ((st = rs_skip_cfws(&c)) != RS_OK)
        return st;
    if (rs_at_end(&c))
        return RS_EMPTY;
    if ((st = rs_parse_result(&c, out)) != RS_OK ||
        (st = rs_skip_cfws(&c)) != RS_OK ||
        (st = rs_parse_pairs(&c, out)) != RS_OK) {
        memset(out, 0, sizeof(*out));
        return st;
    }
    rs_finish(out);
    return RS_OK;
}

bool
rs_addr_parse(const char *text, size_t len, struct rs_addr *out)
{
    static const unsigned char mapped[12] = {
        0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff
    };
    char buf[RS_ADDR_TEXT];

    memset(out, 0, sizeof(*out));
    if (text == NULL || len == 0 || len >= sizeof(buf) ||
        memchr(text, '\0', len) != NULL)
        return false;
    memcpy(buf, text, len);
    buf[len] = '\0';
    if (inet_pton(AF_INET, buf, out->bytes) == 1) {
        out->family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, out->bytes) != 1)
        return false;
    out->family = AF_INET6;
    /* Postfix on a dual-stack socket may name an IPv4 client either way. */
    if (memcmp(out->bytes, mapped, sizeof(mapped)) == 0) {
        memmove(out->bytes, out->bytes + 12, 4);
        memset(out->bytes + 4, 0, 12);
        out->family = AF_INET;
    }
    return true;
}

static bool
rs_addr_equal(const struct rs_addr *a, const struct rs_addr *b)
{
    size_t n = a->family == AF_INET ? 4 : 16;

    return a->family != 0 && a->family == b->family &&
           memcmp(a->bytes, b->bytes, n) == 0;
}

/* The SPF identity the field must be about, per RFC 7489 section 4.2. */
static enum rs_match
rs_match_identity(const struct rs_field *f, const struct rs_session *s,
                  const char **domain)
{
    const char *mf = s->mailfrom_domain != NULL ? s->mailfrom_domain : "";
    const char *helo = s->helo_domain != NULL ? s->helo_domain : "";

    switch (f->identity) {
    case RS_IDENTITY_MAILFROM:
        if (s->null_sender)
            return RS_ENVFROM_MISMATCH;
        if (*mf == '\0')
            return RS_NO_SPF_IDENTITY;
        if (strcmp(f->envelope_domain, mf) != 0)
            return RS_ENVFROM_MISMATCH;
        *domain = mf;
        return RS_MATCH;
    case RS_IDENTITY_HELO:
        if (!s->null_sender)
            return *mf != '\0' ? RS_NOT_MAILFROM : RS_NO_SPF_IDENTITY;
        if (*helo == '\0')
            return RS_NO_SPF_IDENTITY;
        if ((f->keys & RS_KEY_ENVELOPE_FROM) && !f->envelope_null)
            return RS_ENVFROM_MISMATCH;
        if (strcmp(f->helo_domain, helo) != 0)
            return RS_HELO_MISMATCH;
        *domain = helo;
        return RS_MATCH;
    default:
        return RS_NO_IDENTITY;
    }
}

enum rs_match
rs_match(const struct rs_field *f, const struct rs_session *s,
         struct dm_auth_id *out)
{
    struct rs_addr client;
    const char *domain = NULL;
    enum rs_match m;

    if (!(f->keys & RS_KEY_CLIENT_IP))
        return RS_NO_CLIENT_IP;
    if (s->client_ip == NULL ||
        !rs_addr_parse(s->client_ip, strlen(s->client_ip), &client))
        return RS_CLIENT_UNKNOWN;
    if (!rs_addr_equal(&client, &f->client))
        return RS_CLIENT_MISMATCH;
    if ((m = rs_match_identity(f, s, &domain)) != RS_MATCH)
        return m;
    /* An empty f->*_domain never equals a session domain that is set. */
    memset(out, 0, sizeof(*out));
    out->result = f->result;
    snprintf(out->domain, sizeof(out->domain), "%s", domain);
    return RS_MATCH;
}

const char *
rs_status_name(enum rs_status st)
{
    static const char *const names[RS_STATUS__COUNT] = {
        "ok", "empty field", "NUL byte", "unknown result word",
        "unterminated or too deeply nested comment", "not a key=value list",
        "bad value (control character, unterminated quote or glued comment)",
        "key or value too long", "a key given twice",
        "client-ip is not an IP address",
    };

    return (unsigned)st < RS_STATUS__COUNT ? names[st] : "?";
}

const char *
rs_match_name(enum rs_match m)
{
    static const char *const names[RS_MATCH__COUNT] = {
        "match", "no client-ip", "client address unknown",
        "client-ip is not the connecting client",
        "identity is neither mailfrom nor helo",
        "no SPF identity in the session",
        "envelope-from is not the MAIL FROM",
        "helo is not the HELO name",
        "identity=helo for a message with a MAIL FROM",
    };

    return (unsigned)m < RS_MATCH__COUNT ? names[m] : "?";
}

const char *
rs_identity_name(enum rs_identity id)
{
    static const char *const names[RS_IDENTITY__COUNT] = {
        "absent", "mailfrom", "helo", "other",
    };

    return (unsigned)id < RS_IDENTITY__COUNT ? names[id] : "?";
}
