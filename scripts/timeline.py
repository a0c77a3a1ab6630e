#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Draw the race from a test VM's console log (scripts/vm.sh --trace).

Reads the module's trace events (the ftrace dump after a report, or the
buffer printed when the command ended) and the kernel's report, picks the
pid the report is about (the C module's panic names it; KASAN, KCSAN and
the oops after a Rust panic name the task that read; KCSAN reports without a vr_ function are the core
kernel's and are passed over), and draws that pid's events as one lane
per task, in time order, with the report at the end: as text, and with
--svg/--png as a picture.

--expect checks the drawn order against a known interleaving and exits 1
when an event is missing or out of order (scripts/check.sh's timeline rows
force the order with the pause points, so it is known):
  buggy       the exit that cleared the slot, then the read that unwrapped
              None, then the panic or warning, on the same pid
  uaf         the read took the bare pointer, the exit freed that VMAR, then
              KASAN reports the read; KASAN's "Freed by task" is the task
              the trace shows freeing it, and its object the traced VMAR
  forced-uaf  repro -f in uaf without KASAN: the reader paused holding the
              pointer, the exiter exited, freed it, then the reader resumed
  forced-ref  repro -f in fixed or rcu: the reader paused holding its
              reference, the exit did not free the VMAR, the reader's own
              put freed it after the read

Exit status: 0 drawn (with --expect: in the expected order), 1 no events
to draw, the order is not the expected one, a "task" that is no task
(program output in a trace line), or no PNG (rsvg-convert
missing), 64 usage error, 70 the log cannot be read.
"""
import argparse
import html
import re
import shutil
import subprocess
import sys

TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
# "cat trace":  repro-101 [001] .....  3.320194: vmar_race_read_start: ...
# ftrace_dump:  repro-49  0.....  2044222us : vmar_race_read_start: ...
EVENT = re.compile(
    r"^\s*(?P<comm>.+?)-(?P<tid>\d+)\s+(?:\[(?P<cpu>\d+)\]\s+\S+|(?P<cpu2>\d+)\S*)\s+"
    r"(?P<ts>\d+(?:\.\d+)?)(?P<us>us)?\s*:\s+vmar_race_(?P<ev>\w+):\s*(?P<args>.*)$")
ARG = re.compile(r"(\w+)=(\S+)")


# A task's name as the trace prints it: its comm (at most 15 bytes, no
# console timestamp in it). Anything else is a line the parser must not
# take for a task: program output mixed into the console.
COMM = re.compile(r"^(?!.*\[\s*\d+\.\d+\])[^\x00-\x1f]{1,15}$")


class NotATask(Exception):
    pass


class Event:
    def __init__(self, m, seq):
        self.comm, self.tid = m["comm"].strip(), int(m["tid"])
        if not COMM.match(self.comm):
            raise NotATask(f"'{self.comm}-{self.tid}' is not a task's name (program output mixed into a trace line?)")
        self.cpu = int(m["cpu"] or m["cpu2"])
        ts = float(m["ts"])
        self.t = ts / 1e6 if m["us"] else ts      # seconds
        self.ev = m["ev"]
        self.args = dict(ARG.findall(m["args"]))
        self.seq = seq

    @property
    def task(self):
        return f"{self.comm}/{self.tid}"

    def arg(self, k):
        return self.args.get(k, "")


def short(addr):
    """A VMAR address as the trace prints it, shortened for a lane."""
    if not addr or addr == "(null)" or not addr.strip("0x"):
        return "NULL"
    return "…" + addr[-6:]


def label(e):
    a = e.arg
    return {
        "spawn": lambda: f"spawn (vmar {short(a('vmar'))})",
        "exit": lambda: "EXIT: slot cleared",
        "reap": lambda: "reap",
        "vmar_get": lambda: f"get ref (users {a('users')})",
        "vmar_put": lambda: f"put ref (users {a('users')})",
        "vmar_release": lambda: "last ref gone: teardown",
        "vmar_free": lambda: f"FREE vmar {short(a('vmar'))}",
        "read_start": lambda: f"read {a('file')} ({a('mode')})",
        "read_get": lambda: f"get() -> {short(a('vmar'))}",
        "read_end": lambda: f"read end (ret {a('ret')})",
        "unwrap_none": lambda: "UNWRAP None",
        "pause": lambda: f"{a('what')} at \"{a('point')}\"",
        "pin_read": lambda: f"maps read, {a('maps_mode')} (users {a('users')}, got {a('got')})",
        "cred_get": lambda: f"load cred {short(a('cred'))} ({a('cred_mode')})",
        "setids": lambda: f"SETIDS: {short(a('old'))} -> {short(a('new'))}",
        "cred_free": lambda: f"FREE cred {short(a('cred'))}",
    }.get(e.ev, lambda: e.ev)()


def parse_events(lines):
    """Events of the dump after a report if there is one, else of the
    buffer printed at the command's end."""
    blocks, cur = [], None
    for raw in lines:
        line = raw.rstrip("\r\n")
        body = TS.sub("", line)
        if "Dumping ftrace buffer:" in body or body.startswith("vm-guest: trace begin"):
            cur = []
            blocks.append(cur)
            continue
        if body.startswith("vm-guest: trace end"):
            cur = None
            continue
        if cur is not None:
            m = EVENT.match(body)
            if m:
                ev = Event(m, len(cur))
                # The pause event's last word is its outcome.
                if ev.ev == "pause":
                    ev.args["what"] = body.split()[-1]
                cur.append(ev)
    blocks = [b for b in blocks if b]
    return blocks[0] if blocks else []


def parse_report(lines):
    """The kernel's first report: kind, its first line, task, and KASAN's
    free stack task and object."""
    text = [TS.sub("", l.rstrip("\r\n")) for l in lines]
    rep = {}
    for i, t in enumerate(text):
        if t.startswith("BUG: KCSAN:") and " vr_" not in t:
            continue    # the core kernel's own races, as the verdict ignores them
        # The Rust twin's unwrap(): "rust_kernel: panicked at ...", then a BUG().
        panic = "Kernel panic - not syncing" in t or t.startswith("rust_kernel: panicked at")
        if panic or t.startswith(("BUG: KASAN:", "BUG: KCSAN:", "WARNING: ")):
            rep = {"kind": "panic" if panic else t.split(":")[0 if t.startswith("WARNING") else 1].strip(),
                   "line": t, "index": i}
            m = re.search(r"VMAR of exited pid (\d+)", t)
            if m:
                rep["pid"] = int(m.group(1))
            for u in text[i:i + 80]:
                # The task that read: KASAN "by task comm/T", a warning "PID: T",
                # KCSAN "read to 0x... of N bytes by task T on cpu C".
                m = (re.search(r" by task \S+/(\d+)", u) or re.search(r"PID: (\d+)\s+(?:at|Comm:)", u)
                     or re.match(r"read (?:\(marked\) )?to 0x[0-9a-f]+ of \d+ bytes by task (\d+) on cpu", u))
                if m and "tid" not in rep:
                    rep["tid"] = int(m.group(1))
                m = re.match(r"Freed by task (\d+):", u)
                if m:
                    rep["freed_by"] = int(m.group(1))
                m = re.search(r"belongs to the object at ([0-9a-f]+)", u)
                if m:
                    rep["object"] = m.group(1)
                if u.startswith("=" * 20) and u is not text[i]:
                    break
            break
    return rep


def pick_pid(events, rep, pid):
    if pid:
        return pid
    if rep.get("pid"):
        return rep["pid"]
    reads = [e for e in events if e.ev in ("read_start", "read_get", "pin_read", "cred_get")]
    if rep.get("tid"):
        mine = [e for e in reads if e.tid == rep["tid"]]
        if mine:
            return int(mine[-1].arg("pid"))
    return int(reads[-1].arg("pid")) if reads else None


def lanes_of(events):
    """Tasks in order of first appearance, each with a role."""
    lanes = []
    for e in events:
        if e.task not in [l[0] for l in lanes]:
            lanes.append([e.task, ""])
    roles = {"spawn": "spawner", "read_start": "reader", "pin_read": "reader",
             "exit": "exiter", "setids": "setids"}
    for l in lanes:
        mine = {e.ev for e in events if e.task == l[0]}
        l[1] = ", ".join(r for ev, r in roles.items() if ev in mine)
    return lanes


def report_label(rep):
    if not rep:
        return ""
    if rep["kind"] == "panic":
        return "PANIC: unwrap() on None"
    if rep["kind"] == "KASAN":
        m = re.match(r"BUG: KASAN: (\S+)", rep["line"])
        return f"KASAN: {m.group(1) if m else 'report'}"
    return rep["kind"] + " report"


def report_lane(rep, lanes):
    """The lane of the reporting task (by its thread id), else the first."""
    tid = rep.get("tid")
    return next((i for i, (t, _) in enumerate(lanes) if tid and t.endswith(f"/{tid}")), 0)


def render_text(pid, events, rep, lanes):
    width = 30
    out = [f"timeline of pid {pid}: {len(events)} events, {len(lanes)} tasks"
           + (", then the kernel's report" if rep else "")]
    hdr = "  t (ms)  " + "".join(f"{(r + ' ' if r else '') + t:<{width}}" for t, r in lanes)
    out += [hdr, "  " + "-" * (len(hdr) - 2)]
    t0 = events[0].t
    col = {t: i for i, (t, _) in enumerate(lanes)}
    for e in events:
        cells = [""] * len(lanes)
        cells[col[e.task]] = label(e)[:width - 2]
        out.append(f"  {1000 * (e.t - t0):7.3f}  " + "".join(f"{c:<{width}}" for c in cells).rstrip())
    if rep:
        cells = [""] * len(lanes)
        cells[report_lane(rep, lanes)] = "** " + report_label(rep) + " **"
        out.append("  " + " " * 7 + "  " + "".join(f"{c:<{width}}" for c in cells).rstrip())
        out.append(f"  report: {rep['line']}")
    return out


def render_svg(pid, events, rep, lanes, title):
    lane_w, row_h, left, top = 250, 22, 80, 70
    n = len(events) + (1 if rep else 0)
    w = max(left + lane_w * len(lanes) + 20, 9 * len(title) + 20,
            7 * len(rep.get("line", "")[:120]) + 20)
    h = top + row_h * n + 50
    col = {t: i for i, (t, _) in enumerate(lanes)}
    t0 = events[0].t
    s = [f'<svg xmlns="http://www.w3.org/2000/svg" width="{w}" height="{h}" '
         f'font-family="DejaVu Sans Mono, monospace" font-size="12">',
         f'<rect width="{w}" height="{h}" fill="white"/>',
         f'<text x="10" y="22" font-size="15" font-weight="bold">{html.escape(title)}</text>',
         f'<text x="10" y="58" fill="#555">t (ms)</text>']
    for i, (t, r) in enumerate(lanes):
        x = left + i * lane_w
        s.append(f'<rect x="{x + 4}" y="{top - 24}" width="{lane_w - 8}" height="{row_h * n + 30}" '
                 f'fill="{["#eef4fb", "#fbf1ee", "#eefbf0", "#f6eefb"][i % 4]}" rx="6"/>')
        s.append(f'<text x="{x + 12}" y="{top - 8}" font-weight="bold">{html.escape((r + " " if r else "") + t)}</text>')
    key = {"exit", "vmar_free", "unwrap_none", "read_get"}
    for k, e in enumerate(events):
        y = top + 16 + k * row_h
        x = left + col[e.task] * lane_w
        color = "#b00020" if e.ev in key else "#222"
        s.append(f'<text x="10" y="{y}" fill="#555">{1000 * (e.t - t0):.3f}</text>')
        s.append(f'<circle cx="{x + 16}" cy="{y - 4}" r="4" fill="{color}"/>')
        bold = ' font-weight="bold"' if e.ev in key else ""
        s.append(f'<text x="{x + 26}" y="{y}" fill="{color}"{bold}>{html.escape(label(e))}</text>')
    if rep:
        y = top + 16 + len(events) * row_h
        x = left + report_lane(rep, lanes) * lane_w
        s.append(f'<rect x="{x + 8}" y="{y - 15}" width="{lane_w - 16}" height="20" fill="#b00020" rx="4"/>')
        s.append(f'<text x="{x + 16}" y="{y}" fill="white" font-weight="bold">{html.escape(report_label(rep))}</text>')
        s.append(f'<text x="10" y="{h - 14}" fill="#b00020">{html.escape(rep["line"][:120])}</text>')
    s.append("</svg>")
    return "\n".join(s) + "\n"


def find(events, i, pred):
    """Index of the first event from i on that satisfies pred, or None."""
    for k in range(i, len(events)):
        if pred(events[k]):
            return k
    return None


def check(expect, events, rep):
    """Problems with the drawn order against a known interleaving."""
    reader = next((e.tid for e in events if e.ev == "read_start"), None)
    exiter = next((e.tid for e in events if e.ev == "exit"), None)

    def by(tid, ev, **kw):
        return lambda e: e.tid == tid and e.ev == ev and all(e.args.get(k) == v for k, v in kw.items())

    steps = {
        "buggy": [("exiter", by(exiter, "exit")), ("reader", by(reader, "unwrap_none"))],
        "uaf": [("reader", by(reader, "read_get")), ("exiter", by(exiter, "exit")),
                ("exiter", by(exiter, "vmar_free"))],
        "forced-uaf": [("reader", by(reader, "read_start")), ("reader", by(reader, "read_get")),
                       ("reader", by(reader, "pause", point="held", what="paused")),
                       ("exiter", by(exiter, "exit")), ("exiter", by(exiter, "vmar_release")),
                       ("exiter", by(exiter, "pause", point="free", what="paused")),
                       ("exiter", by(exiter, "pause", point="free", what="released")),
                       ("exiter", by(exiter, "vmar_free")),
                       ("reader", by(reader, "pause", point="held", what="released")),
                       ("reader", by(reader, "read_end"))],
        "forced-ref": [("reader", by(reader, "read_start")), ("reader", by(reader, "read_get")),
                       ("reader", by(reader, "pause", point="held", what="paused")),
                       ("exiter", by(exiter, "exit")), ("exiter", by(exiter, "vmar_put")),
                       ("reader", by(reader, "pause", point="held", what="released")),
                       ("reader", by(reader, "vmar_put", users="0")),
                       ("reader", by(reader, "vmar_release")),
                       ("reader", by(reader, "pause", point="free", what="paused")),
                       ("reader", by(reader, "vmar_free")),
                       ("reader", by(reader, "read_end"))],
    }[expect]
    problems = []
    if reader is None or exiter is None or reader == exiter:
        return [f"want a reader and a separate exiter, found reader={reader} exiter={exiter}"]
    i = 0
    for who, pred in steps:
        k = find(events, i, pred)
        if k is None:
            later = find(events, 0, pred)
            problems.append(f"{who}: step {steps.index((who, pred)) + 1} of '{expect}' "
                            + ("out of order" if later is not None else "missing"))
            continue
        i = k + 1
    if expect == "forced-ref" and any(e.ev == "vmar_free" and e.tid == exiter for e in events):
        problems.append("the exiter freed the VMAR while the reader held a reference")
    if expect in ("buggy", "uaf"):
        if not rep:
            problems.append("no kernel report after the events")
        elif expect == "buggy" and rep["kind"] not in ("panic", "WARNING"):
            problems.append(f"want a panic or warning, got {rep['line']}")
        elif expect == "uaf":
            if rep["kind"] != "KASAN":
                problems.append(f"want a KASAN report, got {rep['line']}")
            free = next((e for e in events if e.ev == "vmar_free"), None)
            got = next((e for e in events if e.ev == "read_get" and e.tid == reader), None)
            if free and rep.get("freed_by") not in (None, free.tid):
                problems.append(f"KASAN says freed by task {rep['freed_by']}, the trace by {free.task}")
            if free and rep.get("tid") not in (None, reader):
                problems.append(f"KASAN's faulting task {rep.get('tid')} is not the reader {reader}")
            obj = rep.get("object")
            if obj and free and free.arg("vmar").lstrip("0x") not in (obj, ""):
                problems.append(f"KASAN's object {obj} is not the freed VMAR {free.arg('vmar')}")
            if got and free and got.arg("vmar") != free.arg("vmar"):
                problems.append("the reader's pointer is not the VMAR that was freed")
    return problems


class Parser(argparse.ArgumentParser):
    def error(self, message):
        # Usage errors exit 64 (EX_USAGE), as the shell scripts' do.
        self.print_usage(sys.stderr)
        self.exit(64, f"{self.prog}: error: {message}\n")


def main():
    about, _, status = __doc__.partition("\nExit status:")
    ap = Parser(description=about, epilog="Exit status:" + status,
                formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("log", help="the console log of a vm.sh --trace run")
    ap.add_argument("--pid", type=int, help="the pseudo-process to draw (default: the reported one)")
    ap.add_argument("--svg", help="write the picture as SVG")
    ap.add_argument("--png", help="write the picture as PNG (rsvg-convert)")
    ap.add_argument("--title", default="", help="the picture's title")
    ap.add_argument("--expect", choices=["buggy", "uaf", "forced-uaf", "forced-ref"],
                    help="check the order against a known interleaving (above)")
    a = ap.parse_args()
    try:
        with open(a.log, errors="replace") as f:
            lines = f.readlines()
    except OSError as e:
        print(f"timeline: {e}", file=sys.stderr)
        return 70
    try:
        events, rep = parse_events(lines), parse_report(lines)
    except NotATask as e:
        print(f"timeline: {e}", file=sys.stderr)
        return 1
    if not events:
        print("timeline: no vmar_race trace events in the log (run scripts/vm.sh --trace)", file=sys.stderr)
        return 1
    pid = pick_pid(events, rep, a.pid)
    mine = [e for e in events if e.arg("pid") == str(pid)]
    if not mine:
        print(f"timeline: no events of pid {pid}", file=sys.stderr)
        return 1
    mine.sort(key=lambda e: (e.t, e.seq))
    if rep and rep.get("pid") not in (None, pid):
        rep = {}
    lanes = lanes_of(mine)
    print("\n".join(render_text(pid, mine, rep, lanes)))
    title = a.title or f"vmar_race: pid {pid}, {report_label(rep) or 'no report'}"
    if a.svg or a.png:
        svg = render_svg(pid, mine, rep, lanes, title)
        path = a.svg or a.png + ".svg"
        with open(path, "w") as f:
            f.write(svg)
        if a.png:
            if not shutil.which("rsvg-convert"):
                print("timeline: rsvg-convert missing (librsvg2-bin): no PNG", file=sys.stderr)
                return 1
            subprocess.run(["rsvg-convert", "-o", a.png, path], check=True)
            if not a.svg:
                import os
                os.unlink(path)
    if a.expect:
        problems = check(a.expect, mine, rep)
        for p in problems:
            print(f"timeline: {p}")
        print(f"timeline: order '{a.expect}': " + ("as expected" if not problems else "WRONG"))
        return 1 if problems else 0
    return 0


if __name__ == "__main__":
    sys.exit(main())
