/* SPDX-License-Identifier: GPL-2.0 */
/* Host build of module/x86/walk.c: all it needs is in x86/x86.h here. */
