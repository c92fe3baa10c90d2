/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Native comparison tests: instruction templates, one generated case, and
 * the backends that run it on the CPU in 64-, 32- or 16-bit code.
 */
#ifndef EMULATOR_NATIVE_H
#define EMULATOR_NATIVE_H

#include "test.h"

#define PAGE		4096
#define SLOT_LEN	16
#define SCRATCH_SIZE	(2 * PAGE)

/* Template flags. */
#define TF_MODRM	0x01
#define TF_BYTE		0x02
#define TF_IMM8		0x04
#define TF_IMMV		0x08
#define TF_MOFFS	0x10
#define TF_LOCK		0x20	/* LOCK allowed */
#define TF_LOGIC	0x40	/* AF architecturally undefined */
#define TF_BITREG	0x80	/* BT* Ev,Gv: the register moves the address */
#define TF_CMPX		0x100	/* CMPXCHG*: memory equal to rAX half the time */
#define TF_M64		0x200	/* CMPXCHG8B: an 8-byte access, no REX.W */
#define TF_STACK	0x400	/* PUSH/POP/CALL/JMP m: RSP in the scratch area */
#define TF_BRANCH	0x800	/* CALL/JMP m: the operand is the next RIP */
#define TF_XMM		0x1000	/* SSE move: 16 bytes, XMM register */
#define TF_MMX		0x2000	/* MMX move: 8 bytes, MMX register */
#define TF_ALIGN16	0x4000	/* #GP(0) unless 16-byte aligned */
#define TF_M128		0x8000	/* CMPXCHG16B: REX.W, 16 bytes, 64-bit only */
#define TF_SHIFTAF	0x10000	/* SHL/SHR/SAR: AF architecturally undefined */
#define TF_COUNTOF	0x20000	/* shift/rotate by Ib or CL: OF undefined unless 1 */
#define TF_MULF		0x40000	/* MUL/IMUL: SF, ZF, AF, PF undefined */
#define TF_DIVF		0x80000	/* DIV/IDIV: all six undefined; #DE */
#define TF_SHXD		0x100000	/* SHLD/SHRD: OF, AF undefined; 16-bit > 16 */
#define TF_BSX		0x200000	/* BSF/BSR: all flags but ZF undefined */
#define TF_CNT		0x400000	/* POPCNT/TZCNT/LZCNT: a source of 0 often */
#define TF_CNTF		0x800000	/* TZCNT/LZCNT: OF, SF, AF, PF undefined */
#define TF_M16		0x1000000	/* SMSW m16: 2 bytes whatever the size */
#define TF_SEL		0x2000000	/* MOV m16,Sreg: the selector (get_seg) */
#define TF_VEC		(TF_XMM | TF_MMX)

enum { A_R, A_W, A_RMW };

/**
 * struct tmpl - an instruction form the generators vary.
 * @name:	mnemonic and operand kinds.
 * @op:		opcode bytes; @oplen of them.
 * @oplen:	1, 2 or 3.
 * @flags:	TF_*.
 * @regfix:	ModRM.reg of a group opcode, -1 when it is a register.
 * @src:	MOVZX/MOVSX source size: 1, 2, or 4 for MOVSXD; 0 otherwise.
 * @acc:	A_* of the first access.
 * @str:	'M'OVS, 'S'TOS, 'L'ODS, 'C'MPS, sc'A'S or 0.
 * @mp:		TF_VEC, TF_CNT: the mandatory prefix (0x66, 0xf3) or 0.
 */
struct tmpl {
	char name[24];
	u8 op[3], oplen;
	u8 mp;
	u32 flags;
	signed char regfix;
	u8 src;
	u8 acc;
	char str;
};

/*
 * The vector registers the CPU runs with and ends with (backends copy
 * them in and out; only XMM0-7 outside 64-bit code).
 */
struct vecstate {
	u8 xmm[16][16];
	u8 mm[8][8];
};
extern struct vecstate vec_cpu;

extern struct tmpl tmpls[];
extern unsigned int ntmpl;
void build_templates(void);

/**
 * struct gen - one generated instruction, its state and expectations.
 * @b:		the bytes, @n of them.
 * @n:		length.
 * @gpr:	GPRs before.
 * @rflags:	RFLAGS before.
 * @mode:	16, 32 or 64.
 * @op:		operand size.
 * @ad:		address size.
 * @access:	access size (non-string).
 * @seg:	segment-override prefix (VTX_EMU_*), -1 for none.
 * @seg_base:	segment bases.
 * @rip:	RIP (IP for 16-bit code) of the instruction.
 * @linear:	linear address of the first access.
 * @bitoff:	TF_BITREG: the bit offset the register holds.
 * @is_write:	the first access is a write.
 * @mmio_src:	MOVS: the MMIO side is the source.
 * @rep:	REP prefix on a string instruction.
 */
struct gen {
	u8 b[24];
	unsigned int n;
	u64 gpr[16], rflags;
	unsigned int mode, op, ad, access;
	int seg;
	u64 seg_base[VTX_EMU_NR_SEGS];
	u64 rip;
	u64 linear;
	u64 bitoff;
	bool is_write;
	bool mmio_src;
	bool rep;
};

/**
 * struct backend - runs generated cases of one mode on the CPU.
 * @name:	class name.
 * @mode:	16, 32 or 64.
 * @scratch:	the memory operands' buffer, SCRATCH_SIZE bytes.
 * @gen:	fills in a case for a template; false to try again.
 * @run:	runs it; 0 or the signal the CPU raised; @gpr and @rflags
 *		in/out.
 */
struct backend {
	const char *name;
	unsigned int mode;
	u8 *scratch;
	bool (*gen)(const struct tmpl *t, struct gen *g);
	int (*run)(const struct gen *g, u64 *gpr, u64 *rflags);
};

/* Signal handlers for call_guarded(); 0 or -1. */
int guard_setup(void);
/* Calls @fn; 0, or the signal it raised (the handler longjmps out). */
int call_guarded(void (*fn)(void));

/* Runs VARIANTS cases of every template applicable to @be. */
void native_class(const struct backend *be);

/* Helpers shared by the generators. */
static inline u64 inverse_odd(u64 k)
{
	u64 x = k;
	int i;

	for (i = 0; i < 6; i++)
		x *= 2 - k * x;
	return x;
}

static inline void put(struct gen *g, u64 v, unsigned int bytes)
{
	unsigned int i;

	for (i = 0; i < bytes; i++)
		g->b[g->n++] = v >> (8 * i);
}

/* TF_STACK: a stack pointer offset in the scratch area, 8-aligned. */
static inline u64 pick_stack_offset(void)
{
	return 64 + rnd_below((SCRATCH_SIZE - 128) / 8) * 8;
}

/* Scratch offset of an access of @size not crossing a page. */
static inline u64 pick_offset(unsigned int size)
{
	u64 off = rnd_below(SCRATCH_SIZE - 8);

	if ((off & (PAGE - 1)) + size > PAGE)
		off -= size;
	return off;
}

/* The access of template @t: a 16-byte-aligned offset when it must be. */
static inline u64 pick_offset_for(u32 flags, unsigned int size)
{
	u64 off = pick_offset(size);

	return (flags & TF_ALIGN16) ? off & ~15ull : off;
}

/* Shuffles @n legacy prefixes in place. */
static inline void shuffle(u8 *p, unsigned int n)
{
	unsigned int i, j;
	u8 tmp;

	for (i = n; i > 1; i--) {
		j = rnd_below(i);
		tmp = p[i - 1];
		p[i - 1] = p[j];
		p[j] = tmp;
	}
}

extern const u8 seg_prefix[VTX_EMU_NR_SEGS];

/*
 * TF_BITREG: a bit offset whose element displacement is @*delta bytes
 * (a few elements either way), for operand size @op.
 */
static inline u64 pick_bitoff(unsigned int op, s64 *delta)
{
	s64 k = (s64)rnd_below(7) - 3;
	u64 bit = rnd_below(op * 8);

	*delta = k * (s64)op;
	return (u64)(k * (s64)op * 8) + bit;
}

/* TF_BITREG: the register value: @bitoff with garbage above @op. */
static inline u64 bitreg_value(u64 bitoff, unsigned int op, u64 old)
{
	u64 m = op == 8 ? ~0ull : (1ull << (8 * op)) - 1;

	return (old & ~m) | (bitoff & m);
}

#endif
