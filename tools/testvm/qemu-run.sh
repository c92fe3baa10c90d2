#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu-run.sh - the "qemu" suite end to end, host side: prepare
# build/selftests/qemu (selftests/vtx/qemu/Makefile), run it in the test VM
# (tools/testvm/run.sh --suite qemu ARGS...), stamp each line of the
# runner's output with the host's time (build/testvm/qemu/host-times.log),
# then save the artifacts (tools/testvm/qemu-extract.sh). Exits with
# run.sh's status. With --name NAME, everything is in build/testvm/NAME/.
#
#   tools/testvm/qemu-run.sh [run.sh options, e.g. --append "QEMU_DRIVERS=kvm"]
set -euo pipefail
# The body is one { } block: bash parses it whole before running it.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/testvm
# the artifact dir follows run.sh's --name (default: the suite's name)
name=qemu prev=
for a in "$@"; do
	[ "$prev" = --name ] && name=$a
	prev=$a
done
OUT=$ROOT/build/testvm/$name

make -C "$ROOT/selftests/vtx/qemu" BUILD="$ROOT/build" --no-print-directory
mkdir -p "$OUT"
rm -f "$OUT/serial.log"
start=$(date +%s)
set +e
bash "$HERE/run.sh" --suite qemu "$@" &
runner=$!
# run.sh's own stream is block-buffered in a pipe: follow serial.log.
tail -n +1 -s 1 -F --pid="$runner" "$OUT/serial.log" 2>/dev/null |
	while IFS= read -r line; do
		printf '%(%s)T %s\n' -1 "${line%$'\r'}"
	done >"$OUT/host-times.log" &
stamper=$!
wait "$runner"
rc=$?
wait "$stamper"
set -e
echo
echo "qemu-run: run.sh exited $rc after $(($(date +%s) - start))s (host wall time)"
# run-bochs.sh's hosttimes.txt when there is one: it has Bochs's CPU
# seconds too (a natively run suite has only host-times.log)
ht=$OUT/host-times.log
[ -s "$OUT/hosttimes.txt" ] && ht=$OUT/hosttimes.txt
bash "$HERE/qemu-extract.sh" "$OUT/serial.log" "$OUT" "$ht" || :
exit "$rc"
}
