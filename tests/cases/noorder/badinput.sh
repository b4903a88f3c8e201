#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-noorder refuses bad table lines and messages with a clear error and
# keeps working; then a seeded fuzz loop of random tables and messages
# (FUZZ of them, default 400) against a live device under I/O; rmmod.
# timeout: 900
. "${0%/*}/../lib.sh"
. "${0%/*}/no.lib"

ktap_begin
need_module dm-mod brd dm-noorder
seed_init

rd=$(ramdisk 16) || bail "no ramdisk"
sz=$(blockdev --getsz $rd)

# The reason is in ti->error: the kernel log lines since the mark.
bad_table() {	# description table-args expected-error-ERE [len]
	klog_mark
	if printf '0 %s noorder %s\n' "${4:-$sz}" "$2" | dmsetup create bad 2>/dev/null; then
		fail "table: $1: accepted"
		dm_gone bad
		return
	fi
	dm_gone bad
	if klog_new | grep -Eq "$3"; then
		pass "table: $1 ($(klog_new | grep -Eo "noorder: .*" | tail -n 1))"
	else
		fail "table: $1: no reason matching /$3/"
		klog_new | sed 's/^/#   /'
	fi
}
bad_table "no arguments" "" "Need <dev> <offset>"
bad_table "only a device" "$rd" "Need <dev> <offset>"
bad_table "missing device" "/dev/nonexistent 0" "Device lookup failed"
bad_table "offset not a number" "$rd x" "Invalid device offset"
bad_table "offset with junk" "$rd 12k" "Invalid device offset"
bad_table "offset past the end" "$rd 1" "too small"
bad_table "negative offset" "$rd -1" "Invalid device offset"
bad_table "offset over 64 bits" "$rd 18446744073709551616" "Invalid device offset"
bad_table "feature count not a number" "$rd 0 x" "Invalid number of feature args"
bad_table "feature count too big" "$rd 0 11 flush honor" "Invalid number of feature args"
bad_table "feature count 2^32 (dm core reads it as 0)" "$rd 0 4294967296" "Invalid number of feature args"
bad_table "feature count 2^64" "$rd 0 18446744073709551616" "Invalid number of feature args"
bad_table "feature count larger than the args" "$rd 0 4 flush honor" "Not enough arguments|Invalid number"
bad_table "unknown feature" "$rd 0 2 color red" "Unrecognised feature"
bad_table "feature without value" "$rd 0 1 flush" "needs a value"
bad_table "bad flush mode" "$rd 0 2 flush sometimes" "flush must be honor or ignore"
bad_table "bad order" "$rd 0 2 order lifo" "order must be"
bad_table "bad seed" "$rd 0 2 seed -5" "Invalid seed"
bad_table "seed too big" "$rd 0 2 seed 18446744073709551616" "Invalid seed"
bad_table "cache_mb 0" "$rd 0 2 cache_mb 0" "cache_mb must be"
bad_table "cache_mb too big" "$rd 0 2 cache_mb 99999999" "cache_mb must be"
bad_table "destage_ms too big" "$rd 0 2 destage_ms 3600001" "destage_ms must be"
bad_table "feature twice" "$rd 0 4 flush honor flush ignore" "given twice"
bad_table "trailing junk" "$rd 0 2 flush honor extra" "Unexpected argument|Invalid"
bad_table "longer than the device below" "$rd 0" "too small" $((sz + 8))

check "a good device" no_new g $rd flush honor order random seed 3 cache_mb 2 destage_ms 100
check_eq "... whose table round-trips" \
	"0 $sz noorder X 0 10 flush honor order random seed 3 cache_mb 2 destage_ms 100" \
	"$(dmsetup table g | awk '{ $4 = "X"; print }')"
bad_msg() {	# description expected-ERE words...
	_d=$1 _re=$2
	shift 2
	klog_mark
	if dm_message g "$@" >/dev/null 2>&1; then
		fail "message: $_d: accepted"
	elif klog_new | grep -Eq "$_re"; then
		pass "message: $_d ($(klog_new | grep -Eo "noorder: .*" | tail -n 1))"
	else
		fail "message: $_d: no reason matching /$_re/"
		klog_new | sed 's/^/#   /'
	fi
}
bad_msg "unknown verb" "Unknown message" explode
bad_msg "empty" "Empty message|noorder: " ""
bad_msg "crash keep nothing" "Usage: crash" crash keep
bad_msg "crash keep bogus" "keep takes" crash keep some
bad_msg "crash keep prefix without n" "noorder: " crash keep prefix
bad_msg "crash keep prefix junk" "noorder: " crash keep prefix 3x
bad_msg "crash keep random over 1e6" "noorder: " crash keep random 1000001
bad_msg "crash keep twice" "noorder: " crash keep all keep none
bad_msg "crash seed junk" "noorder: " crash seed abc
bad_msg "crash seed without value" "noorder: " crash seed
bad_msg "crash extra word" "noorder: " crash now
bad_msg "revive when live" "Not crashed" revive
bad_msg "revive extra" "noorder: " revive now
bad_msg "drain extra" "noorder: " drain all
bad_msg "log without verb" "noorder: " log
bad_msg "log bogus" "noorder: " log maybe
bad_msg "log on 0" "log limit must be" log on 0
bad_msg "log on junk" "noorder: " log on 5MB
bad_msg "log on too big" "noorder: " log on 99999999
bad_msg "log mark when off" "log is not on" log mark 3
bad_msg "log mark junk" "noorder: " log mark x
bad_msg "log off extra" "noorder: " log off now
bad_msg "log path extra" "noorder: " log path x
check_eq "after all that the device is live" live "$(no_stat g crash_state)"
wr /dev/mapper/g 0 8 $SEED
check "... and works" same /dev/mapper/g 0 8 $SEED

# Seeded fuzz: random tables and messages while fio writes.
FUZZ=${FUZZ:-400}
words="crash revive drain log on off clear mark path keep none all prefix random seed 0 1 7 500000 1000000 -1 x 99999999999999999999"
fwords="flush order seed cache_mb destage_ms honor ignore fifo random reverse 0 1 2 64 x -3"
fio --name=f --filename=/dev/mapper/g --rw=randrw --bs=4k --size=8M \
	--ioengine=psync --direct=1 --time_based --runtime=600 \
	>/dev/null 2>&1 &
fpid=$!
cleanup_push "kill $fpid 2>/dev/null"
acc=0 ref=0 i=0
while [ $i -lt "$FUZZ" ]; do
	rnd 3
	if [ $RND = 0 ]; then
		rnd 7 n
		t= j=0
		while [ $j -lt $n ]; do
			rnd 16 k
			t="$t $(echo $fwords | cut -d' ' -f$((k + 1)))"
			j=$((j + 1))
		done
		if printf '0 %s noorder %s 0%s\n' "$sz" "$rd" "$t" |
			dmsetup create fz >/dev/null 2>&1; then
			acc=$((acc + 1))
			dmsetup remove fz >/dev/null 2>&1
		else
			ref=$((ref + 1))
			dm_gone fz
		fi
	else
		rnd 5 n
		m= j=0
		while [ $j -le $n ]; do
			rnd 23 k
			m="$m $(echo $words | cut -d' ' -f$((k + 1)))"
			j=$((j + 1))
		done
		if timeout 60 dmsetup message g 0 $m >/dev/null 2>&1; then
			acc=$((acc + 1))
		else
			ref=$((ref + 1))
		fi
	fi
	i=$((i + 1))
done
diag "fuzz: $FUZZ inputs, $acc accepted, $ref refused"
dm_message g revive 2>/dev/null
kill $fpid 2>/dev/null
wait $fpid 2>/dev/null
check_eq "fuzz: every input answered" "$FUZZ" $((acc + ref))
check_eq "after the fuzz the device is live" live "$(no_stat g crash_state)"
wr /dev/mapper/g 8 8 $SEED
check "... reads back a write" same /dev/mapper/g 8 8 $SEED
dm_remove g
check "rmmod dm-noorder" rmmod dm_noorder
ktap_end
