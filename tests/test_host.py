"""Host tests of kernel code (tests/host/test_*.c) and the fuzz targets.

The memory map, the allocators and the firmware parsers are compiled
natively with AddressSanitizer and UndefinedBehaviorSanitizer (mk/host.mk)
and run here, no QEMU involved. Each host test binary prints KTAP; every
case becomes its own item, `test_host[memmap-merges_neighbours]`, plus a
`-run` item per binary that fails on a crash or a sanitizer report.

Each fuzz target (tests/fuzz/fuzz_*.c, clang's libFuzzer) runs a short
budget from its seed inputs (tests/host/data/<name>/) and the corpus
earlier runs grew in build/host/corpus/<name>/: FUZZ_TEST_RUNS inputs
(default 10000: a smoke test that the target builds, runs and survives
its seeds and corpus; 50000 took 1-2 s a target), or FUZZ_TEST_SECONDS
(default 1) if that comes first. A count first, as it does the same work
on a busy machine as on an idle one; the seconds because an input's cost
grows with the corpus (memmap's reached 4 s for 50000). libFuzzer looks
at its clock once a second, so 1 s means up to 2.
The long run is `make fuzz` (FUZZ_SECONDS, default 60 per target).
"""
import concurrent.futures
import glob
import os
import subprocess
from dataclasses import dataclass

import pytest

import harness
import ktap

HOST_BUILD = os.path.join(harness.REPO, "build", "host")
FUZZ_RUNS = int(os.environ.get("FUZZ_TEST_RUNS", "10000"))
FUZZ_SECONDS = int(os.environ.get("FUZZ_TEST_SECONDS", "1"))

_built = {}


def build_host():
    """`make host-tests fuzz-build`, once per session; returns (ok, output)."""
    if "result" not in _built:
        proc = harness.run_make("host-tests", "fuzz-build", timeout=600)
        _built["result"] = (proc.returncode == 0, proc.stdout)
    return _built["result"]


def host_binaries(prefix):
    names = sorted(os.path.basename(p)[:-2]
                   for p in glob.glob(os.path.join(harness.REPO, "tests", "host" if prefix ==
                                                   "test_" else "fuzz", prefix + "*.c")))
    return [(n[len(prefix):], os.path.join(HOST_BUILD, n)) for n in names]


@dataclass
class HostCase:
    binary: str
    name: str
    path: tuple = ()
    result: object = None
    proc: object = None
    problem: str = ""


def host_cases():
    """Every case of every host test binary: run once per pytest run
    (harness.once_per_run), however many workers collect."""
    return harness.once_per_run(("host_cases",), run_host_binaries)


def run_host_binaries():
    ok, output = build_host()
    binaries = host_binaries("test_")
    if not ok:
        return [HostCase(binary, name, problem="the host build failed:\n" + output)
                for name, binary in binaries]

    def run(binary):
        return subprocess.run([binary], capture_output=True, text=True,
                              timeout=harness.scaled(300),
                              env=dict(os.environ, ASAN_OPTIONS="detect_leaks=1",
                                       UBSAN_OPTIONS="print_stacktrace=1"))

    # Side by side, one a core: the workers wait for this list to collect.
    with concurrent.futures.ThreadPoolExecutor(max_workers=os.cpu_count() or 1) as pool:
        procs = list(pool.map(run, [binary for _, binary in binaries]))
    cases = []
    for (name, binary), proc in zip(binaries, procs):
        doc = ktap.parse(proc.stdout)
        cases += [HostCase(binary, name, path[1:], res, proc) for path, res in doc.leaves()]
        cases.append(HostCase(binary, name, proc=proc))
    return cases


def pytest_generate_tests(metafunc):
    if "hcase" in metafunc.fixturenames:
        params = [pytest.param(c, id="-".join((c.name,) + c.path) if c.path else f"{c.name}-run")
                  for c in host_cases()]
        metafunc.parametrize("hcase", params)
    if "fuzz_target" in metafunc.fixturenames:
        metafunc.parametrize("fuzz_target", host_binaries("fuzz_"), ids=lambda t: t[0])


def output_of(proc):
    return (proc.stdout + ("\n--- stderr ---\n" + proc.stderr if proc.stderr.strip() else "")
            ).strip()


def test_host(hcase):
    """One host test case, or (`-run`) the whole binary: it ran to the end
    with exit status 0, without a sanitizer report or a crash."""
    if hcase.problem:
        pytest.fail(hcase.problem, pytrace=False)
    if hcase.path:
        res = hcase.result
        if res.status == "fail":
            why = "\n".join("    " + d for d in res.diagnostics) or "    (no diagnostics)"
            pytest.fail(f"host test {hcase.name}/{'/'.join(hcase.path)} failed:\n{why}",
                        pytrace=False)
        if res.status == "skip":
            pytest.skip(res.reason)
        return
    proc = hcase.proc
    doc = ktap.parse(proc.stdout)
    if proc.returncode != 0 or doc.errors:
        pytest.fail(f"{hcase.binary} exited with {proc.returncode}"
                    + (" (malformed KTAP: " + "; ".join(doc.errors) + ")" if doc.errors else "")
                    + ":\n" + output_of(proc)[-6000:], pytrace=False)


def test_fuzz_target(fuzz_target):
    """A fuzz target survives FUZZ_TEST_RUNS inputs of libFuzzer (or
    FUZZ_TEST_SECONDS) from its seeds: no crash, no sanitizer report, no
    timeout."""
    name, binary = fuzz_target
    ok, output = build_host()
    if not ok:
        pytest.fail("the host build failed:\n" + output, pytrace=False)
    seeds = os.path.join(harness.REPO, "tests", "host", "data", name)
    corpus = os.path.join(HOST_BUILD, "corpus", name)
    os.makedirs(corpus, exist_ok=True)
    argv = [binary, f"-runs={FUZZ_RUNS}", f"-max_total_time={FUZZ_SECONDS}", "-timeout=10",
            "-print_final_stats=1",
            f"-artifact_prefix={HOST_BUILD}/crash-{name}-", corpus]
    if os.path.isdir(seeds):
        argv.append(seeds)
    proc = subprocess.run(argv, capture_output=True, text=True,
                          timeout=harness.scaled(FUZZ_SECONDS + 120))
    if proc.returncode != 0:
        pytest.fail(f"fuzz target {name} failed (exit {proc.returncode}):\n"
                    + output_of(proc)[-6000:], pytrace=False)
