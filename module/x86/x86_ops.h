/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the one table through which core/ and x86/ reach the CPU-specific
 * backend (today: vmx/), as KVM's kvm_x86_ops.  The backend fills it at
 * module load (vtx_x86_ops, x86.c); core/ and x86/ include no header of
 * the backend's and call none of its functions by name.
 */
#ifndef VTX_X86_OPS_H
#define VTX_X86_OPS_H

#include <linux/kvm.h>
#include <linux/types.h>

struct vtx_vcpu;
struct vtx_mmu_format;

/**
 * struct vtx_emu_env - the guest state the emulator starts from, besides
 * the registers (x86/mmio.c).
 * @cs_db:	CS.D/B
 * @cs_l:	CS.L
 * @ss_db:	SS.B: a 32-bit stack
 * @seg_base:	ES, CS, SS, DS, FS, GS bases (enum vtx_sreg order)
 * @rip:	RIP
 * @rsp:	RSP
 * @rflags:	RFLAGS
 */
struct vtx_emu_env {
	bool cs_db;
	bool cs_l;
	bool ss_db;
	u64 seg_base[6];
	unsigned long rip, rsp, rflags;
};

/*
 * Guest registers the backend may hold (the VMCS holds RIP, RFLAGS, RSP),
 * cached in struct vtx_vcpu from the last exit on: bit n of vcpu->cached
 * set means register n is valid.  The backend may use further bits, from
 * VTX_CACHE_BACKEND on, for its own state.
 */
enum vtx_cache {
	VTX_CACHE_RIP,
	VTX_CACHE_RFLAGS,
	VTX_CACHE_RSP,
	VTX_CACHE_CR3,
	VTX_CACHE_CPL,
	VTX_CACHE_BACKEND,
};

/* Segment registers, numbered as KVM's VCPU_SREG_*. */
enum vtx_sreg {
	VTX_SREG_ES, VTX_SREG_CS, VTX_SREG_SS, VTX_SREG_DS,
	VTX_SREG_FS, VTX_SREG_GS, VTX_SREG_LDTR, VTX_SREG_TR,
};

/* Interrupt shadow of the instruction that just ran (KVM's values). */
#define VTX_SHADOW_INT_MOV_SS	BIT(0)
#define VTX_SHADOW_INT_STI	BIT(1)

/**
 * struct vtx_x86_ops - the backend's entry points.
 * @name:		the backend, for the log
 * @hardware_setup:	probe the processor at module load; nonzero refuses
 *			the module
 * @hardware_unsetup:	undo @hardware_setup at unload
 * @enable:		make guests runnable on every CPU (the first VM)
 * @disable:		undo @enable (the last VM went away)
 * @vcpu_size:		bytes of the backend's vCPU, struct vtx_vcpu first
 * @vcpu_create:	set up the backend's part of a new vCPU; the vCPU is
 *			not loaded
 * @vcpu_free:		free it; the VM is being destroyed
 * @vcpu_load:		the vCPU's thread runs on @cpu (ioctl or sched-in)
 * @vcpu_put:		the thread leaves the CPU or the ioctl ends
 * @vcpu_run:		enter the guest once and handle the exit: 1 to enter
 *			again, 0 with kvm_run filled for userspace, or an errno
 * @ready_for_interrupt: an external interrupt could be injected now
 * @interrupt_allowed:	the guest takes an external interrupt now (IF set,
 *			no interrupt shadow)
 * @skip_instruction:	the instruction of @len bytes completed: RIP past
 *			it (wrapping outside 64-bit code), no interrupt shadow
 * @get_emu_env:	what decoding the instruction at RIP needs (code and
 *			stack size, segment bases), in one call
 * @emu_writeback:	an emulated instruction completed: RIP, RSP, RFLAGS
 *			as given, no interrupt shadow, in one call
 * @cache_reg:		read register @reg into vcpu's cache
 * @set_reg:		write register @reg, through the cache
 * @get_segment:	read a segment register (VCPU_SREG_* of KVM)
 * @set_segment:	write one
 * @get_segment_base:	a segment's base only (the emulator's fast path)
 * @get_cpl:		the current privilege level
 * @get_cs_db_l_bits:	CS.D/B and CS.L
 * @get_dt:		GDTR (@idt false) or IDTR
 * @set_dt:		write one
 * @get_cr0:		CR0 as the guest sees it
 * @get_cr3:		the guest's CR3
 * @get_cr4:		CR4 as the guest sees it
 * @set_cr0:		set CR0, checked by the caller
 * @write_cr0:		load CR0 as MOV to CR0 does, with its checks (EFER.LMA,
 *			the PDPTEs, the TLB): 0, or -EINVAL for #GP(0)
 * @set_cr3:		set CR3
 * @set_cr4:		set CR4, checked by the caller
 * @set_efer:		set EFER, LMA included
 * @cr4_valid:		may CR4 hold @cr4 (the backend's fixed bits and the
 *			vCPU's CPUID)?
 * @load_pdptrs:	PAE paging: load the PDPTEs from guest memory
 * @get_pdptr:		PAE paging: the PDPTE @index (0-3) in use
 * @flush_tlb:		drop the vCPU's guest translations
 * @get_interrupt_shadow: VTX_SHADOW_INT_* of the guest's current state
 * @set_interrupt_shadow: set them
 * @get_nmi_mask:	NMIs are blocked
 * @set_nmi_mask:	block or unblock them
 * @get_dr7:		the guest's DR7
 * @set_dr7:		set it
 * @get_msr:		an MSR the backend holds (SYSENTER_*, FS/GS base,
 *			KERNEL_GS_BASE, PAT, DEBUGCTL), already validated
 * @set_msr:		write one, already validated
 * @get_tsc_offset:	the guest's TSC offset
 * @write_tsc_offset:	set it
 * @update_cpuid:	KVM_SET_CPUID2 changed the vCPU's CPUID table
 * @update_exception_bitmap: KVM_SET_GUEST_DEBUG changed vcpu->guest_debug
 *			(#BP is intercepted for software breakpoints)
 * @msr_bitmap_changed:	vcpu->msr_bitmap was filled anew (x86/msr_filter.c):
 *			use it, and the VM's MSR filter, from the next entry
 * @smm_changed:	vcpu->smm changed: use the page tables of the vCPU's
 *			memslot address space (vtx_vcpu_as()) from now on
 * @mmu_format:		the page-table format of guest-physical memory
 *			(x86/mmu/mmu.h)
 * @dump_state:		log the backend's state after a failed entry
 */
struct vtx_x86_ops {
	const char *name;

	int (*hardware_setup)(void);
	void (*hardware_unsetup)(void);
	int (*enable)(void);
	void (*disable)(void);

	unsigned int vcpu_size;
	int (*vcpu_create)(struct vtx_vcpu *vcpu);
	void (*vcpu_free)(struct vtx_vcpu *vcpu);
	void (*vcpu_load)(struct vtx_vcpu *vcpu, int cpu);
	void (*vcpu_put)(struct vtx_vcpu *vcpu);
	int (*vcpu_run)(struct vtx_vcpu *vcpu);
	bool (*ready_for_interrupt)(struct vtx_vcpu *vcpu);
	bool (*interrupt_allowed)(struct vtx_vcpu *vcpu);

	void (*skip_instruction)(struct vtx_vcpu *vcpu, u32 len);
	void (*get_emu_env)(struct vtx_vcpu *vcpu, struct vtx_emu_env *env);
	void (*emu_writeback)(struct vtx_vcpu *vcpu, unsigned long rip,
			      unsigned long rsp, unsigned long rflags);
	void (*cache_reg)(struct vtx_vcpu *vcpu, enum vtx_cache reg);
	void (*set_reg)(struct vtx_vcpu *vcpu, enum vtx_cache reg,
			unsigned long val);
	void (*get_segment)(struct vtx_vcpu *vcpu, struct kvm_segment *var,
			    int seg);
	void (*set_segment)(struct vtx_vcpu *vcpu,
			    const struct kvm_segment *var, int seg);
	u64 (*get_segment_base)(struct vtx_vcpu *vcpu, int seg);
	int (*get_cpl)(struct vtx_vcpu *vcpu);
	void (*get_cs_db_l_bits)(struct vtx_vcpu *vcpu, bool *db, bool *l);
	void (*get_dt)(struct vtx_vcpu *vcpu, struct kvm_dtable *dt, bool idt);
	void (*set_dt)(struct vtx_vcpu *vcpu, const struct kvm_dtable *dt,
		       bool idt);

	unsigned long (*get_cr0)(struct vtx_vcpu *vcpu);
	unsigned long (*get_cr3)(struct vtx_vcpu *vcpu);
	unsigned long (*get_cr4)(struct vtx_vcpu *vcpu);
	void (*set_cr0)(struct vtx_vcpu *vcpu, unsigned long cr0);
	int (*write_cr0)(struct vtx_vcpu *vcpu, unsigned long cr0);
	void (*set_cr3)(struct vtx_vcpu *vcpu, unsigned long cr3);
	void (*set_cr4)(struct vtx_vcpu *vcpu, unsigned long cr4);
	void (*set_efer)(struct vtx_vcpu *vcpu, u64 efer);
	bool (*cr4_valid)(struct vtx_vcpu *vcpu, unsigned long cr4);
	int (*load_pdptrs)(struct vtx_vcpu *vcpu);
	u64 (*get_pdptr)(struct vtx_vcpu *vcpu, int index);
	void (*flush_tlb)(struct vtx_vcpu *vcpu);

	u32 (*get_interrupt_shadow)(struct vtx_vcpu *vcpu);
	void (*set_interrupt_shadow)(struct vtx_vcpu *vcpu, u32 mask);
	bool (*get_nmi_mask)(struct vtx_vcpu *vcpu);
	void (*set_nmi_mask)(struct vtx_vcpu *vcpu, bool masked);
	unsigned long (*get_dr7)(struct vtx_vcpu *vcpu);
	void (*set_dr7)(struct vtx_vcpu *vcpu, unsigned long dr7);

	u64 (*get_msr)(struct vtx_vcpu *vcpu, u32 index);
	void (*set_msr)(struct vtx_vcpu *vcpu, u32 index, u64 data);
	u64 (*get_tsc_offset)(struct vtx_vcpu *vcpu);
	void (*write_tsc_offset)(struct vtx_vcpu *vcpu, u64 offset);
	void (*update_cpuid)(struct vtx_vcpu *vcpu);
	void (*update_exception_bitmap)(struct vtx_vcpu *vcpu);
	void (*msr_bitmap_changed)(struct vtx_vcpu *vcpu);
	void (*smm_changed)(struct vtx_vcpu *vcpu);
	const struct vtx_mmu_format *mmu_format;
	void (*dump_state)(struct vtx_vcpu *vcpu);
};

/**
 * struct vtx_x86_caps - what the backend can offer guests, for CPUID and
 * the MSR lists (filled by @hardware_setup).
 * @rdtscp:		RDTSCP and IA32_TSC_AUX
 * @invpcid:		INVPCID
 * @xsaves:		XSAVES and XRSTORS (with IA32_XSS 0: no supervisor
 *			state)
 * @umip_emulated:	UMIP, emulated on a processor without it
 * @l1d_flush_not_needed: L1D flushes on entry are not needed, as a nested
 *			hypervisor may tell its guest (ARCH_CAPABILITIES)
 */
struct vtx_x86_caps {
	bool rdtscp;
	bool invpcid;
	bool xsaves;
	bool umip_emulated;
	bool l1d_flush_not_needed;
};

/* x86.c: filled once at load (vtx_x86_ops_init()), read-only after. */
extern struct vtx_x86_ops vtx_x86_ops;
extern struct vtx_x86_caps vtx_x86_caps;

/* The one backend (vmx/vmx.c): its table, copied at load. */
extern const struct vtx_x86_ops vtx_vmx_ops;

#endif /* VTX_X86_OPS_H */
