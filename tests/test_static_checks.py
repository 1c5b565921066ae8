"""`make check` (tools/check.py): the tree's static checks, and their cache.

- The tree passes the format and cppcheck steps (clang-tidy, minutes on a
  cold cache, runs in `make check`, which CI runs with FULL=1).
- Every lab's handout, as tools/handout.py writes it, passes the format
  step untouched; with DUET_LABS_ALL=1 every handout passes all three.
- The cache, in a small tree of its own with a header and two sources,
  observed through what check.py prints and its exit status: a second run
  checks nothing; a changed file is checked again, and only it; a badly
  formatted file fails although a clean result is cached for the file's
  earlier content of the same length and time stamp; a failure stays a
  failure when it comes from the cache; a changed header re-checks the
  files that include it (and its new finding is reported); FULL ignores
  the cache.
- `make print-compile-commands`, clang-tidy's input, prints the commands
  the LLVM build runs.
"""
import contextlib
import fcntl
import json
import os
import re
import shlex
import shutil
import subprocess
import sys
import textwrap

import pytest

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import handout  # noqa: E402

REPO = harness.REPO
LABS = sorted(int(n) for n in handout.load_catalog(REPO)["labs"])
LABS_ALL = os.environ.get("DUET_LABS_ALL") == "1"
TOOLS = ("clang-format", "cppcheck", "clang-tidy")


def require_tools():
    for tool in TOOLS:
        if shutil.which(tool) is None:
            pytest.fail(f"{tool} is missing: run `make deps`")


def check(tree, *args):
    """tools/check.py of `tree`, run in it."""
    return subprocess.run([sys.executable, os.path.join(str(tree), "tools", "check.py"), *args],
                          cwd=str(tree), capture_output=True, text=True,
                          timeout=harness.scaled(600))


def counts(r):
    """{step title: (files, checked, from the cache)} of a run's output."""
    return {m.group(1): tuple(map(int, m.group(2, 3, 4))) for m in re.finditer(
        r"^check: (.+?): (\d+) files, (\d+) checked, (\d+) from the cache$", r.stdout, re.M)}


def output(r):
    return f"status {r.returncode}\n{r.stdout}{r.stderr}"


# --- the tree and its handouts ------------------------------------------------------


@pytest.mark.parametrize("step", ["format", "cppcheck"])
def test_static_check_is_clean(step):
    require_tools()
    r = check(REPO, step)
    assert r.returncode == 0, f"tools/check.py {step} found:\n{output(r)}"


@pytest.mark.parametrize("lab", LABS)
def test_handout_is_formatted(lab, tmp_path):
    """The stubs tools/handout.py writes come out as .clang-format wants, so
    `make check` is clean on an untouched handout. The handout starts from
    this tree's cache (keyed by content), so the files it changed are the
    ones checked."""
    require_tools()
    tree = tmp_path / f"handout-lab{lab}"
    handout.make_handout(lab, str(tree), REPO)
    seed_cache(REPO, tree)
    r = check(tree, "format")
    assert r.returncode == 0, f"the lab-{lab} handout is not formatted:\n{output(r)}"
    assert counts(r)["clang-format"][1] > 0, output(r)


@contextlib.contextmanager
def locked(tree):
    """tools/check.py's own lock of `tree`'s cache."""
    with open(os.path.join(tree, "build", "check", "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        yield


def seed_cache(seed, tree):
    """`seed`'s check results as `tree`'s cache, if it has any."""
    if os.path.isdir(os.path.join(seed, "build", "check")):
        with locked(seed):
            shutil.copytree(os.path.join(seed, "build", "check"), tree / "build" / "check")


@pytest.mark.skipif(not LABS_ALL, reason="clang-tidy over the handouts takes minutes: "
                    "DUET_LABS_ALL=1 (CI) runs it")
def test_every_handout_passes_make_check(tmp_path):
    """All three steps on each untouched handout. The cache is keyed by
    content, so a result is valid in any tree: the last lab's handout starts
    from this tree's results, each earlier one from the handout after it
    (which holds the same stubs of the later labs), so each stub is checked
    once."""
    require_tools()
    r = check(REPO)
    assert r.returncode == 0, f"this tree is not clean:\n{output(r)}"
    seed = REPO
    for lab in reversed(LABS):
        tree = tmp_path / f"handout-lab{lab}"
        handout.make_handout(lab, str(tree), REPO)
        seed_cache(seed, tree)
        r = check(tree)
        assert r.returncode == 0, f"make check on the lab-{lab} handout:\n{output(r)}"
        assert all(c[1] > 0 for t, c in counts(r).items() if t.startswith("clang-tidy")), \
            f"the lab-{lab} handout's stubs were not checked:\n{output(r)}"
        seed = str(tree)


def test_compile_commands_are_the_builds(arch):
    """`make print-compile-commands` (clang-tidy's input, nothing built)
    prints, for each kernel C source, the command the LLVM build ran."""
    b = harness.require_build(arch, llvm=True)
    with open(os.path.join(b.build_dir, "compile_commands.json")) as f:
        built = {e["file"]: shlex.split(e["command"]) for e in json.load(f)
                 if e["file"].endswith(".c")}
    p = harness.run_make(f"ARCH={arch}", "LLVM=1", "-s", "print-compile-commands")
    printed = {}
    for line in p.stdout.splitlines():
        argv = shlex.split(line)
        printed[argv[argv.index("-c") + 1]] = argv
    assert p.returncode == 0 and printed == built, p.stdout


# --- the cache, in a tree of its own --------------------------------------------------

HEADER = """\
static inline int probe_twice(int x)
{
    return 2 * x;
}
"""
# HEADER with an index past the end of `a`.
HEADER_WITH_A_BUG = """\
static inline int probe_twice(int x)
{
    int a[2] = { x, x };
    return a[2];
}
"""
READS_HEADER = """\
#include <duet/probe.h>

int probe_four_times(int x);
int probe_four_times(int x)
{
    return probe_twice(probe_twice(x));
}
"""
PLAIN = """\
int probe_one(void);
int probe_one(void)
{
    return 1;
}
"""
# PLAIN badly indented: the same number of bytes.
PLAIN_UNFORMATTED = PLAIN.replace("    return 1;", "  return 1;  ")
# clang-tidy's input, as the real Makefile prints it (one command a line).
MAKEFILE = """\
print-compile-commands:
\t@for f in lib/plain.c lib/reads_header.c; do \\
\t    echo "clang --target=$(ARCH)-unknown-none-elf -std=gnu11 -ffreestanding -nostdinc \\
\t          -Wall -Werror -Iinclude -I. -Iarch/$(ARCH)/include -c $$f -o build/$$f.o"; done
"""


@pytest.fixture
def tree(tmp_path):
    """A tree with tools/check.py, the real tool configurations, one header
    and two sources (one includes the header), checked once: clean."""
    require_tools()
    assert len(PLAIN_UNFORMATTED) == len(PLAIN)
    for rel in ("tools/check.py", ".clang-format", ".clang-tidy"):
        os.makedirs(os.path.dirname(tmp_path / rel), exist_ok=True)
        shutil.copy(os.path.join(REPO, rel), tmp_path / rel)
    files = {"Makefile": MAKEFILE, "include/duet/probe.h": HEADER,
             "lib/reads_header.c": READS_HEADER, "lib/plain.c": PLAIN}
    for rel, text in files.items():
        os.makedirs(os.path.dirname(tmp_path / rel), exist_ok=True)
        (tmp_path / rel).write_text(text)
    r = check(tmp_path)
    assert r.returncode == 0 and r.stdout.endswith("check: clean\n"), output(r)
    assert counts(r) == {"clang-format": (3, 3, 0),
                         "cppcheck (x86_64)": (2, 2, 0), "cppcheck (aarch64)": (2, 2, 0),
                         "clang-tidy (x86_64)": (2, 2, 0), "clang-tidy (aarch64)": (2, 2, 0)}, \
        output(r)
    return tmp_path


def checked(r):
    return {title: c[1] for title, c in counts(r).items()}


def test_a_second_run_checks_nothing(tree):
    r = check(tree)
    assert r.returncode == 0 and r.stdout.endswith("check: clean\n"), output(r)
    assert counts(r) == {"clang-format": (3, 0, 3),
                         "cppcheck (x86_64)": (2, 0, 2), "cppcheck (aarch64)": (2, 0, 2),
                         "clang-tidy (x86_64)": (2, 0, 2), "clang-tidy (aarch64)": (2, 0, 2)}, \
        output(r)


def test_a_changed_file_is_checked_again(tree):
    (tree / "lib" / "plain.c").write_text(PLAIN + "\nint probe_two(void);\n")
    r = check(tree)
    assert r.returncode == 0, output(r)
    assert set(checked(r).values()) == {1}, output(r)


def test_a_format_error_fails_despite_a_cached_pass_of_other_bytes(tree):
    """Same length, same time stamp, other bytes: checked again, and fails.
    Unchanged since, it still fails (a cached failure), and the old bytes
    back are clean again."""
    plain = tree / "lib" / "plain.c"
    st = os.stat(plain)
    plain.write_text(PLAIN_UNFORMATTED)
    os.utime(plain, ns=(st.st_atime_ns, st.st_mtime_ns))
    for run in range(2):
        r = check(tree, "format")
        assert r.returncode == 1, output(r)
        assert "not formatted: lib/plain.c (from line 3)" in r.stdout, output(r)
        assert counts(r)["clang-format"] == (3, 1 - run, 2 + run), output(r)
    plain.write_text(PLAIN)
    r = check(tree, "format")
    assert r.returncode == 0 and counts(r)["clang-format"] == (3, 1, 2), output(r)


def test_a_header_change_rechecks_the_files_that_include_it(tree):
    """The header's new bug is found through the one source that includes
    it (the other comes from the cache), and found again from the cache."""
    (tree / "include" / "duet" / "probe.h").write_text(HEADER_WITH_A_BUG)
    for run in range(2):
        r = check(tree)
        assert r.returncode == 1, output(r)
        assert checked(r) == {"clang-format": 1 - run,
                              "cppcheck (x86_64)": 1 - run, "cppcheck (aarch64)": 1 - run,
                              "clang-tidy (x86_64)": 1 - run, "clang-tidy (aarch64)": 1 - run}, \
            output(r)
        found = [ln for ln in r.stdout.splitlines() if ln.startswith("  include/duet/probe.h:4:")]
        assert any("[arrayIndexOutOfBounds]" in ln for ln in found), output(r)
        assert any("[clang-diagnostic-array-bounds]" in ln or "clang-analyzer" in ln
                   for ln in found), output(r)


def test_full_checks_everything(tree):
    r = check(tree, "--full")
    assert r.returncode == 0, output(r)
    assert checked(r) == {"clang-format": 3, "cppcheck (x86_64)": 2, "cppcheck (aarch64)": 2,
                          "clang-tidy (x86_64)": 2, "clang-tidy (aarch64)": 2}, output(r)
