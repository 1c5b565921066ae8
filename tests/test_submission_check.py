"""tools/submission_check.py: a submission's files are read before anything
builds, and refused with file, line and rule when they reach outside the
project, hide code where a framework or the C runtime runs it, print a
test framework's text or leave the program. Host only."""
import os
import sys

import pytest

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import handout  # noqa: E402
import submission_check as sc  # noqa: E402

REPO = harness.REPO
CATALOG = handout.load_catalog(REPO)


def refusals(source, rel="mm/vm.c", given=None):
    return [str(r) for r in sc.check_file(rel, source.encode() if isinstance(source, str)
                                          else source, REPO, given)]


@pytest.mark.parametrize("source, expected", [
    ('#include "../../../../mm/vm.c"\n', "mm/vm.c:1: include: '../../../../mm/vm.c' leaves"),
    ('#include "/etc/os-release"\n', "mm/vm.c:1: include: '/etc/os-release' is an absolute"),
    ('int x;\n#include <mm/vm.c>\n', "mm/vm.c:2: include: 'mm/vm.c' is not a header"),
    ('#include <sys/socket.h>\n', "include: 'sys/socket.h' is not one of the project's headers"),
    ('#  \\\n include "/etc/passwd"\n', "mm/vm.c:1: include: '/etc/passwd'"),
    ('%:include "x.h"\n', "mm/vm.c:1: directive: a digraph"),
    ('#define F "/etc/passwd"\n#include F\n', "mm/vm.c:2: directive: #include F: a computed"),
    ('#include_next <duet/types.h>\n', "directive: #include_next"),
    ('#embed "/etc/passwd"\n', "directive: #embed"),
    ('#if __has_include("/etc/shadow")\n#endif\n', "mm/vm.c:1: probe: __has_include"),
    ('__asm__(".incbin \\"/etc/passwd\\"");\n', "mm/vm.c:1: asm-file"),
    ('__asm__(".pushsection .ktest_suites");\n', "mm/vm.c:1: asm-file"),
    ('__attribute__((constructor)) static void f(void) {}\n', "section: 'constructor'"),
    ('static int x __section(".ktest_suites");\n', "section: '__section'"),
    ('void f(void) { printf("KTAP version 1\\n"); }\n', "results: 'KTAP version 1"),
    ('void f(void) { printf("    ok 1 maps\\n"); }\n', "results: '    ok 1 maps"),
    ('void f(void) { printf("x\\nnot ok 2 y\\n"); }\n', "results:"),
    ('void f(void) { printf("Score: 80/80\\n"); }\n', "results: 'Score: 80/80"),
    ('KTEST_SUITE(vm, my_cases);\n', "results: 'KTEST_SUITE'"),
    ('void f(void) { ktest_run("vm"); }\n', "results: 'ktest_run'"),
    ('void f(void) { _exit(0); }\n', "exit: '_exit'"),
    ('void f(void) { arch_poweroff(0); }\n', "exit: 'arch_poweroff'"),
    ('void f(void) { system("id"); }\n', "exit: 'system'"),
    (b"int x;\0\n", "mm/vm.c:1: text: a control character (0x00)"),
    (b"int x;\n\xff\n", "mm/vm.c:2: text: not UTF-8"),
    ("/*" + "x" * (sc.MAX_BYTES + 1) + "*/\n", "mm/vm.c:1: size:"),
], ids=["dotdot", "absolute", "c-file", "host-header", "continued-line", "digraph", "computed",
        "include-next", "embed", "has-include", "incbin", "pushsection", "constructor",
        "section", "ktap", "ok-line", "not-ok-line", "score", "suite", "ktest-run", "exit",
        "poweroff", "system", "nul", "not-utf8", "size"])
def test_each_rule_refuses_with_file_line_and_rule(source, expected):
    found = refusals(source)
    assert any(expected in r for r in found), found


@pytest.mark.parametrize("source", [
    '#include <duet/types.h>\n#include <mm/vm.h>\n#include "multiboot2.h"\n#include <stdarg.h>\n',
    "/* ok, KTAP and exit() in a comment are fine */ int x; // Score: 1\n",
    'static const char *why = "the range is not ok";\n',
    "int f(int exit_code) { return exit_code; }\n",
], ids=["project-headers", "comments", "ok-inside-text", "similar-names"])
def test_ordinary_code_passes(source):
    assert refusals(source, rel="arch/x86_64/multiboot2.c") == []


def test_what_the_instructors_file_has_is_allowed():
    """Given code may use a watched construct (fdt.c prints 'ok'); a
    submission may keep it, not add another."""
    given = b'void f(void) { printf("ok\\n"); }\n'
    assert refusals(given, given=given) == []
    assert refusals(given + b'void g(void) { printf("ok\\n"); }\n', given=given)


@pytest.mark.parametrize("lab", sorted(CATALOG["labs"], key=int))
def test_the_solution_passes_against_the_handout_and_the_solution(lab, tmp_path):
    """No rule refuses the solution's own files, whether the grader runs in
    the solution tree or in a handout (Gradescope's autograder holds one)."""
    out = tmp_path / "handout"
    handout.make_handout(int(lab), str(out), REPO)
    for rel in CATALOG["labs"][lab]["student_files"]:
        with open(os.path.join(REPO, rel), "rb") as f:
            mine = f.read()
        with open(out / rel, "rb") as f:
            given = f.read()
        assert refusals(mine, rel, given) == []
        assert refusals(mine, rel, mine) == []
