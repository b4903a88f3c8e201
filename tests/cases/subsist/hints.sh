#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Hints (merge data): with hints on, a data block nobody declared is not
# merged (mismatches counts it) and a declared one is; a hint's count
# limits how many vdisk writes it covers; "hints off" forgets the hints and
# every data block merges again.  Contrasts: merge all merges undeclared
# blocks with hints on, merge none merges nothing even when declared; a
# sha256 pool takes 64-digit hints (sha256sum's order, the crypto API's).
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen
seed_init

X=$((SEED * 8 + 1)) Y=$((SEED * 8 + 2)) Z=$((SEED * 8 + 3)) W=$((SEED * 8 + 4))
rd=$(ramdisk 64) || bail "no ramdisk"
check "pool (merge data) with 2 vdisks" ss_pool pool $rd 2 16384 merge data
check "vdisks" ss_vdisks pool v 2
v0=/dev/mapper/v0 v1=/dev/mapper/v1
check_eq "hints off at first" off "$(ss_stat pool hints)"
check "hints on" dm_message pool hints on
check_eq "hints on:0" on:0 "$(ss_stat pool hints)"

# Undeclared: not merged.
check "X on vdisk 0" ss_wr $v0 0 1 $X
check "X on vdisk 1" ss_wr $v1 0 1 $X
check_eq "undeclared X not merged (merges 0, used 2)" "0 2" \
	"$(ss_stat pool merges) $(ss_stat pool used)"
mis=$(ss_stat pool mismatches)
ok $([ "$mis" -ge 1 ]; echo $?) "mismatches counted ($mis)"
ok $(ss_same $v0 0 1 $X && ss_same $v1 0 1 $X; echo $?) "vdisks 0 and 1 read X"

# Declared (default count: nr_vdisks): merged.
dy=$(ss_digest $Y)
check "hint $dy" dm_message pool hint $dy
check_eq "hints on:1" on:1 "$(ss_stat pool hints)"
check "Y on vdisk 0" ss_wr $v0 1 1 $Y
check "Y on vdisk 1" ss_wr $v1 1 1 $Y
check_eq "declared Y merged (merges 1, used 3)" "1 3" \
	"$(ss_stat pool merges) $(ss_stat pool used)"
check_eq "the hint is used up: on:0" on:0 "$(ss_stat pool hints)"
ok $(ss_same $v0 1 1 $Y && ss_same $v1 1 1 $Y; echo $?) "vdisks 0 and 1 read Y"

# Count 1: only the first write is declared.
dz=$(ss_digest $Z)
check "hint $dz 1" dm_message pool hint $dz 1
check "Z on vdisk 0" ss_wr $v0 2 1 $Z
check "Z on vdisk 1" ss_wr $v1 2 1 $Z
check_eq "Z's second write undeclared: not merged (merges 1, used 5)" "1 5" \
	"$(ss_stat pool merges) $(ss_stat pool used)"
ok $(ss_same $v0 2 1 $Z && ss_same $v1 2 1 $Z; echo $?) "vdisks 0 and 1 read Z"

# Several pending, then hints off forgets them.
check "hint two more" sh -c "dmsetup message pool 0 hint $(ss_digest $W) && dmsetup message pool 0 hint $(ss_digest $((W + 1)))"
check_eq "hints on:2" on:2 "$(ss_stat pool hints)"
check "hints off" dm_message pool hints off
check_eq "hints off" off "$(ss_stat pool hints)"
check "W on vdisk 0 and 1" sh -c "ssgen block $W 4096 | dio write $v0 12288 4096 && ssgen block $W 4096 | dio write $v1 12288 4096"
check_eq "with hints off W merges (merges 2, used 6)" "2 6" \
	"$(ss_stat pool merges) $(ss_stat pool used)"
# X was written undeclared while hints were on: kept apart for good (not in
# the hash index), so X written again, hints off, does not merge with it.
check "X on vdisk 1 block 4" ss_wr $v1 4 1 $X
check_eq "... not merged with the blocks written undeclared (merges 2, used 7)" "2 7" \
	"$(ss_stat pool merges) $(ss_stat pool used)"
check "X on vdisk 0 block 4 merges with it (hints off)" ss_wr $v0 4 1 $X
check_eq "... merges 3, used 7" "3 7" "$(ss_stat pool merges) $(ss_stat pool used)"
check "a hint turns hints on again" dm_message pool hint $(ss_digest $W)
check_eq "hints on:1" on:1 "$(ss_stat pool hints)"
check_err "a hint of the wrong length (16 digits for crc32c)" "Invalid argument" \
	dm_message pool hint 0123456789abcdef
check_err "a hint count above nr_vdisks" "Invalid argument" \
	dm_message pool hint $(ss_digest $W) 3
check_eq "refused hints change nothing" on:1 "$(ss_stat pool hints)"
ss_show pool
for i in 0 1; do dm_remove v$i; done
dm_remove pool

# ---- contrasts --------------------------------------------------------------
# run_contrast MODE HASH: pool p with 2 vdisks, hints on; sets got to
# "merges used" after X written to both undeclared and Y written to both
# declared (digest from DIGEST_CMD).
run_contrast() {	# MODE HASH DIGEST-OF-Y
	rd=$(ramdisk 64) || bail "no ramdisk"
	check "$1/$2: pool" ss_pool p $rd 2 16384 merge $1 hash $2
	check "$1/$2: vdisks" ss_vdisks p c 2
	dm_message p hints on
	ss_wr /dev/mapper/c0 0 1 $X && ss_wr /dev/mapper/c1 0 1 $X
	xg="$(ss_stat p merges) $(ss_stat p used) $(sv_stat c1 shared)"
	if [ $1 = none ]; then
		check_err "$1/$2: hint refused (no use with merge none)" "Invalid argument" \
			dm_message p hint $3
	else
		check "$1/$2: hint" dm_message p hint $3
	fi
	ss_wr /dev/mapper/c0 1 1 $Y && ss_wr /dev/mapper/c1 1 1 $Y
	yg="$(ss_stat p merges) $(ss_stat p used) $(sv_stat c1 shared)"
	ok $(ss_same /dev/mapper/c0 0 1 $X && ss_same /dev/mapper/c1 0 1 $X &&
		ss_same /dev/mapper/c0 1 1 $Y && ss_same /dev/mapper/c1 1 1 $Y
		echo $?) "$1/$2: data reads back"
	ss_show p
	dm_remove c0
	dm_remove c1
	dm_remove p
}
run_contrast all crc32c $dy
check_eq "merge all, hints on: undeclared X merged" "1 1 1" "$xg"
check_eq "merge all, hints on: declared Y merged" "2 2 2" "$yg"
run_contrast none crc32c $dy
# merge none: used is the whole partition (every block is the vdisk's own).
check_eq "merge none: X not merged (merges 0, used 4096, shared 0)" "0 4096 0" "$xg"
check_eq "merge none: Y not merged either" "0 4096 0" "$yg"
ys=$(ssgen block $Y 4096 | sha256sum | cut -c1-64)
run_contrast data sha256 $ys
check_eq "sha256, hints on: undeclared X not merged" "0 2 0" "$xg"
check_eq "sha256, hints on: Y declared by its sha256 merged" "1 3 1" "$yg"

modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
