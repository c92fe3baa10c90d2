# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC3043
#
# vmlib.sh - the test library for vtx suites, sourced by every suite script.
# POSIX sh plus `local` (busybox ash in the test VM, dash/bash natively).
#
# The only protocol between a suite and the host runner (tools/testvm/run.sh)
# is lines on stdout (the VM's serial console):
#
#   @@RESULT <driver> <name> <ok|fail|skip> [free text]   one per result
#   @@RUN <driver> <what...>                               printed before each step
#   @@DONE rc=<N>                                          after the suite (by the runner)
#
# <driver> is "vtx", "kvm" (upstream kvm_intel) or anything else short and
# without spaces. <name> has no spaces (they are turned into '_').
#
# Environment (defaults = the layout of the test VM; run.sh sets them for
# native runs on a host with VMX):
#   VTX_KO           path of vtx.ko                        (/vtx.ko)
#   KMOD_DIR         dir with irqbypass.ko kvm.ko kvm-intel.ko; empty = modprobe
#                                                          (/kmod)
#   TESTS_DIR        build/selftests/<suite>/ copy; cwd of the suite  (/tests)
#   GUESTS_DIR       guest images build/guests/*           (/guests)
#   VTX_NATIVE       1 when running on the host instead of the test VM (0)
#   VTX_TAP_TIMEOUT  seconds (guest time) one run_tap binary may take (300)
#   VTX_STATE        scratch dir of this library           (/tmp/vmlib)
#   KVM_HALT_POLL_NS kvm.ko's halt_poll_ns after kvm_load; empty = kvm's
#                    default (0 in the test VM: Bochs executes a polling
#                    vCPU's spin instruction by instruction, which made
#                    kvm_intel's nested QEMU runs 2-6 times slower and
#                    erratic; vtx does not poll. Never set on a native
#                    host's kvm.ko that was loaded before the suite)
#   VMLIB            path of this file (so a suite can re-source it)
#   VTX_MODPARAMS    extra vtx module parameters every vtx_load passes
#                    to insmod, space-separated (kernel command line of
#                    the test VM, e.g. VTX_MODPARAMS=enable_apicv=0)  (none)
#
# Return values: vtx_load, vtx_unload, kvm_load, kvm_unload and
# vtx_devnode_as_kvm return non-zero on failure (use them in `if` or with
# `||` in a `set -e` suite). result, check, run_tap and dmesg_check always
# return 0: their outcome is the @@RESULT line.

if [ -n "${VMLIB_LOADED:-}" ]; then
	return 0
fi
VMLIB_LOADED=1

: "${VTX_KO:=/vtx.ko}"
: "${KMOD_DIR=/kmod}"
: "${TESTS_DIR:=/tests}"
: "${GUESTS_DIR:=/guests}"
: "${VTX_NATIVE:=0}"
: "${VTX_TAP_TIMEOUT:=300}"
: "${VTX_STATE:=/tmp/vmlib}"
: "${VMLIB:=/lib/vtx/vmlib.sh}"
export VTX_KO KMOD_DIR TESTS_DIR GUESTS_DIR VTX_NATIVE VTX_TAP_TIMEOUT VTX_STATE VMLIB

# Kernel log lines that make a run dirty (same list as run.sh's serial scan).
VMLIB_BAD_RE='BUG:|WARNING:|Oops|general protection|Call Trace'

mkdir -p "$VTX_STATE" 2>/dev/null || :

# result DRIVER NAME ok|fail|skip [TEXT...] - emit one result line.
result() {
	local drv="$1" name="$2" st="$3"
	shift 3
	case "$name" in
	*[[:space:]]*) name=$(printf '%s' "$name" | tr -s ' \t\r\n' '____') ;;
	"") name=unnamed ;;
	esac
	case "$st" in
	ok | fail | skip) ;;
	*) set -- "bad status '$st'" "$@"; st=fail ;;
	esac
	echo "@@RESULT $drv $name $st${*:+ $*}"
}

# Is module NAME (underscore spelling) loaded?
_vl_loaded() {
	[ -d "/sys/module/$1" ] && [ -e "/sys/module/$1/initstate" ]
}

# vtx_load [module params...] - insmod $VTX_KO; result "vtx insmod".
vtx_load() {
	local out rc
	# VTX_MODPARAMS split into words on purpose
	# shellcheck disable=SC2086
	set -- ${VTX_MODPARAMS:-} "$@"
	echo "@@RUN vtx insmod $VTX_KO $*"
	if [ ! -f "$VTX_KO" ]; then
		result vtx insmod fail "$VTX_KO missing (module not built?)"
		return 1
	fi
	if out=$(insmod "$VTX_KO" "$@" 2>&1); then
		[ -n "$out" ] && printf '%s\n' "$out"
		result vtx insmod ok
		return 0
	else
		rc=$?
		[ -n "$out" ] && printf '%s\n' "$out"
		result vtx insmod fail "rc=$rc $(printf '%s' "$out" | tr '\n' ' ')"
		return 1
	fi
}

# vtx_unload [LABEL] - rmmod vtx; result "vtx LABEL" (default "rmmod").
vtx_unload() {
	local name="${1:-rmmod}" out rc
	echo "@@RUN vtx rmmod ($name)"
	if [ -n "${VL_KVM_NODE:-}" ]; then
		rm -f "$VL_KVM_NODE"
		VL_KVM_NODE=
	fi
	if out=$(rmmod vtx 2>&1); then
		result vtx "$name" ok
		return 0
	else
		rc=$?
		[ -n "$out" ] && printf '%s\n' "$out"
		result vtx "$name" fail "rc=$rc $(printf '%s' "$out" | tr '\n' ' ')"
		return 1
	fi
}

# Make /dev/kvm the kvm module's node (10:232), e.g. after a vtx alias.
_vl_fix_kvm_node() {
	local dev cur
	dev=$(cat /sys/class/misc/kvm/dev 2>/dev/null) || return 0
	cur=$(_vl_devnum /dev/kvm)
	[ "$cur" = "$dev" ] && return 0
	[ "$VTX_NATIVE" = 1 ] && return 0
	rm -f /dev/kvm
	mknod -m 666 /dev/kvm c "${dev%%:*}" "${dev#*:}"
}

# _vl_devnum PATH - "major:minor" (decimal) of a char device, or "".
_vl_devnum() {
	local hex
	[ -c "$1" ] || return 0
	hex=$(stat -L -c '%t %T' "$1" 2>/dev/null) || return 0
	# shellcheck disable=SC2086
	set -- $hex
	echo "$((0x$1)):$((0x$2))"
}

# kvm_load - load upstream irqbypass, kvm, kvm_intel (with the module
# parameters in $KVM_INTEL_PARAMS); result "kvm insmod".
kvm_load() {
	local m f p out rc=0 msg=""
	echo "@@RUN kvm insmod"
	# KVM_INTEL_PARAMS (e.g. "nested=0") split into words on purpose
	# shellcheck disable=SC2086
	if [ -z "$KMOD_DIR" ]; then
		if _vl_loaded kvm_intel; then
			VL_KVM_PRELOADED=1
		elif ! out=$(modprobe kvm_intel ${KVM_INTEL_PARAMS:-} 2>&1); then
			rc=1
			msg="modprobe kvm_intel: $out"
		fi
	else
		for m in irqbypass kvm kvm-intel; do
			_vl_loaded "$(echo "$m" | tr - _)" && continue
			f="$KMOD_DIR/$m.ko"
			p=
			[ "$m" = kvm-intel ] && p=${KVM_INTEL_PARAMS:-}
			if ! out=$(insmod "$f" $p 2>&1); then
				rc=1
				msg="insmod $f: $out"
				break
			fi
		done
	fi
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$msg"
		result kvm insmod fail "$(printf '%s' "$msg" | tr '\n' ' ')"
		return 1
	fi
	_vl_fix_kvm_node
	# kvm.ko's halt_poll_ns is writable at run time
	[ "${VTX_NATIVE:-0}" = 1 ] || : "${KVM_HALT_POLL_NS=0}"
	if [ -z "${VL_KVM_PRELOADED:-}" ] && [ -n "${KVM_HALT_POLL_NS:-}" ] &&
		! echo "$KVM_HALT_POLL_NS" >/sys/module/kvm/parameters/halt_poll_ns; then
		result kvm insmod fail "cannot set kvm.halt_poll_ns=$KVM_HALT_POLL_NS"
		return 1
	fi
	result kvm insmod ok
}

# kvm_unload [LABEL] - unload kvm_intel, kvm, irqbypass; result "kvm LABEL".
kvm_unload() {
	local name="${1:-rmmod}" m out rc=0 msg=""
	echo "@@RUN kvm rmmod ($name)"
	if [ -z "$KMOD_DIR" ]; then
		if [ -z "${VL_KVM_PRELOADED:-}" ] &&
			! out=$(modprobe -r kvm_intel 2>&1); then
			rc=1
			msg="$out"
		fi
	else
		for m in kvm_intel kvm irqbypass; do
			_vl_loaded "$m" || continue
			if ! out=$(rmmod "$m" 2>&1); then
				rc=1
				msg="rmmod $m: $out"
				break
			fi
		done
	fi
	if [ "$rc" -ne 0 ]; then
		printf '%s\n' "$msg"
		result kvm "$name" fail "$(printf '%s' "$msg" | tr '\n' ' ')"
		return 1
	fi
	result kvm "$name" ok
}

# vtx_devnode_as_kvm [PATH] - create PATH (default /dev/kvm) as a char node
# with vtx's major:minor, so programs that open /dev/kvm by name use vtx.
# An existing node of another device is replaced in the test VM and refused
# natively. vtx_unload removes the node again.
vtx_devnode_as_kvm() {
	local path="${1:-/dev/kvm}" dev cur
	if ! dev=$(cat /sys/class/misc/vtx/dev 2>/dev/null); then
		echo "vtx_devnode_as_kvm: /sys/class/misc/vtx/dev missing (vtx not loaded?)"
		return 1
	fi
	cur=$(_vl_devnum "$path")
	if [ "$cur" = "$dev" ]; then
		VL_KVM_NODE=$path
		return 0
	fi
	if [ -e "$path" ]; then
		if [ "$VTX_NATIVE" = 1 ]; then
			echo "vtx_devnode_as_kvm: $path exists ($cur) on the host; pass another path"
			return 1
		fi
		rm -f "$path"
	fi
	mknod -m 666 "$path" c "${dev%%:*}" "${dev#*:}" || return 1
	VL_KVM_NODE=$path
	echo "vtx_devnode_as_kvm: $path -> vtx ($dev)"
}

# Print kernel log lines newer than the previous call (all on the first).
_vl_dmesg_new() {
	local last
	last=$(cat "$VTX_STATE/dmesg.ts" 2>/dev/null) || last=-1
	[ -n "$last" ] || last=-1
	dmesg 2>/dev/null | awk -v last="$last" -v tsf="$VTX_STATE/dmesg.ts" '
		/^\[ *[0-9]+\.[0-9]+\]/ {
			s = $0; sub(/^\[ */, "", s); sub(/\].*/, "", s); ts = s + 0
		}
		ts + 0 > last + 0 { print }
		END { if (ts != "") print ts > tsf }'
}

# The test VM's known warnings of this kernel and CPU model taken out
# (known-warnings.awk, next to this file; none in a native run).
_vl_known_warnings() {
	local f
	f=$(dirname "$VMLIB")/known-warnings.awk
	if [ "$VTX_NATIVE" = 1 ] || [ ! -f "$f" ]; then
		cat
		return 0
	fi
	awk -v kver="${VTX_KVER:-}" -v model="${VTX_CPU_MODEL:-}" -f "$f"
}

# dmesg_check DRIVER [NAME] - result NAME (default "dmesg"): fail if the
# kernel log got BUG/WARNING/Oops/general protection/Call Trace lines since
# the previous dmesg_check (or since boot / the start of a native run).
# Known warnings of this kernel and CPU model (known-warnings.awk) do not
# count; they are printed and named in the result.
dmesg_check() {
	local drv="$1" name="${2:-dmesg}" new bad known
	echo "@@RUN $drv $name"
	new=$(_vl_dmesg_new | _vl_known_warnings)
	bad=$(printf '%s\n' "$new" | grep -E "$VMLIB_BAD_RE")
	known=$(printf '%s\n' "$new" | grep '^known-warning: ')
	if [ -n "$known" ]; then
		printf '%s\n' "$known" | sed 's/^/dmesg: /'
	fi
	if [ -n "$bad" ]; then
		printf '%s\n' "$bad" | sed 's/^/dmesg: /'
		result "$drv" "$name" fail "$(printf '%s\n' "$bad" | head -n 1)"
	else
		result "$drv" "$name" ok "$(printf '%s' "$known" | head -n 1)"
	fi
}

# check DRIVER NAME CMD [ARGS...] - run CMD (a program or shell function),
# showing its output. Exit 0 -> ok, 4 (KSFT_SKIP) -> skip, else fail.
# No time limit of its own: wrap slow programs in `timeout SECS`.
check() {
	local drv="$1" name="$2" rc
	shift 2
	echo "@@RUN $drv $name: $*"
	if "$@"; then
		rc=0
	else
		rc=$?
	fi
	case "$rc" in
	0) result "$drv" "$name" ok ;;
	4) result "$drv" "$name" skip "exit 4 (KSFT_SKIP)" ;;
	*) result "$drv" "$name" fail "exit $rc" ;;
	esac
	return 0
}

# TAP filter: echo every line; turn "ok N name", "not ok N name",
# "ok N name # SKIP why" into results named BASE.name ("ok N # SKIP why",
# the harness's SKIP, takes the name of its "#  RUN NAME ..." line).
# Appends each status to STATEFILE.
_vl_tap_filter() {
	local drv="$1" base="$2" stf="$3" line rest n name dir st cr run='' last=''
	cr=$(printf '\r')
	while IFS= read -r line || [ -n "$line" ]; do
		printf '%s\n' "$line"
		line=${line%"$cr"}
		case "$line" in
		"#  RUN "*)
			run=${line#"#  RUN "}
			run=${run#"${run%%[! ]*}"}
			run=${run%" ..."}
			last=
			continue ;;
		"#"*" OK "* | "#"*" FAIL "* | "#"*" SKIP "* | \
		"# "*": Test failed at step #"*) continue ;;
		"# "*)
			# the test's last diagnostic (an assertion, "Test
			# terminated by timeout"): a failure's detail
			last=${line#"# "}
			continue ;;
		"not ok "*) st=fail; rest=${line#not ok } ;;
		"ok "*) st=ok; rest=${line#ok } ;;
		"1..0"*)
			rest=${line#1..0}
			rest=${rest#*[Ss][Kk][Ii][Pp]}
			result "$drv" "$base" skip "${rest# }"
			echo skip >>"$stf"
			continue ;;
		*) continue ;;
		esac
		n=${rest%%[ 	]*}
		case "$n" in
		"" | *[!0-9]*) continue ;;
		esac
		rest=${rest#"$n"}
		rest=${rest#[ 	]}
		dir=
		case "$rest" in
		"#"*) dir=${rest#\#}; name= ;;
		*" # "*) dir=${rest#*" # "}; name=${rest%%" # "*} ;;
		*) name=$rest ;;
		esac
		dir=${dir# }
		case "$dir" in
		[Ss][Kk][Ii][Pp]*) st=skip; dir=${dir#????}; dir=${dir# } ;;
		[Tt][Oo][Dd][Oo]*) st=skip ;;
		[Xx][Ff][Aa][Ii][Ll]*) st=ok ;;
		esac
		[ -n "$name" ] || name=${run:-${dir:-test$n}}
		[ "$st" = fail ] && [ -z "$dir" ] && dir=$last
		last=
		result "$drv" "$base.$name" "$st" "$dir"
		echo "$st" >>"$stf"
	done
}

# run_tap DRIVER DEVICE BIN [ARGS...] - run `BIN --device DEVICE ARGS` (BIN
# looked up in $TESTS_DIR first) under $VTX_TAP_TIMEOUT seconds,
# echo its output and turn its kselftest TAP lines into results named
# <basename BIN>.<test>. If it exits non-zero with no "not ok" line (crash,
# timeout...), or reports nothing, adds a failed result <basename BIN>.exit.
run_tap() {
	local drv="$1" dev="$2" bin="$3" base rc nres nfail why
	shift 3
	base=${bin##*/}
	case "$bin" in
	/*) ;;
	*) [ -e "$TESTS_DIR/$bin" ] && bin="$TESTS_DIR/$bin" ;;
	esac
	echo "@@RUN $drv $base --device $dev${*:+ $*}"
	if [ ! -x "$bin" ]; then
		result "$drv" "$base.exit" fail "$bin missing or not executable"
		return 0
	fi
	: >"$VTX_STATE/tap.st"
	rm -f "$VTX_STATE/tap.rc"
	{
		timeout "$VTX_TAP_TIMEOUT" "$bin" --device "$dev" "$@" 2>&1
		echo "$?" >"$VTX_STATE/tap.rc"
	} | _vl_tap_filter "$drv" "$base" "$VTX_STATE/tap.st"
	rc=$(cat "$VTX_STATE/tap.rc" 2>/dev/null) || rc=255
	nres=$(grep -c . "$VTX_STATE/tap.st")
	nfail=$(grep -c fail "$VTX_STATE/tap.st")
	why="exit $rc"
	case "$rc" in
	124 | 143) why="timeout after ${VTX_TAP_TIMEOUT}s (exit $rc)" ;;
	13[0-9] | 1[4-9][0-9]) why="killed by signal $((rc - 128))" ;;
	esac
	if [ "$rc" = 124 ] || [ "$rc" = 143 ]; then
		result "$drv" "$base.exit" fail "$why"
	elif [ "$rc" = 4 ] && [ "$nres" -eq 0 ]; then
		result "$drv" "$base.exit" skip "exit 4 (KSFT_SKIP), no TAP results"
	elif [ "$rc" != 0 ] && [ "$rc" != 4 ] && [ "$nfail" -eq 0 ]; then
		result "$drv" "$base.exit" fail "$why with no 'not ok' line"
	elif [ "$nres" -eq 0 ]; then
		result "$drv" "$base.exit" fail "exit $rc but no TAP results"
	fi
	return 0
}

# vmlib_run_suite FILE - used by the runner (/init, or run.sh natively):
# run FILE in a fresh sh with this library loaded and cwd $TESTS_DIR, then
# report kernel log problems and print @@DONE rc=N.
vmlib_run_suite() {
	local suite="$1" rc=0
	[ "$VTX_NATIVE" = 1 ] && _vl_dmesg_new >/dev/null
	echo "@@SUITE $suite"
	sh -c '. "$VMLIB"; cd "$TESTS_DIR" 2>/dev/null || cd /; . "$1"' \
		vtx-suite "$suite" || rc=$?
	_vl_dmesg_new | grep -E "$VMLIB_BAD_RE" | sed 's/^/@@DMESG /'
	echo "@@DONE rc=$rc"
}
