/*
 * ip_list.h: lists of client addresses, networks and host names
 * (IgnoreHosts).
 */
#ifndef DM_IP_LIST_H
#define DM_IP_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/socket.h>

struct ipl;

struct ipl *ipl_new(void);
void ipl_free(struct ipl *l);

/*
 * Add one entry: an IPv4 or IPv6 address, a CIDR network
 * ("192.0.2.0/24", "2001:db8::/32"), or a host name matched against the
 * client's name ("mx.example.com", or ".example.com" for any name below).
 * A leading "!" makes it an exception: the first matching entry in list
 * order decides, as in OpenDMARC and opendkim. False with a reason in err
 * on a malformed entry (bad prefix length, bits set past the prefix are
 * accepted and masked).
 */
bool ipl_add(struct ipl *l, const char *entry, char *err, size_t errsz);

/* Number of entries. */
size_t ipl_count(const struct ipl *l);

/*
 * True when the client matches a positive entry before any exception.
 * sa may be NULL (unknown family), hostname may be NULL. IPv4-mapped IPv6
 * addresses (::ffff:192.0.2.1) match IPv4 entries.
 */
bool ipl_match(const struct ipl *l, const struct sockaddr *sa,
               const char *hostname);

#endif
