/*
 * fuzz_dns.c: DNS response packets (bytes a remote server chooses) through
 * the TXT answer parser and on into the DMARC record parser.
 */
#include <config.h>

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "dmarc/dmarc_record.h"
#include "dns/dns_txt.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static struct dns_txt_answer ans;
    struct dmarc_record rec;
    const char *why;
    enum dns_status st;

    if (size > 65535)
        return 0;
    st = dns_txt_parse_answer(data, (int)size, &ans);
    if (st != DNS_OK && ans.count != 0)
        abort();
    if (ans.count > DNS_TXT_MAX_RECORDS)
        abort();
    for (size_t i = 0; i < ans.count; i++) {
        if (ans.rr[i].len > DNS_TXT_MAX_LEN || ans.rr[i].data[ans.rr[i].len])
            abort();
        (void)dmarc_record_parse(ans.rr[i].data, ans.rr[i].len, &rec, &why);
    }
    return 0;
}
