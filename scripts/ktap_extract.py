#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Cut one KUnit suite's KTAP out of a serial console log, for kunit.py parse.

The console carries the suite's full KTAP (6.1's debugfs results file drops
the parameterised subtests' headers) between other kernel messages, after the
boot-time "1..0" header that confuses kunit.py. Keep the suite's lines only,
under a fresh top-level header, on stdout. -h, --help: this text.

Exit status: 0 the suite's KTAP printed, 1 the suite is not in the log
complete, 64 usage error, 70 the log cannot be read."""
import re
import sys

USAGE = "usage: ktap_extract.py SERIAL-LOG SUITE"

TS = re.compile(r"^\[\s*\d+\.\d+\] ?")
KTAP = re.compile(r"^\s*(KTAP version \d+|1\.\.\d+|# |ok \d+|not ok \d+)")


def main():
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(USAGE + "\n\n" + __doc__)
        return 0
    if len(sys.argv) != 3 or any(a.startswith("-") for a in sys.argv[1:]):
        print(USAGE + " (--help explains)", file=sys.stderr)
        return 64
    suite = sys.argv[2]
    try:
        with open(sys.argv[1], errors="replace") as f:
            lines = [TS.sub("", l.rstrip("\r\n")) for l in f]
    except OSError as e:
        print(f"ktap_extract.py: {e}", file=sys.stderr)
        return 70
    start = end = None
    for i, l in enumerate(lines):
        if start is None and re.match(r"^\s*# Subtest: %s$" % re.escape(suite), l):
            start = i - 1 if i and "KTAP version" in lines[i - 1] else i
        elif start is not None and re.match(r"^(ok|not ok) \d+ %s$" % re.escape(suite), l):
            end = i
            break
    if start is None or end is None:
        print("ktap_extract.py: suite %s not found complete in %s" % (suite, sys.argv[1]),
              file=sys.stderr)
        return 1
    print("KTAP version 1")
    print("1..1")
    for l in lines[start:end + 1]:
        if KTAP.match(l):
            print(l)
    return 0


if __name__ == "__main__":
    sys.exit(main())
