//! Crypto and handshake findings. STUB: being written.

use super::policy::Policy;
use crate::record::{Finding, Negotiation};

/// Findings on what was negotiated and offered.
pub fn check(_n: &Negotiation, _p: &Policy) -> Vec<Finding> {
    Vec::new()
}
