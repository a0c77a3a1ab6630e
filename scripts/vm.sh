#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh: boot a test VM with vmar_race loaded, run a command, judge the run.
# See usage() and README.md. Exit status: 0 ok, 1 the command failed,
# 2 the kernel reported something, 3 it panicked, 124 timeout.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat >&2 <<'EOT'
usage: scripts/vm.sh [--kernel stock|debug|kcsan|debug-6.12|PATH-TO-bzImage] [--mode MODE]
                     [--param NAME=VALUE]... [--add FILE]... [--no-module]
                     [--smp N] [--mem MB] [--timeout SECONDS] [--log FILE]
                     [--append KERNEL-ARGS] [--ko FILE] [--quiet]
                     [-- COMMAND [ARG...]]
  --kernel   stock Debian kernel (default), a test kernel from
             scripts/build-kernel.sh (debug, kcsan: 6.1; debug-6.12: 6.12),
             or a bzImage inside a built tree
  --mode     buggy|checked|uaf|fixed|rcu (module parameter mode)
  --param    another module parameter, e.g. --param unwrap_fail=warn
  --add      copy FILE into the guest's /root
  --no-module  boot without loading vmar_race (baseline runs)
  --append   extra kernel command line arguments
  --ko       load this vmar_race.ko (e.g. built by DKMS) instead of
             building one for the kernel
  --quiet    do not stream the guest's output to the terminal
  COMMAND    runs in the guest (busybox sh); default: the selftests
Exit: 0 ok, 1 command failed, 2 kernel report, 3 kernel panic, 124 timeout.
EOT
	exit 2
}

kernel=stock mode= params=() adds=() load=1 smp=2 mem=1024 timeout=600
log= append= quiet=0 ko= cmd=()
need() { [ $# -ge 2 ] || { echo "vm.sh: $1 needs a value" >&2; usage; }; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--mode) need "$@"; mode=$2; shift 2 ;;
	--param) need "$@"; params+=("$2"); shift 2 ;;
	--add) need "$@"; adds+=("$2"); shift 2 ;;
	--no-module) load=0; shift ;;
	--smp) need "$@"; smp=$2; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--timeout) need "$@"; timeout=$2; shift 2 ;;
	--log) need "$@"; log=$2; shift 2 ;;
	--append) need "$@"; append=$2; shift 2 ;;
	--ko) need "$@"; ko=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--) shift; cmd=("$@"); break ;;
	-h|--help) usage ;;
	*) echo "vm.sh: unknown option '$1'" >&2; usage ;;
	esac
done
case "$mode" in ''|buggy|checked|uaf|fixed|rcu) ;;
*) vr_die "--mode must be buggy, checked, uaf, fixed or rcu (got '$mode')" ;; esac
for p in "${params[@]+"${params[@]}"}"; do
	[[ "$p" =~ ^[a-z_]+=[A-Za-z0-9_.,-]*$ ]] || vr_die "--param wants NAME=VALUE (got '$p')"
done
[[ "$smp" =~ ^[1-9][0-9]?$ ]] || vr_die "--smp must be 1-99 (got '$smp')"
[[ "$mem" =~ ^[1-9][0-9]{2,5}$ ]] || vr_die "--mem must be megabytes, 100-999999 (got '$mem')"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || vr_die "--timeout must be a positive number of seconds (got '$timeout')"
for f in "${adds[@]+"${adds[@]}"}"; do
	[ -f "$f" ] || vr_die "--add: no such file: $f"
done
[ $load -eq 1 ] || [ -z "$mode" ] || vr_die "--mode makes no sense with --no-module"
if [ -n "$ko" ]; then
	[ -f "$ko" ] || vr_die "--ko: no such file: $ko"
	[ $load -eq 1 ] || vr_die "--ko makes no sense with --no-module"
	modinfo -F name "$ko" 2>/dev/null | grep -qx vmar_race || vr_die "--ko: $ko is not vmar_race.ko"
fi
command -v qemu-system-x86_64 >/dev/null || vr_die "qemu-system-x86_64 missing; run scripts/deps.sh"
[ -x /bin/busybox ] || vr_die "busybox-static missing; run scripts/deps.sh"

read -r kname kimage kdir < <(vr_kernel_resolve "$kernel") || exit 2
[ -n "${kname:-}" ] || exit 2
mode_label=${mode:-fixed}
[ $load -eq 1 ] || mode_label=none

# Module and selftests for this kernel (quick when up to date).
if [ $load -eq 1 ] && [ -z "$ko" ]; then
	# check.sh builds each module once before running VMs side by side.
	if [ -n "${VMAR_RACE_MODULE_BUILT:-}" ] && [ -e "$VR_ROOT/build/kbuild/$kname/vmar_race.ko" ]; then
		modout="$VR_ROOT/build/kbuild/$kname"
	else
		modout=$(vr_build_module "$kname" "$kdir")
	fi
fi
selftests="$VR_ROOT/build/selftests"
if [ ${#cmd[@]} -eq 0 ] || [ -z "${VMAR_RACE_NO_SELFTESTS:-}" ]; then
	"$VR_ROOT/scripts/build-selftests.sh" >/dev/null
fi

# The initramfs: busybox, init, module, selftests, added files.
run="$VR_ROOT/build/vm/run.$$"
rm -rf "$run" && mkdir -p "$run/root/bin" "$run/root/root" "$run/root/lib/vmar_race"
trap 'rm -rf "$run"' EXIT
cp /bin/busybox "$run/root/bin/busybox"
if [ -n "$ko" ]; then
	cp "$ko" "$run/root/lib/vmar_race/vmar_race.ko"
elif [ $load -eq 1 ]; then
	cp "$modout"/*.ko "$run/root/lib/vmar_race/"
fi
[ -d "$selftests" ] && cp -r "$selftests" "$run/root/selftests"
for f in "${adds[@]+"${adds[@]}"}"; do cp "$f" "$run/root/root/"; done
modparams=
[ -z "$mode" ] || modparams="mode=$mode"
for p in "${params[@]+"${params[@]}"}"; do modparams="$modparams $p"; done
{
	printf '%q ' "${cmd[@]+"${cmd[@]}"}"
	echo
} >"$run/root/command"
[ ${#cmd[@]} -gt 0 ] || echo "/selftests/run_selftests.sh" >"$run/root/command"
cat >"$run/root/init" <<EOT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/root
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
echo "vm-guest: booted \$(uname -r), \$(nproc) cpus"
if [ $load -eq 1 ]; then
	if ! insmod /lib/vmar_race/vmar_race.ko $modparams; then
		echo "vm-guest: insmod vmar_race.ko $modparams failed"
		echo "vm-guest: command exit status 125"
		sync; reboot -f
	fi
	echo "vm-guest: loaded vmar_race $modparams"
fi
cd /root
echo "vm-guest: command starts at uptime \$(cut -d' ' -f1 /proc/uptime)"
echo "vm-guest: command starts" >/dev/kmsg	# on the printk clock, to the us
sh -c "\$(cat /command)" </dev/null
rc=\$?
if [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak; echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
echo "vm-guest: command exit status \$rc"
sync
reboot -f
EOT
chmod +x "$run/root/init"
mkdir -p "$run/root/proc" "$run/root/sys" "$run/root/dev" "$run/root/tmp"
(cd "$run/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/initrd.gz"

accel="tcg,thread=multi"
if [ -w /dev/kvm ] && [ -r /dev/kvm ]; then accel=kvm; fi
mkdir -p "$VR_ROOT/build/logs"
[ -n "$log" ] || log="$VR_ROOT/build/logs/vm-$kname-$mode_label-$(date +%Y%m%d-%H%M%S)-$$.log"
mkdir -p "$(dirname "$log")"
: >"$log"
kargs="console=ttyS0,115200 panic=-1 loglevel=7 printk.time=1 rdinit=/init $append"

vr_say "booting $kname kernel ($accel, $smp cpus, ${mem}M), mode=$mode_label, log $log"
start=$(date +%s)
set +e
timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel "$accel" -smp "$smp" -m "$mem" \
	-kernel "$kimage" -initrd "$run/initrd.gz" -append "$kargs" \
	-display none -nodefaults -no-user-config -no-reboot -serial stdio -monitor none 2>&1 </dev/null |
	sed -u 's/\r$//' | tee "$log" |
	if [ $quiet -eq 1 ]; then cat >/dev/null; else
		grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\] ' ||:
	fi
qrc=${PIPESTATUS[0]}
set -e
secs=$(( $(date +%s) - start ))

{ read -r verdict; read -r first; read -r ignored; } < <("$VR_ROOT/scripts/judge.py" "$log")
rc=0
case "$verdict" in
ok) rc=0 ;; fail) rc=1 ;; report) rc=2 ;; panic) rc=3 ;;
esac
if [ "$qrc" -eq 124 ] && [ "$verdict" != panic ]; then
	verdict=timeout rc=124
fi
[ "${ignored:-0}" = 0 ] || echo "vm: ignored $ignored KCSAN report(s) without vmar_race frames (core-kernel races)"
[ -z "$first" ] || echo "vm: kernel: $first"
echo "vm: verdict=$verdict kernel=$kname mode=$mode_label seconds=$secs log=$log"
exit $rc
