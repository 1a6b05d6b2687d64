/*
 * message.h: the decisions about one message as a whole, from what the
 * milter gathered: which From domains count, what is refused or skipped
 * before any DNS, which SPF and DKIM results count, the strictest
 * verdict over several From domains, and the action. No libmilter, no
 * configuration reader: DNS is the resolver interface, the operator's
 * settings a small struct.
 *
 * Two steps, because the milter acts between them: msg_screen() needs
 * only the header fields; when it says MSG_EVALUATE the milter collects
 * the trusted Authentication-Results claims (deleting forged fields, an
 * action) and finishes its own DKIM verification, then msg_evaluate()
 * decides. A message refused or skipped by the screen costs neither.
 *
 * SPF comes from the first of these that has a result, as in OpenDMARC:
 * a trusted A-R claim, then (TrustReceivedSPF) the topmost Received-SPF
 * field when it describes this session, then our own check
 * (SPFSelfValidate). A topmost field that does not count never lets one
 * below it count: a sender writes those.
 */
#ifndef DM_MESSAGE_H
#define DM_MESSAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "dns/dns.h"
#include "dmarc/verdict.h"
#include "dmarc/org_domain.h"
#include "dmarc/dmarc_eval.h"
#include "dmarc/from_header.h"
#include "dmarc/ar_trust.h"
#include "dmarc/enforce.h"
#include "dmarc/received_spf.h"
#include "dmarc/required_headers.h"

#define MSG_REASON_MAX 256

/* The result of our own SPF check (SPFSelfValidate). */
struct msg_spf {
    enum dm_auth result;
    char domain[DM_DOMAIN_MAX];    /* the identity checked, normalised */
    bool helo;                     /* the HELO identity (null sender) */
};

/*
 * Runs our own SPF check; false when there is no identity to check (no
 * result at all). Called at most once, and only when its result counts.
 */
typedef bool (*msg_spf_fn)(void *arg, struct msg_spf *out);

/* True when a From domain (normalised) is listed in IgnoreMailFrom. */
typedef bool (*msg_ignore_fn)(void *arg, const char *domain);

/* The operator's settings that the message-level decisions read. */
struct msg_options {
    enum dm_spec spec;             /* DMARCSpec */
    bool required_headers;         /* RequiredHeaders */
    bool reject_multi_from;        /* RejectMultiValueFrom */
    bool spf_ignore_results;       /* SPFIgnoreResults */
    bool spf_self_validate;        /* SPFSelfValidate */
    bool trust_received_spf;       /* TrustReceivedSPF */
    msg_ignore_fn ignore_mailfrom; /* IgnoreMailFrom; NULL: none listed */
    void *ignore_arg;
    bool required_from;            /* RequiredFrom: refuse a message that
                                      would need a stand-in author domain */
    art_listed_fn arc_sealer;      /* DomainWhitelist(File): the ARC
                                      override's sealers; NULL: none */
    void *arc_arg;
    /* RejectFailures (which also refuses too many From fields), the
       quarantine and TempErrorAction settings. */
    struct enf_options enf;
};

struct msg_input {
    /* Read by msg_screen. */
    const char *const *from;       /* From values as kept; NULL: too long */
    size_t n_from;
    bool from_over;                /* more From fields than were kept */
    struct rh_counts counts;       /* the RequiredHeaders field counts */
    /* The stand-in author domain when no From field gives one (NULL or
       "": none): the MAIL FROM domain, else the HELO name. */
    const char *mailfrom_domain;   /* normalised; "" for a null sender */
    const char *helo_domain;       /* normalised; "" when unusable */

    /* Read by msg_evaluate. */
    const struct art_claims *claims; /* trusted A-R claims; NULL: none */
    /* TrustReceivedSPF: the topmost Received-SPF field, which a policy
       service at this hop prepends, and the session it must describe. */
    const char *received_spf;      /* its value; NULL: none, or lost */
    bool received_spf_lost;        /* there was one, too long to keep */
    bool authenticated;            /* SMTP AUTH: such a client may pass
                                      the policy service by, and its own
                                      field then stands on top */
    struct rs_session session;
    msg_spf_fn own_spf;            /* our SPF check; NULL: none */
    void *own_spf_arg;
    bool dkim_self;                /* DKIMSelfVerify: dkim[] replaces every
                                      A-R dkim= claim, even when empty */
    const struct dm_auth_id *dkim;
    size_t n_dkim;
    unsigned sample;               /* 0..99, for pct */
    const struct dns_txt_resolver *dns;
    const struct od_list *psl;     /* RFC 7489's org domains */
};

enum msg_stage {
    MSG_EVALUATE = 0,   /* screened: msg_evaluate() comes next */
    MSG_REJECT,         /* refused before evaluation: reason, decision */
    MSG_SKIP,           /* not evaluated: skip, detail */
    MSG_DONE            /* evaluated: verdict, decision, spf */
};

/* What became of the topmost Received-SPF field, for the log. */
enum msg_rspf {
    MSG_RSPF_UNREAD = 0,    /* none, not trusted, or an A-R claim came first */
    MSG_RSPF_USED,          /* it is the SPF result */
    MSG_RSPF_REFUSED,       /* unreadable: rspf_status says why */
    MSG_RSPF_MISMATCH,      /* about another session: rspf_match says why */
    MSG_RSPF_AUTHENTICATED  /* an authenticated client's: not believed */
};

struct msg_outcome {
    enum msg_stage stage;
    char reason[MSG_REASON_MAX];   /* MSG_REJECT: why, for the log */
    enum dm_skip skip;             /* MSG_SKIP: why, and ... */
    char detail[DM_DOMAIN_MAX];    /* ... the detail for the log;
                                      from_standin: why no From domain */
    struct fh_result from;         /* the distinct From domains */
    bool from_standin;             /* from.domain[0] stands in (see
                                      msg_screen); detail says why */
    bool standin_helo;             /* it is the HELO name */
    struct dm_verdict verdict;     /* MSG_DONE: strictest over the domains;
                                      MSG_SKIP: skip set, no domain */
    struct enf_decision decision;  /* MSG_REJECT, MSG_DONE: the action */
    bool have_spf;                 /* an SPF result counted: spf */
    bool spf_self;                 /* it is our own check's */
    bool spf_helo;                 /* our check was of the HELO identity */
    bool spf_received;             /* it is the Received-SPF field's */
    struct dm_auth_id spf;
    const struct dm_auth_id *dkim; /* MSG_DONE: the DKIM results that
                                      counted (the input's, or the
                                      claims'): valid while they are */
    size_t n_dkim;
    struct dmarc_record record;    /* MSG_DONE: the record that applied,
                                      when verdict.policy is not absent */
    enum msg_rspf rspf;            /* the topmost Received-SPF field ... */
    enum rs_status rspf_status;    /* ... MSG_RSPF_REFUSED: why */
    enum rs_match rspf_match;      /* ... MSG_RSPF_MISMATCH: why */
};

/*
 * The checks that need only the header fields, in this order:
 * RequiredHeaders, the From domains, IgnoreMailFrom on any From domain,
 * RejectMultiValueFrom. No From field, or none that gives a domain:
 * refused under RequiredHeaders or RequiredFrom, else the MAIL FROM
 * domain (the HELO name for a null sender) stands in as the author
 * domain (verdict.from_standin), since the MTA writes a From of it
 * (Sendmail does, after the milters); skipped when there is neither.
 * Too many From domains: refused under RequiredHeaders or
 * RejectFailures, else skipped. Fills *out and returns out->stage.
 */
enum msg_stage msg_screen(const struct msg_input *in,
                          const struct msg_options *opt,
                          struct msg_outcome *out);

/*
 * After msg_screen() returned MSG_EVALUATE for the same *out: choose
 * the SPF and DKIM results that count, evaluate every From domain, keep
 * the strictest verdict, set a quarantine or reject aside for a trusted
 * ARC pass whose sealers are all listed (verdict.override, as OpenDMARC's
 * develop branch does for both), and decide the action. Returns MSG_DONE.
 */
enum msg_stage msg_evaluate(const struct msg_input *in,
                            const struct msg_options *opt,
                            struct msg_outcome *out);

#endif
