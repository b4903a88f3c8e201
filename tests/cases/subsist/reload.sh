#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Table reloads with data in the pool: a vdisk's table and the pool's table
# (same parameters) reload and every block reads as before, the pool's
# counters unchanged; a pool reload with other parameters is refused with a
# reason in the kernel log and the old table stays; a second device on a
# vdisk index in use is refused (create and reload); a vdisk reloaded onto
# a free index frees its old one, where a new device finds the data; the
# pool cannot be removed under its vdisks; after everything is removed,
# rmmod works, and a new pool (no meta_dev) starts empty.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen
seed_init

A=$((SEED * 4 + 1)) B=$((SEED * 4 + 2))
rd=$(ramdisk 64) || bail "no ramdisk"
T=$(ss_pool_table $rd 3 16384)
check "pool with 3 vdisks" dm_create pool "$T"
check "vdisk 0" ss_vdisk v0 pool 0
check "vdisk 1" ss_vdisk v1 pool 1
v0=/dev/mapper/v0 v1=/dev/mapper/v1
check "A on vdisk 0" ss_wr $v0 0 16 $A
check "A on vdisk 1" ss_wr $v1 0 16 $A
check "B on vdisk 1 at 20" ss_wr $v1 20 8 $B
st() { echo "$(ss_stat pool usage) $(ss_stat pool mapped) $(ss_stat pool shared)"; }
before=$(st)
diag "pool: $before"

intact() {
	ss_same $v0 0 16 $A && ss_same $v1 0 16 $A && ss_same $v1 20 8 $B &&
		ss_zeros $v0 20 8
}
check "vdisk 0 reload (same table)" dm_reload v0 "$(dmsetup table v0)"
check "... data intact" intact
check_eq "... pool unchanged" "$before" "$(st)"
check "vdisk 1 reload (same table)" dm_reload v1 "$(dmsetup table v1)"
check "... data intact" intact
check "pool reload (same table)" dm_reload pool "$T"
check "... data intact" intact
check_eq "... pool unchanged" "$before" "$(st)"
check_eq "... table round-trips" "$(echo "$T" | awk '{ $4 = "X"; print }')" \
	"$(dmsetup table pool | awk '{ $4 = "X"; print }')"
check "pool reload with its table as dmsetup prints it" dm_reload pool "$(dmsetup table pool)"
check "... data intact" intact

# bad_reload DESC TABLE: refused, a reason logged, the old table kept.
bad_reload() {
	klog_mark
	if dm_reload pool "$2" >/dev/null 2>&1; then
		fail "pool reload with $1: accepted"
		return
	fi
	_why=$(klog_new | grep -Eo "subsist-pool: .*|dm-subsist: .*" | tail -n 1)
	if [ -n "$_why" ]; then
		pass "pool reload with $1 refused ($_why)"
	else
		fail "pool reload with $1 refused without a reason in the log"
		klog_new | sed 's/^/#   /'
	fi
}
old=$(dmsetup table pool)
bad_reload "4 vdisks" "$(ss_pool_table $rd 4 16384)"
bad_reload "other vdisk_sectors" "$(ss_pool_table $rd 3 8192)"
bad_reload "block_size 2048" "$(ss_pool_table $rd 3 16384 block_size 2048)"
bad_reload "hash sha256" "$(ss_pool_table $rd 3 16384 hash sha256)"
bad_reload "merge none" "$(ss_pool_table $rd 3 16384 merge none)"
rd2=$(ramdisk 64) || bail "no ramdisk"
bad_reload "another data device" "$(ss_pool_table $rd2 3 16384)"
check_eq "the old table is live" "$old" "$(dmsetup table pool)"
check "data intact" intact
check "writes still work" ss_wr $v0 40 2 $B
check "... read back" ss_same $v0 40 2 $B

# One device per index.
klog_mark
check_fails "a second device on index 0 is refused" ss_vdisk v0b pool 0
diag "reason: $(klog_new | grep -Eo "subsist: .*" | tail -n 1)"
check_fails "... no v0b" dmsetup info v0b
check_fails "vdisk 1 reloaded onto index 0 is refused" dm_reload v1 "0 16384 subsist /dev/mapper/pool 0"
check "... vdisk 1 still reads its data" intact
check "vdisk 1 reloaded onto the free index 2" dm_reload v1 "0 16384 subsist /dev/mapper/pool 2"
check "... reads index 2's zeros" ss_zeros $v1 0 16
check "a new device takes index 1" ss_vdisk w1 pool 1
ok $(ss_same /dev/mapper/w1 0 16 $A && ss_same /dev/mapper/w1 20 8 $B; echo $?) \
	"index 1 kept its data across the move"
dm_remove w1
check "vdisk 1 back onto index 1" dm_reload v1 "0 16384 subsist /dev/mapper/pool 1"
check "... data intact" intact

# Remove and re-create a vdisk: the pool keeps its blocks.
mapped=$(ss_stat pool mapped)
check "remove vdisk 0" dm_remove v0
check_eq "pool still maps everything" "$mapped" "$(ss_stat pool mapped)"
check "re-create vdisk 0" ss_vdisk v0 pool 0
check "... data intact" intact
check_fails "the pool cannot be removed under its vdisks" dmsetup remove pool
check "pool still there" dmsetup info pool

dm_remove v0
dm_remove v1
check "remove the pool" dm_remove pool
ss_rmmod
check "modprobe dm-subsist again" modprobe dm-subsist
check "a new pool on the same data device" dm_create pool "$T"
check "a vdisk on it" ss_vdisk v0 pool 0
check "reads zeros (no meta_dev: the old pool's maps are gone)" ss_zeros $v0 0 16
dm_remove v0
dm_remove pool
modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
