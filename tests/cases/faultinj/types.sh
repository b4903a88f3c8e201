#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Type-aware faults: fsblocks computes the block-type map of an ext2 file
# system and loads it into faultinj; a rule that corrupts "dir" blocks in
# one directory's block makes e2fsck report exactly that directory, while
# the same range with type "data" never fires.  Failing the inode table
# makes the mount fail.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj ext4
need_cmd fsblocks debugfs
seed_init

rd=$(ramdisk 32) || bail "no ramdisk"
check "faultinj with block_size 1024" \
	dm_create fi "0 65536 faultinj $rd 0 4 seed $SEED block_size 1024"
fi=/dev/mapper/fi
check "mke2fs -t ext2 -b 1024" mke2fs -q -F -t ext2 -b 1024 $fi
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"
check "mount" mount -t ext2 $fi mnt
mkdir mnt/a mnt/b mnt/c
i=0
while [ $i -lt 60 ]; do
	echo "file $i" >mnt/b/file-with-a-long-name-$i
	echo "data $i" >mnt/a/f$i
	i=$((i + 1))
done
ino=$(ls -id mnt/b | awk '{ print $1 }')
check "umount" umount mnt

check "fsblocks --load" fsblocks --load fi $fi
fsblocks $fi >map
dm_message fi types list >types
diag "types list: $(tr '\n' ';' <types)"
check "map has super, gdt, itable, dir and data" \
	sh -c "grep -q '^super ' types && grep -q '^gdt ' types && grep -q '^itable ' types && grep -q '^dir ' types && grep -q '^data ' types"
check_eq "status counts the loaded extents" "$(wc -l <map | tr -d ' ')" "$(fi_stat fi type_extents)"

blk=$(debugfs -R "blocks /b" $rd 2>/dev/null | awk '{ print $1 }')
diag "/b is inode $ino, its first block is $blk"
check "fsblocks calls block $blk of /b a dir block" \
	awk -v b="$blk" '$1 <= b && b < $1 + $2 && $3 == "dir" { f = 1 } END { exit !f }' map
check "e2fsck -fn clean through faultinj" e2fsck -fn $fi

# The right range but the wrong type: never fires.
dm_message fi rule add 1 read corrupt random type data sectors $((blk * 2)) 2
check "rule on type data: e2fsck still clean" e2fsck -fn $fi
check_eq "the data rule never fired" 0 "$(fi_fired fi 1)"
dm_message fi rule del 1

# Type dir on /b's block: e2fsck reports directory inode $ino.
dm_message fi rule add 2 read corrupt random type dir sectors $((blk * 2)) 2
e2fsck -fn $fi >fsck.out 2>&1
rc=$?
sed 's/^/#   /' fsck.out | head -n 12
check "e2fsck -fn exits with errors left (4 set; got $rc)" test $((rc & 4)) = 4
check "e2fsck names directory inode $ino" grep -Eq "[Ii]node $ino[^0-9]" fsck.out
check "the dir rule fired" test "$(fi_fired fi 2)" -ge 1
check_eq "nothing else was corrupted" "$(fi_fired fi 2)" "$(fi_stat fi corrupted)"
dm_message fi rule del 2
check "the disk itself was never harmed: e2fsck -fn clean" e2fsck -fn $fi

# Inode table reads fail: the root inode cannot be read, mount fails.
dm_message fi rule add 3 read error type itable
check_fails "mount fails when the inode table cannot be read" mount -t ext2 $fi mnt
check "itable rule fired" test "$(fi_fired fi 3)" -ge 1
dm_message fi rule clear
check "mount works again" mount -t ext2 $fi mnt
check_eq "data intact" "file 7" "$(cat mnt/b/file-with-a-long-name-7)"
umount mnt

check "types clear" dm_message fi types clear
check_eq "no extents" 0 "$(fi_stat fi type_extents)"
check "dm_remove" dm_remove fi
ktap_end
