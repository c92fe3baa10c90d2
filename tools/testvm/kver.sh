#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# kver.sh - print the Debian kernel version the project builds and tests
# against: the newest /usr/src/linux-headers-*-amd64 that also has
# /boot/vmlinuz-<ver>; else the newest headers; else nothing.
set -eu
best=
any=
# shellcheck disable=SC2012
for d in $(ls -d /usr/src/linux-headers-*-amd64 2>/dev/null | sort -V); do
	v=${d#/usr/src/linux-headers-}
	any=$v
	[ -f "/boot/vmlinuz-$v" ] && best=$v
done
echo "${best:-$any}"
