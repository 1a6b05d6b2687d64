/*
 * ar_trust.h: which SPF and DKIM claims of Authentication-Results headers
 * the engine may believe.
 *
 * A sender can write any header, so a claim counts only when it is
 * (1) in a header whose authserv-id is trusted, (2) in the topmost header
 * of that id (a verifier at this hop adds its header on top of what the
 * sender wrote), and (3) not contradicted by another trusted claim about
 * the same identity. Headers that carry our own authserv-id are forged
 * (we have not seen this message before) and are neither believed nor
 * kept, unless the operator lists our id in TrustedAuthservIDs: that says
 * an earlier milter at this hop (opendkim, often) writes with our id, and
 * then those headers are judged like any trusted id's.
 */
#ifndef DM_AR_TRUST_H
#define DM_AR_TRUST_H

#include <stdbool.h>
#include <stddef.h>
#include "dmarc/ar_parse.h"
#include "dmarc/dmarc_eval.h"

#define ART_MAX_DKIM 16

typedef bool (*art_trusted_fn)(void *arg, const char *authserv_id);

struct art_input {
    const char *own_id;            /* our AuthservID */
    art_trusted_fn trusted;        /* other ids we believe */
    void *trusted_arg;
    const char *mailfrom_domain;   /* normalised MAIL FROM domain, "" if null */
    const char *helo_domain;       /* normalised HELO name, "" if unusable */
};

struct art_claims {
    bool have_spf;
    struct dm_auth_id spf;
    size_t n_dkim;
    struct dm_auth_id dkim[ART_MAX_DKIM];
    size_t n_conflicts;            /* claims dropped as contradictory */
};

/*
 * hdrs[0..n) are the parsed A-R headers of the message, topmost first
 * (NULL for a header that did not parse). Fills *out.
 */
void art_collect(const struct art_input *in, const struct ar_header *const *hdrs,
                 size_t n, struct art_claims *out);

/*
 * True when the header carries our own id and our id is not trusted: a
 * forgery, which the milter deletes.
 */
bool art_is_forged_own(const struct art_input *in, const struct ar_header *h);

#endif
