"""The grader's outputs: the score table, results.json (Gradescope),
classroom.json (GitHub Classroom's reporter) and junit.xml.

Everything a submission printed reaches these only through `sanitize()`:
terminal control sequences are removed and a line that looks like a score
("Score: 80/80", printed by a student's kernel) is replaced, so the only
score a reader sees is the grader's.
"""
import json
import os
import re
from xml.sax.saxutils import escape, quoteattr

MAX_OUTPUT = 4000           # characters of "why" kept per test

_CONTROL_RE = re.compile(r"\x1b\[[0-?]*[ -/]*[@-~]|\x1b[@-Z\\-_]|[\x00-\x08\x0b-\x1f\x7f]")
_SCORE_RE = re.compile(r"score\s*:", re.I)
SCORE_REMOVED = "[a line that looks like a score was removed: only the grader prints scores]"


def sanitize(text):
    """Text from a submission's run, safe to show: no control sequences,
    no line that could pass for the grader's score."""
    text = _CONTROL_RE.sub("", text.replace("\r\n", "\n").replace("\r", "\n"))
    return "\n".join(SCORE_REMOVED if _SCORE_RE.search(line) else line
                     for line in text.split("\n"))


def trim(text, limit=MAX_OUTPUT):
    """The end of `text`, where a log's verdict is."""
    text = text.strip()
    return text if len(text) <= limit else "...\n" + text[-limit:]


def trim_middle(text, limit=MAX_OUTPUT):
    """The start (a headline) and the end (the console's last lines) of `text`."""
    text = text.strip()
    if len(text) <= limit:
        return text
    head = limit // 3
    return text[:head] + "\n...\n" + text[-(limit - head):]


def fmt(points):
    return f"{points:g}" if isinstance(points, float) else str(points)


def total(outcomes):
    score = round(sum(o.score for o in outcomes), 1)
    return (int(score) if score == int(score) else score), sum(o.max_score for o in outcomes)


def write_outputs(out, lab_no, outcomes, notes, seconds):
    """results.json, classroom.json and junit.xml in `out`; -> (score, max)."""
    score, most = total(outcomes)
    results = {
        "score": score,
        "execution_time": round(seconds, 1),
        "output": "\n".join(notes),
        "tests": [{"name": o.name, "score": o.score, "max_score": o.max_score,
                   "status": "passed" if o.passed else "failed", "output": o.why,
                   "visibility": o.test.get("visibility", "visible")} for o in outcomes],
    }
    with open(os.path.join(out, "results.json"), "w") as f:
        json.dump(results, f, indent=2)
    # GitHub Classroom's reporter (classroom-resources/autograding-grading-
    # reporter) takes a runner's result in this shape, base64-encoded
    # (.github/workflows/classroom.yml).
    classroom = {
        "version": 1, "status": "pass" if score == most else "fail", "max_score": most,
        "tests": [{"name": o.name, "status": "pass" if o.passed else "fail", "score": o.score,
                   "message": o.why} for o in outcomes],
    }
    with open(os.path.join(out, "classroom.json"), "w") as f:
        json.dump(classroom, f, indent=2)
    failures = sum(not o.passed for o in outcomes)
    with open(os.path.join(out, "junit.xml"), "w") as f:
        f.write('<?xml version="1.0" encoding="UTF-8"?>\n')
        f.write(f'<testsuite name="lab{lab_no}" tests="{len(outcomes)}" failures="{failures}" '
                f'time="{seconds:.1f}">\n')
        for o in outcomes:
            name = quoteattr(o.test["name"])
            f.write(f'  <testcase classname="lab{lab_no}.{o.arch}" name={name}>')
            if not o.passed:
                first = o.why.splitlines()[0] if o.why else "failed"
                f.write(f'<failure message={quoteattr(f"{fmt(o.score)}/{o.max_score}: {first}")}>'
                        f'{escape(o.why)}</failure>')
            f.write('</testcase>\n')
        f.write('</testsuite>\n')
    return score, most


def print_table(outcomes, arches):
    """The table, the why of each test below full points, then a score line
    per arch; the caller prints the total last."""
    rows = [("test", "arch", "points", "result")] + \
        [(o.test["name"], o.arch, f"{fmt(o.score)}/{o.max_score}",
          "pass" if o.passed else ("part" if o.score else "FAIL")) for o in outcomes]
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for n, r in enumerate(rows):
        print("  ".join(c.ljust(w) for c, w in zip(r, widths)).rstrip())
        if n == 0:
            print("  ".join("-" * w for w in widths))
    for o in outcomes:
        if not o.passed:
            print(f"\n--- {o.name}: why ---\n{o.why}")
    print()
    for a in arches:
        score, most = total([o for o in outcomes if o.arch == a])
        print(f"Score {a}: {fmt(score)}/{most}")
