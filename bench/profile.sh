#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Profile (guest side) of one fio job on one device-mapper configuration,
# with the host's perf.  Run by bench/profile through tests/vm/run
# --icount; see bench/README.md.
#
# bench/profile writes a tar of perf and its libraries at the start of
# /dev/vdb; this script unpacks it in /opt/perf, builds the device over a
# 256 MiB brd ramdisk (PROFILE_TABLE, the table after "0 524288", "@RD@"
# standing for the ramdisk), fills fio's 128 MiB area, runs the job
# (PROFILE_JOB: randwrite4k, seqwrite1m or seqread1m, as bench/fio.sh runs
# them) once to warm up, then twice under "perf record -a -e cpu-clock"
# (under -icount the guest clock follows the instruction count, so the
# samples are instruction-proportional): once flat at 2 kHz, once with
# call graphs at 500 Hz.  Prints
#   PROFRUN <what> <iops>            fio's IOPS of each run
#   #F <perf report line>            flat: comm, symbol, self %
#   #C <perf report line>            call graphs: children %, self %, symbol
# timeout: 1500
. "${0%/*}/../lib.sh"

JOB=${PROFILE_JOB:-randwrite4k}
TABLE=${PROFILE_TABLE:-noorder @RD@ 0 4 flush honor order fifo}
N=524288

ktap_begin
need_module dm-mod brd
case $TABLE in
faultinj*) need_module dm-faultinj ;;
noorder*) need_module dm-noorder ;;
subsist*) need_module dm-subsist ;;
esac
need_cmd fio dmsetup tar

mkdir -p /opt/perf
check "perf unpacked from /dev/vdb" tar -xf /dev/vdb -C /opt/perf
perf() {
	/opt/perf/libs/ld-linux-x86-64.so.2 --library-path /opt/perf/libs \
		/opt/perf/perf "$@"
}
check "perf runs" perf --version

rd=$(ramdisk 256) || bail "no ramdisk"
t=$(echo "$TABLE" | sed "s|@RD@|$rd|g")
case $t in
subsist-pool*)
	# A pool and its vdisk 0, fio on the vdisk.
	check "0 $N $t" dm_create b-prof-pool "0 $N $t"
	check "vdisk 0" dm_create b-prof "0 $N subsist /dev/mapper/b-prof-pool 0" ;;
*)
	check "0 $N $t" dm_create b-prof "0 $N $t" ;;
esac
check "prefill 128 MiB of $rd" fio --name=prefill --filename="$rd" \
	--direct=1 --ioengine=psync --rw=write --bs=1M --size=128M \
	--output=/dev/null

# /tmp/job.sh: $JOB on the device (as bench/fio.sh runs it), terse
# output to /tmp/f.out.
opts="--name=$JOB --filename=/dev/mapper/b-prof --output=/tmp/f.out"
opts="$opts --output-format=terse --direct=1 --ioengine=psync --numjobs=1"
opts="$opts --iodepth=1 --size=128M --offset=0 --randrepeat=1 --invalidate=1"
case $JOB in
randwrite4k) opts="$opts --rw=randwrite --bs=4k --io_size=128M --end_fsync=1" ;;
seqwrite1m) opts="$opts --rw=write --bs=1M --loops=4 --end_fsync=1" ;;
seqread1m) opts="$opts --rw=read --bs=1M --loops=4" ;;
*) bail "unknown job $JOB (randwrite4k, seqwrite1m, seqread1m)" ;;
esac
echo "exec $(command -v fio) $opts >/dev/null" >/tmp/job.sh
iops() { awk -F';' '{ print $8 + $49 }' /tmp/f.out; }

check "warm-up run of $JOB" sh /tmp/job.sh
echo "PROFRUN warmup $(iops)"
check "flat profile of $JOB" perf record -q -a -e cpu-clock -F 2000 \
	-o /tmp/flat.data -- sh /tmp/job.sh
echo "PROFRUN flat $(iops)"
perf report -i /tmp/flat.data --stdio --no-children --sort comm,sym 2>/dev/null |
	grep '%' | head -n 60 | sed 's/^/#F /'
check "call-graph profile of $JOB" perf record -q -a -g -e cpu-clock -F 500 \
	-o /tmp/graph.data -- sh /tmp/job.sh
echo "PROFRUN graph $(iops)"
perf report -i /tmp/graph.data --stdio --children --sort sym -g none 2>/dev/null |
	grep '%' | grep -v ' 0x0000' | head -n 80 | sed 's/^/#C /'
ktap_end
