#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dmstack with dm-noorder: tables with every feature accepted by the
# kernel and round-tripping; noorder's 19 status fields, as text and as
# JSON, equal to dmsetup's status word for word after writes, reads,
# flushes, FUAs and with the log on; "dmstack crash" on a stack with
# noorder (the noorder layer by default, keep none/all/prefix/random
# policies checked byte for byte on the ramdisk below, faultinj by
# --layer or "after N"), "dmstack revive", --dry-run, and crash words
# that do not fit the layer refused with nothing changed.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ds.lib"

ktap_begin
need_module dm-mod brd dm-faultinj dm-noorder
need_cmd dmstack dio
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
RD=$(devno "$rd")
N=$(blockdev --getsz "$rd")
before=$(dm_snapshot)
cleanup_push "for s in na nb nc nf; do dmstack revive \$s >/dev/null 2>&1; dmstack remove --force \$s >/dev/null 2>&1; done"

# dmstack names the fields as lib.sh does (both follow include/dm_status.h).
NO_NAMES=$NO_FIELDS

# no_text DEV: DEV's dmsetup status as dmstack's named fields ("" if the
# line does not have its fields).
no_text() {
	dmsetup status "$1" | awk -v names="$NO_NAMES" '{
		n = split(names, k, " ")
		if (NF != n + 3 || $3 != "noorder")
			exit 1
		s = ""
		for (i = 1; i <= n; i++)
			s = s " " k[i] "=" $(i + 3)
		print substr(s, 2)
	}'
}

# no_json DEV: the same as the members of a JSON object (numbers bare).
no_json() {
	dmsetup status "$1" | awk -v names="$NO_NAMES" '{
		n = split(names, k, " ")
		if (NF != n + 3 || $3 != "noorder")
			exit 1
		s = ""
		for (i = 1; i <= n; i++) {
			v = $(i + 3)
			if (v !~ /^(0|[1-9][0-9]*)$/)
				v = "\"" v "\""
			s = s "," "\"" k[i] "\":" v
		}
		print substr(s, 2)
	}'
}

# status_line STACK DEV: DEV's line of "dmstack status STACK".
status_line() {
	dmstack status "$1" | grep "^[0-9]* $2 "
}

# json_fields STACK DEV: the "fields" members of DEV in "dmstack status
# --json STACK".
json_fields() {
	dmstack status --json "$1" >st.json || return 1
	json_ok st.json || return 1
	sed -n "s/.*\"device\":\"$2\",[^{}]*\"fields\":{\([^}]*\)}.*/\1/p" st.json
}

# same_status DESC STACK DEV LAYER: text and JSON fields of DEV equal
# dmsetup's status.
same_status() {
	local t j
	t=$(no_text "$3")
	j=$(no_json "$3")
	if [ -z "$t" ]; then
		fail "$1: dmsetup status of $3 has $(echo $NO_FIELDS | wc -w) fields"
		diag "$(dmsetup status "$3")"
		return
	fi
	check_eq "$1: text" "$4 $3 (noorder): $t" "$(status_line "$2" "$3")"
	check_eq "$1: JSON" "$j" "$(json_fields "$2" "$3")"
}

# fua_wr DEV SECTOR NSECT SEED: one O_DIRECT|O_DSYNC write (REQ_FUA).
fua_wr() {
	_pattern "$4" $(($2 * 512)) $(($3 * 512)) |
		dio write --fua "$1" $(($2 * 512)) $(($3 * 512))
}

# flush_dev DEV: fsync(2) on the block device, i.e. one empty FLUSH.
flush_dev() {
	dd if=/dev/null of="$1" conv=fsync,notrunc status=none
}

# zero_rd SECTOR NSECT: zeros on the ramdisk, O_DIRECT.
zero_rd() {
	dd if=/dev/zero bs=512 count="$2" status=none |
		dio write "$rd" $(($1 * 512)) $(($2 * 512))
}

# field DEV NAME: one noorder field through dmstack's JSON (quotes dropped).
field() {
	json_fields "${1%-*}" "$1" | tr ',' '\n' |
		sed -n "s/^\"$2\":\"\{0,1\}\([^\"]*\)\"\{0,1\}$/\1/p"
}

# ---- the table: every feature, accepted by the kernel, round-trips -------
check "create nf: noorder with every feature" \
	dmstack create nf "disk $rd size=8M | noorder flush=honor order=reverse seed=18446744073709551615 cache_mb=4 destage_ms=50"
check_eq "nf-noorder table round-trips" \
	"0 16384 noorder $RD 0 10 flush honor order reverse seed 18446744073709551615 cache_mb 4 destage_ms 50" \
	"$(table nf-noorder)"
dmstack create --dry-run nf2 "disk $rd size=8M | noorder flush=honor order=reverse seed=18446744073709551615 cache_mb=4 destage_ms=50" >dry.txt
check "--dry-run prints that same table" \
	grep -q "'0 16384 noorder $rd 0 10 flush honor order reverse seed 18446744073709551615 cache_mb 4 destage_ms 50'" dry.txt
check "write through it" wr /dev/mapper/nf-noorder 12288 64 $SEED
check "drain" dmstack message nf noorder drain
check "the ramdisk holds it after drain" same "$rd" 12288 64 $SEED
check "remove nf" dmstack remove nf
for f in "flush=ignore" "order=fifo" "order=random seed=0" "cache_mb=1" "cache_mb=1048576 destage_ms=0" "destage_ms=3600000"; do
	if dmstack create nf "disk $rd size=8M | noorder $f" >/dev/null 2>err.txt; then
		w=$(echo "$f" | sed 's/=/ /g')
		nw=$(echo "$w" | wc -w)
		check_eq "noorder $f: the kernel takes it, table round-trips" \
			"0 16384 noorder $RD 0 $nw $w" "$(table nf-noorder)"
		dmstack remove nf
	else
		fail "noorder $f: the kernel takes it"
		diag "$(cat err.txt)"
	fi
done
check "no nf left" stack_gone nf

# ---- disk | noorder flush=honor | faultinj ------------------------------
check "create na: disk | noorder flush=honor | faultinj" \
	dmstack create na "disk $rd | noorder flush=honor | faultinj seed=$SEED"
NA=$(devno /dev/mapper/na-noorder)
check_eq "na-noorder table" "0 $N noorder $RD 0 2 flush honor" "$(table na-noorder)"
check_eq "na-faultinj table" "0 $N faultinj $NA 0 2 seed $SEED" "$(table na-faultinj)"
top=/dev/mapper/na-faultinj
same_status "fresh" na na-noorder 1
check "status: faultinj still by name" sh -c "dmstack status na | grep -q '^2 na-faultinj (faultinj): reads=0 .*crash_state=live'"
dmstack status --json na >na.json
check "status --json is JSON" json_ok na.json
check "status --json: the raw line too" \
	grep -qF "\"status\":\"$(dmsetup status na-noorder | cut -d' ' -f4-)\"" na.json
sed 's/^/# /' na.json

# Writes stay in the cache (honor, no flush yet); reads hit it.
check "write 32 KiB through the top" wr $top 0 64 $SEED
check "and 4 KiB more" wr $top 1024 8 $((SEED + 1))
check "read back through the top" same $top 0 64 $SEED
check "not yet on the ramdisk" zeros "$rd" 0 64
same_status "after writes and a read" na na-noorder 1
check_eq "cached_writes 2" 2 "$(field na-noorder cached_writes)"
check_eq "cached_bytes" $((72 * 512)) "$(field na-noorder cached_bytes)"
check "read_hits counted" test "$(field na-noorder read_hits)" -ge 1
check "FUA write" fua_wr $top 2048 8 $((SEED + 2))
check "flush" flush_dev $top
check "honored: on the ramdisk" same "$rd" 0 64 $SEED
same_status "after FUA and flush" na na-noorder 1
check_eq "flush honor" honor "$(field na-noorder flush)"
check_eq "nothing ignored" "0 0" "$(field na-noorder flushes_ignored) $(field na-noorder fuas_ignored)"
check "log on" dmstack message na noorder log on
check "a write logged" wr $top 4096 8 1
check "another" wr $top 4104 8 2
same_status "with the log on" na na-noorder 1
check_eq "log_state on" on "$(field na-noorder log_state)"
check "log off" dmstack message na noorder log off
check "drain" dmstack message na noorder drain

# The default crash goes to noorder, the volatile cache.
i=0
while [ $i -lt 8 ]; do
	wr $top $((8192 + i * 16)) 8 $((SEED + 10 + i))
	i=$((i + 1))
done
check_eq "8 writes cached" 8 "$(field na-noorder cached_writes)"
# below FIRST: which of the 8 writes from sector FIRST are on the ramdisk.
below() {
	local i=0 s=
	while [ $i -lt 8 ]; do
		if same "$rd" $((8192 + i * 16)) 8 $((SEED + 10 + i)); then s=${s}1
		elif zeros "$rd" $((8192 + i * 16)) 8; then s=${s}0
		else s=${s}x; fi
		i=$((i + 1))
	done
	echo "$s"
}
dmstack --dry-run crash na keep all >dry.txt
check_eq "--dry-run crash: the dmsetup line" "dmsetup message na-noorder 0 crash keep all" "$(cat dry.txt)"
check_eq "--dry-run changed nothing" "live 8" "$(field na-noorder crash_state) $(field na-noorder cached_writes)"
dmstack crash na >out.txt 2>err.txt
ok $? "crash na (no words)"
sed 's/^/#   /' err.txt
check "it says the noorder layer crashed, 0 kept, 8 dropped" \
	grep -q "na-noorder (layer 1, noorder) crashed: 0 of the writes not yet on the device below kept, 8 dropped" err.txt
check_eq "noorder crashed, faultinj live" "crashed live" \
	"$(field na-noorder crash_state) $(fi_stat na-faultinj crash_state)"
check_eq "keep none: nothing below" 00000000 "$(below)"
same_status "crashed" na na-noorder 1
check_fails "I/O fails while crashed" rd $top 0 8
check_err "a second crash: the kernel's refusal" "na-noorder: message 'crash' refused: .*Already crashed" dmstack crash na
dmstack --dry-run revive na >dry.txt
check_eq "--dry-run revive: the dmsetup line" "dmsetup message na-noorder 0 revive" "$(cat dry.txt)"
dmstack revive na >out.txt 2>err.txt
ok $? "revive na"
check "it says what it revived" grep -q "na-noorder (layer 1, noorder) revived (it was crashed)" err.txt
check_eq "live again" live "$(field na-noorder crash_state)"
check "I/O works again" same $top 0 64 $SEED
check_err "revive with nothing crashed" "stack 'na' has no crashed layer" dmstack revive na

# Policies, byte for byte.
crash_with() {	# DESC EXPECT-BELOW KEPT WORDS...
	local d=$1 want=$2 kept=$3 i=0
	shift 3
	# The ramdisk part starts zeroed each round.
	zero_rd 8192 128
	while [ $i -lt 8 ]; do
		wr $top $((8192 + i * 16)) 8 $((SEED + 10 + i))
		i=$((i + 1))
	done
	if ! dmstack crash na "$@" 2>err.txt; then
		fail "$d: crash $*"
		diag "$(cat err.txt)"
		return
	fi
	[ -n "$want" ] && check_eq "$d: below" "$want" "$(below)"
	[ "$kept" != - ] && check_eq "$d: crash_kept crash_dropped" \
		"$kept $((8 - kept))" \
		"$(field na-noorder crash_kept) $(field na-noorder crash_dropped)"
	check "$d: revive" dmstack revive na
}
crash_with "keep all" 11111111 8 keep all
crash_with "keep prefix 3" 11100000 3 keep prefix 3
crash_with "keep none" 00000000 0 keep none seed 1
crash_with "keep random 0" 00000000 0 keep random 0 seed $SEED
crash_with "keep random 1000000" 11111111 8 keep random 1000000
# random 500000: each write whole or not at all, the same for the seed.
crash_with "keep random 500000 seed" "" - keep random 500000 seed $SEED
r1=$(below)
k1=$(printf '%s' "$r1" | tr -cd 1 | wc -c)
diag "keep random 500000 seed $SEED: $r1"
check "random: every write entirely kept or dropped" sh -c "echo $r1 | grep -qx '[01]\{8\}'"
check_eq "random: crash_kept crash_dropped" "$k1 $((8 - k1))" \
	"$(field na-noorder crash_kept) $(field na-noorder crash_dropped)"
crash_with "keep random 500000, same seed again" "$r1" "$k1" keep random 500000 seed $SEED

# faultinj by --layer, or by "after".
check "crash --layer faultinj" dmstack --layer faultinj crash na
check_eq "faultinj crashed, noorder live" "crashed live" \
	"$(fi_stat na-faultinj crash_state) $(field na-noorder crash_state)"
check "revive finds the crashed faultinj" sh -c 'dmstack revive na 2>&1 | grep -q "na-faultinj (layer 2, faultinj) revived (it was crashed)"'
check "crash after 5 goes to faultinj" sh -c 'dmstack crash na after 5 2>&1 | grep -q "na-faultinj (layer 2, faultinj) armed"'
check_eq "faultinj armed" "armed:5" "$(fi_stat na-faultinj crash_state)"
check "revive an armed faultinj" dmstack revive na
check_eq "faultinj live" live "$(fi_stat na-faultinj crash_state)"
check "crash --layer 1 keep all" dmstack --layer 1 crash na keep all
check "revive --layer noorder" dmstack revive --layer noorder na
check_eq "noorder live" live "$(field na-noorder crash_state)"

# Words that do not fit the layer: refused, nothing changed.
bad() {	# DESC ERE ARGS...
	local d=$1 re=$2 st
	shift 2
	dmstack "$@" >out.txt 2>err.txt
	st=$?
	if [ "$st" != 1 ] || ! grep -Eq -- "$re" err.txt; then
		fail "$d"
		diag "exit status $st; stderr: $(cat err.txt)"
	else
		pass "$d"
		sed 's/^/#   /' err.txt
	fi
}
bad "after for a noorder layer" "na-noorder \\(layer 1\\): 'after' is for a faultinj layer, this one is noorder" \
	--layer noorder crash na after 3
bad "keep for a faultinj layer" "na-faultinj \\(layer 2\\): 'keep' and 'seed' are for a noorder layer, this one is faultinj" \
	--layer faultinj crash na keep all
bad "after and keep together" "'after' is faultinj's, 'keep' and 'seed' are noorder's: not both" crash na after 1 keep all
bad "keep with a bad word" "keep takes none, all, prefix <n> or random <ppm>, not half" crash na keep half
bad "keep random out of range" "keep random 1000001: must be a number 0-1000000" crash na keep random 1000001
bad "seed not a number" "seed x: not a number" crash na seed x
bad "crash --layer unknown" "stack 'na' has no layer 'linear'" --layer linear crash na
bad "--layer for status" "--layer is for crash and revive only" --layer noorder status na
check_eq "after the refusals: both live" "live live" \
	"$(field na-noorder crash_state) $(fi_stat na-faultinj crash_state)"
check "remove na" dmstack remove na

# ---- disk | faultinj | noorder: the noorder layer still takes the crash ---
check "create nb: disk | faultinj | noorder flush=ignore" \
	dmstack create nb "disk $rd | faultinj | noorder flush=ignore order=random seed=$SEED"
check "write through nb" wr /dev/mapper/nb-noorder 0 8 $SEED
check "flush (ignored)" flush_dev /dev/mapper/nb-noorder
same_status "flush ignore" nb nb-noorder 2
check_eq "flushes_ignored" 1 "$(field nb-noorder flushes_ignored)"
check_eq "flush ignore" ignore "$(field nb-noorder flush)"
check "crash nb goes to noorder, above faultinj" sh -c 'dmstack crash nb 2>&1 | grep -q "nb-noorder (layer 2, noorder) crashed"'
check_eq "noorder crashed, faultinj live" "crashed live" \
	"$(field nb-noorder crash_state) $(fi_stat nb-faultinj crash_state)"
check "crash nb after 1: faultinj" dmstack crash nb after 1
check "revive nb revives both" sh -c 'dmstack revive nb 2>&1 | grep -c revived | grep -qx 2'
check_eq "both live" "live live" \
	"$(field nb-noorder crash_state) $(fi_stat nb-faultinj crash_state)"
check "remove nb" dmstack remove nb

# ---- noorder only: crash, revive ---------------------------------------------
check "create nc: zero | noorder" dmstack create nc "zero size=8M | noorder"
bad "crash --layer of a layer that cannot" "nc-zero \\(layer 0\\): a zero layer cannot crash" --layer zero crash nc
bad "revive --layer of a layer that cannot" "nc-zero \\(layer 0\\): a zero layer cannot crash or revive" --layer 0 revive nc
check "crash nc keep random 1000 seed 3" dmstack crash nc keep random 1000 seed 3
check_eq "nc crashed" crashed "$(field nc-noorder crash_state)"
check "revive nc" dmstack revive nc
check "remove nc" dmstack remove nc
check_eq "dmsetup ls as at the start" "$before" "$(dm_snapshot)"
ktap_end
