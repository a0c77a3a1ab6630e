#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# rmmod with unreaped zombies and an open status file: everything is freed,
# the open file then fails with EIO, and the module loads again.
set -e
cd "$(dirname "$0")"
./repro -r 5 -L -P 0 >/dev/null
pid=$(ls /proc/vmar_race | head -n1)
exec 4<"/proc/vmar_race/$pid/status"
grep -q '^zombie *5$' /sys/kernel/debug/vmar_race/stats
rmmod vmar_race
if cat <&4 >/dev/null 2>&1; then
	echo "unload: reading a removed status file succeeded" >&2
	exit 1
fi
dmesg | grep -q 'vmar_race: unloaded: spawned=5 reaped=5 vmars_alive=0'
insmod /lib/vmar_race/vmar_race.ko
rmmod vmar_race
insmod /lib/vmar_race/vmar_race.ko
echo "unload: ok"
