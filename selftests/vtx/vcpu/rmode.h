/* SPDX-License-Identifier: GPL-2.0 */
/* What rmode_guest.S and rmode_test.c agree on */
#ifndef VTX_VCPU_RMODE_H
#define VTX_VCPU_RMODE_H

#include "vcpu.h"

#define RM_VEC_SOFT		0x40	/* INT n's vector */
#define RM_VEC_IRQ		0x30	/* KVM_INTERRUPT's vector */
#define RM_VEC_DE		0
#define RM_VEC_UD		6
#define RM_VEC_GP		13
#define RM_IVT_ENTRY		4	/* offset, segment: 16 bits each */
/* MOV EBX, CR0 (0F 20 C3) at CS:FFFE: its ModRM is past CS's limit */
#define RM_LIMIT_CS		0x1000
#define RM_LIMIT_IP		0xfffe

/* The GDT of the PE round trip: 16-bit code and data, base 0, 64 KiB. */
#define RM_SEL_CODE16		0x08
#define RM_SEL_DATA16		0x10

/*
 * The GDT of big real mode and of the high CS: RM_SEL_CODE16 and
 * RM_SEL_DATA16 as above, a flat 4 GiB data segment, and 16-bit code at
 * base RM_HI_BASE (1 MiB), where the test copies the blob again.
 */
#define RM_SEL_FLAT		0x18
#define RM_SEL_CODEHI		0x20
#define RM_HI_BASE		0x100000
/* big real mode's data, above 1 MiB: a dword, the next one incremented */
#define RM_BIG_GPA		0x150000
/* where the high copy stores SGDT, SIDT, SMSW m16, SMSW r16 (8 apart) */
#define RM_SDT_GPA		0xc100
/* a dword in the blob: the low copy's, the high copy's (test-patched) */
#define RM_MARKER_LOW		0x10101010
#define RM_MARKER_HIGH		0x20202020

#define RM_FLAGS_IF		0x200
#define RM_FLAGS_IOPL		0x3000
#define RM_FLAGS_VM		0x20000
/* what the guest's POPFD tries: VM, IOPL 3, IF, bit 1 */
#define RM_FLAGS_HOSTILE	0x23202

#endif
