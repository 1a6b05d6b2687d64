/*
 * util.h: the public header of util/ (libdmutil.a): what every layer
 * shares, logging and the one clock.
 */
#ifndef DM_UTIL_H
#define DM_UTIL_H

#include "util/clock.h"
#include "util/log.h"

#endif
