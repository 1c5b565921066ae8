#!/bin/sh
# Install the Debian packages Duet needs, only those that are missing.
#   tools/deps.sh install           check each package, install what is missing
#   tools/deps.sh check-or-install  the same, but first a fast check of the
#                                   commands themselves (used by run and test)
set -eu

# command:package pairs; a command that is present means its package is.
NEEDS="
qemu-system-x86_64:qemu-system-x86
qemu-system-aarch64:qemu-system-arm
aarch64-linux-gnu-gcc:gcc-aarch64-linux-gnu
grub-mkrescue:grub-common
grub-file:grub-common
xorriso:xorriso
mformat:mtools
gdb-multiarch:gdb-multiarch
dtc:device-tree-compiler
clang:clang
ld.lld:lld
llvm-nm:llvm
make:make
gcc:gcc
"
# Packages with no command of their own to look for.
PKGS_ALWAYS="grub-pc-bin python3-pytest"

missing=""
for pair in $NEEDS; do
    cmd=${pair%%:*}; pkg=${pair#*:}
    command -v "$cmd" >/dev/null 2>&1 || missing="$missing $pkg"
done
[ -d /usr/lib/grub/i386-pc ] || missing="$missing grub-pc-bin"
tools/find-pytest.sh >/dev/null 2>&1 || missing="$missing python3-pytest"

if [ "${1:-install}" = install ]; then
    for pkg in $PKGS_ALWAYS; do
        dpkg -s "$pkg" >/dev/null 2>&1 || missing="$missing $pkg"
    done
fi

missing=$(echo $missing | tr ' ' '\n' | sort -u | tr '\n' ' ')
if [ -z "${missing# }" ]; then
    [ "${1:-install}" = install ] && echo "deps: everything Duet needs is installed"
    exit 0
fi

if ! command -v apt-get >/dev/null 2>&1; then
    echo "deps: missing packages: $missing" >&2
    echo "deps: no apt-get here; install them with your system's package manager" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
echo "deps: installing $missing"
$sudo apt-get update -qq
DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
