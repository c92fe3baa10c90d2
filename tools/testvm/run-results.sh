# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# run-results.sh - results of a test-VM run (sourced by run.sh): the rows
# of results.tsv from the @@RESULT lines of the serial log, the runner's own
# rows (driver "vm": done, dmesg-clean), and the final table.
#
# Reads run.sh's settings: name (the suite), kver, CPU_MODEL, OUT, RESULTS,
# ROOT, HERE.
# shellcheck disable=SC2154

# Results the runner itself adds (driver "vm").
declare -a extra=()
add() { extra+=("$(printf '%s\t%s\t%s\t%s\t%s' "$name" "$1" "$2" "$3" "${4:-}")"); }

# Write results.tsv from the log + extra rows, print the table, exit.
finish() {
	{
		# (several suites in one boot: their rows are in extra already)
		if [ -f "$OUT/serial.log" ] && [ "${#PARTS[@]}" = 0 ]; then
			parse_log "$OUT/serial.log"
		fi
		for r in "${extra[@]+"${extra[@]}"}"; do printf '%s\n' "$r"; done
	} >"$RESULTS.new"
	mv "$RESULTS.new" "$RESULTS"
	echo
	say "artifacts: ${OUT#"$ROOT"/}/ (serial.log bochs.log results.tsv)"
	echo
	exec bash "$HERE/report.sh" "$RESULTS"
}

# The serial log with the kernel's console lines taken out of the marker
# lines they cut in two: with warnings on the console (init), a kernel line
# can land in the middle of a "@@RESULT drv name status" line, whose rest
# then follows on the next line.  A marker line cut before its third field
# is joined with the next line that is not a kernel line; the kernel line
# is printed on its own, so that log_facts still sees it.
log_lines() {
	awk '
	{ sub(/\r+$/, "") }
	held != "" {
		if ($0 ~ /^\[ *[0-9]+\.[0-9]+\] /) { print; next }
		$0 = held $0
		held = ""
	}
	(i = index($0, "@@RESULT ")) > 0 && match($0, /\[ *[0-9]+\.[0-9]+\] /) &&
	    RSTART > i && split(substr($0, i + 9, RSTART - i - 9), f, " ") < 3 {
		held = substr($0, 1, RSTART - 1)
		print substr($0, RSTART)
		next
	}
	{ print }
	END { if (held != "") print held }' "$1"
}

# @@RESULT lines -> tsv rows (suite driver test status detail).
parse_log() {
	log_lines "$1" | awk -v suite="$name" '
	(i = index($0, "@@RESULT ")) > 0 {
		s = substr($0, i + 9)
		n = split(s, a, " ")
		if (n < 3) { printf "%s\tvm\tmalformed-result\tfail\t%s\n", suite, s; next }
		det = s
		for (k = 1; k <= 3; k++) { sub(/^ *[^ ]+/, "", det) }
		sub(/^ +/, "", det); gsub(/\t/, " ", det)
		st = a[3]
		if (st != "ok" && st != "fail" && st != "skip") { det = "bad status " st " " det; st = "fail" }
		printf "%s\t%s\t%s\t%s\t%s\n", suite, a[1], a[2], st, det
	}'
}

# Facts about the serial log: done, rc, first bad kernel line, last marker.
log_facts() {
	log_lines "$1" |
	awk -v kver="$kver" -v model="$CPU_MODEL" -f "$HERE/known-warnings.awk" | awk '
	/^known-warning: / { known++; ksite = $2 }
	/@@DONE rc=/ { done = 1; rc = $0; sub(/.*@@DONE rc=/, "", rc); sub(/[^0-9].*/, "", rc) }
	/@@RUN / { last = $0; sub(/.*@@RUN /, "", last) }
	/@@RESULT |@@RUN / { next }
	/BUG:|WARNING:|Oops|general protection|Call Trace/ { if (bad == "") bad = $0 }
	/Kernel panic - not syncing/ { if (panic == "") panic = $0 }
	END {
		gsub(/\t/, " ", bad); gsub(/\t/, " ", panic)
		printf "done=%s\nrc=%s\nbad=%s\nlast=%s\npanic=%s\n", done + 0, rc, bad, last, panic
		if (known) printf "known=%d known warning(s): %s\n", known, ksite
	}'
}

# Turn the log facts into the "done" and "dmesg-clean" results.
judge() {
	local how="$1" elapsed="$2" f done='' rc='' bad='' last='' panic='' known=''
	while IFS= read -r f; do
		case "$f" in
		done=*) done=${f#done=} ;;
		rc=*) rc=${f#rc=} ;;
		bad=*) bad=${f#bad=} ;;
		last=*) last=${f#last=} ;;
		panic=*) panic=${f#panic=} ;;
		known=*) known=${f#known=} ;;
		esac
	done < <(log_facts "$OUT/serial.log")
	# (the kernel last: report.sh labels the suite with it)
	local on="on ${kver:-$(uname -r)}"
	if [ "$done" = 1 ] && [ "${rc:-1}" = 0 ]; then
		add vm "done" ok "@@DONE rc=0 after ${elapsed}s $on"
	elif [ "$done" = 1 ]; then
		add vm "done" fail "suite script exited rc=$rc $on"
	else
		add vm "done" fail "no @@DONE: $how after ${elapsed}s${panic:+; $panic}${last:+; last step: $last} $on"
	fi
	if [ -n "$bad" ]; then
		add vm dmesg-clean fail "$bad"
	else
		add vm dmesg-clean ok "$known"
	fi
}
