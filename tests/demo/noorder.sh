#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# make demo, second act, in the guest: the untrusted device.  ext4 on
# dm-noorder, a volatile write cache that honours FLUSH/FUA or ignores
# them.  blkorder shows what each mode does to the order of ext4's writes;
# crashtest records the oracle workload once and explores the same crash
# states under both models, checked by e2fsck and by reading every block
# back (crashtest verify).  ext2, which has no journal, beside it.
# The checks: with honor, ext4 has 0 unrecoverable states and 0 WRONG
# blocks; with ignore, the disk breaks the order ext4 asked for.
# DEMO_STATES (states checked by e2fsck, default 100) and DEMO_ORACLE
# (states mounted and read back, default 60) set ext4's budgets; ext2
# gets 2/5 and 1/6 of them.
# timeout: 600
C=/tests/cases
[ -f "${0%/*}/../lib.sh" ] && C=${0%/*}/..
. "$C/lib.sh"
. "$C/crashtest/crashtest.lib"
. "$C/blkorder/bo.lib"

NFSCK=${DEMO_STATES:-100}
NORACLE=${DEMO_ORACLE:-60}
# The oracle's workload: every block it writes names its file, offset and
# version; fsync, fdatasync, sync and directory fsyncs in its mix, and an
# fsync of the file touched after every 5th operation.
WL="--ops 200 --files 8 --max-blocks 16 --fsync-every 5"
# The earlier life of the disk: a larger run of another seed, deleted.
WLOLD="--ops 300 --files 16 --max-blocks 64"

say() { printf '%s\n' "$*"; }
run() { printf '  $ %s\n' "$*"; "$@" 2>&1 | sed 's/^/    /'; }
# runo FILE CMD...: run() that keeps the output in FILE and CMD's status.
runo() {
	_f=$1
	shift
	printf '  $ %s\n' "$*"
	"$@" >"$_f" 2>&1
	_st=$?
	sed 's/^/    /' "$_f"
	return $_st
}
hr() { say ""; say "== $* =="; say ""; }
# para TEXT...: a paragraph, folded to 72 columns.
para() { printf '%s\n' "$*" | fold -s -w 72 | sed 's/ *$//'; }
# failed WHAT: say which step of the demo failed; returns 1.
failed() { say "  FAILED: $*"; return 1; }

ktap_begin
need_module dm-mod brd loop ext4 ext2 dm-noorder
need_cmd crashtest blkorder blktrace e2fsck
seed_init >/dev/null
OLDSEED=$((SEED + 1))
mkdir -p mnt
cleanup_push "umount $PWD/mnt 2>/dev/null"

# ---------------------------------------------------------------------------
hr "4. A disk that lies about flushes: dm-noorder"
say "ext4 survived the power cut above because it orders its writes: the"
say "journal blocks, then a FLUSH, then the commit block (FUA). That holds"
say "only if the disk keeps its promise. Many do not: VirtualBox ignores"
say "IDE FLUSH CACHE by default; some drives acknowledge a flush at once."
say ""
say "dm-noorder is such a disk: a volatile write cache that acknowledges"
say "writes at once and writes them to the disk below later, in FIFO,"
say "random or reverse order. With 'flush honor' a FLUSH or FUA returns"
say "only once everything before it is on the disk below; with 'flush"
say "ignore' it returns at once and is only counted."

# ---------------------------------------------------------------------------
hr "5. Watching the order: blkorder on ext4 over noorder over vdb"
para "The same workload twice, on a fresh ext4 over noorder (order random," \
	"seed $SEED) over the virtio disk vdb, both devices under blktrace; the" \
	"cache is drained to vdb before the trace stops. blkorder reads the" \
	"binary traces and matches every write ext4 sent to its arrival on vdb." \
	"An ordering violation is a write that reached vdb before a write ext4" \
	"had already been told was durable (by a flush or a FUA)."
say ""
say "The workload (crashtest workload, the data oracle's):"
say "  crashtest workload mnt --seed $SEED $WL"
say ""
off=2048
sz=$((96 * 2048))
# bo_run MODE: the workload on a fresh ext4 over noorder (flush MODE, order
# random) over vdb, both traced; blkorder's "-k" report in bo-MODE.txt.
bo_run() {
	dm_create demo-bo "0 $sz noorder /dev/vdb $off 6 flush $1 order random seed $SEED" ||
		failed "dmsetup create" || return 1
	dm=$(bo_dmname demo-bo)
	mkfs.ext4 -q -F -E nodiscard,lazy_itable_init=0,lazy_journal_init=0 \
		/dev/mapper/demo-bo || failed "mkfs.ext4" || return 1
	dm_message demo-bo drain || failed "drain" || return 1
	bt_start "tr-$1" "$dm" vdb || failed "blktrace" || return 1
	mount -t ext4 /dev/mapper/demo-bo mnt || failed "mount" || return 1
	# shellcheck disable=SC2086
	crashtest workload mnt --seed "$SEED" $WL >"wl-$1.out" ||
		failed "crashtest workload" || return 1
	umount mnt && dm_message demo-bo drain || failed "umount, drain" || return 1
	bt_stop >"bt-$1.log" || failed "blktrace: $(cat "bt-$1.log")" || return 1
	dm_remove demo-bo
	blkorder -k -D "tr-$1" -u "$dm" -l vdb -o $off >"bo-$1.txt"
}
for mode in honor ignore; do
	if ! bo_run $mode; then
		fail "blkorder: flush $mode run"
		umount mnt 2>/dev/null
		continue
	fi
	k=bo-$mode.txt
	printf '  flush %-7s ext4 sent %s writes (%s with a preflush, %s FUA) and %s empty\n' \
		"$mode:" "$(bo_get $k "$dm" writes)" "$(bo_get $k "$dm" preflush_writes)" \
		"$(bo_get $k "$dm" fua_writes)" "$(bo_get $k "$dm" flushes)"
	printf '                flushes: %s ordering points. Flushes reaching vdb: %s.\n' \
		"$(bo_get $k "$dm" ordering_points)" "$(bo_get $k vdb flushes)"
	printf '                %s of the %s writes seen on vdb came out of order (%s%%);\n' \
		"$(bo_get $k order reordered)" "$(bo_get $k order matched)" \
		"$(bo_get $k order reordered_pct)"
	printf '                ordering violations: %s.\n' "$(bo_get $k order violations)"
done
check_eq "blkorder, flush honor: 0 ordering violations" 0 \
	"$(bo_get bo-honor.txt order violations)"
check "blkorder, flush ignore: ordering violations" \
	test "$(bo_get bo-ignore.txt order violations)" -gt 0
say ""
say "With honor the cache reorders only between two flushes, which any disk"
say "may do. With ignore a commit block can reach the disk before the journal"
say "blocks it seals, and a power cut between them loses what fsync promised."

# ---------------------------------------------------------------------------
# The checker of the oracle: the recovery an administrator would run (ext4:
# mount, which replays the journal; ext2: e2fsck -fy, then mount), then
# crashtest verify reads every block of every file.  Exit codes are
# crashtest's: 0 clean, 2 mount failed, 3 wrong data; anything else is a
# crashed checker.  verify's summary line and its first WRONG blocks go to
# vlog-<fs>/<state id>.
# Worker N uses /dev/loopN (busybox losetup has no --show to pick one).
cat >oracle-check.sh <<CHK
#!/bin/sh
m=$PWD/vmnt.\$CRASHTEST_WORKER
log=$PWD/vlog-\$DEMO_FS/\$CRASHTEST_ID
mkdir -p "\$m"
if [ "\$DEMO_FS" = ext2 ]; then
	/usr/sbin/e2fsck -fy "\$CRASHTEST_IMG" >/dev/null 2>&1
	[ \$? -le 1 ] || { echo "e2fsck failed" >"\$log"; exit 2; }
fi
lo=/dev/loop\$CRASHTEST_WORKER
losetup "\$lo" "\$CRASHTEST_IMG" || exit 9
if ! mount -t \$DEMO_FS "\$lo" "\$m" 2>/dev/null; then
	losetup -d "\$lo"
	echo "mount failed" >"\$log"
	exit 2
fi
crashtest verify "\$m" --seed $SEED $WL >"\$m.out" 2>&1
rc=\$?
grep '^verify:' "\$m.out" >"\$log"
grep '^WRONG' "\$m.out" | head -n 3 >>"\$log"
umount "\$m"
losetup -d "\$lo"
case \$rc in 0|3) exit \$rc ;; *) exit 9 ;; esac
CHK
chmod +x oracle-check.sh

# vsum FS MODEL FIELD: FIELD (e.g. WRONG, older) summed over the states of
# MODEL that verify read.
vsum() {
	cat "vlog-$1/$2":* 2>/dev/null | awk -v f="$3" '
		/^verify:/ { for (i = 1; i < NF; i++) if ($i == f) s += $(i + 1) }
		END { print s + 0 }'
}

# vcount FS MODEL: how many states of MODEL verify read (it mounted).
vcount() {
	set -- "vlog-$1/$2":*
	if [ -e "$1" ]; then grep -l '^verify:' "$@" | wc -l; else echo 0; fi
}

rd=$(ramdisk 64) || bail "no ramdisk"
# explore_fs FS NFSCK NORACLE: record the workload on FS over noorder,
# explore NFSCK states with e2fsck and NORACLE with the oracle.  Output in
# rec-FS/, fsck-FS.out, oracle-FS.out, vlog-FS/.
explore_fs() {
	fs=$1 nfsck=$2 noracle=$3
	dd if=/dev/zero of="$rd" bs=1M count=64 status=none
	dm_create demo-ct "0 131072 noorder $rd 0 2 flush honor" ||
		failed "dmsetup create" || return 1
	if [ "$fs" = ext4 ]; then
		mke2fs -q -F -t ext4 -b 4096 -E lazy_itable_init=0,lazy_journal_init=0 \
			/dev/mapper/demo-ct
	else
		mke2fs -q -F -t ext2 -b 4096 /dev/mapper/demo-ct
	fi || failed "mke2fs" || return 1
	# A used disk: an earlier run of the workload wrote its files and
	# deleted them; their blocks are free and still hold their data.
	mount -t "$fs" /dev/mapper/demo-ct mnt || failed "mount" || return 1
	# shellcheck disable=SC2086
	crashtest workload mnt/old --seed "$OLDSEED" $WLOLD >/dev/null ||
		failed "crashtest workload --seed $OLDSEED $WLOLD" || return 1
	rm -r mnt/old
	umount mnt || failed "umount" || return 1
	cat >"wl-$fs.sh" <<WL
set -e
mount -t $fs "\$CRASHTEST_DEV" mnt
crashtest workload mnt --seed \$CRASHTEST_SEED $WL
umount mnt
WL
	para "Record: $fs on noorder (flush honor) over a 64 MiB ramdisk. Not a new" \
		"disk: an earlier, larger run of the workload (seed $OLDSEED) wrote its" \
		"files there and deleted them, so free blocks hold old data. Then the" \
		"workload runs once with noorder's write log on (every write with its" \
		"data, every flush and FUA, in the order $fs submitted them):"
	say ""
	runo "record-$fs.out" crashtest record -d /dev/mapper/demo-ct -o "rec-$fs" \
		--seed "$SEED" -- sh "wl-$fs.sh"
	dm_remove demo-ct
	[ "$(ct_field "rec-$fs/meta" workload_status)" = 0 ] ||
		failed "crashtest record" || return 1
	say ""
	say "  The log: $(ct_field "rec-$fs/meta" records) records, $(ct_field "rec-$fs/meta" writes) writes" \
		"($(($(ct_field "rec-$fs/meta" write_bytes) / 1024)) KiB), $(ct_field "rec-$fs/meta" flushes) flushes," \
		"$(ct_field "rec-$fs/meta" fuas) FUA writes."
	say ""
	if [ "$fs" = ext4 ]; then
		say "Explore: crash points all along the log. Under 'honor' everything"
		say "before the last flush (or FUA) persisted, and a seeded subset of the"
		say "writes after it; under 'ignore' a seeded subset of everything still"
		say "in the 64 MiB cache, in any order. Both models make the same draws:"
		say "the same crash points, the same writes kept where both are uncertain."
		say "Each state is the base image with the kept writes applied; e2fsck"
		say "replays the journal (-E journal_only), checks (-fn), repairs (-fy)"
		say "and checks again:"
	else
		say "Explore, as for ext4:"
	fi
	say ""
	runo "fsck-$fs.out" crashtest explore "rec-$fs" -n "$nfsck" -j 2 --flush both \
		--check e2fsck --show 3 -q
	[ $? -le 1 ] || failed "crashtest explore" || return 1
	say ""
	if [ "$fs" = ext4 ]; then
		say "And the data: the first $noracle of those draws again, each state"
		say "recovered as an administrator would (mount: the journal is replayed),"
		say "then crashtest verify reads every block of every file. Each block"
		say "names its file, offset and version: another file's block, a block"
		say "of a deleted file or garbage is WRONG."
	else
		say "And the data (recovery: e2fsck -fy, then mount):"
	fi
	say ""
	rm -rf "vlog-$fs"
	mkdir -p "vlog-$fs"
	DEMO_FS=$fs
	export DEMO_FS
	runo "oracle-$fs.out" crashtest explore "rec-$fs" -n "$noracle" -j 2 --flush both \
		--check "$PWD/oracle-check.sh" --show 3 -q
	[ $? -le 1 ] || failed "crashtest explore" || return 1
	say ""
	say "  What verify read, over all the states of each model:"
	col=1
	for m in honor ignore; do
		printf '  %-7s %s states read, %s with wrong data: blocks %s correct, %s older,\n' \
			"$m:" "$(vcount "$fs" $m)" \
			"$(ct_count "oracle-$fs.out" 'wrong data' $col)" \
			"$(vsum "$fs" $m correct)" "$(vsum "$fs" $m older)"
		printf '          %s zeros, %s I/O errors, %s WRONG; %s bad sizes, %s unknown names.\n' \
			"$(vsum "$fs" $m zeros)" "$(vsum "$fs" $m ioerror)" \
			"$(vsum "$fs" $m WRONG)" "$(vsum "$fs" $m badsize)" \
			"$(vsum "$fs" $m unknown)"
		col=2
	done
	# A few WRONG blocks as verify named them, with their state.
	for f in vlog-"$fs"/*; do
		grep '^WRONG' "$f" | head -n 2 | sed "s|^|    ${f#vlog-"$fs"/}: |"
	done | head -n 4 >"wrong-$fs.txt"
	cat "wrong-$fs.txt"
	if grep -q 'another run' "wrong-$fs.txt"; then
		say "  (\"another run\": a block of the deleted files of the disk's earlier"
		say "  life, seed $OLDSEED; the file now shows data never written to it.)"
	fi
	return 0
}

# ---------------------------------------------------------------------------
hr "6. ext4: one record, the same crash states, honor against ignore"
ext4_ok=0
if ! explore_fs ext4 "$NFSCK" "$NORACLE"; then
	fail "ext4: record and explore ran"
	umount mnt 2>/dev/null
	dm_gone demo-ct
else
	ext4_ok=1
	pass "ext4: record and explore ran"
	check_eq "ext4 honor: 0 unrecoverable states (e2fsck)" 0 \
		"$(ct_count fsck-ext4.out unrecoverable 1)"
	check_eq "ext4 honor: every state mounts and verify reads it" \
		"$(ct_count oracle-ext4.out total 1)" "$(vcount ext4 honor)"
	# The issue's measure is WRONG blocks; file-level anomalies (e.g. a
	# file seen again after its unlink, with a size it never had) are
	# shown in the table as states with wrong data and not asserted: one
	# state in ~100 showed one under honor, still unexplained.
	check_eq "ext4 honor: 0 WRONG blocks" 0 "$(vsum ext4 honor WRONG)"
	i_bad=$(($(ct_count fsck-ext4.out total 2) - $(ct_count fsck-ext4.out clean 2) + \
		$(ct_count oracle-ext4.out total 2) - $(ct_count oracle-ext4.out clean 2)))
	check "ext4 ignore: the lying disk leaves states that are not clean ($i_bad)" \
		test "$i_bad" -gt 0
	check_eq "no checker crashed" "0 0 0 0" \
		"$(ct_count fsck-ext4.out 'checker crashed' 1) $(ct_count fsck-ext4.out 'checker crashed' 2) $(ct_count oracle-ext4.out 'checker crashed' 1) $(ct_count oracle-ext4.out 'checker crashed' 2)"
fi

# ---------------------------------------------------------------------------
hr "7. ext2, no journal: the same workload"
say "ext2 has no journal and orders nothing: its fsync writes and then"
say "flushes. A crash between two flushes leaves whatever subset of its"
say "writes reached the disk, honest disk or not."
say ""
ext2_ok=0
if ! explore_fs ext2 $((NFSCK * 2 / 5)) $((NORACLE / 6)); then
	fail "ext2: record and explore ran"
	umount mnt 2>/dev/null
	dm_gone demo-ct
else
	ext2_ok=1
	pass "ext2: record and explore ran"
fi

# ---------------------------------------------------------------------------
hr "Summary: one workload, the same crash states, flush honored or ignored"
# cnt FILE CLASS COLUMN: ct_count, or "-" when that step did not run.
cnt() {
	if [ -f "$1" ]; then ct_count "$@"; else echo -; fi
}
row() {	# LABEL ext4-honor ext4-ignore ext2-honor ext2-ignore
	printf '  %-28s %7s %7s   %7s %7s\n' "$@"
}
crow() {	# LABEL PREFIX CLASS: a class of the explore runs PREFIX-<fs>.out
	row "$1" "$(cnt "$2-ext4.out" "$3" 1)" "$(cnt "$2-ext4.out" "$3" 2)" \
		"$(cnt "$2-ext2.out" "$3" 1)" "$(cnt "$2-ext2.out" "$3" 2)"
}
vrow() {	# LABEL FIELD: a field of verify, summed over the states read
	row "$1" "$(vsum ext4 honor "$2")" "$(vsum ext4 ignore "$2")" \
		"$(vsum ext2 honor "$2")" "$(vsum ext2 ignore "$2")"
}
row "" "ext4" "" "ext2" ""
row "" honor ignore honor ignore
say "  e2fsck after the crash"
crow "  states checked" fsck total
crow "  clean" fsck clean
crow "  repaired" fsck repaired
crow "  unrecoverable" fsck unrecoverable
say "  data read back (verify)"
row "  states read" "$(vcount ext4 honor)" "$(vcount ext4 ignore)" \
	"$(vcount ext2 honor)" "$(vcount ext2 ignore)"
crow "  mount failed" oracle 'mount failed'
crow "  states with wrong data" oracle 'wrong data'
vrow "  WRONG blocks" WRONG
vrow "  bad file sizes" badsize
vrow "  unknown names" unknown
say "  blkorder, ext4 live (order random)"
row "  writes reordered on vdb" "$(bo_get bo-honor.txt order reordered_pct)%" \
	"$(bo_get bo-ignore.txt order reordered_pct)%" "" ""
row "  ordering violations" "$(bo_get bo-honor.txt order violations)" \
	"$(bo_get bo-ignore.txt order violations)" "" ""
say ""
if [ $ext4_ok = 1 ]; then
	e4() { ct_count "$1-ext4.out" "$2" "$3"; }
	para "On a disk that keeps its flush promises, ext4 came back clean from" \
		"$(e4 fsck clean 1) of $(e4 fsck total 1) crash states, and the" \
		"$(vcount ext4 honor) read back held $(vsum ext4 honor WRONG) WRONG blocks." \
		"On a disk that ignores them, the same crash points left" \
		"$(($(e4 fsck total 2) - $(e4 fsck clean 2))) of $(e4 fsck total 2) states needing" \
		"repair ($(e4 fsck unrecoverable 2) unrecoverable), and verify found wrong data in" \
		"$(e4 oracle 'wrong data' 2) of the $(vcount ext4 ignore) read back" \
		"($(vsum ext4 ignore WRONG) WRONG blocks: blocks in a file that are not its own);" \
		"$(e4 oracle 'mount failed' 2) more would not even mount." \
		"e2fsck makes the file system consistent, not the data right."
fi
if [ $ext2_ok = 1 ]; then
	[ $ext4_ok = 1 ] && say ""
	e2() { ct_count "$1-ext2.out" "$2" "$3"; }
	para "ext2, which has no journal, was not clean in" \
		"$(($(e2 fsck total 1) - $(e2 fsck clean 1))) of $(e2 fsck total 1) states" \
		"with honor and $(($(e2 fsck total 2) - $(e2 fsck clean 2))) of" \
		"$(e2 fsck total 2) with ignore."
fi
say ""
say "Seed $SEED; run again with SEED=$SEED make demo."
ktap_end
