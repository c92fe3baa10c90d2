// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - decoder and emulator of the instructions that access MMIO.
 *
 * Decoding is driven by two tables of opcodes (one-byte and 0F-escaped),
 * whose entries tell what the instruction does (its kind) and how it is
 * encoded (ModRM, immediate, which operand is memory).  Every instruction
 * emulated here has exactly one memory operand, the MMIO one; MOVS has two,
 * of which the caller says which one faulted.  An instruction is emulated
 * in up to two accesses: a read or a write, or for read-modify-write
 * instructions a read then a write.
 *
 * Whatever is not in the tables, or is encoded in a way this file does not
 * handle, is refused with -EINVAL rather than emulated wrongly.
 */
#include "emulate.h"

/* What an instruction does. */
enum {
	K_BAD,		/* not emulated */
	K_ALU,		/* ADD, OR, ADC, SBB, AND, SUB, XOR or CMP */
	K_TEST,
	K_MOV,
	K_MOVZX,
	K_MOVSX,	/* MOVSX and MOVSXD */
	K_XCHG,
	K_MOVS,
	K_STOS,
	K_LODS,
	K_UNARY,	/* INC, DEC, NOT or NEG (UN_*) */
	K_SHIFT,	/* group 2: ROL ... SAR by ModRM.reg */
	K_SETCC,
	K_BT,		/* BT, BTS, BTR or BTC (BT_*) */
	K_XADD,
	K_CMPXCHG,
	K_CMPXCHG8B,
	K_CMPS,
	K_SCAS,
	K_MOVBE,
	K_PUSHM,	/* PUSH m */
	K_POPM,		/* POP m */
	K_CALLM,	/* near CALL through memory */
	K_JMPM,		/* near JMP through memory */
	K_VMOV,		/* SSE or MMX move between a register and memory */
	K_MULDIV,	/* MUL, IMUL, DIV or IDIV of rAX by memory (MD_*) */
	K_IMUL,		/* IMUL Gv,Ev (0F AF), Gv,Ev,Iz (69), Gv,Ev,Ib (6B) */
	K_CMOV,		/* CMOVcc Gv,Ev */
	K_SHXD,		/* SHLD (arg 0) or SHRD (arg 1) Ev,Gv by Ib or CL */
	K_BSX,		/* BSF (arg 0) or BSR (arg 1) Gv,Ev */
	K_BITCNT,	/* POPCNT, TZCNT or LZCNT Gv,Ev (BC_*) */
	K_SMSW,		/* SMSW m16: CR0's low 16 bits to memory */
	K_LMSW,		/* LMSW m16: CR0's PE (set only), MP, EM, TS */
	K_STSEG,	/* MOV m16,Sreg, SLDT m16, STR m16: a selector */
	K_LDSEG,	/* MOV Sreg,m16; LxS (D_FARPTR); LLDT, LTR */
	K_JMPFAR,	/* far JMP through memory, m16:16/32/64 */
	K_CALLFAR,	/* far CALL through memory, m16:16/32/64 */
	K_LEA,		/* LEA Gv,M: the offset, no access (@interp) */
	K_XLAT,		/* XLAT: AL from DS:[rBX + AL] */
	K_BCD,		/* DAA, DAS, AAA, AAS, AAM, AAD (BCD_*; @interp) */
};

/* K_BCD operations. */
enum { BCD_DAA, BCD_DAS, BCD_AAA, BCD_AAS, BCD_AAM, BCD_AAD };

/* BCD digits: a nibble above 9 is adjusted by 6, a byte above 99h by 60h. */
#define BCD_LOW_MAX	9
#define BCD_BYTE_MAX	0x99
#define BCD_LOW_ADJ	0x06
#define BCD_HIGH_ADJ	0x60
#define BCD_AAA_ADJ	0x106	/* AAA: AL + 6, AH + 1 */

/* K_LDSEG's segment: ModRM.reg (MOV Sreg,m16), else the opcode's. */
#define LDSEG_MODRM	0xff

/* K_STSEG's selector: ModRM.reg (MOV m16,Sreg), else VTX_EMU_LDTR/TR. */
#define STSEG_MODRM	0xff

/* CR0's bits LMSW loads (PE, MP, EM, TS), and those it may clear. */
#define LMSW_BITS	0xfULL
#define LMSW_LOADED	0xeULL

/* K_BITCNT operations. */
enum { BC_POPCNT, BC_TZCNT, BC_LZCNT };

/* K_MULDIV operations, in the order of group 3's ModRM.reg 4..7. */
enum { MD_MUL, MD_IMUL, MD_DIV, MD_IDIV };

/* A register written once the instruction completes (e->result). */
enum { PEND_NONE, PEND_REG, PEND_RAX, PEND_EDX_EAX, PEND_RSP, PEND_RDX_RAX };

/* K_UNARY operations. */
enum { UN_INC, UN_DEC, UN_NOT, UN_NEG };

/* K_BT operations, in the order of group 8's ModRM.reg 4..7. */
enum { BT_BT, BT_BTS, BT_BTR, BT_BTC };

/* Group 2, by ModRM.reg; /6 is SAL, the same as SHL. */
enum { SH_ROL, SH_ROR, SH_RCL, SH_RCR, SH_SHL, SH_SHR, SH_SAL, SH_SAR };

/* Where the count of a K_SHIFT comes from. */
enum { CNT_IMM, CNT_ONE, CNT_CL };

/* Opcodes whose ModRM.reg selects the instruction: index in groups[]. */
enum { G1A, G3B, G3V, G4, G5, G6, G7, G8, G9, NR_GROUPS };

/* ALU operations, in the order of their opcode rows and of group 1. */
enum {
	ALU_ADD, ALU_OR, ALU_ADC, ALU_SBB, ALU_AND, ALU_SUB, ALU_XOR, ALU_CMP
};

/* How an opcode is encoded. */
#define D_MODRM		0x01	/* ModRM follows; its r/m must be memory */
#define D_BYTE		0x02	/* byte operands */
#define D_MEMDST	0x04	/* the memory operand is the destination */
#define D_IMM8		0x08	/* imm8, sign-extended */
#define D_IMM		0x10	/* imm16 or imm32 by operand size, sign-ext. */
#define D_MOFFS		0x20	/* address-size offset, no ModRM; reg is rAX */
#define D_GROUP		0x40	/* the ALU operation is ModRM.reg */
#define D_REG0		0x80	/* ModRM.reg must be 0 */
#define D_SUBGRP	0x100	/* ModRM.reg selects groups[arg][reg] */
#define D_LOCK		0x200	/* LOCK allowed (read-modify-write) */
#define D_BITREG	0x400	/* BT* Ev,Gv: the register offsets the address */
#define D_SIMPLE_RMW	0x800	/* read, compute, write back */
#define D_ALIGNED	0x1000	/* #GP(0) unless 16-byte aligned */
#define D_M16		0x2000	/* a 16-bit operand, whatever the prefixes */
#define D_FARPTR	0x4000	/* m16:16/32/64: an offset, then a selector */
#define D_ACC		0x8000	/* @interp: the r/m operand is rAX, no ModRM */
#define D_OPREG		0x10000	/* @interp: the r/m operand is opcode & 7 */

/**
 * struct opdesc - what the decoder knows of an opcode.
 * @kind:	K_*, K_BAD for an opcode not emulated.
 * @flags:	D_*.
 * @arg:	ALU_* for K_ALU without D_GROUP; the size of the source of
 *		K_MOVZX and K_MOVSX, 0 for MOVSXD (the smaller of the operand
 *		size and 4); UN_* of K_UNARY, BT_* of K_BT, CNT_* of K_SHIFT,
 *		the condition of K_SETCC, G* with D_SUBGRP, the register
 *		file (enum vtx_emu_vec) of K_VMOV.
 */
struct opdesc {
	u8 kind;
	u32 flags;
	u8 arg;
};

/* The four r/m forms of an ALU row: Eb,Gb  Ev,Gv  Gb,Eb  Gv,Ev. */
#define ALU_EB_GB(alu)	{ K_ALU, D_MODRM | D_BYTE | D_MEMDST, (alu) }
#define ALU_EV_GV(alu)	{ K_ALU, D_MODRM | D_MEMDST, (alu) }
#define ALU_GB_EB(alu)	{ K_ALU, D_MODRM | D_BYTE, (alu) }
#define ALU_GV_EV(alu)	{ K_ALU, D_MODRM, (alu) }
/*
 * The forms without a memory operand, for @interp only: ALU rAX,imm
 * (04, 05, ... 3D), TEST rAX,imm, INC/DEC r, XCHG rAX,r, MOV r,imm.
 */
#define ALU_ACC_B(alu)	{ K_ALU, D_ACC | D_BYTE | D_MEMDST | D_IMM8, (alu) }
#define ALU_ACC_V(alu)	{ K_ALU, D_ACC | D_MEMDST | D_IMM, (alu) }
#define OPREG_RMW	(D_OPREG | D_MEMDST | D_SIMPLE_RMW)
#define INC_R		{ K_UNARY, OPREG_RMW, UN_INC }
#define DEC_R		{ K_UNARY, OPREG_RMW, UN_DEC }
#define XCHG_R		{ K_XCHG, D_OPREG | D_MEMDST }
#define MOV_R8_IB	{ K_MOV, D_OPREG | D_BYTE | D_MEMDST | D_IMM8 }
#define MOV_R_IV	{ K_MOV, D_OPREG | D_MEMDST | D_IMM }
#define SHIFT_B		(D_MODRM | D_BYTE | D_MEMDST | D_GROUP | D_SIMPLE_RMW)
#define SHIFT_V		(D_MODRM | D_MEMDST | D_GROUP | D_SIMPLE_RMW)

static const struct opdesc onebyte[256] = {
	[0x00] = ALU_EB_GB(ALU_ADD), [0x01] = ALU_EV_GV(ALU_ADD),
	[0x02] = ALU_GB_EB(ALU_ADD), [0x03] = ALU_GV_EV(ALU_ADD),
	[0x08] = ALU_EB_GB(ALU_OR), [0x09] = ALU_EV_GV(ALU_OR),
	[0x0a] = ALU_GB_EB(ALU_OR), [0x0b] = ALU_GV_EV(ALU_OR),
	[0x10] = ALU_EB_GB(ALU_ADC), [0x11] = ALU_EV_GV(ALU_ADC),
	[0x12] = ALU_GB_EB(ALU_ADC), [0x13] = ALU_GV_EV(ALU_ADC),
	[0x18] = ALU_EB_GB(ALU_SBB), [0x19] = ALU_EV_GV(ALU_SBB),
	[0x1a] = ALU_GB_EB(ALU_SBB), [0x1b] = ALU_GV_EV(ALU_SBB),
	[0x20] = ALU_EB_GB(ALU_AND), [0x21] = ALU_EV_GV(ALU_AND),
	[0x22] = ALU_GB_EB(ALU_AND), [0x23] = ALU_GV_EV(ALU_AND),
	[0x28] = ALU_EB_GB(ALU_SUB), [0x29] = ALU_EV_GV(ALU_SUB),
	[0x2a] = ALU_GB_EB(ALU_SUB), [0x2b] = ALU_GV_EV(ALU_SUB),
	[0x30] = ALU_EB_GB(ALU_XOR), [0x31] = ALU_EV_GV(ALU_XOR),
	[0x32] = ALU_GB_EB(ALU_XOR), [0x33] = ALU_GV_EV(ALU_XOR),
	[0x38] = ALU_EB_GB(ALU_CMP), [0x39] = ALU_EV_GV(ALU_CMP),
	[0x3a] = ALU_GB_EB(ALU_CMP), [0x3b] = ALU_GV_EV(ALU_CMP),
	[0x04] = ALU_ACC_B(ALU_ADD), [0x05] = ALU_ACC_V(ALU_ADD),
	[0x0c] = ALU_ACC_B(ALU_OR), [0x0d] = ALU_ACC_V(ALU_OR),
	[0x14] = ALU_ACC_B(ALU_ADC), [0x15] = ALU_ACC_V(ALU_ADC),
	[0x1c] = ALU_ACC_B(ALU_SBB), [0x1d] = ALU_ACC_V(ALU_SBB),
	[0x24] = ALU_ACC_B(ALU_AND), [0x25] = ALU_ACC_V(ALU_AND),
	[0x2c] = ALU_ACC_B(ALU_SUB), [0x2d] = ALU_ACC_V(ALU_SUB),
	[0x34] = ALU_ACC_B(ALU_XOR), [0x35] = ALU_ACC_V(ALU_XOR),
	[0x3c] = ALU_ACC_B(ALU_CMP), [0x3d] = ALU_ACC_V(ALU_CMP),
	[0x40] = INC_R, [0x41] = INC_R, [0x42] = INC_R, [0x43] = INC_R,
	[0x44] = INC_R, [0x45] = INC_R, [0x46] = INC_R, [0x47] = INC_R,
	[0x48] = DEC_R, [0x49] = DEC_R, [0x4a] = DEC_R, [0x4b] = DEC_R,
	[0x4c] = DEC_R, [0x4d] = DEC_R, [0x4e] = DEC_R, [0x4f] = DEC_R,
	[0x8d] = { K_LEA, D_MODRM, 0 },
	[0x90] = XCHG_R, [0x91] = XCHG_R, [0x92] = XCHG_R, [0x93] = XCHG_R,
	[0x94] = XCHG_R, [0x95] = XCHG_R, [0x96] = XCHG_R, [0x97] = XCHG_R,
	[0xa8] = { K_TEST, D_ACC | D_BYTE | D_IMM8 },
	[0xa9] = { K_TEST, D_ACC | D_IMM },
	[0xb0] = MOV_R8_IB, [0xb1] = MOV_R8_IB, [0xb2] = MOV_R8_IB,
	[0xb3] = MOV_R8_IB, [0xb4] = MOV_R8_IB, [0xb5] = MOV_R8_IB,
	[0xb6] = MOV_R8_IB, [0xb7] = MOV_R8_IB,
	[0xb8] = MOV_R_IV, [0xb9] = MOV_R_IV, [0xba] = MOV_R_IV,
	[0xbb] = MOV_R_IV, [0xbc] = MOV_R_IV, [0xbd] = MOV_R_IV,
	[0xbe] = MOV_R_IV, [0xbf] = MOV_R_IV,
	[0xd7] = { K_XLAT, D_BYTE },
	[0x27] = { K_BCD, D_BYTE, BCD_DAA },
	[0x2f] = { K_BCD, D_BYTE, BCD_DAS },
	[0x37] = { K_BCD, D_BYTE, BCD_AAA },
	[0x3f] = { K_BCD, D_BYTE, BCD_AAS },
	[0xd4] = { K_BCD, D_BYTE | D_IMM8, BCD_AAM },
	[0xd5] = { K_BCD, D_BYTE | D_IMM8, BCD_AAD },
	[0x63] = { K_MOVSX, D_MODRM, 0 },	/* MOVSXD; ARPL outside 64-bit */
	[0x69] = { K_IMUL, D_MODRM | D_IMM, 0 },
	[0x6b] = { K_IMUL, D_MODRM | D_IMM8, 0 },
	[0x80] = { K_ALU, D_MODRM | D_BYTE | D_MEMDST | D_IMM8 | D_GROUP },
	/* 82H: 80H's alias, invalid in 64-bit code (decode_opcode()) */
	[0x82] = { K_ALU, D_MODRM | D_BYTE | D_MEMDST | D_IMM8 | D_GROUP },
	[0x81] = { K_ALU, D_MODRM | D_MEMDST | D_IMM | D_GROUP },
	[0x83] = { K_ALU, D_MODRM | D_MEMDST | D_IMM8 | D_GROUP },
	[0x84] = { K_TEST, D_MODRM | D_BYTE },
	[0x85] = { K_TEST, D_MODRM },
	[0x86] = { K_XCHG, D_MODRM | D_BYTE | D_MEMDST },
	[0x87] = { K_XCHG, D_MODRM | D_MEMDST },
	[0x88] = { K_MOV, D_MODRM | D_BYTE | D_MEMDST },
	[0x89] = { K_MOV, D_MODRM | D_MEMDST },
	[0x8a] = { K_MOV, D_MODRM | D_BYTE },
	[0x8b] = { K_MOV, D_MODRM },
	[0x8c] = { K_STSEG, D_MODRM | D_MEMDST | D_M16, STSEG_MODRM },
	[0x8e] = { K_LDSEG, D_MODRM | D_M16, LDSEG_MODRM },
	/* LES, LDS: VEX prefixes in 64-bit code (decode_opcode()) */
	[0xc4] = { K_LDSEG, D_MODRM | D_FARPTR, VTX_EMU_ES },
	[0xc5] = { K_LDSEG, D_MODRM | D_FARPTR, VTX_EMU_DS },
	[0xa0] = { K_MOV, D_MOFFS | D_BYTE },
	[0xa1] = { K_MOV, D_MOFFS },
	[0xa2] = { K_MOV, D_MOFFS | D_BYTE | D_MEMDST },
	[0xa3] = { K_MOV, D_MOFFS | D_MEMDST },
	[0xa4] = { K_MOVS, D_BYTE },
	[0xa5] = { K_MOVS, 0 },
	[0xaa] = { K_STOS, D_BYTE },
	[0xab] = { K_STOS, 0 },
	[0xac] = { K_LODS, D_BYTE },
	[0xad] = { K_LODS, 0 },
	[0xa6] = { K_CMPS, D_BYTE },
	[0xa7] = { K_CMPS, 0 },
	[0xae] = { K_SCAS, D_BYTE },
	[0xaf] = { K_SCAS, 0 },
	[0xc0] = { K_SHIFT, SHIFT_B | D_IMM8, CNT_IMM },
	[0xc1] = { K_SHIFT, SHIFT_V | D_IMM8, CNT_IMM },
	[0xc6] = { K_MOV, D_MODRM | D_BYTE | D_MEMDST | D_IMM8 | D_REG0 },
	[0xc7] = { K_MOV, D_MODRM | D_MEMDST | D_IMM | D_REG0 },
	[0xd0] = { K_SHIFT, SHIFT_B, CNT_ONE },
	[0xd1] = { K_SHIFT, SHIFT_V, CNT_ONE },
	[0xd2] = { K_SHIFT, SHIFT_B, CNT_CL },
	[0xd3] = { K_SHIFT, SHIFT_V, CNT_CL },
	[0x8f] = { K_BAD, D_MODRM | D_SUBGRP, G1A },
	[0xf6] = { K_BAD, D_MODRM | D_SUBGRP, G3B },
	[0xf7] = { K_BAD, D_MODRM | D_SUBGRP, G3V },
	[0xfe] = { K_BAD, D_MODRM | D_SUBGRP, G4 },
	[0xff] = { K_BAD, D_MODRM | D_SUBGRP, G5 },
};

#define RMW		(D_MODRM | D_MEMDST | D_SIMPLE_RMW)
#define RMW_LOCK	(RMW | D_LOCK)
#define BT_REG(lk, op)	{ K_BT, D_MODRM | D_MEMDST | D_BITREG | (lk), op }
#define SETCC(cc)	{ K_SETCC, D_MODRM | D_BYTE | D_MEMDST, (cc) }

#define CMOV(cc)	{ K_CMOV, D_MODRM, (cc) }

static const struct opdesc twobyte[256] = {
	[0x40] = CMOV(0x0), [0x41] = CMOV(0x1), [0x42] = CMOV(0x2),
	[0x43] = CMOV(0x3), [0x44] = CMOV(0x4), [0x45] = CMOV(0x5),
	[0x46] = CMOV(0x6), [0x47] = CMOV(0x7), [0x48] = CMOV(0x8),
	[0x49] = CMOV(0x9), [0x4a] = CMOV(0xa), [0x4b] = CMOV(0xb),
	[0x4c] = CMOV(0xc), [0x4d] = CMOV(0xd), [0x4e] = CMOV(0xe),
	[0x4f] = CMOV(0xf),
	[0x90] = SETCC(0x0), [0x91] = SETCC(0x1), [0x92] = SETCC(0x2),
	[0x93] = SETCC(0x3), [0x94] = SETCC(0x4), [0x95] = SETCC(0x5),
	[0x96] = SETCC(0x6), [0x97] = SETCC(0x7), [0x98] = SETCC(0x8),
	[0x99] = SETCC(0x9), [0x9a] = SETCC(0xa), [0x9b] = SETCC(0xb),
	[0x9c] = SETCC(0xc), [0x9d] = SETCC(0xd), [0x9e] = SETCC(0xe),
	[0x9f] = SETCC(0xf),
	[0xa3] = BT_REG(0, BT_BT),
	[0xab] = BT_REG(D_LOCK, BT_BTS),
	[0xaf] = { K_IMUL, D_MODRM, 0 },
	[0xa4] = { K_SHXD, RMW | D_IMM8, 0 },
	[0xa5] = { K_SHXD, RMW, 0 },
	[0xac] = { K_SHXD, RMW | D_IMM8, 1 },
	[0xad] = { K_SHXD, RMW, 1 },
	[0xbc] = { K_BSX, D_MODRM, 0 },
	[0xbd] = { K_BSX, D_MODRM, 1 },
	[0xb0] = { K_CMPXCHG, D_MODRM | D_BYTE | D_MEMDST | D_LOCK },
	[0xb1] = { K_CMPXCHG, D_MODRM | D_MEMDST | D_LOCK },
	[0xb3] = BT_REG(D_LOCK, BT_BTR),
	[0xb2] = { K_LDSEG, D_MODRM | D_FARPTR, VTX_EMU_SS },
	[0xb4] = { K_LDSEG, D_MODRM | D_FARPTR, VTX_EMU_FS },
	[0xb5] = { K_LDSEG, D_MODRM | D_FARPTR, VTX_EMU_GS },
	[0xb6] = { K_MOVZX, D_MODRM, 1 },
	[0xb7] = { K_MOVZX, D_MODRM, 2 },
	[0x00] = { K_BAD, D_MODRM | D_SUBGRP, G6 },
	[0x01] = { K_BAD, D_MODRM | D_SUBGRP, G7 },
	[0xba] = { K_BAD, D_MODRM | D_SUBGRP, G8 },
	[0xbb] = BT_REG(D_LOCK, BT_BTC),
	[0xbe] = { K_MOVSX, D_MODRM, 1 },
	[0xbf] = { K_MOVSX, D_MODRM, 2 },
	[0xc0] = { K_XADD, D_MODRM | D_BYTE | D_MEMDST | D_LOCK },
	[0xc1] = { K_XADD, D_MODRM | D_MEMDST | D_LOCK },
	[0xc7] = { K_BAD, D_MODRM | D_SUBGRP, G9 },
};

#define VLOAD(f, al)	{ K_VMOV, D_MODRM | (al), (f) }
#define VSTORE(f, al)	{ K_VMOV, D_MODRM | D_MEMDST | (al), (f) }
#define XMM		VTX_EMU_VEC_XMM
#define MMX		VTX_EMU_VEC_MMX

/* Mandatory prefixes of the 0F map, the column of vecmoves[][]. */
enum { MP_NONE, MP_66, MP_F3, MP_F2, NR_MP };

/* A 0F opcode, with some mandatory prefix, not emulated. */
static const struct opdesc bad_op = { K_BAD, 0, 0 };

/*
 * The SSE and MMX moves KVM's emulator handles (its Sse/Mmx opcodes),
 * by mandatory prefix: MOVUPS/MOVUPD, MOVAPS/MOVAPD, MOVNTPS/MOVNTPD,
 * MOVQ mm (no prefix), MOVDQA (66), MOVDQU (F3), MOVNTDQ.
 */
static const struct {
	u8 opcode;
	struct opdesc d[NR_MP];
} vecmoves[] = {
	{ 0x10, { VLOAD(XMM, 0), VLOAD(XMM, 0) } },
	{ 0x11, { VSTORE(XMM, 0), VSTORE(XMM, 0) } },
	{ 0x28, { VLOAD(XMM, D_ALIGNED), VLOAD(XMM, D_ALIGNED) } },
	{ 0x29, { VSTORE(XMM, D_ALIGNED), VSTORE(XMM, D_ALIGNED) } },
	{ 0x2b, { VSTORE(XMM, D_ALIGNED), VSTORE(XMM, D_ALIGNED) } },
	{ 0x6f, { VLOAD(MMX, 0), VLOAD(XMM, D_ALIGNED), VLOAD(XMM, 0) } },
	{ 0x7f, { VSTORE(MMX, 0), VSTORE(XMM, D_ALIGNED), VSTORE(XMM, 0) } },
	{ 0xe7, { [MP_66] = VSTORE(XMM, D_ALIGNED) } },
};

/*
 * The vector move of 0F @b with the prefixes @p has; NULL when @b is none,
 * bad_op when the prefixes make it something not emulated (66 with F2 or
 * F3, as KVM refuses it, or both F2 and F3).
 */
static const struct opdesc *vector_opcode(u8 b, bool opsize, u8 reps)
{
	unsigned int i, mp;

	for (i = 0; i < ARRAY_SIZE(vecmoves); i++)
		if (vecmoves[i].opcode == b)
			break;
	if (i == ARRAY_SIZE(vecmoves))
		return NULL;
	if (reps == 3 || (opsize && reps))
		return &bad_op;
	mp = opsize ? MP_66 : reps == 2 ? MP_F3 : reps == 1 ? MP_F2 : MP_NONE;
	return &vecmoves[i].d[mp];
}

/* F3 0F B8, BC, BD: POPCNT, TZCNT, LZCNT. */
static const struct opdesc bitcnt_ops[] = {
	[BC_POPCNT] = { K_BITCNT, D_MODRM, BC_POPCNT },
	[BC_TZCNT] = { K_BITCNT, D_MODRM, BC_TZCNT },
	[BC_LZCNT] = { K_BITCNT, D_MODRM, BC_LZCNT },
};

/*
 * 0F @b with F3 (and not F2): POPCNT, TZCNT and LZCNT, or NULL.  TZCNT
 * and LZCNT are what the vCPU's CPUID says: without BMI1 (LZCNT) the
 * processor ignores F3 and runs BSF (BSR), so does this.  POPCNT without
 * its CPUID bit is decoded; vtx_emu_decode() raises #UD for it.
 */
static const struct opdesc *f3_opcode(const struct vtx_emu *e, u8 b)
{
	switch (b) {
	case 0xb8:
		return &bitcnt_ops[BC_POPCNT];
	case 0xbc:
		return e->features & VTX_EMU_FEAT_BMI1 ?
		       &bitcnt_ops[BC_TZCNT] : &twobyte[b];
	case 0xbd:
		return e->features & VTX_EMU_FEAT_LZCNT ?
		       &bitcnt_ops[BC_LZCNT] : &twobyte[b];
	}
	return NULL;
}

/* 0F 38 F0/F1: MOVBE (without F2, which makes them CRC32). */
static const struct opdesc movbe[2] = {
	{ K_MOVBE, D_MODRM, 0 },
	{ K_MOVBE, D_MODRM | D_MEMDST, 0 },
};

#define UNARY(b, op)	{ K_UNARY, RMW_LOCK | (b), (op) }
#define BT_IMM(lk, op)	{ K_BT, D_MODRM | D_MEMDST | D_IMM8 | (lk), op }

/*
 * Groups 1A (8F), 3 (F6, F7), 4 (FE), 5 (FF), 6 (0F 00), 7 (0F 01), 8 (0F
 * BA), 9 (0F C7).
 */
static const struct opdesc groups[NR_GROUPS][8] = {
	[G1A] = {
		[0] = { K_POPM, D_MODRM | D_MEMDST, 0 },
	},
	[G3B] = {	/* /1 is /0's alias, on the processor and in KVM */
		[0] = { K_TEST, D_MODRM | D_BYTE | D_IMM8 },
		[1] = { K_TEST, D_MODRM | D_BYTE | D_IMM8 },
		[2] = UNARY(D_BYTE, UN_NOT),
		[3] = UNARY(D_BYTE, UN_NEG),
		[4] = { K_MULDIV, D_MODRM | D_BYTE, MD_MUL },
		[5] = { K_MULDIV, D_MODRM | D_BYTE, MD_IMUL },
		[6] = { K_MULDIV, D_MODRM | D_BYTE, MD_DIV },
		[7] = { K_MULDIV, D_MODRM | D_BYTE, MD_IDIV },
	},
	[G3V] = {
		[0] = { K_TEST, D_MODRM | D_IMM },
		[1] = { K_TEST, D_MODRM | D_IMM },
		[2] = UNARY(0, UN_NOT),
		[3] = UNARY(0, UN_NEG),
		[4] = { K_MULDIV, D_MODRM, MD_MUL },
		[5] = { K_MULDIV, D_MODRM, MD_IMUL },
		[6] = { K_MULDIV, D_MODRM, MD_DIV },
		[7] = { K_MULDIV, D_MODRM, MD_IDIV },
	},
	[G4] = {
		[0] = UNARY(D_BYTE, UN_INC),
		[1] = UNARY(D_BYTE, UN_DEC),
	},
	[G5] = {
		[0] = UNARY(0, UN_INC),
		[1] = UNARY(0, UN_DEC),
		[2] = { K_CALLM, D_MODRM, 0 },
		[3] = { K_CALLFAR, D_MODRM | D_FARPTR, 0 },
		[4] = { K_JMPM, D_MODRM, 0 },
		[5] = { K_JMPFAR, D_MODRM | D_FARPTR, 0 },
		[6] = { K_PUSHM, D_MODRM, 0 },
	},
	/* Of group 6: SLDT, STR, LLDT and LTR (VERR, VERW not: nor KVM) */
	[G6] = {
		[0] = { K_STSEG, D_MODRM | D_MEMDST | D_M16, VTX_EMU_LDTR },
		[1] = { K_STSEG, D_MODRM | D_MEMDST | D_M16, VTX_EMU_TR },
		[2] = { K_LDSEG, D_MODRM | D_M16, VTX_EMU_LDTR },
		[3] = { K_LDSEG, D_MODRM | D_M16, VTX_EMU_TR },
	},
	/*
	 * Of group 7's memory forms, SMSW and LMSW, as KVM emulates them
	 * with a device operand.  SGDT, SIDT, LGDT and LIDT are not: KVM 6.1
	 * fails them on MMIO too (segmented_read_std/write_std are RAM only).
	 */
	[G7] = {
		[4] = { K_SMSW, D_MODRM | D_MEMDST | D_M16 },
		[6] = { K_LMSW, D_MODRM | D_M16 },
	},
	[G8] = {
		[4] = BT_IMM(0, BT_BT),
		[5] = BT_IMM(D_LOCK, BT_BTS),
		[6] = BT_IMM(D_LOCK, BT_BTR),
		[7] = BT_IMM(D_LOCK, BT_BTC),
	},
	[G9] = {	/* CMPXCHG8B, and CMPXCHG16B with REX.W */
		[1] = { K_CMPXCHG8B, D_MODRM | D_MEMDST | D_LOCK },
	},
};

#define REX_B		0x01
#define REX_X		0x02
#define REX_R		0x04
#define REX_W		0x08
/* The selector of a far pointer, after its offset. */
#define FAR_SEL_BYTES	2

#define SEG_DEFAULT	0xff	/* no segment-override prefix */

/* The 16-bit addressing forms by ModRM.rm: base + index. */
static const u8 rm16_base[8] = {
	VTX_EMU_RBX, VTX_EMU_RBX, VTX_EMU_RBP, VTX_EMU_RBP,
	VTX_EMU_RSI, VTX_EMU_RDI, VTX_EMU_RBP, VTX_EMU_RBX,
};

#define NO_INDEX	0xff
static const u8 rm16_index[8] = {
	VTX_EMU_RSI, VTX_EMU_RDI, VTX_EMU_RSI, VTX_EMU_RDI,
	NO_INDEX, NO_INDEX, NO_INDEX, NO_INDEX,
};

/* Decoding position in the instruction bytes. */
struct cursor {
	const u8 *insn;
	unsigned int pos;
	unsigned int avail;
};

static u64 size_mask(unsigned int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

static u64 sign_extend(u64 val, unsigned int bytes)
{
	unsigned int shift = 64 - bytes * 8;

	return (u64)((s64)(val << shift) >> shift);
}

/* Fetch @bytes (1, 2, 4 or 8) little-endian bytes, sign-extended. */
static int fetch(struct cursor *c, unsigned int bytes, u64 *val)
{
	u64 v = 0;
	unsigned int i;

	if (c->pos + bytes > c->avail)
		return -EINVAL;
	for (i = 0; i < bytes; i++)
		v |= (u64)c->insn[c->pos + i] << (i * 8);
	c->pos += bytes;
	*val = sign_extend(v, bytes);
	return 0;
}

/* Register operand: AH, CH, DH and BH are 4-7 without a REX prefix. */
static u64 reg_read(const struct vtx_emu *e, unsigned int reg,
		    unsigned int bytes)
{
	if (bytes == 1 && !e->rex && reg >= 4 && reg < 8)
		return (e->gpr[reg - 4] >> 8) & 0xff;
	return e->gpr[reg] & size_mask(bytes);
}

/* A 32-bit write zero-extends to 64 bits; 8/16-bit ones keep the rest. */
static void reg_write(struct vtx_emu *e, unsigned int reg, unsigned int bytes,
		      u64 val)
{
	u64 mask = size_mask(bytes);
	unsigned int shift = 0;

	if (bytes == 4) {
		e->gpr[reg] = (u32)val;
		return;
	}
	if (bytes == 1 && !e->rex && reg >= 4 && reg < 8) {
		reg -= 4;
		shift = 8;
	}
	e->gpr[reg] = (e->gpr[reg] & ~(mask << shift)) |
		      ((val & mask) << shift);
}

static bool parity_even(u64 val)
{
	u8 p = val;

	p ^= p >> 4;
	p ^= p >> 2;
	p ^= p >> 1;
	return !(p & 1);
}

/* ZF, SF and PF of a result whose sign bit is @sign. */
static u64 szp_flags(u64 res, u64 sign)
{
	u64 fl = 0;

	if (!res)
		fl |= VTX_EMU_FL_ZF;
	if (res & sign)
		fl |= VTX_EMU_FL_SF;
	if (parity_even(res))
		fl |= VTX_EMU_FL_PF;
	return fl;
}

/*
 * @a op @b on @bytes-wide operands, with CF, PF, AF, ZF, SF and OF of
 * @rflags set as the CPU does.  AF, undefined for the logical operations,
 * is cleared by them as on Intel CPUs.
 */
static u64 alu_exec(unsigned int op, u64 a, u64 b, unsigned int bytes,
		    u64 *rflags)
{
	u64 sign = 1ULL << (bytes * 8 - 1);
	u64 cf = (*rflags & VTX_EMU_FL_CF) ? 1 : 0;
	u64 res, carry = 0, ovf = 0, fl = 0;
	bool arith = true;

	a &= size_mask(bytes);
	b &= size_mask(bytes);
	switch (op) {
	case ALU_ADD:
	case ALU_ADC:
		res = a + b + (op == ALU_ADC ? cf : 0);
		carry = (a & b) | ((a | b) & ~res);
		ovf = (a ^ res) & (b ^ res);
		break;
	case ALU_SUB:
	case ALU_SBB:
	case ALU_CMP:
		res = a - b - (op == ALU_SBB ? cf : 0);
		carry = (~a & b) | (~(a ^ b) & res);
		ovf = (a ^ b) & (a ^ res);
		break;
	case ALU_OR:
		res = a | b;
		arith = false;
		break;
	case ALU_AND:
		res = a & b;
		arith = false;
		break;
	default:
		res = a ^ b;
		arith = false;
		break;
	}
	res &= size_mask(bytes);

	if (carry & sign)
		fl |= VTX_EMU_FL_CF;
	if (ovf & sign)
		fl |= VTX_EMU_FL_OF;
	if (arith && ((a ^ b ^ res) & 0x10))
		fl |= VTX_EMU_FL_AF;
	fl |= szp_flags(res, sign);
	*rflags = (*rflags & ~VTX_EMU_FL_ARITH) | fl;
	return res;
}

/* Linear address of offset @ea in segment @seg. */
static u64 seg_linear(const struct vtx_emu *e, unsigned int seg, u64 ea)
{
	if (e->mode == 64)
		return (seg == VTX_EMU_FS || seg == VTX_EMU_GS) ?
		       e->seg_base[seg] + ea : ea;
	return (u32)(e->seg_base[seg] + ea);
}

/* 16-bit ModRM addressing: *@ea and the default segment. */
static int modrm16(const struct vtx_emu *e, struct cursor *c, u8 modrm,
		   u64 *ea, unsigned int *seg)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7;
	u64 disp = 0;
	int err = 0;

	*ea = 0;
	*seg = VTX_EMU_DS;
	if (mod == 0 && rm == 6) {
		err = fetch(c, 2, &disp);
	} else {
		*ea = e->gpr[rm16_base[rm]];
		if (rm16_index[rm] != NO_INDEX)
			*ea += e->gpr[rm16_index[rm]];
		if (rm16_base[rm] == VTX_EMU_RBP)
			*seg = VTX_EMU_SS;
		if (mod == 1)
			err = fetch(c, 1, &disp);
		else if (mod == 2)
			err = fetch(c, 2, &disp);
	}
	*ea = (*ea + disp) & 0xffff;
	return err;
}

/*
 * 32/64-bit ModRM and SIB addressing: *@ea without the RIP of the next
 * instruction, which *@rip_rel says to add once the length is known.
 */
static int modrm32(const struct vtx_emu *e, struct cursor *c, u8 modrm,
		   u64 *ea, unsigned int *seg, bool *rip_rel)
{
	unsigned int mod = modrm >> 6, rm = modrm & 7, base, index;
	u64 sib, disp = 0;
	int err;

	*ea = 0;
	*seg = VTX_EMU_DS;
	*rip_rel = false;
	if (rm == 4) {
		err = fetch(c, 1, &sib);
		if (err)
			return err;
		index = ((sib >> 3) & 7) | (e->rex & REX_X ? 8 : 0);
		base = (sib & 7) | (e->rex & REX_B ? 8 : 0);
		if (index != VTX_EMU_RSP)
			*ea = e->gpr[index] << ((sib >> 6) & 3);
		if ((sib & 7) == 5 && mod == 0) {
			mod = 2;	/* disp32, no base */
		} else {
			*ea += e->gpr[base];
			if (base == VTX_EMU_RSP || base == VTX_EMU_RBP)
				*seg = VTX_EMU_SS;
		}
	} else if (rm == 5 && mod == 0) {
		*rip_rel = e->mode == 64;
		mod = 2;		/* disp32 */
	} else {
		base = rm | (e->rex & REX_B ? 8 : 0);
		*ea = e->gpr[base];
		if (base == VTX_EMU_RBP)
			*seg = VTX_EMU_SS;
	}
	if (mod == 1)
		err = fetch(c, 1, &disp);
	else if (mod == 2)
		err = fetch(c, 4, &disp);
	else
		err = 0;
	*ea += disp;
	return err;
}

/*
 * The faulting address @fault is in the @bytes at @linear (the start, or
 * the second page of an access that crosses one).
 */
static bool within(u64 fault, u64 linear, unsigned int bytes)
{
	return fault - linear < bytes;
}

/* Bits 63:47 all equal: an address of 4-level paging. */
static bool canonical48(u64 addr)
{
	return (u64)((s64)(addr << 16) >> 16) == addr;
}

/*
 * A data access of 64-bit code at @linear that the processor refuses, as
 * KVM's __linearize() does: non-canonical for the paging in use (bits
 * 63:47 equal, 63:56 with CR4.LA57).  #SS(0) in the stack segment, else
 * #GP(0).  Return: whether it faults (the fault flag set).
 */
static bool noncanonical(struct vtx_emu *e, u64 linear, bool stack)
{
	unsigned int shift = e->cr4 & VTX_EMU_CR4_LA57 ? 7 : 16;

	if (e->mode != 64 || (u64)((s64)(linear << shift) >> shift) == linear)
		return false;
	if (stack)
		e->ss_fault = true;
	else
		e->gp_fault = true;
	return true;
}

/**
 * seg_faults() - the processor's segment checks of an access outside
 * 64-bit mode: offset @linear - base, @bytes, in segment @seg.
 * @e:		the instruction; its @ops->get_seg gives the segment
 * @seg:	enum vtx_emu_seg
 * @linear:	the access's linear address
 * @bytes:	its size
 * @write:	whether it writes
 *
 * The limit everywhere (expand-down data segments outside virtual-8086
 * mode: above the limit, up to 64 KiB - 1, or 4 GiB - 1 with D/B); the
 * rights outside virtual-8086 mode, as KVM's __linearize() checks them: a
 * write to a read-only data segment, an access to an execute-only code
 * segment, and in protected mode a null selector and a write to a code
 * segment.
 *
 * Return: whether the access faults; @e->ss_fault set in the stack
 * segment, else @e->gp_fault (both raise their exception with error code
 * 0).  Without @ops->get_seg nothing is checked.
 */
static bool seg_faults(struct vtx_emu *e, unsigned int seg, u64 linear,
		       unsigned int bytes, bool write)
{
	bool vm86 = e->rflags & VTX_EMU_FL_VM;
	bool prot = (e->cr0 & VTX_EMU_CR0_PE) && !vm86;
	struct vtx_emu_segdesc s;
	u64 off, lo = 0, hi;
	bool bad;

	if (e->mode == 64 || !e->ops || !e->ops->get_seg ||
	    e->ops->get_seg(e->opaque, seg, &s))
		return false;
	off = (u32)(linear - e->seg_base[seg]);
	hi = s.limit;
	if (!vm86 && !(s.type & VTX_EMU_SEG_CODE) &&
	    (s.type & VTX_EMU_SEG_EXPDOWN)) {
		lo = (u64)s.limit + 1;
		hi = s.db ? U32_MAX : U16_MAX;
	}
	bad = off < lo || off + bytes - 1 > hi;
	if (prot && s.unusable)
		bad = true;
	else if (!vm86 && (s.type & VTX_EMU_SEG_CODE))
		bad |= (prot && write) || !(s.type & VTX_EMU_SEG_RW);
	else if (!vm86)
		bad |= write && !(s.type & VTX_EMU_SEG_RW);
	if (!bad)
		return false;
	if (seg == VTX_EMU_SS)
		e->ss_fault = true;
	else
		e->gp_fault = true;
	return true;
}

/*
 * The access the processor did not make before its exit (the other side
 * of MOVS/CMPS, the stack of PUSH/POP/CALL m), at @e->other_linear in
 * @e->other_seg: checked as the processor checks it, a non-canonical
 * address in 64-bit code, segment limit and rights outside it.
 */
static bool other_faults(struct vtx_emu *e, bool write)
{
	return noncanonical(e, e->other_linear,
			    e->other_seg == VTX_EMU_SS) ||
	       seg_faults(e, e->other_seg, e->other_linear, e->op_bytes,
			  write);
}

/*
 * @interp: the access asked of the caller, at @e->linear in @seg, checked
 * as the processor checks it (the device access of the MMIO path was the
 * processor's own, already checked).  Return: 0, or -EFAULT with the
 * fault flag set.
 */
static int main_faults(struct vtx_emu *e, unsigned int seg, bool write)
{
	if (!e->interp || !e->access_bytes)
		return 0;
	return seg_faults(e, seg, e->linear, e->access_bytes, write) ?
	       -EFAULT : 0;
}

static int decode_string(struct vtx_emu *e, unsigned int seg)
{
	u64 mask = size_mask(e->ad_bytes), src, dst, v;
	int err;

	if (e->rep && !(e->gpr[VTX_EMU_RCX] & mask)) {
		if (!e->interp)
			return -EINVAL;
		e->skip = true;	/* done, no access */
		return 0;
	}
	src = seg_linear(e, seg == SEG_DEFAULT ? VTX_EMU_DS : seg,
			 e->gpr[VTX_EMU_RSI] & mask);
	dst = seg_linear(e, VTX_EMU_ES, e->gpr[VTX_EMU_RDI] & mask);
	e->access_bytes = e->op_bytes;

	switch (e->kind) {
	case K_STOS:
		e->linear = dst;
		e->is_write = true;
		e->write_val = e->gpr[VTX_EMU_RAX] & size_mask(e->op_bytes);
		return main_faults(e, VTX_EMU_ES, true);
	case K_LODS:
		e->linear = src;
		return main_faults(e, seg == SEG_DEFAULT ? VTX_EMU_DS : seg,
				   false);
	case K_SCAS:
		e->linear = dst;
		return main_faults(e, VTX_EMU_ES, false);
	}

	/*
	 * MOVS and CMPS: the faulting side is MMIO, the other one goes to
	 * @ops.  The source is read first, by the CPU as here.  The fault
	 * may be on the second page of a side that crosses one; an exact
	 * match wins when the sides overlap.
	 */
	if (e->interp || e->mmio_linear == src ||
	    (e->mmio_linear != dst &&
	     within(e->mmio_linear, src, e->op_bytes))) {
		e->mmio_is_src = true;
		e->linear = src;
		e->other_linear = dst;
		e->other_seg = VTX_EMU_ES;
		return main_faults(e, seg == SEG_DEFAULT ? VTX_EMU_DS : seg,
				   false);
	}
	if (!within(e->mmio_linear, dst, e->op_bytes))
		return -EINVAL;
	e->linear = dst;
	e->other_linear = src;
	e->other_seg = seg == SEG_DEFAULT ? VTX_EMU_DS : seg;
	e->is_write = e->kind == K_MOVS;
	if (!e->ops || !e->ops->read_mem)
		return -EFAULT;
	/* the source, read first: the processor's checks of it */
	if (other_faults(e, false))
		return -EFAULT;
	v = 0;
	err = e->ops->read_mem(e->opaque, src, &v, e->op_bytes);
	if (err)
		return err < 0 ? -EFAULT : -EINVAL;
	/* The value is little endian in memory, as on the host. */
	v &= size_mask(e->op_bytes);
	if (e->kind == K_MOVS)
		e->write_val = v;
	else
		e->result = v;
	return 0;
}

/**
 * struct prefixes - what the legacy and REX prefixes of an instruction say.
 * @seg:	segment override, SEG_DEFAULT when none
 * @seg_conflict: two different segment overrides
 * @opsize:	66h
 * @adsize:	67h
 * @lock:	F0h
 * @reps:	bit 0: F2h seen, bit 1: F3h seen
 */
struct prefixes {
	unsigned int seg;
	bool seg_conflict;
	bool opsize;
	bool adsize;
	bool lock;
	u8 reps;
};

/*
 * Consume the prefixes at @c (e->rex and e->rep set as a side effect);
 * *@b is the first byte after them.  Return: 0, or -EINVAL when the bytes
 * end first.
 */
static int decode_prefixes(struct vtx_emu *e, struct cursor *c,
			   struct prefixes *p, u64 *b)
{
	static const u8 seg_prefix[VTX_EMU_NR_SEGS] = {
		0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65
	};
	unsigned int s;

	for (;;) {
		if (fetch(c, 1, b))
			return -EINVAL;
		*b &= 0xff;
		if (e->mode == 64 && (*b & 0xf0) == 0x40) {
			e->rex = *b;	/* the last one counts */
			continue;
		}
		for (s = 0; s < VTX_EMU_NR_SEGS; s++)
			if (*b == seg_prefix[s])
				break;
		if (s < VTX_EMU_NR_SEGS) {
			if (p->seg != SEG_DEFAULT && p->seg != s)
				p->seg_conflict = true;
			p->seg = s;
		} else if (*b == 0x66) {
			p->opsize = true;
		} else if (*b == 0x67) {
			p->adsize = true;
		} else if (*b == 0xf0) {
			p->lock = true;
		} else if (*b == 0xf2 || *b == 0xf3) {
			p->reps |= *b == 0xf2 ? 1 : 2;
			e->rep = *b;
		} else {
			return 0;
		}
		e->rex = 0;	/* a REX not right before the opcode is ignored */
	}
}

/* Legacy and REX prefixes; returns the opcode's descriptor or NULL. */
static const struct opdesc *decode_opcode(struct vtx_emu *e, struct cursor *c,
					  unsigned int *seg, bool *opsize,
					  bool *adsize, bool *lock, u8 *reps)
{
	struct prefixes p = { .seg = SEG_DEFAULT };
	const struct opdesc *d;
	u64 b;

	/* Conflicting segment overrides: refused, never guessed. */
	if (decode_prefixes(e, c, &p, &b) || p.seg_conflict)
		return NULL;
	*seg = p.seg;
	*opsize = p.opsize;
	*adsize = p.adsize;
	*lock = p.lock;
	*reps = p.reps;
	if ((b == 0x82 || b == 0xc4 || b == 0xc5) && e->mode == 64)
		return NULL;
	if (b != 0x0f)
		return &onebyte[b];
	if (fetch(c, 1, &b))
		return NULL;
	b &= 0xff;
	d = vector_opcode(b, p.opsize, p.reps);
	if (d) {
		*opsize = false;	/* 66 is a mandatory prefix there */
		return d;
	}
	/* F2/F3 select other instructions in the 0F map. */
	if (*reps == 2)
		return f3_opcode(e, b);
	if (*reps)
		return NULL;
	if (b != 0x38)
		return &twobyte[b];
	if (fetch(c, 1, &b) || (b & 0xfe) != 0xf0)
		return NULL;
	return &movbe[b & 1];
}

/**
 * vtx_emu_operand_bytes() - the operand size the prefixes give an
 * instruction whose size defaults to 16 or 32 bits by code size, for a
 * backend that has everything else decoded by the processor (SLDT and STR
 * with a register destination, whose exit does not tell the size).
 * @insn:	the instruction's bytes
 * @len:	how many of them there are
 * @mode:	code size: 16, 32 or 64
 *
 * Return: 2, 4 or 8, or -EINVAL when @insn ends inside the prefixes.
 */
int vtx_emu_operand_bytes(const u8 *insn, unsigned int len, u8 mode)
{
	struct vtx_emu e = { .mode = mode };
	struct cursor c = { .insn = insn, .pos = 0 };
	struct prefixes p = { .seg = SEG_DEFAULT };
	u64 b;

	c.avail = len < VTX_EMU_MAX_INSN ? len : VTX_EMU_MAX_INSN;
	if (decode_prefixes(&e, &c, &p, &b))
		return -EINVAL;
	if (e.rex & REX_W)
		return 8;
	return (mode == 16) != p.opsize ? 2 : 4;
}

/**
 * vtx_emu_prefixes() - the legacy prefixes of an instruction outside
 * 64-bit mode, as vtx_emu_decode() reads them, for a caller that decodes
 * the instructions it does not ask of vtx_emu_decode() (vmx/rmemu.c's
 * branches and far transfers).
 * @insn:	the instruction's bytes
 * @len:	how many of them there are
 * @mode:	code size: 16 or 32
 * @p:		out: the prefixes
 *
 * Return: 0; -EINVAL when @insn ends inside the prefixes, or for 64-bit
 * mode.
 */
int vtx_emu_prefixes(const u8 *insn, unsigned int len, u8 mode,
		     struct vtx_emu_prefixes *p)
{
	struct vtx_emu e = { .mode = mode };
	struct cursor c = { .insn = insn, .pos = 0 };
	struct prefixes pf = { .seg = SEG_DEFAULT };
	u64 b;

	c.avail = len < VTX_EMU_MAX_INSN ? len : VTX_EMU_MAX_INSN;
	if (mode == 64 || decode_prefixes(&e, &c, &pf, &b))
		return -EINVAL;
	p->len = c.pos - 1;
	p->seg = pf.seg == SEG_DEFAULT ? -1 : (s8)pf.seg;
	p->opsize = pf.opsize;
	p->adsize = pf.adsize;
	p->lock = pf.lock;
	p->rep = e.rep;
	return 0;
}

/**
 * vtx_emu_mem_operand() - the memory operand of a 0F xx /r instruction
 * that a backend performs itself, outside 64-bit mode (LGDT, LIDT, LMSW,
 * INVLPG refused by virtual-8086 mode, vmx/rmode.c): its prefixes and
 * ModRM addressing as vtx_emu_decode() reads them.
 * @e:		in: @insn, @insn_len_avail, @mode (16 or 32), @gpr and
 *		@seg_base; out: @len
 * @linear:	out: the operand's linear address
 *
 * Return: 0, or -EINVAL for a register operand, another opcode map, 64-bit
 * mode or bytes missing.
 */
int vtx_emu_mem_operand(struct vtx_emu *e, u64 *linear)
{
	struct cursor c = { .insn = e->insn, .pos = 0 };
	struct prefixes p = { .seg = SEG_DEFAULT };
	unsigned int def_seg = VTX_EMU_DS;
	bool rip_rel;
	u64 b, modrm, ea = 0;
	int err;

	c.avail = e->insn_len_avail < VTX_EMU_MAX_INSN ?
		  e->insn_len_avail : VTX_EMU_MAX_INSN;
	e->len = 0;
	e->rex = 0;
	e->rep = 0;
	if (e->mode == 64 || decode_prefixes(e, &c, &p, &b) ||
	    p.seg_conflict || (b & 0xff) != 0x0f)
		return -EINVAL;
	if (fetch(&c, 1, &b) || fetch(&c, 1, &modrm))
		return -EINVAL;
	modrm &= 0xff;
	if ((modrm >> 6) == 3)
		return -EINVAL;
	if (p.adsize ? e->mode != 16 : e->mode == 16) {
		err = modrm16(e, &c, modrm, &ea, &def_seg);
	} else {
		err = modrm32(e, &c, modrm, &ea, &def_seg, &rip_rel);
		ea = (u32)ea;
	}
	if (err)
		return err;
	e->len = c.pos;
	*linear = seg_linear(e, p.seg == SEG_DEFAULT ? def_seg : p.seg, ea);
	return 0;
}

static bool is_stack(unsigned int kind)
{
	return kind == K_PUSHM || kind == K_POPM || kind == K_CALLM ||
	       kind == K_JMPM;
}

static bool is_string(unsigned int kind)
{
	return kind == K_MOVS || kind == K_STOS || kind == K_LODS ||
	       kind == K_CMPS || kind == K_SCAS;
}

/* Operand and address sizes, and which prefixes the opcode allows. */
static int decode_sizes(struct vtx_emu *e, const struct opdesc *d,
			bool opsize, bool adsize, bool lock, u8 reps)
{
	bool string = is_string(e->kind);

	if (d->flags & D_BYTE)
		e->op_bytes = 1;
	else if (d->flags & D_M16)
		e->op_bytes = 2;
	else if (e->rex & REX_W)
		e->op_bytes = 8;
	else
		e->op_bytes = ((e->mode == 16) != opsize) ? 2 : 4;
	if (e->mode == 64)
		e->ad_bytes = adsize ? 4 : 8;
	else
		e->ad_bytes = ((e->mode == 16) != adsize) ? 2 : 4;

	/*
	 * 64-bit code: PUSH and POP are 64-bit (16 with 66H), near CALL and
	 * JMP always 64-bit (Intel ignores 66H there).
	 */
	if (is_stack(e->kind) && e->mode == 64)
		e->op_bytes = (opsize && (e->kind == K_PUSHM ||
					  e->kind == K_POPM)) ? 2 : 8;
	/* CMPXCHG8B: 8 bytes whatever the operand size, 16B with REX.W. */
	if (e->kind == K_CMPXCHG8B)
		e->op_bytes = (e->rex & REX_W) ? VTX_EMU_WIDE_BYTES : 8;
	if (e->kind == K_VMOV) {
		e->vec_file = d->arg;
		e->op_bytes = d->arg == VTX_EMU_VEC_MMX ? 8 :
			      VTX_EMU_WIDE_BYTES;
	}
	/*
	 * LxS, far JMP and far CALL: the offset at the operand size, then
	 * the selector.  m16:64 (REX.W, as Intel processors take it) is a
	 * 10-byte access, done as the 16-byte ones (mmio.c: 8 bytes, then 2),
	 * as KVM 6.1 does it.
	 */
	if (d->flags & D_FARPTR)
		e->src_bytes = e->op_bytes + FAR_SEL_BYTES;
	if (e->kind == K_MOVZX || e->kind == K_MOVSX) {
		if (d->arg)
			e->src_bytes = d->arg;
		else if (e->mode == 64)	/* MOVSXD */
			e->src_bytes = e->op_bytes < 4 ? e->op_bytes : 4;
		else			/* ARPL */
			return -EINVAL;
	}

	/* F2/F3: REP on string instructions, ignored hints elsewhere. */
	if (!string)
		e->rep = 0;
	else if (reps == 3)
		return -EINVAL;

	/* LOCK only on read-modify-write to memory, else #UD. */
	if (lock && e->kind != K_XCHG && !(d->flags & D_LOCK) &&
	    !(e->kind == K_ALU && (d->flags & D_MEMDST) && e->alu != ALU_CMP))
		return -EINVAL;
	return 0;
}

/*
 * BT, BTS, BTR, BTC with a register bit offset: the signed offset in
 * operand-size units moves the address (the bit within is taken later).
 */
static u64 bit_displacement(const struct vtx_emu *e)
{
	s64 off = sign_extend(reg_read(e, e->reg, e->op_bytes), e->op_bytes);

	return (u64)((off >> (e->op_bytes == 8 ? 6 : e->op_bytes == 4 ?
			      5 : 4)) * e->op_bytes);
}

/* SHLD/SHRD's count: Ib or CL, masked to 5 bits (6 with REX.W). */
static unsigned int shxd_count(const struct vtx_emu *e)
{
	return (e->dflags & D_IMM8 ? e->imm : e->gpr[VTX_EMU_RCX]) &
	       (e->op_bytes == 8 ? 63 : 31);
}

/**
 * vtx_emu_condition() - the condition @cc (the low nibble of Jcc, SETcc,
 * CMOVcc) on @rflags.
 * @cc:		0 (O) to 15 (NLE/G)
 * @rflags:	the flags
 *
 * Return: whether it holds.
 */
bool vtx_emu_condition(unsigned int cc, u64 rflags)
{
	bool sf = rflags & VTX_EMU_FL_SF, of = rflags & VTX_EMU_FL_OF;
	bool zf = rflags & VTX_EMU_FL_ZF, cf = rflags & VTX_EMU_FL_CF;
	bool r;

	switch (cc >> 1) {
	case 0:
		r = of;
		break;
	case 1:
		r = cf;
		break;
	case 2:
		r = zf;
		break;
	case 3:
		r = cf || zf;
		break;
	case 4:
		r = sf;
		break;
	case 5:
		r = rflags & VTX_EMU_FL_PF;
		break;
	case 6:
		r = sf != of;
		break;
	default:
		r = zf || sf != of;
		break;
	}
	return r != (cc & 1);
}

static u64 bswap(u64 v, unsigned int bytes)
{
	u64 r = 0;
	unsigned int i;

	for (i = 0; i < bytes; i++)
		r |= ((v >> (8 * i)) & 0xff) << (8 * (bytes - 1 - i));
	return r;
}

/* Instructions whose one access is a write: its value. */
static void decode_store(struct vtx_emu *e)
{
	u64 v;

	if (!(e->dflags & D_MEMDST))
		return;
	switch (e->kind) {
	case K_MOV:
		v = (e->dflags & (D_IMM | D_IMM8)) ? e->imm :
		    reg_read(e, e->reg, e->op_bytes);
		break;
	case K_SETCC:
		v = vtx_emu_condition(e->sub, e->rflags);
		break;
	case K_MOVBE:
		v = bswap(reg_read(e, e->reg, e->op_bytes), e->op_bytes);
		break;
	case K_SMSW:
		v = e->cr0;
		break;
	case K_STSEG:
		v = e->result;	/* the selector, from decode_selector() */
		break;
	default:
		return;
	}
	e->is_write = true;
	e->write_val = v & size_mask(e->op_bytes);
}

/*
 * SSE and MMX moves: the checks the processor makes before the access,
 * in its order (#UD, #NM, then #GP(0) for a misaligned aligned form, on
 * the linear address as KVM checks it), then a store's data from the
 * register.  CMPXCHG16B's operand must be 16-byte aligned as well.
 */
static int decode_vector(struct vtx_emu *e)
{
	bool mmx = e->vec_file == VTX_EMU_VEC_MMX;
	u8 buf[VTX_EMU_WIDE_BYTES];
	int err;

	if (e->kind == K_CMPXCHG8B) {
		if (e->op_bytes == VTX_EMU_WIDE_BYTES &&
		    (e->linear & (VTX_EMU_WIDE_BYTES - 1))) {
			e->gp_fault = true;
			return -EFAULT;
		}
		return 0;
	}
	if ((e->cr0 & VTX_EMU_CR0_EM) ||
	    (!mmx && !(e->cr4 & VTX_EMU_CR4_OSFXSR))) {
		e->ud_fault = true;
		return -EFAULT;
	}
	if (e->cr0 & VTX_EMU_CR0_TS) {
		e->nm_fault = true;
		return -EFAULT;
	}
	if ((e->dflags & D_ALIGNED) &&
	    (e->linear & (VTX_EMU_WIDE_BYTES - 1))) {
		e->gp_fault = true;
		return -EFAULT;
	}
	if (!e->ops || !e->ops->read_vec || !e->ops->write_vec)
		return -EFAULT;
	if (!(e->dflags & D_MEMDST))
		return 0;
	/* MMX registers 0-7: REX.R is ignored. */
	err = e->ops->read_vec(e->opaque, e->vec_file,
			       mmx ? e->reg & 7 : e->reg, buf);
	if (err)
		return -EFAULT;
	e->is_write = true;
	if (mmx)
		memcpy(&e->write_val, buf, sizeof(e->write_val));
	else
		memcpy(e->wide, buf, sizeof(e->wide));
	return 0;
}

/*
 * MOV m16,Sreg, SLDT m16, STR m16 (as KVM's em_store_sreg): the selector
 * into @result, through @ops->get_seg.  MOV with ModRM.reg 6 or 7 is #UD;
 * SLDT and STR are #UD in real and virtual-8086 mode, #GP(0) outside
 * CPL 0 under CR4.UMIP; all before the access.
 */
static int decode_selector(struct vtx_emu *e, u8 modrm)
{
	unsigned int seg = e->sub == STSEG_MODRM ? (modrm >> 3) & 7 : e->sub;
	struct vtx_emu_segdesc s;

	if (seg >= VTX_EMU_NR_SEGS && e->sub == STSEG_MODRM) {
		e->ud_fault = true;
		return -EFAULT;
	}
	if (seg >= VTX_EMU_NR_SEGS) {
		if (!(e->cr0 & VTX_EMU_CR0_PE) ||
		    (e->rflags & VTX_EMU_FL_VM)) {
			e->ud_fault = true;
			return -EFAULT;
		}
		if (e->cpl && (e->cr4 & VTX_EMU_CR4_UMIP)) {
			e->gp_fault = true;
			return -EFAULT;
		}
	}
	if (!e->ops || !e->ops->get_seg || e->ops->get_seg(e->opaque, seg, &s))
		return -EINVAL;
	e->result = s.selector;
	return 0;
}

/* The stack's address size: SS.B, or 64 bits in 64-bit mode. */
static unsigned int stack_bytes(const struct vtx_emu *e)
{
	if (e->mode == 64)
		return 8;
	if (e->stack_bytes == 2 || e->stack_bytes == 4)
		return e->stack_bytes;
	return e->mode == 32 ? 4 : 2;
}

/* RSP moved by @delta, wrapping at the stack's address size. */
static u64 stack_moved(const struct vtx_emu *e, u64 delta)
{
	u64 mask = size_mask(stack_bytes(e)), rsp = e->gpr[VTX_EMU_RSP];

	return (rsp & ~mask) | ((rsp + delta) & mask);
}

/*
 * Far CALL: CS and the return offset go on the RAM stack, both at the
 * operand size (one write of twice that, the return offset lower), once
 * the caller checked the new CS (vtx_emu_far_call_push()); the new RSP
 * waits in @result.
 */
static int decode_far_call(struct vtx_emu *e)
{
	if (!e->interp && !within(e->mmio_linear, e->linear, e->access_bytes))
		return -EINVAL;
	if (!e->ops || !e->ops->write_mem || !e->ops->get_seg)
		return -EFAULT;
	e->pend = PEND_RSP;
	e->result = stack_moved(e, -2 * (u64)e->op_bytes);
	e->other_linear = seg_linear(e, VTX_EMU_SS,
				     e->result & size_mask(stack_bytes(e)));
	e->other_seg = VTX_EMU_SS;
	return 0;
}

int vtx_emu_far_call_push(struct vtx_emu *e)
{
	unsigned int n = 2 * e->op_bytes;

	if (e->kind != K_CALLFAR || e->stage != 2)
		return -EINVAL;
	if (noncanonical(e, e->other_linear, true) ||
	    noncanonical(e, e->other_linear + n - 1, true) ||
	    seg_faults(e, VTX_EMU_SS, e->other_linear, n, true))
		return -EFAULT;
	/* a stack on a device: not emulated */
	return e->ops->write_mem(e->opaque, e->other_linear, e->far_push,
				 n) ? -EFAULT : 0;
}

/*
 * PUSH m, POP m, CALL m and JMP m: the device access is the memory
 * operand (a stack outside RAM is refused); the stack is RAM, accessed
 * through @ops: POP reads it here, PUSH and CALL write it once the
 * operand is read.  The new RSP waits in @result until completion.
 */
static int decode_stack(struct vtx_emu *e)
{
	u64 mask = size_mask(stack_bytes(e)), v = 0;
	int err;

	if (!e->interp && !e->rm_is_reg &&
	    !within(e->mmio_linear, e->linear, e->op_bytes))
		return -EINVAL;
	if (e->kind == K_JMPM)
		return 0;
	if (!e->ops || !e->ops->read_mem || !e->ops->write_mem)
		return -EFAULT;
	e->pend = PEND_RSP;
	if (e->kind != K_POPM) {
		e->result = stack_moved(e, -(u64)e->op_bytes);
		e->other_linear = seg_linear(e, VTX_EMU_SS, e->result & mask);
		e->other_seg = VTX_EMU_SS;
		return 0;
	}
	e->other_linear = seg_linear(e, VTX_EMU_SS,
				     e->gpr[VTX_EMU_RSP] & mask);
	e->other_seg = VTX_EMU_SS;
	if (other_faults(e, false))
		return -EFAULT;
	err = e->ops->read_mem(e->opaque, e->other_linear, &v, e->op_bytes);
	if (err)
		return err < 0 ? -EFAULT : -EINVAL;
	e->result = stack_moved(e, e->op_bytes);
	e->is_write = true;
	e->write_val = v & size_mask(e->op_bytes);
	return 0;
}

/* Whether the instruction writes its memory operand (not CMP, TEST, BT). */
static bool writes_operand(const struct vtx_emu *e)
{
	if (!(e->dflags & D_MEMDST))
		return false;
	return !(e->kind == K_ALU && e->alu == ALU_CMP) &&
	       !(e->kind == K_BT && e->sub == BT_BT);
}

/*
 * @interp: the r/m operand is register @reg (ModRM.mod 3, rAX, or the
 * opcode's low bits), no access; @opsize, @lock: the prefixes.  The forms
 * that take memory only are #UD (LEA, LxS, far JMP and CALL, CMPXCHG8B),
 * as is LOCK on a register; those not done are refused.  Return: 0,
 * -EFAULT with @ud_fault, or -EINVAL.
 */
static int decode_reg_form(struct vtx_emu *e, const struct opdesc *d,
			   unsigned int reg, bool opsize, bool lock)
{
	if (!e->interp)
		return -EINVAL;
	if (lock || e->kind == K_LEA || (d->flags & D_FARPTR) ||
	    e->kind == K_CMPXCHG8B) {
		e->ud_fault = true;
		return -EFAULT;
	}
	/* POP SP from the stack: RSP written twice, not done */
	if (e->kind == K_VMOV || e->kind == K_MOVBE ||
	    (e->kind == K_POPM && reg == VTX_EMU_RSP))
		return -EINVAL;
	/* SMSW and MOV r,Sreg to a register: the operand size */
	if (e->kind == K_SMSW || e->kind == K_STSEG)
		e->op_bytes = (e->mode == 16) != opsize ? 2 : 4;
	e->rm_is_reg = true;
	e->rm_reg = reg;
	e->rm_bytes = e->src_bytes ? e->src_bytes : e->op_bytes;
	return 0;
}

int vtx_emu_decode(struct vtx_emu *e)
{
	struct cursor c = { .insn = e->insn, .pos = 0 };
	const struct opdesc *d;
	unsigned int seg = SEG_DEFAULT, def_seg = VTX_EMU_DS;
	bool opsize = false, adsize = false, lock = false, rip_rel = false;
	u8 reps = 0, modrm = 0;
	u64 ea = 0, v;
	int err;

	c.avail = e->insn_len_avail < VTX_EMU_MAX_INSN ?
		  e->insn_len_avail : VTX_EMU_MAX_INSN;
	e->len = 0;
	e->linear = 0;
	e->access_bytes = 0;
	e->is_write = false;
	e->write_val = 0;
	e->gp_fault = false;
	e->ud_fault = false;
	e->nm_fault = false;
	e->ss_fault = false;
	e->de_fault = false;
	e->cr0_write = false;
	e->new_cr0 = 0;
	e->seg_load = false;
	e->load_seg = 0;
	e->load_sel = 0;
	e->mov_ss = false;
	e->far_jmp = false;
	e->far_call = false;
	memset(e->far_push, 0, sizeof(e->far_push));
	e->other_seg = VTX_EMU_DS;
	memset(e->wide, 0, sizeof(e->wide));
	e->vec_file = 0;
	e->kind = K_BAD;
	e->alu = 0;
	e->sub = 0;
	e->pend = PEND_NONE;
	e->dflags = 0;
	e->src_bytes = 0;
	e->rex = 0;
	e->rep = 0;
	e->reg = VTX_EMU_RAX;
	e->stage = 0;
	e->mmio_is_src = false;
	e->imm = 0;
	e->other_linear = 0;
	e->result = 0;
	e->new_rflags = e->rflags;
	e->rm_is_reg = false;
	e->rm_reg = 0;
	e->rm_bytes = 0;
	e->skip = false;
	if (e->mode != 16 && e->mode != 32 && e->mode != 64)
		return -EINVAL;
	if (e->interp && e->mode == 64)
		return -EINVAL;

	d = decode_opcode(e, &c, &seg, &opsize, &adsize, &lock, &reps);
	/* A group: ModRM.reg, the next byte, tells the instruction. */
	if (d && (d->flags & D_SUBGRP)) {
		if (c.pos >= c.avail)
			return -EINVAL;
		d = &groups[d->arg][(c.insn[c.pos] >> 3) & 7];
	}
	if (!d || d->kind == K_BAD)
		return -EINVAL;
	/* the forms that make no access: the interpreter's only */
	if (!e->interp && ((d->flags & (D_ACC | D_OPREG)) ||
			   d->kind == K_LEA || d->kind == K_XLAT ||
			   d->kind == K_BCD))
		return -EINVAL;
	e->kind = d->kind;
	e->dflags = d->flags;
	e->alu = d->arg;
	e->sub = d->arg;
	err = decode_sizes(e, d, opsize, adsize, lock, reps);
	if (err)
		return err;

	if (d->flags & D_MODRM) {
		if (fetch(&c, 1, &v))
			return -EINVAL;
		modrm = v;
		if ((modrm >> 6) == 3) {
			/* register operand: no memory, the interpreter's */
			err = decode_reg_form(e, d, modrm & 7, opsize, lock);
			if (err)
				return err;
		}
		if ((d->flags & D_REG0) && (modrm & 0x38))
			return -EINVAL;
		if (d->flags & D_GROUP)
			e->alu = (modrm >> 3) & 7;
		/* LOCK with CMP from group 1 */
		if (lock && e->alu == ALU_CMP)
			return -EINVAL;
		e->reg = ((modrm >> 3) & 7) | (e->rex & REX_R ? 8 : 0);
		/* POP m: an address based on RSP uses RSP after the pop. */
		v = e->gpr[VTX_EMU_RSP];
		if (e->kind == K_POPM)
			e->gpr[VTX_EMU_RSP] = stack_moved(e, e->op_bytes);
		if (e->rm_is_reg)
			err = 0;
		else if (e->ad_bytes == 2)
			err = modrm16(e, &c, modrm, &ea, &def_seg);
		else
			err = modrm32(e, &c, modrm, &ea, &def_seg, &rip_rel);
		e->gpr[VTX_EMU_RSP] = v;
		if (err)
			return err;
	} else if (d->flags & (D_ACC | D_OPREG)) {
		err = decode_reg_form(e, d, d->flags & D_ACC ? VTX_EMU_RAX :
					    c.insn[c.pos - 1] & 7, opsize, lock);
		if (err)
			return err;
	} else if (e->kind == K_XLAT) {
		ea = e->gpr[VTX_EMU_RBX] + (e->gpr[VTX_EMU_RAX] & 0xff);
	} else if (d->flags & D_MOFFS) {
		if (fetch(&c, e->ad_bytes, &ea))
			return -EINVAL;
	}
	if (d->flags & D_IMM8)
		err = fetch(&c, 1, &e->imm);
	else if (d->flags & D_IMM)
		err = fetch(&c, e->op_bytes == 2 ? 2 : 4, &e->imm);
	if (err)
		return err;
	e->len = c.pos;
	/*
	 * POPCNT that the vCPU's CPUID lacks: #UD, before any address is
	 * checked (a register form or truncated bytes were refused above:
	 * they are no access to a device).
	 */
	if (e->kind == K_BITCNT && e->sub == BC_POPCNT &&
	    !(e->features & VTX_EMU_FEAT_POPCNT)) {
		e->ud_fault = true;
		return -EFAULT;
	}
	/*
	 * LMSW outside CPL 0, SMSW outside it under CR4.UMIP: #GP(0), which
	 * the processor raises before it reads or writes the operand.
	 */
	if ((e->kind == K_LMSW && e->cpl) ||
	    (e->kind == K_SMSW && e->cpl && (e->cr4 & VTX_EMU_CR4_UMIP))) {
		e->gp_fault = true;
		return -EFAULT;
	}
	if (e->kind == K_STSEG) {
		err = decode_selector(e, modrm);
		if (err)
			return err;
	}
	if (e->kind == K_LDSEG &&
	    (e->sub == VTX_EMU_LDTR || e->sub == VTX_EMU_TR)) {
		/*
		 * LLDT, LTR: #UD in real and virtual-8086 mode, #GP(0)
		 * outside CPL 0, both before the operand is read.
		 */
		e->load_seg = e->sub;
		if (!(e->cr0 & VTX_EMU_CR0_PE) ||
		    (e->rflags & VTX_EMU_FL_VM)) {
			e->ud_fault = true;
			return -EFAULT;
		}
		if (e->cpl) {
			e->gp_fault = true;
			return -EFAULT;
		}
	} else if (e->kind == K_LDSEG) {
		e->load_seg = e->sub == LDSEG_MODRM ? (modrm >> 3) & 7 : e->sub;
		/* MOV to CS, or to Sreg 6 or 7: #UD, before the access */
		if (e->load_seg == VTX_EMU_CS ||
		    e->load_seg >= VTX_EMU_NR_SEGS) {
			e->ud_fault = true;
			return -EFAULT;
		}
	}
	/* A 16-bit SHLD/SHRD by more than 16: the SDM leaves it undefined. */
	if (e->kind == K_SHXD && e->op_bytes == 2 && shxd_count(e) > 16)
		return -EINVAL;
	/* In 16-bit code, IP wrapping at 64K: refused rather than guessed. */
	if (e->mode == 16 && e->rip + e->len > 0xffff)
		return -EINVAL;

	if (is_string(e->kind)) {
		err = decode_string(e, seg);
		if (err)
			return err;
	} else if (e->kind == K_LEA) {
		/* the offset at the address size, to the operand size */
		e->result = ea & size_mask(e->ad_bytes);
		e->pend = PEND_REG;
	} else if (e->kind == K_BCD) {
		/* AL and AH only, no access */
	} else if (e->rm_is_reg) {
		decode_store(e);
		if (is_stack(e->kind)) {
			err = decode_stack(e);
			if (err)
				return err;
		}
	} else {
		if (rip_rel)
			ea += e->rip + e->len;
		if (d->flags & D_BITREG)
			ea += bit_displacement(e);
		ea &= size_mask(e->ad_bytes);
		seg = seg == SEG_DEFAULT ? def_seg : seg;
		e->linear = seg_linear(e, seg, ea);
		e->access_bytes = e->src_bytes ? e->src_bytes : e->op_bytes;
		decode_store(e);
		err = main_faults(e, seg, writes_operand(e));
		if (err)
			return err;
		if (e->kind == K_VMOV || e->kind == K_CMPXCHG8B) {
			err = decode_vector(e);
			if (err)
				return err;
		}
		if (is_stack(e->kind)) {
			err = decode_stack(e);
			if (err)
				return err;
		}
		if (e->kind == K_CALLFAR) {
			err = decode_far_call(e);
			if (err)
				return err;
		}
	}
	/*
	 * An access may cross a page boundary: the caller splits it in two,
	 * one per page, as KVM does.
	 */
	return 0;
}

/* Source operand of ALU/TEST/XCHG that is not the memory one. */
static u64 other_operand(const struct vtx_emu *e)
{
	if (e->dflags & (D_IMM | D_IMM8))
		return e->imm;
	return reg_read(e, e->reg, e->op_bytes);
}

/* One element of a string instruction done: rSI, rDI, rCX. */
static bool string_advance(struct vtx_emu *e)
{
	u64 mask = size_mask(e->ad_bytes);
	u64 step = (e->rflags & VTX_EMU_FL_DF) ? -(u64)e->op_bytes :
		   e->op_bytes;
	bool zf = e->new_rflags & VTX_EMU_FL_ZF;
	u64 cnt;

	if (e->kind != K_STOS && e->kind != K_SCAS)
		reg_write(e, VTX_EMU_RSI, e->ad_bytes,
			  e->gpr[VTX_EMU_RSI] + step);
	if (e->kind != K_LODS)
		reg_write(e, VTX_EMU_RDI, e->ad_bytes,
			  e->gpr[VTX_EMU_RDI] + step);
	if (!e->rep)
		return true;
	cnt = (e->gpr[VTX_EMU_RCX] - 1) & mask;
	reg_write(e, VTX_EMU_RCX, e->ad_bytes, cnt);
	if (!cnt)
		return true;
	/* CMPS and SCAS: REPE (F3) stops on ZF=0, REPNE (F2) on ZF=1. */
	if (e->kind == K_CMPS || e->kind == K_SCAS)
		return e->rep == 0xf3 ? !zf : zf;
	return false;
}

/* The instruction is done: registers were written, RIP and RFLAGS now. */
static void finish(struct vtx_emu *e)
{
	bool done = true;

	switch (e->pend) {
	case PEND_REG:
		reg_write(e, e->reg, e->op_bytes, e->result);
		break;
	case PEND_RAX:
		reg_write(e, VTX_EMU_RAX, e->op_bytes, e->result);
		break;
	case PEND_EDX_EAX:
		reg_write(e, VTX_EMU_RAX, 4, e->result);
		reg_write(e, VTX_EMU_RDX, 4, e->result >> 32);
		break;
	case PEND_RSP:
		e->gpr[VTX_EMU_RSP] = e->result;
		break;
	case PEND_RDX_RAX:	/* CMPXCHG16B failed: the old value */
		memcpy(&e->gpr[VTX_EMU_RAX], e->wide, sizeof(u64));
		memcpy(&e->gpr[VTX_EMU_RDX], e->wide + sizeof(u64),
		       sizeof(u64));
		break;
	}
	if (is_string(e->kind) && !e->skip)
		done = string_advance(e);
	e->rflags = e->new_rflags;
	if (e->kind == K_CALLM || e->kind == K_JMPM || e->kind == K_JMPFAR ||
	    e->kind == K_CALLFAR) {
		/* the target, which the first access read, in @imm */
		e->rip = e->imm & size_mask(e->op_bytes);
		e->rflags &= ~VTX_EMU_FL_RF;
	} else if (done) {
		e->rip += e->len;
		if (e->mode == 32)
			e->rip = (u32)e->rip;
		e->rflags &= ~VTX_EMU_FL_RF;
	}
	e->stage = 2;
}

/* Asks the caller for the write of @val, the second access. */
static int second_write(struct vtx_emu *e, u64 val)
{
	e->is_write = true;
	e->write_val = val & size_mask(e->access_bytes);
	e->stage = 1;
	return 1;
}

/*
 * Group 2 on @bytes-wide @val: ROL ... SAR by @count (masked here as the
 * CPU does).  A masked count of 0 changes no flag, nor does an RCL/RCR
 * whose count is a multiple of the width plus one.  The flags the SDM
 * leaves undefined are set as Intel CPUs set them: OF for any count as for
 * a count of 1 (from the original value and CF), AF cleared by shifts, CF
 * of SHL/SHR by more than the width cleared.
 */
static u64 shift_exec(unsigned int op, u64 val, unsigned int count,
		      unsigned int bytes, u64 *rflags)
{
	unsigned int bits = bytes * 8, cnt, r, i;
	u64 mask = size_mask(bytes), sign = 1ULL << (bits - 1), res, fl;
	bool cf = *rflags & VTX_EMU_FL_CF, of, bit, top2;

	cnt = count & (bytes == 8 ? 63 : 31);
	if (!cnt)
		return val & mask;
	val &= mask;
	/* OF of ROL, RCL and SHL by 1: the two top bits differ. */
	top2 = !!(val & sign) != !!(val & (sign >> 1));
	switch (op) {
	case SH_ROL:
		r = cnt % bits;
		res = r ? ((val << r) | (val >> (bits - r))) & mask : val;
		cf = res & 1;
		of = top2;
		break;
	case SH_ROR:
		r = cnt % bits;
		res = r ? ((val >> r) | (val << (bits - r))) & mask : val;
		cf = res & sign;
		of = !!(val & sign) != (val & 1);
		break;
	case SH_RCL:
	case SH_RCR:
		r = bits < 32 ? cnt % (bits + 1) : cnt;
		if (!r)
			return val;
		res = val;
		of = op == SH_RCL ? top2 : !!(val & sign) != cf;
		for (i = 0; i < r; i++) {
			if (op == SH_RCL) {
				bit = res & sign;
				res = ((res << 1) | cf) & mask;
			} else {
				bit = res & 1;
				res = (res >> 1) | (cf ? sign : 0);
			}
			cf = bit;
		}
		break;
	default:
		if (op == SH_SAR) {
			res = (u64)((s64)sign_extend(val, bytes) >>
				    (cnt > 63 ? 63 : cnt)) & mask;
			cf = (u64)((s64)sign_extend(val, bytes) >>
				   (cnt - 1)) & 1;
			of = false;
		} else if (op == SH_SHR) {
			res = val >> cnt;
			cf = cnt - 1 < bits ? (val >> (cnt - 1)) & 1 : 0;
			of = val & sign;
		} else {
			res = (val << cnt) & mask;
			cf = cnt <= bits ? (val >> (bits - cnt)) & 1 : 0;
			of = top2;
		}
		fl = (*rflags & ~VTX_EMU_FL_ARITH) | szp_flags(res, sign);
		*rflags = fl | (cf ? VTX_EMU_FL_CF : 0) |
			  (of ? VTX_EMU_FL_OF : 0);
		return res;
	}
	*rflags = (*rflags & ~(VTX_EMU_FL_CF | VTX_EMU_FL_OF)) |
		  (cf ? VTX_EMU_FL_CF : 0) | (of ? VTX_EMU_FL_OF : 0);
	return res;
}

/* INC, DEC, NOT, NEG of @val. */
static u64 unary_exec(unsigned int op, u64 val, unsigned int bytes,
		      u64 *rflags)
{
	u64 cf = *rflags & VTX_EMU_FL_CF;

	switch (op) {
	case UN_INC:
	case UN_DEC:
		/* CF is left alone. */
		val = alu_exec(op == UN_INC ? ALU_ADD : ALU_SUB, val, 1, bytes,
			       rflags);
		*rflags = (*rflags & ~VTX_EMU_FL_CF) | cf;
		return val;
	case UN_NOT:
		return ~val & size_mask(bytes);
	default:
		return alu_exec(ALU_SUB, 0, val, bytes, rflags);
	}
}

/* BT*: CF is the bit; the other arithmetic flags are left alone. */
static u64 bt_exec(struct vtx_emu *e, u64 val)
{
	unsigned int bit = (e->dflags & D_IMM8 ? e->imm :
			    reg_read(e, e->reg, e->op_bytes)) &
			   (e->op_bytes * 8 - 1);
	u64 m = 1ULL << bit;

	e->new_rflags &= ~VTX_EMU_FL_CF;
	if (val & m)
		e->new_rflags |= VTX_EMU_FL_CF;
	switch (e->sub) {
	case BT_BTS:
		return val | m;
	case BT_BTR:
		return val & ~m;
	default:
		return val ^ m;
	}
}

/*
 * SHLD/SHRD of @val (the memory destination) with the register's bits
 * shifted in.  A count of 0 changes nothing; a 16-bit one above 16 leaves
 * the result undefined and is refused at decode.  CF is the last bit out,
 * SF, ZF, PF from the result; OF (defined for a count of 1: the sign
 * changed) and AF, undefined otherwise, as Bochs sets them: OF from the
 * result's top two bits (SHRD) or CF and its top bit (SHLD), AF cleared.
 */
static u64 shxd_exec(struct vtx_emu *e, u64 val)
{
	unsigned int bits = e->op_bytes * 8, cnt = shxd_count(e);
	u64 src = reg_read(e, e->reg, e->op_bytes), res, cf, of;
	u64 mask = size_mask(e->op_bytes);

	val &= mask;
	if (!cnt)
		return val;
	if (e->sub == 0) {
		res = (val << cnt) | (cnt == bits ? src : src >> (bits - cnt));
		cf = (val >> (bits - cnt)) & 1;
		res &= mask;
		of = cf ^ (res >> (bits - 1));
	} else {
		res = (val >> cnt) | (cnt == bits ? src : src << (bits - cnt));
		cf = (val >> (cnt - 1)) & 1;
		res &= mask;
		of = ((res >> (bits - 1)) ^ (res >> (bits - 2))) & 1;
	}
	e->new_rflags = (e->new_rflags & ~VTX_EMU_FL_ARITH) |
			szp_flags(res, 1ULL << (bits - 1)) |
			(cf ? VTX_EMU_FL_CF : 0) | (of ? VTX_EMU_FL_OF : 0);
	return res;
}

/* Read-modify-write instructions: @val read, the value to write back. */
static u64 rmw_exec(struct vtx_emu *e, u64 val)
{
	u64 src = other_operand(e), acc;

	switch (e->kind) {
	case K_ALU:
		return alu_exec(e->alu, val, src, e->op_bytes, &e->new_rflags);
	case K_UNARY:
		return unary_exec(e->sub, val, e->op_bytes, &e->new_rflags);
	case K_SHIFT:
		return shift_exec(e->alu, val,
				  e->sub == CNT_IMM ? e->imm :
				  e->sub == CNT_ONE ? 1 :
				  e->gpr[VTX_EMU_RCX] & 0xff,
				  e->op_bytes, &e->new_rflags);
	case K_BT:
		return bt_exec(e, val);
	case K_SHXD:
		return shxd_exec(e, val);
	case K_XADD:
		e->result = val;
		e->pend = PEND_REG;
		return alu_exec(ALU_ADD, val, src, e->op_bytes, &e->new_rflags);
	case K_CMPXCHG:
		acc = reg_read(e, VTX_EMU_RAX, e->op_bytes);
		alu_exec(ALU_CMP, acc, val, e->op_bytes, &e->new_rflags);
		if (acc == val)
			return src;
		/* Failure: rAX gets the value, memory is written with it. */
		e->result = val;
		e->pend = PEND_RAX;
		return val;
	case K_CMPXCHG8B:
		acc = (e->gpr[VTX_EMU_RDX] << 32) | (u32)e->gpr[VTX_EMU_RAX];
		e->new_rflags &= ~VTX_EMU_FL_ZF;
		if (acc == val) {
			e->new_rflags |= VTX_EMU_FL_ZF;
			return (e->gpr[VTX_EMU_RCX] << 32) |
			       (u32)e->gpr[VTX_EMU_RBX];
		}
		e->result = val;
		e->pend = PEND_EDX_EAX;
		return val;
	default:	/* XCHG */
		e->result = val;
		e->pend = PEND_REG;
		return reg_read(e, e->reg, e->op_bytes);
	}
}

/* The first access was done; @val is the data of a read. */
/*
 * Write @val to the side that is not the faulting MMIO access (the other
 * operand of MOVS, the stack of PUSH/CALL): 0 when it was RAM, 1 when it
 * is MMIO too (a second write), -EFAULT when it failed.
 */
/*
 * The write of the side the processor did not reach: the destination of
 * MOVS, the stack of PUSH and CALL m.  Checked as the processor would,
 * after the device read, as KVM's emulator does at its writeback.
 */
static int write_other(struct vtx_emu *e, u64 val)
{
	int err;

	if (other_faults(e, true))
		return -EFAULT;
	err = e->ops->write_mem(e->opaque, e->other_linear, &val,
				e->op_bytes);

	if (err == VTX_EMU_OPS_MMIO) {
		e->linear = e->other_linear;
		return second_write(e, val);
	}
	return err ? -EFAULT : 0;
}

/*
 * CMPXCHG16B: the 16 bytes read are in @wide; RDX:RAX compared with them,
 * RCX:RBX written on success, the old value written back on failure (as
 * the processor's locked cycle does) and loaded into RDX:RAX.
 */
static int cmpxchg16b(struct vtx_emu *e)
{
	u64 old[2];

	memcpy(old, e->wide, sizeof(old));
	e->new_rflags &= ~VTX_EMU_FL_ZF;
	if (old[0] == e->gpr[VTX_EMU_RAX] && old[1] == e->gpr[VTX_EMU_RDX]) {
		e->new_rflags |= VTX_EMU_FL_ZF;
		memcpy(e->wide, &e->gpr[VTX_EMU_RBX], sizeof(u64));
		memcpy(e->wide + sizeof(u64), &e->gpr[VTX_EMU_RCX],
		       sizeof(u64));
	} else {
		e->pend = PEND_RDX_RAX;
	}
	e->is_write = true;
	e->write_val = 0;
	e->stage = 1;
	return 1;
}

/* An SSE or MMX load: the data read goes to the register. */
static int vector_load(struct vtx_emu *e, u64 val)
{
	u8 buf[VTX_EMU_WIDE_BYTES];

	if (e->vec_file == VTX_EMU_VEC_MMX) {
		memcpy(buf, &val, sizeof(val));
		return e->ops->write_vec(e->opaque, e->vec_file, e->reg & 7,
					 buf) ? -EFAULT : 0;
	}
	memcpy(buf, e->wide, sizeof(buf));
	return e->ops->write_vec(e->opaque, e->vec_file, e->reg, buf) ?
	       -EFAULT : 0;
}

/* @a * @b, unsigned: the low 64 bits of the product; the high ones in @hi. */
static u64 mul_u64(u64 a, u64 b, u64 *hi)
{
	u64 al = (u32)a, ah = a >> 32, bl = (u32)b, bh = b >> 32;
	u64 ll = al * bl, lh = al * bh, hl = ah * bl;
	u64 mid = (ll >> 32) + (u32)lh + (u32)hl;

	*hi = ah * bh + (lh >> 32) + (hl >> 32) + (mid >> 32);
	return (mid << 32) | (u32)ll;
}

/*
 * The product of @a and @b, @bytes wide each (signed when @sign): its low
 * @bytes in the return value, the next @bytes in @high; @ovf when the
 * product does not fit in @bytes (CF and OF of MUL and IMUL).
 */
static u64 multiply(u64 a, u64 b, unsigned int bytes, bool sign, u64 *high,
		    bool *ovf)
{
	u64 mask = size_mask(bytes), lo, hi;

	if (sign) {
		a = sign_extend(a, bytes);
		b = sign_extend(b, bytes);
	} else {
		a &= mask;
		b &= mask;
	}
	lo = mul_u64(a, b, &hi);
	if (sign) {	/* the signed high half of the 128-bit product */
		if ((s64)a < 0)
			hi -= b;
		if ((s64)b < 0)
			hi -= a;
	}
	if (bytes < 8)
		hi = lo >> (bytes * 8);
	*high = hi & mask;
	lo &= mask;
	if (sign)
		*ovf = bytes < 8 ? sign_extend(lo, bytes) !=
				   sign_extend(lo | (hi << (bytes * 8)),
					       bytes * 2) :
			hi != ((s64)lo < 0 ? ~0ULL : 0);
	else
		*ovf = *high != 0;
	return lo;
}

/* (@hi:@lo) / @d, unsigned, @d not 0: the quotient in @hi:@lo, remainder. */
static u64 divide128(u64 *hi, u64 *lo, u64 d)
{
	u64 r = 0, top;
	unsigned int i;

	for (i = 0; i < 128; i++) {
		top = r >> 63;
		r = (r << 1) | (*hi >> 63);
		*hi = (*hi << 1) | (*lo >> 63);
		*lo <<= 1;
		if (top || r >= d) {
			r -= d;
			*lo |= 1;
		}
	}
	return r;
}

/*
 * MUL, IMUL, DIV and IDIV of AX or rDX:rAX by @val (group 3 /4-/7).  The
 * flags the SDM leaves undefined: SF, ZF and PF of MUL and IMUL from the
 * low half of the product, AF cleared (as Bochs, and as the current SDM
 * has SF of IMUL); DIV and IDIV change no flag.  Returns false, nothing
 * changed, for #DE: a divisor of 0 or a quotient too wide.
 */
static bool muldiv(struct vtx_emu *e, u64 val)
{
	unsigned int n = e->op_bytes;
	u64 mask = size_mask(n), sign = 1ULL << (n * 8 - 1);
	u64 a = e->gpr[VTX_EMU_RAX], hi, lo, q, r, d, lim;
	bool ovf, neg = false, dneg = false;

	if (e->sub == MD_MUL || e->sub == MD_IMUL) {
		lo = multiply(a, val, n, e->sub == MD_IMUL, &hi, &ovf);
		e->new_rflags = (e->new_rflags & ~VTX_EMU_FL_ARITH) |
				szp_flags(lo, sign) |
				(ovf ? VTX_EMU_FL_CF | VTX_EMU_FL_OF : 0);
		if (n == 1) {
			reg_write(e, VTX_EMU_RAX, 2, lo | hi << 8);
		} else {
			reg_write(e, VTX_EMU_RAX, n, lo);
			reg_write(e, VTX_EMU_RDX, n, hi);
		}
		return true;
	}
	d = val & mask;
	if (!d)
		return false;
	/* the dividend, 2n bits, in hi:lo (sign-extended for IDIV) */
	if (n == 1)
		lo = a & 0xffff;
	else if (n == 8)
		lo = a;
	else
		lo = (a & mask) | (e->gpr[VTX_EMU_RDX] & mask) << (n * 8);
	hi = n == 8 ? e->gpr[VTX_EMU_RDX] : 0;
	if (e->sub == MD_IDIV) {
		if (n < 8) {
			lo = sign_extend(lo, n * 2);
			hi = (s64)lo < 0 ? ~0ULL : 0;
		}
		neg = (s64)hi < 0;
		if (neg) {	/* the magnitude, 128 bits */
			hi = ~hi + !lo;
			lo = -lo;
		}
		d = sign_extend(d, n);
		dneg = (s64)d < 0;
		if (dneg)
			d = -d;
	}
	r = divide128(&hi, &lo, d);
	q = lo;
	lim = e->sub == MD_DIV ? mask : (neg != dneg) ? sign : sign - 1;
	if (hi || q > lim)
		return false;
	if (neg != dneg)
		q = -q;
	if (neg)
		r = -r;
	if (n == 1) {
		reg_write(e, VTX_EMU_RAX, 2, (q & 0xff) | (r & 0xff) << 8);
	} else {
		reg_write(e, VTX_EMU_RAX, n, q);
		reg_write(e, VTX_EMU_RDX, n, r);
	}
	return true;
}

/*
 * POPCNT, TZCNT, LZCNT of @val into the register.  POPCNT clears OF, SF,
 * AF, CF, PF and sets ZF for a source of 0.  TZCNT and LZCNT give the
 * operand size in bits for a source of 0, set CF for it, and ZF for a
 * result of 0; OF, SF, AF and PF, which the SDM leaves undefined, are
 * left as they were, as Bochs leaves them.
 */
static void bitcnt_exec(struct vtx_emu *e, u64 val)
{
	unsigned int bits = e->op_bytes * 8, n = 0;
	u64 v = val;

	switch (e->sub) {
	case BC_POPCNT:
		for (; v; v &= v - 1)
			n++;
		e->new_rflags &= ~VTX_EMU_FL_ARITH;
		if (!val)
			e->new_rflags |= VTX_EMU_FL_ZF;
		break;
	default:
		if (e->sub == BC_TZCNT)
			while (n < bits && !(v >> n & 1))
				n++;
		else
			while (n < bits && !(v >> (bits - 1 - n) & 1))
				n++;
		e->new_rflags &= ~(VTX_EMU_FL_CF | VTX_EMU_FL_ZF);
		if (!val)
			e->new_rflags |= VTX_EMU_FL_CF;
		if (!n)
			e->new_rflags |= VTX_EMU_FL_ZF;
		break;
	}
	reg_write(e, e->reg, e->op_bytes, n);
}

/*
 * The offset and selector of a far pointer read from a device: in @val
 * (m16:16, m16:32), or in @e->wide for m16:64 (a 10-byte access).
 */
static void far_pointer(const struct vtx_emu *e, u64 val, u64 *off, u16 *sel)
{
	if (e->access_bytes > sizeof(u64)) {
		memcpy(off, e->wide, sizeof(*off));
		memcpy(sel, e->wide + sizeof(*off), sizeof(*sel));
		return;
	}
	*off = val & size_mask(e->op_bytes);
	*sel = val >> (e->op_bytes * 8);
}

/* @interp: a near branch's @target is beyond CS's limit. */
static bool beyond_cs(struct vtx_emu *e, u64 target)
{
	struct vtx_emu_segdesc cs;

	return e->ops && e->ops->get_seg &&
	       !e->ops->get_seg(e->opaque, VTX_EMU_CS, &cs) && target > cs.limit;
}

/*
 * DAA, DAS, AAA, AAS, AAM and AAD on AL and AH, as the SDM has them.  The
 * flags it leaves undefined as Bochs sets them: OF cleared; after AAA and
 * AAS, SF, ZF and PF from AL; after AAM and AAD, AF and CF cleared.
 * Return: false for AAM by 0 (#DE), nothing changed.
 */
static bool bcd_exec(struct vtx_emu *e)
{
	u8 al = e->gpr[VTX_EMU_RAX], ah = e->gpr[VTX_EMU_RAX] >> 8;
	u8 old_al = al, imm = e->imm;
	bool af = e->rflags & VTX_EMU_FL_AF, cf = e->rflags & VTX_EMU_FL_CF;
	bool old_cf = cf, low = (al & 0xf) > BCD_LOW_MAX || af;
	u16 ax = al | (u16)ah << 8;

	switch (e->sub) {
	case BCD_DAA:
	case BCD_DAS:
		cf = false;
		af = low;
		if (low) {
			al += e->sub == BCD_DAA ? BCD_LOW_ADJ : -BCD_LOW_ADJ;
			cf = old_cf || (e->sub == BCD_DAA ? al < BCD_LOW_ADJ :
					old_al < BCD_LOW_ADJ);
		}
		if (old_al > BCD_BYTE_MAX || old_cf) {
			al += e->sub == BCD_DAA ? BCD_HIGH_ADJ : -BCD_HIGH_ADJ;
			cf = true;
		}
		ax = (ax & 0xff00) | al;
		break;
	case BCD_AAA:
	case BCD_AAS:
		af = low;
		cf = low;
		if (low)
			ax += e->sub == BCD_AAA ? BCD_AAA_ADJ : -BCD_AAA_ADJ;
		ax &= 0xff0f;
		break;
	case BCD_AAM:
		if (!imm)
			return false;
		ax = (al % imm) | (u16)(al / imm) << 8;
		af = false;
		cf = false;
		break;
	default:	/* AAD */
		ax = (u8)(al + ah * imm);
		af = false;
		cf = false;
		break;
	}
	reg_write(e, VTX_EMU_RAX, 2, ax);
	e->new_rflags = (e->new_rflags & ~VTX_EMU_FL_ARITH) |
			szp_flags(ax & 0xff, 0x80) |
			(af ? VTX_EMU_FL_AF : 0) | (cf ? VTX_EMU_FL_CF : 0);
	return true;
}

static int complete_first(struct vtx_emu *e, u64 val)
{
	bool memdst = e->dflags & D_MEMDST;
	u64 res, other;
	int err;

	if (e->skip || e->kind == K_LEA)
		return 0;
	if (e->is_write) {
		/* the store to a register operand (@interp) */
		if (e->rm_is_reg)
			reg_write(e, e->rm_reg, e->rm_bytes, e->write_val);
		return 0;
	}
	if (e->kind == K_CMPXCHG8B && e->op_bytes == VTX_EMU_WIDE_BYTES)
		return cmpxchg16b(e);
	if (memdst && ((e->dflags & (D_SIMPLE_RMW | D_LOCK)) ||
		       e->kind == K_XCHG ||
		       (e->kind == K_ALU && e->alu != ALU_CMP))) {
		res = rmw_exec(e, val);
		if (!e->rm_is_reg)
			return second_write(e, res);
		/* a register destination: the source register first (XADD) */
		if (e->pend == PEND_REG) {
			reg_write(e, e->reg, e->op_bytes, e->result);
			e->pend = PEND_NONE;
		}
		reg_write(e, e->rm_reg, e->rm_bytes, res);
		return 0;
	}
	/*
	 * A near branch to a non-canonical address raises #GP(0) at the
	 * branch, before CALL pushes anything (the processor's check; a
	 * non-canonical RIP would make the next VM entry fail).
	 */
	if ((e->kind == K_JMPM || e->kind == K_CALLM) && e->mode == 64 &&
	    !canonical48(val & size_mask(e->op_bytes))) {
		e->gp_fault = true;
		return -EFAULT;
	}
	/* @interp: a near branch beyond CS's limit, #GP(0) before the push */
	if ((e->kind == K_JMPM || e->kind == K_CALLM) && e->interp &&
	    beyond_cs(e, val & size_mask(e->op_bytes))) {
		e->gp_fault = true;
		return -EFAULT;
	}
	switch (e->kind) {
	case K_JMPM:
		e->imm = val;
		break;
	case K_CALLM:
	case K_PUSHM:
		if (e->kind == K_CALLM) {
			e->imm = val;
			/* the return address, at the operand size */
			val = e->rip + e->len;
		}
		val &= size_mask(e->op_bytes);
		err = write_other(e, val);
		if (err)
			return err;
		break;
	case K_BT:	/* BT: no write */
		bt_exec(e, val);
		break;
	case K_MOVBE:
		reg_write(e, e->reg, e->op_bytes, bswap(val, e->op_bytes));
		break;
	case K_SCAS:
		alu_exec(ALU_CMP, e->gpr[VTX_EMU_RAX], val, e->op_bytes,
			 &e->new_rflags);
		break;
	case K_CMPS:
		if (!e->mmio_is_src) {
			alu_exec(ALU_CMP, e->result, val, e->op_bytes,
				 &e->new_rflags);
			break;
		}
		if (!e->ops || !e->ops->read_mem)
			return -EFAULT;
		if (other_faults(e, false))
			return -EFAULT;
		other = 0;
		err = e->ops->read_mem(e->opaque, e->other_linear, &other,
				       e->op_bytes);
		if (err == VTX_EMU_OPS_MMIO) {
			/* Both sides MMIO: a second read, of the destination */
			e->result = val;
			e->mmio_is_src = false;
			e->linear = e->other_linear;
			e->stage = 1;
			return 1;
		}
		if (err)
			return -EFAULT;
		alu_exec(ALU_CMP, val, other, e->op_bytes, &e->new_rflags);
		break;
	case K_MOV:
		reg_write(e, e->reg, e->op_bytes, val);
		break;
	case K_VMOV:
		return vector_load(e, val);
	case K_MOVZX:
		reg_write(e, e->reg, e->op_bytes, val);
		break;
	case K_MOVSX:
		reg_write(e, e->reg, e->op_bytes,
			  sign_extend(val, e->src_bytes));
		break;
	case K_BCD:
		if (!bcd_exec(e)) {
			e->de_fault = true;
			return -EFAULT;
		}
		break;
	case K_LODS:
	case K_XLAT:
		reg_write(e, VTX_EMU_RAX, e->op_bytes, val);
		break;
	case K_MULDIV:
		if (!muldiv(e, val)) {
			e->de_fault = true;
			return -EFAULT;
		}
		break;
	case K_IMUL: {
		u64 hi;
		bool ovf;

		/* two operands: the register times memory; three: imm */
		res = multiply(val, e->dflags & (D_IMM | D_IMM8) ? e->imm :
			       reg_read(e, e->reg, e->op_bytes), e->op_bytes,
			       true, &hi, &ovf);
		e->new_rflags = (e->new_rflags & ~VTX_EMU_FL_ARITH) |
				szp_flags(res, 1ULL << (e->op_bytes * 8 - 1)) |
				(ovf ? VTX_EMU_FL_CF | VTX_EMU_FL_OF : 0);
		reg_write(e, e->reg, e->op_bytes, res);
		break;
	}
	case K_BSX: {
		/*
		 * BSF/BSR: a source of 0 sets ZF and leaves the destination as
		 * it was (AMD documents it, Intel's processors do it); else the
		 * bit's index, ZF clear.  CF, OF, SF, AF, PF are undefined: set
		 * as Bochs sets them (SF, PF of the index, the others clear;
		 * all left as they were for a source of 0).
		 */
		unsigned int i;

		if (!val) {
			e->new_rflags |= VTX_EMU_FL_ZF;
			break;
		}
		e->new_rflags &= ~VTX_EMU_FL_ARITH;
		if (e->sub == 0)
			for (i = 0; !(val >> i & 1); i++)
				;
		else
			for (i = e->op_bytes * 8 - 1; !(val >> i & 1); i--)
				;
		e->new_rflags |= szp_flags(i, 1ULL << (e->op_bytes * 8 - 1)) &
				 ~VTX_EMU_FL_ZF;
		reg_write(e, e->reg, e->op_bytes, i);
		break;
	}
	case K_BITCNT:
		bitcnt_exec(e, val);
		break;
	case K_CALLFAR: {
		struct vtx_emu_segdesc cs;
		u64 ret = (e->rip + e->len) & size_mask(e->op_bytes);
		u64 cs_sel;

		/*
		 * The return address as the stack holds it: the offset at
		 * the operand size, then CS zero-extended to it.
		 */
		if (e->ops->get_seg(e->opaque, VTX_EMU_CS, &cs))
			return -EFAULT;
		cs_sel = cs.selector;
		memcpy(e->far_push, &ret, e->op_bytes);
		memcpy(e->far_push + e->op_bytes, &cs_sel, e->op_bytes);
		e->far_call = true;
		e->far_jmp = true;
		far_pointer(e, val, &e->imm, &e->load_sel);
		break;
	}
	case K_JMPFAR:
		/* the caller loads CS (its checks) before RIP is the offset */
		e->far_jmp = true;
		far_pointer(e, val, &e->imm, &e->load_sel);
		break;
	case K_LDSEG:
		/*
		 * The selector, after the offset of a far pointer: the
		 * caller loads the segment (its descriptor checks) before
		 * anything else of the instruction becomes architectural.
		 */
		e->seg_load = true;
		if (!(e->dflags & D_FARPTR)) {
			e->load_sel = val;
			e->mov_ss = e->load_seg == VTX_EMU_SS;
			break;
		}
		far_pointer(e, val, &res, &e->load_sel);
		reg_write(e, e->reg, e->op_bytes, res);
		break;
	case K_LMSW:
		/* MP, EM, TS from the operand; PE set by it, never cleared */
		e->new_cr0 = (e->cr0 & ~LMSW_LOADED) | (val & LMSW_BITS);
		e->cr0_write = true;
		break;
	case K_CMOV:
		/* memory is read either way; a 32-bit false one zero-extends */
		if (vtx_emu_condition(e->sub, e->rflags))
			reg_write(e, e->reg, e->op_bytes, val);
		else if (e->op_bytes == 4 && e->mode == 64)
			reg_write(e, e->reg, 4, e->gpr[e->reg]);
		break;
	case K_TEST:
		alu_exec(ALU_AND, val, other_operand(e), e->op_bytes,
			 &e->new_rflags);
		break;
	case K_ALU:
		if (!memdst) {
			res = alu_exec(e->alu, reg_read(e, e->reg, e->op_bytes),
				       val, e->op_bytes, &e->new_rflags);
			if (e->alu != ALU_CMP)
				reg_write(e, e->reg, e->op_bytes, res);
			break;
		}
		/* CMP: flags only */
		alu_exec(e->alu, val, other_operand(e), e->op_bytes,
			 &e->new_rflags);
		break;
	case K_MOVS:
		if (!e->ops || !e->ops->write_mem)
			return -EFAULT;
		err = write_other(e, val);
		if (err)
			return err;
		break;
	default:
		return -EINVAL;
	}
	return 0;
}

int vtx_emu_complete(struct vtx_emu *e, u64 val)
{
	int ret = 0;

	if (e->kind == K_BAD || e->stage > 1)
		return -EINVAL;
	/* @interp: a register operand is read here, no access asked */
	if (e->rm_is_reg && e->stage == 0 && !e->is_write)
		val = reg_read(e, e->rm_reg, e->rm_bytes);
	else if (!e->is_write)
		val &= size_mask(e->access_bytes);
	if (e->stage == 0)
		ret = complete_first(e, val);
	else if (e->kind == K_CMPS && !e->is_write)
		/* the second read of a CMPS between two devices */
		alu_exec(ALU_CMP, e->result, val, e->op_bytes, &e->new_rflags);
	if (ret)
		return ret;
	finish(e);
	return 0;
}
