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
# subagent's tests; npm fetches the SMIv2 base MIBs for them.
apt-get install -y --no-install-recommends \
    build-essential autoconf automake libtool pkg-config ca-certificates \
    libmilter-dev libspf2-dev libopendkim-dev libmicrohttpd-dev \
    libpsl-dev libidn2-dev libsnmp-dev publicsuffix \
    postfix nsd swaks python3 opendkim opendkim-tools \
    iproute2 util-linux procps psmisc \
    clang libclang-rt-14-dev \
    prometheus python3-prometheus-client curl openssl \
    snmpd snmp smitools
# Machines that already carry Node.js (its own npm) conflict with Debian's
# npm package: install it only where there is none.
if ! command -v npm >/dev/null 2>&1; then
    apt-get install -y --no-install-recommends npm
fi
