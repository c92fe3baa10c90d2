// SPDX-License-Identifier: GPL-2.0
/*
 * negative: what the emulator must refuse, leaving the CPU state alone.
 * api: the decode/complete protocol (read-modify-write, MOVS through the
 * ops, MMIO to MMIO, failing ops, calls out of turn, RF).
 */
#include <string.h>
#include "hand.h"

struct neg {
	unsigned int mode;
	const char *insn;
	const char *setup;
	int rc;
	const char *what;
};

#define X15 "66 66 66 66 66 66 66 66 66 66 66 66 66 66 66"

static const struct neg negs[] = {
	{ 64, "0f 0b", "", -EINVAL, "ud2" },
	{ 64, "", "", -EINVAL, "no bytes" },
	{ 64, "89", "", -EINVAL, "truncated ModRM" },
	{ 64, "89 44", "", -EINVAL, "truncated SIB" },
	{ 64, "89 44 24", "", -EINVAL, "truncated disp8" },
	{ 64, "89 80 00 00 00", "", -EINVAL, "truncated disp32" },
	{ 64, "89 05 00 00 00", "", -EINVAL, "truncated RIP disp32" },
	{ 64, "c7 00 01 02 03", "", -EINVAL, "truncated imm32" },
	{ 64, "66 c7 00 01", "", -EINVAL, "truncated imm16" },
	{ 64, "80 00", "", -EINVAL, "truncated imm8" },
	{ 64, "48 a1 01 02 03 04 05 06 07", "", -EINVAL, "truncated moffs64" },
	{ 64, "0f", "", -EINVAL, "truncated 0F" },
	{ 64, "66 48", "", -EINVAL, "prefixes only" },
	{ 64, X15, "", -EINVAL, "15 prefixes, no opcode (> 15 bytes)" },
	{ 64, "d9 03", "rbx=0x1000", -EINVAL, "fld m32" },
	{ 64, "dd 03", "rbx=0x1000", -EINVAL, "fld m64" },
	{ 64, "df 2b", "rbx=0x1000", -EINVAL, "fild m64" },
	/* vector moves KVM's emulator does not have either */
	{ 64, "f3 0f 10 03", "rbx=0x1000", -EINVAL, "movss" },
	{ 64, "f2 0f 11 03", "rbx=0x1000", -EINVAL, "movsd" },
	{ 64, "66 0f 6e 03", "rbx=0x1000", -EINVAL, "movd xmm" },
	{ 64, "66 0f d6 03", "rbx=0x1000", -EINVAL, "movq store" },
	{ 64, "0f e7 03", "rbx=0x1000", -EINVAL, "movntq" },
	{ 64, "f2 0f 6f 03", "rbx=0x1000", -EINVAL, "f2 0f 6f" },
	{ 64, "66 f3 0f 6f 03", "rbx=0x1000", -EINVAL, "66 f3 movdqu" },
	{ 64, "f0 66 0f 7f 03", "rbx=0x1000", -EINVAL, "lock movdqa" },
	{ 64, "66 0f 6f c3", "", -EINVAL, "movdqa xmm,xmm" },
	{ 64, "c5 f9 6f 03", "rbx=0x1000", -EINVAL, "vex vmovdqa" },
	{ 64, "62 f1 7d 48 6f 03", "rbx=0x1000", -EINVAL, "evex vmovdqa32" },
	{ 64, "89 c3", "", -EINVAL, "mov ebx,eax: no memory" },
	{ 64, "8b c3", "", -EINVAL, "mov eax,ebx: no memory" },
	{ 64, "01 d8", "", -EINVAL, "add eax,ebx: no memory" },
	{ 64, "c7 c0 01 00 00 00", "", -EINVAL, "mov eax,imm: no memory" },
	{ 64, "04 01", "", -EINVAL, "add al,imm" },
	{ 64, "a8 01", "", -EINVAL, "test al,imm" },
	{ 64, "8d 03", "rbx=0x1000", -EINVAL, "lea: no access" },
	{ 64, "c7 08 00 00 00 00", "rbx=0x1000", -EINVAL, "c7 /1" },
	{ 64, "c6 08 00", "rbx=0x1000", -EINVAL, "c6 /1" },
	{ 64, "f2 0f bc 03", "rbx=0x1000", -EINVAL, "f2 0f bc" },
	{ 64, "f2 f3 0f bd 03", "rbx=0x1000", -EINVAL, "f2 f3 0f bd" },
	{ 64, "66 0f a4 03 11", "rbx=0x1000", -EINVAL, "shld m16 by 17" },
	{ 64, "f0 0f a5 03", "rbx=0x1000", -EINVAL, "lock shld" },
	{ 64, "f0 f7 23", "rbx=0x1000", -EINVAL, "lock mul m32" },
	{ 64, "ff 13", "rbx=0x1000", -EINVAL, "call [rbx]: the fault not on it" },
	{ 64, "ff 33", "rbx=0x1000", -EINVAL, "push [rbx]: the fault not on it" },
	{ 64, "8f 03", "rbx=0x1000", -EINVAL, "pop [rbx]: the fault not on it" },
	/* loads of system segments, segment loads' misfits */
	{ 64, "0f 00 d3", "", -EINVAL, "lldt bx: no memory" },
	{ 64, "0f 00 db", "", -EINVAL, "ltr bx: no memory" },
	{ 32, "f0 0f 00 13", "rbx=0x1000", -EINVAL, "lock lldt" },
	{ 64, "0f 00 23", "rbx=0x1000", -EINVAL, "verr" },
	{ 64, "c4 03", "rbx=0x1000", -EINVAL, "c4: vex, not les" },
	{ 64, "c5 03", "rbx=0x1000", -EINVAL, "c5: vex, not lds" },
	{ 32, "c5 c3", "", -EINVAL, "c5 with a register: vex, not lds" },
	{ 32, "f0 0f b5 03", "rbx=0x1000", -EINVAL, "lock lgs" },
	{ 32, "f0 8e 1b", "rbx=0x1000", -EINVAL, "lock mov ds,m16" },
	{ 64, "8e d8", "", -EINVAL, "mov ds,eax: no memory" },
	{ 64, "8e 0b", "rbx=0x1000", -EFAULT, "mov cs,m16: #UD" },
	{ 32, "8e 33", "rbx=0x1000", -EFAULT, "mov sreg6,m16: #UD" },
	{ 16, "8e 3f", "rbx=0x100", -EFAULT, "mov sreg7,m16: #UD" },
	{ 64, "ff 1b", "rbx=0x1000 mmio=0x2000", -EINVAL,
	  "far call: the fault not on it" },
	{ 64, "ff eb", "", -EINVAL, "far jmp: no memory" },
	{ 32, "f0 ff 2b", "rbx=0x1000", -EINVAL, "lock far jmp" },
	{ 64, "0f 00 c0", "", -EINVAL, "sldt eax: no memory" },
	{ 64, "8c d8", "", -EINVAL, "mov eax,ds: no memory" },
	{ 64, "f0 8c 1b", "rbx=0x1000", -EINVAL, "lock mov m16,ds" },
	{ 64, "82 03 01", "rbx=0x1000", -EINVAL, "82: invalid in 64-bit" },
	{ 64, "f0 d1 23", "rbx=0x1000", -EINVAL, "lock shl" },
	{ 64, "f0 0f ba 23 01", "rbx=0x1000", -EINVAL, "lock bt imm" },
	{ 64, "f0 0f a3 03", "rbx=0x1000", -EINVAL, "lock bt reg" },
	{ 64, "f0 0f 94 03", "rbx=0x1000", -EINVAL, "lock sete" },
	{ 64, "f0 a6", "rcx=1", -EINVAL, "lock cmpsb" },
	{ 64, "0f ba 03 01", "rbx=0x1000", -EINVAL, "0f ba /0" },
	{ 64, "48 0f c7 c3", "", -EINVAL, "cmpxchg16b reg" },
	{ 64, "0f c7 03", "rbx=0x1000", -EINVAL, "0f c7 /0" },
	{ 64, "f2 0f 38 f0 03", "rbx=0x1000", -EINVAL, "crc32, not movbe" },
	{ 64, "0f 38 00 03", "rbx=0x1000", -EINVAL, "pshufb" },
	{ 64, "0f 38", "", -EINVAL, "truncated 0f 38" },
	{ 64, "ff 38", "rbx=0x1000", -EINVAL, "ff /7" },
	{ 64, "fe 13", "rbx=0x1000", -EINVAL, "fe /2" },
	{ 64, "0f b8 03", "rbx=0x1000", -EINVAL, "0f b8 (jmpe)" },
	{ 64, "f2 0f b8 03", "rbx=0x1000", -EINVAL, "f2 0f b8" },
	{ 64, "f3 0f b8 c3", "", -EINVAL, "popcnt ebx: no memory" },
	{ 64, "f0 0f 44 03", "rbx=0x1000", -EINVAL, "lock cmove" },
	{ 64, "f3 a6", "rcx=0", -EINVAL, "repe cmps count 0" },
	{ 64, "f6", "", -EINVAL, "truncated group 3" },
	{ 64, "6c", "", -EINVAL, "insb" },
	{ 64, "6e", "", -EINVAL, "outsb" },
	{ 64, "f0 89 03", "rbx=0x1000", -EINVAL, "lock mov" },
	{ 64, "f0 8b 03", "rbx=0x1000", -EINVAL, "lock mov load" },
	{ 64, "f0 39 03", "rbx=0x1000", -EINVAL, "lock cmp" },
	{ 64, "f0 80 3b 01", "rbx=0x1000", -EINVAL, "lock cmp imm" },
	{ 64, "f0 85 03", "rbx=0x1000", -EINVAL, "lock test" },
	{ 64, "f0 f7 03 01 00 00 00", "rbx=0x1000", -EINVAL, "lock test imm" },
	{ 64, "f0 03 03", "rbx=0x1000", -EINVAL, "lock add to register" },
	{ 64, "f0 0f b6 03", "rbx=0x1000", -EINVAL, "lock movzx" },
	{ 64, "f0 a4", "rcx=1", -EINVAL, "lock movsb" },
	{ 64, "f0 ab", "rcx=1", -EINVAL, "lock stos" },
	{ 64, "64 65 8b 03", "rbx=0x1000", -EINVAL, "fs and gs" },
	{ 64, "2e 3e 8b 03", "rbx=0x1000", -EINVAL, "cs and ds" },
	{ 64, "f3 0f b6 03", "rbx=0x1000", -EINVAL, "f3 0f b6" },
	{ 64, "f2 0f bf 03", "rbx=0x1000", -EINVAL, "f2 0f bf" },
	{ 64, "f0 f3 0f b8 03", "rbx=0x1000", -EINVAL, "lock popcnt" },
	{ 64, "f3 0f b8 03", "rbx=0x1000", -EFAULT, "popcnt, no CPUID bit: #UD" },
	{ 64, "f2 f3 a4", "rcx=1", -EINVAL, "rep and repne" },
	{ 64, "f3 a4", "rcx=0", -EINVAL, "rep count 0" },
	{ 64, "67 f3 a4", "rcx=0x100000000", -EINVAL, "rep ecx 0" },
	{ 64, "a4", "rsi=0x1000 rdi=0x2000 mmio=0x3000", -EINVAL,
	  "movs: fault on neither side" },
	{ 32, "40", "", -EINVAL, "inc eax (no REX in 32-bit)" },
	{ 32, "48 89 03", "rbx=0x1000", -EINVAL, "dec eax" },
	{ 32, "63 03", "rbx=0x1000", -EINVAL, "arpl" },
	{ 32, "62 03", "rbx=0x1000", -EINVAL, "bound" },
	{ 32, "8b c3", "", -EINVAL, "mov eax,ebx" },
	{ 32, "f3 ab", "rcx=0", -EINVAL, "rep count 0" },
	{ 16, "40", "", -EINVAL, "inc ax" },
	{ 16, "63 07", "rbx=0x100", -EINVAL, "arpl" },
	{ 16, "89 07", "rip=0xfffe", -EINVAL, "IP would wrap at 64K" },
	{ 16, "89 07", "rip=0x10000", -EINVAL, "IP beyond 64K" },
	{ 16, "f3 a4", "rcx=0x10000", -EINVAL, "rep CX 0" },
	{ 16, "0f b6 c0", "", -EINVAL, "movzx ax,al" },
	{ 8, "89 03", "", -EINVAL, "bad mode" },
	/*
	 * Group 7 (0F 01): of its memory forms only SMSW and LMSW.  SGDT,
	 * SIDT, LGDT, LIDT on a device are emulation failures in KVM 6.1
	 * too (its em_sgdt/em_lgdt use segmented_write_std/read_std, RAM
	 * only); INVLPG makes no access; the register forms none either.
	 */
	{ 64, "0f 01 03", "rbx=0x1000", -EINVAL, "sgdt" },
	{ 64, "0f 01 0b", "rbx=0x1000", -EINVAL, "sidt" },
	{ 64, "0f 01 13", "rbx=0x1000", -EINVAL, "lgdt" },
	{ 64, "0f 01 1b", "rbx=0x1000", -EINVAL, "lidt" },
	{ 64, "0f 01 2b", "rbx=0x1000", -EINVAL, "0f 01 /5" },
	{ 64, "0f 01 3b", "rbx=0x1000", -EINVAL, "invlpg" },
	{ 32, "0f 01 03", "rbx=0x1000", -EINVAL, "sgdt (32)" },
	{ 32, "0f 01 13", "rbx=0x1000", -EINVAL, "lgdt (32)" },
	{ 16, "0f 01 0f", "rbx=0x100", -EINVAL, "sidt (16)" },
	{ 16, "0f 01 1f", "rbx=0x100", -EINVAL, "lidt (16)" },
	{ 64, "0f 01 e0", "", -EINVAL, "smsw eax: no memory" },
	{ 64, "0f 01 f3", "", -EINVAL, "lmsw bx: no memory" },
	{ 64, "0f 01 c1", "", -EINVAL, "vmcall" },
	{ 64, "0f 01", "", -EINVAL, "truncated group 7" },
	{ 64, "f0 0f 01 23", "rbx=0x1000", -EINVAL, "lock smsw" },
	{ 64, "f0 0f 01 33", "rbx=0x1000", -EINVAL, "lock lmsw" },
	{ 64, "f3 0f 01 23", "rbx=0x1000", -EINVAL, "f3 smsw" },
};

static void state_copy(u64 *dst, const struct vtx_emu *e)
{
	memcpy(dst, e->gpr, sizeof(e->gpr));
	dst[16] = e->rip;
	dst[17] = e->rflags;
}

static void run_negatives(void)
{
	u64 before[18], after[18];
	struct vtx_emu e;
	unsigned int i;
	char why[200];
	int rc;

	class_begin("negative");
	for (i = 0; i < ARRAY_SIZE(negs); i++) {
		const struct neg *n = &negs[i];
		bool ok;

		why[0] = 0;
		ok = hand_setup(&e, n->mode, n->insn, n->setup, why,
				sizeof(why));
		if (ok) {
			state_copy(before, &e);
			rc = vtx_emu_decode(&e);
			state_copy(after, &e);
			ok = rc == n->rc && !memcmp(before, after, sizeof(after));
			snprintf(why, sizeof(why), "decode %d, state %s", rc,
				 memcmp(before, after, sizeof(after)) ?
				 "changed" : "unchanged");
		}
		tap(ok, "negative%u %s (%s)", n->mode, n->what, n->insn);
		if (!ok)
			diag("%s", why);
	}
}

/* RAM ops that fail, or report MMIO, on demand. */
static int fail_read, fail_write;

static int api_read(void *opaque, u64 linear, void *buf, unsigned int len)
{
	if (fail_read)
		return fail_read;
	return hand_ram_ops.read_mem(opaque, linear, buf, len);
}

static int api_write(void *opaque, u64 linear, const void *buf,
		     unsigned int len)
{
	if (fail_write)
		return fail_write;
	return hand_ram_ops.write_mem(opaque, linear, buf, len);
}

/* One XMM/MMX register file, filled with its register number. */
static int api_read_vec(void *opaque, unsigned int file, unsigned int reg,
			void *buf)
{
	(void)opaque;
	memset(buf, 0x10 + reg, file == VTX_EMU_VEC_XMM ? 16 : 8);
	return 0;
}

static u8 api_vec_written[16];

static int api_write_vec(void *opaque, unsigned int file, unsigned int reg,
			 const void *buf)
{
	(void)opaque;
	(void)reg;
	memcpy(api_vec_written, buf, file == VTX_EMU_VEC_XMM ? 16 : 8);
	return 0;
}

static const struct vtx_emu_ops api_ops = {
	.read_mem = api_read,
	.write_mem = api_write,
	.read_vec = api_read_vec,
	.write_vec = api_write_vec,
};

#define CHECK(cond) do {						\
	if (!(cond)) {							\
		diag("line %d: %s", __LINE__, #cond);			\
		return false;						\
	}								\
} while (0)

static bool setup(struct vtx_emu *e, unsigned int mode, const char *insn,
		  const char *state)
{
	char why[200];

	fail_read = 0;
	fail_write = 0;
	if (!hand_setup(e, mode, insn, state, why, sizeof(why))) {
		diag("%s", why);
		return false;
	}
	e->ops = &api_ops;
	return true;
}

/* The first step of a read-modify-write changes no CPU state. */
static bool api_rmw_atomic(void)
{
	struct vtx_emu e;
	u64 before[18], after[18];

	CHECK(setup(&e, 64, "f0 48 01 03", "rbx=0x1000 rax=5 fl=0x8d7"));
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(!e.is_write && e.access_bytes == 8 && e.linear == 0x1000);
	CHECK(vtx_emu_complete(&e, 10) == 1);
	CHECK(e.is_write && e.write_val == 15 && e.linear == 0x1000);
	state_copy(after, &e);
	CHECK(!memcmp(before, after, sizeof(after)));
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.rip == 0x1004 && e.rflags == 0x6);	/* PF */
	CHECK(vtx_emu_complete(&e, 0) == -EINVAL);	/* out of turn */
	return true;
}

/* XCHG: the register is written only once the write is done. */
static bool api_xchg(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "48 87 03", "rbx=0x1000 rax=0x1111"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0x2222) == 1);
	CHECK(e.is_write && e.write_val == 0x1111 && e.gpr[0] == 0x1111);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 0x2222 && e.rip == 0x1003);
	return true;
}

static bool api_before_decode(void)
{
	struct vtx_emu e;

	memset(&e, 0, sizeof(e));
	CHECK(vtx_emu_complete(&e, 0) == -EINVAL);
	CHECK(setup(&e, 64, "0f 0b", ""));
	CHECK(vtx_emu_decode(&e) == -EINVAL);
	CHECK(vtx_emu_complete(&e, 0) == -EINVAL);
	return true;
}

/* MOVS from MMIO to MMIO: the write to the destination is asked for. */
static bool api_movs_mmio_to_mmio(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "a5", "rsi=0x1000 rdi=0x2000 mmio=0x1000"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(!e.is_write && e.linear == 0x1000 && e.access_bytes == 4);
	fail_write = VTX_EMU_OPS_MMIO;
	CHECK(vtx_emu_complete(&e, 0xabcdef12) == 1);
	CHECK(e.is_write && e.linear == 0x2000 && e.write_val == 0xabcdef12);
	CHECK(e.gpr[VTX_EMU_RSI] == 0x1000 && e.rip == 0x1000);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[VTX_EMU_RSI] == 0x1004 && e.gpr[VTX_EMU_RDI] == 0x2004);
	CHECK(e.rip == 0x1001);
	return true;
}

/* Failing ops: -EFAULT, state unchanged. */
static bool api_ops_fail(void)
{
	struct vtx_emu e;
	u64 before[18], after[18];

	CHECK(setup(&e, 64, "f3 a5", "rsi=0x1000 rdi=0x2000 rcx=2 mmio=0x2000"));
	fail_read = -EIO;
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == -EFAULT);
	state_copy(after, &e);
	CHECK(!memcmp(before, after, sizeof(after)));

	CHECK(setup(&e, 64, "f3 a5", "rsi=0x1000 rdi=0x2000 rcx=2 mmio=0x1000"));
	fail_write = -EFAULT;
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT);
	state_copy(after, &e);
	CHECK(!memcmp(before, after, sizeof(after)));

	CHECK(setup(&e, 64, "a5", "rsi=0x1000 rdi=0x2000 mmio=0x2000"));
	fail_read = VTX_EMU_OPS_MMIO;	/* source MMIO but fault on dest */
	CHECK(vtx_emu_decode(&e) == -EINVAL);

	CHECK(setup(&e, 64, "a5", "rsi=0x1000 rdi=0x2000 mmio=0x2000"));
	e.ops = NULL;
	CHECK(vtx_emu_decode(&e) == -EFAULT);
	CHECK(setup(&e, 64, "a5", "rsi=0x1000 rdi=0x2000 mmio=0x1000"));
	e.ops = NULL;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT);
	return true;
}

/* MOVS with the MMIO side as destination reads the source at decode. */
static bool api_movs_dst(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "48 a5", "rsi=0x1000 rdi=0x2000 mmio=0x2000"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(e.is_write && e.linear == 0x2000 && e.access_bytes == 8);
	CHECK(e.write_val == 0x0706050403020100ull);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[VTX_EMU_RSI] == 0x1008 && e.gpr[VTX_EMU_RDI] == 0x2008);
	return true;
}

/*
 * JMP/CALL through memory to a non-canonical target: #GP(0) at the
 * branch (gp_fault), nothing changed, CALL pushes nothing; a canonical
 * target is taken.
 */
static bool api_branch_noncanonical(void)
{
	struct vtx_emu e;
	u64 before[18], after[18];

	CHECK(setup(&e, 64, "ff 23", "rbx=0x1000 mmio=0x1000"));
	CHECK(vtx_emu_decode(&e) == 0);
	state_copy(before, &e);
	CHECK(vtx_emu_complete(&e, 0x0000800000000000ull) == -EFAULT);
	CHECK(e.gp_fault);
	state_copy(after, &e);
	CHECK(!memcmp(before, after, sizeof(after)));

	CHECK(setup(&e, 64, "ff 13", "rbx=0x1000 rsp=0x3000 mmio=0x1000"));
	fail_write = -EIO;	/* a push would fail the test differently */
	CHECK(vtx_emu_decode(&e) == 0);
	state_copy(before, &e);
	CHECK(vtx_emu_complete(&e, 0x1234567800000000ull) == -EFAULT);
	CHECK(e.gp_fault);
	state_copy(after, &e);
	CHECK(!memcmp(before, after, sizeof(after)));

	CHECK(setup(&e, 64, "ff 23", "rbx=0x1000 mmio=0x1000"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0xffff800000001000ull) == 0);
	CHECK(!e.gp_fault && e.rip == 0xffff800000001000ull);
	return true;
}

/*
 * The accesses the processor had not made when the device access exited,
 * in 64-bit code: the other side of MOVS/CMPS and the stack of PUSH/POP m
 * at non-canonical addresses raise #GP(0), #SS(0) in the stack segment,
 * as KVM's __linearize() has them; nothing changed, no access made.  With
 * CR4.LA57 bits 56:0 count; 32-bit code has no such check.
 */
static bool noncanon(unsigned int mode, const char *insn, const char *state,
		     u64 cr4, u64 val, bool at_decode, int want)
{
	struct vtx_emu e;
	u64 before[18], after[18];
	int r;

	if (!setup(&e, mode, insn, state))
		return false;
	e.cr4 |= cr4;
	fail_write = -EIO;	/* a write made anyway fails differently */
	fail_read = -EIO;
	state_copy(before, &e);
	r = vtx_emu_decode(&e);
	if (!at_decode && !r)
		r = vtx_emu_complete(&e, val);
	state_copy(after, &e);
	if (want == 0)
		return r == 0 || (r == -EFAULT && !e.gp_fault && !e.ss_fault);
	CHECK(!memcmp(before, after, sizeof(after)));
	return r == -EFAULT && (want == 13 ? e.gp_fault && !e.ss_fault :
				e.ss_fault && !e.gp_fault);
}

#define NC "0x0000800000000000"
static bool api_noncanonical(void)
{
	CHECK(noncanon(64, "a4", "rsi=0x1000 rdi=" NC " mmio=0x1000", 0,
		       0x55, false, 13));
	CHECK(noncanon(64, "a5", "rsi=" NC " rdi=0x2000 mmio=0x2000", 0,
		       0, true, 13));
	CHECK(noncanon(64, "36 a5", "rsi=" NC " rdi=0x2000 mmio=0x2000", 0,
		       0, true, 12));
	CHECK(noncanon(64, "a6", "rsi=0x1000 rdi=" NC " mmio=0x1000", 0,
		       0x55, false, 13));
	CHECK(noncanon(64, "a7", "rsi=" NC " rdi=0x2000 mmio=0x2000", 0,
		       0, true, 13));
	CHECK(noncanon(64, "ff 33", "rbx=0x1000 rsp=0x0000800000000010 "
		       "mmio=0x1000", 0, 5, false, 12));
	CHECK(noncanon(64, "ff 13", "rbx=0x1000 rsp=0x0000800000000010 "
		       "mmio=0x1000", 0, 0x1000, false, 12));
	CHECK(noncanon(64, "8f 03", "rbx=0x1000 rsp=" NC " mmio=0x1000", 0,
		       0, true, 12));
	/* canonical with 5-level paging: the write is made (and fails) */
	CHECK(noncanon(64, "a4", "rsi=0x1000 rdi=" NC " mmio=0x1000",
		       VTX_EMU_CR4_LA57, 0x55, false, 0));
	/* 32-bit code: no canonical check */
	CHECK(noncanon(32, "a4", "rsi=0x1000 rdi=0x80000000 mmio=0x1000", 0,
		       0x55, false, 0));
	return true;
}

/*
 * The processor's checks before a vector access: #UD (CR0.EM; CR4.OSFXSR
 * clear, SSE only), #NM (CR0.TS), #GP(0) for a misaligned aligned form or
 * CMPXCHG16B; nothing changed by a fault.
 */
static bool vec_fault(const char *insn, const char *state, u64 cr0, u64 cr4,
		      int want)
{
	struct vtx_emu e;
	u64 before[18], after[18];
	int r;

	if (!setup(&e, 64, insn, state))
		return false;
	e.cr0 = cr0;
	e.cr4 = cr4;
	state_copy(before, &e);
	r = vtx_emu_decode(&e);
	state_copy(after, &e);
	if (memcmp(before, after, sizeof(after)))
		return false;
	switch (want) {
	case 0:
		return !r && !e.gp_fault && !e.ud_fault && !e.nm_fault;
	case 6:
		return r == -EFAULT && e.ud_fault && !e.gp_fault;
	case 7:
		return r == -EFAULT && e.nm_fault && !e.gp_fault;
	default:
		return r == -EFAULT && e.gp_fault && !e.ud_fault;
	}
}

static bool api_vector_faults(void)
{
	const u64 fx = VTX_EMU_CR4_OSFXSR, em = VTX_EMU_CR0_EM;
	const u64 ts = VTX_EMU_CR0_TS;

	CHECK(vec_fault("66 0f 6f 03", "rbx=0x1000", 0, fx, 0));
	CHECK(vec_fault("66 0f 6f 03", "rbx=0x1008", 0, fx, 13));
	CHECK(vec_fault("0f 29 03", "rbx=0x1004", 0, fx, 13));
	CHECK(vec_fault("0f 2b 03", "rbx=0x1001", 0, fx, 13));
	CHECK(vec_fault("66 0f e7 03", "rbx=0x100c", 0, fx, 13));
	CHECK(vec_fault("f3 0f 6f 03", "rbx=0x1008", 0, fx, 0));
	CHECK(vec_fault("0f 11 03", "rbx=0x1003", 0, fx, 0));
	CHECK(vec_fault("f3 0f 6f 03", "rbx=0x1000", 0, 0, 6));
	CHECK(vec_fault("f3 0f 6f 03", "rbx=0x1000", em, fx, 6));
	CHECK(vec_fault("f3 0f 6f 03", "rbx=0x1000", ts, fx, 7));
	/* #UD and #NM come before the alignment check */
	CHECK(vec_fault("66 0f 6f 03", "rbx=0x1008", ts, fx, 7));
	CHECK(vec_fault("0f 6f 03", "rbx=0x1000", 0, 0, 0));	/* MMX */
	CHECK(vec_fault("0f 6f 03", "rbx=0x1000", em, fx, 6));
	CHECK(vec_fault("0f 7f 03", "rbx=0x1000", ts, fx, 7));
	CHECK(vec_fault("48 0f c7 0b", "rbx=0x1008", 0, 0, 13));
	CHECK(vec_fault("48 0f c7 0b", "rbx=0x1000", ts | em, 0, 0));
	return true;
}

/* CMPXCHG16B: a 16-byte read, then a 16-byte write, ZF and RDX:RAX. */
static bool api_cmpxchg16b(void)
{
	static const char regs[] =
		"rbx=0x1000 rax=0x11 rdx=0x22 rcx=0x44 mmio=0x1000";
	u64 v[2];
	struct vtx_emu e;

	CHECK(setup(&e, 64, "f0 48 0f c7 0b", regs));
	e.gpr[VTX_EMU_RBX] = 0x1000;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(e.access_bytes == 16 && !e.is_write && e.linear == 0x1000);
	v[0] = 0x11;
	v[1] = 0x22;
	memcpy(e.wide, v, sizeof(v));
	CHECK(vtx_emu_complete(&e, 0) == 1);
	CHECK(e.is_write && e.access_bytes == 16);
	memcpy(v, e.wide, sizeof(v));
	CHECK(v[0] == 0x1000 && v[1] == 0x44);
	CHECK(e.gpr[VTX_EMU_RAX] == 0x11);	/* not before completion */
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.rflags & VTX_EMU_FL_ZF);

	CHECK(setup(&e, 64, "48 0f c7 0b", regs));
	CHECK(vtx_emu_decode(&e) == 0);
	v[0] = 0x11;
	v[1] = 0x23;
	memcpy(e.wide, v, sizeof(v));
	CHECK(vtx_emu_complete(&e, 0) == 1);
	memcpy(v, e.wide, sizeof(v));
	CHECK(v[0] == 0x11 && v[1] == 0x23);	/* written back */
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(!(e.rflags & VTX_EMU_FL_ZF));
	CHECK(e.gpr[VTX_EMU_RAX] == 0x11 && e.gpr[VTX_EMU_RDX] == 0x23);
	return true;
}

/* RF is cleared when the instruction completes, kept while REP goes on. */
static bool api_rf(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "89 03", "rbx=0x1000 fl=0x10202"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.rflags == 0x202);
	CHECK(setup(&e, 64, "f3 ab", "rdi=0x1000 rcx=2 fl=0x10202"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.rflags == 0x10202 && e.rip == 0x1000 && e.gpr[1] == 1);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.rflags == 0x202 && e.rip == 0x1002 && e.gpr[1] == 0);
	CHECK(e.gpr[VTX_EMU_RDI] == 0x1008);
	return true;
}

/*
 * POPCNT, TZCNT, LZCNT by the vCPU's CPUID: POPCNT is #UD without its
 * bit (nothing accessed, nothing changed); without BMI1 (LZCNT) F3 0F BC
 * (BD) is BSF (BSR), whose source of 0 leaves the destination alone.
 */
static bool api_bit_counts(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "f3 0f b8 03", "rbx=0x1000 rax=7"));
	CHECK(vtx_emu_decode(&e) == -EFAULT && e.ud_fault);
	CHECK(!e.access_bytes && e.gpr[0] == 7 && e.rip == 0x1000);
	CHECK(setup(&e, 64, "f3 0f b8 03", "rbx=0x1000 fl=0x8d7"));
	e.features = VTX_EMU_FEAT_POPCNT;
	CHECK(vtx_emu_decode(&e) == 0 && e.access_bytes == 4 && !e.is_write);
	CHECK(vtx_emu_complete(&e, 0xf0f0f0f1) == 0);
	CHECK(e.gpr[0] == 17 && e.rflags == 0x2 && e.rip == 0x1004);
	CHECK(setup(&e, 64, "66 f3 0f b8 03", "rbx=0x1000 rax=-1"));
	e.features = VTX_EMU_FEAT_POPCNT;
	CHECK(vtx_emu_decode(&e) == 0 && e.access_bytes == 2);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 0xffffffffffff0000ull && e.rflags == 0x42);

	/* TZCNT of 0: the operand size, CF; OF SF AF PF as they were */
	CHECK(setup(&e, 64, "f3 48 0f bc 03", "rbx=0x1000 fl=0x8d6 rax=5"));
	e.features = VTX_EMU_FEAT_BMI1;
	CHECK(vtx_emu_decode(&e) == 0 && e.access_bytes == 8);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 64 && e.rflags == 0x897);
	CHECK(setup(&e, 64, "f3 0f bc 03", "rbx=0x1000 rax=5"));
	e.features = VTX_EMU_FEAT_BMI1;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == 0);
	CHECK(e.gpr[0] == 0 && e.rflags == 0x42);
	/* without BMI1: BSF, a source of 0 leaves RAX */
	CHECK(setup(&e, 64, "f3 0f bc 03", "rbx=0x1000 rax=5"));
	e.features = VTX_EMU_FEAT_POPCNT | VTX_EMU_FEAT_LZCNT;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 5 && (e.rflags & 0x41) == 0x40);
	/* BSF of 0: ZF; the undefined flags left as they were, as Bochs */
	CHECK(setup(&e, 64, "0f bc 03", "rbx=0x1000 rax=5 fl=0x895"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 5 && e.rflags == 0x8d5);

	/* LZCNT: 16-bit of 0x0100 is 7; without LZCNT, BSR gives 8 */
	CHECK(setup(&e, 32, "66 f3 0f bd 03", "rbx=0x1000 rax=0x12345678"));
	e.features = VTX_EMU_FEAT_LZCNT;
	CHECK(vtx_emu_decode(&e) == 0 && e.access_bytes == 2);
	CHECK(vtx_emu_complete(&e, 0x100) == 0);
	CHECK(e.gpr[0] == 0x12340007 && e.rflags == 0x2 && e.rip == 0x1005);
	CHECK(setup(&e, 32, "66 f3 0f bd 03", "rbx=0x1000 rax=0x12345678"));
	e.features = VTX_EMU_FEAT_BMI1;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0x100) == 0);
	CHECK(e.gpr[0] == 0x12340008 && !(e.rflags & 0x41));
	/* LZCNT of 0 in 16-bit code: 16, CF */
	CHECK(setup(&e, 16, "f3 0f bd 07", "rbx=0x100 rax=0x12345678"));
	e.features = VTX_EMU_FEAT_LZCNT;
	CHECK(vtx_emu_decode(&e) == 0 && e.access_bytes == 2);
	CHECK(vtx_emu_complete(&e, 0) == 0);
	CHECK(e.gpr[0] == 0x12340010 && e.rflags == 0x3);
	return true;
}

/*
 * The segment registers api_seg_ops gives: flat 4 GiB data by default,
 * selector 8 * (n + 1) | n & 3; LDTR and TR after them.
 */
static struct vtx_emu_segdesc segs[VTX_EMU_TR + 1];

static int seg_get(void *opaque, unsigned int seg, struct vtx_emu_segdesc *s)
{
	(void)opaque;
	*s = segs[seg];
	return 0;
}

static const struct vtx_emu_ops api_seg_ops = {
	.read_mem = api_read,
	.write_mem = api_write,
	.get_seg = seg_get,
};

/* @insn in @mode with the segments as segs[] (reset first to flat). */
static bool seg_setup(struct vtx_emu *e, unsigned int mode, bool pe,
		      const char *insn, const char *state)
{
	unsigned int i;

	for (i = 0; i <= VTX_EMU_TR; i++)
		segs[i] = (struct vtx_emu_segdesc){
			.selector = 8 * (i + 1) | (i & 3), .limit = 0xffffffff,
			.type = 3, .db = true };
	hand_ram_reset();
	if (!setup(e, mode, insn, state))
		return false;
	e->ops = &api_seg_ops;
	e->cr0 = pe ? VTX_EMU_CR0_PE : 0;
	return true;
}

/*
 * Outside 64-bit mode, the accesses the processor did not make (the other
 * side of MOVS/CMPS, the stack) get its segment checks: limit (expand-up
 * and expand-down), a null selector, a write to read-only data, a read of
 * execute-only code: #GP(0), #SS(0) in SS; nothing written, no register
 * changed.  Real mode: the limit only.  64-bit mode: none.
 */
static bool api_segments(void)
{
	struct vtx_emu e;

	/* MOVSB from the device to ES:EDI past ES's limit */
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x1000 mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xfff;
	CHECK(vtx_emu_decode(&e) == 0 && !e.is_write && e.linear == 0x100);
	CHECK(vtx_emu_complete(&e, 0x5a) == -EFAULT);
	CHECK(e.gp_fault && !e.ss_fault && e.gpr[VTX_EMU_RDI] == 0x1000);
	CHECK(e.rip == 0x1000);
	/* ... the last byte inside it: done */
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0xfff mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xfff;
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 0x5a) == 0);
	CHECK(e.gpr[VTX_EMU_RDI] == 0x1000);
	/* a dword whose last byte is past the limit */
	CHECK(seg_setup(&e, 32, true, "a5", "rsi=0x100 rdi=0xffd mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xfff;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	/* expand-down ES, limit 0x1fff, D/B: 0x2000 and up only */
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x1fff mmio=0x100"));
	segs[VTX_EMU_ES] = (struct vtx_emu_segdesc){ .limit = 0x1fff,
		.type = 3 | VTX_EMU_SEG_EXPDOWN, .db = true };
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES] = (struct vtx_emu_segdesc){ .limit = 0x1fff,
		.type = 3 | VTX_EMU_SEG_EXPDOWN, .db = true };
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 1) == 0);
	/* read-only ES: MOVS faults, CMPS reads */
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES].type = 1;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 32, true, "a6", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES].type = 1;
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 0) == 0);
	/* a null ES */
	CHECK(seg_setup(&e, 32, true, "a6", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES].unusable = true;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0) == -EFAULT && e.gp_fault);
	/* MOVS to the device from an execute-only DS; readable code: fine */
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x2000 mmio=0x2000"));
	segs[VTX_EMU_DS].type = VTX_EMU_SEG_CODE;
	CHECK(vtx_emu_decode(&e) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 32, true, "a4", "rsi=0x100 rdi=0x2000 mmio=0x2000"));
	segs[VTX_EMU_DS].type = VTX_EMU_SEG_CODE | VTX_EMU_SEG_RW;
	CHECK(vtx_emu_decode(&e) == 0 && e.is_write && e.write_val == 0);
	/* ... from SS: past its limit, #SS(0) */
	CHECK(seg_setup(&e, 32, true, "36 a4",
			"rsi=0x100 rdi=0x2000 mmio=0x2000"));
	segs[VTX_EMU_SS].limit = 0xff;
	CHECK(vtx_emu_decode(&e) == -EFAULT && e.ss_fault && !e.gp_fault);
	/* PUSH m onto an expand-down stack at its bottom: #SS(0) */
	CHECK(seg_setup(&e, 32, true, "ff 33",
			"rbx=0x100 rsp=0x1002 mmio=0x100"));
	segs[VTX_EMU_SS] = (struct vtx_emu_segdesc){ .limit = 0xfff,
		.type = 3 | VTX_EMU_SEG_EXPDOWN, .db = true };
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 7) == -EFAULT && e.ss_fault);
	CHECK(e.gpr[VTX_EMU_RSP] == 0x1002);
	/* POP m from past SS's limit: #SS(0) before the device write */
	CHECK(seg_setup(&e, 32, true, "8f 03", "rbx=0x100 rsp=0x2000 mmio=0x100"));
	segs[VTX_EMU_SS].limit = 0x1fff;
	CHECK(vtx_emu_decode(&e) == -EFAULT && e.ss_fault && !e.is_write);
	/*
	 * real mode: the limit, and the rights KVM's __linearize() checks
	 * there (a read-only data segment, expand-down; not a write to code)
	 */
	CHECK(seg_setup(&e, 16, false, "a5", "rsi=0x100 rdi=0xffff mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xffff;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 16, false, "a4", "rsi=0x100 rdi=0xffff mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xffff;
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 1) == 0);
	CHECK(seg_setup(&e, 16, false, "a4", "rsi=0x100 rdi=0xffff mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0xffff;
	segs[VTX_EMU_ES].type = 1;
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 16, false, "a4", "rsi=0x100 rdi=0xff mmio=0x100"));
	segs[VTX_EMU_ES] = (struct vtx_emu_segdesc){ .limit = 0xfff,
		.type = 3 | VTX_EMU_SEG_EXPDOWN };
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 1) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 16, false, "a4", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES].type = VTX_EMU_SEG_CODE | VTX_EMU_SEG_RW;
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 1) == 0);
	/* 64-bit mode: no segment checks */
	CHECK(seg_setup(&e, 64, true, "a4", "rsi=0x100 rdi=0x2000 mmio=0x100"));
	segs[VTX_EMU_ES].limit = 0;
	segs[VTX_EMU_ES].unusable = true;
	CHECK(vtx_emu_decode(&e) == 0 && vtx_emu_complete(&e, 1) == 0);
	return true;
}

/*
 * @interp (vmx/rmemu.c): @e decoded and run to completion, its accesses
 * in the hand RAM.  Return: the last call's.
 */
static int interp_run(struct vtx_emu *e)
{
	u64 val;
	int rc;

	e->interp = true;
	rc = vtx_emu_decode(e);
	if (rc)
		return rc;
	do {
		val = 0;
		if (e->access_bytes && e->is_write)
			api_write(NULL, e->linear, &e->write_val,
				  e->access_bytes);
		else if (e->access_bytes)
			api_read(NULL, e->linear, &val, e->access_bytes);
		rc = vtx_emu_complete(e, val);
	} while (rc == 1);
	return rc;
}

/* @insn in real mode (flat segments), interpreted: 0 and @state after. */
static bool interp_case(const char *insn, const char *state,
			unsigned int len, u64 rax, u64 rbx, u64 rcx, u64 fl)
{
	struct vtx_emu e;

	CHECK(seg_setup(&e, 16, false, insn, state));
	CHECK(interp_run(&e) == 0);
	if (e.gpr[VTX_EMU_RAX] != rax || e.gpr[VTX_EMU_RBX] != rbx ||
	    e.gpr[VTX_EMU_RCX] != rcx || e.rflags != fl ||
	    e.rip != 0x1000 + len) {
		diag("%s: rax %#llx rbx %#llx rcx %#llx fl %#llx rip %#llx",
		     insn, (unsigned long long)e.gpr[VTX_EMU_RAX],
		     (unsigned long long)e.gpr[VTX_EMU_RBX],
		     (unsigned long long)e.gpr[VTX_EMU_RCX],
		     (unsigned long long)e.rflags, (unsigned long long)e.rip);
		return false;
	}
	return true;
}

/*
 * The interpreter's forms (@interp): register operands, the accumulator
 * and opcode-register forms, LEA, XLAT, REP with a count of 0; the memory
 * operand's segment checks; #UD for LEA and LOCK on a register; refused
 * without @interp.
 */
static bool api_interp(void)
{
	struct vtx_emu e;

	/* ADD AX,BX (01 D8): the register form, no access */
	CHECK(interp_case("01 d8", "rax=1 rbx=2", 2, 3, 2, 0, 0x6));
	/* ... refused without @interp */
	CHECK(seg_setup(&e, 16, false, "01 d8", "rax=1 rbx=2"));
	CHECK(vtx_emu_decode(&e) == -EINVAL);
	/* BTS AX,5; BT AX,BX; SHLD AX,BX,4; RCL AX,1 */
	CHECK(interp_case("0f ba e8 05", "", 4, 0x20, 0, 0, 0x2));
	CHECK(interp_case("0f a3 d8", "rax=0x10 rbx=0x14", 3, 0x10, 0x14, 0,
			  0x3));
	CHECK(interp_case("0f a4 d8 04", "rax=0x1234 rbx=0xabcd", 4, 0x234a,
			  0xabcd, 0, 0x803));
	CHECK(interp_case("d1 d0", "rax=0x8000", 2, 0, 0, 0, 0x803));
	/* CMPXCHG CX,BX: equal, CX = BX; XADD AX,BX */
	CHECK(interp_case("0f b1 d9", "rax=5 rcx=5 rbx=9", 3, 5, 9, 9, 0x46));
	CHECK(interp_case("0f c1 d8", "rax=1 rbx=2", 3, 3, 1, 0, 0x6));
	/* XADD AX,AX: the sum (the destination written last) */
	CHECK(interp_case("0f c1 c0", "rax=3", 3, 6, 0, 0, 0x6));
	/* BSF AX,BX; LEA AX,[BX+SI+10h]; MOV AX,1234h; INC AX; XCHG AX,BX */
	CHECK(interp_case("0f bc c3", "rbx=0x10", 3, 4, 0x10, 0, 0x2));
	CHECK(interp_case("8d 40 10", "rbx=0x100 rsi=0x20", 3, 0x130, 0x100,
			  0, 0x2));
	CHECK(interp_case("b8 34 12", "rax=-1", 3, 0xffffffffffff1234ull, 0,
			  0, 0x2));
	CHECK(interp_case("b4 56", "rax=0x1234", 2, 0x5634, 0, 0, 0x2));
	CHECK(interp_case("40", "rax=0xffff fl=0x3", 1, 0, 0, 0, 0x57));
	CHECK(interp_case("93", "rax=1 rbx=2", 1, 2, 1, 0, 0x2));
	/* CMP AL,5 (3C 05); MOV CX,AX as 8B C8 */
	CHECK(interp_case("3c 05", "rax=5", 2, 5, 0, 0, 0x46));
	CHECK(interp_case("8b c8", "rax=7", 2, 7, 0, 7, 0x2));
	/* XLAT: AL from DS:[BX + AL] (the hand RAM holds its offsets) */
	CHECK(interp_case("d7", "rbx=0x100 rax=5", 1, 0x05, 0x100, 0, 0x2));
	/* DAA after 79h + 35h; AAM 10 of 63; AAD 10 of 6, 3; AAM 0: #DE */
	CHECK(interp_case("27", "rax=0xae", 1, 0x14, 0, 0, 0x17));
	CHECK(interp_case("d4 0a", "rax=0x3f", 2, 0x603, 0, 0, 0x6));
	CHECK(interp_case("d5 0a", "rax=0x603", 2, 0x3f, 0, 0, 0x6));
	CHECK(seg_setup(&e, 16, false, "d4 00", "rax=0x3f"));
	CHECK(interp_run(&e) == -EFAULT && e.de_fault);
	CHECK(e.gpr[VTX_EMU_RAX] == 0x3f);
	/* REP STOSB with CX 0: done, no access */
	CHECK(seg_setup(&e, 16, false, "f3 aa", "rdi=0x100"));
	CHECK(interp_run(&e) == 0 && e.rip == 0x1002 && !e.access_bytes);
	/* MOV DS,AX: the segment load asked of the caller */
	CHECK(seg_setup(&e, 16, false, "8e d8", "rax=0x1234"));
	CHECK(interp_run(&e) == 0 && e.seg_load);
	CHECK(e.load_seg == VTX_EMU_DS && e.load_sel == 0x1234);
	/* MOV AX,CS (8C C8) to a 32-bit register: the operand size */
	CHECK(seg_setup(&e, 16, false, "66 8c c8", "rax=-1"));
	CHECK(interp_run(&e) == 0 && e.gpr[VTX_EMU_RAX] == 0x11);
	/* LEA with a register, LOCK on one: #UD */
	CHECK(seg_setup(&e, 16, false, "8d c0", ""));
	CHECK(interp_run(&e) == -EFAULT && e.ud_fault);
	CHECK(seg_setup(&e, 16, false, "f0 01 d8", ""));
	CHECK(interp_run(&e) == -EFAULT && e.ud_fault);
	/* the memory operand past DS's limit: #GP(0); SS's: #SS(0) */
	CHECK(seg_setup(&e, 16, false, "8b 07", "rbx=0xff"));
	segs[VTX_EMU_DS].limit = 0xff;
	CHECK(interp_run(&e) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 16, false, "8b 46 00", "rbp=0xff"));
	segs[VTX_EMU_SS].limit = 0xff;
	CHECK(interp_run(&e) == -EFAULT && e.ss_fault);
	/* a write to a read-only DS: #GP(0); a read: done */
	CHECK(seg_setup(&e, 16, false, "89 07", "rbx=0x10"));
	segs[VTX_EMU_DS].type = 1;
	CHECK(interp_run(&e) == -EFAULT && e.gp_fault);
	CHECK(seg_setup(&e, 16, false, "8b 07", "rbx=0x10"));
	segs[VTX_EMU_DS].type = 1;
	CHECK(interp_run(&e) == 0);
	/* JMP AX beyond CS's limit: #GP(0); within: IP = AX */
	CHECK(seg_setup(&e, 16, false, "ff e0", "rax=0x2000"));
	segs[VTX_EMU_CS].limit = 0xfff;
	CHECK(interp_run(&e) == -EFAULT && e.gp_fault && e.rip == 0x1000);
	CHECK(seg_setup(&e, 16, false, "ff e0", "rax=0x800"));
	segs[VTX_EMU_CS].limit = 0xfff;
	CHECK(interp_run(&e) == 0 && e.rip == 0x800);
	/* 64-bit mode: refused */
	CHECK(seg_setup(&e, 64, false, "01 d8", ""));
	CHECK(interp_run(&e) == -EINVAL);
	return true;
}

/* 15 bytes is the limit, and more available bytes are not looked at. */
static bool api_length(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "66 66 66 66 66 66 66 66 66 66 66 66 66 89 03",
		    "rbx=0x1000 rax=0x12345"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(e.len == 15 && e.access_bytes == 2 && e.write_val == 0x2345);
	e.insn_len_avail = 200;
	CHECK(vtx_emu_decode(&e) == 0 && e.len == 15);
	CHECK(setup(&e, 64, "64 64 64 89 03", "rbx=0x10 fs=0x5000"));
	CHECK(vtx_emu_decode(&e) == 0 && e.linear == 0x5010);
	return true;
}

/* 64-bit mode: ES/CS/SS/DS bases ignored, FS/GS used; 64-bit moffs. */
static bool api_segments64(void)
{
	struct vtx_emu e;

	CHECK(setup(&e, 64, "3e 8b 45 08",
		    "rbp=0x1000 ss=0x7000 ds=0x8000 fs=0x9000"));
	CHECK(vtx_emu_decode(&e) == 0 && e.linear == 0x1008);
	CHECK(setup(&e, 64, "65 48 a1 00 10 00 00 00 00 00 80",
		    "gs=0x0000000000002000"));
	CHECK(vtx_emu_decode(&e) == 0 && e.len == 11);
	CHECK(e.linear == 0x8000000000003000ull && e.access_bytes == 8);
	return true;
}

/*
 * The operand size SLDT/STR to a register get (vmx/exit.c asks
 * vtx_emu_operand_bytes()): 66h flips the mode's default, REX.W gives 8
 * but only right before the opcode, other prefixes change nothing.
 */
static bool api_operand_bytes(void)
{
	static const u8 sldt[] = { 0x0f, 0x00, 0xc0 };		/* sldt eax */
	static const u8 o16[] = { 0x66, 0x0f, 0x00, 0xc0 };
	static const u8 rexw[] = { 0x48, 0x0f, 0x00, 0xc0 };
	static const u8 rexw_66[] = { 0x48, 0x66, 0x0f, 0x00, 0xc0 };
	static const u8 seg_rep[] = { 0x2e, 0x3e, 0xf3, 0x0f, 0x00, 0xc8 };
	static const u8 only_prefixes[] = { 0x66, 0x66 };

	CHECK(vtx_emu_operand_bytes(sldt, sizeof(sldt), 16) == 2);
	CHECK(vtx_emu_operand_bytes(sldt, sizeof(sldt), 32) == 4);
	CHECK(vtx_emu_operand_bytes(sldt, sizeof(sldt), 64) == 4);
	CHECK(vtx_emu_operand_bytes(o16, sizeof(o16), 16) == 4);
	CHECK(vtx_emu_operand_bytes(o16, sizeof(o16), 32) == 2);
	CHECK(vtx_emu_operand_bytes(o16, sizeof(o16), 64) == 2);
	CHECK(vtx_emu_operand_bytes(rexw, sizeof(rexw), 64) == 8);
	/* outside 64-bit code 48h is DEC EAX, not a prefix */
	CHECK(vtx_emu_operand_bytes(rexw, sizeof(rexw), 32) == 4);
	/* a REX that does not precede the opcode is ignored */
	CHECK(vtx_emu_operand_bytes(rexw_66, sizeof(rexw_66), 64) == 2);
	CHECK(vtx_emu_operand_bytes(seg_rep, sizeof(seg_rep), 32) == 4);
	CHECK(vtx_emu_operand_bytes(only_prefixes, sizeof(only_prefixes),
				    32) < 0);
	return true;
}

/*
 * SMSW m16 and LMSW m16 (SDM vol. 2B; KVM's em_smsw, em_lmsw): SMSW
 * stores CR0's low 16 bits, 2 bytes whatever the operand size, #GP(0)
 * outside CPL 0 under CR4.UMIP; LMSW reads 2 bytes and loads CR0's PE,
 * MP, EM and TS from bits 3:0 -- PE can be set, never cleared -- and
 * raises #GP(0) outside CPL 0.  A fault is raised before any access,
 * nothing changed.
 */
static bool msw(unsigned int mode, const char *insn, const char *state,
		u64 cr0, u64 cr4, u8 cpl, u64 data, u64 want_cr0, int want)
{
	struct vtx_emu e;
	u64 before[18], after[18];
	int r;

	if (!setup(&e, mode, insn, state))
		return false;
	e.cr0 = cr0;
	e.cr4 = cr4;
	e.cpl = cpl;
	state_copy(before, &e);
	r = vtx_emu_decode(&e);
	if (want) {
		state_copy(after, &e);
		CHECK(!memcmp(before, after, sizeof(after)));
		CHECK(r == -EFAULT && e.gp_fault && !e.cr0_write);
		return true;
	}
	CHECK(r == 0 && e.access_bytes == 2 && e.linear == 0x1000);
	if (e.is_write) {
		/* SMSW: CR0's low word, nothing loaded */
		CHECK(e.write_val == (cr0 & 0xffff));
		CHECK(vtx_emu_complete(&e, 0) == 0 && !e.cr0_write);
	} else {
		CHECK(vtx_emu_complete(&e, data) == 0);
		CHECK(e.cr0_write && e.new_cr0 == want_cr0);
	}
	CHECK(e.rip == before[16] + e.len && e.rflags == before[17]);
	CHECK(!memcmp(e.gpr, before, sizeof(e.gpr)));
	return true;
}

#define PG_CR0		0x80050033ull	/* PE MP ET NE WP AM PG */
#define RB		"rbx=0x1000"
static bool api_msw(void)
{
	/* SMSW m16: 66, REX.W, 67 change nothing of the 2-byte store */
	CHECK(msw(64, "0f 01 23", RB, PG_CR0 | 8, 0, 0, 0, 0, 0));
	CHECK(msw(64, "66 0f 01 23", RB, PG_CR0, 0, 0, 0, 0, 0));
	CHECK(msw(64, "48 0f 01 23", RB, PG_CR0, 0, 0, 0, 0, 0));
	CHECK(msw(32, "0f 01 23", RB, 0x6001003b, 0, 0, 0, 0, 0));
	CHECK(msw(16, "0f 01 27", RB, 0x60000010, 0, 0, 0, 0, 0));
	CHECK(msw(16, "67 0f 01 23", RB, 0x60000010, 0, 0, 0, 0, 0));
	/* at CPL 3: allowed without UMIP, #GP(0) with it; CPL 0 always */
	CHECK(msw(64, "0f 01 23", RB, PG_CR0, 0, 3, 0, 0, 0));
	CHECK(msw(64, "0f 01 23", RB, PG_CR0, VTX_EMU_CR4_UMIP, 3, 0, 0,
		  13));
	CHECK(msw(32, "0f 01 23", RB, PG_CR0, VTX_EMU_CR4_UMIP, 1, 0, 0,
		  13));
	CHECK(msw(64, "0f 01 23", RB, PG_CR0, VTX_EMU_CR4_UMIP, 0, 0, 0,
		  0));
	/* LMSW m16: MP, EM, TS loaded; PE kept */
	CHECK(msw(64, "0f 01 33", RB, PG_CR0, 0, 0, 0xfff0, 0x80050031,
		  0));
	CHECK(msw(64, "0f 01 33", RB, PG_CR0 | 8, 0, 0, 0xc, 0x8005003d,
		  0));
	CHECK(msw(64, "48 0f 01 33", RB, PG_CR0, 0, 0, 0xffff0004,
		  0x80050035, 0));
	CHECK(msw(32, "66 0f 01 33", RB, 0x60000011, 0, 0, 0xffff,
		  0x6000001f, 0));
	/* real mode: PE set by LMSW; a 0 does not clear it in 32-bit */
	CHECK(msw(16, "0f 01 37", RB, 0x60000010, 0, 0, 0x0003, 0x60000013,
		  0));
	CHECK(msw(16, "0f 01 37", RB, 0x60000010, 0, 0, 0x0000, 0x60000010,
		  0));
	CHECK(msw(32, "0f 01 33", RB, 0x00000011, 0, 0, 0x0000, 0x00000011,
		  0));
	/* outside CPL 0: #GP(0), UMIP or not */
	CHECK(msw(64, "0f 01 33", RB, PG_CR0, 0, 3, 1, 0, 13));
	CHECK(msw(32, "0f 01 33", RB, 0x11, 0, 2, 1, 0, 13));
	CHECK(msw(16, "0f 01 37", RB, 0x20011, 0, 3, 1, 0, 13));
	return true;
}

/*
 * MOV m16,Sreg, SLDT m16, STR m16 (as KVM's em_store_sreg, em_sldt,
 * em_str; the SDM for REX.W): the selector, 2 bytes whatever the operand
 * size.  #UD for MOV's ModRM.reg 6, 7 and for SLDT/STR outside protected
 * mode; #GP(0) for SLDT/STR outside CPL 0 under CR4.UMIP; without the
 * selector (no get_seg) refused.  Nothing changed by a fault.
 */
static bool stsel(unsigned int mode, bool pe, const char *insn,
		  const char *state, u64 cr4, u8 cpl, u16 want, int fault)
{
	struct vtx_emu e;
	u64 before[18], after[18];
	int r;

	CHECK(seg_setup(&e, mode, pe, insn, state));
	e.cr4 = cr4;
	e.cpl = cpl;
	state_copy(before, &e);
	r = vtx_emu_decode(&e);
	if (fault) {
		state_copy(after, &e);
		CHECK(!memcmp(before, after, sizeof(after)));
		CHECK(r == -EFAULT && (fault == 6 ? e.ud_fault && !e.gp_fault :
				       e.gp_fault && !e.ud_fault));
		return true;
	}
	CHECK(r == 0 && e.is_write && e.access_bytes == 2);
	CHECK(e.linear == 0x1000 && e.write_val == want);
	CHECK(vtx_emu_complete(&e, 0) == 0 && e.rip == before[16] + e.len);
	CHECK(!memcmp(e.gpr, before, sizeof(e.gpr)) && e.rflags == before[17]);
	return true;
}

#define SEL(n)		(8 * ((n) + 1) | ((n) & 3))
static bool api_store_selectors(void)
{
	struct vtx_emu e;
	unsigned int s;

	for (s = 0; s < VTX_EMU_NR_SEGS; s++) {
		char insn[16];

		snprintf(insn, sizeof(insn), "8c %02x", 0x03 | s << 3);
		CHECK(stsel(64, true, insn, RB, 0, 0, SEL(s), 0));
		snprintf(insn, sizeof(insn), "48 8c %02x", 0x03 | s << 3);
		CHECK(stsel(64, true, insn, RB, 0, 3, SEL(s), 0));
	}
	CHECK(stsel(32, true, "66 8c 1b", RB, 0, 3, SEL(VTX_EMU_DS), 0));
	CHECK(stsel(16, false, "8c 07", RB, 0, 0, SEL(VTX_EMU_ES), 0));
	CHECK(stsel(16, false, "66 8c 17", RB, 0, 0, SEL(VTX_EMU_SS), 0));
	CHECK(stsel(64, true, "8c 33", RB, 0, 0, 0, 6));
	CHECK(stsel(32, true, "8c 3b", RB, 0, 0, 0, 6));
	/* SLDT, STR */
	CHECK(stsel(64, true, "0f 00 03", RB, 0, 0, SEL(VTX_EMU_LDTR), 0));
	CHECK(stsel(64, true, "48 0f 00 0b", RB, 0, 0, SEL(VTX_EMU_TR), 0));
	CHECK(stsel(32, true, "0f 00 0b", RB, 0, 3, SEL(VTX_EMU_TR), 0));
	CHECK(stsel(32, true, "0f 00 03", RB, VTX_EMU_CR4_UMIP, 0,
		    SEL(VTX_EMU_LDTR), 0));
	CHECK(stsel(32, true, "0f 00 03", RB, VTX_EMU_CR4_UMIP, 3, 0, 13));
	CHECK(stsel(64, true, "0f 00 0b", RB, VTX_EMU_CR4_UMIP, 1, 0, 13));
	CHECK(stsel(16, false, "0f 00 07", RB, 0, 0, 0, 6));
	CHECK(stsel(16, true, "0f 00 0f", RB " fl=0x20002", 0, 3, 0, 6));
	/* no selector to be had: refused */
	CHECK(setup(&e, 64, "8c 1b", RB));
	CHECK(vtx_emu_decode(&e) == -EINVAL);
	return true;
}

/* An m16:64 far pointer's 10 bytes: not in @val but in e->wide (8 + 2). */
#define FAR64_BYTES	10

/*
 * Complete a far pointer's read: @val as read (4 or 6 bytes), or for
 * m16:64 the offset @val and the selector @sel in e->wide.
 */
static int complete_farptr(struct vtx_emu *e, u64 val, unsigned int bytes,
			   u16 sel)
{
	if (bytes != FAR64_BYTES)
		return vtx_emu_complete(e, val);
	memcpy(e->wide, &val, sizeof(val));
	memcpy(e->wide + sizeof(val), &sel, sizeof(sel));
	return vtx_emu_complete(e, 0);
}

/*
 * MOV Sreg,m16 and LDS/LES/LSS/LFS/LGS (KVM's em_mov_sreg_rm, em_lseg):
 * one read of the selector (2 bytes), or of the far pointer (4, 6 or 10
 * bytes: the offset at the operand size, then the selector); at
 * completion the segment to load and its selector for the caller, the
 * offset in the destination register, RIP past the instruction; the
 * MOV-SS shadow for MOV SS only.
 */
static bool ldsel(unsigned int mode, const char *insn, u64 val,
		  unsigned int bytes, unsigned int seg, u16 sel, int reg,
		  u64 want_reg, bool mov_ss)
{
	struct vtx_emu e;
	u64 before[18];
	unsigned int i;

	CHECK(setup(&e, mode, insn, RB " rdx=0xfedcba9876543210"));
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(!e.is_write && e.access_bytes == bytes && e.linear == 0x1000);
	CHECK(!e.seg_load);
	CHECK(complete_farptr(&e, val, bytes, sel) == 0);
	CHECK(e.seg_load && e.load_seg == seg && e.load_sel == sel);
	CHECK(e.mov_ss == mov_ss);
	CHECK(e.rip == before[16] + e.len && e.rflags == before[17]);
	for (i = 0; i < VTX_EMU_NR_GPRS; i++)
		CHECK(e.gpr[i] == ((int)i == reg ? want_reg : before[i]));
	return true;
}

static bool api_load_selectors(void)
{
	const u64 dx = 0xfedcba9876543210ull;
	unsigned int s;

	for (s = 0; s < VTX_EMU_NR_SEGS; s++) {
		char insn[16];

		if (s == VTX_EMU_CS)
			continue;
		snprintf(insn, sizeof(insn), "8e %02x", 0x03 | s << 3);
		CHECK(ldsel(64, insn, 0x1b, 2, s, 0x1b, -1, 0,
			    s == VTX_EMU_SS));
		/* REX.W, 66: still a 16-bit selector */
		snprintf(insn, sizeof(insn), "48 8e %02x", 0x03 | s << 3);
		CHECK(ldsel(64, insn, 0x23, 2, s, 0x23, -1, 0,
			    s == VTX_EMU_SS));
		snprintf(insn, sizeof(insn), "66 8e %02x", 0x07 | s << 3);
		CHECK(ldsel(16, insn, 0x1234, 2, s, 0x1234, -1, 0,
			    s == VTX_EMU_SS));
	}
	/* LFS edx,m16:32; 32-bit offsets zero-extend in 64-bit code */
	CHECK(ldsel(64, "0f b4 13", 0x002b89abcdefull, 6, VTX_EMU_FS, 0x2b,
		    VTX_EMU_RDX, 0x89abcdef, false));
	CHECK(ldsel(64, "66 0f b5 13", 0x00331234, 4, VTX_EMU_GS, 0x33,
		    VTX_EMU_RDX, (dx & ~0xffffull) | 0x1234, false));
	CHECK(ldsel(64, "0f b2 13", 0x001076543210ull, 6, VTX_EMU_SS, 0x10,
		    VTX_EMU_RDX, 0x76543210, false));
	CHECK(ldsel(32, "c5 13", 0x001876543210ull, 6, VTX_EMU_DS, 0x18,
		    VTX_EMU_RDX, 0x76543210, false));
	CHECK(ldsel(32, "66 c4 13", 0x00184321, 4, VTX_EMU_ES, 0x18,
		    VTX_EMU_RDX, (dx & ~0xffffull) | 0x4321, false));
	CHECK(ldsel(16, "c4 17", 0x90004321, 4, VTX_EMU_ES, 0x9000,
		    VTX_EMU_RDX, (dx & ~0xffffull) | 0x4321, false));
	CHECK(ldsel(16, "66 0f b2 17", 0x000089abcdefull, 6, VTX_EMU_SS, 0,
		    VTX_EMU_RDX, 0x89abcdef, false));
	/* m16:64 (REX.W): a 64-bit offset, then the selector */
	CHECK(ldsel(64, "48 0f b2 13", 0x8000000012345678ull, FAR64_BYTES,
		    VTX_EMU_SS, 0x10, VTX_EMU_RDX, 0x8000000012345678ull,
		    false));
	CHECK(ldsel(64, "48 0f b4 13", 0x1122334455667788ull, FAR64_BYTES,
		    VTX_EMU_FS, 0x2b, VTX_EMU_RDX, 0x1122334455667788ull,
		    false));
	return true;
}

/*
 * LLDT m16 and LTR m16 (KVM's em_lldt, em_ltr: Prot | Priv): #UD in real
 * and virtual-8086 mode, #GP(0) outside CPL 0, both with nothing read;
 * else one 2-byte read whatever the operand size, and at completion
 * VTX_EMU_LDTR or VTX_EMU_TR to load with the selector (the descriptor
 * checks are the caller's, x86/segment.c), RIP past the instruction.
 */
static bool ldsys(unsigned int mode, bool pe, const char *insn,
		  const char *state, u8 cpl, unsigned int seg, int fault)
{
	struct vtx_emu e;
	u64 before[18], after[18];
	int r;

	CHECK(seg_setup(&e, mode, pe, insn, state));
	e.cpl = cpl;
	state_copy(before, &e);
	r = vtx_emu_decode(&e);
	if (fault) {
		state_copy(after, &e);
		CHECK(!memcmp(before, after, sizeof(after)));
		CHECK(r == -EFAULT && (fault == 6 ? e.ud_fault && !e.gp_fault :
				       e.gp_fault && !e.ud_fault));
		return true;
	}
	CHECK(r == 0 && !e.is_write && e.access_bytes == 2);
	CHECK(e.linear == 0x1000 && !e.seg_load);
	CHECK(vtx_emu_complete(&e, 0xabcd1234) == 0);
	CHECK(e.seg_load && e.load_seg == seg && e.load_sel == 0x1234);
	CHECK(!e.mov_ss && e.rip == before[16] + e.len);
	CHECK(!memcmp(e.gpr, before, sizeof(e.gpr)) && e.rflags == before[17]);
	return true;
}

static bool api_load_system_selectors(void)
{
	CHECK(ldsys(64, true, "0f 00 13", RB, 0, VTX_EMU_LDTR, 0));
	CHECK(ldsys(64, true, "0f 00 1b", RB, 0, VTX_EMU_TR, 0));
	CHECK(ldsys(64, true, "48 0f 00 13", RB, 0, VTX_EMU_LDTR, 0));
	CHECK(ldsys(64, true, "66 0f 00 1b", RB, 0, VTX_EMU_TR, 0));
	CHECK(ldsys(32, true, "0f 00 13", RB, 0, VTX_EMU_LDTR, 0));
	CHECK(ldsys(32, true, "66 0f 00 1b", RB, 0, VTX_EMU_TR, 0));
	CHECK(ldsys(16, true, "0f 00 17", RB, 0, VTX_EMU_LDTR, 0));
	CHECK(ldsys(16, true, "66 0f 00 1f", RB, 0, VTX_EMU_TR, 0));
	/* #UD: real mode, virtual-8086 mode (even at CPL 3: #UD first) */
	CHECK(ldsys(16, false, "0f 00 17", RB, 0, 0, 6));
	CHECK(ldsys(16, false, "0f 00 1f", RB, 0, 0, 6));
	CHECK(ldsys(16, true, "0f 00 17", RB " fl=0x20002", 3, 0, 6));
	CHECK(ldsys(16, true, "0f 00 1f", RB " fl=0x20002", 3, 0, 6));
	/* #GP(0) outside CPL 0 */
	CHECK(ldsys(64, true, "0f 00 13", RB, 3, 0, 13));
	CHECK(ldsys(32, true, "0f 00 1b", RB, 1, 0, 13));
	CHECK(ldsys(16, true, "0f 00 1f", RB, 2, 0, 13));
	return true;
}

/*
 * Far JMP through memory (KVM's em_jmp_far): one read of the far pointer
 * (the offset at the operand size, then the selector); at completion the
 * selector for the caller's CS load, RIP the offset, RF clear, nothing
 * else changed.
 */
static bool jmpfar(unsigned int mode, const char *insn, u64 val,
		   unsigned int bytes, u16 sel, u64 rip)
{
	struct vtx_emu e;
	u64 before[18];

	CHECK(setup(&e, mode, insn, RB " fl=0x10002"));
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(!e.is_write && e.access_bytes == bytes && e.linear == 0x1000);
	CHECK(complete_farptr(&e, val, bytes, sel) == 0);
	CHECK(e.far_jmp && !e.seg_load && e.load_sel == sel);
	CHECK(e.rip == rip && e.rflags == 0x2);
	CHECK(!memcmp(e.gpr, before, sizeof(e.gpr)));
	return true;
}

/*
 * Far CALL through memory (KVM's em_call_far): the far pointer read, then
 * the caller's CS checks, then the push of CS above the return offset,
 * each of the operand size, below RSP on the RAM stack; RSP moved at
 * completion, RIP the offset.  A stack fault is #SS(0), nothing written.
 */
static bool callfar(unsigned int mode, const char *insn, const char *state,
		    u64 val, unsigned int bytes, u16 sel, u64 rip, u64 rsp)
{
	struct vtx_emu e;
	unsigned int n = bytes - 2;	/* the operand size */
	u8 got[2 * sizeof(u64)] = { 0 }, want[2 * sizeof(u64)] = { 0 };
	u64 before[18], ret, cs;

	CHECK(seg_setup(&e, mode, mode != 16, insn, state));
	state_copy(before, &e);
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(!e.is_write && e.access_bytes == bytes && e.linear == 0x1000);
	CHECK(vtx_emu_far_call_push(&e) == -EINVAL);	/* out of turn */
	CHECK(complete_farptr(&e, val, bytes, sel) == 0);
	CHECK(e.far_jmp && e.far_call && e.load_sel == sel);
	CHECK(e.rip == rip && e.gpr[VTX_EMU_RSP] == rsp);
	/* the return offset, then CS zero-extended, each n bytes */
	ret = before[16] + e.len;
	cs = segs[VTX_EMU_CS].selector;
	memcpy(want, &ret, n);
	memcpy(want + n, &cs, n);
	CHECK(!memcmp(e.far_push, want, sizeof(want)));
	CHECK(vtx_emu_far_call_push(&e) == 0);
	CHECK(hand_ram_ops.read_mem(NULL, rsp, got, 2 * n) == 0);
	CHECK(!memcmp(got, want, sizeof(want)));
	return true;
}

static bool api_far_call(void)
{
	struct vtx_emu e;

	CHECK(callfar(64, "ff 1b", RB " rsp=0x8000 mmio=0x1000",
		      0x001b89abcdefull, 6, 0x1b, 0x89abcdef, 0x7ff8));
	CHECK(callfar(32, "ff 1b", RB " rsp=0x8000 mmio=0x1000",
		      0x000876543210ull, 6, 0x08, 0x76543210, 0x7ff8));
	CHECK(callfar(32, "66 ff 1b", RB " rsp=0x8000 mmio=0x1000",
		      0x90004321, 4, 0x9000, 0x4321, 0x7ffc));
	CHECK(callfar(16, "ff 1f", RB " rsp=0x8000 mmio=0x1000",
		      0xf000fff0, 4, 0xf000, 0xfff0, 0x7ffc));
	/* m16:64 (REX.W): a 64-bit offset; CS pushed as 8 bytes */
	CHECK(callfar(64, "48 ff 1b", RB " rsp=0x8000 mmio=0x1000",
		      0xffff800012345678ull, FAR64_BYTES, 0x1b,
		      0xffff800012345678ull, 0x7ff0));
	/* a non-canonical stack: #SS(0) at the push, nothing written */
	CHECK(seg_setup(&e, 64, true, "ff 1b",
			RB " rsp=0x800000000008 mmio=0x1000"));
	CHECK(vtx_emu_decode(&e) == 0);
	CHECK(vtx_emu_complete(&e, 0x001b00001000ull) == 0);
	CHECK(vtx_emu_far_call_push(&e) == -EFAULT && e.ss_fault);
	return true;
}

static bool api_far_jmp(void)
{
	CHECK(jmpfar(64, "ff 2b", 0x001b89abcdefull, 6, 0x1b, 0x89abcdef));
	CHECK(jmpfar(64, "66 ff 2b", 0x00231234, 4, 0x23, 0x1234));
	CHECK(jmpfar(32, "ff 2b", 0x000876543210ull, 6, 0x08, 0x76543210));
	CHECK(jmpfar(32, "66 ff 2b", 0x90004321, 4, 0x9000, 0x4321));
	CHECK(jmpfar(16, "ff 2f", 0xf000fff0, 4, 0xf000, 0xfff0));
	CHECK(jmpfar(16, "66 ff 2f", 0x0010000f0000ull, 6, 0x10, 0xf0000));
	/* m16:64 (REX.W) */
	CHECK(jmpfar(64, "48 ff 2b", 0x0000123456789abcull, FAR64_BYTES, 0x1b,
		     0x0000123456789abcull));
	return true;
}

void test_negative(void)
{
	static const struct {
		const char *name;
		bool (*fn)(void);
	} api[] = {
		{ "read-modify-write keeps state until done", api_rmw_atomic },
		{ "xchg", api_xchg },
		{ "complete out of turn", api_before_decode },
		{ "movs from MMIO to MMIO", api_movs_mmio_to_mmio },
		{ "movs with the destination MMIO", api_movs_dst },
		{ "failing ops", api_ops_fail },
		{ "RF", api_rf },
		{ "branch to a non-canonical target", api_branch_noncanonical },
		{ "non-canonical MOVS/CMPS side, stack: #GP(0), #SS(0)",
		  api_noncanonical },
		{ "15-byte limit", api_length },
		{ "64-bit segments and moffs", api_segments64 },
		{ "operand size from the prefixes", api_operand_bytes },
		{ "vector moves: #UD, #NM, #GP(0)", api_vector_faults },
		{ "cmpxchg16b", api_cmpxchg16b },
		{ "popcnt, tzcnt, lzcnt by CPUID", api_bit_counts },
		{ "segment limits and rights outside 64-bit mode",
		  api_segments },
		{ "smsw m16, lmsw m16: CR0, CPL, UMIP", api_msw },
		{ "mov m16,sreg, sldt, str: selectors", api_store_selectors },
		{ "mov sreg,m16, lds/les/lss/lfs/lgs: selectors",
		  api_load_selectors },
		{ "lldt m16, ltr m16: #UD, #GP(0), the selector",
		  api_load_system_selectors },
		{ "far jmp m16:16, m16:32: the selector, RIP", api_far_jmp },
		{ "far call m16:16, m16:32: the push, RSP, RIP", api_far_call },
		{ "the interpreter's forms, checks and faults", api_interp },
	};
	unsigned int i;

	run_negatives();
	class_begin("api");
	for (i = 0; i < ARRAY_SIZE(api); i++)
		tap(api[i].fn(), "api %s", api[i].name);
}
