/* SPDX-License-Identifier: GPL-2.0 */
/*
 * vtx - the few types and helpers the instruction emulator needs, from the
 * kernel when built in the module, from the C library when built into the
 * host-side unit test (selftests/emulator).
 */
#ifndef VTX_EMULATE_TYPES_H
#define VTX_EMULATE_TYPES_H

#ifdef __KERNEL__
#include <linux/types.h>
#include <linux/string.h>
#include <linux/errno.h>
#include <linux/kernel.h>
#else
#include <stdbool.h>
#include <stddef.h>
#include <string.h>
#include <errno.h>

typedef __UINT8_TYPE__ u8;
typedef __UINT16_TYPE__ u16;
typedef __UINT32_TYPE__ u32;
typedef __UINT64_TYPE__ u64;
typedef __INT8_TYPE__ s8;
typedef __INT16_TYPE__ s16;
typedef __INT32_TYPE__ s32;
typedef __INT64_TYPE__ s64;

#ifndef ARRAY_SIZE
#define ARRAY_SIZE(a)	(sizeof(a) / sizeof((a)[0]))
#endif
#define U16_MAX		((u16)~0U)
#define U32_MAX		((u32)~0U)
#endif

#endif /* VTX_EMULATE_TYPES_H */
