/* SPDX-License-Identifier: GPL-2.0 */
/* What exception_guest.S and exception_test.c agree on */
#ifndef VTX_VCPU_EXCEPTION_H
#define VTX_VCPU_EXCEPTION_H

#define BAD_SELECTOR		0x2b	/* GDT index 5: beyond the limit */
#define BAD_SELECTOR_ERR	0x28	/* its #GP error code */

/* 32-bit paging (PD32_GPA): 4 MiB pages, [0, 4M) RW, [4M, 8M) read-only
 * (an alias of [0, 4M)), nothing above */
#define RO_ADDR_32		0x00400010
#define NP_ADDR_32		0x00800123

/* long mode (the library's tables): [4M, 6M) made read-only by the host,
 * nothing at 1 GiB and above */
#define RO_ADDR_64		0x00400010
#define NP_ADDR_64		0x40000123
#define NONCANON_64		0x0000800000000000

#define PF_ERR_P		1
#define PF_ERR_W		2

#endif
