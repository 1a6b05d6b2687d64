/*
 * fuzz_iplist.c: libFuzzer target for IgnoreHosts entries
 * (config/ip_list.c): each input line is one entry.
 *
 * Checked: the list counts exactly the entries accepted; an accepted
 * address or network (no "!") matches its own address when it is alone
 * in a list; matching never fails on any client, name or none.
 */
#include <config.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "config/conf.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The address of entry (before any "/"), as a client would present it. */
static bool
fz_addr(const char *entry, struct sockaddr_storage *ss)
{
    char buf[128];
    struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;

    snprintf(buf, sizeof(buf), "%.*s", (int)strcspn(entry, "/"), entry);
    memset(ss, 0, sizeof(*ss));
    if (inet_pton(AF_INET, buf, &s4->sin_addr) == 1) {
        s4->sin_family = AF_INET;
        return true;
    }
    if (inet_pton(AF_INET6, buf, &s6->sin6_addr) == 1) {
        s6->sin6_family = AF_INET6;
        return true;
    }
    return false;
}

/*
 * An accepted positive address entry, alone, matches its own address;
 * but an IPv6 network wider than ::ffff:0:0/96 never matches the IPv4
 * clients inside it (ip_list.c: "::/0" must not swallow them).
 */
static void
fz_self(const char *entry)
{
    struct sockaddr_storage ss;
    struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
    const char *slash = strchr(entry, '/');
    struct ipl *one;
    char err[128];

    if (entry[0] == '!' || !fz_addr(entry, &ss))
        return;
    if (ss.ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&s6->sin6_addr) &&
        slash != NULL && atoi(slash + 1) < 96)
        return;
    if ((one = ipl_new()) == NULL)
        return;
    if (!ipl_add(one, entry, err, sizeof(err)) ||
        !ipl_match(one, (struct sockaddr *)&ss, NULL))
        abort();
    ipl_free(one);
}

static void
fz_match(const struct ipl *l)
{
    static const char *addrs[] = { "192.0.2.1", "::ffff:192.0.2.1",
                                   "2001:db8::1", "::", "0.0.0.0" };
    struct sockaddr_storage ss;

    for (size_t i = 0; i < sizeof(addrs) / sizeof(addrs[0]); i++) {
        if (!fz_addr(addrs[i], &ss))
            abort();
        (void)ipl_match(l, (struct sockaddr *)&ss, "mx.example.com.");
    }
    (void)ipl_match(l, NULL, "MX.Example.COM");
    (void)ipl_match(l, NULL, "");
    (void)ipl_match(l, NULL, NULL);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    struct ipl *l = ipl_new();
    char *text, *save = NULL, err[128];
    size_t added = 0;

    if (l == NULL || (text = malloc(size + 1)) == NULL) {
        ipl_free(l);
        return 0;
    }
    memcpy(text, data, size);
    text[size] = '\0';
    for (char *e = strtok_r(text, "\n", &save); e != NULL;
         e = strtok_r(NULL, "\n", &save)) {
        if (ipl_add(l, e, err, sizeof(err))) {
            added++;
            fz_self(e);
        } else if (memchr(err, '\0', sizeof(err)) == NULL || err[0] == '\0') {
            abort();
        }
        /* a client name may be any line too */
        (void)ipl_match(l, NULL, e);
    }
    if (ipl_count(l) != added)
        abort();
    fz_match(l);
    free(text);
    ipl_free(l);
    return 0;
}
