// SPDX-License-Identifier: GPL-2.0-only
/*
 * dio: one exact O_DIRECT read or write, for the guest's test cases.
 *
 *   dio write [--fua] DEV OFFSET LEN   < data   (--fua: O_DSYNC, REQ_FUA)
 *   dio read DEV OFFSET LEN            > data
 *
 * busybox dd falls back to buffered I/O when its buffer is not aligned,
 * which hides the device behind the page cache; dio uses an aligned
 * buffer and one pread/pwrite, and fails on any short or refused I/O.
 */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static int usage(void)
{
	fprintf(stderr, "usage: dio write [--fua] DEV OFFSET LEN < data\n"
			"       dio read DEV OFFSET LEN > data\n");
	return 2;
}

static int num(const char *s, unsigned long long *v)
{
	char *end;

	errno = 0;
	*v = strtoull(s, &end, 0);
	return errno || end == s || *end || *s == '-';
}

int main(int argc, char **argv)
{
	unsigned long long off, len;
	int wr, fua = 0, fd, flags = O_DIRECT;
	size_t done = 0;
	ssize_t n;
	char *buf;

	if (argc < 2)
		return usage();
	wr = !strcmp(argv[1], "write");
	if (!wr && strcmp(argv[1], "read"))
		return usage();
	argv += 2;
	argc -= 2;
	if (wr && argc && !strcmp(argv[0], "--fua")) {
		fua = 1;
		argv++;
		argc--;
	}
	if (argc != 3 || num(argv[1], &off) || num(argv[2], &len) || !len ||
	    len > (1ULL << 30))
		return usage();
	if (posix_memalign((void **)&buf, 4096, len)) {
		perror("dio: memory");
		return 1;
	}
	if (wr) {
		while (done < len) {
			n = read(0, buf + done, len - done);
			if (n <= 0) {
				fprintf(stderr, "dio: stdin ended after %zu of %llu bytes\n",
					done, len);
				return 1;
			}
			done += n;
		}
		flags |= O_WRONLY | (fua ? O_DSYNC : 0);
	} else {
		flags |= O_RDONLY;
	}
	fd = open(argv[0], flags);
	if (fd < 0) {
		fprintf(stderr, "dio: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	n = wr ? pwrite(fd, buf, len, off) : pread(fd, buf, len, off);
	if (n != (ssize_t)len) {
		fprintf(stderr, "dio: %s %s at %llu: %s\n",
			wr ? "write" : "read", argv[0], off,
			n < 0 ? strerror(errno) : "short I/O");
		return 1;
	}
	if (close(fd)) {
		fprintf(stderr, "dio: %s: %s\n", argv[0], strerror(errno));
		return 1;
	}
	if (!wr && fwrite(buf, 1, len, stdout) != len)
		return 1;
	return 0;
}
