#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
# Run the vmar_race kselftests in the guest (busybox sh) and print TAP.
cd "$(dirname "$0")" || exit 1
./vmar_race_test
