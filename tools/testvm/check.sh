#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# check.sh - what `make check`, `make check-host` and `make check-<suite>` run.
#
#   tools/testvm/check.sh [--no-build] [host] [SUITE...]
#
# 1. builds the test VM's LZ4 kernel (lz4kernel.sh): "build.lz4kernel@VER",
#    module, tools and selftests (each a result "build.<part>";
#    a part whose Makefile does not exist yet is a skip), and the module
#    for each of Debian 13's kernels (make kernels): "build.module@VER",
# 2. "host": host-only checks (checkpatch --strict over module/ and
#    uapi/linux/, shellcheck over the test scripts, dkms build per kernel),
# 3. each SUITE: one test-VM boot (tools/testvm/run.sh --suite SUITE,
#    extra options from $TESTVM_ARGS), $CHECK_JOBS of them at a time
#    (default: the number of CPUs); SUITE@SERIES boots that kernel
#    (run.sh --kver SERIES), A+B runs suites A and B in one boot,
#    SUITE/KEY=VAL/... adds KEY=VAL to that boot's kernel command line,
# then prints the combined table and, as the last line,
# "N passed, N failed, N skipped". Exits non-zero on any failure.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/testvm
BUILD=$ROOT/build
MAKE=${MAKE:-make}
read -r -a TESTVM_ARGV <<<"${TESTVM_ARGS:-}"
# The builds run make with one job per CPU
NCPU=$(nproc 2>/dev/null || echo 1)

build=1
parts=()
for a in "$@"; do
	case "$a" in
	--no-build) build=0 ;;
	-*) echo "check.sh: unknown option $a" >&2; exit 2 ;;
	*) parts+=("$a") ;;
	esac
done

say() { printf '\n==> %s\n' "$*"; }
tsvs=()

# result FILE SUITE TEST STATUS [DETAIL]
result() {
	printf '%s\thost\t%s\t%s\t%s\n' "$2" "$3" "$4" "${5:-}" >>"$1"
}

# --------------------------------------------------------- Debian 13 ---
# Debian 13's kernels (debian13.sh setup: a chroot with their headers and
# their unpacked images, about 3 minutes of mostly network when nothing is
# cached) are made in the background while the rest builds, the host checks
# run and the suites on this kernel start; d13_finish waits for them, then
# builds vtx for each ("build.module@VER") and, with the host checks, runs
# their dkms builds, and the qemu10 suite's QEMU 10 (through the chroot).
# It runs before the first SUITE@SERIES or qemu10 (alone or in a boot
# with others) starts, and at the end in any case.
D13_PID='' D13_TSV='' D13_HOST_TSV='' D13_DONE=0
D13_LOG=$BUILD/testvm/build/debian13-setup.log
d13_start() {
	mkdir -p "$BUILD/testvm/build"
	bash "$HERE/debian13.sh" setup >"$D13_LOG" 2>&1 &
	D13_PID=$!
}
# d13_module KVER: vtx.ko for a Debian 13 kernel (build.module@KVER).  With
# the host checks, the module is the one their dkms build makes (dkms@KVER:
# the same Kbuild and headers, debug information stripped), so that make
# check compiles it once, not twice.
d13_module() {
	local k="$1" out=$BUILD/testvm/build log
	if [ -n "$D13_HOST_TSV" ]; then
		say "build: module for $k (dkms, Debian 13 chroot)"
		log=$BUILD/testvm/host/dkms@$k.log
		mkdir -p "$BUILD/testvm/host"
		if bash "$HERE/debian13.sh" dkms "$k" "$BUILD/kernels/$k/vtx.ko" >"$log" 2>&1; then
			result "$D13_HOST_TSV" host "dkms@$k" ok "dkms build in a staged tree"
			result "$D13_TSV" build "build.module@$k" ok "build/kernels/$k/vtx.ko (dkms@$k's)"
		else
			tail -n 20 "$log"
			result "$D13_HOST_TSV" host "dkms@$k" fail "see ${log#"$ROOT"/}"
			result "$D13_TSV" build "build.module@$k" fail "see ${log#"$ROOT"/}"
		fi
		return
	fi
	say "build: module for $k (Debian 13 chroot)"
	if bash "$HERE/debian13.sh" build "$k" >"$out/module@$k.log" 2>&1; then
		result "$D13_TSV" build "build.module@$k" ok "build/kernels/$k/vtx.ko"
	else
		tail -n 20 "$out/module@$k.log"
		result "$D13_TSV" build "build.module@$k" fail "see ${out#"$ROOT"/}/module@$k.log"
	fi
}

d13_finish() {
	local k out=$BUILD/testvm/build
	[ "$D13_DONE" = 0 ] || return 0
	D13_DONE=1
	if [ -n "$D13_PID" ]; then
		say "Debian 13 kernels: waiting for debian13.sh setup"
		wait "$D13_PID" || :
		tail -n 1 "$D13_LOG"
	fi
	if [ -n "$D13_TSV" ]; then
		if [ -f "$BUILD/debian13/ready" ]; then
			for k in $(bash "$HERE/debian13.sh" list); do
				d13_module "$k"
			done
		else
			result "$D13_TSV" build "build.module@debian13" fail \
				"no Debian 13 kernels: debian13.sh setup failed (${D13_LOG#"$ROOT"/}, build/debian13/*.log)"
		fi
	elif [ -n "$D13_HOST_TSV" ]; then
		dkms_test "$D13_HOST_TSV" debian13
	fi
	if [ -n "${D13_QEMU10:-}" ] && [ -n "$D13_TSV" ]; then
		say "build: QEMU 10 for the qemu10 suite (tools/testvm/qemu10.sh)"
		if VTX_BUILD_QEMU10=1 "$MAKE" -C "$ROOT/selftests/vtx/qemu10" \
			BUILD="$BUILD" >"$out/qemu10.log" 2>&1; then
			result "$D13_TSV" build "build.qemu10" ok "$(tail -n 1 "$out/qemu10.log")"
		else
			tail -n 20 "$out/qemu10.log"
			result "$D13_TSV" build "build.qemu10" fail "see ${out#"$ROOT"/}/qemu10.log"
		fi
	fi
}

# ------------------------------------------------------------------ build --
if [ "$build" = 1 ]; then
	out=$BUILD/testvm/build
	mkdir -p "$out"
	tsv=$out/results.tsv
	: >"$tsv"
	d13_start
	# The qemu suites' files are prepared only when one of them runs;
	# qemu10's (Debian 13's QEMU, through the Debian 13 chroot) when that
	# is ready: d13_finish.
	for p in "${parts[@]+"${parts[@]}"}"; do
		case "$p" in
		*qemu10*) export VTX_BUILD_QEMU=1 D13_QEMU10=1 ;;
		*qemu*) export VTX_BUILD_QEMU=1 ;;
		esac
	done
	# Debian's kernel source tarball decoded once (ksrc.sh): the
	# Makefiles and lz4kernel.sh take their files from this .tar
	if t=$(bash "$HERE/ksrc.sh" 6.1); then
		export KSRC_TAR=$t
	fi
	# The test VM's kernel re-wrapped with LZ4 (once per kernel version,
	# cached in build/lz4kernel/; a suite whose run finds none boots the
	# XZ kernel, ~45 s of guest time slower), first: the qemu suite's
	# files (make selftests) take it too
	k=$(sh "$HERE/kver.sh")
	if [ -n "$k" ] && [ -r "/boot/vmlinuz-$k" ]; then
		say "build: LZ4 re-wrap of /boot/vmlinuz-$k"
		rc=0
		bash "$HERE/lz4kernel.sh" --retry "/boot/vmlinuz-$k" "$k" >"$out/lz4kernel.log" 2>&1 || rc=$?
		last=$(tail -n 1 "$out/lz4kernel.log")
		case "$rc" in
		0) result "$tsv" build "build.lz4kernel@$k" ok "${last#"$ROOT"/}" ;;
		3) result "$tsv" build "build.lz4kernel@$k" skip "not an XZ kernel" ;;
		*) result "$tsv" build "build.lz4kernel@$k" fail "$last" ;;
		esac
	fi
	for part in module tools selftests; do
		say "build: make $part"
		case "$part" in
		module) have=$(ls "$ROOT/Kbuild" 2>/dev/null || :) ;;
		tools) have=$(ls "$ROOT"/tools/vtxctl/Makefile "$ROOT"/tools/guests/Makefile 2>/dev/null || :) ;;
		selftests) have=$(ls "$ROOT/selftests/Makefile" 2>/dev/null || :) ;;
		esac
		if [ -z "$have" ] && [ "$part" != module ]; then
			echo "no Makefile for $part yet"
			result "$tsv" build "build.$part" skip "no Makefile yet"
			continue
		fi
		if "$MAKE" -j"$NCPU" -C "$ROOT" --no-print-directory "$part" 2>&1 | tee "$out/$part.log"; then
			det=
			if [ "$part" = module ]; then
				det=$(modinfo -F vermagic "$ROOT/vtx.ko" 2>/dev/null | cut -d' ' -f1) || det=
			fi
			result "$tsv" build "build.$part" ok "$det"
		else
			result "$tsv" build "build.$part" fail \
				"make $part failed, see ${out#"$ROOT"/}/$part.log"
		fi
	done
	# vtx for Debian 13's kernels: built by d13_finish, once their chroot
	# (debian13.sh setup, started in the background above) is ready
	D13_TSV=$tsv
	tsvs+=("$tsv")
fi

# ------------------------------------------------------------------- host --
checkpatch() {
	local tsv="$1" cpd=$BUILD/checkpatch tarball files=() log rc tot
	if [ ! -f "$cpd/checkpatch.pl" ]; then
		# shellcheck disable=SC2012
		tarball=${KSRC_TAR:-$(ls /usr/src/linux-source-*.tar.xz 2>/dev/null | sort -V | tail -n 1)}
		if [ -z "$tarball" ]; then
			result "$tsv" host checkpatch fail "no /usr/src/linux-source-*.tar.xz (make deps)"
			return
		fi
		echo "extracting checkpatch.pl from $tarball (once)"
		rm -rf "$cpd.tmp"
		mkdir -p "$cpd.tmp"
		if ! tar -xf "$tarball" -C "$cpd.tmp" --strip-components=2 \
			--wildcards --no-wildcards-match-slash \
			'*/scripts/checkpatch.pl' '*/scripts/spelling.txt' \
			'*/scripts/const_structs.checkpatch'; then
			result "$tsv" host checkpatch fail "could not extract it from $tarball"
			return
		fi
		rm -rf "$cpd"
		mv "$cpd.tmp" "$cpd"
	fi
	for f in "$ROOT"/module/*/*.[chS] "$ROOT"/module/*/*/*.[chS] \
		 "$ROOT"/uapi/linux/*.h; do
		[ -f "$f" ] || continue
		# generated files (git-ignored, e.g. vtx-asm-offsets.h) are not ours
		if git -C "$ROOT" check-ignore -q "$f" 2>/dev/null; then continue; fi
		files+=("${f#"$ROOT"/}")
	done
	if [ "${#files[@]}" -eq 0 ]; then
		result "$tsv" host checkpatch skip "no module/*/*.[chS] or uapi/linux/*.h yet"
		return
	fi
	log=$BUILD/testvm/host/checkpatch.log
	rc=0
	# CamelCase is ignored: the only such names are the kernel's own
	# (MSR_MTRRcap, MTRRphysBase_MSR... from asm/msr-index.h and mtrr.h).
	(cd "$ROOT" && perl "$cpd/checkpatch.pl" --no-tree --strict --show-types \
		--ignore CAMELCASE --no-summary-file -f "${files[@]}") \
		>"$log" 2>&1 || rc=$?
	grep -v '^total: 0 errors, 0 warnings, 0 checks' "$log" |
		grep -v 'has no obvious style problems' | cat -s || :
	tot=$(awk '/^total: [0-9]+ errors, [0-9]+ warnings, [0-9]+ checks/ {
			e += $2; w += $4; c += $6 }
		END { printf "%d errors, %d warnings, %d checks", e, w, c }' "$log")
	if [ "$rc" = 0 ]; then
		result "$tsv" host checkpatch ok "${#files[@]} files: $tot"
	else
		result "$tsv" host checkpatch fail "${#files[@]} files: $tot (see build/testvm/host/checkpatch.log)"
	fi
}

shellcheck_scripts() {
	local tsv="$1" log=$BUILD/testvm/host/shellcheck.log
	if ! command -v shellcheck >/dev/null 2>&1; then
		result "$tsv" host shellcheck skip "shellcheck not installed"
		return
	fi
	if (cd "$ROOT" && shellcheck tools/testvm/*.sh tools/testvm/init .ci/run) >"$log" 2>&1; then
		result "$tsv" host shellcheck ok "tools/testvm, .ci/run"
	else
		cat "$log"
		result "$tsv" host shellcheck fail "see build/testvm/host/shellcheck.log"
	fi
}

# The module's three floors: core/ and x86/ never reach into vmx/
# (tools/testvm/floors.sh), and the check itself catches each kind of
# violation planted in a copy of the tree (--self-test).
floors_check() {
	local tsv="$1" log=$BUILD/testvm/host/floors.log
	if "$ROOT/tools/testvm/floors.sh" >"$log" 2>&1 &&
		"$ROOT/tools/testvm/floors.sh" --self-test >>"$log" 2>&1; then
		result "$tsv" host floors ok "core/ and x86/ reach vmx/ only through vtx_x86_ops"
	else
		cat "$log"
		result "$tsv" host floors fail "see build/testvm/host/floors.log"
	fi
}

# A host-side unit test of module code that needs no VMX: selftests/NAME
# builds BUILD/selftests/NAME/NAME_test (the MMIO instruction emulator
# against the real CPU; the local APIC register model; the IOAPIC and 8259
# PIC register models).
host_unit_test() {
	local tsv="$1" name="$2" log=$BUILD/testvm/host/$2.log last
	if [ ! -f "$ROOT/selftests/$name/Makefile" ]; then
		result "$tsv" host "$name" skip "selftests/$name not there"
		return
	fi
	if ! $MAKE -s -C "$ROOT/selftests/$name" BUILD="$BUILD" >"$log" 2>&1 ||
		! "$BUILD/selftests/$name/${name}_test" >>"$log" 2>&1; then
		tail -n 20 "$log"
		result "$tsv" host "$name" fail "see build/testvm/host/$name.log"
		return
	fi
	last=$(tail -n 1 "$log")
	result "$tsv" host "$name" ok "$last"
}

# vtxctl's host unit test: the virtio transport and virtio-blk against a
# hostile driver (tools/vtxctl/test/virtio_test.c), no VM.
vtxctl_unit_test() {
	local tsv="$1" log=$BUILD/testvm/host/vtxctl-virtio.log
	if $MAKE -s -C "$ROOT/tools/vtxctl" BUILD="$BUILD" test >"$log" 2>&1; then
		result "$tsv" host vtxctl-virtio ok "$(tail -n 1 "$log")"
	else
		tail -n 20 "$log"
		result "$tsv" host vtxctl-virtio fail \
			"see build/testvm/host/vtxctl-virtio.log"
	fi
}

# make install / uninstall into a staging directory (DESTDIR).
install_test() {
	local tsv="$1" log=$BUILD/testvm/host/install.log
	if $MAKE -s -C "$ROOT" check-install >"$log" 2>&1; then
		result "$tsv" host install ok "staged install and uninstall"
	else
		tail -n 20 "$log"
		result "$tsv" host install fail "see build/testvm/host/install.log"
	fi
}

# dkms build of vtx for each kernel the project has, each in a staged
# tree (tools/testvm/debian13.sh dkms): this host's ("host"), or Debian
# 13's ("debian13", from d13_finish).
dkms_test() {
	local tsv="$1" k kvers=() log
	if [ "$2" = host ]; then
		for k in /usr/src/linux-headers-*-amd64; do
			[ -d "$k" ] && kvers+=("${k#/usr/src/linux-headers-}")
		done
	else
		while read -r k; do
			[ -n "$k" ] && kvers+=("$k")
		done < <(bash "$HERE/debian13.sh" list)
	fi
	for k in "${kvers[@]+"${kvers[@]}"}"; do
		log=$BUILD/testvm/host/dkms@$k.log
		if bash "$HERE/debian13.sh" dkms "$k" >"$log" 2>&1; then
			result "$tsv" host "dkms@$k" ok "dkms build in a staged tree"
		else
			tail -n 20 "$log"
			result "$tsv" host "dkms@$k" fail "see ${log#"$ROOT"/}"
		fi
	done
}

# host_checks TSV: the host-only checks, one result row each.
host_checks() {
	local tsv="$1"
	mkdir -p "$BUILD/testvm/host"
	: >"$tsv"
	checkpatch "$tsv"
	floors_check "$tsv"
	shellcheck_scripts "$tsv"
	host_unit_test "$tsv" emulator
	host_unit_test "$tsv" lapic
	host_unit_test "$tsv" irqchip
	host_unit_test "$tsv" pit
	vtxctl_unit_test "$tsv"
	install_test "$tsv"
	dkms_test "$tsv" host
}

suites=() host=0
for p in "${parts[@]+"${parts[@]}"}"; do
	if [ "$p" = host ]; then
		host=1
	else
		suites+=("$p")
	fi
done
if [ "$host" = 1 ]; then
	# Debian 13's dkms rows (d13_finish) in a file of their own: the host
	# checks, which may still be running, write results.tsv
	D13_HOST_TSV=$BUILD/testvm/host/dkms-debian13.tsv
	mkdir -p "$BUILD/testvm/host"
	: >"$D13_HOST_TSV"
	tsvs+=("$BUILD/testvm/host/results.tsv" "$D13_HOST_TSV")
	[ -n "$D13_PID" ] || d13_start
fi
# With suites to run in parallel, the host checks (one CPU: perl, make)
# take the place of a suite among the jobs below; else they run here.
if [ "$host" = 1 ] && [ "${#suites[@]}" -le 1 ]; then
	say "host checks"
	host_checks "$BUILD/testvm/host/results.tsv"
	host=0
fi

# ----------------------------------------------------------------- suites --
# Each Bochs run keeps one host CPU busy: run up to CHECK_JOBS suites at
# once (default: the number of CPUs).  One suite alone streams its serial
# console here; in parallel each run's output goes to build/testvm/SUITE.out
# and its last lines are printed when it ends.
jobs=${CHECK_JOBS:-$NCPU}
[ "$jobs" -ge 1 ] 2>/dev/null || jobs=1
if [ "${#suites[@]}" -le 1 ]; then jobs=1; fi

# SUITE@SERIES: that suite on that Debian kernel (run.sh --kver), its
# results under the name SUITE@SERIES.
run_suite() {
	local rc=0 kv=() e=${1%%/*}
	case "$e" in
	# make check-shadow: the primary kernel, results named SUITE@shadow
	*@shadow) kv=(--suite "${e%@*}" --name "$e") ;;
	*@*) kv=(--suite "${e%@*}" --kver "${e#*@}" --name "$e") ;;
	*) kv=(--suite "$e") ;;
	esac
	# ENTRY/KEY=VAL/KEY=VAL: those settings on this boot's command line
	# (after the suites' own testvm.conf settings, so they win)
	[ "$e" = "$1" ] || kv+=(--append "$(echo "${1#*/}" | tr / ' ')")
	bash "$HERE/run.sh" "${kv[@]}" "${TESTVM_ARGV[@]+"${TESTVM_ARGV[@]}"}" || rc=$?
	set -- "$e"
	# The qemu suites' artifacts as files next to their serial logs: ioctl
	# counts per driver, nested consoles, transcript diffs, boot times
	# (with run-bochs.sh's hosttimes.txt: host seconds per QEMU run).
	local sfx='' p d
	case "$1" in *@*) sfx=@${1#*@} ;; esac
	for p in $(echo "${1%@*}" | tr + ' '); do
		case "$p" in
		qemu | qemu-irqchip | qemu10)
			d=$BUILD/testvm/$p$sfx
			bash "$HERE/qemu-extract.sh" "$d/serial.log" "$d" \
				"$BUILD/testvm/$1/hosttimes.txt" || : ;;
		esac
	done
	return "$rc"
}

if [ "$jobs" = 1 ]; then
	for s in "${suites[@]+"${suites[@]}"}"; do
		case "$s" in *@shadow*) ;; *@* | *qemu10*) d13_finish ;; esac
		say "suite $s: tools/testvm/run.sh --suite $s ${TESTVM_ARGV[*]+"${TESTVM_ARGV[*]}"}"
		run_suite "$s" || :
	done
else
	say "suites ${suites[*]}: $jobs at a time, output in build/testvm/SUITE.out"
	declare -A pids=()
	started=$(date +%s)
	if [ "$host" = 1 ]; then
		echo "starting the host checks (output in build/testvm/host.out)"
		host_checks "$BUILD/testvm/host/results.tsv" >"$BUILD/testvm/host.out" 2>&1 &
		pids[host]=$!
	fi
	reap() {
		local s
		for s in "${!pids[@]}"; do
			if ! kill -0 "${pids[$s]}" 2>/dev/null; then
				wait "${pids[$s]}" || :
				unset "pids[$s]"
				say "$s done after $(( $(date +%s) - started )) s"
				tail -n 3 "$BUILD/testvm/${s%%/*}.out" || :
			fi
		done
	}
	for s in "${suites[@]}"; do
		while [ "${#pids[@]}" -ge "$jobs" ]; do
			sleep 5
			reap
		done
		case "$s" in *@shadow*) ;; *@* | *qemu10*) d13_finish ;; esac
		mkdir -p "$BUILD/testvm"
		echo "starting suite $s"
		run_suite "$s" >"$BUILD/testvm/${s%%/*}.out" 2>&1 &
		pids[$s]=$!
	done
	while [ "${#pids[@]}" -gt 0 ]; do
		sleep 5
		reap
	done
fi
d13_finish
for s in "${suites[@]+"${suites[@]}"}"; do
	tsvs+=("$BUILD/testvm/${s%%/*}/results.tsv")
done

say "wall time ${SECONDS} s (build, host checks and suites; the budget is 40 min on 2 cores)"
say "summary"
exec bash "$HERE/report.sh" "${tsvs[@]}"
exit
}
