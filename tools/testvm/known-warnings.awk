# SPDX-License-Identifier: GPL-2.0
#
# known-warnings.awk - take the test VM's known kernel warnings out of a
# kernel log, so that the "dirty log" scans (run.sh's serial scan and
# vmlib.sh's dmesg_check) see everything else.
#
#   awk -v kver=KERNEL -v model=BOCHS_CPU_MODEL -f known-warnings.awk [LOG]
#
# A known warning is one WARNING site of one kernel series under one Bochs
# CPU model ("WARNING: CPU: 0 PID: 0 at SITE FUNC" up to 6.x, "WARNING:
# SITE at FUNC, CPU#0" in 7.x): its block (the WARNING line and the kernel
# log lines after it up to "---[ end trace", at most 80; ended early by any
# line that is not a kernel log line, "[ time ]" or "dmesg: [ time ]", and
# by another BUG/WARNING/Oops line) is replaced by one line
# "known-warning: SITE (WHY)".  Nothing else is dropped, and no other
# warning of that kernel, that model or that file is excused.
#
# The list, one entry per line of known[]: "KERNEL-PREFIX MODEL SITE WHY".
#
# - Debian 13's 6.12 and 7.3 under Bochs's corei7_haswell_4770 (the model
#   run.sh uses): parse_legacy() warns once at boot, on CPU 0 before any
#   module loads (WARN_ON_ONCE(tscan->ebx1_nproc_shift < core_shift)):
#   the model sets HT, but its CPUID leaf 1 counts fewer logical
#   processors per package (EBX[23:16]) than its leaf 4 counts cores; a
#   property of the emulated CPU, not of vtx or KVM.  (6.1 has no such
#   check.)
BEGIN {
	n = 0
	known[++n] = "6.12. corei7_haswell_4770 arch/x86/kernel/cpu/topology_common.c:57 Bochs's CPUID topology (parse_legacy)"
	known[++n] = "7.3. corei7_haswell_4770 arch/x86/kernel/cpu/topology_common.c:95 Bochs's CPUID topology (parse_legacy)"
	for (i = 1; i <= n; i++) {
		split(known[i], f, " ")
		if (index(kver, f[1]) != 1 || model != f[2])
			continue
		why = known[i]
		for (j = 1; j <= 3; j++)
			sub(/^[^ ]+ /, "", why)
		sites[f[3]] = why
	}
	skip = 0
}
skip > 0 {
	if ($0 ~ /---\[ end trace/) { skip = 0; next }
	if ($0 ~ /^(dmesg: )?\[ *[0-9]+\.[0-9]+\]/ && $0 !~ /BUG:|WARNING:|Oops/ &&
	    ++skip <= 80)
		next
	skip = 0
}
/WARNING:/ {
	for (s in sites) {
		if (index($0, " at " s " ") || index($0, "WARNING: " s " at ")) {
			print "known-warning: " s " (" sites[s] ")"
			skip = 1
			next
		}
	}
}
{ print }
