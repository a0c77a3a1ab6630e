#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Cut KUnit suites' KTAP out of a serial console log, for kunit.py parse.

The console carries each suite's full KTAP (6.1's debugfs results file drops
the parameterised subtests' headers) between other kernel messages, after the
boot-time "1..0" header that confuses kunit.py. Keep the suites' lines only,
under a fresh top-level header, on stdout. A SUITE ending in "*" names every
suite with that prefix, in the order they ran. -h, --help: this text.

Exit status: 0 the suites' KTAP printed, 1 a suite is not in the log
complete, 64 usage error, 70 the log cannot be read."""
import re
import sys

USAGE = "usage: ktap_extract.py SERIAL-LOG SUITE..."

TS = re.compile(r"^\[\s*\d+\.\d+\] ?")
PROGRAM_OUTPUT = "vm-guest: program output (ttyS1) begins"
KTAP = re.compile(r"^\s*(KTAP version \d+|1\.\.\d+|# |ok \d+|not ok \d+)")


def main():
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(USAGE + "\n\n" + __doc__)
        return 0
    if len(sys.argv) < 3 or any(a.startswith("-") for a in sys.argv[1:]):
        print(USAGE + " (--help explains)", file=sys.stderr)
        return 64
    try:
        with open(sys.argv[1], errors="replace") as f:
            lines = [TS.sub("", l.rstrip("\r\n")) for l in f]
    except OSError as e:
        print(f"ktap_extract.py: {e}", file=sys.stderr)
        return 70
    # The kernel's console only: vm.sh appends the command's output after it.
    if PROGRAM_OUTPUT in lines:
        lines = lines[:lines.index(PROGRAM_OUTPUT)]
    blocks = []
    for want in sys.argv[2:]:
        name = re.escape(want[:-1]) + r"\w*" if want.endswith("*") else re.escape(want)
        found = 0
        start = None
        for i, l in enumerate(lines):
            m = re.match(r"^\s*# Subtest: (%s)$" % name, l)
            if start is None and m:
                start, suite = i - 1 if i and "KTAP version" in lines[i - 1] else i, m[1]
            elif start is not None and re.match(r"^(ok|not ok) \d+ %s( # .*)?$"
                                                % re.escape(suite), l):
                blocks.append([l for l in lines[start:i + 1] if KTAP.match(l)])
                found += 1
                start = None
        if not found or start is not None:
            print("ktap_extract.py: suite %s not found complete in %s" % (want, sys.argv[1]),
                  file=sys.stderr)
            return 1
    print("KTAP version 1")
    print("1..%d" % len(blocks))
    for n, b in enumerate(blocks, 1):
        # Number the suites as the merged plan does.
        b[-1] = re.sub(r"^(ok|not ok) \d+ ", r"\g<1> %d " % n, b[-1])
        print("\n".join(b))
    return 0


if __name__ == "__main__":
    sys.exit(main())
