#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-noorder's cache: reads see cached writes before they reach the device
# below; the device below gets them only on drain, periodic destage or a
# full cache; overlapping writes (newest wins) in each destage order;
# partial and unaligned I/O; big bios; a full cache makes writers wait and
# loses nothing; discards; table round trip; rmmod.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod brd dm-noorder
seed_init
A=$SEED B=$((SEED + 1)) C=$((SEED + 2))

rd=$(ramdisk 64) || bail "no ramdisk"
check "noorder over a 64 MiB ramdisk" no_new no $rd flush ignore order fifo
no=/dev/mapper/no
check_eq "table round-trips" "0 $(blockdev --getsz $rd) noorder $rd 0 4 flush ignore order fifo" \
	"$(dmsetup table no | sed "s|[0-9]*:[0-9]*|$rd|")"

# ---- read after write, before destage ----
wr $no 100 8 $A
check "a cached write reads back" same $no 100 8 $A
check "the device below does not have it yet" zeros $rd 100 8
check_eq "one write cached, 4096 bytes" "1 4096" \
	"$(no_stat no cached_writes) $(no_stat no cached_bytes)"
check_eq "one read served from the cache" 1 "$(no_stat no read_hits)"

# A read straddling cached and uncached sectors: zeros around the write.
rd $no 96 16 >"$_lib_state/mix"
{ dd if=/dev/zero bs=512 count=4 status=none
  _pattern $A $((100 * 512)) 4096
  dd if=/dev/zero bs=512 count=4 status=none; } >"$_lib_state/want"
check "a read across cached and uncached sectors" \
	cmp "$_lib_state/want" "$_lib_state/mix"

# One sector, unaligned to 4 KiB, then an overlapping newer write.
wr $no 3 1 $B
check "a single unaligned sector" same $no 3 1 $B
wr $no 200 16 $A
wr $no 204 4 $B
check "overlap: older data outside the newer write" same $no 200 4 $A
check "overlap: the newer write wins" same $no 204 4 $B
check "overlap: older data after it" same $no 208 8 $A

check "drain" dm_message no drain
check_eq "nothing cached after drain" "0 0 0" \
	"$(no_stat no cached_writes) $(no_stat no cached_bytes) $(no_stat no cached_blocks)"
check_eq "every write destaged" 4 "$(no_stat no destaged)"
check "the device below has the write" same $rd 100 8 $A
check "... and the sector" same $rd 3 1 $B
check "... and the newest data of the overlap" same $rd 204 4 $B
check "... and the older data around it" same $rd 200 4 $A
check "... on both sides" same $rd 208 8 $A

# ---- destage order: the newest data wins in every order ----
for order in fifo random reverse; do
	rd2=$(ramdisk 4) || bail "no ramdisk"
	dm_create no-$order "0 8192 noorder $rd2 0 6 order $order seed $SEED cache_mb 1"
	d=/dev/mapper/no-$order
	# 48 overlapping writes of 16 sectors at 8-sector steps, 3 rounds:
	# the cache fills (1 MiB), destages in $order while writes go on.
	i=0
	while [ $i -lt 3 ]; do
		j=0
		while [ $j -lt 48 ]; do
			wr $d $((j * 8)) 16 $((SEED + i * 100 + j))
			j=$((j + 1))
		done
		i=$((i + 1))
	done
	dm_message no-$order drain
	bad=0 j=0
	while [ $j -lt 48 ]; do
		same $rd2 $((j * 8)) 8 $((SEED + 200 + j)) || bad=$((bad + 1))
		j=$((j + 1))
	done
	check_eq "order $order: the newest write of every block is below" 0 $bad
	dm_remove no-$order
done

# ---- periodic destage ----
rd3=$(ramdisk 4) || bail "no ramdisk"
check "destage_ms 200" dm_create per "0 8192 noorder $rd3 0 2 destage_ms 200"
wr /dev/mapper/per 0 8 $C
i=0
while [ $i -lt 30 ] && ! same $rd3 0 8 $C; do
	sleep 0.2
	i=$((i + 1))
done
check "a periodic pass destaged it without drain" same $rd3 0 8 $C
check_eq "... and emptied the cache" 0 "$(no_stat per cached_writes)"
dm_remove per

# ---- a full cache: writers wait, nothing is dropped ----
rd4=$(ramdisk 16) || bail "no ramdisk"
check "cache_mb 1 over 16 MiB" dm_create full "0 32768 noorder $rd4 0 2 cache_mb 1"
check "8 MiB of writes through a 1 MiB cache" \
	pattern_write /dev/mapper/full 0 8388608 $A
check "every byte reads back through the device" \
	pattern_check /dev/mapper/full 0 8388608 $A
hw=$(no_stat full cached_bytes_max)
diag "cache high-water mark: $hw bytes"
check "the cache never held more than 1 MiB (high-water $hw)" [ "$hw" -le 1048576 ]
# Without destage_ms, destage starts only past 3/4 of the cache (or at
# a flush, and the only one is dd's fsync at the end).
check "... and did fill past 3/4 of it before destaging" [ "$hw" -gt 786432 ]
dm_message full drain
check "every byte is below after drain" pattern_check $rd4 0 8388608 $A

# 2 MiB bios (split by dm into 1 MiB records).
_pattern $B 0 2097152 >"$_lib_state/big"
dd if="$_lib_state/big" of=/dev/mapper/full bs=2M count=1 oflag=direct \
	conv=notrunc status=none
check "a 2 MiB O_DIRECT write reads back" \
	cmp -n 2097152 "$_lib_state/big" /dev/mapper/full
dm_remove full

# ---- discard (brd has none in 6.1: a loop device over a tmpfs file) ----
need_module loop
truncate -s 16M "$_lib_state/disc.img"
lo=$(losetup -f) && losetup "$lo" "$_lib_state/disc.img" || bail "no loop device"
cleanup_push "losetup -d $lo"
check "noorder over a loop device" no_new disc $lo
d=/dev/mapper/disc
wr $d 1000 16 $A
check "blkdiscard of a cached range" blkdiscard -o $((1000 * 512)) -l 8192 $d
check_eq "discard counted" 1 "$(no_stat disc discards)"
check "the range reads what the device below returns (zeros)" zeros $d 1000 16
wr $d 2000 8 $B
dm_message disc drain
check "drain does not bring discarded data back" zeros $lo 1000 16
check "... and destages the rest" same $lo 2000 8 $B
dm_remove disc

dm_remove no
check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
