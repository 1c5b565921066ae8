"""tools/sandbox.py: where a submission's code runs. tests/hostile/escape.c
tries, one attempt per run, what a hostile host test would: outlive the
run, write or read outside it, reach the network, fork, eat memory, flood
the grader with output, spin. Each attempt must fail or be stopped, and the
grader must learn why. No QEMU; tests/test_hostile.py grades whole hostile
submissions."""
import dataclasses
import fcntl
import os
import shutil
import socket
import stat
import subprocess
import sys
import threading

import pytest

import harness

sys.path.insert(0, os.path.join(harness.REPO, "tools"))
import sandbox  # noqa: E402

ESCAPE_C = os.path.join(harness.REPO, "tests", "hostile", "escape.c")
SMALL = sandbox.Limits(cpu_seconds=2, memory_bytes=256 << 20, processes=64,
                       output_bytes=4 << 20, keep_output=64 << 10)


@pytest.fixture(scope="session")
def escape(tmp_path_factory):
    """tests/hostile/escape.c, built with the host's cc."""
    out = tmp_path_factory.mktemp("escape")
    binary = str(out / "escape")
    subprocess.run(["cc", "-O1", "-o", binary, ESCAPE_C], check=True)
    os.chmod(out, 0o755)
    return binary


@pytest.fixture
def scratch():
    """The run's directory, holding its own copy of escape (as the grader
    stages a host test)."""
    path = sandbox.scratch_dir("duet-sandbox-test-")
    yield path
    shutil.rmtree(path, ignore_errors=True)


@pytest.fixture(params=["bwrap", "uid"])
def box_mode(request, monkeypatch):
    """Each test in both sandboxes the grader may use: bubblewrap, and the
    fallback for a root without namespaces (a uid of its own, limits)."""
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.delenv("DUET_GRADE_SANDBOX", raising=False)
    if request.param == "uid":
        if os.geteuid() != 0:
            pytest.skip("the uid sandbox is root's fallback")
        monkeypatch.setattr(sandbox, "_mode", "uid")
    assert sandbox.mode() == request.param
    return request.param


def run(escape, scratch, *args, limits=SMALL, timeout=20):
    binary = sandbox.stage({escape: "escape"}, scratch)[escape]
    box = sandbox.Sandbox(writable=[scratch], limits=limits)
    return box.run([binary, *args], cwd=scratch, timeout=timeout)


def alive(scratch):
    """Processes still running the staged binary."""
    found = []
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            if os.readlink(f"/proc/{pid}/exe").startswith(scratch):
                found.append(int(pid))
        except OSError:
            pass
    return found


def test_nothing_outlives_the_run(escape, scratch, box_mode):
    """A daemon (double fork, new session) dies with the run: the lock it
    holds on its file for its life comes free (waited for: the end of
    every process that holds it), and the file, which it wrote every
    50 ms, did not grow after run() returned."""
    beat = os.path.join(scratch, "heartbeat")
    r = run(escape, scratch, "daemon", beat)
    assert r.returncode == 0 and "daemon started" in r.output, r
    size = os.path.getsize(beat)
    with open(beat, "rb") as f:
        locker = threading.Thread(target=fcntl.flock, args=(f, fcntl.LOCK_EX), daemon=True)
        locker.start()
        locker.join(harness.scaled(10))
        assert not locker.is_alive(), "the daemon outlived the run: its lock is still held"
    assert os.path.getsize(beat) == size, "the daemon wrote after the run had ended"
    assert alive(scratch) == []


def test_nothing_is_written_outside_the_scratch_directory(escape, scratch, tmp_path, box_mode):
    """Not the grader's results (owned by the grader), not a path outside
    the run; the scratch directory itself is writable."""
    results = tmp_path / "results.json"
    results.write_text("{}")
    os.chmod(results, 0o644)
    grader = os.path.join(harness.REPO, "tools", "grade.py")
    with open(grader, "rb") as f:
        before = f.read()
    for target in (str(results), grader):
        r = run(escape, scratch, "write", target)
        assert r.output.startswith("refused"), r.output
    assert results.read_text() == "{}"
    with open(grader, "rb") as f:
        assert f.read() == before
    r = run(escape, scratch, "write", os.path.join(scratch, "mine"))
    assert r.output.startswith("wrote"), r.output


def test_the_grader_and_the_instructors_tree_are_out_of_sight(escape, scratch, tmp_path):
    """bwrap shows the run only /usr and what it was given: not the
    instructor's tree (solutions of later labs), not /etc's accounts."""
    secret = tmp_path / "solution.c"
    secret.write_text("the answer")
    os.chmod(secret, 0o644)
    for target in (str(secret), os.path.join(harness.REPO, "README.md"), "/etc/passwd"):
        r = run(escape, scratch, "read", target)
        assert r.output.startswith("refused"), r.output


def test_no_network(escape, scratch):
    """A server listening on the host's loopback is out of reach."""
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)
    port = str(server.getsockname()[1])
    try:
        outside = subprocess.run([escape, "connect", port], capture_output=True, text=True)
        assert outside.stdout.strip() == "connected", "the test itself cannot connect"
        r = run(escape, scratch, "connect", port)
        assert r.output.strip() == "refused", r.output
    finally:
        server.close()


@pytest.mark.parametrize("attempt, reason", [
    ("forkbomb", "processes and threads, reaching the 64 allowed"),
    ("hog", "more than the 256 MiB allowed"),
    ("flood", "printed more than 4 MiB"),
])
def test_limits_stop_the_whole_run(escape, scratch, box_mode, attempt, reason):
    """Past a limit the watchdog stops every process of the run and says
    which limit; nothing is left running."""
    r = run(escape, scratch, attempt)
    assert r.returncode is None and not r.timed_out and reason in r.stopped, r
    assert alive(scratch) == []


def test_a_flood_keeps_only_the_head_and_the_tail(escape, scratch):
    r = run(escape, scratch, "flood")
    assert r.output_bytes > SMALL.output_bytes
    assert len(r.output) < 3 * SMALL.keep_output
    assert "bytes of output cut ..." in r.output


def test_cpu_time_is_limited(escape, scratch):
    """A spinning program ends at its CPU limit (1 s here), long before its
    wall timeout."""
    r = run(escape, scratch, "spin", limits=dataclasses.replace(SMALL, cpu_seconds=1),
            timeout=60)
    assert not r.timed_out and r.returncode != 0, r


def test_no_sandbox_is_refused_unless_turned_off(monkeypatch, tmp_path):
    """Without bwrap (and, not as root, without the uid fallback) the grader
    cannot sandbox: it says so and what to do; DUET_GRADE_SANDBOX=off is
    the explicit way out, and says what it means."""
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    for tool in ("true", "prlimit"):
        os.symlink(shutil.which(tool), bin_dir / tool)
    monkeypatch.setenv("PATH", str(bin_dir))
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.delenv("DUET_GRADE_SANDBOX", raising=False)
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    with pytest.raises(sandbox.SandboxUnavailable, match="bubblewrap .*`make deps` installs"):
        sandbox.mode()
    monkeypatch.setattr(sandbox, "_mode", None)
    monkeypatch.setenv("DUET_GRADE_SANDBOX", "off")
    assert sandbox.mode() == "off" and "OFF" in sandbox.describe()


def test_the_scratch_directory_is_the_runs(escape, scratch, box_mode):
    """As root, the run's own uid owns what it may write, and no one else's
    files become writable: the grader's tree stays the grader's."""
    run(escape, scratch, "write", os.path.join(scratch, "x"))
    if os.geteuid() == 0:
        assert os.stat(scratch).st_uid >= sandbox.SANDBOX_UID_BASE
    mode = os.stat(os.path.join(harness.REPO, "tools", "grade.py")).st_mode
    assert not mode & stat.S_IWOTH
