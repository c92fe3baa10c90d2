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
#                    printed, so that a failure can be replayed)
#
# 1. the MMIO emulator fuzzer (no VMX needed)
# 2. vtx: the regression tests (first: the FPU defect warns only once per
#    boot), the ioctl fuzzer, the guest fuzzer (with isolation checks),
#    the lifecycle stress (cycle, kill -9, racing threads, create/close),
#    rmmod refused while a VM exists, rmmod after, and a memory-leak check
# 3. kvm_intel: the same binaries on /dev/kvm, the reference
# 4. last, alone on one CPU: the regression test that may crash the kernel
#    (vtx unloaded right after an ioeventfd's RCU callback was queued)
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

if [ "$FZ_SIZE" = long ]; then
	IOCTLS=1000000 GINSNS=200000 CYCLES=1000 KILLS=100 RACE=120 CC=60
	EMU=2000000 KVM_IOCTLS=100000 KVM_GINSNS=50000 KVM_CYCLES=200 T=5400
else
	IOCTLS=50000 GINSNS=20000 CYCLES=200 KILLS=10 RACE=20 CC=10
	EMU=200000 KVM_IOCTLS=10000 KVM_GINSNS=5000 KVM_CYCLES=30 T=900
fi
echo "# fuzz suite: size $FZ_SIZE, seed $FZ_SEED" \
	"(replay: tools/testvm/run.sh --suite fuzz --append" \
	"\"vtxfuzz=$FZ_SIZE vtxfuzz_seed=$FZ_SEED\")"

# fz_run DRIVER NAME CMD... - run a fuzzer under timeout $T, show its
# output; the result is its exit status, the detail its last PASS/FAIL/SHORT
# summary lines (counts achieved, seeds).
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
	case "$rc" in
	0)
		if grep -q '^SHORT:' "$log"; then
			result "$drv" "$name" fail "target not reached: $detail"
		else
			result "$drv" "$name" ok "$detail"
		fi ;;
	124 | 143) result "$drv" "$name" fail "timeout after ${T}s; $detail" ;;
	*) result "$drv" "$name" fail "exit $rc; $detail" ;;
	esac
}

# meminfo_snap FILE - kernel memory figures after dropping caches
meminfo_snap() {
	sync
	echo 3 >/proc/sys/vm/drop_caches 2>/dev/null
	sleep 1
	grep -E '^(MemFree|SUnreclaim|VmallocUsed|PageTables|KernelStack|Percpu|AnonPages|Shmem|Cached|Unevictable):' \
		/proc/meminfo >"$1"
	if [ -r /proc/slabinfo ]; then
		awk 'NR > 2 { print $1, $2 * $4 }' /proc/slabinfo >"$1.slab"
	fi
}

# memleak_check NAME BEFORE AFTER - vtx does not count its own allocations
# yet (a module TODO), so compare the kernel's totals: unreclaimable slab
# and vmalloc must not grow beyond noise, free memory must not shrink.
memleak_check() {
	local name="$1" b="$2" a="$3" detail
	detail=$(awk '
		FNR == NR { v[$1] = $2; next }
		{ d = $2 - v[$1]; printf "%s %+d kB; ", $1, d
		  if ($1 == "SUnreclaim:" && d > 1024) bad = 1
		  if ($1 == "VmallocUsed:" && d > 1024) bad = 1
		  if ($1 == "MemFree:" && d < -4096) bad = 1 }
		END { if (bad) printf "GROWTH" }' "$b" "$a")
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
	VTX_TAP_TIMEOUT=$T run_tap vtx /dev/vtx ./vtx-regress
	dmesg_check vtx dmesg-regress

	fz_run vtx ioctl-fuzz ./vtx-ioctl-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --count "$IOCTLS" --time $((T - 60))
	dmesg_check vtx dmesg-ioctl-fuzz

	fz_run vtx guest-fuzz ./vtx-guest-fuzz --device /dev/vtx \
		--seed "$FZ_SEED" --insns "$GINSNS" --time $(((T - 60) / 3))
	dmesg_check vtx dmesg-guest-fuzz

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
	vtx_unload rmmod-after-vms
fi
dmesg_check vtx dmesg-vtx
meminfo_snap "$FZ_OUT/mem.after"
memleak_check memleak-module "$FZ_OUT/mem.before" "$FZ_OUT/mem.after"

# ------------------------------------------------------------ 3. kvm_intel
if kvm_load; then
	VTX_TAP_TIMEOUT=$T run_tap kvm /dev/kvm ./vtx-regress
	fz_run kvm ioctl-fuzz ./vtx-ioctl-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" --count "$KVM_IOCTLS" --subset vtx \
		--time $((T - 60))
	fz_run kvm guest-fuzz ./vtx-guest-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" --insns "$KVM_GINSNS" --time $(((T - 60) / 3))
	fz_run kvm life-cycle ./vtx-life-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" cycle --iterations "$KVM_CYCLES"
	fz_run kvm life-kill ./vtx-life-fuzz --device /dev/kvm \
		--seed "$FZ_SEED" kill --count 5
	kvm_unload
fi
dmesg_check kvm

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
