#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# vm.sh: boot a test VM with vmar_race loaded, run a command, judge the run.
# See usage() and docs/testing.md. Exit status: 0 ok, 1 the command failed,
# 2 the kernel reported something, 3 it panicked, 4 it did not boot,
# 124 timeout; 64 usage error, 70 error before the VM ran.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<'EOT'
usage: scripts/vm.sh [--kernel stock|debug|kcsan|debug-7.3|PATH-TO-bzImage] [--mode MODE]
                     [--module c|rust] [--param NAME=VALUE]... [--add FILE]... [--no-module]
                     [--smp N] [--mem MB] [--timeout SECONDS] [--log FILE]
                     [--append KERNEL-ARGS] [--ko FILE] [--selftests DIR] [--quiet]
                     [--accel kvm|tcg] [--stop-on-report] [--trace] [--no-kmemleak]
                     [-- COMMAND [ARG...]]
Boot a test VM (QEMU, busybox initramfs) with vmar_race loaded, run COMMAND
in it and judge the run from the kernel's console log (scripts/judge.py).
  --kernel   stock Debian kernel (default), a test kernel from
             scripts/build-kernel.sh (debug, kcsan: 6.1; debug-6.12, debug-7.3),
             or a bzImage inside a built tree
             (.config, Module.symvers of a full build: scripts/kernel-check.sh)
  --mode     buggy|checked|uaf|fixed|rcu (module parameter mode; the Rust
             twin has all but uaf)
  --module   c: vmar_race.ko (default); rust: the Rust twin vmar_race_rs.ko
             (module/rust, /dev/vmar_race_rs, /proc/vmar_race_rs; needs the
             Rust-enabled debug-7.3 kernel; point the reproducer at it with
             repro -M vmar_race_rs)
  --param    another module parameter, e.g. --param unwrap_fail=warn
  --add      copy FILE into the guest's /root
  --no-module  boot without loading vmar_race (baseline runs)
  --smp      vCPUs, 1-99 (default 2)
  --mem      guest memory in MB (default 1024)
  --timeout  seconds before the VM is stopped (default 600)
  --log      the console log (default build/logs/vm-KERNEL-MODE-DATE-PID.log)
  --append   extra kernel command line arguments
  --ko       load this module (vmar_race.ko, e.g. built by DKMS, with
             the vmar_race_kunit.ko beside it if there is one; or
             vmar_race_rs.ko with --module rust) instead of building one
             for the kernel with scripts/build.sh
  --selftests DIR  the guest's /selftests (default: build them with
             scripts/build-selftests.sh into build/selftests)
  --quiet    do not stream the guest's output to the terminal
  --accel    kvm|tcg: override the probed accelerator (scripts/accel.sh;
             also VMAR_RACE_ACCEL)
  --trace    record the module's trace events (events/vmar_race) from before
             the command; a panic or oops prints the buffer
             (ftrace_dump_on_oops), so does a KASAN or KCSAN report (module
             parameter trace_dump_on_report), and so does the end of the
             command (after its output); scripts/timeline.py draws it
  --no-kmemleak  boot with kmemleak=off (debug kernels): no allocation
             tracking and no scans after the command (about 25 s under
             TCG), for runs judged by KASAN or a panic
  --stop-on-report  stop the VM once the kernel's first report is complete
             (the verdict is the same; rows that wait for a report end early)
  COMMAND    runs in the guest (busybox sh); default: the selftests
  -h, --help print this help and exit
Boot watchdog: a guest that prints no kernel line within VMAR_RACE_BOOT_SECS
(default 45) of QEMU's start, or no output for VMAR_RACE_STALL_SECS (default
180) before the command starts, is stopped with verdict boot.
Exit: the verdict: 0 ok, 1 command failed, 2 kernel report, 3 kernel panic,
4 boot (the guest did not boot), 124 timeout; or 64 usage error (bad option,
argument or VMAR_RACE_* setting), 70 error before the VM ran (missing
dependency, test kernel not built, module build failure).
EOT
}

kernel=stock mode= params=() adds=() load=1 smp=2 mem=1024 timeout=600 module=c
log= append= quiet=0 ko= selftests= cmd=() accel_opt= stop_on_report=0 trace=0 kmemleak=1
boot_secs=${VMAR_RACE_BOOT_SECS:-45} stall_secs=${VMAR_RACE_STALL_SECS:-180}
need() { [ $# -ge 2 ] || vr_usage_die "$1 needs a value"; }
while [ $# -gt 0 ]; do
	case "$1" in
	--kernel) need "$@"; kernel=$2; shift 2 ;;
	--mode) need "$@"; mode=$2; shift 2 ;;
	--module) need "$@"; module=$2; shift 2 ;;
	--param) need "$@"; params+=("$2"); shift 2 ;;
	--add) need "$@"; adds+=("$2"); shift 2 ;;
	--no-module) load=0; shift ;;
	--smp) need "$@"; smp=$2; shift 2 ;;
	--mem) need "$@"; mem=$2; shift 2 ;;
	--timeout) need "$@"; timeout=$2; shift 2 ;;
	--log) need "$@"; log=$2; shift 2 ;;
	--append) need "$@"; append=$2; shift 2 ;;
	--ko) need "$@"; ko=$2; shift 2 ;;
	--selftests) need "$@"; selftests=$2; shift 2 ;;
	--quiet) quiet=1; shift ;;
	--accel) need "$@"; accel_opt=$2; shift 2 ;;
	--stop-on-report) stop_on_report=1; shift ;;
	--trace) trace=1; shift ;;
	--no-kmemleak) kmemleak=0; shift ;;
	--) shift; cmd=("$@"); break ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done
case "$mode" in ''|buggy|checked|uaf|fixed|rcu) ;;
*) vr_usage_die "--mode must be buggy, checked, uaf, fixed or rcu (got '$mode')" ;; esac
case "$module" in
c) ;;
rust)
	case "$mode" in ''|buggy|checked|fixed|rcu) ;;
	*) vr_usage_die "--module rust: --mode must be buggy, checked, fixed or rcu (got '$mode')" ;; esac ;;
*) vr_usage_die "--module must be c or rust (got '$module')" ;;
esac
case "$kernel" in
stock) ;;
debug|kcsan|debug-*|kcsan-*)
	(vr_kernel_name "$kernel" >/dev/null 2>&1) ||
		vr_usage_die "--kernel: unknown kernel '$kernel' (stock, debug, kcsan, debug-6.12, debug-7.3, kcsan-6.12 or a bzImage)" ;;
*) [ -f "$kernel" ] || vr_usage_die "--kernel: no such bzImage: $kernel" ;;
esac
for p in "${params[@]+"${params[@]}"}"; do
	[[ "$p" =~ ^[a-z_]+=[A-Za-z0-9_.,-]*$ ]] || vr_usage_die "--param wants NAME=VALUE (got '$p')"
done
[[ "$smp" =~ ^[1-9][0-9]?$ ]] || vr_usage_die "--smp must be 1-99 (got '$smp')"
[[ "$mem" =~ ^[1-9][0-9]{2,5}$ ]] || vr_usage_die "--mem must be megabytes, 100-999999 (got '$mem')"
[[ "$timeout" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--timeout must be a positive number of seconds (got '$timeout')"
case "$accel_opt" in ''|kvm|tcg) ;; *) vr_usage_die "--accel must be kvm or tcg (got '$accel_opt')" ;; esac
[[ "$boot_secs" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "VMAR_RACE_BOOT_SECS must be a positive number of seconds"
[[ "$stall_secs" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "VMAR_RACE_STALL_SECS must be a positive number of seconds"
for f in "${adds[@]+"${adds[@]}"}"; do
	[ -f "$f" ] || vr_usage_die "--add: no such file: $f"
done
[ $load -eq 1 ] || [ -z "$mode" ] || vr_usage_die "--mode makes no sense with --no-module"
modname=vmar_race
[ "$module" = c ] || modname=vmar_race_rs
if [ -n "$ko" ]; then
	[ -f "$ko" ] || vr_usage_die "--ko: no such file: $ko"
	[ $load -eq 1 ] || vr_usage_die "--ko makes no sense with --no-module"
	modinfo -F name "$ko" 2>/dev/null | grep -qx $modname || vr_usage_die "--ko: $ko is not $modname.ko"
fi
if [ -n "$selftests" ]; then
	[ -x "$selftests/run_selftests.sh" ] ||
		vr_usage_die "--selftests: $selftests has no run_selftests.sh (built by scripts/build-selftests.sh)"
fi
command -v qemu-system-x86_64 >/dev/null || vr_die "qemu-system-x86_64 missing; run scripts/deps.sh"
[ -x /bin/busybox ] || vr_die "busybox-static missing; run scripts/deps.sh"

# vr_kernel_resolve runs in a subshell: its vr_die message is printed there.
read -r kname kimage kdir < <(vr_kernel_resolve "$kernel") || exit $VR_EX_SOFTWARE
[ -n "${kname:-}" ] || exit $VR_EX_SOFTWARE
# A kernel of the user's own: the config options the VM and the module need
# (scripts/kernel-check.sh) before anything is built or booted for it.
if [ "$kname" = custom ]; then
	kc=0
	kcheck=$("$VR_ROOT/scripts/kernel-check.sh" --brief "$kdir") || kc=$?
	[ $kc -le 1 ] || exit $VR_EX_SOFTWARE	# its error is printed
	missing=$(sed -n 's/^needed: *//p' <<<"$kcheck")
	optional=$(sed -n 's/^optional: *//p' <<<"$kcheck")
	[ $kc -eq 0 ] ||
		vr_die "--kernel $kernel: $kdir/.config lacks options the test VM or the module needs: $missing; see scripts/kernel-check.sh $kdir"
	[ -z "$optional" ] ||
		vr_say "--kernel $kernel: optional options missing (the sanitizer rows, KUnit, --trace): $optional"
fi
mode_label=${mode:-fixed}
[ $load -eq 1 ] || mode_label=none

# What the guest runs, unless given: built by scripts/build.sh (quick when
# up to date).
if [ $load -eq 1 ] && [ -z "$ko" ]; then
	a=$("$VR_ROOT/scripts/build.sh" --kernel "$kernel" --module "$module") || exit $VR_EX_SOFTWARE
	ko=$(sed -n 's/^ko=//p' <<<"$a")
	[ -n "$selftests" ] || selftests=$(sed -n 's/^selftests=//p' <<<"$a")
fi
if [ -z "$selftests" ]; then
	"$VR_ROOT/scripts/build-selftests.sh" >/dev/null || exit $VR_EX_SOFTWARE
	selftests="$VR_ROOT/build/selftests"
fi

# The initramfs: busybox, init, module, selftests, added files.
run="$VR_ROOT/build/vm/run.$$"
rm -rf "$run" && mkdir -p "$run/root/bin" "$run/root/root" "$run/root/lib/vmar_race"
trap 'rm -rf "$run"' EXIT
cp /bin/busybox "$run/root/bin/busybox"
if [ $load -eq 1 ]; then
	cp "$ko" "$run/root/lib/vmar_race/$modname.ko"
	kunit_ko=$(dirname "$(readlink -f "$ko")")/vmar_race_kunit.ko
	[ "$module" = rust ] || [ ! -e "$kunit_ko" ] || cp "$kunit_ko" "$run/root/lib/vmar_race/"
fi
cp -r "$selftests" "$run/root/selftests"
for f in "${adds[@]+"${adds[@]}"}"; do cp "$f" "$run/root/root/"; done
modparams=
[ -z "$mode" ] || modparams="mode=$mode"
for p in "${params[@]+"${params[@]}"}"; do modparams="$modparams $p"; done
[ $trace -eq 0 ] || modparams="$modparams trace_dump_on_report=1"
{
	printf '%q ' "${cmd[@]+"${cmd[@]}"}"
	echo
} >"$run/root/command"
[ ${#cmd[@]} -gt 0 ] || echo "/selftests/run_selftests.sh" >"$run/root/command"
cat >"$run/root/init" <<EOT
#!/bin/busybox sh
/bin/busybox --install -s /bin
export PATH=/bin:/sbin HOME=/root
# The module under test, for the reproducer and the kselftests (vr_util.h).
export VMAR_RACE_MODULE=$modname
mount -t proc proc /proc
mount -t sysfs sysfs /sys
mount -t devtmpfs devtmpfs /dev 2>/dev/null
mount -t debugfs debugfs /sys/kernel/debug
mount -t tmpfs tmpfs /tmp
echo "vm-guest: booted \$(uname -r), \$(nproc) cpus"
if [ $load -eq 1 ]; then
	if ! insmod /lib/vmar_race/$modname.ko $modparams; then
		echo "vm-guest: insmod $modname.ko $modparams failed"
		echo "vm-guest: command exit status 125"
		sync; reboot -f
	fi
	echo "vm-guest: loaded $modname $modparams"
	# /proc/$modname is a mount point for the module's filesystem (fs.c).
	mount -t $modname $modname /proc/$modname ||
		echo "vm-guest: mount -t $modname $modname /proc/$modname failed"
fi
if [ $trace -eq 1 ]; then
	mount -t tracefs tracefs /sys/kernel/tracing
	if echo 1 > /sys/kernel/tracing/events/$modname/enable; then
		echo "vm-guest: tracing events/vmar_race"
	else
		echo "vm-guest: no vmar_race trace events to enable"
	fi
fi
cd /root
echo "vm-guest: command starts at uptime \$(cut -d' ' -f1 /proc/uptime)"
echo "vm-guest: command starts" >/dev/kmsg	# on the printk clock, to the us
# The command's output goes to the second serial port, apart from the
# kernel's console on the first: no report or trace line carries it.
stty -F /dev/ttyS1 raw -echo 2>/dev/null
sh -c "\$(cat /command)" </dev/null >/dev/ttyS1 2>&1
rc=\$?
if [ $kmemleak -eq 1 ] && [ -e /sys/kernel/debug/kmemleak ]; then
	echo scan > /sys/kernel/debug/kmemleak; echo scan > /sys/kernel/debug/kmemleak
	cat /sys/kernel/debug/kmemleak
fi
# The trace goes after the program's output on the second port: on the
# console, a printk (7.3 prints from a kthread, late) can land in a line.
if [ $trace -eq 1 ]; then
	{ echo "vm-guest: trace begin"; cat /sys/kernel/tracing/trace
	  echo "vm-guest: trace end"; } >/dev/ttyS1
fi
echo "vm-guest: command exit status \$rc"
echo "vm-guest: command exit status \$rc" >/dev/kmsg	# whole, should a printk cut the above
sync
reboot -f
EOT
chmod +x "$run/root/init"
mkdir -p "$run/root/proc" "$run/root/sys" "$run/root/dev" "$run/root/tmp"
(cd "$run/root" && find . | cpio -o -H newc --quiet | gzip -1) >"$run/initrd.gz"

read -r accel cpu < <("$VR_ROOT/scripts/accel.sh" ${accel_opt:+--accel "$accel_opt"}) || exit $VR_EX_SOFTWARE
[ -n "${accel:-}" ] || exit $VR_EX_SOFTWARE
accel_label=$accel
qaccel=$accel
[ "$accel" != tcg ] || qaccel="tcg,thread=multi"
qcpu=()
[ "$cpu" = - ] || { qcpu=(-cpu "$cpu"); accel_label="$accel, -cpu $cpu"; }
mkdir -p "$VR_ROOT/build/logs"
[ -n "$log" ] || log="$VR_ROOT/build/logs/vm-$kname-$mode_label-$(date +%Y%m%d-%H%M%S)-$$.log"
mkdir -p "$(dirname "$log")"
: >"$log"
kargs="console=ttyS0,115200 panic=-1 loglevel=7 printk.time=1 rdinit=/init $append"
# A small buffer: the dump after a report stays quick under TCG; raw
# pointers, so the trace's VMAR addresses match KASAN's (a test VM only).
[ $trace -eq 0 ] || kargs="$kargs ftrace_dump_on_oops trace_buf_size=16K no_hash_pointers"
[ $kmemleak -eq 1 ] || kargs="$kargs kmemleak=off"

vr_say "booting $kname kernel ($accel_label, $smp cpus, ${mem}M), mode=$mode_label, log $log"
: >"$run/prog.out"
start=$(date +%s)
# QEMU runs in the background; the watchdog below reads its log.
(
	set +e
	timeout --foreground -k 5 "$timeout" qemu-system-x86_64 -accel "$qaccel" "${qcpu[@]+"${qcpu[@]}"}" \
		-smp "$smp" -m "$mem" -kernel "$kimage" -initrd "$run/initrd.gz" -append "$kargs" \
		-display none -nodefaults -no-user-config -no-reboot -serial stdio -serial "file:$run/prog.out" -monitor none \
		-pidfile "$run/qemu.pid" 2>&1 </dev/null
	echo $? >"$run/qrc"
) | sed -u 's/\r$//' | tee "$log" |
	if [ $quiet -eq 1 ]; then cat >/dev/null; else
		grep --line-buffered -vE '^\[ *[0-9]+\.[0-9]+\] ' ||:
	fi &
qemu_job=$!
if [ $quiet -eq 0 ]; then
	tail -f "$run/prog.out" --pid=$qemu_job &
	tail_job=$!
fi

# stop REASON: end the VM now; REASON becomes the verdict's explanation.
stop() {
	echo "$1" >"$run/stop"
	[ ! -s "$run/qemu.pid" ] || kill "$(cat "$run/qemu.pid")" 2>/dev/null || true
}
# The trace dump after the report is complete (ftrace_dump's closing rule).
trace_dumped() {
	tail -n +"$report_line" "$log" | awk '
		/Dumping ftrace buffer:/ { d = 1; n = 0; next }
		d && /ftrace buffer empty/ { f = 1; exit }
		d && /-------------------------------- *$/ { if (++n == 2) { f = 1; exit } }
		END { exit !f }'
}
# The first lines that make judge.py report (cheap pre-filter, then judge).
report_re=$("$VR_ROOT/scripts/judge.py" --pattern) || vr_die "scripts/judge.py --pattern failed"
booted=0 started=0 size=0 last_change=$SECONDS t_start=$SECONDS report_line= hits=0
while kill -0 $qemu_job 2>/dev/null && [ ! -e "$run/stop" ]; do
	sleep 0.5
	n=$(stat -c %s "$log")
	[ "$n" = "$size" ] || { size=$n; last_change=$SECONDS; }
	if [ $booted -eq 0 ]; then
		if grep -qaE '^\[ *[0-9]+\.[0-9]+\] ' "$log"; then
			booted=1
		elif (( SECONDS - t_start >= boot_secs )); then
			stop "no kernel output within ${boot_secs}s of QEMU's start under $accel_label"
		fi
		continue
	fi
	if [ $started -eq 0 ]; then
		# The init's echo or its /dev/kmsg copy (a console line may
		# interleave with a printk: "vm-guest: comman[ 6.09] vm-guest: ...").
		if grep -qaE '(^|\] )vm-guest: command starts' "$log"; then
			started=1
		elif (( SECONDS - last_change >= stall_secs )); then
			stop "the kernel printed nothing for ${stall_secs}s before the command started under $accel_label"
		fi
	fi
	[ $stop_on_report -eq 1 ] || continue
	# Judge again only when a new candidate line came (core-kernel KCSAN
	# reports do not count, and judge.py ignores them).
	n=$(grep -caE "$report_re" "$log" || true)
	if [ -z "$report_line" ] && [ "${n:-0}" -gt "$hits" ]; then
		hits=$n
		j=$("$VR_ROOT/scripts/judge.py" "$log" 2>/dev/null || true)
		v=${j%%$'\n'*}
		if [ "$v" = report ] || [ "$v" = panic ]; then
			j=$(sed -n 2p <<<"$j")	# the first report line judge.py counts
			report_line=$(grep -naF -m1 -- "$j" "$log" | cut -d: -f1 || true)
			report_line=${report_line:-1}
			report_at=$SECONDS
		fi
	fi
	# Complete: the report's closing rule or end-of-trace line (and with
	# --trace, the trace dump after it), or 10 s (30 s with --trace).
	if [ -n "$report_line" ] &&
		{ { grep -qaE '^\[ *[0-9.]+\] (={20,}|---\[ end trace)' <(tail -n +$((report_line + 1)) "$log") &&
			{ [ $trace -eq 0 ] || trace_dumped; }; } ||
			(( SECONDS - report_at >= (trace ? 30 : 10) )); }; then
		sleep 0.5	# let the serial line drain
		stop report
	fi
done
wait $qemu_job || true
[ -z "${tail_job:-}" ] || { sleep 0.3; kill "$tail_job" 2>/dev/null; wait "$tail_job" 2>/dev/null; } || true
# The command's own output, after the console (judge.py stops at the marker).
{
	echo "vm-guest: program output (ttyS1) begins"
	tr -d '\r' <"$run/prog.out"
	echo "vm-guest: program output ends"
} >>"$log"
qrc=$(cat "$run/qrc" 2>/dev/null || echo 1)
secs=$(( $(date +%s) - start ))
stopped=$(cat "$run/stop" 2>/dev/null || true)

{ read -r verdict; read -r first; read -r ignored; } < <("$VR_ROOT/scripts/judge.py" "$log")
rc=0
case "$verdict" in
ok) rc=0 ;; fail) rc=1 ;; report) rc=2 ;; panic) rc=3 ;;
esac
if [ -n "$stopped" ] && [ "$stopped" != report ]; then
	verdict=boot rc=4
	hint=
	[ "$accel" != kvm ] || hint="; VMAR_RACE_ACCEL=tcg forces software emulation"
	echo "vm: boot: $stopped (exit 4$hint)"
elif [ $booted -eq 0 ] && [ "$verdict" = fail ]; then
	verdict=boot rc=4
	echo "vm: boot: QEMU ended (status $qrc) before the kernel printed anything under $accel_label: $(head -n1 "$log")"
elif [ "$qrc" -eq 124 ] && [ "$verdict" != panic ]; then
	verdict=timeout rc=124
fi
[ "$stopped" != report ] || echo "vm: stopped at the first report (--stop-on-report)"
[ "${ignored:-0}" = 0 ] || echo "vm: ignored $ignored KCSAN report(s) without vmar_race frames (core-kernel races)"
[ -z "$first" ] || echo "vm: kernel: $first"
echo "vm: verdict=$verdict kernel=$kname mode=$mode_label seconds=$secs accel=$accel log=$log"
exit $rc
