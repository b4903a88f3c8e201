#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# blkorder on real traces: ext4 with fsync on dm-linear over the virtio
# disk (it has a write cache, so flushes reach it), blktrace of both.
# blkorder's counts of the dm device (at Q) and of vda (at D) equal
# blkparse's decoding of the same binary files, event by event and request
# by request; ext4 sends flushes and FUAs and has ordering points;
# dm-linear passes every write down in order and breaks no flush's
# promise.  Then bad input: corrupt, truncated, empty and random trace
# files and bad arguments get a clear message and exit status 1 or 2.
# timeout: 240
. "${0%/*}/../lib.sh"
. "${0%/*}/bo.lib"

ktap_begin
need_module dm-mod ext4
need_cmd blkorder blktrace blkparse mkfs.ext4 dmsetup

sz=$((128 * 2048))
check "dm-linear over the first 128 MiB of vda" \
	dm_create bo-lin "0 $sz linear /dev/vda 0"
dm=$(bo_dmname bo-lin)
check "mkfs.ext4" mkfs.ext4 -q -F -E nodiscard /dev/mapper/bo-lin
mkdir -p /mnt/bo
check "mount ext4" mount -t ext4 /dev/mapper/bo-lin /mnt/bo
cleanup_push "umount /mnt/bo 2>/dev/null"
check "blktrace $dm and vda" bt_start tr "$dm" vda
check "workload: 12 files with fsync, mkdir, rename, sync" bo_workload /mnt/bo 12
check "umount" umount /mnt/bo
check "blktrace stopped, nothing dropped" bt_stop

# ---- counts against blkparse ------------------------------------------------
check "blkorder -k -D tr" sh -c "blkorder -k -D tr >kv 2>err"
check_eq "no warnings" "" "$(cat err)"
check_eq "$dm counted at Q" Q "$(bo_get kv "$dm" issue)"
check_eq "vda counted at D" D "$(bo_get kv vda issue)"
for d in "$dm" vda; do
	ev=$(bo_get kv "$d" issue)
	bp=$(bp_counts tr "$d" "$ev")
	diag "$d at $ev: reads bytes writes bytes flushes preflush fua discards: $bp"
	check_eq "$d: requests as blkparse decodes them" "$bp" "$(bo_counts kv "$d")"
	for e in Q M G I D C P U A X R; do
		n=$(bp_events tr "$d" | awk -v e=$e '$1 == e { print $2 }')
		check_eq "$d: $e events as blkparse" "${n:-0}" "$(bo_get kv "$d" "ev_$e")"
	done
done

# ---- what ext4 sends -------------------------------------------------------------
fl=$(bo_get kv "$dm" flushes)
pf=$(bo_get kv "$dm" preflush_writes)
fua=$(bo_get kv "$dm" fua_writes)
op=$(bo_get kv "$dm" ordering_points)
diag "ext4 on $dm: $fl empty flushes, $pf preflush writes, $fua FUA writes, $op ordering points"
check "ext4 sends flushes" test $((fl + pf)) -gt 0
check "ext4 sends FUA writes" test "$fua" -gt 0
check "ordering points: at least one per fsync (12)" test "$op" -ge 12
check "vda gets flush requests" test "$(bo_get kv vda flushes)" -gt 0
check "vda has ordering points" test "$(bo_get kv vda ordering_points)" -gt 0

# ---- order: dm-linear keeps it ------------------------------------------------
check "blkorder -u $dm -l vda --lower-issue Q" \
	sh -c "blkorder -k -D tr -u $dm -l vda --lower-issue Q >kvq"
w=$(bo_get kv "$dm" writes)
check_eq "every write seen on vda" "$w" "$(bo_get kvq order matched)"
check_eq "nothing unseen" 0 "$(bo_get kvq order unseen)"
check_eq "no extra sectors on vda" 0 "$(bo_get kvq order extra_sectors)"
# Writes queued at about the same time on dm-0 (Q) can reach vda's queue
# the other way round (two CPUs racing through dm-linear's remap): they
# were concurrent, so no order between them is promised.  Allow 2%.
in_order() {
	test "$(bo_get kvq order reordered)" -le \
		$(($(bo_get kvq order upper_writes) / 50))
}
check "queued on vda in ext4's order (<= 2% moved)" in_order
check_eq "no ordering violation (Q)" 0 "$(bo_get kvq order violations)"
check "--check passes" blkorder -D tr -u "$dm" -l vda --check
check "blkorder -u $dm -l vda (at D)" \
	sh -c "blkorder -k -D tr -u $dm -l vda >kvd"
check_eq "every write dispatched on vda" "$w" "$(bo_get kvd order matched)"
check_eq "no ordering violation (D)" 0 "$(bo_get kvd order violations)"
diag "at D: $(bo_get kvd order reordered) of $w reordered by vda's queue" \
	"($(bo_get kvd order inversions) inversions, legal: no ordering point between)"
check "json output" sh -c "blkorder -j -D tr -u $dm -l vda | grep -q '\"violations\":0,'"

# ---- bad input ------------------------------------------------------------------
status() {	# CMD...: its exit status
	"$@" >/dev/null 2>&1
	echo $?
}
mkdir bad
cp tr/*.blktrace.* bad/
echo "this is not a trace" >>bad/vda.blktrace.1
check_err "text appended to a trace: bad magic" \
	"blkorder: bad/vda.blktrace.1: record [0-9]+ at offset [0-9]+: bad magic 0x[0-9a-f]{8} \(not a blktrace file, or corrupt\)" \
	blkorder -D bad
check_eq "exit status 1" 1 "$(status blkorder -D bad)"
cp tr/vda.blktrace.1 bad/
size=$(stat -c %s bad/vda.blktrace.1)
dd if=/dev/urandom of=bad/vda.blktrace.1 bs=1 count=8 conv=notrunc status=none
check_err "random bytes over the first record: bad magic" \
	"vda.blktrace.1: record 0 at offset 0: bad magic" blkorder -D bad
cp tr/vda.blktrace.1 bad/
truncate -s $((size - 7)) bad/vda.blktrace.1
check_err "truncated trace: cut short" \
	"vda.blktrace.1: (truncated: record [0-9]+ at offset [0-9]+ has 41 of its 48 bytes|record [0-9]+ at offset [0-9]+: pdu_len [0-9]+ runs past the end of the file)" \
	blkorder -D bad
check_eq "exit status 1" 1 "$(status blkorder -D bad)"
check "--allow-truncated reads the rest" \
	sh -c "blkorder -k --allow-truncated -D bad >kvt 2>errt"
check "... and says so" grep -q "warning: bad/vda.blktrace.1: last record cut short" errt
check "... all of $dm still there" test "$(bo_get kvt "$dm" writes)" = "$w"
head -c 65536 /dev/urandom >bad/rnd.blktrace.0
check_err "random file: bad magic" "rnd.blktrace.0: record 0 at offset 0: bad magic" blkorder bad/rnd
: >bad/idle.blktrace.0
: >bad/idle.blktrace.1
check "empty files: a warning" \
	sh -c "blkorder bad/idle 2>&1 >/dev/null | grep -q 'warning: idle: no trace records in 2 files'"
check_eq "empty files: exit status 0" 0 "$(status blkorder bad/idle)"
check_err "no such trace" "blkorder: nosuch: no such file, and no trace files nosuch.blktrace.N" \
	blkorder nosuch
check_eq "exit status 1" 1 "$(status blkorder nosuch)"
check_err "--upper without --lower" "upper and --lower go together" blkorder -D tr -u "$dm"
check_err "unknown device" "--lower sdq: no such device in the traces \(there are: " \
	blkorder -D tr -u "$dm" -l sdq
check_eq "exit status 2" 2 "$(status blkorder -D tr -u "$dm" -l sdq)"
check_err "bad offset" "lower-offset 1e3: expected a number" \
	blkorder -D tr -u "$dm" -l vda -o 1e3
check_err "bad event" "issue X: expected Q, D or auto" blkorder -D tr -e X

ktap_end
