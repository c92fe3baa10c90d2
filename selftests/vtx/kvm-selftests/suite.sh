# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "kvm-selftests" suite, run in the test VM by tools/testvm/run.sh
# --suite kvm-selftests, with tools/testvm/vmlib.sh loaded and cwd = /tests
# (a copy of build/selftests/kvm-selftests/, made by this directory's
# Makefile from Debian's linux-source-6.1: bin/<test>, exceptions, args).
#
# Linux 6.1's own KVM selftests for x86_64, unmodified, each binary run on
# both drivers in one boot: first every test on kvm_intel (the reference,
# loaded with $KST_KVM_PARAMS), then every test on vtx, with /dev/kvm made a
# vtx node (the tests open /dev/kvm by name).  One result <test> per driver:
#
#   kvm  ok    the test passes on kvm_intel
#        skip  it skips (exit 4) or fails on kvm_intel: the text says which
#   vtx  ok    kvm_intel passes and vtx passes
#        fail  kvm_intel passes and vtx does not (fails, times out, or skips:
#              a capability kvm_intel has and vtx lacks is a gap too)
#        skip  kvm_intel does not pass; the text has both results
#   both skip  the test is in ./exceptions (not run; the reason is given)
#
# Each run has a time limit (test-VM time): $KST_TIMEOUT, or the test's own
# in ./args.  A run's output goes to the serial log in full when the test
# does not pass, prefixed "kst-<driver>-<test>| "; each run is followed by
# "@@KST-TIME <driver> <test> <seconds> rc=<N>".
#
# Knobs (kernel command line, e.g. run.sh --suite kvm-selftests --append
# "KST_TESTS=cpuid_test,state_test"):
#   KST_TESTS       comma-separated tests to run (default: all in bin/)
#   KST_DRIVERS     drivers to run, in order                      (kvm,vtx)
#   KST_TIMEOUT     seconds one test may run                           (120)
#   KST_KVM_PARAMS  kvm_intel's module parameters                 (nested=0)
#   KST_SHOW        also show the output of tests that pass: 1         (0)
#   KST_KVM_REF     short: the tests in ./kvm-short run on vtx only, as
#                   those in ./kvm-skip (make check's setting)       (full)

: "${KST_TESTS=}"
: "${KST_DRIVERS:=kvm,vtx}"
: "${KST_TIMEOUT:=120}"
: "${KST_SHOW:=0}"
: "${KST_KVM_REF:=full}"
# vtx offers no VMX to its guests: kvm_intel without nested VMX compares
# like with like (and the non-nested paths of state_test, smm_test... run
# at Bochs speed instead of through a nested guest).
: "${KST_KVM_PARAMS=nested=0}"
# and the boot's own KVM_INTEL_PARAMS after them (make check-shadow:
# ept=0, beside vtx's VTX_MODPARAMS=ept=0)
export KVM_INTEL_PARAMS="$KST_KVM_PARAMS${KVM_INTEL_PARAMS:+ $KVM_INTEL_PARAMS}"

BIN=$TESTS_DIR/bin
ART=$VTX_STATE/kst
mkdir -p "$ART"

# Test-VM time in seconds (x.yz), and B - A of two of them.
vm_now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# in_list LIST ITEM - is ITEM in the comma-separated LIST?
in_list() {
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

# Field 2.. of TEST's line in FILE ("NAME REST"), or nothing.
conf_rest() {
	awk -v t="$2" '$1 == t { $1 = ""; sub(/^ +/, ""); print; exit }' "$1" 2>/dev/null
}

# The tests to run: the binaries, in name order (KST_TESTS: those).
TESTS=
if [ -n "$KST_TESTS" ]; then
	TESTS=$(echo "$KST_TESTS" | tr ',' ' ')
else
	for f in "$BIN"/*; do
		[ -x "$f" ] && TESTS="$TESTS ${f##*/}"
	done
fi

# why_line LOG - one line saying why a run did not pass: the skip reason,
# or the assertion's place and message, or the last line.
why_line() {
	local log="$1" w
	w=$(grep -m 1 -E 'SKIP|skipping test' "$log")
	if [ -z "$w" ] && grep -q 'Test Assertion Failure' "$log"; then
		w="$(grep -A 1 -m 1 'Test Assertion Failure' "$log" | tail -n 1 |
			sed 's/^ *//') / $(grep -v '^ *$' "$log" | tail -n 1)"
	fi
	[ -n "$w" ] || w=$(grep -v '^ *$' "$log" | tail -n 1)
	printf '%s' "$w" | tr -d '\r' | tr -s ' \t' '  ' | cut -c 1-300
}

# run_one DRIVER TEST - run bin/TEST with its args and time limit; writes
# "STATUS RC SECONDS WHY" to $ART/TEST.DRIVER (STATUS ok, skip, fail or
# timeout) and shows the output if it did not pass.
run_one() {
	local drv="$1" t="$2" args tmo log rc t0 t1 dt st why
	log=$ART/$t.$drv.log
	args=$(conf_rest "$TESTS_DIR/args" "$t")
	tmo=$KST_TIMEOUT
	case "$args" in
	[0-9]*)
		tmo=${args%% *}
		args=${args#"$tmo"}
		;;
	esac
	echo "@@RUN $drv $t: $t$args (limit ${tmo}s)"
	if [ ! -x "$BIN/$t" ]; then
		echo "fail 127 0 $BIN/$t missing" >"$ART/$t.$drv"
		return 0
	fi
	t0=$(vm_now)
	# shellcheck disable=SC2086
	(cd "$ART" && timeout -s KILL "$tmo" "$BIN/$t" $args) </dev/null >"$log" 2>&1
	rc=$?
	t1=$(vm_now)
	dt=$(secs "$t0" "$t1")
	case "$rc" in
	0) st=ok ;;
	4) st=skip ;;
	*) st=fail ;;
	esac
	why=$(why_line "$log")
	if [ "$rc" != 0 ] && awk -v d="$dt" -v t="$tmo" 'BEGIN { exit !(d >= t - 1) }'; then
		st=timeout
		why="killed after ${tmo}s; last line: $why"
	fi
	echo "@@KST-TIME $drv $t $dt rc=$rc"
	if [ "$st" != ok ] || [ "$KST_SHOW" = 1 ]; then
		if [ "$(wc -l <"$log")" -gt 80 ]; then
			head -n 20 "$log"
			echo "[... $(($(wc -l <"$log") - 60)) lines ...]"
			tail -n 40 "$log"
		else
			cat "$log"
		fi | tr -d '\r' | sed "s/^/kst-$drv-$t| /"
	fi
	echo "$st $rc $dt $why" >"$ART/$t.$drv"
}

# report DRIVER TEST - the result line, from the runs' records.
report() {
	local drv="$1" t="$2" kst krc kdt kwhy vst vrc vdt vwhy gap
	kst=none vst=none vwhy="not run"
	[ -f "$ART/$t.kvm" ] && read -r kst krc kdt kwhy <"$ART/$t.kvm"
	if [ "$drv" = kvm ]; then
		case "$kst" in
		ok) result kvm "$t" ok "${kdt}s" ;;
		skip) result kvm "$t" skip "kvm_intel skips (${kdt}s): $kwhy" ;;
		*) result kvm "$t" skip "kvm_intel FAILS ($kst, exit $krc, ${kdt}s): $kwhy" ;;
		esac
		return 0
	fi
	[ -f "$ART/$t.vtx" ] && read -r vst vrc vdt vwhy <"$ART/$t.vtx"
	gap=$(conf_rest "$TESTS_DIR/gaps" "$t")
	if [ -n "$gap" ] && [ "$kst" = ok ] && [ "$vst" != ok ]; then
		result vtx "$t" skip "known vtx gap (gaps): $gap; vtx $vst (exit $vrc): $vwhy"
		return 0
	fi
	case "$kst,$vst" in
	ok-vtx-only,ok) result vtx "$t" ok "${vdt}s (not run on kvm_intel: $kwhy)" ;;
	ok-vtx-only,*) result vtx "$t" fail "vtx $vst (exit $vrc, ${vdt}s): $vwhy" ;;
	ok,ok) result vtx "$t" ok "${vdt}s (kvm_intel ${kdt}s)" ;;
	ok,skip) result vtx "$t" fail "kvm_intel passes, vtx skips (${vdt}s): $vwhy" ;;
	ok,*) result vtx "$t" fail "kvm_intel passes, vtx $vst (exit $vrc, ${vdt}s): $vwhy" ;;
	none,*) result vtx "$t" skip "no kvm_intel result; vtx $vst: $vwhy" ;;
	*) result vtx "$t" skip "kvm_intel $kst (exit $krc): $kwhy; vtx $vst (exit ${vrc:-?}): $vwhy" ;;
	esac
}

# run_driver DRIVER - every test on DRIVER.
run_driver() {
	local drv="$1" t t0 why
	t0=$(vm_now)
	for t in $TESTS; do
		why=$(conf_rest "$TESTS_DIR/kvm-skip" "$t")
		[ -z "$why" ] || why="kvm-skip: $why"
		if [ -z "$why" ] && [ "$KST_KVM_REF" = short ]; then
			why=$(conf_rest "$TESTS_DIR/kvm-short" "$t")
			[ -z "$why" ] || why="kvm-short, KST_KVM_REF=short: $why"
		fi
		if [ "$drv" = kvm ] && [ -n "$why" ]; then
			echo "ok-vtx-only 0 0 $why" >"$ART/$t.kvm"
			result kvm "$t" skip "not run on kvm_intel here ($why)"
			continue
		fi
		run_one "$drv" "$t"
		report "$drv" "$t"
	done
	echo "@@KST-TIME $drv all $(secs "$t0" "$(vm_now)")"
}

# The tests read kvm_intel's parameters ept and unrestricted_guest
# (/sys/module/kvm_intel/parameters, kvm_util.c's get_module_param_bool()):
# on vtx they are vtx's parameters of those names.  In the test VM only
# (kvm_intel is unloaded): a tmpfs over /sys/module for the vtx pass.
KST_PARAMS_VIEW=
kvm_intel_params_view() {
	local d=/sys/module/vtx/parameters ept ug k=/sys/module/kvm_intel/parameters
	[ "$VTX_NATIVE" != 1 ] && [ ! -d /sys/module/kvm_intel ] || return 0
	ept=$(cat "$d/ept") && ug=$(cat "$d/unrestricted_guest") || return 0
	mount -t tmpfs kst-params /sys/module || return 0
	KST_PARAMS_VIEW=1
	mkdir -p "$k" && echo "$ept" >"$k/ept" && echo "$ug" >"$k/unrestricted_guest"
	echo "# kvm_intel parameters as vtx's: ept=$ept unrestricted_guest=$ug"
}
kvm_intel_params_unview() {
	if [ -n "$KST_PARAMS_VIEW" ]; then
		umount /sys/module
	fi
	KST_PARAMS_VIEW=
}

# ------------------------------------------------------------------ main --
# The test VM as the tests expect a Linux system to be: POSIX semaphores
# (sem_open) need /dev/shm; guest memory is mapped whole before the guest
# touches a few pages of it (dirty_log_test maps 1 GiB), which the
# kernel's default overcommit heuristic refuses in a 1 GiB test VM.
if [ "$VTX_NATIVE" != 1 ]; then
	if [ ! -d /dev/shm ]; then
		mkdir -p /dev/shm && mount -t tmpfs tmpfs /dev/shm
	fi
	echo 1 >/proc/sys/vm/overcommit_memory
fi
echo "# kvm-selftests: $(echo "$TESTS" | wc -w) tests, limit ${KST_TIMEOUT}s each"

# The exceptions: not run, on either driver.
grep -v '^#' "$TESTS_DIR/exceptions" 2>/dev/null | while read -r t why; do
	[ -n "$t" ] || continue
	if [ -n "$KST_TESTS" ] && ! in_list "$KST_TESTS" "$t"; then continue; fi
	result kvm "$t" skip "exception (not run): $why"
	result vtx "$t" skip "exception (not run): $why"
done

for drv in $(echo "$KST_DRIVERS" | tr ',' ' '); do
	case "$drv" in
	kvm)
		if kvm_load; then
			echo "# kvm_intel nested=$(cat /sys/module/kvm_intel/parameters/nested 2>/dev/null)"
			run_driver kvm
			kvm_unload
		fi
		dmesg_check kvm
		;;
	vtx)
		if vtx_load; then
			if vtx_devnode_as_kvm /dev/kvm; then
				kvm_intel_params_view
				run_driver vtx
				kvm_intel_params_unview
			else
				result vtx kvm-node fail "could not make /dev/kvm a vtx node"
			fi
			vtx_unload
		fi
		dmesg_check vtx
		;;
	*) result "$drv" driver fail "unknown driver '$drv' in KST_DRIVERS" ;;
	esac
done
