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

# 1. vtx
if vtx_load; then
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
		vtx_unload rmmod-with-kvm
	fi
	kvm_unload
fi
dmesg_check kvm

# 4. load, use and unload vtx once more
if vtx_load; then
	run_tap vtx2 /dev/vtx api_test
	vtx_unload rmmod-second
fi
dmesg_check vtx dmesg-end
