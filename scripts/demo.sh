#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: boot the test VM once per read mode, run the issue-2194
# reproducer (fork; the child spawns a pproc, maps, touches and exits; the
# parent reads its status 50 times, waits, reads once more, reaps) and print
# the modes side by side. Every sanitizer row runs on one test kernel,
# debug-7.3 (KASAN, Rust), built once and cached if needed: uaf with the
# race's order forced by the module's pause points (repro -f); uaf-window
# the same race left to chance with a 50 ms sleep in the reader's window;
# the rust-* rows the Rust twin (module/rust) with the same reproducer;
# the maps-* and cred-* rows the module's two later races (selftests/lab,
# forced every round): each unsafe variant, and the fix. The others run on
# Debian's stock kernel. One kernel to build keeps a cold demo short.
# Options and exit statuses: usage() below (scripts/demo.sh --help).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

all_modes="buggy checked fixed rcu uaf uaf-window rust-buggy rust-checked rust-fixed rust-rcu maps-grab maps-upgrade cred-plain cred-inc cred-get"
usage() {
	cat <<EOT
usage: $0 [--rounds N] [--modes "MODE..."]
Boot the test VM once per mode, run the reproducer in it (each VM stops at
its first kernel report) and print the modes side by side, with the crashes'
timelines from the module's trace events. uaf, uaf-window, the rust-*
rows and the maps-* and cred-* rows run on the debug-7.3 kernel (KASAN,
Rust; its toolchain chroot and kernel built once if not cached; how long
each takes: docs/benchmarks.md): rust-buggy (forced), rust-checked,
rust-fixed and rust-rcu run the Rust twin (vmar_race_rs.ko); maps-grab,
maps-upgrade, cred-plain, cred-inc and cred-get the two later races'
variants, forced (selftests/lab). The others run on Debian's stock kernel.
Logs in build/demo/.
  --rounds N      reproducer rounds of the buggy, checked, fixed, rcu and
                  rust-* rows (default 1000)
  --modes "M..."  the modes to run, in this order (default: all,
                  "$all_modes")
  -h, --help      print this help and exit
The stock-kernel rows run while the test kernels build, so the first
verdicts come within minutes on a fresh machine.
Exit status: 0 every row's verdict is the expected one (column "expected":
buggy, rust-buggy, maps-grab, cred-plain and cred-inc panic (the last
three at their sanitizer's first report: panic_on_warn), uaf and uaf-window
report, the others ok), 1 a row differs
(one line says which), 64 usage error (bad option, argument or mode), 70
error (dependencies could not be installed, the debug-7.3 kernel or the
selftests not built, no usable QEMU accelerator).
EOT
}
rounds=1000 modes=$all_modes
while [ $# -gt 0 ]; do
	case "$1" in
	--rounds) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--rounds needs a positive number"; rounds=$2; shift 2 ;;
	--modes) [ $# -ge 2 ] || vr_usage_die "--modes needs a list"; modes=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done
for m in $modes; do
	case " $all_modes " in *" $m "*) ;; *) vr_usage_die "unknown mode '$m' (modes: $all_modes)" ;; esac
done
[ -n "${modes// }" ] || vr_usage_die "--modes needs at least one mode"

# Stock rows only (make try): only what they need, no kernel-build tools.
deps=()
for m in $modes; do
	case "$m" in uaf*|rust-*|maps-*|cred-*) deps=() && break ;; *) deps=(--stock) ;; esac
done
"$VR_ROOT/scripts/deps.sh" "${deps[@]+"${deps[@]}"}" || vr_die "dependencies could not be installed"
"$VR_ROOT/scripts/build-selftests.sh" >/dev/null || vr_die "selftests build failed"

out="$VR_ROOT/build/demo"
rm -rf "$out" && mkdir -p "$out"
read -r accel _ < <("$VR_ROOT/scripts/accel.sh") || vr_die "no usable QEMU accelerator"
jobs=$(( $(nproc) >= 2 ? 2 : 1 ))
n=$(wc -w <<<"$modes")
echo "demo: accelerator $accel (VMAR_RACE_ACCEL=kvm|tcg overrides); $n rows, $jobs VMs at a time; each stops at its first kernel report"

# The kernel a row runs on.
row_kernel() {
	case "$1" in uaf*|maps-*|cred-*|rust-*) echo debug-7.3 ;; *) echo stock ;; esac
}

# The test kernel the rows need (debug-7.3, for every sanitizer row):
# built in the background while the stock rows run (cached after the
# first time).
kbuild= rroot= need=()
for k in debug-7.3; do
	for m in $modes; do
		if [ "$(row_kernel "$m")" = $k ]; then need+=("$k"); break; fi
	done
done
missing=()
for k in "${need[@]+"${need[@]}"}"; do
	if vr_kernel_built "$k" >/dev/null; then
		echo "demo: the $k kernel is cached"
	else
		missing+=("$k")
	fi
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "demo: building the ${missing[*]} kernel(s) in the background (once; log build/demo/kernel.log; times in docs/benchmarks.md); the stock rows run meanwhile"
	# debug-7.3's Rust toolchain chroot (mostly downloads) is made
	# meanwhile.
	if [[ " ${missing[*]} " == *" debug-7.3 "* ]]; then
		(vr_rust_root >/dev/null) 2>"$out/rust-root.log" &
		rroot=$!
	fi
	(for k in "${missing[@]}"; do
		read -r f s < <(vr_kernel_name "$k")
		"$VR_ROOT/scripts/build-kernel.sh" "$f" "$s" || exit 1
	done) >"$out/kernel.log" 2>&1 &
	kbuild=$!
fi

# The verdict each row must reach.
expected() {
	case "$1" in
	buggy|rust-buggy|maps-grab|cred-plain|cred-inc) echo panic ;;
	uaf|uaf-window) echo report ;;
	*) echo ok ;;
	esac
}

# One row: boot a VM for mode $2, write its table row to $out/$1.row.
run_mode() {
	local i=$1 m=$2 mode=$2 kernel=stock params=(--trace) scen=demo-race cmd
	local log res verdict msg secs final survived zreads crash_t crash_r short
	case "$m" in
	buggy) params=(--trace --param unwrap_fail=panic) ;;
	rust-*)
		# The Rust twin: its panic handler BUG()s; oops=panic makes
		# that the kernel panic Rust's own panic is.
		# rust-buggy is forced (pause points): it panics in round 1.
		# kunit.enable=0: its KUnit suites (make check's) do not run
		# at load.
		kernel=debug-7.3 mode=${m#rust-} params=(--module rust --append kunit.enable=0)
		[ "$mode" != buggy ] ||
			{ params=(--module rust --append "kunit.enable=0 oops=panic"); scen=demo-forced; }
		;;
	uaf)
		# Forced: the reader pauses holding the bare pointer, exit frees
		# the VMAR, the reader resumes. No sleep: race_delay_us=0.
		kernel=debug-7.3
		scen=demo-forced
		;;
	uaf-window)
		# Left to chance: readers hammer the pproc a writer exits; the
		# 50 ms window lets an RCU grace period pass, so exit frees it.
		kernel=debug-7.3 mode=uaf params=(--trace --param race_delay_us=50000)
		scen=demo-window
		;;
	maps-* | cred-*)
		# The later races, forced (lab -f); an unsafe variant's first
		# sanitizer report panics (past it a freed walk goes wild).
		kernel=debug-7.3 mode=fixed scen=${m%%-*}forced
		params=(--trace --param "${m%%-*}_mode=${m#*-}")
		[ "$(expected "$m")" != panic ] || params+=(--append panic_on_warn=1)
		;;
	esac
	log="$out/$m.log"
	# Judged by KASAN or a panic: no kmemleak (make check's leak rows
	# have it), which halves the debug kernels' fork-heavy rows.
	# The command, from selftests/scenarios.txt (no kernel arguments).
	cmd=$(vr_scenario "$scen" ROUNDS="$rounds" | sed -n 2p)
	echo "demo: [$i/$n] $m on the $kernel kernel: ${cmd#/selftests/} ..."
	res=$("$VR_ROOT/scripts/vm.sh" --kernel "$kernel" --mode "$mode" "${params[@]}" --quiet \
		--no-kmemleak --stop-on-report --timeout 900 --log "$log" -- sh -c "$cmd" 2>&1)
	verdict=$(sed -n 's/^vm: verdict=\([a-z]*\) .*/\1/p' <<<"$res")
	if [ -z "$verdict" ]; then	# vm.sh failed before a boot: say why
		msg=$(grep -v '^accel: ' <<<"$res" | tail -n1 | tr '|' ' ')
		echo "${msg:-vm.sh printed nothing}" >>"$log"
		echo "$m|$kernel|?|vm.sh: ${msg:0:58}|-|-|-|-" >"$out/$i.row"
		echo "demo:       $m: vm.sh failed: ${msg:-no output}"
		return
	fi
	msg=$(sed -n 's/^vm: kernel: //p' <<<"$res")
	[ "$verdict" != boot ] || msg=$(sed -n 's/^vm: boot: //p' <<<"$res")
	secs=$(sed -n 's/.* seconds=\([0-9]*\) .*/\1/p' <<<"$res")
	final=$(vr_program_output "$log" | grep -aE '^(repro: (forced )?rounds=|lab: race=.* rounds=)' | tail -n1)
	if [ "$verdict" = ok ] || [ "$verdict" = boot ] || [ -z "$msg" ]; then
		survived=$(sed -n 's/.*rounds=\([0-9]*\).*/\1/p' <<<"$final")
		zreads=$(sed -n 's/.*zombie_reads=\([0-9]*\).*/\1/p' <<<"$final")
		crash_t=- crash_r=-
	else
		# The round under way when the kernel reported, and the kernel's
		# timestamp of the report from the reproducer's start.
		# repro -R logs each round to /dev/kmsg too: the last one on the
		# console before the report.
		crash_r=$(awk -v m="$msg" 'index($0, m) { exit } /\] (repro|lab): round [0-9]+$/ { r = $NF } END { print r }' "$log")
		survived=$(( ${crash_r:-1} - 1 ))
		zreads=-
		crash_t=$(vr_secs_to "$log" "$msg")
		crash_t=${crash_t:+${crash_t}s}
		crash_t=${crash_t:--}
	fi
	short=$(sed -E 's/^Kernel panic - not syncing: vmar_race: called `Option::unwrap\(\)` on a `None` value: /panic: unwrap() on None: /; s/ read through .*//; s/^rust_kernel: panicked at /Rust panic at /' <<<"$msg")
	short=${short:0:62}
	echo "$m|$kernel|${verdict:-?}|${short:--}|$crash_t|$crash_r|${survived:--}|${zreads:--}" >"$out/$i.row"
	echo "demo:       $m: verdict ${verdict:-?} (expected $(expected "$m")) after ${secs}s${msg:+: $short}"
}

# Stock rows first, the debug ones once their kernel is there; $jobs at a
# time, each row in its place in the table.
start_row() {
	while [ "$(jobs -rp | grep -vxe "${kbuild:-none}" -e "${rroot:-none}" | wc -l)" -ge "$jobs" ]; do
		wait -n
	done
	run_mode "$1" "$2" &
}
# A kernel's modules, built before its rows start (VMs side by side then
# only copy them); a failed build is each row's to report.
prebuild() {
	local k=$1 m
	for m in $modes; do
		[ "$(row_kernel "$m")" = "$k" ] || continue
		case "$m" in rust-*) echo rust ;; *) echo c ;; esac
	done | sort -u | while read -r mod; do
		"$VR_ROOT/scripts/build.sh" --kernel "$k" --module "$mod" </dev/null >/dev/null 2>>"$out/build.log" ||
			echo "demo: the $mod module for $k did not build (build/demo/build.log)"
	done
}
prebuild stock
i=0
for m in $modes; do
	i=$((i + 1))
	[ "$(row_kernel "$m")" != stock ] || start_row $i "$m"
done
if [ -n "$kbuild" ]; then
	if wait "$kbuild"; then
		echo "demo: the ${missing[*]} kernel(s) built"
	else
		echo "demo: a test kernel did not build (build/demo/kernel.log): its rows cannot run"
	fi
fi
! vr_kernel_built debug-7.3 >/dev/null || prebuild debug-7.3
i=0
for m in $modes; do
	i=$((i + 1))
	k=$(row_kernel "$m")
	[ "$k" != stock ] || continue
	if vr_kernel_built "$k" >/dev/null; then
		start_row $i "$m"
	else
		echo "$m|$k|build|the $k kernel did not build (build/demo/kernel.log)|-|-|-|-" >"$out/$i.row"
	fi
done
wait
rows=()
for ((j = 1; j <= n; j++)); do
	rows+=("$(cat "$out/$j.row" 2>/dev/null || echo "?|?|?|row did not run|-|-|-|-")")
done

echo
fmt='%-12s %-10s %-8s %-8s %-62s %-9s %-7s %-9s %s\n'
printf "$fmt" mode kernel verdict expected "kernel message" "to crash" "crash@" survived "zombie reads"
printf "$fmt" ------------ ---------- -------- -------- "$(printf '%062d' 0 | tr 0 -)" --------- ------- --------- ------------
wrong=()
for r in "${rows[@]}"; do
	IFS='|' read -r m k v s t c sv z <<<"$r"
	printf "$fmt" "$m" "$k" "$v" "$(expected "$m")" "$s" "$t" "$c" "$sv" "$z"
	[ "$v" = "$(expected "$m")" ] || wrong+=("$m: verdict $v, expected $(expected "$m")")
done

# How each crash happened: the module's own trace events, drawn per task.
for ((j = 1; j <= n; j++)); do
	IFS='|' read -r m k v _ <<<"${rows[$((j - 1))]}"
	[ "$v" = panic ] || [ "$v" = report ] || continue
	if [[ "$m" == rust-* ]]; then
		echo
		echo "demo: the $m row's Rust panic, as the kernel printed it:"
		grep -a -A1 'rust_kernel: panicked at' "$out/$m.log" | head -n2 | sed 's/^/  /'
		echo "demo: the module's frames in that report, decoded by decode_stacktrace.sh:"
		"$VR_ROOT/scripts/decode.sh" "$out/$m.log" "$k" || true
		continue
	fi
	expect=()
	case "$m" in buggy) expect=(--expect buggy) ;; uaf) expect=(--expect uaf) ;; esac
	echo
	echo "demo: how the $m row crashed, from the kernel's trace (build/timeline-$m.svg, .png):"
	python3 "$VR_ROOT/scripts/timeline.py" "$out/$m.log" "${expect[@]}" \
		--title "vmar_race $m: the reported pid's trace events, one lane per task" \
		--svg "$VR_ROOT/build/timeline-$m.svg" --png "$VR_ROOT/build/timeline-$m.png" | sed 's/^/  /'
	if [ "$k" != stock ]; then
		echo "demo: the module's frames in that report, decoded by decode_stacktrace.sh:"
		"$VR_ROOT/scripts/decode.sh" "$out/$m.log" "$k" || true
	fi
done
cat <<EOT

What this shows: every row but the last five ran the same reproducer in a
fresh VM (a child spawns a pseudo-process, maps memory and exits while its
parent reads /proc/vmar_race/<pid>/status). What each mode does, and what a
reader of an exited process gets, is the table in README.md ("The bug");
the maps-* and cred-* rows are the two later races, forced (docs/races.md);
"crash@" is the round that crashed, "zombie reads" the reads served as a
zombie.
Logs: build/demo/<mode>.log.
EOT
if [ ${#wrong[@]} -gt 0 ]; then
	for w in "${wrong[@]}"; do echo "demo: FAIL: row $w (log build/demo/${w%%:*}.log)"; done
	exit 1
fi
echo "demo: every row has its expected verdict"
