/*
 * ar_write.h: the Authentication-Results header fields we add.
 *
 * Everything written is checked here, whatever its source: no control
 * bytes, no line breaks, no spaces or semicolons inside a domain or id.
 */
#ifndef DM_AR_WRITE_H
#define DM_AR_WRITE_H

#include <stdbool.h>
#include <stddef.h>
#include "dmarc/verdict.h"

/* True when s can stand as an authserv-id (RFC 8601 value): a token
   ("/" allowed, as OpenDMARC 1.4.2 wrote it), or aw_format_id's quoted
   "id/jobid". */
bool aw_id_ok(const char *s);

/*
 * The authserv-id our fields carry: id, or with a job id (the MTA's queue
 * id; AuthservIDWithJobID) "id/jobid" in double quotes, as RFC 8601
 * requires of a value holding '/'. A job id that is not a plain token is
 * left out. False when id is unsafe or out does not hold it.
 */
bool aw_format_id(char *out, size_t outsz, const char *id,
                  const char *jobid);

/* True when s is a normalised domain safe to write: [a-z0-9._-]+ only. */
bool aw_domain_ok(const char *s);

/*
 * "<id>; dmarc=<result> (p=<policy> dis=<disposition>) header.from=<domain>"
 * as OpenDMARC writes it. The comment states a policy only when a record
 * was found and applied; "none" is always "(p=none dis=none)", and a
 * permerror or temperror without a record has no comment. With
 * v->from_standin, the comment " (no usable From field; the MAIL FROM
 * domain stands in)" (or "the HELO name") follows header.from. False
 * when a part is unsafe or out does not hold it.
 */
bool aw_dmarc(char *out, size_t outsz, const char *id,
              const struct dm_verdict *v);

/* "<id>; spf=<result> smtp.mailfrom=<domain>" (or smtp.helo=). */
bool aw_spf(char *out, size_t outsz, const char *id, enum dm_auth result,
            const char *domain, bool helo);

#endif
