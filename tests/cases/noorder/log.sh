#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-noorder's write log: every write (with its data), flush, FUA, discard
# and mark in submission order, read through debugfs; reading consumes;
# the bound: a clear error (ENOSPC, status "overflow") and the records
# before it intact; log off, clear, on.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod dm-noorder loop
seed_init

truncate -s 16M "$_lib_state/disk.img"
lo=$(losetup -f) && losetup "$lo" "$_lib_state/disk.img" || bail "no loop device"
cleanup_push "losetup -d $lo"
check "noorder over a loop device" no_new lg $lo flush honor
lg=/dev/mapper/lg
log=$(no_log_path lg)
check "log path names a debugfs file" [ -r "$log" ]
check_eq "log is off at first" off "$(no_stat lg log_state)"

check "log on" dm_message lg log on
wr $lg 8 8 $SEED				# 0: write
wr $lg 1 3 $((SEED + 1))			# 1: write
flush_dev $lg					# 2: flush
dm_message lg log mark 77			# 3: mark
fua_wr $lg 64 8 $((SEED + 3))			# 4: write, FUA
						# 5: flush (O_DSYNC's fsync)
blkdiscard -o 65536 -l 8192 $lg		# 6: discard
wr $lg 8 8 $((SEED + 2))			# 7: overwrite of 0
check_eq "status: on, 8 records" "on 8" "$(no_stat lg log_state) $(no_stat lg log_records)"
cat "$log" >"$_lib_state/log1"
check_eq "status after the read: nothing unread" "0 0" \
	"$(no_stat lg log_records) $(no_stat lg log_bytes)"
check "the log parses" no_log_list "$_lib_state/log1"
no_log_list "$_lib_state/log1" >"$_lib_state/list"
diag "$(tr '\n' ';' <"$_lib_state/list")"
check_eq "seq, type and place of every record" \
	"0 write 8 8;1 write 1 3;2 flush 0 0;3 mark 77 0;4 write 64 8;5 flush 0 0;6 discard 128 16;7 write 8 8;" \
	"$(awk '{ printf "%s %s %s %s;", $1, $2, $4, $5 }' "$_lib_state/list")"
check_eq "flags: FUA on record 4 only" "0 0 0 0 1 0 0 0 " \
	"$(awk '{ printf "%d ", $3 % 2 }' "$_lib_state/list")"

# The data of each write record, byte for byte.
data_of() {	# seq len -> the record's data
	_o=$(awk -v s="$1" '$1 == s { print $6 }' "$_lib_state/list")
	tail -c +$((_o + 1)) "$_lib_state/log1" | head -c "$2"
}
data_of 0 4096 >"$_lib_state/d0"
_pattern $SEED 4096 4096 >"$_lib_state/w0"
check "write 0 carries its data" cmp "$_lib_state/w0" "$_lib_state/d0"
data_of 1 1536 >"$_lib_state/d1"
_pattern $((SEED + 1)) 512 1536 >"$_lib_state/w1"
check "write 1 (3 unaligned sectors) carries its data" cmp "$_lib_state/w1" "$_lib_state/d1"
data_of 7 4096 >"$_lib_state/d6"
_pattern $((SEED + 2)) 4096 4096 >"$_lib_state/w6"
check "the overwrite carries the new data" cmp "$_lib_state/w6" "$_lib_state/d6"
data_of 4 4096 >"$_lib_state/d4"
_pattern $((SEED + 3)) 32768 4096 >"$_lib_state/w4"
check "the FUA write carries its data" cmp "$_lib_state/w4" "$_lib_state/d4"

check_eq "a second read finds nothing new" 0 "$(cat "$log" | wc -c)"
check "log off" dm_message lg log off
wr $lg 200 8 $SEED
check_eq "nothing is logged while off" 0 "$(cat "$log" | wc -c)"

# Reading in small pieces gives the same bytes as one read.
dm_message lg log on
i=0
while [ $i -lt 20 ]; do wr $lg $((i * 8)) 8 $((SEED + i)); i=$((i + 1)); done
flush_dev $lg
dd if="$log" of="$_lib_state/pieces" bs=100 status=none
check_eq "read in 100-byte pieces: 20 writes and a flush" 21 \
	"$(no_log_list "$_lib_state/pieces" | wc -l)"
check_eq "seq restarts at 0 after log on" "0 20" \
	"$(no_log_list "$_lib_state/pieces" | awk 'NR == 1 { a = $1 } END { print a, $1 }')"

# The bound: 1 MiB, then 2 MiB of writes.
check "log on 1" dm_message lg log on 1
pattern_write $lg 0 2097152 $SEED
check_eq "status: overflow" overflow "$(no_stat lg log_state)"
check_err "reading past the logged records fails with ENOSPC" \
	"No space left on device" cat "$log"
cat "$log" >"$_lib_state/over" 2>/dev/null
check_fails "... which is repeated until cleared" cat "$log"
dm_message lg log on 1
pattern_write $lg 0 2097152 $SEED
dd if="$log" of="$_lib_state/over" bs=64k status=none 2>/dev/null
n=$(no_log_list "$_lib_state/over" | wc -l)
b=$(stat -c %s "$_lib_state/over")
diag "logged before the bound: $n records, $b bytes"
check "the records before the bound are whole and within 1 MiB" \
	[ "$n" -gt 0 ] && [ "$b" -le 1048576 ]
check "log clear" dm_message lg log clear
check_eq "after clear the log is off, empty" "off 0" \
	"$(no_stat lg log_state) $(no_stat lg log_records)"
check_eq "and reads end normally" 0 "$(cat "$log" | wc -c)"

# The log outlives a crash; writes after it are not logged (they fail).
dm_message lg log on
wr $lg 0 8 $SEED
dm_message lg crash
wr $lg 0 8 $SEED 2>/dev/null
check_eq "the crash keeps the log; failed writes are not logged" 1 \
	"$(cat "$log" >"$_lib_state/c"; no_log_list "$_lib_state/c" | wc -l)"
dm_message lg revive

dm_remove lg
check "the debugfs directory goes with the device" [ ! -e "$log" ]
check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
