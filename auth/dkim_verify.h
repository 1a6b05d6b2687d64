/*
 * dkim_verify.h: DKIM self-verification with libopendkim (DKIMSelfVerify).
 *
 * The milter feeds one message's header fields and body through a
 * struct dkv_msg; at the end every signature yields a dm_auth_id for the
 * DMARC engine and one Authentication-Results resinfo. Key lookups go
 * through the daemon's resolver, so a DNS failure is a temperror for that
 * signature and never stops the others.
 *
 * The work per message is bounded: at most max_sigs signatures are
 * verified, at most DKV_HEADER_BYTES of header fields and max_body bytes
 * of body are hashed, and key lookups stop once dns_budget seconds have
 * gone (each lookup is itself bounded by the resolver's timeout); a
 * signature whose key was not asked for then is "policy", never a
 * temperror of its domain. Signatures whose d= shares the most labels
 * with a From domain are verified first, so neither bound is spent on
 * signatures put in front of the one that may align.
 */
#ifndef DM_DKIM_VERIFY_H
#define DM_DKIM_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "dmarc/dmarc.h"
#include "dns/dns.h"

#define DKV_HEADER_BYTES (1024 * 1024)  /* header bytes hashed, at most */
#define DKV_MAX_SIGS     64             /* upper bound of max_sigs */
#define DKV_B_PREFIX     8              /* header.b: first characters */

struct dkv_limits {
    unsigned max_sigs;          /* DKIMMaxSignatures */
    size_t max_body;            /* DKIMMaxBodyBytes */
    double dns_budget;          /* seconds of key lookups per message */
};

/* One signature's outcome, as reported in our A-R header. */
struct dkv_sig {
    struct dm_auth_id id;               /* result, d= and s= */
    char identity[DM_DOMAIN_MAX + 65];  /* header.i, "" if unusable */
    char b[DKV_B_PREFIX + 1];           /* header.b prefix, "" if none */
    const char *alg;                    /* header.a, or NULL */
    unsigned key_bits;                  /* 0: no key was loaded */
    const char *why;                    /* a short reason, or NULL */
};

struct dkv_msg;

/*
 * Process-wide setup of libopendkim, idempotent and thread-safe; false
 * when the library cannot start (then dkv_new() returns NULL too).
 */
bool dkv_init(void);

/*
 * A verifier for one message; dns must outlive it. qid names the message
 * in logs. NULL when out of memory.
 */
struct dkv_msg *dkv_new(const struct dns_txt_resolver *dns,
                        const struct dkv_limits *lim, const char *qid);

/*
 * One header field as libmilter gives it: value without the colon; when
 * leadspc is false the MTA removed one space after the colon.
 */
void dkv_header(struct dkv_msg *m, const char *name, const char *value,
                bool leadspc);

/* The end of the header: signatures are parsed and their keys fetched. */
void dkv_eoh(struct dkv_msg *m);

/* A body chunk (CRLF line ends); false once no more body is needed. */
bool dkv_body(struct dkv_msg *m, const unsigned char *buf, size_t len);

/*
 * The end of the message: the results, read with dkv_count/dkv_sig, in
 * the order they were verified (nearest the From domains first).
 */
void dkv_eom(struct dkv_msg *m);

size_t dkv_count(const struct dkv_msg *m);
const struct dkv_sig *dkv_sig(const struct dkv_msg *m, size_t i);

/* Copy the results for the engine into out[0..max); returns how many. */
size_t dkv_auth_ids(const struct dkv_msg *m, struct dm_auth_id *out,
                    size_t max);

void dkv_free(struct dkv_msg *m);

/*
 * "<id>; dkim=<result> [reason=...] (<bits>-bit key; unprotected)
 * header.d=<d> header.i=<i> header.a=<alg> header.s=<s> header.b=<b>", in
 * the form opendkim writes (b quoted when it holds '/' or '='). False
 * when a part is unsafe or out is too small.
 */
bool dkv_format_ar(char *out, size_t outsz, const char *id,
                   const struct dkv_sig *s);

#endif
