//! Time as the caller tells it: the crate never reads a clock.

use core::fmt;

/// A point in time, in milliseconds since an epoch of the caller's choosing
/// (boot, the Unix epoch, the start of a test). Only differences matter.
///
/// ```
/// use sse_core::Instant;
/// let start = Instant::from_millis(1_000);
/// let later = start.add_millis(250);
/// assert_eq!(later.millis_since(start), 250);
/// assert_eq!(start.millis_since(later), 0);
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

impl fmt::Display for Instant {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ms", self.0)
    }
}
