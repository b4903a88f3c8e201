#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
#
# dmstack with udev running (the guest has none otherwise): this case
# starts systemd-udevd with the Debian block and device-mapper rules and
# runs dmstack without DM_DISABLE_UDEV, so that libdevmapper synchronises
# with udev through cookies.  A 3-layer stack: its /dev/mapper entries are
# udev's symlinks to ../dm-N (dmstack's own fallback makes block nodes),
# libdm waited for the cookie and fell back to nothing, data written
# through the top reaches the ramdisk, no cookie is left pending after
# create and remove, remove leaves no entry; a layer the kernel refuses
# leaves no device, node or cookie.  udevd is stopped at the end, and a
# stack made afterwards gets block nodes again, as in the other cases.
# timeout: 300
. "${0%/*}/../lib.sh"
. "${0%/*}/ds.lib"

UDEVD=/lib/systemd/systemd-udevd

ktap_begin
[ -x "$UDEVD" ] && [ -x /bin/udevadm ] || skip_all "no systemd-udevd in the guest"
[ -f /lib/udev/rules.d/55-dm.rules ] || skip_all "no 55-dm.rules in the guest"
need_module dm-mod brd dm-faultinj dm-delay
need_cmd dmstack
seed_init

rd=$(ramdisk 64) || bail "no ramdisk"
before=$(dm_snapshot)

# dmstack with udev synchronisation: DM_DISABLE_UDEV unset, and a time
# limit so that a cookie nobody completes fails a point instead of the case.
ustack() {
	(unset DM_DISABLE_UDEV; exec timeout 60 /usr/local/bin/dmstack "$@")
}

# Pending udev cookies (dmsetup udevcookies lists one "0x..." line each
# under its "Cookie ..." header); "error" when it does not answer.
cookies() {
	(unset DM_DISABLE_UDEV; dmsetup udevcookies) >cookies.txt 2>&1
	if [ $? != 0 ] || ! grep -q '^Cookie' cookies.txt; then
		sed 's/^/# udevcookies: /' cookies.txt >&2
		echo error
		return
	fi
	grep -c '^0x' cookies.txt
}

# cookie_log LOG: libdm's cookie lines of a DMSTACK_DEBUG=1 run, as
# diagnostics; "waited=W created=C destroyed=D" counts them.
cookie_log() {
	grep 'Udev cookie' "$1" | sed 's/^/# /' >&2
	echo "waited=$(grep -c 'Udev cookie 0x[0-9a-f]* (semid [0-9]*) waiting for zero' "$1")" \
		"created=$(grep -c 'Udev cookie 0x[0-9a-f]* (semid [0-9]*) created' "$1")" \
		"destroyed=$(grep -c 'Udev cookie 0x[0-9a-f]* (semid [0-9]*) destroyed' "$1")"
}

# mapper_entries NAME: the /dev/mapper entries of stack NAME.
mapper_entries() {
	local f
	for f in /dev/mapper/"$1"-*; do
		[ -e "$f" ] || [ -L "$f" ] && echo "${f#/dev/mapper/}"
	done
	return 0
}

# made_by_udev DEV: /dev/mapper/DEV is udev's symlink to ../dm-<minor>.
made_by_udev() {
	local l m
	l=$(readlink "/dev/mapper/$1") || { echo "not a symlink: $(ls -l "/dev/mapper/$1" 2>&1)"; return 1; }
	m=$(dmsetup info -c --noheadings -o minor "$1" | tr -d ' ') || return 1
	[ "$l" = "../dm-$m" ] || { echo "/dev/mapper/$1 -> $l, expected ../dm-$m"; return 1; }
	[ -b "/dev/mapper/$1" ]
}

udevd_stop() {
	local p i
	p=$(cat /tmp/rig-udevd.pid 2>/dev/null) || return 0
	/bin/udevadm control --exit 2>/dev/null
	i=0
	while kill -0 "$p" 2>/dev/null && [ $i -lt 50 ]; do
		sleep 0.1
		i=$((i + 1))
	done
	kill -KILL "$p" 2>/dev/null
	rm -rf /run/udev /tmp/rig-udevd.pid
	# Any cookie left by a dmstack that timed out.
	dmsetup udevcomplete_all -y >/dev/null 2>&1
	return 0
}

cleanup_push udevd_stop
cleanup_push "for s in u3 uf ub; do dmstack remove --force \$s >/dev/null 2>&1; done"

# ---- start udevd -------------------------------------------------------------
rm -rf /run/udev
"$UDEVD" --daemon >udevd.log 2>&1
st=$?
i=0
while [ ! -S /run/udev/control ] && [ $i -lt 100 ]; do
	sleep 0.1
	i=$((i + 1))
done
pid=$(pidof systemd-udevd | tr ' ' '\n' | sort -n | head -n 1)
[ -n "$pid" ] && echo "$pid" >/tmp/rig-udevd.pid
if [ $st != 0 ] || [ ! -S /run/udev/control ] || [ -z "$pid" ]; then
	sed 's/^/# /' udevd.log
	bail "systemd-udevd did not start (status $st)"
fi
pass "systemd-udevd running (pid $pid)"
udevadm trigger --action=add --subsystem-match=block
check "udevadm settle after the block trigger" udevadm settle --timeout=60
check_eq "no udev cookie pending at the start" 0 "$(cookies)"

# ---- a 3-layer stack, nodes by udev ---------------------------------------
# DMSTACK_DEBUG=1: libdm's debug messages too, to see what it waited for.
(DMSTACK_DEBUG=1; export DMSTACK_DEBUG
 ustack create u3 "disk $rd | linear | faultinj seed=1 | delay ms=0") >create.out 2>debug.log
ok $? "create u3 with udev synchronisation"
grep -v 'libdm: ' debug.log | sed 's/^/# /'
check_eq "create prints the top" "/dev/mapper/u3-delay" "$(cat create.out)"
check_eq "libdm waited for a cookie per layer, udev completed each" \
	"waited=3 created=3 destroyed=3" "$(cookie_log debug.log)"
check "libdm made no node itself" sh -c '! grep -Ei "falling back|not set up by udev|Created /dev/mapper" debug.log'
check_eq "no udev cookie pending after create" 0 "$(cookies)"
check_eq "three /dev/mapper entries" "u3-delay
u3-faultinj
u3-linear" "$(mapper_entries u3)"
for l in linear faultinj delay; do
	check "u3-$l made by udev (symlink to its dm-N)" made_by_udev "u3-$l"
done
check "udev database: DM_NAME and the dm rules' version" sh -c \
	'udevadm info -q property -n /dev/mapper/u3-delay | grep -q "^DM_NAME=u3-delay$" &&
	 udevadm info -q property -n /dev/mapper/u3-delay | grep -q "^DM_UDEV_RULES_VSN=2$"'
check "udev's by-id link to the top" test -L /dev/disk/by-id/dm-name-u3-delay
check_eq "u3-faultinj uuid" "DMSTACK-u3-02-faultinj" "$(dmsetup info -c --noheadings -o uuid u3-faultinj)"
check "write 128 KiB through the top" write_top /dev/mapper/u3-delay 131072 $SEED
check "ramdisk holds it at sector 0" at_offset $SEED 131072 "$rd" 0

(DMSTACK_DEBUG=1; export DMSTACK_DEBUG; ustack remove u3) >rm.out 2>rm.log
ok $? "remove u3 with udev synchronisation"
grep -v 'libdm: ' rm.log | sed 's/^/# /'
check_eq "remove: a cookie per layer, each completed" \
	"waited=3 created=3 destroyed=3" "$(cookie_log rm.log)"
check_eq "no udev cookie pending after remove" 0 "$(cookies)"
check "u3 gone" stack_gone u3
check_eq "no /dev/mapper entry left" "" "$(mapper_entries u3)"
check "no by-id link left" test ! -e /dev/disk/by-id/dm-name-u3-delay

# ---- all or nothing: a layer the kernel refuses ---------------------------
(DMSTACK_DEBUG=1; export DMSTACK_DEBUG
 ustack create uf "disk $rd | linear | faultinj block_size=1000") >uf.out 2>uf.log
check_eq "uf: exit status 1" 1 "$?"
grep -v 'libdm: ' uf.log >uf.err
sed 's/^/# /' uf.err
# linear created; faultinj created, refused, removed by libdm; linear removed
check_eq "uf: every cookie waited for and completed" \
	"waited=3 created=3 destroyed=3" "$(cookie_log uf.log)"
check "uf: the kernel's reason" grep -q "layer 2 (faultinj) failed: .*block_size" uf.err
check "uf: the layer below removed again" grep -q "removed the 1 device below it again" uf.err
check_eq "uf: no udev cookie pending" 0 "$(cookies)"
check "uf: no device left" stack_gone uf
check "udevadm settle" udevadm settle --timeout=60
check_eq "uf: no /dev/mapper entry left (after settle)" "" "$(mapper_entries uf)"
check_eq "dmsetup ls as at the start" "$before" "$(dm_snapshot)"

# ---- udev stopped: the fallback of the other cases -------------------------
udevd_stop
check "udevd stopped" test ! -e /run/udev/control
check "create ub without udev" dmstack create ub "disk $rd | linear | delay ms=0"
check "ub-delay is a block node made by libdm" sh -c 'test -b /dev/mapper/ub-delay && test ! -L /dev/mapper/ub-delay'
check "remove ub" dmstack remove ub
check_eq "no /dev/mapper entry left" "" "$(mapper_entries ub)"
check_eq "dmsetup ls as at the start" "$before" "$(dm_snapshot)"
ktap_end
