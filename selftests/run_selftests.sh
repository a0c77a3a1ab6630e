#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the vmar_race kselftests in the guest (busybox sh) and print TAP.
# Every program runs; the exit status is non-zero if any of them failed.
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: run_selftests.sh
Run the vmar_race kselftest programs from this directory, in the test VM's
guest, and print their TAP. Every program runs: abi_test, proc_files_test,
params_test, races_test, pause_test, proc_access_test, safety_test and
lab_test. With
VMAR_RACE_MODULE=vmar_race_rs (vm.sh --module rust) only the contract the
Rust twin shares runs: abi_test, proc_files_test, params_test, races_test,
pause_test and proc_access_test (safety_test and lab_test drive the C
module's own unsafe variants and later races).
  -h, --help  print this help and exit
Exit status: 0 every program passed, 1 one failed, 64 usage error (any
argument but --help).
EOT
	exit 0 ;;
esac
[ $# -eq 0 ] || { echo "run_selftests.sh: no arguments expected; see --help" >&2; exit 64; }
cd "$(dirname "$0")" || exit 1
progs="abi_test proc_files_test params_test races_test pause_test proc_access_test safety_test lab_test"
[ "${VMAR_RACE_MODULE:-vmar_race}" != vmar_race_rs ] || progs="abi_test proc_files_test params_test races_test pause_test proc_access_test"
rc=0
for t in $progs; do
	./$t || rc=1
done
exit $rc
