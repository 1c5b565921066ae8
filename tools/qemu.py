#!/usr/bin/env python3
"""Run Duet under QEMU: the one place that knows the QEMU command line.

`make run`, `make debug`, the pytest harness (tests/harness.py) and the boot
benchmark all go through `qemu_command()` and `decode_exit()`, so a change to
how Duet boots is made once.

The kernel ends a run by telling QEMU to exit with DUET_EXIT_BIAS + status
(x86_64: the isa-debug-exit device, which makes QEMU exit with (v << 1) | 1;
AArch64: semihosting SYS_EXIT, which exits with v). The bias keeps a kernel
status apart from QEMU's own exits: 0 (the guest reset or powered off
without a status) and 1 (QEMU itself failed).

Two ways to boot (`--boot`, `make run BOOT=...`):
- grub (x86_64's default): the GRUB ISO, SeaBIOS then GRUB2 loading the
  ELF as a Multiboot2 kernel. Its command line comes from a small FAT
  image, attached as an IDE disk, holding /duet/cmdline.cfg (boot/grub.cfg
  sources it).
- direct: QEMU's -kernel loads the ELF itself and takes the command line
  through -append: on x86_64 through the PVH entry (arch/x86_64/pvh.h),
  with QEMU's qboot as the firmware and no GRUB; AArch64's only way.
"""
import argparse
import os
import shlex
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, field

DUET_EXIT_BIAS = 16
GDB_PORT_DEFAULT = 1234
REPO = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


ARCHES = {
    "x86_64": {"qemu": "qemu-system-x86_64", "machine": "pc", "cpu": "qemu64",
               "boots": ("grub", "direct")},
    "aarch64": {"qemu": "qemu-system-aarch64", "machine": "virt", "cpu": "cortex-a72",
                "boots": ("direct",)},
}


@dataclass
class RunConfig:
    arch: str
    build: str = ""                 # build directory; default build/<arch>
    mem: str = "256M"
    smp: int = 1
    cpu: str = ""
    machine: str = ""               # extra machine options, e.g. "virtualization=on"
    gic: int = 0                    # AArch64: the GIC version (2 or 3); 0: QEMU's (2)
    cmdline: str = ""
    interactive: bool = False       # console on the terminal, Ctrl-A X quits
    gdb: bool = False
    gdb_port: int = GDB_PORT_DEFAULT
    boot: str = ""                  # "grub" or "direct"; "": the arch's first (ARCHES)
    extra: list = field(default_factory=list)

    def build_dir(self):
        return self.build or os.path.join(REPO, "build", self.arch)

    def boot_method(self):
        boots = ARCHES[self.arch]["boots"]
        method = self.boot or boots[0]
        if method not in boots:
            raise ValueError(f"{self.arch} boots only {' or '.join(boots)}, not {method!r}")
        return method


GiB, TiB = 1 << 30, 1 << 40
# QEMU's PC puts the RAM above 4 GiB at 1 TiB instead when it would reach
# AMD's HyperTransport hole just below (1012 GiB to 1 TiB): then the RAM
# ends past 2^40, which qemu64's 40 physical address bits cannot reach.
HT_HOLE_START = 1012 * GiB


def size_bytes(text):
    """QEMU's size syntax: "256M", "64G", "1T", or bytes."""
    units = {"K": 1 << 10, "M": 1 << 20, "G": GiB, "T": TiB}
    text = text.strip().upper()
    if text[-1:] in units:
        return int(float(text[:-1]) * units[text[-1]])
    return int(text)


def x86_cpu(cpu, mem):
    """-cpu for x86_64: with enough physical address bits for where QEMU
    puts `mem` of RAM, unless the CPU given says how many."""
    if "phys-bits" in cpu:
        return cpu
    ram = size_bytes(mem)
    if 4 * GiB + ram <= HT_HOLE_START:
        return cpu
    return f"{cpu},phys-bits={(TiB + ram - 1).bit_length()}"


def grub_quote(text):
    """Quote for a GRUB script: single quotes, with ' written as '\\''."""
    return "'" + text.replace("'", "'\\''") + "'"


def make_cmdline_disk(workdir, cmdline):
    """A FAT image with /duet/cmdline.cfg setting duet_cmdline (mtools, no root)."""
    cfg = os.path.join(workdir, "cmdline.cfg")
    with open(cfg, "w") as f:
        f.write(f"set duet_cmdline={grub_quote(cmdline)}\n")
    img = os.path.join(workdir, "cmdline.img")
    with open(img, "wb") as f:
        f.truncate(1440 * 1024)
    env = dict(os.environ, MTOOLS_SKIP_CHECK="1")
    for argv in (["mformat", "-i", img, "-f", "1440", "::"],
                 ["mmd", "-i", img, "::/duet"],
                 ["mcopy", "-i", img, cfg, "::/duet/cmdline.cfg"]):
        subprocess.run(argv, check=True, env=env, stdout=subprocess.DEVNULL,
                       stderr=subprocess.PIPE)
    return img


def qemu_command(cfg, workdir):
    """The argv that boots `cfg`; files it needs are written into workdir."""
    if cfg.arch not in ARCHES:
        raise ValueError(f"unknown arch {cfg.arch!r}; valid: {', '.join(ARCHES)}")
    a = ARCHES[cfg.arch]
    build = cfg.build_dir()
    machine = a["machine"] + ("," + cfg.machine if cfg.machine else "")
    if cfg.gic:
        if cfg.arch != "aarch64" or cfg.gic not in (2, 3):
            raise ValueError(f"--gic {cfg.gic}: only AArch64 has a GIC, version 2 or 3")
        machine += f",gic-version={cfg.gic}"
    cpu = cfg.cpu or a["cpu"]
    if cfg.arch == "x86_64":
        cpu = x86_cpu(cpu, cfg.mem)
    argv = [a["qemu"], "-M", machine, "-cpu", cpu, "-m", cfg.mem,
            "-smp", str(cfg.smp), "-display", "none", "-no-reboot", "-nic", "none"]

    # Guest RAM is a sparse file in /dev/shm, so QEMU accepts sizes beyond the
    # host's memory and only touched pages cost anything. (Anonymous RAM was
    # slower even at 1 GiB: with transparent huge pages, each first touch by
    # the guest zeroes 2 MiB.) A directory as mem-path: QEMU makes and
    # unlinks its own file there.
    argv += ["-object", f"memory-backend-file,id=ram,size={cfg.mem},"
                        "mem-path=/dev/shm,share=on",
             "-machine", "memory-backend=ram"]

    if cfg.arch == "x86_64":
        argv += ["-device", "isa-debug-exit,iobase=0xf4,iosize=0x04"]
    else:
        argv += ["-semihosting-config", "enable=on,target=native"]
    if cfg.boot_method() == "grub":
        argv += ["-cdrom", os.path.join(build, "duet.iso"), "-boot", "d"]
        if cfg.cmdline:
            disk = make_cmdline_disk(workdir, cfg.cmdline)
            # GRUB only reads the disk. Unlocked, two QEMUs can share it:
            # `make run` reuses the one --print made (Makefile).
            argv += ["-drive", f"file={disk},format=raw,if=ide,index=0,media=disk,"
                               "file.locking=off"]
    else:
        if cfg.arch == "x86_64":
            # qboot, QEMU's minimal firmware (in qemu-system-data beside
            # SeaBIOS), starts a PVH kernel in about 50 ms where SeaBIOS
            # and its option ROM take about 200 (docs/performance.md).
            argv += ["-bios", "qboot.rom"]
        argv += ["-kernel", os.path.join(build, "duet.elf")]
        if cfg.cmdline:
            argv += ["-append", cfg.cmdline]

    argv += ["-serial", "mon:stdio" if cfg.interactive else "stdio"]
    if not cfg.interactive:
        argv += ["-monitor", "none"]
    if cfg.gdb:
        argv += ["-gdb", f"tcp::{cfg.gdb_port}", "-S"]
    return argv + list(cfg.extra)


@dataclass
class ExitInfo:
    kind: str           # "poweroff" (the kernel chose a status), "reset", "qemu-error", "signal"
    status: int         # the kernel's status for "poweroff", else a failure code
    text: str


def decode_exit(arch, rc):
    """Turn QEMU's exit code into what the kernel meant."""
    if rc < 0:
        return ExitInfo("signal", 128 - rc, f"QEMU was killed by signal {-rc}")
    if arch == "x86_64":
        value = (rc - 1) // 2 if rc % 2 == 1 else -1
    else:
        value = rc
    if value >= DUET_EXIT_BIAS:
        status = value - DUET_EXIT_BIAS
        return ExitInfo("poweroff", status, f"the kernel powered off with status {status}")
    if rc == 0:
        return ExitInfo("reset", 125, "the machine reset or powered off without a status "
                                      "(a triple fault, or poweroff without the exit device)")
    return ExitInfo("qemu-error", 126, f"QEMU failed (exit code {rc})")


def gdb_command(cfg):
    elf = os.path.relpath(os.path.join(cfg.build_dir(), "duet.elf"))
    script = os.path.relpath(os.path.join(REPO, "tools", "gdb", "duet.gdb"))
    return (f"gdb-multiarch -q -x {script} -ex 'duet-attach {cfg.arch} {cfg.gdb_port}' {elf}")


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--arch", required=True, choices=sorted(ARCHES))
    p.add_argument("--build", default="")
    p.add_argument("--mem", default="256M")
    p.add_argument("--smp", type=int, default=1)
    p.add_argument("--cpu", default="")
    p.add_argument("--machine", default="")
    p.add_argument("--gic", type=int, default=0, choices=[0, 2, 3],
                   help="AArch64: the interrupt controller, GICv2 (QEMU's default) or GICv3")
    p.add_argument("--cmdline", default="")
    p.add_argument("--boot", default="", choices=["", "grub", "direct"],
                   help="grub: the GRUB ISO (x86_64's default); direct: QEMU's -kernel "
                        "(x86_64 through its PVH entry; AArch64's only way)")
    p.add_argument("--interactive", action="store_true")
    p.add_argument("--gdb", action="store_true")
    p.add_argument("--gdb-port", type=int, default=GDB_PORT_DEFAULT)
    p.add_argument("--qemu-arg", action="append", default=[], metavar="ARG",
                   help="one more QEMU argument, e.g. --qemu-arg=-d --qemu-arg=int (repeatable)")
    p.add_argument("--print", action="store_true",
                   help="print the command, do not run it (its files stay in <build>/qemu-print)")
    p.add_argument("--exit-status", type=int, metavar="RC",
                   help="say what QEMU's exit code RC means, as a run does, and exit with "
                        "the kernel's status (`make run` runs the printed command itself)")
    args = p.parse_args()
    if args.exit_status is not None:
        return explain_exit(args.arch, args.exit_status)
    cfg = RunConfig(arch=args.arch, build=args.build, mem=args.mem, smp=args.smp,
                    cpu=args.cpu, machine=args.machine, gic=args.gic, cmdline=args.cmdline,
                    boot=args.boot,
                    interactive=args.interactive, gdb=args.gdb, gdb_port=args.gdb_port,
                    extra=args.qemu_arg)
    try:
        cfg.boot_method()
    except ValueError as e:
        p.error(str(e))
    if args.print:
        # The printed command must still work later: keep its files.
        workdir = os.path.join(cfg.build_dir(), "qemu-print")
        os.makedirs(workdir, exist_ok=True)
        print(shlex.join(qemu_command(cfg, workdir)))
        return 0
    workdir = tempfile.mkdtemp(prefix="duet-run-")
    try:
        argv = qemu_command(cfg, workdir)
        if cfg.gdb:
            print("QEMU is waiting for gdb. In another terminal, run:\n\n    "
                  + gdb_command(cfg) + "\n", flush=True)
        elif cfg.interactive:
            print("(QEMU: Ctrl-A X quits, Ctrl-A C switches to the QEMU monitor)", flush=True)
        return explain_exit(cfg.arch, subprocess.call(argv))
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


def explain_exit(arch, rc):
    """After an interactive run: say how it ended unless the kernel powered
    off with status 0; the kernel's status (or a failure code)."""
    info = decode_exit(arch, rc)
    if info.kind != "poweroff" or info.status != 0:
        print(f"\n[duet] {info.text}", file=sys.stderr)
    return info.status


if __name__ == "__main__":
    sys.exit(main())
