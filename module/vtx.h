/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - core objects shared by the generic layer (device, VM, vCPU) and the
 * VMX backend.
 *
 * Locking rules are written next to each field as [x]:
 *   [c]  set once at creation, read-only afterwards
 *   [s]  vm->slots_lock (mutex)
 *   [r]  vm->srcu: read under srcu_read_lock(), or with slots_lock held
 *   [m]  vm->mmu.lock (spinlock), the page tables (mmu.h)
 *   [v]  vcpu->mutex (held by every vCPU ioctl, including KVM_RUN)
 *   [l]  vCPU loaded on this CPU with preemption or IRQs disabled
 *   [g]  vtx_vms_lock (global mutex)
 *   [t]  vm->stats_lock (mutex)
 *   [o]  lockless: one writer, READ_ONCE/WRITE_ONCE readers
 * Order: vcpu->mutex -> vtx_vms_lock -> vm->slots_lock -> vm->stats_lock
 * -> vm->mmu.lock.  vtx_vms_lock is taken under vcpu->mutex only by VM
 * creation and destruction.  slots_lock waits for vm->srcu readers
 * (synchronize_srcu) and is never taken inside one.  slots_lock, vm->srcu
 * read sections and vcpu->mutex are held across user-memory faults;
 * vtx_vms_lock, stats_lock and mmu.lock never are, and netlink takes only
 * those and vm->srcu.  See Documentation/vtx/locking.rst.
 */
#ifndef VTX_H
#define VTX_H

#include <linux/types.h>
#include <linux/atomic.h>
#include <linux/kref.h>
#include <linux/list.h>
#include <linux/mmu_notifier.h>
#include <linux/mutex.h>
#include <linux/spinlock.h>
#include <linux/srcu.h>
#include <linux/preempt.h>
#include <linux/sched.h>
#include "compat.h"
#include <linux/kvm.h>
#include <asm/fpu/api.h>
#include "profile.h"
#include <asm/fpu/types.h>
#include "emulate.h"
#include "mmu.h"

#define VTX_PREFIX		"vtx: "

/* Limits, reported through KVM_CHECK_EXTENSION. */
#define VTX_MAX_MEMSLOTS	32
#define VTX_MAX_VCPUS		64
#define VTX_MAX_VCPU_ID		VTX_MAX_VCPUS
/* kvm_run page + PIO data page, the layout KVM uses on x86. */
#define VTX_PIO_PAGE_OFFSET	1
#define VTX_VCPU_MMAP_PAGES	2

/* KVM's limit on GSI routes (KVM_CAP_IRQ_ROUTING). */
#define VTX_MAX_IRQ_ROUTES	4096

/* Machine-check banks a guest may have (KVM_CAP_MCE), as on KVM. */
#define VTX_MAX_MCE_BANKS	32
/* MSRs per machine-check bank: MCi_CTL, MCi_STATUS, MCi_ADDR, MCi_MISC. */
#define VTX_MCE_BANK_MSRS	4

/* Variable-range MTRRs offered to the guest. */
#define VTX_NR_VAR_MTRR		8
#define VTX_NR_FIXED_MTRR	11

/* Hypercalls userspace may take over with KVM_CAP_EXIT_HYPERCALL. */
#define VTX_EXIT_HYPERCALL_MASK	GENMASK(30, 0)

/* MSRs restored for the host only on return to userspace (msr.c). */
enum vtx_uret {
	VTX_URET_STAR, VTX_URET_LSTAR, VTX_URET_CSTAR, VTX_URET_SFMASK,
	VTX_URET_TSC_AUX, VTX_NR_URET
};

/* Exit reasons counted one by one (EXIT_REASON_NOTIFY is 75 in 6.1). */
#define VTX_NR_EXIT_REASONS	76
/* Must match VTX_LAT_BUCKETS of uapi/linux/vtx.h. */
#define VTX_NR_LAT_BUCKETS	32

/**
 * struct vtx_vcpu_stats - counters of one vCPU, written only by its thread.
 * @exits:	VM exits
 * @user_exits:	KVM_RUN returns with an exit for userspace
 * @guest_tsc:	TSC cycles in the guest
 * @host_tsc:	TSC cycles from an exit to the next entry (in-kernel exits)
 * @reason:	exits per basic exit reason
 * @latency:	histogram of those exit-to-entry cycles, log2 buckets
 */
struct vtx_vcpu_stats {
	u64 exits;
	u64 user_exits;
	u64 guest_tsc;
	u64 host_tsc;
	u64 reason[VTX_NR_EXIT_REASONS];
	u64 latency[VTX_NR_LAT_BUCKETS];
};

/* Guest physical addresses are limited to what EPT's 4 levels map. */
#define VTX_GPA_BITS		48
/* DR6 and DR7 bits that always read as 1 (SDM vol. 3, 18.2) */
#define DR6_FIXED_1		0xfffe0ff0ul

/* Indices into vtx_vcpu.regs: the x86 register numbering. */
enum vtx_reg {
	VTX_RAX, VTX_RCX, VTX_RDX, VTX_RBX, VTX_RSP, VTX_RBP, VTX_RSI, VTX_RDI,
	VTX_R8, VTX_R9, VTX_R10, VTX_R11, VTX_R12, VTX_R13, VTX_R14, VTX_R15,
	VTX_NR_GPRS
};

/**
 * struct vtx_memslot - one guest-physical range backed by user memory.
 * @base_gfn:	first guest frame
 * @npages:	size in pages; 0 means the slot is unused
 * @userspace_addr: host virtual address of the first byte
 * @flags:	KVM_MEM_* flags
 * @dirty_bitmap: one bit per page written since the last KVM_GET_DIRTY_LOG
 *
 * Never changed once published in a struct vtx_memslots: an update copies
 * the array.  Bits of @dirty_bitmap are set and cleared atomically; the
 * bitmap is freed only after the array that last held it is unreachable
 * (synchronize_srcu()).
 */
struct vtx_memslot {
	u64 base_gfn;
	u64 npages;
	unsigned long userspace_addr;
	u32 flags;
	unsigned long *dirty_bitmap;	/* KVM_MEM_LOG_DIRTY_PAGES, or NULL */
};

/**
 * struct vtx_memslots - the memslots of a VM, published as a whole.
 * @slots:	indexed by slot id
 * @active:	a bit per slot with npages != 0
 * @last:	lookup hint, the slot of the last hit; written racily by
 *		readers (READ_ONCE/WRITE_ONCE)
 *
 * KVM_SET_USER_MEMORY_REGION copies the array, changes the copy and swaps
 * vm->memslots under vm->slots_lock; readers use the array they found
 * under srcu_read_lock(&vm->srcu), and the old one is freed after
 * synchronize_srcu().
 */
struct vtx_memslots {
	struct vtx_memslot slots[VTX_MAX_MEMSLOTS];
	unsigned long active;
	unsigned int last;
};

struct vtx_vcpu;

/**
 * struct vtx_vm - one virtual machine (one VM file descriptor).
 */
struct vtx_vm {
	struct kref kref;			/* VM fd + each vCPU fd */
	struct mm_struct *mm;			/* [c] creator's mm, mmgrab'ed */
	unsigned int id;			/* [c] */
	pid_t owner_pid;			/* [c] */
	char owner_comm[TASK_COMM_LEN];		/* [c] */
	/* protects vcpus' stats_base; never held across a user fault */
	struct mutex stats_lock;

	/* serialises memslot updates; protects vcpus, tss_addr, ... */
	struct mutex slots_lock;
	/* [c] read side of memslots: faults, guest copies, netlink */
	struct srcu_struct srcu;
	/* [s] to write (swapped), [r] to read: vtx_memslots() */
	struct vtx_memslots __rcu *memslots;
	/* [s] written once per index, published by nr_vcpus */
	struct vtx_vcpu *vcpus[VTX_MAX_VCPUS];
	/* [s] to write, with release; vtx_vm_nr_vcpus() reads it locklessly */
	unsigned int nr_vcpus;
	u32 max_vcpu_id;			/* [s] KVM_CAP_MAX_VCPU_ID, 0: unset */
	u64 tss_addr;				/* [s] accepted, unused with UG */
	u64 identity_map_addr;			/* [s] accepted, unused with UG */
	struct list_head ioeventfds;		/* [s] to write, RCU to read */
	u64 hypercall_exits;			/* [o] KVM_CAP_EXIT_HYPERCALL */
	bool dead;				/* [o] a VMX insn failed: -EIO */

	/* Guest-physical tables, pinned pages, MMU notifier: mmu.h. */
	struct vtx_mmu mmu;

	struct list_head list;			/* [g] on vtx_vms */
};

/* What the last exit to userspace left for the next KVM_RUN to finish. */
enum vtx_pending_io {
	VTX_IO_NONE,
	VTX_IO_PIO_IN,		/* IN: copy data into RAX */
	VTX_IO_PIO_OUT,		/* OUT: nothing left but RIP */
	VTX_IO_STR,		/* INS/OUTS: update RSI/RDI/RCX, memory */
	VTX_IO_HYPERCALL,	/* KVM_EXIT_HYPERCALL: RAX from run->hypercall */
	VTX_IO_MMIO,		/* KVM_EXIT_MMIO read: finish the emulated insn */
	VTX_IO_MMIO_NEXT,	/* a further MMIO access of the same insn */
	VTX_IO_STR_MMIO_READ,	/* OUTS from MMIO: the element, then the OUT */
	VTX_IO_STR_MMIO_WRITE,	/* INS to MMIO: the element was written */
};

/**
 * struct vtx_pio - a port I/O exit in flight to userspace.
 */
struct vtx_pio {
	enum vtx_pending_io kind;
	u16 port;
	u8 size;
	bool in;
	bool rep;
	u8 addr_bytes;		/* address size of a string op: 2, 4 or 8 */
	int seg;		/* VCPU_SREG_* of the string source (OUTS) */
	u32 count;		/* elements handed to userspace */
	u64 gva;		/* first element's linear address */
	bool down;		/* RFLAGS.DF */
	bool mmio;		/* the memory operand is MMIO, at @mmio_gpa */
	u64 mmio_gpa;
	u32 insn_len;
};

/**
 * struct vtx_pending_event - an exception or interrupt to inject at next entry.
 */
struct vtx_pending_event {
	bool valid;
	u32 info;		/* VM-entry interruption-information format */
	u32 error_code;
	u32 insn_len;
};

/**
 * struct vtx_vcpu - one virtual CPU (one vCPU file descriptor).
 */
struct vtx_vcpu {
	/* Guest GPRs, indexed by enum vtx_reg; RSP lives in the VMCS. [v] */
	unsigned long regs[VTX_NR_GPRS];
	/* HOST_RSP last written to the VMCS, compared by the trampoline. [l] */
	unsigned long host_rsp;

	struct vtx_vm *vm;		/* [c] */
	u32 id;				/* [c] vCPU id */
	struct mutex mutex;		/* serializes the vCPU's ioctls */
	struct kvm_run *run;		/* [c] page mmap'ed by userspace */
	u8 *pio_data;			/* [c] page following run */

	/* VMCS and where it is loaded. */
	struct vmcs *vmcs;		/* [c] */
	int cpu;			/* [l] CPU the VMCS is active on, or -1 */
	bool launched;			/* [l] VMLAUNCH done since VMCLEAR */
	struct list_head loaded_link;	/* [l] on the CPU's loaded list */
	u16 vpid;			/* [c] 0 when VPID is not used */
	struct preempt_notifier preempt;	/* [v] */

	/* Host state switched lazily around guest execution. [l] */
	bool guest_state_loaded;
	u16 host_fs_sel, host_gs_sel, host_ds_sel, host_es_sel, host_ldt_sel;
	unsigned long host_kernel_gs_base;
	unsigned long host_cr3, host_cr4;	/* values in the VMCS */
	u64 host_xcr0;
	unsigned long host_debugctl;	/* [v] read at each KVM_RUN */

	/* Guest state not held in the VMCS. [v] */
	unsigned long cr0;		/* guest's view */
	unsigned long cr4;		/* guest's view */
	unsigned long cr2;
	unsigned long cr8;
	u64 efer;			/* guest's view, LMA included */
	u64 apic_base;
	u64 kernel_gs_base;
	u64 uret[VTX_NR_URET];		/* STAR, LSTAR, ..., see msr.c */
	bool has_tsc_aux;		/* [c] RDTSCP offered */
	u64 uret_token;			/* [v] see vtx_load_guest_uret_msrs() */
	u64 mtrr_def_type;
	u64 mtrr_fixed[VTX_NR_FIXED_MTRR];
	u64 mtrr_var[2 * VTX_NR_VAR_MTRR];
	u64 misc_enable;		/* IA32_MISC_ENABLE */
	u64 ucode_rev;			/* IA32_UCODE_REV (BIOS_SIGN_ID) */
	u64 tsc_adjust;			/* IA32_TSC_ADJUST */
	u64 arch_capabilities;		/* IA32_ARCH_CAPABILITIES */
	u64 platform_info;		/* MSR_PLATFORM_INFO: CPUID_FAULT */
	u64 misc_features;		/* MSR_MISC_FEATURES_ENABLES */
	/* Machine-check architecture, see msr.c. */
	u64 mcg_cap;
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mce_banks[VTX_MCE_BANK_MSRS * VTX_MAX_MCE_BANKS];
	bool triple_fault;		/* [v] shut down at the next KVM_RUN */
	u64 xcr0;
	unsigned long dr[4];
	unsigned long dr6;
	bool guest_bp_enabled;		/* DR7 enables a breakpoint */
	struct fpu_guest guest_fpu;

	u32 proc_ctl;			/* [v] cached primary controls */
	struct vtx_pio pio;		/* [v] */
	struct vtx_emu emu;		/* [v] instruction behind KVM_EXIT_MMIO */
	u64 mmio_gpa;			/* [v] the EPT violation's address */
	bool mmio_linear_valid;		/* [v] ... with a guest-linear address */
	bool mmio_fault_write;		/* [v] ... for a write */
	struct vtx_pending_event event;		/* [v] exception or re-injection */
	bool irq_pending;		/* [v] KVM_INTERRUPT queued */
	u8 irq_vector;			/* [v] */
	u8 nmi_pending;			/* [v] KVM_NMI queued */
	u32 sipi_vector;		/* [v] stored for VCPU_EVENTS only */
	bool sigset_active;		/* [v] KVM_SET_SIGNAL_MASK */
	sigset_t sigset;		/* [v] blocked signals during KVM_RUN */

	struct kvm_cpuid_entry2 *cpuid;	/* [v] KVM_SET_CPUID2 table */
	u32 cpuid_nent;			/* [v] */
	bool ran;			/* [v] KVM_RUN entered the guest */
	bool l1tf_flush_l1d;		/* [v] L1D may hold host data (vmx.c) */

	/*
	 * Guest fields read often, cached from the last VM exit on; bit n of
	 * cached set means the field is valid (enum vtx_cache).  Cleared at
	 * each exit and when an ioctl writes the VMCS behind the accessors.
	 */
	u32 cached;			/* [v] */
	unsigned long c_rip, c_rflags;	/* [v] */
	u32 c_cs_ar, c_intr;		/* [v] */

	/* Exit information of the last VM exit. [v] */
	u32 exit_reason;
	unsigned long exit_qual;
	bool entry_failed;
	int last_cpu;

	/* [v] zeroed table pages for this vCPU's faults (mmu.c) */
	struct vtx_mmu_cache mmu_cache;

	/* Statistics: see module/netlink.c for how they are read. */
	struct vtx_vcpu_stats stats;	/* [v] written by the vCPU thread */
	struct vtx_vcpu_stats stats_base; /* [t] reset snapshot */
	u64 exit_tsc;			/* [v] TSC at the last exit, 0: none */
#ifdef VTX_PROFILE
	struct vtx_prof prof;		/* [v] see profile.h */
#endif
};

/* vmx.c: VMX lifecycle and capabilities. */
int vtx_vmx_init(void);
void vtx_vmx_exit(void);
int vtx_vmx_get(void);
void vtx_vmx_put(void);

/**
 * vtx_vm_nr_vcpus() - the number of vCPUs, without vm->slots_lock.
 * @vm:		the VM
 *
 * vm->vcpus[i] for i below the result is a live vCPU for as long as the
 * caller holds a reference on @vm (KVM_CREATE_VCPU writes the entry, then
 * the count with release semantics).
 */
static inline unsigned int vtx_vm_nr_vcpus(struct vtx_vm *vm)
{
	/* Pairs with the release in vtx_create_vcpu(): entries first. */
	return smp_load_acquire(&vm->nr_vcpus);
}

/**
 * vtx_memslots() - the VM's current memslots.
 * @vm:		the VM; the caller is in an srcu_read_lock(&vm->srcu) section
 *		or holds vm->slots_lock
 *
 * Return: the array, valid until the read section ends (or the lock is
 * dropped).
 */
static inline struct vtx_memslots *vtx_memslots(struct vtx_vm *vm)
{
	return srcu_dereference_check(vm->memslots, &vm->srcu,
				      lockdep_is_held(&vm->slots_lock));
}

/* vm.c */
int vtx_create_vm(unsigned long type);
void vtx_vm_put(struct vtx_vm *vm);
struct vtx_memslot *vtx_find_slot(struct vtx_vm *vm, u64 gfn);
bool vtx_gpa_is_ram(struct vtx_vm *vm, u64 gpa);
int vtx_read_guest_phys(struct vtx_vm *vm, u64 gpa, void *buf, size_t len);
int vtx_write_guest_phys(struct vtx_vm *vm, u64 gpa, const void *buf,
			 size_t len);

/* vcpu.c */
int vtx_create_vcpu(struct vtx_vm *vm, unsigned long id);
void vtx_vcpu_free(struct vtx_vcpu *vcpu);

/* cpuid.c */
#define VTX_CPUID_LEAF_EXT_FEATURES	7	/* structured extended features */
bool vtx_guest_cpuid_has(struct vtx_vcpu *vcpu, unsigned int feature);
long vtx_ioctl_get_supported_cpuid(struct kvm_cpuid2 __user *argp);
long vtx_ioctl_set_cpuid2(struct vtx_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
long vtx_ioctl_get_cpuid2(struct vtx_vcpu *vcpu,
			  struct kvm_cpuid2 __user *argp);
void vtx_cpuid_lookup(struct vtx_vcpu *vcpu, u32 leaf, u32 index, u32 *regs);
u64 vtx_supported_xcr0(void);
u64 vtx_guest_supported_xcr0(struct vtx_vcpu *vcpu);
u32 vtx_xstate_size(u64 xfeatures, bool compacted);

/* msr.c */
int vtx_msr_init(void);
void vtx_msr_exit(void);
u64 vtx_msr_bitmap_pa(void);
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

/* netlink.c */
int vtx_netlink_init(void);
void vtx_netlink_exit(void);
void vtx_nl_event(struct vtx_vm *vm, u32 event, int vcpu_id, u32 reason);

/* ioeventfd.c */
long vtx_ioctl_ioeventfd(struct vtx_vm *vm, struct kvm_ioeventfd __user *argp);
bool vtx_ioeventfd_signal(struct vtx_vm *vm, bool pio, u64 addr, u32 len,
			  u64 val);
void vtx_ioeventfd_release(struct vtx_vm *vm);

/* main.c */
long vtx_check_extension(unsigned long cap);
extern struct mutex vtx_vms_lock;
extern struct list_head vtx_vms;

/*
 * What vtx allocates per VM, counted so that a test can prove that all of
 * it went away (read-only module parameters "allocs" and "allocs_detail",
 * main.c).  Module-wide objects made at load time are not counted.
 */
enum vtx_alloc_kind {
	VTX_ALLOC_VM,		/* struct vtx_vm */
	VTX_ALLOC_VCPU,		/* struct vtx_vcpu + kvm_run + PIO page + FPU */
	VTX_ALLOC_VMCS,		/* VMCS pages */
	VTX_ALLOC_EPT,		/* EPT table pages (in use or preallocated) */
	VTX_ALLOC_BITMAP,	/* dirty bitmaps and their snapshots */
	VTX_ALLOC_CPUID,	/* CPUID tables */
	VTX_ALLOC_IOEVENTFD,	/* ioeventfd entries */
	VTX_ALLOC_PIN,		/* guest pages referenced by get_user_pages */
	VTX_NR_ALLOC
};

/* lockless: atomic counters, changed next to each allocation and free */
extern atomic_long_t vtx_allocs[VTX_NR_ALLOC];

static inline void vtx_alloc_add(enum vtx_alloc_kind kind, long n)
{
	atomic_long_add(n, &vtx_allocs[kind]);
}

static inline void vtx_alloc_inc(enum vtx_alloc_kind kind)
{
	vtx_alloc_add(kind, 1);
}

static inline void vtx_alloc_dec(enum vtx_alloc_kind kind)
{
	vtx_alloc_add(kind, -1);
}

#endif /* VTX_H */
