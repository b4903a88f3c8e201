#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dmstack with dm-subsist: 'disk X | subsist vdisks=3' builds a pool and
# three vdisks the kernel accepts, with the tables of docs/dm-subsist.rst;
# an ext2 on each vdisk gets the same file and a file of its own, and
# every vdisk reads back what it wrote (after a remount and with the
# caches dropped); the same file is stored once (merges, shared blocks,
# mapped - used = saved); the pool's 17 and each vdisk's 8 status fields,
# as text and as JSON, equal dmsetup's status word for word; messages
# reach the pool ("pool", "subsist"), a vdisk refuses them; merge=none
# gets vdisks that fit; the --dry-run lines run by sh build the same
# devices, which dmstack then finds and removes.
# timeout: 600
. "${0%/*}/../lib.sh"
. "${0%/*}/ds.lib"

ktap_begin
need_module dm-mod brd dm-subsist ext4
need_cmd dmstack
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
RD=$(devno "$rd")
N=$(blockdev --getsz "$rd")
N8=$((N / 8 * 8))
before=$(dm_snapshot)
mkdir -p /tmp/case/mnt
cleanup_push "umount /tmp/case/mnt 2>/dev/null; for s in ss sn; do dmstack remove --force \$s >/dev/null 2>&1; done"

SP_NAMES="block_size used total mapped shared saved ratio cache_hits cache_misses merges collisions mismatches meta_writes nospc mode commits hints stale_keys"
SV_NAMES="index mapped shared reads writes merged cow discarded"

# st_words DEV: dmsetup's status words after "<start> <len> <target>",
# a pool's "<used>/<total>" split in two ("" when the count is wrong).
st_words() {
	dmsetup status "$1" | awk -v sp="$SP_NAMES" -v sv="$SV_NAMES" '{
		if ($3 == "subsist-pool") {
			n = split(sp, k, " ")
			if (NF != n + 2 || split($5, ut, "/") != 2)
				exit 1
			s = $4 " " ut[1] " " ut[2]
			for (i = 6; i <= NF; i++)
				s = s " " $i
		} else if ($3 == "subsist") {
			n = split(sv, k, " ")
			if (NF != n + 3)
				exit 1
			s = $4
			for (i = 5; i <= NF; i++)
				s = s " " $i
		} else {
			exit 1
		}
		print s
	}'
}

# names_of DEV: the field names of DEV's target.
names_of() {
	case $(dmsetup table "$1" | cut -d' ' -f3) in
	subsist-pool) echo "$SP_NAMES" ;;
	*) echo "$SV_NAMES" ;;
	esac
}

# sfield DEV NAME: one status field of DEV by name, from dmsetup.
sfield() {
	local names w
	names=$(names_of "$1")
	w=$(st_words "$1")
	echo "$names|$w" | awk -F'|' -v f="$2" '{
		n = split($1, k, " "); split($2, v, " ")
		for (i = 1; i <= n; i++) if (k[i] == f) print v[i]
	}'
}

# as_text DEV / as_json DEV: what dmstack should print for DEV's fields.
as_text() {
	echo "$(names_of "$1")|$(st_words "$1")" | awk -F'|' '{
		n = split($1, k, " "); m = split($2, v, " ")
		if (n != m) exit 1
		s = ""
		for (i = 1; i <= n; i++) s = s " " k[i] "=" v[i]
		print substr(s, 2)
	}'
}
as_json() {
	echo "$(names_of "$1")|$(st_words "$1")" | awk -F'|' '{
		n = split($1, k, " "); m = split($2, v, " ")
		if (n != m) exit 1
		s = ""
		for (i = 1; i <= n; i++) {
			x = v[i]
			if (x !~ /^(0|[1-9][0-9]*)(\.[0-9]+)?$/ && x !~ /^0\.[0-9]+$/)
				x = "\"" x "\""
			s = s "," "\"" k[i] "\":" x
		}
		print substr(s, 2)
	}'
}

# same_status DESC STACK DEV LAYER TARGET: dmstack's text and JSON fields
# of DEV equal dmsetup's status.
same_status() {
	local t j
	t=$(as_text "$3")
	j=$(as_json "$3")
	if [ -z "$t" ]; then
		fail "$1: dmsetup status of $3 has its target's layout"
		diag "$(dmsetup status "$3")"
		return
	fi
	check_eq "$1: text" "$4 $3 ($5): $t" \
		"$(dmstack status "$2" | grep "^[0-9]* $3 ")"
	dmstack status --json "$2" >st.json
	if ! json_ok st.json; then
		fail "$1: JSON well formed"
		sed 's/^/# /' st.json
		return
	fi
	check_eq "$1: JSON" "$j" \
		"$(sed -n "s/.*\"device\":\"$3\",[^{}]*\"fields\":{\([^}]*\)}.*/\1/p" st.json)"
}

# fs_round STACK I: ext2 on vdisk I: the shared file and a file of its
# own written, read back after a remount with the caches dropped.
fs_round() {
	local dev=/dev/mapper/$1-$2 st=0
	mke2fs -q -F -b 4096 "$dev" || return 1
	mount -t ext2 "$dev" /tmp/case/mnt || return 1
	cp same.dat /tmp/case/mnt/same.dat || st=1
	cp own$2.dat /tmp/case/mnt/own.dat || st=1
	umount /tmp/case/mnt || return 1
	drop_caches "$dev"
	mount -t ext2 "$dev" /tmp/case/mnt || return 1
	cmp same.dat /tmp/case/mnt/same.dat || st=1
	cmp own$2.dat /tmp/case/mnt/own.dat || st=1
	umount /tmp/case/mnt || st=1
	return $st
}

# The data: 8 MiB shared by all three, 1 MiB of each vdisk's own; every
# 512-byte sector names its seed and sector, so no two blocks are equal.
_pattern $SEED 0 8388608 >same.dat
for i in 0 1 2; do _pattern $((SEED + 1 + i)) 0 1048576 >own$i.dat; done
SAME_BLOCKS=2048

# ---- create, tables --------------------------------------------------------
dmstack create ss "disk $rd | subsist vdisks=3" >out.txt 2>err.txt
ok $? "create ss: disk | subsist vdisks=3"
sed 's/^/#   /' err.txt
check_eq "it prints the three vdisks" "/dev/mapper/ss-0
/dev/mapper/ss-1
/dev/mapper/ss-2" "$(cat out.txt)"
POOL=$(devno /dev/mapper/ss-pool)
check_eq "pool table: the whole device, vdisks as large (overcommit)" \
	"0 $N subsist-pool $RD 3 $N8" "$(table ss-pool)"
for i in 0 1 2; do
	check_eq "vdisk $i table" "0 $N8 subsist $POOL $i" "$(table ss-$i)"
done
check_eq "dmstack show: pool and vdisks" "4" \
	"$(dmstack show ss | grep -c 'subsist')"
same_status "fresh pool" ss ss-pool 1 subsist-pool
same_status "fresh vdisk 0" ss ss-0 1 subsist
check_eq "fresh pool: nothing used, ratio 1.00, mode ok, no meta_dev, hints off" \
	"0 0 1.00 ok - off" \
	"$(for f in used mapped ratio mode commits hints; do sfield ss-pool $f; done | tr '\n' ' ' | sed 's/ $//')"
check_eq "total: data blocks of the ramdisk" "$((N / 8))" "$(sfield ss-pool total)"

# ---- ext2 on each vdisk ------------------------------------------------------
for i in 0 1 2; do
	check "vdisk $i: mke2fs, the files written and read back" fs_round ss $i
done
for i in 0 1 2; do
	check "vdisk $i: still reads its own file after the others wrote" sh -c "
		mount -t ext2 /dev/mapper/ss-$i /tmp/case/mnt &&
		cmp own$i.dat /tmp/case/mnt/own.dat && cmp same.dat /tmp/case/mnt/same.dat;
		st=\$?; umount /tmp/case/mnt; exit \$st"
done
dmstack status ss | sed 's/^/# /'
for i in 0 1 2; do
	same_status "after the writes: vdisk $i" ss ss-$i 1 subsist
	check_eq "vdisk $i: index field" "$i" "$(sfield ss-$i index)"
done
same_status "after the writes: pool" ss ss-pool 1 subsist-pool
used=$(sfield ss-pool used) mapped=$(sfield ss-pool mapped)
saved=$(sfield ss-pool saved) merges=$(sfield ss-pool merges)
shared=$(sfield ss-pool shared)
diag "pool: used $used mapped $mapped saved $saved merges $merges shared $shared ratio $(sfield ss-pool ratio)"
check_eq "saved = mapped - used" "$((mapped - used))" "$saved"
check_eq "mapped = the vdisks' mapped" "$mapped" \
	"$(( $(sfield ss-0 mapped) + $(sfield ss-1 mapped) + $(sfield ss-2 mapped) ))"
check "the shared file stored once: saved >= 2 x $SAME_BLOCKS" test "$saved" -ge $((2 * SAME_BLOCKS))
check "merges >= 2 x $SAME_BLOCKS" test "$merges" -ge $((2 * SAME_BLOCKS))
check "shared blocks >= $SAME_BLOCKS" test "$shared" -ge $SAME_BLOCKS
check "vdisks 1 and 2 merged their writes" test "$(sfield ss-1 merged)" -ge $SAME_BLOCKS -a "$(sfield ss-2 merged)" -ge $SAME_BLOCKS
r=$(sfield ss-pool ratio)
check "ratio = mapped/used to 2 decimals (+-0.01)" awk -v r="$r" -v m="$mapped" -v u="$used" \
	'BEGIN { d = r - m / u; exit !(d < 0.0101 && d > -0.0101) }'

# ---- messages ------------------------------------------------------------------
check "message to the pool by its suffix: cache drop" dmstack message ss pool cache drop
check "message to the pool as 'subsist': hints off" dmstack message ss subsist hints off
dmstack --dry-run message ss subsist cache drop >dry.txt
check_eq "--dry-run message: the dmsetup line" "dmsetup message ss-pool 0 cache drop" "$(cat dry.txt)"
check_err "the pool refuses a bad message, with its reason" \
	"ss-pool: message 'bogus' refused: .*subsist" dmstack message ss pool bogus
check_err "a vdisk takes no messages" "ss-0: message 'cache drop' refused" \
	dmstack message ss ss-0 cache drop
check_err "crash is not for subsist" "stack 'ss' has no layer that can crash" dmstack crash ss

# ---- remove ---------------------------------------------------------------------
dmstack remove --dry-run ss >rm.txt
check_eq "remove --dry-run: vdisks first, then the pool" "dmsetup remove ss-2
dmsetup remove ss-1
dmsetup remove ss-0
dmsetup remove ss-pool" "$(cat rm.txt)"
check "remove ss" dmstack remove ss
check "ss gone" stack_gone ss

# ---- merge=none: vdisks that fit -----------------------------------------------
check "create sn: merge=none block_size=1024" dmstack create sn "disk $rd | subsist vdisks=3 merge=none block_size=1024" >/dev/null
VS=$((N / 3 / 2 * 2))
check_eq "merge none: each vdisk a third of the device" \
	"0 $N subsist-pool $RD 3 $VS 4 block_size 1024 merge none" "$(table sn-pool)"
check_eq "merge none: vdisk 2" "0 $VS subsist $(devno /dev/mapper/sn-pool) 2" "$(table sn-2)"
check "merge none: a pattern at the end of vdisk 2" \
	pattern_write /dev/mapper/sn-2 $(( (VS - 64) * 512 )) 32768 $SEED
# on_disk VOFF LEN ROFF: the ramdisk holds at ROFF what vdisk 2 got at
# VOFF (pattern bytes name the vdisk's sectors).
on_disk() {
	drop_caches "$rd"
	_pattern $SEED "$1" "$2" | cmp -n "$2" - "$rd" 0 "$3"
}
check "merge none: it lands at the end of vdisk 2's part of the ramdisk" \
	on_disk $(( (VS - 64) * 512 )) 32768 $(( (3 * VS - 64) * 512 ))
check_eq "merge none: nothing merged" 0 "$(sfield sn-pool merges)"
check "remove sn" dmstack remove sn

# ---- --dry-run: the same devices ----------------------------------------------
SPEC="disk $rd | subsist vdisks=3 hash=xxhash64 merge=all cache_blocks=64"
check "create ss again with features" dmstack create ss "$SPEC" >/dev/null
want=$(for d in ss-pool ss-0 ss-1 ss-2; do
	echo "$d $(dmsetup info -c --noheadings -o uuid $d) $(table $d)"
done)
check "remove it" dmstack remove ss
dmstack create --dry-run ss "$SPEC" >dry.txt
sed 's/^/# /' dry.txt
check "--dry-run created nothing" stack_gone ss
check_eq "--dry-run: four dmsetup create lines" 4 "$(grep -c '^dmsetup create ss-' dry.txt)"
check "the printed commands run" sh -e dry.txt
check "dmsetup mknodes" dmsetup mknodes
got=$(for d in ss-pool ss-0 ss-1 ss-2; do
	echo "$d $(dmsetup info -c --noheadings -o uuid $d) $(table $d)"
done)
check_eq "the same devices: names, UUIDs and tables" "$want" "$got"
check "write vdisk 1" pattern_write /dev/mapper/ss-1 4096 65536 $SEED
check "write the same to vdisk 2" pattern_write /dev/mapper/ss-2 4096 65536 $SEED
check "vdisk 1 reads it back" pattern_check /dev/mapper/ss-1 4096 65536 $SEED
check "vdisk 2 reads it back" pattern_check /dev/mapper/ss-2 4096 65536 $SEED
check "vdisk 0 reads zeros there" sh -c "cmp -n 65536 /dev/zero /dev/mapper/ss-0 0 4096"
check "merge all: merged" test "$(sfield ss-pool merges)" -ge 16
same_status "dry-run stack: pool" ss ss-pool 1 subsist-pool
check "dmstack finds and removes it" dmstack remove ss
check "ss gone" stack_gone ss
check_eq "dmsetup ls as at the start" "$before" "$(dm_snapshot)"
check "rmmod dm-subsist" rmmod dm-subsist
ktap_end
