/*
 * ar_parse.c: read an Authentication-Results field (RFC 8601 section 2.2).
 *
 * The field is walked once, left to right, with CFWS skipped between the
 * grammar's items. A result that does not fit the grammar, or that holds
 * a token or value too long for struct ar_result, is dropped as a whole;
 * parsing then resumes at the next ";" that is outside quotes and comments,
 * so one odd result from an unknown method does not hide the others. An
 * unterminated quoted string or comment ends the parse: whatever follows
 * it has no meaning that two readers would agree on.
 *
 * Deliberate leniencies, each seen from real writers: "/" in an unquoted
 * authserv-id (OpenDMARC 1.4.2 appends "/jobid" unquoted); "/", "=" and
 * "?" in unquoted property values (base64 header.b, SRS addresses), and
 * ":" (OpenARC's arc.chain=sealer1:sealer2, an IPv6 smtp.remote-ip); "_"
 * in keywords; UTF-8 in values (RFC 8616); empty results between ";".
 *
 * One strictness beyond the grammar: an unquoted property value glued to
 * a comment ("header.d=example.net(.example.com)") drops the result. A
 * DKIM verifier that copies a hostile d= tag unquoted produces exactly
 * that, and reading it as "example.net" is CVE-2020-12272.
 *
 * A field without an authserv-id, such as Office 365's that starts with
 * "spf=pass", is refused: ar_parse() returns false.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>
#include <strings.h>

#include "dmarc/ar_parse.h"
#include "dmarc/rfc5322.h"

/* authres-version and method-version: one digit in practice. */
#define AR_VERSION_DIGITS_MAX 9

struct ar_cursor {
    const char *s;
    size_t len;
    size_t pos;
};

/* Where a value is copied, and whether it is usable: a value that did
 * not fit, or that holds a control character, is never handed out. */
struct ar_sink {
    char *buf;
    size_t size;
    size_t n;
    bool bad;
};

static void
ar_sink_init(struct ar_sink *k, char *buf, size_t size)
{
    k->buf = buf;
    k->size = size;
    k->n = 0;
    k->bad = false;
    buf[0] = '\0';
}

static void
ar_sink_put(struct ar_sink *k, char c)
{
    if (k->n + 1 >= k->size) {
        k->bad = true;
        return;
    }
    k->buf[k->n++] = c;
    k->buf[k->n] = '\0';
}

static bool
ar_at_end(const struct ar_cursor *c)
{
    return c->pos >= c->len;
}

static bool
ar_at(const struct ar_cursor *c, char ch)
{
    return c->pos < c->len && c->s[c->pos] == ch;
}

static unsigned char
ar_peek(const struct ar_cursor *c)
{
    return c->pos < c->len ? (unsigned char)c->s[c->pos] : 0;
}

static bool
ar_is_digit(unsigned char ch)
{
    return ch >= '0' && ch <= '9';
}

static bool
ar_is_alnum(unsigned char ch)
{
    return ar_is_digit(ch) || (ch >= 'a' && ch <= 'z') ||
           (ch >= 'A' && ch <= 'Z');
}

static bool
ar_is_keyword(unsigned char ch)
{
    return ar_is_alnum(ch) || ch == '-' || ch == '_';
}

/* RFC 2045 token characters, plus UTF-8 (RFC 8616). */
static bool
ar_is_token(unsigned char ch)
{
    if (ch <= ' ' || ch == 0x7f)
        return false;
    return ch >= 0x80 || strchr("()<>@,;:\\\"/[]?=", ch) == NULL;
}

/* What an unquoted property value may hold: a token, the atext of a
 * local part ("/", "=", "?"), "@" between local part and domain, and
 * the ":" of a list of ARC sealers or an IPv6 address. */
static bool
ar_is_pvalue(unsigned char ch)
{
    return ar_is_token(ch) || ch == '/' || ch == '=' || ch == '?' ||
           ch == '@' || ch == ':';
}

static bool
ar_is_domain(unsigned char ch)
{
    return ar_is_alnum(ch) || ch == '-' || ch == '.' || ch == '_' || ch >= 0x80;
}

static char
ar_lower(char ch)
{
    return ch >= 'A' && ch <= 'Z' ? (char)(ch - 'A' + 'a') : ch;
}

static bool
ar_skip_cfws(struct ar_cursor *c)
{
    return r5_skip_cfws(c->s, c->len, &c->pos);
}

/* At a quote: the unescaped content into k, folding line breaks dropped.
 * Other control characters (obs-qtext) make the value unusable: values
 * end up in logs and headers. On failure the cursor stays at the quote. */
static bool
ar_read_quoted(struct ar_cursor *c, struct ar_sink *k)
{
    size_t pos = c->pos + 1;

    while (pos < c->len) {
        unsigned char ch = (unsigned char)c->s[pos++];

        if (ch == '"') {
            c->pos = pos;
            return true;
        }
        if (ch == '\\') {
            if (pos >= c->len)
                return false;
            ch = (unsigned char)c->s[pos++];
        } else if (ch == '\r' || ch == '\n') {
            continue;
        }
        if ((ch < ' ' && ch != '\t') || ch == 0x7f)
            k->bad = true;
        else
            ar_sink_put(k, (char)ch);
    }
    return false;
}

/* A Keyword (method, result, ptype, property), lower-cased. */
static bool
ar_read_keyword(struct ar_cursor *c, struct ar_sink *k)
{
    size_t start = c->pos;

    while (!ar_at_end(c) && ar_is_keyword(ar_peek(c)))
        ar_sink_put(k, ar_lower(c->s[c->pos++]));
    return c->pos > start;
}

/* 1*DIGIT, as a number; false when absent or absurdly long. */
static bool
ar_read_number(struct ar_cursor *c, int *out)
{
    size_t start = c->pos;
    int v = 0;

    while (!ar_at_end(c) && ar_is_digit(ar_peek(c))) {
        if (c->pos - start >= AR_VERSION_DIGITS_MAX)
            return false;
        v = v * 10 + (c->s[c->pos++] - '0');
    }
    if (c->pos == start)
        return false;
    *out = v;
    return true;
}

/* The authserv-id: a token (with "/", see above) or a quoted string. */
static bool
ar_read_id(struct ar_cursor *c, struct ar_sink *k)
{
    size_t start = c->pos;

    if (ar_at(c, '"'))
        return ar_read_quoted(c, k) && k->n > 0;
    while (!ar_at_end(c) && (ar_is_token(ar_peek(c)) || ar_at(c, '/')))
        ar_sink_put(k, c->s[c->pos++]);
    return c->pos > start;
}

/*
 * pvalue: a quoted string, a token, or [local-part] "@" domain-name. An
 * address is kept whole ("user@example.com"), a quoted local part
 * without its quotes; callers take the domain after the last "@".
 */
static bool
ar_read_pvalue(struct ar_cursor *c, struct ar_sink *k)
{
    size_t start, at = 0, nat = 0;

    if (ar_at(c, '"')) {
        if (!ar_read_quoted(c, k))
            return false;
        if (!ar_at(c, '@'))
            return true;
        start = c->pos;
        ar_sink_put(k, c->s[c->pos++]);
        while (!ar_at_end(c) && ar_is_domain(ar_peek(c)))
            ar_sink_put(k, c->s[c->pos++]);
        return c->pos > start + 1 && !ar_at(c, '(');
    }

    start = c->pos;
    while (!ar_at_end(c) && ar_is_pvalue(ar_peek(c))) {
        if (ar_at(c, '@')) {
            at = c->pos;
            nat++;
        }
        ar_sink_put(k, c->s[c->pos++]);
    }
    if (c->pos == start || ar_at(c, '('))
        return false;
    if (nat == 0)
        return true;
    /* An unquoted local part cannot hold "@"; the domain must be a name. */
    if (nat > 1 || at + 1 == c->pos)
        return false;
    for (size_t i = at + 1; i < c->pos; i++)
        if (!ar_is_domain((unsigned char)c->s[i]))
            return false;
    return true;
}

/* "/" [CFWS] 1*DIGIT [CFWS] after a method: checked, then forgotten. */
static bool
ar_skip_method_version(struct ar_cursor *c)
{
    int version;

    c->pos++;
    return ar_skip_cfws(c) && ar_read_number(c, &version) && ar_skip_cfws(c);
}

/*
 * One resinfo after its ";": methodspec [reasonspec] *propspec, up to the
 * next ";" or the end. False when the result is unusable; the cursor is
 * then somewhere inside it.
 */
static bool
ar_parse_resinfo(struct ar_cursor *c, struct ar_result *r)
{
    struct ar_sink method, word, kw, name, val;
    char scratch_kw[AR_TOKEN_MAX], scratch_name[AR_TOKEN_MAX];
    char scratch_val[AR_VALUE_MAX];
    bool bad;

    ar_sink_init(&method, r->method, sizeof(r->method));
    ar_sink_init(&word, r->result_word, sizeof(r->result_word));
    /* RFC 8601's no-result, a bare "none", fails here like any method
     * without "=": either way there is nothing to keep. */
    if (!ar_read_keyword(c, &method) || !ar_skip_cfws(c))
        return false;
    if (ar_at(c, '/') && !ar_skip_method_version(c))
        return false;
    if (!ar_at(c, '='))
        return false;
    c->pos++;
    if (!ar_skip_cfws(c) || !ar_read_keyword(c, &word))
        return false;
    bad = method.bad || word.bad;
    r->known_result = dm_auth_parse(r->result_word, &r->result);
    if (!r->known_result)
        r->result = DM_AUTH_NONE;

    for (;;) {
        struct ar_prop *p = r->nprops < AR_MAX_PROPS ? &r->props[r->nprops] : NULL;

        if (!ar_skip_cfws(c))
            return false;
        if (ar_at_end(c) || ar_at(c, ';'))
            break;
        /* Properties past AR_MAX_PROPS are read to check them, then lost. */
        ar_sink_init(&kw, p ? p->ptype : scratch_kw, AR_TOKEN_MAX);
        if (!ar_read_keyword(c, &kw) || !ar_skip_cfws(c))
            return false;
        if (ar_at(c, '=') && strcmp(kw.buf, "reason") == 0) {
            c->pos++;
            ar_sink_init(&val, scratch_val, sizeof(scratch_val));
            if (!ar_skip_cfws(c) || !ar_read_pvalue(c, &val))
                return false;
            kw.buf[0] = '\0';
            continue;
        }
        if (!ar_at(c, '.'))
            return false;
        c->pos++;
        ar_sink_init(&name, p ? p->name : scratch_name, AR_TOKEN_MAX);
        if (!ar_skip_cfws(c) || !ar_read_keyword(c, &name) ||
            !ar_skip_cfws(c) || !ar_at(c, '='))
            return false;
        c->pos++;
        ar_sink_init(&val, p ? p->value : scratch_val, AR_VALUE_MAX);
        if (!ar_skip_cfws(c) || !ar_read_pvalue(c, &val))
            return false;
        if (kw.bad || name.bad || val.bad)
            bad = true;
        if (p != NULL)
            r->nprops++;
    }
    return !bad;
}

/* Past the next ";" outside quotes and comments, or false at the end. */
static bool
ar_resync(struct ar_cursor *c)
{
    while (!ar_at_end(c)) {
        if (ar_at(c, ';'))
            return true;
        if (ar_at(c, '(')) {
            if (!r5_skip_comment(c->s, c->len, &c->pos))
                return false;
        } else if (ar_at(c, '"')) {
            if (!r5_skip_quoted(c->s, c->len, &c->pos))
                return false;
        } else {
            c->pos++;
        }
    }
    return false;
}

bool
ar_parse(const char *value, size_t len, struct ar_header *out)
{
    struct ar_cursor c = { value, len, 0 };
    struct ar_sink id;

    memset(out, 0, sizeof(*out));
    out->version = 1;
    /* A NUL cannot come from a well-formed field; downstream code would
     * stop at it while we read on. */
    if (value == NULL || memchr(value, '\0', len) != NULL)
        return false;

    ar_sink_init(&id, out->authserv_id, sizeof(out->authserv_id));
    if (!ar_skip_cfws(&c) || !ar_read_id(&c, &id) || id.bad ||
        !ar_skip_cfws(&c))
        goto bad_id;
    if (ar_is_digit(ar_peek(&c)) &&
        (!ar_read_number(&c, &out->version) || !ar_skip_cfws(&c)))
        goto bad_id;
    if (!ar_at(&c, ';'))
        goto bad_id;

    while (ar_at(&c, ';')) {
        struct ar_result *r;

        c.pos++;
        if (!ar_skip_cfws(&c))
            break;
        if (ar_at_end(&c) || ar_at(&c, ';'))
            continue;
        if (out->nresults == AR_MAX_RESULTS)
            break;
        r = &out->results[out->nresults];
        if (ar_parse_resinfo(&c, r)) {
            out->nresults++;
            continue;
        }
        memset(r, 0, sizeof(*r));
        if (!ar_resync(&c))
            break;
    }
    return true;

bad_id:
    memset(out->authserv_id, 0, sizeof(out->authserv_id));
    out->version = 1;
    return false;
}

const char *
ar_prop_get(const struct ar_result *r, const char *ptype, const char *name)
{
    for (size_t i = 0; i < r->nprops && i < AR_MAX_PROPS; i++) {
        const struct ar_prop *p = &r->props[i];

        if (strcasecmp(p->ptype, ptype) == 0 && strcasecmp(p->name, name) == 0)
            return p->value;
    }
    return NULL;
}
