#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# prepare.sh OUTDIR - collect what the "qemu" suite needs into OUTDIR
# (build/selftests/qemu/, copied whole to /tests in the test VM by
# tools/testvm/run.sh). Used by this directory's Makefile.
#
#   OUTDIR/qemu-system-x86_64   Debian's QEMU, unmodified
#   OUTDIR/strace               Debian's strace, unmodified
#   OUTDIR/lib/                 every library ldd lists for both + the loader
#   OUTDIR/fw/                  the firmware QEMU loads (passed with -L)
#   OUTDIR/vmlinuz              the Debian kernel the test VM boots too
#                               (its LZ4 re-wrap, as there)
#   OUTDIR/small.cpio           busybox initramfs of the nested guest, not
#                               compressed (its gunzip took 0.28 s of the
#                               nested boot; QEMU loads 1.2 MB more by DMA)
#   OUTDIR/transcript.awk       console normalisation (from this directory)
#   OUTDIR/ioctls.awk           strace record -> ioctl counts (from here too)
#   OUTDIR/ioctl-log.so         LD_PRELOAD ioctl record in strace's format
#                               (ioctl-log.c; cheap, unlike strace)
#   OUTDIR/VERSIONS             package versions, kernel
#
# Installs the Debian packages qemu-system-x86 and strace first if they are
# missing (apt-get update only then).
set -euo pipefail
# The body is one { } block: bash parses it whole before running it.
{

OUT=${1:?usage: prepare.sh OUTDIR}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)
say() { printf 'qemu-suite: %s\n' "$*"; }

# --------------------------------------------------------------- packages --
PKGS=(qemu-system-x86 strace busybox-static cpio gzip libc-bin linux-image-amd64
	gcc libc6-dev linux-libc-dev)
missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
	[ "$st" = installed ] || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	say "installing ${missing[*]}"
	SUDO=()
	[ "$(id -u)" = 0 ] || SUDO=(sudo)
	export DEBIAN_FRONTEND=noninteractive
	"${SUDO[@]}" apt-get update
	"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
fi

QEMU=/usr/bin/qemu-system-x86_64
STRACE=/usr/bin/strace
BUSYBOX=/bin/busybox
for f in "$QEMU" "$STRACE" "$BUSYBOX"; do
	[ -x "$f" ] || { echo "prepare.sh: $f missing" >&2; exit 1; }
done
# Same kernel choice as tools/testvm/run.sh: vtx.ko's vermagic if that
# kernel is installed, else tools/testvm/kver.sh.
kver=
if [ -f "$ROOT/vtx.ko" ] && command -v modinfo >/dev/null 2>&1; then
	v=$(modinfo -F vermagic "$ROOT/vtx.ko" 2>/dev/null | awk '{print $1}') || v=
	if [ -n "$v" ] && [ -f "/boot/vmlinuz-$v" ]; then kver=$v; fi
fi
[ -n "$kver" ] || kver=$(sh "$ROOT/tools/testvm/kver.sh")
VMLINUZ=/boot/vmlinuz-$kver
if [ -z "$kver" ] || [ ! -r "$VMLINUZ" ]; then
	echo "prepare.sh: no /boot/vmlinuz-<kver>" >&2
	exit 1
fi

mkdir -p "$OUT/lib" "$OUT/fw"

# copy SRC DST - copy (following symlinks) only if DST is missing or differs
copy() {
	if ! cmp -s "$1" "$2" 2>/dev/null; then
		cp -L "$1" "$2.tmp" && mv -f "$2.tmp" "$2"
	fi
}

# ------------------------------------------------- binaries and libraries --
copy "$QEMU" "$OUT/qemu-system-x86_64"
copy "$STRACE" "$OUT/strace"
chmod 755 "$OUT/qemu-system-x86_64" "$OUT/strace"
libs=$( { ldd "$QEMU"; ldd "$STRACE"; } |
	awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | sort -u)
n=0
for l in $libs; do
	copy "$l" "$OUT/lib/$(basename "$l")"
	n=$((n + 1))
done
[ -f "$OUT/lib/ld-linux-x86-64.so.2" ] ||
	{ echo "prepare.sh: ldd listed no ld-linux-x86-64.so.2" >&2; exit 1; }
chmod 755 "$OUT/lib/ld-linux-x86-64.so.2"

# --------------------------------------------------------------- firmware --
# Found with `strace -e openat` on -M pc -nic none -vga none -kernel: the
# BIOS, the vapic option ROM and the linuxboot DMA ROM; the others are
# cheap spares. QEMU searches -L first.
fw=0
for f in bios-256k.bin linuxboot_dma.bin linuxboot.bin kvmvapic.bin multiboot_dma.bin pvh.bin; do
	src=
	for d in /usr/share/qemu /usr/share/seabios; do
		if [ -e "$d/$f" ]; then src=$d/$f; break; fi
	done
	if [ -z "$src" ]; then
		say "warning: firmware $f not found"
		continue
	fi
	copy "$src" "$OUT/fw/$f"
	fw=$((fw + 1))
done
[ -f "$OUT/fw/bios-256k.bin" ] || { echo "prepare.sh: bios-256k.bin missing" >&2; exit 1; }

# ------------------------------------------------- nested kernel + initrd --
# its LZ4 re-wrap when there is one (tools/testvm/lz4kernel.sh; the same
# kernel): the nested guest runs its decompressor at Bochs speed too
z=$(bash "$ROOT/tools/testvm/lz4kernel.sh" "$VMLINUZ" "$kver") || z=$VMLINUZ
copy "$z" "$OUT/vmlinuz"
copy "$HERE/transcript.awk" "$OUT/transcript.awk"
copy "$HERE/ioctls.awk" "$OUT/ioctls.awk"
nrfs=$(mktemp -d)
trap 'rm -rf "$nrfs"' EXIT
mkdir -p "$nrfs"/bin "$nrfs"/dev "$nrfs"/proc "$nrfs"/sys "$nrfs"/tmp
cp "$BUSYBOX" "$nrfs/bin/busybox"
install -m 755 "$HERE/nested-init" "$nrfs/init"
# klogout: /init's log writer for QEMU_KLOG=shm (freestanding, no libc)
gcc -Os -Wall -Wextra -static -nostdlib -fno-stack-protector -fno-pie -no-pie \
	-fno-asynchronous-unwind-tables -o "$nrfs/bin/klogout" "$HERE/klogout.c"
# The virtio console the nested /init writes the kernel's log to with
# QEMU_KLOG=hvc (suite.sh, NESTED_APPEND): modules in Debian's 6.1 kernel, built in from 6.12.  In
# the order insmod needs them; compressed ones unpacked (busybox insmod
# takes plain .ko files).
mkdir -p "$nrfs/lib/modules"
nmod=0
for m in virtio/virtio_ring virtio/virtio virtio/virtio_pci_modern_dev \
	virtio/virtio_pci_legacy_dev virtio/virtio_pci char/virtio_console; do
	b=/lib/modules/$kver/kernel/drivers/$m.ko
	dst=$nrfs/lib/modules/$(basename "$m").ko
	if [ -f "$b" ]; then
		cp "$b" "$dst"
	elif [ -f "$b.xz" ]; then
		xz -dc "$b.xz" >"$dst"
	elif [ -f "$b.zst" ]; then
		zstd -qdc "$b.zst" >"$dst"
	else
		continue
	fi
	nmod=$((nmod + 1))
done
say "nested initramfs: $nmod virtio console modules of $kver"
(cd "$nrfs" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) >"$OUT/small.cpio.tmp"
if cmp -s "$OUT/small.cpio.tmp" "$OUT/small.cpio" 2>/dev/null; then
	rm -f "$OUT/small.cpio.tmp"
else
	mv -f "$OUT/small.cpio.tmp" "$OUT/small.cpio"
fi
rm -f "$OUT/small.cpio.gz"

# ------------------------------------------ ioctl-log.so (LD_PRELOAD) --
# Names of KVM's ioctls and capabilities from the system's <linux/kvm.h>.
KVMH=/usr/include/linux/kvm.h
[ -f "$KVMH" ] || { echo "prepare.sh: $KVMH missing (linux-libc-dev)" >&2; exit 1; }
gen=$nrfs/gen
mkdir -p "$gen"
{
	echo "/* generated by selftests/vtx/qemu/prepare.sh from $KVMH */"
	echo "static const struct name ioctl_names[] = {"
	# (the other architectures' ioctls use structs x86 does not define)
	# (continuation lines joined first: some definitions span two)
	sed -e ':a' -e '/\\$/N; s/\\\n//; ta' "$KVMH" |
		sed -n 's/^#define \(KVM_[A-Z0-9_]*\)[[:space:]]*_IO[RW]*(.*/\1/p' |
		grep -Ev '^KVM_(ARM|PPC|S390|RISCV|MIPS|XEN|SEV|TDX|CREATE_SPAPR|ALLOCATE_RMA)' |
		sed 's/.*/\t{ &, "&" },/'
	echo "};"
	echo "static const struct name cap_names[] = {"
	sed -n 's/^#define \(KVM_CAP_[A-Z0-9_]*\)[[:space:]]*[0-9][0-9]*.*/\t{ \1, "\1" },/p' "$KVMH"
	echo "};"
} >"$gen/ioctl-names.h"
gcc -O2 -Wall -shared -fPIC -I"$gen" -o "$OUT/ioctl-log.so.tmp" "$HERE/ioctl-log.c" -ldl
mv -f "$OUT/ioctl-log.so.tmp" "$OUT/ioctl-log.so"

ver() { dpkg-query -W -f='${Version}' "$1" 2>/dev/null || echo '?'; }
{
	echo "qemu-system-x86 $(ver qemu-system-x86)"
	echo "strace $(ver strace)"
	echo "busybox-static $(ver busybox-static)"
	echo "kernel $kver"
} >"$OUT/VERSIONS"
size=$(du -sh "$OUT" | awk '{print $1}')
say "$OUT: qemu $(ver qemu-system-x86), strace, $n libs, $fw firmware files, kernel $kver ($size)"
exit 0
}
