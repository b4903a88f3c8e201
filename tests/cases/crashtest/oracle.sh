#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# crashtest's data-consistency oracle on a real file system: ext4 on
# dm-faultinj over a ramdisk.  The workload, a clean remount, then verify
# must find every block correct.  One data block of a file, found with
# debugfs bmap and overwritten on the device with another file's block,
# must be exactly one WRONG block (exit 3), named with its file and index;
# restored, the tree is exact again.  A faultinj read error on that block
# must be an ioerror, not WRONG (exit 0), buffered and with O_DIRECT.
# Bad input to both commands: exit 8 and a clear message (a seed that
# disagrees with oracle.meta: badmeta, exit 3).
# timeout: 300
. "${0%/*}/../lib.sh"

ktap_begin
need_module dm-mod brd dm-faultinj ext4
need_cmd crashtest debugfs
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
check "faultinj over a 64 MiB ramdisk" \
	dm_create fi "0 131072 faultinj $rd 0"
fi=/dev/mapper/fi
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

# jget FIELD FILE: a counter of verify --json's output.
jget() {
	sed -n "s/.*\"$1\": \([0-9]*\).*/\1/p" "$2" | head -n 1
}

remount() {
	umount mnt && drop_caches $fi && mount -t ext4 $fi mnt
}

check "mkfs.ext4 (4 KiB blocks)" mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 $fi
check "mount" mount -t ext4 $fi mnt
check "workload (seed $SEED, 600 ops, 12 files, 32 blocks)" \
	crashtest workload mnt/w --seed "$SEED" --ops 600 --files 12 \
	--max-blocks 32 --fsync-every 25
crashtest workload --seed "$SEED" --ops 600 --files 12 --max-blocks 32 --dry-run | tail -n 1 | sed 's/^/# /'
check "umount, mount" remount

crashtest verify mnt/w --json >v.json
ok $? "verify after a clean remount: exit 0"
crashtest verify mnt/w --exact >v.txt
ok $? "verify --exact: the exact final state"
total=$(jget blocks v.json)
check_eq "every block correct" "$total 0 0 0 0" \
	"$(jget correct v.json) $(jget older v.json) $(jget zeros v.json) $(jget ioerror v.json) $(jget wrong v.json)"
diag "$(tail -n 1 v.txt)"

# ---- find a data block of one file and one of another ------------------
# (a mapped block of a file of the final state is always data: the
# workload leaves holes unmapped)
find mnt/w -name 'o*' -type f | sed 's|^mnt/||' | sort >files
umount mnt
victim= vidx= vblk= src= sblk=
while read -r f; do
	sz=$(debugfs -R "stat /$f" $fi 2>/dev/null | sed -n 's/.*Size: \([0-9]*\).*/\1/p' | head -n 1)
	i=0
	while [ $i -lt $((${sz:-0} / 4096)) ]; do
		b=$(debugfs -R "bmap /$f $i" $fi 2>/dev/null)
		if [ -n "$b" ] && [ "$b" != 0 ]; then
			if [ -z "$victim" ]; then
				victim=$f vidx=$i vblk=$b
			else
				src=$f sblk=$b
			fi
			break
		fi
		i=$((i + 1))
	done
	[ -n "$src" ] && break
done <files
if [ -z "$src" ]; then
	bail "no two files with data blocks (seed $SEED)"
fi
diag "victim: $victim block $vidx at fs block $vblk; source: $src at fs block $sblk"
vrel=${victim#w/}	# verify names files relative to DIR

# ---- another file's block on the device: exactly one WRONG -------------
dd if=$fi of=saved bs=4096 skip="$vblk" count=1 status=none
dd if=$fi of=other bs=4096 skip="$sblk" count=1 status=none
check "copy $src's block over $victim block $vidx on the device" \
	dd if=other of=$fi bs=4096 seek="$vblk" count=1 conv=notrunc,fsync status=none
drop_caches $fi
check "mount" mount -t ext4 $fi mnt
crashtest verify mnt/w --json >v.json
check_eq "verify: exit 3 (wrong data)" 3 $?
check_eq "exactly 1 WRONG block, the rest correct" "1 $((total - 1))" \
	"$(jget wrong v.json) $(jget correct v.json)"
crashtest verify mnt/w >v.txt
grep '^WRONG' v.txt | sed 's/^/# /'
sid=$(echo "$src" | sed 's|.*/||; s|^o\([0-9]*\)\..*|\1|')
check "the WRONG line names $vrel block $vidx and file $sid" \
	grep -q "^WRONG $vrel block $vidx: file $sid's block" v.txt

umount mnt
check "restore the block" \
	dd if=saved of=$fi bs=4096 seek="$vblk" count=1 conv=notrunc,fsync status=none
drop_caches $fi
check "mount" mount -t ext4 $fi mnt
check "restored: verify --exact" crashtest verify mnt/w --exact

# ---- a read error on that block: ioerror, not WRONG --------------------
umount mnt
check "faultinj: read error on fs block $vblk" \
	dm_message fi rule add 1 read error sectors $((vblk * 8)) 8
drop_caches $fi
check "mount" mount -t ext4 $fi mnt
crashtest verify mnt/w --json >v.json
check_eq "verify with a read error: exit 0" 0 $?
check_eq "1 ioerror, 0 WRONG, the rest correct" "1 0 $((total - 1))" \
	"$(jget ioerror v.json) $(jget wrong v.json) $(jget correct v.json)"
crashtest verify mnt/w --direct --json >v.json
check_eq "verify --direct with a read error: exit 0" 0 $?
check_eq "--direct: 1 ioerror, 0 WRONG" "1 0" \
	"$(jget ioerror v.json) $(jget wrong v.json)"
crashtest verify mnt/w --exact -v >v.txt
check_eq "verify --exact with a read error: exit 3" 3 $?
check "-v says which block and why" \
	grep -q "^note $vrel block $vidx: ioerror: Input/output error" v.txt
check "the rule fired" test "$(fi_stat fi errored)" -ge 1
umount mnt
dm_message fi rule del 1

# ---- bad input ---------------------------------------------------------------
check "mount" mount -t ext4 $fi mnt
check_err "verify: another seed than oracle.meta's is badmeta" \
	"--seed $((SEED + 1)) but mnt/w/oracle.meta says $SEED" \
	crashtest verify mnt/w --seed $((SEED + 1))
crashtest verify mnt/w --seed $((SEED + 1)) >/dev/null 2>&1
check_eq "verify: another seed: exit 3" 3 $?
check_err "verify: not a workload directory" "not a workload directory" \
	crashtest verify /etc --seed 1
check_err "verify: missing directory" "No such file or directory" \
	crashtest verify mnt/nope
check_err "workload: directory not empty" "not empty" \
	crashtest workload mnt/w --seed 1
check_err "workload: bad number" "expected a number" \
	crashtest workload mnt/x --seed 12z
check_err "workload: bad block size" "power of two" \
	crashtest workload mnt/x --seed 1 --block-size 3000
crashtest verify mnt/w --bogus >/dev/null 2>&1
check_eq "verify: unknown option: exit 8" 8 $?
crashtest verify /etc --seed 1 >/dev/null 2>&1
check_eq "verify: not a workload: exit 8" 8 $?
umount mnt

check "dm_remove fi" dm_remove fi
ktap_end
