#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# crashtest on a real record: ext4 on dm-noorder (flush honor), a small
# workload recorded through the write log, then crash states explored
# with e2fsck under both models (the same crash points and draws).  With
# the honor model ext4's journal must make every state clean; with the
# ignore model the numbers are reported (--paranoid: after every state
# the working image must be the base again, byte for byte, whatever
# e2fsck wrote).  Then explore hands some states to a checker that
# checksums the image it got, and replay must rebuild each of them with
# the same bytes.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/crashtest.lib"

ktap_begin
need_module dm-mod brd dm-noorder ext4
need_cmd crashtest e2fsck md5sum
seed_init

NSTATES=${CT_STATES:-60}
rd=$(ramdisk 64) || bail "no ramdisk"
check "noorder (flush honor) over a 64 MiB ramdisk" \
	dm_create ct "0 131072 noorder $rd 0 2 flush honor"
dev=/dev/mapper/ct
check "mkfs.ext4" mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 $dev
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"
ct_workload wl.sh

check "record the workload" crashtest record -d $dev -o rec --seed "$SEED" -- sh wl.sh
sed 's/^/#   /' rec/meta
check "the record is whole (info)" crashtest info rec
check_eq "meta: flush mode" honor "$(ct_field rec/meta flush)"
check_eq "meta: seed" "$SEED" "$(ct_field rec/meta seed)"
check_eq "meta: device size" 131072 "$(ct_field rec/meta device_sectors)"
check_eq "meta: the workload succeeded" 0 "$(ct_field rec/meta workload_status)"
writes=$(ct_field rec/meta writes)
flushes=$(ct_field rec/meta flushes)
fuas=$(ct_field rec/meta fuas)
diag "log: $(ct_field rec/meta records) records, $writes writes, $flushes flushes, $fuas FUA"
[ "$writes" -gt 50 ] && [ $((flushes + fuas)) -gt 2 ]
ok $? "the log holds the workload's writes and ext4's flushes"
# The base image is the fresh file system.
check "base image is a clean ext4" e2fsck -fn rec/base.img
# The end of the log: every write kept, the file system as unmounted.
check "replay the end of the log" crashtest replay rec "honor:$(ct_field rec/meta records):0" -o end.img
check "the end state is clean" e2fsck -fn end.img
rm -f end.img

crashtest explore rec -n "$NSTATES" -j 2 --flush both --check e2fsck --paranoid \
	--results results --show 10 >explore.out 2>&1
st=$?
sed 's/^/#   /' explore.out
[ $st = 0 ] || [ $st = 1 ]
ok $? "explore ran (exit $st)"
check_eq "explore: $NSTATES states" "$NSTATES" "$(wc -l <results | tr -d ' ')"
h_total=$(ct_count explore.out total 1)
i_total=$(ct_count explore.out total 2)
check_eq "both models explored" "$NSTATES" "$((h_total + i_total))"
h_clean=$(ct_count explore.out clean 1)
check_eq "honor: every state clean after journal replay" "$h_total" "$h_clean"
i_bad=$((i_total - $(ct_count explore.out clean 2)))
diag "ignore: $i_bad of $i_total states not clean" \
	"(repaired $(ct_count explore.out repaired 2)," \
	"unrecoverable $(ct_count explore.out unrecoverable 2))"
check_eq "no checker crashed" "0 0" \
	"$(ct_count explore.out 'checker crashed' 1) $(ct_count explore.out 'checker crashed' 2)"

# What explore checked, replay rebuilds: same seed, a checker that keeps
# the checksum of each image it is given.
mkdir -p sums
crashtest explore rec -n 8 -j 2 --flush both -q \
	--check 'md5sum <"$CRASHTEST_IMG" >sums/"$CRASHTEST_ID"' >explore2.out 2>&1
ok $? "explore with a checksum checker"
n=0 same=0
for f in sums/*; do
	id=${f#sums/}
	n=$((n + 1))
	crashtest replay rec "$id" -o state.img -q || continue
	[ "$(md5sum <state.img)" = "$(cat "$f")" ] && same=$((same + 1))
	rm -f state.img
done
check_eq "replay rebuilds the 8 states explore checked, byte for byte" "8 8" "$n $same"
ktap_end
