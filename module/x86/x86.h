/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - what any x86 backend shares (module/x86/): CPUID, the
 * architectural MSRs, the register accessors over the backend's state,
 * the guest page walker, port I/O and MMIO completion, the instruction
 * emulator and event queueing.  Included by x86/ and by the backend;
 * core/ includes it for the arch entry points (vtx_arch_*).
 */
#ifndef VTX_X86_H
#define VTX_X86_H

#include <linux/bits.h>
#include <asm/processor.h>
#include "core/vtx.h"
#include "x86/x86_ops.h"
#include "x86/apic.h"
#include "x86/walk.h"

/*
 * Linear addresses are canonical in 48 bits (4-level paging; vtx offers
 * no LA57).  Guest-physical addresses are bounded by VTX_GPA_BITS, what
 * the page-table formats map (core/vtx.h).
 */
#define VTX_VADDR_BITS		48

/* x86.c: the arch part of the vCPU, called by core/. */
/* kvm_run->s.regs sets of KVM_CAP_SYNC_REGS */
#define VTX_SYNC_REGS_VALID	(KVM_SYNC_X86_REGS | KVM_SYNC_X86_SREGS | \
				 KVM_SYNC_X86_EVENTS)
int vtx_x86_init(void);
void vtx_x86_exit(void);
int vtx_arch_vcpu_run(struct vtx_vcpu *vcpu);
long vtx_arch_vcpu_ioctl(struct vtx_vcpu *vcpu, unsigned int ioctl,
			 void __user *argp);
void vtx_arch_vcpu_init(struct vtx_vcpu *vcpu);
void vtx_vcpu_init_event(struct vtx_vcpu *vcpu);
bool vtx_ready_for_injection(struct vtx_vcpu *vcpu);
bool vtx_wants_irq_window(struct vtx_vcpu *vcpu);
int vtx_handle_ud(struct vtx_vcpu *vcpu);

/* smm.c: System Management Mode */
#define VTX_SMBASE_RESET	0x30000
void vtx_smm_changed(struct vtx_vcpu *vcpu, bool entering);
void vtx_smm_check(struct vtx_vcpu *vcpu);
int vtx_smm_rsm(struct vtx_vcpu *vcpu);
int vtx_monitor_mwait(struct vtx_vcpu *vcpu, u32 insn_len);
long vtx_set_tsc_khz(unsigned long arg);	/* state.c */

/*
 * KVM_CAP_DISABLE_QUIRKS2: the KVM_X86_QUIRK_* that vtx has (each on until
 * userspace turns it off; Documentation/vtx/api.rst).
 */
#define VTX_VALID_QUIRKS	(KVM_X86_QUIRK_MISC_ENABLE_NO_MWAIT | \
				 KVM_X86_QUIRK_FIX_HYPERCALL_INSN |	\
				 KVM_X86_QUIRK_MWAIT_NEVER_UD_FAULTS)

/* Is KVM_X86_QUIRK_* @quirk on for @vm (not disabled by userspace)? */
static inline bool vtx_has_quirk(struct vtx_vm *vm, u64 quirk)
{
	return !(READ_ONCE(vm->disabled_quirks) & quirk);
}

/* cpuid.c */
#define VTX_CPUID_LEAF_EXT_FEATURES	7	/* structured extended features */
bool vtx_guest_cpuid_has(struct vtx_vcpu *vcpu, unsigned int feature);
struct kvm_cpuid_entry2 *vtx_cpuid_find(struct vtx_vcpu *vcpu, u32 leaf,
					u32 index);
long vtx_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
long vtx_ioctl_set_cpuid2(struct vtx_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
long vtx_ioctl_get_cpuid2(struct vtx_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
void vtx_cpuid_lookup(struct vtx_vcpu *vcpu, u32 leaf, u32 index, u32 *regs);
void vtx_cpuid_update_mwait(struct vtx_vcpu *vcpu);
u64 vtx_supported_xcr0(void);
u64 vtx_guest_supported_xcr0(struct vtx_vcpu *vcpu);
u32 vtx_xstate_size(u64 xfeatures, bool compacted);
void vtx_cpuid_update_maxphyaddr(struct vtx_vcpu *vcpu);

/**
 * vtx_maxphyaddr() - the vCPU's physical-address width (MAXPHYADDR).
 * @vcpu:	the vCPU
 *
 * What its CPUID table offers in leaf 80000008H EAX[7:0] (36 without that
 * leaf), cached by KVM_SET_CPUID2: the width every guest-physical address
 * the vCPU gives (CR3, page-table entries, PDPTEs, MSRs holding an
 * address) is checked against, never the host's.
 *
 * Return: 0 to 52.
 */
static inline unsigned int vtx_maxphyaddr(struct vtx_vcpu *vcpu)
{
	return vcpu->maxphyaddr;
}

/* Bits 63:MAXPHYADDR, reserved in any guest-physical address of @vcpu. */
static inline u64 vtx_rsvd_gpa_bits(struct vtx_vcpu *vcpu)
{
	return GENMASK_ULL(63, vtx_maxphyaddr(vcpu));
}

/*
 * The same for an address vtx loads into the processor (CR3 and PDPTEs in
 * the VMCS): also the bits above the host's own width, which a table
 * claiming a wider MAXPHYADDR than the host's cannot make valid (the VM
 * entry would fail on them).
 */
static inline u64 vtx_rsvd_gpa_bits_hw(struct vtx_vcpu *vcpu)
{
	return vtx_rsvd_gpa_bits(vcpu) |
	       GENMASK_ULL(63, boot_cpu_data.x86_phys_bits);
}

/* msr.c */
int vtx_msr_init(void);
void vtx_msr_exit(void);
u64 vtx_msr_bitmap_pa(struct vtx_vcpu *vcpu);
void vtx_msr_bitmap_fill(struct vtx_vcpu *vcpu, unsigned long *map);
int vtx_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data);
int vtx_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host);
void vtx_load_guest_uret_msrs(struct vtx_vcpu *vcpu);
void vtx_drop_uret_msrs(void);
long vtx_ioctl_msr_index_list(struct kvm_msr_list __user *argp);
long vtx_ioctl_msr_feature_list(struct kvm_msr_list __user *argp);
long vtx_ioctl_msrs(struct vtx_vcpu *vcpu, struct kvm_msrs __user *argp,
		    bool set);
void vtx_msr_vcpu_init(struct vtx_vcpu *vcpu);
long vtx_ioctl_mce_cap_supported(u64 __user *argp);
long vtx_ioctl_setup_mce(struct vtx_vcpu *vcpu, u64 __user *argp);
long vtx_ioctl_set_mce(struct vtx_vcpu *vcpu, struct kvm_x86_mce __user *argp);

/* msr_filter.c: KVM_X86_SET_MSR_FILTER, KVM_CAP_X86_USER_SPACE_MSR */
#define VTX_MSR_EXIT_REASONS	(KVM_MSR_EXIT_REASON_INVAL |	\
				 KVM_MSR_EXIT_REASON_UNKNOWN |	\
				 KVM_MSR_EXIT_REASON_FILTER)
bool vtx_msr_allowed(struct vtx_vcpu *vcpu, u32 index, u32 type);
long vtx_ioctl_set_msr_filter(struct vtx_vm *vm,
			      struct kvm_msr_filter __user *argp);
void vtx_msr_filter_vm_destroy(struct vtx_vm *vm);
int vtx_msr_filter_changed(struct vtx_vcpu *vcpu);
void vtx_msr_vcpu_free(struct vtx_vcpu *vcpu);
int vtx_rdmsr_checked(struct vtx_vcpu *vcpu, u32 index, u64 *data);
int vtx_wrmsr_checked(struct vtx_vcpu *vcpu, u32 index, u64 data);
int vtx_msr_failed(struct vtx_vcpu *vcpu, u32 index, bool write, u64 data,
		   int err, u32 insn_len);

/* debug.c: the KVM_SET_GUEST_DEBUG control bits (KVM_CAP_SET_GUEST_DEBUG2) */
#define VTX_GUESTDBG_VALID	(KVM_GUESTDBG_ENABLE | KVM_GUESTDBG_SINGLESTEP | \
				 KVM_GUESTDBG_USE_SW_BP | \
				 KVM_GUESTDBG_USE_HW_BP | \
				 KVM_GUESTDBG_INJECT_DB | \
				 KVM_GUESTDBG_INJECT_BP | \
				 KVM_GUESTDBG_BLOCKIRQ)
long vtx_ioctl_set_guest_debug(struct vtx_vcpu *vcpu,
			       struct kvm_guest_debug __user *argp);
unsigned long vtx_get_user_rflags(struct vtx_vcpu *vcpu);
void vtx_set_user_rflags(struct vtx_vcpu *vcpu, unsigned long rflags);
int vtx_debug_exit(struct vtx_vcpu *vcpu, u8 vector, unsigned long dr6,
		   unsigned long dr7, u32 insn_len);
void vtx_debug_step_done(struct vtx_vcpu *vcpu);
int vtx_debug_step_exit(struct vtx_vcpu *vcpu);

/* clock.c: the flags of struct kvm_clock_data (KVM_CAP_ADJUST_CLOCK) */
#define VTX_CLOCK_VALID_FLAGS	(KVM_CLOCK_TSC_STABLE | KVM_CLOCK_REALTIME | \
				 KVM_CLOCK_HOST_TSC)
int vtx_clock_init(void);
void vtx_clock_exit(void);
void vtx_clock_vm_init(struct vtx_vm *vm);
long vtx_clock_ioctl(struct vtx_vm *vm, unsigned int ioctl,
		     void __user *argp);

/* state.c */
void vtx_queue_nmi(struct vtx_vcpu *vcpu);
long vtx_vcpu_state_ioctl(struct vtx_vcpu *vcpu, unsigned int ioctl,
			  void __user *argp);
unsigned int vtx_xsave_size(void);
bool vtx_xcr0_valid(struct vtx_vcpu *vcpu, u64 val);
void vtx_get_vcpu_events(struct vtx_vcpu *vcpu, struct kvm_vcpu_events *ep);
int vtx_set_vcpu_events(struct vtx_vcpu *vcpu,
			const struct kvm_vcpu_events *ep);

/* mmio.c */

/**
 * struct vtx_mmio_fault - a guest-physical access outside RAM (or a write
 * to a read-only memslot), as the backend decoded its exit.
 * @gpa:	the guest-physical address
 * @linear:	the guest-linear address, if @linear_valid
 * @write:	the access was a write
 * @linear_valid: the processor reported @linear
 * @page_walk:	the access was the processor's own page walk (a paging
 *		structure outside RAM), not the instruction's
 */
struct vtx_mmio_fault {
	u64 gpa;
	u64 linear;
	bool write;
	bool linear_valid;
	bool page_walk;
};

int vtx_handle_mmio(struct vtx_vcpu *vcpu, const struct vtx_mmio_fault *f);
u8 vtx_emu_features(struct vtx_vcpu *vcpu);

/* segment.c */
int vtx_load_ldtr_tr(struct vtx_vcpu *vcpu, u16 sel, bool tr);
int vtx_load_data_segment(struct vtx_vcpu *vcpu, const struct vtx_emu *e,
			  int seg, u16 sel);
int vtx_load_far_jmp(struct vtx_vcpu *vcpu, u16 sel, u64 off, u64 rflags,
		     struct vtx_emu *call);

/* fpu.c */
int vtx_vec_access(struct vtx_vcpu *vcpu, unsigned int file,
		   unsigned int reg, void *buf, bool write);

/* walk.c: x86/walk.h */

/* pio.c */
int vtx_handle_pio(struct vtx_vcpu *vcpu, bool string);
int vtx_complete_hypercall(struct vtx_vcpu *vcpu);

/* x86.c */
u64 vtx_seg_base(struct vtx_vcpu *vcpu, int seg);
void vtx_reg_write_sized(struct vtx_vcpu *vcpu, int reg, u64 val, int bytes);

/* events.c */
void vtx_queue_exception(struct vtx_vcpu *vcpu, u8 vector, bool has_error,
			 u32 error_code);
int vtx_inject_realmode_interrupt(struct vtx_vcpu *vcpu, u8 vector,
				  u32 insn_len);

/*
 * Register accessors.  A cached value is used as is; a miss asks the
 * backend (cache_reg), and writes go through it (set_reg), which keeps
 * the cache.  The backend's own hot paths use its inline versions.
 */
static inline unsigned long vtx_reg_cached(struct vtx_vcpu *vcpu,
					   enum vtx_cache reg,
					   unsigned long *val)
{
	if (!(vcpu->cached & BIT(reg)))
		vtx_x86_ops.cache_reg(vcpu, reg);
	return *val;
}

static inline unsigned long vtx_rip(struct vtx_vcpu *vcpu)
{
	return vtx_reg_cached(vcpu, VTX_CACHE_RIP, &vcpu->c_rip);
}

static inline void vtx_set_rip(struct vtx_vcpu *vcpu, unsigned long val)
{
	vtx_x86_ops.set_reg(vcpu, VTX_CACHE_RIP, val);
}

static inline unsigned long vtx_rflags(struct vtx_vcpu *vcpu)
{
	return vtx_reg_cached(vcpu, VTX_CACHE_RFLAGS, &vcpu->c_rflags);
}

static inline void vtx_set_rflags(struct vtx_vcpu *vcpu, unsigned long val)
{
	vtx_x86_ops.set_reg(vcpu, VTX_CACHE_RFLAGS, val);
}

static inline unsigned long vtx_rsp(struct vtx_vcpu *vcpu)
{
	return vtx_reg_cached(vcpu, VTX_CACHE_RSP, &vcpu->regs[VTX_RSP]);
}

static inline void vtx_set_rsp(struct vtx_vcpu *vcpu, unsigned long val)
{
	vtx_x86_ops.set_reg(vcpu, VTX_CACHE_RSP, val);
}

/**
 * vtx_may_reenter() - may the backend enter the guest again right after
 * an exit it handled in the kernel, without returning to vcpu_run()'s
 * loop (x86.c)?  Only when that loop would do nothing before the entry: no
 * reschedule, no request (a dead VM is one: VTX_REQ_VM_DEAD), no
 * interrupt window asked for.  (Signals are looked for at every entry,
 * interrupts off.)
 * @vcpu:	the running vCPU
 */
static inline bool vtx_may_reenter(struct vtx_vcpu *vcpu)
{
	return !need_resched() && !vtx_request_pending(vcpu) &&
	       !READ_ONCE(vcpu->run->request_interrupt_window);
}

/* A GPR by its x86 number (enum vtx_reg), RSP included. */
static inline unsigned long vtx_reg_read(struct vtx_vcpu *vcpu, int reg)
{
	return reg == VTX_RSP ? vtx_rsp(vcpu) : vcpu->regs[reg];
}

static inline void vtx_reg_write(struct vtx_vcpu *vcpu, int reg,
				 unsigned long val)
{
	if (reg == VTX_RSP)
		vtx_set_rsp(vcpu, val);
	else
		vcpu->regs[reg] = val;
}

/* The guest runs 64-bit code (CS.L). */
static inline bool vtx_in_64bit_code(struct vtx_vcpu *vcpu)
{
	bool db, l;

	vtx_x86_ops.get_cs_db_l_bits(vcpu, &db, &l);
	return l;
}

static inline int vtx_cpl(struct vtx_vcpu *vcpu)
{
	return vtx_reg_cached(vcpu, VTX_CACHE_CPL, &vcpu->c_cpl);
}

static inline unsigned long vtx_get_cr3(struct vtx_vcpu *vcpu)
{
	return vtx_reg_cached(vcpu, VTX_CACHE_CR3, &vcpu->c_cr3);
}

static inline unsigned long vtx_get_cr4(struct vtx_vcpu *vcpu)
{
	return vtx_x86_ops.get_cr4(vcpu);
}

static inline bool vtx_is_long_mode(struct vtx_vcpu *vcpu)
{
	return vcpu->efer & EFER_LMA;
}

/*
 * The instruction of @len bytes completed: RIP past it, no interrupt
 * shadow (the backend's own fast path, in one call).
 */
static inline void vtx_skip_instruction(struct vtx_vcpu *vcpu, u32 len)
{
	vtx_x86_ops.skip_instruction(vcpu, len);
}

/* The instruction completed: no more STI/MOV SS interrupt shadow. */
static inline void vtx_clear_intr_shadow(struct vtx_vcpu *vcpu)
{
	if (vtx_x86_ops.get_interrupt_shadow(vcpu))
		vtx_x86_ops.set_interrupt_shadow(vcpu, 0);
}

#endif /* VTX_X86_H */
