# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "bench" suite, run in the test VM by tools/testvm/run.sh --suite
# bench (testvm.conf: 2 CPUs), with tools/testvm/vmlib.sh loaded and
# cwd = /tests (a copy of build/selftests/bench/).  Not part of make check.
#
# Two passes in one boot; in each, the same static binary runs every case
# on /dev/vtx (vtx loaded alone), then on /dev/kvm (kvm_intel loaded
# alone).  Then `bench report` prints the table (pass 1 medians, vtx/kvm,
# how far pass 2 is from pass 1) and the JSON, each line "@@JSON ...",
# between @@JSON-BEGIN and @@JSON-END.
#
# Kernel command line (run.sh --append): bench.quick=1 for a short smoke
# run, bench.rounds=N (default 7), bench.passes=N (default 2), bench.trace=1
# to print every exit of a few short guest loops instead (debugging).

RAW=/tmp/bench.raw
: >"$RAW"

ROUNDS=7 PASSES=2 QUICK='' TRACE=''
# shellcheck disable=SC2013 # words, not lines
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	bench.rounds=*) ROUNDS=${arg#*=} ;;
	bench.passes=*) PASSES=${arg#*=} ;;
	bench.quick=1) QUICK=--quick ;;
	bench.trace=1) TRACE=1 ;;
	esac
done

# bench_one DRIVER DEVICE PASS - run every case, output to the log and $RAW.
bench_one() {
	local drv="$1" dev="$2" ps="$3" rc
	echo "@@RUN $drv bench run --device $dev --pass $ps --rounds $ROUNDS $QUICK"
	rm -f /tmp/bench.rc
	{
		timeout 3600 ./bench run --device "$dev" --driver "$drv" \
			--pass "$ps" --rounds "$ROUNDS" $QUICK 2>&1
		echo "$?" >/tmp/bench.rc
	} | tee -a "$RAW"
	rc=$(cat /tmp/bench.rc 2>/dev/null) || rc=255
	if [ "$rc" = 0 ]; then
		result "$drv" "bench.pass$ps" ok
	else
		result "$drv" "bench.pass$ps" fail "exit $rc"
	fi
}

# CPU features the exit path depends on (FSGSBASE: RDFSBASE instead of
# RDMSR in the host-state save; XSAVES/XSAVEOPT: the FPU swap; RDTSCP:
# TSC_AUX among the user-return MSRs).
echo "# cpu flags: $(grep -m1 '^flags' /proc/cpuinfo | tr ' ' '\n' |
	grep -x -e fsgsbase -e xsaves -e xsaveopt -e xsavec -e rdtscp -e pcid \
		-e invpcid -e pdpe1gb | tr '\n' ' ')"
# Below 512 MiB of RAM the kernel turns THP off by default; ept_touch_thp
# wants it on (ept_touch_4k asks for 4 KiB pages with MADV_NOHUGEPAGE).
echo always >/sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null
echo "# thp: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)"

# bench.trace=1: print every exit of a few short loops on each driver.
if [ -n "$TRACE" ]; then
	if vtx_load; then
		check vtx bench.trace ./bench trace --device /dev/vtx
		vtx_unload
	fi
	if kvm_load; then
		check kvm bench.trace ./bench trace --device /dev/kvm
		kvm_unload
	fi
	PASSES=0
fi

ps=1
while [ "$ps" -le "$PASSES" ]; do
	if vtx_load; then
		bench_one vtx /dev/vtx "$ps"
		vtx_unload
	fi
	dmesg_check vtx "dmesg.pass$ps"
	if kvm_load; then
		bench_one kvm /dev/kvm "$ps"
		kvm_unload
	fi
	dmesg_check kvm "dmesg.pass$ps"
	ps=$((ps + 1))
done

if [ "$PASSES" -gt 0 ]; then
	echo "@@RUN bench report"
	check report bench.report ./bench report "$RAW"
fi
