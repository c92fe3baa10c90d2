#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# deps.sh - install the Debian packages vtx needs, only those missing
# (idempotent; `apt-get update` runs only when something must be installed).
# Used by `make deps`. Needs root, or sudo.
set -euo pipefail
# The body is one { } block: bash parses it whole before running it, so
# editing this file while a run is going on cannot break that run.
{

PKGS=(
	# build the module and the static userspace
	make gcc libc6-dev binutils pkg-config kmod
	linux-headers-amd64 libnl-3-dev libnl-genl-3-dev
	# the test VM: Bochs with VT-x, a Debian kernel + its kvm modules, the ISO
	bochs bochs-term bochsbios vgabios linux-image-amd64
	busybox-static isolinux syslinux-common xorriso cpio gzip xz-utils
	# its kernel re-wrapped with LZ4 (tools/testvm/lz4kernel.sh builds
	# arch/x86/boot of linux-source-6.1)
	lz4 flex bison bc libelf-dev libssl-dev
	# the qemu suite: Debian's QEMU in the test VM, strace for its records
	qemu-system-x86 strace
	# host checks: checkpatch.pl comes from the kernel source tarball
	linux-source-6.1 perl shellcheck
	# script(1) and timeout(1)
	bsdutils coreutils
	# Debian 13's kernels (tools/testvm/debian13.sh), the DKMS host check
	debootstrap dkms
)

missing=()
for p in "${PKGS[@]}"; do
	st=$(dpkg-query -W -f='${db:Status-Status}' "$p" 2>/dev/null) || st=
	[ "$st" = installed ] || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	echo "deps: all ${#PKGS[@]} packages installed"
	exit 0
fi

echo "deps: installing ${missing[*]}"
SUDO=()
if [ "$(id -u)" != 0 ]; then
	if command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo)
	else
		echo "deps: need root (or sudo) to install: ${missing[*]}" >&2
		exit 1
	fi
fi
export DEBIAN_FRONTEND=noninteractive
"${SUDO[@]}" apt-get update
"${SUDO[@]}" apt-get install -y --no-install-recommends "${missing[@]}"
exit
}
