# SPDX-License-Identifier: GPL-2.0-only
#
# lib.sh - shell library for the VM test cases (busybox ash / POSIX sh).
#
# A case is tests/cases/<area>/<name>.sh, run by tests/vm/run in the guest
# as root, in an empty working directory, with DM_DISABLE_UDEV=1 set.
# Header lines a case may carry (read by the rig):
#   # timeout: SEC          per-case timeout (default 300)
# Source the library first:   . "${0%/*}/../lib.sh"
#
# KTAP output (every function prints one test point and never exits):
#   ktap_begin [PLAN]             "KTAP version 1" (+ "1..PLAN")
#   ok STATUS DESC                ok when STATUS is 0:  cmd; ok $? "desc"
#   pass DESC | fail DESC         unconditional point
#   skip DESC [REASON]            "ok N DESC # SKIP REASON"
#   check DESC CMD...             ok when CMD exits 0 (its output shown on failure)
#   check_fails DESC CMD...       ok when CMD exits non-zero
#   check_eq DESC EXPECTED ACTUAL ok when the strings are equal
#   check_err DESC ERE CMD...     ok when CMD fails and its output matches the
#                                 extended regex (e.g. 'Invalid argument|EINVAL')
#   diag MSG...                   "# MSG" diagnostic line
#   ktap_end                      plan + totals; returns 1 if any point failed:
#                                 make it the last command of the case
#   skip_all REASON               "1..0 # SKIP REASON", exit 4 (whole case skipped)
#   bail MSG                      "Bail out! MSG", run cleanups, exit 1
# Set-up:
#   seed_init                     SEED from the environment or random; prints
#                                 "# seed: N" (replay: SEED=N tests/vm/run CASE)
#   rnd MAX [VAR]                 VAR (default RND) = next number in [0, MAX)
#                                 from the PRNG seeded by seed_init
#   need_module NAME...           modprobe, or skip the case (or fail, once
#                                 points were printed)
#   need_cmd NAME...              same for commands
#   cleanup_push CMD              run CMD (eval) at exit, last pushed first;
#                                 also on TERM/INT (the rig's timeout)
#   ramdisk SIZE_MB               prints a fresh /dev/ramN (brd, rd_nr=8,
#                                 256 MiB each, pages allocated lazily)
#   dm_create NAME TABLE          dmsetup create + mknodes: /dev/mapper/NAME;
#                                 removed at exit if still there
#   dm_reload NAME TABLE          suspend --nolockfs, load, resume
#   dm_remove NAME                dmsetup remove (retries while busy)
#   dm_message NAME ARGS...       dmsetup message NAME 0 ARGS...
#   drop_caches [DEV...]          flush buffers of DEVs, drop the page cache
# Data:
#   pattern_write DEV OFF LEN [SEED]   known pattern (each 512-byte sector
#                                 names its seed and sector) at byte OFF
#   pattern_check DEV OFF LEN [SEED]   0 when the range holds that pattern
#                                 (reads the device after drop_caches)
#   bytes_at DEV OFF COUNT        COUNT bytes at byte OFF as hex ("00ff1a")
# Kernel log (never cleared: the rig scans a case's whole log afterwards):
#   klog_mark                     remember the last line of the kernel log
#   klog_new                      the lines after the mark (the whole log
#                                 when the mark has left the ring buffer)
#   klog_has ERE                  0 when a line after the mark matches
#   klog_clean                    0 when no line after the mark is a kernel
#                                 report (WARNING/BUG/Oops/KASAN/...)
# Targets:
#   fi_stat DEV FIELD             a dm-faultinj status field by name
#                                 (reads writes ... nr_rules: FI_FIELDS)
# Disks: /dev/vda and /dev/vdb are 512 MiB virtio disks backed by
# <out>/disks/disk{0,1}.img on the host (default out: tests/vm/out); they
# keep their contents across boots and runs: a case must not assume
# they are blank.
#
# Real e2fsprogs/util-linux tools shadow the busybox applets of the same
# name (mke2fs, blockdev) through shell functions defined here.

export DM_DISABLE_UDEV=1
PATH=/usr/local/bin:/usr/local/sbin:/usr/sbin:/usr/bin:/sbin:/bin:$PATH

_ktap_n=0 _ktap_pass=0 _ktap_fail=0 _ktap_skip=0 _ktap_plan=
_lib_state=$(mktemp -d /tmp/rig-lib.XXXXXX)
_lib_cleanups=

# busybox ash runs its applets before PATH: make the real tools win.
if [ -f /etc/rig-real-tools ]; then
	while read -r _n _p; do
		eval "$_n() { $_p \"\$@\"; }"
	done </etc/rig-real-tools
fi

# ---- KTAP -------------------------------------------------------------

ktap_begin() {
	echo "KTAP version 1"
	if [ -n "${1:-}" ]; then
		echo "1..$1"
		_ktap_plan=$1
	fi
}

_point() {	# ok|not-ok desc [directive]
	_ktap_n=$((_ktap_n + 1))
	if [ "$1" = ok ]; then
		echo "ok $_ktap_n $2${3:+ # $3}"
	else
		echo "not ok $_ktap_n $2${3:+ # $3}"
	fi
}

pass() { _ktap_pass=$((_ktap_pass + 1)); _point ok "$*"; }
fail() { _ktap_fail=$((_ktap_fail + 1)); _point not-ok "$*"; }
skip() { _ktap_skip=$((_ktap_skip + 1)); _point ok "$1" "SKIP ${2:-}"; }
diag() { echo "# $*"; }

ok() {
	local st=$1
	shift
	if [ "$st" = 0 ]; then pass "$*"; else fail "$*"; fi
}

# Run CMD, keep its output; show it (as diagnostics) only when asked.
_run() {
	"$@" >"$_lib_state/out" 2>&1
}
_show() {
	echo "# command: $*"
	sed 's/^/#   /' "$_lib_state/out" | tail -n 20
}

check() {
	local d=$1 st
	shift
	if _run "$@"; then
		pass "$d"
	else
		st=$?
		fail "$d"
		echo "# exit status $st"
		_show "$@"
	fi
}

check_fails() {
	local d=$1
	shift
	if _run "$@"; then
		fail "$d"
		echo "# expected failure, got success"
		_show "$@"
	else
		pass "$d"
	fi
}

check_eq() {
	if [ "$2" = "$3" ]; then
		pass "$1"
	else
		fail "$1"
		echo "# expected: '$2'"
		echo "# actual:   '$3'"
	fi
}

check_err() {
	local d=$1 re=$2
	shift 2
	if _run "$@"; then
		fail "$d"
		echo "# expected failure matching /$re/, got success"
		_show "$@"
	elif grep -Eq -- "$re" "$_lib_state/out"; then
		pass "$d"
	else
		fail "$d"
		echo "# failed, but output does not match /$re/"
		_show "$@"
	fi
}

ktap_end() {
	[ -n "$_ktap_plan" ] || echo "1..$_ktap_n"
	if [ -n "$_ktap_plan" ] && [ "$_ktap_plan" != "$_ktap_n" ]; then
		echo "# planned $_ktap_plan tests, ran $_ktap_n"
		_ktap_fail=$((_ktap_fail + 1))
	fi
	echo "# totals: pass:$_ktap_pass fail:$_ktap_fail skip:$_ktap_skip"
	[ "$_ktap_fail" = 0 ]
}

skip_all() {
	echo "1..0 # SKIP $*"
	exit 4
}

bail() {
	echo "Bail out! $*"
	exit 1
}

# ---- cleanup ------------------------------------------------------------

cleanup_push() {
	_lib_cleanups="$*
$_lib_cleanups"
}

_cleanup_run() {
	local c=$_lib_cleanups
	_lib_cleanups=
	printf '%s\n' "$c" | while IFS= read -r cmd; do
		[ -n "$cmd" ] && eval "$cmd" </dev/null
	done
	rm -rf "$_lib_state"
}
trap '_st=$?; _cleanup_run; exit $_st' EXIT
trap '_cleanup_run; trap - EXIT; exit 143' TERM
trap '_cleanup_run; trap - EXIT; exit 130' INT

# ---- set-up -------------------------------------------------------------

seed_init() {
	if [ -z "${SEED:-}" ]; then
		SEED=$(od -An -N4 -tu4 /dev/urandom | tr -d ' ')
	fi
	export SEED
	_rnd_state=$SEED
	echo "# seed: $SEED"
}

# Sets VAR (default RND) to the next number in [0, MAX): a 48-bit LCG
# (drand48's constants) seeded by SEED.  Not in $(...): the state would
# not advance.
rnd() {	# MAX [VAR]
	: "${_rnd_state:=${SEED:-1}}"
	_rnd_state=$(( (_rnd_state * 25214903917 + 11) & 281474976710655 ))
	eval "${2:-RND}=$(( (_rnd_state >> 16) % $1 ))"
}

need_module() {
	local m
	for m in "$@"; do
		if ! modprobe "$m" 2>/dev/null; then
			if [ "$_ktap_n" = 0 ]; then
				skip_all "module $m not available"
			fi
			fail "need_module $m"
			return 1
		fi
	done
}

need_cmd() {
	local m
	for m in "$@"; do
		if ! command -v "$m" >/dev/null 2>&1; then
			if [ "$_ktap_n" = 0 ]; then
				skip_all "command $m not available"
			fi
			fail "need_cmd $m"
			return 1
		fi
	done
}

RD_NR=${RD_NR:-8}
RD_SIZE_KB=${RD_SIZE_KB:-262144}

# Prints /dev/ramN.  The first call of a case reloads brd (when nothing
# holds it) so that the ramdisks start empty.
ramdisk() {
	local mb=$1 i
	if [ $((mb * 1024)) -gt "$RD_SIZE_KB" ]; then
		echo "ramdisk: $mb MiB > rd_size $RD_SIZE_KB KiB" >&2
		return 1
	fi
	if [ ! -e "$_lib_state/brd" ]; then
		modprobe -r brd 2>/dev/null
		if [ -e /sys/module/brd ]; then
			echo "# ramdisk: brd busy, ramdisks may hold old data" >&2
		fi
		modprobe brd rd_nr="$RD_NR" rd_size="$RD_SIZE_KB" || return 1
		echo 0 >"$_lib_state/brd"
	fi
	read -r i <"$_lib_state/brd"
	if [ "$i" -ge "$RD_NR" ]; then
		echo "ramdisk: all $RD_NR ramdisks handed out" >&2
		return 1
	fi
	echo $((i + 1)) >"$_lib_state/brd"
	echo "/dev/ram$i"
}

dm_create() {	# NAME TABLE
	printf '%s\n' "$2" | dmsetup create "$1" || return 1
	cleanup_push "dm_gone $1"
	dmsetup mknodes "$1" >/dev/null 2>&1
	[ -b "/dev/mapper/$1" ]
}

dm_reload() {	# NAME TABLE
	dmsetup suspend --nolockfs "$1" || return 1
	if ! printf '%s\n' "$2" | dmsetup load "$1"; then
		dmsetup resume "$1"
		return 1
	fi
	dmsetup resume "$1"
}

dm_remove() {	# NAME
	local i=0
	while ! dmsetup remove "$1" 2>"$_lib_state/dmrm"; do
		i=$((i + 1))
		if [ $i -ge 10 ]; then
			cat "$_lib_state/dmrm" >&2
			return 1
		fi
		sleep 0.2
	done
	dmsetup mknodes >/dev/null 2>&1
	return 0
}

# Remove NAME if it still exists (cleanup).
dm_gone() {
	dmsetup info "$1" >/dev/null 2>&1 || return 0
	dmsetup resume "$1" >/dev/null 2>&1
	dm_remove "$1"
}

dm_message() {	# NAME ARGS...
	local n=$1
	shift
	dmsetup message "$n" 0 "$@"
}

drop_caches() {
	sync
	local d
	for d in "$@"; do
		blockdev --flushbufs "$d" 2>/dev/null
	done
	echo 3 >/proc/sys/vm/drop_caches
}

# ---- kernel log -----------------------------------------------------------

# A mark is the text of the last line (its printk timestamp makes it
# unique), not a line count: the count stops growing once the ring
# buffer wraps, and then the new lines would be missed.
klog_mark() { _klog=$(dmesg | tail -n 1); }
klog_new() {
	dmesg | awk -v m="${_klog:-}" '
		{ l[NR] = $0; if (m != "" && $0 == m) last = NR }
		END { for (i = last + 1; i <= NR; i++) print l[i] }'
}
klog_has() { klog_new | grep -Eq -- "$1"; }
klog_clean() {
	! klog_has 'WARNING:|BUG:|Oops|general protection|KASAN|UBSAN:|circular locking|list_(add|del) corruption'
}

# ---- data patterns ------------------------------------------------------

# Pattern bytes for the byte range [OFF, OFF+LEN) of a device: every
# 512-byte sector starts with "rig-pattern seed=S sector=N", then filler.
_pattern() {	# seed off len
	awk -v s="$1" -v o="$2" -v l="$3" 'BEGIN {
		f = "0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ!@"
		f = f f; f = f f; f = f f
		for (sec = int(o / 512); sec * 512 < o + l; sec++) {
			h = "rig-pattern seed=" s " sector=" sec "\n"
			b = h substr(f, length(h) + 1)
			a = o - sec * 512; if (a < 0) a = 0
			e = o + l - sec * 512; if (e > 512) e = 512
			printf "%s", substr(b, a + 1, e - a)
		}
	}'
}

pattern_write() {	# DEV OFF LEN [SEED]
	_pattern "${4:-${SEED:-1}}" "$2" "$3" |
		dd of="$1" bs=65536 seek="$2" iflag=fullblock oflag=seek_bytes \
			conv=notrunc,fsync status=none
}

pattern_check() {	# DEV OFF LEN [SEED]
	drop_caches "$1"
	_pattern "${4:-${SEED:-1}}" "$2" "$3" | cmp -n "$3" - "$1" 0 "$2"
}

# wr DEV SECTOR NSECT SEED: one O_DIRECT write of the seed's pattern
# (dio, tests/vm/dio.c: busybox dd may silently fall back to buffered I/O).
wr() {
	_pattern "$4" $(($2 * 512)) $(($3 * 512)) |
		dio write "$1" $(($2 * 512)) $(($3 * 512))
}

# rd DEV SECTOR NSECT: the bytes, read with O_DIRECT, to stdout.
rd() {
	dio read "$1" $(($2 * 512)) $(($3 * 512))
}

# same DEV SECTOR NSECT SEED: the range holds the seed's pattern.
same() {
	_pattern "$4" $(($2 * 512)) $(($3 * 512)) >"$_lib_state/want"
	rd "$1" "$2" "$3" >"$_lib_state/got" && cmp -s "$_lib_state/want" "$_lib_state/got"
}

# zeros DEV SECTOR NSECT: the range reads as zeros.
zeros() {
	rd "$1" "$2" "$3" >"$_lib_state/got" &&
		dd if=/dev/zero bs=512 count="$3" status=none | cmp -s - "$_lib_state/got"
}

bytes_at() {	# DEV OFF COUNT
	dd if="$1" bs=4096 skip="$2" count="$3" iflag=skip_bytes,count_bytes status=none |
		od -An -v -tx1 | tr -d ' \n'
	echo
}

# The field lists below follow include/dm_status.h (checked by
# tests/unit/test_status_contract.c).

# ---- dm-faultinj ----------------------------------------------------------

FI_FIELDS="reads writes flushes discards dropped errored corrupted crash_state crash_dropped type_extents nr_rules"

# dm_stat DEV "NAMES" FIELD: the status field called FIELD, when the
# status fields (after "<start> <len> <target>") are called NAMES.
dm_stat() {
	dmsetup status "$1" | awk -v f="$3" -v names="$2" '{
		n = split(names, k, " ")
		for (i = 1; i <= n; i++)
			if (k[i] == f)
				print $(i + 3)
	}'
}

# fi_stat DEV FIELD: one dm-faultinj status field by name (see FI_FIELDS).
fi_stat() { dm_stat "$1" "$FI_FIELDS" "$2"; }

# ---- dm-noorder -----------------------------------------------------------

NO_FIELDS="reads writes read_hits cached_writes cached_bytes cached_blocks destaged flushes flushes_ignored fuas fuas_ignored discards crash_kept crash_dropped flush crash_state log_state log_records log_bytes cached_bytes_max deferred"

# no_stat DEV FIELD: one dm-noorder status field by name (see NO_FIELDS).
no_stat() { dm_stat "$1" "$NO_FIELDS" "$2"; }
