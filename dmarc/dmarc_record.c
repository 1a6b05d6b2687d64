/*
 * dmarc_record.c: parse one DMARC policy record (RFC 7489 6.3, 6.4,
 * 6.6.3; the DMARCbis tags np, t and psd are kept).
 *
 * The record is a tag list "tag=value; tag=value". All work is done on
 * (pointer, length) spans of the caller's buffer: nothing is copied,
 * nothing is allocated, and any byte, NUL included, is just a byte that
 * fails to match.
 *
 * Choices where the RFC is silent:
 *  - a repeated tag keeps its first occurrence, valid or not, so a record
 *    cannot be made stricter or weaker by appending to it;
 *  - a segment without '=' or with an empty tag name is skipped;
 *  - rua and ruf keep only their valid URIs, whole, up to the room of
 *    the record (a URI cut short would send a report elsewhere); fo
 *    keeps its known options; rf and ri are ignored (RFC 9989 drops
 *    them, and we send AFRF at day intervals).
 */
#include <config.h>

#include <stddef.h>
#include <string.h>

#include "dmarc/dmarc_record.h"

struct dr_span {
    const char *p;
    size_t n;
};

struct dr_tag {
    struct dr_span name;
    struct dr_span val;
    bool has_eq;
};

enum dr_tag_id {
    DR_TAG_P, DR_TAG_SP, DR_TAG_NP, DR_TAG_ADKIM, DR_TAG_ASPF, DR_TAG_PCT,
    DR_TAG_RUA, DR_TAG_T, DR_TAG_PSD, DR_TAG_RUF, DR_TAG_FO, DR_TAG__COUNT
};

static const char *const dr_tag_names[DR_TAG__COUNT] = {
    "p", "sp", "np", "adkim", "aspf", "pct", "rua", "t", "psd", "ruf", "fo"
};

static bool
dr_wsp(char c)
{
    return c == ' ' || c == '\t';
}

static char
dr_lower(char c)
{
    return c >= 'A' && c <= 'Z' ? (char)(c + ('a' - 'A')) : c;
}

static bool
dr_alpha(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static bool
dr_digit(char c)
{
    return c >= '0' && c <= '9';
}

static struct dr_span
dr_trim(const char *p, size_t n)
{
    struct dr_span s;

    while (n > 0 && dr_wsp(p[0])) {
        p++;
        n--;
    }
    while (n > 0 && dr_wsp(p[n - 1]))
        n--;
    s.p = p;
    s.n = n;
    return s;
}

/* ASCII case-insensitive comparison of a span with a whole word. */
static bool
dr_is(struct dr_span s, const char *word)
{
    size_t wl = strlen(word);

    if (s.n != wl)
        return false;
    for (size_t i = 0; i < wl; i++) {
        if (dr_lower(s.p[i]) != word[i])
            return false;
    }
    return true;
}

/*
 * Take the next ';'-separated segment starting at *pos. Returns false when
 * the record is used up. An empty record or a trailing ';' yields one empty
 * segment, which callers skip.
 */
static bool
dr_next(const char *txt, size_t len, size_t *pos, struct dr_tag *t)
{
    const char *seg, *semi, *eq;
    size_t n;

    if (*pos > len)
        return false;
    seg = txt + *pos;
    semi = memchr(seg, ';', len - *pos);
    n = semi ? (size_t)(semi - seg) : len - *pos;
    *pos += n + 1;

    eq = memchr(seg, '=', n);
    t->has_eq = eq != NULL;
    if (eq == NULL) {
        t->name = dr_trim(seg, n);
        t->val = dr_trim(seg + n, 0);
    } else {
        size_t nl = (size_t)(eq - seg);
        t->name = dr_trim(seg, nl);
        t->val = dr_trim(eq + 1, n - nl - 1);
    }
    return true;
}

/*
 * The tag name "v" is case-insensitive like every ABNF literal, but its
 * value is %s"DMARC1": RFC 7489 6.3 says it "MUST match precisely",
 * RFC 9989 4.7 spells it case-sensitive. "v=dmarc1" is not DMARC.
 */
bool
dmarc_record_is_dmarc(const char *txt, size_t len)
{
    struct dr_tag t;
    size_t pos = 0;

    if (txt == NULL || !dr_next(txt, len, &pos, &t))
        return false;
    return t.has_eq && dr_is(t.name, "v") && t.val.n == 6 &&
        memcmp(t.val.p, "DMARC1", 6) == 0;
}

/* Exact words only: "rej" or "rejection" are not "reject". */
static bool
dr_policy(struct dr_span v, enum dm_policy *out)
{
    if (dr_is(v, "none"))
        *out = DM_POLICY_NONE;
    else if (dr_is(v, "quarantine"))
        *out = DM_POLICY_QUARANTINE;
    else if (dr_is(v, "reject"))
        *out = DM_POLICY_REJECT;
    else
        return false;
    return true;
}

static bool
dr_align(struct dr_span v, enum dmarc_align_mode *out)
{
    if (dr_is(v, "r"))
        *out = DMARC_ALIGN_RELAXED;
    else if (dr_is(v, "s"))
        *out = DMARC_ALIGN_STRICT;
    else
        return false;
    return true;
}

/* RFC 7489 6.4: 1*3DIGIT, and only 0..100 makes sense. */
static bool
dr_pct(struct dr_span v, int *out)
{
    int n = 0;

    if (v.n < 1 || v.n > 3)
        return false;
    for (size_t i = 0; i < v.n; i++) {
        if (!dr_digit(v.p[i]))
            return false;
        n = n * 10 + (v.p[i] - '0');
    }
    if (n > 100)
        return false;
    *out = n;
    return true;
}

static bool
dr_hex(char c)
{
    c = dr_lower(c);
    return dr_digit(c) || (c >= 'a' && c <= 'f');
}

/*
 * Characters a URI may hold literally (RFC 3986 unreserved, gen-delims and
 * sub-delims). ',' and '!' are not in the set: RFC 7489 6.4 reserves them
 * as list and size separators, so inside a URI they must be %-encoded.
 */
static bool
dr_uri_char(char c)
{
    if (dr_alpha(c) || dr_digit(c))
        return true;
    return c != '\0' && strchr("-._~:/?#[]@$&'()*+=", c) != NULL;
}

/* mailto: needs one addr-spec, local@domain, before any ?header part. */
static bool
dr_mailto_ok(const char *p, size_t n)
{
    const char *q = memchr(p, '?', n);
    const char *at;
    size_t an = q ? (size_t)(q - p) : n;

    at = memchr(p, '@', an);
    if (at == NULL || at == p || at == p + an - 1)
        return false;
    return memchr(at + 1, '@', an - (size_t)(at - p) - 1) == NULL;
}

/* One dmarc-uri: an absolute URI with an optional "!size[kmgt]" suffix. */
static bool
dr_uri_ok(struct dr_span u)
{
    const char *bang = memchr(u.p, '!', u.n);
    size_t n = bang ? (size_t)(bang - u.p) : u.n;
    size_t i, scheme;

    if (bang != NULL) {
        const char *s = bang + 1;
        size_t sn = u.n - n - 1, d = 0;

        while (d < sn && dr_digit(s[d]))
            d++;
        if (d == 0)
            return false;
        if (d < sn) {
            char unit = dr_lower(s[d]);
            if (sn - d != 1 || (unit != 'k' && unit != 'm' && unit != 'g' &&
                                unit != 't'))
                return false;
        }
    }

    /* scheme = ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) ":" */
    if (n == 0 || !dr_alpha(u.p[0]))
        return false;
    for (i = 1; i < n && u.p[i] != ':'; i++) {
        char c = u.p[i];
        if (!dr_alpha(c) && !dr_digit(c) && c != '+' && c != '-' && c != '.')
            return false;
    }
    if (i >= n - 1)
        return false;           /* no ':' or nothing after it */
    scheme = i;

    for (i = scheme + 1; i < n; i++) {
        if (u.p[i] == '%') {
            if (n - i < 3 || !dr_hex(u.p[i + 1]) || !dr_hex(u.p[i + 2]))
                return false;
            i += 2;
        } else if (!dr_uri_char(u.p[i])) {
            return false;
        }
    }

    if (dr_is((struct dr_span){ u.p, scheme }, "mailto"))
        return dr_mailto_ok(u.p + scheme + 1, n - scheme - 1);
    return true;
}

/*
 * The valid URIs of the list into buf, comma-separated, each whole:
 * one that does not fit is left out with all after it. True when at
 * least one URI is valid, whether or not it fitted.
 */
static bool
dr_uri_list_copy(struct dr_span v, char *buf, size_t size)
{
    bool any = false, full = false;
    size_t pos = 0, len = 0;

    buf[0] = '\0';
    while (pos <= v.n) {
        const char *comma = memchr(v.p + pos, ',', v.n - pos);
        size_t n = comma ? (size_t)(comma - (v.p + pos)) : v.n - pos;
        struct dr_span u = dr_trim(v.p + pos, n);

        if (dr_uri_ok(u)) {
            any = true;
            full = full || len + (len > 0) + u.n + 1 > size;
            if (!full) {
                if (len > 0)
                    buf[len++] = ',';
                memcpy(buf + len, u.p, u.n);
                len += u.n;
                buf[len] = '\0';
            }
        }
        pos += n + 1;
    }
    return any;
}

/* fo: colon-separated options; unknown ones are ignored (RFC 7489 6.3). */
static unsigned
dr_fo(struct dr_span v)
{
    static const char opts[] = "01ds";
    unsigned fo = 0;
    size_t pos = 0;

    while (pos <= v.n) {
        const char *colon = memchr(v.p + pos, ':', v.n - pos);
        size_t n = colon ? (size_t)(colon - (v.p + pos)) : v.n - pos;
        struct dr_span o = dr_trim(v.p + pos, n);

        for (unsigned i = 0; o.n == 1 && i < 4; i++) {
            if (dr_lower(o.p[0]) == opts[i])
                fo |= 1u << i;
        }
        pos += n + 1;
    }
    return fo != 0 ? fo : DMARC_FO_0;
}

static int
dr_tag_id(struct dr_span name)
{
    for (int i = 0; i < DR_TAG__COUNT; i++) {
        if (dr_is(name, dr_tag_names[i]))
            return i;
    }
    return -1;
}

static void
dr_defaults(struct dmarc_record *rec)
{
    /* The URI lists, last, need only be empty strings. */
    memset(rec, 0, offsetof(struct dmarc_record, rua));
    rec->rua[0] = rec->ruf[0] = '\0';
    rec->p = rec->sp = rec->np = DM_POLICY_NONE;
    rec->adkim = rec->aspf = DMARC_ALIGN_RELAXED;
    rec->pct = 100;
    rec->psd = 'u';
    rec->fo = DMARC_FO_0;
}

enum dmarc_record_status
dmarc_record_parse(const char *txt, size_t len, struct dmarc_record *rec,
                   const char **why)
{
    return dmarc_record_parse_spec(txt, len, DM_SPEC_RFC7489, rec, why);
}

/* What the tags of one record said, beyond the values kept in *rec. */
struct dr_seen {
    bool tag[DR_TAG__COUNT];
    bool p_ok, sp_bad, np_bad;
};

/* One tag=value into *rec; a repeated tag keeps its first occurrence. */
static void
dr_tag_apply(const struct dr_tag *t, struct dmarc_record *rec,
             struct dr_seen *seen)
{
    int id;

    if (!t->has_eq || t->name.n == 0)
        return;
    id = dr_tag_id(t->name);
    if (id < 0 || seen->tag[id])
        return;
    seen->tag[id] = true;
    switch ((enum dr_tag_id)id) {
    case DR_TAG_P:
        seen->p_ok = dr_policy(t->val, &rec->p);
        break;
    case DR_TAG_SP:
        rec->sp_given = dr_policy(t->val, &rec->sp);
        seen->sp_bad = !rec->sp_given;
        break;
    case DR_TAG_NP:
        rec->np_given = dr_policy(t->val, &rec->np);
        seen->np_bad = !rec->np_given;
        break;
    case DR_TAG_ADKIM:
        (void)dr_align(t->val, &rec->adkim);
        break;
    case DR_TAG_ASPF:
        (void)dr_align(t->val, &rec->aspf);
        break;
    case DR_TAG_PCT:
        (void)dr_pct(t->val, &rec->pct);
        break;
    case DR_TAG_RUA:
        rec->has_rua = dr_uri_list_copy(t->val, rec->rua, sizeof(rec->rua));
        break;
    case DR_TAG_RUF:
        (void)dr_uri_list_copy(t->val, rec->ruf, sizeof(rec->ruf));
        break;
    case DR_TAG_FO:
        rec->fo = dr_fo(t->val);
        break;
    case DR_TAG_T:
        if (dr_is(t->val, "y") || dr_is(t->val, "n")) {
            rec->t_given = true;
            rec->testing = dr_lower(t->val.p[0]) == 'y';
        }
        break;
    case DR_TAG_PSD:
        if (dr_is(t->val, "y") || dr_is(t->val, "n") || dr_is(t->val, "u"))
            rec->psd = dr_lower(t->val.p[0]);
        break;
    case DR_TAG__COUNT:
        break;
    }
}

/* Why the policy words cannot be used as written, or NULL. */
static const char *
dr_problem(const struct dr_seen *seen, bool bis)
{
    if (!seen->tag[DR_TAG_P] && !bis)
        return "missing p tag";
    if (seen->tag[DR_TAG_P] && !seen->p_ok)
        return "invalid p value";
    if (seen->sp_bad)
        return "invalid sp value";
    if (seen->np_bad && bis)
        return "invalid np value";
    return NULL;
}

enum dmarc_record_status
dmarc_record_parse_spec(const char *txt, size_t len, enum dm_spec spec,
                        struct dmarc_record *rec, const char **why)
{
    struct dmarc_record scratch;
    struct dr_seen seen;
    struct dr_tag t;
    const char *problem;
    size_t pos = 0;

    if (rec == NULL)
        rec = &scratch;
    dr_defaults(rec);
    memset(&seen, 0, sizeof(seen));
    if (why != NULL)
        *why = NULL;
    if (!dmarc_record_is_dmarc(txt, len)) {
        if (why != NULL)
            *why = "first tag is not v=DMARC1";
        return DMARC_RECORD_NOT_DMARC;
    }
    (void)dr_next(txt, len, &pos, &t);     /* skip the v tag */
    while (dr_next(txt, len, &pos, &t))
        dr_tag_apply(&t, rec, &seen);

    /* RFC 9989 4.7: p is optional; a record without it is p=none. */
    problem = dr_problem(&seen, spec == DM_SPEC_RFC9989);
    if (problem != NULL) {
        /*
         * RFC 7489 6.6.3, RFC 9989 4.10.1: act as if the record were
         * "v=DMARC1; p=none", so every policy word is none, not just p.
         */
        if (!rec->has_rua) {
            dr_defaults(rec);
            if (why != NULL)
                *why = problem;
            return DMARC_RECORD_INVALID;
        }
        rec->p = rec->sp = rec->np = DM_POLICY_NONE;
        rec->sp_given = rec->np_given = false;
        rec->p_from_rua_fallback = true;
        return DMARC_RECORD_OK;
    }
    if (!rec->sp_given)
        rec->sp = rec->p;
    if (!rec->np_given)
        rec->np = rec->sp;
    return DMARC_RECORD_OK;
}
