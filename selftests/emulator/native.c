// SPDX-License-Identifier: GPL-2.0
/*
 * Native comparison: each generated case runs on the CPU (a backend of
 * gen64.c or legacy.c) against the scratch buffer, and through the emulator
 * against a copy of it, which stands for the MMIO region.  Length, first
 * access (size, direction, linear address), then GPRs, RFLAGS, RIP and
 * memory must be the same.  REP string instructions go through the
 * emulator once per element, RIP staying put until the count runs out.
 */
#include <cpuid.h>
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include "native.h"

#ifndef VARIANTS
#define VARIANTS	20	/* random cases of each template and mode */
#endif

const u8 seg_prefix[VTX_EMU_NR_SEGS] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

struct vecstate vec_cpu;
/* The emulator's vector registers (vtx_emu_ops.read_vec/write_vec). */
static struct vecstate vec_emu;

static u8 emu_mem[SCRATCH_SIZE];
/*
 * Flags the SDM leaves undefined are compared only on an Intel CPU, whose
 * values emulate.c reproduces: AF after AND/OR/XOR/TEST (cleared) and after
 * a shift, OF after a shift or rotate by a count other than 1.  Other
 * vendors' CPUs set them differently.
 */
static bool intel_flags;
/* VTX_EMU_FEAT_* of this CPU: the emulator decodes as the CPU runs. */
static u8 host_features;
/* CR4.UMIP is on here: SMSW at CPL 3 is Linux's umip.c's (smsw Mw) */
static bool host_umip;
static unsigned int umip_refused;

/* Linux's CR0 (PE MP ET NE WP AM PG), and what its umip.c stores */
#define LINUX_CR0	0x80050033u

struct tmpl tmpls[256];
unsigned int ntmpl;

static struct tmpl *add(const char *name, u8 op0, int op1, u32 flags,
			int regfix, u8 src, u8 acc, char str)
{
	struct tmpl *t = &tmpls[ntmpl++];

	snprintf(t->name, sizeof(t->name), "%s", name);
	t->op[0] = op0;
	t->op[1] = op1 < 0 ? 0 : op1;
	t->oplen = op1 < 0 ? 1 : 2;
	t->flags = flags;
	t->regfix = regfix;
	t->src = src;
	t->acc = acc;
	t->str = str;
	return t;
}

/* The SSE and MMX moves of KVM 6.1's emulator (issue 20). */
static void build_templates_vec(void)
{
	static const struct {
		const char *name;
		u8 mp, op;
		u16 flags;
		u8 acc;
	} v[] = {
		{ "movups X,M", 0, 0x10, TF_XMM, A_R },
		{ "movups M,X", 0, 0x11, TF_XMM, A_W },
		{ "movupd X,M", 0x66, 0x10, TF_XMM, A_R },
		{ "movupd M,X", 0x66, 0x11, TF_XMM, A_W },
		{ "movaps X,M", 0, 0x28, TF_XMM | TF_ALIGN16, A_R },
		{ "movaps M,X", 0, 0x29, TF_XMM | TF_ALIGN16, A_W },
		{ "movapd X,M", 0x66, 0x28, TF_XMM | TF_ALIGN16, A_R },
		{ "movapd M,X", 0x66, 0x29, TF_XMM | TF_ALIGN16, A_W },
		{ "movntps M,X", 0, 0x2b, TF_XMM | TF_ALIGN16, A_W },
		{ "movntpd M,X", 0x66, 0x2b, TF_XMM | TF_ALIGN16, A_W },
		{ "movq P,M", 0, 0x6f, TF_MMX, A_R },
		{ "movq M,P", 0, 0x7f, TF_MMX, A_W },
		{ "movdqa X,M", 0x66, 0x6f, TF_XMM | TF_ALIGN16, A_R },
		{ "movdqa M,X", 0x66, 0x7f, TF_XMM | TF_ALIGN16, A_W },
		{ "movdqu X,M", 0xf3, 0x6f, TF_XMM, A_R },
		{ "movdqu M,X", 0xf3, 0x7f, TF_XMM, A_W },
		{ "movntdq M,X", 0x66, 0xe7, TF_XMM | TF_ALIGN16, A_W },
	};
	struct tmpl *t;
	unsigned int i;

	for (i = 0; i < ARRAY_SIZE(v); i++) {
		t = add(v[i].name, 0x0f, v[i].op, TF_MODRM | v[i].flags, -1,
			0, v[i].acc, 0);
		t->mp = v[i].mp;
	}
}

/* MUL, IMUL, DIV, IDIV, the IMUL forms with a register, CMOVcc. */
static void build_templates_muldiv(void)
{
	static const char *const md[4] = { "mul", "imul", "div", "idiv" };
	static const char *const cc[16] = {
		"o", "no", "b", "ae", "e", "ne", "be", "a",
		"s", "ns", "p", "np", "l", "ge", "le", "g"
	};
	char n[24];
	int i;

	for (i = 0; i < 4; i++) {
		u32 f = TF_MODRM | (i < 2 ? TF_MULF : TF_DIVF);

		snprintf(n, sizeof(n), "%s Eb", md[i]);
		add(n, 0xf6, -1, f | TF_BYTE, 4 + i, 0, A_R, 0);
		snprintf(n, sizeof(n), "%s Ev", md[i]);
		add(n, 0xf7, -1, f, 4 + i, 0, A_R, 0);
	}
	add("imul Gv,Ev", 0x0f, 0xaf, TF_MODRM | TF_MULF, -1, 0, A_R, 0);
	add("imul Gv,Ev,Iz", 0x69, -1, TF_MODRM | TF_MULF | TF_IMMV, -1, 0,
	    A_R, 0);
	add("imul Gv,Ev,Ib", 0x6b, -1, TF_MODRM | TF_MULF | TF_IMM8, -1, 0,
	    A_R, 0);
	for (i = 0; i < 16; i++) {
		snprintf(n, sizeof(n), "cmov%s Gv,Ev", cc[i]);
		add(n, 0x0f, 0x40 + i, TF_MODRM, -1, 0, A_R, 0);
	}
	add("shld Ev,Gv,Ib", 0x0f, 0xa4, TF_MODRM | TF_SHXD | TF_IMM8, -1, 0,
	    A_RMW, 0);
	add("shld Ev,Gv,CL", 0x0f, 0xa5, TF_MODRM | TF_SHXD, -1, 0, A_RMW, 0);
	add("shrd Ev,Gv,Ib", 0x0f, 0xac, TF_MODRM | TF_SHXD | TF_IMM8, -1, 0,
	    A_RMW, 0);
	add("shrd Ev,Gv,CL", 0x0f, 0xad, TF_MODRM | TF_SHXD, -1, 0, A_RMW, 0);
	add("bsf Gv,Ev", 0x0f, 0xbc, TF_MODRM | TF_BSX, -1, 0, A_R, 0);
	add("bsr Gv,Ev", 0x0f, 0xbd, TF_MODRM | TF_BSX, -1, 0, A_R, 0);
	add("popcnt Gv,Ev", 0x0f, 0xb8, TF_MODRM | TF_CNT, -1, 0, A_R,
	    0)->mp = 0xf3;
	add("tzcnt Gv,Ev", 0x0f, 0xbc, TF_MODRM | TF_CNT | TF_CNTF, -1, 0,
	    A_R, 0)->mp = 0xf3;
	add("lzcnt Gv,Ev", 0x0f, 0xbd, TF_MODRM | TF_CNT | TF_CNTF, -1, 0,
	    A_R, 0)->mp = 0xf3;
}

/*
 * DIV/IDIV: mostly a divisor whose quotient fits (else nearly every case
 * would be #DE), now and then 0 or a random one (#DE, mostly).
 */
static void pick_divisor(const struct gen *g, bool sign, u8 *p)
{
	unsigned int n = g->access, bits = 16 * n;
	u64 mask = n == 8 ? ~0ull : (1ull << (8 * n)) - 1, d = 0, h, lim;
	unsigned __int128 dv, mag;
	__int128 sdv;

	switch (rnd_below(8)) {
	case 0:
		memcpy(p, &d, n);
		return;
	case 1:
		return;
	}
	if (n == 1)
		dv = g->gpr[VTX_EMU_RAX] & 0xffff;
	else if (n == 8)
		dv = (unsigned __int128)g->gpr[VTX_EMU_RDX] << 64 |
		     g->gpr[VTX_EMU_RAX];
	else
		dv = (unsigned __int128)((g->gpr[VTX_EMU_RDX] & mask) <<
					 (8 * n) | (g->gpr[VTX_EMU_RAX] & mask));
	if (!sign) {
		h = (u64)(dv >> (8 * n));
		if (h == mask)
			return;
		lim = mask - h < 1000 ? mask - h : 1000;
		d = h + 1 + rnd_below(lim);
	} else {
		sdv = bits == 128 ? (__int128)dv :
		      (__int128)(dv << (128 - bits)) >> (128 - bits);
		mag = sdv < 0 ? -(unsigned __int128)sdv : (unsigned __int128)sdv;
		mag = (mag >> (8 * n - 1)) + 1;	/* |d| that makes it fit */
		lim = (mask >> 1) + 0;		/* largest positive divisor */
		if (mag > lim)
			return;
		d = (u64)mag + rnd_below(lim - (u64)mag < 1000 ?
					 lim - (u64)mag + 1 : 1000);
		if (rnd() & 1)
			d = -d;
	}
	memcpy(p, &d, n);
}

/* The instruction classes added for issue 20. */
static void build_templates_more(void)
{
	static const char *const sh[8] = {
		"rol", "ror", "rcl", "rcr", "shl", "shr", "sal", "sar"
	};
	static const char *const cc[16] = {
		"o", "no", "b", "ae", "e", "ne", "be", "a",
		"s", "ns", "p", "np", "l", "ge", "le", "g"
	};
	static const char *const bt[4] = { "bt", "bts", "btr", "btc" };
	const u16 L = TF_MODRM | TF_LOCK;
	struct tmpl *t;
	char n[24];
	int i;

	add("inc Eb", 0xfe, -1, L | TF_BYTE, 0, 0, A_RMW, 0);
	add("dec Eb", 0xfe, -1, L | TF_BYTE, 1, 0, A_RMW, 0);
	add("inc Ev", 0xff, -1, L, 0, 0, A_RMW, 0);
	add("dec Ev", 0xff, -1, L, 1, 0, A_RMW, 0);
	add("not Eb", 0xf6, -1, L | TF_BYTE, 2, 0, A_RMW, 0);
	add("neg Eb", 0xf6, -1, L | TF_BYTE, 3, 0, A_RMW, 0);
	add("not Ev", 0xf7, -1, L, 2, 0, A_RMW, 0);
	add("neg Ev", 0xf7, -1, L, 3, 0, A_RMW, 0);
	for (i = 0; i < 8; i++) {
		/* /4-/7 shift (AF undefined), /0-/3 rotate (AF kept) */
		u32 sf = TF_MODRM | (i >= 4 ? TF_SHIFTAF : 0);
		u32 cf = sf | TF_COUNTOF;

		snprintf(n, sizeof(n), "%s Eb,Ib", sh[i]);
		add(n, 0xc0, -1, cf | TF_BYTE | TF_IMM8, i, 0, A_RMW, 0);
		snprintf(n, sizeof(n), "%s Ev,Ib", sh[i]);
		add(n, 0xc1, -1, cf | TF_IMM8, i, 0, A_RMW, 0);
		snprintf(n, sizeof(n), "%s Eb,1", sh[i]);
		add(n, 0xd0, -1, sf | TF_BYTE, i, 0, A_RMW, 0);
		snprintf(n, sizeof(n), "%s Ev,1", sh[i]);
		add(n, 0xd1, -1, sf, i, 0, A_RMW, 0);
		snprintf(n, sizeof(n), "%s Eb,CL", sh[i]);
		add(n, 0xd2, -1, cf | TF_BYTE, i, 0, A_RMW, 0);
		snprintf(n, sizeof(n), "%s Ev,CL", sh[i]);
		add(n, 0xd3, -1, cf, i, 0, A_RMW, 0);
	}
	for (i = 0; i < 16; i++) {
		snprintf(n, sizeof(n), "set%s Eb", cc[i]);
		add(n, 0x0f, 0x90 + i, TF_MODRM | TF_BYTE, -1, 0, A_W, 0);
	}
	for (i = 0; i < 4; i++) {
		u16 lk = i ? TF_LOCK : 0;
		u8 acc = i ? A_RMW : A_R;

		snprintf(n, sizeof(n), "%s Ev,Ib", bt[i]);
		add(n, 0x0f, 0xba, TF_MODRM | TF_IMM8 | lk, 4 + i, 0, acc, 0);
		snprintf(n, sizeof(n), "%s Ev,Gv", bt[i]);
		add(n, 0x0f, 0xa3 + 8 * i, TF_MODRM | TF_BITREG | lk, -1, 0,
		    acc, 0);
	}
	add("xadd Eb,Gb", 0x0f, 0xc0, L | TF_BYTE, -1, 0, A_RMW, 0);
	add("xadd Ev,Gv", 0x0f, 0xc1, L, -1, 0, A_RMW, 0);
	add("cmpxchg Eb,Gb", 0x0f, 0xb0, L | TF_BYTE | TF_CMPX, -1, 0,
	    A_RMW, 0);
	add("cmpxchg Ev,Gv", 0x0f, 0xb1, L | TF_CMPX, -1, 0, A_RMW, 0);
	add("cmpxchg8b Mq", 0x0f, 0xc7, L | TF_CMPX | TF_M64, 1, 0, A_RMW,
	    0);
	t = add("movbe Gv,Mv", 0x0f, 0x38, TF_MODRM, -1, 0, A_R, 0);
	t->op[2] = 0xf0;
	t->oplen = 3;
	t = add("movbe Mv,Gv", 0x0f, 0x38, TF_MODRM, -1, 0, A_W, 0);
	t->op[2] = 0xf1;
	t->oplen = 3;
	add("push Ev", 0xff, -1, TF_MODRM | TF_STACK, 6, 0, A_R, 0);
	add("pop Ev", 0x8f, -1, TF_MODRM | TF_STACK, 0, 0, A_W, 0);
	add("call Ev", 0xff, -1, TF_MODRM | TF_STACK | TF_BRANCH, 2, 0, A_R,
	    0);
	add("jmp Ev", 0xff, -1, TF_MODRM | TF_STACK | TF_BRANCH, 4, 0, A_R,
	    0);
	add("cmpxchg16b Mdq", 0x0f, 0xc7,
	    L | TF_CMPX | TF_M128 | TF_ALIGN16, 1, 0, A_RMW, 0);
	/*
	 * SMSW m16 at CPL 3: CR0's low 16 bits, 2 bytes with any operand
	 * size.  Under CR4.UMIP (this host's) the processor raises #GP and
	 * Linux's umip.c stores that for it (its CR0_STATE, 0x80050033).
	 */
	add("smsw Mw", 0x0f, 0x01, TF_MODRM | TF_M16, 4, 0, A_W, 0);
	/* MOV m16,Sreg: 2 bytes whatever the operand size (REX.W too) */
	for (i = 0; i < VTX_EMU_NR_SEGS; i++) {
		static const char *const sn = "escsssdsfsgs";

		snprintf(n, sizeof(n), "mov Mw,%.2s", sn + 2 * i);
		add(n, 0x8c, -1, TF_MODRM | TF_M16 | TF_SEL, i, 0, A_W, 0);
	}
	build_templates_vec();
	build_templates_muldiv();
	add("cmpsb", 0xa6, -1, TF_BYTE, -1, 0, A_R, 'C');
	add("cmps", 0xa7, -1, 0, -1, 0, A_R, 'C');
	add("scasb", 0xae, -1, TF_BYTE, -1, 0, A_R, 'A');
	add("scas", 0xaf, -1, 0, -1, 0, A_R, 'A');
}

void build_templates(void)
{
	static const char *const alu[8] = {
		"add", "or", "adc", "sbb", "and", "sub", "xor", "cmp"
	};
	char n[24];
	int a;

	for (a = 0; a < 8; a++) {
		u8 lg = (a == 1 || a == 4 || a == 6) ? TF_LOGIC : 0;
		u8 lk = a == 7 ? 0 : TF_LOCK;
		u8 acc = a == 7 ? A_R : A_RMW;

		snprintf(n, sizeof(n), "%s Eb,Gb", alu[a]);
		add(n, a * 8, -1, TF_MODRM | TF_BYTE | lk | lg, -1, 0, acc, 0);
		snprintf(n, sizeof(n), "%s Ev,Gv", alu[a]);
		add(n, a * 8 + 1, -1, TF_MODRM | lk | lg, -1, 0, acc, 0);
		snprintf(n, sizeof(n), "%s Gb,Eb", alu[a]);
		add(n, a * 8 + 2, -1, TF_MODRM | TF_BYTE | lg, -1, 0, A_R, 0);
		snprintf(n, sizeof(n), "%s Gv,Ev", alu[a]);
		add(n, a * 8 + 3, -1, TF_MODRM | lg, -1, 0, A_R, 0);
		snprintf(n, sizeof(n), "%s Eb,Ib", alu[a]);
		add(n, 0x80, -1, TF_MODRM | TF_BYTE | TF_IMM8 | lk | lg, a, 0,
		    acc, 0);
		/* 82H: the same as 80H, outside 64-bit code */
		snprintf(n, sizeof(n), "%s Eb,Ib (82)", alu[a]);
		add(n, 0x82, -1, TF_MODRM | TF_BYTE | TF_IMM8 | lk | lg, a, 0,
		    acc, 0);
		snprintf(n, sizeof(n), "%s Ev,Iz", alu[a]);
		add(n, 0x81, -1, TF_MODRM | TF_IMMV | lk | lg, a, 0, acc, 0);
		snprintf(n, sizeof(n), "%s Ev,Ib", alu[a]);
		add(n, 0x83, -1, TF_MODRM | TF_IMM8 | lk | lg, a, 0, acc, 0);
	}
	add("test Eb,Gb", 0x84, -1, TF_MODRM | TF_BYTE | TF_LOGIC, -1, 0,
	    A_R, 0);
	add("test Ev,Gv", 0x85, -1, TF_MODRM | TF_LOGIC, -1, 0, A_R, 0);
	add("test Eb,Ib", 0xf6, -1, TF_MODRM | TF_BYTE | TF_IMM8 | TF_LOGIC,
	    0, 0, A_R, 0);
	add("test Ev,Iz", 0xf7, -1, TF_MODRM | TF_IMMV | TF_LOGIC, 0, 0,
	    A_R, 0);
	/* F6H/F7H /1: /0's alias (KVM's group3 has it too) */
	add("test Eb,Ib (/1)", 0xf6, -1, TF_MODRM | TF_BYTE | TF_IMM8 |
	    TF_LOGIC, 1, 0, A_R, 0);
	add("test Ev,Iz (/1)", 0xf7, -1, TF_MODRM | TF_IMMV | TF_LOGIC, 1, 0,
	    A_R, 0);
	add("xchg Eb,Gb", 0x86, -1, TF_MODRM | TF_BYTE | TF_LOCK, -1, 0,
	    A_RMW, 0);
	add("xchg Ev,Gv", 0x87, -1, TF_MODRM | TF_LOCK, -1, 0, A_RMW, 0);
	add("mov Eb,Gb", 0x88, -1, TF_MODRM | TF_BYTE, -1, 0, A_W, 0);
	add("mov Ev,Gv", 0x89, -1, TF_MODRM, -1, 0, A_W, 0);
	add("mov Gb,Eb", 0x8a, -1, TF_MODRM | TF_BYTE, -1, 0, A_R, 0);
	add("mov Gv,Ev", 0x8b, -1, TF_MODRM, -1, 0, A_R, 0);
	add("mov Eb,Ib", 0xc6, -1, TF_MODRM | TF_BYTE | TF_IMM8, 0, 0, A_W, 0);
	add("mov Ev,Iz", 0xc7, -1, TF_MODRM | TF_IMMV, 0, 0, A_W, 0);
	add("mov AL,Ob", 0xa0, -1, TF_MOFFS | TF_BYTE, -1, 0, A_R, 0);
	add("mov rAX,Ov", 0xa1, -1, TF_MOFFS, -1, 0, A_R, 0);
	add("mov Ob,AL", 0xa2, -1, TF_MOFFS | TF_BYTE, -1, 0, A_W, 0);
	add("mov Ov,rAX", 0xa3, -1, TF_MOFFS, -1, 0, A_W, 0);
	add("movzx Gv,Eb", 0x0f, 0xb6, TF_MODRM, -1, 1, A_R, 0);
	add("movzx Gv,Ew", 0x0f, 0xb7, TF_MODRM, -1, 2, A_R, 0);
	add("movsx Gv,Eb", 0x0f, 0xbe, TF_MODRM, -1, 1, A_R, 0);
	add("movsx Gv,Ew", 0x0f, 0xbf, TF_MODRM, -1, 2, A_R, 0);
	add("movsxd Gv,Ed", 0x63, -1, TF_MODRM, -1, 4, A_R, 0);
	add("movsb", 0xa4, -1, TF_BYTE, -1, 0, A_R, 'M');
	add("movs", 0xa5, -1, 0, -1, 0, A_R, 'M');
	add("stosb", 0xaa, -1, TF_BYTE, -1, 0, A_W, 'S');
	add("stos", 0xab, -1, 0, -1, 0, A_W, 'S');
	add("lodsb", 0xac, -1, TF_BYTE, -1, 0, A_R, 'L');
	add("lods", 0xad, -1, 0, -1, 0, A_R, 'L');
	build_templates_more();
}

static sigjmp_buf fault_jb;
static volatile sig_atomic_t fault_sig;

static void on_fault(int sig)
{
	fault_sig = sig;
	siglongjmp(fault_jb, 1);
}

int guard_setup(void)
{
	static u8 altstack[64 * 1024];
	static const int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGTRAP };
	stack_t ss = { .ss_sp = altstack, .ss_size = sizeof(altstack) };
	struct sigaction sa;
	unsigned int i;

	/* The instruction runs with any RSP: handlers on their own stack. */
	if (sigaltstack(&ss, NULL))
		return -1;
	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_fault;
	sa.sa_flags = SA_ONSTACK | SA_NODEFER;
	for (i = 0; i < ARRAY_SIZE(sigs); i++)
		if (sigaction(sigs[i], &sa, NULL))
			return -1;
	return 0;
}

int call_guarded(void (*fn)(void))
{
	fault_sig = 0;
	if (sigsetjmp(fault_jb, 1))
		return fault_sig ? fault_sig : -1;
	fn();
	return 0;
}

struct memenv {
	u64 base;
	u8 *mem;
	u64 size;
};

static u8 *env_ptr(struct memenv *m, u64 linear, unsigned int len)
{
	if (linear < m->base || linear - m->base + len > m->size)
		return NULL;
	return m->mem + (linear - m->base);
}

static int env_read(void *opaque, u64 linear, void *buf, unsigned int len)
{
	u8 *p = env_ptr(opaque, linear, len);

	if (!p)
		return -EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int env_write(void *opaque, u64 linear, const void *buf,
		     unsigned int len)
{
	u8 *p = env_ptr(opaque, linear, len);

	if (!p)
		return -EFAULT;
	memcpy(p, buf, len);
	return 0;
}

static int env_read_vec(void *opaque, unsigned int file, unsigned int reg,
			void *buf)
{
	(void)opaque;
	if (file == VTX_EMU_VEC_XMM && reg < 16)
		memcpy(buf, vec_emu.xmm[reg], 16);
	else if (file == VTX_EMU_VEC_MMX && reg < 8)
		memcpy(buf, vec_emu.mm[reg], 8);
	else
		return -EINVAL;
	return 0;
}

static int env_write_vec(void *opaque, unsigned int file, unsigned int reg,
			 const void *buf)
{
	(void)opaque;
	if (file == VTX_EMU_VEC_XMM && reg < 16)
		memcpy(vec_emu.xmm[reg], buf, 16);
	else if (file == VTX_EMU_VEC_MMX && reg < 8)
		memcpy(vec_emu.mm[reg], buf, 8);
	else
		return -EINVAL;
	return 0;
}

/*
 * The selectors the CPU runs a case with (MOV m16,Sreg): this process's
 * in 64-bit code, legacy.S's LDT selectors in 32/16-bit code (CS 23H, the
 * 32-bit user code segment, or the 16-bit LDT one; FS this process's).
 */
static u16 sel64[VTX_EMU_NR_SEGS];
static const u16 *cur_sel;

static void read_selectors(void)
{
	u16 s;

	asm("mov %%es, %0" : "=r"(s));
	sel64[VTX_EMU_ES] = s;
	asm("mov %%cs, %0" : "=r"(s));
	sel64[VTX_EMU_CS] = s;
	asm("mov %%ss, %0" : "=r"(s));
	sel64[VTX_EMU_SS] = s;
	asm("mov %%ds, %0" : "=r"(s));
	sel64[VTX_EMU_DS] = s;
	asm("mov %%fs, %0" : "=r"(s));
	sel64[VTX_EMU_FS] = s;
	asm("mov %%gs, %0" : "=r"(s));
	sel64[VTX_EMU_GS] = s;
}

/* Only MOV m16,Sreg asks (no segment checks in the other cases). */
static int env_get_seg(void *opaque, unsigned int seg,
		       struct vtx_emu_segdesc *s)
{
	(void)opaque;
	if (!cur_sel || seg >= VTX_EMU_NR_SEGS)
		return -EINVAL;
	memset(s, 0, sizeof(*s));
	s->selector = cur_sel[seg];
	return 0;
}

static const struct vtx_emu_ops env_ops = {
	.get_seg = env_get_seg,
	.read_mem = env_read,
	.write_mem = env_write,
	.read_vec = env_read_vec,
	.write_vec = env_write_vec,
};

/* Linear address as the CPU forms it in @mode. */
static u64 linear_of(unsigned int mode, int seg, u64 base, u64 ea)
{
	if (mode == 64)
		return (seg == VTX_EMU_FS || seg == VTX_EMU_GS) ? base + ea : ea;
	return (u32)(base + ea);
}

/* The emulator, element after element for REP; false with @why set. */
static bool run_emu(const struct backend *be, const struct tmpl *t,
		    const struct gen *g, struct vtx_emu *e, char *why,
		    size_t whysz)
{
	struct memenv m = {
		.base = (u64)(uintptr_t)be->scratch, .mem = emu_mem,
		.size = SCRATCH_SIZE,
	};
	u64 mask = g->ad == 8 ? ~0ull : (1ull << (8 * g->ad)) - 1, val;
	unsigned int iter, k, i;
	int rc, sseg = g->seg >= 0 ? g->seg : VTX_EMU_DS;

	memset(e, 0, sizeof(*e));
	memcpy(e->gpr, g->gpr, sizeof(e->gpr));
	e->rip = g->rip;
	e->rflags = g->rflags;
	e->mode = g->mode;
	memcpy(e->seg_base, g->seg_base, sizeof(e->seg_base));
	if (g->mode == 64)	/* ignored in 64-bit mode: garbage */
		for (i = VTX_EMU_ES; i <= VTX_EMU_DS; i++)
			e->seg_base[i] = rnd();
	e->ops = &env_ops;
	e->opaque = &m;
	e->cr0 = LINUX_CR0;
	e->cr4 = VTX_EMU_CR4_OSFXSR;
	e->cpl = 3;		/* user mode, as the CPU runs the case */
	cur_sel = NULL;
	if (t->flags & TF_SEL) {
		static u16 leg[VTX_EMU_NR_SEGS];

		memcpy(leg, sel64, sizeof(leg));
		leg[VTX_EMU_ES] = 0x1f;
		leg[VTX_EMU_CS] = g->mode == 32 ? 0x23 : 0x07;
		leg[VTX_EMU_SS] = 0x27;
		leg[VTX_EMU_DS] = 0x17;
		leg[VTX_EMU_GS] = 0x0f;
		cur_sel = g->mode == 64 ? sel64 : leg;
	}
	e->features = host_features;

	for (iter = 0; iter < 64; iter++) {
		memcpy(e->insn, g->b, g->n);
		for (i = g->n; i < VTX_EMU_MAX_INSN; i++)
			e->insn[i] = rnd();	/* what follows in memory */
		e->insn_len_avail = VTX_EMU_MAX_INSN;
		if (t->flags & TF_STACK) {
			e->mmio_linear = g->linear;
			e->stack_bytes = 4;	/* legacy.c: a 32-bit SS */
		}
		if (t->str == 'M' || t->str == 'C') {
			u64 src = linear_of(g->mode, sseg, g->seg_base[sseg],
					    e->gpr[VTX_EMU_RSI] & mask);
			u64 dst = linear_of(g->mode, VTX_EMU_ES,
					    g->seg_base[VTX_EMU_ES],
					    e->gpr[VTX_EMU_RDI] & mask);

			e->mmio_linear = g->mmio_src ? src : dst;
		}
		rc = vtx_emu_decode(e);
		if (rc) {
			snprintf(why, whysz, "decode %d (iteration %u)", rc,
				 iter);
			return false;
		}
		if (iter == 0 && (e->len != g->n || e->access_bytes !=
				  (t->str ? g->op : g->access) ||
				  e->is_write != g->is_write ||
				  e->linear != g->linear)) {
			snprintf(why, whysz,
				 "decode: len %u/%u access %u/%u write %d/%d linear %#llx/%#llx",
				 e->len, g->n, e->access_bytes,
				 t->str ? g->op : g->access, e->is_write,
				 g->is_write, (unsigned long long)e->linear,
				 (unsigned long long)g->linear);
			return false;
		}
		for (k = 0; ; k++) {
			u8 *p = env_ptr(&m, e->linear, e->access_bytes);

			if (!p || (e->linear & (PAGE - 1)) + e->access_bytes >
			    PAGE) {
				snprintf(why, whysz, "access at %#llx",
					 (unsigned long long)e->linear);
				return false;
			}
			val = rnd();	/* garbage above the access */
			if (e->access_bytes > sizeof(val) && e->is_write)
				memcpy(p, e->wide, e->access_bytes);
			else if (e->access_bytes > sizeof(val))
				memcpy(e->wide, p, e->access_bytes);
			else if (e->is_write)
				memcpy(p, &e->write_val, e->access_bytes);
			else
				memcpy(&val, p, e->access_bytes);
			rc = vtx_emu_complete(e, val);
			if (rc < 0 || k > 1) {
				snprintf(why, whysz, "complete %d", rc);
				return false;
			}
			if (rc == 0)
				break;
			if (iter == 0 && (t->acc != A_RMW || !e->is_write ||
					  e->linear != g->linear)) {
				snprintf(why, whysz, "unexpected 2nd access");
				return false;
			}
		}
		if (iter == 0 && t->acc == A_RMW && k != 1) {
			snprintf(why, whysz, "read-modify-write in %u", k + 1);
			return false;
		}
		if (e->rip != g->rip)
			return true;
		if (!t->str || !g->rep) {
			snprintf(why, whysz, "RIP not advanced");
			return false;
		}
	}
	snprintf(why, whysz, "REP never ends");
	return false;
}

static void one_case(const struct backend *be, const struct tmpl *t)
{
	static const char *const names[16] = {
		"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
		"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
	};
	u64 gpr[16], rflags, fmask, rip_mask;
	char hex[64], why[160] = "";
	int tries = 0, sig;
	struct vtx_emu e;
	struct gen g;
	unsigned int i;
	bool ok = true;

	while (!be->gen(t, &g))
		if (++tries > 1000) {
			tap(false, "%s %s: no encoding", be->name, t->name);
			return;
		}
	for (i = 0; i < SCRATCH_SIZE; i++)
		be->scratch[i] = rnd();
	if ((t->flags & TF_CMPX) && (rnd() & 1)) {
		/* the comparison succeeds: memory holds rAX (EDX:EAX) */
		u64 acc[2] = {
			(t->flags & TF_M64) ?
			(g.gpr[VTX_EMU_RDX] << 32) | (u32)g.gpr[VTX_EMU_RAX] :
			g.gpr[VTX_EMU_RAX], g.gpr[VTX_EMU_RDX]
		};

		memcpy(be->scratch + (g.linear - (u64)(uintptr_t)be->scratch),
		       acc, g.access);
	}
	if (t->flags & TF_DIVF)
		pick_divisor(&g, t->regfix == 7, be->scratch +
			     (g.linear - (u64)(uintptr_t)be->scratch));
	if ((t->flags & (TF_BSX | TF_CNT)) && !rnd_below(4))	/* 0 */
		memset(be->scratch + (g.linear - (u64)(uintptr_t)be->scratch),
		       0, g.access);
	for (i = 0; i < sizeof(vec_cpu); i++)
		((u8 *)&vec_cpu)[i] = rnd();
	memcpy(&vec_emu, &vec_cpu, sizeof(vec_emu));
	if (t->flags & TF_BRANCH) {
		/* the target: the next instruction, where the code goes on */
		u64 next = g.rip + g.n;

		memcpy(be->scratch + (g.linear - (u64)(uintptr_t)be->scratch),
		       &next, g.access);
	}
	memcpy(emu_mem, be->scratch, SCRATCH_SIZE);
	hexstr(hex, g.b, g.n);

	memcpy(gpr, g.gpr, sizeof(gpr));
	rflags = g.rflags;
	if ((t->flags & TF_SHXD) && g.op == 2 &&
	    ((t->flags & TF_IMM8 ? g.b[g.n - 1] : g.gpr[VTX_EMU_RCX]) & 31) >
	    16) {
		/* undefined result: the emulator refuses it */
		memset(&e, 0, sizeof(e));
		memcpy(e.gpr, g.gpr, sizeof(e.gpr));
		e.rip = g.rip;
		e.rflags = g.rflags;
		e.mode = g.mode;
		memcpy(e.seg_base, g.seg_base, sizeof(e.seg_base));
		memcpy(e.insn, g.b, g.n);
		e.insn_len_avail = g.n;
		ok = vtx_emu_decode(&e) == -EINVAL;
		tap(ok, "%s %-13s %s refused (count > 16)", be->name, t->name,
		    hex);
		return;
	}
	sig = be->run(&g, gpr, &rflags);
	if (sig == SIGFPE && (t->flags & TF_DIVF)) {
		/* #DE: the emulator must refuse it too, nothing changed */
		ok = !run_emu(be, t, &g, &e, why, sizeof(why)) &&
		     e.de_fault && !memcmp(e.gpr, g.gpr, sizeof(e.gpr)) &&
		     e.rip == g.rip && e.rflags == g.rflags &&
		     !memcmp(emu_mem, be->scratch, SCRATCH_SIZE);
		tap(ok, "%s %-13s %s #DE", be->name, t->name, hex);
		if (!ok)
			diag("the CPU raised #DE, the emulator: %s (de %d)",
			     why[0] ? why : "completed", e.de_fault);
		return;
	}
	if (sig == SIGSEGV && (t->flags & TF_M16) && host_umip) {
		/*
		 * SMSW under UMIP: the #GP goes to Linux's umip.c, which
		 * refuses some forms of 16/32-bit code (SIGSEGV).  What the
		 * processor does without UMIP, by the SDM: CR0's low word at
		 * the operand, nothing else changed.
		 */
		u16 msw = (u16)LINUX_CR0;

		memcpy(gpr, g.gpr, sizeof(gpr));
		rflags = g.rflags;
		memcpy(&vec_cpu, &vec_emu, sizeof(vec_cpu));
		memcpy(be->scratch + (g.linear - (u64)(uintptr_t)be->scratch),
		       &msw, sizeof(msw));
		umip_refused++;
		sig = 0;
	}
	if (sig) {
		tap(false, "%s %-13s %s", be->name, t->name, hex);
		diag("the CPU raised signal %d", sig);
		return;
	}
	if (!run_emu(be, t, &g, &e, why, sizeof(why))) {
		ok = false;
	} else {
		fmask = ~0ull;
		if (!intel_flags && (t->flags & (TF_LOGIC | TF_SHIFTAF)))
			fmask &= ~VTX_EMU_FL_AF;
		if (!intel_flags && (t->flags & TF_COUNTOF))
			fmask &= ~VTX_EMU_FL_OF;
		/* undefined on every vendor, and Intel's differ by model */
		if (t->flags & TF_MULF)
			fmask &= ~(VTX_EMU_FL_SF | VTX_EMU_FL_ZF |
				   VTX_EMU_FL_AF | VTX_EMU_FL_PF);
		if (t->flags & TF_DIVF)
			fmask &= ~VTX_EMU_FL_ARITH;
		if (t->flags & TF_SHXD)
			fmask &= ~(VTX_EMU_FL_OF | VTX_EMU_FL_AF);
		if (t->flags & TF_BSX)
			fmask &= ~(VTX_EMU_FL_ARITH & ~VTX_EMU_FL_ZF);
		if (t->flags & TF_CNTF)
			fmask &= ~(VTX_EMU_FL_OF | VTX_EMU_FL_SF |
				   VTX_EMU_FL_AF | VTX_EMU_FL_PF);
		/* without BMI1 (LZCNT) the CPU and emulator run BSF (BSR) */
		if ((t->flags & TF_CNTF) &&
		    !(host_features & (t->op[1] == 0xbc ? VTX_EMU_FEAT_BMI1 :
				       VTX_EMU_FEAT_LZCNT)))
			fmask &= ~(VTX_EMU_FL_ARITH & ~VTX_EMU_FL_ZF);
		rip_mask = g.mode == 64 ? ~0ull : 0xffffffffull;
		for (i = 0; i < 16; i++)
			if (e.gpr[i] != gpr[i]) {
				snprintf(why, sizeof(why),
					 "%s %#llx, CPU %#llx (was %#llx)",
					 names[i],
					 (unsigned long long)e.gpr[i],
					 (unsigned long long)gpr[i],
					 (unsigned long long)g.gpr[i]);
				ok = false;
				break;
			}
		if (ok && (e.rflags & fmask) != (rflags & fmask)) {
			snprintf(why, sizeof(why),
				 "rflags %#llx, CPU %#llx (was %#llx)",
				 (unsigned long long)e.rflags,
				 (unsigned long long)rflags,
				 (unsigned long long)g.rflags);
			ok = false;
		}
		if (ok && e.rip != ((g.rip + g.n) & rip_mask)) {
			snprintf(why, sizeof(why), "rip +%lld",
				 (long long)(e.rip - g.rip));
			ok = false;
		}
		if (ok && memcmp(&vec_emu, &vec_cpu, sizeof(vec_cpu))) {
			snprintf(why, sizeof(why), "vector registers differ");
			ok = false;
		}
		if (ok && memcmp(emu_mem, be->scratch, SCRATCH_SIZE)) {
			for (i = 0; emu_mem[i] == be->scratch[i]; i++)
				;
			snprintf(why, sizeof(why),
				 "memory +%#x: %02x, CPU %02x", i,
				 emu_mem[i], be->scratch[i]);
			ok = false;
		}
	}
	tap(ok, "%s %-13s %s", be->name, t->name, hex);
	if (!ok)
		diag("%s", why);
}

void native_class(const struct backend *be)
{
	unsigned int eax, ebx, ecx, edx, i, v;
	static bool once;

	if (!once) {
		once = true;
		build_templates();
		if (__get_cpuid(0, &eax, &ebx, &ecx, &edx))
			intel_flags = ebx == 0x756e6547 && edx == 0x49656e69 &&
				      ecx == 0x6c65746e;	/* GenuineIntel */
		if (!intel_flags)
			diag("not an Intel CPU: undefined AF/OF (logic, shifts, rotates) not compared");
		if (__get_cpuid(1, &eax, &ebx, &ecx, &edx) &&
		    (ecx & bit_POPCNT))
			host_features |= VTX_EMU_FEAT_POPCNT;
		if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) &&
		    (ebx & bit_BMI))
			host_features |= VTX_EMU_FEAT_BMI1;
		if (__get_cpuid(0x80000001, &eax, &ebx, &ecx, &edx) &&
		    (ecx & bit_LZCNT))
			host_features |= VTX_EMU_FEAT_LZCNT;
		if (__get_cpuid_count(7, 0, &eax, &ebx, &ecx, &edx) &&
		    (ecx & (1u << 2)))
			host_umip = true;
		read_selectors();
		diag("CPU features: popcnt %d bmi1 %d lzcnt %d umip %d",
		     !!(host_features & VTX_EMU_FEAT_POPCNT),
		     !!(host_features & VTX_EMU_FEAT_BMI1),
		     !!(host_features & VTX_EMU_FEAT_LZCNT), host_umip);
	}
	for (i = 0; i < ntmpl; i++) {
		if (be->mode != 64 && tmpls[i].src == 4)
			continue;	/* 63 is ARPL outside 64-bit mode */
		if (be->mode != 64 && (tmpls[i].flags & TF_M128))
			continue;	/* REX.W: 64-bit mode only */
		if (be->mode == 64 && tmpls[i].oplen == 1 &&
		    tmpls[i].op[0] == 0x82)
			continue;	/* #UD in 64-bit mode */
		if ((tmpls[i].flags & TF_CNT) && tmpls[i].op[1] == 0xb8 &&
		    !(host_features & VTX_EMU_FEAT_POPCNT))
			continue;	/* #UD here */
		for (v = 0; v < VARIANTS; v++)
			one_case(be, &tmpls[i]);
	}
	if (umip_refused)
		diag("%s: %u smsw Mw case(s) that Linux's UMIP emulation refused: compared with the SDM's result",
		     be->name, umip_refused);
	umip_refused = 0;
}
