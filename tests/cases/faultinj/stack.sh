#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-faultinj stacked and with the I/O kinds a ramdisk never sends:
# faultinj at an offset over dm-linear, faultinj over faultinj (both rule
# sets apply; stacks built with dmstack), faultinj as the second target of
# a table, flushes, discards and write-zeroes on a virtio disk (which has a
# write cache), and a power cut that drops writes and flushes while reads
# go on.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj
need_cmd dmstack
seed_init

OLD=1 NEW=2
rd=$(ramdisk 32) || bail "no ramdisk"
check "ramdisk holds OLD" pattern_write "$rd" 0 $((16 << 20)) $OLD

# ---- over dm-linear, at an offset (built with dmstack) --------------------
check "dmstack: linear from 8192, faultinj at 1024 of it" \
	dmstack create s1 "disk $rd | linear offset=8192 size=16384 | faultinj offset=1024 size=8192 seed=$SEED"
cleanup_push "dmstack remove s1 >/dev/null 2>&1"
check_eq "faultinj's table" "0 8192 faultinj $(dmsetup info -c --noheadings -o major,minor s1-linear | tr -d ' ') 1024 2 seed $SEED" \
	"$(dmsetup table s1-faultinj)"
check "rule through dmstack message" dmstack message s1 faultinj rule add 1 write drop sectors 8 8
# fl sector s is linear sector 1024+s is ramdisk sector 9216+s: write the
# data the ramdisk's pattern has there, through both layers.
_pattern $NEW $((9216 * 512)) $((24 * 512)) >w
check "write sectors 0-23 through both" \
	dd if=w of=/dev/mapper/s1-faultinj bs=12288 count=1 oflag=direct status=none
check "ramdisk 9216-9223: NEW" same "$rd" 9216 8 $NEW
check "ramdisk 9224-9231: dropped, OLD" same "$rd" 9224 8 $OLD
check "ramdisk 9232-9239: NEW" same "$rd" 9232 8 $NEW
check_err "table past the end of the lower dm device refused" "Invalid argument" \
	dm_create fbad "0 8192 faultinj /dev/mapper/s1-linear 8193"
check "dmstack remove s1" dmstack remove s1
check_fails "nothing of s1 left" dmsetup info s1-linear

# ---- second target of a table: rule sectors count from the target's start --
printf '0 1000 linear %s 0\n1000 7192 faultinj %s 1000 2 seed %s\n' "$rd" "$rd" "$SEED" >table
check "table of linear + faultinj" dmsetup create two --table "$(cat table)"
cleanup_push "dm_gone two"
dmsetup mknodes two
check "message to the second target (sector 1000)" dmsetup message two 1000 rule add 1 write drop sectors 0 8
check "write sectors 992-1015 of the device" wr /dev/mapper/two 992 24 $NEW
check "992-999 (linear): NEW" same "$rd" 992 8 $NEW
check "1000-1007 (faultinj sectors 0-7): dropped, OLD" same "$rd" 1000 8 $OLD
check "1008-1015: NEW" same "$rd" 1008 8 $NEW
check "an fsync on it passes (flushes reach both targets)" \
	dd if=/dev/zero of=/dev/mapper/two bs=4096 count=1 seek=300 conv=fsync status=none
check "remove two" dm_remove two

# ---- faultinj over faultinj (dmstack names the second faultinj2) ---------
check "dmstack: faultinj over faultinj" \
	dmstack create s2 "disk $rd | faultinj seed=$SEED | faultinj seed=$((SEED + 1))"
cleanup_push "dmstack remove s2 >/dev/null 2>&1"
# Byte 2048 of block 12 (sectors 96-103) is byte 0 of sector 100.
dmstack message s2 faultinj rule add 1 write corrupt byte 2048 66 sectors 100 4
dmstack message s2 faultinj2 rule add 1 write drop sectors 108 4
check "write 96-115 through two targets" wr /dev/mapper/s2-faultinj2 96 20 $NEW
check "96-99 NEW" same "$rd" 96 4 $NEW
b100=$(rd "$rd" 100 1 | od -An -N1 -tx1 | tr -d ' ')
check_eq "sector 100 byte 0 corrupted by the lower target" 42 "$b100"
check "108-111 dropped by the upper target" same "$rd" 108 4 $OLD
check "112-115 NEW" same "$rd" 112 4 $NEW
check_eq "upper dropped one" 1 "$(fi_stat s2-faultinj2 dropped)"
check_eq "lower corrupted one" 1 "$(fi_stat s2-faultinj corrupted)"
check "dmstack crash cuts the lowest faultinj" dmstack crash s2
check_eq "lower crashed" crashed "$(fi_stat s2-faultinj crash_state)"
check_eq "upper live" live "$(fi_stat s2-faultinj2 crash_state)"
check "dmstack remove s2" dmstack remove s2

# ---- flushes, FUA and discards on a virtio disk -----------------------------
vd=/dev/vdb
if [ ! -b $vd ]; then
	skip "virtio disk tests" "no $vd"
	check "rmmod dm-faultinj" rmmod dm_faultinj
	ktap_end
	exit
fi
check "dmstack: faultinj over $vd (first 64 MiB)" dmstack create sv "disk $vd | faultinj size=131072 seed=$SEED"
cleanup_push "dmstack remove sv >/dev/null 2>&1"
fv=/dev/mapper/sv-faultinj
check "write + fsync works" dd if=/dev/zero of=$fv bs=4096 count=4 conv=fsync oflag=direct status=none
check "fsync sent flushes down" test "$(fi_stat sv-faultinj flushes)" -ge 1
dm_message sv-faultinj rule add 1 flush error
check_err "flush error: fsync fails with EIO" "I/O error|Input/output" \
	dd if=/dev/zero of=$fv bs=4096 count=1 conv=fsync oflag=direct status=none
check "flush rule fired" test "$(fi_fired sv-faultinj 1)" -ge 1
dm_message sv-faultinj rule del 1
dm_message sv-faultinj rule add 2 flush drop
check "flush drop: fsync succeeds" dd if=/dev/zero of=$fv bs=4096 count=1 conv=fsync oflag=direct status=none
check "flush drop counted" test "$(fi_stat sv-faultinj dropped)" -ge 1
dm_message sv-faultinj rule clear

dmq=/sys/block/dm-$(dmsetup info -c --noheadings -o minor sv-faultinj | tr -d ' ')/queue
if command -v blkdiscard >/dev/null 2>&1 && [ "$(cat $dmq/discard_max_bytes)" != 0 ]; then
	dm_message sv-faultinj rule add 3 write error sectors 2048 8
	check_err "discard over an error rule fails" "I/O error|Input/output|BLKDISCARD" \
		blkdiscard -o 1048576 -l 4096 $fv
	check "discard elsewhere works" blkdiscard -o 2097152 -l 65536 $fv
	check "discards counted" test "$(fi_stat sv-faultinj discards)" -ge 2
	dm_message sv-faultinj rule clear
	# Write-zeroes: a write for the rules; dropped, the old data stays.
	check "write OLD for write-zeroes" wr $fv 8192 128 $OLD
	dm_message sv-faultinj rule add 4 write drop sectors 8192 64
	if blkdiscard -z -o $((8192 * 512)) -l 65536 $fv >wz.out 2>&1; then
		check "write-zeroes dropped in the rule's range: OLD" same $vd 8192 64 $OLD
		check "write-zeroes after it: zeros" zeros $vd 8256 64
		check "write-zeroes met the rule" test "$(fi_fired sv-faultinj 4)" -ge 1
	else
		skip "write-zeroes" "$(head -n 1 wz.out)"
	fi
	dm_message sv-faultinj rule clear
else
	skip "discards" "no blkdiscard or no discard support"
fi

# ---- power cut: writes and flushes vanish, reads go on ------------------------
check "write OLD" wr $fv 4096 64 $OLD
check "crash" dm_message sv-faultinj crash
check "write NEW during the power cut: acknowledged" wr $fv 4096 64 $NEW
check "fsync during the power cut: acknowledged" \
	dd if=/dev/zero of=$fv bs=4096 count=1 seek=600 conv=fsync oflag=direct status=none
check "reads work and see the disk: OLD" same $fv 4096 64 $OLD
check "disk under it: OLD" same $vd 4096 64 $OLD
check_eq "crashed" crashed "$(fi_stat sv-faultinj crash_state)"
check "writes and a flush dropped" test "$(fi_stat sv-faultinj crash_dropped)" -ge 3
check "revive" dm_message sv-faultinj revive
check "write NEW after revive" wr $fv 4096 64 $NEW
check "disk: NEW" same $vd 4096 64 $NEW
check "dmstack remove sv" dmstack remove sv

check "rmmod dm-faultinj" rmmod dm_faultinj
ktap_end
