/* SPDX-License-Identifier: GPL-2.0-only */
/*
 * crashtest's data oracle, inside (crashtest-oracle(8)).  The files, each
 * leaning only on those above it:
 *
 *   oracle_fmt.c       crc32, splitmix64 and the block format: 512-byte
 *                      self-identifying pieces (format 2), whole-block
 *                      headers (format 1)
 *   oracle_gen.c       options, the model of every file and the seeded
 *                      generator of operations
 *   oracle_opts.c      names and paths, oracle.meta, command lines
 *   oracle_class.c     classification of one block against the model, and
 *                      the durability floors (what fsync made durable
 *                      before the crash)
 *   oracle_workload.c  crashtest workload: carry the operations out
 *   oracle_verify.c    crashtest verify: walk, count, report
 */
#ifndef CRASHTEST_ORACLE_INT_H
#define CRASHTEST_ORACLE_INT_H

#include <stddef.h>
#include <stdint.h>

#define ORC_EXIT_OK	0
#define ORC_EXIT_FAIL	1	/* workload: an operation failed */
#define ORC_EXIT_WRONG	3	/* verify: wrong data (crashtest's checker code) */
#define ORC_EXIT_USAGE	8	/* bad arguments, DIR missing, not a workload */

#define ORC_MAX_RUN	8	/* blocks per write operation, at most */
#define ORC_LIST_MAX	10	/* WRONG/TORN blocks and anomalies listed (not -v) */
#define ORC_META	"oracle.meta"

/* ---- oracle_fmt.c: the block format -------------------------------------- */

#define ORC_MAGIC	0x424f5443u	/* "CTOB" little-endian */
#define ORC_FMT_BLOCK	1	/* one header a block (old runs) */
#define ORC_FMT_PIECE	2	/* one header every 512 bytes */
#define ORC_FMT_LAST	ORC_FMT_PIECE
#define ORC_PIECE	512	/* bytes a piece, format 2 */
#define ORC_HDR_SIZE	128	/* header (binary + text line) of a block/piece */

/* What one piece (format 2) or one block header (format 1) says. */
struct orc_hdr {
	uint64_t run, index;
	uint32_t id, version;
	uint32_t piece;		/* format 2: its place in the block */
};

/* What a decoded piece is. */
enum orc_pstate {
	ORC_P_VALID,	/* header, crc and payload agree */
	ORC_P_ZERO,	/* all zero */
	ORC_P_GARBAGE,	/* no magic */
	ORC_P_FORMAT,	/* another block size or format */
	ORC_P_CRC,	/* bad crc (hdr holds what it claims) */
	ORC_P_PAYLOAD,	/* crc fits, payload does not (hdr: its claim) */
	ORC_P_PLACE,	/* a valid piece at another offset in the block */
};

uint32_t orc_crc32(const unsigned char *p, size_t n);
uint64_t orc_sm64(uint64_t *s);
void orc_put32(unsigned char *p, uint32_t v);
void orc_put64(unsigned char *p, uint64_t v);
uint32_t orc_get32(const unsigned char *p);
uint64_t orc_get64(const unsigned char *p);
int orc_all_zero(const unsigned char *b, size_t n);
void orc_piece_fill(unsigned char *p, uint64_t bs, uint64_t run, uint32_t id,
		    uint64_t index, uint32_t version, uint32_t piece);
enum orc_pstate orc_piece_decode(const unsigned char *p, uint64_t bs,
				 uint32_t piece, struct orc_hdr *h);
void orc_block_fill(unsigned char *b, uint64_t bs, uint64_t run, uint32_t id,
		    uint64_t index, uint32_t version);
void orc_block_fill_v1(unsigned char *b, uint64_t bs, uint64_t run,
		       uint32_t id, uint64_t index, uint32_t version);
void orc_block_fill_fmt(unsigned char *b, uint64_t bs, uint32_t fmt,
			uint64_t run, uint32_t id, uint64_t index,
			uint32_t version);

/* ---- oracle_gen.c: options, model, generator ------------------------------ */

/* What the expected state depends on: the generator's whole input. */
struct orc_opts {
	uint64_t seed;
	uint64_t files;		/* live files at most */
	uint64_t max_blocks;	/* file size limit, in blocks */
	uint64_t ops;
	uint64_t block_size;
	uint64_t dirs;		/* subdirectories d1..dN beside DIR itself */
	uint64_t fsync_every;	/* workload: not part of the state; verify:
				 * what it made durable */
	uint64_t format;	/* block format, ORC_FMT_* */
};

enum {
	ORC_O_SEED, ORC_O_FILES, ORC_O_MAXB, ORC_O_OPS, ORC_O_BS, ORC_O_DIRS,
	ORC_O_FSYNC, ORC_O_FORMAT, ORC_NR_NUM,
};

struct orc_numopt {
	const char *name;
	size_t off;
	uint64_t min, max;
	int state;		/* part of the state: checked against oracle.meta */
};

extern const struct orc_opts orc_defaults;
extern const struct orc_numopt orc_numopts[ORC_NR_NUM];

enum orc_kind {
	ORC_CREATE, ORC_OVERWRITE, ORC_APPEND, ORC_EXTEND, ORC_TRUNCATE,
	ORC_RENAME, ORC_UNLINK, ORC_FSYNC, ORC_FDATASYNC, ORC_SYNC,
	ORC_DIRFSYNC, ORC_NR_KINDS,
};

extern const char *const orc_kind_name[ORC_NR_KINDS];

/* One file id: what the workload did to it, up to now. */
struct orc_file {
	int live;		/* exists (not unlinked) */
	uint32_t gen;		/* current name: o<id>.<gen> */
	uint32_t nr_gens;	/* names it has had: gens 0..nr_gens-1 */
	uint8_t *gen_dir;	/* the directory of each name */
	uint64_t size;		/* blocks */
	uint64_t max_size;	/* the largest size it ever had, blocks */
	uint64_t cap;		/* entries in cur[] and max[] */
	uint32_t *cur;		/* version each block holds now, 0 = hole */
	uint32_t *max;		/* highest version ever written there */
	uint32_t found;		/* verify: names found for it */
	uint32_t *seen;		/* verify: highest version found on disk */
	uint32_t *floor;	/* verify: version durable before the crash */
};

struct orc_model {
	struct orc_opts o;
	uint64_t rng;
	struct orc_file *f;	/* indexed by id */
	uint32_t nr_files, cap_files;
	uint32_t *live;		/* ids of the live files, in a fixed order */
	uint32_t nr_live;
	uint64_t nr_ops;	/* generated so far */
	uint64_t count[ORC_NR_KINDS];
	uint64_t blocks_written;
};

/* One operation, as generated (the model already reflects it). */
struct orc_op {
	enum orc_kind kind;
	uint32_t id;
	uint32_t gen, dir;		/* the file's name before the op */
	uint32_t new_gen, new_dir;	/* rename */
	uint64_t start, count;		/* blocks written */
	uint64_t old_size, new_size;	/* blocks */
	int by_truncate;		/* extend: ftruncate instead of a write */
};

uint64_t *orc_field(struct orc_opts *o, int i);
int orc_parse_u64(const char *s, uint64_t *v);
int orc_set_num(const char *cmd, struct orc_opts *o, int i, const char *arg);
uint64_t orc_min(uint64_t a, uint64_t b);
void *orc_xrealloc(void *p, size_t n);
char *orc_strdup(const char *s);
void orc_model_init(struct orc_model *m, const struct orc_opts *o);
void orc_model_free(struct orc_model *m);
void orc_next(struct orc_model *m, struct orc_op *op);
void orc_model_build(struct orc_model *m, const struct orc_opts *o);
int orc_op_syncs_file(const struct orc_model *m, const struct orc_op *op);

/* ---- oracle_opts.c: names, oracle.meta, command lines --------------------- */

struct orc_args {
	const char *cmd;
	const char *dir;
	struct orc_opts o;
	int given[ORC_NR_NUM];
	int direct, verbose, json, exact, dry_run;
};

void orc_dir_path(char *buf, size_t n, const char *root, uint32_t dir);
void orc_file_path(char *buf, size_t n, const char *root, uint32_t dir,
		   uint32_t id, uint32_t gen);
const char *orc_rel(char *buf, size_t n, uint32_t dir, uint32_t id,
		    uint32_t gen);
int orc_parse_name(const char *s, uint32_t *id, uint32_t *gen);
uint32_t orc_parse_dir(const char *s);
const char *orc_meta_text(const struct orc_opts *o, char *buf, size_t n);
int orc_meta_read(int dirfd, struct orc_opts *o, int *given);
int orc_usage(const char *cmd);
int orc_parse_args(struct orc_args *a, int argc, char **argv, int workload);
int orc_check_args(struct orc_args *a);
int orc_read_dir(int dirfd, char ***names, size_t *n);

/* ---- oracle_class.c: one block against the model; durability --------------- */

enum orc_class {
	ORC_CORRECT, ORC_OLDER, ORC_ZEROS, ORC_IOERROR, ORC_TORN, ORC_WRONG,
	ORC_NR_CLASS,
};

extern const char *const orc_class_name[ORC_NR_CLASS];

/* What the durability floors rest on (oracle_class.c). */
struct orc_durable {
	uint64_t witness;	/* the latest op whose data was found, 0: none */
	uint64_t syncs;		/* fsyncs (and syncs) done before it */
};

enum orc_class orc_classify(const struct orc_model *m, uint32_t id,
			    uint64_t index, const unsigned char *b, size_t n,
			    unsigned char *scratch, char *why, size_t wn);
void *orc_zalloc(size_t n, size_t size);
void orc_seen_block(struct orc_model *m, const unsigned char *b, size_t n);
void orc_durable_floors(struct orc_model *m, struct orc_durable *d);

#endif /* CRASHTEST_ORACLE_INT_H */
