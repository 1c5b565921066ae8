# Duet: the one entry point. `make help` lists the targets.
#
#   make [ARCH=x86_64|aarch64] [LLVM=1] [V=1]   build build/<arch>/duet.elf
#   make ARCH=<arch> run [BOOT=grub|direct] [CMDLINE=...] [MEM=256M] [CPU=...] [SMP=1] [GIC=2|3] [QEMU_EXTRA="-d int"]
#   make ARCH=<arch> debug                      QEMU halted, waiting for gdb
#   make test [ARCH=<arch>]                     every test (both arches unless ARCH is given)
#   make bench-boot [BOOTS=10] [BENCH_MEM="256M 64G"] [BENCH_BOOT="grub direct"]  boot-time benchmark
#   make bench-run [BOOTS=10] [ARCH=..]         `make run` to the prompt against QEMU alone
#   make bench-sched [ARCH=..]                  kernel threads' switch costs (ktest=sched_bench)
#   make bench-proc [ARCH=..]                   processes' costs (user/programs/procbench.c, then `irqs`)
#   make view [ARCH=..] [MEM=256M] [LOG=file]    the memory viewer: build/view/index.html
#   make deps                                   install the Debian packages Duet needs
#   make check [FULL=1] / make format           static checks (clang-format, cppcheck, clang-tidy) of what changed / format the C files
#   make handout LAB=n [OUT=dir] / make grade LAB=n [ARCH=..] [SUBMISSION=dir]  labs (docs/instructors.md;
#                                               LAB="1 2 3" grades several labs of this tree at once)
#   make grade-many LAB=n SUBMISSIONS=dir [GRADE_JOBS=n]  grade every submission under dir
#   make mutants [LAB=n] [MUTANTS=a,b] [SAMPLE=k] [MUTANT_JOBS=n] [MIN_RATE=r] [MUTANT_TREES=dir] [BASELINE=no]  the mutation suite

.DEFAULT_GOAL := all
# Every rule is written out here: make's built-in rules, which it tried on
# each header every object depends on, were two thirds of the time make
# took to find that nothing needs building.
MAKEFLAGS += --no-builtin-rules
.SUFFIXES:
VALID_ARCHS := x86_64 aarch64
ARCH ?= x86_64
ifeq ($(filter $(ARCH),$(VALID_ARCHS)),)
  $(error Unknown ARCH '$(ARCH)'. Valid architectures: $(VALID_ARCHS))
endif

# With V=1 every command is shown; otherwise a short tag per step.
ifeq ($(V),1)
  Q :=
  say = @true
else
  Q := @
  say = @printf '  %-8s %s\n' $(1) $(2)
endif

# A fresh machine has no compiler yet, and this file asks the compiler
# questions while it is read (the toolchain's names, CC_INCLUDE below): so
# for every goal that builds or runs, the packages Duet needs are installed
# first, before the rest is read. tools/deps.sh remembers a full check that
# found everything (build/deps.key, the script it was made with;
# build/deps.ok, where each tool was): while the script is the same, each
# command is found at the same place on PATH and each path still exists,
# make knows it without starting a process, which keeps `make run` within
# a few milliseconds of QEMU; otherwise tools/deps.sh checks again, reports
# and installs what is missing. Sub-makes inherit DUET_DEPS_CHECKED and
# skip even that.

# A command on PATH, found by make itself: no shell is started. A PATH
# entry with a space is not searched.
have = $(firstword $(wildcard $(addsuffix /$(1),$(subst :, ,$(PATH)))))
# A line of build/deps.ok that still holds: cmd=NAME=PATH or path=PATH.
deps_line_holds = $(if $(filter cmd=%,$(1)),$(call deps_cmd_holds,$(subst =, ,$(1))),$(wildcard $(patsubst path=%,%,$(1))))
deps_cmd_holds = $(filter $(word 3,$(1)),$(call have,$(word 2,$(1))))
NO_TOOLS_GOALS := deps deps-check clean help handout
ifneq ($(filter-out $(NO_TOOLS_GOALS),$(or $(MAKECMDGOALS),all)),)
  ifndef DUET_DEPS_CHECKED
    ifeq ($(file <build/deps.key),$(file <tools/deps.sh))
      DEPS_LINES := $(strip $(file <build/deps.ok))
      DEPS_HOLDING := $(foreach l,$(DEPS_LINES),$(if $(call deps_line_holds,$(l)),ok))
      DEPS_FRESH := $(and $(DEPS_LINES),$(filter $(words $(DEPS_LINES)),$(words $(DEPS_HOLDING))))
    endif
    ifndef DEPS_FRESH
      $(shell tools/deps.sh check-or-install >&2)
      ifneq ($(.SHELLSTATUS),0)
        $(error tools/deps.sh could not install what Duet needs (its message is above))
      endif
    endif
    export DUET_DEPS_CHECKED := 1
  endif
endif

include mk/toolchain.mk

BUILD := build/$(ARCH)$(if $(filter 1,$(LLVM)),-llvm)
ELF   := $(BUILD)/duet.elf

# Generic code: the same sources on both machines. arch.mk adds its own.
GENERIC_DIRS := boot lib mm kernel
GENERIC_SRCS := $(foreach d,$(GENERIC_DIRS),$(wildcard $(d)/*.c $(d)/*.S))
include arch/$(ARCH)/arch.mk
SRCS := $(filter-out %.lds.S,$(GENERIC_SRCS) $(ARCH_SRCS))
OBJS := $(patsubst %,$(BUILD)/obj/%.o,$(SRCS))

# The compiler's own freestanding headers (stdint.h, stddef.h, stdarg.h,
# stdbool.h) and nothing from the host's libc.
# Asked once per compiler (its command and where PATH finds it): kept in
# $(BUILD)/cc-include, the key and the directory, while the directory
# still has the headers. A process less for every make.
CC_INCLUDE_KEY := $(CC) at $(call have,$(firstword $(CC)))
CC_INCLUDE_FILE := $(BUILD)/cc-include
CC_INCLUDE := $(strip $(file <$(CC_INCLUDE_FILE)))
ifneq ($(CC_INCLUDE),$(strip $(CC_INCLUDE_KEY) $(wildcard $(lastword $(CC_INCLUDE)))))
  CC_INCLUDE := $(CC_INCLUDE_KEY) $(shell $(CC) -print-file-name=include)/stddef.h
  ifneq ($(wildcard $(lastword $(CC_INCLUDE))),)
    $(shell mkdir -p $(BUILD))
    $(file >$(CC_INCLUDE_FILE),$(CC_INCLUDE))
  endif
endif
CC_INCLUDE := $(patsubst %/stddef.h,%,$(lastword $(CC_INCLUDE)))

# No unwind tables (.eh_frame, which the linker script discards: nothing
# unwinds at run time), but with -g the call-frame information goes to
# .debug_frame, which gdb reads to walk the stack. AArch64's GCC makes
# unwind tables unless told not to, and then gdb had none.

CFLAGS := -std=gnu11 -O2 -g -ffreestanding -nostdinc -isystem $(CC_INCLUDE) \
          -fno-pic -fno-pie -fno-stack-protector -fno-common \
          -fno-omit-frame-pointer -mno-omit-leaf-frame-pointer -fno-optimize-sibling-calls \
          -fno-asynchronous-unwind-tables -fno-unwind-tables $(TOOLCHAIN_CFLAGS) \
          -Wall -Wextra -Werror -Wno-unused-parameter -Wstrict-prototypes \
          -Wmissing-prototypes -Wshadow -Wvla \
          -ffile-prefix-map=$(CURDIR)/= \
          -Iinclude -I. -Iarch/$(ARCH)/include \
          $(ARCH_CFLAGS) $(EXTRA_CFLAGS)
ASFLAGS := $(filter-out -std=gnu11 -Wstrict-prototypes -Wmissing-prototypes,$(CFLAGS)) -D__ASSEMBLY__
LDFLAGS := --fatal-warnings -nostdlib -static -z max-page-size=0x1000 -z noexecstack --build-id=none \
           $(ARCH_LDFLAGS)

# Objects depend on the flags too: changing CFLAGS or the toolchain rebuilds.
# Not the tree's own directory: -ffile-prefix-map takes it out of what is
# built, so a tree copied or moved elsewhere keeps its objects.
FLAGS_FILE := $(BUILD)/flags
# Recorded only with a compiler to build with: a make run with a missing
# one (CROSS_COMPILE mistyped, the grader's missing-tool test) builds
# nothing, and must not make the next run rebuild everything.
FLAGS_NOW := $(CC) $(filter-out -ffile-prefix-map=%,$(CFLAGS)) $(LD) $(LDFLAGS)
ifneq ($(file <$(FLAGS_FILE)),$(FLAGS_NOW))
  ifneq ($(call have,$(firstword $(CC))),)
    $(shell mkdir -p $(BUILD))
    $(file >$(FLAGS_FILE),$(FLAGS_NOW))
  endif
endif

# The user programs the kernel carries: USER_PROGRAMS_OBJ holds them.
include mk/user.mk

.PHONY: FORCE check print-compile-commands format handout grade grade-many mutants all run debug test host-tests fuzz fuzz-build bench bench-boot bench-run bench-sched bench-proc view bench-view deps deps-check clean help
all: $(ELF) $(ARCH_IMAGES) compile_commands.json

$(BUILD)/obj/%.c.o: %.c $(FLAGS_FILE)
	$(call say,CC,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(CFLAGS) -MMD -MP -c $< -o $@
	@printf '{"directory":"%s","file":"%s","command":"%s"},\n' "$(CURDIR)" "$<" \
	  "$(subst ",\",$(CC) $(CFLAGS) -c $< -o $@)" > $@.json

$(BUILD)/obj/%.S.o: %.S $(FLAGS_FILE)
	$(call say,AS,$<)
	@mkdir -p $(@D)
	$(Q)$(CC) $(ASFLAGS) -MMD -MP -c $< -o $@
	@printf '{"directory":"%s","file":"%s","command":"%s"},\n' "$(CURDIR)" "$<" \
	  "$(subst ",\",$(CC) $(ASFLAGS) -c $< -o $@)" > $@.json

# The kernel is linked twice so that backtraces can name functions: the
# first link has an empty symbol table, tools/ksyms.sh turns its symbols into
# a table that the second link places after .text, so no code address moves.
# The check after the second link proves that.
KSYMS_EMPTY := $(BUILD)/obj/ksyms-empty.S
$(KSYMS_EMPTY): tools/ksyms.sh | $(BUILD)/obj
	$(Q)tools/ksyms.sh /dev/null > $@

$(BUILD)/obj/ksyms-%.o: $(BUILD)/obj/ksyms-%.S
	$(Q)$(CC) $(ASFLAGS) -c $< -o $@

$(BUILD)/duet.pass1.elf: $(OBJS) $(USER_PROGRAMS_OBJ) $(BUILD)/obj/ksyms-empty.o $(ARCH_LDS)
	$(call say,LD,$@)
	$(Q)$(LD) $(LDFLAGS) -T $(ARCH_LDS) -o $@ $(OBJS) $(USER_PROGRAMS_OBJ) $(BUILD)/obj/ksyms-empty.o

$(BUILD)/obj/ksyms-final.S: $(BUILD)/duet.pass1.elf tools/ksyms.sh
	$(Q)$(NM) -n --defined-only $< | tools/ksyms.sh - > $@

$(ELF): $(OBJS) $(USER_PROGRAMS_OBJ) $(BUILD)/obj/ksyms-final.o $(ARCH_LDS)
	$(call say,LD,$@)
	$(Q)$(LD) $(LDFLAGS) -T $(ARCH_LDS) -o $@ $(OBJS) $(USER_PROGRAMS_OBJ) $(BUILD)/obj/ksyms-final.o
	$(Q)$(NM) -n --defined-only $@ | tools/ksyms.sh - | cmp -s - $(BUILD)/obj/ksyms-final.S \
	  || { echo "ksyms: code moved between the two links; symbols would be wrong" >&2; rm -f $@; exit 1; }

$(BUILD)/obj:
	@mkdir -p $@

# compile_commands.json for clangd and clang-tidy, for the last ARCH built:
# made in the build directory when an object is remade, and copied to the
# top when it changes or another build directory is the one being built
# (build/compile_commands.from names it). Nothing runs when nothing changed.
CC_JSON_FROM := build/compile_commands.from
ifneq ($(filter all run debug,$(or $(MAKECMDGOALS),all)),)
  ifneq ($(file <$(CC_JSON_FROM)),$(BUILD))
    $(shell mkdir -p build)
    $(file >$(CC_JSON_FROM),$(BUILD))
  endif
endif

$(BUILD)/compile_commands.json: $(OBJS)
	@{ echo '['; cat $(addsuffix .json,$(OBJS)) | sed '$$ s/,$$//'; echo ']'; } > $@

compile_commands.json: $(BUILD)/compile_commands.json $(CC_JSON_FROM)
	@cp $< $@

# --- running -------------------------------------------------------------
# tools/qemu.py owns the QEMU command line for both arches; the tests use it too.
MEM  ?= 256M
SMP  ?= 1
QEMU_ARGS := --arch $(ARCH) --build $(BUILD) --mem $(MEM) --smp $(SMP) \
             $(if $(BOOT),--boot $(BOOT)) $(if $(CPU),--cpu $(CPU)) $(if $(MACHINE),--machine $(MACHINE)) \
             $(if $(GIC),--gic $(GIC)) \
             $(foreach a,$(QEMU_EXTRA),--qemu-arg=$(a))

RUN_ARGS = $(QEMU_ARGS) --cmdline '$(subst ','\'',$(CMDLINE))' --interactive

# `make run` starts QEMU with no Python before it: the command comes from
# tools/qemu.py --print (its files, the x86_64 command-line disk, stay in
# <build>/qemu-print), remade only when the run's settings (RUN_KEY),
# tools/qemu.py, or those files (another --print) change. Python runs after
# QEMU, to say how the run ended. tools/bench_boot.py --run measures it.
RUN_KEY := $(BUILD)/run.args
RUN_CMD := $(BUILD)/run.cmd
ifneq ($(filter run,$(MAKECMDGOALS)),)
  ifneq ($(file <$(RUN_KEY)),$(RUN_ARGS))
    $(shell mkdir -p $(BUILD))
    $(file >$(RUN_KEY),$(RUN_ARGS))
  endif
endif

# The files the command names in qemu-print (file=...,): all must be there.
comma := ,
RUN_FILES := $(filter $(BUILD)/qemu-print/%,$(subst $(comma), ,$(subst =, ,$(file <$(RUN_CMD)))))
RUN_FILES_GONE := $(filter-out $(wildcard $(RUN_FILES)),$(RUN_FILES))

$(RUN_CMD): $(RUN_KEY) tools/qemu.py $(wildcard $(BUILD)/qemu-print/*) $(if $(RUN_FILES_GONE),FORCE)
	$(Q)python3 tools/qemu.py $(RUN_ARGS) --print > $@.tmp && mv $@.tmp $@

FORCE:

run: all $(RUN_CMD)
	$(Q)echo '(QEMU: Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor)'; \
	  $(file <$(RUN_CMD)); python3 tools/qemu.py --arch $(ARCH) --exit-status $$?

debug: all
	$(Q)python3 tools/qemu.py $(QEMU_ARGS) --cmdline '$(subst ','\'',$(CMDLINE))' --interactive --gdb

# --- tests -----------------------------------------------------------------
# Without ARCH on the command line, `make test` covers both machines.
TEST_ARCHS := $(if $(filter command line,$(origin ARCH)),$(ARCH),$(VALID_ARCHS))
# Found when first used, and once: only `make test` pays for it.
PYTEST = $(eval PYTEST := $(shell tools/find-pytest.sh))$(PYTEST)
# Both cores: pytest-xdist spreads the tests over JOBS workers (make deps
# installs it; without it the tests run one after another).
JOBS ?= $(shell nproc)
PYTEST_JOBS = $(shell $(firstword $(PYTEST)) -c 'import importlib.util, sys; sys.exit(not importlib.util.find_spec("xdist"))' \
                2>/dev/null && echo '-n $(JOBS)')
PYTEST_ARGS ?=

# The builds use every core too (-j JOBS): from a clean clone they are a
# third of the run.
test:
	$(Q)for a in $(TEST_ARCHS); do $(MAKE) --no-print-directory -j$(JOBS) ARCH=$$a all || exit 1; done
	$(Q)$(MAKE) --no-print-directory -j$(JOBS) host-tests fuzz-build
	$(Q)$(PYTEST) tests $(foreach a,$(TEST_ARCHS),--arch $(a)) $(PYTEST_JOBS) $(PYTEST_ARGS)

bench-boot:
	$(Q)for a in $(TEST_ARCHS); do $(MAKE) --no-print-directory ARCH=$$a all || exit 1; done
	$(Q)python3 tools/bench_boot.py $(foreach a,$(TEST_ARCHS),--arch $(a)) --boots $(or $(BOOTS),10) \
	    $(foreach m,$(or $(BENCH_MEM),256M),--mem $(m)) $(foreach b,$(BENCH_BOOT),--boot $(b))

# `make run` against QEMU alone, to the prompt (tools/bench_boot.py --run).
bench-run:
	$(Q)python3 tools/bench_boot.py --run $(foreach a,$(TEST_ARCHS),--arch $(a)) --boots $(or $(BOOTS),10)

# The memory viewer (docs/memdump.md): boot each arch and dump, or read LOG.
view:
	$(Q)$(if $(LOG),,for a in $(TEST_ARCHS); do $(MAKE) --no-print-directory ARCH=$$a all || exit 1; done)
	$(Q)python3 tools/view.py $(if $(LOG),$(foreach l,$(LOG),--log $(l)),$(foreach a,$(TEST_ARCHS),--arch $(a)) --mem $(or $(MEM),256M))

# How fast the viewer draws a 64 GiB machine with 262,144 4 KiB mappings.
bench-view:
	$(Q)python3 tools/bench_view.py

# The in-kernel suite sched_bench (kernel/sched_test.c) prints its figures
# in nanoseconds of the kernel's own clock.
bench-sched:
	$(Q)for a in $(TEST_ARCHS); do $(MAKE) --no-print-directory ARCH=$$a all || exit 1; \
	    python3 tools/qemu.py --arch $$a --build build/$$a --boot direct --cmdline ktest=sched_bench \
	    | grep '^# sched_bench:' || exit 1; done

# procbench, then the monitor's `irqs` for the timer's handler, typed ahead:
# the console keeps the bytes until the monitor reads them.
bench-proc:
	$(Q)for a in $(TEST_ARCHS); do $(MAKE) --no-print-directory ARCH=$$a all || exit 1; \
	    echo "$$a:"; printf 'irqs\npoweroff\n' | python3 tools/qemu.py --arch $$a --build build/$$a \
	    --boot direct --cmdline run=procbench | grep -E '^procbench:|timer' || exit 1; done

# --- labs: handouts and grading (docs/instructors.md) ------------------------
# `make grade` without ARCH on the command line grades both arches.
handout:
	$(if $(LAB),,$(error make handout needs LAB=n, e.g. make handout LAB=3))
	$(Q)python3 tools/handout.py $(LAB) $(if $(OUT),--out $(OUT))

# A partial score is a grade, not a failure: make grade fails only when it
# could not grade (tools/grade.py's status 2), so make's "Error 1" never
# follows a score.
grade:
	$(if $(LAB),,$(error make grade needs LAB=n, e.g. make grade LAB=3))
	$(Q)python3 tools/grade.py $(LAB) $(foreach a,$(TEST_ARCHS),--arch $(a)) \
	    $(if $(SUBMISSION),--submission $(SUBMISSION)) $(if $(OUT),--out $(OUT)); \
	    [ $$? -le 1 ]

# One result directory per submission under SUBMISSIONS, and summary.csv.
grade-many:
	$(if $(LAB),,$(error make grade-many needs LAB=n and SUBMISSIONS=dir))
	$(if $(SUBMISSIONS),,$(error make grade-many needs SUBMISSIONS=dir, one directory per submission))
	$(Q)python3 tools/grade_many.py $(SUBMISSIONS) $(LAB) $(foreach a,$(TEST_ARCHS),--arch $(a)) \
	    $(if $(GRADE_JOBS),-j $(GRADE_JOBS))

# The mutation suite: each mutant in labs/mutants graded as a submission; the
# kill rate per lab and arch, each survivor (docs/instructors.md).
mutants:
	$(Q)python3 tools/mutants.py $(if $(LAB),--lab $(LAB)) \
	    $(foreach a,$(TEST_ARCHS),--arch $(a)) $(if $(MUTANTS),--mutants $(MUTANTS)) \
	    $(if $(SAMPLE),--sample $(SAMPLE)) $(if $(MUTANT_JOBS),-j $(MUTANT_JOBS)) \
	    $(if $(MIN_RATE),--min-rate $(MIN_RATE)) $(if $(MUTANT_TREES),--trees $(MUTANT_TREES)) \
	    $(if $(filter no,$(BASELINE)),--no-baseline)

# --- static checks (tools/check.py, .clang-format, .clang-tidy) -------------
# Only the files changed since the last run are checked again (the results
# are kept in build/check/); FULL=1 checks everything, as CI does.
check:
	$(Q)python3 tools/check.py $(if $(filter 1,$(FULL)),--full)

# The compile command of each kernel C source, one a line, and nothing
# built: tools/check.py runs clang-tidy with those of `LLVM=1`.
print-compile-commands:
	@:$(foreach s,$(filter %.c,$(SRCS)),$(info $(CC) $(CFLAGS) -c $(s) -o $(BUILD)/obj/$(s).o))

format:
	$(Q)find arch boot include kernel lib mm tests user -name build -prune -o \
	    \( -name '*.c' -o -name '*.h' \) -print | xargs clang-format -i

# --- host tests and fuzzing (no QEMU) ----------------------------------------
include mk/host.mk

# --- setup -------------------------------------------------------------------
deps:
	$(Q)tools/deps.sh install

# Fast when everything is there; installs what is missing otherwise. Done
# already while the Makefile was read, for every goal that needs the tools.
deps-check:
	$(Q)tools/deps.sh check-or-install

clean:
	rm -rf build compile_commands.json

help:
	@sed -n '2,/^$$/{/^#/p}' Makefile | sed 's/^# \{0,1\}//'

-include $(OBJS:.o=.d)
