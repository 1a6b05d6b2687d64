/*
 * intern.h: a string table that hands out one small number per distinct
 * string, so that the aggregation keys are a few integers and each
 * domain or address is stored once however many records name it.
 */
#ifndef DM_INTERN_H
#define DM_INTERN_H

#include <stddef.h>
#include <stdint.h>

#define IT_NONE UINT32_MAX      /* no string: out of memory */

struct it_table;

struct it_table *it_new(void);
void it_free(struct it_table *t);

/* The number of s (len bytes, no NUL needed); the same s, the same id. */
uint32_t it_intern(struct it_table *t, const char *s, size_t len);

/* The string of id, NUL-terminated. */
const char *it_str(const struct it_table *t, uint32_t id);

/* A 64-bit FNV-1a hash, for the other tables of report/. */
uint64_t it_hash(const void *p, size_t len);

#endif
