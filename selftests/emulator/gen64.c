// SPDX-License-Identifier: GPL-2.0
/*
 * native64: 64-bit encodings generated from the templates, with random
 * prefixes (legacy ones shuffled, ignored REX before them, F2/F3 hints),
 * registers (REX.R/X/B, AH..BH vs SPL..DIL), every addressing form
 * (SIB with and without base or index, RIP-relative, 32-bit addresses),
 * FS/GS and null segment overrides, random register values and memory.
 * They run on the CPU through a copy of trampoline.S below 2 GiB.
 */
#define _GNU_SOURCE
#include <asm/prctl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "native.h"

extern const u8 tramp_start[], tramp_slot[], tramp_state[], tramp_vec[];
extern const u8 tramp_end[];

static u8 *code, *slot, *scratch;
static u64 *st_gpr, *st_rflags;
static u8 *st_vec;	/* XMM0-15, then MM0-7: struct vecstate */
static u64 fs_base, gs_base;

static int setup64(void)
{
	u8 *region;

	/* Below 2 GiB: RIP-relative and 32-bit addressing reach it. */
	region = mmap(NULL, 3 * PAGE, PROT_READ | PROT_WRITE | PROT_EXEC,
		      MAP_PRIVATE | MAP_ANONYMOUS | MAP_32BIT, -1, 0);
	if (region == MAP_FAILED)
		return -1;
	code = region;
	scratch = region + PAGE;
	memcpy(code, tramp_start, tramp_end - tramp_start);
	slot = code + (tramp_slot - tramp_start);
	st_gpr = (u64 *)(code + (tramp_state - tramp_start));
	st_rflags = st_gpr + 16;
	st_vec = code + (tramp_vec - tramp_start);

	if (syscall(SYS_arch_prctl, ARCH_GET_FS, &fs_base))
		return -1;
	/* GS points a little below the scratch buffer. */
	gs_base = (u64)(uintptr_t)scratch - 0x12340;
	if (syscall(SYS_arch_prctl, ARCH_SET_GS, gs_base))
		return -1;
	return 0;
}

static int run64(const struct gen *g, u64 *gpr, u64 *rflags)
{
	int sig;

	memset(slot, 0x90, SLOT_LEN);
	memcpy(slot + SLOT_LEN - g->n, g->b, g->n);
	memcpy(st_gpr, gpr, 16 * sizeof(u64));
	*st_rflags = *rflags;
	memcpy(st_vec, &vec_cpu, sizeof(vec_cpu));
	sig = call_guarded((void (*)(void))(uintptr_t)code);
	if (sig)
		return sig;
	memcpy(gpr, st_gpr, 16 * sizeof(u64));
	*rflags = *st_rflags;
	memcpy(&vec_cpu, st_vec, sizeof(vec_cpu));
	return 0;
}

static u64 seg_base_of(int seg)
{
	if (seg == VTX_EMU_FS)
		return fs_base;
	if (seg == VTX_EMU_GS)
		return gs_base;
	return 0;
}

/* A register value whose low @ad bytes are @v (upper bits random). */
static u64 with_garbage(u64 v, unsigned int ad)
{
	return ad == 8 ? v : (u32)v | (rnd() << 32);
}

static bool gen_string(const struct tmpl *t, struct gen *g, u8 rex,
		       const u8 *pfx, unsigned int npfx)
{
	unsigned int sz = g->op, cnt = g->rep ? 1 + rnd_below(6) : 1;
	bool df = g->rflags & VTX_EMU_FL_DF;
	u64 span = (u64)cnt * sz, mmio_off, other_off, src_off, dst_off;
	u64 src_ea, dst_ea;

	/* The MMIO side element-aligned, so no element crosses a page. */
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
	src_off = g->mmio_src ? mmio_off : other_off;
	dst_off = g->mmio_src ? other_off : mmio_off;

	src_ea = (u64)(uintptr_t)scratch + src_off - seg_base_of(g->seg);
	dst_ea = (u64)(uintptr_t)scratch + dst_off;
	if (g->ad == 4 && (src_ea >> 32))
		return false;
	g->gpr[VTX_EMU_RSI] = with_garbage(src_ea, g->ad);
	g->gpr[VTX_EMU_RDI] = with_garbage(dst_ea, g->ad);
	if (g->rep)
		g->gpr[VTX_EMU_RCX] = with_garbage(cnt, g->ad);
	g->linear = (u64)(uintptr_t)scratch + mmio_off;
	g->is_write = t->str == 'S' || (t->str == 'M' && !g->mmio_src);

	memcpy(g->b, pfx, npfx);
	g->n = npfx;
	if (rex)
		g->b[g->n++] = rex;
	g->b[g->n++] = t->op[0];
	return g->n <= 15;
}

static bool gen64(const struct tmpl *t, struct gen *g)
{
	static const unsigned int opsizes[3] = { 2, 4, 8 };
	u8 pfx[8], rex = 0, modrm = 0, sib = 0;
	unsigned int npfx = 0, i, mod = 0, scale = 0, form = 0;
	int reg = -1, base = -1, index = -1, disp_bytes = 0, disp_pos = -1;
	bool rex_present, lock = false, rip_rel = false;
	u64 off, target, ea, disp = 0, x;
	int r;

	memset(g, 0, sizeof(*g));
	g->mode = 64;
	g->seg_base[VTX_EMU_FS] = fs_base;
	g->seg_base[VTX_EMU_GS] = gs_base;
	for (i = 0; i < 16; i++)
		g->gpr[i] = rnd();
	g->rflags = 0x202 | (rnd() & VTX_EMU_FL_ARITH) |
		    ((rnd() & 1) ? VTX_EMU_FL_DF : 0);

	g->op = (t->flags & TF_BYTE) ? 1 : opsizes[rnd_below(3)];
	if ((t->flags & TF_STACK) && g->op == 4)
		g->op = 8;	/* PUSH/POP m: 16 or 64 bits */
	if (t->flags & TF_BRANCH)
		g->op = 8;	/* near CALL/JMP: 64 bits */
	if ((t->flags & TF_M64) && g->op == 8)
		g->op = 4;	/* REX.W is CMPXCHG16B */
	if (t->flags & TF_M128)
		g->op = 8;
	if ((t->flags & TF_VEC) && g->op == 2)
		g->op = 4;	/* 66 is a mandatory prefix there */
	g->ad = rnd_below(4) ? 8 : 4;
	if (g->op == 2 || (g->op == 1 && !rnd_below(8)))
		pfx[npfx++] = 0x66;
	if (g->op == 8)
		rex |= 0x48;
	if (g->ad == 4)
		pfx[npfx++] = 0x67;

	r = rnd_below(10);
	g->seg = r < 5 ? -1 : r == 5 ? VTX_EMU_FS : r < 8 ? VTX_EMU_GS :
		 (int)rnd_below(4);
	if (g->seg == VTX_EMU_FS && g->ad == 4)
		g->seg = -1;
	if (t->str == 'S' || t->str == 'A')	/* ES:rDI, no override */
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
	/* Shuffle the legacy prefixes; maybe a REX before one (ignored). */
	shuffle(pfx, npfx);
	if (npfx && !rnd_below(8)) {
		unsigned int at = rnd_below(npfx);

		memmove(pfx + at + 1, pfx + at, npfx - at);
		pfx[at] = 0x40 | rnd_below(16);
		npfx++;
	}

	if (t->str) {
		if (rnd_below(3) == 0 || g->op == 8)
			rex |= 0x40;
		if (g->op == 1 && !rnd_below(4))
			rex |= 0x40 | rnd_below(8);	/* R/X/B: no effect */
		if (!gen_string(t, g, rex, pfx, npfx))
			return false;
		g->rip = (u64)(uintptr_t)slot + SLOT_LEN - g->n;
		return true;
	}

	g->access = t->src == 4 ? (g->op < 4 ? g->op : 4) :
		    t->src ? t->src : (t->flags & TF_M64) ? 8 :
		    (t->flags & TF_M16) ? 2 : (t->flags & TF_MMX) ? 8 :
		    (t->flags & (TF_XMM | TF_M128)) ? 16 : g->op;
	off = pick_offset_for(t->flags, g->access);
	target = (u64)(uintptr_t)scratch + off;
	ea = target - seg_base_of(g->seg);
	if (t->flags & TF_BITREG) {
		s64 delta;

		g->bitoff = pick_bitoff(g->op, &delta);
		ea -= delta;
	}
	if (g->ad == 4 && (ea >> 32))
		return false;
	g->linear = target;
	g->is_write = t->acc == A_W;

	if (t->flags & TF_MOFFS) {
		g->b[0] = 0;
	} else {
		reg = t->regfix >= 0 ? t->regfix : (int)rnd_below(16);
		if (reg >= 8)
			rex |= 0x44;
		form = rnd_below(8);
		if (g->seg == VTX_EMU_FS && form >= 6)
			form = rnd_below(6);
		switch (form) {
		case 0: /* [base] */
		case 1: /* [base + disp8] */
		case 2: /* [base + disp32] */
			do {
				base = rnd_below(16);
			} while ((base & 7) == 4 || (form == 0 && (base & 7) == 5));
			mod = form;
			modrm = (mod << 6) | ((reg & 7) << 3) | (base & 7);
			break;
		case 3: /* [base + index * scale (+ disp)] */
		case 4: /* [base (+ disp)] through a SIB without index */
			base = rnd_below(16);
			mod = rnd_below(3);
			if (mod == 0 && (base & 7) == 5)
				mod = 1;
			if (form == 3) {
				do {
					index = rnd_below(16);
				} while (index == 4);
			}
			scale = rnd_below(4);
			modrm = (mod << 6) | ((reg & 7) << 3) | 4;
			sib = (scale << 6) |
			      ((index < 0 ? 4 : index & 7) << 3) | (base & 7);
			break;
		case 5: /* [index * scale + disp32] */
			do {
				index = rnd_below(16);
			} while (index == 4);
			scale = rnd_below(4);
			modrm = ((reg & 7) << 3) | 4;
			sib = (scale << 6) | ((index & 7) << 3) | 5;
			break;
		case 6: /* [disp32] through a SIB */
			modrm = ((reg & 7) << 3) | 4;
			sib = (scale << 6) | (4 << 3) | 5;
			break;
		default: /* [rip + disp32] */
			modrm = ((reg & 7) << 3) | 5;
			rip_rel = true;
			break;
		}
		if (base >= 8)
			rex |= 0x41;
		if (index >= 8)
			rex |= 0x42;
		disp_bytes = mod == 1 ? 1 : (mod == 2 || form >= 5) ? 4 : 0;
		if (disp_bytes == 1)
			disp = (u64)(s64)(s8)rnd();
		else if (disp_bytes == 4)
			disp = (u64)(s64)((s32)rnd() >> 1);

		/* Register values that make the address the target. */
		if (form == 5) {
			x = ea - disp;
			disp += x & ((1u << scale) - 1);
			x = ea - disp;
			g->gpr[index] = g->ad == 8 ? x >> scale :
				with_garbage((u32)x >> scale, 4);
		} else if (form == 6) {
			disp = g->ad == 8 ? ea : (u64)(s64)(s32)ea;
			if ((u64)(s64)(s32)disp != disp)
				return false;
		} else if (index >= 0 && index == base) {
			u64 k = 1 + (1ull << scale);

			x = ea - disp;
			if (!scale && (x & 1)) {
				if (!disp_bytes)	/* 2 * reg is even */
					return false;
				disp ^= 1;
				x = ea - disp;
			}
			if (!scale)
				g->gpr[base] = with_garbage(x >> 1, g->ad);
			else
				g->gpr[base] = with_garbage(x * inverse_odd(k),
							    g->ad);
		} else if (base >= 0) {
			x = ea - disp;
			if (index >= 0)
				x -= g->gpr[index] << scale;
			g->gpr[base] = with_garbage(x, g->ad);
		}
	}

	if (t->flags & TF_BITREG) {
		if (reg == base || reg == index)
			return false;
		g->gpr[reg] = bitreg_value(g->bitoff, g->op, g->gpr[reg]);
	}
	if (t->flags & TF_STACK) {
		if (base == VTX_EMU_RSP || index == VTX_EMU_RSP)
			return false;
		g->gpr[VTX_EMU_RSP] = (u64)(uintptr_t)scratch +
				      pick_stack_offset();
	}

	/* Encode. */
	rex_present = rex || ((t->flags & TF_BYTE) && !rnd_below(3)) ||
		      !rnd_below(6);
	memcpy(g->b, pfx, npfx);
	g->n = npfx;
	if (rex_present)
		g->b[g->n++] = rex | 0x40;
	for (i = 0; i < t->oplen; i++)
		g->b[g->n++] = t->op[i];
	if (t->flags & TF_MODRM) {
		g->b[g->n++] = modrm;
		if ((modrm & 7) == 4)
			g->b[g->n++] = sib;
		disp_pos = g->n;
		put(g, disp, disp_bytes);
	}
	if (t->flags & TF_MOFFS)
		put(g, ea, g->ad);
	if (t->flags & TF_IMM8)
		put(g, rnd(), 1);
	if (t->flags & TF_IMMV)
		put(g, rnd(), g->op == 2 ? 2 : 4);
	if (g->n > 15)
		return false;
	if (rip_rel) {
		u64 next = (u64)(uintptr_t)slot + SLOT_LEN;

		disp = ea - next;
		if (g->ad == 8 && (u64)(s64)(s32)disp != disp)
			return false;
		g->n = disp_pos;
		put(g, disp, 4);
		g->n += (t->flags & TF_IMM8) ? 1 : (t->flags & TF_IMMV) ?
			(g->op == 2 ? 2 : 4) : 0;
	}
	g->rip = (u64)(uintptr_t)slot + SLOT_LEN - g->n;
	return true;
}

void test_native64(void)
{
	struct backend be = {
		.name = "native64", .mode = 64, .gen = gen64, .run = run64,
	};

	class_begin("native64");
	if (guard_setup() || setup64()) {
		tap(false, "native64 setup (mmap/arch_prctl/sigaction)");
		return;
	}
	be.scratch = scratch;
	rnd_seed(0x76747820656d75ull);
	native_class(&be);
}
