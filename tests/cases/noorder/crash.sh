#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# The power cut, policy by policy, byte for byte on the device below:
# keep none, all, prefix <n> (with overlapping writes: applied in order),
# random <ppm> (each write entirely kept or entirely lost, deterministic
# for a seed).  After a cut every I/O fails with EIO until revive, which
# starts again from the device below.  Writers blocked on a full cache and
# fio under load are released by a cut without a hang.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod brd dm-noorder
seed_init
N=12

# A fresh noorder (flush ignore: nothing reaches the device below before
# the cut) over a zeroed 4 MiB ramdisk, with N writes of 8 sectors.
rd=$(ramdisk 4) || bail "no ramdisk"
setup() {
	dd if=/dev/zero of=$rd bs=1M count=4 status=none
	dm_create nc "0 8192 noorder $rd 0 2 flush ignore"
	nc=/dev/mapper/nc
	_i=0
	while [ $_i -lt $N ]; do
		wr $nc $((_i * 16)) 8 $((SEED + _i))
		_i=$((_i + 1))
	done
}
# which of the N writes are on the device below, as a 0/1 string;
# "x" for a range that is neither the write nor zeros.
below() {
	_i=0 _s=
	while [ $_i -lt $N ]; do
		if same $rd $((_i * 16)) 8 $((SEED + _i)); then _s=${_s}1
		elif zeros $rd $((_i * 16)) 8; then _s=${_s}0
		else _s=${_s}x; fi
		_i=$((_i + 1))
	done
	echo "$_s"
}
teardown() {
	dm_message nc revive 2>/dev/null
	dm_remove nc
}

setup
check "crash keep none" dm_message nc crash keep none
check_eq "none: nothing below" 000000000000 "$(below)"
check_eq "none: status" "0 $N crashed" \
	"$(no_stat nc crash_kept) $(no_stat nc crash_dropped) $(no_stat nc crash_state)"
check_fails "reads fail after the cut" rd $nc 0 8
check_fails "writes fail after the cut" wr $nc 0 8 1
check_fails "flushes fail after the cut" flush_dev $nc
check_err "a second cut is refused" "Device or resource busy|failed" \
	dm_message nc crash
check "revive" dm_message nc revive
check_eq "live again" live "$(no_stat nc crash_state)"
check "revived: reads come from the device below (zeros)" zeros $nc 0 8
check_err "revive twice is refused" "Invalid argument|failed" dm_message nc revive
teardown

setup
check "crash (default policy: keep none)" dm_message nc crash
check_eq "default: nothing below" 000000000000 "$(below)"
teardown

setup
check "crash keep all" dm_message nc crash keep all
check_eq "all: every write below" 111111111111 "$(below)"
check_eq "all: status" "$N 0" "$(no_stat nc crash_kept) $(no_stat nc crash_dropped)"
teardown

setup
check "crash keep prefix 5" dm_message nc crash keep prefix 5
check_eq "prefix 5: the first five writes below" 111110000000 "$(below)"
teardown

# Overlap: w0 (A), w1 (B) on the same sectors, w2 (A') beside them.
dd if=/dev/zero of=$rd bs=1M count=4 status=none
for k in 1 2 3; do
	dm_create ov "0 8192 noorder $rd 0 2 flush ignore"
	wr /dev/mapper/ov 0 8 $SEED
	wr /dev/mapper/ov 4 8 $((SEED + 1))
	wr /dev/mapper/ov 100 8 $((SEED + 2))
	dm_message ov crash keep prefix $k
	case $k in
	1) check "prefix 1 of overlapping writes: the first" same $rd 0 8 $SEED ;;
	2) check "prefix 2: the second wins where they overlap" same $rd 4 8 $((SEED + 1))
	   check "prefix 2: the first outside the overlap" same $rd 0 4 $SEED ;;
	3) check "prefix 3: and the third" same $rd 100 8 $((SEED + 2)) ;;
	esac
	dm_message ov revive
	dm_remove ov
	dd if=/dev/zero of=$rd bs=64k count=1 status=none
done

# Random: whole writes kept or lost, the same subset for the same seed.
setup
check "crash keep random 500000 seed $SEED" \
	dm_message nc crash keep random 500000 seed $SEED
r1=$(below)
diag "random 50%, seed $SEED: kept $r1"
case $r1 in *x*) fail "random: no write is torn" ;; *) pass "random: no write is torn" ;; esac
k=$(printf %s "$r1" | tr -d 0 | wc -c)
check_eq "random: status counts what is below" "$k $((N - k))" \
	"$(no_stat nc crash_kept) $(no_stat nc crash_dropped)"
teardown
setup
dm_message nc crash keep random 500000 seed $SEED
check_eq "random: the same seed keeps the same writes" "$r1" "$(below)"
teardown
setup
dm_message nc crash keep random 0
check_eq "random 0 keeps nothing" 000000000000 "$(below)"
teardown
setup
dm_message nc crash keep random 1000000
check_eq "random 1000000 keeps everything" 111111111111 "$(below)"
teardown

# Drained data survives a cut; later writes are at its mercy.
setup
dm_message nc drain
wr $nc 0 8 $((SEED + 50))
dm_message nc crash keep none
check_eq "drained writes survive a cut" 111111111111 "$(below)"
teardown

# fio writers, some of them waiting for space in a 1 MiB cache, and the
# cut: every one of them is released.
rd=$(ramdisk 64) || bail "no ramdisk"
dm_create load "0 131072 noorder $rd 0 4 flush ignore cache_mb 1"
fio --name=w --filename=/dev/mapper/load --rw=randwrite --bs=4k --size=48M \
	--ioengine=psync --direct=1 --numjobs=4 --time_based --runtime=30 \
	--group_reporting >"$_lib_state/fio" 2>&1 &
fpid=$!
sleep 3
check "cut under 4 fio writers" dm_message load crash keep random 300000 seed $SEED
t=0
while kill -0 $fpid 2>/dev/null && [ $t -lt 40 ]; do sleep 0.5; t=$((t + 1)); done
check "fio ends (with EIO) instead of hanging" sh -c "! kill -0 $fpid 2>/dev/null"
wait $fpid
check "revive after the cut" dm_message load revive
wr /dev/mapper/load 0 8 $SEED
check "a write and read after revive" same /dev/mapper/load 0 8 $SEED
dm_remove load

check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
