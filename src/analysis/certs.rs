//! Certificate checks (findings `cert.*`), judged at capture time. STUB: being written.

use super::Context;
use crate::record::{Finding, Negotiation};

/// Trust roots given by the user.
#[derive(Debug, Clone, Default)]
pub struct TrustStore {}

/// Certificate findings for the server chain.
pub fn check(_n: &Negotiation, _ctx: &Context) -> Vec<Finding> {
    Vec::new()
}
