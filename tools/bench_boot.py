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
"""
import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from qemu import ARCHES, RunConfig, decode_exit, qemu_command  # noqa: E402

TAIL_LINES = 20


def boot_once(arch, cmdline, timeout, mem="256M"):
    """One boot -> (seconds, error or None). The console goes to a file so
    a failure can show its end."""
    workdir = tempfile.mkdtemp(prefix="duet-bench-")
    try:
        argv = qemu_command(RunConfig(arch=arch, cmdline=cmdline, mem=mem), workdir)
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

    summary = []
    failed = False
    for arch in arches:
        for mem in mems:
            print(f"{arch}: {args.boots} boots with cmdline {args.cmdline!r}, MEM={mem}",
                  flush=True)
            times, errors = [], 0
            for i in range(1, args.boots + 1):
                elapsed, error = boot_once(arch, args.cmdline, args.timeout, mem)
                times.append(elapsed)
                if error:
                    errors += 1
                    print(f"  boot {i}: {ms(elapsed)} ms  FAILED: {error}", flush=True)
            med, lo, hi = statistics.median(times), min(times), max(times)
            print(f"  median {ms(med)} ms, min {ms(lo)} ms, max {ms(hi)} ms, "
                  f"spread {ms(hi - lo)} ms" + (f", {errors} failed" if errors else ""))
            summary.append((arch, mem, len(times), med, lo, hi, errors))
            failed |= errors > 0

    print()
    print(f"{'arch':<8} {'mem':>6} {'boots':>5} {'median':>8} {'min':>8} {'max':>8} "
          f"{'spread':>8} {'failed':>6}   (ms)" + ("  ratio" if len(mems) > 1 else ""))
    base = {}
    for arch, mem, n, med, lo, hi, errors in summary:
        base.setdefault(arch, med)
        ratio = f"  {med / base[arch]:.2f}x" if len(mems) > 1 else ""
        print(f"{arch:<8} {mem:>6} {n:>5} {ms(med):>8} {ms(lo):>8} {ms(hi):>8} "
              f"{ms(hi - lo):>8} {errors:>6}" + ratio)
    if failed:
        print("\nFAILED: not every boot powered off with status 0", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
