// SPDX-License-Identifier: GPL-2.0
/*
 * hand16/hand32: 16- and 32-bit code, which cannot run natively here.
 * Every expectation below was worked out by hand from the SDM.
 *
 * State before each case: GPRs 0, RFLAGS 0x2, RIP 0x1000, segment bases 0,
 * then what .setup says ("rbx=0x100 ds=0x10000 fl=0x402 mmio=..." with the
 * GPR names, fl, rip, es..gs for segment bases, mmio for mmio_linear).
 * The RAM seen through vtx_emu_ops (MOVS) is linear 0..1 MiB holding the
 * low byte of its own address.  After the case, every GPR, RIP and RFLAGS
 * must be as before except what .expect says ("rax=... rip=..." and
 * memN@ADDR=VAL for RAM); RIP defaults to RIP + length.
 */
#include <stdlib.h>
#include <string.h>
#include "test.h"
#include "hand.h"

#define RAM_SIZE	0x100000u

static u8 ram[RAM_SIZE];

static const char *const gpr_names[16] = {
	"rax", "rcx", "rdx", "rbx", "rsp", "rbp", "rsi", "rdi",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15"
};

static const char *const seg_names[VTX_EMU_NR_SEGS] = {
	"es", "cs", "ss", "ds", "fs", "gs"
};

static int ram_read(void *opaque, u64 linear, void *buf, unsigned int len)
{
	(void)opaque;
	if (linear + len > RAM_SIZE)
		return -EFAULT;
	memcpy(buf, ram + linear, len);
	return 0;
}

static int ram_write(void *opaque, u64 linear, const void *buf,
		     unsigned int len)
{
	(void)opaque;
	if (linear + len > RAM_SIZE)
		return -EFAULT;
	memcpy(ram + linear, buf, len);
	return 0;
}

const struct vtx_emu_ops hand_ram_ops = {
	.read_mem = ram_read,
	.write_mem = ram_write,
};

void hand_ram_reset(void)
{
	unsigned int i;

	for (i = 0; i < RAM_SIZE; i++)
		ram[i] = i;
}

unsigned int parse_hex(const char *s, u8 *b)
{
	unsigned int n = 0;
	char *end;

	while (*s) {
		b[n++] = strtoul(s, &end, 16);
		s = end;
		while (*s == ' ')
			s++;
	}
	return n;
}

/* Applies "key=value ..." to @e; false on an unknown key. */
static bool apply(struct vtx_emu *e, const char *spec, bool check,
		  char *why, size_t whysz)
{
	char buf[512], *tok, *save, *eq;
	unsigned int i, size;
	u64 v, addr, got;

	snprintf(buf, sizeof(buf), "%s", spec ? spec : "");
	for (tok = strtok_r(buf, " ", &save); tok;
	     tok = strtok_r(NULL, " ", &save)) {
		eq = strchr(tok, '=');
		if (!eq)
			goto bad;
		*eq = 0;
		v = strtoull(eq + 1, NULL, 0);
		if (!strncmp(tok, "mem", 3)) {
			size = strtoul(tok + 3, &eq, 10);
			addr = strtoull(eq + 1, NULL, 0);
			got = 0;
			if (!check || addr + size > RAM_SIZE || size > 8)
				goto bad;
			memcpy(&got, ram + addr, size);
			if (got != v) {
				snprintf(why, whysz, "RAM %#llx: %#llx",
					 (unsigned long long)addr,
					 (unsigned long long)got);
				return false;
			}
			continue;
		}
		for (i = 0; i < 16; i++)
			if (!strcmp(tok, gpr_names[i])) {
				e->gpr[i] = v;
				break;
			}
		if (i < 16)
			continue;
		for (i = 0; i < VTX_EMU_NR_SEGS; i++)
			if (!strcmp(tok, seg_names[i])) {
				e->seg_base[i] = v;
				break;
			}
		if (i < VTX_EMU_NR_SEGS && !check)
			continue;
		if (!strcmp(tok, "fl"))
			e->rflags = v;
		else if (!strcmp(tok, "rip"))
			e->rip = v;
		else if (!strcmp(tok, "mmio") && !check)
			e->mmio_linear = v;
		else
			goto bad;
	}
	return true;
bad:
	snprintf(why, whysz, "bad table entry near '%s'", tok);
	return false;
}

bool hand_setup(struct vtx_emu *e, unsigned int mode, const char *insn,
		const char *setup, char *why, size_t whysz)
{
	memset(e, 0, sizeof(*e));
	e->rflags = 0x2;
	e->rip = 0x1000;
	e->mode = mode;
	e->ops = &hand_ram_ops;
	e->insn_len_avail = parse_hex(insn, e->insn);
	hand_ram_reset();
	return apply(e, setup, false, why, whysz);
}

static bool run(const struct hand *h, char *why, size_t whysz)
{
	struct vtx_emu e, want;
	u64 val;
	int rc, i;

	if (!hand_setup(&e, h->mode, h->insn, h->setup, why, whysz))
		return false;
	want = e;
	want.rip = e.rip + h->len;
	if (h->mode == 32)
		want.rip = (u32)want.rip;
	rc = vtx_emu_decode(&e);
	if (rc) {
		snprintf(why, whysz, "decode %d", rc);
		return false;
	}
	if (e.len != h->len || e.access_bytes != h->bytes ||
	    e.is_write != (h->acc == 'w') || e.linear != h->linear ||
	    (h->acc == 'w' && e.write_val != h->wval)) {
		snprintf(why, whysz,
			 "decode: len %u access %u %s at %#llx val %#llx",
			 e.len, e.access_bytes, e.is_write ? "write" : "read",
			 (unsigned long long)e.linear,
			 (unsigned long long)e.write_val);
		return false;
	}
	/* Garbage above the access size must be ignored. */
	val = h->data;
	if (h->acc == 'w')
		val = 0x5a5a5a5a5a5a5a5aull;
	else if (h->bytes < 8)
		val = (h->data & ((1ull << (8 * h->bytes)) - 1)) |
		      (0xa5a5a5a5a5a5a5a5ull << (8 * h->bytes));
	rc = vtx_emu_complete(&e, val);
	if (h->acc == 'm') {
		if (rc != 1 || !e.is_write || e.linear != h->linear ||
		    e.access_bytes != h->bytes || e.write_val != h->wval) {
			snprintf(why, whysz,
				 "complete %d: %s %u at %#llx val %#llx", rc,
				 e.is_write ? "write" : "read", e.access_bytes,
				 (unsigned long long)e.linear,
				 (unsigned long long)e.write_val);
			return false;
		}
		rc = vtx_emu_complete(&e, 0);
	}
	if (rc) {
		snprintf(why, whysz, "complete %d", rc);
		return false;
	}
	if (!apply(&want, h->expect, true, why, whysz))
		return false;
	for (i = 0; i < 16; i++)
		if (e.gpr[i] != want.gpr[i]) {
			snprintf(why, whysz, "%s %#llx, expected %#llx",
				 gpr_names[i], (unsigned long long)e.gpr[i],
				 (unsigned long long)want.gpr[i]);
			return false;
		}
	if (e.rflags != want.rflags || e.rip != want.rip) {
		snprintf(why, whysz,
			 "rflags %#llx rip %#llx, expected %#llx %#llx",
			 (unsigned long long)e.rflags,
			 (unsigned long long)e.rip,
			 (unsigned long long)want.rflags,
			 (unsigned long long)want.rip);
		return false;
	}
	return true;
}

/* mode, bytes, setup, len, access, dir, linear, read data, write, expect */
static const struct hand cases[] = {
	/* ---- 32-bit protected mode ---- */
	{ 32, "89 03", "rbx=0x2000 rax=0x11223344",
	  2, 4, 'w', 0x2000, 0, 0x11223344, "" },
	{ 32, "66 89 03", "rbx=0x2000 rax=0x11223344",
	  3, 2, 'w', 0x2000, 0, 0x3344, "" },
	{ 32, "88 23", "rbx=0x2000 rax=0x11223344",		/* AH */
	  2, 1, 'w', 0x2000, 0, 0x33, "" },
	{ 32, "88 03", "rbx=0x2000 rax=0x11223344",
	  2, 1, 'w', 0x2000, 0, 0x44, "" },
	{ 32, "8b 44 24 08", "rsp=0x3000 ss=0x100000 rax=-1",	/* SS */
	  4, 4, 'r', 0x103008, 0xdeadbeef, 0, "rax=0xdeadbeef" },
	{ 32, "8b 45 fc", "rbp=0x2000 ss=0x10000 ds=0x5000",	/* SS */
	  3, 4, 'r', 0x11ffc, 0x12345678, 0, "rax=0x12345678" },
	{ 32, "3e 8b 45 fc", "rbp=0x2000 ss=0x10000 ds=0x5000",
	  4, 4, 'r', 0x6ffc, 0x12345678, 0, "rax=0x12345678" },
	{ 32, "8b 04 8d 00 10 00 00", "rcx=0x10 ds=0x5000",	/* [ecx*4+d32] */
	  7, 4, 'r', 0x6040, 1, 0, "rax=1" },
	{ 32, "8b 05 78 56 34 12", "",				/* no RIP-rel */
	  6, 4, 'r', 0x12345678, 7, 0, "rax=7" },
	{ 32, "a1 78 56 34 12", "",
	  5, 4, 'r', 0x12345678, 0x87654321, 0, "rax=0x87654321" },
	{ 32, "67 a1 34 12", "ds=0x100000",			/* moffs16 */
	  4, 4, 'r', 0x101234, 9, 0, "rax=9" },
	{ 32, "a2 00 20 00 00", "rax=0x55",
	  5, 1, 'w', 0x2000, 0, 0x55, "" },
	{ 32, "66 a3 00 20 00 00", "rax=0xaabbccdd",
	  6, 2, 'w', 0x2000, 0, 0xccdd, "" },
	{ 32, "64 8b 03", "fs=0x7000 rbx=0x100",
	  3, 4, 'r', 0x7100, 3, 0, "rax=3" },
	{ 32, "65 89 18", "gs=0x80000 rax=0x10 rbx=0xcafe",
	  3, 4, 'w', 0x80010, 0, 0xcafe, "" },
	{ 32, "0f b6 03", "rbx=0x2000 rax=0x11223344",
	  3, 1, 'r', 0x2000, 0x80, 0, "rax=0x80" },
	{ 32, "0f be 03", "rbx=0x2000 rax=0x11223344",
	  3, 1, 'r', 0x2000, 0x80, 0, "rax=0xffffff80" },
	{ 32, "66 0f be 03", "rbx=0x2000 rax=0x11223344",
	  4, 1, 'r', 0x2000, 0x80, 0, "rax=0x1122ff80" },
	{ 32, "0f bf 03", "rbx=0x2000",
	  3, 2, 'r', 0x2000, 0x8001, 0, "rax=0xffff8001" },
	{ 32, "0f b7 03", "rbx=0x2000",
	  3, 2, 'r', 0x2000, 0x8001, 0, "rax=0x8001" },
	{ 32, "c7 03 78 56 34 12", "rbx=0x2000",
	  6, 4, 'w', 0x2000, 0, 0x12345678, "" },
	{ 32, "66 c7 03 34 12", "rbx=0x2000",
	  5, 2, 'w', 0x2000, 0, 0x1234, "" },
	{ 32, "c6 43 10 ab", "rbx=0x2000",
	  4, 1, 'w', 0x2010, 0, 0xab, "" },
	{ 32, "01 03", "rbx=0x2000 rax=1",
	  2, 4, 'm', 0x2000, 0xffffffff, 0, "fl=0x57" },
	{ 32, "83 03 01", "rbx=0x2000",
	  3, 4, 'm', 0x2000, 0x7fffffff, 0x80000000, "fl=0x896" },
	{ 32, "80 3b 05", "rbx=0x2000",
	  3, 1, 'r', 0x2000, 3, 0, "fl=0x93" },
	{ 32, "f7 03 00 00 00 80", "rbx=0x2000 fl=0x8d7",
	  6, 4, 'r', 0x2000, 0x80000001, 0, "fl=0x86" },
	{ 32, "66 f7 03 00 80", "rbx=0x2000",
	  5, 2, 'r', 0x2000, 0x1234, 0, "fl=0x46" },
	{ 32, "87 03", "rbx=0x2000 rax=0x11223344",
	  2, 4, 'm', 0x2000, 0xaabbccdd, 0x11223344, "rax=0xaabbccdd" },
	{ 32, "f0 29 03", "rbx=0x2000 rax=7",
	  3, 4, 'm', 0x2000, 5, 0xfffffffe, "fl=0x93" },
	{ 32, "2b 03", "rbx=0x2000 rax=0x10",
	  2, 4, 'r', 0x2000, 0x10, 0, "rax=0 fl=0x46" },
	{ 32, "85 43 04", "rbx=0x2000 rax=0xff00",
	  3, 4, 'r', 0x2004, 0x0f0f, 0, "fl=0x6" },
	{ 32, "8b 04 24", "rsp=0x8000 ss=0x1000",
	  3, 4, 'r', 0x9000, 0x11, 0, "rax=0x11" },
	{ 32, "8b 84 24 00 01 00 00", "rsp=0x8000 ss=0x1000",
	  7, 4, 'r', 0x9100, 0x11, 0, "rax=0x11" },
	{ 32, "8b 44 25 10", "rbp=0x500 ss=0x1000",	/* SIB [ebp+d8] */
	  4, 4, 'r', 0x1510, 0x22, 0, "rax=0x22" },
	{ 32, "8b 04 25 00 30 00 00", "ds=0x1000 rbp=0x500",	/* [d32] */
	  7, 4, 'r', 0x4000, 0x33, 0, "rax=0x33" },
	{ 32, "8b 4c 58 fe", "rax=0x1000 rbx=0x10",	/* [eax+ebx*2-2] */
	  4, 4, 'r', 0x101e, 5, 0, "rcx=5" },
	{ 32, "8b 03", "rbx=0xfffffffc ds=0x10",	/* wraps at 4G */
	  2, 4, 'r', 0xc, 0x44, 0, "rax=0x44" },
	{ 32, "89 03", "rip=0xfffffffe rbx=0x2000",	/* EIP wraps */
	  2, 4, 'w', 0x2000, 0, 0, "rip=0" },
	{ 32, "81 6b 08 00 01 00 00", "rbx=0x2000",
	  7, 4, 'm', 0x2008, 0x100, 0, "fl=0x46" },
	{ 32, "10 03", "fl=0x3 rax=0xff rbx=0x2000",	/* ADC */
	  2, 1, 'm', 0x2000, 0, 0, "fl=0x57" },
	{ 32, "1b 03", "fl=0x3 rbx=0x2000",		/* SBB */
	  2, 4, 'r', 0x2000, 0, 0, "rax=0xffffffff fl=0x97" },
	{ 32, "86 63 01", "rax=0x1234 rbx=0x2000",	/* XCHG AH */
	  3, 1, 'm', 0x2001, 0x56, 0x12, "rax=0x5634" },
	{ 32, "a5", "rsi=0x100 rdi=0x200 ds=0x10000 es=0x20000 mmio=0x10100",
	  1, 4, 'r', 0x10100, 0xdeadbeef, 0,
	  "rsi=0x104 rdi=0x204 mem4@0x20200=0xdeadbeef" },
	{ 32, "f3 a5",
	  "rsi=0x100 rdi=0x200 rcx=3 ds=0x10000 es=0x20000 mmio=0x20200",
	  2, 4, 'w', 0x20200, 0, 0x03020100,
	  "rsi=0x104 rdi=0x204 rcx=2 rip=0x1000" },
	{ 32, "f3 ab", "fl=0x402 rax=0x12345678 rdi=0x200 rcx=1 es=0x20000",
	  2, 4, 'w', 0x20200, 0, 0x12345678, "rdi=0x1fc rcx=0" },
	{ 32, "66 ab", "rax=0x12345678 rdi=0x200",
	  2, 2, 'w', 0x200, 0, 0x5678, "rdi=0x202" },
	{ 32, "67 aa", "rax=0x77 rdi=0x1234ffff es=0x30000",	/* DI wraps */
	  2, 1, 'w', 0x3ffff, 0, 0x77, "rdi=0x12340000" },
	{ 32, "ac", "rsi=0x300 rax=0x11223344",
	  1, 1, 'r', 0x300, 0x99, 0, "rax=0x11223399 rsi=0x301" },
	{ 32, "26 ad", "rsi=0x300 es=0x40000",
	  2, 4, 'r', 0x40300, 0xcafebabe, 0, "rax=0xcafebabe rsi=0x304" },
	{ 32, "f3 66 a5", "rsi=0x100 rdi=0x200 rcx=2 mmio=0x100",
	  3, 2, 'r', 0x100, 0xbeef, 0,
	  "rsi=0x102 rdi=0x202 rcx=1 rip=0x1000 mem2@0x200=0xbeef" },
	/* across a page boundary: one access, the caller splits it */
	{ 32, "89 03", "rbx=0xffe rax=0x11223344",
	  2, 4, 'w', 0xffe, 0, 0x11223344, "" },
	{ 32, "8b 03", "rbx=0x1ffd",
	  2, 4, 'r', 0x1ffd, 0xaabbccdd, 0, "rax=0xaabbccdd" },
	/* MOVS whose fault is on the second page of the source */
	{ 32, "a5", "rsi=0x1ffe rdi=0x300 mmio=0x2000",
	  1, 4, 'r', 0x1ffe, 0xcafef00d, 0,
	  "rsi=0x2002 rdi=0x304 mem4@0x300=0xcafef00d" },
	/* JMP/CALL through memory: RIP is the target */
	{ 32, "ff 23", "rbx=0x2000 mmio=0x2000",
	  2, 4, 'r', 0x2000, 0x5000, 0, "rip=0x5000" },
	{ 32, "ff 13", "rbx=0x2000 rsp=0x3000 ss=0x10000 mmio=0x2000",
	  2, 4, 'r', 0x2000, 0x5000, 0,
	  "rip=0x5000 rsp=0x2ffc mem4@0x12ffc=0x1002" },

	/* ---- 16-bit code (real mode) ---- */
	{ 16, "ff 27", "rbx=0x100 ds=0x10000 mmio=0x10100",
	  2, 2, 'r', 0x10100, 0x1234, 0, "rip=0x1234" },
	{ 16, "ff 37", "rbx=0x100 ds=0x10000 rsp=0x200 ss=0x20000 mmio=0x10100",
	  2, 2, 'r', 0x10100, 0xbeef, 0, "rsp=0x1fe mem2@0x201fe=0xbeef" },
	{ 16, "8f 07", "rbx=0x100 ds=0x10000 rsp=0x200 ss=0x20000 mmio=0x10100",
	  2, 2, 'w', 0x10100, 0, 0x0100, "rsp=0x202" },
	{ 16, "89 07", "rax=0x11223344 rbx=0x100 ds=0x10000",
	  2, 2, 'w', 0x10100, 0, 0x3344, "" },
	{ 16, "66 89 07", "rax=0x11223344 rbx=0x100 ds=0x10000",
	  3, 4, 'w', 0x10100, 0, 0x11223344, "" },
	{ 16, "89 00", "rbx=0x100 rsi=0x20 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x10120, 0, 0, "" },
	{ 16, "89 01", "rbx=0x100 rdi=0x30 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x10130, 0, 0, "" },
	{ 16, "89 02", "rbp=0x100 rsi=0x20 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x20120, 0, 0, "" },
	{ 16, "89 03", "rbp=0x100 rdi=0x30 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x20130, 0, 0, "" },
	{ 16, "89 04", "rsi=0x40 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x10040, 0, 0, "" },
	{ 16, "89 05", "rdi=0x50 ds=0x10000 ss=0x20000",
	  2, 2, 'w', 0x10050, 0, 0, "" },
	{ 16, "89 06 34 12", "rbp=0x100 ds=0x10000 ss=0x20000",	/* [d16] */
	  4, 2, 'w', 0x11234, 0, 0, "" },
	{ 16, "89 46 fe", "rbp=0x100 ds=0x10000 ss=0x20000",
	  3, 2, 'w', 0x200fe, 0, 0, "" },
	{ 16, "89 47 10", "rbx=0x100 ds=0x10000 ss=0x20000",
	  3, 2, 'w', 0x10110, 0, 0, "" },
	{ 16, "89 87 00 80", "rbx=0x9000 ds=0x10000",	/* wraps at 64K */
	  4, 2, 'w', 0x11000, 0, 0, "" },
	{ 16, "8a 80 ff ff", "ds=0x10000 rax=0x1234",	/* [bx+si-1] */
	  4, 1, 'r', 0x1ffff, 0x5a, 0, "rax=0x125a" },
	{ 16, "26 89 07", "rbx=0x100 ds=0x10000 es=0x30000",
	  3, 2, 'w', 0x30100, 0, 0, "" },
	{ 16, "3e 89 46 00", "rbp=0x100 ds=0x10000 ss=0x20000",
	  4, 2, 'w', 0x10100, 0, 0, "" },
	{ 16, "67 89 03", "rbx=0x12345 ds=0x10000",	/* 32-bit address */
	  3, 2, 'w', 0x22345, 0, 0, "" },
	{ 16, "67 89 04 8b", "rbx=0x100 rcx=0x10 ds=0x10000",
	  4, 2, 'w', 0x10140, 0, 0, "" },
	{ 16, "66 67 8b 44 24 04", "rsp=0x10 ss=0x20000",
	  6, 4, 'r', 0x20014, 0x89abcdef, 0, "rax=0x89abcdef" },
	{ 16, "a1 34 12", "ds=0x10000 rax=0x11223344",
	  3, 2, 'r', 0x11234, 0xbeef, 0, "rax=0x1122beef" },
	{ 16, "66 a1 34 12", "ds=0x10000",
	  4, 4, 'r', 0x11234, 0xfeedbeef, 0, "rax=0xfeedbeef" },
	{ 16, "67 a1 78 56 01 00", "ds=0x10000",	/* moffs32 */
	  6, 2, 'r', 0x25678, 0x4242, 0, "rax=0x4242" },
	{ 16, "8b 1e 00 01", "ds=0x10000 rbx=0x55550000",
	  4, 2, 'r', 0x10100, 0x4321, 0, "rbx=0x55554321" },
	{ 16, "c7 07 34 12", "rbx=0x100 ds=0x10000",
	  4, 2, 'w', 0x10100, 0, 0x1234, "" },
	{ 16, "66 c7 07 78 56 34 12", "rbx=0x100 ds=0x10000",
	  7, 4, 'w', 0x10100, 0, 0x12345678, "" },
	{ 16, "81 07 34 12", "rbx=0x100 ds=0x10000",
	  4, 2, 'm', 0x10100, 0xedcc, 0, "fl=0x57" },
	{ 16, "83 2f 01", "rbx=0x100 ds=0x10000",
	  3, 2, 'm', 0x10100, 0, 0xffff, "fl=0x97" },
	{ 16, "0f b6 07", "rbx=0x100 ds=0x10000 rax=0x11223344",
	  3, 1, 'r', 0x10100, 0xff, 0, "rax=0x112200ff" },
	{ 16, "66 0f b7 07", "rbx=0x100 ds=0x10000 rax=-1",
	  4, 2, 'r', 0x10100, 0x8001, 0, "rax=0x8001" },
	{ 16, "f7 06 00 01 ff 00", "ds=0x10000 fl=0x8d7",
	  6, 2, 'r', 0x10100, 0x0100, 0, "fl=0x46" },
	{ 16, "84 27", "rax=0x8000 rbx=0x100 ds=0x10000",	/* TEST AH */
	  2, 1, 'r', 0x10100, 0x80, 0, "fl=0x82" },
	{ 16, "38 47 01", "rax=0x01 rbx=0x100 ds=0x10000",
	  3, 1, 'r', 0x10101, 0x80, 0, "fl=0x812" },
	{ 16, "3a 07", "rax=0x10 rbx=0x100 ds=0x10000",
	  2, 1, 'r', 0x10100, 0x10, 0, "fl=0x46" },
	{ 16, "86 07", "rax=0xaa rbx=0x100 ds=0x10000",
	  2, 1, 'm', 0x10100, 0x55, 0xaa, "rax=0x55" },
	{ 16, "a4", "rsi=0x10 rdi=0x20 ds=0x10000 es=0x30000 mmio=0x10010",
	  1, 1, 'r', 0x10010, 0x42, 0,
	  "rsi=0x11 rdi=0x21 mem1@0x30020=0x42" },
	{ 16, "f3 a4",
	  "rsi=0x10 rdi=0x20 rcx=2 ds=0x10000 es=0x30000 mmio=0x10010",
	  2, 1, 'r', 0x10010, 0x42, 0,
	  "rsi=0x11 rdi=0x21 rcx=1 rip=0x1000 mem1@0x30020=0x42" },
	{ 16, "f3 a5",	/* DF=1, CX (not ECX) counts, SI/DI wrap */
	  "fl=0x402 rsi=0 rdi=0 rcx=0x10001 ds=0x10000 es=0x30000 mmio=0x30000",
	  2, 2, 'w', 0x30000, 0, 0x0100,
	  "rsi=0xfffe rdi=0xfffe rcx=0x10000" },
	{ 16, "26 a4", "rsi=0x10 rdi=0x20 ds=0x10000 es=0x30000 mmio=0x30010",
	  2, 1, 'r', 0x30010, 0x42, 0,
	  "rsi=0x11 rdi=0x21 mem1@0x30020=0x42" },
	{ 16, "66 ab", "rax=0x12345678 rdi=0xfffc es=0x30000",
	  2, 4, 'w', 0x3fffc, 0, 0x12345678, "rdi=0" },
};

void test_hand(void)
{
	unsigned int i, mode;
	char why[200];

	for (mode = 32; mode >= 16; mode -= 16) {
		class_begin(mode == 32 ? "hand32" : "hand16");
		for (i = 0; i < ARRAY_SIZE(cases); i++) {
			const struct hand *h = &cases[i];
			bool ok;

			if (h->mode != mode)
				continue;
			why[0] = 0;
			ok = run(h, why, sizeof(why));
			tap(ok, "hand%u %s  [%s]", mode, h->insn, h->setup);
			if (!ok)
				diag("%s", why);
		}
	}
}
