// SPDX-License-Identifier: GPL-2.0

//! vmar_race_rs (race.rs): the vmar_race race in Rust, in Asterinas's shape.
//!
//! Lifetime rules:
//! - The registry owns an `Arc<PProc>` per pid from spawn to reap; a reader
//!   clones one under the registry lock and lets go of the lock at once. A
//!   spawned pid is unpublished (ESRCH to everyone) until its pid has been
//!   written back to the caller.
//! - A pproc's VMAR lives in `Mutex<Option<Arc<Vmar>>>`: exit takes the
//!   `Option` out (`None` from then on) and drops its `Arc`; a reader that
//!   wants the VMAR after the guard is gone clones the `Arc` under the guard.
//! - For the rcu read path a running pproc also holds a second reference
//!   as a raw pointer (`rcu_vmar`); exit clears it and drops that reference
//!   only after a grace period (glue.c's `vr_rs_defer_put()`), so a reader
//!   inside `rcu_read_lock()` may take its own reference from it.
//! - A handle's put that is a pproc's last (fs.c's inode of a reaped pid)
//!   drops it a grace period later: RCU-walk revalidation may read it.
//! - Lock order: registry, then a VMAR's writers, then its mappings. The
//!   registry lock is never held across a slot lock (a reader that BUG()ed
//!   in `buggy` holds its slot's lock for ever: reap and release must not
//!   wait for it).
//!
//! Rust owns what Linux 7.3's Rust can carry: the misc device and its
//! ioctls (`kernel::miscdevice`, `UserSlice`), one owner object per open
//! file, rendering into the seq_file (`kernel::seq_file`), the rcu read
//! side (`kernel::sync::rcu`), the counters, what the debugfs `stats` and
//! `pause` files show and do (debugfs.c's grammar) and the KUnit suites
//! (`#[kunit_tests]`). C glue (glue.c, and the C module's fs.c, pause.c,
//! param.c and trace.c) keeps what has no Rust abstraction: the /proc
//! filesystem, run-time writable parameters, debugfs files that pin the
//! module while open (`kernel::debugfs` sets no owner), the pause-point
//! mechanism (a static key and its waits), trace events (`declare_trace!`
//! binds only the kernel's own), a spawner's credentials and `struct pid`,
//! and the grace-period put (no `call_rcu` or `rcu_work`). The C/Rust
//! boundary is race.h, kept in step with the `extern "C"` items below by
//! hand. The read paths have no `unsafe` but rcu's, which says why.

use core::fmt::{self, Write};
use core::mem::{offset_of, size_of};
use core::ptr::{self, NonNull};
use core::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64, Ordering};
use kernel::error::{from_result, to_result};
use kernel::fs;
use kernel::ioctl::{_IOW, _IOWR};
use kernel::miscdevice::{MiscDevice, MiscDeviceOptions, MiscDeviceRegistration};
use kernel::prelude::*;
use kernel::rbtree::{RBTree, RBTreeNode, RBTreeNodeReservation};
use kernel::seq_file::SeqFile;
use kernel::sync::atomic::{Atomic, Relaxed};
use kernel::sync::{new_mutex, rcu, Arc, ArcBorrow, Mutex};
use kernel::time::msecs_to_jiffies;
use kernel::transmute::FromBytes;
use kernel::uaccess::{UserPtr, UserSlice, UserSliceReader};

module! {
    type: VmarRaceRs,
    name: "vmar_race_rs",
    authors: ["vmar_race developers"],
    description: "The vmar_race registry and read paths in Rust (Asterinas's shape)",
    license: "GPL",
}

const PAGE: u64 = 4096;
const MAP_FILE: u32 = 0x8; // VMAR_RACE_MAP_FILE; READ 1, WRITE 2, EXEC 4
const MAP_FLAGS: u32 = 0xf;
const NAME_LEN: usize = 16;
const UNMAP_BATCH: usize = 32; // mappings per `maps` lock section, as vmar.c
const PID_MAX: i32 = 1 << 22; // VR_PID_MAX: fs.c's readdir walks below it

// ---- the uapi (uapi/vmar_race.h) ----

#[repr(C)]
#[derive(Clone, Copy)]
struct SpawnReq {
    name: [u8; NAME_LEN],
    flags: u32,
    pid: i32,
}

// SAFETY: integers and a byte array: every bit pattern is a valid value.
unsafe impl FromBytes for SpawnReq {}

#[repr(C)]
#[derive(Clone, Copy)]
struct MapReq {
    pid: i32,
    flags: u32,
    start: u64,
    len: u64,
}

// SAFETY: integers only, no padding (4 + 4 + 8 + 8): any bit pattern is valid.
unsafe impl FromBytes for MapReq {}

#[repr(C)]
#[derive(Clone, Copy)]
struct IdsReq {
    pid: i32,
    flags: u32,
    uid: u32,
    gid: u32,
}

// SAFETY: integers only, no padding: any bit pattern is valid.
unsafe impl FromBytes for IdsReq {}

const IOC_MAGIC: u32 = 0xB9;
const IOC_SPAWN: u32 = _IOWR::<SpawnReq>(IOC_MAGIC, 0x01);
const IOC_MAP: u32 = _IOW::<MapReq>(IOC_MAGIC, 0x02);
const IOC_UNMAP: u32 = _IOW::<MapReq>(IOC_MAGIC, 0x03);
const IOC_TOUCH: u32 = _IOW::<MapReq>(IOC_MAGIC, 0x04);
const IOC_EXIT: u32 = _IOW::<i32>(IOC_MAGIC, 0x05);
const IOC_REAP: u32 = _IOW::<i32>(IOC_MAGIC, 0x06);
const IOC_SETIDS: u32 = _IOW::<IdsReq>(IOC_MAGIC, 0x07);

// ---- glue.c (race.h) ----

/// The limits glue.c keeps as parameters (`vr_rs_limit()`).
#[repr(C)]
enum Limit {
    Procs = 0,
    Maps = 1,
    Pages = 2,
}

/// The pause points of vmar_race.h's `enum vr_pause_point` that the twin
/// has (it has no cred modes, so no `cred`), named as the pause file names
/// them.
#[repr(C)]
#[derive(Clone, Copy, Debug, PartialEq)]
enum Point {
    Found = 0,
    Held = 1,
    Cleared = 2,
    Free = 3,
    Published = 4,
}

impl Point {
    const ALL: [(Point, &'static str); 5] = [
        (Point::Found, "found"),
        (Point::Held, "held"),
        (Point::Cleared, "cleared"),
        (Point::Free, "free"),
        (Point::Published, "published"),
    ];
}

impl TryFrom<&str> for Point {
    type Error = Error;

    fn try_from(name: &str) -> Result<Point> {
        Point::ALL
            .iter()
            .find(|(_, n)| *n == name)
            .map(|(p, _)| *p)
            .ok_or(EINVAL)
    }
}

extern "C" {
    fn vr_rs_glue_init(reg: *const c_void) -> c_int;
    fn vr_rs_glue_exit();
    fn vr_rs_limit(which: c_int) -> c_uint;
    fn vr_rs_pause(point: c_int, pid: c_int);
    fn vr_rs_settle();
    fn vr_pause_arm(point: c_int, pid: c_int) -> c_int;
    fn vr_pause_wait(point: c_int, pid: c_int, timeout: c_ulong) -> c_int;
    fn vr_pause_release(point: c_int, pid: c_int) -> c_int;
    fn vr_pause_release_all();
    fn vr_pause_list_slot(i: c_int, out: *mut PauseInfo) -> bool;
    fn vr_rs_forget(pid: c_int);
    fn vr_rs_cond_resched();
    fn vr_rs_race_delay() -> c_int;
    fn vr_rs_unwrap_panic(pid: c_int, file: c_int) -> !;
    fn vr_rs_spawner_new() -> *mut c_void;
    fn vr_rs_spawner_put(sp: *mut c_void);
    fn vr_rs_spawner_ppid(sp: *const c_void) -> c_int;
    fn vr_rs_spawner_ids(sp: *const c_void, uid: *mut u32, gid: *mut u32);
    fn vr_rs_ids_valid(uid: u32, gid: u32) -> bool;
    fn vr_rs_spawner_setids(sp: *mut c_void, pid: c_int, uid: u32, gid: u32) -> c_int;
    fn vr_fs_flush_pid(pid: c_int);
    fn vr_rs_defer_put(obj: *const c_void, put: unsafe extern "C" fn(*const c_void));
    fn vr_rs_trace(ev: c_int, pid: c_int, mode: c_int, vmar: *const c_void, arg: c_int);
}

/// The C module's trace events the twin fires (race.h's `enum vr_rs_event`),
/// under events/vmar_race_rs/: what scripts/timeline.py draws.
#[derive(Clone, Copy)]
enum Ev {
    Spawn = 0,
    Exit = 1,
    Reap = 2,
    VmarFree = 3,
    ReadStart = 4,
    ReadGet = 5,
    ReadEnd = 6,
    UnwrapNone = 7,
}

fn trace(ev: Ev, pid: i32, mode: Mode, vmar: *const Vmar, arg: c_int) {
    // SAFETY: fires a trace event; `vmar` is only printed, never followed.
    unsafe { vr_rs_trace(ev as c_int, pid, mode.id(), vmar.cast(), arg) }
}

fn vmar_ptr(v: Option<&Vmar>) -> *const Vmar {
    v.map_or(ptr::null(), ptr::from_ref)
}

/// What a read path found in the slot (a VMAR, or none); buggy's none is
/// what fails to unwrap next.
fn got(pp: &PProc, mode: Mode, vmar: Option<&Vmar>) {
    trace(Ev::ReadGet, pp.pid, mode, vmar_ptr(vmar), 0);
    if vmar.is_none() && matches!(mode, Mode::Buggy(_)) {
        trace(Ev::UnwrapNone, pp.pid, mode, ptr::null(), 0);
        stat(Stat::UnwrapNone, 1);
    }
}

/// The counters of the stats file the twin keeps (vmar_race.h's `struct
/// vr_stats` has two more, for C's cred modes).
#[derive(Clone, Copy)]
enum Stat {
    Spawned,
    Exited,
    Reaped,
    Live,
    Zombie,
    VmarsAlive,
    PprocsAlive,
    StatusReads,
    MapsReads,
    ZombieReads,
    UnwrapNone,
    ReadErrors,
    ExitLockWaits,
    Setids,
}

const NR_STATS: usize = Stat::Setids as usize + 1;

/// Every counter; the KUnit suites count into them too.
static STATS: [Atomic<i64>; NR_STATS] = [const { Atomic::new(0) }; NR_STATS];

fn stat(which: Stat, delta: i64) {
    STATS[which as usize].add(delta, Relaxed);
}

fn limit(which: Limit) -> usize {
    // SAFETY: reads a parameter; callable in any context.
    unsafe { vr_rs_limit(which as c_int) as usize }
}

/// A VMAR's limits, read from glue.c's parameters once per request (the
/// KUnit suites pass their own).
#[derive(Clone, Copy)]
struct Limits {
    maps: usize,
    pages: u64,
}

impl Limits {
    fn now() -> Limits {
        Limits {
            maps: limit(Limit::Maps),
            pages: limit(Limit::Pages) as u64,
        }
    }
}

/// A pause point: sleeps there if root armed it for `pid`. No lock held.
fn pause(point: Point, pid: i32) {
    // SAFETY: process context, no lock held (every caller's contract).
    unsafe { vr_rs_pause(point as c_int, pid) }
}

/// The race window's race_delay_us (no lock held): EINTR if killed in it.
fn race_delay() -> Result {
    // SAFETY: process context, no lock held (the reader's, before the slot).
    to_result(unsafe { vr_rs_race_delay() })
}

fn cond_resched() {
    // SAFETY: process context; callers hold at most a mutex.
    unsafe { vr_rs_cond_resched() }
}

// ---- mappings ----

/// One mapping, keyed by its start; `touched` holds disjoint sorted page
/// ranges `[a, b)`.
struct Mapping {
    end: u64,
    flags: u32,
    touched: KVec<(u64, u64)>,
}

impl Mapping {
    fn rss(&self) -> u64 {
        self.touched.iter().map(|&(a, b)| b - a).sum::<u64>() * PAGE
    }

    /// The part of this mapping (which starts at `at`) in `[start, end)`.
    fn clip(&self, at: u64, start: u64, end: u64) -> Result<Mapping> {
        let (start, end) = (start.max(at), end.min(self.end));
        let mut touched = KVec::new();
        for &(a, b) in self.touched.iter() {
            let (a, b) = (a.max(start / PAGE), b.min(end / PAGE));
            if a < b {
                touched.push((a, b), GFP_KERNEL_ACCOUNT)?;
            }
        }
        Ok(Mapping {
            end,
            flags: self.flags,
            touched,
        })
    }

    /// Marks pages `[a, b)` touched (each page counts once). On failure the
    /// old ranges stay.
    fn touch(&mut self, a: u64, b: u64) -> Result {
        let mut merged = KVec::with_capacity(self.touched.len() + 1, GFP_KERNEL_ACCOUNT)?;
        let (mut a, mut b) = (a, b);
        let mut placed = false;
        for &(x, y) in self.touched.iter() {
            if y < a {
                merged.push((x, y), GFP_KERNEL_ACCOUNT)?;
            } else if b < x {
                if !placed {
                    merged.push((a, b), GFP_KERNEL_ACCOUNT)?;
                    placed = true;
                }
                merged.push((x, y), GFP_KERNEL_ACCOUNT)?;
            } else {
                a = a.min(x);
                b = b.max(y);
            }
        }
        if !placed {
            merged.push((a, b), GFP_KERNEL_ACCOUNT)?;
        }
        self.touched = merged;
        Ok(())
    }
}

/// A VMAR's mappings, sorted and disjoint, and their counts.
struct Maps {
    tree: RBTree<u64, Mapping>,
    nr: usize,
    pages: u64,
}

impl Maps {
    /// `(start, end)` of the first mapping that ends after `addr`.
    fn first_ending_after(&mut self, addr: u64) -> Option<(u64, u64)> {
        if let Some(c) = self.tree.cursor_lower_bound(&addr) {
            if let Some((&s, m)) = c.peek_prev() {
                if m.end > addr {
                    return Some((s, m.end));
                }
            }
            let (&s, m) = c.current();
            return Some((s, m.end));
        }
        let c = self.tree.cursor_back()?;
        let (&s, m) = c.current();
        (m.end > addr).then_some((s, m.end))
    }

    /// A new node for the piece of the mapping at `at` in `[start, end)`.
    fn piece(&self, at: u64, start: u64, end: u64) -> Result<RBTreeNode<u64, Mapping>> {
        let m = self.tree.get(&at).ok_or(EINVAL)?;
        let piece = m.clip(at, start, end)?;
        RBTreeNode::new(start.max(at), piece, GFP_KERNEL_ACCOUNT)
    }
}

/// A VMAR: the address space of a pproc.
#[pin_data(PinnedDrop)]
struct Vmar {
    pid: i32,
    /// Serialises MAP, UNMAP and TOUCH (taken before `maps`), so that an
    /// UNMAP may let go of `maps` between batches.
    #[pin]
    writers: Mutex<()>,
    /// Readers take only this.
    #[pin]
    maps: Mutex<Maps>,
}

/// What a status read shows of a VMAR, taken under its lock.
struct VmarSnap {
    total: u64,
    anon: u64,
    file: u64,
    nr: usize,
}

impl Vmar {
    fn new(pid: i32) -> Result<Arc<Vmar>> {
        let v = Arc::pin_init(
            pin_init!(Vmar {
                pid,
                writers <- new_mutex!(()),
                maps <- new_mutex!(Maps { tree: RBTree::new(), nr: 0, pages: 0 }),
            }),
            GFP_KERNEL_ACCOUNT,
        )?;
        stat(Stat::VmarsAlive, 1);
        Ok(v)
    }

    fn snap(&self) -> VmarSnap {
        let maps = self.maps.lock();
        let mut s = VmarSnap {
            total: maps.pages * PAGE,
            anon: 0,
            file: 0,
            nr: maps.nr,
        };
        for m in maps.tree.values() {
            if m.flags & MAP_FILE != 0 {
                s.file += m.rss();
            } else {
                s.anon += m.rss();
            }
        }
        s
    }

    /// Maps `[start, end)`: EEXIST over a mapping, ENOMEM past max_maps or
    /// max_pages. The node is allocated first: a failure changes nothing.
    fn map(&self, flags: u32, start: u64, end: u64, lim: Limits) -> Result {
        let pages = (end - start) / PAGE;
        let node = RBTreeNode::new(
            start,
            Mapping {
                end,
                flags,
                touched: KVec::new(),
            },
            GFP_KERNEL_ACCOUNT,
        )?;
        let _w = self.writers.lock();
        let mut maps = self.maps.lock();
        if let Some((s, _)) = maps.first_ending_after(start) {
            if s < end {
                return Err(EEXIST);
            }
        }
        if maps.nr >= lim.maps || maps.pages + pages > lim.pages {
            return Err(ENOMEM);
        }
        maps.tree.insert(node);
        maps.nr += 1;
        maps.pages += pages;
        Ok(())
    }

    /// Unmaps `[start, end)`: mappings inside go, ones across an edge are
    /// cut, as munmap does. The pieces that stay are made first; a cut that
    /// splits one mapping in two past max_maps is ENOMEM. Then it only
    /// removes and inserts, which cannot fail.
    ///
    /// The mappings go `UNMAP_BATCH` at a time, `maps` let go between
    /// batches (as vmar.c's UNMAP): a status read waits for one batch, not
    /// for the whole range. Readers may see it half done, as on Linux.
    fn unmap(&self, start: u64, end: u64, lim: Limits) -> Result {
        let _w = self.writers.lock();
        let mut maps = self.maps.lock();
        let first = maps.first_ending_after(start).filter(|&(s, _)| s < end);
        let last = maps.first_ending_after(end - 1).filter(|&(s, _)| s < end);
        let head = match first {
            Some((s, _)) if s < start => Some(((start - s) / PAGE, maps.piece(s, s, start)?)),
            _ => None,
        };
        let tail = match last {
            Some((s, e)) if e > end => Some(((e - end) / PAGE, maps.piece(s, end, e)?)),
            _ => None,
        };
        if head.is_some() && tail.is_some() && first == last && maps.nr >= lim.maps {
            return Err(ENOMEM);
        }
        let mut n = 0;
        while let Some((s, e)) = maps.first_ending_after(start).filter(|&(s, _)| s < end) {
            maps.tree.remove(&s);
            maps.nr -= 1;
            maps.pages -= (e - s) / PAGE;
            n += 1;
            if n % UNMAP_BATCH == 0 {
                drop(maps);
                cond_resched();
                maps = self.maps.lock();
            }
        }
        for (pages, node) in [head, tail].into_iter().flatten() {
            maps.tree.insert(node);
            maps.nr += 1;
            maps.pages += pages;
        }
        Ok(())
    }

    /// Touches `[start, end)`, which must be mapped throughout (ENOMEM).
    fn touch(&self, start: u64, end: u64) -> Result {
        let _w = self.writers.lock();
        let mut maps = self.maps.lock();
        let mut at = start;
        while at < end {
            match maps.first_ending_after(at) {
                Some((s, e)) if s <= at => at = e,
                _ => return Err(ENOMEM),
            }
        }
        let mut at = start;
        while at < end {
            let (s, e) = maps.first_ending_after(at).ok_or(ENOMEM)?;
            let m = maps.tree.get_mut(&s).ok_or(ENOMEM)?;
            m.touch(at / PAGE, e.min(end) / PAGE)?;
            at = e;
        }
        Ok(())
    }
}

#[pinned_drop]
impl PinnedDrop for Vmar {
    /// The last reference: pause `free` (process context, no lock held:
    /// exit, a reader, or glue.c's worker after a grace period), then tear
    /// the mappings down one by one.
    fn drop(self: Pin<&mut Self>) {
        pause(Point::Free, self.pid);
        trace(
            Ev::VmarFree,
            self.pid,
            Mode::Fixed,
            ptr::from_ref(&*self),
            0,
        );
        let mut maps = self.maps.lock();
        let mut cur = maps.tree.cursor_front_mut();
        while let Some(c) = cur {
            cur = c.remove_current().0;
            cond_resched();
        }
        stat(Stat::VmarsAlive, -1);
    }
}

// ---- pprocs ----

/// What a spawn records of its caller, in glue.c (7.3's Rust has no
/// credentials but `euid()`, and no `struct pid`): its ids (the pproc's
/// owner, who may read its maps, its Uid:/Gid:), which SETIDS replaces,
/// and its tgid (PPid:).
struct Spawner(NonNull<c_void>);

impl Spawner {
    fn new() -> Result<Spawner> {
        // SAFETY: process context; takes references to current's cred and tgid.
        NonNull::new(unsafe { vr_rs_spawner_new() })
            .map(Spawner)
            .ok_or(ENOMEM)
    }

    /// PPid: the spawner's tgid as the reader sees it, 0 once it is gone.
    fn ppid(&self) -> i32 {
        // SAFETY: `self.0` is a live spawner (dropped only in `drop()`).
        unsafe { vr_rs_spawner_ppid(self.0.as_ptr()) }
    }

    /// Uid: and Gid: (real, effective, saved, fs) in the reader's namespace.
    fn ids(&self) -> ([u32; 4], [u32; 4]) {
        let (mut uid, mut gid) = ([0; 4], [0; 4]);
        // SAFETY: as in `ppid()`; both arrays have the four slots glue writes.
        unsafe { vr_rs_spawner_ids(self.0.as_ptr(), uid.as_mut_ptr(), gid.as_mut_ptr()) };
        (uid, gid)
    }

    /// SETIDS' part in glue.c: EINVAL, EPERM or ENOMEM.
    ///
    /// # Safety
    ///
    /// The caller holds the slot lock of the pproc this spawner is of
    /// (glue.c replaces the ids unlocked against other writers).
    unsafe fn setids(&self, pid: i32, uid: u32, gid: u32) -> Result {
        // SAFETY: as in `ppid()`; writers are kept apart by the caller.
        to_result(unsafe { vr_rs_spawner_setids(self.0.as_ptr(), pid, uid, gid) })
    }
}

impl Drop for Spawner {
    fn drop(&mut self) {
        // SAFETY: made by `vr_rs_spawner_new()`, put once, here.
        unsafe { vr_rs_spawner_put(self.0.as_ptr()) }
    }
}

// SAFETY: glue.c's spawner holds counted references (a user namespace, a
// struct pid) that any task may read or put, and ids that readers load
// under rcu_read_lock() and `setids()` replaces under the slot lock.
unsafe impl Send for Spawner {}
// SAFETY: as above: shared use reads under RCU; the one writer, `setids()`,
// is unsafe and requires the slot lock.
unsafe impl Sync for Spawner {}

/// A pseudo-process. `vmar` is `None` once it exited (a zombie).
#[pin_data(PinnedDrop)]
struct PProc {
    pid: i32,
    /// Never reused: fs.c's inode numbers.
    serial: u64,
    owner: u64,
    spawner: Spawner,
    name: [u8; NAME_LEN],
    /// Set once its pid was written back to the spawner: findable from then.
    published: AtomicBool,
    /// Set by exit under the slot lock: reap and release read it unlocked.
    exited: AtomicBool,
    /// Set by reap under the registry lock: fs.c's handles fail (ESRCH).
    reaped: AtomicBool,
    /// The rcu read path's reference (`Arc::into_raw`) while running; null
    /// after exit, whose reference glue.c drops after a grace period.
    rcu_vmar: AtomicPtr<Vmar>,
    #[pin]
    vmar: Mutex<Option<Arc<Vmar>>>,
}

impl PProc {
    fn name(&self) -> &str {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(NAME_LEN);
        core::str::from_utf8(&self.name[..n]).unwrap_or("?")
    }

    /// Exit: take the VMAR out of the slot (EINVAL if it was gone), then,
    /// with no lock held, pause `cleared` and drop both references.
    fn exit(&self) -> Result {
        if self.exited.load(Ordering::Acquire) {
            return Err(EINVAL); // no wait on a slot a dead buggy reader holds
        }
        let old = {
            // Count the exits a reader kept waiting (rcu readers never do).
            let mut slot = self.vmar.try_lock().unwrap_or_else(|| {
                stat(Stat::ExitLockWaits, 1);
                self.vmar.lock()
            });
            let old = slot.take().ok_or(EINVAL)?;
            self.exited.store(true, Ordering::Release);
            old
        };
        stat(Stat::Live, -1);
        stat(Stat::Zombie, 1);
        stat(Stat::Exited, 1);
        trace(Ev::Exit, self.pid, Mode::Fixed, ptr::from_ref(&*old), 0);
        let raw = self.rcu_vmar.swap(ptr::null_mut(), Ordering::AcqRel);
        pause(Point::Cleared, self.pid);
        drop(old);
        if !raw.is_null() {
            // SAFETY: `raw` is the reference `spawn()` made with
            // `Arc::into_raw`; the swap above took it out once. glue.c hands
            // it back to `vr_rs_vmar_put()` after a grace period, when no
            // rcu reader can still be looking at it.
            unsafe { vr_rs_defer_put(raw.cast(), vr_rs_vmar_put) };
        }
        Ok(())
    }

    /// SETIDS: new ids while running (EINVAL once exited), under the slot
    /// lock so that exit cannot pass it.
    fn setids(&self, uid: u32, gid: u32) -> Result {
        if self.exited.load(Ordering::Acquire) {
            return Err(EINVAL); // no wait on a slot a dead buggy reader holds
        }
        let slot = self.vmar.lock();
        if slot.is_none() {
            return Err(EINVAL);
        }
        // SAFETY: `slot` is this pproc's slot lock, held to the end.
        let ret = unsafe { self.spawner.setids(self.pid, uid, gid) };
        drop(slot);
        ret
    }

    /// The VMAR with no lock: load the rcu reference under
    /// `rcu::read_lock()` and take a reference of our own before leaving
    /// the read-side section. `None` once exit cleared it.
    fn vmar_rcu(&self) -> Option<Arc<Vmar>> {
        let _guard = rcu::read_lock();
        let raw = self.rcu_vmar.load(Ordering::Acquire);
        if raw.is_null() {
            return None;
        }
        // SAFETY: `raw` came from `Arc::into_raw` (spawn) and that
        // reference is dropped only a grace period after exit cleared the
        // pointer, so it is still held now, inside the read-side section:
        // the count is at least one and incrementing it is sound.
        let borrow = unsafe { ArcBorrow::from_raw(raw) };
        Some(Arc::from(borrow))
    }

    /// The VMAR for an ioctl, which refuses zombies (EINVAL).
    fn vmar(&self) -> Result<Arc<Vmar>> {
        self.vmar.lock().clone().ok_or(EINVAL)
    }

    /// A read of its status or maps through `mode`, from a /proc handle:
    /// ESRCH once reaped, else pause at `found` and take the read path.
    fn read(&self, file: File, mode: Mode, out: &mut dyn Write) -> Result {
        if self.reaped.load(Ordering::Acquire) {
            return Err(ESRCH);
        }
        stat(
            if file == File::Maps {
                Stat::MapsReads
            } else {
                Stat::StatusReads
            },
            1,
        );
        trace(Ev::ReadStart, self.pid, mode, ptr::null(), file as c_int);
        pause(Point::Found, self.pid);
        let ret = race_delay().and_then(|()| match mode {
            Mode::Buggy(fail) => read_buggy(self, fail, file, out),
            Mode::Checked => read_checked(self, file, out),
            Mode::Fixed => read_fixed(self, file, out),
            Mode::Rcu => read_rcu(self, file, out),
            #[cfg(vr_uaf)]
            Mode::Uaf => read_uaf(self, file, out),
        });
        if ret.is_err() {
            stat(Stat::ReadErrors, 1);
        }
        let code = match &ret {
            Ok(()) => 0,
            Err(e) => e.to_errno(),
        };
        trace(Ev::ReadEnd, self.pid, mode, ptr::null(), code);
        ret
    }
}

#[pinned_drop]
impl PinnedDrop for PProc {
    /// Reaped, aborted or unloaded. A pproc that never exited (an aborted
    /// spawn, or unload) still holds its rcu reference: nobody can read
    /// it any more (unpublished, or the /proc tree is gone), so it goes now.
    fn drop(self: Pin<&mut Self>) {
        let raw = self.rcu_vmar.swap(ptr::null_mut(), Ordering::AcqRel);
        if !raw.is_null() {
            // SAFETY: `raw` came from `Arc::into_raw` in `spawn()` and was
            // taken out once (the swap); no rcu reader can reach this pproc.
            drop(unsafe { Arc::from_raw(raw) });
        }
        stat(Stat::PprocsAlive, -1);
    }
}

// ---- the read paths ----

/// The read paths, selected by glue.c's `mode` parameter; buggy's
/// failure by its `unwrap_fail`.
#[derive(Clone, Copy)]
enum Mode {
    Buggy(UnwrapFail),
    Checked,
    Fixed,
    Rcu,
    #[cfg(vr_uaf)]
    Uaf,
}

impl Mode {
    /// race.h's number for the mode (trace events).
    fn id(self) -> c_int {
        match self {
            Mode::Buggy(_) => 0,
            Mode::Checked => 1,
            Mode::Fixed => 2,
            Mode::Rcu => 3,
            #[cfg(vr_uaf)]
            Mode::Uaf => 4,
        }
    }
}

/// From glue.c's `mode` and `unwrap_fail` parameters.
impl TryFrom<(c_int, c_int)> for Mode {
    type Error = Error;

    fn try_from((mode, fail): (c_int, c_int)) -> Result<Mode> {
        match mode {
            0 => Ok(Mode::Buggy(UnwrapFail::try_from(fail)?)),
            1 => Ok(Mode::Checked),
            2 => Ok(Mode::Fixed),
            3 => Ok(Mode::Rcu),
            #[cfg(vr_uaf)]
            4 => Ok(Mode::Uaf),
            _ => Err(EINVAL),
        }
    }
}

/// What buggy does on a `None` VMAR (glue.c's `unwrap_fail`, the C
/// module's names; race.h's numbers).
#[derive(Clone, Copy, PartialEq)]
enum UnwrapFail {
    /// The kernel's `panic()` with the C module's message (glue.c).
    Panic,
    /// Asterinas's own `unwrap()`: a Rust panic, which the kernel turns
    /// into a `BUG()` (a panic with `oops=panic`). The twin's default.
    Oops,
    /// `warn_on!` once, count, fail the read with EIO.
    Warn,
    /// Count and fail with EIO, no splat: the KUnit suites' (as C's).
    Quiet,
}

impl TryFrom<c_int> for UnwrapFail {
    type Error = Error;

    fn try_from(fail: c_int) -> Result<UnwrapFail> {
        match fail {
            0 => Ok(UnwrapFail::Panic),
            1 => Ok(UnwrapFail::Oops),
            2 => Ok(UnwrapFail::Warn),
            3 => Ok(UnwrapFail::Quiet),
            _ => Err(EINVAL),
        }
    }
}

/// Which file a read renders.
#[derive(Clone, Copy, PartialEq)]
enum File {
    Status,
    Maps,
}

impl TryFrom<c_int> for File {
    type Error = Error;

    fn try_from(file: c_int) -> Result<File> {
        match file {
            0 => Ok(File::Status),
            1 => Ok(File::Maps),
            _ => Err(EINVAL),
        }
    }
}

/// A `fmt::Write` straight into the read's seq_file: each `write!` is one
/// `seq_printf()` (`SeqFile::call_printf`). An overflow is the seq_file's
/// to handle: it retries the show with a bigger buffer.
struct SeqOut<'a>(&'a SeqFile);

impl Write for SeqOut<'_> {
    fn write_str(&mut self, s: &str) -> fmt::Result {
        self.0.call_printf(format_args!("{s}"));
        Ok(())
    }

    fn write_fmt(&mut self, args: fmt::Arguments<'_>) -> fmt::Result {
        self.0.call_printf(args);
        Ok(())
    }
}

/// Renders `pp` with `vmar` (`None`: a zombie, no Vm lines as on Linux).
fn render(pp: &PProc, vmar: Option<&Vmar>, file: File, out: &mut dyn Write) -> Result {
    let full = |_| ENOSPC;
    if vmar.is_none() {
        stat(Stat::ZombieReads, 1);
    }
    if file == File::Maps {
        if let Some(v) = vmar {
            for (&start, m) in v.maps.lock().tree.iter() {
                let r = if m.flags & 1 != 0 { 'r' } else { '-' };
                let w = if m.flags & 2 != 0 { 'w' } else { '-' };
                let x = if m.flags & 4 != 0 { 'x' } else { '-' };
                let tail = if m.flags & MAP_FILE != 0 {
                    "    [vmar_race:file]"
                } else {
                    ""
                };
                writeln!(
                    out,
                    "{:08x}-{:08x} {r}{w}{x}p 00000000 00:00 0{tail}",
                    start, m.end
                )
                .map_err(full)?;
            }
        }
        return Ok(());
    }
    let state = if vmar.is_some() {
        "R (running)"
    } else {
        "Z (zombie)"
    };
    let ppid = pp.spawner.ppid();
    write!(
        out,
        "Name:\t{}\nState:\t{}\nPid:\t{}\nPPid:\t{}\n",
        pp.name(),
        state,
        pp.pid,
        ppid
    )
    .map_err(full)?;
    let (u, g) = pp.spawner.ids();
    write!(
        out,
        "Uid:\t{}\t{}\t{}\t{}\nGid:\t{}\t{}\t{}\t{}\n",
        u[0], u[1], u[2], u[3], g[0], g[1], g[2], g[3]
    )
    .map_err(full)?;
    if let Some(v) = vmar {
        let s = v.snap();
        write!(
            out,
            "VmSize:\t{:8} kB\nVmRSS:\t{:8} kB\nRssAnon:\t{:8} kB\nRssFile:\t{:8} kB\nMappings:\t{}\n",
            s.total / 1024,
            (s.anon + s.file) / 1024,
            s.anon / 1024,
            s.file / 1024,
            s.nr
        )
        .map_err(full)?;
    }
    Ok(())
}

// `Registry::read()` pauses at `found` before any read path touches the
// slot; the paths that render on their own reference pause at `held`.

/// buggy: Asterinas before the fix. Lock the slot and unwrap it: a pproc
/// that exited has `None` there, and `unwrap()` panics (a `BUG()`, with
/// the slot's lock held for ever). The other `unwrap_fail`s let go of the
/// lock first.
fn read_buggy(pp: &PProc, fail: UnwrapFail, file: File, out: &mut dyn Write) -> Result {
    let guard = pp.vmar.lock();
    got(pp, Mode::Buggy(fail), guard.as_deref());
    let vmar = match (fail, guard.as_ref()) {
        (UnwrapFail::Oops, slot) => slot.unwrap(),
        (_, Some(vmar)) => vmar,
        (_, None) => {
            drop(guard);
            return unwrap_failed(pp, fail, file);
        }
    };
    render(pp, Some(vmar), file, out)
}

/// buggy's `None` under `unwrap_fail` panic, warn or quiet: as the C
/// module's vr_unwrap_failed(). No lock held.
fn unwrap_failed(pp: &PProc, fail: UnwrapFail, file: File) -> Result {
    static WARNED: AtomicBool = AtomicBool::new(false);

    match fail {
        // SAFETY: process context; the message is glue.c's.
        UnwrapFail::Panic => unsafe { vr_rs_unwrap_panic(pp.pid, file as c_int) },
        UnwrapFail::Warn if !WARNED.swap(true, Ordering::Relaxed) => {
            pr_warn!(
                "called `Option::unwrap()` on a `None` value: VMAR of exited pid {}\n",
                pp.pid
            );
            kernel::warn_on!(true);
        }
        _ => (),
    }
    Err(EIO)
}

/// checked: Asterinas's fix for its issue 2194, still what it does today.
/// `None` renders a zombie; the render runs under the guard.
fn read_checked(pp: &PProc, file: File, out: &mut dyn Write) -> Result {
    let guard = pp.vmar.lock();
    got(pp, Mode::Checked, guard.as_deref());
    render(pp, guard.as_deref(), file, out)
}

/// fixed: Linux's get_task_mm(). Clone the `Arc` under the lock, drop the
/// guard, render on our own reference (dropped at the end).
fn read_fixed(pp: &PProc, file: File, out: &mut dyn Write) -> Result {
    let vmar = pp.vmar.lock().clone();
    got(pp, Mode::Fixed, vmar.as_deref());
    pause(Point::Held, pp.pid);
    render(pp, vmar.as_deref(), file, out)
}

/// rcu: no lock at all (`PProc::vmar_rcu()`).
fn read_rcu(pp: &PProc, file: File, out: &mut dyn Write) -> Result {
    let vmar = pp.vmar_rcu();
    got(pp, Mode::Rcu, vmar.as_deref());
    pause(Point::Held, pp.pid);
    render(pp, vmar.as_deref(), file, out)
}

/// uaf: the C module's unlocked read cannot be written in safe Rust (unsafe
/// code could; this proves the safe subset refuses it). Keeping a
/// `&Vmar` from the guard past the guard is what the borrow checker
/// rejects (`make check` builds this with `--cfg vr_uaf` and wants E0597).
#[cfg(vr_uaf)]
fn read_uaf(pp: &PProc, file: File, out: &mut dyn Write) -> Result {
    let vmar: &Vmar = {
        let guard = pp.vmar.lock();
        guard.as_ref().unwrap()
    };
    render(pp, Some(vmar), file, out)
}

// ---- the registry ----

/// The pproc registry, handed to the glue as an opaque pointer.
#[pin_data]
struct Registry {
    #[pin]
    inner: Mutex<Inner>,
}

struct Inner {
    procs: RBTree<i32, Arc<PProc>>,
    nr: usize,
    last_pid: i32,
    serial: u64,
}

impl Registry {
    fn new() -> impl PinInit<Registry> {
        pin_init!(Registry {
            inner <- new_mutex!(Inner { procs: RBTree::new(), nr: 0, last_pid: 0, serial: 0 }),
        })
    }

    /// The pause file's arm: published pids only (ESRCH). Reap unregisters
    /// a pid before it forgets its pauses, so one of the two sees the
    /// other.
    fn arm_pause(&self, point: Point, pid: i32) -> Result {
        self.find(pid)?;
        // SAFETY: process context, no lock held.
        to_result(unsafe { vr_pause_arm(point as c_int, pid) })?;
        if self.find(pid).is_err() {
            // SAFETY: as above.
            unsafe { vr_rs_forget(pid) };
            return Err(ESRCH);
        }
        Ok(())
    }

    /// A published pproc (ESRCH for none, or one not yet published).
    fn find(&self, pid: i32) -> Result<Arc<PProc>> {
        let inner = self.inner.lock();
        let pp = inner.procs.get(&pid).ok_or(ESRCH)?;
        if !pp.published.load(Ordering::Acquire) {
            return Err(ESRCH);
        }
        Ok(pp.clone())
    }

    /// The published pproc with the lowest pid >= `from` (fs.c's readdir).
    fn next(&self, from: u64) -> Option<Arc<PProc>> {
        let from = i32::try_from(from).ok()?;
        let mut inner = self.inner.lock();
        let mut cur = inner.procs.cursor_lower_bound_mut(&from);
        while let Some(c) = cur {
            let (_, pp) = c.current();
            if pp.published.load(Ordering::Acquire) {
                return Some(pp.clone());
            }
            cur = c.move_next();
        }
        None
    }

    /// A new pproc, registered but unpublished; EAGAIN past `max_procs`.
    fn spawn(&self, name: [u8; NAME_LEN], owner: u64, max_procs: usize) -> Result<i32> {
        let node = RBTreeNodeReservation::new(GFP_KERNEL_ACCOUNT)?;
        let spawner = Spawner::new()?;
        let mut inner = self.inner.lock();
        if inner.nr >= max_procs {
            return Err(EAGAIN);
        }
        // Cyclic pids, never one still registered (a zombie keeps its pid).
        let mut pid = inner.last_pid;
        loop {
            pid = if pid >= PID_MAX - 1 { 1 } else { pid + 1 };
            if inner.procs.get(&pid).is_none() {
                break;
            }
        }
        let serial = inner.serial + 1;
        let vmar = Vmar::new(pid)?;
        let rcu_vmar = Arc::into_raw(vmar.clone()).cast_mut();
        let pp = Arc::pin_init(
            pin_init!(PProc {
                pid,
                serial,
                owner,
                spawner,
                name,
                published: AtomicBool::new(false),
                exited: AtomicBool::new(false),
                reaped: AtomicBool::new(false),
                rcu_vmar: AtomicPtr::new(rcu_vmar),
                vmar <- new_mutex!(Some(vmar)),
            }),
            GFP_KERNEL_ACCOUNT,
        );
        let pp = match pp {
            Ok(pp) => {
                stat(Stat::PprocsAlive, 1);
                pp
            }
            Err(e) => {
                // The VMAR's last reference goes with no lock held.
                drop(inner);
                // SAFETY: made by `Arc::into_raw` above and never shared.
                drop(unsafe { Arc::from_raw(rcu_vmar) });
                return Err(e);
            }
        };
        inner.procs.insert(node.into_node(pid, pp));
        inner.nr += 1;
        inner.last_pid = pid;
        inner.serial = serial;
        Ok(pid)
    }

    /// Makes a spawned pid findable, then pauses at `published`.
    fn publish(&self, pid: i32) {
        if let Some(pp) = self.inner.lock().procs.get(&pid) {
            pp.published.store(true, Ordering::Release);
            stat(Stat::Spawned, 1);
            stat(Stat::Live, 1);
            trace(
                Ev::Spawn,
                pid,
                Mode::Fixed,
                pp.rcu_vmar.load(Ordering::Relaxed),
                0,
            );
        }
        pause(Point::Published, pid);
    }

    /// Undoes a spawn nobody saw (the pid could not be written back).
    fn abort(&self, pid: i32) {
        let pp = {
            let mut inner = self.inner.lock();
            let pp = inner.procs.remove(&pid);
            if pp.is_some() {
                inner.nr -= 1;
            }
            pp
        };
        drop(pp); // outside the lock: it may free the VMAR
    }

    /// Reaps a zombie: EINVAL for a running pproc. Reads `exited`, never
    /// the slot lock, so a reader wedged there does not wedge the registry.
    fn reap(&self, pid: i32) -> Result {
        let pp = {
            let mut inner = self.inner.lock();
            let pp = inner.procs.get(&pid).ok_or(ESRCH)?;
            if !pp.published.load(Ordering::Acquire) {
                return Err(ESRCH);
            }
            if !pp.exited.load(Ordering::Acquire) {
                return Err(EINVAL);
            }
            pp.reaped.store(true, Ordering::Release);
            inner.nr -= 1;
            inner.procs.remove(&pid)
        };
        stat(Stat::Zombie, -1);
        stat(Stat::Reaped, 1);
        trace(Ev::Reap, pid, Mode::Fixed, ptr::null(), 0);
        // SAFETY: a pid, in process context, no lock held: forget its
        // pauses, and drop its dentries (and their inodes' handles) now.
        unsafe {
            vr_rs_forget(pid);
            vr_fs_flush_pid(pid);
        }
        drop(pp);
        Ok(())
    }

    /// The spawning file is closing: every running pproc it spawned exits,
    /// one at a time with the registry lock dropped (exit may wait for a
    /// reader on the slot lock).
    fn release(&self, owner: u64) {
        let mut next = 1;
        loop {
            let pp = {
                let mut inner = self.inner.lock();
                let mut cur = inner.procs.cursor_lower_bound_mut(&next);
                let mut found = None;
                while let Some(c) = cur {
                    let (_, pp) = c.current();
                    if pp.owner == owner && !pp.exited.load(Ordering::Acquire) {
                        found = Some(pp.clone());
                        break;
                    }
                    cur = c.move_next();
                }
                found
            };
            let Some(pp) = pp else { break };
            next = pp.pid.saturating_add(1);
            let _ = pp.exit();
            cond_resched();
        }
    }

    // ---- the ioctls of /dev/vmar_race_rs ----

    fn ioctl(&self, owner: u64, cmd: u32, arg: usize) -> Result<i32> {
        match cmd {
            IOC_SPAWN => self.ioc_spawn(owner, arg),
            IOC_MAP | IOC_UNMAP | IOC_TOUCH => {
                let r: MapReq = user(arg, size_of::<MapReq>()).reader().read()?;
                let end = r.start.checked_add(r.len).ok_or(EINVAL)?;
                if r.len == 0 || r.start % PAGE != 0 || r.len % PAGE != 0 {
                    return Err(EINVAL);
                }
                if r.flags & !MAP_FLAGS != 0 || (cmd != IOC_MAP && r.flags != 0) {
                    return Err(EINVAL);
                }
                let vmar = self.find(r.pid)?.vmar()?;
                match cmd {
                    IOC_MAP => vmar.map(r.flags, r.start, end, Limits::now())?,
                    IOC_UNMAP => vmar.unmap(r.start, end, Limits::now())?,
                    _ => vmar.touch(r.start, end)?,
                }
                Ok(0)
            }
            IOC_SETIDS => {
                let r: IdsReq = user(arg, size_of::<IdsReq>()).reader().read()?;
                // SAFETY: reads the caller's user namespace.
                if r.flags != 0 || !unsafe { vr_rs_ids_valid(r.uid, r.gid) } {
                    return Err(EINVAL);
                }
                self.find(r.pid)?.setids(r.uid, r.gid)?;
                stat(Stat::Setids, 1);
                Ok(0)
            }
            IOC_EXIT | IOC_REAP => {
                let pid: i32 = user(arg, size_of::<i32>()).reader().read()?;
                if cmd == IOC_EXIT {
                    self.find(pid)?.exit()?;
                } else {
                    self.reap(pid)?;
                }
                Ok(0)
            }
            _ => Err(ENOTTY),
        }
    }

    /// SPAWN: checks the request, registers an unpublished pproc, writes
    /// its pid back with no lock held, and only then publishes it. A
    /// failure on the way undoes it unseen.
    fn ioc_spawn(&self, owner: u64, arg: usize) -> Result<i32> {
        let mut req: SpawnReq = user(arg, size_of::<SpawnReq>()).reader().read()?;
        let len = req.name.iter().position(|&c| c == 0).ok_or(EINVAL)?;
        if req.flags != 0 || req.name[..len].iter().any(|&c| !(0x20..=0x7e).contains(&c)) {
            return Err(EINVAL);
        }
        if len == 0 {
            req.name[..6].copy_from_slice(b"pproc\0");
        }
        let pid = self.spawn(req.name, owner, limit(Limit::Procs))?;
        let at = arg.checked_add(offset_of!(SpawnReq, pid)).ok_or(EFAULT);
        if let Err(e) = at.and_then(|at| user(at, size_of::<i32>()).writer().write(&pid)) {
            self.abort(pid);
            return Err(e);
        }
        self.publish(pid);
        Ok(0)
    }
}

/// The user memory at `addr`, `len` bytes (an ioctl's argument).
fn user(addr: usize, len: usize) -> UserSlice {
    UserSlice::new(UserPtr::from_addr(addr), len)
}

// ---- /dev/vmar_race_rs ----

/// Owner ids, one per open file, never reused (a `struct file` address
/// would be).
static OWNER_IDS: AtomicU64 = AtomicU64::new(0);

/// An open /dev/vmar_race_rs: the owner of the pprocs it spawns, which
/// exit when it is released.
struct Owner {
    id: u64,
    reg: &'static Registry,
}

#[vtable]
impl MiscDevice for Owner {
    type Ptr = KBox<Self>;

    fn open(_file: &fs::File, misc: &MiscDeviceRegistration<Self>) -> Result<KBox<Self>> {
        let misc = ptr::from_ref(misc).cast_mut();
        // SAFETY: the only registration of `Owner` is `VmarRaceRs::miscdev`,
        // so `misc` points into the module's `VmarRaceRs`. An open file holds
        // a reference on this module (the device's fops.owner), so the
        // module, and the registry in it, outlive the file and every call
        // on it: `'static` is never observed past the module's life.
        let reg = unsafe { &(*kernel::container_of!(misc, VmarRaceRs, miscdev)).registry };
        let id = OWNER_IDS.fetch_add(1, Ordering::Relaxed) + 1;
        Ok(KBox::new(Owner { id, reg }, GFP_KERNEL)?)
    }

    fn release(owner: KBox<Self>, _file: &fs::File) {
        owner.reg.release(owner.id);
    }

    fn ioctl(owner: &Self, _file: &fs::File, cmd: u32, arg: usize) -> Result<isize> {
        owner.reg.ioctl(owner.id, cmd, arg).map(|r| r as isize)
    }
}

// ---- the interface to glue.c (race.h) ----

/// # Safety
///
/// `reg` is the pointer glue.c was given by `vr_rs_glue_init()`: the
/// registry outlives the glue (`vr_rs_glue_exit()` runs first).
unsafe fn registry<'a>(reg: *const c_void) -> &'a Registry {
    // SAFETY: see above.
    unsafe { &*reg.cast::<Registry>() }
}

/// A /proc handle: an `Arc<PProc>` reference made by `Arc::into_raw()`.
///
/// # Safety
///
/// `pp` is a handle `vr_rs_find()` or `vr_rs_next()` returned (or
/// `vr_rs_get()` counted) and not yet put.
unsafe fn handle<'a>(pp: *const c_void) -> &'a PProc {
    // SAFETY: by the caller: the reference keeps the pproc alive.
    unsafe { &*pp.cast::<PProc>() }
}

fn into_handle(pp: Option<Arc<PProc>>) -> *const c_void {
    pp.map_or(ptr::null(), |pp| Arc::into_raw(pp).cast())
}

/// fs.h's find: a published pid's handle, or null.
///
/// # Safety
///
/// `reg` as for `registry()`; process context.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_find(reg: *const c_void, pid: c_int) -> *const c_void {
    // SAFETY: by the caller.
    into_handle(unsafe { registry(reg) }.find(pid).ok())
}

/// fs.h's next: the handle of the published pproc with the lowest pid >=
/// `*pid`, which is set to its pid; null if none.
///
/// # Safety
///
/// `reg` as for `registry()`; `pid` is valid for reads and writes;
/// process context.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_next(reg: *const c_void, pid: *mut c_ulong) -> *const c_void {
    // SAFETY: by the caller.
    let (reg, from) = unsafe { (registry(reg), *pid) };
    let pp = reg.next(from as u64);
    if let Some(pp) = &pp {
        // SAFETY: by the caller; a pid is positive.
        unsafe { *pid = pp.pid as c_ulong };
    }
    into_handle(pp)
}

/// fs.h's get: one more reference to a handle.
///
/// # Safety
///
/// `pp` as for `handle()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_get(pp: *const c_void) {
    // SAFETY: by the caller, the count is at least one while we borrow it.
    let pp = unsafe { ArcBorrow::from_raw(pp.cast::<PProc>()) };
    // The new reference is the caller's second handle (the same pointer).
    let _ = Arc::into_raw(Arc::from(pp));
}

/// fs.h's put: drops a handle's reference (the last frees the pproc).
///
/// # Safety
///
/// `pp` as for `handle()`, put once; process context (it may free a VMAR).
#[no_mangle]
pub unsafe extern "C" fn vr_rs_put(pp: *const c_void) {
    // SAFETY: by the caller: this reference was made by `Arc::into_raw()`.
    let pp = unsafe { Arc::from_raw(pp.cast::<PProc>()) };
    // The last reference (a reaped pproc's inode being evicted) goes a
    // grace period later: fs.c's RCU-walk revalidation may still read it,
    // as Linux frees a struct pid after one.
    if let Some(last) = Arc::into_unique_or_drop(pp) {
        let raw = Arc::into_raw(Arc::from(last));
        // SAFETY: `raw` is the only reference left (nobody can clone it:
        // the registry no longer holds it), handed over once.
        unsafe { vr_rs_defer_put(raw.cast(), vr_rs_pproc_put_last) };
    }
}

/// glue.c's deferred put of a pproc's last reference (`vr_rs_put()`).
///
/// # Safety
///
/// `pp` is a pointer `vr_rs_defer_put()` was given, once; process context.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_pproc_put_last(pp: *const c_void) {
    // SAFETY: an `Arc::into_raw` reference, handed over once (`vr_rs_put()`).
    drop(unsafe { Arc::from_raw(pp.cast::<PProc>()) });
}

/// fs.h's gone (reaped), serial, and whether it still runs (not exited);
/// lock-free loads, for RCU-walk.
///
/// # Safety
///
/// `pp` as for `handle()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_gone(pp: *const c_void) -> bool {
    // SAFETY: by the caller.
    unsafe { handle(pp) }.reaped.load(Ordering::Acquire)
}

/// # Safety
///
/// `pp` as for `handle()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_serial(pp: *const c_void) -> u64 {
    // SAFETY: by the caller.
    unsafe { handle(pp) }.serial
}

/// # Safety
///
/// `pp` as for `handle()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_running(pp: *const c_void) -> bool {
    // SAFETY: by the caller.
    !unsafe { handle(pp) }.exited.load(Ordering::Acquire)
}

/// The glue spawner of a handle's pproc, valid while the handle is.
///
/// # Safety
///
/// `pp` as for `handle()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_spawner(pp: *const c_void) -> *const c_void {
    // SAFETY: by the caller.
    unsafe { handle(pp) }.spawner.0.as_ptr()
}

/// Shows a handle's status (`file` 0) or maps (1) through read path `mode`
/// (buggy failing as `unwrap_fail` says) into the seq_file `m`; 0 or
/// -errno (ESRCH: reaped; EIO: buggy's `None` unless it panicked).
///
/// # Safety
///
/// `pp` as for `handle()`; `m` is the seq_file of a show() in progress,
/// which only this thread uses until it returns.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_show(
    m: *mut c_void,
    pp: *const c_void,
    file: c_int,
    mode: c_int,
    unwrap_fail: c_int,
) -> c_int {
    // SAFETY: by the caller.
    let (pp, m) = unsafe { (handle(pp), SeqFile::from_raw(m.cast())) };
    let mut out = SeqOut(m);
    from_result(|| {
        pp.read(
            File::try_from(file)?,
            Mode::try_from((mode, unwrap_fail))?,
            &mut out,
        )?;
        Ok(0)
    })
}

/// The longest line a maps read renders for one mapping.
const MAPS_LINE_MAX: usize = 80;

/// The bytes a maps read of a handle would render now (at most), so that
/// glue.c sizes the seq_file buffer for one show instead of a retry per
/// doubling; 0 for a zombie. Takes no slot lock.
///
/// # Safety
///
/// `pp` as for `handle()`; process context.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_maps_size(pp: *const c_void) -> usize {
    // SAFETY: by the caller.
    let vmar = unsafe { handle(pp) }.vmar_rcu();
    vmar.map_or(0, |v| v.maps.lock().nr.saturating_mul(MAPS_LINE_MAX))
}

/// glue.c's deferred put: drops the reference `PProc::exit()` handed it.
///
/// # Safety
///
/// `vmar` is a pointer `vr_rs_defer_put()` was given, once; process context.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_vmar_put(vmar: *const c_void) {
    // SAFETY: an `Arc::into_raw` reference, handed over once (see exit()).
    drop(unsafe { Arc::from_raw(vmar.cast::<Vmar>()) });
}

// ---- /sys/kernel/debug/vmar_race_rs: the stats and pause files ----
//
// glue.c registers the two files (7.3's `kernel::debugfs` files have no
// owner: an open one would not pin the module, and its release after an
// unload would read freed `file_operations`); what they show and do is
// here.

/// pause.c's copy of a slot (vmar_race.h's `struct vr_pause_info`).
#[repr(C)]
#[derive(Default)]
struct PauseInfo {
    point: c_int,
    pid: c_int,
    state: c_int, // enum vr_pause_state: armed, paused, released
    task: c_int,
    comm: [u8; 16],
}

// The layout vmar_race.h's struct has (pause.c asserts the same).
const _: () = assert!(size_of::<PauseInfo>() == 32 && offset_of!(PauseInfo, comm) == 16);

const PAUSE_WAIT_MS: u32 = 10_000; // a wait command's default bound
const PAUSE_WAIT_MAX_MS: u32 = 60_000;
const PAUSE_CMD_MAX: usize = 63; // bytes per write, as debugfs.c

/// The stats file: every counter, as debugfs.c prints `struct vr_stats`.
fn stats_show(out: &mut dyn Write) -> fmt::Result {
    use Stat::*;
    const LINES: [(&str, Option<Stat>); 16] = [
        ("spawned", Some(Spawned)),
        ("exited", Some(Exited)),
        ("reaped", Some(Reaped)),
        ("live", Some(Live)),
        ("zombie", Some(Zombie)),
        ("vmars_alive", Some(VmarsAlive)),
        ("pprocs_alive", Some(PprocsAlive)),
        ("status_reads", Some(StatusReads)),
        ("maps_reads", Some(MapsReads)),
        ("zombie_reads", Some(ZombieReads)),
        ("unwrap_none", Some(UnwrapNone)),
        ("read_errors", Some(ReadErrors)),
        ("exit_lock_waits", Some(ExitLockWaits)),
        ("setids", Some(Setids)),
        ("creds_alive", None),
        ("creds_freed_in_use", None),
    ];

    for (name, which) in LINES {
        let n = which.map_or(0, |w| STATS[w as usize].load(Relaxed));
        writeln!(out, "{name:<14} {n}")?;
    }
    Ok(())
}

/// The pause file's listing: the slots in use, after a header.
fn pause_show(out: &mut dyn Write) -> fmt::Result {
    let mut s = PauseInfo::default();
    let mut i = 0;

    writeln!(out, "point\tpid\tstate\ttask")?;
    // SAFETY: `s` is a `struct vr_pause_info` (the layout asserted above);
    // process context, no spinlock held.
    while unsafe { vr_pause_list_slot(i, &mut s) } {
        i += 1;
        if s.pid == 0 {
            continue;
        }
        let point = Point::ALL
            .get(s.point as usize)
            .map_or("?", |(_, name)| *name);
        let comm = s.comm.split(|&c| c == 0).next().unwrap_or(&[]);
        let comm = core::str::from_utf8(comm).unwrap_or("?");
        match s.state {
            0 => writeln!(out, "{point}\t{}\tarmed\t-", s.pid)?,
            1 => writeln!(out, "{point}\t{}\tpaused\t{} {comm}", s.pid, s.task)?,
            _ => writeln!(out, "{point}\t{}\treleased\t{} {comm}", s.pid, s.task)?,
        }
    }
    Ok(())
}

/// A pause file command, as debugfs.c's grammar has them.
#[derive(Clone, Copy, Debug, PartialEq)]
enum PauseCmd {
    Reset,
    Barrier,
    Arm(Point, i32),
    Release(Point, i32),
    Wait(Point, i32, u32),
}

impl TryFrom<&str> for PauseCmd {
    type Error = Error;

    /// "arm|release POINT PID", "wait POINT PID [TIMEOUT_MS]", "reset" or
    /// "barrier": EINVAL for anything else.
    fn try_from(cmd: &str) -> Result<PauseCmd> {
        let mut argv = [""; 4];
        let mut argc = 0;
        for word in cmd.split_ascii_whitespace() {
            *argv.get_mut(argc).ok_or(EINVAL)? = word;
            argc += 1;
        }
        let (verb, point, pid, ms) = match argv[..argc] {
            ["reset"] => return Ok(PauseCmd::Reset),
            ["barrier"] => return Ok(PauseCmd::Barrier),
            [verb, point, pid] => (verb, point, pid, None),
            [verb, point, pid, ms] => (verb, point, pid, Some(ms)),
            _ => return Err(EINVAL),
        };
        let point = Point::try_from(point)?;
        let pid = pid
            .parse::<i32>()
            .ok()
            .filter(|p| (1..PID_MAX).contains(p))
            .ok_or(EINVAL)?;
        match (verb, ms) {
            ("arm", None) => Ok(PauseCmd::Arm(point, pid)),
            ("release", None) => Ok(PauseCmd::Release(point, pid)),
            ("wait", None) => Ok(PauseCmd::Wait(point, pid, PAUSE_WAIT_MS)),
            ("wait", Some(ms)) => ms
                .parse::<u32>()
                .ok()
                .filter(|ms| (1..=PAUSE_WAIT_MAX_MS).contains(ms))
                .map(|ms| PauseCmd::Wait(point, pid, ms))
                .ok_or(EINVAL),
            _ => Err(EINVAL),
        }
    }
}

/// One command per write (at most `PAUSE_CMD_MAX` bytes; glue.c's open
/// lets only root write).
fn pause_write(reg: &Registry, mut r: UserSliceReader) -> Result {
    let mut buf = [0u8; PAUSE_CMD_MAX];
    let len = r.len();

    if len == 0 || len > PAUSE_CMD_MAX {
        return Err(EINVAL);
    }
    r.read_slice(&mut buf[..len])?;
    let cmd = core::str::from_utf8(&buf[..len]).map_err(|_| EINVAL)?;
    match PauseCmd::try_from(cmd)? {
        PauseCmd::Reset => {
            // SAFETY: process context, no lock held.
            unsafe { vr_pause_release_all() };
            Ok(())
        }
        PauseCmd::Barrier => {
            // SAFETY: process context, no lock held.
            unsafe { vr_rs_settle() }; // as C's rcu_barrier(): every put has run
            Ok(())
        }
        PauseCmd::Arm(point, pid) => reg.arm_pause(point, pid),
        PauseCmd::Release(point, pid) => {
            // SAFETY: process context, no lock held.
            to_result(unsafe { vr_pause_release(point as c_int, pid) })
        }
        PauseCmd::Wait(point, pid, ms) => {
            let timeout = msecs_to_jiffies(ms);
            // SAFETY: process context, no lock held; bounded by `timeout`.
            to_result(unsafe { vr_pause_wait(point as c_int, pid, timeout) })
        }
    }
}

/// The stats file's show (glue.c settled the deferred puts first).
///
/// # Safety
///
/// `m` is the seq_file of a show() in progress, which only this thread
/// uses until it returns.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_stats_print(m: *mut c_void) {
    // SAFETY: by the caller.
    let m = unsafe { SeqFile::from_raw(m.cast()) };
    // A full buffer is the seq_file's to retry; nothing else fails.
    let _ = stats_show(&mut SeqOut(m));
}

/// The pause file's show.
///
/// # Safety
///
/// As for `vr_rs_stats_print()`; no spinlock held.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_pause_print(m: *mut c_void) {
    // SAFETY: by the caller.
    let m = unsafe { SeqFile::from_raw(m.cast()) };
    let _ = pause_show(&mut SeqOut(m));
}

/// A write of the pause file: 0 or -errno.
///
/// # Safety
///
/// `reg` as for `registry()`; `buf` is the write's user pointer, `len` its
/// length; process context, no lock held.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_pause_cmd(
    reg: *const c_void,
    buf: *const c_void,
    len: usize,
) -> c_int {
    // SAFETY: by the caller.
    let reg = unsafe { registry(reg) };
    let r = UserSlice::new(UserPtr::from_ptr(buf.cast_mut()), len).reader();
    from_result(|| pause_write(reg, r).map(|()| 0))
}

/// The module: its registry, the C glue over it, and the misc device.
/// Fields drop in this order: the device goes first (no new owners), then
/// the glue (debugfs, /proc, paused tasks, every deferred put), then the
/// pprocs.
#[pin_data(PinnedDrop)]
struct VmarRaceRs {
    #[pin]
    miscdev: MiscDeviceRegistration<Owner>,
    glue: Glue,
    #[pin]
    registry: Registry,
}

/// glue.c's part of the module, initialised over the registry.
struct Glue;

impl Glue {
    /// # Safety
    ///
    /// `reg` is pinned and outlives the returned `Glue`.
    unsafe fn new(reg: *const Registry) -> Result<Glue> {
        // SAFETY: by the caller.
        to_result(unsafe { vr_rs_glue_init(reg.cast()) })?;
        Ok(Glue)
    }
}

impl Drop for Glue {
    fn drop(&mut self) {
        // SAFETY: made by `Glue::new()`, whose success this `Glue` is: after
        // this no glue call reaches the registry and every deferred put
        // has run.
        unsafe { vr_rs_glue_exit() };
    }
}

impl kernel::InPlaceModule for VmarRaceRs {
    fn init(_module: &'static ThisModule) -> impl PinInit<Self, Error> {
        try_pin_init!(&this in Self {
            registry <- Registry::new(),
            // SAFETY: `registry` is initialised just above, in place in the
            // pinned module, and drops after `glue`.
            glue: unsafe { Glue::new(&raw const (*this.as_ptr()).registry)? },
            miscdev <- MiscDeviceRegistration::register(MiscDeviceOptions {
                name: c"vmar_race_rs",
            }),
        })
    }
}

#[pinned_drop]
impl PinnedDrop for VmarRaceRs {
    fn drop(self: Pin<&mut Self>) {
        let n = self.registry.inner.lock().nr;
        pr_info!("unloaded with {} pprocs not reaped\n", n);
    }
}

// ---- KUnit: the Rust logic, on a registry of the suites' own ----

#[kunit_tests(vmar_race_rs_maps)]
mod maps_tests {
    use super::*;

    const P: u64 = PAGE;
    const ROOMY: Limits = Limits {
        maps: 100,
        pages: 1000,
    };

    fn starts(v: &Vmar) -> Result<KVec<(u64, u64)>> {
        let maps = v.maps.lock();
        let mut out = KVec::new();
        for (&s, m) in maps.tree.iter() {
            out.push((s, m.end), GFP_KERNEL)?;
        }
        Ok(out)
    }

    #[test]
    fn touch_merges_ranges_and_counts_pages_once() -> Result {
        let mut m = Mapping {
            end: 10 * P,
            flags: 0,
            touched: KVec::new(),
        };
        m.touch(0, 2)?;
        m.touch(1, 3)?;
        m.touch(5, 6)?;
        m.touch(3, 3)?;
        assert_eq!(&m.touched[..], &[(0, 3), (5, 6)][..]);
        assert_eq!(m.rss(), 4 * P);
        m.touch(2, 6)?;
        assert_eq!(&m.touched[..], &[(0, 6)][..]);
        Ok(())
    }

    #[test]
    fn clip_keeps_only_the_touched_pages_inside() -> Result {
        let mut m = Mapping {
            end: 10 * P,
            flags: 1,
            touched: KVec::new(),
        };
        m.touch(0, 4)?;
        m.touch(8, 10)?;
        let c = m.clip(0, 2 * P, 9 * P)?;
        assert_eq!(c.end, 9 * P);
        assert_eq!(c.flags, 1);
        assert_eq!(&c.touched[..], &[(2, 4), (8, 9)][..]);
        Ok(())
    }

    #[test]
    fn map_refuses_overlaps_and_limits() -> Result {
        let v = Vmar::new(0)?;
        v.map(0, 0, 4 * P, ROOMY)?;
        assert_eq!(v.map(0, 2 * P, 6 * P, ROOMY), Err(EEXIST));
        assert_eq!(v.map(0, 0, P, ROOMY), Err(EEXIST));
        v.map(0, 4 * P, 5 * P, ROOMY)?;
        let two = Limits {
            maps: 2,
            pages: 1000,
        };
        assert_eq!(v.map(0, 8 * P, 9 * P, two), Err(ENOMEM));
        let six = Limits {
            maps: 100,
            pages: 6,
        };
        assert_eq!(v.map(0, 8 * P, 10 * P, six), Err(ENOMEM));
        v.map(0, 8 * P, 9 * P, six)?;
        let s = v.snap();
        assert_eq!((s.nr, s.total), (3, 6 * P));
        Ok(())
    }

    #[test]
    fn unmap_cuts_splits_and_keeps_max_maps() -> Result {
        let v = Vmar::new(0)?;
        v.map(0, 0, 10 * P, ROOMY)?;
        v.touch(0, 10 * P)?;
        let one = Limits {
            maps: 1,
            pages: 1000,
        };
        assert_eq!(v.unmap(4 * P, 6 * P, one), Err(ENOMEM));
        assert_eq!(&starts(&v)?[..], &[(0, 10 * P)][..]);
        v.unmap(4 * P, 6 * P, ROOMY)?;
        assert_eq!(&starts(&v)?[..], &[(0, 4 * P), (6 * P, 10 * P)][..]);
        let s = v.snap();
        assert_eq!((s.nr, s.total, s.anon), (2, 8 * P, 8 * P));
        v.unmap(2 * P, 8 * P, one)?; // cuts two edges: no split
        assert_eq!(&starts(&v)?[..], &[(0, 2 * P), (8 * P, 10 * P)][..]);
        v.unmap(0, 20 * P, ROOMY)?;
        assert_eq!(v.snap().nr, 0);
        Ok(())
    }

    /// Over many batches (the lock let go between them), with both edges
    /// cut: the same result as in one.
    #[test]
    fn unmap_over_many_batches() -> Result {
        let v = Vmar::new(0)?;
        for i in 0..100 {
            v.map(
                0,
                2 * i * P,
                (2 * i + 2) * P,
                Limits {
                    maps: 200,
                    pages: 1000,
                },
            )?;
        }
        v.unmap(P, 199 * P, ROOMY)?;
        assert_eq!(&starts(&v)?[..], &[(0, P), (199 * P, 200 * P)][..]);
        let s = v.snap();
        assert_eq!((s.nr, s.total), (2, 2 * P));
        Ok(())
    }

    #[test]
    fn touch_needs_the_whole_range_mapped() -> Result {
        let v = Vmar::new(0)?;
        assert_eq!(v.touch(0, P), Err(ENOMEM));
        v.map(MAP_FILE, 0, 2 * P, ROOMY)?;
        v.map(0, 3 * P, 4 * P, ROOMY)?;
        assert_eq!(v.touch(0, 4 * P), Err(ENOMEM));
        v.touch(0, 2 * P)?;
        let s = v.snap();
        assert_eq!((s.file, s.anon), (2 * P, 0));
        Ok(())
    }
}

#[kunit_tests(vmar_race_rs_registry)]
mod registry_tests {
    use super::*;

    /// A registry of the suite's own (shared with `read_tests`).
    pub(super) fn registry() -> Result<Pin<KBox<Registry>>> {
        KBox::pin_init(Registry::new(), GFP_KERNEL)
    }

    /// A pproc name from `s` (at most `NAME_LEN - 1` bytes).
    pub(super) fn name_of(s: &[u8]) -> [u8; NAME_LEN] {
        let mut n = [0; NAME_LEN];
        n[..s.len()].copy_from_slice(s);
        n
    }

    fn name() -> [u8; NAME_LEN] {
        name_of(b"test")
    }

    #[test]
    fn pause_commands_parse_as_debugfs_c() -> Result {
        use PauseCmd::*;
        let ok: [(&str, PauseCmd); 8] = [
            ("reset", Reset),
            (" barrier\n", Barrier),
            ("arm held 7", Arm(Point::Held, 7)),
            (
                "release  published\t4194303\n",
                Release(Point::Published, PID_MAX - 1),
            ),
            ("wait free 3", Wait(Point::Free, 3, PAUSE_WAIT_MS)),
            ("wait cleared 3 1", Wait(Point::Cleared, 3, 1)),
            (
                "wait found 3 60000",
                Wait(Point::Found, 3, PAUSE_WAIT_MAX_MS),
            ),
            ("arm found +5", Arm(Point::Found, 5)),
        ];
        for (cmd, want) in ok {
            assert_eq!(PauseCmd::try_from(cmd), Ok(want));
        }
        for cmd in [
            "",
            " ",
            "frob held 7",
            "arm bogus 7",
            "arm cred 7",
            "arm held",
            "arm held 0",
            "arm held -3",
            "arm held 12abc",
            "arm held 4194304",
            "arm held 7 10",
            "release held 7 10",
            "wait held 7 0",
            "wait held 7 60001",
            "wait held 7 1 2",
            "reset 1",
            "barrier now",
        ] {
            assert_eq!((cmd, PauseCmd::try_from(cmd)), (cmd, Err(EINVAL)));
        }
        Ok(())
    }

    #[test]
    fn spawned_pid_is_unfindable_until_published() -> Result {
        let reg = registry()?;
        let pid = reg.spawn(name(), 1, 10)?;
        assert_eq!(reg.find(pid).err(), Some(ESRCH));
        assert!(reg.next(0).is_none());
        assert_eq!(reg.reap(pid), Err(ESRCH));
        reg.publish(pid);
        assert_eq!(reg.find(pid)?.pid, pid);
        assert_eq!(reg.next(0).map(|pp| pp.pid), Some(pid));
        reg.find(pid)?.exit()?;
        reg.reap(pid)
    }

    #[test]
    fn reap_takes_zombies_only_and_once() -> Result {
        let reg = registry()?;
        let pid = reg.spawn(name(), 1, 10)?;
        reg.publish(pid);
        let pp = reg.find(pid)?;
        assert_eq!(reg.reap(pid), Err(EINVAL));
        pp.exit()?;
        assert_eq!(pp.exit(), Err(EINVAL));
        assert_eq!(pp.vmar().err(), Some(EINVAL));
        reg.reap(pid)?;
        assert!(pp.reaped.load(Ordering::Acquire));
        assert_eq!(reg.reap(pid), Err(ESRCH));
        assert_eq!(reg.find(pid).err(), Some(ESRCH));
        Ok(())
    }

    #[test]
    fn max_procs_counts_zombies_and_abort_frees_the_slot() -> Result {
        let reg = registry()?;
        let a = reg.spawn(name(), 1, 2)?;
        let b = reg.spawn(name(), 1, 2)?;
        assert_eq!(reg.spawn(name(), 1, 2), Err(EAGAIN));
        reg.abort(b);
        assert_eq!(reg.find(b).err(), Some(ESRCH));
        let c = reg.spawn(name(), 1, 2)?;
        assert!(c != a && c != b);
        for pid in [a, c] {
            reg.publish(pid);
            reg.find(pid)?.exit()?;
        }
        assert_eq!(reg.spawn(name(), 1, 2), Err(EAGAIN));
        reg.reap(a)?;
        reg.reap(c)
    }

    #[test]
    fn release_exits_only_the_owners_running_pprocs() -> Result {
        let reg = registry()?;
        let mine = [reg.spawn(name(), 7, 10)?, reg.spawn(name(), 7, 10)?];
        let other = reg.spawn(name(), 8, 10)?;
        for pid in [mine[0], mine[1], other] {
            reg.publish(pid);
        }
        reg.find(mine[1])?.exit()?;
        reg.release(7);
        for pid in mine {
            assert!(reg.find(pid)?.exited.load(Ordering::Acquire));
            reg.reap(pid)?;
        }
        assert!(!reg.find(other)?.exited.load(Ordering::Acquire));
        reg.release(8);
        reg.reap(other)
    }
}

#[kunit_tests(vmar_race_rs_read)]
mod read_tests {
    use super::registry_tests::{name_of, registry};
    use super::*;

    /// What a read rendered.
    struct Buf(KVec<u8>);

    impl Write for Buf {
        fn write_str(&mut self, s: &str) -> fmt::Result {
            self.0
                .extend_from_slice(s.as_bytes(), GFP_KERNEL)
                .map_err(|_| fmt::Error)
        }
    }

    impl Buf {
        fn has(&self, needle: &str) -> bool {
            self.0.windows(needle.len()).any(|w| w == needle.as_bytes())
        }
    }

    fn read(pp: &PProc, file: File, mode: Mode) -> Result<Buf> {
        let mut b = Buf(KVec::new());
        pp.read(file, mode, &mut b)?;
        Ok(b)
    }

    /// A published pproc with one touched anonymous page at 0x1000.
    fn live(reg: &Registry) -> Result<Arc<PProc>> {
        let pid = reg.spawn(name_of(b"rdr1"), 1, 10)?;
        reg.publish(pid);
        let pp = reg.find(pid)?;
        let v = pp.vmar()?;
        v.map(
            3,
            PAGE,
            2 * PAGE,
            Limits {
                maps: 10,
                pages: 10,
            },
        )?;
        v.touch(PAGE, 2 * PAGE)?;
        Ok(pp)
    }

    /// Every safe read path shows a live pproc with its VMAR and a zombie
    /// without one; a reaped one is ESRCH. buggy fails a zombie's read
    /// (quietly here: its panic is the forced rows').
    #[test]
    fn each_read_path_on_a_live_and_an_exited_pproc() -> Result {
        let reg = registry()?;
        for mode in [
            Mode::Buggy(UnwrapFail::Quiet),
            Mode::Checked,
            Mode::Fixed,
            Mode::Rcu,
        ] {
            let pp = live(&reg)?;
            let b = read(&pp, File::Status, mode)?;
            assert!(b.has("Name:\trdr1\nState:\tR (running)\n"));
            assert!(b.has("VmRSS:\t       4 kB\n"));
            let m = read(&pp, File::Maps, mode)?;
            assert!(m.has("00001000-00002000 rw-p 00000000 00:00 0\n"));
            if matches!(mode, Mode::Buggy(_)) {
                pp.exit()?;
                assert_eq!(read(&pp, File::Status, mode).err(), Some(EIO));
                assert_eq!(read(&pp, File::Maps, mode).err(), Some(EIO));
                reg.reap(pp.pid)?;
                continue;
            }
            pp.exit()?;
            let b = read(&pp, File::Status, mode)?;
            assert!(b.has("State:\tZ (zombie)\n"));
            assert!(!b.has("VmSize"));
            assert_eq!(read(&pp, File::Maps, mode)?.0.len(), 0);
            reg.reap(pp.pid)?;
            assert_eq!(read(&pp, File::Status, mode).err(), Some(ESRCH));
        }
        Ok(())
    }

    /// SETIDS changes the Uid:/Gid: lines while running; EINVAL once exited.
    #[test]
    fn setids_while_running_only() -> Result {
        let reg = registry()?;
        let pp = live(&reg)?;
        pp.setids(1000, 2000)?;
        let b = read(&pp, File::Status, Mode::Fixed)?;
        assert!(b.has("Uid:\t1000\t1000\t1000\t1000\nGid:\t2000\t2000\t2000\t2000\n"));
        pp.exit()?;
        assert_eq!(pp.setids(0, 0).err(), Some(EINVAL));
        reg.reap(pp.pid)
    }

    /// The lock-free path (rcu's, and the maps buffer's size) sees the
    /// VMAR until exit clears it.
    #[test]
    fn vmar_rcu_is_gone_once_exited() -> Result {
        let reg = registry()?;
        let pp = live(&reg)?;
        assert_eq!(pp.vmar_rcu().map(|v| v.snap().nr), Some(1));
        pp.exit()?;
        assert!(pp.vmar_rcu().is_none());
        reg.reap(pp.pid)
    }

    #[test]
    fn file_and_mode_numbers_are_checked() {
        assert!(File::try_from(2).is_err());
        assert!(File::try_from(-1).is_err());
        assert!(Mode::try_from((4, 0)).is_err() || cfg!(vr_uaf));
        assert!(matches!(Mode::try_from((3, 9)), Ok(Mode::Rcu)));
        assert!(Mode::try_from((0, 4)).is_err());
        assert!(matches!(
            Mode::try_from((0, 2)),
            Ok(Mode::Buggy(UnwrapFail::Warn))
        ));
    }
}
