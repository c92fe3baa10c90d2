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
#                                 as /init, and the empty /dev, /proc, /sys
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
trap 'rm -rf "$rfs"' EXIT
mkdir -p "$rfs/dev" "$rfs/proc" "$rfs/sys"
install -m 755 "$INIT" "$rfs/init"
(cd "$rfs" && find . -print0 | LC_ALL=C sort -z |
	cpio --null -o -H newc -R 0:0 --quiet) | gzip -9n >"$OUT/linux-init.cpio.gz.tmp"
mv -f "$OUT/linux-init.cpio.gz.tmp" "$OUT/linux-init.cpio.gz"
