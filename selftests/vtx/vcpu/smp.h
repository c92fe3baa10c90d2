/* SPDX-License-Identifier: GPL-2.0 */
/* What smp_guest.S and smp_test.c agree on */
#ifndef VTX_VCPU_SMP_H
#define VTX_VCPU_SMP_H

#define SMP_PORT_OUT		0x50
#define SMP_PORT_IN		0x51
#define SMP_ITERS		200	/* OUT + IN pairs per vCPU */
#define MIGRATE_ITERS		400	/* KVM_RUNs, alternating CPUs */
#define MIG_KGS			0x1234000
#define MIG_LSTAR_HI		0xffff8000
#define MIG_LSTAR_LO		0x00abc000
#define LCG_MUL			6364136223846793005
#define LCG_ADD			1442695040888963407
#define LCG_SEED		0x9e3779b97f4a7c15

#endif
