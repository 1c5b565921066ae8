#!/bin/sh
# Gradescope runs this once, as root, when it builds the autograder's image
# from the zip that tools/gradescope/make_autograder.py made. The zip is
# unpacked in /autograder/source: a lab-n handout with this file,
# run_autograder and gradescope-lab (the lab number) at its top.
#
# It installs what Duet needs with tools/deps.sh (the one package list,
# Debian/Ubuntu apt-get), then builds both kernels once, so a broken
# toolchain shows here, when the instructor uploads the zip, rather than
# as zero points for every student. The build stays in the image: each
# submission's tree starts from it (tools/handout.py, seed_from_source)
# and compiles only the student's files, where it built both kernels.
#
#   AUTOGRADER_ROOT   default /autograder (tests point it elsewhere)
#   DUET_SETUP_BUILD  0: skip the trial build
#   DUET_ARCH         build that arch only, for an autograder that grades
#                     one (run_autograder's DUET_ARCH); default: both
set -eu
ROOT=${AUTOGRADER_ROOT:-/autograder}
cd "$ROOT/source"

# Zip tools may drop the execute bits; make runs these scripts directly.
find . -name '*.sh' -exec chmod +x {} +
chmod +x run_autograder

tools/deps.sh install

if [ "${DUET_SETUP_BUILD:-1}" != 0 ]; then
    for arch in ${DUET_ARCH:-x86_64 aarch64}; do
        make --no-print-directory -j"$(nproc)" ARCH="$arch" all
    done
fi
echo "setup: Duet's autograder for lab $(cat gradescope-lab) is ready"
