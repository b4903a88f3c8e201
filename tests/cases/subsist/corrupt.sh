#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# A corrupting writer: dm-faultinj above vdisk 1 corrupts two blocks of the
# writes that pass through it (one byte set, one block of seeded random
# bytes).  The same 16 blocks are written through vdisk 0, through faultinj
# to vdisk 1, and through vdisk 2.  The two corrupted blocks stay separate
# (vdisk 1: 14 shared, 14 merged; the pool stores 16 + 2 blocks), the others
# merge across all three; vdisks 0 and 2 read back exactly what they wrote;
# vdisk 1 received, stores and reads back the corrupted blocks (directly and
# through faultinj, whose read path passes them untouched): its block 3 is
# the written block with the one byte set, block 9 differs, the rest is
# what was written.  A correct rewrite of block 3 then merges.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-faultinj dm-subsist
need_cmd ssgen
seed_init

NB=16 A=$((SEED * 4 + 1))
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool with 3 vdisks" ss_pool pool $rd 3 32768
check "vdisks 0-2" ss_vdisks pool v 3
check "faultinj over vdisk 1" \
	dm_create fi1 "0 32768 faultinj /dev/mapper/v1 0 2 seed $SEED"

# Expected content of what vdisk 1 stores: block 3 with byte 100 inverted.
ssgen block $A $((NB * 4096)) >a
off=$((3 * 4096 + 100))
orig=$(od -An -tu1 -j $off -N1 a | tr -d ' ')
val=$((orig ^ 255))
cp a exp
printf "\\$(printf %o $val)" | dd of=exp bs=1 seek=$off conv=notrunc status=none
check "rule: corrupt byte 100 of block 3 (to $val)" \
	dm_message fi1 rule add 1 write corrupt byte 100 $val sectors 24 8
check "rule: corrupt block 9 with random bytes" \
	dm_message fi1 rule add 2 write corrupt random sectors 72 8

check "write 16 blocks to vdisk 0" ss_wrf /dev/mapper/v0 0 a
check "write the same through faultinj to vdisk 1" ss_wrf /dev/mapper/fi1 0 a
check "write the same to vdisk 2" ss_wrf /dev/mapper/v2 0 a
check_eq "faultinj corrupted 2 writes" 2 "$(fi_stat fi1 corrupted)"
ss_show pool
ss_show v0
ss_show v1
ss_show v2

check "vdisk 0 reads back what it wrote" ss_samef /dev/mapper/v0 0 a
check "vdisk 2 reads back what it wrote" ss_samef /dev/mapper/v2 0 a
ss_rdb /dev/mapper/v1 0 $NB >got1
ss_rdb /dev/mapper/fi1 0 $NB >gotfi
check "vdisk 1 and faultinj above it read the same" ssgen cmp got1 gotfi
blk() { dd if="$1" bs=4096 skip="$2" count="${3:-1}" status=none; }
blk got1 3 >g3; blk exp 3 >e3
check "vdisk 1 block 3: the written block with byte 100 set to $val" ssgen cmp e3 g3
blk got1 9 >g9; blk a 9 >a9
check_fails "vdisk 1 block 9: not what was written (corrupted)" ssgen cmp a9 g9
blk got1 0 3 >x; blk a 0 3 >y
check "vdisk 1 blocks 0-2 as written" ssgen cmp y x
blk got1 4 5 >x; blk a 4 5 >y
check "vdisk 1 blocks 4-8 as written" ssgen cmp y x
blk got1 10 6 >x; blk a 10 6 >y
check "vdisk 1 blocks 10-15 as written" ssgen cmp y x

check_eq "vdisk 0: 16 blocks shared" 16 "$(sv_stat v0 shared)"
check_eq "vdisk 1: 14 blocks shared (the corrupted 2 kept apart)" 14 "$(sv_stat v1 shared)"
check_eq "vdisk 1: 14 writes merged" 14 "$(sv_stat v1 merged)"
check_eq "vdisk 2: 16 blocks shared" 16 "$(sv_stat v2 shared)"
check_eq "vdisk 2: 16 writes merged" 16 "$(sv_stat v2 merged)"
check_eq "pool: 18 blocks used (16 + the 2 corrupted)" 18 "$(ss_stat pool used)"
check_eq "pool: 48 blocks mapped" 48 "$(ss_stat pool mapped)"
check_eq "pool: 16 physical blocks shared" 16 "$(ss_stat pool shared)"
check_eq "pool: 30 saved" 30 "$(ss_stat pool saved)"
check_eq "pool: 30 merges" 30 "$(ss_stat pool merges)"

# The correct block written straight to vdisk 1 merges and frees the bad one.
blk a 3 >a3
check "rewrite block 3 on vdisk 1 directly" ss_wrf /dev/mapper/v1 3 a3
check_eq "... merged" 15 "$(sv_stat v1 merged)"
check_eq "... the corrupted copy freed: 17 used" 17 "$(ss_stat pool used)"
check "... vdisk 1 block 3 reads as written" ss_samef /dev/mapper/v1 3 a3
check "vdisk 0 still reads what it wrote" ss_samef /dev/mapper/v0 0 a

dm_remove fi1
for i in 0 1 2; do dm_remove v$i; done
dm_remove pool
modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
