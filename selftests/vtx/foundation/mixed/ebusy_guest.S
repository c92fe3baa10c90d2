/* SPDX-License-Identifier: GPL-2.0 */
/* Guest of ebusy_test.c: proves a VM still runs after the other driver
 * was refused. */
#include "vtx_guest.h"

GUEST_BEGIN ebusy_guest, 16
	mov	$0x1234, %ebx
	ucall	UCALL_DONE
	hlt
GUEST_END ebusy_guest
