#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Rig smoke test: dm-linear over a ramdisk keeps a data pattern; ext4 on it
# mounts, takes a file, unmounts and checks clean; brd unloads at the end.
# timeout: 120
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd ext4
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
diag "ramdisk $rd"
sectors=$((64 * 2048))
check "dm-linear created" dm_create rig-lin "0 $sectors linear $rd 0"
dev=/dev/mapper/rig-lin
check_eq "dm-linear size" $((sectors * 512)) "$(blockdev --getsize64 $dev)"

# 1 MiB pattern at 3 MiB + 512 through dm, read back through dm and raw.
check "pattern written" pattern_write $dev 3146240 1048576
check "pattern reads back through dm-linear" pattern_check $dev 3146240 1048576
check "pattern is on the ramdisk" pattern_check "$rd" 3146240 1048576
check_fails "another seed does not match" pattern_check $dev 3146240 1048576 $((SEED + 1))
check_eq "bytes_at" "7269672d" "$(bytes_at $dev 3146240 4)"

check "mke2fs -t ext4" mke2fs -q -F -t ext4 $dev
mkdir -p mnt
check "mount ext4" mount -t ext4 $dev mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"
check "write a file" dd if=/dev/urandom of=mnt/file bs=4096 count=256 status=none
sum=$(sha256sum <mnt/file)
check "umount" umount mnt
check "mount again" mount -t ext4 -o ro $dev mnt
check_eq "file survives a remount" "$sum" "$(sha256sum <mnt/file)"
check "umount again" umount mnt
check "e2fsck -fn clean" e2fsck -fn $dev

check "dm_remove" dm_remove rig-lin
check "rmmod brd" modprobe -r brd
ktap_end
