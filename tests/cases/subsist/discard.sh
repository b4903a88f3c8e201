#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Discard on a vdisk frees whole blocks: used and mapped go down, the
# vdisk's discarded counter counts them, the range reads zeros; a shared
# block discarded on one vdisk stays for the other, which still reads it;
# a partial-block discard changes nothing; discarding everything frees
# everything.  The pool's data device is a loop device over a tmpfs file.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod loop dm-subsist
need_cmd ssgen blkdiscard
seed_init

A=$((SEED * 4 + 1)) B=$((SEED * 4 + 2))
lo=$(ss_loop 32) || bail "no loop device"
check "pool with 2 vdisks on a loop device" ss_pool pool $lo 2 16384
check "vdisks 0-1" ss_vdisks pool v 2
v0=/dev/mapper/v0 v1=/dev/mapper/v1
diag "vdisk discard limits: granularity $(cat /sys/block/$(basename $(readlink -f $v0))/queue/discard_granularity)" \
	"max $(cat /sys/block/$(basename $(readlink -f $v0))/queue/discard_max_bytes)"

# vdisk 0: blocks 0-15 of A; vdisk 1: blocks 0-7 of A (merged), 8-15 of B.
check "vdisk 0: 16 blocks of A" ss_wr $v0 0 16 $A
check "vdisk 1: 8 blocks of A" ss_wr $v1 0 8 $A
ssgen block $B 32768 >b
check "vdisk 1: 8 blocks of B at 8" ss_wrf $v1 8 b
check_eq "24 blocks used" 24 "$(ss_stat pool used)"
check_eq "32 mapped" 32 "$(ss_stat pool mapped)"

# Shared blocks 0-3 and exclusive blocks 8-11 of vdisk 0.
check "blkdiscard vdisk 0 blocks 0-3 (shared)" blkdiscard -o 0 -l 16384 $v0
check "blkdiscard vdisk 0 blocks 8-11 (exclusive)" blkdiscard -o 32768 -l 16384 $v0
check_eq "vdisk 0: 8 blocks discarded" 8 "$(sv_stat v0 discarded)"
check_eq "vdisk 0: 8 mapped" 8 "$(sv_stat v0 mapped)"
check_eq "pool: 20 used (the exclusive 4 freed, the shared 4 kept)" 20 "$(ss_stat pool used)"
check_eq "pool: 24 mapped" 24 "$(ss_stat pool mapped)"
check_eq "pool: 4 shared" 4 "$(ss_stat pool shared)"
check "vdisk 0 blocks 0-3 read zeros" ss_zeros $v0 0 4
check "vdisk 0 blocks 8-11 read zeros" ss_zeros $v0 8 4
ss_rdb $v0 4 4 >x && ssgen block $A 65536 | dd bs=4096 skip=4 count=4 status=none >y
check "vdisk 0 blocks 4-7 still A" ssgen cmp y x
ss_rdb $v0 12 4 >x && ssgen block $A 65536 | dd bs=4096 skip=12 count=4 status=none >y
check "vdisk 0 blocks 12-15 still A" ssgen cmp y x
check "vdisk 1 blocks 0-7 still A (shared blocks kept)" ss_same $v1 0 8 $A
check "vdisk 1 blocks 8-15 still B" ss_samef $v1 8 b

# Partial-block discard: ignored (or refused), data intact.
blkdiscard -o $((13 * 4096)) -l 2048 $v0 2>/dev/null
diag "partial-block discard: exit $?"
check_eq "partial discard freed nothing" 20 "$(ss_stat pool used)"
ss_rdb $v0 12 4 >x
check "vdisk 0 blocks 12-15 still A after it" ssgen cmp y x

# Unmapped blocks discarded: nothing to free.
check "blkdiscard of unmapped blocks 100-199" blkdiscard -o $((100 * 4096)) -l $((100 * 4096)) $v1
check_eq "... pool still 20 used" 20 "$(ss_stat pool used)"

# A discarded block written again (the same data) merges again.
check "vdisk 0: A blocks 0-3 again" ss_wr $v0 0 4 $A
check_eq "... merged, 20 used" 20 "$(ss_stat pool used)"
check "... reads back" ss_same $v0 0 4 $A

# Everything.
check "blkdiscard all of vdisk 1" blkdiscard $v1
check "vdisk 1 reads zeros" ss_zeros $v1 0 16
check "vdisk 0 blocks 0-7 still A" ss_same $v0 0 8 $A
check_eq "pool: vdisk 0's 12 blocks left" 12 "$(ss_stat pool used)"
check "blkdiscard all of vdisk 0" blkdiscard $v0
check_eq "pool: 0 used" 0 "$(ss_stat pool used)"
check_eq "pool: 0 mapped" 0 "$(ss_stat pool mapped)"
check_eq "pool: 0 shared" 0 "$(ss_stat pool shared)"
ss_show pool
ss_show v0
ss_show v1

dm_remove v0
dm_remove v1
dm_remove pool
ss_rmmod
ktap_end
