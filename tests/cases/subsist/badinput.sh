#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad input to dm-subsist: malformed pool and vdisk table lines are refused
# with the target's reason (ti->error) in the kernel log and leave no
# device; malformed messages are refused (EINVAL) with a line naming the
# device and the reason ("subsist: <dev>: ...") and change nothing; then a seeded fuzz loop
# (FUZZ inputs, default 600) of random pool tables, vdisk tables and
# messages built from valid and invalid words, after which the pool still
# holds the data written before, takes new writes, and the kernel log has
# no warning; rmmod.
# timeout: 1200
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
need_cmd ssgen
seed_init

A=$((SEED * 4 + 1)) B=$((SEED * 4 + 2))
rd=$(ramdisk 16) || bail "no ramdisk"	# the live pool's data
rdf=$(ramdisk 16) || bail "no ramdisk"	# data of the fuzzed pools
rdm=$(ramdisk 1) || bail "no ramdisk"	# meta_dev of the fuzzed pools
sz=$(blockdev --getsz $rd)
check "live pool: 3 vdisks of 8192 sectors" ss_pool pool $rd 3 8192
check "live vdisk 0" ss_vdisk v0 pool 0
check "live vdisk 1" ss_vdisk v1 pool 1
check "data on vdisk 0" ss_wr /dev/mapper/v0 0 16 $A
check "the same on vdisk 1 (merged)" ss_wr /dev/mapper/v1 0 16 $A
klog_mark
dmesg_start=$_klog

# bad_table DESC TARGET ARGS [LEN]: "0 LEN TARGET ARGS" refused, no device
# left, and the kernel log names the target and a reason.
bad_table() {
	klog_mark
	if printf '0 %s %s %s\n' "${4:-8192}" "$2" "$3" | dmsetup create bad >/dev/null 2>&1; then
		fail "$2: $1: accepted"
		dm_gone bad
		return
	fi
	if dmsetup info bad >/dev/null 2>&1; then
		fail "$2: $1: refused but a device is left"
		dm_gone bad
		return
	fi
	_why=$(klog_new | grep -Eo "$2: .*" | tail -n 1)
	if [ -n "$_why" ]; then
		pass "$2: $1 ($_why)"
	else
		fail "$2: $1: no reason in the kernel log"
		klog_new | sed 's/^/#   /'
	fi
}
P=subsist-pool
bad_table "no arguments" $P "" $sz
bad_table "only the data device" $P "$rdf" $sz
bad_table "no vdisk_sectors" $P "$rdf 3" $sz
bad_table "missing data device" $P "/dev/nonexistent 3 8192" $sz
bad_table "nr_vdisks 0" $P "$rdf 0 8192" $sz
bad_table "nr_vdisks 15" $P "$rdf 15 8192" $sz
bad_table "nr_vdisks not a number" $P "$rdf x 8192" $sz
bad_table "nr_vdisks with junk" $P "$rdf 3k 8192" $sz
bad_table "vdisk_sectors 0" $P "$rdf 3 0" $sz
bad_table "vdisk_sectors not a number" $P "$rdf 3 x" $sz
bad_table "vdisk_sectors with junk" $P "$rdf 3 8192k" $sz
bad_table "vdisk_sectors negative" $P "$rdf 3 -8" $sz
bad_table "vdisk_sectors over 64 bits" $P "$rdf 3 18446744073709551616" $sz
bad_table "vdisk_sectors not a multiple of the block" $P "$rdf 3 8191" $sz
bad_table "vdisk_sectors not a multiple of 1024 bytes" $P "$rdf 3 8193 2 block_size 1024" $sz
bad_table "block_size 1000" $P "$rdf 3 8192 2 block_size 1000" $sz
bad_table "block_size 8192" $P "$rdf 3 8192 2 block_size 8192" $sz
bad_table "block_size 256" $P "$rdf 3 8192 2 block_size 256" $sz
bad_table "block_size not a number" $P "$rdf 3 8192 2 block_size 4k" $sz
bad_table "hash md5" $P "$rdf 3 8192 2 hash md5" $sz
bad_table "merge some" $P "$rdf 3 8192 2 merge some" $sz
bad_table "cache_blocks over 1048576" $P "$rdf 3 8192 2 cache_blocks 1048577" $sz
bad_table "cache_blocks not a number" $P "$rdf 3 8192 2 cache_blocks x" $sz
bad_table "meta_dev missing" $P "$rdf 3 8192 2 meta_dev /dev/nonexistent" $sz
bad_table "feature twice" $P "$rdf 3 8192 4 hash crc32c hash sha256" $sz
bad_table "feature without value" $P "$rdf 3 8192 1 hash" $sz
bad_table "unknown feature" $P "$rdf 3 8192 2 colour red" $sz
bad_table "feature count not a number" $P "$rdf 3 8192 x" $sz
bad_table "feature count 2^32 (dm core reads it as 0)" $P "$rdf 3 8192 4294967296" $sz
bad_table "feature count 2^64" $P "$rdf 3 8192 18446744073709551616" $sz
bad_table "feature count larger than the words" $P "$rdf 3 8192 4 hash crc32c" $sz
bad_table "trailing word" $P "$rdf 3 8192 3 hash crc32c extra" $sz
bad_table "merge none larger than the data device" $P "$rdf 4 $sz 2 merge none" $sz

V=subsist
bad_table "no arguments" $V ""
bad_table "no index" $V "/dev/mapper/pool"
bad_table "index = nr_vdisks" $V "/dev/mapper/pool 3"
bad_table "index 14" $V "/dev/mapper/pool 14"
bad_table "index negative" $V "/dev/mapper/pool -1"
bad_table "index not a number" $V "/dev/mapper/pool x"
bad_table "index with junk" $V "/dev/mapper/pool 2x"
bad_table "trailing word" $V "/dev/mapper/pool 2 extra"
bad_table "not a pool device" $V "$rdf 0"
bad_table "missing pool device" $V "/dev/nonexistent 0"
bad_table "longer than vdisk_sectors" $V "/dev/mapper/pool 2" 8200
bad_table "index already in use" $V "/dev/mapper/pool 0"

# bad_msg DEV DESC WORDS...: refused with EINVAL, a subsist line logged.
bad_msg() {
	_dev=$1 _d=$2
	shift 2
	klog_mark
	if dmsetup message $_dev 0 -- "$@" >out 2>&1; then
		fail "message: $_d: accepted"
		return
	fi
	_why=$(klog_new | grep -Eo "(dm-)?subsist: [0-9]+:[0-9]+: .*" | tail -n 1)
	if ! grep -q "Invalid argument" out; then
		fail "message: $_d: not EINVAL"
		sed 's/^/#   /' out
	elif [ -n "$_why" ]; then
		pass "message: $_d ($_why)"
	else
		fail "message: $_d: no subsist line in the kernel log"
		klog_new | sed 's/^/#   /'
	fi
}
dg=$(ss_digest $A)
bad_msg pool "unknown verb" frobnicate
bad_msg pool "hint without digest" hint
bad_msg pool "hint not hex" hint xyzxyzxy
bad_msg pool "hint of 7 digits" hint 0123456
bad_msg pool "hint of 9 digits" hint 012345678
bad_msg pool "hint of 16 digits (crc32c has 8)" hint 0123456789abcdef
bad_msg pool "hint count 0" hint $dg 0
bad_msg pool "hint count above nr_vdisks" hint $dg 4
bad_msg pool "hint count not a number" hint $dg x
bad_msg pool "hint count negative" hint $dg -1
bad_msg pool "hint with a trailing word" hint $dg 1 extra
bad_msg pool "hints without on/off" hints
bad_msg pool "hints maybe" hints maybe
bad_msg pool "hints on with a trailing word" hints on now
bad_msg pool "commit without meta_dev" commit
bad_msg pool "cache without verb" cache
bad_msg pool "cache flush" cache flush
bad_msg pool "cache drop with a trailing word" cache drop now
bad_msg v0 "a message to a vdisk" hints on
bad_msg v0 "cache drop to a vdisk" cache drop
check_eq "hints still off" off "$(ss_stat pool hints)"
check "vdisk 0 still reads its data" ss_same /dev/mapper/v0 0 16 $A
check "vdisk 1 still reads its data" ss_same /dev/mapper/v1 0 16 $A

# ---- seeded fuzz ----------------------------------------------------------------
FUZZ=${FUZZ:-600}
dev_w="$rdf $rdf $rdf /dev/mapper/pool /dev/nonexistent $rdm"
num_w="0 1 2 3 8 14 15 512 1024 2048 4096 8192 8191 32768 1048576 1048577 -1 x 18446744073709551616"
feat_w="block_size hash merge cache_blocks meta_dev crc32c xxhash64 sha256 md5 data all none $rdm"
msg_w="hint hints on off commit cache drop $dg 01234567 0123456789abcdef 1 2 3 4 0 x -1"
pick() {	# WORDS: sets W to a random one
	set -- $1
	rnd $# k
	shift $k
	W=$1
}
acc=0 ref=0 hung=0 left=0 i=0
klog_mark
while [ $i -lt "$FUZZ" ]; do
	rnd 3
	case $RND in
	0)	# pool table: data nr vsect [count words...]
		pick "$dev_w"; t=$W
		pick "$num_w"; t="$t $W"
		pick "$num_w"; t="$t $W"
		rnd 2 f
		if [ $f = 1 ]; then
			rnd 7 n
			pick "$num_w"
			[ $n -lt 6 ] && W=$((n * 2))
			t="$t $W" j=0
			while [ $j -lt $n ]; do
				rnd 2 w
				if [ $w = 0 ]; then pick "$feat_w"; else pick "$num_w"; fi
				t="$t $W"
				j=$((j + 1))
			done
		fi
		line="0 $sz subsist-pool $t" ;;
	1)	# vdisk table
		pick "/dev/mapper/pool /dev/mapper/pool /dev/mapper/pool $rdf"; t=$W
		pick "2 2 2 0 3 x -1 14"; t="$t $W"
		rnd 4 n
		[ $n = 0 ] && { pick "$num_w"; t="$t $W"; }
		pick "8192 8192 8193 4096 1"
		line="0 $W subsist $t" ;;
	2)	line= ;;
	esac
	if [ -n "$line" ]; then
		printf '%s\n' "$line" | timeout 60 dmsetup create fz >/dev/null 2>&1
		st=$?
		if [ $st = 0 ]; then
			acc=$((acc + 1))
		elif [ $st -ge 124 ]; then
			hung=$((hung + 1)); diag "fuzz: no answer in 60 s: $line"
		else
			ref=$((ref + 1))
			# A refused table leaves no device behind.
			dmsetup info fz >/dev/null 2>&1 &&
				{ left=$((left + 1)); diag "fuzz: refused, device left: $line"; }
		fi
		dm_gone fz
	else
		rnd 4 n
		m= j=0
		while [ $j -le $n ]; do
			pick "$msg_w"
			m="$m $W"
			j=$((j + 1))
		done
		timeout 60 dmsetup message pool 0 -- $m >/dev/null 2>&1
		st=$?
		if [ $st = 0 ]; then
			acc=$((acc + 1))
		elif [ $st -ge 124 ]; then
			hung=$((hung + 1)); diag "fuzz: no answer in 60 s: message$m"
		else
			ref=$((ref + 1))
		fi
	fi
	i=$((i + 1))
done
diag "fuzz: $FUZZ inputs, $acc accepted, $ref refused"
check_eq "fuzz: every input answered within 60 s" 0 "$hung"
check_eq "fuzz: no refused table left a device" 0 "$left"
check_eq "fuzz: the pool is still live" "ok" "$(ss_stat pool mode)"
check "hints off after the fuzz" dm_message pool hints off
check "vdisk 0 reads its data" ss_same /dev/mapper/v0 0 16 $A
check "vdisk 1 reads its data" ss_same /dev/mapper/v1 0 16 $A
check "a new write on vdisk 1" ss_wr /dev/mapper/v1 32 4 $B
check "... reads back" ss_same /dev/mapper/v1 32 4 $B
check "vdisk 2 can be made" ss_vdisk v2 pool 2
check "... and merges" ss_wr /dev/mapper/v2 0 16 $A
check "... reads back" ss_same /dev/mapper/v2 0 16 $A
_klog=$dmesg_start
check "kernel log: no warning since the start" klog_clean
ss_show pool
dm_remove v2
dm_remove v1
dm_remove v0
dm_remove pool
modprobe -r brd 2>/dev/null
ss_rmmod
ktap_end
