//! The benches' clock: CPU time of the benchmarking thread by default.
//!
//! This machine is shared (2 cores, other jobs running), so wall-clock time
//! includes the time the bench thread spends descheduled. Thread CPU time
//! (`CLOCK_THREAD_CPUTIME_ID`) does not; every contender runs on the calling
//! thread (the futures executor included), so nothing is missed. Set
//! `SSE_BENCH_CLOCK=wall` for wall-clock time instead.

use std::time::{Duration, Instant};

use criterion::measurement::{Measurement, ValueFormatter, WallTime};

/// Thread CPU time (default) or wall-clock time, as a criterion measurement.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    cpu: bool,
}

impl Clock {
    /// Thread CPU time unless `SSE_BENCH_CLOCK=wall`.
    pub fn from_env() -> Self {
        let cpu = std::env::var("SSE_BENCH_CLOCK").map_or(true, |v| v != "wall");
        Self { cpu }
    }

    /// Which clock this is, for the benches' banner.
    pub const fn describe(&self) -> &'static str {
        if self.cpu {
            "thread CPU time (CLOCK_THREAD_CPUTIME_ID)"
        } else {
            "wall-clock time"
        }
    }
}

/// A reading of either clock.
#[derive(Clone, Copy, Debug)]
pub enum Reading {
    /// Thread CPU time since the thread started.
    Cpu(Duration),
    /// A wall-clock instant.
    Wall(Instant),
}

fn thread_cpu_time() -> Duration {
    let mut ts = libc::timespec {
        tv_sec: 0,
        tv_nsec: 0,
    };
    // SAFETY: `ts` is a valid, writable timespec; CLOCK_THREAD_CPUTIME_ID is
    // supported on every Linux this runs on.
    let rc = unsafe { libc::clock_gettime(libc::CLOCK_THREAD_CPUTIME_ID, &mut ts) };
    assert_eq!(rc, 0, "clock_gettime(CLOCK_THREAD_CPUTIME_ID) failed");
    Duration::new(ts.tv_sec as u64, ts.tv_nsec as u32)
}

static WALL: WallTime = WallTime;

impl Measurement for Clock {
    type Intermediate = Reading;
    type Value = Duration;

    fn start(&self) -> Reading {
        if self.cpu {
            Reading::Cpu(thread_cpu_time())
        } else {
            Reading::Wall(Instant::now())
        }
    }

    fn end(&self, start: Reading) -> Duration {
        match start {
            Reading::Cpu(start) => thread_cpu_time().saturating_sub(start),
            Reading::Wall(start) => start.elapsed(),
        }
    }

    fn add(&self, a: &Duration, b: &Duration) -> Duration {
        *a + *b
    }

    fn zero(&self) -> Duration {
        Duration::ZERO
    }

    fn to_f64(&self, value: &Duration) -> f64 {
        value.as_nanos() as f64
    }

    fn formatter(&self) -> &dyn ValueFormatter {
        // Nanoseconds either way: criterion's own duration formatter fits.
        WALL.formatter()
    }
}
