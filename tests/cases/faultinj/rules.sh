#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-faultinj: every rule kind, checked on the lower device byte for byte.
# The lower ramdisk first holds pattern OLD (seed 1); writes through the
# target carry pattern NEW (seed 2).  Dropped writes must leave OLD, errors
# must reach the writer, corruption must sit exactly where the rule says,
# and the counters must agree.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj
seed_init

OLD=1 NEW=2
rd=$(ramdisk 64) || bail "no ramdisk"
check "lower holds pattern OLD" pattern_write "$rd" 0 $((12 << 20)) $OLD
check "faultinj created (seed $SEED)" fi_new fi "$rd" seed "$SEED"
fi=/dev/mapper/fi

# ---- drop, on a write that straddles the rule's range ------------------
dm_message fi rule add 1 write drop sectors 2048 16
check "straddling write acknowledged" wr $fi 1920 384 $NEW
check "before the range: NEW" same "$rd" 1920 128 $NEW
check "inside the range: still OLD" same "$rd" 2048 16 $OLD
check "after the range: NEW" same "$rd" 2064 240 $NEW
check_eq "dropped counter" 1 "$(fi_stat fi dropped)"
check_eq "rule 1 fired once" 1 "$(fi_fired fi 1)"

# ---- error on write and read ---------------------------------------------
dm_message fi rule add 2 write error sectors 4096 8
check_err "write in error range fails with EIO" "I/O error|Input/output" wr $fi 4096 8 $NEW
check "errored write left OLD" same "$rd" 4096 8 $OLD
check "neighbouring write succeeds" wr $fi 4104 8 $NEW
check "neighbour is NEW" same "$rd" 4104 8 $NEW
dm_message fi rule add 3 read error sectors 6144 8
check_err "read in error range fails with EIO" "I/O error|Input/output" rd $fi 6144 8
check "read next to it works" rd $fi 6152 8
check_eq "errored counter" 2 "$(fi_stat fi errored)"

# ---- drop on read: zeros, lower untouched --------------------------------
dm_message fi rule add 4 read drop sectors 6160 8
check "dropped read returns zeros" zeros $fi 6160 8
check "lower still OLD under the dropped read" same "$rd" 6160 8 $OLD

# ---- corrupt byte on 8 blocks in one write -------------------------------
dm_message fi rule add 5 write corrupt byte 100 171 sectors 8192 64
check "write to corrupt" wr $fi 8192 64 $NEW
_pattern $NEW $((8192 * 512)) 32768 >want
i=0
while [ $i -lt 8 ]; do
	printf '\253' | dd of=want bs=1 seek=$((i * 4096 + 100)) conv=notrunc status=none
	i=$((i + 1))
done
rd "$rd" 8192 64 >got
check "byte 100 of each block is 0xab, the rest NEW" cmp want got

# ---- flip one bit ---------------------------------------------------------
dm_message fi rule add 6 write corrupt flip 7 0 sectors 8256 8
check "write to flip" wr $fi 8256 8 $NEW
new7=$(_pattern $NEW $((8256 * 512 + 7)) 1 | od -An -tu1 | tr -d ' ')
got7=$(rd "$rd" 8256 8 | dd bs=1 skip=7 count=1 status=none | od -An -tu1 | tr -d ' ')
check_eq "bit 0 of byte 7 flipped" $((new7 ^ 1)) "$got7"
rd "$rd" 8256 8 | dd bs=1 skip=8 status=none >got
_pattern $NEW $((8256 * 512 + 8)) $((4096 - 8)) >want
check "rest of the flipped block NEW" cmp want got

# ---- flip one random bit per block ----------------------------------------
dm_message fi rule add 12 write corrupt flip random sectors 8384 16
check "write to bit-rot" wr $fi 8384 16 $NEW
_pattern $NEW $((8384 * 512)) 8192 >want
rd "$rd" 8384 16 >got
cmp -l want got >diffs
check_eq "one byte differs in each of the 2 blocks" "1 1" \
	"$(awk '{ b[int(($1 - 1) / 4096)]++ } END { printf "%d %d", b[0], b[1] }' diffs)"

# ---- zero part of a block, inside a larger write ---------------------------
dm_message fi rule add 7 write corrupt zero sectors 8272 4
check "write across the zero range" wr $fi 8264 16 $NEW
check "before the zeros: NEW" same "$rd" 8264 8 $NEW
check "the 4 sectors are zero" zeros "$rd" 8272 4
check "after the zeros: NEW" same "$rd" 8276 4 $NEW

# ---- the writer's pages stay intact: buffered write, cached read ---------
dm_message fi rule add 8 write corrupt zero sectors 8320 8
_pattern $NEW $((8320 * 512)) 4096 >want
# Hold the device open: the last close would drop its page cache.
exec 3<$fi
dd if=want of=$fi bs=4096 seek=$((8320 / 8)) conv=notrunc,fsync status=none
dd if=$fi bs=4096 skip=$((8320 / 8)) count=1 status=none >got
exec 3<&-
check "page cache still holds what was written" cmp want got
check "lower got the corrupted copy" zeros "$rd" 8320 8

# ---- corrupt on read: reader sees it, lower keeps the data ----------------
check "write NEW for the read test" wr $fi 8448 8 $NEW
dm_message fi rule add 9 read corrupt byte 0 0 sectors 8448 8
first=$(rd $fi 8448 8 | od -An -N1 -tu1 | tr -d ' ')
check_eq "read sees byte 0 zeroed" 0 "$first"
check "lower keeps NEW" same "$rd" 8448 8 $NEW

# ---- a 4 MiB write, corrupted in 1 MiB copies -----------------------------
dm_message fi rule add 10 write corrupt byte 4095 255 sectors 16384 8192
check "4 MiB direct write" wr $fi 16384 8192 $NEW
rd "$rd" 16384 8192 >got
_pattern $NEW $((16384 * 512)) $((4 << 20)) >want
cmp -l want got >diffs
check_eq "1024 bytes differ" 1024 "$(wc -l <diffs | tr -d ' ')"
check_eq "each is byte 4095 of a block, now 0xff" 0 \
	"$(awk '$1 % 4096 != 0 || $3 != 377' diffs | wc -l | tr -d ' ')"

# ---- after / times ---------------------------------------------------------
dm_message fi rule add 11 write drop after 3 times 2 sectors 24576 80
i=0
while [ $i -lt 10 ]; do
	wr $fi $((24576 + i * 8)) 8 $NEW
	i=$((i + 1))
done
res=
i=0
while [ $i -lt 10 ]; do
	if same "$rd" $((24576 + i * 8)) 8 $NEW; then res="${res}N"; else res="${res}o"; fi
	i=$((i + 1))
done
check_eq "writes 4 and 5 of 10 dropped (after 3 times 2)" "NNNooNNNNN" "$res"
check_eq "rule 11 fired twice" 2 "$(fi_fired fi 11)"

# ---- first rule that fires wins; any covers writes ------------------------
dm_message fi rule add 20 any error sectors 25000 8
dm_message fi rule add 21 write drop sectors 25000 8
check_err "rule 20 (error) wins over 21 (drop)" "I/O error|Input/output" wr $fi 25000 8 $NEW
check "rule del 20" dm_message fi rule del 20
check "now rule 21 drops the write" wr $fi 25000 8 $NEW
check_eq "rule 21 fired" 1 "$(fi_fired fi 21)"
check_err "rule del of an unknown id fails" "No such file" dm_message fi rule del 20
check_err "rule add of a used id fails" "File exists" dm_message fi rule add 21 read drop

# ---- counters agree with the rules -------------------------------------------
sum=0
for id in 5 6 7 8 9 10 12; do
	sum=$((sum + $(fi_fired fi $id)))
done
check_eq "corrupted counter = firings of the corrupt rules" "$sum" "$(fi_stat fi corrupted)"
check "4 MiB write was corrupted in at least 4 copies" test "$(fi_fired fi 10)" -ge 4

# ---- rule list round-trips -------------------------------------------------
dm_message fi rule list >list
check_eq "rule list has every rule" 13 "$(wc -l <list | tr -d ' ')"
check "rule list line of rule 11" grep -qx "11 write drop sectors 24576 80 after 3 times 2 matched 10 fired 2" list
line=$(grep '^5 ' list | sed 's/ matched.*//')
check "rule del 5" dm_message fi rule del 5
# shellcheck disable=SC2086
check "the listed rule is accepted again" dm_message fi rule add $line
check_eq "nr_rules" 13 "$(fi_stat fi nr_rules)"

# ---- counters ---------------------------------------------------------------
check "stats reset" dm_message fi stats reset
check_eq "counters zero after reset" "0 0 0 0 0 0 0 live 0" \
	"$(dmsetup status fi | cut -d' ' -f4-12)"
check_eq "rule 11 fired reset" 0 "$(fi_fired fi 11)"
check "rule clear" dm_message fi rule clear
check_eq "no rules" 0 "$(fi_stat fi nr_rules)"
check_eq "table round-trips" "0 $(blockdev --getsz "$rd") faultinj $(cat /sys/block/${rd#/dev/}/dev) 0 2 seed $SEED" "$(dmsetup table fi)"

# ---- same seed, same faults ---------------------------------------------------
prob_run() {	# NAME SEED -> pattern of kept (N) and dropped (o) blocks
	_rd=$(ramdisk 8) || return 1
	fi_new "$1" "$_rd" seed "$2" block_size 4096 || return 1
	dm_message "$1" rule add 1 write drop prob 400000
	_i=0
	while [ $_i -lt 64 ]; do
		wr /dev/mapper/$1 $((_i * 8)) 8 $NEW
		_i=$((_i + 1))
	done
	_i=0 _res=
	while [ $_i -lt 64 ]; do
		if same "$_rd" $((_i * 8)) 8 $NEW; then _res="${_res}N"; else _res="${_res}o"; fi
		_i=$((_i + 1))
	done
	echo "$_res $(fi_fired "$1" 1)"
}
a=$(prob_run pa "$SEED")
b=$(prob_run pb "$SEED")
c=$(prob_run pc $((SEED + 1)))
diag "seed $SEED: $a"
diag "seed $((SEED + 1)): $c"
check_eq "same seed, same dropped writes" "$a" "$b"
check "another seed, other dropped writes" test "$a" != "$c"
dropped=$(echo "$a" | tr -cd o | wc -c | tr -d ' ')
check_eq "fired count equals dropped blocks" "$dropped" "${a#* }"
# The decisions are fi_core's (seed, rule id, match count): exactly these.
check_eq "the dropped writes are exactly fi_core's for seed $SEED" \
	"$(fipattern "$SEED" 64 1 write drop prob 400000)" "$a"

# ---- tables round-trip exactly, whatever the feature order ----------------
majmin=$(cat /sys/block/${rd#/dev/}/dev)
sz=$(blockdev --getsz "$rd")
for feat in "" " 2 block_size 512" " 4 block_size 1024 seed 5" " 4 seed 18446744073709551615 block_size 65536"; do
	dm_create rt "0 $sz faultinj $rd 0$feat"
	t=$(dmsetup table rt)
	check_eq "table round-trips:$feat" "0 $sz faultinj $majmin 0$feat" "$t"
	dm_remove rt
	check "and its output creates the same device:$feat" dm_create rt "$t"
	check_eq "same table again:$feat" "$t" "$(dmsetup table rt)"
	dm_remove rt
done

for d in pa pb pc fi; do
	dm_remove $d
done
check "rmmod dm-faultinj" rmmod dm_faultinj
check "module gone" test ! -e /sys/module/dm_faultinj
ktap_end
