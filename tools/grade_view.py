"""A graded submission's memory beside the reference solution's: OUT/view.html.

After a grade of a SUBMISSION, tools/grade.py boots each arch's kernel
from the submission's tree and from the reference solution's for the same
lab: the lab-n handout with this tree's solution of lab n (not the full
solution, whose later labs change the memory too), kept in
build/grade-reference/lab<n> and updated in place under a lock, so it is
built once and shared by graders running at once; its dump is kept beside
its kernel, so it boots once per kernel, not once per grade. Each boots with `memdump poweroff` (from lab 5 on `memdump=hello poweroff`, with
a user program's space), and writes one viewer page (tools/view.py)
with the two side by side per arch and what differs marked: the mappings
one has and the other lacks, page sizes, table pages, free pages. A
student sees where their page tables differ. The page is advice, never
part of the score: a kernel whose dump cannot be read (it crashed, hung,
or printed something else) is named in a note and left out.
"""

from __future__ import annotations

import concurrent.futures
import fcntl
import hashlib
import os
import pickle
import subprocess

import handout
import harness
import memdump
import view

REFERENCE_TREES = os.path.join(harness.REPO, "build", "grade-reference")

# With a user program's space from lab 5 on, when programs load.
PROGRAM_FROM_LAB = 5
TIMEOUT = 10.0  # seconds per boot, before TIMEOUT_SCALE


def cmdline(lab: int) -> str:
    return "memdump=hello poweroff" if lab >= PROGRAM_FROM_LAB else "memdump poweroff"


def dump_of(arch: str, build: str, log_name: str, timeout: float, lab: int):
    """(the kernel's dump, '') or (None, why not)."""
    try:
        r = harness.boot(arch, cmdline(lab), build=build, timeout=timeout, log_name=log_name)
    except Exception as e:  # QEMU missing, ...
        return None, f"could not boot: {e}"
    if r.timed_out:
        return None, f"the kernel did not finish its dump in {r.timeout:.0f} s"
    try:
        dumps = [d for d in memdump.extract(r.log) if d.arch == arch]
    except memdump.DumpError as e:
        return None, f"its dump cannot be read: {e}"
    if not dumps:
        return None, f"no dump on its console (it stopped before: {os.path.basename(r.log_path)})"
    return dumps[-1], ""


def reference_dumps(lab: int, arches, timeout: float) -> dict:
    """{arch: (dump or None, why not)} of the lab-n handout with this tree's
    solution of lab n, built (in place, only what changed) and booted under
    a lock shared by every grader."""
    catalog = handout.load_catalog(harness.REPO)
    files = {}
    for rel in catalog["labs"][str(lab)]["student_files"]:
        with open(os.path.join(harness.REPO, rel), "rb") as f:
            files[rel] = f.read()
    tree = os.path.join(REFERENCE_TREES, f"lab{lab}")
    os.makedirs(REFERENCE_TREES, exist_ok=True)
    found = {}
    with open(os.path.join(REFERENCE_TREES, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        handout.make_handout(lab, tree, harness.REPO, overrides=files, keep_build=True,
                             seed_build=True)
        for arch in arches:
            p = subprocess.run(["make", "--no-print-directory", f"ARCH={arch}", "all"], cwd=tree,
                               env=harness.make_env(), stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, timeout=600)
            found[arch] = (reference_dump(arch, os.path.join(tree, "build", arch), timeout, lab)
                           if p.returncode == 0 else (None, "the reference solution did not build"))
    return found


def reference_dump(arch: str, build: str, timeout: float, lab: int):
    """dump_of the reference kernel in `build`, booted once per kernel: the
    dump is kept beside it under a key of everything that decides it (the
    kernel's bytes, the command line, how QEMU is started and how the dump
    is read), so each later grade of the lab reads it instead of booting
    the same kernel again. Called under the reference trees' lock."""
    key = hashlib.sha256(repr((arch, cmdline(lab))).encode())
    for path in (os.path.join(build, "duet.elf"), harness.__file__, memdump.__file__,
                 os.path.join(harness.REPO, "tools", "qemu.py")):
        with open(path, "rb") as f:
            key.update(f.read())
    kept = os.path.join(build, "reference-dump.pickle")
    try:
        with open(kept, "rb") as f:
            saved_key, dump = pickle.load(f)
        if saved_key == key.hexdigest():
            return dump, ""
    except (OSError, EOFError, pickle.UnpicklingError, ValueError, TypeError):
        pass
    dump, why = dump_of(arch, build, f"view-{arch}-reference", timeout, lab)
    if dump is not None:
        with open(kept + ".tmp", "wb") as f:
            pickle.dump((key.hexdigest(), dump), f)
        os.replace(kept + ".tmp", kept)
    return dump, why


def write(out: str, lab: int, tree: str, arches, timeout: float, submission_hung=False):
    """Write OUT/view.html; -> (its path or None, [notes])."""

    def one(arch):
        if submission_hung:
            sub = (None, "a run of this grade hung, so its kernel is not booted again")
        else:
            sub = dump_of(arch, os.path.join(tree, "build", arch), f"view-{arch}-submission",
                          timeout, lab)
        return arch, sub

    # The reference tree builds while the submission's kernels boot.
    with concurrent.futures.ThreadPoolExecutor(max_workers=len(arches) + 1) as pool:
        refs = pool.submit(reference_dumps, lab, arches, timeout)
        subs = list(pool.map(one, arches))
        references = refs.result()
    found = [(arch, sub, references[arch]) for arch, sub in subs]
    dumps, labels, compare, notes = [], [], [], []
    for arch, (sub, why_sub), (ref, why_ref) in found:
        if why_sub:
            notes.append(f"view: {arch}: your kernel: {why_sub}")
        if why_ref:
            notes.append(f"view: {arch}: the reference solution: {why_ref}")
        if sub and ref:
            compare.append([len(dumps), len(dumps) + 1])
        for d, label in ((sub, "your kernel"), (ref, "the reference solution")):
            if d:
                dumps.append(d)
                labels.append(f"{arch}: {label}")
    if not dumps:
        return None, notes
    path = os.path.join(out, "view.html")
    with open(path, "w") as f:
        f.write(view.page(dumps, "make grade: your kernel beside the reference solution, "
                                 f"booted with `{cmdline(lab)}`", labels, compare))
    return path, notes
