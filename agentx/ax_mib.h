/*
 * ax_mib.h: DMARC-MILTER-MIB (agentx/DMARC-MILTER-MIB.txt) served from
 * the counter store: dmarcDomainTable, the totals and the daemon scalars.
 *
 * Net-SNMP is not thread-safe: call these only from the thread that owns
 * the agent (agentx.c), between init_agent() and snmp_shutdown().
 */
#ifndef DM_AX_MIB_H
#define DM_AX_MIB_H

#include <stddef.h>
#include <time.h>

#include "metrics/metrics.h"

/*
 * The module's root, dmarcMilterMIB. It sits under netSnmpPlaypen
 * (1.3.6.1.4.1.8072.9999.9999) until the project has an IANA enterprise
 * number; moving it changes this line and the MIB's MODULE-IDENTITY.
 */
#define AX_ROOT_OID 1, 3, 6, 1, 4, 1, 8072, 9999, 9999, 7489

/* Columns of dmarcDomainEntry (1, the index, is not accessible). */
enum ax_column {
    AX_COL_NAME = 2,
    AX_COL_POLICY,
    AX_COL_PASS,
    AX_COL_FAIL,
    AX_COL_NONE,
    AX_COL_TEMPERROR,
    AX_COL_PERMERROR,
    AX_COL_QUARANTINE,
    AX_COL_REJECT
};

/* dmarcDomainPolicy's enumeration for a store policy. */
int ax_policy_value(enum dm_policy p);

/* The 11 octets of a DateAndTime in UTC for t. */
void ax_date_and_time(time_t t, unsigned char out[11]);

struct ax_mib;

/* Register every object; NULL with a reason when Net-SNMP refuses. */
struct ax_mib *ax_mib_register(struct cs_store *cs, time_t started,
                               char *err, size_t errsz);

/* Unregister and free (before snmp_shutdown). */
void ax_mib_unregister(struct ax_mib *m);

#endif
