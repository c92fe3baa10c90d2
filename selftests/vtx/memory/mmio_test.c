// SPDX-License-Identifier: GPL-2.0
/*
 * MMIO: KVM_EXIT_MMIO for guest accesses outside every memslot, in real
 * mode, 32-bit protected mode and 64-bit long mode with paging.
 *
 * The instruction matrix (mmio.h, mmio_cases.inc): each case runs once on
 * MMIO and once on a RAM mirror holding the same bytes, so the CPU itself
 * computes what the emulated instruction must produce.  The host checks:
 *  - the MMIO exits of the first run, in order: address, length, direction
 *    (one exit per element for REP string instructions, two for
 *    read-modify-write instructions and for MOVS between two MMIO
 *    addresses, as KVM does);
 *  - the data: reads complete with what the host writes into
 *    kvm_run.mmio.data, writes land in the device model; after both runs
 *    the device (64 KiB byte array) must equal the mirror, and the RAM
 *    scratch area written by MOVS must be the same;
 *  - all general-purpose registers, RIP and the flags (CF PF AF ZF SF IF DF
 *    OF) after both runs must be equal.
 *
 * vtx's emulator (module/emulate.c) handles MOV, MOVZX/MOVSX/MOVSXD, the
 * ALU group, TEST, XCHG, INC/DEC/NOT/NEG, shifts and rotates, BT*, SETcc,
 * XADD, CMPXCHG/CMPXCHG8B/CMPXCHG16B, PUSH/POP m, MOVS, STOS, LODS, CMPS
 * and SCAS, the SSE/MMX moves KVM 6.1 emulates (MOVUPS/UPD, MOVAPS/APD,
 * MOVNTPS/PD/DQ, MOVQ mm, MOVDQA/U), MUL/IMUL/DIV/IDIV, IMUL Gv,Ev(,imm),
 * CMOVcc, SHLD/SHRD, BSF/BSR, POPCNT/TZCNT/LZCNT, SMSW m16 and LMSW m16
 * (LMSW's CR0 read back by SMSW to a register; in real mode it sets PE),
 * MOV m16,Sreg, SLDT m16 and STR m16, MOV Sreg,m16, LDS..LGS, LLDT m16,
 * LTR m16 and far JMP/CALL m16:16/m16:32 (their faults caught by the
 * guest's IDT in 32/64-bit mode: ECX vector, EDX error code) (and MOVBE,
 * not in
 * the matrix: see mmio_cases.inc): each case expects the same device
 * accesses on both drivers.  The vCPU has the supported CPUID in every
 * mode (the emulator decodes POPCNT/TZCNT/LZCNT by it).  F_KVM_DIFFERS:
 * KVM 6.1 runs TZCNT and LZCNT on MMIO as BSF and BSR (it ignores F3H
 * there): on kvm the test asserts that the result differs from the
 * processor's, the known gap; POPCNT is an emulation failure there
 * (F_KVM_MAY_FAIL).  F_KVM_EXITS: KVM 6.1 reads SLDT/STR's operand (4
 * bytes) before writing the selector, which the processor does not; on
 * kvm its own sequence is asserted.  A 16-byte access is 8-byte exits,
 * as KVM (mmio.data is 8 bytes); the XMM, MMX/x87 registers, FSW and
 * tags (KVM_GET_FPU) are compared too.  CMPXCHG16B (F_KVM_MAY_FAIL): KVM 6.1's emulator refuses
 * it after its read; on kvm that emulation failure is accepted.
 * (Shifts run by a count of 1 only: for larger counts OF and AF are
 * undefined and Bochs may set them otherwise than Intel CPUs, which vtx
 * follows.)  An access that crosses a page boundary is split in two, one
 * device access a page, on both.  A case marked F_UNSUP (none today) is
 * emulated by KVM, while vtx reports
 * KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION with
 * KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES and the instruction
 * bytes -- a documented difference; the test asserts each driver's own
 * behaviour and, on vtx, skips the instruction by setting RIP past it.
 *
 * matrix_self_check: a device byte made to differ from the mirror must be
 * caught, so the comparison is not blind.
 *
 * exit_state_*: what KVM_GET_REGS shows while userspace handles an MMIO
 * exit.  Reads: RIP at the instruction, its destination not yet written.
 * Writes: KVM completes the instruction before it exits (x86.c,
 * x86_emulate_instruction: only an MMIO *read* skips the writeback), so
 * RIP is past it, the flags of an ADD are there, and each exit of a
 * REP STOS shows RCX/RDI after that element.  (KVM's api.rst promises a
 * consistent state only after the next KVM_RUN; the write side is what
 * KVM does, asserted here as the reference.)  immediate_exit_completes_mmio:
 * the documented way to get there without running the guest on.
 *
 * insn_across_page_boundary: the emulator fetches an instruction whose
 * bytes straddle two pages.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>

#include "memory_test.h"
#include "mmio.h"

extern const uint8_t mmio_guest_16[], mmio_guest_16_end[];
extern const uint8_t mmio_guest_32[], mmio_guest_32_end[];
extern const uint8_t mmio_guest_64[], mmio_guest_64_end[];
extern const uint8_t mmio_tab_16[], mmio_tab_end_16[];
extern const uint8_t mmio_tab_32[], mmio_tab_end_32[];
extern const uint8_t mmio_tab_64[], mmio_tab_end_64[];
extern const uint8_t mmio_faults_32[], mmio_faults_64[];
extern const uint8_t mmio_state_guest[], mmio_state_guest_end[],
	ms_rd[], ms_rd_end[], ms_wr[], ms_wr_end[], ms_rmw[], ms_rmw_end[],
	ms_st[], ms_st_end[], ms_halted[];

#define M16		1
#define M32		2
#define M64		4
#define MALL		(M16 | M32 | M64)

#define F_UNSUP		1	/* vtx: KVM_INTERNAL_ERROR_EMULATION */
#define F_ABS		2	/* exit offsets are window offsets */
#define F_KVM_MAY_FAIL	4	/* KVM 6.1 refuses it (after its reads) */
#define F_KVM_DIFFERS	8	/* KVM 6.1's result differs: a known gap */
#define F_KVM_EXITS	16	/* KVM 6.1's device accesses: .kvm */

#define MAX_EX		8
#define MAX_CPUID	256	/* KVM_MAX_CPUID_ENTRIES */

struct mex {
	uint16_t off;		/* from WOFF(id), or absolute with F_ABS */
	uint8_t len;
	uint8_t write;
};

struct mcase {
	int id;
	const char *name;
	unsigned int modes;
	unsigned int flags;
	struct mex ex[MAX_EX];	/* ends at len 0 */
	struct mex kvm[MAX_EX];	/* F_KVM_EXITS: kvm_intel's instead */
};

#define R(l, o)		{ (o), (l), 0 }
#define W(l, o)		{ (o), (l), 1 }

static const struct mcase cases[] = {
	{ C_MOV_R2M_B, "mov_r8_to_m", MALL, 0, { W(1, 0) } },
	{ C_MOV_R2M_W, "mov_r16_to_m", MALL, 0, { W(2, 0) } },
	{ C_MOV_R2M_L, "mov_r32_to_m", MALL, 0, { W(4, 0) } },
	{ C_MOV_R2M_Q, "mov_r64_to_m", M64, 0, { W(8, 0) } },
	{ C_MOV_R2M_CH, "mov_ch_to_m", MALL, 0, { W(1, 0) } },
	{ C_MOV_M2R_B, "mov_m_to_dl", MALL, 0, { R(1, 0) } },
	{ C_MOV_M2R_BH, "mov_m_to_dh", MALL, 0, { R(1, 0) } },
	{ C_MOV_M2R_W, "mov_m_to_r16", MALL, 0, { R(2, 0) } },
	{ C_MOV_M2R_L, "mov_m_to_r32", MALL, 0, { R(4, 0) } },
	{ C_MOV_M2R_Q, "mov_m_to_r64", M64, 0, { R(8, 0) } },
	{ C_MOV_I2M_B, "mov_imm8_to_m", MALL, 0, { W(1, 0) } },
	{ C_MOV_I2M_W, "mov_imm16_to_m", MALL, 0, { W(2, 0) } },
	{ C_MOV_I2M_L, "mov_imm32_to_m", MALL, 0, { W(4, 0) } },
	{ C_MOV_I2M_Q, "mov_simm32_to_m64", M64, 0, { W(8, 0) } },
	{ C_MOFFS_A0, "mov_moffs_a0", MALL, 0, { R(1, 0) } },
	{ C_MOFFS_A1, "mov_moffs_a1_eax", MALL, 0, { R(4, 0) } },
	{ C_MOFFS_A2, "mov_moffs_a2", MALL, 0, { W(1, 0) } },
	{ C_MOFFS_A3, "mov_moffs_a3_eax", MALL, 0, { W(4, 0) } },
	{ C_MOFFS_A1_W, "mov_moffs_a1_ax", MALL, 0, { R(2, 0) } },
	{ C_MOFFS_A3_Q, "mov_moffs_a3_rax", M64, 0, { W(8, 0) } },
	{ C_MOFFS_A1_Q, "mov_moffs_a1_rax", M64, 0, { R(8, 0) } },
	/* 67 A1: in 16-bit code the operand stays 16 bits (AX) */
	{ C_MOFFS_ADSZ, "mov_moffs_a1_addr_size", M16, 0, { R(2, 0) } },
	{ C_MOFFS_ADSZ, "mov_moffs_a1_addr_size", M32 | M64, 0, { R(4, 0) } },
	{ C_MOVZX_B, "movzx_m8", MALL, 0, { R(1, 0) } },
	{ C_MOVZX_W, "movzx_m16", MALL, 0, { R(2, 0) } },
	{ C_MOVSX_B, "movsx_m8", MALL, 0, { R(1, 0) } },
	{ C_MOVSX_W, "movsx_m16", MALL, 0, { R(2, 0) } },
	{ C_MOVZX_BW, "movzx_m8_to_r16", MALL, 0, { R(1, 0) } },
	{ C_MOVSX_BQ, "movsx_m8_to_r64", M64, 0, { R(1, 0) } },
	{ C_MOVSXD, "movsxd", M64, 0, { R(4, 0) } },
	{ C_MOVZX_WQ_R9, "movzx_m16_to_r9", M64, 0, { R(2, 0) } },
	{ C_STOSB_REP, "rep_stosb_5", MALL, 0,
	  { W(1, 0), W(1, 1), W(1, 2), W(1, 3), W(1, 4) } },
	{ C_STOSW_REP, "rep_stosw_3", MALL, 0, { W(2, 0), W(2, 2), W(2, 4) } },
	{ C_STOSL_REP, "rep_stosl_3", MALL, 0, { W(4, 0), W(4, 4), W(4, 8) } },
	{ C_STOSQ_REP, "rep_stosq_2", M64, 0, { W(8, 0), W(8, 8) } },
	{ C_STOSL_DOWN, "rep_stosl_df1", MALL, 0, { W(4, 8), W(4, 4), W(4, 0) } },
	{ C_STOSB, "stosb", MALL, 0, { W(1, 0) } },
	{ C_MOVSB_RAM2MMIO, "rep_movsb_ram_to_mmio", MALL, 0,
	  { W(1, 0), W(1, 1), W(1, 2), W(1, 3) } },
	{ C_MOVSL_MMIO2RAM, "rep_movsl_mmio_to_ram", MALL, 0,
	  { R(4, 0), R(4, 4), R(4, 8) } },
	{ C_MOVSW_MMIO2MMIO, "rep_movsw_mmio_to_mmio", MALL, 0,
	  { R(2, 0), W(2, 0x10), R(2, 2), W(2, 0x12) } },
	{ C_MOVSB_DOWN, "rep_movsb_df1_ram_to_mmio", MALL, 0,
	  { W(1, 2), W(1, 1), W(1, 0) } },
	{ C_LODSL, "lodsl", MALL, 0, { R(4, 0) } },
	{ C_LODSB_REP, "rep_lodsb_3", MALL, 0, { R(1, 0), R(1, 1), R(1, 2) } },
	{ C_STOS_ADSZ, "rep_stosb_addr_size", MALL, 0, { W(1, 0), W(1, 1) } },
	{ C_STOS_RCX0, "rep_stosb_count_0", MALL, 0, { } },
	{ C_MOVSQ_RAM2MMIO, "rep_movsq_ram_to_mmio", M64, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVS_FS, "rep_movsb_fs_mmio_to_ram", MALL, 0, { R(1, 0), R(1, 1) } },
	{ C_DISP0, "mov_no_disp", MALL, 0, { R(4, 0) } },
	{ C_DISP8_NEG, "mov_negative_disp8", MALL, 0, { W(4, 0) } },
	{ C_SIB_NOBASE, "mov_sib_no_base", MALL, 0, { R(4, 0) } },
	{ C_DIRECT, "mov_modrm_absolute", MALL, 0, { R(4, 0) } },
	{ C_M16_BXSI, "mov_bx_si_disp16", M16, 0, { R(2, 0) } },
	{ C_M16_BPDI, "mov_ds_bp_di_disp16", M16, 0, { R(2, 0) } },
	{ C_ADD_R2M_L, "add_r32_to_m", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ADD_M2R_L, "add_m_to_r32", MALL, 0, { R(4, 0) } },
	{ C_ADD_I2M_B, "add_imm8_to_m8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_ADD_I2M_L, "add_imm32_to_m32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ADD_I8_2M_L, "add_simm8_to_m32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_OR_R2M_B, "or_r8_to_m", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_OR_M2R_W, "or_m_to_r16", MALL, 0, { R(2, 0) } },
	{ C_AND_M2R_L, "and_m_to_r32", MALL, 0, { R(4, 0) } },
	{ C_AND_I2M_W, "and_imm16_to_m16", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_XOR_R2M_L, "xor_r32_to_m", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_XOR_I8_2M_B, "xor_imm8_to_m8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_SUB_R2M_L, "sub_r32_from_m", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_SUB_M2R_BH, "sub_m_from_dh", MALL, 0, { R(1, 0) } },
	{ C_ADC_R2M_L, "adc_r32_to_m", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_SBB_M2R_L, "sbb_m_from_r32", MALL, 0, { R(4, 0) } },
	{ C_CMP_R2M_L, "cmp_m_r32", MALL, 0, { R(4, 0) } },
	{ C_CMP_M2R_B, "cmp_al_m", MALL, 0, { R(1, 0) } },
	{ C_CMP_I2M_L, "cmp_m32_imm32", MALL, 0, { R(4, 0) } },
	{ C_CMP_I8_2M_W, "cmp_m16_simm8", MALL, 0, { R(2, 0) } },
	{ C_TEST_R2M_L, "test_m_r32", MALL, 0, { R(4, 0) } },
	{ C_TEST_R2M_B, "test_m_r8", MALL, 0, { R(1, 0) } },
	{ C_TEST_I2M_B, "test_m8_imm8", MALL, 0, { R(1, 0) } },
	{ C_TEST_I2M_L, "test_m32_imm32", MALL, 0, { R(4, 0) } },
	{ C_LOCK_ADD, "lock_add", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ADD_R2M_Q, "add_r64_to_m", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_CMP_I2M_Q, "cmp_m64_simm8", M64, 0, { R(8, 0) } },
	{ C_OR_ZERO, "or_0_writes_back", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_CMP_EQ, "cmp_equal_zf", MALL, 0, { R(4, 0) } },
	{ C_SUB_BORROW, "sub_borrow_cf", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ADD_OVERFLOW, "add_overflow_of", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ADD_IW, "add_imm16_opsize", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_SBB_R2M_B, "sbb_r8_from_m", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_ADC_I8_W, "adc_simm8_to_m16", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_XCHG_L, "xchg_r32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_XCHG_B, "xchg_r8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_XCHG_W, "xchg_r16", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_XCHG_Q, "xchg_r11", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_ADSZ_MOV, "mov_addr_size", MALL, 0, { R(4, 0) } },
	{ C_ADSZ_SIB, "mov_sib_index", MALL, 0, { R(2, 0) } },
	{ C_SEG_FS, "mov_fs_override", MALL, 0, { R(4, 0) } },
	{ C_SEG_GS, "mov_gs_override", MALL, 0, { W(4, 0) } },
	{ C_SEG_ES, "mov_es_override", MALL, 0, { R(1, 0) } },
	{ C_SEG_DS_BP, "mov_ds_override_bp", MALL, 0, { R(2, 0) } },
	{ C_REX_RB, "rex_rb", M64, 0, { W(4, 0) } },
	{ C_REX_WRXB, "rex_wrxb_sib", M64, 0, { R(8, 0) } },
	{ C_REX_SIL, "rex_sil", M64, 0, { W(1, 0) } },
	{ C_REX_R8B, "rex_r8b", M64, 0, { R(1, 0) } },
	{ C_REX_SUB_R15, "rex_w_sub_r15", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_RIP_REL, "rip_relative", M64, 0, { R(4, 0) } },
	{ C_STOS_RAM2MMIO, "rep_stosl_ram_into_mmio", M64, F_ABS,
	  { W(4, 0), W(4, 4) } },
	{ C_STOS_MMIO2RAM, "rep_stosl_mmio_into_ram", M64, F_ABS,
	  { W(4, 0xfff8), W(4, 0xfffc) } },
	{ C_U_INC, "inc_m32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_U_NOT, "not_m16", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_U_NEG, "neg_m8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_U_XADD, "xadd_m32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_U_BTS, "bts_m32_imm8", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_U_SETE, "sete_m8", MALL, 0, { W(1, 0) } },
	/* both sides MMIO: the source, then the destination */
	{ C_U_CMPSB, "cmpsb", MALL, 0, { R(1, 0), R(1, 8) } },
	/* an access split at the page boundary: an exit a page, as KVM */
	{ C_U_SPLIT, "mov_m32_across_pages", MALL, F_ABS,
	  { W(2, SPLIT_OFF), W(2, SPLIT_OFF + 2) } },
	{ C_SPLIT_RD, "mov_m32_to_r_across_pages", MALL, F_ABS,
	  { R(3, SPLIT_RD_OFF), R(1, SPLIT_RD_OFF + 3) } },
	{ C_SPLIT_RMW, "inc_m32_across_pages", MALL, F_ABS,
	  { R(2, SPLIT_RMW_OFF), R(2, SPLIT_RMW_OFF + 2),
	    W(2, SPLIT_RMW_OFF), W(2, SPLIT_RMW_OFF + 2) } },
	{ C_U_DEC_Q, "dec_m64", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_SHL1_L, "shl_m32_1", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_ROR1_W, "ror_m16_1", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_RCL1_B, "rcl_m8_1", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_SAR1_Q, "sar_m64_1", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_SHR_CL1_B, "shr_m8_cl", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_ROL_CL1_L, "rol_m32_cl", MALL, 0, { R(4, 0), W(4, 0) } },
	/* BT reads only, as KVM (NoWrite) */
	{ C_BT_I_L, "bt_m32_imm8", MALL, 0, { R(4, 0) } },
	{ C_BTC_I_W, "btc_m16_imm8", MALL, 0, { R(2, 0), W(2, 0) } },
	/* a register bit offset moves the address by whole operands */
	{ C_BT_R_L, "bt_m32_ecx_37", MALL, 0, { R(4, 4) } },
	{ C_BTR_R_NEG, "btr_m32_ecx_minus5", MALL, 0, { R(4, 4), W(4, 4) } },
	{ C_BTS_R_W, "bts_m16_cx_20", MALL, 0, { R(2, 2), W(2, 2) } },
	{ C_SETB, "setb_m8", MALL, 0, { W(1, 0) } },
	{ C_SETG, "setg_m8", MALL, 0, { W(1, 0) } },
	/* CMPXCHG writes whether or not it succeeds */
	{ C_CMPXCHG_NE, "cmpxchg_m32_fails", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_CMPXCHG_EQ, "cmpxchg_m32_succeeds", MALL, 0,
	  { R(4, 0), W(4, 0) } },
	{ C_CMPXCHG_B, "lock_cmpxchg_m8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_CMPXCHG8B_NE, "cmpxchg8b_fails", MALL, 0, { R(8, 0), W(8, 0) } },
	{ C_CMPXCHG8B_EQ, "lock_cmpxchg8b_succeeds", MALL, 0,
	  { R(8, 0), W(8, 0) } },
	{ C_LOCK_XADD_W, "lock_xadd_m16", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_LOCK_INC_B, "lock_inc_m8", MALL, 0, { R(1, 0), W(1, 0) } },
	{ C_LOCK_NOT_L, "lock_not_m32", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_NEG_Q, "neg_m64", M64, 0, { R(8, 0), W(8, 0) } },
	{ C_DEC_W, "dec_m16", MALL, 0, { R(2, 0), W(2, 0) } },
	/* REPE: two equal bytes, then a different one */
	{ C_REPE_CMPSB, "repe_cmpsb", MALL, 0,
	  { R(1, 0), R(1, 8), R(1, 1), R(1, 9), R(1, 2), R(1, 10) } },
	/* REPNE: the second word is AX */
	{ C_REPNE_SCASW, "repne_scasw", MALL, 0, { R(2, 0), R(2, 2) } },
	{ C_REPE_SCASB_DOWN, "std_repe_scasb", MALL, 0,
	  { R(1, 4), R(1, 3) } },
	/* the RAM source is read by the emulator, not a device access */
	{ C_CMPSL_RAM_MMIO, "repne_cmpsl_ram_mmio", MALL, 0,
	  { R(4, 0), R(4, 4) } },
	{ C_PUSH_M, "push_m16", M16, 0, { R(2, 0) } },
	{ C_PUSH_M, "push_m32", M32, 0, { R(4, 0) } },
	{ C_PUSH_M, "push_m64", M64, 0, { R(8, 0) } },
	{ C_POP_M, "pop_m16", M16, 0, { W(2, 0) } },
	{ C_POP_M, "pop_m32", M32, 0, { W(4, 0) } },
	{ C_POP_M, "pop_m64", M64, 0, { W(8, 0) } },
	/* 16 bytes: two 8-byte exits (kvm_run.mmio.data is 8 bytes), as KVM */
	{ C_MOVDQA_LD, "movdqa_m_to_xmm1", MALL, 0, { R(8, 0), R(8, 8) } },
	{ C_MOVDQA_ST, "movdqa_xmm2_to_m", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVDQU_LD, "movdqu_m_to_xmm3", MALL, 0, { R(8, 4), R(8, 12) } },
	{ C_MOVDQU_ST, "movdqu_xmm4_to_m", MALL, 0, { W(8, 4), W(8, 12) } },
	{ C_MOVAPS_LD, "movaps_m_to_xmm5", MALL, 0, { R(8, 0), R(8, 8) } },
	{ C_MOVAPS_ST, "movaps_xmm6_to_m", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVUPS_LD, "movups_m_to_xmm7", MALL, 0, { R(8, 4), R(8, 12) } },
	{ C_MOVUPS_ST, "movups_xmm0_to_m", MALL, 0, { W(8, 4), W(8, 12) } },
	{ C_MOVAPD_LD, "movapd_m_to_xmm1", MALL, 0, { R(8, 0), R(8, 8) } },
	{ C_MOVAPD_ST, "movapd_xmm2_to_m", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVUPD_LD, "movupd_m_to_xmm3", MALL, 0, { R(8, 2), R(8, 10) } },
	{ C_MOVUPD_ST, "movupd_xmm4_to_m", MALL, 0, { W(8, 2), W(8, 10) } },
	{ C_MOVNTPS, "movntps", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVNTPD, "movntpd", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVNTDQ, "movntdq", MALL, 0, { W(8, 0), W(8, 8) } },
	{ C_MOVQ_MM_LD, "movq_m_to_mm1", MALL, 0, { R(8, 0) } },
	{ C_MOVQ_MM_ST, "movq_mm2_to_m", MALL, 0, { W(8, 0) } },
	/* split at the page first, then 8-byte pieces */
	{ C_VSPLIT_RD, "movdqu_m_to_xmm0_across_pages", MALL, F_ABS,
	  { R(6, VSPLIT_RD_OFF), R(8, VSPLIT_RD_OFF + 6),
	    R(2, VSPLIT_RD_OFF + 14) } },
	{ C_VSPLIT_WR, "movdqu_xmm1_to_m_across_pages", MALL, F_ABS,
	  { W(4, VSPLIT_WR_OFF), W(8, VSPLIT_WR_OFF + 4),
	    W(4, VSPLIT_WR_OFF + 12) } },
	{ C_CMPXCHG16B_NE, "cmpxchg16b_fails", M64, F_KVM_MAY_FAIL,
	  { R(8, 0), R(8, 8), W(8, 0), W(8, 8) } },
	{ C_CMPXCHG16B_EQ, "lock_cmpxchg16b_succeeds", M64, F_KVM_MAY_FAIL,
	  { R(8, 0), R(8, 8), W(8, 0), W(8, 8) } },
	{ C_MOVDQU_X9, "movdqu_m_to_xmm9", M64, 0, { R(8, 0), R(8, 8) } },
	{ C_MUL_L, "mul_m32", MALL, 0, { R(4, 0) } },
	{ C_IMUL_W, "imul_m16", MALL, 0, { R(2, 0) } },
	{ C_DIV_L, "div_m32", MALL, 0, { R(4, 0) } },
	{ C_IDIV_B, "idiv_m8", MALL, 0, { R(1, 0) } },
	{ C_IMUL3_L, "imul_r32_m32_imm8", MALL, 0, { R(4, 0) } },
	{ C_IMUL2_Q, "imul_r9_m64", M64, 0, { R(8, 0) } },
	{ C_CMOVE_L, "cmove_taken", MALL, 0, { R(4, 0) } },
	{ C_CMOVNE_L, "cmovne_not_taken", MALL, 0, { R(4, 0) } },
	{ C_SHLD1_L, "shld_m32_by_1", MALL, 0, { R(4, 0), W(4, 0) } },
	{ C_SHRD1_W, "shrd_m16_by_1", MALL, 0, { R(2, 0), W(2, 0) } },
	{ C_POPCNT_L, "popcnt_m32", MALL, F_KVM_MAY_FAIL, { R(4, 0) } },
	{ C_POPCNT_ZERO_W, "popcnt_m16_of_0", MALL, F_KVM_MAY_FAIL,
	  { R(2, 0) } },
	{ C_TZCNT_L, "tzcnt_m32", MALL, F_KVM_DIFFERS, { R(4, 0) } },
	{ C_TZCNT_ZERO_W, "tzcnt_m16_of_0", MALL, F_KVM_DIFFERS, { R(2, 0) } },
	{ C_LZCNT_L, "lzcnt_m32", MALL, F_KVM_DIFFERS, { R(4, 0) } },
	{ C_LZCNT_ZERO_L, "lzcnt_m32_of_0", MALL, F_KVM_DIFFERS, { R(4, 0) } },
	{ C_LZCNT_Q, "lzcnt_r9_m64", M64, F_KVM_DIFFERS, { R(8, 0) } },
	{ C_BSF_L, "bsf_m32", MALL, 0, { R(4, 0) } },
	{ C_BSR_W, "bsr_m16", MALL, 0, { R(2, 0) } },
	{ C_BSF_ZERO_L, "bsf_m32_of_0", MALL, 0, { R(4, 0) } },
	/* SMSW m16: 2 bytes whatever the operand size */
	{ C_SMSW, "smsw_m16", MALL, 0, { W(2, 0) } },
	{ C_SMSW_OPSZ, "smsw_m16_opsize_prefix", MALL, 0, { W(2, 0) } },
	{ C_LMSW, "lmsw_m16", MALL, 0, { R(2, 0) } },
	{ C_LMSW_PE, "lmsw_m16_sets_pe", M16, 0, { R(2, 0) } },
	{ C_SMSW_TS, "smsw_m16_after_clts", MALL, 0, { W(2, 0) } },
	{ C_MOVDQA_TS, "movdqa_m_to_xmm1_after_clts", MALL, 0,
	  { R(8, 0), R(8, 8) } },
	/* the selector: 2 bytes whatever the operand size */
	{ C_MOV_M_SS, "mov_m16_ss", MALL, 0, { W(2, 0) } },
	{ C_MOV_M_CS_OPSZ, "mov_m16_cs_opsize_prefix", MALL, 0, { W(2, 0) } },
	/*
	 * KVM 6.1 reads the operand first (its group 6 SLDT/STR lack Mov:
	 * a 4-byte read), then writes 2 bytes; the processor only writes.
	 */
	{ C_SLDT, "sldt_m16", M32 | M64, F_KVM_EXITS, { W(2, 0) },
	  { R(4, 0), W(2, 0) } },
	{ C_STR, "str_m16", M32 | M64, F_KVM_EXITS, { W(2, 0) },
	  { R(4, 0), W(2, 0) } },
	/* segment loads: the selector (after the offset of LxS), one read */
	{ C_MOV_SREG_FS, "mov_fs_m16", MALL, 0, { R(2, 0) } },
	{ C_MOV_SREG_SS, "mov_ss_m16", M32 | M64, 0, { R(2, 0) } },
	{ C_MOV_SREG_SS_RM, "mov_ss_m16_real", M16, 0, { R(2, 0) } },
	{ C_LFS_L, "lfs_m16_32", MALL, 0, { R(6, 0) } },
	{ C_LGS_W, "lgs_m16_16", MALL, 0, { R(4, 0) } },
	{ C_LDS_L, "lds_m16_32", M16 | M32, 0, { R(6, 0) } },
	{ C_LES_W, "les_m16_16", M16 | M32, 0, { R(4, 0) } },
	{ C_LSS_L, "lss_m16_32", M32 | M64, 0, { R(6, 0) } },
	/* LLDT, LTR, segment loads' faults (ECX vector, EDX error code) */
	{ C_LLDT, "lldt_m16", M32 | M64, 0, { R(2, 0) } },
	{ C_LLDT_TI, "lldt_m16_ti_gp", M32 | M64, 0, { R(2, 0) } },
	{ C_LLDT_TSS, "lldt_m16_tss_gp", M32 | M64, 0, { R(2, 0) } },
	{ C_LLDT_NULL, "lldt_m16_null", M32 | M64, 0, { R(2, 0) } },
	{ C_LTR, "ltr_m16_sets_busy", M32 | M64, 0, { R(2, 0) } },
	{ C_LTR_BUSY, "ltr_m16_busy_gp", M32 | M64, 0, { R(2, 0) } },
	{ C_LTR_NP, "ltr_m16_np", M32 | M64, 0, { R(2, 0) } },
	{ C_LTR_NULL, "ltr_m16_null_gp0", M32 | M64, 0, { R(2, 0) } },
	/* KVM 6.1: #GP(0) for TR's TI=1, the processor #GP(selector) */
	{ C_LTR_TI, "ltr_m16_ti_gp", M32 | M64, F_KVM_DIFFERS, { R(2, 0) } },
	{ C_MOV_FS_ACC, "mov_fs_m16_sets_accessed", M32 | M64, 0,
	  { R(2, 0) } },
	{ C_MOV_FS_NP, "mov_fs_m16_np", M32 | M64, 0, { R(2, 0) } },
	{ C_MOV_SS_NP, "mov_ss_m16_not_present_ss", M32 | M64, 0,
	  { R(2, 0) } },
	{ C_MOV_SS_RO, "mov_ss_m16_read_only_gp", M32 | M64, 0, { R(2, 0) } },
	{ C_MOV_SS_DPL, "mov_ss_m16_dpl3_gp", M32 | M64, 0, { R(2, 0) } },
	{ C_MOV_SS_NULL, "mov_ss_m16_null", M32 | M64, 0, { R(2, 0) } },
	{ C_MOV_DS_XO, "mov_ds_m16_execute_only_gp", M32 | M64, 0,
	  { R(2, 0) } },
	{ C_MOV_FS_LIMIT, "mov_fs_m16_beyond_gdt_gp", M32 | M64, 0,
	  { R(2, 0) } },
	{ C_MOV_FS_SYS, "mov_fs_m16_system_gp", M32 | M64, 0, { R(2, 0) } },
	/* KVM 6.1 faults only when both RPL and CPL are above the DPL */
	{ C_MOV_FS_RPL, "mov_fs_m16_rpl3_gp", M32 | M64, F_KVM_DIFFERS,
	  { R(2, 0) } },
	{ C_LSS_NP, "lss_m16_32_not_present_ss", M32 | M64, 0, { R(6, 0) } },
	/* far JMP through memory: the pointer, one read */
	{ C_JMP_FAR, "ljmp_m16_16", M16, 0, { R(4, 0) } },
	{ C_JMP_FAR, "ljmp_m16_32", M32 | M64, 0, { R(6, 0) } },
	{ C_JMP_FAR_W, "ljmp_m16_16_opsize_prefix", M32, 0, { R(4, 0) } },
	{ C_JMP_FAR_DATA, "ljmp_m16_32_data_gp", M32 | M64, 0, { R(6, 0) } },
	{ C_JMP_FAR_NP, "ljmp_m16_32_np", M32 | M64, 0, { R(6, 0) } },
	{ C_JMP_FAR_DPL3, "ljmp_m16_32_dpl3_gp", M32 | M64, 0, { R(6, 0) } },
	{ C_JMP_FAR_CONF, "ljmp_m16_32_conforming", M32 | M64, 0,
	  { R(6, 0) } },
	/* far CALL: the pointer read; CS and the offset pushed in RAM */
	{ C_CALL_FAR, "lcall_m16_16", M16, 0, { R(4, 0) } },
	{ C_CALL_FAR, "lcall_m16_32", M32 | M64, 0, { R(6, 0) } },
	{ C_CALL_FAR_W, "lcall_m16_16_opsize_prefix", M32, 0, { R(4, 0) } },
	{ C_CALL_FAR_DATA, "lcall_m16_32_data_gp", M32 | M64, 0,
	  { R(6, 0) } },
	{ C_CALL_FAR_NP, "lcall_m16_32_np", M32 | M64, 0, { R(6, 0) } },
	/* m16:64 (REX.W): 10 bytes, two device reads (8, then 2) */
	{ C_JMP_FAR_Q, "ljmp_m16_64", M64, 0, { R(8, 0), R(2, 8) } },
	{ C_CALL_FAR_Q, "lcall_m16_64", M64, 0, { R(8, 0), R(2, 8) } },
	{ C_LSS_Q, "lss_m16_64", M64, 0, { R(8, 0), R(2, 8) } },
	{ C_LFS_Q, "lfs_m16_64", M64, 0, { R(8, 0), R(2, 8) } },
	{ C_LGS_Q, "lgs_m16_64", M64, 0, { R(8, 0), R(2, 8) } },
};

#define NR_CASES	(sizeof(cases) / sizeof(cases[0]))

/* Guest table entry (mmio_cases.inc, CASE) */
struct tabent {
	uint32_t id;
	uint32_t ins;		/* GPA of the instruction */
	uint32_t end;		/* GPA of the byte after it */
};

#define FLAGS_CMP	0xed5	/* CF PF AF ZF SF IF DF OF */

static const struct mcase *find_case(int id, unsigned int mbit)
{
	size_t i;

	for (i = 0; i < NR_CASES; i++)
		if (cases[i].id == id && (cases[i].modes & mbit))
			return &cases[i];
	return NULL;
}

/* The device accesses @c expects on this driver. */
static const struct mex *case_ex(const struct mcase *c, bool is_vtx)
{
	return !is_vtx && (c->flags & F_KVM_EXITS) ? c->kvm : c->ex;
}

static unsigned int nr_ex(const struct mex *ex)
{
	unsigned int n = 0;

	while (n < MAX_EX && ex[n].len)
		n++;
	return n;
}

static uint8_t win_pattern(unsigned int i)
{
	return (uint8_t)(i * 151 + 0x3d) ^ (uint8_t)(i >> 8);
}

static void put32(uint8_t *p, uint32_t v)
{
	memcpy(p, &v, 4);
}

/* The device's initial bytes (and the mirror's) */
static void init_window(uint8_t *w)
{
	unsigned int i;

	for (i = 0; i < WIN_SIZE; i++)
		w[i] = win_pattern(i);
	/* values the sign/zero extension and flag cases need */
	w[WOFF(C_MOVZX_B)] = 0xfe;
	w[WOFF(C_MOVZX_W)] = 0x01;
	w[WOFF(C_MOVZX_W) + 1] = 0x80;
	w[WOFF(C_MOVSX_B)] = 0x9c;
	w[WOFF(C_MOVSX_W)] = 0x34;
	w[WOFF(C_MOVSX_W) + 1] = 0xf2;
	w[WOFF(C_MOVSX_BQ)] = 0xa7;
	put32(w + WOFF(C_MOVSXD), 0xc7654321);
	put32(w + WOFF(C_CMP_EQ), (uint32_t)PRE_ECX);
	put32(w + WOFF(C_DIV_L), 0xffffffff);	/* above EDX: no #DE */
	w[WOFF(C_IDIV_B)] = 0x40;		/* 0718H / 40H = 1CH */
	put32(w + WOFF(C_SUB_BORROW), 1);
	put32(w + WOFF(C_ADD_OVERFLOW), 0x7fffffff);
	put32(w + WOFF(C_CMPXCHG_EQ), (uint32_t)PRE_EAX);
	put32(w + WOFF(C_CMPXCHG8B_EQ), (uint32_t)PRE_EAX);
	put32(w + WOFF(C_CMPXCHG8B_EQ) + 4, (uint32_t)PRE_EDX);
	memcpy(w + WOFF(C_CMPXCHG16B_EQ), &(uint64_t){ PRE_RAX }, 8);
	memcpy(w + WOFF(C_CMPXCHG16B_EQ) + 8, &(uint64_t){ PRE_RDX }, 8);
	/* REPE CMPSB: bytes 0, 1 equal to 8, 9; byte 2 not equal to 10 */
	w[WOFF(C_REPE_CMPSB) + 8] = w[WOFF(C_REPE_CMPSB)];
	w[WOFF(C_REPE_CMPSB) + 9] = w[WOFF(C_REPE_CMPSB) + 1];
	w[WOFF(C_REPE_CMPSB) + 10] = w[WOFF(C_REPE_CMPSB) + 2] ^ 0x5a;
	/* REPNE SCASW: the first word not AX, the second AX */
	w[WOFF(C_REPNE_SCASW)] = (uint8_t)~PRE_EAX;
	w[WOFF(C_REPNE_SCASW) + 2] = (uint8_t)PRE_EAX;
	w[WOFF(C_REPNE_SCASW) + 3] = (uint8_t)(PRE_EAX >> 8);
	/* STD; REPE SCASB from byte 4: bytes 4 and 3 are AL */
	w[WOFF(C_REPE_SCASB_DOWN) + 4] = (uint8_t)PRE_EAX;
	w[WOFF(C_REPE_SCASB_DOWN) + 3] = (uint8_t)PRE_EAX;
	/* bit counts and scans: sources of 0, and values with known counts */
	put32(w + WOFF(C_POPCNT_ZERO_W), 0);
	put32(w + WOFF(C_TZCNT_L), 0x00a00000);
	put32(w + WOFF(C_TZCNT_ZERO_W), 0);
	put32(w + WOFF(C_LZCNT_L), 0x00012345);
	put32(w + WOFF(C_LZCNT_ZERO_L), 0);
	put32(w + WOFF(C_LZCNT_Q) + 4, 0x00000fff);
	put32(w + WOFF(C_BSF_ZERO_L), 0);
	/* LMSW: PE 0 (cannot clear it), MP 1, EM 0, TS 1, bits 15:4 set */
	put32(w + WOFF(C_LMSW), 0xfffa);
	put32(w + WOFF(C_LMSW_PE), 0x0001);
	/* selectors and far pointers: offset, then the selector */
	put32(w + WOFF(C_MOV_SREG_FS), VTX_SEL_DATA);
	put32(w + WOFF(C_MOV_SREG_SS), VTX_SEL_DATA);
	put32(w + WOFF(C_MOV_SREG_SS_RM), 0);
	put32(w + WOFF(C_LFS_L), 0x89abcdef);
	put32(w + WOFF(C_LFS_L) + 4, VTX_SEL_DATA);
	put32(w + WOFF(C_LGS_W), 0x1234 | (VTX_SEL_DATA << 16));
	put32(w + WOFF(C_LDS_L), 0x76543210);
	put32(w + WOFF(C_LDS_L) + 4, VTX_SEL_DATA);
	put32(w + WOFF(C_LES_W), 0x4321 | (VTX_SEL_DATA << 16));
	put32(w + WOFF(C_LSS_L), 0x7000);
	put32(w + WOFF(C_LSS_L) + 4, VTX_SEL_DATA);
	put32(w + WOFF(C_LLDT), SEL_LDT);
	put32(w + WOFF(C_LLDT_TI), SEL_LDT | 4);
	put32(w + WOFF(C_LLDT_TSS), SEL_TSS);
	put32(w + WOFF(C_LLDT_NULL), 3);
	put32(w + WOFF(C_LTR), SEL_TSS);
	put32(w + WOFF(C_LTR_BUSY), SEL_TSS);
	put32(w + WOFF(C_LTR_NP), SEL_TSS_NP);
	put32(w + WOFF(C_LTR_NULL), 0);
	put32(w + WOFF(C_LTR_TI), SEL_TSS | 4);
	put32(w + WOFF(C_MOV_FS_ACC), SEL_D_NA);
	put32(w + WOFF(C_MOV_FS_NP), SEL_D_NP);
	put32(w + WOFF(C_MOV_SS_NP), SEL_D_NP);
	put32(w + WOFF(C_MOV_SS_RO), SEL_D_RO);
	put32(w + WOFF(C_MOV_SS_DPL), SEL_D_DPL3 | 3);
	put32(w + WOFF(C_MOV_SS_NULL), 0);
	put32(w + WOFF(C_MOV_DS_XO), SEL_C_XO);
	put32(w + WOFF(C_MOV_FS_LIMIT), SEL_BEYOND);
	put32(w + WOFF(C_MOV_FS_SYS), SEL_LDT);
	put32(w + WOFF(C_MOV_FS_RPL), SEL_D_NA | 3);
	put32(w + WOFF(C_LSS_NP), 0x7000);
	put32(w + WOFF(C_LSS_NP) + 4, SEL_D_NP);
	/* m16:64: a 64-bit offset (the upper half used), then the selector */
	put32(w + WOFF(C_LSS_Q), 0x7000);
	put32(w + WOFF(C_LSS_Q) + 4, 0);
	put32(w + WOFF(C_LSS_Q) + 8, VTX_SEL_DATA);
	put32(w + WOFF(C_LFS_Q), 0x89abcdef);
	put32(w + WOFF(C_LFS_Q) + 4, 0x01234567);
	put32(w + WOFF(C_LFS_Q) + 8, VTX_SEL_DATA);
	put32(w + WOFF(C_LGS_Q), 0x76543210);
	put32(w + WOFF(C_LGS_Q) + 4, 0xfedcba98);
	put32(w + WOFF(C_LGS_Q) + 8, VTX_SEL_DATA);
}

static void init_scratch(uint8_t *s)
{
	unsigned int i;

	for (i = 0; i < SCRATCH_SIZE; i++)
		s[i] = (uint8_t)(0xc1 + i * 13);
}

#define CR0_EM		(1ull << 2)
#define CR0_TS		(1ull << 3)
#define CR4_OSFXSR	(1ull << 9)

/*
 * SSE on (CR4.OSFXSR, CR0.EM and TS clear) and the vector registers
 * preset with a pattern, so that a store writes known bytes.
 */
static void vector_setup(struct __test_metadata *_metadata,
			 struct vtx_vcpu *vcpu)
{
	struct kvm_sregs sregs;
	struct kvm_fpu fpu;
	unsigned int i, j;

	vtx_get_sregs(vcpu, &sregs);
	sregs.cr4 |= CR4_OSFXSR;
	sregs.cr0 &= ~(CR0_EM | CR0_TS);
	vtx_set_sregs(vcpu, &sregs);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_GET_FPU, &fpu));
	for (i = 0; i < 16; i++)
		for (j = 0; j < 16; j++)
			fpu.xmm[i][j] = (uint8_t)(0x11 * i + 7 * j + 1);
	for (i = 0; i < 8; i++)
		for (j = 0; j < 8; j++)
			fpu.fpr[i][j] = (uint8_t)(0x90 + 0x13 * i + 5 * j);
	ASSERT_EQ(0, ioctl(vcpu->fd, KVM_SET_FPU, &fpu));
}

/* XMM0-15, the x87/MMX registers, FSW and the tags of two snapshots. */
static int compare_fpu(const struct kvm_fpu *a, const struct kvm_fpu *b,
		       const char *what)
{
	unsigned int i;
	int bad = 0;

	for (i = 0; i < 16; i++)
		if (memcmp(a->xmm[i], b->xmm[i], 16)) {
			LOG("  %s: xmm%u differs between MMIO and RAM", what, i);
			bad++;
		}
	for (i = 0; i < 8; i++)
		if (memcmp(a->fpr[i], b->fpr[i], 10)) {
			LOG("  %s: st%u/mm%u differs between MMIO and RAM", what,
			    i, i);
			bad++;
		}
	if (a->fsw != b->fsw || a->ftwx != b->ftwx) {
		LOG("  %s: fsw %#x ftw %#x on MMIO, %#x %#x on RAM", what,
		    a->fsw, a->ftwx, b->fsw, b->ftwx);
		bad++;
	}
	return bad;
}

/* A data segment descriptor: base, byte-granular limit 0xffff, 32-bit */
static uint64_t data_desc(uint32_t base)
{
	return 0xffffull | ((uint64_t)(base & 0xffffff) << 16) |
	       (0x3ull << 40) | (1ull << 44) | (1ull << 47) | (1ull << 54) |
	       ((uint64_t)(base >> 24) << 56);
}

/* A segment descriptor: @base, limit 0xffff (byte-granular), @type_dpl_p */
static uint64_t seg_desc(uint32_t base, unsigned int type_s_dpl_p, bool db)
{
	return 0xffffull | ((uint64_t)(base & 0xffffff) << 16) |
	       ((uint64_t)type_s_dpl_p << 40) | ((uint64_t)db << 54) |
	       ((uint64_t)(base >> 24) << 56);
}

#define DESC_S		0x10
#define DESC_DPL3	0x60
#define DESC_P		0x80
#define DESC_CONF	0x04

/*
 * The descriptors of the segment-load cases (mmio.h, SEL_*) and an IDT
 * whose gates FAULT_FIRST..FAULT_LAST are trap gates to the guest's
 * handlers at @faults (GPA), CS @cs; 16-byte gates in long mode.
 */
static void fault_setup(uint8_t *lo, uint32_t faults, uint16_t cs, bool lm,
			struct kvm_sregs *sregs)
{
	uint64_t *gdt = (uint64_t *)(lo + VTX_GDT_GPA);
	uint64_t *idt = (uint64_t *)(lo + IDT_GPA);
	unsigned int v, n = lm ? 2 : 1;

	gdt[SEL_D_NA >> 3] = seg_desc(0, 0x2 | DESC_S | DESC_P, true);
	gdt[SEL_D_NP >> 3] = seg_desc(0, 0x3 | DESC_S, true);
	gdt[SEL_D_RO >> 3] = seg_desc(0, 0x1 | DESC_S | DESC_P, true);
	gdt[SEL_C_XO >> 3] = seg_desc(0, 0x9 | DESC_S | DESC_P, true);
	gdt[SEL_D_DPL3 >> 3] = seg_desc(0, 0x3 | DESC_S | DESC_DPL3 | DESC_P,
					true);
	gdt[SEL_LDT >> 3] = seg_desc(LDT_GPA, 0x2 | DESC_P, false);
	gdt[SEL_TSS >> 3] = seg_desc(TSS_GPA, 0x9 | DESC_P, false);
	gdt[SEL_TSS_NP >> 3] = seg_desc(TSS_GPA, 0x9, false);
	/* code like the mode's: flat, 4 KiB granular; L in long mode */
	gdt[SEL_C_NP >> 3] = gdt[cs >> 3] & ~((uint64_t)DESC_P << 40);
	gdt[SEL_C_DPL3 >> 3] = gdt[cs >> 3] | (uint64_t)DESC_DPL3 << 40;
	gdt[SEL_C_CONF >> 3] = gdt[cs >> 3] | (uint64_t)DESC_CONF << 40;
	sregs->gdt.limit = GDT_LIMIT;
	memset(idt, 0, VTX_PAGE_SIZE);
	for (v = FAULT_FIRST; v <= FAULT_LAST; v++) {
		uint32_t off = faults + (v - FAULT_FIRST) * FAULT_STUB_BYTES;

		/* offset 15:0, selector, type 0xf (trap gate), P, 31:16 */
		idt[v * n] = (off & 0xffff) | ((uint64_t)cs << 16) |
			     (0x8full << 40) | ((uint64_t)(off >> 16) << 48);
	}
	sregs->idt.base = IDT_GPA;
	sregs->idt.limit = (FAULT_LAST + 1) * 8 * n - 1;
}

struct matrix {
	struct vtx_vm *vm;
	struct vtx_vcpu *vcpu;
	uint8_t *lo;		/* slot 0 */
	uint8_t dev[WIN_SIZE];	/* the device */
	const uint8_t *blob;
	const struct tabent *tab;
	size_t ntab;
	bool is_vtx;
	/* kvm_intel without unrestricted guest: FS put back (fs_rpl_fixup) */
	bool kvm_no_ug;
	struct kvm_segment fs0;
};

/*
 * Case C_MOV_FS_RPL on kvm_intel without unrestricted guest (ept=0): KVM
 * 6.1 loads the RPL-3 selector (F_KVM_DIFFERS), a state VM entry would
 * refuse there, so KVM emulates everything after it -- in long mode until
 * some later case loads FS -- and its emulator fails the mirror run
 * (KVM_EXIT_INTERNAL_ERROR) or, reloading the same CR3, keeps its MMIO
 * GVA cache and reads the device.  After the MMIO run FS gets its value
 * from before the case back (@save: take it), so that the rest of the
 * matrix runs as on the processor.
 */
static void fs_rpl_fixup(struct matrix *m, const struct mcase *c, bool save)
{
	struct kvm_sregs sr;

	if (!m->kvm_no_ug || c->id != C_MOV_FS_RPL)
		return;
	vtx_get_sregs(m->vcpu, &sr);
	if (save) {
		m->fs0 = sr.fs;
		return;
	}
	sr.fs = m->fs0;
	vtx_set_sregs(m->vcpu, &sr);
}

static bool kvm_without_unrestricted_guest(void)
{
	FILE *f = fopen("/sys/module/kvm_intel/parameters/unrestricted_guest",
			"r");
	int c = 'Y';

	if (f) {
		c = fgetc(f);
		fclose(f);
	}
	return c == 'N' || c == '0';
}

static const struct tabent *find_tab(const struct matrix *m, uint32_t id)
{
	size_t i;

	for (i = 0; i < m->ntab; i++)
		if (m->tab[i].id == id)
			return &m->tab[i];
	return NULL;
}

#define REX_W_PREFIX	0x48

/*
 * The byte after a far JMP/CALL through memory of the matrix: [66|48] FF /r
 * with a disp8 or disp16/32 (the window's operands are [bx + disp]).
 */
static uint32_t far_insn_end(const struct matrix *m, const struct tabent *t,
			     enum vtx_mode mode)
{
	const uint8_t *p = m->blob + (t->ins - VTX_CODE_GPA);
	unsigned int n = p[0] == 0x66 || p[0] == REX_W_PREFIX, mod;
	bool ad16 = mode == VTX_MODE_REAL;

	if (p[n] != 0xff)
		return t->end;		/* not the form expected: fails */
	mod = p[n + 1] >> 6;
	n += 2;
	if (mod == 1)
		n += 1;
	else if (mod == 2)
		n += ad16 ? 2 : 4;
	return t->ins + n;
}

/*
 * The far pointers of the far JMP/CALL cases: the byte after the
 * instruction, and the selector of each case (an offset of 16 bits in
 * real mode and for the 66 form).
 */
static void far_targets(struct matrix *m, enum vtx_mode mode)
{
	static const struct {
		int id;
		uint16_t sel;
	} far[] = {
		{ C_JMP_FAR, 0 }, { C_JMP_FAR_W, 0 },
		{ C_JMP_FAR_DATA, VTX_SEL_DATA }, { C_JMP_FAR_NP, SEL_C_NP },
		{ C_JMP_FAR_DPL3, SEL_C_DPL3 | 3 },
		{ C_JMP_FAR_CONF, SEL_C_CONF | 3 },
		{ C_CALL_FAR, 0 }, { C_CALL_FAR_W, 0 },
		{ C_CALL_FAR_DATA, VTX_SEL_DATA }, { C_CALL_FAR_NP, SEL_C_NP },
		{ C_JMP_FAR_Q, 0 }, { C_CALL_FAR_Q, 0 },
	};
	uint16_t cs = mode == VTX_MODE_REAL ? 0 :
		      mode == VTX_MODE_PROT32 ? VTX_SEL_CODE32 : VTX_SEL_CODE64;
	uint32_t end;
	size_t i;

	for (i = 0; i < sizeof(far) / sizeof(far[0]); i++) {
		const struct tabent *t = find_tab(m, far[i].id);
		uint16_t sel = far[i].sel ? far[i].sel : cs;
		uint8_t *p = m->dev + WOFF(far[i].id);

		if (!t)
			continue;
		end = far_insn_end(m, t, mode);
		if (mode == VTX_MODE_REAL || far[i].id == C_JMP_FAR_W ||
		    far[i].id == C_CALL_FAR_W) {
			put32(p, (end & 0xffff) | (uint32_t)sel << 16);
		} else if (far[i].id == C_JMP_FAR_Q ||
			   far[i].id == C_CALL_FAR_Q) {
			put32(p, end);		/* m16:64 */
			put32(p + 4, 0);
			put32(p + 8, sel);
		} else {
			put32(p, end);
			put32(p + 4, sel);
		}
	}
}

static void matrix_setup(struct __test_metadata *_metadata, struct matrix *m,
			 enum vtx_mode mode)
{
	const uint8_t *blob, *end;
	struct kvm_sregs sregs;
	size_t len;

	switch (mode) {
	case VTX_MODE_REAL:
		blob = mmio_guest_16, end = mmio_guest_16_end;
		m->tab = (const void *)mmio_tab_16;
		m->ntab = (mmio_tab_end_16 - mmio_tab_16) / sizeof(struct tabent);
		break;
	case VTX_MODE_PROT32:
		blob = mmio_guest_32, end = mmio_guest_32_end;
		m->tab = (const void *)mmio_tab_32;
		m->ntab = (mmio_tab_end_32 - mmio_tab_32) / sizeof(struct tabent);
		break;
	default:
		blob = mmio_guest_64, end = mmio_guest_64_end;
		m->tab = (const void *)mmio_tab_64;
		m->ntab = (mmio_tab_end_64 - mmio_tab_64) / sizeof(struct tabent);
		break;
	}
	m->blob = blob;
	m->vm = vtx_vm_create();
	m->is_vtx = vtx_is_vtx(m->vm->dev_fd);
	m->kvm_no_ug = !m->is_vtx && kvm_without_unrestricted_guest();
	m->lo = vtx_vm_add_mem(m->vm, 0, 0, RAM_LO_SIZE);
	vtx_vm_add_mem(m->vm, 1, RAM_HI_GPA, RAM_HI_SIZE);
	m->vcpu = vtx_vcpu_add(m->vm, 0);
	/*
	 * The supported CPUID in every mode (vtx_setup_mode() gives it to
	 * long mode only): the emulator decodes POPCNT, TZCNT and LZCNT by
	 * the vCPU's CPUID, as KVM's does MOVBE.
	 */
	{
		struct kvm_cpuid2 *c = calloc(1, sizeof(*c) + MAX_CPUID *
					      sizeof(struct kvm_cpuid_entry2));

		ASSERT_TRUE(c != NULL);
		c->nent = MAX_CPUID;
		vtx_ioctl(m->vm->dev_fd, KVM_GET_SUPPORTED_CPUID, c);
		vtx_ioctl(m->vcpu->fd, KVM_SET_CPUID2, c);
		free(c);
	}
	len = end - blob;
	ASSERT_LE(VTX_CODE_GPA + len, PT_MMIO_GPA);
	memcpy(m->lo + VTX_CODE_GPA, blob, len);
	vtx_setup_mode(m->vcpu, mode, VTX_CODE_GPA);

	if (mode == VTX_MODE_PROT32) {
		uint64_t *gdt = (uint64_t *)(m->lo + VTX_GDT_GPA);

		gdt[MMIO_SEL >> 3] = data_desc(MMIO_GPA);
		gdt[MIRROR_SEL >> 3] = data_desc(MIRROR_GPA);
		vtx_get_sregs(m->vcpu, &sregs);
		fault_setup(m->lo, VTX_BLOB_GPA(blob, mmio_faults_32),
			    VTX_SEL_CODE32, false, &sregs);
		vtx_set_sregs(m->vcpu, &sregs);
	} else if (mode == VTX_MODE_LONG64) {
		uint64_t *pd = (uint64_t *)(m->lo + VTX_PD_GPA);
		uint64_t *ptm = (uint64_t *)(m->lo + PT_MMIO_GPA);
		uint64_t *ptr = (uint64_t *)(m->lo + PT_MIRROR_GPA);
		unsigned int i;

		memset(ptm, 0, VTX_PAGE_SIZE);
		memset(ptr, 0, VTX_PAGE_SIZE);
		for (i = 0; i < WIN_SIZE / VTX_PAGE_SIZE; i++) {
			ptm[i] = (MMIO_GPA + i * VTX_PAGE_SIZE) | 3;
			ptr[i] = (MIRROR_GPA + i * VTX_PAGE_SIZE) | 3;
		}
		ptm[i] = XRAM_GPA | 3;
		ptr[i] = XRAM_GPA | 3;
		pd[(MMIO_VA >> 21) & 511] = PT_MMIO_GPA | 3;
		vtx_get_sregs(m->vcpu, &sregs);
		sregs.fs.base = MMIO_VA;
		sregs.gs.base = MMIO_VA;
		fault_setup(m->lo, VTX_BLOB_GPA(blob, mmio_faults_64),
			    VTX_SEL_CODE64, true, &sregs);
		vtx_set_sregs(m->vcpu, &sregs);
	}
	vector_setup(_metadata, m->vcpu);
	init_window(m->dev);
	far_targets(m, mode);
	memcpy(m->lo + MIRROR_GPA, m->dev, WIN_SIZE);
	init_scratch(m->lo + SCRATCH_GPA);
}

static const char *const reg_names[] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15", "rip",
};

/* Compare two snapshots; log and count the differences. */
static int compare_regs(const struct kvm_regs *a, const struct kvm_regs *b,
			const char *what)
{
	const uint64_t *pa = (const uint64_t *)a, *pb = (const uint64_t *)b;
	unsigned int i;
	int bad = 0;

	/* struct kvm_regs: rax..r15, rip, rflags in this order */
	for (i = 0; i < 17; i++) {
		if (pa[i] != pb[i]) {
			LOG("  %s: %s is %#llx on MMIO, %#llx on RAM", what,
			    reg_names[i], (unsigned long long)pa[i],
			    (unsigned long long)pb[i]);
			bad++;
		}
	}
	if ((a->rflags & FLAGS_CMP) != (b->rflags & FLAGS_CMP)) {
		LOG("  %s: rflags %#llx on MMIO, %#llx on RAM (compared %#x)",
		    what, a->rflags, b->rflags, FLAGS_CMP);
		bad++;
	}
	return bad;
}

static void log_insn(const char *what, const uint8_t *p, unsigned int n)
{
	char buf[64];
	unsigned int i;

	buf[0] = 0;
	for (i = 0; i < n && i < 15; i++)
		snprintf(buf + 3 * i, sizeof(buf) - 3 * i, " %02x", p[i]);
	LOG("  %s:%s", what, buf);
}

/*
 * vtx and an instruction its emulator refuses: check the emulation
 * failure exit and its bytes, then skip the instruction.  Returns the
 * number of problems.
 */
static int check_emulation_failure(struct matrix *m, const struct tabent *t)
{
	struct kvm_run *run = m->vcpu->run;
	const uint8_t *insn = m->blob + (t->ins - VTX_CODE_GPA);
	unsigned int len = t->end - t->ins;
	struct kvm_regs regs;
	int bad = 0;

	if (run->emulation_failure.suberror != KVM_INTERNAL_ERROR_EMULATION) {
		LOG("  suberror %u, expected KVM_INTERNAL_ERROR_EMULATION",
		    run->emulation_failure.suberror);
		bad++;
	}
	if (run->emulation_failure.ndata < 3 ||
	    !(run->emulation_failure.flags &
	      KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES)) {
		LOG("  ndata %u flags %#llx: no instruction bytes",
		    run->emulation_failure.ndata,
		    (unsigned long long)run->emulation_failure.flags);
		bad++;
	} else if (run->emulation_failure.insn_size < len ||
		   run->emulation_failure.insn_size > 15 ||
		   memcmp(run->emulation_failure.insn_bytes, insn, len)) {
		LOG("  insn_size %u, instruction is %u bytes",
		    run->emulation_failure.insn_size, len);
		log_insn("reported", run->emulation_failure.insn_bytes,
			 run->emulation_failure.insn_size);
		log_insn("expected", insn, len);
		bad++;
	}
	vtx_get_regs(m->vcpu, &regs);
	if (regs.rip != t->ins) {
		LOG("  RIP %#llx at the failure, instruction at %#x",
		    regs.rip, t->ins);
		bad++;
	}
	regs.rip = t->end;
	vtx_set_regs(m->vcpu, &regs);
	return bad;
}

/* What a matrix run found */
struct mstats {
	unsigned int ncases;
	unsigned int failed_cases;
	bool failed[C_MAX];
};

/*
 * Run the matrix of @mode.  @corrupt: case numbers (0-terminated) whose
 * device byte is changed at the start of the case, so that the device and
 * the mirror differ -- the self-check that the comparison catches a wrong
 * value.
 */
static void run_matrix(struct __test_metadata *_metadata, enum vtx_mode mode,
		       const int *corrupt, struct mstats *st)
{
	unsigned int mbit = mode == VTX_MODE_REAL ? M16 :
			    mode == VTX_MODE_PROT32 ? M32 : M64;
	static struct matrix mx;
	struct matrix *m = &mx;
	uint8_t scratch_a[SCRATCH_SIZE];
	const struct mcase *c = NULL;
	const struct tabent *t = NULL;
	struct kvm_regs snap_a = { 0 }, regs = { 0 };
	struct kvm_fpu fpu_a, fpu_b;
	unsigned int phase = 0, nex = 0, want = 0, ncase = 0, nexpected = 0;
	int bad = 0;
	bool skipped = false, kvm_known;
	struct kvm_run *run;
	uint8_t *scratch, *mirror;
	size_t i;

	memset(m, 0, sizeof(*m));
	memset(st, 0, sizeof(*st));
	matrix_setup(_metadata, m, mode);
	run = m->vcpu->run;
	scratch = m->lo + SCRATCH_GPA;
	mirror = m->lo + MIRROR_GPA;
	for (i = 0; i < NR_CASES; i++)
		nexpected += !!(cases[i].modes & mbit);
	LOG("%s on %s: %zu cases in the guest, %u in the table",
	    vtx_mode_str(mode), m->is_vtx ? "vtx" : "kvm", m->ntab, nexpected);
	ASSERT_EQ(nexpected, m->ntab);

	for (;;) {
		long r = __vtx_run(m->vcpu);

		ASSERT_EQ(0, r) {
			LOG("KVM_RUN: %s, case %d phase %u", strerror((int)-r),
			    c ? c->id : -1, phase);
		}
		switch (run->exit_reason) {
		case KVM_EXIT_IO:
			ASSERT_EQ(KVM_EXIT_IO_OUT, run->io.direction);
			if (run->io.port == MMIO_PORT_CASE) {
				uint32_t id;

				ASSERT_EQ(0, phase);
				memcpy(&id, vtx_io_data(m->vcpu), 4);
				c = find_case(id, mbit);
				t = find_tab(m, id);
				ASSERT_TRUE(c && t) {
					LOG("case %u: not in the host's table", id);
				}
				ASSERT_EQ(t, &m->tab[ncase]);
				ncase++;
				phase = 1;
				nex = 0;
				bad = 0;
				skipped = false;
				want = nr_ex(case_ex(c, m->is_vtx));
				fs_rpl_fixup(m, c, true);
				for (i = 0; corrupt && corrupt[i]; i++)
					if (corrupt[i] == c->id)
						m->dev[WOFF(c->id)] ^= 0x40;
				break;
			}
			if (run->io.port == MMIO_PORT_FLAGS) {
				uint32_t fl;

				/* after SNAP A (phase 2) or SNAP B (phase 0) */
				memcpy(&fl, vtx_io_data(m->vcpu), 4);
				if ((fl & FLAGS_CMP) != ((phase ? snap_a.rflags :
							 regs.rflags) & FLAGS_CMP)) {
					LOG("  the guest's PUSHF %#x, KVM_GET_REGS rflags %#llx",
					    fl, phase ? snap_a.rflags : regs.rflags);
					if (phase) {
						bad++;
					} else {
						/* the case was already counted */
						st->failed_cases += !st->failed[c->id];
						st->failed[c->id] = true;
					}
				}
				break;
			}
			ASSERT_EQ(MMIO_PORT_SNAP, run->io.port);
			if (phase == 1) {
				/* end of the MMIO run */
				if (!skipped && nex != want) {
					LOG("  %u MMIO exits, expected %u", nex, want);
					bad++;
				}
				vtx_get_regs(m->vcpu, &snap_a);
				ASSERT_EQ(0, ioctl(m->vcpu->fd, KVM_GET_FPU,
						   &fpu_a));
				memcpy(scratch_a, scratch, SCRATCH_SIZE);
				init_scratch(scratch);
				fs_rpl_fixup(m, c, false);
				phase = 2;
				break;
			}
			ASSERT_EQ(2, phase);
			vtx_get_regs(m->vcpu, &regs);
			ASSERT_EQ(0, ioctl(m->vcpu->fd, KVM_GET_FPU, &fpu_b));
			/*
			 * KVM 6.1 ignores F3 on 0F BC/BD: a difference in the
			 * registers or flags is its known one, the processor's
			 * result would be news.
			 */
			kvm_known = !skipped && !m->is_vtx &&
				    (c->flags & F_KVM_DIFFERS);
			if (kvm_known) {
				i = compare_regs(&snap_a, &regs, c->name);
				if (i)
					LOG("  kvm: %zu difference(s), KVM 6.1's known one (see the case)",
					    i);
				else
					LOG("  kvm: the CPU's result; KVM 6.1 was expected to differ");
				bad += !i;
			}
			if (!skipped) {
				if (!kvm_known)
					bad += compare_regs(&snap_a, &regs,
							    c->name);
				bad += compare_fpu(&fpu_a, &fpu_b, c->name);
				if (memcmp(scratch_a, scratch, SCRATCH_SIZE)) {
					LOG("  the RAM written by the two runs differs");
					bad++;
				}
				for (i = 0; i < WIN_SIZE; i++)
					if (m->dev[i] != mirror[i])
						break;
				if (i < WIN_SIZE) {
					LOG("  device byte %#zx is %#x, RAM mirror %#x",
					    i, m->dev[i], mirror[i]);
					bad++;
				}
			}
			/* the next case starts from equal bytes */
			memcpy(m->dev, mirror, WIN_SIZE);
			init_scratch(scratch);
			LOG("%s %s case %d %s: %u MMIO exit(s)%s",
			    bad ? "FAIL" : "ok", vtx_mode_str(mode), c->id,
			    c->name, nex,
			    skipped ? ", emulation failure" : "");
			if (bad) {
				st->failed_cases++;
				st->failed[c->id] = true;
			}
			phase = 0;
			break;
		case KVM_EXIT_MMIO: {
			uint64_t off = run->mmio.phys_addr - MMIO_GPA;
			const struct mex *e = nex < want ?
					      &case_ex(c, m->is_vtx)[nex] : NULL;

			ASSERT_EQ(1, phase) {
				LOG("MMIO exit at %#llx outside a case's MMIO run",
				    run->mmio.phys_addr);
			}
			/*
			 * A guest gone astray (an exception a driver should
			 * not raise, taken through the real-mode IVT into
			 * zeroed memory) loops on the device: end the run.
			 */
			ASSERT_LT(nex, want + MAX_EX) {
				LOG("case %d: %u MMIO exits, %u expected: the guest runs away",
				    c->id, nex, want);
			}
			if (e) {
				uint64_t eoff = (c->flags & F_ABS) ? e->off :
						WOFF(c->id) + e->off;

				if (off != eoff || run->mmio.len != e->len ||
				    run->mmio.is_write != e->write) {
					LOG("  exit %u: %s %u at +%#llx, expected %s %u at +%#llx",
					    nex, run->mmio.is_write ? "write" : "read",
					    run->mmio.len, (unsigned long long)off,
					    e->write ? "write" : "read", e->len,
					    (unsigned long long)eoff);
					bad++;
				}
			} else {
				LOG("  exit %u: %s %u at +%#llx, none expected",
				    nex, run->mmio.is_write ? "write" : "read",
				    run->mmio.len, (unsigned long long)off);
				bad++;
			}
			if (c->flags & F_UNSUP && m->is_vtx) {
				LOG("  vtx emulated it: the test expects KVM_INTERNAL_ERROR_EMULATION");
				bad++;
			}
			nex++;
			if (run->mmio.len < 1 || run->mmio.len > 8 ||
			    off + run->mmio.len > WIN_SIZE) {
				LOG("  MMIO outside the device");
				bad++;
				memset(run->mmio.data, 0, 8);
				break;
			}
			if (run->mmio.is_write)
				memcpy(m->dev + off, run->mmio.data, run->mmio.len);
			else
				memcpy(run->mmio.data, m->dev + off, run->mmio.len);
			break;
		}
		case KVM_EXIT_INTERNAL_ERROR:
			ASSERT_EQ(1, phase) {
				LOG("internal error %u outside an MMIO run",
				    run->internal.suberror);
			}
			if (!m->is_vtx && (c->flags & F_KVM_MAY_FAIL)) {
				LOG("  kvm: emulation failure after %u MMIO exit(s) (KVM 6.1: em_cmpxchg8b refuses 16 bytes, POPCNT not emulated)",
				    nex);
			} else if (!m->is_vtx || !(c->flags & F_UNSUP) ||
				   nex) {
				LOG("  KVM_EXIT_INTERNAL_ERROR suberror %u after %u MMIO exit(s): not expected",
				    run->internal.suberror, nex);
				bad++;
			}
			bad += check_emulation_failure(m, t);
			skipped = true;
			break;
		case KVM_EXIT_HLT:
			ASSERT_EQ(0, phase);
			ASSERT_EQ(m->ntab, ncase);
			st->ncases = ncase;
			LOG("%s: %u cases, %u failed", vtx_mode_str(mode), ncase,
			    st->failed_cases);
			vtx_vcpu_free(m->vcpu);
			vtx_vm_free(m->vm);
			return;
		default:
			ASSERT_TRUE(false) {
				LOG("unexpected exit %s (%u) in case %d phase %u",
				    vtx_exit_reason_str(run->exit_reason),
				    run->exit_reason, c ? c->id : -1, phase);
			}
		}
	}
}

TEST(matrix_real_mode)
{
	struct mstats st;

	run_matrix(_metadata, VTX_MODE_REAL, NULL, &st);
	EXPECT_EQ(0, st.failed_cases);
}

TEST(matrix_protected_mode_32)
{
	struct mstats st;

	run_matrix(_metadata, VTX_MODE_PROT32, NULL, &st);
	EXPECT_EQ(0, st.failed_cases);
}

TEST(matrix_long_mode_64)
{
	struct mstats st;

	run_matrix(_metadata, VTX_MODE_LONG64, NULL, &st);
	EXPECT_EQ(0, st.failed_cases);
}

/*
 * The checker itself: a device that answers a read with another value
 * than the mirror holds (MOV to a register) or that starts a
 * read-modify-write from another value (ADD to memory) must make exactly
 * those cases fail.
 */
TEST(matrix_self_check)
{
	static const int corrupt[] = { C_MOV_M2R_L, C_ADD_R2M_L, 0 };
	struct mstats st;
	unsigned int id;

	run_matrix(_metadata, VTX_MODE_LONG64, corrupt, &st);
	EXPECT_EQ(2, st.failed_cases);
	for (id = 0; id < C_MAX; id++)
		EXPECT_EQ(id == C_MOV_M2R_L || id == C_ADD_R2M_L, st.failed[id])
			TH_LOG("case %u", id);
}

/* mmio_state_guest: the state at each exit */
#define MS_BASE		(MMIO_GPA + 0x100)
#define MS_NR_EXITS	7

struct ms_exit {
	uint32_t reason;
	uint64_t addr;
	uint32_t len;
	uint8_t is_write;
	uint64_t data;
	struct kvm_regs regs;
};

static uint64_t ms_gpa(const uint8_t *sym)
{
	return VTX_BLOB_GPA(mmio_state_guest, sym);
}

/* Run mmio_state_guest to its HLT, recording every exit. */
static void run_state_guest(struct __test_metadata *_metadata,
			    struct ms_exit *ex, struct kvm_regs *final)
{
	/* what the host answers to the two reads */
	static const uint32_t read_data[] = { 0xcafe1234, 1 };
	struct vtx_vcpu *vcpu;
	struct vtx_vm *vm;
	struct kvm_run *run;
	unsigned int n = 0, nread = 0;

	vm = vtx_vm_create();
	vtx_vm_add_mem(vm, 0, 0, RAM_LO_SIZE);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_load_code(vm, VTX_CODE_GPA, mmio_state_guest, mmio_state_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	run = vcpu->run;
	for (;;) {
		vtx_run(vcpu);
		if (run->exit_reason == KVM_EXIT_HLT)
			break;
		ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
		ASSERT_LT(n, MS_NR_EXITS);
		ex[n].reason = run->exit_reason;
		ex[n].addr = run->mmio.phys_addr;
		ex[n].len = run->mmio.len;
		ex[n].is_write = run->mmio.is_write;
		ex[n].data = 0;
		vtx_get_regs(vcpu, &ex[n].regs);
		if (run->mmio.is_write) {
			memcpy(&ex[n].data, run->mmio.data,
			       run->mmio.len <= 8 ? run->mmio.len : 8);
		} else {
			ASSERT_LT(nread, 2);
			memset(run->mmio.data, 0, 8);
			memcpy(run->mmio.data, &read_data[nread++], 4);
		}
		n++;
	}
	ASSERT_EQ(MS_NR_EXITS, n);
	vtx_get_regs(vcpu, final);
	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

/* The accesses, and the state at the read exits: the same on both. */
TEST(exit_state_read)
{
	static const struct { uint64_t addr; uint32_t len; uint8_t w; uint64_t data; }
	want[MS_NR_EXITS] = {
		{ MS_BASE, 4, 0, 0 },
		{ MS_BASE + 8, 4, 1, 0x55667788 },
		{ MS_BASE + 0x10, 4, 0, 0 },
		{ MS_BASE + 0x10, 4, 1, 0x80000000 },
		{ MS_BASE + 0x20, 1, 1, 0xab },
		{ MS_BASE + 0x21, 1, 1, 0xab },
		{ MS_BASE + 0x22, 1, 1, 0xab },
	};
	struct ms_exit ex[MS_NR_EXITS];
	struct kvm_regs final;
	unsigned int i;

	run_state_guest(_metadata, ex, &final);
	for (i = 0; i < MS_NR_EXITS; i++) {
		EXPECT_EQ(want[i].addr, ex[i].addr) TH_LOG("exit %u", i);
		EXPECT_EQ(want[i].len, ex[i].len) TH_LOG("exit %u", i);
		EXPECT_EQ(want[i].w, ex[i].is_write) TH_LOG("exit %u", i);
		if (want[i].w)
			EXPECT_EQ(want[i].data, ex[i].data) TH_LOG("exit %u", i);
	}
	/* read exits: RIP at the instruction, the destination untouched */
	EXPECT_EQ(ms_gpa(ms_rd), ex[0].regs.rip);
	EXPECT_EQ(0x11, ex[0].regs.rax);
	EXPECT_EQ(ms_gpa(ms_rmw), ex[2].regs.rip);
	EXPECT_EQ(0xcafe1234, ex[2].regs.rax);	/* the first read completed */
	/* the end */
	EXPECT_EQ(ms_gpa(ms_halted), final.rip);
	EXPECT_EQ(0xcafe12ab, final.rax);
	EXPECT_EQ(0, final.rcx);
	EXPECT_EQ(MS_BASE + 0x23, final.rdi);
	/* 0x7fffffff + 1: OF SF AF PF, not ZF or CF */
	EXPECT_EQ(0x894, final.rflags & 0x8d5) TH_LOG("rflags %#llx", final.rflags);
}

/*
 * The state at the write exits.  KVM finishes an instruction whose MMIO
 * access is a write before it exits to userspace: RIP is already past it,
 * an ADD's flags are set, and REP STOS has advanced RDI and RCX for the
 * element being written.  RIP stays on the REP instruction at every
 * element's exit, the last one included: the emulator's restart path
 * skips the RIP writeback and the guest executes the instruction once more
 * with RCX = 0 (emulate.c, x86_emulate_insn).
 */
TEST(exit_state_write)
{
	struct ms_exit ex[MS_NR_EXITS];
	struct kvm_regs final;
	unsigned int k;

	run_state_guest(_metadata, ex, &final);
	EXPECT_EQ(ms_gpa(ms_wr_end), ex[1].regs.rip)
		TH_LOG("MOV to MMIO: RIP %#llx at the write exit, instruction at %#llx",
		       ex[1].regs.rip, (unsigned long long)ms_gpa(ms_wr));
	EXPECT_EQ(ms_gpa(ms_rmw_end), ex[3].regs.rip)
		TH_LOG("ADD to MMIO: RIP %#llx at the write exit, instruction at %#llx",
		       ex[3].regs.rip, (unsigned long long)ms_gpa(ms_rmw));
	EXPECT_EQ(0x894, ex[3].regs.rflags & 0x8d5)
		TH_LOG("ADD to MMIO: rflags %#llx at the write exit", ex[3].regs.rflags);
	for (k = 1; k <= 3; k++) {
		const struct kvm_regs *r = &ex[3 + k].regs;

		EXPECT_EQ(3 - k, r->rcx) TH_LOG("REP STOSB exit %u", k);
		EXPECT_EQ(MS_BASE + 0x20 + k, r->rdi) TH_LOG("REP STOSB exit %u", k);
		EXPECT_EQ(ms_gpa(ms_st), r->rip)
			TH_LOG("REP STOSB exit %u: RIP %#llx", k, r->rip);
	}
}

/*
 * KVM_RUN with immediate_exit set completes a pending MMIO access and
 * returns EINTR before running the guest on (the way a VMM gets the state
 * consistent before saving it, Documentation/virt/kvm/api.rst): RIP past
 * the instruction, the data read in its register.  A read-modify-write
 * whose read completes still has its write to do: that is an exit, not
 * EINTR.
 */
TEST(immediate_exit_completes_mmio)
{
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_vm *vm;
	struct kvm_run *run;
	uint32_t v = 0xcafe1234;

	vm = vtx_vm_create();
	vtx_vm_add_mem(vm, 0, 0, RAM_LO_SIZE);
	vcpu = vtx_vcpu_add(vm, 0);
	vtx_load_code(vm, VTX_CODE_GPA, mmio_state_guest, mmio_state_guest_end);
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	run = vcpu->run;

	/* read */
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(0, run->mmio.is_write);
	memcpy(run->mmio.data, &v, 4);
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, __vtx_run(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(ms_gpa(ms_rd_end), regs.rip);
	EXPECT_EQ(0xcafe1234, regs.rax);
	/* nothing pending: EINTR again, nothing changes */
	EXPECT_EQ(-EINTR, __vtx_run(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(ms_gpa(ms_rd_end), regs.rip);

	/* write */
	run->immediate_exit = 0;
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(1, run->mmio.is_write);
	run->immediate_exit = 1;
	EXPECT_EQ(-EINTR, __vtx_run(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(ms_gpa(ms_wr_end), regs.rip);

	/* read-modify-write: the read completes into the write's exit */
	run->immediate_exit = 0;
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	ASSERT_EQ(0, run->mmio.is_write);
	v = 1;
	memcpy(run->mmio.data, &v, 4);
	run->immediate_exit = 1;
	ASSERT_EQ(0, __vtx_run(vcpu));
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(MS_BASE + 0x10, run->mmio.phys_addr);
	memcpy(&v, run->mmio.data, 4);
	EXPECT_EQ(0x80000000, v);
	EXPECT_EQ(-EINTR, __vtx_run(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(ms_gpa(ms_rmw_end), regs.rip);
	EXPECT_EQ(0x894, regs.rflags & 0x8d5) TH_LOG("rflags %#llx", regs.rflags);

	/* and on to the end */
	run->immediate_exit = 0;
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	vtx_run(vcpu);
	vtx_run(vcpu);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

extern const uint8_t xpage_guest[], xpage_guest_end[];

/*
 * An instruction that touches MMIO and whose own bytes straddle two pages:
 * the emulator must fetch it across the boundary.
 */
#define XP_WRITE_GPA	0x8ffd		/* 3 bytes, then 3 on the next page */
#define XP_READ_GPA	0x9ffe		/* 2 + 4 */

TEST(insn_across_page_boundary)
{
	static const uint8_t wr[] = { 0x89, 0x8b, 0x00, 0x01, 0x00, 0x00 };	/* mov %ecx, 0x100(%rbx) */
	static const uint8_t rd[] = { 0x8b, 0x93, 0x04, 0x01, 0x00, 0x00 };	/* mov 0x104(%rbx), %edx */
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	struct vtx_vm *vm;
	struct kvm_run *run;
	uint32_t v = 0xabcdef01, rel;
	uint8_t *ram;

	vm = vtx_vm_create();
	ram = vtx_vm_add_mem(vm, 0, 0, RAM_LO_SIZE);
	vcpu = vtx_vcpu_add(vm, 0);
	run = vcpu->run;
	vtx_load_code(vm, VTX_CODE_GPA, xpage_guest, xpage_guest_end);
	memcpy(ram + XP_WRITE_GPA, wr, sizeof(wr));
	ram[XP_WRITE_GPA + 6] = 0xe9;			/* jmp XP_READ_GPA */
	rel = XP_READ_GPA - (XP_WRITE_GPA + 11);
	memcpy(ram + XP_WRITE_GPA + 7, &rel, 4);
	memcpy(ram + XP_READ_GPA, rd, sizeof(rd));
	ram[XP_READ_GPA + 6] = 0xf4;			/* hlt */
	vtx_setup_mode(vcpu, VTX_MODE_LONG64, VTX_CODE_GPA);
	vtx_get_regs(vcpu, &regs);
	regs.rax = XP_WRITE_GPA;
	vtx_set_regs(vcpu, &regs);

	vtx_run(vcpu);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		TH_LOG("internal error, suberror %u", run->internal.suberror);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(MMIO_GPA + 0x300, run->mmio.phys_addr);
	EXPECT_EQ(4, run->mmio.len);
	EXPECT_EQ(1, run->mmio.is_write);
	EXPECT_EQ(0, memcmp(run->mmio.data, &(uint32_t){ 0x12345678 }, 4));

	vtx_run(vcpu);
	if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR)
		TH_LOG("internal error, suberror %u", run->internal.suberror);
	ASSERT_EXIT(vcpu, KVM_EXIT_MMIO);
	EXPECT_EQ(MMIO_GPA + 0x304, run->mmio.phys_addr);
	EXPECT_EQ(4, run->mmio.len);
	EXPECT_EQ(0, run->mmio.is_write);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(XP_READ_GPA, regs.rip);
	memcpy(run->mmio.data, &v, 4);

	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(XP_READ_GPA + 7, regs.rip);
	EXPECT_EQ(0xabcdef01, regs.rdx);
	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

VTX_TEST_MAIN
