#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Benchmark (guest side) of our targets against dm-linear, in one boot, on
# one brd ramdisk.  Run by bench/run through tests/vm/run --icount; see
# bench/README.md.
#
# Configurations over the same ramdisk (device 256 MiB, fio over the first
# 128 MiB):
#   raw     the ramdisk itself (reference only)
#   linear  dm-linear
#   fi      faultinj without rules      (0 N faultinj /dev/ramX 0 2 seed 1)
#   fi16    faultinj with 16 rules whose sector ranges lie past the area fio
#           touches: they never match; checked after every run.  The
#           per-op hull of the ranges rejects every bio at once.
#   fi16s   faultinj with 16 rules scoped to block types that do not exist
#           (no type map is loaded): a rule without a range cannot be
#           rejected by the hull, so every bio is compared with all 16
#           rules; they never match either (checked the same way)
#   noorder         noorder, flush honor, order fifo (cache_mb 64,
#                   destage_ms 0: the defaults)
#   noorder-ignore  the same with flush ignore
#   noorder-random  flush honor, order random, seed 1
#   subsist         dm-subsist: a pool of three vdisks as large as the
#                   ramdisk below (overcommit), fio on vdisk 0, the others
#                   idle (a pool of one vdisk could skip hashing: nothing
#                   can merge within one vdisk; with three it must hash);
#                   over a ramdisk of its own (a data device serves one
#                   pool: each subsist configuration has its ramdisk,
#                   prefilled like the first); merge data, hash crc32c,
#                   no meta_dev: the defaults;
#                   fio runs on the vdisk.  fio's data are unique per 4 KiB
#                   block (its default scramble_buffers writes each
#                   sector's offset and the time into it), so nothing can
#                   merge, and with one vdisk nothing may: every write is
#                   hashed, looked up and indexed, which is the cost
#   subsist-meta    the same with meta_dev on a second ramdisk (every
#                   fsync commits the metadata)
#   subsist-none    merge none (a plain partition: no hash), one vdisk
#                   (three would not fit: merge none cannot overcommit)
#   subsist-fresh   subsist, but the vdisk is discarded (blkdiscard, outside
#                   fio's clock) before each seqwrite1m run: the sequential
#                   jobs then find physically contiguous blocks, not the
#                   scatter the random writes before them left (information:
#                   what fragmentation costs)
#   thin            the peer of dm-subsist's mapping: dm-thin, a thin-pool
#                   over the same ramdisk (64 KiB blocks, dm-thin's
#                   smallest; skip_block_zeroing), metadata on a ramdisk of
#                   its own, one thin volume whose area fio prefills (every
#                   block provisioned before the runs: what mapping costs)
#   thin-fresh      the same on a pool of its own (data and metadata on
#                   ramdisks of their own), the volume discarded (outside
#                   fio's clock, then 1.5 s for the pool's periodic commit
#                   to free the blocks) before each write job: every block
#                   the job touches is provisioned inside the clock
#   writecache      the peer of dm-noorder: dm-writecache in ssd mode over
#                   the ramdisk, the cache on a ramdisk of its own, 4 KiB
#                   blocks (never pmem mode: over brd it oopses 6.1 in
#                   dax_synchronous).  After each write job the "flush"
#                   message writes the whole cache back, inside the clock
#                   (sent twice: the first returns once the copies are
#                   submitted, the second waits for them to complete)
#   logwrites       the other peer of dm-noorder: dm-log-writes over the
#                   ramdisk, the log on three ramdisks joined by dm-linear
#                   (a 1 MiB job logs 512 MiB); the log restarts (table
#                   reloaded) before each run, and after each write job
#                   the log is drained (a mark, then the log device's
#                   sectors written polled every 20 ms of guest time until
#                   they stop moving: the log thread has written
#                   everything), inside the clock.
#                   dm-log-writes keeps every write's data in memory until
#                   a flush (512 MiB for a 1 MiB job): the guest needs
#                   about 4 GiB (bench/run boots it with --mem 4096)
# BENCH_CONFIGS selects a subset (in this order; linear is always run, it
# is the baseline).
# For the peers the figure of a write job is fio's I/Os over fio's runtime
# plus the drain (timed in the guest, /proc/timer_list); the BENCHSTAT
# line gives the drain apart.
#
# BENCH_MODE=sweep: dm-subsist's geometry sweep instead (bench/run --sweep
# boots the guest for it, with 128 MiB ramdisks: RD_SIZE_KB and
# BENCH_RD_MB).  A pool is a whole ramdisk (128 MiB): 8x an area of
# 16 MiB, 1x an area of 128 MiB.  Configurations (BENCH_SWEEP_CONFIGS):
#   lin-a<A>             dm-linear over a ramdisk, fio area A MiB: the
#                        baseline of every geometry with that area
#   ss-a<A>-v<V>-n<N>    a subsist pool over a ramdisk of its own (the pool
#                        is the whole ramdisk), N vdisks of V MiB, fio on
#                        the first A MiB of vdisk 0; vdisk 0 prefilled
#                        whole (V MiB of 1 MiB writes) before the runs
#   thin-a<A>-v<V>-n<N>  the same shape on dm-thin: a thin-pool over a
#                        ramdisk of its own (metadata on another), N thin
#                        volumes of V MiB, volume 0 prefilled whole
# The 1 MiB jobs write and read BENCH_SEQ_LOOPS x BENCH_AREA_MB MiB (512)
# whatever the area.
# Jobs (fio, O_DIRECT, psync, one job, fixed size, not time based; every
# write job ends with an fsync of the device, inside fio's measured time):
#   randwrite4k   4 KiB random writes
#   seqwrite1m    1 MiB sequential writes
#   seqread1m     1 MiB sequential reads
# Both write jobs write more than noorder's 64 MiB cache (128 MiB and
# 512 MiB), so destaging happens during the run, and the fsync at the end
# (a FLUSH, which "flush honor" holds until the whole cache is on the
# ramdisk) puts the rest of the destage inside the clock too.
# Rounds: a warm-up round of every (job, config), discarded, then
# BENCH_ROUNDS measured rounds; in each round a job runs on every config in
# turn.
#
# Output, one line per fio run (parsed by bench/run):
#   BENCH <round> <config> <job> <iops> <bw_kib> <runtime_ms> <ios>
# <round> is "warmup" or 1..BENCH_ROUNDS; <bw_kib> is KiB/s.  Plus, after
# each run of a faultinj configuration, the target's counters:
#   BENCHSTAT <round> <config> <job> reads=R writes=W dropped=D errored=E corrupted=C fired=F matched=M
# and after each run of a noorder configuration, its counters' change
# over the run and what fio left in the cache when it returned:
#   BENCHSTAT <round> <config> <job> reads=R writes=W read_hits=H destaged=D flushes=F flushes_ignored=I left_writes=N left_bytes=B
# (for noorder-ignore the rest is then drained, outside fio's clock).
# and after each run of a subsist configuration, the pool's counters:
#   BENCHSTAT <round> <config> <job> used=U mapped=M merges=G collisions=C nospc=S commits=K
# and after each run of a peer (the drain in microseconds of guest time):
#   BENCHSTAT <round> thin|thin-fresh|thin-a... <job> data_used=U data_total=T meta_used=M mode=rw
#   BENCHSTAT <round> writecache <job> error=E blocks=B free=F writeback=W drain_us=D
#   BENCHSTAT <round> logwrites <job> entries=E log_sectors=S drain_us=D
# One BENCHCFG <config> <table> line per device-mapper configuration (for
# subsist, the pool's table; fio's vdisk is "subsist <pool> 0").
#
# Three identical writers (when a subsist configuration is selected, or
# BENCH_DEDUP=1; BENCH_DEDUP=0 skips it): a pool of three vdisks (merge
# data, the defaults) on a ramdisk of its own; three fio processes at
# once, one per vdisk, write BENCH_DEDUP_MB MiB each (64 KiB sequential
# writes, refill_buffers with the same randseed: the three write the same
# data, and every 4 KiB block of it differs from the others).  Not timed;
# one line:
#   BENCHDEDUP writers=3 one_copy=B used=U mapped=M shared=S merges=G collisions=C ratio=R
# B = the blocks one writer wrote; bench/run reports used / B (goal <=
# 1.05).  The guest checks that the three vdisks read back the same
# bytes.
# KTAP points: every run completed; the rules of fi16 and fi16s matched and
# fired 0 times while each counted the same bios as fi; noorder saw every
# fio I/O (dm may split it: the bios are counted), served no read from the
# cache, and, with flush honor, had destaged every write when fio returned;
# subsist never merged, collided or ran out of space, and its pool mapped
# what fio wrote; the three writers completed and wrote the same bytes.
# timeout: 3600
RD_NR=${RD_NR:-16}	# lib.sh's ramdisks: 12 in the main mode, 13 in the sweep
. "${0%/*}/../lib.sh"

ROUNDS=${BENCH_ROUNDS:-3}
MODE=${BENCH_MODE:-main}
DEV_MB=${BENCH_RD_MB:-256}
AREA_MB=${BENCH_AREA_MB:-128}		# fio's region, from sector 0
RW4K_MB=${BENCH_RW4K_MB:-128}		# 4 KiB random writes: io_size
SEQ_LOOPS=${BENCH_SEQ_LOOPS:-4}		# 1 MiB jobs: passes over the area
NRULES=16
ALL_CONFIGS="raw linear fi fi16 fi16s noorder noorder-ignore noorder-random subsist subsist-meta subsist-none subsist-fresh thin thin-fresh writecache logwrites"
SWEEP_CONFIGS=${BENCH_SWEEP_CONFIGS:-lin-a16 lin-a128 ss-a16-v16-n1 ss-a16-v16-n3 ss-a16-v128-n1 ss-a16-v128-n3 ss-a128-v128-n1 ss-a128-v128-n3 thin-a16-v16-n3 thin-a16-v128-n3 thin-a128-v128-n3}
DEDUP_MB=${BENCH_DEDUP_MB:-64}		# three identical writers: MiB each
JOBS="randwrite4k seqwrite1m seqread1m"

# The configurations asked for, in the canonical order, linear always.
CONFIGS=
for c in $ALL_CONFIGS; do
	case " linear ${BENCH_CONFIGS:-$ALL_CONFIGS} " in
	*" $c "*) CONFIGS="$CONFIGS $c" ;;
	esac
done
CONFIGS=${CONFIGS# }
[ "$MODE" = sweep ] && CONFIGS=$SWEEP_CONFIGS
has() { case " $CONFIGS " in *" $1 "*) return 0 ;; esac; return 1; }

ktap_begin
need_module dm-mod brd
case " $CONFIGS " in *" fi"*) need_module dm-faultinj ;; esac
case " $CONFIGS " in *" noorder"*) need_module dm-noorder ;; esac
case " $CONFIGS " in *" thin"*) need_module dm-thin-pool ;; esac
has writecache && need_module dm-writecache
has logwrites && need_module dm-log-writes
DEDUP=${BENCH_DEDUP:-}
if [ -z "$DEDUP" ]; then
	DEDUP=0
	case " $CONFIGS " in *" subsist"*) DEDUP=1 ;; esac
fi
[ "$MODE" = sweep ] && DEDUP=0
case " $CONFIGS " in *" subsist"*|*" ss-"*) need_module dm-subsist ;; esac
[ "$DEDUP" = 1 ] && need_module dm-subsist
need_cmd fio dmsetup

rd=$(ramdisk $DEV_MB) || bail "no ramdisk"
N=$(blockdev --getsz "$rd")
[ "$N" -ge $((DEV_MB * 2048)) ] || bail "$rd has $N sectors, want $((DEV_MB * 2048))"
N=$((DEV_MB * 2048))
AREA=$((AREA_MB * 2048))		# sectors fio may touch: [0, AREA)

SEQ_MB=$((SEQ_LOOPS * AREA_MB))		# 1 MiB jobs: MiB per run
if [ "$MODE" = sweep ]; then
	diag "ramdisk $rd, device $N sectors, sweep of geometries;" \
		"rounds $ROUNDS, randwrite4k ${RW4K_MB} MiB, 1 MiB jobs ${SEQ_MB} MiB"
else
	diag "ramdisk $rd, device $N sectors, fio area $AREA sectors;" \
		"rounds $ROUNDS, randwrite4k ${RW4K_MB} MiB, 1 MiB jobs ${SEQ_LOOPS}x${AREA_MB} MiB"
fi
diag "configs: $CONFIGS"
diag "kernel $(uname -r), $(fio --version)"

# table_of CONFIG: the device-mapper table (after "0 N") of CONFIG.
table_of() {
	case $1 in
	linear) echo "linear $rd 0" ;;
	fi|fi16|fi16s) echo "faultinj $rd 0 2 seed 1" ;;
	noorder) echo "noorder $rd 0 4 flush honor order fifo" ;;
	noorder-ignore) echo "noorder $rd 0 4 flush ignore order fifo" ;;
	noorder-random) echo "noorder $rd 0 6 flush honor order random seed 1" ;;
	subsist|subsist-fresh) echo "subsist-pool $(ss_rd $1) 3 $N" ;;
	subsist-meta) echo "subsist-pool $(ss_rd $1) 3 $N 2 meta_dev $meta" ;;
	subsist-none) echo "subsist-pool $(ss_rd $1) 1 $N 2 merge none" ;;
	thin) echo "thin-pool $thin_meta $rd 128 0 1 skip_block_zeroing" ;;
	writecache) echo "writecache s $rd $wc_cache 4096 0" ;;
	logwrites) echo "log-writes $rd /dev/mapper/b-lwlog" ;;
	lin-*) echo "linear $rd 0" ;;
	ss-*) echo "subsist-pool $(ss_rd $1) $(geo $1 n) $(($(geo $1 v) * 2048))" ;;
	thin-*) echo "thin-pool $(ss_rd $1-meta) $(ss_rd $1) 128 0 1 skip_block_zeroing" ;;
	esac
}

# geo CONFIG a|v|n: a sweep configuration's area, vdisk MiB, vdisks;
# in the main mode the area is BENCH_AREA_MB for every configuration.
geo() {
	case $1 in
	*-a[0-9]*) echo "$1" | tr '-' '\n' | sed -n "s/^$2\([0-9][0-9]*\)\$/\1/p" ;;
	*) [ "$2" = a ] && echo "$AREA_MB" ;;
	esac
}

dev_of() {
	case $1 in
	raw) echo "$rd" ;;
	lin-*) echo "/dev/mapper/b-lin" ;;
	*) echo "/dev/mapper/b-$1" ;;
	esac
}

# now_us: the guest clock in microseconds.
# (/proc/timer_list's "now at <ns>", CLOCK_MONOTONIC; /proc/uptime, 10 ms,
# when it is missing.)
now_us() {
	if [ -r /proc/timer_list ]; then
		awk '/^now at/ { printf "%d\n", $3 / 1000; exit }' /proc/timer_list
	else
		awk '{ printf "%d\n", $1 * 1000000 }' /proc/uptime
	fi
}

# The data ramdisk of each subsist configuration (ss_rd CONFIG), and
# the meta_dev of subsist-meta (fresh brd: zeroed).
ss_rds=
for c in $CONFIGS; do
	case $c in
	subsist*|ss-*)
		d=$(ramdisk $DEV_MB) || bail "no ramdisk for $c"
		ss_rds="$ss_rds $c=$d" ;;
	thin-*)
		d=$(ramdisk $DEV_MB) || bail "no ramdisk for $c"
		m=$(ramdisk $DEV_MB) || bail "no metadata ramdisk for $c"
		ss_rds="$ss_rds $c=$d $c-meta=$m" ;;
	esac
done
ss_rd() {
	local x
	for x in $ss_rds; do
		[ "${x%%=*}" = "$1" ] && echo "${x#*=}"
	done
}
meta=
if has subsist-meta; then
	meta=$(ramdisk $DEV_MB) || bail "no ramdisk for meta_dev"
fi
# The peers' other ramdisks: thin's metadata, writecache's cache, and
# log-writes' log, three ramdisks end to end (a 1 MiB job logs 512 MiB).
thin_meta= wc_cache=
if has thin; then
	thin_meta=$(ramdisk $DEV_MB) || bail "no ramdisk for thin's metadata"
fi
if has writecache; then
	wc_cache=$(ramdisk $DEV_MB) || bail "no ramdisk for writecache's cache"
fi
if has logwrites; then
	lt= o=0
	for i in 1 2 3; do
		d=$(ramdisk $DEV_MB) || bail "no ramdisk for log-writes' log"
		lt="$lt$o $N linear $d 0\n"
		o=$((o + N))
	done
	check "log-writes' log: 3 ramdisks, $o sectors" dm_create b-lwlog "$(printf "$lt")"
	lw_stat=/sys/block/dm-$(dmsetup info -c --noheadings -o minor b-lwlog | tr -d ' ')/stat
	[ -r "$lw_stat" ] || bail "no $lw_stat for log-writes' log"
fi

# brd allocates its pages at the first write: fill the area once, before
# any target is over the ramdisks (a metadata ramdisk stays zeroed: a new
# thin-pool or meta_dev needs it so).  The sweep's data ramdisks and
# thin-fresh's, whose pools place blocks anywhere, are filled whole.
prefill() {	# DEV MB
	check "prefill $2 MiB of $1" fio --name=prefill --filename="$1" \
		--direct=1 --ioengine=psync --rw=write --bs=1M --size=${2}M \
		--output=/dev/null
}
if [ "$MODE" = sweep ]; then
	prefill $rd $DEV_MB
else
	prefill $rd $AREA_MB
fi
for x in $ss_rds; do
	case ${x%%=*} in
	*-meta) ;;
	subsist*) prefill ${x#*=} $AREA_MB ;;
	*) prefill ${x#*=} $DEV_MB ;;
	esac
done

# mk_thin POOL_NAME POOL_TABLE VOLUME_SECTORS N: a thin-pool and N thin
# volumes of it, b-POOL_NAME-pool and b-POOL_NAME (volume 0), b-POOL_NAME-1...
mk_thin() {
	local i st=0 name
	dm_create b-$1-pool "0 $N $2" || return 1
	for i in $(seq 0 $(($4 - 1))); do
		dmsetup message b-$1-pool 0 create_thin $i || return 1
		name=b-$1
		[ $i = 0 ] || name=b-$1-$i
		dm_create $name "0 $3 thin /dev/mapper/b-$1-pool $i" || st=1
	done
	return $st
}

for c in $CONFIGS; do
	[ $c = raw ] && continue
	t=$(table_of $c)
	case $c in
	subsist*)
		check "$c: pool 0 $N $t" dm_create b-$c-pool "0 $N $t"
		check "$c: vdisk 0 $N subsist /dev/mapper/b-$c-pool 0" \
			dm_create b-$c "0 $N subsist /dev/mapper/b-$c-pool 0"
		;;
	ss-*)
		vs=$(($(geo $c v) * 2048))
		check "$c: pool 0 $N $t" dm_create b-$c-pool "0 $N $t"
		check "$c: vdisk 0 $vs subsist /dev/mapper/b-$c-pool 0" \
			dm_create b-$c "0 $vs subsist /dev/mapper/b-$c-pool 0"
		;;
	thin|thin-fresh)
		check "$c: pool 0 $N $t, thin volume 0 $N" mk_thin $c "$t" $N 1 ;;
	thin-*)
		vs=$(($(geo $c v) * 2048))
		check "$c: pool 0 $N $t, $(geo $c n) thin volumes of $vs sectors" \
			mk_thin $c "$t" $vs $(geo $c n) ;;
	lin-*)
		[ -b /dev/mapper/b-lin ] ||
			check "linear: 0 $N $t" dm_create b-lin "0 $N $t" ;;
	*)
		check "$c: 0 $N $t" dm_create b-$c "0 $N $t" ;;
	esac
	echo "BENCHCFG $c 0 $N $t"
done

# 16 rules past the area: starts spread over [AREA, N), 8 sectors each,
# op "any" so that every rule's scope is compared for every bio.
if has fi16; then
	st=0
	i=1
	while [ $i -le $NRULES ]; do
		s=$((AREA + (i - 1) * ((N - AREA) / NRULES)))
		dm_message b-fi16 rule add $i any error sectors $s 8 || st=1
		i=$((i + 1))
	done
	ok $st "16 rules added, all beyond sector $AREA"
	dm_message b-fi16 rule list | sed 's/^/# /'
	[ "$(fi_stat b-fi16 nr_rules)" = $NRULES ]
	ok $? "status shows $NRULES rules"
fi

# 16 rules without a range, each scoped to its own block type (16 distinct
# names, the most a device may know) and no type map loaded: no block has
# a type, so they never match, but the per-op hull cannot reject a bio for
# them: every bio is compared with every rule.
if has fi16s; then
	st=0
	i=1
	while [ $i -le $NRULES ]; do
		dm_message b-fi16s rule add $i any error type nosuch$i || st=1
		i=$((i + 1))
	done
	ok $st "16 type rules added (types nosuch1..nosuch$NRULES)"
	dm_message b-fi16s rule list | sed 's/^/# /'
	[ "$(fi_stat b-fi16s type_extents)/$(fi_stat b-fi16s nr_rules)" = 0/$NRULES ]
	ok $? "status shows $NRULES rules and an empty type map"
fi

# fio_job JOB DEV OUT [AREA_MB]: one fio run, JSON to OUT.  The write jobs
# end with an fsync of the device (end_fsync), counted in fio's runtime.
# The 1 MiB jobs pass over the area SEQ_MB / AREA_MB times.
fio_job() {
	a=${4:-$AREA_MB}
	set -- "$1" "$2" "$3" --name="$1" --filename="$2" --output="$3" \
		--output-format=json --direct=1 --ioengine=psync --numjobs=1 \
		--iodepth=1 --time_based=0 --size=${a}M --offset=0 \
		--randrepeat=1 --clocksource=clock_gettime --invalidate=1
	j=$1 d=$2 o=$3 loops=$((SEQ_MB / a))
	shift 3
	case $j in
	randwrite4k) fio "$@" --rw=randwrite --bs=4k --io_size=${RW4K_MB}M --end_fsync=1 ;;
	seqwrite1m) fio "$@" --rw=write --bs=1M --loops=$loops --end_fsync=1 ;;
	seqread1m) fio "$@" --rw=read --bs=1M --loops=$loops ;;
	esac >/dev/null 2>fio.err
}

# fio_parse FILE DIR: "<iops> <bw_kib> <runtime_ms> <ios> <error>" of one
# direction (read|write) of fio's JSON output (one key per line).
fio_parse() {
	awk -v d="$2" '
		/^ *"(read|write|trim|sync)" : \{/ { s = $1; gsub(/"/, "", s); next }
		/^ *"error" : / && !e { e = $3 + 0; next }
		s != d { next }
		/^ *"iops" : / { iops = $3 + 0 }
		/^ *"bw_bytes" : / { bw = $3 / 1024 }
		/^ *"runtime" : / { rt = $3 + 0 }
		/^ *"total_ios" : / { n = $3 + 0 }
		END { printf "%.3f %.3f %d %d %d\n", iops, bw, rt, n, e }' "$1"
}

# no_counters CONFIG: noorder's status as "reads writes read_hits
# cached_writes cached_bytes destaged flushes flushes_ignored".
no_counters() {
	dmsetup status b-$1 | awk '{ print $4, $5, $6, $7, $8, $10, $11, $12 }'
}

# ss_counters CONFIG: the pool's "used mapped merges collisions nospc
# commits" (its status: 1 block_size, 2 used/total, 3 mapped, ... 9
# merges, 10 collisions, 13 nospc, 15 commits).
ss_counters() {
	dmsetup status b-$1-pool | awk '{ split($5, u, "/"); print u[1], $6, $12, $13, $16, $18 }'
}

runs_ok=0 runs_bad=0 chk_bad=0 no_bad=0 ss_bad=0 peer_bad=0
fi_reads= fi_writes=

# fi_after ROUND JOB CONFIG: faultinj's counters after a run; the 16-rule
# configurations must have seen what fi saw and matched nothing.
fi_after() {
	r=$1 j=$2 c=$3
	set -- $(dmsetup status b-$c)
	reads=$4 writes=$5 dropped=$8 errored=$9 corrupted=${10}
	shift 14
	fired=0
	for x in "$@"; do fired=$((fired + ${x#*:})); done
	matched=0
	if [ $c != fi ]; then
		matched=$(dm_message b-$c rule list |
			awk '{ for (i = 1; i < NF; i++) if ($i == "matched") m += $(i + 1) }
			     END { print m + 0 }')
	fi
	echo "BENCHSTAT $r $c $j reads=$reads writes=$writes dropped=$dropped" \
		"errored=$errored corrupted=$corrupted fired=$fired matched=$matched"
	if [ $c = fi ]; then
		fi_reads=$reads fi_writes=$writes
		if [ $((dropped + errored + corrupted)) != 0 ]; then
			chk_bad=$((chk_bad + 1))
			fail "fi $j round $r: no rules, yet $dropped dropped, $errored errored, $corrupted corrupted"
		fi
		return
	fi
	# fi16 and fi16s run right after fi with the same job: same bios
	# expected.
	if [ "$matched" = 0 ] && [ "$fired" = 0 ] &&
	   [ $((dropped + errored + corrupted)) = 0 ] &&
	   [ "$reads" = "$fi_reads" ] && [ "$writes" = "$fi_writes" ]; then
		diag "$c $j round $r: rules matched 0, fired 0; reads $reads writes $writes as fi"
	else
		chk_bad=$((chk_bad + 1))
		fail "$c $j round $r: rules matched $matched fired $fired" \
			"(dropped $dropped errored $errored corrupted $corrupted);" \
			"reads $reads/$fi_reads writes $writes/$fi_writes ($c/fi)"
	fi
}

# no_after ROUND JOB CONFIG IOS BEFORE...: noorder's counters over a run.
# At least one bio per fio I/O (dm splits a bio longer than noorder's
# limit or the device's max_sectors; the report shows how many); reads never hit the cache (it is empty when the
# read job runs); with flush honor the end_fsync left nothing cached;
# with flush ignore the fsync was ignored, and what is left is drained
# here, outside fio's clock, so that every run starts with an empty cache.
no_after() {
	r=$1 j=$2 c=$3 ios=$4
	shift 4
	b_reads=$1 b_writes=$2 b_hits=$3 b_destaged=$6 b_flushes=$7 b_ign=$8
	set -- $(no_counters $c)
	reads=$(($1 - b_reads)) writes=$(($2 - b_writes)) hits=$(($3 - b_hits))
	left_w=$4 left_b=$5 destaged=$(($6 - b_destaged))
	flushes=$(($7 - b_flushes)) ign=$(($8 - b_ign))
	echo "BENCHSTAT $r $c $j reads=$reads writes=$writes read_hits=$hits" \
		"destaged=$destaged flushes=$flushes flushes_ignored=$ign" \
		"left_writes=$left_w left_bytes=$left_b"
	why=
	case $j in
	seqread1m)
		[ $reads -ge $ios ] || why="$why reads $reads for $ios I/Os;"
		[ $writes = 0 ] || why="$why $writes writes;"
		[ $hits = 0 ] || why="$why $hits read hits;" ;;
	*)
		[ $writes -ge $ios ] || why="$why writes $writes for $ios I/Os;"
		[ $flushes -ge 1 ] || why="$why no flush seen;"
		if [ $c = noorder-ignore ]; then
			[ $ign = $flushes ] || why="$why $ign of $flushes flushes ignored;"
		else
			[ $ign = 0 ] || why="$why $ign flushes ignored;"
			[ $left_w = 0 ] && [ $left_b = 0 ] ||
				why="$why $left_w writes ($left_b bytes) still cached after the fsync;"
			[ $destaged = $writes ] || why="$why $destaged destaged of $writes;"
		fi ;;
	esac
	if [ $c = noorder-ignore ]; then
		dm_message b-$c drain || why="$why drain failed;"
		set -- $(no_counters $c)
		[ $4 = 0 ] && [ $5 = 0 ] || why="$why $4 writes cached after drain;"
	fi
	if [ -n "$why" ]; then
		no_bad=$((no_bad + 1))
		fail "$c $j round $r:$why"
	fi
}

# ss_after ROUND JOB CONFIG: the pool's counters after a run.  One
# vdisk: nothing may merge, no hash may match (fio's blocks are unique;
# a collision would mean a block compared in vain), nothing may fail for
# space; after a write job the pool maps the whole area fio wrote.
ss_after() {
	r=$1 j=$2 c=$3
	set -- $(ss_counters $c)
	echo "BENCHSTAT $r $c $j used=$1 mapped=$2 merges=$3 collisions=$4 nospc=$5 commits=$6"
	why=
	[ "$3" = 0 ] || why="$why $3 merges;"
	[ "$4" = 0 ] || why="$why $4 collisions;"
	[ "$5" = 0 ] || why="$why $5 ENOSPC;"
	a=$(($(geo $c a) * 256))
	[ "$2" -ge $a ] || why="$why mapped $2 < $a blocks;"
	if [ -n "$why" ]; then
		ss_bad=$((ss_bad + 1))
		fail "$c $j round $r:$why"
	fi
}

# peer_drain CONFIG: the peer's deferred work after a write job, inside
# the clock: writecache's "flush" message, twice (the first starts the
# write-back of the whole cache and returns once the copies are
# submitted; the second waits for them: its write-back waits for every
# block in writeback first); log-writes' log drained (a mark after the
# flushed writes, then the sectors written to the log device polled every
# 20 ms of guest time until they stop moving; the log thread never waits
# on brd, so a thread with work left moves them in 20 ms).
peer_drain() {
	case $1 in
	writecache)
		dm_message b-writecache flush && dm_message b-writecache flush ;;
	logwrites)
		dm_message b-logwrites mark bench-end || return 1
		# The log device's sectors written (its block-layer stat, read
		# by the shell: polling dmsetup would spend guest time too).
		prev= cur=$(lw_written)
		while [ "$cur" != "$prev" ]; do
			prev=$cur
			sleep 0.02
			cur=$(lw_written)
		done ;;
	esac
}

# lw_written: sectors written to log-writes' log device so far.
lw_written() {
	local a b c d e f g rest
	read -r a b c d e f g rest <"$lw_stat" && echo "$g"
}

# thin_after ROUND JOB CONFIG: the pool's data blocks used and its mode
# (it must stay rw: out of data space or read-only would stall or fail
# fio's writes).
thin_after() {
	r=$1 j=$2 c=$3
	set -- $(dmsetup status b-$c-pool)
	echo "BENCHSTAT $r $c $j data_used=${6%/*} data_total=${6#*/} meta_used=${5%/*} mode=$8"
	if [ "$8" != rw ]; then
		peer_bad=$((peer_bad + 1))
		fail "$c $j round $r: pool mode $8 ($*)"
	fi
}

# peer_after ROUND JOB CONFIG IOS DRAIN_US: the peer's state after the
# drain (outside the clock): writecache empty, nothing in writeback, no
# error; log-writes' log unchanged a second later (the drain was whole),
# every I/O logged, the log not full.
peer_after() {
	r=$1 j=$2 c=$3 ios=$4 dus=$5
	why=
	case $c in
	writecache)
		set -- $(dmsetup status b-writecache)
		echo "BENCHSTAT $r $c $j error=$4 blocks=$5 free=$6 writeback=$7 drain_us=$dus"
		[ "$j" = seqread1m ] && return
		[ "$4" = 0 ] || why="$why error $4;"
		[ "$6" = "$5" ] || why="$why $(($5 - $6)) blocks still cached after the flush message;"
		[ "$7" = 0 ] || why="$why $7 blocks in writeback;" ;;
	logwrites)
		a=$(dmsetup status b-logwrites)
		sleep 1
		set -- $(dmsetup status b-logwrites)
		echo "BENCHSTAT $r $c $j entries=$4 log_sectors=$5 drain_us=$dus"
		[ "$j" = seqread1m ] && return
		[ "$a" = "$*" ] || why="$why the log moved after the drain ($a, then $*);"
		[ "$4" -gt "$ios" ] || why="$why $4 entries logged for $ios I/Os;"
		[ "$5" -lt $((3 * N - 4096)) ] || why="$why the log is full;" ;;
	esac
	if [ -n "$why" ]; then
		peer_bad=$((peer_bad + 1))
		fail "$c $j round $r:$why"
	fi
}

# run ROUND JOB CONFIG: one fio run, one BENCH line; check the counters.
run() {
	r=$1 j=$2 c=$3 dev=$(dev_of "$3")
	dir=write
	[ $j = seqread1m ] && dir=read
	before=
	case $c in
	fi*) dm_message b-$c stats reset ;;
	noorder*) before=$(no_counters $c) ;;
	subsist-fresh)
		[ $j = seqwrite1m ] && ! blkdiscard "$dev" &&
			fail "blkdiscard $dev before $j, round $r" ;;
	thin-fresh)
		# Every block unprovisioned; the pool's periodic commit (every
		# second) makes the freed blocks allocatable again.
		if [ $j != seqread1m ]; then
			blkdiscard "$dev" || fail "blkdiscard $dev before $j, round $r"
			sleep 1.5
		fi ;;
	logwrites)
		# A fresh log for every run (the ctr starts it after its
		# superblock).
		dm_reload b-logwrites "0 $N $(table_of logwrites)" ||
			fail "log-writes: reload before $j, round $r" ;;
	esac
	if ! fio_job "$j" "$dev" fio.json "$(geo $c a)"; then
		runs_bad=$((runs_bad + 1))
		fail "fio $j on $c, round $r"
		sed 's/^/# /' fio.err | tail -n 10
		return
	fi
	dus=0
	case $c:$j in
	writecache:seqread1m|logwrites:seqread1m) ;;
	writecache:*|logwrites:*)
		t0=$(now_us)
		peer_drain $c || fail "$c: drain after $j, round $r"
		dus=$(($(now_us) - t0)) ;;
	esac
	set -- $(fio_parse fio.json $dir)
	if [ "$5" != 0 ] || [ "$4" = 0 ]; then
		runs_bad=$((runs_bad + 1))
		fail "fio $j on $c, round $r: error $5, $4 I/Os"
		return
	fi
	if [ $dus != 0 ]; then
		# The drain inside the clock: IOPS and KiB/s over runtime + drain.
		set -- $(echo "$@ $dus" | awk '{ t = $3 * 1000 + $6; f = $3 * 1000 / t
			printf "%.3f %.3f %d %d %d\n", $1 * f, $2 * f, (t + 500) / 1000, $4, $5 }')
	fi
	runs_ok=$((runs_ok + 1))
	echo "BENCH $r $c $j $1 $2 $3 $4"
	case $c in
	fi*) fi_after "$r" "$j" "$c" ;;
	noorder*) no_after "$r" "$j" "$c" "$4" $before ;;
	subsist*|ss-*) ss_after "$r" "$j" "$c" ;;
	writecache|logwrites) peer_after "$r" "$j" "$c" "$4" $dus ;;
	thin|thin-*) thin_after "$r" "$j" "$c" ;;
	esac
}

# dm-thin's volume: its area, so that every block fio touches is
# provisioned; in the sweep, subsist's vdisk 0 and thin's volume 0 whole.
if has thin; then
	prefill /dev/mapper/b-thin $AREA_MB
	diag "thin after the prefill: $(dmsetup status b-thin-pool)"
fi
for c in $CONFIGS; do
	case $c in
	ss-*|thin-a*)
		prefill /dev/mapper/b-$c $(geo $c v)
		diag "$c after the prefill: $(dmsetup status b-$c-pool)" ;;
	esac
done

for r in warmup $(seq 1 "$ROUNDS"); do
	for j in $JOBS; do
		for c in $CONFIGS; do
			run "$r" "$j" "$c"
		done
	done
	diag "round $r done at $(cut -d' ' -f1 /proc/uptime) s guest time"
done

# Three identical writers: one pool, three vdisks, three fio processes
# at once with the same data.
dedup() {
	local d i st=0 mb=$DEDUP_MB pids=
	d=$(ramdisk $DEV_MB) || { fail "three writers: no ramdisk"; return; }
	dm_create b-dd-pool "0 $N subsist-pool $d 3 $((mb * 2048))" || st=1
	for i in 0 1 2; do
		[ $st = 0 ] || break
		dm_create b-dd$i "0 $((mb * 2048)) subsist /dev/mapper/b-dd-pool $i" || st=1
	done
	ok $st "three writers: pool 0 $N subsist-pool $d 3 $((mb * 2048)) and its vdisks b-dd0..2"
	[ $st = 0 ] || return
	echo "BENCHCFG three-writers 0 $N subsist-pool $d 3 $((mb * 2048))"
	for i in 0 1 2; do
		fio --name=dd --filename=/dev/mapper/b-dd$i --direct=1 \
			--ioengine=psync --rw=write --bs=64k --size=${mb}M \
			--refill_buffers=1 --randseed=4242 --end_fsync=1 \
			--output=/dev/null 2>dd$i.err &
		pids="$pids $!"
	done
	for i in $pids; do
		wait $i || st=1
	done
	ok $st "three writers: the three fio processes completed"
	[ $st = 0 ] || { sed 's/^/# /' dd*.err; return; }
	drop_caches /dev/mapper/b-dd0 /dev/mapper/b-dd1 /dev/mapper/b-dd2
	check "three writers: vdisk 1 reads the same bytes as vdisk 0" \
		cmp /dev/mapper/b-dd0 /dev/mapper/b-dd1
	check "three writers: vdisk 2 reads the same bytes as vdisk 0" \
		cmp /dev/mapper/b-dd0 /dev/mapper/b-dd2
	set -- $(dmsetup status b-dd-pool)
	diag "three writers: pool status: $*"
	echo "BENCHDEDUP writers=3 one_copy=$((mb * 256)) used=${5%/*} mapped=$6 shared=$7 merges=${12} collisions=${13} ratio=$9"
	check_eq "three writers: mapped = 3 x $((mb * 256)) blocks" $((3 * mb * 256)) "$6"
}
[ "$DEDUP" = 1 ] && dedup

set -- $JOBS; nj=$#
set -- $CONFIGS; nc=$#
total=$(( (ROUNDS + 1) * nj * nc ))
check_eq "all $total fio runs completed" "$total" "$runs_ok"
if has fi16 || has fi16s; then
	check_eq "fi16, fi16s: the 16 rules never matched, they and fi saw the same bios; no faults injected (bad runs)" 0 "$chk_bad"
fi
case " $CONFIGS " in
*" noorder"*)
	check_eq "noorder: saw every I/O, no read hits, flush honor: nothing cached after the fsync (bad runs)" 0 "$no_bad" ;;
esac
case " $CONFIGS " in
*" subsist"*|*" ss-"*)
	check_eq "subsist: no merge, collision or ENOSPC with one vdisk, the area mapped (bad runs)" 0 "$ss_bad" ;;
esac
case " $CONFIGS " in
*" thin"*|*" writecache "*|*" logwrites "*)
	check_eq "peers: thin pools stayed rw; after each write job's drain writecache was empty, log-writes' log complete (bad runs)" 0 "$peer_bad" ;;
esac
ktap_end
