"""Hostile submissions, graded end to end (issue 11; docs/instructors.md,
"What the grader trusts"). Each is what a student could hand in to forge,
borrow or steal a score, or to harm the grading machine:

- files that reach outside the project or print test results in plain
  sight are refused before anything builds (tools/submission_check.py);
- the same attacks hidden from that reading (text built from numbers,
  names pasted together by the preprocessor) are caught when they run:
  a forged KTAP run has no nonce or comes twice (tools/ktap_check.py), a
  daemon dies with its sandbox, a flood is cut, a printed score is removed
  from every report, a hang costs one timeout, and a guest's semihosting
  reaches only the sandbox (tools/sandbox.py).

Each scores 0 (the stolen-score attacks start from the bare handout, which
earns nothing honestly) and leaves no file outside its scratch directory
and no process behind.
"""
import json
import os
import re
import shutil
import subprocess
import sys
import time
import uuid

import pytest

import harness
from test_labs import CATALOG, WORK, shared_tree

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import grade as grade_py  # noqa: E402
import handout  # noqa: E402
import ktap_check  # noqa: E402

REPO = harness.REPO


def submission(name, lab, base, changes):
    """The lab's student files from the solution ("solution") or the bare
    handout ("handout"), each change (file, anchor, text to put before the
    anchor) applied."""
    sub = os.path.join(WORK, "hostile", name)
    shutil.rmtree(sub, ignore_errors=True)
    src = REPO
    if base == "handout":
        src = os.path.join(WORK, "hostile", f"handout-{name}")
        handout.make_handout(lab, src, REPO)
    for rel in CATALOG["labs"][str(lab)]["student_files"]:
        os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
        shutil.copy(os.path.join(src, rel), os.path.join(sub, rel))
    for rel, anchor, text in changes:
        path = os.path.join(sub, rel)
        with open(path) as f:
            source = f.read()
        assert anchor in source, f"{rel}: no {anchor!r}: update the attack"
        with open(path, "w") as f:
            f.write(source.replace(anchor, text + anchor, 1))
    return sub


def grade(lab, arch, sub, tree, out, env=None):
    """tools/grade.py in a child that reports its own largest child's
    memory too; -> (status, results.json, console, max RSS in KiB)."""
    shutil.rmtree(out, ignore_errors=True)
    argv = [sys.executable, "tools/grade.py", str(lab), "--arch", arch, "--submission", sub,
            "--tree", tree, "--out", out]
    wrapper = ("import resource, subprocess, sys; "
               "r = subprocess.run(sys.argv[1:]); "
               "print(f'\\nmaxrss {resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss}'); "
               "sys.exit(r.returncode)")
    proc = subprocess.run([sys.executable, "-c", wrapper, *argv], cwd=REPO,
                          env=dict(harness.make_env(), **(env or {})), capture_output=True,
                          text=True, timeout=harness.scaled(600))
    console, _, rss = proc.stdout.rpartition("\nmaxrss ")
    with open(os.path.join(out, "results.json")) as f:
        return proc.returncode, json.load(f), console + proc.stderr, int(rss)


def c_bytes(text):
    """`text` as a C initializer of numbers: no string a reader would see."""
    return "{" + ",".join(str(b) for b in text.encode()) + ",0}"


def forged_run(suites):
    """A complete, passing KTAP run of these (suite, cases), as a forger
    without the nonce would print it."""
    lines = ["KTAP version 1", f"1..{len(suites)}"]
    for n, (suite, cases) in enumerate(suites, 1):
        lines += ["    KTAP version 1", f"    # Subtest: {suite}", f"    1..{len(cases)}"]
        lines += [f"    ok {k} {c}" for k, c in enumerate(cases, 1)]
        lines.append(f"ok {n} {suite}")
    return "\n".join(lines) + "\n"


# Names the preprocessor pastes together, out of a reader's sight, and the
# C library declared by hand (a system header would be refused).
PASTE = "#define HOSTILE_CAT_(a, b) a##b\n#define HOSTILE_CAT(a, b) HOSTILE_CAT_(a, b)\n"
LIBC = ("#ifdef DUET_HOST\ntypedef struct _IO_FILE FILE;\nextern FILE *stdout;\n"
        "FILE *fopen(const char *, const char *);\nint fputs(const char *, FILE *);\n"
        "int fclose(FILE *);\nint fflush(FILE *);\nint puts(const char *);\n"
        "int HOSTILE_CAT(fo, rk)(void);\nint setsid(void);\nint usleep(unsigned);\n"
        "void HOSTILE_CAT(_ex, it)(int);\n#endif\n")


def leftovers(marker):
    """Processes whose command line or open files mention `marker`."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            with open(f"/proc/{pid}/cmdline", "rb") as f:
                names = [f.read().decode(errors="replace")]
            for fd in os.listdir(f"/proc/{pid}/fd"):
                try:
                    names.append(os.readlink(f"/proc/{pid}/fd/{fd}"))
                except OSError:
                    pass
        except OSError:
            continue
        if any(marker in name for name in names):
            found.append(int(pid))
    return found


# --- refused before anything builds ---------------------------------------------------------


@pytest.mark.parametrize("name, lab, rel, text, rule", [
    ("include-the-solution", 3, "mm/vm.c", '#include "../../../../mm/vm.c"\n', "include"),
    ("include-a-host-file", 3, "mm/vm.c", '#include "/etc/os-release"\n', "include"),
    ("constructor-exits", 2, "mm/buddy.c",
     "__attribute__((constructor)) static void early(void) { _exit(0); }\n", "section"),
    ("prints-ktap", 2, "mm/buddy.c",
     'static void forge(void) { printf("KTAP version 1\\n1..1\\nok 1 buddy\\n"); }\n', "results"),
])
def test_refused_before_anything_builds(name, lab, rel, text, rule):
    """The issue's attacks in plain sight: the whole submission scores 0,
    the refusal names file, line and rule, no host file's text reaches the
    results, and no tree was even made."""
    sub = submission(name, lab, "solution", [(rel, "#include", text)])
    out = os.path.join(WORK, "hostile", f"out-{name}")
    tree = os.path.join(WORK, "hostile", f"tree-{name}")
    shutil.rmtree(tree, ignore_errors=True)
    status, results, console, _ = grade(lab, "x86_64", sub, tree, out)
    assert status == 1 and results["score"] == 0, console
    assert all(t["score"] == 0 for t in results["tests"]), console
    assert re.search(rf"{rel}:\d+: {rule}:", results["tests"][0]["output"]), console
    assert "PRETTY_NAME" not in json.dumps(results)
    assert not os.path.exists(tree), "the refused submission was built"


# --- caught when it runs -----------------------------------------------------------------------


def test_a_forged_run_scores_nothing():
    """The issue's stub that printed a whole passing run from buddy_init
    (80/80 before), hidden from the reading; and a host test's constructor
    that prints a passing run and exits. Both lack the boot's nonce and come
    as a second run: the bare handout plus forgery scores 0, and each
    test says the output was tampered with."""
    suites = ktap_check.kernel_suites(REPO, "x86_64")
    kernel = forged_run([(s, suites[s]) for s in ("buddy", "kmalloc")])
    host = forged_run([ktap_check.host_cases(REPO, "buddy")])
    attack = (PASTE + LIBC + f"static const unsigned char hostile_run[] = {c_bytes(kernel)};\n"
              "#ifdef DUET_HOST\n"
              f"static const unsigned char hostile_host[] = {c_bytes(host)};\n"
              "__attribute__((HOSTILE_CAT(constr, uctor))) static void hostile_early(void)\n"
              "{\n    fputs((const char *)hostile_host, stdout);\n    fflush(stdout);\n"
              "    HOSTILE_CAT(_ex, it)(0);\n}\n#endif\n\n")
    sub = submission("forged-run", 2, "handout", [
        ("mm/buddy.c", "void buddy_init(", attack),
        ("mm/buddy.c", "    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {\n",
         "    printf(\"%s\", (const char *)hostile_run);\n")])
    with shared_tree(2) as tree:
        status, results, console, _ = grade(2, "x86_64", sub, tree,
                                            os.path.join(WORK, "hostile", "out-forged-run"))
    assert results["score"] == 0 and status == 1, console
    for t in results["tests"]:
        assert t["score"] == 0 and ktap_check.TAMPERED in t["output"], t


def test_a_daemon_a_flood_and_a_printed_score_change_nothing():
    """A host test's constructor starts a daemon that keeps rewriting the
    results (and a file of the grader's) to full marks, then prints
    "Score: 999/999" and a gigabyte; the kernel prints the same score at
    boot. The daemon dies with the sandbox, the flood is cut at 16 MiB and
    the grader's memory stays small, no report shows the fake score, and
    the bare handout still scores 0. The daemon holds a file named after
    the test open, wherever it runs: one that outlived the grade would be
    found at once, so nothing waits for it to show itself."""
    marker = f"duet-hostile-{uuid.uuid4().hex[:12]}"
    out = os.path.join(WORK, "hostile", "out-daemon")
    canary = os.path.join(WORK, "hostile", f"{marker}.canary")
    os.makedirs(os.path.dirname(canary), exist_ok=True)
    with open(canary, "w") as f:
        f.write("the grader's\n")
    fake = '{"score": 999, "tests": []}\n'
    targets = [os.path.join(out, "results.json"), canary]
    attack = (PASTE + LIBC
              + f"static const unsigned char hostile_score[] = {c_bytes('Score: 999/999')};\n"
              "#ifdef DUET_HOST\n"
              + "".join(f"static const unsigned char hostile_t{n}[] = {c_bytes(t)};\n"
                        for n, t in enumerate(targets))
              + f"static const unsigned char hostile_fake[] = {c_bytes(fake)};\n"
              f"static const unsigned char hostile_held[] = {c_bytes('/tmp/' + marker)};\n"
              "__attribute__((HOSTILE_CAT(constr, uctor))) static void hostile_early(void)\n"
              "{\n    if (HOSTILE_CAT(fo, rk)() == 0) {\n        setsid();\n"
              "        if (HOSTILE_CAT(fo, rk)() == 0) {\n"
              "            FILE *held = fopen((const char *)hostile_held, \"w\");\n"
              "            (void)held;\n"
              "            for (;;) {\n"
              + "".join(f"                FILE *f{n} = fopen((const char *)hostile_t{n}, \"w\");\n"
                        f"                if (f{n}) {{ fputs((const char *)hostile_fake, f{n}); "
                        f"fclose(f{n}); }}\n" for n in range(len(targets)))
              + "                usleep(20000);\n            }\n        }\n"
              "        HOSTILE_CAT(_ex, it)(0);\n    }\n"
              "    printf(\"%s\\n\", (const char *)hostile_score);\n"
              "    static char line[4096];\n    for (unsigned i = 0; i + 1 < sizeof(line); i++)\n"
              "        line[i] = 'x';\n"
              "    for (long i = 0; i < (1L << 30) / 4096; i++)\n        puts(line);\n}\n"
              "#endif\n\n")
    sub = submission("daemon", 2, "handout", [
        ("mm/buddy.c", "void buddy_init(", attack),
        ("mm/buddy.c", "    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {\n",
         "    printf(\"%s\\n\", (const char *)hostile_score);\n")])
    try:
        with shared_tree(2) as tree:
            status, results, console, rss = grade(2, "x86_64", sub, tree, out)
            ended = time.time()
            survivors = leftovers(marker) + leftovers(tree)
    finally:    # the daemon's file, where a sandbox without its own /tmp lets it be
        if os.path.exists(f"/tmp/{marker}"):
            os.remove(f"/tmp/{marker}")
    assert survivors == [], "a process outlived the grade"
    assert status == 1 and results["score"] == 0, console
    with open(os.path.join(out, "results.json")) as f:
        assert "999" not in f.read(), "the daemon rewrote results.json"
    assert os.path.getmtime(os.path.join(out, "results.json")) <= ended
    with open(canary) as f:
        assert f.read() == "the grader's\n", "the daemon reached a file of the grader's"
    everything = console + json.dumps(results)
    for name in ("junit.xml", "classroom.json"):
        with open(os.path.join(out, name)) as f:
            everything += f.read()
    assert "999/999" not in everything, "a report shows the submission's own score"
    assert "printed more than 16 MiB" in everything, everything[-3000:]
    assert rss < 600 * 1024, f"the grader (or a child) held {rss >> 10} MiB"
    assert console.count("\nScore: ") == 1 and "Score x86_64: 0/40" in console, console
    os.remove(canary)


def test_a_hang_costs_one_timeout():
    """A submission that hangs in every test: the first run that hangs gets
    its whole timeout, every later one AFTER_HANG at most, so the grade
    ends within twice the normal time plus one timeout (figures in
    docs/instructors.md)."""
    attack = ("#ifdef DUET_HOST\n#define HOSTILE_CAT_(a, b) a##b\n"
              "__attribute__((HOSTILE_CAT_(constr, uctor))) static void hostile_spin(void)\n"
              "{\n    for (volatile unsigned x = 0;; x++)\n        ;\n}\n#endif\n\n")
    sub = submission("hang", 2, "handout", [
        ("mm/buddy.c", "void buddy_init(", attack),
        ("mm/buddy.c", "    for (unsigned o = 0; o <= BUDDY_MAX_ORDER; o++) {\n",
         "    for (volatile unsigned spin = 0;; spin++)\n        ;\n")])
    # A boot's 30 s become 1.5, a host test's 20 become 1, AFTER_HANG 0.5.
    # The second host run starts after a run hung (the first host run, or
    # the boot when the host build is slower): cut at AFTER_HANG, it shows
    # 0.5 s (the grader prints tenths, and times a run from its start to its
    # timeout: a loaded machine adds how late a woken thread runs, a few ms;
    # up to 0.2 s still shows 0.7), where its own timeout shows 1.0 at least.
    scale = 0.05
    with shared_tree(2) as tree:
        status, results, console, _ = grade(2, "x86_64", sub, tree,
                                            os.path.join(WORK, "hostile", "out-hang"),
                                            env={"TIMEOUT_SCALE": str(scale)})
    assert status == 1 and results["score"] == 0, console
    host = [t["output"] for t in results["tests"] if "(host)" in t["name"]]
    assert len(host) == 2 and all("hung (stopped after" in h for h in host), host
    seconds = sorted(float(h.split("stopped after ")[1].split(" s")[0]) for h in host)
    after_hang, host_timeout = grade_py.AFTER_HANG * scale, grade_py.HOST_TIMEOUT * scale
    between = (after_hang + host_timeout) / 2
    assert between < host_timeout - 0.2, "this scale cannot tell the two apart"
    assert seconds[0] <= between, seconds       # after the first hang: AFTER_HANG
    # The first run to hang, a host test's or the boot (whichever the
    # machine's load lets start first), got its whole timeout.
    boots = {float(m) for t in results["tests"] if "(in-kernel)" in t["name"]
             for m in re.findall(r"no exit within ([\d.]+) s", t["output"])}
    assert len(boots) == 1, results
    assert seconds[1] >= round(host_timeout, 1) or \
        boots.pop() >= round(grade_py.BOOT_TIMEOUT * scale, 1), (seconds, results)


@pytest.mark.aarch64
def test_a_guests_semihosting_stays_in_the_sandbox():
    """QEMU's AArch64 semihosting lets a guest run a host command
    (SYS_SYSTEM) and write a host file (SYS_OPEN, SYS_WRITE). A kernel that
    does both, graded: nothing appears on the host. Graded again with
    DUET_GRADE_SANDBOX=off, both files appear: the attack is real, and only
    the sandbox stops it."""
    marker = f"/tmp/duet-hostile-{uuid.uuid4().hex[:12]}"
    attack = (
        "static void hostile_semihost(void)\n{\n"
        f"    static const char cmd[] = \"touch {marker}-system\";\n"
        f"    static const char path[] = \"{marker}-open\";\n"
        "    static const char text[] = \"written by the guest\\n\";\n"
        "    u64 sys[2] = { (u64)cmd, sizeof(cmd) - 1 };\n"
        "    u64 open_args[3] = { (u64)path, 4, sizeof(path) - 1 }; /* mode 4: \"w\" */\n"
        "    register u64 x0 __asm__(\"x0\") = 0x12; /* SYS_SYSTEM */\n"
        "    register u64 x1 __asm__(\"x1\") = (u64)sys;\n"
        "    __asm__ volatile(\"hlt #0xf000\" : \"+r\"(x0) : \"r\"(x1) : \"memory\");\n"
        "    x0 = 0x01; /* SYS_OPEN */\n    x1 = (u64)open_args;\n"
        "    __asm__ volatile(\"hlt #0xf000\" : \"+r\"(x0) : \"r\"(x1) : \"memory\");\n"
        "    u64 write_args[3] = { x0, (u64)text, sizeof(text) - 1 };\n"
        "    x0 = 0x05; /* SYS_WRITE */\n    x1 = (u64)write_args;\n"
        "    __asm__ volatile(\"hlt #0xf000\" : \"+r\"(x0) : \"r\"(x1) : \"memory\");\n}\n\n")
    sub = submission("semihost", 4, "solution", [
        ("arch/aarch64/mmu.c", "void arch_mmu_enable_protections(", attack),
        ("arch/aarch64/mmu.c", "    /* LAB 4 BEGIN: arch_mmu_enable_protections",
         "    hostile_semihost();\n")])
    made = [marker + "-system", marker + "-open"]
    try:
        with shared_tree(4) as tree:
            grade(4, "aarch64", sub, tree, os.path.join(WORK, "hostile", "out-semihost"))
            assert [p for p in made if os.path.exists(p)] == [], "the guest reached the host"
            grade(4, "aarch64", sub, tree, os.path.join(WORK, "hostile", "out-semihost-off"),
                  env={"DUET_GRADE_SANDBOX": "off"})
        assert all(os.path.exists(p) for p in made), \
            "without the sandbox the attack did nothing: the test proves nothing"
    finally:
        for p in made:
            if os.path.exists(p):
                os.remove(p)
