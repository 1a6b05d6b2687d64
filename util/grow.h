/*
 * grow.h: the one way a byte buffer grows: doubling from a first size,
 * with a failed allocation remembered, so a writer checks once at the end.
 */
#ifndef DM_GROW_H
#define DM_GROW_H

#include <stdbool.h>
#include <stddef.h>

/*
 * Make *p hold at least need bytes (*cap its size, 0 with *p NULL for a
 * new buffer). False once an allocation failed, which *oom remembers.
 */
bool grow_to(char **p, size_t *cap, size_t need, size_t first, bool *oom);

#endif
