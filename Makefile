# SPDX-License-Identifier: GPL-2.0
# vmar_race: user-facing targets, one line each ("make help" prints the lines
# below that start with "#   make"). The module itself is built by Kbuild.
#   make                 build vmar_race.ko against KDIR (stock Debian headers)
#   make help            list these targets
#   make deps            install the Debian packages the scripts need
#   make try             the four stock-kernel demo rows, no kernel build
#   make demo            boot the test VM once per mode and compare them
#   make check           every test layer; ends with "check: N passed, N failed, N skipped"
#   make bench           benchmarks (build/bench/; QUICK=1: the quick run)
#   make soak            longer hardening rows: DURATION=S (600), CYCLES=N (100)
#   make lint            checkpatch --strict, sparse (C=1) and W=1 on the module
#   make selftests       static kselftest binaries (build/selftests/)
#   make install         modules_install, depmod, boot files (INSTALL_MOD_PATH)
#   make uninstall       remove what install put there
#   make dkms-install    register with DKMS, build and install for KRELEASE only
#   make dkms-uninstall  remove it from DKMS
#   make clean           remove the module's build products and build/
# Each script in scripts/ explains itself with --help.
THIS_MAKEFILE := $(lastword $(MAKEFILE_LIST))

# KDIR: the newest installed stock Debian kernel's headers by default.
STOCK_RELEASE ?= $(shell ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1)
KDIR ?= /lib/modules/$(STOCK_RELEASE)/build
MOD_W ?= 1
# The release KDIR builds for: Debian's headers report their upstream
# version to "make kernelrelease", so take it from the /lib/modules path.
KRELEASE ?= $(if $(filter /lib/modules/%/build,$(KDIR)),$(patsubst /lib/modules/%/build,%,$(KDIR)),$(shell $(MAKE) -s -C $(KDIR) kernelrelease))
DKMS_VERSION := $(shell sed -n 's/^PACKAGE_VERSION="\(.*\)"/\1/p' dkms.conf)
DKMS_SRC := /usr/src/vmar_race-$(DKMS_VERSION)

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(MOD_W) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf build

# The "#   make" lines of the comment at the top: one source for both.
help:
	@echo "vmar_race targets:"
	@sed -n 's/^#   make/  make/p' $(THIS_MAKEFILE)

deps:
	scripts/deps.sh

# Unsigned unless you sign it: the kernel's own signing key is not in the
# headers (see docs/module.md#secure-boot).
# With it, a modules-load.d entry and a systemd mount unit that load the
# module and mount /proc/vmar_race at boot (enabled when systemd runs here);
# INSTALL_MOD_PATH installs under another root.
BOOT_FILES := /etc/modules-load.d/vmar_race.conf /etc/systemd/system/proc-vmar_race.mount
SYSTEMD_HERE = $(if $(INSTALL_MOD_PATH),,$(shell [ -d /run/systemd/system ] && command -v systemctl))

install: module
	$(MAKE) -C $(KDIR) M=$(CURDIR) CONFIG_MODULE_SIG_ALL= modules_install
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)
	install -D -m 0644 scripts/boot/vmar_race.conf $(INSTALL_MOD_PATH)/etc/modules-load.d/vmar_race.conf
	install -D -m 0644 scripts/boot/proc-vmar_race.mount \
		$(INSTALL_MOD_PATH)/etc/systemd/system/proc-vmar_race.mount
	$(if $(SYSTEMD_HERE),systemctl daemon-reload && systemctl enable proc-vmar_race.mount)

uninstall:
	$(if $(SYSTEMD_HERE),systemctl disable proc-vmar_race.mount || true)
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(KRELEASE)/extra/vmar_race.ko \
		$(addprefix $(INSTALL_MOD_PATH),$(BOOT_FILES))
	depmod $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(KRELEASE)

dkms-install:
	rm -rf $(DKMS_SRC) && mkdir -p $(DKMS_SRC)
	cp -r Kbuild dkms.conf module $(DKMS_SRC)/
	dkms add -m vmar_race -v $(DKMS_VERSION)
	dkms build -m vmar_race -v $(DKMS_VERSION) -k $(KRELEASE)
	dkms install -m vmar_race -v $(DKMS_VERSION) -k $(KRELEASE)

dkms-uninstall:
	dkms remove -m vmar_race -v $(DKMS_VERSION) --all
	rm -rf $(DKMS_SRC)

selftests:
	scripts/build-selftests.sh

lint:
	scripts/lint.sh

try:
	scripts/demo.sh --modes "buggy checked fixed rcu"

demo:
	scripts/demo.sh

check:
	scripts/check.sh

bench:
	scripts/bench.sh $(if $(QUICK),--quick)

# The fuzz, faults (failslab), preempt, stress and labsafe rows, with
# DURATION seconds of fuzzing, pid guessing, stress and each safe lab
# variant's threaded run, and CYCLES unload cycles.
DURATION ?= 600
CYCLES ?= 100
soak:
	scripts/check.sh --only ' (fuzz|faults|preempt|stress|labsafe) ' \
		--fuzz $(DURATION) --stress $(DURATION) --guess $(DURATION) \
		--lab $(DURATION) --cycles $(CYCLES)

.PHONY: all module clean help deps try install uninstall dkms-install dkms-uninstall selftests lint \
	demo check bench soak
