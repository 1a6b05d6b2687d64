/*
 * auth.h: the public header of auth/ (libdmauth.a): our own SPF check
 * (libspf2) and DKIM verification (libopendkim).
 */
#ifndef DM_AUTH_H
#define DM_AUTH_H

#include "auth/spf_check.h"
#include "auth/dkim_verify.h"
#include "auth/dkim_keys.h"

#endif
