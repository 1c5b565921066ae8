"""Check a submission's files before anything builds.

A student's file is C that the grader compiles and runs, so it is read
first, and refused, with the file, the line and the rule, when it does
something a solution to a lab never needs and an attack does:

    size       larger than MAX_BYTES: a source file, not a data dump
    text       not UTF-8 text (a NUL or another control character)
    include    an #include that is not a project header through the include
               path: no "..", no absolute path, only .h files the
               instructor's tree has (include/, the tree's root,
               arch/*/include, the file's own directory) or the compiler's
               freestanding headers (stdint.h, ...)
    directive  #include_next, #import, #embed, a computed #include, an
               unknown directive, a digraph %: (an #include in disguise)
    probe      __has_include: asks the compiler about host files
    asm-file   .incbin (reads a host file into the object), or a section
               directive in inline assembly (.section, .pushsection)
    section    a section attribute, a constructor or destructor: code or
               data placed where the test framework or the C runtime
               would pick it up
    results    text a test framework prints (KTAP lines, "# Subtest:",
               "ktest:", "Score:") or the frameworks' own names
               (KTEST_SUITE, ktest_run, HOST_TESTS, host_fail, ...)
    exit       ending or leaving the program (exit, _exit, abort,
               arch_poweroff, fork, exec*, system, popen, syscall, dlopen)

Rules `section`, `results` and `exit` allow what the instructor's own
version of the file already has (arch/aarch64/cpu.c's given code may use
__section, say): a submission may keep the given code, not add to it.
Code review still matters: a determined author can assemble forbidden text
at run time; docs/instructors.md ("What the grader trusts") says what these
checks stop and what they cannot.
"""
import os
import re
from dataclasses import dataclass

MAX_BYTES = 512 << 10
COMPILER_HEADERS = {"stdint.h", "stddef.h", "stdbool.h", "stdarg.h", "stdalign.h",
                    "stdnoreturn.h", "limits.h", "float.h", "iso646.h"}
DIRECTIVES = {"include", "define", "undef", "if", "ifdef", "ifndef", "elif", "else", "endif",
              "error", "warning", "pragma", "line"}
SECTION_WORDS = {"__section", "section", "constructor", "destructor", "__used__", "init_array"}
EXIT_WORDS = {"exit", "_exit", "_Exit", "quick_exit", "abort", "arch_poweroff", "fork", "vfork",
              "execve", "execv", "execvp", "execl", "execlp", "system", "popen", "syscall",
              "dlopen", "longjmp", "siglongjmp", "raise", "kill"}
RESULT_WORD_RE = re.compile(r"^(?:KTEST_\w*|ktest_\w+|HOST_TEST\w*|host_run_tests|host_fail|"
                            r"host_failures|host_panic_\w+|__ktest_\w+)$")
RESULT_TEXT_RE = re.compile(r"(?:^|\n)[ \t]*(?:ok|not ok)\b|KTAP|TAP version|# Subtest|Subtest:|"
                            r"ktest:|Bail out|Score\s*:", re.I)
ASM_FILE_RE = re.compile(r"\.(?:incbin|section|pushsection|popsection|init_array)\b")


@dataclass
class Refusal:
    file: str
    line: int
    rule: str
    why: str

    def __str__(self):
        return f"{self.file}:{self.line}: {self.rule}: {self.why}"


# --- a small C lexer: enough to tell code, strings, comments and directives apart ---------

_TOKEN_RE = re.compile(r"""
    (?P<comment>/\*.*?\*/|//[^\n]*)
  | (?P<string>(?:u8|[uUL])?"(?:\\.|[^"\\\n])*")
  | (?P<char>(?:u8|[uUL])?'(?:\\.|[^'\\\n])*')
  | (?P<ident>[A-Za-z_]\w*)
  | (?P<digraph>%:)
  | (?P<other>.)
""", re.S | re.X)


def _lex(text):
    """[(kind, text, line)] of the C source, with backslash-newlines joined
    (each token keeps the line it starts on)."""
    joined, lines, line = [], [], 1
    i = 0
    while i < len(text):
        if text[i] == "\\" and text[i + 1:i + 2] == "\n":
            i += 2
            line += 1
            continue
        joined.append(text[i])
        lines.append(line)
        if text[i] == "\n":
            line += 1
        i += 1
    src = "".join(joined)
    tokens = []
    for m in _TOKEN_RE.finditer(src):
        kind = m.lastgroup
        if kind == "other" and m.group().isspace() and m.group() != "\n":
            continue
        tokens.append((kind, m.group(), lines[m.start()] if m.start() < len(lines) else line))
    return tokens


def _directives(tokens):
    """(name, the rest of the line's tokens, line) of each preprocessor line."""
    found, at_line_start = [], True
    for n, (kind, text, line) in enumerate(tokens):
        if kind == "comment":
            continue
        if text == "\n":
            at_line_start = True
            continue
        if at_line_start and (text == "#" or kind == "digraph"):
            rest = []
            for k2, t2, _ in tokens[n + 1:]:
                if t2 == "\n":
                    break
                if k2 != "comment":
                    rest.append((k2, t2))
            name = rest[0][1] if rest and rest[0][0] == "ident" else ""
            found.append((name, rest[1:], line, kind == "digraph"))
        at_line_start = False
    return found


def _string_value(literal):
    return literal[literal.index('"') + 1:-1]


# --- the rules -------------------------------------------------------------------------------


def _include_ok(path, rel, tree):
    """Why the header `path`, included from `rel`, is refused, or ""."""
    if path.startswith("/") or "\\" in path:
        return f"{path!r} is an absolute or host path"
    parts = path.split("/")
    if ".." in parts or "." in parts or "" in parts:
        return f"{path!r} leaves the include path ('..', '.', or an empty part)"
    if not path.endswith(".h"):
        return f"{path!r} is not a header (.h): only headers are included, never code"
    if path in COMPILER_HEADERS:
        return ""
    roots = [os.path.join(tree, "include"), tree, os.path.join(tree, os.path.dirname(rel))]
    arch_dir = os.path.join(tree, "arch")
    if os.path.isdir(arch_dir):
        roots += [os.path.join(arch_dir, a, "include") for a in sorted(os.listdir(arch_dir))]
    for root in roots:
        if os.path.isfile(os.path.join(root, path)):
            return ""
    return f"{path!r} is not one of the project's headers"


def _counts(tokens):
    """How often each watched identifier or text occurs: the allowance a
    given file grants."""
    seen = {}
    for kind, text, _ in tokens:
        key = _watched(kind, text)
        if key:
            seen[key] = seen.get(key, 0) + 1
    return seen


def _watched(kind, text):
    """(rule, what) when this token is watched by a counted rule, else None."""
    if kind == "ident":
        if text in SECTION_WORDS:
            return ("section", text)
        if text in EXIT_WORDS:
            return ("exit", text)
        if RESULT_WORD_RE.match(text):
            return ("results", text)
    elif kind == "string":
        value = _string_value(text)
        if RESULT_TEXT_RE.search(value.replace("\\n", "\n")):
            return ("results", value)
        if ASM_FILE_RE.search(value):
            return ("asm-file", value)
    return None


WHY = {
    "section": "a section attribute, constructor or destructor: code or data placed where the "
               "test framework or the C runtime would pick it up",
    "exit": "ends or leaves the program; a solution returns to its caller (or panics)",
    "results": "the test frameworks' own text or names: only the framework reports results",
    "asm-file": "an assembler directive that reads a host file or places code in a section",
}


def check_file(rel, data, tree, given=None):
    """Refusals for the student's file `rel` (bytes `data`); `tree` is the
    instructor's tree (its headers), `given` the instructor's own version of
    the file (bytes or None), whose constructs are allowed."""
    if len(data) > MAX_BYTES:
        return [Refusal(rel, 1, "size", f"{len(data)} bytes, more than the {MAX_BYTES >> 10} KiB "
                                        "a source file needs")]
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError as e:
        line = data[:e.start].count(b"\n") + 1
        return [Refusal(rel, line, "text", "not UTF-8 text")]
    bad = re.search(r"[\x00-\x08\x0e-\x1f\x7f]", text)
    if bad:
        return [Refusal(rel, text[:bad.start()].count("\n") + 1, "text",
                        f"a control character (0x{ord(bad.group()):02x}) in a source file")]
    tokens = _lex(text)
    refusals = []
    for name, rest, line, digraph in _directives(tokens):
        if digraph:
            refusals.append(Refusal(rel, line, "directive", "a digraph '%:' directive"))
        elif name not in DIRECTIVES:
            refusals.append(Refusal(rel, line, "directive",
                                    f"#{name or '?'}: not a directive a solution uses"))
        elif name == "include":
            spelled = "".join(t for _, t in rest).strip()
            m = re.fullmatch(r'"([^"]*)"|<([^>]*)>', spelled)
            if not m:
                refusals.append(Refusal(rel, line, "directive",
                                        f"#include {spelled}: a computed #include"))
                continue
            why = _include_ok(m.group(1) or m.group(2), rel, tree)
            if why:
                refusals.append(Refusal(rel, line, "include", why))
    allowance = {}
    if given is not None:
        try:
            allowance = _counts(_lex(given.decode("utf-8", errors="replace")))
        except Exception:       # the instructor's file is trusted; a lexer gap is not fatal
            allowance = {}
    used = {}
    for kind, tok, line in tokens:
        if kind == "ident" and tok in ("__has_include", "__has_include_next"):
            refusals.append(Refusal(rel, line, "probe", f"{tok} asks the compiler about files"))
            continue
        key = _watched(kind, tok)
        if not key:
            continue
        used[key] = used.get(key, 0) + 1
        if used[key] > allowance.get(key, 0):
            shown = key[1] if len(key[1]) <= 40 else key[1][:37] + "..."
            refusals.append(Refusal(rel, line, key[0], f"{shown!r}: {WHY[key[0]]}"))
    return refusals
