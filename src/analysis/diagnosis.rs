//! Diagnosis: why a negotiation failed. STUB: being written.

use crate::record::{Diagnosis, Negotiation};

/// The diagnosis of a flow; `None` for a healthy established flow.
pub fn diagnose(_n: &Negotiation) -> Option<Diagnosis> {
    None
}
