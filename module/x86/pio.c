// SPDX-License-Identifier: GPL-2.0
/*
 * vtx - port I/O: IN/OUT and INS/OUTS go to userspace as KVM_EXIT_IO (an
 * OUT to a port with an ioeventfd is signalled in the kernel instead, and
 * the ports of KVM_CREATE_PIT2's PIT are the PIT's), and
 * the next KVM_RUN completes the instruction with what userspace left in
 * the data page: the exit sets vcpu->complete_userspace_io to the step
 * that follows, as KVM does.  A string instruction whose memory operand is a device
 * moves one element at a time with an MMIO exit for it, as KVM does.
 */
#include <linux/mm.h>
#include "x86/x86.h"
#include "x86/pit_vm.h"
#include "x86/irqchip.h"

/* KVM_X86_QUIRK_OUT_7E_INC_RIP: the port whose OUT exits past itself. */
#define VTX_QUIRK_OUT_PORT	0x7e

static void fill_io_exit(struct vtx_vcpu *vcpu, u32 count)
{
	struct kvm_run *run = vcpu->run;

	run->exit_reason = KVM_EXIT_IO;
	run->io.direction = vcpu->pio.in ? KVM_EXIT_IO_IN : KVM_EXIT_IO_OUT;
	run->io.size = vcpu->pio.size;
	run->io.port = vcpu->pio.port;
	run->io.count = count;
	run->io.data_offset = VTX_PIO_PAGE_OFFSET * PAGE_SIZE;
}

/* One element of a string I/O instruction whose memory is a device. */
static void fill_str_mmio_exit(struct vtx_vcpu *vcpu, bool write)
{
	struct kvm_run *run = vcpu->run;
	struct vtx_pio *pio = &vcpu->pio;

	run->exit_reason = KVM_EXIT_MMIO;
	run->mmio.phys_addr = pio->mmio_gpa;
	run->mmio.len = pio->size;
	run->mmio.is_write = write;
	memset(run->mmio.data, 0, sizeof(run->mmio.data));
	if (write)
		memcpy(run->mmio.data, vcpu->pio_data, pio->size);
}

/*
 * Is the memory operand of a string I/O instruction outside RAM?  Then
 * it is done one element at a time with an MMIO exit for it, as KVM's
 * emulator does.  A linear address that does not translate is left to
 * vtx_guest_virt_copy(), which queues the #PF.
 */
static bool str_io_to_mmio(struct vtx_vcpu *vcpu, struct vtx_pio *pio)
{
	u32 pf_error;
	u64 gpa;

	if (vtx_gva_to_gpa(vcpu, pio->gva, pio->in, &gpa, &pf_error) ||
	    vtx_gpa_is_ram(vcpu->vm, vtx_vcpu_as(vcpu), gpa))
		return false;
	pio->mmio_gpa = gpa;
	return true;
}

/*
 * INS/OUTS of the elements in vcpu->pio_data, if the PIT of
 * KVM_CREATE_PIT2 takes them (KVM's emulator_pio_in_out() on the PIO
 * bus).  A VM without a PIT pays one pointer test.
 */
static bool pit_str_pio(struct vtx_vcpu *vcpu)
{
	/* Pairs with the release in pit_create(): a complete PIT. */
	struct vtx_vpit *pit = smp_load_acquire(&vcpu->vm->pit);
	struct vtx_pio *pio = &vcpu->pio;

	if (likely(!pit))
		return false;
	/* What the PIT leaves of an IN reads 0, as KVM's buffer. */
	if (pio->in)
		memset(vcpu->pio_data, 0, pio->count * pio->size);
	return vtx_pit_pio(pit, pio->in, pio->port, pio->size,
			   vcpu->pio_data, pio->count);
}

static u64 addr_mask(int bytes)
{
	return bytes == 8 ? ~0ull : (1ull << (bytes * 8)) - 1;
}

/* CS base + RIP, 32 bits wide outside 64-bit code (KVM's linear RIP). */
static u64 linear_rip(struct vtx_vcpu *vcpu)
{
	u64 lin = vtx_seg_base(vcpu, VTX_SREG_CS) + vtx_rip(vcpu);

	return vtx_in_64bit_code(vcpu) ? lin : (u32)lin;
}

/*
 * Userspace moved RIP (KVM_SET_REGS, KVM_SET_SREGS) during the exit: the
 * instruction is abandoned, neither RAX nor RIP changes, as KVM's
 * complete_fast_pio_in/out() do.
 */
static bool pio_abandoned(struct vtx_vcpu *vcpu)
{
	return linear_rip(vcpu) != vcpu->pio.linear_rip;
}

/* IN: the data userspace left goes into AL, AX or EAX. */
static int complete_pio_in(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	u64 val = 0;

	if (pio_abandoned(vcpu))
		return 1;
	memcpy(&val, vcpu->pio_data, pio->size);
	vtx_reg_write_sized(vcpu, VTX_RAX, val, pio->size);
	vtx_skip_instruction(vcpu, pio->insn_len);
	return 1;
}

/* OUT: nothing is left but RIP (0 after the 0x7e quirk). */
static int complete_pio_out(struct vtx_vcpu *vcpu)
{
	if (pio_abandoned(vcpu))
		return 1;
	vtx_skip_instruction(vcpu, vcpu->pio.insn_len);
	return 1;
}

/*
 * INS/OUTS, all their exits done: the memory side of an INS, then RSI or
 * RDI, RCX and RIP as the processor leaves them.
 */
static int complete_str_io_done(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	u64 mask = addr_mask(pio->addr_bytes), n = pio->count, delta;
	int r;

	/*
	 * Userspace may have lowered RCX during the exit (KVM's selftest
	 * userspace_io_test does): no more elements than RCX still counts
	 * land in memory, and RCX never wraps.
	 */
	if (pio->rep)
		n = min(n, vcpu->regs[VTX_RCX] & mask);
	if (pio->in && !pio->mmio && n) {
		r = vtx_guest_virt_copy(vcpu, pio->gva, vcpu->pio_data,
					n * pio->size, true);
		if (r == -EAGAIN)
			return 1;	/* #PF queued, instruction not done */
		if (r)
			return r;
	}
	delta = n * pio->size;
	if (pio->down)
		delta = -delta;
	if (pio->in)
		vtx_reg_write_sized(vcpu, VTX_RDI, vcpu->regs[VTX_RDI] + delta,
				    pio->addr_bytes);
	else
		vtx_reg_write_sized(vcpu, VTX_RSI, vcpu->regs[VTX_RSI] + delta,
				    pio->addr_bytes);
	if (pio->rep) {
		u64 left = (vcpu->regs[VTX_RCX] & mask) - n;

		vtx_reg_write_sized(vcpu, VTX_RCX, left, pio->addr_bytes);
		if (left)
			return 1;	/* re-execute for the rest */
	}
	vtx_skip_instruction(vcpu, pio->insn_len);
	return 1;
}

/* INS to a device: the port's element was taken, now it goes out. */
static int complete_str_io(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;

	if (pio->in && pio->mmio) {
		vcpu->complete_userspace_io = complete_str_io_done;
		fill_str_mmio_exit(vcpu, true);
		return 0;
	}
	return complete_str_io_done(vcpu);
}

/* OUTS from a device: the element came from the device, now the OUT. */
static int complete_str_mmio_read(struct vtx_vcpu *vcpu)
{
	memcpy(vcpu->pio_data, vcpu->run->mmio.data, vcpu->pio.size);
	if (pit_str_pio(vcpu))
		return complete_str_io(vcpu);
	vcpu->complete_userspace_io = complete_str_io;
	fill_io_exit(vcpu, 1);
	return 0;
}

/**
 * vtx_complete_hypercall() - KVM_EXIT_HYPERCALL done: RAX from
 * kvm_run.hypercall.ret, RIP past the VMCALL.
 * @vcpu:	the loaded vCPU, at the start of KVM_RUN
 *
 * Return: 1 to run the guest.
 */
int vtx_complete_hypercall(struct vtx_vcpu *vcpu)
{
	u64 ret = vcpu->run->hypercall.ret;

	vcpu->regs[VTX_RAX] = vtx_in_64bit_code(vcpu) ? ret : (u32)ret;
	vtx_skip_instruction(vcpu, vcpu->pio.insn_len);
	return 1;
}

/*
 * INS/OUTS, with or without REP.  Each exit moves at most a page of data
 * and stays within one guest page; the instruction is re-executed until
 * RCX reaches zero, so a long REP string takes several exits.
 */
static int handle_string_io(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	u64 mask = addr_mask(pio->addr_bytes), index, count, room;
	int r;

	if (pio->in)
		pio->seg = VTX_SREG_ES;
	pio->down = vtx_rflags(vcpu) & X86_EFLAGS_DF;
	count = pio->rep ? vcpu->regs[VTX_RCX] & mask : 1;
	if (!count) {
		vtx_skip_instruction(vcpu, pio->insn_len);
		return 1;
	}

	index = vcpu->regs[pio->in ? VTX_RDI : VTX_RSI] & mask;
	pio->gva = vtx_seg_base(vcpu, pio->seg) + index;
	if (!vtx_in_64bit_code(vcpu))
		pio->gva = (u32)pio->gva;

	/* Elements until the end (or start, DF=1) of the guest page. */
	if (pio->down)
		room = offset_in_page(pio->gva) / pio->size + 1;
	else
		room = (PAGE_SIZE - offset_in_page(pio->gva)) / pio->size;
	pio->count = min3(count, room ? room : 1,
			  (u64)(PAGE_SIZE / pio->size));
	if (pio->down && pio->count > 1) {
		/* Keep it simple: one element per exit going downwards. */
		pio->count = 1;
	}
	pio->mmio = str_io_to_mmio(vcpu, pio);
	if (pio->mmio) {
		pio->count = 1;
		if (!pio->in) {
			/* OUTS from a device: read the element first. */
			vcpu->complete_userspace_io = complete_str_mmio_read;
			fill_str_mmio_exit(vcpu, false);
			return 0;
		}
	} else if (!pio->in) {
		r = vtx_guest_virt_copy(vcpu, pio->gva, vcpu->pio_data,
					pio->count * pio->size, false);
		if (r)
			return r == -EAGAIN ? 1 : r;
	}
	if (pit_str_pio(vcpu))
		return complete_str_io(vcpu);
	vcpu->complete_userspace_io = complete_str_io;
	fill_io_exit(vcpu, pio->count);
	return 0;
}

/*
 * An IN or OUT the PIT of KVM_CREATE_PIT2 takes: done, RIP past it.  AL
 * and AX keep what the PIT leaves alone (its command port), EAX starts at
 * 0, as KVM's kvm_fast_pio_in().
 */
static bool pit_pio(struct vtx_vcpu *vcpu, struct vtx_vpit *pit)
{
	struct vtx_pio *pio = &vcpu->pio;
	u64 val = pio->in && pio->size == 4 ? 0 : vcpu->regs[VTX_RAX];

	if (!vtx_pit_pio(pit, pio->in, pio->port, pio->size, &val, 1))
		return false;
	if (pio->in)
		vtx_reg_write_sized(vcpu, VTX_RAX, val, pio->size);
	vtx_skip_instruction(vcpu, pio->insn_len);
	return true;
}

/*
 * An IN or OUT an in-kernel device takes (KVM's kernel_pio()): the PICs.
 * Return: true when done, RIP past it.
 */
static bool kernel_pio(struct vtx_vcpu *vcpu)
{
	struct vtx_pio *pio = &vcpu->pio;
	u32 val = pio->in ? 0 : (u32)vcpu->regs[VTX_RAX];

	if (!vtx_irqchip_pio(vcpu, pio->port, pio->size, pio->in, &val))
		return false;
	if (pio->in)
		vtx_reg_write_sized(vcpu, VTX_RAX, val, pio->size);
	vtx_skip_instruction(vcpu, pio->insn_len);
	return true;
}

/**
 * vtx_handle_pio() - an IN, OUT, INS or OUTS the guest executed.
 * @vcpu:	the loaded vCPU
 * @string:	INS/OUTS; vcpu->pio's addr_bytes and seg (OUTS) are set
 *
 * vcpu->pio holds the access as the backend decoded it: port, size,
 * direction, REP, instruction length.
 *
 * Return: 1 to re-enter (an ioeventfd or a coalesced zone took the OUT,
 * or a #PF was queued), 0 with KVM_EXIT_IO (or KVM_EXIT_MMIO) filled, or
 * an errno.
 */
int vtx_handle_pio(struct vtx_vcpu *vcpu, bool string)
{
	struct vtx_pio *pio = &vcpu->pio;
	struct vtx_vpit *pit;

	if (string)
		return handle_string_io(vcpu);
	/* KVM_CREATE_PIT2's PIT answers in the kernel (pairs as above). */
	pit = smp_load_acquire(&vcpu->vm->pit);
	if (unlikely(pit) && pit_pio(vcpu, pit))
		return 1;
	/* KVM_CREATE_IRQCHIP's PICs answer in the kernel. */
	if (unlikely(READ_ONCE(vcpu->vm->irqchip_mode) == VTX_IRQCHIP_KERNEL) &&
	    kernel_pio(vcpu))
		return 1;
	if (pio->in) {
		vcpu->complete_userspace_io = complete_pio_in;
	} else {
		/* an ioeventfd or a coalesced zone takes the OUT */
		if (vtx_io_bus_write(vcpu->vm, true, pio->port, pio->size,
				     vcpu->regs[VTX_RAX])) {
			vtx_skip_instruction(vcpu, pio->insn_len);
			return 1;
		}
		vcpu->complete_userspace_io = complete_pio_out;
		memcpy(vcpu->pio_data, &vcpu->regs[VTX_RAX], pio->size);
		/*
		 * KVM's default quirk KVM_X86_QUIRK_OUT_7E_INC_RIP: an OUT to
		 * port 0x7e reaches userspace with RIP already past it.
		 */
		if (pio->port == VTX_QUIRK_OUT_PORT) {
			vtx_skip_instruction(vcpu, pio->insn_len);
			pio->insn_len = 0;
		}
	}
	pio->linear_rip = linear_rip(vcpu);
	fill_io_exit(vcpu, 1);
	return 0;
}
