#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The data oracle against real crash states: ext4 and ext2 on dm-faultinj,
# the oracle's workload cut by "crash after <n>" (a power cut: that write
# and all later ones acknowledged and dropped) at several n spread over it,
# then recovery (ext4: journal replay at mount; ext2: e2fsck -fy) and
# crashtest verify.  ext4 (data=ordered) must never show a WRONG block, a
# bad size or an unknown name (verify exit 0); ext2 has no such promise:
# what verify finds there is reported beside it.  Each round uses its own
# workload seed, so a stale block of an earlier round is WRONG too.  The
# workload's directory is the file system's root (always there).
# timeout: 600
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd dm-faultinj ext4 ext2
need_cmd crashtest
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
check "faultinj over a 64 MiB ramdisk" \
	dm_create fi "0 131072 faultinj $rd 0 2 seed $SEED"
fi=/dev/mapper/fi
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

WL="--ops 500 --files 10 --max-blocks 24 --fsync-every 40"

jget() {	# FIELD FILE
	sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$2" | head -n 1
}

# round FS WSEED [N]: mkfs, workload WSEED cut after N writes (none if
# empty), umount, revive, recover.  Sets WRITES (sent by the workload).
round() {
	dm_message fi revive 2>/dev/null
	if [ "$1" = ext4 ]; then
		mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 $fi || return 1
	else
		mke2fs -q -F -t ext2 -b 4096 $fi || return 1
	fi
	mount -t "$1" $fi mnt || return 1
	dm_message fi stats reset
	[ -n "$3" ] && dm_message fi crash after "$3"
	# shellcheck disable=SC2086
	crashtest workload mnt --seed "$2" $WL >wl.out || return 1
	umount mnt || return 1
	WRITES=$(fi_stat fi writes)
	dm_message fi revive 2>/dev/null
	drop_caches $fi
	if [ "$1" = ext2 ]; then
		e2fsck -fy $fi >fsck.out 2>&1
		[ $? -le 1 ] || return 1
	fi
	mount -t "$1" $fi mnt
}

summary=
for fs in ext4 ext2; do
	check "$fs: baseline round, no cut" round $fs "$SEED"
	total=$WRITES
	# shellcheck disable=SC2086
	check "$fs: baseline verify --exact" crashtest verify mnt --exact
	umount mnt
	diag "$fs: the workload sends $total writes"

	rnd "$total"
	ns="$((total / 5)) $((total * 2 / 5)) $((total * 3 / 5)) $((total * 4 / 5)) $RND"
	k=0 wrong_total=0
	for n in $ns; do
		k=$((k + 1))
		wseed=$((SEED + k))
		if ! round $fs $wseed "$n"; then
			fail "$fs n=$n: crash round (workload seed $wseed)"
			umount mnt 2>/dev/null
			continue
		fi
		crashtest verify mnt --seed $wseed --json >v.json 2>v.err
		rc=$?
		crashtest verify mnt --seed $wseed >v.txt 2>&1
		umount mnt
		res="exit $rc: blocks $(jget blocks v.json) correct $(jget correct v.json) older $(jget older v.json) zeros $(jget zeros v.json) ioerror $(jget ioerror v.json) WRONG $(jget wrong v.json) missing $(jget missing v.json) badsize $(jget badsize v.json) unknown $(jget unknown v.json)"
		summary="$summary
#   $fs n=$n seed=$wseed $res"
		if [ $fs = ext4 ]; then
			ok $rc "ext4 n=$n (workload seed $wseed): no WRONG data after journal replay"
			[ $rc = 0 ] || sed 's/^/#   /' v.txt v.err | head -n 20
		else
			[ "$rc" = 8 ] && { fail "ext2 n=$n: verify ran"; sed 's/^/#   /' v.err; }
			wrong_total=$((wrong_total + $(jget wrong v.json)))
			grep -E '^WRONG' v.txt | head -n 3 | sed "s/^/# ext2 n=$n: /"
		fi
	done
	[ $fs = ext2 ] && diag "ext2: $wrong_total WRONG blocks over $k crash points"
done

echo "# crash points and what verify found (seed $SEED):$summary"
check "dm_remove fi" dm_remove fi
ktap_end
