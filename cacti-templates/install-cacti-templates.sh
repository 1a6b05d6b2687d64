#!/bin/sh
# install-cacti-templates.sh: installs dmarc-milter's Cacti templates into
# a Cacti 1.2 (Debian's cacti package by default). The two steps, which
# can also be done by hand or from the web interface:
#
#   1. copy the data query dmarc_milter_domains.xml into Cacti's
#      resource/snmp_queries/ (a template import does not carry it);
#   2. import cacti_host_template_dmarc_milter.xml (data templates, graph
#      templates, the data query and the device template "DMARC milter").
#
# The objects have fixed hashes: running this again updates them in
# place. import_template.php exits 0 whatever happened, so its report is
# checked here: every object must say [success].
#
# Usage: install-cacti-templates.sh [--cacti DIR] [--profile-id N]
#   --cacti DIR       Cacti's top directory, the one holding cli/ and
#                     resource/ (default /usr/share/cacti, Debian's)
#   --profile-id N    the Data Source Profile for the data templates
#                     (default: Cacti's default, "5 Minute Collection":
#                     step 300 s, heartbeat 600 s)
# Run it as root, or as a user that may write to resource/snmp_queries/.
set -eu

here=$(cd "$(dirname "$0")" && pwd)
cacti=/usr/share/cacti
profile=

usage() {
	sed -n 's/^# \{0,1\}//; /^Usage:/,/^Run it/p' "$0" >&2
	exit 2
}

while [ $# -gt 0 ]; do
	case $1 in
	--cacti) [ $# -ge 2 ] || usage; cacti=$2; shift 2 ;;
	--cacti=*) cacti=${1#*=}; shift ;;
	--profile-id) [ $# -ge 2 ] || usage; profile=$2; shift 2 ;;
	--profile-id=*) profile=${1#*=}; shift ;;
	-h | --help) usage ;;
	*) echo "install-cacti-templates.sh: unknown argument $1" >&2; usage ;;
	esac
done

query=$here/dmarc_milter_domains.xml
templates=$here/cacti_host_template_dmarc_milter.xml
# The number of objects in the export, each of which must import.
objects=13

for f in "$query" "$templates" "$cacti/cli/import_template.php"; do
	if [ ! -f "$f" ]; then
		echo "install-cacti-templates.sh: $f is missing" >&2
		exit 1
	fi
done
if [ ! -d "$cacti/resource/snmp_queries" ]; then
	echo "install-cacti-templates.sh: $cacti/resource/snmp_queries is not a directory" >&2
	exit 1
fi
php=$(command -v php || true)
if [ -z "$php" ]; then
	echo "install-cacti-templates.sh: php (the CLI) is not installed" >&2
	exit 1
fi

# Step 1: the data query file, where the template's xml_path points.
cp "$query" "$cacti/resource/snmp_queries/dmarc_milter_domains.xml.tmp"
chmod 644 "$cacti/resource/snmp_queries/dmarc_milter_domains.xml.tmp"
mv "$cacti/resource/snmp_queries/dmarc_milter_domains.xml.tmp" \
	"$cacti/resource/snmp_queries/dmarc_milter_domains.xml"
echo "installed $cacti/resource/snmp_queries/dmarc_milter_domains.xml"

# Step 2: the templates.
out=$(mktemp)
trap 'rm -f "$out"' EXIT
set -- --filename="$templates"
[ -z "$profile" ] || set -- "$@" --profile-id="$profile"
status=0
"$php" -q "$cacti/cli/import_template.php" "$@" >"$out" 2>&1 || status=$?
# PHP 8.2 prints deprecation notices about Cacti's code: not ours.
grep -v 'Deprecated:' "$out" || true
ok=$(grep -c '^\[success\]' "$out" || true)
if [ "$status" -ne 0 ] || [ "$ok" -ne "$objects" ] ||
	grep -q '^\[fail\]' "$out"; then
	echo "install-cacti-templates.sh: the import failed ($ok of $objects objects imported, exit $status)" >&2
	exit 1
fi
echo "imported $ok objects; add a device with the template \"DMARC milter\", SNMP version 2 (Counter64 needs v2c or v3)"
