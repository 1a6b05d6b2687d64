/*
 * org_domain.c: organizational domains from the public suffix list.
 *
 * libpsl does the list handling (wildcards, exceptions, IDN forms); this
 * file only adds the DMARC reading of its answer.
 */
#include <config.h>

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libpsl.h>

#include "dmarc/org_domain.h"

struct od_list {
    psl_ctx_t *psl;
    int owned;      /* psl_builtin() must not be freed */
};

struct od_list *
od_open(const char *path, char *err, size_t errsz)
{
    struct od_list *l = calloc(1, sizeof(*l));

    if (l == NULL) {
        snprintf(err, errsz, "out of memory");
        return NULL;
    }
    if (path != NULL) {
        FILE *fp = fopen(path, "r");

        /* libpsl says nothing about why a file failed; look first. */
        if (fp == NULL) {
            snprintf(err, errsz, "cannot open public suffix list %s: %s",
                     path, strerror(errno));
            free(l);
            return NULL;
        }
        fclose(fp);
        l->psl = psl_load_file(path);
        if (l->psl == NULL || psl_suffix_count(l->psl) <= 0) {
            snprintf(err, errsz, "%s holds no public suffix rules", path);
            if (l->psl != NULL)
                psl_free(l->psl);
            free(l);
            return NULL;
        }
        l->owned = 1;
        return l;
    }
    /* The newer of libpsl's built-in list and the distribution's file. */
    l->psl = psl_latest(DM_SYSTEM_PSL_FILE);
    l->owned = l->psl != NULL;
    if (l->psl == NULL)
        l->psl = (psl_ctx_t *)psl_builtin();
    if (l->psl == NULL) {
        snprintf(err, errsz, "no public suffix list: neither %s nor libpsl's "
                 "built-in list could be loaded", DM_SYSTEM_PSL_FILE);
        free(l);
        return NULL;
    }
    return l;
}

void
od_close(struct od_list *l)
{
    if (l == NULL)
        return;
    if (l->owned)
        psl_free(l->psl);
    free(l);
}

bool
od_lookup(const struct od_list *l, const char *domain, char *out, size_t outsz)
{
    const char *reg = psl_registrable_domain(l->psl, domain);

    /* A public suffix, or a name no rule covers, is its own org domain. */
    if (reg == NULL)
        reg = domain;
    if (strlen(reg) >= outsz)
        return false;
    strcpy(out, reg);
    return true;
}
