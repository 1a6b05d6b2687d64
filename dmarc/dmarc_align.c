/*
 * dmarc_align.c: identifier alignment, RFC 7489 section 3.1.
 */
#include <config.h>

#include <string.h>

#include "dmarc/dmarc_align.h"
#include "dmarc/verdict.h"

bool
dmarc_aligned(const struct od_list *psl, const char *from, const char *auth,
              enum dmarc_align_mode mode)
{
    char org_from[DM_DOMAIN_MAX], org_auth[DM_DOMAIN_MAX];

    if (*from == '\0' || *auth == '\0')
        return false;
    if (strcmp(from, auth) == 0)
        return true;
    if (mode == DMARC_ALIGN_STRICT)
        return false;
    /*
     * Relaxed: both names must share one organizational domain. Comparing
     * org domains (not "one is a suffix of the other") keeps a d= of a
     * public suffix such as co.uk from aligning with everything under it.
     */
    if (!od_lookup(psl, from, org_from, sizeof(org_from)) ||
        !od_lookup(psl, auth, org_auth, sizeof(org_auth)))
        return false;
    return strcmp(org_from, org_auth) == 0;
}
