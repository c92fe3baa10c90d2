/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - decoder and emulator of the instructions that access MMIO.
 *
 * A guest access to guest-physical memory outside every memslot exits with
 * an EPT violation that tells the address but neither the size nor the data
 * of the access.  The caller fetches the instruction bytes at CS:RIP and
 * fills in the CPU state of struct vtx_emu, then:
 *
 *	err = vtx_emu_decode(e);	// e->len, e->linear, e->access_bytes,
 *					// e->is_write, e->write_val
 *	for (;;) {
 *		perform the access (KVM_EXIT_MMIO), val = data read if a read;
 *		ret = vtx_emu_complete(e, val);
 *		if (ret != 1)
 *			break;		// 0: done, <0: error
 *		// 1: one more access, described again by e->linear,
 *		// e->access_bytes, e->is_write and e->write_val
 *	}
 *	copy e->gpr, e->rip and e->rflags back to the vCPU.
 *
 * Each call to vtx_emu_decode() handles one instruction, or one element of
 * a REP string instruction: then RIP stays on the instruction while the
 * count is not exhausted, so the guest executes it again (and faults again
 * on the next MMIO element, as KVM does).  Nothing in @e but the documented
 * outputs changes before vtx_emu_complete() returns 0, so an instruction
 * abandoned half-way leaves the CPU state as it was.
 *
 * Anything not understood is refused with -EINVAL, never emulated wrongly.
 * Neither function includes any kernel header, so this file and emulate.c
 * build in the module and in the host-side unit test alike.
 */
#ifndef VTX_EMULATE_H
#define VTX_EMULATE_H

#include "emulate_types.h"

/* Longest x86 instruction. */
#define VTX_EMU_MAX_INSN	15

/* Segment registers, in the encoding order of x86. */
enum vtx_emu_seg {
	VTX_EMU_ES, VTX_EMU_CS, VTX_EMU_SS, VTX_EMU_DS, VTX_EMU_FS, VTX_EMU_GS,
	VTX_EMU_NR_SEGS
};

/* The system segments, after them for vtx_emu_ops.get_seg (SLDT, STR). */
#define VTX_EMU_LDTR		6
#define VTX_EMU_TR		7

/* General-purpose registers, in the encoding order of x86. */
enum vtx_emu_gpr {
	VTX_EMU_RAX, VTX_EMU_RCX, VTX_EMU_RDX, VTX_EMU_RBX,
	VTX_EMU_RSP, VTX_EMU_RBP, VTX_EMU_RSI, VTX_EMU_RDI,
	VTX_EMU_R8, VTX_EMU_R9, VTX_EMU_R10, VTX_EMU_R11,
	VTX_EMU_R12, VTX_EMU_R13, VTX_EMU_R14, VTX_EMU_R15,
	VTX_EMU_NR_GPRS
};

/* RFLAGS bits the emulator reads or writes. */
#define VTX_EMU_FL_CF		0x0001ULL
#define VTX_EMU_FL_PF		0x0004ULL
#define VTX_EMU_FL_AF		0x0010ULL
#define VTX_EMU_FL_ZF		0x0040ULL
#define VTX_EMU_FL_SF		0x0080ULL
#define VTX_EMU_FL_DF		0x0400ULL
#define VTX_EMU_FL_OF		0x0800ULL
#define VTX_EMU_FL_RF		0x10000ULL
#define VTX_EMU_FL_VM		0x20000ULL
#define VTX_EMU_FL_ARITH	(VTX_EMU_FL_CF | VTX_EMU_FL_PF | \
				 VTX_EMU_FL_AF | VTX_EMU_FL_ZF | \
				 VTX_EMU_FL_SF | VTX_EMU_FL_OF)

/**
 * struct vtx_emu_segdesc - the hidden part of a segment register, for the
 * checks of accesses the processor did not make, outside 64-bit mode.
 * @limit:	the byte-granular limit (G applied)
 * @type:	the descriptor's type field (VTX_EMU_SEG_*)
 * @db:		D/B: an expand-down segment ends at 4 GiB - 1, else 64 KiB - 1
 * @unusable:	no usable segment (a null selector in protected mode)
 * @selector:	the selector (MOV m16,Sreg; SLDT, STR)
 */
struct vtx_emu_segdesc {
	u16 selector;
	u32 limit;
	u8 type;
	bool db;
	bool unusable;
};

/* Type bits of a code or data segment descriptor. */
#define VTX_EMU_SEG_RW		0x2	/* data: writable; code: readable */
#define VTX_EMU_SEG_EXPDOWN	0x4	/* data: expand-down */
#define VTX_EMU_SEG_CODE	0x8

/* Returned by a vtx_emu_ops function: the address is not RAM but MMIO. */
#define VTX_EMU_OPS_MMIO	1

/* The control-register bits the SSE and MMX moves, SMSW and LMSW check. */
#define VTX_EMU_CR0_PE		0x0001ULL
#define VTX_EMU_CR0_EM		0x0004ULL
#define VTX_EMU_CR0_TS		0x0008ULL
#define VTX_EMU_CR4_OSFXSR	0x0200ULL
#define VTX_EMU_CR4_UMIP	0x0800ULL
#define VTX_EMU_CR4_LA57	0x1000ULL

/*
 * The vCPU's CPUID features the decoder consults (vtx_emu.features):
 * POPCNT is #UD without CPUID.1:ECX.POPCNT; without CPUID.7.0:EBX.BMI1
 * F3 0F BC is BSF, without CPUID.80000001H:ECX.ABM (LZCNT) F3 0F BD is
 * BSR, as on processors without them.
 */
#define VTX_EMU_FEAT_POPCNT	0x01
#define VTX_EMU_FEAT_BMI1	0x02
#define VTX_EMU_FEAT_LZCNT	0x04

/* The widest access: a 16-byte SSE move or CMPXCHG16B. */
#define VTX_EMU_WIDE_BYTES	16

/* Register files of vtx_emu_ops.read_vec and write_vec. */
enum vtx_emu_vec { VTX_EMU_VEC_MMX, VTX_EMU_VEC_XMM };

/**
 * struct vtx_emu_ops - guest memory accesses that are not the MMIO one.
 * @read_mem:	read @len bytes at guest linear address @linear into @buf.
 * @write_mem:	write @len bytes of @buf at guest linear address @linear.
 *
 * Only MOVS uses them, for its side that is not the faulting MMIO address.
 * Each returns 0 on success, VTX_EMU_OPS_MMIO when @linear is MMIO as well
 * (write_mem only: the MMIO write is then asked of the caller, see
 * vtx_emu_complete()), or a negative errno, which the emulator turns into
 * -EFAULT.  The translation from linear to physical and its faults are the
 * caller's business.
 *
 * @read_vec:	read register @reg of file @file (enum vtx_emu_vec): 8
 *		bytes of an MMX register, 16 of an XMM register, into @buf.
 * @write_vec:	write it from @buf.  Writing an MMX register has the
 *		side effects of an MMX instruction (x87 TOS 0, all tags
 *		valid); reading one as well, as the guest's MOVQ store does.
 *
 * The SSE and MMX moves use them; each returns 0 or a negative errno, on
 * which the instruction is refused.
 *
 * @get_seg:	the hidden part of segment register @seg (enum
 *		vtx_emu_seg, or VTX_EMU_LDTR, VTX_EMU_TR), for the segment
 *		checks of the accesses the processor did not make (outside
 *		64-bit mode), and its selector for MOV m16,Sreg, SLDT and
 *		STR; 0, or a negative errno, on which nothing is checked (and
 *		those three are refused).  May be NULL.
 */
struct vtx_emu_ops {
	int (*read_mem)(void *opaque, u64 linear, void *buf, unsigned int len);
	int (*write_mem)(void *opaque, u64 linear, const void *buf,
			 unsigned int len);
	int (*read_vec)(void *opaque, unsigned int file, unsigned int reg,
			void *buf);
	int (*write_vec)(void *opaque, unsigned int file, unsigned int reg,
			 const void *buf);
	int (*get_seg)(void *opaque, unsigned int seg,
		       struct vtx_emu_segdesc *s);
};

/**
 * struct vtx_emu - one instruction being emulated.
 * @gpr:	in/out: RAX..R15 in x86 numbering.
 * @rip:	in/out: RIP of the instruction; advanced when it completes.
 * @rflags:	in/out: RFLAGS; arithmetic flags updated, RF cleared when the
 *		instruction completes.
 * @mode:	in: 16, 32 or 64, the default operand size of the code
 *		segment (CR0.PE, CS.D, EFER.LMA and CS.L); 16 for real mode
 *		and virtual-8086 mode.
 * @seg_base:	in: segment bases by enum vtx_emu_seg.  In 64-bit mode only
 *		FS and GS are used.
 * @insn:	in: instruction bytes fetched at CS:RIP.
 * @insn_len_avail: in: how many bytes of @insn are valid (up to 15).
 * @mmio_linear: in: guest linear address of the faulting access; used by
 *		MOVS and CMPS, to tell whether the source or the destination
 *		is the MMIO side, and by PUSH/POP/CALL/JMP m, which are
 *		emulated only when it is their memory operand.
 * @stack_bytes: in: 2 or 4, the stack's address size (SS.B) outside
 *		64-bit mode; 0 for the mode's default (4 in 32-bit, 2 in
 *		16-bit code).
 * @cr0:	in: CR0, for the SSE and MMX moves (EM, TS), SMSW and LMSW:
 *		the value the guest reads (TS as it is now).
 * @cr4:	in: CR4, for the SSE moves (OSFXSR) and SMSW (UMIP).
 * @cpl:	in: the current privilege level (3 in virtual-8086 mode), for
 *		LMSW (#GP(0) unless 0) and SMSW under CR4.UMIP (#GP(0)
 *		unless 0).
 * @features:	in: VTX_EMU_FEAT_* the vCPU's CPUID offers (POPCNT, TZCNT,
 *		LZCNT).
 * @ops:	in: accesses to the RAM side of MOVS/CMPS, to the stack
 *		of PUSH/POP/CALL m and to the vector registers of the SSE
 *		and MMX moves; may be NULL for other instructions.
 * @opaque:	in: passed to @ops.
 * @interp:	in: the caller interprets every instruction, not only the
 *		one access of a device (vmx/rmemu.c: real mode, 16- or 32-bit
 *		code only): the ModRM register forms, ALU and TEST rAX,imm,
 *		INC/DEC r, XCHG rAX,r, MOV r,imm, LEA and XLAT are decoded
 *		too (@access_bytes 0: no access, call vtx_emu_complete() with
 *		0); the memory operand is checked as the other accesses
 *		(limit and rights through @ops->get_seg, #GP(0) or #SS(0));
 *		MOVS and CMPS read the source first as the access asked of
 *		the caller, whatever @mmio_linear; a near branch beyond CS's
 *		limit is #GP(0); a REP string instruction with a count of 0
 *		is done without an access.
 * @len:	out: length of the instruction.
 * @linear:	out: guest linear address of the MMIO access to perform.
 * @access_bytes: out: its size, 1, 2, 4, 8 or 16 (VTX_EMU_WIDE_BYTES:
 *		an SSE move or CMPXCHG16B), 6 for a far pointer m16:32 (one
 *		access, as KVM's), 10 for m16:64 (in @wide, as a 16-byte one).
 * @is_write:	out: whether it is a write.
 * @write_val:	out: the value to write, in its low @access_bytes bytes
 *		(little endian), when @is_write and @access_bytes <= 8.
 * @wide:	the data of an access wider than 8 bytes: out, the bytes to write; in,
 *		the bytes read, put there by the caller before calling
 *		vtx_emu_complete() (whose @val is then ignored).
 * @gp_fault:	out: the instruction raises #GP(0) (a non-canonical branch
 *		target, a misaligned MOVDQA/MOVAPS/MOVNT* or CMPXCHG16B, LMSW
 *		outside CPL 0, SMSW, SLDT and STR outside CPL 0 under
 *		CR4.UMIP).
 * @ud_fault:	out: it raises #UD (CR0.EM, or CR4.OSFXSR clear for SSE;
 *		POPCNT without VTX_EMU_FEAT_POPCNT; MOV m16,Sreg with
 *		ModRM.reg 6 or 7, MOV Sreg,m16 to CS, 6 or 7; SLDT, STR in
 *		real or virtual-8086 mode).
 * @nm_fault:	out: it raises #NM (CR0.TS).
 * @de_fault:	out: it raises #DE: DIV or IDIV by 0, or a quotient too
 *		wide for its register.
 * @cr0_write:	out, once vtx_emu_complete() returned 0: the instruction
 *		loads CR0 with @new_cr0 (LMSW).  The caller writes it through
 *		its own checked CR0 path before making @gpr, @rip and @rflags
 *		architectural; a value that path refuses is #GP(0), the
 *		instruction not done.
 * @new_cr0:	out: that value: CR0 with bits 3:1 (MP, EM, TS) from the
 *		operand, PE set when the operand's bit 0 is (never cleared).
 * @seg_load:	out, once vtx_emu_complete() returned 0: the instruction
 *		loads segment register @load_seg (enum vtx_emu_seg, never CS)
 *		with selector @load_sel: MOV Sreg,m16, or LDS, LES, LSS, LFS,
 *		LGS (whose offset is already in @gpr); or VTX_EMU_LDTR or
 *		VTX_EMU_TR: LLDT, LTR m16 (their #UD outside protected mode
 *		and #GP(0) outside CPL 0 already raised, before the read;
 *		the descriptor checks are the caller's).  The caller loads it
 *		(real mode, virtual-8086 mode or a checked descriptor) before
 *		making @gpr, @rip and @rflags architectural; a load that
 *		faults is delivered, the instruction not done.  MOV to SS
 *		sets the MOV-SS interrupt shadow.
 * @load_seg:	out: that segment register.
 * @load_sel:	out: that selector.
 * @mov_ss:	out: MOV SS,m16: the load sets the MOV-SS interrupt shadow.
 * @far_jmp:	out, once vtx_emu_complete() returned 0: a far JMP or CALL
 *		through memory to selector @load_sel, offset @rip (masked
 *		to the operand size).  The caller loads CS with its checks
 *		(and the new RIP's limit or canonical check) before making
 *		@gpr, @rip and @rflags architectural; a load that faults is
 *		delivered, the instruction not done.
 * @far_call:	out: with @far_jmp, a far CALL: once the new CS passed its
 *		checks and before it is loaded, the caller pushes the return
 *		address with vtx_emu_far_call_push().
 * @far_push:	the far CALL's return address as the stack holds it: the
 *		offset, then CS zero-extended, each of the operand size.
 * @ss_fault:	out: it raises #SS(0): in 64-bit code, a non-canonical
 *		stack address of PUSH/POP/CALL m, or of a string side with
 *		an SS override (other sides: @gp_fault); outside 64-bit
 *		code, such an access outside the stack segment's limit
 *		(other segments: @gp_fault, also for a null selector or a
 *		write to a read-only segment).  Only the accesses the
 *		processor did not make before its exit are checked: the
 *		other side of MOVS/CMPS and the stack.
 *
 * The frag_* members are the caller's (mmio.c: an access split at a page
 * boundary); the members after them are private to emulate.c.
 */
struct vtx_emu {
	u64 gpr[VTX_EMU_NR_GPRS];
	u64 rip;
	u64 rflags;
	u8 mode;
	u64 seg_base[VTX_EMU_NR_SEGS];
	u8 insn[VTX_EMU_MAX_INSN];
	u8 insn_len_avail;
	u64 mmio_linear;
	u8 stack_bytes;
	u64 cr0;
	u64 cr4;
	u8 cpl;
	u8 features;
	const struct vtx_emu_ops *ops;
	void *opaque;
	bool interp;

	/* outputs: from here on zeroed by the caller before decoding */
	u8 len;
	u64 linear;
	u8 access_bytes;
	bool is_write;
	u64 write_val;
	u8 wide[VTX_EMU_WIDE_BYTES];
	bool gp_fault;
	bool ud_fault;
	bool nm_fault;
	bool ss_fault;
	bool de_fault;
	bool cr0_write;
	u64 new_cr0;
	bool seg_load;
	u8 load_seg;
	u16 load_sel;
	bool mov_ss;
	bool far_jmp;
	bool far_call;
	u8 far_push[2 * sizeof(u64)];

	/* caller's: an access split at a page boundary (mmio.c) */
	u8 frag_done;		/* bytes of the current access done */
	u8 frag_len;		/* bytes of the read fragment out */
	u8 frag_next;		/* bytes of a write's second fragment, 0 none */
	bool frag_more;		/* the emulator has a further access */
	u64 frag_linear;	/* the second fragment's linear address */
	u64 frag_gpa;		/* ... and guest-physical address */
	u64 frag_data;		/* read: bytes gathered; write: 2nd fragment */
	u64 wide_gpa[2];	/* 16-byte access: each page's part */
	u8 wide_split;		/* ... bytes in the first page */
	u8 wide_done[2];	/* ... bytes of each part done */

	/* private: decode state, set by vtx_emu_decode() */
	u8 kind;		/* what the instruction does (emulate.c) */
	u8 alu;			/* ALU operation, for ALU instructions */
	u32 dflags;		/* decode flags of the opcode (emulate.c) */
	u8 sub;			/* the opcode's argument (emulate.c) */
	u8 pend;		/* register written at completion */
	u8 op_bytes;		/* operand size */
	u8 ad_bytes;		/* address size */
	u8 src_bytes;		/* MOVZX/MOVSX: size of the source */
	u8 rex;			/* REX prefix, 0 when none */
	u8 rep;			/* 0, or 0xf2/0xf3 on a string instruction */
	u8 reg;			/* register operand, REX.R included */
	u8 stage;		/* accesses already performed */
	bool mmio_is_src;	/* MOVS: the MMIO side is the source */
	u64 imm;		/* immediate, sign-extended to 64 bits */
	u64 other_linear;	/* MOVS: linear address of the RAM side */
	u8 other_seg;		/* ... and its segment (enum vtx_emu_seg) */
	u64 result;		/* value kept between two accesses */
	u64 new_rflags;		/* RFLAGS once the instruction completes */
	u8 vec_file;		/* SSE/MMX moves: enum vtx_emu_vec */
	bool rm_is_reg;		/* @interp: the r/m operand is a register */
	u8 rm_reg;		/* ... that register */
	u8 rm_bytes;		/* ... and its size */
	bool skip;		/* @interp: REP with a count of 0 */
};

/**
 * struct vtx_emu_prefixes - the legacy prefixes of an instruction.
 * @len:	how many bytes they take
 * @seg:	the segment override (enum vtx_emu_seg), or -1
 * @opsize:	66h
 * @adsize:	67h
 * @lock:	F0h
 * @rep:	the last of F2h and F3h, or 0
 */
struct vtx_emu_prefixes {
	u8 len;
	s8 seg;
	bool opsize;
	bool adsize;
	bool lock;
	u8 rep;
};

int vtx_emu_prefixes(const u8 *insn, unsigned int len, u8 mode,
		     struct vtx_emu_prefixes *p);
bool vtx_emu_condition(unsigned int cc, u64 rflags);

/**
 * vtx_emu_decode() - decode the instruction at @e->insn.
 * @e:	CPU state and instruction bytes in, the first access out.
 *
 * Fills in @e->len, @e->linear, @e->access_bytes, @e->is_write and, for a
 * write, @e->write_val.  For a MOVS whose destination is the MMIO side, the
 * source is read here through @e->ops->read_mem.  Only the outputs and the
 * private members of @e are written.
 *
 * Return: 0 on success; -EINVAL for an instruction not emulated (one that
 * does not access memory, unknown, truncated by @e->insn_len_avail, longer
 * than 15 bytes, an MMIO access that crosses a page boundary, a REP with a
 * zero count, a MOVS whose sides are both not @e->mmio_linear); -EFAULT
 * when @e->ops fails.
 */
int vtx_emu_decode(struct vtx_emu *e);
int vtx_emu_operand_bytes(const u8 *insn, unsigned int len, u8 mode);

/**
 * vtx_emu_complete() - finish the access that vtx_emu_decode() asked for.
 * @e:		as left by vtx_emu_decode() or by the previous call.
 * @val:	for a read, the data read, in its low @e->access_bytes bytes
 *		(the bytes above are ignored); ignored for a write.
 *
 * Return: 0 when the instruction (or the REP element) is complete:
 * @e->gpr, @e->rip and @e->rflags hold the new state.  1 when another
 * MMIO access is needed first (the write of a read-modify-write
 * instruction, or of a MOVS whose destination is MMIO too): @e->linear,
 * @e->access_bytes, @e->is_write and @e->write_val describe it, and
 * vtx_emu_complete() is to be called again once it is done.  -EFAULT when
 * @e->ops fails, -EINVAL when called out of turn; the CPU state is then
 * unchanged.
 */
int vtx_emu_complete(struct vtx_emu *e, u64 val);

/**
 * vtx_emu_far_call_push() - push a completed far CALL's return address.
 * @e:		after vtx_emu_complete() returned 0 with @e->far_call
 *
 * The write of CS and the return offset (2 x the operand size) below RSP
 * on the RAM stack through @e->ops, with the processor's stack checks.
 *
 * Return: 0 when written; -EFAULT when it faults (@e->ss_fault, or a
 * guest page fault the ops queued) or the stack is not RAM; -EINVAL out
 * of turn.
 */
int vtx_emu_far_call_push(struct vtx_emu *e);

int vtx_emu_mem_operand(struct vtx_emu *e, u64 *linear);

#endif /* VTX_EMULATE_H */
