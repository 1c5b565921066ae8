#!/usr/bin/env python3
"""Make a student tree for one lab from the solution tree.

    tools/handout.py LAB [--out DIR] [--src DIR]      (make handout LAB=n [OUT=dir])

Solution code sits between markers, in C and in assembly alike (the
assembler runs the C preprocessor, so C comments work in .S files):

    int vm_translate(struct vm_space *s, vaddr_t va, struct vm_translation *out)
    {
        /* LAB 3 BEGIN: vm_translate */
        /* LAB 3 STUB: return VM_ERR_NOT_IMPLEMENTED; */
        ...the solution...
        /* LAB 3 END */
    }

- `LAB n BEGIN: name` opens a region of lab n; `name` (what the student
  writes, usually the function) is required. `LAB n END` closes it.
- `LAB n STUB: code` lines, anywhere inside the region, are the stub: the
  code that replaces the region in the handouts of lab n and earlier, one
  line each, indented like the BEGIN line. They let the author write a stub
  that compiles and degrades clearly in context (return an error, print and
  go on). Without a STUB line the stub is
      panic("lab n: not implemented: name");
  A handout must pass `make check` untouched, so a stub is written as
  .clang-format formats it: a statement too long for one line goes on
  several STUB lines, and spaces after the one that follows `STUB:` are
  kept, to indent a continuation line:
      /* LAB 4 STUB: map_segment("the kernel image", __kernel_start, __boot_tables_start, */
      /* LAB 4 STUB:             VM_READ | VM_WRITE | VM_EXEC); */
  (tests/test_static_checks.py formats every handout's stubs.)
- `//` comments work the same way as `/* */` ones.

The handout of lab n replaces the regions of lab n and every later lab
with their stubs, each preceded by a `LAB n TODO: name` comment that
points at the handout; earlier labs keep their solutions (and their
markers). Everything else is copied, except .git, build/ and the paths
the catalogue (labs/catalog.json, "handout_exclude") leaves out; and
.github/classroom-lab says n, for GitHub Classroom's workflow.

Unbalanced or nested markers, a STUB outside a region, a BEGIN without a
name, or an END whose number differs from its BEGIN are refused with the
file and line; nothing is written then.
"""
import argparse
import fnmatch
import json
import os
import re
import shutil
import sys
import time

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))

# Files the generator reads for markers. Others are copied byte for byte.
MARKED_SUFFIXES = (".c", ".h", ".S", ".s", ".lds")
MARKER_RE = re.compile(r"^(?P<indent>\s*)(?:/\*|//)\s*LAB\s+(?P<lab>\d+)\s+"
                       r"(?P<kind>BEGIN|END|STUB|TODO)\b\s*(?::[ ]?)?(?P<text>.*?)\s*(?:\*/)?\s*$")
# Anything that looks like a marker but does not parse is refused too.
LOOSE_RE = re.compile(r"(?:/\*|//)\s*LAB\s+\d+\s+(?:BEGIN|END|STUB)\b")
CLASSROOM_LAB_FILE = ".github/classroom-lab"
ALWAYS_EXCLUDED = (".git", "build", "compile_commands.json", "__pycache__", ".pytest_cache")


class MarkerError(Exception):
    """A marker problem, as 'file:line: message'."""


class Region:
    def __init__(self, path, lab, name, begin_line, indent):
        self.path, self.lab, self.name = path, lab, name
        self.begin_line, self.end_line, self.indent = begin_line, 0, indent
        self.stub = []                  # the author's STUB lines (code only)
        self.body = []                  # the solution lines between BEGIN and END

    def stub_lines(self, handout_doc):
        """The lines that replace the region in a handout."""
        ind = self.indent
        where = f" (see {handout_doc})" if handout_doc else ""
        lines = [f"{ind}/* LAB {self.lab} TODO: {self.name}{where} */\n"]
        code = self.stub or [f'panic("lab {self.lab}: not implemented: {self.name}");']
        return lines + [f"{ind}{c}\n" if c.strip() else "\n" for c in code]


def parse(path, text, rel=None):
    """-> (lines, regions) of one file; raises MarkerError on a bad marker."""
    rel = rel or path
    lines = text.splitlines(keepends=True)
    regions, open_region = [], None
    for no, line in enumerate(lines, 1):
        m = MARKER_RE.match(line)
        if not m:
            if LOOSE_RE.search(line):
                raise MarkerError(f"{rel}:{no}: a LAB marker must be alone on its line "
                                  f"(/* LAB n BEGIN: name */, /* LAB n STUB: code */, "
                                  f"/* LAB n END */)")
            if open_region:
                open_region.body.append(line)
            continue
        lab, kind, text_ = int(m.group("lab")), m.group("kind"), m.group("text")
        if kind != "STUB":                  # a STUB keeps its continuation indent
            text_ = text_.lstrip()
        if kind == "BEGIN":
            if open_region:
                raise MarkerError(f"{rel}:{no}: LAB {lab} BEGIN inside the LAB {open_region.lab} "
                                  f"region '{open_region.name}' opened at line "
                                  f"{open_region.begin_line}: regions cannot nest")
            if not text_:
                raise MarkerError(f"{rel}:{no}: LAB {lab} BEGIN needs a name: "
                                  f"/* LAB {lab} BEGIN: function_name */")
            open_region = Region(rel, lab, text_, no, m.group("indent"))
        elif kind == "END":
            if not open_region:
                raise MarkerError(f"{rel}:{no}: LAB {lab} END without a BEGIN")
            if lab != open_region.lab:
                raise MarkerError(f"{rel}:{no}: LAB {lab} END closes the LAB {open_region.lab} "
                                  f"region opened at line {open_region.begin_line}")
            open_region.end_line = no
            regions.append(open_region)
            open_region = None
        elif kind == "STUB":
            if not open_region or lab != open_region.lab:
                raise MarkerError(f"{rel}:{no}: LAB {lab} STUB outside a LAB {lab} region")
            open_region.stub.append(text_)
        elif open_region:                   # a TODO line: a handout fed back in
            raise MarkerError(f"{rel}:{no}: LAB {lab} TODO inside a region")
    if open_region:
        raise MarkerError(f"{rel}:{open_region.begin_line}: LAB {open_region.lab} BEGIN "
                          f"'{open_region.name}' is never closed (no LAB {open_region.lab} END)")
    return lines, regions


def transform(lines, regions, lab, docs):
    """The file's text with the regions of `lab` and later replaced by stubs."""
    out, i = [], 0
    for r in regions:
        out += lines[i:r.begin_line - 1]
        if r.lab >= lab:
            out += r.stub_lines(docs.get(r.lab, ""))
        else:
            out += lines[r.begin_line - 1:r.end_line]
        i = r.end_line
    return "".join(out + lines[i:])


def load_catalog(src):
    with open(os.path.join(src, "labs", "catalog.json")) as f:
        return json.load(f)


def excluded(rel, patterns):
    parts = rel.split("/")
    if parts[0] in ALWAYS_EXCLUDED or "__pycache__" in parts:
        return True
    return any(fnmatch.fnmatch(rel, p) or rel == p.rstrip("/") or rel.startswith(p.rstrip("/*") + "/")
               for p in patterns)


def tree_files(src, patterns):
    """Every file of the tree the handout may hold, relative to src, sorted."""
    found = []
    for dirpath, dirnames, filenames in os.walk(src):
        reldir = os.path.relpath(dirpath, src)
        reldir = "" if reldir == "." else reldir + "/"
        dirnames[:] = sorted(d for d in dirnames if not excluded(reldir + d, patterns))
        found += [reldir + f for f in filenames if not excluded(reldir + f, patterns)]
    return sorted(found)


def scan(src, files):
    """{rel: (lines, regions)} of every marked source; raises MarkerError."""
    parsed = {}
    for rel in files:
        if not rel.endswith(MARKED_SUFFIXES):
            continue
        with open(os.path.join(src, rel), encoding="utf-8", errors="surrogateescape") as f:
            text = f.read()
        if "LAB" not in text:
            continue
        parsed[rel] = parse(rel, text)
    return parsed


def make_handout(lab, out, src=REPO, overrides=None, keep_build=False, seed_build=False):
    """Write the lab-`lab` student tree to `out`; returns the replaced regions.

    overrides: {rel: bytes} written instead of the handout's file (the
    grader's copy of a student's files). keep_build: update an existing
    tree in place instead of starting afresh: its build/ stays, files whose
    content is unchanged keep their time stamps, changed ones get a new one,
    and files no longer in the handout go; so make rebuilds only what
    differs from the last tree written there (tools/grade.py grades one
    submission after another in the same tree this way). seed_build: a
    tree written afresh starts from `src`'s kernel builds (seed_from_source),
    a kept one takes each of `src`'s objects its content allows
    (reuse_source_objects).
    """
    catalog = load_catalog(src)
    labs = {int(k): v for k, v in catalog["labs"].items()}
    if lab not in labs:
        raise SystemExit(f"handout: no lab {lab} in labs/catalog.json (labs: "
                         f"{', '.join(map(str, sorted(labs)))})")
    docs = {n: v.get("handout", "") for n, v in labs.items()}
    files = tree_files(src, catalog.get("handout_exclude", []))
    parsed = scan(src, files)                   # every marker checked before anything is written
    overrides = dict(overrides or {})
    # The lab a GitHub Classroom template made from this handout grades
    # (.github/workflows/classroom.yml).
    overrides.setdefault(CLASSROOM_LAB_FILE, f"{lab}\n".encode())
    out = os.path.abspath(out)
    if os.path.abspath(src) == out or os.path.abspath(src).startswith(out + os.sep):
        raise SystemExit(f"handout: refusing to write over the source tree ({out})")
    if os.path.exists(out) and not keep_build:
        shutil.rmtree(out)
    fresh = not os.path.exists(out)
    stale = set(tree_files(out, [])) if os.path.isdir(out) else set()
    replaced = []
    for rel in files:
        dst = os.path.join(out, rel)
        stale.discard(rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        data = overrides.pop(rel, None)
        if data is None and rel in parsed:
            lines, regions = parsed[rel]
            data = transform(lines, regions, lab, docs).encode("utf-8", "surrogateescape")
            replaced += [r for r in regions if r.lab >= lab]
        _put(os.path.join(src, rel), dst, data)
    for rel, data in overrides.items():         # a file the handout does not have
        stale.discard(rel)
        dst = os.path.join(out, rel)
        os.makedirs(os.path.dirname(dst), exist_ok=True)
        _put(None, dst, data)
    for rel in stale:
        os.remove(os.path.join(out, rel))
    if fresh and seed_build:
        seed_from_source(src, out, files)
    elif seed_build:
        reuse_source_objects(src, out)
    return replaced


# What a seeded tree takes of the source's build: each arch's kernel build,
# but not its compile_commands.json, which names the source's directory.
# (The objects' own compile-command fragments name it too: clang tools run
# in a graded tree would be pointed at the source's files. Nothing does.)
SEED_BUILDS = ("x86_64", "aarch64")
SEED_SKIP = ("compile_commands.json",)


def seed_from_source(src, out, files):
    """Give a tree just written the source's kernel objects, so that make
    there compiles only the files that differ from the source's (the stubs,
    a student's files: a dozen files a lab, instead of both kernels from
    nothing). Every file whose content is the source's takes the source's
    time stamp, so the source's objects are as new against it as they are
    in the source; every other file was just written, newer than any
    object, and is compiled. Only for a tree written afresh: in a tree that
    held other content, an old time stamp would hide a change from make.
    The flags' record in each build (Makefile) decides the rest: another
    compiler or other flags and make rebuilds everything, as in the source."""
    for rel in files:
        mine, theirs = os.path.join(out, rel), os.path.join(src, rel)
        if os.path.islink(mine) or not os.path.isfile(mine):
            continue
        if same_content(mine, theirs):
            shutil.copystat(theirs, mine)
    for arch in SEED_BUILDS:
        built = os.path.join(src, "build", arch)
        if os.path.isdir(built):
            shutil.copytree(built, os.path.join(out, "build", arch), symlinks=True,
                            ignore=shutil.ignore_patterns(*SEED_SKIP))
    # The host test binaries too, with their time stamps: each depends only
    # on the files it reads (mk/host.mk), so make rebuilds those the stubs
    # or a student's files touch, and no other.
    for name, _ in host_binaries(src):
        os.makedirs(os.path.join(out, HOST_BUILD), exist_ok=True)
        for f in (name, name + ".d"):
            shutil.copy2(os.path.join(src, HOST_BUILD, f), os.path.join(out, HOST_BUILD, f))


HOST_BUILD = os.path.join("build", "host")


def host_binaries(tree):
    """[(name, its .d file)] of the host test binaries built in `tree`."""
    host = os.path.join(tree, HOST_BUILD)
    if not os.path.isdir(host):
        return []
    return [(name[:-2], os.path.join(host, name)) for name in sorted(os.listdir(host))
            if name.startswith("test_") and name.endswith(".d")
            and os.path.isfile(os.path.join(host, name[:-2]))]


def same_content(a, b):
    """Whether files a and b hold the same bytes."""
    with open(a, "rb") as fa, open(b, "rb") as fb:
        return fa.read() == fb.read()


def _put(src_path, dst, data):
    """Write `data` (or copy src_path) to dst unless dst already holds exactly
    that: an untouched file keeps its time stamp, so make leaves it alone."""
    if data is None and os.path.islink(src_path):
        if os.path.lexists(dst):
            os.remove(dst)
        os.symlink(os.readlink(src_path), dst)
        return
    if data is None:
        with open(src_path, "rb") as f:
            data = f.read()
    if os.path.isfile(dst) and not os.path.islink(dst):
        with open(dst, "rb") as f:
            if f.read() == data:
                if src_path:
                    shutil.copymode(src_path, dst)
                return
    if os.path.lexists(dst):
        os.remove(dst)
    with open(dst, "wb") as f:
        f.write(data)
    if src_path:
        shutil.copymode(src_path, dst)


def dependencies(d_file):
    """The files a make dependency file (gcc -MMD, or -MM -MP for the host
    binaries' two sources) names for its target, its first rule's: the unit
    first, then the headers; each rule for that target counts (the host
    binaries' second source), the empty rules of -MP do not."""
    with open(d_file) as f:
        rules = f.read().replace("\\\n", " ").splitlines()
    found, target = [], None
    for rule in rules:
        name, colon, deps = rule.partition(":")
        if not colon:
            continue
        if target is None:
            target = name.strip()
        if name.strip() == target:
            found += [os.path.normpath(dep) for dep in deps.split()]
    return found


def up_to_date(target, sources):
    """Whether make would leave `target` alone: it exists and no source is newer."""
    try:
        built = os.path.getmtime(target)
        return all(os.path.getmtime(path) <= built for path in sources)
    except OSError:
        return False


def reuse_source_objects(src, out):
    """In a kept tree, take the source's object for every unit whose own
    content and whose every header's content are the source's, where the
    source's object is up to date: it is what compiling it here would give
    (the same flags: each build's flag record must match, or nothing is
    taken). Time stamps cannot say so: a header changed in the source and
    written here since is newer than every object here, and each kept tree
    would compile everything again. The object taken is stamped now, newer
    than the files it was built from. Units under build/ (generated) and
    those that differ (the stubs, a student's files) are left to make. The
    host test binaries are taken the same way, mk/host.mk as their flags."""
    same = {}

    def identical(rel):
        if rel not in same:
            try:
                same[rel] = same_content(os.path.join(src, rel), os.path.join(out, rel))
            except OSError:
                same[rel] = False
        return same[rel]

    now = time.time()

    def take(product, deps, beside=()):
        """src's `product` (and the files `beside` it) into out, where make
        in out would build it again, src's is up to date against the same
        files (`deps`, the flags' record among them), and each of them has
        src's content there. Paths relative to the trees."""
        if up_to_date(os.path.join(out, product), [os.path.join(out, d) for d in deps]):
            return                          # make would keep it: so do we (no relink)
        if not up_to_date(os.path.join(src, product), [os.path.join(src, d) for d in deps]):
            return                          # not up to date in the source itself
        if not all(identical(d) for d in deps):
            return
        os.makedirs(os.path.dirname(os.path.join(out, product)), exist_ok=True)
        for rel in (product,) + tuple(beside):
            if os.path.isfile(os.path.join(src, rel)):
                shutil.copy(os.path.join(src, rel), os.path.join(out, rel))
                os.utime(os.path.join(out, rel), (now, now))

    for arch in SEED_BUILDS:
        for sub in ("", "user"):
            build = os.path.join("build", arch, sub)
            flags = os.path.join(build, "flags")
            if not identical(flags):
                continue
            for dirpath, _, names in os.walk(os.path.join(src, build, "obj")):
                for name in names:
                    if not name.endswith(".d"):
                        continue
                    d_file = os.path.relpath(os.path.join(dirpath, name), src)  # x.c.d
                    obj = d_file[:-len(".d")] + ".o"                           # beside x.c.o
                    deps = dependencies(os.path.join(src, d_file))
                    if deps and not deps[0].startswith("build/"):
                        take(obj, deps + [flags], beside=(obj + ".json", d_file))
    # The host test binaries, the same way; their flags are in mk/host.mk.
    for name, d_file in host_binaries(src):
        binary = os.path.join(HOST_BUILD, name)
        take(binary, dependencies(d_file) + ["mk/host.mk"], beside=(binary + ".d",))


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", type=int)
    ap.add_argument("--out", help="default: build/handout-lab<n>")
    ap.add_argument("--src", default=REPO, help="the solution tree (default: this one)")
    ap.add_argument("--check", action="store_true", help="only check the markers")
    args = ap.parse_args(argv)
    try:
        if args.check:
            catalog = load_catalog(args.src)
            parsed = scan(args.src, tree_files(args.src, catalog.get("handout_exclude", [])))
            n = sum(len(r) for _, r in parsed.values())
            files = sum(1 for _, r in parsed.values() if r)
            print(f"handout: {n} regions in {files} files, markers balanced")
            return 0
        out = args.out or os.path.join(args.src, "build", f"handout-lab{args.lab}")
        replaced = make_handout(args.lab, out, args.src)
    except MarkerError as e:
        print(f"handout: {e}", file=sys.stderr)
        return 1
    byfile = {}
    for r in replaced:
        byfile.setdefault(r.path, []).append(f"{r.name} (lab {r.lab})")
    print(f"handout: lab {args.lab} written to {os.path.relpath(out)}: "
          f"{len(replaced)} regions stubbed in {len(byfile)} files")
    for path, names in sorted(byfile.items()):
        print(f"  {path}: {', '.join(names)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
