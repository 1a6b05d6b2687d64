/*
 * test_agentx.c: the subagent's value mappings, which must match
 * DMARC-MILTER-MIB (dmarcDomainPolicy's enumeration, DateAndTime in UTC).
 * The subagent itself runs against a real snmpd in tests/agentx/.
 */
#include <config.h>

#include <string.h>
#include <time.h>

#include "agentx/ax_mib.h"
#include "tests/unit/tap.h"

static void
test_policy(void)
{
    /* none(1), quarantine(2), reject(3), absent(4) */
    is_int(ax_policy_value(DM_POLICY_NONE), 1, "p=none is none(1)");
    is_int(ax_policy_value(DM_POLICY_QUARANTINE), 2,
           "p=quarantine is quarantine(2)");
    is_int(ax_policy_value(DM_POLICY_REJECT), 3, "p=reject is reject(3)");
    is_int(ax_policy_value(DM_POLICY_ABSENT), 4, "no record is absent(4)");
    is_int(ax_policy_value((enum dm_policy)DM_POLICY__COUNT), 4,
           "an out-of-range policy reads as absent");
    is_int(ax_policy_value((enum dm_policy)-1), 4,
           "a negative one too");
}

/* dt: what ax_date_and_time wrote, as "y-m-d h:m:s.d +hh:mm". */
static const char *
fmt(const unsigned char dt[11])
{
    static char buf[64];

    snprintf(buf, sizeof(buf), "%u-%02u-%02u %02u:%02u:%02u.%u %c%02u:%02u",
             (unsigned)(dt[0] << 8 | dt[1]), dt[2], dt[3], dt[4], dt[5],
             dt[6], dt[7], dt[8], dt[9], dt[10]);
    return buf;
}

static void
test_date(void)
{
    unsigned char dt[11];

    ax_date_and_time(0, dt);
    is_str(fmt(dt), "1970-01-01 00:00:00.0 +00:00", "the epoch");
    ax_date_and_time((time_t)1795341292, dt);
    is_str(fmt(dt), "2026-11-22 09:54:52.0 +00:00", "a time in 2026, UTC");
    is_int(dt[0], 0x07, "the year's high octet first (network order)");
    is_int(dt[1], 0xea, "then its low octet");
    ax_date_and_time((time_t)951782400, dt);
    is_str(fmt(dt), "2000-02-29 00:00:00.0 +00:00", "a leap day");
    ax_date_and_time((time_t)4102444799, dt);
    is_str(fmt(dt), "2099-12-31 23:59:59.0 +00:00",
           "the last second of 2099");
    ax_date_and_time((time_t)253402300799, dt);
    is_str(fmt(dt), "9999-12-31 23:59:59.0 +00:00",
           "the last second DateAndTime's year range holds");
}

int
main(void)
{
    test_policy();
    test_date();
    return done_testing();
}
