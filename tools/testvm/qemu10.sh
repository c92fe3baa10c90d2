#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# qemu10.sh - Debian 13's QEMU (10.x) for the test VM, whose userland is
# busybox without a libc: the "qemu10" suite (selftests/vtx/qemu10).
#
#   tools/testvm/qemu10.sh setup         # fetch + unpack, cached in build/qemu10/
#   tools/testvm/qemu10.sh tree OUTDIR   # setup, then fill OUTDIR (= /tests)
#
# setup downloads, in the Debian 13 chroot of tools/testvm/debian13.sh (its
# apt lists; nothing is installed there), qemu-system-x86 from trixie and
# every package of its dependencies the chroot does not have installed
# (apt-get install --download-only into a directory of ours), unpacks them
# into build/qemu10/root/ and picks, with trixie's own loader
# (ld-linux-x86-64.so.2 --list), the libraries the binary loads: from the
# unpacked packages first, else from the chroot (libc, zlib, ... which it
# has installed). Only those, stripped, go into build/qemu10/tree/lib/,
# with trixie's loader; the firmware QEMU opens for the suite's command
# (strace -e openat of a TCG boot: SeaBIOS's bios-256k.bin, linuxboot_dma.bin,
# kvmvapic.bin) into tree/fw/. The binary stays Debian's, unmodified.
#
# tree OUTDIR adds what the qemu suite prepared for QEMU 7.2 and uses the
# same way (build/selftests/qemu: the nested kernel and initramfs, the awk
# scripts, ioctl-log.so; make -C selftests/vtx/qemu first) and writes
# OUTDIR/VERSIONS. In the test VM the suite's qemu_setup links
# /lib64/ld-linux-x86-64.so.2 to OUTDIR/lib's loader (trixie's: the test VM
# has no other) and sets LD_LIBRARY_PATH=OUTDIR/lib. No strace: its
# Debian 12 libraries are not there (QEMU_STRACE does not work in qemu10).
# Every network step is bounded by a timeout; a failed setup leaves no
# stamp. Environment: VTX_QEMU10_DIR (default build/qemu10).
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
D13SH=$ROOT/tools/testvm/debian13.sh
CH=$ROOT/build/debian13/root
Q10=${VTX_QEMU10_DIR:-$ROOT/build/qemu10}
STAMP=$Q10/ready
# the package and the suite it comes from (trixie: QEMU 10.0.x;
# trixie-backports has 11.x)
PKG=qemu-system-x86
SUITE=trixie
# what QEMU opens with -M pc -vga none -nic none -kernel (strace -e openat)
FIRMWARE="bios-256k.bin linuxboot_dma.bin kvmvapic.bin"
LIBDIR=usr/lib/x86_64-linux-gnu
LDSO=ld-linux-x86-64.so.2
say() { printf '[qemu10] %s\n' "$*"; }
die() { printf '[qemu10] error: %s\n' "$*" >&2; exit 1; }

# find_in_root ROOT PATH: PATH inside ROOT, its symlinks resolved inside
# ROOT too (absolute links in a package point into its own root)
find_in_root() {
	local r="$1" p="$2" l n=0
	while [ -L "$r/$p" ] && [ "$n" -lt 10 ]; do
		l=$(readlink "$r/$p")
		case "$l" in
		/*) p=${l#/} ;;
		*) p=$(dirname "$p")/$l ;;
		esac
		n=$((n + 1))
	done
	[ -f "$r/$p" ] && echo "$r/$p"
}

download() { # DIR-IN-CHROOT
	local d="$1"
	timeout 900 bash "$D13SH" exec sh -c "rm -rf $d && mkdir -p $d/partial &&
		apt-get install -y -q --download-only --no-install-recommends \
			-o Dir::Cache::archives=$d $PKG/$SUITE &&
		cd $d && for p in $PKG qemu-system-data seabios; do
			ls \${p}_*.deb >/dev/null 2>&1 || apt-get download -q \$p/$SUITE || exit 1
		done"
}

# the version of a downloaded package
ver() {
	local f
	for f in "$Q10/debs/$1"_*.deb; do
		dpkg-deb -f "$f" Version
		return
	done
}

setup() {
	local t0=$SECONDS d=/tmp/qemu10-debs deb bin libpath lib n=0 f src
	if [ -f "$STAMP" ]; then
		say "cached: $(head -n 1 "$STAMP")"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "needs root (chroot)"
	bash "$D13SH" setup >/dev/null || die "no Debian 13 chroot (tools/testvm/debian13.sh setup)"
	rm -rf "$Q10"
	mkdir -p "$Q10"
	say "downloading $PKG/$SUITE and the dependencies the chroot lacks"
	if ! download "$d" >"$Q10/apt.log" 2>&1; then
		# stale lists (a point release replaced the version): once more
		say "download failed; apt-get update in the chroot and again"
		timeout 600 bash "$D13SH" exec apt-get update >>"$Q10/apt.log" 2>&1 ||
			die "apt-get update failed (log: $Q10/apt.log)"
		download "$d" >>"$Q10/apt.log" 2>&1 ||
			die "download failed (log: $Q10/apt.log)"
	fi
	mkdir -p "$Q10/debs" "$Q10/root"
	mv "$CH$d"/*.deb "$Q10/debs/"
	rm -rf "${CH:?}$d"
	for deb in "$Q10"/debs/*.deb; do
		dpkg-deb -x "$deb" "$Q10/root"
	done
	bin=$Q10/root/usr/bin/qemu-system-x86_64
	[ -x "$bin" ] || die "no qemu-system-x86_64 in $Q10/debs"
	[ -x "$CH/$LIBDIR/$LDSO" ] || die "no $LDSO in the chroot"

	# the libraries, resolved by trixie's loader: the packages first
	mkdir -p "$Q10/tree.tmp/lib" "$Q10/tree.tmp/fw"
	libpath=$Q10/root/$LIBDIR:$Q10/root/lib/x86_64-linux-gnu:$CH/$LIBDIR
	"$CH/$LIBDIR/$LDSO" --library-path "$libpath" --list "$bin" >"$Q10/libs.txt" ||
		die "$LDSO --list $bin failed"
	if grep -q 'not found' "$Q10/libs.txt"; then
		grep 'not found' "$Q10/libs.txt" >&2
		die "libraries missing"
	fi
	while read -r lib; do
		case "$lib" in */$LDSO) continue ;; esac
		strip --strip-unneeded -o "$Q10/tree.tmp/lib/$(basename "$lib")" "$lib"
		n=$((n + 1))
	done < <(awk '$2 == "=>" && $3 ~ /^\// { print $3 }' "$Q10/libs.txt")
	# the loader as it is
	cp -L "$CH/$LIBDIR/$LDSO" "$Q10/tree.tmp/lib/$LDSO"
	chmod 755 "$Q10/tree.tmp/lib/$LDSO"
	cp "$bin" "$Q10/tree.tmp/qemu-system-x86_64"
	for f in $FIRMWARE; do
		src=$(find_in_root "$Q10/root" "usr/share/qemu/$f") ||
			src=$(find_in_root "$Q10/root" "usr/share/seabios/$f") ||
			die "firmware $f not in the packages"
		cp "$src" "$Q10/tree.tmp/fw/$f"
	done
	"$Q10/tree.tmp/lib/$LDSO" --library-path "$Q10/tree.tmp/lib" \
		"$Q10/tree.tmp/qemu-system-x86_64" --version >"$Q10/version.txt" ||
		die "the unpacked QEMU does not run with its own libraries"
	rm -rf "$Q10/tree"
	mv "$Q10/tree.tmp" "$Q10/tree"
	{
		head -n 1 "$Q10/version.txt"
		echo "$PKG $(ver "$PKG") ($SUITE)"
		echo "qemu-system-data $(ver qemu-system-data)"
		echo "seabios $(ver seabios)"
		echo "libc6 $(bash "$D13SH" exec dpkg-query -W -f='${Version}' libc6) (chroot)"
	} >"$STAMP"
	say "ready after $((SECONDS - t0)) s: $(head -n 1 "$STAMP"), $n libraries, $(du -sh "$Q10/tree" | cut -f1)"
}

tree() { # OUTDIR
	local out="$1" q7=$ROOT/build/selftests/qemu f
	setup
	for f in vmlinuz small.cpio transcript.awk ioctls.awk ioctl-log.so; do
		[ -f "$q7/$f" ] || die "$q7/$f missing (make -C selftests/vtx/qemu first)"
	done
	rm -rf "$out.tmp"
	mkdir -p "$out.tmp"
	cp -a "$Q10/tree/." "$out.tmp/"
	for f in vmlinuz small.cpio transcript.awk ioctls.awk ioctl-log.so; do
		cp "$q7/$f" "$out.tmp/$f"
	done
	# ioctl-log.so must load with trixie's libc too
	if "$out.tmp/lib/$LDSO" --library-path "$out.tmp/lib" --list "$out.tmp/ioctl-log.so" |
		grep -q 'not found'; then
		die "ioctl-log.so needs a library that is not in $out/lib"
	fi
	{
		cat "$STAMP"
		grep -v '^qemu-system-x86 \|^strace ' "$q7/VERSIONS"
	} >"$out.tmp/VERSIONS"
	rm -rf "$out"
	mv "$out.tmp" "$out"
	say "${out#"$ROOT"/}: $(head -n 1 "$STAMP"), $(find "$out/lib" -type f | wc -l) libraries, $(du -sh "$out" | cut -f1)"
}

case "${1:-}" in
setup) setup ;;
tree) tree "${2:?usage: qemu10.sh tree OUTDIR}" ;;
*) sed -n '4,9p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
exit
}
