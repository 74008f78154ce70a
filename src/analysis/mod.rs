//! Analysis: pure functions of the negotiation record. No I/O, no packets, no clock: everything is
//! judged at capture time from the facts the TLS layer recorded.
//!
//! [`analyze`] fills a finished record's `fingerprints`, `findings` and `diagnosis`.

pub mod certs;
pub mod diagnosis;
pub mod explain;
pub mod findings;
pub mod fingerprint;
pub mod policy;

use crate::record::Negotiation;

/// What analysis needs besides the record.
#[derive(Debug, Clone, Default)]
pub struct Context {
    /// Which weaknesses count, and how much (`--policy`).
    pub policy: policy::Policy,
    /// Trust roots to check chains against (`--ca-file`, `--system-roots`); none by default.
    pub trust: Option<certs::TrustStore>,
}

/// Fills `fingerprints`, `findings` and `diagnosis` of a finished record.
pub fn analyze(n: &mut Negotiation, ctx: &Context) {
    n.fingerprints = fingerprint::fingerprints(n).map(Box::new);
    let mut found = certs::check(n, ctx);
    found.extend(findings::check(n, &ctx.policy));
    n.findings = found;
    n.diagnosis = diagnosis::diagnose(n).map(Box::new);
}
