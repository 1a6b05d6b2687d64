/*
 * xml.h: one aggregate report as XML: RFC 9990's (the dmarc-2.0
 * namespace), or RFC 7489 appendix C's form for DMARCSpec rfc7489.
 */
#ifndef DM_XML_H
#define DM_XML_H

#include <stdbool.h>
#include "report/aggregate.h"
#include "report/rbuf.h"

/* Who reports: report_metadata. */
struct xml_meta {
    const char *org_name;       /* ReportOrgName */
    const char *email;          /* ReportContact */
    const char *extra_contact;  /* ReportContactInfo; NULL: none */
    const char *report_id;
    const char *generator;      /* "dmarc-milter 0.1.0" */
    bool rfc7489;               /* the older form */
};

/* Append report i of s to out; false when memory ran short. */
bool xml_report(const struct ag_set *s, size_t i, const struct xml_meta *m,
                struct rbuf *out);

#endif
