#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: measure the read paths in the test VM (ratios from one boot),
# and how fast the bugs reproduce over several boots (60 s each at most).
# Writes build/bench/results.{json,md,png}. Not a test: make check runs
# --quick (short measurements, populations 10 and 1000, one boot per
# reproduction sample capped at 10 s) to prove that it works. Options and
# exit statuses: usage() below (scripts/bench.sh --help).
#
# Reproduction samples ("how"): natural = the reproducer left to chance;
# preempt-full = the same on the debug kernel booted with preempt=full
# (PREEMPT_DYNAMIC), to measure whether a preemptible kernel makes uaf
# reproduce without a widened window; forced = repro -f, the order forced by
# the pause points (race_delay_us=0).
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 [--quick] [--boots N] [--seconds S] [--smp N] [--only REGEX]
Benchmarks in the test VM: status read throughput, exit latency and scaling
(one boot of the stock kernel), the trace events' cost (another), and how
fast the bugs reproduce (one boot per sample). Writes build/bench/results.json,
results.md and, with gnuplot, results.png.
  --quick      short measurements, one boot per sample capped at 10 s
               (what make check runs)
  --boots N    boots per reproduction sample (default 10)
  --seconds S  time per throughput figure, taken in 0.25 s turns, 1-60
               (default 12)
  --smp N      vCPUs of the throughput boots, 1-8 (default 2; reproduction
               boots keep 2)
  --only REGEX run just the reproduction samples whose "mode kernel delay
               how" matches REGEX (no throughput boot), e.g. --only forced
  -h, --help   print this help and exit
Exit status: 0 done (whether goals are met is in the report), 64 usage error
(bad option or argument), 70 error (a dependency, build or boot failed).
EOT
}
quick=0 boots=10 secs=12 cap=60 smp=2 only=
while [ $# -gt 0 ]; do
	case "$1" in
	--quick) quick=1 boots=1 cap=10; shift ;;
	--boots) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--boots needs a positive number"; boots=$2; shift 2 ;;
	--seconds) [[ "${2:-}" =~ ^[0-9]+$ ]] && [ "$2" -ge 1 ] && [ "$2" -le 60 ] ||
		vr_usage_die "--seconds needs whole seconds, 1-60"; secs=$2; shift 2 ;;
	--smp) [[ "${2:-}" =~ ^[1-8]$ ]] || vr_usage_die "--smp needs 1-8 vCPUs"; smp=$2; shift 2 ;;
	--only) [ -n "${2:-}" ] || vr_usage_die "--only needs a regex"; only=$2; shift 2 ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done
"$VR_ROOT/scripts/deps.sh" || vr_die "dependencies could not be installed"
"$VR_ROOT/scripts/build-kernel.sh" debug >/dev/null || vr_die "debug kernel build failed"
"$VR_ROOT/scripts/build-kernel.sh" debug 7.3 >/dev/null || vr_die "debug 7.3 kernel build failed"
out="$VR_ROOT/build/bench"
rm -rf "$out" && mkdir -p "$out/logs"
if [ -n "$only" ]; then
	echo '{}' >"$out/throughput.json"
else

# 1-3: throughput, exit latency and scaling in one stock boot.
bargs=(-d "$secs")
[ $quick -eq 0 ] || bargs=(-q)
echo "bench: [1/3] read throughput, exit latency, scaling (one boot of the stock kernel)"
res=$("$VR_ROOT/scripts/vm.sh" --kernel stock --smp "$smp" --quiet --timeout 1800 --mem 2048 \
	--log "$out/logs/throughput.log" -- \
	sh -c "echo BENCH-JSON-BEGIN; /selftests/bench ${bargs[*]}; echo BENCH-JSON-END" 2>&1)
tail -n1 <<<"$res"
case "$res" in *"verdict=ok "*) ;; *) vr_die "the throughput boot failed: $(grep '^vm: ' <<<"$res" | head -n2)" ;; esac
sed -n '/^BENCH-JSON-BEGIN/,/^BENCH-JSON-END/p' "$out/logs/throughput.log" | sed '1d;$d' |
	grep -v -e '^\[' -e '^bench:' >"$out/throughput.json"
fi

# The trace events' cost: the module built without them (-DNOTRACE) and
# with them, off and on, reloaded in turns in one stock boot.
if [ -z "$only" ]; then
	echo "bench: [2/3] the trace events' cost (one boot of the stock kernel)"
	kdir=$(vr_kernel_resolve stock | cut -d' ' -f3)
	nt="$out/notrace"
	mkdir -p "$nt" && cp -r "$VR_ROOT/Kbuild" "$VR_ROOT/module" "$nt/"
	make -s -C "$kdir" M="$nt" KCFLAGS=-DNOTRACE modules >"$nt/build.log" 2>&1 ||
		vr_die "the -DNOTRACE module did not build; see $nt/build.log"
	cp "$nt/vmar_race.ko" "$out/vmar_race-notrace.ko"
	res=$("$VR_ROOT/scripts/vm.sh" --kernel stock --smp "$smp" --quiet --timeout 1200 \
		--add "$out/vmar_race-notrace.ko" --log "$out/logs/trace.log" -- \
		sh -c "mount -t tracefs tracefs /sys/kernel/tracing; echo BENCH-JSON-BEGIN; /selftests/bench -T /root/vmar_race-notrace.ko,/lib/vmar_race/vmar_race.ko ${bargs[*]}; echo BENCH-JSON-END" 2>&1)
	tail -n1 <<<"$res"
	case "$res" in *"verdict=ok "*) ;; *) vr_die "the trace boot failed: $(grep '^vm: ' <<<"$res" | head -n2)" ;; esac
	sed -n '/^BENCH-JSON-BEGIN/,/^BENCH-JSON-END/p' "$out/logs/trace.log" | sed '1d;$d' |
		grep -v -e '^\[' -e '^bench:' >"$out/trace.json"
fi

# The Rust twin against the C module: both loaded in one boot of the
# Rust-enabled debug-7.3 kernel (KASAN and lockdep in both: the ratio, not
# the rate, is the figure). Not in --quick (make check): a boot more.
if [ -z "$only" ] && [ $quick -eq 0 ]; then
	echo "bench: [+] the Rust twin against the C module (one boot of debug-7.3)"
	read -r _ _ kdir < <(vr_kernel_resolve debug-7.3) || exit $VR_EX_SOFTWARE
	cko="$(vr_build_module debug-7.3 "$kdir")/vmar_race.ko"
	res=$("$VR_ROOT/scripts/vm.sh" --kernel debug-7.3 --module rust --mode fixed --smp "$smp" \
		--no-kmemleak --quiet --timeout 1200 --add "$cko" --log "$out/logs/rust.log" -- \
		sh -c "insmod /root/vmar_race.ko && mount -t vmar_race vmar_race /proc/vmar_race && echo BENCH-JSON-BEGIN && /selftests/bench -R ${bargs[*]}; echo BENCH-JSON-END" 2>&1)
	tail -n1 <<<"$res"
	case "$res" in *"verdict=ok "*) ;; *) vr_die "the Rust boot failed: $(grep '^vm: ' <<<"$res" | head -n2)" ;; esac
	sed -n '/^BENCH-JSON-BEGIN/,/^BENCH-JSON-END/p' "$out/logs/rust.log" | sed '1d;$d' |
		grep -v -e '^\[' -e '^bench:' >"$out/rust.json"
fi

# 4: reproduction speed, one boot per sample.
echo "bench: [3/3] reproduction speed: $boots boot(s) per (mode, race_delay_us, how)"
: >"$out/repro.tsv"
for spec in "buggy stock 0 natural" "buggy stock 1000 natural" "uaf debug 0 natural" \
	"uaf debug 0 preempt-full" "uaf debug 50000 natural" "uaf debug 0 forced" \
	"uaf debug-7.3 0 forced" "grab debug 0 lab-maps" "plain debug 0 lab-cred" \
	"inc debug 0 lab-cred"; do
	[ -z "$only" ] || [[ "$spec" =~ $only ]] || continue
	read -r mode kernel delay how <<<"$spec"
	params=(--param race_delay_us="$delay")
	vmmode=$mode
	# buggy: the fork reproducer (it panics); uaf: threaded readers, stopped
	# as soon as KASAN reports, or one forced round.
	scen=bench-race
	[ "$mode" = buggy ] && params+=(--param unwrap_fail=panic)
	[ "$mode" = uaf ] && scen=bench-hunt
	[ "$how" = forced ] && scen=bench-forced
	cmd=(sh -c "$(vr_scenario $scen CAP="$cap" | sed -n 2p)")
	[ "$how" = preempt-full ] && params+=(--append preempt=full)
	# The later races' unsafe variants, forced (lab -f), mode=fixed; the
	# first sanitizer report panics (panic_on_warn).
	if [[ "$how" == lab-* ]]; then
		vmmode=fixed
		params+=(--param "${how#lab-}_mode=$mode" --append panic_on_warn=1)
		cmd=(sh -c "$(vr_scenario "${how#lab-}forced" | sed -n 2p)")
	fi
	label=$mode
	[ "$how" = natural ] || label="$mode $how"
	for b in $(seq 1 "$boots"); do
		log="$out/logs/repro-$mode-$kernel-$delay-$how-$b.log"
		res=$("$VR_ROOT/scripts/vm.sh" --kernel "$kernel" --mode "$vmmode" "${params[@]}" \
			--no-kmemleak --quiet --stop-on-report --timeout 300 --log "$log" -- "${cmd[@]}" 2>&1)
		verdict=$(sed -n 's/^vm: verdict=\([a-z]*\) .*/\1/p' <<<"$res")
		first=$(sed -n 's/^vm: kernel: //p' <<<"$res")
		[ -n "$verdict" ] || vr_die "$mode/$kernel boot $b did not run: $(tail -n3 <<<"$res")"
		[ "$verdict" != boot ] || vr_die "$mode/$kernel boot $b: the guest did not boot: $(sed -n 's/^vm: boot: //p' <<<"$res")"
		t=-1
		if [ "$verdict" = panic ] || [ "$verdict" = report ]; then
			t=$(vr_secs_to "$log" "$first")
			t=${t:--1}
		fi
		printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$label" "$kernel" "$delay" "$b" "$verdict" "$t" >>"$out/repro.tsv"
		case "$verdict:$t" in
		ok:*|fail:*) echo "bench:   $mode/$kernel race_delay_us=$delay boot $b: no report in ${cap}s ($verdict)" ;;
		*:-1) echo "bench:   $mode/$kernel race_delay_us=$delay boot $b: $verdict (no timestamp)" ;;
		*) echo "bench:   $mode/$kernel race_delay_us=$delay boot $b: $verdict after ${t}s" ;;
		esac
	done
done

if [ -n "$only" ]; then
	# A partial run: its samples only, without the throughput report.
	echo "bench: reproduction samples (--only $only), seconds from the reproducer's start"
	awk -F'\t' '{ k = $1 " | " $2 " | " $3; n[k]++; if ($6 >= 0) { h[k]++; t[k] = t[k] " " $6 } }
		END { for (k in n) printf "| %s | %d of %d boots |%s |\n", k, h[k], n[k], t[k] }' "$out/repro.tsv" | sort
	exit 0
fi
python3 "$VR_ROOT/scripts/bench_report.py" "$out" "$(nproc)" || vr_die "report failed"
if command -v gnuplot >/dev/null; then
	gnuplot "$out/plot.gp" && echo "bench: plot in $out/results.png"
fi
cat "$out/results.md"
