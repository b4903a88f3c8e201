#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-noorder's deferred bios: over a slow device below (dm-delay, 20 ms
# per write), a 1 MiB cache fills and writers find no room; ->map does
# not wait, it defers them (and the flushes behind them) to the worker.
# fio with several writers, fsyncs among the writes and crc32c verify
# must read back every block; the "deferred" counter must show that the
# path ran; suspend/resume under that load must neither hang nor lose a
# write; after drain the device below holds every block; a power cut
# with bios deferred fails them and fio ends.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod brd dm-noorder dm-delay
need_cmd fio
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
sz=$(blockdev --getsz "$rd")
# reads at once, writes 20 ms late
check "dm-delay below: writes 20 ms late" \
	dm_create slow "0 $sz delay $rd 0 0 $rd 0 20"
check "noorder, cache_mb 1, over it" \
	dm_create dfr "0 $sz noorder /dev/mapper/slow 0 6 flush honor order fifo cache_mb 1"
no=/dev/mapper/dfr

# fio_w NAME DEV MB [ARGS...]: 4 writers, MB MiB each in areas of their own,
# 64 KiB random writes, an fsync every 32 writes (8 MiB among the
# four: the cache fills between them), crc32c in every block.
fio_w() {
	_n=$1 _d=$2 _mb=$3
	shift 3
	fio --name="$_n" --filename="$_d" --ioengine=psync --direct=1 \
		--rw=randwrite --bs=64k --size=${_mb}M --offset_increment=${_mb}M \
		--numjobs=4 --fsync=32 --verify=crc32c --verify_fatal=1 \
		--randseed="$SEED" --group_reporting --eta=never "$@"
}

# ---- writers through a full cache: deferred, verified ----
check "fio: 4 writers through a full cache, crc32c verified" \
	fio_w dw $no 4 --output="$_lib_state/fio1"
grep -E "err=|verify" "$_lib_state/fio1" | sed 's/^/# /'
d1=$(no_stat dfr deferred)
diag "deferred bios: $d1"
check "the map function deferred bios (counter > 0)" [ "$d1" -gt 0 ]
check "... and the cache never held more than 1 MiB" \
	[ "$(no_stat dfr cached_bytes_max)" -le 1048576 ]
check "drain" dm_message dfr drain
check_eq "nothing left in the cache" "0 0" \
	"$(no_stat dfr cached_writes) $(no_stat dfr cached_bytes)"
check "the device below verifies (fio verify_only on the ramdisk)" \
	fio_w dw "$rd" 4 --verify_only --output="$_lib_state/fio1v"

# ---- suspend and resume while bios are deferred ----
fio_w ds $no 12 --output="$_lib_state/fio2" &
fpid=$!
sleep 0.5
bad=0 i=0
while [ $i -lt 10 ] && kill -0 $fpid 2>/dev/null; do
	timeout 60 dmsetup suspend dfr || bad=$((bad + 1))
	# suspended: the cache was destaged, nothing is deferred
	[ "$(no_stat dfr cached_writes)" = 0 ] || bad=$((bad + 1))
	timeout 10 dmsetup resume dfr || bad=$((bad + 1))
	sleep 0.2
	i=$((i + 1))
done
check "suspend/resume cycles under load: $i (at least 2)" [ $i -ge 2 ]
check_eq "every suspend returned with the cache empty, every resume" 0 $bad
t=0
while kill -0 $fpid 2>/dev/null && [ $t -lt 240 ]; do sleep 0.5; t=$((t + 1)); done
check "fio ends" sh -c "! kill -0 $fpid 2>/dev/null"
check "fio through suspends: no error, crc32c verified" wait $fpid
grep -E "err=|verify" "$_lib_state/fio2" | sed 's/^/# /'
d2=$(no_stat dfr deferred)
diag "deferred bios: $d2"
check "... with bios deferred again" [ "$d2" -gt "$d1" ]
dm_message dfr drain
check "the device below verifies after suspends" \
	fio_w ds "$rd" 12 --verify_only --output="$_lib_state/fio2v"

# ---- a power cut with bios deferred: they fail, fio ends ----
fio --name=cut --filename=$no --ioengine=psync --direct=1 --rw=randwrite \
	--bs=64k --size=8M --offset_increment=8M --numjobs=4 --time_based \
	--runtime=60 --group_reporting >"$_lib_state/fio3" 2>&1 &
fpid=$!
t=0
until [ "$(no_stat dfr deferred)" -gt "$d2" ] || [ $t -ge 100 ]; do
	sleep 0.1
	t=$((t + 1))
done
check "fio writers deferred before the cut" [ "$(no_stat dfr deferred)" -gt "$d2" ]
check "cut with bios deferred" dm_message dfr crash keep none
t=0
while kill -0 $fpid 2>/dev/null && [ $t -lt 60 ]; do sleep 0.5; t=$((t + 1)); done
check "fio ends (with EIO) instead of hanging" sh -c "! kill -0 $fpid 2>/dev/null"
wait $fpid
check "revive" dm_message dfr revive
wr $no 0 8 $SEED
check "a write reads back after revive" same $no 0 8 $SEED

check "noorder removed" dm_remove dfr
check "dm-delay removed" dm_remove slow
check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
