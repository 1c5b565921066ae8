"""The mutation suite's runner, tools/mutants.py (docs/instructors.md).

- A mutant file that breaks the format is refused with file:line and why:
  a bad header, a hunk outside the lab's regions or on a marker, a file
  that is not the lab's, a patch that no longer applies. Every mutant in
  labs/mutants passes these checks, and none can reach a handout.
- The summary: an Equivalent mutant is not counted, a survivor fails the
  run and is named, a Survives one is counted but does not fail it,
  --min-rate fails a lab below it; the sample is the same on every run and
  spread over the labs.
- A real run on x86_64, of the cheapest mutants that still show every
  verdict: two of the four mistakes that tests/test_labs.py used to hand in
  itself (a PMO that leaves the last GiB out, lab 3, killed by a host test
  and a pytest-kind test; a W+X .text, lab 4, killed in the kernel) are
  killed by the tests that check them, a mutant that does not compile is
  invalid (with the compiler's message), a comment-only change survives
  and fails the run by name, and an Equivalent one is listed, not counted.
  The other two (a walker that ignores huge pages, a buddy allocator that
  never merges) rebuild the sanitized host tests, 4 s each: they stay in
  labs/mutants, are checked here like the rest, and are graded with the
  mutation suite (`make mutants`; CI's sample).
"""
import difflib
import json
import os
import random
import re
import shutil
import subprocess
import sys

import pytest

import harness
import test_labs

REPO = harness.REPO
sys.path.insert(0, os.path.join(REPO, "tools"))
import handout  # noqa: E402
import mutants  # noqa: E402

CATALOG = handout.load_catalog(REPO)
MIGRATED = {"walker-ignores-huge-pages": (3, r"^vm "),
            "pmo-leaves-last-gib": (3, r"^PMO over 64 GiB"),
            "wx-kernel-text": (4, r"^kprotect "),
            "buddy-never-merges": (2, r"^buddy ")}
# Those the real run grades: one a lab and every kind of test among their killers.
REAL_RUN = ("pmo-leaves-last-gib", "wx-kernel-text")


def region(rel, lab, name_prefix=""):
    """The first lab-`lab` region of the solution's `rel`."""
    with open(os.path.join(REPO, rel)) as f:
        _, regions = handout.parse(rel, f.read())
    return next(r for r in regions if r.lab == lab and r.name.startswith(name_prefix))


def write_mutant(root, lab, name, rel, edit, header=None, extra=""):
    """root/lab<lab>/<name>.patch: `header` (default: a valid one plus
    `extra` lines), then the diff that edit(lines) makes of the solution's
    `rel`."""
    with open(os.path.join(REPO, rel)) as f:
        old = f.read().splitlines(keepends=True)
    new = edit(list(old))
    diff = "".join(difflib.unified_diff(old, new, f"a/{rel}", f"b/{rel}"))
    if header is None:
        header = (f"Mutant: {name}\nLab: {lab}\nClass: a test mutant\n"
                  f"Why: made by tests/test_mutants.py.\nArch: both\n" + extra)
    path = os.path.join(root, f"lab{lab}", f"{name}.patch")
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(header + "\n" + diff)
    return path


def insert_after_begin(rel, lab, text):
    """An edit that adds `text` as the region's first line of code."""
    r = region(rel, lab)

    def edit(lines):
        at = r.begin_line + len(r.stub)     # after BEGIN and its STUB lines
        return lines[:at] + [r.indent + text + "\n"] + lines[at:]
    return edit


def replace_line(rel, lineno, new):
    def edit(lines):
        return lines[:lineno - 1] + [new + "\n"] + lines[lineno:]
    return edit


def check(capsys, root, tmp_path):
    """tools/mutants.py --check on root: -> (status, stderr lines)."""
    status = mutants.main(["--check", "--dir", str(root), "--out", str(tmp_path / "out")])
    err = capsys.readouterr().err
    return status, err.strip().splitlines()


# --- the format --------------------------------------------------------------------------

KMAP = "mm/kmap.c"
GOOD_HEADER = ("Mutant: {name}\nLab: 4\nClass: a test mutant\nWhy: made by a test.\n"
               "Arch: both\n")
BAD_HEADERS = [
    ("missing-why", "Mutant: missing-why\nLab: 4\nClass: c\nArch: both\n",
     r":1: no 'Why:' line"),
    ("unknown-field", GOOD_HEADER + "Severity: high\n", r":6: unknown field 'Severity'"),
    ("not-a-field", GOOD_HEADER.replace("Class: a test mutant", "a test mutant"),
     r":3: not a header line 'Field: value'"),
    ("twice", GOOD_HEADER + "Arch: x86_64\n", r":6: 'Arch' given twice \(first at line 5\)"),
    ("other-name", GOOD_HEADER.replace("{name}", "someone-else"),
     r":1: Mutant: someone-else is not the file's name \(other-name\)"),
    ("wrong-lab", GOOD_HEADER.replace("Lab: 4", "Lab: 3"),
     r":2: Lab: 3 is not the directory's lab \(4\)"),
    ("bad-arch", GOOD_HEADER.replace("Arch: both", "Arch: riscv"),
     r":5: Arch: riscv is not one of both, x86_64, aarch64"),
    ("both-claims", GOOD_HEADER + "Equivalent: the same\nSurvives: a gap\n",
     r":7: Equivalent and Survives both given"),
    ("empty-class", GOOD_HEADER.replace("Class: a test mutant", "Class:"),
     r":3: 'Class:' is empty"),
]


@pytest.mark.parametrize("name, header, message", BAD_HEADERS,
                         ids=[b[0] for b in BAD_HEADERS])
def test_a_bad_header_is_refused(tmp_path, capsys, name, header, message):
    """Each header mistake is refused with the file, the line and what is wrong."""
    r = region(KMAP, 4)
    write_mutant(tmp_path / "m", 4, name, KMAP,
                 replace_line(KMAP, r.end_line - 1, "    /* changed */"),
                 header=header.replace("{name}", name))
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1 and len(errors) == 1, errors
    assert re.search(re.escape(f"lab4/{name}.patch") + message, errors[0]), errors


def test_arch_code_is_graded_on_its_arch_only(tmp_path, capsys):
    """A change in arch/aarch64/ runs only on aarch64: Arch must say so
    (graded on x86_64 too, it would be a survivor no test could kill)."""
    rel = "arch/aarch64/cpu.c"
    write_mutant(tmp_path / "m", 4, "aarch64-code", rel,
                 insert_after_begin(rel, 4, "/* a comment */"))
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1 and re.search(r"lab4/aarch64-code\.patch:5: Arch: both, but "
                                     r"arch/aarch64/cpu\.c runs only on aarch64", errors[0]), errors


def test_a_lab_outside_the_catalogue_is_refused(tmp_path, capsys):
    r = region(KMAP, 4)
    write_mutant(tmp_path / "m", 9, "no-such-lab", KMAP,
                 replace_line(KMAP, r.end_line - 1, "    /* changed */"),
                 header=GOOD_HEADER.replace("{name}", "no-such-lab").replace("Lab: 4", "Lab: 9"))
    (tmp_path / "m" / "stray.txt").write_text("not a mutant\n")
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1, errors
    assert any(re.search(r"lab9/no-such-lab\.patch:2: Lab: 9 is not a lab of labs/catalog\.json",
                         e) for e in errors), errors
    assert any(re.search(r"stray\.txt:1: not a mutant", e) for e in errors), errors


def diff_line_of(path, prefix):
    """The 1-based line of the first line starting with `prefix` in a mutant file."""
    with open(path) as f:
        return next(n for n, ln in enumerate(f.read().splitlines(), 1) if ln.startswith(prefix))


def test_a_hunk_outside_the_labs_regions_is_refused(tmp_path, capsys):
    """A change outside lab 4's regions (here: just after the region's END
    marker, in the same function), a change of a marker line, and a file
    that is not the lab's are each refused, naming the mutant's line and
    the solution's file and line."""
    r = region(KMAP, 4)
    after = r.end_line + 1
    outside = write_mutant(tmp_path / "m", 4, "after-the-end", KMAP,
                           replace_line(KMAP, after, "    if (!walker_missing) {"))
    marker = write_mutant(tmp_path / "m", 4, "moves-the-marker", KMAP,
                          replace_line(KMAP, r.begin_line, "    /* LAB 4 BEGIN: renamed */"))
    added = write_mutant(tmp_path / "m", 4, "adds-before-begin", KMAP,
                         lambda lines: lines[:r.begin_line - 1] + ["    int x = 0;\n"]
                         + lines[r.begin_line - 1:])
    vm = write_mutant(tmp_path / "m", 4, "not-a-lab-4-file", "mm/vm.c",
                      insert_after_begin("mm/vm.c", 3, "/* lab 3's file */"))
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1 and len(errors) == 4, errors
    text = "\n".join(errors)
    assert f"lab4/after-the-end.patch:{diff_line_of(outside, '-    if (walker_missing)')}: " \
           f"mm/kmap.c:{after} is outside lab 4's regions" in text, text
    assert f"lab4/moves-the-marker.patch:{diff_line_of(marker, '-    /* LAB 4 BEGIN')}: " \
           f"mm/kmap.c:{r.begin_line} is a LAB marker line" in text, text
    assert f"lab4/adds-before-begin.patch:{diff_line_of(added, '+    int x = 0;')}: the line " \
           f"added before mm/kmap.c:{r.begin_line} is outside lab 4's regions" in text, text
    assert f"lab4/not-a-lab-4-file.patch:{diff_line_of(vm, '--- a/mm/vm.c')}: mm/vm.c is not " \
           f"one of lab 4's student files" in text, text


def test_a_stub_line_is_a_marker(tmp_path, capsys):
    r = region(KMAP, 4)
    assert r.stub, "kmap_init's region has no STUB line any more: pick another region"
    write_mutant(tmp_path / "m", 4, "edits-the-stub", KMAP,
                 replace_line(KMAP, r.begin_line + 1, "    /* LAB 4 STUB: return; */"))
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1 and f"mm/kmap.c:{r.begin_line + 1} is a LAB marker line" in errors[0], \
        errors


def test_a_patch_that_no_longer_applies_is_refused(tmp_path, capsys):
    """A mutant made against an older solution (its context is not in the
    solution any more) is refused at its hunk: update the mutant. One whose
    hunk only moved (the solution grew above it) still applies."""
    r = region(KMAP, 4)
    path = write_mutant(tmp_path / "m", 4, "stale", KMAP,
                        replace_line(KMAP, r.end_line - 1, "    /* changed */"))
    with open(path) as f:
        text = f.read()
    context = " /* Not boot.S's tables at the end of .bss"
    assert context in text, text
    with open(path, "w") as f:
        f.write(text.replace(context, " /* Not the tables of boot.S at the end of .bss"))
    moved = write_mutant(tmp_path / "m", 4, "moved", KMAP,
                         replace_line(KMAP, r.end_line - 1, "    /* changed */"))
    with open(moved) as f:
        text = f.read()
    with open(moved, "w") as f:
        f.write(re.sub(r"^@@ -(\d+)", lambda m: f"@@ -{int(m.group(1)) + 40}", text,
                       flags=re.M))
    status, errors = check(capsys, tmp_path / "m", tmp_path)
    assert status == 1 and len(errors) == 1, errors
    assert re.search(rf"lab4/stale\.patch:{diff_line_of(path, '@@')}: this hunk no longer "
                     r"applies to mm/kmap\.c .*update the mutant", errors[0]), errors


def test_every_mutant_in_the_tree_is_valid(tmp_path, capsys):
    """labs/mutants: every file is a valid mutant that applies to today's
    solution (the other tests here prove each check refuses what it should)."""
    status = mutants.main(["--check", "--out", str(tmp_path / "out")])
    out = capsys.readouterr()
    assert status == 0, out.err + out.out
    for name, (lab, _) in MIGRATED.items():
        assert os.path.isfile(os.path.join(mutants.MUTANTS_DIR, f"lab{lab}", f"{name}.patch"))


def test_no_mutant_reaches_a_handout():
    """labs/mutants holds solution text (its diffs' context lines): the
    catalogue leaves it out of every handout, and the handouts' leak check
    (tests/test_labs.py) would see it otherwise."""
    patterns = CATALOG["handout_exclude"]
    root = mutants.MUTANTS_DIR
    files = [os.path.join(dp, f) for dp, _, fs in os.walk(root) for f in fs]
    assert files
    for path in files:
        rel = os.path.relpath(path, REPO)
        assert handout.excluded(rel, patterns), f"{rel} would be copied into a handout"
    assert not any(f.startswith("labs/mutants/") for f in handout.tree_files(REPO, patterns))
    for name, (lab, _) in MIGRATED.items():
        with open(os.path.join(root, f"lab{lab}", f"{name}.patch")) as f:
            seen = test_labs.solution_lines(lab) & {ln.strip() for ln in f.read().splitlines()}
        assert seen, f"the leak check would not see {name}'s solution lines"


# --- the summary and the sample ---------------------------------------------------------


def fake(name, lab, arch="both", equivalent=None, survives=None):
    m = mutants.Mutant(f"/x/lab{lab}/{name}.patch", f"labs/mutants/lab{lab}/{name}.patch")
    m.name, m.lab, m.arch, m.cls, m.why = name, lab, arch, f"class of {name}", f"why {name}"
    m.equivalent, m.survives = equivalent, survives
    return m


def graded(killed_on, arches=("x86_64", "aarch64")):
    loss = {"test": "vm (in-kernel)", "score": 5, "max_score": 10, "why": "1 of 2 passed"}
    return {"arches": list(arches), "killed": {a: [loss] if a in killed_on else []
                                               for a in arches}, "seconds": 1.0}


ARCHES = ("x86_64", "aarch64")


def test_equivalent_mutants_are_not_counted():
    ms = [fake("a", 3), fake("same", 3, equivalent="only a comment changes")]
    report, lines, status = mutants.summarize(ms, {"a": graded(ARCHES), "same": graded(())},
                                              ARCHES)
    assert status == 0, lines
    assert report["labs"]["3"]["x86_64"] == {"killed": 1, "counted": 1, "rate": 1.0}
    assert "  lab3/same: only a comment changes" in lines, lines


def test_an_equivalent_mutant_that_is_killed_fails_the_run():
    ms = [fake("same", 3, equivalent="only a comment changes")]
    _, lines, status = mutants.summarize(ms, {"same": graded(("aarch64",))}, ARCHES)
    assert status == 1 and any("claims Equivalent, but loses points on aarch64" in ln
                               for ln in lines), lines


def test_a_survivor_fails_the_run_and_is_named():
    """A mutant killed on one arch only survives on the other: the run
    fails, naming it with its class and why; a Survives one is counted
    in the rate but does not fail the run."""
    ms = [fake("a", 3), fake("half", 3), fake("gap", 3, survives="no test unmaps twice")]
    results = {"a": graded(ARCHES), "half": graded(("x86_64",)), "gap": graded(())}
    report, lines, status = mutants.summarize(ms, results, ARCHES)
    assert status == 1, lines
    assert "  lab3/half [aarch64]: class of half: why half" in lines, lines
    assert any("labs/mutants/lab3/half.patch: survives on aarch64" in ln for ln in lines), lines
    assert not any("gap.patch" in ln for ln in lines), lines
    assert "  lab3/gap: class of gap: no test unmaps twice" in lines, lines
    assert report["labs"]["3"]["aarch64"] == {"killed": 1, "counted": 3, "rate": 0.3333}
    ok = {"a": graded(ARCHES), "gap": graded(())}
    _, lines, status = mutants.summarize([ms[0], ms[2]], ok, ARCHES)
    assert status == 0, lines
    closed = {"a": graded(ARCHES), "gap": graded(ARCHES)}
    _, lines, status = mutants.summarize([ms[0], ms[2]], closed, ARCHES)
    assert status == 0 and "  lab3/gap: class of gap: no test unmaps twice (now killed: drop its " \
        "Survives line)" in lines, lines


def test_min_rate_and_invalid_mutants_fail_the_run():
    ms = [fake("a", 2), fake("gap", 2, survives="known")]
    results = {"a": graded(ARCHES), "gap": graded(())}
    assert mutants.summarize(ms, results, ARCHES, min_rate=0.5)[2] == 0
    _, lines, status = mutants.summarize(ms, results, ARCHES, min_rate=0.9)
    assert status == 1 and any("lab 2 on x86_64: kill rate 50.0% is below --min-rate 0.9" in ln
                               for ln in lines), lines
    bad = {"a": {"arches": ["x86_64"], "killed": {}, "seconds": 1.0,
                 "invalid": "it does not compile:\nmm/buddy.c:3: error: x"}}
    report, lines, status = mutants.summarize(ms[:1], bad, ARCHES)
    assert status == 1 and report["mutants"][0]["status"] == "invalid", lines
    assert report["labs"]["2"]["x86_64"]["counted"] == 0


def test_the_sample_is_the_same_every_run_and_spread_over_the_labs():
    ms = [fake(f"m{lab}-{i}", lab) for lab in (1, 2, 3, 4, 5) for i in range(12)]
    picked = [m.name for m in mutants.sample(ms, 10)]
    shuffled = list(ms)
    random.Random(7).shuffle(shuffled)
    assert [m.name for m in mutants.sample(shuffled, 10)] == picked
    assert sorted({int(n[1]) for n in picked}) == [1, 2, 3, 4, 5]
    assert all(sum(n.startswith(f"m{lab}-") for n in picked) == 2 for lab in range(1, 6)), picked
    three = mutants.sample(ms, 3)
    assert len({m.lab for m in three}) == 3
    # A new mutant moves at most one pick: the rest of the sample stays.
    grown = [m.name for m in mutants.sample(ms + [fake("m3-new", 3)], 10)]
    assert len(set(grown) - set(picked)) <= 1, (picked, grown)
    assert [m.name for m in mutants.sample(ms, 10, seed="week 12")] != picked
    assert len(mutants.sample(ms, 1000)) == len(ms)


# --- a real run ----------------------------------------------------------------------------


def test_a_real_run_kills_what_it_should(tmp_path):
    """tools/mutants.py on x86_64: the REAL_RUN mutants, of two labs, are
    killed by the tests that check their mistake; a mutant that does not
    compile is invalid and shows the compiler's message; a comment-only
    change in kmap_init is a survivor that fails the run, by name. (An
    Equivalent mutant takes the same path to its grade; how the summary
    counts it is test_equivalent_mutants_are_not_counted's, and the tree's
    own Equivalent mutants are parsed by test_every_mutant_in_the_tree_is_valid.)
    The worker's tree is the one the other submissions of `make test` share
    (tests/test_labs.py), so a run rebuilds only the files the mutants
    change."""
    harness.require_build("x86_64")
    root = tmp_path / "mutants"
    real = {name: MIGRATED[name] for name in REAL_RUN}
    for name, (lab, _) in real.items():
        os.makedirs(root / f"lab{lab}", exist_ok=True)
        shutil.copy(os.path.join(mutants.MUTANTS_DIR, f"lab{lab}", f"{name}.patch"),
                    root / f"lab{lab}")
    r = region(KMAP, 4)
    write_mutant(root, 4, "only-a-comment", KMAP,
                 insert_after_begin(KMAP, 4, "/* the image's segments, one by one */"))
    write_mutant(root, 4, "not-c", KMAP, replace_line(KMAP, r.end_line - 1, "    not C;"))
    out = tmp_path / "out"
    with test_labs.shared_tree() as tree:
        proc = subprocess.run([sys.executable, "tools/mutants.py", "--arch", "x86_64", "-j", "1",
                               "--no-baseline", "--dir", str(root), "--out", str(out),
                               "--trees", os.path.dirname(tree)],
                              cwd=REPO, env=harness.make_env(), capture_output=True, text=True,
                              timeout=harness.scaled(600))
    console = proc.stdout + proc.stderr
    assert proc.returncode == 1, console
    with open(out / "report.json") as f:
        report = json.load(f)
    by = {m["name"]: m for m in report["mutants"]}
    for name, (lab, losers) in real.items():
        res = by[name]["results"]["x86_64"]
        assert res["killed"], f"{name} survived:\n{console}"
        assert any(re.search(losers, t["test"]) for t in res["tests"]), \
            f"{name}: no test matching {losers!r} killed it: {res['tests']}\n{console}"
    assert by["not-c"]["status"] == "invalid", console
    assert "error:" in by["not-c"]["message"] and "not C" in by["not-c"]["message"], console
    assert by["only-a-comment"]["status"] == "survived", console
    assert re.search(r"only-a-comment\.patch: survives on x86_64: the tests no longer catch it",
                  console), console
    assert report["labs"]["4"]["x86_64"] == {"killed": 1, "counted": 2, "rate": 0.5}, report
    assert re.search(r"time: 4 mutants in \d+ s \([\d.]+ s per mutant", console), console
