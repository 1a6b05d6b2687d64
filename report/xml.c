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

/* <name> and </name>\n, in pieces: a million rows make printf's cost
   count */
static void
xml_open(struct rbuf *b, const char *indent, const char *name)
{
    rb_str(b, indent);
    rb_add(b, "<", 1);
    rb_str(b, name);
    rb_add(b, ">", 1);
}

static void
xml_close(struct rbuf *b, const char *name)
{
    rb_add(b, "</", 2);
    rb_str(b, name);
    rb_add(b, ">\n", 2);
}

/* <name>escaped text</name> */
static void
xml_el(struct rbuf *b, const char *indent, const char *name, const char *v)
{
    xml_open(b, indent, name);
    rb_xml(b, v);
    xml_close(b, name);
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
    rb_str(b, "  <report_metadata>\n");
    xml_el(b, "    ", "org_name", m->org_name);
    xml_el(b, "    ", "email", m->email);
    if (m->extra_contact != NULL && m->extra_contact[0] != '\0')
        xml_el(b, "    ", "extra_contact_info", m->extra_contact);
    xml_el(b, "    ", "report_id", m->report_id);
    rb_printf(b, "    <date_range>\n      <begin>%lld</begin>\n"
              "      <end>%lld</end>\n    </date_range>\n", r->begin,
              r->end - 1);
    if (!m->rfc7489 && m->generator != NULL)
        xml_el(b, "    ", "generator", m->generator);
    rb_str(b, "  </report_metadata>\n");
}

/* Unspecified tags are written with their defaults (RFC 9990 2.1.1). */
static void
xml_policy_published(struct rbuf *b, const struct ag_set *s,
                     const struct ag_report *r, bool rfc7489)
{
    char fo[8];
    char sp = r->sp ? r->sp : r->p, np = r->np ? r->np : sp;

    xml_fo(r->fo, fo);
    rb_str(b, "  <policy_published>\n");
    xml_el(b, "    ", "domain", ag_str(s, r->domain));
    if (!rfc7489 && r->discovery != HIST_DISCOVERY_UNKNOWN)
        xml_el(b, "    ", "discovery_method",
               r->discovery == HIST_DISCOVERY_PSL ? "psl" : "treewalk");
    if (rfc7489) {
        rb_printf(b, "    <adkim>%c</adkim>\n    <aspf>%c</aspf>\n",
                  r->adkim == 's' ? 's' : 'r', r->aspf == 's' ? 's' : 'r');
        xml_el(b, "    ", "p", xml_policy(r->p));
        xml_el(b, "    ", "sp", xml_policy(sp));
        rb_printf(b, "    <pct>%d</pct>\n", r->pct);
        xml_el(b, "    ", "fo", fo);
    } else {
        xml_el(b, "    ", "p", xml_policy(r->p));
        xml_el(b, "    ", "sp", xml_policy(sp));
        xml_el(b, "    ", "np", xml_policy(np));
        xml_el(b, "    ", "fo", fo);
        rb_printf(b, "    <adkim>%c</adkim>\n    <aspf>%c</aspf>\n",
                  r->adkim == 's' ? 's' : 'r', r->aspf == 's' ? 's' : 'r');
        rb_printf(b, "    <testing>%c</testing>\n", r->t == 'y' ? 'y' : 'n');
    }
    rb_str(b, "  </policy_published>\n");
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

    rb_str(b, "      <policy_evaluated>\n");
    xml_el(b, "        ", "disposition", xml_disp[k->disp]);
    xml_el(b, "        ", "dkim", k->dkim_pass ? "pass" : "fail");
    xml_el(b, "        ", "spf", k->spf_pass ? "pass" : "fail");
    snprintf(copy, sizeof(copy), "%s", ag_str(s, k->reasons));
    n = xml_split(copy, f, HIST_REASON_MAX);
    for (size_t i = 0; i < n; i++) {
        rb_str(b, "        <reason>\n");
        xml_el(b, "          ", "type", f[i][0]);
        if (f[i][1] != NULL && f[i][1][0] != '\0')
            xml_el(b, "          ", "comment", f[i][1]);
        rb_str(b, "        </reason>\n");
    }
    rb_str(b, "      </policy_evaluated>\n");
}

static void
xml_auth(struct rbuf *b, const struct ag_set *s, const struct ag_key *k,
         bool rfc7489)
{
    char copy[HIST_DKIM_MAX * (DM_DOMAIN_MAX + DM_SELECTOR_MAX + 16)];
    char *f[HIST_DKIM_MAX][3];
    size_t n;
    bool helo = k->spf_scope == HIST_SCOPE_HELO;

    rb_str(b, "    <auth_results>\n");
    snprintf(copy, sizeof(copy), "%s", ag_str(s, k->dkim));
    n = xml_split(copy, f, HIST_DKIM_MAX);
    for (size_t i = 0; i < n; i++) {
        rb_str(b, "      <dkim>\n");
        xml_el(b, "        ", "domain", f[i][0]);
        xml_el(b, "        ", "selector", f[i][1] ? f[i][1] : "");
        xml_el(b, "        ", "result", f[i][2] ? f[i][2] : "none");
        rb_str(b, "      </dkim>\n");
    }
    /* RFC 9990: only the MAIL FROM identity; RFC 7489: always one */
    if (k->has_spf && !(helo && !rfc7489)) {
        rb_str(b, "      <spf>\n");
        xml_el(b, "        ", "domain", ag_str(s, k->spf_domain));
        xml_el(b, "        ", "scope", helo ? "helo" : "mfrom");
        xml_el(b, "        ", "result", dm_auth_name(k->spf_result));
        rb_str(b, "      </spf>\n");
    } else if (rfc7489) {
        rb_str(b, "      <spf>\n");
        xml_el(b, "        ", "domain", ag_str(s, k->null_sender ?
                                             k->header_from : k->envelope_from));
        rb_str(b, "        <scope>mfrom</scope>\n"
               "        <result>none</result>\n      </spf>\n");
    }
    rb_str(b, "    </auth_results>\n");
}

static void
xml_record(struct rbuf *b, const struct ag_set *s, const struct ag_row *row,
           bool rfc7489)
{
    const struct ag_key *k = &row->key;

    rb_str(b, "  <record>\n    <row>\n");
    xml_el(b, "      ", "source_ip", ag_str(s, k->ip));
    xml_open(b, "      ", "count");
    rb_u64(b, row->count);
    xml_close(b, "count");
    xml_evaluated(b, s, k);
    rb_str(b, "    </row>\n    <identifiers>\n");
    xml_el(b, "      ", "header_from", ag_str(s, k->header_from));
    /* present but empty for the null sender (RFC 9990 2.1) */
    if (!rfc7489)
        xml_el(b, "      ", "envelope_from", ag_str(s, k->envelope_from));
    rb_str(b, "    </identifiers>\n");
    xml_auth(b, s, k, rfc7489);
    rb_str(b, "  </record>\n");
}

bool
xml_report(const struct ag_set *s, size_t i, const struct xml_meta *m,
           struct rbuf *out)
{
    const struct ag_report *r = ag_report(s, i);
    const struct ag_row *rows = ag_rows(s);

    rb_str(out, "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
    if (m->rfc7489) {
        rb_str(out, "<feedback>\n");
    } else {
        rb_str(out, "<feedback xmlns=\"urn:ietf:params:xml:ns:dmarc-2.0\">\n"
               "  <version>1.0</version>\n");
    }
    xml_metadata(out, r, m);
    xml_policy_published(out, s, r, m->rfc7489);
    for (size_t j = 0; j < r->n_rows; j++)
        xml_record(out, s, &rows[r->first_row + j], m->rfc7489);
    rb_str(out, "</feedback>\n");
    return !out->oom;
}
