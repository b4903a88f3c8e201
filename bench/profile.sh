#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Profile (guest side) of one fio job on one device-mapper configuration,
# with the host's perf.  Run by bench/profile through tests/vm/run
# --icount; see bench/README.md.
#
# bench/profile writes a tar of perf and its libraries at the start of
# /dev/vdb; this script unpacks it in /opt/perf, builds the device over a
# brd ramdisk (PROFILE_TABLE, the table after "0 <ramdisk sectors>",
# "@RD@" standing for the ramdisk), fills fio's area, runs the job
# (PROFILE_JOB: randwrite4k, seqwrite1m or seqread1m, as bench/fio.sh runs
# them) once to warm up, then twice under "perf record -a -e cpu-clock"
# (under -icount the guest clock follows the instruction count, so the
# samples are instruction-proportional): once flat at 2 kHz, once with
# call graphs at 500 Hz.  Prints
#   PROFRUN <what> <iops>            fio's IOPS of each run
#   #F <perf report line>            flat: comm, symbol, self %
#   #C <perf report line>            call graphs: children %, self %, symbol
# The geometry (defaults: bench/fio.sh's): PROFILE_RD_MB, the ramdisk
# (256); PROFILE_AREA_MB, fio's area from sector 0 (128); for a
# subsist-pool table, PROFILE_PREFILL_MB, MiB of vdisk 0 written once
# (1 MiB writes) before the warm-up (0: only the ramdisk is prefilled),
# and the vdisk is as long as the table's <vdisk_sectors>; PROFILE_WARMUP,
# the jobs run before the profiled ones (default: the job itself).
# timeout: 1500
. "${0%/*}/../lib.sh"

JOB=${PROFILE_JOB:-randwrite4k}
TABLE=${PROFILE_TABLE:-noorder @RD@ 0 4 flush honor order fifo}
RD_MB=${PROFILE_RD_MB:-256}
AREA_MB=${PROFILE_AREA_MB:-128}
PREFILL_MB=${PROFILE_PREFILL_MB:-0}
N=$((RD_MB * 2048))

ktap_begin
need_module dm-mod brd
case $TABLE in
faultinj*) need_module dm-faultinj ;;
noorder*) need_module dm-noorder ;;
subsist*) need_module dm-subsist ;;
esac
need_cmd fio dmsetup tar

mkdir -p /opt/perf
# Under -icount with sleep=off an idle guest's clock jumps to its next
# timer: waiting for the virtio disk, it can jump past the case's timeout.
# A busy loop keeps the CPU from idling while tar reads the disk.
sh -c 'while :; do :; done' &
spin=$!
check "perf unpacked from /dev/vdb" tar -xf /dev/vdb -C /opt/perf
kill $spin
perf() {
	/opt/perf/libs/ld-linux-x86-64.so.2 --library-path /opt/perf/libs \
		/opt/perf/perf "$@"
}
check "perf runs" perf --version

rd=$(ramdisk $RD_MB) || bail "no ramdisk"
diag "ramdisk $rd $RD_MB MiB, fio area $AREA_MB MiB, vdisk prefill $PREFILL_MB MiB"
check "prefill $AREA_MB MiB of $rd" fio --name=prefill --filename="$rd" \
	--direct=1 --ioengine=psync --rw=write --bs=1M --size=${AREA_MB}M \
	--output=/dev/null
t=$(echo "$TABLE" | sed "s|@RD@|$rd|g")
case $t in
subsist-pool*)
	# A pool and its vdisk 0 (as long as <vdisk_sectors>), fio on the vdisk.
	vs=$(echo "$t" | awk '{ print $4 }')
	check "0 $N $t" dm_create b-prof-pool "0 $N $t"
	check "vdisk 0" dm_create b-prof "0 $vs subsist /dev/mapper/b-prof-pool 0"
	if [ "$PREFILL_MB" -gt 0 ]; then
		check "prefill $PREFILL_MB MiB of vdisk 0" fio --name=prefill \
			--filename=/dev/mapper/b-prof --direct=1 --ioengine=psync \
			--rw=write --bs=1M --size=${PREFILL_MB}M --output=/dev/null
		diag "pool after the prefill: $(dmsetup status b-prof-pool)"
	fi ;;
*)
	check "0 $N $t" dm_create b-prof "0 $N $t" ;;
esac

# /tmp/JOB.sh: JOB on the device (as bench/fio.sh runs it), terse
# output to /tmp/f.out.
for j in randwrite4k seqwrite1m seqread1m; do
	opts="--name=$j --filename=/dev/mapper/b-prof --output=/tmp/f.out"
	opts="$opts --output-format=terse --direct=1 --ioengine=psync --numjobs=1"
	opts="$opts --iodepth=1 --size=${AREA_MB}M --offset=0 --randrepeat=1 --invalidate=1"
	case $j in
	randwrite4k) opts="$opts --rw=randwrite --bs=4k --io_size=128M --end_fsync=1" ;;
	seqwrite1m) opts="$opts --rw=write --bs=1M --loops=4 --end_fsync=1" ;;
	seqread1m) opts="$opts --rw=read --bs=1M --loops=4" ;;
	esac
	echo "exec $(command -v fio) $opts >/dev/null" >/tmp/$j.sh
done
[ -f /tmp/$JOB.sh ] || bail "unknown job $JOB (randwrite4k, seqwrite1m, seqread1m)"
cp /tmp/$JOB.sh /tmp/job.sh
iops() { awk -F';' '{ print $8 + $49 }' /tmp/f.out; }

# The warm-up: PROFILE_WARMUP, jobs run in turn (default: the job once;
# "randwrite4k seqwrite1m seqread1m" replays a round of bench/fio.sh,
# whose jobs leave the device to the next as they found it).
for j in ${PROFILE_WARMUP:-$JOB}; do
	[ -f /tmp/$j.sh ] || bail "unknown warm-up job $j"
	check "warm-up run of $j" sh /tmp/$j.sh
	echo "PROFRUN warmup-$j $(iops)"
done
check "flat profile of $JOB" perf record -q -a -e cpu-clock -F 2000 \
	-o /tmp/flat.data -- sh /tmp/job.sh
echo "PROFRUN flat $(iops)"
perf report -i /tmp/flat.data --stdio --no-children --sort comm,sym 2>/dev/null |
	grep '%' | head -n 60 | sed 's/^/#F /'
check "call-graph profile of $JOB" perf record -q -a -g -e cpu-clock -F 500 \
	-o /tmp/graph.data -- sh /tmp/job.sh
echo "PROFRUN graph $(iops)"
case $t in
subsist-pool*) diag "pool after the runs: $(dmsetup status b-prof-pool)" ;;
esac
perf report -i /tmp/graph.data --stdio --children --sort sym -g none 2>/dev/null |
	grep '%' | grep -v ' 0x0000' | head -n 80 | sed 's/^/#C /'
ktap_end
