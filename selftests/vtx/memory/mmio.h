/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What mmio_guest.S and mmio_test.c agree on: the layout of the MMIO
 * "window" and its RAM mirror, the ports, the preset registers and the
 * case numbers of the instruction matrix.
 *
 * The guest runs every case twice: once with its window on MMIO (a
 * device the host emulates on top of a 64 KiB byte array) and once on a
 * RAM mirror that starts with the same bytes, executed natively by the
 * CPU.  The host compares the registers and flags after both runs (a
 * KVM_GET_REGS at an OUT to MMIO_PORT_SNAP), the memory they wrote, and
 * the MMIO exits of the first run with what the case expects.
 *
 * How the window is switched: real mode, DS/ES/FS/GS = MMIO_SEG or
 * MIRROR_SEG; 32-bit protected mode, the selectors MMIO_SEL/MIRROR_SEL
 * (data segments based at the two areas); 64-bit long mode, the page
 * directory entry of MMIO_VA points at a page table that maps the window
 * on MMIO or on the mirror (so the MMIO side also goes through guest
 * paging).  Addresses inside the window are the same in both runs, and so
 * are the instruction bytes.
 */
#ifndef VTX_MEMORY_MMIO_H
#define VTX_MEMORY_MMIO_H

#include "vtx.h"

#define MMIO_GPA		0xa0000		/* no memslot: the device */
#define MIRROR_GPA		0x90000		/* RAM */
#define WIN_SIZE		0x10000
#define RAM_LO_SIZE		0xa0000		/* slot 0: [0, MMIO_GPA) */
#define RAM_HI_GPA		0x100000	/* slot 1: [1 MiB, 4 MiB) */
#define RAM_HI_SIZE		0x300000
#define SCRATCH_GPA		0x6000		/* RAM for the other side of MOVS */
#define SCRATCH_SIZE		0x100

#define MMIO_PORT_CASE		0xe0	/* OUT EAX = case number: a case starts */
#define MMIO_PORT_SNAP		0xe1	/* OUT: the registers after a run */
#define MMIO_PORT_FLAGS		0xe2	/* OUT EAX = the guest's PUSHF image */

/* real mode */
#define MMIO_SEG		(MMIO_GPA >> 4)
#define MIRROR_SEG		(MIRROR_GPA >> 4)
/* 32-bit protected mode: GDT entries after the library's four */
#define MMIO_SEL		0x20
#define MIRROR_SEL		0x28
/* 64-bit long mode */
#define MMIO_VA			0x400000	/* PD entry 2 */
#define PT_MMIO_GPA		0x10000		/* window -> MMIO_GPA */
#define PT_MIRROR_GPA		0x11000		/* window -> MIRROR_GPA */
#define XRAM_GPA		0x12000		/* the page after the window */
#define PD_WIN_GPA		(VTX_PD_GPA + 2 * 8)

/*
 * Preset before every instruction.  The address registers are window
 * offsets in 16/32-bit code and MMIO_VA + offset in 64-bit code.
 */
#define BX_OFF			0x100
#define BP_OFF			0x200
#define SI_OFF			0x300
#define DI_OFF			0x380
#define R10_OFF			0x500
#define R12_OFF			0x600
#define R13_VAL			0x10
/* CF PF AF ZF SF OF IF, and bit 1: IF=1 per the Bochs caveat */
#define FLAGS_PRESET		0xad7
#define PRE_EAX			0xe5f60718
#define PRE_ECX			0x89abcdef
#define PRE_EDX			0x76543210
#define PRE_RAX			0xa1b2c3d4e5f60718
#define PRE_RCX			0x0123456789abcdef
#define PRE_RDX			0xfedcba9876543210
#define PRE_R8			0x8888888811111111
#define PRE_R9			0x9999999922222222
#define PRE_R11			0xbbbbbbbb44444444
#define PRE_R14			0xeeeeeeee77777777
#define PRE_R15			0xffffffff88888888

/* Window offset of case @id's operand (each case has 0x20 bytes). */
#define WOFF(id)		(0x400 + (id) * 0x20)

/* Cases.  M = all modes unless the test table says otherwise. */
#define C_MOV_R2M_B		1
#define C_MOV_R2M_W		2
#define C_MOV_R2M_L		3
#define C_MOV_R2M_Q		4	/* 64 */
#define C_MOV_M2R_B		5
#define C_MOV_M2R_BH		6
#define C_MOV_M2R_W		7
#define C_MOV_M2R_L		8
#define C_MOV_M2R_Q		9	/* 64 */
#define C_MOV_I2M_B		10
#define C_MOV_I2M_W		11
#define C_MOV_I2M_L		12
#define C_MOV_I2M_Q		13	/* 64 */
#define C_MOFFS_A0		14
#define C_MOFFS_A1		15
#define C_MOFFS_A2		16
#define C_MOFFS_A3		17
#define C_MOFFS_A1_W		18
#define C_MOFFS_A3_Q		19	/* 64 */
#define C_MOFFS_A1_Q		20	/* 64 */
#define C_MOFFS_ADSZ		21	/* 67 A1 */
#define C_MOVZX_B		22
#define C_MOVZX_W		23
#define C_MOVSX_B		24
#define C_MOVSX_W		25
#define C_MOVZX_BW		26
#define C_MOVSX_BQ		27	/* 64 */
#define C_MOVSXD		28	/* 64 */
#define C_MOVZX_WQ_R9		29	/* 64 */
#define C_STOSB_REP		30
#define C_STOSW_REP		31
#define C_STOSL_REP		32
#define C_STOSQ_REP		33	/* 64 */
#define C_STOSL_DOWN		34
#define C_STOSB		35
#define C_MOVSB_RAM2MMIO	36
#define C_MOVSL_MMIO2RAM	37
#define C_MOVSW_MMIO2MMIO	38
#define C_MOVSB_DOWN		39
#define C_LODSL			40
#define C_LODSB_REP		41
#define C_STOS_ADSZ		42
#define C_STOS_RCX0		43
#define C_MOVSQ_RAM2MMIO	44	/* 64 */
#define C_MOVS_FS		45	/* source through an FS override */
#define C_DISP0			46	/* (reg), no displacement */
#define C_DISP8_NEG		47	/* -8(reg): a negative disp8 */
#define C_SIB_NOBASE		48	/* disp32(, index, scale) */
#define C_DIRECT		49	/* ModRM absolute (not moffs) */
#define C_ADD_R2M_L		50
#define C_ADD_M2R_L		51
#define C_ADD_I2M_B		52
#define C_ADD_I2M_L		53
#define C_ADD_I8_2M_L		54
#define C_OR_R2M_B		55
#define C_OR_M2R_W		56
#define C_AND_M2R_L		57
#define C_AND_I2M_W		58
#define C_XOR_R2M_L		59
#define C_XOR_I8_2M_B		60
#define C_SUB_R2M_L		61
#define C_SUB_M2R_BH		62
#define C_ADC_R2M_L		63
#define C_SBB_M2R_L		64
#define C_CMP_R2M_L		65
#define C_CMP_M2R_B		66
#define C_CMP_I2M_L		67
#define C_CMP_I8_2M_W		68
#define C_TEST_R2M_L		69
#define C_TEST_R2M_B		70
#define C_TEST_I2M_B		71
#define C_TEST_I2M_L		72
#define C_LOCK_ADD		73
#define C_ADD_R2M_Q		74	/* 64 */
#define C_CMP_I2M_Q		75	/* 64 */
#define C_OR_ZERO		76
#define C_CMP_EQ		77	/* memory == ECX: ZF */
#define C_SUB_BORROW		78	/* 1 - ECX: CF */
#define C_ADD_OVERFLOW		79	/* 0x7fffffff + 1: OF */
#define C_ADD_IW		80	/* imm16 by operand size */
#define C_SBB_R2M_B		81
#define C_ADC_I8_W		82
#define C_MOV_R2M_CH		83	/* CH: register 5 without REX */
#define C_XCHG_L		85
#define C_XCHG_B		86
#define C_XCHG_W		87
#define C_XCHG_Q		88	/* 64 */
#define C_ADSZ_MOV		90	/* 67 */
#define C_ADSZ_SIB		91
#define C_SEG_FS		92
#define C_SEG_GS		93
#define C_SEG_ES		94
#define C_SEG_DS_BP		95
#define C_M16_BXSI		96	/* 16: [bx+si+disp] */
#define C_M16_BPDI		97	/* 16: ds:[bp+di+disp] */
#define C_REX_RB		100	/* 64 */
#define C_REX_WRXB		101	/* 64 */
#define C_REX_SIL		102	/* 64 */
#define C_REX_R8B		103	/* 64 */
#define C_REX_SUB_R15		104	/* 64 */
#define C_RIP_REL		105	/* 64 */
#define C_STOS_RAM2MMIO		110	/* 64: a REP STOS running into the window */
#define C_STOS_MMIO2RAM		111	/* 64: ... and out of it */
/* Instructions vtx's emulator does not handle (KVM does) */
#define C_U_INC			120
#define C_U_NOT			121
#define C_U_NEG			122
#define C_U_XADD		123
#define C_U_BTS			124
#define C_U_SETE		125
#define C_U_CMPSB		126
#define C_U_SPLIT		127	/* a 4-byte write across two MMIO pages */
#define C_U_DEC_Q		128	/* 64 */
/* Issue 20's classes (the C_U_ ones above but the split are emulated too) */
#define C_SHL1_L		130	/* shifts by 1: OF defined */
#define C_ROR1_W		131
#define C_RCL1_B		132
#define C_SAR1_Q		133	/* 64 */
#define C_SHR_CL1_B		134	/* CL = 1 */
#define C_ROL_CL1_L		135	/* CL = 1 */
#define C_BT_I_L		136
#define C_BTC_I_W		137
#define C_BT_R_L		138	/* ECX = 37: the next dword */
#define C_BTR_R_NEG		139	/* ECX = -5: the dword before */
#define C_BTS_R_W		140	/* CX = 20: the next word */
#define C_SETB			141
#define C_SETG			142
#define C_CMPXCHG_NE		143
#define C_CMPXCHG_EQ		144	/* memory = EAX */
#define C_CMPXCHG_B		145	/* lock */
#define C_CMPXCHG8B_NE		146
#define C_CMPXCHG8B_EQ		147	/* memory = EDX:EAX */
#define C_LOCK_XADD_W		148
#define C_LOCK_INC_B		149
#define C_LOCK_NOT_L		150
#define C_NEG_Q			151	/* 64 */
#define C_DEC_W			152
/* 153-155: not used (MOVBE, see mmio_cases.inc) */
#define C_REPE_CMPSB		156	/* stops at the third byte */
#define C_REPNE_SCASW		157	/* stops at the second word */
#define C_REPE_SCASB_DOWN	158	/* DF = 1 */
#define C_CMPSL_RAM_MMIO	159	/* RAM source, MMIO destination */
#define C_PUSH_M		160	/* the stack is RAM */
#define C_POP_M			161
#define C_SPLIT_RD		162	/* a 4-byte read across pages: 3 + 1 */
#define C_SPLIT_RMW		163	/* INC across pages: 2 reads, 2 writes */
/* Issue 20: the SSE/MMX moves and CMPXCHG16B, 16 bytes in 8-byte exits */
#define C_MOVDQA_LD		164
#define C_MOVDQA_ST		165
#define C_MOVDQU_LD		166	/* +4: unaligned */
#define C_MOVDQU_ST		167
#define C_MOVAPS_LD		168
#define C_MOVAPS_ST		169
#define C_MOVUPS_LD		170	/* +4 */
#define C_MOVUPS_ST		171
#define C_MOVAPD_LD		172
#define C_MOVAPD_ST		173
#define C_MOVUPD_LD		174	/* +2 */
#define C_MOVUPD_ST		175
#define C_MOVNTPS		176
#define C_MOVNTPD		177
#define C_MOVNTDQ		178
#define C_MOVQ_MM_LD		179
#define C_MOVQ_MM_ST		180
#define C_VSPLIT_RD		181	/* MOVDQU across pages: 6 + 10 bytes */
#define C_VSPLIT_WR		182	/* MOVDQU across pages: 4 + 12 bytes */
#define C_CMPXCHG16B_NE		183	/* 64 */
#define C_CMPXCHG16B_EQ		184	/* 64: memory = RDX:RAX */
#define C_MOVDQU_X9		185	/* 64: REX.R */
/* Issue 20: MUL/IMUL/DIV/IDIV, IMUL, CMOVcc, SHLD/SHRD (session 12) */
#define C_MUL_L			186
#define C_IMUL_W		187	/* one operand: DX:AX */
#define C_DIV_L			188	/* divisor FFFFFFFFH: the quotient fits */
#define C_IDIV_B		189	/* AX 0718H / 40H */
#define C_IMUL3_L		190	/* imm8 -7 */
#define C_IMUL2_Q		191	/* 64 */
#define C_CMOVE_L		192	/* ZF = 1: moved */
#define C_CMOVNE_L		193	/* not moved (64: EDX's upper half cleared) */
#define C_SHLD1_L		194
#define C_SHRD1_W		195
/* Issue 20: POPCNT, TZCNT, LZCNT (F3 0F B8/BC/BD), BSF, BSR (session 13) */
#define C_POPCNT_L		196
#define C_POPCNT_ZERO_W		197	/* a source of 0: ZF */
#define C_TZCNT_L		198	/* 0x00a00000: 21 */
#define C_TZCNT_ZERO_W		199	/* 16, CF */
#define C_LZCNT_L		200	/* 0x00012345: 15 */
#define C_LZCNT_ZERO_L		201	/* 32, CF */
#define C_LZCNT_Q		202	/* 64 */
#define C_BSF_L			203
#define C_BSR_W			204
#define C_BSF_ZERO_L		205	/* the destination left as it was */
/* Issue 20: SMSW m16, LMSW m16 (session 14); CR0.TS as the guest has it */
#define C_SMSW			206
#define C_SMSW_OPSZ		207	/* 66 (64: REX.W): still 2 bytes */
#define C_LMSW			208	/* 0xfffa: MP, TS set; PE not cleared */
#define C_LMSW_PE		209	/* 16: 0x0001 sets PE in real mode */
#define C_SMSW_TS		210	/* after CLTS, which does not exit */
#define C_MOVDQA_TS		211	/* the same: no #NM */
/* MOV m16,Sreg (SS and CS: the same in both runs), SLDT, STR */
#define C_MOV_M_SS		212
#define C_MOV_M_CS_OPSZ		213	/* 66 */
#define C_SLDT			214	/* 32, 64 */
#define C_STR			215	/* 32, 64 */
/* Segment loads from the device (the GDT's flat data selector) */
#define C_MOV_SREG_FS		216
#define C_MOV_SREG_SS		217	/* 32, 64 */
#define C_MOV_SREG_SS_RM	218	/* 16: SS 0 */
#define C_LFS_L			219	/* m16:32 */
#define C_LGS_W			220	/* m16:16 */
#define C_LDS_L			221	/* 16, 32 */
#define C_LES_W			222	/* 16, 32 */
#define C_LSS_L			223	/* 32, 64 */
/*
 * Session 15, protected and long mode: LLDT/LTR m16 from the device, the
 * descriptor checks of segment loads (the fault caught by the guest's IDT:
 * ECX = vector, EDX = error code), the descriptor's accessed bit.
 */
/* 224: its operand would take the bytes SPLIT_OFF's access writes */
#define C_LLDT			225	/* SEL_LDT; SLDT reads it back */
#define C_LLDT_TI		226	/* TI=1: #GP(sel) */
#define C_LLDT_TSS		227	/* not an LDT: #GP(sel) */
#define C_LLDT_NULL		228	/* LDTR unusable */
#define C_LTR			229	/* available TSS: busy bit set in the GDT */
#define C_LTR_BUSY		230	/* busy TSS: #GP(sel) */
#define C_LTR_NP		231	/* #NP(sel) */
#define C_LTR_NULL		232	/* #GP(0) */
#define C_LTR_TI		233	/* #GP(sel); KVM 6.1: #GP(0) */
#define C_MOV_FS_ACC		234	/* the descriptor's accessed bit set */
#define C_MOV_FS_NP		235	/* #NP(sel) */
#define C_MOV_SS_NP		236	/* #SS(sel) */
#define C_MOV_SS_RO		237	/* read-only data: #GP(sel) */
#define C_MOV_SS_DPL		238	/* DPL 3 at CPL 0: #GP(sel) */
#define C_MOV_SS_NULL		239	/* 32: #GP(0); 64: loads (CPL 0) */
#define C_MOV_DS_XO		240	/* execute-only code: #GP(sel) */
#define C_MOV_FS_LIMIT		241	/* beyond the GDT's limit: #GP(sel) */
#define C_MOV_FS_SYS		242	/* a system descriptor: #GP(sel) */
#define C_MOV_FS_RPL		243	/* RPL 3 > DPL 0: #GP(sel); KVM loads */
#define C_LSS_NP		244	/* #SS(sel), ESP as it was */
/* Far JMP through memory to the byte after it (the host sets the target) */
#define C_JMP_FAR		245	/* m16:32 (16: m16:16), CS as it is */
#define C_JMP_FAR_W		246	/* 32: 66, m16:16 */
#define C_JMP_FAR_DATA		247	/* a data segment: #GP(sel) */
#define C_JMP_FAR_NP		248	/* not present: #NP(sel) */
#define C_JMP_FAR_DPL3		249	/* non-conforming DPL 3: #GP(sel) */
#define C_JMP_FAR_CONF		250	/* conforming DPL 0, RPL 3: CS.RPL 0 */
/* Far CALL through memory to the byte after it; CS:offset popped */
#define C_CALL_FAR		251	/* m16:32 (16: m16:16) */
#define C_CALL_FAR_W		252	/* 32: 66, m16:16 */
#define C_CALL_FAR_DATA		253	/* a data segment: #GP(sel) */
#define C_CALL_FAR_NP		254	/* not present: #NP(sel) */
/* 64: the m16:64 forms (REX.W), 10 bytes read as 8 + 2, as KVM 6.1 */
#define C_JMP_FAR_Q		255	/* far JMP to the byte after it */
#define C_CALL_FAR_Q		256	/* far CALL; CS:RIP popped (8 bytes each) */
#define C_LSS_Q			257	/* the same SS; RSP put back */
#define C_LFS_Q			258
#define C_LGS_Q			259
#define C_MAX			260

/*
 * Descriptors of those cases, in the GDT of 32-bit and long mode after
 * the window's (limit GDT_LIMIT); a system descriptor takes two entries
 * (16 bytes in IA-32e mode; the second is zero).
 */
#define SEL_D_NA		0x40	/* flat read/write data, not accessed */
#define SEL_D_NP		0x48	/* read/write data, not present */
#define SEL_D_RO		0x50	/* read-only data */
#define SEL_C_XO		0x58	/* execute-only code */
#define SEL_D_DPL3		0x60	/* read/write data, DPL 3 */
#define SEL_LDT			0x68	/* LDT at LDT_GPA, limit 0xffff */
#define SEL_TSS			0x78	/* 32/64-bit TSS at TSS_GPA */
#define SEL_TSS_NP		0x88	/* the same, not present */
#define SEL_C_NP		0x98	/* code (of the mode), not present */
#define SEL_C_DPL3		0xa0	/* code, DPL 3 */
#define SEL_C_CONF		0xa8	/* conforming code, DPL 0 */
#define SEL_BEYOND		0x1f8
#define GDT_LIMIT		0xff
#define DESC_TYPE_OFF		5	/* the byte of a descriptor's type */
/* The guest's IDT (#TS, #NP, #SS, #GP, #PF: FAULT_FIRST..), its resume */
#define IDT_GPA			0x5000
#define LDT_GPA			0x5800
#define TSS_GPA			0x5900
#define FAULT_RESUME_GPA	0x5ff0	/* where the handler jumps, 8 bytes */
#define FAULT_FIRST		10
#define FAULT_LAST		14
#define FAULT_STUB_BYTES	8

/* Case operands that need particular bytes (set by the host) */
#define SPLIT_OFF		0x1ffe
#define SPLIT_RD_OFF		0x2ffd
#define SPLIT_RMW_OFF		0x3ffe
#define VSPLIT_RD_OFF		0x4ffa
#define VSPLIT_WR_OFF		0x5ffc

#endif /* VTX_MEMORY_MMIO_H */
