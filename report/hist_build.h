/*
 * hist_build.h: one message's HistoryFile record from the decision the
 * engine made (dmarc/message.h) and what the MTA said of the session:
 * the same verdict the counters count, so the reports agree with them.
 */
#ifndef DM_HIST_BUILD_H
#define DM_HIST_BUILD_H

#include "dmarc/dmarc.h"
#include "report/history.h"

/* What the record needs beyond the decision; strings may be NULL. */
struct hist_session {
    const char *job;            /* MTA queue id */
    const char *reporter;       /* this MTA's name (the j macro) */
    const char *ipaddr;         /* client address; NULL: 127.0.0.1, as
                                   OpenDMARC writes for an unknown one */
    const char *mfrom;          /* MAIL FROM domain; "" for <> */
    long long received;         /* Unix time */
    bool arc_pass;              /* a trusted ARC verifier said pass */
};

/*
 * True when the message is recorded: OpenDMARC's rule, a policy record
 * applied (a DNS temporary error counts) or record_all. Messages refused
 * or skipped before evaluation are never recorded.
 */
bool hb_wanted(const struct msg_outcome *o, bool record_all);

/* Fill *r for an outcome of stage MSG_DONE. */
void hb_build(const struct msg_outcome *o, const struct hist_session *s,
              struct hist_record *r);

#endif
