// SPDX-License-Identifier: GPL-2.0
/*
 * Freestanding helpers for the vtxctl test guests; see guest.h.
 */
#include "guest.h"

void putc_uart(char c)
{
	while (!(inb(COM1 + 5) & 0x20))	/* LSR.THRE */
		;
	outb(COM1, c);
}

void puts_uart(const char *s)
{
	while (*s)
		putc_uart(*s++);
}

void put_dec(u64 v)
{
	char buf[24];
	int i = 0;

	do {
		buf[i++] = '0' + v % 10;
		v /= 10;
	} while (v);
	while (i)
		putc_uart(buf[--i]);
}

void put_hex(u64 v)
{
	int i, started = 0;

	puts_uart("0x");
	for (i = 60; i >= 0; i -= 4) {
		int d = (v >> i) & 0xf;

		if (d || started || !i) {
			putc_uart("0123456789abcdef"[d]);
			started = 1;
		}
	}
}

int getc_uart(void)
{
	if (!(inb(COM1 + 5) & 0x01))	/* LSR.DR */
		return -1;
	return inb(COM1);
}

void fw_cfg_select(u16 key)
{
	outw(FW_CFG_SEL, key);
}

void fw_cfg_read(void *buf, u32 len)
{
	u8 *p = buf;

	while (len--)
		*p++ = inb(FW_CFG_DATA);
}

u64 fw_cfg_u64(u16 key, u32 len)
{
	u8 b[8] = { 0 };
	u64 v = 0;
	int i;

	fw_cfg_select(key);
	fw_cfg_read(b, len);
	for (i = 7; i >= 0; i--)
		v = v << 8 | b[i];
	return v;
}

int fw_cfg_check(u64 *ram, u32 *cpus)
{
	char sig[5] = { 0 };

	fw_cfg_select(FW_CFG_SIGNATURE);
	fw_cfg_read(sig, 4);
	puts_uart("fw_cfg: signature \"");
	puts_uart(sig);
	puts_uart("\"");
	if (sig[0] != 'Q' || sig[1] != 'E' || sig[2] != 'M' || sig[3] != 'U') {
		puts_uart(" - not QEMU\n");
		return -1;
	}
	*cpus = fw_cfg_u64(FW_CFG_NB_CPUS, 2);
	*ram = fw_cfg_u64(FW_CFG_RAM_SIZE, 8);
	puts_uart(", id ");
	put_hex(fw_cfg_u64(FW_CFG_ID, 4));
	puts_uart(", cpus ");
	put_dec(*cpus);
	puts_uart(", ram ");
	put_dec(*ram >> 20);
	puts_uart(" MiB\n");
	return 0;
}

void guest_exit(u32 code)
{
	puts_uart("exit code ");
	put_dec(code);
	putc_uart('\n');
	outb(EXIT_PORT, code);
	for (;;)
		asm volatile("cli; hlt");
}

int has_word(const char *s, const char *word)
{
	while (*s) {
		const char *w = word, *p = s;

		while (*w && *p == *w) {
			p++;
			w++;
		}
		if (!*w && (*p == 0 || *p == ' ' || *p == '='))
			return 1;
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	return 0;
}

u32 cmdline_exit_code(const char *s, u32 def)
{
	while (*s) {
		if (s[0] == 'e' && s[1] == 'x' && s[2] == 'i' && s[3] == 't' && s[4] == '=') {
			u32 v = 0;

			for (s += 5; *s >= '0' && *s <= '9'; s++)
				v = v * 10 + (*s - '0');
			return v;
		}
		while (*s && *s != ' ')
			s++;
		while (*s == ' ')
			s++;
	}
	return def;
}
