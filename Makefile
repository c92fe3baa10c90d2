# SPDX-License-Identifier: GPL-2.0
#
# vtx top level. `make help` lists the targets.
#
# The module itself is built by Kbuild (file ./Kbuild) through the kernel's
# build system: make -C $(KDIR) M=$(CURDIR) modules  ->  ./vtx.ko
# Userspace and tests build into ./build/ (BUILD=...).

# Kernel: newest installed Debian headers (never hard-coded); KDIR is the
# running kernel's build dir when it exists, else those headers.
KVER ?= $(shell sh tools/testvm/kver.sh)
KDIR ?= $(firstword $(wildcard /lib/modules/$(shell uname -r)/build) \
		    /usr/src/linux-headers-$(KVER))

BUILD := $(CURDIR)/build

# Test-VM suites `make check` runs, one Bochs boot each, in an order that
# keeps both CPUs busy to the end (check.sh runs them $(CHECK_JOBS) at a
# time, each in the first free slot): the two longest, then QEMU 10 on
# 6.12 (its chroot is ready by then), the memory lane, and last the short
# 7.3 lane beside the memory lane's end (session 15's run: 2,044 s with
# 7.3 after the memory lane, one CPU idle for its last 125 s).  A+B+C
# runs those suites one after the other in one boot
# (tools/testvm/run-parts.sh: a boot costs
# about a minute of host time), each with its own results.  SUITE@SERIES
# boots that Debian kernel (tools/testvm/kver.sh SERIES) with its own
# kvm_intel: the smoke runs on Debian 13's kernels (make kernels), foundation
# on both and Debian 13's QEMU 10 on its own 6.12 (on 7.3 vtx refuses every
# VM: the kernel keeps VMX for KVM); the rest run on the primary kernel
# (Debian 12's 6.1).  ENTRY/KEY=VAL sets KEY=VAL on that boot's kernel
# command line: make check runs QEMU 7.2 with the split and in-kernel
# irqchips, each with -smp 1 and -smp 2 (kvm_intel's reference, and so the
# transcript comparison, only with -smp 2), and QEMU 10 with the in-kernel
# and the split irqchip (-smp 2; kvm_intel's reference with its default,
# the in-kernel one) on 6.12 and its refusal on 7.3 (make
# check-qemu and make check-qemu10 run every mode on both drivers);
# vtxctl's two NICs and its ext4 reboot run on vtx only, 1 MiB per TCP
# transfer (make check-vtxctl: 10 MiB, both drivers), the console's ^C
# test on vtx only, the UART's receive test and the KVM_SIGNAL_MSI boot
# only in make check-vtxctl; the kvm_intel
# reference of the costliest kvm-selftests (their kvm-short list) and of
# memslot_race_test (3 s instead of 10) is shortened (make check-SUITE:
# in full).  Each suite keeps its own target: make check-SUITE boots it
# alone.
SUITES ?= vcpu+fuzz qemu+kvm-selftests/QEMU_RUNS=split,split2,irqchip,irqchip2/QEMU_KVM_RUNS=split2,irqchip2/KST_KVM_REF=short foundation+qemu10@6.12/QEMU_RUNS=irqchip2,split2/QEMU_KVM_RUNS=irqchip2 memory+vtxctl+foundation/VTXCTL_NET_BYTES=1048576/VTXCTL_NET=vtx/VTXCTL_EXT4=vtx/VTXCTL_UART_RX=0/VTXCTL_CONSOLE_SIGINT=vtx/VTXCTL_SIGNAL_MSI=0/MEMORY_KVM_RACE_SECONDS=3 foundation+qemu10@7.3/QEMU_RUNS=irqchip2/QEMU_DRIVERS=vtx
# Extra options for tools/testvm/run.sh, e.g. TESTVM_ARGS="--cpus 2".
TESTVM_ARGS ?=
export TESTVM_ARGS

.PHONY: all module tools selftests deps kernels check check-host check-shadow demo bench fuzz clean help

all: module tools selftests

module:
ifeq ($(wildcard $(CURDIR)/Kbuild),)
	@echo "module: no ./Kbuild yet" >&2; exit 1
else
	@test -d "$(KDIR)" || { echo "module: KDIR=$(KDIR) does not exist;" \
		"run 'make deps' or pass KDIR=<kernel build dir>" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules
endif

tools:
ifneq ($(wildcard tools/vtxctl/Makefile),)
	$(MAKE) -C tools/vtxctl BUILD=$(BUILD)
else
	@echo "tools: tools/vtxctl/Makefile not there yet, skipped"
endif
ifneq ($(wildcard tools/guests/Makefile),)
	$(MAKE) -C tools/guests BUILD=$(BUILD)
else
	@echo "tools: tools/guests/Makefile not there yet, skipped"
endif

selftests:
ifneq ($(wildcard selftests/Makefile),)
	$(MAKE) -C selftests BUILD=$(BUILD)
else
	@echo "selftests: selftests/Makefile not there yet, skipped"
endif

# Debian packages (only the missing ones; apt-get update first if any).
deps:
	@bash tools/testvm/deps.sh

# Debian 13's kernels (6.12 and the newest of trixie-backports): their
# headers in a Debian 13 chroot and their unpacked images, cached under
# build/debian13/ (tools/testvm/debian13.sh; about 3 minutes cold, seconds
# when cached).  The check targets make them themselves, in the background
# of the first suites (check.sh), and build vtx for each:
# build/kernels/<version>/vtx.ko.
kernels: deps
	-@bash tools/testvm/debian13.sh setup

# Build, host checks, every suite in $(SUITES); combined table, last line
# "N passed, N failed, N skipped". Each check.sh run uses a fresh sub-make,
# so a kernel installed by `deps` in the same run is picked up.  Debian 13's
# kernels and vtx's build for them are check.sh's too (see `kernels`).
check: deps
	+@MAKE="$(MAKE)" bash tools/testvm/check.sh host $(SUITES)

check-host: deps
	+@MAKE="$(MAKE)" bash tools/testvm/check.sh host

# Shadow paging (issue 19): every suite of make check with ept=0, vtx on
# its shadow page tables beside kvm_intel ept=0 in the same boot, three
# boots (SUITE@shadow: the primary kernel, results under that name, e.g.
# build/testvm/vcpu@shadow), make check's keys otherwise (the QEMU 7.2
# runs on both drivers).  Not part of make check (its budget);
# Documentation/vtx/testing.rst, "Shadow paging".
SHADOW_KEYS := VTX_MODPARAMS=ept=0/KVM_INTEL_PARAMS=ept=0
SHADOW_SUITES ?= vcpu+fuzz@shadow/$(SHADOW_KEYS) qemu+kvm-selftests@shadow/$(SHADOW_KEYS)/QEMU_RUNS=split2,irqchip2/KST_KVM_REF=short memory+vtxctl+foundation@shadow/$(SHADOW_KEYS)/VTXCTL_NET_BYTES=1048576/VTXCTL_NET=vtx/VTXCTL_EXT4=vtx/VTXCTL_UART_RX=0/VTXCTL_CONSOLE_SIGINT=vtx/VTXCTL_SIGNAL_MSI=0/MEMORY_KVM_RACE_SECONDS=3
check-shadow: deps
	+@MAKE="$(MAKE)" bash tools/testvm/check.sh $(SHADOW_SUITES)

check-%: deps
	+@MAKE="$(MAKE)" bash tools/testvm/check.sh $*

# The long fuzzing run (Documentation/vtx/fuzzing.rst), not part of `make
# check`: one test-VM boot of the "fuzz" suite in its long size, with
# slub_debug.  The seed is chosen here and printed; FUZZ_SEED=N replays a
# run.  The short seeded run is the suite "fuzz" (make check-fuzz).
FUZZ_SEED ?=
FUZZ_TIMEOUT ?= 10800
fuzz: deps
	+@$(MAKE) --no-print-directory module tools selftests
	@seed=$${FUZZ_SEED:-$$(($$(date +%s) % 1000000))}; \
	echo "fuzz: seed $$seed (replay: make fuzz FUZZ_SEED=$$seed)"; \
	bash tools/testvm/run.sh --suite fuzz --name fuzz-long \
		--timeout $(FUZZ_TIMEOUT) $(TESTVM_ARGS) \
		--append "slub_debug=FZP vtxfuzz=long vtxfuzz_seed=$$seed"; \
	rc=$$?; tr -d '\r' <build/testvm/fuzz-long/serial.log | \
		sed -n '/===== fuzz numbers/,/# *replay:/p'; \
	echo "fuzz: seed $$seed, exit $$rc, results in build/testvm/fuzz-long/"; \
	exit $$rc

# Benchmarks, vtx beside kvm_intel in one boot of the test VM (not part of
# make check): prints the table, writes build/bench/{report.txt,bench.json}.
bench: deps
	-+@$(MAKE) --no-print-directory module tools selftests
	@bash tools/testvm/bench.sh $(TESTVM_ARGS)

# A newcomer's tour: deps, build, then boot the test VM, load vtx, run the
# hello guest on vtx and on upstream kvm_intel.
demo: deps
	-+@$(MAKE) --no-print-directory -k all
	@bash tools/testvm/run.sh --script tools/testvm/demo.sh --name demo $(TESTVM_ARGS)

clean:
ifneq ($(and $(wildcard $(CURDIR)/Kbuild),$(wildcard $(KDIR))),)
	$(MAKE) -C $(KDIR) M=$(CURDIR) clean
endif
	rm -rf $(BUILD)

# ------------------------------------------------------------- install --
PREFIX ?= /usr/local
DESTDIR ?=
INSTALL_MOD_PATH ?=
INSTALL ?= install
# The kernel vtx.ko was built for (its vermagic), for depmod and uninstall.
MODVER = $(or $(shell modinfo -F vermagic ./vtx.ko 2>/dev/null | cut -d' ' -f1),$(KVER))
DEPMOD_ARGS = $(if $(INSTALL_MOD_PATH),-b $(INSTALL_MOD_PATH)) $(MODVER)

.PHONY: install uninstall check-install

# Run "make" first.  Not signed here (the headers carry no key); DKMS
# (dkms.conf) rebuilds and signs vtx on kernel updates.
install:
	@test -f vtx.ko && test -x $(BUILD)/bin/vtxctl || \
		{ echo "install: build first (make module tools)" >&2; exit 1; }
	$(MAKE) -C $(KDIR) M=$(CURDIR) modules_install INSTALL_MOD_DIR=extra \
		$(if $(INSTALL_MOD_PATH),INSTALL_MOD_PATH=$(INSTALL_MOD_PATH)) \
		CONFIG_MODULE_SIG_ALL=
	depmod $(DEPMOD_ARGS)
	$(INSTALL) -D -m 0755 $(BUILD)/bin/vtxctl $(DESTDIR)$(PREFIX)/bin/vtxctl
	$(INSTALL) -D -m 0644 uapi/linux/vtx.h $(DESTDIR)$(PREFIX)/include/linux/vtx.h
	$(INSTALL) -D -m 0644 udev/60-vtx.rules $(DESTDIR)/lib/udev/rules.d/60-vtx.rules

uninstall:
	rm -f $(INSTALL_MOD_PATH)/lib/modules/$(MODVER)/extra/vtx.ko
	-depmod $(DEPMOD_ARGS)
	rm -f $(DESTDIR)$(PREFIX)/bin/vtxctl $(DESTDIR)$(PREFIX)/include/linux/vtx.h \
		$(DESTDIR)/lib/udev/rules.d/60-vtx.rules

# Install into a staging tree, check every file, uninstall, check again.
STAGE := $(BUILD)/stage
check-install: module tools
	rm -rf $(STAGE)
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory install DESTDIR=$(STAGE) INSTALL_MOD_PATH=$(STAGE) PREFIX=/usr
	test -f $(STAGE)/lib/modules/$(MODVER)/extra/vtx.ko
	grep -q 'extra/vtx.ko' $(STAGE)/lib/modules/$(MODVER)/modules.dep
	test -x $(STAGE)/usr/bin/vtxctl
	$(STAGE)/usr/bin/vtxctl --help >/dev/null
	cmp uapi/linux/vtx.h $(STAGE)/usr/include/linux/vtx.h
	test -f $(STAGE)/lib/udev/rules.d/60-vtx.rules
	$(MAKE) -f $(firstword $(MAKEFILE_LIST)) --no-print-directory uninstall DESTDIR=$(STAGE) INSTALL_MOD_PATH=$(STAGE) PREFIX=/usr
	test ! -e $(STAGE)/lib/modules/$(MODVER)/extra/vtx.ko
	test ! -e $(STAGE)/usr/bin/vtxctl
	test ! -e $(STAGE)/usr/include/linux/vtx.h
	test ! -e $(STAGE)/lib/udev/rules.d/60-vtx.rules
	rm -rf $(STAGE)
	@echo "check-install: ok"

help:
	@echo "vtx make targets:"
	@echo "  make deps         install missing Debian packages (apt-get)"
	@echo "  make kernels      Debian 13's kernels + headers, cached in build/debian13/"
	@echo "  make [all]        module + tools + selftests"
	@echo "  make module       ./vtx.ko via Kbuild (KDIR=$(KDIR))"
	@echo "  make tools        build/bin/vtxctl, build/guests/*.bin"
	@echo "  make selftests    build/selftests/<suite>/..."
	@echo "  make check        build, host checks, suites '$(SUITES)' in the test VM"
	@echo "  make check-host   build + checkpatch/shellcheck only"
	@echo "  make check-SUITE  build + one suite (one Bochs boot)"
	@echo "  make check-shadow build + every suite with ept=0 on both drivers (3 boots)"
	@echo "  make demo         deps, build, boot the test VM, run the hello guest"
	@echo "  make bench        benchmarks: vtx vs kvm_intel, table + build/bench/bench.json"
	@echo "  make fuzz         the long fuzzing run (one boot, ~1 h; FUZZ_SEED=N)"
	@echo "  make install      vtx.ko (extra/), vtxctl, uapi header, udev rule; make uninstall"
	@echo "  make clean"
	@echo "Variables: KVER=$(KVER) KDIR=$(KDIR) SUITES='$(SUITES)' TESTVM_ARGS='$(TESTVM_ARGS)'"
