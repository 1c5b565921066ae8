"""The QEMU runner every Duet test uses.

`boot()` starts one QEMU through tools/qemu.py (which alone knows the QEMU
command line), reads the serial console on threads so that neither side can
block the other, optionally drives the console (wait for text, then type),
stops QEMU at a timeout, and returns a `BootResult`: the console log, how
QEMU exited, whether it hung, and how long it took. Every console log is
saved under build/test-logs/.

`classify()` sorts a finished boot into one of four outcomes, and
`check()` turns an unexpected outcome into a test failure that names the
outcome and shows the end of the console:

    ok            the kernel powered off with the expected status
    hang          no exit before the timeout (QEMU was killed)
    crash         a KERNEL PANIC or KERNEL FAULT report, a reset (x86 triple
                  fault), QEMU failing, or an exit status nobody expected
    tests-failed  the run finished but a KTAP result is "not ok"

The environment variable TIMEOUT_SCALE multiplies every timeout (e.g. 3 on
a slow or loaded machine). With SANDBOX set (the grader sets it, and
DUET_QEMU_SANDBOX=1 sets it for a pytest run the grader starts), QEMU runs
in tools/sandbox.py's sandbox: a student's kernel is untrusted code, and
QEMU's semihosting would let it reach the host. A console is kept up to
MAX_CONSOLE bytes; a kernel that prints more is stopped (a crash).
"""
import codecs
import fcntl
import hashlib
import os
import pickle
import re
import shlex
import shutil
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field

REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sys.path.insert(0, os.path.join(REPO, "tools"))
from qemu import ARCHES, RunConfig, decode_exit, qemu_command  # noqa: E402
import ktap  # noqa: E402
import ktap_check  # noqa: E402
import sandbox  # noqa: E402

ALL_ARCHES = tuple(ARCHES)          # ("x86_64", "aarch64")
LOG_DIR = os.path.join(REPO, "build", "test-logs")
DEFAULT_TIMEOUT = 30.0              # seconds per boot, before TIMEOUT_SCALE
TAIL_LINES = 40

PROMPT = "duet> "                   # the monitor's prompt (lib/monitor.c)
# The one ktest=all boot per arch that several test files read: with a
# nonce, so its run is checked as the grader checks one (tools/ktap_check.py).
KTEST_ALL_NONCE = "make-test"
KTEST_ALL = f"ktest=all ktest.nonce={KTEST_ALL_NONCE}"
MAX_CONSOLE = 16 << 20              # bytes of console kept; a kernel printing more is stopped
SANDBOX = os.environ.get("DUET_QEMU_SANDBOX") == "1"
# QEMU in the sandbox: its guest RAM is a file in the sandbox's own /dev/shm,
# as large as the guest's RAM but sparse (only touched pages cost anything,
# 64 GiB guests included), so no file-size limit.
QEMU_LIMITS = sandbox.Limits(memory_bytes=3 << 30, shm_bytes=2 << 30, processes=128,
                             file_bytes=None)


def timeout_scale():
    try:
        scale = float(os.environ.get("TIMEOUT_SCALE", "1"))
    except ValueError:
        raise ValueError("TIMEOUT_SCALE must be a number, e.g. TIMEOUT_SCALE=2") from None
    return scale if scale > 0 else 1.0


def scaled(seconds):
    """A timeout in seconds, multiplied by TIMEOUT_SCALE."""
    return seconds * timeout_scale()


# --- building ---------------------------------------------------------------------

@dataclass
class BuildResult:
    arch: str
    llvm: bool
    ok: bool
    output: str                     # make's stdout and stderr, interleaved
    build_dir: str
    command: str


def make_env():
    """The environment for a sub-make: without the make variables of an outer
    `make test`, so that its ARCH= or -j flags do not leak into our builds."""
    env = dict(os.environ)
    for var in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES"):
        env.pop(var, None)
    return env


def run_make(*args, timeout=600):
    """Run make in the repository; returns the CompletedProcess (output merged)."""
    argv = ["make", "--no-print-directory", *args]
    return subprocess.run(argv, cwd=REPO, env=make_env(), stdout=subprocess.PIPE,
                          stderr=subprocess.STDOUT, text=True, timeout=timeout)


def build_dir(arch, llvm=False):
    return os.path.join(REPO, "build", arch + ("-llvm" if llvm else ""))


def ensure_built(arch, llvm=False):
    """Build `arch` once per test run (`make ARCH=<arch> all`), shared by
    the xdist workers through once_per_run: two makes in one build
    directory at once race (one linked a program while the other's objcopy
    looked for it, and failed).

    Returns a BuildResult; the caller fails its test with `output` when
    `ok` is False, so the compiler's message is what the student sees.
    """
    def build():
        args = [f"ARCH={arch}"] + (["LLVM=1"] if llvm else []) + ["all"]
        try:
            proc = run_make(*args)
            ok, output = proc.returncode == 0, proc.stdout
        except subprocess.TimeoutExpired as e:
            partial = e.stdout.decode(errors="replace") if isinstance(e.stdout, bytes) \
                else (e.stdout or "")
            ok, output = False, f"make timed out after {e.timeout} s\n{partial}"
        return BuildResult(arch, llvm, ok, output, build_dir(arch, llvm), "make " + " ".join(args))

    return once_per_run(("build", arch, llvm), build)


def build_failure_message(b):
    return (f"the {b.arch}{' LLVM' if b.llvm else ''} build failed "
            f"(`{b.command}`):\n{b.output.rstrip()}")


def require_build(arch, llvm=False):
    """Build `arch` (once per session); fail the current test with the
    compiler's output if that fails. Returns the BuildResult."""
    b = ensure_built(arch, llvm)
    if not b.ok:
        _fail(build_failure_message(b))
    return b


def copy_of_tree(dest, builds=(), skip_in_builds=(), leave_out=()):
    """A copy of this tree's sources at `dest` (no .git, build/ or
    bytecode, nor the top-level directories named in leave_out), with each
    of `builds` (e.g. "x86_64": build/x86_64, the files named in
    skip_in_builds left out), built first."""
    always = shutil.ignore_patterns(".git", "build", "*.pyc")
    shutil.copytree(REPO, dest, ignore=lambda d, names: set(always(d, names)) | (
        set(leave_out) if os.path.samefile(d, REPO) else set()))
    for arch in builds:
        require_build(arch)
        shutil.copytree(os.path.join(REPO, "build", arch), os.path.join(dest, "build", arch),
                        ignore=shutil.ignore_patterns(*skip_in_builds))
    return dest


def selected_arches(config):
    """The arches chosen with pytest's --arch option, in order, without repeats."""
    return tuple(dict.fromkeys(config.getoption("arch") or ALL_ARCHES))


# --- the console --------------------------------------------------------------------

class ConsoleTimeout(Exception):
    """The text a test waited for did not appear before the boot's deadline."""


class ConsoleClosed(Exception):
    """QEMU exited while a test was still waiting for console text."""


class Console:
    """The serial console of a running QEMU, as an interaction script sees it.

    `expect()` waits for text and moves a cursor past it, so each wait only
    looks at output that came after the previous one; `send()` types.
    """

    def __init__(self, proc, deadline, stop=None):
        self._proc = proc
        self._deadline = deadline
        self._stop = stop or proc.kill
        self._cond = threading.Condition()
        self._raw = []
        self._decoder = codecs.getincrementaldecoder("utf-8")(errors="replace")
        self._eof = False
        self._bytes = 0
        self.flooded = False
        self.cursor = 0

    # Called by the reader thread.
    def _feed(self, data):
        with self._cond:
            if data and self._bytes + len(data) > MAX_CONSOLE:
                if not self.flooded:
                    self.flooded = True
                    self._stop()
            elif data:
                self._bytes += len(data)
                self._raw.append(self._decoder.decode(data))
            else:
                self._raw.append(self._decoder.decode(b"", final=True))
                self._eof = True
            self._cond.notify_all()

    @property
    def text(self):
        """Everything QEMU printed so far, with CR LF turned into LF."""
        with self._cond:
            return "".join(self._raw).replace("\r\n", "\n")

    def expect(self, pattern, timeout=None):
        """Wait until `pattern` (a string, or a compiled regex) appears after
        the cursor; move the cursor past it and return the matched text.
        The text arrives a few bytes at a time: a regex that ends in an open
        repetition ("\\d+") may match a line's first part, so end it with
        "\\n" or a fixed string.

        Raises ConsoleTimeout at the boot's deadline (or after `timeout`
        seconds, scaled), ConsoleClosed when QEMU's output ends first.
        """
        deadline = self._deadline
        if timeout is not None:
            deadline = min(deadline, time.monotonic() + scaled(timeout))
        with self._cond:
            while True:
                text = "".join(self._raw).replace("\r\n", "\n")
                if isinstance(pattern, str):
                    i = text.find(pattern, self.cursor)
                    if i >= 0:
                        self.cursor = i + len(pattern)
                        return pattern
                else:
                    m = pattern.search(text, self.cursor)
                    if m:
                        self.cursor = m.end()
                        return m.group(0)
                if self._eof:
                    raise ConsoleClosed(f"QEMU exited while the test waited for {_show(pattern)}")
                left = deadline - time.monotonic()
                if left <= 0:
                    raise ConsoleTimeout(f"timed out waiting for {_show(pattern)}")
                self._cond.wait(left)

    def send(self, text):
        """Type `text` on the serial line (QEMU's stdin)."""
        try:
            self._proc.stdin.write(text.encode())
            self._proc.stdin.flush()
        except (BrokenPipeError, ValueError):
            raise ConsoleClosed(f"QEMU exited before the test could send {text!r}") from None

    def command(self, line, prompt=PROMPT):
        """Monitor helper: wait for the prompt, then type `line` and Enter."""
        self.expect(prompt)
        self.send(line + "\n")

    def monitor(self, line, prompt=PROMPT):
        """Run one monitor command and return what it printed: wait for the
        prompt, type `line` and Enter, wait for the next prompt. The echo
        of the typed line is left out; the next prompt is left for the next
        command to wait for."""
        self.command(line, prompt)
        start = self.cursor
        self.expect(prompt)
        self.cursor -= len(prompt)
        printed = self.text[start:self.cursor]
        return printed.split("\n", 1)[1] if "\n" in printed else ""

    def monitor_until(self, line, pattern, tries=100, pause=0.01):
        """Run `line` again, `pause` seconds apart, until what it printed
        matches the compiled regex `pattern` or `tries` runs have been made;
        return the last output (the caller asserts on it). For a state the
        kernel reaches a tick later, such as a killed process being reaped:
        asked again a tick (10 ms) later, for a second at least."""
        for _ in range(tries):
            printed = self.monitor(line)
            if pattern.search(printed):
                break
            time.sleep(pause)
        return printed


def _show(pattern):
    return repr(pattern) if isinstance(pattern, str) else f"/{pattern.pattern}/"


def script(*steps):
    """An interaction script from (wait_for, text_to_send) pairs:

        script((PROMPT, "help\\n"), (PROMPT, "poweroff\\n"))
    """
    def run(console):
        for wait_for, text in steps:
            console.expect(wait_for)
            console.send(text)
    return run


# --- one boot --------------------------------------------------------------------

@dataclass
class BootResult:
    arch: str
    cmdline: str
    argv: list
    log: str                        # the console, CR LF turned into LF
    stderr: str                     # QEMU's own messages
    returncode: int | None          # QEMU's exit code (None if killed at the timeout)
    exit: object                    # tools/qemu.py ExitInfo, None if killed at the timeout
    timed_out: bool
    timeout: float
    duration: float                 # seconds from QEMU start to its exit (or kill)
    log_path: str
    interaction_error: str = ""     # what an interaction script was waiting for
    extra: dict = field(default_factory=dict)
    stopped: str = ""               # why the sandbox or the console cap stopped QEMU

    @property
    def status(self):
        """The kernel's poweroff status, or None if it did not power off."""
        return self.exit.status if self.exit and self.exit.kind == "poweroff" else None

    def tail(self, n=TAIL_LINES):
        lines = self.log.rstrip("\n").split("\n")
        return "\n".join(lines[-n:])

    def describe(self):
        """'x86_64 boot with cmdline 'ktest=all' (cpu max)': for messages."""
        what = f"{self.arch} boot with cmdline {self.cmdline!r}"
        options = [f"{k} {v}" for k, v in self.extra.items() if v]
        return what + (f" ({', '.join(options)})" if options else "")

    def report(self, headline):
        """A failure message: a headline, then the end of the console."""
        parts = [f"{self.describe()}: {headline}"]
        if self.stderr.strip():
            parts.append("--- QEMU stderr ---\n" + self.stderr.rstrip())
        rel = os.path.relpath(self.log_path, REPO) if self.log_path else "(not saved)"
        parts.append(f"--- last {TAIL_LINES} lines of the console ({rel}) ---\n"
                     + (self.tail() if self.log.strip() else "(the console is empty)"))
        return "\n".join(parts)


_used_log_names = set()


def sanitize(name):
    """A pytest node id -> a file name:
    'tests/test_boot.py::test_cpu[aarch64-max]' -> 'test_boot.test_cpu-aarch64-max'."""
    file, sep, rest = name.partition("::")
    if sep:
        name = os.path.basename(file).removesuffix(".py") + "." + rest.replace("::", ".")
    return re.sub(r"[^A-Za-z0-9._=+-]+", "-", name).strip("-.")[:150] or "boot"


def _log_path(log_name):
    os.makedirs(LOG_DIR, exist_ok=True)
    base = sanitize(log_name)
    name, n = base, 1
    while name in _used_log_names:      # the same test booting twice
        n += 1
        name = f"{base}.{n}"
    _used_log_names.add(name)
    return os.path.join(LOG_DIR, name + ".log")


def _pump(stream, sink):
    """Reader thread: copy a pipe into `sink(bytes)` until EOF; then sink(b'')."""
    try:
        while True:
            data = os.read(stream.fileno(), 65536)
            if not data:
                break
            sink(data)
    except OSError:
        pass
    finally:
        sink(b"")


def boot(arch, cmdline="", mem="256M", cpu="", machine="", gic=0, smp=1, build="",
         timeout=DEFAULT_TIMEOUT, send=None, log_name=None, boot_method="direct"):
    """Boot Duet once under QEMU and return a BootResult; never raises for a
    kernel problem (a hang, crash or bad exit is in the result).

    send: None (stdin is /dev/null), or an interaction script: a callable
    taking a Console (see `script()` for the (wait_for, text) form). The
    script runs while QEMU does; when it returns, the kernel is expected to
    power off by itself. An exception other than a console timeout or
    closed console (e.g. a failed assert in the script) is re-raised after
    QEMU is stopped and the log is saved.
    timeout: seconds for the whole boot, multiplied by TIMEOUT_SCALE.
    log_name: name of the saved log (usually the pytest node id).
    boot_method: "direct" (QEMU's -kernel; on x86_64 through the PVH entry,
    with no firmware menu or GRUB: the fast way every test takes unless it
    is about GRUB), "grub" (x86_64's ISO), or "" for the arch's `make run`
    default (GRUB on x86_64, direct on AArch64). See tools/qemu.py.
    """
    limit = scaled(timeout)
    workdir = sandbox.scratch_dir("duet-test-")
    dog = None
    kernel = build
    if SANDBOX:         # the kernel the sandbox runs: a copy in its own directory
        src = build or os.path.join(REPO, "build", arch)
        kernel = os.path.join(workdir, "kernel")
        sandbox.stage({os.path.join(src, f): os.path.join("kernel", f)
                       for f in ("duet.elf", "duet.iso") if os.path.exists(os.path.join(src, f))},
                      workdir)
    cfg = RunConfig(arch=arch, build=kernel, mem=mem, smp=smp, cpu=cpu, machine=machine,
                    gic=gic, cmdline=cmdline, boot=boot_method)
    log_path = _log_path(log_name or f"{arch}-{cmdline or 'boot'}")
    stderr_chunks = []
    timed_out = False
    interaction_error = ""
    pending_exc = None
    proc = None
    try:
        argv = qemu_command(cfg, workdir)
        start = time.monotonic()
        stdin = subprocess.PIPE if send else subprocess.DEVNULL
        if SANDBOX:
            box = sandbox.Sandbox(writable=[workdir], limits=QEMU_LIMITS)
            proc, dog = box.start(argv, cwd=workdir, stdin=stdin, stdout=subprocess.PIPE,
                                  stderr=subprocess.PIPE)
        else:
            proc = subprocess.Popen(argv, cwd=workdir, stdin=stdin, stdout=subprocess.PIPE,
                                    stderr=subprocess.PIPE)
        deadline = start + limit
        console = Console(proc, deadline, stop=dog.kill if dog else proc.kill)
        readers = [threading.Thread(target=_pump, args=(proc.stdout, console._feed), daemon=True),
                   threading.Thread(target=_pump, args=(proc.stderr, stderr_chunks.append),
                                    daemon=True)]
        for t in readers:
            t.start()
        if send:
            try:
                send(console)
            except ConsoleTimeout as e:
                timed_out, interaction_error = True, str(e)
            except ConsoleClosed as e:
                interaction_error = str(e)
            except BaseException as e:      # the script's own assert: report after cleanup
                pending_exc = e
        if not timed_out and pending_exc is None:
            # Woken by the exit itself (sandbox.wait_for: a pidfd), not
            # Popen.wait's polls, which end every boot up to 50 ms late.
            timed_out = not sandbox.wait_for(proc, max(0.0, deadline - time.monotonic()))
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        if dog:
            dog.finish()
        duration = time.monotonic() - start
        for t in readers:
            t.join(timeout=5)
        stopped = (dog.reason if dog else "") or (
            f"the console passed {MAX_CONSOLE >> 20} MiB and QEMU was stopped"
            if console.flooded else "")
        rc = None if (timed_out or stopped) else proc.returncode
        result = BootResult(
            arch=arch, cmdline=cmdline, argv=argv, log=console.text,
            stderr=b"".join(stderr_chunks).decode(errors="replace"),
            returncode=rc, exit=None if rc is None else decode_exit(arch, rc),
            timed_out=timed_out, timeout=limit, duration=duration, log_path=log_path,
            interaction_error=interaction_error, stopped=stopped,
            extra={"cpu": cpu, "machine": machine, "mem": mem if mem != "256M" else "",
                   "build": os.path.relpath(build, REPO) if build else ""})
        _save_log(result)
    finally:
        if dog:
            dog.finish()
        if proc is not None:
            if proc.poll() is None:
                proc.kill()
                proc.wait()
            for f in (proc.stdin, proc.stdout, proc.stderr):
                if f:
                    try:
                        f.close()
                    except OSError:
                        pass
        shutil.rmtree(workdir, ignore_errors=True)
    if pending_exc is not None:
        raise pending_exc
    return result


# Work that every pytest-xdist worker would repeat (the ktest=all boots
# that collection reads, the host test binaries' runs, boots shared by
# several tests) is done once per pytest run: by the first process that
# asks, under a lock, and read back from a file by the others. conftest.py
# makes the run's directory and names it in this variable, which the
# workers inherit; without it (harness used alone) nothing is shared.
RUN_DIR_ENV = "DUET_TEST_RUN_DIR"
_once = {}


def once_per_run(key, compute):
    """compute(), or what another process of this pytest run computed for
    the same key (a tuple; this tree's path is added, so a nested run in
    another tree never reads it). The value must pickle."""
    key = (REPO,) + tuple(key)
    if key in _once:
        return _once[key]
    run_dir = os.environ.get(RUN_DIR_ENV)
    if not run_dir or not os.path.isdir(run_dir):
        _once[key] = compute()
        return _once[key]
    path = os.path.join(run_dir, hashlib.sha256(repr(key).encode()).hexdigest()[:32])
    try:
        lock = open(path + ".lock", "a")
    except OSError:                     # e.g. a run in a sandbox that cannot write there
        _once[key] = compute()
        return _once[key]
    with lock:
        fcntl.flock(lock, fcntl.LOCK_EX)        # released when the file closes
        if os.path.exists(path):
            with open(path, "rb") as f:
                _once[key] = pickle.load(f)
        else:
            _once[key] = compute()
            with open(path + ".tmp", "wb") as f:
                pickle.dump(_once[key], f)
            os.replace(path + ".tmp", path)
    return _once[key]


def cached_boot(arch, cmdline=""):
    """boot(arch, cmdline), once per test session: tests that only read the
    console of the same kind of boot share it. The log is saved as
    build/test-logs/session.<arch>.<cmdline>.log. The caller builds first."""
    return once_per_run(("boot", arch, cmdline),
                        lambda: boot(arch, cmdline, log_name=f"session.{arch}.{cmdline or 'boot'}"))


def _save_log(r):
    with open(r.log_path, "w") as f:
        f.write(f"# qemu: {shlex.join(r.argv)}\n")
        f.write(r.log)
        if not r.log.endswith("\n"):
            f.write("\n")
        if r.stderr:
            f.write("# qemu stderr:\n" + r.stderr)
        kind, reason = classify(r)
        f.write(f"# harness: {kind}: {reason} ({r.duration:.2f} s)\n")


# --- outcomes ---------------------------------------------------------------------

_FAULT_RE = re.compile(r"^\*\*\* KERNEL (?:PANIC|FAULT)\b.*$", re.MULTILINE)
_NOT_OK_RE = re.compile(r"^\s*not ok \d+\s*(.*)$", re.MULTILINE)
# How a fault report ends when a test expected the fault (lib/fault.c).
FAULT_EXPECTED = "*** fault expected by the test: it goes on ***"
_REPORT_END_RE = re.compile(r"^\*\*\* (?:fault|panic)\b.*$", re.MULTILINE)


def unexpected_fault(log):
    """The first panic or fault report that a test did not expect, or None.

    A fault a test provokes on purpose (fault_expect()) is reported in
    full, then ends with FAULT_EXPECTED instead of powering off."""
    for m in _FAULT_RE.finditer(log):
        end = _REPORT_END_RE.search(log, m.end())
        if not (m.group(0).startswith("*** KERNEL FAULT") and end
                and end.group(0).strip() == FAULT_EXPECTED):
            return m
    return None


def classify(r, expect_status=0):
    """-> (outcome, reason): outcome is 'ok', 'hang', 'crash' or 'tests-failed'."""
    if r.stopped:
        return "crash", r.stopped
    if r.timed_out:
        why = f"no exit within {r.timeout:.3g} s; QEMU was killed"
        if r.interaction_error:
            why += f" ({r.interaction_error})"
        return "hang", why
    m = unexpected_fault(r.log)
    if m:
        return "crash", m.group(0).strip("* ").strip()
    if r.exit.kind != "poweroff":
        why = r.exit.text
        if r.exit.kind == "reset":
            why = "the machine reset (on x86 a triple fault): " + why
        return "crash", why
    if r.interaction_error:
        return "crash", f"{r.interaction_error}; {r.exit.text}"
    if "ktest=" in r.cmdline:
        problem = ktest_run_problem(r.log)
        if problem:
            return "crash", problem
    failed = [n.strip() for n in _NOT_OK_RE.findall(r.log)]
    if failed:
        shown = ", ".join(failed[:8]) + (", ..." if len(failed) > 8 else "")
        return "tests-failed", f"KTAP reports not ok: {shown}"
    if r.exit.status != expect_status:
        return "crash", (f"unexpected exit: {r.exit.text}, expected status {expect_status}")
    return "ok", r.exit.text


def ktest_run_problem(log):
    """Why a ktest= boot's run is no evidence, or "": it must have run at
    least one case, and no case may be "ok" while a check in it failed (a
    framework that lies would otherwise pass everything)."""
    doc = ktap.parse(log)
    if doc.version is None:
        return "no test ran: the console holds no KTAP run"
    cases = [res for _, res in doc.leaves() if res.plan is None]
    if not doc.plan or not cases:
        return f"no test ran: the run's plan is 1..{doc.plan or 0} and it reports no case"
    for path, res in doc.walk():
        bad = ktap_check.failure_diagnostic(res.diagnostics) if res.ok and not res.subtests \
            else ""
        if bad:
            return (f"{'/'.join(path)} is reported ok, yet a check in it failed: {bad}: the "
                    "test framework does not report what happened")
    return ""


def check(r, expected="ok", expect_status=None):
    """Fail the calling test unless the boot's outcome is `expected`, and,
    when `expect_status` is given, the kernel powered off with that status
    (a crash that ends in a reset or the wrong status is not the crash the
    test wants). Expecting "ok" expects status 0.

    The message says which outcome happened and why, then shows the tail
    of the console. Returns the result, for chaining.
    """
    status = 0 if expect_status is None and expected == "ok" else expect_status
    outcome, reason = classify(r, 0 if status is None else status)
    if outcome != expected:
        _fail(r.report(f"expected {expected}, got {outcome}: {reason}"))
    if status is not None and r.status != status:
        _fail(r.report(f"expected {expected} with status {status}; {r.exit.text if r.exit else 'no exit'}"))
    return r


_MEMMAP_ROW_RE = re.compile(r"^  0x([0-9a-f]{16}) - 0x([0-9a-f]{16})\s+\S+ \S+\s+(.+?)\s*$")


def memmap_table(log, title):
    """[(start, end_exclusive, type)] of the boot log's memory-map table
    headed `memmap: <title>` (mm/memmap.c prints "as the firmware described
    it" and "normalised"); [] when there is none."""
    start = log.find(f"memmap: {title}")
    if start < 0:
        return []
    rows = []
    for line in log[start:].split("\n")[2:]:       # past the title and the header
        m = _MEMMAP_ROW_RE.match(line)
        if not m:
            break
        rows.append((int(m.group(1), 16), int(m.group(2), 16) + 1, m.group(3)))
    return rows


def require(r, pattern, what):
    """Fail unless the console contains `pattern` (a string or compiled
    regex); `what` says in words what its absence means. Returns the match."""
    if isinstance(pattern, str):
        if pattern in r.log:
            return pattern
    else:
        m = pattern.search(r.log)
        if m:
            return m
    outcome, reason = classify(r)
    _fail(r.report(f"{what}: {_show(pattern)} is not in the console "
                   f"(the boot's outcome: {outcome}: {reason})"))


def _fail(message):
    import pytest
    pytest.fail(message, pytrace=False)
