// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - segment loads that any x86 backend shares: LLDT and LTR (the UMIP
 * exits of vmx/umip.c and the emulator's LLDT/LTR m16 with a device
 * operand), the data segments of the emulator's MOV Sreg and LxS, CS of
 * its far JMP and CALL through memory.
 *
 * The descriptors are read from the GDT or LDT with implicit supervisor
 * accesses, checked as the SDM's pseudocode of each instruction checks
 * them, and the register goes in through the backend's set_segment (the
 * path of KVM_SET_SREGS).
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <asm/desc.h>
#include <asm/trapnr.h>
#include "x86/x86.h"

#define SEL_RPL_MASK		3
#define SEL_TI			BIT(2)
#define SEL_INDEX_MASK		0xfff8
#define SEL_ERR_MASK		0xfffc
#define DESC_BYTES		8
#define DESC_TYPE_BYTE		5	/* type, S, DPL and P */
/* The upper half of a 16-byte system descriptor: bits 12:8 must be 0 */
#define DESC_HI_TYPE_MASK	0x1f00
/* System descriptor types. */
#define SYS_TSS16_AVAIL		1
#define SYS_LDT			2
#define SYS_TSS_AVAIL		9
#define SYS_CALL_GATE16		4
#define SYS_TASK_GATE		5
#define SYS_CALL_GATE		12
#define SYS_TSS_BUSY_BIT	BIT(1)
/* Code and data descriptor type bits. */
#define SEG_TYPE_ACCESSED	BIT(0)
#define SEG_TYPE_RW		BIT(1)	/* data: writable; code: readable */
#define SEG_TYPE_CONFORMING	BIT(2)
#define SEG_TYPE_CODE		BIT(3)
#define SEG_TYPE_DATA_RW_ACC	3	/* read/write data, accessed */
#define REAL_SEG_SHIFT		4
#define VM86_SEG_LIMIT		0xffff
#define VM86_DPL		3

/* A fault with the selector's error code; 1: queued. */
static int sel_fault(struct vtx_vcpu *vcpu, u8 vector, u16 sel)
{
	vtx_queue_exception(vcpu, vector, true, sel & SEL_ERR_MASK);
	return 1;
}

/* 0, or 1 when vtx_guest_virt_access() queued a #PF; -EFAULT: not RAM. */
static int access_result(int r)
{
	if (!r)
		return 0;
	return r == -EAGAIN ? 1 : -EFAULT;
}

/*
 * The linear address of @sel's descriptor of @len bytes in the GDT (or
 * the LDT when @ldt_ok and TI is set), after the table's limit check:
 * #GP(@sel) outside it, or TI set when the LDT is not allowed or unusable.
 */
static int desc_addr(struct vtx_vcpu *vcpu, u16 sel, unsigned int len,
		     bool ldt_ok, u64 *addr)
{
	struct kvm_dtable dt;

	if (sel & SEL_TI) {
		struct kvm_segment ldt;

		if (!ldt_ok)
			return sel_fault(vcpu, X86_TRAP_GP, sel);
		vtx_x86_ops.get_segment(vcpu, &ldt, VTX_SREG_LDTR);
		if (ldt.unusable || !ldt.present)
			return sel_fault(vcpu, X86_TRAP_GP, sel);
		dt.base = ldt.base;
		dt.limit = ldt.limit;
	} else {
		vtx_x86_ops.get_dt(vcpu, &dt, false);
	}
	if ((sel & SEL_INDEX_MASK) + len - 1 > dt.limit)
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	*addr = dt.base + (sel & SEL_INDEX_MASK);
	/* 32-bit outside IA-32e mode; compatibility mode's bases are 64-bit */
	if (!vtx_is_long_mode(vcpu))
		*addr = (u32)*addr;
	return 0;
}

/*
 * Set @bit in the type field of the descriptor @d read from @addr, there
 * (an implicit write, as the processor's: the accessed bit, a TSS's busy
 * bit) and in @d.  0, 1 for a #PF queued, -EFAULT: not RAM.
 */
static int desc_set_type_bit(struct vtx_vcpu *vcpu, u64 addr,
			     struct desc_struct *d, u8 bit)
{
	u8 *b = (u8 *)d + DESC_TYPE_BYTE;

	*b |= bit;
	return access_result(vtx_guest_virt_access(vcpu,
						   addr + DESC_TYPE_BYTE, b, 1,
						   VTX_ACC_IMPLICIT |
						   VTX_ACC_WRITE));
}

/*
 * The 8-byte code or data descriptor of @sel (GDT or LDT) at *@addr into
 * @d: desc_addr()'s checks, then an implicit read.  0, 1 for an exception
 * queued, -EFAULT: not RAM.
 */
static int read_desc(struct vtx_vcpu *vcpu, u16 sel, u64 *addr,
		     struct desc_struct *d)
{
	int r = desc_addr(vcpu, sel, DESC_BYTES, true, addr);

	if (r)
		return r;
	return access_result(vtx_guest_virt_access(vcpu, *addr, d, sizeof(*d),
						   VTX_ACC_IMPLICIT));
}

/* A kvm_segment of descriptor @d (its base's bits 63:32 in @base_hi). */
static void desc_to_segment(const struct desc_struct *d, u32 base_hi,
			    u16 sel, struct kvm_segment *var)
{
	memset(var, 0, sizeof(*var));
	var->selector = sel;
	var->base = get_desc_base(d) | ((u64)base_hi << 32);
	var->limit = get_desc_limit(d);
	if (d->g)
		var->limit = (var->limit << PAGE_SHIFT) | ~PAGE_MASK;
	var->type = d->type;
	var->present = d->p;
	var->s = d->s;
	var->dpl = d->dpl;
	var->db = d->d;
	var->l = d->l;
	var->g = d->g;
	var->avl = d->avl;
}

/**
 * vtx_load_ldtr_tr() - LLDT (@tr false) or LTR of @sel, as the processor.
 * @vcpu:	the loaded vCPU, in protected mode outside virtual-8086 mode
 *		(LLDT and LTR are #UD elsewhere: the caller's check)
 * @sel:	the selector
 * @tr:		LTR
 *
 * The SDM's checks, in its order: CPL 0 else #GP(0); a null selector
 * (bits 15:2 clear) leaves LDTR unusable, and is #GP(0) for LTR; TI set
 * or the descriptor (16 bytes in IA-32e mode) beyond the GDT's limit is
 * #GP(sel); the descriptor must be a system descriptor of type LDT, or of
 * an available TSS (32/64-bit; 16-bit too outside IA-32e mode), else
 * #GP(sel); the upper half of a 16-byte descriptor must have a zero type
 * field and the base must be canonical, else #GP(sel); not present is
 * #NP(sel).  LTR sets the busy bit of the TSS descriptor in the GDT
 * (an implicit write, before TR is loaded).
 *
 * Return: 0 when loaded; 1 when an exception (also a #PF of a descriptor
 * access) was queued, nothing loaded; -EFAULT when the descriptor is not
 * in RAM (the caller's emulation failure).
 */
int vtx_load_ldtr_tr(struct vtx_vcpu *vcpu, u16 sel, bool tr)
{
	bool lm = vtx_is_long_mode(vcpu);
	unsigned int len = lm ? 2 * DESC_BYTES : DESC_BYTES;
	struct kvm_segment var;
	struct desc_struct d[2];
	u32 hi[2] = { 0 };	/* a 16-byte descriptor's upper half */
	u64 addr;
	int r;

	if (vtx_x86_ops.get_cpl(vcpu))
		return sel_fault(vcpu, X86_TRAP_GP, 0);
	if (!(sel & ~SEL_RPL_MASK)) {
		if (tr)
			return sel_fault(vcpu, X86_TRAP_GP, 0);
		/* A null selector leaves LDTR unusable. */
		memset(&var, 0, sizeof(var));
		var.selector = sel;
		var.unusable = 1;
		vtx_x86_ops.set_segment(vcpu, &var, VTX_SREG_LDTR);
		return 0;
	}
	r = desc_addr(vcpu, sel, len, false, &addr);
	if (r)
		return r;
	r = access_result(vtx_guest_virt_access(vcpu, addr, d, len,
						VTX_ACC_IMPLICIT));
	if (r)
		return r;
	BUILD_BUG_ON(sizeof(hi) != sizeof(d[1]));
	if (lm)
		memcpy(hi, &d[1], sizeof(hi));
	if (d[0].s ||
	    (!tr && d[0].type != SYS_LDT) ||
	    (tr && d[0].type != SYS_TSS_AVAIL &&
	     (lm || d[0].type != SYS_TSS16_AVAIL)))
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	if (!d[0].p)
		return sel_fault(vcpu, X86_TRAP_NP, sel);
	desc_to_segment(&d[0], hi[0], sel, &var);
	if (lm && ((hi[1] & DESC_HI_TYPE_MASK) ||
		   !__is_canonical_address(var.base, VTX_VADDR_BITS)))
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	if (tr) {
		r = desc_set_type_bit(vcpu, addr, &d[0], SYS_TSS_BUSY_BIT);
		if (r)
			return r;
		var.type |= SYS_TSS_BUSY_BIT;
	}
	vtx_x86_ops.set_segment(vcpu, &var, tr ? VTX_SREG_TR : VTX_SREG_LDTR);
	return 0;
}

/* Gates and TSSs: a far JMP through one is a task switch or a gate. */
static bool far_jmp_via_gate(struct vtx_vcpu *vcpu, u8 type)
{
	if (vtx_is_long_mode(vcpu))
		return type == SYS_CALL_GATE;
	return type == SYS_TSS16_AVAIL || type == SYS_CALL_GATE16 ||
	       type == SYS_TASK_GATE || type == SYS_TSS_AVAIL ||
	       type == SYS_CALL_GATE;
}

/* A far CALL's push, once CS passed: 0, or -EAGAIN (the emulator's fault) */
static int far_call_push(struct vtx_emu *call)
{
	if (call && vtx_emu_far_call_push(call))
		return -EAGAIN;
	return 0;
}

/**
 * vtx_load_far_jmp() - CS:RIP of a far JMP or CALL to @sel:@off, as the
 * processor (SDM Vol. 2 JMP and CALL, to a code segment at the same
 * privilege) and KVM's em_jmp_far/em_call_far.
 * @vcpu:	the loaded vCPU
 * @sel:	the selector
 * @off:	the offset, already masked to the operand size
 * @rflags:	the guest's RFLAGS (VM: virtual-8086 mode)
 * @call:	a far CALL's emulator state (NULL for JMP): its return
 *		address is pushed once CS passed its checks, before the load
 *
 * Real mode: CS's selector and base (limit and rights kept).
 * Virtual-8086 mode: a 64 KiB code segment at DPL 3.  Protected mode: a
 * null selector is #GP(0); the descriptor beyond its table's limit, not a
 * code segment, conforming with DPL > CPL, non-conforming with RPL > CPL
 * or DPL != CPL, or in IA-32e mode with both L and D set is #GP(sel); not
 * present is #NP(sel).  A call gate, task gate or TSS is not done here
 * (-EFAULT: the caller's emulation failure, as KVM 6.1's
 * X86EMUL_UNHANDLEABLE); another system descriptor is #GP(sel).  Then
 * the offset: beyond the new limit (outside 64-bit code) or
 * non-canonical (into 64-bit code) is #GP(0).  Only then a far CALL
 * pushes, the accessed bit is set and CS loaded, its RPL the CPL; the
 * caller sets RIP and RSP.
 *
 * Return: 0 when loaded; 1 when an exception was queued, nothing loaded;
 * -EAGAIN when the far CALL's push failed (@call's fault flags, or a #PF
 * queued: the caller's fault_or_failure()); -EFAULT for what is not
 * emulated (a gate, a descriptor not in RAM).
 */
int vtx_load_far_jmp(struct vtx_vcpu *vcpu, u16 sel, u64 off, u64 rflags,
		     struct vtx_emu *call)
{
	u8 cpl, rpl = sel & SEL_RPL_MASK;
	struct kvm_segment var;
	struct desc_struct d;
	bool code64;
	u64 addr;
	int r;

	if (!(vcpu->cr0 & X86_CR0_PE)) {
		vtx_x86_ops.get_segment(vcpu, &var, VTX_SREG_CS);
		if (off > var.limit)
			return sel_fault(vcpu, X86_TRAP_GP, 0);
		var.selector = sel;
		var.base = (u64)sel << REAL_SEG_SHIFT;
		goto push;
	}
	if (rflags & X86_EFLAGS_VM) {
		if (off > VM86_SEG_LIMIT)
			return sel_fault(vcpu, X86_TRAP_GP, 0);
		memset(&var, 0, sizeof(var));
		var.selector = sel;
		var.base = (u64)sel << REAL_SEG_SHIFT;
		var.limit = VM86_SEG_LIMIT;
		var.type = SEG_TYPE_CODE | SEG_TYPE_RW | SEG_TYPE_ACCESSED;
		var.present = 1;
		var.s = 1;
		var.dpl = VM86_DPL;
		goto push;
	}
	if (!(sel & ~SEL_RPL_MASK))
		return sel_fault(vcpu, X86_TRAP_GP, 0);
	r = read_desc(vcpu, sel, &addr, &d);
	if (r)
		return r;
	cpl = vtx_x86_ops.get_cpl(vcpu);
	if (!d.s) {
		if (far_jmp_via_gate(vcpu, d.type))
			return -EFAULT;
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	}
	if (!(d.type & SEG_TYPE_CODE))
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	if ((d.type & SEG_TYPE_CONFORMING) ? d.dpl > cpl :
	    (rpl > cpl || d.dpl != cpl))
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	if (!d.p)
		return sel_fault(vcpu, X86_TRAP_NP, sel);
	code64 = vtx_is_long_mode(vcpu) && d.l;
	if (code64 && d.d)
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	desc_to_segment(&d, 0, (sel & SEL_ERR_MASK) | cpl, &var);
	if (code64 ? !__is_canonical_address(off, VTX_VADDR_BITS) :
	    off > var.limit)
		return sel_fault(vcpu, X86_TRAP_GP, 0);
	r = far_call_push(call);
	if (r)
		return r;
	/* The processor sets the accessed bit in the descriptor. */
	if (!(d.type & SEG_TYPE_ACCESSED)) {
		r = desc_set_type_bit(vcpu, addr, &d, SEG_TYPE_ACCESSED);
		if (r)
			return r;
		var.type |= SEG_TYPE_ACCESSED;
	}
	goto load;
push:
	r = far_call_push(call);
	if (r)
		return r;
load:
	vtx_x86_ops.set_segment(vcpu, &var, VTX_SREG_CS);
	return 0;
}

/**
 * vtx_load_data_segment() - load DS, ES, FS, GS or SS with @sel as MOV
 * Sreg and LxS do (SDM Vol. 2 MOV, LDS/LES/LFS/LGS/LSS), for the emulator.
 * @vcpu:	the loaded vCPU
 * @e:		the emulated instruction: its CPL, CR0, RFLAGS and code size
 * @seg:	the segment register (enum vtx_sreg, not CS)
 * @sel:	the selector
 *
 * Real mode changes the selector and base only (the limit and rights
 * stay: unreal mode), virtual-8086 mode loads a 64 KiB read/write data
 * segment at DPL 3.  Protected and long mode read the descriptor from the
 * GDT or LDT (implicit supervisor accesses), check it as the processor
 * does and set its accessed bit; a null selector leaves DS..GS unusable,
 * SS only in 64-bit code at CPL < 3 with RPL = CPL.  The segment goes in
 * through the backend's set_segment (KVM_SET_SREGS's and RSM's path).
 *
 * Return: 0 when loaded; 1 when an exception (#GP, #SS, #NP with the
 * selector's error code, #PF of a descriptor access) was queued, nothing
 * loaded; -EFAULT when a descriptor is not in RAM (emulation failure).
 */
int vtx_load_data_segment(struct vtx_vcpu *vcpu, const struct vtx_emu *e,
			  int seg, u16 sel)
{
	struct kvm_segment var = { .selector = sel };
	u8 cpl = e->cpl, rpl = sel & SEL_RPL_MASK, dpl, type;
	struct desc_struct d;
	u64 addr;
	int r;

	if (!(e->cr0 & VTX_EMU_CR0_PE)) {
		vtx_x86_ops.get_segment(vcpu, &var, seg);
		var.selector = sel;
		var.base = (u64)sel << REAL_SEG_SHIFT;
		goto load;
	}
	if (e->rflags & VTX_EMU_FL_VM) {
		var.base = (u64)sel << REAL_SEG_SHIFT;
		var.limit = VM86_SEG_LIMIT;
		var.type = SEG_TYPE_DATA_RW_ACC;
		var.present = 1;
		var.s = 1;
		var.dpl = VM86_DPL;
		goto load;
	}
	if (!(sel & ~SEL_RPL_MASK)) {
		if (seg != VTX_SREG_SS) {
			var.unusable = 1;
			goto load;
		}
		if (e->mode != 64 || cpl == 3 || rpl != cpl)
			return sel_fault(vcpu, X86_TRAP_GP, 0);
		/*
		 * As KVM: a 32-bit read/write data segment at DPL = CPL,
		 * VMX's CPL being SS.DPL (unused in 64-bit code).
		 */
		var.type = SEG_TYPE_DATA_RW_ACC;
		var.present = 1;
		var.s = 1;
		var.dpl = cpl;
		var.db = 1;
		goto load;
	}
	r = read_desc(vcpu, sel, &addr, &d);
	if (r)
		return r;
	dpl = d.dpl;
	type = d.type;
	if (!d.s)
		return sel_fault(vcpu, X86_TRAP_GP, sel);
	if (seg == VTX_SREG_SS) {
		if (rpl != cpl || dpl != cpl || (type & SEG_TYPE_CODE) ||
		    !(type & SEG_TYPE_RW))
			return sel_fault(vcpu, X86_TRAP_GP, sel);
		if (!d.p)
			return sel_fault(vcpu, X86_TRAP_SS, sel);
	} else {
		/*
		 * Execute-only code is #GP, as is data or non-conforming
		 * code whose DPL is below the RPL or the CPL (the SDM's
		 * "or"; KVM 6.1 faults only when both are above it).
		 */
		if ((type & SEG_TYPE_CODE) && !(type & SEG_TYPE_RW))
			return sel_fault(vcpu, X86_TRAP_GP, sel);
		if ((!(type & SEG_TYPE_CODE) ||
		     !(type & SEG_TYPE_CONFORMING)) &&
		    (rpl > dpl || cpl > dpl))
			return sel_fault(vcpu, X86_TRAP_GP, sel);
		if (!d.p)
			return sel_fault(vcpu, X86_TRAP_NP, sel);
	}
	/* The processor sets the accessed bit in the descriptor. */
	if (!(type & SEG_TYPE_ACCESSED)) {
		r = desc_set_type_bit(vcpu, addr, &d, SEG_TYPE_ACCESSED);
		if (r)
			return r;
	}
	desc_to_segment(&d, 0, sel, &var);
load:
	vtx_x86_ops.set_segment(vcpu, &var, seg);
	return 0;
}
