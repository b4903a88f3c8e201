#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dmstack refuses bad input: malformed specs, unknown layers and options,
# missing devices, sizes and offsets past the end, misplaced layers, names
# in use, layers the kernel refuses (its reason shown, the layers below
# removed again), removal of a mounted
# stack, messages to unknown layers, crash words without the layer they
# are for.  Each: exit status 1, a clear message
# on stderr, and the device-mapper devices exactly as before.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ds.lib"

ktap_begin
need_module dm-mod brd dm-faultinj dm-flakey ext4
need_cmd dmstack
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
cleanup_push "umount /tmp/case/mnt 2>/dev/null; for s in t1 t2 t3 m1 k1; do dmstack remove --force \$s >/dev/null 2>&1; done; dm_gone t2-linear"

# bad DESC ERE ARGS...: dmstack ARGS exits 1, says /ERE/ on stderr, and
# leaves the device-mapper devices as they were.
bad() {
	local d=$1 re=$2 st before after
	shift 2
	before=$(dm_snapshot)
	dmstack "$@" >out.txt 2>err.txt
	st=$?
	after=$(dm_snapshot)
	if [ "$st" != 1 ]; then
		fail "$d: exit status 1"
		diag "exit status $st; stderr: $(cat err.txt)"
	elif ! grep -Eq -- "$re" err.txt; then
		fail "$d: message"
		diag "expected /$re/, got: $(cat err.txt)"
	elif [ "$before" != "$after" ]; then
		fail "$d: devices unchanged"
		diag "before: $before"
		diag "after: $after"
	else
		pass "$d"
		sed 's/^/#   /' err.txt
	fi
}

# ---- the spec --------------------------------------------------------------
bad "empty spec" "empty spec" create t1 ""
printf '# nothing\n\n   # but comments\n' >empty.spec
bad "spec file with comments only" "empty spec" create t1 -f empty.spec
bad "spec file missing" "nope.spec: No such file" create t1 -f nope.spec
bad "unknown layer" "layer 1: unknown layer 'foo' \\(known: disk, zero" create t1 "disk $rd | foo"
bad "unknown option" "layer 1 \\(faultinj\\): unknown option 'sed' \\(known: offset, size, seed, block_size\\)" create t1 "disk $rd | faultinj sed=1"
bad "option without value" "option 'seed' needs a value" create t1 "disk $rd | faultinj seed"
bad "option with an empty value" "option 'seed' has no value" create t1 "disk $rd | faultinj seed="
bad "option given twice" "option 'seed' given twice" create t1 "disk $rd | faultinj seed=1 seed=2"
bad "number that is not one" "seed=x1: not a number" create t1 "disk $rd | faultinj seed=x1"
bad "word not in the list" "flush=maybe: must be one of ignore\\|honor" create t1 "disk $rd | noorder flush=maybe"
bad "bad size suffix" "size=12Q: not a size" create t1 "disk $rd | linear size=12Q"
bad "bad flag value" "drop_writes=maybe: a flag" create t1 "disk $rd | flakey up=1 drop_writes=maybe"
bad "flakey without up=" "layer 1 \\(flakey\\): needs up=" create t1 "disk $rd | flakey down=1"
bad "missing disk path" "layer 0 \\(disk\\): needs a device path" create t1 "disk | linear"
bad "empty layer between pipes" "empty layer before '\\|'" create t1 "disk $rd || linear"
bad "spec ending with a pipe" "ends with '\\|'" create t1 "disk $rd | linear |"
bad "bottom layer with nothing below" "layer 0 \\(linear\\): has no device below" create t1 "linear | faultinj"
bad "source above the bottom" "layer 1 \\(zero\\): can only be the bottom layer" create t1 "disk $rd | zero size=1M"
bad "a disk alone" "nothing to create" create t1 "disk $rd"
bad "subsist not on top" "layer 1 \\(subsist\\): must be the top layer" create t1 "disk $rd | subsist vdisks=2 | linear"
bad "subsist vdisks=0" "vdisks=0: out of range \\(1-14\\)" create t1 "disk $rd | subsist vdisks=0"
bad "subsist vdisks=15 (dm-subsist's limit is 14)" "vdisks=15: out of range \\(1-14\\)" create t1 "disk $rd | subsist vdisks=15"
bad "subsist block_size=8192" "block_size=8192: must be one of 512\\|1024\\|2048\\|4096" create t1 "disk $rd | subsist vdisks=2 block_size=8192"
bad "subsist merge=none vdisks that do not fit" "merge=none: 2 vdisks of 393216 sectors do not fit in the device below \\(524288 sectors\\)" \
	create t1 "disk $rd | subsist vdisks=2 merge=none vdisk_size=192M"
bad "subsist without vdisks" "needs vdisks=" create t1 "disk $rd | subsist hash=crc32c"
printf 'disk %s\nlinear\nfaultinj bogus=1\n' "$rd" >bogus.spec
bad "line number in a spec file" "line 3: layer 2 \\(faultinj\\): unknown option 'bogus'" \
	create t1 -f bogus.spec

# ---- devices, sizes, names -----------------------------------------------
bad "nonexistent device" "/dev/nonexistent: No such file or directory" create t1 "disk /dev/nonexistent | linear"
bad "not a block device" "/etc/passwd: not a block device" create t1 "disk /etc/passwd | linear"
bad "dry-run of a nonexistent device" "No such file" create --dry-run t1 "disk /dev/nonexistent | linear"
bad "size past the end" "layer 1 \\(linear\\): offset 0 \\+ size 614400 is past the end of the device below \\(524288 sectors\\)" \
	create t1 "disk $rd | linear size=300M"
bad "offset past the end" "layer 2 \\(faultinj\\): offset 9000 is past the end of the device below \\(8192 sectors\\)" \
	create t1 "disk $rd | linear size=4M | faultinj offset=9000"
bad "disk offset past the end" "layer 0 \\(disk\\): offset 2097152 is past the end of $rd" create t1 "disk $rd offset=1G | linear"
bad "invalid name" "invalid stack name 'a/b'" create a/b "disk $rd | linear"
bad "name too long" "longer than 64" create "$(printf '%070d' 0)" "disk $rd | linear"
check "create t1" dmstack create t1 "disk $rd | linear size=8M"
bad "stack name in use" "stack 't1' already exists" create t1 "disk $rd | faultinj"
check "a plain dm device t2-linear" dm_create t2-linear "0 8 zero"
bad "device name in use" "device 't2-linear' already exists: layer 1" create t2 "disk $rd | linear"

# ---- the kernel refuses ------------------------------------------------------
bad "faultinj block_size=1000: the kernel's reason, lower layers removed" \
	"layer 2 \\(faultinj\\) failed: block_size must be a power of two.*\\(Invalid argument\\)" \
	create k1 "disk $rd | linear | faultinj block_size=1000"
grep -q "removed the 1 device below it again" err.txt; ok $? "says the layer below was removed"
check "no k1 device left" stack_gone k1
# dm-flakey's own check: up + down must not be 0 (dmstack passes 0 on).
bad "flakey up=0 down=0: the kernel's reason, two lower layers removed" \
	"layer 3 \\(flakey\\) failed: Total \\(up \\+ down\\) interval is zero \\(Invalid argument\\)" \
	create k1 "disk $rd | linear | faultinj | flakey up=0"
grep -q "removed the 2 devices below it again" err.txt; ok $? "says both layers below were removed"
check "no k1 device left after the flakey refusal" stack_gone k1
bad "flakey features in conflict: the kernel's reason" \
	"layer 1 \\(flakey\\) failed: Feature error_writes conflicts with feature drop_writes" \
	create k1 "disk $rd | flakey up=1 drop_writes error_writes"

# ---- existing stacks ---------------------------------------------------------
bad "show of an unknown stack" "no stack 'nope'" show nope
bad "message to an unknown layer" "stack 't1' has no layer 'faultinj' \\(layers: t1-linear\\)" message t1 faultinj crash
bad "message the target refuses" "t1-linear: message 'hello' refused" message t1 linear hello
bad "crash without faultinj or noorder" "stack 't1' has no layer that can crash" crash t1
bad "crash keep without noorder" "stack 't1' has no noorder layer \\(keep and seed are noorder's crash policy\\)" crash t1 keep all
bad "crash after without faultinj" "stack 't1' has no faultinj layer \\(after is faultinj's\\)" crash t1 after 3
bad "crash with an unknown word" "crash: unexpected 'now'" crash t1 now
bad "crash --layer of a linear layer" "t1-linear \\(layer 1\\): a linear layer cannot crash" --layer linear crash t1
bad "revive without a crashed layer" "stack 't1' has no crashed layer" revive t1
bad "--layer without a layer" "--layer needs a layer" crash t1 --layer
bad "unknown command" "unknown command 'explode'" explode t1
bad "create without a spec" "usage: dmstack create NAME SPEC" create t1
check "remove t1" dmstack remove t1
check "create t3" dmstack create t3 "disk $rd | faultinj"
bad "message faultinj refuses: its reason from the kernel log" \
	"t3-faultinj: message 'rule add 1 write drop sectors 999999999 8' refused: faultinj: .*sectors range empty or past the device end \\(Invalid argument\\)" \
	message t3 faultinj rule add 1 write drop sectors 999999999 8
check_eq "no rule added" 0 "$(fi_stat t3-faultinj nr_rules)"
check "remove t3" dmstack remove t3

check "create m1" dmstack create m1 "disk $rd | faultinj | linear"
check "mkfs on m1" mke2fs -q -F /dev/mapper/m1-linear
mkdir -p /tmp/case/mnt
check "mount m1" mount -t ext2 /dev/mapper/m1-linear /tmp/case/mnt
bad "remove of a mounted stack" "m1-linear is in use \\(open count 1, mounted on /tmp/case/mnt\\)" remove m1
check "m1 still complete" test -b /dev/mapper/m1-linear -a -b /dev/mapper/m1-faultinj
dmstack remove --force m1 >out.txt 2>err.txt
ok $? "remove --force of a mounted stack"
sed 's/^/#   /' err.txt
check "it says what it left" grep -q "left in place (removed when no longer open): m1-linear m1-faultinj" err.txt
check "umount" umount /tmp/case/mnt
sleep 0.5
check "deferred removal done after umount" stack_gone m1
ktap_end
