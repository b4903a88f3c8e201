#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# dm-faultinj under the kernel's allocation-failure injection (debug
# kernel; skipped on Debian's).  fail-nth fails each allocation of an
# operation in turn: the table load (with every feature: its paths include the plain one's), the
# "rule add" message, one O_DIRECT write and one read through the device;
# each injected failure must end in a clean error or a success, never a
# report.  Then failslab and fail_page_alloc, filtered on dm_faultinj's
# stack, fail its allocations in every task during a workload with rules;
# afterwards the device must read back what is written to it, the
# ramdisk must have no holders and the module must unload.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/af.lib"

ktap_begin
af_need
need_module dm-mod brd dm-faultinj
seed_init
rd=$(ramdisk 32)
sz=$((32 * 2048))
af_nth_on

af_sweep_table "ctr with features" af-fi "0 $sz faultinj $rd 0 4 seed $SEED block_size 4096"

check "faultinj device" dm_create af-fi "0 $sz faultinj $rd 0 2 seed $SEED"
af_sweep_message "rule add" af-fi "rule add 1 write error sectors 2048 8 prob 500000" "rule del 1"
af_sweep_io "write" /dev/mapper/af-fi write 1048576 65536
af_sweep_io "read" /dev/mapper/af-fi read 1048576 65536

# Every 5th allocation with dm_faultinj on its stack fails, in any task
# (100 of them): a mempool that keeps failing would wait for ever.
dm_message af-fi rule add 1 write corrupt byte 100 171 sectors 4096 64
dm_message af-fi rule add 2 read error sectors 8192 8
for a in failslab fail_page_alloc; do
	af_filter $a dm-faultinj 100 5
done
pattern_write /dev/mapper/af-fi 0 4194304 7 2>/dev/null
pattern_check /dev/mapper/af-fi 0 1048576 7 >/dev/null 2>&1
dm_message af-fi rule add 3 write drop sectors 12288 8 2>/dev/null
dm_message af-fi rule list >/dev/null 2>&1
for a in failslab fail_page_alloc; do
	diag "$a filtered on dm_faultinj: $(af_injected $a 100) failure(s) injected"
	af_off $a
done
dm_message af-fi rule del 1 2>/dev/null
dm_message af-fi rule del 2 2>/dev/null
dm_message af-fi rule del 3 2>/dev/null
check "after the faults: 4 MiB written" pattern_write /dev/mapper/af-fi 0 4194304 9
drop_caches /dev/mapper/af-fi
check "after the faults: read back" pattern_check /dev/mapper/af-fi 0 4194304 9
check "device removed" dm_remove af-fi
check_eq "the ramdisk has no holders" "" "$(af_holders "$rd")"
check "dm-faultinj unloads" rmmod dm-faultinj
ktap_end
