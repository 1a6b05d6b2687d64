/*
 * null_filter.c: a libmilter filter that does nothing but accept. The
 * benchmark runs it beside dmarc-milter and OpenDMARC, so the figures are
 * ratios to the cost of the milter protocol itself.
 *
 * usage: null_filter unix:/path/to/socket
 */
#include <config.h>

#include <stdio.h>
#include <stdlib.h>
#include <libmilter/mfapi.h>

static sfsistat
nf_header(SMFICTX *ctx, char *name, char *value)
{
    (void)ctx;
    (void)name;
    (void)value;
    return SMFIS_CONTINUE;
}

static sfsistat
nf_eom(SMFICTX *ctx)
{
    (void)ctx;
    return SMFIS_ACCEPT;
}

int
main(int argc, char **argv)
{
    struct smfiDesc desc = {
        .xxfi_name = (char *)"null_filter",
        .xxfi_version = SMFI_VERSION,
        .xxfi_flags = SMFIF_ADDHDRS,
        .xxfi_header = nf_header,
        .xxfi_eom = nf_eom,
    };

    if (argc != 2) {
        fprintf(stderr, "usage: null_filter SOCKET\n");
        return 64;
    }
    if (smfi_setconn(argv[1]) != MI_SUCCESS || smfi_register(desc) != MI_SUCCESS
        || smfi_opensocket(1) != MI_SUCCESS) {
        fprintf(stderr, "null_filter: cannot listen on %s\n", argv[1]);
        return 71;
    }
    return smfi_main() == MI_SUCCESS ? 0 : 71;
}
