/*
 * fuzz.h: the checks the libFuzzer harnesses share (header only: each
 * harness is one file that run-fuzzer.sh compiles with the core sources).
 */
#ifndef DM_FUZZ_H
#define DM_FUZZ_H

#include <stdlib.h>
#include <string.h>

/* The length of a string a parser handed out in a buffer of size bytes;
 * a string that runs off its buffer is a bug. */
static inline size_t
fuzz_len(const char *s, size_t size)
{
    const char *end = memchr(s, '\0', size);

    if (end == NULL)
        abort();
    return (size_t)(end - s);
}

#endif
