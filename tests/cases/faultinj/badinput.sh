#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# Bad input to dm-faultinj: malformed table lines are refused with a reason
# in the kernel log and leave no device; malformed messages are refused
# with a reason and change nothing (rules, types, crash state, table); then
# a seeded fuzz loop of random table lines and messages, after which the
# device still moves data correctly.  The rig fails the case on any oops.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj
seed_init

rd=$(ramdisk 16) || bail "no ramdisk"
N=$(blockdev --getsz "$rd")

# ---- table lines ---------------------------------------------------------
bad_table() {	# TABLE-ARGS (after "0 <len> faultinj") [LEN]
	klog_mark
	if printf '0 %s faultinj %s\n' "${2:-$N}" "$1" | dmsetup create fbad 2>/dev/null; then
		fail "table refused: $1"
		dm_remove fbad
		return
	fi
	if dmsetup info fbad >/dev/null 2>&1; then
		fail "table refused, no device left: $1"
		dmsetup remove fbad
		return
	fi
	if klog_has "faultinj: |device-mapper: table: "; then
		pass "table refused with a reason: $1 ($(klog_new | grep -Eo "faultinj: .*|table: .*" | tail -n 1))"
	else
		fail "table refused with a reason in the log: $1"
	fi
}

bad_table ""
bad_table "$rd"
bad_table "/dev/nonexistent 0"
bad_table "$rd x"
bad_table "$rd 12abc"
bad_table "$rd -1"
bad_table "$rd 18446744073709551616"
bad_table "$rd 0 1"
bad_table "$rd 0 4294967296"
bad_table "$rd 0 18446744073709551616"
bad_table "$rd 0 2 seed"
bad_table "$rd 0 2 seed x"
bad_table "$rd 0 2 seed 18446744073709551616"
bad_table "$rd 0 2 block_size 0"
bad_table "$rd 0 2 block_size 1000"
bad_table "$rd 0 2 block_size 256"
bad_table "$rd 0 2 block_size 131072"
bad_table "$rd 0 2 colour red"
bad_table "$rd 0 4 seed 1 seed 2"
bad_table "$rd 0 2 seed 1 extra"
bad_table "$rd 0 7 seed 1"
bad_table "$rd 0 x"
bad_table "$rd 0 -2 seed 1"
bad_table "$rd 8" "$N"
bad_table "$rd 0" $((N + 8))

# ---- messages ------------------------------------------------------------
check "good device" fi_new fi "$rd" seed "$SEED" block_size 4096
check "a rule to keep" dm_message fi rule add 5 write drop sectors 0 8 times 3
check "a type map to keep" dm_message fi types load 0 1 super 1 2 gdt
snapshot() {
	{
		dmsetup table fi
		dmsetup status fi | cut -d' ' -f11-
		dm_message fi rule list
		dm_message fi types list
	} 2>&1
}
before=$(snapshot)

bad_msg() {	# MESSAGE WORDS
	klog_mark
	# shellcheck disable=SC2086
	if dmsetup message fi 0 $1 >/dev/null 2>&1; then
		fail "message refused: $1"
		return
	fi
	if ! klog_has "faultinj: .*: "; then
		fail "message refused with a reason in the log: $1"
	elif [ "$(snapshot)" != "$before" ]; then
		fail "message refused and nothing changed: $1"
		snapshot | sed 's/^/#   /'
	else
		pass "message refused, nothing changed: $1 ($(klog_new | grep -o 'faultinj: .*' | tail -n 1))"
	fi
}

blocks=$((N / 8))
bad_msg "bogus"
bad_msg "rule"
bad_msg "rule add"
bad_msg "rule add 1"
bad_msg "rule add 1 write"
bad_msg "rule add 0 write drop"
bad_msg "rule add 4294967296 write drop"
bad_msg "rule add 1 write explode"
bad_msg "rule add 1 jump drop"
bad_msg "rule add 1 write corrupt"
bad_msg "rule add 1 write corrupt smash"
bad_msg "rule add 1 write corrupt flip 4096 0"
bad_msg "rule add 1 write corrupt flip 0 8"
bad_msg "rule add 1 write corrupt byte 0 256"
bad_msg "rule add 1 flush corrupt zero"
bad_msg "rule add 1 flush drop sectors 0 8"
bad_msg "rule add 1 write drop sectors 0 0"
bad_msg "rule add 1 write drop sectors $N 1"
bad_msg "rule add 1 write drop sectors $((N - 1)) 2"
bad_msg "rule add 1 write drop prob 1000001"
bad_msg "rule add 1 write drop times 0"
bad_msg "rule add 1 write drop after 1x"
bad_msg "rule add 1 write drop sectors 0 8 trailing"
bad_msg "rule add 1 write drop type Bad-Name"
bad_msg "rule add 1 write drop type abcdefghijklmnopq"
bad_msg "rule add 1 write drop prob 5 prob 6"
bad_msg "rule add 5 read error"
bad_msg "rule del 999"
bad_msg "rule del x"
bad_msg "rule del"
bad_msg "rule list extra"
bad_msg "rule frob"
bad_msg "crash later"
bad_msg "crash after"
bad_msg "crash after x"
bad_msg "crash after 5 more"
bad_msg "crash after 18446744073709551615"
bad_msg "revive now"
bad_msg "types"
bad_msg "types load"
bad_msg "types load 0 1"
bad_msg "types load 0 0 dir"
bad_msg "types load x 1 dir"
bad_msg "types load 0 1 Bad-Name"
bad_msg "types load $blocks 1 dir"
bad_msg "types load 2 2 dir 3 1 data"
bad_msg "types load 1 1 dir"
bad_msg "types frob"
bad_msg "stats"
bad_msg "stats reset now"
check_eq "after all that, nothing changed" "$before" "$(snapshot)"

# ---- seeded fuzz: random table lines and messages ---------------------------
FUZZ=${FUZZ:-1200}
awk -v seed="$SEED" -v n="$FUZZ" -v dev="$rd" -v sz="$N" 'BEGIN {
	srand(seed)
	nw = split("rule add del clear list crash after revive types load stats " \
		   "reset read write flush any drop error corrupt zero random flip " \
		   "byte sectors type prob times seed block_size dir data super " \
		   "itable x 1- + 0x10 1e3 \"\" %s %n", w, " ")
	nn = split("0 1 2 3 7 8 255 256 511 512 4095 4096 65536 131072 999999 " \
		   "1000000 1000001 4294967295 4294967296 9223372036854775807 " \
		   "18446744073709551615 18446744073709551616", num, " ")
	nops = split("read write flush any", ops, " ")
	for (i = 0; i < n; i++) {
		# Mostly well-formed inputs, half of them then mutated in one
		# word, so that the parser is reached deep as well as shallow.
		r = rand()
		if (r < 0.15) {
			kind = "T"
			line = dev " 0"
			if (rand() < 0.7) {
				for (bs = 512, q = int(rand() * 8); q > 0; q--)
					bs *= 2
				line = line " 4 seed " int(rand() * 1e9) " block_size " bs
			}
		} else {
			kind = "M"
			r = rand()
			if (r < 0.45) {
				line = "rule add " int(1 + rand() * 40) " " ops[1 + int(rand() * nops)]
				a = rand()
				line = line (a < 0.3 ? " drop" : a < 0.6 ? " error" : \
					a < 0.75 ? " corrupt zero" : a < 0.85 ? " corrupt random" : \
					a < 0.93 ? " corrupt flip " int(rand() * 4096) " " int(rand() * 8) : \
					" corrupt byte " int(rand() * 4096) " " int(rand() * 256))
				if (rand() < 0.6) {
					st = int(rand() * sz)
					line = line " sectors " st " " int(1 + rand() * (sz - st))
				}
				if (rand() < 0.3)
					line = line " type " w[30 + int(rand() * 4)]
				if (rand() < 0.3)
					line = line " prob " int(rand() * 1000001)
				if (rand() < 0.3)
					line = line " after " int(rand() * 50)
				if (rand() < 0.3)
					line = line " times " int(1 + rand() * 50)
			} else if (r < 0.6) {
				st = int(rand() * sz / 8)
				line = "types load " st " " int(1 + rand() * 64) " " w[30 + int(rand() * 4)]
			} else if (r < 0.7) {
				line = "rule del " int(1 + rand() * 40)
			} else if (r < 0.75) {
				line = "crash after " int(rand() * 100)
			} else {
				split("revive,rule list,types list,stats reset,rule clear,types clear,crash", one, ",")
				line = one[1 + int(rand() * 7)]
			}
		}
		if (rand() < 0.5) {
			nt = split(line, t, " ")
			k = 1 + int(rand() * nt)
			m = rand()
			if (m < 0.4)
				t[k] = (rand() < 0.5) ? w[1 + int(rand() * nw)] : num[1 + int(rand() * nn)]
			else if (m < 0.7)
				t[k] = ""
			else
				t[k] = t[k] " " ((rand() < 0.5) ? w[1 + int(rand() * nw)] : num[1 + int(rand() * nn)])
			line = ""
			for (j = 1; j <= nt; j++)
				if (t[j] != "")
					line = line (line == "" ? "" : " ") t[j]
		}
		print kind " " line
	}
}' >fuzz.txt
diag "fuzz: $(wc -l <fuzz.txt | tr -d ' ') inputs (seed $SEED); first: $(head -n 1 fuzz.txt)"

accepted=0 refused=0 tables=0
while read -r kind rest; do
	if [ "$kind" = T ]; then
		tables=$((tables + 1))
		if printf '0 %s faultinj %s\n' "$N" "$rest" | dmsetup create fz >/dev/null 2>&1; then
			accepted=$((accepted + 1))
			dmsetup remove fz >/dev/null 2>&1 || dm_remove fz
		else
			refused=$((refused + 1))
		fi
	else
		# shellcheck disable=SC2086
		if dmsetup message fi 0 $rest >/dev/null 2>&1; then
			accepted=$((accepted + 1))
		else
			refused=$((refused + 1))
		fi
	fi
done <fuzz.txt
diag "fuzz: $accepted accepted, $refused refused, $tables table lines"
check "fuzz: some inputs were accepted and some refused" test $accepted -gt 0 -a $refused -gt 0
check_fails "fuzz: no stray device left" dmsetup info fz
check "fuzz: status still parses" sh -c "dmsetup status fi | grep -Eq '^0 $N faultinj ([0-9]+ ){7}(live|armed:[0-9]+|crashed) [0-9]+ [0-9]+ [0-9]+'"

check "rule clear" dm_message fi rule clear
check "revive" dm_message fi revive
check "types clear" dm_message fi types clear
check "device still writes" wr /dev/mapper/fi 64 64 9
check "and the data is on the ramdisk" same "$rd" 64 64 9
check "dm_remove" dm_remove fi
check "rmmod dm-faultinj" rmmod dm_faultinj
ktap_end
