# SPDX-License-Identifier: GPL-2.0
#
# Other architectures and other kernels, included by the Makefile (doc/kernels.md).
#
# make ARCH=arm64	also $(BUILD)/arm64/hairpin, for a Raspberry Pi 4 or 5 (Raspberry Pi OS or
#			Debian, arm64), with Debian's cross compiler and arm64 libbpf (multiarch).
#			CROSS_COMPILE=aarch64-linux-gnu- does the same; CROSS_BUILD is its build dir.
# make test		builds it too: tests/net/test_cross.sh runs it under qemu-aarch64.
# make test-kernel KERNEL=debian-6.1 [KERNEL_TESTS="test_packets test_hairpin"] [KERNEL_LAN=virtio]
#			every test (or those whose names contain a word of KERNEL_TESTS) inside
#			another kernel under qemu: debian-X.Y from Debian's archive, or a bzImage.
#			KERNEL_LAN=virtio: the Pi's LAN link is a pair of virtio-net NICs, not veth.
#			KERNEL=debian-X.Y-arm64: Debian's arm64 kernel, emulated, running the arm64
#			builds of the C tests (tests/kernel/run says more).
#
# The BPF object is built once, $(BUILD)/bpf/hairpin.bpf.o, and the arm64 skeleton embeds that
# same object: BPF bytecode is 64-bit and of the build host's byte order (little endian, as
# arm64), and the programs read no CPU registers (no __TARGET_ARCH_ code), so it is the same
# program on both. The arm64 user space is built by a second make with BUILD=$(CROSS_BUILD),
# which gets every rule of the Makefile and only its skeleton rule from here.

# Asked for on the command line or in the environment: then `make` builds it too.
CROSS_ASKED := $(filter arm64 aarch64,$(ARCH))$(CROSS_COMPILE)
CROSS_COMPILE ?= aarch64-linux-gnu-
CROSS_TRIPLET := $(patsubst %-,%,$(notdir $(CROSS_COMPILE)))
# Debian's name for the architecture: the build dir's name and the multiarch packages' suffix.
CROSS_ARCH := $(patsubst aarch64,arm64,$(patsubst arm,armhf,$(firstword $(subst -, ,$(CROSS_TRIPLET)))))
CROSS_BUILD ?= $(BUILD)/$(CROSS_ARCH)
CROSS_PKG_CONFIG_LIBDIR ?= /usr/lib/$(CROSS_TRIPLET)/pkgconfig:/usr/share/pkgconfig

# The C tests an arm64 guest of make test-kernel runs: those that need no shell.
CROSS_TESTS := test_packets test_monitor test_probe

.PHONY: cross-deps-check test-kernel

ifeq ($(HP_BPF_FROM),)

ifneq ($(CROSS_ASKED),)
all: $(CROSS_BUILD)/hairpin
endif
test: $(CROSS_BUILD)/hairpin

cross-deps-check:
	@command -v $(CROSS_COMPILE)gcc >/dev/null || { echo "hairpin: $(CROSS_COMPILE)gcc not found (apt-get install gcc-$(CROSS_TRIPLET), or scripts/install-deps)" >&2; exit 1; }
	@PKG_CONFIG_LIBDIR=$(CROSS_PKG_CONFIG_LIBDIR) $(PKG_CONFIG) --exists libbpf || { echo "hairpin: no libbpf for $(CROSS_ARCH) (dpkg --add-architecture $(CROSS_ARCH); apt-get install libbpf-dev:$(CROSS_ARCH), or scripts/install-deps)" >&2; exit 1; }

# The second make, for goal $(1), with the cross build's settings from its start. Recipes that
# call it start with '+': make sees no $(MAKE) in them to share its jobs with.
cross_make = $(Q)PKG_CONFIG_LIBDIR=$(CROSS_PKG_CONFIG_LIBDIR) $(MAKE) --no-print-directory \
	ARCH= CROSS_COMPILE= HP_BPF_FROM=$(BUILD) BUILD=$(CROSS_BUILD) CC=$(CROSS_COMPILE)gcc $(1)

# Phony, so that the second make, which knows the cross build's dependencies, always looks.
.PHONY: $(CROSS_BUILD)/hairpin cross-kernel-tests
$(CROSS_BUILD)/hairpin: $(BPF_OBJS) | cross-deps-check
	+$(call cross_make,cross-hairpin)

cross-kernel-tests: $(BPF_OBJS) | cross-deps-check
	+$(call cross_make,cross-kernel-tests)

else

# In the cross build. Goals with a recipe: make says nothing when all is up to date.
.PHONY: cross-hairpin cross-kernel-tests
cross-hairpin: $(BUILD)/hairpin
	@:

cross-kernel-tests: $(addprefix $(BUILD)/tests/,$(CROSS_TESTS)) $(BUILD)/kernel/init
	@:

# The skeletons embed the native build's BPF objects.
$(SKELS): $(BUILD)/%.skel.h: $(HP_BPF_FROM)/bpf/%.bpf.o
	$(call msg,GEN-SKEL,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(BPFTOOL) gen skeleton $< name $* > $@.tmp && mv $@.tmp $@

endif

# The guest's init: static, so that the initramfs needs no library.
$(BUILD)/kernel/init: tests/kernel/init.c
	$(call msg,CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) -static -Os -Wall -Wextra -o $@ $<

ifneq ($(filter test-kernel,$(MAKECMDGOALS)),)
ifeq ($(KERNEL),)
$(error make test-kernel needs KERNEL=debian-6.1, debian-6.12, debian-6.1-arm64 or a bzImage's path)
endif
endif

# An arm64 kernel runs the arm64 builds of the C tests; any other, every test.
test-kernel: all $(TEST_BINS) $(CROSS_BUILD)/hairpin $(BUILD)/kernel/init \
	$(if $(filter %-arm64,$(KERNEL)),cross-kernel-tests)
	$(Q)BUILD=$(BUILD) KERNEL_LAN=$(KERNEL_LAN) tests/kernel/run $(KERNEL) \
		$(if $(filter %-arm64,$(KERNEL)),,tests/run $(KERNEL_TESTS))
