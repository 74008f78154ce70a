//! JA3/JA3S and JA4 fingerprints. STUB: being written.

use crate::record::{Fingerprints, Negotiation};

/// Fingerprints of the flow's hellos; `None` without a ClientHello.
pub fn fingerprints(_n: &Negotiation) -> Option<Fingerprints> {
    None
}
