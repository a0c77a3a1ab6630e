#!/usr/bin/env python3
# SPDX-License-Identifier: GPL-2.0
"""Judge a vmar_race test VM serial log.

Prints three lines, the verdict, the first report line (empty when none)
and the number of KCSAN reports ignored, and exits with the verdict's status:
0 ok, 1 fail (the guest command failed or never finished), 2 the kernel
reported something, 3 the kernel panicked. KCSAN reports count only when
their stacks include vmar_race frames: the core 6.1 kernel has known races
of its own (for example hrtimer_wakeup / schedule_hrtimeout_range_clock),
and the dcache's own lockless d_flags readers race with d_invalidate() at
reap as they do with Linux's proc_flush_pid() (DCACHE below).
KASAN reports between the KUnit suite's "expected KASAN reports begin" and
"... end" lines are the forced use-after-frees it asserts on, and so are
refcount_t warnings there (cred_mode=inc, forced): not counted, anything
else there still is.

-h, --help: this text. --pattern: print the one regex (extended, for grep
-E) that every report or panic line matches, for scripts/vm.sh's early stop.
Exit status: the verdict's (0-3), 64 usage error, 70 the log cannot be
read."""
import re
import sys

USAGE = "usage: judge.py SERIAL-LOG | --pattern"

PANIC = re.compile(r"Kernel panic - not syncing")
REPORT = re.compile(
    r"BUG: |WARNING: |Oops|general protection fault|kernel BUG at|"
    r"rust_kernel: panicked at|"
    r"possible circular locking|inconsistent lock state|possible recursive locking|"
    r"suspicious RCU usage|refcount_t: |unreferenced object|"
    r"kmemleak: [0-9]+ new suspected memory leaks|UBSAN: |"
    r"sleeping function called from invalid context|lock held when returning|"
    r"INFO: task .* blocked for more than|rcu: INFO: .*detected stalls? on|"
    r"rcu: INFO: .*self-detected stall")
TS = re.compile(r"^\[\s*\d+\.\d+\]\s?")
MODULE_FRAME = re.compile(r"\[vmar_race|\bvr_[a-z_]+\+0x|vmar_race")
EXPECT_BEGIN = re.compile(r"vmar_race_kunit: expected KASAN reports begin")
EXPECT_END = re.compile(r"vmar_race_kunit: expected KASAN reports end")


PROGRAM_OUTPUT = "vm-guest: program output (ttyS1) begins"

# 6.1's dcache: RCU path walk and dput() read d_flags without d_lock
# (revalidated by d_seq or the lockref), while shrinking a subtree changes
# its LRU bits under d_lock. vmar_race reaches that through d_invalidate()
# at reap, as Linux's proc_flush_pid() does: a race between two of these
# functions is the core kernel's, not the module's. So is the parent's
# i_dir_seq: start_dir_add() reads it plainly before its cmpxchg() when two
# lookups add dentries to one directory at once (__d_add()).
# The dcache's and the path walk's functions (fs/dcache.c, fs/namei.c).
DCACHE = re.compile(r"^(_*d_\w+|\w*dentry\w*|dput|fast_dput|select_collect|"
                    r"shrink_\w+|start_dir_add|end_dir_add|step_into|"
                    r"path_\w+|lookup_\w+|walk_component|"
                    r"link_path_walk|do_filp_open|filename_\w+|handle_dots|"
                    r"follow_\w+|may_lookup|complete_walk|terminate_walk)$")
KCSAN_TITLE = re.compile(r"BUG: KCSAN: data-race in (\S+) / (\S+)(?: \[\w+\])?\s*$")
# An owner change on a live inode: revalidation writes i_uid/i_gid (marked,
# under i_lock) when SETIDS or an exit changed them, while the VFS reads
# them plainly in permission checks and stat. Linux's pid_revalidate()
# (pid_update_inode()) writes a /proc/<pid> inode's owner the same way; the
# VFS's reader is not the module's to mark. Only this writer, against only
# these readers (fs/namei.c, fs/stat.c, fs/inode.c, include/linux/fs.h).
OWNER_WRITER = re.compile(r"^vr_fs_update_owner$")
OWNER_READER = re.compile(r"^(i_[ug]id_into_(mnt|vfs[ug]id)|generic_permission|"
                          r"acl_permission_check|generic_fillattr|"
                          r"inode_owner_or_capable|may_lookup|inode_permission)$")


def dcache_race(title):
    """Both functions of a KCSAN title are the dcache's or path walk's own,
    or the VFS reads an owner that revalidation changes (OWNER_*)."""
    m = KCSAN_TITLE.search(title)
    if not m:
        return False
    f = (m[1], m[2])
    return (all(DCACHE.match(x) for x in f) or
            any(OWNER_WRITER.match(x) and OWNER_READER.match(y)
                for x, y in (f, f[::-1])))


def strip(line):
    return TS.sub("", line.rstrip("\r\n"))


def judge(lines):
    """Return (verdict, first report line, ignored KCSAN count)."""
    text = [strip(l) for l in lines]
    # vm.sh appends the command's own output (the second serial port) after
    # the console: only the kernel's console is judged.
    if PROGRAM_OUTPUT in text:
        text = text[:text.index(PROGRAM_OUTPUT)]
    first = None
    ignored = 0
    panicked = False
    expecting = False
    i = 0
    while i < len(text):
        t = text[i]
        if EXPECT_BEGIN.search(t):
            expecting = True
        elif EXPECT_END.search(t):
            expecting = False
        if (expecting and t.startswith("------------[ cut here ]")
                and i + 1 < len(text) and text[i + 1].startswith("refcount_t: ")):
            # An expected refcount_t warning, up to its "---[ end trace".
            j = i + 1
            while j < len(text) and not text[j].startswith("---[ end trace"):
                j += 1
            i = j + 1
            continue
        if expecting and t.startswith("BUG: KASAN:"):
            # An expected report, up to its closing "=====" rule.
            j = i + 1
            while j < len(text) and not text[j].startswith("=========="):
                j += 1
            i = j + 1
            continue
        if PANIC.search(t):
            panicked = True
            if first is None:
                first = t
            i += 1
            continue
        if t.startswith("BUG: KCSAN:"):
            # The report runs to the next "=====" rule.
            j = i + 1
            while j < len(text) and not text[j].startswith("=========="):
                j += 1
            block = "\n".join(text[i:j])
            if MODULE_FRAME.search(block) and not dcache_race(t):
                first = first or t
            else:
                ignored += 1
            i = j + 1
            continue
        if REPORT.search(t) and not t.startswith("vm-guest:"):
            first = first or t
        i += 1
    rc = None
    for t in text:
        m = re.search(r"vm-guest: command exit status (\d+)", t)
        if m:
            rc = int(m.group(1))
    if panicked:
        return "panic", first, ignored
    if first is not None:
        return "report", first, ignored
    if rc == 0:
        return "ok", None, ignored
    return "fail", None, ignored


def main():
    if len(sys.argv) == 2 and sys.argv[1] in ("-h", "--help"):
        print(USAGE + "\n\n" + __doc__)
        return 0
    if sys.argv[1:] == ["--pattern"]:
        print(PANIC.pattern + "|" + REPORT.pattern)
        return 0
    if len(sys.argv) != 2 or sys.argv[1].startswith("-"):
        print(USAGE + " (--help explains)", file=sys.stderr)
        return 64
    try:
        with open(sys.argv[1], errors="replace") as f:
            verdict, first, ignored = judge(f.readlines())
    except OSError as e:
        print(f"judge.py: {e}", file=sys.stderr)
        return 70
    print(verdict)
    print(first or "")
    print(ignored)
    return {"ok": 0, "fail": 1, "report": 2, "panic": 3}[verdict]


if __name__ == "__main__":
    sys.exit(main())
