# tools/gdb/duet.gdb: gdb commands for debugging Duet under QEMU.
#
# `make ARCH=<arch> debug` starts QEMU halted and prints the command to run:
#
#     gdb-multiarch -q -x tools/gdb/duet.gdb -ex 'duet-attach <arch> 1234' build/<arch>/duet.elf
#
# Commands (`help duet-attach`, `help duet-pt` in gdb):
#   duet-attach ARCH PORT   set the architecture, connect to QEMU's gdb stub
#   duet-pt ADDRESS         walk the page tables for a virtual address
# and two helpers for `bt`: in a trap handler it continues through the saved
# trap frame into the code that trapped, and it ends at boot.S's call into C.
#
# Breakpoints: use `hbreak` for anything you want to hit during boot. Until
# boot.S turns paging on (x86_64: under GRUB and in boot.S's 32-bit code;
# AArch64: boot.S with the MMU off) the kernel's higher-half addresses are
# not mapped. A hardware breakpoint (`hbreak kmain`) only compares the PC,
# so it works regardless. A software breakpoint is an instruction written
# into memory through the current translation wherever QEMU runs with KVM
# (or on real hardware), and fails there; under QEMU's TCG emulator, which
# tools/qemu.py uses, QEMU implements `break` itself and it happens to work.
#
# The commands are written with gdb's Python API; docs/debugging.md shows
# them in use. Physical memory (the page tables) is read through the PMO,
# the kernel's map of all RAM at PHYS_OFFSET + PA (mm/pmo.h), which boot.S
# builds for the first GiB of RAM: so duet-pt works once paging is on.

set print pretty on

python
import gdb
from gdb.FrameDecorator import FrameDecorator
from gdb.unwinder import Unwinder, register_unwinder

PHYS_OFFSET = 0xFFFF800000000000    # include/duet/layout.h
GDB_ARCH = {"x86_64": "i386:x86-64", "aarch64": "aarch64"}
PAGE_SIZE_NAMES = {1 << 30: "1 GiB", 1 << 21: "2 MiB", 1 << 12: "4 KiB"}


def duet_arch():
    """'x86_64' or 'aarch64', from the architecture gdb is debugging."""
    name = gdb.selected_inferior().architecture().name()
    if name.startswith("i386"):
        return "x86_64"
    if name.startswith("aarch64"):
        return "aarch64"
    raise gdb.GdbError(f"duet: gdb's architecture is {name!r}, not one of Duet's")


def register(*names):
    """The value of the first of `names` that the target has (QEMU's names
    for system registers differ between versions)."""
    for name in names:
        try:
            return int(gdb.parse_and_eval("$" + name))
        except gdb.error:
            pass
    raise gdb.GdbError(f"duet: the target has no register {' or '.join(names)}")


def read_phys_u64(pa):
    """The 8-byte little-endian value at physical address pa, read through the PMO."""
    try:
        data = gdb.selected_inferior().read_memory(PHYS_OFFSET + pa, 8)
    except gdb.MemoryError:
        raise gdb.GdbError(f"duet: cannot read PA {pa:#x} through the PMO "
                           f"(VA {PHYS_OFFSET + pa:#x}): is paging on yet, and is the "
                           f"address in the first GiB of RAM?") from None
    return int.from_bytes(bytes(data), "little")


def address_of(expression):
    """An address from an expression: a number, a function, an array, a pointer, &var."""
    value = gdb.parse_and_eval(expression)
    if value.type.strip_typedefs().code in (gdb.TYPE_CODE_FUNC, gdb.TYPE_CODE_ARRAY):
        value = value.address
    return int(value.cast(gdb.lookup_type("unsigned long long"))) & (2**64 - 1)


class DuetAttach(gdb.Command):
    """Connect to QEMU's gdb stub: duet-attach ARCH PORT.

ARCH is x86_64 or aarch64; PORT is the port QEMU listens on (tools/qemu.py
--gdb-port, 1234 by default). Load the ELF first (give it on gdb's command
line), so that gdb knows the kernel's symbols."""

    def __init__(self):
        super().__init__("duet-attach", gdb.COMMAND_RUNNING)

    def invoke(self, arg, from_tty):
        argv = gdb.string_to_argv(arg)
        if len(argv) != 2 or argv[0] not in GDB_ARCH or not argv[1].isdigit():
            raise gdb.GdbError("usage: duet-attach x86_64|aarch64 PORT")
        gdb.execute("set architecture " + GDB_ARCH[argv[0]])
        gdb.execute("target remote 127.0.0.1:" + argv[1])


# --- duet-pt: x86_64 (Intel SDM Vol. 3A, 4.5 "4-level paging") -------------------

X86_LEVELS = ("PML4", "PDPT", "PD", "PT")
X86_ADDR = 0x000FFFFFFFFFF000        # bits 51:12: the next table or the 4 KiB page
X86_BITS = ((0, "P"), (1, "RW"), (2, "US"), (3, "PWT"), (4, "PCD"), (5, "A"), (6, "D"),
            (7, "PS"), (8, "G"), (63, "NX"))


def x86_walk(va):
    """One row per level visited: (level name, index, entry's PA, entry, flags,
    leaf size or 0). The walk starts at CR3 and stops at a leaf or a non-present entry."""
    if not register("cr0") & (1 << 31):
        raise gdb.GdbError("duet-pt: paging is off (CR0.PG = 0): boot.S has not enabled it yet")
    table = register("cr3") & X86_ADDR
    rows = []
    for level, name in enumerate(X86_LEVELS):
        shift = 39 - 9 * level
        index = (va >> shift) & 511
        entry_pa = table + 8 * index
        entry = read_phys_u64(entry_pa)
        flags = [n if not (bit == 7 and name == "PT") else "PAT"
                 for bit, n in X86_BITS if entry & (1 << bit)]
        # A leaf: any present PT entry, or a PDPT/PD entry with PS (1 GiB / 2 MiB page).
        leaf = entry & 1 and (name == "PT" or (name in ("PDPT", "PD") and entry & (1 << 7)))
        if not entry & 1:
            flags = ["not present"]
        rows.append((name, index, entry_pa, entry, flags, 1 << shift if leaf else 0))
        if not entry & 1 or leaf:
            break
        table = entry & X86_ADDR
    return rows


def x86_summary(rows):
    """Effective access: writable/user only if every level allows it; NX at any level wins."""
    entries = [r[3] for r in rows]
    write = all(e & 2 for e in entries)
    user = all(e & 4 for e in entries)
    nx = any(e & (1 << 63) for e in entries)
    glob = bool(entries[-1] & (1 << 8))
    return ", ".join(["user" if user else "kernel", "read/write" if write else "read-only",
                      "never executable" if nx else "executable"]
                     + (["global"] if glob else []))


# --- duet-pt: AArch64 (Arm ARM D8, VMSAv8-64, 4 KiB granule, 48-bit VAs) -----------

A64_LEVELS = ("L0", "L1", "L2", "L3")
A64_ADDR = 0x0000FFFFFFFFF000        # bits 47:12: the next table, block or page
A64_MAIR_NAMES = {0x00: "Device-nGnRnE", 0x04: "Device-nGnRE", 0x0C: "Device-GRE",
                  0x44: "Normal non-cacheable", 0xFF: "Normal write-back"}


def a64_leaf_flags(entry):
    """A block or page descriptor's attribute fields (Arm ARM, "Memory attribute
    fields in the VMSAv8-64 translation table format")."""
    flags = [f"AttrIndx={(entry >> 2) & 7}", f"AP={(entry >> 6) & 3:02b}",
             f"SH={(entry >> 8) & 3:02b}"]
    return flags + [name for bit, name in ((10, "AF"), (11, "nG"), (53, "PXN"), (54, "UXN"))
                    if entry & (1 << bit)]


def a64_walk(va):
    """Rows as x86_walk's, and the TTBR the walk started at."""
    if not register("SCTLR_EL1", "SCTLR") & 1:
        raise gdb.GdbError("duet-pt: the MMU is off (SCTLR_EL1.M = 0): boot.S has not "
                           "turned it on yet")
    ttbr = "TTBR1_EL1" if va >> 63 else "TTBR0_EL1"
    table = register(ttbr) & A64_ADDR       # drops the ASID [63:48] and CnP [0]
    if table == 0:
        raise gdb.GdbError(f"duet-pt: {ttbr} is 0: no tables for this half "
                           "(kmain removes the identity map in TTBR0)")
    rows = []
    for level, name in enumerate(A64_LEVELS):
        shift = 39 - 9 * level
        index = (va >> shift) & 511
        entry_pa = table + 8 * index
        entry = read_phys_u64(entry_pa)
        kind = entry & 3
        # Bits [1:0]: 0bx0 invalid; 0b11 a table (levels 0-2) or a page (level 3);
        # 0b01 a block at levels 1 and 2, reserved at levels 0 and 3.
        leaf = (kind == 3 and level == 3) or (kind == 1 and level in (1, 2))
        if leaf:
            flags = a64_leaf_flags(entry)
        elif kind == 3:
            flags = ["table"]
        else:
            flags = ["invalid"] if not entry & 1 else ["invalid (reserved encoding)"]
        rows.append((name, index, entry_pa, entry, flags, 1 << shift if leaf else 0))
        if kind != 3 or leaf:
            break
        table = entry & A64_ADDR
    return rows, ttbr


def a64_summary(rows):
    """Memory type from MAIR_EL1's byte AttrIndx; access from AP[2:1] (bits 7:6):
    bit 7 set = read-only, bit 6 set = EL0 may access too."""
    entry = rows[-1][3]
    attr = (entry >> 2) & 7
    mair_byte = (register("MAIR_EL1") >> (8 * attr)) & 0xFF
    ap = (entry >> 6) & 3
    return ", ".join([A64_MAIR_NAMES.get(mair_byte, f"MAIR_EL1 attribute {mair_byte:#04x}"),
                      "EL1 " + ("read-only" if ap & 2 else "read/write"),
                      "EL0 " + ("no access" if not ap & 1 else
                                "read-only" if ap & 2 else "read/write"),
                      "never executable at EL1" if entry & (1 << 53) else "executable at EL1",
                      "not global" if entry & (1 << 11) else "global"])


class DuetPageTable(gdb.Command):
    """Walk the page tables for a virtual address: duet-pt ADDRESS.

ADDRESS is any expression: kmain, &boot_info, $sp, 0xffffffff80404000.
Prints, for each level, the index the address selects, the entry's
physical address, its value and its flags, and stops at a leaf of any
size (4 KiB page, 2 MiB or 1 GiB page or block) or at an invalid entry.
x86_64 starts at CR3; AArch64 at TTBR1_EL1 for addresses with bit 63 set
(the kernel half), else at TTBR0_EL1. Tables are read through the PMO, so
this works once paging is on."""

    def __init__(self):
        super().__init__("duet-pt", gdb.COMMAND_DATA, gdb.COMPLETE_SYMBOL)

    def invoke(self, arg, from_tty):
        if not arg.strip():
            raise gdb.GdbError("usage: duet-pt ADDRESS")
        va = address_of(arg)
        if (va >> 47) not in (0, 0x1FFFF):
            raise gdb.GdbError(f"duet-pt: {va:#x} is not canonical: bits 63:48 must "
                               "all equal bit 47")
        if duet_arch() == "x86_64":
            rows, root = x86_walk(va), f"CR3 {register('cr3'):#x}"
        else:
            rows, ttbr = a64_walk(va)
            root = f"{ttbr} {register(ttbr):#x}"
        print(f"VA {va:#018x} on {duet_arch()}, {root}")
        for name, index, entry_pa, entry, flags, size in rows:
            slot = f"{name}[{index}]"
            print(f"  {slot:<10} PA {entry_pa:#010x}  {entry:#018x}  {' '.join(flags)}")
        name, index, entry_pa, entry, flags, size = rows[-1]
        if not size:
            print(f"VA {va:#x} is not mapped: {name}[{index}] is {' '.join(flags)}")
            return
        mask = (X86_ADDR if duet_arch() == "x86_64" else A64_ADDR) & ~(size - 1)
        pa = (entry & mask) + (va & (size - 1))
        if duet_arch() == "x86_64":
            what = f"{PAGE_SIZE_NAMES[size]} page, {x86_summary(rows)}"
        else:
            unit = "page" if name == "L3" else "block"
            what = f"{PAGE_SIZE_NAMES[size]} {unit}, {a64_summary(rows)}"
        print(f"VA {va:#x} -> PA {pa:#x}: {what}")


# --- backtraces -------------------------------------------------------------------

def symbol_at(pc):
    """The name of the symbol containing pc (assembly labels included), or ''."""
    text = gdb.execute(f"info symbol {pc:#x}", to_string=True)
    return "" if text.startswith("No symbol") else text.split()[0]


def in_trap_entry(name):
    """Is this the entry code that saved a trap frame and called the C handler?
    x86_64: trap_common (trap_entry.S). AArch64: the handlers in vectors.S."""
    return name == "trap_common" or name.startswith(("el1h_", "trap_sp0_", "trap_a64_",
                                                        "trap_a32_"))


class FrameId:
    """What identifies a frame to gdb: its stack pointer and code address (gdb.Values)."""

    def __init__(self, sp, pc):
        self.sp, self.pc = sp, pc


class TrapFrameUnwinder(Unwinder):
    """Unwind through an exception: the caller of the entry code that called
    x86_trap / aarch64_trap is the code that trapped, and its registers are
    in the struct trap_frame the entry code saved. Without this, `bt` in a
    trap handler stops (or goes astray) at the entry code.

    x86_64: trap_common pushed a frame record {rbp, rip} below the frame, so
    its rsp in this frame is the frame's address - 16. AArch64: the handler
    calls aarch64_trap with sp at the frame."""

    def __init__(self):
        super().__init__("duet-trap-frame")

    def __call__(self, pending):
        if pending.level() == 0:        # stopped in the entry code itself: no frame yet
            return None
        pc = pending.read_register("pc")
        if not in_trap_entry(symbol_at(int(pc))):
            return None
        sp = pending.read_register("sp")
        x86 = duet_arch() == "x86_64"
        frame_address = int(sp) + 16 if x86 else int(sp)
        tf = gdb.Value(frame_address).cast(
            gdb.lookup_type("struct trap_frame").pointer()).dereference()
        info = pending.create_unwind_info(FrameId(sp, pc))
        if x86:
            for reg in ("rax", "rbx", "rcx", "rdx", "rsi", "rdi", "rbp", "r8", "r9", "r10",
                        "r11", "r12", "r13", "r14", "r15", "rip", "rsp"):
                info.add_saved_register(reg, tf[reg])
        else:
            for n in range(31):
                info.add_saved_register(f"x{n}", tf["x"][n])
            info.add_saved_register("sp", tf["sp"])
            info.add_saved_register("pc", tf["elr"])
        return info


class NamedFrame(FrameDecorator):
    """A frame as gdb prints it without filters: named by its symbol, or ??."""

    def function(self):
        return self.inferior_frame().name() or "??"


class StopAtBootEntry:
    """Frame filter: a backtrace ends at boot.S's call into C
    (higher_half_entry on x86_64, higher_half on AArch64). That code has no
    caller; without this, gdb would unwind on into the memory above the
    boot stack and print frames made of whatever lies there."""

    BOOT_ENTRY_FRAMES = ("higher_half_entry", "higher_half")

    def __init__(self):
        self.name = "duet-boot-entry"
        self.priority = 100
        self.enabled = True
        gdb.frame_filters[self.name] = self

    def filter(self, frames):
        for frame in frames:
            yield NamedFrame(frame)
            if frame.inferior_frame().name() in self.BOOT_ENTRY_FRAMES:
                return


DuetAttach()
DuetPageTable()
StopAtBootEntry()
register_unwinder(None, TrapFrameUnwinder(), replace=True)
end
