# SPDX-License-Identifier: GPL-2.0
#
# Fuzzing, included by the Makefile.
#
# make fuzz [FUZZ_SECONDS=60] [FUZZ_SEED=N]
#	build/fuzz-diff: random and mutated frames through the XDP and tc programs
#	(BPF_PROG_TEST_RUN) and through the reference model of doc/translation.md
#	(tests/fuzz/model.c); ends with "N packets, M mismatches", non-zero on a mismatch.
# make fuzz-config [FUZZ_SECONDS=60]
#	build/fuzz-config: the config parser under libFuzzer with ASan and UBSan, over the
#	seed corpus tests/fuzz/corpus/config; new inputs go to build/fuzz-corpus/config.
#
# make test runs a fixed-seed slice of each: build/tests/test_diff (tests/unit/test_diff.c,
# linked with the fuzzer's core) and build/tests/test_fuzz_config (a short libFuzzer run).

FUZZ_SECONDS ?= 60
FUZZ_SEED ?=

FUZZ_DIFF_OBJS := $(patsubst %.c,$(BUILD)/%.o,tests/fuzz/model.c tests/fuzz/gen.c \
	tests/fuzz/csum.c tests/fuzz/diff.c tests/lib/csum.c)

.PHONY: fuzz fuzz-config
.SECONDARY: $(FUZZ_DIFF_OBJS) $(BUILD)/tests/fuzz/fuzz_diff.o

$(FUZZ_DIFF_OBJS) $(BUILD)/tests/fuzz/fuzz_diff.o: | $(SKELS)

$(BUILD)/fuzz-diff: $(BUILD)/tests/fuzz/fuzz_diff.o $(FUZZ_DIFF_OBJS)
	$(call msg,LINK,$@)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

# The slice in make test links the same core, and nothing of the loader: a rule of its own
# rather than the pattern rule of the other tests.
$(BUILD)/tests/test_diff: $(BUILD)/tests/unit/test_diff.o $(FUZZ_DIFF_OBJS) $(TEST_LIB_OBJS)
	$(call msg,LINK,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CC) $(LDFLAGS) $^ $(LDLIBS) -o $@

fuzz: $(BUILD)/fuzz-diff
	$(Q)$(BUILD)/fuzz-diff --seconds $(FUZZ_SECONDS) $(if $(FUZZ_SEED),--seed $(FUZZ_SEED))

# libFuzzer is in Debian's libclang-rt-14-dev, which clang only recommends.
FUZZ_CONFIG_CFLAGS := -g -O1 -fsanitize=fuzzer,address,undefined \
	-fno-sanitize-recover=undefined -std=gnu11 -D_GNU_SOURCE -Iinclude -Iloader

$(BUILD)/fuzz-config: tests/fuzz/config.c loader/config.c loader/config.h include/hairpin.h
	$(call msg,FUZZ-CC,$@)
	$(Q)mkdir -p $(@D)
	$(Q)$(CLANG) $(FUZZ_CONFIG_CFLAGS) tests/fuzz/config.c loader/config.c -o $@ || { \
		echo "hairpin: clang could not build a libFuzzer target (apt-get install" \
		     "libclang-rt-dev, or scripts/install-deps)" >&2; exit 1; }

fuzz-config: $(BUILD)/fuzz-config
	$(Q)mkdir -p $(BUILD)/fuzz-corpus/config
	$(Q)$(BUILD)/fuzz-config -max_total_time=$(FUZZ_SECONDS) -dict=tests/fuzz/config.dict \
		$(BUILD)/fuzz-corpus/config tests/fuzz/corpus/config

$(BUILD)/tests/test_fuzz_config: tests/fuzz/test_fuzz_config.sh $(BUILD)/fuzz-config
	$(call msg,GEN,$@)
	$(Q)mkdir -p $(@D)
	$(Q)install -m 0755 $< $@

test: $(BUILD)/tests/test_fuzz_config
