#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload with unreaped zombies, an open status file and the filesystem
# mounted: rmmod and umount refuse (the mount and the open file pin the
# module), the held file still reads the zombie; once it is closed, umount
# refuses no more, but an open debugfs file still pins the module; once
# that is closed, rmmod frees everything, and the module loads and mounts
# again. For either module (VMAR_RACE_MODULE, as vm.sh sets it).
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: unload.sh
In the test VM's guest, with vmar_race (or VMAR_RACE_MODULE) loaded and
mounted: unload with unreaped zombies, an open status file and the
filesystem mounted (rmmod and umount must refuse, the held file still reads
the zombie), then close it and umount; rmmod must refuse while a debugfs
file (stats, pause) is open; then rmmod (everything freed), and load and
mount the module again.
  -h, --help  print this help and exit
Exit status: 0 ok, 64 usage error (any argument but --help), any other
non-zero status: a check failed.
EOT
	exit 0 ;;
esac
[ $# -eq 0 ] || { echo "unload.sh: no arguments expected; see --help" >&2; exit 64; }
set -e
cd "$(dirname "$0")"
m=${VMAR_RACE_MODULE:-vmar_race}
root=/proc/$m dbg=/sys/kernel/debug/$m
mounted() { grep -q " $root $m " /proc/mounts; }
# rmmod must fail and leave the module loaded: $1 says what pins it.
rmmod_refused() {
	if rmmod $m 2>/tmp/rmmod.err; then
		echo "unload: rmmod succeeded with $1" >&2
		exit 1
	fi
	[ -d /sys/module/$m ] || { echo "unload: module gone after a failed rmmod" >&2; exit 1; }
	echo "unload: rmmod with $1: $(cat /tmp/rmmod.err)"
}
./repro -r 5 -L -P 0 >/dev/null
pid=$(ls $root | head -n1)
exec 4<"$root/$pid/status"
grep -q '^zombie *5$' $dbg/stats
rmmod_refused "$root mounted"
if umount $root 2>/tmp/umount.err; then
	echo "unload: umount succeeded with a file open" >&2
	exit 1
fi
echo "unload: umount with a file open: $(cat /tmp/umount.err)"
grep -q '^State:.Z (zombie)$' <&4
exec 4<&-
umount $root
! mounted
# A debugfs file's operations are the module's: an open one pins it (its
# release after an unload would run freed code).
exec 5<$dbg/stats
rmmod_refused "$dbg/stats open"
grep -q '^zombie *5$' <&5
exec 5<&-
exec 5>$dbg/pause
rmmod_refused "$dbg/pause open"
exec 5>&-
rmmod $m
if [ $m = vmar_race ]; then
	dmesg | grep -q 'vmar_race: unloaded: spawned=5 reaped=5 vmars_alive=0'
else
	dmesg | grep -q 'vmar_race_rs: unloaded with 5 pprocs not reaped'
fi
insmod /lib/vmar_race/$m.ko
mount -t $m $m $root
umount $root
rmmod $m
insmod /lib/vmar_race/$m.ko
mount -t $m $m $root
echo "unload: ok"
