#!/bin/bash
# t-import.sh: a HistoryFile written by our writer (report/history.c,
# through tests/bench/gen_history) goes into OpenDMARC's MySQL schema with
# Debian's real opendmarc-import, in a private MariaDB, and the rows say
# what the file says: every message, its disposition, From, MAIL FROM
# (empty for the null sender), address, every DKIM signature, the rua of
# each domain's request. The importer warns only about our documented
# extension keys, and about nothing else.
set -eu

. "$(dirname "$0")/../lab/lab.sh"
[ -z "${DM_SKIP_LAB:-}" ] || tap_skip_all "DM_SKIP_LAB is set"
for tool in mariadbd mariadb-install-db mysql opendmarc-import perl; do
	command -v "$tool" >/dev/null 2>&1 ||
		tap_skip_all "$tool not installed (scripts/install-deps.sh)"
done
perl -MSwitch -MDBD::mysql -MJSON -e 1 2>/dev/null ||
	tap_skip_all "opendmarc-import's Perl modules are missing (scripts/install-deps.sh)"
SCHEMA=/usr/share/dbconfig-common/data/opendmarc/install/mysql
[ -f "$SCHEMA" ] || tap_skip_all "no OpenDMARC schema at $SCHEMA"
GEN=$top_builddir/tests/bench/gen_history
[ -x "$GEN" ] || tap_skip_all "no $GEN (make check builds it)"
lab_enter "$@"
lab_init

# --- a private MariaDB (as tests/cacti/t-cacti.sh) -------------------------
mkdir -p /run/mysqld
mount -t tmpfs -o mode=0755 tmpfs /run/mysqld
chown mysql:mysql /run/mysqld
mkdir -p "$LAB/db"
chown mysql:mysql "$LAB/db"
mariadb-install-db --no-defaults --user=mysql --datadir="$LAB/db" \
	--auth-root-authentication-method=socket --skip-test-db \
	>"$LAB/log/mariadb-install.log" 2>&1 ||
	lab_die "mariadb-install-db failed (see $LAB/log/mariadb-install.log)"
mariadbd --no-defaults --user=mysql --datadir="$LAB/db" --skip-networking \
	--socket=/run/mysqld/mysqld.sock --pid-file=/run/mysqld/mariadbd.pid \
	--log-error=/run/mysqld/mariadbd.err \
	--innodb-flush-log-at-trx-commit=0 --innodb-doublewrite=0 \
	>"$LAB/log/mariadbd.log" 2>&1 &
_lab_pids="$_lab_pids $!"
_lab_wait mariadbd 60 mysql -e 'SELECT 1' ||
	lab_die "mariadbd does not answer: $(cat /run/mysqld/mariadbd.err 2>/dev/null)"
mysql <"$SCHEMA" || lab_die "cannot load $SCHEMA"
mysql -e "CREATE USER 'opendmarc'@'localhost' IDENTIFIED BY 'opendmarc';
	GRANT ALL ON opendmarc.* TO 'opendmarc'@'localhost';"
q() { mysql -N -B opendmarc -e "$1"; }

# --- our file, imported ----------------------------------------------------
H=$LAB/history
"$GEN" 120 1732233600 86400 3 12 >"$H"
opendmarc-import --input="$H" >"$LAB/out/import.out" 2>"$LAB/out/import.err"
st=$?
is "$st" 0 "opendmarc-import exits 0"

n=$(grep -c '^job ' "$H")
is "$(q 'SELECT COUNT(*) FROM messages')" "$n" "one messages row per record ($n)"
want=$(awk '$1 == "action" { c[$2]++ } END { for (a in c) print a, c[a] }' "$H" | sort)
is "$(q 'SELECT disp, COUNT(*) FROM messages GROUP BY disp ORDER BY disp' | tr '\t' ' ')" \
	"$want" "dispositions (action) as written"
want=$(awk '$1 == "policy" { c[$2]++ } END { for (a in c) print a, c[a] }' "$H" | sort)
is "$(q 'SELECT policy, COUNT(*) FROM messages GROUP BY policy ORDER BY policy' | tr '\t' ' ')" \
	"$want" "policies as written"
is "$(q 'SELECT COUNT(*) FROM signatures')" "$(grep -c '^dkim ' "$H")" \
	"one signatures row per dkim line"
is "$(q "SELECT COUNT(*) FROM signatures WHERE selector = 0")" \
	"$(grep -c '^dkim [^ ]* - ' "$H")" "an unknown selector ('-') is selector 0"
is "$(q "SELECT COUNT(*) FROM messages m JOIN domains d ON d.id = m.env_domain WHERE d.name = ''")" \
	"$(grep -c '^mfrom $' "$H")" "the null sender: an empty MAIL FROM domain"
is "$(q 'SELECT COUNT(*) FROM ipaddr')" \
	"$(awk '$1 == "ipaddr" { print $2 }' "$H" | sort -u | wc -l)" \
	"every client address, IPv6 ones too"
is "$(q "SELECT COUNT(*) FROM ipaddr WHERE addr LIKE '2001:db8::%'")" \
	"$(awk '$1 == "ipaddr" && $2 ~ /:/ { print $2 }' "$H" | sort -u | wc -l)" \
	"IPv6 addresses as written"
is "$(q "SELECT d.name, COUNT(*) FROM messages m JOIN domains d ON d.id = m.from_domain GROUP BY d.name ORDER BY d.name" | tr '\t' ' ')" \
	"$(awk '$1 == "from" { c[$2]++ } END { for (a in c) print a, c[a] }' "$H" | sort)" \
	"From domains as written"
is "$(q "SELECT d.name, r.repuri, r.adkim, r.aspf, r.policy, r.pct FROM requests r JOIN domains d ON d.id = r.domain ORDER BY d.name" | tr '\t' ' ')" \
	"d0.test mailto:dmarc@d0.test 114 114 114 100
d1.test mailto:dmarc@d1.test 114 114 114 100
d2.test mailto:dmarc@d2.test 114 114 114 100" \
	"each domain's request: rua, adkim, aspf, p, pct"
is "$(q 'SELECT MIN(UNIX_TIMESTAMP(date)), MAX(UNIX_TIMESTAMP(date)) FROM messages' | tr '\t' ' ')" \
	"$(awk '$1 == "received" { if (!m || $2 < m) m = $2; if ($2 > x) x = $2 } END { print m, x }' "$H")" \
	"received times as written"

# what the importer said: "unknown key" for our extension keys, nothing else
keys=$(sed -n "s/.*unknown key '\([^']*\)'.*/\1/p" "$LAB/out/import.err" | sort -u | tr '\n' ' ')
is "$keys" "discovery_method fo np reason spf_domain spf_scope t " \
	"the importer skips exactly the documented extension keys"
is "$(grep -v "unknown key" "$LAB/out/import.err" || true)" "" \
	"and says nothing else"

# a second import of the same file adds nothing: OpenDMARC's schema keys
# a message by (date, job id, reporter), which our writer fills
opendmarc-import --input="$H" 2>/dev/null || true
is "$(q 'SELECT COUNT(*) FROM messages')" "$n" \
	"a second import of the same file adds no message"
tap_done
