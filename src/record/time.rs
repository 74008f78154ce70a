//! Capture timestamps: seconds and nanoseconds since the Unix epoch, written as RFC 3339 UTC with
//! microseconds (`2026-11-30T12:00:00.123456Z`).

use serde::{Serialize, Serializer};
use std::cell::Cell;
use std::fmt;
use std::io::Write;

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

impl Timestamp {
    /// Appends the RFC 3339 text (UTC, microseconds) to `out`, as [`fmt::Display`] writes it.
    /// Years 0..=9999 are written digit by digit, not through `core::fmt`: JSON records carry
    /// two timestamps each. Dates outside what `time` represents are clamped by it; a timestamp
    /// it cannot represent at all is written as the raw epoch seconds (`@-5.999999999`).
    pub fn push_rfc3339(&self, out: &mut Vec<u8>) {
        match self.common_rfc3339() {
            Some(text) => out.extend_from_slice(&text),
            None => self.push_via_time(out),
        }
    }

    /// [`Self::push_rfc3339`] for any timestamp, through `time`'s calendar.
    fn push_via_time(&self, out: &mut Vec<u8>) {
        let nanos = i128::from(self.secs) * 1_000_000_000 + i128::from(self.nanos);
        match time::OffsetDateTime::from_unix_timestamp_nanos(nanos) {
            Ok(t) if (0..=9999).contains(&t.year()) => {
                digits(out, t.year().unsigned_abs(), 4);
                out.push(b'-');
                digits(out, u32::from(u8::from(t.month())), 2);
                out.push(b'-');
                digits(out, u32::from(t.day()), 2);
                out.push(b'T');
                digits(out, u32::from(t.hour()), 2);
                out.push(b':');
                digits(out, u32::from(t.minute()), 2);
                out.push(b':');
                digits(out, u32::from(t.second()), 2);
                out.push(b'.');
                digits(out, t.microsecond(), 6);
                out.push(b'Z');
            }
            Ok(t) => {
                let _ = write!(
                    out,
                    "{:04}-{:02}-{:02}T{:02}:{:02}:{:02}.{:06}Z",
                    t.year(),
                    u8::from(t.month()),
                    t.day(),
                    t.hour(),
                    t.minute(),
                    t.second(),
                    t.microsecond()
                );
            }
            Err(_) => {
                let _ = write!(out, "@{}.{:09}", self.secs, self.nanos);
            }
        }
    }
}

thread_local! {
    /// The last day written, as days since the epoch and its `YYYY-MM-DD`: a capture's
    /// timestamps are nearly all on one day, and the calendar arithmetic of `time` was most of
    /// what a timestamp cost.
    static LAST_DAY: Cell<(i64, [u8; 10])> = const { Cell::new((i64::MIN, [0; 10])) };
}

/// Seconds from 1970 to the end of 9999.
const END_OF_9999: i64 = 253_402_300_800;

impl Timestamp {
    /// The text of a timestamp from 1970 to 9999 with a normalised fraction (nearly all of
    /// them), built without `core::fmt` and, within one day, without calendar arithmetic;
    /// `None` for the others, which [`Self::push_rfc3339`] writes through `time`.
    fn common_rfc3339(&self) -> Option<[u8; 27]> {
        if !(0..END_OF_9999).contains(&self.secs) || self.nanos >= 1_000_000_000 {
            return None;
        }
        let (day, secs) = (self.secs / 86_400, self.secs % 86_400);
        let (last, mut date) = LAST_DAY.with(Cell::get);
        if last != day {
            let d = time::OffsetDateTime::from_unix_timestamp(day * 86_400).ok()?;
            let mut text = Vec::with_capacity(10);
            digits(&mut text, d.year().unsigned_abs(), 4);
            text.push(b'-');
            digits(&mut text, u32::from(u8::from(d.month())), 2);
            text.push(b'-');
            digits(&mut text, u32::from(d.day()), 2);
            date = text.try_into().ok()?;
            LAST_DAY.with(|c| c.set((day, date)));
        }
        let mut out = [0u8; 27];
        let (head, rest) = out.split_at_mut(10);
        head.copy_from_slice(&date);
        let two = |v: i64| [b'0' + (v / 10) as u8, b'0' + (v % 10) as u8];
        let [h0, h1] = two(secs / 3600);
        let [m0, m1] = two(secs / 60 % 60);
        let [s0, s1] = two(secs % 60);
        let mut micros = self.nanos / 1000;
        let mut frac = [0u8; 6];
        for slot in frac.iter_mut().rev() {
            *slot = b'0' + (micros % 10) as u8;
            micros /= 10;
        }
        let [f0, f1, f2, f3, f4, f5] = frac;
        rest.copy_from_slice(&[
            b'T', h0, h1, b':', m0, m1, b':', s0, s1, b'.', f0, f1, f2, f3, f4, f5, b'Z',
        ]);
        Some(out)
    }
}

/// `v` in exactly `width` decimal digits (leading zeros; `v` is below 10^width).
fn digits(out: &mut Vec<u8>, mut v: u32, width: usize) {
    let mut buf = [b'0'; 10];
    let width = width.min(buf.len());
    for slot in buf.iter_mut().take(width).rev() {
        *slot = b'0' + (v % 10) as u8;
        v /= 10;
    }
    out.extend_from_slice(buf.get(..width).unwrap_or_default());
}

impl fmt::Display for Timestamp {
    /// RFC 3339, UTC, microsecond precision: see [`Timestamp::push_rfc3339`].
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::with_capacity(32);
        self.push_rfc3339(&mut text);
        // Only ASCII digits and punctuation are ever written.
        f.write_str(std::str::from_utf8(&text).unwrap_or("@?"))
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

    /// The one-day-remembered path writes what `time`'s calendar writes: across day, month,
    /// year and leap-year boundaries, alternating between days (so the remembered day is both
    /// reused and replaced), at the first and last second of the range it covers.
    #[test]
    fn remembered_day_path_equals_the_calendar() {
        let mut secs: Vec<i64> = vec![0, 86_399, 86_400, 951_782_399, 951_868_800, 253_402_300_799];
        let mut x: u64 = 0x9e37_79b9_7f4a_7c15;
        for _ in 0..20_000 {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            secs.push((x % 253_402_300_800) as i64);
            secs.push(1_764_547_200 + (x % 200_000) as i64);
        }
        for (i, s) in secs.into_iter().enumerate() {
            let t = Timestamp::new(s, (i as u32).wrapping_mul(7_919_993) % 1_000_000_000);
            let mut fast = Vec::new();
            t.push_rfc3339(&mut fast);
            let mut slow = Vec::new();
            t.push_via_time(&mut slow);
            assert_eq!(String::from_utf8(fast), String::from_utf8(slow), "{t:?}");
        }
    }

    /// The digit-by-digit path and the `core::fmt` fallbacks, at the edges of the year range.
    #[test]
    fn formats_the_edges_of_the_range() {
        let cases = [
            ((-5, 999_999_999), "1969-12-31T23:59:55.999999Z"),
            (
                (253_402_300_799, 999_999_000),
                "9999-12-31T23:59:59.999999Z",
            ),
            ((253_402_300_800, 0), "@253402300800.000000000"),
            ((-62_167_219_200, 0), "0000-01-01T00:00:00.000000Z"),
            ((-62_167_219_201, 5), "-001-12-31T23:59:59.000000Z"),
            ((i64::MAX, 999_999_999), "@9223372036854775807.999999999"),
            ((i64::MIN, 0), "@-9223372036854775808.000000000"),
            ((951_782_400, 1_000), "2000-02-29T00:00:00.000001Z"),
        ];
        for ((secs, nanos), want) in cases {
            let t = Timestamp::new(secs, nanos);
            let mut pushed = Vec::new();
            t.push_rfc3339(&mut pushed);
            assert_eq!(t.to_string(), want);
            assert_eq!(String::from_utf8_lossy(&pushed), want);
        }
    }

    #[test]
    fn carries_nanoseconds() {
        assert_eq!(
            Timestamp::new(1, 2_000_000_001),
            Timestamp { secs: 3, nanos: 1 }
        );
    }
}
