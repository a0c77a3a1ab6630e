#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""usage: scripts/doccheck.py [--root DIR]

Check that README.md and docs/*.md name only things that exist, and run
their runnable command blocks. What the docs name is compared with the
tools themselves, never with a list kept here:

  options     every option given to a script (scripts/*.sh, *.py,
              selftests/*.sh) must appear in its --help output (run with a
              timeout), every option of repro, lab, fuzz and bench in the usage
              text of selftests/*.c; an option written alone (`--jobs N`) is
              checked against the commands named in its paragraph, or else
              its section. A synopsis (a line "NAME [-x] ...") must list the
              options of the tool's own usage line. `make TARGET --opt`
              hands --opt to make, not to the script the target runs.
  targets     every `make TARGET` must be listed by `make help`
              (`make -C DIR ...` and `make -n`, VAR=VALUE are fine).
  parameters  every module parameter named in a parameter table, after
              insmod/modprobe/--param or in /sys/module/vmar_race/parameters/
              must be a module_param*() in module/*.c, and every one there
              must be a row of a parameter table.
  events      every trace event named (vmar_race:NAME, events/vmar_race/NAME,
              a vmar_race_* name where trace events are discussed) must be
              a TRACE_EVENT/DEFINE_EVENT of module/trace/vmar_race.h, whose
              names carry the vmar_race_ prefix; a bare `spawn` for
              vmar_race_spawn where trace events are discussed is wrong.
  paths       every scripts/, selftests/, module/, docs/ path, every
              markdown link (with its #anchor: GitHub's heading slugs), every
              /selftests/NAME in the guest (selftests/NAME.c or .sh), every
              source file given to gcc, python3 or sh (unless the page says
              "save it as `NAME`"), every quoted section reference (see
              "Test layers"), and the docs pointers in the comments of
              Makefile, Kbuild, .ci/, scripts/, selftests/ and module/ (a
              docs/x.md#anchor, or a README section named in quotes) must
              exist. build/ and guest paths (/proc, /sys, /dev, /lib) are
              not checked.
  runnable    a fenced block whose info string is "sh runnable" is run: each
              line on its own (nothing carries over between lines) with
              bash -e in the tree's root, 60 s at most, and it must exit 0.
              Such a block may hold only cheap commands (--help, make -n,
              make help, scripts/check.sh --list, host-side tools such as
              timeline.py): a VM, a kernel build, make check/demo/bench or
              insmod there is itself a problem.
  timings     a measured figure lives on docs/benchmarks.md only. In the
              prose of README.md and the other docs/*.md (outside code
              blocks and `code spans`; table rows are prose), a number with
              a time unit (ns, us, ms, s, min, h, their words and plurals:
              "12 ms", "53 min 39 s", "200-235 s", "~10 min", "60-second"),
              a rate ("45,000 reads/s", "1200 per second") or a speed ratio
              ("1.07x", "0.99-1.00x", "2.6 times as fast") is a problem. Under README's "## How long it takes" figures may
              stand, but each must also be on docs/benchmarks.md (compared
              with spaces, thousands separators and the unit's spelling
              set aside). Word-numbers ("one second") and other units (MB,
              GB, cores, boots, %) are not figures.
  helps       every executable file directly in scripts/ and every
              selftests/*.sh must answer --help with exit status 0 and a
              text on stdout (this tree's, run as for options).
  races       each value of maps_mode and cred_mode in the source
              (module/modes.c, module/cred.c) has its row in docs/races.md's
              table, and the table names no other.
  words       README.md and docs/*.md together hold at most 8000 words,
              docs/testing.md at most 2500, as `wc -w` counts them (the
              whole file, code blocks included).

  --root DIR  check the docs of another tree (an old checkout: it may have
              only README.md). The tools the docs are checked against (the
              scripts' --help, the programs' usage, make help) are this
              tree's, since the point is today's tools; the facts of DIR
              (its paths, module parameters, trace events, headings,
              Makefile comments) are DIR's, and runnable blocks run in DIR.
  -h, --help  print this help and exit

Prints one line per problem, "FILE:LINE: what" ("FILE: what" for a whole
file or a script), then a summary on stderr.
Exit status: 0 the docs are consistent, 1 something in the docs is wrong
(or a script's --help, see helps), 64 usage error, 70 error (a tool's
--help or make help could not run, no README.md).
"""

import glob
import os
import re
import shlex
import subprocess
import sys

EX_PROBLEMS, EX_USAGE, EX_SOFTWARE = 1, 64, 70
TOOLS = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CPROGS = ("repro", "lab", "fuzz", "bench")   # usage text parsed from their .c
OPT_RE = re.compile(r"(?<![\w-])(--?[A-Za-z][\w-]*)")
REPO_PATH_RE = re.compile(
    r"(?<![\w./$~<>-])((?:scripts|selftests|module|docs)/[^\s`'\"),;:\]|]*)")
TOP_FILES_RE = re.compile(r"(?<![\w./$~-])(README\.md|Makefile|Kbuild|dkms\.conf|\.ci/run)\b")
GUEST_SELFTEST_RE = re.compile(r"(?<![\w./-])/selftests/([\w.-]+)")
LINK_RE = re.compile(r"!?\[((?:[^\]`]|`[^`]*`)*)\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)")
SPAN_RE = re.compile(r"(`+)(.+?)(?<!`)\1(?!`)", re.S)
SEE_RE = re.compile(r"\b(?:[Ss]ee|under)\s+\"([A-Z][^\"]*)\"")
CHEAP_SCRIPTS = ("timeline.py", "judge.py", "ktap_extract.py", "bench_report.py")
MAKE_DRY = ("-n", "--dry-run", "--just-print", "--recon")
MAKE_ARG_OPTS = ("-C", "-f", "-j", "-l", "-I", "-o", "-W", "--directory", "--file",
                 "--makefile", "--jobs", "--load-average", "--include-dir",
                 "--old-file", "--assume-old", "--what-if", "--new-file", "--assume-new")
# timings: a number (thousands separators allowed) with a time unit, a rate
# or a speed ratio, not glued to a word before it (v6.12, debug-6.12, p99).
BENCH, HOW_LONG = "docs/benchmarks.md", "## How long it takes"
NUM = r"(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?"
SP = r"[^\S\n]*\n?[^\S\n]*"                  # spaces, one line break at most
SP1 = r"(?=\s)" + SP                          # the same, at least one
TO = r"(?:%s[-\u2013\u2014]%s|%sto%s)" % (SP, SP, SP1, SP1)
TUNIT = (r"(?:(?:nano|micro|milli)?seconds?|minutes?|hours?|[num]secs?|secs?|mins?|hrs?"
         r"|ns|us|\u00b5s|\u03bcs|ms|s|h)(?!\w)")
FIGURE_RE = re.compile(
    r"(?:[~\u2248]%(sp)s)?(?<![\w.,])(?<!\w-)(?:"
    r"\d+h\d+m(?:\d+s)?(?!\w)|\d+m\d+(?:\.\d+)?s(?!\w)"                   # 1h20m, 24m29s
    r"|%(n)s(?:%(to)s%(n)s)?[kKM]?(?:%(sp1)s[A-Za-z][\w-]*){0,2}"           # rates
    r"(?:/(?:s|sec|second|min|minute|h|hour)|%(sp1)sper%(sp1)s(?:second|sec|s|minute|min"
    r"|hour))(?!\w)"
    r"|%(n)s(?:%(to)s%(n)s)?[x\u00d7](?!\w)"                                 # 1.07x
    r"|%(n)s%(sp1)stimes%(sp1)s(?:as%(sp1)s(?:fast|slow|quick|quickly|long|much|many)"
    r"|faster|slower|quicker|longer|shorter|the%(sp1)s(?:speed|cost|throughput|rate"
    r"|time|latency))(?!\w)"
    r"|%(n)s(?:%(sp)s%(u)s)?(?:%(to)s%(n)s)?(?:%(sp)s|-)%(u)s(?:%(sp)s%(n)s%(sp)s%(u)s)*"
    r")" % {"n": NUM, "sp": SP, "sp1": SP1, "to": TO, "u": TUNIT})
UNIT_NAMES = {"s": ("s", "sec", "secs", "second", "seconds"),
              "min": ("min", "mins", "minute", "minutes"),
              "h": ("h", "hr", "hrs", "hour", "hours"),
              "ms": ("ms", "msec", "msecs", "millisecond", "milliseconds"),
              "us": ("us", "\u00b5s", "\u03bcs", "usec", "usecs", "microsecond", "microseconds"),
              "ns": ("ns", "nsec", "nsecs", "nanosecond", "nanoseconds")}
UNIT_OF = {w: u for u, words in UNIT_NAMES.items() for w in words}
EXPENSIVE = ("insmod", "rmmod", "modprobe", "mount", "umount", "dkms", "apt-get", "apt",
             "sudo", "reboot", "shutdown", "qemu-system-x86_64")


class CannotRun(Exception):
    pass


def slug(text):
    """GitHub's anchor for a heading."""
    text = re.sub(r"`", "", text.strip().lower())
    text = re.sub(r"[^\w\- ]", "", text)
    return text.replace(" ", "-")


def opts_in(text):
    return set(OPT_RE.findall(text))


def expand_braces(p):
    m = re.search(r"\{([^{}]*,[^{}]*)\}", p)
    if not m:
        return [p]
    out = []
    for alt in m.group(1).split(","):
        out += expand_braces(p[:m.start()] + alt + p[m.end():])
    return out


def figure_key(fig):
    """A figure as compared with docs/benchmarks.md: no spaces, no thousands
    separators, one spelling per unit ("1,373 seconds" is "1373s")."""
    s = " ".join(fig.split()).lstrip("~\u2248 ")
    s = re.sub(r"(?<=\d),(?=\d{3})", "", s)
    s = re.sub(r"\s*(?:\u2013|\u2014|\bto\b)\s*", "-", s)
    s = re.sub(r"\s*\bper\s+(\w+)", r"/\1", s)
    s = re.sub(r"(?<=\d)-(?=[^\W\d])", "", s)           # 60-second
    s = re.sub(r"(?<![^\W\d])[^\W\d]+", lambda m: UNIT_OF.get(m.group(0), m.group(0)), s)
    return s.replace(" ", "").replace("\u00d7", "x")


def tokenize(text, comments):
    """Shell words and operators of one command line (None: not shell)."""
    lex = shlex.shlex(text, posix=True, punctuation_chars=";&|()<>")
    lex.whitespace_split = True
    lex.commenters = ""
    try:
        toks = list(lex)
    except ValueError:
        return None
    if comments:
        for i, t in enumerate(toks):
            if t.startswith("#"):
                return toks[:i]
    return toks


def simple_commands(text, comments=True, depth=0):
    """The simple commands (lists of words) of a command line, including
    those inside sh -c '...'."""
    toks = tokenize(text, comments)
    if toks is None:
        return []
    cmds, cur, skip = [], [], False
    for t in toks:
        if skip:
            skip = False
            continue
        if t and all(c in "<>" for c in t):
            skip = True            # a redirection and its file
            continue
        if t and all(c in ";&|()" for c in t):
            if cur:
                cmds.append(cur)
            cur = []
            continue
        cur.append(t)
    if cur:
        cmds.append(cur)
    out = []
    for c in cmds:
        out.append(c)
        # sh -c 'COMMANDS': the commands inside count too
        for i in range(len(c) - 2):
            if os.path.basename(c[i]) in ("sh", "bash") and c[i + 1] == "-c" and depth < 3:
                out += simple_commands(c[i + 2], comments, depth + 1)
                break
    return out


class Tools:
    """The interfaces the docs describe: scripts' --help, the C programs'
    usage text, make help and the make targets' recipes (this tree's)."""

    def __init__(self, tree):
        self.tree = tree
        self.errors = []
        self.scripts = {}
        for pat in ("scripts/*.sh", "scripts/*.py", "selftests/*.sh"):
            for p in sorted(glob.glob(os.path.join(tree, pat))):
                if os.path.basename(p) != "lib.sh":
                    self.scripts[os.path.basename(p)] = os.path.relpath(p, tree)
        self.guest_progs = {os.path.basename(p)[:-2] for p in
                            glob.glob(os.path.join(tree, "selftests/*.c"))}
        self._help = {}
        self._runs = {}
        self._make = None
        self._make_opts = None

    def run_help(self, rel):
        """(exit status, stdout, why it could not run or None) of
        `rel --help`, run once."""
        if rel not in self._runs:
            try:
                r = subprocess.run([os.path.join(self.tree, rel), "--help"], cwd=self.tree,
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=30)
                self._runs[rel] = (r.returncode, r.stdout, None)
            except (OSError, subprocess.TimeoutExpired) as e:
                self._runs[rel] = (None, "", e)
        return self._runs[rel]

    def _run_help(self, name):
        rel = self.scripts[name]
        rc, out, err = self.run_help(rel)
        if err is not None:
            raise CannotRun("%s --help: %s" % (rel, err))
        if rc != 0 or "usage" not in out.lower():
            raise CannotRun("%s --help exits %d without a usage on stdout" % (rel, rc))
        return out

    def helped(self):
        """What must answer --help: the executable files directly in
        scripts/, and selftests/*.sh."""
        out = [p for p in sorted(glob.glob(os.path.join(self.tree, "scripts", "*")))
               if os.path.isfile(p) and os.stat(p).st_mode & 0o111]
        out += sorted(glob.glob(os.path.join(self.tree, "selftests", "*.sh")))
        return [os.path.relpath(p, self.tree) for p in out]

    def _c_usage(self, name):
        path = os.path.join(self.tree, "selftests", name + ".c")
        try:
            src = open(path).read()
        except OSError as e:
            raise CannotRun("%s: %s" % (path, e))
        i = src.find('"usage: ')
        if i < 0:
            raise CannotRun("%s: no \"usage: \" string" % path)
        end = src.find(");", i)
        lits = re.findall(r'"((?:[^"\\]|\\.)*)"', src[i:end])
        return "".join(lits).replace("\\n", "\n").replace("%s", name)

    def usage(self, kind, name):
        """(every option, the usage line's options) or None when unknown."""
        key = (kind, name)
        if key not in self._help:
            try:
                text = self._run_help(name) if kind == "script" else self._c_usage(name)
            except CannotRun as e:
                self.errors.append(str(e))
                self._help[key] = None
                return None
            lines = text.splitlines()
            syn = []
            for j, ln in enumerate(lines):
                if ln.lower().startswith("usage:"):
                    syn.append(ln)
                    for more in lines[j + 1:]:
                        s = more.strip()
                        if more[:1].isspace() and (s.startswith("[") or s.startswith(name)
                                                    or s.startswith("scripts/")):
                            syn.append(more)
                        else:
                            break
                    break
            syn_opts = opts_in("\n".join(syn)) - {"-h", "--help"}
            self._help[key] = (opts_in(text) | {"-h", "--help"}, syn_opts)
        return self._help[key]

    def make(self):
        """{target: (script it runs or None, options its recipe passes)}."""
        if self._make is None:
            try:
                r = subprocess.run(["make", "-s", "help"], cwd=self.tree, capture_output=True,
                                   text=True, timeout=60, stdin=subprocess.DEVNULL)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise CannotRun("make -s help: %s" % e)
            if r.returncode != 0:
                raise CannotRun("make -s help exits %d" % r.returncode)
            targets = {"": (None, set())}
            for ln in r.stdout.splitlines():
                m = re.match(r"\s*make(?: (\S+))?(?:\s{2,}|$)", ln)
                if m:
                    targets[m.group(1) or ""] = (None, set())
            # What each target runs: its recipe in the Makefile.
            try:
                mk = open(os.path.join(self.tree, "Makefile")).read().replace("\\\n", " ")
            except OSError as e:
                raise CannotRun("Makefile: %s" % e)
            for m in re.finditer(r"^([\w-]+):[^\n=]*\n((?:\t[^\n]*\n?)*)", mk, re.M):
                if m.group(1) in targets:
                    s = re.search(r"scripts/([\w.-]+)", m.group(2))
                    targets[m.group(1)] = (s.group(1) if s else None, opts_in(m.group(2)))
            self._make = targets
        return self._make

    def make_opts(self):
        if self._make_opts is None:
            try:
                r = subprocess.run(["make", "--help"], capture_output=True, text=True, timeout=30)
            except (OSError, subprocess.TimeoutExpired) as e:
                raise CannotRun("make --help: %s" % e)
            self._make_opts = opts_in(r.stdout)
        return self._make_opts


class Tree:
    """The facts of the tree whose docs are checked."""

    def __init__(self, root):
        self.root = root
        self.params = {}
        for p in sorted(glob.glob(os.path.join(root, "module", "*.c"))):
            src = open(p).read()
            src = re.sub(r"/\*.*?\*/|//[^\n]*", lambda m: re.sub(r"[^\n]", " ", m.group(0)),
                         src, flags=re.S)
            for m in re.finditer(r"\bmodule_param(?:_cb|_named|_unsafe|_string|_array"
                                 r"|_array_named)?\s*\(\s*(\w+)", src):
                self.params.setdefault(m.group(1), (os.path.relpath(p, root),
                                                    src.count("\n", 0, m.start()) + 1))
        self.events = set()
        hdr = os.path.join(root, "module", "trace", "vmar_race.h")
        if os.path.exists(hdr):
            src = open(hdr).read()
            self.events |= set(re.findall(r"^\s*TRACE_EVENT\(\s*(\w+)", src, re.M))
            self.events |= set(re.findall(r"^\s*DEFINE_EVENT\(\s*\w+\s*,\s*(\w+)", src, re.M))
        # Other vmar_race_* names that are not events: KUnit suites.
        self.suites = set()
        kunit = os.path.join(root, "module", "vmar_race_kunit.c")
        if os.path.exists(kunit):
            src = open(kunit).read()
            self.suites |= {"vmar_race_" + s for s in re.findall(r"^VR_SUITE\((\w+),", src, re.M)}
            self.suites |= set(re.findall(r'\.name = "(vmar_race\w*)"', src))
        self._headings = {}
        self._bench = None

    def on_bench(self, fig):
        """Whether a figure is on docs/benchmarks.md (anywhere in the file)."""
        if self._bench is None:
            try:
                text = open(os.path.join(self.root, BENCH)).read()
            except OSError:
                text = ""
            self._bench = FIGURE_RE.sub(lambda m: " %s " % figure_key(m.group(0)), text)
        return bool(re.search(r"(?<![\w.,])%s(?!\w)" % re.escape(figure_key(fig)),
                              self._bench))

    def exists(self, rel):
        rel = rel.rstrip("/") or "."
        full = os.path.join(self.root, rel)
        if any(c in rel for c in "*?["):
            return bool(glob.glob(full))
        return os.path.exists(full)

    def headings(self, rel):
        """(titles, slugs) of a markdown file, or None."""
        if rel not in self._headings:
            try:
                text = open(os.path.join(self.root, rel)).read()
            except OSError:
                self._headings[rel] = None
                return None
            titles, slugs, seen, fence = [], set(), {}, None
            for ln in text.splitlines():
                f = re.match(r"\s*(```+|~~~+)", ln)
                if f:
                    if fence and f.group(1).startswith(fence):
                        fence = None
                    elif not fence:
                        fence = f.group(1)
                    continue
                m = None if fence else re.match(r"(#{1,6})\s+(.*?)\s*#*\s*$", ln)
                if m:
                    t = m.group(2)
                    s = slug(t)
                    n = seen.get(s, 0)
                    seen[s] = n + 1
                    slugs.add(s if n == 0 else "%s-%d" % (s, n))
                    titles.append(re.sub(r"`", "", t))
            self._headings[rel] = (titles, slugs)
        return self._headings[rel]


class Doc:
    """One markdown file cut into units (paragraphs, list items, tables,
    code blocks) under sections."""

    def __init__(self, root, rel):
        self.rel = rel
        self.lines = open(os.path.join(root, rel)).read().splitlines()
        self.units = []      # dicts: kind, section, start, lines [(no, text)], info
        section, cur, fence = 0, None, None
        for no, ln in enumerate(self.lines, 1):
            if fence:
                if re.match(r"\s*" + re.escape(fence["fence"]) + r"\s*$", ln):
                    self.units.append(fence)
                    fence = None
                else:
                    fence["lines"].append((no, ln))
                continue
            f = re.match(r"\s*(```+|~~~+)\s*(.*)$", ln)
            if f:
                cur = None
                fence = {"kind": "block", "section": section, "start": no, "lines": [],
                         "fence": f.group(1), "info": f.group(2).split()}
                continue
            if re.match(r"#{1,6}\s", ln):
                section += 1
                cur = None
                self.units.append({"kind": "heading", "section": section, "start": no,
                                   "lines": [(no, ln)]})
                continue
            if not ln.strip() or ln.lstrip().startswith("<!--"):
                cur = None
                continue
            is_table = ln.lstrip().startswith("|")
            is_item = re.match(r"\s*(?:[-*+]|\d+\.)\s+", ln)
            if cur is None or is_item or is_table != (cur["kind"] == "table"):
                cur = {"kind": "table" if is_table else "para", "section": section,
                       "start": no, "lines": []}
                self.units.append(cur)
            cur["lines"].append((no, ln))
        if fence:
            self.units.append(fence)

    @staticmethod
    def joined(unit):
        """The unit's text and a function from an offset to a line number."""
        text, starts = "", []
        for no, ln in unit["lines"]:
            starts.append((len(text), no))
            text += ln + "\n"

        def line_of(off):
            n = unit["start"]
            for s, no in starts:
                if s <= off:
                    n = no
            return n
        return text, line_of


class Checker:
    def __init__(self, root, tools, tree):
        self.root, self.tools, self.tree = root, tools, tree
        self.problems = set()
        self.counts = dict.fromkeys(("options", "targets", "parameters", "events", "paths",
                                     "links", "runnable commands", "timing figures",
                                     "race variants", "scripts' --help", "words"), 0)
        self.contexts = {}           # (file, unit or section key) -> set of programs
        self.bare = []               # (doc, unit, line, options)
        self.param_rows = set()
        self.saved = {}              # file -> names the page says to save a program as
        self.unit = None
        self.param_table = None      # (file, line) of the first parameter table

    def problem(self, f, line, what):
        self.problems.add((f, line, what))

    # --- programs and their options ---------------------------------------

    def program(self, words):
        """(kind, name, index of the program word) of a simple command."""
        i = 0
        while i < len(words):
            w = words[i]
            if re.match(r"^[A-Za-z_]\w*=", w) or w in ("sudo", "env", "exec", "command"):
                i += 1
            elif w == "timeout" and i + 1 < len(words):
                i += 2
            elif w in ("python3", "python", "bash", "sh") and i + 1 < len(words) \
                    and not words[i + 1].startswith("-"):
                i += 1
                break
            else:
                break
        if i >= len(words):
            return None
        w = words[i]
        base = os.path.basename(w.strip("[]`"))
        if base == "make" and "/" not in w:
            return ("make", "make", i)
        if base in self.tools.scripts and (w == base or w.startswith(("scripts/", "./scripts/",
                                                                       "selftests/", "/selftests/",
                                                                       "./"))):
            return ("script", base, i)
        guest = w.startswith(("/selftests/", "selftests/", "build/selftests/", "./"))
        if base in CPROGS and (guest or w == base):
            return ("cprog", base, i)
        if guest and base in self.tools.guest_progs:
            return ("guest", base, i)
        return ("other", base, i)

    def check_options(self, doc, line, kind, name, opts, synopsis=None):
        u = self.tools.usage(kind, name)
        if u is None:
            return
        allopts, synopts = u
        self.counts["options"] += len(opts)
        label = self.tools.scripts.get(name, name) if kind == "script" else name
        src = "--help" if kind == "script" else "usage in selftests/%s.c" % name
        for o in sorted(opts):
            base = o.split("=", 1)[0]
            if base not in allopts:
                self.problem(doc.rel, line, "`%s %s`: %s has no option %s (%s)"
                             % (label, o, label, base, src))
        if synopsis is not None:
            missing = sorted(synopts - synopsis)
            if missing:
                self.problem(doc.rel, line, "synopsis of %s omits %s (its %s has them)"
                             % (label, ", ".join(missing), src))

    def check_make(self, doc, line, words, ctx):
        try:
            targets = self.tools.make()
            mopts = self.tools.make_opts()
        except CannotRun as e:
            self.tools.errors.append(str(e))
            return
        opts, goals, other_dir, j = [], [], False, 1
        while j < len(words):
            w = words[j]
            if w.startswith("-") and len(w) > 1:
                opts.append(w)
                if w in ("-C", "--directory") or w.startswith(("-C", "--directory=")):
                    other_dir = True
                if w in MAKE_ARG_OPTS and w not in ("-j", "--jobs") and j + 1 < len(words):
                    j += 1
                elif w in ("-j", "--jobs") and j + 1 < len(words) and words[j + 1].isdigit():
                    j += 1
            elif "=" in w:
                pass
            elif re.match(r"^[\w.-]+$", w):
                goals.append(w)
            j += 1
        for g in goals:
            ctx.add(("make", g))
            self.counts["targets"] += 1
            if not other_dir and g not in targets and not re.match(r"^[A-Z][A-Z_]*$", g):
                self.problem(doc.rel, line, "`make %s`: no such target in `make help`" % g)
        if other_dir:
            return
        for o in opts:
            base = o.split("=", 1)[0]
            for g in goals:
                script, passes = targets.get(g, (None, set()))
                if script and base not in passes and self.script_has(script, base):
                    self.problem(doc.rel, line, "`make %s %s`: %s is an option of scripts/%s, "
                                 "which make %s does not pass on (make takes it): write "
                                 "`scripts/%s %s`" % (g, o, base, script, g, script, o))
                    break
            else:
                if base not in mopts:
                    self.problem(doc.rel, line, "`make ... %s`: not a make option" % base)

    def script_has(self, script, opt):
        if script not in self.tools.scripts:
            return False
        u = self.tools.usage("script", script)
        return bool(u) and opt in u[0]

    def command(self, doc, line, words, ctx):
        p = self.program(words)
        if not p:
            return
        kind, name, i = p
        args = words[i + 1:]
        # Source files handed to a compiler or interpreter must exist.
        if name in ("gcc", "cc", "clang") or (i > 0 and words[i - 1] in ("python3", "python",
                                                                          "bash", "sh")):
            files = args if name in ("gcc", "cc", "clang") else [words[i]]
            prev = None
            for a in files:
                if prev != "-o" and re.match(r"^[\w][\w./-]*\.(?:c|h|py|sh)$", a) \
                        and not a.startswith("build/") \
                        and not self.tree.exists(a) and a not in self.saved.get(doc.rel, ()):
                    self.problem(doc.rel, line, "`%s`: no such file in the tree (and the page "
                                 "does not say \"save it as `%s`\")" % (a, a))
                prev = a
        if kind == "make":
            self.check_make(doc, line, words[i:], ctx)
            return
        if name in ("insmod", "modprobe"):
            mod = next((a for a in args if not a.startswith("-")), "")
            if os.path.basename(mod) in ("vmar_race", "vmar_race.ko"):
                for a in args:
                    m = re.match(r"^(\w+)=", a)
                    if m:
                        self.check_param(doc, line, m.group(1))
        lone = not args and "/" not in words[i] and not words[i].endswith((".sh", ".py"))
        if lone and kind != "make":
            return         # a name in prose (`fuzz`, `bench`), not a command
        if kind in ("script", "cprog"):
            ctx.add((kind, name))
        elif kind == "guest" or (any(a.startswith("-") for a in args)
                                 and name not in ("sh", "bash")):
            ctx.add(("other", name))     # may own a bare option: unknown
        else:
            ctx.add(("plain", name))
        if kind not in ("script", "cprog"):
            return
        opts, k = [], 0
        while k < len(args):
            a = args[k]
            if a == "--":
                # the rest is the guest's command
                if args[k + 1:]:
                    self.command(doc, line, args[k + 1:], ctx)
                break
            a = a.strip("[]")
            if re.match(r"^--?[A-Za-z]", a):
                opts.append(a)
                if a in ("--param",) and k + 1 < len(args):
                    m = re.match(r"^([a-z]\w*)=", args[k + 1])
                    if m:
                        self.check_param(doc, line, m.group(1))
            k += 1
        self.check_options(doc, line, kind, name, opts)

    def code_text(self, doc, line, text, ctx, block):
        """One inline code span or one logical line of a code block."""
        self.names(doc, line, text)
        stripped = text.strip()
        if not stripped:
            return
        first = stripped.split()[0].strip("[]")
        if "[-" in stripped:
            # A synopsis: NAME [-x ARG] ... (its options against the usage).
            words = stripped.split()
            p = self.program([words[0]])
            if p and p[0] in ("script", "cprog"):
                ctx.add((p[0], p[1]))
                opts = opts_in(stripped[len(words[0]):])
                self.check_options(doc, line, p[0], p[1], opts, synopsis=opts)
                return
        if not block and re.match(r"^(?:--[A-Za-z][\w-]*|-[A-Za-z])(?:[\s=]|$)", first):
            toks = tokenize(stripped, False) or stripped.split()
            opts = [t for t in toks if re.match(r"^(?:--[A-Za-z][\w-]*|-[A-Za-z])(?:=|$)", t)]
            self.bare.append((doc, line, opts, self.unit))
            return
        for words in simple_commands(stripped, comments=block):
            self.command(doc, line, words, ctx)

    def check_param(self, doc, line, name):
        self.counts["parameters"] += 1
        if name not in self.tree.params:
            self.problem(doc.rel, line, "module parameter `%s` does not exist (module/*.c "
                         "has %s)" % (name, ", ".join(sorted(self.tree.params))))

    # --- names: events, parameters in /sys, paths -------------------------

    def names(self, doc, line, text):
        for m in re.finditer(r"/sys/module/vmar_race/parameters/(\w+)", text):
            self.check_param(doc, line, m.group(1))
        for m in re.finditer(r"\bvmar_race:(\w+)(?![\w*\]])", text):
            self.check_event(doc, line, m.group(1), "vmar_race:%s" % m.group(1))
        for m in re.finditer(r"events/vmar_race/(\w+)", text):
            if m.group(1) != "enable":
                self.check_event(doc, line, m.group(1), m.group(0))
        for m in re.finditer(r"(?<![\w/])(vmar_race_\w+)/(?:enable|filter|format|trigger)\b", text):
            self.check_event(doc, line, m.group(1), m.group(0))

    def check_event(self, doc, line, name, shown):
        self.counts["events"] += 1
        if name in self.tree.events:
            return
        if "vmar_race_" + name in self.tree.events:
            self.problem(doc.rel, line, "trace event `%s`: the event is vmar_race_%s (names "
                         "carry the vmar_race_ prefix, module/trace/vmar_race.h)"
                         % (shown, name))
        elif re.match(r"^vmar_race_\w+$", name) or shown != name:
            self.problem(doc.rel, line, "trace event `%s`: not in module/trace/vmar_race.h"
                         % shown)

    def paths(self, doc, line, text):
        for m in REPO_PATH_RE.finditer(text):
            p = m.group(1).rstrip(".")
            if "<" in p or "..." in p or re.search(r"/[A-Z][A-Z_-]*(?:/|$)", p):
                continue
            p, _, anchor = p.partition("#")
            for q in expand_braces(p):
                self.counts["paths"] += 1
                if self.tree.exists(q):
                    continue
                if q.startswith("selftests/") and (self.tree.exists(q + ".c")
                                                   or self.tree.exists(q + ".sh")):
                    continue
                self.problem(doc.rel, line, "`%s`: no such file or directory" % q)
            if anchor:
                self.anchor(doc, line, p, anchor)
        for m in TOP_FILES_RE.finditer(text):
            if not self.tree.exists(m.group(1)):
                self.problem(doc.rel, line, "`%s`: no such file" % m.group(1))
        for m in GUEST_SELFTEST_RE.finditer(text):
            n = m.group(1).rstrip(".")
            if re.match(r"^[A-Z][A-Z_-]*$", n):
                continue       # a placeholder: /selftests/NAME
            if any(self.tree.exists("selftests/" + n + ext) for ext in ("", ".c", ".sh")):
                continue
            self.problem(doc.rel, line, "`/selftests/%s`: no selftests/%s.c or .sh" % (n, n))

    def anchor(self, doc, line, target, anchor):
        h = self.tree.headings(target)
        if h is None:
            return          # reported as a missing file
        if anchor not in h[1]:
            self.problem(doc.rel, line, "`%s#%s`: %s has no heading with that anchor"
                         % (target, anchor, target))

    def links(self, doc, line_of, text):
        base = os.path.dirname(doc.rel)
        for m in LINK_RE.finditer(text):
            target = m.group(2)
            if re.match(r"^[a-z]+:", target):
                continue
            line = line_of(m.start())
            self.counts["links"] += 1
            path, _, anchor = target.partition("#")
            rel = os.path.normpath(os.path.join(base, path)) if path else doc.rel
            if rel.startswith(".."):
                self.problem(doc.rel, line, "link `%s` leaves the tree" % target)
                continue
            if path and not self.tree.exists(rel):
                self.problem(doc.rel, line, "link `%s`: no such file %s" % (target, rel))
                continue
            if anchor and rel.endswith(".md"):
                h = self.tree.headings(rel)
                if h and anchor not in h[1]:
                    self.problem(doc.rel, line, "link `%s`: %s has no heading with anchor #%s"
                                 % (target, rel, anchor))

    def see(self, doc, line_of, text):
        """A quoted section reference (see "Test layers") names a heading
        of the same page."""
        h = self.tree.headings(doc.rel)
        for m in SEE_RE.finditer(text):
            want = " ".join(m.group(1).split())
            if h and not any(t.startswith(want) for t in h[0]):
                self.problem(doc.rel, line_of(m.start()), "see \"%s\": %s has no such section"
                             % (want, doc.rel))

    # --- one file ----------------------------------------------------------

    def check_doc(self, doc):
        self.saved[doc.rel] = set(re.findall(r"save(?:d)? it as `([^`]+)`",
                                             " ".join(doc.lines)))
        runnable = []
        timed, how_long = doc.rel != BENCH, False
        for ui, unit in enumerate(doc.units):
            ctx = self.contexts.setdefault((doc.rel, "unit", ui), set())
            sctx = self.contexts.setdefault((doc.rel, "section", unit["section"]), set())
            unit["ctx"] = ctx
            self.unit = unit
            if unit["kind"] == "heading":
                head = unit["lines"][0][1]
                if len(re.match(r"#*", head).group(0)) <= 2:
                    how_long = doc.rel == "README.md" and head.strip() == HOW_LONG
                if timed:
                    text, line_of = Doc.joined(unit)
                    self.timings(doc, line_of, text, how_long)
                continue
            if unit["kind"] == "block":
                if unit["info"][:2] == ["sh", "runnable"]:
                    runnable.append(unit)
                for line, text in self.block_lines(unit):
                    self.paths(doc, line, text)
                    self.code_text(doc, line, text, ctx, block=True)
                sctx |= ctx
                continue
            text, line_of = Doc.joined(unit)
            self.links(doc, line_of, text)
            self.see(doc, line_of, text)
            # paths and names in prose too (outside links' targets)
            prose = LINK_RE.sub(lambda m: "[" + m.group(1) + "]" + " " * (len(m.group(2)) + 2),
                                text)
            for off, ln in self.split_lines(prose):
                self.paths(doc, line_of(off), ln)
            if timed:
                self.timings(doc, line_of, prose, how_long)
            # Where trace events are discussed: the paragraph, or a table's
            # row, says "trace event", or a table's first column is "event".
            if unit["kind"] == "table":
                head = re.match(r"\|\s*events?\s*\|", unit["lines"][0][1])
                trace_lines = {no for no, ln in unit["lines"]
                               if head or re.search(r"trace events?\b", ln, re.I)}
            elif re.search(r"trace\s+events?\b", text, re.I):
                trace_lines = {no for no, _ in unit["lines"]}
            else:
                trace_lines = set()
            table_param = unit["kind"] == "table" and re.match(r"\|\s*parameter\s*\|",
                                                               unit["lines"][0][1])
            for m in SPAN_RE.finditer(text):
                span = " ".join(m.group(2).split())
                line = line_of(m.start())
                self.code_text(doc, line, span, ctx, block=False)
                if line in trace_lines:
                    self.trace_span(doc, line, span)
            if table_param:
                self.param_table = self.param_table or (doc.rel, unit["start"])
                for no, ln in unit["lines"][2:]:
                    m = re.match(r"\|\s*`(\w+)`\s*\|", ln)
                    if m:
                        self.param_rows.add(m.group(1))
                        self.check_param(doc, no, m.group(1))
            sctx |= ctx
        for unit in runnable:
            self.run_block(doc, unit)

    def timings(self, doc, line_of, text, how_long):
        """Measured figures in prose (code spans blanked) belong on
        docs/benchmarks.md; under README's "How long it takes" they must
        be on it."""
        prose = SPAN_RE.sub(lambda m: re.sub(r"[^\n]", " ", m.group(0)), text)
        for m in FIGURE_RE.finditer(prose):
            fig = " ".join(m.group(0).split())
            self.counts["timing figures"] += 1
            if not how_long:
                self.problem(doc.rel, line_of(m.start()), "timing figure '%s' outside %s"
                             % (fig, BENCH))
            elif not self.tree.on_bench(fig):
                self.problem(doc.rel, line_of(m.start()), "'%s' is not on %s" % (fig, BENCH))

    @staticmethod
    def split_lines(text):
        off = 0
        for ln in text.split("\n"):
            yield off, ln
            off += len(ln) + 1

    def trace_span(self, doc, line, span):
        if span in self.tree.suites:
            return
        if re.match(r"^vmar_race_\w+$", span):
            self.counts["events"] += 1
            if span not in self.tree.events:
                self.problem(doc.rel, line, "trace event `%s`: not in module/trace/vmar_race.h"
                             % span)
        elif re.match(r"^\w+$", span) and "vmar_race_" + span in self.tree.events:
            self.counts["events"] += 1
            self.problem(doc.rel, line, "trace event `%s`: the event is vmar_race_%s (`-e "
                         "vmar_race:%s` fails; names carry the vmar_race_ prefix)"
                         % (span, span, span))

    @staticmethod
    def block_lines(unit):
        """Logical lines: backslash continuations joined, and a synopsis's
        indented "[..." lines joined to it."""
        out = []
        for no, ln in unit["lines"]:
            if out and (out[-1][1].endswith("\\") or
                        (ln[:1].isspace() and ln.strip().startswith("[") and
                         "[-" in out[-1][1])):
                out[-1] = (out[-1][0], out[-1][1].rstrip("\\") + " " + ln.strip())
            else:
                out.append((no, ln))
        return out

    # --- runnable blocks ---------------------------------------------------

    def cheap(self, words):
        """None when cheap, else why not."""
        p = self.program(words)
        if not p:
            return None
        kind, name, i = p
        args = words[i + 1:]
        own = args[:args.index("--")] if "--" in args else args
        helped = "--help" in own or "-h" in own
        if kind == "make":
            if any(a in MAKE_DRY for a in args):
                return None
            goals = [a for a in args if not a.startswith("-") and "=" not in a]
            return None if goals and set(goals) <= {"help"} else \
                "`make %s` builds or runs tests" % " ".join(goals)
        if kind == "script":
            if helped or name in CHEAP_SCRIPTS or (name == "check.sh" and "--list" in args):
                return None
            return "`%s` without --help boots VMs, builds kernels or installs" % name
        if kind in ("cprog", "guest"):
            return "`%s` is built for the test VM" % name
        if name in EXPENSIVE:
            return "`%s` changes the machine" % name
        return None

    def run_block(self, doc, unit):
        for line, text in self.block_lines(unit):
            cmd = text.strip()
            if not cmd or cmd.startswith("#"):
                continue
            self.counts["runnable commands"] += 1
            why = next(filter(None, (self.cheap(w) for w in simple_commands(cmd))), None)
            if why:
                self.problem(doc.rel, line, "runnable block: %s; only --help, make -n, make "
                             "help, check.sh --list and host-side tools may run here" % why)
                continue
            try:
                r = subprocess.run(["bash", "-e", "-c", cmd], cwd=self.root,
                                   stdin=subprocess.DEVNULL, capture_output=True, text=True,
                                   timeout=60)
            except subprocess.TimeoutExpired:
                self.problem(doc.rel, line, "runnable `%s`: still running after 60 s" % cmd)
                continue
            if r.returncode != 0:
                err = (r.stderr.strip().splitlines() or [""])[-1]
                self.problem(doc.rel, line, "runnable `%s` exits %d%s"
                             % (cmd, r.returncode, ": " + err if err else ""))

    # --- after every file --------------------------------------------------

    def finish(self):
        for doc, line, opts, unit in self.bare:
            # A bare option belongs to a command named in its paragraph or
            # its section; an unknown command with options in the paragraph
            # (trace-cmd -e, a kselftest) may own it: not judged then.
            if any(k == "other" for k, _ in unit["ctx"]):
                continue
            ctx = unit["ctx"] | self.contexts[(doc.rel, "section", unit["section"])]
            if self.known(ctx):
                for o in opts:
                    self.bare_option(doc, line, o.split("=", 1)[0], ctx)
        # Every parameter of the source is a row of the parameter table.
        for p in sorted(set(self.tree.params) - self.param_rows):
            f, line = self.param_table or self.tree.params[p]
            self.problem(f, line, "module parameter `%s` (%s) is missing from %s" % (
                p, self.tree.params[p][0], "the parameter table" if self.param_table
                else "the docs: no table has a \"| parameter |\" header"))

    @staticmethod
    def known(ctx):
        return any(k in ("script", "cprog", "make") for k, _ in ctx)

    def bare_option(self, doc, line, opt, ctx):
        self.counts["options"] += 1
        owners, wrapped = [], None
        for kind, name in sorted(ctx):
            if kind in ("script", "cprog"):
                u = self.tools.usage(kind, name)
                if u is None or opt in u[0]:
                    return
                owners.append(self.tools.scripts.get(name, name))
        for kind, name in sorted(ctx):
            if kind != "make":
                continue
            try:
                script, passes = self.tools.make().get(name, (None, set()))
            except CannotRun:
                return
            if opt in passes:
                return
            if script and not wrapped and self.script_has(script, opt):
                wrapped = (name, script)
            owners.append("make %s" % name)
        if wrapped:
            self.problem(doc.rel, line, "`%s` given to `make %s`: it is an option of "
                         "scripts/%s, which make %s does not pass on: write `scripts/%s %s`"
                         % (opt, wrapped[0], wrapped[1], wrapped[0], wrapped[1], opt))
        else:
            self.problem(doc.rel, line, "`%s`: not an option of %s, the commands named in "
                         "its paragraph and section" % (opt, ", ".join(sorted(set(owners)))))

    def races(self):
        """Every variant of a race's parameter, as the source names them, is
        a `name` in a row of docs/races.md's table, and nothing else there
        claims to be one."""
        rel = "docs/races.md"
        full = os.path.join(self.root, rel)
        if not os.path.isfile(full):
            return
        rows = [l for l in open(full, encoding="utf-8").read().splitlines()
                if l.startswith("| ")]
        sources = {
            "maps_mode": ("module/modes.c", r"vr_maps_mode_names\[[^]]*\] = \{(.*?)\};",
                          r'\] = "(\w+)"'),
            "cred_mode": ("module/cred.c", r"vr_cred_modes\[[^]]*\] = \{(.*?)\n\};",
                          r'\] = \{ "(\w+)"'),
        }
        for param, (src, block, item) in sorted(sources.items()):
            try:
                text = open(os.path.join(self.root, src), encoding="utf-8").read()
            except OSError:
                continue
            m = re.search(block, text, re.S)
            names = re.findall(item, m.group(1)) if m else []
            self.counts["race variants"] += len(names)
            if not names:
                self.problem(src, 0, "no variants of `%s` found for %s" % (param, rel))
            start = next((i for i, r in enumerate(rows) if "`%s`" % param in r), None)
            if start is None:
                self.problem(rel, 0, "the table has no row for `%s`" % param)
                continue
            # The race's rows: its first, then those whose race cell is empty.
            end = start + 1
            while end < len(rows) and rows[end].startswith("| |"):
                end += 1
            mine = rows[start:end]
            shown = [re.match(r"\|[^|]*\| `(\w+)`", r) for r in mine]
            shown = [x.group(1) for x in shown if x]
            for n in names:
                if n not in shown:
                    self.problem(rel, 0, "`%s=%s` (%s) has no row in the table" % (param, n, src))
            for n in shown:
                if n not in names:
                    self.problem(rel, 0, "the table's `%s` is not a value of `%s` (%s)" % (n, param, src))

    def helps(self):
        """Every script answers --help (this tree's scripts)."""
        for rel in self.tools.helped():
            self.counts["scripts' --help"] += 1
            rc, out, err = self.tools.run_help(rel)
            if err is not None:
                why = "still running after 30 s" if isinstance(err, subprocess.TimeoutExpired) \
                    else "cannot run: %s" % (err.strerror or err)
            elif rc != 0:
                why = "exit %d" % rc
            elif not out.strip():
                why = "exit 0, nothing on stdout"
            else:
                continue
            self.problem(rel, 0, "--help failed (%s)" % why)

    def words(self, files):
        """The docs' length, as wc -w counts it."""
        total = 0
        for rel in files:
            with open(os.path.join(self.root, rel), "rb") as f:
                n = len(f.read().split())
            total += n
            if rel == "docs/testing.md" and n > 2500:
                self.problem(rel, 0, "%d words, limit 2500" % n)
        self.counts["words"] = total
        if total > 8000:
            self.problem("docs", 0, "%d words in README.md and docs/*.md, limit 8000" % total)

    def comments(self):
        """Docs pointers in the comments of the tree's other files."""
        files = ["Makefile", "Kbuild", ".ci/run"]
        for pat in ("scripts/*", "selftests/*", "module/*.[ch]", "module/*/*.h"):
            files += [os.path.relpath(p, self.root)
                      for p in sorted(glob.glob(os.path.join(self.root, pat)))]
        for rel in files:
            full = os.path.join(self.root, rel)
            if not os.path.isfile(full) or rel.endswith((".png", ".o", ".pyc")) \
                    or os.path.abspath(full) == os.path.abspath(__file__):
                continue
            try:
                text = open(full, encoding="utf-8").read()
            except (OSError, UnicodeDecodeError):
                continue
            for no, ln in enumerate(text.splitlines(), 1):
                m = re.search(r"(?:#|//|/\*|^\s*\*)(.*)$", ln)
                if not m:
                    continue
                c = m.group(1)
                for d in re.finditer(r"(?<![\w/.-])(docs/[\w.-]+\.md|README\.md)"
                                     r"(?:#([\w-]+))?", c):
                    if not self.tree.exists(d.group(1)):
                        self.problem(rel, no, "comment points at %s, which does not exist"
                                     % d.group(1))
                    elif d.group(2):
                        h = self.tree.headings(d.group(1))
                        if h and d.group(2) not in h[1]:
                            self.problem(rel, no, "comment points at %s#%s: no such heading"
                                         % (d.group(1), d.group(2)))
                for d in re.finditer(r"\b(README(?:\.md)?|docs/[\w.-]+\.md)(?:'s|,)?\s+"
                                     r"\"([^\"]+)\"", c):
                    f = "README.md" if d.group(1).startswith("README") else d.group(1)
                    h = self.tree.headings(f)
                    if h is None:
                        self.problem(rel, no, "comment points at %s, which does not exist" % f)
                    elif not any(t.startswith(d.group(2)) for t in h[0]):
                        self.problem(rel, no, "comment points at %s, \"%s\": %s has no such "
                                     "section" % (f, d.group(2), f))


def main(argv):
    root = None
    args = list(argv)
    while args:
        a = args.pop(0)
        if a in ("-h", "--help"):
            sys.stdout.write(__doc__)
            return 0
        if a == "--root" and args:
            root = args.pop(0)
        elif a.startswith("--root="):
            root = a.split("=", 1)[1]
        elif a == "--root":
            sys.stderr.write("doccheck: --root needs a directory\n")
            return EX_USAGE
        else:
            sys.stderr.write("doccheck: unknown argument '%s' (see --help)\n" % a)
            return EX_USAGE
    if root is not None and not os.path.isdir(root):
        sys.stderr.write("doccheck: --root %s: not a directory\n" % root)
        return EX_USAGE
    root = os.path.abspath(root or TOOLS)
    if not os.path.isfile(os.path.join(root, "README.md")):
        sys.stderr.write("doccheck: %s has no README.md\n" % root)
        return EX_SOFTWARE
    tools, tree = Tools(TOOLS), Tree(root)
    chk = Checker(root, tools, tree)
    files = ["README.md"] + sorted(os.path.relpath(p, root) for p in
                                   glob.glob(os.path.join(root, "docs", "*.md")))
    for rel in files:
        chk.check_doc(Doc(root, rel))
    chk.finish()
    chk.races()
    chk.comments()
    chk.helps()
    chk.words(files)
    for f, line, what in sorted(chk.problems):
        print("%s:%d: %s" % (f, line, what) if line else "%s: %s" % (f, what))
    for e in tools.errors:
        sys.stderr.write("doccheck: cannot check: %s\n" % e)
    sys.stderr.write("doccheck: %d files (%s): %s; %d problems%s\n"
                     % (len(files), root, ", ".join("%d %s" % (n, k) for k, n in
                                                     chk.counts.items()),
                        len(chk.problems),
                        ", %d tools could not run" % len(tools.errors) if tools.errors else ""))
    if tools.errors:
        return EX_SOFTWARE
    return EX_PROBLEMS if chk.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
