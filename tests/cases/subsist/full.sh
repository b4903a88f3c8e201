#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Out of space: a 1 MiB data device (256 blocks) under two 1 MiB vdisks,
# and a third of 4 MiB (vdisks may be larger than the data device).
# Filling it, the write that needs block 257 fails with ENOSPC, status says
# out_of_space and counts it, the kernel log says "out of data space"; all
# data written before reads back; merges and in-place overwrites still
# work, a copy-on-write fails and leaves the old data; discard frees blocks
# and the mode returns to ok; new writes then succeed.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod loop dm-subsist
need_cmd ssgen blkdiscard
seed_init

A=$((SEED * 8 + 1)) B=$((SEED * 8 + 2)) C=$((SEED * 8 + 3)) D=$((SEED * 8 + 4))
lo=$(ss_loop 1) || bail "no loop device"
check "pool of 256 blocks, 3 vdisks" ss_pool pool $lo 3 8192
check "vdisk 0 of 1 MiB" ss_vdisk v0 pool 0 2048
check "vdisk 1 of 1 MiB" ss_vdisk v1 pool 1 2048
check "vdisk 2 of 4 MiB (larger than the data device)" ss_vdisk v2 pool 2 8192
v0=/dev/mapper/v0 v1=/dev/mapper/v1
check_eq "total 256" 256 "$(ss_stat pool total)"
check_eq "mode ok" ok "$(ss_stat pool mode)"

check "fill: 256 unique blocks on vdisk 0" ss_wr $v0 0 256 $A
check_eq "used 256/256" 256 "$(ss_stat pool used)"
klog_mark
check_err "one more unique block: ENOSPC" "No space left on device" ss_wr $v1 200 1 $B
check_eq "mode out_of_space" out_of_space "$(ss_stat pool mode)"
ok $([ "$(ss_stat pool nospc)" -ge 1 ]; echo $?) "nospc counted ($(ss_stat pool nospc))"
check "kernel log: out of data space" klog_has 'out of data space'
check_err "a unique block on vdisk 1: ENOSPC" "No space left on device" ss_wr $v1 0 1 $B
check_err "a 64 KiB unique write on vdisk 1: ENOSPC" "No space left on device" ss_wr $v1 16 16 $C
check "all 256 blocks read back" ss_same $v0 0 256 $A
check "the failed block reads zeros" ss_zeros $v1 200 1
check "vdisk 1 still reads zeros" ss_zeros $v1 0 32

# Merges need no block.
mer=$(ss_stat pool merges)
check "vdisk 1: the first 8 blocks of A (identical to vdisk 0's): merged" ss_wr $v1 100 8 $A
check_eq "... 8 merges" $((mer + 8)) "$(ss_stat pool merges)"
check "... read back" ss_same $v1 100 8 $A
check_eq "... still 256 used" 256 "$(ss_stat pool used)"

# In place: vdisk 0's block 200 is exclusive.
ssgen block $D 4096 >d
check "overwrite exclusive block 200 of vdisk 0 in place" ss_wrf $v0 200 d
check "... reads back" ss_samef $v0 200 d
# Copy-on-write of a shared block needs a new one: refused, old data kept.
check_err "overwrite shared block 3 of vdisk 0: ENOSPC" "No space left on device" ss_wrf $v0 3 d
ssgen block $A 16384 | dd bs=4096 skip=3 count=1 status=none >a3
ss_rdb $v0 3 1 >x
check "... vdisk 0 block 3 keeps its old data" ssgen cmp a3 x
check "... vdisk 1 block 103 too" ss_samef $v1 103 a3
nospc=$(ss_stat pool nospc)
ok $([ "$nospc" -ge 4 ]; echo $?) "nospc counts every refused write ($nospc >= 4)"
ss_show pool

# Discard frees blocks, mode back to ok.
check "discard vdisk 0 blocks 128-191 (exclusive)" blkdiscard -o $((128 * 4096)) -l $((64 * 4096)) $v0
check_eq "used 192" 192 "$(ss_stat pool used)"
check_eq "mode ok again" ok "$(ss_stat pool mode)"
check "new unique blocks on vdisk 1 fit" ss_wr $v1 0 32 $B
check "... and read back" ss_same $v1 0 32 $B
check_eq "used 224" 224 "$(ss_stat pool used)"
ss_rdb $v0 0 128 >x && ssgen block $A $((128 * 4096)) >y
check "vdisk 0 blocks 0-127 still A" ssgen cmp y x
check "vdisk 0 blocks 128-191 read zeros" ss_zeros $v0 128 64
ss_show pool

dm_gone v2
dm_remove v0
dm_remove v1
dm_remove pool
ss_rmmod
ktap_end
