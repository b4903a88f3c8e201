#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# crashtest refuses bad input with a clear message and a non-zero exit,
# and never crashes: bad arguments; a device that is not noorder, not
# device-mapper, or crashed; a workload that fails or cannot run; a log
# that overflows its limit; debugfs not mounted (record mounts it); and
# records whose log, meta or base image are truncated or corrupt.
# timeout: 240
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd dm-noorder
need_cmd crashtest dmsetup
seed_init

rd=$(ramdisk 16) || bail "no ramdisk"
check "noorder over a 16 MiB ramdisk" dm_create ctb "0 32768 noorder $rd 0"
check "linear beside it" dm_create ctl "0 32768 linear $rd 0"
dev=/dev/mapper/ctb

# ---- record: arguments and devices ----
check_err "record: no device" 'which device' crashtest record -o r -- true
check_err "record: no output" 'where to' crashtest record -d $dev -- true
check_err "record: no workload" 'which workload' crashtest record -d $dev -o r
check_err "record: --limit-mb 0" 'limit-mb wants' crashtest record -d $dev -o r --limit-mb 0 -- true
check_err "record: --seed x" 'seed wants' crashtest record -d $dev -o r --seed x -- true
check_err "record: unknown option" 'unrecognized option|invalid option' crashtest record --frob -d $dev -o r -- true
check_err "record: no such device" 'No such file' crashtest record -d /dev/mapper/nosuch -o r -- true
check_err "record: not device-mapper" 'not a device-mapper device' crashtest record -d $rd -o r -- true
check_err "record: a regular file" 'not a block device' crashtest record -d /etc/passwd -o r -- true
check_err "record: a linear device" '"linear" device, not noorder' crashtest record -d /dev/mapper/ctl -o r -- true
dm_message ctb crash keep all
check_err "record: a crashed device" 'is crashed: revive it first' crashtest record -d $dev -o r -- true
dm_message ctb revive

# ---- record: the workload and the log ----
wl='dd if=/dev/urandom of=$CRASHTEST_DEV bs=4096 count=16 seek=$((CRASHTEST_SEED % 100)) conv=fsync status=none'
check "record a small workload" crashtest record -d $dev -o rec --seed 7 -- sh -c "$wl"
check "its record is whole" crashtest info rec
check_err "record: into an existing record" 'already holds a record' \
	crashtest record -d $dev -o rec -- true
check "record --force replaces it" crashtest record -d $dev -o rec --force --seed 7 -- sh -c "$wl"
check_err "record: the workload fails" 'the workload failed \(exit status 3\)' \
	crashtest record -d $dev -o r2 -- sh -c 'exit 3'
check_eq "record: a failed workload's status is in the meta" 3 \
	"$(sed -n 's/^workload_status //p' r2/meta)"
check_err "record: the workload cannot run" 'no-such-program.*No such file|exit status 127' \
	crashtest record -d $dev -o r3 -- no-such-program
# The log overflows: the workload stops crashtest (and its reader) while
# it writes 4 MiB with a 1 MiB limit.
check_err "record: the log overflows its limit" 'log overflowed.*--limit-mb 1' \
	crashtest record -d $dev -o r4 --limit-mb 1 -- sh -c \
	'kill -STOP $PPID; dd if=/dev/urandom of=$CRASHTEST_DEV bs=1M count=4 conv=fsync status=none; kill -CONT $PPID'
check_eq "the device is still live after an overflow" live \
	"$(no_stat ctb crash_state)"
# debugfs not mounted: record mounts it.
cleanup_push "grep -q ' /sys/kernel/debug debugfs ' /proc/mounts || mount -t debugfs none /sys/kernel/debug"
if umount /sys/kernel/debug 2>/dev/null; then
	crashtest record -d $dev -o r5 -- true >r5.out 2>&1
	st=$?
	grep -q 'mounted debugfs on /sys/kernel/debug' r5.out
	ok $((st | $?)) "record mounts debugfs when it is not, and records"
	grep -q ' /sys/kernel/debug debugfs ' /proc/mounts
	ok $? "debugfs is mounted again"
else
	skip "record mounts debugfs when it is not" "debugfs busy"
	skip "debugfs is mounted again" "debugfs busy"
fi

# ---- explore, replay, info: arguments ----
check_err "explore: no record" 'which record' crashtest explore
check_err "explore: -n 0" '-n wants' crashtest explore rec -n 0
check_err "explore: -j 65" '-j wants' crashtest explore rec -j 65
check_err "explore: -t x" '-t wants' crashtest explore rec -t x
check_err "explore: --flush maybe" '--flush wants' crashtest explore rec --flush maybe
check_err "explore: --window -1" '--window wants' crashtest explore rec --window -1
check_err "explore: --check ''" '--check wants' crashtest explore rec --check ''
check_err "explore: a checker that cannot run" 'could not be run \(exit 127' \
	crashtest explore rec -n 3 --check 'no-such-checker {}'
check_err "explore: not a record" 'meta: No such file' crashtest explore /tmp
check_err "replay: no -o" 'where to' crashtest replay rec honor:0:0
check_err "replay: a bad id" 'bad state id' crashtest replay rec honor:1 -o x.img
check_err "replay: a point past the log" 'beyond the log' crashtest replay rec honor:999999:0 -o x.img
check "an 8 MiB zero device" dm_create ctz "0 16384 zero"
check_err "replay: into a smaller device" 'the state needs' crashtest replay rec honor:0:0 -o /dev/mapper/ctz

# ---- damaged records ----
cp -r rec good
n=$(wc -c <rec/log)
damage() {	# restore the good record, then run "$@" in rec
	rm -rf rec && cp -r good rec && "$@"
}
damage sh -c "head -c $((n - 20)) good/log >rec/log"
check_err "log truncated inside a record" 'truncated log' crashtest explore rec -n 1
damage sh -c "head -c $((n - 48 - 32768)) good/log >rec/log"
check_err "log truncated at a record boundary" 'truncated or replaced log|truncated log' crashtest info rec
damage sh -c "printf 'X' | dd of=rec/log bs=1 seek=200 conv=notrunc status=none"
check_err "log: a data byte changed" 'modified or corrupted' crashtest replay rec honor:0:0 -o x.img
damage sh -c "printf 'X' | dd of=rec/log bs=1 seek=0 conv=notrunc status=none"
check_err "log: the first magic broken" 'record 0 at byte 0: bad magic' crashtest info rec
damage sh -c "printf '\\011' | dd of=rec/log bs=1 seek=6 conv=notrunc status=none"
check_err "log: an unknown record type" 'unknown record type 9' crashtest info rec
damage sh -c ": >rec/log"
check_err "log: empty" 'the log has 0 bytes' crashtest info rec
damage rm rec/log
check_err "log: missing" 'log: No such file' crashtest info rec
damage sh -c "head -c 100 good/meta >rec/meta"
check_err "meta: truncated" 'truncated|missing' crashtest explore rec
damage sh -c "sed -i 's/^crashtest-record 1/crashtest-record 9/' rec/meta"
check_err "meta: another version" 'meta format version 9' crashtest info rec
damage sh -c "sed -i 's/^writes .*/writes 12345/' rec/meta"
check_err "meta: a count changed" 'counts differ' crashtest info rec
damage sh -c "sed -i 's/^log_crc32c .*/log_crc32c 0x00000000/' rec/meta"
check_err "meta: the log's checksum changed" 'modified or corrupted' crashtest info rec
damage sh -c "sed -i 's/^seed .*/seed many/' rec/meta"
check_err "meta: a bad number" 'bad value "many" for seed' crashtest info rec
damage sh -c "echo 'colour blue' >>rec/meta"
check_err "meta: an unknown key" 'unknown key "colour"' crashtest info rec
damage sh -c "printf 'X' | dd of=rec/base.img bs=1 seek=4096 conv=notrunc status=none"
check_err "base image: a byte changed" 'base image was modified' crashtest explore rec -n 1
damage sh -c "head -c 4096 good/base.img >rec/base.img"
check_err "base image: truncated" 'truncated or replaced base image' crashtest replay rec honor:0:0 -o x.img
damage true
check "the undamaged record still explores" crashtest explore rec -n 4 -j 2 --check true -q
ktap_end
