#!/usr/bin/env bash
# SPDX-License-Identifier: GPL-2.0
#
# ksrc.sh - Debian's kernel source tarball, decompressed once.
#
#   tools/testvm/ksrc.sh [SERIES]     # prints the path of the .tar (6.1)
#
# The build takes files from /usr/src/linux-source-SERIES.tar.xz in about
# ten places (the kselftest harness of each suite, the KVM selftests, the
# LZ4 kernel's arch/x86/boot, checkpatch.pl, apicdef.h).  xz cannot seek:
# each of those tar runs decoded the whole 138 MB stream again, about 12 s
# of CPU apiece, most of a fresh build's serial start.  check.sh runs this
# first and exports KSRC_TAR (the suites' Makefiles take it; `tar -xf`
# reads either form), so the stream is decoded once and each extraction
# reads the 1.3 GB .tar from the page cache.  Cached in build/ksrc/, made
# again when the .tar.xz is newer; runs at the same time wait for each
# other (flock).  Exits 1 (the reason on stderr) if the tarball is missing
# or cannot be decoded.
set -euo pipefail
{

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
OUT=$ROOT/build/ksrc
series=${1:-6.1}
case "$series" in
[0-9]*.[0-9]*) ;;
*) echo "ksrc.sh: bad series '$series'" >&2; exit 2 ;;
esac
xzf=/usr/src/linux-source-$series.tar.xz
tarf=$OUT/linux-source-$series.tar
[ -r "$xzf" ] || { echo "ksrc.sh: $xzf missing (make deps)" >&2; exit 1; }
mkdir -p "$OUT"
exec 9>"$OUT/lock"
flock 9
if [ ! -f "$tarf" ] || [ "$xzf" -nt "$tarf" ]; then
	echo "ksrc.sh: decoding $xzf once into ${tarf#"$ROOT"/}" >&2
	if ! xz -dc "$xzf" >"$tarf.tmp"; then
		rm -f "$tarf.tmp"
		echo "ksrc.sh: xz -d of $xzf failed" >&2
		exit 1
	fi
	touch -r "$xzf" "$tarf.tmp"
	mv "$tarf.tmp" "$tarf"
fi
echo "$tarf"
exit
}
