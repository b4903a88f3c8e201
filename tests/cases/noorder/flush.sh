#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# flush honor vs flush ignore: with honor a FLUSH (fsync of the device) or
# a FUA write completes only after everything acknowledged before it is on
# the device below, so a power cut keeping nothing loses none of it; with
# ignore both are acknowledged at once, counted, and the cut loses them.
# Every destage order is tried under honor.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod brd dm-noorder
seed_init

# write N writes of 8 sectors, every 16 sectors, seeds SEED+i.
writes() {	# dev n
	_i=0
	while [ $_i -lt "$2" ]; do
		wr "$1" $((_i * 16)) 8 $((SEED + _i))
		_i=$((_i + 1))
	done
}
# how many of the N writes the device holds
holds() {	# dev n
	_i=0 _k=0
	while [ $_i -lt "$2" ]; do
		same "$1" $((_i * 16)) 8 $((SEED + _i)) && _k=$((_k + 1))
		_i=$((_i + 1))
	done
	echo $_k
}

for order in fifo random reverse; do
	rd=$(ramdisk 4) || bail "no ramdisk"
	check "honor, order $order" \
		no_new h $rd flush honor order $order seed $SEED
	h=/dev/mapper/h
	writes $h 20
	check_eq "honor $order: nothing below before the flush" 0 "$(holds $rd 20)"
	check "honor $order: fsync of the device" flush_dev $h
	check_eq "honor $order: all 20 writes below after the flush" 20 "$(holds $rd 20)"
	check_eq "honor $order: flush counted, not ignored" "1 0" \
		"$(no_stat h flushes) $(no_stat h flushes_ignored)"
	wr $h 1000 8 $SEED
	check "honor $order: a power cut keeping nothing" dm_message h crash keep none
	check_eq "honor $order: the unflushed write was dropped" 1 "$(no_stat h crash_dropped)"
	check "honor $order: the flushed writes survive" [ "$(holds $rd 20)" = 20 ]
	check "honor $order: the unflushed one does not" zeros $rd 1000 8
	dm_message h revive
	dm_remove h
done

rd=$(ramdisk 4) || bail "no ramdisk"
check "flush ignore" no_new i $rd flush ignore
i=/dev/mapper/i
writes $i 20
check "ignore: fsync of the device succeeds" flush_dev $i
check_eq "ignore: flush counted and ignored" "1 1" \
	"$(no_stat i flushes) $(no_stat i flushes_ignored)"
check_eq "ignore: nothing below after the flush" 0 "$(holds $rd 20)"
check "ignore: a power cut keeping nothing" dm_message i crash keep none
check_eq "ignore: all 20 acknowledged writes lost" "0 20" \
	"$(holds $rd 20) $(no_stat i crash_dropped)"
dm_message i revive
dm_remove i

# FUA: O_DIRECT|O_DSYNC writes carry REQ_FUA.
rd=$(ramdisk 4) || bail "no ramdisk"
check "honor for FUA" no_new fh $rd flush honor order reverse
writes /dev/mapper/fh 5
check "honor: an O_DSYNC write" fua_wr /dev/mapper/fh 500 8 $((SEED + 9))
check_eq "honor: the FUA write was seen" "1 0" \
	"$(no_stat fh fuas) $(no_stat fh fuas_ignored)"
check "honor: the FUA write is below when acknowledged" \
	same $rd 500 8 $((SEED + 9))
check_eq "honor: and every write before it" 5 "$(holds $rd 5)"
dm_remove fh

rd=$(ramdisk 4) || bail "no ramdisk"
check "ignore for FUA" no_new fi $rd flush ignore
check "ignore: an O_DSYNC write" fua_wr /dev/mapper/fi 500 8 $SEED
check_eq "ignore: the FUA write counted and ignored" "1 1" \
	"$(no_stat fi fuas) $(no_stat fi fuas_ignored)"
check "ignore: it is not below" zeros $rd 500 8
dm_remove fi

check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
