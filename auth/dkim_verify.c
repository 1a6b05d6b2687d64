/*
 * dkim_verify.c: DKIM self-verification with libopendkim (see
 * dkim_verify.h).
 *
 * libopendkim parses the signatures and does the hashing and the RSA or
 * Ed25519 checks; this file bounds its work, fetches the keys through our
 * resolver and turns each signature's state into an RFC 8601 result.
 */
#include <config.h>

#include <opendkim/dkim.h>
#include <pthread.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "dmarc/dmarc.h"
#include "auth/dkim_verify.h"
#include "auth/dkim_body.h"
#include "auth/dkim_keys.h"
#include "util/util.h"
#include "dns/dns.h"

#define DKV_QID_MAX 64
#define DKV_HASHES 4            /* body hashes: 2 canonicalizations x 2 */
#define DKV_MIN_KEY_BITS 1024   /* RFC 8301: smaller RSA keys fail */

/* Why a key lookup did not give a usable record, kept per signature. */
struct dkv_lookup {
    const DKIM_SIGINFO *sig;
    enum dm_auth result;
    const char *why;
};

struct dkv_msg {
    DKIM *dkim;                 /* NULL once the library gave up */
    const struct dns_txt_resolver *dns;
    struct dkv_limits lim;
    char qid[DKV_QID_MAX];
    bool eoh_done;
    bool want_body;
    size_t header_bytes;
    size_t body_bytes;
    bool body_truncated;        /* stopped at lim.max_body */
    double dns_spent;
    size_t n_lookups;
    size_t ignored;             /* signatures over lim.max_sigs */
    size_t n;
    char *hbuf;                 /* header field rebuilt for the library */
    size_t hcap;
    size_t n_from;              /* From domains: nearest signatures first */
    bool own_body;              /* the body hashed here (dkim_body.c) */
    size_t n_hashes;
    size_t n_bh;
    /*
     * Only the fields above are cleared for each message: the arrays
     * below (50 KB) are written before they are read, up to n_lookups,
     * n and n_from. Clearing them all was a twentieth of a signed
     * message's CPU.
     */
    struct dkv_lookup lookups[DKV_MAX_SIGS];
    struct dkv_sig sigs[DKV_MAX_SIGS];
    char from[FH_MAX_ADDRS][DM_DOMAIN_MAX];
    struct {                    /* own_body: each signature's hash */
        const DKIM_SIGINFO *sig;
        size_t hash;
    } bh[DKV_MAX_SIGS];
    struct dkb_hash hashes[DKV_HASHES];
    unsigned char digest[DKV_HASHES][DKB_DIGEST_MAX];
    size_t digest_len[DKV_HASHES];
};

/*
 * One library handle for the process: its settings never change, and
 * libopendkim shares a handle between threads (opendkim does the same).
 */
static DKIM_LIB *dkv_lib;
static pthread_once_t dkv_once = PTHREAD_ONCE_INIT;

static void
dkv_note(struct dkv_msg *m, const DKIM_SIGINFO *sig, enum dm_auth result,
         const char *why)
{
    if (m->n_lookups < DKV_MAX_SIGS) {
        m->lookups[m->n_lookups].sig = sig;
        m->lookups[m->n_lookups].result = result;
        m->lookups[m->n_lookups].why = why;
        m->n_lookups++;
    }
}

static const struct dkv_lookup *
dkv_find(const struct dkv_msg *m, const DKIM_SIGINFO *sig)
{
    for (size_t i = 0; i < m->n_lookups; i++) {
        if (m->lookups[i].sig == sig)
            return &m->lookups[i];
    }
    return NULL;
}

/* Selector labels: what a DNS name may hold, nothing that needs quoting. */
static bool
dkv_selector_ok(const char *s)
{
    size_t len = strlen(s);

    if (len == 0 || len >= DM_SELECTOR_MAX)
        return false;
    for (; *s != '\0'; s++) {
        unsigned char c = (unsigned char)*s;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || c == '-' || c == '_' || c == '.'))
            return false;
    }
    return true;
}

/* "<s>._domainkey.<d>" into qname; false when no query can carry it. */
static bool
dkv_key_name(DKIM_SIGINFO *sig, char *qname, size_t qsz)
{
    const char *sel = (const char *)dkim_sig_getselector(sig);
    const char *dom = (const char *)dkim_sig_getdomain(sig);
    char d[DM_DOMAIN_MAX];

    if (sel == NULL || dom == NULL || !dkv_selector_ok(sel) ||
        dn_normalize(dom, strlen(dom), d, sizeof(d)) != DN_OK)
        return false;
    return snprintf(qname, qsz, "%s._domainkey.%s", sel, d) < (int)qsz &&
        strlen(qname) <= 253;
}

/* Why an answer to a key query is not one usable record, or NULL. */
static const char *
dkv_key_answer(enum dns_status st, const struct dns_txt_answer *ans,
               size_t buflen)
{
    switch (st) {
    case DNS_OK:
        break;
    case DNS_NXDOMAIN:
    case DNS_NODATA:
        return "no key";
    case DNS_TEMPFAIL:
        return "key query failed";
    case DNS_PERMFAIL:
    default:
        return "key query refused";
    }
    if (ans->count == 0)
        return "no key";   /* only records too long to keep */
    if (ans->count > 1)
        return "several key records";
    if (ans->rr[0].len >= buflen ||
        memchr(ans->rr[0].data, '\0', ans->rr[0].len) != NULL)
        return "key record too large";
    return NULL;
}

/*
 * Fetch <s>._domainkey.<d> into buf. DM_AUTH_NONE: found; otherwise the
 * signature's result and why.
 */
static enum dm_auth
dkv_fetch_key(struct dkv_msg *m, DKIM_SIGINFO *sig, unsigned char *buf,
              size_t buflen, const char **why)
{
    char qname[DM_SELECTOR_MAX + DM_DOMAIN_MAX + 16];
    struct dns_txt_answer *ans;
    enum dns_status st;
    double started;

    if (!dkv_key_name(sig, qname, sizeof(qname))) {
        *why = "bad key name";
        return DM_AUTH_PERMERROR;
    }
    /*
     * Not asked at all: no temporary error of this signature's domain,
     * which would hold the message for a domain whose name servers never
     * failed. Local policy, like a signature over DKIMMaxSignatures.
     */
    if (m->dns_spent >= m->lim.dns_budget) {
        *why = "key lookups over time";
        return DM_AUTH_POLICY;
    }
    ans = malloc(sizeof(*ans));
    if (ans == NULL) {
        *why = "out of memory";
        return DM_AUTH_TEMPERROR;
    }
    started = clk_seconds();
    st = m->dns->lookup(m->dns->arg, qname, ans);
    m->dns_spent += clk_seconds() - started;
    *why = dkv_key_answer(st, ans, buflen);
    if (*why == NULL) {
        memcpy(buf, ans->rr[0].data, ans->rr[0].len);
        buf[ans->rr[0].len] = '\0';
    }
    free(ans);
    if (*why == NULL)
        return DM_AUTH_NONE;
    return st == DNS_TEMPFAIL ? DM_AUTH_TEMPERROR : DM_AUTH_PERMERROR;
}

static DKIM_CBSTAT
dkv_key_lookup(DKIM *dkim, DKIM_SIGINFO *sig, u_char *buf, size_t buflen)
{
    struct dkv_msg *m = dkim_get_user_context(dkim);
    enum dm_auth res;
    const char *why = NULL;

    if (m == NULL || buflen == 0)
        return DKIM_CBSTAT_ERROR;
    res = dkv_fetch_key(m, sig, buf, buflen, &why);
    if (res == DM_AUTH_NONE)
        return DKIM_CBSTAT_CONTINUE;
    /*
     * "Not found" lets the library go on with the other signatures; the
     * real outcome is remembered here and wins when results are read.
     */
    dkv_note(m, sig, res, why);
    return DKIM_CBSTAT_NOTFOUND;
}

/* How many trailing labels d shares with from (both normalised). */
static size_t
dkv_shared_labels(const char *from, const char *d)
{
    const char *start[DM_DOMAIN_MAX / 2 + 1];
    size_t labels = 0, n = 0;

    start[labels++] = from;
    for (const char *p = from; *p != '\0'; p++) {
        if (*p == '.' && labels < sizeof(start) / sizeof(start[0]))
            start[labels++] = p + 1;
    }
    while (n < labels && dn_is_subdomain(d, start[labels - n - 1]))
        n++;
    return n;
}

/* The most labels a signature's d= shares with a From domain. */
static size_t
dkv_affinity(const struct dkv_msg *m, DKIM_SIGINFO *sig)
{
    const char *dom = (const char *)dkim_sig_getdomain(sig);
    char d[DM_DOMAIN_MAX];
    size_t best = 0;

    if (dom == NULL || dn_normalize(dom, strlen(dom), d, sizeof(d)) != DN_OK)
        return 0;
    for (size_t i = 0; i < m->n_from; i++) {
        size_t n = dkv_shared_labels(m->from[i], d);

        if (n > best)
            best = n;
    }
    return best;
}

/*
 * The first keep places get the signatures whose d= is nearest a From
 * domain, in header order among equals: the key lookup budget and the
 * signature cap are spent on the signatures that may align, not on
 * those a sender put in front of them.
 */
static void
dkv_order(const struct dkv_msg *m, DKIM_SIGINFO **sigs, size_t n,
          size_t keep)
{
    size_t *aff = m->n_from > 0 ? calloc(n, sizeof(*aff)) : NULL;

    if (aff == NULL)
        return;           /* header order: no worse than without a From */
    for (size_t i = 0; i < n; i++)
        aff[i] = dkv_affinity(m, sigs[i]);
    for (size_t k = 0; k < keep; k++) {
        size_t best = k;

        for (size_t i = k + 1; i < n; i++) {
            if (aff[i] > aff[best])
                best = i;
        }
        if (best != k) {
            DKIM_SIGINFO *s = sigs[best];
            size_t a = aff[best];

            memmove(&sigs[k + 1], &sigs[k], (best - k) * sizeof(*sigs));
            memmove(&aff[k + 1], &aff[k], (best - k) * sizeof(*aff));
            sigs[k] = s;
            aff[k] = a;
        }
    }
    free(aff);
}

/* Signatures past the cap are not verified at all: no hashing, no DNS. */
static DKIM_CBSTAT
dkv_prescreen(DKIM *dkim, DKIM_SIGINFO **sigs, int nsigs)
{
    struct dkv_msg *m = dkim_get_user_context(dkim);
    size_t keep;

    if (m == NULL || nsigs <= 0)
        return DKIM_CBSTAT_CONTINUE;
    keep = (size_t)nsigs < m->lim.max_sigs ? (size_t)nsigs : m->lim.max_sigs;
    dkv_order(m, sigs, (size_t)nsigs, keep);
    for (int i = (int)keep; i < nsigs; i++) {
        dkim_sig_ignore(sigs[i]);
        m->ignored++;
    }
    return DKIM_CBSTAT_CONTINUE;
}

static void
dkv_setup(void)
{
    unsigned int flags = DKIM_LIBFLAGS_BADSIGHANDLES;
    unsigned int minbits = DKV_MIN_KEY_BITS;
    DKIM_LIB *lib = dkim_init(NULL, NULL);

    if (lib == NULL)
        return;
    /* Also what links dkim_keys.c in: libopendkim's key decoding. */
    if (!dkk_bound())
        dm_log(LOG_WARNING, "DKIM keys are decoded again for each message "
               "(d2i_PUBKEY_bio is not ours)");
    if (dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_FLAGS, &flags,
                     sizeof(flags)) != DKIM_STAT_OK ||
        dkim_options(lib, DKIM_OP_SETOPT, DKIM_OPTS_MINKEYBITS, &minbits,
                     sizeof(minbits)) != DKIM_STAT_OK ||
        dkim_set_key_lookup(lib, dkv_key_lookup) != DKIM_STAT_OK ||
        dkim_set_prescreen(lib, dkv_prescreen) != DKIM_STAT_OK) {
        dkim_close(lib);
        return;
    }
    dkv_lib = lib;
}

bool
dkv_init(void)
{
    pthread_once(&dkv_once, dkv_setup);
    return dkv_lib != NULL;
}

struct dkv_msg *
dkv_new(const struct dns_txt_resolver *dns, const struct dkv_limits *lim,
        const char *qid)
{
    struct dkv_msg *m;
    DKIM_STAT st;

    if (!dkv_init() || (m = malloc(sizeof(*m))) == NULL)
        return NULL;
    memset(m, 0, offsetof(struct dkv_msg, lookups));
    m->dns = dns;
    m->lim = *lim;
    if (m->lim.max_sigs > DKV_MAX_SIGS)
        m->lim.max_sigs = DKV_MAX_SIGS;
    snprintf(m->qid, sizeof(m->qid), "%s", qid != NULL ? qid : "NOQUEUE");
    m->want_body = true;
    m->dkim = dkim_verify(dkv_lib, (const unsigned char *)m->qid, NULL, &st);
    if (m->dkim == NULL) {
        free(m);
        return NULL;
    }
    dkim_set_user_context(m->dkim, m);
    return m;
}

/* The library's handle is of no more use: results stay as they are. */
static void
dkv_give_up(struct dkv_msg *m, const char *why)
{
    dm_log(LOG_NOTICE, "%s: DKIM not verified: %s", m->qid, why);
    dkim_free(m->dkim);
    m->dkim = NULL;
    m->want_body = false;
}

/* A From field's domains: a hint for the order of verification only. */
static void
dkv_note_from(struct dkv_msg *m, const char *value)
{
    struct fh_result r;
    enum fh_status st = fh_parse(value, strlen(value), &r);

    if (st != FH_OK && st != FH_TOO_MANY)
        return;
    for (size_t i = 0; i < r.count && i < FH_MAX_ADDRS &&
         m->n_from < FH_MAX_ADDRS; i++)
        strcpy(m->from[m->n_from++], r.domain[i]);
}

void
dkv_header(struct dkv_msg *m, const char *name, const char *value,
           bool leadspc)
{
    size_t nlen, vlen, need, o = 0;

    if (m == NULL || m->dkim == NULL || m->eoh_done)
        return;
    if (strcasecmp(name, "From") == 0)
        dkv_note_from(m, value);
    nlen = strlen(name);
    vlen = strlen(value);
    /* Every bare LF may become CRLF, plus ": " */
    need = nlen + 2 + 2 * vlen + 1;
    m->header_bytes += nlen + 1 + vlen;
    if (m->header_bytes > DKV_HEADER_BYTES) {
        dkv_give_up(m, "header over the size verified");
        return;
    }
    if (need > m->hcap) {
        char *p = realloc(m->hbuf, need);

        if (p == NULL) {
            dkv_give_up(m, "out of memory");
            return;
        }
        m->hbuf = p;
        m->hcap = need;
    }
    memcpy(m->hbuf, name, nlen);
    o = nlen;
    m->hbuf[o++] = ':';
    if (!leadspc)
        m->hbuf[o++] = ' ';
    /* libmilter folds with bare LF; the signer hashed CRLF. */
    for (size_t i = 0; i < vlen; i++) {
        if (value[i] == '\n' && (i == 0 || value[i - 1] != '\r'))
            m->hbuf[o++] = '\r';
        m->hbuf[o++] = value[i];
    }
    /* A field the library refuses (syntax) is simply not signed by anyone. */
    (void)dkim_header(m->dkim, (u_char *)m->hbuf, o);
}

/* The hash for canon and alg, started the first time it is asked for. */
static bool
dkv_hash_for(struct dkv_msg *m, DKIM_SIGINFO *sig, size_t *idx)
{
    dkim_canon_t hc, bc;
    dkim_alg_t alg;
    enum dkb_canon c;
    enum dkb_alg a;

    if (dkim_sig_getcanons(sig, &hc, &bc) != DKIM_STAT_OK ||
        dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK)
        return false;
    if ((bc != DKIM_CANON_RELAXED && bc != DKIM_CANON_SIMPLE) ||
        (alg != DKIM_SIGN_RSASHA1 && alg != DKIM_SIGN_RSASHA256 &&
         alg != DKIM_SIGN_ED25519SHA256))
        return false;
    c = bc == DKIM_CANON_RELAXED ? DKB_RELAXED : DKB_SIMPLE;
    a = alg == DKIM_SIGN_RSASHA1 ? DKB_SHA1 : DKB_SHA256;
    for (*idx = 0; *idx < m->n_hashes; (*idx)++) {
        if (m->hashes[*idx].canon == c && m->hashes[*idx].alg == a)
            return true;
    }
    if (m->n_hashes == DKV_HASHES || !dkb_start(&m->hashes[m->n_hashes], c, a))
        return false;
    *idx = m->n_hashes++;
    return true;
}

/*
 * Whether the body is hashed here rather than by the library: for each
 * signature whose header verified (libopendkim checks headers at their
 * end, and a signature that failed there fails whatever the body), one
 * hash per canonicalization and algorithm. The library keeps the body
 * when a signature has l= (its length rules stay its own) or was left
 * unchecked for later, or when a hash cannot be set up.
 */
static bool
dkv_plan_body(struct dkv_msg *m)
{
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0;

    if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
        return false;
    for (int i = 0; i < nsigs; i++) {
        DKIM_SIGINFO *sig = sigs[i];
        unsigned flags = dkim_sig_getflags(sig);
        ssize_t signlen = -1;
        int err = dkim_sig_geterror(sig);

        if ((flags & DKIM_SIGFLAG_IGNORE) != 0)
            continue;
        /* an error here: no body canonicalization, so no l= either */
        if (dkim_sig_getcanonlen(m->dkim, sig, NULL, NULL, &signlen)
            == DKIM_STAT_OK && signlen != -1)
            return false;
        if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
            if (err == DKIM_SIGERROR_UNKNOWN || err == DKIM_SIGERROR_OK)
                return false;
            continue;           /* decided by its error alone */
        }
        if ((flags & DKIM_SIGFLAG_PASSED) == 0)
            continue;
        if (m->n_bh == DKV_MAX_SIGS ||
            !dkv_hash_for(m, sig, &m->bh[m->n_bh].hash))
            return false;
        m->bh[m->n_bh++].sig = sig;
    }
    return true;
}

static void
dkv_drop_hashes(struct dkv_msg *m)
{
    for (size_t i = 0; i < m->n_hashes; i++)
        dkb_free(&m->hashes[i]);
    m->n_hashes = 0;
    m->n_bh = 0;
}

void
dkv_eoh(struct dkv_msg *m)
{
    DKIM_STAT st;

    if (m == NULL || m->eoh_done)
        return;
    m->eoh_done = true;
    free(m->hbuf);
    m->hbuf = NULL;
    m->hcap = 0;
    if (m->dkim == NULL)
        return;
    st = dkim_eoh(m->dkim);
    if (st == DKIM_STAT_NOSIG) {
        m->want_body = false;     /* nothing to verify, nothing to report */
        dkim_free(m->dkim);
        m->dkim = NULL;
    } else if (st != DKIM_STAT_OK) {
        char why[160];

        snprintf(why, sizeof(why), "%s", dkim_geterror(m->dkim) != NULL
                 ? dkim_geterror(m->dkim) : dkim_getresultstr(st));
        dkv_give_up(m, why);
    } else if (dkv_plan_body(m)) {
        m->own_body = true;
        m->want_body = m->n_hashes > 0;
    } else {
        dkv_drop_hashes(m);
        m->want_body = dkim_minbody(m->dkim) > 0;
    }
}

bool
dkv_body(struct dkv_msg *m, const unsigned char *buf, size_t len)
{
    if (m == NULL || !m->eoh_done || !m->want_body || m->dkim == NULL)
        return false;
    if (len > m->lim.max_body - m->body_bytes) {
        len = m->lim.max_body - m->body_bytes;
        m->body_truncated = true;
    }
    if (m->own_body) {
        for (size_t i = 0; i < m->n_hashes; i++)
            dkb_update(&m->hashes[i], buf, len);
        m->body_bytes += len;
        m->want_body = !m->body_truncated;
        return m->want_body;
    }
    if (len > 0 &&
        dkim_body(m->dkim, (u_char *)(uintptr_t)buf, len) != DKIM_STAT_OK) {
        dkv_give_up(m, "body not accepted by the library");
        return false;
    }
    m->body_bytes += len;
    /* dkim_minbody(): what the signatures with the longest l= still need. */
    m->want_body = !m->body_truncated && dkim_minbody(m->dkim) > 0;
    return m->want_body;
}

/*
 * The RFC 8601 result a library error code decides on its own, or
 * DM_AUTH__COUNT when the signature's flags must tell (no error, or a
 * bad signature: header or body).
 */
static enum dm_auth
dkv_error_result(int err, bool truncated, const char **why)
{
    switch (err) {
    case DKIM_SIGERROR_OK:
    case DKIM_SIGERROR_UNKNOWN:
    case DKIM_SIGERROR_BADSIG:
        return DM_AUTH__COUNT;
    case DKIM_SIGERROR_NOKEY:
        *why = "no key";
        return DM_AUTH_PERMERROR;
    case DKIM_SIGERROR_KEYFAIL:
        *why = "key query failed";
        return DM_AUTH_TEMPERROR;
    case DKIM_SIGERROR_DNSSYNTAX:
    case DKIM_SIGERROR_MULTIREPLY:
    case DKIM_SIGERROR_KEYVERSION:
    case DKIM_SIGERROR_KEYUNKNOWNHASH:
    case DKIM_SIGERROR_KEYHASHMISMATCH:
    case DKIM_SIGERROR_NOTEMAILKEY:
    case DKIM_SIGERROR_KEYTYPEMISSING:
    case DKIM_SIGERROR_KEYTYPEUNKNOWN:
    case DKIM_SIGERROR_KEYDECODE:
        *why = "bad key";
        return DM_AUTH_PERMERROR;
    case DKIM_SIGERROR_KEYREVOKED:
        *why = "key revoked";
        return DM_AUTH_PERMERROR;
    case DKIM_SIGERROR_KEYTOOSMALL:
        *why = "key too small";
        return DM_AUTH_POLICY;
    case DKIM_SIGERROR_MBSFAILED:
        *why = "required header not signed";
        return DM_AUTH_POLICY;
    case DKIM_SIGERROR_EXPIRED:
        *why = "signature expired";
        return DM_AUTH_NEUTRAL;
    case DKIM_SIGERROR_FUTURE:
        *why = "signature in the future";
        return DM_AUTH_NEUTRAL;
    case DKIM_SIGERROR_TOOLARGE_L:
        *why = truncated ? "body over DKIMMaxBodyBytes" : "l= beyond the body";
        return truncated ? DM_AUTH_POLICY : DM_AUTH_FAIL;
    default:
        *why = "bad signature format";
        return DM_AUTH_NEUTRAL;
    }
}

/* The RFC 8601 result of one signature the library processed. */
static enum dm_auth
dkv_result(unsigned flags, int bh, int err, bool truncated, const char **why)
{
    enum dm_auth r = dkv_error_result(err, truncated, why);

    if (r != DM_AUTH__COUNT)
        return r;
    if ((flags & DKIM_SIGFLAG_PROCESSED) == 0) {
        *why = "not verified";
        return DM_AUTH_NEUTRAL;
    }
    if ((flags & DKIM_SIGFLAG_PASSED) != 0 && bh != DKIM_SIGBH_MATCH) {
        if (truncated) {
            *why = "body over DKIMMaxBodyBytes";
            return DM_AUTH_POLICY;
        }
        *why = "body hash did not verify";
        return DM_AUTH_FAIL;
    }
    if ((flags & DKIM_SIGFLAG_PASSED) == 0 || err == DKIM_SIGERROR_BADSIG) {
        *why = "signature verification failed";
        return DM_AUTH_FAIL;
    }
    *why = NULL;
    return DM_AUTH_PASS;
}

/* header.i: kept only when it is plainly "[local]@domain". */
static void
dkv_identity(DKIM *dkim, DKIM_SIGINFO *sig, char *out, size_t outsz)
{
    char raw[DM_DOMAIN_MAX + 80], dom[DM_DOMAIN_MAX];
    char *at;
    size_t ll, dl;

    out[0] = '\0';
    if (dkim_sig_getidentity(dkim, sig, (u_char *)raw, sizeof(raw))
        != DKIM_STAT_OK)
        return;
    raw[sizeof(raw) - 1] = '\0';
    at = strrchr(raw, '@');
    if (at == NULL || (size_t)(at - raw) > 64 ||
        dn_normalize(at + 1, strlen(at + 1), dom, sizeof(dom)) != DN_OK)
        return;
    for (const char *p = raw; p < at; p++) {
        unsigned char c = (unsigned char)*p;

        if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') ||
              (c >= '0' && c <= '9') || strchr("._+-", c) != NULL))
            return;
    }
    ll = (size_t)(at - raw);
    dl = strlen(dom);
    if (ll + 1 + dl >= outsz)
        return;
    memcpy(out, raw, ll);
    out[ll] = '@';
    memcpy(out + ll + 1, dom, dl + 1);
}

/* header.a, from the library's own names: never untrusted text. */
static const char *
dkv_alg(DKIM_SIGINFO *sig)
{
    dkim_alg_t alg;

    if (dkim_sig_getsignalg(sig, &alg) != DKIM_STAT_OK)
        return NULL;
    switch (alg) {
    case DKIM_SIGN_RSASHA1:
        return "rsa-sha1";
    case DKIM_SIGN_RSASHA256:
        return "rsa-sha256";
    case DKIM_SIGN_ED25519SHA256:
        return "ed25519-sha256";
    default:
        return NULL;
    }
}

/* The first characters of b=, whitespace (FWS) skipped. */
static void
dkv_b_prefix(DKIM_SIGINFO *sig, char *out)
{
    const unsigned char *b = dkim_sig_gettagvalue(sig, false,
                                                  (u_char *)"b");
    size_t n = 0;

    for (; b != NULL && *b != '\0' && n < DKV_B_PREFIX; b++) {
        if (*b == ' ' || *b == '\t' || *b == '\r' || *b == '\n')
            continue;
        if (!((*b >= 'a' && *b <= 'z') || (*b >= 'A' && *b <= 'Z') ||
              (*b >= '0' && *b <= '9') || *b == '+' || *b == '/' ||
              *b == '='))
            break;
        out[n++] = (char)*b;
    }
    out[n] = '\0';
}

/*
 * RFC 8301's minimum RSA key size, which the library applies at the end
 * of the message only to a signature without an error: with the body
 * hashed here, the mismatch it saw came first, so it is applied here.
 */
static void
dkv_key_size(DKIM_SIGINFO *sig, int *err)
{
    unsigned int bits = 0;
    dkim_alg_t alg;

    if (*err == DKIM_SIGERROR_OK &&
        dkim_sig_getsignalg(sig, &alg) == DKIM_STAT_OK &&
        alg != DKIM_SIGN_ED25519SHA256 &&
        dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK &&
        bits < DKV_MIN_KEY_BITS)
        *err = DKIM_SIGERROR_KEYTOOSMALL;
}

/*
 * The body hash's verdict and the signature's error: ours when the body
 * was hashed here. The library, which saw no body, then found a mismatch
 * and called it DKIM_SIGERROR_BADSIG; for a signature whose header
 * verified that error can only have come from the body.
 */
static void
dkv_bh(const struct dkv_msg *m, DKIM_SIGINFO *sig, int *bh, int *err)
{
    *bh = dkim_sig_getbh(sig);
    *err = dkim_sig_geterror(sig);
    if (!m->own_body)
        return;
    for (size_t i = 0; i < m->n_bh; i++) {
        size_t h = m->bh[i].hash;

        if (m->bh[i].sig != sig)
            continue;
        *bh = dkb_matches((const char *)dkim_sig_gettagvalue(
                              sig, false, (u_char *)"bh"),
                          m->digest[h], m->digest_len[h])
              ? DKIM_SIGBH_MATCH : DKIM_SIGBH_MISMATCH;
        if (*err == DKIM_SIGERROR_BADSIG)
            *err = DKIM_SIGERROR_OK;
        dkv_key_size(sig, err);
        return;
    }
    /* Its header did not verify: the body changes nothing. */
}

void
dkv_eom(struct dkv_msg *m)
{
    DKIM_SIGINFO **sigs = NULL;
    int nsigs = 0;
    size_t unusable = 0;

    if (m == NULL)
        return;
    dkv_eoh(m);
    if (m->dkim == NULL)
        return;
    (void)dkim_eom(m->dkim, NULL);   /* each signature carries its state */
    for (size_t i = 0; i < m->n_hashes; i++)
        m->digest_len[i] = dkb_finish(&m->hashes[i], m->digest[i]);
    if (dkim_getsiglist(m->dkim, &sigs, &nsigs) != DKIM_STAT_OK)
        nsigs = 0;
    for (int i = 0; i < nsigs && m->n < DKV_MAX_SIGS; i++) {
        DKIM_SIGINFO *sig = sigs[i];
        struct dkv_sig *s = &m->sigs[m->n];
        const struct dkv_lookup *lk;
        const char *d, *sel;
        unsigned flags = dkim_sig_getflags(sig);
        int bh, err;

        if ((flags & DKIM_SIGFLAG_IGNORE) != 0)
            continue;
        memset(s, 0, sizeof(*s));
        d = (const char *)dkim_sig_getdomain(sig);
        /* Without a usable d= a signature can align with nothing. */
        if (d == NULL || dn_normalize(d, strlen(d), s->id.domain,
                                      sizeof(s->id.domain)) != DN_OK) {
            unusable++;
            continue;
        }
        sel = (const char *)dkim_sig_getselector(sig);
        if (sel != NULL && dkv_selector_ok(sel))
            snprintf(s->id.selector, sizeof(s->id.selector), "%s", sel);
        dkv_bh(m, sig, &bh, &err);
        s->id.result = dkv_result(flags, bh, err, m->body_truncated,
                                  &s->why);
        if ((lk = dkv_find(m, sig)) != NULL) {
            s->id.result = lk->result;
            s->why = lk->why;
        }
        {
            unsigned int bits = 0;

            /* An error here only means no key was loaded. */
            if (dkim_sig_getkeysize(sig, &bits) == DKIM_STAT_OK)
                s->key_bits = bits;
        }
        dkv_identity(m->dkim, sig, s->identity, sizeof(s->identity));
        s->alg = dkv_alg(sig);
        dkv_b_prefix(sig, s->b);
        m->n++;
    }
    if (m->ignored > 0)
        dm_log(LOG_NOTICE, "%s: %zu DKIM signatures over DKIMMaxSignatures "
               "not verified", m->qid, m->ignored);
    if (unusable > 0)
        dm_log(LOG_NOTICE, "%s: %zu DKIM signatures without a usable d=",
               m->qid, unusable);
}

size_t
dkv_count(const struct dkv_msg *m)
{
    return m != NULL ? m->n : 0;
}

const struct dkv_sig *
dkv_sig(const struct dkv_msg *m, size_t i)
{
    return m != NULL && i < m->n ? &m->sigs[i] : NULL;
}

size_t
dkv_auth_ids(const struct dkv_msg *m, struct dm_auth_id *out, size_t max)
{
    size_t n = 0;

    for (; m != NULL && n < m->n && n < max; n++)
        out[n] = m->sigs[n].id;
    return n;
}

void
dkv_free(struct dkv_msg *m)
{
    if (m == NULL)
        return;
    if (m->dkim != NULL)
        dkim_free(m->dkim);
    dkv_drop_hashes(m);
    free(m->hbuf);
    free(m);
}

bool
dkv_format_ar(char *out, size_t outsz, const char *id,
              const struct dkv_sig *s)
{
    size_t o = 0;
    int n;
    const char *at = strchr(s->identity, '@');

    if (outsz == 0 || !aw_id_ok(id) || !aw_domain_ok(s->id.domain) ||
        (s->id.selector[0] != '\0' && !dkv_selector_ok(s->id.selector)) ||
        (at != NULL && !aw_domain_ok(at + 1)))
        return false;
#define DKV_PUT(...) do { \
        n = snprintf(out + o, outsz - o, __VA_ARGS__); \
        if (n < 0 || (size_t)n >= outsz - o) \
            return false; \
        o += (size_t)n; \
    } while (0)
    DKV_PUT("%s; dkim=%s", id, dm_auth_name(s->id.result));
    if (s->id.result == DM_AUTH_FAIL && s->why != NULL)
        DKV_PUT(" reason=\"%s\"", s->why);
    if (s->key_bits > 0)
        DKV_PUT(" (%u-bit key; unprotected)", s->key_bits);
    else if (s->id.result != DM_AUTH_FAIL && s->why != NULL)
        DKV_PUT(" (%s)", s->why);
    DKV_PUT(" header.d=%s", s->id.domain);
    if (at != NULL)
        DKV_PUT(" header.i=%s", s->identity);
    if (s->alg != NULL)
        DKV_PUT(" header.a=%s", s->alg);
    if (s->id.selector[0] != '\0')
        DKV_PUT(" header.s=%s", s->id.selector);
    /* '/' and '=' are not token characters (RFC 2045): quote then. */
    if (s->b[0] != '\0')
        DKV_PUT(strpbrk(s->b, "/=") != NULL ? " header.b=\"%s\""
                                            : " header.b=%s", s->b);
#undef DKV_PUT
    return true;
}
