/*
 * enforce.h: from the policy's wish to the action taken, under the
 * operator's settings (RejectFailures, HoldQuarantinedMessages,
 * TempErrorAction). Pure, so the rules are unit-tested.
 */
#ifndef DM_ENFORCE_H
#define DM_ENFORCE_H

#include <stdbool.h>

#include "dmarc/verdict.h"

enum enf_action {
    ENF_ACCEPT = 0,     /* deliver, with our header */
    ENF_QUARANTINE,     /* deliver to the hold queue, with our header */
    ENF_REJECT,         /* 550 */
    ENF_TEMPFAIL        /* 451: the sender tries again, nothing is lost */
};

#define ENF_REPLY_MAX 512

/* The operator's settings that enforcement reads (filled from the keys). */
struct enf_options {
    bool reject_failures;       /* RejectFailures */
    bool hold_quarantined;      /* HoldQuarantinedMessages */
    bool tempfail_temperror;    /* TempErrorAction tempfail */
    const char *reject_string;  /* RejectString, checked at load (printable
                                   ASCII, at most one "%s" and no other
                                   '%'): "%s" is the From domain. NULL:
                                   OpenDMARC's text, which names the
                                   domain of the applied record */
    bool copy_failures;         /* CopyFailuresTo is set */
};

struct enf_decision {
    enum enf_action action;
    const char *rcode;          /* "550", "451"; NULL for accept */
    const char *xcode;          /* "5.7.1", "4.7.1" */
    char text[ENF_REPLY_MAX];   /* reply text or quarantine reason */
    bool unenforced;            /* a quarantine or reject policy failed and
                                   no action was taken: OpenDMARC answers
                                   "continue" then, not "accept" */
    bool copy;                  /* CopyFailuresTo: a quarantine or reject
                                   policy failed and the message is kept
                                   (enforced by a hold, or not enforced) */
};

/*
 * Decide for an evaluated verdict; v->disposition becomes the action
 * actually taken (none, quarantine or reject). A verdict whose action a
 * local policy set aside (v->override) is accepted, and is no failure
 * "left alone".
 */
void enf_decide(const struct enf_options *opt, struct dm_verdict *v,
                struct enf_decision *d);

const char *enf_action_name(enum enf_action a);

/*
 * True when text can be a RejectString: 1 to ENF_REJECT_STRING_MAX bytes
 * of printable ASCII (an SMTP reply line; libmilter drops a text with a
 * lone '%'), holding at most one "%s" and no other '%'. Else false with
 * the reason in *why.
 */
#define ENF_REJECT_STRING_MAX 200
bool enf_reject_string_ok(const char *text, const char **why);

#endif
