#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the static selftest binaries into build/selftests/, with
# kselftest_harness.h from Debian's linux-source-6.1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
src=$(vr_linux_src)
out="$VR_ROOT/build/selftests"
mkdir -p "$out"
exec {lock}>"$out.lock"		# one build at a time when VMs start side by side
flock "$lock"
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || vr_die "static libc missing (libc6-dev); run scripts/deps.sh"
make -s -C "$VR_ROOT/selftests" KSFT_DIR="$src/tools/testing/selftests" OUTPUT="$out" all
echo "$out"
