# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh
# shellcheck disable=SC3043
#
# The "vtxctl" suite, run in the test VM by tools/testvm/run.sh --suite
# vtxctl, with tools/testvm/vmlib.sh loaded and cwd = /tests (a copy of
# build/selftests/vtxctl/, made by selftests/vtx/vtxctl/Makefile).
#
# 1. vtx: the guests under "vtxctl run" on /dev/vtx (Multiboot ELF and
#    a.out kludge, ELF32, ELF64 identity and higher half, UART input, SMP,
#    triple fault, SIGINT, MMIO), then the control plane: held VMs with
#    known exit counts checked through "vtxctl stats --json", text stats,
#    list, top, reset, events, and a kernel error with its extended ACK.
# 2. kvm_intel: the same guests on /dev/kvm (no netlink: vtx only).
# Both drivers also boot Linux with "vtxctl run --kernel" (linux-smp2): the
# test VM's own kernel (linux-vmlinuz), --cpus 2, an initramfs whose /init
# (linux-init.c) prints the CPUs online and reboots; see
# linux-prepare.sh.  The same boot has two virtio-blk disks and a
# virtio-rng (linux-virtio-*): see linux_virtio_checks.  VTXCTL_LINUX=0
# leaves it out (about 21 s of test-VM time per driver); VTXCTL_ONLY=linux
# runs only the Linux boots and the command-line checks.  The devices are
# virtio-pci; VTXCTL_VIRTIO=mmio boots them on virtio-mmio instead (the
# guest then loads vtxctl_mmio_devs.ko).  The same boot has two virtio-net
# devices on the test VM's taps vtxtap0 (vtxctl's I/O threads) and vtxtap1
# (vhost=on): see net_setup and linux_net_checks; VTXCTL_NET=0 leaves them
# out (=vtx: on vtx only, as make check does), VTXCTL_NET_BYTES=N changes the 10 MiB TCP transfer.  And an ext4
# disk: a file written and synced in that boot, read back with its cksum
# after the reboot, by a second vtxctl run on the same image that boots
# with it as its root (linux_ext4_reboot, linux_ext4_root; VTXCTL_EXT4=0 leaves it out, VTXCTL_EXT4=vtx runs it
# on vtx only, as make check does).  Its console is --console virtio, the
# guest's hvc0 (linux_console_checks: a line echoed and a command run by
# busybox sh on hvc0; console_sigint: ^C on a pty in raw mode);
# VTXCTL_CONSOLE=serial keeps the UART (linux-uart-rx then in this boot,
# else in the ext4 reboot run).
# Results: drivers "vtx", "kvm" and "cli" (command-line checks).

VTXCTL=${VTXCTL:-vtxctl}
OUT=${VTX_STATE:-/tmp/vmlib}/vtxctl
mkdir -p "$OUT"

say() {
	echo "# $*"
}

# show FILE PREFIX - copy a captured output to the log.  The words the
# runner scans the console for get a '~' (a nested Linux guest's own
# warnings are not the test VM's).
show() {
	[ -s "$1" ] && sed -e "s/^/$2/" -e 's/BUG:/BUG~:/g; s/WARNING:/WARNING~:/g' \
		-e 's/Oops/Oo~ps/g; s/general protection/general~protection/g' \
		-e 's/Call Trace/Call~Trace/g; s/Kernel panic/Kernel~panic/g' "$1"
	return 0
}

# vrun DRIVER NAME STATUS 'PATTERN[|PATTERN...]' [vtxctl run args...]
# Run vtxctl under a time limit ($VRUN_TIMEOUT s, 120) with stdin from
# /dev/null (or $VRUN_STDIN; or with $VRUN_ECHO a FIFO into which that
# line is written once the guest printed VTXCTL-LINUX-READY),
# expect exit status STATUS and every fixed-string PATTERN somewhere in its
# stdout + stderr.
vrun() {
	local drv="$1" name="$2" want="$3" pats="$4" rc p missing=""
	shift 4
	echo "@@RUN $drv $name: $VTXCTL run $*"
	if [ -n "${VRUN_ECHO:-}" ]; then
		# stdout through a FIFO read line by line by the shell's builtins:
		# no grep and sleep forked every second of the boot (each costs
		# the test VM a fork and an exec, at Bochs speed)
		local pid line
		rm -f "$OUT/vfifo" "$OUT/vout"
		mkfifo "$OUT/vfifo" "$OUT/vout"
		: >"$OUT/o"
		timeout "${VRUN_TIMEOUT:-120}" "$VTXCTL" run "$@" <"$OUT/vfifo" >"$OUT/vout" \
			2>"$OUT/e" &
		pid=$!
		exec 4>"$OUT/vfifo"
		while IFS= read -r line || [ -n "$line" ]; do
			printf '%s\n' "$line" >>"$OUT/o"
			case "$line" in
			*VTXCTL-LINUX-READY*) printf '%s\n' "$VRUN_ECHO" >&4 ;;
			esac
		done <"$OUT/vout"
		wait "$pid"
		rc=$?
		exec 4>&-
		rm -f "$OUT/vfifo" "$OUT/vout"
	elif [ -n "${VRUN_STDIN:-}" ]; then
		printf '%b' "$VRUN_STDIN" | timeout "${VRUN_TIMEOUT:-120}" "$VTXCTL" run "$@" \
			>"$OUT/o" 2>"$OUT/e"
		rc=$?
	else
		timeout "${VRUN_TIMEOUT:-120}" "$VTXCTL" run "$@" </dev/null >"$OUT/o" 2>"$OUT/e"
		rc=$?
	fi
	show "$OUT/o" "  | "
	show "$OUT/e" "  ! "
	cat "$OUT/o" "$OUT/e" >"$OUT/all"
	if [ -n "$pats" ]; then
		local IFS='|'
		for p in $pats; do
			grep -qF -- "$p" "$OUT/all" || missing="$missing '$p'"
		done
	fi
	if [ "$rc" != "$want" ]; then
		result "$drv" "$name" fail "exit status $rc, expected $want${missing:+; missing$missing}"
	elif [ -n "$missing" ]; then
		result "$drv" "$name" fail "output lacks$missing"
	else
		result "$drv" "$name" ok "status $rc"
	fi
}

# The guest runs that work the same on both drivers.
guest_runs() {
	local drv="$1" dev="$2"

	if [ "${VTXCTL_ONLY:-}" = linux ]; then
		linux_runs "$drv" "$dev"
		return 0
	fi
	vrun "$drv" multiboot-elf 43 \
		'self-check passed|cmdline: "mbguest.elf exit=21 hello"|module 0: "module.txt arg1 arg2" at 0x|30 bytes: hello from a Multiboot module|mmap: 0x100000-0x1000000 type 1|fw_cfg: signature "QEMU", id 0x1, cpus 1, ram 16 MiB|boot loader: vtxctl|exit code 21' \
		mbguest.elf --device "$dev" --cmdline "exit=21 hello" \
		--module "module.txt arg1 arg2"
	vrun "$drv" multiboot-aout 11 \
		'self-check passed|magic 0x2badb002|mmap: 0x0-0x9fc00 type 1|ram 32 MiB' \
		mbguest-aout.bin --device "$dev" --cmdline "exit=5" --mem 32M
	vrun "$drv" elf32 15 \
		'ELF32 in protected mode|cpuid: vendor "GenuineIntel"|cmdline: "exit=7"' \
		elfguest32.elf --device "$dev" --cmdline "exit=7"
	vrun "$drv" elf64 19 \
		'ELF64 in long mode, vCPU 0, running at 0x200|fw_cfg: signature "QEMU", id 0x1, cpus 2, ram 16 MiB|KVM_RUN calls:' \
		elfguest64.elf --device "$dev" --cmdline "exit=9" --cpus 2
	vrun "$drv" elf64-higher-half 7 \
		'running at 0xffffffff802' \
		elfguest64hi.elf --device "$dev" --cmdline "exit=3"
	VRUN_STDIN='hello vtx\n' vrun "$drv" uart-stdin 1 \
		'echo: HELLO VTX|10 bytes in' \
		elfguest64.elf --device "$dev" --cmdline "echo" --timeout 60
	vrun "$drv" flat-real 1 'self-check passed' \
		"$GUESTS_DIR/hello.bin" --device "$dev"
	vrun "$drv" flat-long 1 'self-check passed' \
		"$GUESTS_DIR/hello64.bin" --device "$dev" --mode long
	vrun "$drv" triple-fault 6 'KVM_EXIT_SHUTDOWN' \
		triple.bin --device "$dev" --mode protected
	# Two vCPUs from the same entry: 1000 + 2000 OUTs, 2 HLTs
	vrun "$drv" smp-entry 0 'every running vCPU executed HLT|IO 3000|HLT 2' \
		count.bin --device "$dev" --cpus 2 --aps entry
	# An MMIO read no device claims reads 0 (counted); fatal with --strict-mmio
	vrun "$drv" mmio-read-zero 1 'mmio: read 0x0 at 0x3f000000|1 MMIO reads (read as 0)' \
		elfguest64.elf --device "$dev" --cmdline mmio
	vrun "$drv" mmio-strict 18 'unclaimed MMIO read of 4 bytes at 0x3f000000' \
		elfguest64.elf --device "$dev" --cmdline mmio --strict-mmio
	sigint "$drv" "$dev"
	[ "${VTXCTL_LINUX:-1}" = 0 ] || linux_runs "$drv" "$dev"
}

# Linux with --cpus 2: the guest brings up its AP through the in-kernel
# LAPIC (INIT/SIPI), /init sees both CPUs online (linux-smp2), reads a line
# that arrives on the UART once it says it is ready, through IRQ 4 and the
# 8250 driver's receive interrupt (linux-uart-rx), and reboots, which ends
# the run with status 0.  Before that /init tests the virtio devices of
# --disk (a copy of linux-disk.img), --disk ...,ro and --rng.  stdin is a FIFO written after /init's
# VTXCTL-LINUX-READY.  "quiet": each byte of kernel log on the UART costs
# an exit to vtxctl.
linux_runs() {
	local drv="$1" dev="$2" pid rc fifo="$OUT/linux-in" missing="" p hold="" vpid srv="" ext4
	local nets="$NET_ARGS" con=serial cona="" initrd=linux-init.cpio.gz

	knob_on "${VTXCTL_NET:-1}" "$drv" || nets=
	# The guest's console: hvc0 on a virtio-console (the default), or the UART
	if [ "${VTXCTL_CONSOLE:-virtio}" = virtio ]; then
		con=virtio
		cona=" vtxconsole=hvc0"
		initrd=linux-shell.cpio.gz	# with busybox, the shell on hvc0
	fi

	echo "@@RUN $drv linux-smp2: $VTXCTL run --kernel linux-vmlinuz --initrd $initrd --cpus 2 --device $dev --disk disk.img --disk disk-ro.img,ro --rng --virtio ${VTXCTL_VIRTIO:-pci} $nets --console $con"
	rm -f "$fifo"
	mkfifo "$fifo"
	cp linux-disk.img "$OUT/disk.img"
	cp linux-disk.img "$OUT/disk-ro.img"
	# The ext4 test's disk (vdc): written in this boot, read in the next
	ext4=
	if [ -f linux-ext4.img ] && knob_on "${VTXCTL_EXT4:-1}" "$drv"; then
		cp linux-ext4.img "$OUT/ext4.img"
		ext4="--disk $OUT/ext4.img"
	fi
	rm -f "$OUT/lstats.json"
	# vtx: hold the VM after the reboot for its netlink statistics
	[ "$drv" = vtx ] && hold=--hold
	# The TCP server of the two NICs' transfers (one connection each)
	rm -f "$OUT/srv"
	if [ -n "$nets" ]; then
		./vtxnet serve "$NET_PORT" 2 >"$OUT/srv" 2>&1 &
		srv=$!
		wait_for "$OUT/srv" VTXNET-LISTEN 30 || cat "$OUT/srv"
	fi
	# shellcheck disable=SC2086
	timeout 1500 "$VTXCTL" run $hold --kernel linux-vmlinuz --initrd "$initrd" \
		--cpus 2 --mem 256M \
		--append "console=ttyS0 reboot=k panic=1 quiet vtxnet.bytes=$NET_BYTES${ext4:+ vtxext4=vdc}$cona" \
		--disk "$OUT/disk.img" --disk "$OUT/disk-ro.img,ro" $ext4 --rng $nets \
		--virtio "${VTXCTL_VIRTIO:-pci}" --console "$con" \
		--device "$dev" --timeout 1400 <"$fifo" >"$OUT/lo" 2>"$OUT/le" &
	pid=$!
	exec 3>"$fifo"
	if wait_for "$OUT/lo" VTXCTL-LINUX-READY 1400; then
		echo "hello vtx" >&3
		# --console virtio: a command for the guest's shell on hvc0
		if [ "$con" = virtio ] && wait_for "$OUT/lo" VTXCTL-SHELL-START 300; then
			# shellcheck disable=SC2016
			printf '%s\n' 'echo VTXCTL-SHELL-$((6 * 7)) $(uname -r) $(nproc) $(md5sum </dev/vda)' \
				'exit 3' >&3
		fi
	fi
	if [ -n "$hold" ]; then
		if wait_for "$OUT/le" "holding the VM" 300; then
			"$VTXCTL" list >"$OUT/llist"
			vpid=$(awk 'NR > 1 { print $2; exit }' "$OUT/llist")
			"$VTXCTL" stats "$(awk 'NR > 1 { print $1; exit }' "$OUT/llist")" \
				--json >"$OUT/lstats.json"
			kill -INT "$vpid"
		else
			kill -INT "$pid"
		fi
	fi
	wait "$pid"
	rc=$?
	exec 3>&-
	rm -f "$fifo"
	if [ -n "$srv" ]; then
		kill "$srv" 2>/dev/null
		wait "$srv" 2>/dev/null
		show "$OUT/srv" "  srv| "
	fi
	show "$OUT/lo" "  | "
	show "$OUT/le" "  ! "
	for p in 'VTXCTL-LINUX-INIT nproc=2 online=0-1' \
		'guest reset (keyboard controller command 0xfe) (exit status 0)'; do
		grep -qF -- "$p" "$OUT/lo" "$OUT/le" || missing="$missing '$p'"
	done
	if [ "$rc" = 0 ] && [ -z "$missing" ]; then
		result "$drv" linux-smp2 ok "status 0, 2 CPUs online"
	else
		result "$drv" linux-smp2 fail "exit status $rc (expected 0)${missing:+; missing$missing}"
	fi
	if [ "$con" = virtio ]; then
		linux_console_checks "$drv"
	elif grep -q '^VTXCTL-LINUX-ECHO hello vtx' "$OUT/lo"; then
		result "$drv" linux-uart-rx ok "the line came back"
	else
		result "$drv" linux-uart-rx fail "no 'VTXCTL-LINUX-ECHO hello vtx'"
	fi
	linux_virtio_checks "$drv"
	linux_msix_checks "$drv"
	[ -z "$nets" ] || linux_net_checks "$drv"
	[ -z "$ext4" ] || linux_ext4_reboot "$drv" "$dev"
	# A run that ends on --timeout, not on the guest's reset: the I/O
	# threads stop and the summary comes (no hang in virtio_stop()).
	cp linux-disk.img "$OUT/disk.img"
	# It is also the virtio-mmio transport's run (--virtio mmio, IRQ 5).
	vrun "$drv" linux-virtio-timeout 16 'timeout after 2 s|virtio blk0:     irq 5' \
		--kernel linux-vmlinuz --initrd linux-init.cpio.gz --disk "$OUT/disk.img" --rng \
		--virtio mmio --append "console=ttyS0 quiet" --device "$dev" --timeout 2
	[ "${VTXCTL_CONSOLE:-virtio}" = virtio ] && knob_on "${VTXCTL_CONSOLE_SIGINT:-1}" "$drv" &&
		console_sigint "$drv" "$dev"
	knob_on "${VTXCTL_SIGNAL_MSI:-0}" "$drv" && linux_signal_msi "$drv" "$dev"
	return 0
}

# linux_signal_msi DRIVER DEVICE - linux-signal-msi (VTXCTL_SIGNAL_MSI=1,
# or a driver list; a boot of its own, so not in make check): the MSI-X
# fallback of a KVM whose irqfds vtxctl cannot use, forced with
# VTXCTL_NO_IRQFD: --cpus 1, a disk and the rng on virtio-pci, /init's
# virtio tests (the disk's cksum, the rng, the hostile MSI-X test and
# its rebind) and the UART echo; every device ended with MSI-X enabled,
# interrupted only by KVM_SIGNAL_MSI (N > 0 each, 0 KVM errors), the
# guest read no ISR and its virtio vectors are all PCI-MSI.
linux_signal_msi() {
	local drv="$1" dev="$2" want devs isr n
	cp linux-disk.img "$OUT/disk.img"
	want=$(cat linux-disk.cksum)
	export VTXCTL_NO_IRQFD=1
	VRUN_ECHO="hello vtx" VRUN_TIMEOUT=700 vrun "$drv" linux-signal-msi-boot 0 \
		"VTXCTL_NO_IRQFD: MSI-X by KVM_SIGNAL_MSI|VTXCTL-VIRTIO-VDA cksum=$want size=262144|VTXCTL-VIRTIO-RNG current=virtio_rng.0 read=64|VTXCTL-MSIX-REBIND current=virtio_rng.0 read=64|VTXCTL-LINUX-ECHO hello vtx|guest reset" \
		--kernel linux-vmlinuz --initrd linux-init.cpio.gz --cpus 1 --disk "$OUT/disk.img" \
		--rng --device "$dev" --timeout 600 --append "console=ttyS0 reboot=k panic=1 quiet"
	unset VTXCTL_NO_IRQFD
	devs=$(grep -E '^virtio [a-z]+[0-9]:     MSI-X ' "$OUT/all")
	isr=$(isr_reads "$OUT/all")
	n=$(echo "$devs" | grep -cE 'MSI-X enabled, .* by MSI-X \([1-9][0-9]* KVM_SIGNAL_MSI\), .*, 0 KVM errors$')
	if [ "$n" = 2 ] && [ "$isr" = 0 ] &&
		! tr -d '\r' <"$OUT/all" | grep '^VTXCTL-IRQ' | grep -vq ' PCI-MSI '; then
		result "$drv" linux-signal-msi ok "$(echo "$devs" | sed 's/^virtio //; s/ *MSI-X / /; s/, [0-9]* KVM errors$//' | tr '\n' ';') 0 ISR reads"
	else
		result "$drv" linux-signal-msi fail "ISR reads $isr; $(echo "$devs" | tr '\n' ';') $(tr -d '\r' <"$OUT/all" | grep '^VTXCTL-IRQ' | tr '\n' ';')"
	fi
}

# console_sigint DRIVER DEVICE - linux-console-sigint (VTXCTL_CONSOLE_SIGINT:
# 1 both drivers, 0 none, or a list; 7-9 s of Bochs CPU each): vtxctl --console
# virtio on a terminal (vtxpty's pty, vtxctl the foreground process) puts
# it in raw mode (no ICANON, ECHO, ICRNL, IXON; ISIG kept, ^\ disabled);
# ^C typed on it while the guest boots stops the run in order (status
# 130, "interrupted by SIGINT", the summary with con0's line) and the
# terminal's modes are back as they were.
console_sigint() {
	local drv="$1" dev="$2" rc line
	# The test VM's init mounts no devpts; /dev/ptmx needs one on /dev/pts
	grep -q ' /dev/pts devpts ' /proc/mounts ||
		{ mkdir -p /dev/pts && mount -t devpts devpts /dev/pts; }
	echo "@@RUN $drv linux-console-sigint: vtxpty 60 $VTXCTL run --kernel linux-vmlinuz --console virtio, then ^C"
	./vtxpty 60 "$VTXCTL" run --kernel linux-vmlinuz --initrd linux-init.cpio.gz \
		--console virtio --append "console=ttyS0 quiet" --device "$dev" --timeout 300 \
		>"$OUT/pty" 2>&1
	rc=$?
	show "$OUT/pty" "  | "
	line=$(tr -d '\r' <"$OUT/pty" | grep '^VTXPTY ')
	if [ "$rc" = 0 ] &&
		[ "$line" = "VTXPTY raw=1 icanon=0 echo=0 icrnl=0 ixon=0 isig=1 vquit=off status=130 restored=1" ] &&
		grep -q 'interrupted by SIGINT' "$OUT/pty" && grep -q '^virtio con0:     console: ' "$OUT/pty"; then
		result "$drv" linux-console-sigint ok "${line#VTXPTY }, summary printed"
	else
		result "$drv" linux-console-sigint fail "vtxpty status $rc: '${line:-no VTXPTY line}'"
	fi
}

# linux_console_checks DRIVER - --console virtio in the linux-smp2 boot
# ($OUT/lo: vtxctl's stdout, the UART's and hvc0's output; $OUT/le: its
# summary):
#   linux-console-hvc0    /init made /dev/hvc0 (virtio_console, PCI MSI-X)
#                         its terminal and wrote on it; the UART's early
#                         output is there too (VTXCTL-LINUX-INIT)
#   linux-console-rx      the line written into vtxctl's stdin (a FIFO)
#                         came back from hvc0's tty
#   linux-console-shell   busybox sh on hvc0 ran the suite's command:
#                         6 * 7, the test VM's kernel release, 2 CPUs and
#                         the md5sum of vda (= linux-disk-after.img), and
#                         exited with the status it was told
#   linux-console-queues  con0's queues took every notification by
#                         KVM_IOEVENTFD (0 by MMIO exit), its two vectors
#                         are on PCI-MSI and took interrupts, bytes went
#                         both ways, and the run
#                         still ended with the summary (stop reason, exits)
linux_console_checks() {
	local drv="$1" want line q irq
	line=$(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-CONSOLE ')
	if [ "${line#VTXCTL-CONSOLE hvc0 tty=/dev/hvc0 dev=virtio[0-9]}" != "$line" ] &&
		grep -q '^VTXCTL-LINUX-INIT ' "$OUT/lo"; then
		result "$drv" linux-console-hvc0 ok "$line; the UART's early lines too"
	else
		result "$drv" linux-console-hvc0 fail "'${line:-no VTXCTL-CONSOLE line}'"
	fi
	if grep -q '^VTXCTL-LINUX-ECHO hello vtx' "$OUT/lo"; then
		result "$drv" linux-console-rx ok "the line came back through hvc0"
	else
		result "$drv" linux-console-rx fail "no 'VTXCTL-LINUX-ECHO hello vtx'"
	fi
	# (the guest's $(md5sum ...) is split into words: "HASH -")
	want="VTXCTL-SHELL-42 $(uname -r) 2 $(md5sum <linux-disk-after.img | sed 's/  */ /')"
	line=$(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-SHELL-42' | head -n 1)
	if [ "$line" = "$want" ] && tr -d '\r' <"$OUT/lo" | grep -q '^VTXCTL-SHELL-EXIT status=3$'; then
		result "$drv" linux-console-shell ok "'$line', exit 3"
	else
		result "$drv" linux-console-shell fail "got '${line:-no VTXCTL-SHELL-42 line}', want '$want'; $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-SHELL-' | tr '\n' ';')"
	fi
	q=$(grep -E '^virtio con0 q[01]:' "$OUT/le")
	line=$(grep '^virtio con0:     console: ' "$OUT/le")
	irq=$(tr -d '\r' <"$OUT/lo" | grep -cE '^VTXCTL-CON-IRQ [0-9]+ count=[1-9][0-9]* PCI-MSI .* virtio[0-9]+-(input|output)$')
	if [ "$(echo "$q" | grep -c ', 0 by MMIO exit), KVM_IOEVENTFD$')" = 2 ] &&
		! echo "$q" | grep -q ' 0 requests' &&
		echo "$line" | grep -q 'console: in [1-9][0-9]* bytes.*out [1-9][0-9]* bytes' &&
		[ "$irq" = 2 ] && grep -q '^exits:' "$OUT/le" &&
		grep -q 'guest reset (keyboard controller command 0xfe)' "$OUT/le"; then
		result "$drv" linux-console-queues ok "$(echo "$q" | sed 's/^virtio //; s/ notifications (/ kicks (/; s/, KVM_IOEVENTFD$//' | tr '\n' ';') ${line#virtio con0:     console: }; input and output on PCI-MSI, $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-CON-IRQ' | sed 's/^VTXCTL-CON-IRQ [0-9]* //; s/ PCI-MSI [^ ]* / /' | tr '\n' ' '); summary printed"
	else
		result "$drv" linux-console-queues fail "$(echo "$q" | tr '\n' ';') '$line'; $irq PCI-MSI input/output vectors that took interrupts; $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-CON-IRQ' | tr '\n' ';') $(grep -c '^exits:' "$OUT/le") exits lines"
	fi
}

# mmio_exits FILE - the MMIO exits of vtxctl's summary ("exits: ... MMIO N").
mmio_exits() {
	grep '^exits:' "$1" | sed 's/^exits: *//' | tr ',' '\n' |
		awk '$1 == "MMIO" { n += $2 } END { print n + 0 }'
}

# isr_reads FILE - the virtio-pci devices' ISR reads, summed.
isr_reads() {
	grep -E '^virtio [a-z]+[0-9]:     pci ' "$1" |
		sed -n 's/.* \([0-9]*\) ISR reads.*/\1/p' | awk '{ n += $1 } END { print n + 0 }'
}

# linux_msix_checks DRIVER - MSI-X in the linux-smp2 boot (virtio-pci):
#   linux-virtio-msix     every device ended with MSI-X enabled, the guest
#                         read no ISR (0 MMIO exits for it), its
#                         /proc/interrupts has the virtio vectors on PCI-MSI
#                         only and every queue vector took interrupts (the
#                         vhost NIC's too: vhost's call is the irqfd, no
#                         call relayed, VRING_CALL set to vectors' eventfds)
#   linux-msix-hostile    msix_hostile() in /init: vectors past the table
#                         read back 0xffff (queue and config), a valid one
#                         reads back, all ones over BAR1 left the PBA 0 and
#                         the entry's reserved bits 0; vtxctl lived on (the
#                         boot's status) and the rng works after its rebind
linux_msix_checks() {
	local drv="$1" devs msi others idle isr line want vhost bar
	[ "${VTXCTL_VIRTIO:-pci}" = pci ] || return 0
	devs=$(grep -E '^virtio [a-z]+[0-9]:     MSI-X ' "$OUT/le")
	vhost=$(grep -E '^virtio net[0-9]:     tap .*vhost-net' "$OUT/le")
	isr=$(isr_reads "$OUT/le")
	bar=$(echo "$devs" | sed -n 's/.* \([0-9]*\) table\/PBA accesses.*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	msi=$(tr -d '\r' <"$OUT/lo" | grep -c '^VTXCTL-IRQ .* PCI-MSI.*virtio')
	others=$(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-IRQ' | grep -vc ' PCI-MSI')
	idle=$(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-IRQ .* count=0 ' | grep -vc -- '-config$')
	if [ -n "$devs" ] && ! echo "$devs" | grep -q 'MSI-X disabled' && [ "$isr" = 0 ] &&
		[ "$msi" -ge 4 ] && [ "$others" = 0 ] && [ "$idle" = 0 ] &&
		{ [ -z "$vhost" ] || echo "$vhost" | grep -q ' 0 times the relay.* 0 calls relayed'; }; then
		result "$drv" linux-virtio-msix ok "$msi PCI-MSI vectors in the guest, 0 ISR reads; MMIO exits $(mmio_exits "$OUT/le") ($bar of them MSI-X table/PBA); $(echo "$devs" | sed 's/^virtio //; s/ *MSI-X / /; s/, [0-9]* KVM errors$//' | tr '\n' ';') $(grep '^virtio: MSI-X routing' "$OUT/le" | sed 's/^virtio: //'); $(echo "$vhost" | sed 's/^virtio //; s/ *tap [^,]*, //' | tr '\n' ';')"
	else
		result "$drv" linux-virtio-msix fail "PCI-MSI vectors $msi, others $others, idle queue vectors $idle, ISR reads $isr; $(echo "$devs" | tr '\n' ';') $(echo "$vhost" | tr '\n' ';') $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-IRQ' | tr '\n' ';')"
	fi
	line=$(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-MSIX-HOSTILE' | head -n 1)
	want='big=0xffff,0xffff,0xffff cfg=0xffff good=0x1 pba=0 entry0=0xfffffffc,0xffffffff,0x1'
	if echo "$line" | grep -qF -- "$want" &&
		tr -d '\r' <"$OUT/lo" | grep -q '^VTXCTL-MSIX-REBIND current=virtio_rng.[0-9]* read=64 '; then
		result "$drv" linux-msix-hostile ok "${line#VTXCTL-MSIX-HOSTILE }; $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-MSIX-REBIND' | sed 's/^VTXCTL-//')"
	else
		result "$drv" linux-msix-hostile fail "'${line:-no MSIX-HOSTILE line}', want '$want'; $(tr -d '\r' <"$OUT/lo" | grep '^VTXCTL-MSIX-REBIND')"
	fi
}

# net_setup - the test VM's side of the virtio-net tests, once per boot:
# tun, tap, vhost_iotlb, vhost, vhost_net from hostmods/ (linux-prepare.sh:
# the test VM's own kernel), the persistent taps vtxtap0 (10.0.0.1/24) and
# vtxtap1 (10.0.1.1/24).  Sets NET_ARGS for vtxctl: vtxtap0 through
# vtxctl's I/O threads (net0, MAC ...:00, the guest at 10.0.0.2), vtxtap1
# with vhost=on (net1, MAC ...:01, 10.0.1.2).
NET_ARGS=
NET_PORT=5001
NET_BYTES=${VTXCTL_NET_BYTES:-10485760}
net_setup() {
	local m ok=1
	[ "${VTXCTL_NET:-1}" = 0 ] && return 0
	[ -x ./vtxnet ] || {
		result cli net-setup skip "no vtxnet"
		return 0
	}
	for m in hostmods/*.ko; do
		[ -f "$m" ] || continue
		insmod "$m" 2>"$OUT/insmod.e" || grep -q 'File exists' "$OUT/insmod.e" ||
			{ cat "$OUT/insmod.e"; ok=0; }
	done
	./vtxnet tap vtxtap0 10.0.0.1 && ./vtxnet tap vtxtap1 10.0.1.1 || ok=0
	if [ "$ok" = 1 ] && [ -c /dev/net/tun ] && [ -c /dev/vhost-net ]; then
		NET_ARGS="--net tap=vtxtap0 --net tap=vtxtap1,vhost=on"
		result cli net-setup ok "taps vtxtap0 10.0.0.1/24, vtxtap1 10.0.1.1/24; /dev/vhost-net"
	else
		ls -l /dev/net/tun /dev/vhost-net
		result cli net-setup fail "modules, taps or device nodes missing"
	fi
}

# linux_net_checks DRIVER - the two NICs of the linux-smp2 boot ($OUT/lo:
# the guest's VTXCTL-NET-* lines, $OUT/le: vtxctl's summary, $OUT/srv: the
# server's VTXNET-RECV lines):
#   linux-net-ping, linux-net-vhost-ping  3 ICMP echoes answered by the
#                           test VM through the tap
#   linux-net-tcp, linux-net-vhost-tcp    NET_BYTES sent over TCP; the
#                           POSIX cksum of the stream is the same in the
#                           guest (sent), in the server (received) and in
#                           the server's reply the guest read back
#   linux-net-notify        no notification of either NIC's queues reached
#                           vtxctl through an MMIO exit: per 1,000 kicks
#                           (the guest's virtio_net counters), 0 exits
linux_net_checks() {
	local drv="$1" nn name ifn line srvl want_c mbs kicks exits ok
	for nn in 0 1; do
		name=linux-net
		[ "$nn" = 1 ] && name=linux-net-vhost
		ifn=$(sed -n "s/^VTXCTL-NET-IF \([^ ]*\) mac=52:54:00:12:34:0$nn .*/\1/p" "$OUT/lo")
		if [ -z "$ifn" ]; then
			result "$drv" "$name-ping" fail "no interface with MAC 52:54:00:12:34:0$nn"
			result "$drv" "$name-tcp" fail "no interface"
			continue
		fi
		line=$(grep "^VTXCTL-NET-PING $ifn " "$OUT/lo")
		case "$line" in
		*"sent=3 received=3 "*)
			result "$drv" "$name-ping" ok "$ifn: ${line#VTXCTL-NET-PING "$ifn" }" ;;
		*)
			result "$drv" "$name-ping" fail "$ifn: '${line:-no PING line}'" ;;
		esac
		line=$(grep "^VTXCTL-NET-TCP $ifn " "$OUT/lo")
		want_c=$(echo "$line" | sed -n 's/.* cksum=\([0-9]*\) .*/\1/p')
		srvl=$(grep "^VTXNET-RECV peer=10.0.$nn.2 " "$OUT/srv")
		mbs=$(echo "$srvl" | sed -n 's/.* mb_s=\([0-9.]*\).*/\1/p')
		case "$line" in
		*" bytes=$NET_BYTES cksum=$want_c server_bytes=$NET_BYTES server_cksum=$want_c "*)
			if [ -n "$want_c" ] &&
				[ "${srvl#*bytes="$NET_BYTES" cksum="$want_c" }" != "$srvl" ]; then
				result "$drv" "$name-tcp" ok "$NET_BYTES bytes, cksum $want_c on both ends; guest $(echo "$line" | sed 's/.* seconds=/seconds=/'), server mb_s=$mbs"
			else
				result "$drv" "$name-tcp" fail "server: '${srvl:-no RECV line}', guest: '$line'"
			fi ;;
		*)
			result "$drv" "$name-tcp" fail "guest: '${line:-no TCP line}', server: '${srvl:-no RECV line}'" ;;
		esac
	done
	# Kicks: what the guest's driver counted; exits: what reached vtxctl.
	kicks=$(sed -n 's/^VTXCTL-NET-STATS [^ ]* rx_kicks=\([0-9]*\) tx_kicks=\([0-9]*\) .*/\1 \2/p' "$OUT/lo" |
		awk '{ n += $1 + $2 } END { print n + 0 }')
	exits=$(grep -E '^virtio net[01] q[01]:' "$OUT/le" |
		sed -n 's/.*[(, ]\([0-9]*\) by MMIO exit).*/\1/p' | awk '{ n += $1 } END { print n + 0 }')
	ok=$(grep -cE '^virtio net[01] q[01]:.*KVM_IOEVENTFD$' "$OUT/le")
	if [ "$ok" = 4 ] && [ "$exits" = 0 ] && [ "$kicks" -gt 0 ]; then
		result "$drv" linux-net-notify ok "$kicks kicks (guest's rx+tx counters, both NICs), 0 by MMIO exit: 0 per 1,000; $(grep -E '^virtio net[01] q[01]:' "$OUT/le" | sed 's/^virtio //; s/, KVM_IOEVENTFD$//' | tr '\n' ';')"
	else
		result "$drv" linux-net-notify fail "$kicks kicks, $exits exits; $(grep -E '^virtio net[01]' "$OUT/le" | tr '\n' ';')"
	fi
}

# knob_on VALUE DRIVER - a per-driver knob (VTXCTL_NET, VTXCTL_EXT4): 1
# both drivers, 0 none, else a list such as "vtx"
knob_on() {
	case "$1" in
	1) return 0 ;;
	0) return 1 ;;
	esac
	case ",$1," in *",$2,"*) return 0 ;; esac
	return 1
}

# linux_ext4_reboot DRIVER DEVICE - the ext4 disk (linux-ext4.img, made by
# mke2fs in linux-prepare.sh) after the linux-smp2 boot wrote a file of
# 256 KiB from getrandom on it, fsync'd, synced and rebooted without
# unmounting (linux-ext4-write): a second vtxctl run on the same image,
# --cpus 1 (SMP was the first boot's; one vCPU costs less) and only that
# disk, mounts it (replaying the journal) and reads the file back;
# linux-ext4-reboot: the same POSIX cksum.  That disk is its root
# (linux-ext4-root): the initramfs loads the modules, mounts it, switches
# to it and execs its /sbin/init.  That guest has "pci=nomsi":
# linux-virtio-intx, the INTx fallback of a driver that never enables
# MSI-X (vtxctl says MSI-X disabled, the guest read the ISR, its virtio
# interrupt is on the IO-APIC).
linux_ext4_reboot() {
	local drv="$1" dev="$2" line want rx="" uart=""
	# (the guest's console lines end in CR LF)
	line=$(grep '^VTXCTL-EXT4-WRITE ' "$OUT/lo" | tr -d '\r')
	want=$(echo "$line" | sed -n 's/^VTXCTL-EXT4-WRITE bytes=262144 cksum=\([0-9]*\)$/\1/p')
	if [ -n "$want" ]; then
		result "$drv" linux-ext4-write ok "262144 bytes, cksum $want, synced, then the reboot"
	else
		result "$drv" linux-ext4-write fail "'${line:-no EXT4-WRITE line}'"
		return 0
	fi
	# The UART's receive interrupt here when the first boot's console was
	# hvc0 (VTXCTL_UART_RX=0 leaves it out)
	if [ "${VTXCTL_CONSOLE:-virtio}" = virtio ] && knob_on "${VTXCTL_UART_RX:-1}" "$drv"; then
		rx="hello vtx"
		uart=" vtxuart.rx=1"
	fi
	VRUN_ECHO=$rx VRUN_TIMEOUT=700 vrun "$drv" linux-ext4-reboot 0 \
		"VTXCTL-EXT4-READ cksum=$want bytes=262144|guest reset" \
		--kernel linux-vmlinuz --initrd linux-init.cpio.gz --cpus 1 \
		--disk "$OUT/ext4.img" --device "$dev" --timeout 600 \
		--append "console=ttyS0 reboot=k panic=1 quiet pci=nomsi vtxext4=vda vtxext4.phase=read$uart"
	linux_ext4_root "$drv"
	if [ -z "$rx" ]; then
		:
	elif grep -q '^VTXCTL-LINUX-ECHO hello vtx' "$OUT/o"; then
		result "$drv" linux-uart-rx ok "the line came back through the UART (IRQ 4)"
	else
		result "$drv" linux-uart-rx fail "no 'VTXCTL-LINUX-ECHO hello vtx'"
	fi
	local isr irq
	isr=$(isr_reads "$OUT/all")
	irq=$(tr -d '\r' <"$OUT/all" | grep '^VTXCTL-IRQ')
	if grep -q '^virtio blk0:     MSI-X disabled' "$OUT/all" && [ "$isr" -gt 0 ] &&
		echo "$irq" | grep -q ' IO-APIC .*virtio' && ! echo "$irq" | grep -q PCI-MSI; then
		result "$drv" linux-virtio-intx ok "pci=nomsi: $isr ISR reads, $(mmio_exits "$OUT/all") MMIO exits; $(echo "$irq" | sed 's/^VTXCTL-IRQ //' | tr '\n' ';')"
	else
		result "$drv" linux-virtio-intx fail "ISR reads $isr; $(grep '^virtio blk0:     MSI-X' "$OUT/all"); $(echo "$irq" | tr '\n' ';')"
	fi
}

# linux_ext4_root DRIVER - the ext4 reboot's root was the ext4 disk: the
# image's /sbin/init (linux-init.c's ext4_root_main(), exec'd by the
# initramfs after the switch_root) saw / with statfs's ext4 magic, on
# vda (st_dev), as /proc/mounts' last mount on /, read the previous boot's
# file there (linux-ext4-reboot), and wrote a file of 2048 lines with a
# random tag on /, fsync'd and synced before its reboot: its blocks in the
# image after the run (where FIBMAP said, "at=BLOCKxSIZE") hold those
# lines, byte for byte.
linux_ext4_root() {
	local drv="$1" root line tag at bs got=""
	root=$(tr -d '\r' <"$OUT/o" | grep '^VTXCTL-EXT4-ROOT ')
	line=$(tr -d '\r' <"$OUT/o" | grep '^VTXCTL-EXT4-ROOT-WRITE ')
	tag=$(echo "$line" | sed -n 's/^VTXCTL-EXT4-ROOT-WRITE bytes=65536 lines=2048 tag=\([0-9a-f]\{8\}\) .*/\1/p')
	at=$(echo "$line" | sed -n 's/.* at=\([0-9]*x[0-9]*\)$/\1/p')
	bs=${at#*x}
	if [ -n "$tag" ] && [ -n "$at" ] && [ "$bs" -gt 0 ]; then
		awk -v t="$tag" 'BEGIN { for (i = 0; i < 2048; i++) printf "vtxctl-ext4-root %s %05d\n", t, i }' \
			>"$OUT/root-want"
		dd if="$OUT/ext4.img" bs="$bs" skip="${at%x*}" count=$((65536 / bs)) \
			of="$OUT/root-got" 2>/dev/null
		cmp -s "$OUT/root-want" "$OUT/root-got" && got=1
	fi
	case "$root" in
	"VTXCTL-EXT4-ROOT pid=1 magic=0xef53 dev=same mount=/dev/vda,ext4,rw"*) ;;
	*) got= ;;
	esac
	if [ -n "$got" ]; then
		result "$drv" linux-ext4-root ok "/ is ext4 on vda (${root#*mount=}), pid 1 its /sbin/init; 64 KiB written, fsync'd, in the image at block ${at%x*} (of $bs bytes), byte for byte"
	else
		result "$drv" linux-ext4-root fail "'${root:-no EXT4-ROOT line}'; '${line:-no EXT4-ROOT-WRITE line}'; not in the image"
	fi
}

# linux_virtio_checks DRIVER - what the guest's /init saw of the virtio
# devices ($OUT/lo) and what vtxctl did ($OUT/le), after the run ended:
#   linux-virtio-blk-read   vda's POSIX cksum in the guest = the image's,
#                           capacity and serial (VIRTIO_BLK_T_GET_ID)
#   linux-virtio-blk-write  the guest's 4 KiB write + fsync reached the
#                           file: it equals linux-disk-after.img, byte for byte
#   linux-virtio-blk-ro     vdb is read-only in the guest, its write is
#                           refused, the file is unchanged
#   linux-virtio-rng        /dev/hwrng is virtio_rng.0 and reads 64 bytes
#   linux-virtio-direct     64 O_DIRECT 4 KiB reads of vda, one request
#                           each, equal to the buffered read
#   linux-virtio-notify     every queue notification came through
#                           KVM_IOEVENTFD: 0 QueueNotify exits to vtxctl
linux_virtio_checks() {
	local drv="$1" want got line n
	want=$(cat linux-disk.cksum)
	line=$(grep '^VTXCTL-VIRTIO-VDA ' "$OUT/lo")
	case "$line" in
	*"cksum=$want size=262144 serial=vtxctl-blk0 ro=0"*)
		result "$drv" linux-virtio-blk-read ok "cksum $want, 512 sectors, serial vtxctl-blk0" ;;
	*)
		grep '^VTXCTL-VIRTIO-' "$OUT/lo" | head -20
		result "$drv" linux-virtio-blk-read fail "got '${line:-no VDA line}', want cksum=$want size=262144 serial=vtxctl-blk0 ro=0" ;;
	esac
	line=$(grep '^VTXCTL-VIRTIO-VDA-DIRECT ' "$OUT/lo")
	case "$line" in
	*"reads=64 same=64 "*)
		result "$drv" linux-virtio-direct ok "${line#VTXCTL-VIRTIO-VDA-DIRECT }" ;;
	*)
		result "$drv" linux-virtio-direct fail "got '${line:-no VDA-DIRECT line}', want reads=64 same=64" ;;
	esac
	if grep -q '^VTXCTL-VIRTIO-VDA-WRITE ok' "$OUT/lo" &&
		cmp "$OUT/disk.img" linux-disk-after.img; then
		result "$drv" linux-virtio-blk-write ok "the block is in the file, the rest unchanged"
	else
		result "$drv" linux-virtio-blk-write fail "$(grep '^VTXCTL-VIRTIO-VDA-WRITE' "$OUT/lo" || echo 'no VDA-WRITE line'); file differs from linux-disk-after.img"
	fi
	line=$(grep '^VTXCTL-VIRTIO-VDB ' "$OUT/lo")
	if [ "${line#*cksum="$want" size=262144 serial=vtxctl-blk1 ro=1}" != "$line" ] &&
		grep -q '^VTXCTL-VIRTIO-VDB-WRITE refused' "$OUT/lo" &&
		cmp "$OUT/disk-ro.img" linux-disk.img; then
		result "$drv" linux-virtio-blk-ro ok "ro=1, $(grep '^VTXCTL-VIRTIO-VDB-WRITE' "$OUT/lo"), file unchanged"
	else
		result "$drv" linux-virtio-blk-ro fail "'${line:-no VDB line}' $(grep '^VTXCTL-VIRTIO-VDB-WRITE' "$OUT/lo")"
	fi
	line=$(grep '^VTXCTL-VIRTIO-RNG ' "$OUT/lo")
	n=$(echo "$line" | sed -n 's/.*distinct=\([0-9]*\).*/\1/p')
	case "$line" in
	*"current=virtio_rng.0 read=64 "*)
		if [ "${n:-0}" -ge 16 ]; then
			result "$drv" linux-virtio-rng ok "64 bytes, $n distinct"
		else
			result "$drv" linux-virtio-rng fail "only $n distinct bytes in 64"
		fi ;;
	*)
		result "$drv" linux-virtio-rng fail "got '${line:-no RNG line}'" ;;
	esac
	# "virtio blk0 q0:  N requests, K notifications (I by ioeventfd, E by MMIO exit), ..."
	got=$(grep -E '^virtio (blk|rng)[0-9]* q0:' "$OUT/le")
	n=$(echo "$got" | grep -c ', 0 by MMIO exit), KVM_IOEVENTFD$')
	if [ "$n" -ge 3 ] && [ "$n" = "$(echo "$got" | wc -l)" ] &&
		! echo "$got" | grep -q ' 0 requests'; then
		result "$drv" linux-virtio-notify ok "$(echo "$got" | sed 's/^virtio //; s/ notifications (/ kicks (/; s/, KVM_IOEVENTFD$//' | tr '\n' ';')"
	else
		result "$drv" linux-virtio-notify fail "$(echo "$got" | tr '\n' ';')"
	fi
	[ "$drv" = vtx ] || return 0
	# vtx's own view (netlink, the VM held after the reboot): VMX exits
	# for EPT violations and misconfigurations (MMIO, the LAPIC page)
	# against the exits that reached vtxctl.  vtx's user exits must be
	# the exits vtxctl counted (all but INTR, an interrupted KVM_RUN):
	# the QueueNotify writes of linux-virtio-notify are not among them.
	local vtx_user vtxctl_user
	vtx_user=$(( $(json_field "$OUT/lstats.json" 0 user_exits) + \
		$(json_field "$OUT/lstats.json" 1 user_exits) )) 2>/dev/null || vtx_user=none
	vtxctl_user=$(grep '^exits:' "$OUT/le" | sed 's/^exits: *//' | tr ',' '\n' |
		awk '$1 != "INTR" { n += $2 } END { print n + 0 }')
	if [ -s "$OUT/lstats.json" ] && [ "$vtx_user" = "$vtxctl_user" ]; then
		cat "$OUT/lstats.json"
		result "$drv" linux-virtio-netlink ok "user exits: vtx $vtx_user = vtxctl $vtxctl_user; $(printf 'vCPU0: EPT_VIOLATION %s, EPT_MISCONFIG %s, user exits %s; vCPU1: %s, %s, %s; vtxctl: %s' \
			"$(json_count "$OUT/lstats.json" 0 48)" "$(json_count "$OUT/lstats.json" 0 49)" \
			"$(json_field "$OUT/lstats.json" 0 user_exits)" \
			"$(json_count "$OUT/lstats.json" 1 48)" "$(json_count "$OUT/lstats.json" 1 49)" \
			"$(json_field "$OUT/lstats.json" 1 user_exits)" \
			"$(grep '^exits:' "$OUT/le" | sed 's/^exits: *//')")"
	else
		result "$drv" linux-virtio-netlink fail "no stats of the held VM, or user exits: vtx $vtx_user, vtxctl $vtxctl_user"
	fi
}

# wait_for FILE STRING SECONDS - until FILE contains STRING.
wait_for() {
	local i=0
	while [ "$i" -lt "$3" ]; do
		grep -qF -- "$2" "$1" 2>/dev/null && return 0
		sleep 1
		i=$((i + 1))
	done
	return 1
}

# SIGINT stops both vCPU threads of a spinning guest cleanly (status 130).
sigint() {
	local drv="$1" dev="$2" pid rc
	echo "@@RUN $drv sigint: $VTXCTL run spin.bin --cpus 2 --aps entry, then kill -INT"
	"$VTXCTL" run spin.bin --device "$dev" --cpus 2 --aps entry </dev/null \
		>"$OUT/spin.o" 2>"$OUT/spin.e" &
	pid=$!
	sleep 3
	kill -INT "$pid"
	i=0
	while kill -0 "$pid" 2>/dev/null && [ "$i" -lt 30 ]; do
		sleep 1
		i=$((i + 1))
	done
	if kill -0 "$pid" 2>/dev/null; then
		kill -KILL "$pid"
		wait "$pid"
		result "$drv" sigint fail "vtxctl still running 30 s after SIGINT"
		return 0
	fi
	wait "$pid"
	rc=$?
	show "$OUT/spin.e" "  ! "
	if [ "$rc" = 130 ] && grep -q 'interrupted by SIGINT' "$OUT/spin.e" &&
		grep -q 'KVM_RUN calls' "$OUT/spin.e"; then
		result "$drv" sigint ok "status 130, summary printed"
	else
		result "$drv" sigint fail "exit status $rc, expected 130 and a summary"
	fi
}

# json_count FILE VCPU REASON - the count of REASON for VCPU in stats --json.
json_count() {
	awk -v v="$2" -v r="$3" '
		/^      "id": / { s = $0; gsub(/[^0-9]/, "", s); cur = s }
		/"reason": / && cur == v {
			if (match($0, /"reason": [0-9]+/)) {
				n = substr($0, RSTART + 10, RLENGTH - 10)
				if (n == r && match($0, /"count": [0-9]+/)) {
					print substr($0, RSTART + 9, RLENGTH - 9); found = 1
				}
			}
		}
		END { if (!found) print 0 }' "$1"
}

# json_field FILE VCPU FIELD - a per-vCPU number (exits, user_exits...).
json_field() {
	awk -v v="$2" -v f="\"$3\": " '
		/^      "id": / { s = $0; gsub(/[^0-9]/, "", s); cur = s }
		cur == v && index($0, f) {
			s = substr($0, index($0, f) + length(f)); gsub(/[^0-9].*/, "", s)
			print s; found = 1; exit
		}
		END { if (!found) print "none" }' "$1"
}

# expect_eq DRIVER NAME GOT WANT [what]
expect_eq() {
	if [ "$3" = "$4" ]; then
		result "$1" "$2" ok "$5 = $3"
	else
		result "$1" "$2" fail "$5 = $3, expected $4"
	fi
}

# start_held NAME ARGS... - vtxctl run --hold in the background; sets
# HELD_PID and HELD_ID (the vtx VM id, from vtxctl list).
start_held() {
	local name="$1"
	shift
	HELD_ID=
	"$VTXCTL" run "$@" --hold </dev/null >"$OUT/$name.o" 2>"$OUT/$name.e" &
	HELD_PID=$!
	if ! wait_for "$OUT/$name.e" "holding the VM" 120; then
		show "$OUT/$name.e" "  ! "
		return 1
	fi
	HELD_ID=$("$VTXCTL" list | awk -v p="$HELD_PID" '$2 == p { print $1 }')
	[ -n "$HELD_ID" ]
}

# stop_held NAME WANT_STATUS - SIGINT the held run, check its status.
stop_held() {
	local rc
	kill -INT "$HELD_PID"
	wait "$HELD_PID"
	rc=$?
	show "$OUT/$1.e" "  ! "
	expect_eq vtx "$1.status-after-hold" "$rc" "$2" "exit status"
}

netlink_tests() {
	local rc id2 pid2 n spin

	# Under shadow paging (ept=0) count.bin's real mode runs in
	# virtual-8086 mode, where its OUTs and HLT are #GP exits (reason 0)
	# that vtx emulates: the per-reason counts below do not hold.
	if [ "$(cat /sys/module/vtx/parameters/ept 2>/dev/null)" = N ]; then
		result vtx stats skip "ept=0: OUT and HLT of the real-mode guest exit as #GP (vm86), not IO_INSTRUCTION/HLT"
		return 0
	fi
	# A guest with known exits: 1000 OUTs, 500 CPUIDs, 1 HLT.
	echo "@@RUN vtx stats: held count.bin"
	if ! start_held count count.bin; then
		result vtx stats.held-vm fail "no held VM in vtxctl list"
		kill "$HELD_PID" 2>/dev/null
		wait "$HELD_PID"
		return 0
	fi
	result vtx stats.held-vm ok "VM $HELD_ID, pid $HELD_PID"
	"$VTXCTL" list
	"$VTXCTL" stats "$HELD_ID" --json >"$OUT/st.json"
	rc=$?
	cat "$OUT/st.json"
	expect_eq vtx stats.json-status "$rc" 0 "exit status"
	expect_eq vtx stats.io-exits "$(json_count "$OUT/st.json" 0 30)" 1000 "IO_INSTRUCTION (30)"
	expect_eq vtx stats.cpuid-exits "$(json_count "$OUT/st.json" 0 10)" 500 "CPUID (10)"
	expect_eq vtx stats.hlt-exits "$(json_count "$OUT/st.json" 0 12)" 1 "HLT (12)"
	expect_eq vtx stats.user-exits "$(json_field "$OUT/st.json" 0 user_exits)" 1001 "user_exits"
	n=$(grep -c '"name": "IO_INSTRUCTION"' "$OUT/st.json")
	expect_eq vtx stats.json-names "$n" 1 "IO_INSTRUCTION entries"

	"$VTXCTL" stats "$HELD_ID" >"$OUT/st.txt"
	rc=$?
	cat "$OUT/st.txt"
	if [ "$rc" = 0 ] && grep -Eq '^ +30 +IO_INSTRUCTION +1000$' "$OUT/st.txt" &&
		grep -Eq '^ +10 +CPUID +500$' "$OUT/st.txt" &&
		grep -q 'log2 buckets' "$OUT/st.txt"; then
		result vtx stats.text ok
	else
		result vtx stats.text fail "exit status $rc or rows missing"
	fi

	# A second held VM: two vCPUs from the same entry, counts per vCPU.
	id2=$HELD_ID pid2=$HELD_PID
	echo "@@RUN vtx stats: held count.bin --cpus 2 --aps entry"
	if start_held count2 count.bin --cpus 2 --aps entry; then
		"$VTXCTL" stats "$HELD_ID" --json >"$OUT/st2.json"
		cat "$OUT/st2.json"
		expect_eq vtx stats.smp.vcpu0-io "$(json_count "$OUT/st2.json" 0 30)" 1000 "vCPU 0 IO_INSTRUCTION"
		expect_eq vtx stats.smp.vcpu1-io "$(json_count "$OUT/st2.json" 1 30)" 2000 "vCPU 1 IO_INSTRUCTION"
		expect_eq vtx stats.smp.vcpu1-cpuid "$(json_count "$OUT/st2.json" 1 10)" 1000 "vCPU 1 CPUID"
		expect_eq vtx stats.smp.vcpu1-hlt "$(json_count "$OUT/st2.json" 1 12)" 1 "vCPU 1 HLT"

		"$VTXCTL" list --json >"$OUT/list.json"
		cat "$OUT/list.json"
		if grep -q "\"pid\": $HELD_PID, \"comm\": \"vtxctl\", \"vcpus\": 2, \"mem_bytes\": 16777216" "$OUT/list.json" &&
			grep -q "\"pid\": $pid2," "$OUT/list.json"; then
			result vtx list.json ok
		else
			result vtx list.json fail "the two held VMs are not both listed"
		fi

		# top: the two halted VMs at 0 exits/s, and a spinning one
		"$VTXCTL" run spin.bin </dev/null >/dev/null 2>"$OUT/spin2.e" &
		spin=$!
		sleep 2
		"$VTXCTL" top --once --interval 1 >"$OUT/top.txt"
		rc=$?
		cat "$OUT/top.txt"
		if [ "$rc" = 0 ] && grep -q "EXITS/s" "$OUT/top.txt" &&
			grep -Eq "^ +$HELD_ID +$HELD_PID +vtxctl +2 +0 +0  -$" "$OUT/top.txt" &&
			grep -Eq "^ +$id2 +$pid2 +vtxctl +1 " "$OUT/top.txt" &&
			grep -Eq "^ +[0-9]+ +$spin +vtxctl +1 +[1-9][0-9]* +[1-9][0-9]*  IO_INSTRUCTION [1-9]" "$OUT/top.txt"; then
			result vtx top.once ok
		else
			result vtx top.once fail "exit status $rc or VM rows missing"
		fi
		kill -INT "$spin"
		wait "$spin"
		expect_eq vtx spin.sigint-status "$?" 130 "exit status"
		stop_held count2 0
	else
		result vtx stats.smp fail "no held VM with 2 vCPUs"
		kill "$HELD_PID" 2>/dev/null
		wait "$HELD_PID"
	fi
	HELD_ID=$id2 HELD_PID=$pid2

	# Reset: the counters start again from zero.
	"$VTXCTL" stats "$HELD_ID" --reset
	rc=$?
	"$VTXCTL" stats "$HELD_ID" --json >"$OUT/st3.json"
	cat "$OUT/st3.json"
	if [ "$rc" = 0 ] && [ "$(json_field "$OUT/st3.json" 0 exits)" = 0 ] &&
		[ "$(json_count "$OUT/st3.json" 0 30)" = 0 ]; then
		result vtx stats.reset ok
	else
		result vtx stats.reset fail "exit status $rc, or counts not zero after reset"
	fi
	stop_held count 0

	# Extended ACK: the kernel's message for an unknown VM id.
	echo "@@RUN vtx extack: $VTXCTL stats 4000"
	"$VTXCTL" stats 4000 >"$OUT/x.o" 2>"$OUT/x.e"
	rc=$?
	show "$OUT/x.e" "  ! "
	if [ "$rc" = 20 ] && grep -q 'kernel: no VM with this id (ENOENT' "$OUT/x.e"; then
		result vtx stats.extack ok "status 20: $(cat "$OUT/x.e")"
	else
		result vtx stats.extack fail "exit status $rc: $(cat "$OUT/x.e")"
	fi
	"$VTXCTL" stats 4000 --reset 2>"$OUT/x.e"
	rc=$?
	show "$OUT/x.e" "  ! "
	if [ "$rc" = 20 ] && grep -q 'no VM with this id' "$OUT/x.e"; then
		result vtx stats-reset.extack ok
	else
		result vtx stats-reset.extack fail "exit status $rc"
	fi

	# Events: create, shutdown (triple fault) and destroy of one VM.
	echo "@@RUN vtx events"
	"$VTXCTL" events --count 3 --timeout 120 >"$OUT/ev.o" 2>"$OUT/ev.e" &
	pid2=$!
	if wait_for "$OUT/ev.e" "listening" 60; then
		timeout 120 "$VTXCTL" run triple.bin --mode protected --quiet </dev/null
		wait "$pid2"
		rc=$?
		cat "$OUT/ev.o"
		show "$OUT/ev.e" "  ! "
		if [ "$rc" = 0 ] &&
			sed -n 1p "$OUT/ev.o" | grep -Eq '^vm-create vm=[0-9]+ pid=[0-9]+$' &&
			sed -n 2p "$OUT/ev.o" | grep -Eq '^vcpu-shutdown vm=[0-9]+ pid=[0-9]+ vcpu=0 reason=0x0$' &&
			sed -n 3p "$OUT/ev.o" | grep -Eq '^vm-destroy vm=[0-9]+ pid=[0-9]+$' &&
			[ "$(awk '{ print $2, $3 }' "$OUT/ev.o" | sort -u | wc -l)" = 1 ]; then
			result vtx events ok "create, shutdown, destroy"
		else
			result vtx events fail "exit status $rc, events not as expected"
		fi
	else
		show "$OUT/ev.e" "  ! "
		result vtx events fail "vtxctl events did not subscribe"
		kill "$pid2"
		wait "$pid2"
	fi
}

cli_tests() {
	local rc
	"$VTXCTL" run --help >"$OUT/h" 2>&1
	rc=$?
	if [ "$rc" = 0 ] && grep -q -- '--strict-mmio' "$OUT/h"; then
		result cli run-help ok
	else
		result cli run-help fail "exit status $rc"
	fi
	vrun cli bad-cpus 2 "bad --cpus '0'" count.bin --cpus 0
	vrun cli no-image 4 'No such file' /nonexistent.bin
	vrun cli mode-on-elf 2 'apply to flat binaries only' elfguest64.elf --mode long
	vrun cli module-needs-multiboot 2 'needs one' elfguest64.elf --module module.txt
	vrun cli dry-run 0 'Multiboot (a.out kludge) at 0x100000' mbguest-aout.bin --dry-run
	linux_cli_tests
}

# vtxctl run --kernel: bad input, each a clear error and an exit status.
linux_cli_tests() {
	[ -f linux-vmlinuz ] || {
		result cli linux-input skip "no linux-vmlinuz"
		return 0
	}
	vrun cli linux-dry-run 0 'Linux bzImage, boot protocol 2.|64-bit entry 0x100200|MP table at 0xf0000|2 vCPUs (the guest starts the APs)' \
		--kernel linux-vmlinuz --initrd linux-init.cpio.gz --cpus 2 --dry-run
	head -c 100000 linux-vmlinuz >"$OUT/truncated"
	vrun cli linux-truncated 4 'truncated bzImage: 100000 bytes' --kernel "$OUT/truncated" --dry-run
	# protocol 2.02 (version, le16 at 0x206 = 518): no 64-bit entry
	cp linux-vmlinuz "$OUT/old"
	printf '\002\002' | dd of="$OUT/old" bs=1 seek=518 conv=notrunc 2>/dev/null
	vrun cli linux-old-protocol 4 'boot protocol 2.02 is older than 2.12' --kernel "$OUT/old" --dry-run
	rm -f "$OUT/old"
	vrun cli linux-not-bzimage 4 'not a Linux bzImage (no "HdrS" setup header' \
		--kernel elfguest64.elf --dry-run
	vrun cli linux-missing-kernel 4 'open /nonexistent: No such file' --kernel /nonexistent --dry-run
	vrun cli linux-missing-initrd 4 'open /nonexistent.cpio: No such file' \
		--kernel linux-vmlinuz --initrd /nonexistent.cpio --dry-run
	vrun cli linux-initrd-too-big 4 'does not fit in guest RAM' \
		--kernel linux-vmlinuz --initrd linux-vmlinuz --mem 88M --dry-run
	vrun cli linux-kernel-and-image 2 'not both' --kernel linux-vmlinuz count.bin
	vrun cli linux-append-needs-kernel 2 'need --kernel' count.bin --append quiet
	vrun cli linux-missing-disk 4 'vtxctl: --disk: open /nonexistent.img: No such file' \
		--kernel linux-vmlinuz --disk /nonexistent.img --dry-run
	vrun cli linux-disk-needs-kernel 2 '--disk, --rng and --net need --kernel' \
		count.bin --disk linux-disk.img,ro
	vrun cli linux-disk-dry-run 0 'virtio_mmio.device=4K@0xd0000000:5' \
		--kernel linux-vmlinuz --disk linux-disk.img,ro --rng --virtio mmio --dry-run \
		--verbose
	vrun cli linux-virtio-bad 2 "unknown --virtio 'isa' (pci or mmio)" \
		--kernel linux-vmlinuz --rng --virtio isa --dry-run
	# --net: the tap must exist (vtxctl never creates one)
	vrun cli linux-net-missing-tap 4 "vtxctl: --net: no network interface 'vtxnope0' (create the tap first" \
		--kernel linux-vmlinuz --net tap=vtxnope0 --dry-run
	vrun cli linux-net-bad 2 "bad --net 'tap=vtxtap0,vhost=maybe'" \
		--kernel linux-vmlinuz --net tap=vtxtap0,vhost=maybe --dry-run
	vrun cli linux-net-not-tap 4 "tap 'lo': TUNSETIFF: Invalid argument (not a tap interface?)" \
		--kernel linux-vmlinuz --net tap=lo --dry-run
}

net_setup
cli_tests

# 1. vtx
if vtx_load; then
	guest_runs vtx /dev/vtx
	[ "${VTXCTL_ONLY:-}" = linux ] || netlink_tests
	vtx_unload
fi
dmesg_check vtx

# 2. kvm_intel
if kvm_load; then
	guest_runs kvm /dev/kvm
	kvm_unload
fi
dmesg_check kvm
