// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - real mode under shadow paging, in virtual-8086 mode.
 *
 * Without unrestricted guest (which needs EPT) VM entry refuses CR0.PE=0
 * and CR0.PG=0.  A guest in real mode then runs as kvm_intel without
 * unrestricted guest runs it: in virtual-8086 mode, on the shadow tables'
 * identity map of its linear addresses (x86/mmu/shadow.c), with RFLAGS.VM
 * and IOPL 3, CR4.VME, and segments whose base is selector * 16, limit
 * 0xffff, access rights 0xf3.  The guest's own view (its segment
 * registers, its IOPL and VM bits, CPL 0) is kept here and is what
 * KVM_GET_SREGS, KVM_GET_REGS and the emulator see.
 *
 * Where it differs from kvm_intel:
 * - TR is a TSS of limit 0 (kvm_intel: the three pages at
 *   KVM_SET_TSS_ADDR, in a memslot of its own, with redirection and I/O
 *   bitmaps of zeroes).  Every instruction that looks into the TSS in
 *   virtual-8086 mode (IN, OUT, INS, OUTS, INT n) then raises #GP, which
 *   is emulated here: the processor never reads guest memory as a TSS,
 *   wherever userspace put it or did not.
 * - A segment whose base is a multiple of 16 below 1 MiB runs as the vm86
 *   segment of selector base / 16 whatever its selector and limit (any
 *   segment right after CR0.PE goes 0).  A segment whose base is none
 *   (the reset state's CS at 0xffff0000, SMM's CS at an SMBASE from
 *   1 MiB up, a base kept from protected mode) is a state VMX cannot
 *   enter: the guest's instructions are then emulated one by one in
 *   software (rmemu.c), as kvm_intel with emulate_invalid_guest_state
 *   (its default) does, until real-mode segment loads give every segment
 *   a vm86 base, and the guest runs in vm86 again.
 * - Big real mode: a limit above 0xffff (a 4 GiB one kept from protected
 *   mode, SMM's) stays the guest's (KVM_GET_SREGS shows it) but vm86
 *   runs 0xffff: an access past that raises #GP (#SS on the stack),
 *   and the instruction is then emulated (rmemu.c) with the guest's own
 *   limits; kvm_intel emulates every instruction while such a limit is
 *   loaded.
 * - On CR0.PE 0 to 1, CS and SS selectors whose RPL VM entry would refuse
 *   lose it (and their DPL is 0), data segments get DPL = RPL: kvm_intel's
 *   fix_pmode_seg(), only where the entry would otherwise fail.
 * - Events go in through the real-mode IVT in software (KVM's
 *   kvm_inject_realmode_interrupt()); the sensitive instructions
 *   virtual-8086 mode refuses are emulated here; those this file does not
 *   know end KVM_RUN with KVM_EXIT_INTERNAL_ERROR (emulation).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/mm.h>
#include <linux/sched/signal.h>
#include <asm/irq_vectors.h>
#include <asm/trapnr.h>
#include "vmx/vmx.h"
#include "x86/emulate.h"

/* Virtual-8086 segments (SDM vol. 3, 26.3.1.2): base = selector << 4. */
#define VM86_SEG_SHIFT		4
#define VM86_SEG_LIMIT		0xffff
#define VM86_SEG_AR		0xf3	/* present, DPL 3, data RW accessed */
#define VM86_BASE_MASK		0xffff0ul
/* TR while in vm86: a busy 32-bit TSS of limit 0, which nothing reads. */
#define VM86_TR_AR		(VMX_AR_TYPE_BUSY_32_TSS | VMX_AR_P_MASK)
#define VM86_TR_LIMIT		0
#define SEL_RPL_MASK		3
/* descriptor types: code (bit 3), conforming code, execute/read accessed */
#define SEG_TYPE_CODE		0x8
#define SEG_TYPE_CONFORMING_CODE 0xc
#define SEG_TYPE_CODE_RX_A	0xb

/* Instruction bytes: prefixes, opcodes, ModRM fields. */
#define PFX_OPSIZE		0x66
#define PFX_ADSIZE		0x67
#define PFX_LOCK		0xf0
#define PFX_REPNE		0xf2
#define PFX_REP			0xf3
#define OP_TWOBYTE		0x0f
#define OP_HLT			0xf4
#define OP_INT			0xcd
#define OP_IN_IMM		0xe4	/* E4-E7: IN/OUT with an imm8 port */
#define OP_OUT_IMM_LAST		0xe7
#define OP_IN_DX		0xec	/* EC-EF: IN/OUT with port DX */
#define OP_OUT_DX_LAST		0xef
#define OP_INS			0x6c	/* 6C-6F: INS, OUTS */
#define OP_OUTS_LAST		0x6f
#define OP_IO_OUT		0x02	/* of those: bit 1 is OUT(S) */
#define OP_IO_WIDE		0x01	/* bit 0: word or dword, else byte */
#define OP2_GRP7		0x01
#define OP2_CLTS		0x06
#define OP2_INVD		0x08
#define OP2_WBINVD		0x09
#define OP2_MOV_FROM_CR		0x20
#define OP2_MOV_TO_CR		0x22
#define OP2_WRMSR		0x30
#define OP2_RDMSR		0x32
#define GRP7_SGDT		0
#define GRP7_SIDT		1
#define GRP7_LGDT		2
#define GRP7_LIDT		3
#define GRP7_SMSW		4
#define GRP7_LMSW		6
#define GRP7_INVLPG		7
#define MODRM_MOD(m)		((m) >> 6)
#define MODRM_REG(m)		(((m) >> 3) & 7)
#define MODRM_RM(m)		((m) & 7)
#define MODRM_MOD_REG		3
/* LMSW loads PE (set only), MP, EM, TS */
#define LMSW_BITS		(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_TS)
/* LGDT/LIDT's operand: limit, then base (24 bits with a 16-bit operand) */
#define DT_OPERAND_BYTES	6
#define DT_BASE16_MASK		0xffffffu

/* Little-endian operands in instruction bytes (x86: a plain copy). */
static u16 le16_at(const u8 *p)
{
	u16 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static u32 le32_at(const u8 *p)
{
	u32 v;

	memcpy(&v, p, sizeof(v));
	return v;
}

static const u8 seg_prefixes[] = {
	[VTX_SREG_ES] = 0x26, [VTX_SREG_CS] = 0x2e, [VTX_SREG_SS] = 0x36,
	[VTX_SREG_DS] = 0x3e, [VTX_SREG_FS] = 0x64, [VTX_SREG_GS] = 0x65,
};

/*
 * Write the vm86 form of the guest's segment @seg (ES-GS) to the VMCS:
 * selector base / 16, for a base that is a multiple of 16 below 1 MiB.
 * Any other base makes the state one VMX cannot enter (rm->emulate): the
 * VMCS then holds the guest's own base, for the emulators that read it
 * (mmio.c, vtx_smm_rsm()), and nothing enters with it (vtx_rmode_step()).
 *
 * @normalize (CR0.PE going 0): the guest then has selector base / 16
 * where that gives its base, as that kvm_intel shows it (what a
 * real-mode load of that base gives, not the selector left from protected
 * mode), so that any selector it loads afterwards either differs from the
 * one written here or gives the same segment.  KVM_SET_SREGS in real mode
 * keeps the selectors it is given (a state on its way to protected mode)
 * until the guest runs with them (sel_pending, vtx_rmode_step()).
 */
static void fix_rmode_seg(struct vtx_vcpu *vcpu, int seg, bool normalize)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	struct kvm_segment *s = &rm->segs[seg];
	u16 sel = s->base >> VM86_SEG_SHIFT;
	unsigned long base = s->base & VM86_BASE_MASK;

	if (s->base == base && s->selector != sel) {
		if (normalize)
			s->selector = sel;
		else
			rm->sel_pending = true;
	}
	if (s->base != base) {
		rm->emulate |= BIT(seg);
		base = s->base;
	} else {
		rm->emulate &= ~BIT(seg);
	}
	rm->hw_sel[seg] = sel;
	rm->hw_base[seg] = base;
	vmcs_write16(GUEST_ES_SELECTOR + seg * 2, sel);
	vmcs_writel(GUEST_ES_BASE + seg * 2, base);
	vmcs_write32(GUEST_ES_LIMIT + seg * 2, VM86_SEG_LIMIT);
	vmcs_write32(GUEST_ES_AR_BYTES + seg * 2, VM86_SEG_AR);
}

/*
 * A selector the guest loaded in vm86 (the VMCS's differs from the one
 * vtx wrote): its base is selector * 16, limit and attributes stay, as a
 * real-mode segment load leaves them.  A base that differs with the same
 * selector is a WRMSR to MSR_FS_BASE or MSR_GS_BASE (vmx_set_msr()
 * writes the VMCS): the guest's base, in its vm86 form or emulated.
 */
static void sync_rmode_seg(struct vtx_vcpu *vcpu, int seg)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	u16 sel = vmcs_read16(GUEST_ES_SELECTOR + seg * 2);
	unsigned long base;

	if (sel == rm->hw_sel[seg]) {
		base = vmcs_readl(GUEST_ES_BASE + seg * 2);
		if (base != rm->hw_base[seg]) {
			rm->segs[seg].base = base;
			fix_rmode_seg(vcpu, seg, false);
		}
		return;
	}
	rm->hw_sel[seg] = sel;
	rm->hw_base[seg] = (u32)sel << VM86_SEG_SHIFT;
	rm->segs[seg].selector = sel;
	rm->segs[seg].base = rm->hw_base[seg];
	/* loaded in real mode: usable, whatever protected mode left */
	rm->segs[seg].unusable = 0;
	rm->segs[seg].present = 1;
}

static void invalidate_seg_caches(struct vtx_vcpu *vcpu)
{
	vcpu->cached &= ~(BIT(VTX_CACHE_RFLAGS) | BIT(VMX_CACHE_CS_AR) |
			  BIT(VTX_CACHE_CPL));
}

/* CR0.PE went 0 (or a vCPU starts in real mode): into vm86. */
static void enter_rmode(struct vtx_vcpu *vcpu)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	unsigned long flags = vmcs_readl(GUEST_RFLAGS);
	int seg;

	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		vtx_get_segment(&rm->segs[seg], seg);
	vtx_get_segment(&rm->segs[VTX_SREG_TR], VTX_SREG_TR);
	rm->save_rflags = flags;
	rm->vm86 = true;
	vmcs_writel(GUEST_RFLAGS, flags | VMX_RMODE_HW_FLAGS);
	vmcs_writel(GUEST_TR_BASE, 0);
	vmcs_write32(GUEST_TR_LIMIT, VM86_TR_LIMIT);
	vmcs_write32(GUEST_TR_AR_BYTES, VM86_TR_AR);
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		fix_rmode_seg(vcpu, seg, true);
	invalidate_seg_caches(vcpu);
	vtx_x86_ops.update_exception_bitmap(vcpu);
}

/*
 * CS and SS of a guest that just set CR0.PE are its real-mode ones: VM
 * entry (without unrestricted guest) wants SS.RPL = CS.RPL = SS.DPL and
 * CS.DPL = SS.DPL for non-conforming code, a data segment's DPL at least
 * its RPL.  Where that does not hold, kvm_intel's fix: RPL 0 for CS and
 * SS with DPL 0, DPL = RPL for the others; a state that passes keeps its
 * values (a ring-3 state set by KVM_SET_SREGS).  A CS that is a data
 * segment (SMM's, type 3 as KVM's enter_smm() makes it, which SMI
 * handlers leave with CR0.PE set and a far jump) becomes an accessed
 * execute/read one until that jump: VM entry takes no other without
 * unrestricted guest (kvm_intel emulates those instructions instead).
 */
static void fix_pmode_segs(struct kvm_segment *segs)
{
	struct kvm_segment *cs = &segs[VTX_SREG_CS], *ss = &segs[VTX_SREG_SS];
	bool conforming;
	int seg;

	if (!(cs->type & SEG_TYPE_CODE))
		cs->type = SEG_TYPE_CODE_RX_A;
	conforming = (cs->type & SEG_TYPE_CONFORMING_CODE) ==
		     SEG_TYPE_CONFORMING_CODE;

	if ((cs->selector & SEL_RPL_MASK) != (ss->selector & SEL_RPL_MASK) ||
	    (ss->selector & SEL_RPL_MASK) != ss->dpl ||
	    (!conforming && cs->dpl != ss->dpl)) {
		cs->selector &= ~SEL_RPL_MASK;
		ss->selector &= ~SEL_RPL_MASK;
		cs->dpl = 0;
		ss->dpl = 0;
	}
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++) {
		struct kvm_segment *s = &segs[seg];

		if (seg == VTX_SREG_CS || seg == VTX_SREG_SS || s->unusable ||
		    !s->present)
			continue;
		if (s->dpl < (s->selector & SEL_RPL_MASK))
			s->dpl = s->selector & SEL_RPL_MASK;
	}
}

/* CR0.PE went 1: out of vm86, the guest's segments as it has them. */
static void leave_rmode(struct vtx_vcpu *vcpu)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	unsigned long flags = vmcs_readl(GUEST_RFLAGS);
	int seg;

	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		sync_rmode_seg(vcpu, seg);
	rm->vm86 = false;
	rm->emulate = 0;
	rm->sel_pending = false;
	fix_pmode_segs(rm->segs);
	for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++)
		vtx_set_segment(&rm->segs[seg], seg);
	vtx_set_segment(&rm->segs[VTX_SREG_TR], VTX_SREG_TR);
	vmcs_writel(GUEST_RFLAGS, (flags & ~VMX_RMODE_HW_FLAGS) |
		    (rm->save_rflags & VMX_RMODE_HW_FLAGS));
	invalidate_seg_caches(vcpu);
	vtx_x86_ops.update_exception_bitmap(vcpu);
}

/**
 * vtx_rmode_update() - enter or leave vm86 for the guest's CR0.PE.
 * @vcpu:	the loaded vCPU; vcpu->cr0 is the new value
 *
 * Called by vtx_set_cr0() before it derives the processor's CR0 and CR4.
 */
void vtx_rmode_update(struct vtx_vcpu *vcpu)
{
	bool want = vtx_shadow_paging && !(vcpu->cr0 & X86_CR0_PE);

	if (want && !to_vmx(vcpu)->rmode.vm86)
		enter_rmode(vcpu);
	else if (!want && to_vmx(vcpu)->rmode.vm86)
		leave_rmode(vcpu);
}

/**
 * vtx_rmode_get_segment() - a segment register as the real-mode guest has
 * it, in vm86.
 * @vcpu:	the loaded vCPU, in vm86
 * @var:	filled in
 * @seg:	enum vtx_sreg
 */
void vtx_rmode_get_segment(struct vtx_vcpu *vcpu, struct kvm_segment *var,
			   int seg)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;

	if (seg == VTX_SREG_LDTR) {
		vtx_get_segment(var, seg);
		return;
	}
	if (seg != VTX_SREG_TR)
		sync_rmode_seg(vcpu, seg);
	*var = rm->segs[seg];
}

/**
 * vtx_rmode_set_segment() - set a segment register of the real-mode guest,
 * in vm86: kept as given, its vm86 form in the VMCS.
 * @vcpu:	the loaded vCPU, in vm86
 * @var:	the value
 * @seg:	enum vtx_sreg
 */
void vtx_rmode_set_segment(struct vtx_vcpu *vcpu,
			   const struct kvm_segment *var, int seg)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;

	if (seg == VTX_SREG_LDTR) {
		vtx_set_segment(var, seg);
		return;
	}
	rm->segs[seg] = *var;
	if (seg != VTX_SREG_TR)
		fix_rmode_seg(vcpu, seg, false);
}

static bool soft_event(const struct vtx_pending_event *ev)
{
	return ev->type == VTX_EVENT_SOFT_INT ||
	       ev->type == VTX_EVENT_SOFT_EXC ||
	       ev->type == VTX_EVENT_PRIV_SW_EXC;
}

/**
 * vtx_rmode_deliver() - the event vtx_inject_pending_event() would inject,
 * delivered through the real-mode IVT instead, before the entry.
 * @vcpu:	the loaded vCPU, in vm86, preemption enabled
 *
 * One event per entry, in that function's order: a queued exception or
 * software interrupt, an NMI, KVM_INTERRUPT's interrupt, the in-kernel
 * APIC's (or PIC's); what waits opens an interrupt or NMI window there,
 * whose exit comes back here.
 *
 * Return: 1 to enter, 0 with KVM_EXIT_SHUTDOWN for a triple fault (no
 * vector within IDTR.limit), or 0 with KVM_EXIT_INTERNAL_ERROR when the
 * IVT or the stack is not guest RAM.
 */
int vtx_rmode_deliver(struct vtx_vcpu *vcpu)
{
	struct vtx_pending_event *ev = &vcpu->event;
	bool block = vcpu->guest_debug & KVM_GUESTDBG_BLOCKIRQ;
	bool shadow = vmx_intr_state(vcpu) & (GUEST_INTR_STATE_STI |
					      GUEST_INTR_STATE_MOV_SS);
	int vector = -1, r;
	u32 len = 0;

	if (ev->valid) {
		vector = ev->vector;
		if (soft_event(ev))
			len = ev->insn_len;
		if (ev->type == VTX_EVENT_NMI)
			vtx_x86_ops.set_nmi_mask(vcpu, true);
		ev->valid = false;
	} else if (vcpu->nmi_pending && !block && !shadow &&
		   !vtx_x86_ops.get_nmi_mask(vcpu)) {
		vcpu->nmi_pending--;
		vtx_x86_ops.set_nmi_mask(vcpu, true);
		vector = NMI_VECTOR;
	} else if (vcpu->irq_pending && !shadow) {
		vcpu->irq_pending = false;
		vector = vcpu->irq_vector;
	} else if (vcpu->apic && !block && vtx_interrupt_allowed(vcpu)) {
		vector = vtx_apic_take_interrupt(vcpu);
	}
	if (vector < 0)
		return 1;
	r = vtx_inject_realmode_interrupt(vcpu, vector, len);
	/*
	 * A vector beyond IDTR.limit: #GP (at the instruction), that one
	 * too #DF, and #DF too a triple fault, the processor's shutdown.
	 */
	while (r == -EINVAL && vector != X86_TRAP_DF) {
		vector = vector == X86_TRAP_GP ? X86_TRAP_DF : X86_TRAP_GP;
		r = vtx_inject_realmode_interrupt(vcpu, vector, 0);
	}
	if (r == -EINVAL) {
		vcpu->run->exit_reason = KVM_EXIT_SHUTDOWN;
		return 0;
	}
	if (r) {
		pr_warn_ratelimited("real-mode delivery of vector %d failed: %d\n",
				    vector, r);
		return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
	}
	vmx_clear_intr_shadow(vcpu);
	return 1;
}

/**
 * vtx_rmode_load_seg() - a real-mode load of segment register @seg.
 * @vcpu:	the loaded vCPU, in vm86
 * @seg:	enum vtx_sreg, ES-GS
 * @sel:	the selector
 *
 * Base selector * 16; limit and attributes stay (big real mode keeps a
 * 4 GiB limit), as the processor's load in real mode.
 */
void vtx_rmode_load_seg(struct vtx_vcpu *vcpu, int seg, u16 sel)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;

	sync_rmode_seg(vcpu, seg);
	rm->segs[seg].selector = sel;
	rm->segs[seg].base = (u32)sel << VM86_SEG_SHIFT;
	rm->segs[seg].unusable = 0;
	rm->segs[seg].present = 1;
	fix_rmode_seg(vcpu, seg, false);
	invalidate_seg_caches(vcpu);
}

/**
 * vtx_rmode_step() - before an entry in vm86: deliver what waits, and
 * enter no state VMX cannot: emulate its next instruction instead.
 * @vcpu:	the loaded vCPU, in vm86, preemption enabled
 *
 * KVM_RUN's loop comes back here after each emulated instruction, with
 * its reschedule and request checks between two (vtx_may_reenter()).
 *
 * Return: 1 to enter, 2 when an instruction was emulated (enter nothing,
 * come back), 0 with kvm_run filled (an I/O or MMIO exit, an emulation
 * error), or -EINTR for a signal.
 */
int vtx_rmode_step(struct vtx_vcpu *vcpu)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	int seg, r;

	/* the guest runs: the selectors of its real-mode bases (above) */
	if (rm->sel_pending) {
		rm->sel_pending = false;
		for (seg = VTX_SREG_ES; seg <= VTX_SREG_GS; seg++) {
			sync_rmode_seg(vcpu, seg);
			fix_rmode_seg(vcpu, seg, true);
		}
	}
	/* a WRMSR to MSR_FS_BASE or MSR_GS_BASE since: enter no other base */
	sync_rmode_seg(vcpu, VTX_SREG_FS);
	sync_rmode_seg(vcpu, VTX_SREG_GS);
	r = vtx_rmode_deliver(vcpu);
	if (r <= 0 || !rm->emulate)
		return r;
	/* no entry checks for signals on this path: a guest may loop here */
	if (signal_pending(current)) {
		vcpu->run->exit_reason = KVM_EXIT_INTR;
		return -EINTR;
	}
	r = vtx_rmemu_step(vcpu);
	if (r == -EOPNOTSUPP)
		return vtx_rmode_emulation_failed(vcpu);
	return r > 0 ? 2 : r;
}

/**
 * vtx_rmode_reflect() - an exception raised in vm86, for the guest: its
 * real-mode interrupt (vtx_rmode_deliver()).
 * @vcpu:	the vCPU, at the exception exit
 * @vector:	the exception
 * @type:	its VMX interruption type (INT3 and INTO return after
 *		themselves)
 *
 * Return: 1.
 */
int vtx_rmode_reflect(struct vtx_vcpu *vcpu, u8 vector, u32 type)
{
	int r;

	/* big real mode: a stack past vm86's 64 KiB, within the guest's limit */
	if (vector == X86_TRAP_SS) {
		r = vtx_rmemu_step(vcpu);
		if (r != -EOPNOTSUPP)
			return r;
	}
	vtx_queue_exception(vcpu, vector, false, 0);
	if (type == INTR_TYPE_SOFT_EXCEPTION) {
		vcpu->event.type = VTX_EVENT_SOFT_EXC;
		vcpu->event.insn_len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	}
	return 1;
}

/* The instruction at CS:IP, decoded far enough for the #GP cases here. */
struct rm_insn {
	u8 bytes[VTX_EMU_MAX_INSN];
	unsigned int avail;
	unsigned int pfx;	/* prefix bytes */
	bool opsize, adsize, rep;
	int seg;		/* override, or -1 */
};

/*
 * The guest's CS (its base and limit: vm86's, or an emulated state's,
 * rmemu.c, whose EIP may pass 64 KiB in a big real-mode CS).
 *
 * Return: 0; -ERANGE when the bytes the decode needs go past CS's limit
 * (the guest's #GP), -EFAULT when they are not in guest RAM.
 */
static int fetch_insn(struct vtx_vcpu *vcpu, struct rm_insn *in)
{
	unsigned long ip = vmx_rip(vcpu);
	struct kvm_segment cs;
	u32 linear;
	unsigned int in_limit, first, i;
	bool limited;

	vtx_rmode_get_segment(vcpu, &cs, VTX_SREG_CS);
	linear = cs.base + ip;
	in_limit = ip > cs.limit ? 0 :
		   min_t(u64, (u64)cs.limit - ip + 1, sizeof(in->bytes));
	first = min_t(u64, sizeof(in->bytes),
		      PAGE_SIZE - offset_in_page(linear));
	memset(in, 0, sizeof(*in));
	in->seg = -1;
	if (vtx_vcpu_read_guest_phys(vcpu, linear, in->bytes, first))
		return -EFAULT;
	in->avail = first;
	if (first < sizeof(in->bytes) &&
	    !vtx_vcpu_read_guest_phys(vcpu, linear + first,
				      in->bytes + first,
				      sizeof(in->bytes) - first))
		in->avail = sizeof(in->bytes);
	/* beyond CS's limit is a limit violation: not decoded */
	limited = in->avail > in_limit;
	if (limited)
		in->avail = in_limit;
	for (i = 0; i < in->avail; i++) {
		u8 b = in->bytes[i];
		int s;

		if (b == PFX_OPSIZE) {
			in->opsize = true;
			continue;
		}
		if (b == PFX_ADSIZE) {
			in->adsize = true;
			continue;
		}
		if (b == PFX_REP || b == PFX_REPNE) {
			in->rep = true;
			continue;
		}
		if (b == PFX_LOCK)
			continue;
		for (s = 0; s < ARRAY_SIZE(seg_prefixes); s++)
			if (b == seg_prefixes[s])
				break;
		if (s == ARRAY_SIZE(seg_prefixes))
			break;
		in->seg = s;
	}
	in->pfx = i;
	/* the opcode and two more bytes (0F, ModRM) are needed at most */
	if (i + 3 <= in->avail)
		return 0;
	return limited ? -ERANGE : -EFAULT;
}

/**
 * vtx_rmode_emulation_failed() - an instruction neither the processor in
 * vm86 nor vtx runs: KVM_EXIT_INTERNAL_ERROR (emulation), as kvm_intel's.
 * @vcpu:	the loaded vCPU, in vm86
 *
 * Return: 0.
 */
int vtx_rmode_emulation_failed(struct vtx_vcpu *vcpu)
{
	struct vmx_rmode *rm = &to_vmx(vcpu)->rmode;
	u8 b[VTX_EMU_MAX_INSN] = { };

	vtx_vcpu_read_guest_phys(vcpu, (u32)(rm->segs[VTX_SREG_CS].base +
					     vmx_rip(vcpu)), b, sizeof(b));
	pr_warn_ratelimited("real mode: cannot emulate %*ph at CS base 0x%llx IP 0x%lx\n",
			    (int)sizeof(b), b, rm->segs[VTX_SREG_CS].base,
			    vmx_rip(vcpu));
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
}

static int emulation_failed(struct vtx_vcpu *vcpu, const struct rm_insn *in)
{
	pr_warn_ratelimited("virtual-8086 mode: cannot emulate %*ph at %04x:%04lx\n",
			    (int)min(in->avail, in->pfx + 3), in->bytes,
			    vmcs_read16(GUEST_CS_SELECTOR), vmx_rip(vcpu));
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
}

/* Done: IP past the @len bytes. */
static int done(struct vtx_vcpu *vcpu, unsigned int len)
{
	vmx_skip_instruction(vcpu, len);
	return 1;
}

static int emulate_hlt(struct vtx_vcpu *vcpu, unsigned int len)
{
	vmx_skip_instruction(vcpu, len);
	if (vcpu->apic) {
		vtx_apic_halt(vcpu);
		return 1;
	}
	vcpu->run->exit_reason = KVM_EXIT_HLT;
	return 0;
}

/* IN, OUT (imm8 or DX), INS, OUTS: the I/O exit's work (exit.c). */
static int emulate_io(struct vtx_vcpu *vcpu, const struct rm_insn *in)
{
	struct vtx_pio *pio = &vcpu->pio;
	u8 op = in->bytes[in->pfx];
	bool string = op <= OP_OUTS_LAST;

	pio->size = !(op & OP_IO_WIDE) ? 1 : in->opsize ? 4 : 2;
	pio->rep = string && in->rep;
	if (op >= OP_IN_IMM && op <= OP_OUT_IMM_LAST) {
		pio->in = !(op & OP_IO_OUT);
		pio->port = in->bytes[in->pfx + 1];
		pio->insn_len = in->pfx + 2;
	} else {
		/* EC-EF: bit 1 is OUT; 6C-6F: bit 1 is OUTS */
		pio->in = !(op & OP_IO_OUT);
		pio->port = vcpu->regs[VTX_RDX];
		pio->insn_len = in->pfx + 1;
	}
	if (string) {
		pio->addr_bytes = in->adsize ? 4 : 2;
		pio->seg = in->seg >= 0 ? in->seg : VTX_SREG_DS;
	}
	return vtx_handle_pio(vcpu, string);
}

/* The emulator's view of the registers, for a ModRM memory operand. */
static int mem_operand(struct vtx_vcpu *vcpu, const struct rm_insn *in,
		       u64 *linear, unsigned int *len)
{
	struct vtx_emu e = { .mode = 16 };
	int i;

	memcpy(e.insn, in->bytes, sizeof(e.insn));
	e.insn_len_avail = in->avail;
	for (i = 0; i < VTX_NR_GPRS; i++)
		e.gpr[i] = vtx_reg_read(vcpu, i);
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++)
		e.seg_base[i] = vmcs_readl(GUEST_ES_BASE + i * 2);
	if (vtx_emu_mem_operand(&e, linear))
		return -EINVAL;
	*len = e.len;
	return 0;
}

static int write_cr0_or_gp(struct vtx_vcpu *vcpu, unsigned long val,
			   unsigned int len)
{
	if (vmx_write_cr0(vcpu, val))
		return vmx_inject_gp(vcpu);
	return done(vcpu, len);
}

static int emulate_mov_cr(struct vtx_vcpu *vcpu, const struct rm_insn *in,
			  bool to)
{
	u8 modrm = in->bytes[in->pfx + 2];
	int cr = MODRM_REG(modrm), reg = MODRM_RM(modrm);
	unsigned int len = in->pfx + 3;
	unsigned long val;

	/* real mode: the mod field is ignored, the operand a register */
	if (!to) {
		switch (cr) {
		case 0:
			val = vtx_get_cr0(vcpu);
			break;
		case 2:
			val = vcpu->cr2;
			break;
		case 3:
			val = vtx_get_cr3(vcpu);
			break;
		case 4:
			val = vcpu->cr4;
			break;
		default:
			return vmx_inject_ud(vcpu);
		}
		vtx_reg_write(vcpu, reg, (u32)val);
		return done(vcpu, len);
	}
	val = (u32)vtx_reg_read(vcpu, reg);
	switch (cr) {
	case 0:
		return write_cr0_or_gp(vcpu, val, len);
	case 2:
		vcpu->cr2 = val;
		return done(vcpu, len);
	case 3:
		if (val & vtx_rsvd_gpa_bits(vcpu))
			return vmx_inject_gp(vcpu);
		vmx_set_cr3(vcpu, val);
		return done(vcpu, len);
	case 4:
		if (!vtx_cr4_valid(vcpu, val) || (val & X86_CR4_PCIDE))
			return vmx_inject_gp(vcpu);
		vtx_set_cr4(vcpu, val);
		vtx_flush_guest_tlb(vcpu);
		return done(vcpu, len);
	}
	return vmx_inject_ud(vcpu);
}

/*
 * An operand outside guest RAM: the MMIO emulator's (x86/mmio.c), as the
 * access the processor would have made after its privilege check (LMSW
 * of a device register; it refuses LGDT and LIDT, as KVM's does).
 */
static int mmio_operand(struct vtx_vcpu *vcpu, u64 linear)
{
	struct vtx_mmio_fault f = {
		.gpa = (u32)linear,
		.linear = linear,
		.linear_valid = true,
	};
	int r, srcu;

	srcu = srcu_read_lock(&vcpu->vm->srcu);
	r = vtx_handle_mmio(vcpu, &f);
	srcu_read_unlock(&vcpu->vm->srcu, srcu);
	return r;
}

/*
 * SGDT, SIDT, SMSW of a state rmemu.c emulates (vm86 runs them): the
 * descriptor table's limit and base (24 bits with a 16-bit operand, as
 * KVM's emulate_store_desc_ptr()), or CR0's low 16 bits, to memory; SMSW
 * to a register writes CR0 at the operand size.
 */
static int emulate_store_grp7(struct vtx_vcpu *vcpu, const struct rm_insn *in)
{
	u8 modrm = in->bytes[in->pfx + 2], op = MODRM_REG(modrm);
	u8 buf[DT_OPERAND_BYTES];
	struct kvm_dtable dt;
	unsigned long cr0 = vtx_get_cr0(vcpu);
	unsigned int len, n = sizeof(buf);
	u32 base;
	u64 linear;

	if (MODRM_MOD(modrm) == MODRM_MOD_REG) {
		if (op != GRP7_SMSW)
			return vmx_inject_ud(vcpu);
		cr0 = in->opsize ? (u32)cr0 :
		      (vtx_reg_read(vcpu, MODRM_RM(modrm)) &
		       ~(unsigned long)U16_MAX) | (u16)cr0;
		vtx_reg_write(vcpu, MODRM_RM(modrm), cr0);
		return done(vcpu, in->pfx + 3);
	}
	if (mem_operand(vcpu, in, &linear, &len))
		return emulation_failed(vcpu, in);
	if (op == GRP7_SMSW) {
		n = sizeof(u16);
		memcpy(buf, &cr0, n);
	} else {
		vtx_x86_ops.get_dt(vcpu, &dt, op == GRP7_SIDT);
		base = in->opsize ? dt.base : dt.base & DT_BASE16_MASK;
		memcpy(buf, &dt.limit, sizeof(dt.limit));
		memcpy(buf + sizeof(dt.limit), &base, sizeof(base));
	}
	/* real mode: linear addresses are physical ones; RAM, not a ROM */
	if (!vtx_gpa_is_ram(vcpu->vm, vtx_vcpu_as(vcpu), (u32)linear) ||
	    !vtx_gpa_is_ram(vcpu->vm, vtx_vcpu_as(vcpu), (u32)(linear + n - 1)) ||
	    vtx_vcpu_write_guest_phys(vcpu, (u32)linear, buf, n))
		return mmio_operand(vcpu, linear);
	return done(vcpu, len);
}

/* LGDT, LIDT, LMSW, INVLPG (0F 01 /2, /3, /6, /7); SGDT, SIDT, SMSW. */
static int emulate_grp7(struct vtx_vcpu *vcpu, const struct rm_insn *in)
{
	u8 modrm = in->bytes[in->pfx + 2];
	unsigned int len;
	u64 linear;
	u8 buf[DT_OPERAND_BYTES];
	u16 msw;

	if (MODRM_REG(modrm) == GRP7_SGDT || MODRM_REG(modrm) == GRP7_SIDT ||
	    MODRM_REG(modrm) == GRP7_SMSW)
		return emulate_store_grp7(vcpu, in);
	if (MODRM_REG(modrm) == GRP7_LMSW && MODRM_MOD(modrm) == MODRM_MOD_REG) {
		msw = vtx_reg_read(vcpu, MODRM_RM(modrm));
		len = in->pfx + 3;
	} else {
		switch (MODRM_REG(modrm)) {
		case GRP7_LGDT:
		case GRP7_LIDT:
		case GRP7_LMSW:
		case GRP7_INVLPG:
			break;
		default:
			return emulation_failed(vcpu, in);
		}
		if (MODRM_MOD(modrm) == MODRM_MOD_REG)
			return vmx_inject_ud(vcpu);
		if (mem_operand(vcpu, in, &linear, &len))
			return emulation_failed(vcpu, in);
		if (MODRM_REG(modrm) == GRP7_INVLPG) {
			vtx_flush_guest_tlb(vcpu);
			return done(vcpu, len);
		}
		/* real mode: linear addresses are physical ones */
		if (vtx_vcpu_read_guest_phys(vcpu, linear, buf,
					     MODRM_REG(modrm) == GRP7_LMSW ?
					     sizeof(msw) : sizeof(buf)))
			return mmio_operand(vcpu, linear);
		if (MODRM_REG(modrm) != GRP7_LMSW) {
			struct kvm_dtable dt = {
				.limit = le16_at(buf),
				.base = le32_at(buf + 2),
			};

			if (!in->opsize)
				dt.base &= DT_BASE16_MASK;
			vtx_x86_ops.set_dt(vcpu, &dt,
					   MODRM_REG(modrm) == GRP7_LIDT);
			return done(vcpu, len);
		}
		msw = le16_at(buf);
	}
	/* LMSW can set PE but never clear it */
	return write_cr0_or_gp(vcpu, (vtx_get_cr0(vcpu) &
				      ~(LMSW_BITS & ~X86_CR0_PE)) |
				     (msw & LMSW_BITS), len);
}

static int emulate_msr(struct vtx_vcpu *vcpu, bool write, unsigned int len)
{
	u32 index = vcpu->regs[VTX_RCX];
	u64 data;
	int r;

	if (write) {
		data = (u32)vcpu->regs[VTX_RAX] |
		       ((u64)vcpu->regs[VTX_RDX] << 32);
		r = vtx_wrmsr_checked(vcpu, index, data);
	} else {
		r = vtx_rdmsr_checked(vcpu, index, &data);
	}
	if (unlikely(r))
		return vtx_msr_failed(vcpu, index, write, data, r, len);
	if (!write) {
		vcpu->regs[VTX_RAX] = (u32)data;
		vcpu->regs[VTX_RDX] = data >> 32;
	}
	return done(vcpu, len);
}

/**
 * vtx_rmode_sensitive() - the instruction at CS:IP, if it is one real
 * mode runs at CPL 0 and virtual-8086 mode refuses at CPL 3, emulated.
 * @vcpu:	the loaded vCPU, in vm86 (at a #GP exit, or in a state VMX
 *		cannot enter: the VMCS's bases are the guest's then)
 *
 * HLT; IN, OUT, INS, OUTS and INT n (the TSS of limit 0 refuses them);
 * MOV to and from CR0, CR2, CR3, CR4; CLTS, LMSW, LGDT, LIDT, INVLPG;
 * INVD, WBINVD; RDMSR, WRMSR.
 *
 * Return: as an exit handler, or -EOPNOTSUPP for another instruction.
 */
int vtx_rmode_sensitive(struct vtx_vcpu *vcpu)
{
	struct rm_insn in;
	u8 op;
	int r;

	r = fetch_insn(vcpu, &in);
	if (r == -ERANGE) {
		/* the instruction crosses CS's limit: the guest's #GP(0) */
		vtx_queue_exception(vcpu, GP_VECTOR, true, 0);
		return 1;
	}
	if (r)
		return emulation_failed(vcpu, &in);
	op = in.bytes[in.pfx];
	if (op == OP_HLT)
		return emulate_hlt(vcpu, in.pfx + 1);
	if (op == OP_INT) {
		vtx_queue_exception(vcpu, in.bytes[in.pfx + 1], false, 0);
		vcpu->event.type = VTX_EVENT_SOFT_INT;
		vcpu->event.insn_len = in.pfx + 2;
		return 1;
	}
	if ((op >= OP_IN_IMM && op <= OP_OUT_IMM_LAST) ||
	    (op >= OP_IN_DX && op <= OP_OUT_DX_LAST) ||
	    (op >= OP_INS && op <= OP_OUTS_LAST))
		return emulate_io(vcpu, &in);
	if (op != OP_TWOBYTE)
		return -EOPNOTSUPP;
	switch (in.bytes[in.pfx + 1]) {
	case OP2_GRP7:
		return emulate_grp7(vcpu, &in);
	case OP2_CLTS:
		return write_cr0_or_gp(vcpu, vtx_get_cr0(vcpu) & ~X86_CR0_TS,
				       in.pfx + 2);
	case OP2_INVD:
	case OP2_WBINVD:
		return done(vcpu, in.pfx + 2);
	case OP2_MOV_FROM_CR:
		return emulate_mov_cr(vcpu, &in, false);
	case OP2_MOV_TO_CR:
		return emulate_mov_cr(vcpu, &in, true);
	case OP2_WRMSR:
		return emulate_msr(vcpu, true, in.pfx + 2);
	case OP2_RDMSR:
		return emulate_msr(vcpu, false, in.pfx + 2);
	}
	return -EOPNOTSUPP;
}

/**
 * vtx_rmode_handle_gp() - a #GP in vm86: a sensitive instruction
 * (vtx_rmode_sensitive()), or one past vm86's 64 KiB limits that the
 * guest's own limits allow (big real mode), emulated (rmemu.c).
 * @vcpu:	the vCPU, at the #GP exit, in vm86
 *
 * Anything else ends KVM_RUN with an emulation error: the guest does not
 * get a #GP real mode would not raise.
 *
 * Return: as an exit handler.
 */
int vtx_rmode_handle_gp(struct vtx_vcpu *vcpu)
{
	int r = vtx_rmode_sensitive(vcpu);

	if (r == -EOPNOTSUPP)
		r = vtx_rmemu_step(vcpu);
	if (r == -EOPNOTSUPP)
		return vtx_rmode_emulation_failed(vcpu);
	return r;
}
