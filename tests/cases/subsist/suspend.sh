#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Suspending the pool under load quiesces its vdisks (the pool suspends
# their dm devices first, as dm-thin does its thin devices).  The data
# device is a dm-linear over a ramdisk, so that its I/O counters can be
# read.  A fio write load with crc32c verify runs on
# vdisk 0 while vdisk 1 writes blocks that vdisk 0 holds (compares in the
# worker) and sub-block writes (read-modify-writes in the worker); the pool
# is suspended mid-load: the data device's counters do not move for 3 s,
# vdisk writes stay pending (neither done nor failed: one that merges, a
# sub-block one, one to a new block; fio's, with its fsyncs); no commit
# runs; after the resume everything completes, fio verifies, the pending
# writes read back.  Without and with a meta_dev (its postsuspend commit
# writes straight to the devices).  The data device lists
# the pool as its holder; a write to the pool device from outside still
# fails with EIO.  While the pool is suspended a vdisk table on a new dm
# device is refused.
# timeout: 420
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen dio fio
seed_init

A=$((SEED * 4 + 1)) B=$((SEED * 4 + 2)) C=$((SEED * 4 + 3))
rd=$(ramdisk 64) || bail "no ramdisk"
mrd=$(ramdisk 16) || bail "no ramdisk"
check "data device: linear over $rd" \
	dm_create ss-data "0 $(blockdev --getsz $rd) linear $rd 0"
data=/dev/mapper/ss-data
dmdata=dm-$(dmsetup info -c --noheadings -o minor ss-data | tr -d ' ')
stat_of() { tr -s ' ' <"/sys/block/$dmdata/stat"; }
v0=/dev/mapper/v0 v1=/dev/mapper/v1

# alive PID: 0 while the process runs.
alive() { kill -0 "$1" 2>/dev/null; }

# sub DEV BLK SEED: a 512-byte write at byte 1024 of block BLK.
sub() { ssgen block "$3" 512 | dio write "$1" $(($2 * 4096 + 1024)) 512; }
# sub_same DEV BLK SEED: 0 when that sector holds it.
sub_same() {
	ssgen block "$3" 512 >"$_lib_state/want" &&
		dio read "$1" $(($2 * 4096 + 1024)) 512 >"$_lib_state/got" &&
		ssgen cmp "$_lib_state/want" "$_lib_state/got"
}

# round NAME [FEATURE-WORDS...]
round() {
	_r=$1
	shift
	dd if=/dev/zero of=$mrd bs=4096 count=2 status=none
	check "$_r: pool (3 vdisks, 2 of them used)" ss_pool pool $data 3 32768 "$@" || return
	check "$_r: vdisks" ss_vdisks pool v 2 || return
	dmpool=dm-$(dmsetup info -c --noheadings -o minor pool | tr -d ' ')
	# Vdisk 0 beyond fio's 12 MiB: what vdisk 1 will write (merges).
	i=0 bad=0
	while [ $i -lt 60 ]; do
		ss_wr $v0 $((3400 + i * 8)) 8 $((B + i)) || bad=$((bad + 1))
		i=$((i + 1))
	done
	ss_wr $v0 3300 4 $A || bad=$((bad + 1))
	check_eq "$_r: vdisk 0 holds the streams vdisk 1 will write" 0 $bad

	# The load: fio verify on vdisk 0 (rate-limited, so it lasts),
	# merges (compares in the worker) and read-modify-writes (the
	# worker) on vdisk 1.
	fio --name=load --filename=$v0 --rw=randwrite --bs=4k --size=12M \
		--direct=1 --ioengine=psync --rate=1m --fsync=32 \
		--verify=crc32c --verify_fatal=1 --randseed=$SEED \
		>"$_lib_state/fio" 2>&1 &
	fio_pid=$!
	(
		i=0
		while [ $i -lt 60 ]; do
			ss_wr $v1 $((i * 8)) 8 $((B + i)) || exit 1
			sub $v1 $((1000 + i)) $((C + i)) || exit 1
			i=$((i + 1))
		done
	) &
	w1_pid=$!
	sleep 3
	alive $fio_pid
	ok $? "$_r: the fio load runs"

	check "$_r: suspend the pool under load" dmsetup suspend pool
	before=$(stat_of)
	commits=$(ss_stat pool commits)
	ss_wr $v1 3000 4 $A &		# merges: a compare in the worker
	mrg_pid=$!
	sub $v1 2000 $C &		# a read-modify-write in the worker
	rmw_pid=$!
	dio write $v1 $((2100 * 4096)) 4096 </dev/zero &	# the fast path
	fast_pid=$!
	sleep 3
	after=$(stat_of)
	check_eq "$_r: the data device's counters stay still for 3 s" \
		"$before" "$after"
	alive $mrg_pid
	ok $? "$_r: a write that merges stays pending"
	alive $rmw_pid
	ok $? "$_r: a sub-block write stays pending"
	alive $fast_pid
	ok $? "$_r: a new-block write stays pending"
	alive $fio_pid
	ok $? "$_r: the fio load waits (not failed)"
	check_eq "$_r: no commit while suspended" "$commits" \
		"$(ss_stat pool commits)"
	klog_mark
	check_fails "$_r: a vdisk on a new device is refused while the pool is suspended" \
		dmsetup create v2 --table "0 32768 subsist /dev/mapper/pool 2"
	klog_has "The pool is suspended: resume it first"
	ok $? "$_r: ... saying why"
	[ ! -e /dev/mapper/v2 ]
	ok $? "$_r: ... and leaving no device"
	check "$_r: resume the pool" dmsetup resume pool
	wait $mrg_pid
	ok $? "$_r: the merging write completed"
	check "$_r: ... reads back" ss_same $v1 3000 4 $A
	wait $rmw_pid
	ok $? "$_r: the sub-block write completed"
	check "$_r: ... reads back" sub_same $v1 2000 $C
	wait $fast_pid
	ok $? "$_r: the new-block write completed"
	check "$_r: ... reads back" ss_zeros $v1 2100 1
	wait $fio_pid
	st=$?
	ok $st "$_r: fio completed and verified (crc32c)"
	[ $st = 0 ] || sed 's/^/#   /' "$_lib_state/fio" | tail -n 20
	wait $w1_pid
	ok $? "$_r: vdisk 1's load completed"
	i=0 bad=0
	while [ $i -lt 60 ]; do
		ss_same $v1 $((i * 8)) 8 $((B + i)) || bad=$((bad + 1))
		sub_same $v1 $((1000 + i)) $((C + i)) || bad=$((bad + 1))
		i=$((i + 1))
	done
	check_eq "$_r: ... and reads back" 0 $bad
	merges=$(ss_stat pool merges)
	[ "$merges" -ge 484 ]
	ok $? "$_r: vdisk 1's blocks merged ($merges of 484)"
	ls /sys/block/$dmdata/holders | grep -qx "$dmpool"
	ok $? "$_r: the data device's holder is the pool ($dmpool)"
	check_fails "$_r: an outside write to the pool device fails" \
		dio write /dev/mapper/pool 0 4096 </dev/zero
	check "$_r: an outside read of the pool device works" \
		dio read /dev/mapper/pool 0 4096 >/dev/null
	ss_show pool
	dm_remove v0
	dm_remove v1
	dm_remove pool
}

round "no meta_dev"
round "meta_dev" meta_dev $mrd
dm_remove ss-data
ss_rmmod
modprobe -r brd 2>/dev/null
ktap_end
