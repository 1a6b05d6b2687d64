/*
 * dmarc.h: the public header of dmarc/ (libdmarc.a), the pure engine:
 * From and Authentication-Results parsing, DMARC evaluation, enforcement.
 */
#ifndef DM_DMARC_H
#define DM_DMARC_H

#include "dmarc/verdict.h"
#include "dmarc/org_domain.h"
#include "dmarc/received_spf.h"
#include "dmarc/dmarc_eval.h"
#include "dmarc/from_header.h"
#include "dmarc/ar_parse.h"
#include "dmarc/ar_trust.h"
#include "dmarc/ar_write.h"
#include "dmarc/enforce.h"
#include "dmarc/required_headers.h"
#include "dmarc/message.h"

#endif
