#!/bin/sh
# Print the command that runs pytest: the first Python on PATH that has it,
# else Debian's /usr/bin/python3. When none has it, say what to install.
# "Has it": the module is found, not imported (importing pytest takes a
# tenth of a second or more, and tools/deps.sh runs this on every check).
for py in python3 /usr/bin/python3 python; do
    if command -v "$py" >/dev/null 2>&1 &&
       "$py" -c 'import importlib.util, sys; sys.exit(not importlib.util.find_spec("pytest"))' 2>/dev/null; then
        echo "$(command -v "$py") -m pytest"
        exit 0
    fi
done
echo "no Python with pytest found: run 'make deps' or 'sudo apt-get install python3-pytest'" >&2
echo "false"
exit 1
