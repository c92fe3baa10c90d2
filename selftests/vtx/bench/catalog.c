// SPDX-License-Identifier: GPL-2.0
/*
 * The benchmark's catalogue: every case with its unit and what one
 * operation is (the table and the JSON print them in this order), and the
 * kernel-memory fields of case_memory().
 */
#include "catalog.h"

const struct bench_case cases[] = {
	{ "null_ioctl", "cycles/ioctl",
	  "KVM_CHECK_EXTENSION(KVM_CAP_USER_MEMORY) on the system fd: the syscall floor" },
	{ "pio_out", "cycles/exit",
	  "OUT exit to userspace (KVM_EXIT_IO) and back into the guest, timed in userspace" },
	{ "cpuid", "cycles/exit",
	  "CPUID exit handled in the kernel, timed in the guest (excludes userspace)" },
	{ "vmcall", "cycles/exit",
	  "VMCALL exit handled in the kernel (-KVM_ENOSYS), timed in the guest" },
	{ "mmio_write", "cycles/exit",
	  "4-byte MMIO write outside all memslots, exit to userspace (KVM_EXIT_MMIO) and back" },
	{ "mmio_read", "cycles/exit",
	  "4-byte MMIO read outside all memslots, to userspace and back; the data completes the load in the next KVM_RUN" },
	{ "hlt", "cycles/exit",
	  "HLT exit to userspace (KVM_EXIT_HLT, no in-kernel APIC) and back" },
	{ "ept_touch_4k", "cycles/page",
	  "first write to each 4 KiB page of a fresh 64 MiB memslot (MADV_NOHUGEPAGE), timed in the guest: EPT violation + host page fault + mapping" },
	{ "ept_touch_thp", "cycles/page",
	  "the same over memory advised MADV_HUGEPAGE (the driver may map 2 MiB at once)" },
	{ "vm_lifecycle", "cycles/VM",
	  "KVM_CREATE_VM + one 2 MiB memslot + KVM_CREATE_VCPU + close both (VMX already on: another VM is open)" },
	{ "vm_lifecycle_cold", "cycles/VM",
	  "the same with no other VM: includes turning VMX on and off on every CPU" },
	{ "rcu_sync_ref", "cycles/call",
	  "reference, no driver involved: membarrier(MEMBARRIER_CMD_GLOBAL), i.e. one synchronize_rcu(), in the same machine state" },
	{ "pio_8vcpu", "wall cycles/exit",
	  "8 vCPUs of one VM in 8 threads doing OUT exits to userspace at once on all CPUs: wall TSC / total exits" },
	{ "ept_touch_2vcpu", "wall cycles/page",
	  "2 vCPUs in 2 threads, each first-touching every 4 KiB page of its own 32 MiB memslot (MADV_NOHUGEPAGE) at once: wall TSC / total pages" },
	{ "ept_touch_2vcpu_churn", "wall cycles/page",
	  "the same while a third thread adds and deletes other memslots (KVM_SET_USER_MEMORY_REGION on unrelated slot ids) without pause" },
	{ "guest_loop", "cycles/iter",
	  "the guest's timed loop with no exit in it (included in cpuid/vmcall)" },
	{ "irqfd_msi", "cycles/irq",
	  "eventfd write to an MSI-routed irqfd (thread on CPU 1) until the handler of the vCPU spinning on CPU 0 ran, timed by the writer", TABLE_IRQ },
	{ "irqfd_ioapic", "cycles/irq",
	  "the same through an IOAPIC edge-triggered pin (GSI 20) of the in-kernel irqchip", TABLE_IRQ },
	{ "timer_oneshot", "cycles/irq",
	  "local APIC one-shot timer (TMICT, divide-by-1): the handler's RDTSC minus the deadline (RDTSC before the WRMSR + 20000 cycles), vCPU spinning", TABLE_IRQ },
	{ "timer_tscdl", "cycles/irq",
	  "the same in TSC-deadline mode (IA32_TSC_DEADLINE = RDTSC + 20000)", TABLE_IRQ },
	{ "ipi_roundtrip", "cycles/trip",
	  "vCPU 0 (CPU 0) writes the ICR (fixed IPI), vCPU 1 (CPU 1) answers from its handler, until vCPU 0's handler ran; timed by vCPU 0", TABLE_IRQ },
	{ "ioapic_eoi", "cycles/EOI",
	  "the x2APIC EOI write of a level-triggered IOAPIC interrupt behind a resample irqfd (ack notifier, line lowered, resample fd signalled), timed in the guest", TABLE_IRQ },
	{ "ioapic_reraise", "cycles/irq",
	  "from that EOI write to the next handler: the thread on CPU 1 wakes from read(resamplefd) and writes the irqfd again", TABLE_IRQ },
	{ "hlt_wakeup", "cycles/irq",
	  "vCPU halted in the kernel for 1 ms (past KVM's halt polling; a SCHED_IDLE thread keeps CPU 0 out of idle), an MSI irqfd written on CPU 1 until its handler ran, timed by the writer", TABLE_IRQ },
	{ "pf_first_touch", "cycles/page",
	  "first write to each 4 KiB page of a fresh 16 MiB memslot (MADV_NOHUGEPAGE) mapped by the guest's own page tables, timed in the guest: the fault of the driver's EPT or shadow page table", TABLE_SHADOW },
	{ "cr3_switch", "cycles/switch",
	  "MOV to CR3 alternating between two guest address spaces (two PML4s), a read through each after its load, timed in the guest", TABLE_SHADOW },
	{ "linux_boot", "ms to /init",
	  "the nested Debian kernel (1 vCPU, 256 MiB, quiet) from the VMM's start to its /init's first line, test-VM time", TABLE_LINUX },
	{ "disk_write", "MB/s",
	  "virtio-blk: the whole 16 MiB disk written by the guest in 1 MiB O_DIRECT requests, then fdatasync(); guest time", TABLE_LINUX },
	{ "disk_read", "MB/s",
	  "virtio-blk: the same disk read back in 1 MiB O_DIRECT requests; guest time", TABLE_LINUX },
	{ "net_tx", "MB/s",
	  "virtio-net: 4 MiB over TCP from the guest through a tap to a server in the test VM, to its reply; guest time", TABLE_LINUX },
	{ "fork_exit", "us/fork",
	  "fork(), _exit(0) in the child, waitpid() in the guest's /init, 1000 times; guest time", TABLE_LINUX },
};

const unsigned int nr_cases = sizeof(cases) / sizeof(cases[0]);

_Static_assert(sizeof(cases) / sizeof(cases[0]) <= MAX_CASES,
	       "MAX_CASES is too small");

/* Memory fields, in report order. */
const char *const mem_fields[] = {
	"MemUsed", "Slab", "SUnreclaim", "KernelStack", "PageTables",
	"VmallocUsed", "Percpu", "SlabObjects", "Estimate",
};

_Static_assert(sizeof(mem_fields) / sizeof(mem_fields[0]) == NR_MEM_FIELDS,
	       "NR_MEM_FIELDS does not match mem_fields[]");
