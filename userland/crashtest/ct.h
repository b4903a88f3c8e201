/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest: helpers shared by every subcommand (util.c).
 */
#ifndef CRASHTEST_CT_H
#define CRASHTEST_CT_H

#include <stddef.h>
#include <stdint.h>

#define CT_PROG "crashtest"

/* Exit statuses of every subcommand. */
#define CT_EXIT_OK	0	/* done; explore: every state clean */
#define CT_EXIT_FAILING	1	/* explore: some states not clean */
#define CT_EXIT_ERROR	2	/* bad usage, bad input, could not run */

/* "crashtest: <msg>\n" on stderr. */
void ct_err(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* CRC-32C (Castagnoli), crc = 0 to start; as the kernel's crc32c(~0,...)^~0. */
uint32_t ct_crc32c(uint32_t crc, const void *buf, size_t len);

/* A 64-bit mix (splitmix64's finaliser) and a keyed hash of 4 words. */
uint64_t ct_mix64(uint64_t x);
uint64_t ct_hash4(uint64_t seed, uint64_t a, uint64_t b, uint64_t c);

/*
 * Strict unsigned parsers: the whole string must be a number.
 * ct_parse_size also takes a K, M or G suffix (powers of 1024).
 */
int ct_parse_u64(const char *s, uint64_t *v);
int ct_parse_size(const char *s, uint64_t *v);

/* Seconds on the monotonic clock. */
double ct_now(void);

/* Writes all of @buf at @off (pwrite until done); 0 or -errno. */
int ct_pwrite_all(int fd, const void *buf, size_t len, uint64_t off);
/* Reads all of @len at @off; 0, -errno, or -EIO at end of file. */
int ct_pread_all(int fd, void *buf, size_t len, uint64_t off);

/* @s quoted for a POSIX shell when it needs quoting, into @out. */
void ct_shell_quote(const char *s, char *out, size_t outlen);

#endif /* CRASHTEST_CT_H */
