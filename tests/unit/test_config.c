/* test_config.c: the configuration file: syntax, keys, defaults, errors. */
#include <config.h>
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <syslog.h>
#include <unistd.h>
#include "agentx/agentx.h"
#include "config/conf.h"
#include "dns/domain_name.h"
#include "metrics/metrics.h"
#include "dmarc/verdict.h"
#include "tests/unit/fixtures.h"
#include "tests/unit/tap.h"

#define DEBIAN_PSL "/usr/share/publicsuffix/public_suffix_list.dat"
#define NDIAG 64

/* Diagnostics of the last load. */
static struct {
    int n, nerr, nwarn;
    bool err[NDIAG];
    char msg[NDIAG][1100];
} D;

static char tmpdir[] = "/tmp/test_config.XXXXXX";
static char cpath[300];          /* the config file of the last load */

static void
rep(void *arg, bool is_error, const char *msg)
{
    (void)arg;
    if (D.n < NDIAG) {
        D.err[D.n] = is_error;
        snprintf(D.msg[D.n], sizeof(D.msg[0]), "%s", msg);
    }
    D.n++;
    if (is_error)
        D.nerr++;
    else
        D.nwarn++;
}

/* len (size_t)-1: data is a string */
static void
write_file(const char *path, const char *data, size_t len)
{
    if (len == (size_t)-1)
        len = strlen(data);
    FILE *fp = fopen(path, "w");
    if (fp == NULL || fwrite(data, 1, len, fp) != len || fclose(fp) != 0) {
        printf("# cannot write %s: %s\n", path, strerror(errno));
        exit(1);
    }
}

/* A path in the temp directory; rotating static buffers. */
static const char *
tpath(const char *name)
{
    static char buf[4][300];
    static unsigned next;
    char *b = buf[next++ % 4];
    snprintf(b, sizeof(buf[0]), "%s/%s", tmpdir, name);
    return b;
}

static struct dm_config *
load_len(const char *text, size_t len)
{
    static int seq;
    snprintf(cpath, sizeof(cpath), "%s/c%d.conf", tmpdir, ++seq);
    write_file(cpath, text, len);
    memset(&D, 0, sizeof(D));
    return cf_load(cpath, rep, NULL);
}

static struct dm_config *
load(const char *text)
{
    return load_len(text, strlen(text));
}

/* "cpath:line: text" (line 0: "cpath: text"); rotating static buffers. */
static const char *
at(unsigned line, const char *fmt, ...)
{
    static char buf[4][1200];
    static unsigned next;
    char *b = buf[next++ % 4];
    int n;
    va_list ap;

    if (line > 0)
        n = snprintf(b, sizeof(buf[0]), "%s:%u: ", cpath, line);
    else
        n = snprintf(b, sizeof(buf[0]), "%s: ", cpath);
    va_start(ap, fmt);
    vsnprintf(b + n, sizeof(buf[0]) - (size_t)n, fmt, ap);
    va_end(ap);
    return b;
}

#define SOCK "Socket local:/run/t.sock\n"

/* text must fail with exactly one error, on line. */
static void
bad_at(const char *text, unsigned line, const char *want)
{
    struct dm_config *cf = load(text);

    ok(cf == NULL, "refused: %s", want);
    is_int(D.n, 1, "one diagnostic: %s", want);
    ok(D.err[0], "it is an error: %s", want);
    is_str(D.msg[0], at(line, "%s", want), "message: %s", want);
    cf_free(cf);
}

/* body after a Socket line must fail with exactly one error on line 2. */
static void
bad1(const char *body, const char *want)
{
    char text[8192];

    snprintf(text, sizeof(text), SOCK "%s", body);
    bad_at(text, 2, want);
}

/* body after a Socket line loads, with exactly one warning on line 2. */
static struct dm_config *
warn1(const char *body, const char *want)
{
    char text[8192];
    struct dm_config *cf;

    snprintf(text, sizeof(text), SOCK "%s", body);
    cf = load(text);
    ok(cf != NULL, "loads with a warning: %s", want);
    is_int(D.n, 1, "one diagnostic: %s", want);
    ok(D.n >= 1 && !D.err[0], "it is a warning: %s", want);
    is_str(D.msg[0], at(2, "%s", want), "message: %s", want);
    return cf;
}

/* body after a Socket line loads silently. */
static struct dm_config *
clean(const char *body)
{
    char text[8192];
    struct dm_config *cf;

    char name[64];

    snprintf(text, sizeof(text), SOCK "%s", body);
    cf = load(text);
    snprintf(name, sizeof(name), "%s", body);
    for (char *p = name; *p != '\0'; p++)
        if (*p == '\n')
            *p = '|';
    ok(cf != NULL && D.n == 0, "loads cleanly: %s", name);
    for (int i = 0; i < D.n && i < NDIAG; i++)
        printf("#   diag: %s\n", D.msg[i]);
    return cf;
}

static bool
match(const struct ipl *l, const char *addr)
{
    struct sockaddr_storage ss;
    memset(&ss, 0, sizeof(ss));
    if (strchr(addr, ':')) {
        struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
        s6->sin6_family = AF_INET6;
        inet_pton(AF_INET6, addr, &s6->sin6_addr);
    } else {
        struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
        s4->sin_family = AF_INET;
        inet_pton(AF_INET, addr, &s4->sin_addr);
    }
    return ipl_match(l, (struct sockaddr *)&ss, NULL);
}

/* ------------------------------------------------------------------ */

static void
check_defaults(const struct dm_config *cf, const char *what)
{
    is_int(cf->background, true, "%s: Background true", what);
    is_int(cf->umask_set, false, "%s: UMask unset", what);
    is_int(cf->milter_debug, 0, "%s: MilterDebug 0", what);
    is_int(cf->syslog, false, "%s: Syslog false", what);
    is_int(cf->syslog_facility, LOG_MAIL, "%s: SyslogFacility mail", what);
    is_int(cf->syslog_success, true, "%s: SyslogSuccess true", what);
    ok(cf->authserv_id == NULL, "%s: AuthservID unset", what);
    is_int(cf->n_trusted_ids, 0, "%s: no TrustedAuthservIDs", what);
    is_int(ipl_count(cf->ignore_hosts), 2, "%s: IgnoreHosts two", what);
    ok(match(cf->ignore_hosts, "127.0.0.1"), "%s: 127.0.0.1 ignored", what);
    ok(match(cf->ignore_hosts, "::1"), "%s: ::1 ignored", what);
    ok(match(cf->ignore_hosts, "::ffff:127.0.0.1"),
       "%s: mapped 127.0.0.1 ignored", what);
    ok(!match(cf->ignore_hosts, "127.0.0.2"), "%s: 127.0.0.2 not", what);
    is_int(cf->ignore_auth_clients, false, "%s: IgnoreAuth false", what);
    is_int(cf->n_ignore_mailfrom, 0, "%s: no IgnoreMailFrom", what);
    is_int(cf->required_headers, false, "%s: RequiredHeaders false", what);
    is_int(cf->multi_from, CF_MULTI_FROM_STRICTEST, "%s: multi-from", what);
    is_int(cf->spf_self_validate, false, "%s: SPFSelfValidate", what);
    is_int(cf->spf_ignore_results, false, "%s: SPFIgnoreResults", what);
    ok(cf->public_suffix_list == NULL, "%s: PublicSuffixList unset", what);
    is_int(cf->dns_timeout, 5, "%s: DNSTimeout 5", what);
    is_int(cf->dmarc_spec, DM_SPEC_RFC9989, "%s: DMARCSpec rfc9989", what);
    is_int(cf->reject_failures, false, "%s: RejectFailures false", what);
    is_int(cf->hold_quarantined, true, "%s: HoldQuarantined true", what);
    is_int(cf->temperror_action, CF_TEMPERROR_ACCEPT, "%s: temperror", what);
    is_int(cf->software_header, false, "%s: SoftwareHeader false", what);
    ok(cf->user_id == NULL && cf->pid_file == NULL &&
       cf->base_directory == NULL, "%s: path strings unset", what);
    ok(cf->chroot_dir == NULL && !cf->enable_coredumps,
       "%s: no ChangeRootDirectory, no EnableCoredumps", what);
    ok(!cf->authserv_jobid && !cf->required_from,
       "%s: AuthservIDWithJobID and RequiredFrom false", what);
    ok(cf->reject_string == NULL && cf->copy_failures_to == NULL,
       "%s: RejectString and CopyFailuresTo unset", what);
    ok(cf->arc_sealers.n == 0 && cf->arc_sealers_file.n == 0 &&
       !cf_arc_sealer(cf, "example.com"), "%s: no DomainWhitelist", what);
}

static void
test_defaults(void)
{
    struct dm_config *cf = cf_defaults();

    ok(cf != NULL, "cf_defaults");
    ok(cf->socket == NULL, "defaults: Socket unset");
    ok(cf->path == NULL, "defaults: no path");
    check_defaults(cf, "cf_defaults");
    cf_free(cf);

    cf = load(SOCK);
    ok(cf != NULL && D.n == 0, "Socket alone loads cleanly");
    is_str(cf->socket, "local:/run/t.sock", "Socket stored");
    is_str(cf->path, cpath, "path stored");
    check_defaults(cf, "Socket only");
    cf_free(cf);
    cf_free(NULL);
}

static void
test_all_keys(void)
{
    char text[4096];
    struct dm_config *cf;

    write_file(tpath("psl.dat"), "com\n", (size_t)-1);
    snprintf(text, sizeof(text),
             "Socket inet:8893@localhost\n"
             "UserID dmarc:mail\n"
             "PidFile /run/dm/dm.pid\n"
             "Background false\n"
             "UMask 0027\n"
             "BaseDirectory /var/lib/dm\n"
             "MilterDebug 6\n"
             "Syslog true\n"
             "SyslogFacility local5\n"
             "SyslogSuccess no\n"
             "AuthservID mx.example.com\n"
             "TrustedAuthservIDs a.example, b.example\n"
             "IgnoreHosts 192.0.2.0/24\n"
             "IgnoreAuthenticatedClients yes\n"
             "IgnoreMailFrom Example.COM., lists.example.org\n"
             "RequiredHeaders on\n"
             "RejectMultiValueFrom true\n"
             "SPFSelfValidate 1\n"
             "SPFIgnoreResults true\n"
             "PublicSuffixList %s\n"
             "DNSTimeout 60\n"
             "RejectFailures true\n"
             "HoldQuarantinedMessages false\n"
             "TempErrorAction tempfail\n"
             "SoftwareHeader true\n", tpath("psl.dat"));
    cf = load(text);
    ok(cf != NULL && D.n == 0, "every key set: loads cleanly");
    is_str(cf->socket, "inet:8893@localhost", "Socket");
    is_str(cf->user_id, "dmarc:mail", "UserID");
    is_str(cf->pid_file, "/run/dm/dm.pid", "PidFile");
    is_int(cf->background, false, "Background");
    is_int(cf->umask, 027, "UMask octal");
    is_int(cf->umask_set, true, "UMask set");
    is_str(cf->base_directory, "/var/lib/dm", "BaseDirectory");
    is_int(cf->milter_debug, 6, "MilterDebug");
    is_int(cf->syslog, true, "Syslog");
    is_int(cf->syslog_facility, LOG_LOCAL5, "SyslogFacility");
    is_int(cf->syslog_success, false, "SyslogSuccess");
    is_str(cf->authserv_id, "mx.example.com", "AuthservID");
    is_int(cf->n_trusted_ids, 2, "TrustedAuthservIDs count");
    is_str(cf->trusted_ids[0], "a.example", "TrustedAuthservIDs 0");
    is_str(cf->trusted_ids[1], "b.example", "TrustedAuthservIDs 1");
    is_int(ipl_count(cf->ignore_hosts), 1, "IgnoreHosts replaces default");
    ok(!match(cf->ignore_hosts, "127.0.0.1"), "127.0.0.1 no longer ignored");
    ok(match(cf->ignore_hosts, "192.0.2.9"), "IgnoreHosts network");
    is_int(cf->ignore_auth_clients, true, "IgnoreAuthenticatedClients");
    is_int(cf->n_ignore_mailfrom, 2, "IgnoreMailFrom count");
    is_str(cf->ignore_mailfrom[0], "example.com", "IgnoreMailFrom normalised");
    is_str(cf->ignore_mailfrom[1], "lists.example.org", "IgnoreMailFrom 1");
    is_int(cf->required_headers, true, "RequiredHeaders");
    is_int(cf->multi_from, CF_MULTI_FROM_REJECT, "RejectMultiValueFrom");
    is_int(cf->spf_self_validate, true, "SPFSelfValidate");
    is_int(cf->spf_ignore_results, true, "SPFIgnoreResults");
    is_str(cf->public_suffix_list, tpath("psl.dat"), "PublicSuffixList");
    is_int(cf->dns_timeout, 60, "DNSTimeout");
    is_int(cf->reject_failures, true, "RejectFailures");
    is_int(cf->hold_quarantined, false, "HoldQuarantinedMessages");
    is_int(cf->temperror_action, CF_TEMPERROR_TEMPFAIL, "TempErrorAction");
    is_int(cf->software_header, true, "SoftwareHeader");
    cf_free(cf);
}

static void
test_syntax(void)
{
    struct dm_config *cf;

    cf = load("# comment\n"
              "   # indented comment\n"
              "\n"
              "  \t \n"
              "socket\tlocal:/run/a#b.sock   # trailing comment\n"
              "SYSLOG   yes\t# comment after a tab\n"
              "  AuthservID \"mx.example.com\"  # quoted, then a comment\n"
              "PidFile \"/run/with space/x.pid\"\n"
              "BaseDirectory \"/srv/a # b\"\n"
              "UserID opendmarc");          /* no final newline */
    ok(cf != NULL && D.n == 0, "syntax mix loads cleanly");
    is_str(cf->socket, "local:/run/a#b.sock", "# inside a word is kept");
    is_int(cf->syslog, true, "key case-insensitive, comment after value");
    is_str(cf->authserv_id, "mx.example.com", "quotes stripped");
    is_str(cf->pid_file, "/run/with space/x.pid", "quoted space kept");
    is_str(cf->base_directory, "/srv/a # b", "quoted # kept");
    is_str(cf->user_id, "opendmarc", "last line without newline");
    cf_free(cf);

    cf = load("Socket local:/run/t.sock\r\nSyslog true\r\n"
              "AuthservID mx.example.com \r\n");
    ok(cf != NULL && D.n == 0, "CRLF line ends");
    is_str(cf->socket, "local:/run/t.sock", "CRLF: no \\r in value");
    is_str(cf->authserv_id, "mx.example.com", "trailing space trimmed");
    is_int(cf->syslog, true, "CRLF: bool");
    cf_free(cf);

    cf = load("Socket \"inet:8893@mail\"\n");
    ok(cf != NULL && D.n == 0, "quoted socket (docker-mailserver style)");
    is_str(cf->socket, "inet:8893@mail", "quoted socket value");
    cf_free(cf);

    cf = clean("IgnoreHosts \"\"\n");
    is_int(ipl_count(cf->ignore_hosts), 0, "IgnoreHosts \"\" empties it");
    ok(!match(cf->ignore_hosts, "127.0.0.1"), "empty: 127.0.0.1 evaluated");
    cf_free(cf);

}

static void
test_lines(void)
{
    char *text = malloc(20000);
    struct dm_config *cf;
    size_t n;

    /* exactly 4096 bytes is fine, with \n or \r\n */
    n = (size_t)sprintf(text, SOCK);
    text[n++] = '#';
    memset(text + n, 'x', 4095);
    n += 4095;
    memcpy(text + n, "\r\n#", 3);
    n += 3;
    memset(text + n, 'y', 4095);
    n += 4095;
    text[n++] = '\n';
    cf = load_len(text, n);
    ok(cf != NULL && D.n == 0, "4096-byte lines are accepted");
    cf_free(cf);

    /* 4097 bytes is not; the following lines are still checked */
    n = (size_t)sprintf(text, SOCK);
    memset(text + n, 'x', 4097);
    n += 4097;
    n += (size_t)sprintf(text + n, "\nBogus 1\n");
    cf = load_len(text, n);
    ok(cf == NULL, "4097-byte line refused");
    is_int(D.n, 2, "two diagnostics");
    is_str(D.msg[0], at(2, "line longer than 4096 bytes"), "long line");
    is_str(D.msg[1], at(3, "unknown key 'Bogus'"), "next line still read");
    cf_free(cf);

    n = (size_t)sprintf(text, SOCK "Syslog true");
    text[n++] = '\0';
    n += (size_t)sprintf(text + n, "junk\nSyslog false\n");
    cf = load_len(text, n);
    ok(cf == NULL, "NUL byte refused");
    is_int(D.n, 1, "one diagnostic for NUL");
    is_str(D.msg[0], at(2, "NUL byte in line"), "NUL message");
    cf_free(cf);
    free(text);

    /* a runaway file (sparse, all NULs, no newline) stops at 16 MiB */
    snprintf(cpath, sizeof(cpath), "%s", tpath("huge.conf"));
    int fd = open(cpath, O_WRONLY | O_CREAT | O_TRUNC, 0600);
    ok(fd >= 0 && ftruncate(fd, 17L * 1024 * 1024) == 0, "sparse file");
    close(fd);
    memset(&D, 0, sizeof(D));
    cf = cf_load(cpath, rep, NULL);
    ok(cf == NULL, "huge file refused");
    is_int(D.n, 2, "huge: two diagnostics");
    is_str(D.msg[0], at(0, "larger than 16777216 bytes; the rest is not read"),
           "huge file message");
    is_str(D.msg[1], at(0, "Socket is not set"), "huge: then no Socket");
    unlink(cpath);
}

static void
test_file_errors(void)
{
    struct dm_config *cf;

    snprintf(cpath, sizeof(cpath), "%s", tpath("missing.conf"));
    memset(&D, 0, sizeof(D));
    cf = cf_load(cpath, rep, NULL);
    ok(cf == NULL, "missing file");
    is_int(D.n, 1, "missing: one diagnostic");
    is_str(D.msg[0], at(0, "cannot open: No such file or directory"),
           "missing file message");

    snprintf(cpath, sizeof(cpath), "%s", tmpdir);
    memset(&D, 0, sizeof(D));
    cf = cf_load(cpath, rep, NULL);
    ok(cf == NULL, "directory as config");
    is_int(D.nerr, 2, "directory: two errors");
    is_str(D.msg[0], at(0, "read error: Is a directory"), "directory message");
    is_str(D.msg[1], at(0, "Socket is not set"), "directory: no Socket");

    cf = load("Syslog true\n");
    ok(cf == NULL, "no Socket");
    is_int(D.n, 1, "no Socket: one diagnostic");
    is_str(D.msg[0], at(0, "Socket is not set"), "no Socket message");

    cf = load("");
    ok(cf == NULL, "empty file");
    is_str(D.msg[0], at(0, "Socket is not set"), "empty file message");

    /* a NULL report function is allowed */
    cf = cf_load(tpath("missing.conf"), NULL, NULL);
    ok(cf == NULL, "NULL report: still refused");
}

static void
test_key_errors(void)
{
    bad1("Sockett local:/x\n", "unknown key 'Sockett'");
    bad1("Foo\n", "unknown key 'Foo'");
    bad1("Bad\x01Key 1\n", "unknown key 'Bad?Key'");
    bad1("Syslog\n", "no value for key 'Syslog'");
    bad1("Syslog   # only a comment\n", "no value for key 'Syslog'");
    bad1("IgnoreHosts\n", "no value for key 'IgnoreHosts'");
    bad1("AuthservID \"mx.example.com\n",
         "unterminated quote in value of AuthservID");
    bad1("AuthservID \"mx\" extra\n",
         "text after the closing quote in value of AuthservID");
    bad1("AuthservID \"a\"\"b\"\n",
         "text after the closing quote in value of AuthservID");

    /* one message per line, all reported, in order */
    struct dm_config *cf = load("Foo 1\nSyslog maybe\nDNSTimeout 0\n");
    ok(cf == NULL, "three problems");
    is_int(D.nerr, 4, "four errors");
    is_str(D.msg[0], at(1, "unknown key 'Foo'"), "first");
    is_str(D.msg[1], at(2, "bad value 'maybe' for Syslog: expected true or "
                        "false (yes/no, on/off, 1/0)"), "second");
    is_str(D.msg[2], at(3, "bad value '0' for DNSTimeout: expected an "
                        "integer from 1 to 60"), "third");
    is_str(D.msg[3], at(0, "Socket is not set"), "fourth");
}

#define BOOL_WANT "expected true or false (yes/no, on/off, 1/0)"
#define SOCK_WANT "expected local:/path, unix:/path, inet:PORT[@HOST], " \
                  "inet6:PORT[@HOST] or /path"
#define ID_WANT "expected an authserv-id or HOSTNAME (printable ASCII; no " \
                "spaces, quotes, commas, parentheses, backslashes or ';')"

static void
test_value_errors(void)
{
    char want[512], body[512];

    bad1("Background maybe\n", "bad value 'maybe' for Background: " BOOL_WANT);
    bad1("Syslog enabled\n", "bad value 'enabled' for Syslog: " BOOL_WANT);
    bad1("RejectFailures \"\"\n",
         "bad value '' for RejectFailures: " BOOL_WANT);
    bad1("RejectMultiValueFrom 2\n",
         "bad value '2' for RejectMultiValueFrom: " BOOL_WANT);
    bad1("Syslog \x1b[31mtrue\n",
         "bad value '?[31mtrue' for Syslog: " BOOL_WANT);

    bad1("DNSTimeout 0\n",
         "bad value '0' for DNSTimeout: expected an integer from 1 to 60");
    bad1("DNSTimeout 61\n",
         "bad value '61' for DNSTimeout: expected an integer from 1 to 60");
    bad1("DNSTimeout 5s\n",
         "bad value '5s' for DNSTimeout: expected an integer from 1 to 60");
    bad1("DNSTimeout -\n",
         "bad value '-' for DNSTimeout: expected an integer from 1 to 60");
    bad1("DNSTimeout 99999999999999999999\n",
         "bad value '99999999999999999999' for DNSTimeout: expected an "
         "integer from 1 to 60");
    bad1("MilterDebug 7\n",
         "bad value '7' for MilterDebug: expected an integer from 0 to 6");
    bad1("MilterDebug -1\n",
         "bad value '-1' for MilterDebug: expected an integer from 0 to 6");

    bad1("UMask 0999\n",
         "bad value '0999' for UMask: expected an octal mode from 0 to 0777");
    bad1("UMask 01000\n",
         "bad value '01000' for UMask: expected an octal mode from 0 to 0777");
    bad1("UMask 0x12\n",
         "bad value '0x12' for UMask: expected an octal mode from 0 to 0777");
    bad1("UMask 00000000000000000000001000\n",
         "bad value '00000000000000000000001000' for UMask: expected an "
         "octal mode from 0 to 0777");

    bad1("SyslogFacility kern\n", "bad value 'kern' for SyslogFacility: "
         "expected mail, daemon, user or local0 to local7");
    bad1("SyslogFacility local8\n", "bad value 'local8' for SyslogFacility: "
         "expected mail, daemon, user or local0 to local7");

    bad1("TempErrorAction reject\n", "bad value 'reject' for "
         "TempErrorAction: expected accept or tempfail");
    bad1("DMARCSpec rfc7490\n", "bad value 'rfc7490' for "
         "DMARCSpec: expected rfc9989 or rfc7489");
    bad1("DMARCSpec dmarcbis\n", "bad value 'dmarcbis' for "
         "DMARCSpec: expected rfc9989 or rfc7489");

    bad1("UserID user:\n", "bad value 'user:' for UserID: "
         "expected user or user:group");
    bad1("UserID :grp\n", "bad value ':grp' for UserID: "
         "expected user or user:group");
    bad1("UserID a b\n", "bad value 'a b' for UserID: "
         "expected user or user:group");
    bad1("UserID a:b:c\n", "bad value 'a:b:c' for UserID: "
         "expected user or user:group");

    bad1("PidFile \"\"\n", "bad value '' for PidFile: "
         "expected a non-empty value");
    bad1("BaseDirectory \"\"\n", "bad value '' for BaseDirectory: "
         "expected a non-empty value");

    bad1("AuthservID \"mx example\"\n",
         "bad value 'mx example' for AuthservID: " ID_WANT);
    bad1("AuthservID mx;x\n", "bad value 'mx;x' for AuthservID: " ID_WANT);
    bad1("AuthservID \"\"\n", "bad value '' for AuthservID: " ID_WANT);
    bad1("TrustedAuthservIDs good.example, bad(id)\n",
         "bad value 'bad(id)' for TrustedAuthservIDs: " ID_WANT);

    static const char *const bad_sockets[] = {
        "local:relative.sock", "unix:", "local:/", "/", "tcp:8893",
        "inet:127.0.0.1:8893", "inet:@localhost", "inet:0@localhost",
        "inet:65536@localhost", "inet:8893@", "inet:-1@localhost",
        "inet:8893@bad_host!", "inet6:8893@[::1", "inet6:8893@[zz::1]",
        "inet6:8893@:::1", "inet:88.93@localhost", "inet:", "inet6:",
        "8893",
    };
    for (size_t i = 0; i < sizeof(bad_sockets) / sizeof(*bad_sockets); i++) {
        snprintf(body, sizeof(body), "Syslog no\nSocket %s\n",
                 bad_sockets[i]);
        snprintf(want, sizeof(want), "bad value '%s' for Socket: " SOCK_WANT,
                 bad_sockets[i]);
        bad_at(body, 2, want);
    }

    /* a long value is cut in the message */
    char longv[200];
    memset(longv, 'z', sizeof(longv) - 1);
    longv[sizeof(longv) - 1] = '\0';
    snprintf(body, sizeof(body), "TempErrorAction %s\n", longv);
    snprintf(want, sizeof(want), "bad value '%.80s...' for TempErrorAction: "
             "expected accept or tempfail", longv);
    bad1(body, want);

    /* IgnoreMailFrom: the reason comes from dn_normalize */
    static const char *const bad_domains[] = {
        "bad..example", "[192.0.2.1]", "a b!c.example",
    };
    for (size_t i = 0; i < sizeof(bad_domains) / sizeof(*bad_domains); i++) {
        const char *d = bad_domains[i];
        char out[DM_DOMAIN_MAX];
        size_t len = strcspn(d, " ");
        enum dn_status st = dn_normalize(d, len, out, sizeof(out));
        if (strchr(d, ' ') != NULL) {
            d = strchr(d, ' ') + 1;        /* the first item is fine */
            len = strlen(d);
            st = dn_normalize(d, len, out, sizeof(out));
        }
        ok(st != DN_OK, "dn_normalize refuses '%s'", d);
        snprintf(body, sizeof(body), "IgnoreMailFrom %s\n", bad_domains[i]);
        snprintf(want, sizeof(want), "bad value '%s' for IgnoreMailFrom: "
                 "expected a domain name (%s)", d, dn_strerror(st));
        bad1(body, want);
    }

    snprintf(want, sizeof(want), "cannot read PublicSuffixList file "
             "'%s': No such file or directory", tpath("nope.dat"));
    snprintf(body, sizeof(body), "PublicSuffixList %s\n", tpath("nope.dat"));
    bad1(body, want);
    snprintf(want, sizeof(want), "cannot read PublicSuffixList file "
             "'%s': Is a directory", tmpdir);
    snprintf(body, sizeof(body), "PublicSuffixList %s\n", tmpdir);
    bad1(body, want);
    bad1("PublicSuffixList \"\"\n",
         "bad value '' for PublicSuffixList: expected a file name");
}

static void
test_good_values(void)
{
    struct dm_config *cf;
    static const char *const yes[] = {
        "true", "TRUE", "True", "yes", "Yes", "on", "ON", "1", "t", "T", "y",
        "Y",
    };
    static const char *const no[] = {
        "false", "False", "no", "NO", "off", "Off", "0", "f", "F", "n", "N",
    };
    char body[128];

    for (size_t i = 0; i < sizeof(yes) / sizeof(*yes); i++) {
        snprintf(body, sizeof(body), "Syslog %s\nBackground %s\n",
                 yes[i], yes[i]);
        cf = clean(body);
        ok(cf && cf->syslog && cf->background, "'%s' is true", yes[i]);
        cf_free(cf);
    }
    for (size_t i = 0; i < sizeof(no) / sizeof(*no); i++) {
        snprintf(body, sizeof(body), "Syslog %s\nBackground %s\n",
                 no[i], no[i]);
        cf = clean(body);
        ok(cf && !cf->syslog && !cf->background, "'%s' is false", no[i]);
        cf_free(cf);
    }

    static const char *const good_sockets[] = {
        "local:/run/opendmarc/opendmarc.sock", "unix:/var/run/x.sock",
        "LOCAL:/x", "/run/bare.sock", "inet:8893@localhost",
        "inet:8893@127.0.0.1", "inet:8893", "inet:milter@mx.example.com",
        "inet6:8893@[::1]", "inet6:8893@::1", "inet6:65535@ip6-localhost",
        "inet:1@h",
    };
    for (size_t i = 0; i < sizeof(good_sockets) / sizeof(*good_sockets); i++) {
        char text[256];
        snprintf(text, sizeof(text), "Socket %s\n", good_sockets[i]);
        cf = load(text);
        ok(cf != NULL && D.n == 0, "socket '%s' accepted", good_sockets[i]);
        is_str(cf ? cf->socket : NULL, good_sockets[i], "socket stored");
        cf_free(cf);
    }

    static const struct { const char *v; int fac; } facs[] = {
        { "mail", LOG_MAIL }, { "MAIL", LOG_MAIL }, { "daemon", LOG_DAEMON },
        { "user", LOG_USER }, { "local0", LOG_LOCAL0 },
        { "Local7", LOG_LOCAL7 },
    };
    for (size_t i = 0; i < sizeof(facs) / sizeof(*facs); i++) {
        snprintf(body, sizeof(body), "SyslogFacility %s\n", facs[i].v);
        cf = clean(body);
        is_int(cf ? cf->syslog_facility : -1, facs[i].fac, "facility %s",
               facs[i].v);
        cf_free(cf);
    }

    static const struct { const char *v; unsigned m; } masks[] = {
        { "0002", 02 }, { "0", 0 }, { "777", 0777 }, { "0777", 0777 },
        { "22", 022 }, { "000007", 07 },
    };
    for (size_t i = 0; i < sizeof(masks) / sizeof(*masks); i++) {
        snprintf(body, sizeof(body), "UMask %s\n", masks[i].v);
        cf = clean(body);
        is_int(cf ? (long long)cf->umask : -1, masks[i].m, "UMask %s",
               masks[i].v);
        cf_free(cf);
    }

    cf = clean("DNSTimeout 1\nMilterDebug 0\nTempErrorAction Accept\n"
               "UserID opendmarc\n");
    is_int(cf->dns_timeout, 1, "DNSTimeout 1");
    is_int(cf->temperror_action, CF_TEMPERROR_ACCEPT, "Accept");
    cf_free(cf);
    cf = clean("DMARCSpec rfc7489\n");
    is_int(cf->dmarc_spec, DM_SPEC_RFC7489, "DMARCSpec rfc7489");
    cf_free(cf);
    cf = clean("DMARCSpec RFC9989\n");
    is_int(cf->dmarc_spec, DM_SPEC_RFC9989, "DMARCSpec RFC9989");
    cf_free(cf);
    cf = clean("TempErrorAction TEMPFAIL\nRejectMultiValueFrom no\n");
    is_int(cf->temperror_action, CF_TEMPERROR_TEMPFAIL, "TEMPFAIL");
    is_int(cf->multi_from, CF_MULTI_FROM_STRICTEST, "RejectMultiValueFrom no");
    cf_free(cf);
}

static void
test_bool_compat(void)
{
    struct dm_config *cf;

    cf = warn1("Background Yellow\n", "value 'Yellow' for Background is read "
               "as true from its first character, as OpenDMARC does; "
               "write true");
    ok(cf && cf->background, "Yellow is true");
    cf_free(cf);
    cf = warn1("Background nope\n", "value 'nope' for Background is read "
               "as false from its first character, as OpenDMARC does; "
               "write false");
    ok(cf && !cf->background, "nope is false");
    cf_free(cf);
    cf = warn1("Syslog true#x\n", "value 'true#x' for Syslog is read "
               "as true from its first character, as OpenDMARC does; "
               "write true");
    ok(cf && cf->syslog, "# glued to a word is not a comment");
    cf_free(cf);
    cf = warn1("RejectMultiValueFrom 10\n", "value '10' for "
               "RejectMultiValueFrom is read as true from its first "
               "character, as OpenDMARC does; write true");
    is_int(cf ? (int)cf->multi_from : -1, CF_MULTI_FROM_REJECT, "10 is true");
    cf_free(cf);
}

#define RESTART_HINT "let the service manager restart it: systemd's " \
    "Restart=on-failure (the shipped unit sets it)"

static void
test_unimplemented(void)
{
    static const char *const keys[] = {
        "TestDNSData",
    };
    /* these say what to do instead */
    static const char *const hinted[][2] = {
        { "AutoRestart", RESTART_HINT },
        { "AutoRestartCount", RESTART_HINT },
        { "AutoRestartRate", RESTART_HINT },
        { "DomainWhitelistSize", "the DomainWhitelist has no fixed size "
          "here" },
    };
    char body[128], want[512];
    struct dm_config *cf;

    for (size_t i = 0; i < sizeof(keys) / sizeof(*keys); i++) {
        snprintf(body, sizeof(body), "%s some value\n", keys[i]);
        snprintf(want, sizeof(want), "OpenDMARC key '%s' is not implemented "
                 "by dmarc-milter; ignored", keys[i]);
        cf = warn1(body, want);
        cf_free(cf);
    }
    for (size_t i = 0; i < sizeof(hinted) / sizeof(*hinted); i++) {
        snprintf(body, sizeof(body), "%s 10/1h\n", hinted[i][0]);
        snprintf(want, sizeof(want), "OpenDMARC key '%s' is not implemented "
                 "by dmarc-milter; ignored: %s", hinted[i][0], hinted[i][1]);
        cf = warn1(body, want);
        cf_free(cf);
    }
    cf = warn1("autorestart\n", "OpenDMARC key 'AutoRestart' is not "
               "implemented by dmarc-milter; ignored: " RESTART_HINT);
    cf_free(cf);

    /* the count of unimplemented keys in the table matches this list */
    size_t n = 0;
    bool impl;
    for (size_t i = 0; cf_key_name(i, &impl) != NULL; i++)
        if (!impl)
            n++;
    is_int(n, sizeof(keys) / sizeof(*keys) + sizeof(hinted) /
           sizeof(*hinted), "unimplemented key count");
}

static void
test_duplicates(void)
{
    struct dm_config *cf;

    cf = load(SOCK "Syslog true\nDNSTimeout 7\nSYSLOG false\n");
    ok(cf != NULL, "duplicate scalar loads");
    is_int(D.n, 1, "duplicate: one diagnostic");
    ok(!D.err[0], "duplicate: a warning");
    is_str(D.msg[0], at(4, "Syslog was already set on line 2; the value on "
                        "line 4 is used"), "duplicate message");
    is_int(cf->syslog, false, "later value wins");
    cf_free(cf);

    cf = load("Socket local:/a\nSocket local:/b\nSocket local:/c\n");
    ok(cf != NULL, "triple Socket loads");
    is_int(D.nwarn, 2, "two warnings");
    is_str(D.msg[1], at(3, "Socket was already set on line 2; the value on "
                        "line 3 is used"), "third names the second");
    is_str(cf->socket, "local:/c", "last Socket wins");
    cf_free(cf);

    /* lists add up */
    cf = clean("TrustedAuthservIDs a.example\nTrustedAuthservIDs b.example "
               "c.example\nIgnoreMailFrom x.example\nIgnoreMailFrom "
               "y.example\nIgnoreHosts 10.0.0.1\nIgnoreHosts 10.0.0.2\n");
    is_int(cf->n_trusted_ids, 3, "TrustedAuthservIDs accumulate");
    is_str(cf->trusted_ids[2], "c.example", "third id");
    is_int(cf->n_ignore_mailfrom, 2, "IgnoreMailFrom accumulate");
    is_int(ipl_count(cf->ignore_hosts), 2, "IgnoreHosts accumulate");
    ok(match(cf->ignore_hosts, "10.0.0.1") &&
       match(cf->ignore_hosts, "10.0.0.2"), "both hosts ignored");
    ok(!match(cf->ignore_hosts, "127.0.0.1"), "default replaced");
    cf_free(cf);
}

static void
test_hostname(void)
{
    char host[256];
    struct dm_config *cf;

    ok(gethostname(host, sizeof(host)) == 0, "gethostname");
    host[sizeof(host) - 1] = '\0';

    cf = clean("AuthservID HOSTNAME\n");
    is_str(cf->authserv_id, host, "AuthservID HOSTNAME expanded");
    cf_free(cf);
    cf = clean("AuthservID hostname\n");
    is_str(cf->authserv_id, host, "AuthservID hostname (any case)");
    cf_free(cf);
    cf = clean("AuthservID HOSTNAMEX\n");
    is_str(cf->authserv_id, "HOSTNAMEX", "HOSTNAMEX kept literally");
    cf_free(cf);

    cf = clean("TrustedAuthservIDs HOSTNAME,mx.example.com other.example,\n");
    is_int(cf->n_trusted_ids, 3, "three trusted ids");
    is_str(cf->trusted_ids[0], host, "TrustedAuthservIDs HOSTNAME expanded");
    is_str(cf->trusted_ids[1], "mx.example.com", "comma separated");
    is_str(cf->trusted_ids[2], "other.example", "space separated");

    ok(cf_trusted_id(cf, "own.example", "own.example"), "own id");
    ok(cf_trusted_id(cf, "own.example", "OWN.Example"), "own id, any case");
    ok(cf_trusted_id(cf, "own.example", "MX.example.COM"), "listed, any case");
    ok(cf_trusted_id(cf, NULL, host), "listed HOSTNAME, no own id");
    ok(!cf_trusted_id(cf, "own.example", "HOSTNAME"), "literal not listed");
    ok(!cf_trusted_id(cf, "own.example", "evil.example"), "not trusted");
    ok(!cf_trusted_id(cf, "own.example", "mx.example.com.evil"), "no prefix");
    ok(!cf_trusted_id(cf, "own.example", NULL), "NULL id");
    ok(!cf_trusted_id(cf, NULL, ""), "empty id");
    ok(cf_trusted_id(NULL, "own", "OWN"), "NULL config: own id still");
    ok(!cf_trusted_id(NULL, NULL, "own"), "NULL config and own id");
    cf_free(cf);
}

static void
test_mailfrom(void)
{
    struct dm_config *cf = clean("IgnoreMailFrom Example.COM., b.example\n");

    is_int(cf->n_ignore_mailfrom, 2, "two domains");
    is_str(cf->ignore_mailfrom[0], "example.com", "lower case, no dot");
    ok(cf_ignore_mailfrom(cf, "example.com"), "exact match");
    ok(cf_ignore_mailfrom(cf, "b.example"), "second");
    ok(!cf_ignore_mailfrom(cf, "sub.example.com"), "no subdomains");
    ok(!cf_ignore_mailfrom(cf, "com"), "no parent");
    ok(!cf_ignore_mailfrom(cf, NULL), "NULL domain");
    ok(!cf_ignore_mailfrom(NULL, "example.com"), "NULL config");
    cf_free(cf);
}

static void
test_ignore_hosts(void)
{
    struct dm_config *cf;
    char body[512], want[512];

    write_file(tpath("hosts"),
               "# trusted relays\n"
               "!192.0.2.66, 2001:db8::/32\n"
               "192.0.2.0/24   # office\n"
               "\n"
               "  relay.example.net .example.org\n", (size_t)-1);
    snprintf(body, sizeof(body), "IgnoreHosts %s\n", tpath("hosts"));
    cf = clean(body);
    is_int(ipl_count(cf->ignore_hosts), 5, "five entries from the file");
    ok(!match(cf->ignore_hosts, "192.0.2.66"), "exception order kept");
    ok(match(cf->ignore_hosts, "192.0.2.65"), "network from file");
    ok(match(cf->ignore_hosts, "2001:db8::25"), "v6 network from file");
    ok(ipl_match(cf->ignore_hosts, NULL, "a.example.org"), "suffix host");
    ok(ipl_match(cf->ignore_hosts, NULL, "relay.example.net"), "exact host");
    ok(!match(cf->ignore_hosts, "127.0.0.1"), "file replaces the default");
    cf_free(cf);

    /* inline, with a host-suffix that must not be taken for a file */
    cf = clean("IgnoreHosts 127.0.0.1, ::1 .example.com\n");
    is_int(ipl_count(cf->ignore_hosts), 3, "inline list");
    ok(ipl_match(cf->ignore_hosts, NULL, "mx.example.com"), ".suffix inline");
    cf_free(cf);

    /* a relative file name */
    char cwd[512];
    ok(getcwd(cwd, sizeof(cwd)) != NULL && chdir(tmpdir) == 0, "chdir");
    cf = clean("IgnoreHosts ./hosts\n");
    is_int(ipl_count(cf->ignore_hosts), 5, "./hosts read");
    cf_free(cf);
    ok(chdir(cwd) == 0, "chdir back");

    /* a file plus the file name again: entries add up */
    snprintf(body, sizeof(body), "IgnoreHosts %s\nIgnoreHosts 10.9.9.9\n",
             tpath("hosts"));
    cf = clean(body);
    is_int(ipl_count(cf->ignore_hosts), 6, "file then inline add up");
    cf_free(cf);

    bad1("IgnoreHosts 10.0.0.0/33\n", "bad IgnoreHosts entry '10.0.0.0/33': "
         "prefix length must be 0 to 32 for IPv4");
    bad1("IgnoreHosts 127.0.0.1, 300.0.0.1\n", "bad IgnoreHosts entry "
         "'300.0.0.1': not a valid IPv4 address");

    snprintf(body, sizeof(body), "IgnoreHosts %s\n", tpath("nohosts"));
    snprintf(want, sizeof(want), "cannot open IgnoreHosts file '%s': No such "
             "file or directory", tpath("nohosts"));
    bad1(body, want);

    bad1("IgnoreHosts /dev/null\n", "cannot open IgnoreHosts file "
         "'/dev/null': not a regular file");
    snprintf(body, sizeof(body), "IgnoreHosts %s/\n", tmpdir);
    snprintf(want, sizeof(want), "cannot open IgnoreHosts file '%s/': Is a "
             "directory", tmpdir);
    bad1(body, want);
    bad1("PublicSuffixList /dev/null\n", "cannot read PublicSuffixList file "
         "'/dev/null': not a regular file");

    /* a file name with a control byte is shown without it */
    write_file(tpath("ctl\x01hosts"), "10.0.0.1/99\n", (size_t)-1);
    snprintf(body, sizeof(body), SOCK "IgnoreHosts %s\n",
             tpath("ctl\x01hosts"));
    cf = load(body);
    ok(cf == NULL, "bad entry in a file with a control byte in its name");
    snprintf(want, sizeof(want), "%s:1: bad IgnoreHosts entry '10.0.0.1/99': "
             "prefix length must be 0 to 32 for IPv4", tpath("ctl?hosts"));
    is_str(D.msg[0], want, "control byte in the file name replaced");
    unlink(tpath("ctl\x01hosts"));

    /* errors in the hosts file carry its name and line */
    write_file(tpath("badhosts"),
               "192.0.2.1\n"
               "# fine\n"
               "10.0.0.1 bogus! 2001:db8::/200\n", (size_t)-1);
    snprintf(body, sizeof(body), SOCK "IgnoreHosts %s\n", tpath("badhosts"));
    cf = load(body);
    ok(cf == NULL, "bad hosts file refused");
    is_int(D.nerr, 2, "two bad entries");
    snprintf(want, sizeof(want), "%s:3: bad IgnoreHosts entry 'bogus!': not "
             "an IP address, network or host name", tpath("badhosts"));
    is_str(D.msg[0], want, "hosts file line in message");
    snprintf(want, sizeof(want), "%s:3: bad IgnoreHosts entry "
             "'2001:db8::/200': prefix length must be 0 to 128 for IPv6",
             tpath("badhosts"));
    is_str(D.msg[1], want, "second bad entry on the same line");

    char *big = malloc(5000);
    memcpy(big, "10.0.0.1\n", 9);
    memset(big + 9, ' ', 4100);
    memcpy(big + 4109, "\n10.0.0.2\n1\x00" "2\n", 14);
    write_file(tpath("longhosts"), big, 4123);
    free(big);
    snprintf(body, sizeof(body), SOCK "IgnoreHosts %s\n", tpath("longhosts"));
    cf = load(body);
    ok(cf == NULL, "long hosts line refused");
    is_int(D.nerr, 2, "long line and NUL byte");
    snprintf(want, sizeof(want), "%s:2: line longer than 4096 bytes",
             tpath("longhosts"));
    is_str(D.msg[0], want, "hosts file long line");
    snprintf(want, sizeof(want), "%s:4: NUL byte in line", tpath("longhosts"));
    is_str(D.msg[1], want, "hosts file NUL byte");
}

/* head, then "<pre><i><post>" for i from 0 to n - 1, each ended by sep. */
static size_t
numbered(char *text, size_t size, const char *head, const char *pre, int n,
         const char *post, const char *sep)
{
    size_t len = (size_t)snprintf(text, size, "%s", head);

    for (int i = 0; i < n && len < size; i++)
        len += (size_t)snprintf(text + len, size - len, "%s%d%s%s", pre, i,
                                post, sep);
    return len < size ? len : size - 1;
}

/* numbered() lines, as the file tpath(name). */
static void
write_numbered(const char *name, const char *pre, int n, const char *post)
{
    char text[4096];

    write_file(tpath(name), text, numbered(text, sizeof(text), "", pre, n,
                                           post, "\n"));
}

/* Load a configuration whose "key" line names tpath(name), then "after". */
static struct dm_config *
load_naming(const char *key, const char *name, const char *after)
{
    char body[1024];

    snprintf(body, sizeof(body), SOCK "%s %s\n%s", key, tpath(name), after);
    return load(body);
}

/*
 * A file with CF_FILE_ERRORS (20) errors is the wrong file: the reader
 * says so once and stops, in that file only. The public suffix list
 * named as an IgnoreHosts file gave thousands of lines before.
 */
static void
test_error_cap(void)
{
    char want[512], text[4096];

    /* 30 bad lines: the stop comes at line 21, which is not read */
    write_numbered("manybad", "bad", 30, "!");
    ok(load_naming("IgnoreHosts", "manybad", "NoSuchKey 1\n") == NULL,
       "hosts file with 30 bad lines refused");
    is_int(D.nerr, 22, "20 entries, the stop, and the main file's line 3");
    snprintf(want, sizeof(want), "%s:20: bad IgnoreHosts entry 'bad19!': "
             "not an IP address, network or host name", tpath("manybad"));
    is_str(D.msg[19], want, "the 20th error is still shown");
    snprintf(want, sizeof(want), "%s:21: 20 errors; the rest of this file is "
             "not read", tpath("manybad"));
    is_str(D.msg[20], want, "then the stop, at the first line not read");
    is_str(D.msg[21], at(3, "unknown key 'NoSuchKey'"),
           "the main file's own count is apart: its next error is shown");

    /* one line with many bad items stops inside the line */
    write_file(tpath("oneline"), text, numbered(text, sizeof(text),
               "10.0.0.1", " x", 30, "!", ""));
    ok(load_naming("IgnoreHosts", "oneline", "") == NULL,
       "a file of 30 bad items refused");
    is_int(D.nerr, 21, "20 items and the stop");
    ok(strstr(D.msg[20], "oneline:1: 20 errors; the rest of this file is not "
              "read") != NULL, "stop after the 20th item: %s", D.msg[20]);

    /* 20 errors reach the cap but leave nothing unread: no stop line
       (the bad prefix first, on line 1) */
    write_file(tpath("twenty"), text, numbered(text, sizeof(text),
               "10.0.0.1/99\n", "bad", 19, "!", "\n"));
    ok(load_naming("IgnoreHosts", "twenty", "") == NULL, "20 errors refused");
    is_int(D.nerr, 20, "19 bad lines and the 20th, no stop line");
    ok(strstr(D.msg[19], "twenty:20: bad IgnoreHosts entry 'bad18!'") != NULL,
       "last line read: %s", D.msg[19]);

    /* the same cap in the configuration file itself */
    ok(load_len(text, numbered(text, sizeof(text), SOCK, "Bogus", 25, " yes",
                               "\n")) == NULL, "25 unknown keys refused");
    is_int(D.nerr, 21, "20 errors and the stop");
    is_str(D.msg[20], at(22, "20 errors; the rest of this file is not read"),
           "stop in the configuration file");

    /* one list line of the configuration: the stop ends the file too */
    {
        size_t len = numbered(text, sizeof(text), SOCK "IgnoreMailFrom",
                              " bad..", 30, "", "");

        len += (size_t)snprintf(text + len, sizeof(text) - len,
                                "\nBogus yes\n");
        ok(load_len(text, len) == NULL, "30 bad IgnoreMailFrom items refused");
    }
    is_int(D.nerr, 21, "20 items and the stop, line 3 not read");
    is_str(D.msg[20], at(2, "20 errors; the rest of this file is not read"),
           "stop on the list's line");

    /* a domain list file: the same */
    write_numbered("baddomains", "bad..domain", 30, "");
    ok(load_naming("DomainWhitelistFile", "baddomains", "") == NULL,
       "domain list with 30 bad lines refused");
    is_int(D.nerr, 21, "domain list: 20 errors and the stop");
    ok(strstr(D.msg[20], "baddomains:21: 20 errors; the rest of this file "
              "is not read") != NULL, "domain list stop: %s", D.msg[20]);
}

static void
test_debian(void)
{
    const char *text =
        "# This is a basic configuration for opendmarc\n"
        "PidFile /run/opendmarc/opendmarc.pid\n"
        "PublicSuffixList /usr/share/publicsuffix/public_suffix_list.dat\n"
        "Socket local:/run/opendmarc/opendmarc.sock\n"
        "Syslog true\n"
        "UMask 0002\n"
        "UserID opendmarc\n";
    struct dm_config *cf;

    if (access(DEBIAN_PSL, R_OK) != 0) {
        ok(1, "# SKIP %s not installed", DEBIAN_PSL);
        return;
    }
    cf = load(text);
    ok(cf != NULL, "Debian's opendmarc.conf loads");
    is_int(D.n, 0, "with no diagnostics");
    is_str(cf->pid_file, "/run/opendmarc/opendmarc.pid", "Debian PidFile");
    is_str(cf->public_suffix_list, DEBIAN_PSL, "Debian PublicSuffixList");
    is_str(cf->socket, "local:/run/opendmarc/opendmarc.sock", "Debian Socket");
    is_int(cf->syslog, true, "Debian Syslog");
    is_int(cf->umask, 02, "Debian UMask");
    is_str(cf->user_id, "opendmarc", "Debian UserID");
    cf_free(cf);
}

/* A file of the source tree: $top_srcdir/rel, else relative guesses. */
static const char *
src_file(const char *rel)
{
    static char buf[1024];
    const char *top = getenv("top_srcdir");
    const char *guess[] = { top, ".", "..", "../.." };

    for (size_t i = 0; i < sizeof(guess) / sizeof(*guess); i++) {
        if (guess[i] == NULL)
            continue;
        snprintf(buf, sizeof(buf), "%s/%s", guess[i], rel);
        if (access(buf, R_OK) == 0)
            return buf;
    }
    snprintf(buf, sizeof(buf), "%s/%s", top ? top : ".", rel);
    return buf;
}

/*
 * The sample's line of a key whose file must exist at load:
 * the test's own, to put in its place; NULL for other lines.
 */
static const char *
sample_path(const char *line)
{
    if (strncmp(line, "#DomainWhitelistFile ", 21) == 0) {
        write_file(tpath("sealers"), "lists.example.org\n", (size_t)-1);
        return tpath("sealers");
    }
    return NULL;
}

static void
test_sample(void)
{
    char path[1024];
    size_t len = 0;
    char *text, *out, *p;
    struct dm_config *cf;
    bool impl;

    snprintf(path, sizeof(path), "%s", src_file("etc/dmarc-milter.conf"));
    memset(&D, 0, sizeof(D));
    cf = cf_load(path, rep, NULL);
    ok(cf != NULL, "the sample %s loads", path);
    is_int(D.n, 0, "sample: no diagnostics");
    for (int i = 0; i < D.n && i < NDIAG; i++)
        printf("#   diag: %s\n", D.msg[i]);
    cf_free(cf);

    text = fx_read(path, &len);
    ok(text != NULL, "sample readable");
    if (text == NULL)
        return;

    /* every implemented key has a commented line "#Key value" */
    for (size_t i = 0; cf_key_name(i, &impl) != NULL; i++) {
        const char *k = cf_key_name(i, NULL);
        char needle[64];
        if (!impl)
            continue;
        snprintf(needle, sizeof(needle), "\n#%s ", k);
        bool found = strstr(text, needle) != NULL;
        snprintf(needle, sizeof(needle), "\n%s ", k);
        found = found || strstr(text, needle) != NULL;
        ok(found, "sample shows %s", k);
    }

    /* uncommenting every "#Key value" line still loads cleanly */
    out = malloc(len + 1024);
    size_t o = 0, uncommented = 0;
    for (p = text; *p != '\0';) {
        char *eol = strchr(p, '\n');
        size_t ll = eol ? (size_t)(eol - p) + 1 : strlen(p);
        const char *own = sample_path(p);

        if (own != NULL) {
            /* a file that must exist now: one of this test's */
            o += (size_t)sprintf(out + o, "%.*s %s\n",
                                 (int)strcspn(p + 1, " "), p + 1, own);
            uncommented++;
        } else if (p[0] == '#' && p[1] >= 'A' && p[1] <= 'Z') {
            memcpy(out + o, p + 1, ll - 1);
            o += ll - 1;
            uncommented++;
        } else {
            memcpy(out + o, p, ll);
            o += ll;
        }
        p += ll;
    }
    size_t nimpl = 0;
    for (size_t i = 0; cf_key_name(i, &impl) != NULL; i++)
        nimpl += impl;
    /*
     * one "#Key value" line per key, but those the sample sets: Socket,
     * the two that make a new installation enforce, and MetricsListen
     * (on loopback: the counters are there from the first start).
     */
    is_int(uncommented, nimpl - 4, "sample: one commented line per key");
    if (access(DEBIAN_PSL, R_OK) != 0) {
        ok(1, "# SKIP %s not installed", DEBIAN_PSL);
    } else {
        cf = load_len(out, o);
        ok(cf != NULL, "sample with every setting uncommented loads");
        is_int(D.n, 0, "uncommented sample: no diagnostics");
        for (int i = 0; i < D.n && i < NDIAG; i++)
            printf("#   diag: %s\n", D.msg[i]);
        /* the lines of keys that have a default show that default */
        if (cf != NULL) {
            is_int(cf->background, true, "sample Background default");
            is_int(cf->milter_debug, 0, "sample MilterDebug default");
            is_int(cf->syslog, false, "sample Syslog default");
            is_int(cf->syslog_facility, LOG_MAIL, "sample facility default");
            is_int(cf->syslog_success, true, "sample SyslogSuccess default");
            is_int(ipl_count(cf->ignore_hosts), 2, "sample IgnoreHosts");
            ok(match(cf->ignore_hosts, "127.0.0.1") &&
               match(cf->ignore_hosts, "::1"), "sample IgnoreHosts default");
            is_int(cf->ignore_auth_clients, false, "sample IgnoreAuth");
            is_int(cf->required_headers, false, "sample RequiredHeaders");
            is_int(cf->multi_from, CF_MULTI_FROM_STRICTEST, "sample multi");
            is_int(cf->spf_self_validate, true, "sample SPFSelfValidate on");
            is_int(cf->spf_ignore_results, false, "sample SPFIgnoreResults");
            is_int(cf->dns_timeout, 5, "sample DNSTimeout default");
            is_int(cf->reject_failures, true, "sample RejectFailures on");
            is_int(cf->hold_quarantined, true, "sample HoldQuarantined");
            is_int(cf->temperror_action, CF_TEMPERROR_ACCEPT, "sample TEA");
            is_int(cf->software_header, false, "sample SoftwareHeader");
        }
        cf_free(cf);
    }
    free(out);
    free(text);
}

static void
test_manpage(void)
{
    size_t len = 0;
    char *text = fx_read(src_file("man/dmarc-milter.conf.5"), &len);
    bool impl;

    ok(text != NULL, "man page readable");
    if (text == NULL)
        return;
    for (size_t i = 0; cf_key_name(i, &impl) != NULL; i++) {
        char needle[64];
        snprintf(needle, sizeof(needle), "\\fB%s\\fR", cf_key_name(i, NULL));
        ok(strstr(text, needle) != NULL, "man page names %s%s",
           cf_key_name(i, NULL), impl ? "" : " (not implemented)");
    }
    ok(strstr(text, ".SH \"DIFFERENCES FROM OPENDMARC\"") != NULL,
       "man page has DIFFERENCES FROM OPENDMARC");
    free(text);
}

/* ------------------------------------------------------------------ */
/* sections: the Metrics* and AgentX keys, and the mechanism itself */

static void
test_subsystem_keys(void)
{
    const struct mx_settings *mx;
    const struct ax_settings *ax;
    struct dm_config *cf = cf_defaults();

    mx = mx_settings(cf);
    ax = ax_settings(cf);
    ok(mx != NULL && ax != NULL, "defaults carry both sections");
    if (mx == NULL || ax == NULL) {
        cf_free(cf);
        return;
    }
    ok(mx->listen == NULL && mx->domains == NULL && mx->state_file == NULL &&
       mx->tls_cert == NULL && mx->tls_key == NULL &&
       mx->basic_auth_file == NULL, "Metrics* files unset by default");
    is_int(mx->max_domains, 10000, "MetricsMaxDomains default");
    is_int(mx->state_interval, 60, "MetricsStateInterval default");
    is_int(ax->enabled, false, "AgentX default");
    is_str(ax->socket, "/var/agentx/master", "AgentXSocket default");
    is_int(ax->ping_interval, 15, "AgentXPingInterval default");
    cf_free(cf);
    ok(mx_settings(NULL) == NULL, "no configuration, no settings");

    cf = clean("MetricsListen 127.0.0.1:9489\nmetricsmaxdomains 500\n"
               "MetricsDomains /d\nMetricsStateFile /s\n"
               "MetricsStateInterval 86400\nMetricsTLSCert /c\n"
               "MetricsTLSKey /k\nMetricsBasicAuthFile /u\nAgentX yes\n"
               "AgentXSocket tcp:localhost:705\nAgentXPingInterval 3600\n");
    mx = mx_settings(cf);
    ax = ax_settings(cf);
    is_str(mx->listen, "127.0.0.1:9489", "MetricsListen");
    is_int(mx->max_domains, 500, "MetricsMaxDomains, key in any case");
    is_str(mx->domains, "/d", "MetricsDomains");
    is_str(mx->state_file, "/s", "MetricsStateFile");
    is_int(mx->state_interval, 86400, "MetricsStateInterval");
    is_str(mx->tls_cert, "/c", "MetricsTLSCert");
    is_str(mx->tls_key, "/k", "MetricsTLSKey");
    is_str(mx->basic_auth_file, "/u", "MetricsBasicAuthFile");
    is_int(ax->enabled, true, "AgentX");
    is_str(ax->socket, "tcp:localhost:705", "AgentXSocket");
    is_int(ax->ping_interval, 3600, "AgentXPingInterval");
    cf_free(cf);

    /* the generic setters report as they do for the milter's keys */
    bad1("MetricsMaxDomains 0\n", "bad value '0' for MetricsMaxDomains: "
         "expected an integer from 1 to 100000");
    bad1("MetricsStateInterval 86401\n", "bad value '86401' for "
         "MetricsStateInterval: expected an integer from 1 to 86400");
    bad1("AgentXPingInterval 1s\n", "bad value '1s' for AgentXPingInterval: "
         "expected an integer from 1 to 3600");
    bad1("AgentX maybe\n", "bad value 'maybe' for AgentX: expected true or "
         "false (yes/no, on/off, 1/0)");
    bad1("MetricsListen \"\"\n", "bad value '' for MetricsListen: expected "
         "a non-empty value");
    cf = load(SOCK "MetricsListen 127.0.0.1:1\nMetricsListen 127.0.0.1:2\n");
    ok(cf != NULL && D.n == 1 && !D.err[0], "a section's key twice warns");
    is_str(D.msg[0], at(3, "MetricsListen was already set on line 2; the "
                        "value on line 3 is used"), "and says which wins");
    is_str(cf != NULL ? mx_settings(cf)->listen : NULL, "127.0.0.1:2",
           "the later value wins");
    cf_free(cf);
}

/* A section of this test's own, to try what main() does not. */
struct ts_settings {
    char *color;
    char *file;
    int size;
};

static int ts_frees, ts_reloads;
static const void *ts_running, *ts_loaded;

static bool
ts_set_color(struct cf_ctx *c, void *base, const struct cf_key *k,
             const char *val, bool replace)
{
    char **field = (char **)(void *)((char *)base + k->off);

    (void)replace;
    if (strcmp(val, "red") != 0 && strcmp(val, "blue") != 0) {
        cf_bad(c, k, val, "red or blue");
        return false;
    }
    free(*field);
    *field = strdup(val);
    return *field != NULL;
}

static void
ts_free(void *settings)
{
    struct ts_settings *s = settings;

    free(s->color);
    free(s->file);
    ts_frees++;
}

static void
ts_reload(const void *running, const void *loaded)
{
    ts_reloads++;
    ts_running = running;
    ts_loaded = loaded;
}

static const struct cf_key ts_keys[] = {
    CF_KEY("TestColor", CF_SCALAR, true, ts_set_color, struct ts_settings,
           color, 0, 0, NULL),
    CF_KEY_FILE("TestFile", struct ts_settings, file),
    CF_KEY_INT("TestSize", struct ts_settings, size, -5, 5, "-2"),
};
static const struct cf_section ts_section = {
    "test", sizeof(struct ts_settings), ts_keys, CF_NKEYS(ts_keys),
    ts_free, ts_reload,
};

static void
test_register(void)
{
    static const struct cf_key twice[] = {
        CF_KEY_INT("TestA", struct ts_settings, size, 0, 1, NULL),
        CF_KEY_INT("testa", struct ts_settings, size, 0, 1, NULL),
    };
    static const struct cf_key core[] = {
        CF_KEY_STR("SOCKET", struct ts_settings, color, NULL),
    };
    static const struct cf_key metrics[] = {
        CF_KEY_STR("metricslisten", struct ts_settings, color, NULL),
    };
    static const struct cf_key one[] = {
        CF_KEY_INT("TestFill", struct ts_settings, size, 0, 1, NULL),
    };
    const struct cf_section bad[] = {
        { "twice", sizeof(struct ts_settings), twice, 2, NULL, NULL },
        { "core", sizeof(struct ts_settings), core, 1, NULL, NULL },
        { "metrics", sizeof(struct ts_settings), metrics, 1, NULL, NULL },
    };
    static struct cf_section fill[CF_SECTIONS_MAX];
    struct dm_config *before, *cf, *again;
    const struct ts_settings *ts;
    size_t nkeys = 0, registered = 0;
    bool impl;
    int rc = 0;

    is_int(cf_register(&mx_section), 0, "registering again does nothing");
    is_int(cf_register(&bad[0]), -1, "a key twice in a section: refused");
    is_int(cf_register(&bad[1]), -1, "a key of the milter's: refused");
    is_int(cf_register(&bad[2]), -1, "a key of another section: refused");

    before = load(SOCK "TestColor red\n");
    ok(before == NULL, "before registration TestColor is unknown");
    cf_free(before);
    before = cf_defaults();
    while (cf_key_name(nkeys, NULL) != NULL)
        nkeys++;
    is_int(cf_register(&ts_section), 0, "a new section registers");
    is_str(cf_key_name(nkeys, &impl), "TestColor", "its keys are listed");
    ok(impl, "as implemented");
    is_str(cf_key_name(nkeys + 2, NULL), "TestSize", "in their order");
    ok(cf_key_name(nkeys + 3, NULL) == NULL, "and last");
    ok(cf_settings(before, &ts_section) == NULL,
       "a configuration loaded earlier has no settings for it");
    ok(mx_settings(before) != NULL, "but keeps the earlier sections'");

    cf = load(SOCK);
    ok(cf == NULL, "its required key is required");
    is_str(D.msg[0], at(0, "TestColor is not set"), "required message");
    cf_free(cf);
    bad1("TestColor green\n", "bad value 'green' for TestColor: expected "
         "red or blue");
    bad_at(SOCK "TestColor red\nTestSize 6\n", 3, "bad value '6' for "
           "TestSize: expected an integer from -5 to 5");
    cf = load(SOCK "TestColor red\nTestFile /nonexistent/x\n");
    ok(cf == NULL, "CF_KEY_FILE: a missing file is refused");
    is_str(D.msg[0], at(3, "cannot read TestFile file '/nonexistent/x': No "
                        "such file or directory"), "CF_KEY_FILE message");
    cf_free(cf);
    cf = clean("TestColor blue\n");
    ts = cf_settings(cf, &ts_section);
    ok(ts != NULL, "the section's settings");
    is_str(ts->color, "blue", "set by its own setter");
    is_int(ts->size, -2, "a negative default");
    again = clean("TestColor red\nTestSize 5\n");

    ts_frees = ts_reloads = 0;
    cf_reload_warn(cf, again);
    is_int(ts_reloads, 1, "a reload asks the section");
    ok(ts_running == ts && ts_loaded == cf_settings(again, &ts_section),
       "with the running and the new settings");
    cf_reload_warn(before, again);
    is_int(ts_reloads, 1, "not for a configuration without the section");
    cf_free(cf);
    cf_free(again);
    cf_free(before);
    is_int(ts_frees, 2, "each configuration frees its section's settings");

    /* the table of sections is bounded */
    for (size_t i = 0; i < CF_SECTIONS_MAX && rc == 0; i++) {
        fill[i] = (struct cf_section){ "fill", sizeof(struct ts_settings),
                                       one, 0, NULL, NULL };
        rc = cf_register(&fill[i]);
        registered += rc == 0;
    }
    is_int(rc, -1, "past CF_SECTIONS_MAX: refused");
    /* metrics, agentx and ours were there already (main() may add more) */
    ok(registered <= CF_SECTIONS_MAX - 3, "%zu more were taken first",
       registered);
}

/*
 * The OpenDMARC keys of issue 19 section 4: RequiredFrom,
 * AuthservIDWithJobID, RejectString, CopyFailuresTo, DomainWhitelist(File),
 * ChangeRootDirectory, EnableCoredumps.
 */
static void
test_opendmarc_keys(void)
{
    char body[1024], want[1024], longv[260];
    struct dm_config *cf;

    cf = clean("RequiredFrom true\nAuthservIDWithJobID yes\n"
               "EnableCoredumps on\n");
    ok(cf && cf->required_from && cf->authserv_jobid && cf->enable_coredumps,
       "RequiredFrom, AuthservIDWithJobID, EnableCoredumps");
    cf_free(cf);

    /* RejectString: one %s at most, no other '%', a printable line */
    cf = clean("RejectString \"spoofed mail from %s refused; see "
               "https://example.com/dmarc\"\n");
    is_str(cf ? cf->reject_string : NULL, "spoofed mail from %s refused; "
           "see https://example.com/dmarc", "RejectString kept as written");
    cf_free(cf);
    cf = clean("RejectString go away\n");
    is_str(cf ? cf->reject_string : NULL, "go away", "no %%s is fine");
    cf_free(cf);
    bad1("RejectString %s and %s\n", "bad value '%s and %s' for "
         "RejectString: more than one %s");
    bad1("RejectString 100% sure: %s\n", "bad value '100% sure: %s' for "
         "RejectString: a '%' other than %s");
    bad1("RejectString %d\n", "bad value '%d' for RejectString: a '%' "
         "other than %s");
    bad1("RejectString \"no\r250 OK %s\"\n", "bad value 'no?250 OK %s' for "
         "RejectString: a reply line holds printable ASCII only (no line "
         "break, control or 8-bit byte)");
    bad1("RejectString caf\xc3\xa9\n", "bad value 'caf\xc3\xa9' for "
         "RejectString: a reply line holds printable ASCII only (no line "
         "break, control or 8-bit byte)");
    bad1("RejectString \"\"\n", "bad value '' for RejectString: it is "
         "empty");
    memset(longv, 'x', 201);
    longv[201] = '\0';
    snprintf(body, sizeof(body), "RejectString %s\n", longv);
    snprintf(want, sizeof(want), "bad value '%.80s...' for RejectString: "
             "it is longer than 200 bytes", longv);
    bad1(body, want);

    /* CopyFailuresTo: an address the MTA takes as a recipient */
    cf = clean("CopyFailuresTo dmarc-failures@Example.COM\n");
    is_str(cf ? cf->copy_failures_to : NULL, "dmarc-failures@Example.COM",
           "CopyFailuresTo");
    cf_free(cf);
    cf = clean("CopyFailuresTo <postmaster@example.com>\n");
    is_str(cf ? cf->copy_failures_to : NULL, "postmaster@example.com",
           "CopyFailuresTo in brackets: stored without them");
    cf_free(cf);
    static const char *const bad_addrs[] = {
        "postmaster", "@example.com", "a b@example.com", "x@bad..example",
        "<x@example.com", "x,y@example.com", "x@[192.0.2.1]",
    };
    for (size_t i = 0; i < sizeof(bad_addrs) / sizeof(*bad_addrs); i++) {
        snprintf(body, sizeof(body), "CopyFailuresTo \"%s\"\n", bad_addrs[i]);
        snprintf(want, sizeof(want), "bad value '%s' for CopyFailuresTo: "
                 "expected an address, user@example.com", bad_addrs[i]);
        bad1(body, want);
    }

    /* ChangeRootDirectory: an absolute path; that it is a directory is
       seen at start (a reload inside it could not see it) */
    snprintf(body, sizeof(body), "ChangeRootDirectory %s\n", tmpdir);
    cf = clean(body);
    is_str(cf ? cf->chroot_dir : NULL, tmpdir, "ChangeRootDirectory");
    cf_free(cf);
    cf = clean("ChangeRootDirectory /no/such/directory\n");
    is_str(cf ? cf->chroot_dir : NULL, "/no/such/directory",
           "ChangeRootDirectory is not looked at when loaded");
    cf_free(cf);
    bad1("ChangeRootDirectory var/empty\n", "bad value 'var/empty' for "
         "ChangeRootDirectory: expected an absolute path");

    /* DomainWhitelist and DomainWhitelistFile: one list, two sources */
    write_file(tpath("sealers"), "# ARC sealers we vouch for\n"
               "lists.example.org  relay.example.net # two on a line\n"
               "\n  Google.COM.\n", (size_t)-1);
    snprintf(body, sizeof(body), "DomainWhitelist Forwarder.Example., "
             "b.example\nDomainWhitelist c.example\n"
             "DomainWhitelistFile %s\n", tpath("sealers"));
    cf = clean(body);
    ok(cf != NULL, "DomainWhitelist and DomainWhitelistFile load");
    if (cf != NULL) {
        is_int(cf->arc_sealers.n, 3, "DomainWhitelist: two lines add up");
        is_str(cf->arc_sealers.v[0], "forwarder.example", "normalised");
        is_int(cf->arc_sealers_file.n, 3, "the file's three domains");
        is_str(cf->arc_sealers_file.v[2], "google.com", "file normalised");
        ok(cf_arc_sealer(cf, "c.example") &&
           cf_arc_sealer(cf, "relay.example.net") &&
           cf_arc_sealer(cf, "google.com"), "both sources are listed");
        ok(!cf_arc_sealer(cf, "example.org") &&
           !cf_arc_sealer(cf, "sub.google.com"),
           "exact names only: no parent, no subdomain");
    }
    cf_free(cf);
    bad1("DomainWhitelist good.example, bad..example\n",
         "bad domain 'bad..example' in DomainWhitelist: invalid label in "
         "domain name");
    snprintf(body, sizeof(body), "DomainWhitelistFile %s\n",
             tpath("nosealers"));
    snprintf(want, sizeof(want), "cannot read DomainWhitelistFile file "
             "'%s': No such file or directory", tpath("nosealers"));
    bad1(body, want);
    write_file(tpath("badsealers"), "ok.example\nbad..example\n"
               "[192.0.2.1]\n", (size_t)-1);
    snprintf(body, sizeof(body), SOCK "DomainWhitelistFile %s\n",
             tpath("badsealers"));
    cf = load(body);
    ok(cf == NULL && D.nerr == 2, "a bad domain in the file: refused, each "
       "one reported");
    snprintf(want, sizeof(want), "%s:2: bad domain 'bad..example' in "
             "DomainWhitelistFile: ", tpath("badsealers"));
    ok(D.n == 2 && strncmp(D.msg[0], want, strlen(want)) == 0,
       "named by the file's own line: %s", D.n > 0 ? D.msg[0] : "");
    cf_free(cf);
}

static void
test_key_names(void)
{
    bool impl = false;

    is_str(cf_key_name(0, &impl), "Socket", "first key");
    ok(impl, "Socket implemented");
    ok(cf_key_name(100000, &impl) == NULL, "past the end");
}

int
main(void)
{
    if (mkdtemp(tmpdir) == NULL) {
        printf("Bail out! mkdtemp: %s\n", strerror(errno));
        return 1;
    }
    /* as main() does: the subsystems' keys are part of every file */
    if (cf_register(&mx_section) != 0 || cf_register(&ax_section) != 0) {
        printf("Bail out! cannot register the sections\n");
        return 1;
    }
    test_defaults();
    test_all_keys();
    test_syntax();
    test_lines();
    test_file_errors();
    test_key_errors();
    test_value_errors();
    test_good_values();
    test_bool_compat();
    test_unimplemented();
    test_opendmarc_keys();
    test_duplicates();
    test_hostname();
    test_mailfrom();
    test_ignore_hosts();
    test_error_cap();
    test_debian();
    test_sample();
    test_manpage();
    test_key_names();
    test_subsystem_keys();
    test_register();      /* last: its sections stay registered */

    /* leave no temp files behind */
    static const char *const names[] = {
        "psl.dat", "hosts", "badhosts", "longhosts", "sealers",
        "badsealers",
    };
    for (size_t i = 0; i < sizeof(names) / sizeof(*names); i++)
        unlink(tpath(names[i]));
    for (int i = 1; i < 1000; i++) {
        char n[32];
        snprintf(n, sizeof(n), "c%d.conf", i);
        unlink(tpath(n));
    }
    rmdir(tmpdir);
    return done_testing();
}
