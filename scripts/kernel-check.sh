#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# kernel-check.sh TREE_OR_BZIMAGE: which kernel config options a kernel of
# the user's own (scripts/vm.sh --kernel PATH) lacks for the test VM and the
# module, read from its tree's .config. The table below is taken from
# scripts/kconfig/*.config, from what scripts/vm.sh's guest init and QEMU
# command line use, and from Kbuild and the selftests. vm.sh runs it
# (--brief) before booting a PATH kernel.
set -euo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 [--brief] TREE_OR_BZIMAGE
Check a kernel tree's .config for what the vmar_race test VM and module need
(scripts/vm.sh --kernel PATH-TO-bzImage). TREE_OR_BZIMAGE is a built kernel
tree or a file in one (its bzImage): the check walks up to the first
directory holding Module.symvers, as vm.sh does, and reads the .config
there. Prints the missing options in two groups, each with its reason:
  needed        the VM does not boot, or the module does not load or work,
                without it (a =m where built-in is needed counts as missing)
  for the sanitizer rows (optional)
                what the debug and kcsan rows, KUnit, --trace and a few
                tests use (they skip or run coarser without); some exist
                only on some kernel versions
An option "not in .config" has its dependencies off, or this kernel version
has no such option.
  --brief     print just two lines, "needed: OPTION..." and
              "optional: OPTION..." (the missing ones; scripts/vm.sh reads
              them)
  -h, --help  print this help and exit
Exit status: 0 nothing needed is missing (optional options may be), 1 a
needed option is missing, 64 usage error (bad option or argument, no such
path), 70 error (no Module.symvers at or above the path, or no .config
beside it).
EOT
}

# GROUP OPTION WANT SOURCE REASON. WANT: y (built in: =m is missing too),
# n (must not be set), >=N (a number). SOURCE: where it comes from (base,
# debug, kcsan, 6.12, rust: scripts/kconfig/*.config; vm.sh: its guest init
# or QEMU command line; Kbuild; selftests/).
# Left out of base.config: NR_CPUS, DEFAULT_HUNG_TASK_TIMEOUT and kcsan's
# KCSAN_REPORT_ONCE_IN_MS (tuning values); PRINTK_TIME (vm.sh boots with
# printk.time=1); DEVTMPFS_MOUNT (not used with an initramfs: the init mounts
# /dev); DEBUG_INFO_DWARF_TOOLCHAIN_DEFAULT and DEBUG_INFO_REDUCED (checked
# as DEBUG_INFO: the DWARF choice is 5.18+, REDUCED only saves space);
# ENABLE_DEFAULT_TRACERS (checked as EVENT_TRACING, which it brings: kernels
# with the function tracers have no such option); DEBUG_KERNEL, NAMESPACES
# and LOCKUP_DETECTOR (menus the options below need anyway); FILE_LOCKING
# (nothing in the guest takes a file lock).
vr_kconfig_table() {
	cat <<'EOT'
needed   CONFIG_64BIT                 y    Kbuild the module builds for 64-bit kernels only
needed   CONFIG_SMP                   y    base   more than one CPU: the races run on --smp 2 (the default)
needed   CONFIG_ACPI                  y    base   CPU enumeration: without it the guest sees one CPU
needed   CONFIG_PRINTK                y    base   the console log the verdict is read from (judge.py)
needed   CONFIG_BUG                   y    base   WARN() and BUG() reports (the unwrap_fail=warn|oops rows)
needed   CONFIG_TTY                   y    base   the serial ports
needed   CONFIG_SERIAL_8250           y    vm.sh  ttyS0, the console, and ttyS1, the command output (built in)
needed   CONFIG_SERIAL_8250_CONSOLE   y    base   console=ttyS0 on the kernel command line
needed   CONFIG_SERIAL_8250_RUNTIME_UARTS >=2 vm.sh the second -serial, ttyS1, carries the command output
needed   CONFIG_BLK_DEV_INITRD        y    base   the busybox initramfs (QEMU -initrd)
needed   CONFIG_RD_GZIP               y    vm.sh  the initramfs is gzip-compressed
needed   CONFIG_BINFMT_ELF            y    base   busybox and the selftests (ELF)
needed   CONFIG_BINFMT_SCRIPT         y    base   /init is a #! script (built in: no module loads before it)
needed   CONFIG_PROC_FS               y    base   /proc (/proc/vmar_race, the PPid and status files)
needed   CONFIG_PROC_SYSCTL           y    base   safety_test reads /proc/sys/kernel/tainted
needed   CONFIG_SYSFS                 y    base   /sys (/sys/module/vmar_race/parameters)
needed   CONFIG_DEVTMPFS              y    base   /dev/vmar_race and /dev/ttyS1 (the init mounts devtmpfs)
needed   CONFIG_TMPFS                 y    vm.sh  /tmp (the init mounts tmpfs)
needed   CONFIG_SHMEM                 y    base   what tmpfs needs (TMPFS depends on it)
needed   CONFIG_DEBUG_FS              y    base   the stats and pause files (/sys/kernel/debug/vmar_race)
needed   CONFIG_MULTIUSER             y    base   the tests setuid() to other users (who may read, who may control)
needed   CONFIG_FUTEX                 y    base   pthreads in the selftests and the reproducer
needed   CONFIG_MODULES               y    base   insmod vmar_race.ko
needed   CONFIG_MODULE_UNLOAD         y    base   rmmod (the contract, unload and unloadloop rows)
needed   CONFIG_MODULE_SIG_FORCE      n    vm.sh  the module is built unsigned (M=): insmod would refuse it
optional CONFIG_PCI                   y    base   with ACPI (base.config: clean power off)
optional CONFIG_POSIX_TIMERS          y    base   alarm(): the kselftest harness's per-test timeout
optional CONFIG_HIGH_RES_TIMERS       y    base   race_delay_us sleeps to the microsecond (tick-coarse without)
optional CONFIG_PID_NS                y    base   PPid in a child pid namespace (proc_access_test skips without)
optional CONFIG_JUMP_LABEL            y    base   the pause points cost one static branch (a plain test without)
optional CONFIG_PREEMPT_DYNAMIC       y    base   the preempt rows boot preempt=full (5.12+)
optional CONFIG_SLUB                  y    base   slub_debug=A,vr_* and /sys/kernel/slab (the faults rows)
optional CONFIG_KALLSYMS              y    base   names in report stacks (judge.py counts KCSAN reports by vmar_race frames)
optional CONFIG_KALLSYMS_ALL          y    base   variable names in KASAN and KCSAN reports
optional CONFIG_STACKTRACE            y    base   stack traces in KASAN, lockdep and kmemleak reports
optional CONFIG_DEBUG_BUGVERBOSE      y    base   file:line in WARNING and kernel BUG lines (the rows' signatures)
optional CONFIG_DEBUG_INFO            y    base   line tables for scripts/decode.sh (file:line in report stacks)
optional CONFIG_SOFTLOCKUP_DETECTOR   y    base   soft lockups count as a report (judge.py)
optional CONFIG_DETECT_HUNG_TASK      y    base   tasks blocked in D state count as a report (judge.py)
optional CONFIG_FTRACE                y    base   tracing: --trace, ftrace_dump_on_oops, trace_dump_on_report
optional CONFIG_EVENT_TRACING         y    base   events/vmar_race (--trace, timeline rows) and error_report_end (KUnit)
optional CONFIG_KUNIT                 y    base   the kunit rows, vmar_race_kunit.ko (built in: the guest loads no kunit.ko)
optional CONFIG_KUNIT_DEBUGFS         y    base   KUnit results under /sys/kernel/debug/kunit
optional CONFIG_KASAN                 y    debug  the debug rows: use-after-free reports (excludes KCSAN: a kernel of its own)
optional CONFIG_KASAN_GENERIC         y    debug  generic KASAN (the mode the debug rows expect)
optional CONFIG_KASAN_INLINE          y    debug  inline KASAN checks (faster)
optional CONFIG_SLUB_TINY             n    6.12   excludes KASAN (6.2+; tinyconfig sets it)
optional CONFIG_PROVE_LOCKING         y    debug  lockdep (the debug and kcsan rows)
optional CONFIG_DEBUG_ATOMIC_SLEEP    y    debug  sleep-in-atomic checks (the pause points' might_sleep)
optional CONFIG_DEBUG_OBJECTS         y    debug  debug objects (timers, works, RCU heads freed in use)
optional CONFIG_DEBUG_OBJECTS_FREE    y    debug  debug objects: checks on free
optional CONFIG_DEBUG_OBJECTS_RCU_HEAD y   debug  debug objects: RCU heads
optional CONFIG_DEBUG_LIST            y    debug  list corruption checks
optional CONFIG_DEBUG_KMEMLEAK        y    debug  leak scans after the command (vm.sh; --no-kmemleak skips them)
optional CONFIG_FAULT_INJECTION       y    debug  fault injection (the faults rows)
optional CONFIG_FAILSLAB              y    debug  failslab on the vr_* caches (faults.sh)
optional CONFIG_FAIL_PAGE_ALLOC       y    debug  page allocation faults
optional CONFIG_FAULT_INJECTION_DEBUG_FS y debug  /sys/kernel/debug/failslab (faults.sh)
optional CONFIG_KCSAN                 y    kcsan  the kcsan rows: data-race reports (excludes KASAN: a kernel of its own)
optional CONFIG_RUST                  y    rust   --module rust, the Rust twin (6.12 built with LLVM)
EOT
}

brief=0 path=
for a in "$@"; do
	case "$a" in
	-h|--help) usage; exit 0 ;;
	esac
done
for a in "$@"; do
	case "$a" in
	--brief) brief=1 ;;
	-*) vr_usage_die "unknown option '$a'" ;;
	*) [ -z "$path" ] || vr_usage_die "one kernel tree or bzImage only (got '$path' and '$a')"
		path=$a ;;
	esac
done
[ -n "$path" ] || vr_usage_die "which kernel: a kernel tree or the bzImage in one"
[ -e "$path" ] || vr_usage_die "no such kernel tree or bzImage: $path"

# The tree: the first directory at or above PATH with Module.symvers, as
# vr_kernel_resolve finds it for vm.sh.
dir=$path
[ -d "$dir" ] || dir=$(dirname "$dir")
dir=$(cd "$dir" && pwd)
seen=
while [ "$dir" != / ] && [ ! -e "$dir/Module.symvers" ]; do
	[ -n "$seen" ] || [ ! -e "$dir/.config" ] || seen=$dir
	dir=$(dirname "$dir")
done
if [ "$dir" = / ]; then
	[ -z "$seen" ] ||
		vr_die "$seen has a .config but no Module.symvers: build the kernel fully (make, not just bzImage) first"
	vr_die "no built kernel tree (Module.symvers) at or above $path"
fi
config=$dir/.config
[ -r "$config" ] || vr_die "$dir has Module.symvers but no .config"

declare -A val
while IFS= read -r line; do
	case "$line" in
	CONFIG_*=*) val[${line%%=*}]=${line#*=} ;;
	'# CONFIG_'*' is not set') line=${line#'# '}; val[${line%' is not set'}]=n ;;
	esac
done <"$config"

# state OPTION WANT: empty if the option is as wanted, else what it is.
state() {
	local v=${val[$1]-}
	case "$2" in
	y)
		case "$v" in
		y) ;;
		m) echo "=m, not built in" ;;
		n) echo "not set" ;;
		'') echo "not in .config" ;;
		*) echo "=$v" ;;
		esac ;;
	n)
		case "$v" in
		y|m) echo "=$v, must be off" ;;
		esac ;;
	'>='*)
		if [[ "$v" =~ ^[0-9]+$ ]]; then
			[ "$v" -ge "${2#>=}" ] || echo "=$v, needs ${2}"
		elif [ "$v" = n ] || [ -z "$v" ]; then
			echo "not set, needs ${2}"
		else
			echo "=$v, needs ${2}"
		fi ;;
	esac
}

need_miss=() need_lines=() opt_miss=() opt_lines=() nneed=0 nopt=0
while read -r group opt want _src reason; do
	[ -n "${group:-}" ] || continue
	s=$(state "$opt" "$want")
	if [ "$group" = needed ]; then
		nneed=$((nneed + 1))
		[ -n "$s" ] || continue
		need_miss+=("$opt")
		need_lines+=("$(printf '  %-34s %-17s %s' "$opt" "$s" "$reason")")
	else
		nopt=$((nopt + 1))
		[ -n "$s" ] || continue
		opt_miss+=("$opt")
		opt_lines+=("$(printf '  %-34s %-17s %s' "$opt" "$s" "$reason")")
	fi
done < <(vr_kconfig_table)

rc=0
[ ${#need_miss[@]} -eq 0 ] || rc=1
if [ $brief -eq 1 ]; then
	echo "needed: ${need_miss[*]+"${need_miss[*]}"}"
	echo "optional: ${opt_miss[*]+"${opt_miss[*]}"}"
	exit $rc
fi
ver=$(grep -m1 -o 'Linux/[^ ]* [^ ]* Kernel Configuration' "$config" || true)
echo "kernel-check: $config${ver:+ ($ver)}"
if [ $rc -eq 0 ]; then
	echo "needed: nothing missing ($nneed options)"
else
	echo "needed: ${#need_miss[@]} of $nneed missing"
	printf '%s\n' "${need_lines[@]}"
fi
if [ ${#opt_miss[@]} -eq 0 ]; then
	echo "for the sanitizer rows (optional): nothing missing ($nopt options)"
else
	echo "for the sanitizer rows (optional): ${#opt_miss[@]} of $nopt missing"
	printf '%s\n' "${opt_lines[@]}"
fi
exit $rc
