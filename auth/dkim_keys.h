/*
 * dkim_keys.h: the DKIM public keys already decoded, kept for the next
 * message signed with the same key.
 *
 * libopendkim decodes each signature's key from the DER bytes of its
 * p= tag with d2i_PUBKEY_bio(), for every message. OpenSSL 3 makes that
 * call costly (it builds a decoder context over every provider's
 * decoders each time): it was over 40% of the CPU of verifying a signed
 * message, more than the RSA verification itself. dkim_keys.c defines
 * d2i_PUBKEY_bio() in the executable, which the dynamic linker binds
 * libopendkim's calls to: the same bytes give the same key, shared
 * (counted references), so the decoding and the RSA Montgomery setup
 * happen once per key instead of once per message. A key is looked up by
 * its exact bytes, so a key changed in DNS is a new entry; what DNS says
 * and when is still decided per message by the key lookup.
 */
#ifndef DM_AUTH_DKIM_KEYS_H
#define DM_AUTH_DKIM_KEYS_H

#include <stddef.h>

/* The keys decoded and the lookups answered from the table so far. */
struct dkk_stats {
    unsigned long decoded;
    unsigned long reused;
};

void dkk_stats(struct dkk_stats *out);

/* Whether libopendkim's calls reach the table (the binding took). */
int dkk_bound(void);

#endif
