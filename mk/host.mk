# Host builds of kernel code: the unit tests in tests/host/ (AddressSanitizer
# and UndefinedBehaviorSanitizer) and the libFuzzer targets in tests/fuzz/.
# Each test or fuzz file #includes the kernel sources it exercises; shadow
# headers in tests/host/include/ give them a PMO over simulated memory.

HOST_BUILD    := build/host
HOST_CC       ?= cc
HOST_INCLUDES := -Itests/host/include -Iinclude -I.
HOST_WARN     := -Wall -Wextra -Werror -Wno-unused-parameter -Wno-unused-function
HOST_CFLAGS   := -std=gnu11 -g -O1 -fno-omit-frame-pointer \
                 -fsanitize=address,undefined -fno-sanitize-recover=all \
                 $(HOST_WARN) $(HOST_INCLUDES) -DDUET_HOST=1
HOST_TESTS    := $(patsubst tests/host/%.c,$(HOST_BUILD)/%,$(wildcard tests/host/test_*.c))
# The benchmarks #include kernel sources: they depend on all of them.
HOST_DEPS     := $(wildcard mm/*.[ch] arch/*/*.[ch] arch/*/include/arch/*.h include/duet/*.h \
                   lib/*.c tests/host/*.[ch] tests/host/include/*/*.h)

# A test binary or fuzz target depends on the files its one compile reads
# (it #includes the kernel sources it tests), listed by the preprocessor in
# <binary>.d (-MM; -MP so that a header removed later is no error), and on
# this file, which holds its flags. One compile covers two sources, whose
# dependencies -MMD would write to one file, each over the other. Precise,
# a binary is rebuilt only when a file it reads changed: a graded tree
# takes this tree's binaries for everything a handout's stubs do not touch
# (tools/handout.py). The data files in tests/host/data are read at run time.
# The preprocessor runs with the compile's own flags, so it finds what the
# compile finds.
host_deps = $(1) -MM -MP -MT $@ $< tests/host/host_support.c > $@.d

$(HOST_BUILD)/test_%: tests/host/test_%.c tests/host/host_support.c mk/host.mk
	$(call say,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(call host_deps,$(HOST_CC) $(HOST_CFLAGS))
	$(Q)$(HOST_CC) $(HOST_CFLAGS) $< tests/host/host_support.c -o $@

-include $(wildcard $(HOST_BUILD)/test_*.d $(HOST_BUILD)/fuzz_*.d)

host-tests: $(HOST_TESTS)

# libFuzzer needs clang. `make fuzz FUZZ_SECONDS=N` runs every target for N
# seconds, seeded with the captured firmware inputs in tests/host/data/.
FUZZ_CC       ?= clang
FUZZ_SECONDS  ?= 60
FUZZ_CFLAGS   := -std=gnu11 -g -O1 -fsanitize=fuzzer,address,undefined \
                 -fno-sanitize-recover=all $(HOST_WARN) $(HOST_INCLUDES) -DDUET_HOST=1
FUZZ_TARGETS  := $(patsubst tests/fuzz/%.c,$(HOST_BUILD)/%,$(wildcard tests/fuzz/fuzz_*.c))

$(HOST_BUILD)/fuzz_%: tests/fuzz/fuzz_%.c tests/host/host_support.c mk/host.mk
	$(call say,FUZZCC,$@)
	@mkdir -p $(@D)
	$(Q)$(call host_deps,$(FUZZ_CC) $(FUZZ_CFLAGS))
	$(Q)$(FUZZ_CC) $(FUZZ_CFLAGS) $< tests/host/host_support.c -o $@

fuzz-build: $(FUZZ_TARGETS)

# One goal per target, so that `make -j2 fuzz` runs two at once (CI does).
# Each target's output goes to build/host/fuzz-<name>.log, shown when it
# fails; `make test` runs each target on a short budget (tests/test_host.py).
FUZZ_RUN_GOALS := $(patsubst $(HOST_BUILD)/fuzz_%,fuzz-run-%,$(FUZZ_TARGETS))

fuzz: $(FUZZ_RUN_GOALS)

fuzz-run-%: $(HOST_BUILD)/fuzz_%
	$(call say,FUZZ,$*)
	$(Q)corpus=$(HOST_BUILD)/corpus/$*; mkdir -p $$corpus; \
	    seeds=tests/host/data/$*; [ -d $$seeds ] || seeds=; \
	    if ! $< -max_total_time=$(FUZZ_SECONDS) -print_final_stats=1 \
	            -artifact_prefix=$(HOST_BUILD)/crash-$*- $$corpus $$seeds \
	            > $(HOST_BUILD)/fuzz-$*.log 2>&1; then \
	        tail -n 60 $(HOST_BUILD)/fuzz-$*.log; echo "fuzz: $* failed (whole log: $(HOST_BUILD)/fuzz-$*.log)"; exit 1; \
	    fi; \
	    grep -m1 '^stat::number_of_executed_units' $(HOST_BUILD)/fuzz-$*.log | sed 's/^stat::number_of_executed_units: */  $*: /; s/$$/ inputs in $(FUZZ_SECONDS) s, no failure/'


# Benchmarks of mm/ on the host: -O2, no sanitizers. `make bench` prints
# times and, through callgrind, instruction counts per operation.
BENCH_CFLAGS := -std=gnu11 -O2 -g $(HOST_WARN) $(HOST_INCLUDES) -DDUET_HOST=1

$(HOST_BUILD)/bench_%: tests/bench/bench_%.c $(HOST_DEPS)
	$(call say,HOSTCC,$@)
	@mkdir -p $(@D)
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) $< tests/host/host_support.c -o $@

# `make bench BUDDY_PEER=/path/to/buddy_alloc.h` also runs the buddy
# allocator's streams against that single-header allocator (written for
# spaskalev/buddy_alloc), in the same binary: tests/bench/buddy_peer.c maps
# the benchmark's calls onto it. Every global symbol of the peer's object
# but peer_* is made local, since its buddy_init would clash with Duet's.
# The binary is rebuilt when the path or the header's checkout changes.
ifneq ($(BUDDY_PEER),)
BUDDY_PEER_ABS := $(abspath $(BUDDY_PEER))
BUDDY_PEER_ID  := $(BUDDY_PEER_ABS)$(shell git -C $(dir $(BUDDY_PEER_ABS)) describe --tags --always \
                    --dirty 2>/dev/null | sed 's/^/ at /')
BENCH_BUDDY    := $(HOST_BUILD)/bench_buddy_peer
BENCH_PEER_KEEP := $(foreach s,peer_boot peer_metadata_bytes peer_alloc peer_free,--keep-global-symbol=$(s))

$(HOST_BUILD)/bench_peer.id: FORCE
	@mkdir -p $(@D)
	@echo '$(BUDDY_PEER_ID)' | cmp -s - $@ || echo '$(BUDDY_PEER_ID)' > $@

$(BENCH_BUDDY): tests/bench/bench_buddy.c tests/bench/buddy_peer.c tests/bench/buddy_peer.h \
                $(HOST_DEPS) $(BUDDY_PEER_ABS) $(HOST_BUILD)/bench_peer.id
	$(call say,HOSTCC,$@)
	$(Q)$(HOST_CC) -std=gnu11 -O2 -g $(HOST_WARN) -isystem $(dir $(BUDDY_PEER_ABS)) \
	    -DPEER_HEADER='"$(notdir $(BUDDY_PEER_ABS))"' -c tests/bench/buddy_peer.c -o $@.o
	$(Q)objcopy $(BENCH_PEER_KEEP) $@.o
	$(Q)$(HOST_CC) $(BENCH_CFLAGS) -DBENCH_PEER -DPEER_NAME='"$(BUDDY_PEER_ID)"' $< \
	    tests/host/host_support.c $@.o -o $@
else
BENCH_BUDDY    := $(HOST_BUILD)/bench_buddy
endif

bench: $(BENCH_BUDDY) $(HOST_BUILD)/bench_vm
	$(Q)$(BENCH_BUDDY)
	$(Q)$(HOST_BUILD)/bench_vm
	$(Q)tools/bench_callgrind.sh $(BENCH_BUDDY)
	$(if $(BUDDY_PEER),$(Q)tools/bench_callgrind.sh $(BENCH_BUDDY) --peer)
