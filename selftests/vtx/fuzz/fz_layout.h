/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Guest-physical layout of the fuzz guests, shared by the host programs and
 * the guest assembly (fz_guest.S).  Plain numbers only.
 *
 * Guest fuzzer (vtx-guest-fuzz), one VM per mode:
 *
 *   0x000000-0x005fff  RO   GDT 0x1000, IDT 0x2000, TSS + I/O bitmap 0x3000
 *   0x006000-0x006fff  RO   exception handlers (fz_h16/fz_h32/fz_h64)
 *   0x007000-0x007fff  RW   handler data: step counter, limit; IST/RSP0
 *                           stack top at 0x8000
 *   0x008000-0x009fff  RO   the random code (rewritten by the host)
 *   0x00a000-0x00afff  RW   the fuzzed code's stack (top 0xb000)
 *   0x00b000-0x01ffff  RO   HLT filler, page tables at 0x10000
 *   0x020000-0x0fffff  --   MMIO hole (nothing mapped: KVM_EXIT_MMIO)
 *   0x100000-0x1fffff  RW   RAM, random contents, guard-checked
 *   0x200000-0x20ffff  RO   "ROM": reads are RAM, writes are MMIO exits
 *   0x210000-0x2fffff  --   MMIO hole
 *   0x300000-0x33ffff  RW   RAM with dirty logging
 *   0x1000000          RO   real-mode IVT (out of reach of real-mode code)
 *   everything else        MMIO (0xfec00000, 0xfee00000, 0xe0000000 ...)
 */
#ifndef FZ_LAYOUT_H
#define FZ_LAYOUT_H

#define FZ_GDT_GPA		0x1000
#define FZ_IDT_GPA		0x2000
#define FZ_TSS_GPA		0x3000
#define FZ_HCODE_GPA		0x6000
#define FZ_HDATA_GPA		0x7000
#define FZ_STEPS		0x7000	/* u64: #DB single-step traps */
#define FZ_LIMIT		0x7008	/* u64: step limit */
#define FZ_HSTACK_TOP		0x8000
#define FZ_CODE_GPA		0x8000
#define FZ_CODE_SIZE		0x2000
#define FZ_STACK_GPA		0xa000
#define FZ_STACK_TOP		0xb000
#define FZ_FILL_GPA		0xb000
#define FZ_PT_GPA		0x10000	/* PML4 0x10000, PDPT 0x11000, */
					/* PD 0x12000-0x15fff, PT 0x16000, */
					/* PAE PDPT 0x17000 */
#define FZ_LOW_END		0x20000
#define FZ_RAM_GPA		0x100000
#define FZ_RAM_SIZE		0x100000
#define FZ_ROM_GPA		0x200000
#define FZ_ROM_SIZE		0x10000
#define FZ_LOG_GPA		0x300000
#define FZ_LOG_SIZE		0x40000
#define FZ_IVT_GPA		0x1000000

/* Stubs: vector v enters at FZ_HCODE_GPA + FZ_STUB_OFF + v * FZ_STUB_SIZE. */
#define FZ_STUB_OFF		0x100
#define FZ_STUB_SIZE		12

/* The handlers report with "out %eax, $FZ_REPORT_PORT", EAX = code. */
#define FZ_REPORT_PORT		0xf5
#define FZ_REPORT_MAGIC		0xf5000000
#define FZ_REPORT_LIMIT		0xf5000001	/* step limit reached */
#define FZ_REPORT_VEC		0xf5000100	/* | vector: exception */

/* GDT selectors */
#define FZ_SEL_CODE32		0x08
#define FZ_SEL_DATA		0x10
#define FZ_SEL_CODE64		0x18
#define FZ_SEL_UCODE32		0x23
#define FZ_SEL_UDATA		0x2b
#define FZ_SEL_UCODE64		0x33
#define FZ_SEL_TSS64		0x38	/* 16 bytes: entries 7, 8 */
#define FZ_SEL_TSS32		0x48
#define FZ_GDT_ENTRIES		10

/* Memory agent (isolation and regression guests): long mode, CPL 0. */
#define FZ_AGENT_PORT		0xf4
#define FZ_AGENT_READY		0x41474e54	/* "AGNT" in EAX at each stop */
#define FZ_AGENT_NOP		0
#define FZ_AGENT_WRITE64	1	/* [rbx] = rcx */
#define FZ_AGENT_READ64		2	/* rcx = [rbx] */
#define FZ_AGENT_STRIDE_WRITE	3	/* rdx times: [rbx] = rcx; rbx += r8 */
#define FZ_AGENT_STRIDE_READ	4	/* rdx times: r9 ^= [rbx]; rbx += r8 */
#define FZ_AGENT_WRITE8		5	/* byte [rbx] = cl */
#define FZ_AGENT_CODE_GPA	0x8000
#define FZ_AGENT_STACK_TOP	0x7f00
#define FZ_AGENT_PML4		0x10000	/* PDPT 0x11000, PDs 0x12000-0x19fff */
#define FZ_AGENT_GDT		0x1000
#define FZ_AGENT_MAP_GB		8	/* identity map of [0, 8 GiB) */

#endif /* FZ_LAYOUT_H */
