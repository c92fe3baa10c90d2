# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "vcpu" suite, run in the test VM by tools/testvm/run.sh --suite vcpu
# (2 CPUs, testvm.conf), with tools/testvm/vmlib.sh loaded and cwd =
# /tests (a copy of build/selftests/vcpu/, made by selftests/vtx/vcpu/Makefile).
#
# The same test binaries on both drivers, the reference first so that its
# results are there even if a vtx failure takes the test VM down:
# 1. kvm_intel alone, on /dev/kvm;
# 2. vtx alone, on /dev/vtx (with APICv where the processor has it).
# Results: drivers "kvm" and "vtx".

# VCPU_TESTS (kernel command line, comma-separated) runs only those.
TESTS="cpuid_test msr_test fpu_test ctlregs_test tsc_test exception_test
irq_test hypercall_test smp_test serial_test umip_test wbinvd_test
excdeliv_test kick_test apic_test irq_routing_test irqfd_lifetime_test
irqchip_test pit_test caps_test apicv_test pv_test msr_exit_test ucna_test
smi_test paging_test tlb_test rmode_test"
[ -n "${VCPU_TESTS:-}" ] && TESTS=$(echo "$VCPU_TESTS" | tr ',' ' ')

# What the tests run on: CPUs and the features the guests use.
environment() {
	local f
	echo "# $(grep -c ^processor /proc/cpuinfo) CPUs online"
	for f in vmx avx xsave xsaveopt rdtscp fsgsbase pcid; do
		if grep -m1 '^flags' /proc/cpuinfo | grep -qw "$f"; then
			echo "# cpu flag $f: yes"
		else
			echo "# cpu flag $f: no"
		fi
	done
}

run_all() {
	local drv="$1" dev="$2" t
	for t in $TESTS; do
		run_tap "$drv" "$dev" "$t"
	done
}

environment

# 1. kvm_intel, the reference
if kvm_load; then
	echo "# kvm_intel nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null)"
	run_all kvm /dev/kvm
	kvm_unload
fi
dmesg_check kvm

# 2. vtx
if vtx_load; then
	run_all vtx /dev/vtx
	vtx_unload
fi
dmesg_check vtx

# 3. vtx in the other APICv mode: step 2 ran with APICv where the
# processor has it (vtx's default), this runs the interrupt-controller
# tests with enable_apicv=0 (issue 16: both modes).  VCPU_APICV=0 (kernel
# command line) skips it.
if [ "${VCPU_APICV:-1}" = 1 ] && vtx_load enable_apicv=0; then
	for t in apic_test apicv_test irq_routing_test irqfd_lifetime_test \
		irqchip_test pit_test; do
		# with VCPU_TESTS, only those of them
		case " $(echo "$TESTS" | tr '\n' ' ') " in
		*" $t "*) run_tap vtx-noapicv /dev/vtx "$t" ;;
		esac
	done
	vtx_unload noapicv-rmmod
	dmesg_check vtx-noapicv
fi
