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
 * both cases, with the whole x86 emulator.  This one knows the
 * instructions of real-mode firmware and SMM handler code: moves, ALU
 * and shift operations, INC, DEC, NOT, NEG, MUL, IMUL, DIV, IDIV, the
 * stack, near and far jumps, calls and returns, conditional jumps and
 * LOOP, IRET, the flag instructions, MOV to and from segment registers,
 * LEA, XLAT, the string instructions (MOVS, STOS, LODS, CMPS, SCAS),
 * CPUID, RSM, and (rmode.c's) the sensitive ones: HLT, INT n,
 * IN/OUT/INS/OUTS, MOV CR, LGDT, LIDT, LMSW, CLTS, INVD, WBINVD, INVLPG,
 * RDMSR, WRMSR.  An operand outside guest RAM goes to the MMIO emulator
 * (x86/mmio.c) as a device access.  Anything else is refused
 * (-EOPNOTSUPP: KVM_EXIT_INTERNAL_ERROR, emulation), never guessed.
 *
 * An instruction is decoded and executed on a copy of the registers; the
 * copy is made the vCPU's only once the instruction completed, after its
 * memory writes (which come last, and each is checked before any is
 * done): a fault or an exit half-way leaves the vCPU as it was.
 * Real-mode linear addresses are guest-physical ones (CR0.PG needs
 * CR0.PE), and real mode wraps them at 4 GiB.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <asm/trapnr.h>
#include "vmx/vmx.h"
#include "x86/emulate.h"

#define RMX_NR_GPRS	8
#define RMX_SEG_SHIFT	4
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
#define RMX_AF_BIT	0x10
#define RMX_SHIFT_MASK	0x1f
#define RMX_BYTE_BITS	8
#define RMX_BYTE_MASK	0xffu
#define RMX_S64_BITS	64
#define RMX_HIGH_BYTES	4	/* AH, CH, DH, BH: byte registers 4-7 */
#define RMX_NR_CC	16	/* condition codes of Jcc, SETcc */
#define RMX_DR7_GD	BIT(13)	/* DR7's general detect (exit.c's DR7_GD) */

/* Internal results besides an exit handler's 0 and 1. */
#define RMX_FAULT	(-EAGAIN)	/* a guest exception queued */
#define RMX_MMIO	(-ENXIO)	/* an operand not in guest RAM */

/* Opcodes */
#define OPX_ESC		0x0f
#define OPX_INS		0x6c	/* INS, OUTS: 6C-6F */
#define OPX_OUTS_LAST	0x6f
#define OPX_IN_IMM	0xe4	/* IN, OUT with an imm8 port: E4-E7 */
#define OPX_OUT_IMM_LAST 0xe7
#define OPX_IN_DX	0xec	/* IN, OUT with port DX: EC-EF */
#define OPX_OUT_DX_LAST	0xef
#define OPX_HLT		0xf4
#define OPX_INT		0xcd
#define OPX_INC_R	0x40
#define OPX_DEC_R	0x48
#define OPX_PUSH_R	0x50
#define OPX_POP_R	0x58
#define OPX_PUSHA	0x60
#define OPX_POPA	0x61
#define OPX_PUSH_IMM	0x68
#define OPX_IMUL_IZ	0x69
#define OPX_PUSH_IMM8	0x6a
#define OPX_IMUL_IB	0x6b
#define OPX_JCC8	0x70
#define OPX_GRP1_B	0x80
#define OPX_GRP1_V	0x81
#define OPX_GRP1_IB	0x83
#define OPX_TEST_B	0x84
#define OPX_TEST_V	0x85
#define OPX_XCHG_B	0x86
#define OPX_XCHG_V	0x87
#define OPX_MOV_EB_GB	0x88
#define OPX_MOV_EV_GV	0x89
#define OPX_MOV_GB_EB	0x8a
#define OPX_MOV_GV_EV	0x8b
#define OPX_MOV_EW_SW	0x8c
#define OPX_LEA		0x8d
#define OPX_MOV_SW_EW	0x8e
#define OPX_POP_EV	0x8f
#define OPX_NOP		0x90
#define OPX_XCHG_AX	0x90	/* 91-97: XCHG rAX, reg */
#define OPX_CBW		0x98
#define OPX_CWD		0x99
#define OPX_CALL_FAR	0x9a
#define OPX_PUSHF	0x9c
#define OPX_POPF	0x9d
#define OPX_SAHF	0x9e
#define OPX_LAHF	0x9f
#define OPX_MOV_AL_MO	0xa0	/* A0-A3: MOV with a moffs */
#define OPX_MOVS_B	0xa4
#define OPX_MOVS_V	0xa5
#define OPX_CMPS_B	0xa6
#define OPX_CMPS_V	0xa7
#define OPX_TEST_AL	0xa8
#define OPX_TEST_AX	0xa9
#define OPX_STOS_B	0xaa
#define OPX_STOS_V	0xab
#define OPX_LODS_B	0xac
#define OPX_LODS_V	0xad
#define OPX_SCAS_B	0xae
#define OPX_SCAS_V	0xaf
#define OPX_MOV_R8_I	0xb0
#define OPX_MOV_R_I	0xb8
#define OPX_GRP2_B_I	0xc0
#define OPX_GRP2_V_I	0xc1
#define OPX_RET_I	0xc2
#define OPX_RET		0xc3
#define OPX_LES		0xc4
#define OPX_LDS		0xc5
#define OPX_MOV_EB_I	0xc6
#define OPX_MOV_EV_I	0xc7
#define OPX_LEAVE	0xc9
#define OPX_RETF_I	0xca
#define OPX_RETF	0xcb
#define OPX_INT3	0xcc
#define OPX_IRET	0xcf
#define OPX_GRP2_B_1	0xd0
#define OPX_GRP2_V_1	0xd1
#define OPX_GRP2_B_CL	0xd2
#define OPX_GRP2_V_CL	0xd3
#define OPX_XLAT	0xd7
#define OPX_LOOPNE	0xe0
#define OPX_LOOPE	0xe1
#define OPX_LOOP	0xe2
#define OPX_JCXZ	0xe3
#define OPX_CALL	0xe8
#define OPX_JMP		0xe9
#define OPX_JMP_FAR	0xea
#define OPX_JMP8	0xeb
#define OPX_CMC		0xf5
#define OPX_GRP3_B	0xf6
#define OPX_GRP3_V	0xf7
#define OPX_CLC		0xf8
#define OPX_STC		0xf9
#define OPX_CLI		0xfa
#define OPX_STI		0xfb
#define OPX_CLD		0xfc
#define OPX_STD		0xfd
#define OPX_GRP4	0xfe
#define OPX_GRP5	0xff
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
#define OPX2_SETCC	0x90
#define OPX2_PUSH_FS	0xa0
#define OPX2_POP_FS	0xa1
#define OPX2_CPUID	0xa2
#define OPX2_PUSH_GS	0xa8
#define OPX2_POP_GS	0xa9
#define OPX2_RSM	0xaa
#define OPX2_LSS	0xb2
#define OPX2_LFS	0xb4
#define OPX2_LGS	0xb5
#define OPX2_IMUL	0xaf
#define OPX2_MOVZX_B	0xb6
#define OPX2_MOVZX_W	0xb7
#define OPX2_MOVSX_B	0xbe
#define OPX2_MOVSX_W	0xbf

/* Prefixes */
#define PFX_OPSIZE	0x66
#define PFX_ADSIZE	0x67
#define PFX_LOCK	0xf0
#define PFX_REPNE	0xf2
#define PFX_REP		0xf3

/* ModRM */
#define MODRM_MOD(m)	((m) >> 6)
#define MODRM_REG(m)	(((m) >> 3) & 7)
#define MODRM_RM(m)	((m) & 7)
#define MOD_REG		3
#define SIB_SCALE(s)	((s) >> 6)
#define SIB_INDEX(s)	(((s) >> 3) & 7)
#define SIB_BASE(s)	((s) & 7)
#define RM16_DISP16	6	/* mod 0, r/m 6: disp16, no base */
#define RM32_SIB	4
#define RM32_DISP32	5	/* mod 0, r/m 5: disp32, no base */
#define SIB_NO_INDEX	4

/* ALU operations, in the order of their opcode rows and of group 1 */
enum { ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR,
	ALU_CMP };
#define ALU_ROW_LAST	0x3f
/* forms 0-5: Eb,Gb Ev,Gv Gb,Eb Gv,Ev AL,Ib rAX,Iz; rows 0-3: 6, 7 */
#define ALU_FORM_IMM	4
#define ALU_FORM_PUSH	6	/* PUSH ES, CS, SS, DS */
#define ALU_FORM_POP	7	/* POP ES, (CS), SS, DS */
#define ALU_ROWS_SEG	4	/* rows 4-7: prefixes, DAA, DAS, AAA, AAS */
/* group 2 */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };
/* group 3 */
enum { G3_TEST, G3_TEST1, G3_NOT, G3_NEG, G3_MUL, G3_IMUL, G3_DIV, G3_IDIV };
/* groups 4, 5 */
enum { G5_INC, G5_DEC, G5_CALL, G5_CALLF, G5_JMP, G5_JMPF, G5_PUSH };

/**
 * struct rmx - one instruction being interpreted.
 * @vcpu:	the vCPU
 * @rm:		its real-mode state: the guest's segments
 * @b:		the instruction bytes from CS:IP
 * @avail:	how many of @b were fetched (stopped at CS's limit or the
 *		end of guest RAM)
 * @cut:	@avail stopped at CS's limit (past it: #GP)
 * @pos:	decode position in @b
 * @o32:	32-bit operands (66 prefix)
 * @a32:	32-bit addresses (67 prefix)
 * @seg:	the segment override, or -1
 * @rep:	F2/F3, or 0
 * @modrm:	the ModRM byte, when the opcode has one
 * @mem:	its r/m is memory: @ea in @ea_seg
 * @ea_seg:	the memory operand's segment
 * @ea:		its offset
 * @ea_sp:	... computed from ESP
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
 * @mmio_gpa:	the address outside guest RAM of an operand (RMX_MMIO)
 * @mmio_write:	... written
 */
struct rmx {
	struct vtx_vcpu *vcpu;
	struct vmx_rmode *rm;
	u8 b[VTX_EMU_MAX_INSN];
	unsigned int avail, pos;
	bool cut, o32, a32;
	int seg;
	u8 rep;
	u8 modrm;
	bool mem;
	int ea_seg;
	u32 ea;
	bool ea_sp;
	unsigned long gpr[RMX_NR_GPRS];
	u32 ip0, ip;
	bool jumped;
	unsigned long flags;
	u8 load;
	u16 sel[VTX_SREG_GS + 1];
	bool sti, mov_ss, iret;
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
	if (x->pos + n > sizeof(x->b))
		return rmx_fault(x, X86_TRAP_GP);
	if (x->pos + n > x->avail)
		return x->cut ? rmx_fault(x, X86_TRAP_GP) : -EOPNOTSUPP;
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

/* IP after the bytes decoded so far: the return address of a CALL. */
static u32 next_ip(const struct rmx *x)
{
	return (x->ip0 + x->pos) & (x->o32 ? U32_MAX : RMX_IP_MASK16);
}

static unsigned int opbytes(const struct rmx *x)
{
	return x->o32 ? 4 : 2;
}

static u32 size_mask(unsigned int bytes)
{
	return bytes == 4 ? U32_MAX : BIT(bytes * RMX_BYTE_BITS) - 1;
}

/* @v's low @bytes, sign-extended. */
static s64 sign_ext(u32 v, unsigned int bytes)
{
	unsigned int shift = RMX_S64_BITS - bytes * RMX_BYTE_BITS;

	return (s64)((u64)v << shift) >> shift;
}

/* Register @r of @bytes: AL, CL, DL, BL, AH, CH, DH, BH for bytes. */
static u32 reg_get(const struct rmx *x, unsigned int r, unsigned int bytes)
{
	if (bytes == 1)
		return r < RMX_HIGH_BYTES ? x->gpr[r] & RMX_BYTE_MASK :
		       (x->gpr[r - RMX_HIGH_BYTES] >> RMX_BYTE_BITS) &
		       RMX_BYTE_MASK;
	return x->gpr[r] & size_mask(bytes);
}

static void reg_set(struct rmx *x, unsigned int r, unsigned int bytes,
		    u32 val)
{
	unsigned long m;

	if (bytes == 1 && r >= RMX_HIGH_BYTES) {
		r -= RMX_HIGH_BYTES;
		x->gpr[r] = (x->gpr[r] &
			     ~((unsigned long)RMX_BYTE_MASK << RMX_BYTE_BITS)) |
			    ((unsigned long)(val & RMX_BYTE_MASK) <<
			     RMX_BYTE_BITS);
		return;
	}
	/* a 32-bit write clears nothing above: real mode has no RAX */
	m = size_mask(bytes);
	x->gpr[r] = (x->gpr[r] & ~m) | (val & m);
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

/*
 * @len bytes at @seg:@off, the guest's limit checked (#SS for the stack
 * segment, else #GP); not in guest RAM: RMX_MMIO.
 */
static int rmx_mem(struct rmx *x, int seg, u32 off, void *buf,
		   unsigned int len, bool write)
{
	const struct kvm_segment *s = &x->rm->segs[seg];
	u32 lin;
	int r;

	if ((u64)off + len - 1 > s->limit)
		return rmx_fault(x, seg == VTX_SREG_SS ? X86_TRAP_SS :
					X86_TRAP_GP);
	lin = (u32)(s->base + off);
	if (write)
		r = rmx_writable(x, lin, len) ?
		    vtx_vcpu_write_guest_phys(x->vcpu, lin, buf, len) :
		    -EFAULT;
	else
		r = vtx_vcpu_read_guest_phys(x->vcpu, lin, buf, len);
	if (r) {
		x->mmio_gpa = lin;
		x->mmio_write = write;
		return RMX_MMIO;
	}
	return 0;
}

static int rmx_read(struct rmx *x, int seg, u32 off, unsigned int len,
		    u32 *val)
{
	u32 v = 0;
	int r = rmx_mem(x, seg, off, &v, len, false);

	*val = v;
	return r;
}

/*
 * Whether a write would go through, before anything is written: the
 * limit, and writable guest RAM (a read-only slot is a device).
 */
static int rmx_probe_write(struct rmx *x, int seg, u32 off, unsigned int len)
{
	const struct kvm_segment *s = &x->rm->segs[seg];
	u32 lin;

	if ((u64)off + len - 1 > s->limit)
		return rmx_fault(x, seg == VTX_SREG_SS ? X86_TRAP_SS :
					X86_TRAP_GP);
	lin = (u32)(s->base + off);
	if (!rmx_writable(x, lin, len)) {
		x->mmio_gpa = lin;
		x->mmio_write = true;
		return RMX_MMIO;
	}
	return 0;
}

static int rmx_write(struct rmx *x, int seg, u32 off, unsigned int len,
		     u32 val)
{
	return rmx_mem(x, seg, off, &val, len, true);
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
	u32 sp = sp_get(x);
	unsigned int i;
	int r;

	for (i = 0; i < n; i++) {
		r = rmx_probe_write(x, VTX_SREG_SS,
				    (sp - (i + 1) * bytes) & sp_mask(x), bytes);
		if (r)
			return r;
	}
	for (i = 0; i < n; i++) {
		sp = (sp - bytes) & sp_mask(x);
		r = rmx_write(x, VTX_SREG_SS, sp, bytes, vals[i]);
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
		r = rmx_read(x, VTX_SREG_SS, sp, bytes, &vals[i]);
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

/* 16-bit addressing: BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP, BX */
static const u8 rm16_base[8] = { VTX_RBX, VTX_RBX, VTX_RBP, VTX_RBP,
				 VTX_RSI, VTX_RDI, VTX_RBP, VTX_RBX };
static const s8 rm16_index[8] = { VTX_RSI, VTX_RDI, VTX_RSI, VTX_RDI,
				  -1, -1, -1, -1 };

static int decode_ea16(struct rmx *x, u8 mod, u8 rm)
{
	u32 disp = 0, ea = 0;
	int r = 0;

	if (mod == 0 && rm == RM16_DISP16) {
		r = rmx_fetch(x, 2, &disp);
	} else {
		ea = x->gpr[rm16_base[rm]];
		if (rm16_index[rm] >= 0)
			ea += x->gpr[rm16_index[rm]];
		if (rm16_base[rm] == VTX_RBP)
			x->ea_seg = VTX_SREG_SS;
		if (mod == 1)
			r = rmx_fetch_s8(x, &disp);
		else if (mod == 2)
			r = rmx_fetch(x, 2, &disp);
	}
	x->ea = (ea + disp) & RMX_IP_MASK16;
	return r;
}

static int decode_ea32(struct rmx *x, u8 mod, u8 rm)
{
	u32 disp = 0, ea = 0, sib;
	int r;

	if (rm == RM32_SIB) {
		r = rmx_fetch(x, 1, &sib);
		if (r)
			return r;
		if (SIB_INDEX(sib) != SIB_NO_INDEX)
			ea = (u32)x->gpr[SIB_INDEX(sib)] << SIB_SCALE(sib);
		if (SIB_BASE(sib) == RM32_DISP32 && mod == 0) {
			r = rmx_fetch(x, 4, &disp);
			if (r)
				return r;
		} else {
			ea += x->gpr[SIB_BASE(sib)];
			x->ea_sp = SIB_BASE(sib) == VTX_RSP;
			if (SIB_BASE(sib) == VTX_RSP ||
			    SIB_BASE(sib) == VTX_RBP)
				x->ea_seg = VTX_SREG_SS;
		}
	} else if (mod == 0 && rm == RM32_DISP32) {
		r = rmx_fetch(x, 4, &disp);
		if (r)
			return r;
	} else {
		ea = x->gpr[rm];
		if (rm == VTX_RBP)
			x->ea_seg = VTX_SREG_SS;
	}
	r = 0;
	if (mod == 1)
		r = rmx_fetch_s8(x, &disp);
	else if (mod == 2)
		r = rmx_fetch(x, 4, &disp);
	x->ea = ea + disp;
	return r;
}

/* The ModRM byte, and its memory operand's segment and offset. */
static int decode_modrm(struct rmx *x)
{
	u32 m;
	int r = rmx_fetch(x, 1, &m);

	if (r)
		return r;
	x->modrm = m;
	x->mem = MODRM_MOD(m) != MOD_REG;
	if (!x->mem)
		return 0;
	x->ea_seg = VTX_SREG_DS;
	r = x->a32 ? decode_ea32(x, MODRM_MOD(m), MODRM_RM(m)) :
		     decode_ea16(x, MODRM_MOD(m), MODRM_RM(m));
	if (x->seg >= 0)
		x->ea_seg = x->seg;
	return r;
}

/* The r/m operand of @bytes: register or memory. */
static int rm_get(struct rmx *x, unsigned int bytes, u32 *val)
{
	if (!x->mem) {
		*val = reg_get(x, MODRM_RM(x->modrm), bytes);
		return 0;
	}
	return rmx_read(x, x->ea_seg, x->ea, bytes, val);
}

static int rm_set(struct rmx *x, unsigned int bytes, u32 val)
{
	if (!x->mem) {
		reg_set(x, MODRM_RM(x->modrm), bytes, val);
		return 0;
	}
	return rmx_write(x, x->ea_seg, x->ea, bytes, val);
}

static bool parity_even(u8 v)
{
	return !(hweight8(v) & 1);
}

/* SF, ZF, PF of @res, the other flags of @f kept. */
static unsigned long szp(unsigned long f, u32 res, unsigned int bytes)
{
	f &= ~(X86_EFLAGS_SF | X86_EFLAGS_ZF | X86_EFLAGS_PF);
	res &= size_mask(bytes);
	if (res & BIT(bytes * RMX_BYTE_BITS - 1))
		f |= X86_EFLAGS_SF;
	if (!res)
		f |= X86_EFLAGS_ZF;
	if (parity_even(res))
		f |= X86_EFLAGS_PF;
	return f;
}

/* An ALU operation of @bytes on @a and @b: the result, FLAGS in x. */
static u32 alu(struct rmx *x, unsigned int op, u32 a, u32 b,
	       unsigned int bytes)
{
	u32 m = size_mask(bytes), sign = BIT(bytes * RMX_BYTE_BITS - 1);
	unsigned long f = x->flags & ~RMX_ARITH;
	u32 carry = x->flags & X86_EFLAGS_CF ? 1 : 0, res;
	u64 wide;

	a &= m;
	b &= m;
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		if (op == ALU_ADD)
			carry = 0;
		wide = (u64)a + b + carry;
		res = wide & m;
		if (wide > m)
			f |= X86_EFLAGS_CF;
		if (~(a ^ b) & (a ^ res) & sign)
			f |= X86_EFLAGS_OF;
		if ((a ^ b ^ res) & RMX_AF_BIT)
			f |= X86_EFLAGS_AF;
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		if (op != ALU_SBB)
			carry = 0;
		res = (a - b - carry) & m;
		if ((u64)a < (u64)b + carry)
			f |= X86_EFLAGS_CF;
		if ((a ^ b) & (a ^ res) & sign)
			f |= X86_EFLAGS_OF;
		if ((a ^ b ^ res) & RMX_AF_BIT)
			f |= X86_EFLAGS_AF;
		break;
	case ALU_OR:
		res = a | b;
		break;
	case ALU_AND:
		res = a & b;
		break;
	default:
		res = a ^ b;
		break;
	}
	x->flags = szp(f, res, bytes);
	return res;
}

/* INC or DEC: ADD or SUB of 1 that keeps CF. */
static u32 inc_dec(struct rmx *x, u32 v, bool dec, unsigned int bytes)
{
	unsigned long cf = x->flags & X86_EFLAGS_CF;
	u32 res = alu(x, dec ? ALU_SUB : ALU_ADD, v, 1, bytes);

	x->flags = (x->flags & ~X86_EFLAGS_CF) | cf;
	return res;
}

/* Group 2 but RCL, RCR: the count masked to 5 bits, 0 changes nothing. */
static int shift(struct rmx *x, unsigned int op, u32 v, unsigned int cnt,
		 unsigned int bytes, u32 *res)
{
	unsigned int bits = bytes * RMX_BYTE_BITS;
	u32 m = size_mask(bytes), sign = BIT(bits - 1), r;
	unsigned long f = x->flags;
	bool cf;

	cnt &= RMX_SHIFT_MASK;
	v &= m;
	if (!cnt) {
		*res = v;
		return 0;
	}
	f &= ~(X86_EFLAGS_CF | X86_EFLAGS_OF);
	switch (op) {
	case SH_ROL:
	case SH_ROR:
		cnt %= bits;
		r = op == SH_ROL ? ((v << cnt) | ((u64)v >> (bits - cnt))) & m :
				   ((v >> cnt) | ((u64)v << (bits - cnt))) & m;
		cf = op == SH_ROL ? r & 1 : r & sign;
		if (cf)
			f |= X86_EFLAGS_CF;
		if (op == SH_ROL ? !!(r & sign) != cf :
		    !!(r & sign) != !!(r & (sign >> 1)))
			f |= X86_EFLAGS_OF;
		*res = r;
		x->flags = f;
		return 0;
	case SH_SHL:
	case SH_SAL:
		r = ((u64)v << cnt) & m;
		cf = cnt <= bits && (((u64)v << (cnt - 1)) & sign);
		if (!!(r & sign) != cf)
			f |= X86_EFLAGS_OF;
		break;
	case SH_SHR:
		r = cnt < bits ? v >> cnt : 0;
		cf = cnt <= bits && ((v >> (cnt - 1)) & 1);
		if (v & sign)
			f |= X86_EFLAGS_OF;
		break;
	case SH_SAR:
		r = (u32)((s64)(v & sign ? v | ~(u64)m : v) >>
			  min(cnt, bits - 1)) & m;
		cf = ((s64)(v & sign ? v | ~(u64)m : v) >>
		      min(cnt - 1, bits - 1)) & 1;
		break;
	default:
		return -EOPNOTSUPP;
	}
	if (cf)
		f |= X86_EFLAGS_CF;
	x->flags = szp(f, r, bytes);
	*res = r;
	return 0;
}

static bool condition(unsigned int cc, unsigned long f)
{
	bool cf = f & X86_EFLAGS_CF, zf = f & X86_EFLAGS_ZF;
	bool sf = f & X86_EFLAGS_SF, of = f & X86_EFLAGS_OF;
	bool v;

	switch (cc >> 1) {
	case 0:
		v = of;
		break;
	case 1:
		v = cf;
		break;
	case 2:
		v = zf;
		break;
	case 3:
		v = cf || zf;
		break;
	case 4:
		v = sf;
		break;
	case 5:
		v = f & X86_EFLAGS_PF;
		break;
	case 6:
		v = sf != of;
		break;
	default:
		v = zf || sf != of;
		break;
	}
	return (cc & 1) ? !v : v;
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
	if (!x->o32)
		off &= RMX_IP_MASK16;
	x->load |= BIT(VTX_SREG_CS);
	x->sel[VTX_SREG_CS] = sel;
	x->ip = off;
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

/* MUL and DIV (unsigned) of rAX by @v; #DE on a quotient too wide. */
static int muldiv(struct rmx *x, bool div, u32 v, unsigned int bytes)
{
	unsigned int bits = bytes * RMX_BYTE_BITS;
	u64 lo, hi, dividend, q;

	if (bytes == 1) {
		lo = reg_get(x, VTX_RAX, 1);
		hi = reg_get(x, VTX_RAX + RMX_HIGH_BYTES, 1);	/* AH */
	} else {
		lo = reg_get(x, VTX_RAX, bytes);
		hi = reg_get(x, VTX_RDX, bytes);
	}
	if (!div) {
		q = lo * v;
		x->flags &= ~(X86_EFLAGS_CF | X86_EFLAGS_OF);
		if (q >> bits)
			x->flags |= X86_EFLAGS_CF | X86_EFLAGS_OF;
		lo = q & size_mask(bytes);
		hi = q >> bits;
	} else {
		if (!v)
			return rmx_fault(x, X86_TRAP_DE);
		dividend = bytes == 1 ? reg_get(x, VTX_RAX, 2) :
				       (hi << bits) | lo;
		q = div64_u64(dividend, v);
		if (q > size_mask(bytes))
			return rmx_fault(x, X86_TRAP_DE);
		hi = dividend - q * v;
		lo = q;
	}
	if (bytes == 1) {
		reg_set(x, VTX_RAX, 1, lo);
		reg_set(x, VTX_RAX + RMX_HIGH_BYTES, 1, hi);	/* AH */
	} else {
		reg_set(x, VTX_RAX, bytes, lo);
		reg_set(x, VTX_RDX, bytes, hi);
	}
	return 0;
}

/*
 * Signed multiply of @a by @b, @bytes wide: the low half; CF and OF set
 * when the product does not fit it (IMUL's forms but the one-operand one).
 */
static u32 imul(struct rmx *x, u32 a, u32 b, unsigned int bytes)
{
	s64 p = sign_ext(a, bytes) * sign_ext(b, bytes);

	x->flags &= ~(X86_EFLAGS_CF | X86_EFLAGS_OF);
	if (p != sign_ext((u32)p, bytes))
		x->flags |= X86_EFLAGS_CF | X86_EFLAGS_OF;
	return (u32)p & size_mask(bytes);
}

/* IDIV of rDX:rAX (AX for bytes) by @v; #DE on 0 or a quotient too wide. */
static int idiv(struct rmx *x, u32 v, unsigned int bytes)
{
	unsigned int bits = bytes * RMX_BYTE_BITS;
	s64 d = sign_ext(v, bytes), n, q;

	if (bytes == 1)
		n = (s16)reg_get(x, VTX_RAX, 2);
	else
		n = (s64)(((u64)reg_get(x, VTX_RDX, bytes) << bits) |
			  reg_get(x, VTX_RAX, bytes)) <<
		    (RMX_S64_BITS - 2 * bits) >> (RMX_S64_BITS - 2 * bits);
	if (!d || (n == S64_MIN && d == -1))
		return rmx_fault(x, X86_TRAP_DE);
	q = div64_s64(n, d);
	if (q != sign_ext((u32)q, bytes))
		return rmx_fault(x, X86_TRAP_DE);
	if (bytes == 1) {
		reg_set(x, VTX_RAX, 1, q);
		reg_set(x, VTX_RAX + RMX_HIGH_BYTES, 1, n - q * d);
	} else {
		reg_set(x, VTX_RAX, bytes, q);
		reg_set(x, VTX_RDX, bytes, n - q * d);
	}
	return 0;
}

/* Group 3: TEST, NOT, NEG, MUL, IMUL, DIV, IDIV on r/m. */
static int grp3(struct rmx *x, unsigned int bytes)
{
	u32 v, imm;
	int r = rm_get(x, bytes, &v);

	if (r)
		return r;
	switch (MODRM_REG(x->modrm)) {
	case G3_TEST:
	case G3_TEST1:
		r = bytes == 1 ? rmx_fetch(x, 1, &imm) : rmx_fetch_imm(x, &imm);
		if (!r)
			alu(x, ALU_AND, v, imm, bytes);
		return r;
	case G3_NOT:
		return rm_set(x, bytes, ~v);
	case G3_NEG:
		v = alu(x, ALU_SUB, 0, v, bytes);
		return rm_set(x, bytes, v);
	case G3_MUL:
		return muldiv(x, false, v, bytes);
	case G3_DIV:
		return muldiv(x, true, v, bytes);
	case G3_IMUL: {
		s64 p = sign_ext(v, bytes) *
			sign_ext(reg_get(x, VTX_RAX, bytes), bytes);
		unsigned int bits = bytes * RMX_BYTE_BITS;

		x->flags &= ~(X86_EFLAGS_CF | X86_EFLAGS_OF);
		if (p != sign_ext((u32)p, bytes))
			x->flags |= X86_EFLAGS_CF | X86_EFLAGS_OF;
		if (bytes == 1) {
			reg_set(x, VTX_RAX, 2, p);
			return 0;
		}
		reg_set(x, VTX_RAX, bytes, p);
		reg_set(x, VTX_RDX, bytes, (u64)p >> bits);
		return 0;
	}
	case G3_IDIV:
		return idiv(x, v, bytes);
	}
	return -EOPNOTSUPP;
}

/* Groups 4 and 5: INC, DEC, near and far CALL and JMP, PUSH. */
static int grp5(struct rmx *x, unsigned int bytes)
{
	unsigned int op = MODRM_REG(x->modrm);
	u32 v, sel, ret[2];
	int r;

	if (bytes == 1 && op > G5_DEC)
		return -EOPNOTSUPP;
	if (op == G5_CALLF || op == G5_JMPF) {
		if (!x->mem)
			return rmx_fault(x, X86_TRAP_UD);
		r = rmx_read(x, x->ea_seg, x->ea, bytes, &v);
		if (!r)
			r = rmx_read(x, x->ea_seg, x->ea + bytes, 2, &sel);
		if (r)
			return r;
		if (op == G5_CALLF) {
			ret[0] = x->rm->segs[VTX_SREG_CS].selector;
			ret[1] = next_ip(x);
			r = check_target(x, v);
			if (!r)
				r = rmx_push_n(x, ret, 2, bytes);
			if (r)
				return r;
		}
		return jump_far(x, sel, v);
	}
	r = rm_get(x, bytes, &v);
	if (r)
		return r;
	switch (op) {
	case G5_INC:
	case G5_DEC:
		return rm_set(x, bytes, inc_dec(x, v, op == G5_DEC, bytes));
	case G5_CALL:
		/* the target checked before the push (as KVM's em_call) */
		r = check_target(x, v);
		if (!r)
			r = rmx_push(x, next_ip(x), bytes);
		return r ? r : jump(x, v);
	case G5_JMP:
		return jump(x, v);
	case G5_PUSH:
		return rmx_push(x, v, bytes);
	}
	return -EOPNOTSUPP;
}

/* The string moves, one element per run (REP: IP stays while rCX). */
static int string_op(struct rmx *x, u8 op)
{
	unsigned int bytes = (op & 1) ? opbytes(x) : 1;
	u32 am = x->a32 ? U32_MAX : RMX_IP_MASK16;
	u32 si = x->gpr[VTX_RSI] & am, di = x->gpr[VTX_RDI] & am, v, w;
	u32 cnt = x->gpr[VTX_RCX] & am;
	bool stop = false;
	int src = x->seg >= 0 ? x->seg : VTX_SREG_DS;
	s32 step = (x->flags & X86_EFLAGS_DF) ? -(s32)bytes : bytes;
	int r = 0;

	if (x->rep && !cnt)
		return 0;
	switch (op) {
	case OPX_MOVS_B:
	case OPX_MOVS_V:
		r = rmx_read(x, src, si, bytes, &v);
		if (!r)
			r = rmx_write(x, VTX_SREG_ES, di, bytes, v);
		si += step;
		di += step;
		break;
	case OPX_STOS_B:
	case OPX_STOS_V:
		r = rmx_write(x, VTX_SREG_ES, di, bytes,
			      reg_get(x, VTX_RAX, bytes));
		di += step;
		break;
	case OPX_CMPS_B:
	case OPX_CMPS_V:
		r = rmx_read(x, src, si, bytes, &v);
		if (!r)
			r = rmx_read(x, VTX_SREG_ES, di, bytes, &w);
		if (!r)
			alu(x, ALU_CMP, v, w, bytes);
		si += step;
		di += step;
		break;
	case OPX_SCAS_B:
	case OPX_SCAS_V:
		r = rmx_read(x, VTX_SREG_ES, di, bytes, &w);
		if (!r)
			alu(x, ALU_CMP, reg_get(x, VTX_RAX, bytes), w, bytes);
		di += step;
		break;
	default:	/* LODS */
		r = rmx_read(x, src, si, bytes, &v);
		if (!r)
			reg_set(x, VTX_RAX, bytes, v);
		si += step;
		break;
	}
	if (r)
		return r;
	/* CMPS, SCAS: REPE stops at ZF 0, REPNE at ZF 1 */
	if (op == OPX_CMPS_B || op == OPX_CMPS_V || op == OPX_SCAS_B ||
	    op == OPX_SCAS_V)
		stop = !!(x->flags & X86_EFLAGS_ZF) != (x->rep == PFX_REP);
	x->gpr[VTX_RSI] = (x->gpr[VTX_RSI] & ~(unsigned long)am) | (si & am);
	x->gpr[VTX_RDI] = (x->gpr[VTX_RDI] & ~(unsigned long)am) | (di & am);
	if (x->rep) {
		cnt--;
		x->gpr[VTX_RCX] = (x->gpr[VTX_RCX] & ~(unsigned long)am) |
				  (cnt & am);
		if (cnt && !stop) {	/* again, events possible between */
			x->ip = x->ip0;
			x->jumped = true;
		}
	}
	return 0;
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

/* LDS, LES, LSS, LFS, LGS: a far pointer from memory. */
static int load_far_ptr(struct rmx *x, int seg)
{
	unsigned int bytes = opbytes(x);
	u32 off, sel;
	int r;

	if (!x->mem)
		return rmx_fault(x, X86_TRAP_UD);
	r = rmx_read(x, x->ea_seg, x->ea, bytes, &off);
	if (!r)
		r = rmx_read(x, x->ea_seg, x->ea + bytes, 2, &sel);
	if (r)
		return r;
	reg_set(x, MODRM_REG(x->modrm), bytes, off);
	load_seg(x, seg, sel);
	/* LSS has no interrupt shadow: MOV SS and POP SS only */
	x->mov_ss = false;
	return 0;
}

static int two_byte(struct rmx *x)
{
	unsigned int bytes = opbytes(x);
	u32 op, v, rel, regs[4];
	int r = rmx_fetch(x, 1, &op);

	if (r)
		return r;
	if (op >= OPX2_JCC && op < OPX2_JCC + RMX_NR_CC) {
		r = x->o32 ? rmx_fetch(x, 4, &rel) : rmx_fetch(x, 2, &rel);
		if (r || !condition(op - OPX2_JCC, x->flags))
			return r;
		return jump_rel(x, rel);
	}
	switch (op) {
	case OPX2_SETCC ... OPX2_SETCC + RMX_NR_CC - 1:
		r = decode_modrm(x);
		return r ? r : rm_set(x, 1, condition(op - OPX2_SETCC,
						      x->flags));
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
	case OPX2_LSS:
	case OPX2_LFS:
	case OPX2_LGS:
		r = decode_modrm(x);
		return r ? r : load_far_ptr(x, op == OPX2_LSS ? VTX_SREG_SS :
					    op == OPX2_LFS ? VTX_SREG_FS :
							     VTX_SREG_GS);
	case OPX2_IMUL:
		r = decode_modrm(x);
		if (!r)
			r = rm_get(x, bytes, &v);
		if (!r)
			reg_set(x, MODRM_REG(x->modrm), bytes,
				imul(x, reg_get(x, MODRM_REG(x->modrm), bytes),
				     v, bytes));
		return r;
	case OPX2_MOVZX_B:
	case OPX2_MOVZX_W:
	case OPX2_MOVSX_B:
	case OPX2_MOVSX_W: {
		unsigned int src = (op & 1) ? 2 : 1;

		r = decode_modrm(x);
		if (!r)
			r = rm_get(x, src, &v);
		if (r)
			return r;
		if (op >= OPX2_MOVSX_B)
			v = src == 1 ? (u32)(s32)(s8)v : (u32)(s32)(s16)v;
		reg_set(x, MODRM_REG(x->modrm), bytes, v);
		return 0;
	}
	}
	return -EOPNOTSUPP;
}

/* One-byte opcodes 00-3F: the ALU rows, PUSH/POP of ES, CS, SS, DS. */
static int alu_row(struct rmx *x, u8 op)
{
	unsigned int aop = op >> 3, form = op & 7, bytes;
	u32 a, b, res;
	int r, seg = aop;	/* ES, CS, SS, DS by row */

	if (form >= ALU_FORM_PUSH && aop >= ALU_ROWS_SEG)
		return -EOPNOTSUPP;
	if (form == ALU_FORM_PUSH)
		return rmx_push(x, x->rm->segs[seg].selector, opbytes(x));
	if (form == ALU_FORM_POP) {
		if (seg == VTX_SREG_CS)
			return -EOPNOTSUPP;
		r = rmx_pop(x, &a, opbytes(x));
		if (!r)
			load_seg(x, seg, a);
		return r;
	}
	bytes = (form & 1) ? opbytes(x) : 1;
	if (form >= ALU_FORM_IMM) {	/* AL,Ib / rAX,Iz */
		r = bytes == 1 ? rmx_fetch(x, 1, &b) : rmx_fetch_imm(x, &b);
		if (r)
			return r;
		res = alu(x, aop, reg_get(x, VTX_RAX, bytes), b, bytes);
		if (aop != ALU_CMP)
			reg_set(x, VTX_RAX, bytes, res);
		return 0;
	}
	r = decode_modrm(x);
	if (!r)
		r = rm_get(x, bytes, &a);
	if (r)
		return r;
	b = reg_get(x, MODRM_REG(x->modrm), bytes);
	if (form & 2) {		/* Gb,Eb / Gv,Ev */
		res = alu(x, aop, b, a, bytes);
		if (aop != ALU_CMP)
			reg_set(x, MODRM_REG(x->modrm), bytes, res);
		return 0;
	}
	res = alu(x, aop, a, b, bytes);
	return aop == ALU_CMP ? 0 : rm_set(x, bytes, res);
}

/* Opcodes 80-8F. */
static int op_8x(struct rmx *x, u8 op)
{
	unsigned int bytes = (op & 1) ? opbytes(x) : 1;
	u32 a, b, res;
	int r = decode_modrm(x);

	if (r)
		return r;
	switch (op) {
	case OPX_GRP1_B:
	case OPX_GRP1_V:
	case OPX_GRP1_IB:
		r = rm_get(x, bytes, &a);
		if (!r)
			r = op == OPX_GRP1_IB ? rmx_fetch_s8(x, &b) :
			    bytes == 1 ? rmx_fetch(x, 1, &b) :
					 rmx_fetch_imm(x, &b);
		if (r)
			return r;
		res = alu(x, MODRM_REG(x->modrm), a, b, bytes);
		return MODRM_REG(x->modrm) == ALU_CMP ? 0 :
		       rm_set(x, bytes, res);
	case OPX_TEST_B:
	case OPX_TEST_V:
		r = rm_get(x, bytes, &a);
		if (!r)
			alu(x, ALU_AND, a, reg_get(x, MODRM_REG(x->modrm),
						   bytes), bytes);
		return r;
	case OPX_XCHG_B:
	case OPX_XCHG_V:
		r = rm_get(x, bytes, &a);
		if (r)
			return r;
		b = reg_get(x, MODRM_REG(x->modrm), bytes);
		r = rm_set(x, bytes, b);
		if (!r)
			reg_set(x, MODRM_REG(x->modrm), bytes, a);
		return r;
	case OPX_MOV_EB_GB:
	case OPX_MOV_EV_GV:
		return rm_set(x, bytes, reg_get(x, MODRM_REG(x->modrm), bytes));
	case OPX_MOV_GB_EB:
	case OPX_MOV_GV_EV:
		r = rm_get(x, bytes, &a);
		if (!r)
			reg_set(x, MODRM_REG(x->modrm), bytes, a);
		return r;
	case OPX_MOV_EW_SW:
		if (MODRM_REG(x->modrm) > VTX_SREG_GS)
			return rmx_fault(x, X86_TRAP_UD);
		a = x->rm->segs[MODRM_REG(x->modrm)].selector;
		/*
		 * to a register: the operand size (8C's low bit is not a byte
		 * form); to memory: 16 bits
		 */
		return rm_set(x, x->mem ? 2 : opbytes(x), a);
	case OPX_LEA:
		if (!x->mem)
			return rmx_fault(x, X86_TRAP_UD);
		reg_set(x, MODRM_REG(x->modrm), bytes, x->ea);
		return 0;
	case OPX_MOV_SW_EW:
		if (MODRM_REG(x->modrm) > VTX_SREG_GS ||
		    MODRM_REG(x->modrm) == VTX_SREG_CS)
			return rmx_fault(x, X86_TRAP_UD);
		r = rm_get(x, 2, &a);
		if (!r)
			load_seg(x, MODRM_REG(x->modrm), a);
		return r;
	case OPX_POP_EV:
		/* an address on ESP would be the one after the pop: not done */
		if (x->ea_sp || MODRM_REG(x->modrm))
			return -EOPNOTSUPP;
		r = rmx_pop(x, &a, bytes);
		return r ? r : rm_set(x, bytes, a);
	}
	return -EOPNOTSUPP;
}

static int shift_op(struct rmx *x, u8 op)
{
	unsigned int bytes = (op & 1) ? opbytes(x) : 1;
	u32 v, cnt = 1, res;
	int r = decode_modrm(x);

	if (r)
		return r;
	if (op == OPX_GRP2_B_I || op == OPX_GRP2_V_I)
		r = rmx_fetch(x, 1, &cnt);
	else if (op == OPX_GRP2_B_CL || op == OPX_GRP2_V_CL)
		cnt = reg_get(x, VTX_RCX, 1);
	if (!r)
		r = rm_get(x, bytes, &v);
	if (!r)
		r = shift(x, MODRM_REG(x->modrm), v, cnt, bytes, &res);
	return r ? r : rm_set(x, bytes, res);
}

/* The instruction's work on the copy in @x; IP already past it. */
static int execute(struct rmx *x, u8 op)
{
	unsigned int bytes = opbytes(x);
	u32 v, w, vals[RMX_NR_GPRS];
	int r, i;

	if (op <= ALU_ROW_LAST && op != OPX_ESC)
		return alu_row(x, op);
	switch (op) {
	case OPX_ESC:
		return two_byte(x);
	case OPX_INC_R ... OPX_INC_R + 7:
	case OPX_DEC_R ... OPX_DEC_R + 7:
		reg_set(x, op & 7, bytes, inc_dec(x, reg_get(x, op & 7, bytes),
						  op >= OPX_DEC_R, bytes));
		return 0;
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
	case OPX_IMUL_IZ:
	case OPX_IMUL_IB:
		r = decode_modrm(x);
		if (!r)
			r = rm_get(x, bytes, &v);
		if (!r)
			r = op == OPX_IMUL_IZ ? rmx_fetch_imm(x, &w) :
						rmx_fetch_s8(x, &w);
		if (!r)
			reg_set(x, MODRM_REG(x->modrm), bytes,
				imul(x, v, w, bytes));
		return r;
	case OPX_LEAVE:
		/* SP = BP, then POP BP (at SS.B's width) */
		sp_set(x, x->gpr[VTX_RBP]);
		r = rmx_pop(x, &v, bytes);
		if (!r)
			reg_set(x, VTX_RBP, bytes, v);
		return r;
	case OPX_XLAT:
		w = x->a32 ? (u32)x->gpr[VTX_RBX] :
			     (u16)x->gpr[VTX_RBX];
		w += reg_get(x, VTX_RAX, 1);
		r = rmx_read(x, x->seg >= 0 ? x->seg : VTX_SREG_DS,
			     x->a32 ? w : (u16)w, 1, &v);
		if (!r)
			reg_set(x, VTX_RAX, 1, v);
		return r;
	case OPX_JCC8 ... OPX_JCC8 + RMX_NR_CC - 1:
		r = rmx_fetch_s8(x, &v);
		if (r || !condition(op - OPX_JCC8, x->flags))
			return r;
		return jump_rel(x, v);
	case OPX_GRP1_B ... OPX_POP_EV:
		return op_8x(x, op);
	case OPX_NOP:
		return 0;
	case OPX_XCHG_AX + 1 ... OPX_XCHG_AX + 7:
		v = reg_get(x, VTX_RAX, bytes);
		reg_set(x, VTX_RAX, bytes, reg_get(x, op & 7, bytes));
		reg_set(x, op & 7, bytes, v);
		return 0;
	case OPX_CBW:
		v = reg_get(x, VTX_RAX, bytes / 2);
		reg_set(x, VTX_RAX, bytes, bytes == 4 ? (u32)(s32)(s16)v :
							(u32)(s32)(s8)v);
		return 0;
	case OPX_CWD:
		v = reg_get(x, VTX_RAX, bytes);
		reg_set(x, VTX_RDX, bytes,
			v & BIT(bytes * RMX_BYTE_BITS - 1) ? U32_MAX : 0);
		return 0;
	case OPX_CALL_FAR:
		r = rmx_fetch_imm(x, &v);
		if (!r)
			r = rmx_fetch(x, 2, &w);
		if (!r)
			r = check_target(x, v);
		if (!r) {
			vals[0] = x->rm->segs[VTX_SREG_CS].selector;
			vals[1] = next_ip(x);
			r = rmx_push_n(x, vals, 2, bytes);
		}
		return r ? r : jump_far(x, w, v);
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
	case OPX_SAHF:
		x->flags = (x->flags & ~RMX_SAHF_BITS) |
			   (reg_get(x, VTX_RAX + RMX_HIGH_BYTES, 1) & RMX_SAHF_BITS);
		return 0;
	case OPX_LAHF:
		reg_set(x, VTX_RAX + RMX_HIGH_BYTES, 1, (x->flags & RMX_SAHF_BITS) |
					   X86_EFLAGS_FIXED);
		return 0;
	case OPX_MOV_AL_MO ... OPX_MOV_AL_MO + 3: {
		unsigned int n = (op & 1) ? bytes : 1;
		int seg = x->seg >= 0 ? x->seg : VTX_SREG_DS;

		r = rmx_fetch(x, x->a32 ? 4 : 2, &w);
		if (r)
			return r;
		if (op & 2)
			return rmx_write(x, seg, w, n, reg_get(x, VTX_RAX, n));
		r = rmx_read(x, seg, w, n, &v);
		if (!r)
			reg_set(x, VTX_RAX, n, v);
		return r;
	}
	case OPX_MOVS_B:
	case OPX_MOVS_V:
	case OPX_STOS_B:
	case OPX_STOS_V:
	case OPX_LODS_B:
	case OPX_LODS_V:
	case OPX_CMPS_B:
	case OPX_CMPS_V:
	case OPX_SCAS_B:
	case OPX_SCAS_V:
		return string_op(x, op);
	case OPX_TEST_AL:
	case OPX_TEST_AX:
		v = op == OPX_TEST_AL ? 1 : bytes;
		r = v == 1 ? rmx_fetch(x, 1, &w) : rmx_fetch_imm(x, &w);
		if (!r)
			alu(x, ALU_AND, reg_get(x, VTX_RAX, v), w, v);
		return r;
	case OPX_MOV_R8_I ... OPX_MOV_R8_I + 7:
		r = rmx_fetch(x, 1, &v);
		if (!r)
			reg_set(x, op & 7, 1, v);
		return r;
	case OPX_MOV_R_I ... OPX_MOV_R_I + 7:
		r = rmx_fetch_imm(x, &v);
		if (!r)
			reg_set(x, op & 7, bytes, v);
		return r;
	case OPX_GRP2_B_I:
	case OPX_GRP2_V_I:
	case OPX_GRP2_B_1 ... OPX_GRP2_V_CL:
		return shift_op(x, op);
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
	case OPX_LES:
	case OPX_LDS:
		r = decode_modrm(x);
		return r ? r : load_far_ptr(x, op == OPX_LES ? VTX_SREG_ES :
							       VTX_SREG_DS);
	case OPX_MOV_EB_I:
	case OPX_MOV_EV_I:
		v = op == OPX_MOV_EB_I ? 1 : bytes;
		r = decode_modrm(x);
		if (!r)
			r = v == 1 ? rmx_fetch(x, 1, &w) : rmx_fetch_imm(x, &w);
		return r ? r : rm_set(x, v, w);
	case OPX_RETF_I:
	case OPX_RETF:
		w = 0;
		r = op == OPX_RETF_I ? rmx_fetch(x, 2, &w) : 0;
		return r ? r : far_return(x, false, w);
	case OPX_INT3:
		vtx_queue_exception(x->vcpu, X86_TRAP_BP, false, 0);
		x->vcpu->event.type = VTX_EVENT_SOFT_EXC;
		x->vcpu->event.insn_len = x->pos;
		return RMX_FAULT;
	case OPX_IRET:
		x->iret = true;
		return far_return(x, true, 0);
	case OPX_LOOPNE:
	case OPX_LOOPE:
	case OPX_LOOP:
	case OPX_JCXZ: {
		u32 am = x->a32 ? U32_MAX : RMX_IP_MASK16;
		u32 cnt = x->gpr[VTX_RCX] & am;
		bool take;

		r = rmx_fetch_s8(x, &v);
		if (r)
			return r;
		if (op == OPX_JCXZ) {
			take = !cnt;
		} else {
			cnt = (cnt - 1) & am;
			x->gpr[VTX_RCX] = (x->gpr[VTX_RCX] &
					   ~(unsigned long)am) | cnt;
			take = cnt && (op == OPX_LOOP ||
				       !!(x->flags & X86_EFLAGS_ZF) ==
				       (op == OPX_LOOPE));
		}
		return take ? jump_rel(x, v) : 0;
	}
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
	case OPX_JMP_FAR:
		r = rmx_fetch_imm(x, &v);
		if (!r)
			r = rmx_fetch(x, 2, &w);
		return r ? r : jump_far(x, w, v);
	case OPX_JMP8:
		r = rmx_fetch_s8(x, &v);
		return r ? r : jump_rel(x, v);
	case OPX_CMC:
		x->flags ^= X86_EFLAGS_CF;
		return 0;
	case OPX_GRP3_B:
	case OPX_GRP3_V:
		r = decode_modrm(x);
		return r ? r : grp3(x, op == OPX_GRP3_B ? 1 : bytes);
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
	case OPX_GRP4:
	case OPX_GRP5:
		r = decode_modrm(x);
		return r ? r : grp5(x, op == OPX_GRP4 ? 1 : bytes);
	}
	return -EOPNOTSUPP;
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

static const u8 seg_prefix[] = {
	[VTX_SREG_ES] = 0x26, [VTX_SREG_CS] = 0x2e, [VTX_SREG_SS] = 0x36,
	[VTX_SREG_DS] = 0x3e, [VTX_SREG_FS] = 0x64, [VTX_SREG_GS] = 0x65,
};

/* Prefixes; return the opcode byte, or <0. */
static int decode_prefixes(struct rmx *x)
{
	u32 b;
	int s, r;

	for (;;) {
		r = rmx_fetch(x, 1, &b);
		if (r)
			return r;
		switch (b) {
		case PFX_OPSIZE:
			x->o32 = true;
			continue;
		case PFX_ADSIZE:
			x->a32 = true;
			continue;
		case PFX_REP:
		case PFX_REPNE:
			x->rep = b;
			continue;
		case PFX_LOCK:
			continue;
		}
		for (s = 0; s < ARRAY_SIZE(seg_prefix); s++)
			if (b == seg_prefix[s])
				break;
		if (s == ARRAY_SIZE(seg_prefix))
			return b;
		x->seg = s;
	}
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
	struct rmx x = { .vcpu = vcpu, .rm = &to_vmx(vcpu)->rmode, .seg = -1,
			 .ip0 = vmx_rip(vcpu) };
	const struct kvm_segment *cs = &x.rm->segs[VTX_SREG_CS];
	struct kvm_segment tmp;
	u32 ip = x.ip0, room;
	int i, op, r;

	/* the selectors the guest loaded in vm86 since */
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++)
		vtx_rmode_get_segment(vcpu, &tmp, i);
	if (ip > cs->limit) {
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		return 1;
	}
	room = min_t(u64, (u64)cs->limit - ip + 1, sizeof(x.b));
	x.avail = room;
	x.cut = room < sizeof(x.b);
	if (vtx_vcpu_read_guest_phys(vcpu, (u32)(cs->base + ip), x.b,
				     x.avail)) {
		/* what of it is RAM, byte by byte (a ROM edge, say) */
		for (x.avail = 0; x.avail < room; x.avail++)
			if (vtx_vcpu_read_guest_phys(vcpu,
						     (u32)(cs->base + ip +
							   x.avail),
						     x.b + x.avail, 1))
				break;
		x.cut = false;
	}
	for (i = 0; i < RMX_NR_GPRS; i++)
		x.gpr[i] = vtx_reg_read(vcpu, i);
	x.flags = vmx_rflags(vcpu);

	op = decode_prefixes(&x);
	if (op == RMX_FAULT)
		return 1;
	if (op < 0)
		return op;
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
	r = execute(&x, op);
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
