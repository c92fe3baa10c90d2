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
# In each pass, after the two runs, the interrupt paths (`bench irq`) once
# per column of IRQ_COLUMNS, vtx and kvm_intel each loaded with the
# column's module parameters; a parameter vtx.ko does not have (its
# modinfo: parmtype=NAME:) makes that column n/a for vtx.
#
# Kernel command line (run.sh --append): bench.quick=1 for a short smoke
# run, bench.rounds=N (default 7), bench.passes=N (default 2), bench.trace=1
# to print every exit of a few short guest loops instead (debugging),
# bench.only=main or bench.only=irq for one of the two tables.

RAW=/tmp/bench.raw
: >"$RAW"
# kvm_intel as shipped: kvm.ko's own halt_poll_ns (vmlib.sh sets 0 in the
# test VM for the functional suites)
export KVM_HALT_POLL_NS=''

# NAME:PARAM[,PARAM...] per column of the interrupt-path table (default:
# no parameter)
IRQ_COLUMNS="default: apicv1:enable_apicv=1 apicv0:enable_apicv=0"

ROUNDS=7 PASSES=2 QUICK='' TRACE='' ONLY=''
# shellcheck disable=SC2013 # words, not lines
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	bench.rounds=*) ROUNDS=${arg#*=} ;;
	bench.passes=*) PASSES=${arg#*=} ;;
	bench.quick=1) QUICK=--quick ;;
	bench.trace=1) TRACE=1 ;;
	bench.only=*) ONLY=${arg#*=} ;;
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

# note LINE - an @@E line for the log and for `bench report`
note() {
	echo "$*" | tee -a "$RAW"
}

# vtx_missing_param PARAM... - print the first NAME of PARAM (NAME=VALUE)
# that vtx.ko's modinfo does not declare; false if it has them all.
vtx_missing_param() {
	local p
	for p in "$@"; do
		if ! strings "$VTX_KO" | grep -q "^parmtype=${p%%=*}:"; then
			echo "${p%%=*}"
			return 0
		fi
	done
	return 1
}

# irq_one DRIVER DEVICE LABEL PASS - bench irq, output to the log and $RAW
irq_one() {
	local drv="$1" dev="$2" label="$3" ps="$4" rc
	echo "@@RUN $label bench irq --device $dev --pass $ps --rounds $ROUNDS $QUICK"
	rm -f /tmp/bench.rc
	{
		timeout 3600 ./bench irq --device "$dev" --driver "$label" \
			--pass "$ps" --rounds "$ROUNDS" $QUICK 2>&1
		echo "$?" >/tmp/bench.rc
	} | tee -a "$RAW"
	rc=$(cat /tmp/bench.rc 2>/dev/null) || rc=255
	if [ "$rc" = 0 ]; then
		result "$drv" "bench.$label.pass$ps" ok
	else
		result "$drv" "bench.$label.pass$ps" fail "exit $rc"
	fi
}

# irq_columns PASS - every column of IRQ_COLUMNS on vtx, then on kvm_intel
irq_columns() {
	local ps="$1" col name params missing f
	for col in $IRQ_COLUMNS; do
		name=${col%%:*}
		params=$(echo "${col#*:}" | tr , ' ')
		# shellcheck disable=SC2086 # the parameters are words
		if missing=$(vtx_missing_param $params); then
			note "@@E vtx.$name $ps na vtx.ko has no parameter $missing"
		elif vtx_load $params; then
			note "@@E vtx.$name $ps params $params"
			f=/sys/module/vtx/parameters/enable_apicv
			[ -r "$f" ] && note "@@E vtx.$name $ps apicv $(cat "$f")"
			irq_one vtx /dev/vtx "vtx.$name" "$ps"
			vtx_unload
		fi
		dmesg_check vtx "dmesg.$name.pass$ps"
		if KVM_INTEL_PARAMS="$params" kvm_load; then
			note "@@E kvm.$name $ps params $params"
			f=/sys/module/kvm_intel/parameters/enable_apicv
			[ -r "$f" ] && note "@@E kvm.$name $ps apicv $(cat "$f")"
			irq_one kvm /dev/kvm "kvm.$name" "$ps"
			kvm_unload
		fi
		dmesg_check kvm "dmesg.$name.pass$ps"
	done
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
# How an idle CPU waits (hlt_wakeup wakes a vCPU thread on one)
echo "# cpuidle: $(cat /sys/devices/system/cpu/cpuidle/current_driver 2>/dev/null)"

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
	if [ "$ONLY" != irq ]; then
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
	fi
	[ "$ONLY" != main ] && irq_columns "$ps"
	ps=$((ps + 1))
done

if [ "$PASSES" -gt 0 ]; then
	echo "@@RUN bench report"
	check report bench.report ./bench report "$RAW"
fi
