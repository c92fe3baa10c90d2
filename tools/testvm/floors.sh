#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The module's three floors, calls going one way (Documentation/vtx/
# design.rst, "The three floors"):
#   module/core/  includes no <asm/vmx.h> and calls no vmcs_*();
#   module/core/ and module/x86/ include no header under module/vmx/;
# checked in the sources and, when the module was built, in the compiler's
# dependency files (which see includes through other headers too).
#
#   floors.sh [ROOT]        check ROOT (default: this checkout); exit 1 on
#                           a violation, listing each one
#   floors.sh --self-test   prove that each rule fails on a tree that
#                           breaks it (a copy of module/ with one
#                           violation planted at a time)
set -u

HERE=$(cd "$(dirname "$0")" && pwd)

# check ROOT: print every violation, return 1 if there is one.
check() {
	local root="$1" bad=0 f dep
	local core="$root/module/core" x86="$root/module/x86"

	if [ ! -d "$core" ] || [ ! -d "$x86" ]; then
		echo "floors: $root/module has no core/ and x86/" >&2
		return 1
	fi
	# 1. sources: core/ names no asm/vmx.h and no VMCS accessor
	while IFS= read -r f; do
		echo "floors: ${f#"$root"/}: core/ includes <asm/vmx.h>"
		bad=1
	done < <(grep -rlE '^[[:space:]]*#[[:space:]]*include[[:space:]]*<asm/vmx\.h>' \
		--include='*.[chS]' "$core")
	while IFS= read -r f; do
		echo "floors: $f: core/ calls a VMCS accessor"
		bad=1
	done < <(grep -rnE '\bvmcs_[a-z0-9_]*[[:space:]]*\(' --include='*.[chS]' "$core" |
		sed "s|^$root/||")
	# 2. sources: core/ and x86/ include nothing from vmx/
	while IFS= read -r f; do
		echo "floors: $f: includes a header of module/vmx/"
		bad=1
	done < <(grep -rnE '^[[:space:]]*#[[:space:]]*include[[:space:]]*"(\.\./)*vmx/' \
		--include='*.[chS]' "$core" "$x86" | sed "s|^$root/||")
	# 3. built objects: what the compiler actually read (transitively)
	for dep in "$core"/.*.o.cmd "$x86"/.*.o.cmd "$x86"/*/.*.o.cmd; do
		[ -f "$dep" ] || continue
		if grep -qE '(^|[[:space:]/])module/vmx/[^[:space:]]*\.h' "$dep"; then
			echo "floors: ${dep#"$root"/}: the object was built with a header of module/vmx/"
			bad=1
		fi
		case "$dep" in
		"$core"/*)
			if grep -qE 'asm/vmx\.h' "$dep"; then
				echo "floors: ${dep#"$root"/}: a core/ object was built with <asm/vmx.h>"
				bad=1
			fi ;;
		esac
	done
	return $bad
}

# Each rule must catch a planted violation, and the clean copy must pass.
self_test() {
	local tmp rc=0 name file line
	tmp=$(mktemp -d) || return 1
	trap 'rm -rf "$tmp"' RETURN
	for name in clean vmx-h vmcs-call vmx-header x86-vmx-header dep-file; do
		rm -rf "$tmp/t"
		mkdir -p "$tmp/t/module"
		(cd "$ROOT/module" && find core x86 -name '*.[chS]' -print0 |
			cpio -0pdm --quiet "$tmp/t/module")
		file="$tmp/t/module/core/vm.c"
		case $name in
		clean) line= ;;
		vmx-h) line='#include <asm/vmx.h>' ;;
		vmcs-call) line='static void f(void) { vmcs_write32(0, 0); }' ;;
		vmx-header) line='#include "vmx/vmx.h"' ;;
		x86-vmx-header) file="$tmp/t/module/x86/x86.c"
			line='#include "vmx/vmx.h"' ;;
		dep-file) file="$tmp/t/module/x86/.x86.o.cmd"
			line='  /work/module/vmx/vmx.h' ;;
		esac
		[ -n "$line" ] && echo "$line" >>"$file"
		if check "$tmp/t" >"$tmp/out" 2>&1; then
			if [ $name = clean ]; then
				echo "ok: clean tree passes"
			else
				echo "FAIL: '$name' not caught"
				rc=1
			fi
		elif [ $name = clean ]; then
			echo "FAIL: clean tree refused:"
			cat "$tmp/out"
			rc=1
		else
			echo "ok: '$name' caught: $(head -n 1 "$tmp/out")"
		fi
	done
	return $rc
}

ROOT=$(cd "$HERE/../.." && pwd)
if [ "${1:-}" = --self-test ]; then
	self_test
	exit
fi
check "${1:-$ROOT}"
