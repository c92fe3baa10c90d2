/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - one wrapper per VMX instruction, and width-typed VMCS accessors.
 *
 * A VM-fail is reported through vtx_vmx_insn_failed(): VMfailInvalid (CF,
 * no current VMCS) as such, VMfailValid (ZF) with the error number read
 * from VM_INSTRUCTION_ERROR, rate-limited.
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

/*
 * A fault on a VMX instruction goes through the exception table to label
 * 2, which jumps to the C label; the normal path skips over it.
 *
 * A constant field of the wrong width is a build error.  The functions
 * below are always inlined, so the check sees the caller's constant.
 */
static __always_inline void vtx_check_field(unsigned long field,
					    unsigned long width)
{
	BUILD_BUG_ON_MSG(__builtin_constant_p(field) &&
			 ((field & VTX_FIELD_WIDTH_MASK) != width ||
			  (field & VTX_FIELD_HIGH)),
			 "VMCS field of the wrong width");
}

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
			  "jc %l[invalid]\n\t"
			  "jz %l[fail]\n\t"
			  "jmp 3f\n"
			  "2:\tjmp %l[fault]\n"
			  "3:\n\t"
			  _ASM_EXTABLE(1b, 2b)
			  : [value] "=rm" (value)
			  : [field] "r" (field)
			  : "cc"
			  : invalid, fail, fault);
	return value;
invalid:
	vtx_vmx_insn_failed("vmread", field, VTX_FAIL_INVALID);
	return 0;
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
			  "jc %l[invalid]\n\t"
			  "jz %l[fail]\n\t"
			  "jmp 3f\n"
			  "2:\tjmp %l[fault]\n"
			  "3:\n\t"
			  _ASM_EXTABLE(1b, 2b)
			  : : [field] "r" (field), [value] "rm" (value)
			  : "cc" : invalid, fail, fault);
	return;
invalid:
	vtx_vmx_insn_failed("vmwrite", field, VTX_FAIL_INVALID);
	return;
fail:
	vtx_vmx_insn_failed("vmwrite", field, VTX_FAIL_VALID);
	return;
fault:
	vtx_vmx_insn_failed("vmwrite", field, VTX_FAIL_FAULT);
}

static __always_inline u16 vmcs_read16(unsigned long field)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_16);
	return (u16)__vtx_vmread(field);
}

static __always_inline void vmcs_write16(unsigned long field, u16 value)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_16);
	__vtx_vmwrite(field, value);
}

static __always_inline u32 vmcs_read32(unsigned long field)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_32);
	return (u32)__vtx_vmread(field);
}

static __always_inline void vmcs_write32(unsigned long field, u32 value)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_32);
	__vtx_vmwrite(field, value);
}

static __always_inline u64 vmcs_read64(unsigned long field)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_64);
	return (u64)__vtx_vmread(field);
}

static __always_inline void vmcs_write64(unsigned long field, u64 value)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_64);
	__vtx_vmwrite(field, value);
}

static __always_inline unsigned long vmcs_readl(unsigned long field)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_NAT);
	return __vtx_vmread(field);
}

static __always_inline void vmcs_writel(unsigned long field, unsigned long value)
{
	vtx_check_field(field, VTX_FIELD_WIDTH_NAT);
	__vtx_vmwrite(field, value);
}

/*
 * VMCLEAR/VMPTRLD take the VMCS's physical address in memory.  Both
 * wrappers return 0 on success or -EIO after reporting the failure.
 */
#define VTX_DEFINE_VMCS_PTR_INSN(insn)					\
static __always_inline int vtx_##insn(u64 pa)				\
{									\
	asm goto("1: " #insn " %[pa]\n\t"				\
		 "jc %l[invalid]\n\t"					\
		 "jz %l[fail]\n\t"					\
		 "jmp 3f\n"						\
		 "2:\tjmp %l[fault]\n"					\
		 "3:\n\t"						\
		 _ASM_EXTABLE(1b, 2b)					\
		 : : [pa] "m" (pa) : "cc", "memory" : invalid, fail, fault); \
	return 0;							\
invalid:								\
	vtx_vmx_insn_failed(#insn, pa, VTX_FAIL_INVALID);		\
	return -EIO;							\
fail:									\
	vtx_vmx_insn_failed(#insn, pa, VTX_FAIL_VALID);			\
	return -EIO;							\
fault:									\
	vtx_vmx_insn_failed(#insn, pa, VTX_FAIL_FAULT);			\
	return -EIO;							\
}

VTX_DEFINE_VMCS_PTR_INSN(vmclear)
VTX_DEFINE_VMCS_PTR_INSN(vmptrld)

/* VMXON has no current VMCS to report into: just the flags. */
static __always_inline int vtx_vmxon(u64 pa)
{
	asm goto("1: vmxon %[pa]\n\t"
			  "jna %l[fail]\n\t"
			  "jmp 3f\n"
			  "2:\tjmp %l[fail]\n"
			  "3:\n\t"
			  _ASM_EXTABLE(1b, 2b)
			  : : [pa] "m" (pa) : "cc", "memory" : fail);
	return 0;
fail:
	return -EIO;
}

static __always_inline void vtx_vmxoff(void)
{
	asm goto("1: vmxoff\n\t"
	"jmp 3f\n"
	"2:\tjmp %l[fault]\n"
	"3:\n\t"
	_ASM_EXTABLE(1b, 2b)
			  : : : "cc", "memory" : fault);
fault:
	return;
}

/* INVEPT/INVVPID take a 128-bit descriptor in memory. */
struct vtx_inv_desc {
	u64 a;
	u64 b;
};

static __always_inline void vtx_invept(unsigned long type, u64 eptp, u64 gpa)
{
	struct vtx_inv_desc desc = { eptp, gpa };

	asm goto("1: invept %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 "jmp 3f\n"
		 "2:\tjmp %l[fail]\n"
		 "3:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail);
	return;
fail:
	vtx_vmx_insn_failed("invept", type, VTX_FAIL_VALID);
}

static __always_inline void vtx_invvpid(unsigned long type, u16 vpid,
					u64 gva)
{
	struct vtx_inv_desc desc = { vpid, gva };

	asm goto("1: invvpid %[desc], %[type]\n\t"
		 "jna %l[fail]\n\t"
		 "jmp 3f\n"
		 "2:\tjmp %l[fail]\n"
		 "3:\n\t"
		 _ASM_EXTABLE(1b, 2b)
		 : : [desc] "m" (desc), [type] "r" (type)
		 : "cc", "memory" : fail);
	return;
fail:
	vtx_vmx_insn_failed("invvpid", type, VTX_FAIL_VALID);
}

#endif /* VTX_VMX_OPS_H */
