/*
 * test_align.c: organizational domains (libpsl) and identifier alignment.
 */
#include <config.h>

#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_align.h"
#include "dmarc/org_domain.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

static void
org_is(const struct od_list *l, const char *d, const char *want)
{
    char out[256];

    ok(od_lookup(l, d, out, sizeof(out)), "od_lookup %s", d);
    is_str(out, want, "org domain of %s", d);
}

int
main(void)
{
    char err[256], small[4];
    struct od_list *l = od_open(NULL, err, sizeof(err));
    struct od_list *f;

    if (!ok(l != NULL, "system list loads (%s)", l ? "ok" : err))
        return done_testing();
    org_is(l, "example.com", "example.com");
    org_is(l, "mail.example.com", "example.com");
    org_is(l, "a.b.c.example.com", "example.com");
    org_is(l, "example.co.uk", "example.co.uk");
    org_is(l, "x.y.example.co.uk", "example.co.uk");
    org_is(l, "co.uk", "co.uk");
    org_is(l, "com", "com");
    org_is(l, "x.paypal.com", "paypal.com");
    /* Unknown TLDs follow the implicit "*" rule: one label below. */
    org_is(l, "mail.example.test", "example.test");
    org_is(l, "example.test", "example.test");
    /* Private section entries count as suffixes (OpenDMARC does the same). */
    org_is(l, "foo.blogspot.com", "foo.blogspot.com");
    org_is(l, "xn--bcher-kva.example.de", "example.de");
    ok(!od_lookup(l, "example.com", small, sizeof(small)),
       "od_lookup refuses a too-small buffer");

    /* RFC 7489 3.1.1 / 3.1.2 examples. */
    ok(dmarc_aligned(l, "example.com", "example.com", DMARC_ALIGN_STRICT),
       "strict: same name aligns");
    ok(!dmarc_aligned(l, "example.com", "mail.example.com",
                      DMARC_ALIGN_STRICT),
       "strict: subdomain of From does not align");
    ok(!dmarc_aligned(l, "news.example.com", "example.com",
                      DMARC_ALIGN_STRICT),
       "strict: parent of From does not align (OpenDMARC #268)");
    ok(dmarc_aligned(l, "example.com", "mail.example.com",
                     DMARC_ALIGN_RELAXED),
       "relaxed: d=mail.example.com aligns with From example.com");
    ok(dmarc_aligned(l, "news.example.com", "example.com",
                     DMARC_ALIGN_RELAXED),
       "relaxed: parent aligns");
    ok(dmarc_aligned(l, "a.example.com", "b.example.com",
                     DMARC_ALIGN_RELAXED),
       "relaxed: siblings align");
    ok(!dmarc_aligned(l, "example.com", "example.net", DMARC_ALIGN_RELAXED),
       "relaxed: other domain does not align");
    ok(!dmarc_aligned(l, "example.com", "badexample.com",
                      DMARC_ALIGN_RELAXED),
       "relaxed: suffix without a label boundary does not align");
    ok(!dmarc_aligned(l, "a.co.uk", "b.co.uk", DMARC_ALIGN_RELAXED),
       "relaxed: names under one public suffix do not align");
    ok(!dmarc_aligned(l, "example.co.uk", "co.uk", DMARC_ALIGN_RELAXED),
       "relaxed: a public suffix does not align with names below it");
    ok(!dmarc_aligned(l, "", "example.com", DMARC_ALIGN_RELAXED),
       "empty From never aligns");
    ok(!dmarc_aligned(l, "example.com", "", DMARC_ALIGN_RELAXED),
       "empty auth domain never aligns");
    ok(!dmarc_aligned(l, "foo.blogspot.com", "bar.blogspot.com",
                      DMARC_ALIGN_RELAXED),
       "relaxed: private-section siblings do not align");

    /* PublicSuffixList FILE replaces the system list. */
    f = od_open(NULL, err, sizeof(err));
    od_close(f);
    f = od_open(fx_write("psl.dat", "// test list\ncom\nexample.com\n"), err,
                sizeof(err));
    ok(f != NULL, "a private list loads");
    if (f != NULL) {
        org_is(f, "a.b.example.com", "b.example.com");
        ok(!dmarc_aligned(f, "a.example.com", "b.example.com",
                          DMARC_ALIGN_RELAXED),
           "private list: example.com is a suffix there");
        od_close(f);
    }
    f = od_open("/nonexistent/psl.dat", err, sizeof(err));
    ok(f == NULL, "a missing list is an error");
    ok(strstr(err, "/nonexistent/psl.dat") != NULL, "the error names the file");
    f = od_open(fx_write("empty.dat", ""), err, sizeof(err));
    ok(f == NULL, "an empty list is an error");
    od_close(f);
    od_close(l);
    return done_testing();
}
