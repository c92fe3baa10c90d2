// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - a real-mode interpreter for the states VMX cannot enter without
 * unrestricted guest (shadow paging, ept=0).
 *
 * Real mode runs in virtual-8086 mode (rmode.c), which holds a segment
 * only at base selector * 16 below 1 MiB, of limit 0xffff.  Two kinds of
 * real-mode state do not fit it:
 * - a segment whose base vm86 cannot hold (rmode.c's rm->emulate: the
 *   reset CS at 0xffff0000, SMM's CS at an SMBASE from 1 MiB up, a base
 *   kept from protected mode): vtx_rmode_step() runs the guest here one
 *   instruction at a time, with events delivered between two, until
 *   real-mode segment loads (a far JMP, CALL or RET, IRET, MOV Sreg, POP
 *   Sreg, an interrupt) give every segment a vm86 base again, or the
 *   guest leaves real mode (MOV to CR0, RSM);
 * - big real mode, a limit above 0xffff: vm86 runs with 0xffff and raises
 *   #GP (#SS for the stack) past it; that one instruction is emulated here
 *   with the guest's own limits, which raise the guest's #GP or #SS
 *   where real mode would.
 * kvm_intel (emulate_invalid_guest_state=1) emulates every instruction in
 * both cases, with the whole x86 emulator.
 *
 * The data instructions (moves, ALU, shifts and rotates, INC, DEC, NOT,
 * NEG, MUL, IMUL, DIV, IDIV, BT*, SHLD, SHRD, BSF, BSR, CMPXCHG, XADD,
 * CMOVcc, SETcc, MOVZX, MOVSX, LEA, XLAT, the string instructions, PUSH
 * and POP of memory, near CALL and JMP through r/m, MOV Sreg, LxS, far
 * JMP and CALL through memory) are the MMIO emulator's, x86/emulate.c,
 * run with @interp: its decoder and ALU, on the guest's registers, with
 * the accesses done here in guest RAM (x86/mmio.c's when an operand is
 * not RAM).  This file keeps what is real mode's own: near and far
 * branches, returns, IRET, INT3, the register stack instructions, the
 * flag instructions, CPUID, segment loads and the interrupt shadows, RSM,
 * and (rmode.c's) the sensitive ones: HLT, INT n, IN/OUT/INS/OUTS, MOV CR,
 * LGDT, LIDT, LMSW, CLTS, INVD, WBINVD, INVLPG, RDMSR, WRMSR.  Anything
 * else is refused (-EOPNOTSUPP: KVM_EXIT_INTERNAL_ERROR, emulation), never
 * guessed.
 *
 * An instruction is executed on a copy of the registers; the copy is
 * made the vCPU's only once the instruction completed, after its memory
 * writes (which come last, each checked before it is done): a fault or an
 * exit half-way leaves the vCPU as it was.  Real-mode linear addresses
 * are guest-physical ones (CR0.PG needs CR0.PE), and real mode wraps them
 * at 4 GiB.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <asm/trapnr.h>
#include "vmx/vmx.h"
#include "x86/emulate.h"

#define RMX_NR_GPRS	8
#define RMX_IP_MASK16	0xffffu
#define RMX_FLAGS16	0xffffu
/* the arithmetic flags, and those POPF (at CPL 0, real mode) may load */
#define RMX_ARITH	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF | X86_EFLAGS_OF)
#define RMX_POPF_BITS	(RMX_ARITH | X86_EFLAGS_TF | X86_EFLAGS_IF | \
			 X86_EFLAGS_DF | X86_EFLAGS_IOPL | X86_EFLAGS_NT | \
			 X86_EFLAGS_AC | X86_EFLAGS_ID)
/* AH's bits SAHF loads into FLAGS, and LAHF reads */
#define RMX_SAHF_BITS	(X86_EFLAGS_CF | X86_EFLAGS_PF | X86_EFLAGS_AF | \
			 X86_EFLAGS_ZF | X86_EFLAGS_SF)
#define RMX_BYTE_BITS	8
#define RMX_AH_SHIFT	8
#define RMX_NR_CC	16	/* condition codes of Jcc */
#define RMX_DR7_GD	BIT(13)	/* DR7's general detect (exit.c's DR7_GD) */

/* Internal results besides an exit handler's 0 and 1. */
#define RMX_FAULT	(-EAGAIN)	/* a guest exception queued */
#define RMX_MMIO	(-ENXIO)	/* an operand not in guest RAM */
#define RMX_NOT_MINE	(-ENOENT)	/* for x86/emulate.c */

/* Opcodes interpreted here */
#define OPX_ESC		0x0f
#define OPX_INS		0x6c	/* INS, OUTS: 6C-6F */
#define OPX_OUTS_LAST	0x6f
#define OPX_IN_IMM	0xe4	/* IN, OUT with an imm8 port: E4-E7 */
#define OPX_OUT_IMM_LAST 0xe7
#define OPX_IN_DX	0xec	/* IN, OUT with port DX: EC-EF */
#define OPX_OUT_DX_LAST	0xef
#define OPX_HLT		0xf4
#define OPX_INT		0xcd
#define OPX_PUSH_ES	0x06	/* 06, 0E, 16, 1E: PUSH ES, CS, SS, DS */
#define OPX_POP_ES	0x07	/* 07, 17, 1F: POP ES, SS, DS */
#define OPX_SEG_ROW	3	/* the segment of 06-1F: opcode >> 3 */
#define OPX_SEG_LAST	0x1f
#define OPX_PUSH_R	0x50
#define OPX_POP_R	0x58
#define OPX_PUSHA	0x60
#define OPX_POPA	0x61
#define OPX_PUSH_IMM	0x68
#define OPX_PUSH_IMM8	0x6a
#define OPX_JCC8	0x70
#define OPX_CBW		0x98
#define OPX_CWD		0x99
#define OPX_CALL_FAR	0x9a
#define OPX_PUSHF	0x9c
#define OPX_POPF	0x9d
#define OPX_SAHF	0x9e
#define OPX_LAHF	0x9f
#define OPX_RET_I	0xc2
#define OPX_RET		0xc3
#define OPX_LEAVE	0xc9
#define OPX_RETF_I	0xca
#define OPX_RETF	0xcb
#define OPX_INT3	0xcc
#define OPX_INTO	0xce
#define OPX_IRET	0xcf
#define OPX_LOOPNE	0xe0
#define OPX_LOOPE	0xe1
#define OPX_LOOP	0xe2
#define OPX_JCXZ	0xe3
#define OPX_CALL	0xe8
#define OPX_JMP		0xe9
#define OPX_JMP_FAR	0xea
#define OPX_JMP8	0xeb
#define OPX_CMC		0xf5
#define OPX_CLC		0xf8
#define OPX_STC		0xf9
#define OPX_CLI		0xfa
#define OPX_STI		0xfb
#define OPX_CLD		0xfc
#define OPX_STD		0xfd
/* two-byte opcodes */
#define OPX2_GRP7	0x01
#define OPX2_CLTS	0x06
#define OPX2_INVD	0x08
#define OPX2_WBINVD	0x09
#define OPX2_MOV_FROM_CR 0x20
#define OPX2_MOV_TO_CR	0x22
#define OPX2_WRMSR	0x30
#define OPX2_RDMSR	0x32
#define OPX2_JCC	0x80
#define OPX2_PUSH_FS	0xa0
#define OPX2_POP_FS	0xa1
#define OPX2_CPUID	0xa2
#define OPX2_PUSH_GS	0xa8
#define OPX2_POP_GS	0xa9
#define OPX2_RSM	0xaa

/**
 * struct rmx - one instruction being interpreted.
 * @vcpu:	the vCPU
 * @rm:		its real-mode state: the guest's segments
 * @b:		the instruction bytes from CS:IP
 * @avail:	how many of @b were fetched (stopped at the end of guest RAM)
 * @room:	how many of them are within CS's limit (past it: #GP)
 * @pos:	decode position in @b
 * @o32:	32-bit operands (66 prefix)
 * @a32:	32-bit addresses (67 prefix)
 * @gpr:	the registers, committed when the instruction completes
 * @ip0:	IP (EIP) of the instruction
 * @ip:		with @jumped, the IP a jump goes to (else the next
 *		instruction's, next_ip())
 * @jumped:	the instruction sets IP
 * @flags:	FLAGS, committed with @gpr
 * @load:	segment registers the instruction loads (bit per enum
 *		vtx_sreg), with the selectors @sel
 * @sel:	those selectors
 * @sti:	STI set IF: interrupts wait one instruction
 * @mov_ss:	MOV SS or POP SS: interrupts wait one instruction
 * @iret:	IRET: NMIs are unblocked
 * @mmio:	an operand is not in guest RAM: @mmio_gpa, @mmio_write
 * @mmio_gpa:	its address
 * @mmio_write:	... written
 */
struct rmx {
	struct vtx_vcpu *vcpu;
	struct vmx_rmode *rm;
	u8 b[VTX_EMU_MAX_INSN];
	unsigned int avail, room, pos;
	bool o32, a32;
	unsigned long gpr[RMX_NR_GPRS];
	u32 ip0, ip;
	bool jumped;
	unsigned long flags;
	u8 load;
	u16 sel[VTX_SREG_GS + 1];
	bool sti, mov_ss, iret;
	bool mmio;
	u64 mmio_gpa;
	bool mmio_write;
};

static int rmx_fault(struct rmx *x, int vector)
{
	vtx_queue_exception(x->vcpu, vector, vector == X86_TRAP_GP ||
			    vector == X86_TRAP_SS, 0);
	return RMX_FAULT;
}

/* The next @n bytes of the instruction, little-endian. */
static int rmx_fetch(struct rmx *x, unsigned int n, u32 *val)
{
	u32 v = 0;

	*val = 0;
	/* longer than 15 bytes, or past CS's limit: #GP(0) */
	if (x->pos + n > x->room)
		return rmx_fault(x, X86_TRAP_GP);
	if (x->pos + n > x->avail)
		return -EOPNOTSUPP;
	memcpy(&v, x->b + x->pos, n);
	x->pos += n;
	*val = v;
	return 0;
}

static int rmx_fetch_s8(struct rmx *x, u32 *val)
{
	int r = rmx_fetch(x, 1, val);

	*val = (u32)(s32)(s8)*val;
	return r;
}

/* An immediate of the operand size (16 or 32 bits). */
static int rmx_fetch_imm(struct rmx *x, u32 *val)
{
	return rmx_fetch(x, x->o32 ? 4 : 2, val);
}

static unsigned int opbytes(const struct rmx *x)
{
	return x->o32 ? 4 : 2;
}

/* IP after the bytes decoded so far: the return address of a CALL. */
static u32 next_ip(const struct rmx *x)
{
	return (x->ip0 + x->pos) & (x->o32 ? U32_MAX : RMX_IP_MASK16);
}

static u32 reg_get(const struct rmx *x, unsigned int r, unsigned int bytes)
{
	return bytes == 4 ? (u32)x->gpr[r] : (u16)x->gpr[r];
}

/* A 16- or 32-bit register; a 32-bit write clears nothing above. */
static void reg_set(struct rmx *x, unsigned int r, unsigned int bytes,
		    u32 val)
{
	unsigned long m = bytes == 4 ? U32_MAX : RMX_IP_MASK16;

	x->gpr[r] = (x->gpr[r] & ~m) | (val & m);
}

static void rmx_mmio(struct rmx *x, u64 gpa, bool write)
{
	x->mmio = true;
	x->mmio_gpa = gpa;
	x->mmio_write = write;
}

/*
 * Every page of @len bytes at linear @lin is writable guest RAM (not a
 * read-only slot): checked before any byte is written, so that a write
 * the MMIO emulator redoes whole was not half done here.
 */
static bool rmx_writable(struct rmx *x, u32 lin, unsigned int len)
{
	u64 gpa = lin & PAGE_MASK;
	u64 end = (u64)lin + len;

	for (; gpa < end; gpa += PAGE_SIZE)
		if (!vtx_gpa_is_ram(x->vcpu->vm, vtx_vcpu_as(x->vcpu), gpa))
			return false;
	return true;
}

/* Guest RAM at linear (= physical) @lin, or RMX_MMIO. */
static int rmx_access(struct rmx *x, u32 lin, void *buf, unsigned int len,
		      bool write)
{
	int r;

	if (write)
		r = rmx_writable(x, lin, len) ?
		    vtx_vcpu_write_guest_phys(x->vcpu, lin, buf, len) :
		    -EFAULT;
	else
		r = vtx_vcpu_read_guest_phys(x->vcpu, lin, buf, len);
	if (r) {
		rmx_mmio(x, lin, write);
		return RMX_MMIO;
	}
	return 0;
}

/*
 * @len bytes at @seg:@off, the guest's limit checked (#SS for the stack
 * segment, else #GP); not in guest RAM: RMX_MMIO.
 */
static int rmx_mem(struct rmx *x, int seg, u32 off, void *buf,
		   unsigned int len, bool write)
{
	const struct kvm_segment *s = &x->rm->segs[seg];

	if ((u64)off + len - 1 > s->limit)
		return rmx_fault(x, seg == VTX_SREG_SS ? X86_TRAP_SS :
					X86_TRAP_GP);
	return rmx_access(x, (u32)(s->base + off), buf, len, write);
}

/* The stack: SP, or ESP when SS is a 32-bit one (SS.B). */
static u32 sp_mask(const struct rmx *x)
{
	return x->rm->segs[VTX_SREG_SS].db ? U32_MAX : RMX_IP_MASK16;
}

static u32 sp_get(const struct rmx *x)
{
	return x->gpr[VTX_RSP] & sp_mask(x);
}

static void sp_set(struct rmx *x, u32 sp)
{
	x->gpr[VTX_RSP] = (x->gpr[VTX_RSP] & ~(unsigned long)sp_mask(x)) |
			  (sp & sp_mask(x));
}

/* Push @n values of @bytes each, checked before any is written. */
static int rmx_push_n(struct rmx *x, const u32 *vals, unsigned int n,
		      unsigned int bytes)
{
	const struct kvm_segment *ss = &x->rm->segs[VTX_SREG_SS];
	u32 sp = sp_get(x), off;
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		off = (sp - (i + 1) * bytes) & sp_mask(x);
		if ((u64)off + bytes - 1 > ss->limit)
			return rmx_fault(x, X86_TRAP_SS);
		if (!rmx_writable(x, (u32)(ss->base + off), bytes)) {
			rmx_mmio(x, (u32)(ss->base + off), true);
			return RMX_MMIO;
		}
	}
	for (i = 0; i < n; i++) {
		sp = (sp - bytes) & sp_mask(x);
		r = rmx_mem(x, VTX_SREG_SS, sp, (void *)&vals[i], bytes, true);
		if (r)
			return r;
	}
	sp_set(x, sp);
	return 0;
}

static int rmx_push(struct rmx *x, u32 val, unsigned int bytes)
{
	return rmx_push_n(x, &val, 1, bytes);
}

/* Pop @n values of @bytes each (SP moves on commit of the copy). */
static int rmx_pop_n(struct rmx *x, u32 *vals, unsigned int n,
		     unsigned int bytes)
{
	u32 sp = sp_get(x);
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		vals[i] = 0;
		r = rmx_mem(x, VTX_SREG_SS, sp, &vals[i], bytes, false);
		if (r)
			return r;
		sp = (sp + bytes) & sp_mask(x);
	}
	sp_set(x, sp);
	return 0;
}

static int rmx_pop(struct rmx *x, u32 *val, unsigned int bytes)
{
	return rmx_pop_n(x, val, 1, bytes);
}

/* @target of a jump is past CS's limit: #GP(0) (else 0). */
static int check_target(struct rmx *x, u32 target)
{
	if (!x->o32)
		target &= RMX_IP_MASK16;
	if (target > x->rm->segs[VTX_SREG_CS].limit)
		return rmx_fault(x, X86_TRAP_GP);
	return 0;
}

/* A near jump to @target, within CS's limit (else #GP). */
static int jump(struct rmx *x, u32 target)
{
	int r = check_target(x, target);

	if (r)
		return r;
	x->ip = x->o32 ? target : target & RMX_IP_MASK16;
	x->jumped = true;
	return 0;
}

static int jump_rel(struct rmx *x, u32 rel)
{
	return jump(x, next_ip(x) + rel);
}

/*
 * A far jump: CS loaded the real-mode way, at IP @off.  A real-mode load
 * keeps CS's limit: @off past it is #GP(0), nothing loaded.
 */
static int jump_far(struct rmx *x, u16 sel, u32 off)
{
	int r = check_target(x, off);

	if (r)
		return r;
	x->load |= BIT(VTX_SREG_CS);
	x->sel[VTX_SREG_CS] = sel;
	x->ip = x->o32 ? off : off & RMX_IP_MASK16;
	x->jumped = true;
	return 0;
}

static void load_seg(struct rmx *x, int seg, u16 sel)
{
	x->load |= BIT(seg);
	x->sel[seg] = sel;
	if (seg == VTX_SREG_SS)
		x->mov_ss = true;
}

/* A far CALL to @sel:@off: CS and IP pushed once the target passed. */
static int call_far(struct rmx *x, u16 sel, u32 off)
{
	u32 ret[2] = { x->rm->segs[VTX_SREG_CS].selector, next_ip(x) };
	int r = check_target(x, off);

	if (!r)
		r = rmx_push_n(x, ret, 2, opbytes(x));
	return r ? r : jump_far(x, sel, off);
}

/* IRET, RETF: IP, CS (and FLAGS) off the stack. */
static int far_return(struct rmx *x, bool iret, u32 extra)
{
	unsigned int bytes = opbytes(x);
	u32 v[3];
	int r = rmx_pop_n(x, v, iret ? 3 : 2, bytes);

	if (r)
		return r;
	/* real mode's IRET: an EIP above 64K is #GP(0) (the SDM's IRET) */
	if (iret && (v[0] & ~RMX_IP_MASK16))
		return rmx_fault(x, X86_TRAP_GP);
	sp_set(x, sp_get(x) + extra);
	if (iret) {
		unsigned long keep = bytes == 4 ? ~(unsigned long)U32_MAX :
						  ~(unsigned long)RMX_FLAGS16;

		v[2] = (v[2] & RMX_POPF_BITS) | X86_EFLAGS_FIXED;
		x->flags = (x->flags & keep) | (v[2] & ~keep);
	}
	return jump_far(x, v[1], v[0]);
}

/* A software exception at the instruction, after it (INT3, INTO). */
static int soft_exception(struct rmx *x, int vector)
{
	vtx_queue_exception(x->vcpu, vector, false, 0);
	x->vcpu->event.type = VTX_EVENT_SOFT_EXC;
	x->vcpu->event.insn_len = x->pos;
	return RMX_FAULT;
}

/* 0F xx interpreted here: Jcc rel16/32, PUSH/POP FS/GS, CPUID. */
static int two_byte(struct rmx *x)
{
	unsigned int bytes = opbytes(x);
	u32 op, v, rel, regs[4];
	int r = rmx_fetch(x, 1, &op);

	if (r)
		return r;
	if (op >= OPX2_JCC && op < OPX2_JCC + RMX_NR_CC) {
		r = rmx_fetch_imm(x, &rel);
		if (r || !vtx_emu_condition(op - OPX2_JCC, x->flags))
			return r;
		return jump_rel(x, x->o32 ? rel : (u32)(s32)(s16)rel);
	}
	switch (op) {
	case OPX2_PUSH_FS:
	case OPX2_PUSH_GS:
		return rmx_push(x, x->rm->segs[op == OPX2_PUSH_FS ?
					       VTX_SREG_FS :
					       VTX_SREG_GS].selector, bytes);
	case OPX2_POP_FS:
	case OPX2_POP_GS:
		r = rmx_pop(x, &v, bytes);
		if (!r)
			load_seg(x, op == OPX2_POP_FS ? VTX_SREG_FS :
							VTX_SREG_GS, v);
		return r;
	case OPX2_CPUID:
		vtx_cpuid_lookup(x->vcpu, x->gpr[VTX_RAX], x->gpr[VTX_RCX],
				 regs);
		x->gpr[VTX_RAX] = regs[0];
		x->gpr[VTX_RBX] = regs[1];
		x->gpr[VTX_RCX] = regs[2];
		x->gpr[VTX_RDX] = regs[3];
		return 0;
	}
	return RMX_NOT_MINE;
}

/* LOOP, LOOPE, LOOPNE, JCXZ: rCX at the address size. */
static int loop(struct rmx *x, u8 op)
{
	u32 am = x->a32 ? U32_MAX : RMX_IP_MASK16;
	u32 cnt = x->gpr[VTX_RCX] & am, rel;
	bool take;
	int r = rmx_fetch_s8(x, &rel);

	if (r)
		return r;
	if (op == OPX_JCXZ) {
		take = !cnt;
	} else {
		cnt = (cnt - 1) & am;
		x->gpr[VTX_RCX] = (x->gpr[VTX_RCX] & ~(unsigned long)am) | cnt;
		take = cnt && (op == OPX_LOOP ||
			       !!(x->flags & X86_EFLAGS_ZF) == (op == OPX_LOOPE));
	}
	return take ? jump_rel(x, rel) : 0;
}

/* The stack instructions of registers, immediates and FLAGS. */
static int stack_op(struct rmx *x, u8 op)
{
	unsigned int bytes = opbytes(x), i;
	u32 v, w, vals[RMX_NR_GPRS];
	int r;

	switch (op) {
	case OPX_PUSH_R ... OPX_PUSH_R + 7:
		return rmx_push(x, reg_get(x, op & 7, bytes), bytes);
	case OPX_POP_R ... OPX_POP_R + 7:
		r = rmx_pop(x, &v, bytes);
		if (!r)
			reg_set(x, op & 7, bytes, v);
		return r;
	case OPX_PUSHA:
		for (i = 0; i < RMX_NR_GPRS; i++)
			vals[i] = reg_get(x, i, bytes);
		return rmx_push_n(x, vals, RMX_NR_GPRS, bytes);
	case OPX_POPA:
		r = rmx_pop_n(x, vals, RMX_NR_GPRS, bytes);
		if (r)
			return r;
		/* DI first, AX last; the saved SP is skipped */
		for (i = 0; i < RMX_NR_GPRS; i++)
			if (RMX_NR_GPRS - 1 - i != VTX_RSP)
				reg_set(x, RMX_NR_GPRS - 1 - i, bytes, vals[i]);
		return 0;
	case OPX_PUSH_IMM:
	case OPX_PUSH_IMM8:
		r = op == OPX_PUSH_IMM ? rmx_fetch_imm(x, &v) :
					 rmx_fetch_s8(x, &v);
		return r ? r : rmx_push(x, v, bytes);
	case OPX_PUSHF:
		return rmx_push(x, (x->flags & ~X86_EFLAGS_VM &
				    ~X86_EFLAGS_RF), bytes);
	case OPX_POPF:
		r = rmx_pop(x, &v, bytes);
		if (r)
			return r;
		/* IF set by POPF has no interrupt shadow (STI's only) */
		w = bytes == 4 ? RMX_POPF_BITS : RMX_POPF_BITS & RMX_FLAGS16;
		x->flags = (x->flags & ~(unsigned long)w) | (v & w) |
			   X86_EFLAGS_FIXED;
		return 0;
	case OPX_LEAVE:
		/* SP = BP, then POP BP (at SS.B's width) */
		sp_set(x, x->gpr[VTX_RBP]);
		r = rmx_pop(x, &v, bytes);
		if (!r)
			reg_set(x, VTX_RBP, bytes, v);
		return r;
	case OPX_RET_I:
	case OPX_RET:
		w = 0;
		r = op == OPX_RET_I ? rmx_fetch(x, 2, &w) : 0;
		if (!r)
			r = rmx_pop(x, &v, bytes);
		if (r)
			return r;
		sp_set(x, sp_get(x) + w);
		return jump(x, v);
	}
	/* PUSH ES, CS, SS, DS; POP ES, SS, DS (POP CS is no instruction) */
	if ((op & 7) == OPX_PUSH_ES)
		return rmx_push(x, x->rm->segs[op >> OPX_SEG_ROW].selector,
				bytes);
	if (op >> OPX_SEG_ROW == VTX_SREG_CS)
		return RMX_NOT_MINE;
	r = rmx_pop(x, &v, bytes);
	if (!r)
		load_seg(x, op >> OPX_SEG_ROW, v);
	return r;
}

/*
 * The instructions that are real mode's own: branches, far transfers,
 * the stack of registers and FLAGS, the flag instructions; RMX_NOT_MINE
 * for the others (x86/emulate.c's).
 */
static int control(struct rmx *x, u8 op)
{
	unsigned int bytes = opbytes(x);
	u32 v, w;
	int r;

	switch (op) {
	case OPX_ESC:
		return two_byte(x);
	case OPX_PUSH_ES:
	case OPX_PUSH_ES + 8:
	case OPX_PUSH_ES + 16:
	case OPX_PUSH_ES + 24:
	case OPX_POP_ES:
	case OPX_POP_ES + 16:
	case OPX_POP_ES + 24:
	case OPX_PUSH_R ... OPX_POPA:
	case OPX_PUSH_IMM:
	case OPX_PUSH_IMM8:
	case OPX_PUSHF:
	case OPX_POPF:
	case OPX_LEAVE:
	case OPX_RET_I:
	case OPX_RET:
		return stack_op(x, op);
	case OPX_JCC8 ... OPX_JCC8 + RMX_NR_CC - 1:
		r = rmx_fetch_s8(x, &v);
		if (r || !vtx_emu_condition(op - OPX_JCC8, x->flags))
			return r;
		return jump_rel(x, v);
	case OPX_CBW:
		v = reg_get(x, VTX_RAX, bytes);
		reg_set(x, VTX_RAX, bytes, bytes == 4 ? (u32)(s32)(s16)v :
							(u32)(s16)(s8)v);
		return 0;
	case OPX_CWD:
		v = reg_get(x, VTX_RAX, bytes);
		reg_set(x, VTX_RDX, bytes,
			v & BIT(bytes * RMX_BYTE_BITS - 1) ? U32_MAX : 0);
		return 0;
	case OPX_CALL_FAR:
	case OPX_JMP_FAR:
		r = rmx_fetch_imm(x, &v);
		if (!r)
			r = rmx_fetch(x, 2, &w);
		if (r)
			return r;
		return op == OPX_CALL_FAR ? call_far(x, w, v) :
					    jump_far(x, w, v);
	case OPX_SAHF:
		x->flags = (x->flags & ~RMX_SAHF_BITS) |
			   ((x->gpr[VTX_RAX] >> RMX_AH_SHIFT) & RMX_SAHF_BITS);
		return 0;
	case OPX_LAHF:
		v = (x->flags & RMX_SAHF_BITS) | X86_EFLAGS_FIXED;
		x->gpr[VTX_RAX] = (x->gpr[VTX_RAX] &
				   ~((unsigned long)U8_MAX << RMX_AH_SHIFT)) |
				  ((unsigned long)v << RMX_AH_SHIFT);
		return 0;
	case OPX_RETF_I:
	case OPX_RETF:
		w = 0;
		r = op == OPX_RETF_I ? rmx_fetch(x, 2, &w) : 0;
		return r ? r : far_return(x, false, w);
	case OPX_INT3:
		return soft_exception(x, X86_TRAP_BP);
	case OPX_INTO:
		return x->flags & X86_EFLAGS_OF ?
		       soft_exception(x, X86_TRAP_OF) : 0;
	case OPX_IRET:
		x->iret = true;
		return far_return(x, true, 0);
	case OPX_LOOPNE ... OPX_JCXZ:
		return loop(x, op);
	case OPX_CALL:
	case OPX_JMP:
		r = rmx_fetch_imm(x, &v);
		if (r)
			return r;
		v = next_ip(x) + (x->o32 ? v : (u32)(s32)(s16)v);
		/* the target checked before the push (as KVM's em_call) */
		r = check_target(x, v);
		if (!r && op == OPX_CALL)
			r = rmx_push(x, next_ip(x), bytes);
		return r ? r : jump(x, v);
	case OPX_JMP8:
		r = rmx_fetch_s8(x, &v);
		return r ? r : jump_rel(x, v);
	case OPX_CMC:
		x->flags ^= X86_EFLAGS_CF;
		return 0;
	case OPX_CLC:
	case OPX_STC:
		x->flags = (x->flags & ~X86_EFLAGS_CF) |
			   (op == OPX_STC ? X86_EFLAGS_CF : 0);
		return 0;
	case OPX_CLI:
		x->flags &= ~X86_EFLAGS_IF;
		return 0;
	case OPX_STI:
		if (!(x->flags & X86_EFLAGS_IF))
			x->sti = true;
		x->flags |= X86_EFLAGS_IF;
		return 0;
	case OPX_CLD:
	case OPX_STD:
		x->flags = (x->flags & ~X86_EFLAGS_DF) |
			   (op == OPX_STD ? X86_EFLAGS_DF : 0);
		return 0;
	}
	return RMX_NOT_MINE;
}

/* x86/emulate.c's accesses besides the one it asks of the caller. */
static int emu_read_mem(void *opaque, u64 linear, void *buf, unsigned int len)
{
	int r = rmx_access(opaque, linear, buf, len, false);

	return r == RMX_MMIO ? VTX_EMU_OPS_MMIO : r;
}

static int emu_write_mem(void *opaque, u64 linear, const void *buf,
			 unsigned int len)
{
	int r = rmx_access(opaque, linear, (void *)buf, len, true);

	return r == RMX_MMIO ? VTX_EMU_OPS_MMIO : r;
}

/* The guest's own segments: limits and attributes of big real mode. */
static int emu_get_seg(void *opaque, unsigned int seg,
		       struct vtx_emu_segdesc *s)
{
	const struct rmx *x = opaque;
	const struct kvm_segment *var;

	if (seg > VTX_SREG_GS)
		return -EINVAL;
	var = &x->rm->segs[seg];
	s->selector = var->selector;
	s->limit = var->limit;
	s->type = var->type;
	s->db = var->db;
	s->unusable = var->unusable || !var->present;
	return 0;
}

static const struct vtx_emu_ops rmx_emu_ops = {
	.read_mem = emu_read_mem,
	.write_mem = emu_write_mem,
	.get_seg = emu_get_seg,
};

/* x86/emulate.c's failure: the guest's exception, the MMIO path, or not. */
static int emu_failed(struct rmx *x, const struct vtx_emu *e)
{
	if (e->gp_fault)
		return rmx_fault(x, X86_TRAP_GP);
	if (e->ss_fault)
		return rmx_fault(x, X86_TRAP_SS);
	if (e->ud_fault)
		return rmx_fault(x, X86_TRAP_UD);
	if (e->nm_fault)
		return rmx_fault(x, X86_TRAP_NM);
	if (e->de_fault)
		return rmx_fault(x, X86_TRAP_DE);
	return x->mmio ? RMX_MMIO : -EOPNOTSUPP;
}

/*
 * A far JMP or CALL through memory, LxS, MOV Sreg, once x86/emulate.c
 * completed it: the real-mode load, the target within CS's limit.
 */
static int emu_far(struct rmx *x, struct vtx_emu *e)
{
	int r;

	if (e->far_jmp) {
		r = check_target(x, e->rip);
		if (r)
			return r;
		if (e->far_call && vtx_emu_far_call_push(e))
			return emu_failed(x, e);
		x->load |= BIT(VTX_SREG_CS);
		x->sel[VTX_SREG_CS] = e->load_sel;
	}
	if (e->seg_load) {
		if (e->load_seg > VTX_SREG_GS)
			return -EOPNOTSUPP;
		load_seg(x, e->load_seg, e->load_sel);
		/* LSS has no interrupt shadow: MOV SS only (and POP SS) */
		x->mov_ss = e->mov_ss;
	}
	return 0;
}

/*
 * The data instructions: x86/emulate.c's decoder and ALU (@interp), on
 * the copy of the registers, its accesses done in guest RAM.
 */
static int emu_insn(struct rmx *x)
{
	struct vtx_emu e = {
		.rip = x->ip0,
		.rflags = x->flags,
		.mode = 16,
		.insn_len_avail = x->avail,
		.stack_bytes = x->rm->segs[VTX_SREG_SS].db ? 4 : 2,
		.cr0 = vtx_get_cr0(x->vcpu),
		.cr4 = x->vcpu->cr4,
		.features = vtx_emu_features(x->vcpu),
		.ops = &rmx_emu_ops,
		.opaque = x,
		.interp = true,
	};
	u64 val;
	int i, r;

	for (i = 0; i < RMX_NR_GPRS; i++)
		e.gpr[i] = x->gpr[i];
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++)
		e.seg_base[i] = x->rm->segs[i].base;
	memcpy(e.insn, x->b, sizeof(e.insn));
	r = vtx_emu_decode(&e);
	if (e.len > x->room)	/* past CS's limit */
		return rmx_fault(x, X86_TRAP_GP);
	if (r)
		return emu_failed(x, &e);
	do {
		val = 0;
		if (e.access_bytes > sizeof(val))
			return -EOPNOTSUPP;
		if (e.access_bytes) {
			r = rmx_access(x, e.linear, e.is_write ? &e.write_val :
				       (void *)&val, e.access_bytes,
				       e.is_write);
			if (r)
				return r;
		}
		r = vtx_emu_complete(&e, val);
	} while (r == 1);
	if (r)
		return emu_failed(x, &e);
	r = emu_far(x, &e);
	if (r)
		return r;
	for (i = 0; i < RMX_NR_GPRS; i++)
		x->gpr[i] = e.gpr[i];
	x->flags = e.rflags;
	x->ip = e.rip;
	x->jumped = true;
	return 0;
}

/* Opcodes rmode.c emulates (vtx_rmode_sensitive()). */
static bool sensitive(const struct rmx *x, u8 op)
{
	u8 op2 = x->pos < x->avail ? x->b[x->pos] : 0;

	switch (op) {
	case OPX_HLT:
	case OPX_INT:
	case OPX_INS ... OPX_OUTS_LAST:
	case OPX_IN_IMM ... OPX_OUT_IMM_LAST:
	case OPX_IN_DX ... OPX_OUT_DX_LAST:
		return true;
	case OPX_ESC:
		switch (op2) {
		case OPX2_GRP7:		/* LGDT, LIDT, LMSW, INVLPG */
		case OPX2_CLTS:
		case OPX2_INVD:
		case OPX2_WBINVD:
		case OPX2_MOV_FROM_CR:
		case OPX2_MOV_TO_CR:
		case OPX2_WRMSR:
		case OPX2_RDMSR:
			return true;
		}
	}
	return false;
}

/*
 * The single-step trap of an instruction run with TF set: #DB with
 * DR6.BS, as the processor's (exit.c's queue_db()).
 */
static void step_trap(struct vtx_vcpu *vcpu)
{
	vcpu->dr6 = (vcpu->dr6 & ~DR_TRAP_BITS) | DR_STEP | DR6_RESERVED;
	if (vcpu->dr7 & RMX_DR7_GD)
		vmx_set_dr7(vcpu, vcpu->dr7 & ~RMX_DR7_GD);
	vtx_queue_exception(vcpu, X86_TRAP_DB, false, 0);
}

/* The instruction's results made the vCPU's. */
static void commit(struct rmx *x)
{
	struct vtx_vcpu *vcpu = x->vcpu;
	bool tf = vmx_rflags(vcpu) & X86_EFLAGS_TF;
	u32 intr;
	int i;

	for (i = 0; i < RMX_NR_GPRS; i++)
		vtx_reg_write(vcpu, i, x->gpr[i]);
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++)
		if (x->load & BIT(i))
			vtx_rmode_load_seg(vcpu, i, x->sel[i]);
	vmx_set_rflags(vcpu, x->flags);
	vmx_set_rip(vcpu, x->ip);
	/* as the processor's IRET, and KVM's emulate_iret_real() */
	if (x->iret)
		vtx_x86_ops.set_nmi_mask(vcpu, false);
	/*
	 * The STI or MOV SS shadow, not under TF: VM entry would then want
	 * a pending single-step trap (as mmio.c); the trap is delivered now
	 * instead, MOV SS's too.
	 */
	intr = vmx_intr_state(vcpu) & ~(GUEST_INTR_STATE_STI |
					GUEST_INTR_STATE_MOV_SS);
	if (!(x->flags & X86_EFLAGS_TF) && !tf) {
		if (x->mov_ss)
			intr |= GUEST_INTR_STATE_MOV_SS;
		else if (x->sti)
			intr |= GUEST_INTR_STATE_STI;
	}
	vmx_set_intr_state(vcpu, intr);
	if (unlikely(vcpu->guest_debug & KVM_GUESTDBG_SINGLESTEP))
		vmx_debug_step_done(vcpu);
	else if (tf)
		step_trap(vcpu);
}

/*
 * The instruction touched a device: the MMIO emulator does it whole
 * (x86/mmio.c), from the VMCS's bases, the guest's own while it runs
 * here (rmode.c).
 */
static int to_mmio(struct rmx *x)
{
	struct vtx_mmio_fault f = {
		.gpa = x->mmio_gpa,
		.linear = x->mmio_gpa,
		.linear_valid = true,
		.write = x->mmio_write,
	};
	int r, srcu;

	srcu = srcu_read_lock(&x->vcpu->vm->srcu);
	r = vtx_handle_mmio(x->vcpu, &f);
	srcu_read_unlock(&x->vcpu->vm->srcu, srcu);
	return r;
}

/**
 * vtx_rmemu_step() - interpret the real-mode instruction at CS:IP.
 * @vcpu:	the loaded vCPU, in vm86 (rmode.c), by its thread
 *
 * Return: 1 when it completed or raised an exception (queued, delivered
 * through the IVT before the next instruction), 0 with kvm_run filled (an
 * I/O or MMIO exit, RSM's emulation failure, HLT), or -EOPNOTSUPP for an
 * instruction not interpreted here (nothing changed).
 */
int vtx_rmemu_step(struct vtx_vcpu *vcpu)
{
	struct rmx x = { .vcpu = vcpu, .rm = &to_vmx(vcpu)->rmode,
			 .ip0 = vmx_rip(vcpu) };
	const struct kvm_segment *cs = &x.rm->segs[VTX_SREG_CS];
	struct vtx_emu_prefixes p;
	struct kvm_segment tmp;
	u32 ip = x.ip0, op;
	int i, r;

	/* the selectors the guest loaded in vm86 since */
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++)
		vtx_rmode_get_segment(vcpu, &tmp, i);
	if (ip > cs->limit) {
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	x.room = min_t(u64, (u64)cs->limit - ip + 1, sizeof(x.b));
	/* what of the 15 bytes is RAM, byte by byte (a ROM edge, say) */
	x.avail = sizeof(x.b);
	if (vtx_vcpu_read_guest_phys(vcpu, (u32)(cs->base + ip), x.b,
				     x.avail))
		for (x.avail = 0; x.avail < sizeof(x.b); x.avail++)
			if (vtx_vcpu_read_guest_phys(vcpu,
						     (u32)(cs->base + ip +
							   x.avail),
						     x.b + x.avail, 1))
				break;
	for (i = 0; i < RMX_NR_GPRS; i++)
		x.gpr[i] = vtx_reg_read(vcpu, i);
	x.flags = vmx_rflags(vcpu);

	if (vtx_emu_prefixes(x.b, min(x.avail, x.room), 16, &p)) {
		/* the prefixes run past CS's limit, or 15 bytes: #GP(0) */
		if (x.room > x.avail)
			return -EOPNOTSUPP;
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	x.pos = p.len;
	x.o32 = p.opsize;
	x.a32 = p.adsize;
	r = rmx_fetch(&x, 1, &op);
	if (r)
		return r == RMX_FAULT ? 1 : r;
	if (sensitive(&x, op))
		return vtx_rmode_sensitive(vcpu);
	if (op == OPX_ESC && x.pos < x.avail && x.b[x.pos] == OPX2_RSM) {
		/*
		 * vtx_smm_rsm() takes only an unprefixed RSM (-ENOENT
		 * otherwise): a prefixed one is #UD, as vtx_handle_ud()'s.
		 */
		r = vcpu->smm ? vtx_smm_rsm(vcpu) : -ENOENT;
		if (r != -ENOENT)
			return r;
		vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
		return 1;
	}
	r = control(&x, op);
	if (r == RMX_NOT_MINE) {
		x.pos = 0;
		r = emu_insn(&x);
	}
	if (!x.jumped)
		x.ip = next_ip(&x);
	switch (r) {
	case 0:
		break;
	case RMX_FAULT:
		return 1;
	case RMX_MMIO:
		return to_mmio(&x);
	default:
		return r;
	}
	commit(&x);
	return 1;
}
