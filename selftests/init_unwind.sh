#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Each step of module init made to fail (init_fail_at=, test builds only):
# insmod fails with ENOMEM, and nothing the earlier steps made is left: no
# /dev/vmar_race, no /proc/vmar_race, no filesystem type, no debugfs
# directory, no slab cache; then a plain insmod works. kmemleak, where the
# kernel has it, must find nothing. Unloads the module first and loads it
# back (with its parameters as they were) and mounts it at the end.
#   init_unwind.sh [KO]   (default /lib/vmar_race/vmar_race.ko)
set -e
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: init_unwind.sh [KO]
In the test VM's guest, with vmar_race loaded: make each step of module
init fail in turn (init_fail_at=, test builds of KO only; default
/lib/vmar_race/vmar_race.ko) and check that insmod fails with ENOMEM and
leaves nothing behind; then load KO with its former parameters and mount it.
Skips (exit 0) when KO is not a test build.
  -h, --help  print this help and exit
Exit status: 0 ok or skipped, 1 a check failed, 64 usage error (KO not
readable, more than one argument); another non-zero status: a command failed.
EOT
	exit 0 ;;
esac
[ $# -le 1 ] || { echo "init_unwind.sh: one argument at most; see --help" >&2; exit 64; }
ko=${1:-/lib/vmar_race/vmar_race.ko}
root=/proc/vmar_race
fail() { echo "init_unwind: FAIL: $*" >&2; exit 1; }
[ -r "$ko" ] || { echo "init_unwind.sh: no readable module $ko; see --help" >&2; exit 64; }
if ! grep -q 'parm=init_fail_at:' "$ko"; then
	echo "init_unwind: skip: $ko is not a test build (no init_fail_at)"
	exit 0
fi
params=
for p in /sys/module/vmar_race/parameters/*; do
	n=${p##*/}
	[ "$n" = init_fail_at ] && continue
	params="$params $n=$(cat "$p")"
done
grep -q " $root vmar_race " /proc/mounts && umount $root
rmmod vmar_race
for step in registry ctl fs; do
	if insmod "$ko" init_fail_at=$step 2>/tmp/insmod.err; then
		fail "insmod with init_fail_at=$step succeeded"
	fi
	grep -q 'Cannot allocate memory\|No memory\|Out of memory' /tmp/insmod.err ||
		fail "init_fail_at=$step: $(cat /tmp/insmod.err)"
	[ ! -e /sys/module/vmar_race ] || fail "$step: module still there"
	[ ! -e /dev/vmar_race ] || fail "$step: /dev/vmar_race left behind"
	[ ! -e $root ] || fail "$step: $root left behind"
	! grep -qw vmar_race /proc/filesystems || fail "$step: filesystem type left behind"
	[ ! -e /sys/kernel/debug/vmar_race ] || fail "$step: debugfs directory left behind"
	[ ! -e /sys/kernel/slab/vr_vmar ] || fail "$step: slab cache vr_vmar left behind"
	echo "init_unwind: init_fail_at=$step: insmod failed cleanly"
done
if insmod "$ko" init_fail_at=nosuchstep 2>/tmp/insmod.err; then
	fail "init_fail_at=nosuchstep was accepted"
fi
# shellcheck disable=SC2086
insmod "$ko" $params
mount -t vmar_race vmar_race $root
if [ -w /sys/kernel/debug/kmemleak ]; then
	echo scan >/sys/kernel/debug/kmemleak
	echo scan >/sys/kernel/debug/kmemleak
	if grep -q vmar_race /sys/kernel/debug/kmemleak; then
		cat /sys/kernel/debug/kmemleak >&2
		fail "kmemleak: leaks from vmar_race"
	fi
fi
echo "init_unwind: ok"
