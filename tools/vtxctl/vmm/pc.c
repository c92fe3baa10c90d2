// SPDX-License-Identifier: GPL-2.0
/*
 * The PC's odds and ends that a Linux guest touches (--kernel only):
 *
 *   0x60, 0x64  an 8042 keyboard controller stub: status 0 (no data, input
 *               buffer empty, so the kernel's waits end at once), reads of
 *               0x60 return 0, commands are ignored except FEH on 0x64,
 *               "pulse the reset line": Linux's default reboot method
 *               (reboot=k) after ACPI, which this machine lacks.  It ends
 *               the run with status 0, "guest reset".  Linux finds no PS/2
 *               controller without ACPI or PnP tables and does not probe.
 *   0x70, 0x71  the MC146818 CMOS clock: index and data; registers 0-9
 *               give the host's UTC time in binary, 24-hour mode
 *               (register B = 06H), A says "no update in progress", D
 *               "valid RAM"; the other 118 bytes of CMOS RAM read 0 and
 *               keep what is written.
 *
 * A guest's poweroff (no ACPI, so no PM1 control register to write) ends
 * in the kernel without an exit: guests end with a reboot instead.
 *
 * Every vCPU thread may use them: pc.lock protects struct pc.
 */
#include <pthread.h>
#include <string.h>
#include <time.h>

#include "vmm.h"

#define KBD_DATA	0x60
#define KBD_STATUS	0x64
#define KBD_CMD_RESET	0xfe		/* pulse output port bit 0: CPU reset */

#define CMOS_INDEX	0x70
#define CMOS_NMI_OFF	0x80		/* index bit 7: NMI disable */
#define CMOS_SIZE	128
#define RTC_SECONDS	0x00
#define RTC_MINUTES	0x02
#define RTC_HOURS	0x04
#define RTC_WEEKDAY	0x06
#define RTC_DAY		0x07
#define RTC_MONTH	0x08
#define RTC_YEAR	0x09
#define RTC_REG_A	0x0a
#define RTC_REG_B	0x0b
#define RTC_REG_C	0x0c
#define RTC_REG_D	0x0d
#define RTC_CENTURY	0x32
#define RTC_A_DIVIDER	0x20		/* 32.768 kHz time base, UIP clear */
#define RTC_B_24H_BIN	0x06		/* DM (binary) | 24/12 */
#define RTC_D_VRT	0x80		/* valid RAM and time */

static struct pc {
	pthread_mutex_t lock;
	uint8_t cmos_index;
	uint8_t cmos[CMOS_SIZE];
} pc = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

static void kbd_read(struct io_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	(void)dev;
	(void)offset;
	memset(data, 0, size);
}

static void kbd_write(struct io_dev *dev, uint64_t offset, const void *data, unsigned int size)
{
	(void)dev;
	(void)size;
	if (offset == KBD_STATUS - KBD_DATA && *(const uint8_t *)data == KBD_CMD_RESET)
		run_request_stop(ST_OK, "guest reset (keyboard controller command 0xfe)");
}

static struct io_dev kbd_dev = {
	.name = "i8042",
	.base = KBD_DATA,
	.len = KBD_STATUS - KBD_DATA + 1,
	.read = kbd_read,
	.write = kbd_write,
};

/* With pc.lock held: CMOS register @reg, the clock ones from the host. */
static uint8_t cmos_get(unsigned int reg)
{
	struct tm tm;
	time_t t;

	if (reg <= RTC_YEAR || reg == RTC_CENTURY) {
		t = time(NULL);
		gmtime_r(&t, &tm);
	}
	switch (reg) {
	case RTC_SECONDS:
		return tm.tm_sec;
	case RTC_MINUTES:
		return tm.tm_min;
	case RTC_HOURS:
		return tm.tm_hour;
	case RTC_WEEKDAY:
		return tm.tm_wday + 1;
	case RTC_DAY:
		return tm.tm_mday;
	case RTC_MONTH:
		return tm.tm_mon + 1;
	case RTC_YEAR:
		return tm.tm_year % 100;
	case RTC_CENTURY:
		return (tm.tm_year + 1900) / 100;
	case RTC_REG_A:
		return RTC_A_DIVIDER;
	case RTC_REG_B:
		return RTC_B_24H_BIN;
	case RTC_REG_C:
		return 0;
	case RTC_REG_D:
		return RTC_D_VRT;
	}
	if (reg < RTC_YEAR)
		return 0;		/* the alarm registers */
	return pc.cmos[reg];
}

static void cmos_read(struct io_dev *dev, uint64_t offset, void *data, unsigned int size)
{
	uint8_t val;

	(void)dev;
	pthread_mutex_lock(&pc.lock);
	val = offset ? cmos_get(pc.cmos_index) : pc.cmos_index;
	pthread_mutex_unlock(&pc.lock);
	memset(data, 0, size);
	*(uint8_t *)data = val;
}

static void cmos_write(struct io_dev *dev, uint64_t offset, const void *data, unsigned int size)
{
	uint8_t val = *(const uint8_t *)data;

	(void)dev;
	(void)size;
	pthread_mutex_lock(&pc.lock);
	if (!offset)
		pc.cmos_index = val & ~CMOS_NMI_OFF;
	else if (pc.cmos_index > RTC_REG_D && pc.cmos_index != RTC_CENTURY)
		pc.cmos[pc.cmos_index] = val;	/* the clock itself is read-only */
	pthread_mutex_unlock(&pc.lock);
}

static struct io_dev cmos_dev = {
	.name = "cmos",
	.base = CMOS_INDEX,
	.len = 2,
	.read = cmos_read,
	.write = cmos_write,
};

int pc_init(void)
{
	if (io_register(IO_PIO, &kbd_dev) || io_register(IO_PIO, &cmos_dev))
		return -1;
	return 0;
}
