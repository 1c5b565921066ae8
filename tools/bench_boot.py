#!/usr/bin/env python3
"""Boot-time benchmark: boot Duet N times per arch with `ktest=all` and
report how long each boot takes, from QEMU's start to its exit.

    python3 tools/bench_boot.py --arch x86_64 --arch aarch64 --boots 10

(`make bench-boot [BOOTS=10]` builds first and runs this.) Every boot must
power off with status 0; any other end (a failed test, a crash, a hang at
--timeout) is reported and makes the exit status 1. The time includes
QEMU's own start-up and, on x86_64, GRUB; the command-line disk is made
before the clock starts. Standard library only; QEMU's command line comes
from tools/qemu.py.

    python3 tools/bench_boot.py --run --arch x86_64 --boots 10

(`make bench-run`) measures what `make run` costs over QEMU: the time to
the monitor's prompt of `make ARCH=<arch> run` with nothing to rebuild,
against QEMU alone with the same command line (its files made before the
clock starts), the two alternating so that the machine's load falls on
both; each session ends with `poweroff`.
"""
import argparse
import os
import select
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import ARCHES, RunConfig, decode_exit, qemu_command  # noqa: E402

TAIL_LINES = 20


def boot_once(arch, cmdline, timeout, mem="256M", cpu="", boot=""):
    """One boot -> (seconds, error or None). The console goes to a file so
    a failure can show its end."""
    workdir = tempfile.mkdtemp(prefix="duet-bench-")
    try:
        cfg = RunConfig(arch=arch, cmdline=cmdline, mem=mem, cpu=cpu, boot=boot)
        argv = qemu_command(cfg, workdir)
        console = os.path.join(workdir, "console.log")
        with open(console, "wb") as out:
            start = time.monotonic()
            proc = subprocess.Popen(argv, stdin=subprocess.DEVNULL, stdout=out,
                                    stderr=subprocess.STDOUT, cwd=workdir)
            try:
                rc = proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
                rc = None
            elapsed = time.monotonic() - start
        error = None
        if rc is None:
            error = f"hang: no exit within {timeout:.0f} s"
        else:
            info = decode_exit(arch, rc)
            if info.kind != "poweroff" or info.status != 0:
                error = info.text
        if error:
            with open(console, errors="replace") as f:
                tail = f.read().replace("\r\n", "\n").rstrip("\n").split("\n")[-TAIL_LINES:]
            error += "\n      | " + "\n      | ".join(tail)
        return elapsed, error
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


PROMPT = b"duet> "


def to_prompt(argv, timeout, cwd, env=None):
    """Start argv (a Duet session on stdio), wait for the monitor's prompt,
    then power off -> (seconds to the prompt, error or None)."""
    start = time.monotonic()
    proc = subprocess.Popen(argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.STDOUT, cwd=cwd, env=env)
    seen, elapsed, error = b"", None, None
    try:
        while PROMPT not in seen:
            left = start + timeout - time.monotonic()
            if left <= 0 or not select.select([proc.stdout], [], [], left)[0]:
                error = f"no prompt within {timeout:.0f} s"
                break
            chunk = os.read(proc.stdout.fileno(), 65536)
            if not chunk:
                error = f"exited (status {proc.wait()}) before the prompt"
                break
            seen += chunk
        else:
            elapsed = time.monotonic() - start
            proc.stdin.write(b"poweroff\n")
            proc.stdin.flush()
        proc.stdout.read()       # to the end: QEMU exits
        proc.wait(timeout=timeout)
    except (subprocess.TimeoutExpired, BrokenPipeError, OSError) as e:
        error = error or f"did not end after poweroff: {e}"
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    if error:
        tail = seen.decode(errors="replace").replace("\r\n", "\n").rstrip("\n")
        error += "\n      | " + "\n      | ".join(tail.split("\n")[-TAIL_LINES:])
    return elapsed, error


def bench_run(arches, rounds, timeout):
    """`make run` against QEMU alone, to the prompt; 0 if every session
    reached it."""
    repo = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
    # `make run` as a student types it: not a sub-make of `make bench-run`,
    # which would pass on that the tools were checked already.
    env = {k: v for k, v in os.environ.items()
           if k not in ("MAKEFLAGS", "MFLAGS", "MAKELEVEL", "MAKEOVERRIDES")
           and not k.startswith("DUET_")}
    failed = False
    rows = []
    for arch in arches:
        # Whatever `make run` would still build or check, before the clock.
        subprocess.run(["make", "--no-print-directory", f"ARCH={arch}", "run"], cwd=repo,
                       env=env, check=True, input=b"poweroff\n", stdout=subprocess.DEVNULL)
        workdir = tempfile.mkdtemp(prefix="duet-bench-")
        try:
            qemu = qemu_command(RunConfig(arch=arch, interactive=True), workdir)
            make = ["make", "--no-print-directory", f"ARCH={arch}", "run"]
            print(f"{arch}: {rounds} sessions each of QEMU alone and of `{' '.join(make)}`, "
                  "to the prompt", flush=True)
            times = {"qemu": [], "make": []}
            for i in range(1, rounds + 1):
                for name, argv in (("qemu", qemu), ("make", make)):
                    elapsed, error = to_prompt(argv, timeout, repo, env)
                    if error:
                        failed = True
                        print(f"  {name} {i}: FAILED: {error}", flush=True)
                    else:
                        times[name].append(elapsed)
        finally:
            shutil.rmtree(workdir, ignore_errors=True)
        if times["qemu"] and times["make"]:
            q, m = statistics.median(times["qemu"]), statistics.median(times["make"])
            diffs = [b - a for a, b in zip(times["qemu"], times["make"])]
            rows.append((arch, len(diffs), q, m, statistics.median(diffs), min(diffs), max(diffs)))
    print()
    print(f"{'arch':<8} {'pairs':>5} {'qemu':>8} {'make run':>9} {'extra':>8} {'min':>8} "
          f"{'max':>8}   (ms; extra: make run less QEMU, median of the pairs)")
    for arch, n, q, m, d, lo, hi in rows:
        print(f"{arch:<8} {n:>5} {ms(q):>8} {ms(m):>9} {ms(d):>8} {ms(lo):>8} {ms(hi):>8}")
    if failed:
        print("\nFAILED: not every session reached the prompt", file=sys.stderr)
    return 1 if failed else 0


def ms(seconds):
    return f"{seconds * 1000:.0f}"


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", action="append", choices=sorted(ARCHES),
                   help="an arch to benchmark (repeatable; default: all)")
    p.add_argument("--boots", type=int, default=10, help="boots per arch (default 10)")
    p.add_argument("--cmdline", default="ktest=all", help="kernel command line (default ktest=all)")
    p.add_argument("--timeout", type=float, default=60.0, help="seconds before a boot is a hang")
    p.add_argument("--mem", action="append",
                   help="guest RAM (repeatable; default 256M); with several, each median "
                        "is also given as a ratio to the first")
    p.add_argument("--cpu", default="",
                   help="QEMU's -cpu (default the arch's; on x86_64 tools/qemu.py adds the "
                        "physical address bits large RAM needs)")
    p.add_argument("--boot", action="append", choices=["grub", "direct"],
                   help="how to boot (repeatable; default each arch's own: GRUB on x86_64); "
                        "an arch that cannot boot that way is left out")
    p.add_argument("--run", action="store_true",
                   help="time `make run` to the prompt against QEMU alone instead")
    args = p.parse_args()
    mems = list(dict.fromkeys(args.mem or ["256M"]))
    if args.boots < 1:
        p.error("--boots must be at least 1")
    arches = list(dict.fromkeys(args.arch or ARCHES))

    for arch in arches:
        elf = os.path.join(RunConfig(arch=arch).build_dir(), "duet.elf")
        if not os.path.exists(elf):
            print(f"error: {elf} does not exist; run `make ARCH={arch}` first", file=sys.stderr)
            return 1

    if args.run:
        return bench_run(arches, args.boots, args.timeout)

    summary = []
    failed = False
    runs = [(arch, boot) for arch in arches for boot in (args.boot or [ARCHES[arch]["boots"][0]])
            if boot in ARCHES[arch]["boots"]]
    for arch, boot in runs:
        for mem in mems:
            print(f"{arch}: {args.boots} boots ({boot}) with cmdline {args.cmdline!r}, MEM={mem}",
                  flush=True)
            times, errors = [], 0
            for i in range(1, args.boots + 1):
                elapsed, error = boot_once(arch, args.cmdline, args.timeout, mem, args.cpu, boot)
                times.append(elapsed)
                if error:
                    errors += 1
                    print(f"  boot {i}: {ms(elapsed)} ms  FAILED: {error}", flush=True)
            med, lo, hi = statistics.median(times), min(times), max(times)
            print(f"  median {ms(med)} ms, min {ms(lo)} ms, max {ms(hi)} ms, "
                  f"spread {ms(hi - lo)} ms" + (f", {errors} failed" if errors else ""))
            summary.append((f"{arch}/{boot}", mem, len(times), med, lo, hi, errors))
            failed |= errors > 0

    print()
    print(f"{'arch/boot':<15} {'mem':>6} {'boots':>5} {'median':>8} {'min':>8} {'max':>8} "
          f"{'spread':>8} {'failed':>6}   (ms)" + ("  ratio" if len(mems) > 1 else ""))
    base = {}
    for arch, mem, n, med, lo, hi, errors in summary:
        base.setdefault(arch, med)
        ratio = f"  {med / base[arch]:.2f}x" if len(mems) > 1 else ""
        print(f"{arch:<15} {mem:>6} {n:>5} {ms(med):>8} {ms(lo):>8} {ms(hi):>8} "
              f"{ms(hi - lo):>8} {errors:>6}" + ratio)
    if failed:
        print("\nFAILED: not every boot powered off with status 0", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
