/*
 * cf_set.h: what the reader (config.c) and the setters (cf_set.c) share
 * inside config/: the context of the line being applied, its diagnostics,
 * and the setters of the milter's own keys.
 */
#ifndef DM_CF_SET_H
#define DM_CF_SET_H

#include <stdbool.h>
#include <stddef.h>

#include "config/conf.h"
#include "util/util.h"

#define CF_LINE_MAX 4096                 /* bytes of a line, without EOL */
#define CF_FILE_MAX (16L * 1024 * 1024)  /* stop a runaway file or device */
#define CF_SHOW_MAX 80                   /* bytes of a value quoted back */
#define CF_FILE_ERRORS 20   /* a file with more is the wrong file: stop */

/* The file cf_next_line() is reading, and the errors reported in it. */
struct cf_reading {
    const char *file;
    unsigned errors;
    bool stopped;           /* at CF_FILE_ERRORS: the rest is not read */
};

struct cf_ctx {
    const char *file;       /* where the line being applied comes from */
    unsigned line;
    cf_report_fn report;
    void *arg;
    unsigned errors;
    struct cf_reading reading;
};

/* "file:line: text" (line 0: "file: text") to the report function. */
void cf_diag(struct cf_ctx *c, bool is_error, const char *file,
             unsigned line, const char *fmt, ...)
    __attribute__((format(printf, 5, 6)));

/* A copy of untrusted text fit to quote in a log line: no control bytes. */
const char *cf_show(char out[CF_SHOW_MAX + 4], const char *in);

/* Reports "out of memory"; false. */
bool cf_nomem(struct cf_ctx *c);

/*
 * Start reading the file at path (the same pointer its diagnostics name);
 * returns what was being read, for the caller to put back in c->reading.
 */
struct cf_reading cf_reading_start(struct cf_ctx *c, const char *path);

/*
 * True once CF_FILE_ERRORS errors were reported in file, the one being
 * read: stop there. The first call says so, at line.
 */
bool cf_file_stop(struct cf_ctx *c, const char *file, unsigned line);

/*
 * The next usable line of the file being read (CF_LINE_MAX, CF_FILE_MAX);
 * a bad line is reported and skipped. False at the end, on a read error,
 * or once CF_FILE_ERRORS errors were reported in the file.
 */
bool cf_next_line(struct cf_ctx *c, struct lr_reader *r, const char *path);

/* White space between a key and its value, and in lists. */
bool cf_isws(int ch);

/* The milter's own keys whose values need more than the generic setters. */
bool cf_set_socket(struct cf_ctx *, void *, const struct cf_key *,
                   const char *, bool);
bool cf_set_user(struct cf_ctx *, void *, const struct cf_key *,
                 const char *, bool);
bool cf_set_umask(struct cf_ctx *, void *, const struct cf_key *,
                  const char *, bool);
bool cf_set_facility(struct cf_ctx *, void *, const struct cf_key *,
                     const char *, bool);
bool cf_set_authserv(struct cf_ctx *, void *, const struct cf_key *,
                     const char *, bool);
bool cf_set_trusted(struct cf_ctx *, void *, const struct cf_key *,
                    const char *, bool);
bool cf_set_hosts(struct cf_ctx *, void *, const struct cf_key *,
                  const char *, bool);
bool cf_set_mailfrom(struct cf_ctx *, void *, const struct cf_key *,
                     const char *, bool);
bool cf_set_multifrom(struct cf_ctx *, void *, const struct cf_key *,
                      const char *, bool);
bool cf_set_temperror(struct cf_ctx *, void *, const struct cf_key *,
                      const char *, bool);
bool cf_set_spec(struct cf_ctx *, void *, const struct cf_key *,
                 const char *, bool);
bool cf_set_nameservers(struct cf_ctx *, void *, const struct cf_key *,
                        const char *, bool);
bool cf_set_reject_string(struct cf_ctx *, void *, const struct cf_key *,
                          const char *, bool);
bool cf_set_address(struct cf_ctx *, void *, const struct cf_key *,
                    const char *, bool);
bool cf_set_directory(struct cf_ctx *, void *, const struct cf_key *,
                      const char *, bool);
/* A struct cf_domains: the domains of the value (a CF_LIST key), or of
   the file it names (one or more per line, '#' comments). */
bool cf_set_domains(struct cf_ctx *, void *, const struct cf_key *,
                    const char *, bool);
bool cf_set_domains_file(struct cf_ctx *, void *, const struct cf_key *,
                         const char *, bool);

/* Free a list of strings (TrustedAuthservIDs, IgnoreMailFrom). */
void cf_strv_free(char ***v, size_t *n);

#endif
