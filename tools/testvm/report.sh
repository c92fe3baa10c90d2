#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# report.sh - print the results table of one or more results.tsv files.
#
#   tools/testvm/report.sh FILE.tsv...
#
# results.tsv: one result a line, tab-separated: suite driver test status detail
# (status ok|fail|skip). Prints a table test x driver (columns vtx and kvm,
# then any other driver seen; cells ok/FAIL/skip/-, the worst result when a
# test reports twice), the failures with their detail, and as the very last
# line "N passed, N failed, N skipped" (one count per table cell).
# A suite run in the test VM is labelled with the kernel it ran on (the
# end of its "done" row).
# Exits 1 if any cell failed or a file is missing, else 0.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

if [ "$#" -eq 0 ]; then
	echo "usage: $0 results.tsv..." >&2
	exit 2
fi

missing=()
files=()
for f in "$@"; do
	if [ -r "$f" ]; then
		files+=("$f")
	else
		missing+=("$f")
	fi
done

{
	for f in "${missing[@]+"${missing[@]}"}"; do
		printf 'report\thost\tresults:%s\tfail\tmissing results file\n' "$f"
	done
	if [ "${#files[@]}" -gt 0 ]; then
		cat "${files[@]}"
	fi
} | awk -F '\t' '
function rank(s) { return s == "fail" ? 3 : s == "ok" ? 2 : s == "skip" ? 1 : 0 }
function cell(s) { return s == "fail" ? "FAIL" : s == "" ? "-" : s }
NF >= 4 {
	suite = $1; drv = $2; test = $3; st = $4; det = $5
	if (st != "ok" && st != "skip") st = "fail"
	if (!(suite in seen_suite)) { seen_suite[suite] = 1; nsuites++ }
	row = suite SUBSEP test
	if (!(row in rowidx)) {
		rowidx[row] = ++nrows; rsuite[nrows] = suite; rtest[nrows] = test
	}
	if (!(drv in drvidx)) {
		drvidx[drv] = 1
		if (drv != "vtx" && drv != "kvm") extra[++nextra] = drv
	}
	# run.sh ends the "done" detail with "on KERNEL": label the suite
	if (drv == "vm" && test == "done" && match(det, / on [^ ]+$/))
		kern[suite] = substr(det, RSTART + 4)
	k = rowidx[row] SUBSEP drv
	if (rank(st) > rank(res[k])) res[k] = st
	if (st == "fail")
		fails[++nfails] = sprintf("  %s%s %s: %s", nsuites_all_prefix(suite), drv, test, det == "" ? "(no detail)" : det)
}
function nsuites_all_prefix(s) { return s == "" ? "" : s " " }
END {
	ncols = 0; col[++ncols] = "vtx"; col[++ncols] = "kvm"
	for (i = 1; i <= nextra; i++) col[++ncols] = extra[i]
	wt = 4; ws = 5
	for (r = 1; r <= nrows; r++) {
		if (rsuite[r] in kern) rsuite[r] = rsuite[r] " (" kern[rsuite[r]] ")"
		if (length(rtest[r]) > wt) wt = length(rtest[r])
		if (length(rsuite[r]) > ws) ws = length(rsuite[r])
	}
	showsuite = nsuites > 1
	line = ""
	if (showsuite) line = sprintf("%-" ws "s  ", "SUITE")
	line = line sprintf("%-" wt "s", "TEST")
	for (c = 1; c <= ncols; c++) line = line sprintf("  %-5s", col[c])
	sub(/ +$/, "", line)
	print line
	pass = fail = skip = 0
	for (r = 1; r <= nrows; r++) {
		line = ""
		if (showsuite) line = sprintf("%-" ws "s  ", rsuite[r])
		line = line sprintf("%-" wt "s", rtest[r])
		for (c = 1; c <= ncols; c++) {
			s = res[r SUBSEP col[c]]
			if (s == "ok") pass++
			else if (s == "fail") fail++
			else if (s == "skip") skip++
			line = line sprintf("  %-5s", cell(s))
		}
		sub(/ +$/, "", line)
		print line
	}
	if (nfails) {
		print ""
		print "Failures:"
		for (i = 1; i <= nfails; i++) print fails[i]
	}
	print ""
	printf "%d passed, %d failed, %d skipped\n", pass, fail, skip
	exit (fail > 0 ? 1 : 0)
}'
exit
}
