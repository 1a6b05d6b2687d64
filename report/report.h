/*
 * report.h: the public header of report/ (libdmreport.a): the HistoryFile
 * (its format, the milter's appender, the reader) and what dmarc-reports
 * builds from it: aggregate reports, their XML and mail, destinations,
 * and the ledger that sends each report once; the failure reports the
 * milter sends (failure.h, fr_sender.h).
 */
#ifndef DM_REPORT_H
#define DM_REPORT_H

#include "report/history.h"
#include "report/history_file.h"
#include "report/hist_build.h"
#include "report/aggregate.h"
#include "report/rbuf.h"
#include "report/xml.h"
#include "report/mail.h"
#include "report/destination.h"
#include "report/ledger.h"
#include "report/rp_keys.h"
#include "report/failure.h"
#include "report/fr_sender.h"

#endif
