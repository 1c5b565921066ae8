"""The README's first command on a machine without a compiler.

A fresh Debian has git, make and sudo, and no compiler: `make ARCH=x86_64
run` must install the packages and then build and boot, on the first try.
The Makefile asks the compiler questions while it is read (its include
directory), so the install has to come before that. This test makes such a
machine out of this one: a PATH with every command of /usr/bin but the C
compilers, and an apt-get that "installs" a compiler by putting the real
one on that PATH, as the real apt-get would.
"""
import hashlib
import os
import shutil
import subprocess
import tempfile

import pytest

import harness

COMPILERS = ("gcc", "cc", "c89", "c99", "gcc-12", "x86_64-linux-gnu-gcc", "x86_64-linux-gnu-gcc-12",
             "aarch64-linux-gnu-gcc", "aarch64-linux-gnu-gcc-12")
# What apt-get puts on PATH for each package name tools/deps.sh asks for.
PACKAGES = {"gcc": ("gcc", "cc", "x86_64-linux-gnu-gcc"),
            "gcc-aarch64-linux-gnu": ("aarch64-linux-gnu-gcc",)}

FAKE_APT = """#!/bin/sh
# apt-get of the test's fresh machine: install only puts compilers on PATH.
echo "apt-get $*" >> "{log}"
[ "$1" = install ] || exit 0
for pkg in "$@"; do
    case $pkg in
{cases}
    esac
done
"""


def usr_bin_without_compilers():
    """A directory of symlinks to every command of /usr/bin and /usr/sbin
    but the C compilers and apt-get, shared by the tests, which never change
    it. It is 1,600 new files, a second of CPU here, so it is kept from run
    to run in build/test-fresh-machine, named after the commands it holds:
    one installed or removed since makes a new one."""
    def make():
        commands = {}
        for top in ("/usr/sbin", "/usr/bin"):       # /usr/bin's first on PATH
            commands.update((name, os.path.join(top, name)) for name in os.listdir(top)
                            if name not in COMPILERS + ("apt-get",))
        kept = os.path.join(harness.REPO, "build", "test-fresh-machine")
        farm = os.path.join(kept, hashlib.sha256(repr(sorted(commands.items())).encode())
                            .hexdigest()[:16])
        if not os.path.isdir(farm):
            os.makedirs(kept, exist_ok=True)
            new = tempfile.mkdtemp(prefix="new-", dir=kept)
            for name, target in commands.items():
                os.symlink(target, os.path.join(new, name))
            try:
                os.rename(new, farm)
            except OSError:                 # another run made it first
                shutil.rmtree(new)
            for old in os.listdir(kept):
                if not old.startswith("new-") and old != os.path.basename(farm):
                    shutil.rmtree(os.path.join(kept, old))
        return farm
    return harness.once_per_run(("usr-bin-without-compilers",), make)


def fresh_machine(tmp_path):
    """(PATH, apt-get's log) of a machine without C compilers: a directory
    of this test's own, where apt-get installs, before the shared commands.
    Called after the test's copy of the tree, so that a test that waits for
    another worker to make the shared directory has done its own work first."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    log = tmp_path / "apt.log"
    cases = "\n".join(
        f"    {pkg}) " + " ".join(f'ln -sf "$(readlink -f /usr/bin/{c})" "{bin_dir}/{c}";'
                                for c in cmds) + " ;;"
        for pkg, cmds in PACKAGES.items())
    apt = bin_dir / "apt-get"
    apt.write_text(FAKE_APT.format(log=log, cases=cases))
    apt.chmod(0o755)
    if os.geteuid() != 0:       # deps.sh runs apt-get through sudo when not root
        sudo = bin_dir / "sudo"
        sudo.write_text('#!/bin/sh\nexec "$@"\n')
        sudo.chmod(0o755)
    return f"{bin_dir}:{usr_bin_without_compilers()}", log


# The goals these tests run (run, print-compile-commands) read none of
# these, and they are two thirds of the tree's files.
NOT_READ_BY_MAKE = ("docs", "labs", "tests")


@pytest.mark.x86_64
def test_make_run_works_first_try_without_a_compiler(tmp_path):
    """`make ARCH=x86_64 run` installs the compilers, then builds and boots
    (here with the command line that runs one suite and powers off).

    The tree comes with this tree's x86_64 objects, all but what make asks
    the compiler for as it reads the Makefile (its include directory), and
    one source newer than its object: the installed compiler must answer
    make and compile that file, without the whole build from nothing (14 s
    of the suite), which every clean clone's `make test` does anyway. Left
    out too, as files cost here: what that source remakes anyway (the
    kernel, the ISO) and the objects' header lists (*.d), which no header
    change needs here."""
    tree = harness.copy_of_tree(tmp_path / "duet", builds=["x86_64"], leave_out=NOT_READ_BY_MAKE,
                                skip_in_builds=("cc-include", "compile_commands.json", "run.cmd",
                                                "*.d", "duet.pass1.elf", "duet.elf", "iso",
                                                "duet.iso"))
    path, log = fresh_machine(tmp_path)
    assert shutil.which("gcc", path=path) is None
    changed = tree / "boot" / "kmain.c"
    changed.touch()
    env = {k: v for k, v in harness.make_env().items() if not k.startswith("DUET_")}
    env["PATH"] = path
    proc = subprocess.run(["make", "ARCH=x86_64", "run", "CMDLINE=ktest=string", "-j2"],
                          cwd=tree, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                          text=True, timeout=harness.scaled(600))
    out = proc.stdout + proc.stderr
    assert "apt-get install" in log.read_text() and " gcc" in log.read_text(), out
    assert proc.returncode == 0, out[-4000:]
    assert "boot/kmain.c" in out, "the changed file was not compiled:\n" + out[-4000:]
    assert "ok 1 string" in out, out[-4000:]


@pytest.mark.x86_64
def test_a_tool_gone_since_the_last_check_is_installed(tmp_path):
    """tools/deps.sh remembers a full check, and make trusts that record
    without starting a process; but a compiler that is no longer on PATH
    (here: the same PATH without /usr/bin, where the check found it, and
    every other tool where it was) is still noticed, and installed, before
    the Makefile asks the compiler anything."""
    tree = harness.copy_of_tree(tmp_path / "duet", leave_out=NOT_READ_BY_MAKE)
    path, log = fresh_machine(tmp_path)
    env = {k: v for k, v in harness.make_env().items() if not k.startswith("DUET_")}
    env["PATH"] = path + ":/usr/bin"
    subprocess.run(["tools/deps.sh", "check-or-install"], cwd=tree, env=env, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=harness.scaled(120))
    assert "cmd=gcc=" in (tree / "build" / "deps.ok").read_text()
    env["PATH"] = path
    proc = subprocess.run(["make", "ARCH=x86_64", "print-compile-commands"], cwd=tree, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=harness.scaled(120))
    out = proc.stdout + proc.stderr
    assert "apt-get install" in log.read_text() and " gcc" in log.read_text(), out
    assert proc.returncode == 0, out[-4000:]
    assert "gcc " in proc.stdout and "-isystem /" in proc.stdout, out[-4000:]


@pytest.mark.x86_64
def test_a_package_added_to_the_list_is_installed(tmp_path):
    """The record of the last check holds only for the list it was made
    with: a package added to tools/deps.sh afterwards is asked of apt-get
    on the next make (whose fake apt-get cannot install it: make stops),
    though every tool of the old list is where it was."""
    tree = harness.copy_of_tree(tmp_path / "duet", leave_out=NOT_READ_BY_MAKE)
    path, log = fresh_machine(tmp_path)
    env = {k: v for k, v in harness.make_env().items() if not k.startswith("DUET_")}
    env["PATH"] = path + ":/usr/bin"        # the fake apt-get first, and the compilers
    subprocess.run(["tools/deps.sh", "check-or-install"], cwd=tree, env=env, check=True,
                   stdin=subprocess.DEVNULL, capture_output=True, timeout=harness.scaled(120))
    assert "apt-get" not in (log.read_text() if log.exists() else "")
    script = tree / "tools" / "deps.sh"
    script.write_text(script.read_text().replace(
        "need cmd  make ", "need cmd  duet-no-such-tool duet-no-such-package\nneed cmd  make ", 1))
    proc = subprocess.run(["make", "ARCH=x86_64", "print-compile-commands"], cwd=tree, env=env,
                          stdin=subprocess.DEVNULL, capture_output=True, text=True,
                          timeout=harness.scaled(120))
    out = proc.stdout + proc.stderr
    assert "duet-no-such-package" in log.read_text(), out
    assert proc.returncode != 0 and "still missing" in out, out
