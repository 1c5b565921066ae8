#!/usr/bin/env python3
"""make check: the tree's static checks, all of which must be clean.

    tools/check.py [--full] [format] [cppcheck] [tidy]     (make check [FULL=1])

  format    clang-format: every C file is formatted as .clang-format says
            (`make format` rewrites them)
  cppcheck  each arch's kernel sources (warnings, portability, performance)
  tidy      clang-tidy with .clang-tidy's checks on each arch's kernel C
            sources, with the compile commands of its LLVM=1 build (make
            prints them; nothing is built)

Without a step name all three run. Exit status: 0 clean, 1 a finding,
2 a tool is missing or failed.

A run checks only what changed since the last one. Results are kept in
build/check/, one per file, under a key made of everything that can change
the verdict: the file's bytes; the bytes of every header it can include
(each #include looked up in the file's own directory and in every include
directory of the command, not only the first that has it, and so on
through those headers); the tool's version and binary; its options and
configuration files (.clang-format, .clang-tidy); for clang-tidy the
compile command; and this script. A file whose key is unchanged is not
checked again: its result is replayed, a failure as a failure. Each step
says how many files it checked and how many came from the cache. A result
is kept only if the file and its headers still have the bytes they had
when the check began (an edit during the run is checked next time).
--full (make check FULL=1, what CI runs) first drops the cache.

cppcheck also analyses across files (a null pointer passed to a function in
another file), so its verdict depends on all of an arch's files at once:
when any of them changed, cppcheck runs over all of them with its own
build directory (build/check/cppcheck-<arch>), which re-analyses only the
files whose preprocessed text changed and then redoes the cross-file step.
"""
import argparse
import concurrent.futures
import fcntl
import hashlib
import json
import os
import re
import shlex
import shutil
import subprocess
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CACHE = os.path.join(ROOT, "build", "check")
ARCHES = ("x86_64", "aarch64")
FORMAT_DIRS = ("arch", "boot", "include", "kernel", "lib", "mm", "tests", "user")
CPPCHECK_DIRS = ("boot", "lib", "mm", "kernel")      # and arch/<arch>
JOBS = os.cpu_count() or 2

# comparePointers: subtracting linker symbols (__kernel_end - __kernel_start)
# is how a kernel measures its own sections. staticStringCompare: the string
# tests compare literals on purpose. internalAstError: cppcheck 2.10 cannot
# parse `read_sysreg(x) | bit` (a GNU statement expression).
CPPCHECK_OPTIONS = [
    "--quiet", "--error-exitcode=1", "--enable=warning,portability,performance",
    "--inline-suppr", "--suppress=comparePointers",
    "--suppress=staticStringCompare:lib/string_test.c",
    "--suppress=internalAstError:arch/aarch64/mmu.c",
    "--std=c11", "--platform=unix64", "--template={file}:{line}: {severity}: {message} [{id}]",
]

# An #include of a name in quotes or brackets; anything else after #include
# (a macro) cannot be followed, so such a file is never taken from the cache.
INCLUDE_RE = re.compile(rb'^[ \t]*#[ \t]*include(?:_next)?[ \t]*(?:"([^"\n]*)"|<([^>\n]*)>|(.*))$',
                        re.M)
# A finding as the tools print it: file:line:col: severity: text
FINDING_RE = re.compile(r"^(?P<file>[^\s:][^:]*):(?P<line>\d+):(?:\d+:)? (?:warning|error): ")
CPPCHECK_FINDING_RE = re.compile(r"^([^\s:][^:]*):\d+: ")


# This script is part of every key: a change to how it checks re-checks all.
with open(os.path.abspath(__file__), "rb") as _self:
    SELF = hashlib.sha256(_self.read()).hexdigest()


class ToolError(Exception):
    """A tool is missing or did not give a verdict."""


def sha(data):
    return hashlib.sha256(data).hexdigest()


def digest(*parts):
    return sha(json.dumps(parts, sort_keys=True).encode())


class Sources:
    """The bytes of the tree's files and the headers each can include, read
    once per run. Paths are relative to ROOT unless outside it."""

    def __init__(self):
        self._data, self._includes, self._closure = {}, {}, {}

    def data(self, path):
        if path not in self._data:
            try:
                with open(os.path.join(ROOT, path), "rb") as f:
                    self._data[path] = f.read()
            except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
                self._data[path] = None
        return self._data[path]

    def includes(self, path):
        """The names `path` includes, or None if one is not a plain name."""
        if path not in self._includes:
            names = []
            for m in INCLUDE_RE.finditer(self.data(path) or b""):
                name = m.group(1) or m.group(2)
                if name is None:
                    names = None
                    break
                names.append(name.decode("utf-8", "replace"))
            self._includes[path] = names
        return self._includes[path]

    def closure(self, path, dirs):
        """{path: hash} of `path` and of every header it can reach through
        `dirs` (a name found nowhere is kept as '?name', so that it
        appearing later changes the key); None if it cannot be followed."""
        memo = (path, dirs)
        if memo not in self._closure:
            seen, todo = {}, [path]
            while todo:
                p = todo.pop()
                if p in seen:
                    continue
                data = self.data(p)
                seen[p] = sha(data) if data is not None else "missing"
                names = self.includes(p) if data is not None else []
                if names is None:
                    seen = None
                    break
                for name in names:
                    found = [c for c in (os.path.normpath(os.path.join(d, name))
                                         for d in (os.path.dirname(p) or ".",) + dirs)
                             if self.data(c) is not None]
                    todo += found
                    if not found:
                        seen["?" + name] = ""
            self._closure[memo] = seen
        return self._closure[memo]

    def configs(self, path, names):
        """{path: hash} of each configuration file named `names` from the
        directory of `path` up to ROOT (the tools look for the nearest)."""
        found, d = {}, os.path.dirname(path)
        while True:
            for n in names:
                c = os.path.join(d, n) if d else n
                if self.data(c) is not None:
                    found[c] = sha(self.data(c))
            if not d:
                return found
            d = os.path.dirname(d)


def tool_id(name):
    """What identifies the tool's behaviour: its binary and its version."""
    path = shutil.which(name)
    if path is None:
        raise ToolError(f"{name} is missing: run `make deps`")
    real = os.path.realpath(path)
    st = os.stat(real)
    version = subprocess.run([path, "--version"], capture_output=True, text=True).stdout
    return [real, st.st_size, st.st_mtime_ns, version.strip()]


class Cache:
    """build/check/<name>.json: the last result of each file of a step."""

    def __init__(self, name, full):
        self.path = os.path.join(CACHE, name + ".json")
        self.entries = {}
        if not full:
            try:
                with open(self.path) as f:
                    self.entries = json.load(f)
            except (FileNotFoundError, ValueError):
                pass

    def save(self):
        os.makedirs(CACHE, exist_ok=True)
        tmp = self.path + ".tmp"
        with open(tmp, "w") as f:
            json.dump(self.entries, f, indent=0, sort_keys=True)
        os.replace(tmp, self.path)


def tree_files(dirs, suffixes):
    found = []
    for top in dirs:
        for dirpath, dirnames, filenames in os.walk(os.path.join(ROOT, top)):
            dirnames[:] = [d for d in dirnames if d != "build"]
            rel = os.path.relpath(dirpath, ROOT)
            found += [os.path.join(rel, f) for f in filenames if f.endswith(suffixes)]
    return sorted(found)


def run(argv, **kw):
    try:
        return subprocess.run(argv, cwd=ROOT, capture_output=True, text=True, **kw)
    except OSError as e:
        raise ToolError(f"{argv[0]}: {e}")


class Step:
    """One tool over a set of files whose verdicts are per file: which files
    need checking (their key changed), then the findings of all."""

    def __init__(self, title, name, files, keys, full):
        self.title, self.files, self.keys = title, files, keys
        self.cache = Cache(name, full)
        self.old = self.cache.entries.get("files", {})
        self.todo = [f for f in files if keys[f] is None or self.old.get(f, {}).get("key") != keys[f]]
        self.report = []                # the findings, as printed
        self.failed = set()             # the files with findings

    def collect(self, fresh, now):
        """fresh: {file: (ok, findings)} of the files checked; now: their keys
        after the check. Keeps a result only if its key still holds."""
        kept = {}
        for f in self.files:
            entry = self.old[f] if f not in fresh else {
                "key": self.keys[f], "ok": fresh[f][0], "report": fresh[f][1]}
            if not entry["ok"]:
                self.failed.add(f)
                self.report += entry["report"]
            if entry["key"] is not None and now.get(f) == entry["key"]:
                kept[f] = entry
        self.report = sorted(set(self.report))
        self.cache.entries = {"files": kept}
        self.cache.save()

    def summary(self):
        return (f"check: {self.title}: {len(self.files)} files, {len(self.todo)} checked, "
                f"{len(self.files) - len(self.todo)} from the cache")


# --- clang-format ---------------------------------------------------------------------


def format_keys(src, tool, files):
    return {f: digest("format", SELF, tool, src.configs(f, (".clang-format", "_clang-format")),
                      sha(src.data(f) or b"")) for f in files}


def format_check(todo):
    """clang-format --dry-run over the files, in one process per core; a
    file is unformatted when clang-format names it."""
    chunks = [todo[i::JOBS] for i in range(JOBS) if todo[i::JOBS]]
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        procs = list(pool.map(lambda c: (c, run(["clang-format", "--dry-run", "-Werror",
                                                 "--style=file", *c])), chunks))
    results = {}
    for chunk, p in procs:
        first = {}
        for line in p.stderr.splitlines():
            m = FINDING_RE.match(line)
            if m and m.group("file") in chunk:
                first.setdefault(m.group("file"), m.group("line"))
        if p.returncode != 0 and not first:
            raise ToolError(f"clang-format failed (status {p.returncode}):\n{p.stderr}")
        for f in chunk:
            results[f] = (f not in first, [f"not formatted: {f} (from line {first[f]})"]
                          if f in first else [])
    return results


def step_format(full):
    tool = tool_id("clang-format")
    files = tree_files(FORMAT_DIRS, (".c", ".h"))
    step = Step("clang-format", "format", files, format_keys(Sources(), tool, files), full)
    fresh = format_check(step.todo) if step.todo else {}
    step.collect(fresh, format_keys(Sources(), tool, files))
    if step.failed:
        step.report.append("run 'make format' to format them")
    return step


# --- cppcheck -------------------------------------------------------------------------


def cppcheck_keys(src, tool, arch, files):
    dirs = ("include", ".", f"arch/{arch}/include")
    keys = {}
    for f in files:
        deps = src.closure(f, dirs)
        keys[f] = None if deps is None else digest("cppcheck", SELF, tool, arch,
                                                   CPPCHECK_OPTIONS, deps)
    return keys


def step_cppcheck(arch, full):
    """Not per file (see the top): the arch's verdict is replayed only when
    no file's key changed and no file came or went."""
    tool = tool_id("cppcheck")
    files = tree_files(CPPCHECK_DIRS + (f"arch/{arch}",), (".c",))
    name = f"cppcheck-{arch}"
    step = Step(f"cppcheck ({arch})", name, files, cppcheck_keys(Sources(), tool, arch, files),
                full)
    last = step.cache.entries
    if step.todo or sorted(step.old) != files:
        builddir = os.path.join(CACHE, name)
        if full:
            shutil.rmtree(builddir, ignore_errors=True)
        os.makedirs(builddir, exist_ok=True)
        p = run(["cppcheck", *CPPCHECK_OPTIONS, f"--cppcheck-build-dir={builddir}",
                 f"-j{JOBS}", "-I", "include", "-I", ".", "-I", f"arch/{arch}/include",
                 f"-D__{arch}__", *files])
        if p.returncode not in (0, 1):
            raise ToolError(f"cppcheck ({arch}) failed (status {p.returncode}):\n"
                            f"{p.stdout}{p.stderr}")
        findings = sorted({ln for ln in (p.stdout + p.stderr).splitlines() if ln.strip()})
        now = cppcheck_keys(Sources(), tool, arch, files)
        last = {"files": {f: {"key": k} for f, k in step.keys.items()
                          if k is not None and now[f] == k},
                "ok": p.returncode == 0 and not findings, "report": findings}
        step.cache.entries = last
        step.cache.save()
    if not last["ok"]:
        step.report = last["report"] or ["cppcheck failed without a finding"]
        step.failed = {m.group(1) for m in map(CPPCHECK_FINDING_RE.match, step.report) if m} \
            or {name}
    return step


# --- clang-tidy -----------------------------------------------------------------------


def compile_commands(arch):
    """[(source, argv)] of the arch's kernel C sources, as make would build
    them with LLVM=1 (make prints them and builds nothing)."""
    p = run(["make", "--no-print-directory", "-s", f"ARCH={arch}", "LLVM=1",
             "print-compile-commands"])
    if p.returncode != 0:
        raise ToolError(f"make print-compile-commands ({arch}) failed:\n{p.stdout}{p.stderr}")
    cmds = []
    for line in p.stdout.splitlines():
        argv = shlex.split(line)
        if "-c" in argv:
            cmds.append((argv[argv.index("-c") + 1], argv))
    if not cmds:
        raise ToolError(f"make print-compile-commands ({arch}) printed no command")
    return cmds


def include_dirs(argv):
    """The directories a compile command searches for headers, in order, and
    the files it includes with -include."""
    dirs, forced = [], []
    flags = ("-I", "-iquote", "-isystem", "-idirafter")
    for i, a in enumerate(argv):
        for flag in flags + ("-include",):
            if a == flag and i + 1 < len(argv):
                value = argv[i + 1]
            elif a.startswith(flag) and a != flag and flag in flags:
                value = a[len(flag):]
            else:
                continue
            value = os.path.normpath(os.path.relpath(value, ROOT) if os.path.isabs(value)
                                     and value.startswith(ROOT + os.sep) else value)
            (forced if flag == "-include" else dirs).append(value)
            break
    return tuple(dirs), forced


def tidy_keys(src, tool, arch, cmds):
    keys = {}
    for f, argv in cmds:
        dirs, forced = include_dirs(argv)
        deps = [src.closure(p, dirs) for p in [f] + forced]
        command = [a.replace(ROOT, ".") for a in argv]
        keys[f] = None if None in deps else digest(
            "tidy", SELF, tool, arch, command, deps,
            src.configs(f, (".clang-tidy",)))
    return keys


def write_compile_db(arch, cmds):
    """build/check/tidy-<arch>/compile_commands.json, clang-tidy's input."""
    db = os.path.join(CACHE, f"tidy-{arch}")
    os.makedirs(db, exist_ok=True)
    text = json.dumps([{"directory": ROOT, "file": f, "arguments": argv} for f, argv in cmds],
                      indent=1)
    path = os.path.join(db, "compile_commands.json")
    try:
        with open(path) as f:
            if f.read() == text:
                return db
    except FileNotFoundError:
        pass
    with open(path, "w") as f:
        f.write(text)
    return db


def tidy_one(arch, db, f):
    """-> (ok, findings) of clang-tidy on one source."""
    p = run(["clang-tidy", "-p", db, "--quiet", f])
    out = (p.stdout + p.stderr).replace(ROOT + "/", "")
    findings = [ln for ln in out.splitlines() if FINDING_RE.match(ln)]
    if p.returncode < 0 or (p.returncode != 0 and not findings):
        raise ToolError(f"clang-tidy {f} ({arch}) failed (status {p.returncode}):\n{out}")
    return p.returncode == 0, findings


def steps_tidy(full, cmds):
    """One step per arch; the files of both arches are checked at once."""
    tool = tool_id("clang-tidy")
    steps, jobs = {}, []
    for arch in ARCHES:
        files = [f for f, _ in cmds[arch]]
        steps[arch] = Step(f"clang-tidy ({arch})", f"tidy-{arch}", files,
                           tidy_keys(Sources(), tool, arch, cmds[arch]), full)
        db = write_compile_db(arch, cmds[arch])
        jobs += [(arch, db, f) for f in steps[arch].todo]
    with concurrent.futures.ThreadPoolExecutor(JOBS) as pool:
        results = list(pool.map(lambda job: (job, tidy_one(*job)), jobs))
    for arch in ARCHES:
        fresh = {f: r for (a, _, f), r in results if a == arch}
        steps[arch].collect(fresh, tidy_keys(Sources(), tool, arch, cmds[arch]))
    return [steps[a] for a in ARCHES]


# --- the run --------------------------------------------------------------------------


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--full", action="store_true",
                    help="drop the cache and check every file (CI)")
    ap.add_argument("steps", nargs="*", metavar="step",
                    help="format, cppcheck or tidy (default: all three)")
    args = ap.parse_args(argv)
    steps = args.steps or ["format", "cppcheck", "tidy"]
    for name in steps:
        if name not in ("format", "cppcheck", "tidy"):
            ap.error(f"unknown step '{name}' (format, cppcheck, tidy)")
    os.makedirs(CACHE, exist_ok=True)
    status = 0
    # One run at a time in a tree: cppcheck's build directory is not shared.
    with open(os.path.join(CACHE, "lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            if "tidy" in steps:             # make, in the background
                with concurrent.futures.ThreadPoolExecutor(2) as pool:
                    cmds = dict(zip(ARCHES, pool.map(compile_commands, ARCHES)))
            for name in steps:
                if name == "format":
                    done = [step_format(args.full)]
                elif name == "cppcheck":
                    # One cppcheck keeps about one core busy, -j or not.
                    with concurrent.futures.ThreadPoolExecutor(len(ARCHES)) as pool:
                        done = list(pool.map(lambda a: step_cppcheck(a, args.full), ARCHES))
                else:
                    done = steps_tidy(args.full, cmds)
                for step in done:
                    print(step.summary(), flush=True)
                    for line in step.report:
                        print("  " + line)
                    if step.failed:
                        status = 1
        except ToolError as e:
            print(f"check: {e}", file=sys.stderr)
            return 2
    print("check: clean" if status == 0 else "check: not clean (the findings above)")
    return status


if __name__ == "__main__":
    sys.exit(main())
