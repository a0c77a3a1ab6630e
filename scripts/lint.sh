#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Host checks of the module sources: W=1 and sparse (C=1) builds against the
# stock headers and every built debug kernel, and checkpatch.pl --strict from
# Debian's linux-source-6.1. Prints "lint: <check> ok|FAIL" per check and
# exits non-zero on any failure.
set -uo pipefail
. "$(dirname "$0")/lib.sh"
usage() {
	cat <<EOT
usage: $0
Host checks of the module sources: W=1 and sparse (C=1) builds against the
stock headers and every built test kernel (build/lint/); on the Rust kernel
(debug-7.3) the Rust twin's build, its compile-fail case (race.rs's uaf
read path must not compile), rustfmt --check and clippy; checkpatch.pl --strict from Debian's
linux-source-6.1 on module/ and selftests/. Prints
"lint: <check> ok" or "lint: <check> FAIL (see LOG)" per check.
  -h, --help  print this help and exit
Exit status: 0 every check passed, 1 a check failed, 64 usage error (any
argument but --help), 70 error (sparse or linux-source-6.1 missing).
EOT
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -eq 0 ] || vr_usage_die "no arguments expected (got '$*')"
command -v sparse >/dev/null || vr_die "sparse missing; run scripts/deps.sh"
src=$(vr_linux_src) || exit $VR_EX_SOFTWARE
fail=0
out="$VR_ROOT/build/lint"
mkdir -p "$out"

result() { # name rc logfile
	if [ "$2" -eq 0 ]; then echo "lint: $1 ok"; else echo "lint: $1 FAIL (see $3)"; sed 's/^/  | /' "$3" | head -40; fail=1; fi
}

trees=("stock $(vr_kernel_resolve stock | cut -d' ' -f3)")
for k in debug kcsan debug-7.3; do
	d=$(vr_kernel_built "$k") && trees+=("$k $d")
done
for t in "${trees[@]}"; do
	read -r name kdir <<<"$t"
	b="$out/$name"
	rm -rf "$b" && mkdir -p "$b" && cp -r "$VR_ROOT/Kbuild" "$VR_ROOT/module" "$b/"
	vr_kmake "$kdir" M="$b" W=1 C=1 modules >"$b/log" 2>&1
	rc=$?
	# Any compiler or sparse diagnostic about our files fails the check.
	if [ $rc -eq 0 ] && grep -E "(warning|error):" "$b/log" | grep -q "$b/"; then rc=1; fi
	result "build+sparse ($name, W=1 C=1)" $rc "$b/log"
done

# The Rust twin on the Rust-enabled kernel: it builds without a warning, and
# race.rs's uaf read path (--cfg vr_uaf) is refused by the borrow checker.
if d=$(vr_kernel_built debug-7.3); then
	(vr_build_rust_module debug-7.3 "$d") >"$out/rust.log" 2>&1
	result "vmar_race_rs build (debug-7.3, no warnings)" $? "$out/rust.log"
	(vr_build_rust_module debug-7.3 "$d" uaf) >"$out/rust-uaf.log" 2>&1
	rc=$?
	if [ $rc -eq 0 ] && ! grep -q 'error\[E0597\]: `guard` does not live long enough' "$out/rust-uaf.log"; then
		echo "lint: the uaf build failed, but not with E0597 on guard" >>"$out/rust-uaf.log"
		rc=1
	fi
	result "vmar_race_rs uaf read path refused by the borrow checker (E0597)" $rc "$out/rust-uaf.log"
	[ $rc -ne 0 ] || grep -A12 'error\[E0597\]' "$out/rust-uaf.log" | sed 's/^/lint:   | /'
	# As upstream Rust is checked: make rustfmtcheck's rustfmt, with the
	# kernel's .rustfmt.toml, and make CLIPPY=1.
	(vr_rust_lint_tools && vr_in_rust_root rustfmt --check --edition 2021 \
		--config-path "$d/.rustfmt.toml" "$VR_ROOT/module/rust/race.rs") >"$out/rustfmt.log" 2>&1
	result "race.rs rustfmt --check (the kernel's .rustfmt.toml)" $? "$out/rustfmt.log"
	(vr_rust_lint_tools && vr_build_rust_module debug-7.3 "$d" clippy) >"$out/clippy.log" 2>&1
	result "vmar_race_rs clippy (CLIPPY=1, no warnings)" $? "$out/clippy.log"
fi

files=$(cd "$VR_ROOT" && ls module/*.c module/*.h module/rust/*.c module/uapi/*.h module/trace/*.h selftests/*.c selftests/*.h)
# AVOID_BUG: unwrap_fail=oops calls BUG() on purpose, as Asterinas panicked.
# compat.h is where version tests belong: LINUX_VERSION_CODE is its job.
# The trace header keeps TRACE_EVENT()'s own layout (TP_PROTO( on its own
# line, as include/trace/events/ does).
(cd "$VR_ROOT" && perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse \
	--ignore AVOID_BUG -f $(echo "$files" | grep -v '^module/compat.h$' | grep -v '^module/trace/') &&
	perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse \
	--ignore AVOID_BUG,LINUX_VERSION_CODE,CONSTANT_COMPARISON -f module/compat.h &&
	perl "$src/scripts/checkpatch.pl" --strict --no-tree --terse \
	--ignore OPEN_ENDED_LINE,PARENTHESIS_ALIGNMENT -f module/trace/*.h) \
	>"$out/checkpatch.log" 2>&1
rc=$?
grep -qE "(ERROR|WARNING|CHECK):" "$out/checkpatch.log" && rc=1
result "checkpatch --strict ($(echo $files | wc -w) files)" $rc "$out/checkpatch.log"
exit $fail
