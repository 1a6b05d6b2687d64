/*
 * dmarc_align.h: identifier alignment (RFC 7489 section 3.1).
 */
#ifndef DM_DMARC_ALIGN_H
#define DM_DMARC_ALIGN_H

#include <stdbool.h>
#include "dmarc/dmarc_record.h"
#include "dmarc/org_domain.h"

/*
 * True when the authenticated domain auth aligns with the From domain from
 * under mode: strict needs the same name, relaxed the same organizational
 * domain. Both names must be normalised.
 */
bool dmarc_aligned(const struct od_list *psl, const char *from,
                   const char *auth, enum dmarc_align_mode mode);

#endif
