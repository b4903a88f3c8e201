#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# dm-noorder under the kernel's allocation-failure injection (debug
# kernel; skipped on Debian's).  fail-nth fails each allocation of an
# operation in turn: the table load (with every feature: its paths include the plain one's), the
# "log on" message, one O_DIRECT write into the volatile cache and one
# read; each injected failure must end in a clean error or a success,
# never a report.  Then failslab and fail_page_alloc, filtered on
# dm_noorder's stack, fail its allocations in every task (the destage
# worker too) while data is written, logged, drained and crashed (every fifth, 100 in
# all: a mempool whose refills always fail waits for ever); after
# revive the device must read back what is written to it, the ramdisk
# must have no holders and the module must unload.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/af.lib"

ktap_begin
af_need
need_module dm-mod brd dm-noorder
seed_init
rd=$(ramdisk 32)
sz=$((32 * 2048))
af_nth_on

af_sweep_table "ctr with features" af-no \
	"0 $sz noorder $rd 0 10 flush honor order random seed $SEED cache_mb 4 destage_ms 50"

check "noorder device" dm_create af-no "0 $sz noorder $rd 0 4 order random seed $SEED"
af_sweep_message "log on" af-no "log on 1" "log off"
af_sweep_io "write" /dev/mapper/af-no write 1048576 65536
af_sweep_io "read" /dev/mapper/af-no read 1048576 65536
dm_message af-no drain

for a in failslab fail_page_alloc; do
	af_filter $a dm-noorder 100 5
done
dm_message af-no log on 1 2>/dev/null
pattern_write /dev/mapper/af-no 0 4194304 7 2>/dev/null
dm_message af-no drain 2>/dev/null
pattern_write /dev/mapper/af-no 4194304 1048576 8 2>/dev/null
dm_message af-no crash keep random 500000 seed "$SEED" 2>/dev/null
dm_message af-no revive 2>/dev/null
dm_message af-no log off 2>/dev/null
for a in failslab fail_page_alloc; do
	diag "$a filtered on dm_noorder: $(af_injected $a 100) failure(s) injected"
	af_off $a
done
dm_message af-no revive 2>/dev/null
check "after the faults: 4 MiB written" pattern_write /dev/mapper/af-no 0 4194304 9
check "after the faults: drained" dm_message af-no drain
drop_caches /dev/mapper/af-no
check "after the faults: read back" pattern_check /dev/mapper/af-no 0 4194304 9
check "after the faults: on the ramdisk" pattern_check "$rd" 0 4194304 9
check "device removed" dm_remove af-no
check_eq "the ramdisk has no holders" "" "$(af_holders "$rd")"
check "dm-noorder unloads" rmmod dm-noorder
ktap_end
