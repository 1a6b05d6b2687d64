/*
 * dns.h: the public header of dns/ (libdmdns.a): domain names, the
 * resolver interface, the resolver over the network and its cache.
 */
#ifndef DM_DNS_H
#define DM_DNS_H

#include "dns/domain_name.h"
#include "dns/dns_txt.h"
#include "dns/dns_query.h"
#include "dns/dns_cache.h"

#endif
