#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# accel.sh: choose QEMU's accelerator by trying it, not by /dev/kvm's mode
# bits. Once per machine (cached under $VR_CACHE/accel, keyed by the host
# kernel release, the QEMU version and the CPU's model and flags) it boots
# the stock kernel with an init that prints a marker and powers off, under
# KVM with -cpu host, then under KVM with QEMU's default CPU; the first that
# prints the marker within PROBE_SECS wins, otherwise TCG.
#
#   scripts/accel.sh [--accel kvm|tcg] [--force] [--probe kvm|kvm-host|tcg]
#
# Prints "ACCEL CPU" on stdout ("kvm host", "kvm -" or "tcg -"; CPU is the
# -cpu argument, "-" for QEMU's default) and one line on stderr saying which
# and why. VMAR_RACE_ACCEL=kvm|tcg (or --accel) overrides the probe; a forced
# kvm uses -cpu host only where a cached probe passed with it. --force
# probes again; --probe boots one probe guest and reports how it went.
# Exit status: 0 chosen (--probe: the marker came), 1 --probe: it did not,
# 64 usage error, 70 other error (QEMU missing, no stock kernel).
set -euo pipefail
. "$(dirname "$0")/lib.sh"

PROBE_SECS=${VMAR_RACE_PROBE_SECS:-20}
MARKER=VMAR_RACE_PROBE_OK

usage() {
	cat <<EOT
usage: $0 [--accel kvm|tcg] [--force] [--probe kvm|kvm-host|tcg]
Choose QEMU's accelerator for the test VMs by booting a tiny probe guest
(once per machine: cached in $VR_CACHE/accel). Prints
"ACCEL CPU" ("kvm host", "kvm -" or "tcg -") on stdout, why on stderr.
  --accel kvm|tcg  use this accelerator, no probe (also VMAR_RACE_ACCEL)
  --force          probe again, ignoring the cached result
  --probe WHICH    boot one probe guest under kvm, kvm with -cpu host
                   (kvm-host) or tcg, and report how it went (no cache)
  -h, --help       print this help and exit
VMAR_RACE_PROBE_SECS: how long a probe guest may take (default 20).
Exit status: 0 chosen (--probe: the guest printed its marker), 1 --probe: it
did not, 64 usage error (bad option, argument or VMAR_RACE_* setting), 70
other error (QEMU missing, no stock kernel).
EOT
}
want=${VMAR_RACE_ACCEL:-} force=0 probe_only=
while [ $# -gt 0 ]; do
	case "$1" in
	--accel) [ $# -ge 2 ] || vr_usage_die "--accel needs kvm or tcg"; want=$2; shift 2 ;;
	--force) force=1; shift ;;
	--probe) [ $# -ge 2 ] || vr_usage_die "--probe needs kvm, kvm-host or tcg"; probe_only=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done
case "$want" in ''|kvm|tcg) ;; *) vr_usage_die "VMAR_RACE_ACCEL/--accel must be kvm or tcg (got '$want')" ;; esac
case "$probe_only" in ''|kvm|kvm-host|tcg) ;; *) vr_usage_die "--probe must be kvm, kvm-host or tcg (got '$probe_only')" ;; esac
[[ "$PROBE_SECS" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "VMAR_RACE_PROBE_SECS must be a positive number of seconds"
command -v qemu-system-x86_64 >/dev/null || vr_die "qemu-system-x86_64 missing; run scripts/deps.sh"

qemu_ver=$(qemu-system-x86_64 --version | head -n1)
cpu_id=$(grep -m1 '^model name' /proc/cpuinfo; grep -m1 '^flags' /proc/cpuinfo)
key=$(printf '%s\n%s\n%s\n' "$(uname -r)" "$qemu_ver" "$cpu_id" | sha256sum | cut -c1-16)
cache="$VR_CACHE/accel/$key"

# probe ACCEL CPU: boot the probe guest; prints the seconds the marker took,
# or fails with QEMU's first complaint (if any) on stdout.
probe() {
	local accel=$1 cpu=$2 d rel t0 out rc
	rel=$(vr_stock_release)
	d=$(mktemp -d)
	mkdir -p "$d/root/bin"
	cp /bin/busybox "$d/root/bin/busybox"
	printf '#!/bin/busybox sh\n/bin/busybox echo %s\n/bin/busybox poweroff -f\n' "$MARKER" >"$d/root/init"
	chmod +x "$d/root/init"
	(cd "$d/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$d/initrd.gz"
	local args=(-accel "$accel" -smp 1 -m 256 -kernel "/boot/vmlinuz-$rel" -initrd "$d/initrd.gz"
		-append "console=ttyS0,115200 panic=-1 rdinit=/init quiet"
		-display none -nodefaults -no-user-config -no-reboot -serial stdio -monitor none)
	[ "$cpu" = - ] || args+=(-cpu "$cpu")
	t0=$(date +%s.%N)
	set +e
	out=$(timeout -k 2 "$PROBE_SECS" qemu-system-x86_64 "${args[@]}" 2>&1 </dev/null |
		tr -d '\r' | sed "/$MARKER/q")
	rc=$?
	set -e
	rm -rf "$d"
	if grep -q "^$MARKER" <<<"$out"; then
		awk -v a="$t0" -v b="$(date +%s.%N)" 'BEGIN { printf "%.1f\n", b - a }'
		return 0
	fi
	grep -m1 -E 'qemu-system|warning|error|Could not' <<<"$out" || echo "no marker within ${PROBE_SECS}s, rc $rc"
	return 1
}

if [ -n "$probe_only" ]; then
	case "$probe_only" in
	kvm) a=kvm c=- ;; kvm-host) a=kvm c=host ;; tcg) a=tcg,thread=multi c=- ;;
	esac
	if s=$(probe "$a" "$c"); then
		echo "accel: probe $probe_only: marker after ${s}s" >&2
		exit 0
	fi
	echo "accel: probe $probe_only failed: $s" >&2
	exit 1
fi

cached() { [ -r "$cache" ] && [ $force -eq 0 ]; }

if [ "$want" = tcg ]; then
	echo "accel: tcg (forced by VMAR_RACE_ACCEL/--accel)" >&2
	echo "tcg -"
	exit 0
fi
if [ "$want" = kvm ]; then
	cpu=-
	if cached && read -r a c _ <"$cache" && [ "$a" = kvm ]; then cpu=$c; fi
	echo "accel: kvm, forced by VMAR_RACE_ACCEL/--accel (-cpu ${cpu/#-/QEMU default})" >&2
	echo "kvm $cpu"
	exit 0
fi

mkdir -p "$VR_CACHE/accel"
exec {lock}>"$VR_CACHE/accel/.lock"
flock "$lock"	# VMs started side by side probe once
if ! cached; then
	if [ ! -e /dev/kvm ]; then
		echo "tcg - no /dev/kvm" >"$cache"
	elif ! [ -r /dev/kvm ] || ! [ -w /dev/kvm ]; then
		echo "tcg - /dev/kvm is not readable and writable by $(id -un)" >"$cache"
	else
		echo "accel: probing KVM once for this machine (a tiny guest, at most $((2 * PROBE_SECS))s)" >&2
		if s=$(probe kvm host); then
			echo "kvm host probe guest under KVM with -cpu host printed its marker in ${s}s" >"$cache"
		elif why_host=$s && s=$(probe kvm -); then
			echo "kvm - probe guest under KVM printed its marker in ${s}s; with -cpu host: $why_host" >"$cache"
		else
			echo "tcg - /dev/kvm opens but a KVM guest does not run: $s" >"$cache"
		fi
	fi
fi
read -r a c why <"$cache"
cpu_note=
[ "$a" != kvm ] || cpu_note=" (-cpu ${c/#-/QEMU default})"
echo "accel: $a$cpu_note: $why [probe cached in $cache; VMAR_RACE_ACCEL=kvm|tcg overrides]" >&2
echo "$a $c"
