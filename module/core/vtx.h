/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the core objects (module/core/): device, VM and vCPU, memslots,
 * statistics and allocation counters.  The vCPU holds the architectural
 * x86 state too (x86/ keeps it); the backend's own part of a vCPU embeds
 * struct vtx_vcpu (vmx/vmx.h, struct vcpu_vmx).
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
#include <linux/rcuwait.h>
#include <linux/sched.h>
#include <linux/sched/signal.h>
#include <linux/signal.h>
#include "core/compat.h"
#include <linux/kvm.h>
#include <asm/fpu/api.h>
#include "core/profile.h"
#include <asm/fpu/types.h>
#include "x86/emulate.h"
#include "x86/mmu/mmu.h"
#include "x86/pv.h"

#define VTX_PREFIX		"vtx: "

/* Limits, reported through KVM_CHECK_EXTENSION. */
#define VTX_MAX_MEMSLOTS	32
/*
 * Memslot address spaces (KVM_CAP_MULTI_ADDRESS_SPACE): 0 is what a vCPU
 * sees normally, 1 what it sees in System Management Mode.  A memslot id
 * carries its address space in bits 16 and up.
 */
#define VTX_ADDRESS_SPACES	2
#define VTX_SMM_ADDRESS_SPACE	1
#define VTX_MAX_VCPUS		64
#define VTX_MAX_VCPU_ID		VTX_MAX_VCPUS
/* kvm_run page + PIO data page, the layout KVM uses on x86. */
#define VTX_PIO_PAGE_OFFSET	1
/* ... + the VM's coalesced MMIO ring (KVM_COALESCED_MMIO_PAGE_OFFSET) */
#define VTX_COALESCED_PAGE_OFFSET 2
#define VTX_VCPU_MMAP_PAGES	3
/* Coalesced zones per VM and kind (MMIO, ports): KVM's NR_IOBUS_DEVS. */
#define VTX_MAX_COALESCED_ZONES	1000

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
 * @retired:	the next older array still waiting to be freed (vm->retired)
 *
 * KVM_SET_USER_MEMORY_REGION copies the array, changes the copy and swaps
 * vm->memslots under vm->slots_lock; readers use the array they found
 * under srcu_read_lock(&vm->srcu), and the old one is freed after
 * synchronize_srcu(), or, when the update removed nothing, kept on
 * vm->retired until the next update that waits (or VM destruction).
 */
struct vtx_memslots {
	struct vtx_memslot slots[VTX_MAX_MEMSLOTS];
	unsigned long active;
	unsigned int last;
	struct vtx_memslots *retired;
};

struct vtx_vcpu;
struct vtx_msr_filter;
struct vtx_irq_routing_table;
struct vtx_irqchip;
struct vtx_vpit;

/* A VM's irqfds (core/irqfd.c). */
struct vtx_irqfds {
	/* protects items and each irqfd's routing snapshot; IRQs off */
	spinlock_t lock;
	struct list_head items;		/* the active irqfds */
	/* serialises changes of resamplers and of their irqfd lists */
	struct mutex resampler_lock;
	struct list_head resamplers;	/* one per GSI with resample irqfds */
};

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
	/*
	 * [s] to write (swapped), [r] to read: vtx_memslots(); one array per
	 * address space (VTX_ADDRESS_SPACES)
	 */
	struct vtx_memslots __rcu *memslots[VTX_ADDRESS_SPACES];
	/* [s] replaced arrays not yet freed, newest first: memslots_publish() */
	struct vtx_memslots *retired;
	/* [s] written once per index, published by nr_vcpus */
	struct vtx_vcpu *vcpus[VTX_MAX_VCPUS];
	/* [s] to write, with release; vtx_vm_nr_vcpus() reads it locklessly */
	unsigned int nr_vcpus;
	u32 max_vcpu_id;			/* [s] KVM_CAP_MAX_VCPU_ID, 0: unset */
	u64 tss_addr;				/* [s] accepted, unused with UG */
	u64 identity_map_addr;			/* [s] accepted, unused with UG */
	struct list_head ioeventfds;		/* [s] to write, RCU to read */
	/* core/coalesced.c: zones [s] to write, RCU to read */
	struct list_head coalesced_zones;
	unsigned int nr_coalesced_zones[2];	/* [s] MMIO, PIO */
	/* [c] the ring page, shared with userspace (untrusted indices) */
	struct kvm_coalesced_mmio_ring *coalesced_ring;
	spinlock_t coalesced_ring_lock;		/* serialises ring writers */
	/*
	 * KVM_SET_CLOCK: kvmclock ns minus host CLOCK_MONOTONIC_RAW ns;
	 * written under pv.lock, read with READ_ONCE or under it
	 */
	s64 kvmclock_offset;
	struct vtx_pv_vm pv;			/* kvmclock (x86/pv.h) */
	/* [o] KVM_CAP_MSR_PLATFORM_INFO off: guest reads of it #GP */
	bool platform_info_hidden;
	/* [s] KVM_SET_BOOT_CPU_ID: the vCPU id that resets as the BSP */
	u32 bsp_vcpu_id;
	u64 hypercall_exits;			/* [o] KVM_CAP_EXIT_HYPERCALL */
	/* [o] KVM_CAP_DISABLE_QUIRKS(2): KVM_X86_QUIRK_* bits turned off */
	u64 disabled_quirks;
	/* [o] KVM_CAP_X86_USER_SPACE_MSR: KVM_MSR_EXIT_REASON_* to exit on */
	u32 user_space_msr_mask;
	/*
	 * KVM_X86_SET_MSR_FILTER (x86/msr_filter.c): swapped with xchg(),
	 * read under rcu_read_lock(), freed after synchronize_rcu(); NULL:
	 * every MSR allowed
	 */
	struct vtx_msr_filter __rcu *msr_filter;
	bool dead;				/* [o] a VMX insn failed: -EIO */
	/*
	 * [s] enum vtx_irqchip_mode (x86/irq.h): written once, before the
	 * first vCPU, with release; read with acquire
	 */
	u8 irqchip_mode;
	u32 nr_reserved_ioapic_pins;		/* [s] split irqchip's pins */
	/* [s] KVM_CREATE_VCPU calls begun (failed ones taken back) */
	unsigned int created_vcpus;
	/*
	 * [s] KVM_CREATE_IRQCHIP's PICs and IOAPIC (x86/irqchip.h): set
	 * before irqchip_mode becomes VTX_IRQCHIP_KERNEL, freed with the VM
	 */
	struct vtx_irqchip *irqchip;

	/*
	 * Interrupt routing (x86/irq_routing.h) and irqfds (core/irqfd.c).
	 * [i] vm->irq_lock to write, [I] vm->irq_srcu read section to read.
	 */
	struct mutex irq_lock;		/* routing updates, ack notifiers */
	struct srcu_struct irq_srcu;	/* [c] readers of the two below */
	struct vtx_irq_routing_table __rcu *irq_routing;	/* [i] [I] */
	struct hlist_head irq_ack_notifiers;	/* [i] [I] */
	unsigned long irq_sources;	/* [i] device irq source ids taken */
	/* [i] [I] x86/irqchip.h's mask notifiers (empty when zeroed) */
	struct hlist_head irq_mask_notifiers;
	/* [o] KVM_X2APIC_API_USE_32BIT_IDS: MSIs in the x2APIC format */
	bool x2apic_format;
	struct vtx_irqfds irqfds;
	/*
	 * KVM_CREATE_PIT2's PIT (x86/pit_vm.c): [s] set once, with release,
	 * read with acquire; freed with the VM.  Its state has its own lock.
	 */
	struct vtx_vpit *pit;

	/* Guest-physical tables, pinned pages, MMU notifier: mmu.h. */
	struct vtx_mmu mmu;

	struct list_head list;			/* [g] on vtx_vms */
};

/**
 * struct vtx_pio - a port I/O exit in flight to userspace.
 */
struct vtx_pio {
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
	u64 linear_rip;		/* IN/OUT: CS base + RIP at the exit */
};

/* What a vtx_pending_event is: the architecture's event types. */
enum vtx_event_type {
	VTX_EVENT_EXTINT,	/* external interrupt (KVM_INTERRUPT) */
	VTX_EVENT_NMI,
	VTX_EVENT_EXCEPTION,	/* hardware exception */
	VTX_EVENT_SOFT_INT,	/* INT n */
	VTX_EVENT_PRIV_SW_EXC,	/* ICEBP (INT1) */
	VTX_EVENT_SOFT_EXC,	/* INT3, INTO */
};

/**
 * struct vtx_pending_event - an event to deliver at the next entry: an
 * exception vtx queued, or one whose delivery an exit cut short.  Kept as
 * architectural state; the backend encodes it at entry.
 * @valid:	an event is pending
 * @type:	enum vtx_event_type
 * @vector:	its vector
 * @has_error:	it pushes @error_code
 * @error_code:	the error code
 * @insn_len:	length of the instruction of a software event, 0 otherwise
 */
struct vtx_pending_event {
	bool valid;
	u8 type;
	u8 vector;
	bool has_error;
	u32 error_code;
	u32 insn_len;
};

/**
 * struct vtx_vcpu - one virtual CPU (one vCPU file descriptor).
 */
struct vtx_vcpu {
	/* Guest GPRs, indexed by enum vtx_reg; RSP: see vtx_rsp(). [v] */
	unsigned long regs[VTX_NR_GPRS];

	struct vtx_vm *vm;		/* [c] */
	u32 id;				/* [c] vCPU id */
	/* [c] the in-kernel local APIC (x86/apic.h), NULL without one */
	struct vtx_apic *apic;
	bool tpr_access_reporting;	/* [v] KVM_TPR_ACCESS_REPORTING */
	/* the vCPU's thread waits here in HLT; vtx_vcpu_kick() wakes it */
	struct rcuwait wait;
	struct mutex mutex;		/* serializes the vCPU's ioctls */
	struct kvm_run *run;		/* [c] page mmap'ed by userspace */
	u8 *pio_data;			/* [c] page following run */

	struct preempt_notifier preempt;	/* [v] */
	/* [o] VTX_REQ_* bits: set by anyone, taken by the vCPU's thread */
	unsigned long requests;
	/* [o] enum vtx_vcpu_mode: in the guest or not, for vtx_vcpu_kick() */
	int mode;
	u64 host_xcr0;			/* [c] 0: the host runs without XSAVE */
	unsigned long host_debugctl;	/* [v] read at each KVM_RUN */
	/* [l] host segment/MSR state saved, the guest's MSRs live */
	bool guest_state_loaded;

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
	u64 power_ctl;			/* MSR_IA32_POWER_CTL, as KVM keeps it */
	/*
	 * [v] this vCPU's MSR bitmap with the VM's MSR filter applied
	 * (x86/msr_filter.c), from the first filter on; NULL: the module's
	 */
	unsigned long *msr_bitmap;
	/* Machine-check architecture, see msr.c. */
	u64 mcg_cap;
	u64 mcg_status;
	u64 mcg_ctl;
	u64 mce_banks[VTX_MCE_BANK_MSRS * VTX_MAX_MCE_BANKS];
	u64 mci_ctl2[VTX_MAX_MCE_BANKS];	/* MCi_CTL2, with MCG_CMCI_P */
	u64 xcr0;
	unsigned long dr[4];
	unsigned long dr6;
	unsigned long dr7;		/* the guest's own DR7 */
	/*
	 * [v] KVM_GUESTDBG_USE_HW_BP: the debugger's DR0-DR3 and DR7, in
	 * effect instead of the guest's while the debugger uses them
	 */
	unsigned long debug_db[4];
	unsigned long debug_dr7;
	bool guest_bp_enabled;		/* the DR7 in effect enables one */
	struct fpu_guest guest_fpu;

	struct vtx_pio pio;		/* [v] */
	/*
	 * [v] What the last exit to userspace left for the next KVM_RUN to
	 * finish (an IN's data, an MMIO read, RIP past an OUT or VMCALL), set
	 * when the exit is prepared; NULL: nothing.
	 */
	int (*complete_userspace_io)(struct vtx_vcpu *vcpu);
	struct vtx_emu emu;		/* [v] instruction behind KVM_EXIT_MMIO */
	u64 mmio_gpa;			/* [v] the EPT violation's address */
	bool mmio_linear_valid;		/* [v] ... with a guest-linear address */
	bool mmio_fault_write;		/* [v] ... for a write */
	/* [v] mmio.c's vm->srcu read section, held while it emulates */
	bool mmio_srcu_held;
	int mmio_srcu_idx;
	struct vtx_pending_event event;		/* [v] exception or re-injection */
	bool irq_pending;		/* [v] KVM_INTERRUPT queued */
	u8 irq_vector;			/* [v] */
	u8 nmi_pending;			/* [v] KVM_NMI queued */
	u32 sipi_vector;		/* [v] stored for VCPU_EVENTS only */
	/* [v] KVM_SET_GUEST_DEBUG's control, 0 without KVM_GUESTDBG_ENABLE */
	u32 guest_debug;
	u32 debug_bp_len;		/* [v] INT3 length at the last #BP exit */
	u64 singlestep_rip;		/* [v] linear RIP single stepping began */
	bool sigset_active;		/* [v] KVM_SET_SIGNAL_MASK */
	sigset_t sigset;		/* [v] blocked signals during KVM_RUN */

	struct kvm_cpuid_entry2 *cpuid;	/* [v] KVM_SET_CPUID2 table */
	u32 cpuid_nent;			/* [v] */
	/* [v] MAXPHYADDR of the table (x86/cpuid.c), 36 without one */
	u8 maxphyaddr;
	bool ran;			/* [v] KVM_RUN entered the guest */
	struct vtx_pv pv;		/* [v] kvmclock, steal time (x86/pv.h) */

	/*
	 * System Management Mode (x86/smm.c), all [v]: @smm selects the
	 * memslots and page tables of address space 1
	 */
	bool smm;			/* in SMM */
	bool smm_inside_nmi;		/* the SMI came while NMIs were blocked */
	bool smi_pending;		/* an SMI waits for delivery */
	u64 smbase;			/* MSR_IA32_SMBASE */

	/*
	 * Guest registers read often, cached from the last VM exit on; bit n
	 * of cached set means register n is valid (enum vtx_cache, filled
	 * by the backend's cache_reg()).  Cleared at each exit and when an
	 * ioctl writes the backend's state behind the accessors.
	 */
	u32 cached;			/* [v] */
	unsigned long c_rip, c_rflags;	/* [v] */
	unsigned long c_cr3;		/* [v] */
	unsigned long c_cpl;		/* [v] */

	u32 exit_reason;		/* [v] last exit, backend's numbering */
	int last_cpu;			/* [v] CPU of the last entry */

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
 * vtx_memslots() - the VM's current memslots of one address space.
 * @vm:		the VM; the caller is in an srcu_read_lock(&vm->srcu) section
 *		or holds vm->slots_lock
 * @as:		the address space, below VTX_ADDRESS_SPACES
 *
 * Return: the array, valid until the read section ends (or the lock is
 * dropped).
 */
static inline struct vtx_memslots *vtx_memslots(struct vtx_vm *vm, int as)
{
	return srcu_dereference_check(vm->memslots[as], &vm->srcu,
				      lockdep_is_held(&vm->slots_lock));
}

/* The address space whose memslots @vcpu sees: 1 in SMM, else 0. */
static inline int vtx_vcpu_as(const struct vtx_vcpu *vcpu)
{
	return vcpu->smm ? VTX_SMM_ADDRESS_SPACE : 0;
}

/* vm.c */
int vtx_create_vm(unsigned long type);
void vtx_vm_put(struct vtx_vm *vm);
struct vtx_memslot *vtx_find_slot(struct vtx_vm *vm, int as, u64 gfn);
bool vtx_gpa_is_ram(struct vtx_vm *vm, int as, u64 gpa);
/* Address space 0, what the VM's devices (kvmclock, vAPIC) use. */
int vtx_read_guest_phys(struct vtx_vm *vm, u64 gpa, void *buf, size_t len);
int vtx_write_guest_phys(struct vtx_vm *vm, u64 gpa, const void *buf,
			 size_t len);
/* What the vCPU sees (vtx_vcpu_as()). */
int vtx_vcpu_read_guest_phys(struct vtx_vcpu *vcpu, u64 gpa, void *buf,
			     size_t len);
int vtx_vcpu_write_guest_phys(struct vtx_vcpu *vcpu, u64 gpa,
			      const void *buf, size_t len);
/* For a caller in an srcu_read_lock(&vm->srcu) section, address space @as. */
bool __vtx_gpa_is_ram(struct vtx_vm *vm, int as, u64 gpa);
int __vtx_read_guest_phys(struct vtx_vm *vm, int as, u64 gpa, void *buf,
			  size_t len);
int __vtx_write_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   const void *buf, size_t len);
int __vtx_read_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			 u64 *val);
int __vtx_update_guest_pte(struct vtx_vm *vm, int as, u64 gpa, bool wide,
			   u64 old, u64 bits);
int __vtx_cmpxchg_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			     unsigned int len, u64 old, u64 new);
int __vtx_store_guest_phys(struct vtx_vm *vm, int as, u64 gpa,
			   unsigned int len, u64 val);

/*
 * vCPU requests: work for the vCPU's own thread, done before its next
 * entry into the guest (x86.c, vcpu_run()).  Anyone may make one, then
 * kick the vCPU (vtx_vcpu_kick()) so that a vCPU in the guest leaves it
 * to look: the entry path checks for requests with interrupts off after
 * announcing IN_GUEST_MODE, so a request is never left waiting for the
 * next exit.
 */
enum vtx_request {
	VTX_REQ_TLB_FLUSH,	/* drop the vCPU's guest translations */
	VTX_REQ_TRIPLE_FAULT,	/* shut down: KVM_EXIT_SHUTDOWN */
	VTX_REQ_VM_DEAD,	/* the VM is dead: KVM_RUN fails with EIO */
	VTX_REQ_EVENT,		/* look at the APIC: interrupt, timer, INIT */
	VTX_REQ_NMI,		/* an NMI arrived (APIC delivery) */
	VTX_REQ_IOAPIC_EOI_EXIT, /* split irqchip: KVM_EXIT_IOAPIC_EOI */
	VTX_REQ_SCAN_IOAPIC,	/* routing changed: which EOIs exit */
	VTX_REQ_REPORT_TPR_ACCESS, /* KVM_EXIT_TPR_ACCESS */
	VTX_REQ_DEBUG_STEP,	/* vtx completed a single-stepped instruction */
	VTX_REQ_CLOCK_UPDATE,	/* write the guest's kvmclock (x86/pv.c) */
	VTX_REQ_STEAL_UPDATE,	/* write the guest's steal time (x86/pv.c) */
	VTX_REQ_MSR_FILTER_CHANGED, /* KVM_X86_SET_MSR_FILTER: MSR bitmap */
	VTX_REQ_SMI,		/* an SMI arrived (KVM_SMI, APIC delivery) */
	VTX_NR_REQUESTS
};

/* Where a vCPU's thread is, as vtx_vcpu_kick() sees it. */
enum vtx_vcpu_mode {
	VTX_OUTSIDE_GUEST_MODE,
	VTX_IN_GUEST_MODE,	/* between the entry check and the exit */
	VTX_EXITING_GUEST_MODE,	/* kicked: an IPI is on its way */
};

/**
 * vtx_make_request() - ask the vCPU's thread to do @req before it next
 * enters the guest.
 * @req:	enum vtx_request
 * @vcpu:	the vCPU
 *
 * What the request needs must be written before: the bit is set with
 * release semantics and vtx_check_request() reads it with acquire.
 */
static inline void vtx_make_request(int req, struct vtx_vcpu *vcpu)
{
	/* the request's data before the bit; vtx_check_request() pairs */
	smp_mb__before_atomic();
	set_bit(req, &vcpu->requests);
}

/* Any request pending? (The entry path, interrupts off.) */
static inline bool vtx_request_pending(struct vtx_vcpu *vcpu)
{
	return READ_ONCE(vcpu->requests);
}

/**
 * vtx_check_request() - take @req if it is pending.
 * @req:	enum vtx_request
 * @vcpu:	the vCPU, by its own thread
 *
 * Return: true if @req was pending (it is cleared).
 */
static inline bool vtx_check_request(int req, struct vtx_vcpu *vcpu)
{
	if (!test_bit(req, &vcpu->requests))
		return false;
	clear_bit(req, &vcpu->requests);
	/* the request's data after the bit, as vtx_make_request() ordered */
	smp_mb__after_atomic();
	return true;
}

/* vcpu.c */
void vtx_vcpu_kick(struct vtx_vcpu *vcpu);
void vtx_make_all_vcpus_request(struct vtx_vm *vm, int req);
void vtx_vm_dead(struct vtx_vm *vm);
int vtx_create_vcpu(struct vtx_vm *vm, unsigned long id);
void vtx_vcpu_free(struct vtx_vcpu *vcpu);

/* netlink.c */
int vtx_netlink_init(void);
void vtx_netlink_exit(void);
void vtx_nl_event(struct vtx_vm *vm, u32 event, int vcpu_id, u32 reason);

/* ioeventfd.c */
long vtx_ioctl_ioeventfd(struct vtx_vm *vm, struct kvm_ioeventfd __user *argp);
bool vtx_ioeventfd_signal(struct vtx_vm *vm, bool pio, u64 addr, u32 len,
			  u64 val);
void vtx_ioeventfd_release(struct vtx_vm *vm);

/* stats.c */
int vtx_vm_stats_fd(struct vtx_vm *vm);
int vtx_vcpu_stats_fd(struct vtx_vcpu *vcpu);

/* coalesced.c */
long vtx_ioctl_coalesced_mmio(struct vtx_vm *vm, unsigned int ioctl,
			      void __user *argp);
bool vtx_coalesced_write(struct vtx_vm *vm, bool pio, u64 addr, u32 len,
			 u64 val);
int vtx_coalesced_vm_init(struct vtx_vm *vm);
void vtx_coalesced_vm_destroy(struct vtx_vm *vm);

/**
 * vtx_io_bus_write() - a guest write to a device that the kernel may take
 * without an exit: an ioeventfd, else a coalesced zone.
 * @vm:		the VM
 * @pio:	a port write rather than MMIO
 * @addr:	port or guest-physical address
 * @len:	access size
 * @val:	the value written
 *
 * Return: true when taken (the guest continues), false for an exit.
 */
static inline bool vtx_io_bus_write(struct vtx_vm *vm, bool pio, u64 addr,
				    u32 len, u64 val)
{
	return vtx_ioeventfd_signal(vm, pio, addr, len, val) ||
	       vtx_coalesced_write(vm, pio, addr, len, val);
}

/* irqfd.c */
int vtx_irqfd_init(void);
void vtx_irqfd_exit(void);
void vtx_irqfd_vm_init(struct vtx_vm *vm);
long vtx_ioctl_irqfd(struct vtx_vm *vm, struct kvm_irqfd __user *argp);
void vtx_irqfd_release(struct vtx_vm *vm);
void vtx_irqfd_routing_update(struct vtx_vm *vm);

/* main.c */
long vtx_check_extension(unsigned long cap);
extern struct mutex vtx_vms_lock;
extern struct list_head vtx_vms;

/**
 * vtx_account_exit() - count one VM exit (called by the backend).
 * @vcpu:	the vCPU, its exit_reason set
 * @t_entry:	TSC just before the entry
 * @t_exit:	TSC just after the exit
 */
static inline void vtx_account_exit(struct vtx_vcpu *vcpu, u64 t_entry, u64 t_exit)
{
	/* plain per-vCPU counters, no locks or atomics */
	struct vtx_vcpu_stats *s = &vcpu->stats;
	u16 basic = (u16)vcpu->exit_reason;

	s->exits++;
	s->guest_tsc += t_exit - t_entry;
	if (vcpu->exit_tsc) {
		u64 lat = t_entry - vcpu->exit_tsc;

		s->host_tsc += lat;
		s->latency[min_t(unsigned int, lat ? ilog2(lat) : 0,
				 VTX_NR_LAT_BUCKETS - 1)]++;
	}
	vcpu->exit_tsc = t_exit;
	s->reason[min_t(u16, basic, VTX_NR_EXIT_REASONS - 1)]++;
}

/**
 * vtx_sigset_activate() - block KVM_SET_SIGNAL_MASK's signals for KVM_RUN.
 * @vcpu:	the running vCPU
 */
static inline void vtx_sigset_activate(struct vtx_vcpu *vcpu)
{
	if (vcpu->sigset_active)
		sigprocmask(SIG_SETMASK, &vcpu->sigset, &current->real_blocked);
}

/**
 * vtx_sigset_deactivate() - the thread's own mask again, after KVM_RUN.
 * @vcpu:	the vCPU
 */
static inline void vtx_sigset_deactivate(struct vtx_vcpu *vcpu)
{
	if (vcpu->sigset_active) {
		sigprocmask(SIG_SETMASK, &current->real_blocked, NULL);
		sigemptyset(&current->real_blocked);
	}
}

/*
 * What vtx allocates per VM, counted so that a test can prove that all of
 * it went away (read-only module parameters "allocs" and "allocs_detail",
 * main.c).  Module-wide objects made at load time are not counted.
 */
enum vtx_alloc_kind {
	VTX_ALLOC_VM,		/* struct vtx_vm */
	VTX_ALLOC_VCPU,		/* struct vtx_vcpu + kvm_run + PIO page + FPU */
	VTX_ALLOC_VMCS,		/* VMCS pages, APICv's pages, MSR bitmaps */
	VTX_ALLOC_EPT,		/* EPT table pages (in use or preallocated) */
	VTX_ALLOC_BITMAP,	/* dirty bitmaps and snapshots, MSR filters */
	VTX_ALLOC_CPUID,	/* CPUID tables */
	VTX_ALLOC_IOEVENTFD,	/* ioeventfd entries */
	VTX_ALLOC_PIN,		/* guest pages referenced by get_user_pages */
	VTX_ALLOC_IRQ_ROUTING,	/* GSI routing tables and their entries */
	VTX_ALLOC_IRQFD,	/* irqfds and their resamplers */
	VTX_ALLOC_PIT,		/* KVM_CREATE_PIT2's PIT */
	VTX_ALLOC_COALESCED,	/* coalesced MMIO ring pages and zones */
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
