//! Time as the caller tells it: the crate never reads a clock.

use core::fmt;
use core::ops::{Add, AddAssign};
use core::time::Duration;

/// A point in time, in milliseconds since an epoch of the caller's choosing
/// (boot, the Unix epoch, the start of a test). Only differences matter.
///
/// Every time the crate takes or gives is whole milliseconds, and each API
/// that takes or gives one has a [`Duration`] form beside it. A duration
/// added to an instant, or given as a delay or an interval, counts a part of
/// a millisecond as a whole one: a wait is never shorter than asked, and
/// never becomes zero.
///
/// ```
/// use core::time::Duration;
/// use sse_core::Instant;
/// let start = Instant::from_millis(1_000);
/// let later = start.add_millis(250);
/// assert_eq!(later.millis_since(start), 250);
/// assert_eq!(start.millis_since(later), 0);
/// assert_eq!(start + Duration::from_millis(250), later);
/// assert_eq!(later.duration_since(start), Duration::from_millis(250));
/// ```
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Instant(u64);

impl Instant {
    /// The epoch itself.
    ///
    /// ```
    /// assert_eq!(sse_core::Instant::ZERO.as_millis(), 0);
    /// ```
    pub const ZERO: Self = Self(0);

    /// The instant `ms` milliseconds after the epoch.
    ///
    /// ```
    /// assert_eq!(sse_core::Instant::from_millis(5).as_millis(), 5);
    /// ```
    pub const fn from_millis(ms: u64) -> Self {
        Self(ms)
    }

    /// Milliseconds since the epoch.
    ///
    /// ```
    /// assert_eq!(sse_core::Instant::from_millis(7).as_millis(), 7);
    /// ```
    pub const fn as_millis(self) -> u64 {
        self.0
    }

    /// The instant `ms` milliseconds later, saturating at the end of time.
    ///
    /// ```
    /// use sse_core::Instant;
    /// assert_eq!(Instant::from_millis(u64::MAX).add_millis(1), Instant::from_millis(u64::MAX));
    /// ```
    #[must_use]
    pub const fn add_millis(self, ms: u64) -> Self {
        Self(self.0.saturating_add(ms))
    }

    /// Milliseconds from `earlier` to `self`, or 0 if `earlier` is later.
    ///
    /// ```
    /// use sse_core::Instant;
    /// assert_eq!(Instant::from_millis(9).millis_since(Instant::from_millis(4)), 5);
    /// ```
    pub const fn millis_since(self, earlier: Self) -> u64 {
        self.0.saturating_sub(earlier.0)
    }
}

impl Instant {
    /// The instant `since_epoch` after the epoch, in whole milliseconds (a
    /// part of a millisecond is dropped, as [`Duration::as_millis`] does),
    /// saturating at the end of time. For a clock that gives the time since
    /// a start as a `Duration`, such as `std::time::Instant::elapsed`.
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::Instant;
    /// assert_eq!(Instant::from_duration(Duration::from_micros(2_999)), Instant::from_millis(2));
    /// assert_eq!(Instant::from_duration(Duration::MAX), Instant::from_millis(u64::MAX));
    /// ```
    pub const fn from_duration(since_epoch: Duration) -> Self {
        let ms = since_epoch.as_millis();
        Self(if ms > u64::MAX as u128 {
            u64::MAX
        } else {
            ms as u64
        })
    }

    /// The time since the epoch, as a [`Duration`].
    ///
    /// ```
    /// use core::time::Duration;
    /// assert_eq!(sse_core::Instant::from_millis(1_500).as_duration(), Duration::from_millis(1_500));
    /// ```
    pub const fn as_duration(self) -> Duration {
        Duration::from_millis(self.0)
    }

    /// The time from `earlier` to `self`, or zero if `earlier` is later:
    /// [`millis_since`](Self::millis_since) as a [`Duration`].
    ///
    /// ```
    /// use core::time::Duration;
    /// use sse_core::Instant;
    /// let (a, b) = (Instant::from_millis(4), Instant::from_millis(9));
    /// assert_eq!(b.duration_since(a), Duration::from_millis(5));
    /// assert_eq!(a.duration_since(b), Duration::ZERO);
    /// ```
    pub const fn duration_since(self, earlier: Self) -> Duration {
        Duration::from_millis(self.millis_since(earlier))
    }
}

/// `instant + duration`: the instant `duration` later, a part of a
/// millisecond counted as a whole one, saturating at the end of time.
///
/// ```
/// use core::time::Duration;
/// use sse_core::Instant;
/// let t = Instant::from_millis(10);
/// assert_eq!(t + Duration::from_secs(2), Instant::from_millis(2_010));
/// assert_eq!(t + Duration::from_micros(1), Instant::from_millis(11)); // never early
/// assert_eq!(t + Duration::MAX, Instant::from_millis(u64::MAX));
/// let mut u = t;
/// u += Duration::from_millis(5);
/// assert_eq!(u, Instant::from_millis(15));
/// ```
impl Add<Duration> for Instant {
    type Output = Self;

    fn add(self, duration: Duration) -> Self {
        self.add_millis(ceil_millis(duration))
    }
}

impl AddAssign<Duration> for Instant {
    fn add_assign(&mut self, duration: Duration) {
        *self = *self + duration;
    }
}

/// `duration` in whole milliseconds, a part of one counted as a whole one,
/// saturating at `u64::MAX`: the one conversion of a delay or an interval.
pub(crate) const fn ceil_millis(duration: Duration) -> u64 {
    let ms = duration.as_nanos().div_ceil(1_000_000);
    if ms > u64::MAX as u128 {
        u64::MAX
    } else {
        ms as u64
    }
}

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn durations_round_up_to_whole_milliseconds_and_saturate() {
        for (duration, ms) in [
            (Duration::ZERO, 0),
            (Duration::from_nanos(1), 1),
            (Duration::from_micros(999), 1),
            (Duration::from_millis(1), 1),
            (Duration::from_nanos(1_000_001), 2),
            (Duration::from_secs(3), 3_000),
            (Duration::from_millis(u64::MAX), u64::MAX),
            (
                Duration::from_millis(u64::MAX) + Duration::from_nanos(1),
                u64::MAX,
            ),
            (Duration::MAX, u64::MAX),
        ] {
            assert_eq!(ceil_millis(duration), ms, "{duration:?}");
            assert_eq!(Instant::ZERO + duration, Instant::from_millis(ms));
        }
    }
}
