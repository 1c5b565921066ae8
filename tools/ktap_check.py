"""Check a test run's KTAP against what the instructor's tree declares.

The grader does not believe what a kernel or a host test prints. The
suites and cases a run must have come from the instructor's sources (the
KTEST_SUITE/KTEST_CASE tables of the kernel's *_test.c files, the
HOST_TESTS(...) list of tests/host/test_<binary>.c), never from the
submission; and each run carries a nonce the grader made for it, which
lib/ktest.c and tests/host/host_support.c print at its start and its end.
`check()` walks the console line by line against the only shape the
framework prints:

    KTAP version 1
    1..<suites>
    # ktest: run <nonce>
        KTAP version 1
        # Subtest: <suite>
        1..<cases>
        # <diagnostics of the case that follows>
        ok 1 <case>                  (or "not ok 1 <case>", "ok 1 <case> # SKIP why")
        ...
    ok 1 <suite>                     ("not ok" exactly when one of its cases failed)
    ...
    # ktest: end <nonce>: <P> passed, <F> failed, <S> skipped

Lines that are not KTAP (a student's printf, a fault report a test
expected) may come anywhere. Anything else is refused with the line and
what was expected there: a second run, a run without this boot's nonce, an
unknown, missing, repeated or misnumbered case or suite, a plan that does
not match, a suite result that contradicts its cases, a case reported "ok"
with a failure diagnostic ("file:line: expected ..."), results after the
end. Such a run scores nothing. What this cannot stop: code running inside
the kernel or a host test can read the nonce and print anything; that only
reading the submission finds (docs/instructors.md, "What the grader
trusts").

A run cut short by a crash or a hang is not tampered with: the suites it
finished count, the one it stopped in keeps the cases it reached, and the
grader boots again for the rest.
"""
import os
import re
from dataclasses import dataclass, field

import ktap

TAMPERED = "the test output was tampered with or is incomplete"

# The framework's self-test (lib/ktest_test.c), run first in every grading
# boot: each case must end exactly so, or the framework does not report
# what happened and no result of that boot is believed.
SELFTEST_SUITE = "ktest_selftest"
SELFTEST = {
    "a_passing_case_is_ok": ("pass", []),
    "a_failed_expectation_is_reported": ("fail", ["expected 1 + 1 == 3", "left:  2", "right: 3"]),
    "a_failed_assertion_ends_the_case": ("fail", ["expected true: 1 + 1 == 3"]),
    "a_skipped_case_says_why": ("skip", []),
    "error_codes_are_printed_by_name": ("fail", ["left:  -EFAULT (-14)", "right: -EINVAL (-22)"]),
    "the_exit_hook_ran_after_each_case": ("pass", []),
}

_KTAP_LINE_RE = re.compile(r"^(?:K?TAP version\b|1\.\.|ok\b|not ok\b|# Subtest:|Bail out!|"
                           r"# ktest: (?:run|end)\b)")
_RESULT_RE = re.compile(r"^(ok|not ok) (\d+) (\S+)(?: # (SKIP)(?: (.*))?)?$")
_DIAG_RE = re.compile(r"^#(?: (.*))?$")
_FAILURE_DIAG_RE = re.compile(r"^\S+:\d+: ")     # ktest_fail / host_fail: "file:line: ..."
_END_RE = re.compile(r"^# ktest: end (\S+): (\d+) passed, (\d+) failed, (\d+) skipped$")
INDENT = "    "


class CatalogueError(Exception):
    """The instructor's sources do not declare what the catalogue names."""


# --- what the instructor's tree declares ------------------------------------------------


def _c_without_comments(text):
    text = re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)
    return re.sub(r"//[^\n]*", "", text)


_SUITE_RE = re.compile(r"\bKTEST_SUITE(_EXIT|_NAMED_ONLY)?\(\s*(\w+)\s*,\s*(\w+)")


def kernel_suites(tree, arch, named_only=None):
    """{suite: [case, ...]} of the in-kernel suites the `arch` kernel holds:
    the KTEST_SUITE tables of the generic directories and arch/<arch>/.
    `named_only`, a set, receives the suites ktest=all leaves out."""
    dirs = ["boot", "lib", "mm", "kernel", os.path.join("arch", arch)]
    suites = {}
    for d in dirs:
        top = os.path.join(tree, d)
        if not os.path.isdir(top):
            continue
        for name in sorted(os.listdir(top)):
            if not name.endswith(".c"):
                continue
            path = os.path.join(top, name)
            with open(path, errors="replace") as f:
                text = _c_without_comments(f.read())
            for m in _SUITE_RE.finditer(text):
                kind, suite, array = m.groups()
                if kind == "_NAMED_ONLY" and named_only is not None:
                    named_only.add(suite)
                table = re.search(r"\b" + array + r"\s*\[\s*\]\s*=\s*\{(.*?)\};", text, re.S)
                if not table:
                    raise CatalogueError(f"{os.path.relpath(path, tree)}: suite {suite}: no "
                                         f"table {array}[] to read its cases from")
                if re.search(r"^\s*#", table.group(1), re.M):
                    raise CatalogueError(f"{os.path.relpath(path, tree)}: suite {suite}: a "
                                         "preprocessor line inside its case table; the grader "
                                         "reads the table as written")
                if suite in suites:
                    raise CatalogueError(f"two suites named {suite} for {arch}")
                suites[suite] = re.findall(r"\bKTEST_CASE\(\s*(\w+)\s*\)", table.group(1))
    return suites


def host_cases(tree, binary):
    """(suite name, [case, ...]) of tests/host/test_<binary>.c: its
    HOST_TESTS(...) list, in that file or a tests/host header it includes."""
    src = os.path.join(tree, "tests", "host", f"test_{binary}.c")
    todo, seen = [src], set()
    while todo:
        path = todo.pop(0)
        if path in seen or not os.path.exists(path):
            continue
        seen.add(path)
        with open(path, errors="replace") as f:
            text = _c_without_comments(f.read())
        m = re.search(r"^\s*HOST_TESTS\(([^)]*)\)", text, re.M)
        if m:
            return f"test_{binary}", [c.strip() for c in m.group(1).split(",") if c.strip()]
        todo += [os.path.join(os.path.dirname(path), inc)
                 for inc in re.findall(r'^\s*#\s*include\s+"([\w.]+\.h)"', text, re.M)]
    raise CatalogueError(f"tests/host/test_{binary}.c: no HOST_TESTS(...) list")


# --- checking a run -----------------------------------------------------------------------


@dataclass
class Verdict:
    """What a run showed: `problem` is "" when the run is the framework's,
    whole and untouched (possibly cut short by a crash, `cut_short`); else
    why it is not believed. `results` are the suites it reached, in order,
    as ktap.Result (a suite cut short has complete=False)."""
    problem: str = ""
    started: bool = False           # a run began (a KTAP header was printed)
    results: list = field(default_factory=list)
    cut_short: bool = False         # the output ended inside the run

    def suite(self, name):
        return next((r for r in self.results if r.name == name), None)


class _Lines:
    """The run's KTAP lines, (line number, indent, text), the rest skipped."""

    def __init__(self, lines, start):
        self.items = []
        for n in range(start, len(lines)):
            raw = lines[n].rstrip()
            text = raw.lstrip(" ")
            if _KTAP_LINE_RE.match(text) or _DIAG_RE.match(text):
                self.items.append((n + 1, len(raw) - len(text), text))
        self.pos = 0

    def peek(self):
        return self.items[self.pos] if self.pos < len(self.items) else None

    def take(self):
        item = self.peek()
        self.pos += 1
        return item


class _Refused(Exception):
    pass


def _expect(lines, indent, pattern, what):
    """The next KTAP line, which must sit at `indent` and match `pattern`;
    diagnostics before it are returned too. -> (match, [diagnostics]) or
    None when the output ends first."""
    diags = []
    while True:
        item = lines.take()
        if item is None:
            return None
        n, ind, text = item
        d = _DIAG_RE.match(text)
        if d and not text.startswith(("# Subtest:", "# ktest: run", "# ktest: end")):
            diags.append(d.group(1) or "")
            continue
        m = re.match(pattern, text)
        if ind != indent or not m:
            raise _Refused(f"line {n}: {text!r} where {what} was expected")
        return m, diags


def check(text, nonce, expected, ended_cleanly):
    """Check a console against `expected`, [(suite, [case, ...])] in the
    order the run was asked for; `ended_cleanly`: the program exited by
    itself (the run should then be whole). -> Verdict."""
    lines = text.replace("\r\n", "\n").replace("\r", "\n").split("\n")
    headers = [n for n, ln in enumerate(lines) if re.match(r"^K?TAP version\b", ln)]
    if not headers:
        return Verdict()
    v = Verdict(started=True)
    if len(headers) > 1:
        v.problem = (f"{TAMPERED}: the output holds {len(headers)} KTAP runs (lines "
                     + ", ".join(str(n + 1) for n in headers[:4])
                     + "); the test framework prints one")
        return v
    early = [n + 1 for n in range(headers[0])
             if _KTAP_LINE_RE.match(lines[n].lstrip(" "))]
    if early:
        v.problem = f"{TAMPERED}: line {early[0]}: a KTAP line before the run begins"
        return v
    stream = _Lines(lines, headers[0])
    try:
        _walk(stream, nonce, expected, ended_cleanly, v)
        if v.cut_short and ended_cleanly:
            where = f" in suite {v.results[-1].name}" if v.results else ""
            raise _Refused(f"the run stops{where}, yet the program ended by itself")
    except _Refused as e:
        v.problem = f"{TAMPERED}: {e}"
    return v


def _walk(lines, nonce, expected, ended_cleanly, v):
    lines.take()                                          # the header
    if _expect(lines, 0, rf"^1\.\.{len(expected)}$", f"the plan 1..{len(expected)}") is None or \
            _expect(lines, 0, rf"^# ktest: run {re.escape(nonce)}$",
                    "this run's nonce ('# ktest: run <nonce>')") is None:
        v.cut_short = True
        return
    totals = [0, 0, 0]
    for number, (suite, cases) in enumerate(expected, 1):
        got = _suite(lines, number, suite, cases, totals)
        if got is None:
            v.cut_short = True
            return
        v.results.append(got)
        if not got.complete:
            v.cut_short = True
            return
    found = _expect(lines, 0, _END_RE.pattern, "the end of the run ('# ktest: end <nonce>: ...')")
    if found is None:
        if ended_cleanly:
            raise _Refused("the run has no end line, yet the program ended by itself")
        v.cut_short = True
        return
    m = found[0]
    if m.group(1) != nonce:
        raise _Refused(f"the end line carries nonce {m.group(1)!r}, not this run's")
    if [int(m.group(i)) for i in (2, 3, 4)] != totals:
        raise _Refused(f"the end line counts {m.group(2)} passed, {m.group(3)} failed, "
                       f"{m.group(4)} skipped; the cases say {totals[0]}, {totals[1]}, "
                       f"{totals[2]}")
    extra = lines.peek()
    while extra is not None and _DIAG_RE.match(extra[2]) and not extra[2].startswith(
            ("# Subtest:", "# ktest: run", "# ktest: end")):
        lines.take()
        extra = lines.peek()
    if extra is not None:
        raise _Refused(f"line {extra[0]}: {extra[2]!r} after the end of the run")


def _suite(lines, number, suite, cases, totals):
    """One suite as a ktap.Result; None when the output ends before it starts."""
    if _expect(lines, len(INDENT), r"^KTAP version 1$", f"suite {suite} ('KTAP version 1')") \
            is None:
        return None
    res = ktap.Result(ok=False, number=number, name=suite, complete=False)
    if _expect(lines, len(INDENT), rf"^# Subtest: {re.escape(suite)}$",
               f"'# Subtest: {suite}'") is None:
        return res
    if _expect(lines, len(INDENT), rf"^1\.\.{len(cases)}$",
               f"suite {suite}'s plan 1..{len(cases)}") is None:
        return res
    res.plan = len(cases)
    for n, case in enumerate(cases, 1):
        found = _expect(lines, len(INDENT), _RESULT_RE.pattern,
                        f"case {n} of suite {suite}, {case}")
        if found is None:
            return res
        m, diags = found
        status, got_n, name, skip, reason = m.groups()
        if int(got_n) != n or name != case:
            raise _Refused(f"suite {suite}: result {got_n} {name!r} where case {n}, {case}, "
                           "was expected")
        if skip and status != "ok":
            raise _Refused(f"suite {suite}: case {case} is both 'not ok' and skipped")
        if status == "ok" and failure_diagnostic(diags):
            raise _Refused(f"suite {suite}: case {case} is reported ok, yet a check in it "
                           f"failed: {failure_diagnostic(diags)}")
        res.subtests.append(ktap.Result(ok=status == "ok", number=n, name=case,
                                        directive=skip or "", reason=reason or "",
                                        diagnostics=diags))
        totals[0 if skip is None and status == "ok" else 1 if status != "ok" else 2] += 1
    found = _expect(lines, 0, _RESULT_RE.pattern, f"the result of suite {suite}")
    if found is None:
        return res
    m = found[0]
    failed = any(c.status == "fail" for c in res.subtests)
    if int(m.group(2)) != number or m.group(3) != suite or m.group(4):
        raise _Refused(f"result {m.group(2)} {m.group(3)!r} where suite {number}, {suite}, "
                       "was expected")
    if (m.group(1) == "ok") == failed:
        raise _Refused(f"suite {suite} is reported {m.group(1)!r}, yet "
                       + ("a case failed" if failed else "no case failed"))
    res.ok, res.complete = not failed, True
    return res


def failure_diagnostic(diagnostics):
    """The first diagnostic that reports a failed check ("file:line: ..."), or ""."""
    return next((d for d in diagnostics if _FAILURE_DIAG_RE.match(d)), "")


def check_selftest(result):
    """"" when the framework's self-test suite ended as it must; else why not."""
    if result is None:
        return f"the framework's self-test ({SELFTEST_SUITE}) did not run"
    for case in result.subtests:
        status, texts = SELFTEST.get(case.name, (None, []))
        if status is None:
            return f"{SELFTEST_SUITE}: unknown case {case.name}"
        if case.status != status:
            return (f"{SELFTEST_SUITE}: case {case.name} is '{case.status}', it must be "
                    f"'{status}': the test framework does not report what happened")
        joined = "\n".join(case.diagnostics)
        missing = [t for t in texts if t not in joined]
        if missing:
            return f"{SELFTEST_SUITE}: case {case.name} lacks the diagnostic {missing[0]!r}"
    if not result.complete:
        return f"{SELFTEST_SUITE} did not finish"
    return ""


def fold_selftest(console):
    """The console with the framework's self-test folded into one line.
    Its cases fail on purpose; in the end of a console shown to a student
    (a boot that hung or crashed in the next suite) they read as the
    student's failures."""
    out, skipping = [], False
    for line in console.split("\n"):
        text = line.strip()
        if text == f"# Subtest: {SELFTEST_SUITE}":
            if out and out[-1].strip().startswith("KTAP version"):
                out.pop()
            out.append(f"    [the framework's self-test ({SELFTEST_SUITE}) ran here; "
                       "its cases fail on purpose]")
            skipping = True
            continue
        if skipping:
            skipping = not re.match(rf"^(not )?ok \d+ {SELFTEST_SUITE}\b", line)
            continue
        out.append(line)
    return "\n".join(out)
