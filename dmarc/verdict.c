/* verdict.c: names of the verdict values, as written in headers and logs. */
#include <config.h>
#include <strings.h>
#include "dmarc/verdict.h"

static const char *const result_names[DM_RESULT__COUNT] = {
    "none", "pass", "fail", "temperror", "permerror"
};
static const char *const policy_names[DM_POLICY__COUNT] = {
    "absent", "none", "quarantine", "reject"
};
static const char *const disp_names[DM_DISP__COUNT] = {
    "none", "quarantine", "reject"
};
static const char *const skip_names[DM_SKIP__COUNT] = {
    "evaluated", "ignored_host", "authenticated", "ignored_mailfrom", "no_from"
};
static const char *const auth_names[DM_AUTH__COUNT] = {
    "none", "pass", "fail", "softfail", "neutral", "temperror", "permerror",
    "policy"
};
static const char *const spec_names[DM_SPEC__COUNT] = {
    "rfc7489", "rfc9989"
};
static const char *const override_names[DM_OVERRIDE__COUNT] = {
    "none", "arc"
};

#define DM_NAME(table, v) \
    ((unsigned)(v) < sizeof(table) / sizeof(table[0]) ? table[v] : "unknown")

const char *dm_result_name(enum dm_result r) { return DM_NAME(result_names, r); }
const char *dm_policy_name(enum dm_policy p) { return DM_NAME(policy_names, p); }
const char *dm_disposition_name(enum dm_disposition d) { return DM_NAME(disp_names, d); }
const char *dm_skip_name(enum dm_skip s) { return DM_NAME(skip_names, s); }
const char *dm_auth_name(enum dm_auth a) { return DM_NAME(auth_names, a); }
const char *dm_spec_name(enum dm_spec s) { return DM_NAME(spec_names, s); }
const char *dm_override_name(enum dm_override o) { return DM_NAME(override_names, o); }

bool
dm_auth_parse(const char *word, enum dm_auth *out)
{
    for (unsigned i = 0; i < DM_AUTH__COUNT; i++) {
        if (strcasecmp(word, auth_names[i]) == 0) {
            *out = (enum dm_auth)i;
            return true;
        }
    }
    /* RFC 7001 spelled these "hardfail"/"temperror"; older SPF A-Rs use them. */
    if (strcasecmp(word, "hardfail") == 0) { *out = DM_AUTH_FAIL; return true; }
    if (strcasecmp(word, "tempfail") == 0) { *out = DM_AUTH_TEMPERROR; return true; }
    if (strcasecmp(word, "permfail") == 0) { *out = DM_AUTH_PERMERROR; return true; }
    return false;
}
