#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# The kernel's failslab and fail_page_alloc with the stacktrace filter
# work on the debug kernel (the 6.1 Kconfig backport of
# scripts/debug-kernel): filtered on one module's memory, they fail an
# allocation made with that module on the stack and nothing else.
# A faultinj table is refused when failslab is filtered on dm_faultinj,
# with the failure's stack naming a dm_faultinj frame, and loads when it
# is filtered on dm_noorder; the same for a noorder table; loading a
# subsist pool (its maps are large allocations: pages) uses a
# fail_page_alloc failure filtered on dm_subsist and none filtered on
# dm_faultinj.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/af.lib"

ktap_begin
af_need
need_module dm-mod brd dm-faultinj dm-noorder dm-subsist
seed_init
rd=$(ramdisk 32)
sz=$((32 * 2048))

check "dm_faultinj's range in /proc/modules" test -n "$(af_range dm-faultinj)"
diag "dm_faultinj at $(af_range dm-faultinj), dm_noorder at $(af_range dm-noorder)"

# ATTR MODULE NAME TABLE WANT: the table under ATTR filtered on MODULE.
# WANT: refused (one failure used, the table refused), used (one failure
# used; the target may fall back, kvmalloc to vmalloc), loads (nothing
# injected, the table loads).
try() {
	local what=$1 mod=$2 name=$3 table=$4 want=$5 got n
	klog_mark
	af_filter "$what" "$mod" 1
	echo 2 >$FI/$what/verbose
	if printf '%s\n' "$table" | dmsetup create "$name" 2>/tmp/case/err; then
		got=loads
		dmsetup remove "$name"
	else
		got=refused
	fi
	n=$(af_injected "$what" 1)
	af_off "$what"
	klog_new >/tmp/case/inj
	case $want in
	loads)
		check_eq "$what on $mod: ${table#* * } loads" loads "$got"
		check_eq "$what on $mod: nothing injected" 0 "$n"
		return ;;
	refused)
		check_eq "$what on $mod: ${table#* * } refused" refused "$got"
		diag "$what on $mod: $(head -n 1 /tmp/case/err)" ;;
	used)
		diag "$what on $mod: ${table#* * }: $got" ;;
	esac
	check_eq "$what on $mod: one failure used" 1 "$n"
	# An allocation with __GFP_NOWARN fails silently (kvmalloc's first
	# try): its stack is shown only when the kernel printed one.
	if [ "$want" = refused ] || grep -q 'FAULT_INJECTION: forcing' /tmp/case/inj; then
		check "$what on $mod: the failure's stack has a $mod frame" \
			grep -q "\[$(echo "$mod" | tr - _)\]" /tmp/case/inj
	else
		diag "$what on $mod: the failed allocation had __GFP_NOWARN (no stack printed)"
	fi
}
try failslab dm-faultinj af-f "0 $sz faultinj $rd 0" refused
try failslab dm-noorder af-f "0 $sz faultinj $rd 0" loads
try failslab dm-noorder af-n "0 $sz noorder $rd 0" refused
try failslab dm-faultinj af-n "0 $sz noorder $rd 0" loads
try fail_page_alloc dm-subsist af-s "0 $sz subsist-pool $rd 2 $sz" used
try fail_page_alloc dm-faultinj af-s "0 $sz subsist-pool $rd 2 $sz" loads
check "the ramdisk has no holders" test -z "$(af_holders "$rd")"
ktap_end
