#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the vmar_race kselftests in the guest (busybox sh) and print TAP.
# Every program runs; the exit status is non-zero if any of them failed.
cd "$(dirname "$0")" || exit 1
rc=0
./vmar_race_test || rc=1
./proc_access_test || rc=1
./safety_test || rc=1
exit $rc
