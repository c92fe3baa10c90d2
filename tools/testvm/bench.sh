#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# bench.sh - what `make bench` runs: the bench suite (selftests/vtx/bench)
# in one test-VM boot, vtx and then kvm_intel, two passes: exits, faults,
# lifetimes and memory, the interrupt paths per set of module parameters,
# shadow paging (ept=0) beside EPT, and in pass 1 a nested Linux guest
# under vtxctl and Debian's QEMU (boot time, virtio-blk and virtio-net
# throughput, fork+exit; with ept=0 too).  Then, on this host, the tables
# and the JSON from the raw lines of the serial log:
#
#   build/bench/report.txt   the tables (median [min..max], vtx/kvm ratio,
#                            pass 2 against pass 1) and the memory figures
#   build/bench/bench.json   the same data
#
# Options are run.sh's (e.g. --append "bench.rounds=9", --name;
# --append "bench.only=shadow,linux" for some tables: suite.sh).
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
name=bench
args=("$@")
while [ "$#" -gt 0 ]; do
	case "$1" in
	--name) name=${2:?}; shift 2 ;;
	*) shift ;;
	esac
done

# The nested Linux guest's files (kernel, initramfs, vtxnet, QEMU): not
# made by `make selftests`, which make check runs
if ! ${MAKE:-make} -s -C "$ROOT/selftests/vtx/bench" BUILD="$BUILD" BENCH_LINUX=1; then
	echo "bench: the nested Linux guest's files were not made (bench.only=linux fails)" >&2
fi
rc=0
bash "$ROOT/tools/testvm/run.sh" --suite bench "${args[@]+"${args[@]}"}" || rc=$?

out=$BUILD/bench
mkdir -p "$out"
log=$BUILD/testvm/$name/serial.log
if ! tr -d '\r' <"$log" | grep '^@@[BMSE] ' >"$out/raw.txt" ||
	! "$BUILD/selftests/bench/bench" report "$out/raw.txt" >"$out/report.all"; then
	echo "bench: no results in $log" >&2
	exit 1
fi
grep -v '^@@JSON' "$out/report.all" >"$out/report.txt"
sed -n 's/^@@JSON //p' "$out/report.all" >"$out/bench.json"
rm -f "$out/report.all"
cat "$out/report.txt"
echo
echo "bench: table in ${out#"$ROOT"/}/report.txt, JSON in ${out#"$ROOT"/}/bench.json"
exit "$rc"
