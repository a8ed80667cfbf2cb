//! A counting global allocator.
//!
//! A binary opts in with
//! `#[global_allocator] static ALLOC: benches::alloc::Counting = benches::alloc::Counting;`.
//! Counts are per thread, so tests running in parallel do not see each
//! other's allocations.

use std::alloc::{GlobalAlloc, Layout, System};
use std::cell::Cell;

thread_local! {
    static ALLOCATIONS: Cell<u64> = const { Cell::new(0) };
    static ALLOCATED_BYTES: Cell<u64> = const { Cell::new(0) };
}

/// The system allocator, counting allocations (and reallocations) per thread.
#[derive(Clone, Copy, Debug, Default)]
pub struct Counting;

fn record(size: usize) {
    // `try_with`: the thread-local may be gone while a thread shuts down.
    let _ = ALLOCATIONS.try_with(|n| n.set(n.get() + 1));
    let _ = ALLOCATED_BYTES.try_with(|n| n.set(n.get() + size as u64));
}

// SAFETY: every call is forwarded to `System` unchanged; the counters are
// const-initialised thread-locals without destructors, so touching them never
// allocates or reenters the allocator.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: the caller upholds `GlobalAlloc::alloc`'s contract.
        unsafe { System.alloc(layout) }
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        record(layout.size());
        // SAFETY: as for `alloc`.
        unsafe { System.alloc_zeroed(layout) }
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: the caller upholds `GlobalAlloc::dealloc`'s contract.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        record(new_size);
        // SAFETY: the caller upholds `GlobalAlloc::realloc`'s contract.
        unsafe { System.realloc(ptr, layout, new_size) }
    }
}

/// Allocations made on this thread (counted only under [`Counting`]).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Allocations {
    /// Calls to `alloc`, `alloc_zeroed` and `realloc`.
    pub count: u64,
    /// Bytes requested by those calls.
    pub bytes: u64,
}

impl Allocations {
    /// The counts so far on this thread.
    pub fn now() -> Self {
        Self {
            count: ALLOCATIONS.with(Cell::get),
            bytes: ALLOCATED_BYTES.with(Cell::get),
        }
    }

    /// The allocations made on this thread while `f` ran, and its result.
    pub fn during<T>(f: impl FnOnce() -> T) -> (Self, T) {
        let before = Self::now();
        let result = f();
        let after = Self::now();
        (
            Self {
                count: after.count - before.count,
                bytes: after.bytes - before.bytes,
            },
            result,
        )
    }
}

/// Allocations per event of each contender in one benchmark group, printed as
/// they are measured and saved for `benches/report.py` as
/// `<criterion dir>/allocations/<group>.tsv` (group `/` written as `_`).
#[derive(Debug)]
pub struct AllocationReport {
    group: String,
    rows: Vec<(String, Allocations, u64)>,
}

impl AllocationReport {
    /// An empty report for `group`.
    pub fn new(group: &str) -> Self {
        Self {
            group: group.to_owned(),
            rows: Vec::new(),
        }
    }

    /// Records (and prints) what one decode of the workload by `contender` allocated.
    pub fn record(&mut self, contender: &str, allocations: Allocations, events: u64) {
        println!(
            "allocations {}/{contender}: {:.3} per event ({} allocations, {} bytes, {events} events)",
            self.group,
            allocations.count as f64 / events.max(1) as f64,
            allocations.count,
            allocations.bytes,
        );
        self.rows.retain(|(name, ..)| name != contender);
        self.rows.push((contender.to_owned(), allocations, events));
    }

    /// Writes the report (if anything was recorded); a failure is printed, not fatal.
    pub fn save(&self) {
        if self.rows.is_empty() {
            return;
        }
        let dir = criterion_dir().join("allocations");
        let mut text = String::from("contender\tallocations\tbytes\tevents\n");
        for (name, allocations, events) in &self.rows {
            text.push_str(&format!(
                "{name}\t{}\t{}\t{events}\n",
                allocations.count, allocations.bytes
            ));
        }
        let file = dir.join(format!("{}.tsv", self.group.replace('/', "_")));
        if let Err(error) = std::fs::create_dir_all(&dir).and_then(|()| std::fs::write(&file, text))
        {
            eprintln!("could not write {}: {error}", file.display());
        }
    }
}

/// Where criterion writes its results: `$CRITERION_HOME`, else
/// `$CARGO_TARGET_DIR/criterion`, else the workspace's `target/criterion`.
pub fn criterion_dir() -> std::path::PathBuf {
    if let Some(home) = std::env::var_os("CRITERION_HOME") {
        return home.into();
    }
    if let Some(target) = std::env::var_os("CARGO_TARGET_DIR") {
        return std::path::PathBuf::from(target).join("criterion");
    }
    std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../target/criterion")
}
