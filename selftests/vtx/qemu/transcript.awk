# SPDX-License-Identifier: GPL-2.0
#
# transcript.awk - normalise the nested guest's console transcript (QEMU's
# stdout: SeaBIOS + the nested kernel's boot messages + its /init) so that
# two runs of the same QEMU command, on kvm_intel and on vtx, can be compared
# line by line. POSIX awk (busybox awk in the test VM, mawk/gawk on a host):
#
#   awk -f transcript.awk RAW >NORMALISED
#
# Only what depends on timing goes; everything that depends on the CPU
# (CPUID as each driver filters it), the memory map, the devices or the
# features each driver offers stays, so a difference there is a real one.
{
	# 1. Terminal noise: carriage returns, escape sequences (SeaBIOS and
	#    the kernel's setup code clear the screen), the "Probing EDD"
	#    progress text the first kernel message is glued to.
	gsub(/\r/, "")
	gsub(/\033\[[0-9;?]*[A-Za-z]/, "")
	gsub(/\033./, "")
	sub(/^Probing EDD \(edd=off to disable\)\.\.\. ?o?k?/, "")
	# 2. printk timestamps.
	sub(/^\[ *[0-9]+\.[0-9]+\] /, "")
}
# 3. Lines whose numbers depend on how fast the guest or its timers ran:
#    TSC/APIC/delay-loop calibration and the clocksource limits derived from
#    the measured frequency, RTC wall-clock time, random-pool timing, how
#    long something took.
/BogoMIPS/ { next }
/^Calibrating delay/ { next }
/^tsc: / { next }
/^TSC deadline timer/ { next }
/^\.\.\.\. (lapic|APIC) / { next }
/^APIC: .*calibrat/ { next }
/^APIC (calibration not consistent|delta adjusted)/ { next }
/^clocksource: / { next }
/^sched_clock: / { next }
/^kvm-clock: using sched offset/ { next }
/^hrtimer: interrupt took/ { next }
/^hpet: Lost [0-9]+ RTC interrupts/ { next }
/^random: / { next }
/^rtc_cmos [^ ]*: setting system clock/ { next }
/^PM: RTC time/ { next }
/^audit: type=2000/ { next }
/took [0-9]+ usecs/ { next }
# 4. The nested /init's marker: its uptime is the boot time, reported apart.
{ sub(/NESTED-BOOT-OK uptime=[0-9.]+/, "NESTED-BOOT-OK uptime=#") }
# 5. Empty lines.
/^[ \t]*$/ { next }
{ print }
