# SPDX-License-Identifier: GPL-2.0
# vmar_race: user-facing targets. The module itself is built by Kbuild.
#   make                 build vmar_race.ko against KDIR (default: running or
#                        installed stock Debian headers)
#   make demo            boot the test VM once per mode and compare them
#   make check           every test layer; ends with "check: N passed, N failed"
#   make bench           benchmarks (build/bench/)
#   make soak DURATION=S hardening rows for longer: fuzz, failslab, stress
#                        for S seconds each (default 600), 100 unload cycles
#   make lint            checkpatch --strict, sparse (C=1) and W=1 on the module
#   make selftests       static kselftest binaries (build/selftests/)

STOCK_RELEASE ?= $(shell ls /boot/vmlinuz-*-amd64 2>/dev/null | sed 's|/boot/vmlinuz-||' | sort -V | tail -n1)
KDIR ?= /lib/modules/$(STOCK_RELEASE)/build
MOD_W ?= 1

all: module

module:
	$(MAKE) -C $(KDIR) M=$(CURDIR) W=$(MOD_W) modules

clean:
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean 2>/dev/null || true
	rm -rf build

deps:
	scripts/deps.sh

selftests:
	scripts/build-selftests.sh

lint:
	scripts/lint.sh

demo:
	scripts/demo.sh

check:
	scripts/check.sh

bench:
	scripts/bench.sh $(if $(QUICK),--quick)

DURATION ?= 600
CYCLES ?= 100
soak:
	scripts/check.sh --only ' (fuzz|faults|unloadloop|stress) ' \
		--fuzz $(DURATION) --stress $(DURATION) --cycles $(CYCLES)

.PHONY: all module clean deps selftests lint demo check bench soak
