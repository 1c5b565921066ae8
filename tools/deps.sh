#!/bin/sh
# Install the Debian packages Duet needs, only those that are missing.
#   tools/deps.sh install           check every package, install what is missing
#   tools/deps.sh check-or-install  the same, fast when nothing changed: `make`
#                                   calls it before it reads the Makefile's
#                                   questions to the compiler (a fresh machine
#                                   has none yet)
# A package counts as present when the thing Duet uses from it is there: a
# command on PATH, a file, or a Python module of the Python that runs pytest.
# A full check that finds everything writes two files:
#   build/deps.ok   one line a package: cmd=NAME=PATH, the command NAME was
#                   PATH on PATH, or path=PATH, a file or module found there;
#   build/deps.key  a copy of this script: its list of packages and how each
#                   one is found.
# check-or-install trusts them while the key is this script and every line
# still holds (each command found at the same place on today's PATH, each
# path still there): a tool that went missing or moved, or a package added
# to the list, makes it check everything again. The Makefile does the same
# test itself without starting a process (Makefile, "A fresh machine"), so
# keep the two in step.
set -eu
case $0 in */*) cd "${0%/*}/.." ;; *) cd .. ;; esac
STAMP=build/deps.ok
KEY=build/deps.key
SELF=tools/deps.sh

# A check runs on every make of a fresh machine, so it starts as few
# processes as it can: commands are looked up on PATH by this shell (a
# $(command -v) would be one process per tool), globs are expanded by it,
# and the Python modules are located in one Python run, without importing
# them (importing pytest alone takes a tenth of a second or more).

# on_path NAME: where=the first PATH entry's NAME that is an executable
# file, as `command -v` finds it, or "".
on_path() {
    where=""
    set -f; old_ifs=$IFS; IFS=:
    for dir in $PATH; do
        if [ -f "${dir:-.}/$1" ] && [ -x "${dir:-.}/$1" ]; then where=${dir:-.}/$1; break; fi
    done
    IFS=$old_ifs; set +f
}

if [ "${1:-install}" = check-or-install ] && [ -f "$STAMP" ] && cmp -s "$SELF" "$KEY"; then
    ok=1
    while IFS= read -r line; do
        case $line in
        cmd=*) name=${line#cmd=}; name=${name%%=*}
               on_path "$name"
               [ "$where" = "${line#cmd="$name"=}" ] || { ok=0; break; } ;;
        *)     [ -e "${line#path=}" ] || { ok=0; break; } ;;
        esac
    done < "$STAMP"
    [ $ok = 1 ] && exit 0
fi

missing=""
wanted=""
found=""
list=missing    # where note puts a package that is not there
pymods=""
note() {    # note PACKAGE WHERE: a stamp line (cmd=... or path=...), "" when missing
    if [ -n "$2" ]; then
        found="${found:+$found
}$2"
    elif [ $list = wanted ]; then
        wanted="$wanted $1"
    else
        case " $missing " in *" $1 "*) ;; *) missing="$missing $1" ;; esac
    fi
}
need() {    # need KIND WHAT PACKAGE
    case $1 in
    cmd)  on_path "$2"; note "$3" "${where:+cmd=$2=$where}" ;;
    file) where=""
          for f in $2; do [ -e "$f" ] && where=$f; break; done   # $2 may be a glob: its first match
          note "$3" "${where:+path=$where}" ;;
    py)   pymods="$pymods $2=$3" ;;     # located all at once, after the list
    esac
}
want() {    # want KIND WHAT PACKAGE: as need, but only where apt has the package
    list=wanted
    need "$@"
    list=missing
}

need cmd  qemu-system-x86_64        qemu-system-x86
need cmd  qemu-system-aarch64       qemu-system-arm
need file /usr/share/qemu/qboot.rom  qemu-system-data    # the direct x86_64 boot's firmware
need cmd  aarch64-linux-gnu-gcc     gcc-aarch64-linux-gnu
need cmd  gcc                       gcc
need cmd  make                      make
need cmd  grub-mkrescue             grub-common
need cmd  grub-file                 grub-common
need file /usr/lib/grub/i386-pc     grub-pc-bin
need cmd  xorriso                   xorriso
need cmd  mformat                   mtools
need cmd  gdb-multiarch             gdb-multiarch
need cmd  dtc                       device-tree-compiler
need cmd  clang                     clang
need cmd  ld.lld                    lld
need cmd  clang-format              clang-format
need cmd  clang-tidy                clang-tidy
need cmd  cppcheck                  cppcheck
need cmd  llvm-nm                   llvm
need file "/usr/lib/llvm-*/lib/clang/*/lib/linux/libclang_rt.fuzzer-x86_64.a" libclang-rt-14-dev
need cmd  valgrind                  valgrind
need cmd  bwrap                     bubblewrap
# The memory viewer's browser tests. Ubuntu has no Chromium deb (only a
# snap), so these two are wanted, not needed: installed where apt has them,
# else left out, and tests/test_view.py says it skipped for that reason.
want file /usr/lib/chromium/chromium chromium
want cmd  chromedriver              chromium-driver
need py   pytest                    python3-pytest
need py   xdist                     python3-pytest-xdist

# The py modules, located by the Python that runs pytest in one run: a
# line each, path=ITS DIRECTORY, or the package when it is not there.
located=""
if py=$(tools/find-pytest.sh 2>/dev/null); then
    located=$("${py%" -m pytest"}" -c 'import importlib.util, os, sys
for arg in sys.argv[1:]:
    module, package = arg.split("=")
    spec = importlib.util.find_spec(module)
    print("path=" + os.path.dirname(spec.origin) if spec and spec.origin else package)' \
        $pymods 2>/dev/null) || located=""
fi
[ -n "$located" ] || located=$(for m in $pymods; do echo "${m#*=}"; done)
set -f; old_ifs=$IFS; IFS='
'
for line in $located; do
    case $line in path=*) note "" "$line" ;; *) note "$line" "" ;; esac
done
IFS=$old_ifs; set +f

# After an install, a wanted package still missing is one apt does not
# have here: the check passes without it.
if [ -n "${DUET_DEPS_INSTALLED:-}" ] && [ -n "$wanted" ]; then
    echo "deps: not installable here:$wanted (the memory viewer's browser tests will skip)" >&2
    wanted=""
fi

missing=${missing# }
if [ -z "$missing" ] && [ -z "$wanted" ]; then
    [ -d build ] || mkdir build
    printf '%s\n' "$found" > "$STAMP"
    cp "$SELF" "$KEY"
    [ "${1:-install}" = install ] && echo "deps: everything Duet needs is installed"
    exit 0
fi
rm -f "$STAMP" "$KEY"
if [ -n "${DUET_DEPS_INSTALLED:-}" ]; then
    echo "deps: still missing after apt-get install: $missing" >&2
    exit 1
fi

if ! command -v apt-get >/dev/null 2>&1; then
    if [ -z "${missing# }" ]; then      # only wanted ones: go on without them
        DUET_DEPS_INSTALLED=1 exec "$SELF" "${1:-install}"
    fi
    echo "deps: missing packages: $missing" >&2
    echo "deps: no apt-get here; install them with your system's package manager" >&2
    exit 1
fi
sudo=""
[ "$(id -u)" -eq 0 ] || sudo=sudo
$sudo apt-get update -qq
for pkg in $wanted; do
    # A real package, not a transitional one that installs a snap (Ubuntu's Chromium).
    if apt-cache show "$pkg" >/dev/null 2>&1 && ! apt-cache depends "$pkg" 2>/dev/null | grep -q snapd; then
        missing="$missing $pkg"
    fi
done
if [ -n "${missing# }" ]; then
    echo "deps: installing $missing"
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends $missing
fi
# Installed: check again, which writes the stamp (or says what is still missing).
DUET_DEPS_INSTALLED=1 exec "$SELF" "${1:-install}"
