/*
 * fixtures.h: what the unit tests share besides TAP (tap.h) and DNS
 * tables (zone_table.h): a temporary directory and its files, engine
 * inputs and verdict checks, and the metrics tests' counter store.
 * Linked from tests/unit/libfixtures.a: fixtures.c needs only libc,
 * fixtures_store.c the metrics library.
 */
#ifndef DM_FIXTURES_H
#define DM_FIXTURES_H

#include <stddef.h>

#include "dmarc/dmarc_eval.h"

/* "Bail out!" with the reason (the harness stops reading), then exit 1. */
void fx_bail(const char *fmt, ...)
    __attribute__((noreturn, format(printf, 1, 2)));

/* ---- files ---- */

/* This test's own directory under /tmp: made on first use, removed with
 * all it holds when the test exits. */
const char *fx_tmpdir(void);
/* Remove all that fx_tmpdir() holds, and keep it. */
void fx_tmpdir_clear(void);
/* The path of name in fx_tmpdir(); the last four results stay valid. */
const char *fx_path(const char *name);
/* Write len bytes into fx_path(name) and return that path. Bails out on
 * failure: the test would be meaningless. */
const char *fx_write_bytes(const char *name, const void *data, size_t len);
/* The same for a string. */
const char *fx_write(const char *name, const char *text);
/* A whole file in malloc'd memory, NUL-terminated, its length in *len;
 * NULL when it cannot be read. */
char *fx_read(const char *path, size_t *len);

/* ---- the engine ---- */

/* An SPF or DKIM result for domain. */
struct dm_auth_id fx_auth(enum dm_auth r, const char *domain);
/* A verdict, zeroed but for these. */
struct dm_verdict fx_verdict(enum dm_result r, enum dm_policy p,
                             enum dm_disposition d, const char *from_domain);
/* depth "(" then depth ")" into buf; their count. */
size_t fx_nested(char *buf, unsigned depth);

/* Four checks of a verdict (tap.h), each named after what. */
#define verdict_is(v, res, pol, dis, pdom, what) do {                     \
    is_str(dm_result_name((v).result), res, what ": result");            \
    is_str(dm_policy_name((v).policy), pol, what ": policy");            \
    is_str(dm_disposition_name((v).disposition), dis, what ": disposition"); \
    is_str((v).policy_domain, pdom, what ": policy domain");             \
} while (0)

/* ---- the counter store (fixtures_store.c) ---- */

struct cs_store;
/* cs_new() that bails out on failure. */
struct cs_store *fx_store(size_t max_domains);
/* How many rows the store holds. */
int fx_store_rows(const struct cs_store *cs);

#endif
