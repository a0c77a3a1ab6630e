#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
# Build the static selftest binaries into build/selftests/, with
# kselftest_harness.h from Debian's linux-source-6.1.
set -euo pipefail
. "$(dirname "$0")/lib.sh"
usage() {
	cat <<EOT
usage: $0
Build the static kselftest binaries and scripts (selftests/) into
build/selftests/, with kselftest_harness.h from Debian's linux-source-6.1
(extracted once into $VR_CACHE/src). Prints that directory on stdout.
  -h, --help  print this help and exit
Exit status: 0 built, 64 usage error (any argument but --help), 70 error
(linux-source-6.1 or static libc missing, a failed compile).
EOT
}
case "${1:-}" in -h|--help) usage; exit 0 ;; esac
[ $# -eq 0 ] || vr_usage_die "no arguments expected (got '$*')"
src=$(vr_linux_src)
out="$VR_ROOT/build/selftests"
mkdir -p "$out"
exec {lock}>"$out.lock"		# one build at a time when VMs start side by side
flock "$lock"
[ -e /usr/lib/x86_64-linux-gnu/libc.a ] || vr_die "static libc missing (libc6-dev); run scripts/deps.sh"
make -s -C "$VR_ROOT/selftests" KSFT_DIR="$src/tools/testing/selftests" OUTPUT="$out" all ||
	vr_die "the selftests did not build"
echo "$out"
