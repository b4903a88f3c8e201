#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# fsblocks --load: the block-type map of a real file system reaches
# dm-faultinj whole (types list agrees with fsblocks -s), in the device's
# units, over several messages when large; wrong devices and a too large
# block_size are refused with exit status 2; a type rule then hits exactly
# the blocks the map names.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/../faultinj/fi.lib"

ktap_begin
need_module dm-mod brd dm-faultinj
need_cmd fsblocks mke2fs debugfs dmsetup blockdev

# "type extents blocks" lines with blocks scaled by $2, zero types dropped.
summary() {
	fsblocks -s "$1" | awk -v k="$2" '$1 != "total" && $2 > 0 { print $1, $2, $3 * k }' | sort
}
listed() {
	dm_message "$1" types list | sort
}

rd=$(ramdisk 128) || bail "no ramdisk"
check "mke2fs ext4, 1 KiB blocks" mke2fs -q -F -t ext4 -b 1024 "$rd"
check "a directory and a file" debugfs -w -R "mkdir d" "$rd"

# ---- block_size equal to the fs block size --------------------------------
check "faultinj block_size 1024" fi_new fi "$rd" block_size 1024
check "fsblocks --load fi" fsblocks --load fi "$rd"
check_eq "types list = fsblocks -s" "$(summary "$rd" 1)" "$(listed fi)"
check_eq "status type_extents" \
	"$(fsblocks -s "$rd" | awk '$1 == "total" { print $2 }')" \
	"$(fi_stat fi type_extents)"
check "reload by /dev/mapper path" fsblocks --load /dev/mapper/fi "$rd"
check_eq "types list unchanged" "$(summary "$rd" 1)" "$(listed fi)"
check "load dir only" fsblocks --load fi -t dir "$rd"
check_eq "only dir listed" "dir" "$(listed fi | awk '{ print $1 }' | tr '\n' ' ' | sed 's/ $//')"

# ---- a type rule hits the map ----------------------------------------------
check "full map again" fsblocks --load fi "$rd"
it=$(fsblocks -t itable "$rd" | awk 'NR == 1 { print $1 }')
sb=$(fsblocks -t super "$rd" | awk 'NR == 1 { print $1 }')
check_eq "superblock at block 1" 1 "$sb"
dm_message fi rule add 1 read error type itable
check_err "read of the inode table fails" "I/O error|Input/output" rd /dev/mapper/fi $((it * 2)) 2
check "read of the superblock works" rd /dev/mapper/fi $((sb * 2)) 2
dm_message fi rule clear

# ---- smaller block_size: converted -----------------------------------------
rd2=$(ramdisk 128) || bail "no ramdisk"
check "faultinj block_size 512 (same fs)" fi_new fi512 "$rd" block_size 512
check "fsblocks --load fi512" fsblocks --load fi512 "$rd"
check_eq "types list = fsblocks -s, doubled" "$(summary "$rd" 2)" "$(listed fi512)"

# ---- larger block_size, wrong targets, missing device ---------------------
check "faultinj default block_size (4096)" fi_new fi4k "$rd"
check_err "block_size 4096 > 1024 refused" "block_size 1024" fsblocks --load fi4k "$rd"
check_eq "exit status 2" 2 "$(fsblocks --load fi4k "$rd" >/dev/null 2>&1; echo $?)"
check "dm-linear device" dm_create lin "0 $(blockdev --getsz "$rd2") linear $rd2 0"
check_err "linear target refused" 'not "faultinj"' fsblocks --load lin "$rd"
check_err "missing device refused" "no such device" fsblocks --load nosuchdev "$rd"
check_eq "missing device: exit status 2" 2 "$(fsblocks --load nosuchdev "$rd" >/dev/null 2>&1; echo $?)"
check "faultinj over the first 16 MiB only" dm_create fismall "0 32768 faultinj $rd 0 2 block_size 1024"
check_err "file system larger than the device" "smaller than the file system" fsblocks --load fismall "$rd"

# ---- a map of many extents: several messages --------------------------------
rd3=$(ramdisk 128) || bail "no ramdisk"
check "mke2fs ext2, 1 KiB blocks, 1024 blocks per group" \
	mke2fs -q -F -t ext2 -b 1024 -g 1024 -N 4096 "$rd3"
check "faultinj block_size 1024 on it" fi_new fibig "$rd3" block_size 1024
check "fsblocks --load fibig" sh -c "fsblocks --load fibig $rd3 >/tmp/fsb-load"
n=$(fsblocks -s "$rd3" | awk '$1 == "total" { print $2 }')
diag "$n extents: $(cat /tmp/fsb-load)"
check "more than 400 extents" test "$n" -gt 400
check "sent in 3 or more load messages" grep -Eq "in ([3-9]|[1-9][0-9]+) load messages" /tmp/fsb-load
check_eq "types list = fsblocks -s" "$(summary "$rd3" 1)" "$(listed fibig)"

ktap_end
