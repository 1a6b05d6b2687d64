/*
 * ledger.h: what makes each report go out once. A state directory holds
 * how far each history file has been read and, in outbox/, the reports
 * built but not yet delivered to every destination. A run reads, builds
 * its reports into outbox/ under the next generation number, then
 * commits by renaming the state file (the one atomic step); a crash
 * before that leaves files of an uncommitted generation, removed at the
 * next start, and the same records are read again. A destination is
 * struck off a report only after its delivery succeeded, so a crash in
 * between resends that one report, with the same report_id.
 */
#ifndef DM_LEDGER_H
#define DM_LEDGER_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include <sys/types.h>

#define LG_ID_MAX   64
#define LG_DEST_MAX 16

/* One history file: where it was read to (see report_main.c). */
struct lg_file {
    dev_t dev;
    ino_t ino;
    off_t done;                 /* every record before it is reported */
    off_t seen;                 /* read up to here by the last run ... */
    long long seen_end;         /* ... which reported intervals ending by
                                   this time */
    bool used;                  /* named in this run */
};

struct lg_report {
    char id[LG_ID_MAX];
    char domain[256];
    long long begin, end;       /* as in the report's date_range */
    long long created;
    char *dest[LG_DEST_MAX];    /* rua URIs still to deliver */
    size_t n_dest;
    char name[96];              /* its outbox file, without suffix */
};

struct ledger {
    char *dir;
    int lock_fd;
    unsigned long long gen;     /* the last committed generation */
    struct lg_file *files;
    size_t n_files;
};

/*
 * Open (creating) the state directory and take its lock; false with a
 * reason when another run holds it or the state cannot be read. Files
 * of an uncommitted generation are removed.
 */
bool lg_open(struct ledger *lg, const char *dir, char *err, size_t errsz);
void lg_close(struct ledger *lg);

/* The entry of the file st describes (a new one when unknown). */
struct lg_file *lg_file(struct ledger *lg, const struct stat *st);

/* Put a built report into outbox/ under the next generation, gzip'ed
   (a day's reports of a large site are hundreds of megabytes of XML). */
bool lg_stage(struct ledger *lg, struct lg_report *r, const char *xml,
              size_t len, char *err, size_t errsz);

/* Make the staged reports and the file positions the committed state. */
bool lg_commit(struct ledger *lg, char *err, size_t errsz);

/* The outbox's reports, oldest first: names to lg_load one by one. */
size_t lg_outbox(struct ledger *lg, char ***names);

/* Read one outbox report (and its gzip'ed XML, malloc'ed, into *gz). */
bool lg_load(struct ledger *lg, const char *name, struct lg_report *r,
             char **gz, size_t *len);

/* Write back r's remaining destinations; none left: remove the report. */
bool lg_update(struct ledger *lg, const struct lg_report *r);

void lg_report_free(struct lg_report *r);

/* A fresh report_id: the interval's start and 64 random bits, alnum. */
void lg_new_id(long long begin, char out[LG_ID_MAX]);

#endif
