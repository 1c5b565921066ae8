#!/usr/bin/env python3
"""Write the memory viewer: one self-contained HTML page (docs/memdump.md).

    tools/view.py [--arch A ...] [--mem 256M] [--program hello] [--log LOG ...]
                  [--out build/view/index.html]

Without --log it boots each arch (both by default) with the `memdump`
boot option and `poweroff`, keeping the console logs beside the page; with
--log it reads the dumps in those logs (a boot log, a test log, a grading
log), the last dump of each arch. The page has the dumps as JSON and the
viewer's script and styles inline: it fetches nothing and opens from a
file in any browser.
"""

from __future__ import annotations

import argparse
import html
import json
import os
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(HERE)
sys.path.insert(0, HERE)
import memdump  # noqa: E402
from qemu import ARCHES  # noqa: E402


def boot_log(arch: str, mem: str, program: str, logdir: str) -> str:
    """Boot arch with the dump on its command line; the console log's path."""
    os.makedirs(logdir, exist_ok=True)
    log = os.path.join(logdir, f"{arch}.log")
    cmdline = f"memdump={program} poweroff" if program else "memdump poweroff"
    with open(log, "w") as out:
        p = subprocess.run([sys.executable, os.path.join(HERE, "qemu.py"), "--arch", arch,
                            "--boot", "direct", "--mem", mem, "--cmdline", cmdline],
                           stdout=out, stderr=subprocess.STDOUT, timeout=300)
    if p.returncode != 0:
        raise SystemExit(f"view: the {arch} boot failed (status {p.returncode}); see {log}")
    return log


def dumps_from_logs(logs: list[str]) -> list[memdump.Dump]:
    """The last dump of each arch in the logs, in ARCHES order."""
    last = {}
    for log in logs:
        with open(log, encoding="utf-8", errors="replace") as f:
            try:
                found = memdump.extract(f.read())
            except memdump.DumpError as e:
                raise SystemExit(f"view: {log}: {e}") from None
        for d in found:
            last[d.arch] = d
    if not last:
        raise SystemExit(f"view: no memory dump in {', '.join(logs)}")
    return [last[a] for a in ARCHES if a in last]


def compact(d: memdump.Dump, label: str = "", ident: str = "") -> dict:
    """A dump for the page: its records as printed, but the mappings, which
    may be hundreds of thousands, as arrays of numbers viewer.js's Dump
    reads: [space's index in `spaces`, the VA's low 48 bits, size, PA, page
    size ("4K", "2M", "1G"), perms, user + 2 * global + 4 * device]. Each
    number is below 2^53, so a JavaScript number holds it exactly."""
    spaces = list(d.spaces)
    # The reader has checked them and read their hex already (memdump.Space).
    mappings = [[i, m["va"] & ((1 << 48) - 1), m["size"], m["pa"], m["page"], m["perms"],
                 m["user"] + 2 * m["global"] + 4 * (m["memory"] == "device")]
                for i, space in enumerate(d.spaces.values()) for m in space.mappings]
    return {"arch": d.arch, "label": label or d.arch, "id": ident or f"arch-{d.arch}",
            "spaces": spaces,
            "records": [r for r in d.records if r["t"] != "mapping"], "mappings": mappings}


def page(dumps: list[memdump.Dump], source: str, labels=None, compare=None) -> str:
    """The whole page as one string: a column for each dump (headed by its
    label, its arch by default) and a table of differences for each pair of
    column indexes in `compare` (by default the first two columns)."""
    labels = labels or [d.arch for d in dumps]
    ids = [f"arch-{d.arch}" if labels == [x.arch for x in dumps] else f"col-{i}"
           for i, d in enumerate(dumps)]
    data = {"source": source,
            "dumps": [compact(d, label, ident) for d, label, ident in zip(dumps, labels, ids)]}
    if compare is not None:
        data["compare"] = compare
    # Inside <script>, "</" would end the element: JSON allows "<\/".
    blob = json.dumps(data, separators=(",", ":")).replace("</", "<\\/")
    with open(os.path.join(HERE, "view", "viewer.css")) as f:
        css = f.read()
    with open(os.path.join(HERE, "view", "viewer.js")) as f:
        js = f.read()
    title = "Duet memory: " + ", ".join(labels)
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; img-src data:; style-src 'unsafe-inline'; script-src 'unsafe-inline'">
<title>{html.escape(title)}</title>
<style>
{css}</style>
</head>
<body>
<h1>{html.escape(title)}</h1>
<div id="duet-view"></div>
<script id="duet-data" type="application/json">{blob}</script>
<script>
{js}</script>
</body>
</html>
"""


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--arch", action="append", choices=sorted(ARCHES),
                    help="boot this arch (repeatable; default: both)")
    ap.add_argument("--mem", default="256M")
    ap.add_argument("--program", default="hello",
                    help="also dump this user program's address space ('' for none)")
    ap.add_argument("--log", action="append", help="read dumps from this log instead of booting")
    ap.add_argument("--out", default=os.path.join(REPO, "build", "view", "index.html"))
    args = ap.parse_args(argv)

    if args.log:
        logs, source = args.log, "from " + ", ".join(args.log)
    else:
        arches = args.arch or list(ARCHES)
        logdir = os.path.dirname(os.path.abspath(args.out))
        logs = [boot_log(a, args.mem, args.program, logdir) for a in arches]
        source = f"booted with {args.mem} of RAM" + \
                 (f", the address space of '{args.program}' loaded" if args.program else "")
    dumps = dumps_from_logs(logs)
    os.makedirs(os.path.dirname(os.path.abspath(args.out)), exist_ok=True)
    with open(args.out, "w") as f:
        f.write(page(dumps, source))
    print(f"view: {args.out} ({', '.join(d.arch for d in dumps)})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
