# SPDX-License-Identifier: GPL-2.0
# Shared helpers for the vmar_race scripts (sourced, not run).

VR_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# Slow artefacts (debug kernels, initramfs base) live outside the clone.
VR_CACHE=${VMAR_RACE_CACHE:-${XDG_CACHE_HOME:-$HOME/.cache}/vmar_race}
VR_SRC_TARBALL=/usr/src/linux-source-6.1.tar.xz
# Bump when scripts/build-kernel.sh changes how a kernel is built.
VR_KERNEL_RECIPE=1

# Exit statuses of the scripts' own errors, apart from vm.sh's verdicts (0-4,
# 124) and from the "check failed" status 1: a bad option or argument exits
# 64 (EX_USAGE), any other error (missing dependency, failed build, ...) 70
# (EX_SOFTWARE).
VR_EX_USAGE=64
VR_EX_SOFTWARE=70
vr_die() { echo "${0##*/}: error: $*" >&2; exit $VR_EX_SOFTWARE; }
vr_usage_die() {
	echo "${0##*/}: $*" >&2
	echo "${0##*/}: '$0 --help' prints the usage" >&2
	exit $VR_EX_USAGE
}
vr_say() { echo "${0##*/}: $*" >&2; }

# Stock Debian kernel version: the newest installed linux-image-*-amd64.
vr_stock_release() {
	local v
	v=$(ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1)
	[ -n "$v" ] || vr_die "no stock kernel in /boot; run scripts/deps.sh"
	echo "$v"
}

# Kernel source series: 6.1 is Debian 12's linux-source-6.1 (installed by
# deps.sh); 6.12 is Debian 13's linux-source-6.12, downloaded through a
# private apt state whose one source is this machine's own Debian entry with
# suite trixie, and unpacked (never installed) under $VR_CACHE/apt-trixie.
vr_series_check() {
	case "$1" in 6.1|6.12) ;; *) vr_die "unknown kernel series '$1' (6.1 or 6.12)" ;; esac
}

vr_fetch_612() {
	local d="$VR_CACHE/apt-trixie" uri deb
	[ -e "$d/pkg/.complete" ] && return 0
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null)
	[ -n "$uri" ] || vr_die "no Debian archive entry in /etc/apt to derive the trixie source from"
	vr_say "fetching linux-source-6.12 from $uri trixie (once) into $d"
	rm -rf "$d" && mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/pkg"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri trixie main" \
		>"$d/sources.list"
	local opts=(-o Dir::State="$d" -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d"
		-o Dir::Cache::Archives="$d/archives" -o Dir::Etc::SourceList="$d/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::status=/dev/null
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Architecture=amd64)
	apt-get "${opts[@]}" -qq update >&2 || vr_die "apt-get update for trixie failed"
	(cd "$d/pkg" && apt-get "${opts[@]}" -qq download linux-source-6.12) >&2 ||
		vr_die "apt-get download linux-source-6.12 failed"
	deb=$(ls "$d"/pkg/linux-source-6.12_*_all.deb | head -n1)
	dpkg-deb -x "$deb" "$d/pkg/root" || vr_die "cannot unpack $deb"
	basename "$deb" | sed 's/^linux-source-6.12_\(.*\)_all\.deb$/\1/' >"$d/pkg/version"
	rm -f "$deb"
	touch "$d/pkg/.complete"
}

# Debian version of a series' source package.
vr_src_version() {
	vr_series_check "$1"
	if [ "$1" = 6.12 ]; then
		vr_fetch_612
		cat "$VR_CACHE/apt-trixie/pkg/version"
	else
		dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null ||
			vr_die "linux-source-6.1 is not installed; run scripts/deps.sh"
	fi
}

# The source tarball of a series.
vr_src_tarball() {
	vr_series_check "$1"
	if [ "$1" = 6.12 ]; then
		vr_fetch_612
		echo "$VR_CACHE/apt-trixie/pkg/root/usr/src/linux-source-6.12.tar.xz"
	else
		echo "$VR_SRC_TARBALL"
	fi
}

# The config fragments of a flavour on a series, in merge order.
vr_fragments() {
	local k="$VR_ROOT/scripts/kconfig"
	echo "$k/base.config $k/$1.config"
	[ "$2" = 6.1 ] || echo "$k/$2.config"
}

# Cache directory of a debug kernel flavour on a series (default 6.1), keyed
# by source version and the fragments that configure it. Prints the path
# (existing or not).
vr_kernel_dir() {
	local flavour=$1 series=${2:-6.1} ver key
	ver=$(vr_src_version "$series")
	# shellcheck disable=SC2046
	key=$(cat $(vr_fragments "$flavour" "$series") |
		{ cat; echo "recipe=$VR_KERNEL_RECIPE"; } | sha256sum | cut -c1-12)
	echo "$VR_CACHE/kernels/$flavour-$series-$ver-$key"
}

# The cache directory of a test kernel if it is built (never fetches).
vr_kernel_built() {
	local flavour series d
	read -r flavour series < <(vr_kernel_name "$1") || return 1
	[ "$series" = 6.1 ] || [ -e "$VR_CACHE/apt-trixie/pkg/.complete" ] || return 1
	d=$(vr_kernel_dir "$flavour" "$series")
	[ -e "$d/.complete" ] && echo "$d"
}

# Split a test kernel name (debug, kcsan, debug-6.12, ...) into
# "flavour series".
vr_kernel_name() {
	local flavour=${1%%-*} series=6.1
	[ "$1" = "$flavour" ] || series=${1#*-}
	case "$flavour" in debug|kcsan) ;; *) vr_die "unknown kernel '$1'" ;; esac
	vr_series_check "$series"
	echo "$flavour $series"
}

# The parts of Debian's linux-source-6.1 the project uses at build time
# (checkpatch.pl, kselftest_harness.h, kunit.py), extracted once.
vr_linux_src() {
	local ver dir
	ver=$(dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null) ||
		vr_die "linux-source-6.1 is not installed; run scripts/deps.sh"
	dir="$VR_CACHE/src/linux-source-6.1-$ver"
	if [ ! -e "$dir/.complete" ]; then
		vr_say "extracting helpers from $VR_SRC_TARBALL (once) into $dir"
		rm -rf "$dir" && mkdir -p "$dir"
		tar -xJf "$VR_SRC_TARBALL" -C "$dir" --strip-components=1 \
			linux-source-6.1/scripts linux-source-6.1/tools/testing \
			linux-source-6.1/tools/include linux-source-6.1/Documentation/dev-tools \
			linux-source-6.1/include/uapi linux-source-6.1/Makefile ||
			vr_die "cannot extract $VR_SRC_TARBALL"
		touch "$dir/.complete"
	fi
	echo "$dir"
}

# Resolve a --kernel argument to "name bzImage kdir".
vr_kernel_resolve() {
	local k=$1 rel dir flavour series
	case "$k" in
	stock)
		rel=$(vr_stock_release)
		[ -d "/lib/modules/$rel/build" ] ||
			vr_die "no headers for $rel; run scripts/deps.sh"
		echo "stock /boot/vmlinuz-$rel /lib/modules/$rel/build"
		;;
	debug|kcsan|debug-*|kcsan-*)
		read -r flavour series < <(vr_kernel_name "$k") || exit $VR_EX_SOFTWARE
		dir=$(vr_kernel_dir "$flavour" "$series")
		[ -e "$dir/.complete" ] ||
			vr_die "the $k kernel is not built yet: run scripts/build-kernel.sh $flavour $series (about 10 minutes)"
		echo "$k $dir/bzImage $dir"
		;;
	*)
		[ -f "$k" ] || vr_die "--kernel: no such bzImage: $k"
		dir=$(cd "$(dirname "$k")" && pwd)
		# A bzImage inside a built tree: build the module against that tree.
		while [ "$dir" != / ] && [ ! -e "$dir/Module.symvers" ]; do dir=$(dirname "$dir"); done
		[ "$dir" != / ] || vr_die "--kernel $k: no built kernel tree (Module.symvers) above it to build the module against"
		echo "custom $k $dir"
		;;
	esac
}

# Build vmar_race.ko (and vmar_race_kunit.ko when the tree has KUnit) for one
# kernel tree into build/kbuild/NAME/; prints that directory.
vr_build_module() {
	local name=$1 kdir=$2 out="$VR_ROOT/build/kbuild/$1" lock
	mkdir -p "$out"
	# VMs may start side by side: one build per tree at a time (the lock
	# goes with this function's caller, a $(...) subshell).
	exec {lock}>"$out.lock"
	flock "$lock"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		"$VR_ROOT/Kbuild" "$VR_ROOT/module" "$out/" 2>/dev/null ||
		{ cp "$VR_ROOT/Kbuild" "$out/" && cp -r "$VR_ROOT/module" "$out/"; }
	make -s -C "$kdir" M="$out" W=1 modules >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		vr_die "module build against $kdir failed"
	}
	if grep -q 'warning:' "$out/build.log"; then
		cat "$out/build.log" >&2
		vr_die "module build against $kdir has warnings"
	fi
	echo "$out"
}

# The guest command's own output in a vm.sh log (its second serial port,
# appended after the kernel's console).
vr_program_output() {
	sed -n '/^vm-guest: program output (ttyS1) begins$/,/^vm-guest: program output ends$/p' "$1" |
		sed '1d;$d'
}

# Seconds from the guest command's start (vm.sh's /dev/kmsg marker) to the
# first console line holding TEXT, both read off the printk clock; prints
# nothing when either line is missing.
vr_secs_to() {
	local log=$1 text=$2 a b
	a=$(grep -a -m1 '^\[ *[0-9.]*\] vm-guest: command starts' "$log" |
		sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	b=$(grep -a -m1 -F -- "$text" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
