/*
 * dmarc_record.h: parse one DMARC policy record (RFC 7489 section 6.3,
 * RFC 9989 DMARCbis tags kept where present).
 */
#ifndef DM_DMARC_RECORD_H
#define DM_DMARC_RECORD_H

#include <stdbool.h>
#include <stddef.h>
#include "dmarc/verdict.h"

enum dmarc_align_mode { DMARC_ALIGN_RELAXED = 0, DMARC_ALIGN_STRICT };

/* fo= options, as bits: "0", "1", "d", "s" (RFC 7489 6.3). */
#define DMARC_FO_0 1u
#define DMARC_FO_1 2u
#define DMARC_FO_D 4u
#define DMARC_FO_S 8u

/* Room for the valid URIs of rua= or ruf=, comma-separated. */
#define DMARC_URI_LIST_MAX 512

enum dmarc_record_status {
    DMARC_RECORD_OK = 0,        /* usable policy in *rec */
    DMARC_RECORD_NOT_DMARC,     /* first tag is not v=DMARC1: discard it */
    DMARC_RECORD_INVALID        /* v=DMARC1 but no usable p and no valid
                                   rua: no DMARC processing (RFC 7489
                                   6.6.3, RFC 9989 4.10.1) */
};

struct dmarc_record {
    enum dm_policy p;           /* NONE, QUARANTINE or REJECT */
    enum dm_policy sp;          /* equals p unless sp= was given */
    enum dm_policy np;          /* DMARCbis np=; equals sp unless given */
    bool sp_given;
    bool np_given;
    bool p_from_rua_fallback;   /* p was invalid/missing, valid rua: p=none */
    enum dmarc_align_mode adkim;
    enum dmarc_align_mode aspf;
    int pct;                    /* 0..100, default 100 */
    bool t_given;               /* DMARCbis t=y (testing) */
    bool testing;
    int psd;                    /* DMARCbis psd=: 'y', 'n', 'u' (default) */
    bool has_rua;               /* at least one syntactically valid rua URI */
    unsigned fo;                /* DMARC_FO_* bits; default DMARC_FO_0 */
    /* Last (dr_defaults clears what comes before them): */
    char rua[DMARC_URI_LIST_MAX]; /* the valid rua URIs, "" when none */
    char ruf[DMARC_URI_LIST_MAX]; /* the valid ruf URIs, "" when none */
};

/*
 * Parse txt (len bytes, the TXT record's strings already concatenated).
 * Tag names and values are case-insensitive; unknown tags are ignored;
 * tags with invalid values fall back to their defaults (RFC 7489 6.3),
 * except p: an invalid or missing p gives p=none when rua holds a valid
 * URI, else DMARC_RECORD_INVALID. On INVALID, *why names the problem
 * (static string). Never reads past len; txt may contain any bytes.
 * A repeated tag keeps its first occurrence. *why is NULL on OK, and
 * rec/why may be NULL when only the status matters.
 */
enum dmarc_record_status dmarc_record_parse(const char *txt, size_t len,
                                            struct dmarc_record *rec,
                                            const char **why);

/*
 * The same under one specification. RFC 7489 is dmarc_record_parse().
 * RFC 9989 differs in two ways: a record with no p tag at all is p=none
 * (section 4.7), and an invalid np, like an invalid sp, makes the record
 * act as "p=none" when rua is valid and be unusable otherwise.
 */
enum dmarc_record_status dmarc_record_parse_spec(const char *txt, size_t len,
                                                 enum dm_spec spec,
                                                 struct dmarc_record *rec,
                                                 const char **why);

/*
 * True when txt starts with the v tag and its value is exactly "DMARC1",
 * case included (used to count candidates).
 */
bool dmarc_record_is_dmarc(const char *txt, size_t len);

#endif
