// SPDX-License-Identifier: GPL-2.0-only
/*
 * Tests of crashtest's data-consistency oracle (userland/crashtest/oracle_*.c):
 * run the workload in a temporary directory, verify it, damage it on
 * purpose and check verify's exact counts, computed from the oracle's own
 * model of the workload.  The oracle's files are included, so its generator
 * and block format are at hand.
 */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <setjmp.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <cmocka.h>

#include "oracle_fmt.c"
#include "oracle_gen.c"
#include "oracle_opts.c"
#include "oracle_class.c"
#include "oracle_workload.c"
#include "oracle_verify.c"

static char tmp[256];		/* this test's temporary directory */
static char out[1 << 16];	/* stdout of the last call */
static char err[1 << 14];	/* stderr of the last call */

/* ---- helpers ------------------------------------------------------------ */

static void slurp(const char *path, char *buf, size_t n)
{
	FILE *f = fopen(path, "r");
	size_t got = 0;

	buf[0] = '\0';
	if (!f)
		return;
	got = fread(buf, 1, n - 1, f);
	buf[got] = '\0';
	fclose(f);
}

/*
 * Run an entry point with argv from a NULL-terminated list, stdout and
 * stderr captured in out[] and err[]; the exit status.
 */
static int call(int (*fn)(int, char **), const char *arg0, ...)
{
	char *argv[64], po[300], pe[300];
	int argc = 0, so, se, fo, fe, r;
	const char *a;
	va_list ap;

	argv[argc++] = (char *)arg0;
	va_start(ap, arg0);
	while ((a = va_arg(ap, const char *)) && argc < 63)
		argv[argc++] = (char *)a;
	va_end(ap);
	argv[argc] = NULL;

	snprintf(po, sizeof(po), "%s.out", tmp);
	snprintf(pe, sizeof(pe), "%s.err", tmp);
	fflush(stdout);
	fflush(stderr);
	so = dup(1);
	se = dup(2);
	fo = open(po, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	fe = open(pe, O_WRONLY | O_CREAT | O_TRUNC, 0600);
	assert_true(so >= 0 && se >= 0 && fo >= 0 && fe >= 0);
	dup2(fo, 1);
	dup2(fe, 2);
	r = fn(argc, argv);
	fflush(stdout);
	fflush(stderr);
	dup2(so, 1);
	dup2(se, 2);
	close(so);
	close(se);
	close(fo);
	close(fe);
	slurp(po, out, sizeof(out));
	slurp(pe, err, sizeof(err));
	unlink(po);
	unlink(pe);
	return r;
}

#define WL(...) call(oracle_workload_main, "workload", __VA_ARGS__, NULL)
#define VF(...) call(oracle_verify_main, "verify", __VA_ARGS__, NULL)

/* A counter of verify --json's output ("name": N); -1 when absent. */
static long long jnum(const char *name)
{
	char key[64];
	const char *p;

	snprintf(key, sizeof(key), "\"%s\": ", name);
	p = strstr(out, key);
	return p ? strtoll(p + strlen(key), NULL, 10) : -1;
}

static char *path(const char *rel)
{
	static char buf[4][512];
	static int i;

	i = (i + 1) % 4;
	snprintf(buf[i], sizeof(buf[i]), "%s/%s", tmp, rel);
	return buf[i];
}

static void rm_rf(const char *p)
{
	char cmd[600];

	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", p);
	assert_int_equal(system(cmd), 0);
}

static int setup(void **state)
{
	const char *base = getenv("TMPDIR");

	(void)state;
	snprintf(tmp, sizeof(tmp), "%s/test_oracle.XXXXXX", base ? base : "/tmp");
	return mkdtemp(tmp) ? 0 : -1;
}

static int teardown(void **state)
{
	(void)state;
	rm_rf(tmp);
	return 0;
}

/* The model for a seed and default options (plus the given ones). */
static void model(struct orc_model *m, uint64_t seed)
{
	struct orc_opts o = orc_defaults;

	o.seed = seed;
	orc_model_build(m, &o);
}

/* Blocks verify reads for the final state: sum of live files' sizes. */
static uint64_t model_blocks(const struct orc_model *m)
{
	uint64_t n = 0;
	uint32_t i;

	for (i = 0; i < m->nr_files; i++)
		if (m->f[i].live)
			n += m->f[i].size;
	return n;
}

/* The path (under tmp/w) of live file id in the final state. */
static char *fpath(const struct orc_model *m, uint32_t id)
{
	static char buf[2][512];
	static int i;
	const struct orc_file *f = &m->f[id];

	i = !i;
	orc_file_path(buf[i], sizeof(buf[i]), path("w"), f->gen_dir[f->gen],
		      id, f->gen);
	return buf[i];
}

/* A live file and a data block of it, with cur >= min_ver; 0 if found. */
static int find_block(const struct orc_model *m, uint32_t min_ver,
		      uint32_t skip_id, uint32_t *id, uint64_t *idx)
{
	uint32_t i;
	uint64_t j;

	for (i = 0; i < m->nr_files; i++) {
		if (!m->f[i].live || i == skip_id)
			continue;
		for (j = 0; j < m->f[i].size; j++)
			if (m->f[i].cur[j] >= min_ver) {
				*id = i;
				*idx = j;
				return 0;
			}
	}
	return -1;
}

static void put_block(const char *file, uint64_t idx, const void *b,
		      size_t n)
{
	int fd = open(file, O_WRONLY);

	assert_true(fd >= 0);
	assert_int_equal(pwrite(fd, b, n, idx * 4096), (ssize_t)n);
	close(fd);
}

static void get_block(const char *file, uint64_t idx, void *b)
{
	int fd = open(file, O_RDONLY);

	assert_true(fd >= 0);
	assert_int_equal(pread(fd, b, 4096, idx * 4096), 4096);
	close(fd);
}

/* Workload of seed into tmp/w, checked clean; the model in *m. */
static void fresh(struct orc_model *m, uint64_t seed)
{
	char s[32];

	snprintf(s, sizeof(s), "%" PRIu64, seed);
	rm_rf(path("w"));
	assert_int_equal(WL(path("w"), "--seed", s), 0);
	model(m, seed);
	assert_int_equal(VF(path("w"), "--json", "--exact"), 0);
	assert_int_equal(jnum("correct"), (long long)model_blocks(m));
}

/* ---- the block format and the generator ---------------------------------- */

static void test_crc32(void **state)
{
	(void)state;
	/* the standard check value of CRC-32/ISO-HDLC */
	assert_int_equal(orc_crc32((const unsigned char *)"123456789", 9),
			 0xcbf43926u);
	assert_int_equal(orc_crc32(NULL, 0), 0);
}

static void test_block_format(void **state)
{
	unsigned char b[4096], c[4096];
	uint32_t p;

	(void)state;
	orc_block_fill(b, 4096, 77, 5, 9, 3);
	for (p = 0; p < 8; p++) {
		unsigned char *q = b + p * ORC_PIECE;
		char text[80];

		/* every 512-byte piece names the block, the version, itself */
		assert_memory_equal(q, "CTOB", 4);
		assert_int_equal(orc_get64(q + 8), 77);
		assert_int_equal(orc_get32(q + 16), 5);
		assert_int_equal(orc_get32(q + 20), 3);
		assert_int_equal(orc_get64(q + 24), 9);
		assert_int_equal(orc_get32(q + 32), 4096);
		assert_int_equal(orc_get32(q + 36), 2);
		assert_int_equal(orc_get32(q + 40), p);
		snprintf(text, sizeof(text), "file 5 block 9 version 3 piece %u\n", p);
		assert_non_null(strstr((char *)q + 48, text));
		memcpy(c, q, ORC_PIECE);
		orc_put32(c + 4, 0);
		assert_int_equal(orc_crc32(c, ORC_PIECE), orc_get32(q + 4));
	}
	/* the pieces differ from each other past their headers */
	assert_memory_not_equal(b + 128, b + 512 + 128, 512 - 128);
	/* every one of the four numbers changes the payload */
	orc_block_fill(c, 4096, 78, 5, 9, 3);
	assert_memory_not_equal(b + 128, c + 128, 512 - 128);
	orc_block_fill(c, 4096, 77, 6, 9, 3);
	assert_memory_not_equal(b + 128, c + 128, 512 - 128);
	orc_block_fill(c, 4096, 77, 5, 10, 3);
	assert_memory_not_equal(b + 128, c + 128, 512 - 128);
	orc_block_fill(c, 4096, 77, 5, 9, 4);
	assert_memory_not_equal(b + 128, c + 128, 512 - 128);
	orc_block_fill(c, 4096, 77, 5, 9, 3);
	assert_memory_equal(b, c, 4096);

	/* format 1: one header and one crc for the whole block */
	orc_block_fill_v1(b, 4096, 77, 5, 9, 3);
	assert_memory_equal(b, "CTOB", 4);
	assert_int_equal(orc_get32(b + 36), 1);
	assert_non_null(strstr((char *)b + 40, "file 5 block 9 version 3\n"));
	memcpy(c, b, sizeof(c));
	orc_put32(c + 4, 0);
	assert_int_equal(orc_crc32(c, 4096), orc_get32(b + 4));
	assert_int_not_equal(orc_get32(b + 512), ORC_MAGIC);
}

/* What orc_piece_decode makes of a piece, state by state. */
static void test_piece_decode(void **state)
{
	unsigned char b[4096], q[ORC_PIECE];
	struct orc_hdr h;

	(void)state;
	orc_block_fill(b, 4096, 77, 5, 9, 3);
	assert_int_equal(orc_piece_decode(b + 3 * 512, 4096, 3, &h), ORC_P_VALID);
	assert_int_equal(h.run, 77);
	assert_int_equal(h.id, 5);
	assert_int_equal(h.index, 9);
	assert_int_equal(h.version, 3);
	assert_int_equal(h.piece, 3);
	/* the right piece in the wrong place */
	assert_int_equal(orc_piece_decode(b + 3 * 512, 4096, 4, &h), ORC_P_PLACE);
	assert_int_equal(h.piece, 3);
	memset(q, 0, sizeof(q));
	assert_int_equal(orc_piece_decode(q, 4096, 0, &h), ORC_P_ZERO);
	q[300] = 1;
	assert_int_equal(orc_piece_decode(q, 4096, 0, &h), ORC_P_GARBAGE);
	/* another block size */
	assert_int_equal(orc_piece_decode(b, 8192, 0, &h), ORC_P_FORMAT);
	/* format 1 blocks are not pieces */
	orc_block_fill_v1(b, 4096, 77, 5, 9, 3);
	assert_int_equal(orc_piece_decode(b, 4096, 0, &h), ORC_P_FORMAT);
	/* one bit: bad crc, with the claim kept */
	orc_block_fill(b, 4096, 77, 5, 9, 3);
	memcpy(q, b + 512, sizeof(q));
	q[400] ^= 4;
	assert_int_equal(orc_piece_decode(q, 4096, 1, &h), ORC_P_CRC);
	assert_int_equal(h.id, 5);
	assert_int_equal(h.version, 3);
	/* a crc made to fit a foreign payload */
	orc_put32(q + 4, 0);
	orc_put32(q + 4, orc_crc32(q, ORC_PIECE));
	assert_int_equal(orc_piece_decode(q, 4096, 1, &h), ORC_P_PAYLOAD);
	/* a piece number past the block, crc made to fit */
	memcpy(q, b + 512, sizeof(q));
	orc_put32(q + 40, 8);
	orc_put32(q + 4, 0);
	orc_put32(q + 4, orc_crc32(q, ORC_PIECE));
	assert_int_equal(orc_piece_decode(q, 4096, 1, &h), ORC_P_PAYLOAD);
}

static void test_names(void **state)
{
	uint32_t id, gen;

	(void)state;
	assert_int_equal(orc_parse_name("o0.0", &id, &gen), 0);
	assert_int_equal(orc_parse_name("o12.345", &id, &gen), 0);
	assert_int_equal(id, 12);
	assert_int_equal(gen, 345);
	assert_int_equal(orc_parse_name("o4294967295.1", &id, &gen), 0);
	assert_int_equal(id, UINT32_MAX);
	assert_int_equal(orc_parse_name("o4294967296.1", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o01.1", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o1.01", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o1", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o1.", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o.1", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o1.2x", &id, &gen), -1);
	assert_int_equal(orc_parse_name("o1.2.3", &id, &gen), -1);
	assert_int_equal(orc_parse_name("p1.2", &id, &gen), -1);
	assert_int_equal(orc_parse_dir("d1"), 1);
	assert_int_equal(orc_parse_dir("d64"), 64);
	assert_int_equal(orc_parse_dir("d65"), 0);
	assert_int_equal(orc_parse_dir("d0"), 0);
	assert_int_equal(orc_parse_dir("d01"), 0);
	assert_int_equal(orc_parse_dir("d"), 0);
}

/* Every operation kind occurs; the limits hold at every step. */
static void test_generator(void **state)
{
	struct orc_opts o = orc_defaults;
	struct orc_model m;
	struct orc_op op;
	uint32_t i;
	int k;

	(void)state;
	o.seed = 5;
	o.ops = 3000;
	o.files = 5;
	o.max_blocks = 10;
	o.dirs = 3;
	orc_model_init(&m, &o);
	while (m.nr_ops < o.ops) {
		orc_next(&m, &op);
		assert_true(m.nr_live <= o.files);
		assert_true(op.dir <= o.dirs && op.new_dir <= o.dirs);
		if (op.count) {
			assert_true(op.count <= ORC_MAX_RUN);
			assert_true(op.start + op.count <= o.max_blocks);
		}
		if (op.kind != ORC_SYNC && op.kind != ORC_DIRFSYNC)
			assert_true(m.f[op.id].size <= o.max_blocks);
	}
	for (k = 0; k < ORC_NR_KINDS; k++)
		assert_true(m.count[k] > 0);
	for (i = 0; i < m.nr_files; i++) {
		const struct orc_file *f = &m.f[i];
		uint64_t j;

		assert_true(f->max_size <= o.max_blocks);
		for (j = 0; j < f->cap; j++) {
			assert_true(f->cur[j] <= f->max[j]);
			if (j >= f->size)
				assert_int_equal(f->cur[j], 0);
		}
	}
	orc_model_free(&m);
}

/* ---- classification of one block, on the host ----------------------------- */

/* Block (a, ia) of m: pieces [0, k) at version v1, the rest at v2 (0: zeros). */
static void mix(unsigned char *b, const struct orc_model *m, uint32_t a,
		uint64_t ia, uint32_t v1, uint32_t v2, uint32_t k)
{
	unsigned char t[4096];
	uint32_t p;

	for (p = 0; p < 8; p++) {
		uint32_t v = p < k ? v1 : v2;

		if (!v) {
			memset(b + p * ORC_PIECE, 0, ORC_PIECE);
			continue;
		}
		orc_block_fill(t, 4096, m->o.seed, a, ia, v);
		memcpy(b + p * ORC_PIECE, t + p * ORC_PIECE, ORC_PIECE);
	}
}

static enum orc_class cls(const struct orc_model *m, uint32_t a, uint64_t ia,
			  const unsigned char *b, char *why)
{
	static unsigned char scratch[4096];

	why[0] = '\0';
	return orc_classify(m, a, ia, b, 4096, scratch, why, 256);
}

/*
 * Whole, torn and WRONG blocks against a model whose floors (the versions
 * an fsync made durable) are set by hand.
 */
static void test_classify(void **state)
{
	unsigned char b[4096], t[4096];
	struct orc_model m;
	uint32_t a, o, cur, i;
	uint64_t ia, io;
	char why[256];

	(void)state;
	model(&m, 12);
	assert_int_equal(find_block(&m, 3, UINT32_MAX, &a, &ia), 0);
	assert_int_equal(find_block(&m, 1, a, &o, &io), 0);
	for (i = 0; i < m.nr_files; i++)
		m.f[i].floor = orc_zalloc(m.f[i].cap, sizeof(uint32_t));
	cur = m.f[a].cur[ia];

	/* whole blocks */
	mix(b, &m, a, ia, cur, cur, 8);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_CORRECT);
	mix(b, &m, a, ia, cur - 1, cur - 1, 8);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_OLDER);
	m.f[a].floor[ia] = cur - 1;
	assert_int_equal(cls(&m, a, ia, b, why), ORC_OLDER);
	m.f[a].floor[ia] = cur;
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "made durable by an fsync"));
	mix(b, &m, a, ia, cur, cur, 8);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_CORRECT);

	/* torn between two versions of its own block: 1 KiB of 4 kept */
	m.f[a].floor[ia] = 0;
	mix(b, &m, a, ia, cur, cur - 1, 2);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_TORN);
	assert_non_null(strstr(why, "versions "));
	m.f[a].floor[ia] = cur - 1;	/* the older one was durable */
	assert_int_equal(cls(&m, a, ia, b, why), ORC_TORN);
	m.f[a].floor[ia] = cur;		/* cur was durable: cur-1 may not show */
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "torn"));
	assert_non_null(strstr(why, "made durable by an fsync"));
	/* three versions */
	m.f[a].floor[ia] = 0;
	mix(b, &m, a, ia, cur, cur - 2, 6);
	mix(t, &m, a, ia, cur - 1, cur - 1, 8);
	memcpy(b + 2 * ORC_PIECE, t + 2 * ORC_PIECE, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_TORN);
	assert_non_null(strstr(why, "versions " ) );
	/* torn between data and zeros (a part never reached the disk) */
	mix(b, &m, a, ia, cur, 0, 4);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_TORN);
	assert_non_null(strstr(why, "4 of 8 zero"));
	mix(b, &m, a, ia, 0, cur - 1, 7);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_TORN);
	m.f[a].floor[ia] = cur;
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	/* zeros alone stay zeros, whatever was durable */
	memset(b, 0, sizeof(b));
	assert_int_equal(cls(&m, a, ia, b, why), ORC_ZEROS);
	m.f[a].floor[ia] = 0;

	/* one piece not its own: WRONG, naming the piece */
	mix(b, &m, a, ia, cur, cur, 8);
	orc_block_fill(t, 4096, m.o.seed, o, io, m.f[o].cur[io]);
	memcpy(b + 5 * ORC_PIECE, t + 5 * ORC_PIECE, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "'s block"));
	assert_non_null(strstr(why, "(piece 5 of 8)"));
	/* a bit flipped in one piece */
	mix(b, &m, a, ia, cur, cur - 1, 4);
	b[2 * ORC_PIECE + 300] ^= 0x20;
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "bad crc (claims file"));
	assert_non_null(strstr(why, "(piece 2 of 8)"));
	/* a piece of its own block, out of place */
	mix(b, &m, a, ia, cur, cur, 8);
	memcpy(b + 3 * ORC_PIECE, b + 4 * ORC_PIECE, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "out of place"));
	/* a version never written, in one piece */
	mix(b, &m, a, ia, cur, m.f[a].max[ia] + 1, 7);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "never written"));
	/* another run's piece; another index's */
	mix(b, &m, a, ia, cur, cur, 8);
	orc_block_fill(t, 4096, m.o.seed + 1, a, ia, cur);
	memcpy(b + 7 * ORC_PIECE, t + 7 * ORC_PIECE, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "another run"));
	mix(b, &m, a, ia, cur, cur, 8);
	orc_block_fill(t, 4096, m.o.seed, a, ia + 1, 1);
	memcpy(b, t, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "of the same file"));
	/* garbage in one piece */
	mix(b, &m, a, ia, cur, cur, 8);
	memset(b + 6 * ORC_PIECE, 0xa5, ORC_PIECE);
	assert_int_equal(cls(&m, a, ia, b, why), ORC_WRONG);
	assert_non_null(strstr(why, "garbage"));
	orc_model_free(&m);
}

/*
 * The floors: the data found bounds the crash point (the witness op), and
 * the syncs before it made their files' versions durable.
 */
static void test_durable_floors(void **state)
{
	struct orc_model m, t;
	struct orc_durable d;
	struct orc_op op;
	uint64_t n = 0, j = 0, b, before = 0;
	uint32_t x = 0, *at = NULL, i, nb = 0;

	(void)state;
	model(&m, 12);
	/* the first fsync of a file with data, then the first write after it */
	orc_model_init(&t, &m.o);
	while (t.nr_ops < m.o.ops) {
		orc_next(&t, &op);
		if (!n && op.kind == ORC_FSYNC && t.f[op.id].size) {
			n = t.nr_ops;
			x = op.id;
			nb = t.f[x].size;
			at = orc_zalloc(nb, sizeof(*at));
			memcpy(at, t.f[x].cur, nb * sizeof(*at));
		} else if (n && op.count) {
			j = t.nr_ops;
			break;
		}
	}
	assert_true(n && j > n);
	/* the data of op j found, nothing else */
	for (i = 0; i < m.nr_files; i++)
		m.f[i].seen = orc_zalloc(m.f[i].cap, sizeof(uint32_t));
	for (b = op.start; b < op.start + op.count; b++)
		m.f[op.id].seen[b] = t.f[op.id].cur[b];
	orc_model_free(&t);
	orc_durable_floors(&m, &d);
	assert_int_equal(d.witness, j);
	assert_true(d.syncs >= 1);
	for (b = 0; b < nb; b++)
		assert_int_equal(m.f[x].floor[b], at[b]);
	before = d.syncs;
	for (i = 0; i < m.nr_files; i++) {
		free(m.f[i].floor);
		m.f[i].floor = NULL;
		memset(m.f[i].seen, 0, m.f[i].cap * sizeof(uint32_t));
	}
	/* nothing found: no witness, no floor */
	orc_durable_floors(&m, &d);
	assert_int_equal(d.witness, 0);
	assert_int_equal(d.syncs, 0);
	for (b = 0; b < nb; b++)
		assert_int_equal(m.f[x].floor[b], 0);
	/* a format 1 run has no pieces: no floors */
	for (i = 0; i < m.nr_files; i++) {
		free(m.f[i].floor);
		m.f[i].floor = NULL;
	}
	m.o.format = ORC_FMT_BLOCK;
	orc_durable_floors(&m, &d);
	assert_int_equal(d.witness, 0);
	assert_true(before >= 1);
	free(at);
	orc_model_free(&m);
}

/* ---- workload and verify on a clean tree --------------------------------- */

static void test_clean(void **state)
{
	static const char *const extra[][8] = {
		{ NULL },
		{ "--files", "3", "--max-blocks", "64", "--ops", "600", NULL },
		{ "--block-size", "512", "--ops", "300", NULL },
		{ "--dirs", "0", "--fsync-every", "3", NULL },
		{ "--files", "1", "--max-blocks", "1", "--ops", "50", NULL },
		{ "--ops", "0", NULL },
		{ "--dirs", "5", "--block-size", "65536", "--ops", "100", NULL },
	};
	struct orc_opts o;
	struct orc_model m;
	size_t t;
	int s;

	(void)state;
	for (t = 0; t < sizeof(extra) / sizeof(extra[0]); t++) {
		for (s = 1; s <= 3; s++) {
			char *argv[16] = { NULL }, seed[16];
			struct orc_args a;
			int argc = 0, i;

			snprintf(seed, sizeof(seed), "%d", s * 1000 + (int)t);
			argv[argc++] = "workload";
			argv[argc++] = path("w");
			argv[argc++] = "--seed";
			argv[argc++] = seed;
			for (i = 0; extra[t][i]; i++)
				argv[argc++] = (char *)extra[t][i];
			argv[argc] = NULL;
			rm_rf(path("w"));
			assert_int_equal(orc_parse_args(&a, argc, argv, 1), 0);
			o = a.o;
			rm_rf(path("w"));
			/* orc_parse_args permuted argv: DIR may be anywhere */
			assert_int_equal(call(oracle_workload_main, argv[0],
					      argv[1], argv[2], argv[3],
					      argv[4], argv[5], argv[6],
					      argv[7], argv[8], argv[9], NULL),
					 0);
			orc_model_build(&m, &o);
			/* options are taken from oracle.meta */
			assert_int_equal(VF(path("w"), "--json", "--exact"), 0);
			assert_int_equal(jnum("correct"),
					 (long long)model_blocks(&m));
			assert_int_equal(jnum("blocks"), jnum("correct"));
			assert_int_equal(jnum("wrong"), 0);
			assert_int_equal(jnum("files"), m.nr_live);
			assert_int_equal(jnum("missing"), 0);
			/* and again with the same options given explicitly */
			assert_int_equal(VF(path("w"), "--seed", seed, "-v"), 0);
			assert_non_null(strstr(out, "| ok"));
			orc_model_free(&m);
		}
	}
}

/* Recursively: relative names, types, sizes and contents into a string. */
static void tree(const char *dir, const char *rel, FILE *o)
{
	char **names, p[1024], r[1024], buf[4096];
	size_t n, i, k;
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY);

	assert_true(fd >= 0);
	assert_int_equal(orc_read_dir(fd, &names, &n), 0);
	close(fd);
	for (i = 0; i < n; i++) {
		snprintf(p, sizeof(p), "%s/%s", dir, names[i]);
		snprintf(r, sizeof(r), "%s%s", rel, names[i]);
		assert_int_equal(lstat(p, &st), 0);
		fprintf(o, "%s %o %lld\n", r, st.st_mode, (long long)st.st_size);
		if (S_ISDIR(st.st_mode)) {
			strcat(r, "/");
			tree(p, r, o);
		} else {
			FILE *f = fopen(p, "r");

			assert_non_null(f);
			while ((k = fread(buf, 1, sizeof(buf), f)))
				fwrite(buf, 1, k, o);
			fclose(f);
		}
		free(names[i]);
	}
	free(names);
}

static char *tree_of(const char *dir, size_t *len)
{
	char *s = NULL;
	FILE *o = open_memstream(&s, len);

	assert_non_null(o);
	tree(dir, "", o);
	fclose(o);
	return s;
}

static void test_determinism(void **state)
{
	char *a, *b, *c;
	size_t la, lb, lc;

	(void)state;
	assert_int_equal(WL(path("a"), "--seed", "99", "--ops", "400"), 0);
	assert_int_equal(WL("--ops", "400", "--seed", "99", path("b")), 0);
	assert_int_equal(WL(path("c"), "--seed", "100", "--ops", "400"), 0);
	a = tree_of(path("a"), &la);
	b = tree_of(path("b"), &lb);
	c = tree_of(path("c"), &lc);
	assert_true(la > 100000);
	assert_int_equal(la, lb);
	assert_memory_equal(a, b, la);
	assert_true(la != lc || memcmp(a, c, la));
	free(a);
	free(b);
	free(c);
	/* the dry run prints the same operations and the same summary */
	assert_int_equal(WL("--seed", "99", "--ops", "400", "--dry-run"), 0);
	assert_non_null(strstr(out, "op 400: "));
	assert_null(strstr(out, "op 401: "));
	assert_non_null(strstr(out, "workload (dry run): seed 99: 400 ops"));
	assert_int_equal(access(path("d"), F_OK), -1);
}

/*
 * An extension by ftruncate past the model's capacity (seed 2 with these
 * options) once read past the end of the per-block arrays.
 */
static void test_extend_past_capacity(void **state)
{
	(void)state;
	assert_int_equal(WL("--dry-run", "--seed", "2", "--ops", "300",
			    "--files", "16", "--max-blocks", "64"), 0);
	assert_non_null(strstr(out, "workload (dry run): seed 2: 300 ops"));
}

/* ---- damage and its exact classification ---------------------------------- */

static void test_other_files_block(void **state)
{
	unsigned char b[4096];
	struct orc_model m;
	uint32_t a, o;
	uint64_t ia, io;

	(void)state;
	fresh(&m, 11);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	assert_int_equal(find_block(&m, 1, a, &o, &io), 0);
	get_block(fpath(&m, o), io, b);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_int_equal(jnum("correct"), (long long)model_blocks(&m) - 1);
	assert_int_equal(jnum("older") + jnum("zeros") + jnum("ioerror"), 0);
	assert_non_null(strstr(out, "'s block"));
	/* the text report names the block and what was found there */
	assert_int_equal(VF(path("w")), 3);
	assert_non_null(strstr(out, "WRONG "));
	assert_non_null(strstr(out, "| WRONG"));
	orc_model_free(&m);
}

/*
 * The floors verify finds in a clean tree of m's final state: the data of
 * every live file seen, the syncs before the latest of it durable.
 */
static void clean_floors(struct orc_model *m)
{
	struct orc_durable d;
	uint32_t i;

	for (i = 0; i < m->nr_files; i++) {
		m->f[i].seen = orc_zalloc(m->f[i].cap, sizeof(uint32_t));
		if (m->f[i].live)
			memcpy(m->f[i].seen, m->f[i].cur,
			       m->f[i].size * sizeof(uint32_t));
	}
	orc_durable_floors(m, &d);
	assert_true(d.witness > 0);
}

/* A live block with cur >= min_ver and lo <= floor <= hi; 0 if found. */
static int find_floor(const struct orc_model *m, uint32_t min_ver,
		      uint32_t lo, uint32_t hi, uint32_t *id, uint64_t *idx)
{
	uint32_t i;
	uint64_t j;

	for (i = 0; i < m->nr_files; i++)
		for (j = 0; m->f[i].live && j < m->f[i].size; j++)
			if (m->f[i].cur[j] >= min_ver &&
			    m->f[i].floor[j] >= lo && m->f[i].floor[j] <= hi) {
				*id = i;
				*idx = j;
				return 0;
			}
	return -1;
}

static void test_older(void **state)
{
	unsigned char b[4096];
	struct orc_model m;
	uint32_t a;
	uint64_t ia;

	(void)state;
	fresh(&m, 12);
	clean_floors(&m);
	/* a block no fsync made durable past version 1 */
	assert_int_equal(find_floor(&m, 2, 0, 1, &a, &ia), 0);
	orc_block_fill(b, 4096, 12, a, ia, m.f[a].cur[ia] - 1);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("older"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("correct"), (long long)model_blocks(&m) - 1);
	/* allowed after a crash, not in the exact final state */
	assert_int_equal(VF(path("w"), "--json", "--exact"), 3);
	/* version 1 is older too; a version never written is WRONG */
	orc_block_fill(b, 4096, 12, a, ia, 1);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("older"), 1);
	orc_block_fill(b, 4096, 12, a, ia, m.f[a].max[ia] + 1);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "never written"));
	orc_model_free(&m);
}

/*
 * A version older than one an fsync made durable before the crash is
 * WRONG, whole or torn; torn above it is TORN, its own count.
 */
static void test_durable(void **state)
{
	unsigned char b[4096], t[4096];
	struct orc_model m;
	uint32_t a, f;
	uint64_t ia;

	(void)state;
	fresh(&m, 12);
	clean_floors(&m);
	assert_int_equal(find_floor(&m, 2, 2, UINT32_MAX, &a, &ia), 0);
	f = m.f[a].floor[ia];
	orc_block_fill(b, 4096, 12, a, ia, f - 1);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_true(jnum("witness_op") > 0);
	assert_true(jnum("durable_syncs") > 0);
	assert_non_null(strstr(out, "made durable by an fsync"));
	/* torn: 1 KiB of the durable version over the one before it */
	orc_block_fill(b, 4096, 12, a, ia, f);
	orc_block_fill(t, 4096, 12, a, ia, f - 1);
	memcpy(b + 1024, t + 1024, 4096 - 1024);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_int_equal(jnum("torn"), 0);
	assert_non_null(strstr(out, "torn: pieces of versions"));
	/* torn between the durable version and zeros: allowed */
	memset(b + 1024, 0, 4096 - 1024);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w")), 0);
	assert_non_null(strstr(out, " TORN 1 WRONG 0 |"));
	assert_true(!strncmp(out, "TORN ", 5) || strstr(out, "\nTORN "));
	assert_non_null(strstr(out, "durable: the latest data found is of op"));
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("torn"), 1);
	assert_non_null(strstr(out, "\"torn_blocks\": [\n  {\"path\": "));
	assert_int_equal(VF(path("w"), "--exact"), 3);
	orc_model_free(&m);
}

/* --format 1 writes and verifies blocks as older crashtest did. */
static void test_format1(void **state)
{
	unsigned char b[4096];
	struct orc_model m;
	struct orc_opts o = orc_defaults;
	uint32_t a;
	uint64_t ia;

	(void)state;
	assert_int_equal(WL(path("w"), "--seed", "31", "--format", "1"), 0);
	slurp(path("w/oracle.meta"), out, sizeof(out));
	assert_non_null(strstr(out, "crashtest-oracle 1\n"));
	assert_null(strstr(out, "format"));
	assert_int_equal(VF(path("w"), "--exact", "--json"), 0);
	o.seed = 31;
	o.format = 1;
	orc_model_build(&m, &o);
	assert_int_equal(jnum("correct"), (long long)model_blocks(&m));
	assert_int_equal(jnum("witness_op"), 0);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	get_block(fpath(&m, a), ia, b);
	assert_int_equal(orc_get32(b + 36), 1);
	/* a torn format 1 block is WRONG (bad crc), as it always was */
	memset(b + 1024, 0, 4096 - 1024);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "bad crc"));
	/* a format 2 block there is another format */
	orc_block_fill(b, 4096, 31, a, ia, m.f[a].cur[ia]);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_non_null(strstr(out, "another block size or format"));
	orc_model_free(&m);
	/* format 2 is the default and says so */
	rm_rf(path("w"));
	assert_int_equal(WL(path("w"), "--seed", "31"), 0);
	slurp(path("w/oracle.meta"), out, sizeof(out));
	assert_non_null(strstr(out, "crashtest-oracle 2\n"));
	assert_non_null(strstr(out, "\nformat 2\n"));
	assert_int_equal(VF(path("w"), "--format", "1", "--json"), 3);
	assert_int_equal(jnum("badmeta"), 1);
}

static void test_zeros(void **state)
{
	static const unsigned char z[4096];
	struct orc_model m;
	uint32_t a;
	uint64_t ia;

	(void)state;
	fresh(&m, 13);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	put_block(fpath(&m, a), ia, z, sizeof(z));
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("zeros"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("correct"), (long long)model_blocks(&m) - 1);
	assert_int_equal(VF(path("w"), "--exact"), 3);
	orc_model_free(&m);
}

static void test_garbage(void **state)
{
	unsigned char b[4096], c[4096], good[4096];
	struct orc_model m;
	uint32_t a;
	uint64_t ia, i;

	(void)state;
	fresh(&m, 14);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	get_block(fpath(&m, a), ia, good);

	/* random bytes */
	for (i = 0; i < sizeof(b); i++)
		b[i] = (i * 2654435761u) >> 13;
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "garbage"));

	/* one bit flipped in the payload: bad crc */
	memcpy(b, good, sizeof(b));
	b[2000] ^= 0x10;
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "bad crc"));

	/* a torn block: first half the good one, second half zeros */
	memset(b, 0, sizeof(b));
	memcpy(b, good, 2048);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("torn"), 1);
	/* the same, its second half another file's: WRONG */
	orc_block_fill(c, 4096, 14, a + 1, 0, 1);
	memcpy(b + 2048, c + 2048, 2048);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_int_equal(jnum("torn"), 0);
	assert_non_null(strstr(out, "(piece 4 of 8)"));

	/* the same block of another run (seed) */
	orc_block_fill(b, 4096, 15, a, ia, m.f[a].cur[ia]);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "another run"));

	/* a valid block of the same file, another index */
	orc_block_fill(b, 4096, 14, a, ia + 1, 1);
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "of the same file"));

	/* a header with a crc made to fit but a foreign payload */
	memcpy(b, good, sizeof(b));
	b[3000] ^= 1;	/* in piece 5, whose crc is made to fit */
	orc_put32(b + 2560 + 4, 0);
	orc_put32(b + 2560 + 4, orc_crc32(b + 2560, ORC_PIECE));
	put_block(fpath(&m, a), ia, b, 4096);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), 1);
	assert_non_null(strstr(out, "payload differs"));

	/* repaired: clean again */
	put_block(fpath(&m, a), ia, good, 4096);
	assert_int_equal(VF(path("w"), "--exact"), 0);
	orc_model_free(&m);
}

static void test_truncate(void **state)
{
	struct orc_model m;
	uint32_t a;
	uint64_t ia;

	(void)state;
	fresh(&m, 16);
	/* the largest live file, cut to half its blocks */
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	for (uint32_t i = 0; i < m.nr_files; i++)
		if (m.f[i].live && m.f[i].size > m.f[a].size)
			a = i;
	assert_true(m.f[a].size >= 2);
	assert_int_equal(truncate(fpath(&m, a), m.f[a].size / 2 * 4096), 0);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("size"), 1);
	assert_int_equal(jnum("badsize"), 0);
	assert_int_equal(jnum("blocks"),
			 (long long)(model_blocks(&m) - (m.f[a].size + 1) / 2));
	assert_int_equal(jnum("correct"), jnum("blocks"));
	assert_int_equal(VF(path("w"), "--exact"), 3);
	/* to an odd size: the size was never the workload's */
	assert_int_equal(truncate(fpath(&m, a), 4096 + 100), 0);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("badsize"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("blocks"),
			 (long long)(model_blocks(&m) - m.f[a].size + 2));
	/*
	 * Extended again from there, block 1 would be 100 bytes of data and
	 * zeros: a torn block, WRONG.  From a block boundary, beyond the
	 * largest size the file ever had: only the size is wrong.
	 */
	assert_int_equal(truncate(fpath(&m, a), 8192), 0);
	assert_int_equal(truncate(fpath(&m, a), 4096 + 4000), 0);
	assert_int_equal(truncate(fpath(&m, a), 3 * 4096), 0);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("wrong"), m.f[a].size / 2 >= 2 && m.f[a].cur[1]);
	assert_int_equal(truncate(fpath(&m, a), 4096), 0);
	assert_int_equal(truncate(fpath(&m, a),
				  (m.f[a].max_size + 3) * 4096), 0);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("badsize"), 1);
	assert_int_equal(jnum("wrong"), 0);
	orc_model_free(&m);
}

/* Data blocks of file id among its first n blocks. */
static long long data_blocks(const struct orc_model *m, uint32_t id,
			     uint64_t n)
{
	long long c = 0;
	uint64_t j;

	for (j = 0; j < n && j < m->f[id].size; j++)
		c += m->f[id].cur[j] != 0;
	return c;
}

static void test_swap_names(void **state)
{
	struct orc_model m;
	uint32_t a, b;
	uint64_t i;
	char pa[512], pb[512];
	long long want;

	(void)state;
	fresh(&m, 17);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &i), 0);
	assert_int_equal(find_block(&m, 1, a, &b, &i), 0);
	snprintf(pa, sizeof(pa), "%s", fpath(&m, a));
	snprintf(pb, sizeof(pb), "%s", fpath(&m, b));
	assert_int_equal(rename(pa, path("tmp")), 0);
	assert_int_equal(rename(pb, pa), 0);
	assert_int_equal(rename(path("tmp"), pb), 0);
	/* under a's name, b's data blocks (up to a's largest size); and back */
	want = data_blocks(&m, b, m.f[a].max_size) +
	       data_blocks(&m, a, m.f[b].max_size);
	assert_true(want >= 2);
	assert_int_equal(VF(path("w"), "--json", "-v"), 3);
	assert_int_equal(jnum("wrong"), want);
	assert_int_equal(jnum("badsize"), (m.f[b].size > m.f[a].max_size) +
					  (m.f[a].size > m.f[b].max_size));
	assert_int_equal(jnum("missing") + jnum("unknown"), 0);
	orc_model_free(&m);
}

static void test_names_and_files(void **state)
{
	struct orc_model m;
	uint32_t a, u, i;
	uint64_t j;
	char p[512], q[512];
	unsigned char b[4096];
	int fd;

	(void)state;
	fresh(&m, 18);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &j), 0);

	/* a live file gone: missing, allowed after a crash */
	snprintf(p, sizeof(p), "%s", fpath(&m, a));
	assert_int_equal(rename(p, path("away")), 0);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("missing"), 1);
	assert_int_equal(VF(path("w"), "--exact"), 3);
	assert_int_equal(rename(path("away"), p), 0);

	/* a name the workload never used, a foreign file, a foreign dir */
	fd = open(path("w/o999.0"), O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	close(fd);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("unknown"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(unlink(path("w/o999.0")), 0);
	assert_int_equal(mkdir(path("w/d9"), 0755), 0);
	assert_int_equal(symlink(p, path("w/d1/o998.0")), 0);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_int_equal(jnum("unknown"), 2);
	rm_rf(path("w/d9"));
	assert_int_equal(unlink(path("w/d1/o998.0")), 0);

	/* lost+found entries: counted, allowed (fsck's doing) */
	assert_int_equal(mkdir(path("w/lost+found"), 0755), 0);
	assert_int_equal(VF(path("w"), "--exact"), 0);
	fd = open(path("w/lost+found/#12"), O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("lost"), 1);
	assert_int_equal(VF(path("w"), "--exact"), 3);
	rm_rf(path("w/lost+found"));

	/* an unlinked file back under its last name, with its last data */
	for (u = 0; u < m.nr_files && m.f[u].live; u++)
		;
	assert_true(u < m.nr_files);
	orc_file_path(q, sizeof(q), path("w"), m.f[u].gen_dir[m.f[u].gen], u,
		      m.f[u].gen);
	fd = open(q, O_WRONLY | O_CREAT, 0644);
	assert_true(fd >= 0);
	assert_int_equal(ftruncate(fd, m.f[u].size * 4096), 0);
	for (j = 0; j < m.f[u].size; j++) {
		if (!m.f[u].cur[j])
			continue;
		orc_block_fill(b, 4096, 18, u, j, m.f[u].cur[j]);
		assert_int_equal(pwrite(fd, b, 4096, j * 4096), 4096);
	}
	close(fd);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("resurrected"), 1);
	assert_int_equal(jnum("correct"),
			 (long long)(model_blocks(&m) + m.f[u].size));
	assert_int_equal(VF(path("w"), "--exact"), 3);
	assert_int_equal(unlink(q), 0);

	/* a renamed file under an earlier name; then under both */
	for (i = 0; i < m.nr_files && !(m.f[i].live && m.f[i].gen); i++)
		;
	assert_true(i < m.nr_files);
	orc_file_path(q, sizeof(q), path("w"), m.f[i].gen_dir[0], i, 0);
	snprintf(p, sizeof(p), "%s", fpath(&m, i));
	assert_int_equal(rename(p, q), 0);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("oldname"), 1);
	assert_int_equal(jnum("duplicate"), 0);
	assert_int_equal(link(q, p), 0);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("oldname"), 1);
	assert_int_equal(jnum("duplicate"), 1);
	assert_int_equal(VF(path("w"), "--exact"), 3);
	assert_int_equal(unlink(q), 0);

	/* an odd name is printed escaped, in text and in JSON */
	fd = open(path("w/bad\nname\""), O_WRONLY | O_CREAT, 0644);
	close(fd);
	assert_int_equal(VF(path("w"), "--json"), 3);
	assert_non_null(strstr(out, "bad\\u000aname\\u0022"));
	assert_int_equal(VF(path("w")), 3);
	assert_non_null(strstr(out, "bad\\x0aname\\x22"));
	assert_int_equal(unlink(path("w/bad\nname\"")), 0);

	assert_int_equal(VF(path("w"), "--exact"), 0);
	orc_model_free(&m);
}

/*
 * oracle.meta: options from it; one that disagrees with the command line,
 * or garbled, is stale data after a crash (badmeta, exit 3); its loss or
 * zeros are tolerated (nometa).
 */
static void test_meta(void **state)
{
	int fd;

	(void)state;
	assert_int_equal(WL(path("w"), "--seed", "21", "--files", "4",
			    "--max-blocks", "40", "--dirs", "1"), 0);
	assert_int_equal(VF(path("w"), "--exact"), 0);
	assert_int_equal(VF(path("w"), "--seed", "21", "--files", "4"), 0);
	/* fsync-every does not change the state */
	assert_int_equal(VF(path("w"), "--fsync-every", "2"), 0);

	/* the wrong seed: names of another workload, or its blocks */
	assert_int_equal(VF(path("w"), "--seed", "22", "--json"), 3);
	assert_non_null(strstr(err, "--seed 22 but"));
	assert_non_null(strstr(err, "oracle.meta says 21"));
	assert_int_equal(jnum("badmeta"), 1);
	assert_true(jnum("wrong") + jnum("unknown") > 0);
	assert_int_equal(jnum("correct") + jnum("older"), 0);
	assert_int_equal(VF(path("w"), "--files", "5", "--json"), 3);
	assert_non_null(strstr(err, "says 4"));
	assert_int_equal(jnum("badmeta"), 1);

	/* missing */
	assert_int_equal(unlink(path("w/oracle.meta")), 0);
	assert_int_equal(VF(path("w")), 8);
	assert_non_null(strstr(err, "no --seed, and"));
	assert_non_null(strstr(err, "is missing"));
	assert_int_equal(VF(path("w"), "--seed", "21", "--files", "4",
			    "--max-blocks", "40", "--dirs", "1", "--json"), 0);
	assert_int_equal(jnum("nometa"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("missing"), 0);
	assert_true(jnum("correct") > 10);
	assert_int_equal(jnum("correct"), jnum("blocks"));
	assert_int_equal(VF(path("w"), "--seed", "21", "--files", "4",
			    "--max-blocks", "40", "--dirs", "1", "--exact"), 3);

	/* all zeros (its data never written): as if missing */
	fd = open(path("w/oracle.meta"), O_WRONLY | O_CREAT, 0644);
	assert_int_equal(ftruncate(fd, 4096), 0);
	close(fd);
	assert_int_equal(VF(path("w"), "--seed", "21", "--files", "4",
			    "--max-blocks", "40", "--dirs", "1", "--json"), 0);
	assert_int_equal(jnum("nometa"), 1);
	assert_int_equal(jnum("badmeta"), 0);
	assert_int_equal(jnum("missing"), 0);
	assert_int_equal(jnum("correct"), jnum("blocks"));
	assert_int_equal(VF(path("w")), 8);
	assert_non_null(strstr(err, "empty or all zeros"));

	/* garbled: a warning, badmeta, exit 3; the blocks are still checked */
	fd = open(path("w/oracle.meta"), O_WRONLY | O_TRUNC, 0644);
	assert_int_equal(write(fd, "\0\0garbage", 9), 9);
	close(fd);
	assert_int_equal(VF(path("w"), "--seed", "21", "--files", "4",
			    "--max-blocks", "40", "--dirs", "1", "--json"), 3);
	assert_non_null(strstr(err, "not an oracle.meta"));
	assert_int_equal(jnum("badmeta"), 1);
	assert_int_equal(jnum("wrong"), 0);
	assert_int_equal(jnum("correct"), jnum("blocks"));
	/* a directory with only such a file is still taken for a workload */
	rm_rf(path("w/d1"));
	assert_int_equal(VF(path("w"), "--seed", "1", "--json"), 3);
	assert_int_equal(jnum("badmeta"), 1);
}

static void test_bad_args(void **state)
{
	static const struct {
		int workload;
		const char *args[6];
		const char *msg;
	} t[] = {
		{ 1, { "--seed", "1", NULL }, "no DIR" },
		{ 1, { "@", NULL }, "--seed is required" },
		{ 1, { "@", "--seed", NULL }, "--seed needs a value" },
		{ 1, { "@", "--seed", "-1", NULL }, "expected a number" },
		{ 1, { "@", "--seed", "1x", NULL }, "expected a number" },
		{ 1, { "@", "--seed", "", NULL }, "expected a number" },
		{ 1, { "@", "--seed", "18446744073709551616", NULL }, "expected a number" },
		{ 1, { "@", "--seed", "1", "--seed", "2", NULL }, "given twice" },
		{ 1, { "@", "--seed", "1", "--files", "0", NULL }, "from 1 to" },
		{ 1, { "@", "--seed", "1", "--block-size", "1000", NULL }, "power of two" },
		{ 1, { "@", "--seed", "1", "--block-size", "256", NULL }, "from 512" },
		{ 1, { "@", "--seed", "1", "--dirs", "65", NULL }, "from 0 to 64" },
		{ 1, { "@", "--seed", "1", "--bogus", NULL }, "unknown option '--bogus'" },
		{ 1, { "@", "--seed", "1", "-q", NULL }, "unknown option '-q'" },
		{ 1, { "@", "--seed", "1", "--json", NULL }, "option of verify" },
		{ 1, { "@", "@", "--seed", "1", NULL }, "unexpected argument" },
		{ 0, { NULL }, "no DIR" },
		{ 0, { "@", "--dry-run", NULL }, "option of workload" },
		{ 0, { "@", "--ops", "x", NULL }, "expected a number" },
		{ 0, { "/nonexistent/dir", "--seed", "1", NULL }, "No such file" },
		{ 0, { "/dev/null", "--seed", "1", NULL }, "Not a directory" },
	};
	size_t i, k;

	(void)state;
	for (i = 0; i < sizeof(t) / sizeof(t[0]); i++) {
		const char *a[8] = { NULL };
		int r;

		for (k = 0; t[i].args[k]; k++)
			a[k] = strcmp(t[i].args[k], "@") ? t[i].args[k] :
			       path("x");
		r = call(t[i].workload ? oracle_workload_main :
			 oracle_verify_main, t[i].workload ? "workload" : "verify",
			 a[0], a[1], a[2], a[3], a[4], a[5], NULL);
		if (r != 8 || !strstr(err, t[i].msg))
			print_error("case %zu: exit %d, stderr '%s', want '%s'\n",
				    i, r, err, t[i].msg);
		assert_int_equal(r, 8);
		assert_non_null(strstr(err, t[i].msg));
		assert_int_equal(access(path("x"), F_OK), -1);
	}
	/* --help: usage, exit 0 */
	assert_int_equal(WL("--help"), 0);
	assert_non_null(strstr(err, "usage: crashtest workload"));

	/* the workload needs a new or empty directory */
	assert_int_equal(mkdir(path("x"), 0755), 0);
	assert_int_equal(mkdir(path("x/lost+found"), 0755), 0);
	assert_int_equal(WL(path("x"), "--seed", "3", "--ops", "20"), 0);
	assert_int_equal(WL(path("x"), "--seed", "3", "--ops", "20"), 8);
	assert_non_null(strstr(err, "not empty"));
	assert_int_equal(WL(path("x/lost+found/no/such"), "--seed", "3"), 8);
	assert_non_null(strstr(err, "cannot create"));

	/* verify of a directory that holds no workload */
	assert_int_equal(mkdir(path("y"), 0755), 0);
	assert_int_equal(mkdir(path("y/etc"), 0755), 0);
	assert_int_equal(VF(path("y"), "--seed", "3"), 8);
	assert_non_null(strstr(err, "not a workload directory"));
	/* an empty one: everything lost, allowed (missing) */
	rm_rf(path("y/etc"));
	assert_int_equal(VF(path("y"), "--seed", "3", "--ops", "20", "--json"),
			 0);
	assert_true(jnum("missing") > 0);
	assert_int_equal(jnum("blocks"), 0);
}

static void test_unreadable(void **state)
{
	struct orc_model m;
	uint32_t a;
	uint64_t ia;

	(void)state;
	if (geteuid() == 0)
		skip();		/* root reads a mode 000 file */
	fresh(&m, 19);
	assert_int_equal(find_block(&m, 1, UINT32_MAX, &a, &ia), 0);
	assert_int_equal(chmod(fpath(&m, a), 0), 0);
	assert_int_equal(VF(path("w"), "--json"), 0);
	assert_int_equal(jnum("unreadable"), 1);
	assert_int_equal(VF(path("w"), "--exact"), 3);
	orc_model_free(&m);
}

static void test_direct(void **state)
{
	(void)state;
	if (WL(path("w"), "--seed", "23", "--direct", "--ops", "100")) {
		if (strstr(err, "Invalid argument"))
			skip();		/* no O_DIRECT on this file system */
		fail_msg("workload --direct: %s", err);
	}
	assert_int_equal(VF(path("w"), "--direct", "--exact"), 0);
	assert_int_equal(VF(path("w"), "--exact"), 0);
}

/* An operation that fails: exit 1, and the message names it. */
static void test_workload_fails(void **state)
{
	struct rlimit rl = { 8192, 8192 };
	int st, fd;
	pid_t pid;

	(void)state;
	fflush(stdout);
	fflush(stderr);
	pid = fork();
	assert_true(pid >= 0);
	if (!pid) {
		/* files may not grow past 8 KiB: a write fails with EFBIG */
		signal(SIGXFSZ, SIG_IGN);
		setrlimit(RLIMIT_FSIZE, &rl);
		fd = open(path("err"), O_WRONLY | O_CREAT | O_TRUNC, 0600);
		dup2(fd, 2);
		_exit(oracle_workload_main(4, (char *[]){ "workload", path("w"),
					   "--seed=3", "--max-blocks=64", NULL }));
	}
	assert_int_equal(waitpid(pid, &st, 0), pid);
	assert_true(WIFEXITED(st));
	assert_int_equal(WEXITSTATUS(st), 1);
	slurp(path("err"), err, sizeof(err));
	assert_non_null(strstr(err, "crashtest workload: op "));
	assert_non_null(strstr(err, "File too large"));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_crc32),
		cmocka_unit_test(test_block_format),
		cmocka_unit_test(test_names),
		cmocka_unit_test(test_generator),
		cmocka_unit_test(test_piece_decode),
		cmocka_unit_test(test_classify),
		cmocka_unit_test(test_durable_floors),
		cmocka_unit_test_setup_teardown(test_clean, setup, teardown),
		cmocka_unit_test_setup_teardown(test_determinism, setup, teardown),
		cmocka_unit_test_setup_teardown(test_extend_past_capacity, setup, teardown),
		cmocka_unit_test_setup_teardown(test_other_files_block, setup, teardown),
		cmocka_unit_test_setup_teardown(test_older, setup, teardown),
		cmocka_unit_test_setup_teardown(test_durable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_format1, setup, teardown),
		cmocka_unit_test_setup_teardown(test_zeros, setup, teardown),
		cmocka_unit_test_setup_teardown(test_garbage, setup, teardown),
		cmocka_unit_test_setup_teardown(test_truncate, setup, teardown),
		cmocka_unit_test_setup_teardown(test_swap_names, setup, teardown),
		cmocka_unit_test_setup_teardown(test_names_and_files, setup, teardown),
		cmocka_unit_test_setup_teardown(test_meta, setup, teardown),
		cmocka_unit_test_setup_teardown(test_bad_args, setup, teardown),
		cmocka_unit_test_setup_teardown(test_unreadable, setup, teardown),
		cmocka_unit_test_setup_teardown(test_direct, setup, teardown),
		cmocka_unit_test_setup_teardown(test_workload_fails, setup, teardown),
	};

	return cmocka_run_group_tests_name("oracle", tests, NULL, NULL);
}
