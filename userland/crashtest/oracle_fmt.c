// SPDX-License-Identifier: GPL-2.0-only
/*
 * crashtest's data oracle: the block format (crashtest-oracle(8), BLOCKS).
 *
 * Format 2 (the default): every 512-byte piece of a block names its run,
 * file id, block index, version and its own place in the block, with a
 * crc32 of the piece, so that a block torn between writes (a file system
 * of 1 KiB blocks keeps some of the four that hold a 4 KiB oracle block)
 * is told apart, piece by piece, from another file's data or garbage.
 * Format 1 (runs of older crashtest): one header for the whole block and
 * one crc over it.
 */
#include <inttypes.h>
#include <stdio.h>
#include <string.h>

#include "oracle_int.h"

#define ORC_TEXT_OFF	40	/* format 1: the text line */
#define ORC_PTEXT_OFF	48	/* format 2: the text line of a piece */

/* ---- crc32 (IEEE 802.3, as zlib's crc32()) ---------------------------- */

static uint32_t orc_crc_table[256];

static void orc_crc_init(void)
{
	uint32_t c;
	int i, k;

	if (orc_crc_table[1])
		return;
	for (i = 0; i < 256; i++) {
		c = i;
		for (k = 0; k < 8; k++)
			c = c & 1 ? 0xedb88320u ^ (c >> 1) : c >> 1;
		orc_crc_table[i] = c;
	}
}

uint32_t orc_crc32(const unsigned char *p, size_t n)
{
	uint32_t c = 0xffffffffu;

	orc_crc_init();
	while (n--)
		c = orc_crc_table[(c ^ *p++) & 0xff] ^ (c >> 8);
	return c ^ 0xffffffffu;
}

/* crc32 of n bytes at p as if the 4 bytes at p + 4 were zero. */
static uint32_t orc_crc32_hole(const unsigned char *p, size_t n)
{
	static const unsigned char z[4];
	uint32_t c = 0xffffffffu;
	size_t i;

	orc_crc_init();
	for (i = 0; i < n; i++) {
		unsigned char x = i >= 4 && i < 8 ? z[i - 4] : p[i];

		c = orc_crc_table[(c ^ x) & 0xff] ^ (c >> 8);
	}
	return c ^ 0xffffffffu;
}

/* ---- splitmix64: the generator's numbers and the payloads ------------- */

uint64_t orc_sm64(uint64_t *s)
{
	uint64_t z = (*s += 0x9e3779b97f4a7c15ULL);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
	return z ^ (z >> 31);
}

/* ---- little-endian fields ------------------------------------------------ */

void orc_put32(unsigned char *p, uint32_t v)
{
	p[0] = v;
	p[1] = v >> 8;
	p[2] = v >> 16;
	p[3] = v >> 24;
}

void orc_put64(unsigned char *p, uint64_t v)
{
	orc_put32(p, v);
	orc_put32(p + 4, v >> 32);
}

uint32_t orc_get32(const unsigned char *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (uint32_t)p[3] << 24;
}

uint64_t orc_get64(const unsigned char *p)
{
	return orc_get32(p) | (uint64_t)orc_get32(p + 4) << 32;
}

int orc_all_zero(const unsigned char *b, size_t n)
{
	size_t i;

	for (i = 0; i < n; i++)
		if (b[i])
			return 0;
	return 1;
}

/* ---- format 2: self-identifying pieces ------------------------------------ */

/* The payload seed of a piece: every one of the five numbers counts. */
static uint64_t orc_piece_seed(uint64_t run, uint32_t id, uint64_t index,
			       uint32_t version, uint32_t piece)
{
	return run * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id << 40 ^
	       index * 0xc2b2ae3d27d4eb4fULL ^ version ^
	       (uint64_t)piece * 0x165667b19e3779f9ULL;
}

/*
 * Piece number piece (its offset / 512) of the block (run, id, index,
 * version) of size bs, 512 bytes:
 *   0 magic "CTOB"   4 crc32 (of the piece with this field 0)   8 run
 *  16 file id   20 version   24 index (u64)   32 block size   36 format 2
 *  40 piece number   44 zero
 *  48 a text line naming the same, zero-padded to 128
 * 128 payload: splitmix64 of a hash of the five numbers
 */
void orc_piece_fill(unsigned char *p, uint64_t bs, uint64_t run, uint32_t id,
		    uint64_t index, uint32_t version, uint32_t piece)
{
	uint64_t s = orc_piece_seed(run, id, index, version, piece);
	size_t i;

	memset(p, 0, ORC_HDR_SIZE);
	orc_put32(p, ORC_MAGIC);
	orc_put64(p + 8, run);
	orc_put32(p + 16, id);
	orc_put32(p + 20, version);
	orc_put64(p + 24, index);
	orc_put32(p + 32, bs);
	orc_put32(p + 36, ORC_FMT_PIECE);
	orc_put32(p + 40, piece);
	snprintf((char *)p + ORC_PTEXT_OFF, ORC_HDR_SIZE - ORC_PTEXT_OFF,
		 "crashtest-oracle file %" PRIu32 " block %" PRIu64 " version %" PRIu32 " piece %" PRIu32 "\n",
		 id, index, version, piece);
	for (i = ORC_HDR_SIZE; i < ORC_PIECE; i += 8)
		orc_put64(p + i, orc_sm64(&s));
	orc_put32(p + 4, orc_crc32(p, ORC_PIECE));
}

/*
 * What the 512 bytes at p are, read where piece number piece of a block of
 * size bs should be.  *h gets what the piece claims from ORC_P_CRC on.
 */
enum orc_pstate orc_piece_decode(const unsigned char *p, uint64_t bs,
				 uint32_t piece, struct orc_hdr *h)
{
	unsigned char want[ORC_PIECE];

	memset(h, 0, sizeof(*h));
	if (orc_all_zero(p, ORC_PIECE))
		return ORC_P_ZERO;
	if (orc_get32(p) != ORC_MAGIC)
		return ORC_P_GARBAGE;
	if (orc_get32(p + 32) != bs || orc_get32(p + 36) != ORC_FMT_PIECE)
		return ORC_P_FORMAT;
	h->run = orc_get64(p + 8);
	h->id = orc_get32(p + 16);
	h->version = orc_get32(p + 20);
	h->index = orc_get64(p + 24);
	h->piece = orc_get32(p + 40);
	if (orc_crc32_hole(p, ORC_PIECE) != orc_get32(p + 4))
		return ORC_P_CRC;
	if (h->piece >= bs / ORC_PIECE)
		return ORC_P_PAYLOAD;
	orc_piece_fill(want, bs, h->run, h->id, h->index, h->version,
		       h->piece);
	if (memcmp(want, p, ORC_PIECE))
		return ORC_P_PAYLOAD;
	return h->piece == piece ? ORC_P_VALID : ORC_P_PLACE;
}

/* The block (run, id, index, version) of size bs: bs / 512 pieces. */
void orc_block_fill(unsigned char *b, uint64_t bs, uint64_t run, uint32_t id,
		    uint64_t index, uint32_t version)
{
	uint32_t i;

	for (i = 0; i < bs / ORC_PIECE; i++)
		orc_piece_fill(b + (size_t)i * ORC_PIECE, bs, run, id, index,
			       version, i);
}

/* ---- format 1: one header a block ------------------------------------------ */

/*
 * The block (run, id, index, version) of size bs:
 *   0 magic "CTOB"   4 crc32 (of the block with this field 0)   8 run
 *  16 file id   20 version   24 index (u64)   32 block size   36 format 1
 *  40 a text line naming the same, zero-padded to 128
 * 128 payload: splitmix64 of a hash of the four numbers
 */
void orc_block_fill_v1(unsigned char *b, uint64_t bs, uint64_t run,
		       uint32_t id, uint64_t index, uint32_t version)
{
	uint64_t s, i;

	memset(b, 0, ORC_HDR_SIZE);
	orc_put32(b, ORC_MAGIC);
	orc_put64(b + 8, run);
	orc_put32(b + 16, id);
	orc_put32(b + 20, version);
	orc_put64(b + 24, index);
	orc_put32(b + 32, bs);
	orc_put32(b + 36, ORC_FMT_BLOCK);
	snprintf((char *)b + ORC_TEXT_OFF, ORC_HDR_SIZE - ORC_TEXT_OFF,
		 "crashtest-oracle file %" PRIu32 " block %" PRIu64 " version %" PRIu32 "\n",
		 id, index, version);
	s = run * 0x9e3779b97f4a7c15ULL ^ (uint64_t)id << 40 ^
	    index * 0xc2b2ae3d27d4eb4fULL ^ version;
	for (i = ORC_HDR_SIZE; i < bs; i += 8)
		orc_put64(b + i, orc_sm64(&s));
	orc_put32(b + 4, orc_crc32(b, bs));
}

void orc_block_fill_fmt(unsigned char *b, uint64_t bs, uint32_t fmt,
			uint64_t run, uint32_t id, uint64_t index,
			uint32_t version)
{
	if (fmt == ORC_FMT_BLOCK)
		orc_block_fill_v1(b, bs, run, id, index, version);
	else
		orc_block_fill(b, bs, run, id, index, version);
}
