/*
 * xml.c: write one aggregate report as XML (xml.h). Every string that
 * came from mail or DNS is escaped; element order follows the schema of
 * the form written (RFC 9990 appendix A, or RFC 7489 appendix C, which
 * has no version, np, testing, discovery_method, envelope_from or "pass"
 * disposition, and requires pct, fo and an SPF result).
 */
#include <config.h>
#include <string.h>
#include "report/xml.h"

static const char *const xml_disp[] = { "none", "pass", "quarantine",
                                        "reject" };

/* <name>escaped text</name> and a newline, after indent; the tags are
   literals joined when compiled (a million rows: no printf, no strlen) */
#define XML_EL(b, indent, name, v) do {                                \
    RB_LIT((b), indent "<" name ">");                                  \
    rb_xml((b), (v));                                                  \
    RB_LIT((b), "</" name ">\n");                                      \
} while (0)

/* The same for a value that needs no escaping: a word of ours. */
#define XML_WORD(b, indent, name, v) do {                              \
    RB_LIT((b), indent "<" name ">");                                  \
    rb_str((b), (v));                                                  \
    RB_LIT((b), "</" name ">\n");                                      \
} while (0)

/* A bounded copy of an interned list, to split in place. */
static void
xml_copy(char *out, size_t outsz, const char *s)
{
    size_t n = strnlen(s, outsz - 1);

    memcpy(out, s, n);
    out[n] = '\0';
}

static const char *
xml_policy(char c)
{
    return c == 'q' ? "quarantine" : c == 'r' ? "reject" : "none";
}

/* fo as written in the record: "0", "1", "d", "s", joined by ':'. */
static void
xml_fo(unsigned fo, char *out)
{
    static const char tags[] = "01ds";

    out[0] = '\0';
    for (int i = 0; i < 4; i++) {
        if (fo & (1u << i)) {
            size_t n = strlen(out);
            if (n > 0)
                out[n++] = ':';
            out[n] = tags[i];
            out[n + 1] = '\0';
        }
    }
    if (out[0] == '\0')
        strcpy(out, "0");
}

static void
xml_metadata(struct rbuf *b, const struct ag_report *r,
             const struct xml_meta *m)
{
    RB_LIT(b, "  <report_metadata>\n");
    XML_EL(b, "    ", "org_name", m->org_name);
    XML_EL(b, "    ", "email", m->email);
    if (m->extra_contact != NULL && m->extra_contact[0] != '\0')
        XML_EL(b, "    ", "extra_contact_info", m->extra_contact);
    XML_EL(b, "    ", "report_id", m->report_id);
    rb_printf(b, "    <date_range>\n      <begin>%lld</begin>\n"
              "      <end>%lld</end>\n    </date_range>\n", r->begin,
              r->end - 1);
    if (!m->rfc7489 && m->generator != NULL)
        XML_EL(b, "    ", "generator", m->generator);
    RB_LIT(b, "  </report_metadata>\n");
}

/* Unspecified tags are written with their defaults (RFC 9990 2.1.1). */
static void
xml_policy_published(struct rbuf *b, const struct ag_set *s,
                     const struct ag_report *r, bool rfc7489)
{
    char fo[8];
    char sp = r->sp ? r->sp : r->p, np = r->np ? r->np : sp;

    xml_fo(r->fo, fo);
    RB_LIT(b, "  <policy_published>\n");
    XML_EL(b, "    ", "domain", ag_str(s, r->domain));
    if (!rfc7489 && r->discovery != HIST_DISCOVERY_UNKNOWN)
        XML_EL(b, "    ", "discovery_method",
               r->discovery == HIST_DISCOVERY_PSL ? "psl" : "treewalk");
    if (rfc7489) {
        rb_printf(b, "    <adkim>%c</adkim>\n    <aspf>%c</aspf>\n",
                  r->adkim == 's' ? 's' : 'r', r->aspf == 's' ? 's' : 'r');
        XML_EL(b, "    ", "p", xml_policy(r->p));
        XML_EL(b, "    ", "sp", xml_policy(sp));
        rb_printf(b, "    <pct>%d</pct>\n", r->pct);
        XML_EL(b, "    ", "fo", fo);
    } else {
        XML_EL(b, "    ", "p", xml_policy(r->p));
        XML_EL(b, "    ", "sp", xml_policy(sp));
        XML_EL(b, "    ", "np", xml_policy(np));
        XML_EL(b, "    ", "fo", fo);
        rb_printf(b, "    <adkim>%c</adkim>\n    <aspf>%c</aspf>\n",
                  r->adkim == 's' ? 's' : 'r', r->aspf == 's' ? 's' : 'r');
        rb_printf(b, "    <testing>%c</testing>\n", r->t == 'y' ? 'y' : 'n');
    }
    RB_LIT(b, "  </policy_published>\n");
}

/* Each "a TAB b[ TAB c] NL" line of lines, split in place in copy. */
static size_t
xml_split(char *copy, char *fields[][3], size_t max)
{
    size_t n = 0;
    char *line = copy, *nl;

    while (n < max && (nl = strchr(line, '\n')) != NULL) {
        *nl = '\0';
        fields[n][0] = line;
        fields[n][1] = strchr(line, '\t');
        if (fields[n][1] != NULL)
            *fields[n][1]++ = '\0';
        fields[n][2] = fields[n][1] ? strchr(fields[n][1], '\t') : NULL;
        if (fields[n][2] != NULL)
            *fields[n][2]++ = '\0';
        n++;
        line = nl + 1;
    }
    return n;
}

static void
xml_evaluated(struct rbuf *b, const struct ag_set *s, const struct ag_key *k)
{
    char copy[HIST_REASON_MAX * (HIST_COMMENT_MAX + 32)];
    char *f[HIST_REASON_MAX][3];
    size_t n;

    RB_LIT(b, "      <policy_evaluated>\n");
    XML_WORD(b, "        ", "disposition", xml_disp[k->disp]);
    XML_WORD(b, "        ", "dkim", k->dkim_pass ? "pass" : "fail");
    XML_WORD(b, "        ", "spf", k->spf_pass ? "pass" : "fail");
    xml_copy(copy, sizeof(copy), ag_str(s, k->reasons));
    n = xml_split(copy, f, HIST_REASON_MAX);
    for (size_t i = 0; i < n; i++) {
        RB_LIT(b, "        <reason>\n");
        XML_EL(b, "          ", "type", f[i][0]);
        if (f[i][1] != NULL && f[i][1][0] != '\0')
            XML_EL(b, "          ", "comment", f[i][1]);
        RB_LIT(b, "        </reason>\n");
    }
    RB_LIT(b, "      </policy_evaluated>\n");
}

static void
xml_auth(struct rbuf *b, const struct ag_set *s, const struct ag_key *k,
         bool rfc7489)
{
    char copy[HIST_DKIM_MAX * (DM_DOMAIN_MAX + DM_SELECTOR_MAX + 16)];
    char *f[HIST_DKIM_MAX][3];
    size_t n;
    bool helo = k->spf_scope == HIST_SCOPE_HELO;

    RB_LIT(b, "    <auth_results>\n");
    xml_copy(copy, sizeof(copy), ag_str(s, k->dkim));
    n = xml_split(copy, f, HIST_DKIM_MAX);
    for (size_t i = 0; i < n; i++) {
        RB_LIT(b, "      <dkim>\n");
        XML_EL(b, "        ", "domain", f[i][0]);
        XML_EL(b, "        ", "selector", f[i][1] ? f[i][1] : "");
        XML_EL(b, "        ", "result", f[i][2] ? f[i][2] : "none");
        RB_LIT(b, "      </dkim>\n");
    }
    /* RFC 9990: only the MAIL FROM identity; RFC 7489: always one */
    if (k->has_spf && !(helo && !rfc7489)) {
        RB_LIT(b, "      <spf>\n");
        XML_EL(b, "        ", "domain", ag_str(s, k->spf_domain));
        XML_WORD(b, "        ", "scope", helo ? "helo" : "mfrom");
        XML_WORD(b, "        ", "result", dm_auth_name(k->spf_result));
        RB_LIT(b, "      </spf>\n");
    } else if (rfc7489) {
        RB_LIT(b, "      <spf>\n");
        XML_EL(b, "        ", "domain", ag_str(s, k->null_sender ?
                                             k->header_from : k->envelope_from));
        RB_LIT(b, "        <scope>mfrom</scope>\n"
               "        <result>none</result>\n      </spf>\n");
    }
    RB_LIT(b, "    </auth_results>\n");
}

static void
xml_record(struct rbuf *b, const struct ag_set *s, const struct ag_row *row,
           bool rfc7489)
{
    const struct ag_key *k = &row->key;

    RB_LIT(b, "  <record>\n    <row>\n");
    XML_EL(b, "      ", "source_ip", ag_str(s, k->ip));
    RB_LIT(b, "      <count>");
    rb_u64(b, row->count);
    RB_LIT(b, "</count>\n");
    xml_evaluated(b, s, k);
    RB_LIT(b, "    </row>\n    <identifiers>\n");
    XML_EL(b, "      ", "header_from", ag_str(s, k->header_from));
    /* present but empty for the null sender (RFC 9990 2.1) */
    if (!rfc7489)
        XML_EL(b, "      ", "envelope_from", ag_str(s, k->envelope_from));
    RB_LIT(b, "    </identifiers>\n");
    xml_auth(b, s, k, rfc7489);
    RB_LIT(b, "  </record>\n");
}

bool
xml_report(const struct ag_set *s, size_t i, const struct xml_meta *m,
           struct rbuf *out)
{
    const struct ag_report *r = ag_report(s, i);
    const struct ag_row *rows = ag_rows(s);

    RB_LIT(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (m->rfc7489) {
        RB_LIT(out, "<feedback>\n");
    } else {
        RB_LIT(out, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
               "  <version>1.0</version>\n");
    }
    xml_metadata(out, r, m);
    xml_policy_published(out, s, r, m->rfc7489);
    for (size_t j = 0; j < r->n_rows; j++)
        xml_record(out, s, &rows[r->first_row + j], m->rfc7489);
    RB_LIT(out, "</feedback>\n");
    return !out->oom;
}
