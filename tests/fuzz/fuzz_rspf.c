/*
 * fuzz_rspf.c: libFuzzer target for rs_parse() and rs_match().
 *
 * sh tests/fuzz/run-fuzzer.sh fuzz_rspf 60 /tmp/fuzz
 * Besides memory errors it checks what the parser promises: a refused
 * field keeps nothing; a kept one has a valid result, terminated strings,
 * a client-ip that reads back to the same address, and it matches the
 * session it describes.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "dmarc/received_spf.h"

static size_t
fuzz_len(const char *s, size_t size)
{
    const char *end = memchr(s, '\0', size);

    if (end == NULL)
        abort();
    return (size_t)(end - s);
}

/* A kept field: the promises of received_spf.h. */
static void
fuzz_check_field(const struct rs_field *f)
{
    struct rs_addr back;

    if (f->result >= DM_AUTH__COUNT || f->result == DM_AUTH_POLICY ||
        f->identity >= RS_IDENTITY__COUNT)
        abort();
    fuzz_len(f->envelope_from, RS_VALUE_MAX);
    fuzz_len(f->helo, RS_VALUE_MAX);
    fuzz_len(f->receiver, RS_VALUE_MAX);
    fuzz_len(f->problem, RS_VALUE_MAX);
    fuzz_len(f->mechanism, RS_VALUE_MAX);
    fuzz_len(f->envelope_domain, DM_DOMAIN_MAX);
    fuzz_len(f->helo_domain, DM_DOMAIN_MAX);
    if (!(f->keys & RS_KEY_CLIENT_IP)) {
        if (f->client.family != 0 || f->client_ip[0] != '\0')
            abort();
        return;
    }
    if (f->client.family != AF_INET && f->client.family != AF_INET6)
        abort();
    if (!rs_addr_parse(f->client_ip, fuzz_len(f->client_ip, RS_ADDR_TEXT),
                       &back) || memcmp(&back, &f->client, sizeof(back)) != 0)
        abort();
    if (f->envelope_null && f->envelope_domain[0] != '\0')
        abort();
}

/* The session the field itself describes must match it. */
static void
fuzz_check_self_match(const struct rs_field *f)
{
    struct rs_session s = { f->client_ip, false, f->envelope_domain,
                            f->helo_domain };
    struct dm_auth_id id;
    enum rs_match m;

    if (!(f->keys & RS_KEY_CLIENT_IP))
        return;
    if (f->identity == RS_IDENTITY_MAILFROM && f->envelope_domain[0] != '\0') {
        m = rs_match(f, &s, &id);
        if (m != RS_MATCH || strcmp(id.domain, f->envelope_domain) != 0 ||
            id.result != f->result)
            abort();
    }
    if (f->identity == RS_IDENTITY_HELO && f->helo_domain[0] != '\0' &&
        (!(f->keys & RS_KEY_ENVELOPE_FROM) || f->envelope_null)) {
        s.null_sender = true;
        s.mailfrom_domain = "";
        m = rs_match(f, &s, &id);
        if (m != RS_MATCH || strcmp(id.domain, f->helo_domain) != 0)
            abort();
    }
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static const struct rs_field zero;
    struct rs_field f;
    struct rs_session other = { "192.0.2.10", false, "paypal.com",
                                "client.test" };
    struct dm_auth_id id;
    enum rs_status st;
    enum rs_match m;

    st = rs_parse((const char *)data, size, &f);
    if ((unsigned)st >= RS_STATUS__COUNT)
        abort();
    if (st != RS_OK) {
        if (memcmp(&f, &zero, sizeof(f)) != 0)
            abort();
        return 0;
    }
    fuzz_check_field(&f);
    fuzz_check_self_match(&f);
    m = rs_match(&f, &other, &id);
    if ((unsigned)m >= RS_MATCH__COUNT)
        abort();
    if (m == RS_MATCH && strcmp(id.domain, "paypal.com") != 0)
        abort();
    return 0;
}
