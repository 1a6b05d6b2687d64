/*
 * history.h: one message's record in OpenDMARC's HistoryFile format, so
 * that Debian's opendmarc-import reads our file unchanged, with a few
 * extension keys it skips (README "Reports" lists every key): the writer
 * that formats a record, and a reader that streams records back out of
 * untrusted files for dmarc-reports.
 */
#ifndef DM_HISTORY_H
#define DM_HISTORY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

#include "dmarc/dmarc.h"

#define HIST_DKIM_MAX    16     /* signatures kept per message */
#define HIST_RUA_MAX     8      /* rua URIs kept per record */
#define HIST_URI_MAX     256
#define HIST_REASON_MAX  4
#define HIST_COMMENT_MAX 128
#define HIST_JOB_MAX     64
#define HIST_HOST_MAX    256
#define HIST_IP_MAX      46     /* INET6_ADDRSTRLEN */
#define HIST_LINE_MAX    1024   /* the reader's bound on one line */
#define HIST_RECORD_MAX  12288  /* a buffer this large holds any record */

/* OpenDMARC's "policy": what the policy asks (opendmarc_get_policy...). */
enum hist_policy {
    HIST_POLICY_UNKNOWN = 14,   /* no record */
    HIST_POLICY_PASS = 15,      /* DMARC passed */
    HIST_POLICY_REJECT = 16,
    HIST_POLICY_QUARANTINE = 17,
    HIST_POLICY_NONE = 18
};

/* OpenDMARC's "action": the disposition applied. */
enum hist_action {
    HIST_ACTION_REJECT = 0,
    HIST_ACTION_DISCARD = 1,
    HIST_ACTION_NONE = 2,       /* accepted */
    HIST_ACTION_TEMPFAIL = 3,
    HIST_ACTION_QUARANTINE = 4
};

/* OpenDMARC's "align_dkim" / "align_spf". */
enum hist_align {
    HIST_ALIGN_UNKNOWN = 0,     /* not computed (no record) */
    HIST_ALIGN_PASS = 4,
    HIST_ALIGN_FAIL = 5
};

enum hist_scope { HIST_SCOPE_UNKNOWN = 0, HIST_SCOPE_MFROM, HIST_SCOPE_HELO };

enum hist_discovery {
    HIST_DISCOVERY_UNKNOWN = 0,
    HIST_DISCOVERY_PSL,         /* RFC 7489: the public suffix list */
    HIST_DISCOVERY_TREEWALK     /* RFC 9989: the DNS tree walk */
};

/* Why the disposition differs from the policy (RFC 9990 and 7489 words). */
enum hist_reason_type {
    HIST_REASON_FORWARDED = 0,  /* RFC 7489 only */
    HIST_REASON_SAMPLED_OUT,    /* RFC 7489 only: outside pct */
    HIST_REASON_TRUSTED_FORWARDER,
    HIST_REASON_MAILING_LIST,
    HIST_REASON_LOCAL_POLICY,
    HIST_REASON_POLICY_TEST_MODE, /* RFC 9990 only: t=y */
    HIST_REASON_OTHER,
    HIST_REASON__COUNT
};

struct hist_dkim {
    char domain[DM_DOMAIN_MAX];    /* d=, normalised */
    char selector[DM_SELECTOR_MAX];/* s=; "" when unknown */
    enum dm_auth result;
};

struct hist_reason {
    enum hist_reason_type type;
    char comment[HIST_COMMENT_MAX];/* "" when none */
};

/*
 * One evaluated From domain of one message. Strings are NUL-terminated;
 * the writer refuses nothing but never writes a byte that could break a
 * line or a field (see hist_format).
 */
struct hist_record {
    char job[HIST_JOB_MAX];        /* MTA queue id */
    char reporter[HIST_HOST_MAX];  /* this MTA's host name */
    long long received;            /* Unix time */
    char ipaddr[HIST_IP_MAX];      /* client address */
    char from[DM_DOMAIN_MAX];      /* RFC5322.From domain */
    char mfrom[DM_DOMAIN_MAX];     /* RFC5321.MailFrom domain; "": <> */
    size_t n_dkim;
    struct hist_dkim dkim[HIST_DKIM_MAX];
    bool spf_evaluated;            /* false: "spf -1" */
    enum dm_auth spf;
    enum hist_scope spf_scope;     /* extension (OpenDMARC develop's key) */
    char spf_domain[DM_DOMAIN_MAX];/* extension: the identity checked */
    char pdomain[DM_DOMAIN_MAX];   /* where the policy record was found */
    enum hist_policy policy;
    size_t n_rua;
    char rua[HIST_RUA_MAX][HIST_URI_MAX]; /* as published */
    int pct;                       /* 0..100 */
    char adkim, aspf;              /* 'r', 's'; 0 with no record */
    char p, sp;                    /* 'n', 'q', 'r'; 0 unspecified */
    unsigned fo;                   /* extension: 1 "0", 2 "1", 4 d, 8 s */
    char np;                       /* extension: 'n', 'q', 'r'; 0 */
    char t;                        /* extension: 'y', 'n'; 0 */
    enum hist_discovery discovery; /* extension */
    enum hist_align align_dkim, align_spf;
    bool arc_pass;                 /* "arc 0"; false: "arc 7" */
    size_t n_reasons;              /* extension */
    struct hist_reason reasons[HIST_REASON_MAX];
    enum hist_action action;
};

/* The reason words of RFC 9990 / 7489; NULL past the end. */
const char *hist_reason_name(enum hist_reason_type t);
bool hist_reason_parse(const char *word, enum hist_reason_type *out);

/*
 * Format r as one block of "key value" lines into buf (size bytes; a
 * buffer of HIST_RECORD_MAX always fits). Every value is checked as it
 * is written: a byte that is not printable ASCII, or a space inside a
 * one-word value, is replaced by '?', and an rua URI holding one is left
 * out, so that no DNS answer or queue id can start a line or a record of
 * its own. Returns the length, or -1 when buf is too small.
 */
int hist_format(const struct hist_record *r, char *buf, size_t size);

/* ------------------------------------------------------------------ */
/* reading */

struct hist_stats {
    unsigned long long records;    /* returned */
    unsigned long long broken;     /* skipped: a required key missing or a
                                      value out of range */
    unsigned long long bad_lines;  /* too long, NUL bytes, outside a record */
    unsigned long long unknown;    /* lines with a key we do not know */
};

struct hist_reader;

/*
 * Read path from byte start up to byte stop (the size when the run began:
 * what is appended later is the next run's). NULL with errno set when the
 * file cannot be opened or start is past its end.
 */
struct hist_reader *hist_open(const char *path, off_t start, off_t stop);

/*
 * The next complete record in *r (the reader's, valid until the next
 * call), and in *at the offset of its "job" line. 1: a record; 0: no
 * more; -1: a read error (errno). A record is complete at the next "job"
 * line, or at the stop offset when it holds its "action" line; one still
 * being written is left for the next run.
 */
int hist_next(struct hist_reader *h, const struct hist_record **r,
              off_t *at);

/* Where the next run starts: after the last complete record read. */
off_t hist_done(const struct hist_reader *h);

const struct hist_stats *hist_stats(const struct hist_reader *h);

void hist_close(struct hist_reader *h);

/* The same over an open stream positioned at start; closed by
   hist_close (the fuzzer reads a buffer through fmemopen). */
struct hist_reader *hist_open_stream(FILE *fp, off_t start, off_t stop);

#endif
