# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "foundation" suite, run in the test VM by tools/testvm/run.sh
# --suite foundation, with tools/testvm/vmlib.sh loaded and cwd = /tests
# (a copy of build/selftests/foundation/).
#
# 1. vtx alone: every test binary on /dev/vtx, then hello_kvm (a plain KVM
#    program that opens "/dev/kvm" by name) with /dev/kvm pointing at vtx.
# 2. kvm_intel alone: the same binaries on /dev/kvm, the reference.
# 3. both loaded: mixed/ebusy_test (only one may own VMX at a time).
# 4. vtx loaded and unloaded a second time, with a run in between.
# Results: drivers "vtx", "kvm", "mixed" and "vtx2" (the second load).
#
# The kernel decides who may own VMX (Documentation/vtx/design.rst,
# "Supported kernels"): from 7.0 its x86/virt code does and lends VMX to
# KVM only, so vtx loads but refuses every VM: steps 1 and 4 then check
# that refusal (mixed/ebusy_test's vtx_refused) instead of running guests.
# On 6.12, where kvm_intel holds VMX from load, step 3 runs a second time
# with kvm.enable_virt_at_load=0 (driver "mixed-lazy").
case "$(uname -r)" in
[0-6].*) vtx_vms=1 ;;
*) vtx_vms=0 ;;
esac

# Harness binaries, run on either device
TESTS="api_test modes_test runctl_test"

run_all() {
	local drv="$1" dev="$2" t
	for t in $TESTS; do
		run_tap "$drv" "$dev" "$t"
	done
}

# hello_kvm DRIVER - run the plain KVM program on whatever /dev/kvm is.
hello_kvm() {
	check "$1" hello_kvm timeout 120 ./kvm_only/hello_kvm
}

# vtx_refused DRIVER - vtx is loaded: every VM refused, the reason logged
vtx_refused() {
	run_tap "$1" /dev/vtx mixed/ebusy_test --kvm "${2:-none}"
	check "$1" refusal-logged sh -c \
		"dmesg | grep -q 'vtx: VMX is owned by this kernel.s x86/virt code'"
}

# kvm_load_lazy - kvm_intel with kvm.enable_virt_at_load=0 (6.12)
kvm_load_lazy() {
	if [ -n "$KMOD_DIR" ]; then
		insmod "$KMOD_DIR/irqbypass.ko" 2>/dev/null
		insmod "$KMOD_DIR/kvm.ko" enable_virt_at_load=0 || return 1
	else
		modprobe kvm enable_virt_at_load=0 || return 1
	fi
	kvm_load
}

# 1. vtx
if [ "$vtx_vms" = 0 ]; then
	if vtx_load; then
		vtx_refused vtx
		vtx_unload
	fi
elif vtx_load; then
	run_all vtx /dev/vtx
	if vtx_devnode_as_kvm /dev/kvm; then
		hello_kvm vtx
	else
		result vtx hello_kvm fail "could not make /dev/kvm a vtx node"
	fi
	# vtx_unload removes the /dev/kvm node it made
	vtx_unload
fi
dmesg_check vtx

# 2. kvm_intel, then 3. both
if kvm_load; then
	run_all kvm /dev/kvm
	hello_kvm kvm
	if vtx_load; then
		run_tap mixed /dev/vtx mixed/ebusy_test --kvm /dev/kvm
		check mixed refusal-logged sh -c \
			"dmesg | grep -qE 'vtx: VMX (already enabled on CPU|is owned by)'"
		vtx_unload rmmod-with-kvm
	fi
	lazy=0
	[ -e /sys/module/kvm/parameters/enable_virt_at_load ] && [ "$vtx_vms" = 1 ] && lazy=1
	kvm_unload
	if [ "$lazy" = 1 ] && kvm_load_lazy && vtx_load; then
		run_tap mixed-lazy /dev/vtx mixed/ebusy_test --kvm /dev/kvm
		vtx_unload rmmod-with-kvm-lazy
		kvm_unload rmmod-lazy
	fi
fi
dmesg_check kvm

# 4. load, use and unload vtx once more
if [ "$vtx_vms" = 0 ]; then
	if vtx_load; then
		vtx_refused vtx2
		vtx_unload rmmod-second
	fi
elif vtx_load; then
	run_tap vtx2 /dev/vtx api_test
	vtx_unload rmmod-second
fi
dmesg_check vtx dmesg-end
