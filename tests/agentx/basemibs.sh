# basemibs.sh: the SMIv2 base modules for the MIB tests (sourced).
# shellcheck shell=bash
#
# Debian's main archive lacks SNMPv2-SMI, SNMPv2-TC and SNMPv2-CONF; the
# npm package net-snmp ships them in lib/mibs/. They are fetched into a
# temporary directory for each run and never kept in the tree.

# ax_fetch_basemibs DIR: unpack net-snmp's lib/mibs into DIR/package;
# print the MIB directory, or nothing (status 1) when npm cannot fetch it.
ax_fetch_basemibs() {
	local dir=$1 tgz
	command -v npm >/dev/null 2>&1 || return 1
	tgz=$(cd "$dir" && npm pack net-snmp --silent 2>/dev/null | tail -n 1) ||
		return 1
	[ -n "$tgz" ] && [ -f "$dir/$tgz" ] || return 1
	tar -xzf "$dir/$tgz" -C "$dir" package/lib/mibs 2>/dev/null || return 1
	[ -f "$dir/package/lib/mibs/SNMPv2-SMI.mib" ] || return 1
	printf '%s\n' "$dir/package/lib/mibs"
}

# Debian's libsnmp-base: NET-SNMP-MIB, which defines netSnmpPlaypen.
# shellcheck disable=SC2034  # used by the scripts that source this file
AX_NETSNMP_MIBS=/usr/share/snmp/mibs
