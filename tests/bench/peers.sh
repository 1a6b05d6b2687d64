# peers.sh: the filters bench.sh measures, each started on its own socket
# in the lab (sourced by bench.sh after lab.sh; not run). For filter NAME:
# bp_pid[NAME] the root of its process tree, bp_sock[NAME] its socket,
# bp_corpus[NAME] and bp_client[NAME] what miltc sends it and from where.
# shellcheck shell=bash

: "${OPENDMARC:=/usr/sbin/opendmarc}"
: "${RSPAMD:=/usr/bin/rspamd}"
: "${OPENDKIM:=/usr/sbin/opendkim}"
declare -A bp_pid bp_sock bp_corpus bp_client

# bp_run NAME CORPUS CLIENT COMMAND...: start a filter in the background;
# its socket is $LAB/run/NAME.sock, its output $LAB/log/NAME.log
bp_run() {
	local name=$1
	bp_sock[$name]=$LAB/run/$name.sock
	bp_corpus[$name]=$2
	bp_client[$name]=$3
	shift 3
	rm -f "${bp_sock[$name]}"
	"$@" >>"$LAB/log/$name.log" 2>&1 &
	bp_pid[$name]=$!
	_lab_pids="$_lab_pids $!"
}

# bp_wait NAME SECONDS: until the filter's socket exists
bp_wait() {
	local name=$1 tenths=$(($2 * 10))
	while [ ! -S "${bp_sock[$name]}" ]; do
		_lab_alive "${bp_pid[$name]}" ||
			lab_die "$name exited at start: $(tail -n 5 "$LAB/log/$name.log")"
		tenths=$((tenths - 1))
		[ "$tenths" -gt 0 ] || lab_die "no socket for $name after $2 s"
		sleep 0.1
	done
}

# bp_milter_start NAME BINARY CORPUS CLIENT 'Key value'...: dmarc-milter
# or OpenDMARC (they share these keys) with the lab's base configuration
bp_milter_start() {
	local name=$1 bin=$2 conf=$LAB/run/$1.conf
	shift 2
	{
		echo "Socket unix:$LAB/run/$name.sock"
		echo "AuthservID $LAB_AUTHSERV"
		echo "Background false"
		echo "PidFile $LAB/run/$name.pid"
		echo "UMask 0000"
		echo "Syslog false"
		echo "PublicSuffixList $LAB_PSL"
		printf '%s\n' "${@:3}"
		# our default; OpenDMARC 1.4.2's is false
		[ "${bin##*/}" != opendmarc ] || echo "HoldQuarantinedMessages true"
	} >"$conf"
	bp_run "$name" "$1" "$2" "$bin" -f -c "$conf"
	bp_wait "$name" 20
}

# bp_null_start NAME MODE CORPUS CLIENT: null_filter --plain, --floor or
# --floor-body
bp_null_start() {
	# shellcheck disable=SC2154 # top_builddir: set by lab.sh
	bp_run "$1" "$3" "$4" "$top_builddir/tests/bench/null_filter" "$2" \
		"unix:$LAB/run/$1.sock"
	bp_wait "$1" 10
}

# bp_opendkim_start NAME CORPUS CLIENT: opendkim verifying. Its libunbound
# will not ask a server on 127.0.0.0/8 (do-not-query-localhost), so a
# second nsd serves the same zone on 192.0.2.53 in the lab's namespace; it
# also answers for test. itself (RFC 6761), hence the signed corpus's
# .example names. A ResolverConfiguration file could lift both, but
# opendkim parses it again for each message, and that parser is not
# thread-safe: it dies under concurrent load.
bp_opendkim_start() {
	local conf=$LAB/run/$1.conf
	if [ -z "${bp_nsd2:-}" ]; then
		mkdir -p "$LAB/nsd2"
		ip addr add 192.0.2.53/32 dev lo
		sed -e 's/ip-address: 127.0.0.1/ip-address: 192.0.2.53/' \
			-e "s#$LAB/nsd/\(zone.list\|xfrd.state\|nsd.pid\)#$LAB/nsd2/\1#" \
			-e "s#xfrdir: \"$LAB/nsd\"#xfrdir: \"$LAB/nsd2\"#" \
			-e "s#$LAB/log/nsd.log#$LAB/log/nsd2.log#" \
			"$LAB/nsd/nsd.conf" >"$LAB/nsd2/nsd.conf"
		nsd -d -c "$LAB/nsd2/nsd.conf" >>"$LAB/log/nsd2.log" 2>&1 &
		bp_nsd2=$!
		_lab_pids="$_lab_pids $bp_nsd2"
		_lab_wait nsd2 10 grep -q 'nsd started' "$LAB/log/nsd2.log" ||
			lab_die "the second nsd did not start (see $LAB/log/nsd2.log)"
	fi
	printf '%s\n' "Mode v" "AuthservID $LAB_AUTHSERV" \
		"Socket local:$LAB/run/$1.sock" "Background no" "Syslog no" \
		"UserID root" "Nameservers 192.0.2.53" >"$conf"
	bp_run "$1" "$2" "$3" "$OPENDKIM" -f -x "$conf"
	bp_wait "$1" 20
}

# bp_chain_corpus NAME IN OUT: OUT holds IN's messages as OpenDMARC sees
# them behind the verifier NAME: with the Authentication-Results field it
# added (under the leading Return-Path, which stands for the envelope)
bp_chain_corpus() {
	local f ar
	mkdir -p "$3"
	for f in "$2"/*.eml; do
		# shellcheck disable=SC2154 # miltc: set by bench.sh or profile.sh
		ar=$("$miltc" -s "unix:${bp_sock[$1]}" -c "${bp_client[$1]}" "$f" |
			sed -n 's/^\(INSHEADER [0-9]*\|ADDHEADER\) Authentication-Results: //p')
		{
			head -n 1 "$f"
			[ -z "$ar" ] || printf 'Authentication-Results: %s\r\n' "${ar//\\n/$'\r\n'}"
			tail -n +2 "$f"
		} >"$3/${f##*/}"
	done
	grep -l '^Authentication-Results: .*' "$3"/*.eml >/dev/null ||
		lab_die "$1 added no Authentication-Results (see $LAB/log/$1.log)"
	grep -q 'dkim=pass' "$3"/*.eml ||
		lab_die "$1 verified no signature (see $LAB/log/$1.log)"
}

# bp_rspamd_start: rspamd in milter mode with only its SPF, DKIM and DMARC
# modules (the stock rspamd.conf is not included, so no other rule loads),
# writing an Authentication-Results field as the other filters do. Its
# first start takes a while: bp_rspamd_use waits for it.
bp_rspamd_start() {
	local r=$LAB/rspamd
	mkdir -p "$r/local" "$r/db" "$r/run"
	cat >"$r/rspamd.conf" <<EOF
options {
	filters = "dkim";
	explicit_modules = [];
	disable_hyperscan = true;
	disable_monitoring = true;
	dns { nameserver = ["127.0.0.1:53"]; }
	url_tld = "\${SHAREDIR}/effective_tld_names.dat";
	pidfile = "$r/run/rspamd.pid";
}
logging { type = "console"; level = "error"; }
modules { path = "\${PLUGINSDIR}"; }
spf {}
dkim {}
dmarc { actions { reject = "reject"; quarantine = "add_header"; } }
milter_headers { use = ["authentication-results"]; }
actions { reject = 15; add_header = 6; }
group "policies" { .include "/etc/rspamd/scores.d/policies_group.conf" }
worker "rspamd_proxy" {
	bind_socket = "$LAB/run/rspamd.sock mode=0666";
	milter = yes;
	count = 1;
	upstream "local" { default = yes; self_scan = yes; }
}
EOF
	bp_run rspamd - - "$RSPAMD" -c "$r/rspamd.conf" -f -u root -g root \
		--var LOCAL_CONFDIR="$r/local" --var DBDIR="$r/db" --var RUNDIR="$r/run"
}

# bp_rspamd_use CORPUS CLIENT: wait for rspamd, point it at a corpus
bp_rspamd_use() {
	bp_wait rspamd 180
	# shellcheck disable=SC2034 # bench.sh and profile.sh read bp_corpus
	bp_corpus[rspamd]=$1
	bp_client[rspamd]=$2
}

# bp_expect NAME FILE ERE WHAT: one message through filter NAME; says
# whether miltc's output matches ERE (that the filter did the work)
bp_expect() {
	local out
	[ -n "${bp_pid[$1]:-}" ] || return 0
	out=$("$miltc" -s "unix:${bp_sock[$1]}" -c "${bp_client[$1]}" "$2" 2>&1)
	if printf '%s\n' "$out" | grep -Eq -- "$3"; then
		echo "check: $1: $4: ok"
	else
		echo "check: $1: $4: FAILED; it answered:"
		printf '%s\n' "$out" | sed 's/^/    /'
	fi
}

# bp_stop NAME...: stop the filters that run
bp_stop() {
	local name
	for name in "$@"; do
		[ -n "${bp_pid[$name]:-}" ] || continue
		kill "${bp_pid[$name]}" 2>/dev/null
		_lab_wait_gone "${bp_pid[$name]}"
		wait "${bp_pid[$name]}" 2>/dev/null
		unset "bp_pid[$name]"
	done
}

# bp_check_metrics: dmarc-milter's endpoints answered during the runs
bp_check_metrics() {
	grep -q 'dmarc_milter_dispositions_total' \
		<(curl -s http://127.0.0.1:9489/metrics 2>/dev/null) ||
		echo "warning: the metrics endpoint did not answer"
	[ -z "${_lab_snmpd_pid:-}" ] ||
		echo "AgentX: $(snmpwalk -v2c -c public -On "$LAB_SNMP_AGENT" \
			.1.3.6.1.4.1.8072.9999.9999.7489 2>/dev/null | wc -l) objects under the MIB"
}

# bp_crypto CORPUS: "VERIFY_PER_S SHA256_BYTES_PER_S SIGNED_FRACTION
# MEAN_BYTES": RSA-2048 verifications per second and SHA-256 bytes per
# second (8 KB blocks) from openssl speed now, the share of CORPUS that
# is signed and the mean size of a signed message (what is hashed, with
# its header fields: an upper bound)
bp_crypto() {
	local v s
	v=$(openssl speed -mr -seconds 2 rsa2048 2>/dev/null |
		awk -F: '/^\+F2:/ && $3 == 2048 { print $5 }')
	s=$(openssl speed -mr -seconds 2 -bytes 8192 sha256 2>/dev/null |
		awk -F: '/^\+F:/ { print $4 }')
	if [ -z "$v" ] || [ -z "$s" ]; then
		lab_die "openssl speed gave no figures"
	fi
	echo "$v $s $(for f in "$1"/*.eml; do
		if grep -q '^DKIM-Signature:' "$f"; then wc -c <"$f"; else echo 0; fi
	done | awk '{ n++ } $1 > 0 { k++; b += $1 } END { printf "%.4f %.0f", k / n, b / k }')"
}
