#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Three ext2 file systems on three vdisks of one pool receive the same files
# (seeded random data), once per merge mode: none (the baseline, a plain
# partition), data (the default) and all.  With merge data the files are
# stored once: used <= one copy + what the three file systems wrote beside
# their files (each vdisk's mapped blocks minus the data), saved >= two
# copies, and the data device holds two copies fewer non-zero blocks than
# under merge none; the kernel's metadata writes (ext4 serving ext2 marks its
# bitmaps, inode tables, directories and indirect blocks REQ_META) are
# counted and not merged: merge all stores less than merge data because it
# does merge the identical ones.  Every file reads back on every vdisk and
# e2fsck -fn is clean.
# timeout: 900
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd ext4 dm-subsist
need_cmd ssgen
seed_init

VS=131072		# 64 MiB per vdisk
NF=4			# files of FSZ bytes, plus one short file
FSZ=$((2 << 20))
SHORT=10000

mkdir -p src
i=1
while [ $i -le $NF ]; do
	ssgen block $((SEED * 8 + i)) $FSZ >src/f$i
	i=$((i + 1))
done
ssgen block $((SEED * 8 + 7)) $SHORT >src/short
# Blocks of file data in one file system (one copy).
D=$((NF * FSZ / 4096 + (SHORT + 4095) / 4096))
diag "one copy of the files: $D blocks of 4 KiB"

# run_mode MODE: pool p-MODE on a fresh ramdisk, vdisks vMODE0..2, ext2 on
# each, the files copied into one after the other (sync between them, so
# the identical blocks reach the pool one after the other), umount; sets
# used_MODE, mapped_MODE, saved_MODE, merges_MODE, meta_MODE, shared_MODE,
# vmapped_MODE (the vdisks' mapped blocks) and phys_MODE (non-zero blocks
# on the data device: physical usage, whatever the status says).
run_mode() {
	_m=$1 _p=p-$1
	_rd=$(ramdisk 192) || bail "no ramdisk"
	check "$_m: pool with 3 vdisks of 64 MiB" ss_pool $_p $_rd 3 $VS merge $_m
	check "$_m: vdisks" ss_vdisks $_p v$_m 3
	for _i in 0 1 2; do
		_v=/dev/mapper/v$_m$_i
		check "$_m: mke2fs -t ext2 -b 4096 on vdisk $_i" \
			mke2fs -q -F -t ext2 -b 4096 -E nodiscard $_v
		mkdir -p /mnt/ss$_i
		check "$_m: mount vdisk $_i" mount -t ext2 $_v /mnt/ss$_i
		cleanup_push "umount /mnt/ss$_i 2>/dev/null"
		check "$_m: copy the files into vdisk $_i" cp src/f1 src/f2 src/f3 src/f4 src/short /mnt/ss$_i/
		sync
	done
	for _i in 0 1 2; do
		check "$_m: umount vdisk $_i" umount /mnt/ss$_i
	done
	ss_show $_p
	# Stable pages: no write's data changed between its hash and its
	# write, so no indexed key is stale, and no key collided.
	check_eq "$_m: no stale index keys, no collisions" "0 0" \
		"$(ss_stat $_p stale_keys) $(ss_stat $_p collisions)"
	eval "used_$_m=$(ss_stat $_p used) mapped_$_m=$(ss_stat $_p mapped)"
	eval "saved_$_m=$(ss_stat $_p saved) merges_$_m=$(ss_stat $_p merges)"
	eval "meta_$_m=$(ss_stat $_p meta_writes) shared_$_m=$(ss_stat $_p shared)"
	eval "vmapped_$_m='$(sv_stat v${_m}0 mapped) $(sv_stat v${_m}1 mapped) $(sv_stat v${_m}2 mapped)'"
	eval "phys_$_m=$(ssgen nonzero 4096 $_rd)"
	# Read back through a fresh mount (nothing cached), then fsck.
	drop_caches
	for _i in 0 1 2; do
		_v=/dev/mapper/v$_m$_i
		_bad=0
		if mount -t ext2 -o ro $_v /mnt/ss$_i; then
			for _f in f1 f2 f3 f4 short; do
				cmp src/$_f /mnt/ss$_i/$_f || _bad=1
			done
			umount /mnt/ss$_i || _bad=1
		else
			_bad=1
		fi
		ok $_bad "$_m: every file reads back on vdisk $_i"
		check "$_m: e2fsck -fn vdisk $_i" e2fsck -fn $_v
	done
	for _i in 0 1 2; do
		dm_remove v$_m$_i
	done
	dm_remove $_p
}

run_mode none
run_mode data
run_mode all

SLACK=$((D / 50 + 16))
diag "merge none: used $used_none mapped $mapped_none, non-zero blocks on the data device $phys_none"
diag "merge data: used $used_data mapped $mapped_data (vdisks: $vmapped_data) saved $saved_data merges $merges_data meta_writes $meta_data shared $shared_data, non-zero $phys_data"
diag "merge all:  used $used_all mapped $mapped_all (vdisks: $vmapped_all) saved $saved_all merges $merges_all meta_writes $meta_all shared $shared_all, non-zero $phys_all"
# What each file system wrote beside its files (metadata, zeroed tables).
set -- $vmapped_data
M=$(($1 - D + $2 - D + $3 - D))
diag "merge data: blocks written beside the files, three file systems: $M"

check_eq "merge none: nothing merged" 0 "$merges_none"
ok $([ "$phys_none" -ge $((3 * D)) ]; echo $?) \
	"merge none: three copies of the data on the data device ($phys_none >= $((3 * D)) non-zero blocks)"
ok $([ "$used_data" -le $((D + M + SLACK)) ]; echo $?) \
	"merge data: used $used_data <= one copy + the 3 file systems' metadata ($D + $M + $SLACK)"
ok $([ "$used_data" -ge "$D" ]; echo $?) "merge data: at least one copy stored ($used_data >= $D)"
ok $([ "$saved_data" -ge $((2 * D - SLACK)) ]; echo $?) \
	"merge data: saved $saved_data >= two copies of the data ($((2 * D)) - $SLACK)"
ok $([ "$merges_data" -ge $((2 * D - SLACK)) ]; echo $?) \
	"merge data: merges $merges_data >= two copies of the data"
ok $([ "$meta_data" -gt 0 ]; echo $?) "merge data: REQ_META writes counted ($meta_data)"
ok $([ $((phys_data + 2 * D - SLACK)) -le "$phys_none" ]; echo $?) \
	"physical usage: merge data holds two copies less than merge none ($phys_data vs $phys_none non-zero blocks)"
ok $([ "$phys_data" -le $((used_data + SLACK)) ]; echo $?) \
	"physical usage agrees with status ($phys_data non-zero <= used $used_data + $SLACK)"
# ext2's REQ_META blocks that are identical in the three file systems
# (bitmaps, directory blocks, indirect blocks of the same files) merge only
# under merge all.
ok $([ "$merges_all" -gt "$merges_data" ]; echo $?) \
	"merge all merged metadata that merge data kept apart ($merges_all > $merges_data merges)"
ok $([ "$used_all" -lt "$used_data" ]; echo $?) \
	"merge all stores less than merge data ($used_all < $used_data blocks)"
diag "metadata blocks merge data kept apart: $((used_data - used_all)) (of $meta_data REQ_META writes)"

modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
