#!/bin/sh
# Regenerate the device trees in tests/host/data/fdt/, which
# tests/host/test_fdt.c parses and tests/fuzz/fuzz_fdt.c starts from:
#
#   qemu-virt-*.dtb   QEMU's own, as `-machine dumpdtb=` writes them, then
#                     packed: QEMU pads the blob to 1 MiB, and totalsize is
#                     cut down to the end of its last block (the padding is
#                     zeros; test_fdt.c puts it back for one test)
#   *.dts -> *.dtb    variants QEMU never makes, built with dtc
#
# QEMU's blobs hold random rng-seed and kaslr-seed values, so each run of
# this script changes their bytes, never what the parser finds in them.
# Needs qemu-system-aarch64, dtc and python3.
set -eu

cd "$(dirname "$0")/.."
out=tests/host/data/fdt
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

# Cut a blob's totalsize to the end of its structure and strings blocks.
pack() {
    python3 - "$1" "$2" <<'EOF'
import struct, sys
blob = bytearray(open(sys.argv[1], "rb").read())
(magic, total, off_struct, off_strings, off_rsvmap, version, last_comp, cpu,
 size_strings, size_struct) = struct.unpack(">10I", blob[:40])
assert magic == 0xd00dfeed and version == 17 and off_rsvmap < off_struct
end = max(off_struct + size_struct, off_strings + size_strings)
struct.pack_into(">I", blob, 4, end)
open(sys.argv[2], "wb").write(blob[:end])
EOF
}

# dump NAME QEMU-ARGS...: QEMU's device tree for that command line.
dump() {
    name=$1
    shift
    qemu-system-aarch64 -M virt -cpu cortex-a72 -display none "$@" \
        -machine dumpdtb="$tmp/$name.dtb" 2>"$tmp/log" || { cat "$tmp/log" >&2; exit 1; }
    pack "$tmp/$name.dtb" "$out/$name.dtb"
    echo "  $out/$name.dtb"
}

# QEMU writes /chosen/linux,initrd-* only for a Linux kernel, which it
# recognises by the arm64 Image header: "ARM\x64" at byte 56
# (Documentation/arch/arm64/booting.rst). A header alone is enough, since
# dumpdtb exits before anything runs. The initrd is 70000 zero bytes.
python3 - "$tmp/Image" <<'EOF'
import struct, sys
header = bytearray(64)
struct.pack_into("<QQ", header, 8, 0x80000, 4096)   # text_offset, image_size
header[56:60] = b"ARM\x64"
open(sys.argv[1], "wb").write(bytes(header) + bytes(4096 - 64))
EOF
head -c 70000 /dev/zero > "$tmp/initrd"

dump qemu-virt-128m -m 128M
dump qemu-virt-1g -m 1G
dump qemu-virt-3g -m 3G
dump qemu-virt-4g -m 4G
dump qemu-virt-el2 -m 128M -machine virtualization=on
dump qemu-virt-gicv3 -m 128M -machine gic-version=3
dump qemu-virt-append -m 128M -kernel "$tmp/Image" -append "ktest=all console=ttyAMA0 x=\"a b\""
dump qemu-virt-initrd -m 1G -kernel "$tmp/Image" -initrd "$tmp/initrd" -append "console=ttyAMA0"

# dtc's warnings are about the odd trees we want (a memory node without a
# unit address, /reserved-memory cells that differ from the root's).
for dts in "$out"/*.dts; do
    dtc -q -I dts -O dtb -o "${dts%.dts}.dtb" "$dts"
    echo "  ${dts%.dts}.dtb"
done
# The same tree in format version 16, which has no size_dt_struct.
dtc -q -I dts -O dtb -V 16 -o "$out/two-banks-v16.dtb" "$out/two-banks.dts"
echo "  $out/two-banks-v16.dtb"
