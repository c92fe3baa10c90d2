/* SPDX-License-Identifier: GPL-2.0 */
/*
 * Freestanding helpers for the vtxctl test guests (32- and 64-bit): port
 * I/O, the COM1 UART, QEMU's fw_cfg and isa-debug-exit.  Everything here
 * works the same under vtxctl and under QEMU.
 */
#ifndef VTXCTL_GUEST_H
#define VTXCTL_GUEST_H

typedef unsigned char u8;
typedef unsigned short u16;
typedef unsigned int u32;
typedef unsigned long long u64;
typedef unsigned long uptr;

#define COM1		0x3f8
#define EXIT_PORT	0xf4
#define FW_CFG_SEL	0x510
#define FW_CFG_DATA	0x511

#define FW_CFG_SIGNATURE	0x00
#define FW_CFG_ID		0x01
#define FW_CFG_RAM_SIZE		0x03
#define FW_CFG_NB_CPUS		0x05
#define FW_CFG_CMDLINE_SIZE	0x14
#define FW_CFG_CMDLINE_DATA	0x15

static inline void outb(u16 port, u8 v)
{
	asm volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline void outw(u16 port, u16 v)
{
	asm volatile("outw %0, %1" : : "a"(v), "Nd"(port));
}

static inline u8 inb(u16 port)
{
	u8 v;

	asm volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void putc_uart(char c);
void puts_uart(const char *s);
void put_dec(u64 v);
void put_hex(u64 v);
int getc_uart(void);			/* -1 if nothing waits */
void fw_cfg_select(u16 key);
void fw_cfg_read(void *buf, u32 len);
u64 fw_cfg_u64(u16 key, u32 len);
void guest_exit(u32 code) __attribute__((noreturn));
/* "exit=N" in @cmdline, else @def. */
u32 cmdline_exit_code(const char *cmdline, u32 def);
int has_word(const char *s, const char *word);
int fw_cfg_check(u64 *ram, u32 *cpus);	/* 0: signature "QEMU" found */

#endif
