#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - run one vtx test suite in the test VM (Bochs with emulated VT-x),
# or natively on a host that really has VMX.
#
# Usage:
#   tools/testvm/run.sh --suite NAME  [options]  # selftests/vtx/NAME/suite.sh,
#                                                # build/selftests/NAME/ as /tests
#   tools/testvm/run.sh --suite A+B+C [options]  # several suites in one boot,
#                                                # in that order (run-parts.sh)
#   tools/testvm/run.sh --script FILE [options]  # any in-VM sh script (e.g. demo.sh)
# Options:
#   --cpus N        emulated CPUs (1)              --mem MB      guest RAM (512)
#   --timeout SEC   wall-time limit of the run (900)
#   --append ARGS   extra kernel command-line arguments
#   --name NAME     artifact dir build/testvm/NAME (default: suite or script name)
#   --tests DIR     tree to copy to /tests (default build/selftests/<suite>)
#   --kver VER      Debian kernel to boot: a version or a series (6.1, 6.12, 7.3;
#                   tools/testvm/kver.sh); default: vtx.ko's vermagic, else newest.
#                   Debian 13's kernels come from build/debian13 (make kernels),
#                   their vtx.ko from build/kernels/VER/vtx.ko.
#   --cpu-model M   Bochs CPU model (corei7_haswell_4770; `bochs --help cpu`
#                   lists them; on corei7_skylake_x Debian 6.1 disables XSAVE)
#   --force-bochs   use Bochs even on a host with VMX
#   --native        run natively without checking for VMX (tests the runner)
# Environment: VTX_KO=FILE tests that vtx.ko instead of ./vtx.ko;
# VTX_LZ4KERNEL=0 boots Debian's XZ vmlinuz, not its LZ4 re-wrap.
# A suite may set defaults in selftests/vtx/NAME/testvm.conf (lines cpus=2,
# mem=1024, timeout=1200, append=..., cpu_model=...); options given here win.
#
# The script runs with tools/testvm/vmlib.sh loaded (see that file for the
# @@RESULT protocol and helpers). Serial output is streamed here while the
# VM runs; artifacts stay in build/testvm/NAME/ (serial.log, bochs.log,
# results.tsv, bochsrc, the ISO and the initramfs tree). Prints a table test x
# driver and "N passed, N failed, N skipped" last; exits non-zero on any
# failed result, a missing @@DONE, a kernel panic or a timeout.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run; its
# pieces are sourced first, and only define functions:
#   run-results.sh  results.tsv from the serial log, the runner's rows, the table
#   run-native.sh   the suite run natively on a host with VMX
#   run-image.sh    prerequisites, kernel, initramfs and ISO
#   run-bochs.sh    bochsrc, the boot, the watch of the running VM
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/testvm
# VTX_KO: the vtx.ko to test (e.g. a VTX_PROFILE=1 build kept elsewhere)
KO=${VTX_KO:-$ROOT/vtx.ko}
BUILD=$ROOT/build

# shellcheck source=tools/testvm/run-results.sh
. "$HERE/run-results.sh"
# shellcheck source=tools/testvm/run-native.sh
. "$HERE/run-native.sh"
# shellcheck source=tools/testvm/run-image.sh
. "$HERE/run-image.sh"
# shellcheck source=tools/testvm/run-bochs.sh
. "$HERE/run-bochs.sh"

usage() {
	sed -n '4,35p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
say() { printf '[testvm] %s\n' "$*"; }
die() { printf '[testvm] error: %s\n' "$*" >&2; exit 2; }

suite='' script='' name='' tests='' kver='' append='' force_bochs=0 native=0
# The Bochs CPU model (its known kernel warnings: known-warnings.awk)
CPU_MODEL=''
cpus='' mem='' tmo=''
while [ "$#" -gt 0 ]; do
	case "$1" in
	--suite) suite=${2:?}; shift 2 ;;
	--script) script=${2:?}; shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--tests) tests=${2:?}; shift 2 ;;
	--kver) kver=${2:?}; shift 2 ;;
	--cpu-model) CPU_MODEL=${2:?}; shift 2 ;;
	--force-bochs) force_bochs=1; shift ;;
	--native) native=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
if [ -n "$suite" ] && [ -n "$script" ]; then
	die "give --suite or --script, not both"
fi
# shellcheck source=tools/testvm/run-parts.sh
. "$HERE/run-parts.sh"
PARTS=()
if [ -n "$suite" ]; then
	case "$suite" in */* | .* | *+ | +* | *++*) die "bad suite name '$suite'" ;; esac
	: "${name:=$suite}"
	if [ "${suite#*+}" != "$suite" ]; then
		parts_setup "$suite"
	else
		script=$ROOT/selftests/vtx/$suite/suite.sh
		: "${tests:=$BUILD/selftests/$suite}"
		suite_conf "$suite"
		: "${cpus:=$conf_cpus}" "${mem:=$conf_mem}" "${tmo:=$conf_tmo}" \
			"${CPU_MODEL:=$conf_model}"
	fi
elif [ -n "$script" ]; then
	script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
	: "${name:=$(basename "$script" .sh)}"
else
	usage
fi
: "${cpus:=1}" "${mem:=512}" "${tmo:=900}" "${CPU_MODEL:=corei7_haswell_4770}"
case "$CPU_MODEL" in "" | *[!a-z0-9_]*) die "bad --cpu-model '$CPU_MODEL'" ;; esac
for n in "$cpus" "$mem" "$tmo"; do
	case "$n" in "" | *[!0-9]*) die "--cpus/--mem/--timeout need a number, got '$n'" ;; esac
done

OUT=$BUILD/testvm/$name
mkdir -p "$OUT"
rm -f "$OUT/serial.log" "$OUT/bochs.log" "$OUT/bochs.term" "$OUT/bochs.pid" "$OUT/screen.log" \
	"$OUT/killed" "$OUT/results.tsv"
RESULTS=$OUT/results.tsv
# Until the run finishes, the results say it did not.
printf '%s\tvm\tdone\tfail\trunner did not finish\n' "$name" >"$RESULTS"


[ -f "$script" ] || { add vm "done" fail "script $script missing"; finish; }
if [ -n "$tests" ] && [ ! -d "$tests" ]; then
	say "note: $tests does not exist (selftests not built?); /tests will be empty"
fi

if want_native; then
	run_native
fi

# ----------------------------------------------------------------- bochs ---
find_prereqs
say "building initramfs + ISO (kernel $kver)"
build_initramfs
build_iso
write_bochsrc
boot_bochs
bochs_log_summary
judge "$how" "$elapsed"
[ "${#PARTS[@]}" = 0 ] || parts_results
finish
exit
}
