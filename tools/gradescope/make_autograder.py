#!/usr/bin/env python3
"""Make Gradescope's autograder zip for one lab.

    python3 tools/gradescope/make_autograder.py LAB=n [--out FILE]
    (or: ... make_autograder.py n)              default FILE: build/autograder-lab<n>.zip

The zip is what Gradescope's "Configure Autograder" page takes. Gradescope
unpacks it in /autograder/source, runs setup.sh there once to build the
image, and run_autograder for each submission. It holds:

  - the lab-n handout (tools/handout.py), not the solution tree: earlier
    labs' solutions, lab n and later as stubs. Grading lab n needs nothing
    more (the grader copies a student's files into a fresh lab-n handout),
    and a student's code, which runs in the same container, finds no
    solution to lab n there;
  - setup.sh and run_autograder (from tools/gradescope/) at its top, as
    Gradescope wants them;
  - gradescope-lab: the lab number, which run_autograder reads.

docs/instructors.md walks through the set-up.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile
import zipfile

HERE = os.path.dirname(os.path.abspath(__file__))
REPO = os.path.dirname(os.path.dirname(HERE))
sys.path.insert(0, os.path.join(REPO, "tools"))
import handout  # noqa: E402

LAB_FILE = "gradescope-lab"


def make_autograder(lab, out_zip, src=REPO):
    """Write the autograder zip for `lab` to out_zip; -> the number of files in it."""
    with tempfile.TemporaryDirectory(prefix="duet-autograder-") as tmp:
        tree = os.path.join(tmp, "source")
        handout.make_handout(lab, tree, src)
        for script in ("setup.sh", "run_autograder"):
            shutil.copy2(os.path.join(HERE, script), os.path.join(tree, script))
        with open(os.path.join(tree, LAB_FILE), "w") as f:
            f.write(f"{lab}\n")
        os.makedirs(os.path.dirname(os.path.abspath(out_zip)), exist_ok=True)
        count = 0
        with zipfile.ZipFile(out_zip, "w", zipfile.ZIP_DEFLATED) as z:
            for rel in handout.tree_files(tree, []):
                path = os.path.join(tree, rel)
                info = zipfile.ZipInfo.from_file(path, rel)
                # Keep the execute bits: the build runs tools/*.sh directly.
                info.external_attr = (os.stat(path).st_mode & 0o777 | 0o100000) << 16
                info.compress_type = zipfile.ZIP_DEFLATED
                with open(path, "rb") as f:
                    z.writestr(info, f.read())
                count += 1
    return count


def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("lab", help="the lab: n or LAB=n")
    ap.add_argument("--out", help="the zip to write (default: build/autograder-lab<n>.zip)")
    args = ap.parse_args(argv)
    m = re.fullmatch(r"(?:LAB=)?(\d+)", args.lab)
    if not m:
        ap.error(f"the lab is a number, n or LAB=n, not {args.lab!r}")
    lab = int(m.group(1))
    out = args.out or os.path.join(REPO, "build", f"autograder-lab{lab}.zip")
    try:
        count = make_autograder(lab, out)
    except handout.MarkerError as e:
        print(f"make_autograder: {e}", file=sys.stderr)
        return 1
    print(f"make_autograder: lab {lab}: {os.path.relpath(out)} ({count} files, "
          f"{os.path.getsize(out) // 1024} KiB); upload it on Gradescope's Configure "
          f"Autograder page (docs/instructors.md)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
