#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The data oracle on the untrusted device: ext4 on dm-noorder, the oracle's
# workload, then a power cut while mounted that keeps a seeded random half
# of the writes the cache had not persisted.  With "flush honor" every
# fsync and journal commit reached the disk before it was acknowledged:
# after journal replay verify must find no WRONG block, no bad size, no
# unknown name (exit 0), every round.  With "flush ignore" the journal's
# order is lost: what e2fsck and verify find is reported (the contrast
# NoFS starts from).  Each round has its own workload seed, so another
# round's stale blocks are WRONG too.  So that the cut finds unflushed
# writes in the cache also with honor, the flusher writes dirty data
# back within 0.2 s, without a flush, and ext4 commits only every 30 s
# (or at an fsync); every other round writes with O_DIRECT.
# timeout: 600
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd dm-noorder ext4
need_cmd crashtest
seed_init

ROUNDS=${ROUNDS:-4}
WL="--ops 500 --files 10 --max-blocks 24 --fsync-every 40"
rd=$(ramdisk 64) || bail "no ramdisk"
mkdir -p mnt
for k in dirty_expire_centisecs dirty_writeback_centisecs; do
	cleanup_push "echo $(cat /proc/sys/vm/$k) >/proc/sys/vm/$k"
	echo 20 >/proc/sys/vm/$k
done
cleanup_push "umount $PWD/mnt 2>/dev/null"

jget() {	# FIELD FILE
	sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$2" | head -n 1
}

# round MODE WSEED [--direct]: a fresh ext4 (mkfs drained to the
# ramdisk), the workload, written back, a cut keeping a random half,
# revive.  Sets CUT (the kernel's "kept/dropped" of the cut).
round() {
	dm_create no "0 131072 noorder $rd 0 2 flush $1" || return 1
	mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
		/dev/mapper/no || return 1
	dm_message no drain || return 1
	mount -t ext4 -o commit=30 /dev/mapper/no mnt || return 1
	# shellcheck disable=SC2086
	crashtest workload mnt --seed "$2" $WL $3 >wl.out || return 1
	sleep 1
	dm_message no crash keep random 500000 seed "$2" || return 1
	CUT="kept $(no_stat no crash_kept) dropped $(no_stat no crash_dropped)"
	umount mnt 2>/dev/null
	dm_message no revive
	dm_remove no
	drop_caches $rd
}

summary=
for mode in honor ignore; do
	wrong_total=0 failed_mounts=0 fsck_bad=0
	off=0
	[ $mode = ignore ] && off=1000
	r=1
	while [ $r -le "$ROUNDS" ]; do
		wseed=$((SEED + r + off))
		direct=
		[ $((r % 2)) = 0 ] && direct=--direct
		r=$((r + 1))
		if ! round $mode $wseed $direct; then
			fail "$mode seed $wseed: round ran"
			umount mnt 2>/dev/null
			dm_gone no
			continue
		fi
		# Recovery: journal replay at mount; e2fsck -fy only if that fails.
		how="mount"
		if ! mount -t ext4 $rd mnt 2>/dev/null; then
			e2fsck -fy $rd >fsck.out 2>&1
			how="mount failed, e2fsck -fy $?, mount"
			if ! mount -t ext4 $rd mnt 2>/dev/null; then
				failed_mounts=$((failed_mounts + 1))
				[ $mode = honor ] && fail "honor seed $wseed: mount after the cut"
				summary="$summary
#   $mode seed=$wseed $CUT: mount failed after e2fsck -fy"
				continue
			fi
		fi
		crashtest verify mnt --seed $wseed --json >v.json 2>v.err
		rc=$?
		crashtest verify mnt --seed $wseed >v.txt 2>&1
		umount mnt
		e2fsck -fn $rd >fsck.out 2>&1
		frc=$?
		[ $frc = 0 ] || fsck_bad=$((fsck_bad + 1))
		res="$how; e2fsck -fn $frc; verify exit $rc: blocks $(jget blocks v.json) correct $(jget correct v.json) older $(jget older v.json) zeros $(jget zeros v.json) ioerror $(jget ioerror v.json) WRONG $(jget wrong v.json) missing $(jget missing v.json) badsize $(jget badsize v.json) unknown $(jget unknown v.json) lost $(jget lost v.json)"
		summary="$summary
#   $mode seed=$wseed ${direct:+direct }$CUT: $res"
		if [ $mode = honor ]; then
			ok $rc "honor seed $wseed ($CUT): no WRONG data after journal replay"
			[ $rc = 0 ] || sed 's/^/#   /' v.txt v.err | head -n 20
			check_eq "honor seed $wseed: e2fsck -fn clean after replay" 0 $frc
		else
			if [ $rc = 8 ]; then
				fail "ignore seed $wseed: verify ran"
				sed 's/^/#   /' v.err
			fi
			wrong_total=$((wrong_total + $(jget wrong v.json)))
			grep -E '^WRONG' v.txt | head -n 3 | sed "s/^/# ignore seed=$wseed: /"
		fi
	done
	diag "$mode: $wrong_total WRONG blocks, $fsck_bad of $ROUNDS rounds not clean for e2fsck -fn, $failed_mounts mounts failed"
done

echo "# cuts and what verify found (seed $SEED):$summary"
ktap_end
