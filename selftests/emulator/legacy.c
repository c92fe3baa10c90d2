// SPDX-License-Identifier: GPL-2.0
/*
 * native32/native16: the templates in 32-bit code (compatibility mode,
 * CS 0x23) and in 16-bit code (a 16-bit LDT code segment), run natively by
 * legacy.S.  DS, ES and SS are LDT data segments whose bases each case
 * picks at random, so segment bases, default segments (SS for rBP/rSP
 * bases), overrides, 16-bit addressing (BX+SI...) with its 64K wrap and
 * SI/DI/CX string registers are all checked against the CPU.  FS and GS
 * are not used (GS holds the trampoline's state).
 */
#define _GNU_SOURCE
#include <asm/ldt.h>
#include <asm/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native.h"

#define LEG_BASE	0x20000000ul	/* as in legacy.S */
#define LDT_CODE16	0
#define LDT_STATE	1
#define LDT_DS		2
#define LDT_ES		3
#define LDT_SS		4
#define SEL(n)		(((n) << 3) | 7)	/* LDT, RPL 3 */

extern const u8 leg_start[], leg_end[], leg_state[];
extern const u8 leg_entry32[], leg_entry16[], leg_slot32[], leg_slot16[];

/* Mirrors leg_state in legacy.S. */
struct leg_state {
	u32 gpr[8];
	u32 eflags;
	u32 sel_ds, sel_es, sel_ss, state_sel, pad;
	u64 entry_ip, entry_sel;
	u64 host_rsp;
	u32 host_ds, host_es, host_gs, host_ss;
	u8 xmm[8][16];
	u8 mm[8][8];
};

static u8 *blob, *scratch;
static struct leg_state *st;
static u64 code16_base, host_gs_base;

#define ABS(sym)	(LEG_BASE + (u64)((sym) - leg_start))

static int set_ldt(unsigned int entry, u32 base, u32 limit, bool pages,
		   bool seg32, unsigned int contents)
{
	struct user_desc d;

	memset(&d, 0, sizeof(d));
	d.entry_number = entry;
	d.base_addr = base;
	d.limit = limit;
	d.seg_32bit = seg32;
	d.contents = contents;
	d.limit_in_pages = pages;
	d.useable = 1;
	return syscall(SYS_modify_ldt, 1, &d, sizeof(d));
}

static int setup_legacy(void)
{
	u8 *region;

	if (leg_end - leg_start > PAGE)
		return -1;
	region = mmap((void *)LEG_BASE, PAGE + SCRATCH_SIZE,
		      PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
	if (region != (void *)LEG_BASE)
		return -1;
	blob = region;
	scratch = region + PAGE;
	memcpy(blob, leg_start, leg_end - leg_start);
	st = (struct leg_state *)(blob + (leg_state - leg_start));
	code16_base = ABS(leg_entry16);
	if (syscall(SYS_arch_prctl, ARCH_GET_GS, &host_gs_base))
		return -1;
	if (set_ldt(LDT_CODE16, code16_base, 0xffff, false, false,
		    MODIFY_LDT_CONTENTS_CODE) ||
	    set_ldt(LDT_STATE, ABS(leg_state), 0xffff, false, true,
		    MODIFY_LDT_CONTENTS_DATA))
		return -1;
	return 0;
}

static int run_legacy(const struct gen *g, u64 *gpr, u64 *rflags)
{
	u8 *slot = blob + ((g->mode == 32 ? leg_slot32 : leg_slot16) -
			   leg_start);
	unsigned int i;
	int sig;

	if (set_ldt(LDT_DS, g->seg_base[VTX_EMU_DS], 0xfffff, true, true,
		    MODIFY_LDT_CONTENTS_DATA) ||
	    set_ldt(LDT_ES, g->seg_base[VTX_EMU_ES], 0xfffff, true, true,
		    MODIFY_LDT_CONTENTS_DATA) ||
	    set_ldt(LDT_SS, g->seg_base[VTX_EMU_SS], 0xfffff, true, true,
		    MODIFY_LDT_CONTENTS_DATA))
		return -1;
	memset(slot, 0x90, SLOT_LEN);
	memcpy(slot + SLOT_LEN - g->n, g->b, g->n);
	for (i = 0; i < 8; i++)
		st->gpr[i] = gpr[i];
	st->eflags = *rflags;
	memcpy(st->xmm, vec_cpu.xmm, sizeof(st->xmm));
	memcpy(st->mm, vec_cpu.mm, sizeof(st->mm));
	st->sel_ds = SEL(LDT_DS);
	st->sel_es = SEL(LDT_ES);
	st->sel_ss = SEL(LDT_SS);
	st->state_sel = SEL(LDT_STATE);
	if (g->mode == 32) {
		st->entry_sel = 0x23;		/* __USER32_CS */
		st->entry_ip = ABS(leg_entry32);
	} else {
		st->entry_sel = SEL(LDT_CODE16);
		st->entry_ip = 0;
	}
	sig = call_guarded((void (*)(void))(uintptr_t)blob);
	/* GS held the state segment; native64 set its own base. */
	syscall(SYS_arch_prctl, ARCH_SET_GS, host_gs_base);
	if (sig)
		return sig;
	for (i = 0; i < 8; i++)
		gpr[i] = st->gpr[i];
	*rflags = st->eflags;
	memcpy(vec_cpu.xmm, st->xmm, sizeof(st->xmm));
	memcpy(vec_cpu.mm, st->mm, sizeof(st->mm));
	return 0;
}

/* 16-bit addressing forms by ModRM.rm: base and index registers. */
static const int rm16_regs[8][2] = {
	{ VTX_EMU_RBX, VTX_EMU_RSI }, { VTX_EMU_RBX, VTX_EMU_RDI },
	{ VTX_EMU_RBP, VTX_EMU_RSI }, { VTX_EMU_RBP, VTX_EMU_RDI },
	{ VTX_EMU_RSI, -1 }, { VTX_EMU_RDI, -1 },
	{ VTX_EMU_RBP, -1 }, { VTX_EMU_RBX, -1 },
};

static u64 upper16(void)
{
	return rnd() & 0xffff0000u;
}

static bool gen_string(const struct tmpl *t, struct gen *g, const u8 *pfx,
		       unsigned int npfx)
{
	unsigned int sz = g->op, cnt = g->rep ? 1 + rnd_below(6) : 1;
	bool df = g->rflags & VTX_EMU_FL_DF;
	u64 span = (u64)cnt * sz, mmio_off, other_off, src_lin, dst_lin;
	int sseg = g->seg >= 0 ? g->seg : VTX_EMU_DS;
	u32 si, di;

	mmio_off = rnd_below((SCRATCH_SIZE - span) / sz) * sz;
	other_off = rnd_below(SCRATCH_SIZE - span);
	if (df) {
		mmio_off += span - sz;
		other_off += span - sz;
	}
	g->mmio_src = t->str == 'L' ||
		      ((t->str == 'M' || t->str == 'C') && (rnd() & 1));
	/* Source and destination the same: the read faults first. */
	if ((t->str == 'M' || t->str == 'C') && mmio_off == other_off)
		g->mmio_src = true;
	src_lin = (u64)(uintptr_t)scratch +
		  (g->mmio_src ? mmio_off : other_off);
	dst_lin = (u64)(uintptr_t)scratch +
		  (g->mmio_src ? other_off : mmio_off);

	if (g->ad == 2) {
		/* Offsets away from the 64K wrap, within 8K of each other. */
		di = 0x2100 + rnd_below(0xbe00);
		g->seg_base[VTX_EMU_ES] = (u32)(dst_lin - di);
		if (sseg != VTX_EMU_ES && sseg != VTX_EMU_CS)
			g->seg_base[sseg] = (u32)(src_lin - 0x100 -
						  rnd_below(0xfd00));
		si = src_lin - g->seg_base[sseg];
		if (si > 0xffff)
			return false;
		g->gpr[VTX_EMU_RSI] = si | upper16();
		g->gpr[VTX_EMU_RDI] = di | upper16();
		if (g->rep)
			g->gpr[VTX_EMU_RCX] = cnt | upper16();
	} else {
		g->gpr[VTX_EMU_RSI] = (u32)(src_lin - g->seg_base[sseg]);
		g->gpr[VTX_EMU_RDI] = (u32)(dst_lin - g->seg_base[VTX_EMU_ES]);
		if (g->rep)
			g->gpr[VTX_EMU_RCX] = cnt;
	}
	g->linear = (u64)(uintptr_t)scratch + mmio_off;
	g->is_write = t->str == 'S' || (t->str == 'M' && !g->mmio_src);
	memcpy(g->b, pfx, npfx);
	g->n = npfx;
	g->b[g->n++] = t->op[0];
	return true;
}

/* Register values for 32-bit addressing forms; false to try again. */
static bool regs32(struct gen *g, unsigned int form, int base, int index,
		   unsigned int scale, u64 ea, u64 *disp, bool has_disp)
{
	u32 x = ea - *disp;

	if (form == 5) {		/* [index * scale + disp32] */
		*disp += x & ((1u << scale) - 1);
		x = ea - *disp;
		g->gpr[index] = x >> scale;
	} else if (form >= 6) {		/* [disp32] */
		*disp = (u32)ea;
	} else if (index >= 0 && index == base) {
		if (!scale) {
			if (x & 1) {
				if (!has_disp)	/* 2 * reg is even */
					return false;
				*disp ^= 1;
				x = ea - *disp;
			}
			g->gpr[base] = x >> 1;
		} else {
			g->gpr[base] = (u32)(x * inverse_odd(1 + (1u << scale)));
		}
	} else {
		if (index >= 0)
			x -= (u32)(g->gpr[index] << scale);
		g->gpr[base] = x;
	}
	return true;
}

static bool gen_legacy(const struct tmpl *t, struct gen *g,
		       unsigned int mode)
{
	unsigned int def = mode / 8, other = 6 - def, npfx = 0, i, mod = 0;
	unsigned int scale = 0, form = 0, rm = 0, disp_bytes = 0, reg;
	int base = -1, index = -1, dseg = VTX_EMU_DS, eseg, r;
	bool lock = false, has_sib = false;
	u8 pfx[8], modrm = 0, sib = 0;
	u64 target, ea, disp = 0;

	memset(g, 0, sizeof(*g));
	g->mode = mode;
	for (i = 0; i < 8; i++)
		g->gpr[i] = (u32)rnd();
	for (i = 8; i < 16; i++)
		g->gpr[i] = rnd();
	g->rflags = 0x202 | (rnd() & VTX_EMU_FL_ARITH) |
		    ((rnd() & 1) ? VTX_EMU_FL_DF : 0);
	for (i = 0; i < VTX_EMU_NR_SEGS; i++)
		g->seg_base[i] = (u32)rnd();
	g->seg_base[VTX_EMU_CS] = mode == 32 ? 0 : code16_base;

	g->op = (t->flags & TF_BYTE) ? 1 : rnd_below(2) ? def : other;
	if (t->flags & TF_VEC)
		g->op = def;	/* 66 is a mandatory prefix there */
	if ((t->flags & TF_BRANCH) && mode == 32)
		g->op = 4;	/* a 16-bit target would leave the code */
	g->ad = rnd_below(3) ? def : other;
	if (g->op == other || (g->op == 1 && !rnd_below(8)))
		pfx[npfx++] = 0x66;
	if (g->ad == other)
		pfx[npfx++] = 0x67;
	r = rnd_below(8);
	g->seg = r < 4 ? -1 : r - 4;	/* ES, CS, SS, DS */
	/* CS: read-only, and out of reach of 16-bit offsets when flat. */
	if (g->seg == VTX_EMU_CS &&
	    ((t->acc != A_R && t->str != 'M') || (mode == 32 && g->ad == 2)))
		g->seg = -1;
	if (t->str == 'S' || t->str == 'A')
		g->seg = -1;
	if (g->seg >= 0)
		pfx[npfx++] = seg_prefix[g->seg];
	if (t->mp)
		pfx[npfx++] = t->mp;
	if ((t->flags & TF_LOCK) && !rnd_below(3)) {
		pfx[npfx++] = 0xf0;
		lock = true;
	}
	if (t->str) {
		g->rep = rnd_below(3);
		if (g->rep)
			pfx[npfx++] = (rnd() & 1) ? 0xf3 : 0xf2;
	} else if (!lock && t->oplen == 1 && !rnd_below(16)) {
		pfx[npfx++] = (rnd() & 1) ? 0xf3 : 0xf2;	/* ignored */
	}
	shuffle(pfx, npfx);

	if (t->str) {
		if (!gen_string(t, g, pfx, npfx))
			return false;
		goto done;
	}

	g->access = t->src ? t->src : (t->flags & TF_M64) ? 8 :
		    (t->flags & TF_M16) ? 2 : (t->flags & TF_MMX) ? 8 : (t->flags & TF_XMM) ? 16 : g->op;
	target = (u64)(uintptr_t)scratch +
		 pick_offset_for(t->flags, g->access);
	g->linear = target;
	g->is_write = t->acc == A_W;
	reg = t->regfix >= 0 ? (unsigned int)t->regfix : rnd_below(8);

	/* The addressing form first: it decides the default segment. */
	if (t->flags & TF_MOFFS) {
		disp_bytes = 0;
	} else if (g->ad == 2) {
		rm = rnd_below(8);
		mod = rnd_below(3);
		if (rm == 6 && mod == 0)
			disp_bytes = 2;
		else
			disp_bytes = mod == 1 ? 1 : mod == 2 ? 2 : 0;
		if (rm == 2 || rm == 3 || (rm == 6 && mod))
			dseg = VTX_EMU_SS;
		modrm = (mod << 6) | (reg << 3) | rm;
	} else {
		form = rnd_below(8);
		switch (form) {
		case 0:
		case 1:
		case 2:
			do {
				base = rnd_below(8);
			} while (base == 4 || (form == 0 && base == 5));
			mod = form;
			modrm = (mod << 6) | (reg << 3) | base;
			break;
		case 3:
		case 4:
			base = rnd_below(8);
			mod = rnd_below(3);
			if (mod == 0 && base == 5)
				mod = 1;
			if (form == 3) {
				do {
					index = rnd_below(8);
				} while (index == 4);
			}
			scale = rnd_below(4);
			has_sib = true;
			modrm = (mod << 6) | (reg << 3) | 4;
			sib = (scale << 6) | ((index < 0 ? 4 : index) << 3) |
			      base;
			break;
		case 5:
		case 6:
			if (form == 5) {
				do {
					index = rnd_below(8);
				} while (index == 4);
			}
			scale = rnd_below(4);
			has_sib = true;
			modrm = (reg << 3) | 4;
			sib = (scale << 6) | ((index < 0 ? 4 : index) << 3) | 5;
			break;
		default:
			modrm = (reg << 3) | 5;
			break;
		}
		disp_bytes = mod == 1 ? 1 : (mod == 2 || form >= 5) ? 4 : 0;
		if (base == 4 || base == 5)
			dseg = VTX_EMU_SS;
	}

	/* The segment's base, or the offset, that reaches the target. */
	eseg = g->seg >= 0 ? g->seg : dseg;
	if (eseg == VTX_EMU_CS) {
		ea = (u32)(target - g->seg_base[VTX_EMU_CS]);
		if (g->ad == 2 && ea > 0xffff - 8)
			return false;
	} else if (g->ad == 2) {
		ea = rnd_below(0x10000 - 8);
		g->seg_base[eseg] = (u32)(target - ea);
	} else {
		ea = (u32)(target - g->seg_base[eseg]);
	}

	if (t->flags & TF_BITREG) {
		s64 delta;

		g->bitoff = pick_bitoff(g->op, &delta);
		if (g->ad == 2) {
			ea -= delta;
			if ((s64)ea < 0 || ea > 0xffff - 8)
				return false;
		} else {
			ea = (u32)(ea - delta);
		}
	}

	if (disp_bytes == 1)
		disp = (u64)(s64)(s8)rnd();
	else if (disp_bytes == 2)
		disp = rnd() & 0xffff;
	else if (disp_bytes == 4)
		disp = (u32)rnd();

	if (t->flags & TF_MODRM) {
		if (g->ad == 2) {
			if (rm == 6 && mod == 0) {
				disp = ea;
			} else {
				u32 x = ea - disp;
				int b = rm16_regs[rm][0], ix = rm16_regs[rm][1];

				if (ix >= 0)
					x -= g->gpr[ix];
				g->gpr[b] = (x & 0xffff) | upper16();
			}
		} else if (!regs32(g, form, base, index, scale, ea, &disp,
				   disp_bytes)) {
			return false;
		}
	}

	if (t->flags & TF_STACK) {
		if (g->ad == 4 && base == VTX_EMU_RSP)
			return false;
		g->gpr[VTX_EMU_RSP] = (u32)((u64)(uintptr_t)scratch +
					    pick_stack_offset() -
					    g->seg_base[VTX_EMU_SS]);
	}
	if (t->flags & TF_BITREG) {
		bool used = g->ad == 2 ?
			    !(rm == 6 && mod == 0) &&
			    ((int)reg == rm16_regs[rm][0] ||
			     (int)reg == rm16_regs[rm][1]) :
			    ((int)reg == base || (int)reg == index);

		if (used)
			return false;
		g->gpr[reg] = bitreg_value(g->bitoff, g->op, g->gpr[reg]);
	}

	memcpy(g->b, pfx, npfx);
	g->n = npfx;
	for (i = 0; i < t->oplen; i++)
		g->b[g->n++] = t->op[i];
	if (t->flags & TF_MODRM) {
		g->b[g->n++] = modrm;
		if (has_sib)
			g->b[g->n++] = sib;
		put(g, disp, disp_bytes);
	}
	if (t->flags & TF_MOFFS)
		put(g, ea, g->ad);
	if (t->flags & TF_IMM8)
		put(g, rnd(), 1);
	if (t->flags & TF_IMMV)
		put(g, rnd(), g->op == 2 ? 2 : 4);
done:
	if (g->n > 15)
		return false;
	if (mode == 32)
		g->rip = ABS(leg_slot32) + SLOT_LEN - g->n;
	else
		g->rip = ABS(leg_slot16) + SLOT_LEN - g->n - code16_base;
	return true;
}

static bool gen32(const struct tmpl *t, struct gen *g)
{
	return gen_legacy(t, g, 32);
}

static bool gen16(const struct tmpl *t, struct gen *g)
{
	return gen_legacy(t, g, 16);
}

void test_native_legacy(void)
{
	struct backend be32 = {
		.name = "native32", .mode = 32, .gen = gen32,
		.run = run_legacy,
	};
	struct backend be16 = {
		.name = "native16", .mode = 16, .gen = gen16,
		.run = run_legacy,
	};

	if (setup_legacy()) {
		class_begin("native32");
		tap_skip("native32/native16",
			 "no modify_ldt() or no mapping at 0x20000000");
		return;
	}
	be32.scratch = scratch;
	be16.scratch = scratch;
	rnd_seed(0x6c6567616379ull);
	class_begin("native32");
	native_class(&be32);
	class_begin("native16");
	native_class(&be16);
}
