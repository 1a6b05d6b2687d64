/*
 * null_filter.c: libmilter filters that do no DMARC work, the references
 * the benchmark divides by, so that its figures are ratios to the cost of
 * the milter protocol itself.
 *
 *   --plain       (the default) takes the headers, a reply to each, and
 *                 accepts at end of message: the classic do-nothing filter.
 *   --floor       the true floor of a DMARC filter that does not read the
 *                 body: it takes what dmarc-milter takes (connect, HELO,
 *                 MAIL, each header, end of headers, end of message), tells
 *                 the MTA not to wait for a reply at connect, HELO, each
 *                 header and end of headers (SMFIP_NR_*, answering
 *                 SMFIS_NOREPLY there), turns off RCPT, the body, DATA and
 *                 unknown commands, keeps a copy of every header it is
 *                 given and adds one header at end of message.
 *   --floor-body  the same, but it takes the body as a DKIM verifier must,
 *                 with no reply per body chunk (SMFIP_NR_BODY).
 *
 * usage: null_filter [--plain|--floor|--floor-body] unix:/path/to/socket
 */
#include <config.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libmilter/mfapi.h>

/* The steps the floor wants no reply to, and those it turns off. */
#define NF_NOREPLY (SMFIP_NR_CONN | SMFIP_NR_HELO | SMFIP_NR_HDR | SMFIP_NR_EOH)
#define NF_SKIP    (SMFIP_NORCPT | SMFIP_NOUNKNOWN | SMFIP_NODATA)

/* One header field kept for the message, newest first. */
struct nf_field {
    struct nf_field *next;
    char *name;
    char *value;
};

/* A connection's state: the NR_* flags granted and the kept header. */
struct nf_conn {
    unsigned long no_reply;
    struct nf_field *fields;
    unsigned nfields;
    bool lost;                  /* a field could not be kept */
};

static bool nf_body;            /* --floor-body */

/* ---- the plain filter ---- */

static sfsistat
nf_plain_header(SMFICTX *ctx, char *name, char *value)
{
    (void)ctx;
    (void)name;
    (void)value;
    return SMFIS_CONTINUE;
}

static sfsistat
nf_plain_eom(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_ACCEPT;
}

/* ---- the floor ---- */

static void
nf_forget(struct nf_conn *c)
{
    while (c->fields != NULL) {
        struct nf_field *f = c->fields;

        c->fields = f->next;
        free(f->name);
        free(f->value);
        free(f);
    }
    c->nfields = 0;
    c->lost = false;
}

/* The answer for a step the MTA may have been told not to wait on. */
static sfsistat
nf_answer(SMFICTX *ctx, unsigned long step)
{
    const struct nf_conn *c = smfi_getpriv(ctx);

    return c != NULL && (c->no_reply & step) != 0 ? SMFIS_NOREPLY
                                                  : SMFIS_CONTINUE;
}

static sfsistat
nf_negotiate(SMFICTX *ctx, unsigned long f0, unsigned long f1,
             unsigned long f2, unsigned long f3, unsigned long *pf0,
             unsigned long *pf1, unsigned long *pf2, unsigned long *pf3)
{
    unsigned long skip = NF_SKIP | (nf_body ? 0 : SMFIP_NOBODY);
    unsigned long nr = NF_NOREPLY | (nf_body ? SMFIP_NR_BODY : 0);
    struct nf_conn *c;

    (void)f2;
    (void)f3;
    if ((f0 & SMFIF_ADDHDRS) == 0)
        return SMFIS_REJECT;
    /* Negotiation comes once per connection, before connect. */
    if ((c = calloc(1, sizeof(*c))) == NULL)
        return SMFIS_REJECT;
    c->no_reply = f1 & nr;
    smfi_setpriv(ctx, c);
    *pf0 = SMFIF_ADDHDRS;
    *pf1 = (f1 & skip) | c->no_reply;
    *pf2 = 0;
    *pf3 = 0;
    return SMFIS_CONTINUE;
}

static sfsistat
nf_connect(SMFICTX *ctx, char *host, _SOCK_ADDR *sa)
{
    (void)host;
    (void)sa;
    return nf_answer(ctx, SMFIP_NR_CONN);
}

static sfsistat
nf_helo(SMFICTX *ctx, char *helo)
{
    (void)helo;
    return nf_answer(ctx, SMFIP_NR_HELO);
}

/* MAIL gets a reply, as from a DMARC filter (it may refuse there). */
static sfsistat
nf_envfrom(SMFICTX *ctx, char **argv)
{
    (void)ctx;
    (void)argv;
    return SMFIS_CONTINUE;
}

static sfsistat
nf_header(SMFICTX *ctx, char *name, char *value)
{
    struct nf_conn *c = smfi_getpriv(ctx);
    struct nf_field *f;

    if (c == NULL)
        return SMFIS_TEMPFAIL;
    if ((f = calloc(1, sizeof(*f))) == NULL
        || (f->name = strdup(name)) == NULL
        || (f->value = strdup(value)) == NULL) {
        if (f != NULL)
            free(f->name);
        free(f);
        /* no reply may be sent here: the failure shows at end of message */
        c->lost = true;
        return nf_answer(ctx, SMFIP_NR_HDR);
    }
    f->next = c->fields;
    c->fields = f;
    c->nfields++;
    return nf_answer(ctx, SMFIP_NR_HDR);
}

static sfsistat
nf_eoh(SMFICTX *ctx)
{
    return nf_answer(ctx, SMFIP_NR_EOH);
}

static sfsistat
nf_body_chunk(SMFICTX *ctx, unsigned char *buf, size_t len)
{
    (void)buf;
    (void)len;
    return nf_answer(ctx, SMFIP_NR_BODY);
}

static sfsistat
nf_eom(SMFICTX *ctx)
{
    struct nf_conn *c = smfi_getpriv(ctx);
    char value[64];
    bool lost;

    if (c == NULL)
        return SMFIS_TEMPFAIL;
    lost = c->lost;
    snprintf(value, sizeof(value), "floor; %u header fields kept",
             c->nfields);
    nf_forget(c);
    if (lost || smfi_addheader(ctx, (char *)"X-Null-Filter", value)
        != MI_SUCCESS)
        return SMFIS_TEMPFAIL;
    return SMFIS_ACCEPT;
}

static sfsistat
nf_abort(SMFICTX *ctx)
{
    struct nf_conn *c = smfi_getpriv(ctx);

    if (c != NULL)
        nf_forget(c);
    return SMFIS_CONTINUE;
}

static sfsistat
nf_close(SMFICTX *ctx)
{
    struct nf_conn *c = smfi_getpriv(ctx);

    if (c != NULL) {
        nf_forget(c);
        free(c);
        smfi_setpriv(ctx, NULL);
    }
    return SMFIS_CONTINUE;
}

int
main(int argc, char **argv)
{
    struct smfiDesc plain = {
        .xxfi_name = (char *)"null_filter",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS,
        .xxfi_header = nf_plain_header,
        .xxfi_eom = nf_plain_eom,
    };
    struct smfiDesc floor = {
        .xxfi_name = (char *)"null_filter",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS,
        .xxfi_connect = nf_connect,
        .xxfi_helo = nf_helo,
        .xxfi_envfrom = nf_envfrom,
        .xxfi_header = nf_header,
        .xxfi_eoh = nf_eoh,
        .xxfi_eom = nf_eom,
        .xxfi_abort = nf_abort,
        .xxfi_close = nf_close,
        .xxfi_negotiate = nf_negotiate,
    };
    struct smfiDesc *desc = &plain;
    const char *mode = argc == 3 ? argv[1] : "--plain";

    if (argc == 3 && strcmp(mode, "--floor-body") == 0) {
        nf_body = true;
        floor.xxfi_body = nf_body_chunk;
        desc = &floor;
    } else if (argc == 3 && strcmp(mode, "--floor") == 0) {
        desc = &floor;
    } else if (strcmp(mode, "--plain") != 0 || argc < 2 || argc > 3) {
        fprintf(stderr,
                "usage: null_filter [--plain|--floor|--floor-body] SOCKET\n");
        return 64;
    }
    if (smfi_setconn(argv[argc - 1]) != MI_SUCCESS
        || smfi_register(*desc) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "null_filter: cannot listen on %s\n", argv[argc - 1]);
        return 71;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 71;
}
