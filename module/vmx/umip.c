// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - UMIP on a processor without it: descriptor-table exits.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <asm/desc.h>
#include <asm/traps.h>
#include "vmx/vmx.h"

/*
 * Descriptor-table exits: UMIP emulated on a processor without it.
 *
 * While the guest's CR4.UMIP is set, vtx turns on descriptor-table exiting
 * (vtx_update_proc2()) and every LGDT, LIDT, LLDT, LTR, SGDT, SIDT, SLDT and
 * STR exits here.  A store (SGDT, SIDT, SLDT, STR) at CPL > 0 gets #GP(0),
 * which is what UMIP does; everything else is done here from the VM-exit
 * instruction information, as the processor would.  The loads need no CPL
 * check: at CPL > 0 they raise #GP before any VM exit.  SMSW, also covered
 * by UMIP, has no exit and is not covered, as with KVM's emulated UMIP.
 */

/* VM-exit instruction information of descriptor-table exits (SDM 28.2.5). */
#define DT_INFO_SCALE(i)	((i) & 3)
#define DT_INFO_REG1(i)		(((i) >> 3) & 0xf)
#define DT_INFO_ADDR_SIZE(i)	(((i) >> 7) & 7)
#define DT_INFO_REG_OPERAND	BIT(10)
#define DT_INFO_OPERAND_32	BIT(11)
#define DT_INFO_SEG(i)		(((i) >> 15) & 7)
#define DT_INFO_INDEX(i)	(((i) >> 18) & 0xf)
#define DT_INFO_NO_INDEX	BIT(22)
#define DT_INFO_BASE(i)		(((i) >> 23) & 0xf)
#define DT_INFO_NO_BASE		BIT(27)
#define DT_INFO_ID(i)		(((i) >> 28) & 3)
#define DT_ADDR_16		0
#define DT_ADDR_32		1
/* Instruction identities: GDTR_IDTR exits, then LDTR_TR exits. */
#define DT_SGDT			0
#define DT_SIDT			1
#define DT_LGDT			2
#define DT_LIDT			3
#define DT_SLDT			0
#define DT_STR			1
#define DT_LLDT			2
#define DT_LTR			3
/* Bytes of a descriptor-table register in memory: limit, then base. */
#define DT_LIMIT_BYTES		2
#define DT_BASE24_MASK		0xffffffull
/*
 * The helpers below return 0, -EAGAIN once they queued the guest's
 * exception (the handler re-enters), or -EFAULT for what is not emulated
 * (a descriptor table outside RAM): dt_stop() turns that into the
 * handler's result.
 */
static int dt_stop(struct vtx_vcpu *vcpu, int r)
{
	if (r == -EAGAIN)
		return 1;
	return vmx_internal_error(vcpu, KVM_INTERNAL_ERROR_EMULATION);
}

static int dt_fault(struct vtx_vcpu *vcpu, u8 vector, u32 code)
{
	vtx_queue_exception(vcpu, vector, true, code);
	return -EAGAIN;
}

/*
 * The linear address of the memory operand, with protected-mode checks
 * (also INVPCID's, spt.c: its instruction information has the same
 * address fields).
 */
int vmx_mem_operand(struct vtx_vcpu *vcpu, u32 info, unsigned int len,
		    bool write, u64 *linear)
{
	int seg = DT_INFO_SEG(info), asz = DT_INFO_ADDR_SIZE(info);
	u8 fault = seg == VTX_SREG_SS ? X86_TRAP_SS : X86_TRAP_GP;
	u64 off = vmcs_readl(EXIT_QUALIFICATION);
	u32 ar, limit;

	if (!(info & DT_INFO_NO_BASE))
		off += vtx_reg_read(vcpu, DT_INFO_BASE(info));
	if (!(info & DT_INFO_NO_INDEX))
		off += (u64)vtx_reg_read(vcpu, DT_INFO_INDEX(info)) <<
		       DT_INFO_SCALE(info);
	if (asz == DT_ADDR_16)
		off &= U16_MAX;
	else if (asz == DT_ADDR_32)
		off &= U32_MAX;

	if (vmx_in_64bit_code(vcpu)) {
		*linear = vtx_seg_base(vcpu, seg) + off;
		if (!__is_canonical_address(*linear, VTX_VADDR_BITS) ||
		    !__is_canonical_address(*linear + len - 1, VTX_VADDR_BITS))
			return dt_fault(vcpu, fault, 0);
		return 0;
	}
	ar = vmcs_read32(GUEST_ES_AR_BYTES + seg * 2);
	limit = vmcs_read32(GUEST_ES_LIMIT + seg * 2);
	if (vcpu->cr0 & X86_CR0_PE) {
		bool code = ar & VMX_AR_TYPE_CODE_MASK;

		/*
		 * Unusable segment; a write to code or read-only data; a
		 * read of execute-only code.  Expand-down data segments are
		 * not limit-checked here.
		 */
		if ((ar & VMX_AR_UNUSABLE_MASK) ||
		    (write && (code || !(ar & VMX_AR_TYPE_READABLE_MASK))) ||
		    (!write && code && !(ar & VMX_AR_TYPE_READABLE_MASK)))
			return dt_fault(vcpu, fault, 0);
		if (!code && (ar & VMX_AR_TYPE_WRITEABLE_MASK))
			limit = U32_MAX;
	}
	if (off + len - 1 > limit)
		return dt_fault(vcpu, fault, 0);
	*linear = (u32)(vmcs_readl(GUEST_ES_BASE + seg * 2) + off);
	return 0;
}

/* SGDT, SIDT, LGDT, LIDT. */
int vmx_handle_gdtr_idtr(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int id = DT_INFO_ID(info);
	bool store = id == DT_SGDT || id == DT_SIDT;
	bool gdt = id == DT_SGDT || id == DT_LGDT;
	bool is64 = vmx_in_64bit_code(vcpu);
	unsigned int nbase = is64 ? sizeof(u64) : sizeof(u32);
	unsigned int len = DT_LIMIT_BYTES + nbase;
	u8 buf[DT_LIMIT_BYTES + sizeof(u64)];
	u64 linear, base;
	u16 limit;
	int r;

	if (store && (vcpu->cr4 & X86_CR4_UMIP) && vmx_cpl(vcpu))
		return vmx_inject_gp(vcpu);
	r = vmx_mem_operand(vcpu, info, len, store, &linear);
	if (r)
		return dt_stop(vcpu, r);
	if (store) {
		base = vmcs_readl(gdt ? GUEST_GDTR_BASE : GUEST_IDTR_BASE);
		limit = vmcs_read32(gdt ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT);
		/* A 16-bit operand stores 24 bits of base (and a zero byte). */
		if (!is64 && !(info & DT_INFO_OPERAND_32))
			base &= DT_BASE24_MASK;
		memcpy(buf, &limit, DT_LIMIT_BYTES);
		memcpy(buf + DT_LIMIT_BYTES, &base, nbase);
		r = vtx_guest_virt_copy(vcpu, linear, buf, len, true);
		return r ? dt_stop(vcpu, r) : vmx_skip_exit_instruction(vcpu);
	}
	r = vtx_guest_virt_copy(vcpu, linear, buf, len, false);
	if (r)
		return dt_stop(vcpu, r);
	base = 0;
	memcpy(&limit, buf, DT_LIMIT_BYTES);
	memcpy(&base, buf + DT_LIMIT_BYTES, nbase);
	if (!is64 && !(info & DT_INFO_OPERAND_32))
		base &= DT_BASE24_MASK;
	if (is64 && !__is_canonical_address(base, VTX_VADDR_BITS))
		return vmx_inject_gp(vcpu);
	vmcs_writel(gdt ? GUEST_GDTR_BASE : GUEST_IDTR_BASE, base);
	vmcs_write32(gdt ? GUEST_GDTR_LIMIT : GUEST_IDTR_LIMIT, limit);
	return vmx_skip_exit_instruction(vcpu);
}

/*
 * Operand size of SLDT/STR with a register destination (the exit does not
 * tell it): from the 66h and REX.W prefixes at RIP, as the emulator's
 * prefix decoder reads them.
 */
static int dt_reg_operand_bytes(struct vtx_vcpu *vcpu)
{
	u8 insn[VTX_EMU_MAX_INSN];
	u32 len = vmcs_read32(VM_EXIT_INSTRUCTION_LEN);
	bool is64 = vmx_in_64bit_code(vcpu);
	bool def32 = is64 || (vmx_cs_ar(vcpu) & VMX_AR_DB_MASK);
	u64 cs_base = is64 ? 0 : vmcs_readl(GUEST_CS_BASE);
	int r;

	len = min_t(u32, len, sizeof(insn));
	if (vtx_guest_virt_copy_quiet(vcpu, cs_base + vmx_rip(vcpu), insn, len))
		return -EFAULT;
	r = vtx_emu_operand_bytes(insn, len, is64 ? 64 : def32 ? 32 : 16);
	return r < 0 ? -EFAULT : r;
}

/* SLDT, STR, LLDT, LTR. */
int vmx_handle_ldtr_tr(struct vtx_vcpu *vcpu)
{
	u32 info = vmcs_read32(VMX_INSTRUCTION_INFO);
	int id = DT_INFO_ID(info), bytes;
	bool store = id == DT_SLDT || id == DT_STR;
	u64 linear;
	u16 sel;
	int r;

	if (store && (vcpu->cr4 & X86_CR4_UMIP) && vmx_cpl(vcpu))
		return vmx_inject_gp(vcpu);
	if (store) {
		sel = vmcs_read16(id == DT_STR ? GUEST_TR_SELECTOR :
						 GUEST_LDTR_SELECTOR);
		if (info & DT_INFO_REG_OPERAND) {
			bytes = dt_reg_operand_bytes(vcpu);
			if (bytes < 0)
				return dt_stop(vcpu, bytes);
			vtx_reg_write_sized(vcpu, DT_INFO_REG1(info), sel, bytes);
			return vmx_skip_exit_instruction(vcpu);
		}
		/* To memory, always 16 bits. */
		r = vmx_mem_operand(vcpu, info, sizeof(sel), true, &linear);
		if (!r)
			r = vtx_guest_virt_copy(vcpu, linear, &sel, sizeof(sel),
						true);
		return r ? dt_stop(vcpu, r) : vmx_skip_exit_instruction(vcpu);
	}
	if (info & DT_INFO_REG_OPERAND) {
		sel = vtx_reg_read(vcpu, DT_INFO_REG1(info));
	} else {
		r = vmx_mem_operand(vcpu, info, sizeof(sel), false, &linear);
		if (!r)
			r = vtx_guest_virt_copy(vcpu, linear, &sel, sizeof(sel),
						false);
		if (r)
			return dt_stop(vcpu, r);
	}
	/* x86/segment.c: 1 when it queued an exception, nothing loaded */
	r = vtx_load_ldtr_tr(vcpu, sel, id == DT_LTR);
	if (r)
		return r < 0 ? dt_stop(vcpu, r) : 1;
	return vmx_skip_exit_instruction(vcpu);
}
