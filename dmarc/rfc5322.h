/*
 * rfc5322.h: skip the delimited pieces of RFC 5322 header text: comments,
 * quoted strings, domain literals, and CFWS.
 */
#ifndef DM_RFC5322_H
#define DM_RFC5322_H

#include <stdbool.h>
#include <stddef.h>

/* Comments nest; anything deeper is an attack on the parser, not mail. */
#define R5_COMMENT_DEPTH_MAX 32

/*
 * Each function starts at s[*pos], the opening delimiter of the piece in
 * the len bytes of s, and moves *pos just past the closing one. Quoted
 * pairs are honoured. False, *pos unchanged, when s[*pos] is not the
 * opening delimiter or the piece does not end within s: never closed, a
 * NUL byte, or a backslash with nothing (or a NUL) after it.
 */

/* "(" ... ")", with the comments it nests, at most R5_COMMENT_DEPTH_MAX
 * deep. */
bool r5_skip_comment(const char *s, size_t len, size_t *pos);

/* '"' ... '"' */
bool r5_skip_quoted(const char *s, size_t len, size_t *pos);

/* "[" ... "]"; a "[" inside is refused (obs-dtext allows quoted pairs). */
bool r5_skip_literal(const char *s, size_t len, size_t *pos);

/*
 * CFWS: white space and comments from s[*pos] on, *pos moved past them.
 * Bare CR and LF count as folding white space: milters see LF-only
 * folds. False when a comment does not end; *pos is then at its "(".
 */
bool r5_skip_cfws(const char *s, size_t len, size_t *pos);

#endif
