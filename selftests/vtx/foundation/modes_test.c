// SPDX-License-Identifier: GPL-2.0
/*
 * Guests in real mode (from reset), 32-bit protected mode and 64-bit long
 * mode run the same program (modes_guest.S): compute, OUT and IN of sizes
 * 1/2/4, REP OUTS/INS, halt.  The host checks every exit: reason, port,
 * size, direction, data, and the registers the guest ends up with.
 *
 * String I/O: KVM may split one REP INS/OUTS into several KVM_EXIT_IO exits
 * (count < RCX).  Any split is accepted as long as the concatenated data,
 * the memory written and the final RSI/RDI/RCX are right; each step's split
 * is logged so drivers can be compared.
 */
#include <stdio.h>
#include <string.h>

#include "vtx_test.h"
#include "modes.h"

extern const uint8_t modes_guest_real[], modes_guest_real_end[],
	modes_guest_real_halted[];
extern const uint8_t modes_guest_prot32[], modes_guest_prot32_end[],
	modes_guest_prot32_halted[];
extern const uint8_t modes_guest_long64[], modes_guest_long64_end[],
	modes_guest_long64_halted[];
extern const uint8_t modes_pe_data_cs_guest[], modes_pe_data_cs_guest_end[];
extern const uint8_t pio_rip_guest[], pio_rip_guest_end[], pio_rip_out[],
	pio_rip_in[], pio_rip_out7e[], pio_rip_after7e[], pio_rip_halted[];

/* Byte at @gpa of the source area the host fills before the run */
static uint8_t src_pattern(uint64_t gpa)
{
	return (uint8_t)(gpa * 7 + 3) ^ (uint8_t)(gpa >> 8);
}

/* Byte @i of the data the host feeds to string-IN step @step */
static uint8_t in_pattern(int step, size_t i)
{
	return (uint8_t)(i * 29 + step * 71 + 11) ^ (uint8_t)(i >> 8);
}

struct str_step {
	int n;			/* checkpoint number */
	bool in;
	unsigned int size;
	unsigned int count;
	uint64_t addr;		/* first element's GPA */
	bool down;		/* EFLAGS.DF = 1 */
};

static const struct str_step str_steps[STR_NR] = {
	{ STR_OUTSB,	  false, 1, OUTSB_N,   OUTSB_SRC,   false },
	{ STR_OUTSW,	  false, 2, OUTSW_N,   OUTSW_SRC,   false },
	{ STR_OUTSL,	  false, 4, OUTSL_N,   OUTSL_SRC,   false },
	{ STR_INSB,	  true,	 1, INSB_N,    INSB_DST,    false },
	{ STR_INSW,	  true,	 2, INSW_N,    INSW_DST,    false },
	{ STR_INSL,	  true,	 4, INSL_N,    INSL_DST,    false },
	{ STR_INSB_XPAGE, true,	 1, XPAGE_N,   XPAGE_DST,   false },
	{ STR_INSB_LONG,  true,	 1, LONGIN_N,  LONGIN_DST,  false },
	{ STR_OUTSB_LONG, false, 1, LONGOUT_N, LONGOUT_SRC, false },
	{ STR_OUTSB_DOWN, false, 1, DOWNOUT_N, DOWNOUT_SRC, true },
	{ STR_INSB_DOWN,  true,	 1, DOWNIN_N,  DOWNIN_DST,  true },
};

#define MAX_STR_BYTES	4096
#define MAX_STR_EXITS	10000

/* What the host saw of one string step */
struct str_log {
	uint8_t data[MAX_STR_BYTES];	/* OUT: bytes received; IN: sent */
	size_t len;
	unsigned int exits;
	unsigned int first_count, last_count, min_count, max_count;
	struct kvm_regs first, last;	/* registers at the first/last exit */
};

/*
 * Run until the next ucall; every exit before it must be string I/O of
 * @st on PORT_STR.  OUT data is appended to @log, IN data is served from
 * in_pattern().
 */
static void run_string_step(struct __test_metadata *_metadata,
			    struct vtx_vcpu *vcpu, const struct str_step *st,
			    struct str_log *log, struct vtx_ucall *uc)
{
	struct kvm_run *run = vcpu->run;
	size_t total = (size_t)st->size * st->count;
	size_t len, i;
	uint8_t *data;

	memset(log, 0, sizeof(*log));
	log->min_count = ~0u;
	for (;;) {
		vtx_run(vcpu);
		if (vtx_get_ucall(vcpu, uc) != UCALL_NONE)
			return;
		ASSERT_EXIT(vcpu, KVM_EXIT_IO);
		ASSERT_EQ(PORT_STR, run->io.port);
		ASSERT_EQ(st->in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT,
			  run->io.direction);
		ASSERT_EQ(st->size, run->io.size);
		ASSERT_GE(run->io.count, 1);
		len = (size_t)run->io.size * run->io.count;
		ASSERT_LE(log->len + len, total)
			TH_LOG("step %d: exit %u asks for %zu bytes, %zu of %zu done",
			       st->n, log->exits, len, log->len, total);
		ASSERT_LT(log->exits, MAX_STR_EXITS);

		data = vtx_io_data(vcpu);
		if (st->in) {
			for (i = 0; i < len; i++)
				log->data[log->len + i] = in_pattern(st->n, log->len + i);
			memcpy(data, log->data + log->len, len);
		} else {
			memcpy(log->data + log->len, data, len);
		}
		log->len += len;

		if (!log->exits) {
			log->first_count = run->io.count;
			vtx_get_regs(vcpu, &log->first);
		}
		vtx_get_regs(vcpu, &log->last);
		log->last_count = run->io.count;
		if (run->io.count < log->min_count)
			log->min_count = run->io.count;
		if (run->io.count > log->max_count)
			log->max_count = run->io.count;
		log->exits++;
	}
}

static void check_string_step(struct __test_metadata *_metadata,
			      struct vtx_vcpu *vcpu, enum vtx_mode mode,
			      const struct str_step *st)
{
	uint64_t mask = mode == VTX_MODE_LONG64 ? ~0ull : 0xffffffffull;
	uint64_t cx_hi = mode == VTX_MODE_REAL ? CX_HI_REAL : 0;
	size_t total = (size_t)st->size * st->count;
	uint64_t end_addr, guard_lo, guard_hi;
	struct vtx_ucall uc;
	uint8_t guard[2];
	struct str_log log;
	uint8_t *mem;
	size_t i;

	/* the bytes just outside an INS buffer must not change */
	end_addr = st->down ? st->addr - total : st->addr + total;
	mem = vtx_gpa2hva(vcpu->vm, 0);
	guard_lo = st->down ? end_addr : st->addr - 1;
	guard_hi = st->down ? st->addr + 1 : end_addr;
	guard[0] = mem[guard_lo];
	guard[1] = mem[guard_hi];

	run_string_step(_metadata, vcpu, st, &log, &uc);
	TH_LOG("%s step %d (%s%s, size %u, count %u): %u exit(s), io.count first %u last %u min %u max %u; "
	       "first exit rip=%#llx rcx=%#llx rsi=%#llx rdi=%#llx; "
	       "last exit rip=%#llx rcx=%#llx rsi=%#llx rdi=%#llx",
	       vtx_mode_str(mode), st->n, st->in ? "ins" : "outs",
	       st->down ? " down" : "", st->size, st->count, log.exits,
	       log.first_count, log.last_count, log.min_count, log.max_count,
	       log.first.rip, log.first.rcx, log.first.rsi, log.first.rdi,
	       log.last.rip, log.last.rcx, log.last.rsi, log.last.rdi);

	ASSERT_EQ(UCALL_STEP, uc.code);
	ASSERT_EQ(st->n, uc.regs.rbx);
	ASSERT_EQ(total, log.len);

	if (st->in) {
		for (i = 0; i < total; i++) {
			uint64_t gpa = st->down ? st->addr - i : st->addr + i;

			ASSERT_EQ(log.data[i], mem[gpa])
				TH_LOG("step %d: byte %zu at %#llx", st->n, i,
				       (unsigned long long)gpa);
		}
		EXPECT_EQ(guard[0], mem[guard_lo]);
		EXPECT_EQ(guard[1], mem[guard_hi]);
		EXPECT_EQ(end_addr, uc.regs.rdi & mask);
	} else {
		for (i = 0; i < total; i++) {
			uint64_t gpa = st->down ? st->addr - i : st->addr + i;

			ASSERT_EQ(src_pattern(gpa), log.data[i])
				TH_LOG("step %d: byte %zu (from %#llx)", st->n,
				       i, (unsigned long long)gpa);
		}
		EXPECT_EQ(end_addr, uc.regs.rsi & mask);
	}
	EXPECT_EQ(cx_hi, uc.regs.rcx & mask)
		TH_LOG("step %d: RCX after REP", st->n);
	EXPECT_EQ(PORT_STR, uc.regs.rdx & 0xffff);
}

/* Run to the next exit, which must be a ucall REPORT; return its RBX. */
static uint64_t run_report(struct __test_metadata *_metadata,
			   struct vtx_vcpu *vcpu)
{
	struct vtx_ucall uc;

	vtx_run(vcpu);
	if (vtx_get_ucall(vcpu, &uc) != UCALL_REPORT) {
		TH_LOG("expected a ucall REPORT, got exit %s port %#x",
		       vtx_exit_reason_str(vcpu->run->exit_reason),
		       vcpu->run->io.port);
		ASSERT_TRUE(false);
	}
	return uc.regs.rbx;
}

static void expect_out(struct __test_metadata *_metadata,
		       struct vtx_vcpu *vcpu, uint16_t port, uint8_t size,
		       uint32_t value)
{
	uint32_t data = 0;

	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_OUT, port, size, 1);
	memcpy(&data, vtx_io_data(vcpu), size);
	ASSERT_EQ(value, data);
}

/* Run to an IN exit on @port of @size, answer @value, return the report. */
static uint64_t answer_in(struct __test_metadata *_metadata,
			  struct vtx_vcpu *vcpu, uint16_t port, uint8_t size,
			  uint32_t value)
{
	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_IN, port, size, 1);
	memcpy(vtx_io_data(vcpu), &value, size);
	return run_report(_metadata, vcpu);
}

static void run_io_program(struct __test_metadata *_metadata,
			   struct vtx_vcpu *vcpu, enum vtx_mode mode,
			   const uint8_t *blob, const uint8_t *halted)
{
	bool wide = mode == VTX_MODE_LONG64;
	uint64_t mask = wide ? ~0ull : 0xffffffffull;
	uint64_t pre = wide ? PRE_IN64 : PRE_IN32;
	uint64_t sumsq = 0;
	struct kvm_regs regs;
	uint8_t *src;
	uint64_t i;
	int s;

	src = vtx_gpa2hva(vcpu->vm, SRC_GPA);
	for (i = 0; i < SRC_SIZE; i++)
		src[i] = src_pattern(SRC_GPA + i);
	for (i = 1; i <= SUMSQ_N; i++)
		sumsq += i * i;

	ASSERT_EQ(sumsq, run_report(_metadata, vcpu) & mask);
	ASSERT_EQ(102334155, run_report(_metadata, vcpu) & mask);

	expect_out(_metadata, vcpu, PORT_OUTB, 1, VAL_OUTB);
	expect_out(_metadata, vcpu, PORT_OUTW, 2, VAL_OUTW);
	expect_out(_metadata, vcpu, PORT_OUTL, 4, VAL_OUTL);

	/* IN merges 8/16 bits into RAX; a 32-bit IN zero-extends into RAX */
	EXPECT_EQ((pre & ~0xffull) | VAL_INB,
		  answer_in(_metadata, vcpu, PORT_INB, 1, VAL_INB) & mask);
	EXPECT_EQ((pre & ~0xffffull) | VAL_INW,
		  answer_in(_metadata, vcpu, PORT_INW, 2, VAL_INW) & mask);
	EXPECT_EQ(VAL_INL,
		  answer_in(_metadata, vcpu, PORT_INL, 4, VAL_INL) & mask);

	for (s = 0; s < STR_NR; s++)
		check_string_step(_metadata, vcpu, mode, &str_steps[s]);

	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	/* KVM_EXIT_HLT comes with RIP past the HLT */
	ASSERT_EQ(VTX_BLOB_GPA(blob, halted), regs.rip);
	EXPECT_EQ(0, regs.rflags & (1 << 10))	/* DF clear again */
		TH_LOG("rflags %#llx", regs.rflags);
}

/*
 * Real mode straight from reset: the vCPU's REGS/SREGS are never written.
 * It starts at CS.base 0xffff0000 + IP 0xfff0 (GPA 0xfffffff0), where a far
 * jump takes it to the program in low RAM.
 */
TEST(real_mode_from_reset)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct vtx_vm *vm;
	uint8_t *reset;

	vm = vtx_vm_create_default();
	reset = vtx_vm_add_mem(vm, 1, VTX_RESET_PAGE_GPA, VTX_PAGE_SIZE);
	memset(reset, 0xf4, VTX_PAGE_SIZE);		/* hlt everywhere */
	reset[0xff0] = 0xea;				/* ljmp $0, $VTX_CODE_GPA */
	reset[0xff1] = VTX_CODE_GPA & 0xff;
	reset[0xff2] = VTX_CODE_GPA >> 8;
	reset[0xff3] = 0;
	reset[0xff4] = 0;
	vtx_load_code(vm, VTX_CODE_GPA, modes_guest_real, modes_guest_real_end);
	vcpu = vtx_vcpu_add(vm, 0);

	run_io_program(_metadata, vcpu, VTX_MODE_REAL, modes_guest_real,
		       modes_guest_real_halted);

	/* the far jump loaded CS the real-mode way */
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0, sregs.cs.selector);
	EXPECT_EQ(0, sregs.cs.base);
	EXPECT_EQ(0, sregs.cr0 & VTX_CR0_PE);

	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

/*
 * Firmware runs code at the reset CS (base 0xffff0000) before its far jump:
 * OVMF's and coreboot's reset vectors set registers, load descriptor
 * tables and enter protected mode there.  Without unrestricted guest
 * (ept=0) that CS does not fit virtual-8086 mode, and the driver has to
 * run such code itself (kvm_intel emulates it).  Here: MOV imm16 to BX,
 * MOV from CS to AX, HLT, at 0xfffffff0.
 */
TEST(real_mode_reset_code_before_jump)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;
	struct vtx_vm *vm;
	uint8_t *reset;
	static const uint8_t code[] = {
		0xbb, 0x34, 0x12,	/* mov $0x1234, %bx */
		0x8c, 0xc8,		/* mov %cs, %ax */
		0xf4,			/* hlt */
	};

	vm = vtx_vm_create_default();
	reset = vtx_vm_add_mem(vm, 1, VTX_RESET_PAGE_GPA, VTX_PAGE_SIZE);
	memset(reset, 0xf4, VTX_PAGE_SIZE);
	memcpy(reset + 0xff0, code, sizeof(code));
	vcpu = vtx_vcpu_add(vm, 0);

	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0x1234, regs.rbx & 0xffff);
	EXPECT_EQ(0xf000, regs.rax & 0xffff);
	EXPECT_EQ(0xfff0 + sizeof(code), regs.rip);
	EXPECT_EQ(0xffff0000, sregs.cs.base);

	vtx_vcpu_free(vcpu);
	vtx_vm_free(vm);
}

/*
 * CR0.PE set while CS holds a data type (3), as KVM's and vtx's SMM entry
 * leave it (SeaBIOS's SMM handler switches to protected mode so): the far
 * jump after MOV to CR0 loads a code segment.  Without unrestricted guest
 * (ept=0) VM entry refuses a data CS in between: kvm_intel emulates until
 * the jump; the driver must not fail the entry (QEMU died with "entry
 * failed, hardware error 0x80000021" on vtx ept=0).
 */
TEST(real_to_protected_data_cs)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;
	struct kvm_regs regs;

	vcpu = vtx_create_guest(VTX_MODE_REAL, modes_pe_data_cs_guest,
				modes_pe_data_cs_guest_end);
	vtx_get_sregs(vcpu, &sregs);
	sregs.cs.type = 3;
	vtx_set_sregs(vcpu, &sregs);
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(0x5e5e, regs.rbx);
	EXPECT_EQ(8, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cr0 & 1);
}

TEST(protected_mode_32)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;

	vcpu = vtx_create_guest(VTX_MODE_PROT32, modes_guest_prot32,
				modes_guest_prot32_end);
	run_io_program(_metadata, vcpu, VTX_MODE_PROT32, modes_guest_prot32,
		       modes_guest_prot32_halted);

	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(VTX_SEL_CODE32, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.db);
	EXPECT_EQ(VTX_CR0_PE, sregs.cr0 & (VTX_CR0_PE | VTX_CR0_PG));
	EXPECT_EQ(0, sregs.efer & VTX_EFER_LMA);
}

TEST(long_mode_64)
{
	struct vtx_vcpu *vcpu;
	struct kvm_sregs sregs;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, modes_guest_long64,
				modes_guest_long64_end);
	run_io_program(_metadata, vcpu, VTX_MODE_LONG64, modes_guest_long64,
		       modes_guest_long64_halted);

	vtx_get_sregs(vcpu, &sregs);
	EXPECT_EQ(VTX_SEL_CODE64, sregs.cs.selector);
	EXPECT_EQ(1, sregs.cs.l);
	EXPECT_EQ(VTX_EFER_LME | VTX_EFER_LMA,
		  sregs.efer & (VTX_EFER_LME | VTX_EFER_LMA));
	EXPECT_EQ(VTX_PML4_GPA, sregs.cr3);
}

/*
 * Where RIP is when userspace sees a port I/O exit (KVM's ABI, visible with
 * KVM_GET_REGS during the exit): still AT the OUT/IN instruction; it moves
 * past it when KVM_RUN completes the I/O.  The one exception is KVM's
 * KVM_X86_QUIRK_OUT_7E_INC_RIP (on by default): OUT to port 0x7e exits
 * with RIP already past the instruction.
 */
TEST(pio_exit_rip)
{
	const uint8_t *blob = pio_rip_guest;
	struct vtx_vcpu *vcpu;
	struct kvm_regs regs;
	uint8_t value = 0x42;

	vcpu = vtx_create_guest(VTX_MODE_LONG64, pio_rip_guest,
				pio_rip_guest_end);

	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_OUT, 0x80, 1, 1);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(blob, pio_rip_out), regs.rip);
	EXPECT_EQ(0x17, regs.rax);

	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_IN, 0x81, 1, 1);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(blob, pio_rip_in), regs.rip);
	EXPECT_EQ(0x17, regs.rax);		/* IN not completed yet */
	memcpy(vtx_io_data(vcpu), &value, 1);

	vtx_run(vcpu);
	ASSERT_IO(vcpu, KVM_EXIT_IO_OUT, 0x7e, 1, 1);
	EXPECT_EQ(value, *(uint8_t *)vtx_io_data(vcpu));
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(blob, pio_rip_after7e), regs.rip)
		TH_LOG("OUT to 0x7e: rip %#llx, insn at %#llx", regs.rip,
		       (unsigned long long)VTX_BLOB_GPA(blob, pio_rip_out7e));
	EXPECT_EQ(value, regs.rax);

	EXPECT_EQ(value, run_report(_metadata, vcpu));
	vtx_run(vcpu);
	ASSERT_EXIT(vcpu, KVM_EXIT_HLT);
	vtx_get_regs(vcpu, &regs);
	EXPECT_EQ(VTX_BLOB_GPA(blob, pio_rip_halted), regs.rip);
}

VTX_TEST_MAIN
