#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Slab fault injection on vmar_race's own caches only (failslab with its
# cache-filter): the fuzzer and both reproducer shapes must see nothing but
# clean ENOMEM errors, injected failures must really happen, and after
# unload nothing may be left: the module's counters, kmem_cache_destroy()
# and, where the kernel has it, kmemleak.
#   faults.sh [SECONDS [SEED]]   (default 60 s; seed from the clock)
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: faults.sh [SECONDS [SEED]]
In the test VM's guest (a debug or kcsan kernel booted with
slub_debug=A,vr_pproc,vr_owner,vr_vmar,vr_mapping): failslab on vmar_race's
own caches while the fuzzer and both reproducer shapes run for SECONDS in
all (at least 10, default 60; SEED: the fuzzer's, default from the clock).
They must see only clean ENOMEM errors, injected failures must happen, and
after unload nothing may be left (module counters, kmemleak). The module is
loaded and mounted again at the end.
  -h, --help  print this help and exit
Exit status: 0 ok, 1 a check failed or the kernel lacks failslab, 64 usage
error (bad SECONDS or SEED); another non-zero status: a command failed.
EOT
	exit 0 ;;
esac
set -eo pipefail
usage_error() { echo "faults.sh: $*; see --help" >&2; exit 64; }
[ $# -le 2 ] || usage_error "too many arguments"
cd "$(dirname "$0")"
secs=${1:-60}
seed=${2:-$(date +%s)}
case "$secs$seed" in *[!0-9]*) usage_error "SECONDS and SEED must be numbers" ;; esac
[ "$secs" -ge 10 ] || usage_error "at least 10 seconds"
fs=/sys/kernel/debug/failslab
kml=/sys/kernel/debug/kmemleak
[ -d $fs ] || { echo "faults: no $fs: this kernel lacks CONFIG_FAILSLAB (use --kernel debug or kcsan)" >&2; exit 1; }
mode=$(cat /sys/module/vmar_race/parameters/mode)

# 6.1's failslab attribute is read-only: the flag comes from the boot
# option slub_debug=A,<caches> (CONFIG_SLUB_DEBUG), which also keeps these
# caches from being merged with anybody else's.
for c in vr_pproc vr_owner vr_vmar vr_mapping; do
	if [ "$(cat /sys/kernel/slab/$c/failslab 2>/dev/null)" != 1 ]; then
		echo "faults: cache $c is not marked for failslab: boot with" \
			"slub_debug=A,vr_pproc,vr_owner,vr_vmar,vr_mapping" >&2
		exit 1
	fi
done
if [ -e $kml ]; then
	echo scan=off >$kml	# scan on demand only, after the run
	echo clear >$kml	# what leaked before this script is not ours
fi
echo Y >$fs/cache-filter
echo N >$fs/ignore-gfp-wait
echo 0 >$fs/verbose
echo 0 >$fs/space
echo 1 >$fs/interval
echo -1 >$fs/times
echo 5 >$fs/probability
echo "faults: failslab on vr_* caches, probability 5%, ${secs}s, seed $seed, mode $mode"

fuzz_secs=$((secs * 2 / 3))
rest=$((secs - fuzz_secs))
./fuzz -F -d $fuzz_secs -s "$seed" | tee /tmp/fuzz.out
./repro -E -t 2 -k -d $((rest / 2)) -P 10 | tee /tmp/repro-t.out
# A fork-shaped round is slow (a real fork per pproc: ~30 rounds in 5 s
# under TCG) and makes few allocations, so at 5% a short pass can see no
# failure at all: this pass injects at 20% and repeats (up to 4 times)
# until one has hit the program.
echo 20 >$fs/probability
for pass in 1 2 3 4; do
	./repro -E -r 100000 -d $((rest - rest / 2)) -P 10 | tee /tmp/repro-f.out
	n=$(sed -n 's/.* enomem=\([0-9]*\).*/\1/p' /tmp/repro-f.out | tail -n1)
	[ "${n:-0}" -eq 0 ] || break
	echo "faults: fork pass $pass saw no injected ENOMEM, again"
done
echo 0 >$fs/probability

# The injected failures must have happened, or nothing was tested.
for f in /tmp/fuzz.out /tmp/repro-t.out /tmp/repro-f.out; do
	n=$(sed -n 's/.* enomem=\([0-9]*\).*/\1/p' $f | tail -n1)
	if [ "${n:-0}" -eq 0 ]; then
		echo "faults: no injected ENOMEM reached $f's program" >&2
		exit 1
	fi
done

stats=/sys/kernel/debug/vmar_race/stats
for k in live zombie vmars_alive; do
	grep -q "^$k *0$" $stats || { echo "faults: $k is not 0 after the run:" >&2; cat $stats >&2; exit 1; }
done
umount /proc/vmar_race
rmmod vmar_race
line=$(dmesg | grep 'vmar_race: unloaded:' | tail -n1)
echo "faults: $line"
case "$line" in *vmars_alive=0) ;; *) echo "faults: VMARs left at unload" >&2; exit 1 ;; esac
if [ -e $kml ]; then
	echo scan >$kml
	if grep -q . $kml; then
		echo "faults: kmemleak reports leaks:" >&2
		cat $kml >&2
		exit 1
	fi
	echo "faults: kmemleak: no new leaks"
fi
insmod /lib/vmar_race/vmar_race.ko mode="$mode"
mount -t vmar_race vmar_race /proc/vmar_race
echo "faults: ok"
