#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# ext4 on dm-subsist vdisks across power cuts.  Rounds: a pool with
# meta_dev over a crash layer (the ways of crash.sh: noorder-each,
# faultinj-one, noorder-one), ext4 on each of three vdisks, identical and
# unique files written and fsynced, then more files, renames and deletes
# without fsync, and the power cut (noorder: during that workload; faultinj:
# at a seeded write).  Then the pool is removed, the lower layers revived
# or replaced, the pool loaded from meta_dev: it must load, e2fsck -fy must
# repair (exit < 4) and e2fsck -fn then find nothing (exit 0) on every
# vdisk, every file fsynced before the cut must be intact, and the status
# must agree with the vdisks.
# Rounds stop after CRASH_BUDGET s once each way has had one; the timeout
# leaves room for those first rounds on a host three times oversubscribed
# (4 rounds took over 240 s with three guests on two cores).
# timeout: 480
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"
. "${0%/*}/crash.lib"

ktap_begin
need_module dm-mod brd dm-subsist dm-noorder dm-faultinj ext4
seed_init

CL_D=131072	# data device: 64 MiB
CL_M=16384	# metadata device: 8 MiB
CL_VS=65536	# vdisks: 32 MiB
CL_BUDGET=${CRASH_BUDGET:-90}
CL_ROUNDS=${CRASH_ROUNDS:-6}
CL_RDA=$(ramdisk 80) && CL_RDB=$(ramdisk 16) || bail "no ramdisk"
CL_FIN_one=300	# writes of the previous faultinj round after arming

# Writeback and journal commits while the unsynced workload runs, so that
# the cut finds writes in flight and in the caches below.
wb=$(cat /proc/sys/vm/dirty_writeback_centisecs) ex=$(cat /proc/sys/vm/dirty_expire_centisecs)
cleanup_push "echo $wb >/proc/sys/vm/dirty_writeback_centisecs; echo $ex >/proc/sys/vm/dirty_expire_centisecs"
echo 20 >/proc/sys/vm/dirty_writeback_centisecs
echo 10 >/proc/sys/vm/dirty_expire_centisecs

ssgen block $((SEED + 1)) 262144 >common1
ssgen block $((SEED + 2)) 70000 >common2

# fsynced WORKDIR I: the files that must survive, with their md5 list.
fsynced() {
	_m=$1 _i=$2
	mkdir -p $_m/keep || return 1
	dd if=common1 of=$_m/keep/c1 bs=64k conv=fsync status=none &&
	dd if=common2 of=$_m/keep/c2 bs=64k conv=fsync status=none &&
	ssgen block $((SEED + 10 + _i)) 90000 >u && dd if=u of=$_m/keep/u bs=64k conv=fsync status=none &&
	echo "vdisk $_i seed $SEED" >$_m/keep/name && dd if=/dev/null of=$_m/keep/name conv=fsync,notrunc status=none || return 1
	# The directory entries: fsync of the directory.
	sync
	(cd $_m && md5sum keep/c1 keep/c2 keep/u keep/name) >sums$_i
}

# unsynced WORKDIR I: more files, renames, deletes, an overwrite; no fsync.
unsynced() {
	_m=$1 _i=$2 _j=0
	mkdir -p $_m/more
	while [ $_j -lt 12 ]; do
		rnd 3 _s
		ssgen block $((SEED + 100 * _s + _j)) $(( (_j + 1) * 12288 )) >$_m/more/f$_j
		[ $((_j % 3)) = 2 ] && mv $_m/more/f$((_j - 1)) $_m/more/r$_j
		[ $((_j % 4)) = 3 ] && rm -f $_m/more/f$((_j - 3))
		_j=$((_j + 1))
	done
	cp common1 $_m/more/c1copy
	dd if=common2 of=$_m/more/f0 bs=4k count=3 conv=notrunc status=none
}

# The hooks of cl_rounds (crash.lib).
round_setup() {
	rc=0
	for i in 0 1 2; do
		mkfs.ext4 -q -F -b 4096 -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
			/dev/mapper/cv$i || rc=1
		mkdir -p m$i && mount -t ext4 -o commit=1 /dev/mapper/cv$i m$i || rc=1
		fsynced m$i $i || rc=1
	done
	ok $rc "$CL_T: ext4 on three vdisks, files fsynced"
}

# noorder: the cut comes during the unsynced workload.
round_cut_in() { CL_CUT_IN=20; }

round_workload() {
	# A sync in the middle: journal commits and writeback under the cut.
	unsynced m0 0 2>/dev/null
	sync
	unsynced m1 1 2>/dev/null
	unsynced m2 2 2>/dev/null
	cl_cut_wait
	# faultinj: the rest reaches the device at unmount, where the cut
	# usually falls.
	rc=0
	for i in 0 1 2; do
		umount m$i 2>/dev/null || umount -l m$i || rc=1
	done
	ok $rc "$CL_T: unmounted"
}

round_checks() {
	for i in 0 1 2; do
		e2fsck -fy /dev/mapper/cv$i >fsck$i 2>&1
		rc=$?
		ok $([ $rc -lt 4 ]; echo $?) "$CL_T: vdisk $i: e2fsck -fy repairs (exit $rc)"
		[ $rc -lt 4 ] || tail -n 8 fsck$i | sed 's/^/# /'
		[ $rc = 0 ] || diag "$CL_T: vdisk $i: $(grep -c '? yes' fsck$i) fixes: $(grep -B1 '? yes' fsck$i | grep -v -e '? yes' -e '^--' | head -n 3 | tr '\n' '|')"
		e2fsck -fn /dev/mapper/cv$i >fsck$i 2>&1
		rc=$?
		ok $rc "$CL_T: vdisk $i: e2fsck -fn clean after the repair"
		[ $rc = 0 ] || tail -n 8 fsck$i | sed 's/^/# /'
		mount -t ext4 -o ro /dev/mapper/cv$i m$i
		(cd m$i && md5sum -c ../sums$i) >sumck 2>&1
		rc=$?
		ok $rc "$CL_T: vdisk $i: the fsynced files are intact"
		[ $rc = 0 ] || grep -v ': OK$' sumck | head -n 4 | sed 's/^/# /'
		umount m$i
	done
	used=$(ss_stat cl-pool used) total=$(ss_stat cl-pool total)
	mapped=$(ss_stat cl-pool mapped)
	sum=$(($(sv_stat cv0 mapped) + $(sv_stat cv1 mapped) + $(sv_stat cv2 mapped)))
	ss_show cl-pool
	ok $([ "$used" -le "$total" ] && [ "$used" -le "$mapped" ]; echo $?) \
		"$CL_T: used $used <= mapped $mapped, <= total $total"
	check_eq "$CL_T: mapped = sum of the vdisks' mapped" "$mapped" "$sum"
	check_eq "$CL_T: saved = mapped - used" $((mapped - used)) "$(ss_stat cl-pool saved)"
}

cl_rounds "fs round" noorder-each faultinj-one noorder-one
ktap_end
