"""pytest set-up for Duet's QEMU tests.

- `--arch x86_64 --arch aarch64` (repeatable; default: both) chooses the
  machines. `make test` passes both, `make test ARCH=aarch64` only one.
- A test that takes an `arch` argument runs once per architecture it
  supports, with the arch as the first part of its id (`test_x[aarch64]`)
  and the pytest marker of that arch, so `-k "aarch64 and printf"` and
  `-m x86_64` both select. A test decorated `@pytest.mark.x86_64` (or
  aarch64) supports only that arch. Tests of arches not selected with
  --arch are deselected.
- A test that takes `arch` and, say, `cpu`, decorated
  `@pytest.mark.per_arch("cpu", {"x86_64": ["qemu64", "max"], "aarch64": ["max"]})`,
  runs once per arch and each of that arch's values (`test_x[x86_64-max]`):
  only the pairs that exist, never an arch x value cross product whose
  wrong half would have to skip.
- The `boot` fixture boots QEMU through tests/harness.py after building
  the arch once per session (`make ARCH=<arch> all`; a failed build fails
  the test with the compiler's output) and names the console log after the
  test: build/test-logs/<test>.log.
- The longest tests run first: each run records every test's seconds in
  build/test-durations.json, and the next run sorts the selected tests by
  them, longest first (tests/durations.json, the slowest of a measured
  run, stands in for what a fresh tree has not recorded). With `-n`, the
  workers take them in that order one at a time (OneAtATime below), so
  the slow ones start at once on both workers and the run ends on short
  tests, not with one worker still busy on a long one while the other
  waits. So a fixture that a file's tests share is session-scoped: a
  module-scoped one would be set up again each time the order comes back
  to its file (refused at collection).
"""
import json
import os
import shutil
import stat
import tempfile
import threading

import pytest

import harness
from harness import ALL_ARCHES, require_build, selected_arches


def pytest_addoption(parser):
    parser.addoption("--arch", action="append", choices=ALL_ARCHES, default=None,
                     help="run the QEMU tests of this architecture (repeatable; "
                          "default: all of " + ", ".join(ALL_ARCHES) + ")")


def pytest_configure(config):
    # The run's directory for harness.once_per_run, made by the process that
    # starts the run (not an xdist worker, not a pytest run nested in a test)
    # before the workers start: they inherit the variable.
    if not os.environ.get(harness.RUN_DIR_ENV):
        scratch_in_memory()
        config._duet_run_dir = tempfile.mkdtemp(prefix="duet-test-run-")
        os.environ[harness.RUN_DIR_ENV] = config._duet_run_dir
        config._duet_prewarm = start_collection_work(config)

    # Short tracebacks: the failing line and the message, which for a boot
    # already holds the outcome and the end of the console.
    if getattr(config.option, "tbstyle", None) == "auto":
        config.option.tbstyle = "short"
    for arch in ALL_ARCHES:
        config.addinivalue_line("markers", f"{arch}: a test of the {arch} kernel "
                                           f"(selected with --arch {arch})")
    config.addinivalue_line("markers", "per_arch(name, table): the values of the test's argument "
                                       "`name` on each arch ({arch: [value, ...]})")


# What a run writes to temporary directories (pytest's tmp_path, the
# sandbox's scratch directories, the trees the tests copy: some 20,000
# files) goes to memory when /dev/shm is a tmpfs with this much room.
SCRATCH_TMPFS = "/dev/shm"
SCRATCH_ROOM = 4 << 30


def scratch_in_memory():
    """Point TMPDIR (which the workers and every tool inherit, and pytest's
    tmp_path follows) at SCRATCH_TMPFS/duet-tmp-<uid>, unless the user set
    TMPDIR or there is no such tmpfs with SCRATCH_ROOM free. Creating a
    file on the project's VM's ext4 costs about 0.6 ms of CPU, on tmpfs
    0.02 ms (docs/performance.md). pytest keeps its last three runs'
    directories there, as it would in /tmp."""
    if os.environ.get("TMPDIR") or not os.path.isdir(SCRATCH_TMPFS):
        return
    with open("/proc/self/mounts") as f:
        if not any(line.split()[1:3] == [SCRATCH_TMPFS, "tmpfs"] for line in f):
            return
    st = os.statvfs(SCRATCH_TMPFS)
    if st.f_bavail * st.f_frsize < SCRATCH_ROOM:
        return
    root = os.path.join(SCRATCH_TMPFS, f"duet-tmp-{os.getuid()}")
    try:
        os.mkdir(root, 0o755)       # the sandbox's uids reach their scratch through it
    except FileExistsError:
        pass
    st = os.lstat(root)
    if not stat.S_ISDIR(st.st_mode) or st.st_uid != os.getuid():
        return                      # someone else's, or a link: leave TMPDIR alone
    os.chmod(root, 0o755)           # whatever the umask made of it
    os.environ["TMPDIR"] = root
    tempfile.tempdir = None         # gettempdir() reads TMPDIR again


def pytest_unconfigure(config):
    for t in getattr(config, "_duet_prewarm", ()):
        t.join(timeout=600)
    run_dir = getattr(config, "_duet_run_dir", None)
    if run_dir:
        shutil.rmtree(run_dir, ignore_errors=True)
        os.environ.pop(harness.RUN_DIR_ENV, None)


def start_collection_work(config):
    """Collecting test_host.py runs every host test binary, and collecting
    test_ktest.py boots `ktest=all` on each arch: work done once per run
    (harness.once_per_run), but in turn, one worker doing it while the
    other waits for it. Started here instead, in two threads of the run's
    own process, before the workers start: the host tests (side by side)
    and each arch's boot, while the workers start up. A worker that asks
    first still computes it itself, under the same lock. -> [Thread]."""
    def covers(name):
        target = os.path.join(harness.REPO, "tests", name)
        for arg in config.args or [str(config.invocation_params.dir)]:
            path = os.path.abspath(os.path.join(config.invocation_params.dir,
                                                arg.split("::", 1)[0]))
            if path == target or (os.path.isdir(path) and target.startswith(path + os.sep)):
                return True
        return False

    jobs = []
    if covers("test_host.py"):
        import test_host
        jobs.append(test_host.host_cases)
    if covers("test_ktest.py"):
        import test_ktest
        jobs += [lambda a=a: test_ktest.kernel_cases(a) for a in selected_arches(config)]
    threads = []
    for job in jobs:
        t = threading.Thread(target=quietly, args=(job,), daemon=True)
        t.start()
        threads.append(t)
    return threads


def quietly(job):
    """job(), its failure left for the collection that asks again to report."""
    try:
        job()
    except Exception:
        pass


def supported_arches(definition):
    """The arches a test function is for: its arch markers, else all."""
    marked = [a for a in ALL_ARCHES if definition.get_closest_marker(a)]
    return marked or list(ALL_ARCHES)


def pytest_generate_tests(metafunc):
    """Parametrize every test that takes `arch` by the arches it supports,
    and a test marked `per_arch` by the (arch, value) pairs of its table."""
    if "arch" not in metafunc.fixturenames:
        return
    arches = supported_arches(metafunc.definition)
    per_arch = metafunc.definition.get_closest_marker("per_arch")
    if per_arch:
        name, table = per_arch.args
        unknown = set(table) - set(ALL_ARCHES)
        if unknown or name not in metafunc.fixturenames:
            raise pytest.UsageError(f"{metafunc.definition.nodeid}: per_arch() needs a `{name}` "
                                    f"argument and arches of {ALL_ARCHES}, not {sorted(unknown)}")
        params = [pytest.param(a, v, id=f"{a}-{v}", marks=getattr(pytest.mark, a))
                  for a in arches for v in table.get(a, ())]
        metafunc.parametrize(("arch", name), params)
        return
    params = [pytest.param(a, id=a, marks=getattr(pytest.mark, a)) for a in arches]
    metafunc.parametrize("arch", params)


def pytest_collection_modifyitems(config, items):
    """Deselect the tests of arches that --arch did not choose; sort the
    rest longest first (stable: tests of unknown length keep their order,
    after the known ones). Every xdist worker reads the same files, so all
    collect the same order, as xdist requires."""
    chosen = set(selected_arches(config))
    keep, drop = [], []
    for item in items:
        marked = {m.name for m in item.iter_markers() if m.name in ALL_ARCHES}
        (drop if marked and not marked & chosen else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep
    refuse_module_scoped_fixtures(items)
    seconds = known_durations()
    items.sort(key=lambda item: -seconds.get(item.nodeid, 0.0))


def refuse_module_scoped_fixtures(items):
    """The longest-first order interleaves the files' tests, and pytest ends
    a module- or class-scoped fixture whenever the next test is from
    elsewhere: the test_view page's two boots and its browser were set up
    six times in one run, not once. A fixture shared by a file's tests is
    session-scoped (set up once per worker, ended at the end)."""
    for item in items:
        info = getattr(item, "_fixtureinfo", None)
        for name, defs in (info.name2fixturedefs.items() if info else ()):
            scope = getattr(defs[-1], "scope", "function")
            if scope in ("module", "class", "package"):
                raise pytest.UsageError(
                    f"{item.nodeid}: fixture `{name}` is {scope}-scoped; make it "
                    f"scope=\"session\": the tests run longest first, across files, so it "
                    f"would be set up again each time its {scope}'s tests come back")


# --- the tests' durations and their order ----------------------------------------------

@pytest.hookimpl(optionalhook=True)
def pytest_xdist_make_scheduler(config, log):
    """pytest-xdist's `--dist load` (what -n means) hands each worker a
    quarter of its share of the tests at once, in a block, then more in
    blocks: with the longest first, one worker got all the long tests
    (and with the tests in file order, a block of slow files could still
    leave one worker busy while the other waited). Each worker here holds
    two tests at a time, the one it runs and the next (a worker needs the
    next to run one), and gets another as each ends."""
    if getattr(config.option, "dist", "load") != "load":
        return None
    from xdist.scheduler import LoadScheduling

    class OneAtATime(LoadScheduling):
        HELD = 2

        def schedule(self):
            assert self.collection_is_completed
            if self.collection is None:
                if not self._check_nodes_have_same_collection():
                    self.log("**Different tests collected, aborting run**")
                    return
                self.collection = list(self.node2collection.values())[0]
                self.pending[:] = range(len(self.collection))
            for _ in range(self.HELD):      # in turns: the two longest go to two workers
                for node in self.nodes:
                    if self.pending and len(self.node2pending[node]) < self.HELD:
                        self._send_tests(node, 1)
            for node in self.nodes:
                self.check_schedule(node)

        def check_schedule(self, node, duration=0):
            if node.shutting_down:
                return
            if self.pending:
                self._send_tests(node, max(0, self.HELD - len(self.node2pending[node])))
            else:
                node.shutdown()

    scheduler = OneAtATime(config, log)
    # It leans on LoadScheduling's internals: with an xdist whose internals
    # differ (another distribution's), xdist's own scheduling it is.
    if not all(hasattr(scheduler, a) for a in ("node2pending", "pending", "_send_tests",
                                                 "_check_nodes_have_same_collection")):
        return None
    return scheduler


RECORDED_DURATIONS = os.path.join(harness.REPO, "build", "test-durations.json")
SEED_DURATIONS = os.path.join(harness.REPO, "tests", "durations.json")


def read_durations(path):
    try:
        with open(path) as f:
            table = json.load(f)
        return {k: float(v) for k, v in table.items()} if isinstance(table, dict) else {}
    except (OSError, ValueError, TypeError):
        return {}


def known_durations():
    """{node id: seconds}: the last recorded run's, over tests/durations.json's."""
    return {**read_durations(SEED_DURATIONS), **read_durations(RECORDED_DURATIONS)}


def pytest_runtest_logreport(report):
    """Add up each test's setup, call and teardown seconds (in the process
    that starts the run: xdist sends it every worker's reports)."""
    took = getattr(pytest_runtest_logreport, "took", None)
    if took is not None:
        took[report.nodeid] = took.get(report.nodeid, 0.0) + report.duration


def pytest_sessionstart(session):
    if getattr(session.config, "_duet_run_dir", None):
        pytest_runtest_logreport.took = {}


def pytest_sessionfinish(session):
    """Merge this run's durations into build/test-durations.json (only the
    run's own process: not a worker, not a pytest run nested in a test)."""
    took = getattr(pytest_runtest_logreport, "took", None)
    if not took or not getattr(session.config, "_duet_run_dir", None):
        return
    table = read_durations(RECORDED_DURATIONS)
    table.update({k: round(v, 3) for k, v in took.items()})
    try:
        os.makedirs(os.path.dirname(RECORDED_DURATIONS), exist_ok=True)
        with open(RECORDED_DURATIONS + ".tmp", "w") as f:
            json.dump(table, f, indent=0, sort_keys=True)
        os.replace(RECORDED_DURATIONS + ".tmp", RECORDED_DURATIONS)
    except OSError:
        pass                            # a read-only tree: the order is only a speed-up


@pytest.fixture
def boot(request):
    """boot(arch, cmdline="", **options) -> harness.BootResult.

    Builds the arch first (unless `build=` names another build directory)
    and saves the console as build/test-logs/<this test>.log. The options
    are those of harness.boot(): mem, cpu, machine, timeout, send, ...
    """
    def run(arch, cmdline="", **kw):
        if not kw.get("build"):
            require_build(arch)
        kw.setdefault("log_name", request.node.nodeid)
        return harness.boot(arch, cmdline, **kw)
    return run


@pytest.fixture
def shared_boot():
    """shared_boot(arch, cmdline) -> harness.BootResult, booted once per
    session for each (arch, cmdline) and shared by every test that asks for
    the same pair (e.g. the banner tests and the in-kernel test run).
    Use it only for a boot that needs no console input."""
    def run(arch, cmdline=""):
        require_build(arch)
        return harness.cached_boot(arch, cmdline)
    return run
