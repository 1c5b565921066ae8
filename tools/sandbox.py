"""Run untrusted programs: a student's host tests and a student's kernel.

A submission is code, and the grader runs it: a host test links the
student's C into a native program, and QEMU runs the student's kernel
(QEMU's AArch64 semihosting even lets the guest open host files and run
host commands). So every such process runs in a sandbox that

- sees a read-only /usr, the few paths the run needs (read-only unless
  named writable) and its own empty /tmp and /dev/shm, nothing else: not
  the grader, its results, the instructor's tree or $HOME;
- has no network, its own PID namespace (when the run ends its first
  process dies and the kernel kills every process left in the namespace:
  a daemon cannot outlive it), its own IPC and host name, a new session
  (no terminal to inject keys into);
- runs as an unprivileged user (root drops to a uid of its own first);
- has limits: CPU seconds, the size of a file it writes, open files and
  processes (rlimits), and a watchdog that stops the whole sandbox when its
  processes together hold more memory than allowed, when there are too
  many of them, or when it prints more than allowed. Only the head and the
  tail of the output are kept, with the cut marked.

How, in order of preference (`mode()` says which this machine has):

    bwrap   bubblewrap (Debian's `bubblewrap`, `make deps` installs it)
            with user namespaces: everything above.
    uid     root without namespaces (e.g. an unprivileged container): the
            run gets a uid of its own, the rlimits and the watchdog, and every
            process of that uid is killed after it. It can read what any
            user may read and use the network: a weaker sandbox, and the
            grader says so in its results.

Neither: SandboxUnavailable, unless DUET_GRADE_SANDBOX=off, which runs
untrusted code as the grading user (for a machine that is itself thrown
away after one submission; the grader says so in its results).
"""
import os
import select
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from dataclasses import dataclass

# Uids for sandboxed runs when the grader runs as root: no account has
# them, and each run at a time has its own (from the grader's pid and a
# counter), so killing "every process of the run's uid" touches nothing else,
# not even another sandbox of the same grade.
SANDBOX_UID_BASE = 2_000_000
POLL_SECONDS = 0.05
_next_slot = 0
_slot_lock = threading.Lock()


def _new_uid():
    global _next_slot
    with _slot_lock:
        _next_slot += 1
        return SANDBOX_UID_BASE + (os.getpid() % 100_000) * 16 + _next_slot % 16


class SandboxUnavailable(Exception):
    """No way to sandbox here; the message says what to install or set."""


@dataclass
class Limits:
    cpu_seconds: int = 300              # CPU time of each process (RLIMIT_CPU)
    memory_bytes: int = 2 << 30         # resident memory of all its processes together
    processes: int = 256                # processes and threads (RLIMIT_NPROC, and the watchdog)
    file_bytes: int | None = 256 << 20  # the largest file it may write (RLIMIT_FSIZE; None: any)
    open_files: int = 256               # RLIMIT_NOFILE
    output_bytes: int = 16 << 20        # stdout and stderr together; past this it is stopped
    keep_output: int = 64 << 10         # bytes of the output's head, and of its tail, kept
    tmp_bytes: int = 64 << 20           # its /tmp
    shm_bytes: int = 1 << 30            # its /dev/shm (QEMU's guest RAM file: only touched pages)


@dataclass
class Result:
    returncode: int | None              # None when it was stopped (timeout, a limit)
    output: str                         # head and tail of stdout+stderr, the cut marked
    output_bytes: int                   # how much it printed in all
    timed_out: bool
    stopped: str                        # why the watchdog stopped it, or ""
    seconds: float                      # from its start to its end, or to its timeout


def _run_quiet(argv):
    try:
        return subprocess.run(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                              timeout=20).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


_mode = None


def mode():
    """'bwrap', 'uid' or 'off' (DUET_GRADE_SANDBOX=off); SandboxUnavailable
    when none works. Probed once per process."""
    global _mode
    if _mode is None:
        setting = os.environ.get("DUET_GRADE_SANDBOX", "").strip().lower()
        if setting == "off":
            _mode = "off"
        elif _run_quiet(_drop_uid(_new_uid()) + ["bwrap"] + _bwrap_base(Limits())
                        + ["--", "true"]):
            _mode = "bwrap"
        elif os.geteuid() == 0 and _run_quiet(_drop_uid(_new_uid()) + ["true"]):
            _mode = "uid"
        else:
            why = ("bubblewrap (bwrap) is not installed: `make deps` installs it"
                   if not _run_quiet(["bwrap", "--version"]) else
                   "bwrap cannot create namespaces here (no unprivileged user namespaces, "
                   "and not root)")
            raise SandboxUnavailable(
                f"cannot sandbox a submission's code: {why}. On a machine used for nothing "
                "else (a container made for one submission), DUET_GRADE_SANDBOX=off runs it "
                "without a sandbox (docs/instructors.md)")
    return _mode


def describe():
    """One line for the results: how untrusted code ran."""
    return {"bwrap": "sandbox: bubblewrap (no network, own PID namespace, read-only system)",
            "uid": "sandbox: a uid of its own with limits only (no namespaces on this "
                   "machine: it could read what any user can, and use the network)",
            "off": "sandbox: OFF (DUET_GRADE_SANDBOX=off): the submission's code ran as the "
                   "grading user"}[mode()]


def _drop_uid(uid):
    """As root: become `uid` (no groups, no capabilities) before anything else runs."""
    if os.geteuid() != 0:
        return []
    return ["setpriv", f"--reuid={uid}", f"--regid={uid}", "--clear-groups",
            "--inh-caps=-all", "--"]


def _bwrap_base(limits):
    """bwrap's options for an empty, isolated root with /usr read-only."""
    argv = ["--unshare-all", "--die-with-parent", "--new-session",
            "--ro-bind", "/usr", "/usr", "--proc", "/proc", "--dev", "/dev",
            "--size", str(limits.tmp_bytes), "--tmpfs", "/tmp",
            "--size", str(limits.shm_bytes), "--tmpfs", "/dev/shm"]
    # /bin, /lib, ...: links into /usr on a merged-/usr system, directories otherwise.
    for top in ("bin", "sbin", "lib", "lib32", "lib64", "libx32"):
        path = "/" + top
        if os.path.islink(path):
            argv += ["--symlink", os.readlink(path), path]
        elif os.path.isdir(path):
            argv += ["--ro-bind", path, path]
    # The dynamic loader's cache; nothing else of /etc (no accounts, no keys).
    for path in ("/etc/ld.so.cache", "/etc/ld.so.conf", "/etc/ld.so.conf.d"):
        if os.path.exists(path):
            argv += ["--ro-bind", path, path]
    return argv


def _chown_tree(path, uid):
    """Give the run's uid what it may write: the directory and what the
    grader put in it (QEMU's command-line disk, say)."""
    os.chown(path, uid, uid)
    for top, dirs, files in os.walk(path):
        for name in dirs + files:
            os.lchown(os.path.join(top, name), uid, uid)


def _rlimits(limits):
    fsize = "unlimited" if limits.file_bytes is None else limits.file_bytes
    return ["prlimit", f"--cpu={limits.cpu_seconds}", f"--fsize={fsize}",
            f"--nofile={limits.open_files}", f"--nproc={limits.processes}", "--core=0", "--"]


def scratch_dir(prefix):
    """A new directory for one run, under the system's temporary directory,
    which every user can reach (a directory under $HOME may not be: the
    run's uid could not even look into it)."""
    path = tempfile.mkdtemp(prefix=prefix)
    os.chmod(path, 0o755)
    return path


def stage(files, into):
    """Copy what a run needs into its scratch directory `into`:
    {source: path relative to `into`} (a directory is copied whole);
    -> {source: the copy's path}."""
    copies = {}
    for src, rel in files.items():
        dest = os.path.join(into, rel)
        os.makedirs(os.path.dirname(dest), exist_ok=True)
        if os.path.isdir(src):
            shutil.copytree(src, dest, dirs_exist_ok=True)
        else:
            shutil.copy2(src, dest)
        copies[src] = dest
    for top, dirs, _ in os.walk(into):
        for d in dirs:
            os.chmod(os.path.join(top, d), 0o755)
    return copies


class Sandbox:
    """Where one kind of untrusted run happens: the paths it may read and
    write, and its limits. `command()` wraps an argv; `start()` starts it
    with the watchdog; `run()` runs it to the end and returns a Result.
    The run's uid must be able to reach what it reads: callers copy what it
    needs into its scratch directory (`scratch_dir()`, `stage()`), which is
    also the one writable path."""

    def __init__(self, readable=(), writable=(), limits=None, env=None):
        self.readable = [os.path.realpath(p) for p in readable]
        self.writable = [os.path.realpath(p) for p in writable]
        self.limits = limits or Limits()
        # A clean environment: nothing of the grader's (tokens, paths) leaks in.
        self.env = {"PATH": "/usr/bin:/bin", "LANG": "C.UTF-8", "HOME": "/tmp",
                    **(env or {})}

    def command(self, argv, cwd, uid):
        """The argv that runs `argv` in the sandbox as `uid` (when root) with
        `cwd` as its directory."""
        how = mode()
        if how == "off":
            return list(argv)
        if os.geteuid() == 0:
            for path in self.writable:
                _chown_tree(path, uid)
        if how == "uid":
            return _drop_uid(uid) + _rlimits(self.limits) + list(argv)
        binds = []
        for path in self.readable:
            binds += ["--ro-bind", path, path]
        for path in self.writable:
            binds += ["--bind", path, path]
        return (_drop_uid(uid) + ["bwrap"] + _bwrap_base(self.limits) + binds
                + ["--chdir", os.path.realpath(cwd), "--"] + _rlimits(self.limits) + list(argv))

    def start(self, argv, cwd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
              stderr=subprocess.STDOUT, env=None):
        """Popen the sandboxed argv; -> (proc, Watchdog). Call watchdog.finish()
        once the process has ended."""
        uid = _new_uid()
        proc = subprocess.Popen(self.command(argv, cwd, uid), cwd=cwd, stdin=stdin,
                                stdout=stdout, stderr=stderr, env=dict(self.env, **(env or {})),
                                start_new_session=True)
        return proc, Watchdog(proc, self.limits, uid)

    def run(self, argv, cwd, timeout, env=None):
        """Run to the end or to `timeout` seconds; -> Result. Never raises for
        what the program does."""
        proc, dog = self.start(argv, cwd, env=env)
        start = time.monotonic()
        out = OutputKeeper(self.limits)
        reader = threading.Thread(target=out.pump, args=(proc.stdout, dog), daemon=True)
        reader.start()
        timed_out = not wait_for(proc, timeout)
        seconds = time.monotonic() - start
        dog.finish()
        reader.join(timeout=5)
        proc.stdout.close()
        stopped = dog.reason or out.stopped
        return Result(None if (timed_out or stopped) else proc.returncode, out.text(),
                      out.total, timed_out and not stopped, stopped, seconds)


def wait_for(proc, timeout):
    """Wait until `proc` ends or `timeout` seconds pass; -> True when it
    ended (not reaped: proc.wait() does that). Woken by the kernel when the
    process exits (a pidfd): Popen.wait(timeout) polls instead, noticing an
    end up to 50 ms late."""
    try:
        fd = os.pidfd_open(proc.pid)
    except (AttributeError, OSError):       # Linux before 5.3, or it is already reaped
        try:
            proc.wait(timeout=timeout)
            return True
        except subprocess.TimeoutExpired:
            return False
    try:
        poller = select.poll()
        poller.register(fd, select.POLLIN)
        deadline = time.monotonic() + timeout
        while True:
            if poller.poll(max(0.0, deadline - time.monotonic()) * 1000):
                return True
            if time.monotonic() >= deadline:
                return False
    finally:
        os.close(fd)


class OutputKeeper:
    """The head and the tail of a stream: a flood cannot fill the grader's
    memory. Past limits.output_bytes the run is stopped."""

    def __init__(self, limits):
        self.limits = limits
        self.head = bytearray()
        self.tail = bytearray()
        self.total = 0
        self.stopped = ""

    def pump(self, stream, dog):
        keep = self.limits.keep_output
        while True:
            try:
                data = os.read(stream.fileno(), 65536)
            except OSError:
                break
            if not data:
                break
            self.total += len(data)
            room = keep - len(self.head)
            if room > 0:
                self.head += data[:room]
                data = data[room:]
            if data:
                self.tail += data
                del self.tail[:-keep]
            if self.total > self.limits.output_bytes and not self.stopped:
                self.stopped = (f"it printed more than {self.limits.output_bytes >> 20} MiB "
                                "and was stopped")
                dog.kill()

    def text(self):
        head = self.head.decode(errors="replace")
        if not self.tail:
            return head
        cut = self.total - len(self.head) - len(self.tail)
        mark = f"\n[... {cut} bytes of output cut ...]\n" if cut > 0 else ""
        return head + mark + self.tail.decode(errors="replace")


def _children():
    """{ppid: [pid]} of every process on the machine."""
    kids = {}
    for name in os.listdir("/proc"):
        if not name.isdigit():
            continue
        try:
            with open(f"/proc/{name}/stat") as f:
                stat = f.read()
        except OSError:
            continue
        ppid = int(stat[stat.rindex(")") + 2:].split()[1])
        kids.setdefault(ppid, []).append(int(name))
    return kids


def _task_children(pid):
    """pid's children, from its threads' /proc/<pid>/task/<tid>/children
    (the kernel's own lists: no scan of every process on the machine);
    None when this kernel has no such file (CONFIG_PROC_CHILDREN)."""
    try:
        tids = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return []           # it has ended
    kids = []
    for tid in tids:
        try:
            with open(f"/proc/{pid}/task/{tid}/children") as f:
                kids += map(int, f.read().split())
        except FileNotFoundError:
            if not os.path.exists(f"/proc/{pid}/task/{tid}"):
                continue    # the thread has ended
            return None
        except OSError:
            pass
    return kids


def _descendants(pid):
    """pid and every process below it, the ones it reaps included."""
    found, todo, kids = [], [pid], None
    while todo:
        p = todo.pop()
        found.append(p)
        mine = _task_children(p) if kids is None else kids.get(p, [])
        if mine is None:    # no children files: one scan of every process instead
            kids = _children()
            mine = kids.get(p, [])
        todo += mine
    return found


def _status_fields(pid, fields):
    """{field: its number} from /proc/<pid>/status (0 when gone or absent)."""
    found = dict.fromkeys(fields, 0)
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                name, _, value = line.partition(":")
                if name in found:
                    found[name] = int(value.split()[0])
    except (OSError, ValueError, IndexError):
        pass
    return found


def _uid_processes(uid):
    pids = []
    for name in os.listdir("/proc"):
        if name.isdigit() and int(name) != os.getpid():
            try:
                if os.stat(f"/proc/{name}").st_uid == uid:
                    pids.append(int(name))
            except OSError:
                pass
    return pids


def _kill_every_process_of(uid):
    """kill(-1, SIGKILL) as `uid`. The kernel signals every process of the
    uid in one pass under its task-list lock, and a fork racing with it is
    abandoned (fork fails when a fatal signal is pending), so a daemon that
    is forking at that moment leaves no child behind; a scan of /proc
    followed by kill() would miss the child born between the two."""
    for _ in range(3):
        child = os.fork()
        if child == 0:
            try:
                os.setgroups([])
                os.setresgid(uid, uid, uid)
                os.setresuid(uid, uid, uid)
                os.kill(-1, signal.SIGKILL)
            finally:
                os._exit(0)
        os.waitpid(child, 0)
        if not _uid_processes(uid):
            return


class Watchdog:
    """Polls the sandbox's processes: their resident memory together and
    their number (threads included); stops everything past a limit."""

    def __init__(self, proc, limits, uid):
        self.proc, self.limits, self.uid = proc, limits, uid
        self.reason = ""
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._watch, daemon=True)
        self._thread.start()

    def _watch(self):
        while not self._done.wait(POLL_SECONDS):
            status = [_status_fields(p, ("VmRSS", "Threads"))
                      for p in _descendants(self.proc.pid)]
            rss = sum(s["VmRSS"] for s in status) * 1024
            threads = sum(s["Threads"] for s in status)
            if rss > self.limits.memory_bytes:
                self.reason = (f"its processes held {rss >> 20} MiB of memory, more than the "
                               f"{self.limits.memory_bytes >> 20} MiB allowed, and were stopped")
            elif threads >= self.limits.processes:      # RLIMIT_NPROC holds it at the limit
                self.reason = (f"it ran {threads} processes and threads, reaching the "
                               f"{self.limits.processes} allowed, and was stopped")
            if self.reason:
                self.kill()
                return

    def kill(self):
        """Stop every process of the sandbox (its session, its PID namespace)."""
        try:
            os.killpg(self.proc.pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
        if mode() != "off" and os.geteuid() == 0:   # nothing else runs as self.uid
            _kill_every_process_of(self.uid)

    def finish(self):
        """The run is over (or its time is): stop what is left, then wait for it."""
        self._done.set()
        self.kill()
        self.proc.wait()
        self._thread.join(timeout=5)
