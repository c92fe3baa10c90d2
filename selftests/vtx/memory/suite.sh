# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "memory" suite, run in the test VM by tools/testvm/run.sh --suite
# memory, with tools/testvm/vmlib.sh loaded and cwd = /tests (a copy of
# build/selftests/memory/, made by selftests/vtx/memory/Makefile).
#
# 1. vtx: every test binary on /dev/vtx.
# 2. kvm_intel: the same binaries on /dev/kvm, the reference.
# Results: drivers "vtx" and "kvm".
#
#   memslot_test       KVM_CAP_NR_MEMSLOTS slots; add, delete, move, refused
#                      changes while the VM lives; KVM_MEM_READONLY
#   dirty_log_test     KVM_MEM_LOG_DIRTY_PAGES + KVM_GET_DIRTY_LOG
#   mmu_notifier_test  MADV_DONTNEED, remap, mremap under a stopped VM;
#                      a 2 MiB transparent-huge-page slot
#   ept_large_test     2 MiB EPT leaves only where the VMM maps 2 MiB:
#                      partial munmap/MADV_DONTNEED/mremap of a THP,
#                      slot windows of a THP, hugetlbfs
#   mmio_test          KVM_EXIT_MMIO: the instruction matrix in real,
#                      protected and long mode; the state at MMIO exits
#   memslot_race_test  a slot deleted and re-added while a vCPU faults in
#                      it: no stale leaf, no pin left

TESTS="memslot_test dirty_log_test mmu_notifier_test mmio_test ept_large_test memslot_race_test"
# MEMORY_TESTS (kernel command line, comma-separated) runs only those.
[ -n "${MEMORY_TESTS:-}" ] && TESTS=$(echo "$MEMORY_TESTS" | tr ',' ' ')

# Knobs (kernel command line, run.sh --append):
#   MEMORY_KVM_RACE_SECONDS  test-VM seconds of each memslot_race_test run
#                            on kvm_intel, the reference (default: the
#                            test's own 10, as on vtx; make check: 3)
: "${MEMORY_KVM_RACE_SECONDS=}"

# KVM creates 32764 memslots in memslot_test: give a binary time.
export VTX_TAP_TIMEOUT=1200

run_all() {
	local drv="$1" dev="$2" t
	for t in $TESTS; do
		run_tap "$drv" "$dev" "$t"
	done
}

echo "# transparent_hugepage: $(cat /sys/kernel/mm/transparent_hugepage/enabled 2>/dev/null)," \
	"defrag: $(cat /sys/kernel/mm/transparent_hugepage/defrag 2>/dev/null)"
echo "# $(grep -E 'MemTotal|MemFree' /proc/meminfo | tr -s ' \n' ' ')"

# 1. vtx
if vtx_load; then
	run_all vtx /dev/vtx
	vtx_unload
fi
dmesg_check vtx

# 2. kvm_intel
if kvm_load; then
	if [ -n "$MEMORY_KVM_RACE_SECONDS" ]; then
		export MEMSLOT_RACE_SECONDS="$MEMORY_KVM_RACE_SECONDS"
	fi
	run_all kvm /dev/kvm
	unset MEMSLOT_RACE_SECONDS
	kvm_unload
fi
dmesg_check kvm
