// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550-style UART, transmit side only.
 *
 * A write to THR (offset 0, DLAB clear) goes to stdout.  LSR (offset 5)
 * always reads THRE | TEMT (0x60): the transmitter is always ready and no
 * byte is ever received.  LCR (offset 3) reads back what was written, so
 * the DLAB bit can be tracked and divisor-latch writes are not printed;
 * IIR (offset 2) reads 0x01, "no interrupt pending".  Other registers read
 * 0 and ignore writes.  No interrupts are raised.
 */
#include <stdio.h>
#include <string.h>

#include "vtxctl.h"

#define UART_THR	0
#define UART_IIR	2
#define UART_LCR	3
#define UART_LSR	5
#define UART_NR_REGS	8

#define UART_LCR_DLAB	0x80
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_IIR_NO_INT	0x01

static struct uart {
	uint8_t lcr;
	uint64_t tx_bytes;
} uart;

static void uart_read(struct io_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	uint8_t val = 0;

	(void)dev;
	switch (offset) {
	case UART_IIR:
		val = UART_IIR_NO_INT;
		break;
	case UART_LCR:
		val = uart.lcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT;
		break;
	}
	memset(data, 0, size);
	*(uint8_t *)data = val;
}

static void uart_write(struct io_dev *dev, uint64_t offset, const void *data, unsigned int size)
{
	uint8_t val = *(const uint8_t *)data;

	(void)dev;
	(void)size;
	switch (offset) {
	case UART_THR:
		if (uart.lcr & UART_LCR_DLAB)
			break;		/* divisor latch low byte */
		putchar(val);
		if (val == '\n')
			fflush(stdout);
		uart.tx_bytes++;
		break;
	case UART_LCR:
		uart.lcr = val;
		break;
	}
}

static struct io_dev uart_dev = {
	.name = "uart",
	.len = UART_NR_REGS,
	.read = uart_read,
	.write = uart_write,
};

int uart_init(uint16_t base)
{
	uart_dev.base = base;
	return io_register(IO_PIO, &uart_dev);
}

uint64_t uart_tx_bytes(void)
{
	return uart.tx_bytes;
}

void uart_flush(void)
{
	fflush(stdout);
}
