#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dm-subsist's kernel hint interface, called from a kernel module
# (tests/kmod/subsist_hint_test.c) as envyfs will call it: the declared
# data merges across vdisks, undeclared data does not (mismatches), the
# count is honoured, and bad calls get -EINVAL / -ENODEV.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ss.lib"

ktap_begin
need_module dm-mod brd dm-subsist
seed_init
A=$SEED B=$((SEED + 1))

rd=$(ramdisk 64) || bail "no ramdisk"
check "pool, 3 vdisks" ss_pool pool $rd 3 32768
ss_vdisks pool v 3
dev=$(dmsetup info -c --noheadings -o major,minor v1 | tr -d ' ')
check "the test module loads for $dev" modprobe subsist_hint_test dev=$dev count=3
h=/sys/kernel/debug/subsist_hint_test/hint

ssgen block $A 4096 >"$_lib_state/a"
ssgen block $B 4096 >"$_lib_state/b"
check "declare block A (4 KiB) through vdisk v1" sh -c "cat $_lib_state/a >$h"
check_eq "hints are on, one declared" "on:1" "$(ss_stat pool hints)"
for i in 0 1 2; do ss_wrf /dev/mapper/v$i 10 "$_lib_state/a"; done
check_eq "A written on 3 vdisks merged twice" 2 "$(ss_stat pool merges)"
check_eq "... stored once" 1 "$(ss_stat pool used)"
check_eq "the hint is used up (count 3)" "on:0" "$(ss_stat pool hints)"
for i in 0 1 2; do ss_wrf /dev/mapper/v$i 20 "$_lib_state/b"; done
check_eq "undeclared B does not merge" 2 "$(ss_stat pool merges)"
check_eq "... three mismatches counted" 3 "$(ss_stat pool mismatches)"
for i in 0 1 2; do
	check "v$i reads A back" ss_samef /dev/mapper/v$i 10 "$_lib_state/a"
	check "v$i reads B back" ss_samef /dev/mapper/v$i 20 "$_lib_state/b"
done

head -c 1000 "$_lib_state/a" >"$_lib_state/short"
check_err "a length that is not whole blocks: EINVAL" "nvalid argument" \
	sh -c "cat $_lib_state/short >$h"
echo 0 >/sys/module/subsist_hint_test/parameters/count
check_err "count 0: EINVAL" "nvalid argument" sh -c "cat $_lib_state/a >$h"
echo 4 >/sys/module/subsist_hint_test/parameters/count
check_err "count above nr_vdisks: EINVAL" "nvalid argument" \
	sh -c "cat $_lib_state/a >$h"
check "rmmod the test module" rmmod subsist_hint_test
rdev=$(stat -L -c '%t:%T' $rd); rdev=$((0x${rdev%:*})):$((0x${rdev#*:}))
check "load it for a device that is not subsist ($rdev)" \
	modprobe subsist_hint_test dev=$rdev count=1
check_err "not a subsist device: ENODEV" "o such device" \
	sh -c "cat $_lib_state/a >$h"
check "rmmod the test module" rmmod subsist_hint_test
for i in 0 1 2; do dm_remove v$i; done
dm_remove pool
ss_rmmod
ktap_end
