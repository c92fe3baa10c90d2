// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - MMIO: an EPT violation outside guest RAM (or a write to a
 * read-only memslot) is an access to a device that userspace emulates.
 *
 * The faulting instruction is fetched from guest memory, decoded by the
 * emulator (emulate.c), and the one access it makes goes to userspace as
 * KVM_EXIT_MMIO.  A read completes on the next KVM_RUN with the data
 * userspace left in kvm_run; a read-modify-write instruction makes a second
 * exit for its write.  An instruction the emulator does not know becomes
 * KVM_EXIT_INTERNAL_ERROR / KVM_INTERNAL_ERROR_EMULATION with its bytes,
 * never a guess.
 */
#define pr_fmt(fmt) "vtx: " fmt

#include <linux/mm.h>
#include <asm/desc.h>
#include <asm/trapnr.h>
#include "x86/x86.h"
#include "x86/irqchip.h"
#include "x86/mmu/shadow.h"

/*
 * One srcu_read_lock(&vm->srcu) section (the memslots' read side) covers
 * all the guest-memory accesses that mmio.c makes from one entry: at an
 * exit, the backend's section of the fault (vtx_handle_mmio()); at a step
 * at the next KVM_RUN, one taken at the first access and dropped by
 * mmio_srcu_release() on the way out, none at all when the step touches
 * no guest memory (the completion of a plain MOV from a device).  The
 * walks, fetches and copies use the __ variants of the accessors, which
 * take no section of their own.
 */
static void mmio_srcu_hold(struct vtx_vcpu *vcpu)
{
	if (!vcpu->mmio_srcu_held) {
		vcpu->mmio_srcu_idx = srcu_read_lock(&vcpu->vm->srcu);
		vcpu->mmio_srcu_held = true;
	}
}

static int mmio_srcu_release(struct vtx_vcpu *vcpu, int r)
{
	if (vcpu->mmio_srcu_held) {
		vcpu->mmio_srcu_held = false;
		srcu_read_unlock(&vcpu->vm->srcu, vcpu->mmio_srcu_idx);
	}
	return r;
}

static bool mem_gpa_is_ram(struct vtx_vcpu *vcpu, u64 gpa)
{
	mmio_srcu_hold(vcpu);
	return __vtx_gpa_is_ram(vcpu->vm, vtx_vcpu_as(vcpu), gpa);
}

static int mem_read_guest_phys(struct vtx_vcpu *vcpu, u64 gpa, void *buf,
			       size_t len)
{
	mmio_srcu_hold(vcpu);
	return __vtx_read_guest_phys(vcpu->vm, vtx_vcpu_as(vcpu), gpa, buf,
				     len);
}

static int mem_write_guest_phys(struct vtx_vcpu *vcpu, u64 gpa,
				const void *buf, size_t len)
{
	mmio_srcu_hold(vcpu);
	return __vtx_write_guest_phys(vcpu->vm, vtx_vcpu_as(vcpu), gpa, buf,
				      len);
}

static int mem_guest_virt_copy(struct vtx_vcpu *vcpu, u64 gva, void *buf,
			       unsigned int len, bool write)
{
	mmio_srcu_hold(vcpu);
	return __vtx_guest_virt_copy(vcpu, gva, buf, len, write);
}

static int mem_guest_virt_copy_quiet(struct vtx_vcpu *vcpu, u64 gva,
				     void *buf, unsigned int len)
{
	mmio_srcu_hold(vcpu);
	return __vtx_guest_virt_copy_quiet(vcpu, gva, buf, len);
}

/*
 * @linear does not translate for this access: the guest gets the #PF (with
 * CR2 and the error code of the walk), as from the processor, instead of
 * an exit.  Return: -EFAULT, or @r when it is not a guest page fault.
 */
static int emu_translate(struct vtx_vcpu *vcpu, u64 linear, bool write,
			 u64 *gpa)
{
	u32 pf_error;
	int r;

	mmio_srcu_hold(vcpu);
	r = __vtx_gva_to_gpa(vcpu, linear, write, gpa, &pf_error);
	if (r == -EAGAIN) {
		vcpu->cr2 = linear;
		vtx_queue_exception(vcpu, X86_TRAP_PF, true, pf_error);
	}
	return r ? -EFAULT : 0;
}

/*
 * Guest RAM on the other side of a MOVS or CMPS: through the guest's
 * paging.  A CMPS whose other side is a device too reads it in a second
 * KVM_EXIT_MMIO.
 */
/*
 * The other side, page by page: 0 when all of it is RAM, VTX_EMU_OPS_MMIO
 * when a part is a device (the emulator then makes it an access of its
 * own, split by mmio_access() into a RAM part and an exit, as KVM splits
 * it), -EFAULT with a #PF queued.
 */
static int other_side(struct vtx_vcpu *vcpu, u64 linear, unsigned int len,
		      bool write)
{
	unsigned int n = min_t(unsigned int, len,
			       PAGE_SIZE - offset_in_page(linear));
	u64 gpa;

	if (emu_translate(vcpu, linear, write, &gpa))
		return -EFAULT;
	if (!mem_gpa_is_ram(vcpu, gpa))
		return VTX_EMU_OPS_MMIO;
	if (n == len)
		return 0;
	if (emu_translate(vcpu, linear + n, write, &gpa))
		return -EFAULT;
	return mem_gpa_is_ram(vcpu, gpa) ? 0 : VTX_EMU_OPS_MMIO;
}

static int emu_read_mem(void *opaque, u64 linear, void *buf, unsigned int len)
{
	struct vtx_vcpu *vcpu = opaque;
	int r = other_side(vcpu, linear, len, false);

	if (r)
		return r;
	return mem_guest_virt_copy(vcpu, linear, buf, len, false) ? -EFAULT : 0;
}

static int emu_write_mem(void *opaque, u64 linear, const void *buf,
			 unsigned int len)
{
	struct vtx_vcpu *vcpu = opaque;
	int r = other_side(vcpu, linear, len, true);

	if (r)
		return r;
	return mem_guest_virt_copy(vcpu, linear, (void *)buf, len, true) ?
	       -EFAULT : 0;
}

static int emu_read_vec(void *opaque, unsigned int file, unsigned int reg,
			void *buf)
{
	return vtx_vec_access(opaque, file, reg, buf, false);
}

static int emu_write_vec(void *opaque, unsigned int file, unsigned int reg,
			 const void *buf)
{
	return vtx_vec_access(opaque, file, reg, (void *)buf, true);
}

/* The emulator numbers LDTR and TR as enum vtx_sreg (and KVM) do. */
static_assert(VTX_EMU_LDTR == VTX_SREG_LDTR && VTX_EMU_TR == VTX_SREG_TR);

/*
 * A segment register's limit and rights, for the emulator's checks, and
 * its selector (LDTR and TR too).
 */
static int emu_get_seg(void *opaque, unsigned int seg,
		       struct vtx_emu_segdesc *s)
{
	struct vtx_vcpu *vcpu = opaque;
	struct kvm_segment var;

	if (seg > VTX_EMU_TR)
		return -EINVAL;
	vtx_x86_ops.get_segment(vcpu, &var, seg);
	s->selector = var.selector;
	s->limit = var.limit;
	s->type = var.type;
	s->db = var.db;
	s->unusable = var.unusable || !var.present;
	return 0;
}

static const struct vtx_emu_ops vtx_emu_ops = {
	.read_mem = emu_read_mem,
	.write_mem = emu_write_mem,
	.read_vec = emu_read_vec,
	.write_vec = emu_write_vec,
	.get_seg = emu_get_seg,
};

static u8 code_mode(struct vtx_vcpu *vcpu, const struct vtx_emu_env *env)
{
	if (env->cs_l)
		return 64;
	if (!(vcpu->cr0 & X86_CR0_PE))
		return 16;
	return env->cs_db ? 32 : 16;
}

/* KVM's emulation-failure exit, with the instruction bytes. */
static int emulation_failure(struct vtx_vcpu *vcpu)
{
	struct kvm_run *run = vcpu->run;
	struct vtx_emu *e = &vcpu->emu;

	memset(&run->emulation_failure, 0, sizeof(run->emulation_failure));
	run->exit_reason = KVM_EXIT_INTERNAL_ERROR;
	run->emulation_failure.suberror = KVM_INTERNAL_ERROR_EMULATION;
	run->emulation_failure.flags =
		KVM_INTERNAL_ERROR_EMULATION_FLAG_INSTRUCTION_BYTES;
	run->emulation_failure.insn_size = e->insn_len_avail;
	memcpy(run->emulation_failure.insn_bytes, e->insn, e->insn_len_avail);
	/* suberror+ndata, flags, insn_size+insn_bytes: 3 u64s of data. */
	run->emulation_failure.ndata = 3;
	vcpu->complete_userspace_io = NULL;
	pr_debug_ratelimited("cannot emulate %*ph at rip 0x%llx\n",
			     e->insn_len_avail, e->insn, e->rip);
	return 0;
}

/*
 * The emulator stopped: a guest page fault on the other side of a MOVS or
 * CMPS (or on a second device access) was queued, or a CALL/JMP through
 * memory read a non-canonical target (#GP(0)), or in 64-bit code the
 * other side of MOVS/CMPS or the stack of PUSH/POP/CALL m is
 * non-canonical (#GP(0), #SS(0) in the stack segment), or an SSE/MMX move or
 * CMPXCHG16B faults as the processor would (#UD, #NM, #GP(0) when
 * misaligned), or DIV/IDIV divides by 0 or overflows (#DE), or LMSW
 * (SMSW under CR4.UMIP) runs outside CPL 0 (#GP(0)), and is
 * delivered with the instruction not done, as by the
 * processor; else an emulation failure.
 */
static int fault_or_failure(struct vtx_vcpu *vcpu)
{
	if (vcpu->emu.gp_fault)
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
	else if (vcpu->emu.ss_fault)
		vtx_queue_exception(vcpu, X86_TRAP_SS, true, 0);
	else if (vcpu->emu.ud_fault)
		vtx_queue_exception(vcpu, X86_TRAP_UD, false, 0);
	else if (vcpu->emu.nm_fault)
		vtx_queue_exception(vcpu, X86_TRAP_NM, false, 0);
	else if (vcpu->emu.de_fault)
		vtx_queue_exception(vcpu, X86_TRAP_DE, false, 0);
	if (vcpu->event.valid) {
		vcpu->complete_userspace_io = NULL;
		return 1;
	}
	return emulation_failure(vcpu);
}

/**
 * commit() - make the completed instruction's register effects architectural.
 * @vcpu:	the loaded vCPU
 * @keep_rip:	leave RIP on the instruction
 *
 * A REP string instruction whose last element is an MMIO write keeps RIP
 * on the instruction, as KVM's emulator does at that exit: RCX is already
 * 0, so the guest executes the instruction once more as a no-op.
 */
static void commit(struct vtx_vcpu *vcpu, bool keep_rip)
{
	struct vtx_emu *e = &vcpu->emu;

	memcpy(vcpu->regs, e->gpr, sizeof(vcpu->regs));
	vtx_x86_ops.emu_writeback(vcpu, keep_rip ? vtx_rip(vcpu) : e->rip,
				  e->gpr[VTX_RSP], e->rflags);
}

static int mmio_access(struct vtx_vcpu *vcpu);
static int complete_mmio_read(struct vtx_vcpu *vcpu);
static int wide_access(struct vtx_vcpu *vcpu);
static int wide_continue_after_exit(struct vtx_vcpu *vcpu);

/* The steps at the next KVM_RUN, each an entry of its own. */
static int mmio_access_step(struct vtx_vcpu *vcpu)
{
	return mmio_srcu_release(vcpu, mmio_access(vcpu));
}

static int complete_mmio_read_step(struct vtx_vcpu *vcpu)
{
	return mmio_srcu_release(vcpu, complete_mmio_read(vcpu));
}

static int wide_continue_after_exit_step(struct vtx_vcpu *vcpu)
{
	return mmio_srcu_release(vcpu, wide_continue_after_exit(vcpu));
}

/* @gpa is in a memslot, read-only or not: memory, not a device. */
static bool gpa_in_slot(struct vtx_vcpu *vcpu, u64 gpa)
{
	u8 b;

	return !mem_read_guest_phys(vcpu, gpa, &b, 1);
}

/* A KVM_EXIT_MMIO of @len bytes at @gpa; for a write, @data. */
static void fill_mmio_exit(struct vtx_vcpu *vcpu, u64 gpa, unsigned int len,
			   bool write, u64 data)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = gpa;
	run->mmio.len = len;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, &data, len);
}

/*
 * The write of an instruction is out (or taken by an ioeventfd, @taken):
 * complete the instruction, as KVM does, before the exit.  Then the
 * second fragment of a split write, or the emulator's next access, is
 * done at the next KVM_RUN (vcpu->complete_userspace_io), or at once when nothing
 * exits.
 */
static int write_done(struct vtx_vcpu *vcpu, bool taken)
{
	struct vtx_emu *e = &vcpu->emu;
	int r;

	e->frag_done = 0;
	r = vtx_emu_complete(e, 0);
	if (r < 0)
		return fault_or_failure(vcpu);
	e->frag_more = r == 1;
	if (r == 0)
		commit(vcpu, e->rep && !taken);
	if (!e->frag_more && !e->frag_next) {
		vcpu->complete_userspace_io = NULL;
		return taken ? 1 : 0;
	}
	vcpu->complete_userspace_io = mmio_access_step;
	return taken ? mmio_access(vcpu) : 0;
}

/*
 * The second fragment of a write split at a page boundary (translated
 * before the first was done): RAM is written directly, a device gets its
 * own KVM_EXIT_MMIO, as KVM's emulator splits such an access.
 */
static int write_fragment(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	unsigned int n = e->frag_next;
	bool taken = true;

	e->frag_next = 0;
	if (mem_gpa_is_ram(vcpu, e->frag_gpa)) {
		if (mem_write_guest_phys(vcpu, e->frag_gpa, &e->frag_data,
					 n))
			return emulation_failure(vcpu);
	} else {
		taken = vtx_io_bus_write(vcpu->vm, false, e->frag_gpa, n,
					 e->frag_data);
		if (!taken)
			fill_mmio_exit(vcpu, e->frag_gpa, n, true,
				       e->frag_data);
	}
	if (!e->frag_more) {
		vcpu->complete_userspace_io = NULL;
		return taken ? 1 : 0;
	}
	vcpu->complete_userspace_io = mmio_access_step;
	return taken ? mmio_access(vcpu) : 0;
}

/*
 * The emulator completed a read's instruction (narrow or wide).  LMSW's
 * CR0 goes through the backend's checked CR0 write (MOV to CR0's and the
 * LMSW exit's), a far JMP/CALL's CS through vtx_load_far_jmp(), MOV
 * Sreg's and LxS's segment through vtx_load_data_segment(), before anything
 * else of the instruction is made architectural; a value refused there is
 * an exception, nothing done.
 */
static int read_finish(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	int r;

	if (e->cr0_write && vtx_x86_ops.write_cr0(vcpu, e->new_cr0)) {
		vtx_queue_exception(vcpu, X86_TRAP_GP, true, 0);
		vcpu->complete_userspace_io = NULL;
		return 1;
	}
	if (e->far_jmp) {
		r = vtx_load_far_jmp(vcpu, e->load_sel, e->rip, e->rflags,
				     e->far_call ? e : NULL);
		if (r == -EAGAIN)
			return fault_or_failure(vcpu);
		if (r < 0)
			return emulation_failure(vcpu);
		if (r) {
			vcpu->complete_userspace_io = NULL;
			return 1;
		}
	}
	if (e->seg_load) {
		if (e->load_seg == VTX_EMU_LDTR || e->load_seg == VTX_EMU_TR)
			r = vtx_load_ldtr_tr(vcpu, e->load_sel,
					     e->load_seg == VTX_EMU_TR);
		else
			r = vtx_load_data_segment(vcpu, e, e->load_seg,
						  e->load_sel);
		if (r < 0)
			return emulation_failure(vcpu);
		if (r) {
			vcpu->complete_userspace_io = NULL;
			return 1;
		}
	}
	commit(vcpu, false);
	/*
	 * MOV to SS (not LSS) blocks interrupts and #DB for one instruction.
	 * Not under the guest's TF: VM entry would then want a pending
	 * single-step trap, which the emulator does not deliver (nor does
	 * vtx after other emulated instructions).
	 */
	if (e->seg_load && e->mov_ss && !(e->rflags & X86_EFLAGS_TF))
		vtx_x86_ops.set_interrupt_shadow(vcpu, VTX_SHADOW_INT_MOV_SS);
	vcpu->complete_userspace_io = NULL;
	return 1;
}

/* A read fully gathered in frag_data: hand it to the emulator. */
static int read_done(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	u64 val = e->frag_data;
	int r;

	e->frag_done = 0;
	e->frag_data = 0;
	r = vtx_emu_complete(e, val);
	if (r < 0)
		return fault_or_failure(vcpu);
	if (r == 1)
		return mmio_access(vcpu);	/* the write of a read-modify-write */
	return read_finish(vcpu);
}

/*
 * Perform the emulator's current access.  A read goes to userspace and
 * the instruction completes on the next KVM_RUN.  A write completes the
 * instruction first, as KVM does: at the KVM_EXIT_MMIO of a write, RIP,
 * RFLAGS and the registers already show its effect.  A registered
 * ioeventfd takes a write without any exit.
 *
 * An access that crosses a page boundary is done in two fragments, one
 * per page, as KVM does: a RAM fragment is copied directly, each device
 * fragment is a KVM_EXIT_MMIO of its own (a read's fragments are gathered
 * in e->frag_data before the emulator sees the value).
 */
static int mmio_access(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	unsigned int n, left;
	u64 lin, gpa;
	bool taken;

	if (e->access_bytes > sizeof(u64))
		return wide_access(vcpu);
	if (e->frag_next)
		return write_fragment(vcpu);
again:
	lin = e->linear + e->frag_done;
	left = e->access_bytes - e->frag_done;
	n = min_t(unsigned int, left, PAGE_SIZE - offset_in_page(lin));
	/*
	 * The access that faulted: the exit gave its guest-physical address,
	 * after the processor's own page walk and permission checks for that
	 * access type.  Any other access (or fragment) is translated here.
	 */
	if (n == e->access_bytes && vcpu->mmio_linear_valid &&
	    e->linear == e->mmio_linear &&
	    (!e->is_write || vcpu->mmio_fault_write) &&
	    offset_in_page(e->linear) == offset_in_page(vcpu->mmio_gpa))
		gpa = vcpu->mmio_gpa;
	else if (emu_translate(vcpu, lin, e->is_write, &gpa))
		return fault_or_failure(vcpu);

	/* A fragment in RAM (or, for a read, ROM) is copied directly. */
	if (n < e->access_bytes && (e->is_write ?
				    mem_gpa_is_ram(vcpu, gpa) :
				    gpa_in_slot(vcpu, gpa))) {
		if (e->is_write ?
		    mem_write_guest_phys(vcpu, gpa,
					 (u8 *)&e->write_val + e->frag_done, n) :
		    mem_read_guest_phys(vcpu, gpa,
					(u8 *)&e->frag_data + e->frag_done, n))
			return emulation_failure(vcpu);
		e->frag_done += n;
		if (e->frag_done < e->access_bytes)
			goto again;
		return e->is_write ? write_done(vcpu, true) : read_done(vcpu);
	}
	if (!e->is_write) {
		/* The in-kernel APIC's page answers at once. */
		if (unlikely(vcpu->apic) &&
		    (vtx_apic_mmio_read(vcpu, gpa, n,
					(u8 *)&e->frag_data + e->frag_done) ||
		     vtx_irqchip_mmio_read(vcpu, gpa, n,
					   (u8 *)&e->frag_data +
					   e->frag_done))) {
			e->frag_done += n;
			if (e->frag_done < e->access_bytes)
				goto again;
			return read_done(vcpu);
		}
		fill_mmio_exit(vcpu, gpa, n, false, 0);
		e->frag_len = n;
		vcpu->complete_userspace_io = complete_mmio_read_step;
		return 0;
	}
	if (n < left) {
		/* split: translate the second fragment before anything */
		e->frag_linear = lin + n;
		if (emu_translate(vcpu, e->frag_linear, true, &e->frag_gpa))
			return fault_or_failure(vcpu);
		e->frag_next = left - n;
		e->frag_data = e->write_val >> (8 * (e->frag_done + n));
	}
	taken = (unlikely(vcpu->apic) &&
		 (vtx_apic_mmio_write(vcpu, gpa, n,
				      e->write_val >> (8 * e->frag_done)) ||
		  vtx_irqchip_mmio_write(vcpu, gpa, n,
					 e->write_val >> (8 * e->frag_done)))) ||
		vtx_io_bus_write(vcpu->vm, false, gpa, n,
				 e->write_val >> (8 * e->frag_done));
	if (!taken)
		fill_mmio_exit(vcpu, gpa, n, true,
			       e->write_val >> (8 * e->frag_done));
	return write_done(vcpu, taken);
}

/*
 * A 16-byte access (an SSE move, CMPXCHG16B), data in e->wide, done as
 * KVM does it: split at a page boundary, each part translated before any
 * is done; a part in RAM (or, for a read, ROM) is copied at once; a device
 * part goes to userspace in pieces of at most 8 bytes (kvm_run.mmio.data
 * is 8 bytes), one KVM_EXIT_MMIO each, in address order; for a write the
 * leading pieces an ioeventfd takes need no exit (KVM's vcpu_mmio_write()
 * stops offering them at the first one no in-kernel device takes).  A
 * write completes the instruction before its first exit, as for the
 * narrower writes.
 */
static unsigned int wide_part_len(const struct vtx_emu *e, unsigned int i)
{
	return i ? e->access_bytes - e->wide_split : e->wide_split;
}

/* The part @i: its gpa at *@gpa, or -EFAULT with a #PF queued (or not). */
static int wide_translate(struct vtx_vcpu *vcpu, unsigned int i, u64 *gpa)
{
	struct vtx_emu *e = &vcpu->emu;
	u64 lin = e->linear + (i ? e->wide_split : 0);

	/* the access that faulted: the exit told its guest-physical address */
	if (vcpu->mmio_linear_valid && lin == e->mmio_linear &&
	    (!e->is_write || vcpu->mmio_fault_write) &&
	    offset_in_page(lin) == offset_in_page(vcpu->mmio_gpa)) {
		*gpa = vcpu->mmio_gpa;
		return 0;
	}
	return emu_translate(vcpu, lin, e->is_write, gpa);
}

static int wide_continue(struct vtx_vcpu *vcpu);

/*
 * Start the access: translate its parts, copy those in RAM, and for a
 * write complete the instruction and hand the leading pieces to ioeventfds.
 */
static int wide_access(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	unsigned int i, n, off, p;
	u64 v;
	int r;

	e->wide_split = min_t(unsigned int, e->access_bytes,
			      PAGE_SIZE - offset_in_page(e->linear));
	for (i = 0; i < 2; i++) {
		e->wide_done[i] = 0;
		if (wide_part_len(e, i) &&
		    wide_translate(vcpu, i, &e->wide_gpa[i]))
			return fault_or_failure(vcpu);
	}
	if (e->is_write) {
		r = vtx_emu_complete(e, 0);
		if (r)	/* a write is the instruction's last access */
			return fault_or_failure(vcpu);
		commit(vcpu, false);
	}
	for (i = 0; i < 2; i++) {
		n = wide_part_len(e, i);
		off = i ? e->wide_split : 0;
		if (!n)
			continue;
		if (e->is_write ? mem_gpa_is_ram(vcpu, e->wide_gpa[i]) :
		    gpa_in_slot(vcpu, e->wide_gpa[i])) {
			if (e->is_write ?
			    mem_write_guest_phys(vcpu, e->wide_gpa[i],
						 e->wide + off, n) :
			    mem_read_guest_phys(vcpu, e->wide_gpa[i],
						e->wide + off, n))
				return emulation_failure(vcpu);
			e->wide_done[i] = n;
			continue;
		}
		/* leading pieces an ioeventfd or a coalesced zone takes */
		while (e->is_write && e->wide_done[i] < n) {
			p = min_t(unsigned int, n - e->wide_done[i],
				  sizeof(u64));
			v = 0;
			memcpy(&v, e->wide + off + e->wide_done[i], p);
			if (!vtx_io_bus_write(vcpu->vm, false,
					      e->wide_gpa[i] +
					      e->wide_done[i], p, v))
				break;
			e->wide_done[i] += p;
		}
	}
	return wide_continue(vcpu);
}

/*
 * The next device piece goes out as a KVM_EXIT_MMIO (0), or the access is
 * complete: a read's data goes to the emulator, which may ask for the
 * write of CMPXCHG16B; 1 to re-enter the guest.
 */
static int wide_continue(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	unsigned int i, n, off;
	u64 v = 0;
	int r;

	for (i = 0; i < 2; i++) {
		n = wide_part_len(e, i);
		if (e->wide_done[i] >= n)
			continue;
		off = (i ? e->wide_split : 0) + e->wide_done[i];
		n = min_t(unsigned int, n - e->wide_done[i], sizeof(u64));
		if (e->is_write)
			memcpy(&v, e->wide + off, n);
		fill_mmio_exit(vcpu, e->wide_gpa[i] + e->wide_done[i], n,
			       e->is_write, v);
		e->frag_len = n;
		vcpu->complete_userspace_io = wide_continue_after_exit_step;
		return 0;
	}
	vcpu->complete_userspace_io = NULL;
	if (e->is_write)
		return 1;
	r = vtx_emu_complete(e, 0);
	if (r < 0)
		return fault_or_failure(vcpu);
	if (r == 1)
		return wide_access(vcpu);	/* CMPXCHG16B's write */
	/* an SSE move, CMPXCHG16B, or a far pointer m16:64 */
	return read_finish(vcpu);
}

/* A piece's KVM_EXIT_MMIO is back: a read's data kept, then the next. */
static int wide_continue_after_exit(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	unsigned int i = e->wide_done[0] < wide_part_len(e, 0) ? 0 : 1;
	unsigned int off = (i ? e->wide_split : 0) + e->wide_done[i];

	if (!e->is_write)
		memcpy(e->wide + off, vcpu->run->mmio.data, e->frag_len);
	e->wide_done[i] += e->frag_len;
	return wide_continue(vcpu);
}

/* The CPUID features the emulator's decoder consults (VTX_EMU_FEAT_*). */
u8 vtx_emu_features(struct vtx_vcpu *vcpu)
{
	u8 f = 0;

	if (vtx_guest_cpuid_has(vcpu, X86_FEATURE_POPCNT))
		f |= VTX_EMU_FEAT_POPCNT;
	if (vtx_guest_cpuid_has(vcpu, X86_FEATURE_BMI1))
		f |= VTX_EMU_FEAT_BMI1;
	if (vtx_guest_cpuid_has(vcpu, X86_FEATURE_ABM))
		f |= VTX_EMU_FEAT_LZCNT;
	return f;
}

/*
 * The emulator's inputs for the instruction at CS:RIP, its access at
 * @linear (the faulting one) if @linear_valid; outputs and decode state
 * zeroed.
 */
static void emu_setup(struct vtx_vcpu *vcpu, u64 linear, bool linear_valid)
{
	struct vtx_emu *e = &vcpu->emu;
	struct vtx_emu_env env;

	BUILD_BUG_ON(ARRAY_SIZE(env.seg_base) != ARRAY_SIZE(e->seg_base));
	/* Every input is set below; the outputs and decode state start at 0. */
	memset((u8 *)e + offsetof(struct vtx_emu, len), 0,
	       sizeof(*e) - offsetof(struct vtx_emu, len));
	memcpy(e->gpr, vcpu->regs, sizeof(e->gpr));
	vtx_x86_ops.get_emu_env(vcpu, &env);
	e->gpr[VTX_RSP] = env.rsp;
	e->rip = env.rip;
	e->rflags = env.rflags;
	e->mode = code_mode(vcpu, &env);
	e->stack_bytes = env.ss_db ? 4 : 2;
	memcpy(e->seg_base, env.seg_base, sizeof(e->seg_base));
	e->mmio_linear = linear_valid ? linear : 0;
	/* CR0 as the guest reads it: TS is the guest's own, live in the VMCS */
	e->cr0 = vtx_x86_ops.get_cr0(vcpu);
	e->cr4 = vcpu->cr4;
	e->cpl = vtx_cpl(vcpu);
	e->features = vtx_emu_features(vcpu);
	e->ops = &vtx_emu_ops;
	e->opaque = vcpu;
}

/*
 * Fetch the instruction at CS:RIP (up to 15 bytes; the second page may be
 * absent).  Return: 0, 1 when the guest's #PF was queued, -EFAULT.
 */
static int emu_fetch(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;
	u64 cs_base;
	unsigned int n;
	int r;

	cs_base = e->mode == 64 ? 0 : e->seg_base[VTX_SREG_CS];
	n = min_t(unsigned int, VTX_EMU_MAX_INSN,
		  PAGE_SIZE - offset_in_page(cs_base + e->rip));
	mmio_srcu_hold(vcpu);
	r = __vtx_guest_virt_fetch(vcpu, cs_base + e->rip, e->insn, n);
	if (r == -EAGAIN)
		return 1;
	if (r)
		return -EFAULT;
	if (n < VTX_EMU_MAX_INSN &&
	    !mem_guest_virt_copy_quiet(vcpu, cs_base + e->rip + n, e->insn + n,
				       VTX_EMU_MAX_INSN - n))
		n = VTX_EMU_MAX_INSN;
	e->insn_len_avail = n;
	return 0;
}

static int handle_mmio(struct vtx_vcpu *vcpu, const struct vtx_mmio_fault *f)
{
	struct vtx_emu *e = &vcpu->emu;
	bool above;
	int r;

	emu_setup(vcpu, f->linear, f->linear_valid);
	/*
	 * An address from the vCPU's MAXPHYADDR up: the processor, which
	 * checks its own wider width, took a guest entry with reserved bits
	 * as a frame.  The emulator walks the access again instead of using
	 * the address, and its walk raises the #PF (RSVD) a processor of the
	 * vCPU's width raises (kvm_intel does so with allow_smaller_maxphyaddr
	 * only; without, it exits to userspace with the address).
	 */
	above = f->gpa & vtx_rsvd_gpa_bits(vcpu);
	/*
	 * The processor's own page walk (a paging structure outside RAM,
	 * or its A/D bits in a read-only slot) is no access of the
	 * instruction either: the emulator cannot redo it.
	 */
	if (f->page_walk && !above)
		return emulation_failure(vcpu);

	r = emu_fetch(vcpu);
	if (r > 0)
		return 1;
	if (r)
		return emulation_failure(vcpu);
	if (vtx_emu_decode(e))
		return fault_or_failure(vcpu);
	vcpu->mmio_gpa = f->gpa;
	vcpu->mmio_linear_valid = f->linear_valid && !above;
	vcpu->mmio_fault_write = f->write;
	return mmio_access(vcpu);
}

/**
 * vtx_handle_mmio() - emulate the instruction that touched a device.
 * @vcpu:	the loaded vCPU, after a guest-physical fault; in the
 *		srcu_read_lock(&vcpu->vm->srcu) section of the fault's handling
 * @f:		the fault, as the backend decoded it
 *
 * Return: 0 with kvm_run filled (KVM_EXIT_MMIO or an emulation failure),
 * 1 to re-enter when a guest exception was queued instead or an ioeventfd
 * took the write.
 */
int vtx_handle_mmio(struct vtx_vcpu *vcpu, const struct vtx_mmio_fault *f)
{
	int r;

	/* The caller's section: none of mmio.c's own. */
	vcpu->mmio_srcu_held = true;
	r = handle_mmio(vcpu, f);
	vcpu->mmio_srcu_held = false;
	return r;
}

/*
 * A KVM_EXIT_MMIO read is back with its data: continue the emulated
 * instruction (a further access may go out again).  A further access
 * after a write continues in mmio_access() itself.
 */
static int complete_mmio_read(struct vtx_vcpu *vcpu)
{
	struct vtx_emu *e = &vcpu->emu;

	memcpy((u8 *)&e->frag_data + e->frag_done, vcpu->run->mmio.data,
	       e->frag_len);
	e->frag_done += e->frag_len;
	if (e->frag_done < e->access_bytes)
		return mmio_access(vcpu);	/* the second fragment */
	return read_done(vcpu);
}

/*
 * The write of the instruction that faulted at @gva, to a guest table the
 * shadow MMU write-protects (vtx_emulate_table_write()).  Return: true
 * when done, executed again (a lost race) or a guest exception queued;
 * false when the caller lets the write through instead.
 */
static bool table_write(struct vtx_vcpu *vcpu, u64 gva)
{
	struct vtx_emu *e = &vcpu->emu;
	bool had_event = vcpu->event.valid, rmw = false;
	int as = vtx_vcpu_as(vcpu);
	u64 gpa, lin, old = 0, val;
	unsigned int n;
	int r;

	emu_setup(vcpu, gva, true);
	if (e->rflags & X86_EFLAGS_TF)
		return false;	/* the processor's single-step trap */
	r = emu_fetch(vcpu);
	if (r)
		return r > 0;
	if (vtx_emu_decode(e))
		/* the guest's #PF on the other side of a MOVS: delivered */
		return !had_event && vcpu->event.valid;
	lin = e->linear;
	n = e->access_bytes;
	if (n > sizeof(u64) || offset_in_page(lin) + n > PAGE_SIZE ||
	    (lin ^ gva) & PAGE_MASK)
		return false;
	/* the instruction writes this operand: translated for a write */
	if (emu_translate(vcpu, lin, true, &gpa))
		return !had_event && vcpu->event.valid;
	if (!e->is_write) {
		/* a read-modify-write: the read, then its locked write */
		if (mem_read_guest_phys(vcpu, gpa, &old, n))
			return false;
		rmw = true;
		r = vtx_emu_complete(e, old);
		if (r < 0)
			/* a #PF of its other access: delivered, as after decode */
			return !had_event && vcpu->event.valid;
		if (e->cr0_write || e->far_jmp || e->seg_load)
			return false;
		if (!r) {
			commit(vcpu, false);
			return true;
		}
		if (!e->is_write || e->linear != lin || e->access_bytes != n)
			return false;
	}
	val = e->write_val;
	if (vtx_emu_complete(e, 0))
		/* a further access (not a table write), or its #PF */
		return !had_event && vcpu->event.valid;
	mmio_srcu_hold(vcpu);
	if (rmw)
		r = __vtx_cmpxchg_guest_phys(vcpu->vm, as, gpa, n, old, val);
	else if (is_power_of_2(n) && !(gpa & (n - 1)))
		r = __vtx_store_guest_phys(vcpu->vm, as, gpa, n, val);
	else
		r = __vtx_write_guest_phys(vcpu->vm, as, gpa, &val, n);
	if (r < 0)
		return false;
	/* 1: another writer changed the bytes since the read; re-executed */
	if (!r)
		commit(vcpu, false);
	return true;
}

/**
 * vtx_emulate_table_write() - emulate a write to a guest page table that
 * shadow paging write-protects (KVM's RET_PF_EMULATE of a write-tracked
 * frame).
 * @vcpu:	the loaded vCPU, at its #PF exit; in the
 *		srcu_read_lock(&vcpu->vm->srcu) section of the fault's handling
 * @gva:	the faulting linear address (the guest's walk allows the write)
 *
 * The instruction is emulated against guest RAM: a plain write is one
 * store (__vtx_store_guest_phys()), never torn; a read-modify-write
 * (XCHG, CMPXCHG, CMPXCHG8B, a LOCK'ed ALU or bit operation) is written
 * with a compare-and-exchange of the value it read
 * (__vtx_cmpxchg_guest_phys()), atomic against other vCPUs and the
 * walker's accessed and dirty bits; when that value changed meanwhile,
 * nothing is made architectural and the guest executes the instruction
 * again (KVM's emulator restarts it so).  The write tells the shadow MMU
 * which guest entries changed (the format's track_write).  Only 1- to
 * 8-byte accesses within one page are emulated: anything else (a 16-byte
 * one, an instruction the emulator refuses, guest single-stepping) is
 * left to the caller, which lets the write through.
 *
 * Return: true when handled (done, executed again, or a guest exception
 * queued), false when the caller unprotects the table and retries.
 */
bool vtx_emulate_table_write(struct vtx_vcpu *vcpu, u64 gva)
{
	bool done;

	/* The caller's section: none of mmio.c's own. */
	vcpu->mmio_srcu_held = true;
	done = table_write(vcpu, gva);
	vcpu->mmio_srcu_held = false;
	return done;
}
