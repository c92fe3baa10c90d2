# shellcheck shell=bash
# SPDX-License-Identifier: GPL-2.0
#
# run-image.sh - what the test VM boots (sourced by run.sh): the
# prerequisites and the kernel, the initramfs (busybox, init, vmlib.sh, the
# suite, vtx.ko, kvm's modules, build/bin, the guests, the tests) and the
# ISO with its kernel command line.
#
# Reads run.sh's settings: name, script, tests, kver, append, CPU_MODEL,
# KO, VTX_KO, OUT, BUILD, HERE; sets kver, KO, KROOT, VMLINUZ, BOOTZ, BIOS,
# VGABIOS and cmdline.
# shellcheck disable=SC2154

# The tools and files a Bochs run needs, and the kernel to boot (the one
# vtx.ko was built for, if installed; else the newest).  Finishes the run
# with a failed "done" result if something is missing.
find_prereqs() {
	local need=() t f v
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
}

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

# The initramfs: $OUT/rootfs packed into $OUT/initrd.cpio, uncompressed:
# the kernel's gunzip of it cost more guest time than reading the larger
# ISO (Documentation/vtx/testing.rst).
build_initramfs() {
	local RFS=$OUT/rootfs KMODS f
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
	[ "${#PARTS[@]}" = 0 ] || parts_initramfs "$RFS"
	(cd "$RFS" && find . -print0 | LC_ALL=C sort -z |
		cpio --null -o -H newc -R 0:0 --quiet) >"$OUT/initrd.cpio"
}

# The kernel image the ISO carries: for an XZ-compressed kernel its LZ4
# re-wrap (lz4kernel.sh: the same kernel, ~45 s less emulated decompression
# a boot), else or if that fails VMLINUZ itself; VTX_LZ4KERNEL=0 boots
# VMLINUZ always.  Sets BOOTZ.
pick_kernel() {
	local z rc=0
	BOOTZ=$VMLINUZ
	[ "${VTX_LZ4KERNEL:-1}" != 0 ] || return 0
	# (its messages, e.g. why it failed, go to stderr: the run's output)
	z=$(bash "$HERE/lz4kernel.sh" "$VMLINUZ" "$kver") || rc=$?
	if [ "$rc" = 3 ]; then
		# not XZ (Debian 13's kernels are ZSTD): boots as is
		return 0
	elif [ "$rc" != 0 ]; then
		say "note: no LZ4 re-wrap of $VMLINUZ (lz4kernel.sh says why, above); booting it as is, ~45 s more guest time"
		return 0
	fi
	say "kernel: $z (LZ4 re-wrap of $VMLINUZ)"
	BOOTZ=$z
}

# The ISO: isolinux, the kernel and the initramfs, $cmdline (+ --append).
build_iso() {
	mkdir -p "$OUT/iso/isolinux" "$OUT/iso/boot"
	cp "$ISOLINUX" "$LDLINUX" "$OUT/iso/isolinux/"
	pick_kernel
	cp "$BOOTZ" "$OUT/iso/boot/vmlinuz"
	mv "$OUT/initrd.cpio" "$OUT/iso/boot/initrd.cpio"
	# cryptomgr.notests=1: the crypto self-tests took 7.4 s of the 15.4 s
	# of guest time to /init. rcupdate.rcu_expedited=1: RCU and SRCU
	# grace periods by IPI instead of waiting for ticks in the emulated
	# CPUs (kvm_intel destroying 60 VMs with a PIT: 15.5 s -> 4.1 s of
	# guest time; vtx 1.5 s -> 0.2 s; every memslot update waits for one).
	# idle=halt: idle CPUs wait in HLT and are woken by IPIs; with the
	# default MWAIT idle a wake-up is a store to the idle CPU's flags,
	# which Bochs's MONITOR/MWAIT now and then misses until that CPU's
	# next timer: four of six 2-CPU boots of one image took 11-18 s of
	# guest time to /init instead of 5.2, against 5.1 s in all five
	# with idle=halt (testing.rst)
	cmdline="console=ttyS0,115200 quiet loglevel=4 mitigations=off nokaslr tsc=reliable cryptomgr.notests=1 rcupdate.rcu_expedited=1 idle=halt${append:+ $append}"
	cat >"$OUT/iso/isolinux/isolinux.cfg" <<EOF
DEFAULT vtx
PROMPT 0
TIMEOUT 0
LABEL vtx
  KERNEL /boot/vmlinuz
  INITRD /boot/initrd.cpio
  APPEND $cmdline
EOF
	xorriso -as mkisofs -quiet -R -V VTXTEST -o "$OUT/testvm.iso" \
		-b isolinux/isolinux.bin -c isolinux/boot.cat \
		-no-emul-boot -boot-load-size 4 -boot-info-table "$OUT/iso" 2>"$OUT/xorriso.log" ||
		{ cat "$OUT/xorriso.log"; add vm "done" fail "xorriso failed"; finish; }
}
