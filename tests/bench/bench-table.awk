# bench-table.awk: bench.sh's tables from its figures, one line per run:
#   TABLE PER_CONN RUN FILTER CPU_S_PER_1K MSG_S P99_MS ERRORS VERDICTS
#   TABLE mem FILTER PEAK_RSS_KB PSS_KB
#   TABLE proto FILTER SMFIP_FLAGS (what it negotiated with miltc)
#   signed crypto (VERIFY_PER_S SHA256_B_PER_S SIGNED_FRACTION MEAN_BYTES)...
# Each cell is the median over the runs, with [min-max]; a ratio is taken
# inside each run (the same moment, the same machine load) before the
# median. Plain awk: mawk runs it as well as gawk.

function sort(a, n,    i, j, v) {
	for (i = 2; i <= n; i++) {
		v = a[i]
		for (j = i - 1; j >= 1 && a[j] > v; j--)
			a[j + 1] = a[j]
		a[j + 1] = v
	}
}

# cell(a, n, fmt): "median [min-max]" of a[1..n]
function cell(a, n, fmt,    m) {
	if (n == 0)
		return "-"
	sort(a, n)
	m = n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
	if (n == 1)
		return sprintf(fmt, m)
	return sprintf(fmt " [" fmt "-" fmt "]", m, a[1], a[n])
}

function median(a, n) {
	sort(a, n)
	return n % 2 ? a[(n + 1) / 2] : (a[n / 2] + a[n / 2 + 1]) / 2
}

# the per-run values of one filter (or the chain) into v[]; returns n
function values(t, pc, f, what, v,    r, n) {
	n = 0
	for (r = 1; r <= runs[t]; r++) {
		if (f == "chain") {
			if (!((t, pc, r, "opendkim") in cpu) || !((t, pc, r, "opendmarc") in cpu))
				continue
			if (what == "cpu")
				v[++n] = cpu[t, pc, r, "opendkim"] + cpu[t, pc, r, "opendmarc"]
			else if (what == "ratio")
				v[++n] = (cpu[t, pc, r, "opendkim"] + cpu[t, pc, r, "opendmarc"]) \
					/ cpu[t, pc, r, base[t]]
			continue
		}
		if (!((t, pc, r, f) in cpu))
			continue
		if (what == "cpu")
			v[++n] = cpu[t, pc, r, f]
		else if (what == "ratio")
			v[++n] = cpu[t, pc, r, f] / cpu[t, pc, r, base[t]]
		else if (what == "rate")
			v[++n] = rate[t, pc, r, f]
		else if (what == "p99")
			v[++n] = p99[t, pc, r, f]
		else if (what == "goal")
			v[++n] = cpu[t, pc, r, f] / (1.25 * cpu[t, pc, r, base[t]] + crypto1k)
	}
	return n
}

function row(t, pc, f, label,    v, n, c, rt, e, r, p) {
	n = values(t, pc, f, "cpu", v); c = cell(v, n, "%.3f")
	if (c == "-")
		return
	split("", v); n = values(t, pc, f, "ratio", v); rt = cell(v, n, "%.2f")
	split("", v); n = values(t, pc, f, "rate", v); r = n ? sprintf("%.0f", median(v, n)) : "-"
	split("", v); n = values(t, pc, f, "p99", v); p = n ? sprintf("%.2f", median(v, n)) : "-"
	e = errs[t, pc, f] ? "  errors=" errs[t, pc, f] : ""
	printf "%-14s %-22s %-18s %7s %8s %9s %8s%s\n", label, c, rt, r, p,
		f in hwm_of ? hwm[t, f] : "-", f in hwm_of ? pss[t, f] : "-", e
}

$2 == "proto" { proto[$1] = proto[$1] " " $3 " " $4 ";"; next }
$2 == "mem" { hwm[$1, $3] = $4; pss[$1, $3] = $5; hwm_of[$3] = 1; next }
$2 == "crypto" {
	for (i = 3; i + 3 <= NF; i += 4) {
		vs[++ncr] = $i; sh[ncr] = $(i + 1); frac = $(i + 2); bytes = $(i + 3)
	}
	next
}
{
	t = $1; pc = $2; r = $3; f = $4
	if (!(t in seen_t)) { seen_t[t] = 1; tables[++nt] = t }
	if (!((t, pc) in seen_pc)) { seen_pc[t, pc] = 1; pcs[t, ++npc[t]] = pc }
	if (!((t, f) in seen_f)) { seen_f[t, f] = 1; filters[t, ++nf[t]] = f }
	if (r > runs[t]) runs[t] = r
	cpu[t, pc, r, f] = $5; rate[t, pc, r, f] = $6; p99[t, pc, r, f] = $7
	errs[t, pc, f] += $8
	verdicts[t, pc, f] = $9
}
END {
	base["plain"] = "floor"; base["signed"] = "floor-body"
	# crypto per 1000 messages: per signed message one verification and
	# the SHA-256 of its bytes (the mean of openssl's figures of the run)
	for (i = 1; i <= ncr; i++) { sv += vs[i]; ss += sh[i] }
	if (ncr > 0)
		crypto1k = 1000 * frac * (1 / (sv / ncr) + bytes / (ss / ncr))
	for (k = 1; k <= nt; k++) {
		t = tables[k]
		for (j = 1; j <= npc[t]; j++) {
			pc = pcs[t, j]
			printf "\n%s corpus, %d message%s per connection (%s)\n", t, pc,
				pc == 1 ? "" : "s", runs[t] == 1 ? "1 run" \
				: runs[t] " runs: median [min-max]"
			printf "%-14s %-22s %-18s %7s %8s %9s %8s\n", "filter", "cpu_s/1k",
				"ratio", "msg/s", "p99_ms", "rss_kb", "pss_kb"
			row(t, pc, base[t], base[t])
			for (i = 1; i <= nf[t]; i++)
				if (filters[t, i] != base[t])
					row(t, pc, filters[t, i], filters[t, i])
			if (t == "signed") {
				row(t, pc, "chain", "chain (sum)")
				if (ncr > 0) {
					printf "%-14s %-22.4f %-18.2f\n", "crypto", crypto1k,
						crypto1k / median_base(t, pc)
					split("", v); n = values(t, pc, "dmarc-milter", "goal", v)
					printf "goal: dmarc-milter / (1.25 x floor-body + crypto) = %s (at most 1.00)\n",
						cell(v, n, "%.2f")
				}
			} else {
				split("", v); n = values(t, pc, "dmarc-milter", "ratio", v)
				printf "goal: dmarc-milter / floor = %s (at most 1.10)\n", cell(v, n, "%.2f")
			}
			printf "verdicts:"
			for (i = 1; i <= nf[t]; i++)
				printf " %s %s;", filters[t, i], verdicts[t, pc, filters[t, i]]
			printf "\n"
		}
		printf "\n%s corpus: protocol steps negotiated (SMFIP_*):%s\n", t, proto[t]
	}
	if (ncr > 0)
		printf "\ncrypto: RSA-2048 verify %.0f/s, SHA-256 %.0f MB/s (openssl speed, %d measures); %.0f%% of the signed corpus signed, %.0f bytes each\n",
			sv / ncr, ss / ncr / 1e6, ncr, frac * 100, bytes
}

function median_base(t, pc,    v, n) {
	n = values(t, pc, base[t], "cpu", v)
	return n ? median(v, n) : 1
}
