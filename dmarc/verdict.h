/*
 * verdict.h: the plain value that describes what happened to one message.
 *
 * Every other module (logging, the A-R writer, metrics, AgentX) consumes
 * this value; nothing in it points back into the milter.
 */
#ifndef DM_VERDICT_H
#define DM_VERDICT_H

#include <stdbool.h>

#include "dns/dns.h"

/* DMARC result, RFC 7489 section 11.2 / RFC 8601 "dmarc" method. */
enum dm_result {
    DM_RESULT_NONE = 0,
    DM_RESULT_PASS,
    DM_RESULT_FAIL,
    DM_RESULT_TEMPERROR,
    DM_RESULT_PERMERROR,
    DM_RESULT__COUNT
};

/* The policy that applied: p or sp of the record, or ABSENT with no record. */
enum dm_policy {
    DM_POLICY_ABSENT = 0,
    DM_POLICY_NONE,
    DM_POLICY_QUARANTINE,
    DM_POLICY_REJECT,
    DM_POLICY__COUNT
};

/* The action taken (or, before enforcement, the action the policy asks). */
enum dm_disposition {
    DM_DISP_NONE = 0,
    DM_DISP_QUARANTINE,
    DM_DISP_REJECT,
    DM_DISP__COUNT
};

/* Why a message was not evaluated. */
enum dm_skip {
    DM_SKIP_NONE = 0,          /* evaluated */
    DM_SKIP_IGNORED_HOST,
    DM_SKIP_AUTHENTICATED,
    DM_SKIP_IGNORED_MAILFROM,
    DM_SKIP_NO_FROM,           /* no usable From domain, RequiredHeaders off */
    DM_SKIP__COUNT
};

/* Why a local policy set the policy's action aside (none: it did not). */
enum dm_override {
    DM_OVERRIDE_NONE = 0,
    DM_OVERRIDE_ARC,           /* a trusted arc=pass, every sealer listed in
                                  DomainWhitelist(File) */
    DM_OVERRIDE__COUNT
};

/* Result of one authentication method (SPF or DKIM), RFC 8601 words. */
enum dm_auth {
    DM_AUTH_NONE = 0,
    DM_AUTH_PASS,
    DM_AUTH_FAIL,
    DM_AUTH_SOFTFAIL,
    DM_AUTH_NEUTRAL,
    DM_AUTH_TEMPERROR,
    DM_AUTH_PERMERROR,
    DM_AUTH_POLICY,
    DM_AUTH__COUNT
};

/* Which DMARC specification the engine applied. */
enum dm_spec {
    DM_SPEC_RFC7489 = 0,       /* PSL org domains, pct (OpenDMARC's) */
    DM_SPEC_RFC9989,           /* DMARCbis: DNS tree walk, psd, np, t */
    DM_SPEC__COUNT
};

struct dm_verdict {
    enum dm_skip skip;
    enum dm_result result;
    enum dm_policy policy;            /* policy that applied */
    enum dm_disposition disposition;  /* action taken */
    bool spf_aligned;
    bool dkim_aligned;
    bool sampled_out;                 /* failed but outside pct */
    bool used_sp;                     /* sp (subdomain policy) applied */
    bool used_np;                     /* RFC 9989: np applied (From NXDOMAIN) */
    bool testing;                     /* RFC 9989: failed under t=y */
    enum dm_spec spec;                /* the specification applied */
    double eval_seconds;              /* inputs to verdict, DNS included */
    char from_domain[DM_DOMAIN_MAX];  /* normalised From domain */
    char policy_domain[DM_DOMAIN_MAX];/* where the applied record was found */
    /*
     * No From field gave a domain: from_domain is the MAIL FROM domain
     * (standin_helo: the HELO name, for a null sender) standing in as the
     * author domain, which is what the MTA writes into the From it adds.
     */
    bool from_standin;
    bool standin_helo;
    enum dm_override override;        /* the action a local policy set aside:
                                         disposition is then none */
};

const char *dm_result_name(enum dm_result r);
const char *dm_policy_name(enum dm_policy p);
const char *dm_disposition_name(enum dm_disposition d);
const char *dm_skip_name(enum dm_skip s);
const char *dm_auth_name(enum dm_auth a);
const char *dm_spec_name(enum dm_spec s);   /* "rfc7489", "rfc9989" */
const char *dm_override_name(enum dm_override o);   /* "none", "arc" */
/* Parse an RFC 8601 result word (case-insensitive); false if unknown. */
bool dm_auth_parse(const char *word, enum dm_auth *out);

#endif
