#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check: every test layer. Host checks (W=1, sparse, checkpatch), then
# one test VM per row of selftests/verdicts.txt: kselftests, reproducers,
# KUnit and sanitizer verdicts on the stock, debug and kcsan kernels.
# Ends with "check: N passed, N failed, N skipped" (every lint check, verdict
# row, kselftest case and KUnit case counts once).
#
# Options and exit statuses: usage() below (scripts/check.sh --help); make
# soak raises the durations.
set -uo pipefail
. "$(dirname "$0")/lib.sh"

usage() {
	cat <<EOT
usage: $0 [--only REGEX] [--stress SECONDS] [--fuzz SECONDS]
                        [--guess SECONDS] [--lab SECONDS] [--cycles N] [--jobs N]
                        [--list]
Every test layer (make check): dependencies, test kernels, host checks (W=1,
sparse, checkpatch), then one test VM per row of selftests/verdicts.txt and
bench.sh --quick. Ends with "check: N passed, N failed, N skipped"; logs in
build/check/.
  --only REGEX  run just the verdict rows matching REGEX ("bench" matches the
                benchmark job)
  --stress S    threaded reproducer time of the stress rows (default 30, or
                VMAR_RACE_STRESS_SECS)
  --fuzz S      fuzzer time of the fuzz and faults rows, at least 10
                (default 30)
  --guess S     pid-guessing time of the preempt rows' fuzzer (default 30)
  --lab S       threaded time of each safe variant in the labsafe rows
                (default 10)
  --cycles N    insmod/rmmod cycles of the preempt rows' unload loop
                (default 3)
  --jobs N      VMs at once, 1-9 (default 2 on 2 or more CPUs: most rows
                wait on fixed durations, so two overlap well on 2 cores)
  --list        print the rows that would run, and exit
  -h, --help    print this help and exit
Exit status: 0 everything passed, 1 something failed, 64 usage error (bad
option or argument), 70 error (dependencies could not be installed, no
usable QEMU accelerator).
EOT
}
only= stress=${VMAR_RACE_STRESS_SECS:-30} fuzz=30 guess=30 lab=10 cycles=3 list=0
jobs=$(( $(nproc) >= 2 ? 2 : 1 ))
while [ $# -gt 0 ]; do
	case "$1" in
	--only) [ $# -ge 2 ] || vr_usage_die "--only needs a regex"; only=$2; shift 2 ;;
	--stress) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--stress needs seconds"; stress=$2; shift 2 ;;
	--fuzz) [[ "${2:-}" =~ ^[1-9][0-9]*$ && $2 -ge 10 ]] || vr_usage_die "--fuzz needs seconds (at least 10)"; fuzz=$2; shift 2 ;;
	--guess) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--guess needs seconds"; guess=$2; shift 2 ;;
	--lab) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--lab needs seconds"; lab=$2; shift 2 ;;
	--cycles) [[ "${2:-}" =~ ^[1-9][0-9]*$ ]] || vr_usage_die "--cycles needs a positive count"; cycles=$2; shift 2 ;;
	--jobs) [[ "${2:-}" =~ ^[1-9]$ ]] || vr_usage_die "--jobs needs 1-9"; jobs=$2; shift 2 ;;
	--list) list=1; shift ;;
	-h|--help) usage; exit 0 ;;
	*) vr_usage_die "unknown option '$1'" ;;
	esac
done

rows=()
while IFS= read -r line; do
	case "$line" in ''|'#'*) continue ;; esac
	[ -z "$only" ] || [[ "$line" =~ $only ]] || continue
	rows+=("$line")
done <"$VR_ROOT/selftests/verdicts.txt"
if [ -n "$only" ] && [ ${#rows[@]} -eq 0 ] && ! [[ bench =~ $only ]]; then
	vr_usage_die "--only '$only' matches no row of selftests/verdicts.txt (its columns are space-aligned: ' +' between words; scripts/check.sh --list prints every row)"
fi
# Longest rows first (two VMs at a time, so none of them runs alone at the
# end): a rough cost per scenario, test kernels before the stock one; rows
# of equal cost keep their order in verdicts.txt.
row_cost() {
	local k s
	read -r k _ s _ <<<"$1"
	case "$s" in
	preempt) echo 9 ;; longhunt|kunit|kunitsafe) echo 8 ;;
	faults|unload|stress|fuzz|suite|dkms|contract) echo 6 ;; repro|hunt) echo 4 ;; *) echo 2 ;;
	esac | awk -v k="$k" '{ print $1 * (k == "stock" ? 1 : 3) }'
}
mapfile -t rows < <(for r in "${rows[@]}"; do echo "$(row_cost "$r") $r"; done |
	sort -s -k1,1nr | cut -d' ' -f2-)
if [ $list -eq 1 ]; then printf '%s\n' "${rows[@]}"; exit 0; fi

t0=$(date +%s)
passed=0 failed=0 skipped=0
declare -a failures=()
pass() { passed=$((passed + 1)); echo "check: PASS $*"; }
fail() { failed=$((failed + 1)); failures+=("$*"); echo "check: FAIL $*"; }
elapsed() { echo "$(( $(date +%s) - t0 ))s"; }

echo "check: [1/4] dependencies"
"$VR_ROOT/scripts/deps.sh" || vr_die "dependencies could not be installed"

accel=$("$VR_ROOT/scripts/accel.sh") || vr_die "no usable QEMU accelerator"
accel=${accel%% *}
echo "check: accelerator $accel for every VM (VMAR_RACE_ACCEL=kvm|tcg overrides)"

echo "check: [2/4] kernels (cached in $VR_CACHE/kernels; build times: docs/benchmarks.md)"
mkdir -p "$VR_ROOT/build"
# The Rust toolchain chroot (debootstrap, mostly downloads) is made in the
# background while the 6.1 kernels build; the 7.3 kernel, which needs it,
# builds last.
kernels=$(printf '%s\n' "${rows[@]}" | awk '$1 != "stock" { print $1 }' | sort -u | sort -s -t- -k2,2)
if grep -qx 'debug-7.3' <<<"$kernels"; then
	(vr_rust_root >/dev/null) 2>"$VR_ROOT/build/rust-root.log" &
fi
for k in $kernels; do
	read -r flavour series < <(vr_kernel_name "$k") || { fail "unknown kernel $k"; continue; }
	if ! "$VR_ROOT/scripts/build-kernel.sh" "$flavour" "$series" >/dev/null; then
		fail "kernel build: $k"
	fi
done

echo "check: [3/4] host checks: W=1, sparse, checkpatch --strict ($(elapsed))"
outdir="$VR_ROOT/build/check"
rm -rf "$outdir" && mkdir -p "$outdir/artefacts"
"$VR_ROOT/scripts/build-selftests.sh" >/dev/null 2>"$VR_ROOT/build/selftests.log" &&
	! grep -q 'warning:' "$VR_ROOT/build/selftests.log" &&
	pass "selftests build (static, -Wall -Wextra)" ||
	fail "selftests build (see build/selftests.log)"
# Meanwhile, each kernel's modules for the VM rows (scripts/build.sh; its
# own locks keep it apart from lint's builds): build/check/artefacts/
# KERNEL-{c,rust}.ko link to them, KERNEL-M.err says why one did not build.
while read -r k m; do
	if a=$("$VR_ROOT/scripts/build.sh" --kernel "$k" --module "$m" 2>"$outdir/artefacts/$k-$m.err"); then
		ln -sf "$(sed -n 's/^ko=//p' <<<"$a")" "$outdir/artefacts/$k-$m.ko"
	else
		touch "$outdir/artefacts/$k-$m.failed"
	fi
done < <([ ${#rows[@]} -eq 0 ] || printf '%s\n' "${rows[@]}" | awk '{ print $1, ($4 ~ /module:rust/ ? "rust" : "c") }' | sort -u) &
artefacts=$!
# The benchmark in its quick mode, as one more job from here on (beside
# lint, then in one of the rows' slots): it must produce every figure and
# goal ratio (whether goals are met is make bench's business).
run_bench() {
	local r="$outdir/bench.res" log="$outdir/bench.log"
	echo "check: (bench) scripts/bench.sh --quick ... ($(elapsed))"
	if "$VR_ROOT/scripts/bench.sh" --quick >"$log" 2>&1 &&
		python3 - "$VR_ROOT/build/bench/results.json" >>"$log" 2>&1 <<'EOT'
import json, sys
d = json.load(open(sys.argv[1]))
goals = d["goals"]
assert len(goals) >= 8 and all(isinstance(g["ratio"], (int, float)) for g in goals), goals
assert d["throughput"] and d["reproduction"]
# P4 by construction: an rcu reader never holds pp->lock, so no exit waits.
assert d["throughput"]["rcu_exit_lock_waits"] == 0, d["throughput"]["rcu_exit_lock_waits"]
print("bench check: %d goal ratios" % len(goals))
EOT
	then
		echo "pass bench --quick: $(grep -c '^| ' "$VR_ROOT/build/bench/results.md") table rows, results in build/bench" >"$r"
		echo "check: PASS bench --quick"
	else
		echo "fail bench --quick (see $log)" >"$r"
		echo "check: FAIL bench --quick (see $log)"
	fi
}
benchjob=0
if [ -z "$only" ] || [[ bench =~ $only ]]; then
	benchjob=1
	if [ "$jobs" -gt 1 ]; then run_bench & else run_bench; fi
fi
while IFS= read -r line; do
	case "$line" in
	"lint: "*" ok") pass "${line#lint: }" ;;
	"lint: "*FAIL*) fail "${line#lint: }" ;;
	*) echo "$line" ;;
	esac
done < <("$VR_ROOT/scripts/lint.sh" 2>&1; echo "$?" >"$VR_ROOT/build/lint.rc")
# lint.sh exits 1 when a check failed (counted above); anything else is
# lint itself failing (a missing tool, ...), which counts too.
case "$(cat "$VR_ROOT/build/lint.rc" 2>/dev/null)" in
0|1) ;;
*) fail "lint.sh could not run (status $(cat "$VR_ROOT/build/lint.rc" 2>/dev/null))" ;;
esac
# The docs against the tools they describe (docs/testing.md, "The docs").
python3 "$VR_ROOT/scripts/doccheck.py" >"$VR_ROOT/build/doccheck.log" 2>&1
case $? in
0) pass "docs: doccheck.py ($(sed -n 's/^doccheck: \([0-9]*\) files.*/\1/p' "$VR_ROOT/build/doccheck.log") files)" ;;
1) fail "docs: doccheck.py: $(grep -vc '^doccheck: ' "$VR_ROOT/build/doccheck.log") problems (see build/doccheck.log)" ;;
*) fail "docs: doccheck.py could not run (see build/doccheck.log)" ;;
esac

wait $artefacts
for f in "$outdir"/artefacts/*.failed; do
	[ -e "$f" ] || continue
	f=${f%.failed}
	fail "module build (${f##*-}) for $(basename "${f%-*}"): $(tail -n1 "$f.err")"
done
src=$(vr_linux_src) || vr_die "linux-source-6.1's helpers could not be extracted"
ksft_pass=0 ksft_fail=0 ksft_skip=0 kunit_pass=0 kunit_fail=0

# The KUnit module's suites (module/vmar_race_kunit.c), and the Rust
# twin's (race.rs's #[kunit_tests], run as vmar_race_rs.ko loads).
vr_kunit_suites=7 vr_rs_kunit_suites=3
seed=$(date +%s)	# fuzz and faults rows: printed in each row's log

# A scenario's kernel arguments and guest command (selftests/scenarios.txt),
# with this run's settings.
scenario() {
	vr_scenario "$1" STRESS="$stress" FUZZ="$fuzz" GUESS10=$((guess + 10)) \
		CYCLES="$cycles" SEED="$seed" LABSECS="$lab"
}

# One row: boots its VM and records its results in $outdir/$i.res ("pass
# MSG", "fail MSG", "ksft PASS FAIL SKIP", "kunit PASS FAIL"); rows run
# $jobs at a time, so everything a row writes is its own.
run_row() {
	local i=$1 row=$2 kernel mode scenario params want sig name cmd limit
	local args boot ko ps p f s log out verdict first secs why tot kres kp kf expect z rust=0
	local suites nsuites
	local resfile="$outdir/$i.res"
	: >"$resfile"
	res() {
		echo "$1 $2" >>"$resfile"
		case "$1" in
		pass) echo "check: PASS $2" ;;
		fail) echo "check: FAIL $2" ;;
		esac
	}
	read -r kernel mode scenario params want sig <<<"$row"
	name="$kernel $mode $scenario${params:+ $params}"
	name=${name% -}
	{ read -r boot; read -r cmd; } < <(scenario "$scenario" 2>&1)
	[ -n "$cmd" ] || { res fail "$name: ${boot:-unknown scenario}"; return; }
	limit=$([ "$kernel" = stock ] && echo 600 || echo 1200)
	limit=$((limit + 2 * (stress > fuzz ? stress : fuzz) + 4 * guess + 20 * cycles + 8 * lab))
	args=(--kernel "$kernel" --quiet --timeout $limit)
	[ "$mode" = - ] || args+=(--mode "$mode")
	ko=$outdir/artefacts/$kernel-c.ko
	if [ "$scenario" = dkms ]; then
		ko=$("$VR_ROOT/scripts/dkms-build.sh" 2>"$outdir/dkms.err") ||
			{ res fail "$name: DKMS build failed ($(tail -n1 "$outdir/dkms.err"))"; return; }
	fi
	if [ "$params" != - ]; then
		IFS=, read -r -a ps <<<"$params"
		for p in "${ps[@]}"; do
			case "$p" in
			boot:*) boot="$boot ${p#boot:}" ;;
			module:rust) args+=(--module rust); rust=1; ko=$outdir/artefacts/$kernel-rust.ko ;;
			kmemleak:off) args+=(--no-kmemleak) ;;
			*) args+=(--param "$p") ;;
			esac
		done
	fi
	# vmar_race_rs runs its KUnit suites at every load (about 20 s under
	# KASAN; unload.sh loads it three times): only the rustkunit row does.
	[ $rust = 0 ] || [ "$scenario" = rustkunit ] || boot="$boot kunit.enable=0"
	[ -r "$ko" ] || { res fail "$name: the module for $kernel did not build"; return; }
	args+=(--ko "$(readlink -f "$ko")" --selftests "$VR_ROOT/build/selftests")
	[ -z "$boot" ] || args+=(--append "${boot# }")
	[ "$scenario" != timeline ] || args+=(--trace)
	# Rows judged by KASAN or a panic run without kmemleak (its tracking
	# halves a fork-heavy run, its scans take 25 s); the preempt, faults,
	# unload, contract and KUnit rows run the same paths with it.
	case "$scenario" in forced|timeline|repro|hunt) args+=(--no-kmemleak) ;; esac
	# Rows that wait for a report end with it (suites keep running: their
	# TAP totals count).
	case "$want:$scenario" in
	ok:*|*:suite|*:dkms|*:preempt|*:contract) ;;
	*) args+=(--stop-on-report) ;;
	esac
	log="$outdir/$i-$kernel-$mode-$scenario.log"
	echo "check: ($i/${#rows[@]}) $name: expect $want ... ($(elapsed))"
	out=$("$VR_ROOT/scripts/vm.sh" "${args[@]}" --log "$log" -- sh -c "$cmd" 2>&1)
	# Under TCG, a CPU may run a hot tracepoint's call site while another
	# patches it (text_poke_bp's int3, when --trace turns on the sched
	# probes): seen once, an "int3:" oops in trace_sched_wakeup before the
	# command ran. Not the module's: such a run (an int3 oops whose RIP is
	# outside vmar_race) is run once more, and the second run counts.
	if grep -qaE '^\[ *[0-9.]+\] int3: ' "$log" &&
		! grep -qaE '^\[ *[0-9.]+\] RIP: .*\[vmar_race' "$log"; then
		mv "$log" "$log.int3"
		echo "check:   $name: an int3 oops outside the module (TCG code patching; $log.int3): running it again"
		out=$("$VR_ROOT/scripts/vm.sh" "${args[@]}" --log "$log" -- sh -c "$cmd" 2>&1)
	fi
	verdict=$(sed -n 's/^vm: verdict=\([a-z]*\) .*/\1/p' <<<"$out")
	first=$(sed -n 's/^vm: kernel: //p' <<<"$out")
	[ "$verdict" != boot ] || first=$(sed -n 's/^vm: boot: //p' <<<"$out")
	secs=$(sed -n 's/.* seconds=\([0-9]*\) .*/\1/p' <<<"$out")
	why=
	if [ "$verdict" != "$want" ]; then
		# Without a kernel message, say what the guest command printed last.
		[ -n "$first" ] || first=$(vr_program_output "$log" | tail -n1)
		why="verdict $verdict, expected $want${first:+ ($first)}"
	elif [ "$sig" != - ] && ! grep -qE -- "$sig" <<<"$first"; then
		why="signature '$first' does not match /$sig/"
	elif [ "$want" != ok ] && ! grep -qE '\[vmar_race(_rs)?\]' "$log"; then
		why="the report has no vmar_race frame"
	elif [ $rust = 1 ] && [ "$want" = panic ] &&
		! grep -qF 'called `Option::unwrap()` on a `None` value' "$log"; then
		why="no Rust unwrap() message on the console"
	fi
	# A reproducer that survives must have read zombies (exited pprocs).
	if [ -z "$why" ] && [ "$scenario" = repro ] && [ "$want" = ok ]; then
		z=$(vr_program_output "$log" | sed -n 's/^repro: rounds=.* zombie_reads=\([0-9]*\) .*/\1/p' | tail -n1)
		if [ "${z:-0}" -gt 0 ]; then
			echo "check:   repro: $z zombie reads"
		else
			why="the reproducer read no zombie (zombie_reads=${z:-missing})"
		fi
	fi
	# The timeline drawn from the trace must show the order the pause
	# points forced.
	if [ "$scenario" = timeline ] && [ -z "$why" ]; then
		case "$mode:$want" in
		uaf:report) expect=uaf ;; uaf:*) expect=forced-uaf ;;
		buggy:*) expect=buggy ;; *) expect=forced-ref ;;
		esac
		if python3 "$VR_ROOT/scripts/timeline.py" "$log" --expect "$expect" >"$log.timeline" 2>&1; then
			echo "check:   $(tail -n1 "$log.timeline")"
		else
			why="timeline: $(grep -v 'order' "$log.timeline" | tail -n1)"
		fi
	fi
	# kselftest TAP totals, summed over the suite's programs.
	if [[ "$scenario" =~ ^(suite|dkms|preempt|contract)$ ]]; then
		tot=$(grep -a '^# Totals:' "$log" | awk '{
			for (i = 3; i <= NF; i++) { split($i, kv, ":"); n[kv[1]] += kv[2] }
			progs++ } END { if (progs) printf "pass:%d fail:%d skip:%d (%d programs)",
			n["pass"], n["fail"] + n["error"], n["skip"], progs }')
		if [ -n "$tot" ]; then
			p=$(grep -oE 'pass:[0-9]+' <<<"$tot" | cut -d: -f2)
			f=$(grep -oE 'fail:[0-9]+' <<<"$tot" | cut -d: -f2)
			s=$(grep -oE 'skip:[0-9]+' <<<"$tot" | cut -d: -f2)
			res ksft "$p $f $s"
			echo "check:   kselftest $tot"
			grep -a '^not ok' "$log" | sed 's/^/check:   /'
		elif [ "$want" = ok ]; then
			why="${why:-no TAP totals in the log}"
		fi
	fi
	# KUnit: parse the suites' KTAP with kunit.py from linux-source.
	suites=vmar_race_ nsuites=$vr_kunit_suites
	[ "$scenario" != rustkunit ] || suites=vmar_race_rs_ nsuites=$vr_rs_kunit_suites
	if [[ "$scenario" =~ ^(kunit|kunitsafe|rustkunit)$ ]]; then
		"$VR_ROOT/scripts/ktap_extract.py" "$log" "$suites*" >"$log.ktap" ||
			why="no complete KTAP for the $suites* suites in the log"
		[ "$(grep -cE "^(ok|not ok) [0-9]+ $suites" "$log.ktap")" = "$nsuites" ] ||
			why="${why:-not the $nsuites $suites* suites in the KTAP}"
	fi
	# Made safe (mode=fixed), the forced uaf suite must fail in all its
	# batches, and every other suite pass: read from the suites' KTAP.
	if [ "$scenario" = kunitsafe ] && [ -z "$why" ]; then
		kf=$(grep -E '^not ok [0-9]+ ' "$log.ktap" | awk '{ print $4 }' | tr '\n' ' ')
		kb=$(grep -cE '^ +not ok [0-9]+ batch [0-9]+ of 10$' "$log.ktap")
		if [ "$kf" != "vmar_race_uaf " ] || [ "$kb" != 10 ]; then
			why="expected suite vmar_race_uaf to fail (10 of 10 batches) and all others to pass; failed: ${kf:-none}, batches failed: $kb"
		else
			echo "check:   suite vmar_race_uaf failed (10 of 10 batches), all $((vr_kunit_suites - 1)) others passed"
		fi
	fi
	if [ "$scenario" = kunit ] || [ "$scenario" = rustkunit ]; then
		if python3 "$src/tools/testing/kunit/kunit.py" parse "$log.ktap" >"$log.kunit" 2>&1; then
			:
		else
			why="${why:-kunit.py parse reports failures}"
		fi
		kres=$(grep -aE 'Testing complete\. Ran [0-9]+ tests' "$log.kunit" | tail -n1)
		kp=$(grep -oE 'passed: [0-9]+' <<<"$kres" | grep -oE '[0-9]+' || echo 0)
		kf=$(grep -oE 'failed: [0-9]+' <<<"$kres" | grep -oE '[0-9]+' || echo 0)
		res kunit "$kp $kf"
		echo "check:   kunit.py: ${kres:-no result}"
		[ -n "$kres" ] || why="${why:-kunit.py found no results}"
	fi
	if [ -z "$why" ]; then
		res pass "$name: $verdict${first:+ ($first)} in ${secs}s"
	else
		res fail "$name: $why; log $log"
	fi
}

echo "check: [4/4] ${#rows[@]} VM verdict rows, $jobs at a time ($(elapsed))"
i=0
for row in "${rows[@]}"; do
	i=$((i + 1))
	if [ "$jobs" -gt 1 ]; then
		while [ "$(jobs -rp | wc -l)" -ge "$jobs" ]; do wait -n; done
		run_row $i "$row" &
	else
		run_row $i "$row"
	fi
done
wait
for ((j = 1; j <= ${#rows[@]}; j++)); do
	while read -r kind rest; do
		case "$kind" in
		pass) passed=$((passed + 1)) ;;
		fail) failed=$((failed + 1)); failures+=("$rest") ;;
		ksft)
			read -r p f s <<<"$rest"
			ksft_pass=$((ksft_pass + p)) ksft_fail=$((ksft_fail + f)) ksft_skip=$((ksft_skip + s))
			passed=$((passed + p)) failed=$((failed + f)) skipped=$((skipped + s))
			;;
		kunit)
			read -r p f <<<"$rest"
			kunit_pass=$((kunit_pass + p)) kunit_fail=$((kunit_fail + f))
			passed=$((passed + p)) failed=$((failed + f))
			;;
		esac
	done <"$outdir/$j.res"
done
if [ $benchjob -eq 1 ]; then
	read -r kind rest <"$outdir/bench.res"
	if [ "$kind" = pass ]; then passed=$((passed + 1)); else failed=$((failed + 1)); failures+=("$rest"); fi
fi

echo "check: kselftest TAP totals: pass:$ksft_pass fail:$ksft_fail skip:$ksft_skip; KUnit: pass:$kunit_pass fail:$kunit_fail"
echo "check: finished in $(elapsed)"
if [ ${#failures[@]} -gt 0 ]; then
	echo "check: failures:"
	printf 'check:   %s\n' "${failures[@]}"
fi
echo "check: $passed passed, $failed failed, $skipped skipped"
[ "$failed" -eq 0 ]
