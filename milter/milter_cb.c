/*
 * milter_cb.c: libmilter callbacks (see milter_cb.h).
 */
#include <config.h>

#include <netinet/in.h>
#include <arpa/inet.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "dmarc/dmarc.h"
#include "auth/auth.h"
#include "util/util.h"
#include "dns/dns.h"
#include "report/report.h"
#include "milter/milter_cb.h"
#include "milter/runtime.h"

/* Postfix's own header_size_limit: any header it passes fits. */
#define MC_HEADER_MAX   102400
#define MC_MAX_FROM     16      /* From fields kept (more: RequiredHeaders) */
#define MC_MAX_AR       64      /* A-R fields kept, topmost first */
#define MC_ID_MAX       256
#define MC_QID_MAX      64
#define MC_MAX_RCPT     64      /* recipients kept for IgnoreMailTo */

struct mc_msg {
    bool active;
    char sender[512];                  /* MAIL FROM without <> */
    char mailfrom_domain[DM_DOMAIN_MAX];
    bool null_sender;                  /* MAIL FROM:<> */
    bool authenticated;                /* {auth_authen} set */
    char helo_domain[DM_DOMAIN_MAX];   /* normalised HELO; "": unusable */
    char *rspf;                        /* the topmost Received-SPF; NULL:
                                          none, or too long (rspf_seen) */
    size_t rspf_seen;                  /* Received-SPF fields, all */
    struct rh_counts counts;
    char *from[MC_MAX_FROM];           /* NULL: over MC_HEADER_MAX */
    size_t n_from;
    bool from_over;                    /* more From fields than kept */
    char *ar[MC_MAX_AR];
    size_t n_ar;
    size_t ar_seen;                    /* A-R fields, kept or not */
    unsigned char *forged_more;        /* bit i: A-R field MC_MAX_AR+1+i
                                          claims our id (to delete) */
    size_t forged_more_size;           /* bytes */
    size_t n_forged_more;
    bool forged_lost;                  /* out of memory for the bits */
    struct dkv_msg *dkim;              /* DKIMSelfVerify: the verifier */
    bool dkim_tried;
    char *rcpt[MC_MAX_RCPT];           /* IgnoreMailTo: the recipients */
    size_t n_rcpt;
    bool rcpt_over;                    /* more than were kept */
    char *hdrs;                        /* FailureReports: the header block
                                          as received, "Name: value\r\n" */
    size_t hdrs_len, hdrs_cap;
    bool hdrs_oom;
};

struct mc_conn {
    struct dm_runtime *rt;
    struct sockaddr_storage addr;
    bool have_addr;
    char addr_text[INET6_ADDRSTRLEN];
    char hostname[DM_DOMAIN_MAX];
    char helo[DM_DOMAIN_MAX];
    char mta_id[MC_ID_MAX];            /* the j macro */
    bool dkim_self;                    /* body negotiated for DKIM */
    struct dm_auth_id *dkim_ids;       /* its DKV_MAX_SIGS results: 25 KB
                                          kept off the thread's stack,
                                          which glibc discards and the
                                          kernel zeroes again when
                                          libmilter's threads come and go */
    bool leadspc;                      /* SMFIP_HDR_LEADSPC negotiated */
    bool can_skip;                     /* SMFIP_SKIP negotiated */
    bool addrcpt;                      /* SMFIF_ADDRCPT negotiated, for
                                          CopyFailuresTo */
    bool want_rcpt;                    /* recipients asked for */
    bool want_headers;                 /* FailureReports: keep the header
                                          block for the reports */
    unsigned long no_reply;            /* SMFIP_NR_* negotiated */
    struct mc_msg msg;
    /*
     * mc_eom's working set (12 KB), here rather than on the stack:
     * glibc gives each new libmilter worker a stack whose deep pages it
     * discarded when the last one ended, and every page touched there
     * again is a page fault, the main cost of a connection beyond the
     * floor's. Set up afresh for each message.
     */
    struct {
        struct msg_options opt;
        struct msg_input in;
        struct msg_outcome out;
        struct art_claims claims;
    } eom;
};

/* Process-wide: messages in flight, and the verdict consumer. */
static atomic_int mc_inflight_count;
static mc_verdict_fn mc_hook;
static void *mc_hook_arg;
static mc_outcome_fn mc_outcome_hook;
static void *mc_outcome_arg;

int
mc_inflight(void)
{
    return atomic_load(&mc_inflight_count);
}

void
mc_set_verdict_hook(mc_verdict_fn fn, void *arg)
{
    mc_hook = fn;
    mc_hook_arg = arg;
}

void
mc_set_outcome_hook(mc_outcome_fn fn, void *arg)
{
    mc_outcome_hook = fn;
    mc_outcome_arg = arg;
}

static void
mc_msg_clear(struct mc_msg *m)
{
    free(m->hdrs);
    for (size_t i = 0; i < m->n_rcpt; i++)
        free(m->rcpt[i]);
    for (size_t i = 0; i < m->n_from; i++)
        free(m->from[i]);
    for (size_t i = 0; i < m->n_ar; i++)
        free(m->ar[i]);
    free(m->rspf);
    free(m->forged_more);
    dkv_free(m->dkim);
    if (m->active)
        atomic_fetch_sub(&mc_inflight_count, 1);
    memset(m, 0, sizeof(*m));
}

/* src cut to dstsz - 1 bytes; without printf, three times a connection. */
static void
mc_copy(char *dst, size_t dstsz, const char *src)
{
    size_t n = src != NULL ? strnlen(src, dstsz - 1) : 0;

    memcpy(dst, src != NULL ? src : "", n);
    dst[n] = '\0';
}

static const char *
mc_qid(SMFICTX *ctx)
{
    const char *q = smfi_getsymval(ctx, "i");

    return q != NULL && *q != '\0' ? q : "NOQUEUE";
}

static void
mc_publish(const struct dm_verdict *v)
{
    if (mc_hook != NULL)
        mc_hook(v, mc_hook_arg);
}

/* A message we do not evaluate: say why in the log and to the counters. */
static sfsistat
mc_skip(SMFICTX *ctx, struct mc_conn *c, enum dm_skip why, const char *detail)
{
    struct dm_verdict v;

    memset(&v, 0, sizeof(v));
    v.skip = why;
    mc_copy(v.from_domain, sizeof(v.from_domain), "");
    dm_log(LOG_INFO, "%s: not evaluated: %s (%s)", mc_qid(ctx),
           dm_skip_name(why), detail);
    mc_publish(&v);
    mc_msg_clear(&c->msg);
    return SMFIS_ACCEPT;
}

/* The connection's state and runtime, made at negotiation or connect. */
static struct mc_conn *
mc_conn_new(SMFICTX *ctx)
{
    struct mc_conn *c = calloc(1, sizeof(*c));

    if (c != NULL) {
        c->rt = rt_acquire();
        smfi_setpriv(ctx, c);
    }
    return c;
}

/*
 * The recipients only when IgnoreMailTo needs them for the history or a
 * failure report names one, and then without a reply to each (a
 * recipient is never refused here).
 */
static void
mc_negotiate_rcpt(struct mc_conn *c, unsigned long f1, unsigned long *skip,
                  unsigned long *want)
{
    const struct rp_settings *rp = rp_settings(c->rt->cf);

    c->want_headers = rp != NULL && rp->failure_reports;
    c->want_rcpt = rp != NULL && ((rp->history_file != NULL &&
                                   rp->ignore_mail_to != NULL) ||
                                  rp->failure_reports);
    if (!c->want_rcpt)
        return;
    *skip &= ~SMFIP_NORCPT;
    c->no_reply |= f1 & SMFIP_NR_RCPT;
    *want |= f1 & SMFIP_NR_RCPT;
}

/*
 * DKIMSelfVerify: the body, headers as sent, and no reply to each body
 * chunk (SMFIP_NR_BODY): below Postfix's 64 KB chunk, which nearly every
 * message is, that saves a round trip per message. Only an MTA without
 * it gets SMFIP_SKIP instead, to stop the body once the signatures have
 * what they need (a reply per chunk, which SKIP is).
 */
static void
mc_negotiate_body(struct mc_conn *c, unsigned long f1, unsigned long *skip,
                  unsigned long *want)
{
    c->dkim_self = true;
    c->dkim_ids = malloc(DKV_MAX_SIGS * sizeof(*c->dkim_ids));
    *skip &= ~SMFIP_NOBODY;
    *want |= f1 & SMFIP_HDR_LEADSPC;
    c->leadspc = (f1 & SMFIP_HDR_LEADSPC) != 0;
    if ((f1 & SMFIP_NR_BODY) != 0) {
        c->no_reply |= SMFIP_NR_BODY;
        *want |= SMFIP_NR_BODY;
    } else {
        c->can_skip = (f1 & SMFIP_SKIP) != 0;
        *want |= f1 & SMFIP_SKIP;
    }
}

/*
 * Only the macros read: j at connect, i and {auth_authen} at MAIL, i at
 * end of message (the queue id of the log lines). Postfix sends five to
 * seven at each step by default, each one parsed and kept by libmilter.
 * A step must name one macro or get the MTA's defaults: i, which is
 * short or not defined yet.
 */
static void
mc_negotiate_macros(SMFICTX *ctx, unsigned long f0, unsigned long *pf0)
{
    static const struct { int stage; const char *list; } want[] = {
        { SMFIM_CONNECT, "j" }, { SMFIM_HELO, "i" },
        { SMFIM_ENVFROM, "i {auth_authen}" }, { SMFIM_ENVRCPT, "i" },
        { SMFIM_DATA, "i" }, { SMFIM_EOH, "i" }, { SMFIM_EOM, "i" },
    };

    if ((f0 & SMFIF_SETSYMLIST) == 0)
        return;
    for (size_t i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
        if (smfi_setsymlist(ctx, want[i].stage, (char *)want[i].list)
            != MI_SUCCESS)
            return;     /* the MTA's defaults for the rest: harmless */
    }
    *pf0 |= SMFIF_SETSYMLIST;
}

static sfsistat
mc_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
             unsigned long f2, unsigned long f3, unsigned long *pf0,
             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    const unsigned long need = SMFIF_ADDHDRS | SMFIF_CHGHDRS |
        SMFIF_QUARANTINE;
    unsigned long skip = SMFIP_NORCPT | SMFIP_NOBODY |
        SMFIP_NOUNKNOWN | SMFIP_NODATA;
    unsigned long want = 0;
    struct mc_conn *c;

    (void)f2;
    (void)f3;
    if ((f0 & need) != need) {
        dm_log(LOG_ERR, "the MTA does not offer the add-header, "
               "change-header and quarantine actions; not filtering");
        return SMFIS_REJECT;
    }
    /*
     * Negotiation comes once, before connect: the runtime taken here is
     * the connection's, so the body is asked for exactly when that
     * runtime verifies DKIM (headers as sent, and skipping the rest of a
     * body once every signature has what it needs).
     */
    c = mc_conn_new(ctx);
    if (c != NULL && c->rt->cf->dkim_self_verify)
        mc_negotiate_body(c, f1, &skip, &want);
    /*
     * Connect, HELO, each header and end of headers always continue (a
     * connection without memory fails at MAIL): the MTA need not wait for
     * a reply to them, a round trip saved per header.
     */
    if (c != NULL) {
        c->no_reply |= f1 & (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR |
                             SMFIP_NR_EOH);
        want |= c->no_reply;
        mc_negotiate_rcpt(c, f1, &skip, &want);
    }
    *pf0 = need;
    /* CopyFailuresTo adds a recipient: the action is asked for then only. */
    if (c != NULL && c->rt->cf->copy_failures_to != NULL) {
        c->addrcpt = (f0 & SMFIF_ADDRCPT) != 0;
        *pf0 |= f0 & SMFIF_ADDRCPT;
        if (!c->addrcpt)
            dm_log(LOG_WARNING, "the MTA does not offer the add-recipient "
                   "action; CopyFailuresTo is not applied");
    }
    mc_negotiate_macros(ctx, f0, pf0);
    *pf1 = (f1 & skip) | want;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat
mc_connect(SMFICTX *ctx, char *hostname, _SOCK_ADDR *sa)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c == NULL && (c = mc_conn_new(ctx)) == NULL) {
        dm_log(LOG_ERR, "out of memory at connect; temporary failure");
        return SMFIS_TEMPFAIL;
    }
    mc_copy(c->hostname, sizeof(c->hostname), hostname);
    mc_copy(c->mta_id, sizeof(c->mta_id), smfi_getsymval(ctx, "j"));
    if (sa != NULL && (sa->sa_family == AF_INET || sa->sa_family == AF_INET6)) {
        size_t len = sa->sa_family == AF_INET ? sizeof(struct sockaddr_in)
                                              : sizeof(struct sockaddr_in6);
        const void *ap = sa->sa_family == AF_INET
            ? (const void *)&((struct sockaddr_in *)(void *)sa)->sin_addr
            : (const void *)&((struct sockaddr_in6 *)(void *)sa)->sin6_addr;

        memcpy(&c->addr, sa, len);
        c->have_addr = true;
        if (inet_ntop(sa->sa_family, ap, c->addr_text,
                      sizeof(c->addr_text)) == NULL)
            mc_copy(c->addr_text, sizeof(c->addr_text), "unknown");
    } else {
        mc_copy(c->addr_text, sizeof(c->addr_text), "unknown");
    }
    return c->no_reply & SMFIP_NR_CONN ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mc_helo(SMFICTX *ctx, char *helo)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c == NULL)
        return SMFIS_CONTINUE;
    mc_copy(c->helo, sizeof(c->helo), helo);
    return c->no_reply & SMFIP_NR_HELO ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mc_envfrom(SMFICTX *ctx, char **argv)
{
    struct mc_conn *c = smfi_getpriv(ctx);
    const struct dm_config *cf;
    const char *s, *auth, *at;
    size_t len;

    /* As a connection without memory, so one without room for DKIM. */
    if (c == NULL || (c->dkim_self && c->dkim_ids == NULL)) {
        dm_log(LOG_ERR, "out of memory for a connection; temporary failure");
        return SMFIS_TEMPFAIL;
    }
    cf = c->rt->cf;
    mc_msg_clear(&c->msg);
    c->msg.active = true;
    atomic_fetch_add(&mc_inflight_count, 1);

    if (ipl_match(cf->ignore_hosts,
                  c->have_addr ? (struct sockaddr *)&c->addr : NULL,
                  c->hostname))
        return mc_skip(ctx, c, DM_SKIP_IGNORED_HOST, c->addr_text);
    /*
     * No client address: a local submission (sendmail -bs), as 127.0.0.1
     * is for sendmail -t; OpenDMARC evaluates it without SPF. Emptying
     * IgnoreHosts evaluates both.
     */
    if (!c->have_addr && ipl_count(cf->ignore_hosts) > 0)
        return mc_skip(ctx, c, DM_SKIP_IGNORED_HOST,
                       "local (no client address)");
    auth = smfi_getsymval(ctx, "{auth_authen}");
    c->msg.authenticated = auth != NULL && *auth != '\0';
    if (cf->ignore_auth_clients && c->msg.authenticated)
        return mc_skip(ctx, c, DM_SKIP_AUTHENTICATED, auth);

    s = argv != NULL && argv[0] != NULL ? argv[0] : "";
    while (*s == ' ')
        s++;
    if (*s == '<')
        s++;
    len = strcspn(s, ">");
    c->msg.null_sender = len == 0;
    if (dn_normalize(c->helo, strlen(c->helo), c->msg.helo_domain,
                     sizeof(c->msg.helo_domain)) != DN_OK)
        c->msg.helo_domain[0] = '\0';
    if (len >= sizeof(c->msg.sender))
        len = 0;   /* absurd: treat as having no usable SPF identity */
    memcpy(c->msg.sender, s, len);
    c->msg.sender[len] = '\0';
    at = strrchr(c->msg.sender, '@');
    if (at == NULL || dn_normalize(at + 1, strlen(at + 1),
                                   c->msg.mailfrom_domain,
                                   sizeof(c->msg.mailfrom_domain)) != DN_OK)
        c->msg.mailfrom_domain[0] = '\0';
    return SMFIS_CONTINUE;
}

/* IgnoreMailTo: the recipient addresses, without their brackets. */
static sfsistat
mc_envrcpt(SMFICTX *ctx, char **argv)
{
    struct mc_conn *c = smfi_getpriv(ctx);
    sfsistat done;
    const char *s;
    size_t len;

    if (c == NULL)
        return SMFIS_CONTINUE;
    done = c->no_reply & SMFIP_NR_RCPT ? SMFIS_NOREPLY : SMFIS_CONTINUE;
    if (!c->want_rcpt || !c->msg.active)
        return done;
    s = argv != NULL && argv[0] != NULL ? argv[0] : "";
    s += strspn(s, " <");
    len = strcspn(s, ">");
    if (c->msg.n_rcpt == MC_MAX_RCPT ||
        (c->msg.rcpt[c->msg.n_rcpt] = strndup(s, len)) == NULL)
        c->msg.rcpt_over = true;    /* unknown recipients: recorded */
    else
        c->msg.n_rcpt++;
    return done;
}

static char *
mc_keep(const char *value)
{
    size_t len = strnlen(value, MC_HEADER_MAX + 1);

    return len > MC_HEADER_MAX ? NULL : strndup(value, len);
}

/* DKIMSelfVerify: the message's verifier, made at its first header. */
static struct dkv_msg *
mc_dkim(SMFICTX *ctx, struct mc_conn *c)
{
    const struct dm_config *cf = c->rt->cf;
    struct dkv_limits lim = {
        .max_sigs = (unsigned)cf->dkim_max_signatures,
        .max_body = (size_t)cf->dkim_max_body_bytes,
        .dns_budget = cf->dns_timeout,
    };

    if (c->dkim_self && !c->msg.dkim_tried) {
        c->msg.dkim_tried = true;
        c->msg.dkim = dkv_new(&c->rt->dns, &lim, mc_qid(ctx));
        if (c->msg.dkim == NULL)
            dm_log(LOG_WARNING, "%s: cannot start DKIM verification (out "
                   "of memory, or libopendkim failed)", mc_qid(ctx));
    }
    return c->msg.dkim;
}

static bool mc_trusted(void *arg, const char *id);
static const char *mc_own_id(const struct mc_conn *c, char *buf,
                             size_t bufsz);

/*
 * An A-R field beyond the MC_MAX_AR kept: not trusted, but one that
 * claims our id must still go, or a forgery hides behind 64 others.
 * One bit per field, so a flood costs an eighth of a byte each.
 */
static void
mc_note_forged_more(struct mc_conn *c, const char *value)
{
    struct mc_msg *m = &c->msg;
    size_t bit = m->ar_seen - MC_MAX_AR - 1;
    char idbuf[MC_ID_MAX];
    struct art_input in = { .trusted = mc_trusted, .trusted_arg = c };
    struct ar_header *h = malloc(sizeof(*h));
    bool forged;

    if (h == NULL) {
        m->forged_lost = true;
        return;
    }
    in.own_id = mc_own_id(c, idbuf, sizeof(idbuf));
    in.jobid = c->rt->cf->authserv_jobid ? "" : NULL;   /* "our id/any" */
    forged = ar_parse(value, strlen(value), h) && art_is_forged_own(&in, h);
    free(h);
    if (!forged)
        return;
    if (bit / 8 >= m->forged_more_size) {
        size_t size = m->forged_more_size ? m->forged_more_size * 2 : 64;
        unsigned char *p;

        while (bit / 8 >= size)
            size *= 2;
        if ((p = realloc(m->forged_more, size)) == NULL) {
            m->forged_lost = true;
            return;
        }
        memset(p + m->forged_more_size, 0, size - m->forged_more_size);
        m->forged_more = p;
        m->forged_more_size = size;
    }
    m->forged_more[bit / 8] |= (unsigned char)(1u << (bit % 8));
    m->n_forged_more++;
}

/* FailureReports: the header block, up to what a report carries. */
static void
mc_keep_header(struct mc_msg *m, const char *name, const char *value)
{
    size_t nl = strlen(name), vl = strlen(value), need;

    need = m->hdrs_len + nl + vl + 5;
    if (need > FR_HEADERS_MAX ||
        !grow_to(&m->hdrs, &m->hdrs_cap, need, 4096, &m->hdrs_oom))
        return;
    memcpy(m->hdrs + m->hdrs_len, name, nl);
    memcpy(m->hdrs + m->hdrs_len + nl, ": ", 2);
    memcpy(m->hdrs + m->hdrs_len + nl + 2, value, vl);
    memcpy(m->hdrs + m->hdrs_len + nl + 2 + vl, "\r\n", 3);
    m->hdrs_len += nl + vl + 4;
}

static sfsistat
mc_header(SMFICTX *ctx, char *name, char *value)
{
    struct mc_conn *c = smfi_getpriv(ctx);
    struct mc_msg *m;

    if (c == NULL)
        return SMFIS_CONTINUE;
    if (name == NULL || value == NULL)
        return c->no_reply & SMFIP_NR_HDR ? SMFIS_NOREPLY : SMFIS_CONTINUE;
    m = &c->msg;
    dkv_header(mc_dkim(ctx, c), name, value, c->leadspc);
    /* The rest sees values as without SMFIP_HDR_LEADSPC. */
    if (c->leadspc && *value == ' ')
        value++;
    rh_count(&m->counts, name);
    if (c->want_headers)
        mc_keep_header(m, name, value);
    if (strcasecmp(name, "From") == 0) {
        if (m->n_from < MC_MAX_FROM)
            m->from[m->n_from++] = mc_keep(value);
        else
            m->from_over = true;
    } else if (strcasecmp(name, "Authentication-Results") == 0) {
        m->ar_seen++;
        if (m->n_ar < MC_MAX_AR)
            m->ar[m->n_ar++] = mc_keep(value);
        else
            mc_note_forged_more(c, value);
    } else if (strcasecmp(name, "Received-SPF") == 0) {
        /* Only the topmost can be this hop's policy service's. */
        if (m->rspf_seen++ == 0)
            m->rspf = mc_keep(value);
    }
    return c->no_reply & SMFIP_NR_HDR ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mc_eoh(SMFICTX *ctx)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c == NULL)
        return SMFIS_CONTINUE;
    dkv_eoh(mc_dkim(ctx, c));
    return c->no_reply & SMFIP_NR_EOH ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static sfsistat
mc_body(SMFICTX *ctx, unsigned char *buf, size_t len)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c == NULL)
        return SMFIS_CONTINUE;
    if (!dkv_body(c->msg.dkim, buf, len) && c->can_skip)
        return SMFIS_SKIP;
    return c->no_reply & SMFIP_NR_BODY ? SMFIS_NOREPLY : SMFIS_CONTINUE;
}

static bool
mc_trusted(void *arg, const char *id)
{
    const struct mc_conn *c = arg;

    /* Our own id only when listed: see ar_trust.h. */
    return cf_trusted_id(c->rt->cf, NULL, id);
}

/*
 * AuthservIDWithJobID: the message's job id (the queue id), "" when the
 * MTA gave none (no "id/job" field is then this job's); NULL when off.
 */
static const char *
mc_jobid(SMFICTX *ctx, const struct mc_conn *c)
{
    const char *q = smfi_getsymval(ctx, "i");

    if (!c->rt->cf->authserv_jobid)
        return NULL;
    return q != NULL ? q : "";
}

/* The authserv-id our fields carry: "id/jobid" (quoted) or the id. */
static const char *
mc_written_id(SMFICTX *ctx, const struct mc_conn *c, const char *own_id,
              char *buf, size_t bufsz)
{
    const char *job = mc_jobid(ctx, c);

    if (job == NULL || *job == '\0' ||
        !aw_format_id(buf, bufsz, own_id, job))
        return own_id;
    return buf;
}

static const char *
mc_own_id(const struct mc_conn *c, char *buf, size_t bufsz)
{
    if (c->rt->cf->authserv_id != NULL)
        return c->rt->cf->authserv_id;
    if (c->mta_id[0] != '\0')
        return c->mta_id;
    if (gethostname(buf, bufsz) != 0)
        mc_copy(buf, bufsz, "localhost");
    buf[bufsz - 1] = '\0';
    return buf;
}

static atomic_ullong mc_sample_state;
static pthread_once_t mc_sample_once = PTHREAD_ONCE_INIT;

static void
mc_sample_seed(void)
{
    unsigned long long seed = 0;

    if (getrandom(&seed, sizeof(seed), GRND_NONBLOCK) != (ssize_t)sizeof(seed))
        seed = (unsigned long long)time(NULL) ^ (unsigned long long)getpid();
    atomic_store(&mc_sample_state, seed);
}

static unsigned
mc_sample(void)
{
    unsigned long long z;

    /*
     * pct sampling needs no secrecy, only independence between messages:
     * splitmix64 over a counter seeded once, not a getrandom() system
     * call per message.
     */
    (void)pthread_once(&mc_sample_once, mc_sample_seed);
    z = atomic_fetch_add(&mc_sample_state, 0x9e3779b97f4a7c15ull) +
        0x9e3779b97f4a7c15ull;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
    z ^= z >> 31;
    return (unsigned)(z % 100);
}

static sfsistat
mc_reply(SMFICTX *ctx, const char *rcode, const char *xcode, const char *text,
         sfsistat st)
{
    if (smfi_setreply(ctx, (char *)rcode, (char *)xcode, (char *)text)
        != MI_SUCCESS)
        dm_log(LOG_WARNING, "%s: could not set reply \"%s %s %s\"",
               mc_qid(ctx), rcode, xcode, text);
    return st;
}

/*
 * The A-R fields beyond the MC_MAX_AR kept that claim our id (noted at
 * mc_header). They go first: deleting from the bottom keeps the indexes
 * of the rest valid.
 */
static void
mc_delete_forged_more(SMFICTX *ctx, const struct mc_msg *m,
                      const char *own_id)
{
    if (m->n_forged_more > 0)
        dm_log(LOG_NOTICE, "%s: removing %zu more Authentication-Results "
               "fields that claim our id %s", mc_qid(ctx), m->n_forged_more,
               own_id);
    for (size_t b = m->forged_more_size * 8; b-- > 0;) {
        if ((m->forged_more[b / 8] & (1u << (b % 8))) != 0 &&
            smfi_chgheader(ctx, "Authentication-Results",
                           (int)(MC_MAX_AR + 1 + b), NULL) != MI_SUCCESS)
            dm_log(LOG_WARNING, "%s: could not remove it", mc_qid(ctx));
    }
    if (m->forged_lost)
        dm_log(LOG_WARNING, "%s: out of memory: Authentication-Results "
               "fields beyond the first %d that claim our id may remain",
               mc_qid(ctx), MC_MAX_AR);
}

/* Parse the A-R fields, delete the forged ones, keep trusted claims. */
static void
mc_auth_results(SMFICTX *ctx, struct mc_conn *c, const char *own_id,
                struct art_claims *claims)
{
    struct mc_msg *m = &c->msg;
    const struct ar_header *hdrs[MC_MAX_AR];
    struct ar_header *parsed[MC_MAX_AR];
    struct art_input in = {
        .own_id = own_id, .trusted = mc_trusted, .trusted_arg = c,
        .jobid = mc_jobid(ctx, c),
        .mailfrom_domain = m->mailfrom_domain, .helo_domain = "",
    };
    char helo_dom[DM_DOMAIN_MAX];

    if (dn_normalize(c->helo, strlen(c->helo), helo_dom,
                     sizeof(helo_dom)) == DN_OK)
        in.helo_domain = helo_dom;
    for (size_t i = 0; i < m->n_ar; i++) {
        parsed[i] = NULL;
        if (m->ar[i] != NULL && (parsed[i] = malloc(sizeof(**parsed))) != NULL
            && !ar_parse(m->ar[i], strlen(m->ar[i]), parsed[i])) {
            free(parsed[i]);
            parsed[i] = NULL;
        }
        hdrs[i] = parsed[i];
    }
    art_collect(&in, hdrs, m->n_ar, claims);
    mc_delete_forged_more(ctx, m, own_id);
    for (size_t i = m->n_ar; i-- > 0;) {
        if (art_is_forged_own(&in, hdrs[i])) {
            dm_log(LOG_NOTICE, "%s: removing an Authentication-Results "
                   "field that claims our id %s", mc_qid(ctx), own_id);
            if (smfi_chgheader(ctx, "Authentication-Results", (int)i + 1,
                               NULL) != MI_SUCCESS)
                dm_log(LOG_WARNING, "%s: could not remove it", mc_qid(ctx));
        }
    }
    for (size_t i = 0; i < m->n_ar; i++)
        free(parsed[i]);
    if (claims->n_conflicts)
        dm_log(LOG_NOTICE, "%s: %zu contradictory trusted "
               "Authentication-Results claims ignored", mc_qid(ctx),
               claims->n_conflicts);
}

static void
mc_add_header(SMFICTX *ctx, const char *name, const char *value)
{
    const struct mc_conn *c = smfi_getpriv(ctx);
    char spaced[1100];

    /* Under SMFIP_HDR_LEADSPC the MTA writes our value as given. */
    if (c != NULL && c->leadspc) {
        if (snprintf(spaced, sizeof(spaced), " %s", value)
            >= (int)sizeof(spaced)) {
            dm_log(LOG_WARNING, "%s: %s header too long", mc_qid(ctx), name);
            return;
        }
        value = spaced;
    }
    if (smfi_insheader(ctx, 0, (char *)name, (char *)value) != MI_SUCCESS)
        dm_log(LOG_WARNING, "%s: could not add %s header", mc_qid(ctx), name);
}

/* DKIMSelfVerify: one A-R field per verified signature, bottom one first. */
static void
mc_dkim_headers(SMFICTX *ctx, const struct mc_msg *m, const char *own_id)
{
    char hdr[1024];

    for (size_t i = dkv_count(m->dkim); i-- > 0;) {
        if (dkv_format_ar(hdr, sizeof(hdr), own_id, dkv_sig(m->dkim, i)))
            mc_add_header(ctx, "Authentication-Results", hdr);
    }
}

static bool
mc_ignored(void *arg, const char *domain)
{
    const struct mc_conn *c = arg;

    return cf_ignore_mailfrom(c->rt->cf, domain);
}

/* SPFSelfValidate: message.c calls this only when the result counts. */
static bool
mc_own_spf(void *arg, struct msg_spf *out)
{
    struct mc_conn *c = arg;
    struct spf_outcome o;

    if (!spf_check(&c->rt->query,
                   c->have_addr ? (struct sockaddr *)&c->addr : NULL,
                   c->helo, c->msg.sender, &o))
        return false;
    out->result = o.result;
    memcpy(out->domain, o.domain, sizeof(out->domain));
    out->domain[sizeof(out->domain) - 1] = '\0';
    out->helo = o.helo;
    return true;
}

static bool
mc_arc_sealer(void *arg, const char *domain)
{
    const struct mc_conn *c = arg;

    return cf_arc_sealer(c->rt->cf, domain);
}

/*
 * RequiredFrom, RejectString, CopyFailuresTo, DomainWhitelist(File), and
 * the stand-in author domain's sources (RequiredFrom's alternative).
 */
static void
mc_gather_opendmarc(struct mc_conn *c, struct msg_options *opt,
                    struct msg_input *in)
{
    const struct dm_config *cf = c->rt->cf;

    opt->required_from = cf->required_from;
    opt->enf.reject_string = cf->reject_string;
    opt->enf.copy_failures = cf->copy_failures_to != NULL;
    if (cf->arc_sealers.n > 0 || cf->arc_sealers_file.n > 0) {
        opt->arc_sealer = mc_arc_sealer;
        opt->arc_arg = c;
    }
    in->mailfrom_domain = c->msg.mailfrom_domain;
    in->helo_domain = c->msg.helo_domain;
}

/* The settings message.c reads, and the header fields it screens. */
static void
mc_gather(struct mc_conn *c, struct msg_options *opt, struct msg_input *in)
{
    const struct dm_config *cf = c->rt->cf;

    memset(opt, 0, sizeof(*opt));
    opt->spec = cf->dmarc_spec;
    opt->required_headers = cf->required_headers;
    opt->reject_multi_from = cf->multi_from == CF_MULTI_FROM_REJECT;
    opt->spf_ignore_results = cf->spf_ignore_results;
    opt->spf_self_validate = cf->spf_self_validate;
    opt->trust_received_spf = cf->trust_received_spf;
    opt->ignore_mailfrom = mc_ignored;
    opt->ignore_arg = c;
    opt->enf.reject_failures = cf->reject_failures;
    opt->enf.hold_quarantined = cf->hold_quarantined;
    opt->enf.tempfail_temperror =
        cf->temperror_action == CF_TEMPERROR_TEMPFAIL;

    memset(in, 0, sizeof(*in));
    in->from = (const char *const *)c->msg.from;
    in->n_from = c->msg.n_from;
    in->from_over = c->msg.from_over;
    in->counts = c->msg.counts;
    in->own_spf = mc_own_spf;
    in->own_spf_arg = c;
    in->received_spf = c->msg.rspf;
    in->received_spf_lost = c->msg.rspf_seen > 0 && c->msg.rspf == NULL;
    in->authenticated = c->msg.authenticated;
    in->session.client_ip = c->have_addr ? c->addr_text : NULL;
    in->session.null_sender = c->msg.null_sender;
    in->session.mailfrom_domain = c->msg.mailfrom_domain;
    in->session.helo_domain = c->msg.helo_domain;
    in->dns = &c->rt->dns;
    in->psl = c->rt->psl;
    mc_gather_opendmarc(c, opt, in);
}

/*
 * What evaluation reads beyond the header fields, gathered only for a
 * message that passed the screen: the trusted A-R claims (forged fields
 * are deleted here) and our own DKIM results.
 */
static void
mc_gather_auth(SMFICTX *ctx, struct mc_conn *c, const char *own_id,
               struct art_claims *claims, struct msg_input *in)
{
    mc_auth_results(ctx, c, own_id, claims);
    in->claims = claims;
    if (c->dkim_self) {
        dkv_eom(c->msg.dkim);
        in->dkim_self = true;
        in->dkim = c->dkim_ids;
        in->n_dkim = dkv_auth_ids(c->msg.dkim, c->dkim_ids, DKV_MAX_SIGS);
    }
    in->sample = mc_sample();
}

/* TrustReceivedSPF: why the topmost Received-SPF field did not count. */
static void
mc_log_rspf(SMFICTX *ctx, const struct mc_msg *m,
            const struct msg_outcome *out)
{
    const char *why = NULL;
    char below[64] = "";

    switch (out->rspf) {
    case MSG_RSPF_REFUSED:
        why = rs_status_name(out->rspf_status);
        break;
    case MSG_RSPF_MISMATCH:
        why = rs_match_name(out->rspf_match);
        break;
    case MSG_RSPF_AUTHENTICATED:
        why = "an authenticated client, which may skip the policy service";
        break;
    case MSG_RSPF_USED:
    case MSG_RSPF_UNREAD:
        break;
    }
    if (why == NULL)
        return;
    if (m->rspf_seen > 1)
        snprintf(below, sizeof(below), " (and %zu below it, never read)",
                 m->rspf_seen - 1);
    dm_log(LOG_NOTICE, "%s: Received-SPF ignored: %s%s", mc_qid(ctx), why,
           below);
}

/* What the log line adds: the stand-in author domain, the override. */
static const char *
mc_log_notes(const struct msg_outcome *out, char *buf, size_t bufsz)
{
    const struct dm_verdict *v = &out->verdict;
    int n = 0;

    buf[0] = '\0';
    if (v->from_standin)
        n = snprintf(buf, bufsz, " author=stand-in:%s (%s)",
                     v->standin_helo ? "helo" : "mailfrom", out->detail);
    if (v->override != DM_OVERRIDE_NONE && n >= 0 && (size_t)n < bufsz)
        snprintf(buf + n, bufsz - (size_t)n, " override=%s",
                 dm_override_name(v->override));
    return buf;
}

static void
mc_log_verdict(SMFICTX *ctx, const struct mc_conn *c,
               const struct msg_outcome *out)
{
    const struct dm_verdict *v = &out->verdict;
    char notes[DM_DOMAIN_MAX + 64];

    if (v->result != DM_RESULT_PASS || c->rt->cf->syslog_success ||
        v->from_standin)
        dm_log(LOG_INFO, "%s: %s %s (p=%s dis=%s) policy_domain=%s "
               "spf=%s%s dkim_aligned=%s action=%s spec=%s%s", mc_qid(ctx),
               v->from_domain,
               dm_result_name(v->result), dm_policy_name(v->policy),
               dm_disposition_name(v->disposition), v->policy_domain,
               out->have_spf ? dm_auth_name(out->spf.result) : "none",
               out->spf_self ? "(self)"
                   : out->spf_received ? "(received-spf)" : "",
               v->dkim_aligned ? "yes" : "no",
               enf_action_name(out->decision.action), dm_spec_name(v->spec),
               mc_log_notes(out, notes, sizeof(notes)));
}

/* Our results on a delivered message: DKIM, our SPF, DMARC, the filter. */
static void
mc_result_headers(SMFICTX *ctx, const struct mc_conn *c,
                  const struct msg_outcome *out, const char *own_id)
{
    char hdr[1024];

    mc_dkim_headers(ctx, &c->msg, own_id);
    if (out->spf_self && aw_spf(hdr, sizeof(hdr), own_id, out->spf.result,
                                out->spf.domain, out->spf_helo))
        mc_add_header(ctx, "Authentication-Results", hdr);
    if (aw_dmarc(hdr, sizeof(hdr), own_id, &out->verdict))
        mc_add_header(ctx, "Authentication-Results", hdr);
    else
        dm_log(LOG_WARNING, "%s: AuthservID \"%s\" cannot be written in "
               "a header; none added", mc_qid(ctx), own_id);
    if (c->rt->cf->software_header) {
        snprintf(hdr, sizeof(hdr), "%s v%s %s", PACKAGE_NAME,
                 PACKAGE_VERSION, own_id);
        if (aw_id_ok(own_id))
            mc_add_header(ctx, "DMARC-Filter", hdr);
    }
}

/* CopyFailuresTo: the failure also goes to the operator's address. */
static void
mc_copy_failure(SMFICTX *ctx, const struct mc_conn *c)
{
    char *to = c->rt->cf->copy_failures_to;

    if (!c->addrcpt)
        return;     /* the MTA did not offer it; said at negotiation */
    if (smfi_addrcpt(ctx, to) != MI_SUCCESS)
        dm_log(LOG_WARNING, "%s: could not add the recipient %s "
               "(CopyFailuresTo)", mc_qid(ctx), to);
    else
        dm_log(LOG_INFO, "%s: failure copied to %s", mc_qid(ctx), to);
}

static sfsistat
mc_apply(SMFICTX *ctx, const struct mc_conn *c,
         const struct msg_outcome *out, const char *own_id)
{
    const struct enf_decision *d = &out->decision;

    switch (d->action) {
    case ENF_REJECT:
        return mc_reply(ctx, d->rcode, d->xcode, d->text, SMFIS_REJECT);
    case ENF_TEMPFAIL:
        return mc_reply(ctx, d->rcode, d->xcode, d->text, SMFIS_TEMPFAIL);
    case ENF_QUARANTINE:
    case ENF_ACCEPT:
        /* A held message still carries our verdict for whoever releases it. */
        if (d->action == ENF_QUARANTINE &&
            smfi_quarantine(ctx, (char *)d->text) != MI_SUCCESS)
            dm_log(LOG_WARNING, "%s: could not quarantine", mc_qid(ctx));
        if (d->copy)
            mc_copy_failure(ctx, c);
        mc_result_headers(ctx, c, out, own_id);
        break;
    }
    /*
     * OpenDMARC's answer, which milter tests and setups expect: "continue"
     * for a quarantine or reject failure left alone, "accept" otherwise.
     * Postfix and Sendmail deliver the same either way.
     */
    return d->unenforced ? SMFIS_CONTINUE : SMFIS_ACCEPT;
}

/* The history's view of the message, for the outcome hook. */
static void
mc_publish_outcome(SMFICTX *ctx, const struct mc_conn *c,
                   const struct msg_outcome *out,
                   const struct art_claims *claims, const char *own_id)
{
    struct mc_message_view mv;
    const char *job = smfi_getsymval(ctx, "i");
    char ar[1024];

    if (mc_outcome_hook == NULL)
        return;
    memset(&mv, 0, sizeof(mv));
    mv.cf = c->rt->cf;
    mv.session.job = job != NULL && *job != '\0' ? job : "(unknown-jobid)";
    mv.session.reporter = c->mta_id[0] != '\0' ? c->mta_id : NULL;
    mv.session.ipaddr = c->have_addr ? c->addr_text : NULL;
    mv.session.mfrom = c->msg.mailfrom_domain;
    mv.session.received = (long long)time(NULL);
    mv.session.arc_pass = claims->have_arc && claims->arc == DM_AUTH_PASS;
    mv.rcpt = (const char *const *)c->msg.rcpt;
    mv.n_rcpt = c->msg.n_rcpt;
    mv.rcpt_over = c->msg.rcpt_over || !c->want_rcpt;
    mv.mail_from = c->msg.sender;
    if (c->want_headers && c->msg.hdrs != NULL) {
        mv.headers = c->msg.hdrs;
        mv.headers_len = c->msg.hdrs_len;
        if (aw_dmarc(ar, sizeof(ar), own_id, &out->verdict))
            mv.ar_value = ar;
    }
    mc_outcome_hook(out, &mv, mc_outcome_arg);
}

/* Gather, let message.c decide, log, publish, apply. */
static sfsistat
mc_eom(SMFICTX *ctx)
{
    struct mc_conn *c = smfi_getpriv(ctx);
    struct msg_options *opt;
    struct msg_input *in;
    struct msg_outcome *out;
    char idbuf[MC_ID_MAX], wid[MC_ID_MAX + MC_QID_MAX + 4];
    const char *own_id;
    sfsistat ret;
    double started = clk_seconds();

    if (c == NULL)
        return SMFIS_TEMPFAIL;
    opt = &c->eom.opt;
    in = &c->eom.in;
    out = &c->eom.out;
    mc_gather(c, opt, in);
    switch (msg_screen(in, opt, out)) {
    case MSG_REJECT:
        dm_log(LOG_NOTICE, "%s: rejected: %s", mc_qid(ctx), out->reason);
        mc_msg_clear(&c->msg);
        return mc_reply(ctx, out->decision.rcode, out->decision.xcode,
                        out->decision.text, SMFIS_REJECT);
    case MSG_SKIP:
        return mc_skip(ctx, c, out->skip, out->detail);
    case MSG_EVALUATE:
    case MSG_DONE:
        break;
    }
    own_id = mc_own_id(c, idbuf, sizeof(idbuf));
    mc_gather_auth(ctx, c, own_id, &c->eom.claims, in);
    msg_evaluate(in, opt, out);
    out->verdict.eval_seconds = clk_seconds() - started;
    mc_log_rspf(ctx, &c->msg, out);
    mc_log_verdict(ctx, c, out);
    mc_publish(&out->verdict);
    mc_publish_outcome(ctx, c, out, &c->eom.claims, own_id);
    ret = mc_apply(ctx, c, out, mc_written_id(ctx, c, own_id, wid,
                                              sizeof(wid)));
    mc_msg_clear(&c->msg);
    return ret;
}

static sfsistat
mc_abort(SMFICTX *ctx)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c != NULL)
        mc_msg_clear(&c->msg);
    return SMFIS_CONTINUE;
}

static sfsistat
mc_close(SMFICTX *ctx)
{
    struct mc_conn *c = smfi_getpriv(ctx);

    if (c != NULL) {
        mc_msg_clear(&c->msg);
        rt_release(c->rt);
        free(c->dkim_ids);
        free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

struct smfiDesc mc_desc = {
    .xxfi_name = (char *)PACKAGE_NAME,
    .xxfi_version = SMFI_VERSION,
    .xxfi_flags = SMFIF_ADDHDRS | SMFIF_CHGHDRS | SMFIF_QUARANTINE,
    .xxfi_connect = mc_connect,
    .xxfi_helo = mc_helo,
    .xxfi_envfrom = mc_envfrom,
    .xxfi_envrcpt = mc_envrcpt,
    .xxfi_header = mc_header,
    .xxfi_eoh = mc_eoh,
    .xxfi_body = mc_body,
    .xxfi_eom = mc_eom,
    .xxfi_abort = mc_abort,
    .xxfi_close = mc_close,
    .xxfi_negotiate = mc_negotiate,
};
