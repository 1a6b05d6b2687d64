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
    /*
     * AuthservIDWithJobID: this message's job id (the MTA's queue id),
     * "" when the MTA gave none; NULL when off. A field written
     * "id/jobid" is then a trusted id's when the id is trusted and the
     * job is this one, and the fields of one writer are "id" and
     * "id/<any job>" alike: only the topmost of them counts, and with
     * our id all of them are forged.
     */
    const char *jobid;
};

struct art_claims {
    bool have_spf;
    struct dm_auth_id spf;
    size_t n_dkim;
    struct dm_auth_id dkim[ART_MAX_DKIM];
    size_t n_conflicts;            /* claims dropped as contradictory */
    /* An ARC verifier's (OpenARC's) arc= result and its arc.chain, the
       sealers' domains separated by ':'; two trusted claims that differ
       void both. */
    bool have_arc;
    enum dm_auth arc;
    char arc_chain[AR_VALUE_MAX];
};

/* True when a domain (normalised) is listed: DomainWhitelist(File). */
typedef bool (*art_listed_fn)(void *arg, const char *domain);

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

/*
 * The ARC override's test (OpenDMARC's, with DomainWhitelist): a trusted
 * arc=pass whose arc.chain names one or more sealers, every one of them
 * a domain that listed() accepts. False for anything less, an empty or
 * malformed chain included.
 */
bool art_arc_sealers_listed(const struct art_claims *c, art_listed_fn listed,
                            void *arg);

#endif
