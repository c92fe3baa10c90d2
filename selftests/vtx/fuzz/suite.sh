# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "fuzz" suite, run in the test VM by tools/testvm/run.sh --suite fuzz,
# with tools/testvm/vmlib.sh loaded and cwd = /tests (a copy of
# build/selftests/fuzz/, made by selftests/vtx/fuzz/Makefile).
#
# Two sizes, chosen on the kernel command line (run.sh --append):
#   (default)        the short seeded run of `make check`
#   vtxfuzz=long     the long run of `make fuzz`
#   vtxfuzz_seed=N   the run's seed (default 1 short; long: from the clock,
#                    printed, so that a failure can be replayed; `make
#                    fuzz` chooses it on the host and passes it)
#
# 1. the MMIO emulator fuzzer (no VMX needed)
# 2. vtx: the regression tests (one per defect found, kselftest harness;
#    vtx-genl-block: netlink answers while a VM's ioctl waits in a user
#    fault),
#    the ioctl fuzzer, the guest fuzzer (with isolation checks; again
#    with the irqchip; the MMIO differential: each instruction on RAM
#    and on MMIO, results compared), the lifecycle stress (cycle, kill -9, racing
#    threads, create/close, CPU hotplug, irqchip VMs torn down busy),
#    fd_install_race (vtx-fdrace: fds closed by other threads as
#    they are installed), rmmod refused while a VM exists, rmmod after; vtx's own
#    allocation count back to 0 after each phase, and /proc/meminfo and
#    slab figures around the lifecycle stress and the whole phase
# 3. kvm_intel: the MMIO differential; long run only: the same binaries
#    on /dev/kvm (reference)
# 4. last, alone on one CPU: the regression test that crashed the kernel
#    before its fix (vtx unloaded right after an ioeventfd's RCU callback
#    was queued)
# 5. the numbers achieved, and the command that replays the run
# dmesg_check after each phase.  Documentation/vtx/fuzzing.rst has more.

FZ_OUT=${VTX_STATE:-/tmp/vmlib}/fuzz
mkdir -p "$FZ_OUT"

FZ_SIZE=short
FZ_SEED=1
read -r cmdline </proc/cmdline
for a in $cmdline; do
	case "$a" in
	vtxfuzz=long) FZ_SIZE=long ;;
	vtxfuzz_seed=*) FZ_SEED=${a#vtxfuzz_seed=} ;;
	esac
done
if [ "$FZ_SIZE" = long ] && ! grep -q vtxfuzz_seed= /proc/cmdline; then
	FZ_SEED=$(($(date +%s) % 1000000))
fi

# Counts per size.  The short run fits in ~3 minutes of test VM with the
# boot: no kvm_intel reference, small counts (its two largest phases, the
# ioctl and guest fuzzers, halved in session 9 for make check's budget).
# The long one is `make fuzz`.
if [ "$FZ_SIZE" = long ]; then
	IOCTLS=1000000 GINSNS=100000 CYCLES=1000 KILLS=30 RACE=30 CC=15
	HOTPLUG=15 EMU=200000 KVM_REF=1 T=7200 GIRQ=50000 LIRQ=500
	DIFF=50000 KDIFF=5000 KDIFF_T=1200 KDIFF_MODE=all KVM_DIFF=1
	KVM_IOCTLS=20000 KVM_GINSNS=5000 KVM_GTIME=20 KVM_GMODE=real
	KVM_CYCLES=50
	FDRACE="--time 120 --rounds 20000 --hold 256"
else
	IOCTLS=25000 GINSNS=1500 CYCLES=60 KILLS=3 RACE=5 CC=3
	HOTPLUG=3 EMU=20000 KVM_REF=0 T=600 GIRQ=600 LIRQ=12 DIFF=1000
	KDIFF=1000 KDIFF_T=60 KDIFF_MODE=all KVM_DIFF=0
	FDRACE="--time 15 --rounds 3000 --hold 128"
fi
echo "# fuzz suite: size $FZ_SIZE, seed $FZ_SEED" \
	"(replay: tools/testvm/run.sh --suite fuzz --append" \
	"\"vtxfuzz=$FZ_SIZE vtxfuzz_seed=$FZ_SEED\")"

# Any of these in the kernel log fails the phase: oops, BUG, WARN, and what
# slub_debug, KASAN, KFENCE and the lock/RCU checkers print.
VMLIB_BAD_RE="$VMLIB_BAD_RE|Poison overwritten|Redzone overwritten|Object padding|Padding overwritten|Freepointer corrupt|Object already free|KASAN:|KFENCE:|UBSAN:|kernel BUG|list_(add|del) corruption|refcount_t:|soft lockup|blocked for more than|rcu_.*detected stalls|Bad FPU state|unchecked MSR access"

# slub_debug must be on for the long run (make fuzz sets it)
echo "@@RUN vm slub-debug"
if grep -q slub_debug /proc/cmdline; then
	result vm slub-debug ok "$(tr ' ' '\n' </proc/cmdline | grep slub_debug)"
elif [ "$FZ_SIZE" = long ]; then
	result vm slub-debug fail "no slub_debug on the kernel command line"
else
	result vm slub-debug skip "short run without slub_debug"
fi

# fz_run DRIVER NAME CMD... - run a fuzzer under timeout $T, show its
# output; the result is its exit status, the detail its last PASS/FAIL/SHORT
# summary lines (counts achieved, seeds).  A SHORT line (a count target not
# reached in time) fails the result unless FZ_SHORT_OK=1.  FZ_REF_ONLY=1:
# a reference run, whose failure is reported in the detail, not failed.
fz_run() {
	local drv="$1" name="$2" rc detail log
	shift 2
	log="$FZ_OUT/$drv-$name.log"
	echo "@@RUN $drv $name: $*"
	rm -f "$FZ_OUT/rc"
	{
		timeout "$T" "$@" 2>&1
		echo "$?" >"$FZ_OUT/rc"
	} | tee "$log"
	rc=$(cat "$FZ_OUT/rc" 2>/dev/null) || rc=255
	detail=$(grep -E '^(PASS|FAIL|SHORT):' "$log" | tr '\n' ';' | cut -c1-400)
	if [ "${FZ_REF_ONLY:-0}" = 1 ] && [ "$rc" = 1 ]; then
		rc=0
		detail="reference only: $detail"
	fi
	case "$rc" in
	0)
		if grep -q '^SHORT:' "$log" && [ "${FZ_SHORT_OK:-0}" != 1 ]; then
			result "$drv" "$name" fail "seed $FZ_SEED: target not reached: $detail"
		else
			result "$drv" "$name" ok "$detail"
		fi ;;
	124 | 143) result "$drv" "$name" fail "seed $FZ_SEED: timeout after ${T}s; $detail" ;;
	*) result "$drv" "$name" fail "seed $FZ_SEED: exit $rc; $detail" ;;
	esac
}

# meminfo_snap FILE - kernel memory figures after dropping caches and
# giving the slab caches' empty slabs back (thousands of VMs created and
# freed leave them cached per CPU: not a leak, vtx's own count says so)
meminfo_snap() {
	local c
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	for c in /sys/kernel/slab/*/shrink; do
		echo 1 >"$c" 2>/dev/null || :
	done
	sleep 1
	grep -E '^(MemFree|SUnreclaim|VmallocUsed|PageTables|KernelStack|Percpu|AnonPages|Shmem|Cached|Unevictable):' \
		/proc/meminfo >"$1"
	# Free pages waiting in the per-CPU lists are not in MemFree (they
	# come and go by megabytes): count them as free.
	awk '$1 == "count:" { n += $2 } END { printf "PcpFree: %d kB\n", n * 4 }' \
		/proc/zoneinfo >>"$1"
	if [ -r /proc/slabinfo ]; then
		awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$1.slab"
	fi
}

# memleak_check NAME BEFORE AFTER - besides vtx's own count (allocs_check),
# the kernel's totals: unreclaimable slab and vmalloc must not grow beyond
# noise, free memory must not shrink.
memleak_check() {
	local name="$1" b="$2" a="$3" detail
	detail=$(awk '
		FNR == NR { v[$1] = $2; next }
		{ d = $2 - v[$1]; printf "%s %+d kB; ", $1, d
		  if ($1 == "SUnreclaim:" && d > 1024) bad = 1
		  if ($1 == "VmallocUsed:" && d > 1024) bad = 1
		  if ($1 == "MemFree:" || $1 == "PcpFree:") free += d }
		END { printf "free incl. per-CPU lists %+d kB", free
		      if (free < -4096) bad = 1
		      if (bad) printf "GROWTH" }' "$b" "$a")
	if [ -f "$b.slab" ] && [ -f "$a.slab" ]; then
		echo "# slab caches that grew most (bytes):"
		awk 'FNR == NR { v[$1] = $2; next }
		     { d = $2 - v[$1]; if (d > 65536) print "#   " $1, d }' \
			"$b.slab" "$a.slab" | sort -k3 -n -r | head -n 10
	fi
	case "$detail" in
	*GROWTH) result vtx "$name" fail "${detail%GROWTH}" ;;
	*) result vtx "$name" ok "$detail" ;;
	esac
}

# allocs_check NAME - vtx counts what it allocates for VMs (VMs, vCPUs,
# VMCS, EPT pages, dirty bitmaps, CPUID tables, ioeventfds, pinned pages):
# with no VM left the count must come back to 0 (a VM dies when its last
# fd closes; a killed process may take a moment).
allocs_check() {
	local name="$1" p=/sys/module/vtx/parameters n=x i=0
	echo "@@RUN vtx $name"
	if [ ! -r "$p/allocs" ]; then
		result vtx "$name" fail "no $p/allocs"
		return
	fi
	while [ "$i" -lt 20 ]; do
		n=$(cat "$p/allocs")
		[ "$n" = 0 ] && break
		sleep 1
		i=$((i + 1))
	done
	if [ "$n" = 0 ]; then
		result vtx "$name" ok "allocs 0"
	else
		result vtx "$name" fail "seed $FZ_SEED: allocs $n ($(cat "$p/allocs_detail")) with no VM left"
	fi
}

# fz_paging - what vtx translates guest memory with (its ept parameter);
# with ept=0 asked (VTX_MODPARAMS, make check-shadow) the vtx phases must
# run on shadow page tables, or the run tests EPT a second time.
fz_paging() {
	local e
	e=$(cat /sys/module/vtx/parameters/ept 2>/dev/null) || e='?'
	case " ${VTX_MODPARAMS:-} " in
	*" ept=0 "* | *" ept=N "* | *" ept=n "*)
		if [ "$e" = N ]; then
			result vtx paging ok "ept=N: shadow page tables"
		else
			result vtx paging fail "ept=0 asked, the module says ept=$e"
		fi ;;
	*) result vtx paging ok "ept=$e" ;;
	esac
}

# fz_iso_probe NAME - the guest fuzzer's check of its isolation check (a
# paging guest's write beside a slot caught, a write after a slot's
# delete not landed: fz_gfuzz.c, isolation_probe()), from its log, with
# the paging it ran on.
fz_iso_probe() {
	local l
	l=$(grep -m1 -E '^(PASS|FAIL): isolation-probe' "$FZ_OUT/vtx-$1.log")
	case "$l" in
	PASS:*) result vtx "$1-isolation-probe" ok "${l#PASS: isolation-probe }" ;;
	FAIL:*) result vtx "$1-isolation-probe" fail "${l#FAIL: isolation-probe }" ;;
	*) result vtx "$1-isolation-probe" fail "no isolation-probe line in its log" ;;
	esac
}

# a memory cgroup for vtx-regress's accounting test
if [ ! -f /sys/fs/cgroup/cgroup.controllers ]; then
	mount -t cgroup2 none /sys/fs/cgroup 2>/dev/null
fi
echo +memory >/sys/fs/cgroup/cgroup.subtree_control 2>/dev/null
mkdir -p /sys/fs/cgroup/vtxfuzz 2>/dev/null

# ------------------------------------------------------------ 1. emulator
fz_run vtx emu-fuzz ./vtx-emu-fuzz --seed "$FZ_SEED" --count "$EMU"

# ------------------------------------------------------------------ 2. vtx
meminfo_snap "$FZ_OUT/mem.before"
if vtx_load; then
	fz_paging
	VTX_TAP_TIMEOUT=$T run_tap vtx /dev/vtx ./vtx-regress
	dmesg_check vtx dmesg-regress
	VTX_TAP_TIMEOUT=$T run_tap vtx /dev/vtx ./vtx-genl-block
	dmesg_check vtx dmesg-genl-block
	allocs_check allocs-after-regress

	fz_run vtx ioctl-fuzz ./vtx-ioctl-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --count "$IOCTLS" --time $((T - 60))
	dmesg_check vtx dmesg-ioctl-fuzz
	allocs_check allocs-after-ioctl-fuzz

	fz_run vtx guest-fuzz ./vtx-guest-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --insns "$GINSNS" --time $(((T - 60) / 3))
	fz_iso_probe guest-fuzz
	dmesg_check vtx dmesg-guest-fuzz
	allocs_check allocs-after-guest-fuzz

	# the same with the interrupt controllers in the kernel
	fz_run vtx guest-fuzz-irq ./vtx-guest-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --insns "$GIRQ" --irqchip --time $(((T - 60) / 3))
	dmesg_check vtx dmesg-guest-fuzz-irq
	allocs_check allocs-after-guest-fuzz-irq

	# the MMIO differential: each instruction run on RAM by the
	# processor and on MMIO by the emulator, the results compared
	fz_run vtx guest-diff ./vtx-guest-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --diff "$DIFF" --time $(((T - 60) / 3))
	dmesg_check vtx dmesg-guest-diff
	allocs_check allocs-after-guest-diff

	# the lifecycle stress, between two memory snapshots (after a warm-up)
	./vtx-life-fuzz --device /dev/vtx --seed 7 cycle --iterations 20 >/dev/null
	meminfo_snap "$FZ_OUT/mem.life0"
	fz_run vtx life-cycle ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" cycle --iterations "$CYCLES"
	fz_run vtx life-kill ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" kill --count "$KILLS"
	fz_run vtx life-race ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" race --time "$RACE"
	fz_run vtx life-createclose ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" createclose --time "$CC"
	fz_run vtx life-hotplug ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" hotplug --time "$HOTPLUG"
	# VMs destroyed with armed LAPIC timers and PIT, irqfds being written
	fz_run vtx life-irq ./vtx-life-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" irq --iterations "$LIRQ"
	allocs_check allocs-after-life-irq
	# shellcheck disable=SC2086 # FDRACE is a list of options
	fz_run vtx fd_install_race ./vtx-fdrace --device /dev/vtx \
		--seed "$FZ_SEED" $FDRACE
	allocs_check allocs-after-lifecycle
	meminfo_snap "$FZ_OUT/mem.life1"
	memleak_check memleak-lifecycle "$FZ_OUT/mem.life0" "$FZ_OUT/mem.life1"
	dmesg_check vtx dmesg-life

	# rmmod must fail while a VM exists, and work once it is gone
	echo "@@RUN vtx rmmod-refused-with-vm"
	./vtx-life-fuzz --device /dev/vtx hold >"$FZ_OUT/hold.log" 2>&1 &
	hold=$!
	i=0
	while ! grep -q holding "$FZ_OUT/hold.log" && [ "$i" -lt 120 ]; do
		sleep 1
		i=$((i + 1))
	done
	if ! grep -q holding "$FZ_OUT/hold.log"; then
		result vtx rmmod-refused-with-vm fail "no VM to hold: $(cat "$FZ_OUT/hold.log")"
	elif out=$(rmmod vtx 2>&1); then
		result vtx rmmod-refused-with-vm fail "rmmod vtx succeeded while a VM was open"
		vtx_load
	else
		result vtx rmmod-refused-with-vm ok "$out"
	fi
	kill "$hold" 2>/dev/null
	wait "$hold"
	allocs_check allocs-before-rmmod
	vtx_unload rmmod-after-vms
fi
dmesg_check vtx dmesg-vtx
meminfo_snap "$FZ_OUT/mem.after"
memleak_check memleak-module "$FZ_OUT/mem.before" "$FZ_OUT/mem.after"

# ------------------------------------------------------------ 3. kvm_intel
# The MMIO differential in both sizes: KVM's emulator against the same
# processor, the same instructions (fewer: kvm_intel is slower in Bochs;
# its emulation gaps, e.g. MOVBE with 66H, reported but not failed; a
# reference: its differences are reported, not failed).  All three modes
# in both sizes since the guest page tables have a writable slot (with
# read-only ones kvm_intel's EPT A/D flags made KVM emulate every
# instruction of its paging modes: fuzzing.rst, case 858).  In make fuzz
# only since session 14 (KVM_DIFF): it tests kvm_intel, not vtx, and cost
# make check ~100 s of Bochs CPU.
if [ "$KVM_DIFF" = 1 ] && kvm_load; then
	FZ_REF_ONLY=1 FZ_SHORT_OK=1 fz_run kvm guest-diff ./vtx-guest-fuzz \
		--device /dev/kvm --seed "$FZ_SEED" --diff "$KDIFF" \
		--time "$KDIFF_T" --mode "$KDIFF_MODE" --diff-gaps-ok
	kvm_unload
	dmesg_check kvm dmesg-guest-diff
fi
if [ "$KVM_REF" = 1 ] && kvm_load; then
	VTX_TAP_TIMEOUT=$T run_tap kvm /dev/kvm ./vtx-regress
	VTX_TAP_TIMEOUT=$T run_tap kvm /dev/kvm ./vtx-genl-block
	fz_run kvm ioctl-fuzz ./vtx-ioctl-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" --count "$KVM_IOCTLS" --subset vtx \
		--time $((T - 60))
	# KVM intercepts #DB (every single step exits) and, with EPT A/D
	# bits, takes every guest page walk through the read-only page tables
	# as a write: slow in Bochs, hence a time limit per mode (and only
	# real mode in the short run)
	FZ_SHORT_OK=1 fz_run kvm guest-fuzz ./vtx-guest-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" --insns "$KVM_GINSNS" --time "$KVM_GTIME" \
		--mode "$KVM_GMODE"
	fz_run kvm life-cycle ./vtx-life-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" cycle --iterations "$KVM_CYCLES"
	fz_run kvm life-kill ./vtx-life-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" kill --count 5
	FZ_SHORT_OK=1 fz_run kvm guest-fuzz-irq ./vtx-guest-fuzz \
		--device /dev/kvm --seed "$FZ_SEED" --insns "$KVM_GINSNS" \
		--irqchip --time "$KVM_GTIME" --mode "$KVM_GMODE"
	fz_run kvm life-irq ./vtx-life-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" irq --iterations 50
	fz_run kvm fd_install_race ./vtx-fdrace --device /dev/kvm \
		--seed "$FZ_SEED" --time 20 --rounds 5000
	kvm_unload
	dmesg_check kvm
fi

# ----------------------------------------- 4. the one that may crash: last
# One CPU online: synchronize_rcu() in the module loader is then a no-op,
# and a call_rcu() callback into the freed module runs afterwards.
for c in /sys/devices/system/cpu/cpu[1-9]*/online; do
	[ -f "$c" ] && echo 0 >"$c" 2>/dev/null
done
if vtx_load; then
	echo "# if the kernel panics now, vtx-regress.ioeventfd_rcu_then_rmmod failed"
	VTX_TAP_TIMEOUT=120 run_tap vtx /dev/vtx ./vtx-regress --rmmod-rcu
	# vtx-regress unloaded vtx itself; unload it if it could not
	[ -d /sys/module/vtx ] && vtx_unload rmmod-rcu-cleanup
fi
dmesg_check vtx dmesg-end

# ------------------------------------------------------------- 5. numbers
# What this run achieved, from the programs' own summary lines.
fz_line() {
	grep -h "$2" "$FZ_OUT/$1.log" 2>/dev/null | tail -n 1
}
echo "# ===== fuzz numbers: size $FZ_SIZE, seed $FZ_SEED ====="
echo "#   emulator:    $(fz_line vtx-emu-fuzz '^# emulator:' | cut -c3-)"
echo "#   ioctl calls: $(fz_line vtx-ioctl-fuzz '^# ioctls ' | cut -c3-)"
for m in real prot32 long64; do
	echo "#   guest $m: $(fz_line vtx-guest-fuzz "^[A-Z]*: guest-fuzz mode=$m " |
		sed 's/.*insns=\([0-9]*\) iters=\([0-9]*\).*/\1 instructions, \2 iterations/')"
done
echo "#   guest fuzz:  $(fz_line vtx-guest-fuzz '^[A-Z]*: guest-fuzz seed=')"
for m in real prot32 long64; do
	echo "#   guest irqchip $m: $(fz_line vtx-guest-fuzz-irq "^[A-Z]*: guest-fuzz mode=$m " |
		sed 's/.*insns=\([0-9]*\) iters=\([0-9]*\).*/\1 instructions, \2 iterations/')"
done
echo "#   guest irqchip: $(fz_line vtx-guest-fuzz-irq '^[A-Z]*: guest-fuzz seed=')"
for d in vtx kvm; do
	grep -h '^# diff mode ' "$FZ_OUT/$d-guest-diff.log" 2>/dev/null |
		sed "s/^# diff mode/#   MMIO differential $d:/"
	echo "#   MMIO differential $d: $(fz_line "$d-guest-diff" '^[A-Z]*: guest-diff seed=')"
done
echo "#   irqchip ioctls: $(fz_line vtx-ioctl-fuzz '^# interrupt-controller ioctls' | cut -c3-)"
for t in cycle kill race createclose hotplug irq; do
	echo "#   life $t: $(fz_line "vtx-life-$t" "^# $t:" | cut -c3-)"
done
echo "#   fd race: $(fz_line vtx-fd_install_race '^# fd_install_race:' | cut -c20-)"
echo "#   replay: tools/testvm/run.sh --suite fuzz --append \"vtxfuzz=$FZ_SIZE vtxfuzz_seed=$FZ_SEED\""
