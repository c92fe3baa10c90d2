/* SPDX-License-Identifier: GPL-2.0 */
/* What irq_guest.S and irq_test.c agree on */
#ifndef VTX_VCPU_IRQ_H
#define VTX_VCPU_IRQ_H

#define IRQ_VEC			0x30	/* KVM_INTERRUPT's vector */
#define IRQ_VEC2		0x32	/* the one KVM_SET_VCPU_EVENTS queues */
#define IRQ_COUNT(v)		(EXC_COUNT_GPA + 4 * (v))
#define SHORT_SPIN		2000	/* a bounded loop with IF = 0 */

#endif
