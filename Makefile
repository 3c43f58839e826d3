# gradcheck -- build, test, install.
#
#   make              libgradcheck.a, the gradcheck command, the examples
#   make check        every Check suite (and the install test)
#   make demo         the main job: check the classic 2-layer network
#   make sanitize     the suite under AddressSanitizer + UBSan
#   make valgrind     the suite under valgrind (CK_FORK=no)
#   make bench        timings, as ratios measured side by side
#   make mpi          build/gradcheck-mpi, the command across MPI ranks (Open
#                     MPI, installed by scripts/install-deps mpi when missing)
#   make plots        the README's pictures in build/plots/ (installs gnuplot-nox)
#   make install      PREFIX=/usr/local DESTDIR=   (make uninstall: the same files out;
#                     gradcheck-mpi too when Open MPI is there)
#   make check-export the exporter's tests (numpy; scikit-learn, torch when there)
#   make fuzz         libFuzzer harnesses of fuzz/ (FUZZ_SECONDS each; installs clang)
#
# Missing Debian packages are installed by scripts/install-deps, which runs
# before anything is built when a quick probe (pkg-config for Check,
# jansson, zlib and SLEEF, xmllint, valgrind, python3) finds something missing.

CC       ?= cc
PREFIX   ?= /usr/local
BUILD    ?= build
CFLAGS   ?= -O2 -g
WFLAGS   := -std=c11 -Wall -Wextra -Werror
CPPFLAGS += -D_POSIX_C_SOURCE=200809L -Ilib
SANFLAGS := -fsanitize=address,undefined -fno-sanitize-recover=all -fno-omit-frame-pointer

DEPS_PROBE = pkg-config --exists check jansson zlib sleef && command -v xmllint valgrind python3 >/dev/null \
    && /usr/bin/python3 -c 'import numpy' 
ifeq ($(filter clean,$(MAKECMDGOALS)),)
DEPS_FAILED := $(shell $(DEPS_PROBE) 2>/dev/null || ./scripts/install-deps >&2 || echo failed)
ifneq ($(DEPS_FAILED),)
$(error scripts/install-deps failed: install the packages it names, then run make again)
endif
endif

# the library's own dependencies: jansson (JSON), zlib (deflated .npz),
# SLEEF (vector exp and log1p: lib/nn/vmath.c)
LIBDEP_CFLAGS := $(shell pkg-config --cflags jansson zlib sleef)
LIBDEP_LIBS   := $(shell pkg-config --libs jansson zlib sleef)
CHECK_CFLAGS   := $(shell pkg-config --cflags check)
CHECK_LIBS     := $(shell pkg-config --libs check)

ALL_CFLAGS := $(WFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -MMD -MP
LDLIBS     := $(LIBDEP_LIBS) -lm -pthread

# The vector kernels (softmax_ce's values op, the sparse evaluator's batch,
# the batched rows' sure passes):
# the compiler vectorises their selects only when it may compute both sides,
# which -fno-trapping-math allows.  It changes no value (IEEE results are
# the same), only whether a floating-point exception flag may be raised, and
# the library never reads those flags.  Not -ffast-math.
VECTOR_SRC := lib/nn/loss.c lib/nn/softmax_batch.c lib/engine/fast_batch.c lib/engine/row.c
$(foreach f,$(VECTOR_SRC),$(patsubst %.c,$(BUILD)/%.o,$(f)) $(patsubst %.c,$(BUILD)/pic/%.o,$(f))): \
    ALL_CFLAGS += -fno-trapping-math

LIB_SRC    := $(wildcard lib/*/*.c)
CLI_SRC    := $(filter-out cli/mpi%.c,$(wildcard cli/*.c))
MPI_SRC    := $(wildcard cli/mpi*.c)
CHECK_SRC  := $(wildcard checks/*.c checks/*/*.c)
CHECK_SRC  := $(filter-out checks/plugins/%,$(CHECK_SRC))
MUTANT_SRC := $(wildcard fixtures/mutants/*.c)
# Layer mutants (fixtures/mutants/layers/layer_mutants.h): linked into the
# tests and built as one plugin, build/fixtures/liblayermutants.so, for
# `gradcheck --layer` (with examples/dropout.c, which one of them reuses).
LMUT_SRC   := $(wildcard fixtures/mutants/layers/*.c)
EXMAIN_SRC := $(wildcard examples/*_main.c)
EXLIB_SRC  := $(filter-out $(EXMAIN_SRC),$(wildcard examples/*.c))
# Layers that export a gc_layer_plugin or gc_layer_factory (see
# <gradcheck/layer.h>) are also
# built as plugins for `gradcheck --layer`: examples/NAME.c becomes
# build/examples/libNAME.so, checks/plugins/NAME.c (the tests' broken
# layers) build/checks/plugins/libNAME.so.
EXPLUG_SRC := $(shell grep -l '^gc_layer \*[a-z0-9_]*_plugin(\(int in, int out, gc_pcg32 \*rng\|gc_layer_args \*args\))$$' $(EXLIB_SRC))
TSTPLUG_SRC := $(wildcard checks/plugins/*.c)
# Every layer mutant (loss mutants are no layer) is also built as a plugin,
# build/mutants/libNAME.so with the factory mutant_plugin, so that a real
# bug can be checked from the command line.
MUTPLUG_SRC := $(shell grep -L 'GC_MUTANT_LOSS' $(MUTANT_SRC))

obj = $(patsubst %.c,$(BUILD)/%.o,$(1))

# Where the tests find the command and the fixtures when GC_BIN and
# GC_FIXTURES are not set: this tree's, by absolute path, so a suite runs the
# same from any directory.
TEST_PATHS = -DGC_DEFAULT_BIN='"$(abspath $(BUILD))/gradcheck"' -DGC_DEFAULT_FIXTURES='"$(abspath fixtures)"' \
             -DGC_DEFAULT_MPI_BIN='"$(abspath $(BUILD))/gradcheck-mpi"' 

LIB     := $(BUILD)/libgradcheck.a
# The shared library: libgradcheck.so.VERSION, its soname libgradcheck.so.0
# (the major number changes when the ABI breaks) and the link name.
VERSION := $(shell sed -n 's/^\#define GC_VERSION "\(.*\)"/\1/p' lib/gradcheck/base.h)
SOMAJOR := 0
SONAME  := libgradcheck.so.$(SOMAJOR)
SHLIB   := $(BUILD)/libgradcheck.so.$(VERSION)
SHLINKS := $(BUILD)/$(SONAME) $(BUILD)/libgradcheck.so
BIN     := $(BUILD)/gradcheck
CHECKER := $(BUILD)/check_gradcheck
MPI_BIN := $(BUILD)/gradcheck-mpi
MPICC   ?= mpicc
# make check builds and tests gradcheck-mpi when Open MPI is installed (its
# suite says it skipped otherwise); only make mpi installs Open MPI.
MPI_FOUND := $(shell command -v $(MPICC) 2>/dev/null)
EXAMPLES := $(patsubst examples/%_main.c,$(BUILD)/examples/%,$(EXMAIN_SRC))
PLUGINS  := $(patsubst examples/%.c,$(BUILD)/examples/lib%.so,$(EXPLUG_SRC))
TEST_PLUGINS := $(patsubst checks/plugins/%.c,$(BUILD)/checks/plugins/lib%.so,$(TSTPLUG_SRC))
MUTANT_PLUGINS := $(patsubst fixtures/mutants/%.c,$(BUILD)/mutants/lib%.so,$(MUTPLUG_SRC))
SUITES_H := $(BUILD)/gen/suites.h
MUTANTS_H := $(BUILD)/gen/mutant_list.h
LMUTANTS_H := $(BUILD)/gen/layer_mutant_list.h
LMUT_PLUGIN := $(BUILD)/fixtures/liblayermutants.so

.PHONY: all check test check-export demo sanitize valgrind bench false-alarms plots install \
        uninstall installcheck clean mpi mpi-deps fuzz fuzz-build fuzz-smoke fuzz-coverage FORCE

all: $(LIB) $(SHLIB) $(SHLINKS) $(BIN) $(EXAMPLES) $(PLUGINS) $(MUTANT_PLUGINS)

# Include rules per folder: the library sees only lib/ (and jansson, zlib); the
# command sees the public headers; only the tests see Check, the examples
# and the generated lists.
$(BUILD)/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LIBDEP_CFLAGS) -c $< -o $@

$(BUILD)/cli/%.o: cli/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/examples/%.o: examples/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(BUILD)/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LIBDEP_CFLAGS) $(CHECK_CFLAGS) -Ichecks -Ichecks/support -Iexamples -I$(BUILD)/gen \
	    $(TEST_PATHS) -c $< -o $@

$(LIB): $(call obj,$(LIB_SRC))
	@rm -f $@
	$(AR) rcs $@ $^

# The shared library from position-independent objects of its own;
# -z defs: every symbol it uses must come from the libraries named here.
$(BUILD)/pic/lib/%.o: lib/%.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LIBDEP_CFLAGS) -fPIC -c $< -o $@

$(SHLIB): $(patsubst %.c,$(BUILD)/pic/%.o,$(LIB_SRC))
	$(CC) $(ALL_CFLAGS) -shared -Wl,-soname,$(SONAME) -Wl,-z,defs $^ -o $@ $(LDLIBS)

$(SHLINKS): $(SHLIB)
	ln -sf $(if $(filter %/libgradcheck.so,$@),$(SONAME),$(notdir $(SHLIB))) $@

# The command's link, for its start-up time (each library it loads is
# mapped and relocated at every start): the library's objects but
# vmath.o, which it takes compiled with SLEEF's vector-ABI names
# (GC_SLEEF_GNUABI, lib/nn/vmath.c), from libsleefgnuabi, whose few
# relocations cost less than libsleef's many.  jansson and zlib stay
# shared: the command reads untrusted network files through both, and a
# static copy would miss the system's security fixes until it is built
# again.  `make CMD_STATIC="jansson z"` links them from their static
# archives instead, not exported (--exclude-libs), so a plugin that uses
# them still has its own: ~0.15 ms less a process (bench/README.md).
CMD_VMATH  := $(BUILD)/cmd/lib/nn/vmath.o
CMD_OBJ    := $(filter-out $(BUILD)/lib/nn/vmath.o,$(call obj,$(LIB_SRC))) $(CMD_VMATH)
CMD_STATIC ?=
CMD_STLIBS := -Wl,--exclude-libs,ALL -Wl,-Bstatic $(addprefix -l,$(CMD_STATIC)) -Wl,-Bdynamic
CMD_LIBS   := $(if $(CMD_STATIC),$(CMD_STLIBS)) $(addprefix -l,$(filter-out $(CMD_STATIC),jansson z)) \
              -lsleefgnuabi -lm -pthread -ldl

$(CMD_VMATH): lib/nn/vmath.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $(LIBDEP_CFLAGS) -DGC_SLEEF_GNUABI -c $< -o $@

# -rdynamic and every object of the library: every gc_ function of the
# library is in the command and exported, so a --layer plugin may call any
# of them.
$(BIN): $(call obj,$(CLI_SRC)) $(CMD_OBJ)
	$(CC) $(ALL_CFLAGS) -rdynamic $^ -o $@ $(CMD_LIBS)

# gradcheck-mpi: the command's objects but its main (cli/gradcheck.c), and
# cli/mpi*.c compiled by mpicc; linked as the command is.
mpi: mpi-deps
	@$(MAKE) --no-print-directory $(MPI_BIN)

mpi-deps:
	@command -v $(MPICC) >/dev/null 2>&1 && command -v mpirun >/dev/null 2>&1 || ./scripts/install-deps mpi

$(BUILD)/mpi/%.o: %.c
	@mkdir -p $(dir $@)
	$(MPICC) $(CPPFLAGS) $(ALL_CFLAGS) -c $< -o $@

$(MPI_BIN): $(patsubst %.c,$(BUILD)/mpi/%.o,$(MPI_SRC)) \
            $(call obj,$(filter-out cli/gradcheck.c,$(CLI_SRC))) $(CMD_OBJ)
	$(MPICC) $(ALL_CFLAGS) -rdynamic $^ -o $@ $(CMD_LIBS)

# Position-independent objects for the plugins, apart from the others.
$(BUILD)/pic/%.o: %.c
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) -fPIC -c $< -o $@

# Kept, not removed as intermediates: a rebuild then relinks nothing.
.SECONDARY: $(patsubst %.c,$(BUILD)/pic/%.o,$(EXPLUG_SRC) $(TSTPLUG_SRC))

$(BUILD)/examples/lib%.so: $(BUILD)/pic/examples/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $^ -o $@ -lm

$(BUILD)/pic/fixtures/%.o: CPPFLAGS += -Iexamples
.SECONDARY: $(patsubst %.c,$(BUILD)/pic/%.o,$(LMUT_SRC))

$(LMUT_PLUGIN): $(patsubst %.c,$(BUILD)/pic/%.o,$(LMUT_SRC) examples/dropout.c)
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $^ -o $@ -lm

$(BUILD)/checks/plugins/lib%.so: $(BUILD)/pic/checks/plugins/%.o
	@mkdir -p $(dir $@)
	$(CC) $(ALL_CFLAGS) -shared $^ -o $@ -lm

# (No -MMD here, two sources make one object: the public headers are its
# prerequisites, so a changed struct rebuilds every mutant plugin.)
$(BUILD)/mutants/lib%.so: fixtures/mutants/%.c fixtures/mutants/plugin/mutant_plugin.c \
                          fixtures/mutants/mutants.h lib/gradcheck.h $(wildcard lib/gradcheck/*.h)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(WFLAGS) $(CFLAGS) $(EXTRA_CFLAGS) -fPIC -shared -Ifixtures/mutants \
	    -DGC_MUTANT_SYM=gc_mutant_$* $(filter %.c,$^) -o $@ -lm

# The example programs' objects are built by a pattern rule: keep them, so a
# second make relinks nothing.
.SECONDARY: $(call obj,$(EXMAIN_SRC))

$(BUILD)/examples/%: $(BUILD)/examples/%_main.o $(call obj,$(EXLIB_SRC)) $(LIB)
	$(CC) $(ALL_CFLAGS) $^ -o $@ $(LDLIBS)

# Every checks/*/check_*.c defines one `Suite *make_<name>_suite(void)`;
# check_main.c adds all of them from this generated list, so a new suite file
# needs no edit anywhere else.  The lists are regenerated on every make (a
# deleted file changes no remaining prerequisite's time) and replaced only
# when their content changes, so nothing is rebuilt needlessly.
$(SUITES_H): $(CHECK_SRC) FORCE
	@mkdir -p $(dir $@)
	@grep -ho 'Suite \*make_[a-z0-9_]*_suite(void)$$' $(CHECK_SRC) \
	    | sed 's/Suite \*make_\([a-z0-9_]*\)_suite(void)/GC_SUITE(\1)/' | sort > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/checks/check_main.o: $(SUITES_H)

# Every fixtures/mutants/NAME.c defines `const gc_mutant gc_mutant_NAME =`;
# checks/engine/check_mutants.c iterates over this generated list, so a new mutant
# file is checked with no edit anywhere else.
$(MUTANTS_H): $(MUTANT_SRC) FORCE
	@mkdir -p $(dir $@)
	@grep -ho '^const gc_mutant gc_mutant_[a-z0-9_]* =' $(MUTANT_SRC) /dev/null \
	    | sed 's/const gc_mutant gc_mutant_\([a-z0-9_]*\) =/GC_MUTANT(\1)/' | sort > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/checks/engine/check_mutants.o $(BUILD)/checks/engine/check_fast.o \
    $(BUILD)/checks/cli/check_teaching.o: $(MUTANTS_H)

$(LMUTANTS_H): $(LMUT_SRC) FORCE
	@mkdir -p $(dir $@)
	@grep -ho '^const gc_layer_mutant gc_layer_mutant_[a-z0-9_]* =' $(LMUT_SRC) /dev/null \
	    | sed 's/const gc_layer_mutant gc_layer_mutant_\([a-z0-9_]*\) =/GC_LAYER_MUTANT(\1)/' \
	    | sort > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

$(BUILD)/checks/engine/check_hygiene.o: $(LMUTANTS_H)

# cli/heap.c, the command's memory policy, is tested in the suite's process.
$(BUILD)/checks/cli/check_cli_heap.o: CPPFLAGS += -Icli

# -rdynamic: the suites load plugins through the library (network files
# with plugin layers), and a plugin calls gc_ functions of the program.
# libsleefgnuabi before libm, whose link script brings libmvec's functions
# of the same names: checks/nn/check_sleef_names.c compares SLEEF's.
$(CHECKER): $(call obj,$(CHECK_SRC) $(MUTANT_SRC) $(LMUT_SRC) $(EXLIB_SRC) cli/heap.c) $(LIB)
	$(CC) $(ALL_CFLAGS) -rdynamic $^ -o $@ -lsleefgnuabi $(CHECK_LIBS) $(LDLIBS)

check: test check-export
	@$(MAKE) --no-print-directory installcheck
	@$(MAKE) --no-print-directory fuzz-smoke

# scripts/gradcheck-export's tests: the numpy path always; scikit-learn and
# PyTorch when Debian's python3-sklearn and python3-torch are installed
# (skipped, saying so, when not: they are optional).
check-export: $(BIN)
	GC_BIN=$(abspath $(BIN)) /usr/bin/python3 checks/scripts/test_gradcheck_export.py

# The Check suites alone (make check adds the install test).
test: all $(CHECKER) $(TEST_PLUGINS) $(LMUT_PLUGIN) $(if $(MPI_FOUND),$(MPI_BIN))
	GC_BIN=$(abspath $(BIN)) GC_MPI_BIN=$(abspath $(MPI_BIN)) GC_FIXTURES=$(abspath fixtures) \
	    $(abspath $(CHECKER))

demo: $(EXAMPLES)
	$(abspath $(BUILD)/examples/classic)

# Every suite, and every gradcheck process the suites spawn (GC_BIN is the
# instrumented build/san/gradcheck), under ASan (leaks included) and UBSan;
# any report ends the process with an error, which fails its test.
sanitize:
	ASAN_OPTIONS=detect_leaks=1:$${ASAN_OPTIONS:-} \
	UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1:$${UBSAN_OPTIONS:-} \
	    $(MAKE) BUILD=build/san EXTRA_CFLAGS="$(SANFLAGS)" test

valgrind: all $(CHECKER) $(TEST_PLUGINS) $(LMUT_PLUGIN)
	CK_FORK=no GC_CASES=$${GC_CASES:-40} GC_BIN=$(abspath $(BIN)) GC_FIXTURES=$(abspath fixtures) \
	    valgrind -q --leak-check=full --show-leak-kinds=definite,indirect \
	    --errors-for-leak-kinds=definite,indirect --error-exitcode=1 $(abspath $(CHECKER))

bench: all
	./bench/run
	./bench/mpi

# How often a correct network is called wrong: FA_N random --arch networks
# drawn from FA_SEED (FA_KIND=relu: relu and leaky_relu only).
FA_N ?= 10000
FA_SEED ?= 1
$(BUILD)/bench/false_alarms: bench/false_alarms.c $(LIB)
	@mkdir -p $(dir $@)
	$(CC) $(CPPFLAGS) $(ALL_CFLAGS) $< $(LIB) -o $@ $(LDLIBS)

false-alarms: $(BUILD)/bench/false_alarms
	$(BUILD)/bench/false_alarms $(FA_N) $(FA_SEED) $(FA_KIND)

# The pictures of the README's "Learn" section, drawn by gradcheck --plot
# (gnuplot-nox is installed first when missing).  The mutant's check fails
# on purpose: exit status 1 is its expected answer.
PLOTS := $(BUILD)/plots
plots: all
	@command -v gnuplot >/dev/null || ./scripts/install-deps --plot
	@mkdir -p $(PLOTS)
	$(BIN) --arch 2-2-1 --act sigmoid --loss bce --seed 1 --sweep-element 'W1[0,1]' \
	    --plot $(PLOTS)/h-curve.png -q
	$(BIN) --arch 2-2-1 --act sigmoid --loss bce --seed 1 --sweep --plot $(PLOTS)/h-curves.svg -q
	$(BIN) --arch 3-4-2 --act tanh,sigmoid --batch 3 --seed 1 --plot $(PLOTS)/rel-err.png -q
	$(BIN) --layer $(BUILD)/mutants/libsigmoid_preact.so:mutant_plugin --in 3 --batch 2 \
	    --plot $(PLOTS)/mutant.png -q; test $$? -eq 1
	@ls $(PLOTS)

# Written on every make (FORCE) and replaced when its text changes: it holds
# PREFIX, which one make may give differently from the last.  A program
# links the shared library with `pkg-config --libs`; `--static` adds what
# the static library needs besides (jansson, zlib, SLEEF, libm, pthreads).
$(BUILD)/gradcheck.pc: FORCE
	@mkdir -p $(dir $@)
	@printf '%s\n' 'prefix=$(PREFIX)' 'includedir=$${prefix}/include' 'libdir=$${prefix}/lib' '' \
	    'Name: gradcheck' 'Description: gradient-checking verification harness' \
	    'Version: $(VERSION)' 'Requires.private: jansson zlib sleef' 'Cflags: -I$${includedir}' \
	    'Libs: -L$${libdir} -lgradcheck' 'Libs.private: -lm -pthread' > $@.tmp
	@cmp -s $@.tmp $@ && rm -f $@.tmp || mv $@.tmp $@

# What make install puts where; make uninstall removes exactly these (and
# include/gradcheck, the one directory that is gradcheck's alone, when empty).
# The Python module is the exporter itself, importable as gradcheck_export
# (on Debian's sys.path for PREFIX=/usr).  gradcheck-mpi is built and
# installed when Open MPI is there (as make check builds and tests it), and
# uninstall removes it whether or not it still is.
bindir    = $(DESTDIR)$(PREFIX)/bin
libdir    = $(DESTDIR)$(PREFIX)/lib
incdir    = $(DESTDIR)$(PREFIX)/include
man1dir   = $(DESTDIR)$(PREFIX)/share/man/man1
pydir     = $(DESTDIR)$(PREFIX)/lib/python3/dist-packages
HEADERS  := $(wildcard lib/gradcheck/*.h)
MANPAGES := man/gradcheck.1 man/gradcheck-export.1
INSTALLED = $(bindir)/gradcheck $(bindir)/gradcheck-export $(incdir)/gradcheck.h \
    $(patsubst lib/%,$(incdir)/%,$(HEADERS)) $(libdir)/libgradcheck.a \
    $(libdir)/$(notdir $(SHLIB)) $(libdir)/$(SONAME) $(libdir)/libgradcheck.so \
    $(libdir)/pkgconfig/gradcheck.pc $(patsubst man/%,$(man1dir)/%,$(MANPAGES)) \
    $(pydir)/gradcheck_export.py $(bindir)/gradcheck-mpi

install: $(LIB) $(SHLIB) $(BIN) $(BUILD)/gradcheck.pc $(if $(MPI_FOUND),$(MPI_BIN))
	install -d $(incdir)/gradcheck $(libdir)/pkgconfig $(bindir) $(man1dir) $(pydir)
	install -m 644 lib/gradcheck.h $(incdir)/
	install -m 644 $(HEADERS) $(incdir)/gradcheck/
	install -m 644 $(LIB) $(libdir)/
	install -m 755 $(SHLIB) $(libdir)/
	ln -sf $(notdir $(SHLIB)) $(libdir)/$(SONAME)
	ln -sf $(SONAME) $(libdir)/libgradcheck.so
	install -m 644 $(BUILD)/gradcheck.pc $(libdir)/pkgconfig/
	install -m 755 $(BIN) $(bindir)/
	$(if $(MPI_FOUND),install -m 755 $(MPI_BIN) $(bindir)/)
	install -m 755 scripts/gradcheck-export $(bindir)/
	install -m 644 $(MANPAGES) $(man1dir)/
	install -m 644 scripts/gradcheck-export $(pydir)/gradcheck_export.py

uninstall:
	rm -f $(INSTALLED) $(pydir)/__pycache__/gradcheck_export.*.pyc
	-rmdir $(incdir)/gradcheck 2>/dev/null

# Install into a scratch root, build a one-file program against it with
# nothing but pkg-config, linked dynamically and statically, run both, and
# uninstall: no file may be left behind.
installcheck:
	+@./scripts/installcheck

# ---- fuzzing: libFuzzer harnesses, one per fuzz/NAME.c -----------------
# Each has a committed seed corpus fuzz/corpus/NAME/ and dictionary
# fuzz/NAME.dict; what a run discovers goes to build/fuzz/corpus/NAME/.
# `make fuzz` installs clang when it is missing and runs every harness for
# FUZZ_SECONDS; `make check` runs each for FUZZ_SMOKE_SECONDS when clang
# with libFuzzer is already there (and says so when it is not).
FUZZ_CC      ?= clang
FUZZ_SECONDS ?= 60
FUZZ_SMOKE_SECONDS ?= 3
FUZZ_FLAGS   := -g -O1 -fno-omit-frame-pointer -fsanitize=address,undefined -fno-sanitize-recover=all
FUZZ_DIR     := $(BUILD)/fuzz
FUZZ_COV_DIR := $(BUILD)/fuzz-cov
FUZZ_NAMES   := $(patsubst fuzz/%.c,%,$(wildcard fuzz/*.c))
FUZZERS      := $(patsubst %,$(FUZZ_DIR)/fuzz_%,$(FUZZ_NAMES))
FUZZ_OBJ     := $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(LIB_SRC) cli/opts.c)
FUZZ_PROBE    = printf 'int LLVMFuzzerTestOneInput(const char *d, unsigned long n) { (void)d; (void)n; return 0; }\n' \
                | $(FUZZ_CC) -fsanitize=fuzzer -x c - -o /dev/null 2>/dev/null

$(FUZZ_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WFLAGS) $(FUZZ_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    $(LIBDEP_CFLAGS) -Icli -c $< -o $@

$(FUZZ_DIR)/fuzz_%: $(FUZZ_DIR)/obj/fuzz/%.o $(FUZZ_OBJ)
	$(FUZZ_CC) $(FUZZ_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

# Objects kept, not removed as intermediates: a second run relinks nothing.
.SECONDARY: $(patsubst %.c,$(FUZZ_DIR)/obj/%.o,$(wildcard fuzz/*.c)) $(FUZZ_OBJ) \
            $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,$(LIB_SRC) cli/opts.c $(wildcard fuzz/*.c))

fuzz-build: $(FUZZERS)

# One harness: $(1) name, $(2) seconds.
fuzz_run = mkdir -p $(FUZZ_DIR)/corpus/$(1) && \
    $(FUZZ_DIR)/fuzz_$(1) -dict=fuzz/$(1).dict -max_total_time=$(2) -print_final_stats=1 \
        -artifact_prefix=$(FUZZ_DIR)/$(1)- $(FUZZ_DIR)/corpus/$(1) fuzz/corpus/$(1)

fuzz:
	./scripts/install-deps fuzz
	$(MAKE) --no-print-directory fuzz-build
	$(foreach n,$(FUZZ_NAMES),$(call fuzz_run,$(n),$(FUZZ_SECONDS)) &&) true

# Line coverage of what the corpora reach (llvm-cov, from clang's package):
# every harness rebuilt with coverage mapping, run once over its corpora.
FUZZ_COV_FLAGS := -g -O1 -fprofile-instr-generate -fcoverage-mapping
FUZZ_COV_SRC_netfile := $(wildcard lib/io/netfile_*.c) lib/io/numfmt.c
FUZZ_COV_SRC_opts := cli/opts.c
FUZZ_COV_SRC_weights := lib/io/npy.c lib/io/npz.c lib/io/weights.c lib/io/netfile_weights.c

$(FUZZ_COV_DIR)/obj/%.o: %.c
	@mkdir -p $(dir $@)
	$(FUZZ_CC) $(CPPFLAGS) $(WFLAGS) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer-no-link -MMD -MP \
	    $(LIBDEP_CFLAGS) -Icli -c $< -o $@

$(FUZZ_COV_DIR)/fuzz_%: $(FUZZ_COV_DIR)/obj/fuzz/%.o $(patsubst %.c,$(FUZZ_COV_DIR)/obj/%.o,$(LIB_SRC) cli/opts.c)
	$(FUZZ_CC) $(FUZZ_COV_FLAGS) -fsanitize=fuzzer $^ -o $@ $(LDLIBS)

fuzz-coverage: $(patsubst %,$(FUZZ_COV_DIR)/fuzz_%,$(FUZZ_NAMES))
	$(foreach n,$(FUZZ_NAMES),mkdir -p $(FUZZ_DIR)/corpus/$(n) && \
	    LLVM_PROFILE_FILE=$(FUZZ_COV_DIR)/$(n).profraw $(FUZZ_COV_DIR)/fuzz_$(n) -runs=0 \
	        $(FUZZ_DIR)/corpus/$(n) fuzz/corpus/$(n) 2>/dev/null && \
	    llvm-profdata merge -o $(FUZZ_COV_DIR)/$(n).profdata $(FUZZ_COV_DIR)/$(n).profraw && \
	    llvm-cov report $(FUZZ_COV_DIR)/fuzz_$(n) -instr-profile=$(FUZZ_COV_DIR)/$(n).profdata \
	        $(FUZZ_COV_SRC_$(n)) &&) true

fuzz-smoke:
	@if $(FUZZ_PROBE); then \
	    $(MAKE) --no-print-directory fuzz-build >/dev/null && \
	    $(foreach n,$(FUZZ_NAMES),$(call fuzz_run,$(n),$(FUZZ_SMOKE_SECONDS)) 2>$(FUZZ_DIR)/smoke-$(n).log && \
	        echo "fuzz-smoke: $(n): $$(grep -o 'stat::number_of_executed_units: [0-9]*' $(FUZZ_DIR)/smoke-$(n).log | cut -d' ' -f2) inputs, no finding" &&) true; \
	else echo "fuzz-smoke: skipped: no clang with libFuzzer ($(FUZZ_CC); make fuzz installs it)"; fi

FORCE:

clean:
	rm -rf build gradcheck.pc

-include $(shell find $(BUILD) -name '*.d' 2>/dev/null)
