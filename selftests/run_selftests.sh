#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the vmar_race kselftests in the guest (busybox sh) and print TAP.
# Every program runs; the exit status is non-zero if any of them failed.
case "${1:-}" in
-h|--help)
	cat <<'EOT'
usage: run_selftests.sh
Run the vmar_race kselftest programs (vmar_race_test, proc_access_test,
safety_test) from this directory, in the test VM's guest, and print their
TAP. Every program runs.
  -h, --help  print this help and exit
Exit status: 0 every program passed, 1 one failed, 64 usage error (any
argument but --help).
EOT
	exit 0 ;;
esac
[ $# -eq 0 ] || { echo "run_selftests.sh: no arguments expected; see --help" >&2; exit 64; }
cd "$(dirname "$0")" || exit 1
rc=0
./vmar_race_test || rc=1
./proc_access_test || rc=1
./safety_test || rc=1
exit $rc
