/*
 * history.c: the milter's HistoryFile (see history.h): whether a message
 * is recorded, and the append, counted. The record itself is built by
 * report/ from the same outcome the counters count.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "report/report.h"
#include "util/util.h"
#include "milter/history.h"

struct mh_history {
    struct hf_file *file;
    struct cs_store *cs;
};

static void
mh_failed(void *arg)
{
    struct mh_history *h = arg;

    if (h->cs != NULL)
        cs_count_event(h->cs, CS_EV_HISTORY_FAILED);
}

struct mh_history *
mh_open(const struct dm_config *cf, struct cs_store *cs)
{
    const struct rp_settings *rp = rp_settings(cf);
    struct mh_history *h;

    if (rp == NULL || rp->history_file == NULL)
        return NULL;
    if ((h = calloc(1, sizeof(*h))) == NULL ||
        (h->file = hf_open(rp->history_file, mh_failed, h)) == NULL) {
        dm_log(LOG_ERR, "HistoryFile %s: out of memory; no history is "
               "written", rp->history_file);
        free(h);
        return NULL;
    }
    h->cs = cs;
    return h;
}

/* True when one IgnoreMailTo entry (an address, or a domain) names rcpt. */
static bool
mh_entry_matches(const char *entry, size_t n, const char *rcpt)
{
    const char *at = strrchr(rcpt, '@');

    if (memchr(entry, '@', n) != NULL)
        return strlen(rcpt) == n && strncasecmp(entry, rcpt, n) == 0;
    return at != NULL && strlen(at + 1) == n &&
           strncasecmp(entry, at + 1, n) == 0;
}

static bool
mh_listed(const char *list, const char *rcpt)
{
    const char *p = list;

    while (*p != '\0') {
        size_t skip = strspn(p, ", \t"), n;

        p += skip;
        n = strcspn(p, ", \t");
        if (n > 0 && mh_entry_matches(p, n, rcpt))
            return true;
        p += n;
    }
    return false;
}

/*
 * IgnoreMailTo: a message is left out when every recipient is listed; one
 * to others as well is recorded, so no report loses their mail.
 */
static bool
mh_ignored(const char *list, const struct mc_message_view *mv)
{
    if (list == NULL || mv->rcpt_over || mv->n_rcpt == 0)
        return false;
    for (size_t i = 0; i < mv->n_rcpt; i++) {
        if (!mh_listed(list, mv->rcpt[i]))
            return false;
    }
    return true;
}

bool
mh_wanted(const struct mh_history *h, const struct rp_settings *rp,
          const struct msg_outcome *out, const struct mc_message_view *mv)
{
    return h != NULL && rp != NULL && hb_wanted(out, rp->record_all) &&
           !mh_ignored(rp->ignore_mail_to, mv);
}

void
mh_write(struct mh_history *h, const struct hist_record *r)
{
    if (hf_append(h->file, r) && h->cs != NULL)
        cs_count_event(h->cs, CS_EV_HISTORY_WRITTEN);
}

void
mh_reopen(struct mh_history *h)
{
    if (h != NULL)
        hf_reopen(h->file);
}

void
mh_close(struct mh_history *h)
{
    if (h == NULL)
        return;
    hf_close(h->file);
    free(h);
}
