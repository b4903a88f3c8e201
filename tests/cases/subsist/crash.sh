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
# Rounds stop after CRASH_BUDGET s once each way has had one; the timeout
# leaves room for those first rounds on a host three times oversubscribed
# (4 rounds took over 240 s with three guests on two cores).
# timeout: 480
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"
. "${0%/*}/crash.lib"

ktap_begin
need_module dm-mod brd dm-subsist dm-noorder dm-faultinj
seed_init

CL_D=16384	# data device: 8 MiB, 2048 blocks
CL_M=16384	# metadata device: 8 MiB
CL_VS=2048	# vdisk_sectors: 256 blocks (the workload uses the first 32)
BUDGET=${CRASH_BUDGET:-100}	# seconds of rounds (at least one per way)
MAXR=${CRASH_ROUNDS:-16}
CL_RDA=$(ramdisk 32) && CL_RDB=$(ramdisk 16) || bail "no ramdisk"
# Writes the faultinj device saw in the previous round of its way: the
# range where the next cut is drawn.
fin_one=60 fin_meta=20

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
	cl_lower $way
	if ! cl_pool; then
		fail "$T: new pool on a zeroed meta_dev"
		klog_new | tail -n 5 | sed 's/^/# /'
		cl_teardown; r=$((r + 1)); continue
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
			(sleep $delay; cl_powercut $way; echo $? >"$_lib_state/cut.rc") \
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
		cl_powercut $way
		ok $? "$T: power cut"
	fi
	check "$T: vdisks and pool removed after the cut" cl_unpool
	check "$T: lower layers back" cl_bring_back $way
	if ! cl_pool; then
		fail "$T: the pool loads from meta_dev"
		klog_new | tail -n 8 | sed 's/^/# /'
		cl_teardown; r=$((r + 1)); continue
	fi
	pass "$T: the pool loads from meta_dev"
	cl_way_done $way
	cl_verify "$T"
	ok $? "$T: every block reads its flushed content or a later one ($((CL_NV * CL_W)) blocks, $CL_BAD wrong)"
	cl_status_ok cl-pool "$T"
	cl_adopt
	cl_reuse_ok cl-pool "$T"
	ok $(klog_clean; echo $?) "$T: kernel log clean"
	cl_teardown
	r=$((r + 1))
done
diag "$r rounds in $(($(date +%s) - t0)) s"
cl_ways_ok noorder-each noorder-one faultinj-one faultinj-meta
ktap_end
