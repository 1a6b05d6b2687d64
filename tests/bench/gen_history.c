/*
 * gen_history.c: write N history records with our writer (hist_format),
 * a reproducible mix for the benchmark and the report tests.
 *
 *   gen_history N START SPAN DOMAINS IPS [RUA-DOMAIN [PARENT]]
 *
 * Records are spread over [START, START+SPAN) in time order; From
 * domains d0.PARENT .. d(DOMAINS-1).PARENT (PARENT "test" by default),
 * client addresses among IPS. Each domain publishes
 * rua=mailto:dmarc@RUA-DOMAIN (default, or "-": its own name).
 * A quarter of the records are spoofs (SPF fails, no DKIM: rejected).
 */
#include <config.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "report/report.h"

static unsigned long long gh_state = 88172645463325252ULL;

static unsigned
gh_rand(void)
{
    gh_state ^= gh_state << 13;
    gh_state ^= gh_state >> 7;
    gh_state ^= gh_state << 17;
    return (unsigned)(gh_state >> 16);
}

/* Now and then what real mail has too: IPv6, the null sender, a second
   signature without a known selector, an override with its reason. */
static void
gh_vary(struct hist_record *r, unsigned long long i)
{
    if (i % 7 == 6)
        snprintf(r->ipaddr, sizeof(r->ipaddr), "2001:db8::%llx", i % 97 + 1);
    if (i % 11 == 10) {
        r->mfrom[0] = '\0';
        r->spf_scope = HIST_SCOPE_HELO;
        snprintf(r->spf_domain, sizeof(r->spf_domain), "client.test");
    }
    if (i % 5 == 4 && r->n_dkim == 1) {
        r->n_dkim = 2;
        snprintf(r->dkim[1].domain, sizeof(r->dkim[1].domain), "esp.test");
        r->dkim[1].selector[0] = '\0';
        r->dkim[1].result = DM_AUTH_PERMERROR;
    }
    if (i % 13 == 0 && r->action == HIST_ACTION_REJECT) {
        r->action = HIST_ACTION_NONE;
        r->n_reasons = 1;
        r->reasons[0].type = HIST_REASON_LOCAL_POLICY;
        snprintf(r->reasons[0].comment, sizeof(r->reasons[0].comment),
                 "RejectFailures false");
    }
}

static void
gh_fill(struct hist_record *r, unsigned long long i, long long t,
        unsigned domains, unsigned ips, const char *rua, const char *parent)
{
    unsigned d = gh_rand() % domains, ip = gh_rand() % ips, kind = gh_rand() % 4;

    memset(r, 0, sizeof(*r));
    snprintf(r->job, sizeof(r->job), "Q%llu", i);
    snprintf(r->reporter, sizeof(r->reporter), "mx.test");
    r->received = t;
    snprintf(r->ipaddr, sizeof(r->ipaddr), "192.0.%u.%u", 2 + ip / 250,
             1 + ip % 250);
    snprintf(r->from, sizeof(r->from), "d%u.%.200s", d, parent);
    snprintf(r->pdomain, sizeof(r->pdomain), "%s", r->from);
    if (kind == 3)
        snprintf(r->mfrom, sizeof(r->mfrom), "spoof.test");
    else
        snprintf(r->mfrom, sizeof(r->mfrom), "%s", r->from);
    r->n_dkim = kind < 2;
    snprintf(r->dkim[0].domain, sizeof(r->dkim[0].domain), "%s", r->from);
    snprintf(r->dkim[0].selector, sizeof(r->dkim[0].selector), "s1");
    r->dkim[0].result = kind == 0 ? DM_AUTH_PASS : DM_AUTH_FAIL;
    r->spf_evaluated = true;
    r->spf = kind == 3 ? DM_AUTH_FAIL : DM_AUTH_PASS;
    r->spf_scope = HIST_SCOPE_MFROM;
    snprintf(r->spf_domain, sizeof(r->spf_domain), "%s", r->mfrom);
    r->n_rua = 1;
    snprintf(r->rua[0], sizeof(r->rua[0]), "mailto:dmarc@%.200s",
             rua ? rua : r->from);
    r->pct = 100;
    r->adkim = r->aspf = 'r';
    r->p = 'r';
    r->discovery = HIST_DISCOVERY_TREEWALK;
    r->align_dkim = kind == 0 ? HIST_ALIGN_PASS : HIST_ALIGN_FAIL;
    r->align_spf = kind == 3 ? HIST_ALIGN_FAIL : HIST_ALIGN_PASS;
    r->policy = kind == 3 ? HIST_POLICY_REJECT : HIST_POLICY_PASS;
    r->action = kind == 3 ? HIST_ACTION_REJECT : HIST_ACTION_NONE;
    gh_vary(r, i);
}

int
main(int argc, char **argv)
{
    static char buf[HIST_RECORD_MAX];
    struct hist_record r;
    unsigned long long n;
    long long start, span;
    unsigned domains, ips;
    const char *rua, *parent;

    if (argc < 6) {
        fprintf(stderr, "usage: gen_history N START SPAN DOMAINS IPS "
                "[RUA-DOMAIN [PARENT]]\n");
        return 2;
    }
    rua = argc > 6 && strcmp(argv[6], "-") != 0 ? argv[6] : NULL;
    parent = argc > 7 ? argv[7] : "test";
    n = strtoull(argv[1], NULL, 10);
    start = strtoll(argv[2], NULL, 10);
    span = strtoll(argv[3], NULL, 10);
    domains = (unsigned)strtoul(argv[4], NULL, 10);
    ips = (unsigned)strtoul(argv[5], NULL, 10);
    if (n == 0 || span <= 0 || domains == 0 || ips == 0)
        return 2;
    for (unsigned long long i = 0; i < n; i++) {
        int len;
        gh_fill(&r, i, start + (long long)(i * (unsigned long long)span / n),
                domains, ips, rua, parent);
        if ((len = hist_format(&r, buf, sizeof(buf))) < 0 ||
            fwrite(buf, 1, (size_t)len, stdout) != (size_t)len)
            return 1;
    }
    return fflush(stdout) == 0 ? 0 : 1;
}
