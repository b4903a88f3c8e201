#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-faultinj power cuts under a file system: ext4 (journal) and ext2 on
# faultinj, the same workload, "crash after <n>" for several n spread over
# the workload's writes (plus seeded random ones), unmount, revive, check.
# ext4 must come back consistent from its journal every time; ext2 has no
# journal, and what e2fsck finds is reported beside it.  CRASH_POINTS=k
# keeps k of the nine crash points per file system (the debug pass).
# timeout: 900
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj ext4
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
check "faultinj over a 64 MiB ramdisk" \
	dm_create fi "0 131072 faultinj $rd 0 2 seed $SEED"
fi=/dev/mapper/fi
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

# A workload with every kind of metadata change, two fsyncs and a sync.
workload() {
	mkdir -p mnt/a/deep/er mnt/b mnt/c
	i=1
	while [ $i -le 24 ]; do
		dd if=/dev/urandom of=mnt/a/f$i bs=1024 count=$((i * 3)) status=none
		i=$((i + 1))
	done
	dd if=/dev/urandom of=mnt/big bs=65536 count=24 conv=fsync status=none
	mv mnt/a/f3 mnt/b/moved
	rm mnt/a/f5 mnt/a/f6
	ln mnt/a/f7 mnt/c/hardlink
	ln -s ../a/f8 mnt/c/symlink
	echo "deep file" >mnt/a/deep/er/file
	sync
	i=1
	while [ $i -le 40 ]; do
		echo "small $i" >mnt/c/s$i
		i=$((i + 1))
	done
	dd if=/dev/urandom of=mnt/c/synced bs=4096 count=16 conv=fsync status=none
	rm -r mnt/a/deep
	truncate -s 5000 mnt/big 2>/dev/null || dd if=/dev/null of=mnt/big bs=1 seek=5000 status=none
}

mkfs_fs() {	# ext2|ext4
	if [ "$1" = ext4 ]; then
		mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 $fi
	else
		mke2fs -q -F -t ext2 $fi
	fi
}

# One round: fresh fs, crash after N writes of the workload (N empty: no
# crash), unmount, revive.  Sets WRITES (writes the workload sent) and
# STATE (the target's crash state before revive).
round() {	# fs n
	dm_message fi revive
	mkfs_fs "$1" || return 1
	mount -t "$1" $fi mnt || return 1
	dm_message fi stats reset
	[ -n "$2" ] && dm_message fi crash after "$2"
	workload
	umount mnt || return 1
	WRITES=$(fi_stat fi writes)
	STATE=$(fi_stat fi crash_state)
	DROPPED=$(fi_stat fi crash_dropped)
	dm_message fi revive
	drop_caches $fi
}

summary=
for fs in ext4 ext2; do
	check "$fs: baseline round without a crash" round $fs ""
	total=$WRITES
	check_eq "$fs: no crash, nothing dropped" "live 0" "$STATE $DROPPED"
	check "$fs: baseline is clean (e2fsck -fn)" e2fsck -fn $fi
	diag "$fs: the workload sends $total writes"

	# n spread over the workload, plus two seeded random points.
	ns="0 1 $((total / 8)) $((total / 4)) $((total / 2)) $((total * 3 / 4)) $((total - total / 8))"
	ns="$ns $(awk -v s="$SEED$fs" -v t="$total" 'BEGIN { srand(s); print int(rand() * t), int(rand() * t) }')"
	# CRASH_POINTS (the debug pass) keeps that many, spread over the
	# list: the first, the last (a seeded one) and evenly between.
	if [ -n "${CRASH_POINTS:-}" ]; then
		ns=$(echo $ns | awk -v k="$CRASH_POINTS" '{
			if (k >= NF) { print; exit }
			if (k < 2) { print $1; exit }
			for (i = 0; i < k; i++)
				printf "%s%s", (i ? " " : ""), $(1 + int(i * (NF - 1) / (k - 1)))
			print ""
		}')
	fi
	bad=0
	for n in $ns; do
		round $fs "$n" || { fail "$fs n=$n: round ran"; continue; }
		if [ "$WRITES" -gt "$n" ]; then
			check_eq "$fs n=$n: power was cut ($WRITES writes sent)" crashed "$STATE"
		else
			check_eq "$fs n=$n: workload ended first ($WRITES writes)" armed:$((n - WRITES)) "$STATE"
		fi
		if [ $fs = ext4 ]; then
			# The kernel replays the journal at mount; then it must be clean.
			if mount -t ext4 $fi mnt; then
				umount mnt
				e2fsck -fn $fi >fsck.out 2>&1
				rc=$?
				ok $rc "ext4 n=$n: mount replays the journal, e2fsck -fn then clean"
				[ $rc = 0 ] || sed 's/^/#   /' fsck.out | head -n 20
				res="mount ok, e2fsck -fn $rc"
			else
				fail "ext4 n=$n: mount after crash"
				res="mount FAILED"
			fi
		else
			e2fsck -fn $fi >fsck.out 2>&1
			rc=$?
			[ $rc = 0 ] || bad=$((bad + 1))
			problems=$(grep -c '?' fsck.out)
			e2fsck -fy $fi >/dev/null 2>&1
			fixrc=$?
			check "ext2 n=$n: e2fsck -fy repairs it (exit $fixrc), then -fn clean" e2fsck -fn $fi
			res="e2fsck -fn $rc ($problems questions), -fy $fixrc"
		fi
		summary="$summary
#   $fs  n=$n  dropped=$DROPPED  $res"
	done
	[ $fs = ext2 ] && diag "ext2: $bad of $(echo $ns | wc -w) crash points left an inconsistent file system"
done

echo "# crash points and what e2fsck found (seed $SEED):$summary"
check "dm_remove fi" dm_remove fi
ktap_end
