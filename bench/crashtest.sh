#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark of crashtest explore (guest side): records a workload on a
# 64 MiB ext4 over dm-noorder and hands the record to the host, which
# explores it (bench/crashtest).
#
# The workload (seeded by SEED): 6 directories of 24 files each, 1 to 64
# KiB of random data, every 8th written with fsync; a 4 MiB file in 64
# KiB writes with an fsync every 1 MiB; renames, deletes, overwrites in
# place; sync; unmount.  The record (DIR/base.img, log, meta) goes onto
# /dev/vdb as a tar stream followed by 1 MiB of zeros, where the host
# reads it back from <out>/disks/disk1.img.
#
# Environment: BENCH_FLUSH (honor | ignore, the device's mode; default
# honor).  Prints the record's meta file as "# " lines.
# timeout: 600
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd dm-noorder ext4
need_cmd crashtest tar
seed_init

FLUSH=${BENCH_FLUSH:-honor}
rd=$(ramdisk 64) || bail "no ramdisk"
check "noorder (flush $FLUSH) over a 64 MiB ramdisk" \
	dm_create ctb "0 131072 noorder $rd 0 2 flush $FLUSH"
check "mkfs.ext4" mke2fs -q -F -t ext4 -E lazy_itable_init=0,lazy_journal_init=0 \
	/dev/mapper/ctb
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

cat >wl.sh <<'WL'
set -e
mount -t ext4 "$CRASHTEST_DEV" mnt
r=$CRASHTEST_SEED
rnd() {	# MAX: next number of a small LCG seeded by the record's seed
	r=$(( (r * 1103515245 + 12345) % 2147483648 ))
	echo $(( r % $1 ))
}
d=1
while [ $d -le 6 ]; do
	mkdir -p mnt/d$d
	f=1
	while [ $f -le 24 ]; do
		kb=$(( $(rnd 64) + 1 ))
		if [ $((f % 8)) = 0 ]; then
			dd if=/dev/urandom of=mnt/d$d/f$f bs=1024 count=$kb conv=fsync status=none
		else
			dd if=/dev/urandom of=mnt/d$d/f$f bs=1024 count=$kb status=none
		fi
		f=$((f + 1))
	done
	d=$((d + 1))
done
i=0
while [ $i -lt 64 ]; do
	if [ $((i % 16)) = 15 ]; then
		dd if=/dev/urandom of=mnt/big bs=65536 count=1 seek=$i conv=notrunc,fsync status=none
	else
		dd if=/dev/urandom of=mnt/big bs=65536 count=1 seek=$i conv=notrunc status=none
	fi
	i=$((i + 1))
done
d=1
while [ $d -le 6 ]; do
	mv mnt/d$d/f1 mnt/d$(( d % 6 + 1 ))/moved$d
	rm mnt/d$d/f2 mnt/d$d/f3
	dd if=/dev/urandom of=mnt/d$d/f4 bs=4096 count=2 seek=1 conv=notrunc status=none
	d=$((d + 1))
done
sync
rm -r mnt/d6
echo "done $CRASHTEST_SEED" >mnt/done
sync
umount mnt
WL

check "record the workload" crashtest record -d /dev/mapper/ctb -o rec \
	--seed "$SEED" -- sh wl.sh
sed 's/^/# /' rec/meta
check "the record is whole (crashtest info)" crashtest info rec
{ tar -cf - rec && dd if=/dev/zero bs=1M count=1 status=none; } >rec.tar
check "the record onto /dev/vdb" dd if=rec.tar of=/dev/vdb bs=1M conv=fsync status=none
diag "record tar stream: $(wc -c <rec.tar) bytes"
ktap_end
