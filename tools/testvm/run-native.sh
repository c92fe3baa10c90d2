# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# run-native.sh - the suite run natively, on a host that really has VMX
# (sourced by run.sh): no VM, vmlib.sh loaded into the host's sh.
#
# Reads run.sh's settings: native, force_bochs, name, script, tests, tmo,
# KO, OUT, BUILD, ROOT, HERE.
# shellcheck disable=SC2154

# Run natively? (--native, or VMX here, root, and the kernel's build dir)
want_native() {
	[ "$native" = 1 ] || { [ "$force_bochs" = 0 ] && grep -qw vmx /proc/cpuinfo &&
		[ "$(id -u)" = 0 ] && [ -d "/lib/modules/$(uname -r)/build" ]; }
}

# Run the suite here; judge and finish (does not return).
run_native() {
	local start rc elapsed how
	say "native run on this host (it has VMX); --force-bochs to use the test VM"
	# shellcheck disable=SC2034 # read by judge (log_facts)
	CPU_MODEL=native
	say "suite=$name script=${script#"$ROOT"/} timeout=${tmo}s"
	start=$(date +%s)
	rm -rf "$OUT/state"
	mkdir -p "$OUT/state"
	set +e
	# shellcheck disable=SC2016
	env VTX_NATIVE=1 VTX_KO="$KO" KMOD_DIR= \
		TESTS_DIR="${tests:-$OUT/state}" GUESTS_DIR="$BUILD/guests" \
		VMLIB="$HERE/vmlib.sh" VTX_STATE="$OUT/state" VTX_SUITE="$name" \
		PATH="$BUILD/bin:$PATH" \
		timeout -k 10 "$tmo" sh -c '. "$VMLIB"; vmlib_run_suite "$1"' sh "$script" \
		</dev/null 2>&1 | tee "$OUT/serial.log"
	rc=${PIPESTATUS[0]}
	set -e
	elapsed=$(($(date +%s) - start))
	how="exit $rc"
	[ "$rc" = 124 ] && how="timeout"
	judge "$how" "$elapsed"
	finish
}
