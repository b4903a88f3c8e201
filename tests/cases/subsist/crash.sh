#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-subsist with meta_dev across power cuts.  Rounds, each with its own
# seeded workload through three vdisks (shared and unique writes of 1-2
# blocks, overwrites of shared blocks, FUA writes, discards, flushes) and
# one power cut, cycling through four ways to lose power:
#   noorder-each   a dm-noorder (flush honor, order random) under the data
#                  device and another under the metadata device; both cut
#                  (keep none, all, prefix n or random ppm), then revived
#   noorder-one    one dm-noorder under both (linear slices of it); cut,
#                  then replaced: the slices map the ramdisk directly
#   faultinj-one   one dm-faultinj under both, "crash after N" writes
#                  (N seeded: the cut may come inside a commit), revived
#   faultinj-meta  dm-faultinj under the metadata device only: it dies at
#                  write N, the data device goes on; replaced
# After the cut the pool is removed, the lower layers revived or replaced,
# and the pool loaded again from meta_dev.  It must load; every vdisk block
# must read its content at the last completed flush or one written after
# it, never another block's data; the status must agree with the vdisks and
# the data; new writes must not land on live blocks and discarding
# everything must empty the pool.
# timeout: 240
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"
. "${0%/*}/crash.lib"

ktap_begin
need_module dm-mod brd dm-subsist dm-noorder dm-faultinj
seed_init

D=16384		# data device: 8 MiB, 2048 blocks
M=16384		# metadata device: 8 MiB
VS=2048		# vdisk_sectors: 256 blocks (the workload uses the first 32)
BUDGET=${CRASH_BUDGET:-100}	# seconds of rounds (at least one per way)
MAXR=${CRASH_ROUNDS:-16}
rda=$(ramdisk 32) && rdb=$(ramdisk 16) || bail "no ramdisk"
# Writes the faultinj device saw in the previous round of its way: the
# range where the next cut is drawn.
fin_one=60 fin_meta=20

# lower WAY: the stack under /dev/mapper/cl-d and cl-m for a way.
lower() {
	dd if=/dev/zero of=$rdb bs=8192 count=1 conv=fsync status=none
	dd if=/dev/zero of=$rda bs=512 seek=$D count=16 conv=fsync status=none
	CL_FI=
	case $1 in
	noorder-each)
		dm_create cl-nd "0 $D noorder $rda 0 6 flush honor order random seed $((SEED + CL_ROUND))"
		dm_create cl-nm "0 $M noorder $rdb 0 6 flush honor order random seed $((SEED + CL_ROUND + 1))"
		dm_create cl-d "0 $D linear /dev/mapper/cl-nd 0"
		dm_create cl-m "0 $M linear /dev/mapper/cl-nm 0" ;;
	noorder-one)
		dm_create cl-n "0 $((D + M)) noorder $rda 0 6 flush honor order random seed $((SEED + CL_ROUND))"
		dm_create cl-d "0 $D linear /dev/mapper/cl-n 0"
		dm_create cl-m "0 $M linear /dev/mapper/cl-n $D" ;;
	faultinj-one)
		dm_create cl-f "0 $((D + M)) faultinj $rda 0 2 seed $((SEED + CL_ROUND))"
		dm_create cl-d "0 $D linear /dev/mapper/cl-f 0"
		dm_create cl-m "0 $M linear /dev/mapper/cl-f $D"
		CL_FI=cl-f ;;
	faultinj-meta)
		dm_create cl-d "0 $D linear $rda 0"
		dm_create cl-fm "0 $M faultinj $rdb 0 2 seed $((SEED + CL_ROUND))"
		dm_create cl-m "0 $M linear /dev/mapper/cl-fm 0"
		CL_FI=cl-fm ;;
	esac
}

# powercut WAY: the power cut of the way's noorder devices (faultinj cuts by
# itself, or now if the workload ended first).
powercut() {
	case $1 in
	noorder-*)
		for _nd in $(case $1 in *each) echo cl-nd cl-nm ;; *) echo cl-n ;; esac); do
			rnd 4 _k
			case $_k in
			0) _p="keep none" ;;
			1) _p="keep all" ;;
			2) rnd 1000001 _ppm; _p="keep random $_ppm seed $((SEED + CL_ROUND))" ;;
			3) rnd $(($(no_stat $_nd cached_writes) + 1)) _pre; _p="keep prefix $_pre" ;;
			esac
			diag "round $CL_ROUND: $_nd: $(no_stat $_nd cached_writes) writes cached, crash $_p"
			dm_message $_nd crash $_p || return 1
		done ;;
	faultinj-*)
		_st=$(fi_stat $CL_FI state)
		diag "round $CL_ROUND: $CL_FI $_st after $(fi_stat $CL_FI writes) writes"
		case $_st in crashed) ;; *) dm_message $CL_FI crash || return 1 ;; esac ;;
	esac
}

# bring_back WAY: revive, or replace the crashed layer by the ramdisk.
bring_back() {
	case $1 in
	noorder-each)
		dm_message cl-nd revive && dm_message cl-nm revive ;;
	noorder-one)
		dm_reload cl-d "0 $D linear $rda 0" && dm_reload cl-m "0 $M linear $rda $D" &&
			dm_remove cl-n ;;
	faultinj-one)
		dm_message cl-f revive ;;
	faultinj-meta)
		dm_reload cl-m "0 $M linear $rdb 0" && dm_remove cl-fm ;;
	esac
}

teardown() {
	for _d in cv0 cv1 cv2 cl-pool cl-d cl-m cl-nd cl-nm cl-n cl-f cl-fm; do
		dm_gone $_d 2>/dev/null
	done
}

pool() {
	dm_create cl-pool "$(ss_pool_table /dev/mapper/cl-d 3 $VS meta_dev /dev/mapper/cl-m)" &&
		ss_vdisks cl-pool $CL_VD 3
}

unpool() {
	for _d in cv0 cv1 cv2 cl-pool; do
		dm_remove $_d || return 1
	done
}

t0=$(date +%s)
r=0
while [ $r -lt $MAXR ]; do
	[ $r -ge 4 ] && [ $(($(date +%s) - t0)) -ge $BUDGET ] && break
	CL_ROUND=$r
	case $((r % 4)) in
	0) way=noorder-each ;; 1) way=noorder-one ;;
	2) way=faultinj-one ;; 3) way=faultinj-meta ;;
	esac
	T="round $r ($way)"
	klog_mark
	lower $way
	if ! pool; then
		fail "$T: new pool on a zeroed meta_dev"
		klog_new | tail -n 5 | sed 's/^/# /'
		teardown; r=$((r + 1)); continue
	fi
	cl_oracle_init
	cl_prefill || diag "$T: prefill failed"
	rnd 50 nops; nops=$((nops + 20))
	async=0
	case $way in
	faultinj-*)
		eval "fin=\$fin_${way#faultinj-}"
		rnd $((fin * 9 / 10 + 1)) after
		diag "$T: crash after $after writes"
		fiw0=$(fi_stat $CL_FI writes)
		dm_message $CL_FI crash after $after ;;
	noorder-*)
		# Half the cuts come during the workload, at a time (not
		# replayable by the seed: the pool commits every second too).
		rnd 2 async
		if [ $async = 1 ]; then
			rnd $((nops / 2)) delay
			delay=$((delay / 10)).$((delay % 10 + 1))
			diag "$T: power cut in $delay s, during the workload"
			(sleep $delay; powercut $way; echo $? >"$_lib_state/cut.rc") \
				>"$_lib_state/cut.out" 2>&1 &
			cutpid=$!
		fi ;;
	esac
	cl_workload $nops
	diag "$T: $nops operations: $CL_OPS"
	[ -n "$CL_FI" ] && eval "fin_${way#faultinj-}=$(($(fi_stat $CL_FI writes) - fiw0))"
	if [ $async = 1 ]; then
		wait $cutpid
		cat "$_lib_state/cut.out"
		check_eq "$T: power cut" 0 "$(cat "$_lib_state/cut.rc" 2>/dev/null)"
	else
		powercut $way
		ok $? "$T: power cut"
	fi
	check "$T: vdisks and pool removed after the cut" unpool
	check "$T: lower layers back" bring_back $way
	if ! pool; then
		fail "$T: the pool loads from meta_dev"
		klog_new | tail -n 8 | sed 's/^/# /'
		teardown; r=$((r + 1)); continue
	fi
	pass "$T: the pool loads from meta_dev"
	cl_verify "$T"
	ok $? "$T: every block reads its flushed content or a later one ($((CL_NV * CL_W)) blocks, $CL_BAD wrong)"
	cl_status_ok cl-pool "$T"
	cl_adopt
	cl_reuse_ok cl-pool "$T"
	ok $(klog_clean; echo $?) "$T: kernel log clean"
	teardown
	r=$((r + 1))
done
diag "$r rounds in $(($(date +%s) - t0)) s"
ok $([ $r -ge 4 ]; echo $?) "at least one round per way ($r rounds)"
ktap_end
