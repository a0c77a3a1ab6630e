// SPDX-License-Identifier: GPL-2.0

//! vmar_race_rs (race.rs): the vmar_race race in Rust, in Asterinas's shape.
//!
//! Lifetime rules:
//! - The registry owns an `Arc<PProc>` per pid from spawn to reap; a reader
//!   clones one under the registry lock and lets go of the lock at once.
//! - A pproc's VMAR lives in `Mutex<Option<Arc<Vmar>>>`: exit takes the
//!   `Option` out (`None` from then on) and drops its `Arc`; a reader that
//!   wants the VMAR after the guard is gone clones the `Arc` under the guard.
//! - Lock order: registry, then a pproc's slot, then a VMAR's mappings.
//!
//! The misc device, /proc files and the module parameter are C glue
//! (glue.c): Linux 6.12 has no Rust miscdevice, procfs or parameters. The
//! glue calls the `vr_rs_*` functions below with the registry it was given
//! at init; the lifetime logic is all here, and the read paths have no
//! `unsafe`.

use core::ffi::{c_char, c_int, c_void};
use core::fmt::Write;
use kernel::prelude::*;
use kernel::rbtree::RBTree;
use kernel::sync::{new_mutex, Arc, Mutex};

module! {
    type: VmarRaceRs,
    name: "vmar_race_rs",
    author: "vmar_race developers",
    description: "The vmar_race registry and read paths in Rust (Asterinas's shape)",
    license: "GPL",
}

const PAGE: u64 = 4096;
const MAP_FILE: u32 = 0x8; // VMAR_RACE_MAP_FILE; READ 1, WRITE 2, EXEC 4
const MAP_FLAGS: u32 = 0xf;
// The C module's default max_procs and max_maps (the twin has no parameters).
const MAX_PROCS: usize = 32768;
const MAX_MAPS: usize = 65530;
const NAME_LEN: usize = 16;

/// One mapping; `touched` holds disjoint sorted page ranges `[a, b)`.
struct Mapping {
    start: u64,
    end: u64,
    flags: u32,
    touched: KVec<(u64, u64)>,
}

impl Mapping {
    fn rss(&self) -> u64 {
        self.touched.iter().map(|&(a, b)| b - a).sum::<u64>() * PAGE
    }

    /// The part of this mapping in `[start, end)`, with its touched pages.
    fn clip(&self, start: u64, end: u64) -> Result<Mapping> {
        let (start, end) = (start.max(self.start), end.min(self.end));
        let mut touched = KVec::new();
        for &(a, b) in self.touched.iter() {
            let (a, b) = (a.max(start / PAGE), b.min(end / PAGE));
            if a < b {
                touched.push((a, b), GFP_KERNEL)?;
            }
        }
        Ok(Mapping { start, end, flags: self.flags, touched })
    }

    /// Marks pages `[a, b)` touched (each page counts once).
    fn touch(&mut self, a: u64, b: u64) -> Result {
        let mut merged = KVec::new();
        let (mut a, mut b) = (a, b);
        let mut placed = false;
        for &(x, y) in self.touched.iter() {
            if y < a {
                merged.push((x, y), GFP_KERNEL)?;
            } else if b < x {
                if !placed {
                    merged.push((a, b), GFP_KERNEL)?;
                    placed = true;
                }
                merged.push((x, y), GFP_KERNEL)?;
            } else {
                a = a.min(x);
                b = b.max(y);
            }
        }
        if !placed {
            merged.push((a, b), GFP_KERNEL)?;
        }
        self.touched = merged;
        Ok(())
    }
}

/// A VMAR: the address space of a pproc, its mappings sorted by start.
#[pin_data]
struct Vmar {
    #[pin]
    maps: Mutex<KVec<Mapping>>,
}

/// What a status or maps read shows of a VMAR, taken under its lock.
struct VmarSnap {
    total: u64,
    anon: u64,
    file: u64,
    nr: usize,
}

impl Vmar {
    fn new() -> Result<Arc<Vmar>> {
        Arc::pin_init(pin_init!(Vmar { maps <- new_mutex!(KVec::new()) }), GFP_KERNEL)
    }

    fn snap(&self) -> VmarSnap {
        let maps = self.maps.lock();
        let mut s = VmarSnap { total: 0, anon: 0, file: 0, nr: maps.len() };
        for m in maps.iter() {
            s.total += m.end - m.start;
            if m.flags & MAP_FILE != 0 {
                s.file += m.rss();
            } else {
                s.anon += m.rss();
            }
        }
        s
    }

    fn map(&self, flags: u32, start: u64, end: u64) -> Result {
        let mut maps = self.maps.lock();
        if maps.iter().any(|m| m.start < end && start < m.end) {
            return Err(EEXIST);
        }
        if maps.len() >= MAX_MAPS {
            return Err(ENOMEM);
        }
        let m = Mapping { start, end, flags, touched: KVec::new() };
        let mut next = KVec::with_capacity(maps.len() + 1, GFP_KERNEL)?;
        let mut m = Some(m);
        for old in core::mem::replace(&mut *maps, KVec::new()) {
            if old.start > start {
                if let Some(m) = m.take() {
                    next.push(m, GFP_KERNEL)?;
                }
            }
            next.push(old, GFP_KERNEL)?;
        }
        if let Some(m) = m {
            next.push(m, GFP_KERNEL)?;
        }
        *maps = next;
        Ok(())
    }

    /// Unmaps `[start, end)`: mappings inside go, ones across it are split.
    fn unmap(&self, start: u64, end: u64) -> Result {
        let mut maps = self.maps.lock();
        let mut next = KVec::new();
        for m in maps.iter() {
            if m.end <= start || end <= m.start {
                next.push(m.clip(m.start, m.end)?, GFP_KERNEL)?;
                continue;
            }
            if m.start < start {
                next.push(m.clip(m.start, start)?, GFP_KERNEL)?;
            }
            if end < m.end {
                next.push(m.clip(end, m.end)?, GFP_KERNEL)?;
            }
        }
        *maps = next;
        Ok(())
    }

    /// Touches `[start, end)`, which must be mapped throughout (ENOMEM).
    fn touch(&self, start: u64, end: u64) -> Result {
        let mut maps = self.maps.lock();
        let mut at = start;
        for m in maps.iter() {
            if m.start <= at && at < m.end {
                at = m.end;
            }
        }
        if at < end {
            return Err(ENOMEM);
        }
        for m in maps.iter_mut() {
            let (a, b) = (start.max(m.start), end.min(m.end));
            if a < b {
                m.touch(a / PAGE, b / PAGE)?;
            }
        }
        Ok(())
    }
}

/// A pseudo-process. `vmar` is `None` once it exited (a zombie).
#[pin_data]
struct PProc {
    pid: i32,
    ppid: i32,
    owner: usize,
    name: [u8; NAME_LEN],
    #[pin]
    vmar: Mutex<Option<Arc<Vmar>>>,
}

impl PProc {
    fn name(&self) -> &str {
        let n = self.name.iter().position(|&c| c == 0).unwrap_or(NAME_LEN);
        core::str::from_utf8(&self.name[..n]).unwrap_or("?")
    }

    /// Exit: take the VMAR out of the slot, drop it after the guard.
    fn exit(&self) -> Result {
        let old = self.vmar.lock().take();
        match old {
            Some(_) => Ok(()),
            None => Err(EINVAL),
        }
    }

    /// The VMAR for an ioctl, which refuses zombies (EINVAL).
    fn vmar(&self) -> Result<Arc<Vmar>> {
        self.vmar.lock().clone().ok_or(EINVAL)
    }
}

/// The read paths, selected by the `mode` parameter (glue.c).
#[derive(Clone, Copy)]
enum Mode {
    Buggy,
    Checked,
    Fixed,
    #[cfg(vr_uaf)]
    Uaf,
}

impl Mode {
    fn from_c(mode: c_int) -> Result<Mode> {
        match mode {
            0 => Ok(Mode::Buggy),
            1 => Ok(Mode::Checked),
            2 => Ok(Mode::Fixed),
            #[cfg(vr_uaf)]
            3 => Ok(Mode::Uaf),
            _ => Err(EINVAL),
        }
    }
}

/// A `core::fmt::Write` over the glue's buffer; ENOSPC when full.
struct Out<'a> {
    buf: &'a mut [u8],
    len: usize,
}

impl Write for Out<'_> {
    fn write_str(&mut self, s: &str) -> core::fmt::Result {
        let end = self.len.checked_add(s.len()).ok_or(core::fmt::Error)?;
        let dst = self.buf.get_mut(self.len..end).ok_or(core::fmt::Error)?;
        dst.copy_from_slice(s.as_bytes());
        self.len = end;
        Ok(())
    }
}

/// Which file a read renders.
#[derive(Clone, Copy, PartialEq)]
enum File {
    Status,
    Maps,
}

/// Renders `pp` with `vmar` (`None`: a zombie, no Vm lines as on Linux).
fn render(pp: &PProc, vmar: Option<&Vmar>, file: File, out: &mut Out<'_>) -> Result {
    let full = |_| ENOSPC;
    if file == File::Maps {
        if let Some(v) = vmar {
            for m in v.maps.lock().iter() {
                let r = if m.flags & 1 != 0 { 'r' } else { '-' };
                let w = if m.flags & 2 != 0 { 'w' } else { '-' };
                let x = if m.flags & 4 != 0 { 'x' } else { '-' };
                let tail = if m.flags & MAP_FILE != 0 { "    [vmar_race:file]" } else { "" };
                writeln!(out, "{:08x}-{:08x} {r}{w}{x}p 00000000 00:00 0{tail}", m.start, m.end)
                    .map_err(full)?;
            }
        }
        return Ok(());
    }
    let state = if vmar.is_some() { "R (running)" } else { "Z (zombie)" };
    write!(out, "Name:\t{}\nState:\t{}\nPid:\t{}\nPPid:\t{}\n", pp.name(), state, pp.pid, pp.ppid)
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

// ---- the read paths, side by side ----

/// buggy: Asterinas before the fix. Lock the slot and unwrap it: a pproc
/// that exited has `None` there, and `unwrap()` panics (a `BUG()`).
fn read_buggy(pp: &PProc, file: File, out: &mut Out<'_>) -> Result {
    let guard = pp.vmar.lock();
    let vmar = guard.as_ref().unwrap();
    render(pp, Some(vmar), file, out)
}

/// checked: Asterinas's fix for its issue 2194, still what it does today.
/// `None` renders a zombie; the render runs under the guard.
fn read_checked(pp: &PProc, file: File, out: &mut Out<'_>) -> Result {
    let guard = pp.vmar.lock();
    render(pp, guard.as_deref(), file, out)
}

/// fixed: Linux's get_task_mm(). Clone the `Arc` under the lock, drop the
/// guard, render on our own reference (dropped at the end).
fn read_fixed(pp: &PProc, file: File, out: &mut Out<'_>) -> Result {
    let vmar = pp.vmar.lock().clone();
    render(pp, vmar.as_deref(), file, out)
}

/// uaf: the C module's unlocked read cannot be written in safe Rust (unsafe
/// code could; this proves the safe subset refuses it). Keeping a
/// `&Vmar` from the guard past the guard is what the borrow checker
/// rejects (`make check` builds this with `--cfg vr_uaf` and wants E0597).
#[cfg(vr_uaf)]
fn read_uaf(pp: &PProc, file: File, out: &mut Out<'_>) -> Result {
    let vmar: &Vmar = {
        let guard = pp.vmar.lock();
        guard.as_ref().unwrap()
    };
    render(pp, Some(vmar), file, out)
}

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
}

impl Registry {
    fn find(&self, pid: i32) -> Result<Arc<PProc>> {
        self.inner.lock().procs.get(&pid).cloned().ok_or(ESRCH)
    }

    fn spawn(&self, name: [u8; NAME_LEN], owner: usize, ppid: i32) -> Result<i32> {
        let mut inner = self.inner.lock();
        if inner.nr >= MAX_PROCS {
            return Err(EAGAIN);
        }
        // Cyclic pids, never one still registered (a zombie keeps its pid).
        let mut pid = inner.last_pid;
        loop {
            pid = if pid >= i32::MAX - 1 { 1 } else { pid + 1 };
            if inner.procs.get(&pid).is_none() {
                break;
            }
        }
        let vmar = Vmar::new()?;
        let pp = Arc::pin_init(
            pin_init!(PProc { pid, ppid, owner, name, vmar <- new_mutex!(Some(vmar)) }),
            GFP_KERNEL,
        )?;
        inner.procs.try_create_and_insert(pid, pp, GFP_KERNEL)?;
        inner.nr += 1;
        inner.last_pid = pid;
        Ok(pid)
    }

    fn reap(&self, pid: i32) -> Result {
        let mut inner = self.inner.lock();
        let running = inner.procs.get(&pid).ok_or(ESRCH)?.vmar.lock().is_some();
        if running {
            return Err(EINVAL);
        }
        inner.procs.remove(&pid);
        inner.nr -= 1;
        Ok(())
    }

    /// The spawning file is closing: every pproc it spawned exits.
    fn release(&self, owner: usize) {
        for pp in self.inner.lock().procs.values() {
            if pp.owner == owner {
                let _ = pp.exit();
            }
        }
    }

    fn read(&self, pid: i32, file: File, mode: Mode, out: &mut Out<'_>) -> Result {
        let pp = self.find(pid)?;
        match mode {
            Mode::Buggy => read_buggy(&pp, file, out),
            Mode::Checked => read_checked(&pp, file, out),
            Mode::Fixed => read_fixed(&pp, file, out),
            #[cfg(vr_uaf)]
            Mode::Uaf => read_uaf(&pp, file, out),
        }
    }
}

// ---- the interface to glue.c ----

extern "C" {
    fn vr_rs_glue_init(reg: *const c_void) -> c_int;
    fn vr_rs_glue_exit();
}

fn to_c(r: Result<i32>) -> c_int {
    match r {
        Ok(v) => v,
        Err(e) => e.to_errno(),
    }
}

/// # Safety
///
/// `reg` is the pointer glue.c was given by `vr_rs_glue_init()`: the
/// registry outlives the glue (`vr_rs_glue_exit()` runs first).
unsafe fn registry<'a>(reg: *const c_void) -> &'a Registry {
    // SAFETY: see above.
    unsafe { &*reg.cast::<Registry>() }
}

/// Spawns a pproc named `name` (NUL-terminated within 16 bytes, checked by
/// the glue) for the file `owner`; returns its pid or -errno.
///
/// # Safety
///
/// `reg` as for `registry()`; `name` points to 16 readable bytes.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_spawn(
    reg: *const c_void,
    name: *const c_char,
    owner: usize,
    ppid: c_int,
) -> c_int {
    let mut n = [0u8; NAME_LEN];
    // SAFETY: `name` points to NAME_LEN bytes (the uapi struct's field).
    let src = unsafe { core::slice::from_raw_parts(name.cast::<u8>(), NAME_LEN) };
    n.copy_from_slice(src);
    // SAFETY: by the caller.
    to_c(unsafe { registry(reg) }.spawn(n, owner, ppid))
}

/// MAP (0), UNMAP (1) or TOUCH (2) of `[start, start + len)` in pid's VMAR.
///
/// # Safety
///
/// `reg` as for `registry()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_map(
    reg: *const c_void,
    op: c_int,
    pid: c_int,
    flags: u32,
    start: u64,
    len: u64,
) -> c_int {
    let r = (|| -> Result<i32> {
        let end = start.checked_add(len).ok_or(EINVAL)?;
        if len == 0 || start % PAGE != 0 || len % PAGE != 0 {
            return Err(EINVAL);
        }
        if flags & !MAP_FLAGS != 0 || (op != 0 && flags != 0) {
            return Err(EINVAL);
        }
        // SAFETY: by the caller.
        let vmar = unsafe { registry(reg) }.find(pid)?.vmar()?;
        match op {
            0 => vmar.map(flags, start, end)?,
            1 => vmar.unmap(start, end)?,
            2 => vmar.touch(start, end)?,
            _ => return Err(EINVAL),
        }
        Ok(0)
    })();
    to_c(r)
}

/// EXIT (0) or REAP (1) of pid.
///
/// # Safety
///
/// `reg` as for `registry()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_pid_op(reg: *const c_void, op: c_int, pid: c_int) -> c_int {
    // SAFETY: by the caller.
    let reg = unsafe { registry(reg) };
    to_c(match op {
        0 => reg.find(pid).and_then(|pp| pp.exit()).map(|_| 0),
        _ => reg.reap(pid).map(|_| 0),
    })
}

/// The file `owner` closes: its pprocs exit.
///
/// # Safety
///
/// `reg` as for `registry()`.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_release(reg: *const c_void, owner: usize) {
    // SAFETY: by the caller.
    unsafe { registry(reg) }.release(owner)
}

/// Renders pid's status (`file` 0) or maps (1) through read path `mode`
/// into `buf`; returns the length, or -ENOSPC (a bigger buffer, please),
/// -ESRCH, -EINVAL.
///
/// # Safety
///
/// `reg` as for `registry()`; `buf` points to `size` writable bytes.
#[no_mangle]
pub unsafe extern "C" fn vr_rs_read(
    reg: *const c_void,
    pid: c_int,
    file: c_int,
    mode: c_int,
    buf: *mut u8,
    size: usize,
) -> isize {
    // SAFETY: `buf` points to `size` writable bytes, by the caller.
    let buf = unsafe { core::slice::from_raw_parts_mut(buf, size) };
    let mut out = Out { buf, len: 0 };
    let file = if file == 0 { File::Status } else { File::Maps };
    // SAFETY: by the caller.
    let reg = unsafe { registry(reg) };
    match Mode::from_c(mode).and_then(|mode| reg.read(pid, file, mode, &mut out)) {
        Ok(()) => out.len as isize,
        Err(e) => e.to_errno() as isize,
    }
}

struct VmarRaceRs {
    registry: Pin<KBox<Registry>>,
}

impl kernel::Module for VmarRaceRs {
    fn init(_module: &'static ThisModule) -> Result<Self> {
        let registry = KBox::pin_init(
            pin_init!(Registry {
                inner <- new_mutex!(Inner { procs: RBTree::new(), nr: 0, last_pid: 0 }),
            }),
            GFP_KERNEL,
        )?;
        let reg: *const Registry = &*registry;
        // SAFETY: the registry is pinned and outlives the glue (drop()).
        let ret = unsafe { vr_rs_glue_init(reg.cast()) };
        if ret < 0 {
            return Err(Error::from_errno(ret));
        }
        Ok(VmarRaceRs { registry })
    }
}

impl Drop for VmarRaceRs {
    fn drop(&mut self) {
        // SAFETY: after this no glue call reaches the registry, which is
        // dropped next with every pproc still in it.
        unsafe { vr_rs_glue_exit() };
        let n = self.registry.inner.lock().nr;
        pr_info!("unloaded with {} pprocs not reaped\n", n);
    }
}
