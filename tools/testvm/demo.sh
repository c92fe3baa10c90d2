# SPDX-License-Identifier: GPL-2.0
# shellcheck shell=sh disable=SC3043
#
# demo.sh - the in-VM script of `make demo` (run by tools/testvm/run.sh
# with vmlib.sh loaded): load vtx, run the hello guest on /dev/vtx, then the
# same guest on upstream kvm_intel through /dev/kvm.
#
# A guest passes when vtxctl exits 1: it wrote 0 to the exit port 0xf4
# (isa-debug-exit semantics, see tools/guests/README.md).

VTXCTL=${VTXCTL:-vtxctl}

banner() {
	echo
	echo "=================================================================="
	echo "== $*"
	echo "=================================================================="
}

# guest DRIVER DEVICE IMAGE [vtxctl options...]
guest() {
	local drv="$1" dev="$2" img="$GUESTS_DIR/$3" name="${3%.bin}" rc
	shift 3
	echo "\$ $VTXCTL run $img --device $dev $*"
	if [ ! -f "$img" ]; then
		result "$drv" "$name" fail "$img missing (tools/guests not built?)"
		return 0
	fi
	if ! command -v "$VTXCTL" >/dev/null 2>&1; then
		result "$drv" "$name" fail "vtxctl missing (tools/vtxctl not built?)"
		return 0
	fi
	echo "@@RUN $drv $name"
	if timeout 300 "$VTXCTL" run "$img" --device "$dev" "$@"; then rc=0; else rc=$?; fi
	echo "--> vtxctl exit status $rc"
	case "$rc" in
	1) result "$drv" "$name" ok "guest wrote 0 to the exit port" ;;
	0) result "$drv" "$name" fail "guest halted without reporting a verdict" ;;
	124 | 143) result "$drv" "$name" fail "timeout" ;;
	*) result "$drv" "$name" fail "vtxctl exit status $rc (see vtxctl --help)" ;;
	esac
}

banner "vtx demo: Linux $(uname -r) in Bochs, emulated CPU has VMX: $(grep -qw vmx /proc/cpuinfo && echo yes || echo no)"

banner "1/3 load vtx.ko (our hypervisor, device /dev/vtx)"
if vtx_load; then
	ls -l /dev/vtx 2>/dev/null || :
	banner "2/3 run the guests on vtx (/dev/vtx)"
	guest vtx /dev/vtx hello.bin --mode real
	[ -f "$GUESTS_DIR/hello64.bin" ] && guest vtx /dev/vtx hello64.bin --mode long
	vtx_unload || :
else
	banner "2/3 skipped: vtx.ko did not load"
fi

banner "3/3 the same guests on upstream kvm_intel (/dev/kvm)"
if kvm_load; then
	guest kvm /dev/kvm hello.bin --mode real
	[ -f "$GUESTS_DIR/hello64.bin" ] && guest kvm /dev/kvm hello64.bin --mode long
	kvm_unload || :
fi
dmesg_check vm dmesg
banner "demo finished; the table below sums it up"
