# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing, included by the Makefile.
#
# make fuzz [FUZZ_SECONDS=60] [FUZZ_SEED=N]
#	build/fuzz-diff: random and mutated frames through the XDP and tc programs
#	(BPF_PROG_TEST_RUN) and through the reference model of doc/translation.md
#	(tests/fuzz/model.c); ends with "N packets, M mismatches", non-zero on a mismatch.
#	It runs in a network namespace of its own (unshare), with the LAN devices whose route
#	and neighbour tables reflection asks (tests/fuzz/gen.c, gen_devices).
# make fuzz-config, fuzz-dns, fuzz-natpmp, fuzz-upnp [FUZZ_SECONDS=60]
#	build/fuzz-NAME (tests/fuzz/NAME.c): under libFuzzer with ASan and UBSan, the config
#	parser, the DNS answer parser, the NAT-PMP response parser, and what doctor reads of
#	a UPnP IGD (SSDP, descriptions, SOAP answers), each over its seed
#	corpus tests/fuzz/corpus/NAME; new inputs go to build/fuzz-corpus/NAME.
#
# make test runs a fixed-seed slice of each: build/tests/test_diff (tests/unit/test_diff.c,
# linked with the fuzzer's core) and build/tests/test_fuzz_NAME (short libFuzzer runs,
# tests/fuzz/test_fuzz.sh).

FUZZ_SECONDS ?= 60
FUZZ_SEED ?=

# The driver reads the kernel's jiffies as the loader does (loader/clock.c).
FUZZ_DIFF_OBJS := $(patsubst %.c,$(BUILD)/%.o,tests/fuzz/model.c tests/fuzz/gen.c \
	tests/fuzz/csum.c tests/fuzz/diff.c tests/lib/csum.c loader/clock.c)

.PHONY: fuzz
.SECONDARY: $(FUZZ_DIFF_OBJS) $(BUILD)/tests/fuzz/fuzz_diff.o

$(FUZZ_DIFF_OBJS) $(BUILD)/tests/fuzz/fuzz_diff.o: | $(SKELS)

$(BUILD)/fuzz-diff: $(BUILD)/tests/fuzz/fuzz_diff.o $(FUZZ_DIFF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The slice in make test links the same core, and of the loader only its clock: a rule of its
# own rather than the pattern rule of the other tests.
$(BUILD)/tests/test_diff: $(BUILD)/tests/unit/test_diff.o $(FUZZ_DIFF_OBJS) $(TEST_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

fuzz: $(BUILD)/fuzz-diff
	$(Q)$(BUILD)/fuzz-diff --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# libFuzzer is in Debian's libclang-rt-14-dev, which clang only recommends.
LIBFUZZER_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iloader

# Each target: the loader's sources it links (and the headers they and the target include),
# and its libraries. The DNS target holds loader/dns.c against glibc's parser (libresolv).
LIBFUZZER_TARGETS := config dns natpmp upnp
LIBFUZZER_DEPS_config := loader/config.c loader/config.h include/hairpin.h
LIBFUZZER_DEPS_dns := loader/dns.c loader/dns.h
LIBFUZZER_LIBS_dns := -lresolv
LIBFUZZER_DEPS_natpmp := loader/natpmp.c loader/natpmp.h
LIBFUZZER_DEPS_upnp := loader/upnp.c loader/upnp.h loader/format.h

.PHONY: $(addprefix fuzz-,$(LIBFUZZER_TARGETS))

define LIBFUZZER_TARGET
$$(BUILD)/fuzz-$(1): tests/fuzz/$(1).c $$(LIBFUZZER_DEPS_$(1))
	$$(call msg,FUZZ-CC,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)$$(CLANG) $$(LIBFUZZER_CFLAGS) $$(filter %.c,$$^) $$(LIBFUZZER_LIBS_$(1)) -o $$@ || { \
		echo "hairpin: clang could not build a libFuzzer target (apt-get install" \
		     "libclang-rt-dev, or scripts/install-deps)" >&2; exit 1; }

fuzz-$(1): $$(BUILD)/fuzz-$(1)
	$$(Q)mkdir -p $$(BUILD)/fuzz-corpus/$(1)
	$$(Q)$$(BUILD)/fuzz-$(1) -max_total_time=$$(FUZZ_SECONDS) \
		$$(if $$(wildcard tests/fuzz/$(1).dict),-dict=tests/fuzz/$(1).dict) \
		$$(BUILD)/fuzz-corpus/$(1) tests/fuzz/corpus/$(1)

# make test's short run: one script, which finds its target by the name it is installed as.
$$(BUILD)/tests/test_fuzz_$(1): tests/fuzz/test_fuzz.sh $$(BUILD)/fuzz-$(1)
	$$(call msg,GEN,$$@)
	$$(Q)mkdir -p $$(@D)
	$$(Q)install -m 0755 $$< $$@

test: $$(BUILD)/tests/test_fuzz_$(1)
endef

$(foreach t,$(LIBFUZZER_TARGETS),$(eval $(call LIBFUZZER_TARGET,$(t))))
