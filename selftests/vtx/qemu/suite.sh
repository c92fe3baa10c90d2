# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "qemu" suite (issue 8), run in the test VM by tools/testvm/run.sh
# --suite qemu, with tools/testvm/vmlib.sh loaded and cwd = /tests (a copy of
# build/selftests/qemu/, made by selftests/vtx/qemu/prepare.sh).
#
# Debian's own QEMU, unmodified, boots the Debian kernel (the same one the
# test VM runs) with a busybox initramfs as a nested guest: first on
# kvm_intel, then with vtx as its KVM accelerator (/dev/kvm made a vtx
# node), with the same command:
#
#   qemu-system-x86_64 -L fw -accel kvm,kernel-irqchip=off -cpu host,kvm=off
#     -M pc -m 128 -nographic -vga none -nic none -no-reboot
#     -kernel vmlinuz -initrd small.cpio -append "console=ttyS0 ... klog=shm"
#     -object memory-backend-file,... -device ivshmem-plain,... [-smp 2]
#
# Results, per driver (kvm, vtx):
#   qemu-boot            QEMU exits 0 and the nested /init's marker line
#                        ("NESTED-BOOT-OK uptime=...") is in its output
#   qemu-boot-smp2       the same with -smp 2
#   transcript-match     (vtx only) vtx's normalised console transcript has
#   transcript-match-smp2  the same lines as kvm's (transcript.awk: no
#                        timestamps, no timing-dependent lines)
#   dmesg                test-VM kernel log clean after that driver's runs
#   qemu-refused[-RUN]   (vtx, kernels from 7.0, whose x86/virt code lends
#                        VMX to KVM only: design.rst 3.5) QEMU's
#                        KVM_CREATE_VM fails with EBUSY, QEMU says so and
#                        exits non-zero within QEMU_TIMEOUT, vtx logs why;
#                        no vtx boot and no transcript-match there
# Output on the serial console, for tools/testvm/qemu-extract.sh:
#   q-<drv>-<run>| ...   QEMU's output (nested console), live; the words the
#                        runner scans for (BUG:, WARNING:, Oops, general
#                        protection, Call Trace, Kernel panic - not syncing)
#                        get a '~' so that a nested kernel's trouble is not
#                        taken for the test VM's
#   @@QEMU-TIME <drv> <run> rc=N nested-uptime=S qemu-seconds=S
#   @@IOCTLS-BEGIN <drv> <run> ... @@IOCTLS-END <drv> <run>
#                        ioctls QEMU issued, a count per request, then the
#                        capabilities it checked. Recorded by ioctl-log.so
#                        (LD_PRELOAD, one write() per ioctl, strace's line
#                        format) or, per QEMU_STRACE, by strace -f -e
#                        trace=ioctl (a ptrace round trip per ioctl)
#   tdiff-<run>| ...     diff -u of the normalised transcripts, kvm vs vtx
#
# Knobs (environment; in the test VM pass them on the kernel command line,
# e.g. run.sh --suite qemu --append "QEMU_DRIVERS=kvm QEMU_STRACE=boot,smp2"):
#   QEMU_DRIVERS  drivers to run, in order          (kvm,vtx)
#   QEMU_RUNS     runs per driver: boot, smp2 (kernel-irqchip=off), split,
#                 split2 (kernel-irqchip=split, -smp 1 and 2), irqchip,
#                 irqchip2 (kernel-irqchip=on, QEMU's default)
#                 (boot,split2,irqchip2: each mode once, -smp 1 with
#                 kernel-irqchip=off; the qemu-irqchip suite's testvm.conf
#                 sets irqchip,irqchip2, the qemu10 suite's irqchip2,split2;
#                 smp2 hangs in Debian's QEMU 7.2.22 on any KVM with
#                 kernel-irqchip=off, see README.md)
#   QEMU_KVM_RUNS  the runs of QEMU_RUNS also done on kvm_intel, the
#                 reference of their transcript-match (the others: vtx
#                 only, transcript-match a skip saying so; make check's
#                 QEMU 7.2 lane: split2,irqchip2)        (all of QEMU_RUNS)
#   QEMU_STRACE   runs (boot, smp2) or driver-runs (vtx-boot) done under
#                 strace -f -e trace=ioctl instead of ioctl-log.so   (none)
#   QEMU_TIMEOUT  seconds (test-VM time) per QEMU run  (600)
#   QEMU_CPU      QEMU's -cpu: host,kvm=off hides the KVM leaves and so
#                 kvmclock; host offers them as QEMU does by default
#                 (host,kvm=off; the qemu10 suite's testvm.conf sets host:
#                 its transcripts match with kvmclock and the PV
#                 spinlock, TLB flush, IPI and sched-yield features since
#                 session 10; QEMU 7.2's kernel-irqchip=off run aborts on
#                 kvm_intel with host, failing to set MSR 0x4b564d06)
#   QEMU_FAKE_CAPS  DIAGNOSTICS ONLY, e.g. 25=1: ioctl-log.so answers
#                 KVM_CHECK_EXTENSION of capability 25 with 1 itself, to see
#                 what fails after a capability vtx lacks (results say so)
#   QEMU_DROP_MSRS  DIAGNOSTICS ONLY, e.g. 0x11,0x400-0x47f: ioctl-log.so leaves
#                 these MSRs out of KVM_SET_MSRS and reports them written
#   QEMU_KVM_PARAMS  kvm_intel's module parameters            (nested=0)
#   QEMU_SMP_ARGS DIAGNOSTICS: extra QEMU options of the smp runs, comma
#                 for space (e.g. -global,apic.vapic=off)        (none)
#   QEMU_STAMP    DIAGNOSTICS: 1 prefixes each line of QEMU's output on
#                 the console with the test VM's uptime ("@12.34 ")  (none)
#   QEMU_KLOG     where the nested kernel's log goes: shm (the memory of
#                 an ivshmem-plain device, a file here, written by /init
#                 at the end), hvc (a virtio console, written by /init at
#                 the end after loading its drivers) or serial (live on
#                 ttyS0, slow)                                      (shm)
#   QEMU_NESTED_APPEND  DIAGNOSTICS: more words for the nested kernel's
#                 command line, comma for space, e.g. "initcall_debug,log_buf_len=1M,
#                 initstamp=1" (initstamp: the nested /init logs each of
#                 its steps to /dev/kmsg, stamped by the kernel)  (none)
#   QEMU_TRACE    QEMU trace events to record (-trace enable=...), e.g.
#                 "apic_*,kvm_vcpu_ioctl"; the last lines are shown on a
#                 failure                                          (none)

: "${QEMU_DRIVERS:=kvm,vtx}"
: "${QEMU_RUNS:=boot,split2,irqchip2}"
: "${QEMU_KVM_RUNS:=$QEMU_RUNS}"
: "${QEMU_STRACE=}"
: "${QEMU_FAKE_CAPS=}"
: "${QEMU_DROP_MSRS=}"
: "${QEMU_TIMEOUT:=600}"
: "${QEMU_CPU:=host,kvm=off}"
: "${QEMU_TRACE=}"
: "${QEMU_SMP_ARGS=}"
: "${QEMU_STAMP=}"
: "${QEMU_NESTED_APPEND=}"
# kvm_intel runs with nested=0: vtx offers no VMX to its guests, and the
# transcripts (the nested /proc/cpuinfo flags) compare like with like.
: "${QEMU_KVM_PARAMS=nested=0}"
# and the boot's own KVM_INTEL_PARAMS after them (make check-shadow:
# ept=0, beside vtx's VTX_MODPARAMS=ept=0)
export KVM_INTEL_PARAMS="$QEMU_KVM_PARAMS${KVM_INTEL_PARAMS:+ $KVM_INTEL_PARAMS}"
QDIR=$TESTS_DIR
ART=$VTX_STATE/qemu
# The nested kernel skips work that tests nothing of the hypervisor and
# costs the same on both drivers (nested time of a kvm_intel boot, session
# 12): the crypto self-tests; the two W+X page-table walks (1.40 s for the
# kernel's tables after marking them read-only, rodata=off; 1.35 s for
# the user copy of page-table isolation, nopti, which also spares a CR3
# switch at every kernel entry and exit).
# Its log (QEMU_KLOG=shm, the default): printed on the serial console as
# it comes (console=ttyS0), each character costs two UART exits to QEMU,
# about 40% of a nested boot; printed at the end through the
# interrupt-driven 8250 driver it costs more (session 12); through a
# virtio console (QEMU_KLOG=hvc, session 13) loading the drivers and
# bringing the device up cost 3.2 s of an 11.4 s split boot (session 14:
# 8.2 s without any log); through QEMU's isa-debugcon with REP OUTSB, 5.3 s
# on kvm_intel (its emulator takes OUTS a byte per exit to QEMU). So the
# kernel runs quiet on ttyS0 (errors, warnings of an oops and a panic
# still show there as they happen) and the nested /init copies the whole
# log (dmesg) and its own lines into the BAR of QEMU's ivshmem-plain
# device (no driver: mmap of its sysfs resource file), whose memory is
# the file ART/TAG.console.hvc (memory-backend-file, share=on): no exit
# at all, and a file-backed shared memslot for both drivers' EPT. The
# file (NULs after the text) is appended to the transcript.
# QEMU_KLOG=serial: the whole log live on ttyS0 (to see where a hanging
# boot stops).
: "${QEMU_KLOG:=shm}"
NESTED_APPEND="console=ttyS0 panic=-1 nokaslr cryptomgr.notests=1 nopti rodata=off"
# the ivshmem memory (a power of two): a nested log is ~30 KB
KLOG_SHM_SIZE=1M
case "$QEMU_KLOG" in
shm | hvc) NESTED_APPEND="$NESTED_APPEND quiet klog=$QEMU_KLOG" ;;
esac
[ -n "$QEMU_NESTED_APPEND" ] &&
	NESTED_APPEND="$NESTED_APPEND $(echo "$QEMU_NESTED_APPEND" | tr , " ")"
mkdir -p "$ART"

# in LIST ITEM - is ITEM in the comma-separated LIST?
in_list() {
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

# Test-VM time in seconds (x.yz), and B - A of two of them.
vm_now() { cut -d' ' -f1 /proc/uptime; }
secs() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.1f", b - a }'; }

# Console lines to the serial log: a prefix, no CR/ESC, alarm words defanged.
# stamp - with QEMU_STAMP=1, each line of QEMU's output prefixed with the
# test VM's uptime when it arrived (where a slow run spends its time).
stamp() {
	if [ -n "$QEMU_STAMP" ]; then
		awk '{ getline u <"/proc/uptime"; close("/proc/uptime")
			sub(/ .*/, "", u); print "@" u " " $0; fflush() }'
	else
		cat
	fi
}

show() {
	tr -d '\r\033' | sed -e "s/^/$1| /" \
		-e 's/Kernel panic - not syncing/Kernel panic~ - not syncing/g' \
		-e 's/BUG:/BUG~:/g' -e 's/WARNING:/WARNING~:/g' -e 's/Oops/Oo~ps/g' \
		-e 's/general protection/general~protection/g' -e 's/Call Trace/Call~Trace/g'
}

# Kernel log lines of the test VM since the previous call (own counter, so
# that vmlib's dmesg_check still sees everything).
DMESG_SEEN=0
dmesg_new() {
	local n
	n=$(dmesg | wc -l)
	if [ "$n" -gt "$DMESG_SEEN" ]; then
		dmesg | tail -n "$((n - DMESG_SEEN))"
	fi
	DMESG_SEEN=$n
}

# The copied loader and libraries: QEMU and strace are Debian's dynamically
# linked binaries; the test VM's root has no libc.
qemu_setup() {
	if [ ! -e /lib64/ld-linux-x86-64.so.2 ]; then
		mkdir -p /lib64
		ln -s "$QDIR/lib/ld-linux-x86-64.so.2" /lib64/ld-linux-x86-64.so.2
	fi
	export LD_LIBRARY_PATH="$QDIR/lib"
	echo "qemu suite: $(tr '\n' ';' <"$QDIR/VERSIONS" 2>/dev/null)"
	"$QDIR/qemu-system-x86_64" --version | head -n 1
}

# vtx's own view while QEMU runs on it: its event stream and, every 10 s,
# the exit statistics of QEMU's VM (the last snapshot outlives the VM).
# Needs build/bin/vtxctl (the test VM's /bin); silently skipped without.
WATCH_PIDS=
vtx_watch_start() {
	local tag="$1"
	command -v vtxctl >/dev/null 2>&1 || return 0
	rm -f "$ART/$tag.stats" "$ART/$tag.events"
	vtxctl events >"$ART/$tag.events" 2>&1 &
	WATCH_PIDS=$!
	(
		while sleep 10; do
			id=$(vtxctl list 2>/dev/null | awk '$3 ~ /^qemu/ { print $1; exit }')
			[ -n "$id" ] || continue
			if vtxctl stats "$id" >"$ART/$tag.stats.new" 2>&1; then
				mv "$ART/$tag.stats.new" "$ART/$tag.stats"
			fi
		done
	) &
	WATCH_PIDS="$WATCH_PIDS $!"
}
vtx_watch_stop() {
	local tag="$1" p
	[ -n "$WATCH_PIDS" ] || return 0
	for p in $WATCH_PIDS; do
		kill "$p" 2>/dev/null
		wait "$p" 2>/dev/null
	done
	WATCH_PIDS=
	if [ -s "$ART/$tag.events" ]; then
		echo "vtx events during $tag:"
		sed 's/^/  /' "$ART/$tag.events"
	fi
	if [ -s "$ART/$tag.stats" ]; then
		echo "vtx exit statistics of QEMU's VM (last snapshot, <=10 s before its end):"
		sed 's/^/  /' "$ART/$tag.stats"
	fi
}

# stall_watch TAG - in the background: shortly before the run's timeout,
# write what each QEMU thread is doing (state, kernel wait channel, the
# system call it is in with its user IP/SP, kernel stack) to ART/TAG.stall.
stall_watch() {
	local tag="$1" p t
	sleep "$((QEMU_TIMEOUT - 15))" &
	echo "$!" >"$ART/$tag.sleep"
	wait
	p=$(pidof qemu-system-x86_64) || return 0
	for p in $p; do
		{
			echo "QEMU pid $p, $(vm_now)s:"
			for t in /proc/"$p"/task/*; do
				echo "thread ${t##*/} $(cat "$t/comm") state $(cut -d' ' -f3 "$t/stat")" \
					"wchan $(cat "$t/wchan" 2>/dev/null) syscall $(cat "$t/syscall" 2>/dev/null)"
				sed 's/^/    /' "$t/stack" 2>/dev/null
			done
			grep -E 'qemu-system|r-xp' "/proc/$p/maps" | head -n 40
		} >>"$ART/$tag.stall" 2>&1
	done
}

# irqchip_of RUN - QEMU's kernel-irqchip= for a run: "split" for the runs
# split and splitN (in-kernel local APICs, QEMU's IOAPIC and 8259s), "on"
# (QEMU's default for -M pc: local APICs, IOAPIC, 8259s and PIT in the
# kernel) for irqchip and irqchipN, "off" (everything in QEMU) for boot and
# smpN.
irqchip_of() {
	case "$1" in
	split*) echo split ;;
	irqchip*) echo on ;;
	*) echo off ;;
	esac
}

# qemu_exec TAG COMMAND... - COMMAND (QEMU) within QEMU_TIMEOUT, its output
# on stdout, its exit status in ART/TAG.rc.
qemu_exec() {
	local tag="$1" stray
	shift
	timeout -k 10 "$QEMU_TIMEOUT" "$@" </dev/null 2>&1
	echo "$?" >"$ART/$tag.rc"
	# a QEMU left running (its strace killed) would hold the pipe open
	if [ "$VTX_NATIVE" != 1 ] && stray=$(pidof qemu-system-x86_64); then
		echo "killing QEMU left running: $stray"
		# shellcheck disable=SC2086
		kill -9 $stray
	fi
}

# qemu_boot DRIVER RUN SMP - one QEMU boot of the nested guest; result
# "qemu-boot" (RUN=boot) or "qemu-boot-RUN".
qemu_boot() {
	local drv="$1" run="$2" smp="$3" tag name log rc t0 t1 up ncpu why st err rec swp shp t tr=0 how=
	tag=$drv-$run
	name=qemu-boot
	[ "$run" = boot ] || name=qemu-boot-$run
	log=$ART/$tag.console
	rec=$ART/$tag.ioctls
	rm -f "$rec" "$ART/$tag.counts"
	if in_list "$QEMU_STRACE" "$run" || in_list "$QEMU_STRACE" "$tag"; then
		tr=1
		how=" (under strace)"
	fi
	set -- -L "$QDIR/fw" -accel "kvm,kernel-irqchip=$(irqchip_of "$run")" \
		-cpu "$QEMU_CPU" -M pc \
		-m 128 -nographic -vga none -nic none -no-reboot \
		-kernel "$QDIR/vmlinuz" -initrd "$QDIR/small.cpio" -append "$NESTED_APPEND"
	rm -f "$log.hvc"
	case "$QEMU_KLOG" in
	shm) set -- "$@" -object \
		"memory-backend-file,id=klog,mem-path=$log.hvc,size=$KLOG_SHM_SIZE,share=on" \
		-device ivshmem-plain,memdev=klog ;;
	hvc) set -- "$@" -device virtio-serial-pci \
		-chardev "file,id=klog,path=$log.hvc" -device virtconsole,chardev=klog ;;
	esac
	if [ "$smp" -gt 1 ]; then
		set -- "$@" -smp "$smp"
		# shellcheck disable=SC2046
		[ -n "$QEMU_SMP_ARGS" ] && set -- "$@" $(echo "$QEMU_SMP_ARGS" | tr ',' ' ')
	fi
	rm -f "$ART/$tag.trace" "$ART/$tag.stall"
	if [ -n "$QEMU_TRACE" ]; then
		for t in $(echo "$QEMU_TRACE" | tr ',' ' '); do
			set -- "$@" -trace "enable=$t"
		done
		set -- "$@" -D "$ART/$tag.trace"
	fi
	[ -n "$QEMU_FAKE_CAPS$QEMU_DROP_MSRS" ] &&
		how="$how (DIAGNOSTIC: faked capabilities '$QEMU_FAKE_CAPS', dropped MSRs '$QEMU_DROP_MSRS')"
	echo "@@RUN $drv $name: qemu-system-x86_64 $*$how"
	if [ "$tr" = 1 ]; then
		# -I1: timeout's SIGTERM must reach strace (with -o FILE it blocks
		# fatal signals by default), which then ends the QEMU it started
		set -- "$QDIR/strace" -I1 -f --seccomp-bpf -e trace=ioctl -o "$rec" \
			"$QDIR/qemu-system-x86_64" "$@"
	else
		set -- env LD_PRELOAD="$QDIR/ioctl-log.so" IOCTL_LOG="$rec" \
			IOCTL_COUNTS="$ART/$tag.counts" \
			IOCTL_FAKE_CAPS="$QEMU_FAKE_CAPS" IOCTL_DROP_MSRS="$QEMU_DROP_MSRS" \
			"$QDIR/qemu-system-x86_64" "$@"
	fi
	[ "$drv" = vtx ] && vtx_watch_start "$tag"
	stall_watch "$tag" &
	swp=$!
	t0=$(vm_now)
	if [ -n "$QEMU_STAMP" ]; then
		# each line stamped when it comes: QEMU's output through a pipe
		qemu_exec "$tag" "$@" | tee "$log" | stamp | show "q-$tag"
		t1=$(vm_now)
		if [ -s "$log.hvc" ]; then
			tr -d '\000' <"$log.hvc" >>"$log"
			tr -d '\000' <"$log.hvc" | stamp | show "q-$tag"
		fi
	else
		# QEMU writes its console a character at a time: into a pipe to
		# tee and on, each one woke three processes of the test VM; into
		# the file it is one write(), and tail -f shows the file on the
		# console once a second
		: >"$log"
		{
			tail -f "$log" &
			echo "$!" >"$ART/$tag.tail"
			wait
		} 2>/dev/null | show "q-$tag" &
		shp=$!
		qemu_exec "$tag" "$@" >>"$log"
		t1=$(vm_now)
		[ -s "$log.hvc" ] && tr -d '\000' <"$log.hvc" >>"$log"
		# tail -f reads the file once a second: let it show the end
		sleep 2
		kill "$(cat "$ART/$tag.tail")" 2>/dev/null
		wait "$shp"
	fi
	kill "$swp" "$(cat "$ART/$tag.sleep" 2>/dev/null)" 2>/dev/null
	wait "$swp" 2>/dev/null
	[ "$drv" = vtx ] && vtx_watch_stop "$tag"
	rc=$(cat "$ART/$tag.rc" 2>/dev/null) || rc=255
	up=$(sed -n 's/.*NESTED-BOOT-OK uptime=\([0-9.]*\).*/\1/p' "$log" | head -n 1)
	echo "@@QEMU-TIME $drv $run rc=$rc nested-uptime=${up:-none} qemu-seconds=$(secs "$t0" "$t1")"
	dmesg_new | show "dmesg-$tag"

	ncpu=$(sed -n 's/.*NESTED-BOOT-OK .*cpus=\([0-9]*\).*/\1/p' "$log" | head -n 1)
	st=ok
	why="nested /init after ${up}s (nested uptime) with $ncpu CPUs online, QEMU ran $(secs "$t0" "$t1")s (test-VM time)"
	# an SMP run counts only with every CPU online in the guest
	if [ -n "$up" ] && [ "${ncpu:-0}" != "$smp" ]; then
		st=fail
		why="the guest has ${ncpu:-?} of $smp CPUs online; $why"
	fi
	if [ "$rc" != 0 ] || [ -z "$up" ]; then
		st=fail
		case "$rc" in
		0) why="QEMU exited 0" ;;
		*) why="QEMU exit $rc" ;;
		esac
		# busybox timeout returns the program's status, not 124 (and QEMU
		# exits 0 on SIGTERM): tell a timeout by the time it took
		if awk -v a="$t0" -v b="$t1" -v t="$QEMU_TIMEOUT" 'BEGIN { exit !(b - a >= t - 1) }'; then
			why="timeout after ${QEMU_TIMEOUT}s ($why)"
		fi
		[ -n "$up" ] || why="$why, no marker"
		# QEMU's own words: the first error line it printed
		err=$(tr -d '\r\033' <"$log" | grep -v 'warning:' |
			grep -m 1 -E 'qemu-system-x86_64:|KVM internal error|KVM: entry failed|[Ee]rror|fatal' || :)
		[ -n "$err" ] && why="$why; $err"
		if [ -s "$ART/$tag.stall" ]; then
			echo "QEMU's threads shortly before the timeout:"
			show "stall-$tag" <"$ART/$tag.stall"
		fi
		if [ -s "$ART/$tag.trace" ]; then
			echo "QEMU trace ($QEMU_TRACE), the last 150 of $(wc -l <"$ART/$tag.trace") lines:"
			tail -n 150 "$ART/$tag.trace" | show "trace-$tag"
		fi
		if [ -s "$rec" ]; then
			echo "last ioctls of QEMU on $drv:"
			tail -n 40 "$rec" | show "ioctl-$tag"
			# per thread (a vCPU that stopped early shows here)
			awk '$2 ~ /^ioctl\(/ { n[$1]++; l[$1, n[$1] % 8] = $0 }
				END { for (t in n) {
					print "thread " t ": " n[t] " ioctls, the last 8:"
					for (i = n[t] - 7; i <= n[t]; i++)
						if (i > 0) print "  " l[t, i % 8]
				} }' "$rec" | show "ioctl-$tag"
		fi
	fi
	[ -n "$QEMU_FAKE_CAPS$QEMU_DROP_MSRS" ] &&
		why="$why (DIAGNOSTIC run: faked capabilities '$QEMU_FAKE_CAPS', dropped MSRs '$QEMU_DROP_MSRS')"
	if [ -s "$rec" ]; then
		if [ "$tr" = 1 ]; then
			ioctl_summary "$drv" "$run" "$rec" "strace -f -e trace=ioctl"
		else
			ioctl_summary "$drv" "$run" "$rec" "ioctl-log.so"
		fi
	fi
	result "$drv" "$name" "$st" "$why"
}

# ioctl_summary DRIVER RUN RECORD SOURCE - the counts, between markers.
ioctl_summary() {
	local drv="$1" run="$2" f="$3" src="$4" c="$ART/$1-$2.counts"
	# ioctl-log.so counted them itself at QEMU's exit (quick); else parse
	# the record (slow in the emulated VM for a long one)
	[ -s "$c" ] || awk -f "$QDIR/ioctls.awk" "$f" >"$c"
	echo "@@IOCTLS-BEGIN $drv $run"
	echo "# $(awk '$1 == "I" { n += $2 } END { print n + 0 }' "$c") ioctl calls ($src), count per request:"
	sed -n 's/^I //p' "$c" | sort -k1,1nr -k2
	echo "# capabilities checked/enabled: count, request, argument = return value"
	sed -n 's/^C //p' "$c" | sort -k2
	echo "@@IOCTLS-END $drv $run"
}

# compare RUN - vtx's transcript against kvm's; result transcript-match[-RUN].
compare() {
	local run="$1" name=transcript-match k v nk nv d ds
	[ "$run" = boot ] || name=transcript-match-$run
	k=$ART/kvm-$run.console
	v=$ART/vtx-$run.console
	echo "@@RUN vtx $name"
	if [ ! -s "$k" ] || [ ! -s "$v" ]; then
		result vtx "$name" skip "needs both the kvm and the vtx $run runs"
		return 0
	fi
	awk -f "$QDIR/transcript.awk" "$k" >"$k.norm"
	awk -f "$QDIR/transcript.awk" "$v" >"$v.norm"
	nk=$(wc -l <"$k.norm")
	nv=$(wc -l <"$v.norm")
	# in order (async probes and SMP may reorder a few lines) ...
	diff -u "$k.norm" "$v.norm" >"$ART/$run.diff"
	d=$(grep -c '^[-+][^-+]' "$ART/$run.diff")
	# ... and as sets of lines, which is what must match
	sort "$k.norm" >"$k.sorted"
	sort "$v.norm" >"$v.sorted"
	diff "$k.sorted" "$v.sorted" >"$ART/$run.sdiff"
	ds=$(grep -c '^[-+][^-+]' "$ART/$run.sdiff")
	if [ "$d" -gt 0 ]; then
		echo "normalised transcripts, kvm (-) vs vtx (+), run $run ($d lines differ):"
		head -n 300 "$ART/$run.diff" | show "tdiff-$run"
	fi
	if grep -q 'NESTED-BOOT-OK' "$v.norm" && [ "$ds" -eq 0 ]; then
		result vtx "$name" ok "kvm $nk lines, vtx $nv lines: same lines ($d differ in order)"
	else
		result vtx "$name" fail "kvm $nk lines, vtx $nv lines: $ds lines differ ($d in order)"
	fi
}

# qemu_refused RUN - on a kernel whose x86/virt code owns VMX, vtx refuses
# every VM: QEMU must fail cleanly with EBUSY, not hang or crash the test VM.
qemu_refused() {
	local run="$1" name=qemu-refused log rc err
	[ "$run" = boot ] || name=qemu-refused-$run
	log=$ART/vtx-$run.refused
	echo "@@RUN vtx $name"
	timeout -k 10 "$QEMU_TIMEOUT" "$QDIR/qemu-system-x86_64" -L "$QDIR/fw" \
		-accel "kvm,kernel-irqchip=$(irqchip_of "$run")" -cpu "$QEMU_CPU" \
		-M pc -m 128 -nographic -vga none -nic none -no-reboot \
		-kernel "$QDIR/vmlinuz" -initrd "$QDIR/small.cpio" \
		-append "$NESTED_APPEND" </dev/null >"$log" 2>&1
	rc=$?
	show "q-vtx-$run" <"$log"
	err=$(tr -d '\r' <"$log" | grep -m 1 'KVM_CREATE_VM' || :)
	if [ "$rc" != 0 ] && echo "$err" | grep -q 'Device or resource busy' &&
		dmesg | grep -q 'vtx: VMX is owned by this kernel.s x86/virt code'; then
		result vtx "$name" ok "QEMU exit $rc: $err; the reason is in the kernel log"
	else
		result vtx "$name" fail "QEMU exit $rc, '${err:-no KVM_CREATE_VM error}', expected EBUSY and vtx's log line"
	fi
}

# Kernels from 7.0 own VMX themselves and lend it to KVM only
case "$(uname -r)" in
[0-6].*) vtx_vms=1 ;;
*) vtx_vms=0 ;;
esac

# ------------------------------------------------------------------ main --
qemu_setup
dmesg_new >/dev/null
smp_of() {
	case "$1" in
	smp*) echo "${1#smp}" ;;
	split[0-9]*) echo "${1#split}" ;;
	irqchip[0-9]*) echo "${1#irqchip}" ;;
	*) echo 1 ;;
	esac
}

for drv in $(echo "$QEMU_DRIVERS" | tr ',' ' '); do
	case "$drv" in
	kvm)
		if kvm_load; then
			for run in $(echo "$QEMU_RUNS" | tr ',' ' '); do
				in_list "$QEMU_KVM_RUNS" "$run" || continue
				qemu_boot kvm "$run" "$(smp_of "$run")"
			done
			kvm_unload
		fi
		dmesg_check kvm
		;;
	vtx)
		if vtx_load; then
			if vtx_devnode_as_kvm /dev/kvm; then
				for run in $(echo "$QEMU_RUNS" | tr ',' ' '); do
					if [ "$vtx_vms" = 1 ]; then
						qemu_boot vtx "$run" "$(smp_of "$run")"
					else
						qemu_refused "$run"
					fi
				done
			else
				result vtx qemu-boot fail "could not make /dev/kvm a vtx node"
			fi
			vtx_unload
		fi
		dmesg_check vtx
		;;
	*) result "$drv" qemu-boot fail "unknown driver '$drv' in QEMU_DRIVERS" ;;
	esac
done

if [ "$vtx_vms" = 1 ] && in_list "$QEMU_DRIVERS" kvm && in_list "$QEMU_DRIVERS" vtx; then
	for run in $(echo "$QEMU_RUNS" | tr ',' ' '); do
		if in_list "$QEMU_KVM_RUNS" "$run"; then
			compare "$run"
			continue
		fi
		name=transcript-match
		[ "$run" = boot ] || name=transcript-match-$run
		result vtx "$name" skip \
			"no kvm_intel run to compare with (QEMU_KVM_RUNS=$QEMU_KVM_RUNS)"
	done
fi
# (/init waits for the serial console to drain before it powers off)
