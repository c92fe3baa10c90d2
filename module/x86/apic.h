/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the in-kernel local APIC of a vCPU (x86/apic.c): the register
 * model of lapic.c wired to the guest (xAPIC page, x2APIC MSRs, CR8), to
 * the other vCPUs (IPIs, MSIs), to time (an hrtimer) and to the vCPU's
 * run loop (interrupt injection, HLT, INIT/SIPI).
 */
#ifndef VTX_X86_APIC_H
#define VTX_X86_APIC_H

#include <linux/hrtimer.h>
#include <linux/spinlock.h>
#include "x86/irq.h"
#include "x86/lapic.h"

struct vtx_vcpu;
struct vtx_vm;
struct kvm_lapic_state;
struct kvm_mp_state;

/*
 * Periodic and one-shot timers fire no more often than this, whatever the
 * guest programs (KVM's min_timer_period_us): a 1-cycle period must not
 * turn into an hrtimer storm on the host.
 */
#define VTX_APIC_MIN_PERIOD_NS	(200 * NSEC_PER_USEC)

/**
 * struct vtx_apic - a vCPU's local APIC in the kernel.
 * @lock:	protects the fields marked [a]; taken with interrupts off
 *		(deliveries come from hard interrupt context)
 * @regs:	[a] the register model (lapic.h)
 * @vcpu:	[c] its vCPU
 * @timer:	fires at the model's next deadline; its callback only sets
 *		@timer_fired and kicks the vCPU, whose thread expires the
 *		model's timer (vtx_apic_process_events())
 * @timer_fired: the hrtimer expired since the vCPU last looked
 * @init_pending: [a] an INIT arrived
 * @sipi_pending: [a] a SIPI arrived, with @sipi_vector
 * @sipi_vector: [a]
 * @mp_state:	[v] KVM_MP_STATE_*
 * @ext_vector:	[v] split irqchip: KVM_INTERRUPT's vector for LINT0, -1 none
 * @eoi_exit_vector: [v] split irqchip: the level-triggered vector whose EOI
 *		goes to userspace (KVM_EXIT_IOAPIC_EOI)
 * @ioapic_vectors: [v] the vectors whose EOI the IOAPIC must see
 *		(vtx_apic_scan_ioapic()): split irqchip, those that exit to
 *		userspace; KVM_CREATE_IRQCHIP's, for APICv's EOI-exit bitmap
 * @apicv:	[c] the backend virtualizes this APIC (vmx/apicv.c): the
 *		register page is copied to the processor's virtual-APIC page
 *		before each entry and IRR, ISR and TPR back after each exit
 * @apicv_irr:	[a] with @apicv: vectors other threads accepted since the
 *		last copy to the virtual-APIC page, which the guest cannot
 *		have taken yet (the backend keeps them in IRR at the exit)
 * @pv_unhalted: [o] a KVM_HC_KICK_CPU (delivery mode "remote read", as
 *		KVM uses it) arrived: the vCPU halted, or its next HLT, goes on
 *		(KVM's pv_unhalted); set under @lock, cleared by the vCPU's
 *		thread when it leaves HLT
 * @vapic_addr:	[v] KVM_SET_VAPIC_ADDR: guest-physical address of the
 *		TPR/ISR/IRR summary QEMU's vapic ROM reads, 0 for none
 */
struct vtx_apic {
	spinlock_t lock;	/* the [a] fields; innermost, irqs off */
	struct vtx_lapic regs;
	struct vtx_vcpu *vcpu;
	struct hrtimer timer;
	atomic_t timer_fired;
	bool init_pending;
	bool sipi_pending;
	u8 sipi_vector;
	u32 mp_state;
	int ext_vector;
	u8 eoi_exit_vector;
	DECLARE_BITMAP(ioapic_vectors, VTX_LAPIC_NR_VECTORS);
	u64 vapic_addr;
	bool pv_unhalted;
	bool apicv;
	DECLARE_BITMAP(apicv_irr, VTX_LAPIC_NR_VECTORS);
};

int vtx_apic_init(void);
void vtx_apic_exit(void);
int vtx_apic_vcpu_create(struct vtx_vcpu *vcpu);
void vtx_apic_reset(struct vtx_vcpu *vcpu, bool init_event);
void vtx_apic_vcpu_free(struct vtx_vcpu *vcpu);
void vtx_apic_update_cpuid(struct vtx_vcpu *vcpu);
void vtx_apic_update_mcg_cap(struct vtx_vcpu *vcpu);
void vtx_apic_local_deliver(struct vtx_vcpu *vcpu, u32 lvt);
int vtx_irqchip_enable_split(struct vtx_vm *vm, u64 nr_pins);

bool vtx_apic_mmio_read(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			void *data);
bool vtx_apic_mmio_write(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			 u64 data);
bool vtx_apic_msr(u32 index);
int vtx_apic_get_msr(struct vtx_vcpu *vcpu, u32 index, u64 *data);
int vtx_apic_set_msr(struct vtx_vcpu *vcpu, u32 index, u64 data, bool host);
u64 vtx_apic_base_reserved(struct vtx_vcpu *vcpu);
int vtx_apic_set_base(struct vtx_vcpu *vcpu, u64 base, bool host);
u8 vtx_apic_get_cr8(struct vtx_vcpu *vcpu);
void vtx_apic_set_cr8(struct vtx_vcpu *vcpu, u8 cr8);

int vtx_apic_has_interrupt(struct vtx_vcpu *vcpu);
int vtx_apic_deliver_msg(struct vtx_vm *vm, const struct vtx_lapic_ipi *msg);
void vtx_apic_scan_ioapic(struct vtx_vcpu *vcpu);
void vtx_apic_pv_kick(struct vtx_vm *vm, u32 apic_id);
long vtx_apic_pv_send_ipi(struct vtx_vm *vm, unsigned long low,
			  unsigned long high, u32 min, unsigned long icr,
			  bool op_64bit);
struct vtx_vcpu *vtx_apic_find_vcpu(struct vtx_vm *vm, u64 apic_id);
int vtx_apic_take_interrupt(struct vtx_vcpu *vcpu);
int vtx_apic_extint(struct vtx_vcpu *vcpu, bool take);
void vtx_apic_eoi_accelerated(struct vtx_vcpu *vcpu, u8 vector);
int vtx_apic_process_events(struct vtx_vcpu *vcpu);
bool vtx_apic_runnable(struct vtx_vcpu *vcpu);
int vtx_apic_block(struct vtx_vcpu *vcpu);
void vtx_apic_halt(struct vtx_vcpu *vcpu);
int vtx_apic_set_ext_interrupt(struct vtx_vcpu *vcpu, u8 vector);
bool vtx_apic_accepts_extint(struct vtx_vcpu *vcpu);

int vtx_apic_set_vapic_addr(struct vtx_vcpu *vcpu, u64 gpa);
void vtx_apic_sync_to_vapic(struct vtx_vcpu *vcpu);
void vtx_apic_sync_from_vapic(struct vtx_vcpu *vcpu);
int vtx_apic_get_lapic(struct vtx_vcpu *vcpu, struct kvm_lapic_state *s);
int vtx_apic_set_lapic(struct vtx_vcpu *vcpu, const struct kvm_lapic_state *s);
int vtx_apic_get_mp_state(struct vtx_vcpu *vcpu, struct kvm_mp_state *mp);
bool vtx_apic_latched_init(struct vtx_vcpu *vcpu);
void vtx_apic_set_latched_init(struct vtx_vcpu *vcpu, bool latched);
int vtx_apic_set_mp_state(struct vtx_vcpu *vcpu, const struct kvm_mp_state *mp);

#endif /* VTX_X86_APIC_H */
