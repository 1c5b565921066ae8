"""A parser for KTAP version 1, the test-output format of Linux's KUnit.

Duet's in-kernel test runner (lib/ktest.c) prints it on the serial console;
this module turns that console text into a tree of results. The format
(Linux: Documentation/dev-tools/ktap.rst), as Duet uses it:

    KTAP version 1
    1..2                              plan: how many results this level has
        KTAP version 1                a subtest: 4 more spaces of indent
        # Subtest: string
        1..2
        # lib/string_test.c:12: ...   diagnostics: "# " lines, they explain
        not ok 1 strlen_counts        ... the result that follows them
        ok 2 strcmp_orders # SKIP no reason
    not ok 1 string                   the subtest's own result ends it
    ok 2 printf
    # ktest: 3 passed, 1 failed, ...  diagnostics after the last result

Anything else (the boot banner before the header, stray kernel output) is
an "unknown line" and is ignored, as KTAP allows. The parser never raises
on bad input: it parses what it can and lists each problem in `errors`, so
a harness can report a truncated or malformed run precisely. A subtest cut
off before its result line (the kernel crashed inside it) still appears,
as a result with `complete=False`, so the cases it did finish are kept.
"""
import re
from dataclasses import dataclass, field

INDENT = 4  # spaces per nesting level

_VERSION_RE = re.compile(r"^K?TAP version (\d+)$")
_PLAN_RE = re.compile(r"^1\.\.(\d+)$")
_RESULT_RE = re.compile(r"^(ok|not ok)\b\s*(.*)$")
_SUBTEST_RE = re.compile(r"^# Subtest:\s*(.*)$")
_BAIL_RE = re.compile(r"^Bail out!\s*(.*)$")
_DIRECTIVES = ("SKIP", "TODO", "XFAIL", "TIMEOUT", "ERROR")


@dataclass
class Result:
    """One "ok"/"not ok" line, with the subtest and diagnostics that belong to it."""
    ok: bool
    number: int | None
    name: str
    directive: str = ""             # "SKIP", "TODO", ... upper case; "" if none
    reason: str = ""                # the text after the directive
    diagnostics: list = field(default_factory=list)  # "# " lines before it, without "# "
    subtests: list = field(default_factory=list)     # results of its subtest, if any
    plan: int | None = None         # the subtest's plan, if it had one
    complete: bool = True           # False: the input ended inside its subtest
    line: int = 0                   # 1-based line number in the input (0: missing)

    @property
    def status(self):
        """'pass', 'fail' or 'skip' (SKIP wins over ok/not ok, as in KUnit)."""
        if self.directive == "SKIP":
            return "skip"
        return "pass" if self.ok and self.complete else "fail"

    def walk(self, path=()):
        """Yield (path, result) for this result and every nested one."""
        here = path + (self.name,)
        yield here, self
        for sub in self.subtests:
            yield from sub.walk(here)


@dataclass
class Document:
    """A parsed KTAP run: the top-level plan and results."""
    version: int | None = None
    plan: int | None = None
    results: list = field(default_factory=list)
    diagnostics: list = field(default_factory=list)  # "# " lines after the last result
    bail_out: str | None = None     # the text of a "Bail out!" line, if any
    errors: list = field(default_factory=list)       # what was malformed or missing

    @property
    def well_formed(self):
        return not self.errors

    def walk(self):
        """Yield (path, result) for every result at every depth."""
        for r in self.results:
            yield from r.walk()

    def leaves(self):
        """(path, result) for each result without subtests: the test cases."""
        return [(p, r) for p, r in self.walk() if not r.subtests]


def _split_result(rest):
    """'3 name # SKIP why' -> (3, 'name', 'SKIP', 'why')."""
    number = None
    m = re.match(r"^(\d+)\s*(.*)$", rest)
    if m:
        number, rest = int(m.group(1)), m.group(2)
    if rest.startswith("- "):
        rest = rest[2:]
    directive = reason = ""
    # The directive starts at the first '#' that begins the text or follows a space.
    m = re.search(r"(?:^|\s)#\s*(.*)$", rest)
    if m:
        word, _, tail = m.group(1).partition(" ")
        if word.upper() in _DIRECTIVES:
            directive, reason = word.upper(), tail.strip()
            rest = rest[:m.start()]
    return number, rest.strip(), directive, reason


class _Subtest:
    """A finished subtest block, waiting for the result line that ends it."""
    def __init__(self, name, plan, results, diagnostics, line):
        self.name, self.plan, self.results = name, plan, results
        self.diagnostics, self.line = diagnostics, line

    def as_orphan(self):
        """A Result for a subtest whose result line never came."""
        return Result(ok=False, number=None, name=self.name or "?",
                      diagnostics=self.diagnostics, subtests=self.results,
                      plan=self.plan, complete=False, line=0)


class _Parser:
    def __init__(self, text):
        self.lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
        self.pos = 0
        self.errors = []
        self.bail = None

    def error(self, lineno, msg):
        self.errors.append(f"line {lineno}: {msg}" if lineno else msg)

    @staticmethod
    def classify(raw):
        """-> (indent, kind, match): kind is version, plan, result, subtest,
        bail or diag (match is then the text after '# '), or None for an
        unknown line."""
        stripped = raw.lstrip(" ")
        indent = len(raw) - len(stripped)
        stripped = stripped.rstrip()
        for kind, regex in (("version", _VERSION_RE), ("plan", _PLAN_RE),
                            ("result", _RESULT_RE), ("subtest", _SUBTEST_RE),
                            ("bail", _BAIL_RE)):
            m = regex.match(stripped)
            if m:
                return indent, kind, m
        if stripped.startswith("#"):
            return indent, "diag", stripped[1:].removeprefix(" ")
        return indent, None, None

    def parse_level(self, indent):
        """Parse one test level (the top, or one subtest) whose lines sit at `indent`.

        Stops before the first structural line (version, plan, result) that
        sits further out, which belongs to the parent, or at the end of the
        input. Returns (version, name, plan, results, trailing diagnostics).
        """
        version = name = plan = None
        plan_line = 0
        results = []
        diags = []                      # diagnostics waiting for the next result
        pending = None                  # a _Subtest waiting for its result line
        while self.pos < len(self.lines) and self.bail is None:
            lineno = self.pos + 1
            ind, kind, m = self.classify(self.lines[self.pos])
            if kind is None:            # unknown line: ignored
                self.pos += 1
                continue
            if kind == "diag":
                # A diagnostic belongs to the next result, at any indent
                # (a case's detail lines are often indented further).
                diags.append(m)
                self.pos += 1
                continue
            if ind < indent:
                break                   # the parent's line: this level is over
            if ind > indent:
                if kind in ("version", "subtest") and ind == indent + INDENT:
                    if pending is not None:
                        self.error(pending.line, f"subtest '{pending.name}' has no "
                                   "result line")
                        results.append(pending.as_orphan())
                    pending = self.parse_subtest(ind)
                    continue
                self.error(lineno, f"unexpected indentation ({ind} spaces where "
                           f"{indent} were expected): {self.lines[self.pos].strip()!r}")
                self.pos += 1
                continue
            if kind in ("version", "subtest") and (plan is not None or results):
                # A new test's header where this one should have ended: this
                # level was cut short. Leave the header to the parent.
                break
            self.pos += 1
            if kind == "version":
                if version is not None:
                    self.error(lineno, "a second version line")
                elif m.group(0).startswith("TAP") or int(m.group(1)) != 1:
                    self.error(lineno, f"{m.group(0)!r}, expected 'KTAP version 1'")
                version = int(m.group(1))
            elif kind == "subtest":
                if name is not None:
                    self.error(lineno, "a second '# Subtest:' line")
                name = m.group(1).strip()
            elif kind == "plan":
                if plan is not None:
                    self.error(lineno, "a second plan line")
                elif results:
                    self.error(lineno, "the plan comes after results (KTAP version 1 "
                               "puts it first)")
                else:
                    plan, plan_line = int(m.group(1)), lineno
            elif kind == "bail":
                self.bail = m.group(1).strip()
            elif kind == "result":
                results.append(self.make_result(m, lineno, len(results) + 1, diags, pending))
                diags, pending = [], None
        if pending is not None:
            self.error(pending.line, f"subtest '{pending.name}' has no result line "
                       "(the output ends inside it)")
            results.append(pending.as_orphan())
        where = f"subtest '{name}'" if indent else "the top level"
        if plan is None:
            self.error(0, f"{where} has no plan line")
        elif len(results) != plan and self.bail is None:
            self.error(plan_line, f"{where} planned {plan} results but has {len(results)}")
        return version, name, plan, results, diags

    def make_result(self, m, lineno, expected_number, diags, pending):
        number, name, directive, reason = _split_result(m.group(2))
        res = Result(ok=m.group(1) == "ok", number=number, name=name,
                     directive=directive, reason=reason, diagnostics=diags, line=lineno)
        if number is None:
            self.error(lineno, f"result '{name}' has no test number")
        elif number != expected_number:
            self.error(lineno, f"result '{name}' is numbered {number}, "
                       f"expected {expected_number}")
        if not name:
            self.error(lineno, "a result line without a test name")
        if pending is not None:
            if pending.name is not None and pending.name != name:
                self.error(lineno, f"subtest '{pending.name}' ends with a result "
                           f"named '{name}'")
            res.subtests, res.plan = pending.results, pending.plan
            res.diagnostics = pending.diagnostics + diags
        return res

    def parse_subtest(self, indent):
        start = self.pos + 1
        version, name, plan, results, diags = self.parse_level(indent)
        if version is None:
            self.error(start, f"subtest '{name}' has no 'KTAP version 1' line")
        return _Subtest(name, plan, results, diags, start)


def parse(text):
    """Parse console text containing one KTAP run; returns a Document.

    Lines before the first top-level "KTAP version" line (the boot banner)
    are skipped. Problems are listed in Document.errors; nothing raises.
    """
    p = _Parser(text)
    doc = Document()
    start = None
    for i, raw in enumerate(p.lines):
        ind, kind, m = p.classify(raw)
        if kind == "version" and ind == 0:
            start = i
            break
    if start is None:
        doc.errors.append("no 'KTAP version 1' line: the output has no KTAP run")
        return doc
    p.pos = start
    version, _, plan, results, diags = p.parse_level(0)
    doc.version, doc.plan, doc.results, doc.diagnostics = version, plan, results, diags
    doc.bail_out = p.bail
    if p.bail is not None:
        p.errors.append(f"bail out: {p.bail}" if p.bail else "bail out")
    doc.errors = p.errors
    return doc
