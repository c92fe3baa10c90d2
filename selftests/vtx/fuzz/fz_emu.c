// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-emu-fuzz: the MMIO instruction emulator (module/emulate.c, compiled
 * as is) against random instruction bytes and CPU state, checking the
 * contract written in module/emulate.h:
 *   - decode returns 0, -EINVAL or -EFAULT, nothing else;
 *   - on success: 1 <= len <= the bytes available (and 15), access size
 *     1, 2, 4 or 8 (it may cross a page: the caller splits it),
 *     GPRs/RIP/RFLAGS unchanged;
 *   - complete returns 0, 1, -EFAULT or -EINVAL; at most two accesses;
 *     after a failure the CPU state is unchanged;
 *   - it never reads outside insn[insn_len_avail] (the ASan build checks
 *     memory, the UBSan build undefined behaviour).
 * Runs in the test VM (static) and on the build host (make emu-host).
 *
 *   vtx-emu-fuzz [--seed N] [--count N]
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "emulate.h"
#include "fz.h"

static struct rng r;
static uint64_t n_ok, n_einval, n_efault, n_two, n_fail;

static int ops_read(void *opaque, u64 linear, void *buf, unsigned int len)
{
	if (len > 8)
		return -99;	/* the emulator never asks for more */
	switch (rnd(&r, 8)) {
	case 0:
		return -EFAULT;
	default:
		rnd_fill(&r, buf, len);
		return 0;
	}
}

static int ops_write(void *opaque, u64 linear, const void *buf,
		     unsigned int len)
{
	if (len > 8)
		return -99;
	switch (rnd(&r, 6)) {
	case 0:
		return -EFAULT;
	case 1:
		return VTX_EMU_OPS_MMIO;
	default:
		return 0;
	}
}

static const struct vtx_emu_ops ops = { ops_read, ops_write };

static void dump(const char *why, const struct vtx_emu *e0, int ret)
{
	int i;

	n_fail++;
	if (n_fail > 20)
		return;
	printf("FAIL: %s (ret %d): mode %u avail %u bytes", why, ret, e0->mode,
	       e0->insn_len_avail);
	for (i = 0; i < VTX_EMU_MAX_INSN; i++)
		printf(" %02x", e0->insn[i]);
	printf("\n");
}

/*
 * An access the emulator may ask for: 1, 2, 4 or 8 bytes, 6 for the
 * m16:32 far pointer of LDS/LES/LSS/LFS/LGS and far JMP/CALL (one access,
 * as KVM's), 10 for m16:64 (REX.W; in e->wide, two device reads).
 */
#define FAR_PTR_BYTES	6
#define FAR_PTR64_BYTES	10

static bool access_size_ok(const struct vtx_emu *e)
{
	switch (e->access_bytes) {
	case 1:
	case 2:
	case 4:
	case 8:
	case FAR_PTR_BYTES:
	case FAR_PTR64_BYTES:
		return true;
	}
	return false;
}

static void gen_insn(struct vtx_emu *e)
{
	static const u8 prefixes[] = {
		0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2,
		0xf3, 0x40, 0x48, 0x4f, 0x41, 0x44,
	};
	static const u8 ops1[] = {
		0x00, 0x01, 0x02, 0x03, 0x08, 0x0b, 0x10, 0x13, 0x18, 0x1b,
		0x20, 0x23, 0x28, 0x2b, 0x30, 0x33, 0x38, 0x3b, 0x63, 0x80,
		0x81, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88, 0x89, 0x8a, 0x8b,
		0xa0, 0xa1, 0xa2, 0xa3, 0xa4, 0xa5, 0xaa, 0xab, 0xac, 0xad,
		0xc6, 0xc7, 0xf6, 0xf7, 0x0f, 0x0f,
	};
	int n = 0, k;

	rnd_fill(&r, e->insn, VTX_EMU_MAX_INSN);
	if (chance(&r, 1, 8))
		return;			/* all random */
	k = rnd(&r, 5);
	while (k-- > 0 && n < VTX_EMU_MAX_INSN)
		e->insn[n++] = prefixes[rnd(&r, sizeof(prefixes))];
	if (n < VTX_EMU_MAX_INSN)
		e->insn[n++] = ops1[rnd(&r, sizeof(ops1))];
	if (n < VTX_EMU_MAX_INSN && e->insn[n - 1] == 0x0f)
		e->insn[n++] = (u8[]){ 0xb6, 0xb7, 0xbe, 0xbf, 0x01,
				       0xa3 }[rnd(&r, 6)];
	if (n < VTX_EMU_MAX_INSN && chance(&r, 1, 2))	/* memory ModRM */
		e->insn[n] &= 0xbf;
}

static void one(void)
{
	struct vtx_emu e, e0;
	u64 gpr[VTX_EMU_NR_GPRS], rip, rfl;
	int ret, i, accesses;
	u64 val, first = 0, near;

	memset(&e, 0, sizeof(e));
	for (i = 0; i < VTX_EMU_NR_GPRS; i++)
		e.gpr[i] = chance(&r, 1, 2) ? rnd_interesting(&r) :
			   rnd(&r, 0x10000);
	e.rip = chance(&r, 3, 4) ? rnd(&r, 0x10000) : rnd_interesting(&r);
	e.rflags = rng_next(&r);
	e.mode = chance(&r, 15, 16) ? (u8[]){ 16, 32, 64 }[rnd(&r, 3)] :
		 rng_next(&r);
	for (i = 0; i < VTX_EMU_NR_SEGS; i++)
		e.seg_base[i] = chance(&r, 1, 2) ? 0 : rnd_interesting(&r);
	gen_insn(&e);
	e.insn_len_avail = chance(&r, 3, 4) ? VTX_EMU_MAX_INSN :
			   (chance(&r, 7, 8) ? rnd(&r, 16) : rng_next(&r));
	e.mmio_linear = rnd_interesting(&r);
	e.ops = chance(&r, 15, 16) ? &ops : NULL;
	e0 = e;

	ret = vtx_emu_decode(&e);
	/* a MOVS needs the faulting side: try again with it */
	if (ret == -EINVAL && e.linear && chance(&r, 1, 2)) {
		e = e0;
		e.mmio_linear = e0.seg_base[3] + e0.gpr[6];
		e0 = e;
		ret = vtx_emu_decode(&e);
	}
	memcpy(gpr, e0.gpr, sizeof(gpr));
	rip = e0.rip;
	rfl = e0.rflags;
	if (memcmp(e.gpr, gpr, sizeof(gpr)) || e.rip != rip || e.rflags != rfl) {
		dump("decode changed the CPU state", &e0, ret);
		return;
	}
	if (ret == -EINVAL) {
		n_einval++;
		return;
	}
	if (ret == -EFAULT) {
		n_efault++;
		return;
	}
	if (ret) {
		dump("decode returned an undocumented value", &e0, ret);
		return;
	}
	if (!e.len || e.len > VTX_EMU_MAX_INSN ||
	    e.len > (e0.insn_len_avail < 15 ? e0.insn_len_avail : 15)) {
		dump("bad instruction length", &e0, e.len);
		return;
	}
	if (!access_size_ok(&e)) {
		dump("bad access size", &e0, e.access_bytes);
		return;
	}
	/*
	 * An access may cross a page: mmio.c splits it into one device
	 * access per page, as KVM does (the emulator no longer refuses it).
	 */
	for (accesses = 1; accesses <= 3; accesses++) {
		struct vtx_emu before = e;

		val = rng_next(&r);
		if (accesses == 1)
			first = val;
		ret = vtx_emu_complete(&e, val);
		if (ret == 1) {
			if (!access_size_ok(&e)) {
				dump("bad second access size", &e0, ret);
				return;
			}
			continue;
		}
		if (ret < 0) {
			if (ret != -EFAULT && ret != -EINVAL)
				dump("complete returned an undocumented value",
				     &e0, ret);
			else if (memcmp(e.gpr, before.gpr, sizeof(gpr)) ||
				 e.rip != before.rip)
				dump("a failed completion changed the state",
				     &e0, ret);
			return;
		}
		if (ret) {
			dump("complete returned an undocumented value", &e0, ret);
			return;
		}
		/* only a far pointer load or far JMP/CALL reads 6 or 10 */
		if ((before.access_bytes == FAR_PTR_BYTES ||
		     before.access_bytes == FAR_PTR64_BYTES) &&
		    !e.seg_load && !e.far_jmp) {
			dump("a far pointer's access without a segment load",
			     &e0, before.access_bytes);
			return;
		}
		break;
	}
	if (accesses > 2) {
		dump("more than two accesses", &e0, accesses);
		return;
	}
	if (accesses == 2)
		n_two++;
	/*
	 * A completed instruction moved RIP by its length, or not at all
	 * (a REP element with work left); a far JMP or CALL to its offset,
	 * a near one through memory to the value its first access read (at
	 * the operand size; CALL's second access is the push).
	 */
	near = first & (e.op_bytes >= 8 ? ~0ULL :
			(1ULL << (e.op_bytes * 8)) - 1);
	if (!e.far_jmp && e.rip != rip && e.rip != rip + e.len &&
	    e.rip != near &&
	    !(e0.mode == 32 && e.rip == (u32)(rip + e.len))) {
		dump("RIP moved by something else than the length", &e0, 0);
		return;
	}
	n_ok++;
}

int main(int argc, char **argv)
{
	uint64_t seed = 1, count = 200000, i;

	for (i = 1; i < (uint64_t)argc; i++) {
		if (!strcmp(argv[i], "--seed") && i + 1 < (uint64_t)argc)
			seed = strtoull(argv[++i], NULL, 0);
		else if (!strcmp(argv[i], "--count") && i + 1 < (uint64_t)argc)
			count = strtoull(argv[++i], NULL, 0);
	}
	rng_seed(&r, seed);
	for (i = 0; i < count && n_fail < 100; i++)
		one();
	printf("# emulator: %" PRIu64 " cases: %" PRIu64 " emulated (%" PRIu64
	       " with two accesses), %" PRIu64 " refused (EINVAL), %" PRIu64
	       " EFAULT\n", i, n_ok, n_two, n_einval, n_efault);
	printf("%s: emu-fuzz seed=0x%" PRIx64 " cases=%" PRIu64 " failures=%"
	       PRIu64 "\n", n_fail ? "FAIL" : "PASS", seed, i, n_fail);
	return n_fail ? 1 : 0;
}
