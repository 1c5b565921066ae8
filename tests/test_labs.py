"""The labs: handouts (tools/handout.py) and grading (tools/grade.py).

Proof that the grading works, as the catalogue (labs/catalog.json) says:
- the generator refuses unbalanced or nested markers, naming file and line;
- the full solution scores full marks on every lab, on both arches;
- the lab-n handout builds on both arches, scores 0 on lab n and full marks
  on every earlier lab, and holds no line of the solution it stubbed;
- a file that does not compile, handed in as a SUBMISSION, scores 0 with
  the compiler's message.
tests/test_grading.py tests the grader's own machinery; tests/test_mutants.py
the mutation suite (labs/mutants), realistic mistakes that must lose points.
"""
import contextlib
import fcntl
import itertools
import json
import os
import re
import shutil
import subprocess
import sys
import time

import pytest

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import handout  # noqa: E402

REPO = harness.REPO
WORK = os.path.join(REPO, "build", "labs-test")
CATALOG = handout.load_catalog(REPO)
LABS = sorted(int(n) for n in CATALOG["labs"])


def grade(tree, lab, out, *args):
    """tools/grade.py of `tree` -> (exit status, results.json, console)."""
    proc = subprocess.run([sys.executable, "tools/grade.py", str(lab), "--out", out, *args],
                          cwd=tree, env=harness.make_env(), capture_output=True, text=True,
                          timeout=harness.scaled(300))
    with open(os.path.join(out, "results.json")) as f:
        return proc.returncode, json.load(f), proc.stdout + proc.stderr


def grade_labs(tree, labs, out):
    """tools/grade.py of `tree` grading one or several labs at once ->
    (exit status, {lab: its results.json}, console)."""
    proc = subprocess.run([sys.executable, "tools/grade.py", *map(str, labs), "--out", out],
                          cwd=tree, env=harness.make_env(), capture_output=True, text=True,
                          timeout=harness.scaled(300))
    results = {}
    for lab in labs:        # one lab alone: OUT/results.json, as ever
        with open(os.path.join(out, f"lab{lab}" if len(labs) > 1 else "", "results.json")) as f:
            results[lab] = json.load(f)
    return proc.returncode, results, proc.stdout + proc.stderr


def max_score(results):
    return sum(t["max_score"] for t in results["tests"])


# --- the generator -----------------------------------------------------------------


def fake_tree(tmp_path, source):
    (tmp_path / "labs").mkdir()
    (tmp_path / "labs" / "catalog.json").write_text(json.dumps(
        {"labs": {"1": {"title": "t", "handout": "labs/l1.md", "tests": []}}}))
    (tmp_path / "mm").mkdir()
    (tmp_path / "mm" / "x.c").write_text(source)
    return tmp_path


@pytest.mark.parametrize("source, message", [
    ("int f(void)\n{\n    /* LAB 1 BEGIN: f */\n    return 1;\n}\n",
     r"mm/x\.c:3: LAB 1 BEGIN 'f' is never closed"),
    ("int f(void)\n{\n    return 1;\n    /* LAB 1 END */\n}\n",
     r"mm/x\.c:4: LAB 1 END without a BEGIN"),
    ("/* LAB 1 BEGIN: f */\n/* LAB 2 BEGIN: g */\n/* LAB 2 END */\n/* LAB 1 END */\n",
     r"mm/x\.c:2: LAB 2 BEGIN inside the LAB 1 region 'f' opened at line 1: regions cannot nest"),
    ("/* LAB 1 BEGIN: f */\n/* LAB 2 END */\n", r"mm/x\.c:2: LAB 2 END closes the LAB 1 region"),
    ("/* LAB 1 BEGIN */\n/* LAB 1 END */\n", r"mm/x\.c:1: LAB 1 BEGIN needs a name"),
    ("x = 1; /* LAB 1 BEGIN: f */\n", r"mm/x\.c:1: a LAB marker must be alone on its line"),
], ids=["unclosed", "end-without-begin", "nested", "mismatched", "unnamed", "not-alone"])
def test_generator_refuses_bad_markers(tmp_path, source, message):
    """A bad marker is refused with file:line, and no handout is written."""
    (tmp_path / "src").mkdir()
    src = fake_tree(tmp_path / "src", source)
    out = tmp_path / "out"
    with pytest.raises(handout.MarkerError, match=message):
        handout.make_handout(1, str(out), str(src))
    assert not out.exists(), "a handout was written despite the bad marker"


def test_generator_stubs(tmp_path):
    """Author's STUB lines replace the region; without them, a panic naming
    the lab and the function; earlier labs keep their solution."""
    (tmp_path / "src").mkdir()
    src = fake_tree(tmp_path / "src", "int f(void)\n{\n    /* LAB 1 BEGIN: f */\n"
                    "    /* LAB 1 STUB: return -38; */\n    return 42;\n    /* LAB 1 END */\n}\n"
                    "void g(void)\n{\n    /* LAB 1 BEGIN: g */\n    secret();\n"
                    "    /* LAB 1 END */\n}\n")
    (src / ".git").mkdir()
    (src / "build").mkdir()
    (src / "build" / "x.c").write_text("return 42;")
    out = tmp_path / "out"
    handout.make_handout(1, str(out), str(src))
    text = (out / "mm" / "x.c").read_text()
    assert "return -38;" in text and "return 42;" not in text and "secret" not in text, text
    assert 'panic("lab 1: not implemented: g");' in text, text
    assert not (out / ".git").exists() and not (out / "build").exists()


@pytest.mark.x86_64
def test_a_new_graded_tree_compiles_only_what_differs(tmp_path):
    """A graded tree written afresh starts from this tree's objects
    (seed_build): make there compiles the files the handout changed, and
    no other. Written again over the same tree, no file takes an old time
    stamp: the tree's objects are its own by then, and a file whose content
    went back to the source's must still be compiled."""
    harness.require_build("x86_64")
    tree = tmp_path / "tree"
    handout.make_handout(3, str(tree), REPO, keep_build=True, seed_build=True)
    compiled, dry = units_make_would_compile(tree)
    compiled -= {"build/x86_64/obj/ksyms-final.S"}
    assert "mm/vm.c" in compiled, dry                 # lab 3's stub
    assert {rel for rel in compiled if not differs_from_source(tree, rel)} == set(), dry
    # The host test binaries: those that read a file the handout changed.
    built, dry = host_binaries_make_would_build(tree)
    assert "test_pmo" in built and "test_memmap" not in built, dry
    assert built == host_binaries_reading_changed_files(tree), dry

    before = time.time()
    handout.make_handout(4, str(tree), REPO, keep_build=True, seed_build=True)
    assert not differs_from_source(tree, "mm/vm.c")
    assert os.stat(tree / "mm" / "vm.c").st_mtime >= before - 1


@pytest.mark.x86_64
def test_a_kept_graded_tree_takes_the_source_objects_its_content_allows(tmp_path):
    """A kept tree written again (seed_build) takes the source's object for
    each unit whose content and headers' content are the source's, however
    new its own time stamps (after a header changes in the source, every
    kept tree would compile everything again), and no other: a unit whose
    header differs from the source's is left to make."""
    harness.require_build("x86_64")
    tree = tmp_path / "tree"
    handout.make_handout(3, str(tree), REPO, keep_build=True, seed_build=True)
    touched = tree / "include" / "duet" / "types.h"       # the same content, newer
    touched.touch()
    with open(tree / "mm" / "buddy.h", "a") as f:        # other content
        f.write("/* changed here */\n")
    handout.reuse_source_objects(REPO, str(tree))
    compiled, dry = units_make_would_compile(tree)
    compiled = {rel for rel in compiled if not rel.startswith("build/")}  # generated, always made
    includes_buddy_h = {handout.dependencies(str(d))[0]
                        for d in (tree / "build" / "x86_64" / "obj").rglob("*.c.d")
                        if "mm/buddy.h" in handout.dependencies(str(d))}
    assert "lib/string.c" not in compiled and "kernel/timer.c" not in compiled, dry
    assert "mm/kmalloc.c" in compiled and "mm/vm.c" in compiled, dry
    assert {rel for rel in compiled if not differs_from_source(tree, rel)} <= includes_buddy_h, dry
    built, dry = host_binaries_make_would_build(tree)
    assert "test_buddy" in built and "test_memmap" not in built, dry
    assert built == host_binaries_reading_changed_files(tree), dry


@pytest.mark.x86_64
def test_a_source_object_older_than_its_flags_is_not_taken(tmp_path):
    """The source's object is taken only where make there would keep it:
    one older than the source's flag record (flags changed, not rebuilt
    yet) was built with other flags, and is left for make to compile."""
    src = harness.copy_of_tree(tmp_path / "src", builds=["x86_64"])
    tree = tmp_path / "tree"
    handout.make_handout(3, str(tree), str(src), keep_build=True, seed_build=True)
    (tree / "include" / "duet" / "types.h").touch()      # every object here out of date
    (src / "build" / "x86_64" / "flags").touch()        # every object there out of date
    handout.reuse_source_objects(str(src), str(tree))
    compiled, dry = units_make_would_compile(tree)
    assert "lib/string.c" in compiled, dry


def make_would_run(tree, *goals):
    """What `make -n goals` in tree prints."""
    dry = subprocess.run(["make", "-n", "--no-print-directory", *goals], cwd=tree,
                         env=harness.make_env(), capture_output=True, text=True,
                         timeout=harness.scaled(60))
    assert dry.returncode == 0, dry.stdout + dry.stderr
    return dry.stdout


def units_make_would_compile(tree, arch="x86_64"):
    """({source compiled}, make's output) of `make -n ARCH=arch all` in tree."""
    dry = make_would_run(tree, f"ARCH={arch}", "all")
    return set(re.findall(r" -c (\S+) -o ", dry)), dry


def host_binaries_make_would_build(tree):
    """({host test binary make would build}, make's output) of `make -n
    host-tests` in tree."""
    dry = make_would_run(tree, "host-tests")
    return set(re.findall(r" -o build/host/(test_\w+)", dry)), dry


def host_binaries_reading_changed_files(tree):
    """The host test binaries of this tree that read a file whose content
    in `tree` is not this tree's (their compile's list of files, build/host/
    <name>.d here)."""
    return {name for name, d_file in handout.host_binaries(REPO)
            if any(differs_from_source(tree, dep) for dep in handout.dependencies(d_file))}


def differs_from_source(tree, rel):
    """Whether tree's rel holds other bytes than this tree's."""
    return not handout.same_content(os.path.join(tree, rel), os.path.join(REPO, rel))


# --- grading -----------------------------------------------------------------------


@pytest.mark.parametrize("lab", LABS)
def test_solution_full_marks(lab):
    """The full solution scores full marks on the lab, on both arches. The
    labs are graded at once, once per run (`tools/grade.py 1 2 ...`: the
    boots and host tests shared), each lab's results checked by its test."""
    for a in harness.ALL_ARCHES:
        harness.require_build(a)
    out = os.path.join(WORK, "solution")
    status, every, console = harness.once_per_run(("solution-grade",),
                                                  lambda: grade_labs(REPO, LABS, out))
    results = every[lab]
    assert results["score"] == max_score(results) > 0, console
    assert status == 0, console
    assert {t["name"].rsplit("[", 1)[1] for t in results["tests"]} == \
        {a + "]" for a in harness.ALL_ARCHES}, "not graded on both arches"


def test_a_submission_is_graded_for_one_lab(tmp_path):
    """Several labs at once grade this tree; a submission belongs to one."""
    proc = subprocess.run([sys.executable, "tools/grade.py", "2", "3", "--submission",
                           str(tmp_path), "--out", str(tmp_path / "out")], cwd=REPO,
                          env=harness.make_env(), capture_output=True, text=True,
                          timeout=harness.scaled(60))
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "a submission is graded for one lab: 2, 3 are several" in proc.stderr, proc.stderr


def solution_lines(lab):
    """Distinctive lines of the regions a lab-n handout stubs: >= 24
    characters and found nowhere else in the tree's sources."""
    files = handout.tree_files(REPO, CATALOG.get("handout_exclude", []))
    parsed = handout.scan(REPO, files)
    lines = {ln.strip() for _, regions in parsed.values() for r in regions if r.lab >= lab
             for ln in r.body if len(ln.strip()) >= 24}
    for rel in files:
        with open(os.path.join(REPO, rel), errors="replace") as f:
            text_lines = f.read().splitlines()
        regions = parsed[rel][1] if rel in parsed else []
        inside = {i for r in regions for i in range(r.begin_line, r.end_line + 1)}
        lines -= {ln.strip() for i, ln in enumerate(text_lines, 1) if i not in inside}
    return lines


# `make test` checks lab 3's handout, whose stubs sit on the boot path;
# DUET_LABS_ALL=1 (CI, docs/instructors.md) checks all.
HANDOUT_LABS = LABS if os.environ.get("DUET_LABS_ALL") == "1" else [3]


@pytest.mark.parametrize("lab", HANDOUT_LABS)
def test_handout(lab):
    """The lab-n handout: no solution text of lab n or later anywhere in it;
    it builds on both arches, scores 0 on lab n and full marks before it."""
    tree = os.path.join(WORK, f"handout-lab{lab}")
    # Updated in place: the build of the last run stays, and only files that
    # changed since are rebuilt. A new tree starts from this tree's kernel
    # objects (seed_build) and compiles only the stubs, where it built both
    # kernels from nothing (~40 s of two cores, seven handouts in CI).
    # test_generator_stubs shows that a handout never takes the source's
    # build/. (On the shared graded trees instead, each run switched one
    # back from another lab: 10-15 s a run instead of 4.)
    handout.make_handout(lab, tree, REPO, keep_build=True, seed_build=True)
    check_handout(lab, tree)


def check_handout(lab, tree):
    """The lab-`lab` handout written in `tree`, checked as test_handout says."""
    assert not os.path.exists(os.path.join(tree, ".git"))
    secret = solution_lines(lab)
    assert secret, "no solution lines found to check"
    for dirpath, dirnames, names in os.walk(tree):
        if dirpath == tree and "build" in dirnames:
            dirnames.remove("build")        # this test's own builds and grades
        for name in names:
            path = os.path.join(dirpath, name)
            with open(path, errors="replace") as f:
                text = f.read()
            leaked = sorted(secret & {ln.strip() for ln in text.splitlines()})
            assert not leaked, f"{os.path.relpath(path, tree)} holds solution text: {leaked[:3]}"
    labs = list(range(1, lab + 1))          # graded at once: one boot an arch
    status, every, console = grade_labs(tree, labs, os.path.join(tree, "build", "grade"))
    assert "did not build" not in console, console
    assert status == 1, console
    for k, results in every.items():
        if k < lab:
            assert results["score"] == max_score(results), f"lab-{lab} handout, lab {k}:\n{console}"
        else:
            assert results["score"] == 0, f"lab-{lab} handout, lab {k}:\n{console}"


# --- submissions ---------------------------------------------------------------------------
#
# A submission is the full solution's student files for one lab, perhaps
# changed, graded on x86_64 only. The realistic mistakes (a walker that
# ignores huge pages, a W+X .text, ...) are the mutation suite's
# (labs/mutants, tools/mutants.py, tests/test_mutants.py); a file that does
# not compile is not a mutant but a submission the grader must still score.
# Every test that grades a submission with --tree (these, the hostile
# submissions, the grader's memory view, grade_many, the mutation runner)
# takes one of the shared trees, each kept for one lab (build/labs-test/
# trees/lab<n>-<k>/worker0, one test at a time in each; the mutation
# runner, which switches labs itself, mixed-<k>; the memory view's two,
# lab3-solution-<k> and lab3-handout-<k>, one submission each). A test
# then finds its lab's handout built and rebuilds only what its
# submission changes. A tree switched to another lab's handout rebuilt
# that lab's stubs and the host tests that read them (1-5 s, more or less
# from run to run as the tests' order paired them); a tree of its own per
# test would cost a whole build on a fresh clone and after each change to
# a header.


SHARED_TREES = os.path.join(WORK, "trees")


@contextlib.contextmanager
def shared_tree(lab=None, only=""):
    """A graded tree kept between tests for `lab`, for one test at a time:
    the first free one of that lab's, or a new one (so at most one per
    xdist worker). grade_many and tools/mutants.py take its parent as
    --trees (they name their single worker's tree worker0). `only` names
    trees kept for one submission, which each run then finds built as
    it left them."""
    os.makedirs(SHARED_TREES, exist_ok=True)
    for k in itertools.count():
        slot = os.path.join(SHARED_TREES, f"lab{lab}{only}-{k}" if lab else f"mixed-{k}")
        os.makedirs(slot, exist_ok=True)
        lock = open(slot + ".lock", "w")
        try:
            fcntl.flock(lock, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            lock.close()
            continue
        with lock:
            yield os.path.join(slot, "worker0")
        return


def make_submission(name, lab, changes=()):
    """A submission dir with the lab's student files from this tree, each
    change (file, anchor, old, new) applied: `old`, the first after
    `anchor`, becomes `new`."""
    sub = os.path.join(WORK, "submissions", name)
    shutil.rmtree(sub, ignore_errors=True)
    for rel in CATALOG["labs"][str(lab)]["student_files"]:
        os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
        shutil.copy(os.path.join(REPO, rel), os.path.join(sub, rel))
    for rel, anchor, old, new in changes:
        with open(os.path.join(sub, rel)) as f:
            text = f.read()
        at = text.index(anchor)
        assert old in text[at:], f"{rel}: {old!r} is not after {anchor!r}: update the case"
        with open(os.path.join(sub, rel), "w") as f:
            f.write(text[:at] + text[at:].replace(old, new, 1))
    return sub


def test_a_submission_that_does_not_compile_scores_0():
    """A student file that does not compile, handed in as a SUBMISSION,
    scores 0 with the compiler's message; only the student's files are
    taken (a replaced tests/harness.py is ignored)."""
    sub = make_submission("does-not-compile", 4,
                          [("mm/kmap.c", "void kmap_init(", "{", "{ this is not C;")])
    # A test "fixed" to always pass is not taken from a submission.
    os.makedirs(os.path.join(sub, "tests"))
    with open(os.path.join(sub, "tests", "harness.py"), "w") as f:
        f.write("raise SystemExit('a submission must not replace the harness')\n")
    with shared_tree(4) as tree:
        status, results, console = grade(REPO, 4, os.path.join(WORK, "does-not-compile"),
                                         "--arch", "x86_64", "--submission", sub,
                                         "--tree", tree)
    assert status == 1 and 0 < max_score(results), console
    assert results["score"] == 0 and "error:" in console and "this is not C" in console, \
        console
