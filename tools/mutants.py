#!/usr/bin/env python3
"""The mutation suite: realistic student mistakes that the lab's grade must catch.

    tools/mutants.py [--lab N]... [--arch A]... [--mutants a,b] [--sample K] [--seed S]
                     [-j N] [--min-rate R] [--out build/mutants] [--no-baseline] [--check]
    make mutants [LAB=n] [ARCH=x86_64|aarch64] [MUTANTS=a,b] [SAMPLE=k] [MUTANT_JOBS=n]
                 [MIN_RATE=r]

A mutant is one file, labs/mutants/lab<N>/<name>.patch: a header, a blank
line, then a unified diff against the solution tree (`a/<file>`, `b/<file>`):

    Mutant: huge-leaf-pa-unaligned         the file's name without .patch
    Lab: 3                                 the directory's N
    Class: huge leaf where only va is aligned
    Why: map_level writes a 2 MiB leaf whenever va is aligned, without checking pa.
    Arch: both                             both, x86_64 or aarch64: where the code runs
    Equivalent: <why no test can tell>     optional: not counted
    Survives: <the known gap>              optional: counted, but does not fail the run

The diff may change only the lab's student_files (labs/catalog.json), and
only lines between that lab's LAB N BEGIN/END markers in the solution
(tools/handout.py finds them); the marker lines themselves stay. Anything
else is refused with `file:line: what is wrong`, before anything is graded.

Each mutant becomes a submission (the lab's student files from this tree,
the patch applied with `git apply`), built on each arch it is graded on (a
mutant that does not compile is invalid, not killed) and graded with
tools/grade.py's grade(). Killed on an arch: the lab's score on that arch is
below its maximum. A mutant whose Arch is one arch is graded only there.

The run prints, per lab and arch, killed/counted and the kill rate, each
survivor with its class and why, the equivalent mutants with their reason,
the known gaps (Survives), the seconds per mutant and what a full run would
cost; OUT/report.json holds every mutant's result and the tests that killed
it, OUT/summary.txt the printed summary. Exit status 1 when a mutant is
invalid, when a mutant that is neither Equivalent nor Survives survives on
an arch (the tests got weaker), when an Equivalent one is killed (its claim
is wrong), or, with --min-rate, when a lab's rate on an arch is below it;
2 when the run could not start.

First each lab's unchanged solution is graded (--no-baseline skips it): it
must score full marks, or a kill would mean nothing; it also builds each
worker's tree, so that each mutant then rebuilds only the files it changes.
N workers (-j; default one per two cores, as tools/grade_many.py) each keep
their own tree (OUT/trees/worker<k>) and grade one mutant at a time.

--sample K grades K mutants (never Equivalent or Survives ones) spread over
the labs, the same K on every run: each lab's mutants are ordered by a hash
of their name (and --seed), and the labs take turns. --check only validates.
"""
import argparse
import concurrent.futures
import hashlib
import json
import os
import queue
import re
import shutil
import subprocess
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))
import handout  # noqa: E402

MUTANTS_DIR = os.path.join(REPO, "labs", "mutants")
DEFAULT_OUT = os.path.join(REPO, "build", "mutants")
ARCHES = ("x86_64", "aarch64")
FIELDS = ("Mutant", "Lab", "Class", "Why", "Arch", "Equivalent", "Survives")
REQUIRED = FIELDS[:5]
ARCH_VALUES = ("both",) + ARCHES
NAME_RE = re.compile(r"^[a-z0-9][a-z0-9-]*$")
HUNK_RE = re.compile(r"^@@ -(\d+)(?:,(\d+))? \+(\d+)(?:,(\d+))? @@")
# A grade that has not finished after this long (before TIMEOUT_SCALE) is
# stopped: every boot, host test and pytest test inside it has its own
# timeout, so this only catches a grader that is itself stuck.
GRADE_TIMEOUT = 1800.0


class MutantError(Exception):
    """A mutant that cannot be used, as 'file:line: what is wrong'."""


class Hunk:
    def __init__(self, line, old_start):
        self.line = line            # the @@ line's number in the patch
        self.old_start = old_start
        self.lines = []             # (patch line number, ' ' / '-' / '+', text)

    def preimage(self):
        return [t for _, tag, t in self.lines if tag != "+"]

    def postimage(self):
        return [t for _, tag, t in self.lines if tag != "-"]


class FilePatch:
    def __init__(self, path, line):
        self.path, self.line, self.hunks = path, line, []


class Mutant:
    def __init__(self, path, where):
        self.path = path            # the .patch file
        self.where = where          # how messages name it (relative to the tree)
        self.name = self.cls = self.why = self.arch = ""
        self.lab = 0
        self.equivalent = self.survives = None
        self.lines = {}             # header field -> its line number
        self.files = []             # [FilePatch]
        self.diff_line = 0          # where the diff starts in the file

    def at(self, line, message):
        return MutantError(f"{self.where}:{line}: {message}")

    def arches(self, wanted):
        """The arches of `wanted` this mutant is graded on."""
        return [a for a in wanted if self.arch in ("both", a)]

    @property
    def kind(self):
        return "equivalent" if self.equivalent else "survives" if self.survives else "counted"


# --- reading and checking mutants ---------------------------------------------------


def display(path):
    rel = os.path.relpath(path, REPO)
    return path if rel.startswith("..") else rel


def find(root):
    """Every mutant file under root, sorted; -> (paths, [MutantError])."""
    paths, errors = [], []
    if not os.path.isdir(root):
        return paths, errors
    for dirpath, dirnames, filenames in os.walk(root):
        dirnames.sort()
        rel_dir = os.path.relpath(dirpath, root)
        for f in sorted(filenames):
            path = os.path.join(dirpath, f)
            if rel_dir == "." and f == "README.md":
                continue
            if re.fullmatch(r"lab\d+", rel_dir) and f.endswith(".patch"):
                paths.append(path)
            else:
                errors.append(MutantError(
                    f"{display(path)}:1: not a mutant: every file under {display(root)} is "
                    f"lab<N>/<name>.patch"))
    return paths, errors


def parse(path, catalog):
    """Read and check one mutant file (header and diff); -> Mutant."""
    m = Mutant(path, display(path))
    with open(path, encoding="utf-8", errors="surrogateescape") as f:
        lines = f.read().splitlines()
    fields, no = {}, 0
    for no, text in enumerate(lines, 1):
        if not text.strip():
            break
        if text[:1] in " \t" and fields:          # a long value goes on
            key = list(fields)[-1]
            fields[key] += " " + text.strip()
            continue
        key, sep, value = text.partition(":")
        if not sep or not key or " " in key:
            raise m.at(no, f"not a header line 'Field: value' ({', '.join(FIELDS)}); "
                           f"a blank line ends the header, the diff follows it")
        if key not in FIELDS:
            raise m.at(no, f"unknown field '{key}' (fields: {', '.join(FIELDS)})")
        if key in fields:
            raise m.at(no, f"'{key}' given twice (first at line {m.lines[key]})")
        m.lines[key], fields[key] = no, value.strip()
    else:
        raise m.at(len(lines) or 1, "no blank line after the header, so no diff")
    for key in REQUIRED:
        if key not in fields:
            raise m.at(1, f"no '{key}:' line (a mutant's header has {', '.join(REQUIRED)})")
    for key, value in fields.items():
        if not value:
            raise m.at(m.lines[key], f"'{key}:' is empty")
    m.name, m.cls, m.why, m.arch = (fields[k] for k in ("Mutant", "Class", "Why", "Arch"))
    m.lab = int(fields["Lab"]) if fields["Lab"].isdigit() else fields["Lab"]
    m.equivalent, m.survives = fields.get("Equivalent"), fields.get("Survives")
    check_header(m, catalog)
    m.diff_line = no + 1
    m.files = parse_diff(m, lines, no + 1, catalog["labs"][str(m.lab)]["student_files"])
    for fp in m.files:
        runs_on = next((a for a in ARCHES if fp.path.startswith(f"arch/{a}/")), None)
        if runs_on and m.arch != runs_on:
            raise m.at(m.lines["Arch"], f"Arch: {m.arch}, but {fp.path} runs only on "
                                        f"{runs_on}: Arch: {runs_on}")
    return m


def check_header(m, catalog):
    base = os.path.basename(m.path)[:-len(".patch")]
    if m.name != base:
        raise m.at(m.lines["Mutant"], f"Mutant: {m.name} is not the file's name ({base})")
    if not NAME_RE.match(m.name):
        raise m.at(m.lines["Mutant"], f"Mutant: {m.name}: a name is lower-case letters, "
                                      f"digits and '-'")
    dir_lab = int(os.path.basename(os.path.dirname(m.path))[3:])
    if m.lab != dir_lab:
        raise m.at(m.lines["Lab"], f"Lab: {m.lab} is not the directory's lab ({dir_lab})")
    if str(m.lab) not in catalog["labs"]:
        raise m.at(m.lines["Lab"], f"Lab: {m.lab} is not a lab of labs/catalog.json (labs: "
                                   f"{', '.join(sorted(catalog['labs'], key=int))})")
    if m.arch not in ARCH_VALUES:
        raise m.at(m.lines["Arch"], f"Arch: {m.arch} is not one of {', '.join(ARCH_VALUES)}")
    if m.equivalent and m.survives:
        raise m.at(m.lines["Survives"], "Equivalent and Survives both given: a mutant no test "
                                        "can tell apart cannot also be a gap in the tests")


def parse_diff(m, lines, start, student_files):
    """The unified diff from line `start` (1-based) on; -> [FilePatch]."""
    files, fp, hunk, old_left, new_left = [], None, None, 0, 0
    for no in range(start, len(lines) + 1):
        text = lines[no - 1]
        if hunk and (old_left or new_left):
            tag = text[:1] if text else " "     # an editor's stripped empty context line
            if tag == "\\":
                continue
            if tag not in " -+":
                raise m.at(no, f"the hunk at line {hunk.line} ends too early: its @@ line "
                               f"counts more lines than follow it")
            hunk.lines.append((no, tag, text[1:]))
            old_left -= tag != "+"
            new_left -= tag != "-"
            if old_left < 0 or new_left < 0:
                raise m.at(no, f"the hunk at line {hunk.line} has more lines than its @@ "
                               f"line counts")
            continue
        if text.startswith("\\"):
            continue
        hm = HUNK_RE.match(text)
        if hm:
            if fp is None:
                raise m.at(no, "a hunk before any '--- a/<file>' and '+++ b/<file>' lines")
            hunk = Hunk(no, int(hm.group(1)))
            old_left = int(hm.group(2) if hm.group(2) is not None else 1)
            new_left = int(hm.group(4) if hm.group(4) is not None else 1)
            fp.hunks.append(hunk)
        elif text.startswith("--- "):
            old = text[4:].split("\t")[0].strip()
            nxt = lines[no].split("\t")[0].strip() if no < len(lines) else ""
            if old == "/dev/null" or nxt == "+++ /dev/null":
                raise m.at(no, "a mutant changes files; it neither adds nor deletes one")
            if not old.startswith("a/") or nxt != "+++ b/" + old[2:]:
                raise m.at(no, "a file's diff starts '--- a/<file>' then '+++ b/<file>', both "
                               "the same file, relative to the tree's root")
            path = old[2:]
            if path not in student_files:
                raise m.at(no, f"{path} is not one of lab {m.lab}'s student files "
                               f"({', '.join(student_files)})")
            if any(f.path == path for f in files):
                raise m.at(no, f"{path} has two diffs; put all its hunks in one")
            fp, hunk = FilePatch(path, no), None
            files.append(fp)
        elif text.startswith("+++ ") and fp is not None and fp.line == no - 1:
            continue
        elif text.startswith(("diff ", "index ")) or not text.strip():
            continue
        else:
            raise m.at(no, "not part of a unified diff (a mutant is its header, a blank line, "
                           "then the output of diff -u or git diff)")
    if hunk and (old_left or new_left):
        raise m.at(len(lines), f"the hunk at line {hunk.line} ends too early: its @@ line "
                               f"counts more lines than follow it")
    if not files or not any(f.hunks for f in files):
        raise m.at(start, "no diff after the header")
    for f in files:
        if not f.hunks:
            raise m.at(f.line, f"{f.path} has no hunk")
        for h in f.hunks:
            if not h.preimage():
                raise m.at(h.line, "a hunk without context lines: make the diff with diff -u "
                                   "or git diff")
            if all(tag == " " for _, tag, _ in h.lines):
                raise m.at(h.line, "a hunk that changes nothing")
    return files


def locate(m, fp, old):
    """Where each hunk of `fp` applies to `old` (the solution's lines), as
    git apply finds it: the exact match nearest its @@ line, after the
    previous hunk; -> [0-based start]. A hunk that matches nowhere means
    the solution changed under the mutant."""
    starts, floor = [], 0
    for h in fp.hunks:
        pre, want = h.preimage(), max(0, h.old_start - 1)
        found = [p for p in range(floor, len(old) - len(pre) + 1) if old[p:p + len(pre)] == pre]
        if not found:
            raise m.at(h.line, f"this hunk no longer applies to {fp.path} (the solution changed "
                               f"since the mutant was made): update the mutant")
        p = min(found, key=lambda p: (abs(p - want), p))
        starts.append(p)
        floor = p + len(pre)
    return starts


def apply_lines(fp, old, starts):
    new, at = [], 0
    for h, p in zip(fp.hunks, starts):
        new += old[at:p] + h.postimage()
        at = p + len(h.preimage())
    return new + old[at:]


def region_of(regions, line):
    """The region whose body holds 1-based `line`, or None."""
    return next((r for r in regions if r.begin_line < line < r.end_line), None)


def check_regions(m, fp, old, starts, regions):
    """Every changed line of `fp` lies between the markers of a region of
    lab m.lab in the solution, and is not itself a marker."""
    mine = [r for r in regions if r.lab == m.lab]
    where = ", ".join(f"{r.name} {r.begin_line}-{r.end_line}" for r in mine) or "none"

    def outside(no, what, line):
        other = region_of(regions, line)
        if other:
            return m.at(no, f"{what} in lab {other.lab}'s region '{other.name}', not lab "
                            f"{m.lab}'s (a lab-{m.lab} mutant changes only lab {m.lab}'s regions)")
        return m.at(no, f"{what} outside lab {m.lab}'s regions (in {fp.path}: {where})")

    for h, p in zip(fp.hunks, starts):
        cursor = p              # 0-based index of the next solution line
        for no, tag, _ in h.lines:
            if tag == " ":
                cursor += 1
            elif tag == "-":
                line = cursor + 1
                on_marker = any(line in (r.begin_line, r.end_line) for r in mine)
                if region_of(mine, line) is None and not on_marker:
                    raise outside(no, f"{fp.path}:{line} is", line)
                if on_marker or handout.MARKER_RE.match(old[cursor]):
                    raise m.at(no, f"{fp.path}:{line} is a LAB marker line: a mutant changes "
                                   f"only the code between the markers")
                cursor += 1
            else:               # inserted between solution lines `cursor` and `cursor + 1`
                if not any(r.begin_line <= cursor and cursor + 1 <= r.end_line for r in mine):
                    raise outside(no, f"the line added before {fp.path}:{cursor + 1} is",
                                  cursor + 1)


def git_apply(patch_text, cwd):
    """`git apply` in cwd, outside any repository (inside one, git would apply
    paths relative to its top, or skip them); -> (ok, message)."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("GIT_")}
    env["GIT_CEILING_DIRECTORIES"] = os.path.dirname(os.path.abspath(cwd))
    proc = subprocess.run(["git", "apply", "--whitespace=nowarn", "-"], input=patch_text,
                          cwd=cwd, env=env, capture_output=True, text=True)
    return proc.returncode == 0, (proc.stdout + proc.stderr).strip()


def prepare(m, catalog, sub, regions_cache):
    """Check m's hunks against the solution and write its submission to
    `sub`: the lab's student files from this tree, the patch applied with
    git apply. Raises MutantError."""
    lab = catalog["labs"][str(m.lab)]
    shutil.rmtree(sub, ignore_errors=True)
    for rel in lab["student_files"]:
        os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
        shutil.copy(os.path.join(REPO, rel), os.path.join(sub, rel))
    expected = {}
    for fp in m.files:
        with open(os.path.join(REPO, fp.path), encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        old = text.splitlines()
        if fp.path not in regions_cache:
            try:
                regions_cache[fp.path] = handout.parse(fp.path, text)[1]
            except handout.MarkerError as e:
                raise m.at(fp.line, f"the solution's markers: {e}")
        starts = locate(m, fp, old)
        check_regions(m, fp, old, starts, regions_cache[fp.path])
        expected[fp.path] = apply_lines(fp, old, starts)
    with open(m.path, encoding="utf-8", errors="surrogateescape") as f:
        ok, why = git_apply("\n".join(f.read().splitlines()[m.diff_line - 1:]) + "\n", sub)
    if not ok:
        why = "; ".join(why.splitlines())
        raise m.at(m.files[0].line, f"git apply refuses it ({why}): update the mutant")
    for rel, lines in expected.items():
        with open(os.path.join(sub, rel), encoding="utf-8", errors="surrogateescape") as f:
            if f.read().splitlines() != lines:
                raise m.at(next(fp.line for fp in m.files if fp.path == rel),
                           f"git apply changed {rel} elsewhere than the hunks' lines say: "
                           f"make the diff again with diff -u or git diff")


def load(root, catalog, labs=None, names=None):
    """The mutants under root for `labs` (all if None) named `names` (all if
    None): -> ([Mutant], [MutantError]); each error names file and line."""
    paths, errors = find(root)
    mutants = []
    for path in paths:
        dir_lab = int(os.path.basename(os.path.dirname(path))[3:])
        if labs and dir_lab not in labs:
            continue
        if names is not None and os.path.basename(path)[:-len(".patch")] not in names:
            continue
        try:
            mutants.append(parse(path, catalog))
        except MutantError as e:
            errors.append(e)
    seen = {}
    for m in mutants:
        if m.name in seen:
            errors.append(m.at(m.lines["Mutant"], f"the name {m.name} is taken by "
                                                  f"{seen[m.name].where} too"))
        seen.setdefault(m.name, m)
    return mutants, errors


# --- choosing what to grade -------------------------------------------------------------


def stable_key(seed, text):
    return hashlib.sha256(f"{seed}\0{text}".encode()).hexdigest()


def sample(mutants, k, seed=""):
    """k mutants spread over the labs, the same on every run: each lab's
    ordered by a hash of its name (and seed), the labs taking turns."""
    bylab = {}
    for m in sorted(mutants, key=lambda m: stable_key(seed, m.name)):
        bylab.setdefault(m.lab, []).append(m)
    turns = sorted(bylab, key=lambda lab: stable_key(seed, f"lab{lab}"))
    picked = []
    while len(picked) < k and any(bylab.values()):
        for lab in turns:
            if bylab[lab] and len(picked) < k:
                picked.append(bylab[lab].pop(0))
    return sorted(picked, key=lambda m: (m.lab, m.name))


# --- grading one submission (in a child process) -----------------------------------------


def make(tree, *args):
    sys.path.insert(0, os.path.join(REPO, "tests"))
    import harness
    try:
        proc = subprocess.run(["make", "--no-print-directory", *args], cwd=tree,
                              env=harness.make_env(), stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True,
                              timeout=harness.scaled(600))
    except subprocess.TimeoutExpired:
        return False, f"make {' '.join(args)} timed out"
    return proc.returncode == 0, proc.stdout


def compiler_message(output, limit=40):
    """The compiler's complaint in a failed make's output: from the first
    error on, else the end."""
    lines = output.strip().splitlines()
    first = next((i for i, ln in enumerate(lines) if re.search(r"\berror\b", ln)), None)
    if first is None:
        return "\n".join(lines[-limit:])
    start = max(0, first - 2)
    if start > 0 and re.search(r"In function|In file included", lines[start - 1]):
        start -= 1
    return "\n".join(lines[start:start + limit])


def grade_child(spec_path):
    """Build, then grade, one submission as `spec` says; write the result file.
    A child process of its own: grade() sets the harness's log directory and
    prints, so two grades must not share a process."""
    with open(spec_path) as f:
        spec = json.load(f)
    import grade as grader
    catalog = handout.load_catalog(REPO)
    lab = catalog["labs"][str(spec["lab"])]
    result = {}
    try:
        overrides = {}
        for rel in lab["student_files"]:
            with open(os.path.join(spec["submission"], rel), "rb") as f:
                overrides[rel] = f.read()
        # Built here first, so that a mutant that does not compile is told
        # apart from one the tests catch; grade() then finds it built.
        handout.make_handout(spec["lab"], spec["tree"], REPO, overrides=overrides,
                             keep_build=True)
        jobs = str(spec["jobs"] * len(spec["arches"]))
        targets = [(f"ARCH={a}", "all") for a in spec["arches"]]
        hosts = sorted({f"build/host/test_{t['binary'].format(arch=a)}"
                        for a in spec["arches"] for t in lab["tests"]
                        if t["kind"] == "host" and t.get("arch", a) == a})
        if hosts:
            targets.append(tuple(hosts))
        for target in targets:
            ok, output = make(spec["tree"], f"-j{jobs}", *target)
            if not ok:
                result["invalid"] = (f"it does not compile (`make {' '.join(target)}`):\n"
                                     + compiler_message(output))
                break
        if "invalid" not in result:
            outcomes = []
            # No view.html: advice for a student, two boots an arch more,
            # and the reference tree of each lab built, for nobody to read.
            grader.grade(spec["lab"], tuple(spec["arches"]), submission=spec["submission"],
                         out=spec["out"], tree=spec["tree"], jobs=spec["jobs"],
                         collect=outcomes, view=False)
            result["outcomes"] = [{"test": o.test["name"], "arch": o.arch, "score": o.score,
                                   "max_score": o.max_score, "why": o.why[:3000]}
                                  for o in outcomes]
    except Exception as e:      # the grader's own failure: reported, never a kill
        import traceback
        result["error"] = f"{type(e).__name__}: {e}\n" + traceback.format_exc(limit=5)
    with open(spec["result"], "w") as f:
        json.dump(result, f)
    return 0


def grade_in_child(name, lab, arches, submission, out, tree, jobs):
    """Grade `submission` in a child process; -> its result dict, with 'seconds'."""
    sys.path.insert(0, os.path.join(REPO, "tests"))
    import harness
    os.makedirs(out, exist_ok=True)
    spec = {"lab": lab, "arches": list(arches), "submission": submission, "out": out,
            "tree": tree, "jobs": jobs, "result": os.path.join(out, "mutant-result.json")}
    if os.path.exists(spec["result"]):
        os.remove(spec["result"])
    spec_path = os.path.join(out, "mutant-spec.json")
    with open(spec_path, "w") as f:
        json.dump(spec, f)
    start = time.monotonic()
    with open(os.path.join(out, "console.txt"), "w") as console:
        try:
            subprocess.run([sys.executable, os.path.abspath(__file__), "--grade-one", spec_path],
                           cwd=REPO, stdout=console, stderr=subprocess.STDOUT,
                           timeout=harness.scaled(GRADE_TIMEOUT))
        except subprocess.TimeoutExpired:
            pass
    result = {"error": f"the grade did not finish (see {display(out)}/console.txt)"}
    if os.path.exists(spec["result"]):
        with open(spec["result"]) as f:
            result = json.load(f)
    result["seconds"] = round(time.monotonic() - start, 1)
    return result


def verdicts(result, arches):
    """{arch: [outcome that lost points]} of a grade's outcomes."""
    lost = {a: [] for a in arches}
    for o in result.get("outcomes", []):
        if o["arch"] in lost and o["score"] < o["max_score"]:
            lost[o["arch"]].append(o)
    return lost


# --- the summary -------------------------------------------------------------------------


def pct(k, n):
    return f"{100.0 * k / n:.1f}%" if n else "-"


def summarize(mutants, results, arches, errors=(), min_rate=None, baseline_errors=()):
    """-> (report dict, summary lines, exit status). results: {name: {"arches":
    [graded], "killed": {arch: [killing outcomes]}, "invalid"/"error": text,
    "seconds": s}}."""
    lines, failures = [], []
    rates = {}
    entries = []
    for m in mutants:
        r = results.get(m.name)
        if r is None:
            continue
        entry = {"name": m.name, "lab": m.lab, "file": m.where, "class": m.cls, "why": m.why,
                 "arch": m.arch, "kind": m.kind, "seconds": r.get("seconds")}
        if m.equivalent:
            entry["equivalent"] = m.equivalent
        if m.survives:
            entry["survives"] = m.survives
        if "invalid" in r or "error" in r:
            entry["status"] = "invalid" if "invalid" in r else "error"
            entry["message"] = r.get("invalid") or r.get("error")
            failures.append(f"{m.where}: {entry['status']}: {entry['message']}")
            entries.append(entry)
            continue
        entry["results"] = {}
        for a in r["arches"]:
            killers = r["killed"].get(a, [])
            entry["results"][a] = {
                "killed": bool(killers),
                "tests": [{"test": o["test"], "score": o["score"], "max_score": o["max_score"],
                           "why": o["why"]} for o in killers]}
            if not m.equivalent:
                k = rates.setdefault((m.lab, a), [0, 0])
                k[0] += bool(killers)
                k[1] += 1
        killed_on = [a for a in r["arches"] if entry["results"][a]["killed"]]
        survived_on = [a for a in r["arches"] if a not in killed_on]
        entry["status"] = "killed" if not survived_on else "survived"
        entry["killed_on"], entry["survived_on"] = killed_on, survived_on
        if m.equivalent and killed_on:
            failures.append(f"{m.where}: claims Equivalent, but loses points on "
                            f"{', '.join(killed_on)} ("
                            + "; ".join(t["test"] for a in killed_on
                                        for t in entry["results"][a]["tests"])
                            + "): drop its Equivalent line, or fix the solution")
        elif survived_on and not m.equivalent and not m.survives:
            failures.append(f"{m.where}: survives on {', '.join(survived_on)}: the tests no "
                            f"longer catch it")
        entries.append(entry)

    labs = sorted({m.lab for m in mutants if m.name in results})
    lines.append("kill rate (killed/counted per lab and arch; Equivalent mutants not counted):")
    table = {}
    for lab in labs:
        cells = []
        for a in arches:
            k, n = rates.get((lab, a), (0, 0))
            table.setdefault(str(lab), {})[a] = {"killed": k, "counted": n,
                                                 "rate": round(k / n, 4) if n else None}
            cells.append(f"{a} {k}/{n} ({pct(k, n)})" if n else f"{a} -")
            if min_rate is not None and n and k / n < min_rate:
                failures.append(f"lab {lab} on {a}: kill rate {pct(k, n)} is below "
                                f"--min-rate {min_rate:g}")
        lines.append(f"  lab {lab}: " + "   ".join(cells))
    by = {e["name"]: e for e in entries}
    survivors = [m for m in mutants if by.get(m.name, {}).get("status") == "survived"
                 and not m.equivalent and not m.survives]
    gaps = [m for m in mutants if m.survives and m.name in by]
    equivalents = [m for m in mutants if m.equivalent and m.name in by]
    if survivors:
        lines.append("survivors (the tests do not catch these):")
        for m in survivors:
            lines.append(f"  lab{m.lab}/{m.name} [{', '.join(by[m.name]['survived_on'])}]: "
                         f"{m.cls}: {m.why}")
    if gaps:
        lines.append("known gaps (Survives; counted, do not fail the run):")
        for m in gaps:
            state = by[m.name].get("status")
            now = " (now killed: drop its Survives line)" if state == "killed" else ""
            lines.append(f"  lab{m.lab}/{m.name}: {m.cls}: {m.survives}{now}")
    if equivalents:
        lines.append("equivalent (not counted):")
        for m in equivalents:
            lines.append(f"  lab{m.lab}/{m.name}: {m.equivalent}")
    failures = [str(e) for e in errors] + list(baseline_errors) + failures
    if failures:
        lines.append("FAILED:")
        lines += ["  " + f.replace("\n", "\n      ") for f in failures]
    report = {"arches": list(arches), "labs": table, "mutants": entries,
              "errors": [str(e) for e in errors] + list(baseline_errors),
              "failures": failures}
    return report, lines, 1 if failures else 0


# --- the run ------------------------------------------------------------------------------


def run(args):
    catalog = handout.load_catalog(REPO)
    root = os.path.abspath(args.dir)
    arches = tuple(dict.fromkeys(args.arch or ARCHES))
    labs = set(args.lab) if args.lab else None
    for lab in labs or ():
        if str(lab) not in catalog["labs"]:
            print(f"mutants: no lab {lab} in labs/catalog.json", file=sys.stderr)
            return 2
    names = set(args.mutants.split(",")) - {""} if args.mutants else None
    mutants, errors = load(root, catalog, labs, names)
    for n in sorted((names or set()) - {m.name for m in mutants}):
        if not any(f"/{n}.patch" in str(e) for e in errors):
            errors.append(MutantError(f"{display(root)}:1: no mutant named {n} "
                                      f"(lab<N>/{n}.patch)"))
    out = os.path.abspath(args.out)
    subs = os.path.join(out, "submissions")
    cache = {}
    ready = []
    for m in mutants:
        try:
            prepare(m, catalog, os.path.join(subs, m.name), cache)
            ready.append(m)
        except MutantError as e:
            errors.append(e)
    for e in errors:
        print(f"mutants: refused: {e}" if not args.check else e, file=sys.stderr)
    if args.check:
        print(f"mutants: {len(ready)} of {len(ready) + len(errors)} valid "
              f"({', '.join(f'lab {n}: {c}' for n, c in count_by_lab(ready))})")
        return 1 if errors else 0

    gradable = [m for m in ready if m.arches(arches)]
    if args.sample is not None:
        chosen = sample([m for m in gradable if m.kind == "counted"], args.sample, args.seed)
    else:
        chosen = gradable
    if not chosen and not errors:
        print("mutants: nothing to grade", file=sys.stderr)
        return 2
    jobs = args.jobs
    trees_root = os.path.abspath(args.trees or os.path.join(out, "trees"))
    trees = queue.Queue()
    for k in range(jobs):
        trees.put(os.path.join(trees_root, f"worker{k}"))
    make_jobs = max(1, (os.cpu_count() or 1) // (jobs * len(arches)))
    print(f"mutants: {len(chosen)} of {len(gradable)} mutants on {', '.join(arches)}"
          + (f" (sample of {args.sample}{', seed ' + args.seed if args.seed else ''})"
             if args.sample is not None else "")
          + f", {jobs} at a time; results in {display(out)}/", flush=True)

    def on_tree(fn, *a):
        tree = trees.get()
        try:
            return fn(*a, tree)
        finally:
            trees.put(tree)

    baseline_errors, broken = [], set()
    start = time.monotonic()
    chosen_labs = sorted({m.lab for m in chosen})
    if not args.no_baseline and chosen_labs:
        def base(lab, tree):
            lab_arches = [a for a in arches if any(m.lab == lab and a in m.arches(arches)
                                                   for m in chosen)]
            r = grade_in_child(f"solution-lab{lab}", lab, lab_arches,
                               os.path.join(subs, f"solution-lab{lab}"),
                               os.path.join(out, "runs", f"solution-lab{lab}"), tree, make_jobs)
            return lab, lab_arches, r
        for lab in chosen_labs:
            copy_solution(catalog, lab, os.path.join(subs, f"solution-lab{lab}"))
        with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
            for lab, lab_arches, r in pool.map(lambda lab: on_tree(base, lab), chosen_labs):
                lost = verdicts(r, lab_arches)
                bad = r.get("invalid") or r.get("error") or "; ".join(
                    f"{o['test']} [{a}] {o['score']}/{o['max_score']}"
                    for a in lab_arches for o in lost[a])
                print(f"  solution of lab {lab}: "
                      + (f"NOT FULL MARKS: {bad}" if bad else "full marks")
                      + f" ({r['seconds']:.1f} s)", flush=True)
                if bad:
                    broken.add(lab)
                    baseline_errors.append(
                        f"lab {lab}: the solution itself does not score full marks ({bad}; "
                        f"see {display(out)}/runs/solution-lab{lab}/): its mutants are not "
                        f"graded")
    base_seconds = time.monotonic() - start
    # Lab by lab: a worker's tree switched to another lab's handout rebuilds
    # that lab's stubs (a second or two), so mutants of one lab go together.
    todo = sorted((m for m in chosen if m.lab not in broken), key=lambda m: m.lab)

    def one(m, tree):
        ma = m.arches(arches)
        r = grade_in_child(m.name, m.lab, ma, os.path.join(subs, m.name),
                           os.path.join(out, "runs", m.name), tree, make_jobs)
        lost = verdicts(r, ma)
        return m, {"arches": ma, "killed": lost, "seconds": r["seconds"],
                   **{k: r[k] for k in ("invalid", "error") if k in r}}

    results = {}
    start = time.monotonic()
    with concurrent.futures.ThreadPoolExecutor(max_workers=jobs) as pool:
        futures = [pool.submit(on_tree, one, m) for m in todo]
        for fut in concurrent.futures.as_completed(futures):
            m, r = fut.result()
            results[m.name] = r
            print("  " + progress_line(m, r), flush=True)
    seconds = time.monotonic() - start

    report, lines, status = summarize(mutants, results, arches, errors, args.min_rate,
                                      baseline_errors)
    graded = len(results)
    per = seconds / graded if graded else 0.0
    worker_seconds = sum(r["seconds"] for r in results.values())
    full = len([m for m in ready if m.arches(arches)])
    everything, _ = load(root, catalog)
    full_all = len([m for m in everything if m.arches(arches)])
    timing = (f"time: {graded} mutant{'s' * (graded != 1)} in {seconds:.0f} s ({per:.1f} s per "
              f"mutant at -j {jobs}; "
              f"{worker_seconds / graded if graded else 0:.1f} s each to grade)"
              + (f", after {base_seconds:.0f} s for the solution's baseline"
                 if not args.no_baseline else ""))
    lines.append(timing)
    if graded and full_all != graded:
        lines.append(f"time: a full run ({full_all} mutants on {', '.join(arches)}) would take "
                     f"about {duration(full_all * per)} at -j {jobs}, plus the baseline")
    report.update({"seconds": round(seconds, 1), "seconds_per_mutant": round(per, 1),
                   "baseline_seconds": round(base_seconds, 1), "jobs": jobs,
                   "graded": graded, "in_scope": full, "all_mutants": full_all,
                   "sample": args.sample, "seed": args.seed})
    os.makedirs(out, exist_ok=True)
    with open(os.path.join(out, "report.json"), "w") as f:
        json.dump(report, f, indent=2)
    with open(os.path.join(out, "summary.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")
    print()
    print("\n".join(lines))
    print(f"mutants: {display(out)}/report.json, summary.txt; each grade in "
          f"{display(out)}/runs/<name>/")
    return status


def duration(seconds):
    return f"{seconds:.0f} s" if seconds < 120 else f"{seconds / 60:.0f} min"


def progress_line(m, r):
    if "invalid" in r or "error" in r:
        text = (r.get("invalid") or r.get("error")).splitlines()
        return f"lab{m.lab}/{m.name}: {'INVALID' if 'invalid' in r else 'ERROR'}: " \
               f"{text[0] if text else ''} ({r['seconds']:.1f} s)"
    parts = []
    for a in r["arches"]:
        killers = r["killed"][a]
        parts.append(f"{a} killed by {', '.join(dict.fromkeys(o['test'] for o in killers))}"
                     if killers else f"{a} SURVIVED")
    tag = " [equivalent]" if m.equivalent else " [survives]" if m.survives else ""
    return f"lab{m.lab}/{m.name}{tag}: {'; '.join(parts)} ({r['seconds']:.1f} s)"


def copy_solution(catalog, lab, sub):
    shutil.rmtree(sub, ignore_errors=True)
    for rel in catalog["labs"][str(lab)]["student_files"]:
        os.makedirs(os.path.dirname(os.path.join(sub, rel)), exist_ok=True)
        shutil.copy(os.path.join(REPO, rel), os.path.join(sub, rel))


def count_by_lab(mutants):
    counts = {}
    for m in mutants:
        counts[m.lab] = counts.get(m.lab, 0) + 1
    return sorted(counts.items())


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--lab", action="append", help="only these labs' mutants: n or n,m "
                                                   "(repeatable)")
    ap.add_argument("--arch", action="append", choices=ARCHES)
    ap.add_argument("--mutants", help="only these mutants: name,name")
    ap.add_argument("--sample", type=int, metavar="K", help="grade K mutants, the same K "
                                                            "every run, spread over the labs")
    ap.add_argument("--seed", default="", help="another sample (e.g. the week number)")
    ap.add_argument("-j", "--jobs", type=int, default=max(1, (os.cpu_count() or 1) // 2),
                    help="mutants graded at once (default: one per two cores)")
    ap.add_argument("--min-rate", type=float, metavar="R",
                    help="fail when a lab's kill rate on an arch is below R (0..1)")
    ap.add_argument("--out", default=DEFAULT_OUT, help="default: build/mutants")
    ap.add_argument("--trees", help="the workers' trees (default: OUT/trees)")
    ap.add_argument("--dir", default=MUTANTS_DIR, help="the mutants (default: labs/mutants)")
    ap.add_argument("--no-baseline", action="store_true",
                    help="do not grade the unchanged solution first")
    ap.add_argument("--check", action="store_true", help="only check the mutants' files")
    ap.add_argument("--grade-one", metavar="SPEC", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    try:
        args.lab = [int(n) for v in args.lab or () for n in v.split(",") if n.strip()]
    except ValueError:
        ap.error(f"--lab takes lab numbers (n or n,m), not {' '.join(args.lab)}")
    if args.grade_one:
        return grade_child(args.grade_one)
    if args.jobs < 1:
        ap.error("-j needs at least 1")
    if args.sample is not None and args.sample < 1:
        ap.error("--sample needs at least 1")
    if args.min_rate is not None and not 0 <= args.min_rate <= 1:
        ap.error("--min-rate is a fraction between 0 and 1, e.g. 0.95")
    return run(args)


if __name__ == "__main__":
    sys.exit(main())
