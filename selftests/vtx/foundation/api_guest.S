/* SPDX-License-Identifier: GPL-2.0 */
/* Guests of api_test.c: two real-mode programs that tell apart which
 * memory backs the slot they run from. */
#include "vtx_guest.h"

#define API_PORT_A	0x10
#define API_PORT_B	0x20

GUEST_BEGIN api_guest_a, 16
	outb	%al, $API_PORT_A
	hlt
GUEST_END api_guest_a

GUEST_BEGIN api_guest_b, 16
	outb	%al, $API_PORT_B
	hlt
GUEST_END api_guest_b
