#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# run.sh - run one vtx test suite in the test VM (Bochs with emulated VT-x),
# or natively on a host that really has VMX.
#
# Usage:
#   tools/testvm/run.sh --suite NAME  [options]  # selftests/vtx/NAME/suite.sh,
#                                                # build/selftests/NAME/ as /tests
#   tools/testvm/run.sh --script FILE [options]  # any in-VM sh script (e.g. demo.sh)
# Options:
#   --cpus N        emulated CPUs (1)              --mem MB      guest RAM (512)
#   --timeout SEC   wall-time limit of the run (900)
#   --append ARGS   extra kernel command-line arguments
#   --name NAME     artifact dir build/testvm/NAME (default: suite or script name)
#   --tests DIR     tree to copy to /tests (default build/selftests/<suite>)
#   --kver VER      Debian kernel to boot: a version or a series (6.1, 6.12, 7.3;
#                   tools/testvm/kver.sh); default: vtx.ko's vermagic, else newest.
#                   Debian 13's kernels come from build/debian13 (make kernels),
#                   their vtx.ko from build/kernels/VER/vtx.ko.
#   --cpu-model M   Bochs CPU model (corei7_haswell_4770; `bochs --help cpu`
#                   lists them; on corei7_skylake_x Debian 6.1 disables XSAVE)
#   --force-bochs   use Bochs even on a host with VMX
#   --native        run natively without checking for VMX (tests the runner)
# Environment: VTX_KO=FILE tests that vtx.ko instead of ./vtx.ko.
# A suite may set defaults in selftests/vtx/NAME/testvm.conf (lines cpus=2,
# mem=1024, timeout=1200, append=..., cpu_model=...); options given here win.
#
# The script runs with tools/testvm/vmlib.sh loaded (see that file for the
# @@RESULT protocol and helpers). Serial output is streamed here while the
# VM runs; artifacts stay in build/testvm/NAME/ (serial.log, bochs.log,
# results.tsv, bochsrc, the ISO and the initramfs tree). Prints a table test x
# driver and "N passed, N failed, N skipped" last; exits non-zero on any
# failed result, a missing @@DONE, a kernel panic or a timeout.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
HERE=$ROOT/tools/testvm
# VTX_KO: the vtx.ko to test (e.g. a VTX_PROFILE=1 build kept elsewhere)
KO=${VTX_KO:-$ROOT/vtx.ko}
BUILD=$ROOT/build

usage() {
	sed -n '4,34p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'
	exit "${1:-2}"
}
say() { printf '[testvm] %s\n' "$*"; }
die() { printf '[testvm] error: %s\n' "$*" >&2; exit 2; }

suite='' script='' name='' tests='' kver='' append='' force_bochs=0 native=0
# The Bochs CPU model (its known kernel warnings: known-warnings.awk)
CPU_MODEL=''
cpus='' mem='' tmo=''
while [ "$#" -gt 0 ]; do
	case "$1" in
	--suite) suite=${2:?}; shift 2 ;;
	--script) script=${2:?}; shift 2 ;;
	--cpus) cpus=${2:?}; shift 2 ;;
	--mem) mem=${2:?}; shift 2 ;;
	--timeout) tmo=${2:?}; shift 2 ;;
	--append) append=${2?}; shift 2 ;;
	--name) name=${2:?}; shift 2 ;;
	--tests) tests=${2:?}; shift 2 ;;
	--kver) kver=${2:?}; shift 2 ;;
	--cpu-model) CPU_MODEL=${2:?}; shift 2 ;;
	--force-bochs) force_bochs=1; shift ;;
	--native) native=1; shift ;;
	-h | --help) usage 0 ;;
	*) echo "run.sh: unknown argument '$1'" >&2; usage ;;
	esac
done
if [ -n "$suite" ] && [ -n "$script" ]; then
	die "give --suite or --script, not both"
fi
if [ -n "$suite" ]; then
	case "$suite" in */* | .*) die "bad suite name '$suite'" ;; esac
	script=$ROOT/selftests/vtx/$suite/suite.sh
	: "${name:=$suite}"
	: "${tests:=$BUILD/selftests/$suite}"
	conf=$ROOT/selftests/vtx/$suite/testvm.conf
	if [ -f "$conf" ]; then
		while IFS='=' read -r k v; do
			case "$k" in
			cpus) : "${cpus:=$v}" ;;
			mem) : "${mem:=$v}" ;;
			timeout) : "${tmo:=$v}" ;;
			cpu_model) : "${CPU_MODEL:=$v}" ;;
			append) append="$v${append:+ $append}" ;;
			esac
		done <"$conf"
	fi
elif [ -n "$script" ]; then
	script=$(cd "$(dirname "$script")" && pwd)/$(basename "$script")
	: "${name:=$(basename "$script" .sh)}"
else
	usage
fi
: "${cpus:=1}" "${mem:=512}" "${tmo:=900}" "${CPU_MODEL:=corei7_haswell_4770}"
case "$CPU_MODEL" in "" | *[!a-z0-9_]*) die "bad --cpu-model '$CPU_MODEL'" ;; esac
for n in "$cpus" "$mem" "$tmo"; do
	case "$n" in "" | *[!0-9]*) die "--cpus/--mem/--timeout need a number, got '$n'" ;; esac
done

OUT=$BUILD/testvm/$name
mkdir -p "$OUT"
rm -f "$OUT/serial.log" "$OUT/bochs.log" "$OUT/bochs.term" "$OUT/bochs.pid" "$OUT/screen.log" \
	"$OUT/killed" "$OUT/results.tsv"
RESULTS=$OUT/results.tsv
# Until the run finishes, the results say it did not.
printf '%s\tvm\tdone\tfail\trunner did not finish\n' "$name" >"$RESULTS"

# Results the runner itself adds (driver "vm").
declare -a extra=()
add() { extra+=("$(printf '%s\t%s\t%s\t%s\t%s' "$name" "$1" "$2" "$3" "${4:-}")"); }

# Write results.tsv from the log + extra rows, print the table, exit.
finish() {
	{
		if [ -f "$OUT/serial.log" ]; then parse_log "$OUT/serial.log"; fi
		for r in "${extra[@]+"${extra[@]}"}"; do printf '%s\n' "$r"; done
	} >"$RESULTS.new"
	mv "$RESULTS.new" "$RESULTS"
	echo
	say "artifacts: ${OUT#"$ROOT"/}/ (serial.log bochs.log results.tsv)"
	echo
	exec bash "$HERE/report.sh" "$RESULTS"
}

# The serial log with the kernel's console lines taken out of the marker
# lines they cut in two: with warnings on the console (init), a kernel line
# can land in the middle of a "@@RESULT drv name status" line, whose rest
# then follows on the next line.  A marker line cut before its third field
# is joined with the next line that is not a kernel line; the kernel line
# is printed on its own, so that log_facts still sees it.
log_lines() {
	awk '
	{ sub(/\r+$/, "") }
	held != "" {
		if ($0 ~ /^\[ *[0-9]+\.[0-9]+\] /) { print; next }
		$0 = held $0
		held = ""
	}
	(i = index($0, "@@RESULT ")) > 0 && match($0, /\[ *[0-9]+\.[0-9]+\] /) &&
	    RSTART > i && split(substr($0, i + 9, RSTART - i - 9), f, " ") < 3 {
		held = substr($0, 1, RSTART - 1)
		print substr($0, RSTART)
		next
	}
	{ print }
	END { if (held != "") print held }' "$1"
}

# @@RESULT lines -> tsv rows (suite driver test status detail).
parse_log() {
	log_lines "$1" | awk -v suite="$name" '
	(i = index($0, "@@RESULT ")) > 0 {
		s = substr($0, i + 9)
		n = split(s, a, " ")
		if (n < 3) { printf "%s\tvm\tmalformed-result\tfail\t%s\n", suite, s; next }
		det = s
		for (k = 1; k <= 3; k++) { sub(/^ *[^ ]+/, "", det) }
		sub(/^ +/, "", det); gsub(/\t/, " ", det)
		st = a[3]
		if (st != "ok" && st != "fail" && st != "skip") { det = "bad status " st " " det; st = "fail" }
		printf "%s\t%s\t%s\t%s\t%s\n", suite, a[1], a[2], st, det
	}'
}

# Facts about the serial log: done, rc, first bad kernel line, last marker.
log_facts() {
	log_lines "$1" |
	awk -v kver="$kver" -v model="$CPU_MODEL" -f "$HERE/known-warnings.awk" | awk '
	/^known-warning: / { known++; ksite = $2 }
	/@@DONE rc=/ { done = 1; rc = $0; sub(/.*@@DONE rc=/, "", rc); sub(/[^0-9].*/, "", rc) }
	/@@RUN / { last = $0; sub(/.*@@RUN /, "", last) }
	/@@RESULT |@@RUN / { next }
	/BUG:|WARNING:|Oops|general protection|Call Trace/ { if (bad == "") bad = $0 }
	/Kernel panic - not syncing/ { if (panic == "") panic = $0 }
	END {
		gsub(/\t/, " ", bad); gsub(/\t/, " ", panic)
		printf "done=%s\nrc=%s\nbad=%s\nlast=%s\npanic=%s\n", done + 0, rc, bad, last, panic
		if (known) printf "known=%d known warning(s): %s\n", known, ksite
	}'
}

# Turn the log facts into the "done" and "dmesg-clean" results.
judge() {
	local how="$1" elapsed="$2" f done='' rc='' bad='' last='' panic='' known=''
	while IFS= read -r f; do
		case "$f" in
		done=*) done=${f#done=} ;;
		rc=*) rc=${f#rc=} ;;
		bad=*) bad=${f#bad=} ;;
		last=*) last=${f#last=} ;;
		panic=*) panic=${f#panic=} ;;
		known=*) known=${f#known=} ;;
		esac
	done < <(log_facts "$OUT/serial.log")
	# (the kernel last: report.sh labels the suite with it)
	local on="on ${kver:-$(uname -r)}"
	if [ "$done" = 1 ] && [ "${rc:-1}" = 0 ]; then
		add vm "done" ok "@@DONE rc=0 after ${elapsed}s $on"
	elif [ "$done" = 1 ]; then
		add vm "done" fail "suite script exited rc=$rc $on"
	else
		add vm "done" fail "no @@DONE: $how after ${elapsed}s${panic:+; $panic}${last:+; last step: $last} $on"
	fi
	if [ -n "$bad" ]; then
		add vm dmesg-clean fail "$bad"
	else
		add vm dmesg-clean ok "$known"
	fi
}

[ -f "$script" ] || { add vm "done" fail "script $script missing"; finish; }
if [ -n "$tests" ] && [ ! -d "$tests" ]; then
	say "note: $tests does not exist (selftests not built?); /tests will be empty"
fi

# ---------------------------------------------------------------- native ---
if [ "$native" = 1 ] || { [ "$force_bochs" = 0 ] && grep -qw vmx /proc/cpuinfo &&
	[ "$(id -u)" = 0 ] && [ -d "/lib/modules/$(uname -r)/build" ]; }; then
	say "native run on this host (it has VMX); --force-bochs to use the test VM"
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
fi

# ----------------------------------------------------------------- bochs ---
need=()
for t in bochs xorriso cpio gzip script timeout; do
	command -v "$t" >/dev/null 2>&1 || need+=("$t")
done
BUSYBOX=/bin/busybox
[ -x "$BUSYBOX" ] || need+=(busybox-static)
ISOLINUX=/usr/lib/ISOLINUX/isolinux.bin
LDLINUX=/usr/lib/syslinux/modules/bios/ldlinux.c32
BIOS=/usr/share/bochs/BIOS-bochs-latest
VGABIOS=/usr/share/vgabios/vgabios.bin
for f in "$ISOLINUX" "$LDLINUX" "$BIOS" "$VGABIOS"; do
	[ -f "$f" ] || need+=("$f")
done

# Kernel: the one vtx.ko was built for, if installed; else the newest.
if [ -z "$kver" ] && [ -f "$KO" ] && command -v modinfo >/dev/null 2>&1; then
	v=$(modinfo -F vermagic "$KO" 2>/dev/null | awk '{print $1}') || v=
	if [ -n "$v" ] && [ -f "/boot/vmlinuz-$v" ] && [ -d "/lib/modules/$v" ]; then
		kver=$v
	fi
fi
if [ -n "$kver" ]; then
	v=$(sh "$HERE/kver.sh" "$kver")
	[ -n "$v" ] || need+=("kernel $kver (make kernels)")
	kver=${v:-$kver}
fi
[ -n "$kver" ] || kver=$(sh "$HERE/kver.sh")
# Debian 13's kernels: unpacked image packages (tools/testvm/debian13.sh)
KROOT=
if [ ! -r "/boot/vmlinuz-$kver" ] && [ -r "$BUILD/debian13/kernels/boot/vmlinuz-$kver" ]; then
	KROOT=$BUILD/debian13/kernels
	# their vtx.ko is built in the Debian 13 chroot
	if [ -z "${VTX_KO:-}" ]; then KO=$BUILD/kernels/$kver/vtx.ko; fi
fi
VMLINUZ=$KROOT/boot/vmlinuz-$kver
[ -n "$kver" ] && [ -r "$VMLINUZ" ] || need+=("$VMLINUZ (linux-image-amd64)")
if [ "${#need[@]}" -gt 0 ]; then
	say "missing: ${need[*]} -- run 'make deps'"
	add vm "done" fail "test VM prerequisites missing: ${need[*]}"
	finish
fi

# Copy a kernel module (maybe compressed) without its debug info.
copy_ko() {
	local src="$1" dst="$2"
	if [ -f "$src" ]; then
		:
	elif [ -f "$src.xz" ]; then
		xz -dc "$src.xz" >"$dst.tmp" && src=$dst.tmp
	elif [ -f "$src.zst" ]; then
		zstd -qdc "$src.zst" >"$dst.tmp" && src=$dst.tmp
	else
		return 1
	fi
	strip --strip-debug -o "$dst" "$src" 2>/dev/null || cp "$src" "$dst"
	rm -f "$dst.tmp"
}

say "building initramfs + ISO (kernel $kver)"
RFS=$OUT/rootfs
rm -rf "$RFS" "$OUT/iso"
mkdir -p "$RFS"/{bin,sbin,usr/bin,usr/sbin,dev,proc,sys,tmp,run,etc,kmod,guests,tests,lib/vtx}
cp "$BUSYBOX" "$RFS/bin/busybox"
install -m 755 "$HERE/init" "$RFS/init"
install -m 644 "$HERE/vmlib.sh" "$RFS/lib/vtx/vmlib.sh"
install -m 755 "$script" "$RFS/suite.sh"
if [ -f "$KO" ]; then
	copy_ko "$KO" "$RFS/vtx.ko"
else
	say "note: $KO not built; vtx_load will fail"
fi
KMODS=$KROOT/lib/modules/$kver/kernel
copy_ko "$KMODS/virt/lib/irqbypass.ko" "$RFS/kmod/irqbypass.ko" || say "note: irqbypass.ko not found"
copy_ko "$KMODS/arch/x86/kvm/kvm.ko" "$RFS/kmod/kvm.ko" || say "note: kvm.ko not found"
copy_ko "$KMODS/arch/x86/kvm/kvm-intel.ko" "$RFS/kmod/kvm-intel.ko" || say "note: kvm-intel.ko not found"
if [ -d "$BUILD/bin" ]; then
	for f in "$BUILD/bin"/*; do
		if [ ! -f "$f" ] || [ ! -x "$f" ]; then continue; fi
		cp "$f" "$RFS/bin/"
		if command -v ldd >/dev/null 2>&1 && ldd "$f" >/dev/null 2>&1; then
			say "warning: $f is dynamically linked; the VM has no libc (link it -static)"
		fi
	done
fi
if [ -d "$BUILD/guests" ]; then
	cp -a "$BUILD/guests/." "$RFS/guests/"
fi
if [ -n "$tests" ] && [ -d "$tests" ]; then
	cp -a "$tests/." "$RFS/tests/"
fi
install -m 644 "$HERE/known-warnings.awk" "$RFS/lib/vtx/known-warnings.awk"
printf 'VTX_SUITE=%s\nVTX_KVER=%s\nVTX_CPU_MODEL=%s\n' "$name" "$kver" "$CPU_MODEL" >"$RFS/etc/vtx.env"
(cd "$RFS" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -n >"$OUT/initrd.gz"

mkdir -p "$OUT/iso/isolinux" "$OUT/iso/boot"
cp "$ISOLINUX" "$LDLINUX" "$OUT/iso/isolinux/"
cp "$VMLINUZ" "$OUT/iso/boot/vmlinuz"
mv "$OUT/initrd.gz" "$OUT/iso/boot/initrd.gz"
cmdline="console=ttyS0,115200 quiet loglevel=4 mitigations=off nokaslr tsc=reliable${append:+ $append}"
cat >"$OUT/iso/isolinux/isolinux.cfg" <<EOF
DEFAULT vtx
PROMPT 0
TIMEOUT 0
LABEL vtx
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.gz
  APPEND $cmdline
EOF
xorriso -as mkisofs -quiet -R -V VTXTEST -o "$OUT/testvm.iso" \
	-b isolinux/isolinux.bin -c isolinux/boot.cat \
	-no-emul-boot -boot-load-size 4 -boot-info-table "$OUT/iso" 2>"$OUT/xorriso.log" ||
	{ cat "$OUT/xorriso.log"; add vm "done" fail "xorriso failed"; finish; }

cat >"$OUT/bochsrc" <<EOF
# generated by tools/testvm/run.sh (see /work/shared/notes/testvm.md)
megs: $mem
cpu: model=$CPU_MODEL, count=$cpus, ips=100000000, reset_on_triple_fault=0
romimage: file=$BIOS
vgaromimage: file=$VGABIOS
ata0-master: type=cdrom, path=testvm.iso, status=inserted
boot: cdrom
com1: enabled=1, mode=file, dev=serial.log
display_library: term, options="hideIPS"
clock: sync=none, time0=local
log: bochs.log
panic: action=fatal
error: action=report
info: action=ignore
debug: action=ignore
EOF
echo c >"$OUT/bochs.dbg"
cat >"$OUT/launch.sh" <<'EOF'
#!/bin/sh
# The debugger stops at the first instruction: -rc bochs.dbg says "c".
echo "$$" >bochs.pid
exec bochs -q -f bochsrc -rc bochs.dbg
EOF
chmod +x "$OUT/launch.sh"
: >"$OUT/serial.log"

bochs_pid() {
	local p
	p=$(cat "$OUT/bochs.pid" 2>/dev/null) || return 1
	[ -n "$p" ] && grep -q bochs "/proc/$p/cmdline" 2>/dev/null && echo "$p"
}
kill_bochs() {
	local p
	if p=$(bochs_pid); then
		kill -TERM "$p" 2>/dev/null || :
		sleep 2
		kill -KILL "$p" 2>/dev/null || :
	fi
}
# shellcheck disable=SC2317 # invoked by trap
on_signal() {
	trap - INT TERM
	say "interrupted; stopping Bochs"
	echo interrupted >"$OUT/killed"
	kill_bochs
	exit 130
}
trap on_signal INT TERM
trap 'kill_bochs' EXIT

say "suite=$name cpus=$cpus cpu=$CPU_MODEL mem=${mem}MB timeout=${tmo}s kernel=$kver"
say "cmdline: $cmdline"
say "booting Bochs (~2 min to /init, most of it the kernel's XZ decompression); serial console follows"
echo "------------------------------------------------------------------------"
start=$(date +%s)
# The term display needs a terminal: script gives it a pty, stdin /dev/null.
(cd "$OUT" && exec timeout -k 20 "$((tmo + 30))" \
	script -qfec "timeout -k 5 $tmo ./launch.sh" /dev/null \
	</dev/null >"$OUT/bochs.term" 2>&1) &
runner=$!

# Stream the serial log to the terminal (tail ends when the run ends).
tail -n +1 -s 0.5 -F --pid="$runner" "$OUT/serial.log" 2>/dev/null | tr -d '\r' &
streamer=$!
# Watch it: stop Bochs early on a kernel panic, or if it does not power
# off soon after @@DONE.
booted=0 panic_at=0 done_at=0 drainer='' cpu_at=$start cpu_was=0
hz=$(getconf CLK_TCK 2>/dev/null || echo 100)
while kill -0 "$runner" 2>/dev/null; do
	sleep 1
	now=$(date +%s)
	# Bochs built with its debugger draws the term display into a pty of its
	# own ("Bochs connected to screen /dev/pts/N"). Unread, it fills up after
	# a few KB and Bochs blocks in write() for good: read it (screen.log).
	if [ -z "$drainer" ]; then
		pts=$(sed -n 's/.*Bochs connected to screen "\(\/dev\/pts\/[0-9]*\)".*/\1/p' \
			"$OUT/bochs.term" 2>/dev/null | head -n 1)
		if [ -n "$pts" ] && [ -c "$pts" ]; then
			stty -F "$pts" raw -echo 2>/dev/null || :
			cat "$pts" >"$OUT/screen.log" 2>/dev/null &
			drainer=$!
		fi
	fi
	if [ "$booted" = 0 ] && grep -q '@@BOOT ' "$OUT/serial.log"; then
		booted=1
		say "reached /init after $((now - start))s"
	fi
	if [ "$panic_at" = 0 ] && grep -q 'Kernel panic - not syncing' "$OUT/serial.log"; then
		panic_at=$now
	fi
	if [ "$done_at" = 0 ] && grep -q '@@DONE rc=' "$OUT/serial.log"; then
		done_at=$now
	fi
	# A live Bochs always computes (clock: sync=none fast-forwards an idle
	# guest); one that used <3% of a CPU for a minute is stuck for good.
	if [ "$now" -ge "$((cpu_at + 60))" ] && p=$(bochs_pid); then
		cpu=$(awk '{print $14 + $15}' "/proc/$p/stat" 2>/dev/null || echo 0)
		if [ "$cpu_was" != 0 ] && [ "$((cpu - cpu_was))" -lt "$((hz * 2))" ] &&
			[ ! -e "$OUT/killed" ]; then
			echo "Bochs stopped computing (stuck; see bochs.term, bochs.log)" >"$OUT/killed"
			kill_bochs
		fi
		cpu_was=$cpu
		cpu_at=$now
	fi
	if [ "$panic_at" != 0 ] && [ "$now" -ge "$((panic_at + 5))" ] && [ ! -e "$OUT/killed" ]; then
		echo "kernel panic" >"$OUT/killed"
		kill_bochs
	fi
	if [ "$done_at" != 0 ] && [ "$now" -ge "$((done_at + 60))" ] && [ ! -e "$OUT/killed" ]; then
		echo "no poweroff 60s after @@DONE" >"$OUT/killed"
		kill_bochs
	fi
done
set +e
wait "$runner"
rc=$?
wait "$streamer"
if [ -n "$drainer" ]; then
	kill "$drainer" 2>/dev/null
	wait "$drainer" 2>/dev/null
fi
set -e
trap - EXIT
elapsed=$(($(date +%s) - start))
echo "------------------------------------------------------------------------"
how="Bochs exited with status $rc"
if grep -q '@@DONE rc=' "$OUT/serial.log"; then
	how="guest powered off"
fi
if [ -s "$OUT/killed" ]; then
	how="stopped: $(cat "$OUT/killed")"
elif [ "$rc" = 124 ] || [ "$elapsed" -ge "$tmo" ]; then
	how="timeout (${tmo}s)"
fi
say "Bochs finished in ${elapsed}s ($how)"
if [ -f "$OUT/bochs.log" ]; then
	# (RDMSR/WRMSR "Unknown register" lines are the guest kernel probing)
	nvmf=$(grep -c 'VMFAIL\|VMENTER FAIL' "$OUT/bochs.log" || :)
	nerr=$(grep '^[0-9]*[ep]\[' "$OUT/bochs.log" | grep -vc 'MSR.*Unknown register\|VMFAIL\|VMENTER FAIL\|EPT violation\|soft power off' || :)
	say "bochs.log: $nvmf failed VM entries (VMFAIL/VMENTER FAIL), $nerr other error lines"
fi
judge "$how" "$elapsed"
finish
exit
}
