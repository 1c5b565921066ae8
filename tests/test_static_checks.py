"""The tree's fast static checks, so `make test` (and CI) keeps them clean.

tools/check.sh's `format` step (every C file as .clang-format says) and its
`cppcheck` step (both arches). `make check` also runs clang-tidy, which
takes minutes and so is not part of `make test`.
"""
import os
import shutil
import subprocess

import pytest

import harness

CHECK = os.path.join(harness.REPO, "tools", "check.sh")


@pytest.mark.parametrize("step,tool", [("format", "clang-format"), ("cppcheck", "cppcheck")])
def test_static_check_is_clean(step, tool):
    if shutil.which(tool) is None:
        pytest.fail(f"{tool} is missing: run `make deps`")
    r = subprocess.run([CHECK, step], capture_output=True, text=True, timeout=300)
    assert r.returncode == 0, f"tools/check.sh {step} found:\n{r.stdout}{r.stderr}"


def test_format_check_names_an_unformatted_file(tmp_path):
    """The format step must fail, naming the file, on a badly formatted one."""
    for d in ("arch", "boot", "include", "kernel", "mm", "tests", "user", "tools"):
        os.symlink(os.path.join(harness.REPO, d), tmp_path / d)
    shutil.copytree(os.path.join(harness.REPO, "lib"), tmp_path / "lib")
    shutil.copy(os.path.join(harness.REPO, ".clang-format"), tmp_path)
    (tmp_path / "lib" / "badly_formatted.c").write_text("int  f( void ){return 1;}\n")
    r = subprocess.run([str(tmp_path / "tools" / "check.sh"), "format"], capture_output=True,
                       text=True, timeout=300)
    assert r.returncode == 1
    assert "not formatted: lib/badly_formatted.c" in r.stdout
