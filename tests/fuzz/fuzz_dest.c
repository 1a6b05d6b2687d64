/*
 * fuzz_dest.c: libFuzzer target for report destinations
 * (report/destination.c): a rua URI from a DNS answer, the verification
 * records an outside host publishes, and the NoReportsList file.
 *
 * Input: a first byte whose low bits pick the DNS status of the
 * verification lookup; the URI up to the first newline; the TXT records
 * of the answer, one a line (NULs allowed), up to an empty line; the
 * rest, when there is any, is a NoReportsList file. The report domain is
 * example.com, the public suffix list the system's.
 * Checked: an accepted URI is a plain address (safe characters, one "@",
 * a lower-case host); the verdict is one of three with a reason, and an
 * outside host is never accepted unless its lookup answered.
 */
#include <config.h>

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "report/report.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct fz_dns {
    enum dns_status st;
    const uint8_t *txt;         /* the records, one a line */
    size_t len;
    bool asked;
};

static struct od_list *fz_psl;
static char fz_list[] = "/tmp/fuzz_dest.XXXXXX";
static int fz_fd = -1;

static void
fz_cleanup(void)
{
    unlink(fz_list);
}

static enum dns_status
fz_lookup(void *arg, const char *qname, struct dns_txt_answer *ans)
{
    struct fz_dns *f = arg;
    const uint8_t *p = f->txt, *end = f->txt + f->len;

    f->asked = true;
    if (strstr(qname, "._report._dmarc.") == NULL)
        abort();
    if (f->st != DNS_OK)
        return f->st;
    ans->count = 0;
    while (p < end && ans->count < DNS_TXT_MAX_RECORDS) {
        const uint8_t *nl = memchr(p, '\n', (size_t)(end - p));
        size_t n = (size_t)((nl ? nl : end) - p);

        if (n > DNS_TXT_MAX_LEN)
            n = DNS_TXT_MAX_LEN;
        memcpy(ans->rr[ans->count].data, p, n);
        ans->rr[ans->count].data[n] = '\0';
        ans->rr[ans->count++].len = n;
        p = nl ? nl + 1 : end;
    }
    return DNS_OK;
}

/* An accepted address: atext, dots and one "@" before a lower-case host. */
static void
fz_check_dest(const struct dest *d)
{
    const char *at = strrchr(d->addr, '@');

    if (memchr(d->addr, '\0', sizeof(d->addr)) == NULL || at == NULL ||
        at == d->addr || d->host != at + 1 || d->host[0] == '\0' ||
        d->host[0] == '.' || strchr(d->addr, '@') != at)
        abort();
    for (const char *p = d->addr; *p != '\0'; p++) {
        unsigned char c = (unsigned char)*p;

        if (c <= ' ' || c >= 0x7f || strchr("\"(),:;<>[\\]", c) != NULL ||
            (p > at && c >= 'A' && c <= 'Z'))
            abort();
    }
}

static void
fz_no_reports(const uint8_t *data, size_t size, const struct dest *d)
{
    struct dest_list *l;
    char err[256];

    if (ftruncate(fz_fd, 0) != 0 ||
        pwrite(fz_fd, data, size, 0) != (ssize_t)size)
        abort();
    if ((l = dest_list_load(fz_list, err, sizeof(err))) == NULL)
        abort();
    if (d != NULL)
        (void)dest_list_has(l, d);
    dest_list_free(l);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct fz_dns f = { DNS_OK, NULL, 0, false };
    const uint8_t *end = data + size, *nl, *blank;
    char uri[1024], err[256];
    const char *why = NULL;
    struct dest d;
    bool parsed;
    enum dest_verdict v;

    if (fz_psl == NULL) {
        if ((fz_psl = od_open(NULL, err, sizeof(err))) == NULL ||
            (fz_fd = mkstemp(fz_list)) < 0)
            abort();
        atexit(fz_cleanup);
    }
    if (size < 1)
        return 0;
    f.st = (enum dns_status)(data[0] % 5);
    data++;
    nl = memchr(data, '\n', (size_t)(end - data));
    snprintf(uri, sizeof(uri), "%.*s", (int)((nl ? nl : end) - data),
             (const char *)data);
    parsed = dest_parse(uri, &d);
    if (parsed) {
        fz_check_dest(&d);
        f.txt = nl ? nl + 1 : end;
        blank = memmem(f.txt, (size_t)(end - f.txt), "\n\n", 2);
        f.len = (size_t)((blank ? blank : end) - f.txt);
        v = dest_verify(&(struct dns_txt_resolver){ fz_lookup, &f }, fz_psl,
                        "example.com", &d, &why);
        if (why == NULL || (unsigned)v > DEST_TEMPFAIL ||
            (v == DEST_OK && f.asked && f.st != DNS_OK) ||
            (v == DEST_TEMPFAIL && f.st != DNS_TEMPFAIL))
            abort();
    }
    if (nl != NULL && (blank = memmem(nl, (size_t)(end - nl), "\n\n", 2))
        != NULL)
        fz_no_reports(blank + 2, (size_t)(end - blank - 2),
                      parsed ? &d : NULL);
    return 0;
}
