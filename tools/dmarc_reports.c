/*
 * dmarc_reports.c: dmarc-reports, the aggregate report sender: reads the
 * HistoryFiles (several MXes' merge into one organization's reports),
 * builds one report per policy domain per closed interval, and mails
 * each through ReportCommand (or writes it to --outdir) exactly once.
 *
 * A run: take the ledger (ledger.h), read each file from where the last
 * run left it up to its size now, count the records of closed intervals,
 * stage each report in the outbox and commit; then deliver the outbox,
 * striking off each destination as it succeeds.
 */
#include <config.h>
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include "agentx/agentx.h"
#include "config/conf.h"
#include "metrics/metrics.h"
#include "report/report.h"
#include "util/util.h"

#define RM_FILES_MAX 32
enum { RM_OK = 0, RM_FAILED = 1, RM_USAGE = 2, RM_STATE = 3 };

struct rm_opts {
    const char *config;
    const char *history[RM_FILES_MAX];
    size_t n_history;
    long long end;              /* closes the intervals that end by it */
    const char *outdir;
    const char *state_dir;
    bool dry_run;
    bool verbose;
};

/* What one run counted, for the log, the stats file and the exit. */
struct rm_counts {
    unsigned long long records, reports, sent, failed, refused, skipped;
};

struct rm_run {
    struct rm_opts o;
    struct dm_config *cf;
    const struct rp_settings *s;
    const char *submitter;
    struct od_list *psl;
    struct dq_opts dq;
    struct dns_resolver res;
    struct dns_txt_resolver txt;
    struct dest_list *noreports;
    struct ledger lg;
    struct ag_set *set;
    struct rm_counts c;
    long long now;
};

static void
rm_usage(FILE *fp)
{
    fprintf(fp, "usage: dmarc-reports [-c FILE] [--history FILE]... "
            "[--end TIME|now] [--outdir DIR]\n"
            "                     [--state-dir DIR] [--dry-run] [-v]\n");
}

static bool
rm_parse_end(const char *s, long long now, long long *out)
{
    char *end;

    if (strcmp(s, "now") == 0) {
        *out = now;
        return true;
    }
    errno = 0;
    *out = strtoll(s, &end, 10);
    return errno == 0 && *s != '\0' && *end == '\0' && *out >= 0;
}

static int
rm_options(int argc, char **argv, struct rm_run *m)
{
    static const struct option longs[] = {
        { "history", required_argument, NULL, 'H' },
        { "end", required_argument, NULL, 'e' },
        { "outdir", required_argument, NULL, 'o' },
        { "state-dir", required_argument, NULL, 's' },
        { "dry-run", no_argument, NULL, 'n' },
        { "help", no_argument, NULL, 'h' },
        { NULL, 0, NULL, 0 },
    };
    int ch;

    m->o.config = CF_DEFAULT_FILE;
    m->o.end = m->now;
    while ((ch = getopt_long(argc, argv, "c:vhV", longs, NULL)) != -1) {
        switch (ch) {
        case 'c': m->o.config = optarg; break;
        case 'H':
            if (m->o.n_history == RM_FILES_MAX) {
                fprintf(stderr, "dmarc-reports: at most %d history files\n",
                        RM_FILES_MAX);
                return RM_USAGE;
            }
            m->o.history[m->o.n_history++] = optarg;
            break;
        case 'e':
            if (!rm_parse_end(optarg, m->now, &m->o.end)) {
                fprintf(stderr, "dmarc-reports: --end: not a Unix time or "
                        "\"now\": %s\n", optarg);
                return RM_USAGE;
            }
            break;
        case 'o': m->o.outdir = optarg; break;
        case 's': m->o.state_dir = optarg; break;
        case 'n': m->o.dry_run = true; break;
        case 'v': m->o.verbose = true; break;
        case 'V': printf("dmarc-reports %s\n", PACKAGE_VERSION); exit(0);
        case 'h': rm_usage(stdout); exit(0);
        default: rm_usage(stderr); return RM_USAGE;
        }
    }
    if (optind != argc) {
        rm_usage(stderr);
        return RM_USAGE;
    }
    return RM_OK;
}

static void
rm_diag(void *arg, bool is_error, const char *msg)
{
    (void)arg;
    fprintf(stderr, "dmarc-reports: %s: %s\n", is_error ? "error" : "warning",
            msg);
}

/* The configuration and what is built from it. */
static int
rm_configure(struct rm_run *m)
{
    char err[512];
    const char *at;

    /*
     * The milter's file holds the Metrics* and AgentX* keys too: their
     * sections are registered so that the same file loads (and a typo in
     * them is an error here as there), though this program reads neither.
     */
    if (cf_register(&rp_section) != 0 || cf_register(&mx_section) != 0 ||
        cf_register(&ax_section) != 0 ||
        (m->cf = cf_load(m->o.config, rm_diag, NULL)) == NULL ||
        (m->s = rp_settings(m->cf)) == NULL)
        return RM_USAGE;
    dm_log_open("dmarc-reports", m->cf->syslog, m->cf->syslog_facility);
    dm_log_stderr(m->cf->syslog && m->o.verbose);
    if (m->s->contact == NULL || (at = strrchr(m->s->contact, '@')) == NULL) {
        fprintf(stderr, "dmarc-reports: ReportContact (an address) is not "
                "set in %s\n", m->o.config);
        return RM_USAGE;
    }
    m->submitter = m->s->submitter ? m->s->submitter : at + 1;
    if (m->o.n_history == 0 && m->s->history_file != NULL)
        m->o.history[m->o.n_history++] = m->s->history_file;
    if ((m->psl = od_open(m->cf->public_suffix_list, err,
                          sizeof(err))) == NULL) {
        fprintf(stderr, "dmarc-reports: %s\n", err);
        return RM_USAGE;
    }
    if (m->s->no_reports_list != NULL &&
        (m->noreports = dest_list_load(m->s->no_reports_list, err,
                                       sizeof(err))) == NULL) {
        fprintf(stderr, "dmarc-reports: %s\n", err);
        return RM_USAGE;
    }
    m->dq.timeout = m->cf->dns_timeout;
    m->dq.servers = m->cf->nameservers;
    dq_system_resolver(&m->res, &m->dq);
    dq_txt_adapter(&m->txt, &m->res);
    return RM_OK;
}

static void
rm_log_stats(const char *path, const struct hist_stats *st)
{
    dm_log(st->broken || st->bad_lines ? LOG_WARNING : LOG_INFO,
           "history %s: %llu records read, %llu broken records and %llu "
           "bad lines skipped, %llu lines with unknown keys", path,
           st->records, st->broken, st->bad_lines, st->unknown);
}

/* Count one file's records of closed intervals, from where the last run
   left it to its size now. */
static int
rm_read_file(struct rm_run *m, const char *path, long long closed)
{
    struct stat st;
    struct lg_file *f;
    struct hist_reader *h;
    const struct hist_record *r;
    off_t at, pending = -1;
    long long b, e;
    bool counted;
    int got;

    if (stat(path, &st) != 0 || (f = lg_file(&m->lg, &st)) == NULL) {
        dm_log(LOG_ERR, "history %s: %s", path, strerror(errno));
        return -1;
    }
    if (st.st_size < f->done) {
        dm_log(LOG_WARNING, "history %s is shorter than when last read "
               "(truncated?): read from its start", path);
        f->done = f->seen = 0;
    }
    if ((h = hist_open(path, f->done, st.st_size)) == NULL) {
        dm_log(LOG_ERR, "history %s: %s", path, strerror(errno));
        return -1;
    }
    while ((got = hist_next(h, &r, &at)) == 1) {
        ag_interval(m->set, r->received, &b, &e);
        if (at < f->seen && e <= f->seen_end)
            continue;           /* an earlier run reported it */
        if (e > closed) {
            if (pending < 0)
                pending = at;   /* its interval is still open */
            continue;
        }
        if (ag_add(m->set, r, m->cf->dmarc_spec == DM_SPEC_RFC9989,
                   &counted) != 0) {
            hist_close(h);
            dm_log(LOG_ERR, "out of memory counting %s", path);
            return -1;
        }
        m->c.records += counted;
    }
    if (got < 0)
        dm_log(LOG_ERR, "history %s: %s", path, strerror(errno));
    else
        rm_log_stats(path, hist_stats(h));
    f->seen = hist_done(h);
    f->done = pending >= 0 && pending < f->seen ? pending : f->seen;
    f->seen_end = closed;
    hist_close(h);
    return got < 0 ? -1 : 0;
}

/* Read every file; the closed intervals end by --end, and never before
   what an earlier run closed (a record there is a late one). */
static int
rm_collect(struct rm_run *m)
{
    long long closed = m->o.end;
    int bad = 0;

    for (size_t i = 0; i < m->lg.n_files; i++)
        if (m->lg.files[i].seen_end > closed)
            closed = m->lg.files[i].seen_end;
    if ((m->set = ag_new(m->s->interval)) == NULL)
        return -1;
    for (size_t i = 0; i < m->o.n_history; i++)
        bad |= rm_read_file(m, m->o.history[i], closed);
    return bad != 0 || ag_finish(m->set) != 0 ? -1 : 0;
}

/* The report's destinations: each distinct rua URI. */
static void
rm_dests(struct rm_run *m, const struct ag_report *a, struct lg_report *r)
{
    char list[HIST_RUA_MAX * (HIST_URI_MAX + 1)], *save = NULL, *u;

    snprintf(list, sizeof(list), "%s", ag_str(m->set, a->rua));
    for (u = strtok_r(list, "\n", &save); u != NULL;
         u = strtok_r(NULL, "\n", &save)) {
        bool dup = false;
        for (size_t i = 0; i < r->n_dest; i++)
            dup = dup || strcmp(r->dest[i], u) == 0;
        if (!dup && r->n_dest < LG_DEST_MAX &&
            (r->dest[r->n_dest] = strdup(u)) != NULL)
            r->n_dest++;
    }
}

/* Build report i, and stage it (or, with --dry-run, show it). */
static int
rm_stage_one(struct rm_run *m, size_t i)
{
    const struct ag_report *a = ag_report(m->set, i);
    struct lg_report r = { 0 };
    struct rbuf xml = { 0 };
    char err[512];
    struct xml_meta meta = {
        m->s->org_name ? m->s->org_name : m->submitter, m->s->contact,
        m->s->contact_info, r.id, "dmarc-milter " PACKAGE_VERSION,
        m->cf->dmarc_spec == DM_SPEC_RFC7489,
    };
    bool ok;

    lg_new_id(a->begin, r.id);
    snprintf(r.domain, sizeof(r.domain), "%s", ag_str(m->set, a->domain));
    r.begin = a->begin;
    r.end = a->end - 1;
    r.created = m->now;
    rm_dests(m, a, &r);
    ok = xml_report(m->set, i, &meta, &xml);
    if (ok && m->o.dry_run) {
        printf("report %s for %s, %lld to %lld: %llu messages in %zu "
               "rows, to", r.id, r.domain, r.begin, r.end,
               (unsigned long long)a->messages, a->n_rows);
        for (size_t j = 0; j < r.n_dest; j++)
            printf(" %s", r.dest[j]);
        printf("\n");
    } else if (ok && !(ok = lg_stage(&m->lg, &r, xml.p, xml.len, err,
                                     sizeof(err)))) {
        dm_log(LOG_ERR, "cannot stage report for %s: %s", r.domain, err);
    }
    m->c.reports += ok;
    lg_report_free(&r);
    rb_free(&xml);
    return ok ? 0 : -1;
}

static int
rm_stage(struct rm_run *m)
{
    char err[512];

    for (size_t i = 0; i < ag_n_reports(m->set); i++)
        if (rm_stage_one(m, i) != 0)
            return -1;          /* nothing is committed: all read again */
    if (m->o.dry_run)
        return 0;
    if (!lg_commit(&m->lg, err, sizeof(err))) {
        dm_log(LOG_ERR, "cannot commit: %s", err);
        return -1;
    }
    return 0;
}

/* --outdir: the report's file, gzip'ed, under its RFC 9990 name, on disk
   before the ledger records it as delivered. */
static bool
rm_write_outdir(struct rm_run *m, const struct mail_report *mr)
{
    char name[1024], path[4200], tmp[4300];
    FILE *fp;
    bool ok;

    mail_filename(mr, name, sizeof(name));
    snprintf(path, sizeof(path), "%s/%s", m->o.outdir, name);
    snprintf(tmp, sizeof(tmp), "%s.tmp", path);
    ok = (fp = fopen(tmp, "w")) != NULL;
    if (ok) {
        ok = fwrite(mr->gz, 1, mr->gz_len, fp) == mr->gz_len &&
             fflush(fp) == 0 && fsync(fileno(fp)) == 0;
        ok = fclose(fp) == 0 && ok && rename(tmp, path) == 0;
    }
    if (!ok)
        dm_log(LOG_ERR, "cannot write %s: %s", path, strerror(errno));
    else
        dm_log(LOG_INFO, "wrote report %s for %s to %s", mr->report_id,
               mr->domain, path);
    return ok;
}

/* Deliver r to destination URI; false to keep it for the next run. */
static bool
rm_send_to(struct rm_run *m, const struct lg_report *r, const char *uri,
           struct mail_report *mr)
{
    struct dest d;
    struct rbuf msg = { 0 };
    const char *why;
    char err[512];
    bool expired = m->now - r->created > 86400LL * m->s->retry_days;
    enum dest_verdict v;
    int st;

    if (!dest_parse(uri, &d)) {
        dm_log(LOG_WARNING, "report %s for %s: %s is not a usable mailto: "
               "URI; skipped", r->id, r->domain, uri);
        m->c.skipped++;
        return true;
    }
    if (dest_list_has(m->noreports, &d)) {
        dm_log(LOG_INFO, "report %s for %s: %s is in NoReportsList; "
               "skipped", r->id, r->domain, d.addr);
        m->c.skipped++;
        return true;
    }
    v = dest_verify(&m->txt, m->psl, r->domain, &d, &why);
    if (v != DEST_OK) {
        dm_log(LOG_WARNING, "report %s for %s: not sent to %s: %s%s",
               r->id, r->domain, d.addr, why,
               v == DEST_TEMPFAIL && expired ? "; given up" : "");
        m->c.refused += v == DEST_REFUSED;
        m->c.failed += v == DEST_TEMPFAIL;
        return v == DEST_REFUSED || expired;
    }
    mr->to = d.addr;
    if (!mail_build(mr, &msg)) {
        dm_log(LOG_ERR, "report %s: out of memory", r->id);
        m->c.failed++;
        return false;
    }
    if (d.limit != 0 && msg.len > d.limit) {
        dm_log(LOG_WARNING, "report %s for %s: %zu bytes, over %s's limit "
               "of %llu (!size); not sent there", r->id, r->domain,
               msg.len, d.addr, d.limit);
        m->c.skipped++;
        rb_free(&msg);
        return true;
    }
    st = mail_send(m->s->report_command, &msg, err, sizeof(err));
    if (st == 0) {
        dm_log(LOG_INFO, "sent report %s for %s (%lld to %lld) to %s, %zu "
               "bytes", r->id, r->domain, r->begin, r->end, d.addr, msg.len);
        m->c.sent++;
    } else {
        dm_log(LOG_ERR, "report %s for %s to %s: %s%s", r->id, r->domain,
               d.addr, err, expired ? "; given up" : "; retried next run");
        m->c.failed++;
    }
    rb_free(&msg);
    return st == 0 || expired;
}

/* One outbox report: every destination left, each struck off when done
   (so a crash resends at most the one in flight). */
static void
rm_deliver_one(struct rm_run *m, const char *name)
{
    struct lg_report r;
    struct mail_report mr;
    char *gz = NULL;
    size_t len = 0;

    if (!lg_load(&m->lg, name, &r, &gz, &len)) {
        dm_log(LOG_ERR, "outbox %s: unreadable; left as is", name);
        lg_report_free(&r);
        free(gz);
        return;
    }
    mr = (struct mail_report){ r.domain, m->submitter, r.id, r.begin, r.end,
                               m->s->contact, NULL, gz, len, m->now };
    if (m->o.dry_run) {
        printf("pending report %s for %s: %zu destination(s) left\n", r.id,
               r.domain, r.n_dest);
    } else if (m->o.outdir != NULL) {
        if (rm_write_outdir(m, &mr)) {
            m->c.sent++;
            lg_report_free(&r);
        }
        lg_update(&m->lg, &r);
    } else {
        for (size_t i = 0; i < r.n_dest;) {
            if (!rm_send_to(m, &r, r.dest[i], &mr)) {
                i++;
                continue;
            }
            free(r.dest[i]);
            memmove(&r.dest[i], &r.dest[i + 1],
                    (r.n_dest - i - 1) * sizeof(*r.dest));
            r.n_dest--;
            if (!lg_update(&m->lg, &r))
                dm_log(LOG_ERR, "outbox %s: cannot record: %s", name,
                       strerror(errno));
        }
    }
    lg_report_free(&r);
    free(gz);
}

static void
rm_deliver(struct rm_run *m)
{
    char **names;
    size_t n = lg_outbox(&m->lg, &names);

    for (size_t i = 0; i < n; i++) {
        rm_deliver_one(m, names[i]);
        free(names[i]);
    }
    free(names);
}

/* ReportStatsFile: the counters, added to the file's, in node_exporter's
   textfile format (the daemon's /metrics cannot see this program). */
static void
rm_stats_file(struct rm_run *m)
{
    unsigned long long sent = 0, failed = 0, v;
    char line[256], tmp[4200];
    FILE *fp;

    if (m->s->stats_file == NULL || m->o.dry_run)
        return;
    if ((fp = fopen(m->s->stats_file, "r")) != NULL) {
        while (fgets(line, sizeof(line), fp) != NULL) {
            if (sscanf(line, "dmarc_reports_sent_total %llu", &v) == 1)
                sent = v;
            else if (sscanf(line, "dmarc_reports_failed_total %llu", &v) == 1)
                failed = v;
        }
        fclose(fp);
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", m->s->stats_file);
    if ((fp = fopen(tmp, "w")) == NULL)
        return;
    fprintf(fp, "# HELP dmarc_reports_sent_total Aggregate reports "
            "delivered.\n# TYPE dmarc_reports_sent_total counter\n"
            "dmarc_reports_sent_total %llu\n# HELP dmarc_reports_failed_total"
            " Report deliveries that failed.\n# TYPE "
            "dmarc_reports_failed_total counter\n"
            "dmarc_reports_failed_total %llu\n", sent + m->c.sent,
            failed + m->c.failed);
    if (fclose(fp) != 0 || rename(tmp, m->s->stats_file) != 0)
        dm_log(LOG_ERR, "ReportStatsFile %s: %s", m->s->stats_file,
               strerror(errno));
}

static void
rm_free(struct rm_run *m)
{
    ag_free(m->set);
    lg_close(&m->lg);
    dest_list_free(m->noreports);
    od_close(m->psl);
    cf_free(m->cf);
}

int
main(int argc, char **argv)
{
    struct rm_run m = { .now = (long long)time(NULL) };
    char err[512];
    int rc;

    m.lg.lock_fd = -1;
    if ((rc = rm_options(argc, argv, &m)) != RM_OK ||
        (rc = rm_configure(&m)) != RM_OK) {
        rm_free(&m);
        return rc;
    }
    if (!lg_open(&m.lg, m.o.state_dir ? m.o.state_dir : m.s->state_dir,
                 err, sizeof(err))) {
        dm_log(LOG_ERR, "state directory: %s", err);
        rm_free(&m);
        return RM_STATE;
    }
    rc = rm_collect(&m) == 0 && rm_stage(&m) == 0 ? RM_OK : RM_STATE;
    rm_deliver(&m);
    dm_log(LOG_INFO, "%s%llu records, %llu reports built; %llu sent, %llu "
           "failed (retried), %llu refused (external, unverified), %llu "
           "skipped", m.o.dry_run ? "dry run: " : "", m.c.records,
           m.c.reports, m.c.sent, m.c.failed, m.c.refused, m.c.skipped);
    rm_stats_file(&m);
    rm_free(&m);
    return rc != RM_OK ? rc : m.c.failed ? RM_FAILED : RM_OK;
}
