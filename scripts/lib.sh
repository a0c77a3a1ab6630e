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
# deps.sh); 6.12 is Debian 13's linux-source-6.12 (suite trixie) and 7.3
# its backport (trixie-backports), each downloaded through a private apt
# state whose one source is this machine's own Debian entry with that
# suite, and unpacked (never installed) under $VR_CACHE/apt-SUITE.
vr_series_check() {
	case "$1" in 6.1|6.12|7.3) ;; *) vr_die "unknown kernel series '$1' (6.1, 6.12 or 7.3)" ;; esac
}

# The Debian suite that carries linux-source-SERIES for a downloaded series.
vr_series_suite() {
	case "$1" in 6.12) echo trixie ;; 7.3) echo trixie-backports ;; esac
}

# Download and unpack linux-source-SERIES once (6.12, 7.3).
vr_fetch_series() {
	local series=$1 suite d uri deb
	suite=$(vr_series_suite "$series")
	d="$VR_CACHE/apt-$suite"
	[ -e "$d/pkg/.complete" ] && return 0
	uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
	[ -n "$uri" ] || uri=$(awk '$1 == "deb" && $3 ~ /^bookworm$/ { print $2; exit }' \
		/etc/apt/sources.list 2>/dev/null)
	[ -n "$uri" ] || vr_die "no Debian archive entry in /etc/apt to derive the $suite source from"
	vr_say "fetching linux-source-$series from $uri $suite (once) into $d"
	rm -rf "$d" && mkdir -p "$d/lists/partial" "$d/archives/partial" "$d/pkg"
	echo "deb [signed-by=/usr/share/keyrings/debian-archive-keyring.gpg] $uri $suite main" \
		>"$d/sources.list"
	local opts=(-o Dir::State="$d" -o Dir::State::Lists="$d/lists" -o Dir::Cache="$d"
		-o Dir::Cache::Archives="$d/archives" -o Dir::Etc::SourceList="$d/sources.list"
		-o Dir::Etc::SourceParts=/dev/null -o Dir::State::status=/dev/null
		-o Debug::NoLocking=1 -o APT::Sandbox::User=root -o APT::Architecture=amd64)
	apt-get "${opts[@]}" -qq update >&2 || vr_die "apt-get update for $suite failed"
	(cd "$d/pkg" && apt-get "${opts[@]}" -qq download "linux-source-$series") >&2 ||
		vr_die "apt-get download linux-source-$series failed"
	deb=$(ls "$d"/pkg/linux-source-"$series"_*_all.deb | head -n1)
	dpkg-deb -x "$deb" "$d/pkg/root" || vr_die "cannot unpack $deb"
	basename "$deb" | sed "s/^linux-source-${series}_\(.*\)_all\.deb\$/\1/" >"$d/pkg/version"
	rm -f "$deb"
	touch "$d/pkg/.complete"
}

# Debian version of a series' source package.
vr_src_version() {
	vr_series_check "$1"
	if [ "$1" = 6.1 ]; then
		dpkg-query -W -f '${Version}' linux-source-6.1 2>/dev/null ||
			vr_die "linux-source-6.1 is not installed; run scripts/deps.sh"
	else
		vr_fetch_series "$1"
		cat "$VR_CACHE/apt-$(vr_series_suite "$1")/pkg/version"
	fi
}

# The source tarball of a series.
vr_src_tarball() {
	vr_series_check "$1"
	if [ "$1" = 6.1 ]; then
		echo "$VR_SRC_TARBALL"
	else
		vr_fetch_series "$1"
		echo "$VR_CACHE/apt-$(vr_series_suite "$1")/pkg/root/usr/src/linux-source-$1.tar.xz"
	fi
}

# The config fragments of a flavour on a series, in merge order. 6.12 and
# 7.3 kernels also carry Rust (rust.config): they are built with LLVM in the
# trixie chroot (vr_in_rust_root).
vr_fragments() {
	local k="$VR_ROOT/scripts/kconfig"
	echo "$k/base.config $k/$1.config"
	[ "$2" = 6.1 ] || echo "$k/$2.config $k/rust.config"
}

# Whether a series is built with LLVM (and Rust) in the trixie chroot.
vr_series_llvm() { [ "$1" != 6.1 ]; }

# The Rust toolchain: Debian 13's rustc, rust-src, bindgen and clang, in a
# minimal trixie chroot made once by debootstrap under $VR_CACHE/rust (about
# 2 GB; its time: docs/benchmarks.md). Debian 12's bindgen is too old for 6.12 and trixie's
# binaries need trixie's glibc. Prints the chroot's path.
VR_RUST_PKGS="rustc rust-src bindgen clang lld llvm libclang-dev make bc flex bison
libelf-dev libssl-dev python3 cpio kmod xz-utils perl sparse gcc libc6-dev"
vr_rust_root() {
	local key root uri lock=
	key=$(echo "$VR_RUST_PKGS" | sha256sum | cut -c1-12)
	root="$VR_CACHE/rust/trixie-$key"
	if [ ! -e "$root/.complete" ]; then
		# One maker at a time (make check starts it early, in the
		# background); the others wait for it and find it complete.
		mkdir -p "$VR_CACHE/rust"
		exec {lock}>"$VR_CACHE/rust/.lock"
		flock "$lock"
	fi
	if [ ! -e "$root/.complete" ]; then
		command -v debootstrap >/dev/null || vr_die "missing debootstrap; run scripts/deps.sh"
		uri=$(awk '/^URIs:/ { print $2; exit }' /etc/apt/sources.list.d/debian.sources 2>/dev/null)
		[ -n "$uri" ] || uri=http://deb.debian.org/debian
		vr_say "making the Rust toolchain chroot (Debian 13 from $uri, once) in $root"
		rm -rf "$root.tmp" && mkdir -p "$(dirname "$root")"
		debootstrap --variant=minbase --include="$(echo $VR_RUST_PKGS | tr ' ' ,)" \
			trixie "$root.tmp" "$uri" >"$VR_CACHE/rust/debootstrap.log" 2>&1 ||
			vr_die "debootstrap trixie failed; see $VR_CACHE/rust/debootstrap.log"
		rm -rf "$root" && mv "$root.tmp" "$root" && touch "$root/.complete"
	fi
	[ -z "${lock:-}" ] || exec {lock}>&-
	echo "$root"
}

# make lint's rustfmt and clippy, put into the Rust chroot on first use at
# exactly its rustc's version (a newer rustc would not match the kernels
# and modules built with this one); apt fails if the archive has moved on.
vr_rust_lint_tools() {
	local root lock
	root=$(vr_rust_root) || return 1
	[ -x "$root/usr/bin/rustfmt" ] && [ -x "$root/usr/bin/clippy-driver" ] && return 0
	exec {lock}>"$VR_CACHE/rust/.lock"
	flock "$lock"
	vr_in_rust_root sh -ec 'v=$(dpkg-query -W -f="\${Version}" rustc)
		apt-get install -y -q --no-install-recommends "rustfmt=$v" "rust-clippy=$v"'
}

# Run a command in the Rust toolchain chroot, with the cache and the clone
# bind-mounted at their own paths (so kernel trees and module builds see the
# same paths inside and out) and PATH pinned to the chroot's Debian tools (a
# rustup rustc on the host's PATH is never used).
vr_in_rust_root() {
	local root
	root=$(vr_rust_root) || exit $VR_EX_SOFTWARE
	unshare -m -- /bin/sh -ec '
		root=$1; shift
		for d in "$VR_BIND_CACHE" "$VR_BIND_ROOT"; do
			mkdir -p "$root$d" && mount --bind "$d" "$root$d"
		done
		mount -t proc proc "$root/proc"
		mount --bind /dev "$root/dev"
		exec chroot "$root" /usr/bin/env -i PATH=/usr/bin:/bin:/usr/sbin:/sbin \
			HOME=/root LANG=C.UTF-8 "$@"' sh "$root" "$@"
}
export VR_BIND_CACHE="$VR_CACHE" VR_BIND_ROOT="$VR_ROOT"

# make in a kernel tree (or for a module against one), with the compiler it
# was built with: LLVM=1 in the Rust chroot for an LLVM tree.
vr_kmake() {
	local kdir=$1
	shift
	if [ -e "$kdir/.llvm" ]; then
		vr_in_rust_root make -C "$kdir" LLVM=1 "$@"
	else
		make -C "$kdir" "$@"
	fi
}

# Cache directory of a debug kernel flavour on a series (default 6.1), keyed
# by source version and the fragments that configure it. Prints the path
# (existing or not).
vr_kernel_dir() {
	local flavour=$1 series=${2:-6.1} ver key
	ver=$(vr_src_version "$series")
	ver=${ver//[~+]/_}	# a backport's 7.3.4-1~bpo13+1: no shell or make specials in paths
	# shellcheck disable=SC2046
	key=$(cat $(vr_fragments "$flavour" "$series") |
		{ cat; echo "recipe=$VR_KERNEL_RECIPE"; } | sha256sum | cut -c1-12)
	echo "$VR_CACHE/kernels/$flavour-$series-$ver-$key"
}

# The cache directory of a test kernel if it is built (never fetches).
vr_kernel_built() {
	local flavour series d
	read -r flavour series < <(vr_kernel_name "$1") || return 1
	[ "$series" = 6.1 ] || [ -e "$VR_CACHE/apt-$(vr_series_suite "$series")/pkg/.complete" ] ||
		return 1
	d=$(vr_kernel_dir "$flavour" "$series")
	[ -e "$d/.complete" ] && echo "$d"
}

# Split a test kernel name (debug, kcsan, debug-6.12, debug-7.3, ...) into
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
			vr_die "the $k kernel is not built yet: run scripts/build-kernel.sh $flavour $series (times: docs/benchmarks.md)"
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
	vr_kmake "$kdir" -s M="$out" W=1 modules >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		vr_die "module build against $kdir failed"
	}
	if grep -q 'warning:' "$out/build.log"; then
		cat "$out/build.log" >&2
		vr_die "module build against $kdir has warnings"
	fi
	echo "$out"
}

# Build the Rust twin, vmar_race_rs.ko (module/rust), for a Rust-enabled
# kernel tree into build/kbuild/NAME-rust/rust/; prints that directory.
# With "uaf" as third argument it builds race.rs's uaf read path instead,
# which must not compile: prints the build log and fails (70) if it did.
vr_build_rust_module() {
	local name=$1 kdir=$2 what=${3:-} out="$VR_ROOT/build/kbuild/$1-rust${3:+-$3}" lock
	grep -qx CONFIG_RUST=y "$kdir/.config" 2>/dev/null ||
		vr_die "the $name kernel has no Rust (CONFIG_RUST); the Rust twin needs debug-7.3"
	mkdir -p "$out"
	exec {lock}>"$out.lock"
	flock "$lock"
	rsync -a --delete --exclude '*.o' --exclude '*.ko' --exclude '.*.cmd' \
		--exclude /rust/core "$VR_ROOT/module/rust" "$VR_ROOT/module/uapi" "$out/"
	# The C module's /proc filesystem, pause-point mechanism, parameter
	# type and trace events, linked in.
	mkdir -p "$out/rust/core"
	rsync -a --delete --exclude '*.o' --exclude '.*.cmd' \
		"$VR_ROOT"/module/{fs.c,fs.h,pause.c,param.c,trace.c,vmar_race.h,compat.h,trace,uapi} \
		"$out/rust/core/"
	if [ "$what" = uaf ]; then
		if vr_kmake "$kdir" -s M="$out/rust" VMAR_RACE_RS_UAF=y modules >"$out/build.log" 2>&1; then
			vr_die "race.rs's uaf read path compiled: the borrow checker should reject it"
		fi
		cat "$out/build.log"
		return 0
	fi
	# clippy: the build with CLIPPY=1 (clippy-driver for rustc), as upstream.
	local flags=()
	[ "$what" != clippy ] || { flags=(CLIPPY=1); rm -f "$out/rust/race.o"; }
	vr_kmake "$kdir" -s M="$out/rust" ${flags[@]+"${flags[@]}"} modules >"$out/build.log" 2>&1 || {
		cat "$out/build.log" >&2
		vr_die "vmar_race_rs build against $kdir failed"
	}
	if grep -q 'warning' "$out/build.log"; then
		cat "$out/build.log" >&2
		vr_die "vmar_race_rs build against $kdir has warnings"
	fi
	echo "$out/rust"
}

# A scenario of selftests/scenarios.txt, with the caller's settings filled
# in: vr_scenario NAME [VAR=VALUE]... prints its kernel arguments (an empty
# line for none) and then its guest command.
vr_scenario() {
	local name=$1 line boot cmd kv left
	shift
	line=$(awk -v n="$name" '$1 == n { print; exit }' "$VR_ROOT/selftests/scenarios.txt")
	[ -n "$line" ] || vr_die "unknown scenario '$name' (selftests/scenarios.txt)"
	read -r _ boot cmd <<<"$line"
	for kv in "$@"; do cmd=${cmd//\$${kv%%=*}/${kv#*=}}; done
	left=$(grep -oE '\$[A-Z][A-Z0-9_]*' <<<"$cmd" | grep -vx '\$VMAR_RACE_MODULE' | head -n1 || true)
	[ -z "$left" ] || vr_die "scenario '$name' needs $left"
	[ "$boot" != - ] || boot=
	printf '%s\n%s\n' "$boot" "$cmd"
}

# The guest command's own output in a vm.sh log (its second serial port,
# appended after the kernel's console), without the --trace buffer after it.
vr_program_output() {
	sed -n '/^vm-guest: program output (ttyS1) begins$/,/^vm-guest: program output ends$/p' "$1" |
		sed '1d;$d;/^vm-guest: trace begin$/,/^vm-guest: trace end$/d'
}

# Seconds from the guest command's start (vm.sh's /dev/kmsg marker) to the
# first console line holding TEXT, both read off the printk clock; prints
# nothing when either line is missing.
vr_secs_to() {
	local log=$1 text=$2 a b
	# The marker may follow a console line's unfinished start (the init's
	# echo, interleaved with the printk): taken from anywhere in its line.
	a=$(grep -a -o -m1 '\[ *[0-9.]*\] vm-guest: command starts' "$log" |
		sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	b=$(grep -a -m1 -F -- "$text" "$log" | sed -n 's/^\[ *\([0-9.]*\)\].*/\1/p')
	[ -n "$a" ] && [ -n "$b" ] || return 0
	awk -v a="$a" -v b="$b" 'BEGIN { printf "%.3f", b - a }'
}
