/* SPDX-License-Identifier: GPL-2.0 */
/*
 * POSIX cksum (cksum(1)'s CRC: polynomial 04C11DB7H, MSB first, then the
 * length's bytes, complemented), for the guest's /init (linux-init.c) and
 * the test VM's TCP server (vtxnet.c): both ends check the same stream.
 */
#ifndef VTXCTL_TEST_CKSUM_H
#define VTXCTL_TEST_CKSUM_H

#include <stddef.h>
#include <stdint.h>

#define CKSUM_POLY	0x04c11db7U
#define CKSUM_TOP_BIT	0x80000000U

static uint32_t crc_table[256];

static inline uint32_t crc_update(uint32_t crc, const unsigned char *p,
				  size_t n)
{
	uint32_t c;
	int i, j;

	if (!crc_table[1]) {
		for (i = 0; i < 256; i++) {
			c = (uint32_t)i << 24;
			for (j = 0; j < 8; j++)
				c = c & CKSUM_TOP_BIT ? (c << 1) ^ CKSUM_POLY : c << 1;
			crc_table[i] = c;
		}
	}
	while (n--)
		crc = (crc << 8) ^ crc_table[(crc >> 24) ^ *p++];
	return crc;
}

/* The length bytes and the complement that end a POSIX cksum. */
static inline uint32_t crc_finish(uint32_t crc, unsigned long long len)
{
	unsigned char b;

	for (; len; len >>= 8) {
		b = len & 0xff;
		crc = crc_update(crc, &b, 1);
	}
	return ~crc;
}

#endif /* VTXCTL_TEST_CKSUM_H */
