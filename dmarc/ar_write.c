/*
 * ar_write.c: format our Authentication-Results fields (see ar_write.h).
 */
#include <config.h>

#include <stdio.h>
#include <string.h>

#include "dmarc/ar_write.h"

/* RFC 2045 token characters, less '/' which marks a job id in A-R ids. */
static bool
aw_token_char(unsigned char c)
{
    if (c <= 0x20 || c >= 0x7f)
        return false;
    return strchr("()<>@,;:\\\"/[]?=", c) == NULL;
}

static bool
aw_fits(int n, size_t outsz)
{
    return n > 0 && (size_t)n < outsz;
}

/* n bytes of token characters and '/'. */
static bool
aw_id_chars(const char *s, size_t n)
{
    for (size_t i = 0; i < n; i++) {
        if (!aw_token_char((unsigned char)s[i]) && s[i] != '/')
            return false;
    }
    return n > 0;
}

bool
aw_id_ok(const char *s)
{
    size_t n = s != NULL ? strlen(s) : 0;

    if (n == 0 || n > 257)
        return false;
    /* aw_format_id's quoted form holds nothing that needs escaping */
    if (s[0] == '"')
        return n >= 3 && s[n - 1] == '"' && aw_id_chars(s + 1, n - 2);
    return n <= 255 && aw_id_chars(s, n);
}

bool
aw_format_id(char *out, size_t outsz, const char *id, const char *jobid)
{
    if (!aw_id_ok(id) || id[0] == '"')
        return false;
    if (jobid == NULL || !aw_id_chars(jobid, strlen(jobid)) ||
        strchr(jobid, '/') != NULL || strlen(id) + strlen(jobid) > 254)
        return aw_fits(snprintf(out, outsz, "%s", id), outsz);
    return aw_fits(snprintf(out, outsz, "\"%s/%s\"", id, jobid), outsz);
}

bool
aw_domain_ok(const char *s)
{
    if (*s == '\0' || strlen(s) >= DM_DOMAIN_MAX)
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') ||
              c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* A comment after header.from when no From field gave the domain. */
static const char *
aw_standin(const struct dm_verdict *v)
{
    if (!v->from_standin)
        return "";
    return v->standin_helo
        ? " (no usable From field; the HELO name stands in)"
        : " (no usable From field; the MAIL FROM domain stands in)";
}

/*
 * The comment names a policy only when one was in force: a record was
 * found and applied (pass, fail, or temperror once it was found). A
 * "none" keeps OpenDMARC's one form, "(p=none dis=none)"; a permerror or
 * a temperror before any record was found has no comment at all, as
 * OpenDMARC writes its permerror.
 */
bool
aw_dmarc(char *out, size_t outsz, const char *id, const struct dm_verdict *v)
{
    char comment[64] = "";

    if (!aw_id_ok(id) || !aw_domain_ok(v->from_domain))
        return false;
    if (v->result == DM_RESULT_NONE)
        snprintf(comment, sizeof(comment), " (p=none dis=none)");
    else if (v->policy != DM_POLICY_ABSENT)
        snprintf(comment, sizeof(comment), " (p=%s dis=%s)",
                 dm_policy_name(v->policy),
                 dm_disposition_name(v->disposition));
    return aw_fits(snprintf(out, outsz, "%s; dmarc=%s%s header.from=%s%s",
                            id, dm_result_name(v->result), comment,
                            v->from_domain, aw_standin(v)), outsz);
}

bool
aw_spf(char *out, size_t outsz, const char *id, enum dm_auth result,
       const char *domain, bool helo)
{
    if (!aw_id_ok(id) || !aw_domain_ok(domain))
        return false;
    return aw_fits(snprintf(out, outsz, "%s; spf=%s smtp.%s=%s", id,
                            dm_auth_name(result), helo ? "helo" : "mailfrom",
                            domain), outsz);
}
