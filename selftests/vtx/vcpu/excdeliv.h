/* SPDX-License-Identifier: GPL-2.0 */
/* What excdeliv_guest.S and excdeliv_test.c agree on */
#ifndef VTX_VCPU_EXCDELIV_H
#define VTX_VCPU_EXCDELIV_H

#define XD_TF			0x100		/* RFLAGS.TF */
#define XD_RF			0x10000		/* RFLAGS.RF */
#define XD_DB_VECTOR		1

/* DR7: DR0 a 4-byte write breakpoint (L0, RW0 = 01, LEN0 = 11) */
#define XD_DR7_DATA		0x000d0001
/* DR7: DR1 an instruction breakpoint (L1, RW1 = 00, LEN1 = 00) */
#define XD_DR7_INSN		0x00000004
/* DR7: DR2 a 4-byte read/write breakpoint (L2, RW2 = 11, LEN2 = 11) */
#define XD_DR7_RW		0x0f000010
/* DR7: DR3 an instruction breakpoint (L3) */
#define XD_DR7_INSN3		0x00000040
#define XD_DATA2_GPA		0x20048		/* read by the DR2 case */
#define XD_DATA_GPA		0x20040		/* in SCRATCH_GPA */
/* no memslot there (RAM is [0, 2 MiB)), mapped by the guest: a device */
#define XD_MMIO_GPA		0x300000
#define XD_MMIO_BYTE		0x5a

/*
 * A read-only alias of RAM: PD entry XD_RO_PDE maps guest-linear
 * XD_RO_BASE to guest-physical 0 with a 2 MiB page that is not writable.
 */
#define XD_RO_PDE		2
#define XD_RO_BASE		0x400000
#define XD_RO_DATA		(XD_RO_BASE + XD_DATA_GPA)
#define XD_RO_BYTE		0xa5		/* what stays at XD_DATA_GPA */
#define XD_CR0_WP		0x10000
#define XD_PF_ERR_P_W		3		/* present, write */

/* DR6 as the processor leaves it: fixed-1 and active-low bits set */
#define XD_DR6_CLEAR		0xffff0ff0u
#define XD_DR6_B0		0x1
#define XD_DR6_B1		0x2
#define XD_DR6_B2		0x4
#define XD_DR6_B3		0x8
#define XD_DR6_BS		0x4000

#endif
