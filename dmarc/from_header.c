/*
 * from_header.c: the domains of an RFC 5322 address list (section 3.4,
 * with the obsolete forms of section 4.4).
 *
 * A lexer turns the field into atoms, quoted strings, domain literals and
 * specials, dropping folding white space and comments; a parser with one
 * token of lookahead then follows the grammar. Nothing is guessed: what
 * does not fit is FH_SYNTAX, so that a stray ">", an unclosed quote or an
 * encoded word that hides an "@" can never make us evaluate a domain other
 * than the one a mail reader shows.
 */
#include <config.h>

#include <stdbool.h>
#include <string.h>

#include "dns/dns.h"
#include "dmarc/from_header.h"
#include "dmarc/rfc5322.h"

/* Domain text as written; U-labels are longer than their A-labels. */
#define FH_RAW_DOMAIN_MAX 1024

enum fh_tok {
    FH_TOK_END,
    FH_TOK_ATOM,
    FH_TOK_QSTRING,
    FH_TOK_LITERAL,     /* [ ... ] */
    FH_TOK_SPECIAL,     /* one of < > @ , ; : . */
    FH_TOK_BAD          /* a byte or construct no address may contain */
};

struct fh_token {
    enum fh_tok type;
    char special;
    const char *text;   /* atoms only: they are all a domain is made of */
    size_t len;
};

struct fh_parser {
    const char *s;
    size_t len;
    size_t pos;
    struct fh_token tok;
    struct fh_result *res;
    bool no_domain;
    bool too_many;
};

/* What a run of words and dots looked like, to judge it as a phrase
 * (display name) or as a local part once we see what follows it. */
struct fh_words {
    size_t words;
    size_t dots;
    bool first_is_word;
    bool adjacent;      /* two words with no dot between them */
};

static bool
fh_is_atext(unsigned char c)
{
    if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
        (c >= '0' && c <= '9'))
        return true;
    /* RFC 6532: UTF-8 is atext; dn_normalize() judges it in domains. */
    if (c >= 0x80)
        return true;
    return c != '\0' && strchr("!#$%&'*+-/=?^_`{|}~", c) != NULL;
}

static void
fh_advance(struct fh_parser *p)
{
    struct fh_token *t = &p->tok;
    unsigned char c;

    memset(t, 0, sizeof(*t));
    if (!r5_skip_cfws(p->s, p->len, &p->pos)) {
        t->type = FH_TOK_BAD;
        return;
    }
    if (p->pos >= p->len) {
        t->type = FH_TOK_END;
        return;
    }
    c = (unsigned char)p->s[p->pos];
    if (c == '"') {
        t->type = r5_skip_quoted(p->s, p->len, &p->pos) ?
            FH_TOK_QSTRING : FH_TOK_BAD;
    } else if (c == '[') {
        t->type = r5_skip_literal(p->s, p->len, &p->pos) ?
            FH_TOK_LITERAL : FH_TOK_BAD;
    } else if (c != '\0' && strchr("<>@,;:.", c) != NULL) {
        t->type = FH_TOK_SPECIAL;
        t->special = (char)c;
        p->pos++;
    } else if (fh_is_atext(c)) {
        t->type = FH_TOK_ATOM;
        t->text = p->s + p->pos;
        while (p->pos < p->len && fh_is_atext((unsigned char)p->s[p->pos]))
            p->pos++;
        t->len = (size_t)(p->s + p->pos - t->text);
    } else {
        t->type = FH_TOK_BAD;
    }
}

static bool
fh_at(const struct fh_parser *p, char special)
{
    return p->tok.type == FH_TOK_SPECIAL && p->tok.special == special;
}

static bool
fh_at_word(const struct fh_parser *p)
{
    return p->tok.type == FH_TOK_ATOM || p->tok.type == FH_TOK_QSTRING;
}

/* Words and dots: a display name or a local part, we do not know yet. */
static void
fh_collect_words(struct fh_parser *p, struct fh_words *w)
{
    bool prev_word = false;

    memset(w, 0, sizeof(*w));
    while (fh_at_word(p) || fh_at(p, '.')) {
        if (fh_at_word(p)) {
            if (w->words == 0 && w->dots == 0)
                w->first_is_word = true;
            if (prev_word)
                w->adjacent = true;
            w->words++;
            prev_word = true;
        } else {
            w->dots++;
            prev_word = false;
        }
        fh_advance(p);
    }
}

/*
 * A local part is word *("." word). Stray dots ("a..b", "a.") are let
 * through: common in the wild and of no consequence for the domain. Two
 * words with nothing between them ("John Smith@x") are not.
 */
static bool
fh_valid_local(const struct fh_words *w)
{
    return w->words > 0 && !w->adjacent;
}

/* A phrase must start with a word; "J. Doe" (obs-phrase) is fine. */
static bool
fh_valid_phrase(const struct fh_words *w)
{
    return w->words > 0 && w->first_is_word;
}

static void
fh_record(struct fh_parser *p, const char *raw, size_t n)
{
    char spare[DM_DOMAIN_MAX];
    char *out;

    if (p->res->count < FH_MAX_ADDRS) {
        out = p->res->domain[p->res->count];
    } else {
        p->too_many = true;
        out = spare;
    }
    if (dn_normalize(raw, n, out, DM_DOMAIN_MAX) != DN_OK) {
        out[0] = '\0';
        p->no_domain = true;
        return;
    }
    if (out != spare)
        p->res->count++;
}

/*
 * After "@": dot-atom, obs-domain (CFWS around the dots) or a domain
 * literal. Only the atoms and dots are kept; dn_normalize() judges them.
 * keep is false for the domains of an obsolete route, which are skipped.
 */
static bool
fh_parse_domain(struct fh_parser *p, bool keep)
{
    char raw[FH_RAW_DOMAIN_MAX];
    size_t n = 0;
    bool overflow = false, prev_atom = false, any = false;

    if (p->tok.type == FH_TOK_LITERAL) {
        fh_advance(p);
        if (keep)
            p->no_domain = true;
        return true;
    }
    while (p->tok.type == FH_TOK_ATOM || fh_at(p, '.')) {
        const char *text = p->tok.type == FH_TOK_ATOM ? p->tok.text : ".";
        size_t tlen = p->tok.type == FH_TOK_ATOM ? p->tok.len : 1;

        if (p->tok.type == FH_TOK_ATOM) {
            /* "a@good.example evil.example": two names, not one. */
            if (prev_atom)
                return false;
            prev_atom = true;
        } else {
            prev_atom = false;
        }
        if (tlen > sizeof(raw) - n) {
            overflow = true;
        } else {
            memcpy(raw + n, text, tlen);
            n += tlen;
        }
        any = true;
        fh_advance(p);
    }
    if (!any)
        return false;
    if (!keep)
        return true;
    if (overflow)
        p->no_domain = true;
    else
        fh_record(p, raw, n);
    return true;
}

/* obs-route: *(CFWS / ",") "@" domain *("," [CFWS] ["@" domain]) ":" */
static bool
fh_parse_route(struct fh_parser *p)
{
    while (fh_at(p, ','))
        fh_advance(p);
    if (!fh_at(p, '@'))
        return false;
    fh_advance(p);
    if (!fh_parse_domain(p, false))
        return false;
    while (fh_at(p, ',')) {
        fh_advance(p);
        if (fh_at(p, '@')) {
            fh_advance(p);
            if (!fh_parse_domain(p, false))
                return false;
        }
    }
    if (!fh_at(p, ':'))
        return false;
    fh_advance(p);
    return true;
}

/* At "<": [obs-route] addr-spec ">". "<>" and "<user>" have no domain. */
static bool
fh_parse_angle(struct fh_parser *p)
{
    struct fh_words w;
    bool route = false;

    fh_advance(p);
    if (fh_at(p, '@') || fh_at(p, ',')) {
        if (!fh_parse_route(p))
            return false;
        route = true;
    }
    fh_collect_words(p, &w);
    if (fh_at(p, '>')) {
        if (route || (w.words + w.dots > 0 && !fh_valid_local(&w)))
            return false;
        p->no_domain = true;
        fh_advance(p);
        return true;
    }
    if (!fh_at(p, '@') || !fh_valid_local(&w))
        return false;
    fh_advance(p);
    if (!fh_parse_domain(p, true) || !fh_at(p, '>'))
        return false;
    fh_advance(p);
    return true;
}

static bool fh_parse_address(struct fh_parser *p, bool in_group);

/* After "g:": mailboxes, empty elements (obs-group-list), then ";". */
static bool
fh_parse_group(struct fh_parser *p)
{
    for (;;) {
        if (fh_at(p, ';')) {
            fh_advance(p);
            return true;
        }
        if (fh_at(p, ',')) {
            fh_advance(p);
            continue;
        }
        if (p->tok.type == FH_TOK_END || p->tok.type == FH_TOK_BAD)
            return false;
        if (!fh_parse_address(p, true))
            return false;
        if (!fh_at(p, ',') && !fh_at(p, ';'))
            return false;
    }
}

/*
 * One mailbox, or a group when not already inside one. Which it is shows
 * only after the leading words: "<" (name-addr), ":" (group), "@"
 * (addr-spec) or nothing (a local part alone: no domain). The caller
 * checks what follows.
 */
static bool
fh_parse_address(struct fh_parser *p, bool in_group)
{
    struct fh_words w;

    fh_collect_words(p, &w);
    if (fh_at(p, '<')) {
        if (w.words + w.dots > 0 && !fh_valid_phrase(&w))
            return false;
        return fh_parse_angle(p);
    }
    if (fh_at(p, ':')) {
        if (in_group || !fh_valid_phrase(&w))
            return false;
        fh_advance(p);
        return fh_parse_group(p);
    }
    if (fh_at(p, '@')) {
        if (!fh_valid_local(&w))
            return false;
        fh_advance(p);
        return fh_parse_domain(p, true);
    }
    if (w.words + w.dots == 0)
        return false;
    p->no_domain = true;
    return true;
}

enum fh_status
fh_parse(const char *value, size_t len, struct fh_result *res)
{
    struct fh_parser p;

    memset(res, 0, sizeof(*res));
    memset(&p, 0, sizeof(p));
    p.s = value;
    p.len = value != NULL ? len : 0;
    p.res = res;

    fh_advance(&p);
    /* obs-addr-list: empty elements may come anywhere. */
    while (p.tok.type != FH_TOK_END) {
        if (fh_at(&p, ',')) {
            fh_advance(&p);
            continue;
        }
        if (!fh_parse_address(&p, false))
            return FH_SYNTAX;
        if (fh_at(&p, ','))
            fh_advance(&p);
        else if (p.tok.type != FH_TOK_END)
            return FH_SYNTAX;
    }
    if (p.no_domain)
        return FH_NO_DOMAIN;
    if (p.too_many)
        return FH_TOO_MANY;
    return res->count > 0 ? FH_OK : FH_EMPTY;
}

const char *
fh_strerror(enum fh_status st)
{
    switch (st) {
    case FH_OK:        return "ok";
    case FH_EMPTY:     return "no address";
    case FH_SYNTAX:    return "not an RFC 5322 address list";
    case FH_NO_DOMAIN: return "an address has no usable domain";
    case FH_TOO_MANY:  return "too many addresses";
    }
    return "unknown";
}
