/*
 * show_settings.h: what `dmarc-milter -n` prints after "configuration OK":
 * the effective settings, file values and defaults alike.
 */
#ifndef DM_SHOW_SETTINGS_H
#define DM_SHOW_SETTINGS_H

#include <stdio.h>

#include "config/conf.h"

/*
 * The settings that decide what happens to mail, grouped as an operator
 * asks about them: the process, where SPF and DKIM results come from and
 * what is trusted, the policy applied, and the counters and history.
 */
void ss_print(FILE *fp, const struct dm_config *cf);

#endif
