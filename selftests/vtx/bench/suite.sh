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
# Then shadow paging beside EPT (`bench shadow`: pf_first_touch,
# cr3_switch) once per column of SHADOW_COLUMNS, like the interrupt paths:
# ept (no parameter) and ept0 (vtx and kvm_intel loaded with ept=0).
#
# Then, in pass 1 only, the nested Linux guest (`bench linux`, the /init
# of linux-init.c; not with bench.quick=1 unless bench.only names it): the
# test VM's own kernel with 1 vCPU, 256 MiB, a 16 MiB virtio-blk disk (a
# file in the test VM's RAM) and a virtio-net NIC on the tap benchtap0
# (10.0.0.1/24; vtxnet is the TCP server), booted LINUX_ROUNDS times per
# column: vtxctl (vtxctl run --kernel), qemu (Debian's QEMU 7.2, -M pc,
# virtio-blk-pci, virtio-net-pci, its default in-kernel irqchip), each on
# vtx and on kvm_intel, and vtxctl-ept0 (vtxctl with both drivers loaded
# with ept=0).  Its table: boot time to /init, disk write and read MB/s,
# TCP MB/s, fork+exit in the guest.
#
# Kernel command line (run.sh --append): bench.quick=1 for a short smoke
# run, bench.rounds=N (default 7), bench.passes=N (default 2), bench.trace=1
# to print every exit of a few short guest loops instead (debugging),
# bench.only=LIST (comma-separated: main, irq, shadow, linux) for some of
# the tables, bench.linux_rounds=N boots per Linux column (default 1),
# bench.linux_cols=LIST (vtxctl,qemu,vtxctl-ept0: some of them),
# bench.linux_timeout=S (test-VM seconds per boot, default 120),
# bench.linux_forks=N (the fork+exit loop, default 1000),
# bench.qemu_cpu=MODEL (QEMU's -cpu, default host,kvm=off as in the qemu
# suite).

RAW=/tmp/bench.raw
: >"$RAW"
# kvm_intel as shipped: kvm.ko's own halt_poll_ns (vmlib.sh sets 0 in the
# test VM for the functional suites)
export KVM_HALT_POLL_NS=''

# NAME:PARAM[,PARAM...] per column of the interrupt-path table (default:
# no parameter)
IRQ_COLUMNS="default: apicv1:enable_apicv=1 apicv0:enable_apicv=0"
# NAME:PARAM[,PARAM...] per column of the shadow-paging table
SHADOW_COLUMNS="ept: ept0:ept=0"
# The nested Linux guest: VMM:PARAM[,PARAM...] per column, the work of
# its /init (linux-init.c), the boots per column
LINUX_COLUMNS="vtxctl: qemu: vtxctl-ept0:ept=0"
LINUX_DISK_MIB=16
LINUX_NET_BYTES=4194304
LINUX_FORKS=1000
LINUX_ROUNDS=1
# test-VM seconds per boot (an EPT boot with its work: about 15)
LINUX_TIMEOUT=120
LINUX_COLS=''
QEMU_CPU=host,kvm=off
# The same kernel command line under every VMM (the qemu suite's: no
# crypto self-tests, no W+X walks, no page-table isolation)
LINUX_APPEND="console=ttyS0 reboot=k panic=1 quiet nokaslr cryptomgr.notests=1 nopti rodata=off bench.disk=1 bench.net=$LINUX_NET_BYTES"

ROUNDS=7 PASSES=2 QUICK='' TRACE='' ONLY=''
# shellcheck disable=SC2013 # words, not lines
for arg in $(cat /proc/cmdline); do
	case "$arg" in
	bench.rounds=*) ROUNDS=${arg#*=} ;;
	bench.passes=*) PASSES=${arg#*=} ;;
	bench.quick=1) QUICK=--quick ;;
	bench.trace=1) TRACE=1 ;;
	bench.only=*) ONLY=${arg#*=} ;;
	bench.linux_rounds=*) LINUX_ROUNDS=${arg#*=} ;;
	bench.linux_cols=*) LINUX_COLS=${arg#*=} ;;
	bench.linux_timeout=*) LINUX_TIMEOUT=${arg#*=} ;;
	bench.linux_forks=*) LINUX_FORKS=${arg#*=} ;;
	bench.qemu_cpu=*) QEMU_CPU=${arg#*=} ;;
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

# col_one CMD DRIVER DEVICE LABEL PASS - bench CMD (irq or shadow), output
# to the log and $RAW
col_one() {
	local cmd="$1" drv="$2" dev="$3" label="$4" ps="$5" rc
	echo "@@RUN $label bench $cmd --device $dev --pass $ps --rounds $ROUNDS $QUICK"
	rm -f /tmp/bench.rc
	{
		timeout 3600 ./bench "$cmd" --device "$dev" --driver "$label" \
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

# columns CMD PASS COLUMNS - every column of COLUMNS (NAME:PARAM[,PARAM...])
# on vtx, then on kvm_intel, each loaded with the column's parameters:
# bench CMD (irq or shadow) under the labels vtx.NAME and kvm.NAME
columns() {
	local cmd="$1" ps="$2" col name params missing f
	for col in $3; do
		name=${col%%:*}
		params=$(echo "${col#*:}" | tr , ' ')
		# shellcheck disable=SC2086 # the parameters are words
		if missing=$(vtx_missing_param $params); then
			note "@@E vtx.$name $ps na vtx.ko has no parameter $missing"
			note "@@E vtx.$name $ps table $cmd"
		elif vtx_load $params; then
			note "@@E vtx.$name $ps params $params"
			note "@@E vtx.$name $ps table $cmd"
			f=/sys/module/vtx/parameters/enable_apicv
			[ "$cmd" = irq ] && [ -r "$f" ] && note "@@E vtx.$name $ps apicv $(cat "$f")"
			col_one "$cmd" vtx /dev/vtx "vtx.$name" "$ps"
			vtx_unload
		fi
		dmesg_check vtx "dmesg.$name.pass$ps"
		if KVM_INTEL_PARAMS="$params" kvm_load; then
			note "@@E kvm.$name $ps params $params"
			note "@@E kvm.$name $ps table $cmd"
			f=/sys/module/kvm_intel/parameters/enable_apicv
			[ "$cmd" = irq ] && [ -r "$f" ] && note "@@E kvm.$name $ps apicv $(cat "$f")"
			col_one "$cmd" kvm /dev/kvm "kvm.$name" "$ps"
			kvm_unload
		fi
		dmesg_check kvm "dmesg.$name.pass$ps"
	done
}

# in_list LIST ITEM - is ITEM in the comma-separated LIST?
in_list() {
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

# want TABLE - is TABLE (main, irq, shadow, linux) to run?  Every table
# without bench.only, but the Linux boots not with bench.quick=1.
want() {
	if [ -n "$ONLY" ]; then
		in_list "$ONLY" "$1"
	else
		[ "$1" != linux ] || [ -z "$QUICK" ]
	fi
}

# linux_setup - the test VM's side of the nested Linux guest, once: tun,
# tap and vhost from hostmods/ (linux-prepare.sh), the tap benchtap0, the
# disk file, QEMU's loader.
LINUX_DISK=/tmp/bench-disk.img
linux_setup() {
	local m
	if [ ! -f linux-vmlinuz ] || [ ! -x vtxnet ]; then
		result linux bench.linux-setup skip "no linux-vmlinuz or vtxnet: make -C selftests/vtx/bench BENCH_LINUX=1 (bench.sh does)"
		return 1
	fi
	for m in hostmods/*.ko; do
		[ -f "$m" ] || continue
		insmod "$m" 2>/tmp/bench.insmod || grep -q 'File exists' /tmp/bench.insmod ||
			cat /tmp/bench.insmod
	done
	if ! ./vtxnet tap benchtap0 10.0.0.1; then
		result linux bench.linux-setup fail "no tap benchtap0"
		return 1
	fi
	dd if=/dev/zero of="$LINUX_DISK" bs=1048576 count="$LINUX_DISK_MIB" 2>/dev/null
	if [ ! -e /lib64/ld-linux-x86-64.so.2 ] && [ -e qemu/lib/ld-linux-x86-64.so.2 ]; then
		mkdir -p /lib64
		ln -s "$PWD/qemu/lib/ld-linux-x86-64.so.2" /lib64/ld-linux-x86-64.so.2
	fi
	echo "# nested Linux: $(tr '\n' ';' <qemu/VERSIONS 2>/dev/null)"
	result linux bench.linux-setup ok "tap benchtap0 10.0.0.1/24, ${LINUX_DISK_MIB} MiB disk"
}

# linux_boots DRIVER DEVICE VMM LABEL - LINUX_ROUNDS boots under VMM
# (vtxctl or qemu) on DEVICE, the @@B lines of the label's rounds
linux_boots() {
	local drv="$1" dev="$2" vmm="$3" label="$4" r=1 n srv rc log out append
	out=/tmp/bench.linux.$label
	: >"$out"
	while [ "$r" -le "$LINUX_ROUNDS" ]; do
		log=/tmp/bench.console.$label.$r
		./vtxnet serve 5001 1 >/tmp/bench.srv 2>&1 &
		srv=$!
		n=0
		while ! grep -q VTXNET-LISTEN /tmp/bench.srv && [ "$n" -lt 30 ]; do
			sleep 1
			n=$((n + 1))
		done
		dd if=/dev/zero of="$LINUX_DISK" bs=1048576 count="$LINUX_DISK_MIB" 2>/dev/null
		append="$LINUX_APPEND bench.forks=$LINUX_FORKS"
		if [ "$vmm" = qemu ]; then
			echo "@@RUN $label linux $r: qemu-system-x86_64 ($dev as /dev/kvm)"
			./bench linux --log "$log" --timeout "$LINUX_TIMEOUT" -- \
				env LD_LIBRARY_PATH="$PWD/qemu/lib" qemu/qemu-system-x86_64 \
				-L qemu/fw -accel kvm -cpu "$QEMU_CPU" -M pc -m 256 -smp 1 \
				-nographic -vga none -no-reboot \
				-kernel linux-vmlinuz -initrd linux-init.cpio.gz \
				-append "$append" \
				-drive "file=$LINUX_DISK,if=none,id=vd0,format=raw" \
				-device virtio-blk-pci,drive=vd0 \
				-netdev tap,id=n0,ifname=benchtap0,script=no,downscript=no \
				-device virtio-net-pci,netdev=n0,romfile= | tee "$out.$r"
		else
			echo "@@RUN $label linux $r: vtxctl run --kernel on $dev"
			./bench linux --log "$log" --timeout "$LINUX_TIMEOUT" -- \
				vtxctl run --kernel linux-vmlinuz --initrd linux-init.cpio.gz \
				--cpus 1 --mem 256M --append "$append" \
				--disk "$LINUX_DISK" --net tap=benchtap0 --virtio pci \
				--device "$dev" --timeout "$LINUX_TIMEOUT" | tee "$out.$r"
		fi
		rc=0
		grep -q '^BENCH-STATUS .* done=1' "$out.$r" || rc=1
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		sed 's/^/  srv| /' /tmp/bench.srv
		cat "$out.$r" >>"$out"
		if [ "$rc" = 0 ]; then
			result "$drv" "bench.$label.linux$r" ok "$(grep '^BENCH-RESULT' "$out.$r" | cut -d' ' -f2- | tr '\n' ' ')"
		else
			result "$drv" "bench.$label.linux$r" fail "$(grep '^BENCH-STATUS' "$out.$r")"
		fi
		r=$((r + 1))
	done
	# one @@B line per case: the rounds' values
	awk -v l="$label" '$1 == "BENCH-RESULT" { v[$2] = v[$2] " " $3; n[$2]++ }
		END { for (c in v) print "@@B " l " 1 " c " " n[c] v[c] }' "$out" |
		tee -a "$RAW"
}

# linux_columns - every column of LINUX_COLUMNS (or bench.linux_cols) on
# vtx, then on kvm_intel, each loaded with the column's parameters
linux_columns() {
	local col name vmm params dev
	linux_setup || return 0
	for col in $LINUX_COLUMNS; do
		name=${col%%:*}
		vmm=${name%%-*}
		params=$(echo "${col#*:}" | tr , ' ')
		[ -z "$LINUX_COLS" ] || in_list "$LINUX_COLS" "$name" || continue
		# shellcheck disable=SC2086 # the parameters are words
		if vtx_load $params; then
			note "@@E vtx.$name 1 params $params"
			note "@@E vtx.$name 1 table linux"
			# QEMU opens /dev/kvm by name: made a vtx node
			if [ "$vmm" != qemu ]; then
				linux_boots vtx /dev/vtx "$vmm" "vtx.$name"
			elif vtx_devnode_as_kvm /dev/kvm; then
				linux_boots vtx /dev/kvm "$vmm" "vtx.$name"
			else
				result vtx "bench.vtx.$name" fail "could not make /dev/kvm a vtx node"
			fi
			vtx_unload
		fi
		dmesg_check vtx "dmesg.linux.$name"
		if KVM_INTEL_PARAMS="$params" kvm_load; then
			note "@@E kvm.$name 1 params $params"
			note "@@E kvm.$name 1 table linux"
			linux_boots kvm /dev/kvm "$vmm" "kvm.$name"
			kvm_unload
		fi
		dmesg_check kvm "dmesg.linux.$name"
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
	if want main; then
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
	want irq && columns irq "$ps" "$IRQ_COLUMNS"
	want shadow && columns shadow "$ps" "$SHADOW_COLUMNS"
	[ "$ps" = 1 ] && want linux && linux_columns
	ps=$((ps + 1))
done

if [ "$PASSES" -gt 0 ]; then
	echo "@@RUN bench report"
	check report bench.report ./bench report "$RAW"
fi
