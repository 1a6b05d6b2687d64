/*
 * grow.c: the buffer growth rule (see grow.h).
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>

#include "util/grow.h"

bool
grow_to(char **p, size_t *cap, size_t need, size_t first, bool *oom)
{
    size_t c = *cap != 0 ? *cap : first;
    char *n;

    if (*oom)
        return false;
    if (need <= *cap)
        return true;
    while (c < need) {
        if (c > SIZE_MAX / 2) {
            *oom = true;
            return false;
        }
        c *= 2;
    }
    if ((n = realloc(*p, c)) == NULL) {
        *oom = true;
        return false;
    }
    *p = n;
    *cap = c;
    return true;
}
