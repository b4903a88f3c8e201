#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-subsist's meta_dev keeps the pool across a clean shutdown and a reboot.
# First boot, on scratch regions of the virtio disks: a zeroed meta_dev
# gives a new empty pool; the pool removed and loaded again keeps its
# status and data; tables whose parameters differ from meta_dev's (vdisk
# count, vdisk size, block size, data size) are refused with a kernel log
# line and leave meta_dev untouched; a corrupted superblock region is
# refused (never taken for a new pool), loses nothing, and the restored
# region loads.  Then three ext2 file systems with identical and unique
# files on a pool (data on /dev/vda, meta_dev on /dev/vdb), checksums
# recorded, clean shutdown, reboot (the rig's RIG_NEXT).  Second boot: the
# pool loads from the same table, its used/mapped/shared/saved are as
# before, every vdisk reads back the same bytes, e2fsck -fn is clean, every
# file is intact, and the pool takes new writes.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"
. "${0%/*}/crash.lib"

# Region A (persisted): data /dev/vda [0, 64 MiB), meta /dev/vdb [0, 16 MiB).
# Region B (one boot):  data /dev/vda [128, 160 MiB), meta /dev/vdb [128, 144).
AD="0 131072 linear /dev/vda 0"
AM="0 32768 linear /dev/vdb 0"
BD="0 65536 linear /dev/vda 262144"
BM="0 32768 linear /dev/vdb 262144"
AVS=65536	# region A vdisks: 32 MiB
BVS=16384	# region B vdisks: 8 MiB
S=$RIG_STATE

# md5 of a device as it is below the page cache.
dmd5() {	# DEV
	drop_caches "$1"
	md5sum <"$1"
}

four() {	# POOL: used mapped shared saved
	echo "$(ss_stat "$1" used) $(ss_stat "$1" mapped) $(ss_stat "$1" shared) $(ss_stat "$1" saved)"
}

apool() { ss_pool pa /dev/mapper/pa-d 3 $AVS meta_dev /dev/mapper/pa-m; }
bpool() { ss_pool pb /dev/mapper/pb-d 3 $BVS meta_dev /dev/mapper/pb-m; }

unpool() {	# POOL VDISK-PREFIX
	for _d in ${2}0 ${2}1 ${2}2 $1; do
		dm_gone $_d || return 1
	done
}

# try_table DESC TABLE: the pool table is refused, with a kernel log line.
refused() {	# DESC TABLE
	klog_mark
	if printf '%s\n' "$2" | dmsetup create pbx 2>/dev/null; then
		fail "$1: refused"
		diag "loaded: $2"
		dm_gone pbx
		return
	fi
	_l=$(klog_new | grep -i subsist | tail -n 1)
	diag "$1: ${_l:-no kernel log line}"
	ok $([ -n "$_l" ]; echo $?) "$1: refused, with a kernel log line"
}

# The region B data written before the reload, read back.
bdata_ok() {
	ss_same /dev/mapper/pv0 0 64 $SEED && ss_same /dev/mapper/pv1 0 64 $SEED &&
		ss_same /dev/mapper/pv2 0 64 $((SEED + 1)) &&
		ss_same /dev/mapper/pv2 100 32 $SEED && ss_zeros /dev/mapper/pv0 64 64
}

phase_one_boot() {
	dm_create pb-d "$BD" && dm_create pb-m "$BM" || bail "region B slices"
	dd if=/dev/zero of=/dev/mapper/pb-m bs=8192 count=1 conv=fsync status=none
	check "B: a new pool on a zeroed meta_dev" bpool
	check_eq "B: the new pool is empty (used mapped shared saved)" "0 0 0 0" "$(four pb)"
	ss_vdisks pb pv 3
	ss_wr /dev/mapper/pv0 0 64 $SEED
	ss_wr /dev/mapper/pv1 0 64 $SEED
	ss_wr /dev/mapper/pv2 0 64 $((SEED + 1))
	ss_wr /dev/mapper/pv2 100 32 $SEED
	for i in 0 1 2; do
		dd if=/dev/null of=/dev/mapper/pv$i conv=fsync,notrunc status=none
	done
	st=$(four pb)
	ss_show pb
	check_eq "B: merged (mapped, saved)" "224 96" "$(echo $st | cut -d' ' -f2,4)"
	check "B: clean removal" unpool pb pv
	check "B: the pool loads again from meta_dev" bpool
	check_eq "B: used mapped shared saved as before" "$st" "$(four pb)"
	ss_vdisks pb pv 3
	check "B: the data reads back" bdata_ok
	check "B: clean removal" unpool pb pv

	# Other parameters on the same meta_dev: refused, meta_dev untouched.
	m0=$(dmd5 /dev/mapper/pb-m)
	refused "B: nr_vdisks 2 for 3" "$(ss_pool_table /dev/mapper/pb-d 2 $BVS meta_dev /dev/mapper/pb-m)"
	refused "B: vdisk_sectors doubled" "$(ss_pool_table /dev/mapper/pb-d 3 $((BVS * 2)) meta_dev /dev/mapper/pb-m)"
	refused "B: block_size 2048 for 4096" "$(ss_pool_table /dev/mapper/pb-d 3 $BVS block_size 2048 meta_dev /dev/mapper/pb-m)"
	dm_create pb-d2 "0 32768 linear /dev/vda 262144"
	refused "B: a data device of half the size" "$(ss_pool_table /dev/mapper/pb-d2 3 $BVS meta_dev /dev/mapper/pb-m)"
	dm_remove pb-d2
	check_eq "B: the refusals left meta_dev as it was" "$m0" "$(dmd5 /dev/mapper/pb-m)"
	check "B: the right table still loads" bpool
	check_eq "B: used mapped shared saved as before" "$st" "$(four pb)"
	check "B: clean removal" unpool pb pv

	# The superblock region (first 8 KiB) overwritten with garbage.
	drop_caches /dev/mapper/pb-m
	dd if=/dev/mapper/pb-m of=sb.save bs=8192 count=1 status=none
	dd if=/dev/urandom of=garbage bs=8192 count=1 status=none
	dd if=garbage of=/dev/mapper/pb-m bs=8192 count=1 conv=fsync,notrunc status=none
	m1=$(dmd5 /dev/mapper/pb-m)
	refused "B: a garbage superblock region" "$(ss_pool_table /dev/mapper/pb-d 3 $BVS meta_dev /dev/mapper/pb-m)"
	drop_caches /dev/mapper/pb-m
	check_eq "B: the refused load wrote nothing to meta_dev" "$m1" "$(dmd5 /dev/mapper/pb-m)"
	dd if=sb.save of=/dev/mapper/pb-m bs=8192 count=1 conv=fsync,notrunc status=none
	drop_caches /dev/mapper/pb-m
	check "B: restored superblock: the pool loads" bpool
	check_eq "B: restored: used mapped shared saved as before" "$st" "$(four pb)"
	ss_vdisks pb pv 3
	check "B: restored: the data reads back" bdata_ok
	check "B: clean removal" unpool pb pv

	# One flipped bit at a seeded place of the first 4 KiB: refused, or
	# loaded with everything (a second copy); never a new empty pool.
	drop_caches /dev/mapper/pb-m
	dd if=/dev/mapper/pb-m of=sb.save bs=8192 count=1 status=none
	rnd 4096 off; rnd 8 bit
	b=$(od -An -tu1 -j $off -N1 sb.save | tr -d ' ')
	printf "$(printf '\\%03o' $((b ^ (1 << bit))))" |
		dd of=/dev/mapper/pb-m bs=1 seek=$off conv=fsync,notrunc status=none
	drop_caches /dev/mapper/pb-m
	diag "B: bit $bit of byte $off flipped ($b -> $((b ^ (1 << bit))))"
	klog_mark
	if bpool 2>/dev/null; then
		check_eq "B: flipped bit: loaded with used mapped shared saved as before" "$st" "$(four pb)"
		ss_vdisks pb pv 3
		check "B: flipped bit: the data reads back" bdata_ok
		unpool pb pv
		# The pool has written its own state since: nothing to restore.
	else
		_l=$(klog_new | grep -i subsist | tail -n 1)
		diag "B: flipped bit: ${_l:-no kernel log line}"
		ok $([ -n "$_l" ]; echo $?) "B: flipped bit: refused, with a kernel log line"
		dd if=sb.save of=/dev/mapper/pb-m bs=8192 count=1 conv=fsync,notrunc status=none
		drop_caches /dev/mapper/pb-m
	fi
	check "B: after the flipped bit: the pool loads" bpool
	check_eq "B: used mapped shared saved as before" "$st" "$(four pb)"
	unpool pb pv
	dm_remove pb-d; dm_remove pb-m
}

# Region A: three ext2 file systems, their files and checksums in $S.
phase_one_fs() {
	dm_create pa-d "$AD" && dm_create pa-m "$AM" || bail "region A slices"
	dd if=/dev/zero of=/dev/mapper/pa-m bs=8192 count=1 conv=fsync status=none
	apool || { fail "A: a new pool on a zeroed meta_dev"; return 1; }
	pass "A: a new pool on a zeroed meta_dev"
	ss_vdisks pa av 3 || { fail "A: vdisks"; return 1; }
	ssgen block $((SEED + 1)) 1048576 >c1
	ssgen block $((SEED + 2)) 266340 >c2
	ssgen block $((SEED + 3)) 40960 >c3
	r=0
	for i in 0 1 2; do
		mke2fs -q -t ext2 -b 4096 -E nodiscard /dev/mapper/av$i || r=1
		mkdir -p m$i && mount -t ext2 /dev/mapper/av$i m$i || r=1
		mkdir -p m$i/d/e
		cp c1 m$i/c1; cp c2 m$i/d/c2; cp c3 m$i/d/e/c3
		ssgen block $((SEED + 10 + i)) 307200 >m$i/unique
		j=0
		while [ $j -lt 20 ]; do
			echo "small file $j, seed $SEED" >m$i/d/s$j
			j=$((j + 1))
		done
		echo "vdisk $i" >m$i/name
		(cd m$i && find . -type f | sort | xargs md5sum) >"$S/files$i" || r=1
		umount m$i || r=1
	done
	ok $r "A: ext2 on three vdisks, identical and unique files"
	r=0
	for i in 0 1 2; do
		e2fsck -fn /dev/mapper/av$i >fsck$i 2>&1 || { r=1; sed 's/^/# /' fsck$i | tail -n 5; }
		dmd5 /dev/mapper/av$i >"$S/dev$i"
		dd if=/dev/mapper/av$i bs=1M status=none | ssgen blocks 1048576 - >"$S/mib$i"
	done
	ok $r "A: e2fsck -fn before the reboot"
	four pa >"$S/four"
	ss_show pa
	read -r u m sh sv <"$S/four"
	ok $([ "$sh" -gt 200 ] && [ "$sv" -gt 400 ]; echo $?) \
		"A: the identical files are merged (shared $sh, saved $sv)"
	check "A: clean shutdown: vdisks and pool removed" unpool pa av
	dm_remove pa-d; dm_remove pa-m
}

phase_verify() {
	dm_create pa-d "$AD" && dm_create pa-m "$AM" || bail "region A slices"
	klog_mark
	if ! apool; then
		fail "after the reboot: the pool loads from meta_dev"
		klog_new | tail -n 8 | sed 's/^/# /'
		return 1
	fi
	pass "after the reboot: the pool loads from meta_dev"
	ss_show pa
	check_eq "after the reboot: used mapped shared saved as before" "$(cat "$S/four")" "$(four pa)"
	ss_vdisks pa av 3 || { fail "vdisks"; return 1; }
	for i in 0 1 2; do
		got=$(dmd5 /dev/mapper/av$i)
		check_eq "vdisk $i: every block reads back the same" "$(cat "$S/dev$i")" "$got"
		if [ "$got" != "$(cat "$S/dev$i")" ]; then
			dd if=/dev/mapper/av$i bs=1M status=none | ssgen blocks 1048576 - >mib
			diff "$S/mib$i" mib | head -n 6 | sed 's/^/# MiB digests: /'
		fi
		e2fsck -fn /dev/mapper/av$i >fsck$i 2>&1
		r=$?
		ok $r "vdisk $i: e2fsck -fn after the reboot"
		[ $r = 0 ] || tail -n 5 fsck$i | sed 's/^/# /'
		mkdir -p m$i && mount -t ext2 -o ro /dev/mapper/av$i m$i
		(cd m$i && md5sum -c "$S/files$i") >sums$i 2>&1
		r=$?
		ok $r "vdisk $i: every file intact ($(wc -l <"$S/files$i") files)"
		[ $r = 0 ] || grep -v ': OK$' sums$i | head -n 5 | sed 's/^/# /'
		umount m$i
	done
	# The loaded pool works: a new unique file on vdisk 0.
	u0=$(ss_stat pa used)
	mount -t ext2 /dev/mapper/av0 m0
	ssgen block $((SEED + 99)) 409600 >m0/new
	umount m0
	e2fsck -fn /dev/mapper/av0 >fsck0 2>&1
	ok $? "vdisk 0: a new file after the reboot, e2fsck -fn"
	ok $([ "$(ss_stat pa used)" -ge $((u0 + 100)) ]; echo $?) \
		"the pool allocates for it (used $u0 -> $(ss_stat pa used))"
	check "clean removal" unpool pa av
	dm_remove pa-d; dm_remove pa-m
}

case ${RIG_PHASE:-} in
'')
	ktap_begin
	need_module dm-mod dm-subsist ext4
	seed_init
	phase_one_boot
	if phase_one_fs; then
		cl_reboot verify
		exit 0
	fi
	ktap_end
	;;
verify)
	cl_resume
	need_module dm-mod dm-subsist ext4
	phase_verify
	ss_rmmod
	ktap_end
	;;
*)
	bail "unknown phase $RIG_PHASE"
	;;
esac
