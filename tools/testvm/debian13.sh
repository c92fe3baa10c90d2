#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# debian13.sh - the other Debian kernels vtx supports, cached under
# build/debian13/ (made by `make kernels`, which `make check` depends on).
#
#   tools/testvm/debian13.sh setup        # idempotent; seconds when cached
#   tools/testvm/debian13.sh list         # kernel versions it provides
#   tools/testvm/debian13.sh build KVER   # vtx.ko for KVER -> build/kernels/KVER/vtx.ko
#   tools/testvm/debian13.sh dkms KVER [OUT]  # dkms build of vtx for KVER in a staged
#                                         # tree (this host's kernels too); its vtx.ko
#                                         # copied to OUT when given
#
# setup makes a Debian 13 (trixie) chroot with debootstrap (build/debian13/root):
# the build tools of a 6.12 or newer headers package need trixie's glibc, so
# the module for those kernels is built inside it. It installs there the
# headers of trixie's kernel (6.12) and of the newest kernel in
# trixie-backports, and unpacks both kernels' image packages (vmlinuz and
# modules, kvm_intel included) into build/debian13/kernels/ for the test VM
# (tools/testvm/run.sh --kver). Every network step is bounded by a timeout;
# a failed setup leaves no stamp, the next run starts over.
# Environment: DEBIAN_MIRROR (default http://deb.debian.org/debian),
# VTX_DEBIAN13_DIR (default build/debian13; e.g. to time a cold setup).
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SELF=$ROOT/tools/testvm/debian13.sh
D13=${VTX_DEBIAN13_DIR:-$ROOT/build/debian13}
CH=$D13/root
KERNELS=$D13/kernels
STAMP=$D13/ready
MIRROR=${DEBIAN_MIRROR:-http://deb.debian.org/debian}
say() { printf '[debian13] %s\n' "$*"; }
die() { printf '[debian13] error: %s\n' "$*" >&2; exit 1; }

# inchroot CMD...: run in the chroot (proc is not needed by apt or kbuild)
inchroot() {
	exec_in "$@"
}
exec_in() {
	env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin HOME=/root LC_ALL=C \
		DEBIAN_FRONTEND=noninteractive chroot "$CH" "$@"
}

# The versioned package a trixie(-backports) metapackage points to.
meta_target() { # SUITE METAPKG PREFIX
	local ver
	ver=$(inchroot apt-cache -t "$1" policy "$2" | awk '/Candidate:/ { print $2 }')
	[ -n "$ver" ] && [ "$ver" != "(none)" ] || return 0
	inchroot apt-cache show "$2=$ver" | sed -n 's/^Depends: //p' | head -n 1 |
		grep -o "$3[^ ,]*" | head -n 1
}

setup() {
	local t0=$SECONDS hdr6 hdr7 k v deb
	if [ -f "$STAMP" ]; then
		say "cached: $(tr '\n' ' ' <"$STAMP")"
		return 0
	fi
	[ "$(id -u)" = 0 ] || die "needs root (debootstrap, chroot)"
	command -v debootstrap >/dev/null || die "debootstrap missing (make deps)"
	mkdir -p "$D13"
	rm -rf "$CH.tmp" "$KERNELS"
	# a finished debootstrap is kept (renamed into place only when done)
	if [ ! -d "$CH" ]; then
		say "debootstrap --variant=minbase trixie ($MIRROR), ~2 min"
		timeout 1200 debootstrap --variant=minbase trixie "$CH.tmp" "$MIRROR" \
			>"$D13/debootstrap.log" 2>&1 ||
			{ tail -n 20 "$D13/debootstrap.log"; die "debootstrap failed (log: $D13/debootstrap.log)"; }
		mv "$CH.tmp" "$CH"
	fi
	cat >"$CH/etc/apt/sources.list" <<EOF
deb $MIRROR trixie main
deb $MIRROR trixie-backports main
EOF
	cp /etc/resolv.conf "$CH/etc/resolv.conf" 2>/dev/null || :
	# no initramfs or bootloader runs in here: images are only unpacked
	say "apt-get update + build tools and headers, ~4 min"
	timeout 600 bash "$SELF" exec apt-get update >"$D13/apt.log" 2>&1 ||
		die "apt-get update failed (log: $D13/apt.log)"
	hdr6=$(meta_target trixie linux-headers-amd64 'linux-headers-[0-9]')
	hdr7=$(meta_target trixie-backports linux-headers-amd64 'linux-headers-[0-9]')
	if [ -z "$hdr6" ] || [ -z "$hdr7" ]; then
		die "no linux-headers-amd64 in trixie / trixie-backports"
	fi
	say "kernels: ${hdr6#linux-headers-} (trixie), ${hdr7#linux-headers-} (trixie-backports)"
	timeout 1800 bash "$SELF" exec apt-get install -y --no-install-recommends \
		make gcc libc6-dev xz-utils kmod dkms "$hdr6" >>"$D13/apt.log" 2>&1 ||
		die "apt-get install failed (log: $D13/apt.log)"
	timeout 1800 bash "$SELF" exec apt-get install -y --no-install-recommends \
		-t trixie-backports "$hdr7" >>"$D13/apt.log" 2>&1 ||
		die "apt-get install $hdr7 failed (log: $D13/apt.log)"
	mkdir -p "$KERNELS" "$CH/tmp/debs"
	for k in "${hdr6#linux-headers-}" "${hdr7#linux-headers-}"; do
		# 6.12: one package; 7.x: linux-image-K depends on linux-binary-K
		# (vmlinuz) and linux-modules-K
		pkgs="linux-image-$k $(bash "$SELF" exec apt-cache show -t trixie-backports \
			"linux-image-$k" | sed -n 's/^Depends: //p' | head -n 1 |
			{ grep -o "linux-\(binary\|modules\)-$k\b" || :; } | sort -u | tr '\n' ' ')"
		say "unpacking $pkgs(vmlinuz, modules)"
		rm -f "$CH"/tmp/debs/*.deb
		(timeout 900 bash "$SELF" exec sh -c \
			"cd /tmp/debs && apt-get download -t trixie-backports $pkgs ||
			 apt-get download $pkgs") >>"$D13/apt.log" 2>&1 ||
			die "apt-get download $pkgs failed (log: $D13/apt.log)"
		for deb in "$CH"/tmp/debs/*.deb; do
			dpkg-deb -x "$deb" "$KERNELS"
		done
		# merged /usr: modules in usr/lib/modules; 7.x: vmlinuz there too
		[ -e "$KERNELS/lib" ] || ln -s usr/lib "$KERNELS/lib"
		if [ ! -f "$KERNELS/boot/vmlinuz-$k" ] && [ -f "$KERNELS/lib/modules/$k/vmlinuz" ]; then
			mkdir -p "$KERNELS/boot"
			ln -s "../lib/modules/$k/vmlinuz" "$KERNELS/boot/vmlinuz-$k"
		fi
		[ -f "$KERNELS/boot/vmlinuz-$k" ] || die "no vmlinuz-$k in $pkgs"
		[ -f "$KERNELS/lib/modules/$k/kernel/arch/x86/kvm/kvm-intel.ko.xz" ] ||
			[ -f "$KERNELS/lib/modules/$k/kernel/arch/x86/kvm/kvm-intel.ko" ] ||
			die "no kvm-intel.ko in $pkgs"
	done
	rm -rf "$CH/tmp/debs" "$CH"/var/cache/apt/archives/*.deb
	for v in "${hdr6#linux-headers-}" "${hdr7#linux-headers-}"; do
		echo "$v"
	done >"$STAMP"
	say "ready after $((SECONDS - t0)) s: $(tr '\n' ' ' <"$STAMP")"
}

list() {
	[ -f "$STAMP" ] && cat "$STAMP"
	return 0
}

# objtool (7.x) reads /proc: mounted for a build, unmounted after it.
with_proc() {
	local r=0 m=0
	if ! mountpoint -q "$CH/proc"; then
		mount -t proc proc "$CH/proc"
		m=1
		# also when interrupted: make clean must not walk into it
		trap 'umount "$CH/proc" 2>/dev/null' EXIT
		trap 'exit 130' INT TERM
	fi
	"$@" || r=$?
	if [ "$m" = 1 ]; then
		umount "$CH/proc" || :
		trap - EXIT INT TERM
	fi
	return "$r"
}

# The module's sources, copied into the chroot (no bind mount needed).
copy_src() { # DIR
	rm -rf "$1"
	mkdir -p "$1"
	cp -a "$ROOT/Kbuild" "$ROOT/dkms.conf" "$ROOT/module" "$ROOT/uapi" "$1/"
	rm -f "$1"/module/*.o "$1"/module/.*.cmd "$1"/module/vtx-asm-offsets.h \
		"$1"/module/asm-offsets.s
}

# The chroot (build/debian13) may be shared by several checkouts (git
# worktrees link it): each one's work directories in it carry a tag of its
# path, so that two checkouts' builds for one kernel never share a tree.
TAG=$(printf '%s' "$ROOT" | cksum | cut -d' ' -f1)

build() { # KVER
	local k="$1" src=/build/vtx-$TAG-$1 out=$ROOT/build/kernels/$1
	[ -f "$STAMP" ] || die "run '$0 setup' first"
	[ -d "$CH/usr/src/linux-headers-$k" ] || die "no headers for $k in $CH"
	copy_src "$CH$src"
	mkdir -p "$out"
	with_proc inchroot make -C "/usr/src/linux-headers-$k" M="$src" modules
	cp "$CH$src/vtx.ko" "$out/vtx.ko"
	say "built ${out#"$ROOT"/}/vtx.ko"
}

# dkms add + build into a staged tree (--dkmstree/--sourcetree), as a
# package would on a system running KVER; nothing is installed.  A kernel
# with headers on this host is built here, a Debian 13 one in the chroot.
dkms_build() { # KVER [OUT]
	local k="$1" out="${2:-}" st ver top run=() ko
	ver=$(sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' "$ROOT/dkms.conf")
	if [ -d "/usr/src/linux-headers-$k" ]; then
		top=$ROOT/build/dkms-stage st=$top
	else
		[ -f "$STAMP" ] || die "run '$0 setup' first"
		st=/build/dkms-stage-$TAG-$k top=$CH$st run=(with_proc inchroot)
	fi
	command -v dkms >/dev/null || [ "${#run[@]}" -gt 0 ] || die "dkms missing (make deps)"
	rm -rf "${top:?}"
	copy_src "$top/src/vtx-$ver"
	mkdir -p "$top/tree"
	"${run[@]}" dkms add --dkmstree "$st/tree" --sourcetree "$st/src" "vtx/$ver" >/dev/null
	# unsigned: no MOK key is made (sign_file names no program)
	if ! "${run[@]}" env sign_file="$st/unsigned" dkms build --dkmstree "$st/tree" --sourcetree "$st/src" \
		-k "$k" --kernelsourcedir "/usr/src/linux-headers-$k" "vtx/$ver"; then
		cat "$top/tree/vtx/$ver/build/make.log" 2>/dev/null
		die "dkms build vtx/$ver for $k failed"
	fi
	ko=$top/tree/vtx/$ver/$k/x86_64/module/vtx.ko
	ls "$ko"* >/dev/null || die "dkms build vtx/$ver for $k: no vtx.ko"
	say "dkms build vtx/$ver for $k: ok"
	if [ -n "$out" ]; then
		# dkms strips debug information (symbols stay) and compresses
		# as the kernel's own modules are (Debian 13's: xz)
		mkdir -p "$(dirname "$out")"
		if [ -f "$ko" ]; then
			cp "$ko" "$out"
		elif [ -f "$ko.xz" ]; then
			xz -dc "$ko.xz" >"$out"
		else
			die "dkms build vtx/$ver for $k: no vtx.ko or vtx.ko.xz ($(ls "$ko"*))"
		fi
		say "vtx.ko copied to $out"
	fi
}

case "${1:-}" in
setup) setup ;;
exec) shift; exec_in "$@" ;;
list) list ;;
build) build "${2:?kernel version}" ;;
dkms) dkms_build "${2:?kernel version}" "${3:-}" ;;
*) sed -n '4,10p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; exit 2 ;;
esac
exit
}
