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
CL_BUDGET=${CRASH_BUDGET:-100}	# seconds of rounds (at least one per way)
CL_ROUNDS=${CRASH_ROUNDS:-16}
CL_RDA=$(ramdisk 32) && CL_RDB=$(ramdisk 16) || bail "no ramdisk"
# Writes the faultinj device saw in the previous round of its way: the
# range where the next cut is drawn.
CL_FIN_one=60 CL_FIN_meta=20

# The hooks of cl_rounds (crash.lib).
round_setup() {
	cl_oracle_init
	cl_prefill || diag "$CL_T: prefill failed"
	rnd 50 nops; nops=$((nops + 20))
}

# Half the cuts come during the workload, at a time (not replayable by the
# seed: the pool commits every second too).
round_cut_in() {
	rnd 2 async
	[ $async = 0 ] || CL_CUT_IN=$((nops / 2))
}

round_workload() {
	cl_workload $nops
	diag "$CL_T: $nops operations: $CL_OPS"
}

round_checks() {
	cl_verify "$CL_T"
	ok $? "$CL_T: every block reads its flushed content or a later one ($((CL_NV * CL_W)) blocks, $CL_BAD wrong)"
	cl_status_ok cl-pool "$CL_T"
	cl_adopt
	cl_reuse_ok cl-pool "$CL_T"
}

cl_rounds round noorder-each noorder-one faultinj-one faultinj-meta
ktap_end
