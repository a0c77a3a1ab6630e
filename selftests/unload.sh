#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload with unreaped zombies, an open status file and the filesystem
# mounted: rmmod and umount refuse (the mount and the open file pin the
# module), the held file still reads the zombie; once it is closed, umount
# and rmmod free everything, and the module loads and mounts again.
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: unload.sh
In the test VM's guest, with vmar_race loaded and mounted: unload with
unreaped zombies, an open status file and the filesystem mounted (rmmod and
umount must refuse, the held file still reads the zombie), then close it,
umount and rmmod (everything freed), and load and mount the module again.
  -h, --help  print this help and exit
Exit status: 0 ok, 64 usage error (any argument but --help), any other
non-zero status: a check failed.
EOT
	exit 0 ;;
esac
[ $# -eq 0 ] || { echo "unload.sh: no arguments expected; see --help" >&2; exit 64; }
set -e
cd "$(dirname "$0")"
root=/proc/vmar_race
mounted() { grep -q " $root vmar_race " /proc/mounts; }
./repro -r 5 -L -P 0 >/dev/null
pid=$(ls $root | head -n1)
exec 4<"$root/$pid/status"
grep -q '^zombie *5$' /sys/kernel/debug/vmar_race/stats
if rmmod vmar_race 2>/tmp/rmmod.err; then
	echo "unload: rmmod succeeded with $root mounted" >&2
	exit 1
fi
[ -d /sys/module/vmar_race ] || { echo "unload: module gone after a failed rmmod" >&2; exit 1; }
echo "unload: rmmod while mounted: $(cat /tmp/rmmod.err)"
if umount $root 2>/tmp/umount.err; then
	echo "unload: umount succeeded with a file open" >&2
	exit 1
fi
echo "unload: umount with a file open: $(cat /tmp/umount.err)"
grep -q '^State:.Z (zombie)$' <&4
exec 4<&-
umount $root
! mounted
rmmod vmar_race
dmesg | grep -q 'vmar_race: unloaded: spawned=5 reaped=5 vmars_alive=0'
insmod /lib/vmar_race/vmar_race.ko
mount -t vmar_race vmar_race $root
umount $root
rmmod vmar_race
insmod /lib/vmar_race/vmar_race.ko
mount -t vmar_race vmar_race $root
echo "unload: ok"
