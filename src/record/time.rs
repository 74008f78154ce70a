//! Capture timestamps: seconds and nanoseconds since the Unix epoch, written as RFC 3339 UTC with
//! microseconds (`2026-11-30T12:00:00.123456Z`).

use serde::{Serialize, Serializer};
use std::fmt;

/// A point in capture time (never wall-clock time: records must be reproducible).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Timestamp {
    /// Whole seconds since 1970-01-01T00:00:00Z (may be negative for broken captures).
    pub secs: i64,
    /// Nanoseconds within the second, `0..1_000_000_000`.
    pub nanos: u32,
}

impl Timestamp {
    /// Later than any capture time.
    pub const MAX: Timestamp = Timestamp {
        secs: i64::MAX,
        nanos: 999_999_999,
    };

    /// Builds a timestamp, carrying nanoseconds over 1 s into the seconds.
    pub fn new(secs: i64, nanos: u32) -> Self {
        let carry = i64::from(nanos / 1_000_000_000);
        Timestamp {
            secs: secs.saturating_add(carry),
            nanos: nanos % 1_000_000_000,
        }
    }

    /// Seconds since the epoch as a float (for durations in reports).
    pub fn as_secs_f64(&self) -> f64 {
        self.secs as f64 + f64::from(self.nanos) / 1e9
    }

    /// Time elapsed from `earlier` to `self`, in seconds (negative when `earlier` is later).
    pub fn seconds_since(&self, earlier: Timestamp) -> f64 {
        (self.secs - earlier.secs) as f64 + (f64::from(self.nanos) - f64::from(earlier.nanos)) / 1e9
    }
}

impl fmt::Display for Timestamp {
    /// RFC 3339, UTC, microsecond precision. Dates outside years 0..=9999 are clamped by `time`;
    /// a timestamp it cannot represent prints as the raw epoch seconds.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let nanos = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos);
        match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) => write!(
                f,
                "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                t.year(),
                u8::from(t.month()),
                t.day(),
                t.hour(),
                t.minute(),
                t.second(),
                t.microsecond()
            ),
            Err(_) => write!(f, "@{}.{:09}", self.secs, self.nanos),
        }
    }
}

impl Serialize for Timestamp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_rfc3339_with_microseconds() {
        let t = Timestamp::new(1_700_000_000, 123_456_789);
        assert_eq!(t.to_string(), "2023-11-14T22:13:20.123456Z");
        assert_eq!(
            Timestamp::new(0, 0).to_string(),
            "1970-01-01T00:00:00.000000Z"
        );
    }

    #[test]
    fn carries_nanoseconds() {
        assert_eq!(
            Timestamp::new(1, 2_000_000_001),
            Timestamp { secs: 3, nanos: 1 }
        );
    }
}
