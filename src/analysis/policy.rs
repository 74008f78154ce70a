//! `--policy modern|intermediate|old`: which weaknesses count as findings, and how severe.
//! STUB: being written.

/// A policy.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum Policy {
    /// Mozilla "modern".
    Modern,
    /// Mozilla "intermediate" (default).
    #[default]
    Intermediate,
    /// Mozilla "old".
    Old,
}
