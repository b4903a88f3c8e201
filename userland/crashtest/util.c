// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest: small helpers (messages, CRC-32C, hashing, number parsing,
 * whole-buffer I/O).
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "ct.h"

void ct_err(const char *fmt, ...)
{
	va_list ap;

	fprintf(stderr, "%s: ", CT_PROG);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Slicing-by-8 tables of the reflected polynomial 0x82f63b78. */
static uint32_t ct_crc_tab[8][256];

static void ct_crc_init(void)
{
	uint32_t c;
	int i, j;

	for (i = 0; i < 256; i++) {
		c = i;
		for (j = 0; j < 8; j++)
			c = c & 1 ? (c >> 1) ^ 0x82f63b78U : c >> 1;
		ct_crc_tab[0][i] = c;
	}
	for (i = 0; i < 256; i++) {
		c = ct_crc_tab[0][i];
		for (j = 1; j < 8; j++) {
			c = ct_crc_tab[0][c & 0xff] ^ (c >> 8);
			ct_crc_tab[j][i] = c;
		}
	}
}

uint32_t ct_crc32c(uint32_t crc, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	uint64_t w;

	if (!ct_crc_tab[0][1])
		ct_crc_init();
	crc = ~crc;
	while (len && ((uintptr_t)p & 7)) {
		crc = ct_crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
		len--;
	}
	while (len >= 8) {
		memcpy(&w, p, 8);
		w ^= crc;	/* little-endian host */
		crc = ct_crc_tab[7][w & 0xff] ^
		      ct_crc_tab[6][(w >> 8) & 0xff] ^
		      ct_crc_tab[5][(w >> 16) & 0xff] ^
		      ct_crc_tab[4][(w >> 24) & 0xff] ^
		      ct_crc_tab[3][(w >> 32) & 0xff] ^
		      ct_crc_tab[2][(w >> 40) & 0xff] ^
		      ct_crc_tab[1][(w >> 48) & 0xff] ^
		      ct_crc_tab[0][w >> 56];
		p += 8;
		len -= 8;
	}
	while (len--)
		crc = ct_crc_tab[0][(crc ^ *p++) & 0xff] ^ (crc >> 8);
	return ~crc;
}

uint64_t ct_mix64(uint64_t x)
{
	x += 0x9e3779b97f4a7c15ULL;
	x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ULL;
	x = (x ^ (x >> 27)) * 0x94d049bb133111ebULL;
	return x ^ (x >> 31);
}

uint64_t ct_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c)
{
	uint64_t h = ct_mix64(seed ^ 0x6372617368746573ULL);

	h = ct_mix64(h ^ a);
	h = ct_mix64(h ^ (b * 0xff51afd7ed558ccdULL));
	return ct_mix64(h ^ (c * 0xc4ceb9fe1a85ec53ULL));
}

int ct_parse_u64(const char *s, uint64_t *v)
{
	unsigned long long x;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno || *end)
		return -EINVAL;
	*v = x;
	return 0;
}

int ct_parse_size(const char *s, uint64_t *v)
{
	unsigned long long x;
	unsigned int shift = 0;
	char *end;

	if (!s || *s < '0' || *s > '9')
		return -EINVAL;
	errno = 0;
	x = strtoull(s, &end, 10);
	if (errno)
		return -EINVAL;
	switch (*end) {
	case 0:
		break;
	case 'k': case 'K':
		shift = 10;
		break;
	case 'm': case 'M':
		shift = 20;
		break;
	case 'g': case 'G':
		shift = 30;
		break;
	default:
		return -EINVAL;
	}
	if (*end && end[1] && strcmp(end + 1, "iB") && strcmp(end + 1, "B"))
		return -EINVAL;
	if (shift && x > (~0ULL >> shift))
		return -EINVAL;
	*v = x << shift;
	return 0;
}

double ct_now(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec + ts.tv_nsec / 1e9;
}

int ct_pwrite_all(int fd, const void *buf, size_t len, uint64_t off)
{
	const char *p = buf;
	ssize_t n;

	while (len) {
		n = pwrite(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

int ct_pread_all(int fd, void *buf, size_t len, uint64_t off)
{
	char *p = buf;
	ssize_t n;

	while (len) {
		n = pread(fd, p, len, off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			return -errno;
		}
		if (!n)
			return -EIO;
		p += n;
		len -= n;
		off += n;
	}
	return 0;
}

void ct_shell_quote(const char *s, char *out, size_t outlen)
{
	size_t o = 0;
	const char *p;

	if (!outlen)
		return;
	if (*s && strspn(s, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
			 "0123456789_-+=/.,:@%") == strlen(s)) {
		snprintf(out, outlen, "%s", s);
		return;
	}
#define PUT(c) do { if (o + 1 < outlen) out[o++] = (c); } while (0)
	PUT('\'');
	for (p = s; *p; p++) {
		if (*p == '\'') {
			PUT('\''); PUT('\\'); PUT('\''); PUT('\'');
		} else {
			PUT(*p);
		}
	}
	PUT('\'');
#undef PUT
	out[o] = 0;
}
