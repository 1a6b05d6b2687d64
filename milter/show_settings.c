/*
 * show_settings.c: the effective settings as `dmarc-milter -n` prints
 * them, so that an operator sees what is trusted and where SPF and DKIM
 * results come from before the first message does.
 */
#include <config.h>

#include <netdb.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>

#include "agentx/agentx.h"
#include "config/conf.h"
#include "metrics/metrics.h"
#include "report/report.h"
#include "milter/show_settings.h"

#define SS_LINE 1024

static const char *
ss_bool(bool b)
{
    return b ? "true" : "false";
}

/* "Key    value": one line, the key in a column of its own. */
static void
ss_kv(FILE *fp, const char *key, const char *value)
{
    fprintf(fp, "  %-27s %s\n", key, value);
}

/* A string setting, or what its absence means. */
static void
ss_str(FILE *fp, const char *key, const char *value, const char *unset)
{
    char line[SS_LINE];

    if (value == NULL)
        snprintf(line, sizeof(line), "(unset: %s)", unset);
    ss_kv(fp, key, value != NULL ? value : line);
}

/* s, then ", " and the next id, for each trusted authserv-id. */
static void
ss_ids(const struct dm_config *cf, char *s, size_t n)
{
    size_t len = strlen(s);

    for (size_t i = 0; i < cf->n_trusted_ids && len < n; i++) {
        snprintf(s + len, n - len, "%s%s", i > 0 ? ", " : "",
                 cf->trusted_ids[i]);
        len += strlen(s + len);
    }
}

/*
 * The SPF result is the first source that has one, in this order (as
 * dmarc/message.c takes them): trusted A-R claims, the Received-SPF
 * field, the milter's own check. SPFIgnoreResults sets aside the first two.
 */
static void
ss_spf_source(FILE *fp, const struct dm_config *cf)
{
    char line[SS_LINE] = "";
    size_t len = 0;
    bool others = !cf->spf_ignore_results;

    if (others && cf->n_trusted_ids > 0) {
        snprintf(line, sizeof(line), "Authentication-Results spf= of ");
        ss_ids(cf, line, sizeof(line));
        len = strlen(line);
    }
    if (others && cf->trust_received_spf) {
        snprintf(line + len, sizeof(line) - len, "%sthe topmost Received-SPF "
                 "field, when it names this client (TrustReceivedSPF)",
                 len > 0 ? "; else " : "");
        len += strlen(line + len);
    }
    if (cf->spf_self_validate)
        snprintf(line + len, sizeof(line) - len, "%sits own check, libspf2 "
                 "(SPFSelfValidate)", len > 0 ? "; else " : "");
    if (line[0] == '\0')
        snprintf(line, sizeof(line), "nowhere: no message has an SPF result");
    ss_kv(fp, "SPF results come from", line);
}

/* DKIMSelfVerify replaces the A-R dkim= claims; it does not add to them. */
static void
ss_dkim_source(FILE *fp, const struct dm_config *cf)
{
    char line[SS_LINE] = "";

    if (cf->dkim_self_verify)
        snprintf(line, sizeof(line), "its own verification, libopendkim "
                 "(DKIMSelfVerify); dkim= claims of Authentication-Results "
                 "are not read");
    else if (cf->n_trusted_ids > 0) {
        snprintf(line, sizeof(line), "Authentication-Results dkim= of ");
        ss_ids(cf, line, sizeof(line));
    } else
        snprintf(line, sizeof(line), "nowhere: no signature counts (set "
                 "DKIMSelfVerify true, or trust your DKIM verifier's id)");
    ss_kv(fp, "DKIM results come from", line);
}

static void
ss_trust(FILE *fp, const struct dm_config *cf)
{
    char line[SS_LINE] = "";

    fprintf(fp, "Trust: where results come from\n");
    ss_spf_source(fp, cf);
    ss_dkim_source(fp, cf);
    if (cf->n_trusted_ids == 0)
        snprintf(line, sizeof(line), "(none: no incoming "
                 "Authentication-Results field is believed)");
    ss_ids(cf, line, sizeof(line));
    ss_kv(fp, "TrustedAuthservIDs", line);
    ss_kv(fp, "TrustReceivedSPF", ss_bool(cf->trust_received_spf));
    ss_kv(fp, "SPFSelfValidate", ss_bool(cf->spf_self_validate));
    ss_kv(fp, "SPFIgnoreResults", ss_bool(cf->spf_ignore_results));
    ss_kv(fp, "DKIMSelfVerify", ss_bool(cf->dkim_self_verify));
    ss_str(fp, "AuthservID", cf->authserv_id, "the MTA's name, macro j; "
           "incoming fields that claim it are deleted");
    snprintf(line, sizeof(line), "%zu entries: their mail is not evaluated",
             ipl_count(cf->ignore_hosts));
    ss_kv(fp, "IgnoreHosts", line);
    ss_kv(fp, "IgnoreAuthenticatedClients",
          ss_bool(cf->ignore_auth_clients));
}

static void
ss_process(FILE *fp, const struct dm_config *cf)
{
    char line[SS_LINE];

    fprintf(fp, "Effective settings (the file's, and defaults for the "
            "keys it leaves out):\n");
    ss_kv(fp, "Socket", cf->socket);
    ss_str(fp, "UserID", cf->user_id, "runs as the user that starts it");
    ss_str(fp, "PidFile", cf->pid_file, "none written");
    ss_kv(fp, "Background", ss_bool(cf->background));
    if (cf->umask_set)
        snprintf(line, sizeof(line), "%04o", (unsigned)cf->umask);
    else
        snprintf(line, sizeof(line), "(unset: the inherited one)");
    ss_kv(fp, "UMask", line);
    ss_kv(fp, "Syslog", cf->syslog ? "true" : "false (standard error: the "
          "journal under systemd)");
}

/* Nameservers, or resolv.conf's; the timeout and the cache with them. */
static void
ss_dns(FILE *fp, const struct dm_config *cf)
{
    char line[SS_LINE], host[NI_MAXHOST], port[NI_MAXSERV];
    size_t len = 0;

    line[0] = '\0';
    for (size_t i = 0; i < cf->nameservers.count; i++) {
        const struct sockaddr_storage *ss = &cf->nameservers.addr[i];
        socklen_t sl = ss->ss_family == AF_INET6
                           ? sizeof(struct sockaddr_in6)
                           : sizeof(struct sockaddr_in);

        if (getnameinfo((const struct sockaddr *)ss, sl, host, sizeof(host),
                        port, sizeof(port),
                        NI_NUMERICHOST | NI_NUMERICSERV) != 0) {
            snprintf(host, sizeof(host), "?");
            port[0] = '\0';
        }
        snprintf(line + len, sizeof(line) - len, "%s%s%s%s%s%s",
                 i > 0 ? ", " : "", strchr(host, ':') ? "[" : "", host,
                 strchr(host, ':') ? "]" : "", port[0] ? ":" : "", port);
        len += strlen(line + len);
    }
    ss_kv(fp, "Nameservers", cf->nameservers.count > 0
                                 ? line : "(unset: those of resolv.conf)");
    snprintf(line, sizeof(line), "%d s per query", cf->dns_timeout);
    ss_kv(fp, "DNSTimeout", line);
    snprintf(line, sizeof(line), "%d replies%s", cf->dns_cache_size,
             cf->dns_cache_size == 0 ? " (no cache)" : "");
    ss_kv(fp, "DNSCacheSize", line);
}

static void
ss_policy(FILE *fp, const struct dm_config *cf)
{
    fprintf(fp, "Policy\n");
    ss_kv(fp, "DMARCSpec", cf->dmarc_spec == DM_SPEC_RFC7489 ? "rfc7489"
                                                             : "rfc9989");
    ss_kv(fp, "RejectFailures", cf->reject_failures
              ? "true: failures of p=reject get a 550, of p=quarantine are "
                "held"
              : "false: monitor only, every message is accepted");
    ss_kv(fp, "HoldQuarantinedMessages", ss_bool(cf->hold_quarantined));
    ss_kv(fp, "TempErrorAction", cf->temperror_action == CF_TEMPERROR_TEMPFAIL
                                     ? "tempfail (451)" : "accept");
    ss_kv(fp, "RequiredHeaders", ss_bool(cf->required_headers));
    ss_kv(fp, "RejectMultiValueFrom",
          ss_bool(cf->multi_from == CF_MULTI_FROM_REJECT));
    ss_str(fp, "PublicSuffixList", cf->public_suffix_list,
           DM_SYSTEM_PSL_FILE ", the system's");
    ss_dns(fp, cf);
}

/* The counters and the history: what an operator watches. */
static void
ss_outputs(FILE *fp, const struct dm_config *cf)
{
    const struct mx_settings *mx = mx_settings(cf);
    const struct ax_settings *ax = ax_settings(cf);
    const struct rp_settings *rp = rp_settings(cf);
    char line[SS_LINE];

    fprintf(fp, "Counters and history\n");
    if (mx != NULL) {
        ss_str(fp, "MetricsListen", mx->listen, "no /metrics endpoint");
        ss_str(fp, "MetricsStateFile", mx->state_file,
               "counters start from zero at each start");
    }
    if (ax != NULL) {
        snprintf(line, sizeof(line), "true: subagent of the snmpd at %s",
                 ax->socket != NULL ? ax->socket : "?");
        ss_kv(fp, "AgentX", ax->enabled ? line : "false");
    }
    if (rp == NULL)
        return;
    ss_str(fp, "HistoryFile", rp->history_file,
           "no history, so dmarc-reports has nothing to send");
    if (rp->failure_reports) {
        snprintf(line, sizeof(line), "true: at most %d per destination "
                 "per hour, through %s", rp->failure_rate,
                 rp->report_command != NULL ? rp->report_command : "?");
        ss_kv(fp, "FailureReports", line);
    } else {
        ss_kv(fp, "FailureReports", "false");
    }
}

void
ss_print(FILE *fp, const struct dm_config *cf)
{
    ss_process(fp, cf);
    ss_trust(fp, cf);
    ss_policy(fp, cf);
    ss_outputs(fp, cf);
}
