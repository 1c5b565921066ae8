#!/bin/sh
# make check: the tree's static checks, all of which must be clean.
#   format    clang-format: every C file is formatted as .clang-format says
#             (`make format` rewrites them)
#   cppcheck  each arch's kernel sources (warnings, portability, performance)
#   tidy      clang-tidy with .clang-tidy's checks on each arch's kernel
#             sources, through the compile database of its LLVM=1 build
#             (the Makefile builds build/<arch>-llvm first)
# tools/check.sh [format] [cppcheck] [tidy] runs only those (default: all);
# tests/test_static_checks.py runs the fast two in `make test`.
# Exits non-zero on any finding.
set -eu
cd "$(dirname "$0")/.."
steps=${*:-format cppcheck tidy}
jobs=$(nproc 2>/dev/null || echo 2)
status=0

check_format() {
    echo "check: clang-format"
    out=$(find arch boot include kernel lib mm tests user -name build -prune -o \
        \( -name '*.c' -o -name '*.h' \) -print | sort |
        xargs clang-format --dry-run -Werror 2>&1) && return 0
    echo "$out" | grep 'error:' | cut -d: -f1 | sort -u | sed 's/^/  not formatted: /'
    echo "check: run 'make format' to format them"
    return 1
}

# comparePointers: subtracting linker symbols (__kernel_end - __kernel_start)
# is how a kernel measures its own sections. staticStringCompare: the string
# tests compare literals on purpose. internalAstError: cppcheck 2.10 cannot
# parse `read_sysreg(x) | bit` (a GNU statement expression).
check_cppcheck() {     # check_cppcheck ARCH
    echo "check: cppcheck ($1)"
    cppcheck --quiet --error-exitcode=1 --enable=warning,portability,performance \
        --inline-suppr --suppress=comparePointers \
        --suppress=staticStringCompare:lib/string_test.c \
        --suppress=internalAstError:arch/aarch64/mmu.c \
        --std=c11 --platform=unix64 --template='  {file}:{line}: [{id}] {message}' \
        -I include -I . -I "arch/$1/include" "-D__$1__" \
        boot lib mm kernel "arch/$1"
}

check_tidy() {         # check_tidy ARCH
    echo "check: clang-tidy ($1)"
    db=build/$1-llvm/compile_commands.json
    dir=$(mktemp -d)
    cp "$db" "$dir/compile_commands.json"
    if python3 -c 'import json, sys
print("\n".join(e["file"] for e in json.load(open(sys.argv[1])) if e["file"].endswith(".c")))' "$db" |
        xargs -P "$jobs" -n 4 clang-tidy -p "$dir" --quiet >"$dir/out" 2>/dev/null; then
        rm -rf "$dir"
        return 0
    fi
    grep -E 'warning:|error:' "$dir/out" | sort -u | sed "s|$PWD/|  |"
    rm -rf "$dir"
    return 1
}

for step in $steps; do
    case $step in
    format)   check_format || status=1 ;;
    cppcheck) for a in x86_64 aarch64; do check_cppcheck $a || status=1; done ;;
    tidy)     for a in x86_64 aarch64; do check_tidy $a || status=1; done ;;
    *)        echo "check: unknown step '$step' (format, cppcheck, tidy)" >&2; exit 2 ;;
    esac
done
[ $status -eq 0 ] && echo "check: clean"
exit $status
