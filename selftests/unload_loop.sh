#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Unload under load, CYCLES times: readers hold status and maps files open
# and keep reading while writers spawn, exit and reap (or leave zombies);
# /proc/vmar_race is lazily unmounted under the readers' feet and rmmod is
# retried until the writers' control files and the readers' held files
# (each pins the module) are closed. Every cycle must free everything;
# readers may only see ENOENT or ESRCH.
#   unload_loop.sh [CYCLES]   (default 10)
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: unload_loop.sh [CYCLES]
In the test VM's guest, with vmar_race loaded: CYCLES times (default 10),
unmount and rmmod the module while readers hold its files open and writers
spawn, exit and reap; every cycle must free everything and readers may only
see ENOENT or ESRCH. The module is loaded and mounted again at the end.
  -h, --help  print this help and exit
Exit status: 0 ok, 1 a check failed, 64 usage error (CYCLES not a number,
more than one argument); another non-zero status: a command failed.
EOT
	exit 0 ;;
esac
set -eo pipefail
[ $# -le 1 ] || { echo "unload_loop.sh: one argument at most; see --help" >&2; exit 64; }
cd "$(dirname "$0")"
cycles=${1:-10}
case "$cycles" in ''|*[!0-9]*) echo "unload_loop.sh: CYCLES must be a number; see --help" >&2; exit 64 ;; esac
mode=$(cat /sys/module/vmar_race/parameters/mode)
i=0
busy_total=0
reads_total=0
while [ $i -lt "$cycles" ]; do
	i=$((i + 1))
	[ -d /sys/module/vmar_race ] || insmod /lib/vmar_race/vmar_race.ko mode="$mode"
	grep -q " /proc/vmar_race vmar_race " /proc/mounts ||
		mount -t vmar_race vmar_race /proc/vmar_race
	./fuzz -R -d 600 -s $i >/tmp/readers.out 2>&1 &
	readers=$!
	if [ $((i % 2)) -eq 1 ]; then
		./repro -t 2 -k -d 2 -P 0 >/tmp/writer.out 2>&1 &
	else
		./repro -r 20 -L -P 0 >/tmp/writer.out 2>&1 &	# leaves 20 zombies
	fi
	writer=$!
	# Let the writer open the control device (or finish, on a slow guest).
	# (The mount holds one module reference; the control file is the next.)
	while [ "$(cat /sys/module/vmar_race/refcnt)" -le 1 ] && kill -0 $writer 2>/dev/null; do
		sleep 0.01
	done
	busy=0
	# Detached lazily; held files keep it until closed. A program that
	# started late may have mounted it again: detach that one too.
	until umount -l /proc/vmar_race 2>/dev/null; rmmod vmar_race 2>/dev/null; do
		busy=$((busy + 1))
		[ $busy -lt 100000 ] || { echo "unload_loop: rmmod never succeeded" >&2; exit 1; }
	done
	busy_total=$((busy_total + busy))
	wait $writer || { echo "unload_loop: writer failed in cycle $i:" >&2; cat /tmp/writer.out >&2; exit 1; }
	sleep 0.2	# readers run against the removed files
	kill $readers	# SIGTERM: the readers print their summary
	wait $readers || true
	reads=$(sed -n 's/.* reads=\([0-9]*\) violations=0$/\1/p' /tmp/readers.out)
	if [ -z "$reads" ]; then
		echo "unload_loop: readers in cycle $i:" >&2
		cat /tmp/readers.out >&2
		exit 1
	fi
	reads_total=$((reads_total + reads))
	line=$(dmesg | grep 'vmar_race: unloaded:' | tail -n1)
	sp=$(echo "$line" | sed -n 's/.*spawned=\([0-9]*\).*/\1/p')
	re=$(echo "$line" | sed -n 's/.*reaped=\([0-9]*\).*/\1/p')
	case "$line" in
	*vmars_alive=0) [ "$sp" = "$re" ] ;;
	*) false ;;
	esac || { echo "unload_loop: cycle $i leaked: $line" >&2; exit 1; }
	[ $((i % 10)) -ne 0 ] || echo "unload_loop: $i/$cycles cycles, $line"
done
insmod /lib/vmar_race/vmar_race.ko mode="$mode"
mount -t vmar_race vmar_race /proc/vmar_race
echo "unload_loop: ok: $cycles cycles, $reads_total reads across unloads, $busy_total rmmod attempts refused while in use"
