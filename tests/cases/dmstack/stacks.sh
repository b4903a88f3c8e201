#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dmstack builds stacks of 2, 3 and 4 device-mapper layers over a ramdisk,
# mixing dm-faultinj with the kernel's linear, flakey, delay, zero and
# error: the nodes and tables it makes (lengths and offsets computed),
# data written through the top reaching the ramdisk at the computed
# offset, show and status as text and JSON, messages and crash sent to the
# faultinj layers, --dry-run printing dmsetup lines that build the same
# stack, and remove leaving nothing behind.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ds.lib"

ktap_begin
need_module dm-mod brd dm-faultinj dm-flakey dm-delay dm-zero
need_cmd dmstack
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
RD=$(devno "$rd")
N=$(blockdev --getsz "$rd")
before=$(dm_snapshot)
cleanup_push "for s in s2 s3 s4 sz se sd; do dmstack remove --force \$s >/dev/null 2>&1; done"

# ---- 2 layers: disk at an offset | linear | faultinj ------------------------
check "create s2" dmstack create s2 "disk $rd offset=2048 | linear offset=1024 size=16M | faultinj seed=7"
check "node s2-linear" test -b /dev/mapper/s2-linear
check "node s2-faultinj" test -b /dev/mapper/s2-faultinj
LIN=$(devno /dev/mapper/s2-linear)
check_eq "s2-linear table" "0 32768 linear $RD 3072" "$(table s2-linear)"
check_eq "s2-faultinj table" "0 32768 faultinj $LIN 0 2 seed 7" "$(table s2-faultinj)"
check_eq "s2-linear uuid" "DMSTACK-s2-01-linear" "$(dmsetup info -c --noheadings -o uuid s2-linear)"
check "write 64 KiB through the top" write_top /dev/mapper/s2-faultinj 65536 $SEED
check "ramdisk holds it at sector 3072" at_offset $SEED 65536 "$rd" $((3072 * 512))
dmstack show s2 >show.txt 2>&1
check "show lists both layers and the disk" grep -q "s2-faultinj" show.txt
check "show: the linear layer's table" grep -q "s2-linear .*linear $RD 3072" show.txt
check "show: the disk at the bottom" grep -q "$rd" show.txt
cat show.txt | sed 's/^/# /'
dmstack show --json s2 >show.json
check "show --json is JSON" json_ok show.json
check "show --json names the faultinj layer" grep -q '"device":"s2-faultinj"' show.json
dmstack status s2 >status.txt
check "status: faultinj fields by name" grep -q "s2-faultinj (faultinj): reads=[0-9]* writes=[0-9]* .*crash_state=live" status.txt
dmstack status --json s2 >status.json
check "status --json is JSON" json_ok status.json
check "status --json: faultinj crash_state" grep -q '"crash_state":"live"' status.json
sed 's/^/# /' status.txt
check "message: rule add" dmstack message s2 faultinj rule add 1 write drop sectors 8 8
check "message reply: rule list" sh -c 'dmstack message s2 s2-faultinj rule list | grep -q "^1 write drop sectors 8 8"'
check "write again through the top" write_top /dev/mapper/s2-faultinj 65536 $((SEED + 1))
check_eq "faultinj dropped one write" 1 "$(fi_stat s2-faultinj dropped)"
check "status shows the rule fired" sh -c 'dmstack status s2 | grep -q "dropped=1 .*rule_fired=1:1"'
check "crash" dmstack crash s2
check_eq "faultinj crashed" crashed "$(fi_stat s2-faultinj crash_state)"
check "remove --dry-run changes nothing" sh -c 'dmstack remove --dry-run s2 >rm.txt && test -b /dev/mapper/s2-faultinj'
check_eq "remove --dry-run lines" "dmsetup remove s2-faultinj
dmsetup remove s2-linear" "$(cat rm.txt)"
check "remove s2" dmstack remove s2
check "s2 gone" stack_gone s2
check "no node left" test ! -e /dev/mapper/s2-faultinj
check_eq "dmsetup ls as before" "$before" "$(dm_snapshot)"

# ---- 3 layers from a file: faultinj | flakey | delay -------------------------
cat >s3.spec <<SPEC
# three layers over the ramdisk
disk $rd            # bottom
faultinj seed=1 block_size=4096
| flakey up=60 down=0
delay ms=0 write_ms=1   # reads at once, writes 1 ms late
SPEC
check "create s3 -f FILE" dmstack create s3 -f s3.spec
FI=$(devno /dev/mapper/s3-faultinj)
FL=$(devno /dev/mapper/s3-flakey)
check_eq "s3-faultinj table" "0 $N faultinj $RD 0 4 seed 1 block_size 4096" "$(table s3-faultinj)"
check_eq "s3-flakey table" "0 $N flakey $FI 0 60 0 0" "$(table s3-flakey)"
check_eq "s3-delay table (separate write delay)" "0 $N delay $FL 0 0 $FL 0 1" "$(table s3-delay)"
check "write through three layers" write_top /dev/mapper/s3-delay 131072 $SEED
check "ramdisk holds it at sector 0" at_offset $SEED 131072 "$rd" 0
check "message by layer index" sh -c 'dmstack message s3 1 rule add 5 read error sectors 0 8 times 1'
check_fails "the read error fires" dd if=/dev/mapper/s3-delay of=/dev/null bs=4096 count=1 iflag=direct status=none
check_eq "faultinj errored one" 1 "$(fi_stat s3-faultinj errored)"
check "flakey layer status shown raw" sh -c 'dmstack status s3 | grep -q "^2 s3-flakey (flakey):"'
dmstack status --json s3 >s3.json
check "status --json of 3 layers is JSON" json_ok s3.json
check "crash s3" dmstack crash s3
check_eq "faultinj under flakey crashed" crashed "$(fi_stat s3-faultinj crash_state)"
check "remove s3" dmstack remove s3
check "s3 gone" stack_gone s3

# ---- 4 layers: linear | faultinj | delay | faultinj --------------------------
check "create s4" dmstack create s4 "disk $rd offset=1M | linear | faultinj seed=3 | delay ms=0 | faultinj seed=4 offset=8"
L4=$(devno /dev/mapper/s4-linear)
D4=$(devno /dev/mapper/s4-delay)
check_eq "s4-linear table" "0 $((N - 2048)) linear $RD 2048" "$(table s4-linear)"
check_eq "s4-delay table" "0 $((N - 2048)) delay $(devno /dev/mapper/s4-faultinj) 0 0" "$(table s4-delay)"
check_eq "second faultinj is s4-faultinj2" "0 $((N - 2056)) faultinj $D4 8 2 seed 4" "$(table s4-faultinj2)"
check "write through four layers" write_top /dev/mapper/s4-faultinj2 65536 $SEED
check "ramdisk holds it at sector 2056" at_offset $SEED 65536 "$rd" $((2056 * 512))
dmstack show s4 >s4.txt
check "show: four layers and the disk" test "$(grep -c "^[0-4] " s4.txt)" = 5
sed 's/^/# /' s4.txt
check "message to faultinj2" dmstack message s4 faultinj2 rule add 2 write drop
check "crash goes to the lowest faultinj" sh -c 'dmstack crash s4 2>&1 | grep -q "s4-faultinj (layer 2"'
check_eq "lowest faultinj crashed" crashed "$(fi_stat s4-faultinj crash_state)"
check_eq "upper faultinj live" live "$(fi_stat s4-faultinj2 crash_state)"
check "list shows s4" sh -c 'dmstack list | grep -q "^s4: s4-linear s4-faultinj s4-delay s4-faultinj2$"'
dmstack list --json >list.json
check "list --json is JSON" json_ok list.json
check "remove s4" dmstack remove s4
check "s4 gone" stack_gone s4

# ---- sources: zero and error at the bottom ------------------------------------
check "create sz: zero | faultinj | linear" dmstack create sz "zero size=8M | faultinj | linear offset=8"
check_eq "sz-zero table" "0 16384 zero" "$(table sz-zero)"
check_eq "sz-linear table" "0 16376 linear $(devno /dev/mapper/sz-faultinj) 8" "$(table sz-linear)"
check_eq "reads zeros" "0000000000000000" "$(bytes_at /dev/mapper/sz-linear 0 8)"
check "remove sz" dmstack remove sz
check "create se: error | flakey" dmstack create se "error size=1M | flakey up=1 down=0 drop_writes"
check_eq "se-flakey table" "0 2048 flakey $(devno /dev/mapper/se-error) 0 1 0 1 drop_writes" "$(table se-flakey)"
check_fails "reads fail" dd if=/dev/mapper/se-flakey of=/dev/null bs=4096 count=1 iflag=direct status=none
check "remove se" dmstack remove se

# ---- --dry-run prints dmsetup lines that build the same stack ---------------
dmstack create --dry-run sd "disk $rd | faultinj seed=9 | linear size=4M" >dry.txt
check "dry-run created nothing" stack_gone sd
sed 's/^/# /' dry.txt
check_eq "dry-run: two dmsetup create lines" 2 "$(grep -c "^dmsetup create sd-" dry.txt)"
check "the printed commands run" sh -e dry.txt
check "dmsetup mknodes" dmsetup mknodes
check_eq "their stack is the same" "0 8192 linear $(devno /dev/mapper/sd-faultinj) 0" "$(table sd-linear)"
check "dmstack finds and removes it" dmstack remove sd
check "sd gone" stack_gone sd
check_eq "dmsetup ls as at the start" "$before" "$(dm_snapshot)"
ktap_end
