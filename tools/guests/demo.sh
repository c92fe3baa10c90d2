#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# demo.sh - run each vtxctl guest and say PASS or FAIL.
#
#   demo.sh [--device PATH] [GUEST_DIR]
#
# VTXCTL names the vtxctl binary (default: vtxctl from $PATH); GUEST_DIR
# holds hello.bin and hello64.bin (default: this script's directory).  A
# guest passes when vtxctl exits 1: the guest wrote 0 to the exit port.
# Plain POSIX sh, so it also runs under busybox in the test VM.  Exits 0
# only if every guest passed.

VTXCTL=${VTXCTL:-vtxctl}
device=/dev/vtx
if [ "$1" = "--device" ]; then
	device=$2
	shift 2
fi
dir=${1:-$(dirname "$0")}

describe() {
	case $1 in
	0)	echo "guest executed HLT without writing to the exit port" ;;
	2)	echo "usage error" ;;
	4)	echo "setup failed" ;;
	6)	echo "KVM_EXIT_SHUTDOWN" ;;
	8)	echo "KVM_EXIT_FAIL_ENTRY" ;;
	10)	echo "KVM_EXIT_INTERNAL_ERROR" ;;
	12)	echo "unhandled exit reason" ;;
	14)	echo "KVM_RUN failed" ;;
	16)	echo "timeout" ;;
	130)	echo "interrupted" ;;
	*)	if [ $(($1 % 2)) -eq 1 ]; then
			echo "guest wrote $((($1 - 1) / 2)) to the exit port (failure)"
		else
			echo "unexpected status"
		fi ;;
	esac
}

failed=0
run_guest() {
	echo "== $VTXCTL run $dir/$1 --mode $2 --device $device"
	"$VTXCTL" run "$dir/$1" --mode "$2" --device "$device" --timeout 60
	st=$?
	if [ $st -eq 1 ]; then
		echo "PASS: $1 (exit status 1: the guest wrote 0 to port 0xf4)"
	else
		echo "FAIL: $1 (exit status $st: $(describe $st))"
		failed=$((failed + 1))
	fi
}

run_guest hello.bin real
run_guest hello64.bin long

if [ $failed -eq 0 ]; then
	echo "demo: all guests passed on $device"
	exit 0
fi
echo "demo: $failed guest(s) failed on $device"
exit 1
