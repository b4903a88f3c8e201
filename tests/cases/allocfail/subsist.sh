#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# dm-subsist under the kernel's allocation-failure injection (debug
# kernel; skipped on Debian's).  fail-nth fails each allocation of an
# operation in turn: the pool's table load (with a meta_dev and
# every feature), a vdisk's table load, the "hint" message,
# one O_DIRECT write (hashed, indexed) and one read (through the cache);
# each injected failure must end in a clean error or a success, never a
# report.  Then failslab and fail_page_alloc, filtered on dm_subsist's
# stack, fail its allocations in every task (the compare worker, the
# cache) while two vdisks get the same data; afterwards both must read
# back what is written to them, the ramdisks must have no holders and
# the module must unload.
# timeout: 900
. "${0%/*}/../lib.sh"
. "${0%/*}/af.lib"

ktap_begin
af_need
need_module dm-mod brd dm-subsist
seed_init
rd=$(ramdisk 32) md=$(ramdisk 8)
sz=$((32 * 2048)) vsz=$((16 * 2048))
af_nth_on

af_sweep_table "pool ctr with meta_dev" af-sp \
	"0 $sz subsist-pool $rd 2 $vsz 8 block_size 4096 hash xxhash64 cache_blocks 64 meta_dev $md"

check "pool" dm_create af-sp "0 $sz subsist-pool $rd 2 $vsz 2 cache_blocks 64"
af_sweep_table "vdisk ctr" af-sv0 "0 $vsz subsist /dev/mapper/af-sp 0"
check "vdisk 0" dm_create af-sv0 "0 $vsz subsist /dev/mapper/af-sp 0"
check "vdisk 1" dm_create af-sv1 "0 $vsz subsist /dev/mapper/af-sp 1"
af_sweep_message "hint" af-sp "hint $(printf '%08x' 0) 2" ""
af_sweep_io "write" /dev/mapper/af-sv0 write 1048576 65536
af_sweep_io "write (a merge)" /dev/mapper/af-sv1 write 1048576 65536
af_sweep_io "read" /dev/mapper/af-sv0 read 1048576 65536

for a in failslab fail_page_alloc; do
	af_filter $a dm-subsist 100 5
done
pattern_write /dev/mapper/af-sv0 0 4194304 7 2>/dev/null
pattern_write /dev/mapper/af-sv1 0 4194304 7 2>/dev/null
pattern_check /dev/mapper/af-sv1 0 4194304 7 >/dev/null 2>&1
dm_message af-sp cache drop 2>/dev/null
for a in failslab fail_page_alloc; do
	diag "$a filtered on dm_subsist: $(af_injected $a 100) failure(s) injected"
	af_off $a
done
check "after the faults: vdisk 0 written" pattern_write /dev/mapper/af-sv0 0 4194304 9
check "after the faults: vdisk 1 written" pattern_write /dev/mapper/af-sv1 0 4194304 10
drop_caches /dev/mapper/af-sv0 /dev/mapper/af-sv1
check "after the faults: vdisk 0 reads back" pattern_check /dev/mapper/af-sv0 0 4194304 9
check "after the faults: vdisk 1 reads back" pattern_check /dev/mapper/af-sv1 0 4194304 10
check "vdisks removed" sh -c 'dmsetup remove af-sv0 && dmsetup remove af-sv1'
check "pool removed" dm_remove af-sp
check_eq "the ramdisks have no holders" "" "$(af_holders "$rd")$(af_holders "$md")"
check "dm-subsist unloads" rmmod dm-subsist
ktap_end
