// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - System Management Mode, as KVM 6.1 offers it to guests.
 *
 * An SMI (KVM_SMI, an APIC message of delivery mode SMI, or
 * KVM_SET_VCPU_EVENTS' smi.pending) waits in vcpu->smi_pending until the
 * vCPU is outside SMM with no event half delivered; then vtx_enter_smm()
 * writes the state-save map at SMBASE + 0xFE00 (KVM's 64-bit layout for a
 * vCPU whose CPUID has long mode, else its 32-bit one), and starts the
 * SMI handler at SMBASE + 0x8000 in a big real mode.  In SMM the vCPU
 * sees the memslots of address space 1 (SMRAM, and what else userspace
 * put there) through page tables of their own (vtx_vcpu_as()).  RSM is
 * #UD to VMX guests; vtx_handle_ud() brings it here, and it restores the
 * saved state with KVM's checks, a state that fails them being a
 * shutdown.  Everything here runs on the vCPU's thread under vcpu->mutex
 * (fields [v] of struct vtx_vcpu); other threads only make VTX_REQ_SMI.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <asm/trapnr.h>
#include "x86/x86.h"

/* The state-save map: the last 512 bytes of the 64 KiB above SMBASE. */
#define SMM_SAVE_OFFSET		0xfe00
#define SMM_SAVE_SIZE		512
/* Offsets below are as the SDM gives them, from SMBASE + 0x8000. */
#define SMM_MAP_BASE		0x7e00
#define SMM_HANDLER_RIP		0x8000
/* KVM's revision identifiers of its two layouts. */
#define SMM_REVISION_32		0x00020000
#define SMM_REVISION_64		0x00020064

/* 32-bit layout */
#define SMM32_CR0		0x7ffc
#define SMM32_CR3		0x7ff8
#define SMM32_RFLAGS		0x7ff4
#define SMM32_RIP		0x7ff0
#define SMM32_GPRS		0x7fd0	/* EAX..EDI, 4 bytes each, upward */
#define SMM32_DR6		0x7fcc
#define SMM32_DR7		0x7fc8
#define SMM32_TR_SEL		0x7fc4
#define SMM32_LDTR_SEL		0x7fc0
#define SMM32_SEL		0x7fa8	/* ES..GS selectors, 4 bytes each */
#define SMM32_SEG_LO		0x7f84	/* ES, CS, SS: flags, limit, base */
#define SMM32_LDTR		0x7f78
#define SMM32_GDT_BASE		0x7f74
#define SMM32_GDT_LIMIT		0x7f70
#define SMM32_TR		0x7f5c
#define SMM32_IDT_BASE		0x7f58
#define SMM32_IDT_LIMIT		0x7f54
#define SMM32_SEG_HI		0x7f2c	/* DS, FS, GS: flags, limit, base */
#define SMM32_CR4		0x7f14
#define SMM32_SMBASE		0x7ef8
#define SMM32_SEG_SIZE		12

/* 64-bit layout */
#define SMM64_GPRS		0x7ff8	/* RAX..R15, 8 bytes each, downward */
#define SMM64_RIP		0x7f78
#define SMM64_RFLAGS		0x7f70
#define SMM64_DR6		0x7f68
#define SMM64_DR7		0x7f60
#define SMM64_CR0		0x7f58
#define SMM64_CR3		0x7f50
#define SMM64_CR4		0x7f48
#define SMM64_SMBASE		0x7f00
#define SMM64_EFER		0x7ed0
#define SMM64_TR		0x7e90
#define SMM64_IDT_LIMIT		0x7e84
#define SMM64_IDT_BASE		0x7e88
#define SMM64_LDTR		0x7e70
#define SMM64_GDT_LIMIT		0x7e64
#define SMM64_GDT_BASE		0x7e68
#define SMM64_SEGS		0x7e00	/* ES..GS, 16 bytes each */
#define SMM64_SEG_SIZE		16

#define SMM_REVISION		0x7efc
/* 32-bit map: segment flags as a descriptor's bits 8-23 (KVM's layout) */
#define SEG_FLAGS_SHIFT		8
#define SEG_DESC_LIMIT_MASK	0xfffff
#define SEG_GRANULARITY_SHIFT	12
#define SEG_TYPE_DATA_RW_A	3
#define SEG_TYPE_CODE_RX_A	11
/* SMBASE's bits 19:4 make the handler's CS selector. */
#define SMM_CS_SELECTOR_SHIFT	4
#define SMM_FLAT_LIMIT		0xffffffffu
/* CR0 bits KVM keeps (the rest are reserved: MOV to CR0 #GPs). */
#define SMM_CR0_DEFINED		(X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | \
				 X86_CR0_TS | X86_CR0_ET | X86_CR0_NE | \
				 X86_CR0_WP | X86_CR0_AM | X86_CR0_NW | \
				 X86_CR0_CD | X86_CR0_PG)
#define SMM_DR7_FIXED		0x400ul

static_assert(SMM_SAVE_SIZE == 0x8000 - SMM_MAP_BASE);

/*
 * Fields of the map, at their SDM offsets (from SMBASE + 0x8000); x86 is
 * little-endian, as the map is.
 */
static void put32(u8 *map, unsigned int off, u32 val)
{
	memcpy(map + off - SMM_MAP_BASE, &val, sizeof(val));
}

static void put16(u8 *map, unsigned int off, u16 val)
{
	memcpy(map + off - SMM_MAP_BASE, &val, sizeof(val));
}

static void put64(u8 *map, unsigned int off, u64 val)
{
	memcpy(map + off - SMM_MAP_BASE, &val, sizeof(val));
}

static u32 get32(const u8 *map, unsigned int off)
{
	u32 val;

	memcpy(&val, map + off - SMM_MAP_BASE, sizeof(val));
	return val;
}

static u16 get16(const u8 *map, unsigned int off)
{
	u16 val;

	memcpy(&val, map + off - SMM_MAP_BASE, sizeof(val));
	return val;
}

static u64 get64(const u8 *map, unsigned int off)
{
	u64 val;

	memcpy(&val, map + off - SMM_MAP_BASE, sizeof(val));
	return val;
}

/* A segment's attributes as descriptor bits 8-23 (type .. G). */
static u32 seg_flags(const struct kvm_segment *s)
{
	return (u32)s->g << 23 | (u32)s->db << 22 | (u32)s->l << 21 |
	       (u32)s->avl << 20 | (u32)s->present << 15 |
	       (u32)s->dpl << 13 | (u32)s->s << 12 | (u32)s->type << 8;
}

/*
 * The segment a saved selector, base, limit and flags give back, as KVM's
 * RSM loads it through a descriptor: the limit keeps 20 bits, scaled by
 * the granularity bit, and a segment that is not present is unusable.
 */
static void seg_from_map(struct kvm_segment *s, u16 sel, u64 base, u32 limit,
			 u32 flags)
{
	memset(s, 0, sizeof(*s));
	s->selector = sel;
	s->base = base;
	s->g = flags >> 23 & 1;
	s->db = flags >> 22 & 1;
	s->l = flags >> 21 & 1;
	s->avl = flags >> 20 & 1;
	s->present = flags >> 15 & 1;
	s->dpl = flags >> 13 & 3;
	s->s = flags >> 12 & 1;
	s->type = flags >> 8 & 0xf;
	limit &= SEG_DESC_LIMIT_MASK;
	s->limit = s->g ? limit << SEG_GRANULARITY_SHIFT |
			  (BIT(SEG_GRANULARITY_SHIFT) - 1) : limit;
	s->unusable = !s->present;
}

static bool smm_long_mode(struct vtx_vcpu *vcpu)
{
	return vtx_guest_cpuid_has(vcpu, X86_FEATURE_LM);
}

/* ES, CS, SS at 0x7f84; DS, FS, GS at 0x7f2c (KVM's 32-bit layout). */
static unsigned int seg32_offset(int n)
{
	return n < VTX_SREG_DS ? SMM32_SEG_LO + n * SMM32_SEG_SIZE :
				 SMM32_SEG_HI + (n - VTX_SREG_DS) *
						SMM32_SEG_SIZE;
}

static void save_state_32(struct vtx_vcpu *vcpu, u8 *map)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment seg;
	struct kvm_dtable dt;
	int i;

	put32(map, SMM32_CR0, ops->get_cr0(vcpu));
	put32(map, SMM32_CR3, vtx_get_cr3(vcpu));
	put32(map, SMM32_RFLAGS, vtx_get_user_rflags(vcpu));
	put32(map, SMM32_RIP, vtx_rip(vcpu));
	for (i = 0; i < VTX_R8; i++)
		put32(map, SMM32_GPRS + i * 4, vtx_reg_read(vcpu, i));
	put32(map, SMM32_DR6, vcpu->dr6);
	put32(map, SMM32_DR7, ops->get_dr7(vcpu));

	ops->get_segment(vcpu, &seg, VTX_SREG_TR);
	put32(map, SMM32_TR_SEL, seg.selector);
	put32(map, SMM32_TR + 8, seg.base);
	put32(map, SMM32_TR + 4, seg.limit);
	put32(map, SMM32_TR, seg_flags(&seg));
	ops->get_segment(vcpu, &seg, VTX_SREG_LDTR);
	put32(map, SMM32_LDTR_SEL, seg.selector);
	put32(map, SMM32_LDTR + 8, seg.base);
	put32(map, SMM32_LDTR + 4, seg.limit);
	put32(map, SMM32_LDTR, seg_flags(&seg));
	ops->get_dt(vcpu, &dt, false);
	put32(map, SMM32_GDT_BASE, dt.base);
	put32(map, SMM32_GDT_LIMIT, dt.limit);
	ops->get_dt(vcpu, &dt, true);
	put32(map, SMM32_IDT_BASE, dt.base);
	put32(map, SMM32_IDT_LIMIT, dt.limit);
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++) {
		unsigned int off = seg32_offset(i);

		ops->get_segment(vcpu, &seg, i);
		put32(map, SMM32_SEL + i * 4, seg.selector);
		put32(map, off + 8, seg.base);
		put32(map, off + 4, seg.limit);
		put32(map, off, seg_flags(&seg));
	}
	put32(map, SMM32_CR4, ops->get_cr4(vcpu));
	put32(map, SMM_REVISION, SMM_REVISION_32);
	put32(map, SMM32_SMBASE, vcpu->smbase);
}

/* A system segment of the 64-bit map: selector, flags, limit, base. */
static void put_seg64(u8 *map, unsigned int off, const struct kvm_segment *s)
{
	put16(map, off, s->selector);
	put16(map, off + 2, seg_flags(s) >> SEG_FLAGS_SHIFT);
	put32(map, off + 4, s->limit);
	put64(map, off + 8, s->base);
}

static void get_seg64(const u8 *map, unsigned int off, struct kvm_segment *s)
{
	seg_from_map(s, get16(map, off), get64(map, off + 8),
		     get32(map, off + 4),
		     (u32)get16(map, off + 2) << SEG_FLAGS_SHIFT);
}

static void save_state_64(struct vtx_vcpu *vcpu, u8 *map)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment seg;
	struct kvm_dtable dt;
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		put64(map, SMM64_GPRS - i * 8, vtx_reg_read(vcpu, i));
	put64(map, SMM64_RIP, vtx_rip(vcpu));
	put32(map, SMM64_RFLAGS, vtx_get_user_rflags(vcpu));
	put64(map, SMM64_DR6, vcpu->dr6);
	put64(map, SMM64_DR7, ops->get_dr7(vcpu));
	put64(map, SMM64_CR0, ops->get_cr0(vcpu));
	put64(map, SMM64_CR3, vtx_get_cr3(vcpu));
	put64(map, SMM64_CR4, ops->get_cr4(vcpu));
	put32(map, SMM64_SMBASE, vcpu->smbase);
	put32(map, SMM_REVISION, SMM_REVISION_64);
	put64(map, SMM64_EFER, vcpu->efer);
	ops->get_segment(vcpu, &seg, VTX_SREG_TR);
	put_seg64(map, SMM64_TR, &seg);
	ops->get_dt(vcpu, &dt, true);
	put32(map, SMM64_IDT_LIMIT, dt.limit);
	put64(map, SMM64_IDT_BASE, dt.base);
	ops->get_segment(vcpu, &seg, VTX_SREG_LDTR);
	put_seg64(map, SMM64_LDTR, &seg);
	ops->get_dt(vcpu, &dt, false);
	put32(map, SMM64_GDT_LIMIT, dt.limit);
	put64(map, SMM64_GDT_BASE, dt.base);
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++) {
		ops->get_segment(vcpu, &seg, i);
		put_seg64(map, SMM64_SEGS + i * SMM64_SEG_SIZE, &seg);
	}
}

/**
 * vtx_smm_changed() - the vCPU enters or leaves SMM: its memslots and page
 * tables change (address space 1 in SMM), as KVM's kvm_smm_changed().
 * @vcpu:	the loaded vCPU, by its thread
 * @entering:	entering SMM
 *
 * Leaving SMM lets a latched INIT and a pending SMI in (VTX_REQ_EVENT).
 */
void vtx_smm_changed(struct vtx_vcpu *vcpu, bool entering)
{
	vcpu->smm = entering;
	if (!entering) {
		vcpu->smm_inside_nmi = false;
		vtx_make_request(VTX_REQ_EVENT, vcpu);
	}
	vtx_x86_ops.smm_changed(vcpu);
	vtx_make_request(VTX_REQ_TLB_FLUSH, vcpu);
}

/**
 * vtx_enter_smm() - deliver an SMI: save the state in SMRAM and start the
 * handler (KVM's enter_smm()).
 * @vcpu:	the loaded vCPU, by its thread, outside SMM
 */
static void vtx_enter_smm(struct vtx_vcpu *vcpu)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment cs = {
		.selector = (vcpu->smbase >> SMM_CS_SELECTOR_SHIFT) & 0xffff,
		.base = vcpu->smbase,
		.limit = SMM_FLAT_LIMIT,
		.type = SEG_TYPE_DATA_RW_A,
		.s = 1,
		.g = 1,
		.present = 1,
	};
	struct kvm_segment ds = cs;
	struct kvm_dtable idt = { };
	u8 map[SMM_SAVE_SIZE] = { };
	unsigned long cr0;

	if (smm_long_mode(vcpu))
		save_state_64(vcpu, map);
	else
		save_state_32(vcpu, map);
	vtx_smm_changed(vcpu, true);
	/* As KVM: a map outside SMRAM is the VMM's mistake, not a failure. */
	if (vtx_vcpu_write_guest_phys(vcpu, vcpu->smbase + SMM_SAVE_OFFSET,
				      map, sizeof(map)))
		pr_debug_ratelimited("SMM state-save map at 0x%llx is not RAM\n",
				     vcpu->smbase + SMM_SAVE_OFFSET);

	if (ops->get_nmi_mask(vcpu))
		vcpu->smm_inside_nmi = true;
	else
		ops->set_nmi_mask(vcpu, true);
	vtx_set_user_rflags(vcpu, X86_EFLAGS_FIXED);
	vtx_set_rip(vcpu, SMM_HANDLER_RIP);
	ops->set_interrupt_shadow(vcpu, 0);

	cr0 = ops->get_cr0(vcpu) &
	      ~(X86_CR0_PE | X86_CR0_EM | X86_CR0_TS | X86_CR0_PG);
	if (vcpu->efer & EFER_LMA)
		ops->set_efer(vcpu, vcpu->efer & ~EFER_LMA);
	ops->set_cr0(vcpu, cr0);
	ops->set_cr4(vcpu, 0);
	/* Undocumented, as KVM: the IDT limit is 0 in SMM. */
	ops->set_dt(vcpu, &idt, true);
	ops->set_dr7(vcpu, SMM_DR7_FIXED);

	ds.selector = 0;
	ds.base = 0;
	ops->set_segment(vcpu, &cs, VTX_SREG_CS);
	ops->set_segment(vcpu, &ds, VTX_SREG_DS);
	ops->set_segment(vcpu, &ds, VTX_SREG_ES);
	ops->set_segment(vcpu, &ds, VTX_SREG_FS);
	ops->set_segment(vcpu, &ds, VTX_SREG_GS);
	ops->set_segment(vcpu, &ds, VTX_SREG_SS);
	if (smm_long_mode(vcpu))
		ops->set_efer(vcpu, 0);
	vcpu->event.valid = false;
}

/**
 * vtx_smm_check() - deliver a pending SMI if the vCPU can take it now:
 * outside SMM (SMIs are blocked there), with no event half delivered
 * (it goes in first; the SMI then waits for the next exit).
 * @vcpu:	the loaded vCPU, by its thread, before an entry
 */
void vtx_smm_check(struct vtx_vcpu *vcpu)
{
	if (!vcpu->smi_pending || vcpu->smm || vcpu->event.valid)
		return;
	vcpu->smi_pending = false;
	vtx_enter_smm(vcpu);
}

/*
 * CR0, CR3 and CR4 of the map, in KVM's order (rsm_enter_protected_mode()):
 * CR3 first (without a PCID), CR4 without PCIDE, CR0, then PCIDE and the
 * PCID.  The vCPU is in real mode with EFER as the map gives it.  Return:
 * false when a value is one the guest could not have set.
 */
static bool rsm_set_crs(struct vtx_vcpu *vcpu, u64 cr0, u64 cr3, u64 cr4)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	u64 pcid = 0;

	if (cr4 & X86_CR4_PCIDE) {
		pcid = cr3 & X86_CR3_PCID_MASK;
		cr3 &= ~X86_CR3_PCID_MASK;
	}
	if (cr3 & vtx_rsvd_gpa_bits_hw(vcpu))
		return false;
	ops->set_cr3(vcpu, cr3);
	if (cr4 >> 32 || !ops->cr4_valid(vcpu, cr4 & ~X86_CR4_PCIDE))
		return false;
	ops->set_cr4(vcpu, cr4 & ~X86_CR4_PCIDE);

	cr0 |= X86_CR0_ET;
	if (cr0 >> 32)
		return false;
	cr0 &= SMM_CR0_DEFINED;
	if ((cr0 & X86_CR0_NW) && !(cr0 & X86_CR0_CD))
		return false;
	if ((cr0 & X86_CR0_PG) && !(cr0 & X86_CR0_PE))
		return false;
	if ((cr0 & X86_CR0_PG) && (vcpu->efer & EFER_LME)) {
		if (!(cr4 & X86_CR4_PAE))
			return false;
		ops->set_efer(vcpu, vcpu->efer | EFER_LMA);
	}
	ops->set_cr0(vcpu, cr0);
	if ((cr0 & X86_CR0_PG) && (cr4 & X86_CR4_PAE) &&
	    !(vcpu->efer & EFER_LMA) && ops->load_pdptrs(vcpu))
		return false;
	if (cr4 & X86_CR4_PCIDE) {
		if (!(vcpu->efer & EFER_LMA))
			return false;
		ops->set_cr4(vcpu, cr4);
		if (pcid)
			ops->set_cr3(vcpu, cr3 | pcid);
	}
	return true;
}

/* DR6 and DR7 as KVM's kvm_set_dr() takes them: bits 63:32 clear. */
static bool rsm_set_drs(struct vtx_vcpu *vcpu, u64 dr6, u64 dr7)
{
	if (dr6 >> 32 || dr7 >> 32)
		return false;
	vcpu->dr6 = dr6 | DR6_FIXED_1;
	vtx_x86_ops.set_dr7(vcpu, dr7 | DR7_FIXED_1);
	return true;
}

static bool rsm_load_32(struct vtx_vcpu *vcpu, const u8 *map)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment seg;
	struct kvm_dtable dt;
	int i;

	vtx_set_user_rflags(vcpu, get32(map, SMM32_RFLAGS) | X86_EFLAGS_FIXED);
	vtx_set_rip(vcpu, get32(map, SMM32_RIP));
	for (i = 0; i < VTX_R8; i++)
		vtx_reg_write(vcpu, i, get32(map, SMM32_GPRS + i * 4));
	if (!rsm_set_drs(vcpu, get32(map, SMM32_DR6), get32(map, SMM32_DR7)))
		return false;
	seg_from_map(&seg, get32(map, SMM32_TR_SEL), get32(map, SMM32_TR + 8),
		     get32(map, SMM32_TR + 4), get32(map, SMM32_TR));
	ops->set_segment(vcpu, &seg, VTX_SREG_TR);
	seg_from_map(&seg, get32(map, SMM32_LDTR_SEL),
		     get32(map, SMM32_LDTR + 8), get32(map, SMM32_LDTR + 4),
		     get32(map, SMM32_LDTR));
	ops->set_segment(vcpu, &seg, VTX_SREG_LDTR);
	dt = (struct kvm_dtable){ .base = get32(map, SMM32_GDT_BASE),
				  .limit = get32(map, SMM32_GDT_LIMIT) };
	ops->set_dt(vcpu, &dt, false);
	dt = (struct kvm_dtable){ .base = get32(map, SMM32_IDT_BASE),
				  .limit = get32(map, SMM32_IDT_LIMIT) };
	ops->set_dt(vcpu, &dt, true);
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++) {
		unsigned int off = seg32_offset(i);

		seg_from_map(&seg, get32(map, SMM32_SEL + i * 4),
			     get32(map, off + 8), get32(map, off + 4),
			     get32(map, off));
		ops->set_segment(vcpu, &seg, i);
	}
	vcpu->smbase = get32(map, SMM32_SMBASE);
	return rsm_set_crs(vcpu, get32(map, SMM32_CR0), get32(map, SMM32_CR3),
			   get32(map, SMM32_CR4));
}

static bool rsm_load_64(struct vtx_vcpu *vcpu, const u8 *map)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment seg;
	struct kvm_dtable dt;
	int i;

	for (i = 0; i < VTX_NR_GPRS; i++)
		vtx_reg_write(vcpu, i, get64(map, SMM64_GPRS - i * 8));
	vtx_set_rip(vcpu, get64(map, SMM64_RIP));
	vtx_set_user_rflags(vcpu, get32(map, SMM64_RFLAGS) | X86_EFLAGS_FIXED);
	if (!rsm_set_drs(vcpu, get64(map, SMM64_DR6), get64(map, SMM64_DR7)))
		return false;
	vcpu->smbase = get32(map, SMM64_SMBASE);
	/* EFER as a guest WRMSR would write it; LMA follows CR0.PG. */
	if (vtx_set_msr(vcpu, MSR_EFER, get64(map, SMM64_EFER) & ~EFER_LMA,
			false))
		return false;
	get_seg64(map, SMM64_TR, &seg);
	ops->set_segment(vcpu, &seg, VTX_SREG_TR);
	dt = (struct kvm_dtable){ .base = get64(map, SMM64_IDT_BASE),
				  .limit = get32(map, SMM64_IDT_LIMIT) };
	ops->set_dt(vcpu, &dt, true);
	get_seg64(map, SMM64_LDTR, &seg);
	ops->set_segment(vcpu, &seg, VTX_SREG_LDTR);
	dt = (struct kvm_dtable){ .base = get64(map, SMM64_GDT_BASE),
				  .limit = get32(map, SMM64_GDT_LIMIT) };
	ops->set_dt(vcpu, &dt, false);
	if (!rsm_set_crs(vcpu, get64(map, SMM64_CR0), get64(map, SMM64_CR3),
			 get64(map, SMM64_CR4)))
		return false;
	for (i = VTX_SREG_ES; i <= VTX_SREG_GS; i++) {
		get_seg64(map, SMM64_SEGS + i * SMM64_SEG_SIZE, &seg);
		ops->set_segment(vcpu, &seg, i);
	}
	return true;
}

/*
 * Out of SMM into a state from which any saved one can be loaded: real
 * mode, no PAE, EFER 0 (KVM's em_rsm()).
 */
static void rsm_to_real_mode(struct vtx_vcpu *vcpu)
{
	const struct vtx_x86_ops *ops = &vtx_x86_ops;
	struct kvm_segment cs = {
		.type = SEG_TYPE_CODE_RX_A, .s = 1, .g = 1, .present = 1,
		.limit = BIT(SEG_GRANULARITY_SHIFT) - 1,
	};
	unsigned long cr0 = ops->get_cr0(vcpu), cr4 = ops->get_cr4(vcpu);

	if (smm_long_mode(vcpu)) {
		ops->set_cr4(vcpu, cr4 & ~X86_CR4_PCIDE);
		/* A 32-bit code segment before EFER.LMA goes. */
		ops->set_segment(vcpu, &cs, VTX_SREG_CS);
	}
	if (cr0 & X86_CR0_PE) {
		if (vcpu->efer & EFER_LMA)
			ops->set_efer(vcpu, vcpu->efer & ~EFER_LMA);
		ops->set_cr0(vcpu, cr0 & ~(X86_CR0_PG | X86_CR0_PE));
	}
	if (smm_long_mode(vcpu)) {
		ops->set_cr4(vcpu, ops->get_cr4(vcpu) & ~X86_CR4_PAE);
		ops->set_efer(vcpu, 0);
	}
}

/* The RSM instruction's bytes. */
static const u8 rsm_insn[] = { 0x0f, 0xaa };

/**
 * vtx_smm_rsm() - a #UD in SMM: if it is RSM, leave SMM with the state of
 * the state-save map (KVM's em_rsm()).
 * @vcpu:	the loaded vCPU, by its thread, in SMM
 *
 * Return: 1 to enter the guest (a map that does not check out makes a
 * shutdown, as KVM's), 0 with kvm_run filled when the map is not in guest
 * RAM (an emulation failure, as KVM's), or -ENOENT when the instruction is
 * not RSM (the caller's #UD).
 */
int vtx_smm_rsm(struct vtx_vcpu *vcpu)
{
	u8 insn[sizeof(rsm_insn)], map[SMM_SAVE_SIZE];
	u64 rip;
	bool ok;

	rip = vtx_seg_base(vcpu, VTX_SREG_CS) + vtx_rip(vcpu);
	if (!vtx_in_64bit_code(vcpu))
		rip = (u32)rip;
	if (vtx_guest_virt_copy_quiet(vcpu, rip, insn, sizeof(insn)) ||
	    memcmp(insn, rsm_insn, sizeof(insn)))
		return -ENOENT;
	if (vtx_vcpu_read_guest_phys(vcpu, vcpu->smbase + SMM_SAVE_OFFSET,
				     map, sizeof(map))) {
		/* KVM cannot emulate it either: an emulation failure */
		memset(&vcpu->run->emulation_failure, 0,
		       sizeof(vcpu->run->emulation_failure));
		vcpu->run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
		vcpu->run->emulation_failure.suberror =
			KVM_INTERNAL_ERROR_EMULATION;
		return 0;
	}
	if (!vcpu->smm_inside_nmi)
		vtx_x86_ops.set_nmi_mask(vcpu, false);
	vtx_smm_changed(vcpu, false);
	rsm_to_real_mode(vcpu);
	if (smm_long_mode(vcpu))
		ok = rsm_load_64(vcpu, map);
	else
		ok = rsm_load_32(vcpu, map);
	vtx_x86_ops.set_interrupt_shadow(vcpu, 0);
	/* A map the guest could not have made: shutdown, as KVM's. */
	if (!ok)
		vtx_make_request(VTX_REQ_TRIPLE_FAULT, vcpu);
	return 1;
}
