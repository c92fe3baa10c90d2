#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# linux-prepare.sh OUTDIR INIT - the Linux guest of the vtxctl suite's
# linux-* tests, into OUTDIR (build/selftests/vtxctl/, /tests in the test VM):
#
#   OUTDIR/linux-vmlinuz          the Debian kernel the test VM boots (its
#                                 LZ4 re-wrap when tools/testvm/lz4kernel.sh
#                                 makes one, as the qemu suite's: the
#                                 decompressor runs at Bochs speed)
#   OUTDIR/linux-init.cpio.gz     an initramfs of one static program, INIT
#                                 as /init, and the empty /dev, /proc, /sys;
#                                 in /lib/vtx the kernel's virtio, virtio_ring,
#                                 virtio_mmio, virtio_pci (and its
#                                 virtio_pci_{modern,legacy}_dev), virtio_blk
#                                 and virtio-rng modules, virtio_net with
#                                 failover and net_failover, ext4 with
#                                 crc16, mbcache, jbd2, crc32c_generic,
#                                 virtio_console (--console virtio's hvc0), and
#                                 vtxctl_mmio_devs.ko (built here
#                                 from mmio-devs/ against the kernel's headers)
#   OUTDIR/linux-shell.cpio.gz    that initramfs and a second archive after it
#                                 (the kernel unpacks both): /bin/busybox (the
#                                 host's busybox-static, the shell /init runs
#                                 on hvc0) with the links sh, cat, md5sum,
#                                 uname, nproc, echo; only the boot with the
#                                 shell pays for unpacking its 1 MB
#   OUTDIR/linux-ext4.img         the ext4 test's disk: an 8 MiB ext4 made
#                                 by mke2fs (e2fsprogs), a root file system
#                                 (mke2fs -d): INIT as /sbin/init (its
#                                 "ext4-root" mode), the empty /dev, /proc,
#                                 /sys; the reboot boots with it as /
#   OUTDIR/hostmods/              the test VM's own modules for the
#                                 virtio-net tests, in load order (NN-name.ko):
#                                 tun, tap, vhost_iotlb, vhost, vhost_net
#   OUTDIR/linux-disk.img         the virtio-blk tests' disk: 256 KiB of
#                                 random bytes, and its POSIX cksum in
#                                 linux-disk.cksum
#   OUTDIR/linux-disk-after.img   that disk after the guest's write (the
#                                 block linux-init.c writes at 64 KiB)
#
# The kernel is chosen as tools/testvm/run.sh chooses the test VM's: vtx.ko's
# vermagic if that kernel is installed, else tools/testvm/kver.sh.
set -euo pipefail
OUT=${1:?usage: linux-prepare.sh OUTDIR INIT}
INIT=${2:?usage: linux-prepare.sh OUTDIR INIT}
HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
ROOT=$(cd "$HERE/../../.." && pwd)

kver=
if [ -f "$ROOT/vtx.ko" ] && command -v modinfo >/dev/null 2>&1; then
	v=$(modinfo -F vermagic "$ROOT/vtx.ko" 2>/dev/null | awk '{print $1}') || v=
	if [ -n "$v" ] && [ -f "/boot/vmlinuz-$v" ]; then kver=$v; fi
fi
[ -n "$kver" ] || kver=$(sh "$ROOT/tools/testvm/kver.sh")
vmlinuz=/boot/vmlinuz-$kver
if [ -z "$kver" ] || [ ! -r "$vmlinuz" ]; then
	echo "linux-prepare.sh: no /boot/vmlinuz-<kver>" >&2
	exit 1
fi
z=$(bash "$ROOT/tools/testvm/lz4kernel.sh" "$vmlinuz" "$kver") || z=$vmlinuz
if ! cmp -s "$z" "$OUT/linux-vmlinuz" 2>/dev/null; then
	cp -L "$z" "$OUT/linux-vmlinuz.tmp"
	mv -f "$OUT/linux-vmlinuz.tmp" "$OUT/linux-vmlinuz"
fi

rfs=$(mktemp -d)
kb=$(mktemp -d)
trap 'rm -rf "$rfs" "$kb"' EXIT
mkdir -p "$rfs/dev" "$rfs/proc" "$rfs/sys" "$rfs/lib/vtx"
install -m 755 "$INIT" "$rfs/init"

# The virtio modules of the guest kernel (the test VM's own).
mods=/lib/modules/$kver/kernel
for m in drivers/virtio/virtio drivers/virtio/virtio_ring drivers/virtio/virtio_mmio \
	drivers/virtio/virtio_pci_modern_dev drivers/virtio/virtio_pci_legacy_dev \
	drivers/virtio/virtio_pci drivers/block/virtio_blk drivers/char/hw_random/virtio-rng \
	net/core/failover drivers/net/net_failover drivers/net/virtio_net \
	lib/crc16 fs/mbcache fs/jbd2/jbd2 crypto/crc32c_generic fs/ext4/ext4 \
	drivers/char/virtio_console; do
	b=$(basename "$m")
	if [ -f "$mods/$m.ko" ]; then
		cp "$mods/$m.ko" "$rfs/lib/vtx/$b.ko"
	elif [ -f "$mods/$m.ko.xz" ]; then
		xz -dc "$mods/$m.ko.xz" >"$rfs/lib/vtx/$b.ko"
	else
		echo "linux-prepare.sh: warning: no $m.ko for $kver (built in?)" >&2
	fi
done
# The test VM's side: /dev/net/tun and /dev/vhost-net (the same kernel).
rm -rf "$OUT/hostmods"
mkdir -p "$OUT/hostmods"
i=0
for m in drivers/net/tun drivers/net/tap drivers/vhost/vhost_iotlb drivers/vhost/vhost \
	drivers/vhost/vhost_net; do
	i=$((i + 1))
	b=$i-$(basename "$m").ko
	if [ -f "$mods/$m.ko" ]; then
		cp "$mods/$m.ko" "$OUT/hostmods/$b"
	elif [ -f "$mods/$m.ko.xz" ]; then
		xz -dc "$mods/$m.ko.xz" >"$OUT/hostmods/$b"
	else
		echo "linux-prepare.sh: warning: no $m.ko for $kver (built in?)" >&2
	fi
done
if [ -d "/lib/modules/$kver/build" ]; then
	cp "$HERE/mmio-devs/Kbuild" "$HERE/mmio-devs/vtxctl_mmio_devs.c" "$kb/"
	make -s -C "/lib/modules/$kver/build" M="$kb" modules >"$kb/log" 2>&1 ||
		{ cat "$kb/log" >&2; exit 1; }
	cp "$kb/vtxctl_mmio_devs.ko" "$rfs/lib/vtx/"
else
	echo "linux-prepare.sh: warning: no headers for $kver: no vtxctl_mmio_devs.ko" >&2
fi

# The ext4 test's disk, made fresh (the suite copies it before each run):
# the reboot's root, with INIT as its /sbin/init (the initramfs execs it
# after the switch to that root)
if command -v mke2fs >/dev/null 2>&1 || [ -x /sbin/mke2fs ]; then
	rm -f "$OUT/linux-ext4.img"
	e4=$kb/ext4root
	mkdir -p "$e4/sbin" "$e4/dev" "$e4/proc" "$e4/sys"
	install -m 755 "$INIT" "$e4/sbin/init"
	PATH=$PATH:/sbin:/usr/sbin mke2fs -q -F -t ext4 -L vtxctl -E root_owner=0:0 \
		-d "$e4" "$OUT/linux-ext4.img" 8M >/dev/null
else
	echo "linux-prepare.sh: warning: no mke2fs (e2fsprogs): no linux-ext4.img" >&2
fi

# The disk: random, made once (the suite compares the guest's cksum with it).
if [ ! -s "$OUT/linux-disk.img" ]; then
	head -c 262144 /dev/urandom >"$OUT/linux-disk.img.tmp"
	mv -f "$OUT/linux-disk.img.tmp" "$OUT/linux-disk.img"
fi
cksum <"$OUT/linux-disk.img" | awk '{ print $1 }' >"$OUT/linux-disk.cksum"
cp "$OUT/linux-disk.img" "$OUT/linux-disk-after.img"
awk 'BEGIN { for (i = 0; i < 128; i++) printf "vtxctl virtio-blk block 0123456\n" }' |
	dd of="$OUT/linux-disk-after.img" bs=4096 seek=16 conv=notrunc status=none
(cd "$rfs" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n >"$OUT/linux-init.cpio.gz.tmp"
mv -f "$OUT/linux-init.cpio.gz.tmp" "$OUT/linux-init.cpio.gz"

# The shell of the --console virtio test (a static busybox: no libc here)
bb=${BUSYBOX:-/bin/busybox}
sfs=$rfs/shell
mkdir -p "$sfs/bin"
if [ -x "$bb" ] && file -L "$bb" 2>/dev/null | grep -q 'statically linked'; then
	install -m 755 "$bb" "$sfs/bin/busybox"
	for a in sh cat md5sum uname nproc echo; do
		ln -s busybox "$sfs/bin/$a"
	done
else
	echo "linux-prepare.sh: warning: no static $bb (busybox-static): no shell on hvc0" >&2
fi
cp "$OUT/linux-init.cpio.gz" "$OUT/linux-shell.cpio.gz.tmp"
(cd "$sfs" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n >>"$OUT/linux-shell.cpio.gz.tmp"
mv -f "$OUT/linux-shell.cpio.gz.tmp" "$OUT/linux-shell.cpio.gz"
