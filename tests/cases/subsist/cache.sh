#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The read cache (cache_blocks) for shared blocks: every O_DIRECT read of a
# shared block counts one hit or miss, the second vdisk's reads of the same
# blocks hit, reads of exclusive blocks count nothing, "cache drop" empties
# it (the next reads miss); the data is right throughout, also when a
# cached block is overwritten in place after a copy-on-write made it
# exclusive and then merged again (a stale cache would return old data),
# and with a cache smaller than the shared set.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen
seed_init

A=$((SEED * 8 + 1)) B=$((SEED * 8 + 2)) C=$((SEED * 8 + 3)) D=$((SEED * 8 + 4))
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool with cache_blocks 64" ss_pool pool $rd 2 16384 cache_blocks 64
check "vdisks" ss_vdisks pool v 2
v0=/dev/mapper/v0 v1=/dev/mapper/v1
both() { ss_wr "$1" 0 16 $A && ss_wr "$2" 0 16 $A; }
check "16 blocks of A on both vdisks" both $v0 $v1
check_eq "16 shared" 16 "$(ss_stat pool shared)"
check "4 unique blocks of B on vdisk 0 at 20" ss_wr $v0 20 4 $B
ssgen block $A 65536 >a

hm() { echo $(($(ss_stat pool cache_hits) + $(ss_stat pool cache_misses))); }
# readall DEV: each of the 16 blocks read once (one 4 KiB O_DIRECT read),
# compared with A; 0 when all match.
readall() {
	_bad=0 _i=0
	while [ $_i -lt 16 ]; do
		ss_rdb "$1" $_i 1 >blk || _bad=1
		dd if=a bs=4096 skip=$_i count=1 status=none | ssgen cmp - blk >/dev/null || _bad=1
		_i=$((_i + 1))
	done
	return $_bad
}

h0=$(ss_stat pool cache_hits) n0=$(hm)
check "vdisk 0 reads the 16 shared blocks" readall $v0
check_eq "16 cache lookups" $((n0 + 16)) "$(hm)"
h1=$(ss_stat pool cache_hits) n1=$(hm)
check "vdisk 1 reads the same blocks" readall $v1
check_eq "... 16 hits" "$((h1 + 16)) $((n1 + 16))" "$(ss_stat pool cache_hits) $(hm)"
diag "hits $(ss_stat pool cache_hits) misses $(ss_stat pool cache_misses) (from $h0 hits)"
n2=$(hm)
check "vdisk 0 reads its exclusive blocks" ss_same $v0 20 4 $B
check_eq "... no cache lookups" "$n2" "$(hm)"
check "cache drop" dm_message pool cache drop
m3=$(ss_stat pool cache_misses) h3=$(ss_stat pool cache_hits)
check "vdisk 1 reads the 16 again" readall $v1
check_eq "... 16 misses after the drop" "$h3 $((m3 + 16))" \
	"$(ss_stat pool cache_hits) $(ss_stat pool cache_misses)"
check "one 64 KiB read of all 16 on vdisk 0" ss_samef $v0 0 a

# Stale-cache trap: block 5 cached; vdisk 0 copies on write; vdisk 1 now owns
# the old block alone and overwrites it in place with D; vdisk 0 writes D
# elsewhere, which merges with that block.
readall $v1 >/dev/null
check "vdisk 0: C over block 5 (cow)" ss_wr $v0 5 1 $C
check "vdisk 1: D over block 5 (exclusive now: in place)" ss_wr $v1 5 1 $D
check "vdisk 0: D at block 30 (merges with vdisk 1's block 5)" ss_wr $v0 30 1 $D
ss_show pool
check "vdisk 0 block 30 reads D" ss_same $v0 30 1 $D
check "vdisk 1 block 5 reads D" ss_same $v1 5 1 $D
check "vdisk 0 block 5 reads C" ss_same $v0 5 1 $C
check "vdisk 0 block 30 reads D again (cached now)" ss_same $v0 30 1 $D
check "vdisk 1 block 5 reads D again" ss_same $v1 5 1 $D
dm_remove v0
dm_remove v1
dm_remove pool

# A cache smaller than the shared blocks: still right.
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool with cache_blocks 4" ss_pool small $rd 2 16384 cache_blocks 4
check "vdisks" ss_vdisks small s 2
check "16 blocks of A on both" both /dev/mapper/s0 /dev/mapper/s1
ok $(readall /dev/mapper/s0 && readall /dev/mapper/s1 && readall /dev/mapper/s0
	echo $?) "16 shared blocks read three times through a 4-block cache"
ss_show small
dm_remove s0
dm_remove s1
dm_remove small

# The documented maximum, cache_blocks 1048576 (4 GiB of blocks in a
# 2 GiB guest): the cache grows as reads fill it, so the table loads
# at the cost of its hash table, and works.
mem_avail() { awk '/^MemAvailable:/ { print $2 }' /proc/meminfo; }
rd=$(ramdisk 64) || bail "no ramdisk"
m0=$(mem_avail)
check "pool with cache_blocks 1048576 loads" ss_pool big $rd 2 16384 cache_blocks 1048576
m1=$(mem_avail)
diag "MemAvailable: $m0 kB before, $m1 kB after the table load"
ok $([ $((m0 - m1)) -lt 65536 ]; echo $?) \
	"... using less than 64 MiB up front ($((m0 - m1)) kB)"
check "vdisks" ss_vdisks big g 2
check "16 blocks of A on both" both /dev/mapper/g0 /dev/mapper/g1
ok $(readall /dev/mapper/g0 && readall /dev/mapper/g1; echo $?) \
	"16 shared blocks read twice through the large cache"
ok $([ "$(ss_stat big cache_hits)" -ge 16 ]; echo $?) \
	"the second read hit the cache ($(ss_stat big cache_hits) hits)"
dm_remove g0
dm_remove g1
dm_remove big

# No cache: the counters stay at 0.
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool without cache" ss_pool nc $rd 2 16384
check "vdisks" ss_vdisks nc n 2
check "16 blocks of A on both" both /dev/mapper/n0 /dev/mapper/n1
check "reads right" readall /dev/mapper/n1
check_eq "no hits without a cache" 0 "$(ss_stat nc cache_hits)"
diag "misses without a cache: $(ss_stat nc cache_misses)"
dm_message nc cache drop 2>/dev/null
diag "cache drop without a cache: exit $?"
dm_remove n0
dm_remove n1
dm_remove nc

modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
