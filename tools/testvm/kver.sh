#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kver.sh - print the Debian kernel version the project builds and tests
# against: the newest /usr/src/linux-headers-*-amd64 that also has
# /boot/vmlinuz-<ver>; else the newest headers; else nothing.
#
# kver.sh SERIES (e.g. 6.1, 6.12, 7.3, or a full version): the newest
# kernel of that series the project has, on this host or unpacked by
# tools/testvm/debian13.sh under build/debian13/ (Debian 13's kernels).
set -eu
if [ "$#" -gt 0 ]; then
	root=$(cd "$(dirname "$0")/../.." && pwd)
	{
		# shellcheck disable=SC2012
		ls /boot 2>/dev/null | sed -n 's/^vmlinuz-//p'
		cat "$root/build/debian13/ready" 2>/dev/null || :
	} | awk -v s="$1" '$0 == s || index($0, s ".") == 1 || index($0, s "-") == 1' |
		sort -V | tail -n 1
	exit 0
fi
best=
any=
# shellcheck disable=SC2012
for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V); do
	v=${d#/usr/src/linux-headers-}
	any=$v
	[ -f "/boot/vmlinuz-$v" ] && best=$v
done
echo "${best:-$any}"
