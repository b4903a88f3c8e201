#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Copy-on-write: blocks shared by three vdisks, one of them overwritten on
# one vdisk -> the writer reads the new data, the others the old, the cow
# counter counts it and the pool holds one more block; an exclusive block
# is overwritten in place (no cow, no new block); 512-byte writes into a
# shared block (read-modify-write) read back right on every vdisk, as does
# a 512-byte write into an unmapped block (the rest reads zeros); the
# same with block sizes of 2048, 1024 and 512 bytes.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen
seed_init

A=$((SEED * 8 + 1)) B=$((SEED * 8 + 2)) C=$((SEED * 8 + 3)) S=$((SEED * 8 + 4))
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool with 3 vdisks" ss_pool pool $rd 3 32768
check "vdisks 0-2" ss_vdisks pool v 3
v0=/dev/mapper/v0 v1=/dev/mapper/v1 v2=/dev/mapper/v2

for i in 0 1 2; do
	check "8 blocks of A on vdisk $i" ss_wr /dev/mapper/v$i 0 8 $A
done
check_eq "8 blocks used" 8 "$(ss_stat pool used)"
check_eq "8 blocks shared" 8 "$(ss_stat pool shared)"

# ---- whole-block overwrite of a shared block ------------------------------
ssgen block $B 4096 >b
check "overwrite block 2 on vdisk 1 with B" ss_wrf $v1 2 b
check_eq "vdisk 1: one cow" 1 "$(sv_stat v1 cow)"
check_eq "vdisks 0 and 2: no cow" "0 0" "$(sv_stat v0 cow) $(sv_stat v2 cow)"
check_eq "pool: 9 blocks used" 9 "$(ss_stat pool used)"
check_eq "pool: still 8 shared (block 2 by vdisks 0 and 2)" 8 "$(ss_stat pool shared)"
check_eq "vdisk 1: 7 shared" 7 "$(sv_stat v1 shared)"
check "vdisk 1 reads B at block 2" ss_samef $v1 2 b
check "vdisk 0 reads A (all 8 blocks)" ss_same $v0 0 8 $A
check "vdisk 2 reads A (all 8 blocks)" ss_same $v2 0 8 $A
ss_rdb $v1 0 2 >x && ssgen block $A 8192 >y
check "vdisk 1 blocks 0-1 still A" ssgen cmp y x

# ---- exclusive block: in place --------------------------------------------
ssgen block $C 4096 >c
check "overwrite vdisk 1's exclusive block 2 with C" ss_wrf $v1 2 c
check_eq "no cow for an exclusive block" 1 "$(sv_stat v1 cow)"
check_eq "pool: still 9 blocks used" 9 "$(ss_stat pool used)"
check "vdisk 1 reads C at block 2" ss_samef $v1 2 c
check "vdisk 0 still reads A" ss_same $v0 0 8 $A

# ---- the last sharer's overwrite -------------------------------------------
check "overwrite block 5 on vdisk 0 with B" ss_wrf $v0 5 b
check "overwrite block 5 on vdisk 2 with C" ss_wrf $v2 5 c
ss_show pool
check "vdisk 0 reads B at 5" ss_samef $v0 5 b
check "vdisk 2 reads C at 5" ss_samef $v2 5 c
ss_rdb $v1 5 1 >x5
ssgen block $A 32768 | dd bs=4096 skip=5 count=1 status=none >a5
check "vdisk 1 reads A at 5" ssgen cmp a5 x5

# ---- 512-byte writes into a shared block (read-modify-write) ---------------
ssgen block $S 512 >s
cow0=$(sv_stat v0 cow)
check "512 bytes into shared block 6 of vdisk 0 (offset 1024)" \
	dio write $v0 $((6 * 4096 + 1024)) 512 <s
ssgen block $A 32768 | dd bs=4096 skip=6 count=1 status=none >a6
cp a6 e6
dd if=s of=e6 bs=512 seek=2 conv=notrunc status=none
ss_rdb $v0 6 1 >x
check "vdisk 0 block 6: A with sector 2 replaced" ssgen cmp e6 x
ss_rdb $v1 6 1 >x
check "vdisk 1 block 6: A" ssgen cmp a6 x
ss_rdb $v2 6 1 >x
check "vdisk 2 block 6: A" ssgen cmp a6 x
check_eq "vdisk 0: the partial write was a cow" $((cow0 + 1)) "$(sv_stat v0 cow)"
check "a second 512 bytes into the same (now exclusive) block (offset 3584)" \
	dio write $v0 $((6 * 4096 + 3584)) 512 <s
dd if=s of=e6 bs=512 seek=7 conv=notrunc status=none
ss_rdb $v0 6 1 >x
check "vdisk 0 block 6: both sectors replaced" ssgen cmp e6 x
check_eq "... no further cow" $((cow0 + 1)) "$(sv_stat v0 cow)"
check "unaligned 4 KiB write across blocks 6-7 of vdisk 2 (offset 2048)" \
	sh -c "ssgen block $S 4096 | dio write $v2 $((6 * 4096 + 2048)) 4096"
ssgen block $A 32768 | dd bs=4096 skip=6 count=2 status=none >e67
ssgen block $S 4096 | dd of=e67 bs=2048 seek=1 conv=notrunc status=none
ss_rdb $v2 6 2 >x
check "vdisk 2 blocks 6-7: A with the 4 KiB at 2048" ssgen cmp e67 x
ss_rdb $v1 6 2 >x
ssgen block $A 32768 | dd bs=4096 skip=6 count=2 status=none >a67
check "vdisk 1 blocks 6-7: still A" ssgen cmp a67 x

# ---- 512 bytes into an unmapped block --------------------------------------
check "512 bytes into unmapped block 100 of vdisk 1 (offset 512)" \
	dio write $v1 $((100 * 4096 + 512)) 512 <s
dd if=/dev/zero of=e100 bs=4096 count=1 status=none
dd if=s of=e100 bs=512 seek=1 conv=notrunc status=none
ss_rdb $v1 100 1 >x
check "... reads back, the rest zeros" ssgen cmp e100 x
check "vdisk 0 block 100 reads zeros" ss_zeros $v0 100 1
ss_show pool
for i in 0 1 2; do ss_show v$i; done

for i in 0 1 2; do dm_remove v$i; done
dm_remove pool

# ---- smaller blocks: the same rules at 2048, 1024 and 512 bytes -------------
for bs in 2048 1024 512; do
	SS_BS=$bs
	rd=$(ramdisk 16) || bail "no ramdisk"
	check "block_size $bs: pool with 2 vdisks" ss_pool sp $rd 2 8192 block_size $bs
	check "block_size $bs: vdisks" ss_vdisks sp s 2
	ss_wr /dev/mapper/s0 0 8 $A && ss_wr /dev/mapper/s1 0 8 $A
	check_eq "block_size $bs: 8 used, 8 shared, 8 merges" "$bs 8 8 8" \
		"$(ss_stat sp block_size) $(ss_stat sp used) $(ss_stat sp shared) $(ss_stat sp merges)"
	check "block_size $bs: overwrite block 3 on vdisk 1" ss_wr /dev/mapper/s1 3 1 $B
	check_eq "block_size $bs: a cow, 9 used" "1 9" "$(sv_stat s1 cow) $(ss_stat sp used)"
	ssgen block $A $((8 * bs)) >sa
	cp sa sb
	ssgen block $B $bs | dd of=sb bs=$bs seek=3 conv=notrunc status=none
	check "block_size $bs: vdisk 1 reads A with B at 3" ss_samef /dev/mapper/s1 0 sb
	check "block_size $bs: vdisk 0 reads A" ss_samef /dev/mapper/s0 0 sa
	if [ $bs -gt 512 ]; then
		check "block_size $bs: 512 bytes into shared block 5 of vdisk 0" \
			dio write /dev/mapper/s0 $((5 * bs + 512)) 512 <s
		cp sa sc
		dd if=s of=sc bs=512 seek=$((5 * bs / 512 + 1)) conv=notrunc status=none
		check "block_size $bs: vdisk 0 reads it" ss_samef /dev/mapper/s0 0 sc
		check "block_size $bs: vdisk 1 unchanged" ss_samef /dev/mapper/s1 0 sb
	fi
	dm_remove s0
	dm_remove s1
	dm_remove sp
done
SS_BS=4096
modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
