"""The grader's own behaviour (tools/grade.py, tools/grade_many.py,
tools/gradescope/): partial credit, TIMEOUT_SCALE, a missing tool, graders
running at once, grading many submissions, and Gradescope's scripts run
with /autograder faked through AUTOGRADER_ROOT. tests/test_labs.py proves
the grades themselves (full marks, handouts, wrong solutions).
"""
import base64
import concurrent.futures
import csv
import json
import os
import shutil
import stat
import subprocess
import sys
import zipfile

import pytest

import harness
import ktap
from test_labs import CATALOG, WORK, make_submission, shared_tree

REPO = harness.REPO
sys.path.insert(0, os.path.join(REPO, "tools"))
import grade  # noqa: E402

GRADESCOPE = os.path.join(REPO, "tools", "gradescope")


def run_grade(*args, env=None, timeout=300):
    return subprocess.run([sys.executable, "tools/grade.py", *args], cwd=REPO,
                          env=dict(harness.make_env(), **(env or {})), capture_output=True,
                          text=True, timeout=harness.scaled(timeout))


# --- scoring ---------------------------------------------------------------------------


@pytest.mark.parametrize("points, passed, total, want", [
    (10, 10, 10, 10), (10, 0, 10, 0), (10, 7, 10, 7), (10, 2, 3, 6.6), (10, 1, 3, 3.3),
    (15, 2, 3, 10), (10, 999, 1000, 9.9), (5, 1, 7, 0.7), (10, 0, 0, 0)])
def test_points_are_shared_and_rounded_down(points, passed, total, want):
    """Points shared over the graded cases, rounded down to a tenth: full
    points only when every case passes, never more than earned."""
    got = grade.share(points, passed, total)
    assert got == want and isinstance(got, int) == (want == int(want)), got


SUITE = """KTAP version 1
1..1
    KTAP version 1
    # Subtest: vm
    1..6
    ok 1 maps
    not ok 2 unmaps
    ok 3 huge # SKIP no 1 GiB pages
    ok 4 wx_case
    ok 5 splits
"""


@pytest.mark.parametrize("crashed", [False, True], ids=["complete", "crashed"])
def test_cases_are_counted(crashed):
    """Skipped and excluded cases do not count; a failed case is named; the
    cases a crash kept from running count as failed (the plan says how many)."""
    text = SUITE + ("" if crashed else "    ok 6 last\nnot ok 1 vm\n")
    tally = grade.Tally()
    tally.add_suite(ktap.parse(text).results[0], exclude={"wx_case": "lab 4's"})
    assert (tally.passed, tally.total) == ((2, 4) if crashed else (3, 4))
    assert tally.failures == ["unmaps"] and tally.score(10) == (5 if crashed else 7.5)
    assert bool(tally.stopped) == crashed
    only = grade.Tally()
    only.add_suite(ktap.parse(text).results[0], only=["maps", "unmaps", "last"])
    assert (only.passed, only.total) == ((1, 3) if crashed else (2, 3))


def test_unearned_cases_earn_nothing_but_cost_a_case_when_they_fail():
    """An unearned case (one the bare handout passes) is not counted when it
    passes; when it fails it is named and costs one graded case's share."""
    text = SUITE + "    ok 6 last\nnot ok 1 vm\n"
    passing = grade.Tally()
    passing.add_suite(ktap.parse(text).results[0], unearned={"maps": "refuses early"})
    assert (passing.passed, passing.total, passing.penalties) == (3, 4, 0)
    assert passing.score(10) == 7.5
    failing = grade.Tally()
    failing.add_suite(ktap.parse(text).results[0], unearned={"unmaps": "refuses early"})
    assert (failing.passed, failing.total, failing.penalties) == (4, 4, 1)
    assert failing.score(10) == 7.5 and failing.failures[0].startswith("unmaps (passes even")
    assert failing.summary() == "4 of 4 graded cases passed; 1 unearned case(s) failed, a case's share each"


def test_submitted_files_are_found_by_path_or_name(tmp_path):
    """A student file is taken at its path, else as the one file of its
    name anywhere in the submission; two of that name, or a link to a file
    outside the submission (the grader's own, /etc/passwd), are not taken."""
    (tmp_path / "repo" / "mm").mkdir(parents=True)
    (tmp_path / "repo" / "mm" / "vm.c").write_text("int x;\n")
    (tmp_path / "flat").mkdir()
    (tmp_path / "flat" / "pmo.c").write_text("int y;\n")
    (tmp_path / "flat" / "a").mkdir()
    (tmp_path / "flat" / "b").mkdir()
    (tmp_path / "flat" / "a" / "kmap.c").write_text("")
    (tmp_path / "flat" / "b" / "kmap.c").write_text("")
    os.symlink("/etc/passwd", tmp_path / "flat" / "ptdump.c")
    assert grade.find_in_submission(str(tmp_path / "repo"), "mm/vm.c") == \
        (str(tmp_path / "repo" / "mm" / "vm.c"), None)
    path, note = grade.find_in_submission(str(tmp_path / "flat"), "mm/pmo.c")
    assert path == str(tmp_path / "flat" / "pmo.c") and note == "mm/pmo.c: taken from pmo.c"
    path, note = grade.find_in_submission(str(tmp_path / "flat"), "mm/kmap.c")
    assert path is None and "2 files are called kmap.c" in note, note
    path, note = grade.find_in_submission(str(tmp_path / "flat"), "mm/ptdump.c")
    assert path is None and "not in the submission" in note, note
    os.symlink("/etc/passwd", tmp_path / "repo" / "mm" / "pmo.c")
    path, note = grade.find_in_submission(str(tmp_path / "repo"), "mm/pmo.c")
    assert path is None and "a link to a file outside the submission" in note, note


@pytest.mark.parametrize("value", ["abc", "0", "-1", "nan", "inf"])
def test_timeout_scale_is_checked(value):
    """A TIMEOUT_SCALE that is not a positive number is refused, with the
    value and an example, before anything is built."""
    proc = run_grade("1", "--out", os.path.join(WORK, "bad-timeout-scale"),
                     env={"TIMEOUT_SCALE": value})
    assert proc.returncode == 2, proc.stdout + proc.stderr
    assert "TIMEOUT_SCALE must be a positive number" in proc.stderr, proc.stderr
    assert repr(value) in proc.stderr and "TIMEOUT_SCALE=2" in proc.stderr, proc.stderr


def test_a_missing_compiler_scores_zero_with_its_name(tmp_path):
    """A missing tool fails the tests that need it, says which tool, and
    writes the results; the grader does not crash."""
    empty = tmp_path / "submission"
    empty.mkdir()
    proc = run_grade("4", "--arch", "aarch64", "--submission", str(empty),
                     "--out", str(tmp_path / "out"), env={"CROSS_COMPILE": "duet-missing-"})
    console = proc.stdout + proc.stderr
    assert proc.returncode == 1, console
    with open(tmp_path / "out" / "results.json") as f:
        results = json.load(f)
    assert results["score"] == 0 and results["tests"], results
    for t in results["tests"]:
        assert t["status"] == "failed" and "a tool is missing: duet-missing-gcc" in t["output"], t
    assert "mm/kmap.c: not in the submission" in results["output"], results["output"]


def test_graders_at_once_keep_their_own_logs():
    """Two graders with different --out directories at once: each writes
    its own results and console logs, none of the other's."""
    harness.require_build("x86_64")
    outs = [os.path.join(WORK, f"parallel-{n}") for n in (1, 2)]
    with concurrent.futures.ThreadPoolExecutor(2) as pool:
        procs = list(pool.map(lambda out: run_grade("4", "--arch", "x86_64", "--out", out),
                              outs))
    for out, proc in zip(outs, procs):
        assert proc.returncode == 0, proc.stdout + proc.stderr
        logs = sorted(os.listdir(os.path.join(out, "logs")))
        assert logs == ["x86_64-boot1.log"], logs
        with open(os.path.join(out, "logs", "x86_64-boot1.log")) as f:
            assert f.read().count("# qemu: ") == 1


# --- many submissions -----------------------------------------------------------------------


def test_grade_many_writes_a_result_dir_each_and_a_summary():
    """tools/grade_many.py grades a directory of submissions: one result
    directory each and summary.csv; a submission without files scores 0
    and says which files it lacks."""
    root = os.path.join(WORK, "many")
    shutil.rmtree(root, ignore_errors=True)
    os.makedirs(os.path.join(root, "submissions", "bob"))
    shutil.move(make_submission("many-alice", 4), os.path.join(root, "submissions", "alice"))
    out = os.path.join(root, "out")
    with shared_tree(4) as tree:
        proc = subprocess.run([sys.executable, "tools/grade_many.py",
                               os.path.join(root, "submissions"), "4", "-j", "1",
                               "--arch", "x86_64", "--out", out,
                               "--trees", os.path.dirname(tree)],
                              cwd=REPO, env=harness.make_env(), capture_output=True, text=True,
                              timeout=harness.scaled(300))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "alice: 20/20 full marks" in proc.stdout and "bob: 0/20 graded" in proc.stdout, \
        proc.stdout
    with open(os.path.join(out, "summary.csv")) as f:
        rows = {r["submission"]: r for r in csv.DictReader(f)}
    assert set(rows) == {"alice", "bob"}, rows
    assert (rows["alice"]["score"], rows["alice"]["max_score"]) == ("20", "20"), rows
    assert rows["bob"]["score"] == "0" and rows["bob"]["kprotect (in-kernel) [x86_64]"] == "0"
    for name in ("alice", "bob"):
        for f in ("results.json", "junit.xml", "console.txt", "logs/x86_64-boot1.log"):
            assert os.path.exists(os.path.join(out, name, f)), f"{name}/{f}"
    with open(os.path.join(out, "bob", "results.json")) as f:
        assert "mm/kmap.c: not in the submission" in json.load(f)["output"]


def test_grade_many_under_pytest_xdist_has_a_test_per_submission(tmp_path):
    """The pytest-xdist way collects one test per submission directory."""
    for name in ("alice", "bob", ".hidden"):
        (tmp_path / name).mkdir()
    proc = subprocess.run([sys.executable, "-m", "pytest", "--collect-only", "-q",
                           "-p", "no:cacheprovider", "tools/grade_many.py"], cwd=REPO,
                          env=dict(harness.make_env(), GRADE_SUBMISSIONS=str(tmp_path),
                                   GRADE_LAB="4"),
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "tools/grade_many.py::test_submission[alice]" in proc.stdout, proc.stdout
    assert "tools/grade_many.py::test_submission[bob]" in proc.stdout, proc.stdout
    assert "hidden" not in proc.stdout, proc.stdout


# --- Gradescope ---------------------------------------------------------------------------


def unpack_autograder(lab, root):
    """make_autograder.py's zip for `lab`, unpacked as Gradescope does in
    root/source (Python's zipfile drops the execute bits, as some
    unpackers do: setup.sh must restore them)."""
    zip_path = os.path.join(root, f"autograder-lab{lab}.zip")
    proc = subprocess.run([sys.executable, os.path.join(GRADESCOPE, "make_autograder.py"),
                           f"LAB={lab}", "--out", zip_path], cwd=REPO, capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with zipfile.ZipFile(zip_path) as z:
        names = set(z.namelist())
        z.extractall(os.path.join(root, "source"))
    return names


def fake_bin(root, name, script):
    path = os.path.join(root, "bin", name)
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write("#!/bin/sh\n" + script)
    os.chmod(path, 0o755)
    return os.path.dirname(path)


def test_autograder_zip_holds_the_handout_and_scripts(tmp_path):
    """The zip: setup.sh, run_autograder and gradescope-lab at the top, the
    lab's handout (its regions stubbed: no solution), the tests and the grader."""
    names = unpack_autograder(4, str(tmp_path))
    for f in ("setup.sh", "run_autograder", "gradescope-lab", "Makefile", "tools/grade.py",
              "tools/deps.sh", "labs/catalog.json", "tests/harness.py", "mm/kmap.c"):
        assert f in names, f
    assert not any(n.startswith(("build/", ".git/")) for n in names)
    source = tmp_path / "source"
    assert (source / "gradescope-lab").read_text() == "4\n"
    kmap = (source / "mm" / "kmap.c").read_text()
    assert "LAB 4 TODO: kmap_init" in kmap and "LAB 4 BEGIN" not in kmap, kmap


def test_gradescope_setup_installs_with_deps_sh(tmp_path):
    """setup.sh restores the execute bits, installs through tools/deps.sh
    (apt-get is faked: it records what it was asked) and reports the lab."""
    unpack_autograder(4, str(tmp_path))
    source = tmp_path / "source"
    assert not os.stat(source / "tools" / "ksyms.sh").st_mode & stat.S_IXUSR
    calls = tmp_path / "apt-calls"
    bindir = fake_bin(str(tmp_path), "apt-get", f'echo "apt-get $*" >> {calls}\n')
    fake_bin(str(tmp_path), "sudo", '"$@"\n')
    proc = subprocess.run(["sh", str(source / "setup.sh")], capture_output=True, text=True,
                          timeout=120, env=dict(os.environ, AUTOGRADER_ROOT=str(tmp_path),
                                                DUET_SETUP_BUILD="0",
                                                PATH=bindir + ":" + os.environ["PATH"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert "autograder for lab 4 is ready" in proc.stdout, proc.stdout
    assert os.stat(source / "tools" / "ksyms.sh").st_mode & stat.S_IXUSR
    assert os.stat(source / "run_autograder").st_mode & stat.S_IXUSR
    for line in calls.read_text().splitlines() if calls.exists() else []:
        assert line.startswith(("apt-get update", "apt-get install")), line


FAKE_MAKE = """echo "make $*" >> "$AUTOGRADER_ROOT/make-calls"
echo "Score: 7/20"
mkdir -p build/grade
echo '{"score": 7, "tests": [{"name": "t [x86_64]", "score": 7, "max_score": 20}]}' \\
    > build/grade/results.json
exit 1
"""


@pytest.mark.parametrize("writes_results", [True, False], ids=["graded", "grader-failed"])
def test_run_autograder_calls_make_grade(tmp_path, writes_results):
    """run_autograder runs `make grade LAB=<gradescope-lab> SUBMISSION=
    /autograder/submission` in source/ and copies results.json to
    /autograder/results; when the grader writes none, a results.json with 0
    points and the console says so."""
    unpack_autograder(4, str(tmp_path))
    (tmp_path / "submission").mkdir()
    bindir = fake_bin(str(tmp_path), "make", FAKE_MAKE if writes_results else
                      'echo "make: *** broken image" >&2\nexit 2\n')
    proc = subprocess.run(["sh", str(tmp_path / "source" / "run_autograder")],
                          capture_output=True, text=True, timeout=120,
                          env=dict(os.environ, AUTOGRADER_ROOT=str(tmp_path), DUET_ARCH="x86_64",
                                   PATH=bindir + ":" + os.environ["PATH"]))
    assert proc.returncode == 0, proc.stdout + proc.stderr
    with open(tmp_path / "results" / "results.json") as f:
        results = json.load(f)
    if writes_results:
        calls = (tmp_path / "make-calls").read_text()
        assert calls.strip() == (f"make --no-print-directory grade LAB=4 SUBMISSION="
                                 f"{tmp_path}/submission ARCH=x86_64"), calls
        assert results["score"] == 7 and "Score: 7/20" in proc.stdout
    else:
        assert results["score"] == 0 and results["tests"] == []
        assert "broken image" in results["output"] and "course staff" in results["output"]


@pytest.mark.skipif(os.environ.get("DUET_LABS_ALL") != "1",
                    reason="a fresh tree's build (~20 s of two cores): DUET_LABS_ALL=1")
def test_run_autograder_grades_for_real(tmp_path):
    """The whole path on one arch: the zip, setup.sh's trial build of that
    arch (kept in the image), run_autograder, `make grade` with the
    submission, whose tree starts from the image's build and compiles only
    the student's files; a solution's files score full marks."""
    unpack_autograder(4, str(tmp_path))
    sub = make_submission("gradescope", 4)
    shutil.copytree(sub, tmp_path / "submission")
    setup = subprocess.run(["sh", str(tmp_path / "source" / "setup.sh")], capture_output=True,
                           text=True, timeout=harness.scaled(600),
                           env=dict(harness.make_env(), AUTOGRADER_ROOT=str(tmp_path),
                                    DUET_ARCH="x86_64"))
    assert setup.returncode == 0, setup.stdout + setup.stderr
    assert not os.path.exists(tmp_path / "source" / "build" / "aarch64" / "duet.elf"), \
        "setup.sh built an arch that DUET_ARCH left out"
    proc = subprocess.run(["sh", str(tmp_path / "source" / "run_autograder")],
                          capture_output=True, text=True, timeout=harness.scaled(600),
                          env=dict(harness.make_env(), AUTOGRADER_ROOT=str(tmp_path),
                                   DUET_ARCH="x86_64"))
    with open(tmp_path / "results" / "results.json") as f:
        results = json.load(f)
    top = sum(t["max_score"] for t in results["tests"])
    assert results["score"] == top == sum(
        t["points"] for t in CATALOG["labs"]["4"]["tests"]
        if t.get("arch", "x86_64") == "x86_64"), proc.stdout
    for t in results["tests"]:
        assert set(t) >= {"name", "score", "max_score", "status", "output", "visibility"}, t


# --- GitHub Classroom ---------------------------------------------------------------------


# How GitHub Actions runs a `run:` step on Linux.
GITHUB_BASH = ["bash", "--noprofile", "--norc", "-eo", "pipefail", "-c"]


def workflow_steps():
    yaml = pytest.importorskip("yaml", reason="python3-yaml reads the workflow")
    with open(os.path.join(REPO, ".github", "workflows", "classroom.yml")) as f:
        flow = yaml.safe_load(f)
    (job,) = flow["jobs"].values()
    return {s["name"]: s for s in job["steps"]}


@pytest.mark.parametrize("variable, file, want", [
    ("3", "", "3"), ("", "4\n", "4"), ("2", "4\n", "2"), ("", None, ""), ("three", None, "error")])
def test_classroom_workflow_finds_the_lab(tmp_path, variable, file, want):
    """The lab: the DUET_LAB variable, else .github/classroom-lab (which
    `make handout` writes); neither: nothing graded, no failure; not a
    number: an error."""
    step = workflow_steps()["Which lab"]
    if file is not None:
        (tmp_path / ".github").mkdir()
        (tmp_path / ".github" / "classroom-lab").write_text(file)
    out = tmp_path / "github-output"
    out.write_text("")
    proc = subprocess.run(GITHUB_BASH + [step["run"]], cwd=tmp_path, capture_output=True,
                          text=True, env=dict(os.environ, DUET_LAB=variable,
                                              GITHUB_OUTPUT=str(out)))
    if want == "error":
        assert proc.returncode != 0 and "::error::" in proc.stdout, proc.stdout
        return
    assert proc.returncode == 0, proc.stdout + proc.stderr
    assert out.read_text() == (f"lab={want}\n" if want else ""), out.read_text()


def test_classroom_workflow_grades_and_reports(tmp_path):
    """The workflow runs `make grade LAB=n`, keeps results.json and
    junit.xml, and hands the reporter classroom.json, which holds what the
    reporter reads: a status, max_score and each test's score."""
    steps = workflow_steps()
    assert steps["Grade"]["run"].startswith("make grade LAB=${{ steps.lab.outputs.lab }}")
    assert "tools/deps.sh install" in steps["Install what Duet needs"]["run"]
    paths = steps["Keep the results"]["with"]["path"]
    assert "build/grade/results.json" in paths and "build/grade/junit.xml" in paths
    reporter = steps["Autograding Reporter"]
    assert reporter["uses"].startswith("classroom-resources/autograding-grading-reporter@")
    runner = reporter["with"]["runners"]
    assert f"{runner.upper()}_RESULTS" in reporter["env"]
    out = tmp_path / "build" / "grade"
    out.mkdir(parents=True)
    tests = [{"name": "a", "points": 10}, {"name": "b", "points": 5}]
    outcomes = [grade.Outcome(tests[0], "x86_64", 10, "all passed"),
                grade.Outcome(tests[1], "x86_64", 2.5, "1 of 2 graded cases failed")]
    grade.write_outputs(str(out), 3, outcomes, [], 1.0)
    gh_out = tmp_path / "github-output"
    gh_out.write_text("")
    step = subprocess.run(GITHUB_BASH + [steps["Results for the reporter"]["run"]], cwd=tmp_path,
                          env=dict(os.environ, GITHUB_OUTPUT=str(gh_out)), capture_output=True,
                          text=True)
    assert step.returncode == 0, step.stdout + step.stderr
    key, _, value = gh_out.read_text().strip().partition("=")
    assert key == "result"
    result = json.loads(base64.b64decode(value))
    assert result["status"] == "fail" and result["max_score"] == 15, result
    assert [(t["name"], t["status"], t["score"]) for t in result["tests"]] == \
        [("a [x86_64]", "pass", 10), ("b [x86_64]", "fail", 2.5)], result
    with open(out / "results.json") as f:
        assert json.load(f)["score"] == 12.5


def test_a_failed_case_shows_its_first_failed_check():
    """The why of a failed case starts with its first failed check and its
    values (the one to fix first), then says how many more failed."""
    diags = ["mm/vm_test.c:31: expected vm_translate(...) == VM_OK", "  left:  VM_ERR_NOT_MAPPED (-4)",
             "  right: VM_OK (0)", "mm/vm_test.c:33: expected tr.pa == pa", "  left:  0",
             "  right: 4096", "mm/vm_test.c:40: expected true: x"]
    assert grade.first_failure(diags) == [
        "mm/vm_test.c:31: expected vm_translate(...) == VM_OK", "left:  VM_ERR_NOT_MAPPED (-4)",
        "right: VM_OK (0)", "and 2 more failed checks"]
    assert grade.first_failure(["some note"]) == ["some note"]


def test_a_console_tail_in_a_report_hides_the_self_tests_failures():
    """A boot that hung in a suite right after the framework's self-test:
    the end of its console in the report shows the suite that hung, not
    the self-test's cases that fail on purpose."""
    class Run:
        log = ("KTAP version 1\n1..3\n# ktest: run n\n    KTAP version 1\n"
               "    # Subtest: ktest_selftest\n    1..2\n    ok 1 a_passing_case_is_ok\n"
               "    not ok 2 a_failed_expectation_is_reported\nnot ok 1 ktest_selftest\n"
               "    KTAP version 1\n    # Subtest: buddy\n    1..7\n"
               "# harness: hang: no exit within 30 s; QEMU was killed (30.08 s)\n")
    tail = grade.console_tail(Run(), lines=5)
    assert "a_failed_expectation_is_reported" not in tail
    assert tail.endswith("    # Subtest: buddy\n    1..7\n# harness: hang: no exit within 30 s; "
                         "QEMU was killed (30.08 s)")
    assert "ran here; its cases fail on purpose" in tail
