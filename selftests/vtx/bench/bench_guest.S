/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest loops of the benchmark, 64-bit code run in long mode (identity map
 * of the first 1 GiB, 2 MiB pages, set up by vtx_setup_mode()).
 *
 * The host enters at one of the labels with RCX = iterations and RDI = an
 * address where the loop needs one, RFLAGS.IF = 1.  Each loop starts with
 * STI as well: Bochs does not turn a host interrupt into a VM exit while a
 * nested guest runs with IF = 0, and a guest spinning like that hangs the
 * whole test VM.  No loop uses the stack.
 *
 * Loops that are timed inside the guest read the TSC before and after
 * (LFENCE; RDTSC), put the difference in RBX and report it with
 * ucall UCALL_REPORT.  Every loop ends with ucall UCALL_DONE.
 */
#include "vtx_guest.h"
#include "bench.h"

/* RDX:RAX from RDTSC -> \reg (clobbers RAX, RDX) */
.macro tsc_to reg
	lfence
	rdtsc
	shl	$32, %rdx
	or	%rax, %rdx
	mov	%rdx, \reg
.endm

GUEST_BEGIN bench_guest, 64

/* OUT to BENCH_PIO_PORT, RCX times: each one is an exit to userspace. */
GUEST_LABEL bench_pio
	sti
1:	out	%al, $BENCH_PIO_PORT
	dec	%rcx
	jnz	1b
	jmp	done

/* CPUID leaf 0, RCX times, timed in the guest: in-kernel exits. */
GUEST_LABEL bench_cpuid
	sti
	mov	%rcx, %rsi
	tsc_to	%r8
2:	xor	%eax, %eax
	xor	%ecx, %ecx
	cpuid
	dec	%rsi
	jnz	2b
	jmp	timed_end

/*
 * VMCALL number 0 (not a KVM hypercall, not claimed by userspace): the
 * kernel answers -KVM_ENOSYS in RAX.  Timed in the guest.
 */
GUEST_LABEL bench_vmcall
	sti
	mov	%rcx, %rsi
	tsc_to	%r8
3:	xor	%eax, %eax
	vmcall
	dec	%rsi
	jnz	3b
	jmp	timed_end

/* A 4-byte MMIO write to RDI (no memslot), RCX times. */
GUEST_LABEL bench_mmio_write
	sti
4:	mov	%eax, (%rdi)
	dec	%rcx
	jnz	4b
	jmp	done

/* A 4-byte MMIO read from RDI, RCX times: userspace supplies the data. */
GUEST_LABEL bench_mmio_read
	sti
5:	mov	(%rdi), %eax
	dec	%rcx
	jnz	5b
	jmp	done

/* HLT, RCX times: with no in-kernel APIC each one exits to userspace. */
GUEST_LABEL bench_hlt
	sti
6:	hlt
	dec	%rcx
	jnz	6b
	jmp	done

/*
 * Write one byte to each of RCX 4 KiB pages from RDI on: each first touch
 * is an EPT violation the kernel resolves.  Timed in the guest.
 */
GUEST_LABEL bench_touch
	sti
	mov	%rcx, %rsi
	tsc_to	%r8
7:	movb	$1, (%rdi)
	add	$0x1000, %rdi
	dec	%rsi
	jnz	7b
	jmp	timed_end

/* The same loop with no exit in it: the loop's own cost, for reference. */
GUEST_LABEL bench_empty
	sti
	mov	%rcx, %rsi
	tsc_to	%r8
8:	xor	%eax, %eax
	xor	%ecx, %ecx
	dec	%rsi
	jnz	8b
	jmp	timed_end

/*
 * MOV to CR3, RCX times each way: to RDI (a second PML4, the host's copy
 * of the first) and back to the CR3 the guest started with, a byte read
 * (through the new translation) after each load.  Timed in the guest.
 */
GUEST_LABEL bench_cr3
	sti
	mov	%rcx, %rsi
	mov	%cr3, %r9
	tsc_to	%r8
9:	mov	%rdi, %cr3
	mov	9b(%rip), %al
	mov	%r9, %cr3
	mov	9b(%rip), %al
	dec	%rsi
	jnz	9b
	jmp	timed_end

timed_end:
	tsc_to	%rbx
	sub	%r8, %rbx
	ucall	UCALL_REPORT
done:
	ucall	UCALL_DONE
	hlt
	jmp	done
GUEST_END bench_guest
