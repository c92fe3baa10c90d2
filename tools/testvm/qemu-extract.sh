#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-extract.sh - save the artifacts of the "qemu" suite (selftests/vtx/qemu)
# from its serial log, host side, after tools/testvm/run.sh --suite qemu.
#
#   tools/testvm/qemu-extract.sh [SERIAL_LOG [OUTDIR [HOST_TIMES]]]
#
# SERIAL_LOG defaults to build/testvm/qemu/serial.log, OUTDIR to its folder.
# HOST_TIMES (optional, written by tools/testvm/qemu-run.sh) is the runner's
# output with the host's epoch second before each line, or run-bochs.sh's
# hosttimes.txt (host seconds, then Bochs's host CPU seconds, before each @@
# line); with it, timings.txt also gets the host wall time of each QEMU run
# and, from hosttimes.txt, the host CPU time Bochs spent on it (what the run
# costs whatever else shared the machine). Writes into OUTDIR:
#   ioctls-vtx.txt, ioctls-kvm.txt   the ioctls QEMU issued on each driver
#                                    (strace -f -e trace=ioctl), count per
#                                    request name, one section per run
#   ioctls-compare.txt               kvm and vtx counts side by side
#   console-<drv>-<run>.txt          QEMU's output = the nested console
#   transcript-diff-<run>.txt        diff -u of the normalised transcripts
#   timings.txt                      per run: QEMU exit code, nested uptime at
#                                    its /init, test-VM seconds, host seconds,
#                                    Bochs CPU seconds
# Prints timings.txt. Exit 1 if the log has no qemu suite output at all.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
LOG=${1:-$ROOT/build/testvm/qemu/serial.log}
OUT=${2:-$(dirname "$LOG")}
HT=${3:-}
[ -r "$LOG" ] || { echo "qemu-extract: $LOG not readable" >&2; exit 2; }
mkdir -p "$OUT"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tr -d '\r' <"$LOG" >"$tmp/log"
if ! grep -q '^@@QEMU-TIME \|^@@IOCTLS-BEGIN \|^q-[a-z0-9]*-[a-z0-9]*| ' "$tmp/log"; then
	echo "qemu-extract: no qemu suite output in $LOG" >&2
	exit 1
fi

# ioctl sections per driver
for drv in vtx kvm; do
	awk -v drv="$drv" '
		$1 == "@@IOCTLS-BEGIN" && $2 == drv { on = 1; print "== run " $3 " on " drv; next }
		$1 == "@@IOCTLS-END" { if (on) print ""; on = 0; next }
		on { print }' "$tmp/log" >"$OUT/ioctls-$drv.txt"
	if [ ! -s "$OUT/ioctls-$drv.txt" ]; then
		echo "(no ioctl record for $drv in ${LOG#"$ROOT"/})" >"$OUT/ioctls-$drv.txt"
	fi
done

# side by side: request, kvm count, vtx count (per run)
awk '
	$1 == "@@IOCTLS-BEGIN" { drv = $2; run = $3; on = 1; runs[run] = 1; next }
	$1 == "@@IOCTLS-END" { on = 0; next }
	on && $1 ~ /^[0-9]+$/ && $3 ~ /^errors=/ {
		c[run, $2, drv] = $1; e[run, $2, drv] = $3; names[run, $2] = 1
	}
	END {
		for (r in runs) {
			printf "%s\t%d\t== run %s: request, kvm calls (errors), vtx calls (errors)\n", r, 1e9, r
			for (k in names) {
				split(k, p, SUBSEP)
				if (p[1] != r) continue
				n = p[2]
				m = c[r, n, "kvm"] + 0
				if (c[r, n, "vtx"] + 0 > m) m = c[r, n, "vtx"] + 0
				ek = e[r, n, "kvm"]; if (ek == "") ek = "errors=-"
				ev = e[r, n, "vtx"]; if (ev == "") ev = "errors=-"
				printf "%s\t%d\t%-36s %8s %-14s %8s %s\n", r, m, n, c[r, n, "kvm"] + 0,
					"(" ek ")", c[r, n, "vtx"] + 0, "(" ev ")"
			}
		}
	}' "$tmp/log" | sort -t "$(printf '\t')" -k1,1 -k2,2nr | cut -f3- |
	sed 's/(errors=\([0-9-]*\)[^)]*)/(\1)/g' | awk '/^==/ { print; next } { printf "%-36s %8s %-6s %8s %s\n", $1, $2, $3, $4, $5 }' >"$OUT/ioctls-compare.txt"

# nested consoles, with the alarm words given back (suite.sh's show())
undefang() {
	sed -e 's/Kernel panic~ - not syncing/Kernel panic - not syncing/g' \
		-e 's/BUG~:/BUG:/g' -e 's/WARNING~:/WARNING:/g' -e 's/Oo~ps/Oops/g' \
		-e 's/general~protection/general protection/g' -e 's/Call~Trace/Call Trace/g'
}
sed -n 's/^q-\([a-z0-9]*-[a-z0-9]*\)| .*/\1/p' "$tmp/log" | sort -u | while read -r tag; do
	sed -n "s/^q-$tag| //p" "$tmp/log" | undefang >"$OUT/console-$tag.txt"
done
sed -n 's/^tdiff-\([a-z0-9]*\)| .*/\1/p' "$tmp/log" | sort -u | while read -r run; do
	sed -n "s/^tdiff-$run| //p" "$tmp/log" | undefang >"$OUT/transcript-diff-$run.txt"
done

# timings (+ host seconds from the timestamped runner output)
{
	printf '%-4s %-8s %-4s %-14s %-16s %-13s %s\n' drv run rc nested-uptime \
		test-VM-seconds host-seconds bochs-cpu-s
	awk -v ht="$HT" '
		BEGIN {
			if (ht != "") {
				while ((getline l < ht) > 0) {
					sub(/\r+$/, "", l)
					n = split(l, f, " ")
					# hosttimes.txt: WALL CPU @@...; host-times.log: EPOCH ...
					c = "-"
					if (f[2] !~ /^@@/ && f[3] ~ /^@@/) {
						c = f[2]
						for (i = 2; i < n; i++)
							f[i] = f[i + 1]
					}
					if (f[2] == "@@RUN" && f[4] ~ /^qemu-boot/) {
						d = f[3]; r = f[4]; sub(/:$/, "", r)
						r = (r == "qemu-boot") ? "boot" : substr(r, 11)
						start[d, r] = f[1]
						cstart[d, r] = c
					} else if (f[2] == "@@QEMU-TIME") {
						stop[f[3], f[4]] = f[1]
						cstop[f[3], f[4]] = c
					}
				}
			}
		}
		$1 == "@@QEMU-TIME" {
			rc = $4; sub(/rc=/, "", rc)
			up = $5; sub(/nested-uptime=/, "", up)
			vm = $6; sub(/qemu-seconds=/, "", vm)
			h = "-"; hc = "-"
			if (($2, $3) in start && ($2, $3) in stop)
				h = stop[$2, $3] - start[$2, $3]
			if (cstart[$2, $3] ~ /^[0-9]+$/ && cstop[$2, $3] ~ /^[0-9]+$/)
				hc = cstop[$2, $3] - cstart[$2, $3]
			printf "%-4s %-8s %-4s %-14s %-16s %-13s %s\n", $2, $3, rc, up, vm, h, hc
		}' "$tmp/log"
} >"$OUT/timings.txt"

cat "$OUT/timings.txt"
echo "qemu-extract: wrote ${OUT#"$ROOT"/}/{ioctls-vtx.txt,ioctls-kvm.txt,ioctls-compare.txt,console-*.txt,transcript-diff-*.txt,timings.txt}"
exit 0
}
