/*
 * rspf_show.c: what dmarc/received_spf.c reads in Received-SPF fields, one
 * per line on standard input (a leading "Received-SPF:" is dropped), for
 * the lab tests that check the fields a real policy service writes.
 *
 * rspf_show [-c CLIENT-IP] [-m MAIL-FROM-DOMAIN | -n] [-H HELO]
 *   -n: the null sender. Prints one line per field:
 *   status=ok result=pass identity=mailfrom client-ip=192.0.2.10
 *   envelope-domain=paypal.com helo-domain=client.test match=match
 *   domain=paypal.com
 * and exits 1 when any field did not parse.
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "dmarc/dmarc.h"

static const char *
rspf_norm(const char *name, char *out)
{
    if (name == NULL ||
        dn_normalize(name, strlen(name), out, DM_DOMAIN_MAX) != DN_OK)
        out[0] = '\0';
    return out;
}

static bool
rspf_line(char *line, const struct rs_session *s)
{
    static const char prefix[] = "Received-SPF:";
    struct rs_field f;
    struct dm_auth_id id;
    enum rs_status st;
    enum rs_match m;

    line[strcspn(line, "\r\n")] = '\0';
    if (strncasecmp(line, prefix, sizeof(prefix) - 1) == 0)
        line += sizeof(prefix) - 1;
    st = rs_parse(line, strlen(line), &f);
    if (st != RS_OK) {
        printf("status=\"%s\"\n", rs_status_name(st));
        return false;
    }
    m = rs_match(&f, s, &id);
    printf("status=ok result=%s identity=%s client-ip=%s envelope-domain=%s "
           "helo-domain=%s match=\"%s\" domain=%s\n", dm_auth_name(f.result),
           rs_identity_name(f.identity), f.client_ip, f.envelope_domain,
           f.helo_domain, rs_match_name(m), m == RS_MATCH ? id.domain : "");
    return true;
}

int
main(int argc, char **argv)
{
    char mailfrom[DM_DOMAIN_MAX] = "", helo[DM_DOMAIN_MAX] = "";
    struct rs_session s = { NULL, false, mailfrom, helo };
    char line[8192];
    bool all_ok = true;
    int opt;

    while ((opt = getopt(argc, argv, "c:m:nH:")) != -1) {
        switch (opt) {
        case 'c': s.client_ip = optarg; break;
        case 'm': rspf_norm(optarg, mailfrom); break;
        case 'n': s.null_sender = true; break;
        case 'H': rspf_norm(optarg, helo); break;
        default:
            fprintf(stderr, "usage: rspf_show [-c IP] [-m DOMAIN | -n] "
                    "[-H HELO] <fields\n");
            return 2;
        }
    }
    while (fgets(line, sizeof(line), stdin) != NULL) {
        if (!rspf_line(line, &s))
            all_ok = false;
    }
    return all_ok ? 0 : 1;
}
