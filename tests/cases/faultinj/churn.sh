#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-faultinj under concurrent I/O while its rules, type map and power
# state change underneath: fio (4 KiB random and 1 MiB sequential, several
# jobs) runs while a loop adds and deletes rules of every kind, loads and
# clears types, cuts and restores the power.  Nothing may oops or hang (the
# rig checks the kernel log), the counters must add up, and once the rules
# are gone the device must move data correctly again.
# timeout: 400
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj
need_cmd fio
seed_init

rd=$(ramdisk 128) || bail "no ramdisk"
check "faultinj" fi_new fi "$rd" seed "$SEED"
fi=/dev/mapper/fi
sz=$(blockdev --getsz "$rd")

fio --name=rand --filename=$fi --direct=1 --ioengine=psync --rw=randrw \
	--bs=4k --size=64m --numjobs=2 --time_based --runtime=240 \
	--randseed="$SEED" --continue_on_error=all --group_reporting \
	--output=rand.out >/dev/null 2>&1 &
rand=$!
fio --name=seq --filename=$fi --direct=1 --ioengine=psync --rw=write \
	--bs=1m --offset=64m --size=56m --numjobs=2 --time_based --runtime=240 \
	--continue_on_error=all --group_reporting \
	--output=seq.out >/dev/null 2>&1 &
seq=$!

msgs=0 refused=0
i=0
sleep 2
while [ $i -lt 150 ]; do
	id=$((i % 12 + 1))
	rnd $((sz / 2)) r_sec
	rnd 1000 r_blk
	rnd 500 r_len
	rnd 200 r_n
	rnd 12 r_id
	case $((i % 12)) in
	0) m="rule add $id write drop prob 300000" ;;
	1) m="rule add $id read error sectors $r_sec 4096" ;;
	2) m="rule add $id write corrupt random prob 500000" ;;
	3) m="rule add $id read corrupt flip 17 3 times 50" ;;
	4) m="rule add $id any corrupt byte 4000 7 type data" ;;
	5) m="types load $r_blk $((1 + r_len)) data" ;;
	6) m="rule add $id write corrupt zero sectors 131072 65536 after 5" ;;
	7) m="crash after $r_n" ;;
	8) m="revive" ;;
	9) m="types clear" ;;
	10) m="rule del $((r_id + 1))" ;;
	11) m="stats reset" ;;
	esac
	# shellcheck disable=SC2086
	if dmsetup message fi 0 $m >/dev/null 2>&1; then
		msgs=$((msgs + 1))
	else
		refused=$((refused + 1))
	fi
	[ $((i % 25)) = 24 ] && dm_message fi rule clear
	i=$((i + 1))
done
alive=0
kill -0 $rand 2>/dev/null && alive=$((alive + 1))
kill -0 $seq 2>/dev/null && alive=$((alive + 1))
check_eq "both fio runs went on through all 150 messages" 2 $alive
kill -INT $rand $seq 2>/dev/null
wait $rand
wait $seq
diag "$msgs messages taken, $refused refused (duplicate ids, deleted ids) during the I/O"
check "fio random jobs ran" grep -q "rand: (groupid" rand.out
check "fio sequential jobs ran" grep -q "seq: (groupid" seq.out
check "most messages were taken (at least 60 of 150)" test $msgs -ge 60

dm_message fi rule clear
dm_message fi revive
dm_message fi types clear
check "status parses" sh -c "dmsetup status fi | grep -Eq '^0 $sz faultinj ([0-9]+ ){7}live [0-9]+ 0 0\$'"
check "write through the quiet device" pattern_write $fi 0 $((8 << 20)) 77
check "reads back through it" pattern_check $fi 0 $((8 << 20)) 77
check "and on the ramdisk" pattern_check "$rd" 0 $((8 << 20)) 77
check "dm_remove" dm_remove fi
check "rmmod dm-faultinj" rmmod dm_faultinj
ktap_end
