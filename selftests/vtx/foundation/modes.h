/* SPDX-License-Identifier: GPL-2.0 */
/*
 * What modes_guest.S and modes_test.c agree on: ports, values, buffers and
 * the checkpoint numbers of the I/O program.
 */
#ifndef VTX_MODES_H
#define VTX_MODES_H

#include "vtx.h"

/* Computation */
#define SUMSQ_N			1000		/* sum of i*i, i = 1..N */
#define FIB_N			40		/* fib(40) = 102334155 */

/* Single port I/O */
#define PORT_OUTB		0x80		/* imm8 form */
#define PORT_OUTW		0x1234		/* DX form */
#define PORT_OUTL		0x1238
#define PORT_INB		0x81		/* imm8 form */
#define PORT_INW		0x1236		/* DX form */
#define PORT_INL		0x123a
#define VAL_OUTB		0x5a
#define VAL_OUTW		0xbeef
#define VAL_OUTL		0xdeadbeef
#define VAL_INB			0xa5
#define VAL_INW			0x1234
#define VAL_INL			0x89abcdef
/* EAX (RAX in long mode) before each IN: IN merges into it */
#define PRE_IN32		0x11223344
#define PRE_IN64		0x1122334455667788

/* String I/O, all on one port */
#define PORT_STR		0x1240
/* The host fills [SRC_GPA, SRC_GPA + SRC_SIZE) with a pattern */
#define SRC_GPA			VTX_DATA_GPA			/* 0xc000 */
#define SRC_SIZE		0x1000
/* INS destinations, zeroed by the host */
#define DST_GPA			(VTX_DATA_GPA + 0x1000)		/* 0xd000 */

/*
 * Real mode runs with CX as the count register: the high half of ECX must
 * survive REP.  The guest loads ECX = CX_HI_REAL | count in real mode.
 */
#define CX_HI_REAL		0xdead0000

/* The string steps: checkpoint n follows string operation n. */
#define STR_OUTSB		1	/* rep outsb, 37 bytes, SRC + 0x000 */
#define STR_OUTSW		2	/* rep outsw, 13 words, SRC + 0x100 */
#define STR_OUTSL		3	/* rep outsl,  9 dwords, SRC + 0x200 */
#define STR_INSB		4	/* rep insb, 37 bytes, DST + 0x000 */
#define STR_INSW		5	/* rep insw, 13 words, DST + 0x100 */
#define STR_INSL		6	/* rep insl,  9 dwords, DST + 0x200 */
#define STR_INSB_XPAGE		7	/* rep insb, 300 bytes across a page */
#define STR_INSB_LONG		8	/* rep insb, 3000 bytes */
#define STR_OUTSB_LONG		9	/* rep outsb, 2000 bytes */
#define STR_OUTSB_DOWN		10	/* std; rep outsb, 20 bytes */
#define STR_INSB_DOWN		11	/* std; rep insb, 20 bytes */
#define STR_NR			11

#define OUTSB_N		37
#define OUTSB_SRC	(SRC_GPA + 0x000)
#define OUTSW_N		13
#define OUTSW_SRC	(SRC_GPA + 0x100)
#define OUTSL_N		9
#define OUTSL_SRC	(SRC_GPA + 0x200)
#define INSB_N		37
#define INSB_DST	(DST_GPA + 0x000)
#define INSW_N		13
#define INSW_DST	(DST_GPA + 0x100)
#define INSL_N		9
#define INSL_DST	(DST_GPA + 0x200)
#define XPAGE_N		300
#define XPAGE_DST	(DST_GPA + 0x1000 - 50)		/* 0xdfce: 50 bytes before 0xe000 */
#define LONGIN_N	3000
#define LONGIN_DST	(DST_GPA + 0x1200)
#define LONGOUT_N	2000
#define LONGOUT_SRC	(SRC_GPA + 0x400)
#define DOWNOUT_N	20
#define DOWNOUT_SRC	(SRC_GPA + 0x31f)		/* last byte; goes down */
#define DOWNIN_N	20
#define DOWNIN_DST	(DST_GPA + 0x31f)

#endif /* VTX_MODES_H */
