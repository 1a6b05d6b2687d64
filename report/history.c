/*
 * history.c: format one message's record in OpenDMARC's HistoryFile
 * format (1.4.2's keys in 1.4.2's order, then our extension keys, with
 * "action" last), and the names the reader and the report share.
 */
#include <config.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "report/history.h"
#include "report/hist_codes.h"

static const char *const hist_reason_names[HIST_REASON__COUNT] = {
    "forwarded", "sampled_out", "trusted_forwarder", "mailing_list",
    "local_policy", "policy_test_mode", "other",
};

const char *
hist_reason_name(enum hist_reason_type t)
{
    return (unsigned)t < HIST_REASON__COUNT ? hist_reason_names[t] : NULL;
}

bool
hist_reason_parse(const char *word, enum hist_reason_type *out)
{
    for (size_t i = 0; i < HIST_REASON__COUNT; i++) {
        if (strcmp(word, hist_reason_names[i]) == 0) {
            *out = (enum hist_reason_type)i;
            return true;
        }
    }
    return false;
}

/* OpenDMARC's ARES result codes (opendmarc-ar.h), by enum dm_auth. */
static const int hist_ares[DM_AUTH__COUNT] = {
    [DM_AUTH_NONE] = 6, [DM_AUTH_PASS] = 0, [DM_AUTH_FAIL] = 7,
    [DM_AUTH_SOFTFAIL] = 2, [DM_AUTH_NEUTRAL] = 3, [DM_AUTH_TEMPERROR] = 4,
    [DM_AUTH_PERMERROR] = 5, [DM_AUTH_POLICY] = 8,
};

int
hc_ares_code(enum dm_auth a)
{
    return (unsigned)a < DM_AUTH__COUNT ? hist_ares[a] : 6;
}

bool
hc_ares_parse(long code, enum dm_auth *out)
{
    for (size_t i = 0; i < DM_AUTH__COUNT; i++) {
        if (hist_ares[i] == code) {
            *out = (enum dm_auth)i;
            return true;
        }
    }
    return false;
}

/* The output buffer; a write that does not fit marks it full. */
struct hist_out {
    char *buf;
    size_t size, len;
    bool full;
};

static void
ho_printf(struct hist_out *o, const char *fmt, ...)
{
    va_list ap;
    int n;

    if (o->full)
        return;
    va_start(ap, fmt);
    n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= o->size - o->len)
        o->full = true;
    else
        o->len += (size_t)n;
}

/*
 * Copy s into out, each byte that could end the field or the line made
 * '?': space too when the value is one word. "" becomes empty_as.
 */
static const char *
ho_clean(char *out, size_t outsz, const char *s, bool spaces,
         const char *empty_as)
{
    size_t i;

    if (s[0] == '\0')
        return empty_as;
    for (i = 0; s[i] != '\0' && i + 1 < outsz; i++) {
        unsigned char c = (unsigned char)s[i];
        out[i] = (c > 0x20 && c < 0x7f) || (spaces && c == ' ') ? (char)c
                                                                 : '?';
    }
    out[i] = '\0';
    return out;
}

/* key value, the value cleaned to one word ("" written as empty_as). */
static void
ho_word(struct hist_out *o, const char *key, const char *v,
        const char *empty_as)
{
    char tmp[HIST_HOST_MAX + HIST_URI_MAX];

    ho_printf(o, "%s %s\n", key, ho_clean(tmp, sizeof(tmp), v, false,
                                          empty_as));
}

/* A URI from DNS goes in only whole: any unsafe byte and it is left out. */
static bool
hist_uri_safe(const char *u)
{
    if (*u == '\0')
        return false;
    for (; *u != '\0'; u++)
        if ((unsigned char)*u <= 0x20 || (unsigned char)*u >= 0x7f)
            return false;
    return true;
}

static void
hist_format_auth(struct hist_out *o, const struct hist_record *r)
{
    char d[DM_DOMAIN_MAX], s[DM_SELECTOR_MAX];

    for (size_t i = 0; i < r->n_dkim && i < HIST_DKIM_MAX; i++) {
        const struct hist_dkim *k = &r->dkim[i];
        ho_printf(o, "dkim %s %s %d\n",
                  ho_clean(d, sizeof(d), k->domain, false, "-"),
                  ho_clean(s, sizeof(s), k->selector, false, "-"),
                  hc_ares_code(k->result));
    }
    ho_printf(o, "spf %d\n", r->spf_evaluated ? hc_ares_code(r->spf) : -1);
    ho_printf(o, "spf_scope %d\n", r->spf_scope == HIST_SCOPE_MFROM ? 1 :
              r->spf_scope == HIST_SCOPE_HELO ? 2 : -1);
    ho_word(o, "spf_domain", r->spf_domain, "-");
}

static void
hist_format_policy(struct hist_out *o, const struct hist_record *r)
{
    size_t n = 0;

    ho_word(o, "pdomain", r->pdomain, "-");
    ho_printf(o, "policy %d\n", (int)r->policy);
    for (size_t i = 0; i < r->n_rua && i < HIST_RUA_MAX; i++) {
        if (hist_uri_safe(r->rua[i])) {
            ho_printf(o, "rua %s\n", r->rua[i]);
            n++;
        }
    }
    if (n == 0)
        ho_printf(o, "rua -\n");
    ho_printf(o, "pct %d\nadkim %d\naspf %d\np %d\nsp %d\n",
              r->pct < 0 ? 0 : r->pct > 100 ? 100 : r->pct,
              (unsigned char)r->adkim, (unsigned char)r->aspf,
              (unsigned char)r->p, (unsigned char)r->sp);
    ho_printf(o, "fo %u\nnp %d\nt %d\ndiscovery_method %s\n", r->fo & 15u,
              (unsigned char)r->np, (unsigned char)r->t,
              r->discovery == HIST_DISCOVERY_PSL ? "psl" :
              r->discovery == HIST_DISCOVERY_TREEWALK ? "treewalk" : "-");
}

int
hist_format(const struct hist_record *r, char *buf, size_t size)
{
    struct hist_out o = { buf, size, 0, size == 0 };
    char c[HIST_COMMENT_MAX];

    ho_word(&o, "job", r->job, "(unknown-jobid)");
    ho_word(&o, "reporter", r->reporter, "-");
    ho_printf(&o, "received %lld\n", r->received);
    ho_word(&o, "ipaddr", r->ipaddr, "127.0.0.1");
    ho_word(&o, "from", r->from, "-");
    ho_word(&o, "mfrom", r->mfrom, "");
    hist_format_auth(&o, r);
    hist_format_policy(&o, r);
    ho_printf(&o, "align_dkim %d\nalign_spf %d\narc %d\n"
              "arc_policy %d json:[]\n", (int)r->align_dkim,
              (int)r->align_spf, r->arc_pass ? 0 : 7, r->arc_pass ? 0 : 2);
    for (size_t i = 0; i < r->n_reasons && i < HIST_REASON_MAX; i++) {
        const char *name = hist_reason_name(r->reasons[i].type);
        if (name == NULL)
            continue;
        if (r->reasons[i].comment[0] == '\0')
            ho_printf(&o, "reason %s\n", name);
        else
            ho_printf(&o, "reason %s %s\n", name,
                      ho_clean(c, sizeof(c), r->reasons[i].comment, true,
                               ""));
    }
    ho_printf(&o, "action %d\n", (int)r->action);
    return o.full ? -1 : (int)o.len;
}
