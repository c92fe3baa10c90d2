#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# lz4kernel.sh - a faster-booting copy of a Debian kernel for the test VM:
# the same kernel (vmlinux and relocations, byte for byte), re-wrapped in a
# bzImage whose payload is LZ4 instead of XZ.
#
#   tools/testvm/lz4kernel.sh [--retry] VMLINUZ KVER   # prints its path
#
# Debian's 6.1 kernel is CONFIG_KERNEL_XZ: in Bochs its decompressor ran
# 4.49e9 emulated instructions (45 s of guest time) before the kernel's
# first one, 70% of a boot that powers off at once; LZ4 decodes the same
# 66 MB in 0.11e9 (Documentation/vtx/testing.rst).
#
# How: the payload of VMLINUZ (setup header payload_offset/payload_length)
# is xz -d'ed (vmlinux.bin + vmlinux.relocs + the le32 size), recompressed
# with lz4 -l -9, and only arch/x86/boot (+ compressed/, the EFI stub
# library) of the kernel source (/usr/src/linux-source-SERIES.tar.xz,
# extracted under build/lz4kernel/ for the build and removed after it,
# never into the repository) is built around it, configured with the
# kernel's config-KVER but KERNEL_LZ4; the VO_* offsets (voffset.h) come
# from vmlinux.bin's section headers through a stand-in "vmlinux" of
# absolute symbols. The result is cached in build/lz4kernel/KVER/ with
# the checksum of the VMLINUZ it was made from; a second run only prints
# the path. The first takes ~70 s of CPU.
#
# Exits 3 if VMLINUZ is not XZ (nothing to do: Debian 13's are ZSTD), 1
# (the reason on stderr, the build in build/lz4kernel/KVER/build.log) if
# anything is missing or fails: run-image.sh then boots the original
# VMLINUZ. A failed build is not tried again for that VMLINUZ unless
# --retry is given. Runs of it at the same time wait for each other (flock).
set -euo pipefail
# The body is one { } block: bash parses it whole before running it.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BUILD=$ROOT/build
CACHE=$BUILD/lz4kernel

die() {
	printf 'lz4kernel: %s\n' "$*" >&2
	# (once the lock is held, i.e. $sum is set: remember the failure)
	if [ -n "${sum:-}" ]; then printf '%s\n' "$sum" >"$out/failed"; fi
	exit 1
}

retry=0
if [ "${1:-}" = --retry ]; then retry=1; shift; fi
[ "$#" = 2 ] || die "usage: lz4kernel.sh [--retry] VMLINUZ KVER"
vmlinuz=$1 kver=$2
case "$kver" in "" | */* | .*) die "bad kernel version '$kver'" ;; esac
[ -r "$vmlinuz" ] || die "$vmlinuz not readable"
kdir=$(dirname "$vmlinuz")
config=$kdir/config-$kver
series=$(printf '%s\n' "$kver" | sed -n 's/^\([0-9]*\.[0-9]*\).*/\1/p')
tarball=/usr/src/linux-source-$series.tar.xz
# (decoded once by ksrc.sh, when check.sh ran it: tar -xf reads either)
if [ -f "$BUILD/ksrc/linux-source-$series.tar" ] &&
	! [ "$tarball" -nt "$BUILD/ksrc/linux-source-$series.tar" ]; then
	tarball=$BUILD/ksrc/linux-source-$series.tar
fi
out=$CACHE/$kver

# The le32 at byte offset $2 of file $1.
le32() {
	od -An -tu4 -j "$2" -N 4 "$1" | tr -d ' '
}

# ------------------------------------------------------------ the payload --
# Boot protocol (Documentation/x86/boot.rst): setup_sects at 0x1f1 (0: 4),
# "HdrS" at 0x202, payload_offset/payload_length at 0x248/0x24c relative to
# the protected-mode code after the (setup_sects + 1) 512-byte sectors.
[ "$(dd if="$vmlinuz" bs=1 skip=514 count=4 2>/dev/null)" = HdrS ] ||
	die "$vmlinuz is not a bzImage"
setup_sects=$(od -An -tu1 -j 497 -N 1 "$vmlinuz" | tr -d ' ')
[ "$setup_sects" != 0 ] || setup_sects=4
poff=$(( (setup_sects + 1) * 512 + $(le32 "$vmlinuz" 584) ))
plen=$(le32 "$vmlinuz" 588)
magic=$(od -An -tx1 -j "$poff" -N 6 "$vmlinuz" | tr -d ' ')
# not XZ: nothing to do, silently
[ "$magic" = fd377a585a00 ] || exit 3

# One build at a time (the source tree is shared by a series' kernels).
mkdir -p "$out"
exec 9>"$CACHE/lock"
flock 9
sum=$(cksum <"$vmlinuz")
if [ -s "$out/vmlinuz" ] && [ "$(cat "$out/source.cksum" 2>/dev/null)" = "$sum" ]; then
	echo "$out/vmlinuz"
	exit 0
fi
# A build that failed is not tried again for each run (a run would wait
# minutes for the same failure): only with --retry (make check's build step).
if [ "$retry" = 0 ] && [ "$(cat "$out/failed" 2>/dev/null)" = "$sum" ]; then
	die "it failed before for this kernel (see $out/build.log; --retry to try again)"
fi
rm -f "$out/vmlinuz" "$out/source.cksum" "$out/failed"

for f in "$config" "$tarball"; do
	[ -r "$f" ] || die "$f missing (make deps)"
done
for t in lz4 xz make gcc flex bison bc readelf as flock; do
	command -v "$t" >/dev/null 2>&1 || die "$t missing (make deps)"
done

log=$out/build.log
: >"$log"
# vmlinux.bin + vmlinux.relocs, then their size as le32 (size_append)
dd if="$vmlinuz" iflag=skip_bytes,count_bytes skip="$poff" count="$((plen - 4))" 2>/dev/null |
	xz -dc --single-stream >"$out/vmlinux.bin.all" || die "xz -d of the payload failed"
size=$(stat -c %s "$out/vmlinux.bin.all")
[ "$size" = "$(le32 "$vmlinuz" "$((poff + plen - 4))")" ] ||
	die "payload: $size bytes after xz -d, the bzImage says otherwise"

# ------------------------------------------------------------- the source --
src=$CACHE/linux-source-$series
if [ ! -f "$src/.extracted" ]; then
	echo "lz4kernel: extracting $tarball (once)" >&2
	rm -rf "$src" "$src.tmp"
	mkdir -p "$src.tmp"
	tar -xf "$tarball" -C "$src.tmp" --strip-components=1 >>"$log" 2>&1 ||
		die "could not extract $tarball (see $log)"
	touch "$src.tmp/.extracted"
	mv "$src.tmp" "$src"
fi

# ------------------------------------------------------------------ build --
# An out-of-tree build in $obj; vtx.mk adds one target to the kernel's
# Makefile: arch/x86/boot/bzImage without vmlinux (bzImage needs it), after
# what the vmlinux build would have made for it: capflags.c (mkcpustr),
# utsversion.h, inat-tables.c (sev.c) and the EFI stub library.
obj=$out/obj
mkdir -p "$obj"
cat >"$obj/vtx.mk" <<'EOF'
# generated by tools/testvm/lz4kernel.sh
include $(VTX_KSRC)/Makefile
PHONY += vtx-bzimage
vtx-bzimage: prepare
	$(Q)$(MAKE) $(build)=arch/x86/kernel/cpu arch/x86/kernel/cpu/capflags.c
	$(Q)$(MAKE) $(build)=init include/generated/utsversion.h
	$(Q)$(MAKE) $(build)=arch/x86/lib arch/x86/lib/inat-tables.c
	$(Q)$(MAKE) $(build)=drivers/firmware/efi/libstub
	$(Q)$(MAKE) $(build)=arch/x86/boot arch/x86/boot/bzImage
EOF
# The stand-in vmlinux: the symbols voffset.h takes, as absolute symbols.
# Debian's System.map-KVER is a stub ("The real System.map is in the
# linux-image-<version>-dbg package"), but vmlinux.bin keeps its section
# headers, and arch/x86/kernel/vmlinux.lds.S puts _text at the start of
# .text, __start_rodata at .rodata, __bss_start at .bss, and _end at the
# end of .brk, page aligned.
readelf -SW "$out/vmlinux.bin.all" 2>>"$log" | sed 's/^ *\[ *[0-9]*\] *//' | awk '
	$1 == ".text" { printf "_text 0x%s\n", $3 }
	$1 == ".rodata" { printf "__start_rodata 0x%s\n", $3 }
	$1 == ".bss" { printf "__bss_start 0x%s\n", $3 }
	$1 == ".brk" { brk = $3; brksz = $5 }
	END { if (brk != "") printf "_end 0x%s+0x%s\n", brk, brksz }' |
	while read -r sym val; do
		printf '.globl %s\n.set %s, ((%s) + 0xfff) & ~0xfff\n' "$sym" "$sym" "$val"
	done >"$obj/voffset.s"
[ "$(grep -c '^\.globl' "$obj/voffset.s")" = 4 ] ||
	die "vmlinux.bin lacks one of .text/.rodata/.bss/.brk (readelf -S)"
as -o "$obj/vmlinux" "$obj/voffset.s" || die "as failed"

cp "$config" "$obj/.config"
sed -i -e '/^CONFIG_KERNEL_[A-Z0-9]*=y$/d' -e '/^# CONFIG_KERNEL_[A-Z0-9]* is not set$/d' "$obj/.config"
echo CONFIG_KERNEL_LZ4=y >>"$obj/.config"
mk=(make -C "$obj" -f "$obj/vtx.mk" VTX_KSRC="$src" -j"$(nproc 2>/dev/null || echo 1)")
echo "lz4kernel: building arch/x86/boot of $series for $kver (once; log: $log)" >&2
"${mk[@]}" olddefconfig >>"$log" 2>&1 || die "make olddefconfig failed (see $log)"
grep -q '^CONFIG_KERNEL_LZ4=y' "$obj/.config" || die "CONFIG_KERNEL_LZ4 did not stick (see $obj/.config)"
# vmlinux.bin.all-y on the command line: compressed/Makefile's rule for
# vmlinux.bin.lz4 takes the decompressed payload instead of vmlinux.
"${mk[@]}" vmlinux.bin.all-y="$out/vmlinux.bin.all" vtx-bzimage >>"$log" 2>&1 ||
	die "make failed (see $log)"

# The new image carries the same kernel: same decompressed size.
new=$obj/arch/x86/boot/bzImage
npoff=$(( ($(od -An -tu1 -j 497 -N 1 "$new" | tr -d ' ') + 1) * 512 + $(le32 "$new" 584) ))
nplen=$(le32 "$new" 588)
[ "$(le32 "$new" "$((npoff + nplen - 4))")" = "$size" ] || die "the new bzImage's payload size differs"
cp "$new" "$out/vmlinuz.tmp"
mv "$out/vmlinuz.tmp" "$out/vmlinuz"
printf '%s\n' "$sum" >"$out/source.cksum"
# (the 1.5 GB source tree too: a new kernel version extracts it again)
rm -rf "$obj" "$out/vmlinux.bin.all" "$src"
echo "$out/vmlinuz"
exit
}
