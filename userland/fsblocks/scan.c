// SPDX-License-Identifier: GPL-2.0-only
/*
 * fsblocks: reading the block-type map of an ext2/ext3/ext4 file system
 * with libext2fs.
 *
 * Group metadata comes from the group descriptors: superblock and GDT
 * copies (ext2fs_super_and_bgd_loc2() knows sparse_super, sparse_super2
 * and meta_bg), reserved GDT blocks, bitmaps and inode tables wherever
 * flex_bg put them.  Everything else comes from one inode scan: each
 * in-use inode's blocks, typed by what the inode is, with the mapping
 * blocks (indirect blocks, extent-tree blocks outside the inode) apart.
 *
 * The disk is untrusted: every block number is checked against the file
 * system size before it enters the map, and an inode that cannot be read
 * or mapped is reported and left out rather than ending the scan.
 */
#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <et/com_err.h>
#include <ext2fs/ext2_err.h>
#include <ext2fs/ext2_fs.h>
#include <ext2fs/ext2fs.h>

#include "fsblocks.h"

/* Per-inode problems printed before we only count them. */
#define FSB_MAX_WARNINGS	20

struct fsb_scan {
	ext2_filsys fs;
	const char *path;
	struct fsb_map *map;
	struct fsb_fs_info *info;
	ext2_ino_t ino;			/* inode being mapped, 0 for groups */
	enum fsb_type data_type;	/* type of that inode's data blocks */
	int oom;
};

static void fsb_warn(struct fsb_scan *s, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void fsb_warn(struct fsb_scan *s, const char *fmt, ...)
{
	va_list ap;

	if (s->info->problems++ >= FSB_MAX_WARNINGS) {
		if (s->info->problems == FSB_MAX_WARNINGS + 1)
			fprintf(stderr, "%s: %s: further problems are only counted\n",
				FSB_PROG, s->path);
		return;
	}
	fprintf(stderr, "%s: %s: ", FSB_PROG, s->path);
	if (s->ino)
		fprintf(stderr, "inode %u: ", s->ino);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
}

/* Adds a run after checking that it lies inside the file system. */
static void fsb_add(struct fsb_scan *s, blk64_t start, blk64_t len,
		    enum fsb_type type)
{
	blk64_t total = ext2fs_blocks_count(s->fs->super);

	if (!len)
		return;
	if (start >= total || len > total - start) {
		fsb_warn(s, "%s block %llu (+%llu) is outside the file system (%llu blocks); left out",
			 fsb_type_name(type), (unsigned long long)start,
			 (unsigned long long)len, (unsigned long long)total);
		return;
	}
	if (fsb_map_add(s->map, start, len, type))
		s->oom = 1;
}

static void fsb_scan_group(struct fsb_scan *s, dgrp_t g)
{
	ext2_filsys fs = s->fs;
	struct ext2_super_block *sb = fs->super;
	blk64_t super, old_desc, new_desc, gdt_blocks;
	blk_t used;

	ext2fs_super_and_bgd_loc2(fs, g, &super, &old_desc, &new_desc, &used);
	/* Group 0 of a 4 KiB file system has its superblock in block 0. */
	if (super || g == 0)
		fsb_add(s, super, 1, FSB_SUPER);
	if (old_desc) {
		gdt_blocks = fs->desc_blocks;
		if (ext2fs_has_feature_meta_bg(sb) &&
		    sb->s_first_meta_bg < gdt_blocks)
			gdt_blocks = sb->s_first_meta_bg;
		fsb_add(s, old_desc, gdt_blocks, FSB_GDT);
		if (!ext2fs_has_feature_meta_bg(sb))
			fsb_add(s, old_desc + gdt_blocks,
				sb->s_reserved_gdt_blocks, FSB_RESGDT);
	}
	if (new_desc)
		fsb_add(s, new_desc, 1, FSB_GDT);

	fsb_add(s, ext2fs_block_bitmap_loc(fs, g), 1, FSB_BBITMAP);
	fsb_add(s, ext2fs_inode_bitmap_loc(fs, g), 1, FSB_IBITMAP);
	fsb_add(s, ext2fs_inode_table_loc(fs, g), fs->inode_blocks_per_group,
		FSB_ITABLE);
}

static int fsb_block_cb(ext2_filsys fs, blk64_t *blocknr, e2_blkcnt_t blockcnt,
			blk64_t ref_blk, int ref_offset, void *priv)
{
	struct fsb_scan *s = priv;

	(void)fs;
	(void)ref_blk;
	(void)ref_offset;
	fsb_add(s, *blocknr, 1, blockcnt < 0 ? FSB_INDIRECT : s->data_type);
	return s->oom ? BLOCK_ABORT : 0;
}

/* Walks an extent-mapped inode: leaves are data, inner nodes indirect. */
static void fsb_scan_extents(struct fsb_scan *s, struct ext2_inode *inode)
{
	ext2_extent_handle_t handle;
	struct ext2fs_extent ext;
	errcode_t err;
	int op = EXT2_EXTENT_ROOT;

	err = ext2fs_extent_open2(s->fs, s->ino, inode, &handle);
	if (err) {
		fsb_warn(s, "cannot read its extent tree: %s; left out",
			 error_message(err));
		return;
	}
	while (!s->oom) {
		err = ext2fs_extent_get(handle, op, &ext);
		if (err)
			break;
		op = EXT2_EXTENT_NEXT;
		if (ext.e_flags & EXT2_EXTENT_FLAGS_SECOND_VISIT)
			continue;
		if (ext.e_flags & EXT2_EXTENT_FLAGS_LEAF)
			fsb_add(s, ext.e_pblk, ext.e_len, s->data_type);
		else
			fsb_add(s, ext.e_pblk, 1, FSB_INDIRECT);
	}
	if (err && err != EXT2_ET_EXTENT_NO_NEXT)
		fsb_warn(s, "extent tree walk stopped: %s; rest left out",
			 error_message(err));
	ext2fs_extent_free(handle);
}

static void fsb_scan_inode(struct fsb_scan *s, struct ext2_inode *inode)
{
	struct ext2_super_block *sb = s->fs->super;
	blk64_t acl;
	errcode_t err;

	switch (s->ino) {
	case EXT2_BAD_INO:
		/* Its "blocks" are the bad ones; nothing to inject there. */
		return;
	case EXT2_RESIZE_INO:
		/*
		 * Its indirect blocks are the reserved GDT blocks, its data
		 * their backups: both are typed from the geometry.  Only the
		 * double indirect block is its own.
		 */
		if (inode->i_block[EXT2_DIND_BLOCK])
			fsb_add(s, inode->i_block[EXT2_DIND_BLOCK], 1,
				FSB_INDIRECT);
		return;
	}
	if (!inode->i_links_count && s->ino >= EXT2_FIRST_INO(sb))
		return;

	acl = ext2fs_file_acl_block(s->fs, inode);
	if (acl)
		fsb_add(s, acl, 1, FSB_XATTR);

	/* False for devices, fast symlinks and inline data. */
	if (!ext2fs_inode_has_valid_blocks2(s->fs, inode))
		return;

	if (ext2fs_has_feature_journal(sb) && s->ino == sb->s_journal_inum)
		s->data_type = FSB_JOURNAL;
	else if (LINUX_S_ISDIR(inode->i_mode))
		s->data_type = FSB_DIR;
	else if (inode->i_flags & EXT4_EA_INODE_FL)
		s->data_type = FSB_XATTR;
	else
		s->data_type = FSB_DATA;

	if (inode->i_flags & EXT4_EXTENTS_FL) {
		fsb_scan_extents(s, inode);
		return;
	}
	err = ext2fs_block_iterate3(s->fs, s->ino, BLOCK_FLAG_READ_ONLY, NULL,
				    fsb_block_cb, s);
	if (err && !s->oom)
		fsb_warn(s, "cannot map its blocks: %s; left out",
			 error_message(err));
}

static int fsb_scan_inodes(struct fsb_scan *s)
{
	struct ext2_inode *inode;
	ext2_inode_scan scan;
	int size = EXT2_INODE_SIZE(s->fs->super);
	errcode_t err;
	int ret = -1;

	inode = malloc(size);
	if (!inode) {
		s->oom = 1;
		return -1;
	}
	err = ext2fs_open_inode_scan(s->fs, 0, &scan);
	if (err) {
		fprintf(stderr, "%s: %s: cannot scan inodes: %s\n", FSB_PROG,
			s->path, error_message(err));
		goto out_free;
	}
	ext2fs_inode_scan_flags(scan, EXT2_SF_SKIP_MISSING_ITABLE, 0);
	while (!s->oom) {
		s->ino = 0;
		err = ext2fs_get_next_inode_full(scan, &s->ino, inode, size);
		if (err == EXT2_ET_BAD_BLOCK_IN_INODE_TABLE)
			continue;
		if (err == EXT2_ET_INODE_CSUM_INVALID ||
		    err == EXT2_ET_INODE_IS_GARBAGE) {
			fsb_warn(s, "%s; left out", error_message(err));
			continue;
		}
		if (err) {
			s->ino = 0;
			fprintf(stderr, "%s: %s: inode scan failed: %s\n",
				FSB_PROG, s->path, error_message(err));
			goto out_close;
		}
		if (!s->ino)
			break;
		fsb_scan_inode(s, inode);
	}
	s->ino = 0;
	ret = s->oom ? -1 : 0;
out_close:
	ext2fs_close_inode_scan(scan);
out_free:
	free(inode);
	return ret;
}

/* Opens @path and checks what the rest of the scan relies on. */
static int fsb_open(const char *path, ext2_filsys *fsp)
{
	ext2_filsys fs;
	blk64_t dev_blocks;
	errcode_t err;

	err = ext2fs_open2(path, NULL, EXT2_FLAG_64BITS, 0, 0, unix_io_manager,
			   &fs);
	if (err) {
		fprintf(stderr, "%s: %s: cannot open as ext2/ext3/ext4: %s\n",
			FSB_PROG, path, error_message(err));
		return -1;
	}
	err = ext2fs_check_desc(fs);
	if (err) {
		fprintf(stderr, "%s: %s: bad group descriptors: %s\n",
			FSB_PROG, path, error_message(err));
		goto out_close;
	}
	err = ext2fs_get_device_size2(path, fs->blocksize, &dev_blocks);
	if (err) {
		fprintf(stderr, "%s: %s: cannot get its size: %s\n", FSB_PROG,
			path, error_message(err));
		goto out_close;
	}
	if (dev_blocks < ext2fs_blocks_count(fs->super)) {
		fprintf(stderr, "%s: %s: truncated: it holds %llu blocks of %u bytes, the file system has %llu\n",
			FSB_PROG, path, (unsigned long long)dev_blocks,
			fs->blocksize,
			(unsigned long long)ext2fs_blocks_count(fs->super));
		goto out_close;
	}
	*fsp = fs;
	return 0;

out_close:
	ext2fs_close_free(&fs);
	return -1;
}

int fsb_scan(const char *path, struct fsb_map *map, struct fsb_fs_info *info)
{
	struct fsb_scan s = { .path = path, .map = map, .info = info };
	dgrp_t g;
	int ret = -1;

	memset(info, 0, sizeof(*info));
	initialize_ext2_error_table();
	if (fsb_open(path, &s.fs))
		return -1;
	info->block_size = s.fs->blocksize;
	info->blocks_count = ext2fs_blocks_count(s.fs->super);

	for (g = 0; g < s.fs->group_desc_count && !s.oom; g++)
		fsb_scan_group(&s, g);
	if (!s.oom && fsb_scan_inodes(&s))
		goto out;
	ret = 0;
out:
	if (s.oom) {
		fprintf(stderr, "%s: %s: out of memory\n", FSB_PROG, path);
		ret = -1;
	}
	ext2fs_close_free(&s.fs);
	return ret;
}
