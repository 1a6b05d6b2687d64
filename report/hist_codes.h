/*
 * hist_codes.h: OpenDMARC's numeric result codes, shared by the
 * HistoryFile writer (history.c) and reader (history_read.c).
 */
#ifndef DM_HIST_CODES_H
#define DM_HIST_CODES_H

#include <stdbool.h>
#include "dmarc/dmarc.h"

/* The ARES code of a result (pass 0, softfail 2, ... fail 7, policy 8). */
int hc_ares_code(enum dm_auth a);
bool hc_ares_parse(long code, enum dm_auth *out);

#endif
