/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the guest page walk (walk.c): what it checks an access as, what it
 * returns, its callers' entry points.  Included by x86/x86.h, and by the
 * emulator's host test (selftests/emulator/walkshim/x86/x86.h), which
 * defines the kernel types first.
 */
#ifndef VTX_X86_WALK_H
#define VTX_X86_WALK_H

struct vtx_vcpu;

/*
 * walk.c.  VTX_ACC_*: what a walk checks the access as (0: a data read);
 * WRITE and FETCH are the #PF error code's W and I/D bits.  IMPLICIT: an
 * implicit supervisor access (descriptor tables), a supervisor access
 * whatever the CPL, checked by SMAP whatever RFLAGS.AC.
 */
#define VTX_ACC_WRITE		BIT(1)
#define VTX_ACC_FETCH		BIT(4)
#define VTX_ACC_IMPLICIT	BIT(31)
#define VTX_WALK_LEVELS		4

/**
 * struct vtx_guest_walk - what a guest page walk saw (__vtx_gva_walk()).
 * @pte:	the entry read at each level (index: level, 1 to 4), with
 *		the accessed and dirty bits the walk set
 * @pte_gpa:	where each entry is
 * @top:	the level the walk started at (4, or 2 below a PDPTE)
 * @leaf:	the level of the leaf (1, or 2/3 for a large page)
 * @wide:	8-byte entries (PAE, IA-32e), else 4-byte ones
 * @gpa:	the translation, when the walk succeeded
 * @allowed:	_PAGE_RW and _PAGE_USER if every level has them
 * @nx:		some level forbids execution (with EFER.NXE)
 */
struct vtx_guest_walk {
	u64 pte[VTX_WALK_LEVELS + 1];
	u64 pte_gpa[VTX_WALK_LEVELS + 1];
	int top;
	int leaf;
	bool wide;
	u64 gpa;
	u64 allowed;
	bool nx;
	u8 ad_unstored;
};

int __vtx_gva_walk(struct vtx_vcpu *vcpu, u64 gva, u32 access,
		   struct vtx_guest_walk *w, u32 *pf_error);
int __vtx_gva_translate(struct vtx_vcpu *vcpu, u64 gva, u32 access, u64 *gpa,
			u32 *pf_error);
int __vtx_guest_virt_fetch(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			   unsigned int len);
int vtx_guest_virt_access(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, u32 access);
int vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		   u32 *pf_error);
int vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			unsigned int len, bool write);
int vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			      unsigned int len);
/* The same, for a caller in an srcu_read_lock(&vcpu->vm->srcu) section. */
int __vtx_gva_to_gpa(struct vtx_vcpu *vcpu, u64 gva, bool write, u64 *gpa,
		     u32 *pf_error);
int __vtx_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			  unsigned int len, bool write);
int __vtx_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva, void *buf,
				unsigned int len);

#endif /* VTX_X86_WALK_H */
