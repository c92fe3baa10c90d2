// SPDX-License-Identifier: GPL-2.0
/*
 * A 16550 UART (COM1, port 0x3f8).  Without an interrupt controller (the
 * IMAGE guests) it is polled; with the in-kernel irqchip (--kernel,
 * uart_connect_irq()) its interrupt output drives ISA line 4 through
 * KVM_IRQ_LINE: high while IIR has a cause to report, low otherwise, as
 * on a PC (the line is edge triggered there, so a THR write lowers it
 * and the next "THR empty" raises it again: one edge per byte sent).
 *
 *   offset  DLAB=0 read / write          DLAB=1
 *   0       RBR (receive) / THR (send)   DLL
 *   1       IER                          DLM
 *   2       IIR / FCR
 *   3       LCR
 *   4       MCR (bit 4: loopback)
 *   5       LSR: DR when a byte waits, THRE | TEMT always (the transmitter
 *           is never busy)
 *   6       MSR: DCD | DSR | CTS; in loopback, mirrors MCR
 *   7       SCR
 *
 * THR bytes go to stdout (in loopback, back into the receive FIFO).  The
 * receive FIFO is filled by run.c from stdin, when stdin is a terminal or a
 * pipe.  IIR reports, highest first, "received data available" (IER bit 0
 * and DR) and "THR empty" (IER bit 1, until IIR is read or THR written),
 * else 01H; bits 7:6 are set while FCR enabled the FIFOs.  A guest that
 * polls IIR as an interrupt handler would thus see the right cause.
 *
 * Every vCPU thread and the main thread (stdin) use it: one mutex,
 * uart.lock, protects all of struct uart.
 */
#include <pthread.h>
#include <string.h>

#include "vmm.h"

#define UART_RBR	0
#define UART_THR	0
#define UART_DLL	0
#define UART_IER	1
#define UART_DLM	1
#define UART_IIR	2
#define UART_FCR	2
#define UART_LCR	3
#define UART_MCR	4
#define UART_LSR	5
#define UART_MSR	6
#define UART_SCR	7
#define UART_NR_REGS	8

#define UART_IER_RDI	0x01
#define UART_IER_THRI	0x02
#define UART_IIR_NO_INT	0x01
#define UART_IIR_THRI	0x02
#define UART_IIR_RDI	0x04
#define UART_IIR_FIFO	0xc0
#define UART_FCR_ENABLE	0x01
#define UART_LCR_DLAB	0x80
#define UART_MCR_LOOP	0x10
#define UART_LSR_DR	0x01
#define UART_LSR_THRE	0x20
#define UART_LSR_TEMT	0x40
#define UART_MSR_CTS	0x10
#define UART_MSR_DSR	0x20
#define UART_MSR_RI	0x40
#define UART_MSR_DCD	0x80

#define RX_SIZE		4096

static struct uart {
	pthread_mutex_t lock;
	uint8_t ier, lcr, mcr, scr, dll, dlm;
	bool fifo_enabled;
	bool thri_pending;
	unsigned char rx[RX_SIZE];
	size_t rx_head, rx_len;
	uint64_t tx_bytes, rx_bytes;
	struct vm *irq_vm;		/* NULL: polled, no interrupt line */
	unsigned int irq;
	bool irq_level;			/* the line as last driven */
} uart = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void rx_put(unsigned char c)
{
	if (uart.rx_len == RX_SIZE)
		return;		/* overrun: dropped */
	uart.rx[(uart.rx_head + uart.rx_len) % RX_SIZE] = c;
	uart.rx_len++;
}

/* With uart.lock held: drive the interrupt line from the pending causes. */
static void uart_update_irq(void)
{
	bool level = ((uart.ier & UART_IER_RDI) && uart.rx_len) ||
		     ((uart.ier & UART_IER_THRI) && uart.thri_pending);

	if (!uart.irq_vm || level == uart.irq_level)
		return;
	uart.irq_level = level;
	vm_irq_line(uart.irq_vm, uart.irq, level);
}

static uint8_t uart_iir(void)
{
	uint8_t iir = uart.fifo_enabled ? UART_IIR_FIFO : 0;

	if ((uart.ier & UART_IER_RDI) && uart.rx_len)
		return iir | UART_IIR_RDI;
	if ((uart.ier & UART_IER_THRI) && uart.thri_pending) {
		uart.thri_pending = false;	/* reading IIR clears it */
		return iir | UART_IIR_THRI;
	}
	return iir | UART_IIR_NO_INT;
}

static uint8_t uart_msr(void)
{
	if (!(uart.mcr & UART_MCR_LOOP))
		return UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS;
	/* Loopback: DTR -> DSR, RTS -> CTS, OUT1 -> RI, OUT2 -> DCD. */
	return ((uart.mcr & 0x01) ? UART_MSR_DSR : 0) |
	       ((uart.mcr & 0x02) ? UART_MSR_CTS : 0) |
	       ((uart.mcr & 0x04) ? UART_MSR_RI : 0) |
	       ((uart.mcr & 0x08) ? UART_MSR_DCD : 0);
}

static void uart_read(struct io_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	bool dlab;
	uint8_t val = 0;

	(void)dev;
	pthread_mutex_lock(&uart.lock);
	dlab = uart.lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_RBR:
		if (dlab) {
			val = uart.dll;
		} else if (uart.rx_len) {
			val = uart.rx[uart.rx_head];
			uart.rx_head = (uart.rx_head + 1) % RX_SIZE;
			uart.rx_len--;
			uart.rx_bytes++;
		}
		break;
	case UART_IER:
		val = dlab ? uart.dlm : uart.ier;
		break;
	case UART_IIR:
		val = uart_iir();
		break;
	case UART_LCR:
		val = uart.lcr;
		break;
	case UART_MCR:
		val = uart.mcr;
		break;
	case UART_LSR:
		val = UART_LSR_THRE | UART_LSR_TEMT | (uart.rx_len ? UART_LSR_DR : 0);
		break;
	case UART_MSR:
		val = uart_msr();
		break;
	case UART_SCR:
		val = uart.scr;
		break;
	}
	uart_update_irq();
	pthread_mutex_unlock(&uart.lock);
	memset(data, 0, size);
	*(uint8_t *)data = val;
}

static void uart_write(struct io_dev *dev, uint64_t offset, const void *data, unsigned int size)
{
	uint8_t val = *(const uint8_t *)data;
	bool dlab;

	(void)dev;
	(void)size;
	pthread_mutex_lock(&uart.lock);
	dlab = uart.lcr & UART_LCR_DLAB;
	switch (offset) {
	case UART_THR:
		if (dlab) {
			uart.dll = val;
			break;
		}
		/* The byte leaves at once: THR empty again, a new edge. */
		uart.thri_pending = false;
		uart_update_irq();
		uart.thri_pending = true;
		if (uart.mcr & UART_MCR_LOOP) {
			rx_put(val);
			break;
		}
		putchar(val);
		if (val == '\n')
			fflush(stdout);
		uart.tx_bytes++;
		break;
	case UART_IER:
		if (dlab) {
			uart.dlm = val;
		} else {
			if ((val & UART_IER_THRI) && !(uart.ier & UART_IER_THRI))
				uart.thri_pending = true;
			uart.ier = val & 0x0f;
		}
		break;
	case UART_FCR:
		uart.fifo_enabled = val & UART_FCR_ENABLE;
		if (val & 0x02) {		/* clear the receive FIFO */
			uart.rx_head = 0;
			uart.rx_len = 0;
		}
		break;
	case UART_LCR:
		uart.lcr = val;
		break;
	case UART_MCR:
		uart.mcr = val & 0x1f;
		break;
	case UART_SCR:
		uart.scr = val;
		break;
	}
	uart_update_irq();
	pthread_mutex_unlock(&uart.lock);
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

/* Raise ISA line @irq of @vm (in-kernel irqchip) for the UART's interrupts. */
void uart_connect_irq(struct vm *vm, unsigned int irq)
{
	pthread_mutex_lock(&uart.lock);
	uart.irq_vm = vm;
	uart.irq = irq;
	uart.irq_level = false;
	pthread_mutex_unlock(&uart.lock);
}

/* Free room in the receive FIFO, for the stdin reader. */
size_t uart_rx_room(void)
{
	size_t room;

	pthread_mutex_lock(&uart.lock);
	room = RX_SIZE - uart.rx_len;
	pthread_mutex_unlock(&uart.lock);
	return room;
}

void uart_rx_push(const unsigned char *buf, size_t len)
{
	size_t i;

	pthread_mutex_lock(&uart.lock);
	for (i = 0; i < len; i++)
		rx_put(buf[i]);
	uart_update_irq();
	pthread_mutex_unlock(&uart.lock);
}

uint64_t uart_tx_bytes(void)
{
	return uart.tx_bytes;
}

uint64_t uart_rx_bytes(void)
{
	return uart.rx_bytes;
}

void uart_flush(void)
{
	pthread_mutex_lock(&uart.lock);
	fflush(stdout);
	pthread_mutex_unlock(&uart.lock);
}
