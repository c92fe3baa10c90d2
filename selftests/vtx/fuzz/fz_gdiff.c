// SPDX-License-Identifier: GPL-2.0
/*
 * vtx-guest-fuzz --diff: the MMIO differential of the guest fuzzer.
 *
 * Two VMs per mode run the same random instruction from the same state.
 * In the reference VM its memory operands are on RAM: the processor runs
 * it (in the test VM, Bochs's).  In the other the same guest-physical
 * window is MMIO, answered by this program from a shadow of the reference
 * VM's bytes: the driver's instruction emulator runs it.  After the
 * instruction (HLT) or the exception it raised (the handler's report),
 * the two VMs' registers, RFLAGS, CR2, x87/MMX/SSE registers, window,
 * stack and handler stack (the exception frame: error code, RFLAGS with
 * RF) must be equal, bit for bit.
 *
 * The window, 6 pages at WIN_GPA, in the MMIO VM:
 *   page 0, 1   MMIO          page 2  RAM (a split access: half MMIO)
 *   page 3      MMIO, read-only in the guest page tables
 *   page 4      not present in the guest page tables
 *   page 5      MMIO, supervisor-only in the guest page tables
 * (all RAM in the reference VM; real mode has no paging).  DS, ES, FS and
 * GS have their base at the window (in 64-bit mode FS and GS only), so
 * that 16-bit addressing reaches it too.
 *
 * The instructions are the classes of the emulator (api.rst 7.x): ALU,
 * TEST, MOV (also moffs), XCHG, MOVZX/MOVSX/MOVSXD, INC/DEC/NOT/NEG, the
 * shifts and rotates, BT*, SETcc, CMPXCHG, CMPXCHG8B/16B, XADD, MOVBE,
 * PUSH/POP m, CALL/JMP m, the SSE and MMX moves, MUL/IMUL/DIV/IDIV (and
 * their #DE), IMUL Gv,Ev(,imm), CMOVcc, SHLD/SHRD, BSF/BSR,
 * POPCNT/TZCNT/LZCNT (a source of 0 a quarter of the time) and the string
 * instructions with REP and both directions -- with random ModRM forms
 * (16-bit, SIB, RIP-relative), segment overrides, operand- and
 * address-size prefixes, REX and LOCK.
 *
 * Counted: instructions run, those with at least one MMIO exit of the
 * window in the MMIO VM (emulated), those not comparable (an emulation
 * failure or a timeout in either VM) and the differences, each printed
 * with its instruction bytes and the first field that differs.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fz.h"
#include "fz_gdiff.h"

#define WIN_GPA		((uint64_t)0x40000)
#define WIN_PAGES	6
#define WIN_SIZE	(WIN_PAGES * PAGE_SIZE)
#define WIN_RAM_PAGE	2	/* RAM in both VMs */
#define WIN_RO_PAGE	3
#define WIN_NP_PAGE	4
#define WIN_SUP_PAGE	5
#define PT_OFF		(FZ_PT_GPA + 0x6000)	/* the PT of [0, 2 MiB) */

#define RFL_PF		0x4ULL
#define RFL_AF		0x10ULL
#define RFL_SF		0x80ULL
#define RFL_OF		0x800ULL
#define RFL_CF		0x1ULL
#define RFL_ZF		0x40ULL
/* bit 47 set, 63:48 clear: non-canonical with 4-level paging */
#define NONCANON	0x0000800000000000ULL

#define PTE_P		(1ULL << 0)
#define PTE_RW		(1ULL << 1)
#define PTE_US		(1ULL << 2)
#define PTE_A		(1ULL << 5)
#define PTE_D		(1ULL << 6)
#define PTE_NX		(1ULL << 63)

/*
 * After the instruction: "out %al, $DONE_PORT" (allowed at CPL 3 by the
 * TSS's I/O bitmap, unlike HLT), repeated; a CALL/JMP m target is one of
 * them at DONE_PAD or above.
 */
#define DONE_PORT	0xf6
#define DONE_PAD	0x1000

struct dvm {
	int vm, vcpu;
	struct kvm_run *run;
	size_t run_size;
	uint8_t *low;		/* [0, FZ_LOW_END) */
	uint8_t *win;		/* the window: RAM, or the MMIO shadow */
	bool pending;		/* the last case stopped inside an exit */
};

struct dstate {
	struct kvm_regs rg;
	struct kvm_sregs sr;
	struct kvm_fpu fpu;
	int end;		/* END_* */
	uint32_t report;
	uint64_t win_exits, other_exits;
	uint32_t suberror, exit_reason;
	long ret;
};

enum { END_HLT, END_REPORT, END_EMUL_FAIL, END_TIMEOUT, END_OTHER };
static const char *const end_names[] = {
	"done", "exception", "emulation-failure", "timeout", "other",
};

static struct dstats {
	uint64_t insns, emulated, differences, incomparable, emul_fail;
	uint64_t timeouts, exceptions, win_exits, split, exc_vec[32];
	uint64_t undef_flags, entry_fail, gaps, call_push;
	double secs;
} dst[FZ_NR_MODES];
static uint64_t n_printed;
#define MAX_PRINTED	25

static long dslot(int vm, uint32_t slot, uint32_t flags, uint64_t gpa,
		  uint64_t size, void *hva)
{
	return fz_set_slot(vm, slot, flags, gpa, size, hva);
}

/* Page-table entries of the window, for the paging modes. */
static void window_ptes(uint8_t *low)
{
	uint64_t *pt = (uint64_t *)(low + PT_OFF);
	int i;

	for (i = 0; i < WIN_PAGES; i++) {
		uint64_t v = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D | PTE_NX;

		if (i == WIN_RO_PAGE)
			v &= ~PTE_RW;
		else if (i == WIN_NP_PAGE)
			v = 0;
		else if (i == WIN_SUP_PAGE)
			v &= ~PTE_US;
		pt[(WIN_GPA >> 12) + i] = (WIN_GPA + i * PAGE_SIZE) | v;
	}
}

/*
 * The VMs' memslots.  The guest page tables (FZ_PT_GPA up to FZ_LOW_END)
 * have a writable slot of their own, although the guest maps them
 * supervisor read-only under CR0.WP and never writes them: with EPT
 * accessed/dirty flags on (kvm_intel turns them on where the processor
 * has them, as Bochs's Haswell model does) the processor treats every
 * access to a guest paging structure as a write for EPT, so page tables
 * in a read-only slot took an EPT violation on every walk and KVM emulated
 * each instruction of the reference VM itself.  Its emulator then read
 * the second half of a page-crossing access at the faulting walk's GPA
 * (the PML4 entry at 0x10000: offset 0 matches, x86.c's gpa_val shortcut)
 * instead of the window: long-mode case 858 of seed 1.
 */
static int dvm_create(struct dvm *d, int dev, enum fz_mode mode, bool ref)
{
	struct kvm_cpuid2 *c;
	long sz;
	int i;

	memset(d, 0, sizeof(*d));
	d->vm = xioctl(dev, KVM_CREATE_VM, 0);
	if (d->vm < 0)
		return -1;
	d->low = mmap(NULL, FZ_LOW_END + WIN_SIZE, PROT_READ | PROT_WRITE,
		      MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (d->low == MAP_FAILED)
		return -1;
	d->win = d->low + FZ_LOW_END;
	fz_build_tables(d->low, NULL, true, false);
	if (mode == FZ_PROT32)
		fz_build_idt32(d->low);
	memcpy(d->low + FZ_HCODE_GPA, mode == FZ_REAL ? fz_h16 :
	       mode == FZ_PROT32 ? fz_h32 : fz_h64,
	       mode == FZ_REAL ? fz_h16_end - fz_h16 : mode == FZ_PROT32 ?
	       fz_h32_end - fz_h32 : fz_h64_end - fz_h64);
	window_ptes(d->low);
	if (dslot(d->vm, 0, KVM_MEM_READONLY, 0, FZ_HDATA_GPA, d->low) ||
	    dslot(d->vm, 1, 0, FZ_HDATA_GPA, PAGE_SIZE,
		  d->low + FZ_HDATA_GPA) ||
	    dslot(d->vm, 2, KVM_MEM_READONLY, FZ_CODE_GPA, FZ_CODE_SIZE,
		  d->low + FZ_CODE_GPA) ||
	    dslot(d->vm, 3, 0, FZ_STACK_GPA, PAGE_SIZE,
		  d->low + FZ_STACK_GPA) ||
	    dslot(d->vm, 4, KVM_MEM_READONLY, FZ_FILL_GPA,
		  FZ_PT_GPA - FZ_FILL_GPA, d->low + FZ_FILL_GPA) ||
	    dslot(d->vm, 7, 0, FZ_PT_GPA, FZ_LOW_END - FZ_PT_GPA,
		  d->low + FZ_PT_GPA))
		return -1;
	/* the real-mode IVT: the same table at its own slot */
	if (mode == FZ_REAL) {
		uint8_t *ivt = mmap(NULL, PAGE_SIZE, PROT_READ | PROT_WRITE,
				    MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		if (ivt == MAP_FAILED)
			return -1;
		fz_build_tables(d->low, ivt, true, false);
		window_ptes(d->low);
		if (dslot(d->vm, 5, KVM_MEM_READONLY, FZ_IVT_GPA, PAGE_SIZE,
			  ivt))
			return -1;
	}
	if (ref) {
		if (dslot(d->vm, 6, 0, WIN_GPA, WIN_SIZE, d->win))
			return -1;
	} else {
		i = WIN_RAM_PAGE;
		if (dslot(d->vm, 6, 0, WIN_GPA + i * PAGE_SIZE, PAGE_SIZE,
			  d->win + i * PAGE_SIZE))
			return -1;
	}
	d->vcpu = xioctl(d->vm, KVM_CREATE_VCPU, 0);
	if (d->vcpu < 0)
		return -1;
	sz = xioctl(dev, KVM_GET_VCPU_MMAP_SIZE, 0);
	d->run_size = sz > 0 ? sz : 2 * PAGE_SIZE;
	d->run = mmap(NULL, d->run_size, PROT_READ | PROT_WRITE, MAP_SHARED,
		      d->vcpu, 0);
	if (d->run == MAP_FAILED)
		return -1;
	c = calloc(1, sizeof(*c) + 100 * sizeof(struct kvm_cpuid_entry2));
	c->nent = 100;
	if (!xioctl(dev, KVM_GET_SUPPORTED_CPUID, (unsigned long)c))
		xioctl(d->vcpu, KVM_SET_CPUID2, (unsigned long)c);
	free(c);
	return 0;
}

static void dvm_destroy(struct dvm *d)
{
	if (d->run && d->run != MAP_FAILED)
		munmap(d->run, d->run_size);
	if (d->vcpu > 0)
		close(d->vcpu);
	if (d->vm > 0)
		close(d->vm);
	if (d->low && d->low != MAP_FAILED)
		munmap(d->low, FZ_LOW_END + WIN_SIZE);
}

/* ---------------------------------------------------------- generator */

/* form flags */
#define FF_LOCK		0x001	/* LOCK allowed */
#define FF_W		0x002	/* REX.W allowed */
#define FF_NO66		0x004	/* no operand-size prefix */
#define FF_BITREG	0x008	/* BT* Ev,Gv: the register offsets the address */
#define FF_ALIGN		0x010	/* 16-byte aligned, mostly */
#define FF_STACK		0x020	/* PUSH/POP m */
#define FF_BRANCH	0x040	/* CALL/JMP m: a target in memory */
#define FF_64		0x080	/* 64-bit mode only */
#define FF_ACC		0x100	/* CMPXCHG: rAX matches memory, half the time */
#define FF_8B		0x200	/* CMPXCHG8B/16B: EDX:EAX, half the time */
#define FF_BYTE		0x400	/* byte operand */
#define FF_SHIFT	0x800	/* group 2: OF (count > 1) and AF undefined */
#define FF_BT		0x1000	/* BT*: OF, SF, AF and PF undefined */
#define FF_MULDIV	0x2000	/* group 3 /4-/7: MUL, IMUL, DIV, IDIV */
#define FF_IMUL		0x4000	/* IMUL Gv,Ev(,imm): SF, ZF, AF, PF undefined */
#define FF_CMOV		0x8000	/* CMOVcc: + cc */
#define FF_SHXD		0x10000	/* SHLD/SHRD: OF, AF undefined; by Ib or CL */
#define FF_BSX		0x20000	/* BSF/BSR: all flags but ZF undefined */
#define FF_CNT		0x40000	/* BSF ... LZCNT: a source of 0, a quarter */
#define FF_CNTF		0x80000	/* TZCNT/LZCNT: OF, SF, AF, PF undefined */

/* immediates */
enum { I_NONE, I_8, I_Z };

struct form {
	uint8_t op[4], oplen;
	uint8_t regmask;	/* ModRM.reg values allowed */
	uint8_t imm;
	uint32_t flags;
};

#define ALL	0xff
static const struct form forms[] = {
	/* 00-3b: the ALU rows, filled in by alu_form() */
	{ { 0x80 }, 1, ALL, I_8, FF_LOCK | FF_BYTE },
	{ { 0x81 }, 1, ALL, I_Z, FF_LOCK | FF_W },
	{ { 0x83 }, 1, ALL, I_8, FF_LOCK | FF_W },
	{ { 0x84 }, 1, ALL, I_NONE, FF_BYTE },
	{ { 0x85 }, 1, ALL, I_NONE, FF_W },
	{ { 0x86 }, 1, ALL, I_NONE, FF_LOCK | FF_BYTE },
	{ { 0x87 }, 1, ALL, I_NONE, FF_LOCK | FF_W },
	{ { 0x88 }, 1, ALL, I_NONE, FF_BYTE },
	{ { 0x89 }, 1, ALL, I_NONE, FF_W },
	{ { 0x8a }, 1, ALL, I_NONE, FF_BYTE },
	{ { 0x8b }, 1, ALL, I_NONE, FF_W },
	{ { 0xc6 }, 1, 0x01, I_8, FF_BYTE },
	{ { 0xc7 }, 1, 0x01, I_Z, FF_W },
	{ { 0xf6 }, 1, 0x03, I_8, FF_BYTE },		/* TEST (/1 too) */
	{ { 0xf7 }, 1, 0x03, I_Z, FF_W },
	{ { 0xf6 }, 1, 0x0c, I_NONE, FF_LOCK | FF_BYTE },	/* NOT, NEG */
	{ { 0xf7 }, 1, 0x0c, I_NONE, FF_LOCK | FF_W },
	{ { 0xfe }, 1, 0x03, I_NONE, FF_LOCK | FF_BYTE },	/* INC, DEC */
	{ { 0xff }, 1, 0x03, I_NONE, FF_LOCK | FF_W },
	{ { 0xc0 }, 1, ALL, I_8, FF_BYTE | FF_SHIFT },	/* shifts */
	{ { 0xc1 }, 1, ALL, I_8, FF_W | FF_SHIFT },
	{ { 0xd0 }, 1, ALL, I_NONE, FF_BYTE | FF_SHIFT },
	{ { 0xd1 }, 1, ALL, I_NONE, FF_W | FF_SHIFT },
	{ { 0xd2 }, 1, ALL, I_NONE, FF_BYTE | FF_SHIFT },
	{ { 0xd3 }, 1, ALL, I_NONE, FF_W | FF_SHIFT },
	{ { 0x0f, 0xa3 }, 2, ALL, I_NONE, FF_W | FF_BITREG | FF_BT },
	{ { 0x0f, 0xab }, 2, ALL, I_NONE, FF_W | FF_BITREG | FF_LOCK | FF_BT },
	{ { 0x0f, 0xb3 }, 2, ALL, I_NONE, FF_W | FF_BITREG | FF_LOCK | FF_BT },
	{ { 0x0f, 0xbb }, 2, ALL, I_NONE, FF_W | FF_BITREG | FF_LOCK | FF_BT },
	{ { 0x0f, 0xba }, 2, 0xf0, I_8, FF_W | FF_LOCK | FF_BT },
	{ { 0x0f, 0x90 }, 2, ALL, I_NONE, FF_BYTE },	/* SETcc: + cc */
	{ { 0x0f, 0xb0 }, 2, ALL, I_NONE, FF_LOCK | FF_ACC | FF_BYTE },
	{ { 0x0f, 0xb1 }, 2, ALL, I_NONE, FF_LOCK | FF_ACC | FF_W },
	{ { 0x0f, 0xc0 }, 2, ALL, I_NONE, FF_LOCK | FF_BYTE },
	{ { 0x0f, 0xc1 }, 2, ALL, I_NONE, FF_LOCK | FF_W },
	{ { 0x0f, 0xc7 }, 2, 0x02, I_NONE, FF_LOCK | FF_W | FF_NO66 | FF_8B },
	{ { 0x0f, 0xb6 }, 2, ALL, I_NONE, FF_W },
	{ { 0x0f, 0xb7 }, 2, ALL, I_NONE, FF_W },
	{ { 0x0f, 0xbe }, 2, ALL, I_NONE, FF_W },
	{ { 0x0f, 0xbf }, 2, ALL, I_NONE, FF_W },
	{ { 0x63 }, 1, ALL, I_NONE, FF_W | FF_64 },	/* MOVSXD */
	{ { 0x0f, 0x38, 0xf0 }, 3, ALL, I_NONE, FF_W },	/* MOVBE */
	{ { 0x0f, 0x38, 0xf1 }, 3, ALL, I_NONE, FF_W },
	{ { 0xff }, 1, 0x40, I_NONE, FF_STACK },		/* PUSH m */
	{ { 0x8f }, 1, 0x01, I_NONE, FF_STACK },		/* POP m */
	{ { 0xff }, 1, 0x14, I_NONE, FF_BRANCH },	/* CALL, JMP m */
	/* the SSE and MMX moves, their mandatory prefixes included */
	{ { 0x0f, 0x10 }, 2, ALL, I_NONE, FF_NO66 },
	{ { 0x0f, 0x11 }, 2, ALL, I_NONE, FF_NO66 },
	{ { 0x66, 0x0f, 0x10 }, 3, ALL, I_NONE, FF_NO66 },
	{ { 0x66, 0x0f, 0x11 }, 3, ALL, I_NONE, FF_NO66 },
	{ { 0x0f, 0x28 }, 2, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0x0f, 0x29 }, 2, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0x66, 0x0f, 0x29 }, 3, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0x0f, 0x2b }, 2, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0x0f, 0x6f }, 2, ALL, I_NONE, FF_NO66 },	/* MOVQ mm */
	{ { 0x0f, 0x7f }, 2, ALL, I_NONE, FF_NO66 },
	{ { 0x66, 0x0f, 0x6f }, 3, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0x66, 0x0f, 0x7f }, 3, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	{ { 0xf3, 0x0f, 0x6f }, 3, ALL, I_NONE, FF_NO66 },
	{ { 0xf3, 0x0f, 0x7f }, 3, ALL, I_NONE, FF_NO66 },
	{ { 0x66, 0x0f, 0xe7 }, 3, ALL, I_NONE, FF_NO66 | FF_ALIGN },
	/* MUL, IMUL, DIV, IDIV (#DE met by the emulator), IMUL, CMOVcc */
	{ { 0xf6 }, 1, 0xf0, I_NONE, FF_BYTE | FF_MULDIV },
	{ { 0xf7 }, 1, 0xf0, I_NONE, FF_W | FF_MULDIV },
	{ { 0x0f, 0xaf }, 2, ALL, I_NONE, FF_W | FF_IMUL },
	{ { 0x69 }, 1, ALL, I_Z, FF_W | FF_IMUL },
	{ { 0x6b }, 1, ALL, I_8, FF_W | FF_IMUL },
	{ { 0x0f, 0x40 }, 2, ALL, I_NONE, FF_W | FF_CMOV },
	{ { 0x0f, 0xa4 }, 2, ALL, I_8, FF_W | FF_SHXD },	/* SHLD */
	{ { 0x0f, 0xa5 }, 2, ALL, I_NONE, FF_W | FF_SHXD },
	{ { 0x0f, 0xac }, 2, ALL, I_8, FF_W | FF_SHXD },	/* SHRD */
	{ { 0x0f, 0xad }, 2, ALL, I_NONE, FF_W | FF_SHXD },
	/*
	 * BSF, BSR; POPCNT, TZCNT, LZCNT (both VMs have the supported CPUID,
	 * which offers them where the processor has them)
	 */
	{ { 0x0f, 0xbc }, 2, ALL, I_NONE, FF_W | FF_BSX | FF_CNT },
	{ { 0x0f, 0xbd }, 2, ALL, I_NONE, FF_W | FF_BSX | FF_CNT },
	{ { 0xf3, 0x0f, 0xb8 }, 3, ALL, I_NONE, FF_W | FF_CNT },
	{ { 0xf3, 0x0f, 0xbc }, 3, ALL, I_NONE, FF_W | FF_CNT | FF_CNTF },
	{ { 0xf3, 0x0f, 0xbd }, 3, ALL, I_NONE, FF_W | FF_CNT | FF_CNTF },
};
#define NR_FORMS	ARRAY_SIZE(forms)

struct dgen {
	struct rng *r;
	enum fz_mode mode;
	uint8_t *p, *start;
	uint64_t gpr[16];
	bool used[16];		/* registers whose value an address needs */
	uint64_t segbase[6];	/* ES CS SS DS FS GS */
	int opsize, adsize;	/* bytes */
	uint8_t *disp_at;	/* RIP-relative disp32, patched at the end */
	uint64_t rip_target;
	uint64_t target;	/* linear address of the memory operand */
	uint64_t mem_fill;	/* bytes to write at target (FF_BRANCH, ..) */
	int mem_fill_len;
	uint64_t mem_val;
	bool fill_zero;		/* mem_fill_len bytes of 0 at target */
	bool split;
	bool call_nc;		/* CALL m (64-bit) to a non-canonical target */
	uint64_t undef;		/* RFLAGS bits the SDM leaves undefined */
	uint64_t rsp;		/* 0, or RSP for the case */
	uint8_t es_type;	/* 0, or ES's type (prot32 strings) ... */
	uint32_t es_limit;	/* ... and byte-granular limit */
};

static void put(struct dgen *g, uint64_t v, int n)
{
	memcpy(g->p, &v, n);
	g->p += n;
}

static uint64_t amask(int bytes)
{
	return bytes >= 8 ? ~0ULL : (1ULL << (bytes * 8)) - 1;
}

/* A window offset for an access of up to @len bytes. */
static uint64_t win_off(struct dgen *g, int len, bool align)
{
	uint64_t off;
	int pg;

	switch (rnd(g->r, 8)) {
	case 0: case 1:		/* across a page boundary */
		pg = 1 + rnd(g->r, WIN_PAGES - 1);
		off = pg * PAGE_SIZE - len + 1 + rnd(g->r, len > 1 ? len - 1 : 1);
		break;
	case 2:			/* the special pages */
		pg = WIN_RO_PAGE + rnd(g->r, 3);
		off = pg * PAGE_SIZE + rnd(g->r, PAGE_SIZE - 16);
		break;
	default:		/* the MMIO pages, now and then the RAM one */
		pg = chance(g->r, 1, 8) ? WIN_RAM_PAGE : rnd(g->r, 2);
		off = pg * PAGE_SIZE + rnd(g->r, PAGE_SIZE);
		break;
	}
	if (align && chance(g->r, 3, 4))
		off &= ~15ULL;
	if (off < 64)
		off = 64;
	if (off > WIN_SIZE - 64)
		off = WIN_SIZE - 64;
	return off;
}

/* A register for an address: not rSP, nor (as a base) r12, nor one in use */
static int pick_reg(struct dgen *g, int nregs, bool base)
{
	int r, tries = 0;

	do
		r = rnd(g->r, nregs);
	while ((r == 4 || (base && r == 12) || g->used[r]) && ++tries < 100);
	g->used[r] = true;
	return r;
}

/* rex bits collected while encoding */
struct enc {
	uint8_t rex;
	bool rex_needed;
};

/*
 * ModRM (and SIB, displacement) for a memory operand at linear address
 * g->target, seg the segment it uses by default or by override (-1:
 * default, resolved here).  @reg is ModRM.reg.
 */
static void emit_modrm(struct dgen *g, struct enc *e, int reg, int seg,
		       uint8_t *modrm_at)
{
	int mod, rm, base, index, scale, disp_bytes;
	uint64_t disp, ea;
	bool is64 = g->mode == FZ_LONG64;

	if (g->adsize == 2) {
		static const int b16[8] = { 3, 3, 5, 5, 6, 7, 5, 3 };
		static const int i16[8] = { 6, 7, 6, 7, -1, -1, -1, -1 };
		int s;

		/* without an override, none of the SS-based forms (base 0) */
		do {
			rm = rnd(g->r, 8);
			mod = rnd(g->r, 3);
		} while (seg < 0 && (rm == 2 || rm == 3 || (rm == 6 && mod)));
		if (seg < 0)
			seg = (rm == 2 || rm == 3 || (rm == 6 && mod)) ? 2 : 3;
		ea = (g->target - g->segbase[seg]) & 0xffff;
		*modrm_at = mod << 6 | (reg & 7) << 3 | rm;
		if (mod == 0 && rm == 6) {
			put(g, ea, 2);
			return;
		}
		disp = mod == 1 ? rng_next(g->r) & 0xff :
		       mod == 2 ? rng_next(g->r) & 0xffff : 0;
		if (mod)
			put(g, disp, mod);
		if (mod == 1)
			disp = (uint64_t)(int64_t)(int8_t)disp;
		base = b16[rm];
		s = i16[rm];
		/* the registers themselves: base + index + disp = ea */
		if (s >= 0) {
			g->gpr[s] = rng_next(g->r);
			g->used[s] = true;
			g->gpr[base] = (g->gpr[base] & ~0xffffULL) |
				       ((ea - disp - g->gpr[s]) & 0xffff);
		} else {
			g->gpr[base] = (g->gpr[base] & ~0xffffULL) |
				       ((ea - disp) & 0xffff);
		}
		g->used[base] = true;
		return;
	}

	/* 32/64-bit addressing */
	if (is64 && chance(g->r, 1, 8)) {	/* RIP-relative */
		*modrm_at = (reg & 7) << 3 | 5;
		g->disp_at = g->p;
		put(g, 0, 4);
		if (seg < 0)
			seg = 3;
		g->rip_target = g->target - (seg >= 4 ? g->segbase[seg] : 0);
		return;
	}
	mod = rnd(g->r, 3);
	disp_bytes = mod == 1 ? 1 : mod == 2 ? 4 : 0;
	disp = disp_bytes == 1 ? (uint64_t)(int64_t)(int8_t)rng_next(g->r) :
	       disp_bytes == 4 ? (uint64_t)(int64_t)(int32_t)rng_next(g->r) : 0;
	base = pick_reg(g, is64 ? 16 : 8, true);
	if (mod == 0 && (base & 7) == 5)
		mod = 1, disp_bytes = 1, disp = (uint64_t)(int64_t)(int8_t)rng_next(g->r);
	if (seg < 0)
		seg = (base & 7) == 5 ? 2 : 3;	/* rBP: SS */
	ea = g->target - (is64 && seg < 4 ? 0 : g->segbase[seg]);
	if (chance(g->r, 1, 4)) {		/* SIB with an index */
		index = pick_reg(g, is64 ? 16 : 8, false);
		scale = rnd(g->r, 4);
		g->gpr[index] = rnd(g->r, 0x1000) - 0x800;
		*modrm_at = mod << 6 | (reg & 7) << 3 | 4;
		*g->p++ = scale << 6 | (index & 7) << 3 | (base & 7);
		if (index & 8)
			e->rex |= 2;
		ea -= g->gpr[index] << scale;
	} else {
		*modrm_at = mod << 6 | (reg & 7) << 3 | (base & 7);
	}
	if (base & 8)
		e->rex |= 1;
	put(g, disp, disp_bytes);
	g->gpr[base] = (ea - disp) & amask(g->adsize);
	if (g->adsize == 4 && is64)
		g->gpr[base] |= rng_next(g->r) << 32;	/* ignored */
}

static const uint8_t segpfx[6] = { 0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65 };

/* A segment override worth having: ES, DS, FS, GS (CS, SS: base 0). */
static int rnd_seg(struct dgen *g)
{
	static const int s[4] = { 0, 3, 4, 5 };

	return chance(g->r, 1, 3) ? s[rnd(g->r, 4)] : -1;
}

static int size_of(const struct form *f, struct dgen *g, bool rexw)
{
	if (f->op[f->oplen - 1] == 0xc7 && f->oplen >= 2)
		return rexw ? 16 : 8;
	if (f->flags & FF_NO66)
		return f->op[f->oplen - 1] == 0x6f && f->oplen == 2 ? 8 :
		       f->op[f->oplen - 1] == 0x7f && f->oplen == 2 ? 8 : 16;
	if (f->flags & FF_BYTE)
		return 1;
	if (rexw)
		return 8;
	return g->opsize;
}

/* One string instruction: RSI and RDI in the window, a small count. */
static void gen_string(struct dgen *g)
{
	static const uint8_t ops[] = {
		0xa4, 0xa5, 0xa6, 0xa7, 0xaa, 0xab, 0xac, 0xad, 0xae, 0xaf,
	};
	uint8_t op = ops[rnd(g->r, ARRAY_SIZE(ops))];
	bool is64 = g->mode == FZ_LONG64;
	int seg = -1;
	uint64_t si, di;

	if (op != 0xaa && op != 0xab && op != 0xae && op != 0xaf &&
	    chance(g->r, 1, 3)) {
		seg = (int[]){ 0, 3, 4, 5 }[rnd(g->r, 4)];
		*g->p++ = segpfx[seg];
	}
	if (chance(g->r, 2, 3))
		*g->p++ = chance(g->r, 3, 4) ? 0xf3 : 0xf2;
	if (chance(g->r, 1, 4)) {
		*g->p++ = 0x66;
		g->opsize = g->opsize == 2 ? 4 : 2;
	}
	if (chance(g->r, 1, 4)) {
		*g->p++ = 0x67;
		g->adsize = g->mode == FZ_REAL ? 4 : g->mode == FZ_PROT32 ? 2 : 4;
	}
	if (is64 && chance(g->r, 1, 4))
		*g->p++ = 0x48;
	*g->p++ = op;
	if (seg < 0)
		seg = 3;
	si = g->segbase[seg];
	di = g->segbase[0];
	if (is64) {
		si = seg >= 4 ? si : 0;
		di = 0;
	}
	g->gpr[6] = (WIN_GPA + win_off(g, 16, false) - si) & amask(g->adsize);
	g->gpr[7] = (WIN_GPA + win_off(g, 16, false) - di) & amask(g->adsize);
	if (chance(g->r, 1, 3))		/* the same place, or near */
		g->gpr[7] = (g->gpr[6] + si - di + rnd(g->r, 32) - 16) &
			    amask(g->adsize);
	/* 64-bit: one side non-canonical, #GP(0) (#SS(0) with SS) */
	if (is64 && g->adsize == 8 && chance(g->r, 1, 6))
		g->gpr[chance(g->r, 1, 2) ? 6 : 7] |= NONCANON;
	g->gpr[1] = (g->gpr[1] & ~amask(g->adsize)) | rnd(g->r, 9);
	g->target = WIN_GPA;
	/*
	 * 32-bit protected mode: a third of the time ES ends near rDI
	 * (expand-up, expand-down) or is read-only: the processor checks
	 * the side it reaches, the emulator the other one (MOVS or CMPS
	 * from the device to RAM or MMIO).
	 */
	if (g->mode == FZ_PROT32 && chance(g->r, 1, 3)) {
		static const uint8_t types[] = { 0x3, 0x7, 0x1 };
		int64_t lim = (int64_t)(g->gpr[7] & amask(g->adsize)) +
			      rnd(g->r, 17) - 8;

		g->es_type = types[rnd(g->r, ARRAY_SIZE(types))];
		g->es_limit = lim < 0 ? 0 : (uint32_t)lim;
	}
}

/* Encode one instruction at g->p; its memory operand is g->target. */
static void gen_insn(struct dgen *g)
{
	const struct form *f;
	struct enc e = { 0 };
	uint8_t *rex_at, *modrm_at, op[4];
	int reg, seg, size, k, nforms = NR_FORMS + 8;
	bool rexw = false, lock;

	g->opsize = g->adsize = g->mode == FZ_REAL ? 2 :
				 g->mode == FZ_PROT32 ? 4 : 4;
	if (g->mode == FZ_LONG64)
		g->adsize = 8;
	if (chance(g->r, 1, 8)) {
		gen_string(g);
		return;
	}
	/* the ALU rows count as 8 forms more */
	k = rnd(g->r, nforms);
	if (k >= (int)NR_FORMS) {
		static struct form alu;

		alu.op[0] = (k - NR_FORMS) * 8 + rnd(g->r, 4);
		alu.oplen = 1;
		alu.regmask = ALL;
		alu.imm = I_NONE;
		alu.flags = FF_W | (alu.op[0] & 1 ? 0 : FF_BYTE) |
			    ((alu.op[0] & 2) || k - NR_FORMS == 7 ? 0 : FF_LOCK);
		f = &alu;
	} else {
		f = &forms[k];
	}
	if ((f->flags & FF_64) && g->mode != FZ_LONG64)
		f = &forms[0];
	memcpy(op, f->op, 4);
	if (op[0] == 0x0f && (op[1] == 0x90 || op[1] == 0x40))
		op[1] += rnd(g->r, 16);
	if (op[0] == 0x80 && chance(g->r, 1, 8))
		op[0] = 0x82;		/* the alias, outside 64-bit mode */
	if (op[0] == 0x82 && g->mode == FZ_LONG64)
		op[0] = 0x80;
	do
		reg = rnd(g->r, 8);
	while (!(f->regmask & 1 << reg));
	lock = (f->flags & FF_LOCK) && chance(g->r, 1, 4);
	if ((op[0] == 0x80 || op[0] == 0x81 || op[0] == 0x83) && reg == 7)
		lock = false;

	seg = rnd_seg(g);
	if (seg >= 0)
		*g->p++ = segpfx[seg];
	if (!(f->flags & FF_NO66) && chance(g->r, 1, 4) &&
	    !((f->flags & FF_BRANCH) && g->mode == FZ_LONG64)) {
		*g->p++ = 0x66;
		g->opsize = g->opsize == 2 ? 4 : 2;
	}
	if (chance(g->r, 1, 5)) {
		*g->p++ = 0x67;
		g->adsize = g->mode == FZ_REAL ? 4 : g->mode == FZ_PROT32 ? 2 : 4;
	}
	if (lock)
		*g->p++ = 0xf0;
	/* the bit offset: a register no address uses, not rSP */
	if (f->flags & FF_BITREG)
		reg = rnd(g->r, 3);
	/* mandatory prefixes come before REX */
	k = 0;
	if (op[0] == 0x66 || op[0] == 0xf3)
		*g->p++ = op[k++];
	rex_at = g->p;
	if (g->mode == FZ_LONG64) {
		g->p++;		/* REX, maybe */
		rexw = (f->flags & FF_W) && chance(g->r, 1, 3);
		if (rexw)
			e.rex |= 8;
		if (chance(g->r, 1, 4))
			e.rex_needed = true;
		if (chance(g->r, 1, 3) && !(f->flags & (FF_STACK | FF_BRANCH)) &&
		    f->regmask == ALL)
			reg |= 8;		/* REX.R */
		if (reg & 8)
			e.rex |= 4;
		if (f->flags & FF_STACK || f->flags & FF_BRANCH)
			g->opsize = g->opsize == 2 ? 2 : 8;
	}
	memcpy(g->p, op + k, f->oplen - k);
	g->p += f->oplen - k;
	modrm_at = g->p++;

	size = size_of(f, g, rexw);
	if (f->flags & FF_BITREG)
		size = 8;	/* room for the offset's reach */
	g->target = WIN_GPA + win_off(g, size, (f->flags & FF_ALIGN) ||
				      (f->flags & FF_8B && rexw));
	/* the registers ModRM.reg names keep theirs: mark them used */
	if (f->flags & FF_BITREG)
		g->used[reg & 15] = true;
	/* SHLD/SHRD by CL: rCX keeps its count, out of the address */
	if ((f->flags & FF_SHXD) && (op[1] & 1))
		g->used[1] = true;
	emit_modrm(g, &e, reg, seg, modrm_at);
	if (f->imm == I_8)
		put(g, rng_next(g->r), 1);
	else if (f->imm == I_Z)
		put(g, rng_next(g->r), g->opsize == 2 ? 2 : 4);
	if (g->disp_at) {
		uint64_t d = g->rip_target - (FZ_CODE_GPA + (g->p - g->start));

		memcpy(g->disp_at, &d, 4);
	}
	if (g->mode == FZ_LONG64) {
		if (e.rex || e.rex_needed)
			*rex_at = 0x40 | e.rex;
		else
			memmove(rex_at, rex_at + 1, --g->p - rex_at);
		if (g->disp_at && !(e.rex || e.rex_needed)) {
			/* one byte shorter: the displacement moved and grew */
			uint64_t d = g->rip_target -
				     (FZ_CODE_GPA + (g->p - g->start));

			memcpy(g->disp_at - 1, &d, 4);
		}
	}

	/* the register operands' values */
	if (f->flags & FF_BITREG) {
		int64_t bits = (int64_t)rnd(g->r, 256) - 128;

		if (size == 8 && !rexw)
			size = g->opsize;
		g->gpr[reg & 15] = (uint64_t)bits;
	}
	if ((f->flags & FF_ACC) && chance(g->r, 1, 2)) {
		g->mem_val = g->gpr[0];
		g->mem_fill_len = f->flags & FF_BYTE ? 1 : rexw ? 8 :
				  g->opsize;
	}
	if ((f->flags & FF_8B) && chance(g->r, 1, 2)) {
		g->mem_fill_len = rexw ? 16 : 8;
		g->mem_val = 0;		/* EDX:EAX, see run_case() */
	}
	if (f->flags & FF_BRANCH) {
		uint64_t t = FZ_CODE_GPA + DONE_PAD + 2 * rnd(g->r, 0x200);

		if (g->mode == FZ_LONG64 && chance(g->r, 1, 8)) {
			t = 0x0000900000000000ULL;	/* non-canonical */
			g->call_nc = reg == 2;
		}
		g->mem_val = t;
		g->mem_fill_len = g->opsize;
	}
	g->split = ((g->target & (PAGE_SIZE - 1)) + size > PAGE_SIZE);
	if (f->flags & FF_SHIFT)
		g->undef = RFL_OF | RFL_AF;
	if (f->flags & FF_BT)
		g->undef = RFL_OF | RFL_SF | RFL_AF | RFL_PF;
	/*
	 * SHLD/SHRD: a count the 16-bit forms define (up to 16; the emulator
	 * refuses more, whose result the SDM leaves undefined), OF and AF
	 * undefined (OF defined for a count of 1: still counted apart).
	 */
	if (f->flags & FF_SHXD) {
		uint8_t cnt = rng_next(g->r);

		if (size == 2)
			cnt = (cnt & 0xe0) | rnd(g->r, 17);
		if (op[1] & 1)
			g->gpr[1] = (g->gpr[1] & ~0xffULL) | cnt;
		else
			g->p[-1] = cnt;
		g->undef = RFL_OF | RFL_AF;
	}
	/*
	 * BSF/BSR: all flags but ZF undefined (the destination of a source
	 * of 0 too, left as it was by Bochs and vtx alike: compared);
	 * TZCNT/LZCNT: OF, SF, AF, PF.  A source of 0, a quarter of them.
	 */
	if (f->flags & FF_BSX)
		g->undef = RFL_CF | RFL_OF | RFL_SF | RFL_AF | RFL_PF;
	if (f->flags & FF_CNTF)
		g->undef = RFL_OF | RFL_SF | RFL_AF | RFL_PF;
	if ((f->flags & FF_CNT) && chance(g->r, 1, 4)) {
		g->fill_zero = true;
		g->mem_fill_len = size;
	}
	/* MUL/IMUL: SF, ZF, AF, PF undefined; DIV/IDIV: all six */
	if ((f->flags & FF_IMUL) || ((f->flags & FF_MULDIV) && reg < 6))
		g->undef = RFL_SF | RFL_ZF | RFL_AF | RFL_PF;
	if ((f->flags & FF_MULDIV) && reg >= 6) {
		g->undef = RFL_SF | RFL_ZF | RFL_AF | RFL_PF | RFL_OF | RFL_CF;
		/* half the time a dividend whose quotient may fit */
		if (chance(g->r, 1, 2)) {
			if (!(f->flags & FF_BYTE) && !g->used[2])
				g->gpr[2] = 0;
			else if ((f->flags & FF_BYTE) && !g->used[0])
				g->gpr[0] &= ~0xff00ULL;
		}
	}
	/* PUSH/CALL m: a non-canonical stack, #SS(0) after the read */
	if (g->mode == FZ_LONG64 && (f->flags & (FF_STACK | FF_BRANCH)) &&
	    chance(g->r, 1, 6) && !g->call_nc)	/* #GP or #SS first: */
		g->rsp = NONCANON + 0x100;	/* the SDM does not say */
}

/* ---------------------------------------------------------- running */

static void set_state(struct dvm *d, enum fz_mode mode, int cpl,
		      const struct dgen *g, const struct kvm_regs *rg,
		      const struct kvm_fpu *fpu)
{
	struct kvm_debugregs dbg = { .dr6 = 0xffff0ff0, .dr7 = 0x400 };
	struct kvm_sregs sr;

	/*
	 * A case given up inside an MMIO or I/O exit (200 exits, a timeout)
	 * leaves that access pending: the next KVM_RUN would complete the
	 * old instruction and put its RIP back over the new one (KVM and
	 * vtx alike), so the next cases ran on in the old code.  Complete it
	 * now, with immediate_exit, before the new state goes in.
	 */
	if (d->pending) {
		d->run->immediate_exit = 1;
		xioctl(d->vcpu, KVM_RUN, 0);
		d->run->immediate_exit = 0;
		d->pending = false;
	}
	fz_mode_sregs(&sr, mode, cpl);
	sr.es.base = g->segbase[0];
	sr.ds.base = g->segbase[3];
	sr.fs.base = g->segbase[4];
	sr.gs.base = g->segbase[5];
	if (g->es_type) {
		sr.es.type = g->es_type;
		sr.es.limit = g->es_limit;
		sr.es.g = 0;
	}
	if (mode == FZ_REAL) {
		sr.es.selector = sr.ds.selector = WIN_GPA >> 4;
		sr.cr4 = 0x600;		/* OSFXSR, OSXMMEXCPT */
	}
	xioctl(d->vcpu, KVM_SET_SREGS, (unsigned long)&sr);
	xioctl(d->vcpu, KVM_SET_REGS, (unsigned long)rg);
	xioctl(d->vcpu, KVM_SET_FPU, (unsigned long)fpu);
	xioctl(d->vcpu, KVM_SET_DEBUGREGS, (unsigned long)&dbg);
}

static bool in_mmio_window(uint64_t gpa, bool ref)
{
	if (gpa < WIN_GPA || gpa >= WIN_GPA + WIN_SIZE)
		return false;
	return !ref && (gpa - WIN_GPA) / PAGE_SIZE != WIN_RAM_PAGE;
}

/* Run to HLT or the handler's report; answer MMIO from the shadow. */
static void run_one(struct dvm *d, bool ref, struct dstate *s)
{
	int i;

	memset(s, 0, sizeof(*s));
	s->end = END_OTHER;
	run_timer_arm(5000);	/* kvm_intel in Bochs: seconds for a first entry */
	for (i = 0; i < 200; i++) {
		struct kvm_run *run = d->run;
		long ret = xioctl(d->vcpu, KVM_RUN, 0);

		s->ret = ret;
		s->exit_reason = run->exit_reason;
		if (ret < 0) {
			s->end = ret == -EINTR ? END_TIMEOUT : END_OTHER;
			break;
		}
		if (run->exit_reason == KVM_EXIT_MMIO) {
			uint64_t gpa = run->mmio.phys_addr;
			unsigned int len = run->mmio.len;

			if (in_mmio_window(gpa, ref) && len <= 8 &&
			    gpa + len <= WIN_GPA + WIN_SIZE) {
				uint8_t *p = d->win + (gpa - WIN_GPA);

				s->win_exits++;
				if (run->mmio.is_write)
					memcpy(p, run->mmio.data, len);
				else
					memcpy(run->mmio.data, p, len);
			} else {
				/* elsewhere: the same in both VMs */
				s->other_exits++;
				if (!run->mmio.is_write)
					memset(run->mmio.data, 0x5a, 8);
			}
			continue;
		}
		if (run->exit_reason == KVM_EXIT_IO) {
			uint8_t *data = (uint8_t *)run + run->io.data_offset;

			if (run->io.port == FZ_REPORT_PORT &&
			    run->io.direction == KVM_EXIT_IO_OUT &&
			    run->io.size == 4) {
				memcpy(&s->report, data, 4);
				s->end = END_REPORT;
				break;
			}
			if (run->io.port == DONE_PORT &&
			    run->io.direction == KVM_EXIT_IO_OUT) {
				s->end = END_HLT;
				break;
			}
			if (run->io.direction == KVM_EXIT_IO_IN)
				memset(data, 0, run->io.size * run->io.count);
			continue;
		}
		if (run->exit_reason == KVM_EXIT_HLT)
			s->end = END_HLT;
		else if (run->exit_reason == KVM_EXIT_INTERNAL_ERROR) {
			s->suberror = run->internal.suberror;
			if (s->suberror == KVM_INTERNAL_ERROR_EMULATION) {
				s->end = END_EMUL_FAIL;
			}
		}
		break;
	}
	run_timer_disarm();
	d->pending = s->end == END_OTHER || s->end == END_TIMEOUT;
	xioctl(d->vcpu, KVM_GET_REGS, (unsigned long)&s->rg);
	xioctl(d->vcpu, KVM_GET_SREGS, (unsigned long)&s->sr);
	xioctl(d->vcpu, KVM_GET_FPU, (unsigned long)&s->fpu);
}

static const char *const gpr_names[16] = {
	"rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rsp", "rbp",
	"r8", "r9", "r10", "r11", "r12", "r13", "r14", "r15",
};

/* The first difference, into @buf; false if none. */
static bool compare(const struct dvm *a, const struct dvm *b,
		    const struct dstate *x, const struct dstate *y,
		    uint64_t undef, char *buf, size_t n)
{
	const uint64_t *p = (const uint64_t *)&x->rg;
	const uint64_t *q = (const uint64_t *)&y->rg;
	int i;

	if (x->end != y->end || x->report != y->report) {
		snprintf(buf, n, "end: cpu %s 0x%x, emulated %s 0x%x",
			 end_names[x->end], x->report, end_names[y->end],
			 y->report);
		return true;
	}
	for (i = 0; i < 16; i++)
		if (p[i] != q[i]) {
			snprintf(buf, n, "%s: cpu 0x%" PRIx64 ", emulated 0x%"
				 PRIx64, gpr_names[i], p[i], q[i]);
			return true;
		}
	if (x->rg.rip != y->rg.rip ||
	    ((x->rg.rflags ^ y->rg.rflags) & ~undef)) {
		snprintf(buf, n, "rip/rflags: cpu 0x%llx/0x%llx, emulated "
			 "0x%llx/0x%llx", x->rg.rip, x->rg.rflags, y->rg.rip,
			 y->rg.rflags);
		return true;
	}
	if (x->sr.cr2 != y->sr.cr2) {
		snprintf(buf, n, "cr2: cpu 0x%llx, emulated 0x%llx",
			 x->sr.cr2, y->sr.cr2);
		return true;
	}
	if (memcmp(x->fpu.xmm, y->fpu.xmm, sizeof(x->fpu.xmm))) {
		snprintf(buf, n, "xmm registers");
		return true;
	}
	for (i = 0; i < 8; i++)
		if (memcmp(x->fpu.fpr[i], y->fpu.fpr[i], 10)) {
			snprintf(buf, n, "mm%d: cpu 0x%016llx, emulated "
				 "0x%016llx", i,
				 *(unsigned long long *)x->fpu.fpr[i],
				 *(unsigned long long *)y->fpu.fpr[i]);
			return true;
		}
	if (x->fpu.fsw != y->fpu.fsw || x->fpu.ftwx != y->fpu.ftwx) {
		snprintf(buf, n, "fsw/ftw: cpu 0x%x/0x%x, emulated 0x%x/0x%x",
			 x->fpu.fsw, x->fpu.ftwx, y->fpu.fsw, y->fpu.ftwx);
		return true;
	}
	for (i = 0; i < (int)WIN_SIZE; i++)
		if (a->win[i] != b->win[i]) {
			snprintf(buf, n, "memory at 0x%" PRIx64 ": cpu 0x%02x, "
				 "emulated 0x%02x", WIN_GPA + i, a->win[i],
				 b->win[i]);
			return true;
		}
	for (i = FZ_HDATA_GPA; i < FZ_STACK_TOP; i++) {
		if (i >= FZ_CODE_GPA && i < FZ_STACK_GPA)
			continue;
		if (a->low[i] != b->low[i]) {
			snprintf(buf, n, "%s at 0x%x: cpu 0x%02x, emulated "
				 "0x%02x", i < FZ_CODE_GPA ? "handler stack" :
				 "stack", i, a->low[i], b->low[i]);
			return true;
		}
	}
	return false;
}

/* The state around a difference, for its report. */
static void detail(const struct kvm_regs *in, const struct dstate *x,
		   const struct dstate *y, uint64_t mem)
{
	const struct dstate *st[2] = { x, y };
	int i;

	printf("#   before: rflags 0x%llx rax 0x%llx rcx 0x%llx rdx 0x%llx "
	       "rbx 0x%llx rsi 0x%llx rdi 0x%llx rsp 0x%llx rbp 0x%llx "
	       "mem 0x%016" PRIx64 "\n", in->rflags, in->rax, in->rcx,
	       in->rdx, in->rbx, in->rsi, in->rdi, in->rsp, in->rbp, mem);
	for (i = 0; i < 2; i++)
		printf("#   %s: %s 0x%x (ret %ld exit %u sub %u; %" PRIu64
		       " window, %" PRIu64 " other MMIO exits) rip 0x%llx "
		       "rflags 0x%llx rax 0x%llx rcx 0x%llx rdx 0x%llx rbx "
		       "0x%llx rsi 0x%llx rdi 0x%llx rsp 0x%llx cr2 0x%llx\n",
		       i ? "emulated" : "cpu", end_names[st[i]->end],
		       st[i]->report, st[i]->ret, st[i]->exit_reason,
		       st[i]->suberror, st[i]->win_exits, st[i]->other_exits,
		       st[i]->rg.rip, st[i]->rg.rflags, st[i]->rg.rax,
		       st[i]->rg.rcx, st[i]->rg.rdx, st[i]->rg.rbx,
		       st[i]->rg.rsi, st[i]->rg.rdi, st[i]->rg.rsp,
		       st[i]->sr.cr2);
}

static bool comparable(const struct dstate *s)
{
	return s->end == END_HLT || s->end == END_REPORT;
}

static void run_case(struct dvm *ref, struct dvm *emu, enum fz_mode mode,
		     uint64_t n, bool verbose)
{
	struct dstats *m = &dst[mode];
	struct dgen g;
	struct kvm_regs rg;
	struct kvm_fpu fpu;
	struct dstate x, y;
	struct rng r;
	char why[160];
	uint8_t code[32], stack0[8] = { 0 };
	uint64_t mem0;
	int cpl, i, len;

	rng_seed(&r, unit_seed(opt_seed_diff, (uint64_t)mode << 40 | n));
	memset(&g, 0, sizeof(g));
	g.r = &r;
	g.mode = mode;
	cpl = mode != FZ_REAL && chance(&r, 1, 3) ? 3 : 0;
	for (i = 0; i < 16; i++)
		g.gpr[i] = chance(&r, 1, 2) ? rnd_interesting(&r) : rng_next(&r);
	if (mode != FZ_LONG64)
		for (i = 0; i < 16; i++)
			g.gpr[i] &= 0xffffffff;
	g.used[4] = true;
	g.segbase[0] = g.segbase[3] = WIN_GPA;
	g.segbase[4] = WIN_GPA;
	g.segbase[5] = WIN_GPA + PAGE_SIZE;
	if (mode == FZ_LONG64)
		g.segbase[0] = g.segbase[3] = 0;
	g.p = g.start = code;
	memset(code, 0x90, sizeof(code));
	gen_insn(&g);
	len = g.p - code;

	/* the same state in both VMs */
	rnd_fill(&r, ref->win, WIN_SIZE);
	if (g.mem_fill_len) {
		uint64_t off = g.target - WIN_GPA, v = g.mem_val;

		if (g.fill_zero) {
			memset(ref->win + off, 0, g.mem_fill_len);
		} else if (g.mem_fill_len >= 8 && !v) {	/* CMPXCHG8B/16B */
			memcpy(ref->win + off, &g.gpr[0], 4);
			memcpy(ref->win + off + 4, &g.gpr[2], 4);
			if (g.mem_fill_len == 16) {
				memcpy(ref->win + off, &g.gpr[0], 8);
				memcpy(ref->win + off + 8, &g.gpr[2], 8);
			}
		} else {
			memcpy(ref->win + off, &v, g.mem_fill_len > 8 ? 8 :
			       g.mem_fill_len);
		}
	}
	memcpy(emu->win, ref->win, WIN_SIZE);
	memcpy(&mem0, ref->win + (g.target - WIN_GPA), 8);
	rnd_fill(&r, ref->low + FZ_STACK_GPA, PAGE_SIZE);
	memcpy(emu->low + FZ_STACK_GPA, ref->low + FZ_STACK_GPA, PAGE_SIZE);
	memset(ref->low + FZ_HDATA_GPA, 0, PAGE_SIZE);
	memset(emu->low + FZ_HDATA_GPA, 0, PAGE_SIZE);
	for (i = 0; i < 2; i++) {
		struct dvm *d = i ? emu : ref;
		int k;

		for (k = 0; k < (int)FZ_CODE_SIZE; k += 2) {
			d->low[FZ_CODE_GPA + k] = 0xe6;
			d->low[FZ_CODE_GPA + k + 1] = DONE_PORT;
		}
		memcpy(d->low + FZ_CODE_GPA, code, len);
		memcpy(d->low + FZ_CODE_GPA + len, "\xe6\xf6", 2);
	}
	memset(&rg, 0, sizeof(rg));
	/* struct kvm_regs: rax rbx rcx rdx rsi rdi rsp rbp r8..r15 */
	rg.rax = g.gpr[0]; rg.rcx = g.gpr[1]; rg.rdx = g.gpr[2];
	rg.rbx = g.gpr[3]; rg.rbp = g.gpr[5]; rg.rsi = g.gpr[6];
	rg.rdi = g.gpr[7]; rg.r8 = g.gpr[8]; rg.r9 = g.gpr[9];
	rg.r10 = g.gpr[10]; rg.r11 = g.gpr[11]; rg.r12 = g.gpr[12];
	rg.r13 = g.gpr[13]; rg.r14 = g.gpr[14]; rg.r15 = g.gpr[15];
	rg.rsp = g.rsp ? g.rsp : FZ_STACK_TOP - 256 - 8 * rnd(&r, 32);
	if (!g.rsp)
		memcpy(stack0, ref->low + rg.rsp - 8, 8);
	rg.rip = FZ_CODE_GPA;
	rg.rflags = 0x2 | (rng_next(&r) & 0xcd5);	/* arith, DF */
	memset(&fpu, 0, sizeof(fpu));
	rnd_fill(&r, fpu.xmm, sizeof(fpu.xmm));
	for (i = 0; i < 8; i++)
		rnd_fill(&r, fpu.fpr[i], 10);
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	fpu.ftwx = rng_next(&r);
	fpu.fsw = rnd(&r, 8) << 11;

	set_state(ref, mode, cpl, &g, &rg, &fpu);
	set_state(emu, mode, cpl, &g, &rg, &fpu);
	run_one(ref, true, &x);
	run_one(emu, false, &y);

	m->insns++;
	if (y.win_exits) {
		m->emulated++;
		m->win_exits += y.win_exits;
		if (g.split)
			m->split++;
	}
	if (y.end == END_REPORT && (y.report & 0xff) < 32 &&
	    (y.report & 0xffffff00) == FZ_REPORT_VEC) {
		m->exceptions++;
		m->exc_vec[y.report & 0x1f]++;
	}
	if (verbose) {
		printf("# diff %s case %" PRIu64 " cpl %d:", fz_mode_names[mode],
		       n, cpl);
		for (i = 0; i < len; i++)
			printf(" %02x", code[i]);
		printf(" target 0x%" PRIx64 " -> cpu %s 0x%x, emulated %s 0x%x"
		       " (%" PRIu64 " MMIO exits)\n", g.target,
		       end_names[x.end], x.report, end_names[y.end], y.report,
		       y.win_exits);
	}
	if (x.exit_reason == KVM_EXIT_FAIL_ENTRY ||
	    y.exit_reason == KVM_EXIT_FAIL_ENTRY) {
		/* never right: the driver could not enter the state it made */
		m->entry_fail++;
		m->differences++;
		if (n_printed++ < MAX_PRINTED) {
			printf("FAIL: diff %s case %" PRIu64 ": VM entry failed "
			       "(cpu VM %s, emulated VM %s):", fz_mode_names[mode],
			       n, x.exit_reason == KVM_EXIT_FAIL_ENTRY ? "yes" :
			       "no", y.exit_reason == KVM_EXIT_FAIL_ENTRY ?
			       "yes" : "no");
			for (i = 0; i < len; i++)
				printf(" %02x", code[i]);
			printf("\n");
		}
		return;
	}
	if (!comparable(&x) || !comparable(&y)) {
		m->incomparable++;
		if (y.end == END_EMUL_FAIL || x.end == END_EMUL_FAIL)
			m->emul_fail++;
		/* the processor ran it, the emulator could not: a gap */
		if (y.end == END_EMUL_FAIL && comparable(&x))
			m->gaps++;
		if (y.end == END_TIMEOUT || x.end == END_TIMEOUT)
			m->timeouts++;
		if (n_printed < MAX_PRINTED) {
			n_printed++;
			printf("# diff %s case %" PRIu64 ": not comparable: cpu "
			       "%s, emulated %s (suberror %u);", fz_mode_names[mode],
			       n, end_names[x.end], end_names[y.end], y.suberror);
			for (i = 0; i < len; i++)
				printf(" %02x", code[i]);
			printf("\n");
			detail(&rg, &x, &y, mem0);
		}
		return;
	}
	/*
	 * Bochs's CALL m in 64-bit mode writes the return address before it
	 * checks that the target is canonical, then raises #GP(0) (the SDM:
	 * the check comes first, and a faulting instruction changes no
	 * memory; KVM's em_call_near_abs() checks first too).  Counted
	 * apart: the reference VM's 8 bytes below RSP take their value of
	 * before, and the emulated VM must have left them so -- unless its
	 * operand was all in the window's RAM page (no exit): Bochs ran it
	 * there too.
	 */
	if (g.call_nc && x.end == END_REPORT && y.end == END_REPORT &&
	    x.report == FZ_REPORT_VEC + 13 && y.report == x.report &&
	    rg.rsp - 8 >= FZ_STACK_GPA && rg.rsp <= FZ_STACK_TOP) {
		uint64_t ret = FZ_CODE_GPA + len, *at;

		at = (uint64_t *)(ref->low + rg.rsp - 8);
		if (*at == ret && memcmp(at, stack0, 8)) {
			m->call_push++;
			memcpy(at, stack0, 8);
		}
		at = (uint64_t *)(emu->low + rg.rsp - 8);
		if (!y.win_exits && *at == ret && memcmp(at, stack0, 8))
			memcpy(at, stack0, 8);
	}
	if (g.undef && x.end == END_HLT && y.end == END_HLT &&
	    ((x.rg.rflags ^ y.rg.rflags) & g.undef))
		m->undef_flags++;
	if (compare(ref, emu, &x, &y, g.undef, why, sizeof(why))) {
		m->differences++;
		if (n_printed++ < MAX_PRINTED) {
			printf("FAIL: diff %s case %" PRIu64 " cpl %d:",
			       fz_mode_names[mode], n, cpl);
			for (i = 0; i < len; i++)
				printf(" %02x", code[i]);
			printf(" (target 0x%" PRIx64 ", %" PRIu64 " MMIO "
			       "exits): %s\n", g.target, y.win_exits, why);
			detail(&rg, &x, &y, mem0);
		}
	}
}

uint64_t opt_seed_diff = 1;
bool opt_gaps_ok;

/*
 * An IN or OUT whose exit userspace answers by moving RIP elsewhere
 * (KVM_SET_REGS, as this program does after each report): the next
 * KVM_RUN abandons it, as KVM's complete_fast_pio_in/out() do -- neither
 * RIP is advanced past the new place nor AL written.  Real mode: at 8000H
 * "in $0x80, %al" (or out), at 8100H "inc %ax; hlt", at 8102H "hlt".
 * Return: 0 or 1 (a failure, printed).
 */
static int pio_rip_check(int dev, bool in)
{
	static const uint8_t at8100[] = { 0x40, 0xf4, 0xf4, 0xf4 };
	struct kvm_regs rg;
	struct dstate s;
	struct dgen g;
	struct kvm_fpu fpu;
	struct dvm d;
	int bad = 1;

	memset(&g, 0, sizeof(g));
	memset(&fpu, 0, sizeof(fpu));
	fpu.fcw = 0x37f;
	fpu.mxcsr = 0x1f80;
	if (dvm_create(&d, dev, FZ_REAL, true))
		goto out;
	memset(d.low + FZ_CODE_GPA, 0xf4, FZ_CODE_SIZE);
	d.low[FZ_CODE_GPA] = in ? 0xe4 : 0xe6;
	d.low[FZ_CODE_GPA + 1] = 0x80;
	memcpy(d.low + FZ_CODE_GPA + 0x100, at8100, sizeof(at8100));
	memset(&rg, 0, sizeof(rg));
	rg.rip = FZ_CODE_GPA;
	rg.rflags = 2;
	rg.rsp = FZ_STACK_TOP - 16;
	set_state(&d, FZ_REAL, 0, &g, &rg, &fpu);
	if (xioctl(d.vcpu, KVM_RUN, 0) || d.run->exit_reason != KVM_EXIT_IO)
		goto out;
	if (in)
		*((uint8_t *)d.run + d.run->io.data_offset) = 0x77;
	rg.rip = FZ_CODE_GPA + 0x100;
	rg.rax = 0x1000;
	xioctl(d.vcpu, KVM_SET_REGS, (unsigned long)&rg);
	run_one(&d, true, &s);
	bad = s.end != END_HLT || s.rg.rip != FZ_CODE_GPA + 0x102 ||
	      s.rg.rax != 0x1001;
	printf("%s: pio-%s-rip-moved: after KVM_SET_REGS moved RIP from the "
	       "exit's %s: rip 0x%llx rax 0x%llx (want 0x%x, 0x1001)\n",
	       bad ? "FAIL" : "PASS", in ? "in" : "out", in ? "IN" : "OUT",
	       s.rg.rip, s.rg.rax, FZ_CODE_GPA + 0x102);
out:
	if (bad && !d.run)
		printf("FAIL: pio-rip-moved: cannot set up the VM\n");
	dvm_destroy(&d);
	return bad;
}

/*
 * The differential run: @count instructions per mode (or @secs), on
 * @dev_path; @mode < 0 for all modes; @replay >= 0: that case only,
 * verbosely.  Returns the number of differences (plus 1 on a failed set
 * up).
 */
int gdiff_run(const char *dev_path, uint64_t count, double secs, int mode,
	      long replay, bool verbose)
{
	uint64_t fails = 0, tot_i = 0, tot_e = 0, tot_d = 0, tot_x = 0;
	uint64_t tot_g = 0;
	int md, dev;

	dev = fz_open_dev(dev_path);
	if (dev < 0) {
		printf("FAIL: cannot open %s\n", dev_path);
		return 1;
	}
	if (replay < 0) {
		fails += pio_rip_check(dev, false);
		fails += pio_rip_check(dev, true);
	}
	for (md = 0; md < FZ_NR_MODES; md++) {
		struct dstats *m = &dst[md];
		struct dvm ref, emu;
		double t0 = now_sec();
		uint64_t n;
		const char *bad;

		if (mode >= 0 && md != mode)
			continue;
		if (dvm_create(&ref, dev, md, true) ||
		    dvm_create(&emu, dev, md, false)) {
			printf("FAIL: diff %s: cannot set up the VMs: %s\n",
			       fz_mode_names[md], strerror(errno));
			fails++;
			dvm_destroy(&ref);
			dvm_destroy(&emu);
			continue;
		}
		for (n = replay >= 0 ? (uint64_t)replay : 0;
		     n < count && now_sec() - t0 < secs; n++) {
			run_case(&ref, &emu, md, n, verbose || replay >= 0);
			if (replay >= 0)
				break;
		}
		m->secs = now_sec() - t0;
		dvm_destroy(&ref);
		dvm_destroy(&emu);
		bad = kmsg_check();
		if (bad) {
			printf("FAIL: kernel log: %s\n", bad);
			fails++;
		}
		printf("# diff mode %-6s instructions %" PRIu64 ", emulated "
		       "through MMIO %" PRIu64 " (%.1f%%; %" PRIu64 " MMIO "
		       "exits, %" PRIu64 " split at a page boundary), "
		       "differences %" PRIu64 ", not comparable %" PRIu64
		       " (emulation failures %" PRIu64 ", timeouts %" PRIu64
		       "), exceptions %" PRIu64 ", SDM-undefined flags not "
		       "equal %" PRIu64 ", VM entry failures %" PRIu64
		       ", emulation failures where the processor ran it %"
		       PRIu64 ", Bochs's CALL m return address written "
		       "before its #GP %" PRIu64 " %.1fs\n", fz_mode_names[md],
		       m->insns, m->emulated, m->insns ? 100.0 * m->emulated /
		       m->insns : 0.0, m->win_exits, m->split, m->differences,
		       m->incomparable, m->emul_fail, m->timeouts,
		       m->exceptions, m->undef_flags, m->entry_fail, m->gaps,
		       m->call_push, m->secs);
		printf("#   exception vectors (MMIO VM):");
		for (n = 0; n < 32; n++)
			if (m->exc_vec[n])
				printf(" %d:%" PRIu64, (int)n, m->exc_vec[n]);
		printf("\n");
		tot_i += m->insns;
		tot_e += m->emulated;
		tot_d += m->differences;
		tot_x += m->incomparable;
		tot_g += m->gaps;
	}
	close(dev);
	/* emulation gaps fail the run unless --diff-gaps-ok (kvm_intel) */
	if (!opt_gaps_ok)
		fails += tot_g;
	printf("%s: guest-diff seed=0x%" PRIx64 " instructions=%" PRIu64
	       " emulated=%" PRIu64 " share=%.1f%% differences=%" PRIu64
	       " not-comparable=%" PRIu64 " gaps=%" PRIu64 "\n",
	       fails || tot_d ? "FAIL" : "PASS", opt_seed_diff, tot_i, tot_e,
	       tot_i ? 100.0 * tot_e / tot_i : 0.0, tot_d, tot_x, tot_g);
	return fails + tot_d ? 1 : 0;
}
