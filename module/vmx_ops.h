/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - one wrapper per VMX instruction, and width-typed VMCS accessors.
 *
 * A VM-fail (CF or ZF set) is reported through vtx_vmx_insn_failed(), which
 * reads VM_INSTRUCTION_ERROR for the "valid" case and logs it rate-limited.
 * A fault on a VMX instruction (VMX turned off under us by an emergency
 * reboot) lands in the exception table and is reported the same way; it
 * never oopses the host.
 */
#ifndef VTX_VMX_OPS_H
#define VTX_VMX_OPS_H

#include <linux/build_bug.h>
#include <linux/compiler_types.h>
#include <linux/types.h>
#include <asm/asm.h>
#include <asm/vmx.h>

/* VMCS field encoding: bits 14:13 give the width, bit 0 the high half. */
#define VTX_FIELD_WIDTH_MASK	0x6000
#define VTX_FIELD_WIDTH_16	0x0000
#define VTX_FIELD_WIDTH_64	0x2000
#define VTX_FIELD_WIDTH_32	0x4000
#define VTX_FIELD_WIDTH_NAT	0x6000
#define VTX_FIELD_HIGH		0x0001

#define vtx_check_field(field, width)					\
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&		\
			 (((field) & VTX_FIELD_WIDTH_MASK) != (width) ||	\
			  ((field) & VTX_FIELD_HIGH)),			\
			 "VMCS field of the wrong width")

/* What went wrong, for the log. */
enum vtx_insn_fail {
	VTX_FAIL_INVALID = 1,	/* CF: no current VMCS */
	VTX_FAIL_VALID,		/* ZF: error number in VM_INSTRUCTION_ERROR */
	VTX_FAIL_FAULT,		/* #UD/#GP: VMX is off */
};

void vtx_vmx_insn_failed(const char *insn, unsigned long arg, int how);

/**
 * __vtx_vmread() - VMREAD, reporting VM-fail and faults.
 * @field:	VMCS field encoding
 *
 * Return: the field's value, 0 when the read failed.
 */
static __always_inline unsigned long __vtx_vmread(unsigned long field)
{
	unsigned long value = 0;

	asm_goto_output("1: vmread %[field], %[value]\n\t"
			  "jna %l[fail]\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : [value] "=rm" (value)
			  : [field] "r" (field)
			  : "cc"
			  : fail, fault);
	return value;
fail:
	vtx_vmx_insn_failed("vmread", field, VTX_FAIL_VALID);
	return 0;
fault:
	vtx_vmx_insn_failed("vmread", field, VTX_FAIL_FAULT);
	return 0;
}

static __always_inline void __vtx_vmwrite(unsigned long field,
					  unsigned long value)
{
	asm goto("1: vmwrite %[value], %[field]\n\t"
			  "jna %l[fail]\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : [field] "r" (field), [value] "rm" (value)
			  : "cc" : fail, fault);
	return;
fail:
	vtx_vmx_insn_failed("vmwrite", field, VTX_FAIL_VALID);
	return;
fault:
	vtx_vmx_insn_failed("vmwrite", field, VTX_FAIL_FAULT);
}

#define vmcs_read16(f)	({ vtx_check_field(f, VTX_FIELD_WIDTH_16);	\
			   (u16)__vtx_vmread(f); })
#define vmcs_read32(f)	({ vtx_check_field(f, VTX_FIELD_WIDTH_32);	\
			   (u32)__vtx_vmread(f); })
#define vmcs_read64(f)	({ vtx_check_field(f, VTX_FIELD_WIDTH_64);	\
			   (u64)__vtx_vmread(f); })
#define vmcs_readl(f)	({ vtx_check_field(f, VTX_FIELD_WIDTH_NAT);	\
			   __vtx_vmread(f); })

#define vmcs_write16(f, v)	do { vtx_check_field(f, VTX_FIELD_WIDTH_16); \
				     __vtx_vmwrite(f, (u16)(v)); } while (0)
#define vmcs_write32(f, v)	do { vtx_check_field(f, VTX_FIELD_WIDTH_32); \
				     __vtx_vmwrite(f, (u32)(v)); } while (0)
#define vmcs_write64(f, v)	do { vtx_check_field(f, VTX_FIELD_WIDTH_64); \
				     __vtx_vmwrite(f, (u64)(v)); } while (0)
#define vmcs_writel(f, v)	do { vtx_check_field(f, VTX_FIELD_WIDTH_NAT); \
				     __vtx_vmwrite(f, (unsigned long)(v)); } \
				while (0)

/*
 * Instructions taking a 64-bit physical address operand in memory.
 * Return 0 on success or -EIO after reporting the failure.
 */
#define VTX_DEFINE_PA_INSN(name, mnemonic)				\
static __always_inline int name(u64 pa)					\
{									\
	asm goto("1: " mnemonic " %[pa]\n\t"			\
			  "jna %l[fail]\n\t"				\
			  _ASM_EXTABLE(1b, %l[fault])			\
			  : : [pa] "m" (pa) : "cc", "memory"		\
			  : fail, fault);				\
	return 0;							\
fail:									\
	vtx_vmx_insn_failed(mnemonic, pa, VTX_FAIL_VALID);		\
	return -EIO;							\
fault:									\
	vtx_vmx_insn_failed(mnemonic, pa, VTX_FAIL_FAULT);		\
	return -EIO;							\
}

VTX_DEFINE_PA_INSN(vtx_vmclear, "vmclear")
VTX_DEFINE_PA_INSN(vtx_vmptrld, "vmptrld")

/* VMXON has no current VMCS to report into: just the flags. */
static __always_inline int vtx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
			  "jna %l[fail]\n\t"
			  _ASM_EXTABLE(1b, %l[fail])
			  : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline void vtx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
			  _ASM_EXTABLE(1b, %l[fault])
			  : : : "cc", "memory" : fault);
fault:
	return;
}

/* INVEPT/INVVPID take a 128-bit descriptor in memory. */
struct vtx_inv_desc {
	u64 a;
	u64 b;
};

#define VTX_DEFINE_INV_INSN(name, mnemonic)				\
static __always_inline void name(unsigned long type, u64 a, u64 b)	\
{									\
	struct vtx_inv_desc desc = { a, b };				\
									\
	asm goto("1: " mnemonic " %[desc], %[type]\n\t"	\
			  "jna %l[fail]\n\t"				\
			  _ASM_EXTABLE(1b, %l[fail])			\
			  : : [desc] "m" (desc), [type] "r" (type)	\
			  : "cc", "memory" : fail);			\
	return;								\
fail:									\
	vtx_vmx_insn_failed(mnemonic, type, VTX_FAIL_VALID);		\
}

VTX_DEFINE_INV_INSN(vtx_invept, "invept")
VTX_DEFINE_INV_INSN(vtx_invvpid, "invvpid")

#endif /* VTX_VMX_OPS_H */
