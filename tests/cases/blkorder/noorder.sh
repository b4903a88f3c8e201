#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# blkorder on ext4 over dm-noorder shows ext4's flushes and noorder's
# reordering.  ext4 (mkfs, mount, 12 files with fsync, umount) on noorder
# over vdb at an offset, then drain; blktrace of noorder (upper) and vdb
# (lower) together, compared by blkorder with --lower-offset.  Four
# configurations:
#   flush honor,  order fifo:    in order, no ordering violation
#   flush ignore, order fifo:    flushes do not reach vdb; queued in order,
#                                but a flushed block that ext4 rewrote
#                                reaches vdb only with its newer data, after
#                                later writes: ordering violations
#   flush honor,  order random:  no violation (reordered only inside epochs)
#   flush ignore, order random:  reordered, and ordering violations
# Each time every write ext4 issued reached vdb after the drain, and
# noorder's own flush and FUA counters equal what blkorder read in the
# trace of the noorder device.
# timeout: 400
. "${0%/*}/../lib.sh"
. "${0%/*}/bo.lib"

ktap_begin
need_module dm-mod ext4 dm-noorder
need_cmd blkorder blktrace mkfs.ext4 dmsetup
seed_init
rnd 1000000
nseed=$RND

off=2048
sz=$((96 * 2048))
mkdir -p /mnt/bo

# run_config TAG FEATURES...: the workload on noorder with FEATURES,
# traced into tr-TAG; blkorder's reports in kv-TAG (lower at D) and
# kvq-TAG (lower at Q).  Sets dm, and flushes/fuas from noorder's status.
run_config() {
	_tag=$1
	shift
	check "$_tag: noorder $*" \
		dm_create bo-no "0 $sz noorder /dev/vdb $off $# $*" || return 1
	dm=$(bo_dmname bo-no)
	check "$_tag: blktrace $dm and vdb" bt_start "tr-$_tag" "$dm" vdb
	check "$_tag: mkfs.ext4" mkfs.ext4 -q -F -E nodiscard /dev/mapper/bo-no
	check "$_tag: mount" mount -t ext4 /dev/mapper/bo-no /mnt/bo
	check "$_tag: workload" bo_workload /mnt/bo 12
	check "$_tag: umount" umount /mnt/bo
	check "$_tag: drain" dm_message bo-no drain
	no_flushes=$(no_stat bo-no flushes)
	no_fuas=$(no_stat bo-no fuas)
	diag "$_tag: noorder status: $(dmsetup status bo-no | cut -d' ' -f4-)"
	check "$_tag: blktrace stopped, nothing dropped" bt_stop
	check "$_tag: remove noorder" dm_remove bo-no
	check "$_tag: blkorder" sh -c \
		"blkorder -k -D tr-$_tag -u $dm -l vdb -o $off >kv-$_tag"
	check "$_tag: blkorder, lower at Q" sh -c \
		"blkorder -k -D tr-$_tag -u $dm -l vdb -o $off --lower-issue Q >kvq-$_tag"
	blkorder -D "tr-$_tag" -u "$dm" -l vdb -o $off |
		sed -n '/^order/,$p' | sed 's/^/# /'
	# the counters of the device and of its trace agree
	check_eq "$_tag: noorder's flushes = empty flushes + preflush writes in the trace" \
		"$no_flushes" $(($(bo_get "kv-$_tag" "$dm" flushes) + \
		$(bo_get "kv-$_tag" "$dm" preflush_writes)))
	check_eq "$_tag: noorder's FUAs = FUA writes in the trace" \
		"$no_fuas" "$(bo_get "kv-$_tag" "$dm" fua_writes)"
	check "$_tag: ext4 sent FUA writes" test "$no_fuas" -gt 0
	check "$_tag: ext4 has ordering points" \
		test "$(bo_get "kv-$_tag" "$dm" ordering_points)" -ge 12
	check_eq "$_tag: every upper write reached vdb" 0 \
		"$(bo_get "kv-$_tag" order unseen)"
	check_eq "$_tag: nothing else was written to vdb" 0 \
		"$(bo_get "kv-$_tag" order extra_sectors)"
}

# ---- flush honor, order fifo ------------------------------------------------
run_config hf flush honor order fifo
check "hf: flushes reach vdb" test "$(bo_get kv-hf vdb flushes)" -gt 1
# fifo destages in the order writes reached the target's map; two writes
# queued at about the same time (Q on dm-0) may reach it the other way
# round, and the remainder of a split bio is mapped after writes that came
# in meanwhile: concurrent writes, no ordering between them.  So "in
# order" allows 2% of the writes to move (random order moves ~50%).
fifo_order() {	# tag
	test "$(bo_get kvq-$1 order reordered)" -le \
		$(($(bo_get kvq-$1 order upper_writes) / 50))
}
check "hf: queued on vdb in ext4's order (<= 2% moved)" fifo_order hf
check_eq "hf: no ordering violation (Q)" 0 "$(bo_get kvq-hf order violations)"
check_eq "hf: no ordering violation (D)" 0 "$(bo_get kv-hf order violations)"
check "hf: --check passes" blkorder -D tr-hf -u "$dm" -l vdb -o $off --check

# ---- flush ignore, order fifo ----------------------------------------------
run_config if flush ignore order fifo
check "if: only the drain's flush reaches vdb" test "$(bo_get kv-if vdb flushes)" -le 1
check "if: queued on vdb in ext4's order (<= 2% moved)" fifo_order if
# ext4 flushes a block, then rewrites it: the cache keeps only the newest
# data, so the flushed version never reaches vdb before later writes do.
check "if: blocks rewritten in the cache (overwritten on the way)" \
	test "$(bo_get kvq-if order absorbed)" -gt 0
check "if: ordering violations all the same (Q)" \
	test "$(bo_get kvq-if order violations)" -gt 0

# ---- flush honor, order random ------------------------------------------------
run_config hr flush honor order random seed "$nseed"
check_eq "hr: no ordering violation (Q)" 0 "$(bo_get kvq-hr order violations)"
check_eq "hr: no ordering violation (D)" 0 "$(bo_get kv-hr order violations)"
diag "hr: reordered inside epochs: $(bo_get kvq-hr order reordered) of $(bo_get kvq-hr order matched)"

# ---- flush ignore, order random ------------------------------------------------
run_config ir flush ignore order random seed "$nseed"
check "ir: reordered on vdb (Q)" test "$(bo_get kvq-ir order reordered)" -gt 0
check "ir: reordered on vdb (D)" test "$(bo_get kv-ir order reordered)" -gt 0
check "ir: ordering violations (Q)" test "$(bo_get kvq-ir order violations)" -gt 0
check "ir: ordering violations (D)" test "$(bo_get kv-ir order violations)" -gt 0
check_eq "ir: --check exits 3" 3 \
	"$(blkorder -D tr-ir -u "$dm" -l vdb -o $off --check >/dev/null 2>&1; echo $?)"

ktap_end
