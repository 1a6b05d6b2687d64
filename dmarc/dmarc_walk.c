/*
 * dmarc_walk.c: DMARC record fetching, and the RFC 9989 DNS Tree Walk
 * (section 4.10) with the organizational domain it yields (4.10.2).
 *
 * The walk replaces the public suffix list: owners say where their
 * organization ends with psd=n, public suffix operators say where theirs
 * starts with psd=y, and otherwise the highest name with a record wins.
 */
#include <config.h>

#include <string.h>
#include <strings.h>

#include "dmarc/dmarc_walk.h"


bool
dw_name_ok(const char *name)
{
    size_t label = 0;

    if (strlen(name) > DW_QNAME_MAX)
        return false;
    for (const char *p = name; *p != '\0'; p++) {
        label = *p == '.' ? 0 : label + 1;
        if (label > 63)
            return false;
    }
    return true;
}

/* "_dmarc.<domain>" into qname, when a query can carry it. */
static bool
dw_queryable(const char *domain, char *qname)
{
    if (strlen(domain) > DW_QNAME_MAX - (sizeof("_dmarc.") - 1) ||
        !dw_name_ok(domain))
        return false;
    strcpy(qname, "_dmarc.");
    strcat(qname, domain);
    return true;
}

enum dw_found
dw_fetch(const struct dns_txt_resolver *dns, const char *domain,
         enum dm_spec spec, struct dns_txt_answer *ans,
         struct dmarc_record *rec)
{
    char qname[DW_QNAME_MAX + 1];
    size_t found = 0, which = 0;
    const char *why;

    if (!dw_queryable(domain, qname))
        return DW_NONE;
    switch (dns->lookup(dns->arg, qname, ans)) {
    case DNS_OK:
        break;
    case DNS_NXDOMAIN:
    case DNS_NODATA:
        return DW_NONE;
    case DNS_TEMPFAIL:
    case DNS_PERMFAIL:
        /* A broken server is not "no policy": OpenDMARC's fail-open. */
        return DW_TEMPFAIL;
    }
    for (size_t i = 0; i < ans->count && i < DNS_TXT_MAX_RECORDS; i++) {
        if (dmarc_record_is_dmarc(ans->rr[i].data, ans->rr[i].len)) {
            found++;
            which = i;
        }
    }
    if (found == 0)
        return DW_NONE;
    if (found > 1)
        return DW_MULTIPLE;
    if (dmarc_record_parse_spec(ans->rr[which].data, ans->rr[which].len, spec,
                                rec, &why) != DMARC_RECORD_OK)
        return DW_INVALID;
    return DW_FOUND;
}

static size_t
dw_labels(const char *d)
{
    size_t n = *d != '\0';

    for (; *d != '\0'; d++)
        n += *d == '.';
    return n;
}

/* The last keep labels of d (d has labels labels, keep <= labels). */
static const char *
dw_suffix(const char *d, size_t labels, size_t keep)
{
    for (size_t drop = labels - keep; drop > 0; drop--) {
        const char *dot = strchr(d, '.');

        if (dot == NULL)
            break;
        d = dot + 1;
    }
    return d;
}

/* Query one name; true when the walk must stop here. */
static bool
dw_visit(const struct dns_txt_resolver *dns, const char *name, bool is_start,
         struct dns_txt_answer *ans, struct dw_walk *w)
{
    struct dw_hit *h;

    if (w->n_hits >= DW_MAX_QUERIES || w->queries >= DW_MAX_QUERIES)
        return true;
    h = &w->hit[w->n_hits];
    w->queries++;
    switch (dw_fetch(dns, name, DM_SPEC_RFC9989, ans, &h->rec)) {
    case DW_TEMPFAIL:
        w->tempfail = true;
        return true;
    case DW_INVALID:
        /* Not a valid record: the walk passes it by (4.10 steps 2, 7). */
        if (is_start)
            w->start_invalid = true;
        return false;
    case DW_NONE:
    case DW_MULTIPLE:
        return false;
    case DW_FOUND:
        break;
    }
    strcpy(h->domain, name);
    w->n_hits++;
    return h->rec.psd == 'n' || (h->rec.psd == 'y' && !is_start);
}

void
dw_walk_more(const struct dns_txt_resolver *dns, const char *start,
             struct dns_txt_answer *ans, struct dw_walk *w)
{
    size_t labels = dw_labels(start);

    while (w->next_keep > 0 && w->next_keep < labels) {
        const char *name = dw_suffix(start, labels, w->next_keep);

        w->next_keep--;
        if (dw_visit(dns, name, false, ans, w)) {
            w->next_keep = 0;
            return;
        }
    }
    w->next_keep = 0;
}

void
dw_walk(const struct dns_txt_resolver *dns, const char *start,
        bool stop_at_start, struct dns_txt_answer *ans, struct dw_walk *w)
{
    size_t labels = dw_labels(start);

    /* Not the hits (8 records with their rua and ruf): n_hits says which
       are written. */
    w->n_hits = 0;
    w->queries = 0;
    w->tempfail = false;
    w->start_invalid = false;
    w->next_keep = 0;
    if (labels == 0)
        return;
    /* Step 5: at most seven names above start, the shortest ones. */
    w->next_keep = labels - 1 < DW_MAX_QUERIES - 1 ?
        labels - 1 : DW_MAX_QUERIES - 1;
    if (dw_visit(dns, start, true, ans, w)) {
        w->next_keep = 0;
        return;
    }
    if (stop_at_start && (w->n_hits > 0 || w->start_invalid))
        return;
    dw_walk_more(dns, start, ans, w);
}

static const struct dw_hit *
dw_find(const struct dw_walk *w, const char *domain)
{
    for (size_t i = 0; i < w->n_hits; i++) {
        if (strcasecmp(w->hit[i].domain, domain) == 0)
            return &w->hit[i];
    }
    return NULL;
}

const struct dw_hit *
dw_psd_hit(const struct dw_walk *w, const char *start)
{
    const struct dw_hit *last;

    if (w->n_hits == 0)
        return NULL;
    last = &w->hit[w->n_hits - 1];
    if (last->rec.psd != 'y' || strcasecmp(last->domain, start) == 0)
        return NULL;
    return last;
}

const struct dw_hit *
dw_org_domain(const struct dw_walk *w, const char *start, char *out)
{
    size_t labels = dw_labels(start);
    const struct dw_hit *h;

    for (size_t i = 0; i < w->n_hits; i++) {
        h = &w->hit[i];
        if (h->rec.psd == 'n') {
            strcpy(out, h->domain);
            return h;
        }
        if (h->rec.psd == 'y' && strcasecmp(h->domain, start) != 0) {
            size_t below = dw_labels(h->domain) + 1;

            strcpy(out, dw_suffix(start, labels, below <= labels ?
                                  below : labels));
            return dw_find(w, out);
        }
    }
    if (w->n_hits == 0) {
        strcpy(out, start);
        return NULL;
    }
    h = &w->hit[w->n_hits - 1];
    strcpy(out, h->domain);
    return h;
}
