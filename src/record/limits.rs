//! How often each resource limit was hit: `stats.limits_hit` in JSON. Each key is the name of
//! the [`crate::config::Limits`] field (the timeouts without `_secs`); the matching command-line
//! flag is the same name with dashes (`max_ooo_bytes` is `--max-ooo-bytes`). Every hit is also a
//! note: on the flow, or for the fragment pool on the input.

use serde::Serialize;

/// Counters of limits hit. All zero on a capture that stayed within every limit.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct LimitsHit {
    /// Holes given up on because a direction held more out-of-order bytes than allowed.
    pub max_ooo_bytes: u64,
    /// Handshake messages skipped as larger than the handshake buffer (`max_handshake_bytes`,
    /// which `--max-handshake-message` was not set below).
    pub max_handshake_bytes: u64,
    /// Handshake messages skipped as larger than `max_handshake_message` (set below the
    /// buffer).
    pub max_handshake_message: u64,
    /// Flows that stopped waiting for missing data because all flows together held more than
    /// the global budget.
    pub max_total_buffered: u64,
    /// Flows reported early because the flow table was full.
    pub max_flows: u64,
    /// Flows reported early because the open flows' state was over its limit.
    pub max_flow_memory: u64,
    /// Connections taken as not TLS after that many payload bytes without a TLS record.
    pub max_probe_bytes: u64,
    /// Flows whose history was cut.
    pub max_history: u64,
    /// Notes dropped (over all flows).
    pub max_notes: u64,
    /// Certificate messages with more certificates than were decoded.
    pub max_certificates: u64,
    /// Connections finished because they were idle.
    pub idle_timeout: u64,
    /// Connections finished because they stayed half-closed (one FIN) without packets.
    pub half_closed_timeout: u64,
    /// Pending fragmented datagrams evicted to keep the fragment pool's bytes within the limit.
    pub max_fragment_bytes: u64,
    /// Pending fragmented datagrams evicted to admit a new one when the pool was full.
    pub max_fragment_datagrams: u64,
    /// Fragmented datagrams dropped after waiting too long for their missing fragments.
    pub fragment_timeout: u64,
}

impl LimitsHit {
    /// True when no limit was hit.
    pub fn is_empty(&self) -> bool {
        *self == LimitsHit::default()
    }

    /// The limits hit, as (command-line flag, count), in the order of the fields.
    pub fn hits(&self) -> Vec<(&'static str, u64)> {
        [
            ("--max-ooo-bytes", self.max_ooo_bytes),
            ("--max-handshake-bytes", self.max_handshake_bytes),
            ("--max-handshake-message", self.max_handshake_message),
            ("--max-buffered", self.max_total_buffered),
            ("--max-flows", self.max_flows),
            ("--max-flow-memory", self.max_flow_memory),
            ("--max-probe-bytes", self.max_probe_bytes),
            ("--max-history", self.max_history),
            ("--max-notes", self.max_notes),
            ("--max-certificates", self.max_certificates),
            ("--idle-timeout", self.idle_timeout),
            ("--half-closed-timeout", self.half_closed_timeout),
            ("--max-fragment-bytes", self.max_fragment_bytes),
            ("--max-fragment-datagrams", self.max_fragment_datagrams),
            ("--fragment-timeout", self.fragment_timeout),
        ]
        .into_iter()
        .filter(|(_, n)| *n > 0)
        .collect()
    }
}

impl std::ops::AddAssign<&LimitsHit> for LimitsHit {
    fn add_assign(&mut self, o: &LimitsHit) {
        self.max_ooo_bytes += o.max_ooo_bytes;
        self.max_handshake_bytes += o.max_handshake_bytes;
        self.max_handshake_message += o.max_handshake_message;
        self.max_total_buffered += o.max_total_buffered;
        self.max_flows += o.max_flows;
        self.max_flow_memory += o.max_flow_memory;
        self.max_probe_bytes += o.max_probe_bytes;
        self.max_history += o.max_history;
        self.max_notes += o.max_notes;
        self.max_certificates += o.max_certificates;
        self.idle_timeout += o.idle_timeout;
        self.half_closed_timeout += o.half_closed_timeout;
        self.max_fragment_bytes += o.max_fragment_bytes;
        self.max_fragment_datagrams += o.max_fragment_datagrams;
        self.fragment_timeout += o.fragment_timeout;
    }
}
