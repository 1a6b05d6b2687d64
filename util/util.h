/*
 * util.h: the public header of util/ (libdmutil.a): what every layer
 * shares: logging, the one clock and the one line reader.
 */
#ifndef DM_UTIL_H
#define DM_UTIL_H

#include "util/clock.h"
#include "util/grow.h"
#include "util/line_reader.h"
#include "util/log.h"

#endif
