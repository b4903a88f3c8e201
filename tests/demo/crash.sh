#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo, in the guest: dm-faultinj over a ramdisk; the same workload on
# ext4 and on ext2; the power is cut at a chosen write; what e2fsck finds.
# Then a type-aware fault: one directory block corrupted on its way.
# DEMO_CUT (percent of the workload's writes, default 70) picks the write.
# timeout: 600
if [ -f "${0%/*}/../lib.sh" ]; then . "${0%/*}/../lib.sh"; else . /tests/lib.sh; fi

CUT=${DEMO_CUT:-70}
say() { printf '%s\n' "$*"; }
run() { printf '  $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/    /'; }
hr() { say ""; say "== $* =="; say ""; }

ktap_begin
need_module dm-mod brd ext4 dm-faultinj
seed_init >/dev/null

hr "1. A disk that can lose power on purpose"
rd=$(ramdisk 64) || bail "no ramdisk"
say "A 64 MiB ramdisk ($rd) stands in for a disk. On top of it goes"
say "dm-faultinj, a device-mapper target that passes I/O through until told"
say "to drop, fail or corrupt it, or to cut the power after exactly N writes:"
say ""
say "  $ dmsetup create demo --table \"0 131072 faultinj $rd 0 2 seed $SEED\""
dm_create demo "0 131072 faultinj $rd 0 2 seed $SEED" || bail "dmsetup create"
dev=/dev/mapper/demo
run dmsetup status demo
say "  (counters: reads writes flushes discards dropped errored corrupted,"
say "   crash state, writes lost to the power cut, type-map extents, rules)"

mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

workload() {
	mkdir -p mnt/projects/src mnt/projects/doc mnt/mail
	i=1
	while [ $i -le 30 ]; do
		dd if=/dev/urandom of=mnt/projects/src/file$i.c bs=1024 count=$((i * 2)) status=none
		echo "message $i" >mnt/mail/msg$i
		i=$((i + 1))
	done
	dd if=/dev/urandom of=mnt/projects/doc/manual.pdf bs=65536 count=16 conv=fsync status=none
	mv mnt/mail/msg1 mnt/projects/doc/
	rm mnt/projects/src/file2.c mnt/projects/src/file3.c
	sync
	i=1
	while [ $i -le 30 ]; do
		echo "draft $i" >mnt/mail/draft$i
		i=$((i + 1))
	done
	rm -r mnt/projects/src
}

mkfs_fs() {
	if [ "$1" = ext4 ]; then
		mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 $dev
	else
		mke2fs -q -F -t ext2 $dev
	fi
}


results=
for fs in ext4 ext2; do
	hr "2. $fs: the workload, then the same workload with a power cut"
	say "The workload: make directories, write 60 files (one 1 MiB file with"
	say "fsync), move and delete some, sync, write 30 more, delete a directory."
	mkfs_fs $fs && mount -t $fs $dev mnt || bail "mkfs/mount $fs"
	dmsetup message demo 0 stats reset
	workload
	umount mnt
	total=$(fi_stat demo writes)
	at=$((total * CUT / 100))
	say ""
	say "Run once without faults: the workload sends $total writes to the disk."
	say "Now again on a fresh $fs, with the power cut after write $at ($CUT%):"
	say ""
	mkfs_fs $fs && mount -t $fs $dev mnt || bail "mkfs/mount $fs"
	dmsetup message demo 0 stats reset
	run dmsetup message demo 0 crash after $at
	workload
	umount mnt
	say "  ... workload done, file system unmounted. The target says:"
	run dmsetup status demo
	lost=$(fi_stat demo crash_dropped)
	say "  $lost writes (and flushes) after the cut were acknowledged but lost,"
	say "  as a disk that lost its power would have lost them."
	run dmsetup message demo 0 revive
	drop_caches $dev

	if [ $fs = ext4 ]; then
		say ""
		say "What does e2fsck see before the journal is replayed?"
		e2fsck -fn $dev >fsck.out 2>&1
		rc1=$?
		sed 's/^/    /' fsck.out | head -n 8
		say "  exit $rc1. With -n e2fsck may not replay the journal: it checks the"
		say "  file system as of its last checkpoint, and the journal holds the rest."
		say ""
		say "Mount: the kernel replays ext4's journal."
		run mount -t ext4 $dev mnt
		dmesg | grep -i "recovery\|EXT4-fs (dm" | tail -n 2 | sed 's/^/    /'
		files=$(find mnt -type f | wc -l)
		umount mnt
		e2fsck -fn $dev >fsck.out 2>&1
		rc=$?
		run e2fsck -fn $dev
		if [ $rc = 0 ]; then
			pass "ext4 consistent after the power cut at write $at of $total"
			verdict="consistent after journal replay ($files files survive)"
		else
			fail "ext4 consistent after the power cut at write $at of $total"
			verdict="INCONSISTENT (e2fsck -fn exit $rc)"
		fi
	else
		say ""
		say "ext2 has no journal. e2fsck -fn (look, do not touch):"
		e2fsck -fn $dev >fsck.out 2>&1
		rc=$?
		grep -v '^Pass\|^$' fsck.out | head -n 14 | sed 's/^/    /'
		n=$(grep -c '?' fsck.out)
		say "  exit $rc: $n problems found ($([ $rc = 0 ] && echo "this cut happened to fall on a consistent point" || echo "the file system is inconsistent"))."
		say ""
		say "e2fsck -fy (repair), then -fn again:"
		e2fsck -fy $dev >/dev/null 2>&1
		fixrc=$?
		e2fsck -fn $dev >/dev/null 2>&1
		after=$?
		say "  repair exit $fixrc, check afterwards exit $after"
		ok $after "ext2 repaired after the power cut at write $at of $total"
		if [ $rc = 0 ]; then
			verdict="consistent (lucky cut), no repair needed"
		else
			verdict="$n problems; e2fsck -fy repaired them (exit $fixrc)"
		fi
	fi
	results="$results
  $fs: power cut after write $at of $total, $lost lost: $verdict"
done

hr "3. A type-aware fault: corrupt one directory block"
say "fsblocks reads the file system (libext2fs) and tells the target which"
say "block is a superblock, inode table, directory, data, ... A rule can then"
say "aim at one kind of block."
mke2fs -q -F -t ext2 -b 4096 $dev && mount -t ext2 $dev mnt || bail "mkfs ext2"
mkdir mnt/photos mnt/letters
i=0
while [ $i -lt 40 ]; do
	echo "photo $i" >mnt/photos/img-$i.jpg
	i=$((i + 1))
done
ino=$(ls -id mnt/photos | awk '{ print $1 }')
umount mnt
run fsblocks --load demo $dev
run dmsetup message demo 0 types list
blk=$(debugfs -R "blocks /photos" $dev 2>/dev/null | awk '{ print $1 }')
say "/photos is inode $ino; its directory block is block $blk. The rule:"
run dmsetup message demo 0 rule add 1 read corrupt random type dir sectors $((blk * 8)) 8
say "e2fsck now reads that block through the target, corrupted on its way"
say "(the disk itself is untouched):"
e2fsck -fn $dev >fsck.out 2>&1
grep -i "inode $ino" fsck.out | head -n 4 | sed 's/^/    /'
check "e2fsck names /photos (inode $ino)" grep -qi "inode $ino[^0-9]" fsck.out
run dmsetup message demo 0 rule del 1
run e2fsck -fn $dev

hr "Summary: power cuts on dm-faultinj"
say "${results#?}"
say "  type-aware: a corrupt read of /photos' block made e2fsck report inode $ino."
say ""
say "Seed $SEED; run again with SEED=$SEED make demo, or DEMO_CUT=<percent>."
dm_remove demo
ktap_end
